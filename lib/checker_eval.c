/* Judging one finished attempt: phase timings, certificate expiry, error
 * wording and the UP / DOWN / DEGRADED rules of docs/checker.md. */
#define _GNU_SOURCE /* memmem */
#include "certinfo.h"
#include "checker_priv.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define US_PER_DAY (86400LL * 1000000LL)
#define SHOWN_MAX 80 /* characters of a value repeated in a message */

static int reads_body(mon__condition_kind kind)
{
    return kind != MON__COND_HEADER_PRESENT && kind != MON__COND_HEADER_EQUALS;
}

/* Bytes of a NUL-terminated copy of text, 0 for NULL. */
static size_t text_size(const char *text)
{
    return text ? strlen(text) + 1 : 0;
}

/* Copy text into the block at *p; NULL stays NULL. */
static const char *pack(char **p, const char *text)
{
    if (!text)
        return NULL;
    size_t n = strlen(text) + 1;
    char *out = memcpy(*p, text, n);
    *p += n;
    return out;
}

struct mon__check_spec *mon__check_spec_new(const mon_endpoint *ep)
{
    size_t nh = mon__endpoint_header_count(ep), nc = mon__endpoint_condition_count(ep);
    size_t size = sizeof(struct mon__check_spec) + nh * sizeof(char *) + nc * sizeof(struct mon__condition);
    size += text_size(mon_endpoint_get_method(ep));
    for (size_t i = 0; i < nh; i++)
        size += strlen(mon__endpoint_header_name(ep, i)) + strlen(mon__endpoint_header_value(ep, i)) + 3;
    for (size_t i = 0; i < nc; i++)
        size += text_size(mon__endpoint_condition(ep, i)->path) +
                text_size(mon__endpoint_condition(ep, i)->value);
    struct mon__check_spec *spec = malloc(size);
    if (!spec)
        return NULL;
    /* Pointer arrays first (aligned after the struct), then the strings. */
    memset(spec, 0, sizeof(*spec));
    spec->header_lines = (const char **)(spec + 1);
    spec->conditions = (struct mon__condition *)(spec->header_lines + nh);
    char *p = (char *)(spec->conditions + nc);
    snprintf(spec->id, sizeof(spec->id), "%s", mon_endpoint_get_id(ep));
    spec->type = mon_endpoint_get_type(ep);
    spec->method = pack(&p, mon_endpoint_get_method(ep));
    spec->timeout_ms = mon_endpoint_get_timeout_ms(ep);
    spec->expected_status = mon_endpoint_get_expected_status(ep);
    spec->degraded_ms = mon_endpoint_get_degraded_ms(ep);
    spec->retries = mon_endpoint_get_retries(ep);
    spec->cert_warn_days = mon_endpoint_get_cert_warn_days(ep);
    spec->follow_redirects = mon_endpoint_get_follow_redirects(ep);
    for (size_t i = 0; i < nh; i++) {
        const char *name = mon__endpoint_header_name(ep, i), *value = mon__endpoint_header_value(ep, i);
        /* "Name;" is libcurl's way to send a header with an empty value. */
        int n = sprintf(p, *value ? "%s: %s" : "%s;", name, value);
        spec->header_lines[i] = p;
        p += n + 1;
        spec->connection_given |= strcasecmp(name, "Connection") == 0;
    }
    spec->header_count = nh;
    for (size_t i = 0; i < nc; i++) {
        const struct mon__condition *c = mon__endpoint_condition(ep, i);
        spec->conditions[i].kind = c->kind;
        spec->conditions[i].path = pack(&p, c->path);
        spec->conditions[i].value = pack(&p, c->value);
        spec->keep_body |= reads_body(c->kind);
    }
    spec->condition_count = nc;
    return spec;
}

static double ms_of(curl_off_t us)
{
    return (double)us / 1000.0;
}

static void fill_timings(mon_check_result *r, CURL *easy)
{
    curl_off_t lookup = 0, connect = 0, app = 0, pre = 0, start = 0, total = 0;
    curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &app);
    curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
    curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
    r->dns_ms = lookup > 0 ? ms_of(lookup) : connect > 0 ? 0.0 : -1.0;
    r->connect_ms = connect > 0 ? ms_of(connect - lookup) : -1.0;
    r->tls_ms = app > 0 && connect > 0 ? ms_of(app - connect) : -1.0;
    r->ttfb_ms = start > 0 && pre > 0 ? ms_of(start - pre) : -1.0;
    r->total_ms = ms_of(total);
    r->latency_ms = (int)((total + 500) / 1000);
}

static void say(struct mon__verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct mon__verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof(v->message), fmt, ap);
    va_end(ap);
}

