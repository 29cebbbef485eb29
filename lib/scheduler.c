/* The scheduler: claims due endpoints in PostgreSQL with a lease, runs their
 * checks on a checker driven through epoll, hands results to the buffer
 * (scheduler_results.c), reports status changes. */
#include "scheduler_priv.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#define OWNER_MAX 100
#define EVENTS_PER_WAIT 256

/*
 * Claim up to $2 endpoints whose slot has come and whose lease (if any) has
 * expired, oldest slot first, skipping rows another replica is claiming at
 * this moment. Each gets a lease for $1 and moves to its next slot. Returns
 * the slot (epoch ms), the endpoint as the model's JSON, its latest
 * recorded status and when that check ran (epoch us).
 */
static const char CLAIM_SQL[] =
    "WITH due AS ("
    " SELECT endpoint_id, next_check_at FROM endpoint_schedule"
    " WHERE next_check_at <= now() AND (lease_until IS NULL OR lease_until < now())"
    " ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " UPDATE endpoint_schedule s SET lease_owner = $1,"
    " lease_until = now() + make_interval(secs => e.timeout * (e.retries + 1) / 1000.0 + $3::float8),"
    " next_check_at = mon_schedule_next(s.endpoint_id, e.check_interval, now())"
    " FROM due JOIN endpoints e ON e.id = due.endpoint_id"
    " LEFT JOIN endpoint_status st ON st.endpoint_id = due.endpoint_id"
    " WHERE s.endpoint_id = due.endpoint_id AND e.enabled"
    " RETURNING extract(epoch FROM due.next_check_at)::float8 * 1000,"
    " json_build_object('id', e.id, 'name', e.name, 'type', e.type, 'url', e.url,"
    " 'check_interval', e.check_interval, 'timeout', e.timeout, 'expected_status', e.expected_status,"
    " 'headers', coalesce(e.headers, '{}'), 'enabled', e.enabled, 'method', e.method,"
    " 'degraded_ms', e.degraded_ms, 'retries', e.retries, 'conditions', e.conditions,"
    " 'cert_warn_days', e.cert_warn_days, 'follow_redirects', e.follow_redirects)::text,"
    " st.status::text, (extract(epoch FROM st.checked_at) * 1000000)::int8";

/* One claimed check, the payload of its checker callback; linked in the
 * scheduler's list until it finishes, so that mon_scheduler_free() can free
 * the claims of abandoned checks (the checker does not call back for them). */
struct mon__claim {
    mon_scheduler *s;
    mon_endpoint *ep;
    mon_status old_status; /* of the newest check known at the claim */
    struct mon__claim *prev, *next;
};

static void claim_free(struct mon__claim *c)
{
    mon_scheduler *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->claims == c)
        s->claims = c->next;
    if (c->next)
        c->next->prev = c->prev;
    mon_endpoint_free(c->ep);
    free(c);
}

