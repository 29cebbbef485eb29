#define _GNU_SOURCE /* asprintf */
/* The notification dispatcher: claim due outbox rows (FOR UPDATE SKIP
 * LOCKED + lease), deliver each to its channel, record the outcome against
 * the claim number so a dispatcher whose lease ran out cannot overwrite the
 * row another one has claimed since. docs/notifications.md. */
#include "connectors/connectors_priv.h"
#include "error_priv.h"
#include "monitorage/monitorage.h"
#include "notify_priv.h"
#include "store_priv.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OWNER_MAX 100
#define ERROR_MAX 1000
#define TICKET_LEASE_MS 60000             /* a ticket operation makes several connector calls */
#define GLPI_ID_MAX ((json_int_t)1 << 53) /* the largest ticket_id the GLPI connector's actions take */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

struct mon_notifier {
    mon_store *store;
    mon_connectors *reg;
    const mon_secret_key *key;
    mon_notify_options opts;
    char owner[OWNER_MAX + 1];
};

/* What one delivery did, for the record. */
enum outcome { SENT, RETRY, FAILED, SKIPPED, DEFERRED };

struct delivery {
    long long id;
    int claims;
    char id_text[24];
    const char *kind, *incident_id, *rule_id, *rule_name, *channel, *secret, *occurred_at;
    int attempts, steps_done;
    json_t *config, *payload;
    long response_status;
    char ticket_key[MON__TICKET_KEY_MAX];
    char error[ERROR_MAX + 1];
    int permanent;
};

