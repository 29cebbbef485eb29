#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_json.h"
#include "job.h"
#include "metrics.h"
#include "server.h"

struct srv_job {
    struct kore_task task; /* first: the task entry gets this pointer */
    srv_job_fn fn;
    srv_job_after_fn after;
    void *arg;
    struct srv_job_result result;
};

/* Each task thread keeps its own connection (a store is one thread's). */
static _Thread_local mon_store *thread_store;

static int job_entry(struct kore_task *t)
{
    struct srv_job *job = (struct srv_job *)t;
    int rc;

    if (!thread_store && (rc = mon_store_open(&thread_store, srv_config.database_url)) != MON_OK)
        thread_store = NULL;
    if (!thread_store) {
        job->result.rc = MON_ECONN;
        return KORE_RESULT_OK;
    }
    job->fn(&job->result, thread_store, job->arg);
    if (!job->result.json && job->result.rc == MON_OK) {
        job->result.rc = MON_ENOMEM;
        snprintf(job->result.message, sizeof(job->result.message), "the job produced no answer");
    }
    return KORE_RESULT_OK;
}

void srv_job_fail(struct srv_job_result *result, int rc)
{
    result->rc = rc;
    snprintf(result->message, sizeof(result->message), "%s", mon_error_last());
    snprintf(result->field, sizeof(result->field), "%s", mon_error_field());
}

static void job_free(struct srv_job *job)
{
    free(job->arg);
    free(job->result.json);
    free(job);
}

/* The request goes away: free the job once its thread is done with it.
 * Kore calls this again after the task finishes if it was still running. */
static void job_onfree(struct http_request *req)
{
    struct srv_job *job = req->hdlr_extra;

    if (!job)
        return;
    if (job->task.fds[0] != -1) {
        if (kore_task_state(&job->task) != KORE_TASK_STATE_FINISHED)
            return;
        kore_task_destroy(&job->task);
    }
    job_free(job);
    req->hdlr_extra = NULL;
}

int srv_job_running(struct http_request *req)
{
    return req->hdlr_extra != NULL;
}

int srv_job_start(struct http_request *req, srv_job_fn fn, void *arg, srv_job_after_fn after)
{
    struct srv_job *job = calloc(1, sizeof(*job));

    if (!job) {
        free(arg);
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return KORE_RESULT_OK;
    }
    job->fn = fn;
    job->arg = arg;
    job->after = after;
    /* Kore keeps the header timeout running for a request whose body is
     * empty (Content-Length: 0): the request is complete, so stop it, or a
     * job longer than http_header_timeout would end in a 408. */
    req->owner->http_timeout = 0;
    kore_task_create(&job->task, job_entry);
    kore_task_bind_request(&job->task, req);
    req->hdlr_extra = job;
    req->onfree = job_onfree;
    kore_task_run(&job->task);
    return KORE_RESULT_RETRY;
}

int srv_job_continue(struct http_request *req)
{
    struct srv_job *job = req->hdlr_extra;
    struct srv_job_result *r = &job->result;

    if (kore_task_state(&job->task) != KORE_TASK_STATE_FINISHED) {
        http_request_sleep(req);
        return KORE_RESULT_RETRY;
    }
    if (r->json && r->content_type) {
        if (!r->counted)
            srv_metrics_count(req, r->status);
        http_response_header(req, "content-type", r->content_type);
        http_response_header(req, "cache-control", "no-store");
        http_response(req, r->status, r->json, strlen(r->json));
    } else if (r->json) {
        srv_reply_json(req, r->status, r->json, strlen(r->json));
    } else {
        srv_reply_code_error(req, r->rc, r->message, r->field);
    }
    if (job->after)
        job->after(req, job->arg);
    kore_task_destroy(&job->task);
    job_free(job);
    req->hdlr_extra = NULL;
    req->onfree = NULL;
    return KORE_RESULT_OK;
}
