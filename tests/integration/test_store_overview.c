/* mon_store_status_overview(): the dashboard's overview in one call, against the private PostgreSQL. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_US (60LL * 1000000)
#define HOUR_US (60 * MINUTE_US)

static const char *url;
static mon_store *store;

static void setup(void)
{
    store = pgtest_fresh_store("store_overview", &url);
}

static void teardown(void)
{
    mon_store_close(store);
    store = NULL;
}

static void create_endpoint(char id[37], const char *name, mon_endpoint_type type, int enabled)
{
    pgtest_create_endpoint(store, id, name, type, enabled);
}

static mon_check_record record(const char *id, mon_status status, int latency_ms, mon_time at)
{
    mon_check_record r = pgtest_record(id, status, latency_ms, at);
    r.error_message = status == MON_STATUS_DOWN ? "HTTP 503" : NULL;
    return r;
}

static void insert(const mon_check_record *records, size_t count)
{
    const mon_check_record *ptrs[64];
    ck_assert_uint_le(count, 64);
    for (size_t i = 0; i < count; i++)
        ptrs[i] = &records[i];
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, count), MON_OK);
}

/* The overview with options (NULL: defaults), parsed; checks that the text is
 * what Jansson would write. */
static json_t *overview(const mon_overview_options *options)
{
    char *json = NULL, *again;
    json_error_t err;
    json_t *parsed;

    ck_assert_int_eq(mon_store_status_overview(&json, store, options), MON_OK);
    parsed = json_loads(json, 0, &err);
    ck_assert_msg(parsed != NULL, "%s: %s", err.text, json);
    again = json_dumps(parsed, JSON_COMPACT);
    ck_assert_str_eq(json, again);
    free(again);
    mon_free(json);
    return parsed;
}

static json_t *item_named(json_t *page, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(page, "items"), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0)
            return item;
    }
    ck_abort_msg("no item named %s", name);
    return NULL;
}

static const char *item_name(json_t *page, size_t index)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(page, "items"), index), "name"));
}

/* 40 checks of "alpha" one minute apart ending now (the last 30 are the
 * recent ones) and one 30 h ago, outside the 24 h window; "idle" is never
 * checked. */
