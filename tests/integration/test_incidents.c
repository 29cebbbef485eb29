/* Incidents opened and resolved by the database from check results, flapping, several writers,
 * maintenance windows, and the incident / policy / window API, against the private PostgreSQL. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECOND_US 1000000LL
#define MINUTE_US (60 * SECOND_US)

static const char *url;
static mon_store *store;

static void setup(void)
{
    store = pgtest_fresh_store("incidents", &url);
}

static void teardown(void)
{
    mon_store_close(store);
    store = NULL;
}

/* Create an endpoint named name of type; its id goes into id (37 bytes). */
static void create_endpoint(char id[37], const char *name, mon_endpoint_type type)
{
    pgtest_create_endpoint(store, id, name, type, 1);
}

/* Record one result of id through the batch writer (a COPY, as the scheduler writes). */
static void result_at(const char *id, mon_status status, mon_time at)
{
    mon_check_record r = MON_CHECK_RECORD_INIT;
    const mon_check_record *ptrs[1] = {&r};
    char error[64];
    snprintf(r.endpoint_id, sizeof(r.endpoint_id), "%s", id);
    snprintf(error, sizeof(error), "refused at %lld", (long long)(at / SECOND_US));
    r.status = status;
    r.status_code = status == MON_STATUS_DOWN ? 0 : 200;
    r.latency_ms = 20;
    r.error_message = status == MON_STATUS_DOWN ? error : NULL;
    r.checked_at = at;
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 1), MON_OK);
}

/* UP a minute before t0, then DOWN and UP alternately every 3 s from t0: 20 changes in one minute. */
static void flap_ten_times(const char *id, mon_time t0)
{
    result_at(id, MON_STATUS_UP, t0 - MINUTE_US);
    for (int i = 0; i < 10; i++) {
        result_at(id, MON_STATUS_DOWN, t0 + (2 * i) * 3 * SECOND_US);
        result_at(id, MON_STATUS_UP, t0 + (2 * i + 1) * 3 * SECOND_US);
    }
}

static long long count_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long long count_sql(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return pgtest_query_ll(url, sql);
}

static char *value_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *value_sql(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return pgtest_query_value(url, sql);
}

static long long incidents_of(const char *id)
{
    return count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s'", id);
}

static long long events_of(const char *id, const char *kind)
{
    return count_sql("SELECT count(*) FROM incident_events WHERE endpoint_id = '%s' AND kind = '%s'", id,
                     kind);
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    ck_assert_msg(v != NULL, "not JSON: %s", text);
    return v;
}

/* Set a policy and check the call succeeds. */
static void set_policy(const char *endpoint_id, const char *json)
{
    ck_assert_msg(mon_incident_policy_set(NULL, store, endpoint_id, json, NULL) == MON_OK, "%s",
                  mon_error_last());
}

START_TEST(down_target_opens_one_incident_and_one_event)
{
    char id[37], *text = NULL, *s, expected[64];
    mon_time t0 = pgtest_now_us() - 10 * MINUTE_US;
    mon_incident_filter f = MON_INCIDENT_FILTER_INIT;
    json_t *page, *inc;

    create_endpoint(id, "api", MON_ENDPOINT_APIM);
    result_at(id, MON_STATUS_UP, t0);
    ck_assert_int_eq(incidents_of(id), 0);
    for (int i = 1; i <= 3; i++)
        result_at(id, MON_STATUS_DOWN, t0 + i * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);
    ck_assert_int_eq(events_of(id, "opened"), 1);
    ck_assert_int_eq(events_of(id, "resolved"), 0);
    ck_assert_int_eq(count_sql("SELECT failed_checks FROM incidents WHERE endpoint_id = '%s'", id), 3);
    s = value_sql("SELECT first_error FROM incidents WHERE endpoint_id = '%s'", id);
    snprintf(expected, sizeof(expected), "refused at %lld", (long long)((t0 + MINUTE_US) / SECOND_US));
    ck_assert_str_eq(s, expected);
    free(s);

    /* The event carries the endpoint and the incident as they were when it opened. */
    s = value_sql(
        "SELECT payload->'endpoint'->>'name' || ' ' || (payload->'incident'->>'failed_checks') || ' '"
        " || (payload->'incident'->>'kind') FROM incident_events WHERE endpoint_id = '%s'",
        id);
    ck_assert_str_eq(s, "api 1 down");
    free(s);

    f.endpoint_id = id;
    f.open = 1;
    ck_assert_int_eq(mon_incident_list_json(&text, store, &f), MON_OK);
    page = parse(text);
    mon_free(text);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "incidents")), 1);
    ck_assert(json_is_null(json_object_get(page, "next_cursor")));
    inc = json_array_get(json_object_get(page, "incidents"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "state")), "open");
    ck_assert_str_eq(json_string_value(json_object_get(inc, "kind")), "down");
    ck_assert_str_eq(json_string_value(json_object_get(inc, "endpoint_name")), "api");
    ck_assert_int_eq(json_integer_value(json_object_get(inc, "failed_checks")), 3);
    ck_assert(json_is_null(json_object_get(inc, "resolved_at")));

    ck_assert_int_eq(mon_incident_get_json(&text, store, json_string_value(json_object_get(inc, "id"))),
                     MON_OK);
    ck_assert_ptr_nonnull(strstr(text, "\"kind\": \"opened\""));
    mon_free(text);
    json_decref(page);

    f.open = 0;
    ck_assert_int_eq(mon_incident_list_json(&text, store, &f), MON_OK);
    ck_assert_ptr_nonnull(strstr(text, "\"incidents\" : []"));
    mon_free(text);
}
END_TEST

