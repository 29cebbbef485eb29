#include <kore/kore.h>
#include <kore/http.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "http_json.h"
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

struct jwk_entry {
    char *kid;
    cjose_jwk_t *jwk;
};

/* Per worker (each worker is one thread). */
static struct jwk_entry *keys;
static size_t key_count;
static time_t keys_fetched_at;   /* last successful fetch */
static time_t keys_attempted_at; /* last refresh attempt; 0 after the start-up fetch */

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

const char *srv_auth_role_name(unsigned int need)
{
    return need & SRV_PERM_ADMIN ? cfg.roles[2] : need & SRV_PERM_OPERATE ? cfg.roles[1] : cfg.roles[0];
}

/* ----------------------------------------------------------------- JWKS */

static void keys_free(struct jwk_entry *list, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free(list[i].kid);
        cjose_jwk_release(list[i].jwk);
    }
    free(list);
}

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

/* Parse a JWKS document into a key list: RSA keys with a kid only. */
static int jwks_parse(const char *text, size_t len, struct jwk_entry **out, size_t *count)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr), *arr, *key;
    struct jwk_entry *list;
    size_t i, n = 0;

    arr = json_object_get(doc, "keys");
    if (!json_is_array(arr)) {
        json_decref(doc);
        return -1;
    }
    if (!(list = calloc(json_array_size(arr) + 1, sizeof(*list)))) {
        json_decref(doc);
        return -1;
    }
    json_array_foreach(arr, i, key)
    {
        const char *kid = json_string_value(json_object_get(key, "kid"));
        const char *kty = json_string_value(json_object_get(key, "kty"));
        const char *use = json_string_value(json_object_get(key, "use"));
        char *one;
        cjose_err cerr;
        cjose_jwk_t *jwk;

        if (!kid || !kty || strcmp(kty, "RSA") != 0 || (use && strcmp(use, "sig") != 0))
            continue;
        if (!(one = json_dumps(key, JSON_COMPACT)))
            continue;
        jwk = cjose_jwk_import(one, strlen(one), &cerr);
        free(one);
        if (!jwk)
            continue;
        list[n].kid = strdup(kid);
        list[n++].jwk = jwk;
    }
    json_decref(doc);
    *out = list;
    *count = n;
    return 0;
}

/* Fetch the JWKS; on success replace the worker's keys. */
static void jwks_fetch(void)
{
    struct fetch_buf b = {NULL, 0};
    struct jwk_entry *list;
    size_t count;
    long status = 0;
    CURLcode cc;
    CURL *curl;

    keys_attempted_at = time(NULL);
    if (!cfg.jwks_url || !(curl = curl_easy_init()))
        return;
    curl_easy_setopt(curl, CURLOPT_URL, cfg.jwks_url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)JWKS_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "monitorage-server");
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (cc != CURLE_OK || status != 200) {
        srv_log("auth: JWKS fetch from %s failed: %s (HTTP %ld)", cfg.jwks_url,
                cc != CURLE_OK ? curl_easy_strerror(cc) : "bad status", status);
    } else if (jwks_parse(b.data, b.len, &list, &count) < 0) {
        srv_log("auth: JWKS from %s is not a JSON object with a \"keys\" array", cfg.jwks_url);
    } else {
        keys_free(keys, key_count);
        keys = list;
        key_count = count;
        keys_fetched_at = keys_attempted_at;
        srv_log("auth: %zu signing key(s) loaded", count);
    }
    free(b.data);
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
    if (cfg.jwks_url)
        jwks_fetch();
    /* The start-up fetch does not count: a key published just before
     * start can still be picked up on its first use. */
    keys_attempted_at = 0;
}

static int refresh_allowed(time_t now)
{
    return now - keys_attempted_at >= (key_count ? JWKS_MIN_REFRESH : JWKS_RETRY_EMPTY);
}

void srv_auth_worker_cleanup(void)
{
    keys_free(keys, key_count);
    keys = NULL;
    key_count = 0;
    free(cache);
    cache = NULL;
}

/* --------------------------------------------------------- verification */

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static unsigned int perms_of(json_t *roles)
{
    unsigned int perms = 0;
    size_t i;
    json_t *r;

    json_array_foreach(roles, i, r)
    {
        const char *name = json_string_value(r);
        if (!name)
            continue;
        if (strcmp(name, cfg.roles[2]) == 0)
            perms |= SRV_PERM_ADMIN | SRV_PERM_OPERATE | SRV_PERM_READ;
        else if (strcmp(name, cfg.roles[1]) == 0)
            perms |= SRV_PERM_OPERATE | SRV_PERM_READ;
        else if (strcmp(name, cfg.roles[0]) == 0)
            perms |= SRV_PERM_READ;
    }
    return perms;
}

static int audience_ok(json_t *aud)
{
    size_t i, j;
    json_t *one;

    if (json_is_string(aud)) {
        for (j = 0; j < cfg.audience_count; j++)
            if (strcmp(json_string_value(aud), cfg.audiences[j]) == 0)
                return 1;
        return 0;
    }
    json_array_foreach(aud, i, one)
    {
        for (j = 0; j < cfg.audience_count && json_is_string(one); j++)
            if (strcmp(json_string_value(one), cfg.audiences[j]) == 0)
                return 1;
    }
    return 0;
}

