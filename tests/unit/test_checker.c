/* The checker against tests/stubs/targets.py on 127.0.0.1 (plain and TLS
 * listeners, certificates made here with openssl). */
#include <monitorage/monitorage.h>

#include "certinfo.h"
#include "checker_priv.h"
#include "checkmain.h"
#include "stubproc.h"

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct stubproc stub;
static char certdir[] = "/tmp/mon-checker-certs-XXXXXX";
static char ca_file[256];
static int tls_port_good, tls_port_soon, tls_port_expired, tls_port_self, tls_port_wronghost;

/* ---- fixture: certificates and the stub ---- */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "command failed: %s\n", cmd);
        abort();
    }
}

/* A leaf certificate for SAN san, signed by the test CA, valid for days (negative: expired). */
static void leaf(const char *name, const char *san, int days)
{
    sh("cd %s && printf 'subjectAltName=%s\\n' > %s.ext && openssl x509 -req -in leaf.csr -CA ca.pem -CAkey "
       "ca.key"
       " -CAcreateserial -days %d -extfile %s.ext -out %s.pem 2>/dev/null",
       certdir, san, name, days, name, name);
}

static char *http_get(const char *url);

static int json_port(json_t *ports, const char *name)
{
    json_t *v = json_object_get(ports, name);
    if (!json_is_integer(v))
        abort();
    return (int)json_integer_value(v);
}

static void setup_suite(void)
{
    mon_global_init();
    if (!mkdtemp(certdir))
        abort();
    sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out "
       "ca.pem"
       " -days 30 -subj /CN=Monitorage-Test-CA 2>/dev/null",
       certdir);
    sh("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out "
       "leaf.csr"
       " -subj /CN=localhost 2>/dev/null",
       certdir);
    leaf("good", "DNS:localhost,IP:127.0.0.1", 365);
    leaf("soon", "DNS:localhost,IP:127.0.0.1", 3);
    leaf("expired", "DNS:localhost,IP:127.0.0.1", -1);
    leaf("wronghost", "DNS:other.example", 365);
    sh("cd %s && openssl req -x509 -key leaf.key -out self.pem -days 30 -subj /CN=localhost"
       " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null",
       certdir);
    snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", certdir);

    char args[5][512];
    const char *names[5] = {"good", "soon", "expired", "wronghost", "self"};
    const char *argv[14] = {"python3", stubproc_source_path("stubs/targets.py")};
    for (int i = 0; i < 5; i++) {
        snprintf(args[i], sizeof(args[i]), "%s:%s/%s.pem:%s/leaf.key", names[i], certdir, names[i], certdir);
        argv[2 + 2 * i] = "--tls";
        argv[3 + 2 * i] = args[i];
    }
    argv[12] = NULL;
    stubproc_start(&stub, argv);

    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/tls-ports", stub.port);
    char *text = http_get(url);
    json_t *ports = json_loads(text, 0, NULL);
    free(text);
    tls_port_good = json_port(ports, "good");
    tls_port_soon = json_port(ports, "soon");
    tls_port_expired = json_port(ports, "expired");
    tls_port_wronghost = json_port(ports, "wronghost");
    tls_port_self = json_port(ports, "self");
    json_decref(ports);
}

static void teardown_suite(void)
{
    stubproc_stop(&stub);
    sh("rm -rf %s", certdir);
    mon_global_cleanup();
}

/* ---- helpers ---- */

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    char **buf = userdata;
    size_t old = *buf ? strlen(*buf) : 0, n = size * nmemb;
    char *grown = realloc(*buf, old + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + old, data, n);
    grown[old + n] = '\0';
    *buf = grown;
    return n;
}

/* Plain GET with libcurl (not the checker), for the stub's own routes. */
static char *http_get(const char *url)
{
    char *body = NULL;
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(easy) != CURLE_OK || !body) {
        fprintf(stderr, "GET %s failed\n", url);
        stubproc_stop(&stub);
        abort();
    }
    curl_easy_cleanup(easy);
    return body;
}

static long stub_max_concurrent(void)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/stats", stub.port);
    char *text = http_get(url);
    json_t *stats = json_loads(text, 0, NULL);
    long max = (long)json_integer_value(json_object_get(stats, "max_concurrent"));
    json_decref(stats);
    free(text);
    return max;
}

/* An endpoint {"name","type","url", extra...}. Latency never makes it DEGRADED unless extra sets
 * degraded_ms, so that a slow machine (valgrind, load) does not change the verdicts tested. */
static mon_endpoint *endpoint(const char *type, const char *url, const char *extra)
{
    char json[4096];
    mon_endpoint *ep = NULL;
    extra = extra ? extra : "";
    snprintf(json, sizeof(json), "{\"name\":\"t\",\"type\":\"%s\",\"url\":\"%s\"%s%s%s}", type, url,
             strstr(extra, "degraded_ms") ? "" : ",\"degraded_ms\":0", *extra ? "," : "", extra);
    ck_assert_msg(mon_endpoint_from_json(&ep, json) == MON_OK, "%s: %s", json, mon_error_last());
    return ep;
}

