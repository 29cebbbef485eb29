#include <monitorage/monitorage.h>

#include "audit_priv.h"
#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *url;

static mon_store *fresh_store(const char *name)
{
    mon_store *store = NULL;
    url = pgtest_fresh_database(name);
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    return store;
}

static mon_audit_entry entry(const char *action, const char *target, const char *user)
{
    mon_audit_entry e = MON_AUDIT_ENTRY_INIT;
    e.action = action;
    e.target = target;
    e.user_id = user;
    e.user_email = "someone@example.com";
    return e;
}

static void append_n(mon_store *store, int n)
{
    for (int i = 0; i < n; i++) {
        char target[32], params[64];
        mon_audit_entry e = entry("endpoint.update", target, "u1");
        snprintf(target, sizeof(target), "endpoint-%d", i);
        snprintf(params, sizeof(params), "{\"i\": %d, \"name\": \"n%d\"}", i, i);
        e.parameters_json = params;
        ck_assert_int_eq(mon_audit_append(NULL, store, &e), MON_OK);
    }
}

static mon_audit_verify_report verify(mon_store *store)
{
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    ck_assert_int_eq(mon_audit_verify(&report, store), MON_OK);
    return report;
}

static char *id_at(long long seq)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT id FROM action_logs WHERE seq = %lld", seq);
    return pgtest_query_value(url, sql);
}

/* Run SQL as the superuser with the append-only trigger disabled, as an attacker with full access would. */
static void tamper(const char *sql)
{
    char all[1024];
    snprintf(all, sizeof(all),
             "ALTER TABLE action_logs DISABLE TRIGGER action_logs_append_only; %s;"
             " ALTER TABLE action_logs ENABLE TRIGGER action_logs_append_only",
             sql);
    pgtest_exec(url, all);
}

static void assert_break(mon_store *store, mon_audit_break reason, const char *id, long long seq)
{
    mon_audit_verify_report r = verify(store);
    ck_assert_int_eq(r.ok, 0);
    ck_assert_str_eq(mon_audit_break_name(r.reason), mon_audit_break_name(reason));
    ck_assert_str_eq(r.broken_id, id);
    ck_assert_int_eq(r.broken_seq, seq);
}

START_TEST(append_and_read_back_every_field)
{
    mon_store *store = fresh_store("audit_fields");
    mon_audit_entry e = entry("connector.run", "servicenow/create_incident", "user-42");
    mon_audit_filter filter = MON_AUDIT_FILTER_INIT;
    mon_audit_list *list = NULL;
    const mon_audit_row *row;
    char id[MON_AUDIT_ID_SIZE] = "", *json = NULL, *now;
    long long now_us;

    e.user_email = "ada@example.com";
    e.user_roles_json = "[\"operator\", \"reader\"]";
    e.ip_address = "2001:db8::1";
    e.user_agent = "curl/8.0\ttab";
    e.parameters_json = "{\"priority\": 2, \"summary\": \"Disk \\u00e9 full\\nline\"}";
    e.result = MON_AUDIT_FAILURE;
    e.error_message = "upstream said 503";
    ck_assert_int_eq(mon_audit_append(id, store, &e), MON_OK);
    ck_assert_int_eq(strlen(id), 36);

    now = pgtest_query_value(url, "SELECT (extract(epoch FROM now()) * 1000000)::bigint");
    now_us = strtoll(now, NULL, 10);
    free(now);
    filter.action = "connector.run";
    ck_assert_int_eq(mon_audit_query(&list, store, &filter), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 1);
    row = mon_audit_list_at(list, 0);
    ck_assert_str_eq(row->id, id);
    ck_assert_int_eq(row->seq, 1);
    ck_assert_str_eq(row->action, "connector.run");
    ck_assert_str_eq(row->target, "servicenow/create_incident");
    ck_assert_str_eq(row->user_id, "user-42");
    ck_assert_str_eq(row->user_email, "ada@example.com");
    ck_assert_str_eq(row->user_roles_json, "[\"operator\", \"reader\"]");
    ck_assert_str_eq(row->ip_address, "2001:db8::1");
    ck_assert_str_eq(row->user_agent, "curl/8.0\ttab");
    ck_assert_str_eq(row->parameters_json, "{\"summary\": \"Disk \xc3\xa9 full\\nline\", \"priority\": 2}");
    ck_assert_int_eq(row->result, MON_AUDIT_FAILURE);
    ck_assert_str_eq(row->error_message, "upstream said 503");
    ck_assert_msg(row->created_at > now_us - 60000000LL && row->created_at <= now_us + 1000000LL,
                  "created_at %lld not near now %lld", (long long)row->created_at, now_us);
    ck_assert_str_eq(row->prev_hash_hex, "0000000000000000000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(strlen(row->row_hash_hex), 64);
    ck_assert_ptr_null(mon_audit_list_next_cursor(list));
    ck_assert_int_eq(mon_audit_list_to_json(&json, list), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"user_roles\":[\"operator\",\"reader\"]"));
    ck_assert_ptr_nonnull(strstr(json, "\"result\":\"FAILURE\""));
    ck_assert_ptr_nonnull(strstr(json, "\"next_cursor\":null"));
    mon_free(json);
    mon_audit_list_free(list);

    /* Optional fields left out: NULLs and the seed's defaults. */
    e = entry("endpoint.create", "e1", "user-7");
    ck_assert_int_eq(mon_audit_append(NULL, store, &e), MON_OK);
    filter.action = "endpoint.create";
    ck_assert_int_eq(mon_audit_query(&list, store, &filter), MON_OK);
    row = mon_audit_list_at(list, 0);
    ck_assert_int_eq(row->seq, 2);
    ck_assert_str_eq(row->user_roles_json, "[]");
    ck_assert_str_eq(row->parameters_json, "{}");
    ck_assert_ptr_null(row->ip_address);
    ck_assert_ptr_null(row->user_agent);
    ck_assert_ptr_null(row->error_message);
    ck_assert_int_eq(row->result, MON_AUDIT_SUCCESS);
    mon_audit_list_free(list);
    ck_assert_int_eq(verify(store).ok, 1);
    mon_store_close(store);
}
END_TEST

