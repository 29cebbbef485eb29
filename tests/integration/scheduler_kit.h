#ifndef MONITORAGE_TEST_SCHEDULER_KIT_H
#define MONITORAGE_TEST_SCHEDULER_KIT_H

/*
 * Shared set-up of the scheduler suites (tests/integration/test_scheduler*.c):
 * a fresh migrated database per test, the checker's target stub
 * (tests/stubs/targets.py) on 127.0.0.1, endpoints inserted in bulk by SQL
 * (as any client of the schema could), schedulers run on threads.
 */

#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"
#include "stubproc.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every kit endpoint sends this header: it must never appear in logs. */
#define KIT_SECRET "kit-secret-7f3a9c"

static char kit_url[1024];
static struct stubproc kit_target;

static inline void kit_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static inline void kit_setup(const char *suite)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/targets.py"), NULL};
    mon_store *store = NULL;
    snprintf(kit_url, sizeof(kit_url), "%s", pgtest_fresh_database(suite));
    ck_assert_int_eq(mon_store_open(&store, kit_url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    mon_store_close(store);
    stubproc_start(&kit_target, argv);
}

static inline void kit_teardown(void)
{
    stubproc_stop(&kit_target);
}

/* Insert count endpoints named "<prefix><i>" (i from 1) checking the target's
 * path every interval s with timeout_ms and retries. */
static inline void kit_add_endpoints(int count, const char *prefix, const char *path, int interval,
                                     int timeout_ms, int retries)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO endpoints (name, type, url, check_interval, timeout, retries, headers)"
             " SELECT '%s' || i, 'APIM', 'http://127.0.0.1:%d%s', %d, %d, %d, '{\"X-Api-Key\": \"%s\"}'"
             " FROM generate_series(1, %d) i",
             prefix, kit_target.port, path, interval, timeout_ms, retries, KIT_SECRET, count);
    pgtest_exec(kit_url, sql);
}

/* Make every scheduled endpoint due now (instead of within one interval). */
static inline void kit_all_due_now(void)
{
    pgtest_exec(kit_url, "UPDATE endpoint_schedule SET next_check_at = now()");
}

static inline mon_scheduler *kit_scheduler(const char *url, const char *owner, mon_scheduler_options *opts)
{
    mon_scheduler_options defaults = MON_SCHEDULER_OPTIONS_INIT;
    mon_scheduler *s = NULL;
    if (!opts)
        opts = &defaults;
    opts->owner = owner;
    if (mon_scheduler_new(&s, url, opts) != MON_OK)
        ck_abort_msg("mon_scheduler_new: %s", mon_error_last());
    return s;
}

/* A scheduler run on its own thread until kit_join() (mon_scheduler_run). */
struct kit_runner {
    pthread_t thread;
    mon_scheduler *s;
    int drain_timeout_ms;
    int rc;
};

static inline void *kit_run(void *arg)
{
    struct kit_runner *r = arg;
    r->rc = mon_scheduler_run(r->s, r->drain_timeout_ms);
    return NULL;
}

static inline void kit_start(struct kit_runner *r, mon_scheduler *s)
{
    r->s = s;
    r->drain_timeout_ms = 20000;
    ck_assert_int_eq(pthread_create(&r->thread, NULL, kit_run, r), 0);
}

/* Stop the scheduler, wait for its drain; returns mon_scheduler_run()'s code. */
static inline int kit_join(struct kit_runner *r)
{
    mon_scheduler_stop(r->s);
    pthread_join(r->thread, NULL);
    return r->rc;
}

static inline mon_scheduler_stats kit_stats(mon_scheduler *s)
{
    mon_scheduler_stats st;
    ck_assert_int_eq(mon_scheduler_stats_get(&st, s), MON_OK);
    return st;
}

static inline long long kit_count(const char *sql)
{
    return pgtest_query_ll(kit_url, sql);
}

#endif
