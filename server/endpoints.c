/*
 * /api/v1/endpoints: list, create; /api/v1/endpoints/{id}: read, replace
 * (PUT), patch, delete; /api/v1/endpoints/{id}/history and /uptime.
 * Reads need the reader role, changes the admin role; every change is audited.
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

#define ENDPOINTS_PREFIX "/api/v1/endpoints/"

/* Reply status with the endpoint's JSON. */
static void reply_endpoint(struct http_request *req, int status, const mon_endpoint *ep)
{
    char *json = NULL;
    int rc = mon_endpoint_to_json(&json, ep);

    if (rc != MON_OK) {
        srv_reply_lib_error(req, rc);
        return;
    }
    srv_reply_json(req, status, json, strlen(json));
    mon_free(json);
}

/* Header values may hold API keys: callers without the admin role see the
 * header names only, each value replaced by "[REDACTED]" (docs/server.md). */
static void redact_headers(json_t *endpoint)
{
    json_t *headers = json_object_get(endpoint, "headers"), *value;
    const char *name;

    json_object_foreach(headers, name, value)
    {
        json_object_set_new(headers, name, json_string("[REDACTED]"));
    }
}

/* Reply 200 with the endpoint's JSON as a caller with perms may see it. */
static void reply_endpoint_to(struct http_request *req, const mon_endpoint *ep, unsigned int perms)
{
    char *json = NULL;
    json_t *value;
    int rc;

    if ((perms & SRV_PERM_ADMIN) || strcmp(mon_endpoint_get_headers_json(ep), "{}") == 0) {
        reply_endpoint(req, 200, ep);
        return;
    }
    if ((rc = mon_endpoint_to_json(&json, ep)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        return;
    }
    value = json_loads(json, 0, NULL);
    mon_free(json);
    redact_headers(value);
    srv_reply_value(req, 200, value);
}

/* ------------------------------------------------------------------ list */

static void endpoints_list(struct http_request *req)
{
    static const char *const allowed[] = {"type", "enabled", "status", "limit", "offset", NULL};
    mon_endpoint_filter filter = MON_ENDPOINT_FILTER_INIT;
    mon_endpoint_list *list = NULL;
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    json_t *items, *item;
    size_t i;
    int rc;

    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || srv_query_parse(req, allowed, &q) < 0)
        return;
    rc = srv_query_endpoint_selection(req, &q, 1000, &filter.type, &filter.enabled, &filter.status,
                                      &filter.limit, &filter.offset);
    srv_query_free(&q);
    if (rc < 0 || !(store = srv_store_or_503(req)))
        return;
    if ((rc = mon_store_endpoint_list(&list, store, &filter)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        return;
    }
    items = json_array();
    for (i = 0; i < mon_endpoint_list_count(list); i++) {
        char *json = NULL;
        if ((rc = mon_endpoint_to_json(&json, mon_endpoint_list_at(list, i))) != MON_OK)
            break;
        item = json_loads(json, 0, NULL);
        mon_free(json);
        if ((who.perms & SRV_PERM_ADMIN) == 0)
            redact_headers(item);
        json_array_append_new(items, item);
    }
    if (rc != MON_OK) {
        json_decref(items);
        mon_endpoint_list_free(list);
        srv_reply_lib_error(req, rc);
        return;
    }
    srv_reply_value(req, 200,
                    json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
                              (json_int_t)mon_endpoint_list_total(list), "limit", (json_int_t)filter.limit,
                              "offset", (json_int_t)filter.offset));
    mon_endpoint_list_free(list);
}

/* --------------------------------------------------------------- changes */

/* Each change: check the role, read the body, call the store, reply; the
 * caller audits whatever happened. *body and id receive what to audit. */

