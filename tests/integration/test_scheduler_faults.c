/* Scheduler faults against the private PostgreSQL: a replica that dies with
 * leases held, the database going away and coming back (through a TCP proxy
 * the test cuts, so the shared cluster keeps running), a full buffer. */
#include "scheduler_kit.h"
#include "scheduler_priv.h"

#include <libpq-fe.h>
#include <signal.h>

static struct stubproc proxy;

static void setup(void)
{
    kit_setup("scheduler_faults");
}

static void teardown(void)
{
    if (proxy.pid)
        stubproc_stop(&proxy);
    kit_teardown();
}

/* The test database's URL through a proxy the test can cut. */
static const char *proxied_url(void)
{
    static char url[1024];
    char port[16], portarg[16];
    const char *db = strstr(kit_url, "@/"), *end;
    const char *argv[] = {"python3", stubproc_source_path("stubs/tcp_proxy.py"), portarg, NULL};
    const char *p = strstr(kit_url, "port=");

    ck_assert_ptr_nonnull(db);
    ck_assert_ptr_nonnull(p);
    snprintf(port, sizeof(port), "%.*s", (int)strcspn(p + 5, "&"), p + 5);
    snprintf(portarg, sizeof(portarg), "%s", port);
    stubproc_start(&proxy, argv);
    db += 2;
    end = strchr(db, '?');
    snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/%.*s?connect_timeout=2", proxy.port,
             (int)(end ? end - db : (long)strlen(db)), db);
    return url;
}

static void cut(void)
{
    kill(proxy.pid, SIGUSR1);
}
static void restore(void)
{
    kill(proxy.pid, SIGUSR2);
}

START_TEST(dead_replica_leases_are_taken_over_when_they_expire)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    struct kit_runner b;
    mon_scheduler *a;

    /* Checks take 3 s; the lease (3 s + 15 s margin) outlives the 10 s slot. */
    kit_add_endpoints(40, "slow", "/slow?ms=3000", 10, 5000, 0);
    kit_all_due_now();
    opts.lease_margin_ms = 15000;
    a = kit_scheduler(kit_url, "doomed", &opts);
    for (int i = 0; i < 40 && kit_stats(a).claimed < 40; i++)
        ck_assert_int_eq(mon_scheduler_step(a, 50), MON_OK);
    ck_assert_uint_eq(kit_stats(a).claimed, 40);
    /* The replica dies with its 40 checks in flight: nothing written, leases held. */
    mon_scheduler_free(a);
    pgtest_exec(kit_url, "CREATE TABLE dead_leases AS SELECT endpoint_id, lease_until, now() AS died"
                         " FROM endpoint_schedule WHERE lease_owner = 'doomed' AND lease_until > now()");
    ck_assert_int_eq(kit_count("SELECT count(*) FROM dead_leases"), 40);

    opts.poll_interval_ms = 50;
    kit_start(&b, kit_scheduler(kit_url, "survivor", &opts));
    kit_sleep_ms(24000);
    ck_assert_int_eq(kit_join(&b), MON_OK);

    /* Not one check while the dead replica's lease held, then taken over
     * within a few seconds of its expiry. */
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history h JOIN dead_leases d USING (endpoint_id)"
                               " WHERE h.checked_at < d.lease_until"),
                     0);
    ck_assert_int_eq(
        kit_count("SELECT count(*) FROM dead_leases d WHERE NOT EXISTS (SELECT 1 FROM health_history h"
                  " WHERE h.endpoint_id = d.endpoint_id"
                  " AND h.checked_at < d.lease_until + interval '3 seconds')"),
        0);
    ck_assert_uint_eq(kit_stats(b.s).results_written,
                      (uint64_t)kit_count("SELECT count(*) FROM health_history"));
    mon_scheduler_free(b.s);
}
END_TEST

START_TEST(results_made_while_the_database_is_down_are_written_when_it_returns)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    struct kit_runner r;
    const char *url = proxied_url();

    /* Checks take 2 s, so checks claimed before the cut finish during it. */
    kit_add_endpoints(150, "busy", "/slow?ms=2000", 10, 5000, 0);
    opts.reconnect_max_ms = 1000;
    kit_start(&r, kit_scheduler(url, "outage", &opts));
    kit_sleep_ms(12000);
    cut();
    kit_sleep_ms(8000);
    mon_scheduler_stats during = kit_stats(r.s);
    restore();
    kit_sleep_ms(12000);
    ck_assert_int_eq(kit_join(&r), MON_OK);
    mon_scheduler_stats after = kit_stats(r.s);

    /* The outage was seen and results piled up meanwhile... */
    ck_assert_uint_gt(during.db_failures, 0);
    ck_assert_uint_gt(during.buffered, 0);
    /* ...and every result produced is in health_history, none dropped. */
    ck_assert_uint_eq(after.dropped, 0);
    ck_assert_uint_eq(after.buffered, 0);
    ck_assert_uint_eq(after.checks_done, after.results_written);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), (long long)after.results_written);
    ck_assert_int_eq(after.db_connected, 1);
    mon_scheduler_free(r.s);
}
END_TEST

/* Writes go through the writer thread's own connection: while they are
 * blocked (another session holds a lock on health_history), the next slots
 * are still claimed and checked. With claims and writes on one thread, the
 * claims waited behind the blocked COPY. */