static char *plain(const char *path)
{
    static char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", stub.port, path);
    return url;
}

static char *tls(int port, const char *host)
{
    static char url[256];
    snprintf(url, sizeof(url), "https://%s:%d/ok", host, port);
    return url;
}

static void keep(mon_checker *c, const mon_check_result *r, void *payload)
{
    ck_assert_int_eq(r->version, MON_CHECK_RESULT_VERSION);
    ck_assert_int_eq(mon_check_result_dup((mon_check_result **)payload, r), MON_OK);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long elapsed_ms;

/* Check one endpoint with options (NULL: defaults plus the test CA), free ep, return the result. */
static mon_check_result *check_with(mon_endpoint *ep, mon_checker_options *opts)
{
    mon_checker_options defaults = MON_CHECKER_OPTIONS_INIT;
    mon_checker *c = NULL;
    mon_check_result *r = NULL;
    if (!opts) {
        defaults.ca_file = ca_file;
        opts = &defaults;
    }
    int timeout_ms = mon_endpoint_get_timeout_ms(ep);
    ck_assert_int_eq(mon_checker_new(&c, opts), MON_OK);
    ck_assert_int_eq(mon_checker_submit(c, ep, keep, &r), MON_OK);
    mon_endpoint_free(ep);
    long long t0 = now_ms();
    ck_assert_int_eq(mon_checker_run(c, 30000), MON_OK);
    elapsed_ms = now_ms() - t0;
    ck_assert_ptr_nonnull(r);
    /* Every verdict comes within the attempts' timeouts and retry delays, plus a margin. */
    long long bound = (long long)r->attempts * timeout_ms + (r->attempts - 1) * opts->retry_delay_ms + 1000;
    ck_assert_msg(elapsed_ms <= bound, "took %lld ms, more than %lld ms", elapsed_ms, bound);
    ck_assert_int_eq(mon_checker_pending(c), 0);
    mon_checker_free(c);
    return r;
}

static mon_check_result *check(mon_endpoint *ep)
{
    return check_with(ep, NULL);
}

static void assert_result(const mon_check_result *r, mon_status st, const char *msg)
{
    const char *got = r->error_message ? r->error_message : "(null)";
    ck_assert_msg(r->status == st, "status %s (%s), expected %s", mon_status_name(r->status), got,
                  mon_status_name(st));
    if (msg)
        ck_assert_msg(r->error_message && strstr(r->error_message, msg), "message \"%s\" lacks \"%s\"", got,
                      msg);
    else
        ck_assert_msg(r->error_message == NULL, "unexpected message \"%s\"", got);
}

#define ASSERT_RESULT(r, st, msg) assert_result(r, st, msg)

/* ---- plain targets ---- */

START_TEST(ok_target_is_up_with_phase_timings)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/ok"), NULL));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(r->status_code, 200);
    ck_assert_int_eq(r->attempts, 1);
    ck_assert(r->dns_ms >= 0 && r->connect_ms >= 0 && r->ttfb_ms >= 0 && r->total_ms > 0);
    ck_assert(r->tls_ms == -1);
    ck_assert(r->total_ms >= r->dns_ms + r->connect_ms + r->ttfb_ms - 0.01);
    ck_assert_int_ge(r->latency_ms, 0);
    ck_assert_str_eq(r->remote_ip, "127.0.0.1");
    ck_assert_int_eq(r->cert_expires_at, 0);
    ck_assert_int_eq(r->body_bytes, 2);
    ck_assert_int_eq(r->body_truncated, 0);
    ck_assert_str_eq(r->url, plain("/ok"));
    ck_assert(r->checked_at > 0);
    mon_check_result_free(r);
}
END_TEST

START_TEST(wrong_status_is_down_with_expected_and_got)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/status/503"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "expected 200, got 503");
    ck_assert_int_eq(r->status_code, 503);
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", plain("/status/204"), "\"expected_status\":204"));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
}
END_TEST

START_TEST(slow_answer_above_threshold_is_degraded)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/slow?ms=400"), "\"degraded_ms\":200"));
    ASSERT_RESULT(r, MON_STATUS_DEGRADED, "ms above 200 ms");
    ck_assert_int_ge(r->latency_ms, 400);
    ck_assert(r->ttfb_ms >= 390);
    mon_check_result_free(r);
}
END_TEST

START_TEST(hanging_target_times_out_within_margin)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/hang"), "\"timeout\":1000,\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "timed out after 1000 ms");
    ck_assert_int_eq(r->status_code, 0);
    ck_assert_int_ge(elapsed_ms, 990);
    ck_assert_int_le(elapsed_ms, 1500);
    mon_check_result_free(r);
}
END_TEST

