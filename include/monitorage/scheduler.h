/**
 * @file scheduler.h
 * @brief The scheduler: checks every enabled endpoint once per check_interval,
 *        shared by any number of replicas through PostgreSQL, results written
 *        in batches and buffered while the database is unreachable.
 *
 * Each endpoint has slots check_interval seconds apart, shifted by an offset
 * derived from its id (the same on every replica) so that endpoints sharing
 * an interval are spread over it. A scheduler claims the endpoints whose slot
 * has come (SELECT ... FOR UPDATE SKIP LOCKED) with a lease of
 * timeout x (retries + 1) + lease_margin_ms; the claim moves the endpoint to
 * its next slot, so each slot is checked by one replica only. A replica that
 * dies leaves its leases to expire; the other replicas then claim the
 * endpoints at their next slot. Scheduling state lives in the
 * endpoint_schedule table (migration 006), kept in sync with endpoints by a
 * trigger: disabled endpoints are never claimed, a new interval takes effect
 * within one interval, other edits at the next check.
 *
 * Results are written with mon_store_history_insert() in batches (every
 * flush_interval_ms or batch_size results) by a writer thread of the
 * scheduler on its own connection, so writes never delay claims. While the
 * database cannot be reached they wait in a buffer of buffer_capacity
 * results (plus the batch being written) and are written when it comes
 * back (reconnecting with exponential backoff); when the buffer is full the
 * oldest results are dropped and counted in mon_scheduler_stats::dropped.
 * docs/scheduler.md has the details.
 *
 * Thread safety: a scheduler is driven by one thread at a time
 * (mon_scheduler_run(), mon_scheduler_step(), mon_scheduler_drain(); the
 * status callback runs on that thread). mon_scheduler_stop() may be called
 * from any thread and from a signal handler; mon_scheduler_stats_get() from
 * any thread. mon_global_init() must have been called first.
 */
#ifndef MONITORAGE_SCHEDULER_H
#define MONITORAGE_SCHEDULER_H

#include "common.h"
#include "checker.h"
#include "endpoint.h"
#include "store.h"

MON_BEGIN_DECLS

/** A scheduler (opaque). */
typedef struct mon_scheduler mon_scheduler;

/**
 * Called on the driving thread when a check's status differs from the
 * endpoint's latest recorded status (MON_STATUS_UNKNOWN when it was never
 * checked). ep and result are borrowed for the call. Meant for logging; it
 * must not drive or free the scheduler. Headers of ep may hold credentials:
 * do not log them.
 */
typedef void (*mon_scheduler_status_cb)(mon_scheduler *scheduler, const mon_endpoint *ep,
                                        mon_status old_status, mon_status new_status,
                                        const mon_check_result *result, void *payload);

/** Options of mon_scheduler_new(). */
typedef struct mon_scheduler_options {
    unsigned int version; /**< MON_SCHEDULER_OPTIONS_VERSION */
    const char
        *owner;     /**< replica name stored in lease_owner, 1..100 bytes; NULL for "<host>:<pid>"; copied */
    int batch_size; /**< results per write, 1..10000 (default 500) */
    int flush_interval_ms;  /**< longest wait before buffered results are written, 10..60000 (default 1000) */
    size_t buffer_capacity; /**< results held while they cannot be written, 1..10000000 (default 100000) */
    int claim_batch;        /**< endpoints per claim query, 1..10000 (default 500) */
    int poll_interval_ms;   /**< pause between claims when nothing more is due, 10..10000 (default 100) */
    int lease_margin_ms;    /**< added to timeout x (retries + 1) for the lease, 0..3600000 (default 10000) */
    int reconnect_max_ms;   /**< longest backoff between reconnection attempts, 100..300000 (default 30000) */
    const mon_checker_options *checker; /**< NULL for the defaults; its max_in_flight caps checks in flight */
    mon_scheduler_status_cb on_status;  /**< NULL for none */
    void *status_payload;               /**< given to on_status */
} mon_scheduler_options;

/** Current version of mon_scheduler_options. */
#define MON_SCHEDULER_OPTIONS_VERSION 1
/** Static initialiser of mon_scheduler_options with every default. */
#define MON_SCHEDULER_OPTIONS_INIT                                                                           \
    {                                                                                                        \
        MON_SCHEDULER_OPTIONS_VERSION, NULL, 500, 1000, 100000, 500, 100, 10000, 30000, NULL, NULL, NULL     \
    }

