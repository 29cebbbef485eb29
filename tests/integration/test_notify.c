/*
 * Notifications against the private PostgreSQL and loopback stubs: incidents
 * and their events are written as the engine of migration 007 writes them
 * (and, in the engine_* tests, by the engine itself from check results),
 * rules and the outbox are migration 008's, deliveries go to tests/stubs/
 * webhook_stub.py (which checks the HMAC), jira_stub.py and glpi_stub.py.
 */
#include <monitorage/monitorage.h>
#include <monitorage/notify.h>

#include "checkmain.h"
#include "notify_priv.h"
#include "pgtest.h"
#include "stubproc.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HOOK_SECRET "hook-Shared-Secret-7f3a9c21"
#define JIRA_TOKEN "jira-ApiToken-Secret-4455"
#define GLPI_TOKEN "glpi-UserToken-Secret-8866"
#define GLPI_APP "glpi-app-token-1234"

static struct {
    char db_url[1024];
    struct stubproc hook, jira, glpi;
    char hook_url[128];
    mon_store *store;
    mon_secret_key *key;
    mon_connectors *reg;
    mon_notifier *notifier;
} t;

/* ------------------------------------------------------------ helpers */

/* Deliveries with a valid signature the webhook stub received since its log was last cleared. */
static int signed_deliveries(void)
{
    char *log = stubproc_log(&t.hook);
    int n = stubproc_count(log, "\"signature_ok\": true");
    free(log);
    return n;
}

static void assert_clean(const char *text)
{
    if (!text)
        return;
    ck_assert_msg(!strstr(text, HOOK_SECRET), "webhook secret leaked into: %s", text);
    ck_assert_msg(!strstr(text, JIRA_TOKEN), "Jira token leaked into: %s", text);
    ck_assert_msg(!strstr(text, GLPI_TOKEN), "GLPI token leaked into: %s", text);
}

__attribute__((format(printf, 1, 2))) static long long sql_ll(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return pgtest_query_ll(t.db_url, sql);
}

__attribute__((format(printf, 1, 2))) static char *sql_text(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return pgtest_query_value(t.db_url, sql);
}

static char *make_endpoint(const char *name, const char *type)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO endpoints (name, type, url) VALUES ('%s', '%s', 'https://%s.example.com/health')"
             " RETURNING id",
             name, type, name);
    return pgtest_query_value(t.db_url, sql);
}

/* Incidents as the engine of migration 007 records them: the incident row
 * and, in the same statement, its event with the payload of the contract. */
static void incident_event(const char *change, const char *kind)
{
    char sql[2048];
    snprintf(
        sql, sizeof(sql),
        "WITH i AS (%s RETURNING *) INSERT INTO incident_events (incident_id, endpoint_id, kind, payload)"
        " SELECT i.id, i.endpoint_id, '%s', jsonb_build_object('endpoint', jsonb_build_object('id', e.id,"
        " 'name', e.name, 'url', e.url, 'type', e.type), 'incident', jsonb_build_object('id', i.id, 'kind',"
        " i.kind, 'started_at', i.started_at, 'resolved_at', i.resolved_at, 'first_error', i.first_error,"
        " 'failed_checks', i.failed_checks, 'last_status', i.last_status))"
        " FROM i JOIN endpoints e ON e.id = i.endpoint_id",
        change, kind);
    pgtest_exec(t.db_url, sql);
}

static void go_down(const char *endpoint_id)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO incidents (endpoint_id, kind, started_at, first_error, failed_checks, last_status)"
             " VALUES ('%s', 'down', now(), 'connect: connection refused', 3, 'DOWN')",
             endpoint_id);
    incident_event(sql, "opened");
}

static void recover(const char *endpoint_id)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE incidents SET resolved_at = now(), last_status = 'UP' WHERE endpoint_id = '%s'"
             " AND resolved_at IS NULL",
             endpoint_id);
    incident_event(sql, "resolved");
}

/* Create a rule; returns its id (free()). */
static char *rule(const char *json)
{
    char *out = NULL, *id;
    const char *p;
    int rc = mon_notify_rule_create(&out, t.store, t.key, json, NULL);
    ck_assert_msg(rc == MON_OK, "create rule: %s", mon_error_last());
    assert_clean(out);
    p = strstr(out, "\"id\": \"") ? strstr(out, "\"id\": \"") + 7 : strstr(out, "\"id\":\"") + 6;
    id = strndup(p, 36);
    mon_free(out);
    return id;
}

static char *webhook_rule_json(const char *name, const char *secret, const char *extra)
{
    static char json[1024];
    snprintf(
        json, sizeof(json),
        "{\"name\":\"%s\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"%s/hooks/ops\",\"timeout_ms\":1000,"
        "\"secret\":\"%s\"}%s}",
        name, t.hook_url, secret, extra ? extra : "");
    return json;
}

static mon_notify_stats dispatch(mon_notifier *n)
{
    mon_notify_stats st = MON_NOTIFY_STATS_INIT;
    ck_assert_msg(mon_notify_dispatch(&st, n) == MON_OK, "dispatch: %s", mon_error_last());
    return st;
}

static mon_notifier *notifier(const char *owner, mon_store *store, int lease_ms, int base_ms, int attempts)
{
    mon_notify_options o = MON_NOTIFY_OPTIONS_INIT;
    mon_notifier *n = NULL;
    o.owner = owner;
    o.lease_ms = lease_ms;
    o.backoff_base_ms = base_ms;
    o.backoff_max_ms = base_ms * 4;
    o.max_attempts = attempts;
    ck_assert_int_eq(mon_notifier_new(&n, store, t.reg, t.key, &o), MON_OK);
    return n;
}

static long long outbox(const char *where)
{
    return sql_ll("SELECT count(*) FROM notification_outbox WHERE %s", where);
}

/* ----------------------------------------------------------- fixtures */

static void configure(const char *name, const struct stubproc *stub, const char *options, const char *creds)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    char base[128];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", stub->port);
    config.base_url = base;
    config.options_json = options;
    config.credentials_json = creds;
    config.enabled = 1;
    ck_assert_msg(mon_connector_configure(t.reg, name, &config) == MON_OK, "%s: %s", name, mon_error_last());
}

