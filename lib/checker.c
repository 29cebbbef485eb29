/* The checker engine: one libcurl multi handle driven through its socket API,
 * a queue bounded by max_in_flight, retries after a delay, results through
 * callbacks. Judging an attempt is in checker_eval.c. */
#include "checker_priv.h"
#include "error_priv.h"
#include "monitorage/monitorage.h"
#include "timeutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define APIM_STATUS_PATH "/status-0123456789abcdef"
#define BODY_LIMIT_MAX ((size_t)64 << 20)
#define MAX_IN_FLIGHT_MAX 100000
#define POOL_KEEP 256 /* idle easy handles kept for reuse (never their connections) */
#define EPOLL_BATCH 256

struct check {
    struct check *next;          /* in the queue or the retry list */
    struct check *rprev, *rnext; /* in the running list */
    mon_checker *checker;
    struct mon__check_spec *spec;
    mon_endpoint *ep; /* a full copy, only for the TALEND token hook */
    char *url;
    mon_check_cb cb;
    void *payload;
    CURL *easy;
    struct curl_slist *headers;
    char *auth; /* "Authorization: Bearer ..." of this attempt, wiped after */
    char *body;
    size_t body_len, body_cap;
    int truncated;
    int attempts;
    long long due_us; /* monotonic time of the retry */
    mon_time started_at;
    char errbuf[CURL_ERROR_SIZE];
};

/* Checks waiting in order: the queue, the retry list. */
struct fifo {
    struct check *head, *tail;
};

struct mon_checker {
    CURLM *multi;
    int max_in_flight;
    size_t body_limit;
    int retry_delay_ms;
    int ip_version;
    char *user_agent;
    char *ca_file;
    struct curl_slist *resolve;
    mon_checker_token_cb token_cb;
    void *token_payload;

    struct fifo queue;
    struct fifo retry; /* due times grow with insertion (constant delay) */
    struct check *running;
    size_t in_flight, pending;

    CURL **pool; /* idle easy handles, their constant options set (handle_new()) */
    size_t pool_len;
    struct curl_slist *close_header; /* "Connection: close", for checks without headers */

    long long curl_deadline_us; /* monotonic; -1 when libcurl wants no timeout */
    int *fd_events;             /* MON_POLL_* wanted, indexed by descriptor */
    size_t fd_cap;
    int epfd; /* created by the first mon_checker_run() */
    mon_checker_socket_cb sock_cb;
    void *sock_payload;
};

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int mon_checker_options_init(mon_checker_options *options, unsigned int version)
{
    if (!options)
        return mon__error(MON_EINVAL, NULL, "options must not be NULL");
    if (version != MON_CHECKER_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown checker options version %u", version);
    mon_checker_options init = MON_CHECKER_OPTIONS_INIT;
    *options = init;
    return MON_OK;
}

/* ---- descriptors ---- */

/* Tell the epoll set that fd went from events `before` to `events` (0: not
 * watched). The removal is not left to close(): a socket inherited by a
 * child process (a fork while a check runs) would stay in the set after our
 * close, reporting events under a descriptor number that may be reused. */
static void epoll_apply(mon_checker *c, int fd, int before, int events)
{
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    ev.events = ((events & MON_POLL_IN) ? EPOLLIN : 0u) | ((events & MON_POLL_OUT) ? EPOLLOUT : 0u);
    if (!events)
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, &ev); /* fails harmlessly if already closed */
    else if (!before || epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    mon_checker *c = userp;
    int events = what == CURL_POLL_REMOVE ? 0
                                          : ((what & CURL_POLL_IN) ? MON_POLL_IN : 0) |
                                                ((what & CURL_POLL_OUT) ? MON_POLL_OUT : 0);
    if (s < 0)
        return 0;
    if ((size_t)s >= c->fd_cap) {
        if (!events)
            return 0;
        size_t cap = c->fd_cap ? c->fd_cap : 64;
        while (cap <= (size_t)s)
            cap *= 2;
        int *grown = realloc(c->fd_events, cap * sizeof(*grown));
        if (!grown)
            return -1;
        memset(grown + c->fd_cap, 0, (cap - c->fd_cap) * sizeof(*grown));
        c->fd_events = grown;
        c->fd_cap = cap;
    }
    if (c->epfd >= 0)
        epoll_apply(c, s, c->fd_events[s], events);
    c->fd_events[s] = events;
    if (c->sock_cb)
        c->sock_cb(c, s, events ? events : MON_POLL_REMOVE, c->sock_payload);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    mon_checker *c = userp;
    c->curl_deadline_us = timeout_ms < 0 ? -1 : mono_us() + (long long)timeout_ms * 1000;
    return 0;
}

int mon_checker_set_socket_callback(mon_checker *c, mon_checker_socket_cb cb, void *payload)
{
    if (!c)
        return mon__error(MON_EINVAL, NULL, "checker must not be NULL");
    c->sock_cb = cb;
    c->sock_payload = payload;
    for (size_t fd = 0; cb && fd < c->fd_cap; fd++)
        if (c->fd_events[fd])
            cb(c, (int)fd, c->fd_events[fd], payload);
    return MON_OK;
}

int mon_checker_fds(mon_checker *c, mon_checker_fd *fds, size_t cap, size_t *count)
{
    if (!c || !count || (cap && !fds))
        return mon__error(MON_EINVAL, NULL, "checker, count and fds must not be NULL");
    size_t n = 0;
    for (size_t fd = 0; fd < c->fd_cap; fd++) {
        if (!c->fd_events[fd])
            continue;
        if (n < cap) {
            fds[n].fd = (int)fd;
            fds[n].events = c->fd_events[fd];
        }
        n++;
    }
    *count = n;
    return MON_OK;
}

/* ---- queues ---- */

static void fifo_push(struct fifo *q, struct check *k)
{
    k->next = NULL;
    if (q->tail)
        q->tail->next = k;
    else
        q->head = k;
    q->tail = k;
}

/* The first check, taken out; NULL when empty. */
static struct check *fifo_pop(struct fifo *q)
{
    struct check *k = q->head;
    if (k) {
        q->head = k->next;
        if (!q->head)
            q->tail = NULL;
        k->next = NULL;
    }
    return k;
}

/* ---- creation ---- */

static char *dup_or_null(const char *s, int *failed)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        *failed = 1;
    return copy;
}

