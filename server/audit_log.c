/* GET /api/v1/audit: the audit log, newest first, keyset-paged (admin role). */

#include <kore/kore.h>
#include <kore/http.h>

#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "server.h"

int page_audit(struct http_request *req)
{
    static const char *const allowed[] = {"user_id", "action", "target", "result", "from",
                                          "to",      "limit",  "cursor", NULL};
    static const char *const times[] = {"from", "to"};
    mon_audit_filter filter = MON_AUDIT_FILTER_INIT;
    mon_audit_list *list = NULL;
    struct srv_principal who;
    struct srv_query q;
    mon_store *store;
    const char *v;
    char *json = NULL;
    long limit;
    size_t i;
    int rc;

    if (srv_auth_require(req, SRV_PERM_ADMIN, &who) < 0 || srv_query_parse(req, allowed, &q) < 0)
        return srv_auth_result(req);
    filter.user_id = srv_query_get(&q, "user_id");
    filter.action = srv_query_get(&q, "action");
    filter.target = srv_query_get(&q, "target");
    filter.cursor = srv_query_get(&q, "cursor");
    if ((v = srv_query_get(&q, "result")) != NULL) {
        mon_audit_result result;
        if (mon_audit_result_parse(&result, v) != MON_OK) {
            srv_reply_error(req, 400, "invalid_query", "result", "must be SUCCESS or FAILURE");
            goto done;
        }
        filter.result = (int)result;
    }
    for (i = 0; i < 2; i++) {
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
    if (!(store = srv_store())) {
        srv_reply_error(req, 503, "database_unavailable", NULL, "the database is unreachable");
        goto done;
    }
    if ((rc = mon_audit_query(&list, store, &filter)) != MON_OK ||
        (rc = mon_audit_list_to_json(&json, list)) != MON_OK)
        srv_reply_lib_error(req, rc);
    else
        srv_reply_json(req, 200, json, strlen(json));
    mon_free(json);
    mon_audit_list_free(list);
done:
    srv_query_free(&q);
    return KORE_RESULT_OK;
}