static void suite_start(void)
{
    const char *hook_argv[] = {"python3", NULL, HOOK_SECRET, NULL};
    const char *jira_argv[] = {"python3", NULL, JIRA_TOKEN, "ops@example.com", NULL};
    const char *glpi_argv[] = {"python3", NULL, GLPI_TOKEN, GLPI_APP, NULL};
    char path[3][1024], *port;
    const char *url;

    ck_assert_int_eq(mon_global_init(), MON_OK);
    t.store = pgtest_fresh_store("notify", &url);
    snprintf(t.db_url, sizeof(t.db_url), "%s", url);
    snprintf(path[0], sizeof(path[0]), "%s", stubproc_source_path("stubs/webhook_stub.py"));
    snprintf(path[1], sizeof(path[1]), "%s", stubproc_source_path("stubs/jira_stub.py"));
    snprintf(path[2], sizeof(path[2]), "%s", stubproc_source_path("stubs/glpi_stub.py"));
    hook_argv[1] = path[0];
    jira_argv[1] = path[1];
    glpi_argv[1] = path[2];
    stubproc_start(&t.hook, hook_argv);
    stubproc_start(&t.jira, jira_argv);
    stubproc_start(&t.glpi, glpi_argv);
    port = stubproc_request(&t.hook, "/__port", NULL);
    snprintf(t.hook_url, sizeof(t.hook_url), "http://127.0.0.1:%d", atoi(strstr(port, ":") + 1));
    free(port);
    ck_assert_int_eq(mon_secret_key_from_hex(&t.key, KEY_HEX), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&t.reg, t.store, t.key), MON_OK);
    configure("JIRA", &t.jira,
              "{\"deployment\":\"cloud\",\"email\":\"ops@example.com\",\"project_key\":\"OPS\",\"timeout_"
              "ms\":2000}",
              "{\"api_token\":\"" JIRA_TOKEN "\"}");
    configure("GLPI", &t.glpi, "{\"timeout_ms\":2000}",
              "{\"user_token\":\"" GLPI_TOKEN "\",\"app_token\":\"" GLPI_APP "\"}");
    mon_connectors_free(t.reg);
    mon_secret_key_free(t.key);
    mon_store_close(t.store);
    t.reg = NULL;
    t.key = NULL;
    t.store = NULL;
}

static void suite_stop(void)
{
    stubproc_stop(&t.hook);
    stubproc_stop(&t.jira);
    stubproc_stop(&t.glpi);
    mon_global_cleanup();
}

static void setup(void)
{
    ck_assert_int_eq(mon_store_open(&t.store, t.db_url), MON_OK);
    ck_assert_int_eq(mon_secret_key_from_hex(&t.key, KEY_HEX), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&t.reg, t.store, t.key), MON_OK);
    pgtest_exec(t.db_url, "DELETE FROM notification_rules; DELETE FROM endpoints");
    t.notifier = notifier("test-a", t.store, 1000, 200, 5);
    stubproc_control(&t.hook, "{\"mode\":\"normal\",\"down\":false,\"clear\":true}");
    stubproc_control(&t.jira, "{\"mode\":\"normal\"}");
    stubproc_control(&t.glpi, "{\"mode\":\"normal\"}");
}

static void teardown(void)
{
    mon_notifier_free(t.notifier);
    mon_connectors_free(t.reg);
    mon_secret_key_free(t.key);
    mon_store_close(t.store);
    t.notifier = NULL;
    t.reg = NULL;
    t.key = NULL;
    t.store = NULL;
}

/* -------------------------------------------------------------- rules */

static void assert_rule_error(const char *json, int code, const char *field)
{
    char *out = NULL;
    int rc = mon_notify_rule_create(&out, t.store, t.key, json, NULL);
    ck_assert_msg(rc == code, "%s: got %s (%s)", json, mon_error_name(rc), mon_error_last());
    ck_assert_ptr_null(out);
    ck_assert_msg(strcmp(mon_error_field(), field) == 0, "%s: field %s, expected %s (%s)", json,
                  mon_error_field(), field, mon_error_last());
    assert_clean(mon_error_last());
}

START_TEST(rule_errors_name_the_field)
{
    char *ep = make_endpoint("api1", "APIM");
    char json[512];
    assert_rule_error("[1]", MON_EINVAL, "rule");
    assert_rule_error("{\"channel\":\"jira\"}", MON_EINVAL, "name");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"sms\"}", MON_EINVAL, "channel");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"colour\":1}", MON_EINVAL, "rule");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"events\":[\"opened\",\"closed\"]}", MON_EINVAL,
                      "events[1]");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"events\":[]}", MON_EINVAL, "events");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"endpoint_type\":\"FTP\"}", MON_EINVAL,
                      "endpoint_type");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"endpoint_id\":\"nope\"}", MON_EINVAL,
                      "endpoint_id");
    assert_rule_error(
        "{\"name\":\"x\",\"channel\":\"jira\",\"endpoint_id\":\"00000000-0000-0000-0000-000000000001\"}",
        MON_ENOTFOUND, "endpoint_id");
    snprintf(json, sizeof(json),
             "{\"name\":\"x\",\"channel\":\"jira\",\"endpoint_id\":\"%s\",\"endpoint_type\":\"APIM\"}", ep);
    assert_rule_error(json, MON_EINVAL, "endpoint_type");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"glpi\":{}}", MON_EINVAL, "glpi");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"jira\",\"jira\":{\"labels\":[\"a b\"]}}", MON_EINVAL,
                      "jira.labels");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"glpi\",\"glpi\":{\"urgency\":9}}", MON_EINVAL,
                      "glpi.urgency");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"webhook\"}", MON_EINVAL, "webhook");
    assert_rule_error(
        "{\"name\":\"x\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"ftp://h/x\",\"secret\":\"" HOOK_SECRET
        "\"}}",
        MON_EINVAL, "webhook.url");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"http://u:p@h/x\","
                      "\"secret\":\"" HOOK_SECRET "\"}}",
                      MON_EINVAL, "webhook.url");
    assert_rule_error("{\"name\":\"x\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"http://h/x\"}}",
                      MON_EINVAL, "webhook.secret");
    assert_rule_error(
        "{\"name\":\"x\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"http://h/x\",\"secret\":\"short\"}}",
        MON_EINVAL, "webhook.secret");
    assert_rule_error(
        "{\"name\":\"x\",\"channel\":\"webhook\",\"webhook\":{\"url\":\"http://h/x\",\"timeout_ms\":5,"
        "\"secret\":\"" HOOK_SECRET "\"}}",
        MON_EINVAL, "webhook.timeout_ms");
    free(rule("{\"name\":\"dup\",\"channel\":\"jira\"}"));
    assert_rule_error("{\"name\":\"dup\",\"channel\":\"glpi\"}", MON_EEXISTS, "name");
    free(ep);
}
END_TEST