static int check_options(const mon_checker_options *o)
{
    if (o->version != MON_CHECKER_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown checker options version %u", o->version);
    if (o->max_in_flight < 1 || o->max_in_flight > MAX_IN_FLIGHT_MAX)
        return mon__error(MON_EINVAL, "max_in_flight", "must be between 1 and %d", MAX_IN_FLIGHT_MAX);
    if (o->body_limit > BODY_LIMIT_MAX)
        return mon__error(MON_EINVAL, "body_limit", "must be at most 64 MiB");
    if (o->retry_delay_ms < 0 || o->retry_delay_ms > 60000)
        return mon__error(MON_EINVAL, "retry_delay_ms", "must be between 0 and 60000");
    if (o->ip_version != 0 && o->ip_version != 4 && o->ip_version != 6)
        return mon__error(MON_EINVAL, "ip_version", "must be 0, 4 or 6");
    if (o->user_agent && (!*o->user_agent || strpbrk(o->user_agent, "\r\n")))
        return mon__error(MON_EINVAL, "user_agent", "must be a non-empty single line");
    return MON_OK;
}

int mon_checker_new(mon_checker **out, const mon_checker_options *options)
{
    mon_checker_options defaults = MON_CHECKER_OPTIONS_INIT;
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    const mon_checker_options *o = options ? options : &defaults;
    int rc = check_options(o);
    if (rc != MON_OK)
        return rc;
    mon_checker *c = calloc(1, sizeof(*c));
    if (!c)
        return mon__error_nomem();
    int failed = 0;
    c->epfd = -1;
    c->curl_deadline_us = -1;
    c->max_in_flight = o->max_in_flight;
    c->body_limit = o->body_limit;
    c->retry_delay_ms = o->retry_delay_ms;
    c->ip_version = o->ip_version;
    c->token_cb = o->token_cb;
    c->token_payload = o->token_payload;
    c->user_agent =
        o->user_agent ? dup_or_null(o->user_agent, &failed) : strdup("Monitorage/" MON_VERSION_STRING);
    failed |= !c->user_agent;
    c->ca_file = dup_or_null(o->ca_file, &failed);
    for (const char *const *r = o->resolve; r && *r && !failed; r++) {
        struct curl_slist *grown = curl_slist_append(c->resolve, *r);
        if (!grown)
            failed = 1;
        else
            c->resolve = grown;
    }
    c->pool = calloc(POOL_KEEP, sizeof(*c->pool));
    c->close_header = curl_slist_append(NULL, "Connection: close");
    failed |= !c->pool || !c->close_header;
    c->multi = failed ? NULL : curl_multi_init();
    if (!c->multi) {
        mon_checker_free(c);
        return failed ? mon__error_nomem() : mon__error(MON_ENET, NULL, "libcurl multi handle failed");
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Nothing is reused, so nothing needs keeping. */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 1L);
    *out = c;
    return MON_OK;
}

/* ---- one check ---- */

static void wipe_auth(struct check *k)
{
    curl_slist_free_all(k->headers);
    k->headers = NULL;
    if (k->auth) {
        explicit_bzero(k->auth, strlen(k->auth));
        free(k->auth);
        k->auth = NULL;
    }
}

static void check_free(struct check *k)
{
    if (!k)
        return;
    wipe_auth(k);
    if (k->easy)
        curl_easy_cleanup(k->easy);
    mon_endpoint_free(k->ep);
    free(k->spec);
    free(k->url);
    free(k->body);
    free(k);
}

/* The URL to request: APIM endpoints without a path get the gateway status path. */
static char *effective_url(const mon_endpoint *ep)
{
    const char *url = mon_endpoint_get_url(ep);
    if (mon_endpoint_get_type(ep) != MON_ENDPOINT_APIM)
        return strdup(url);
    CURLU *u = curl_url();
    char *path = NULL, *result = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path &&
        (!*path || strcmp(path, "/") == 0) &&
        curl_url_set(u, CURLUPART_PATH, APIM_STATUS_PATH, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &result, 0) == CURLUE_OK)
        out = strdup(result);
    else
        out = strdup(url);
    curl_free(path);
    curl_free(result);
    curl_url_cleanup(u);
    return out;
}

