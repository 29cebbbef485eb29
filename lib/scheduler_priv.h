#ifndef MON_LIB_SCHEDULER_PRIV_H
#define MON_LIB_SCHEDULER_PRIV_H

/* Internals of the scheduler shared by scheduler.c (claims, checks, loop)
 * and scheduler_results.c (result buffer, batched writes, lease release).
 * Never installed. */

#include "monitorage/scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Results waiting to be written: a ring of records, oldest first. Each
 * record's error_message is owned by the ring. */
struct mon__result_ring {
    mon_check_record *items;
    size_t capacity, head, count;
};

/* Number of recent lags kept for the percentiles of the stats. */
#define MON__LAG_SAMPLES 8192

struct mon_scheduler {
    mon_store *store;
    mon_checker *checker;
    mon_scheduler_options opt; /* copy; opt.owner points at owner, opt.checker is NULL */
    char *owner;
    int max_in_flight;
    int epfd;   /* epoll set: the checker's sockets and stopfd */
    int stopfd; /* eventfd written by mon_scheduler_stop() */
    atomic_int stop;
    int draining;
    char margin_text[32]; /* lease margin in seconds, a query parameter */

    int64_t next_claim_ms; /* monotonic times */
    int64_t next_flush_ms;
    int64_t db_retry_ms; /* no database round trip before this (backoff) */
    int backoff_ms;

    struct mon__result_ring ring;
    struct mon__claim *claims; /* checks in flight (scheduler.c) */
    size_t in_flight;

    /* Counters, read by mon_scheduler_stats_get() from any thread. */
    pthread_mutex_t lock;
    mon_scheduler_stats stats;
    double lags[MON__LAG_SAMPLES];
    size_t lag_count, lag_next;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t mon__sched_now_ms(void);

int mon__ring_init(struct mon__result_ring *ring, size_t capacity);
void mon__ring_free(struct mon__result_ring *ring);

/* Add a copy of record (its error message copied), dropping the oldest when
 * full (counted in the stats). MON_ENOMEM when the copy fails. */
int mon__sched_buffer_result(mon_scheduler *s, const mon_check_record *record);

/* Write buffered results in batches of batch_size while there are any and
 * the database answers; then release the leases of the written endpoints.
 * A database failure is recorded (stats, backoff) and returned. */
int mon__sched_flush(mon_scheduler *s);

/* A database round trip failed (rc) or succeeded (MON_OK): update the
 * backoff and the stats. */
void mon__sched_db_outcome(mon_scheduler *s, int rc);

#endif
