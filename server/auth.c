#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "http_json.h"
#include "jwt.h"
#include "server.h"

#define TOKEN_MAX 16384        /* longest Authorization value accepted */
#define JWKS_MAX (1024 * 1024) /* largest JWKS document read */
#define JWKS_MIN_REFRESH 60    /* seconds between two refreshes */
#define JWKS_RETRY_EMPTY 5     /* ... while no key could be loaded yet */
#define JWKS_MAX_AGE 3600      /* keys are refetched after this long */
#define JWKS_TIMEOUT_MS 5000
#define CACHE_SLOTS 512 /* verified tokens per worker */
#define AUDIENCES_MAX 8

static struct {
    char *issuer;
    char *jwks_url;
    char *audiences[AUDIENCES_MAX];
    size_t audience_count;
    char *roles[3]; /* reader, operator, admin */
    long skew;
    char *dev_token;
    char *metrics_token;
} cfg;

/* A JWKS fetch on a task thread (the task first: Kore hands its callback
 * this pointer). The thread fills body, status and cc; the worker reads
 * them once the task is finished. */
struct jwks_fetch {
    struct kore_task task;
    char *body;
    size_t len;
    long status;
    CURLcode cc;
    int startup; /* the worker's first fetch */
};

/* Per worker (the event loop is one thread; only the fetch task runs elsewhere). */
static struct srv_jwk *keys;
static size_t key_count;
static time_t keys_fetched_at;        /* last successful fetch */
static time_t keys_attempted_at;      /* end of the last refresh; 0 after the start-up fetch */
static int keys_unavailable;          /* the last fetch failed */
static struct jwks_fetch *fetching;   /* the fetch in flight, or NULL */
static struct http_request **waiters; /* requests waiting for it (a token with an unknown kid) */
static size_t waiter_count, waiter_cap;

struct cache_slot {
    unsigned char hash[crypto_generichash_BYTES];
    int used;
    struct srv_principal who;
};
static struct cache_slot *cache;
static unsigned char cache_key[crypto_generichash_KEYBYTES];

/* ------------------------------------------------------------ settings */

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strdup(v) : NULL;
}

/* base + tenant + tail, malloc'd. */
static char *tenant_url(const char *tenant, const char *tail)
{
    static const char base[] = "https://login.microsoftonline.com/";
    size_t n = sizeof(base) + strlen(tenant) + strlen(tail);
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "%s%s%s", base, tenant, tail);
    return s;
}

int srv_auth_configure(char *err, size_t errlen)
{
    const char *tenant = getenv("AZURE_TENANT_ID"), *skew = getenv("MONITORAGE_JWT_SKEW");
    const char *role_env[3] = {"MONITORAGE_ROLE_READER", "MONITORAGE_ROLE_OPERATOR", "MONITORAGE_ROLE_ADMIN"};
    const char *role_default[3] = {"Monitorage.Reader", "Monitorage.Operator", "Monitorage.Admin"};
    char *aud, *save = NULL, *one;
    size_t i;

    cfg.issuer = env_dup("OIDC_ISSUER");
    cfg.jwks_url = env_dup("OIDC_JWKS_URL");
    if (tenant && *tenant) {
        if (!cfg.issuer)
            cfg.issuer = tenant_url(tenant, "/v2.0");
        if (!cfg.jwks_url)
            cfg.jwks_url = tenant_url(tenant, "/discovery/v2.0/keys");
    }
    aud = env_dup("OIDC_AUDIENCE");
    if (!aud)
        aud = env_dup("AZURE_CLIENT_ID");
    for (one = aud ? strtok_r(aud, ",", &save) : NULL; one; one = strtok_r(NULL, ",", &save)) {
        while (*one == ' ')
            one++;
        if (!*one)
            continue;
        if (cfg.audience_count == AUDIENCES_MAX) {
            snprintf(err, errlen, "OIDC_AUDIENCE: at most %d audiences", AUDIENCES_MAX);
            free(aud);
            return -1;
        }
        cfg.audiences[cfg.audience_count++] = strdup(one);
    }
    free(aud);
    for (i = 0; i < 3; i++) {
        const char *v = getenv(role_env[i]);
        cfg.roles[i] = strdup(v && *v ? v : role_default[i]);
    }
    cfg.skew = 60;
    if (skew && *skew) {
        char *end;
        cfg.skew = strtol(skew, &end, 10);
        if (*end || cfg.skew < 0 || cfg.skew > 600) {
            snprintf(err, errlen, "MONITORAGE_JWT_SKEW: must be 0..600 seconds");
            return -1;
        }
    }
    cfg.metrics_token = env_dup("MONITORAGE_METRICS_TOKEN");
    if (cfg.metrics_token && strlen(cfg.metrics_token) < 16) {
        snprintf(err, errlen, "MONITORAGE_METRICS_TOKEN: must be at least 16 characters");
        return -1;
    }
    cfg.dev_token = env_dup("MONITORAGE_DEV_TOKEN");
    if (cfg.dev_token && strlen(cfg.dev_token) < 16) {
        snprintf(err, errlen, "MONITORAGE_DEV_TOKEN: must be at least 16 characters");
        return -1;
    }
    if (!cfg.issuer || !cfg.jwks_url || cfg.audience_count == 0) {
        if (cfg.dev_token)
            return 0; /* dev mode only: no OIDC issuer */
        snprintf(err, errlen,
                 "sign-in is not configured: set AZURE_TENANT_ID and AZURE_CLIENT_ID, or "
                 "OIDC_ISSUER, OIDC_JWKS_URL and OIDC_AUDIENCE (or MONITORAGE_DEV_TOKEN "
                 "for a loopback-only dev server)");
        return -1;
    }
    if (strncmp(cfg.jwks_url, "https://", 8) != 0 && strncmp(cfg.jwks_url, "http://", 7) != 0) {
        snprintf(err, errlen, "OIDC_JWKS_URL: must be an http(s) URL");
        return -1;
    }
    srv_log("auth: issuer %s, JWKS %s, %zu audience(s)", cfg.issuer, cfg.jwks_url, cfg.audience_count);
    return 0;
}

