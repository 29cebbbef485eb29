/* Health history, latest status, uptime maths and retention against the private PostgreSQL. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <math.h> /* NAN */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MINUTE_US (60LL * 1000000)
#define HOUR_US (60 * MINUTE_US)
#define DAY_US (24 * HOUR_US)

static const char *url;
static mon_store *store;

static void setup(void)
{
    store = pgtest_fresh_store("store_history", &url);
}

static void teardown(void)
{
    mon_store_close(store);
    store = NULL;
}

/* Create an endpoint named name; its id goes into id (37 bytes). */
static void create_endpoint(char id[37], const char *name)
{
    pgtest_create_endpoint(store, id, name, MON_ENDPOINT_APIM, 1);
}

/* Insert count records through the batch writer. */
static int insert(mon_check_record *records, size_t count)
{
    const mon_check_record *ptrs[256];
    ck_assert_uint_le(count, 256);
    for (size_t i = 0; i < count; i++)
        ptrs[i] = &records[i];
    return mon_store_history_insert(store, ptrs, count);
}

static long long count_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long long count_sql(const char *fmt, ...)
{
    char sql[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(sql, sizeof(sql), fmt, args);
    va_end(args);
    return pgtest_query_ll(url, sql);
}

START_TEST(batch_insert_round_trips_and_reads_a_range_newest_first)
{
    char id[37];
    mon_check_record records[10];
    mon_history_list *list = NULL;
    const char *message = "tab\there\nnew line \\ backslash \\N and 'quote'; DROP TABLE x; --";
    mon_time base = pgtest_now_us();
    char *json = NULL;

    create_endpoint(id, "range");
    for (int i = 0; i < 10; i++)
        records[i] =
            pgtest_record(id, i % 2 ? MON_STATUS_DOWN : MON_STATUS_UP, 100 + i, base - i * MINUTE_US);
    records[3].error_message = message;
    records[3].dns_ms = 1.5;
    records[3].connect_ms = 2.25;
    records[3].tls_ms = 3.125;
    records[3].ttfb_ms = 40;
    records[4].latency_ms = -1;
    records[4].status_code = 0;
    ck_assert_int_eq(insert(records, 10), MON_OK);

    ck_assert_int_eq(mon_store_history(&list, store, id, base - 5 * MINUTE_US, base - MINUTE_US, 100),
                     MON_OK);
    ck_assert_uint_eq(mon_history_list_count(list), 4);
    for (size_t i = 0; i < 4; i++) {
        const mon_history_entry *e = mon_history_list_at(list, i);
        ck_assert(e->checked_at == base - (mon_time)(i + 2) * MINUTE_US);
        ck_assert_str_eq(e->endpoint_id, id);
    }
    {
        const mon_history_entry *e = mon_history_list_at(list, 1); /* i = 3 */
        ck_assert_str_eq(e->error_message, message);
        ck_assert_int_eq(e->status, MON_STATUS_DOWN);
        ck_assert_int_eq(e->status_code, 503);
        ck_assert_int_eq(e->latency_ms, 103);
        ck_assert(e->dns_ms == 1.5 && e->connect_ms == 2.25 && e->tls_ms == 3.125 && e->ttfb_ms == 40);
        e = mon_history_list_at(list, 2); /* i = 4 */
        ck_assert_int_eq(e->latency_ms, -1);
        ck_assert_int_eq(e->status_code, 0);
        ck_assert_ptr_null(e->error_message);
        ck_assert(e->dns_ms == -1);
    }
    ck_assert_int_eq(mon_history_list_to_json(&json, list), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"error_message\":\"tab\\there\\nnew line \\\\ backslash"));
    mon_free(json);
    mon_history_list_free(list);

    ck_assert_int_eq(mon_store_history(&list, store, id, 0, 0, 3), MON_OK);
    ck_assert_uint_eq(mon_history_list_count(list), 3);
    ck_assert(mon_history_list_at(list, 0)->checked_at == base);
    ck_assert_ptr_null(mon_history_list_at(list, 3));
    mon_history_list_free(list);
}
END_TEST