/* Copy at most SHOWN_MAX characters of text into out, control characters as '?'. */
static void shown(char *out, size_t size, const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < size && i < SHOWN_MAX; i++)
        out[n++] = iscntrl((unsigned char)text[i]) ? '?' : text[i];
    if (len > SHOWN_MAX && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static const char *after_prefix(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(text, prefix, n) == 0 ? text + n : text;
}

/* The message of a transfer that failed (connection, TLS, timeout...). */
static void transport_message(struct mon__verdict *v, const struct mon__attempt *a)
{
    const char *err = a->errbuf ? a->errbuf : "";
    long os_errno = 0;
    curl_easy_getinfo(a->easy, CURLINFO_OS_ERRNO, &os_errno);
    switch (a->code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        say(v, "could not resolve host%s%s", *err ? ": " : "", after_prefix(err, "Could not resolve host: "));
        return;
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED)
            say(v, "connection refused");
        else if (os_errno == ENETUNREACH)
            say(v, "network unreachable");
        else if (os_errno == EHOSTUNREACH)
            say(v, "host unreachable");
        else
            say(v, "could not connect%s%s", *err ? ": " : "", err);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        say(v, "timed out after %d ms", a->timeout_ms);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
        if (strncmp(err, "SSL: no alternative certificate subject name", 44) == 0 ||
            strncmp(err, "SSL: certificate subject name", 29) == 0)
            say(v, "certificate verify failed: host name mismatch (%s)", after_prefix(err, "SSL: "));
        else
            say(v, "certificate verify failed: %s",
                *err ? after_prefix(after_prefix(err, "SSL certificate problem: "), "SSL: ")
                     : "unknown reason");
        return;
    case CURLE_SSL_CONNECT_ERROR:
        say(v, "TLS handshake failed%s%s", *err ? ": " : "", err);
        return;
    case CURLE_TOO_MANY_REDIRECTS:
        say(v, "too many redirects");
        return;
    case CURLE_GOT_NOTHING:
        say(v, "connection closed without an answer");
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        if (os_errno == ECONNRESET)
            say(v, "connection reset");
        else
            say(v, "%s%s%s", a->code == CURLE_RECV_ERROR ? "receive failed" : "send failed", *err ? ": " : "",
                err);
        return;
    case CURLE_WEIRD_SERVER_REPLY:
        say(v, "not an HTTP answer%s%s", *err ? ": " : "", err);
        return;
    default:
        say(v, "%s%s%s", curl_easy_strerror(a->code), *err ? ": " : "", err);
        return;
    }
}

/* Value of response header name (last response), or NULL: mon__response.header for libcurl. */
static const char *header_value(void *easy, const char *name)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
        return NULL;
    return h->value;
}

/* The body as JSON, parsed once per judgement. */
struct body_json {
    int tried;
    json_t *root;
};

static json_t *body_json(struct body_json *bj, const struct mon__response *a)
{
    if (!bj->tried) {
        bj->tried = 1;
        bj->root = json_loadb(a->body ? a->body : "", a->body_len, JSON_DECODE_ANY, NULL);
    }
    return bj->root;
}

/* Text of a JSON value for messages and json_matches: strings as they are,
 * anything else as compact JSON. Returns a malloc'd string or NULL. */
