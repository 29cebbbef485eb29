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

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "connectors.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

#define RULES_PREFIX "/api/v1/notification-rules/"

/* The rule calls with the worker's encryption key, which seals webhook secrets. */
static int rule_create(char **out, mon_store *store, const char *body, const mon_audit_entry *actor)
{
    return mon_notify_rule_create(out, store, srv_connectors_key(), body, actor);
}

static int rule_update(char **out, mon_store *store, const char *id, const char *body,
                       const mon_audit_entry *actor)
{
    return mon_notify_rule_update(out, store, srv_connectors_key(), id, body, actor);
}

static const struct srv_audited_resource rules = {
    RULES_PREFIX, "notification_rule", rule_create, rule_update, mon_notify_rule_delete,
};

int page_notification_rules(struct http_request *req)
{
    struct srv_principal who;
    mon_store *store;
    char *out = NULL;

    if (req->method == HTTP_METHOD_POST) {
        srv_audited_change(req, &rules, "notification_rule.create", NULL);
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
        srv_audited_change(req, &rules, "notification_rule.delete", id);
    else if (req->method == HTTP_METHOD_PATCH || req->method == HTTP_METHOD_PUT)
        srv_audited_change(req, &rules, "notification_rule.update", id);
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