START_TEST(rule_crud_keeps_the_secret_write_only_and_is_audited)
{
    char *id = rule(
        webhook_rule_json("ops hook", HOOK_SECRET, ",\"events\":[\"opened\"],\"endpoint_type\":\"APIM\""));
    char *out = NULL, *stored;
    long long audits =
        pgtest_query_ll(t.db_url, "SELECT count(*) FROM action_logs WHERE action LIKE 'notification_rule.%'");

    ck_assert_int_eq(mon_notify_rule_get_json(&out, t.store, id), MON_OK);
    assert_clean(out);
    ck_assert_ptr_nonnull(strstr(out, "\"secret_set\":true"));
    ck_assert_ptr_nonnull(strstr(out, "\"events\":[\"opened\"]"));
    ck_assert_ptr_nonnull(strstr(out, "\"endpoint_type\":\"APIM\""));
    mon_free(out);
    /* Stored encrypted. */
    stored = sql_text("SELECT secret FROM notification_rules WHERE id = '%s'", id);
    ck_assert_ptr_nonnull(strstr(stored, "mon1:"));
    assert_clean(stored);
    free(stored);

    /* Change the timeout only: the secret stays. */
    ck_assert_msg(mon_notify_rule_update(&out, t.store, t.key, id,
                                         "{\"webhook\":{\"timeout_ms\":2500},\"enabled\":false}",
                                         NULL) == MON_OK,
                  "%s", mon_error_last());
    ck_assert_ptr_nonnull(strstr(out, "\"timeout_ms\":2500"));
    ck_assert_ptr_nonnull(strstr(out, "\"secret_set\":true"));
    ck_assert_ptr_nonnull(strstr(out, "\"enabled\":false"));
    mon_free(out);
    /* Switching to Jira drops the webhook block and the secret. */
    ck_assert_int_eq(mon_notify_rule_update(&out, t.store, t.key, id, "{\"channel\":\"jira\"}", NULL),
                     MON_OK);
    ck_assert_ptr_null(strstr(out, "webhook"));
    ck_assert_ptr_nonnull(strstr(out, "\"resolve_transition\":\"Done\""));
    mon_free(out);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM notification_rules WHERE id = '%s' AND secret IS NULL", id),
                     1);
    ck_assert_int_eq(mon_notify_rule_update(&out, t.store, t.key, id, "{\"channel\":\"webhook\"}", NULL),
                     MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "webhook");

    ck_assert_int_eq(mon_notify_rule_list_json(&out, t.store), MON_OK);
    ck_assert_int_eq(stubproc_count(out, "\"channel\""), 1);
    mon_free(out);
    ck_assert_int_eq(mon_notify_rule_delete(t.store, id, NULL), MON_OK);
    ck_assert_int_eq(mon_notify_rule_delete(t.store, id, NULL), MON_ENOTFOUND);
    ck_assert_int_eq(mon_notify_rule_get_json(&out, t.store, id), MON_ENOTFOUND);
    ck_assert_int_eq(mon_notify_rule_update(&out, t.store, t.key, id, "{}", NULL), MON_ENOTFOUND);
    ck_assert_int_eq(mon_notify_rule_update(&out, t.store, t.key, "nope", "[", NULL), MON_EINVAL);
    ck_assert_int_eq(mon_notify_rule_delete(t.store, "nope", NULL), MON_ENOTFOUND);

    /* 5 updates (3 refused) and 3 deletes (2 refused) since the create: every one in the audit log. */
    ck_assert_int_eq(
        pgtest_query_ll(t.db_url, "SELECT count(*) FROM action_logs WHERE action LIKE 'notification_rule.%'"),
        audits + 8);
    stored =
        pgtest_query_value(t.db_url, "SELECT string_agg(parameters::text || coalesce(error_message, ''), ' ')"
                                     " FROM action_logs");
    assert_clean(stored);
    free(stored);
    free(id);
}
END_TEST

/* ---------------------------------------------------------- delivery */

START_TEST(opened_incident_sends_one_signed_webhook_and_one_jira_issue)
{
    char *ep = make_endpoint("billing", "APIM");
    char *hook = rule(webhook_rule_json("hook", HOOK_SECRET, NULL));
    char *jira = rule("{\"name\":\"jira\",\"channel\":\"jira\",\"jira\":{\"labels\":[\"billing\"]}}");
    char *log, *refs, *delivery, expected[64];
    mon_notify_stats st;

    go_down(ep);
    ck_assert_int_eq(outbox("true"), 2);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.claimed, 2);
    ck_assert_int_eq(st.sent, 2);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.claimed, 0);

    log = stubproc_log(&t.hook);
    ck_assert_int_eq(stubproc_count(log, "\"signature_ok\": true"), 1);
    ck_assert_int_eq(stubproc_count(log, "\"signature_ok\": false"), 0);
    ck_assert_int_eq(stubproc_count(log, "\"event\": \"opened\""), 1);
    delivery = sql_text("SELECT id::text FROM notification_outbox WHERE rule_id = '%s'", hook);
    snprintf(expected, sizeof(expected), "\"delivery\": \"%s\"", delivery);
    ck_assert_msg(strstr(log, expected), "%s not in %s", expected, log);
    ck_assert_ptr_nonnull(strstr(log, "billing"));
    ck_assert_ptr_nonnull(strstr(log, "connect: connection refused"));
    assert_clean(log);
    free(log);

    log = stubproc_log(&t.jira);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue\""), 1);
    ck_assert_ptr_nonnull(strstr(log, "[Monitorage] billing is down"));
    ck_assert_ptr_nonnull(strstr(log, "monitorage"));
    ck_assert_ptr_nonnull(strstr(log, "\\\"billing\\\"]")); /* the rule's label, inside the logged body */
    free(log);
    refs = sql_text("SELECT ticket_refs::text FROM incidents WHERE endpoint_id = '%s'", ep);
    ck_assert_ptr_nonnull(strstr(refs, "\"key\": \"OPS-24\""));
    ck_assert_ptr_nonnull(strstr(refs, jira));
    ck_assert_ptr_nonnull(strstr(refs, "\"system\": \"jira\""));
    free(refs);
    ck_assert_int_eq(
        sql_ll("SELECT count(*) FROM notification_outbox WHERE rule_id = '%s' AND status = 'sent'"
               " AND ticket_key = 'OPS-24' AND attempts = 1",
               jira),
        1);
    ck_assert_int_eq(pgtest_query_ll(t.db_url, "SELECT count(*) FROM action_logs WHERE action ="
                                               " 'notification.ticket.open' AND result = 'SUCCESS'"),
                     1);
    free(delivery);
    free(hook);
    free(jira);
    free(ep);
}
END_TEST

