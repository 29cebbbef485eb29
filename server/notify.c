/*
 * /api/v1/notification-rules: list, create; /api/v1/notification-rules/{id}:
 * read, change (PATCH merges, PUT too: the channel block is merged key by
 * key so the secret may be left out), delete; /api/v1/notifications: the
 * outbox (docs/notifications.md). Reads need the reader role, changes the
 * admin role. The library writes the audit row of every change it is asked
 * for (notification_rule.*, with this caller as the actor); requests refused
 * before reaching it (403, unreadable body) are audited here.
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "connectors.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

#define RULES_PREFIX "/api/v1/notification-rules/"

/* A change: admin only; the library audits it once it has the body. */
static void rule_change(struct http_request *req, const char *action, const char *id)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    struct srv_principal who;
    char ip[46], *body = NULL, *out = NULL, location[80];
    mon_store *store;
    int rc;

    if (srv_auth_authenticate(req, &who) < 0)
        return;
    if ((who.perms & SRV_PERM_ADMIN) == 0) {
        srv_auth_reply_forbidden(req, SRV_PERM_ADMIN);
        srv_audit_request(req, &who, action, id ? id : "notification_rule", NULL);
        return;
    }
    if (req->method != HTTP_METHOD_DELETE &&
        srv_read_json_body(req, req->method == HTTP_METHOD_PATCH, &body) < 0) {
        srv_audit_request(req, &who, action, id ? id : "notification_rule", NULL);
        return;
    }
    if (!(store = srv_store_or_503(req))) {
        srv_audit_request(req, &who, action, id ? id : "notification_rule", body);
        free(body);
        return;
    }
    srv_audit_actor(&actor, ip, req, &who);
    if (req->method == HTTP_METHOD_POST) {
        rc = mon_notify_rule_create(&out, store, srv_connectors_key(), body, &actor);
        if (rc == MON_OK) {
            json_t *rule = json_loads(out, 0, NULL);
            snprintf(location, sizeof(location), RULES_PREFIX "%s",
                     json_string_value(json_object_get(rule, "id")));
            json_decref(rule);
            http_response_header(req, "location", location);
        }
        srv_reply_library_json(req, rc, 201, out);
    } else if (req->method == HTTP_METHOD_DELETE) {
        if ((rc = mon_notify_rule_delete(store, id, &actor)) != MON_OK)
            srv_reply_lib_error(req, rc);
        else
            srv_reply_empty(req, 204);
    } else {
        rc = mon_notify_rule_update(&out, store, srv_connectors_key(), id, body, &actor);
        srv_reply_library_json(req, rc, 200, out);
    }
    free(body);
}

int page_notification_rules(struct http_request *req)
{
    struct srv_principal who;
    mon_store *store;
    char *out = NULL;

    if (req->method == HTTP_METHOD_POST) {
        rule_change(req, "notification_rule.create", NULL);
    } else if (srv_auth_require(req, SRV_PERM_READ, &who) == 0 && (store = srv_store_or_503(req))) {
        int rc = mon_notify_rule_list_json(&out, store);
        if (rc == MON_OK) {
            json_t *items = json_loads(out, 0, NULL);
            mon_free(out);
            srv_reply_value(req, 200, json_pack("{s:o}", "items", items ? items : json_array()));
        } else {
            srv_reply_lib_error(req, rc);
        }
    }
    return srv_auth_result(req);
}

int page_notification_rule(struct http_request *req)
{
    struct srv_principal who;
    mon_store *store;
    char id[37], *out = NULL;

    if (srv_path_id(req, RULES_PREFIX, id) < 0)
        return KORE_RESULT_OK;
    if (req->method == HTTP_METHOD_DELETE)
        rule_change(req, "notification_rule.delete", id);
    else if (req->method == HTTP_METHOD_PATCH || req->method == HTTP_METHOD_PUT)
        rule_change(req, "notification_rule.update", id);
    else if (srv_auth_require(req, SRV_PERM_READ, &who) == 0 && (store = srv_store_or_503(req))) {
        int rc = mon_notify_rule_get_json(&out, store, id);
        srv_reply_library_json(req, rc, 200, out);
    }
    return srv_auth_result(req);
}

int page_notifications(struct http_request *req)
{
    static const char *const allowed[] = {"status", "incident_id", "limit", NULL};
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    const char *v;
    char *out = NULL;
    long limit = 100;
    int rc;

    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || srv_query_parse(req, allowed, &q) < 0)
        return srv_auth_result(req);
    if (((v = srv_query_get(&q, "limit")) && srv_parse_long(req, "limit", v, 1, 1000, &limit) < 0) ||
        !(store = srv_store_or_503(req))) {
        srv_query_free(&q);
        return KORE_RESULT_OK;
    }
    rc = mon_notify_outbox_json(&out, store, srv_query_get(&q, "status"), srv_query_get(&q, "incident_id"),
                                (size_t)limit);
    srv_query_free(&q);
    if (rc == MON_OK) {
        json_t *items = json_loads(out, 0, NULL);
        srv_reply_value(req, 200, json_pack("{s:o}", "items", items ? items : json_array()));
    } else {
        srv_reply_lib_error(req, rc);
    }
    mon_free(out);
    return KORE_RESULT_OK;
}
