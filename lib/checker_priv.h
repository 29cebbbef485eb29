#ifndef MON_LIB_CHECKER_PRIV_H
#define MON_LIB_CHECKER_PRIV_H

/* Between the checker engine (checker.c) and the judgement of one finished
 * attempt (checker_eval.c: phase timings, certificate expiry, error wording,
 * status rules and response conditions). Never installed. */

#include "monitorage/checker.h"

#include <curl/curl.h>

/* What one finished attempt left behind. */
struct mon__attempt {
    CURL *easy;
    CURLcode code;          /* as reported by libcurl (a cut body is already CURLE_OK) */
    const char *errbuf;     /* CURLOPT_ERRORBUFFER text, may be "" */
    const char *body;       /* what was kept of the body (only when a condition needs it) */
    size_t body_len;
    int truncated;          /* body longer than the limit and cut there */
    int timeout_ms;         /* the endpoint's timeout, for the message */
    mon_time now;           /* wall clock at the end of the attempt */
};

/* Storage a judgement writes into; result's strings point here. */
struct mon__verdict {
    char message[512];
    char remote_ip[64];
};

/*
 * Fill result's status, status_code, latency_ms, error_message, timings,
 * cert_expires_at and remote_ip from the attempt, by the rules of
 * docs/checker.md. Strings go into verdict.
 */
void mon__check_judge(mon_check_result *result, struct mon__verdict *verdict, const mon_endpoint *ep,
                      const struct mon__attempt *attempt);

/* Whether ep has a condition that reads the body (body_* or json_*). */
int mon__check_needs_body(const mon_endpoint *ep);

/* Parse a certificate date as libcurl prints it ("Jan  2 03:04:05 2027 GMT" or
 * "2027-01-02 03:04:05 GMT") into microseconds since the epoch; 0 on failure. */
mon_time mon__cert_date_parse(const char *text);

#endif
