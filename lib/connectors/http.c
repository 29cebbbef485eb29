#define _GNU_SOURCE /* asprintf, strcasestr */
#include "http.h"
#include "error_priv.h"

#include "monitorage/monitorage.h"

#include <ctype.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ATTEMPTS 3
/* GitHub's documented wait for a secondary rate limit without Retry-After. */
#define DEFAULT_RATE_WAIT_S 60

struct mon__http {
    CURL *curl;
    const char *system;
};

static struct mon__http *http_of(mon_connector_call *call)
{
    if (!call->http) {
        call->http = calloc(1, sizeof(*call->http));
        if (!call->http)
            return NULL;
        call->http->system = call->type->name;
    }
    if (!call->http->curl && !(call->http->curl = curl_easy_init()))
        return NULL;
    return call->http;
}

void mon__http_set_system(mon_connector_call *call, const char *system)
{
    if (http_of(call))
        call->http->system = system;
}

void mon__http_free(struct mon__http *http)
{
    if (!http)
        return;
    if (http->curl)
        curl_easy_cleanup(http->curl);
    free(http);
}

void mon__wipe_free(char *text)
{
    if (!text)
        return;
    sodium_memzero(text, strlen(text));
    free(text);
}

void mon__http_response_clear(struct mon__http_response *resp)
{
    free(resp->body);
    json_decref(resp->json);
    free(resp->link_next);
    free(resp->location);
    free(resp->content_range);
    memset(resp, 0, sizeof(*resp));
    resp->retry_after = -1;
    resp->ratelimit_remaining = -1;
    resp->ratelimit_reset = -1;
}

struct sink {
    struct mon__http_response *resp;
    size_t cap;
    int too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *sink = userdata;
    struct mon__http_response *resp = sink->resp;
    size_t n = size * nmemb;

    if (resp->body_len + n > MON__HTTP_BODY_MAX) {
        sink->too_big = 1;
        return 0;
    }
    if (resp->body_len + n + 1 > sink->cap) {
        size_t cap = sink->cap ? sink->cap : 4096;
        char *grown;
        while (cap < resp->body_len + n + 1)
            cap *= 2;
        if (!(grown = realloc(resp->body, cap)))
            return 0;
        resp->body = grown;
        sink->cap = cap;
    }
    memcpy(resp->body + resp->body_len, data, n);
    resp->body_len += n;
    resp->body[resp->body_len] = '\0';
    return n;
}

static char *trimmed_copy(const char *start, size_t len)
{
    while (len && isspace((unsigned char)*start)) {
        start++;
        len--;
    }
    while (len && isspace((unsigned char)start[len - 1]))
        len--;
    return strndup(start, len);
}

/* Link: <https://x/?page=2>; rel="next", <https://x/?page=5>; rel="last" */
static char *link_next(const char *value)
{
    const char *p = value;
    while ((p = strchr(p, '<')) != NULL) {
        const char *end = strchr(p, '>');
        const char *next_entry;
        if (!end)
            return NULL;
        next_entry = strchr(end, ',');
        {
            size_t params_len = next_entry ? (size_t)(next_entry - end) : strlen(end);
            char *params = strndup(end, params_len);
            int is_next = params && (strstr(params, "rel=\"next\"") || strstr(params, "rel=next"));
            free(params);
            if (is_next)
                return strndup(p + 1, (size_t)(end - p - 1));
        }
        p = end;
    }
    return NULL;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct mon__http_response *resp = userdata;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    size_t name_len;
    char *value;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100): forget the previous headers. */
        free(resp->link_next);
        free(resp->location);
        free(resp->content_range);
        resp->link_next = resp->location = resp->content_range = NULL;
        resp->retry_after = resp->ratelimit_remaining = -1;
        resp->ratelimit_reset = -1;
        return n;
    }
    if (!colon)
        return n;
    name_len = (size_t)(colon - data);
    value = trimmed_copy(colon + 1, n - name_len - 1);
    if (!value)
        return 0;
#define IS(name) (name_len == strlen(name) && strncasecmp(data, name, name_len) == 0)
    if (IS("retry-after")) {
        char *end;
        long seconds = strtol(value, &end, 10);
        if (end != value && *end == '\0' && seconds >= 0) {
            resp->retry_after = seconds;
        } else {
            time_t when = curl_getdate(value, NULL);
            if (when > 0)
                resp->retry_after = when > time(NULL) ? (long)(when - time(NULL)) : 0;
        }
    } else if (IS("x-ratelimit-remaining")) {
        resp->ratelimit_remaining = strtol(value, NULL, 10);
    } else if (IS("x-ratelimit-reset")) {
        char *end;
        long long epoch = strtoll(value, &end, 10);
        if (end != value && *end == '\0')
            resp->ratelimit_reset = epoch; /* Jira sends ISO 8601 here: Retry-After covers it */
    } else if (IS("link")) {
        free(resp->link_next);
        resp->link_next = link_next(value);
    } else if (IS("location")) {
        free(resp->location);
        resp->location = value;
        value = NULL;
    } else if (IS("content-range")) {
        free(resp->content_range);
        resp->content_range = value;
        value = NULL;
    }