START_TEST(refused_port_is_down_connection_refused)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd); /* bound, never listened: nothing accepts on this port */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    mon_check_result *r = check(endpoint("DOMAIN", url, "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "connection refused");
    ck_assert_int_le(elapsed_ms, 500);
    mon_check_result_free(r);
}
END_TEST

START_TEST(closed_without_answer_is_down)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/close"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "connection closed without an answer");
    mon_check_result_free(r);
}
END_TEST

static long vm_hwm_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

START_TEST(huge_body_is_cut_at_limit_not_buffered)
{
    long before = vm_hwm_kb();
    mon_check_result *r = check(endpoint("DOMAIN", plain("/huge?mb=20"),
                                         "\"conditions\":[{\"type\":"
                                         "\"body_contains\",\"value\":\"xxx\"}]"));
    long after = vm_hwm_kb();
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(r->body_truncated, 1);
    ck_assert_int_eq(r->body_bytes, 1u << 20);
    ck_assert_msg(after - before < 8 * 1024, "peak RSS grew by %ld kB", after - before);
    mon_check_result_free(r);
}
END_TEST

START_TEST(body_limit_option_cuts_earlier)
{
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.body_limit = 1000;
    mon_check_result *r = check_with(endpoint("DOMAIN", plain("/json"), NULL), &o);
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(r->body_truncated, 0);
    mon_check_result_free(r);
    o.body_limit = 10;
    r = check_with(endpoint("DOMAIN", plain("/json"),
                            "\"conditions\":[{\"type\":\"json_equals\",\"path\":"
                            "\"status\",\"value\":\"UP\"}]"),
                   &o);
    ASSERT_RESULT(r, MON_STATUS_DOWN, "body condition failed: body is not JSON (cut at the body limit)");
    ck_assert_int_eq(r->body_truncated, 1);
    ck_assert_int_eq(r->body_bytes, 10);
    mon_check_result_free(r);
}
END_TEST

START_TEST(redirects_are_not_followed_by_default)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/redirect?to=/ok"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "expected 200, got 302");
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", plain("/redirect?to=/ok"), "\"follow_redirects\":true"));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
}
END_TEST

