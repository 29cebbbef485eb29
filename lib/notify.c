/* Notification rules (validation, encrypted webhook secret, audited CRUD)
 * and the outbox listing. The dispatcher is in notify_deliver.c. */
#include "audit_priv.h"
#include "connectors/connectors_priv.h"
#include "error_priv.h"
#include "notify_priv.h"
#include "store_priv.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 100
#define URL_MAX_CHARS 500
#define SECRET_MIN 16
#define SECRET_MAX 512
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char *const channels[] = {"webhook", "jira", "glpi"};

/* The stored rule as the JSON of the API (secret_set, never the secret). */
#define RULE_JSON                                                                                            \
    "json_build_object('id', id, 'name', name, 'enabled', enabled, 'endpoint_id', endpoint_id,"              \
    " 'endpoint_type', endpoint_type, 'channel', channel, 'events', (SELECT coalesce(json_agg(e), '[]')"     \
    " FROM unnest(ARRAY[CASE WHEN on_opened THEN 'opened' END, CASE WHEN on_resolved THEN 'resolved' END])"  \
    " AS e WHERE e IS NOT NULL), channel, CASE WHEN channel = 'webhook' THEN config ||"                      \
    " jsonb_build_object('secret_set', secret IS NOT NULL) ELSE config END, 'created_at', " TS(              \
        "created_at") ", 'updated_at', " TS("updated_at") ")::text"

static const char *const get_sql = "SELECT " RULE_JSON ", secret FROM notification_rules WHERE id = $1";
static const char *const list_sql =
    "SELECT coalesce(json_agg(r ORDER BY n), '[]')::text FROM (SELECT name AS n, " RULE_JSON
    "::json AS r FROM notification_rules) t";
static const char *const insert_sql =
    "INSERT INTO notification_rules (name, enabled, endpoint_id, endpoint_type, channel, config, secret,"
    " on_opened, on_resolved) VALUES ($1, $2::boolean, $3::uuid, $4::endpoint_type, $5, $6::jsonb, $7,"
    " $8::boolean, $9::boolean) RETURNING id::text";
static const char *const update_sql =
    "UPDATE notification_rules SET name = $2, enabled = $3::boolean, endpoint_id = $4::uuid,"
    " endpoint_type = $5::endpoint_type, channel = $6, config = $7::jsonb, secret = $8, on_opened = "
    "$9::boolean,"
    " on_resolved = $10::boolean WHERE id = $1::uuid RETURNING id::text";

/* ------------------------------------------------------------------ audit */

int mon__notify_audit(mon_store *store, const mon_audit_entry *actor, const char *action, const char *target,
                      json_t *params, int rc)
{
    char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    rc = mon__audit_change(store, actor, action, target, text, rc);
    free(text);
    return rc;
}

/* ------------------------------------------------------------- validation */

static int is_one_of(const char *value, const char *const *names, size_t count)
{
    for (size_t i = 0; value && i < count; i++)
        if (strcmp(value, names[i]) == 0)
            return 1;
    return 0;
}

/* A string of 1..max characters without control characters; NULL when absent and optional. */
static int get_text(const char **out, json_t *obj, const char *key, const char *field, size_t max,
                    int required)
{
    json_t *value = json_object_get(obj, key);
    size_t chars = 0;

    *out = NULL;
    if (!value || json_is_null(value))
        return required ? mon__error(MON_EINVAL, field, "is required") : MON_OK;
    if (!json_is_string(value))
        return mon__error(MON_EINVAL, field, "must be a string");
    for (const unsigned char *p = (const unsigned char *)json_string_value(value); *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return mon__error(MON_EINVAL, field, "must not contain control characters");
        chars += (*p & 0xC0) != 0x80;
    }
    if (chars == 0 || chars > max)
        return mon__error(MON_EINVAL, field, "must be 1 to %zu characters", max);
    *out = json_string_value(value);
    return MON_OK;
}

