/* mon_store_check_metrics_json: checks by status and the latest check's phases, against the private
 * PostgreSQL. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_US (3600LL * 1000000)

static const char *url;
static mon_store *store;

static void setup(void)
{
    store = pgtest_fresh_store("metrics", &url);
}

static void teardown(void)
{
    mon_store_close(store);
    store = NULL;
}

static void create_endpoint(char id[37], const char *name)
{
    pgtest_create_endpoint(store, id, name, MON_ENDPOINT_APIM, 1);
}

static void insert(const char *id, mon_status status, int latency_ms, mon_time at, double dns, double tls)
{
    mon_check_record r = MON_CHECK_RECORD_INIT;
    const mon_check_record *ptrs[1] = {&r};
    snprintf(r.endpoint_id, sizeof(r.endpoint_id), "%s", id);
    r.status = status;
    r.latency_ms = latency_ms;
    r.checked_at = at;
    r.dns_ms = dns;
    r.connect_ms = dns >= 0 ? 2.5 : -1;
    r.tls_ms = tls;
    r.ttfb_ms = dns >= 0 ? 20 : -1;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_OK);
}

/* The figures, parsed; the caller frees them with json_decref(). */
static json_t *figures(void)
{
    char *text = NULL;
    json_t *value;
    ck_assert_int_eq(mon_store_check_metrics_json(&text, store), MON_OK);
    value = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(value);
    mon_free(text);
    return value;
}

static long long total(json_t *f, const char *status)
{
    return (long long)json_integer_value(json_object_get(json_object_get(f, "checks_total"), status));
}

static json_t *phases_of(json_t *f, const char *id)
{
    json_t *item;
    size_t i;
    json_array_foreach(json_object_get(f, "phases"), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "endpoint_id")), id) == 0)
            return item;
    }
    return NULL;
}

START_TEST(empty_store_counts_nothing)
{
    json_t *f = figures();
    ck_assert_int_eq(total(f, "UP"), 0);
    ck_assert_int_eq(total(f, "DOWN"), 0);
    ck_assert_int_eq(total(f, "DEGRADED"), 0);
    ck_assert_int_eq(total(f, "UNKNOWN"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(f, "phases")), 0);
    json_decref(f);
}
END_TEST

START_TEST(checks_counted_by_status_and_latest_phases_per_endpoint)
{
    char a[37], b[37], c[37];
    mon_time now = pgtest_now_us();
    json_t *f, *p;

    create_endpoint(a, "metrics-a");
    create_endpoint(b, "metrics-b");
    create_endpoint(c, "metrics-never-checked");
    insert(a, MON_STATUS_UP, 40, now - 3 * HOUR_US, 9.0, 7.0);
    insert(a, MON_STATUS_DOWN, -1, now - 2 * HOUR_US, -1, -1);
    insert(a, MON_STATUS_UP, 30, now - 60000000, 1.5, -1);
    insert(b, MON_STATUS_DEGRADED, 2500, now - HOUR_US, 3.0, 4.0);
    insert(b, MON_STATUS_UNKNOWN, -1, now - 2 * HOUR_US, -1, -1); /* older: not the latest */

    f = figures();
    ck_assert_int_eq(total(f, "UP"), 2);
    ck_assert_int_eq(total(f, "DOWN"), 1);
    ck_assert_int_eq(total(f, "DEGRADED"), 1);
    ck_assert_int_eq(total(f, "UNKNOWN"), 1);
    ck_assert_int_eq(json_array_size(json_object_get(f, "phases")), 2);
    ck_assert_ptr_null(phases_of(f, c));
    p = phases_of(f, a);
    ck_assert_ptr_nonnull(p);
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "dns_ms")), 1.5, 1e-6);
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "connect_ms")), 2.5, 1e-6);
    ck_assert(json_is_null(json_object_get(p, "tls_ms")));
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "ttfb_ms")), 20, 1e-6);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "total_ms")), 30);
    p = phases_of(f, b);
    ck_assert_ptr_nonnull(p);
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "tls_ms")), 4.0, 1e-6);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "total_ms")), 2500);
    /* Ordered by endpoint id, as the server's merge with the status list expects. */
    ck_assert_int_lt(strcmp(json_string_value(json_object_get(json_array_get(json_object_get(f, "phases"), 0),
                                                              "endpoint_id")),
                            json_string_value(json_object_get(json_array_get(json_object_get(f, "phases"), 1),
                                                              "endpoint_id"))),
                     0);
    json_decref(f);
}
END_TEST

START_TEST(retention_does_not_lower_the_counter)
{
    char a[37];
    mon_time now = pgtest_now_us();
    int64_t deleted = 0;
    json_t *f;

    create_endpoint(a, "metrics-retention");
    insert(a, MON_STATUS_UP, 10, now - 5 * 24 * HOUR_US, 1, -1);
    insert(a, MON_STATUS_DOWN, -1, now - 4 * 24 * HOUR_US, -1, -1);
    insert(a, MON_STATUS_UP, 10, now - 60000000, 1, -1);
    ck_assert_int_eq(mon_store_retention_apply(store, 3 * 86400, &deleted), MON_OK);
    ck_assert_int_eq(deleted, 2);
    f = figures();
    ck_assert_int_eq(total(f, "UP"), 2);
    ck_assert_int_eq(total(f, "DOWN"), 1);
    json_decref(f);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    char *text = NULL;
    ck_assert_int_eq(mon_store_check_metrics_json(NULL, store), MON_EINVAL);
    ck_assert_int_eq(mon_store_check_metrics_json(&text, NULL), MON_EINVAL);
    ck_assert_ptr_null(text);
    ck_assert_str_eq(mon_error_field(), "store");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    int rc;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, empty_store_counts_nothing);
    tcase_add_test(tc, checks_counted_by_status_and_latest_phases_per_endpoint);
    tcase_add_test(tc, retention_does_not_lower_the_counter);
    tcase_add_test(tc, bad_arguments_are_refused);
    suite_add_tcase(suite, tc);
    rc = check_run_suite(suite);
    mon_global_cleanup();
    return rc;
}
