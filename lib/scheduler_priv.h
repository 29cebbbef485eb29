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

/* Exponential backoff of one thread's database round trips. */
struct mon__backoff {
    int ms;           /* current delay, 0 after a success */
    int64_t retry_at; /* monotonic ms: no round trip before this */
};

/* The latest status this replica saw per endpoint (scheduler_status.c):
 * an open-addressing table keyed by the endpoint's UUID. Used on the
 * driving thread only. */
struct mon__status_entry {
    uint64_t hi, lo;     /* the UUID's 128 bits */
    mon_time checked_at; /* 0: free slot */
    mon_status status;
};
struct mon__status_map {
    struct mon__status_entry *slots;
    size_t capacity, count; /* capacity 0 or a power of two */
};

struct mon_scheduler {
    mon_store *store; /* claims, on the driving thread */
    mon_checker *checker;
    mon_scheduler_options opt; /* copy; opt.owner points at owner, opt.checker is NULL */
    char *owner;
    int max_in_flight;
    int epfd;                  /* epoll set: the checker's sockets and wakefd */
    int wakefd;                /* eventfd written by mon_scheduler_stop() and by the writer during a drain */
    unsigned char *fd_watched; /* 1 for the checker's sockets in the epoll set, by descriptor */
    size_t fd_cap;
    atomic_int stop;
    int draining;
    char margin_text[32]; /* lease margin in seconds, a query parameter */

    int64_t next_claim_ms; /* monotonic time */
    struct mon__backoff claim_backoff;
    struct mon__claim *claims; /* checks in flight (scheduler.c) */
    size_t in_flight;
    struct mon__status_map seen;

    /* The writer thread (scheduler_results.c) with its own connection: it
     * takes batches out of the ring and writes them, so that slow writes
     * never delay claims. */
    pthread_t writer;
    int writer_started;
    mon_store *wstore;
    mon_check_record *wbatch; /* the batch being written, batch_size records */
    const mon_check_record **wptrs;
    pthread_cond_t wcond; /* signalled when the writer has something to do */

    /* Under lock: the ring, the writer's state, the counters (read by
     * mon_scheduler_stats_get() from any thread). */
    pthread_mutex_t lock;
    struct mon__result_ring ring;
    size_t writing;        /* records taken out of the ring by the writer */
    int64_t next_flush_ms; /* monotonic: write even a partial batch from then on */
    int flush_now;         /* a drain wants everything written at once */
    int writer_quit;
    mon_scheduler_stats stats;
    double lags[MON__LAG_SAMPLES];
    size_t lag_count, lag_next;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t mon__sched_now_ms(void);

int mon__ring_init(struct mon__result_ring *ring, size_t capacity);
void mon__ring_free(struct mon__result_ring *ring);

/* Add a copy of record (its error message copied), dropping the oldest when
 * full (counted in the stats), and wake the writer when a batch is due.
 * MON_ENOMEM when the copy fails. Any thread. */
int mon__sched_buffer_result(mon_scheduler *s, const mon_check_record *record);

/* Start the writer thread on its own connection to database_url. */
int mon__sched_writer_start(mon_scheduler *s, const char *database_url);

/* Stop the writer (what it has not written is lost) and close its connection. */
void mon__sched_writer_stop(mon_scheduler *s);

/* 1 when no result is waiting or being written. */
int mon__sched_results_idle(mon_scheduler *s);

/* Ask the writer to write everything now (a drain), or no longer (flush 0). */
void mon__sched_flush_now(mon_scheduler *s, int flush);

/* A database round trip of the thread owning b failed (rc) or succeeded
 * (MON_OK): update its backoff and the stats. */
void mon__sched_db_outcome(mon_scheduler *s, struct mon__backoff *b, int rc);

/* The status of the newest check of the endpoint with UUID id known here,
 * given the database's latest (db_status checked at db_at, 0 for none):
 * this replica's own result when it is newer (not yet written), else the
 * database's, which then supersedes the entry. */
mon_status mon__status_seen(struct mon__status_map *map, const char *id, mon_status db_status,
                            mon_time db_at);

/* Remember the status of a check of endpoint id at checked_at (the newest
 * wins). MON_ENOMEM when the table cannot grow (the entry is not kept). */
int mon__status_remember(struct mon__status_map *map, const char *id, mon_status status, mon_time checked_at);

void mon__status_map_free(struct mon__status_map *map);

#endif