/* Check the claims and fill *who; NULL or the reason for a 401. */
static const char *claims_check(const uint8_t *payload, size_t len, struct srv_principal *who)
{
    json_t *claims = json_loadb((const char *)payload, len, 0, NULL), *exp, *nbf, *roles, *keep;
    const char *reason = NULL, *uid, *email;
    time_t now = time(NULL);
    char *roles_text;

    if (!json_is_object(claims)) {
        reason = "the token's payload is not a JSON object";
        goto done;
    }
    if (!json_is_string(json_object_get(claims, "iss")) ||
        strcmp(json_string_value(json_object_get(claims, "iss")), cfg.issuer) != 0) {
        reason = "the token was not issued by the configured issuer";
        goto done;
    }
    if (!audience_ok(json_object_get(claims, "aud"))) {
        reason = "the token is not meant for this API (aud)";
        goto done;
    }
    exp = json_object_get(claims, "exp");
    if (!json_is_number(exp)) {
        reason = "the token has no exp";
        goto done;
    }
    if ((double)now >= json_number_value(exp) + (double)cfg.skew) {
        reason = "the token has expired";
        goto done;
    }
    nbf = json_object_get(claims, "nbf");
    if (nbf && (!json_is_number(nbf) || (double)now + (double)cfg.skew < json_number_value(nbf))) {
        reason = "the token is not valid yet (nbf)";
        goto done;
    }
    uid = json_string_value(json_object_get(claims, "oid"));
    if (!uid || !*uid)
        uid = json_string_value(json_object_get(claims, "sub"));
    if (!uid || !*uid || strlen(uid) >= sizeof(who->user_id)) {
        reason = "the token has no usable oid or sub";
        goto done;
    }
    email = json_string_value(json_object_get(claims, "preferred_username"));
    if (!email)
        email = json_string_value(json_object_get(claims, "email"));
    if (!email)
        email = json_string_value(json_object_get(claims, "upn"));
    memset(who, 0, sizeof(*who));
    copy_str(who->user_id, sizeof(who->user_id), uid);
    copy_str(who->email, sizeof(who->email), email);
    copy_str(who->name, sizeof(who->name), json_string_value(json_object_get(claims, "name")));
    who->exp = (int64_t)json_number_value(exp);
    roles = json_object_get(claims, "roles");
    keep = json_array();
    if (json_is_array(roles)) {
        size_t i;
        json_t *r;
        json_array_foreach(roles, i, r)
        {
            if (json_is_string(r))
                json_array_append(keep, r);
        }
    }
    who->perms = perms_of(keep);
    roles_text = json_dumps(keep, JSON_COMPACT);
    /* An oversized roles claim is cut to the roles this server knows. */
    if (roles_text && strlen(roles_text) < sizeof(who->roles_json)) {
        copy_str(who->roles_json, sizeof(who->roles_json), roles_text);
    } else {
        size_t i;
        json_t *known = json_array();
        for (i = 0; i < 3; i++)
            if (who->perms & (1u << i))
                json_array_append_new(known, json_string(cfg.roles[i]));
        free(roles_text);
        roles_text = json_dumps(known, JSON_COMPACT);
        json_decref(known);
        copy_str(who->roles_json, sizeof(who->roles_json), roles_text ? roles_text : "[]");
    }
    free(roles_text);
    json_decref(keep);
done:
    json_decref(claims);
    return reason;
}

/* Verify a compact JWS; NULL or the reason for a 401. */
static const char *token_verify(const char *token, size_t len, struct srv_principal *who)
{
    cjose_err cerr;
    cjose_jws_t *jws;
    cjose_header_t *hdr;
    const char *alg, *kid, *reason = NULL;
    const cjose_jwk_t *jwk;
    uint8_t *payload = NULL;
    size_t plen = 0;
    time_t now;

    if (!cfg.issuer)
        return "only the dev token is accepted (no OIDC issuer configured)";
    if (!(jws = cjose_jws_import(token, len, &cerr)))
        return "the token is not a compact JWS";
    hdr = cjose_jws_get_protected(jws);
    alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &cerr) : NULL;
    kid = hdr ? cjose_header_get(hdr, CJOSE_HDR_KID, &cerr) : NULL;
    /* The algorithm is fixed before any key is used: none, HMAC and others are refused. */
    if (!alg || strcmp(alg, "RS256") != 0) {
        reason = "the token's algorithm must be RS256";
        goto done;
    }
    if (!kid) {
        reason = "the token has no kid";
        goto done;
    }
    now = time(NULL);
    if (key_count > 0 && now - keys_fetched_at >= JWKS_MAX_AGE && refresh_allowed(now))
        jwks_fetch();
    if (!(jwk = key_find(kid)) && refresh_allowed(now)) {
        jwks_fetch();
        jwk = key_find(kid);
    }
    if (!jwk) {
        reason = "the token is signed by an unknown key (kid)";
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
    reason = claims_check(payload, plen, who);
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
    if ((reason = token_verify(token, len, who)) != NULL) {
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