START_TEST(redirect_loop_is_too_many_redirects)
{
    mon_check_result *r =
        check(endpoint("DOMAIN", plain("/redirect-loop"), "\"follow_redirects\":true,\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "too many redirects");
    mon_check_result_free(r);
}
END_TEST

START_TEST(failure_then_success_is_up_after_two_attempts)
{
    char path[128];
    snprintf(path, sizeof(path), "/flaky?key=once-%d&fails=1", (int)getpid());
    mon_check_result *r = check(endpoint("DOMAIN", plain(path), "\"retries\":1"));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(r->attempts, 2);
    ck_assert_int_ge(elapsed_ms, 200); /* the default retry delay */
    mon_check_result_free(r);

    snprintf(path, sizeof(path), "/flaky?key=always-%d&fails=9", (int)getpid());
    r = check(endpoint("DOMAIN", plain(path), "\"retries\":2"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "expected 200, got 503");
    ck_assert_int_eq(r->attempts, 3);
    mon_check_result_free(r);
}
END_TEST

/* ---- conditions ---- */

static void assert_condition(const char *path, const char *conditions, mon_status status, const char *message)
{
    char extra[1024];
    snprintf(extra, sizeof(extra), "\"retries\":0,\"conditions\":%s", conditions);
    mon_check_result *r = check(endpoint("DOMAIN", plain(path), extra));
    ASSERT_RESULT(r, status, message);
    mon_check_result_free(r);
}

START_TEST(body_conditions_are_applied)
{
    assert_condition("/ok", "[{\"type\":\"body_contains\",\"value\":\"ok\"}]", MON_STATUS_UP, NULL);
    assert_condition("/ok", "[{\"type\":\"body_contains\",\"value\":\"fine\"}]", MON_STATUS_DOWN,
                     "body condition failed: body does not contain \"fine\"");
    assert_condition("/json", "[{\"type\":\"body_not_contains\",\"value\":\"UP\"}]", MON_STATUS_DOWN,
                     "body condition failed: body contains \"UP\"");
    assert_condition("/json", "[{\"type\":\"body_not_contains\",\"value\":\"error\"}]", MON_STATUS_UP, NULL);
}
END_TEST

START_TEST(json_conditions_are_applied)
{
    assert_condition(
        "/json",
        "[{\"type\":\"json_equals\",\"path\":\"status\",\"value\":\"UP\"},"
        "{\"type\":\"json_equals\",\"path\":\"data.items[0].id\",\"value\":7},"
        "{\"type\":\"json_matches\",\"path\":\"data.items[0].latency\",\"value\":\"^[0-9]+ms$\"}]",
        MON_STATUS_UP, NULL);
    assert_condition("/json", "[{\"type\":\"json_equals\",\"path\":\"status\",\"value\":\"DOWN\"}]",
                     MON_STATUS_DOWN, "body condition failed: status is UP, expected \"DOWN\"");
    assert_condition("/json", "[{\"type\":\"json_matches\",\"path\":\"count\",\"value\":\"^[5-9]$\"}]",
                     MON_STATUS_DOWN, "body condition failed: count is 3, does not match ^[5-9]$");
    assert_condition("/json", "[{\"type\":\"json_equals\",\"path\":\"data.missing\",\"value\":1}]",
                     MON_STATUS_DOWN, "body condition failed: no value at data.missing");
    assert_condition("/ok", "[{\"type\":\"json_equals\",\"path\":\"status\",\"value\":\"UP\"}]",
                     MON_STATUS_DOWN, "body condition failed: body is not JSON");
}
END_TEST

START_TEST(header_conditions_are_applied)
{
    assert_condition("/headers",
                     "[{\"type\":\"header_present\",\"name\":\"x-test\"},"
                     "{\"type\":\"header_equals\",\"name\":\"X-Test\",\"value\":\"yes\"}]",
                     MON_STATUS_UP, NULL);
    assert_condition("/headers", "[{\"type\":\"header_equals\",\"name\":\"X-Test\",\"value\":\"no\"}]",
                     MON_STATUS_DOWN, "header condition failed: X-Test is \"yes\", expected \"no\"");
    assert_condition("/ok", "[{\"type\":\"header_present\",\"name\":\"X-Test\"}]", MON_STATUS_DOWN,
                     "header condition failed: no header X-Test");
}
END_TEST

START_TEST(custom_headers_and_user_agent_are_sent)
{
    char ua[64];
    snprintf(ua, sizeof(ua), "Monitorage/%s", mon_version());
    char conditions[512];
    snprintf(conditions, sizeof(conditions),
             "[{\"type\":\"json_equals\",\"path\":\"user-agent\",\"value\":\"%s\"},"
             "{\"type\":\"json_equals\",\"path\":\"x-custom\",\"value\":\"abc def\"},"
             "{\"type\":\"json_equals\",\"path\":\"connection\",\"value\":\"close\"},"
             "{\"type\":\"json_equals\",\"path\":\"x-empty\",\"value\":\"\"}]",
             ua);
    char extra[1024];
    snprintf(extra, sizeof(extra),
             "\"headers\":{\"X-Custom\":\"abc def\",\"X-Empty\":\"\"},\"conditions\":%s", conditions);
    mon_check_result *r = check(endpoint("DOMAIN", plain("/headers"), extra));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
}
END_TEST

START_TEST(head_and_post_methods_are_used)
{
    mon_check_result *r = check(endpoint("DOMAIN", plain("/ok"), "\"method\":\"HEAD\""));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(r->body_bytes, 0);
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", plain("/ok"), "\"method\":\"POST\""));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
}
END_TEST

/* ---- endpoint types ---- */

START_TEST(apim_without_path_checks_gateway_status_path)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", stub.port);
    mon_check_result *r = check(
        endpoint("APIM", url, "\"conditions\":[{\"type\":\"body_contains\",\"value\":\"gateway ok\"}]"));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_str_eq(r->url, plain("/status-0123456789abcdef"));
    mon_check_result_free(r);
    r = check(endpoint("APIM", plain("/ok"), NULL));
    ck_assert_str_eq(r->url, plain("/ok"));
    mon_check_result_free(r);
}
END_TEST

START_TEST(domain_reports_resolution_through_resolve_override)
{
    char rule[64], url[128];
    snprintf(rule, sizeof(rule), "monitorage.test:%d:127.0.0.1", stub.port);
    snprintf(url, sizeof(url), "http://monitorage.test:%d/ok", stub.port);
    const char *resolve[] = {rule, NULL};
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.resolve = resolve;
    o.ip_version = 4;
    mon_check_result *r = check_with(endpoint("DOMAIN", url, NULL), &o);
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_str_eq(r->remote_ip, "127.0.0.1");
    ck_assert(r->dns_ms >= 0);
    mon_check_result_free(r);
}
END_TEST

START_TEST(ip_version_option_restricts_address_family)
{
    char url[64];
    snprintf(url, sizeof(url), "http://localhost:%d/ok", stub.port); /* the stub listens on 127.0.0.1 only */
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.ip_version = 4;
    mon_check_result *r = check_with(endpoint("DOMAIN", url, NULL), &o);
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_str_eq(r->remote_ip, "127.0.0.1");
    mon_check_result_free(r);
    o.ip_version = 6;
    r = check_with(endpoint("DOMAIN", url, "\"retries\":0"), &o);
    ck_assert_int_eq(r->status, MON_STATUS_DOWN);
    ck_assert_str_ne(r->remote_ip, "127.0.0.1");
    mon_check_result_free(r);
}
END_TEST

static int token_calls;

static int give_token(char **token, const mon_endpoint *ep, void *payload)
{
    token_calls++;
    if (!payload)
        return MON_EAUTH;
    *token = strdup(payload);
    return MON_OK;
}