START_TEST(recovery_after_up_threshold_resolves_with_one_event)
{
    char id[37], other[37], *text = NULL;
    mon_time t0 = pgtest_now_us() - 10 * MINUTE_US;

    create_endpoint(id, "web", MON_ENDPOINT_DOMAIN);
    result_at(id, MON_STATUS_DOWN, t0);
    result_at(id, MON_STATUS_UP, t0 + MINUTE_US);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND resolved_at IS NULL", id), 1);
    /* DEGRADED answers: it counts as up. */
    result_at(id, MON_STATUS_DEGRADED, t0 + 2 * MINUTE_US);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND resolved_at ="
                               " 'epoch'::timestamptz + %lld * interval '1 microsecond'",
                               id, (long long)(t0 + 2 * MINUTE_US)),
                     1);
    ck_assert_int_eq(events_of(id, "opened"), 1);
    ck_assert_int_eq(events_of(id, "resolved"), 1);
    ck_assert_int_eq(count_sql("SELECT (payload->'incident'->>'failed_checks')::int FROM incident_events"
                               " WHERE endpoint_id = '%s' AND kind = 'resolved'",
                               id),
                     1);
    result_at(id, MON_STATUS_UP, t0 + 3 * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);

    /* A per-endpoint override: three successes needed, two DOWN to open. */
    create_endpoint(other, "slow", MON_ENDPOINT_DOMAIN);
    set_policy(other, "{\"up_threshold\": 3, \"down_threshold\": 2}");
    ck_assert_int_eq(mon_incident_policy_get_json(&text, store, other), MON_OK);
    ck_assert_ptr_nonnull(strstr(text, "\"overrides\": {\"up_threshold\": 3, \"down_threshold\": 2}"));
    ck_assert_ptr_nonnull(strstr(text, "\"flap_transitions\": 6"));
    mon_free(text);
    result_at(other, MON_STATUS_DOWN, t0);
    ck_assert_int_eq(incidents_of(other), 0);
    result_at(other, MON_STATUS_DOWN, t0 + MINUTE_US);
    ck_assert_int_eq(incidents_of(other), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND started_at ="
                               " 'epoch'::timestamptz + %lld * interval '1 microsecond'",
                               other, (long long)t0),
                     1);
    result_at(other, MON_STATUS_UP, t0 + 2 * MINUTE_US);
    result_at(other, MON_STATUS_UP, t0 + 3 * MINUTE_US);
    ck_assert_int_eq(events_of(other, "resolved"), 0);
    result_at(other, MON_STATUS_UP, t0 + 4 * MINUTE_US);
    ck_assert_int_eq(events_of(other, "resolved"), 1);

    /* null removes the override: the global value applies again. */
    set_policy(other, "{\"up_threshold\": null}");
    ck_assert_int_eq(mon_incident_policy_get_json(&text, store, other), MON_OK);
    ck_assert_ptr_nonnull(strstr(text, "\"overrides\": {\"down_threshold\": 2}"));
    ck_assert_ptr_nonnull(strstr(text, "\"up_threshold\": 2"));
    mon_free(text);
}
END_TEST

START_TEST(ten_flaps_in_a_minute_make_one_flapping_incident)
{
    char id[37];
    mon_time t0 = pgtest_now_us() - 30 * MINUTE_US;

    create_endpoint(id, "flappy", MON_ENDPOINT_APIM);
    flap_ten_times(id, t0);
    ck_assert_int_eq(incidents_of(id), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND kind = 'flapping'"
                               " AND resolved_at IS NULL AND failed_checks = 10",
                               id),
                     1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incident_events WHERE endpoint_id = '%s'", id), 1);

    /* Stable, but still within the window of the last flap: stays open. */
    result_at(id, MON_STATUS_UP, t0 + 5 * MINUTE_US);
    result_at(id, MON_STATUS_UP, t0 + 6 * MINUTE_US);
    ck_assert_int_eq(events_of(id, "resolved"), 0);
    /* A whole window (10 min) without a flap: resolved, once. */
    result_at(id, MON_STATUS_UP, t0 + 11 * MINUTE_US);
    ck_assert_int_eq(events_of(id, "resolved"), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incident_events v WHERE v.endpoint_id = '%s' AND"
                               " v.payload->'incident'->>'kind' = 'flapping' AND v.kind = 'resolved'",
                               id),
                     1);
    result_at(id, MON_STATUS_UP, t0 + 12 * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);
}
END_TEST

START_TEST(flapping_caps_short_incidents_when_one_success_resolves)
{
    char id[37];
    mon_time t0 = pgtest_now_us() - 30 * MINUTE_US;

    create_endpoint(id, "quick", MON_ENDPOINT_APIM);
    set_policy(id, "{\"up_threshold\": 1}");
    flap_ten_times(id, t0);
    /* Two short 'down' incidents, then the third, open when the 6th change comes, turns into the
     * flapping one and stays open: 3 incidents and 5 events instead of 10 and 20. */
    ck_assert_int_eq(incidents_of(id), 3);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND kind = 'down'"
                               " AND resolved_at IS NOT NULL",
                               id),
                     2);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND kind = 'flapping'"
                               " AND resolved_at IS NULL",
                               id),
                     1);
    ck_assert_int_eq(events_of(id, "opened"), 3);
    ck_assert_int_eq(events_of(id, "resolved"), 2);
}
END_TEST

