/*
 * /api/v1/maintenance-windows: list (?endpoint_id=), create;
 * /api/v1/maintenance-windows/{id}: read, change (PATCH and PUT merge the
 * fields given into the stored window), delete (docs/incidents.md). Reads
 * need the reader role, changes the admin role. The library writes the audit
 * row of every change it is asked for (maintenance_window.*, with this caller
 * as the actor); requests refused before reaching it are audited here.
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "request_audit.h"
#include "server.h"

#define WINDOWS_PREFIX "/api/v1/maintenance-windows/"

static const struct srv_audited_resource windows = {
    WINDOWS_PREFIX, "maintenance_window", mon_maintenance_create, mon_maintenance_update, mon_maintenance_delete,
};

int page_maintenance_windows(struct http_request *req)
{
    static const char *const allowed[] = {"endpoint_id", NULL};
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    char *out = NULL;
    int rc;

    if (req->method == HTTP_METHOD_POST) {
        srv_audited_change(req, &windows, "maintenance_window.create", NULL);
        return srv_auth_result(req);
    }
    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || srv_query_parse(req, allowed, &q) < 0)
        return srv_auth_result(req);
    if ((store = srv_store_or_503(req)) != NULL) {
        rc = mon_maintenance_list_json(&out, store, srv_query_get(&q, "endpoint_id"));
        if (rc == MON_OK) {
            json_t *items = json_loads(out, 0, NULL);
            srv_reply_value(req, 200, json_pack("{s:o}", "items", items ? items : json_array()));
        } else if (rc == MON_ENOTFOUND) {
            srv_reply_error(req, 400, "invalid_query", "endpoint_id", "no endpoint has this id");
        } else {
            srv_reply_lib_error(req, rc);
        }
        mon_free(out);
    }
    srv_query_free(&q);
    return KORE_RESULT_OK;
}

int page_maintenance_window(struct http_request *req)
{
    struct srv_principal who;
    mon_store *store;
    char id[37], *out = NULL;
    int rc;

    if (srv_path_id(req, WINDOWS_PREFIX, id) < 0)
        return KORE_RESULT_OK;
    if (req->method == HTTP_METHOD_DELETE)
        srv_audited_change(req, &windows, "maintenance_window.delete", id);
    else if (req->method == HTTP_METHOD_PATCH || req->method == HTTP_METHOD_PUT)
        srv_audited_change(req, &windows, "maintenance_window.update", id);
    else if (srv_auth_require(req, SRV_PERM_READ, &who) == 0 && (store = srv_store_or_503(req))) {
        rc = mon_maintenance_get_json(&out, store, id);
        srv_reply_library_json(req, rc, 200, out);
    }
    return srv_auth_result(req);
}
