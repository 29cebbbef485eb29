/* Incidents (read) and their thresholds (incident_policies). The incidents
 * themselves are written by the database (migration 007). */
#include "audit_priv.h"
#include "error_priv.h"
#include "incident_priv.h"
#include "store_priv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_MAX 1000

/* One incident (alias i, its endpoint e) as a json value. */
/* clang-format off */
#define INCIDENT_JSON                                                                                      \
    "json_build_object('id', i.id, 'endpoint_id', i.endpoint_id, 'endpoint_name', e.name, 'kind', i.kind," \
    " 'state', CASE WHEN i.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,"                           \
    " 'started_at', " MON__INCIDENT_TS("i.started_at") ","                                                 \
    " 'resolved_at', " MON__INCIDENT_TS("i.resolved_at") ","                                               \
    " 'first_error', i.first_error, 'failed_checks', i.failed_checks, 'last_status', i.last_status,"       \
    " 'ticket_refs', i.ticket_refs)"
/* clang-format on */

/* ------------------------------------------------------------ shared helpers */

int mon__incident_endpoint_check(mon_store *store, const char *id, const char *field)
{
    const char *params[1] = {id};
    PGresult *res;
    int rc, found;

    if (!mon__uuid_valid(id))
        return mon__error(MON_EINVAL, field, "not a UUID (8-4-4-4-12 hexadecimal digits)");
    res = mon__store_exec(store, "find endpoint", "SELECT 1 FROM endpoints WHERE id = $1::uuid", 1, params,
                          MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    found = PQntuples(res) == 1;
    PQclear(res);
    return found ? MON_OK : mon__error(MON_ENOTFOUND, field, "no endpoint has id %s", id);
}

int mon__incident_text(char **out, const PGresult *res)
{
    if (!(*out = strdup(PQgetvalue(res, 0, 0))))
        return mon__error_nomem();
    return MON_OK;
}

/* ----------------------------------------------------------------- incidents */

int mon_incident_filter_init(mon_incident_filter *filter, unsigned int version)
{
    static const mon_incident_filter defaults = MON_INCIDENT_FILTER_INIT;
    if (!filter)
        return mon__error(MON_EINVAL, "filter", "must not be NULL");
    if (version != MON_INCIDENT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown mon_incident_filter version %u", version);
    *filter = defaults;
    return MON_OK;
}

/* A cursor is "<started_at in microseconds>.<id>" of the last incident of the previous page. */
int mon__incident_cursor_parse(const char *cursor, char micros[24], char id[37])
{
    const char *dot = strchr(cursor, '.');
    size_t n = dot ? (size_t)(dot - cursor) : 0;

    if (!dot || n == 0 || n > 20 || !mon__uuid_valid(dot + 1) || strlen(dot + 1) != 36)
        return mon__error(MON_EINVAL, "cursor", "is not a next_cursor returned by a previous page");
    for (size_t i = 0; i < n; i++) {
        if ((cursor[i] < '0' || cursor[i] > '9') && !(i == 0 && cursor[i] == '-' && n > 1))
            return mon__error(MON_EINVAL, "cursor", "is not a next_cursor returned by a previous page");
    }
    memcpy(micros, cursor, n);
    micros[n] = '\0';
    memcpy(id, dot + 1, 37);
    return MON_OK;
}

static int check_filter(mon_store *store, const mon_incident_filter *f)
{
    if (f->version != MON_INCIDENT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "filter.version", "unknown incident filter version %u", f->version);
    if (f->limit < 1 || f->limit > LIMIT_MAX)
        return mon__error(MON_EINVAL, "limit", "must be between 1 and %d", LIMIT_MAX);
    if (f->open < -1 || f->open > 1)
        return mon__error(MON_EINVAL, "open", "must be 1 (open), 0 (resolved) or -1 (both)");
    if (f->from && f->to && f->from >= f->to)
        return mon__error(MON_EINVAL, "to", "must be after from");
    return f->endpoint_id ? mon__incident_endpoint_check(store, f->endpoint_id, "endpoint_id") : MON_OK;
}

int mon_incident_list_json(char **out, mon_store *store, const mon_incident_filter *filter)
{
    const mon_incident_filter defaults = MON_INCIDENT_FILTER_INIT;
    const mon_incident_filter *f = filter ? filter : &defaults;
    char from[24], to[24], limit[24], micros[24], id[37];
    const char *params[7];
    PGresult *res;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = check_filter(store, f)) != MON_OK)
        return rc;
    if (f->cursor && (rc = mon__incident_cursor_parse(f->cursor, micros, id)) != MON_OK)
        return rc;
    snprintf(from, sizeof(from), "%lld", (long long)f->from);
    snprintf(to, sizeof(to), "%lld", (long long)f->to);
    snprintf(limit, sizeof(limit), "%zu", f->limit);
    params[0] = f->endpoint_id;
    params[1] = f->open == -1 ? NULL : f->open ? "true" : "false";
    params[2] = f->from ? from : NULL;
    params[3] = f->to ? to : NULL;
    params[4] = f->cursor ? micros : NULL;
    params[5] = f->cursor ? id : NULL;
    params[6] = limit;
    /* One row more than the page tells whether another page follows. */
    res = mon__store_exec(
        store, "list incidents",
        "WITH page AS ("
        " SELECT " INCIDENT_JSON " AS j, i.started_at, i.id,"
        "  row_number() OVER (ORDER BY i.started_at DESC, i.id DESC) AS n"
        " FROM incidents i JOIN endpoints e ON e.id = i.endpoint_id"
        " WHERE ($1::uuid IS NULL OR i.endpoint_id = $1::uuid)"
        " AND ($2::boolean IS NULL OR (i.resolved_at IS NULL) = $2::boolean)"
        " AND ($3::bigint IS NULL OR i.started_at >= 'epoch'::timestamptz + $3::bigint * interval '1 "
        "microsecond')"
        " AND ($4::bigint IS NULL OR i.started_at < 'epoch'::timestamptz + $4::bigint * interval '1 "
        "microsecond')"
        " AND ($5::bigint IS NULL OR (i.started_at, i.id) < ('epoch'::timestamptz + $5::bigint"
        "  * interval '1 microsecond', $6::uuid))"
        " ORDER BY i.started_at DESC, i.id DESC LIMIT $7::int + 1)"
        " SELECT json_build_object("
        "  'incidents', coalesce(json_agg(j ORDER BY n) FILTER (WHERE n <= $7::int), '[]'::json),"
        "  'next_cursor', max(CASE WHEN n = $7::int AND EXISTS (SELECT 1 FROM page p WHERE p.n > $7::int)"
        "   THEN (extract(epoch FROM started_at) * 1000000)::bigint || '.' || id END))::text FROM page",
        7, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rc = mon__incident_text(out, res);
    PQclear(res);
    return rc;
}

int mon_incident_get_json(char **out, mon_store *store, const char *id)
{
    const char *params[1] = {id};
    PGresult *res;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!id || !mon__uuid_valid(id))
        return mon__error(MON_EINVAL, "id", "not a UUID (8-4-4-4-12 hexadecimal digits)");
    /* clang-format off */
    res = mon__store_exec(
        store, "get incident",
        "SELECT (" INCIDENT_JSON "::jsonb || jsonb_build_object('events', (SELECT coalesce(jsonb_agg("
        " jsonb_build_object('id', v.id, 'kind', v.kind,"
        " 'occurred_at', " MON__INCIDENT_TS("v.occurred_at") ") ORDER BY v.id), '[]'::jsonb)"
        " FROM incident_events v WHERE v.incident_id = i.id)))::text"
        " FROM incidents i JOIN endpoints e ON e.id = i.endpoint_id WHERE i.id = $1::uuid",
        1, params, MON__EXEC_RETRY, &rc);
    /* clang-format on */
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no incident has id %s", id);
    else
        rc = mon__incident_text(out, res);
    PQclear(res);
    return rc;
}