#undef IS
    free(value);
    return n;
}

static void wipe_list(struct curl_slist *list)
{
    for (struct curl_slist *item = list; item; item = item->next)
        sodium_memzero(item->data, strlen(item->data));
    curl_slist_free_all(list);
}

static int perform_once(mon_connector_call *call, struct mon__http *http, const struct mon__http_request *req,
                        struct mon__http_response *resp)
{
    CURL *curl = http->curl;
    struct curl_slist *list = NULL, *grown;
    struct sink sink = {resp, 0, 0};
    char user_agent[64], content_type[128];
    CURLcode cc;
    int rc = MON_OK;

    mon__http_response_clear(resp);
    curl_easy_reset(curl);
    snprintf(user_agent, sizeof(user_agent), "monitorage/%s", mon_version());
    for (const char *const *h = req->headers; h && *h; h++) {
        if (!(grown = curl_slist_append(list, *h)))
            goto nomem;
        list = grown;
    }
    if (req->content_type) {
        snprintf(content_type, sizeof(content_type), "Content-Type: %s", req->content_type);
        if (!(grown = curl_slist_append(list, content_type)))
            goto nomem;
        list = grown;
    }
    if (!(grown = curl_slist_append(list, "Expect:")))
        goto nomem;
    list = grown;

    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)call->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)call->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    if (req->flags & MON__HTTP_FOLLOW) {
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    }
    if (req->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body_len ? req->body_len : strlen(req->body)));
    }
    if (req->method && strcmp(req->method, "GET") != 0) {
        if (!req->body && strcmp(req->method, "POST") == 0) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    }

    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &resp->total_s);
    if (!resp->body && !(resp->body = calloc(1, 1)))
        cc = CURLE_OUT_OF_MEMORY;
    wipe_list(list);
    list = NULL;
    if (sink.too_big)
        return mon__call_error(call, MON_EPROTO, NULL, "%s: reply larger than %u bytes", http->system,
                               MON__HTTP_BODY_MAX);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return mon__call_error(call, MON_ETIMEOUT, NULL, "%s: no complete answer within %d ms", http->system,
                               call->timeout_ms);
    if (cc == CURLE_OUT_OF_MEMORY)
        return mon__error_nomem();
    if (cc != CURLE_OK)
        return mon__call_error(call, MON_ENET, NULL, "%s: %s", http->system, curl_easy_strerror(cc));
    return rc;
nomem:
    wipe_list(list);
    return mon__error_nomem();
}

static int rate_limited(const struct mon__http_response *resp)
{
    if (resp->status == 429)
        return 1;
    if (resp->status == 403 && (resp->ratelimit_remaining == 0 || resp->retry_after >= 0))
        return 1;
    /* GitHub's secondary limit may come as a bare 403 whose message says so. */
    if (resp->status == 403 && resp->body && strcasestr(resp->body, "rate limit"))
        return 1;
    return resp->status == 503 && resp->retry_after >= 0;
}

static long rate_wait_s(const struct mon__http_response *resp)
{
    if (resp->retry_after >= 0)
        return resp->retry_after;
    if (resp->ratelimit_reset > 0) {
        long long left = resp->ratelimit_reset - (long long)time(NULL);
        return left > 0 ? (long)left : 1;
    }
    return DEFAULT_RATE_WAIT_S;
}

static int http_do(mon_connector_call *call, const struct mon__http_request *req,
                   struct mon__http_response *resp)
{
    struct mon__http *http;
    long waited = 0;
    int rc;

