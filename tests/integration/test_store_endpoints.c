/* Endpoint CRUD, paging and filters against the private PostgreSQL. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *url;
static mon_store *store;

static void setup(void)
{
    url = pgtest_fresh_database("store_endpoints");
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
}

static void teardown(void)
{
    mon_store_close(store);
    store = NULL;
}

static mon_endpoint *new_endpoint(const char *name, mon_endpoint_type type)
{
    mon_endpoint *ep = NULL;
    char link[200];
    snprintf(link, sizeof(link), "https://%s.example.test/health", name);
    ck_assert_int_eq(mon_endpoint_new(&ep), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_name(ep, name), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_type(ep, type), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_url(ep, link), MON_OK);
    return ep;
}

/* JSONB keeps objects with their keys sorted: compare as JSON, not as text. */
static void assert_same_json(const char *a, const char *b)
{
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    ck_assert_msg(ja && jb && json_equal(ja, jb), "%s differs from %s", a, b);
    json_decref(ja);
    json_decref(jb);
}

static void assert_same_endpoint(const mon_endpoint *a, const mon_endpoint *b)
{
    ck_assert_str_eq(mon_endpoint_get_id(a), mon_endpoint_get_id(b));
    ck_assert_str_eq(mon_endpoint_get_name(a), mon_endpoint_get_name(b));
    ck_assert_int_eq(mon_endpoint_get_type(a), mon_endpoint_get_type(b));
    ck_assert_str_eq(mon_endpoint_get_url(a), mon_endpoint_get_url(b));
    ck_assert_int_eq(mon_endpoint_get_check_interval(a), mon_endpoint_get_check_interval(b));
    ck_assert_int_eq(mon_endpoint_get_timeout_ms(a), mon_endpoint_get_timeout_ms(b));
    ck_assert_int_eq(mon_endpoint_get_expected_status(a), mon_endpoint_get_expected_status(b));
    assert_same_json(mon_endpoint_get_headers_json(a), mon_endpoint_get_headers_json(b));
    ck_assert_int_eq(mon_endpoint_get_enabled(a), mon_endpoint_get_enabled(b));
    ck_assert_str_eq(mon_endpoint_get_method(a), mon_endpoint_get_method(b));
    ck_assert_int_eq(mon_endpoint_get_degraded_ms(a), mon_endpoint_get_degraded_ms(b));
    ck_assert_int_eq(mon_endpoint_get_retries(a), mon_endpoint_get_retries(b));
    assert_same_json(mon_endpoint_get_conditions_json(a), mon_endpoint_get_conditions_json(b));
    ck_assert_int_eq(mon_endpoint_get_cert_warn_days(a), mon_endpoint_get_cert_warn_days(b));
    ck_assert_int_eq(mon_endpoint_get_follow_redirects(a), mon_endpoint_get_follow_redirects(b));
    ck_assert(mon_endpoint_get_created_at(a) == mon_endpoint_get_created_at(b));
    ck_assert(mon_endpoint_get_updated_at(a) == mon_endpoint_get_updated_at(b));
}