/* An integer in [min, max] copied into config under key, or def when absent (0: none). */
static int copy_int(json_t *config, json_t *block, const char *key, const char *field, long long min,
                    long long max, long long def)
{
    json_t *value = json_object_get(block, key);
    if (!value || json_is_null(value)) {
        if (def)
            json_object_set_new(config, key, json_integer(def));
        return MON_OK;
    }
    if (!json_is_integer(value) || json_integer_value(value) < min || json_integer_value(value) > max)
        return mon__error(MON_EINVAL, field, "must be an integer from %lld to %lld", min, max);
    json_object_set_new(config, key, json_integer(json_integer_value(value)));
    return MON_OK;
}

static int copy_text(json_t *config, json_t *block, const char *key, const char *field, size_t max)
{
    const char *value;
    int rc = get_text(&value, block, key, field, max, 0);
    if (rc == MON_OK && value)
        json_object_set_new(config, key, json_string(value));
    return rc;
}

static int unknown_keys(json_t *obj, const char *prefix, const char *const *known, size_t count)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        if (!is_one_of(key, known, count))
            return mon__error(MON_EINVAL, prefix, "unknown field \"%.60s\"", key);
    }
    return MON_OK;
}

static int check_webhook_url(const char *url)
{
    CURLU *h;
    char *scheme = NULL, *host = NULL, *user = NULL;
    int rc = MON_OK;

    if (strlen(url) > URL_MAX_CHARS)
        return mon__error(MON_EINVAL, "webhook.url", "longer than %d characters", URL_MAX_CHARS);
    if (!(h = curl_url()))
        return mon__error_nomem();
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        rc = mon__error(MON_EINVAL, "webhook.url", "must be an absolute http or https URL");
    else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        rc = mon__error(MON_EINVAL, "webhook.url", "scheme must be http or https");
    else if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
        rc = mon__error(MON_EINVAL, "webhook.url", "must have a host");
    /* Rules are shown to readers: credentials belong in the secret, not in the URL. */
    else if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK)
        rc = mon__error(MON_EINVAL, "webhook.url", "must not hold a user name or password");
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(h);
    return rc;
}

static int webhook_block(struct mon__notify_rule *r, json_t *block)
{
    static const char *const known[] = {"url", "timeout_ms", "secret"};
    const char *url;
    json_t *secret = json_object_get(block, "secret");
    int rc;

    if ((rc = unknown_keys(block, "webhook", known, 3)) != MON_OK ||
        (rc = get_text(&url, block, "url", "webhook.url", URL_MAX_CHARS, 1)) != MON_OK ||
        (rc = check_webhook_url(url)) != MON_OK)
        return rc;
    json_object_set_new(r->config, "url", json_string(url));
    if ((rc = copy_int(r->config, block, "timeout_ms", "webhook.timeout_ms", 100, 60000, 5000)) != MON_OK)
        return rc;
    if (secret && !json_is_null(secret)) {
        size_t len = json_string_length(secret);
        /* Never echo the value, not even its length. */
        if (!json_is_string(secret) || len < SECRET_MIN || len > SECRET_MAX)
            return mon__error(MON_EINVAL, "webhook.secret", "must be a string of %d to %d bytes", SECRET_MIN,
                              SECRET_MAX);
        r->secret = json_string_value(secret);
    }
    return MON_OK;
}

