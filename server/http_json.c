#include <kore/kore.h>
#include <kore/http.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_json.h"
#include "metrics.h"
#include "server.h"

/* Kept for the audit row of the request being answered (a worker is one thread). */
static char last_error[512];

const char *srv_last_error_message(void)
{
    return last_error;
}

void srv_reply_json(struct http_request *req, int status, const char *json, size_t len)
{
    if (status < 400)
        last_error[0] = '\0';
    srv_metrics_count(req, status);
    http_response_header(req, "content-type", "application/json");
    http_response_header(req, "cache-control", "no-store");
    http_response(req, status, json, len);
}

void srv_reply_value(struct http_request *req, int status, json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    json_decref(value);
    if (!text) {
        srv_log("out of memory serializing a response");
        srv_metrics_count(req, 500);
        http_response(req, 500, NULL, 0);
        return;
    }
    srv_reply_json(req, status, text, strlen(text));
    free(text);
}

void srv_reply_empty(struct http_request *req, int status)
{
    last_error[0] = '\0';
    srv_metrics_count(req, status);
    http_response(req, status, NULL, 0);
}

void srv_reply_error(struct http_request *req, int status, const char *code, const char *field,
                     const char *fmt, ...)
{
    char message[512];
    va_list ap;
    json_t *error;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof(last_error));
    error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (error && field && *field)
        json_object_set_new(error, "field", json_string(field));
    srv_reply_value(req, status, error ? json_pack("{s:o}", "error", error) : NULL);
}

void srv_reply_lib_error(struct http_request *req, int rc)
{
    srv_reply_code_error(req, rc, mon_error_last(), mon_error_field());
}

void srv_reply_code_error(struct http_request *req, int rc, const char *detail, const char *field)
{
    switch (rc) {
    case MON_EINVAL:
        srv_reply_error(req, 400, "invalid_field", field, "%s", detail);
        break;
    case MON_ENOTFOUND:
        srv_reply_error(req, 404, "not_found", NULL, "%s", detail);
        break;
    case MON_EEXISTS:
        srv_reply_error(req, 409, "conflict", field, "%s", detail);
        break;
    case MON_EFORBIDDEN:
        srv_reply_error(req, 403, "forbidden", NULL, "%s", detail);
        break;
    case MON_ECONN:
        srv_reply_error(req, 503, "database_unavailable", NULL, "the database is unreachable");
        break;
    case MON_EFULL:
        srv_reply_error(req, 503, "storage_full", NULL, "the database is out of disk space");
        break;
    case MON_EBUSY:
        srv_reply_error(req, 503, "database_busy", NULL, "the database is out of resources; retry later");
        break;
    case MON_EVERSION:
        srv_reply_error(req, 503, "schema_mismatch", NULL, "%s", detail);
        break;
    case MON_EDISABLED:
        srv_reply_error(req, 409, "disabled", field, "%s", detail);
        break;
    case MON_ESTATE:
        srv_reply_error(req, 409, "not_configured", field, "%s", detail);
        break;
    case MON_EKEY:
    case MON_EWRONGKEY:
        srv_reply_error(req, 503, "encryption_key_unavailable", NULL,
                        "the server has no usable ENCRYPTION_KEY for these credentials");
        break;
    case MON_EAUTH:
        srv_reply_error(req, 502, "upstream_auth", NULL, "%s", detail);
        break;
    case MON_EUPSTREAM:
    case MON_ENET:
    case MON_EPROTO:
        srv_reply_error(req, 502, "upstream_error", NULL, "%s", detail);
        break;
    case MON_ERATELIMITED:
        srv_reply_error(req, 503, "upstream_rate_limited", NULL, "%s", detail);
        break;
    case MON_ETIMEOUT:
        srv_reply_error(req, 504, "upstream_timeout", NULL, "%s", detail);
        break;
    default:
        srv_log("%s %s: %s: %s", http_method_text(req->method), req->path, mon_error_name(rc), detail);
        srv_reply_error(req, 500, "internal", NULL, "internal error (%s)", mon_error_name(rc));
        break;
    }
}

