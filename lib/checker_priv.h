#ifndef MON_LIB_CHECKER_PRIV_H
#define MON_LIB_CHECKER_PRIV_H

/* Between the checker engine (checker.c) and the judgement of one finished
 * attempt (checker_eval.c: phase timings, certificate expiry, error wording,
 * status rules and response conditions). Never installed. */

#include "monitorage/checker.h"

#include <curl/curl.h>

#include "endpoint_priv.h"

/* What a check needs of its endpoint, copied at submit into one block (a full
 * mon_endpoint_dup() re-renders and re-parses the endpoint's JSON). */
struct mon__check_spec {
    char id[37];
    mon_endpoint_type type;
    const char *method;
    int timeout_ms, expected_status, degraded_ms, retries, cert_warn_days, follow_redirects;
    const char **header_lines; /* "Name: value", or "Name;" for an empty value */
    size_t header_count;
    int connection_given; /* the endpoint sets its own Connection header */
    struct mon__condition *conditions;
    size_t condition_count;
    int keep_body; /* a condition reads the body (body_* or json_*) */
};

/* Copy what a check needs of ep (free with free()); NULL when out of memory. */
struct mon__check_spec *mon__check_spec_new(const mon_endpoint *ep);

/* What one finished attempt left behind. */
struct mon__attempt {
    CURL *easy;
    CURLcode code;      /* as reported by libcurl (a cut body is already CURLE_OK) */
    const char *errbuf; /* CURLOPT_ERRORBUFFER text, may be "" */
    const char *body;   /* what was kept of the body (only when a condition needs it) */
    size_t body_len;
    int truncated;  /* body longer than the limit and cut there */
    int timeout_ms; /* the endpoint's timeout, for the message */
    mon_time now;   /* wall clock at the end of the attempt */
};

/* Storage a judgement writes into; result's strings point here. */
struct mon__verdict {
    char message[512];
    char remote_ip[64];
};

/* What the judgement reads of an answer that arrived (the transfer succeeded). */
struct mon__response {
    long status;      /* HTTP status of the final response */
    const char *body; /* what was kept of the body; NULL when none */
    size_t body_len;
    int truncated; /* body longer than the limit and cut there */
    /* Value of response header name (final response), or NULL when absent. */
    const char *(*header)(void *payload, const char *name);
    void *payload;
};

/*
 * Judge an answer against spec: expected status, response conditions, then
 * the DEGRADED rules (which read result's latency_ms and cert_expires_at).
 * Sets result's status and error_message (into verdict). The part of
 * mon__check_judge() that needs no libcurl: tests/fuzz/fuzz_checker.c calls it.
 */
void mon__check_judge_response(mon_check_result *result, struct mon__verdict *verdict,
                               const struct mon__check_spec *spec, const struct mon__response *response,
                               mon_time now);

/*
 * Fill result's status, status_code, latency_ms, error_message, timings,
 * cert_expires_at and remote_ip from the attempt of a check of spec, by the rules of
 * docs/checker.md. Strings go into verdict.
 */
void mon__check_judge(mon_check_result *result, struct mon__verdict *verdict,
                      const struct mon__check_spec *spec, const struct mon__attempt *attempt);

#endif