START_TEST(endpoint_round_trip_keeps_every_field)
{
    mon_endpoint *ep = new_endpoint("api-orders", MON_ENDPOINT_DOMAIN), *got = NULL;
    mon_time first_update;

    ck_assert_int_eq(mon_endpoint_set_check_interval(ep, 300), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_timeout_ms(ep, 7000), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_expected_status(ep, 204), MON_OK);
    ck_assert_int_eq(
        mon_endpoint_set_headers_json(ep, "{\"X-Trace\":\"on\",\"Accept\":\"application/json\"}"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_enabled(ep, 0), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_method(ep, "HEAD"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_degraded_ms(ep, 1500), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_retries(ep, 3), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_conditions_json(ep, "[{\"type\":\"json_equals\",\"path\":\"status\","
                                                          "\"value\":\"UP\"},{\"type\":\"body_not_contains\","
                                                          "\"value\":\"error\"}]"),
                     MON_OK);
    ck_assert_int_eq(mon_endpoint_set_cert_warn_days(ep, 30), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_follow_redirects(ep, 1), MON_OK);

    ck_assert_int_eq(mon_store_endpoint_create(store, ep), MON_OK);
    ck_assert_int_eq((int)strlen(mon_endpoint_get_id(ep)), 36);
    ck_assert(mon_endpoint_get_created_at(ep) > 0);
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_OK);
    assert_same_endpoint(ep, got);
    mon_endpoint_free(got);

    first_update = mon_endpoint_get_updated_at(ep);
    ck_assert_int_eq(mon_endpoint_set_name(ep, "api-orders-v2"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_type(ep, MON_ENDPOINT_TALEND), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_enabled(ep, 1), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_follow_redirects(ep, 0), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_OK);
    ck_assert(mon_endpoint_get_updated_at(ep) >= first_update);
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_OK);
    assert_same_endpoint(ep, got);
    mon_endpoint_free(got);

    ck_assert_int_eq(mon_store_endpoint_delete(store, mon_endpoint_get_id(ep)), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_ENOTFOUND);
    ck_assert_ptr_null(got);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(rows_written_by_plain_sql_get_the_documented_defaults)
{
    mon_endpoint *got = NULL;
    pgtest_exec(url,
                "INSERT INTO endpoints (id, name, type, url) VALUES "
                "('0b9f6a5e-1c1d-4f1e-9a7b-2d3c4e5f6a7b', 'legacy', 'APIM', 'http://legacy.example.test/')");
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, "0B9F6A5E-1C1D-4F1E-9A7B-2D3C4E5F6A7B"), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_method(got), "GET");
    ck_assert_int_eq(mon_endpoint_get_degraded_ms(got), 2000);
    ck_assert_int_eq(mon_endpoint_get_retries(got), 1);
    ck_assert_str_eq(mon_endpoint_get_conditions_json(got), "[]");
    ck_assert_int_eq(mon_endpoint_get_cert_warn_days(got), 14);
    ck_assert_int_eq(mon_endpoint_get_follow_redirects(got), 0);
    ck_assert_int_eq(mon_endpoint_get_check_interval(got), 60);
    mon_endpoint_free(got);
}
END_TEST

START_TEST(create_with_taken_id_is_eexists)
{
    mon_endpoint *a = new_endpoint("first", MON_ENDPOINT_APIM),
                 *b = new_endpoint("second", MON_ENDPOINT_APIM);
    ck_assert_int_eq(mon_store_endpoint_create(store, a), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_id(b, mon_endpoint_get_id(a)), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_create(store, b), MON_EEXISTS);
    ck_assert_str_eq(mon_error_field(), "id");
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM endpoints"), 1);
    mon_endpoint_free(a);
    mon_endpoint_free(b);
}
END_TEST