/** Initialise options like MON_SCHEDULER_OPTIONS_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_scheduler_options_init(mon_scheduler_options *options, unsigned int version);

/** Counters of a scheduler since it was created. */
typedef struct mon_scheduler_stats {
    unsigned int version;     /**< MON_SCHEDULER_STATS_VERSION */
    uint64_t claimed;         /**< endpoints claimed (checks started) */
    uint64_t checks_done;     /**< checks finished (results produced) */
    uint64_t results_written; /**< results written to health_history */
    uint64_t dropped;         /**< oldest results dropped because the buffer was full */
    uint64_t discarded;       /**< results not written because their endpoint was deleted meanwhile */
    uint64_t db_failures;     /**< claims or writes that failed (database unreachable or refusing) */
    size_t buffered;          /**< results waiting to be written now */
    size_t in_flight;         /**< checks claimed and not finished */
    int db_connected;         /**< 1 when the last database round trip succeeded */
    double lag_p50_ms;        /**< delay between a slot and the start of its check, median of */
    double lag_p99_ms;        /**<  the last 8192 checks, and 99th percentile; -1 before any */
    uint64_t rejected;        /**< results the store refused as invalid (written one by one, these skipped) */
    char last_db_error[256];  /**< detail of the last failed claim or write ("" when none); no secrets */
} mon_scheduler_stats;

/** Current version of mon_scheduler_stats. */
#define MON_SCHEDULER_STATS_VERSION 1

/**
 * Create a scheduler working on the database at database_url (the
 * scheduler keeps two connections of its own, one for claims and one for its
 * writer thread, started here; the database must be reachable now and its
 * schema current: MON_EVERSION otherwise, see mon_store_migrations_pending()).
 * options NULL for the defaults. Nothing is claimed until the scheduler is
 * driven. Free with mon_scheduler_free(). MON_EINVAL names a bad option,
 * MON_ECONN when the database is unreachable.
 */
MON_EXTERN int mon_scheduler_new(mon_scheduler **out, const char *database_url,
                                 const mon_scheduler_options *options);

/**
 * Free the scheduler (its writer thread is stopped and joined). Checks in
 * flight are abandoned and results not yet written are lost (their leases
 * expire on their own): call
 * mon_scheduler_drain() first for a clean stop. NULL is a no-op.
 */
MON_EXTERN void mon_scheduler_free(mon_scheduler *scheduler);

/**
 * Claim due endpoints, drive the checks and write results until
 * mon_scheduler_stop(), then drain (mon_scheduler_drain() with
 * drain_timeout_ms, -1 for no limit). Returns MON_OK when every result was
 * written, MON_ETIMEOUT when some were still buffered at the deadline
 * (counted in mon_scheduler_stats::buffered), MON_ENET on a checker failure.
 */
MON_EXTERN int mon_scheduler_run(mon_scheduler *scheduler, int drain_timeout_ms);

/**
 * One round for programs with their own loop: claim what is due, wait for
 * check I/O at most timeout_ms (0: do not wait), deliver finished checks and
 * write results when a batch is due. Returns MON_OK (database failures are
 * handled inside: see the stats), MON_ECANCELED once mon_scheduler_stop()
 * was called, MON_ENET on a checker failure.
 */
MON_EXTERN int mon_scheduler_step(mon_scheduler *scheduler, int timeout_ms);

/**
 * Stop claiming, let the checks in flight finish, write every buffered
 * result and release this replica's leases, waiting at most timeout_ms (-1:
 * no limit). MON_OK when nothing is left, MON_ETIMEOUT otherwise.
 */
MON_EXTERN int mon_scheduler_drain(mon_scheduler *scheduler, int timeout_ms);

/**
 * Ask mon_scheduler_run() to stop (it drains and returns) and
 * mon_scheduler_step() to return MON_ECANCELED. Async-signal-safe and
 * callable from any thread.
 */
MON_EXTERN void mon_scheduler_stop(mon_scheduler *scheduler);

/** Copy the counters into *out (every field; version is MON_SCHEDULER_STATS_VERSION). Any thread. */
MON_EXTERN int mon_scheduler_stats_get(mon_scheduler_stats *out, mon_scheduler *scheduler);

/** The replica name used as lease owner; borrowed, valid until the scheduler is freed. */
MON_EXTERN const char *mon_scheduler_owner(const mon_scheduler *scheduler);

MON_END_DECLS

#endif