START_TEST(talend_sends_bearer_token_from_hook)
{
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.token_cb = give_token;
    o.token_payload = "tok-123";
    const char *extra =
        "\"conditions\":[{\"type\":\"json_equals\",\"path\":\"authorization\",\"value\":\"Bearer "
        "tok-123\"}]";
    mon_check_result *r = check_with(endpoint("TALEND", plain("/headers"), extra), &o);
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert_int_eq(token_calls, 1);
    mon_check_result_free(r);
    /* Other types never get the token. */
    r = check_with(endpoint("DOMAIN", plain("/headers"), extra), &o);
    ASSERT_RESULT(r, MON_STATUS_DOWN, "no value at authorization");
    ck_assert_int_eq(token_calls, 1);
    mon_check_result_free(r);
    o.token_payload = NULL;
    r = check_with(endpoint("TALEND", plain("/headers"), NULL), &o);
    ASSERT_RESULT(r, MON_STATUS_UNKNOWN, "could not run: no credentials");
    ck_assert_int_eq(r->attempts, 1);
    mon_check_result_free(r);
}
END_TEST

/* ---- TLS ---- */

START_TEST(trusted_certificate_is_up_with_expiry)
{
    mon_check_result *r = check(endpoint("DOMAIN", tls(tls_port_good, "127.0.0.1"), NULL));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    ck_assert(r->tls_ms > 0);
    long long days = (r->cert_expires_at / 1000000 - (long long)time(NULL)) / 86400;
    ck_assert_int_ge(days, 363);
    ck_assert_int_le(days, 365);
    mon_check_result_free(r);
}
END_TEST

START_TEST(certificate_near_expiry_is_degraded)
{
    mon_check_result *r = check(endpoint("DOMAIN", tls(tls_port_soon, "localhost"), NULL));
    ASSERT_RESULT(r, MON_STATUS_DEGRADED, "certificate expires in 2 days");
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", tls(tls_port_soon, "localhost"), "\"cert_warn_days\":0"));
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
}
END_TEST

