#define _GNU_SOURCE /* asprintf */
/* DOMAIN_HEALTH: a domain's DNS, TLS certificate, HTTP reach and RDAP
 * registration (CONNECTORS.md §5). No vendor API and no credentials: the
 * probe uses its own libcurl handle because it needs CERTINFO, RESOLVE and a
 * second, unverified handshake to describe a refused certificate; RDAP goes
 * through the shared HTTP helper. */
#include "certinfo.h"
#include "error_priv.h"
#include "http.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "monitorage/monitorage.h"

#define SYSTEM "DOMAIN_HEALTH"
#define DEFAULT_PORT 443
#define DEFAULT_STATUS_MAX 399
#define DEFAULT_WARN_DAYS 30
#define DEFAULT_RDAP_URL "https://rdap.org"
#define MAX_REDIRECTS 5
#define DAY_US (86400LL * 1000000LL)
/* probe_once(): the certificate was refused; the caller looks at it unverified. */
#define VERIFY_FAILED 1

/* ------------------------------------------------------------ options */

static int valid_domain(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 253 || name[0] == '.' || name[0] == '-' || name[len - 1] == '-')
        return 0;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
            return 0;
    return !strstr(name, "..");
}

/* "host:port:address[,address…]" as CURLOPT_RESOLVE takes it. */
static int valid_override(const char *text)
{
    const char *port = strchr(text, ':'), *address;
    char *end;
    long n;
    if (!port || port == text)
        return 0;
    n = strtol(port + 1, &end, 10);
    address = end + 1;
    return end != port + 1 && *end == ':' && n > 0 && n <= 65535 && *address;
}

static int validate(mon_connector_call *call, void *payload)
{
    const char *value;
    int rc;
    if ((rc = mon__check_opt_string(call, "domain", 1)) != MON_OK ||
        (rc = mon__check_opt_int(call, "port", 1, 65535)) != MON_OK ||
        (rc = mon__check_opt_string(call, "path", 0)) != MON_OK ||
        (rc = mon__check_opt_int(call, "expect_status_max", 100, 599)) != MON_OK ||
        (rc = mon__check_opt_int(call, "tls_warn_days", 0, 3650)) != MON_OK ||
        (rc = mon__check_opt_bool(call, "rdap")) != MON_OK ||
        (rc = mon__check_opt_string(call, "rdap_base_url", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "resolve_override", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "ca_file", 0)) != MON_OK)
        return rc;
    if (!valid_domain(mon__opt_str(call, "domain", "")))
        return mon__error(MON_EINVAL, "options",
                          "\"domain\" must be a host name (letters, digits, '-' and '.')");
    if ((value = mon__opt_str(call, "path", NULL)) && value[0] != '/')
        return mon__error(MON_EINVAL, "options", "\"path\" must start with '/'");
    if ((value = mon__opt_str(call, "rdap_base_url", NULL)) && strncmp(value, "https://", 8) != 0 &&
        strncmp(value, "http://", 7) != 0)
        return mon__error(MON_EINVAL, "options", "\"rdap_base_url\" must be an http(s) URL");
    if ((value = mon__opt_str(call, "resolve_override", NULL)) && !valid_override(value))
        return mon__error(MON_EINVAL, "options", "\"resolve_override\" must look like \"host:port:address\"");
    return MON_OK;
}

/* ---------------------------------------------------------------- DNS */

static const char *address_type(const char *address)
{
    return strchr(address, ':') ? "AAAA" : "A";
}

static int dns_check(json_t **out, mon_connector_call *call)
{
    const char *domain = mon__opt_str(call, "domain", "");
    const char *override = mon__opt_str(call, "resolve_override", NULL);
    struct addrinfo hints, *list = NULL;
    json_t *addresses = json_array();
    int gai;

    *out = NULL;
    if (override) {
        /* Offline set-ups: report the address the probe is pinned to. */
        char *copy = strdup(strchr(strchr(override, ':') + 1, ':') + 1), *save = NULL;
        for (char *a = copy ? strtok_r(copy, ",", &save) : NULL; a; a = strtok_r(NULL, ",", &save)) {
            size_t len = strlen(a);
            if (a[0] == '[' && len > 2 && a[len - 1] == ']') {
                a[len - 1] = '\0';
                a++;
            }
            json_array_append_new(addresses, json_pack("{s:s, s:s}", "address", a, "type", address_type(a)));
        }
        free(copy);
        *out = json_pack("{s:s, s:o, s:s}", "name", domain, "addresses", addresses, "source",
                         "resolve_override");
        return *out ? MON_OK : mon__error_nomem();
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((gai = getaddrinfo(domain, NULL, &hints, &list)) != 0) {
        json_decref(addresses);
        if (gai == EAI_NONAME || gai == EAI_NODATA)
            return mon__call_error(call, MON_ENOTFOUND, NULL, SYSTEM ": DNS: %s does not resolve (%s)",
                                   domain, gai_strerror(gai));
        return mon__call_error(call, MON_ENET, NULL, SYSTEM ": DNS: lookup of %s failed (%s)", domain,
                               gai_strerror(gai));
    }
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN] = "";
        const void *raw = ai->ai_family == AF_INET6
                              ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                              : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        json_t *item;
        size_t i;
        int seen = 0;
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            !inet_ntop(ai->ai_family, raw, text, sizeof(text)))
            continue;
        json_array_foreach(addresses, i, item) seen |=
            strcmp(json_string_value(json_object_get(item, "address")), text) == 0;
        if (!seen)
            json_array_append_new(addresses,
                                  json_pack("{s:s, s:s}", "address", text, "type", address_type(text)));
    }
    freeaddrinfo(list);
    *out = json_pack("{s:s, s:o, s:s}", "name", domain, "addresses", addresses, "source", "getaddrinfo");
    return *out ? MON_OK : mon__error_nomem();
}

