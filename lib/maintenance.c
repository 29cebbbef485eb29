/* Maintenance windows: validation, CRUD, audit. Whether a check falls in a
 * window is decided by the database (mon_maintenance_occurrences, migration 007). */
#include "audit_priv.h"
#include "error_priv.h"
#include "incident_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_CHARS 100
#define TIME_ZONE_MAX 64
#define DURATION_MIN 60
#define DURATION_MAX 604800

/* One window (alias w) as a json value, without the fields that do not apply (nulls). */
/* clang-format off */
#define WINDOW_JSON                                                                                  \
    "json_strip_nulls(json_build_object('id', w.id, 'name', w.name, 'endpoint_id', w.endpoint_id,"  \
    " 'endpoint_type', w.endpoint_type, 'kind', w.kind,"                                             \
    " 'starts_at', " MON__INCIDENT_TS("w.starts_at") ", 'ends_at', " MON__INCIDENT_TS("w.ends_at") "," \
    " 'weekdays', w.weekdays, 'start_time', w.start_time::text, 'duration_s', w.duration_s,"         \
    " 'time_zone', w.time_zone,"                                                                     \
    " 'created_at', " MON__INCIDENT_TS("w.created_at") ","                                           \
    " 'updated_at', " MON__INCIDENT_TS("w.updated_at") ","                                           \
    " 'active', EXISTS (SELECT 1 FROM mon_maintenance_occurrences(now(), now()) o"                   \
    " WHERE o.window_id = w.id)))"
/* clang-format on */

static const char *const weekday_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* Fields only one kind uses. */
static const char *const once_fields[] = {"starts_at", "ends_at"};
static const char *const weekly_fields[] = {"weekdays", "start_time", "duration_s", "time_zone"};

/* Output-only fields, accepted and ignored in input (a client may send back what it read). */
static const char *const output_fields[] = {"id", "created_at", "updated_at", "active"};

static int in_list(const char *key, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(key, list[i]) == 0)
            return 1;
    return 0;
}

#define IN_LIST(key, list) in_list(key, list, sizeof(list) / sizeof(list[0]))