int srv_auth_dev_mode(void)
{
    return cfg.dev_token != NULL;
}

const char *srv_auth_issuer(void)
{
    return cfg.issuer;
}

const char *srv_auth_audience(void)
{
    return cfg.audience_count ? cfg.audiences[0] : NULL;
}

const char *srv_auth_role_name(unsigned int need)
{
    return need & SRV_PERM_ADMIN ? cfg.roles[2] : need & SRV_PERM_OPERATE ? cfg.roles[1] : cfg.roles[0];
}

/* ----------------------------------------------------------------- JWKS */

struct fetch_buf {
    char *data;
    size_t len;
};

static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct fetch_buf *b = userdata;
    size_t n = size * nmemb;
    char *grown;

    if (b->len + n > JWKS_MAX)
        return 0;
    if (!(grown = realloc(b->data, b->len + n + 1)))
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* On a task thread: GET the JWKS into the fetch (no worker state touched). */
static int fetch_entry(struct kore_task *t)
{
    struct jwks_fetch *f = (struct jwks_fetch *)t;
    struct fetch_buf b = {NULL, 0};
    CURL *curl;

    f->cc = CURLE_FAILED_INIT;
    if (!(curl = curl_easy_init()))
        return KORE_RESULT_OK;
    curl_easy_setopt(curl, CURLOPT_URL, cfg.jwks_url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)JWKS_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "monitorage-server");
    f->cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &f->status);
    curl_easy_cleanup(curl);
    f->body = b.data;
    f->len = b.len;
    return KORE_RESULT_OK;
}

/* A waiting request goes away (client gone): forget it. */
static void waiter_onfree(struct http_request *req)
{
    size_t i;

    for (i = 0; i < waiter_count; i++) {
        if (waiters[i] == req) {
            waiters[i] = waiters[--waiter_count];
            break;
        }
    }
}

/* On the worker, the fetch is done: replace the keys on success, wake the waiters. */
static void fetch_done(struct kore_task *t)
{
    struct jwks_fetch *f = (struct jwks_fetch *)t;
    struct srv_jwk *list;
    size_t count, i;

    if (kore_task_state(t) != KORE_TASK_STATE_FINISHED)
        return;
    keys_attempted_at = f->startup ? 0 : time(NULL);
    keys_unavailable = 1;
    if (f->cc != CURLE_OK || f->status != 200) {
        srv_log("auth: JWKS fetch from %s failed: %s (HTTP %ld)", cfg.jwks_url,
                f->cc != CURLE_OK ? curl_easy_strerror(f->cc) : "bad status", f->status);
    } else if (srv_jwks_parse(f->body, f->len, &list, &count) < 0) {
        srv_log("auth: JWKS from %s is not a JSON object with a \"keys\" array", cfg.jwks_url);
    } else {
        srv_jwks_free(keys, key_count);
        keys = list;
        key_count = count;
        keys_fetched_at = time(NULL);
        keys_unavailable = 0;
        srv_log("auth: %zu signing key(s) loaded", count);
    }
    kore_task_destroy(t);
    free(f->body);
    free(f);
    fetching = NULL;
    /* Each waiter runs its handler again and finds the key, or is refused:
     * the refresh it waited for counts as its one refresh. */
    for (i = 0; i < waiter_count; i++) {
        waiters[i]->onfree = NULL;
        http_request_wakeup(waiters[i]);
    }
    waiter_count = 0;
}

