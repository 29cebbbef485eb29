/*
 * monitorage-checkd: the checker daemon. Runs one scheduler replica (any
 * number may run against the same database) until SIGTERM or SIGINT, then
 * lets the checks in flight finish, writes their results and exits 0.
 *
 * Configuration is from the environment only (docs/scheduler.md):
 *   DATABASE_URL                     required; never printed
 *   MONITORAGE_REPLICA_ID            lease owner name (default <host>:<pid>)
 *   MONITORAGE_MIGRATE=1             apply pending migrations instead of refusing to start
 *   MONITORAGE_MAX_IN_FLIGHT         checks running at once (default 1000)
 *   MONITORAGE_BATCH_SIZE            results per write (default 500)
 *   MONITORAGE_FLUSH_INTERVAL_MS     longest wait before results are written (default 1000)
 *   MONITORAGE_BUFFER_CAPACITY       results kept while the database is down (default 100000)
 *   MONITORAGE_CLAIM_BATCH           endpoints per claim query (default 500)
 *   MONITORAGE_POLL_INTERVAL_MS      pause between claims when nothing is due (default 100)
 *   MONITORAGE_LEASE_MARGIN_MS       lease beyond timeout x (retries + 1) (default 10000)
 *   MONITORAGE_DRAIN_TIMEOUT_MS      how long a stop waits for checks and writes (default 30000)
 *
 * Output: one line per status change on stdout,
 *   <time> <endpoint name> <old> -> <new> <error message>
 * and start/stop/error lines on stderr. Endpoint headers may hold keys and
 * are never printed.
 */
#include <monitorage/monitorage.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static mon_scheduler *running;

static void on_signal(int sig)
{
    (void)sig;
    mon_scheduler_stop(running);
}

static void format_now(char *out, size_t size)
{
    struct timeval tv;
    struct tm tm;
    size_t len;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    len = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + len, size - len, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
}

static void on_status(mon_scheduler *s, const mon_endpoint *ep, mon_status old_status, mon_status new_status,
                      const mon_check_result *result, void *payload)
{
    char now[48];
    (void)s;
    (void)payload;
    format_now(now, sizeof(now));
    printf("%s %s %s -> %s%s%s\n", now, mon_endpoint_get_name(ep), mon_status_name(old_status),
           mon_status_name(new_status), result->error_message ? " " : "",
           result->error_message ? result->error_message : "");
}

/* Read an integer variable into *out when set; 0 on success, -1 (message printed) when malformed. */
static int env_int(const char *name, long min, long max, long *out)
{
    const char *text = getenv(name);
    char *end;
    long value;
    if (!text || !*text)
        return 0;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno || *end || value < min || value > max) {
        fprintf(stderr, "monitorage-checkd: %s must be an integer %ld..%ld\n", name, min, max);
        return -1;
    }
    *out = value;
    return 0;
}

static int check_schema(const char *url)
{
    mon_store *store = NULL;
    int rc, pending = 0, applied = 0;
    const char *migrate = getenv("MONITORAGE_MIGRATE");

    if ((rc = mon_store_open(&store, url)) != MON_OK) {
        fprintf(stderr, "monitorage-checkd: cannot connect to the database: %s\n", mon_error_last());
        return -1;
    }
    rc = mon_store_migrations_pending(store, &pending);
    if (rc == MON_OK && pending && migrate && strcmp(migrate, "1") == 0) {
        if ((rc = mon_store_migrate(store, &applied)) == MON_OK)
            fprintf(stderr, "monitorage-checkd: applied %d migration(s)\n", applied);
    } else if (rc == MON_OK && pending) {
        fprintf(stderr,
                "monitorage-checkd: the database schema is not current (%d migration(s) pending);"
                " apply them (monitoragectl migrate) or start with MONITORAGE_MIGRATE=1\n",
                pending);
        mon_store_close(store);
        return -1;
    }
    if (rc != MON_OK)
        fprintf(stderr, "monitorage-checkd: schema check failed: %s\n", mon_error_last());
    mon_store_close(store);
    return rc == MON_OK ? 0 : -1;
}