int mon_checker_submit(mon_checker *c, const mon_endpoint *ep, mon_check_cb cb, void *payload)
{
    if (!c || !ep || !cb)
        return mon__error(MON_EINVAL, NULL, "checker, endpoint and callback must not be NULL");
    /* Every setter validates its field; only the URL can be missing. */
    if (!*mon_endpoint_get_url(ep))
        return mon__error(MON_EINVAL, "url", "required");
    struct check *k = calloc(1, sizeof(*k));
    if (!k)
        return mon__error_nomem();
    int rc = MON_OK;
    if (!(k->spec = mon__check_spec_new(ep)) || !(k->url = effective_url(ep)))
        rc = mon__error_nomem();
    else if (k->spec->type == MON_ENDPOINT_TALEND && c->token_cb)
        rc = mon_endpoint_dup(&k->ep, ep);
    if (rc != MON_OK) {
        check_free(k);
        return rc;
    }
    k->checker = c;
    k->cb = cb;
    k->payload = payload;
    fifo_push(&c->queue, k);
    c->pending++;
    return MON_OK;
}

size_t mon_checker_pending(const mon_checker *c)
{
    return c ? c->pending : 0;
}

size_t mon_checker_in_flight(const mon_checker *c)
{
    return c ? c->in_flight : 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct check *k = userdata;
    size_t n = size * nmemb, limit = k->checker->body_limit;
    size_t room = limit - k->body_len, take = n < room ? n : room;
    if (k->spec->keep_body && take) {
        if (k->body_len + take + 1 > k->body_cap) {
            size_t cap = k->body_cap ? k->body_cap : 4096;
            while (cap < k->body_len + take + 1)
                cap *= 2;
            if (cap > limit + 1)
                cap = limit + 1;
            char *grown = realloc(k->body, cap);
            if (!grown)
                return 0;
            k->body = grown;
            k->body_cap = cap;
        }
        memcpy(k->body + k->body_len, data, take);
        k->body[k->body_len + take] = '\0';
    }
    k->body_len += take;
    if (take < n) {
        /* Stop the transfer here: the check is judged on what was read. */
        k->truncated = 1;
        return 0;
    }
    return n;
}

/* A new easy handle with the options every check shares. Handles are reused
 * without curl_easy_reset() (which costs as much as setting everything
 * again): setup() sets every option that differs between checks. */