int mon_notify_options_init(mon_notify_options *opts, unsigned int version)
{
    mon_notify_options init = MON_NOTIFY_OPTIONS_INIT;
    if (!opts)
        return mon__error(MON_EINVAL, "opts", "must not be NULL");
    if (version != MON_NOTIFY_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown options version %u", version);
    *opts = init;
    return MON_OK;
}

static int check_range(long long value, long long min, long long max, const char *field)
{
    if (value < min || value > max)
        return mon__error(MON_EINVAL, field, "must be %lld..%lld, got %lld", min, max, value);
    return MON_OK;
}

int mon_notifier_new(mon_notifier **out, mon_store *store, mon_connectors *reg, const mon_secret_key *key,
                     const mon_notify_options *opts)
{
    mon_notify_options o = MON_NOTIFY_OPTIONS_INIT;
    mon_notifier *n;
    int rc;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (opts && opts->version != MON_NOTIFY_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "opts.version", "unknown options version %u", opts->version);
    if (opts)
        o = *opts;
    if ((rc = check_range(o.batch, 1, 1000, "batch")) != MON_OK ||
        (rc = check_range(o.lease_ms, 1000, 3600000, "lease_ms")) != MON_OK ||
        (rc = check_range(o.backoff_base_ms, 10, 3600000, "backoff_base_ms")) != MON_OK ||
        (rc = check_range(o.backoff_max_ms, o.backoff_base_ms, 86400000, "backoff_max_ms")) != MON_OK ||
        (rc = check_range(o.max_attempts, 1, 100, "max_attempts")) != MON_OK)
        return rc;
    if (o.owner && (!*o.owner || strlen(o.owner) > OWNER_MAX))
        return mon__error(MON_EINVAL, "owner", "must be 1 to %d characters", OWNER_MAX);
    if (!(n = calloc(1, sizeof(*n))))
        return mon__error_nomem();
    n->store = store;
    n->reg = reg;
    n->key = key;
    n->opts = o;
    if (o.owner) {
        snprintf(n->owner, sizeof(n->owner), "%s", o.owner);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        snprintf(n->owner, sizeof(n->owner), "%s:%ld", host, (long)getpid());
    }
    n->opts.owner = n->owner;
    *out = n;
    return MON_OK;
}

const char *mon_notifier_owner(const mon_notifier *n)
{
    return n ? n->owner : NULL;
}

void mon_notifier_free(mon_notifier *n)
{
    free(n);
}

/* ---------------------------------------------------------------- claims */

int mon__notify_claim(struct mon__notify_claim *out, int max, int *count, mon_notifier *n)
{
    static const char *const sql =
        "WITH due AS (SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= "
        "now()"
        " AND (claimed_until IS NULL OR claimed_until <= now()) ORDER BY next_attempt_at, id LIMIT $1"
        " FOR UPDATE SKIP LOCKED)"
        " UPDATE notification_outbox o SET claims = o.claims + 1, claimed_by = $2, claimed_until = now() +"
        " make_interval(secs => ($3::int + CASE r.channel WHEN 'webhook' THEN"
        " coalesce((r.config->>'timeout_ms')::int, 5000) ELSE $4::int END) / 1000.0)"
        " FROM due, notification_rules r WHERE o.id = due.id AND r.id = o.rule_id RETURNING o.id, o.claims";
    char limit[16], lease[16], ticket_lease[16];
    const char *params[] = {limit, n->owner, lease, ticket_lease};
    PGresult *res;
    int rc;

    *count = 0;
    snprintf(limit, sizeof(limit), "%d", max);
    snprintf(lease, sizeof(lease), "%d", n->opts.lease_ms);
    snprintf(ticket_lease, sizeof(ticket_lease), "%d", TICKET_LEASE_MS);
    if (!(res = mon__store_exec(n->store, "claim notifications", sql, 4, params, 0, &rc)))
        return rc;
    for (int i = 0; i < PQntuples(res) && i < max; i++) {
        out[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        out[i].claims = atoi(PQgetvalue(res, i, 1));
        (*count)++;
    }
    PQclear(res);
    return MON_OK;
}

/* ------------------------------------------------------------- recording */

/* Record the outcome, guarded by the claim: *final receives the row's new
 * status, or "" when the claim had moved on (another dispatcher owns the row). */
static int record(mon_notifier *n, const struct delivery *d, enum outcome outcome, char final[16])
{
    static const char *const sql =
        "UPDATE notification_outbox SET claimed_by = NULL, claimed_until = NULL, last_error = $3,"
        " response_status = $4::int, ticket_key = coalesce($5, ticket_key),"
        " attempts = attempts + CASE WHEN $6 IN ('sent', 'retry', 'failed') THEN 1 ELSE 0 END,"
        " status = CASE $6 WHEN 'sent' THEN 'sent' WHEN 'skipped' THEN 'skipped' WHEN 'failed' THEN 'failed'"
        "   WHEN 'retry' THEN CASE WHEN attempts + 1 >= $7::int THEN 'failed' ELSE 'pending' END"
        "   ELSE 'pending' END,"
        " sent_at = CASE WHEN $6 = 'sent' THEN now() ELSE sent_at END,"
        " next_attempt_at = CASE $6 WHEN 'retry' THEN now() + make_interval(secs =>"
        "   least($8::float8 * power(2, attempts), $9::float8) / 1000.0)"
        "   WHEN 'deferred' THEN now() + make_interval(secs => $8::float8 / 1000.0) ELSE next_attempt_at END"
        " WHERE id = $1 AND claims = $2 RETURNING status";
    static const char *const names[] = {"sent", "retry", "failed", "skipped", "deferred"};
    char id[24], claims[16], status[16], max_attempts[16], base[16], cap[16];
    const char *params[] = {id,
                            claims,
                            outcome == SENT ? NULL : d->error,
                            d->response_status ? status : NULL,
                            *d->ticket_key ? d->ticket_key : NULL,
                            names[outcome],
                            max_attempts,
                            base,
                            cap};
    PGresult *res;
    int rc;

    snprintf(id, sizeof(id), "%lld", d->id);
    snprintf(claims, sizeof(claims), "%d", d->claims);
    snprintf(status, sizeof(status), "%ld", d->response_status);
    snprintf(max_attempts, sizeof(max_attempts), "%d", n->opts.max_attempts);
    snprintf(base, sizeof(base), "%d", n->opts.backoff_base_ms);
    snprintf(cap, sizeof(cap), "%d", n->opts.backoff_max_ms);
    if (!(res = mon__store_exec(n->store, "record notification", sql, 9, params, 0, &rc)))
        return rc;
    snprintf(final, 16, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return MON_OK;
}

/* Remember that the first steps of a resolve are done, so a retry does not repeat them. */
static int record_steps(mon_notifier *n, const struct delivery *d, int steps)
{
    char id[24], claims[16], done[16];
    const char *params[] = {id, claims, done};
    int rc;
    snprintf(id, sizeof(id), "%lld", d->id);
    snprintf(claims, sizeof(claims), "%d", d->claims);
    snprintf(done, sizeof(done), "%d", steps);
    PQclear(
        mon__store_exec(n->store, "record notification progress",
                        "UPDATE notification_outbox SET steps_done = $3::int WHERE id = $1 AND claims = $2",
                        3, params, 0, &rc));
    return rc;
}

static void set_error(struct delivery *d, int rc, const char *detail)
{
    snprintf(d->error, sizeof(d->error), "%s: %s", mon_error_name(rc), detail);
}

/* --------------------------------------------------------------- webhook */

struct sink {
    char head[201];
    size_t len;
};

static size_t keep_head(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *sink = userdata;
    for (size_t i = 0; i < size * nmemb && sink->len < sizeof(sink->head) - 1; i++)
        sink->head[sink->len++] = (data[i] >= 0x20 && data[i] < 0x7F) ? data[i] : ' ';
    sink->head[sink->len] = '\0';
    return size * nmemb;
}

static json_t *event_body(const struct delivery *d)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:O?, s:O?}", "delivery_id", d->id_text, "event",
                     d->kind, "occurred_at", d->occurred_at, "channel", d->channel, "rule", "id", d->rule_id,
                     "name", d->rule_name, "endpoint", json_object_get(d->payload, "endpoint"), "incident",
                     json_object_get(d->payload, "incident"));
}