/* ------------------------------------------------------------------ policies */

/* The fields of a policy, their ranges, in the order of the SQL parameters. */
static const struct {
    const char *name;
    int min, max;
} policy_fields[] = {
    {"down_threshold", 1, 100},
    {"up_threshold", 1, 100},
    {"flap_transitions", 2, 1000},
    {"flap_window_s", 60, 86400},
};
#define POLICY_FIELD_COUNT (sizeof(policy_fields) / sizeof(policy_fields[0]))
_Static_assert(POLICY_FIELD_COUNT == MON__INCIDENT_POLICY_FIELDS, "policy fields and incident_priv.h");

static const char *const policy_get_sql =
    "SELECT (jsonb_build_object('endpoint_id', $1::uuid, 'down_threshold', p.down_threshold, 'up_threshold',"
    " p.up_threshold, 'flap_transitions', p.flap_transitions, 'flap_window_s', p.flap_window_s)"
    " || CASE WHEN $1::uuid IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('overrides', (SELECT"
    " jsonb_strip_nulls(jsonb_build_object('down_threshold', o.down_threshold, 'up_threshold', "
    "o.up_threshold,"
    " 'flap_transitions', o.flap_transitions, 'flap_window_s', o.flap_window_s)) FROM (SELECT 1) one"
    " LEFT JOIN incident_policies o ON o.endpoint_id = $1::uuid)) END)::text"
    " FROM mon_incident_policy($1::uuid) p";

int mon_incident_policy_get_json(char **out, mon_store *store, const char *endpoint_id)
{
    const char *params[1] = {endpoint_id};
    PGresult *res;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (endpoint_id && (rc = mon__incident_endpoint_check(store, endpoint_id, "endpoint_id")) != MON_OK)
        return rc;
    if (!(res =
              mon__store_exec(store, "get incident policy", policy_get_sql, 1, params, MON__EXEC_RETRY, &rc)))
        return rc;
    rc = mon__incident_text(out, res);
    PQclear(res);
    return rc;
}

