#include <kore/kore.h>
#include <kore/http.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

/* The client address as text; "" when it has none (a unix socket). */
static void client_ip(const struct http_request *req, char out[INET6_ADDRSTRLEN])
{
    const struct connection *c = req->owner;

    out[0] = '\0';
    if (c->family == AF_INET)
        inet_ntop(AF_INET, &c->addr.ipv4.sin_addr, out, INET6_ADDRSTRLEN);
    else if (c->family == AF_INET6)
        inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out, INET6_ADDRSTRLEN);
}

/* The parameters object: the body when it is a JSON object, else a note. */
static char *parameters_of(const char *body)
{
    json_t *parsed = body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL, *params;
    char *text;

    if (json_is_object(parsed) && strlen(body) <= MON_AUDIT_JSON_MAX / 2) {
        params = json_pack("{s:O}", "body", parsed);
    } else if (body) {
        params = json_pack("{s:b, s:I}", "body_not_recorded", 1, (json_int_t)strlen(body));
    } else {
        params = json_object();
    }
    json_decref(parsed);
    text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    return text;
}

void srv_audit_actor(mon_audit_entry *e, char ip[46], struct http_request *req, const struct srv_principal *who)
{
    client_ip(req, ip);
    e->user_id = who->user_id;
    e->user_email = *who->email ? who->email : who->user_id;
    e->user_roles_json = who->roles_json;
    e->ip_address = *ip ? ip : NULL;
    e->user_agent = req->agent;
}

void srv_audit_request(struct http_request *req, const struct srv_principal *who, const char *action,
                       const char *target, const char *body)
{
    mon_audit_entry e = MON_AUDIT_ENTRY_INIT;
    char ip[INET6_ADDRSTRLEN], *params = parameters_of(body);
    mon_store *store = srv_store();
    int rc;

    srv_audit_actor(&e, ip, req, who);
    e.action = action;
    e.target = target;
    e.parameters_json = params;
    e.result = req->status < 400 ? MON_AUDIT_SUCCESS : MON_AUDIT_FAILURE;
    e.error_message = req->status < 400 ? NULL : srv_last_error_message();
    rc = store ? mon_audit_append(NULL, store, &e) : MON_ECONN;
    if (rc != MON_OK)
        srv_log("audit: could not record %s on %s by %s (HTTP %d): %s: %s", action, target, who->user_id,
                (int)req->status, mon_error_name(rc), store ? mon_error_last() : "no database connection");
    free(params);
}

void srv_audited_change(struct http_request *req, const struct srv_audited_resource *res, const char *action,
                        const char *id)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    struct srv_principal who;
    const char *target = id ? id : res->kind;
    char ip[46], *body = NULL, *out = NULL, location[80];
    mon_store *store;
    int rc;

    if (srv_auth_authenticate(req, &who) < 0)
        return;
    if ((who.perms & SRV_PERM_ADMIN) == 0) {
        srv_auth_reply_forbidden(req, SRV_PERM_ADMIN);
        srv_audit_request(req, &who, action, target, NULL);
        return;
    }
    if (req->method != HTTP_METHOD_DELETE &&
        srv_read_json_body(req, req->method == HTTP_METHOD_PATCH, &body) < 0) {
        srv_audit_request(req, &who, action, target, NULL);
        return;
    }
    if (!(store = srv_store_or_503(req))) {
        srv_audit_request(req, &who, action, target, body);
        free(body);
        return;
    }
    srv_audit_actor(&actor, ip, req, &who);
    if (req->method == HTTP_METHOD_POST) {
        rc = res->create(&out, store, body, &actor);
        if (rc == MON_OK) {
            json_t *created = json_loads(out, 0, NULL);
            snprintf(location, sizeof(location), "%s%s", res->prefix,
                     json_string_value(json_object_get(created, "id")));
            json_decref(created);
            http_response_header(req, "location", location);
        }
        srv_reply_library_json(req, rc, 201, out);
    } else if (req->method == HTTP_METHOD_DELETE) {
        if ((rc = res->remove(store, id, &actor)) != MON_OK)
            srv_reply_lib_error(req, rc);
        else
            srv_reply_empty(req, 204);
    } else {
        rc = res->update(&out, store, id, body, &actor);
        srv_reply_library_json(req, rc, 200, out);
    }
    free(body);
}