START_TEST(overview_reports_uptime_and_recent_checks_exactly)
{
    char alpha[37], idle[37];
    mon_check_record records[41];
    mon_time now = pgtest_now_us();
    long long up = 0, degraded = 0, down = 0;
    mon_status_list *status = NULL;
    mon_uptime_list *uptime = NULL;
    char *status_json = NULL;
    json_t *page, *item, *statuses, *expected_status;
    size_t i;

    create_endpoint(alpha, "alpha", MON_ENDPOINT_APIM, 1);
    create_endpoint(idle, "idle", MON_ENDPOINT_DOMAIN, 0);
    records[0] = record(alpha, MON_STATUS_DOWN, 5, now - 30 * HOUR_US);
    for (int k = 0; k < 40; k++) {
        mon_status s = k % 7 == 3    ? MON_STATUS_DOWN
                       : k % 9 == 4  ? MON_STATUS_DEGRADED
                       : k % 13 == 5 ? MON_STATUS_UNKNOWN
                                     : MON_STATUS_UP;
        records[1 + k] = record(alpha, s, s == MON_STATUS_UNKNOWN || k == 38 ? -1 : 100 + k,
                                now - (39 - k) * MINUTE_US - 1000);
        up += s == MON_STATUS_UP;
        degraded += s == MON_STATUS_DEGRADED;
        down += s == MON_STATUS_DOWN;
    }
    insert(records, 41);

    page = overview(NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "limit")), 1000);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "offset")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "recent")), 30);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 2);

    /* Uptime: exactly what the uptime route's call reports for 24 h. */
    item = item_named(page, "alpha");
    ck_assert_int_eq(mon_store_uptime(&uptime, store, alpha, 86400), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(uptime, 0)->checks, 40);
    ck_assert(json_real_value(json_object_get(item, "uptime_24h_percent")) ==
              mon_uptime_list_at(uptime, 0)->uptime_percent);
    ck_assert(json_real_value(json_object_get(item, "uptime_24h_percent")) ==
              (double)(up + degraded) * 100.0 / (double)(up + degraded + down));
    mon_uptime_list_free(uptime);

    /* The last 30 checks, oldest first. */
    ck_assert_uint_eq(json_array_size(json_object_get(item, "recent_latency_ms")), 30);
    statuses = json_object_get(item, "recent_status");
    ck_assert_uint_eq(json_array_size(statuses), 30);
    for (i = 0; i < 30; i++) {
        const mon_check_record *r = &records[11 + i];
        json_t *latency = json_array_get(json_object_get(item, "recent_latency_ms"), i);
        if (r->latency_ms < 0)
            ck_assert_msg(json_is_null(latency), "latency %zu should be null", i);
        else
            ck_assert_int_eq(json_integer_value(latency), r->latency_ms);
        ck_assert_str_eq(json_string_value(json_array_get(statuses, i)), mon_status_name(r->status));
    }

    /* Never checked: UNKNOWN, no uptime, no recent checks. */
    item = item_named(page, "idle");
    ck_assert(json_is_null(json_object_get(item, "uptime_24h_percent")));
    ck_assert_uint_eq(json_array_size(json_object_get(item, "recent_latency_ms")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(item, "recent_status")), 0);

    /* The status members are those of the status list, in the same order. */
    ck_assert_int_eq(mon_store_status_list(&status, store), MON_OK);
    ck_assert_int_eq(mon_status_list_to_json(&status_json, status), MON_OK);
    expected_status = json_loads(status_json, 0, NULL);
    json_array_foreach(expected_status, i, item)
    {
        json_t *got = json_deep_copy(json_array_get(json_object_get(page, "items"), i));
        json_object_del(got, "uptime_24h_percent");
        json_object_del(got, "recent_latency_ms");
        json_object_del(got, "recent_status");
        ck_assert_msg(json_equal(got, item), "item %zu differs from the status list", i);
        json_decref(got);
    }
    ck_assert_str_eq(json_string_value(json_object_get(item_named(page, "alpha"), "status")), "UP");
    json_decref(expected_status);
    mon_free(status_json);
    mon_status_list_free(status);
    json_decref(page);
}
END_TEST

START_TEST(overview_filters_and_pages_like_the_endpoint_list)
{
    char ids[5][37];
    static const char *const names[5] = {"a-apim", "b-domain", "c-down", "d-off", "e-talend"};
    mon_overview_options options;
    mon_check_record records[2];
    json_t *page;

    create_endpoint(ids[0], names[0], MON_ENDPOINT_APIM, 1);
    create_endpoint(ids[1], names[1], MON_ENDPOINT_DOMAIN, 1);
    create_endpoint(ids[2], names[2], MON_ENDPOINT_APIM, 1);
    create_endpoint(ids[3], names[3], MON_ENDPOINT_APIM, 0);
    create_endpoint(ids[4], names[4], MON_ENDPOINT_TALEND, 1);
    records[0] = record(ids[2], MON_STATUS_DOWN, 7, 0);
    records[1] = record(ids[0], MON_STATUS_UP, 9, 0);
    insert(records, 2);

    ck_assert_int_eq(mon_overview_options_init(&options, MON_OVERVIEW_OPTIONS_VERSION), MON_OK);
    options.type = MON_ENDPOINT_APIM;
    page = overview(&options);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 3);
    ck_assert_str_eq(item_name(page, 2), "d-off");
    json_decref(page);

    options.enabled = 1;
    options.status = MON_STATUS_DOWN;
    page = overview(&options);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(item_named(page, "c-down"), "error_message")),
                     "HTTP 503");
    json_decref(page);

    ck_assert_int_eq(mon_overview_options_init(&options, MON_OVERVIEW_OPTIONS_VERSION), MON_OK);
    options.status = MON_STATUS_UNKNOWN;
    options.limit = 1;
    options.offset = 1;
    options.recent = 0;
    page = overview(&options);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 1);
    ck_assert_str_eq(item_name(page, 0), "d-off");
    json_decref(page);

    /* A page past the end still says how many match. */
    options.offset = 10;
    page = overview(&options);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 0);
    json_decref(page);

    /* recent = 0: no checks listed, the uptime still there. */
    ck_assert_int_eq(mon_overview_options_init(&options, MON_OVERVIEW_OPTIONS_VERSION), MON_OK);
    options.recent = 0;
    page = overview(&options);
    ck_assert_uint_eq(json_array_size(json_object_get(item_named(page, "a-apim"), "recent_latency_ms")), 0);
    ck_assert(json_real_value(json_object_get(item_named(page, "a-apim"), "uptime_24h_percent")) == 100.0);
    ck_assert(json_real_value(json_object_get(item_named(page, "c-down"), "uptime_24h_percent")) == 0.0);
    json_decref(page);
}
END_TEST