/* ---------------------------------------------------- TLS and HTTP probe */

struct probe {
    char *url;
    long status, redirects;
    double dns_s, connect_s, tls_s, first_byte_s, total_s;
    char *effective_url;
    int have_cert;
    mon_time expires;
    char *subject, *issuer;
    char verify_error[CURL_ERROR_SIZE];
};

static void probe_clear(struct probe *p)
{
    free(p->url);
    free(p->effective_url);
    free(p->subject);
    free(p->issuer);
    memset(p, 0, sizeof(*p));
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

/* The leaf certificate's expiry, subject and issuer from CURLINFO_CERTINFO. */
static void read_certinfo(struct probe *p, CURL *curl)
{
    const char *subject = mon__cert_field(curl, "Subject"), *issuer = mon__cert_field(curl, "Issuer");
    p->have_cert = (p->expires = mon__cert_date_parse(mon__cert_field(curl, "Expire date"))) != 0;
    p->subject = subject ? strdup(subject) : NULL;
    p->issuer = issuer ? strdup(issuer) : NULL;
}

/* One HTTPS request (or, unverified, only the handshake) to https://domain:port/path. */
static int probe_once(struct probe *p, mon_connector_call *call, int verify)
{
    const char *domain = mon__opt_str(call, "domain", "");
    const char *override = mon__opt_str(call, "resolve_override", NULL);
    const char *ca_file = mon__opt_str(call, "ca_file", NULL);
    struct curl_slist *resolve = NULL;
    char errbuf[CURL_ERROR_SIZE] = "", user_agent[64], *effective = NULL;
    CURL *curl = curl_easy_init();
    CURLcode cc;
    int rc = MON_OK;

    memset(p, 0, sizeof(*p));
    if (asprintf(&p->url, "https://%s:%lld%s", domain, mon__opt_int(call, "port", DEFAULT_PORT),
                 mon__opt_str(call, "path", "/")) < 0)
        p->url = NULL;
    if (!curl || !p->url || (override && !(resolve = curl_slist_append(NULL, override)))) {
        curl_easy_cleanup(curl);
        return mon__error_nomem();
    }
    snprintf(user_agent, sizeof(user_agent), "monitorage/%s", mon_version());
    curl_easy_setopt(curl, CURLOPT_URL, p->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)call->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)call->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
    if (resolve)
        curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    if (ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    if (!verify) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
    }
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &p->status);
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &p->redirects);
    curl_easy_getinfo(curl, CURLINFO_NAMELOOKUP_TIME, &p->dns_s);
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &p->connect_s);
    curl_easy_getinfo(curl, CURLINFO_APPCONNECT_TIME, &p->tls_s);
    curl_easy_getinfo(curl, CURLINFO_STARTTRANSFER_TIME, &p->first_byte_s);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &p->total_s);
    if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
        p->effective_url = strdup(effective);
    read_certinfo(p, curl);
    if (!errbuf[0])
        snprintf(errbuf, sizeof(errbuf), "%s", curl_easy_strerror(cc));
    switch (cc) {
    case CURLE_OK:
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(p->verify_error, sizeof(p->verify_error), "%s", errbuf);
        rc = VERIFY_FAILED;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = mon__call_error(call, MON_ETIMEOUT, NULL, SYSTEM ": no complete answer from %s within %d ms",
                             p->url, call->timeout_ms);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        rc = mon__call_error(call, MON_ENET, NULL, SYSTEM ": TLS handshake with %s:%lld failed: %s", domain,
                             mon__opt_int(call, "port", DEFAULT_PORT), errbuf);
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        rc = mon__call_error(call, MON_EUPSTREAM, NULL, SYSTEM ": %s redirects more than %d times", p->url,
                             MAX_REDIRECTS);
        break;
    case CURLE_SSL_CACERT_BADFILE:
        rc = mon__call_error(call, MON_EINVAL, "options", "\"ca_file\" cannot be used: %s", errbuf);
        break;
    case CURLE_OUT_OF_MEMORY:
        rc = mon__error_nomem();
        break;
    default:
        rc = mon__call_error(call, MON_ENET, NULL, SYSTEM ": %s: %s", p->url, errbuf);
        break;
    }
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
    return rc;
}

