#ifndef MON_SERVER_JOB_H
#define MON_SERVER_JOB_H

/*
 * Slow work (a walk of the audit chain, checks, connector calls, the
 * /metrics page) runs on a Kore task thread so the worker's event loop keeps serving
 * other requests. The handler starts the job and returns what
 * srv_job_start() returns; Kore calls the handler again when the job is
 * done, and srv_job_continue() sends the job's answer.
 *
 *   int page_x(struct http_request *req)
 *   {
 *       if (srv_job_running(req))
 *           return srv_job_continue(req);
 *       ...check auth and input...
 *       return srv_job_start(req, run_x, arg, after_x);
 *   }
 */

#include "monitorage/monitorage.h"

struct http_request;

/* What a job function fills in on the task thread: a status and a JSON
 * body, or a library error through srv_job_fail(). */
struct srv_job_result {
    int status;               /* HTTP status of json */
    char *json;               /* response body, malloc'd: JSON unless content_type is set */
    const char *content_type; /* NULL for application/json; else json is sent as this type */
    int counted;              /* 1 when the job counted its answer in /metrics itself */
    int rc;                   /* else: the library error to reply with */
    char message[512];        /* its detail (mon_error_last() of the task thread) */
    char field[64];           /* its field */
};

/* Record the task thread's last library error rc as the job's answer. */
void srv_job_fail(struct srv_job_result *result, int rc);

/*
 * A job: runs on a task thread with that thread's own store (opened on
 * first use; the job is not run, and 503 is sent, when the database is
 * unreachable).
 */
typedef void (*srv_job_fn)(struct srv_job_result *result, mon_store *store, void *arg);

/* Runs on the worker after the job's answer was sent (e.g. to audit it). */
typedef void (*srv_job_after_fn)(struct http_request *req, void *arg);

/* Whether req has a job started (the handler is being called again). */
int srv_job_running(struct http_request *req);

/*
 * Start fn(arg) for req; after (may be NULL) runs once the answer is sent.
 * arg (may be NULL) is malloc'd and owned by the job from here on, freed
 * with free() in every case. Returns KORE_RESULT_RETRY (or OK after a 500).
 */
int srv_job_start(struct http_request *req, srv_job_fn fn, void *arg, srv_job_after_fn after);

/* Wait for req's job, or send its answer; returns the handler's result. */
int srv_job_continue(struct http_request *req);

#endif