START_TEST(batch_with_unknown_endpoint_writes_nothing)
{
    char id[37];
    mon_check_record records[3];
    create_endpoint(id, "known");
    records[0] = pgtest_record(id, MON_STATUS_UP, 10, 0);
    records[1] = pgtest_record("7d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", MON_STATUS_UP, 10, 0);
    records[2] = pgtest_record(id, MON_STATUS_UP, 10, 0);
    ck_assert_int_eq(insert(records, 3), MON_ENOTFOUND);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM health_history"), 0);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM endpoint_status"), 0);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM health_rollup_hourly"), 0);
    /* The connection is still usable. */
    ck_assert_int_eq(insert(records, 1), MON_OK);
}
END_TEST

START_TEST(latest_status_follows_every_writer)
{
    char a[37], b[37];
    mon_check_record records[2];
    mon_status_list *list = NULL;
    mon_time t = pgtest_now_us() - 10 * MINUTE_US;
    char *json = NULL, *value;

    create_endpoint(a, "alpha");
    create_endpoint(b, "beta");
    records[0] = pgtest_record(a, MON_STATUS_UP, 50, t - MINUTE_US);
    records[1] = pgtest_record(a, MON_STATUS_DOWN, 70, t);
    ck_assert_int_eq(insert(records, 2), MON_OK);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM current_endpoint_status WHERE id = '%s' AND status = 'DOWN'", a), 1);

    /* An older row from a plain SQL client does not overwrite the newer one. */
    {
        char sql[300];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO health_history (endpoint_id, status, checked_at) VALUES ('%s', 'UP', now() - "
                 "interval "
                 "'1 hour')",
                 a);
        pgtest_exec(url, sql);
        ck_assert_int_eq(
            count_sql("SELECT count(*) FROM current_endpoint_status WHERE id = '%s' AND status = 'DOWN'", a),
            1);
        snprintf(sql, sizeof(sql),
                 "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms) VALUES "
                 "('%s', 'DEGRADED', 200, 2500)",
                 a);
        pgtest_exec(url, sql);
    }
    ck_assert_int_eq(mon_store_status_list(&list, store), MON_OK);
    ck_assert_uint_eq(mon_status_list_count(list), 2);
    {
        const mon_status_entry *e = mon_status_list_at(list, 0);
        ck_assert_str_eq(e->name, "alpha");
        ck_assert_int_eq(e->status, MON_STATUS_DEGRADED);
        ck_assert_int_eq(e->latency_ms, 2500);
        ck_assert(e->last_check > t);
        e = mon_status_list_at(list, 1);
        ck_assert_str_eq(e->name, "beta");
        ck_assert_int_eq(e->status, MON_STATUS_UNKNOWN);
        ck_assert(e->last_check == 0);
        ck_assert_int_eq(e->latency_ms, -1);
    }
    ck_assert_int_eq(mon_status_list_to_json(&json, list), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"status\":\"DEGRADED\""));
    mon_free(json);
    mon_status_list_free(list);

    /* The seed's view: same columns, never-checked endpoints have NULL status. */
    value =
        pgtest_query_value(url, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                                "information_schema.columns WHERE table_name = 'current_endpoint_status'");
    ck_assert_str_eq(value, "id,name,type,url,enabled,status,status_code,latency_ms,last_check");
    free(value);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM current_endpoint_status WHERE id = '%s' AND status IS NULL "
                  "AND last_check IS NULL",
                  b),
        1);

    /* Deleting the latest row falls back to the newest remaining one. */
    {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "DELETE FROM health_history WHERE endpoint_id = '%s' AND status = 'DEGRADED'", a);
        pgtest_exec(url, sql);
    }
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM current_endpoint_status WHERE id = '%s' AND status = 'DOWN'", a), 1);
    pgtest_exec(url, "TRUNCATE health_history");
    ck_assert_int_eq(
        pgtest_query_ll(url, "SELECT count(*) FROM current_endpoint_status WHERE status IS NOT NULL"), 0);
}
END_TEST

static int cmp_int(const void *x, const void *y)
{
    return *(const int *)x - *(const int *)y;
}