/* Characters (not bytes) of a UTF-8 string; Jansson guarantees it is valid. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int get_string(const char **out, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return mon__error(MON_EINVAL, key, "is required");
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, key, "must be a string");
    *out = json_string_value(v);
    return MON_OK;
}

static int parse_time_field(char out[MON__TIME_TEXT_MAX], mon_time *value, json_t *obj, const char *key)
{
    const char *text;
    int rc = get_string(&text, obj, key);
    if (rc != MON_OK)
        return rc;
    if (mon__time_parse(value, text) != MON_OK)
        return mon__error(MON_EINVAL, key, "not an RFC 3339 date-time (2026-11-24T22:00:00Z)");
    mon__time_format(out, *value);
    return MON_OK;
}

static int parse_weekdays(struct mon__window *w, json_t *obj)
{
    json_t *arr = json_object_get(obj, "weekdays"), *v;
    int seen[8] = {0};
    size_t i, len = 0;
    char field[32];

    if (!arr)
        return mon__error(MON_EINVAL, "weekdays", "is required");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 7)
        return mon__error(MON_EINVAL, "weekdays", "must be an array of 1 to 7 weekdays");
    w->weekdays[len++] = '{';
    json_array_foreach(arr, i, v)
    {
        int day = 0;
        snprintf(field, sizeof(field), "weekdays[%zu]", i);
        if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 7)
            day = (int)json_integer_value(v);
        for (int d = 0; json_is_string(v) && d < 7; d++)
            if (strcasecmp(json_string_value(v), weekday_names[d]) == 0)
                day = d + 1;
        if (!day)
            return mon__error(MON_EINVAL, field,
                              "must be an ISO weekday 1 (Monday) to 7 (Sunday) or mon..sun");
        if (seen[day]++)
            return mon__error(MON_EINVAL, field, "repeats weekday %d", day);
        len += (size_t)snprintf(w->weekdays + len, sizeof(w->weekdays) - len, "%s%d", i ? "," : "", day);
    }
    snprintf(w->weekdays + len, sizeof(w->weekdays) - len, "}");
    return MON_OK;
}

static int parse_start_time(struct mon__window *w, json_t *obj)
{
    const char *t;
    int rc = get_string(&t, obj, "start_time"), h, m, s = 0;
    size_t n = t ? strlen(t) : 0;

    if (rc != MON_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!(isdigit((unsigned char)t[i]) || (t[i] == ':' && (i == 2 || i == 5))))
            n = 0;
    if (!((n == 5 && sscanf(t, "%2d:%2d", &h, &m) == 2) ||
          (n == 8 && sscanf(t, "%2d:%2d:%2d", &h, &m, &s) == 3)) ||
        h > 23 || m > 59 || s > 59)
        return mon__error(MON_EINVAL, "start_time",
                          "must be a local time HH:MM or HH:MM:SS (00:00 to 23:59:59)");
    snprintf(w->start_time, sizeof(w->start_time), "%02d:%02d:%02d", h, m, s);
    return MON_OK;
}

/* Is name an IANA time zone PostgreSQL knows? (pg_timezone_names: names only, no abbreviations.) */
static int check_time_zone(mon_store *store, const char *name)
{
    const char *params[1] = {name};
    PGresult *res;
    int rc, found;

    res = mon__store_exec(store, "check time zone", "SELECT 1 FROM pg_timezone_names WHERE name = $1", 1,
                          params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found ? MON_OK
                 : mon__error(MON_EINVAL, "time_zone",
                              "unknown time zone; use an IANA name such as Europe/Paris");
}

static int parse_weekly(struct mon__window *w, json_t *obj)
{
    json_t *d = json_object_get(obj, "duration_s");
    int rc;

    if ((rc = parse_weekdays(w, obj)) != MON_OK || (rc = parse_start_time(w, obj)) != MON_OK)
        return rc;
    if (!d)
        return mon__error(MON_EINVAL, "duration_s", "is required");
    if (!json_is_integer(d) || json_integer_value(d) < DURATION_MIN || json_integer_value(d) > DURATION_MAX)
        return mon__error(MON_EINVAL, "duration_s", "must be an integer from %d to %d seconds (7 days)",
                          DURATION_MIN, DURATION_MAX);
    snprintf(w->duration_s, sizeof(w->duration_s), "%d", (int)json_integer_value(d));
    if ((rc = get_string(&w->time_zone, obj, "time_zone")) != MON_OK)
        return rc;
    if (!*w->time_zone || strlen(w->time_zone) > TIME_ZONE_MAX)
        return mon__error(MON_EINVAL, "time_zone", "must be an IANA time zone name such as Europe/Paris");
    return MON_OK;
}

/* Remove obj's null members (null = absent). */
static void strip_nulls(json_t *obj)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(obj, tmp, key, v)
    {
        if (json_is_null(v))
            json_object_del(obj, key);
    }
}