static json_t *expiry_json(const struct probe *p, long long warn_days)
{
    char when[MON__TIME_TEXT_MAX];
    long long left_us = p->expires - mon__time_now();
    long long days = left_us >= 0 ? left_us / DAY_US : -((-left_us + DAY_US - 1) / DAY_US);
    mon__time_format(when, p->expires);
    return json_pack("{s:s, s:I, s:b}", "expires_at", when, "days_left", (json_int_t)days, "warning",
                     days < warn_days);
}

/*
 * Verified request. A refused certificate is an error naming curl's reason;
 * its dates come from a second, unverified handshake so that the message
 * can say when it expired.
 */
static int web_probe(struct probe *p, mon_connector_call *call)
{
    struct probe raw;
    int rc = probe_once(p, call, 1);
    char when[MON__TIME_TEXT_MAX + 16] = "";

    if (rc != VERIFY_FAILED)
        return rc;
    if (probe_once(&raw, call, 0) == MON_OK && raw.have_cert) {
        char stamp[MON__TIME_TEXT_MAX];
        mon__time_format(stamp, raw.expires);
        snprintf(when, sizeof(when), " (%s %s)", raw.expires < mon__time_now() ? "expired" : "expires",
                 stamp);
    }
    probe_clear(&raw);
    return mon__call_error(call, MON_EUPSTREAM, NULL, SYSTEM ": TLS certificate of %s not trusted: %s%s",
                           mon__opt_str(call, "domain", ""), p->verify_error, when);
}

static int tls_json(json_t **out, mon_connector_call *call, const struct probe *p)
{
    json_t *tls;
    if (!p->have_cert)
        return mon__call_error(call, MON_EPROTO, NULL, SYSTEM ": no certificate information for %s", p->url);
    tls = expiry_json(p, mon__opt_int(call, "tls_warn_days", DEFAULT_WARN_DAYS));
    json_object_set_new(tls, "valid", json_true());
    json_object_set_new(tls, "subject", p->subject ? json_string(p->subject) : json_null());
    json_object_set_new(tls, "issuer", p->issuer ? json_string(p->issuer) : json_null());
    *out = tls;
    return MON_OK;
}

static int http_json(json_t **out, mon_connector_call *call, const struct probe *p)
{
    long long max = mon__opt_int(call, "expect_status_max", DEFAULT_STATUS_MAX);
#define MS(s) ((json_int_t)((s)*1000.0 + 0.5))
    if (p->status > max)
        return mon__call_error(call, MON_EUPSTREAM, NULL,
                               SYSTEM ": %s answered HTTP %ld (expected at most %lld)",
                               p->effective_url ? p->effective_url : p->url, p->status, max);
    *out = json_pack("{s:s, s:s?, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "url", p->url, "effective_url",
                     p->effective_url, "status", (json_int_t)p->status, "redirects", (json_int_t)p->redirects,
                     "time_ms", "dns", MS(p->dns_s), "connect", MS(p->connect_s), "tls", MS(p->tls_s),
                     "first_byte", MS(p->first_byte_s), "total", MS(p->total_s));
#undef MS
    return *out ? MON_OK : mon__error_nomem();
}

/* ---------------------------------------------------------------- RDAP */

static json_t *event_date(const json_t *events, const char *action)
{
    size_t i;
    const json_t *event;
    json_array_foreach(events, i, event)
    {
        const char *name = json_string_value(json_object_get(event, "eventAction"));
        if (name && strcmp(name, action) == 0)
            return json_object_get(event, "eventDate");
    }
    return NULL;
}

