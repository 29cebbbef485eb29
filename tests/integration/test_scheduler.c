/* Scheduler against the private PostgreSQL: replicas sharing endpoints once
 * per interval, jitter, disabled and edited endpoints, options. */
#include "scheduler_kit.h"

static void setup(void)
{
    kit_setup("scheduler");
}

static void teardown(void)
{
    kit_teardown();
}

START_TEST(slots_are_spread_over_the_interval)
{
    kit_add_endpoints(1000, "spread", "/ok", 60, 1000, 0);
    /* 1,000 endpoints at 60 s: no second of the interval holds more than a
     * few percent of them (uniform would be ~17 per second). */
    long long busiest = kit_count("SELECT max(n) FROM (SELECT count(*) AS n FROM endpoint_schedule"
                                  " GROUP BY floor(extract(epoch FROM next_check_at))) x");
    long long seconds = kit_count("SELECT count(DISTINCT floor(extract(epoch FROM next_check_at)))"
                                  " FROM endpoint_schedule");
    ck_assert_int_le(busiest, 40);
    ck_assert_int_ge(seconds, 58);
    /* Slots are aligned: the next slot is the current one plus the interval. */
    ck_assert_int_eq(
        kit_count("SELECT count(*) FROM endpoint_schedule s JOIN endpoints e ON e.id = s.endpoint_id"
                  " WHERE mon_schedule_next(e.id, 60, s.next_check_at)"
                  " <> s.next_check_at + interval '60 seconds'"),
        0);
}
END_TEST

START_TEST(two_replicas_check_each_endpoint_once_per_interval)
{
    struct kit_runner a, b;
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    char sql[512];

    kit_add_endpoints(200, "shared", "/ok", 10, 2000, 0);
    kit_add_endpoints(1, "disabled", "/ok", 10, 2000, 0);
    pgtest_exec(kit_url, "UPDATE endpoints SET enabled = false WHERE name = 'disabled1'");
    /* An endpoint checked hourly whose next slot is far away; its interval
     * becomes 10 s once the schedulers run. */
    kit_add_endpoints(1, "edited", "/ok", 3600, 2000, 0);
    pgtest_exec(kit_url, "UPDATE endpoint_schedule SET next_check_at = now() + interval '50 minutes'"
                         " WHERE endpoint_id = (SELECT id FROM endpoints WHERE name = 'edited1')");
    opts.poll_interval_ms = 50;
    kit_start(&a, kit_scheduler(kit_url, "replica-a", &opts));
    kit_start(&b, kit_scheduler(kit_url, "replica-b", &opts));

    pgtest_exec(kit_url, "UPDATE endpoints SET check_interval = 10 WHERE name = 'edited1'");
    kit_sleep_ms(15000);
    /* Mid-run: one endpoint gets a failing URL, another is disabled. */
    snprintf(sql, sizeof(sql),
             "UPDATE endpoints SET url = 'http://127.0.0.1:%d/status/503' WHERE name = 'shared1'",
             kit_target.port);
    pgtest_exec(kit_url, sql);
    pgtest_exec(kit_url, "UPDATE endpoints SET enabled = false WHERE name = 'shared2'");
    pgtest_exec(kit_url, "CREATE TABLE disabled_at AS SELECT now() AS t");
    kit_sleep_ms(17000);

    ck_assert_int_eq(kit_join(&a), MON_OK);
    ck_assert_int_eq(kit_join(&b), MON_OK);
    mon_scheduler_stats sa = kit_stats(a.s), sb = kit_stats(b.s);
    /* Both replicas took part, every result is in the table. */
    ck_assert_uint_gt(sa.results_written, 50);
    ck_assert_uint_gt(sb.results_written, 50);
    ck_assert_uint_eq(sa.checks_done, sa.results_written);
    ck_assert_uint_eq(sb.checks_done, sb.results_written);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"),
                     (long long)(sa.results_written + sb.results_written));
    /* 32 s at 10 s: every endpoint 3 or 4 times, never twice in one slot. */
    ck_assert_int_eq(kit_count("SELECT count(*) FROM (SELECT e.id, count(h.id) AS n FROM endpoints e"
                               " LEFT JOIN health_history h ON h.endpoint_id = e.id"
                               " WHERE e.name LIKE 'shared%' AND e.name <> 'shared2' GROUP BY e.id) x"
                               " WHERE n NOT BETWEEN 3 AND 4"),
                     0);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM (SELECT checked_at - lag(checked_at) OVER"
                               " (PARTITION BY endpoint_id ORDER BY checked_at) AS gap FROM health_history) x"
                               " WHERE gap < interval '9 seconds'"),
                     0);
    /* Disabled: never checked, or no more once disabled. */
    ck_assert_int_eq(
        kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                  " WHERE e.name = 'disabled1'"),
        0);
    ck_assert_int_eq(
        kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                  " WHERE e.name = 'shared2' AND h.checked_at > (SELECT t FROM disabled_at)"),
        0);
    /* Edits were picked up within one interval, without restart. */
    ck_assert_int_ge(
        kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                  " WHERE e.name = 'edited1'"),
        2);
    ck_assert_int_ge(
        kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                  " WHERE e.name = 'shared1' AND h.status = 'DOWN' AND h.status_code = 503"),
        1);
    /* Leases are released once results are written. */
    ck_assert_int_eq(kit_count("SELECT count(*) FROM endpoint_schedule WHERE lease_owner IS NOT NULL"), 0);
    ck_assert(sa.lag_p99_ms >= 0 && sa.lag_p99_ms < 1000);
    mon_scheduler_free(a.s);
    mon_scheduler_free(b.s);
}
END_TEST

