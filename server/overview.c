/* GET /api/v1/overview: the dashboard's overview in one request (reader
 * role): latest status, uptime over 24 h and the latest checks of a page of
 * endpoints. On a task thread: at 10,000 endpoints the query takes a second. */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_json.h"
#include "job.h"
#include "server.h"

static void overview_run(struct srv_job_result *result, mon_store *store, void *arg)
{
    char *json = NULL;
    int rc;

    if ((rc = mon_store_status_overview(&json, store, arg)) != MON_OK) {
        srv_job_fail(result, rc);
        return;
    }
    /* Copied: the job frees its body with free(), library strings go to mon_free(). */
    result->json = strdup(json);
    result->status = 200;
    mon_free(json);
}

/* The query into o; 0, or -1 after a 400 naming the parameter. */
static int parse_options(struct http_request *req, const struct srv_query *q, mon_overview_options *o)
{
    const char *v;
    long n;

    if (srv_query_endpoint_selection(req, q, 10000, &o->type, &o->enabled, &o->status, &o->limit,
                                     &o->offset) < 0)
        return -1;
    if ((v = srv_query_get(q, "recent")) != NULL) {
        if (srv_parse_long(req, "recent", v, 0, 60, &n) < 0)
            return -1;
        o->recent = (size_t)n;
    }
    return 0;
}

int page_overview(struct http_request *req)
{
    static const char *const allowed[] = {"type", "enabled", "status", "limit", "offset", "recent", NULL};
    mon_overview_options *options;
    struct srv_principal who;
    struct srv_query q;
    int rc;

    if (srv_job_running(req))
        return srv_job_continue(req);
    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0)
        return srv_auth_result(req);
    if (srv_query_parse(req, allowed, &q) < 0)
        return KORE_RESULT_OK;
    if (!(options = malloc(sizeof(*options)))) {
        srv_query_free(&q);
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return KORE_RESULT_OK;
    }
    mon_overview_options_init(options, MON_OVERVIEW_OPTIONS_VERSION);
    rc = parse_options(req, &q, options);
    srv_query_free(&q);
    if (rc < 0) {
        free(options);
        return KORE_RESULT_OK;
    }
    return srv_job_start(req, overview_run, options, NULL);
}
