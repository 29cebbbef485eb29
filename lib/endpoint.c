#include "endpoint_priv.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct mon_endpoint {
    char id[37];
    char *name;
    mon_endpoint_type type;
    char *url;
    int check_interval;
    int timeout_ms;
    int expected_status;
    struct mon__header_set headers;
    int enabled;
    const char *method; /* one of METHODS (static) */
    int degraded_ms;
    int retries;
    struct mon__condition_set conditions;
    int cert_warn_days;
    int follow_redirects;
    mon_time created_at;
    mon_time updated_at;
};

static const char *const TYPE_NAMES[] = {"APIM", "DOMAIN", "TALEND"};
static const char *const METHODS[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

/* Integer fields: JSON name, bounds, default, unit for messages. */
struct int_field {
    const char *name;
    size_t offset;
    int min, max, def;
    const char *unit;
};

enum { F_CHECK_INTERVAL, F_TIMEOUT, F_EXPECTED_STATUS, F_DEGRADED_MS, F_RETRIES, F_CERT_WARN_DAYS };

static const struct int_field INT_FIELDS[] = {
    [F_CHECK_INTERVAL] = {"check_interval", offsetof(mon_endpoint, check_interval), 10, 86400, 60,
                          " seconds"},
    [F_TIMEOUT] = {"timeout", offsetof(mon_endpoint, timeout_ms), 100, 60000, 5000, " ms"},
    [F_EXPECTED_STATUS] = {"expected_status", offsetof(mon_endpoint, expected_status), 100, 599, 200, ""},
    [F_DEGRADED_MS] = {"degraded_ms", offsetof(mon_endpoint, degraded_ms), 0, 60000, 2000, " ms"},
    [F_RETRIES] = {"retries", offsetof(mon_endpoint, retries), 0, 5, 1, ""},
    [F_CERT_WARN_DAYS] = {"cert_warn_days", offsetof(mon_endpoint, cert_warn_days), 0, 365, 14, " days"},
};
/* ---- field checks that need the field tables ---- */

static int check_int(int which, int value)
{
    const struct int_field *f = &INT_FIELDS[which];
    if (value < f->min || value > f->max)
        return mon__error(MON_EINVAL, f->name, "must be between %d and %d%s", f->min, f->max, f->unit);
    return MON_OK;
}

static int find_method(const char *method)
{
    for (size_t i = 0; method && i < sizeof(METHODS) / sizeof(METHODS[0]); i++)
        if (strcmp(method, METHODS[i]) == 0)
            return (int)i;
    return mon__error(MON_EINVAL, "method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

/* ---- lifecycle ---- */

static void endpoint_clear(mon_endpoint *ep)
{
    free(ep->name);
    free(ep->url);
    mon__header_set_clear(&ep->headers);
    mon__condition_set_clear(&ep->conditions);
}

void mon_endpoint_free(mon_endpoint *ep)
{
    if (!ep)
        return;
    endpoint_clear(ep);
    free(ep);
}

int mon_endpoint_new(mon_endpoint **out)
{
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    mon_endpoint *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return mon__error_nomem();
    ep->type = MON_ENDPOINT_APIM;
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        *(int *)((char *)ep + INT_FIELDS[i].offset) = INT_FIELDS[i].def;
    ep->enabled = 1;
    ep->method = METHODS[0];
    ep->follow_redirects = 0;
    if (mon__header_set_render(&ep->headers) != MON_OK ||
        mon__condition_set_render(&ep->conditions) != MON_OK) {
        mon_endpoint_free(ep);
        return MON_ENOMEM;
    }
    *out = ep;
    return MON_OK;
}

int mon_endpoint_dup(mon_endpoint **out, const mon_endpoint *ep)
{
    if (!out || !ep)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    *out = NULL;
    mon_endpoint *copy = malloc(sizeof(*copy));
    if (!copy)
        return mon__error_nomem();
    *copy = *ep;
    copy->name = NULL;
    copy->url = NULL;
    memset(&copy->headers, 0, sizeof(copy->headers));
    memset(&copy->conditions, 0, sizeof(copy->conditions));
    if ((ep->name && !(copy->name = strdup(ep->name))) || (ep->url && !(copy->url = strdup(ep->url)))) {
        mon_endpoint_free(copy);
        return mon__error_nomem();
    }
    int rc = mon__header_set_copy(&copy->headers, &ep->headers);
    if (rc == MON_OK)
        rc = mon__condition_set_copy(&copy->conditions, &ep->conditions);
    if (rc != MON_OK) {
        mon_endpoint_free(copy);
        return rc;
    }
    *out = copy;
    return MON_OK;
}

/* Replace the contents of ep with those of other and free the old contents. */
static void endpoint_swap_in(mon_endpoint *ep, mon_endpoint *other)
{
    mon_endpoint old = *ep;
    *ep = *other;
    *other = old;
    mon_endpoint_free(other);
}

/* ---- setters ---- */

static int replace_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return mon__error_nomem();
    free(*slot);
    *slot = copy;
    return MON_OK;
}

int mon_endpoint_set_id(mon_endpoint *ep, const char *id)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (!id || !*id) {
        ep->id[0] = '\0';
        return MON_OK;
    }
    if (!mon__uuid_valid(id))
        return mon__error(MON_EINVAL, "id", "must be a UUID (8-4-4-4-12 hexadecimal digits)");
    for (size_t i = 0; i < 36; i++)
        ep->id[i] = (char)tolower((unsigned char)id[i]);
    ep->id[36] = '\0';
    return MON_OK;
}

int mon_endpoint_set_name(mon_endpoint *ep, const char *name)
{
    int rc = ep ? mon__endpoint_check_name(name) : mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    return rc == MON_OK ? replace_string(&ep->name, name) : rc;
}

int mon_endpoint_set_type(mon_endpoint *ep, mon_endpoint_type type)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (!mon_endpoint_type_name(type))
        return mon__error(MON_EINVAL, "type", "unknown type %d (APIM, DOMAIN or TALEND)", (int)type);
    ep->type = type;
    return MON_OK;
}