START_TEST(bad_certificates_are_down_with_reason)
{
    mon_check_result *r = check(endpoint("DOMAIN", tls(tls_port_expired, "127.0.0.1"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "certificate verify failed: certificate has expired");
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", tls(tls_port_self, "127.0.0.1"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "certificate verify failed: self-signed certificate");
    mon_check_result_free(r);
    r = check(endpoint("DOMAIN", tls(tls_port_wronghost, "127.0.0.1"), "\"retries\":0"));
    ASSERT_RESULT(r, MON_STATUS_DOWN, "certificate verify failed: host name mismatch");
    mon_check_result_free(r);
    /* Without the test CA even the good certificate is refused. */
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    r = check_with(endpoint("DOMAIN", tls(tls_port_good, "127.0.0.1"), "\"retries\":0"), &o);
    ASSERT_RESULT(r, MON_STATUS_DOWN, "certificate verify failed: unable to get local issuer certificate");
    mon_check_result_free(r);
}
END_TEST

/* ---- engine ---- */

struct counter {
    int done;
    int up;
    size_t max_in_flight_seen;
};

static void count(mon_checker *c, const mon_check_result *r, void *payload)
{
    struct counter *n = payload;
    n->done++;
    n->up += r->status == MON_STATUS_UP;
    if (mon_checker_in_flight(c) > n->max_in_flight_seen)
        n->max_in_flight_seen = mon_checker_in_flight(c);
}

START_TEST(cap_on_checks_in_flight_is_honoured)
{
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.max_in_flight = 4;
    mon_checker *c = NULL;
    struct counter n = {0, 0, 0};
    mon_endpoint *ep = endpoint("DOMAIN", plain("/slow?ms=200"), NULL);
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_OK);
    stub_max_concurrent(); /* resets the stub's maximum */
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(mon_checker_submit(c, ep, count, &n), MON_OK);
    ck_assert_int_eq(mon_checker_pending(c), 16);
    long long t0 = now_ms();
    ck_assert_int_eq(mon_checker_run(c, 10000), MON_OK);
    long long took = now_ms() - t0;
    ck_assert_int_eq(n.done, 16);
    ck_assert_int_eq(n.up, 16);
    long max = stub_max_concurrent();
    ck_assert_msg(max <= 4 + 1, "stub saw %ld connections at once", max); /* + the /stats request */
    ck_assert_int_ge(max, 3);
    ck_assert_int_le(n.max_in_flight_seen, 4);
    ck_assert_int_ge(took, 4 * 200 - 20); /* 16 checks, 4 at a time */
    mon_endpoint_free(ep);
    mon_checker_free(c);
}
END_TEST

struct sockets {
    int announced, removed;
};

static void on_socket(mon_checker *c, int fd, int events, void *payload)
{
    struct sockets *s = payload;
    if (events & MON_POLL_REMOVE)
        s->removed++;
    else
        s->announced++;
}

START_TEST(event_loop_interface_driven_by_poll)
{
    mon_checker *c = NULL;
    struct counter n = {0, 0, 0};
    struct sockets s = {0, 0};
    const char *paths[] = {"/ok", "/slow?ms=300", "/status/500", "/json", "/slow?ms=100"};
    ck_assert_int_eq(mon_checker_new(&c, NULL), MON_OK);
    ck_assert_int_eq(mon_checker_set_socket_callback(c, on_socket, &s), MON_OK);
    ck_assert_int_eq(mon_checker_timeout_ms(c), -1);
    for (int i = 0; i < 5; i++) {
        mon_endpoint *ep = endpoint("DOMAIN", plain(paths[i]), "\"retries\":0");
        ck_assert_int_eq(mon_checker_submit(c, ep, count, &n), MON_OK);
        mon_endpoint_free(ep);
    }
    ck_assert_int_eq(mon_checker_timeout_ms(c), 0);
    long long deadline = now_ms() + 10000;
    while (mon_checker_pending(c) > 0 && now_ms() < deadline) {
        mon_checker_fd fds[16];
        struct pollfd pfds[16];
        size_t count_fds = 0;
        ck_assert_int_eq(mon_checker_fds(c, fds, 16, &count_fds), MON_OK);
        ck_assert_int_le(count_fds, 16);
        for (size_t i = 0; i < count_fds; i++) {
            pfds[i].fd = fds[i].fd;
            pfds[i].events = (short)(((fds[i].events & MON_POLL_IN) ? POLLIN : 0) |
                                     ((fds[i].events & MON_POLL_OUT) ? POLLOUT : 0));
            pfds[i].revents = 0;
        }
        int ready = poll(pfds, count_fds, (int)mon_checker_timeout_ms(c));
        ck_assert_int_ge(ready, 0);
        if (ready == 0) {
            ck_assert_int_eq(mon_checker_process(c, MON_CHECKER_TIMEOUT, 0), MON_OK);
            continue;
        }
        for (size_t i = 0; i < count_fds; i++) {
            if (!pfds[i].revents)
                continue;
            int ev = ((pfds[i].revents & POLLIN) ? MON_POLL_IN : 0) |
                     ((pfds[i].revents & POLLOUT) ? MON_POLL_OUT : 0) |
                     ((pfds[i].revents & (POLLERR | POLLHUP)) ? MON_POLL_ERR : 0);
            ck_assert_int_eq(mon_checker_process(c, pfds[i].fd, ev), MON_OK);
        }
    }
    ck_assert_int_eq(n.done, 5);
    ck_assert_int_eq(n.up, 4);
    ck_assert_int_ge(s.announced, 5);
    ck_assert_int_ge(s.removed, 5);
    size_t left = 99;
    ck_assert_int_eq(mon_checker_fds(c, NULL, 0, &left), MON_OK);
    ck_assert_int_eq(left, 0);
    ck_assert_int_eq(mon_checker_timeout_ms(c), -1);
    mon_checker_free(c);
}
END_TEST

static int never_called;

static void must_not_be_called(mon_checker *c, const mon_check_result *r, void *payload)
{
    never_called++;
}

START_TEST(failed_submit_never_calls_back)
{
    mon_checker *c = NULL;
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_checker_new(&c, NULL), MON_OK);
    ck_assert_int_eq(mon_endpoint_new(&ep), MON_OK);
    ck_assert_int_eq(mon_checker_submit(c, ep, must_not_be_called, NULL), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "url");
    ck_assert_int_eq(mon_checker_submit(c, NULL, must_not_be_called, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_checker_pending(c), 0);
    ck_assert_int_eq(mon_checker_run(c, 1000), MON_OK);
    ck_assert_int_eq(never_called, 0);
    mon_endpoint_free(ep);
    mon_checker_free(c);
}
END_TEST

START_TEST(free_with_checks_pending_drops_them_silently)
{
    mon_checker *c = NULL;
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    o.max_in_flight = 2;
    mon_endpoint *ep = endpoint("DOMAIN", plain("/hang"), "\"retries\":3");
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mon_checker_submit(c, ep, must_not_be_called, NULL), MON_OK);
    ck_assert_int_eq(mon_checker_run(c, 200), MON_ETIMEOUT);
    ck_assert_int_eq(mon_checker_in_flight(c), 2);
    ck_assert_int_eq(mon_checker_pending(c), 5);
    mon_checker_free(c);
    mon_endpoint_free(ep);
    ck_assert_int_eq(never_called, 0);
}
END_TEST

struct chain {
    mon_endpoint *ep;
    int left, done;
};

static void resubmit(mon_checker *c, const mon_check_result *r, void *payload)
{
    struct chain *ch = payload;
    ch->done++;
    if (ch->left-- > 0)
        ck_assert_int_eq(mon_checker_submit(c, ch->ep, resubmit, ch), MON_OK);
}