static int jira_block(struct mon__notify_rule *r, json_t *block)
{
    static const char *const known[] = {"project_key", "issue_type", "priority", "labels",
                                        "resolve_transition"};
    json_t *labels = json_object_get(block, "labels"), *item, *copy;
    json_t *transition = json_object_get(block, "resolve_transition");
    size_t i;
    int rc;

    if ((rc = unknown_keys(block, "jira", known, 5)) != MON_OK ||
        (rc = copy_text(r->config, block, "project_key", "jira.project_key", 100)) != MON_OK ||
        (rc = copy_text(r->config, block, "issue_type", "jira.issue_type", 100)) != MON_OK ||
        (rc = copy_text(r->config, block, "priority", "jira.priority", 100)) != MON_OK)
        return rc;
    if (labels && !json_is_null(labels)) {
        if (!json_is_array(labels) || json_array_size(labels) > 20)
            return mon__error(MON_EINVAL, "jira.labels", "must be an array of at most 20 strings");
        copy = json_array();
        json_array_foreach(labels, i, item)
        {
            const char *text = json_string_value(item);
            if (!text || !*text || strlen(text) > 255 || strpbrk(text, " \t\r\n")) {
                json_decref(copy);
                return mon__error(MON_EINVAL, "jira.labels",
                                  "item %zu must be 1 to 255 characters without spaces", i);
            }
            json_array_append_new(copy, json_string(text));
        }
        json_object_set_new(r->config, "labels", copy);
    }
    if (transition && json_is_string(transition) && json_string_length(transition) == 0)
        json_object_set_new(r->config, "resolve_transition", json_string(""));
    else if ((rc = copy_text(r->config, block, "resolve_transition", "jira.resolve_transition", 100)) !=
             MON_OK)
        return rc;
    else if (!json_object_get(r->config, "resolve_transition"))
        json_object_set_new(r->config, "resolve_transition", json_string("Done"));
    return MON_OK;
}

static int glpi_block(struct mon__notify_rule *r, json_t *block)
{
    static const char *const known[] = {"type", "urgency", "impact", "priority", "solve"};
    json_t *solve = json_object_get(block, "solve");
    int rc;

    if ((rc = unknown_keys(block, "glpi", known, 5)) != MON_OK ||
        (rc = copy_int(r->config, block, "type", "glpi.type", 1, 2, 1)) != MON_OK ||
        (rc = copy_int(r->config, block, "urgency", "glpi.urgency", 1, 5, 0)) != MON_OK ||
        (rc = copy_int(r->config, block, "impact", "glpi.impact", 1, 5, 0)) != MON_OK ||
        (rc = copy_int(r->config, block, "priority", "glpi.priority", 1, 6, 0)) != MON_OK)
        return rc;
    if (solve && !json_is_null(solve) && !json_is_boolean(solve))
        return mon__error(MON_EINVAL, "glpi.solve", "must be true or false");
    json_object_set_new(r->config, "solve",
                        json_boolean(!solve || json_is_null(solve) || json_is_true(solve)));
    return MON_OK;
}

static int check_events(struct mon__notify_rule *r, json_t *events)
{
    json_t *item;
    size_t i;

    r->on_opened = r->on_resolved = !events || json_is_null(events);
    if (r->on_opened)
        return MON_OK;
    if (!json_is_array(events) || json_array_size(events) == 0)
        return mon__error(MON_EINVAL, "events", "must be a non-empty array of \"opened\" and \"resolved\"");
    json_array_foreach(events, i, item)
    {
        const char *name = json_string_value(item);
        int *flag = name && strcmp(name, "opened") == 0     ? &r->on_opened
                    : name && strcmp(name, "resolved") == 0 ? &r->on_resolved
                                                            : NULL;
        char field[32];
        snprintf(field, sizeof(field), "events[%zu]", i);
        if (!flag)
            return mon__error(MON_EINVAL, field, "must be \"opened\" or \"resolved\"");
        if (*flag)
            return mon__error(MON_EINVAL, field, "\"%s\" is listed twice", name);
        *flag = 1;
    }
    return MON_OK;
}