START_TEST(resolved_incident_comments_and_closes_jira_and_glpi_tickets)
{
    char *ep = make_endpoint("crm", "TALEND");
    char *jira = rule("{\"name\":\"jira\",\"channel\":\"jira\",\"endpoint_type\":\"TALEND\"}");
    char *glpi = rule("{\"name\":\"glpi\",\"channel\":\"glpi\",\"glpi\":{\"urgency\":4}}");
    char *log, *refs;
    mon_notify_stats st;

    go_down(ep);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.sent, 2);
    refs = sql_text("SELECT ticket_refs::text FROM incidents WHERE endpoint_id = '%s'", ep);
    ck_assert_ptr_nonnull(strstr(refs, "\"key\": \"15\""));
    ck_assert_ptr_nonnull(strstr(refs, "\"key\": \"OPS-24\""));
    free(refs);
    stubproc_control(&t.jira, "{\"mode\":\"normal\"}");
    stubproc_control(&t.glpi, "{\"mode\":\"normal\"}");

    recover(ep);
    ck_assert_int_eq(outbox("event_kind = 'resolved'"), 2);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.sent, 2);
    log = stubproc_log(&t.jira);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue/OPS-24/comment\""), 1);
    /* GET then POST */
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue/OPS-24/transitions\""), 2);
    ck_assert_ptr_nonnull(strstr(log, "{\\\"transition\\\":{\\\"id\\\":\\\"31\\\"}}"));
    ck_assert_ptr_nonnull(strstr(log, "recovered"));
    free(log);
    log = stubproc_log(&t.glpi);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/apirest.php/ITILFollowup/\""), 1);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/apirest.php/ITILSolution/\""), 1);
    free(log);
    ck_assert_int_eq(outbox("status = 'sent'"), 4);
    ck_assert_int_eq(pgtest_query_ll(t.db_url, "SELECT count(*) FROM action_logs WHERE action IN"
                                               " ('notification.ticket.comment', 'notification.ticket.close')"
                                               " AND result = 'SUCCESS'"),
                     4);
    free(jira);
    free(glpi);
    free(ep);
}
END_TEST

START_TEST(jira_create_whose_reply_is_lost_is_not_opened_twice)
{
    char *ep = make_endpoint("lost-reply", "APIM");
    char *log, *refs;
    free(rule("{\"name\":\"jira\",\"channel\":\"jira\"}"));
    /* Jira creates the issue but the reply never comes (the connector times out after 2 s). */
    stubproc_control(&t.jira, "{\"mode\":\"normal\",\"create_then_hang\":4}");
    go_down(ep);
    ck_assert_int_eq(dispatch(t.notifier).retried, 1);
    ck_assert_int_eq(outbox("status = 'pending' AND last_error LIKE 'MON_ETIMEOUT: %'"), 1);
    stubproc_control(&t.jira, "{\"mode\":\"normal\"}");
    usleep(250 * 1000);
    ck_assert_int_eq(dispatch(t.notifier).sent, 1);
    log = stubproc_log(&t.jira);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue\""), 0);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/3/search/jql\""), 1);
    free(log);
    refs = sql_text("SELECT ticket_refs::text FROM incidents WHERE endpoint_id = '%s'", ep);
    ck_assert_ptr_nonnull(strstr(refs, "\"key\": \"OPS-24\""));
    ck_assert_int_eq(stubproc_count(refs, "OPS-24"), 1);
    free(refs);
    free(ep);
}
END_TEST

START_TEST(glpi_create_whose_reply_is_lost_is_not_opened_twice)
{
    char *ep = make_endpoint("lost-glpi-reply", "APIM");
    char *log, *refs, *delivery, reference[128];
    free(rule("{\"name\":\"glpi\",\"channel\":\"glpi\"}"));
    /* GLPI creates the ticket but the reply never comes (the connector times out after 2 s). */
    stubproc_control(&t.glpi, "{\"mode\":\"normal\",\"create_then_hang\":4}");
    go_down(ep);
    ck_assert_int_eq(dispatch(t.notifier).retried, 1);
    ck_assert_int_eq(outbox("status = 'pending' AND last_error LIKE 'MON_ETIMEOUT: %'"), 1);
    log = stubproc_log(&t.glpi);
    delivery = sql_text("SELECT o.incident_id || '-' || o.id FROM notification_outbox o");
    snprintf(reference, sizeof(reference), "Reference: monitorage-%s.", delivery);
    ck_assert_msg(strstr(log, reference), "%s not in %s", reference, log);
    free(log);
    stubproc_control(&t.glpi, "{\"mode\":\"normal\"}");
    usleep(250 * 1000);
    ck_assert_int_eq(dispatch(t.notifier).sent, 1);
    log = stubproc_log(&t.glpi);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/apirest.php/Ticket/\""), 0);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/apirest.php/search/Ticket\""), 1);
    free(log);
    refs = sql_text("SELECT ticket_refs::text FROM incidents WHERE endpoint_id = '%s'", ep);
    ck_assert_ptr_nonnull(strstr(refs, "\"key\": \"15\""));
    ck_assert_int_eq(stubproc_count(refs, "\"15\""), 1);
    free(refs);
    free(delivery);
    free(ep);
}
END_TEST