static CURL *handle_new(mon_checker *c)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Every check measures a whole connection: nothing reused, nothing cached. */
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    /* The request goes out in one write and nothing follows it on the
     * connection, so Nagle's algorithm never delays anything: leaving it on
     * saves the TCP_NODELAY system call. */
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 0L);
    /* The direct path is what is measured: proxy environment variables are ignored. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    if (c->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    if (c->resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
    if (c->ip_version)
        curl_easy_setopt(e, CURLOPT_IPRESOLVE, c->ip_version == 4 ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6);
    return e;
}

static CURL *pool_get(mon_checker *c)
{
    return c->pool_len ? c->pool[--c->pool_len] : handle_new(c);
}

static void pool_put(mon_checker *c, CURL *easy)
{
    if (c->pool_len < POOL_KEEP)
        c->pool[c->pool_len++] = easy;
    else
        curl_easy_cleanup(easy);
}

/* Headers of one attempt (endpoint headers, then the TALEND bearer token).
 * Returns NULL on success or a message for an UNKNOWN result. */
static const char *build_headers(mon_checker *c, struct check *k)
{
    if (!k->spec->header_count && !k->ep)
        return NULL; /* setup() sends the shared close_header */
    for (size_t i = 0; i < k->spec->header_count; i++) {
        struct curl_slist *grown = curl_slist_append(k->headers, k->spec->header_lines[i]);
        if (!grown)
            return "out of memory";
        k->headers = grown;
    }
    /* The connection is never reused: say so, and the server closes first
     * (its side keeps the TIME_WAIT state, not ours). */
    if (!k->spec->connection_given) {
        struct curl_slist *grown = curl_slist_append(k->headers, "Connection: close");
        if (!grown)
            return "out of memory";
        k->headers = grown;
    }
    if (k->ep) { /* a TALEND endpoint with a token hook */
        char *token = NULL;
        if (c->token_cb(&token, k->ep, c->token_payload) < 0) {
            free(token);
            return "no credentials for the bearer token";
        }
        if (token) {
            size_t len = strlen(token) + sizeof("Authorization: Bearer ");
            k->auth = malloc(len);
            if (k->auth)
                snprintf(k->auth, len, "Authorization: Bearer %s", token);
            explicit_bzero(token, strlen(token));
            free(token);
            struct curl_slist *grown = k->auth ? curl_slist_append(k->headers, k->auth) : NULL;
            if (!grown)
                return "out of memory";
            k->headers = grown;
        }
    }
    return NULL;
}

/* The method, undoing what an earlier check of the same handle set. */
static void set_method(CURL *easy, const char *method)
{
    /* HTTPGET also clears NOBODY and the POST data of an earlier check. */
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(method, "GET") == 0)
        return;
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
        /* An empty body with Content-Length: 0, as servers expect. */
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
}

/* The options of this check (the shared ones were set by handle_new()). */
static void setup(mon_checker *c, struct check *k)
{
    CURL *e = k->easy;
    long timeout = k->spec->timeout_ms;
    k->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, k->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->headers ? k->headers : c->close_header);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, k->spec->follow_redirects ? 1L : 0L);
    set_method(e, k->spec->method);
    curl_easy_setopt(e, CURLOPT_CERTINFO, strncasecmp(k->url, "https:", 6) == 0 ? 1L : 0L);
}

static void running_remove(mon_checker *c, struct check *k)
{
    if (k->rprev)
        k->rprev->rnext = k->rnext;
    else
        c->running = k->rnext;
    if (k->rnext)
        k->rnext->rprev = k->rprev;
    k->rprev = k->rnext = NULL;
}

/* Report a check and free it. */
static void complete(mon_checker *c, struct check *k, mon_check_result *r)
{
    r->attempts = k->attempts;
    c->pending--;
    k->cb(c, r, k->payload);
    check_free(k);
}

static void complete_unknown(mon_checker *c, struct check *k, const char *why)
{
    char message[256];
    mon_check_result r;
    memset(&r, 0, sizeof(r));
    r.version = MON_CHECK_RESULT_VERSION;
    snprintf(message, sizeof(message), "could not run: %s", why);
    r.endpoint_id = k->spec->id;
    r.url = k->url;
    r.status = MON_STATUS_UNKNOWN;
    r.latency_ms = -1;
    r.error_message = message;
    r.dns_ms = r.connect_ms = r.tls_ms = r.ttfb_ms = r.total_ms = -1;
    r.remote_ip = "";
    r.checked_at = k->started_at;
    if (k->easy) {
        pool_put(c, k->easy);
        k->easy = NULL;
    }
    complete(c, k, &r);
}