START_TEST(one_batch_with_many_results_counts_them_in_time_order)
{
    char a[37], b[37];
    mon_check_record r[8];
    const mon_check_record *ptrs[8];
    mon_time t0 = pgtest_now_us() - 20 * MINUTE_US;
    /* Given newest first: the engine sorts each endpoint's results by time. */
    const mon_status sa[4] = {MON_STATUS_UP, MON_STATUS_UP, MON_STATUS_DOWN, MON_STATUS_DOWN};

    create_endpoint(a, "batch-a", MON_ENDPOINT_APIM);
    create_endpoint(b, "batch-b", MON_ENDPOINT_APIM);
    for (int i = 0; i < 4; i++) {
        for (int e = 0; e < 2; e++) {
            mon_check_record *x = &r[2 * i + e];
            *x = (mon_check_record)MON_CHECK_RECORD_INIT;
            snprintf(x->endpoint_id, sizeof(x->endpoint_id), "%s", e ? b : a);
            x->status = e ? MON_STATUS_DOWN : sa[i];
            x->checked_at = t0 + (4 - i) * MINUTE_US;
            ptrs[2 * i + e] = x;
        }
    }
    ck_assert_int_eq(mon_store_history_insert(store, ptrs, 8), MON_OK);
    /* a: DOWN DOWN UP UP -> opened and resolved; b: four DOWN -> one open incident. */
    ck_assert_int_eq(events_of(a, "opened"), 1);
    ck_assert_int_eq(events_of(a, "resolved"), 1);
    ck_assert_int_eq(count_sql("SELECT failed_checks FROM incidents WHERE endpoint_id = '%s'", a), 2);
    ck_assert_int_eq(events_of(b, "opened"), 1);
    ck_assert_int_eq(count_sql("SELECT failed_checks FROM incidents WHERE endpoint_id = '%s'", b), 4);
}
END_TEST

START_TEST(late_and_unknown_results_are_not_counted)
{
    char id[37];
    mon_time t0 = pgtest_now_us() - 20 * MINUTE_US;

    create_endpoint(id, "late", MON_ENDPOINT_APIM);
    set_policy(id, "{\"down_threshold\": 2}");
    result_at(id, MON_STATUS_DOWN, t0 + 2 * MINUTE_US);
    result_at(id, MON_STATUS_DOWN, t0 + MINUTE_US); /* older than the newest counted */
    result_at(id, MON_STATUS_UNKNOWN, t0 + 3 * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 0);
    result_at(id, MON_STATUS_DOWN, t0 + 4 * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);
    ck_assert_int_eq(count_sql("SELECT failed_checks FROM incidents WHERE endpoint_id = '%s'", id), 2);
    /* Plain SQL writers are counted too. */
    pgtest_exec(url, "UPDATE incident_policies SET up_threshold = 1 WHERE endpoint_id IS NOT NULL");
    {
        char sql[256];
        snprintf(sql, sizeof(sql), "INSERT INTO health_history (endpoint_id, status) VALUES ('%s', 'UP')",
                 id);
        pgtest_exec(url, sql);
    }
    ck_assert_int_eq(events_of(id, "resolved"), 1);
}
END_TEST

/* Run sql on conn, expecting success. */
static void exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
}

START_TEST(two_writers_at_once_open_one_incident)
{
    char id[37], sql[512];
    PGconn *a = PQconnectdb(url), *b = PQconnectdb(url);
    PGresult *res;
    mon_time t0 = pgtest_now_us() - 5 * MINUTE_US;

    ck_assert_int_eq(PQstatus(a), CONNECTION_OK);
    ck_assert_int_eq(PQstatus(b), CONNECTION_OK);
    create_endpoint(id, "shared", MON_ENDPOINT_APIM);
    result_at(id, MON_STATUS_UP, t0);
    /* Replica A records a DOWN result and has not committed when replica B records another. */
    exec_ok(a, "BEGIN");
    snprintf(sql, sizeof(sql),
             "INSERT INTO health_history (endpoint_id, status, error_message, checked_at) VALUES ('%s', "
             "'DOWN', 'a',"
             " 'epoch'::timestamptz + %lld * interval '1 microsecond')",
             id, (long long)(t0 + MINUTE_US));
    exec_ok(a, sql);
    snprintf(sql, sizeof(sql),
             "BEGIN; INSERT INTO health_history (endpoint_id, status, error_message, checked_at) VALUES "
             "('%s', 'DOWN',"
             " 'b', 'epoch'::timestamptz + %lld * interval '1 microsecond'); COMMIT",
             id, (long long)(t0 + 2 * MINUTE_US));
    ck_assert_int_eq(PQsendQuery(b, sql), 1);
    /* B waits for A's lock on the endpoint's counters. */
    {
        struct timespec pause = {0, 300 * 1000 * 1000};
        nanosleep(&pause, NULL);
        ck_assert_int_eq(PQconsumeInput(b), 1);
        ck_assert_int_eq(PQisBusy(b), 1);
    }
    exec_ok(a, "COMMIT");
    while ((res = PQgetResult(b))) {
        ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(b));
        PQclear(res);
    }
    ck_assert_int_eq(incidents_of(id), 1);
    ck_assert_int_eq(events_of(id, "opened"), 1);
    ck_assert_int_eq(count_sql("SELECT failed_checks FROM incidents WHERE endpoint_id = '%s'", id), 2);
    PQfinish(a);
    PQfinish(b);
}
END_TEST

struct replica {
    char (*ids)[37];
    int count, seed;
    mon_time t0;
    int rc;
};

