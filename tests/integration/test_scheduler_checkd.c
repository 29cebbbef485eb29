/* monitorage-checkd (server/checkd.c) as a process: schema check, one log line
 * per status change without secrets, SIGTERM flushes in-flight results and
 * exits 0. Skipped (77) when the daemon was not built. */
#include "scheduler_kit.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECKD MONITORAGE_BINARY_DIR "/server/monitorage-checkd"

struct daemon {
    pid_t pid;
    char out[64], err[64]; /* files holding its stdout and stderr */
};

static void setup(void)
{
    kit_setup("scheduler_checkd");
}

static void teardown(void)
{
    kit_teardown();
}

/* Start the daemon as replica "checkd-<name>" with DATABASE_URL=url and the extra "NAME=value" (or NULL). */
static void daemon_start(struct daemon *d, const char *url, const char *name, const char *extra)
{
    char env_url[1100], env_id[100];
    int out, err;
    snprintf(d->out, sizeof(d->out), "/tmp/checkd-out-XXXXXX");
    snprintf(d->err, sizeof(d->err), "/tmp/checkd-err-XXXXXX");
    out = mkstemp(d->out);
    err = mkstemp(d->err);
    ck_assert(out >= 0 && err >= 0);
    snprintf(env_url, sizeof(env_url), "DATABASE_URL=%s", url);
    snprintf(env_id, sizeof(env_id), "MONITORAGE_REPLICA_ID=checkd-%s", name);
    d->pid = fork();
    ck_assert_int_ge(d->pid, 0);
    if (d->pid == 0) {
        char *env[] = {env_url, env_id, (char *)extra, NULL};
        dup2(out, 1);
        dup2(err, 2);
        execle(CHECKD, CHECKD, (char *)NULL, env);
        _exit(127);
    }
    close(out);
    close(err);
}

/* Wait at most seconds for the daemon; its exit status, or -1 if it did not exit. */
static int daemon_wait(struct daemon *d, int seconds)
{
    int status;
    for (int i = 0; i < seconds * 10; i++) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        kit_sleep_ms(100);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &status, 0);
    return -1;
}

/* The whole content of a file (malloc'd), removed afterwards. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65536);
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(refuses_an_outdated_schema_unless_asked_to_migrate)
{
    struct daemon d;
    const char *bare = pgtest_fresh_database("scheduler_checkd_bare");
    char *err;

    daemon_start(&d, bare, "test", NULL);
    ck_assert_int_eq(daemon_wait(&d, 15), 1);
    err = slurp(d.err);
    free(slurp(d.out));
    ck_assert_msg(strstr(err, "not current") && strstr(err, "MONITORAGE_MIGRATE=1"), "stderr: %s", err);
    ck_assert_ptr_null(strstr(err, "postgresql://"));
    free(err);

    daemon_start(&d, bare, "test", "MONITORAGE_MIGRATE=1");
    kit_sleep_ms(1500);
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(daemon_wait(&d, 15), 0);
    err = slurp(d.err);
    free(slurp(d.out));
    ck_assert_msg(strstr(err, "applied"), "stderr: %s", err);
    free(err);
    ck_assert_int_eq(pgtest_query_ll(bare, "SELECT count(*) FROM endpoint_schedule"), 0);
}
END_TEST

START_TEST(sigterm_writes_in_flight_results_and_exits_zero)
{
    struct daemon d;
    char *out, *err;

    kit_add_endpoints(20, "steady", "/slow?ms=1500", 10, 5000, 0);
    kit_add_endpoints(5, "broken", "/status/503", 10, 5000, 0);
    kit_all_due_now();
    daemon_start(&d, kit_url, "test", NULL);
    /* Wait until all 25 are claimed: the slow ones are then in flight. */
    for (int i = 0;
         i < 100 && kit_count("SELECT count(*) FROM endpoint_schedule WHERE lease_owner = 'checkd-test'") +
                            kit_count("SELECT count(*) FROM health_history") <
                        25;
         i++)
        kit_sleep_ms(50);
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(daemon_wait(&d, 20), 0);
    out = slurp(d.out);
    err = slurp(d.err);

    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 25);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM endpoint_schedule WHERE lease_owner IS NOT NULL"), 0);
    /* One line per status change: "<time> <name> <old> -> <new> <error>". */
    ck_assert_int_eq(count_lines_with(out, " UNKNOWN -> UP\n"), 20);
    ck_assert_int_eq(count_lines_with(out, " UNKNOWN -> DOWN expected 200, got 503\n"), 5);
    ck_assert_msg(strstr(err, "25 results written"), "stderr: %s", err);
    ck_assert_ptr_null(strstr(out, KIT_SECRET));
    ck_assert_ptr_null(strstr(err, KIT_SECRET));
    free(out);
    free(err);
}
END_TEST