/* Start one attempt of k; on failure it is reported UNKNOWN. */
static void start(mon_checker *c, struct check *k)
{
    const char *why = NULL;
    k->attempts++;
    k->started_at = mon__time_now();
    k->body_len = 0;
    k->truncated = 0;
    if (!(k->easy = pool_get(c)))
        why = "libcurl handle failed";
    else if (!(why = build_headers(c, k))) {
        setup(c, k);
        if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK)
            why = "libcurl refused the transfer";
    }
    if (why) {
        wipe_auth(k);
        complete_unknown(c, k, why);
        return;
    }
    k->rnext = c->running;
    if (c->running)
        c->running->rprev = k;
    c->running = k;
    c->in_flight++;
}

/* An attempt ended: judge it, then retry or report. */
static void finished(mon_checker *c, struct check *k, CURLcode code)
{
    struct mon__verdict verdict;
    mon_check_result r;
    memset(&r, 0, sizeof(r));
    r.version = MON_CHECK_RESULT_VERSION;
    struct mon__attempt a = {k->easy,     code,         k->errbuf,           k->body,
                             k->body_len, k->truncated, k->spec->timeout_ms, mon__time_now()};
    if (code == CURLE_WRITE_ERROR && k->truncated)
        a.code = CURLE_OK;
    mon__check_judge(&r, &verdict, k->spec, &a);
    r.endpoint_id = k->spec->id;
    r.url = k->url;
    r.checked_at = k->started_at;
    r.body_bytes = k->body_len;

    curl_multi_remove_handle(c->multi, k->easy);
    running_remove(c, k);
    c->in_flight--;
    wipe_auth(k);
    pool_put(c, k->easy);
    k->easy = NULL;

    if (r.status == MON_STATUS_DOWN && k->attempts <= k->spec->retries) {
        k->due_us = mono_us() + (long long)c->retry_delay_ms * 1000;
        fifo_push(&c->retry, k);
        return;
    }
    complete(c, k, &r);
}

/* Report every finished transfer; returns how many. */
static int reap(mon_checker *c)
{
    CURLMsg *msg;
    int left, n = 0;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct check *k = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
        finished(c, k, msg->data.result);
        n++;
    }
    return n;
}

/* Move due retries to the front of the queue (they go before new checks). */
static void retries_due(mon_checker *c)
{
    long long now = mono_us();
    struct fifo due = {NULL, NULL};
    while (c->retry.head && c->retry.head->due_us <= now)
        fifo_push(&due, fifo_pop(&c->retry));
    if (due.head) {
        due.tail->next = c->queue.head;
        c->queue.head = due.head;
        if (!c->queue.tail)
            c->queue.tail = due.tail;
    }
}

/* Start queued checks while below the cap; returns how many started. */
static int start_queued(mon_checker *c)
{
    int n = 0;
    while (c->queue.head && c->in_flight < (size_t)c->max_in_flight) {
        start(c, fifo_pop(&c->queue));
        n++;
    }
    return n;
}

static int multi_error(CURLMcode mc)
{
    return mon__error(MON_ENET, NULL, "libcurl multi: %s", curl_multi_strerror(mc));
}

/* Report finished transfers and start what may start, until stable. */
static int settle(mon_checker *c)
{
    int running;
    reap(c);
    retries_due(c);
    while (start_queued(c) > 0) {
        /* Let libcurl begin the new transfers now rather than on the next wake-up. */
        CURLMcode mc = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (mc != CURLM_OK)
            return multi_error(mc);
        if (!reap(c))
            break;
    }
    return MON_OK;
}

static int act(mon_checker *c, int fd, int events)
{
    int running;
    int mask = ((events & MON_POLL_IN) ? CURL_CSELECT_IN : 0) |
               ((events & MON_POLL_OUT) ? CURL_CSELECT_OUT : 0) |
               ((events & MON_POLL_ERR) ? CURL_CSELECT_ERR : 0);
    CURLMcode mc = curl_multi_socket_action(c->multi, fd == MON_CHECKER_TIMEOUT ? CURL_SOCKET_TIMEOUT : fd,
                                            fd == MON_CHECKER_TIMEOUT ? 0 : mask, &running);
    return mc == CURLM_OK ? MON_OK : multi_error(mc);
}