START_TEST(parameters_are_redacted_at_any_depth_and_case)
{
    mon_store *store = fresh_store("audit_redact");
    mon_audit_entry e = entry("connector.update", "c1", "u1");
    json_t *params;
    char *text = NULL, *stored;

    e.parameters_json = "{\"Password\": \"p1\", \"user\": \"bob\", \"nested\": {\"API-Key\": \"k1\","
                        " \"list\": [{\"client_secret\": {\"deep\": \"s1\"}, \"ok\": 1}, {\"X_AUTH_TOKEN\": \"t1\"}]},"
                        " \"AuthorizationHeader\": \"Bearer t2\", \"sessionId\": 5, \"apikey\": \"k2\","
                        " \"private_key\": \"pk\", \"Cookie\": \"c\", \"credentials\": {\"u\": \"x\"}, \"passwd\": 1}";
    ck_assert_int_eq(mon_audit_append(NULL, store, &e), MON_OK);
    stored = pgtest_query_value(url, "SELECT parameters::text FROM action_logs");
    for (const char *secret = "p1\0k1\0s1\0t1\0t2\0k2\0pk\0\"c\"\0\"x\"\0"; *secret; secret += strlen(secret) + 1)
        ck_assert_msg(strstr(stored, secret) == NULL, "%s leaked in %s", secret, stored);
    params = json_loads(stored, 0, NULL);
    ck_assert_ptr_nonnull(params);
    ck_assert_str_eq(json_string_value(json_object_get(params, "Password")), "[REDACTED]");
    ck_assert_str_eq(json_string_value(json_object_get(params, "user")), "bob");
    ck_assert_str_eq(json_string_value(json_object_get(params, "sessionId")), "[REDACTED]");
    ck_assert_str_eq(json_string_value(json_object_get(params, "credentials")), "[REDACTED]");
    ck_assert_str_eq(json_string_value(json_object_get(params, "passwd")), "[REDACTED]");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(params, "nested"), "API-Key")), "[REDACTED]");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(params, "nested"), "list"), 0), "ok")),
                     1);
    json_decref(params);
    free(stored);

    ck_assert_int_eq(mon_audit_redact_json(&text, "[{\"Token\": 1, \"a\": {\"bearerValue\": [\"x\"]}}, 2]"), MON_OK);
    ck_assert_str_eq(text, "[{\"Token\":\"[REDACTED]\",\"a\":{\"bearerValue\":\"[REDACTED]\"}},2]");
    mon_free(text);
    /* A parse error never quotes the input: the value near the error may be a secret. */
    ck_assert_int_eq(mon_audit_redact_json(&text, "{\"password\": hunter2}"), MON_EINVAL);
    ck_assert_ptr_null(text);
    ck_assert_ptr_null(strstr(mon_error_last(), "hunter2"));
    ck_assert_str_eq(mon_error_field(), "parameters");
    mon_store_close(store);
}
END_TEST