int mon__notify_rule_check(struct mon__notify_rule *r, json_t *in)
{
    static const char *const known[] = {"name",   "enabled", "endpoint_id", "endpoint_type", "channel",
                                        "events", "webhook", "jira",        "glpi"};
    json_t *enabled = json_object_get(in, "enabled"), *block;
    mon_endpoint_type type;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!(r->config = json_object()))
        return mon__error_nomem();
    if (!json_is_object(in))
        return mon__error(MON_EINVAL, "rule", "must be a JSON object");
    if ((rc = unknown_keys(in, "rule", known, sizeof(known) / sizeof(known[0]))) != MON_OK ||
        (rc = get_text(&r->name, in, "name", "name", NAME_MAX_CHARS, 1)) != MON_OK ||
        (rc = get_text(&r->endpoint_id, in, "endpoint_id", "endpoint_id", 36, 0)) != MON_OK ||
        (rc = get_text(&r->endpoint_type, in, "endpoint_type", "endpoint_type", 20, 0)) != MON_OK ||
        (rc = get_text(&r->channel, in, "channel", "channel", 20, 1)) != MON_OK ||
        (rc = check_events(r, json_object_get(in, "events"))) != MON_OK)
        return rc;
    if (enabled && !json_is_null(enabled) && !json_is_boolean(enabled))
        return mon__error(MON_EINVAL, "enabled", "must be true or false");
    r->enabled = !enabled || json_is_null(enabled) || json_is_true(enabled);
    if (r->endpoint_id && !mon__uuid_valid(r->endpoint_id))
        return mon__error(MON_EINVAL, "endpoint_id", "must be a UUID");
    if (r->endpoint_type && mon_endpoint_type_parse(&type, r->endpoint_type) != MON_OK)
        return mon__error(MON_EINVAL, "endpoint_type", "must be APIM, DOMAIN or TALEND");
    if (r->endpoint_id && r->endpoint_type)
        return mon__error(MON_EINVAL, "endpoint_type", "cannot be combined with endpoint_id");
    if (!is_one_of(r->channel, channels, 3))
        return mon__error(MON_EINVAL, "channel", "must be webhook, jira or glpi");
    for (size_t i = 0; i < 3; i++)
        if (strcmp(channels[i], r->channel) != 0 && json_object_get(in, channels[i]) &&
            !json_is_null(json_object_get(in, channels[i])))
            return mon__error(MON_EINVAL, channels[i], "not allowed for channel %s", r->channel);
    block = json_object_get(in, r->channel);
    if (block && !json_is_null(block) && !json_is_object(block))
        return mon__error(MON_EINVAL, r->channel, "must be a JSON object");
    if (!block || json_is_null(block)) {
        if (strcmp(r->channel, "webhook") == 0)
            return mon__error(MON_EINVAL, "webhook", "is required for channel webhook (url and secret)");
        block = NULL;
    }
    if (strcmp(r->channel, "webhook") == 0)
        return webhook_block(r, block);
    return strcmp(r->channel, "jira") == 0 ? jira_block(r, block) : glpi_block(r, block);
}

/* Wipe the plaintext secret held in the parsed input. */
static void wipe_secret(json_t *in, const char *channel_block)
{
    json_t *secret = json_object_get(json_object_get(in, channel_block), "secret");
    if (json_is_string(secret))
        sodium_memzero((char *)json_string_value(secret), json_string_length(secret));
}

/* ------------------------------------------------------------------- CRUD */

int mon__notify_parse_object(json_t **out, const char *text, const char *field)
{
    json_error_t error;
    *out = NULL;
    if (!text)
        return mon__error(MON_EINVAL, field, "must not be NULL");
    *out = json_loads(text, 0, &error);
    if (!*out)
        return mon__error(MON_EINVAL, field, "not valid JSON (line %d: %s)", error.line, error.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return mon__error(MON_EINVAL, field, "must be a JSON object");
    }
    return MON_OK;
}

/* Re-serialise JSON text from PostgreSQL in the library's compact form. */
static int compact(char **out, const char *text)
{
    json_t *value = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!value)
        return mon__error(MON_EDB, NULL, "the database returned malformed JSON");
    return mon__result(out, value);
}