/* One "scheduler replica": 40 batches of one result per endpoint, statuses from a seed. */
static void *replica_run(void *arg)
{
    struct replica *r = arg;
    mon_store *own = NULL;
    mon_check_record rec[16];
    const mon_check_record *ptrs[16];
    unsigned int state = (unsigned int)r->seed;

    r->rc = mon_store_open(&own, url);
    for (int batch = 0; r->rc == MON_OK && batch < 40; batch++) {
        for (int i = 0; i < r->count; i++) {
            rec[i] = (mon_check_record)MON_CHECK_RECORD_INIT;
            snprintf(rec[i].endpoint_id, sizeof(rec[i].endpoint_id), "%s", r->ids[i]);
            state = state * 1103515245u + 12345u;
            rec[i].status = (state >> 16) % 3 == 0 ? MON_STATUS_DOWN : MON_STATUS_UP;
            rec[i].checked_at = r->t0 + (batch * 2 + r->seed) * SECOND_US;
            ptrs[i] = &rec[i];
        }
        r->rc = mon_store_history_insert(own, ptrs, (size_t)r->count);
    }
    mon_store_close(own);
    return NULL;
}

START_TEST(concurrent_replicas_keep_one_open_incident_and_matching_events)
{
    char ids[16][37], name[32];
    struct replica reps[2];
    pthread_t threads[2];
    mon_time t0 = pgtest_now_us() - 60 * MINUTE_US;

    for (int i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "multi-%02d", i);
        create_endpoint(ids[i], name, MON_ENDPOINT_APIM);
    }
    for (int i = 0; i < 2; i++) {
        reps[i] = (struct replica){ids, 16, i + 1, t0, MON_OK};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, replica_run, &reps[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(reps[i].rc == MON_OK, "replica %d: %s", i, mon_strerror(reps[i].rc));
    }
    /* Every incident has exactly one 'opened' event, every resolved one exactly one 'resolved'. */
    ck_assert_int_gt(count_sql("SELECT count(*) FROM incidents"), 0);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM incident_events v"
                  " WHERE v.incident_id = i.id AND v.kind = 'opened') <> 1"),
        0);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM incident_events v"
                  " WHERE v.incident_id = i.id AND v.kind = 'resolved')"
                  " <> (i.resolved_at IS NOT NULL)::int"),
        0);
    ck_assert_int_le(
        count_sql("SELECT max(n) FROM (SELECT count(*) AS n FROM incidents WHERE resolved_at IS NULL"
                  " GROUP BY endpoint_id) c"),
        1);
}
END_TEST

START_TEST(one_off_window_marks_results_and_silences_incidents)
{
    char id[37], other[37], json[512], *out = NULL;
    mon_time t0 = pgtest_now_us() - 60 * MINUTE_US;
    char starts[40], ends[40];
    time_t s = (time_t)(t0 / SECOND_US), e = (time_t)((t0 + 10 * MINUTE_US) / SECOND_US);
    struct tm tm;

    create_endpoint(id, "maint", MON_ENDPOINT_APIM);
    create_endpoint(other, "bystander", MON_ENDPOINT_APIM);
    strftime(starts, sizeof(starts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s, &tm));
    strftime(ends, sizeof(ends), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e, &tm));
    snprintf(json, sizeof(json),
             "{\"name\": \"db upgrade\", \"endpoint_id\": \"%s\", \"kind\": \"once\", \"starts_at\": \"%s\","
             " \"ends_at\": \"%s\"}",
             id, starts, ends);
    ck_assert_msg(mon_maintenance_create(&out, store, json, NULL) == MON_OK, "%s", mon_error_last());
    ck_assert_ptr_nonnull(strstr(out, "\"active\":false"));
    mon_free(out);

    for (int i = 1; i <= 5; i++) {
        result_at(id, MON_STATUS_DOWN, t0 + i * MINUTE_US);
        result_at(other, MON_STATUS_UP, t0 + i * MINUTE_US);
    }
    ck_assert_int_eq(incidents_of(id), 0);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incident_events"), 0);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM health_history_maintenance WHERE endpoint_id = '%s'", id), 5);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM health_history_maintenance WHERE endpoint_id = '%s'", other), 0);
    /* Checks still ran and are in the history. */
    ck_assert_int_eq(count_sql("SELECT count(*) FROM health_history WHERE endpoint_id = '%s'", id), 5);
    /* After the window, still down: now it opens. */
    result_at(id, MON_STATUS_DOWN, t0 + 11 * MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);
    ck_assert_int_eq(events_of(id, "opened"), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM health_history_maintenance"), 5);
}
END_TEST

/* A DOWN result of id at an RFC 3339 time, written with plain SQL. */
static void down_at(const char *id, const char *at)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "INSERT INTO health_history (endpoint_id, status, checked_at) VALUES ('%s', 'DOWN', '%s')", id,
             at);
    pgtest_exec(url, sql);
}