static int content_type_is(const char *value, const char *type)
{
    size_t n = strlen(type);

    while (*value == ' ')
        value++;
    if (strncasecmp(value, type, n) != 0)
        return 0;
    value += n;
    while (*value == ' ')
        value++;
    return *value == '\0' || *value == ';';
}

int srv_read_json_body(struct http_request *req, int allow_merge_patch, char **out)
{
    const char *ctype = NULL;
    char *body;
    size_t len = 0;
    ssize_t got;
    json_error_t jerr;
    json_t *parsed;

    *out = NULL;
    if (!http_request_header(req, "content-type", &ctype) ||
        !(content_type_is(ctype, "application/json") ||
          (allow_merge_patch && content_type_is(ctype, "application/merge-patch+json")))) {
        srv_reply_error(req, 415, "unsupported_media_type", NULL, "the body must be application/json%s",
                        allow_merge_patch ? " or application/merge-patch+json" : "");
        return -1;
    }
    if (req->content_length > SRV_BODY_MAX) {
        srv_reply_error(req, 413, "payload_too_large", NULL, "the body exceeds %d bytes", SRV_BODY_MAX);
        return -1;
    }
    if (!(body = malloc(SRV_BODY_MAX + 1))) {
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return -1;
    }
    while ((got = http_body_read(req, body + len, SRV_BODY_MAX + 1 - len)) > 0) {
        len += (size_t)got;
        if (len > SRV_BODY_MAX)
            break;
    }
    if (got < 0 || len > SRV_BODY_MAX) {
        free(body);
        srv_reply_error(req, got < 0 ? 400 : 413, got < 0 ? "bad_request" : "payload_too_large", NULL,
                        got < 0 ? "the body could not be read" : "the body exceeds %d bytes", SRV_BODY_MAX);
        return -1;
    }
    body[len] = '\0';
    if (len == 0 || memchr(body, '\0', len)) {
        free(body);
        srv_reply_error(req, 400, "invalid_json", "body",
                        len ? "the body contains a NUL byte"
                            : "the body is empty: a JSON object is required");
        return -1;
    }
    /* Parsed once here so the error names the line and column; the library
     * parses its own copy. */
    if (!(parsed = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr))) {
        free(body);
        srv_reply_error(req, 400, "invalid_json", "body", "line %d column %d: %s", jerr.line, jerr.column,
                        jerr.text);
        return -1;
    }
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        free(body);
        srv_reply_error(req, 400, "invalid_json", "body", "the body must be a JSON object");
        return -1;
    }
    json_decref(parsed);
    *out = body;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode %XX and '+' in place; -1 for a bad escape or a NUL byte. */
