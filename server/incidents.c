/*
 * Incidents (docs/incidents.md): GET /api/v1/incidents, /api/v1/incidents/{id},
 * /api/v1/endpoints/{id}/incidents (reader role); the thresholds:
 * /api/v1/incident-policy and /api/v1/endpoints/{id}/incident-policy (GET
 * reader, PATCH admin). The library writes the audit row of every policy
 * change it is asked for (incident_policy.set, with this caller as the
 * actor); requests refused before reaching it are audited here.
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

#define INCIDENTS_PREFIX "/api/v1/incidents/"
#define ENDPOINTS_PREFIX "/api/v1/endpoints/"

/* A page of incidents; endpoint_id from the path, or NULL to read it from the query. */
static void incidents_list(struct http_request *req, const char *endpoint_id)
{
    static const char *const allowed[] = {"endpoint_id", "state", "from", "to", "limit", "cursor", NULL};
    static const char *const times[] = {"from", "to"};
    mon_incident_filter filter = MON_INCIDENT_FILTER_INIT;
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    const char *v;
    char *out = NULL;
    long limit;

    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || srv_query_parse(req, allowed, &q) < 0)
        return;
    filter.endpoint_id = endpoint_id ? endpoint_id : srv_query_get(&q, "endpoint_id");
    filter.cursor = srv_query_get(&q, "cursor");
    if (endpoint_id && srv_query_get(&q, "endpoint_id")) {
        srv_reply_error(req, 400, "invalid_query", "endpoint_id", "is given by the path");
        goto done;
    }
    if ((v = srv_query_get(&q, "state")) != NULL) {
        if (strcmp(v, "open") != 0 && strcmp(v, "resolved") != 0) {
            srv_reply_error(req, 400, "invalid_query", "state", "must be open or resolved");
            goto done;
        }
        filter.open = strcmp(v, "open") == 0;
    }
    for (size_t i = 0; i < 2; i++) {
        mon_time *t = i == 0 ? &filter.from : &filter.to;
        if ((v = srv_query_get(&q, times[i])) != NULL && mon_time_parse(t, v) != MON_OK) {
            srv_reply_error(req, 400, "invalid_query", times[i], "must be an RFC 3339 time");
            goto done;
        }
    }
    if ((v = srv_query_get(&q, "limit")) != NULL) {
        if (srv_parse_long(req, "limit", v, 1, 1000, &limit) < 0)
            goto done;
        filter.limit = (size_t)limit;
    }
    if ((store = srv_store_or_503(req)) != NULL) {
        int rc = mon_incident_list_json(&out, store, &filter);
        /* An unknown endpoint in the path is a 404 of the path, in the query a bad parameter. */
        if (rc == MON_ENOTFOUND && !endpoint_id)
            srv_reply_error(req, 400, "invalid_query", "endpoint_id", "no endpoint has this id");
        else
            srv_reply_library_json(req, rc, 200, out);
    }
done:
    srv_query_free(&q);
}

int page_incidents(struct http_request *req)
{
    incidents_list(req, NULL);
    return srv_auth_result(req);
}

int page_endpoint_incidents(struct http_request *req)
{
    char id[37];

    if (srv_path_id(req, ENDPOINTS_PREFIX, id) == 0)
        incidents_list(req, id);
    return srv_auth_result(req);
}

int page_incident(struct http_request *req)
{
    struct srv_principal who;
    mon_store *store;
    char id[37], *out = NULL;
    int rc;

    if (srv_path_id(req, INCIDENTS_PREFIX, id) < 0 || srv_auth_require(req, SRV_PERM_READ, &who) < 0 ||
        !(store = srv_store_or_503(req)))
        return srv_auth_result(req);
    rc = mon_incident_get_json(&out, store, id);
    srv_reply_library_json(req, rc, 200, out);
    return KORE_RESULT_OK;
}

/* GET (reader) or PATCH (admin, audited by the library) the policy of endpoint_id (NULL: global). */
static void policy(struct http_request *req, const char *endpoint_id)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    struct srv_principal who;
    const char *target = endpoint_id ? endpoint_id : "global";
    char ip[46], *body = NULL, *out = NULL;
    mon_store *store;
    int rc;

    if (req->method == HTTP_METHOD_GET) {
        if (srv_auth_require(req, SRV_PERM_READ, &who) == 0 && (store = srv_store_or_503(req))) {
            rc = mon_incident_policy_get_json(&out, store, endpoint_id);
            srv_reply_library_json(req, rc, 200, out);
        }
        return;
    }
    if (srv_auth_authenticate(req, &who) < 0)
        return;
    if ((who.perms & SRV_PERM_ADMIN) == 0) {
        srv_auth_reply_forbidden(req, SRV_PERM_ADMIN);
        srv_audit_request(req, &who, "incident_policy.set", target, NULL);
        return;
    }
    if (srv_read_json_body(req, 1, &body) < 0 || !(store = srv_store_or_503(req))) {
        srv_audit_request(req, &who, "incident_policy.set", target, body);
        free(body);
        return;
    }
    srv_audit_actor(&actor, ip, req, &who);
    rc = mon_incident_policy_set(&out, store, endpoint_id, body, &actor);
    srv_reply_library_json(req, rc, 200, out);
    free(body);
}

int page_incident_policy(struct http_request *req)
{
    policy(req, NULL);
    return srv_auth_result(req);
}

int page_endpoint_incident_policy(struct http_request *req)
{
    char id[37];

    if (srv_path_id(req, ENDPOINTS_PREFIX, id) == 0)
        policy(req, id);
    return srv_auth_result(req);
}