START_TEST(rules_match_their_scope_and_events)
{
    char *api = make_endpoint("api", "APIM"), *dom = make_endpoint("dom", "DOMAIN");
    char json[512], *one, *talend, *resolved_only;

    snprintf(json, sizeof(json), "{\"name\":\"one\",\"channel\":\"glpi\",\"endpoint_id\":\"%s\"}", dom);
    one = rule(json);
    talend = rule("{\"name\":\"talend\",\"channel\":\"glpi\",\"endpoint_type\":\"TALEND\"}");
    resolved_only = rule("{\"name\":\"resolved\",\"channel\":\"jira\",\"events\":[\"resolved\"]}");
    free(rule("{\"name\":\"off\",\"channel\":\"jira\",\"enabled\":false}"));
    go_down(api);
    go_down(dom);
    ck_assert_int_eq(outbox("true"), 1);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM notification_outbox WHERE rule_id = '%s'", one), 1);
    recover(api);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM notification_outbox WHERE rule_id = '%s'", resolved_only),
                     1);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM notification_outbox WHERE rule_id = '%s'", talend), 0);
    /* A resolve whose rule never opened a ticket has nothing to close. */
    ck_assert_int_eq(dispatch(t.notifier).skipped, 1);
    ck_assert_int_eq(
        sql_ll("SELECT count(*) FROM notification_outbox WHERE rule_id = '%s' AND status = 'skipped'"
               " AND last_error LIKE 'no ticket%%'",
               resolved_only),
        1);
    free(one);
    free(talend);
    free(resolved_only);
    free(api);
    free(dom);
}
END_TEST

/* Two replicas, each with its own store, dispatching the same outbox at once. */
struct replica {
    const char *owner;
    int sent;
};

static void *replica_run(void *arg)
{
    struct replica *r = arg;
    mon_store *store = NULL;
    mon_connectors *reg = NULL;
    mon_notify_options o = MON_NOTIFY_OPTIONS_INIT;
    mon_notifier *n = NULL;
    int idle = 0;

    if (mon_store_open(&store, t.db_url) != MON_OK || mon_connectors_new(&reg, store, t.key) != MON_OK)
        return NULL;
    o.owner = r->owner;
    o.batch = 3;
    if (mon_notifier_new(&n, store, reg, t.key, &o) == MON_OK) {
        while (idle < 3) {
            mon_notify_stats st = MON_NOTIFY_STATS_INIT;
            if (mon_notify_dispatch(&st, n) != MON_OK)
                break;
            r->sent += st.sent;
            idle = st.claimed ? 0 : idle + 1;
        }
    }
    mon_notifier_free(n);
    mon_connectors_free(reg);
    mon_store_close(store);
    return NULL;
}

START_TEST(two_dispatchers_deliver_each_notification_once)
{
    struct replica a = {"replica-a", 0}, b = {"replica-b", 0};
    pthread_t ta, tb;
    char *log, *ids;
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    for (int i = 0; i < 30; i++) {
        char name[16], *ep;
        snprintf(name, sizeof(name), "ep%02d", i);
        ep = make_endpoint(name, "APIM");
        go_down(ep);
        free(ep);
    }
    ck_assert_int_eq(outbox("true"), 30);
    pthread_create(&ta, NULL, replica_run, &a);
    pthread_create(&tb, NULL, replica_run, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    fprintf(stderr, "two dispatchers: replica-a sent %d, replica-b sent %d\n", a.sent, b.sent);
    ck_assert_int_eq(a.sent + b.sent, 30);
    ck_assert_int_eq(outbox("status = 'sent' AND attempts = 1"), 30);
    log = stubproc_log(&t.hook);
    ck_assert_int_eq(stubproc_count(log, "\"signature_ok\": true"), 30);
    /* Every outbox row was received exactly once. */
    ids = pgtest_query_value(t.db_url, "SELECT string_agg(id::text, ',') FROM notification_outbox");
    for (char *id = strtok(ids, ","); id; id = strtok(NULL, ",")) {
        char needle[64];
        snprintf(needle, sizeof(needle), "\"delivery\": \"%s\"", id);
        ck_assert_int_eq(stubproc_count(log, needle), 1);
    }
    free(ids);
    free(log);
}
END_TEST

START_TEST(receiver_down_is_retried_with_backoff_and_delivered_when_back)
{
    char *ep = make_endpoint("down", "APIM");
    mon_notify_stats st;
    double wait_s;

    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    stubproc_control(&t.hook, "{\"down\":true}");
    go_down(ep);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.retried, 1);
    ck_assert_int_eq(outbox("status = 'pending' AND attempts = 1 AND last_error LIKE 'MON_ENET: %'"), 1);
    /* Not due again before the backoff (200 ms, then 400 ms). */
    ck_assert_int_eq(dispatch(t.notifier).claimed, 0);
    usleep(250 * 1000);
    ck_assert_int_eq(dispatch(t.notifier).retried, 1);
    wait_s = (double)pgtest_query_ll(t.db_url,
                                     "SELECT (extract(epoch FROM next_attempt_at - now()) * 1000)::bigint"
                                     " FROM notification_outbox");
    ck_assert_msg(wait_s > 250 && wait_s <= 400, "second backoff %.0f ms", wait_s);
    stubproc_control(&t.hook, "{\"down\":false}");
    usleep(450 * 1000);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.sent, 1);
    ck_assert_int_eq(outbox("status = 'sent' AND attempts = 3 AND last_error IS NULL"), 1);
    ck_assert_int_eq(signed_deliveries(), 1);
    free(ep);
}
END_TEST

START_TEST(failing_receiver_is_marked_failed_after_the_last_attempt)
{
    char *ep = make_endpoint("flaky", "APIM");
    char *out = NULL;
    mon_notifier *n = notifier("test-b", t.store, 1000, 50, 2);

    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    stubproc_control(&t.hook, "{\"mode\":\"fail\",\"status\":503}");
    go_down(ep);
    ck_assert_int_eq(dispatch(n).retried, 1);
    usleep(80 * 1000);
    ck_assert_int_eq(dispatch(n).failed, 1); /* the last attempt */
    ck_assert_int_eq(outbox("status = 'failed' AND attempts = 2 AND response_status = 503"
                            " AND last_error LIKE '%HTTP 503%'"),
                     1);
    ck_assert_int_eq(mon_notify_outbox_json(&out, t.store, "failed", NULL, 10), MON_OK);
    ck_assert_ptr_nonnull(strstr(out, "\"status\":\"failed\""));
    ck_assert_ptr_nonnull(strstr(out, "\"rule_name\":\"hook\""));
    assert_clean(out);
    mon_free(out);
    ck_assert_int_eq(mon_notify_outbox_json(&out, t.store, "lost", NULL, 10), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "status");
    mon_notifier_free(n);
    free(ep);
}
END_TEST

