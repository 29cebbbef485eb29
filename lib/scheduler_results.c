/* The scheduler's results: a bounded ring of records waiting to be written,
 * batched writes with mon_store_history_insert(), lease release, and the
 * database backoff. */
#include "scheduler_priv.h"
#include "error_priv.h"
#include "store_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int mon__sched_buffer_result(mon_scheduler *s, const mon_check_record *record)
{
    struct mon__result_ring *ring = &s->ring;
    char *message = NULL;
    int dropped = 0;

    if (record->error_message && !(message = strdup(record->error_message)))
        return mon__error_nomem();
    if (ring->count == ring->capacity) {
        ring_pop(ring, 1);
        dropped = 1;
    }
    mon_check_record *slot = ring_at(ring, ring->count);
    *slot = *record;
    slot->error_message = message;
    ring->count++;
    pthread_mutex_lock(&s->lock);
    s->stats.dropped += (uint64_t)dropped;
    s->stats.buffered = ring->count;
    pthread_mutex_unlock(&s->lock);
    return MON_OK;
}

void mon__sched_db_outcome(mon_scheduler *s, int rc)
{
    if (rc == MON_OK) {
        s->backoff_ms = 0;
        s->db_retry_ms = 0;
    } else {
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
        if (s->backoff_ms > s->opt.reconnect_max_ms)
            s->backoff_ms = s->opt.reconnect_max_ms;
        s->db_retry_ms = mon__sched_now_ms() + s->backoff_ms;
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
    PGresult *res = mon__store_exec(s->store, "release leases",
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
    PGresult *res = mon__store_exec(s->store, "find endpoints",
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
    pthread_mutex_lock(&s->lock);
    s->stats.discarded += *n - kept;
    pthread_mutex_unlock(&s->lock);
    *n = kept;
    return MON_OK;
}

/* The store refused a batch as invalid: one record is out of its bounds
 * (which would block every later write). Write the oldest n one at a time,
 * taking each out of the ring as soon as it is settled, so that nothing is
 * written twice if the database goes away meanwhile; the refused ones are
 * counted in `rejected`. */
static int flush_one_by_one(mon_scheduler *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const mon_check_record *one = ring_at(&s->ring, 0);
        int rc = mon_store_history_insert(s->store, &one, 1);
        if (rc != MON_OK && rc != MON_EINVAL && rc != MON_ENOTFOUND)
            return rc;
        ring_pop(&s->ring, 1);
        pthread_mutex_lock(&s->lock);
        s->stats.results_written += rc == MON_OK;
        s->stats.rejected += rc == MON_EINVAL;
        s->stats.discarded += rc == MON_ENOTFOUND;
        s->stats.buffered = s->ring.count;
        pthread_mutex_unlock(&s->lock);
    }
    return MON_OK;
}

/* Write the oldest min(count, batch_size) results. */
static int flush_batch(mon_scheduler *s, const mon_check_record **batch)
{
    size_t n = s->ring.count < (size_t)s->opt.batch_size ? s->ring.count : (size_t)s->opt.batch_size;
    size_t taken = n;
    int rc;

    for (size_t i = 0; i < n; i++)
        batch[i] = ring_at(&s->ring, i);
    rc = mon_store_history_insert(s->store, batch, n);
    if (rc == MON_EINVAL)
        return flush_one_by_one(s, n);
    if (rc == MON_ENOTFOUND && (rc = keep_existing(s, batch, &n)) == MON_OK)
        rc = n ? mon_store_history_insert(s->store, batch, n) : MON_OK;
    if (rc != MON_OK)
        return rc;
    if (n)
        release_leases(s, batch, n);
    ring_pop(&s->ring, taken);
    pthread_mutex_lock(&s->lock);
    s->stats.results_written += n;
    s->stats.buffered = s->ring.count;
    pthread_mutex_unlock(&s->lock);
    return MON_OK;
}

int mon__sched_flush(mon_scheduler *s)
{
    const mon_check_record **batch;
    int rc = MON_OK;

    if (!s->ring.count)
        return MON_OK;
    if (!(batch = malloc((size_t)s->opt.batch_size * sizeof(*batch))))
        return mon__error_nomem();
    while (s->ring.count && (rc = flush_batch(s, batch)) == MON_OK)
        ;
    free(batch);
    if (rc != MON_ENOMEM)
        mon__sched_db_outcome(s, rc);
    return rc;
}