    memset(resp, 0, sizeof(*resp));
    mon__http_response_clear(resp);
    if (!(http = http_of(call)))
        return mon__error_nomem();
    for (int attempt = 1;; attempt++) {
        long wait;
        if ((rc = perform_once(call, http, req, resp)) != MON_OK)
            return rc;
        if (!rate_limited(resp))
            break;
        wait = rate_wait_s(resp);
        if ((req->flags & MON__HTTP_NO_RATE_WAIT) || attempt >= MAX_ATTEMPTS ||
            waited + wait > call->max_wait_s)
            return mon__call_error(call, MON_ERATELIMITED, NULL, "%s: rate limited, retry after %ld s",
                                   http->system, wait);
        {
            struct timespec pause = {wait, 0};
            if (wait == 0)
                pause.tv_nsec = 100 * 1000 * 1000;
            while (nanosleep(&pause, &pause) != 0)
                ;
        }
        waited += wait;
    }
    if (resp->status < 200 || resp->status > 299) {
        if (req->flags & MON__HTTP_KEEP_ERRORS)
            return MON_OK;
        return mon__http_status_error(call, resp);
    }
    if ((req->flags & MON__HTTP_JSON) && resp->body_len > 0) {
        json_error_t error;
        resp->json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, &error);
        if (!resp->json)
            return mon__call_error(call, MON_EPROTO, NULL,
                                   "%s: malformed JSON in reply (HTTP %ld, line %d: %s)", http->system,
                                   resp->status, error.line, error.text);
    }
    return MON_OK;
}

int mon__http_do(mon_connector_call *call, const struct mon__http_request *req,
                 struct mon__http_response *resp)
{
    int rc = http_do(call, req, resp);
    if (rc != MON_OK)
        mon__http_response_clear(resp);
    return rc;
}

int mon__http_get_json(mon_connector_call *call, const char *url, const char *const *headers,
                       struct mon__http_response *resp)
{
    struct mon__http_request req = {"GET", url, headers, NULL, 0, NULL, MON__HTTP_JSON};
    return mon__http_do(call, &req, resp);
}

static void append(char *out, size_t size, const char *text)
{
    size_t used = strlen(out);
    if (used + 3 < size)
        snprintf(out + used, size - used, "%s%s", used ? "; " : "", text);
}

/* The message of the JSON error shapes documented in CONNECTORS.md. */
static void json_message(char *out, size_t size, const json_t *json)
{
    const char *text;
    const json_t *value;
    size_t i;

    if (json_is_array(json)) { /* GLPI: ["ERROR_CODE", "message"] */
        const json_t *code = json_array_get(json, 0), *message = json_array_get(json, 1);
        if (json_is_string(code) && json_is_string(message)) {
            char both[512];
            snprintf(both, sizeof(both), "%s: %s", json_string_value(code), json_string_value(message));
            append(out, size, both);
        } else if (json_is_string(code)) {
            append(out, size, json_string_value(code));
        }
        return;
    }
    if (!json_is_object(json))
        return;
    if ((text = json_string_value(json_object_get(json, "message"))) && *text)
        append(out, size, text);
    value = json_object_get(json, "error");
    if (json_is_string(value)) {
        append(out, size, json_string_value(value));
        if ((text = json_string_value(json_object_get(json, "error_description"))))
            append(out, size, text);
    } else if (json_is_object(value)) { /* Azure ARM {"error":{"code","message"}} */
        const char *code = json_string_value(json_object_get(value, "code"));
        const char *message = json_string_value(json_object_get(value, "message"));
        char both[512];
        snprintf(both, sizeof(both), "%s%s%s", code ? code : "", code && message ? ": " : "",
                 message ? message : "");
        append(out, size, both);
    }
    json_array_foreach(json_object_get(json, "errorMessages"), i, value) /* Jira */
        if (json_is_string(value)) append(out, size, json_string_value(value));
    value = json_object_get(json, "errors");
    if (json_is_object(value)) { /* Jira field errors */
        const char *key;
        json_t *message;
        json_object_foreach((json_t *)value, key, message)
        {
            char both[512];
            if (!json_is_string(message))
                continue;
            snprintf(both, sizeof(both), "%s: %s", key, json_string_value(message));
            append(out, size, both);
        }
    } else if (json_is_array(value)) { /* Cloudflare {"code","message"}, GitHub 422 {"field","code"} */
        const json_t *item;
        json_array_foreach(value, i, item)
        {
            const json_t *code = json_object_get(item, "code");
            const char *message = json_string_value(json_object_get(item, "message"));
            const char *field = json_string_value(json_object_get(item, "field"));
            char both[512];
            if (message && json_is_integer(code))
                snprintf(both, sizeof(both), "%lld: %s", (long long)json_integer_value(code), message);
            else if (message)
                snprintf(both, sizeof(both), "%s", message);
            else if (field)
                snprintf(both, sizeof(both), "%s: %s", field,
                         json_is_string(code) ? json_string_value(code) : "invalid");
            else
                continue;
            append(out, size, both);
        }
    }
    if (!out[0] && (text = json_string_value(json_object_get(json, "title")))) /* RDAP */
        append(out, size, text);
}