static void assert_refused(PGconn *conn, const char *sql, const char *op)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_int_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "MA001");
    ck_assert_msg(strstr(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), "append-only") &&
                      strstr(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), op),
                  "unexpected message: %s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    /* The library's mapping of the guard's error. */
    ck_assert_int_eq(mon__audit_result_error(conn, res, "change audit row"), MON_EFORBIDDEN);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "append-only"));
    PQclear(res);
}

START_TEST(update_delete_and_truncate_are_refused)
{
    mon_store *store = fresh_store("audit_guard");
    PGconn *conn;

    append_n(store, 3);
    conn = PQconnectdb(url); /* the superuser: the trigger refuses it too */
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    assert_refused(conn, "UPDATE action_logs SET target = 'x' WHERE seq = 2", "UPDATE");
    assert_refused(conn, "DELETE FROM action_logs WHERE seq = 2", "DELETE");
    assert_refused(conn, "TRUNCATE action_logs", "TRUNCATE");
    assert_refused(conn, "UPDATE action_log_chain SET legacy_through_seq = 99", "UPDATE");
    PQfinish(conn);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), 3);
    ck_assert_int_eq(verify(store).ok, 1);
    mon_store_close(store);
}
END_TEST

START_TEST(verify_detects_superuser_edit_at_the_right_row)
{
    mon_store *store = fresh_store("audit_edit");
    mon_audit_verify_report r;
    char *id;

    append_n(store, 20);
    r = verify(store);
    ck_assert_int_eq(r.ok, 1);
    ck_assert_int_eq(r.rows_checked, 20);
    ck_assert_int_eq(r.first_seq, 1);
    ck_assert_int_eq(r.last_seq, 20);
    ck_assert_str_eq(r.broken_id, "");
    id = id_at(7);
    tamper("UPDATE action_logs SET parameters = '{\"i\": 6, \"name\": \"evil\"}' WHERE seq = 7");
    r = verify(store);
    ck_assert_int_eq(r.ok, 0);
    ck_assert_int_eq(r.reason, MON_AUDIT_EDITED);
    ck_assert_str_eq(r.broken_id, id);
    ck_assert_int_eq(r.broken_seq, 7);
    ck_assert_int_eq(r.rows_checked, 6);
    free(id);
    mon_store_close(store);

    /* An edit of the time stamp alone is caught too (microseconds are hashed). */
    store = fresh_store("audit_edit_time");
    append_n(store, 5);
    id = id_at(3);
    tamper("UPDATE action_logs SET created_at = created_at + interval '1 microsecond' WHERE seq = 3");
    assert_break(store, MON_AUDIT_EDITED, id, 3);
    free(id);
    mon_store_close(store);
}
END_TEST

START_TEST(verify_detects_deleted_row)
{
    mon_store *store = fresh_store("audit_delete");
    char *id;

    append_n(store, 20);
    id = id_at(12);
    tamper("DELETE FROM action_logs WHERE seq = 11");
    assert_break(store, MON_AUDIT_DELETED, id, 12);
    free(id);

    /* Removing the oldest rows without the audited retention leaves an unanchored start. */
    id = id_at(4);
    pgtest_exec(url, "BEGIN; SET LOCAL monitorage.audit_retention = 'on'; DELETE FROM action_logs WHERE seq < 4;"
                     " COMMIT");
    assert_break(store, MON_AUDIT_DELETED, id, 4);
    free(id);
    mon_store_close(store);
}
END_TEST