/* "sha256=<hex HMAC-SHA256 of body with secret>" into out. */
static void signature(char out[7 + 2 * crypto_auth_hmacsha256_BYTES + 1], const char *secret,
                      size_t secret_len, const char *body, size_t body_len)
{
    crypto_auth_hmacsha256_state state;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];

    crypto_auth_hmacsha256_init(&state, (const unsigned char *)secret, secret_len);
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(&state, sizeof(state));
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 2 * crypto_auth_hmacsha256_BYTES + 1, mac, sizeof(mac));
}

static enum outcome deliver_webhook(mon_notifier *n, struct delivery *d)
{
    char sig[7 + 2 * crypto_auth_hmacsha256_BYTES + 1], line[128];
    mon_secret_plain *secret = NULL;
    struct curl_slist *headers = NULL;
    struct sink sink = {"", 0};
    json_t *body_json = event_body(d);
    char *body = body_json ? json_dumps(body_json, JSON_COMPACT) : NULL;
    CURL *curl = NULL;
    CURLcode cc;
    int rc;

    json_decref(body_json);
    if (!body) {
        set_error(d, MON_ENOMEM, "out of memory");
        return RETRY;
    }
    if (!n->key || !d->secret) {
        set_error(d, MON_EKEY, "no encryption key to read the webhook secret: set ENCRYPTION_KEY");
        free(body);
        return RETRY;
    }
    if ((rc = mon_secret_decrypt(&secret, n->key, d->secret)) != MON_OK) {
        set_error(d, rc, mon_error_last());
        free(body);
        return RETRY;
    }
    signature(sig, mon_secret_plain_data(secret), mon_secret_plain_size(secret), body, strlen(body));
    mon_secret_plain_free(secret);