int mon_endpoint_set_url(mon_endpoint *ep, const char *url)
{
    int rc = ep ? mon__endpoint_check_url(url) : mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    return rc == MON_OK ? replace_string(&ep->url, url) : rc;
}

static int timeout_fits(int timeout_ms, int interval_s, const char *field)
{
    if ((long long)timeout_ms < (long long)interval_s * 1000)
        return MON_OK;
    if (strcmp(field, "timeout") == 0)
        return mon__error(MON_EINVAL, field, "must be shorter than check_interval (%d s)", interval_s);
    return mon__error(MON_EINVAL, field, "must be longer than timeout (%d ms)", timeout_ms);
}

static int set_int(mon_endpoint *ep, int which, int value)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = check_int(which, value);
    if (rc == MON_OK && which == F_CHECK_INTERVAL)
        rc = timeout_fits(ep->timeout_ms, value, "check_interval");
    if (rc == MON_OK && which == F_TIMEOUT)
        rc = timeout_fits(value, ep->check_interval, "timeout");
    if (rc == MON_OK)
        *(int *)((char *)ep + INT_FIELDS[which].offset) = value;
    return rc;
}

int mon_endpoint_set_check_interval(mon_endpoint *ep, int seconds)
{
    return set_int(ep, F_CHECK_INTERVAL, seconds);
}
int mon_endpoint_set_timeout_ms(mon_endpoint *ep, int ms)
{
    return set_int(ep, F_TIMEOUT, ms);
}
int mon_endpoint_set_expected_status(mon_endpoint *ep, int status)
{
    return set_int(ep, F_EXPECTED_STATUS, status);
}
int mon_endpoint_set_degraded_ms(mon_endpoint *ep, int ms)
{
    return set_int(ep, F_DEGRADED_MS, ms);
}
int mon_endpoint_set_retries(mon_endpoint *ep, int retries)
{
    return set_int(ep, F_RETRIES, retries);
}
int mon_endpoint_set_cert_warn_days(mon_endpoint *ep, int days)
{
    return set_int(ep, F_CERT_WARN_DAYS, days);
}

int mon_endpoint_set_enabled(mon_endpoint *ep, int enabled)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    ep->enabled = enabled != 0;
    return MON_OK;
}

int mon_endpoint_set_follow_redirects(mon_endpoint *ep, int follow)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    ep->follow_redirects = follow != 0;
    return MON_OK;
}

int mon_endpoint_set_method(mon_endpoint *ep, const char *method)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int i = find_method(method);
    if (i < 0)
        return i;
    ep->method = METHODS[i];
    return MON_OK;
}

int mon_endpoint_set_timestamps(mon_endpoint *ep, mon_time created_at, mon_time updated_at)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (created_at < 0 || updated_at < 0)
        return mon__error(MON_EINVAL, created_at < 0 ? "created_at" : "updated_at", "must not be negative");
    ep->created_at = created_at;
    ep->updated_at = updated_at;
    return MON_OK;
}