static char *json_text(const json_t *value)
{
    if (json_is_string(value))
        return strdup(json_string_value(value));
    return json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Check one condition; on failure write the message and return 0. */
static int condition_holds(struct mon__verdict *v, const struct mon__condition *c,
                           const struct mon__response *a, struct body_json *bj)
{
    char what[SHOWN_MAX + 8], got[SHOWN_MAX + 8];
    const char *body = a->body ? a->body : "";
    const char *cut = a->truncated ? " (in the first bytes read)" : "";
    switch (c->kind) {
    case MON__COND_BODY_CONTAINS:
    case MON__COND_BODY_NOT_CONTAINS: {
        int found = memmem(body, a->body_len, c->value, strlen(c->value)) != NULL;
        if (found == (c->kind == MON__COND_BODY_CONTAINS))
            return 1;
        shown(what, sizeof(what), c->value, strlen(c->value));
        say(v, "body condition failed: body %s \"%s\"%s", found ? "contains" : "does not contain", what,
            found ? "" : cut);
        return 0;
    }
    case MON__COND_JSON_EQUALS:
    case MON__COND_JSON_MATCHES: {
        json_t *root = body_json(bj, a);
        if (!root) {
            say(v, "body condition failed: body is not JSON%s",
                a->truncated ? " (cut at the body limit)" : "");
            return 0;
        }
        json_t *found = mon__json_path_lookup(root, c->path);
        shown(what, sizeof(what), c->path, strlen(c->path));
        if (!found) {
            say(v, "body condition failed: no value at %s", what);
            return 0;
        }
        char *text = json_text(found);
        if (!text) {
            say(v, "body condition failed: out of memory");
            return 0;
        }
        int ok;
        if (c->kind == MON__COND_JSON_EQUALS) {
            json_t *expected = json_loads(c->value, JSON_DECODE_ANY, NULL);
            ok = expected && json_equal(found, expected);
            json_decref(expected);
        } else {
            regex_t re;
            ok = regcomp(&re, c->value, REG_EXTENDED | REG_NOSUB) == 0;
            if (ok) {
                ok = regexec(&re, text, 0, NULL, 0) == 0;
                regfree(&re);
            }
        }
        if (!ok) {
            shown(got, sizeof(got), text, strlen(text));
            char expected[SHOWN_MAX + 8];
            shown(expected, sizeof(expected), c->value, strlen(c->value));
            if (c->kind == MON__COND_JSON_EQUALS)
                say(v, "body condition failed: %s is %s, expected %s", what, got, expected);
            else
                say(v, "body condition failed: %s is %s, does not match %s", what, got, expected);
        }
        free(text);
        return ok;
    }
    case MON__COND_HEADER_PRESENT:
    case MON__COND_HEADER_EQUALS: {
        const char *value = a->header(a->payload, c->path);
        shown(what, sizeof(what), c->path, strlen(c->path));
        if (!value) {
            say(v, "header condition failed: no header %s", what);
            return 0;
        }
        if (c->kind == MON__COND_HEADER_PRESENT || strcmp(value, c->value) == 0)
            return 1;
        shown(got, sizeof(got), value, strlen(value));
        char expected[SHOWN_MAX + 8];
        shown(expected, sizeof(expected), c->value, strlen(c->value));
        say(v, "header condition failed: %s is \"%s\", expected \"%s\"", what, got, expected);
        return 0;
    }
    }
    return 1;
}

/* DEGRADED reasons (latency, certificate), joined with "; "; 1 if any. */
static int degraded(struct mon__verdict *v, const mon_check_result *r, const struct mon__check_spec *spec,
                    mon_time now)
{
    size_t n = 0;
    int degraded_ms = spec->degraded_ms;
    int warn_days = spec->cert_warn_days;
    v->message[0] = '\0';
    if (degraded_ms > 0 && r->latency_ms > degraded_ms)
        n += (size_t)snprintf(v->message, sizeof(v->message), "latency %d ms above %d ms", r->latency_ms,
                              degraded_ms);
    if (warn_days > 0 && r->cert_expires_at > 0 &&
        r->cert_expires_at - now < (mon_time)warn_days * US_PER_DAY) {
        mon_time left = r->cert_expires_at - now;
        long long days = left / US_PER_DAY, hours = left / (3600LL * 1000000LL);
        const char *sep = n ? "; " : "";
        if (n < sizeof(v->message)) {
            if (days >= 1)
                snprintf(v->message + n, sizeof(v->message) - n, "%scertificate expires in %lld day%s", sep,
                         days, days == 1 ? "" : "s");
            else
                snprintf(v->message + n, sizeof(v->message) - n, "%scertificate expires in %lld hours", sep,
                         hours < 0 ? 0 : hours);
        }
        n = 1;
    }
    return n > 0;
}

void mon__check_judge(mon_check_result *r, struct mon__verdict *v, const struct mon__check_spec *spec,
                      const struct mon__attempt *a)
{
    long code = 0;
    char *ip = NULL;
    v->message[0] = '\0';
    v->remote_ip[0] = '\0';
    fill_timings(r, a->easy);
    curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
    if (curl_easy_getinfo(a->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
        snprintf(v->remote_ip, sizeof(v->remote_ip), "%s", ip);
    r->remote_ip = v->remote_ip;
    r->status_code = (int)code;
    r->cert_expires_at = mon__cert_date_parse(mon__cert_field(a->easy, "Expire date"));
    r->body_truncated = a->truncated;
    r->error_message = v->message;
    r->status = MON_STATUS_DOWN;

    if (a->code != CURLE_OK) {
        transport_message(v, a);
        return;
    }
    struct mon__response response = {code, a->body, a->body_len, a->truncated, header_value, a->easy};
    mon__check_judge_response(r, v, spec, &response, a->now);
}

void mon__check_judge_response(mon_check_result *r, struct mon__verdict *v,
                               const struct mon__check_spec *spec, const struct mon__response *a, mon_time now)
{
    long code = a->status;
    v->message[0] = '\0';
    r->error_message = v->message;
    r->status = MON_STATUS_DOWN;
    if (code != spec->expected_status) {
        say(v, "expected %d, got %ld", spec->expected_status, code);
        return;
    }
    struct body_json bj = {0, NULL};
    int held = 1;
    for (size_t i = 0; i < spec->condition_count && held; i++)
        held = condition_holds(v, &spec->conditions[i], a, &bj);
    json_decref(bj.root);
    if (!held)
        return;
    if (degraded(v, r, spec, now)) {
        r->status = MON_STATUS_DEGRADED;
        return;
    }
    r->status = MON_STATUS_UP;
    r->error_message = NULL;
}