/* Start a JWKS fetch on a task thread unless one is in flight. */
static void fetch_start(int startup)
{
    struct jwks_fetch *f;

    if (fetching || !cfg.jwks_url)
        return;
    if (!(f = calloc(1, sizeof(*f)))) {
        srv_log("auth: JWKS fetch not started: out of memory");
        return;
    }
    f->startup = startup;
    kore_task_create(&f->task, fetch_entry);
    kore_task_bind_callback(&f->task, fetch_done);
    fetching = f;
    kore_task_run(&f->task);
}

/* Make req wait for the fetch in flight; 0, or -1 when it cannot. */
static int fetch_wait(struct http_request *req)
{
    if (waiter_count == waiter_cap) {
        size_t cap = waiter_cap ? waiter_cap * 2 : 16;
        struct http_request **grown = realloc(waiters, cap * sizeof(*grown));

        if (!grown)
            return -1;
        waiters = grown;
        waiter_cap = cap;
    }
    waiters[waiter_count++] = req;
    /* As for jobs: stop the header timeout of a request with an empty
     * body, or a wait longer than http_header_timeout ends in a 408. */
    req->owner->http_timeout = 0;
    req->onfree = waiter_onfree;
    http_request_sleep(req);
    return 0;
}

static int is_waiting(const struct http_request *req)
{
    size_t i;

    for (i = 0; i < waiter_count; i++)
        if (waiters[i] == req)
            return 1;
    return 0;
}

int srv_auth_result(struct http_request *req)
{
    return is_waiting(req) ? KORE_RESULT_RETRY : KORE_RESULT_OK;
}

static const cjose_jwk_t *key_find(const char *kid)
{
    size_t i;

    for (i = 0; i < key_count; i++)
        if (strcmp(keys[i].kid, kid) == 0)
            return keys[i].jwk;
    return NULL;
}

void srv_auth_worker_init(void)
{
    crypto_generichash_keygen(cache_key);
    cache = calloc(CACHE_SLOTS, sizeof(*cache));
    /* The start-up fetch does not count as a refresh: a key published
     * just before start can still be picked up on its first use. A token
     * arriving while it runs waits for it. */
    fetch_start(1);
}

static int refresh_allowed(time_t now)
{
    return now - keys_attempted_at >= (key_count ? JWKS_MIN_REFRESH : JWKS_RETRY_EMPTY);
}

void srv_auth_worker_cleanup(void)
{
    srv_jwks_free(keys, key_count);
    keys = NULL;
    key_count = 0;
    free(cache);
    cache = NULL;
    free(waiters);
    waiters = NULL;
    waiter_count = waiter_cap = 0;
    /* A fetch still in flight is left to its thread (the worker is exiting). */
}

/* --------------------------------------------------------- verification */

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* token_verify(): req now waits for the JWKS fetch (no reply sent). */
static const char WAITING[] = "waiting for the signing keys";

/* Verify a compact JWS; NULL, WAITING, or the reason for a 401. */
static const char *token_verify(struct http_request *req, const char *token, size_t len,
                                struct srv_principal *who)
{
    struct srv_jwt_rules rules = {cfg.issuer, cfg.audiences, cfg.audience_count, cfg.roles, cfg.skew};
    cjose_err cerr;
    cjose_jws_t *jws;
    const char *kid, *reason = NULL;
    const cjose_jwk_t *jwk;
    uint8_t *payload = NULL;
    size_t plen = 0;
    time_t now;