int main(void)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_checker_options copts = MON_CHECKER_OPTIONS_INIT;
    mon_scheduler_stats st;
    struct sigaction sa;
    const char *url = getenv("DATABASE_URL");
    long in_flight = copts.max_in_flight, batch = opts.batch_size, flush = opts.flush_interval_ms;
    long capacity = (long)opts.buffer_capacity, claim = opts.claim_batch, poll = opts.poll_interval_ms;
    long margin = opts.lease_margin_ms, drain = 30000;
    int rc;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!url || !*url) {
        fprintf(stderr, "monitorage-checkd: DATABASE_URL must be set\n");
        return 2;
    }
    if (env_int("MONITORAGE_MAX_IN_FLIGHT", 1, 100000, &in_flight) ||
        env_int("MONITORAGE_BATCH_SIZE", 1, 10000, &batch) ||
        env_int("MONITORAGE_FLUSH_INTERVAL_MS", 10, 60000, &flush) ||
        env_int("MONITORAGE_BUFFER_CAPACITY", 1, 10000000, &capacity) ||
        env_int("MONITORAGE_CLAIM_BATCH", 1, 10000, &claim) ||
        env_int("MONITORAGE_POLL_INTERVAL_MS", 10, 10000, &poll) ||
        env_int("MONITORAGE_LEASE_MARGIN_MS", 0, 3600000, &margin) ||
        env_int("MONITORAGE_DRAIN_TIMEOUT_MS", 0, INT_MAX, &drain))
        return 2;
    copts.max_in_flight = (int)in_flight;
    opts.owner = getenv("MONITORAGE_REPLICA_ID") && *getenv("MONITORAGE_REPLICA_ID")
                     ? getenv("MONITORAGE_REPLICA_ID")
                     : NULL;
    opts.batch_size = (int)batch;
    opts.flush_interval_ms = (int)flush;
    opts.buffer_capacity = (size_t)capacity;
    opts.claim_batch = (int)claim;
    opts.poll_interval_ms = (int)poll;
    opts.lease_margin_ms = (int)margin;
    opts.checker = &copts;
    opts.on_status = on_status;

    if (mon_global_init() != MON_OK) {
        fprintf(stderr, "monitorage-checkd: library initialisation failed: %s\n", mon_error_last());
        return 1;
    }
    if (check_schema(url) != 0) {
        mon_global_cleanup();
        return 1;
    }
    if ((rc = mon_scheduler_new(&running, url, &opts)) != MON_OK) {
        fprintf(stderr, "monitorage-checkd: %s: %s\n", mon_strerror(rc), mon_error_last());
        mon_global_cleanup();
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    fprintf(stderr, "monitorage-checkd %s: replica %s started\n", mon_version(),
            mon_scheduler_owner(running));
    rc = mon_scheduler_run(running, (int)drain);
    mon_scheduler_stats_get(&st, running);
    fprintf(stderr,
            "monitorage-checkd: stopped: %llu checks, %llu results written, %zu unwritten, %llu dropped"
            " (buffer full), %llu discarded (endpoint deleted), %llu rejected (invalid)\n",
            (unsigned long long)st.checks_done, (unsigned long long)st.results_written, st.buffered,
            (unsigned long long)st.dropped, (unsigned long long)st.discarded,
            (unsigned long long)st.rejected);
    if (st.db_failures)
        fprintf(stderr, "monitorage-checkd: %llu database failure(s), the last: %s\n",
                (unsigned long long)st.db_failures, st.last_db_error);
    if (rc != MON_OK)
        fprintf(stderr, "monitorage-checkd: %s: %s\n", mon_strerror(rc), mon_error_last());
    mon_scheduler_free(running);
    mon_global_cleanup();
    return rc == MON_OK ? 0 : 1;
}