START_TEST(webhook_resolve_is_delivered_after_its_open)
{
    char *ep = make_endpoint("ordered", "APIM");
    char *log;
    mon_notify_stats st;
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    stubproc_control(&t.hook, "{\"mode\":\"fail\",\"status\":503}");
    go_down(ep);
    recover(ep);
    st = dispatch(t.notifier);
    ck_assert_int_eq(st.retried, 1);
    ck_assert_int_eq(st.deferred, 1);
    ck_assert_int_eq(outbox("event_kind = 'resolved' AND attempts = 0 AND last_error LIKE 'waiting%'"), 1);
    stubproc_control(&t.hook, "{\"mode\":\"normal\",\"clear\":true}");
    usleep(450 * 1000);
    ck_assert_int_eq(dispatch(t.notifier).sent, 2);
    log = stubproc_log(&t.hook);
    ck_assert_int_eq(stubproc_count(log, "\"event\": \"resolved\""), 1);
    ck_assert_ptr_nonnull(strstr(log, "\"event\": \"opened\""));
    ck_assert_msg(strstr(log, "\"event\": \"opened\"") < strstr(log, "\"event\": \"resolved\""),
                  "resolved received before opened: %s", log);
    free(log);
    free(ep);
}
END_TEST

START_TEST(hanging_receiver_times_out_and_is_retried)
{
    char *ep = make_endpoint("slow", "APIM");
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    stubproc_control(&t.hook, "{\"mode\":\"hang\",\"seconds\":5}");
    go_down(ep);
    ck_assert_int_eq(dispatch(t.notifier).retried, 1);
    ck_assert_int_eq(outbox("status = 'pending' AND last_error LIKE 'MON_ETIMEOUT: %'"), 1);
    free(ep);
}
END_TEST

START_TEST(dispatcher_dying_after_its_claim_is_replaced_after_the_lease)
{
    char *ep = make_endpoint("restart", "APIM");
    struct mon__notify_claim claims[4];
    mon_notifier *dead = notifier("dead-replica", t.store, 1000, 200, 5);
    mon_store *store = NULL;
    mon_notifier *other;
    mon_notify_stats st;
    int claimed = 0;

    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    go_down(ep);
    ck_assert_int_eq(mon__notify_claim(claims, 4, &claimed, dead), MON_OK);
    ck_assert_int_eq(claimed, 1);
    ck_assert_int_eq(outbox("claimed_by = 'dead-replica'"), 1);
    /* ...and dies before sending. Another replica leaves it alone during the lease
     * (1000 ms + the webhook's 1000 ms timeout), then delivers it. */
    ck_assert_int_eq(mon_store_open(&store, t.db_url), MON_OK);
    other = notifier("live-replica", store, 1000, 200, 5);
    ck_assert_int_eq(dispatch(other).claimed, 0);
    usleep(2100 * 1000);
    st = dispatch(other);
    ck_assert_int_eq(st.sent, 1);
    ck_assert_int_eq(dispatch(other).claimed, 0);
    ck_assert_int_eq(outbox("status = 'sent' AND claims = 2 AND claimed_by IS NULL"), 1);
    ck_assert_int_eq(signed_deliveries(), 1);
    mon_notifier_free(other);
    mon_store_close(store);
    mon_notifier_free(dead);
    free(ep);
}
END_TEST

START_TEST(wrong_secret_is_detected_by_the_receiver)
{
    char *ep = make_endpoint("wrong", "APIM");
    char *log;
    free(rule(webhook_rule_json("hook", "not-the-shared-secret-0000", NULL)));
    go_down(ep);
    ck_assert_int_eq(dispatch(t.notifier).failed, 1);
    log = stubproc_log(&t.hook);
    ck_assert_int_eq(stubproc_count(log, "\"signature_ok\": false"), 1);
    ck_assert_ptr_nonnull(strstr(log, "\"x-monitorage-signature\": \"sha256="));
    free(log);
    /* 401 will not get better by retrying: failed at once, visibly. */
    ck_assert_int_eq(outbox("status = 'failed' AND response_status = 401 AND attempts = 1"), 1);
    free(ep);
}
END_TEST

START_TEST(resolve_waits_for_its_ticket_and_jira_errors_are_recorded_without_secrets)
{
    char *ep = make_endpoint("wait", "APIM");
    char *errors;
    free(rule("{\"name\":\"jira\",\"channel\":\"jira\"}"));
    stubproc_control(&t.jira, "{\"mode\":\"html_error\",\"status\":502}");
    go_down(ep);
    recover(ep);
    ck_assert_int_eq(outbox("true"), 2);
    {
        mon_notify_stats st = dispatch(t.notifier);
        ck_assert_int_eq(st.retried, 1);
        ck_assert_int_eq(st.deferred, 1);
    }
    ck_assert_int_eq(outbox("event_kind = 'resolved' AND status = 'pending' AND attempts = 0"), 1);
    errors = pgtest_query_value(t.db_url, "SELECT string_agg(last_error, ' | ') FROM notification_outbox");
    ck_assert_ptr_nonnull(strstr(errors, "waiting for the ticket"));
    ck_assert_ptr_nonnull(strstr(errors, "HTTP 502"));
    assert_clean(errors);
    free(errors);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM action_logs a JOIN incidents i ON a.target = i.id::text"
                            " WHERE i.endpoint_id = '%s' AND a.action = 'notification.ticket.open'"
                            " AND a.result = 'FAILURE'",
                            ep),
                     1);
    stubproc_control(&t.jira, "{\"mode\":\"normal\"}");
    usleep(450 * 1000);
    ck_assert_int_eq(dispatch(t.notifier).sent, 2);
    ck_assert_int_eq(outbox("status = 'sent'"), 2);
    free(ep);
}
END_TEST

/* Check results through the incident engine of migration 007 (global policy:
 * down after 1 DOWN, up after 2 UP, flapping at 6 changes in 10 minutes). */
static void check_result(const char *endpoint_id, const char *status)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO health_history (endpoint_id, status, error_message, checked_at) VALUES"
             " ('%s', '%s', %s, clock_timestamp())",
             endpoint_id, status, strcmp(status, "DOWN") == 0 ? "'connection refused'" : "NULL");
    pgtest_exec(t.db_url, sql);
}

START_TEST(engine_flapping_ten_times_notifies_once)
{
    char *ep = make_endpoint("flapper", "APIM");
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    for (int i = 0; i < 10; i++) {
        check_result(ep, "DOWN");
        check_result(ep, "UP");
    }
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM incidents WHERE endpoint_id = '%s'", ep), 1);
    ck_assert_int_eq(
        sql_ll("SELECT count(*) FROM incidents WHERE endpoint_id = '%s' AND kind = 'flapping'", ep), 1);
    ck_assert_int_eq(outbox("true"), 1);
    ck_assert_int_eq(dispatch(t.notifier).sent, 1);
    ck_assert_int_eq(dispatch(t.notifier).claimed, 0);
    ck_assert_int_eq(signed_deliveries(), 1);
    free(ep);
}
END_TEST