START_TEST(weekly_window_follows_its_time_zone)
{
    char a[37], b[37], *out = NULL;
    /* Tuesdays 22:00 Paris time for 2 h, for every APIM endpoint: 20:00-22:00 UTC in July (CEST),
     * 21:00-23:00 UTC in January (CET). 2026-07-14 and 2026-01-13 are Tuesdays. */
    const char *json = "{\"name\": \"weekly deploy\", \"endpoint_type\": \"APIM\", \"kind\": \"weekly\","
                       " \"weekdays\": [\"tue\"], \"start_time\": \"22:00\", \"duration_s\": 7200,"
                       " \"time_zone\": \"Europe/Paris\"}";

    create_endpoint(a, "summer", MON_ENDPOINT_APIM);
    create_endpoint(b, "winter", MON_ENDPOINT_APIM);
    ck_assert_msg(mon_maintenance_create(&out, store, json, NULL) == MON_OK, "%s", mon_error_last());
    ck_assert_ptr_nonnull(strstr(out, "\"weekdays\":[2]"));
    ck_assert_ptr_nonnull(strstr(out, "\"start_time\":\"22:00:00\""));
    mon_free(out);

    down_at(a, "2026-07-14T20:00:00Z");
    down_at(a, "2026-07-14T21:59:59Z");
    ck_assert_int_eq(incidents_of(a), 0);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM health_history_maintenance WHERE endpoint_id = '%s'", a),
                     2);
    down_at(a, "2026-07-14T22:00:00Z"); /* the end is not inside */
    ck_assert_int_eq(incidents_of(a), 1);

    down_at(b, "2026-01-13T20:30:00Z"); /* 21:30 in Paris: before */
    ck_assert_int_eq(incidents_of(b), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM health_history_maintenance WHERE endpoint_id = '%s'", b),
                     0);
    pgtest_exec(url, "UPDATE incidents SET resolved_at = now()");
    down_at(b, "2026-01-13T22:30:00Z"); /* 23:30 in Paris: inside */
    ck_assert_int_eq(incidents_of(b), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM health_history_maintenance WHERE endpoint_id = '%s'", b),
                     1);
    /* Wednesday 2026-01-14 22:30 UTC: no window. */
    down_at(b, "2026-01-14T22:30:00Z");
    ck_assert_int_eq(incidents_of(b), 2);
}
END_TEST

START_TEST(plain_sql_window_with_unknown_time_zone_is_refused)
{
    /* The trigger reads every window's zone at every batch: one it cannot read would stop all writes. */
    PGconn *conn = PQconnectdb(url);
    PGresult *res;
    char id[37];

    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    res = PQexec(
        conn, "INSERT INTO maintenance_windows (name, endpoint_type, kind, weekdays, start_time,"
              " duration_s, time_zone) VALUES ('bad', 'APIM', 'weekly', '{1}', '03:00', 3600, 'Mars/Base')");
    ck_assert_int_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23514");
    PQclear(res);
    PQfinish(conn);
    create_endpoint(id, "still-recorded", MON_ENDPOINT_APIM);
    result_at(id, MON_STATUS_DOWN, pgtest_now_us());
    ck_assert_int_eq(incidents_of(id), 1);
}
END_TEST