    headers = curl_slist_append(headers, "Content-Type: application/json");
    snprintf(line, sizeof(line), "User-Agent: monitorage/%s", mon_version());
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof(line), "X-Monitorage-Event: %s", d->kind);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof(line), "X-Monitorage-Delivery: %s", d->id_text);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof(line), "X-Monitorage-Signature: %s", sig);
    headers = curl_slist_append(headers, line);
    if (!headers || !(curl = curl_easy_init())) {
        set_error(d, MON_ENOMEM, "out of memory");
        curl_slist_free_all(headers);
        free(body);
        return RETRY;
    }
    curl_easy_setopt(curl, CURLOPT_URL, json_string_value(json_object_get(d->config, "url")));
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (long)json_integer_value(json_object_get(d->config, "timeout_ms")));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_head);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    cc = curl_easy_perform(curl);
    if (cc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &d->response_status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(body);
    /* The URL (which may carry a token) never goes into the error. */
    if (cc != CURLE_OK) {
        set_error(d, cc == CURLE_OPERATION_TIMEDOUT ? MON_ETIMEOUT : MON_ENET, curl_easy_strerror(cc));
        return RETRY;
    }
    if (d->response_status >= 200 && d->response_status <= 299)
        return SENT;
    snprintf(d->error, sizeof(d->error), "%s: webhook answered HTTP %ld%s%s", mon_error_name(MON_EUPSTREAM),
             d->response_status, sink.len ? ": " : "", sink.head);
    /* 4xx other than timeout / rate limit will not get better by retrying. */
    return d->response_status >= 400 && d->response_status < 500 && d->response_status != 408 &&
                   d->response_status != 429
               ? FAILED
               : RETRY;
}

/* --------------------------------------------------------------- tickets */

static const char *endpoint_str(const struct delivery *d, const char *key)
{
    const char *value = json_string_value(json_object_get(json_object_get(d->payload, "endpoint"), key));
    return value ? value : "";
}

static const char *incident_str(const struct delivery *d, const char *key)
{
    const char *value = json_string_value(json_object_get(json_object_get(d->payload, "incident"), key));
    return value ? value : "";
}

static long long incident_int(const struct delivery *d, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(d->payload, "incident"), key));
}

static char *summary_text(const struct delivery *d)
{
    char *text = NULL;
    if (asprintf(&text, "[Monitorage] %s is %s", endpoint_str(d, "name"),
                 strcmp(incident_str(d, "kind"), "flapping") == 0 ? "flapping" : "down") < 0)
        return NULL;
    return text;
}

static char *details_text(const struct delivery *d)
{
    char *text = NULL;
    if (strcmp(d->kind, "opened") == 0) {
        if (asprintf(
                &text,
                "Monitorage opened incident %s (%s) on endpoint %s (%s, %s).\nStarted: %s\nFirst error: %s\n"
                "Failed checks: %lld\nLast status: %s",
                d->incident_id, incident_str(d, "kind"), endpoint_str(d, "name"), endpoint_str(d, "type"),
                endpoint_str(d, "url"), incident_str(d, "started_at"), incident_str(d, "first_error"),
                incident_int(d, "failed_checks"), incident_str(d, "last_status")) < 0)
            return NULL;
    } else if (strcmp(incident_str(d, "resolution"), "endpoint_disabled") == 0) {
        /* Closed by migration 009's trigger: the endpoint is no longer checked. */
        if (asprintf(&text,
                     "Monitorage closed incident %s: endpoint %s was disabled at %s, so it is no longer"
                     " checked (last status %s after %lld failed checks, started %s).",
                     d->incident_id, endpoint_str(d, "name"), incident_str(d, "resolved_at"),
                     incident_str(d, "last_status"), incident_int(d, "failed_checks"),
                     incident_str(d, "started_at")) < 0)
            return NULL;
    } else if (asprintf(
                   &text,
                   "Monitorage resolved incident %s: endpoint %s recovered at %s after %lld failed checks"
                   " (started %s).",
                   d->incident_id, endpoint_str(d, "name"), incident_str(d, "resolved_at"),
                   incident_int(d, "failed_checks"), incident_str(d, "started_at")) < 0) {
        return NULL;
    }
    return text;
}

/* Run a connector action for the delivery and audit it as action on the
 * incident. params is stolen. On failure d->error is set. */
