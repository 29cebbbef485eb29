/* The scheduler's results: a bounded ring of records waiting to be written,
 * the writer thread writing them in batches with mon_store_history_insert()
 * on its own connection, lease release, and the database backoff. */
#include "scheduler_priv.h"
#include "error_priv.h"
#include "store_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* First reconnection delay after a failure; doubled up to reconnect_max_ms. */
#define BACKOFF_FIRST_MS 250

int64_t mon__sched_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mon__ring_init(struct mon__result_ring *ring, size_t capacity)
{
    memset(ring, 0, sizeof(*ring));
    ring->items = calloc(capacity, sizeof(*ring->items));
    if (!ring->items)
        return mon__error_nomem();
    ring->capacity = capacity;
    return MON_OK;
}

static mon_check_record *ring_at(struct mon__result_ring *ring, size_t i)
{
    return &ring->items[(ring->head + i) % ring->capacity];
}

static void ring_pop(struct mon__result_ring *ring, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mon_check_record *r = ring_at(ring, 0);
        free((char *)r->error_message);
        r->error_message = NULL;
        ring->head = (ring->head + 1) % ring->capacity;
        ring->count--;
    }
}

void mon__ring_free(struct mon__result_ring *ring)
{
    if (!ring->items)
        return;
    ring_pop(ring, ring->count);
    free(ring->items);
    ring->items = NULL;
}

/* Put the n records of batch back at the front of the ring (oldest first),
 * as many as fit beside what arrived meanwhile: the others are the oldest of
 * all and are dropped (counted). Under lock. */
static void ring_give_back(mon_scheduler *s, mon_check_record *batch, size_t n)
{
    struct mon__result_ring *ring = &s->ring;
    size_t room = ring->capacity - ring->count, keep = n < room ? n : room;
    for (size_t i = 0; i < n - keep; i++)
        free((char *)batch[i].error_message);
    s->stats.dropped += n - keep;
    for (size_t i = n; i-- > n - keep;) {
        ring->head = (ring->head + ring->capacity - 1) % ring->capacity;
        ring->items[ring->head] = batch[i];
        ring->count++;
    }
}

int mon__sched_buffer_result(mon_scheduler *s, const mon_check_record *record)
{
    struct mon__result_ring *ring = &s->ring;
    char *message = NULL;

    if (record->error_message && !(message = strdup(record->error_message)))
        return mon__error_nomem();
    pthread_mutex_lock(&s->lock);
    if (ring->count == ring->capacity) {
        ring_pop(ring, 1);
        s->stats.dropped++;
    }
    if (!ring->count)
        s->next_flush_ms = mon__sched_now_ms() + s->opt.flush_interval_ms;
    mon_check_record *slot = ring_at(ring, ring->count);
    *slot = *record;
    slot->error_message = message;
    ring->count++;
    s->stats.buffered = ring->count + s->writing;
    /* The writer sleeps until the flush time of the first result or a full batch. */
    if (ring->count == 1 || ring->count == (size_t)s->opt.batch_size)
        pthread_cond_signal(&s->wcond);
    pthread_mutex_unlock(&s->lock);
    return MON_OK;
}

void mon__sched_db_outcome(mon_scheduler *s, struct mon__backoff *b, int rc)
{
    if (rc == MON_OK) {
        b->ms = 0;
        b->retry_at = 0;
    } else {
        b->ms = b->ms ? b->ms * 2 : BACKOFF_FIRST_MS;
        if (b->ms > s->opt.reconnect_max_ms)
            b->ms = s->opt.reconnect_max_ms;
        b->retry_at = mon__sched_now_ms() + b->ms;
    }
    pthread_mutex_lock(&s->lock);
    s->stats.db_connected = rc == MON_OK;
    if (rc != MON_OK) {
        s->stats.db_failures++;
        snprintf(s->stats.last_db_error, sizeof(s->stats.last_db_error), "%s: %s", mon_error_name(rc),
                 mon_error_last());
    }
    pthread_mutex_unlock(&s->lock);
}

/* "{id,id,...}" of the first n records, as a uuid[] parameter. */
static char *id_array(const mon_check_record *const *records, size_t n)
{
    char *text = malloc(n * 37 + 3), *p = text;
    if (!text)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(records[i]->endpoint_id);
        if (i)
            *p++ = ',';
        memcpy(p, records[i]->endpoint_id, len);
        p += len;
    }
    *p++ = '}';
    *p = '\0';
    return text;
}