/* Nearest-rank percentile of sorted values, as percentile_disc. */
static double exact_percentile(const int *sorted, int n, double p)
{
    int rank = (int)(p * n);
    if (rank < p * n)
        rank++;
    return sorted[(rank < 1 ? 1 : rank) - 1];
}

static void assert_close(double got, double want, double relative)
{
    double diff = got > want ? got - want : want - got;
    ck_assert_msg(diff <= relative * want, "got %.3f, want %.3f within %.1f %%", got, want, relative * 100);
}

/* The status list's JSON is written as text: it must be exactly what Jansson
 * dumps for the same values, escapes included. */
START_TEST(status_json_is_jansson_compact_text)
{
    mon_status_list *list = NULL;
    char *json = NULL, *again;
    json_t *parsed;
    json_error_t err;

    pgtest_exec(url, "INSERT INTO endpoints (name, type, url, enabled) VALUES "
                     "(E'quote \" back \\\\ slash / \u00e9 \u2603 \x7f', 'DOMAIN', "
                     "'https://a.example.test/?q=\"x\"', false), "
                     "('never checked', 'TALEND', 'https://b.example.test/', true)");
    pgtest_exec(url, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms,"
                     " error_message) SELECT id, 'DOWN', 503, 0, E'tab\\there\\nnew line \\r \\b \\f \x01 \x1f end' "
                     "FROM endpoints WHERE type = 'DOMAIN'");
    ck_assert_int_eq(mon_store_status_list(&list, store), MON_OK);
    ck_assert_int_eq(mon_status_list_to_json(&json, list), MON_OK);
    parsed = json_loads(json, 0, &err);
    ck_assert_msg(parsed != NULL, "%s: %s", err.text, json);
    ck_assert_uint_eq(json_array_size(parsed), 2);
    again = json_dumps(parsed, JSON_COMPACT);
    ck_assert_str_eq(json, again);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(parsed, 1), "error_message")),
                     "tab\there\nnew line \r \b \f \x01 \x1f end");
    ck_assert_ptr_nonnull(strstr(json, "\"latency_ms\":0,"));
    ck_assert_ptr_nonnull(strstr(json, "\\u0001"));
    free(again);
    json_decref(parsed);
    mon_free(json);
    mon_status_list_free(list);
}
END_TEST

