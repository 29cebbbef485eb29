/* monitoragectl check URL...: one-off checks with the library's checker, no database needed. */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char check_usage[] =
    "Usage: monitoragectl check [options] URL...\n"
    "\n"
    "Check each URL once, all at the same time, and print one row per URL in the\n"
    "order given: status, HTTP code, latency and phase timings (DNS, connect, TLS,\n"
    "time to first byte) in ms, and why it is not UP.\n"
    "\n"
    "  --timeout MS            per check (default 10000)\n"
    "  --expected-status CODE  HTTP status that means UP (default 200)\n"
    "  --method METHOD         GET (default), HEAD, ...\n"
    "  --type TYPE             DOMAIN (default), APIM or TALEND (docs/checker.md)\n"
    "  --json                  print a JSON array instead of the table\n"
    "\n"
    "Exit codes: 0 every URL UP, 1 some URL not UP (DOWN, DEGRADED or UNKNOWN),\n"
    "2 usage (including a URL the endpoint model refuses), 3 runtime error.\n";

struct check_slot {
    mon_check_result *result;
};

static void on_result(mon_checker *checker, const mon_check_result *result, void *payload)
{
    struct check_slot *slot = payload;
    (void)checker;
    /* A failed copy leaves the slot empty; it is reported as a runtime error below. */
    mon_check_result_dup(&slot->result, result);
}