int mon_endpoint_set_header(mon_endpoint *ep, const char *name, const char *value)
{
    struct mon__header_set hs;
    if (!ep || !name)
        return mon__error(MON_EINVAL, "headers", "endpoint and header name must not be NULL");
    int rc = mon__header_check(name, value ? value : "");
    if (rc != MON_OK)
        return rc;
    int at = mon__header_index(&ep->headers, name);
    if (at < 0 && !value)
        return MON_OK;
    if (at < 0 && ep->headers.count >= MON__HEADERS_MAX)
        return mon__error(MON_EINVAL, "headers", "more than %d headers", MON__HEADERS_MAX);
    /* Build the new set aside so that a failure leaves the endpoint as it was. */
    memset(&hs, 0, sizeof(hs));
    for (size_t i = 0; rc == MON_OK && i < ep->headers.count; i++) {
        if ((int)i != at)
            rc = mon__header_set_add(&hs, ep->headers.items[i].name, ep->headers.items[i].value);
        else if (value)
            rc = mon__header_set_add(&hs, name, value);
    }
    if (rc == MON_OK && at < 0)
        rc = mon__header_set_add(&hs, name, value);
    if ((rc = mon__header_set_done(&hs, rc)) != MON_OK)
        return rc;
    mon__header_set_clear(&ep->headers);
    ep->headers = hs;
    return MON_OK;
}

/* ---- type names ---- */

const char *mon_endpoint_type_name(mon_endpoint_type type)
{
    return (unsigned)type < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]) ? TYPE_NAMES[type] : NULL;
}

int mon_endpoint_type_parse(mon_endpoint_type *out, const char *name)
{
    for (size_t i = 0; name && i < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]); i++)
        if (strcmp(name, TYPE_NAMES[i]) == 0) {
            if (out)
                *out = (mon_endpoint_type)i;
            return MON_OK;
        }
    if (name && mon__text_echoable(name))
        return mon__error(MON_EINVAL, "type", "unknown type \"%s\" (APIM, DOMAIN or TALEND)", name);
    return mon__error(MON_EINVAL, "type", "unknown type (APIM, DOMAIN or TALEND)");
}

/* Parse JSON text; bad text is MON_EINVAL with Jansson's position, no field. */
static int parse_json(json_t **out, const char *text, const char *what)
{
    json_error_t err;
    /* Without JSON_ALLOW_NUL Jansson refuses "\u0000": every string read is a C string. */
    if (!text)
        return mon__error(MON_EINVAL, NULL, "%s: JSON text must not be NULL", what);
    *out = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!*out)
        return mon__error(MON_EINVAL, NULL, "%s: invalid JSON at line %d, column %d: %s", what, err.line,
                          err.column, err.text);
    return MON_OK;
}

/* ---- JSON fields ---- */

static int want_string(json_t *v, const char *field, const char **out)
{
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, field, "must be a string");
    *out = json_string_value(v);
    return MON_OK;
}

static int want_int(json_t *v, int which, int *out)
{
    const struct int_field *f = &INT_FIELDS[which];
    if (!json_is_integer(v))
        return mon__error(MON_EINVAL, f->name, "must be an integer");
    json_int_t n = json_integer_value(v);
    if (n < f->min || n > f->max)
        return mon__error(MON_EINVAL, f->name, "must be between %d and %d%s", f->min, f->max, f->unit);
    *out = (int)n;
    return MON_OK;
}

static int want_bool(json_t *v, const char *field, int *out)
{
    if (!json_is_boolean(v))
        return mon__error(MON_EINVAL, field, "must be a boolean");
    *out = json_is_true(v);
    return MON_OK;
}

static int want_time(json_t *v, const char *field, mon_time *out)
{
    if (json_is_null(v)) {
        *out = 0;
        return MON_OK;
    }
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, field, "must be a string (RFC 3339) or null");
    if (mon__time_parse(out, json_string_value(v)) != MON_OK || *out < 0)
        return mon__error(MON_EINVAL, field, "must be an RFC 3339 date-time (2026-11-24T14:41:44Z)");
    return MON_OK;
}

/* Set one field of ep from a JSON value without cross-field checks (the
 * caller validates the whole endpoint). read_only_ok allows id and stamps. */