START_TEST(engine_maintenance_window_sends_nothing)
{
    char *ep = make_endpoint("maintained", "DOMAIN");
    char sql[512];
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    free(rule("{\"name\":\"jira\",\"channel\":\"jira\"}"));
    snprintf(sql, sizeof(sql),
             "INSERT INTO maintenance_windows (name, endpoint_type, kind, starts_at, ends_at)"
             " VALUES ('upgrade', 'DOMAIN', 'once', now() - interval '1 minute', now() + interval '1 hour')");
    pgtest_exec(t.db_url, sql);
    check_result(ep, "DOWN");
    check_result(ep, "DOWN");
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM incidents WHERE endpoint_id = '%s'", ep), 0);
    ck_assert_int_eq(outbox("true"), 0);
    ck_assert_int_eq(dispatch(t.notifier).claimed, 0);
    pgtest_exec(t.db_url, "DELETE FROM maintenance_windows");
    free(ep);
}
END_TEST

#define CHECKD MONITORAGE_BINARY_DIR "/server/monitorage-checkd"

/* The daemon end to end: its scheduler finds the endpoint down, the engine opens
 * the incident, its notification thread delivers the signed webhook. */
START_TEST(checkd_delivers_the_webhook_of_an_endpoint_going_down)
{
    char env_url[1100], *log = NULL, *ep;
    char *env[] = {env_url, "MONITORAGE_REPLICA_ID=checkd-notify", "ENCRYPTION_KEY=" KEY_HEX,
                   "MONITORAGE_NOTIFY_INTERVAL_MS=100", NULL};
    int status = 0;
    pid_t pid;

    if (access(CHECKD, X_OK) != 0) {
        fprintf(stderr, "checkd_delivers_the_webhook_of_an_endpoint_going_down: %s not built, not run\n",
                CHECKD);
        return;
    }
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    pgtest_exec(t.db_url, "INSERT INTO endpoints (name, type, url, check_interval, timeout)"
                          " VALUES ('closed', 'APIM', 'http://127.0.0.1:9/health', 10, 1000)");
    pgtest_exec(t.db_url, "UPDATE endpoint_schedule SET next_check_at = now()");
    ep = pgtest_query_value(t.db_url, "SELECT id FROM endpoints");
    snprintf(env_url, sizeof(env_url), "DATABASE_URL=%s", t.db_url);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execle(CHECKD, CHECKD, (char *)NULL, env);
        _exit(127);
    }
    for (int i = 0; i < 150 && (!log || !strstr(log, "\"signature_ok\": true")); i++) {
        free(log);
        usleep(100 * 1000);
        log = stubproc_log(&t.hook);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    ck_assert_msg(strstr(log, "\"signature_ok\": true"), "no webhook from checkd: %s", log);
    ck_assert_ptr_nonnull(strstr(log, "\"event\": \"opened\""));
    ck_assert_ptr_nonnull(strstr(log, ep));
    ck_assert_int_eq(stubproc_count(log, "\"signature_ok\""), 1);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(outbox("status = 'sent' AND claimed_by IS NULL"), 1);
    free(log);
    free(ep);
}
END_TEST

START_TEST(key_rotation_re_encrypts_webhook_secrets)
{
    char *ep = make_endpoint("rotated", "APIM");
    mon_secret_key *next = NULL, *old = t.key;
    mon_notifier *n;
    int rotated = 0;

    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    ck_assert_int_eq(
        mon_secret_key_from_hex(&next, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"),
        MON_OK);
    ck_assert_msg(mon_secret_rotate(t.store, t.key, next, &rotated) == MON_OK, "%s", mon_error_last());
    ck_assert_int_ge(rotated, 1);
    t.key = next; /* the notifier below reads the secret with the new key */
    n = notifier("rotated", t.store, 1000, 200, 5);
    go_down(ep);
    ck_assert_int_eq(dispatch(n).sent, 1);
    ck_assert_int_eq(signed_deliveries(), 1);
    mon_notifier_free(n);
    /* Back to the suite's key for the connectors' credentials of the next tests. */
    ck_assert_int_eq(mon_secret_rotate(t.store, next, old, NULL), MON_OK);
    t.key = old;
    mon_secret_key_free(next);
    free(ep);
}
END_TEST

START_TEST(notifier_options_are_checked)
{
    mon_notify_options o = MON_NOTIFY_OPTIONS_INIT;
    mon_notify_stats st = MON_NOTIFY_STATS_INIT;
    mon_notifier *n = NULL;
    o.batch = 0;
    ck_assert_int_eq(mon_notifier_new(&n, t.store, NULL, NULL, &o), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "batch");
    o.batch = 5;
    o.backoff_max_ms = 1;
    ck_assert_int_eq(mon_notifier_new(&n, t.store, NULL, NULL, &o), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "backoff_max_ms");
    o.version = 99;
    ck_assert_int_eq(mon_notifier_new(&n, t.store, NULL, NULL, &o), MON_EVERSION);
    ck_assert_int_eq(mon_notify_options_init(&o, MON_NOTIFY_OPTIONS_VERSION), MON_OK);
    ck_assert_int_eq(mon_notifier_new(&n, t.store, NULL, NULL, &o), MON_OK);
    ck_assert_ptr_nonnull(strchr(mon_notifier_owner(n), ':'));
    st.version = 7;
    ck_assert_int_eq(mon_notify_dispatch(&st, n), MON_EVERSION);
    mon_notifier_free(n);
    mon_notifier_free(NULL);
}
END_TEST

/* A Jira or GLPI reply whose ticket key cannot be stored whole (tests/fuzz/regressions/notify/): refused,
 * where it was cut at 63 bytes before, so the comment and the close went to another issue or none. */
START_TEST(ticket_key_of_a_reply_is_kept_whole_or_refused)
{
    char key[MON__TICKET_KEY_MAX], reply[128];

    ck_assert_int_eq(mon__notify_reply_ticket(key, "{\"key\":\"OPS-12\",\"id\":\"10012\"}", 1, 0), MON_OK);
    ck_assert_str_eq(key, "OPS-12");
    ck_assert_int_eq(mon__notify_reply_ticket(key, "{\"results\":[{\"2\":17}],\"total\":1}", 0, 1), MON_OK);
    ck_assert_str_eq(key, "17");
    ck_assert_int_eq(mon__notify_reply_ticket(key, "<html>502</html>", 1, 1), MON_OK);
    ck_assert_str_eq(key, "");
    snprintf(reply, sizeof(reply), "{\"key\":\"OPS-%059d\"}", 1); /* 63 bytes: kept */
    ck_assert_int_eq(mon__notify_reply_ticket(key, reply, 1, 0), MON_OK);
    ck_assert_uint_eq(strlen(key), 63);
    snprintf(reply, sizeof(reply), "{\"issues\":[{\"key\":\"OPS-%060d\"}]}", 1);
    ck_assert_int_eq(mon__notify_reply_ticket(key, reply, 1, 1), MON_EPROTO);
    ck_assert_str_eq(mon_error_field(), "ticket_key");
    ck_assert_str_eq(key, "");
    ck_assert_int_eq(mon__notify_reply_ticket(key, "{\"key\":\"OPS-1\\r\\nX: 1\"}", 1, 0), MON_EPROTO);
    ck_assert_int_eq(mon__notify_reply_ticket(key, "{\"id\":0}", 0, 0), MON_EPROTO);
    ck_assert_int_eq(mon__notify_reply_ticket(key, "{\"results\":[{\"2\":9007199254740993}]}", 0, 1),
                     MON_EPROTO);
    ck_assert_str_eq(mon_error_field(), "ticket_key");
}
END_TEST

START_TEST(disabling_the_endpoint_closes_its_ticket_and_tells_the_webhook)
{
    char *ep = make_endpoint("retired", "APIM");
    char *log;
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    free(rule("{\"name\":\"jira\",\"channel\":\"jira\"}"));
    check_result(ep, "DOWN");
    ck_assert_int_eq(dispatch(t.notifier).sent, 2);
    stubproc_control(&t.jira, "{\"mode\":\"normal\"}");

    pgtest_exec(t.db_url, "UPDATE endpoints SET enabled = false WHERE name = 'retired'");
    ck_assert_int_eq(outbox("event_kind = 'resolved'"), 2);
    ck_assert_int_eq(dispatch(t.notifier).sent, 2);
    log = stubproc_log(&t.jira);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue/OPS-24/comment\""), 1);
    ck_assert_int_eq(stubproc_count(log, "\"path\": \"/rest/api/2/issue/OPS-24/transitions\""), 2);
    ck_assert_ptr_nonnull(strstr(log, "was disabled"));
    ck_assert_ptr_null(strstr(log, "recovered"));
    free(log);
    log = stubproc_log(&t.hook);
    ck_assert_int_eq(stubproc_count(log, "\"event\": \"resolved\""), 1);
    ck_assert_ptr_nonnull(strstr(log, "endpoint_disabled"));
    free(log);
    free(ep);
}
END_TEST