int mon_scheduler_options_init(mon_scheduler_options *options, unsigned int version)
{
    if (!options)
        return mon__error(MON_EINVAL, "options", "must not be NULL");
    if (version != MON_SCHEDULER_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown scheduler options version %u", version);
    mon_scheduler_options init = MON_SCHEDULER_OPTIONS_INIT;
    *options = init;
    return MON_OK;
}

static int check_range(int value, int min, int max, const char *field)
{
    if (value < min || value > max)
        return mon__error(MON_EINVAL, field, "must be %d..%d, got %d", min, max, value);
    return MON_OK;
}

static int check_options(const mon_scheduler_options *o)
{
    int rc;
    if (o->version != MON_SCHEDULER_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown scheduler options version %u", o->version);
    if (o->owner && (!*o->owner || strlen(o->owner) > OWNER_MAX))
        return mon__error(MON_EINVAL, "owner", "must be 1..%d bytes", OWNER_MAX);
    if (o->buffer_capacity < 1 || o->buffer_capacity > 10000000)
        return mon__error(MON_EINVAL, "buffer_capacity", "must be 1..10000000, got %zu", o->buffer_capacity);
    if ((rc = check_range(o->batch_size, 1, 10000, "batch_size")) != MON_OK ||
        (rc = check_range(o->flush_interval_ms, 10, 60000, "flush_interval_ms")) != MON_OK ||
        (rc = check_range(o->claim_batch, 1, 10000, "claim_batch")) != MON_OK ||
        (rc = check_range(o->poll_interval_ms, 10, 10000, "poll_interval_ms")) != MON_OK ||
        (rc = check_range(o->lease_margin_ms, 0, 3600000, "lease_margin_ms")) != MON_OK)
        return rc;
    return check_range(o->reconnect_max_ms, 100, 300000, "reconnect_max_ms");
}

static char *default_owner(void)
{
    char host[64] = "host", *owner = malloc(OWNER_MAX + 1);
    if (!owner)
        return NULL;
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(owner, OWNER_MAX + 1, "%s:%ld", host, (long)getpid());
    return owner;
}

/* 1 if fd is marked as watched; 0 if not or if it cannot be tracked (the
 * table could not grow to it). */
static int fd_tracked(mon_scheduler *s, int fd, int grow)
{
    if ((size_t)fd >= s->fd_cap && grow) {
        size_t cap = s->fd_cap ? s->fd_cap : 256;
        while (cap <= (size_t)fd)
            cap *= 2;
        unsigned char *bigger = realloc(s->fd_watched, cap);
        if (bigger) {
            memset(bigger + s->fd_cap, 0, cap - s->fd_cap);
            s->fd_watched = bigger;
            s->fd_cap = cap;
        }
    }
    return (size_t)fd < s->fd_cap;
}

/* The checker asks for a socket to be watched: mirror it in the epoll set,
 * one system call per change (ADD for a new socket, MOD, DEL). The removal
 * is not left to close(): a socket inherited by a child process would stay
 * in the set. curl may announce a removal after closing the socket, when
 * epoll has dropped it already, so failures of DEL are expected. */
static void on_socket(mon_checker *checker, int fd, int events, void *payload)
{
    mon_scheduler *s = payload;
    struct epoll_event ev = {0};
    int tracked = fd_tracked(s, fd, !(events & MON_POLL_REMOVE));
    (void)checker;
    if (events & MON_POLL_REMOVE) {
        if (tracked)
            s->fd_watched[fd] = 0;
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    ev.events = (events & MON_POLL_IN ? EPOLLIN : 0u) | (events & MON_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (tracked && s->fd_watched[fd])
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
    else if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST)
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
    if (tracked)
        s->fd_watched[fd] = 1;
}

static int open_database(mon_scheduler *s, const char *database_url)
{
    int rc, pending = 0;
    if ((rc = mon_store_open(&s->store, database_url)) != MON_OK)
        return rc;
    if ((rc = mon_store_migrations_pending(s->store, &pending)) != MON_OK)
        return rc;
    if (pending)
        return mon__error(MON_EVERSION, "database_url",
                          "the schema is not current: %d migration(s) pending (run mon_store_migrate)",
                          pending);
    return MON_OK;
}

static int setup(mon_scheduler *s, const char *database_url, const mon_scheduler_options *o)
{
    mon_checker_options copts = MON_CHECKER_OPTIONS_INIT;
    struct epoll_event ev = {0};
    int rc;

    if (o->checker)
        copts = *o->checker;
    s->max_in_flight = copts.max_in_flight;
    s->owner = o->owner ? strdup(o->owner) : default_owner();
    if (!s->owner)
        return mon__error_nomem();
    s->opt.owner = s->owner;
    snprintf(s->margin_text, sizeof(s->margin_text), "%.3f", o->lease_margin_ms / 1000.0);
    if ((rc = mon__ring_init(&s->ring, o->buffer_capacity)) != MON_OK)
        return rc;
    if ((rc = mon_checker_new(&s->checker, &copts)) != MON_OK)
        return rc;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->epfd < 0 || s->wakefd < 0)
        return mon__error(MON_EIO, NULL, "cannot create the event descriptors: %s", strerror(errno));
    ev.events = EPOLLIN;
    ev.data.fd = s->wakefd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev) != 0)
        return mon__error(MON_EIO, NULL, "cannot watch the wake-up descriptor: %s", strerror(errno));
    if ((rc = mon_checker_set_socket_callback(s->checker, on_socket, s)) != MON_OK)
        return rc;
    if ((rc = open_database(s, database_url)) != MON_OK)
        return rc;
    return mon__sched_writer_start(s, database_url);
}