static int apply_field(mon_endpoint *ep, const char *key, json_t *v, int read_only_ok)
{
    const char *s = NULL;
    int n = 0, rc;
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        if (strcmp(key, INT_FIELDS[i].name) == 0) {
            if ((rc = want_int(v, (int)i, &n)) == MON_OK)
                *(int *)((char *)ep + INT_FIELDS[i].offset) = n;
            return rc;
        }
    if (strcmp(key, "name") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_name(ep, s) : rc;
    if (strcmp(key, "url") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_url(ep, s) : rc;
    if (strcmp(key, "method") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_method(ep, s) : rc;
    if (strcmp(key, "type") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_type_parse(&ep->type, s) : rc;
    if (strcmp(key, "enabled") == 0)
        return want_bool(v, key, &ep->enabled);
    if (strcmp(key, "follow_redirects") == 0)
        return want_bool(v, key, &ep->follow_redirects);
    if (strcmp(key, "headers") == 0) {
        struct mon__header_set hs;
        if ((rc = mon__header_set_from_json(&hs, v)) == MON_OK) {
            mon__header_set_clear(&ep->headers);
            ep->headers = hs;
        }
        return rc;
    }
    if (strcmp(key, "conditions") == 0) {
        struct mon__condition_set cs;
        if ((rc = mon__condition_set_from_json(&cs, v)) == MON_OK) {
            mon__condition_set_clear(&ep->conditions);
            ep->conditions = cs;
        }
        return rc;
    }
    int is_id = strcmp(key, "id") == 0, is_created = strcmp(key, "created_at") == 0,
        is_updated = strcmp(key, "updated_at") == 0;
    if ((is_id || is_created || is_updated) && !read_only_ok)
        return mon__error(MON_EINVAL, key, "read-only field");
    if (is_id) {
        if (json_is_null(v))
            return mon_endpoint_set_id(ep, NULL);
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_id(ep, s) : rc;
    }
    if (is_created)
        return want_time(v, key, &ep->created_at);
    if (is_updated)
        return want_time(v, key, &ep->updated_at);
    return mon__error(MON_EINVAL, mon__text_echoable(key) ? key : "?", "unknown field");
}

/* Replace the headers or the conditions from JSON text, as a patch would. */
static int set_json_field(mon_endpoint *ep, const char *key, const char *json)
{
    json_t *v;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = parse_json(&v, json, key);
    if (rc != MON_OK)
        return rc;
    rc = apply_field(ep, key, v, 0);
    json_decref(v);
    return rc;
}

int mon_endpoint_set_headers_json(mon_endpoint *ep, const char *json)
{
    return set_json_field(ep, "headers", json);
}

int mon_endpoint_set_conditions_json(mon_endpoint *ep, const char *json)
{
    return set_json_field(ep, "conditions", json);
}

static int apply_object(mon_endpoint *ep, const char *json, int read_only_ok)
{
    json_t *root, *v;
    const char *key;
    int rc = parse_json(&root, json, "endpoint");
    if (rc != MON_OK)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return mon__error(MON_EINVAL, NULL, "endpoint: must be a JSON object");
    }
    json_object_foreach(root, key, v)
    {
        if ((rc = apply_field(ep, key, v, read_only_ok)) != MON_OK)
            break;
    }
    if (rc == MON_OK && read_only_ok) {
        static const char *const required[] = {"name", "type", "url"};
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(root, required[i])) {
                rc = mon__error(MON_EINVAL, required[i], "required field missing");
                break;
            }
    }
    json_decref(root);
    return rc;
}

int mon_endpoint_from_json(mon_endpoint **out, const char *json)
{
    mon_endpoint *ep;
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    int rc = mon_endpoint_new(&ep);
    if (rc == MON_OK)
        rc = apply_object(ep, json, 1);
    if (rc == MON_OK)
        rc = mon_endpoint_validate(ep);
    if (rc != MON_OK) {
        mon_endpoint_free(ep);
        return rc;
    }
    *out = ep;
    return MON_OK;
}

int mon_endpoint_patch_json(mon_endpoint *ep, const char *json)
{
    mon_endpoint *copy;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = mon_endpoint_dup(&copy, ep);
    if (rc != MON_OK)
        return rc;
    rc = apply_object(copy, json, 0);
    if (rc == MON_OK)
        rc = mon_endpoint_validate(copy);
    if (rc != MON_OK) {
        mon_endpoint_free(copy);
        return rc;
    }
    endpoint_swap_in(ep, copy);
    return MON_OK;
}

int mon_endpoint_validate(const mon_endpoint *ep)
{
    int rc;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if ((rc = mon__endpoint_check_name(ep->name)) != MON_OK ||
        (rc = mon__endpoint_check_url(ep->url)) != MON_OK)
        return rc;
    if (!mon_endpoint_type_name(ep->type))
        return mon__error(MON_EINVAL, "type", "unknown type %d (APIM, DOMAIN or TALEND)", (int)ep->type);
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        if ((rc = check_int((int)i, *(const int *)((const char *)ep + INT_FIELDS[i].offset))) != MON_OK)
            return rc;
    return timeout_fits(ep->timeout_ms, ep->check_interval, "timeout");
}

/* ---- JSON out ---- */

static json_t *time_json(mon_time t)
{
    char text[MON__TIME_TEXT_MAX];
    if (t == 0)
        return json_null();
    mon__time_format(text, t);
    return json_string(text);
}

int mon_endpoint_to_json(char **out, const mon_endpoint *ep)
{
    if (!out || !ep)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    *out = NULL;
    json_t *obj = json_object();
    int ok = obj != NULL;
    struct {
        const char *key;
        json_t *value;
    } fields[] = {
        {"id", ep->id[0] ? json_string(ep->id) : json_null()},
        {"name", ep->name ? json_string(ep->name) : json_null()},
        {"type", json_string(TYPE_NAMES[ep->type])},
        {"url", ep->url ? json_string(ep->url) : json_null()},
        {"check_interval", json_integer(ep->check_interval)},
        {"timeout", json_integer(ep->timeout_ms)},
        {"expected_status", json_integer(ep->expected_status)},
        {"headers", json_loads(ep->headers.json, 0, NULL)},
        {"enabled", json_boolean(ep->enabled)},
        {"method", json_string(ep->method)},
        {"degraded_ms", json_integer(ep->degraded_ms)},
        {"retries", json_integer(ep->retries)},
        {"conditions", json_loads(ep->conditions.json, 0, NULL)},
        {"cert_warn_days", json_integer(ep->cert_warn_days)},
        {"follow_redirects", json_boolean(ep->follow_redirects)},
        {"created_at", time_json(ep->created_at)},
        {"updated_at", time_json(ep->updated_at)},
    };
    /* json_object_set_new() takes each value even when it fails, so every one is released. */
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!ok || !fields[i].value) {
            ok = 0;
            json_decref(fields[i].value);
        } else if (json_object_set_new(obj, fields[i].key, fields[i].value) != 0)
            ok = 0;
    }
    if (ok)
        *out = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return *out ? MON_OK : mon__error_nomem();
}