START_TEST(retention_removes_old_finished_notifications_and_keeps_pending_ones)
{
    const char *names[] = {"old-sent", "old-failed", "old-skipped", "old-pending", "new-sent"};
    const char *status[] = {"sent", "failed", "skipped", "pending", "sent"};
    int64_t deleted = -1;
    free(rule(webhook_rule_json("hook", HOOK_SECRET, NULL)));
    for (int i = 0; i < 5; i++) {
        char *ep = make_endpoint(names[i], "APIM");
        go_down(ep);
        ck_assert_int_eq(sql_ll("UPDATE notification_outbox o SET status = '%s', created_at = now()"
                                " - interval '%d days' FROM endpoints e WHERE e.id = o.endpoint_id"
                                " AND e.name = '%s' RETURNING 1",
                                status[i], i < 4 ? 10 : 1, names[i]),
                         1);
        free(ep);
    }
    ck_assert_int_eq(mon_store_retention_apply(t.store, 7 * 86400, &deleted), MON_OK);
    ck_assert_int_eq(deleted, 0); /* history rows */
    ck_assert_int_eq(outbox("true"), 2);
    ck_assert_int_eq(outbox("status = 'pending' AND created_at < now() - interval '9 days'"), 1);
    ck_assert_int_eq(outbox("status = 'sent' AND created_at > now() - interval '2 days'"), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_add_unchecked_fixture(tc, suite_start, suite_stop);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rule_errors_name_the_field);
    tcase_add_test(tc, rule_crud_keeps_the_secret_write_only_and_is_audited);
    tcase_add_test(tc, opened_incident_sends_one_signed_webhook_and_one_jira_issue);
    tcase_add_test(tc, resolved_incident_comments_and_closes_jira_and_glpi_tickets);
    tcase_add_test(tc, jira_create_whose_reply_is_lost_is_not_opened_twice);
    tcase_add_test(tc, glpi_create_whose_reply_is_lost_is_not_opened_twice);
    tcase_add_test(tc, rules_match_their_scope_and_events);
    tcase_add_test(tc, two_dispatchers_deliver_each_notification_once);
    tcase_add_test(tc, receiver_down_is_retried_with_backoff_and_delivered_when_back);
    tcase_add_test(tc, failing_receiver_is_marked_failed_after_the_last_attempt);
    tcase_add_test(tc, webhook_resolve_is_delivered_after_its_open);
    tcase_add_test(tc, hanging_receiver_times_out_and_is_retried);
    tcase_add_test(tc, dispatcher_dying_after_its_claim_is_replaced_after_the_lease);
    tcase_add_test(tc, wrong_secret_is_detected_by_the_receiver);
    tcase_add_test(tc, resolve_waits_for_its_ticket_and_jira_errors_are_recorded_without_secrets);
    tcase_add_test(tc, engine_flapping_ten_times_notifies_once);
    tcase_add_test(tc, engine_maintenance_window_sends_nothing);
    tcase_add_test(tc, checkd_delivers_the_webhook_of_an_endpoint_going_down);
    tcase_add_test(tc, key_rotation_re_encrypts_webhook_secrets);
    tcase_add_test(tc, notifier_options_are_checked);
    tcase_add_test(tc, ticket_key_of_a_reply_is_kept_whole_or_refused);
    tcase_add_test(tc, disabling_the_endpoint_closes_its_ticket_and_tells_the_webhook);
    tcase_add_test(tc, retention_removes_old_finished_notifications_and_keeps_pending_ones);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
