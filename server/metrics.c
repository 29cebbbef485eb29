#include <kore/kore.h>
#include <kore/http.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "auth.h"
#include "http_json.h"
#include "job.h"
#include "metrics.h"
#include "server.h"

/* Handlers counted, by their name in the configuration. */
static const char *const handlers[] = {
    "page_health",
    "page_ready",
    "page_metrics",
    "page_me",
    "page_status",
    "page_overview",
    "page_endpoints",
    "page_endpoint",
    "page_endpoint_history",
    "page_endpoint_uptime",
    "page_endpoint_check",
    "page_audit",
    "page_audit_verify",
    "page_connectors",
    "page_connector",
    "page_connector_test",
    "page_connector_actions",
    "page_connector_action",
    "page_www",
    "page_www_root",
    "page_config",
    "page_not_found",
};
#define HANDLER_COUNT (sizeof(handlers) / sizeof(handlers[0]))
#define CLASS_COUNT 5 /* 1xx .. 5xx */

/* Upper bounds (ms) of the request duration buckets; +Inf is implied. Kore
 * times requests in whole milliseconds, so the first bucket is "under 1 ms". */
static const unsigned int bucket_ms[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define BUCKET_COUNT (sizeof(bucket_ms) / sizeof(bucket_ms[0]))

struct shared_counters {
    _Atomic uint64_t answers[HANDLER_COUNT][CLASS_COUNT];
    /* Request durations: per bucket (not cumulative), and their sum in ms. */
    _Atomic uint64_t duration[HANDLER_COUNT][CLASS_COUNT][BUCKET_COUNT + 1];
    _Atomic uint64_t duration_ms_sum[HANDLER_COUNT][CLASS_COUNT];
};

static struct shared_counters *counters;

int srv_metrics_init(void)
{
    void *p = mmap(NULL, sizeof(*counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return -1;
    counters = p;
    return 0;
}

/* A label value with \, " and newline escaped, as the text format asks. */
static void put_label(FILE *b, const char *value)
{
    for (; *value; value++) {
        if (*value == '\\' || *value == '"')
            fprintf(b, "\\%c", *value);
        else if (*value == '\n')
            fputs("\\n", b);
        else
            putc(*value, b);
    }
}

static void put_endpoint(FILE *b, const char *metric, const mon_status_entry *e)
{
    fprintf(b, "%s{id=\"%s\",name=\"", metric, e->endpoint_id);
    put_label(b, e->name);
    fprintf(b, "\",type=\"%s\"}", mon_endpoint_type_name(e->type));
}

static void put_endpoints(FILE *b, const mon_status_list *list)
{
    size_t i, n = mon_status_list_count(list);

    fprintf(b, "# HELP monitorage_endpoint_up 1 when the latest check was UP or DEGRADED, 0 when "
               "DOWN or UNKNOWN.\n# TYPE monitorage_endpoint_up gauge\n");
    for (i = 0; i < n; i++) {
        const mon_status_entry *e = mon_status_list_at(list, i);
        put_endpoint(b, "monitorage_endpoint_up", e);
        fprintf(b, " %d\n", e->status == MON_STATUS_UP || e->status == MON_STATUS_DEGRADED);
    }
    fprintf(b, "# HELP monitorage_endpoint_status_code Status of the latest check: 0 UP, 1 DOWN, "
               "2 DEGRADED, 3 UNKNOWN.\n# TYPE monitorage_endpoint_status_code gauge\n");
    for (i = 0; i < n; i++) {
        const mon_status_entry *e = mon_status_list_at(list, i);
        put_endpoint(b, "monitorage_endpoint_status_code", e);
        fprintf(b, " %d\n", (int)e->status);
    }
    fprintf(b, "# HELP monitorage_endpoint_latency_seconds Total time of the latest check.\n"
               "# TYPE monitorage_endpoint_latency_seconds gauge\n");
    for (i = 0; i < n; i++) {
        const mon_status_entry *e = mon_status_list_at(list, i);
        if (e->latency_ms < 0)
            continue;
        put_endpoint(b, "monitorage_endpoint_latency_seconds", e);
        fprintf(b, " %.3f\n", e->latency_ms / 1000.0);
    }
    fprintf(b, "# HELP monitorage_endpoint_last_check_timestamp_seconds Time of the latest check.\n"
               "# TYPE monitorage_endpoint_last_check_timestamp_seconds gauge\n");
    for (i = 0; i < n; i++) {
        const mon_status_entry *e = mon_status_list_at(list, i);
        if (!e->last_check)
            continue;
        put_endpoint(b, "monitorage_endpoint_last_check_timestamp_seconds", e);
        fprintf(b, " %.3f\n", (double)e->last_check / 1e6);
    }
    fprintf(b, "# HELP monitorage_endpoint_enabled 1 when the endpoint is checked.\n"
               "# TYPE monitorage_endpoint_enabled gauge\n");
    for (i = 0; i < n; i++) {
        const mon_status_entry *e = mon_status_list_at(list, i);
        put_endpoint(b, "monitorage_endpoint_enabled", e);
        fprintf(b, " %d\n", e->enabled != 0);
    }
}

/* Entries of list ordered by endpoint id, for the merge with the phases. */
static int by_id(const void *a, const void *b)
{
    return strcmp((*(const mon_status_entry *const *)a)->endpoint_id,
                  (*(const mon_status_entry *const *)b)->endpoint_id);
}

static void put_phase(FILE *b, const mon_status_entry *e, json_t *item, const char *key, const char *phase)
{
    json_t *v = json_object_get(item, key);

    if (!json_is_number(v))
        return;
    fprintf(b, "monitorage_endpoint_phase_seconds{id=\"%s\",name=\"", e->endpoint_id);
    put_label(b, e->name);
    fprintf(b, "\",type=\"%s\",phase=\"%s\"} %.4f\n", mon_endpoint_type_name(e->type), phase,
            json_number_value(v) / 1000.0);
}

/* Checks by status and the latest check's phases (mon_store_check_metrics_json). */
static void put_checks(FILE *b, const mon_status_list *list, const char *json)
{
    static const char *const statuses[] = {"UP", "DOWN", "DEGRADED", "UNKNOWN"};
    static const char *const phases[][2] = {{"dns_ms", "dns"},
                                            {"connect_ms", "connect"},
                                            {"tls_ms", "tls"},
                                            {"ttfb_ms", "ttfb"},
                                            {"total_ms", "total"}};
    size_t i, j, n = mon_status_list_count(list);
    json_t *all = json_loads(json, 0, NULL), *totals = json_object_get(all, "checks_total"), *item;
    const mon_status_entry **sorted = calloc(n ? n : 1, sizeof(*sorted));

    fprintf(b, "# HELP monitorage_checks_total Checks recorded, by status, all endpoints (cumulative "
               "counts of the hourly rollups).\n# TYPE monitorage_checks_total counter\n");
    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        fprintf(b, "monitorage_checks_total{status=\"%s\"} %lld\n", statuses[i],
                (long long)json_integer_value(json_object_get(totals, statuses[i])));
    fprintf(b, "# HELP monitorage_endpoint_phase_seconds Phase timings of the latest check (dns, "
               "connect, tls, ttfb, total); a phase not reached is absent.\n"
               "# TYPE monitorage_endpoint_phase_seconds gauge\n");
    if (sorted) {
        for (i = 0; i < n; i++)
            sorted[i] = mon_status_list_at(list, i);
        qsort(sorted, n, sizeof(*sorted), by_id);
        /* Both in endpoint id order (PostgreSQL orders UUIDs as their lower-case text). */
        j = 0;
        json_array_foreach(json_object_get(all, "phases"), i, item)
        {
            const char *id = json_string_value(json_object_get(item, "endpoint_id"));
            size_t k;
            while (id && j < n && strcmp(sorted[j]->endpoint_id, id) < 0)
                j++;
            if (!id || j == n || strcmp(sorted[j]->endpoint_id, id) != 0)
                continue;
            for (k = 0; k < sizeof(phases) / sizeof(phases[0]); k++)
                put_phase(b, sorted[j], item, phases[k][0], phases[k][1]);
        }
    }
    free(sorted);
    json_decref(all);
}

static void put_counters(FILE *b)
{
    size_t i, c;

    fprintf(b, "# HELP monitorage_http_responses_total Answers of the module by handler and status "
               "class, all workers (Kore's own 405/411/413 are not counted).\n"
               "# TYPE monitorage_http_responses_total counter\n");
    for (i = 0; i < HANDLER_COUNT; i++)
        for (c = 0; c < CLASS_COUNT; c++) {
            uint64_t v = atomic_load_explicit(&counters->answers[i][c], memory_order_relaxed);
            if (v)
                fprintf(b, "monitorage_http_responses_total{handler=\"%s\",code=\"%zuxx\"} %llu\n",
                        handlers[i] + 5, c + 1, (unsigned long long)v);
        }
    fprintf(b, "# HELP monitorage_http_request_duration_seconds Time from the request's arrival to its "
               "answer by handler and status class, all workers (Kore's millisecond clock).\n"
               "# TYPE monitorage_http_request_duration_seconds histogram\n");
    for (i = 0; i < HANDLER_COUNT; i++)
        for (c = 0; c < CLASS_COUNT; c++) {
            uint64_t cumulative = 0;
            size_t k;
            if (!atomic_load_explicit(&counters->answers[i][c], memory_order_relaxed))
                continue;
            for (k = 0; k <= BUCKET_COUNT; k++) {
                cumulative += atomic_load_explicit(&counters->duration[i][c][k], memory_order_relaxed);
                fprintf(b,
                        "monitorage_http_request_duration_seconds_bucket{handler=\"%s\",code=\"%zuxx\",le=\"",
                        handlers[i] + 5, c + 1);
                if (k < BUCKET_COUNT)
                    fprintf(b, "%g\"} %llu\n", bucket_ms[k] / 1000.0, (unsigned long long)cumulative);
                else
                    fprintf(b, "+Inf\"} %llu\n", (unsigned long long)cumulative);
            }
            fprintf(b, "monitorage_http_request_duration_seconds_sum{handler=\"%s\",code=\"%zuxx\"} %.3f\n",
                    handlers[i] + 5, c + 1,
                    atomic_load_explicit(&counters->duration_ms_sum[i][c], memory_order_relaxed) / 1000.0);
            fprintf(b, "monitorage_http_request_duration_seconds_count{handler=\"%s\",code=\"%zuxx\"} %llu\n",
                    handlers[i] + 5, c + 1, (unsigned long long)cumulative);
        }
}

/* What the job needs of its request to count it (the request stays on the worker). */
struct metrics_arg {
    const char *handler;
    uint64_t start;
};

static void count_answer(const char *handler, uint64_t start, int status)
{
    uint64_t now = kore_time_ms(), ms = now > start ? now - start : 0;
    size_t i, b, c = (size_t)(status / 100 - 1);

    if (!counters || !handler || status < 100 || status > 599)
        return;
    for (b = 0; b < BUCKET_COUNT && ms >= bucket_ms[b]; b++)
        ;
    for (i = 0; i < HANDLER_COUNT; i++)
        if (strcmp(handler, handlers[i]) == 0) {
            atomic_fetch_add_explicit(&counters->answers[i][c], 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&counters->duration[i][c][b], 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&counters->duration_ms_sum[i][c], ms, memory_order_relaxed);
            return;
        }
}

void srv_metrics_count(const struct http_request *req, int status)
{
    count_answer(req->hdlr ? req->hdlr->func : NULL, req->start, status);
}

/* On a task thread: at 10,000 endpoints the page is 10 MB and takes 0.1 s. */
static void metrics_run(struct srv_job_result *result, mon_store *store, void *payload)
{
    const struct metrics_arg *arg = payload;
    mon_status_list *list = NULL;
    char *text = NULL, *checks = NULL;
    size_t len = 0;
    FILE *b;
    int rc;

    if ((rc = mon_store_status_list(&list, store)) != MON_OK ||
        (rc = mon_store_check_metrics_json(&checks, store)) != MON_OK) {
        srv_job_fail(result, rc);
        mon_status_list_free(list);
        return;
    }
    /* A stream that grows geometrically. */
    if ((b = open_memstream(&text, &len)) != NULL) {
        put_endpoints(b, list);
        put_checks(b, list, checks);
        /* Counted before it is sent, so a scrape sees itself. */
        count_answer(arg->handler, arg->start, 200);
        put_counters(b);
        if (fclose(b) == 0) {
            result->status = 200;
            result->json = text;
            result->content_type = "text/plain; version=0.0.4";
            result->counted = 1;
        } else {
            free(text);
        }
    }
    mon_free(checks);
    mon_status_list_free(list);
}

int page_metrics(struct http_request *req)
{
    struct metrics_arg *arg;

    if (srv_job_running(req))
        return srv_job_continue(req);
    if (srv_auth_metrics(req) < 0)
        return srv_auth_result(req);
    if (!(arg = malloc(sizeof(*arg)))) {
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return KORE_RESULT_OK;
    }
    arg->handler = req->hdlr->func;
    arg->start = req->start;
    return srv_job_start(req, metrics_run, arg, NULL);
}