/* The stored rule's JSON into *out (may be NULL) and its secret ciphertext into *secret (may be NULL). */
static int load(char **out, char **secret, mon_store *store, const char *id)
{
    const char *params[] = {id};
    PGresult *res;
    int rc;

    if (out)
        *out = NULL;
    if (secret)
        *secret = NULL;
    if (!id || !mon__uuid_valid(id))
        return mon__error(MON_ENOTFOUND, "id", "no notification rule with this id");
    if (!(res = mon__store_exec(store, "read notification rule", get_sql, 1, params, MON__EXEC_RETRY, &rc)))
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return mon__error(MON_ENOTFOUND, "id", "no notification rule with this id");
    }
    if (out)
        rc = compact(out, PQgetvalue(res, 0, 0));
    if (rc == MON_OK && secret && !PQgetisnull(res, 0, 1) && !(*secret = strdup(PQgetvalue(res, 0, 1))))
        rc = mon__error_nomem();
    PQclear(res);
    return rc;
}

/* Insert (id NULL) or update rule r with the sealed secret; *new_id receives the row's id. */
static int save(char new_id[37], mon_store *store, const char *id, const struct mon__notify_rule *r,
                const char *sealed)
{
    char *config = json_dumps(r->config, JSON_COMPACT);
    const char *params[10] = {id,
                              r->name,
                              r->enabled ? "true" : "false",
                              r->endpoint_id,
                              r->endpoint_type,
                              r->channel,
                              config,
                              sealed,
                              r->on_opened ? "true" : "false",
                              r->on_resolved ? "true" : "false"};
    PGresult *res;
    int rc;

    if (!config)
        return mon__error_nomem();
    res = mon__store_exec(store, id ? "update notification rule" : "insert notification rule",
                          id ? update_sql : insert_sql, id ? 10 : 9, id ? params : params + 1, 0, &rc);
    free(config);
    if (!res) {
        if (rc == MON_EEXISTS)
            return mon__error(MON_EEXISTS, "name", "a notification rule named \"%.100s\" exists", r->name);
        if (rc == MON_ENOTFOUND)
            return mon__error(MON_ENOTFOUND, "endpoint_id", "no endpoint with this id");
        return rc;
    }
    if (PQntuples(res) != 1)
        rc = mon__error(MON_ENOTFOUND, "id", "no notification rule with this id");
    else
        snprintf(new_id, 37, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Validate in, seal the secret (or keep kept_secret), store; audit either way. */
static int write_rule(char **out, mon_store *store, const mon_secret_key *key, const char *id, json_t *in,
                      const char *kept_secret, const mon_audit_entry *actor)
{
    struct mon__notify_rule r;
    char *sealed = NULL, new_id[37] = "";
    const char *secret_text = kept_secret;
    int rc = mon__notify_rule_check(&r, in);

    if (rc == MON_OK && r.secret) {
        if (!key)
            rc = mon__error(MON_EKEY, "webhook.secret", "no encryption key: set ENCRYPTION_KEY");
        else if ((rc = mon_secret_encrypt(&sealed, key, r.secret, strlen(r.secret), NULL)) == MON_OK)
            secret_text = sealed;
    }
    if (rc == MON_OK && strcmp(r.channel, "webhook") != 0)
        secret_text = NULL;
    else if (rc == MON_OK && !secret_text)
        rc = mon__error(MON_EINVAL, "webhook.secret",
                        "is required (the receiver checks the signature with it)");
    if (rc == MON_OK)
        rc = save(new_id, store, id, &r, secret_text);
    wipe_secret(in, "webhook");
    json_decref(r.config);
    free(sealed);
    {
        json_t *params = json_deep_copy(in);
        json_object_del(json_object_get(params, "webhook"), "secret");
        if (params && *new_id)
            json_object_set_new(params, "id", json_string(new_id));
        mon__notify_audit(store, actor, id ? "notification_rule.update" : "notification_rule.create",
                          *new_id ? new_id
                          : id    ? id
                                  : "notification_rule",
                          params, rc);
        json_decref(params);
    }
    if (rc == MON_OK && out)
        rc = load(out, NULL, store, new_id);
    return rc;
}

int mon_notify_rule_create(char **out, mon_store *store, const mon_secret_key *key, const char *rule_json,
                           const mon_audit_entry *actor)
{
    json_t *in;
    int rc;

    if (out)
        *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = mon__notify_parse_object(&in, rule_json, "rule")) != MON_OK) {
        mon__notify_audit(store, actor, "notification_rule.create", "notification_rule", NULL, rc);
        return rc;
    }
    rc = write_rule(out, store, key, NULL, in, NULL, actor);
    json_decref(in);
    return rc;
}