/* Expect rc from call and a detail starting with field. */
#define EXPECT_ERROR(call, code, field)                                                                      \
    do {                                                                                                     \
        int rc_ = (call);                                                                                    \
        ck_assert_msg(rc_ == (code), "%s: got %s (%s)", #call, mon_error_name(rc_), mon_error_last());       \
        ck_assert_msg(strncmp(mon_error_last(), field ":", strlen(field ":")) == 0, "%s: detail '%s'",       \
                      #call, mon_error_last());                                                              \
    } while (0)

/* A weekly window for every APIM endpoint as JSON. */
static void weekly(char *json, size_t size, const char *weekdays, const char *start, int duration,
                   const char *tz)
{
    snprintf(json, size,
             "{\"name\": \"w\", \"endpoint_type\": \"APIM\", \"kind\": \"weekly\", \"weekdays\": %s,"
             " \"start_time\": \"%s\", \"duration_s\": %d, \"time_zone\": \"%s\"}",
             weekdays, start, duration, tz);
}

START_TEST(bad_input_is_refused_naming_the_field)
{
    char id[37], json[512], *out = (char *)"untouched";
    mon_incident_filter f = MON_INCIDENT_FILTER_INIT;

    create_endpoint(id, "bad", MON_ENDPOINT_APIM);
    weekly(json, sizeof(json), "[1, 8]", "22:00", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(&out, store, json, NULL), MON_EINVAL, "weekdays[1]");
    ck_assert_ptr_null(out);
    weekly(json, sizeof(json), "[\"funday\"]", "22:00", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "weekdays[0]");
    weekly(json, sizeof(json), "[1, 1]", "22:00", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "weekdays[1]");
    weekly(json, sizeof(json), "[]", "22:00", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "weekdays");
    weekly(json, sizeof(json), "[1]", "22:00", 3600, "Mars/Olympus_Mons");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "time_zone");
    weekly(json, sizeof(json), "[1]", "24:00", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "start_time");
    weekly(json, sizeof(json), "[1]", "7pm", 3600, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "start_time");
    weekly(json, sizeof(json), "[1]", "22:00", 10, "Europe/Paris");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "duration_s");
    EXPECT_ERROR(mon_maintenance_create(
                     NULL, store,
                     "{\"name\": \"o\", \"endpoint_type\": \"APIM\", \"kind\": \"once\","
                     " \"starts_at\": \"2026-11-25T10:00:00Z\", \"ends_at\": \"2026-11-25T09:00:00Z\"}",
                     NULL),
                 MON_EINVAL, "ends_at");
    EXPECT_ERROR(
        mon_maintenance_create(NULL, store,
                               "{\"name\": \"o\", \"endpoint_type\": \"APIM\", \"kind\": \"once\","
                               " \"starts_at\": \"tomorrow\", \"ends_at\": \"2026-11-25T09:00:00Z\"}",
                               NULL),
        MON_EINVAL, "starts_at");
    EXPECT_ERROR(
        mon_maintenance_create(NULL, store,
                               "{\"name\": \"o\", \"endpoint_id\": \"00000000-0000-4000-8000-000000000000\","
                               " \"kind\": \"once\", \"starts_at\": \"2026-11-25T08:00:00Z\","
                               " \"ends_at\": \"2026-11-25T09:00:00Z\"}",
                               NULL),
        MON_ENOTFOUND, "endpoint_id");
    EXPECT_ERROR(mon_maintenance_create(
                     NULL, store,
                     "{\"name\": \"o\", \"endpoint_id\": \"nope\", \"kind\": \"once\","
                     " \"starts_at\": \"2026-11-25T08:00:00Z\", \"ends_at\": \"2026-11-25T09:00:00Z\"}",
                     NULL),
                 MON_EINVAL, "endpoint_id");
    snprintf(json, sizeof(json),
             "{\"name\": \"o\", \"endpoint_id\": \"%s\", \"endpoint_type\": \"APIM\", \"kind\": \"once\","
             " \"starts_at\": \"2026-11-25T08:00:00Z\", \"ends_at\": \"2026-11-25T09:00:00Z\"}",
             id);
    EXPECT_ERROR(mon_maintenance_create(NULL, store, json, NULL), MON_EINVAL, "endpoint_type");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, "{\"name\": \"o\", \"endpoint_type\": \"FTP\"}", NULL),
                 MON_EINVAL, "endpoint_type");
    EXPECT_ERROR(mon_maintenance_create(
                     NULL, store,
                     "{\"name\": \"o\", \"endpoint_type\": \"APIM\", \"kind\": \"once\","
                     " \"starts_at\": \"2026-11-25T08:00:00Z\", \"ends_at\": \"2026-11-25T09:00:00Z\","
                     " \"weekdays\": [1]}",
                     NULL),
                 MON_EINVAL, "weekdays");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, "{\"name\": \"\", \"endpoint_type\": \"APIM\"}", NULL),
                 MON_EINVAL, "name");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, "{\"name\": \"x\", \"colour\": 1}", NULL), MON_EINVAL,
                 "colour");
    EXPECT_ERROR(mon_maintenance_create(NULL, store, "[1]", NULL), MON_EINVAL, "window");
    EXPECT_ERROR(mon_maintenance_create(NULL, store,
                                        "{\"name\": \"x\", \"endpoint_type\": \"APIM\", \"kind\": \"daily\"}",
                                        NULL),
                 MON_EINVAL, "kind");
    EXPECT_ERROR(mon_maintenance_get_json(&out, store, "42"), MON_EINVAL, "id");
    EXPECT_ERROR(mon_maintenance_get_json(&out, store, "00000000-0000-4000-8000-000000000000"), MON_ENOTFOUND,
                 "id");
    EXPECT_ERROR(mon_maintenance_delete(store, "00000000-0000-4000-8000-000000000000", NULL), MON_ENOTFOUND,
                 "id");
    EXPECT_ERROR(mon_maintenance_update(NULL, store, "00000000-0000-4000-8000-000000000000", "{}", NULL),
                 MON_ENOTFOUND, "id");
    ck_assert_int_eq(count_sql("SELECT count(*) FROM maintenance_windows"), 0);

    EXPECT_ERROR(mon_incident_policy_set(NULL, store, NULL, "{\"down_threshold\": 0}", NULL), MON_EINVAL,
                 "down_threshold");
    EXPECT_ERROR(mon_incident_policy_set(NULL, store, NULL, "{\"up_threshold\": null}", NULL), MON_EINVAL,
                 "up_threshold");
    EXPECT_ERROR(mon_incident_policy_set(NULL, store, NULL, "{\"flap_window_s\": \"600\"}", NULL), MON_EINVAL,
                 "flap_window_s");
    EXPECT_ERROR(mon_incident_policy_set(NULL, store, NULL, "{\"threshold\": 1}", NULL), MON_EINVAL,
                 "threshold");
    EXPECT_ERROR(mon_incident_policy_set(NULL, store, "00000000-0000-4000-8000-000000000000", "{}", NULL),
                 MON_ENOTFOUND, "endpoint_id");
    EXPECT_ERROR(mon_incident_policy_get_json(&out, store, "x"), MON_EINVAL, "endpoint_id");

    f.limit = 0;
    EXPECT_ERROR(mon_incident_list_json(&out, store, &f), MON_EINVAL, "limit");
    f.limit = 10;
    f.open = 2;
    EXPECT_ERROR(mon_incident_list_json(&out, store, &f), MON_EINVAL, "open");
    f.open = -1;
    f.cursor = "garbage";
    EXPECT_ERROR(mon_incident_list_json(&out, store, &f), MON_EINVAL, "cursor");
    f.cursor = NULL;
    f.endpoint_id = "00000000-0000-4000-8000-000000000000";
    EXPECT_ERROR(mon_incident_list_json(&out, store, &f), MON_ENOTFOUND, "endpoint_id");
    EXPECT_ERROR(mon_incident_get_json(&out, store, "00000000-0000-4000-8000-000000000000"), MON_ENOTFOUND,
                 "id");
    EXPECT_ERROR(mon_incident_get_json(&out, store, "zz"), MON_EINVAL, "id");
    /* Failed changes are audited too. */
    ck_assert_int_gt(count_sql("SELECT count(*) FROM action_logs WHERE action = 'maintenance_window.create'"
                               " AND result = 'FAILURE'"),
                     10);
}
END_TEST

