/*
 * Scheduler benchmark, run by `scripts/bench scheduler [--seconds S] ...`
 * (tests/bench/scheduler_bench.sh starts the nginx target):
 *
 *   scheduler_bench DATABASE_URL TARGET_URL [--endpoints N] [--interval S]
 *                   [--seconds S] [--replicas R]
 *
 * Inserts N endpoints (default 100,000) checking TARGET_URL every S seconds
 * (default 60), runs R scheduler replicas (threads, default 1) for the given
 * time (default 180 s) and prints the checks/s achieved against the expected
 * N / S, the lag between each slot and the start of its check (p50, p99 of
 * each 5-second window: the median window and the worst), the history rows
 * written and the CPU time per check.
 */
#include <monitorage/monitorage.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_REPLICAS 8
#define WINDOW_S 5
#define WARMUP_S 3

struct replica {
    pthread_t thread;
    mon_scheduler *s;
    int rc;
};

static void *run(void *arg)
{
    struct replica *r = arg;
    r->rc = mon_scheduler_run(r->s, 30000);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sql(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "scheduler_bench: %s: %s", text, PQerrorMessage(conn));
        exit(1);
    }
    PQclear(res);
}

static long long sql_ll(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    long long v = PQresultStatus(res) == PGRES_TUPLES_OK ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return v;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    long endpoints = 100000, interval = 60, seconds = 180, replicas = 1;
    struct replica rep[MAX_REPLICAS];
    mon_checker_options copts = MON_CHECKER_OPTIONS_INIT;
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_store *store = NULL;
    char text[1024];
    double p50[512], p99[512];
    int windows = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: scheduler_bench DATABASE_URL TARGET_URL [--endpoints N] [--interval S]"
                        " [--seconds S] [--replicas R]\n");
        return 2;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        long v = atol(argv[i + 1]);
        if (!strcmp(argv[i], "--endpoints"))
            endpoints = v;
        else if (!strcmp(argv[i], "--interval"))
            interval = v;
        else if (!strcmp(argv[i], "--seconds"))
            seconds = v;
        else if (!strcmp(argv[i], "--replicas"))
            replicas = v;
        else {
            fprintf(stderr, "scheduler_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (endpoints < 1 || interval < 10 || seconds < WINDOW_S || replicas < 1 || replicas > MAX_REPLICAS ||
        seconds / WINDOW_S > 512) {
        fprintf(stderr, "scheduler_bench: bad option value\n");
        return 2;
    }
    if (mon_global_init() != MON_OK || mon_store_open(&store, argv[1]) != MON_OK ||
        mon_store_migrate(store, NULL) != MON_OK) {
        fprintf(stderr, "scheduler_bench: %s\n", mon_error_last());
        return 1;
    }
    mon_store_close(store);

    PGconn *conn = PQconnectdb(argv[1]);
    double t0 = now_s();
    snprintf(text, sizeof(text),
             "INSERT INTO endpoints (name, type, url, check_interval, timeout, retries)"
             " SELECT 'bench-' || i, 'APIM', '%s', %ld, 2000, 0 FROM generate_series(1, %ld) i",
             argv[2], interval, endpoints);
    sql(conn, text);
    sql(conn, "VACUUM ANALYZE endpoints");
    /* Slots that passed while inserting would all be late at the start:
     * begin with every slot at least WARMUP_S away (still on its grid), and
     * measure from then on. */
    snprintf(
        text, sizeof(text),
        "UPDATE endpoint_schedule s SET next_check_at = mon_schedule_next(s.endpoint_id, e.check_interval,"
        " now() + interval '%d seconds') FROM endpoints e WHERE e.id = s.endpoint_id",
        WARMUP_S);
    sql(conn, text);
    sql(conn, "VACUUM ANALYZE endpoint_schedule");
    printf("endpoints inserted: %ld in %.1f s (interval %ld s, slots spread over it)\n", endpoints,
           now_s() - t0, interval);

    copts.max_in_flight = 1000;
    opts.checker = &copts;
    for (long i = 0; i < replicas; i++) {
        char owner[32];
        snprintf(owner, sizeof(owner), "bench-%ld", i);
        opts.owner = owner;
        if (mon_scheduler_new(&rep[i].s, argv[1], &opts) != MON_OK) {
            fprintf(stderr, "scheduler_bench: %s\n", mon_error_last());
            return 1;
        }
        pthread_create(&rep[i].thread, NULL, run, &rep[i]);
    }

    struct timespec warmup = {WARMUP_S, 0};
    nanosleep(&warmup, NULL);
    double start = now_s(), cpu0 = cpu_seconds();
    uint64_t done0 = 0; /* checks of slots that fell in the warm-up are not counted */
    for (long i = 0; i < replicas; i++) {
        mon_scheduler_stats st;
        mon_scheduler_stats_get(&st, rep[i].s);
        done0 += st.checks_done;
    }
    for (long w = 0; w < seconds / WINDOW_S; w++) {
        struct timespec ts = {WINDOW_S, 0};
        nanosleep(&ts, NULL);
        for (long i = 0; i < replicas; i++) {
            mon_scheduler_stats st;
            mon_scheduler_stats_get(&st, rep[i].s);
            if (st.lag_p50_ms >= 0) {
                p50[windows] = st.lag_p50_ms;
                p99[windows] = st.lag_p99_ms;
                windows++;
            }
        }
    }
    double elapsed = now_s() - start;
    uint64_t done = 0, written = 0, dropped = 0, rejected = 0;
    for (long i = 0; i < replicas; i++) {
        mon_scheduler_stats st;
        mon_scheduler_stop(rep[i].s);
        pthread_join(rep[i].thread, NULL);
        mon_scheduler_stats_get(&st, rep[i].s);
        done += st.checks_done;
        written += st.results_written;
        dropped += st.dropped;
        rejected += st.rejected;
        if (st.db_failures)
            printf("replica %ld: %llu database failures, last: %s\n", i, (unsigned long long)st.db_failures,
                   st.last_db_error);
        mon_scheduler_free(rep[i].s);
    }
    double cpu = cpu_seconds() - cpu0;
    long long rows = sql_ll(conn, "SELECT count(*) FROM health_history");
    long long down = sql_ll(conn, "SELECT count(*) FROM health_history WHERE status <> 'UP'");
    long long twice =
        sql_ll(conn, "SELECT count(*) FROM (SELECT checked_at - lag(checked_at) OVER"
                     " (PARTITION BY endpoint_id ORDER BY checked_at) AS gap FROM health_history) x"
                     " WHERE gap < make_interval(secs => 0.9 * (SELECT min(check_interval)"
                     " FROM endpoints))");
    PQfinish(conn);

    double expected = (double)endpoints / (double)interval, rate = (double)(done - done0) / elapsed;
    printf("run: %.1f s, %ld replica(s), max 1000 checks in flight each\n", elapsed, replicas);
    printf("checks done: %llu, %llu of them in the measured run (%.0f checks/s, expected %.0f checks/s)\n",
           (unsigned long long)done, (unsigned long long)(done - done0), rate, expected);
    printf("history rows written: %lld (results written %llu, dropped %llu, rejected %llu, not UP %lld, "
           "checked twice within one interval %lld)\n",
           rows, (unsigned long long)written, (unsigned long long)dropped, (unsigned long long)rejected, down,
           twice);
    if (windows) {
        qsort(p50, (size_t)windows, sizeof(double), compare_double);
        qsort(p99, (size_t)windows, sizeof(double), compare_double);
        printf(
            "lag slot -> start, per %d s window: p50 median %.1f ms, p99 median %.1f ms, p99 worst %.1f ms\n",
            WINDOW_S, p50[windows / 2], p99[windows / 2], p99[windows - 1]);
    }
    printf("CPU (scheduler + checker, this process): %.1f s, %.0f us per check\n", cpu,
           done ? cpu * 1e6 / (double)done : 0.0);
    printf("scheduler checks/s vs expected: %.2f x\n", rate / expected);
    mon_global_cleanup();
    return 0;
}