/* The endpoints of these records have been checked and their results are
 * written: let the next slot be claimed by anyone without waiting for the
 * lease to expire. Only leases that outlive the next slot (long timeouts on
 * short intervals) are cleared: the others expire before that slot anyway,
 * and not rewriting those rows halves the schedule writes. A failure here
 * only delays a slot, so it is not an error of the write. */
static void release_leases(mon_scheduler *s, const mon_check_record *const *records, size_t n)
{
    char *ids = id_array(records, n);
    const char *params[2] = {s->owner, ids};
    int rc;
    if (!ids)
        return;
    PGresult *res = mon__store_exec(s->wstore, "release leases",
                                    "UPDATE endpoint_schedule SET lease_owner = NULL, lease_until = NULL"
                                    " WHERE endpoint_id = ANY($2::uuid[]) AND lease_owner = $1"
                                    " AND lease_until > next_check_at",
                                    2, params, MON__EXEC_RETRY, &rc);
    PQclear(res);
    free(ids);
}

/* Keep in records[0..*n) only those whose endpoint still exists; the others
 * were deleted after their claim and cannot be written (the history row
 * would reference nothing). */
static int keep_existing(mon_scheduler *s, const mon_check_record **records, size_t *n)
{
    char *ids = id_array(records, *n);
    const char *params[1] = {ids};
    int rc;
    if (!ids)
        return mon__error_nomem();
    PGresult *res = mon__store_exec(s->wstore, "find endpoints",
                                    "SELECT id::text FROM endpoints WHERE id = ANY($1::uuid[])", 1, params,
                                    MON__EXEC_RETRY, &rc);
    free(ids);
    if (!res)
        return rc;
    size_t kept = 0, rows = (size_t)PQntuples(res);
    for (size_t i = 0; i < *n; i++) {
        for (size_t r = 0; r < rows; r++) {
            if (strcmp(PQgetvalue(res, (int)r, 0), records[i]->endpoint_id) == 0) {
                records[kept++] = records[i];
                break;
            }
        }
    }
    PQclear(res);
    *n = kept;
    return MON_OK;
}

/* One record of a batch is settled (written, refused or discarded): count
 * it and free its message. */
static void settle(mon_scheduler *s, mon_check_record *r, int rc)
{
    free((char *)r->error_message);
    r->error_message = NULL;
    pthread_mutex_lock(&s->lock);
    s->stats.results_written += rc == MON_OK;
    s->stats.rejected += rc == MON_EINVAL;
    s->stats.discarded += rc == MON_ENOTFOUND;
    s->writing--;
    s->stats.buffered = s->ring.count + s->writing;
    pthread_mutex_unlock(&s->lock);
}

/* The store refused the batch as invalid: one record is out of its bounds
 * (which would block every later write). Write them one at a time; the
 * refused ones are counted in `rejected`. Returns how many were settled
 * (from the front) in *done, and the error that stopped it. */
static int write_one_by_one(mon_scheduler *s, mon_check_record *batch, size_t n, size_t *done)
{
    for (*done = 0; *done < n; (*done)++) {
        const mon_check_record *one = &batch[*done];
        int rc = mon_store_history_insert(s->wstore, &one, 1);
        if (rc != MON_OK && rc != MON_EINVAL && rc != MON_ENOTFOUND)
            return rc;
        settle(s, &batch[*done], rc);
    }
    return MON_OK;
}

/* Write the n records of batch (ptrs: room for n pointers); *done says how
 * many were settled, from the front. */
static int write_batch(mon_scheduler *s, mon_check_record *batch, const mon_check_record **ptrs, size_t n,
                       size_t *done)
{
    size_t kept = n;
    int rc;

    *done = 0;
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &batch[i];
    rc = mon_store_history_insert(s->wstore, ptrs, n);
    if (rc == MON_EINVAL)
        return write_one_by_one(s, batch, n, done);
    if (rc == MON_ENOTFOUND && (rc = keep_existing(s, ptrs, &kept)) == MON_OK)
        rc = kept ? mon_store_history_insert(s->wstore, ptrs, kept) : MON_OK;
    if (rc != MON_OK)
        return rc;
    if (kept)
        release_leases(s, ptrs, kept);
    for (size_t i = 0; i < n; i++) {
        free((char *)batch[i].error_message);
        batch[i].error_message = NULL;
    }
    pthread_mutex_lock(&s->lock);
    s->stats.results_written += kept;
    s->stats.discarded += n - kept;
    s->writing -= n;
    s->stats.buffered = s->ring.count + s->writing;
    pthread_mutex_unlock(&s->lock);
    *done = n;
    return MON_OK;
}