START_TEST(missing_id_is_enotfound)
{
    const char *absent = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    mon_endpoint *ep = new_endpoint("ghost", MON_ENDPOINT_APIM), *got = NULL;
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, absent), MON_ENOTFOUND);
    ck_assert_int_eq(mon_store_endpoint_delete(store, absent), MON_ENOTFOUND);
    ck_assert_int_eq(mon_endpoint_set_id(ep, absent), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_ENOTFOUND);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(invalid_uuid_is_einval_without_a_query)
{
    mon_endpoint *got = NULL, *ep = new_endpoint("no-id", MON_ENDPOINT_APIM);
    const char *bad[] = {"",
                         "42",
                         "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4",
                         "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4g",
                         "'; DROP TABLE endpoints; --",
                         NULL};
    /* The field "id" shows our check refused it: PostgreSQL's 22P02 would name none. */
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(mon_store_endpoint_get(&got, store, bad[i]), MON_EINVAL);
        ck_assert_str_eq(mon_error_field(), "id");
        ck_assert_int_eq(mon_store_endpoint_delete(store, bad[i]), MON_EINVAL);
        ck_assert_str_eq(mon_error_field(), "id");
    }
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "id");
    ck_assert_int_eq(mon_store_endpoint_create(store, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_store_endpoint_create(NULL, ep), MON_EINVAL);
    ck_assert_int_eq(mon_store_endpoint_get(NULL, store, "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"), MON_EINVAL);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(sql_injection_strings_are_stored_verbatim)
{
    const char *name = "x'); DROP TABLE endpoints; -- \\ \"q\"";
    mon_endpoint *ep = new_endpoint("inj", MON_ENDPOINT_APIM), *got = NULL;
    ck_assert_int_eq(mon_endpoint_set_name(ep, name), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-Evil", "'; DELETE FROM endpoints; --"), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_create(store, ep), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_name(got), name);
    assert_same_json(mon_endpoint_get_headers_json(got), mon_endpoint_get_headers_json(ep));
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM endpoints"), 1);
    mon_endpoint_free(ep);
    mon_endpoint_free(got);
}
END_TEST

START_TEST(list_pages_filters_and_counts)
{
    mon_endpoint_filter filter;
    mon_endpoint_list *list = NULL;
    char name[32];

    for (int i = 0; i < 25; i++) {
        mon_endpoint *ep;
        snprintf(name, sizeof(name), "ep-%02d", i);
        ep = new_endpoint(name, i % 3 == 0 ? MON_ENDPOINT_TALEND : MON_ENDPOINT_APIM);
        ck_assert_int_eq(mon_endpoint_set_enabled(ep, i % 2 == 0), MON_OK);
        ck_assert_int_eq(mon_store_endpoint_create(store, ep), MON_OK);
        mon_endpoint_free(ep);
    }
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, NULL), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_count(list), 25);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 25);
    ck_assert_str_eq(mon_endpoint_get_name(mon_endpoint_list_at(list, 0)), "ep-00");
    ck_assert_str_eq(mon_endpoint_get_name(mon_endpoint_list_at(list, 24)), "ep-24");
    ck_assert_ptr_null(mon_endpoint_list_at(list, 25));
    mon_endpoint_list_free(list);

    ck_assert_int_eq(mon_endpoint_filter_init(&filter, MON_ENDPOINT_FILTER_VERSION), MON_OK);
    filter.limit = 10;
    filter.offset = 20;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_count(list), 5);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 25);
    ck_assert_str_eq(mon_endpoint_get_name(mon_endpoint_list_at(list, 0)), "ep-20");
    mon_endpoint_list_free(list);

    filter.offset = 100;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_count(list), 0);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 25);
    mon_endpoint_list_free(list);

    /* TALEND: 0,3,...,24 (9); of those enabled (even): 0,6,12,18,24 (5). */
    filter.offset = 0;
    filter.type = MON_ENDPOINT_TALEND;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 9);
    mon_endpoint_list_free(list);
    filter.enabled = 1;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 5);
    ck_assert_uint_eq(mon_endpoint_list_count(list), 5);
    for (size_t i = 0; i < mon_endpoint_list_count(list); i++) {
        ck_assert_int_eq(mon_endpoint_get_type(mon_endpoint_list_at(list, i)), MON_ENDPOINT_TALEND);
        ck_assert_int_eq(mon_endpoint_get_enabled(mon_endpoint_list_at(list, i)), 1);
    }
    mon_endpoint_list_free(list);

    /* Latest status: one endpoint DOWN, the others never checked (UNKNOWN). */
    pgtest_exec(url, "INSERT INTO health_history (endpoint_id, status) SELECT id, 'DOWN' FROM endpoints "
                     "WHERE name = 'ep-07'");
    ck_assert_int_eq(mon_endpoint_filter_init(&filter, MON_ENDPOINT_FILTER_VERSION), MON_OK);
    filter.status = MON_STATUS_DOWN;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 1);
    ck_assert_str_eq(mon_endpoint_get_name(mon_endpoint_list_at(list, 0)), "ep-07");
    mon_endpoint_list_free(list);
    filter.status = MON_STATUS_UNKNOWN;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_OK);
    ck_assert_uint_eq(mon_endpoint_list_total(list), 24);
    mon_endpoint_list_free(list);
}
END_TEST

