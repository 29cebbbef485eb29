/*
 * POST /api/v1/endpoints/{id}/check: check one endpoint now (operator role),
 * record the result in its history and return it. The check runs as a job
 * on a task thread; the request is audited as endpoint.check. A TALEND
 * endpoint is checked with the TALEND connector's bearer token when one is
 * configured and the connector enabled (mon_checker_talend_token, as
 * monitorage-checkd does).
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "connectors.h"
#include "http_json.h"
#include "job.h"
#include "request_audit.h"
#include "server.h"

struct check_arg {
    char id[37];
    struct srv_principal who;
    const mon_secret_key *key; /* of the TALEND connector's credentials; may be NULL */
};

static void keep_result(mon_checker *checker, const mon_check_result *result, void *payload)
{
    mon_check_result **out = payload;

    if (mon_check_result_dup(out, result) != MON_OK)
        *out = NULL;
}

static json_t *ms_or_null(double ms)
{
    return ms >= 0 ? json_real(ms) : json_null();
}

static json_t *time_or_null(mon_time t)
{
    char text[MON_TIME_TEXT_MAX];

    if (!t || mon_time_format(text, sizeof(text), t) != MON_OK)
        return json_null();
    return json_string(text);
}

static char *result_json(const mon_check_result *r)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "endpoint_id",
        r->endpoint_id, "url", r->url, "status", mon_status_name(r->status), "status_code",
        r->status_code ? json_integer(r->status_code) : json_null(), "latency_ms",
        r->latency_ms >= 0 ? json_integer(r->latency_ms) : json_null(), "error_message",
        r->error_message ? json_string(r->error_message) : json_null(), "attempts", r->attempts, "dns_ms",
        ms_or_null(r->dns_ms), "connect_ms", ms_or_null(r->connect_ms), "tls_ms", ms_or_null(r->tls_ms),
        "ttfb_ms", ms_or_null(r->ttfb_ms), "total_ms", ms_or_null(r->total_ms), "cert_expires_at",
        time_or_null(r->cert_expires_at), "remote_ip",
        *r->remote_ip ? json_string(r->remote_ip) : json_null(), "checked_at", time_or_null(r->checked_at));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    return text;
}

/* On the task thread: read, check, record. */
static void check_run(struct srv_job_result *result, mon_store *store, void *payload)
{
    const struct check_arg *arg = payload;
    mon_checker_options options = MON_CHECKER_OPTIONS_INIT;
    mon_check_record record = MON_CHECK_RECORD_INIT;
    const mon_check_record *records[1] = {&record};
    mon_check_result *checked = NULL;
    mon_connectors *connectors = NULL;
    mon_checker *checker = NULL;
    mon_endpoint *ep = NULL;
    int rc;

    if ((rc = mon_store_endpoint_get(&ep, store, arg->id)) == MON_OK &&
        mon_endpoint_get_type(ep) == MON_ENDPOINT_TALEND &&
        (rc = mon_connectors_new(&connectors, store, arg->key)) == MON_OK) {
        options.token_cb = mon_checker_talend_token;
        options.token_payload = connectors;
    }
    if (rc != MON_OK || (rc = mon_checker_new(&checker, &options)) != MON_OK ||
        (rc = mon_checker_submit(checker, ep, keep_result, &checked)) != MON_OK ||
        (rc = mon_checker_run(checker, -1)) != MON_OK) {
        srv_job_fail(result, rc);
    } else if (!checked) {
        srv_job_fail(result, MON_ENOMEM);
    } else if ((rc = mon_check_result_to_record(&record, checked)) != MON_OK ||
               (rc = mon_store_history_insert(store, records, 1)) != MON_OK) {
        srv_job_fail(result, rc);
    } else if ((result->json = result_json(checked)) != NULL) {
        result->status = 200;
    }
    mon_check_result_free(checked);
    mon_checker_free(checker);
    mon_connectors_free(connectors);
    mon_endpoint_free(ep);
}

static void check_audit(struct http_request *req, void *payload)
{
    const struct check_arg *arg = payload;

    srv_audit_request(req, &arg->who, "endpoint.check", arg->id, NULL);
}

int page_endpoint_check(struct http_request *req)
{
    struct check_arg *arg;
    struct srv_principal who;
    char id[37];

    if (srv_job_running(req))
        return srv_job_continue(req);
    if (srv_path_id(req, "/api/v1/endpoints/", id) < 0 || srv_auth_authenticate(req, &who) < 0)
        return srv_auth_result(req);
    if ((who.perms & SRV_PERM_OPERATE) == 0) {
        srv_auth_reply_forbidden(req, SRV_PERM_OPERATE);
        srv_audit_request(req, &who, "endpoint.check", id, NULL);
        return KORE_RESULT_OK;
    }
    if (!(arg = malloc(sizeof(*arg)))) {
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return KORE_RESULT_OK;
    }
    memcpy(arg->id, id, sizeof(arg->id));
    arg->who = who;
    arg->key = srv_connectors_key();
    return srv_job_start(req, check_run, arg, check_audit);
}
