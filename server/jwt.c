/* JWKS documents, compact JWS headers and token claims (see jwt.h). */
#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

#define EXP_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Whether s (len bytes) is base64url without padding, of a length base64 can
 * have (not 4n + 1). cjose asserts, aborting the worker, on some malformed
 * values ('=' inside one), so only these reach it. */
static int b64url_ok(const char *s, size_t len)
{
    if (len % 4 == 1)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* Whether token is a compact JWS in shape: three b64url_ok() parts (RFC 7515). */
static int compact_shape_ok(const char *token, size_t len)
{
    const char *part = token, *end = token + len, *dot;

    for (int i = 0; i < 3; i++) {
        dot = i < 2 ? memchr(part, '.', (size_t)(end - part)) : end;
        if (!dot || !b64url_ok(part, (size_t)(dot - part)))
            return 0;
        part = dot + 1;
    }
    return 1;
}

/* Whether the base64url members of an RSA JWK that cjose decodes are b64url_ok(). */
static int rsa_members_ok(json_t *key)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *value = json_object_get(key, names[i]);
        if (value &&
            (!json_is_string(value) || !b64url_ok(json_string_value(value), json_string_length(value))))
            return 0;
    }
    return 1;
}

void srv_jwks_free(struct srv_jwk *list, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free(list[i].kid);
        cjose_jwk_release(list[i].jwk);
    }
    free(list);
}

int srv_jwks_parse(const char *text, size_t len, struct srv_jwk **out, size_t *count)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr), *arr, *key;
    struct srv_jwk *list;
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

        if (!kid || !kty || strcmp(kty, "RSA") != 0 || (use && strcmp(use, "sig") != 0) ||
            !rsa_members_ok(key))
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

const char *srv_jwt_open(const char *token, size_t len, cjose_jws_t **jws, const char **kid)
{
    cjose_err cerr;
    cjose_header_t *hdr;
    const char *alg;

    *kid = NULL;
    *jws = NULL;
    if (!compact_shape_ok(token, len) || !(*jws = cjose_jws_import(token, len, &cerr)))
        return "the token is not a compact JWS";
    hdr = cjose_jws_get_protected(*jws);
    alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &cerr) : NULL;
    *kid = hdr ? cjose_header_get(hdr, CJOSE_HDR_KID, &cerr) : NULL;
    /* The algorithm is fixed before any key is used: none, HMAC and others are refused. */
    if (!alg || strcmp(alg, "RS256") != 0 || !*kid) {
        const char *reason = !alg || strcmp(alg, "RS256") != 0 ? "the token's algorithm must be RS256"
                                                               : "the token has no kid";
        cjose_jws_release(*jws);
        *jws = NULL;
        *kid = NULL;
        return reason;
    }
    return NULL;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static unsigned int perms_of(json_t *roles, char *const *names)
{
    unsigned int perms = 0;
    size_t i;
    json_t *r;

    json_array_foreach(roles, i, r)
    {
        const char *name = json_string_value(r);
        if (!name)
            continue;
        if (strcmp(name, names[2]) == 0)
            perms |= SRV_PERM_ADMIN | SRV_PERM_OPERATE | SRV_PERM_READ;
        else if (strcmp(name, names[1]) == 0)
            perms |= SRV_PERM_OPERATE | SRV_PERM_READ;
        else if (strcmp(name, names[0]) == 0)
            perms |= SRV_PERM_READ;
    }
    return perms;
}

static int audience_ok(json_t *aud, const struct srv_jwt_rules *rules)
{
    size_t i, j;
    json_t *one;

    if (json_is_string(aud)) {
        for (j = 0; j < rules->audience_count; j++)
            if (strcmp(json_string_value(aud), rules->audiences[j]) == 0)
                return 1;
        return 0;
    }
    json_array_foreach(aud, i, one)
    {
        for (j = 0; j < rules->audience_count && json_is_string(one); j++)
            if (strcmp(json_string_value(one), rules->audiences[j]) == 0)
                return 1;
    }
    return 0;
}

const char *srv_jwt_claims(const uint8_t *payload, size_t len, const struct srv_jwt_rules *rules, time_t now,
                           struct srv_principal *who)
{
    json_t *claims = json_loadb((const char *)payload, len, 0, NULL), *exp, *nbf, *roles, *keep;
    const char *reason = NULL, *uid, *email;
    char *roles_text;

    if (!json_is_object(claims)) {
        reason = "the token's payload is not a JSON object";
        goto done;
    }
    if (!json_is_string(json_object_get(claims, "iss")) ||
        strcmp(json_string_value(json_object_get(claims, "iss")), rules->issuer) != 0) {
        reason = "the token was not issued by the configured issuer";
        goto done;
    }
    if (!audience_ok(json_object_get(claims, "aud"), rules)) {
        reason = "the token is not meant for this API (aud)";
        goto done;
    }
    exp = json_object_get(claims, "exp");
    if (!json_is_number(exp)) {
        reason = "the token has no exp";
        goto done;
    }
    if ((double)now >= json_number_value(exp) + (double)rules->skew) {
        reason = "the token has expired";
        goto done;
    }
    nbf = json_object_get(claims, "nbf");
    if (nbf && (!json_is_number(nbf) || (double)now + (double)rules->skew < json_number_value(nbf))) {
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
    /* exp is any JSON number: a later one than 9999-12-31 is kept as that, so that it converts to
     * int64_t and the cache's exp + skew cannot overflow. */
    who->exp = json_number_value(exp) > (double)EXP_MAX ? EXP_MAX : (int64_t)json_number_value(exp);
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
    who->perms = perms_of(keep, rules->roles);
    roles_text = json_dumps(keep, JSON_COMPACT);
    /* An oversized roles claim is cut to the roles this server knows. */
    if (roles_text && strlen(roles_text) < sizeof(who->roles_json)) {
        copy_str(who->roles_json, sizeof(who->roles_json), roles_text);
    } else {
        size_t i;
        json_t *known = json_array();
        for (i = 0; i < 3; i++)
            if (who->perms & (1u << i))
                json_array_append_new(known, json_string(rules->roles[i]));
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