/* Status-change callback: counts changes and checks no secret reaches it. */
struct changes {
    int count;
    int to_down;
};

static void count_change(mon_scheduler *s, const mon_endpoint *ep, mon_status old_status,
                         mon_status new_status, const mon_check_result *result, void *payload)
{
    struct changes *c = payload;
    (void)s;
    ck_assert_int_ne(old_status, new_status);
    ck_assert_str_eq(result->endpoint_id, mon_endpoint_get_id(ep));
    c->count++;
    c->to_down += new_status == MON_STATUS_DOWN;
}

START_TEST(status_changes_are_reported_once_with_step)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    struct changes changes = {0, 0};
    mon_scheduler *s;
    char sql[512];

    kit_add_endpoints(5, "up", "/ok", 10, 2000, 0);
    kit_add_endpoints(3, "down", "/status/500", 10, 2000, 0);
    kit_all_due_now();
    opts.on_status = count_change;
    opts.status_payload = &changes;
    s = kit_scheduler(kit_url, "stepper", &opts);
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 8; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    ck_assert_int_eq(changes.count, 8); /* UNKNOWN -> UP or DOWN */
    ck_assert_int_eq(changes.to_down, 3);

    /* Same statuses again: no change reported. */
    kit_all_due_now();
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 16; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    ck_assert_int_eq(changes.count, 8);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history"), 16);

    /* A stopped scheduler's step says so. */
    mon_scheduler_stop(s);
    ck_assert_int_eq(mon_scheduler_step(s, 0), MON_ECANCELED);
    mon_scheduler_free(s);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM health_history WHERE error_message LIKE '%%%s%%'",
             KIT_SECRET);
    ck_assert_int_eq(kit_count(sql), 0);
}
END_TEST

/* A change seen by this replica whose result is not written yet (the database
 * was away, or the batch waits for its flush) is not reported again by the
 * next check: the database's latest status is stale until the write. */
START_TEST(status_change_is_reported_once_while_results_are_unwritten)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_check_record up = MON_CHECK_RECORD_INIT;
    const mon_check_record *rows[1] = {&up};
    struct changes changes = {0, 0};
    mon_store *store = NULL;
    mon_scheduler *s;
    char *id;

    kit_add_endpoints(1, "flaky", "/status/503", 10, 2000, 0);
    id = pgtest_query_value(kit_url, "SELECT id::text FROM endpoints");
    snprintf(up.endpoint_id, sizeof(up.endpoint_id), "%s", id);
    up.status = MON_STATUS_UP;
    ck_assert_int_eq(mon_store_open(&store, kit_url), MON_OK);
    ck_assert_int_eq(mon_store_history_insert(store, rows, 1), MON_OK);
    mon_store_close(store);
    kit_all_due_now();
    /* Results stay unwritten until the drain. */
    opts.flush_interval_ms = 60000;
    opts.batch_size = 1000;
    opts.on_status = count_change;
    opts.status_payload = &changes;
    s = kit_scheduler(kit_url, "unwritten", &opts);
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 1; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(changes.count, 1); /* UP -> DOWN */
    ck_assert_int_eq(changes.to_down, 1);

    /* Due again with its lease expired, as after an outage longer than the lease. */
    pgtest_exec(kit_url, "UPDATE endpoint_schedule SET next_check_at = now(), lease_until = now()");
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 2; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_uint_eq(kit_stats(s).checks_done, 2);
    ck_assert_uint_eq(kit_stats(s).results_written, 0);
    ck_assert_int_eq(changes.count, 1);

    /* Once written, the database agrees: still no second report. */
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    kit_all_due_now();
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 3; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    ck_assert_int_eq(changes.count, 1);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history WHERE status = 'DOWN'"), 3);
    free(id);
    mon_scheduler_free(s);
}
END_TEST

/* TALEND endpoints carry the TALEND connector's token (decrypted from its
 * stored credentials at each check), other types never; a disabled connector
 * gives none. The stub echoes the request headers; the token never reaches
 * the history. */