START_TEST(list_refuses_bad_filters)
{
    mon_endpoint_filter filter = MON_ENDPOINT_FILTER_INIT;
    mon_endpoint_list *list = NULL;

    filter.limit = 0;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "filter.limit");
    filter.limit = 100000;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EINVAL);
    filter.limit = 1000;
    filter.type = 7;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "filter.type");
    filter.type = -1;
    filter.enabled = 2;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EINVAL);
    filter.enabled = -1;
    filter.status = 4;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EINVAL);
    filter.status = -1;
    filter.version = 99;
    ck_assert_int_eq(mon_store_endpoint_list(&list, store, &filter), MON_EVERSION);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(mon_endpoint_filter_init(&filter, 99), MON_EVERSION);
    ck_assert_int_eq(mon_endpoint_filter_init(NULL, MON_ENDPOINT_FILTER_VERSION), MON_EINVAL);
    ck_assert_int_eq(mon_store_endpoint_list(NULL, store, NULL), MON_EINVAL);
    ck_assert_uint_eq(mon_endpoint_list_count(NULL), 0);
    mon_endpoint_list_free(NULL);
}
END_TEST

START_TEST(lost_connection_reconnects_once)
{
    mon_endpoint *ep = new_endpoint("survivor", MON_ENDPOINT_APIM), *got = NULL;
    ck_assert_int_eq(mon_store_endpoint_create(store, ep), MON_OK);
    pgtest_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_name(got), "survivor");
    mon_endpoint_free(got);
    /* A write on a dead connection fails once, then the next call reconnects. */
    pgtest_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_ECONN);
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_OK);
    mon_endpoint_free(ep);
}
END_TEST

/* The hot reads are prepared per connection: a new session prepares them again. */
START_TEST(prepared_reads_are_prepared_again_after_a_reconnect)
{
    mon_endpoint *ep = new_endpoint("prepared", MON_ENDPOINT_APIM), *got = NULL;
    mon_endpoint_list *list = NULL;
    mon_status_list *status = NULL;
    mon_endpoint_filter page = MON_ENDPOINT_FILTER_INIT;

    ck_assert_int_eq(mon_store_endpoint_create(store, ep), MON_OK);
    page.offset = 5;
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(mon_store_endpoint_get(&got, store, mon_endpoint_get_id(ep)), MON_OK);
        ck_assert_str_eq(mon_endpoint_get_name(got), "prepared");
        mon_endpoint_free(got);
        ck_assert_int_eq(mon_store_endpoint_list(&list, store, NULL), MON_OK);
        ck_assert_uint_eq(mon_endpoint_list_total(list), 1);
        mon_endpoint_list_free(list);
        /* A page past the end: the count runs apart. */
        ck_assert_int_eq(mon_store_endpoint_list(&list, store, &page), MON_OK);
        ck_assert_uint_eq(mon_endpoint_list_count(list), 0);
        ck_assert_uint_eq(mon_endpoint_list_total(list), 1);
        mon_endpoint_list_free(list);
        ck_assert_int_eq(mon_store_status_list(&status, store), MON_OK);
        ck_assert_uint_eq(mon_status_list_count(status), 1);
        mon_status_list_free(status);
        pgtest_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    }
    mon_endpoint_free(ep);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("store_endpoints");
    TCase *tc = tcase_create("store_endpoints");
    int failed;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, endpoint_round_trip_keeps_every_field);
    tcase_add_test(tc, rows_written_by_plain_sql_get_the_documented_defaults);
    tcase_add_test(tc, create_with_taken_id_is_eexists);
    tcase_add_test(tc, missing_id_is_enotfound);
    tcase_add_test(tc, invalid_uuid_is_einval_without_a_query);
    tcase_add_test(tc, sql_injection_strings_are_stored_verbatim);
    tcase_add_test(tc, list_pages_filters_and_counts);
    tcase_add_test(tc, list_refuses_bad_filters);
    tcase_add_test(tc, lost_connection_reconnects_once);
    tcase_add_test(tc, prepared_reads_are_prepared_again_after_a_reconnect);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