START_TEST(blocked_writes_do_not_delay_claims)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    struct kit_runner r;
    PGconn *locker = PQconnectdb(kit_url);
    PGresult *res;

    ck_assert_int_eq(PQstatus(locker), CONNECTION_OK);
    kit_add_endpoints(20, "blocked", "/ok", 10, 2000, 0);
    kit_all_due_now();
    res = PQexec(locker, "BEGIN; LOCK TABLE health_history IN ACCESS EXCLUSIVE MODE");
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    opts.poll_interval_ms = 50;
    opts.flush_interval_ms = 100;
    kit_start(&r, kit_scheduler(kit_url, "unblocked", &opts));
    for (int i = 0; i < 100 && kit_stats(r.s).checks_done < 20; i++)
        kit_sleep_ms(50);
    kit_sleep_ms(500); /* the first batch is now waiting for the lock */
    ck_assert_uint_eq(kit_stats(r.s).results_written, 0);

    /* The next slot of every endpoint comes while the write is blocked. */
    pgtest_exec(kit_url, "UPDATE endpoint_schedule SET next_check_at = now(), lease_until = NULL");
    for (int i = 0; i < 100 && kit_stats(r.s).checks_done < 40; i++)
        kit_sleep_ms(50);
    mon_scheduler_stats blocked = kit_stats(r.s);
    ck_assert_uint_eq(blocked.claimed, 40);
    ck_assert_uint_eq(blocked.checks_done, 40);
    ck_assert_uint_eq(blocked.results_written, 0);

    res = PQexec(locker, "COMMIT");
    PQclear(res);
    PQfinish(locker);
    ck_assert_int_eq(kit_join(&r), MON_OK);
    ck_assert_uint_eq(kit_stats(r.s).results_written, 40);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 40);
    mon_scheduler_free(r.s);
}
END_TEST

START_TEST(full_buffer_drops_the_oldest_results_and_counts_them)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    const char *url = proxied_url();
    mon_scheduler *s;

    kit_add_endpoints(30, "many", "/slow?ms=1500", 10, 5000, 0);
    kit_all_due_now();
    opts.buffer_capacity = 5;
    opts.reconnect_max_ms = 500;
    s = kit_scheduler(url, "small-buffer", &opts);
    for (int i = 0; i < 40 && kit_stats(s).claimed < 30; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_uint_eq(kit_stats(s).claimed, 30);
    cut();
    for (int i = 0; i < 100 && kit_stats(s).checks_done < 30; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 100), MON_OK);
    mon_scheduler_stats st = kit_stats(s);
    ck_assert_uint_eq(st.checks_done, 30);
    ck_assert_uint_eq(st.buffered, 5);
    ck_assert_uint_eq(st.dropped, 25);

    /* Draining while the database is away gives up at the deadline, saying so. */
    ck_assert_int_eq(mon_scheduler_drain(s, 1500), MON_ETIMEOUT);
    restore();
    ck_assert_int_eq(mon_scheduler_drain(s, 10000), MON_OK);
    st = kit_stats(s);
    ck_assert_uint_eq(st.results_written, 5);
    ck_assert_uint_eq(st.dropped, 25);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 5);
    mon_scheduler_free(s);
}
END_TEST

START_TEST(results_of_deleted_endpoints_are_discarded_not_blocking)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_scheduler *s;

    kit_add_endpoints(10, "gone", "/slow?ms=1000", 10, 5000, 0);
    kit_all_due_now();
    s = kit_scheduler(kit_url, "deleter", &opts);
    for (int i = 0; i < 40 && kit_stats(s).claimed < 10; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    pgtest_exec(kit_url, "DELETE FROM endpoints WHERE name IN ('gone1', 'gone2', 'gone3')");
    ck_assert_int_eq(mon_scheduler_drain(s, 10000), MON_OK);
    mon_scheduler_stats st = kit_stats(s);
    ck_assert_uint_eq(st.discarded, 3);
    ck_assert_uint_eq(st.results_written, 7);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 7);
    mon_scheduler_free(s);
}
END_TEST

START_TEST(an_invalid_result_does_not_block_the_others)
{
    mon_scheduler *s = kit_scheduler(kit_url, "poison", NULL);
    mon_check_record good = MON_CHECK_RECORD_INIT, bad = MON_CHECK_RECORD_INIT;
    char *id;

    kit_add_endpoints(1, "target", "/ok", 10, 2000, 0);
    id = pgtest_query_value(kit_url, "SELECT id::text FROM endpoints");
    snprintf(good.endpoint_id, sizeof(good.endpoint_id), "%s", id);
    snprintf(bad.endpoint_id, sizeof(bad.endpoint_id), "%s", id);
    good.status = bad.status = MON_STATUS_UP;
    bad.ttfb_ms = -0.5; /* outside the store's bounds: the whole batch is refused */
    ck_assert_int_eq(mon__sched_buffer_result(s, &good), MON_OK);
    ck_assert_int_eq(mon__sched_buffer_result(s, &bad), MON_OK);
    ck_assert_int_eq(mon__sched_buffer_result(s, &good), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    mon_scheduler_stats st = kit_stats(s);
    ck_assert_uint_eq(st.results_written, 2);
    ck_assert_uint_eq(st.rejected, 1);
    ck_assert_uint_eq(st.buffered, 0);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 2);
    free(id);
    mon_scheduler_free(s);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("scheduler_faults");
    TCase *tc = tcase_create("faults");
    int failed;

    if (mon_global_init() != MON_OK)
        return 1;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dead_replica_leases_are_taken_over_when_they_expire);
    tcase_add_test(tc, results_made_while_the_database_is_down_are_written_when_it_returns);
    tcase_add_test(tc, blocked_writes_do_not_delay_claims);
    tcase_add_test(tc, full_buffer_drops_the_oldest_results_and_counts_them);
    tcase_add_test(tc, results_of_deleted_endpoints_are_discarded_not_blocking);
    tcase_add_test(tc, an_invalid_result_does_not_block_the_others);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed ? 1 : 0;
}