static void endpoint_create(struct http_request *req, char **body, char id[37])
{
    mon_endpoint *ep = NULL;
    mon_store *store;
    char location[64];
    int rc;

    if (srv_read_json_body(req, 0, body) < 0 || !(store = srv_store_or_503(req)))
        return;
    if ((rc = mon_endpoint_from_json(&ep, *body)) != MON_OK ||
        (rc = mon_store_endpoint_create(store, ep)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        mon_endpoint_free(ep);
        return;
    }
    snprintf(id, 37, "%s", mon_endpoint_get_id(ep));
    snprintf(location, sizeof(location), "/api/v1/endpoints/%s", id);
    http_response_header(req, "location", location);
    reply_endpoint(req, 201, ep);
    mon_endpoint_free(ep);
}

static void endpoint_replace(struct http_request *req, const char *id, char **body)
{
    mon_endpoint *ep = NULL;
    mon_store *store;
    int rc;

    if (srv_read_json_body(req, 0, body) < 0 || !(store = srv_store_or_503(req)))
        return;
    if ((rc = mon_endpoint_from_json(&ep, *body)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        return;
    }
    if (*mon_endpoint_get_id(ep) && strcmp(mon_endpoint_get_id(ep), id) != 0) {
        srv_reply_error(req, 400, "invalid_field", "id", "the body's id differs from the path's");
    } else if ((rc = mon_endpoint_set_id(ep, id)) != MON_OK ||
               (rc = mon_store_endpoint_update(store, ep)) != MON_OK) {
        srv_reply_lib_error(req, rc);
    } else {
        reply_endpoint(req, 200, ep);
    }
    mon_endpoint_free(ep);
}

static void endpoint_patch(struct http_request *req, const char *id, char **body)
{
    mon_endpoint *ep = NULL;
    mon_store *store;
    int rc;

    if (srv_read_json_body(req, 1, body) < 0 || !(store = srv_store_or_503(req)))
        return;
    if ((rc = mon_store_endpoint_get(&ep, store, id)) != MON_OK ||
        (rc = mon_endpoint_patch_json(ep, *body)) != MON_OK ||
        (rc = mon_store_endpoint_update(store, ep)) != MON_OK)
        srv_reply_lib_error(req, rc);
    else
        reply_endpoint(req, 200, ep);
    mon_endpoint_free(ep);
}

static void endpoint_delete(struct http_request *req, const char *id)
{
    mon_store *store;
    int rc;

    if (!(store = srv_store_or_503(req)))
        return;
    if ((rc = mon_store_endpoint_delete(store, id)) != MON_OK)
        srv_reply_lib_error(req, rc);
    else
        srv_reply_empty(req, 204);
}

/* Authenticate (401 unaudited), then run a change under the admin role and
 * audit it, including a refusal. */
static void audited_change(struct http_request *req, const char *action, const char *path_id)
{
    struct srv_principal who;
    char *body = NULL, id[37] = "";

    if (srv_auth_authenticate(req, &who) < 0)
        return;
    if (path_id)
        snprintf(id, sizeof(id), "%s", path_id);
    if ((who.perms & SRV_PERM_ADMIN) == 0)
        srv_auth_reply_forbidden(req, SRV_PERM_ADMIN);
    else if (req->method == HTTP_METHOD_POST)
        endpoint_create(req, &body, id);
    else if (req->method == HTTP_METHOD_PUT)
        endpoint_replace(req, id, &body);
    else if (req->method == HTTP_METHOD_PATCH)
        endpoint_patch(req, id, &body);
    else
        endpoint_delete(req, id);
    srv_audit_request(req, &who, action, *id ? id : "endpoints", body);
    free(body);
}

/* ------------------------------------------------------------- handlers */

int page_endpoints(struct http_request *req)
{
    if (req->method == HTTP_METHOD_POST)
        audited_change(req, "endpoint.create", NULL);
    else
        endpoints_list(req);
    return srv_auth_result(req);
}

int page_endpoint(struct http_request *req)
{
    struct srv_principal who;
    mon_endpoint *ep = NULL;
    mon_store *store;
    char id[37];
    int rc;

    if (srv_path_id(req, ENDPOINTS_PREFIX, id) < 0)
        return KORE_RESULT_OK;
    switch (req->method) {
    case HTTP_METHOD_PUT:
        audited_change(req, "endpoint.update", id);
        break;
    case HTTP_METHOD_PATCH:
        audited_change(req, "endpoint.patch", id);
        break;
    case HTTP_METHOD_DELETE:
        audited_change(req, "endpoint.delete", id);
        break;
    default:
        if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || !(store = srv_store_or_503(req)))
            break;
        if ((rc = mon_store_endpoint_get(&ep, store, id)) != MON_OK)
            srv_reply_lib_error(req, rc);
        else
            reply_endpoint_to(req, ep, who.perms);
        mon_endpoint_free(ep);
        break;
    }
    return srv_auth_result(req);
}

/* The endpoint must exist for its history or uptime: 404 otherwise. */
static mon_store *existing_endpoint(struct http_request *req, const char *id)
{
    mon_endpoint *ep = NULL;
    mon_store *store = srv_store_or_503(req);
    int rc;

    if (!store)
        return NULL;
    if ((rc = mon_store_endpoint_get(&ep, store, id)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        return NULL;
    }
    mon_endpoint_free(ep);
    return store;
}

static int parse_time(struct http_request *req, const struct srv_query *q, const char *name, mon_time *out)
{
    const char *v = srv_query_get(q, name);

    *out = 0;
    if (v && mon_time_parse(out, v) != MON_OK) {
        srv_reply_error(req, 400, "invalid_query", name,
                        "must be an RFC 3339 time, e.g. 2026-11-24T14:00:00Z");
        return -1;
    }
    return 0;
}

int page_endpoint_history(struct http_request *req)
{
    static const char *const allowed[] = {"from", "to", "limit", NULL};
    mon_history_list *list = NULL;
    struct srv_principal who;
    struct srv_query q;
    mon_time from, to;
    mon_store *store;
    const char *v;
    char id[37], *json = NULL;
    long limit = 100;
    int rc;

    if (srv_path_id(req, ENDPOINTS_PREFIX, id) < 0 || srv_auth_require(req, SRV_PERM_READ, &who) < 0 ||
        srv_query_parse(req, allowed, &q) < 0)
        return srv_auth_result(req);
    rc = parse_time(req, &q, "from", &from) < 0 || parse_time(req, &q, "to", &to) < 0 ||
         ((v = srv_query_get(&q, "limit")) && srv_parse_long(req, "limit", v, 1, 10000, &limit) < 0);
    srv_query_free(&q);
    if (rc)
        return KORE_RESULT_OK;
    if (from && to && from >= to) {
        srv_reply_error(req, 400, "invalid_query", "to", "must be after from");
        return KORE_RESULT_OK;
    }
    if (!(store = existing_endpoint(req, id)))
        return KORE_RESULT_OK;
    if ((rc = mon_store_history(&list, store, id, from, to, (size_t)limit)) != MON_OK ||
        (rc = mon_history_list_to_json(&json, list)) != MON_OK) {
        srv_reply_lib_error(req, rc);
    } else {
        json_t *items = json_loads(json, 0, NULL);
        srv_reply_value(req, 200,
                        json_pack("{s:s, s:o}", "endpoint_id", id, "items", items ? items : json_array()));
    }
    mon_free(json);
    mon_history_list_free(list);
    return KORE_RESULT_OK;
}

int page_endpoint_uptime(struct http_request *req)
{
    static const char *const allowed[] = {"window", NULL};
    static const struct {
        const char *name;
        int64_t seconds;
    } windows[] = {{"24h", 86400}, {"7d", 7 * 86400}, {"30d", 30 * 86400}};
    mon_uptime_list *list = NULL;
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    const char *window;
    char id[37], *json = NULL;
    int64_t seconds = 0;
    size_t i;
    int rc;

    if (srv_path_id(req, ENDPOINTS_PREFIX, id) < 0 || srv_auth_require(req, SRV_PERM_READ, &who) < 0 ||
        srv_query_parse(req, allowed, &q) < 0)
        return srv_auth_result(req);
    window = srv_query_get(&q, "window");
    for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
        if (strcmp(window ? window : "24h", windows[i].name) == 0) {
            seconds = windows[i].seconds;
            window = windows[i].name;
        }
    srv_query_free(&q);
    if (!seconds) {
        srv_reply_error(req, 400, "invalid_query", "window", "must be 24h, 7d or 30d");
        return KORE_RESULT_OK;
    }
    if (!(store = existing_endpoint(req, id)))
        return KORE_RESULT_OK;
    if ((rc = mon_store_uptime(&list, store, id, seconds)) != MON_OK ||
        (rc = mon_uptime_list_to_json(&json, list)) != MON_OK) {
        srv_reply_lib_error(req, rc);
    } else {
        json_t *all = json_loads(json, 0, NULL), *one = json_array_get(all, 0);
        if (json_is_object(one)) {
            json_object_set_new(one, "window", json_string(window));
            srv_reply_value(req, 200, json_incref(one));
        } else {
            srv_reply_error(req, 404, "not_found", "id", "no uptime for this endpoint");
        }
        json_decref(all);
    }
    mon_free(json);
    mon_uptime_list_free(list);
    return KORE_RESULT_OK;
}