static void format_ms(char *out, size_t size, double ms)
{
    if (ms < 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.1f", ms);
}

static json_t *ms_json(double ms)
{
    return ms < 0 ? json_null() : json_real(ms);
}

static void print_json(struct check_slot *slots, int count)
{
    json_t *array = json_array();
    char *text;
    int i;
    for (i = 0; i < count; i++) {
        const mon_check_result *r = slots[i].result;
        char when[32];
        ctl_format_time(when, sizeof(when), r->checked_at);
        json_array_append_new(array,
                              json_pack("{s:s, s:s, s:i, s:i, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:s, s:s}",
                                        "url", r->url, "status", mon_status_name(r->status), "status_code",
                                        r->status_code, "latency_ms", r->latency_ms, "error",
                                        r->error_message ? json_string(r->error_message) : json_null(),
                                        "attempts", r->attempts, "dns_ms", ms_json(r->dns_ms), "connect_ms",
                                        ms_json(r->connect_ms), "tls_ms", ms_json(r->tls_ms), "ttfb_ms",
                                        ms_json(r->ttfb_ms), "total_ms", ms_json(r->total_ms), "remote_ip",
                                        r->remote_ip ? r->remote_ip : "", "checked_at", when));
    }
    text = json_dumps(array, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    printf("%s\n", text ? text : "[]");
    free(text);
    json_decref(array);
}

static void print_table(struct check_slot *slots, int count)
{
    static const char *const headers[] = {"URL",     "STATUS", "CODE", "LATENCY", "DNS",
                                          "CONNECT", "TLS",    "TTFB", "ERROR"};
    ctl_table *table = ctl_table_new(9, headers);
    int i;
    for (i = 0; i < count; i++) {
        const mon_check_result *r = slots[i].result;
        char code[16], latency[24], dns[24], connect[24], tls[24], ttfb[24];
        const char *row[9];
        snprintf(code, sizeof(code), "%d", r->status_code);
        snprintf(latency, sizeof(latency), r->latency_ms >= 0 ? "%d ms" : "-", r->latency_ms);
        format_ms(dns, sizeof(dns), r->dns_ms);
        format_ms(connect, sizeof(connect), r->connect_ms);
        format_ms(tls, sizeof(tls), r->tls_ms);
        format_ms(ttfb, sizeof(ttfb), r->ttfb_ms);
        row[0] = r->url;
        row[1] = mon_status_name(r->status);
        row[2] = r->status_code ? code : "-";
        row[3] = latency;
        row[4] = dns;
        row[5] = connect;
        row[6] = tls;
        row[7] = ttfb;
        row[8] = r->error_message ? r->error_message : "";
        ctl_table_add(table, row);
    }
    ctl_table_print(table);
    ctl_table_free(table);
}

int ctl_check(int argc, char **argv)
{
    enum { O_TIMEOUT = 1, O_STATUS, O_METHOD, O_TYPE, O_JSON, O_HELP };
    static const struct option options[] = {{"timeout", required_argument, NULL, O_TIMEOUT},
                                            {"expected-status", required_argument, NULL, O_STATUS},
                                            {"method", required_argument, NULL, O_METHOD},
                                            {"type", required_argument, NULL, O_TYPE},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, O_HELP},
                                            {NULL, 0, NULL, 0}};
    mon_endpoint *ep = NULL;
    mon_checker *checker = NULL;
    struct check_slot *slots = NULL;
    mon_endpoint_type type = MON_ENDPOINT_DOMAIN;
    const char *method = "GET";
    int timeout_ms = 10000, expected = 200, json = 0, opt, rc, code = CTL_EXIT_OK, count, i;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_TIMEOUT:
            if (ctl_parse_int(&timeout_ms, optarg, 1, 3600000) != 0)
                return ctl_usage_error("check", "--timeout wants milliseconds, got '%s'", optarg);
            break;
        case O_STATUS:
            if (ctl_parse_int(&expected, optarg, 100, 599) != 0)
                return ctl_usage_error("check", "--expected-status wants 100..599, got '%s'", optarg);
            break;
        case O_METHOD:
            method = optarg;
            break;
        case O_TYPE:
            if (mon_endpoint_type_parse(&type, optarg) != MON_OK)
                return ctl_usage_error("check", "unknown type '%s' (APIM, DOMAIN or TALEND)", optarg);
            break;
        case O_JSON:
            json = 1;
            break;
        case 'h':
        case O_HELP:
            fputs(check_usage, stdout);
            return CTL_EXIT_OK;
        default:
            return ctl_usage_error("check", "bad option");
        }
    }
    count = argc - optind;
    if (count < 1)
        return ctl_usage_error("check", "no URL given");
    if ((rc = mon_checker_new(&checker, NULL)) != MON_OK)
        return ctl_fail(rc, "check");
    slots = calloc((size_t)count, sizeof(*slots));
    if (!slots || (rc = mon_endpoint_new(&ep)) != MON_OK) {
        mon_checker_free(checker);
        free(slots);
        fprintf(stderr, "monitoragectl: check: out of memory\n");
        return CTL_EXIT_ERROR;
    }
    /* One endpoint is reused for every URL: the checker copies it at submission. */
    rc = mon_endpoint_set_name(ep, "monitoragectl check");
    if (rc == MON_OK)
        rc = mon_endpoint_set_type(ep, type);
    if (rc == MON_OK)
        rc = mon_endpoint_set_timeout_ms(ep, timeout_ms);
    if (rc == MON_OK)
        rc = mon_endpoint_set_expected_status(ep, expected);
    if (rc == MON_OK)
        rc = mon_endpoint_set_method(ep, method);
    if (rc != MON_OK) {
        ctl_fail(rc, "check");
        code = CTL_EXIT_USAGE;
        goto done;
    }
    for (i = 0; i < count; i++) {
        if ((rc = mon_endpoint_set_url(ep, argv[optind + i])) != MON_OK) {
            fprintf(stderr, "monitoragectl: check: %s: %s\n", argv[optind + i], mon_error_last());
            code = CTL_EXIT_USAGE;
            goto done;
        }
        if ((rc = mon_checker_submit(checker, ep, on_result, &slots[i])) != MON_OK) {
            code = ctl_fail(rc, "check");
            goto done;
        }
    }
    if ((rc = mon_checker_run(checker, -1)) != MON_OK) {
        code = ctl_fail(rc, "check");
        goto done;
    }
    for (i = 0; i < count; i++) {
        if (!slots[i].result) {
            fprintf(stderr, "monitoragectl: check: out of memory\n");
            code = CTL_EXIT_ERROR;
            goto done;
        }
        if (slots[i].result->status != MON_STATUS_UP)
            code = CTL_EXIT_NOTUP;
    }
    if (json)
        print_json(slots, count);
    else
        print_table(slots, count);

done:
    for (i = 0; i < count; i++)
        mon_check_result_free(slots[i].result);
    free(slots);
    mon_endpoint_free(ep);
    mon_checker_free(checker);
    return code;
}