/* First line of a text body, or the <title> of an HTML page (Jira DC and gateways). */
static void text_message(char *out, size_t size, const char *body)
{
    const char *title = strcasestr(body, "<title>");
    const char *start = body, *end;
    char line[256];
    size_t len;

    if (title) {
        start = title + 7;
        end = strcasestr(start, "</title>");
        len = end ? (size_t)(end - start) : strcspn(start, "<\n");
    } else {
        while (*start && isspace((unsigned char)*start))
            start++;
        len = strcspn(start, "\r\n");
    }
    if (len > sizeof(line) - 4)
        len = sizeof(line) - 4;
    snprintf(line, sizeof(line), "%.*s", (int)len, start);
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    append(out, size, line);
}

char *mon__http_upstream_message(const char *body, const json_t *json)
{
    char out[600] = "";
    json_t *parsed = NULL;

    if (!json && body && *body) {
        parsed = json_loads(body, JSON_DECODE_ANY, NULL);
        json = parsed;
    }
    if (json)
        json_message(out, sizeof(out), json);
    else if (body && *body)
        text_message(out, sizeof(out), body);
    json_decref(parsed);
    return strdup(out[0] ? out : "no message");
}

int mon__http_status_error(mon_connector_call *call, const struct mon__http_response *resp)
{
    char *message = mon__http_upstream_message(resp->body, resp->json);
    const char *system = call->http ? call->http->system : call->type->name;
    int code = resp->status == 401   ? MON_EAUTH
               : resp->status == 403 ? MON_EFORBIDDEN
               : resp->status == 404 ? MON_ENOTFOUND
                                     : MON_EUPSTREAM;
    int rc;

    if (!message)
        return mon__error_nomem();
    rc = mon__call_error(call, code, NULL, "%s: HTTP %ld: %s", system, resp->status, message);
    free(message);
    return rc;
}

char *mon__http_url(const mon_connector_call *call, const char *fmt, ...)
{
    char *path = NULL, *url = NULL;
    va_list args;
    int n;

    va_start(args, fmt);
    n = vasprintf(&path, fmt, args);
    va_end(args);
    if (n < 0)
        return NULL;
    if (asprintf(&url, "%s%s", call->base_url, path) < 0)
        url = NULL;
    free(path);
    return url;
}

int mon__http_same_origin(const mon_connector_call *call, const char *url)
{
    size_t len = strlen(call->base_url);
    const char *scheme_end = strstr(call->base_url, "://");
    size_t origin_len = len;
    if (scheme_end) {
        const char *slash = strchr(scheme_end + 3, '/');
        if (slash)
            origin_len = (size_t)(slash - call->base_url);
    }
    return url && strncmp(url, call->base_url, origin_len) == 0 &&
           (url[origin_len] == '/' || url[origin_len] == '?' || url[origin_len] == '\0');
}

char *mon__http_escape(const char *text)
{
    char *escaped = curl_easy_escape(NULL, text, 0);
    char *copy = escaped ? strdup(escaped) : NULL;
    curl_free(escaped);
    return copy;
}

int mon__http_add_query(char **url, const char *name, const char *value)
{
    char *escaped, *grown = NULL;
    if (!value)
        return MON_OK;
    if (!(escaped = mon__http_escape(value)))
        return mon__error_nomem();
    if (asprintf(&grown, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', name, escaped) < 0)
        grown = NULL;
    free(escaped);
    if (!grown)
        return mon__error_nomem();
    free(*url);
    *url = grown;
    return MON_OK;
}

char *mon__http_header(const char *name, const char *value)
{
    char *line = NULL;
    if (asprintf(&line, "%s: %s", name, value) < 0)
        return NULL;
    return line;
}

void mon__http_header_free(char *line)
{
    mon__wipe_free(line);
}

char *mon__http_basic_header(const char *user, const char *password)
{
    size_t plain_len = strlen(user) + 1 + strlen(password);
    size_t b64_len = sodium_base64_ENCODED_LEN(plain_len, sodium_base64_VARIANT_ORIGINAL);
    char *plain = sodium_malloc(plain_len + 1);
    char *line = malloc(strlen("Authorization: Basic ") + b64_len);

    if (!plain || !line) {
        sodium_free(plain);
        free(line);
        return NULL;
    }
    snprintf(plain, plain_len + 1, "%s:%s", user, password);
    strcpy(line, "Authorization: Basic ");
    sodium_bin2base64(line + strlen(line), b64_len, (const unsigned char *)plain, plain_len,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_free(plain);
    return line;
}