START_TEST(verify_detects_reordered_rows)
{
    mon_store *store = fresh_store("audit_reorder");
    char *id;

    append_n(store, 20);
    id = id_at(9);
    /* Swap the positions of rows 8 and 9: row 9 now sits at seq 8. */
    tamper("UPDATE action_logs SET seq = 1000 WHERE seq = 8; UPDATE action_logs SET seq = 8 WHERE seq = 9;"
           " UPDATE action_logs SET seq = 9 WHERE seq = 1000");
    assert_break(store, MON_AUDIT_REORDERED, id, 8);
    free(id);
    mon_store_close(store);

    /* Swapping the contents of two rows (each keeps its chain columns) is an edit of the first. */
    store = fresh_store("audit_swap");
    append_n(store, 20);
    id = id_at(5);
    tamper("UPDATE action_logs a SET target = b.target, parameters = b.parameters FROM action_logs b"
           " WHERE (a.seq, b.seq) IN ((5, 6), (6, 5))");
    assert_break(store, MON_AUDIT_EDITED, id, 5);
    free(id);
    mon_store_close(store);
}
END_TEST

START_TEST(verify_detects_rows_inserted_outside_the_chain)
{
    mon_store *store = fresh_store("audit_insert");
    char *id;

    append_n(store, 10);
    /* A client of the seed's schema writing directly: no seq, no hash. */
    pgtest_exec(url, "INSERT INTO action_logs (id, action, target, user_id, user_email, result) VALUES"
                     " ('6d0f5c1e-0000-4000-8000-000000000001', 'endpoint.delete', 'e1', 'mallory', 'm@x', 'SUCCESS')");
    assert_break(store, MON_AUDIT_INSERTED, "6d0f5c1e-0000-4000-8000-000000000001", -1);
    mon_store_close(store);

    /* A forged row placed at the end of the chain with made-up hashes. */
    store = fresh_store("audit_forge");
    append_n(store, 10);
    pgtest_exec(url, "INSERT INTO action_logs (id, action, target, user_id, user_email, result, seq, prev_hash,"
                     " row_hash) VALUES ('6d0f5c1e-0000-4000-8000-000000000002', 'x', 'y', 'z', 'w', 'SUCCESS', 11,"
                     " decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 32), 'hex'))");
    assert_break(store, MON_AUDIT_INSERTED, "6d0f5c1e-0000-4000-8000-000000000002", 11);
    /* ... and a following honest append still reports the forgery first. */
    append_n(store, 1);
    id = id_at(11);
    assert_break(store, MON_AUDIT_INSERTED, id, 11);
    free(id);
    mon_store_close(store);
}
END_TEST

struct bad_case {
    const char *field;
    int code;
    void (*set)(mon_audit_entry *e);
};

static char long_text[400];
static void long_action(mon_audit_entry *e) { e->action = long_text + sizeof(long_text) - 52; }
static void long_target(mon_audit_entry *e) { e->target = long_text + sizeof(long_text) - 102; }
static void long_user_id(mon_audit_entry *e) { e->user_id = long_text + sizeof(long_text) - 102; }
static void long_email(mon_audit_entry *e) { e->user_email = long_text + sizeof(long_text) - 257; }
static void long_ip(mon_audit_entry *e) { e->ip_address = long_text + sizeof(long_text) - 47; }
static void bad_ip(mon_audit_entry *e) { e->ip_address = "999.1.1.1"; }
static void roles_object(mon_audit_entry *e) { e->user_roles_json = "{\"admin\": true}"; }
static void roles_number(mon_audit_entry *e) { e->user_roles_json = "[\"admin\", 1]"; }
static void roles_invalid(mon_audit_entry *e) { e->user_roles_json = "[\"admin\""; }
static void params_array(mon_audit_entry *e) { e->parameters_json = "[1, 2]"; }
static void params_invalid(mon_audit_entry *e) { e->parameters_json = "{\"a\": }"; }
static void params_duplicate(mon_audit_entry *e) { e->parameters_json = "{\"a\": 1, \"a\": 2}"; }
static void no_action(mon_audit_entry *e) { e->action = NULL; }
static void empty_email(mon_audit_entry *e) { e->user_email = ""; }
static void not_utf8(mon_audit_entry *e) { e->target = "caf\xc3"; }
static void reserved(mon_audit_entry *e) { e->action = MON_AUDIT_RETENTION_ACTION; }
static void bad_result(mon_audit_entry *e) { e->result = (mon_audit_result)7; }
static void bad_version(mon_audit_entry *e) { e->version = 99; }