    if (!cfg.issuer)
        return "only the dev token is accepted (no OIDC issuer configured)";
    if ((reason = srv_jwt_open(token, len, &jws, &kid)) != NULL)
        return reason;
    now = time(NULL);
    /* Old keys are refreshed in the background; they serve meanwhile. */
    if (key_count > 0 && now - keys_fetched_at >= JWKS_MAX_AGE && refresh_allowed(now))
        fetch_start(0);
    if (!(jwk = key_find(kid))) {
        /* An unknown kid waits for the fetch in flight, or starts one. */
        if (fetching || refresh_allowed(now)) {
            fetch_start(0);
            if (fetching && fetch_wait(req) == 0) {
                reason = WAITING;
                goto done;
            }
        }
        reason = keys_unavailable ? "the token is signed by an unknown key (kid); the issuer's keys "
                                    "are unavailable (JWKS fetch failed)"
                                  : "the token is signed by an unknown key (kid)";
        goto done;
    }
    if (!cjose_jws_verify(jws, jwk, &cerr)) {
        reason = "the token's signature is invalid";
        goto done;
    }
    if (!cjose_jws_get_plaintext(jws, &payload, &plen, &cerr)) {
        reason = "the token has no payload";
        goto done;
    }
    reason = srv_jwt_claims(payload, plen, &rules, time(NULL), who);
done:
    cjose_jws_release(jws);
    return reason;
}

static void reply_unauthorized(struct http_request *req, const char *reason)
{
    char challenge[256];

    snprintf(challenge, sizeof(challenge), "Bearer error=\"invalid_token\", error_description=\"%s\"",
             reason);
    http_response_header(req, "www-authenticate", challenge);
    srv_reply_error(req, 401, "unauthorized", NULL, "%s", reason);
}

int srv_auth_authenticate(struct http_request *req, struct srv_principal *who)
{
    const char *header = NULL, *token, *reason;
    unsigned char hash[crypto_generichash_BYTES];
    struct cache_slot *slot = NULL;
    size_t len;

    if (!http_request_header(req, "authorization", &header)) {
        http_response_header(req, "www-authenticate", "Bearer");
        srv_reply_error(req, 401, "unauthorized", NULL, "an Authorization: Bearer token is required");
        return -1;
    }
    if (strncasecmp(header, "Bearer ", 7) != 0) {
        reply_unauthorized(req, "the Authorization header must be Bearer <token>");
        return -1;
    }
    token = header + 7;
    while (*token == ' ')
        token++;
    len = strlen(token);
    if (len == 0 || len > TOKEN_MAX) {
        reply_unauthorized(req, "the bearer token is empty or too long");
        return -1;
    }
    if (cfg.dev_token && len == strlen(cfg.dev_token) && sodium_memcmp(token, cfg.dev_token, len) == 0) {
        memset(who, 0, sizeof(*who));
        copy_str(who->user_id, sizeof(who->user_id), "dev");
        copy_str(who->email, sizeof(who->email), "dev@localhost");
        copy_str(who->name, sizeof(who->name), "Development token");
        snprintf(who->roles_json, sizeof(who->roles_json), "[\"%s\"]", cfg.roles[2]);
        who->perms = SRV_PERM_ADMIN | SRV_PERM_OPERATE | SRV_PERM_READ;
        who->dev = 1;
        return 0;
    }
    crypto_generichash(hash, sizeof(hash), (const unsigned char *)token, len, cache_key, sizeof(cache_key));
    if (cache) {
        uint32_t index;
        memcpy(&index, hash, sizeof(index));
        slot = &cache[index % CACHE_SLOTS];
        if (slot->used && memcmp(slot->hash, hash, sizeof(hash)) == 0) {
            if ((int64_t)time(NULL) < slot->who.exp + cfg.skew) {
                *who = slot->who;
                return 0;
            }
            slot->used = 0;
        }
    }
    if ((reason = token_verify(req, token, len, who)) != NULL) {
        if (reason != WAITING)
            reply_unauthorized(req, reason);
        return -1;
    }
    if (slot) {
        memcpy(slot->hash, hash, sizeof(hash));
        slot->who = *who;
        slot->used = 1;
    }
    return 0;
}

void srv_auth_reply_forbidden(struct http_request *req, unsigned int need)
{
    srv_reply_error(req, 403, "forbidden", NULL, "this needs the role %s", srv_auth_role_name(need));
}

int srv_auth_require(struct http_request *req, unsigned int need, struct srv_principal *who)
{
    if (srv_auth_authenticate(req, who) < 0)
        return -1;
    if ((who->perms & need) != need) {
        srv_auth_reply_forbidden(req, need);
        return -1;
    }
    return 0;
}

int srv_auth_metrics(struct http_request *req)
{
    const char *header = NULL;
    struct srv_principal who;

    if (cfg.metrics_token && http_request_header(req, "authorization", &header) &&
        strncasecmp(header, "Bearer ", 7) == 0 && strlen(header + 7) == strlen(cfg.metrics_token) &&
        sodium_memcmp(header + 7, cfg.metrics_token, strlen(cfg.metrics_token)) == 0)
        return 0;
    return srv_auth_require(req, SRV_PERM_READ, &who);
}