/* Turn the stored rule's API JSON back into the input form. */
static json_t *as_input(const char *stored_json)
{
    json_t *in = json_loads(stored_json, 0, NULL);
    const char *channel = json_string_value(json_object_get(in, "channel"));
    json_object_del(in, "id");
    json_object_del(in, "created_at");
    json_object_del(in, "updated_at");
    if (channel)
        json_object_del(json_object_get(in, channel), "secret_set");
    return in;
}

int mon_notify_rule_update(char **out, mon_store *store, const mon_secret_key *key, const char *id,
                           const char *changes_json, const mon_audit_entry *actor)
{
    char *stored = NULL, *secret = NULL;
    json_t *changes = NULL, *in = NULL, *value;
    const char *name, *old_channel, *new_channel;
    int rc;

    if (out)
        *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = mon__notify_parse_object(&changes, changes_json, "changes")) != MON_OK ||
        (rc = load(&stored, &secret, store, id)) != MON_OK || !(in = as_input(stored))) {
        rc = rc != MON_OK ? rc : mon__error_nomem();
        mon__notify_audit(store, actor, "notification_rule.update",
                          id && strlen(id) <= 100 ? id : "notification_rule", NULL, rc);
        goto done;
    }
    old_channel = json_string_value(json_object_get(in, "channel"));
    new_channel = json_string_value(json_object_get(changes, "channel"));
    if (new_channel && old_channel && strcmp(new_channel, old_channel) != 0) {
        json_object_del(in, old_channel);
        free(secret);
        secret = NULL;
    }
    json_object_foreach(changes, name, value)
    {
        json_t *current = json_object_get(in, name);
        if (json_is_object(current) && json_is_object(value) && is_one_of(name, channels, 3))
            json_object_update(current, value);
        else
            json_object_set(in, name, value);
    }
    rc = write_rule(out, store, key, id, in, secret, actor);
    wipe_secret(changes, "webhook");
done:
    json_decref(changes);
    json_decref(in);
    free(stored);
    free(secret);
    return rc;
}

int mon_notify_rule_delete(mon_store *store, const char *id, const mon_audit_entry *actor)
{
    const char *params[] = {id};
    PGresult *res;
    json_t *audit;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!id || !mon__uuid_valid(id)) {
        rc = mon__error(MON_ENOTFOUND, "id", "no notification rule with this id");
        mon__notify_audit(store, actor, "notification_rule.delete", "notification_rule", NULL, rc);
        return rc;
    }
    res = mon__store_exec(store, "delete notification rule",
                          "DELETE FROM notification_rules WHERE id = $1::uuid RETURNING name", 1, params, 0,
                          &rc);
    if (res && PQntuples(res) != 1)
        rc = mon__error(MON_ENOTFOUND, "id", "no notification rule with this id");
    audit = json_pack("{s:s}", "id", id);
    if (res && rc == MON_OK)
        json_object_set_new(audit, "name", json_string(PQgetvalue(res, 0, 0)));
    PQclear(res);
    mon__notify_audit(store, actor, "notification_rule.delete", id, audit, rc);
    json_decref(audit);
    return rc;
}

