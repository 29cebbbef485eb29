/* GET /health (liveness: no auth, no database) and GET /ready (readiness). */

#include <kore/kore.h>
#include <kore/http.h>

#include <string.h>

#include "http_json.h"
#include "server.h"

int page_health(struct http_request *req)
{
    static const char body[] = "{\"status\":\"ok\"}";

    srv_reply_json(req, 200, body, sizeof(body) - 1);
    return KORE_RESULT_OK;
}

int page_ready(struct http_request *req)
{
    mon_store *store = srv_store();
    int rc, pending = 0;

    if (!store || (rc = mon_store_ping(store)) != MON_OK) {
        srv_reply_error(req, 503, "database_unavailable", NULL, "the database is unreachable");
        return KORE_RESULT_OK;
    }
    if ((rc = mon_store_migrations_pending(store, &pending)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        return KORE_RESULT_OK;
    }
    if (pending > 0) {
        srv_reply_error(req, 503, "schema_outdated", NULL, "%d migration(s) not applied", pending);
        return KORE_RESULT_OK;
    }
    srv_reply_value(req, 200, json_pack("{s:s, s:s}", "status", "ready", "version", mon_version()));
    return KORE_RESULT_OK;
}