int mon_endpoint_schema_json(char **out)
{
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    json_t *schema =
        json_pack("{s:{s:s,s:s,s:b,s:b}, s:{s:s,s:i,s:i,s:b}, s:{s:s,s:[sss],s:b},"
                  " s:{s:s,s:i,s:[ss],s:b}}",
                  "id", "type", "string", "format", "uuid", "required", 0, "read_only", 1, "name", "type",
                  "string", "min_length", 1, "max_length", MON_ENDPOINT_NAME_MAX, "required", 1, "type",
                  "type", "string", "enum", "APIM", "DOMAIN", "TALEND", "required", 1, "url", "type",
                  "string", "max_length", MON_ENDPOINT_URL_MAX, "schemes", "http", "https", "required", 1);
    int ok = schema != NULL;
    for (size_t i = 0; ok && i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++) {
        const struct int_field *f = &INT_FIELDS[i];
        json_t *d = json_pack("{s:s,s:i,s:i,s:i,s:b}", "type", "integer", "default", f->def, "min", f->min,
                              "max", f->max, "required", 0);
        ok = d && json_object_set_new(schema, f->name, d) == 0;
        if (ok && f->unit[0])
            ok = json_object_set_new(d, "unit", json_string(f->unit + 1)) == 0;
    }
    ok = ok && json_object_set_new(schema, "method",
                                   json_pack("{s:s,s:s,s:[sssssss],s:b}", "type", "string", "default", "GET",
                                             "enum", METHODS[0], METHODS[1], METHODS[2], METHODS[3],
                                             METHODS[4], METHODS[5], METHODS[6], "required", 0)) == 0;
    ok = ok &&
         json_object_set_new(schema, "headers",
                             json_pack("{s:s,s:{},s:i,s:i,s:i,s:b}", "type", "object", "default", "max_items",
                                       MON__HEADERS_MAX, "max_name_length", MON__HEADER_NAME_MAX,
                                       "max_value_bytes", MON__HEADER_VALUE_MAX, "required", 0)) == 0 &&
         json_object_set_new(schema, "enabled",
                             json_pack("{s:s,s:b,s:b}", "type", "boolean", "default", 1, "required", 0)) ==
             0 &&
         json_object_set_new(schema, "follow_redirects",
                             json_pack("{s:s,s:b,s:b}", "type", "boolean", "default", 0, "required", 0)) ==
             0 &&
         json_object_set_new(
             schema, "conditions",
             json_pack("{s:s,s:[],s:i,s:[ssssss],s:b}", "type", "array", "default", "max_items",
                       MON__CONDITIONS_MAX, "condition_types", mon__condition_types[0],
                       mon__condition_types[1], mon__condition_types[2], mon__condition_types[3],
                       mon__condition_types[4], mon__condition_types[5], "required", 0)) == 0 &&
         json_object_set_new(schema, "created_at",
                             json_pack("{s:s,s:s,s:b,s:b}", "type", "string", "format", "date-time",
                                       "required", 0, "read_only", 1)) == 0 &&
         json_object_set_new(schema, "updated_at",
                             json_pack("{s:s,s:s,s:b,s:b}", "type", "string", "format", "date-time",
                                       "required", 0, "read_only", 1)) == 0;
    if (ok)
        *out = json_dumps(schema, JSON_COMPACT);
    json_decref(schema);
    return *out ? MON_OK : mon__error_nomem();
}