static int rdap_check(json_t **out, mon_connector_call *call)
{
    const char *domain = mon__opt_str(call, "domain", "");
    const char *headers[] = {"Accept: application/rdap+json", NULL};
    struct mon__http_request req = {
        "GET", NULL, headers, NULL, 0, NULL, MON__HTTP_JSON | MON__HTTP_KEEP_ERRORS | MON__HTTP_FOLLOW};
    struct mon__http_response resp;
    char *escaped = mon__http_escape(domain), *url = NULL;
    const json_t *expiration;
    mon_time expires;
    int rc;

    *out = NULL;
    mon__http_set_system(call, "RDAP");
    if (!escaped ||
        asprintf(&url, "%s/domain/%s", mon__opt_str(call, "rdap_base_url", DEFAULT_RDAP_URL), escaped) < 0)
        url = NULL;
    free(escaped);
    if (!url)
        return mon__error_nomem();
    req.url = url;
    rc = mon__http_do(call, &req, &resp);
    if (rc == MON_OK && resp.status == 404) {
        /* No RDAP service or no record for the name: unknown, not a failure. */
        char *reason = mon__http_upstream_message(resp.body, NULL);
        *out = json_pack("{s:s, s:s, s:s}", "status", "unknown", "url", url, "reason", reason ? reason : "");
        free(reason);
    } else if (rc == MON_OK && (resp.status < 200 || resp.status > 299)) {
        rc = mon__http_status_error(call, &resp);
    } else if (rc == MON_OK && !json_is_object(resp.json)) {
        rc = mon__call_error(call, MON_EPROTO, NULL, "RDAP: reply for %s is not a JSON object", domain);
    } else if (rc == MON_OK) {
        const json_t *events = json_object_get(resp.json, "events");
        expiration = event_date(events, "expiration");
        *out =
            json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?}", "status", "found", "url", url, "ldh_name",
                      json_object_get(resp.json, "ldhName"), "registered_at",
                      event_date(events, "registration"), "expires_at", expiration, "last_changed_at",
                      event_date(events, "last changed"), "statuses", json_object_get(resp.json, "status"));
        if (*out && json_is_string(expiration) &&
            mon__time_parse(&expires, json_string_value(expiration)) == MON_OK) {
            struct probe p;
            json_t *expiry;
            memset(&p, 0, sizeof(p));
            p.expires = expires;
            expiry = expiry_json(&p, mon__opt_int(call, "tls_warn_days", DEFAULT_WARN_DAYS));
            json_object_update(*out, expiry);
            json_decref(expiry);
        }
    }
    if (rc == MON_OK && !*out)
        rc = mon__error_nomem();
    mon__http_response_clear(&resp);
    free(url);
    mon__http_set_system(call, SYSTEM);
    return rc;
}

/* ------------------------------------------------------- entry points */

/* what: "check", "dns", "tls", "http" or "rdap". */
static int run_checks(char **result, mon_connector_call *call, const char *what)
{
    int all = strcmp(what, "check") == 0;
    json_t *out = json_pack("{s:s}", "domain", mon__opt_str(call, "domain", "")), *part = NULL;
    struct probe p;
    int rc = MON_OK;

    memset(&p, 0, sizeof(p));
    mon__http_set_system(call, SYSTEM);
    if (all || strcmp(what, "dns") == 0) {
        if ((rc = dns_check(&part, call)) == MON_OK)
            json_object_set_new(out, "dns", part);
    }
    if (rc == MON_OK && (all || strcmp(what, "tls") == 0 || strcmp(what, "http") == 0)) {
        if ((rc = web_probe(&p, call)) == MON_OK && strcmp(what, "http") != 0 &&
            (rc = tls_json(&part, call, &p)) == MON_OK)
            json_object_set_new(out, "tls", part);
        if (rc == MON_OK && strcmp(what, "tls") != 0 && (rc = http_json(&part, call, &p)) == MON_OK)
            json_object_set_new(out, "http", part);
    }
    if (rc == MON_OK && (strcmp(what, "rdap") == 0 || (all && mon__opt_bool(call, "rdap", 0)))) {
        if ((rc = rdap_check(&part, call)) == MON_OK)
            json_object_set_new(out, "rdap", part);
    }
    probe_clear(&p);
    if (rc != MON_OK) {
        json_decref(out);
        return rc;
    }
    return mon__result(result, out);
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    return run_checks(result, call, "check");
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    return run_checks(result, call, action);
}

#define NO_PARAMS "{\"type\":\"object\",\"additionalProperties\":false}"

static const mon_connector_action actions[] = {
    {"check", "DNS, TLS certificate, HTTP reach and (option rdap) RDAP registration of the domain.",
     NO_PARAMS, MON_CONNECTOR_ROLE_READER},
    {"dns", "A and AAAA addresses of the domain.", NO_PARAMS, MON_CONNECTOR_ROLE_READER},
    {"tls", "Validity and days left of the domain's TLS certificate.", NO_PARAMS, MON_CONNECTOR_ROLE_READER},
    {"http", "Status and timings of an HTTPS request to the domain (at most 5 redirects).", NO_PARAMS,
     MON_CONNECTOR_ROLE_READER},
    {"rdap", "Registration and expiration dates of the domain from RDAP.", NO_PARAMS,
     MON_CONNECTOR_ROLE_READER},
};

const struct mon__builtin mon__connector_domain_health = {
    {MON_CONNECTOR_TYPE_VERSION, "DOMAIN_HEALTH",
     "Domain health: DNS, TLS certificate expiry, HTTP reach, RDAP", NULL, actions,
     sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    NULL,
};