START_TEST(uptime_maths_on_known_data)
{
    char id[37], idle[37];
    mon_check_record records[103];
    int latencies[100];
    mon_uptime_list *list = NULL;
    mon_time now = pgtest_now_us();
    const int64_t windows[] = {3600, 86400, 7 * 86400, 30 * 86400};
    char *json = NULL;

    create_endpoint(id, "maths");
    create_endpoint(idle, "never-checked");
    /* 90 UP, 5 DEGRADED, 5 DOWN, 3 UNKNOWN (not counted) over the last 35 minutes. */
    for (int i = 0; i < 100; i++) {
        mon_status s = i < 90 ? MON_STATUS_UP : i < 95 ? MON_STATUS_DEGRADED : MON_STATUS_DOWN;
        latencies[i] = 10 + (i * 37) % 700;
        records[i] = pgtest_record(id, s, latencies[i], now - (i + 1) * 20 * 1000000LL);
    }
    for (int i = 100; i < 103; i++)
        records[i] = pgtest_record(id, MON_STATUS_UNKNOWN, -1, now - (i + 1) * 20 * 1000000LL);
    ck_assert_int_eq(insert(records, 103), MON_OK);
    qsort(latencies, 100, sizeof(int), cmp_int);

    for (int w = 0; w < 4; w++) {
        const mon_uptime_entry *e;
        /* Raw rows (window < 2 h) are exact; rollups within 4.9 %. */
        double tolerance = windows[w] < 7200 ? 0 : 0.049;
        ck_assert_int_eq(mon_store_uptime(&list, store, NULL, windows[w]), MON_OK);
        ck_assert_uint_eq(mon_uptime_list_count(list), 2);
        e = mon_uptime_list_at(list, 0);
        ck_assert_str_eq(e->endpoint_id, id);
        ck_assert_int_eq(e->checks, 103);
        ck_assert_int_eq(e->up, 90);
        ck_assert_int_eq(e->degraded, 5);
        ck_assert_int_eq(e->down, 5);
        ck_assert_int_eq(e->unknown, 3);
        ck_assert_int_eq(e->window_seconds, windows[w]);
        assert_close(e->uptime_percent, 95.0, 1e-9);
        assert_close(e->p50_ms, exact_percentile(latencies, 100, 0.50), tolerance);
        assert_close(e->p95_ms, exact_percentile(latencies, 100, 0.95), tolerance);
        assert_close(e->p99_ms, exact_percentile(latencies, 100, 0.99), tolerance);
        e = mon_uptime_list_at(list, 1);
        ck_assert_str_eq(e->endpoint_id, idle);
        ck_assert_int_eq(e->checks, 0);
        ck_assert(e->uptime_percent == -1 && e->p50_ms == -1 && e->p95_ms == -1 && e->p99_ms == -1);
        if (w == 1) {
            ck_assert_int_eq(mon_uptime_list_to_json(&json, list), MON_OK);
            ck_assert_ptr_nonnull(strstr(json, "\"uptime_percent\":95.0"));
            ck_assert_ptr_nonnull(strstr(json, "\"p95_ms\":null"));
            mon_free(json);
        }
        mon_uptime_list_free(list);
    }

    /* Rows arriving late for an older hour keep the running totals right. */
    for (int i = 0; i < 10; i++)
        records[i] = pgtest_record(id, MON_STATUS_DOWN, 1000, now - 5 * HOUR_US - i * MINUTE_US);
    ck_assert_int_eq(insert(records, 10), MON_OK);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 86400), MON_OK);
    ck_assert_uint_eq(mon_uptime_list_count(list), 1);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->down, 15);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 113);
    assert_close(mon_uptime_list_at(list, 0)->uptime_percent, 95.0 * 100 / 110, 1e-9);
    mon_uptime_list_free(list);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 3600), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->down, 5);
    mon_uptime_list_free(list);
    ck_assert_int_eq(count_sql("SELECT c_down FROM health_rollup_hourly WHERE endpoint_id = '%s' "
                               "ORDER BY hour DESC LIMIT 1",
                               id),
                     15);
}
END_TEST

START_TEST(uptime_windows_cover_sparse_hours)
{
    char id[37];
    mon_check_record records[5];
    mon_uptime_list *list = NULL;
    mon_time now = pgtest_now_us();

    /* Checked 30 h and 3 h 5 min ago only: no row in the current hour nor at
     * the first hour of a 24 h window. The 2 h window starts at the top of the
     * hour of now - 2 h, which is after now - 3 h: rows from 3 h 5 min to 3 h
     * 3 min ago stay outside it at any minute of the hour. */
    create_endpoint(id, "sparse");
    records[0] = pgtest_record(id, MON_STATUS_DOWN, 100, now - 30 * HOUR_US);
    records[1] = pgtest_record(id, MON_STATUS_DOWN, 100, now - 30 * HOUR_US + MINUTE_US);
    records[2] = pgtest_record(id, MON_STATUS_UP, 200, now - 3 * HOUR_US - 5 * MINUTE_US);
    records[3] = pgtest_record(id, MON_STATUS_UP, 200, now - 3 * HOUR_US - 4 * MINUTE_US);
    records[4] = pgtest_record(id, MON_STATUS_DEGRADED, 200, now - 3 * HOUR_US - 3 * MINUTE_US);
    ck_assert_int_eq(insert(records, 5), MON_OK);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 86400), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 3);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->down, 0);
    assert_close(mon_uptime_list_at(list, 0)->p50_ms, 200, 0.049);
    mon_uptime_list_free(list);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 2 * 86400), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 5);
    assert_close(mon_uptime_list_at(list, 0)->uptime_percent, 60.0, 1e-9);
    mon_uptime_list_free(list);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 7200), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 0);
    ck_assert(mon_uptime_list_at(list, 0)->uptime_percent == -1);
    mon_uptime_list_free(list);
}
END_TEST