static int ticket_call(char **result, mon_notifier *n, struct delivery *d, const char *action, json_t *params,
                       const char *audit_action)
{
    const char *connector = strcmp(d->channel, "jira") == 0 ? "JIRA" : "GLPI";
    char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_t *audit;
    int rc;

    *result = NULL;
    json_decref(params);
    if (!text)
        rc = mon__error_nomem();
    else if (!n->reg)
        rc = mon__error(MON_ESTATE, "connectors", "the dispatcher has no connector registry");
    else
        rc = mon_connector_run(result, n->reg, connector, action, text, NULL);
    free(text);
    if (rc != MON_OK) {
        set_error(d, rc, mon_error_last());
        /* Bad parameters (a project or transition that does not exist) need a change of the rule. */
        d->permanent = rc == MON_EINVAL;
    }
    audit = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "system", d->channel, "connector_action", action,
                      "rule_id", d->rule_id, "delivery_id", d->id_text, "event", d->kind, "ticket",
                      *d->ticket_key ? d->ticket_key : NULL);
    mon__notify_audit(n->store, NULL, audit_action, d->incident_id, audit, rc);
    json_decref(audit);
    return rc;
}

/* The ticket this rule opened for the incident, into d->ticket_key; 0 when none. */
static int find_ticket(int *found, mon_notifier *n, struct delivery *d)
{
    static const char *const sql =
        "SELECT t->>'key' FROM incidents i, jsonb_array_elements(i.ticket_refs) t WHERE i.id = $1::uuid"
        " AND t->>'rule_id' = $2 AND t->>'system' = $3 LIMIT 1";
    const char *params[] = {d->incident_id, d->rule_id, d->channel};
    int rc;
    PGresult *res = mon__store_exec(n->store, "read ticket reference", sql, 3, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    *found = PQntuples(res) == 1;
    if (*found)
        snprintf(d->ticket_key, sizeof(d->ticket_key), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return MON_OK;
}

static int store_ticket(mon_notifier *n, const struct delivery *d)
{
    static const char *const sql = "UPDATE incidents SET ticket_refs = ticket_refs || "
                                   "jsonb_build_array(jsonb_build_object('system', $2::text,"
                                   " 'key', $3::text, 'rule_id', $4::text)) WHERE id = $1::uuid";
    const char *params[] = {d->incident_id, d->channel, d->ticket_key, d->rule_id};
    int rc;
    PQclear(mon__store_exec(n->store, "store ticket reference", sql, 4, params, 0, &rc));
    return rc;
}

static void copy_config(json_t *params, const json_t *config, const char *const *keys, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (json_object_get(config, keys[i]))
            json_object_set(params, keys[i], json_object_get(config, keys[i]));
}

static int has_control(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7F)
            return 1;
    return 0;
}

int mon__notify_reply_ticket(char key[MON__TICKET_KEY_MAX], const char *reply, int jira, int search)
{
    json_t *root = reply ? json_loads(reply, 0, NULL) : NULL;
    json_t *item = search ? json_array_get(json_object_get(root, jira ? "issues" : "results"), 0) : root;
    json_t *value = json_object_get(item, jira ? "key" : search ? "2" : "id");
    const char *text = json_string_value(value);
    int rc = MON_OK;

    *key = '\0';
    /* Kept whole or refused: a cut key would name another issue, or none, when the incident resolves. */
    if (jira && text && strlen(text) >= MON__TICKET_KEY_MAX)
        rc = mon__error(MON_EPROTO, "ticket_key", "the Jira issue key in the reply is longer than %d bytes",
                        MON__TICKET_KEY_MAX - 1);
    else if (jira && text && has_control(text))
        rc = mon__error(MON_EPROTO, "ticket_key", "the Jira issue key in the reply holds control characters");
    else if (jira && text)
        snprintf(key, MON__TICKET_KEY_MAX, "%s", text);
    else if (!jira && json_is_integer(value) &&
             (json_integer_value(value) < 1 || json_integer_value(value) > GLPI_ID_MAX))
        rc = mon__error(MON_EPROTO, "ticket_key", "the GLPI ticket id in the reply is not 1 to 2^53");
    else if (!jira && json_is_integer(value))
        snprintf(key, MON__TICKET_KEY_MAX, "%lld", (long long)json_integer_value(value));
    json_decref(root);
    return rc;
}

/* The ticket an earlier claim of this delivery created, found by the
 * reference it was created with (a Jira label; in GLPI, a line of the
 * description ending with "."): a create whose reply was lost (timeout) or
 * whose outcome was never recorded (the dispatcher died). Into d->ticket_key;
 * 0 when none. */
static int find_created_ticket(int *found, mon_notifier *n, struct delivery *d, const char *label, int jira)
{
    char query[160], *text, *result = NULL;
    json_t *params;
    int rc;

    *found = 0;
    if (!n->reg)
        return mon__error(MON_ESTATE, "connectors", "the dispatcher has no connector registry");
    if (jira) {
        snprintf(query, sizeof(query), "labels = \"%s\" ORDER BY created ASC", label);
        params = json_pack("{s:s, s:s}", "jql", query, "fields", "summary");
    } else {
        snprintf(query, sizeof(query), "%s.", label);
        params = json_pack("{s:s}", "text", query);
    }
    text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    if (!text)
        return mon__error_nomem();
    rc = mon_connector_run(&result, n->reg, jira ? "JIRA" : "GLPI", jira ? "search" : "find_tickets", text,
                           NULL);
    free(text);
    if (rc != MON_OK)
        return rc;
    rc = mon__notify_reply_ticket(d->ticket_key, result, jira, 1);
    mon_free(result);
    *found = rc == MON_OK && *d->ticket_key;
    return rc;
}

static enum outcome open_ticket(mon_notifier *n, struct delivery *d)
{
    static const char *const jira_keys[] = {"project_key", "issue_type", "priority"};
    static const char *const glpi_keys[] = {"type", "urgency", "impact", "priority"};
    int jira = strcmp(d->channel, "jira") == 0, found = 0, rc;
    char *summary = summary_text(d), *details = details_text(d), *result = NULL, label[80];
    json_t *params = NULL;

    /* A re-delivery after a crash that happened once the ticket was stored: nothing to open again. */
    if ((rc = find_ticket(&found, n, d)) != MON_OK || found) {
        free(summary);
        free(details);
        return rc == MON_OK ? SENT : (set_error(d, rc, mon_error_last()), RETRY);
    }
    /* The ticket carries a reference naming this delivery (a Jira label, a line of the GLPI
     * description), so that a later claim finds it instead of opening a second one. */
    snprintf(label, sizeof(label), "monitorage-%s-%s", d->incident_id, d->id_text);
    if (d->claims > 1 && (rc = find_created_ticket(&found, n, d, label, jira)) != MON_OK) {
        free(summary);
        free(details);
        set_error(d, rc, mon_error_last());
        return RETRY;
    }
    if (found) {
        free(summary);
        free(details);
        return (rc = store_ticket(n, d)) == MON_OK ? SENT : (set_error(d, rc, mon_error_last()), RETRY);
    }
    if (summary && details && jira) {
        json_t *labels = json_pack("[s, s, s]", "monitoring", "monitorage", label);
        json_array_extend(labels, json_object_get(d->config, "labels"));
        params = json_pack("{s:s, s:s, s:o}", "summary", summary, "description", details, "labels", labels);
        copy_config(params, d->config, jira_keys, 3);
    } else if (summary && details) {
        char *content = NULL;
        if (asprintf(&content, "%s\nReference: %s.", details, label) >= 0) {
            params = json_pack("{s:s, s:s}", "name", summary, "content", content);
            copy_config(params, d->config, glpi_keys, 4);
            free(content);
        }
    }
    free(summary);
    free(details);
    if (!params) {
        set_error(d, MON_ENOMEM, "out of memory");
        return RETRY;
    }
    if (ticket_call(&result, n, d, jira ? "create_incident" : "create_ticket", params,
                    "notification.ticket.open") != MON_OK)
        return d->permanent ? FAILED : RETRY;
    rc = mon__notify_reply_ticket(d->ticket_key, result, jira, 0);
    mon_free(result);
    if (rc != MON_OK) {
        set_error(d, rc, mon_error_last());
        return RETRY;
    }
    if (!*d->ticket_key) {
        set_error(d, MON_EPROTO, "the connector returned no ticket key");
        return RETRY;
    }
    if ((rc = store_ticket(n, d)) != MON_OK) {
        set_error(d, rc, mon_error_last());
        return RETRY;
    }
    return SENT;
}

/* Whether the rule's "opened" notification of this incident is still waiting. */
static int open_pending(int *pending, mon_notifier *n, const struct delivery *d)
{
    static const char *const sql = "SELECT 1 FROM notification_outbox WHERE incident_id = $1::uuid AND"
                                   " rule_id = $2::uuid AND event_kind = 'opened' AND status = 'pending'";
    const char *params[] = {d->incident_id, d->rule_id};
    int rc;
    PGresult *res =
        mon__store_exec(n->store, "read opened notification", sql, 2, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    *pending = PQntuples(res) > 0;
    PQclear(res);
    return MON_OK;
}

/* A resolve goes out after its open: per incident and rule, a receiver sees them in order. */
static enum outcome webhook_in_order(mon_notifier *n, struct delivery *d)
{
    int pending = 0, rc;
    if (strcmp(d->kind, "resolved") == 0 && (rc = open_pending(&pending, n, d)) != MON_OK) {
        set_error(d, rc, mon_error_last());
        return RETRY;
    }
    if (pending) {
        snprintf(d->error, sizeof(d->error), "waiting for the opened notification to be delivered");
        return DEFERRED;
    }
    return deliver_webhook(n, d);
}

/* Comment (Jira) or follow up (GLPI), then transition (Jira) or solve (GLPI). */
static enum outcome close_ticket(mon_notifier *n, struct delivery *d)
{
    int jira = strcmp(d->channel, "jira") == 0, found = 0, pending = 0, rc;
    const char *transition = json_string_value(json_object_get(d->config, "resolve_transition"));
    int close = jira ? transition && *transition : json_is_true(json_object_get(d->config, "solve"));
    char *details = details_text(d), *result = NULL;
    json_t *ticket;

    if ((rc = find_ticket(&found, n, d)) == MON_OK && !found)
        rc = open_pending(&pending, n, d);
    if (rc != MON_OK || !found) {
        free(details);
        if (rc != MON_OK)
            set_error(d, rc, mon_error_last());
        else
            snprintf(d->error, sizeof(d->error), "%s",
                     pending ? "waiting for the ticket to be opened"
                             : "no ticket was opened for this incident");
        return rc != MON_OK ? RETRY : pending ? DEFERRED : SKIPPED;
    }
    if (!details) {
        set_error(d, MON_ENOMEM, "out of memory");
        return RETRY;
    }
    ticket = jira ? json_string(d->ticket_key) : json_integer(strtoll(d->ticket_key, NULL, 10));
    if (d->steps_done < 1) {
        rc = ticket_call(
            &result, n, d, jira ? "add_comment" : "add_followup",
            json_pack("{s:O, s:s}", jira ? "key" : "ticket_id", ticket, jira ? "body" : "content", details),
            "notification.ticket.comment");
        mon_free(result);
        if (rc == MON_OK && close && (rc = record_steps(n, d, 1)) != MON_OK)
            set_error(d, rc, mon_error_last());
    }
    if (rc == MON_OK && close) {
        rc = ticket_call(&result, n, d, jira ? "transition_issue" : "solve_ticket",
                         jira ? json_pack("{s:O, s:s}", "key", ticket, "transition", transition)
                              : json_pack("{s:O, s:s}", "ticket_id", ticket, "content", details),
                         "notification.ticket.close");
        mon_free(result);
    }
    json_decref(ticket);
    free(details);
    return rc == MON_OK ? SENT : d->permanent ? FAILED : RETRY;
}

/* -------------------------------------------------------------- dispatch */

static const char *const load_sql =
    "SELECT o.event_kind, o.attempts, o.steps_done, o.incident_id::text, o.rule_id::text, r.name, r.channel,"
    " r.config::text, r.secret, e.payload::text, " TS(
        "e.occurred_at") ", r.enabled"
                         " FROM notification_outbox o JOIN notification_rules r ON r.id = o.rule_id"
                         " JOIN incident_events e ON e.id = o.event_id WHERE o.id = $1 AND o.claims = $2";

static const char *value(PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

static int dispatch_one(mon_notify_stats *st, mon_notifier *n, const struct mon__notify_claim *claim)
{
    struct delivery d;
    char claims[16];
    const char *params[] = {d.id_text, claims};
    enum outcome outcome;
    char final[16];
    PGresult *res;
    int rc;

    memset(&d, 0, sizeof(d));
    d.id = claim->id;
    d.claims = claim->claims;
    snprintf(d.id_text, sizeof(d.id_text), "%lld", claim->id);
    snprintf(claims, sizeof(claims), "%d", claim->claims);
    if (!(res = mon__store_exec(n->store, "read notification", load_sql, 2, params, MON__EXEC_RETRY, &rc)))
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        st->lost++;
        return MON_OK;
    }
    d.kind = value(res, 0);
    d.attempts = atoi(value(res, 1));
    d.steps_done = atoi(value(res, 2));
    d.incident_id = value(res, 3);
    d.rule_id = value(res, 4);
    d.rule_name = value(res, 5);
    d.channel = value(res, 6);
    d.config = json_loads(value(res, 7), 0, NULL);
    d.secret = value(res, 8);
    d.payload = json_loads(value(res, 9) ? value(res, 9) : "{}", 0, NULL);
    d.occurred_at = value(res, 10);
    if (strcmp(value(res, 11), "t") != 0) {
        snprintf(d.error, sizeof(d.error), "the rule is disabled");
        outcome = SKIPPED;
    } else if (!d.config || !d.payload) {
        set_error(&d, MON_EPROTO, "unreadable rule configuration or event payload");
        outcome = FAILED;
    } else if (strcmp(d.channel, "webhook") == 0) {
        outcome = webhook_in_order(n, &d);
    } else {
        outcome = strcmp(d.kind, "opened") == 0 ? open_ticket(n, &d) : close_ticket(n, &d);
    }
    if ((rc = record(n, &d, outcome, final)) == MON_OK)
        (*(!*final                         ? &st->lost
           : strcmp(final, "sent") == 0    ? &st->sent
           : strcmp(final, "failed") == 0  ? &st->failed
           : strcmp(final, "skipped") == 0 ? &st->skipped
           : outcome == DEFERRED           ? &st->deferred
                                           : &st->retried))++;
    json_decref(d.config);
    json_decref(d.payload);
    PQclear(res);
    return rc;
}

int mon_notify_dispatch(mon_notify_stats *stats, mon_notifier *n)
{
    mon_notify_stats st = MON_NOTIFY_STATS_INIT;
    struct mon__notify_claim *claims;
    int count = 0, rc;

    if (!n)
        return mon__error(MON_EINVAL, "n", "must not be NULL");
    if (stats && stats->version != MON_NOTIFY_STATS_VERSION)
        return mon__error(MON_EVERSION, "stats.version", "unknown stats version %u", stats->version);
    if (!(claims = calloc((size_t)n->opts.batch, sizeof(*claims))))
        return mon__error_nomem();
    rc = mon__notify_claim(claims, n->opts.batch, &count, n);
    st.claimed = count;
    /* A database failure leaves the remaining rows claimed: they are delivered after their lease. */
    for (int i = 0; rc == MON_OK && i < count; i++)
        rc = dispatch_one(&st, n, &claims[i]);
    free(claims);
    if (stats)
        *stats = st;
    return rc;
}