START_TEST(callback_may_submit_more_checks)
{
    mon_checker *c = NULL;
    struct chain ch = {endpoint("DOMAIN", plain("/ok"), NULL), 3, 0};
    ck_assert_int_eq(mon_checker_new(&c, NULL), MON_OK);
    ck_assert_int_eq(mon_checker_submit(c, ch.ep, resubmit, &ch), MON_OK);
    ck_assert_int_eq(mon_checker_run(c, 10000), MON_OK);
    ck_assert_int_eq(ch.done, 4);
    mon_endpoint_free(ch.ep);
    mon_checker_free(c);
}
END_TEST

START_TEST(check_url_one_shot)
{
    mon_check_result *r = NULL;
    ck_assert_int_eq(mon_check_url(&r, plain("/ok"), 2000), MON_OK);
    ASSERT_RESULT(r, MON_STATUS_UP, NULL);
    mon_check_result_free(r);
    ck_assert_int_eq(mon_check_url(&r, plain("/status/404"), 2000), MON_OK);
    ASSERT_RESULT(r, MON_STATUS_DOWN, "expected 200, got 404");
    mon_check_result_free(r);
    r = NULL;
    ck_assert_int_eq(mon_check_url(&r, "ftp://127.0.0.1/", 2000), MON_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(mon_check_url(&r, plain("/ok"), 5), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "timeout");
}
END_TEST

START_TEST(result_fills_store_record)
{
    mon_endpoint *ep = endpoint("DOMAIN", plain("/status/503"), "\"retries\":0");
    ck_assert_int_eq(mon_endpoint_set_id(ep, "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"), MON_OK);
    mon_check_result *r = check(ep);
    mon_check_record rec = MON_CHECK_RECORD_INIT;
    ck_assert_int_eq(mon_check_result_to_record(&rec, r), MON_OK);
    ck_assert_str_eq(rec.endpoint_id, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    ck_assert_int_eq(rec.status, MON_STATUS_DOWN);
    ck_assert_int_eq(rec.status_code, 503);
    ck_assert_str_eq(rec.error_message, "expected 200, got 503");
    ck_assert_int_eq(rec.checked_at, r->checked_at);
    ck_assert(rec.dns_ms == r->dns_ms && rec.ttfb_ms == r->ttfb_ms && rec.tls_ms == -1);
    mon_check_record bad = MON_CHECK_RECORD_INIT;
    bad.version = 99;
    ck_assert_int_eq(mon_check_result_to_record(&bad, r), MON_EVERSION);
    mon_check_result_free(r);
}
END_TEST

START_TEST(bad_options_are_refused)
{
    mon_checker *c = NULL;
    mon_checker_options o;
    ck_assert_int_eq(mon_checker_options_init(&o, 99), MON_EVERSION);
    ck_assert_int_eq(mon_checker_options_init(&o, MON_CHECKER_OPTIONS_VERSION), MON_OK);
    ck_assert_int_eq(o.max_in_flight, 1000);
    ck_assert_int_eq(o.body_limit, 1u << 20);
    ck_assert_int_eq(o.retry_delay_ms, 200);
    o.max_in_flight = 0;
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "max_in_flight");
    ck_assert_ptr_null(c);
    o.max_in_flight = 10;
    o.ip_version = 5;
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "ip_version");
    o.ip_version = 0;
    o.user_agent = "bad\r\nX-Injected: 1";
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "user_agent");
    o.user_agent = NULL;
    o.version = 7;
    ck_assert_int_eq(mon_checker_new(&c, &o), MON_EVERSION);
}
END_TEST

/* ---- private helpers ---- */

START_TEST(certificate_dates_parse_in_both_formats)
{
    ck_assert_int_eq(mon__cert_date_parse("Jan  2 03:04:05 2027 GMT"), 1798859045LL * 1000000);
    ck_assert_int_eq(mon__cert_date_parse("2027-01-02 03:04:05 GMT"), 1798859045LL * 1000000);
    ck_assert_int_eq(mon__cert_date_parse("Foo  2 03:04:05 2027 GMT"), 0);
    ck_assert_int_eq(mon__cert_date_parse("garbage"), 0);
    ck_assert_int_eq(mon__cert_date_parse(""), 0);
}
END_TEST