START_TEST(histograms_keep_only_the_buckets_used_in_any_order)
{
    char id[37];
    mon_check_record r;
    mon_uptime_list *list = NULL;
    mon_time now = pgtest_now_us();
    const int latencies[] = {500, 5, 50, 5, 500, 50, 50};

    /* One statement each, new buckets arriving below, between and above the
     * ones counted so far: the sparse histogram keeps them in bucket order. */
    create_endpoint(id, "sparse-buckets");
    for (int i = 0; i < 7; i++) {
        r = pgtest_record(id, MON_STATUS_UP, latencies[i], now - (7 - i) * MINUTE_US);
        ck_assert_int_eq(insert(&r, 1), MON_OK);
    }
    ck_assert_int_eq(count_sql("SELECT octet_length(c_hist) FROM health_rollup_hourly"
                               " WHERE endpoint_id = '%s' ORDER BY hour DESC LIMIT 1",
                               id),
                     16 + 3 * 4);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 86400), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 7);
    assert_close(mon_uptime_list_at(list, 0)->p50_ms, 50, 0.049);
    assert_close(mon_uptime_list_at(list, 0)->p95_ms, 500, 0.049);
    assert_close(mon_uptime_list_at(list, 0)->p99_ms, 500, 0.049);
    mon_uptime_list_free(list);
}
END_TEST

START_TEST(retention_deletes_old_history_and_rollups)
{
    char id[37];
    mon_check_record records[7];
    mon_uptime_list *list = NULL;
    int64_t deleted = -1;
    mon_time now = pgtest_now_us();

    create_endpoint(id, "old");
    for (int i = 0; i < 5; i++)
        records[i] = pgtest_record(id, MON_STATUS_DOWN, 10, now - 3 * DAY_US - i * MINUTE_US);
    records[5] = pgtest_record(id, MON_STATUS_UP, 10, now - MINUTE_US);
    records[6] = pgtest_record(id, MON_STATUS_UP, 10, now);
    ck_assert_int_eq(insert(records, 7), MON_OK);
    ck_assert_int_eq(mon_store_retention_apply(store, 86399, &deleted), MON_EINVAL);
    ck_assert_int_eq(mon_store_retention_apply(store, 2 * 86400, &deleted), MON_OK);
    ck_assert_int_eq(deleted, 5);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM health_history"), 2);
    ck_assert_int_eq(mon_store_uptime(&list, store, id, 7 * 86400), MON_OK);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->checks, 2);
    ck_assert_int_eq(mon_uptime_list_at(list, 0)->down, 0);
    mon_uptime_list_free(list);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM current_endpoint_status WHERE id = '%s' AND status = 'UP'", id), 1);
    ck_assert_int_eq(mon_store_retention_apply(store, 2 * 86400, NULL), MON_OK);
}
END_TEST