START_TEST(talend_endpoints_send_the_talend_connectors_token)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_checker_options copts = MON_CHECKER_OPTIONS_INIT;
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    mon_secret_key *key = NULL;
    mon_store *store = NULL;
    mon_connectors *reg = NULL;
    mon_scheduler *s;
    char sql[1024];

    ck_assert_int_eq(mon_secret_key_from_hex(&key, "00112233445566778899aabbccddeeff"
                                                   "00112233445566778899aabbccddeeff"),
                     MON_OK);
    ck_assert_int_eq(mon_store_open(&store, kit_url), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&reg, store, key), MON_OK);
    config.base_url = "https://api.eu.cloud.talend.com";
    config.credentials_json = "{\"token\": \"talend-tok-51d2\"}";
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(reg, "TALEND", &config), MON_OK);
    for (int i = 0; i < 2; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO endpoints (name, type, url, check_interval, timeout, retries, conditions)"
                 " VALUES ('%s', '%s', 'http://127.0.0.1:%d/headers', 10, 2000, 0,"
                 " '[{\"type\": \"json_matches\", \"path\": \"authorization\","
                 " \"value\": \"^Bearer talend-tok-[0-9a-f]{4}$\"}]')",
                 i ? "apim" : "talend", i ? "APIM" : "TALEND", kit_target.port);
        pgtest_exec(kit_url, sql);
    }
    kit_all_due_now();
    copts.token_cb = mon_checker_talend_token;
    copts.token_payload = reg;
    opts.checker = &copts;
    s = kit_scheduler(kit_url, "talend", &opts);
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 2; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                               " WHERE e.name = 'talend' AND h.status = 'UP'"),
                     1);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                               " WHERE e.name = 'apim' AND h.status = 'DOWN'"),
                     1);

    /* Disabled: the TALEND check goes without a token. */
    config.credentials_json = NULL;
    config.base_url = NULL;
    config.enabled = 0;
    ck_assert_int_eq(mon_connector_configure(reg, "TALEND", &config), MON_OK);
    pgtest_exec(kit_url, "UPDATE endpoint_schedule SET next_check_at = now(), lease_until = NULL");
    for (int i = 0; i < 200 && kit_stats(s).checks_done < 4; i++)
        ck_assert_int_eq(mon_scheduler_step(s, 50), MON_OK);
    ck_assert_int_eq(mon_scheduler_drain(s, 5000), MON_OK);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history h JOIN endpoints e ON e.id = h.endpoint_id"
                               " WHERE e.name = 'talend' AND h.status = 'DOWN'"),
                     1);
    ck_assert_int_eq(kit_count("SELECT count(*) FROM health_history WHERE error_message LIKE '%51d2%'"), 0);
    mon_scheduler_free(s);
    mon_connectors_free(reg);
    mon_store_close(store);
    mon_secret_key_free(key);
}
END_TEST

START_TEST(bad_options_are_refused_clearly)
{
    mon_scheduler_options opts = MON_SCHEDULER_OPTIONS_INIT;
    mon_scheduler *s = NULL;

    opts.batch_size = 0;
    ck_assert_int_eq(mon_scheduler_new(&s, kit_url, &opts), MON_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "batch_size"));
    opts.batch_size = 500;
    opts.buffer_capacity = 0;
    ck_assert_int_eq(mon_scheduler_new(&s, kit_url, &opts), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "buffer_capacity"));
    opts.buffer_capacity = 10;
    opts.version = 99;
    ck_assert_int_eq(mon_scheduler_new(&s, kit_url, &opts), MON_EVERSION);
    ck_assert_int_eq(mon_scheduler_options_init(&opts, 99), MON_EVERSION);
    ck_assert_int_eq(mon_scheduler_options_init(&opts, MON_SCHEDULER_OPTIONS_VERSION), MON_OK);
    ck_assert_int_eq(mon_scheduler_new(NULL, kit_url, &opts), MON_EINVAL);
    ck_assert_int_eq(mon_scheduler_new(&s, "not a url", &opts), MON_EINVAL);
    ck_assert_int_eq(mon_scheduler_new(&s, "postgresql://nobody:pw-secret@127.0.0.1:1/x", &opts), MON_ECONN);
    ck_assert_ptr_null(strstr(mon_error_last(), "pw-secret"));
    mon_scheduler_free(NULL);
    mon_scheduler_stop(NULL);
}
END_TEST

START_TEST(outdated_schema_is_refused)
{
    mon_scheduler *s = NULL;
    pgtest_exec(kit_url, "DELETE FROM schema_migrations WHERE name LIKE '006%'");
    ck_assert_int_eq(mon_scheduler_new(&s, kit_url, NULL), MON_EVERSION);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "pending"));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("scheduler");
    TCase *tc = tcase_create("scheduler");
    int failed;

    if (mon_global_init() != MON_OK)
        return 1;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slots_are_spread_over_the_interval);
    tcase_add_test(tc, two_replicas_check_each_endpoint_once_per_interval);
    tcase_add_test(tc, status_changes_are_reported_once_with_step);
    tcase_add_test(tc, status_change_is_reported_once_while_results_are_unwritten);
    tcase_add_test(tc, talend_endpoints_send_the_talend_connectors_token);
    tcase_add_test(tc, bad_options_are_refused_clearly);
    tcase_add_test(tc, outdated_schema_is_refused);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed ? 1 : 0;
}
