/* Sign-in parsing of the server (server/jwt.c, no Kore): JWKS documents,
 * compact JWS tokens (header, signature against a fixed key) and the claims
 * of a verified token. Input: a mode byte (0 JWKS, 1 token, 2 claims) and
 * the text. Invariants: every key read has a kid; a token that opens has a
 * kid and RS256; accepted claims give a user id, an expiry after now minus
 * the skew and roles_json that is a JSON array of strings. */
#include "fuzz.h"

#include "jwt.h"

#include <jansson.h>

/* The public half of the key that signed the seeds in corpus/jwt/ (kid fuzz-key-1). */
static const char fixed_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"fuzz-key-1\",\"alg\":\"RS256\",\"n\":\"3oU"
    "SJ4upbLT8HQEIWrBgSjCuph8-M3O-OWtPPWwPovgnFlKDSANCnKllJEK9sPl-CNP_4NeI_yCke30lcsOXTHxQgebACOFbfMS"
    "8C_JRMPfKECVrrW12ORBnZl9Kf4guT2zYPLEP2goFDxgGJ2EuDQSIj7HE9xplo8aWCW9ljHbQudZpMC8e4Qu5MeqhVvhdGHa"
    "LrHiy-DfJT5yrqnP-QgcIoJQdrOSwe7gUMpqM_psX5tA339LxIo2oFe0w62d8pmMlnfW89T2jKTycVVE1IVgk9CY-IpLC1Qp"
    "YBANk_e8g8Uxz5DUwReuj7TVlxauz64RTwIKa5jyhqWjqUJ8Pbw\",\"e\":\"AQAB\"}]}";

static char *audiences[] = {"api://monitorage", "00000000-aaaa-bbbb-cccc-000000000000"};
static char *roles[] = {"Monitorage.Reader", "Monitorage.Operator", "Monitorage.Admin"};
static const struct srv_jwt_rules rules = {"https://issuer.example/v2.0", audiences, 2, roles, 60};
static const time_t now = 1795000000; /* 2026-11-18 */

static void check_claims(const uint8_t *payload, size_t len)
{
    struct srv_principal who;
    json_t *list, *item;
    size_t i;

    if (srv_jwt_claims(payload, len, &rules, now, &who) != NULL)
        return;
    FUZZ_ASSERT(who.user_id[0] != '\0');
    FUZZ_ASSERT(memchr(who.email, '\0', sizeof(who.email)) && memchr(who.name, '\0', sizeof(who.name)));
    FUZZ_ASSERT(who.exp + rules.skew >= now);
    FUZZ_ASSERT((who.perms & ~(unsigned)(SRV_PERM_READ | SRV_PERM_OPERATE | SRV_PERM_ADMIN)) == 0);
    FUZZ_ASSERT((list = json_loads(who.roles_json, 0, NULL)) != NULL && json_is_array(list));
    json_array_foreach(list, i, item) FUZZ_ASSERT(json_is_string(item));
    json_decref(list);
}

static void check_token(const char *token, size_t len)
{
    static struct srv_jwk *keys;
    static size_t key_count;
    cjose_jws_t *jws = NULL;
    const char *kid = NULL;
    cjose_err cerr;

    if (!keys)
        FUZZ_ASSERT(srv_jwks_parse(fixed_jwks, strlen(fixed_jwks), &keys, &key_count) == 0 && key_count == 1);
    if (srv_jwt_open(token, len, &jws, &kid) != NULL) {
        FUZZ_ASSERT(jws == NULL);
        return;
    }
    FUZZ_ASSERT(jws != NULL && kid != NULL);
    for (size_t i = 0; i < key_count; i++) {
        uint8_t *payload = NULL;
        size_t plen = 0;
        if (strcmp(keys[i].kid, kid) == 0 && cjose_jws_verify(jws, keys[i].jwk, &cerr) &&
            cjose_jws_get_plaintext(jws, &payload, &plen, &cerr))
            check_claims(payload, plen);
    }
    cjose_jws_release(jws);
}

static void check_jwks(const char *text, size_t len)
{
    struct srv_jwk *list = NULL;
    size_t count = 0;

    if (srv_jwks_parse(text, len, &list, &count) != 0)
        return;
    for (size_t i = 0; i < count; i++)
        FUZZ_ASSERT(list[i].kid != NULL && list[i].jwk != NULL);
    srv_jwks_free(list, count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    text = fuzz_text(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        check_jwks(text, size - 1);
        break;
    case 1:
        check_token(text, size - 1);
        break;
    default:
        check_claims((const uint8_t *)text, size - 1);
        break;
    }
    free(text);
    return 0;
}