int mon__maintenance_parse(struct mon__window *w, json_t *obj)
{
    const char *key;
    json_t *v;
    mon_time starts, ends;
    mon_endpoint_type type;
    int rc, once;

    memset(w, 0, sizeof(*w));
    if (!json_is_object(obj))
        return mon__error(MON_EINVAL, "window", "not a JSON object");
    strip_nulls(obj);
    json_object_foreach(obj, key, v)
    {
        if (!IN_LIST(key, once_fields) && !IN_LIST(key, weekly_fields) && !IN_LIST(key, output_fields) &&
            strcmp(key, "name") != 0 && strcmp(key, "endpoint_id") != 0 &&
            strcmp(key, "endpoint_type") != 0 && strcmp(key, "kind") != 0)
            return mon__error(MON_EINVAL, key, "unknown field");
    }
    if ((rc = get_string(&w->name, obj, "name")) != MON_OK)
        return rc;
    if (!*w->name || utf8_chars(w->name) > NAME_MAX_CHARS)
        return mon__error(MON_EINVAL, "name", "must be 1 to %d characters", NAME_MAX_CHARS);
    for (const char *c = w->name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return mon__error(MON_EINVAL, "name", "must not contain control characters");

    if (json_object_get(obj, "endpoint_id") && json_object_get(obj, "endpoint_type"))
        return mon__error(MON_EINVAL, "endpoint_type", "give endpoint_id or endpoint_type, not both");
    if (json_object_get(obj, "endpoint_type")) {
        if ((rc = get_string(&w->endpoint_type, obj, "endpoint_type")) != MON_OK)
            return rc;
        if (mon_endpoint_type_parse(&type, w->endpoint_type) != MON_OK)
            return mon__error(MON_EINVAL, "endpoint_type", "must be APIM, DOMAIN or TALEND");
    } else {
        if (!json_object_get(obj, "endpoint_id"))
            return mon__error(MON_EINVAL, "endpoint_id",
                              "is required (or endpoint_type for every endpoint of a type)");
        if ((rc = get_string(&w->endpoint_id, obj, "endpoint_id")) != MON_OK)
            return rc;
    }

    if ((rc = get_string(&w->kind, obj, "kind")) != MON_OK)
        return rc;
    if (strcmp(w->kind, "once") != 0 && strcmp(w->kind, "weekly") != 0)
        return mon__error(MON_EINVAL, "kind", "must be once or weekly");
    once = strcmp(w->kind, "once") == 0;
    json_object_foreach(obj, key, v)
    {
        if (once ? IN_LIST(key, weekly_fields) : IN_LIST(key, once_fields))
            return mon__error(MON_EINVAL, key, "does not apply to a %s window", w->kind);
    }
    if (once) {
        if ((rc = parse_time_field(w->starts_at, &starts, obj, "starts_at")) != MON_OK ||
            (rc = parse_time_field(w->ends_at, &ends, obj, "ends_at")) != MON_OK)
            return rc;
        if (ends <= starts)
            return mon__error(MON_EINVAL, "ends_at", "must be after starts_at");
    } else if ((rc = parse_weekly(w, obj)) != MON_OK) {
        return rc;
    }
    return MON_OK;
}

/* mon__maintenance_parse(), then what needs the database: the time zone, last the endpoint. */
static int parse_window(struct mon__window *w, mon_store *store, json_t *obj)
{
    int rc = mon__maintenance_parse(w, obj);

    if (rc == MON_OK && w->time_zone)
        rc = check_time_zone(store, w->time_zone);
    if (rc == MON_OK && w->endpoint_id)
        rc = mon__incident_endpoint_check(store, w->endpoint_id, "endpoint_id");
    return rc;
}

/* Parse text into an object (MON_EINVAL naming what otherwise). */
static int load_object(json_t **out, const char *text, const char *what)
{
    json_error_t jerr;
    json_t *obj = text ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : NULL;

    *out = NULL;
    if (!json_is_object(obj)) {
        json_decref(obj);
        return mon__error(MON_EINVAL, what, "not a JSON object");
    }
    *out = obj;
    return MON_OK;
}

static int check_id(const char *id)
{
    if (!id || !mon__uuid_valid(id))
        return mon__error(MON_EINVAL, "id", "not a UUID (8-4-4-4-12 hexadecimal digits)");
    return MON_OK;
}

/* Insert (id NULL) or update window id; *new_id receives the id written. */
static int write_window(char new_id[37], mon_store *store, const char *id, const struct mon__window *w)
{
    const char *params[11] = {w->name,
                              w->endpoint_id,
                              w->endpoint_type,
                              w->kind,
                              w->starts_at[0] ? w->starts_at : NULL,
                              w->ends_at[0] ? w->ends_at : NULL,
                              w->weekdays[0] ? w->weekdays : NULL,
                              w->start_time[0] ? w->start_time : NULL,
                              w->duration_s[0] ? w->duration_s : NULL,
                              w->time_zone,
                              id};
    PGresult *res;
    int rc;

    res = mon__store_exec(
        store, id ? "update maintenance window" : "create maintenance window",
        id ? "UPDATE maintenance_windows SET name = $1, endpoint_id = $2::uuid, endpoint_type = "
             "$3::endpoint_type,"
             " kind = $4, starts_at = $5::timestamptz, ends_at = $6::timestamptz, weekdays = $7::smallint[],"
             " start_time = $8::time, duration_s = $9::int, time_zone = $10 WHERE id = $11::uuid RETURNING "
             "id::text"
           : "INSERT INTO maintenance_windows (name, endpoint_id, endpoint_type, kind, starts_at, ends_at, "
             "weekdays,"
             " start_time, duration_s, time_zone) VALUES ($1, $2::uuid, $3::endpoint_type, $4, "
             "$5::timestamptz,"
             " $6::timestamptz, $7::smallint[], $8::time, $9::int, $10) RETURNING id::text",
        id ? 11 : 10, params, 0, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no maintenance window has id %s", id);
    else
        snprintf(new_id, 37, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

int mon_maintenance_get_json(char **out, mon_store *store, const char *id)
{
    const char *params[1] = {id};
    PGresult *res;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = check_id(id)) != MON_OK)
        return rc;
    res = mon__store_exec(store, "get maintenance window",
                          "SELECT " WINDOW_JSON "::text FROM maintenance_windows w WHERE w.id = $1::uuid", 1,
                          params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no maintenance window has id %s", id);
    else
        rc = mon__incident_text(out, res);
    PQclear(res);
    return rc;
}

int mon_maintenance_list_json(char **out, mon_store *store, const char *endpoint_id)
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
    res = mon__store_exec(store, "list maintenance windows",
                          "SELECT coalesce(json_agg(" WINDOW_JSON " ORDER BY w.name, w.id), '[]'::json)::text"
                          " FROM maintenance_windows w WHERE $1::uuid IS NULL OR w.endpoint_id = $1::uuid"
                          " OR w.endpoint_type = (SELECT e.type FROM endpoints e WHERE e.id = $1::uuid)",
                          1, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rc = mon__incident_text(out, res);
    PQclear(res);
    return rc;
}

int mon_maintenance_create(char **out, mon_store *store, const char *window_json,
                           const mon_audit_entry *actor)
{
    struct mon__window w;
    char id[37] = "";
    json_t *obj = NULL;
    int rc;

    if (out)
        *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = load_object(&obj, window_json, "window")) == MON_OK &&
        (rc = parse_window(&w, store, obj)) == MON_OK && (rc = write_window(id, store, NULL, &w)) == MON_OK &&
        out)
        rc = mon_maintenance_get_json(out, store, id);
    rc = mon__audit_change(store, actor, "maintenance_window.create", id[0] ? id : "maintenance_window",
                           obj ? window_json : NULL, rc);
    json_decref(obj);
    if (rc != MON_OK && out) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* The stored window id with changes applied (see mon_maintenance_update()). */
static int merge_changes(json_t **merged, mon_store *store, const char *id, json_t *changes)
{
    char *stored_text = NULL;
    json_t *stored, *kind = json_object_get(changes, "kind");
    int rc;

    *merged = NULL;
    if ((rc = mon_maintenance_get_json(&stored_text, store, id)) != MON_OK)
        return rc;
    rc = load_object(&stored, stored_text, "window");
    free(stored_text);
    if (rc != MON_OK)
        return rc;
    if (json_is_string(kind) && !json_equal(kind, json_object_get(stored, "kind"))) {
        for (size_t i = 0; i < sizeof(once_fields) / sizeof(once_fields[0]); i++)
            json_object_del(stored, once_fields[i]);
        for (size_t i = 0; i < sizeof(weekly_fields) / sizeof(weekly_fields[0]); i++)
            json_object_del(stored, weekly_fields[i]);
    }
    if (json_is_string(json_object_get(changes, "endpoint_type")))
        json_object_del(stored, "endpoint_id");
    if (json_is_string(json_object_get(changes, "endpoint_id")))
        json_object_del(stored, "endpoint_type");
    if (json_object_update(stored, changes) != 0) {
        json_decref(stored);
        return mon__error_nomem();
    }
    *merged = stored;
    return MON_OK;
}

int mon_maintenance_update(char **out, mon_store *store, const char *id, const char *changes_json,
                           const mon_audit_entry *actor)
{
    struct mon__window w;
    char written[37];
    json_t *changes = NULL, *merged = NULL;
    int rc;

    if (out)
        *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = check_id(id)) != MON_OK)
        goto done;
    if ((rc = load_object(&changes, changes_json, "changes")) != MON_OK)
        goto done;
    if ((rc = merge_changes(&merged, store, id, changes)) != MON_OK)
        goto done;
    if ((rc = parse_window(&w, store, merged)) == MON_OK &&
        (rc = write_window(written, store, id, &w)) == MON_OK && out)
        rc = mon_maintenance_get_json(out, store, id);
done:
    rc = mon__audit_change(store, actor, "maintenance_window.update",
                           id && mon__uuid_valid(id) ? id : "invalid", changes ? changes_json : NULL, rc);
    json_decref(changes);
    json_decref(merged);
    if (rc != MON_OK && out) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int mon_maintenance_delete(mon_store *store, const char *id, const mon_audit_entry *actor)
{
    const char *params[1] = {id};
    char *before = NULL;
    PGresult *res = NULL;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    /* The audit row keeps what was deleted. */
    if ((rc = mon_maintenance_get_json(&before, store, id)) == MON_OK &&
        (res = mon__store_exec(store, "delete maintenance window",
                               "DELETE FROM maintenance_windows WHERE id = $1::uuid", 1, params, 0, &rc)) &&
        strcmp(PQcmdTuples(res), "0") == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no maintenance window has id %s", id);
    PQclear(res);
    rc = mon__audit_change(store, actor, "maintenance_window.delete",
                           id && mon__uuid_valid(id) ? id : "invalid", before, rc);
    free(before);
    return rc;
}