START_TEST(bad_input_is_refused_with_a_clear_error_and_nothing_written)
{
    static const struct bad_case cases[] = {
        {"action", MON_EINVAL, long_action},          {"target", MON_EINVAL, long_target},
        {"user_id", MON_EINVAL, long_user_id},        {"user_email", MON_EINVAL, long_email},
        {"ip_address", MON_EINVAL, long_ip},          {"ip_address", MON_EINVAL, bad_ip},
        {"user_roles", MON_EINVAL, roles_object},     {"user_roles", MON_EINVAL, roles_number},
        {"user_roles", MON_EINVAL, roles_invalid},    {"parameters", MON_EINVAL, params_array},
        {"parameters", MON_EINVAL, params_invalid},   {"parameters", MON_EINVAL, params_duplicate},
        {"action", MON_EINVAL, no_action},            {"user_email", MON_EINVAL, empty_email},
        {"target", MON_EINVAL, not_utf8},             {"action", MON_EINVAL, reserved},
        {"result", MON_EINVAL, bad_result},           {"version", MON_EVERSION, bad_version},
    };
    mon_store *store = fresh_store("audit_bad");
    mon_audit_entry good = entry("a", "t", "u"), batch[3];
    const mon_audit_entry *ptrs[3] = {&batch[0], &batch[1], &batch[2]};
    char big[MON_AUDIT_JSON_MAX + 100];
    char accented[2 * MON_AUDIT_ACTION_MAX + 1] = "";

    memset(long_text, 'x', sizeof(long_text) - 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mon_audit_entry e = good;
        cases[i].set(&e);
        ck_assert_int_eq(mon_audit_append(NULL, store, &e), cases[i].code);
        ck_assert_msg(strcmp(mon_error_field(), cases[i].field) == 0, "case %zu: field '%s', detail '%s'", i,
                      mon_error_field(), mon_error_last());
    }
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "version"));
    /* Lengths are characters as in VARCHAR(n): 50 two-byte characters fit in action. */
    for (int i = 0; i < MON_AUDIT_ACTION_MAX; i++)
        strcat(accented, "\xc3\xa9");
    good.action = accented;
    ck_assert_int_eq(mon_audit_append(NULL, store, &good), MON_OK);
    good.action = "a";
    /* Parameters larger than the bound once stored. */
    snprintf(big, sizeof(big), "{\"blob\": \"%0*d\"}", MON_AUDIT_JSON_MAX, 0);
    good.parameters_json = big;
    ck_assert_int_eq(mon_audit_append(NULL, store, &good), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "parameters");
    good.parameters_json = NULL;
    /* A batch is all or nothing and names the bad entry. */
    batch[0] = batch[1] = batch[2] = good;
    batch[2].ip_address = "10.0.0.300";
    ck_assert_int_eq(mon_audit_append_many(store, ptrs, 3), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "entries[2].ip_address");
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), 1);
    batch[2].ip_address = "10.0.0.3";
    ck_assert_int_eq(mon_audit_append_many(store, ptrs, 3), MON_OK);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), 4);
    ck_assert_int_eq(verify(store).rows_checked, 4);
    mon_store_close(store);
}
END_TEST

#define WRITERS 8
#define PER_WRITER 200

struct writer_arg {
    int index;
    int rc;
};

static void *append_from_thread(void *p)
{
    struct writer_arg *arg = p;
    mon_store *store = NULL;
    char user[16];

    snprintf(user, sizeof(user), "writer-%d", arg->index);
    arg->rc = mon_store_open(&store, url);
    for (int i = 0; arg->rc == MON_OK && i < PER_WRITER; i++) {
        mon_audit_entry e = entry("bench.append", "chain", user);
        arg->rc = mon_audit_append(NULL, store, &e);
    }
    mon_store_close(store);
    return NULL;
}

START_TEST(concurrent_writers_build_one_valid_chain)
{
    mon_store *store = fresh_store("audit_concurrent");
    pthread_t threads[WRITERS];
    struct writer_arg args[WRITERS];
    mon_audit_verify_report r;

    for (int i = 0; i < WRITERS; i++) {
        args[i].index = i;
        args[i].rc = -100;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, append_from_thread, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(args[i].rc, MON_OK);
    }
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), WRITERS * PER_WRITER);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(DISTINCT user_id) FROM action_logs"), WRITERS);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT max(seq) - min(seq) + 1 FROM action_logs"), WRITERS * PER_WRITER);
    /* Time order and chain order agree. */
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY"
                                          " seq) AS back FROM action_logs) t WHERE back"),
                     0);
    r = verify(store);
    ck_assert_int_eq(r.ok, 1);
    ck_assert_int_eq(r.rows_checked, WRITERS * PER_WRITER);
    mon_store_close(store);
}
END_TEST