int mon__incident_policy_parse(json_t **root, int set[MON__INCIDENT_POLICY_FIELDS], char value[][12],
                               const char *policy_json, int global)
{
    json_error_t jerr;
    const char *key;
    json_t *v;
    size_t i;

    *root = NULL;
    if (!policy_json)
        return mon__error(MON_EINVAL, "policy", "must not be NULL");
    if (!(*root = json_loads(policy_json, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(*root))
        return mon__error(MON_EINVAL, "policy", "not a JSON object");
    json_object_foreach(*root, key, v)
    {
        for (i = 0; i < POLICY_FIELD_COUNT && strcmp(key, policy_fields[i].name) != 0; i++)
            ;
        if (i == POLICY_FIELD_COUNT)
            return mon__error(MON_EINVAL, key,
                              "unknown field (down_threshold, up_threshold, flap_transitions,"
                              " flap_window_s)");
        set[i] = 1;
        if (json_is_null(v) && !global) {
            value[i][0] = '\0';
            continue;
        }
        if (!json_is_integer(v) || json_integer_value(v) < policy_fields[i].min ||
            json_integer_value(v) > policy_fields[i].max)
            return mon__error(MON_EINVAL, key, "must be an integer from %d to %d%s", policy_fields[i].min,
                              policy_fields[i].max, global ? "" : ", or null to use the global value");
        snprintf(value[i], sizeof(value[i]), "%d", (int)json_integer_value(v));
    }
    return MON_OK;
}

int mon_incident_policy_set(char **out, mon_store *store, const char *endpoint_id, const char *policy_json,
                            const mon_audit_entry *actor)
{
    /* $1 endpoint, then per field: $2k given?, $2k+1 value. An endpoint's row
     * stores what is given (null: inherit); the global row keeps the fields not given. */
#define POLICY_UPSERT(values, target)                                                                        \
    "INSERT INTO incident_policies AS p (endpoint_id, down_threshold, up_threshold, flap_transitions,"       \
    " flap_window_s) SELECT $1::uuid, " values " FROM mon_incident_policy(NULL) g ON CONFLICT " target       \
    " DO UPDATE SET down_threshold = CASE WHEN $2::boolean THEN excluded.down_threshold ELSE "               \
    "p.down_threshold"                                                                                       \
    " END, up_threshold = CASE WHEN $4::boolean THEN excluded.up_threshold ELSE p.up_threshold END,"         \
    " flap_transitions = CASE WHEN $6::boolean THEN excluded.flap_transitions ELSE p.flap_transitions END,"  \
    " flap_window_s = CASE WHEN $8::boolean THEN excluded.flap_window_s ELSE p.flap_window_s END,"           \
    " updated_at = now()"
    static const char *const endpoint_sql =
        POLICY_UPSERT("$3::int, $5::int, $7::int, $9::int", "(endpoint_id)");
    static const char *const global_sql =
        POLICY_UPSERT("coalesce($3::int, g.down_threshold), coalesce($5::int, g.up_threshold),"
                      " coalesce($7::int, g.flap_transitions), coalesce($9::int, g.flap_window_s)",
                      "((endpoint_id IS NULL)) WHERE endpoint_id IS NULL");
#undef POLICY_UPSERT
    int set[POLICY_FIELD_COUNT] = {0};
    char value[POLICY_FIELD_COUNT][12];
    const char *params[1 + 2 * POLICY_FIELD_COUNT];
    json_t *root = NULL;
    PGresult *res;
    int rc;

    if (out)
        *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (endpoint_id && (rc = mon__incident_endpoint_check(store, endpoint_id, "endpoint_id")) != MON_OK)
        goto done;
    if ((rc = mon__incident_policy_parse(&root, set, value, policy_json, !endpoint_id)) != MON_OK)
        goto done;
    params[0] = endpoint_id;
    for (size_t i = 0; i < POLICY_FIELD_COUNT; i++) {
        params[1 + 2 * i] = set[i] ? "true" : "false";
        params[2 + 2 * i] = set[i] && value[i][0] ? value[i] : NULL;
    }
    res = mon__store_exec(store, "set incident policy", endpoint_id ? endpoint_sql : global_sql, 9, params, 0,
                          &rc);
    PQclear(res);
    if (rc == MON_OK && out)
        rc = mon_incident_policy_get_json(out, store, endpoint_id);
done:
    rc = mon__audit_change(store, actor, "incident_policy.set", endpoint_id ? endpoint_id : "global",
                           json_is_object(root) ? policy_json : NULL, rc);
    json_decref(root);
    if (rc != MON_OK && out) {
        free(*out);
        *out = NULL;
    }
    return rc;
}