static void assert_refused(const mon_overview_options *options, int code, const char *field)
{
    char *json = (char *)"untouched";
    ck_assert_int_eq(mon_store_status_overview(&json, store, options), code);
    ck_assert_ptr_null(json);
    ck_assert_str_eq(mon_error_field(), field);
}

START_TEST(overview_refuses_bad_options_naming_the_field)
{
    mon_overview_options o;
    char *json = NULL;

    ck_assert_int_eq(mon_store_status_overview(NULL, store, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_store_status_overview(&json, NULL, NULL), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "store");
    ck_assert_int_eq(mon_overview_options_init(NULL, MON_OVERVIEW_OPTIONS_VERSION), MON_EINVAL);
    ck_assert_int_eq(mon_overview_options_init(&o, 99), MON_EVERSION);
    ck_assert_int_eq(mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION), MON_OK);
    ck_assert_uint_eq(o.limit, 1000);
    ck_assert_uint_eq(o.recent, 30);

    o.version = 2;
    assert_refused(&o, MON_EVERSION, "options.version");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.limit = 0;
    assert_refused(&o, MON_EINVAL, "options.limit");
    o.limit = 10001;
    assert_refused(&o, MON_EINVAL, "options.limit");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.recent = 61;
    assert_refused(&o, MON_EINVAL, "options.recent");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.type = 3;
    assert_refused(&o, MON_EINVAL, "options.type");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.enabled = 2;
    assert_refused(&o, MON_EINVAL, "options.enabled");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.status = 4;
    assert_refused(&o, MON_EINVAL, "options.status");
    mon_overview_options_init(&o, MON_OVERVIEW_OPTIONS_VERSION);
    o.offset = (size_t)-1;
    assert_refused(&o, MON_EINVAL, "options.offset");

    /* Limits at the edges are accepted. */
    o.offset = 0;
    o.limit = 10000;
    o.recent = 60;
    ck_assert_int_eq(mon_store_status_overview(&json, store, &o), MON_OK);
    ck_assert_str_eq(json, "{\"items\":[],\"total\":0,\"limit\":10000,\"offset\":0,\"recent\":60}");
    mon_free(json);
}
END_TEST

/* The first statement after a lost connection is retried on a new one, also
 * the jit setting around the rollup reads (once a 503 after a restart). */
START_TEST(overview_and_uptime_survive_a_terminated_backend)
{
    static const char kill[] = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()";
    mon_uptime_list *uptime = NULL;
    char *json = NULL, id[37];

    create_endpoint(id, "resilient", MON_ENDPOINT_APIM, 1);
    ck_assert_int_eq(mon_store_status_overview(&json, store, NULL), MON_OK);
    mon_free(json);
    pgtest_exec(url, kill);
    ck_assert_int_eq(mon_store_status_overview(&json, store, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"resilient\""));
    mon_free(json);
    pgtest_exec(url, kill);
    ck_assert_int_eq(mon_store_uptime(&uptime, store, id, 86400), MON_OK);
    ck_assert_uint_eq(mon_uptime_list_count(uptime), 1);
    mon_uptime_list_free(uptime);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("store_overview");
    TCase *tc = tcase_create("store_overview");
    int failed;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, overview_reports_uptime_and_recent_checks_exactly);
    tcase_add_test(tc, overview_filters_and_pages_like_the_endpoint_list);
    tcase_add_test(tc, overview_refuses_bad_options_naming_the_field);
    tcase_add_test(tc, overview_and_uptime_survive_a_terminated_backend);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