START_TEST(query_filters_and_pages_newest_first)
{
    mon_store *store = fresh_store("audit_query");
    mon_audit_filter f = MON_AUDIT_FILTER_INIT;
    mon_audit_list *list = NULL;
    long long seen[32] = {0}, last_seq = 1000;
    char cursor[128] = "";
    size_t total = 0;
    mon_time middle = 0;

    for (int i = 0; i < 25; i++) {
        char target[16];
        mon_audit_entry e = entry(i % 2 ? "endpoint.update" : "endpoint.delete", target, i % 3 ? "alice" : "bob");
        snprintf(target, sizeof(target), "e%d", i % 5);
        e.result = i % 4 ? MON_AUDIT_SUCCESS : MON_AUDIT_FAILURE;
        ck_assert_int_eq(mon_audit_append(NULL, store, &e), MON_OK);
    }
    f.user_id = "bob";
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 9);
    mon_audit_list_free(list);
    f.user_id = NULL;
    f.action = "endpoint.update";
    f.target = "e1";
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 3); /* i = 1, 11, 21 */
    mon_audit_list_free(list);
    f.action = f.target = NULL;
    f.result = MON_AUDIT_FAILURE;
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 7);
    mon_audit_list_free(list);
    f.result = -1;

    /* Pages of 4, newest first, every row once. */
    f.limit = 4;
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
        for (size_t i = 0; i < mon_audit_list_count(list); i++) {
            const mon_audit_row *r = mon_audit_list_at(list, i);
            ck_assert_int_lt(r->seq, last_seq);
            last_seq = r->seq;
            seen[r->seq]++;
            if (r->seq == 13)
                middle = r->created_at;
            total++;
        }
        cursor[0] = '\0';
        if (mon_audit_list_next_cursor(list))
            snprintf(cursor, sizeof(cursor), "%s", mon_audit_list_next_cursor(list));
        mon_audit_list_free(list);
    } while (cursor[0]);
    ck_assert_int_eq(total, 25);
    for (int s = 1; s <= 25; s++)
        ck_assert_int_eq(seen[s], 1);

    /* Time range: from is inclusive, to exclusive. */
    f.limit = 100;
    f.cursor = NULL;
    f.from = middle;
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 13);
    mon_audit_list_free(list);
    f.from = 0;
    f.to = middle;
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_OK);
    ck_assert_int_eq(mon_audit_list_count(list), 12);
    mon_audit_list_free(list);

    f.to = 0;
    f.cursor = "not-a-cursor";
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "cursor");
    f.cursor = NULL;
    f.limit = 0;
    ck_assert_int_eq(mon_audit_query(&list, store, &f), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "limit");
    ck_assert_ptr_null(list);
    mon_store_close(store);
}
END_TEST