START_TEST(bad_input_is_refused_clearly)
{
    char id[37];
    mon_check_record r;
    const mon_check_record *ptrs[2];
    mon_history_list *history = NULL;
    mon_uptime_list *uptime = NULL;
    mon_status status;

    create_endpoint(id, "strict");
    ck_assert_int_eq(mon_store_history_insert(store, NULL, 0), MON_OK);
    ck_assert_int_eq(mon_store_history_insert(store, NULL, 1), MON_EINVAL);
    ck_assert_int_eq(mon_store_history_insert(NULL, NULL, 0), MON_EINVAL);
    ptrs[0] = NULL;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    r = pgtest_record(id, MON_STATUS_UP, 1, 0);
    ptrs[0] = &r;
    r.status = (mon_status)9;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "records[0].status");
    r = pgtest_record(id, MON_STATUS_UP, -5, 0);
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    r = pgtest_record(id, MON_STATUS_UP, 1, 0);
    r.tls_ms = NAN;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "records[0].tls_ms");
    r = pgtest_record("not-a-uuid", MON_STATUS_UP, 1, 0);
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    r = pgtest_record(id, MON_STATUS_UP, 1, 0);
    r.version = 42;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EVERSION);
    r = pgtest_record(id, MON_STATUS_UP, 1, 0);
    r.error_message = "\xff\xfe not UTF-8";
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_EINVAL);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM health_history"), 0);

    ck_assert_int_eq(mon_store_history(&history, store, id, 0, 0, 0), MON_EINVAL);
    ck_assert_int_eq(mon_store_history(&history, store, id, 0, 0, 10001), MON_EINVAL);
    ck_assert_int_eq(mon_store_history(&history, store, id, 10, 5, 10), MON_EINVAL);
    ck_assert_int_eq(mon_store_history(&history, store, "x", 0, 0, 10), MON_EINVAL);
    ck_assert_int_eq(mon_store_history(&history, store, NULL, 0, 0, 10), MON_EINVAL);
    ck_assert_int_eq(mon_store_history(&history, store, "7d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", 0, 0, 10),
                     MON_ENOTFOUND);
    ck_assert_ptr_null(history);

    ck_assert_int_eq(mon_store_uptime(&uptime, store, NULL, 59), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "window_seconds");
    ck_assert_int_eq(mon_store_uptime(&uptime, store, NULL, 31 * 86400 + 1), MON_EINVAL);
    ck_assert_int_eq(mon_store_uptime(&uptime, store, "x'--", 3600), MON_EINVAL);
    ck_assert_int_eq(mon_store_uptime(&uptime, store, "7d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", 86400),
                     MON_ENOTFOUND);
    ck_assert_ptr_null(uptime);
    ck_assert_int_eq(mon_store_uptime(&uptime, store, NULL, 60), MON_OK);
    ck_assert_uint_eq(mon_uptime_list_count(uptime), 1);
    mon_uptime_list_free(uptime);

    ck_assert_int_eq(mon_status_parse(&status, "DEGRADED"), MON_OK);
    ck_assert_int_eq(status, MON_STATUS_DEGRADED);
    ck_assert_int_eq(mon_status_parse(&status, "up"), MON_EINVAL);
    ck_assert_int_eq(mon_status_parse(&status, NULL), MON_EINVAL);
    ck_assert_ptr_null(mon_status_name((mon_status)4));
    ck_assert_str_eq(mon_status_name(MON_STATUS_UNKNOWN), "UNKNOWN");
    ck_assert_int_eq(mon_check_record_init(&r, 2), MON_EVERSION);
    ck_assert_int_eq(mon_check_record_init(&r, MON_CHECK_RECORD_VERSION), MON_OK);
    ck_assert_int_eq(r.latency_ms, -1);
    ck_assert_int_eq(mon_store_retention_apply(NULL, 86400, NULL), MON_EINVAL);
    mon_history_list_free(NULL);
    mon_status_list_free(NULL);
    mon_uptime_list_free(NULL);
}
END_TEST

START_TEST(reads_survive_a_terminated_backend)
{
    char id[37];
    mon_check_record r;
    mon_status_list *list = NULL;
    const mon_check_record *ptrs[1] = {&r};

    create_endpoint(id, "resilient");
    r = pgtest_record(id, MON_STATUS_UP, 5, 0);
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_OK);
    pgtest_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ck_assert_int_eq(mon_store_status_list(&list, store), MON_OK);
    ck_assert_int_eq(mon_status_list_at(list, 0)->status, MON_STATUS_UP);
    mon_status_list_free(list);
    pgtest_exec(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_ECONN);
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_OK);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM health_history"), 2);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("store_history");
    TCase *tc = tcase_create("store_history");
    int failed;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, batch_insert_round_trips_and_reads_a_range_newest_first);
    tcase_add_test(tc, batch_with_unknown_endpoint_writes_nothing);
    tcase_add_test(tc, latest_status_follows_every_writer);
    tcase_add_test(tc, status_json_is_jansson_compact_text);
    tcase_add_test(tc, uptime_maths_on_known_data);
    tcase_add_test(tc, uptime_windows_cover_sparse_hours);
    tcase_add_test(tc, histograms_keep_only_the_buckets_used_in_any_order);
    tcase_add_test(tc, retention_deletes_old_history_and_rollups);
    tcase_add_test(tc, bad_input_is_refused_clearly);
    tcase_add_test(tc, reads_survive_a_terminated_backend);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