START_TEST(maintenance_windows_round_trip_and_are_audited)
{
    char id[37], json[512], wid[37], *out = NULL;
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    json_t *w, *list;

    actor.user_id = "alice";
    actor.user_email = "alice@example.test";
    create_endpoint(id, "crud", MON_ENDPOINT_TALEND);
    snprintf(json, sizeof(json),
             "{\"name\": \"mine\", \"endpoint_id\": \"%s\", \"kind\": \"once\", \"starts_at\":"
             " \"2026-11-25T08:00:00+01:00\", \"ends_at\": \"2026-11-25T09:00:00Z\"}",
             id);
    ck_assert_msg(mon_maintenance_create(&out, store, json, &actor) == MON_OK, "%s", mon_error_last());
    w = parse(out);
    mon_free(out);
    snprintf(wid, sizeof(wid), "%s", json_string_value(json_object_get(w, "id")));
    ck_assert_str_eq(json_string_value(json_object_get(w, "starts_at")), "2026-11-25T07:00:00.000000Z");
    json_decref(w);
    ck_assert_int_eq(
        mon_maintenance_create(NULL, store,
                               "{\"name\": \"all talend\", \"endpoint_type\": \"TALEND\", \"kind\":"
                               " \"weekly\", \"weekdays\": [6, 7], \"start_time\": \"01:30\","
                               " \"duration_s\": 3600, \"time_zone\": \"UTC\"}",
                               &actor),
        MON_OK);
    ck_assert_int_eq(
        mon_maintenance_create(NULL, store,
                               "{\"name\": \"all apim\", \"endpoint_type\": \"APIM\", \"kind\": \"once\","
                               " \"starts_at\": \"2026-11-25T08:00:00Z\", \"ends_at\":"
                               " \"2026-11-25T09:00:00Z\"}",
                               &actor),
        MON_OK);
    /* The endpoint's list: its own window and its type's, not the other type's. */
    ck_assert_int_eq(mon_maintenance_list_json(&out, store, id), MON_OK);
    list = parse(out);
    mon_free(out);
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "name")), "all talend");
    json_decref(list);
    ck_assert_int_eq(mon_maintenance_list_json(&out, store, NULL), MON_OK);
    list = parse(out);
    mon_free(out);
    ck_assert_uint_eq(json_array_size(list), 3);
    json_decref(list);

    /* Update: from once to weekly; the once fields go. */
    ck_assert_msg(
        mon_maintenance_update(&out, store, wid,
                               "{\"kind\": \"weekly\", \"weekdays\": [\"mon\"], \"start_time\": \"03:00:30\","
                               " \"duration_s\": 600, \"time_zone\": \"America/New_York\"}",
                               &actor) == MON_OK,
        "%s", mon_error_last());
    ck_assert_ptr_null(strstr(out, "starts_at"));
    ck_assert_ptr_nonnull(strstr(out, "\"time_zone\":\"America/New_York\""));
    mon_free(out);
    EXPECT_ERROR(mon_maintenance_update(NULL, store, wid, "{\"time_zone\": \"Nowhere/Land\"}", &actor),
                 MON_EINVAL, "time_zone");
    ck_assert_int_eq(mon_maintenance_update(NULL, store, wid,
                                            "{\"endpoint_id\": null, \"endpoint_type\": \"DOMAIN\"}", &actor),
                     MON_OK);
    ck_assert_int_eq(mon_maintenance_get_json(&out, store, wid), MON_OK);
    ck_assert_ptr_null(strstr(out, "endpoint_id"));
    ck_assert_ptr_nonnull(strstr(out, "\"endpoint_type\":\"DOMAIN\""));
    mon_free(out);
    ck_assert_int_eq(mon_maintenance_delete(store, wid, &actor), MON_OK);
    EXPECT_ERROR(mon_maintenance_get_json(&out, store, wid), MON_ENOTFOUND, "id");

    ck_assert_int_eq(count_sql("SELECT count(*) FROM action_logs WHERE user_id = 'alice' AND action LIKE"
                               " 'maintenance_window.%%' AND result = 'SUCCESS'"),
                     6);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM action_logs WHERE user_id = 'alice' AND action ="
                               " 'maintenance_window.update' AND result = 'FAILURE'"),
                     1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM action_logs WHERE action = 'maintenance_window.delete'"
                               " AND target = '%s' AND parameters->>'name' = 'mine'",
                               wid),
                     1);
    set_policy(NULL, "{\"flap_transitions\": 8}");
    ck_assert_int_eq(count_sql("SELECT count(*) FROM action_logs WHERE action = 'incident_policy.set'"
                               " AND target = 'global' AND user_id = 'system'"),
                     1);
    ck_assert_int_eq(mon_incident_policy_get_json(&out, store, NULL), MON_OK);
    ck_assert_str_eq(
        out, "{\"endpoint_id\": null, \"up_threshold\": 2, \"flap_window_s\": 600, \"down_threshold\": 1,"
             " \"flap_transitions\": 8}");
    mon_free(out);
}
END_TEST

