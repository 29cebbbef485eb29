/*
 * monitorage-checkd: the checker daemon. Runs one scheduler replica (any
 * number may run against the same database) until SIGTERM or SIGINT, then
 * lets the checks in flight finish, writes their results and exits 0.
 *
 * Configuration is from the environment only (docs/scheduler.md):
 *   DATABASE_URL                     required; never printed
 *   ENCRYPTION_KEY                   key of the stored connector credentials: TALEND endpoints
 *                                    send the TALEND connector's token (without it, a TALEND
 *                                    check with stored credentials is UNKNOWN)
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
 *   MONITORAGE_NOTIFY_INTERVAL_MS    pause of the notification dispatcher when its outbox has nothing
 *                                    due (default 1000; 0 turns notifications off in this replica)
 *   MONITORAGE_RETENTION_DAYS        delete history older than this many days, at start and hourly
 *                                    (default 0: keep everything; see docs/store.md, Retention)
 *   ENCRYPTION_KEY                   reads webhook secrets and connector credentials (notifications)
 *
 * Output: one line per status change on stdout,
 *   <time> <endpoint name> <old> -> <new> <error message>
 * and start/stop/error lines on stderr. A second thread dispatches the
 * notification outbox (mon_notify_dispatch, docs/notifications.md) and
 * prints a line on stderr for each pass that sent or failed something. Endpoint headers may hold keys and
 * are never printed.
 */
#include <monitorage/monitorage.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static mon_scheduler *running;
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    mon_scheduler_stop(running);
}

struct notify_loop {
    const char *url;
    long interval_ms;
    pthread_t thread;
};

struct retention_loop {
    const char *url;
    long days;
    pthread_t thread;
};

/*
 * History retention (mon_store_retention_apply): a pass at start, then hourly,
 * a minute after a failed one. Every replica runs it: a pass deletes in short
 * batches, so two at once only share the work.
 */
static void *retention_run(void *arg)
{
    struct retention_loop *loop = arg;
    mon_store *store = NULL;
    time_t next = 0;

    while (!stopping) {
        if (time(NULL) >= next) {
            int64_t deleted = 0;
            int rc = store ? MON_OK : mon_store_open(&store, loop->url);
            if (rc == MON_OK)
                rc = mon_store_retention_apply(store, (int64_t)loop->days * 86400, &deleted);
            if (rc != MON_OK)
                fprintf(stderr, "monitorage-checkd: retention: %s: %s\n", mon_strerror(rc), mon_error_last());
            else if (deleted > 0)
                fprintf(stderr, "monitorage-checkd: retention: %lld history rows older than %ld days deleted\n",
                        (long long)deleted, loop->days);
            next = time(NULL) + (rc == MON_OK ? 3600 : 60);
        }
        nanosleep(&(struct timespec){0, 200 * 1000000L}, NULL);
    }
    mon_store_close(store);
    return NULL;
}

/* The notification dispatcher: its own store and registry, until a stop. */
static void *notify_run(void *arg)
{
    struct notify_loop *loop = arg;
    mon_store *store = NULL;
    mon_secret_key *key = NULL;
    mon_connectors *reg = NULL;
    mon_notify_options opts = MON_NOTIFY_OPTIONS_INIT;
    mon_notifier *n = NULL;
    int failing = 0;

    if (mon_secret_key_from_env(&key, NULL) != MON_OK)
        fprintf(stderr, "monitorage-checkd: notify: %s: webhooks and tickets will wait for a key\n", mon_error_last());
    opts.owner = running ? mon_scheduler_owner(running) : NULL;
    if (mon_store_open(&store, loop->url) != MON_OK || mon_connectors_new(&reg, store, key) != MON_OK ||
        mon_notifier_new(&n, store, reg, key, &opts) != MON_OK) {
        fprintf(stderr, "monitorage-checkd: notify: not started: %s\n", mon_error_last());
        stopping = 1;
    }
    while (!stopping) {
        mon_notify_stats st = MON_NOTIFY_STATS_INIT;
        int rc = mon_notify_dispatch(&st, n);
        if (rc != MON_OK && !failing)
            fprintf(stderr, "monitorage-checkd: notify: %s: %s\n", mon_strerror(rc), mon_error_last());
        failing = rc != MON_OK;
        if (st.sent || st.failed || st.retried)
            fprintf(stderr, "monitorage-checkd: notify: %d sent, %d to retry, %d failed\n", st.sent, st.retried,
                    st.failed);
        for (long waited = 0; !stopping && (rc != MON_OK || st.claimed == 0) && waited < loop->interval_ms;
             waited += 50)
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
    mon_notifier_free(n);
    mon_connectors_free(reg);
    mon_secret_key_free(key);
    mon_store_close(store);
    return NULL;
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
    mon_secret_key *key = NULL;
    mon_store *token_store = NULL;
    mon_connectors *connectors = NULL;
    struct sigaction sa;
    const char *url = getenv("DATABASE_URL");
    long in_flight = copts.max_in_flight, batch = opts.batch_size, flush = opts.flush_interval_ms;
    long capacity = (long)opts.buffer_capacity, claim = opts.claim_batch, poll = opts.poll_interval_ms;
    long margin = opts.lease_margin_ms, drain = 30000;
    struct notify_loop notify = {url, 1000, 0};
    struct retention_loop retention = {url, 0, 0};
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
        env_int("MONITORAGE_DRAIN_TIMEOUT_MS", 0, INT_MAX, &drain) ||
        env_int("MONITORAGE_NOTIFY_INTERVAL_MS", 0, 3600000, &notify.interval_ms) ||
        env_int("MONITORAGE_RETENTION_DAYS", 0, 36500, &retention.days))
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
    /* TALEND tokens are read on the scheduler's thread through this registry and its own connection. */
    if (getenv("ENCRYPTION_KEY") && *getenv("ENCRYPTION_KEY") &&
        mon_secret_key_from_env(&key, NULL) != MON_OK) {
        fprintf(stderr, "monitorage-checkd: %s\n", mon_error_last());
        mon_global_cleanup();
        return 2;
    }
    if ((rc = mon_store_open(&token_store, url)) == MON_OK)
        rc = mon_connectors_new(&connectors, token_store, key);
    if (rc == MON_OK) {
        copts.token_cb = mon_checker_talend_token;
        copts.token_payload = connectors;
        rc = mon_scheduler_new(&running, url, &opts);
    }
    if (rc != MON_OK) {
        fprintf(stderr, "monitorage-checkd: %s: %s\n", mon_strerror(rc), mon_error_last());
        mon_connectors_free(connectors);
        mon_store_close(token_store);
        mon_secret_key_free(key);
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
    if (notify.interval_ms > 0 && pthread_create(&notify.thread, NULL, notify_run, &notify) != 0) {
        fprintf(stderr, "monitorage-checkd: cannot start the notification thread\n");
        notify.interval_ms = 0;
    }
    if (retention.days > 0 && pthread_create(&retention.thread, NULL, retention_run, &retention) != 0) {
        fprintf(stderr, "monitorage-checkd: cannot start the retention thread\n");
        retention.days = 0;
    }
    rc = mon_scheduler_run(running, (int)drain);
    stopping = 1;
    if (notify.interval_ms > 0)
        pthread_join(notify.thread, NULL);
    if (retention.days > 0)
        pthread_join(retention.thread, NULL);
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
    mon_connectors_free(connectors);
    mon_store_close(token_store);
    mon_secret_key_free(key);
    mon_global_cleanup();
    return rc == MON_OK ? 0 : 1;
}
