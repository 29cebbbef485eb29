/* GET /api/v1/audit/verify: walk the audit chain (admin role), on a task
 * thread: at a million rows the walk takes seconds. */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "job.h"
#include "server.h"

static void verify_run(struct srv_job_result *result, mon_store *store, void *arg)
{
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    char *json = NULL;
    int rc;

    if ((rc = mon_audit_verify(&report, store)) != MON_OK ||
        (rc = mon_audit_verify_report_to_json(&json, &report)) != MON_OK) {
        srv_job_fail(result, rc);
        return;
    }
    /* Copied: the job frees its body with free(), library strings go to mon_free(). */
    result->json = strdup(json);
    result->status = 200;
    mon_free(json);
}

int page_audit_verify(struct http_request *req)
{
    struct srv_principal who;

    if (srv_job_running(req))
        return srv_job_continue(req);
    if (srv_auth_require(req, SRV_PERM_ADMIN, &who) < 0)
        return srv_auth_result(req);
    if (req->query_string && *req->query_string) {
        srv_reply_error(req, 400, "invalid_query", NULL, "this route takes no query parameters");
        return KORE_RESULT_OK;
    }
    return srv_job_start(req, verify_run, NULL, NULL);
}