START_TEST(incident_list_pages_with_a_cursor)
{
    char ids[3][37], name[16], *out = NULL, cursor[128];
    mon_incident_filter f = MON_INCIDENT_FILTER_INIT;
    mon_time t0 = pgtest_now_us() - 30 * MINUTE_US;
    json_t *page;

    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "page-%d", i);
        create_endpoint(ids[i], name, MON_ENDPOINT_APIM);
        result_at(ids[i], MON_STATUS_DOWN, t0 + i * MINUTE_US);
    }
    f.limit = 2;
    ck_assert_int_eq(mon_incident_list_json(&out, store, &f), MON_OK);
    page = parse(out);
    mon_free(out);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "incidents")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(page, "incidents"), 0),
                                                       "endpoint_name")),
                     "page-2");
    ck_assert(json_is_string(json_object_get(page, "next_cursor")));
    snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(page, "next_cursor")));
    json_decref(page);
    f.cursor = cursor;
    ck_assert_int_eq(mon_incident_list_json(&out, store, &f), MON_OK);
    page = parse(out);
    mon_free(out);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "incidents")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(page, "incidents"), 0),
                                                       "endpoint_name")),
                     "page-0");
    ck_assert(json_is_null(json_object_get(page, "next_cursor")));
    json_decref(page);
    /* Time bounds on started_at. */
    f.cursor = NULL;
    f.from = t0 + MINUTE_US;
    f.to = t0 + 2 * MINUTE_US;
    ck_assert_int_eq(mon_incident_list_json(&out, store, &f), MON_OK);
    ck_assert_ptr_nonnull(strstr(out, "page-1"));
    ck_assert_ptr_null(strstr(out, "page-2"));
    ck_assert_ptr_null(strstr(out, "page-0"));
    mon_free(out);
}
END_TEST

/* Disable id through the library, as the REST API and the CLI do. */
static void disable_endpoint(const char *id)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_store_endpoint_get(&ep, store, id), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_enabled(ep, 0), MON_OK);
    ck_assert_int_eq(mon_store_endpoint_update(store, ep), MON_OK);
    mon_endpoint_free(ep);
}

START_TEST(disabling_an_endpoint_resolves_its_open_incident)
{
    char id[37], other[37], calm[37];
    char *text;
    mon_time t0 = pgtest_now_us() - 10 * MINUTE_US;

    create_endpoint(id, "retired", MON_ENDPOINT_APIM);
    create_endpoint(other, "retired-sql", MON_ENDPOINT_APIM);
    create_endpoint(calm, "calm", MON_ENDPOINT_APIM);
    result_at(id, MON_STATUS_DOWN, t0);
    result_at(other, MON_STATUS_DOWN, t0);
    result_at(calm, MON_STATUS_UP, t0);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE resolved_at IS NULL"), 2);

    disable_endpoint(id);
    ck_assert_int_eq(
        count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND resolved_at IS NULL", id), 0);
    ck_assert_int_eq(events_of(id, "resolved"), 1);
    text = value_sql("SELECT payload->'incident'->>'resolution' FROM incident_events"
                     " WHERE endpoint_id = '%s' AND kind = 'resolved'",
                     id);
    ck_assert_str_eq(text, "endpoint_disabled");
    free(text);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incident_events e"
                               " JOIN incidents i ON i.id = e.incident_id"
                               " WHERE e.endpoint_id = '%s' AND e.kind = 'resolved'"
                               " AND (e.payload->'incident'->>'resolved_at')::timestamptz = i.resolved_at",
                               id),
                     1);

    /* Plain SQL (any writer) does the same; a calm endpoint gets no event, disabling twice nothing more. */
    pgtest_exec(url, "UPDATE endpoints SET enabled = false WHERE name IN ('retired-sql', 'calm')");
    pgtest_exec(url, "UPDATE endpoints SET enabled = false WHERE name = 'retired-sql'");
    ck_assert_int_eq(events_of(other, "resolved"), 1);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incident_events WHERE endpoint_id = '%s'", calm), 0);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE resolved_at IS NULL"), 0);

    /* A check that was in flight when the endpoint was disabled is stored, not counted. */
    result_at(id, MON_STATUS_DOWN, t0 + MINUTE_US);
    ck_assert_int_eq(incidents_of(id), 1);

    /* Enabled again and still down: a new incident, started by the new streak. */
    pgtest_exec(url, "UPDATE endpoints SET enabled = true WHERE name = 'retired'");
    result_at(id, MON_STATUS_DOWN, pgtest_now_us() + SECOND_US);
    ck_assert_int_eq(incidents_of(id), 2);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM incidents WHERE endpoint_id = '%s'"
                               " AND resolved_at IS NULL AND started_at > now()",
                               id),
                     1);
    ck_assert_int_eq(events_of(id, "opened"), 2);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("incidents");
    TCase *tc = tcase_create("incidents");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, down_target_opens_one_incident_and_one_event);
    tcase_add_test(tc, recovery_after_up_threshold_resolves_with_one_event);
    tcase_add_test(tc, ten_flaps_in_a_minute_make_one_flapping_incident);
    tcase_add_test(tc, flapping_caps_short_incidents_when_one_success_resolves);
    tcase_add_test(tc, one_batch_with_many_results_counts_them_in_time_order);
    tcase_add_test(tc, late_and_unknown_results_are_not_counted);
    tcase_add_test(tc, two_writers_at_once_open_one_incident);
    tcase_add_test(tc, concurrent_replicas_keep_one_open_incident_and_matching_events);
    tcase_add_test(tc, one_off_window_marks_results_and_silences_incidents);
    tcase_add_test(tc, weekly_window_follows_its_time_zone);
    tcase_add_test(tc, plain_sql_window_with_unknown_time_zone_is_refused);
    tcase_add_test(tc, bad_input_is_refused_naming_the_field);
    tcase_add_test(tc, maintenance_windows_round_trip_and_are_audited);
    tcase_add_test(tc, incident_list_pages_with_a_cursor);
    tcase_add_test(tc, disabling_an_endpoint_resolves_its_open_incident);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
