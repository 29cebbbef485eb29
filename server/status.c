/* GET /api/v1/status: the latest status of every endpoint (reader role). */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "server.h"

int page_status(struct http_request *req)
{
    static const char head[] = "{\"items\":";
    mon_status_list *list = NULL;
    struct srv_principal who;
    mon_store *store;
    char *json = NULL, *body;
    size_t len;
    int rc;

    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0)
        return srv_auth_result(req);
    if (req->query_string && *req->query_string) {
        srv_reply_error(req, 400, "invalid_query", NULL, "this route takes no query parameters");
        return KORE_RESULT_OK;
    }
    if (!(store = srv_store())) {
        srv_reply_error(req, 503, "database_unavailable", NULL, "the database is unreachable");
        return KORE_RESULT_OK;
    }
    if ((rc = mon_store_status_list(&list, store)) != MON_OK ||
        (rc = mon_status_list_to_json(&json, list)) != MON_OK) {
        srv_reply_lib_error(req, rc);
        mon_status_list_free(list);
        return KORE_RESULT_OK;
    }
    /* Wrapped as text: at 10,000 endpoints a parse and re-dump would cost
     * more than the query. */
    len = strlen(json);
    if (!(body = malloc(sizeof(head) + len + 1))) {
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
    } else {
        memcpy(body, head, sizeof(head) - 1);
        memcpy(body + sizeof(head) - 1, json, len);
        body[sizeof(head) - 1 + len] = '}';
        srv_reply_json(req, 200, body, sizeof(head) + len);
        free(body);
    }
    mon_free(json);
    mon_status_list_free(list);
    return KORE_RESULT_OK;
}