int mon_scheduler_new(mon_scheduler **out, const char *database_url, const mon_scheduler_options *options)
{
    mon_scheduler_options defaults = MON_SCHEDULER_OPTIONS_INIT;
    const mon_scheduler_options *o = options ? options : &defaults;
    mon_scheduler *s;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if ((rc = check_options(o)) != MON_OK)
        return rc;
    if (!(s = calloc(1, sizeof(*s))))
        return mon__error_nomem();
    s->opt = *o;
    s->opt.checker = NULL;
    s->epfd = s->wakefd = -1;
    atomic_init(&s->stop, 0);
    pthread_mutex_init(&s->lock, NULL);
    s->stats.version = MON_SCHEDULER_STATS_VERSION;
    s->stats.db_connected = 1;
    if ((rc = setup(s, database_url, o)) != MON_OK) {
        mon_scheduler_free(s);
        return rc;
    }
    *out = s;
    return MON_OK;
}

void mon_scheduler_free(mon_scheduler *s)
{
    if (!s)
        return;
    mon__sched_writer_stop(s);
    mon_checker_free(s->checker);
    while (s->claims)
        claim_free(s->claims);
    mon_store_close(s->store);
    mon__ring_free(&s->ring);
    mon__status_map_free(&s->seen);
    free(s->fd_watched);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->wakefd >= 0)
        close(s->wakefd);
    pthread_mutex_destroy(&s->lock);
    free(s->owner);
    free(s);
}

const char *mon_scheduler_owner(const mon_scheduler *s)
{
    return s ? s->owner : NULL;
}

void mon_scheduler_stop(mon_scheduler *s)
{
    uint64_t one = 1;
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    /* Wakes a step blocked in epoll_wait(); a full counter means it is awake anyway. */
    ssize_t n = write(s->wakefd, &one, sizeof(one));
    (void)n;
}

static double now_epoch_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static void record_lag(mon_scheduler *s, double lag_ms)
{
    pthread_mutex_lock(&s->lock);
    s->lags[s->lag_next] = lag_ms;
    s->lag_next = (s->lag_next + 1) % MON__LAG_SAMPLES;
    if (s->lag_count < MON__LAG_SAMPLES)
        s->lag_count++;
    s->stats.claimed++;
    s->stats.in_flight = ++s->in_flight;
    pthread_mutex_unlock(&s->lock);
}

static void on_result(mon_checker *checker, const mon_check_result *result, void *payload)
{
    struct mon__claim *c = payload;
    mon_scheduler *s = c->s;
    mon_check_record record = MON_CHECK_RECORD_INIT;
    (void)checker;

    /* A result that cannot be kept (out of memory) is lost: counted, not silent. */
    int kept = mon_check_result_to_record(&record, result) == MON_OK &&
               mon__sched_buffer_result(s, &record) == MON_OK;
    /* Without the entry (out of memory) a change may be reported twice: harmless. */
    mon__status_remember(&s->seen, result->endpoint_id, result->status, result->checked_at);
    pthread_mutex_lock(&s->lock);
    s->stats.dropped += !kept;
    s->stats.checks_done++;
    s->stats.in_flight = --s->in_flight;
    pthread_mutex_unlock(&s->lock);
    if (s->opt.on_status && result->status != c->old_status)
        s->opt.on_status(s, c->ep, c->old_status, result->status, result, s->opt.status_payload);
    claim_free(c);
}