int mon_checker_process(mon_checker *c, int fd, int events)
{
    if (!c)
        return mon__error(MON_EINVAL, NULL, "checker must not be NULL");
    int rc = act(c, fd, events);
    int settled = settle(c);
    return rc != MON_OK ? rc : settled;
}

static long long timeout_us(mon_checker *c)
{
    if (!c->pending)
        return -1;
    if (c->queue.head && c->in_flight < (size_t)c->max_in_flight)
        return 0;
    long long now = mono_us(), t = -1;
    if (c->curl_deadline_us >= 0)
        t = c->curl_deadline_us > now ? c->curl_deadline_us - now : 0;
    if (c->retry.head) {
        long long r = c->retry.head->due_us > now ? c->retry.head->due_us - now : 0;
        t = t < 0 || r < t ? r : t;
    }
    return t;
}

long mon_checker_timeout_ms(mon_checker *c)
{
    if (!c)
        return -1;
    long long t = timeout_us(c);
    /* Round up so a host never wakes before the deadline and spins. */
    return t < 0 ? -1 : (long)((t + 999) / 1000);
}

static int ensure_epoll(mon_checker *c)
{
    if (c->epfd >= 0)
        return MON_OK;
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0)
        return mon__error(MON_EIO, NULL, "epoll_create1: %s", strerror(errno));
    for (size_t fd = 0; fd < c->fd_cap; fd++)
        if (c->fd_events[fd])
            epoll_apply(c, (int)fd, 0, c->fd_events[fd]);
    return MON_OK;
}

int mon_checker_run(mon_checker *c, int timeout_ms)
{
    if (!c)
        return mon__error(MON_EINVAL, NULL, "checker must not be NULL");
    int rc = ensure_epoll(c);
    if (rc != MON_OK)
        return rc;
    long long deadline = timeout_ms < 0 ? -1 : mono_us() + (long long)timeout_ms * 1000;
    struct epoll_event events[EPOLL_BATCH];
    while (c->pending) {
        long long t = timeout_us(c);
        if (deadline >= 0) {
            long long left = deadline - mono_us();
            if (left <= 0)
                return mon__error(MON_ETIMEOUT, NULL, "%zu checks still pending after %d ms", c->pending,
                                  timeout_ms);
            if (t < 0 || t > left)
                t = left;
        }
        if (t == 0) {
            if ((rc = mon_checker_process(c, MON_CHECKER_TIMEOUT, 0)) != MON_OK)
                return rc;
            continue;
        }
        int wait_ms = t < 0 ? -1 : t / 1000 >= INT_MAX ? INT_MAX : (int)((t + 999) / 1000);
        int n = epoll_wait(c->epfd, events, EPOLL_BATCH, wait_ms);
        if (n < 0 && errno != EINTR)
            return mon__error(MON_EIO, NULL, "epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            uint32_t e = events[i].events;
            int ev = ((e & EPOLLIN) ? MON_POLL_IN : 0) | ((e & EPOLLOUT) ? MON_POLL_OUT : 0) |
                     ((e & (EPOLLERR | EPOLLHUP)) ? MON_POLL_ERR : 0);
            if ((rc = act(c, events[i].data.fd, ev)) != MON_OK)
                return rc;
        }
        if (n <= 0 || timeout_us(c) == 0) {
            if ((rc = act(c, MON_CHECKER_TIMEOUT, 0)) != MON_OK)
                return rc;
        }
        if ((rc = settle(c)) != MON_OK)
            return rc;
    }
    return MON_OK;
}

static void free_list(struct check *k)
{
    while (k) {
        struct check *next = k->next;
        check_free(k);
        k = next;
    }
}

void mon_checker_free(mon_checker *c)
{
    if (!c)
        return;
    while (c->running) {
        struct check *k = c->running;
        curl_multi_remove_handle(c->multi, k->easy);
        running_remove(c, k);
        check_free(k);
    }
    free_list(c->queue.head);
    free_list(c->retry.head);
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->epfd >= 0)
        close(c->epfd);
    curl_slist_free_all(c->resolve);
    curl_slist_free_all(c->close_header);
    free(c->pool);
    free(c->fd_events);
    free(c->user_agent);
    free(c->ca_file);
    free(c);
}