static void wait_until(mon_scheduler *s, int64_t until_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t left = until_ms - mon__sched_now_ms();
    if (left <= 0)
        return;
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->wcond, &s->lock, &ts);
}

/* Wake the driving thread (a drain waits for the writer). */
static void wake_driver(mon_scheduler *s)
{
    uint64_t one = 1;
    ssize_t n = write(s->wakefd, &one, sizeof(one));
    (void)n;
}

/* The writer thread: wait until a batch is due and the backoff allows a
 * round trip, take the batch out of the ring, write it without the lock
 * held, give back what could not be written. */
static void *writer_main(void *arg)
{
    mon_scheduler *s = arg;
    size_t cap = (size_t)s->opt.batch_size;
    struct mon__backoff backoff = {0, 0};

    pthread_mutex_lock(&s->lock);
    while (!s->writer_quit) {
        int64_t now = mon__sched_now_ms(), due_at;
        if (!s->ring.count) {
            pthread_cond_wait(&s->wcond, &s->lock);
            continue;
        }
        due_at = s->flush_now || s->ring.count >= cap ? now : s->next_flush_ms;
        if (due_at < backoff.retry_at)
            due_at = backoff.retry_at;
        if (now < due_at) {
            wait_until(s, due_at);
            continue;
        }
        size_t n = s->ring.count < cap ? s->ring.count : cap, done;
        for (size_t i = 0; i < n; i++)
            s->wbatch[i] = *ring_at(&s->ring, i);
        s->ring.head = (s->ring.head + n) % s->ring.capacity;
        s->ring.count -= n;
        s->writing = n;
        pthread_mutex_unlock(&s->lock);

        int rc = write_batch(s, s->wbatch, s->wptrs, n, &done);
        if (rc != MON_ENOMEM)
            mon__sched_db_outcome(s, &backoff, rc);
        else /* not the database's fault: retry a little later, without counting a failure */
            backoff.retry_at = mon__sched_now_ms() + BACKOFF_FIRST_MS;

        pthread_mutex_lock(&s->lock);
        if (done < n) {
            s->writing -= n - done;
            ring_give_back(s, s->wbatch + done, n - done);
            s->stats.buffered = s->ring.count + s->writing;
        }
        if (s->flush_now)
            wake_driver(s);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int mon__sched_writer_start(mon_scheduler *s, const char *database_url)
{
    pthread_condattr_t attr;
    int rc;

    s->wbatch = malloc((size_t)s->opt.batch_size * sizeof(*s->wbatch));
    s->wptrs = malloc((size_t)s->opt.batch_size * sizeof(*s->wptrs));
    if (!s->wbatch || !s->wptrs)
        return mon__error_nomem();
    if ((rc = mon_store_open(&s->wstore, database_url)) != MON_OK)
        return rc;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&s->wcond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return mon__error(MON_EIO, NULL, "cannot create the writer's condition: %s", strerror(rc));
    if ((rc = pthread_create(&s->writer, NULL, writer_main, s)) != 0) {
        pthread_cond_destroy(&s->wcond);
        return mon__error(MON_EIO, NULL, "cannot start the writer thread: %s", strerror(rc));
    }
    s->writer_started = 1;
    return MON_OK;
}

void mon__sched_writer_stop(mon_scheduler *s)
{
    if (s->writer_started) {
        pthread_mutex_lock(&s->lock);
        s->writer_quit = 1;
        pthread_cond_signal(&s->wcond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->writer, NULL);
        pthread_cond_destroy(&s->wcond);
        s->writer_started = 0;
    }
    mon_store_close(s->wstore);
    s->wstore = NULL;
    free(s->wbatch);
    free(s->wptrs);
    s->wbatch = NULL;
    s->wptrs = NULL;
}

int mon__sched_results_idle(mon_scheduler *s)
{
    pthread_mutex_lock(&s->lock);
    int idle = !s->ring.count && !s->writing;
    pthread_mutex_unlock(&s->lock);
    return idle;
}

void mon__sched_flush_now(mon_scheduler *s, int flush)
{
    pthread_mutex_lock(&s->lock);
    s->flush_now = flush;
    if (flush)
        pthread_cond_signal(&s->wcond);
    pthread_mutex_unlock(&s->lock);
}