/* ---- getters ---- */

const char *mon_endpoint_get_id(const mon_endpoint *ep)
{
    return ep ? ep->id : "";
}
const char *mon_endpoint_get_name(const mon_endpoint *ep)
{
    return ep && ep->name ? ep->name : "";
}
mon_endpoint_type mon_endpoint_get_type(const mon_endpoint *ep)
{
    return ep ? ep->type : MON_ENDPOINT_APIM;
}
const char *mon_endpoint_get_url(const mon_endpoint *ep)
{
    return ep && ep->url ? ep->url : "";
}
int mon_endpoint_get_check_interval(const mon_endpoint *ep)
{
    return ep ? ep->check_interval : 0;
}
int mon_endpoint_get_timeout_ms(const mon_endpoint *ep)
{
    return ep ? ep->timeout_ms : 0;
}
int mon_endpoint_get_expected_status(const mon_endpoint *ep)
{
    return ep ? ep->expected_status : 0;
}
const char *mon_endpoint_get_headers_json(const mon_endpoint *ep)
{
    return ep ? ep->headers.json : "{}";
}
int mon_endpoint_get_enabled(const mon_endpoint *ep)
{
    return ep ? ep->enabled : 0;
}
const char *mon_endpoint_get_method(const mon_endpoint *ep)
{
    return ep ? ep->method : "GET";
}
int mon_endpoint_get_degraded_ms(const mon_endpoint *ep)
{
    return ep ? ep->degraded_ms : 0;
}
int mon_endpoint_get_retries(const mon_endpoint *ep)
{
    return ep ? ep->retries : 0;
}
const char *mon_endpoint_get_conditions_json(const mon_endpoint *ep)
{
    return ep ? ep->conditions.json : "[]";
}
int mon_endpoint_get_cert_warn_days(const mon_endpoint *ep)
{
    return ep ? ep->cert_warn_days : 0;
}
int mon_endpoint_get_follow_redirects(const mon_endpoint *ep)
{
    return ep ? ep->follow_redirects : 0;
}
mon_time mon_endpoint_get_created_at(const mon_endpoint *ep)
{
    return ep ? ep->created_at : 0;
}
mon_time mon_endpoint_get_updated_at(const mon_endpoint *ep)
{
    return ep ? ep->updated_at : 0;
}

/* ---- private accessors ---- */

size_t mon__endpoint_condition_count(const mon_endpoint *ep)
{
    return ep->conditions.count;
}

const struct mon__condition *mon__endpoint_condition(const mon_endpoint *ep, size_t i)
{
    return i < ep->conditions.count ? &ep->conditions.items[i] : NULL;
}

size_t mon__endpoint_header_count(const mon_endpoint *ep)
{
    return ep->headers.count;
}

const char *mon__endpoint_header_name(const mon_endpoint *ep, size_t i)
{
    return i < ep->headers.count ? ep->headers.items[i].name : NULL;
}

const char *mon__endpoint_header_value(const mon_endpoint *ep, size_t i)
{
    return i < ep->headers.count ? ep->headers.items[i].value : NULL;
}