START_TEST(a_killed_daemon_is_taken_over_when_its_leases_expire)
{
    struct daemon a, b;

    /* Checks take 2 s; leases last 5 s + 2 s margin. */
    kit_add_endpoints(30, "orphan", "/slow?ms=2000", 10, 5000, 0);
    kit_all_due_now();
    daemon_start(&a, kit_url, "a", "MONITORAGE_LEASE_MARGIN_MS=2000");
    for (int i = 0;
         i < 100 && kit_count("SELECT count(*) FROM endpoint_schedule WHERE lease_owner = 'checkd-a'") < 30;
         i++)
        kit_sleep_ms(50);
    kill(a.pid, SIGKILL);
    ck_assert_int_eq(daemon_wait(&a, 5), 128 + SIGKILL);
    free(slurp(a.out));
    free(slurp(a.err));
    pgtest_exec(kit_url, "CREATE TABLE dead_leases AS SELECT endpoint_id, lease_until FROM endpoint_schedule"
                         " WHERE lease_owner = 'checkd-a' AND lease_until > now()");
    ck_assert_int_eq(kit_count("SELECT count(*) FROM dead_leases"), 30);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 0);

    daemon_start(&b, kit_url, "b", "MONITORAGE_POLL_INTERVAL_MS=50");
    kit_sleep_ms(12000);
    kill(b.pid, SIGTERM);
    ck_assert_int_eq(daemon_wait(&b, 20), 0);
    free(slurp(b.out));
    free(slurp(b.err));
    /* Nothing checked while the dead daemon's leases held; all taken over after. */
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history h JOIN dead_leases d USING (endpoint_id)"
                               " WHERE h.checked_at < d.lease_until"),
                     0);
    ck_assert_int_eq(kit_count("SELECT count(DISTINCT endpoint_id) FROM health_history"), 30);
}
END_TEST

START_TEST(retention_days_deletes_old_history_at_start)
{
    struct daemon d;
    char *err;

    kit_add_endpoints(1, "kept", "/status/200", 3600, 5000, 0);
    pgtest_exec(kit_url, "INSERT INTO health_history (endpoint_id, status, latency_ms, checked_at)"
                         " SELECT id, 'UP', 5, now() - interval '40 days' - g * interval '1 minute'"
                         " FROM endpoints, generate_series(1, 30) g");
    pgtest_exec(kit_url, "INSERT INTO health_history (endpoint_id, status, latency_ms, checked_at)"
                         " SELECT id, 'UP', 5, now() - interval '20 days' FROM endpoints");
    daemon_start(&d, kit_url, "retention", "MONITORAGE_RETENTION_DAYS=30");
    for (int i = 0; i < 100 && kit_count("SELECT count(*) FROM health_history"
                                         " WHERE checked_at < now() - interval '30 days'") > 0;
         i++)
        kit_sleep_ms(100);
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(daemon_wait(&d, 20), 0);
    free(slurp(d.out));
    err = slurp(d.err);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history WHERE checked_at < now() - interval '30 days'"),
                     0);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"
                               " WHERE checked_at BETWEEN now() - interval '21 days' AND now() - interval '19 days'"),
                     1);
    ck_assert_msg(strstr(err, "retention: 30 history rows older than 30 days deleted"), "stderr: %s", err);
    free(err);
}
END_TEST

START_TEST(bad_retention_days_is_refused)
{
    struct daemon d;
    char *err;

    daemon_start(&d, kit_url, "retention", "MONITORAGE_RETENTION_DAYS=-3");
    ck_assert_int_eq(daemon_wait(&d, 15), 2);
    free(slurp(d.out));
    err = slurp(d.err);
    ck_assert_msg(strstr(err, "MONITORAGE_RETENTION_DAYS must be an integer 0..36500"), "stderr: %s", err);
    free(err);
}
END_TEST

int main(void)
{
    Suite *suite;
    TCase *tc;
    int failed;

    /* Before anything is allocated: LeakSanitizer checks the skip too. */
    if (access(CHECKD, X_OK) != 0) {
        fprintf(stderr, "%s not built (configure with MONITORAGE_BUILD_SERVER=ON): skipped\n", CHECKD);
        return 77;
    }
    suite = suite_create("scheduler_checkd");
    tc = tcase_create("checkd");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, refuses_an_outdated_schema_unless_asked_to_migrate);
    tcase_add_test(tc, sigterm_writes_in_flight_results_and_exits_zero);
    tcase_add_test(tc, a_killed_daemon_is_taken_over_when_its_leases_expire);
    tcase_add_test(tc, retention_days_deletes_old_history_at_start);
    tcase_add_test(tc, bad_retention_days_is_refused);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    return failed ? 1 : 0;
}