START_TEST(retention_is_audited_and_keeps_the_chain_verifiable)
{
    mon_store *store = fresh_store("audit_retention");
    mon_audit_entry actor = entry("ignored", "ignored", "admin-1");
    mon_audit_verify_report r;
    int64_t removed = -1;
    char *json = NULL, *id;

    append_n(store, 5);
    sleep(2);
    append_n(store, 3);
    actor.user_roles_json = "[\"admin\"]";
    ck_assert_int_eq(mon_audit_retention_apply(&removed, store, &actor, 1), MON_OK);
    ck_assert_int_eq(removed, 5);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), 4);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT (parameters->>'removed_rows')::int FROM action_logs"
                                          " WHERE action = 'audit.retention' AND user_id = 'admin-1'"),
                     5);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT seq FROM action_logs WHERE action = 'audit.retention'"), 9);
    r = verify(store);
    ck_assert_int_eq(r.ok, 1);
    ck_assert_int_eq(r.first_seq, 6);
    ck_assert_int_eq(r.rows_checked, 4);
    ck_assert_int_eq(mon_audit_verify_report_to_json(&json, &r), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(json, "\"reason\":\"intact\""));
    mon_free(json);

    /* Everything, including the previous retention row: the new one anchors itself. */
    ck_assert_int_eq(mon_audit_retention_apply(&removed, store, &actor, 0), MON_OK);
    ck_assert_int_eq(removed, 4);
    r = verify(store);
    ck_assert_int_eq(r.ok, 1);
    ck_assert_int_eq(r.first_seq, 10);
    ck_assert_int_eq(r.rows_checked, 1);
    append_n(store, 2);
    ck_assert_int_eq(verify(store).rows_checked, 3);

    /* The anchor cannot be reused to hide a further removal. */
    id = id_at(11);
    pgtest_exec(url, "BEGIN; SET LOCAL monitorage.audit_retention = 'on'; DELETE FROM action_logs WHERE seq = 10;"
                     " COMMIT");
    assert_break(store, MON_AUDIT_DELETED, id, 11);
    free(id);

    actor.user_id = NULL;
    ck_assert_int_eq(mon_audit_retention_apply(&removed, store, &actor, 0), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "actor.user_id");
    mon_store_close(store);
}
END_TEST

/* Apply the migrations before 004 by hand, write rows as the seed's server did, then upgrade. */
START_TEST(rows_written_before_the_chain_are_legacy_and_the_chain_starts_after_them)
{
    mon_store *store = NULL;
    mon_audit_verify_report r;

    url = pgtest_fresh_database("audit_legacy");
    pgtest_exec(url, "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL"
                     " DEFAULT NOW())");
    for (size_t i = 0; i < mon_store_migration_count() && strcmp(mon_store_migration_name(i), "004") < 0; i++) {
        char path[1024], sql[512], *text;
        FILE *file;
        long size;
        snprintf(path, sizeof(path), "%s/migrations/%s", MONITORAGE_SOURCE_DIR, mon_store_migration_name(i));
        ck_assert_ptr_nonnull(file = fopen(path, "rb"));
        fseek(file, 0, SEEK_END);
        size = ftell(file);
        rewind(file);
        text = calloc(1, (size_t)size + 1);
        ck_assert_int_eq(fread(text, 1, (size_t)size, file), size);
        fclose(file);
        pgtest_exec(url, text);
        free(text);
        snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations (name) VALUES ('%s')", mon_store_migration_name(i));
        pgtest_exec(url, sql);
    }
    pgtest_exec(url, "INSERT INTO action_logs (action, target, user_id, user_email, result, created_at) VALUES"
                     " ('old.one', 't', 'u', 'e', 'SUCCESS', now() - interval '2 days'),"
                     " ('old.two', 't', 'u', 'e', 'FAILURE', now() - interval '1 day')");
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT seq FROM action_logs WHERE action = 'old.two'"), 2);
    append_n(store, 3);
    r = verify(store);
    ck_assert_int_eq(r.ok, 1);
    ck_assert_int_eq(r.legacy_rows, 2);
    ck_assert_int_eq(r.first_seq, 3);
    ck_assert_int_eq(r.rows_checked, 3);
    mon_store_close(store);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("audit");
    TCase *tc = tcase_create("audit");
    int status;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, append_and_read_back_every_field);
    tcase_add_test(tc, parameters_are_redacted_at_any_depth_and_case);
    tcase_add_test(tc, update_delete_and_truncate_are_refused);
    tcase_add_test(tc, verify_detects_superuser_edit_at_the_right_row);
    tcase_add_test(tc, verify_detects_deleted_row);
    tcase_add_test(tc, verify_detects_reordered_rows);
    tcase_add_test(tc, verify_detects_rows_inserted_outside_the_chain);
    tcase_add_test(tc, bad_input_is_refused_with_a_clear_error_and_nothing_written);
    tcase_add_test(tc, concurrent_writers_build_one_valid_chain);
    tcase_add_test(tc, query_filters_and_pages_newest_first);
    tcase_add_test(tc, retention_is_audited_and_keeps_the_chain_verifiable);
    tcase_add_test(tc, rows_written_before_the_chain_are_legacy_and_the_chain_starts_after_them);
    suite_add_tcase(suite, tc);
    status = check_run_suite(suite);
    mon_global_cleanup();
    return status;
}