int mon_notify_rule_get_json(char **out, mon_store *store, const char *id)
{
    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    return load(out, NULL, store, id);
}

/* The JSON value of a one-row query into *out, compact. */
static int query_json(char **out, mon_store *store, const char *what, const char *sql, int nparams,
                      const char *const *params)
{
    int rc;
    PGresult *res = mon__store_exec(store, what, sql, nparams, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rc = PQntuples(res) == 1 ? compact(out, PQgetvalue(res, 0, 0))
                             : mon__error(MON_EDB, NULL, "%s: no row", what);
    PQclear(res);
    return rc;
}

int mon_notify_rule_list_json(char **out, mon_store *store)
{
    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    return query_json(out, store, "list notification rules", list_sql, 0, NULL);
}

int mon_notify_outbox_json(char **out, mon_store *store, const char *status, const char *incident_id,
                           size_t limit)
{
    static const char *const statuses[] = {"pending", "sent", "failed", "skipped"};
    static const char *const sql =
        "SELECT coalesce(json_agg(t ORDER BY t.id DESC), '[]')::text FROM (SELECT o.id, o.event_id,"
        " o.event_kind AS event, o.rule_id, r.name AS rule_name, r.channel, o.incident_id, "
        "o.endpoint_id,"
        " o.status, o.attempts, " TS("o.next_attempt_at") " AS next_attempt_at, " TS(
            "o.sent_at") " AS sent_at, o.response_status, o.ticket_key, o.last_error, " TS("o.created_"
                                                                                           "at") " AS "
                                                                                                 "creat"
                                                                                                 "ed_"
                                                                                                 "at "
                                                                                                 "FROM "
                                                                                                 "notif"
                                                                                                 "icati"
                                                                                                 "on_"
                                                                                                 "outbo"
                                                                                                 "x o "
                                                                                                 "JOIN "
                                                                                                 "notif"
                                                                                                 "icati"
                                                                                                 "on_"
                                                                                                 "rules"
                                                                                                 " r "
                                                                                                 "ON "
                                                                                                 "r.id "
                                                                                                 "= "
                                                                                                 "o."
                                                                                                 "rule_"
                                                                                                 "id"
                                                                                                 " WHER"
                                                                                                 "E "
                                                                                                 "($1::"
                                                                                                 "text "
                                                                                                 "IS "
                                                                                                 "NULL "
                                                                                                 "OR "
                                                                                                 "o."
                                                                                                 "statu"
                                                                                                 "s = "
                                                                                                 "$1) "
                                                                                                 "AND "
                                                                                                 "($2::"
                                                                                                 "uuid "
                                                                                                 "IS "
                                                                                                 "NULL "
                                                                                                 "OR "
                                                                                                 "o."
                                                                                                 "incid"
                                                                                                 "ent_"
                                                                                                 "id = "
                                                                                                 "$2::"
                                                                                                 "uuid)"
                                                                                                 " ORDE"
                                                                                                 "R BY "
                                                                                                 "o.id "
                                                                                                 "DESC "
                                                                                                 "LIMIT"
                                                                                                 " $3::"
                                                                                                 "int) "
                                                                                                 "t";
    char limit_text[24];
    const char *params[] = {status, incident_id, limit_text};

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (status && !is_one_of(status, statuses, 4))
        return mon__error(MON_EINVAL, "status", "must be pending, sent, failed or skipped");
    if (incident_id && !mon__uuid_valid(incident_id))
        return mon__error(MON_EINVAL, "incident_id", "must be a UUID");
    if (limit < 1 || limit > 1000)
        return mon__error(MON_EINVAL, "limit", "must be 1 to 1000");
    snprintf(limit_text, sizeof(limit_text), "%zu", limit);
    return query_json(out, store, "list notifications", sql, 3, params);
}
