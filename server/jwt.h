#ifndef MON_SERVER_JWT_H
#define MON_SERVER_JWT_H

/*
 * The pure part of sign-in, without Kore or network: reading a JWKS
 * document, opening a compact JWS and checking the claims of a verified
 * token. auth.c fetches, caches and replies around these;
 * tests/fuzz/fuzz_jwt.c calls them directly.
 */

#include <cjose/cjose.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"

/* A signing key of the JWKS. */
struct srv_jwk {
    char *kid;
    cjose_jwk_t *jwk;
};

/*
 * Parse a JWKS document (len bytes): RSA signing keys with a kid only,
 * others skipped. 0 with *out (free with srv_jwks_free()) and *count, or -1
 * when it is not a JSON object with a "keys" array.
 */
int srv_jwks_parse(const char *text, size_t len, struct srv_jwk **out, size_t *count);

/* Release count keys and the list. */
void srv_jwks_free(struct srv_jwk *list, size_t count);

/* What a token's claims must say. */
struct srv_jwt_rules {
    const char *issuer;
    char *const *audiences; /* accepted "aud" values */
    size_t audience_count;
    char *const *roles; /* app role names: reader, operator, admin */
    long skew;          /* seconds allowed on exp and nbf */
};

/*
 * Import a compact JWS (len bytes: three base64url parts without padding)
 * and read its protected header: only RS256 with a kid is accepted. NULL with *jws (release with
 * cjose_jws_release()) and *kid (borrowed from *jws), or the reason for a 401
 * with *jws NULL.
 */
const char *srv_jwt_open(const char *token, size_t len, cjose_jws_t **jws, const char **kid);

/*
 * Check the claims (len bytes of JSON from a verified token) against rules
 * at time now and fill *who. NULL, or the reason for a 401.
 */
const char *srv_jwt_claims(const uint8_t *payload, size_t len, const struct srv_jwt_rules *rules, time_t now,
                           struct srv_principal *who);

#endif