START_TEST(unresolvable_host_message)
{
    /* A real lookup would leave the machine; judge the libcurl outcome directly. */
    mon_endpoint *ep = endpoint("DOMAIN", "http://nowhere.test/", NULL);
    CURL *easy = curl_easy_init();
    struct mon__attempt a = {
        easy, CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: nowhere.test", NULL, 0, 0, 5000, 0};
    struct mon__verdict v;
    mon_check_result r;
    memset(&r, 0, sizeof(r));
    struct mon__check_spec *spec = mon__check_spec_new(ep);
    mon__check_judge(&r, &v, spec, &a);
    free(spec);
    ASSERT_RESULT(&r, MON_STATUS_DOWN, "could not resolve host: nowhere.test");
    ck_assert(r.dns_ms == -1 && r.connect_ms == -1);
    curl_easy_cleanup(easy);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(spec_copies_what_a_check_needs)
{
    mon_endpoint *ep = endpoint("TALEND", "http://127.0.0.1/x",
                                "\"method\":\"PUT\",\"timeout\":1234,\"expected_status\":204,\"retries\":3,"
                                "\"cert_warn_days\":7,\"follow_redirects\":true,"
                                "\"headers\":{\"A\":\"1\",\"connection\":\"keep-alive\",\"E\":\"\"},"
                                "\"conditions\":[{\"type\":\"header_present\",\"name\":\"X\"},"
                                "{\"type\":\"json_equals\",\"path\":\"a.b\",\"value\":{\"k\":[1]}}]");
    ck_assert_int_eq(mon_endpoint_set_id(ep, "1b4e28ba-2fa1-11d2-883f-0016d3cca427"), MON_OK);
    struct mon__check_spec *spec = mon__check_spec_new(ep);
    mon_endpoint_free(ep);
    ck_assert_str_eq(spec->id, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    ck_assert_int_eq(spec->type, MON_ENDPOINT_TALEND);
    ck_assert_str_eq(spec->method, "PUT");
    ck_assert_int_eq(spec->timeout_ms, 1234);
    ck_assert_int_eq(spec->expected_status, 204);
    ck_assert_int_eq(spec->degraded_ms, 0);
    ck_assert_int_eq(spec->retries, 3);
    ck_assert_int_eq(spec->cert_warn_days, 7);
    ck_assert_int_eq(spec->follow_redirects, 1);
    ck_assert_int_eq(spec->header_count, 3);
    ck_assert_str_eq(spec->header_lines[0], "A: 1");
    ck_assert_str_eq(spec->header_lines[1], "connection: keep-alive");
    ck_assert_str_eq(spec->header_lines[2], "E;");
    ck_assert_int_eq(spec->connection_given, 1);
    ck_assert_int_eq(spec->condition_count, 2);
    ck_assert_int_eq(spec->conditions[0].kind, MON__COND_HEADER_PRESENT);
    ck_assert_str_eq(spec->conditions[0].path, "X");
    ck_assert_ptr_null(spec->conditions[0].value);
    ck_assert_str_eq(spec->conditions[1].path, "a.b");
    ck_assert_str_eq(spec->conditions[1].value, "{\"k\":[1]}");
    ck_assert_int_eq(spec->keep_body, 1);
    free(spec);
}
END_TEST

static Suite *checker_suite(void)
{
    Suite *s = suite_create("checker");
    TCase *t = tcase_create("targets");
    tcase_add_unchecked_fixture(t, setup_suite, teardown_suite);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, ok_target_is_up_with_phase_timings);
    tcase_add_test(t, wrong_status_is_down_with_expected_and_got);
    tcase_add_test(t, slow_answer_above_threshold_is_degraded);
    tcase_add_test(t, hanging_target_times_out_within_margin);
    tcase_add_test(t, refused_port_is_down_connection_refused);
    tcase_add_test(t, closed_without_answer_is_down);
    tcase_add_test(t, huge_body_is_cut_at_limit_not_buffered);
    tcase_add_test(t, body_limit_option_cuts_earlier);
    tcase_add_test(t, redirects_are_not_followed_by_default);
    tcase_add_test(t, redirect_loop_is_too_many_redirects);
    tcase_add_test(t, failure_then_success_is_up_after_two_attempts);
    tcase_add_test(t, body_conditions_are_applied);
    tcase_add_test(t, json_conditions_are_applied);
    tcase_add_test(t, header_conditions_are_applied);
    tcase_add_test(t, custom_headers_and_user_agent_are_sent);
    tcase_add_test(t, head_and_post_methods_are_used);
    tcase_add_test(t, apim_without_path_checks_gateway_status_path);
    tcase_add_test(t, domain_reports_resolution_through_resolve_override);
    tcase_add_test(t, ip_version_option_restricts_address_family);
    tcase_add_test(t, talend_sends_bearer_token_from_hook);
    tcase_add_test(t, trusted_certificate_is_up_with_expiry);
    tcase_add_test(t, certificate_near_expiry_is_degraded);
    tcase_add_test(t, bad_certificates_are_down_with_reason);
    tcase_add_test(t, cap_on_checks_in_flight_is_honoured);
    tcase_add_test(t, event_loop_interface_driven_by_poll);
    tcase_add_test(t, failed_submit_never_calls_back);
    tcase_add_test(t, free_with_checks_pending_drops_them_silently);
    tcase_add_test(t, callback_may_submit_more_checks);
    tcase_add_test(t, check_url_one_shot);
    tcase_add_test(t, result_fills_store_record);
    tcase_add_test(t, bad_options_are_refused);
    tcase_add_test(t, certificate_dates_parse_in_both_formats);
    tcase_add_test(t, unresolvable_host_message);
    tcase_add_test(t, spec_copies_what_a_check_needs);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return check_run_suite(checker_suite());
}