/* A claimed row that does not make a valid endpoint (another client wrote
 * values outside the model's bounds) is recorded as UNKNOWN with the reason,
 * so the problem shows in the history instead of the endpoint going quiet. */
static void record_invalid(mon_scheduler *s, const char *id)
{
    mon_check_record record = MON_CHECK_RECORD_INIT;
    char message[300];
    snprintf(message, sizeof(message), "endpoint cannot be checked: %s", mon_error_last());
    snprintf(record.endpoint_id, sizeof(record.endpoint_id), "%s", id);
    record.error_message = message;
    record.checked_at = mon__time_now();
    mon__sched_buffer_result(s, &record);
}

/* Start the check of claimed row `row`. */
static void start_claimed(mon_scheduler *s, const PGresult *res, int row)
{
    struct mon__claim *c = calloc(1, sizeof(*c));
    mon_status old = MON_STATUS_UNKNOWN;
    mon_time old_at = 0;
    int rc;

    if (!c)
        return;
    c->s = s;
    if (!PQgetisnull(res, row, 2)) {
        mon_status_parse(&old, PQgetvalue(res, row, 2));
        old_at = PQgetisnull(res, row, 3) ? 0 : strtoll(PQgetvalue(res, row, 3), NULL, 10);
    }
    if ((rc = mon_endpoint_from_json(&c->ep, PQgetvalue(res, row, 1))) != MON_OK) {
        /* The id is the first member of the JSON object json_build_object made. */
        const char *id = strstr(PQgetvalue(res, row, 1), "\"id\"");
        char uuid[37] = "";
        if (id && sscanf(id, "\"id\" : \"%36[0-9a-f-]\"", uuid) == 1)
            record_invalid(s, uuid);
        free(c);
        return;
    }
    c->old_status = mon__status_seen(&s->seen, mon_endpoint_get_id(c->ep), old, old_at);
    if (mon_checker_submit(s->checker, c->ep, on_result, c) != MON_OK) {
        mon_endpoint_free(c->ep);
        free(c);
        return;
    }
    c->next = s->claims;
    if (s->claims)
        s->claims->prev = c;
    s->claims = c;
    record_lag(s, now_epoch_ms() - strtod(PQgetvalue(res, row, 0), NULL));
}

/* Claim what is due (as many as the in-flight cap allows) and start it. */
static void claim_due(mon_scheduler *s, int64_t now)
{
    int room = s->max_in_flight - (int)s->in_flight;
    int limit = room < s->opt.claim_batch ? room : s->opt.claim_batch;
    char limit_text[16];
    int rc, rows;

    s->next_claim_ms = now + s->opt.poll_interval_ms;
    if (limit <= 0)
        return;
    snprintf(limit_text, sizeof(limit_text), "%d", limit);
    const char *params[3] = {s->owner, limit_text, s->margin_text};
    PGresult *res = mon__store_exec(s->store, "claim due endpoints", CLAIM_SQL, 3, params, 0, &rc);
    mon__sched_db_outcome(s, &s->claim_backoff, res ? MON_OK : rc);
    if (!res)
        return;
    rows = PQntuples(res);
    for (int i = 0; i < rows; i++)
        start_claimed(s, res, i);
    PQclear(res);
    /* A full batch means more may be due right now. */
    if (rows == limit && limit == s->opt.claim_batch)
        s->next_claim_ms = now;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}
static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* One round: claim (unless draining), wait for I/O at most timeout_ms, drive
 * the checker. Results go to the writer thread. */