static int url_decode(char *s)
{
    char *w = s;

    for (; *s; s++) {
        if (*s == '+') {
            *w++ = ' ';
        } else if (*s == '%') {
            int hi = hexval((unsigned char)s[1]), lo = hi < 0 ? -1 : hexval((unsigned char)s[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return 0;
}

int srv_query_parse(struct http_request *req, const char *const *allowed, struct srv_query *q)
{
    char *save = NULL, *pair;

    memset(q, 0, sizeof(*q));
    if (!req->query_string || !*req->query_string)
        return 0;
    if (!(q->buffer = strdup(req->query_string))) {
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return -1;
    }
    for (pair = strtok_r(q->buffer, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *value = strchr(pair, '=');
        size_t i;
        int known = 0;

        if (value)
            *value++ = '\0';
        else
            value = pair + strlen(pair);
        if (url_decode(pair) < 0 || url_decode(value) < 0) {
            srv_reply_error(req, 400, "invalid_query", pair, "bad percent-encoding in the query string");
            goto fail;
        }
        for (i = 0; allowed[i]; i++)
            known |= strcmp(allowed[i], pair) == 0;
        if (!known) {
            srv_reply_error(req, 400, "invalid_query", pair, "unknown query parameter");
            goto fail;
        }
        if (srv_query_get(q, pair)) {
            srv_reply_error(req, 400, "invalid_query", pair, "query parameter given twice");
            goto fail;
        }
        if (q->count == SRV_QUERY_MAX) {
            srv_reply_error(req, 400, "invalid_query", NULL, "too many query parameters");
            goto fail;
        }
        q->names[q->count] = pair;
        q->values[q->count++] = value;
    }
    return 0;
fail:
    srv_query_free(q);
    return -1;
}

const char *srv_query_get(const struct srv_query *q, const char *name)
{
    size_t i;

    for (i = 0; i < q->count; i++)
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    return NULL;
}

void srv_query_free(struct srv_query *q)
{
    free(q->buffer);
    memset(q, 0, sizeof(*q));
}

int srv_parse_long(struct http_request *req, const char *field, const char *text, long min, long max,
                   long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max || isspace((unsigned char)*text)) {
        srv_reply_error(req, 400, "invalid_query", field, "must be an integer from %ld to %ld", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int srv_query_endpoint_selection(struct http_request *req, const struct srv_query *q, long limit_max,
                                 int *type, int *enabled, int *status, size_t *limit, size_t *offset)
{
    const char *v;
    long n;

    if ((v = srv_query_get(q, "type")) != NULL) {
        mon_endpoint_type t;
        if (mon_endpoint_type_parse(&t, v) != MON_OK) {
            srv_reply_error(req, 400, "invalid_query", "type", "must be APIM, DOMAIN or TALEND");
            return -1;
        }
        *type = (int)t;
    }
    if ((v = srv_query_get(q, "enabled")) != NULL) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            srv_reply_error(req, 400, "invalid_query", "enabled", "must be true or false");
            return -1;
        }
        *enabled = strcmp(v, "true") == 0;
    }
    if ((v = srv_query_get(q, "status")) != NULL) {
        mon_status s;
        if (mon_status_parse(&s, v) != MON_OK) {
            srv_reply_error(req, 400, "invalid_query", "status", "must be UP, DOWN, DEGRADED or UNKNOWN");
            return -1;
        }
        *status = (int)s;
    }
    if ((v = srv_query_get(q, "limit")) != NULL) {
        if (srv_parse_long(req, "limit", v, 1, limit_max, &n) < 0)
            return -1;
        *limit = (size_t)n;
    }
    if ((v = srv_query_get(q, "offset")) != NULL) {
        if (srv_parse_long(req, "offset", v, 0, 100000000L, &n) < 0)
            return -1;
        *offset = (size_t)n;
    }
    return 0;
}

int srv_path_id(struct http_request *req, const char *prefix, char out[37])
{
    /* Kore compiles route regexes with REG_NOSUB: no capture groups, so the
     * id is cut from the path the route matched. */
    size_t i, n = strlen(prefix);
    const char *p = req->path;

    if (strncmp(p, prefix, n) != 0 || strlen(p + n) < 36 || (p[n + 36] != '\0' && p[n + 36] != '/'))
        goto not_found;
    for (i = 0; i < 36; i++) {
        char c = p[n + i];
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : hexval((unsigned char)c) < 0)
            goto not_found;
        out[i] = (char)tolower((unsigned char)c);
    }
    out[36] = '\0';
    return 0;
not_found:
    srv_reply_error(req, 404, "not_found", "id", "no such endpoint");
    return -1;
}

void srv_reply_library_json(struct http_request *req, int rc, int status, char *json)
{
    if (rc != MON_OK)
        srv_reply_lib_error(req, rc);
    else
        srv_reply_json(req, status, json, strlen(json));
    mon_free(json);
}

mon_store *srv_store_or_503(struct http_request *req)
{
    mon_store *store = srv_store();

    if (!store)
        srv_reply_error(req, 503, "database_unavailable", NULL, "the database is unreachable");
    return store;
}