static int step_once(mon_scheduler *s, int timeout_ms)
{
    struct epoll_event events[EVENTS_PER_WAIT];
    int64_t now = mon__sched_now_ms(), wait = timeout_ms;
    int rc = MON_OK, n;

    if (!s->draining && now >= s->next_claim_ms && now >= s->claim_backoff.retry_at)
        claim_due(s, now);

    /* A claim waits for its time and for the end of a backoff. */
    if (!s->draining)
        wait = min64(wait, max64(s->next_claim_ms, s->claim_backoff.retry_at) - now);
    long checker_wait = mon_checker_timeout_ms(s->checker);
    if (checker_wait >= 0)
        wait = min64(wait, checker_wait);
    if (wait < 0)
        wait = 0;

    n = epoll_wait(s->epfd, events, EVENTS_PER_WAIT, (int)wait);
    for (int i = 0; i < n && rc == MON_OK; i++) {
        int fd = events[i].data.fd;
        if (fd == s->wakefd) {
            uint64_t count;
            ssize_t got = read(s->wakefd, &count, sizeof(count));
            (void)got;
            continue;
        }
        int flags = (events[i].events & EPOLLIN ? MON_POLL_IN : 0) |
                    (events[i].events & EPOLLOUT ? MON_POLL_OUT : 0) |
                    (events[i].events & (EPOLLERR | EPOLLHUP) ? MON_POLL_ERR : 0);
        rc = mon_checker_process(s->checker, fd, flags);
    }
    if (rc == MON_OK && mon_checker_timeout_ms(s->checker) == 0)
        rc = mon_checker_process(s->checker, MON_CHECKER_TIMEOUT, 0);
    return rc;
}

int mon_scheduler_step(mon_scheduler *s, int timeout_ms)
{
    if (!s)
        return mon__error(MON_EINVAL, "scheduler", "must not be NULL");
    if (atomic_load(&s->stop))
        return MON_ECANCELED;
    if (timeout_ms < 0)
        return mon__error(MON_EINVAL, "timeout_ms", "must not be negative");
    return step_once(s, timeout_ms);
}

int mon_scheduler_drain(mon_scheduler *s, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : mon__sched_now_ms() + timeout_ms;
    int rc = MON_OK;

    if (!s)
        return mon__error(MON_EINVAL, "scheduler", "must not be NULL");
    s->draining = 1;
    /* Results go out as soon as the database takes them. */
    mon__sched_flush_now(s, 1);
    for (;;) {
        int64_t now = mon__sched_now_ms();
        if ((!s->in_flight && mon__sched_results_idle(s)) || now >= deadline || rc != MON_OK)
            break;
        rc = step_once(s, (int)min64(100, deadline - now));
    }
    mon__sched_flush_now(s, 0);
    s->draining = 0;
    if (rc != MON_OK)
        return rc;
    if (s->in_flight || !mon__sched_results_idle(s)) {
        mon_scheduler_stats st;
        mon_scheduler_stats_get(&st, s);
        return mon__error(MON_ETIMEOUT, NULL,
                          "%zu check(s) in flight and %zu result(s) unwritten after %d ms", s->in_flight,
                          st.buffered, timeout_ms);
    }
    return MON_OK;
}

int mon_scheduler_run(mon_scheduler *s, int drain_timeout_ms)
{
    int rc;
    if (!s)
        return mon__error(MON_EINVAL, "scheduler", "must not be NULL");
    while ((rc = mon_scheduler_step(s, 1000)) == MON_OK)
        ;
    if (rc != MON_ECANCELED)
        return rc;
    return mon_scheduler_drain(s, drain_timeout_ms);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int mon_scheduler_stats_get(mon_scheduler_stats *out, mon_scheduler *s)
{
    double *sorted;
    size_t n;

    if (!out || !s)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    if (!(sorted = malloc(sizeof(s->lags))))
        return mon__error_nomem();
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    n = s->lag_count;
    memcpy(sorted, s->lags, n * sizeof(*sorted));
    pthread_mutex_unlock(&s->lock);
    out->lag_p50_ms = out->lag_p99_ms = -1;
    if (n) {
        qsort(sorted, n, sizeof(*sorted), compare_double);
        out->lag_p50_ms = sorted[(size_t)floor(0.50 * (double)(n - 1))];
        out->lag_p99_ms = sorted[(size_t)floor(0.99 * (double)(n - 1))];
    }
    free(sorted);
    return MON_OK;
}
