#ifndef MON_SERVER_AUTH_H
#define MON_SERVER_AUTH_H

/*
 * Sign-in: `Authorization: Bearer <JWT>` from Azure AD or any OIDC issuer,
 * verified with cjose against the issuer's JWKS (docs/server.md, "Auth").
 *
 * Settings (environment, read in the parent):
 *   OIDC_ISSUER      default https://login.microsoftonline.com/$AZURE_TENANT_ID/v2.0
 *   OIDC_JWKS_URL    default https://login.microsoftonline.com/$AZURE_TENANT_ID/discovery/v2.0/keys
 *   OIDC_AUDIENCE    comma-separated list, default $AZURE_CLIENT_ID
 *   MONITORAGE_ROLE_READER / _OPERATOR / _ADMIN   app role names
 *                    (default Monitorage.Reader / .Operator / .Admin)
 *   MONITORAGE_JWT_SKEW  clock skew allowed on exp and nbf, seconds (default 60)
 *   MONITORAGE_DEV_TOKEN a static admin token, only with loopback listeners
 *   MONITORAGE_METRICS_TOKEN a static token that may read /metrics only
 *
 * Each worker keeps its own JWKS (fetched at start, refreshed when a token
 * names an unknown kid, at most once a minute, or when older than an hour)
 * and a cache of verified tokens keyed by their BLAKE2b hash, valid until
 * the token's exp. Fetches run on a Kore task thread, never on the event
 * loop: a request whose token names an unknown kid sleeps until the fetch
 * in flight ends (all such requests share one fetch), then its handler is
 * called again (see srv_auth_result()).
 */

#include <stddef.h>
#include <stdint.h>

struct http_request;

/* Permissions: each role includes those below it. */
#define SRV_PERM_READ 1u    /* reader */
#define SRV_PERM_OPERATE 2u /* operator */
#define SRV_PERM_ADMIN 4u   /* admin */

/* Who a verified token says the caller is. */
struct srv_principal {
    char user_id[101];     /* oid, else sub */
    char email[256];       /* preferred_username, else email, else upn; may be "" */
    char name[128];        /* name claim; may be "" */
    char roles_json[2048]; /* the roles claim as a JSON array of strings */
    unsigned int perms;    /* SRV_PERM_* from the roles */
    int64_t exp;           /* expiry, Unix seconds */
    int dev;               /* 1 for the dev-mode token */
};

/*
 * Read the settings from the environment (parent). Returns 0, or -1 with
 * a message in err naming the variable.
 */
int srv_auth_configure(char *err, size_t errlen);

/* Whether MONITORAGE_DEV_TOKEN is set. */
int srv_auth_dev_mode(void);

/* The configured issuer, or NULL (dev mode without OIDC). */
const char *srv_auth_issuer(void);

/* The first accepted audience, or NULL. */
const char *srv_auth_audience(void);

/* Per worker: start fetching the JWKS (failure is logged, retried on use). */
void srv_auth_worker_init(void);

/* Per worker: release keys and cache. */
void srv_auth_worker_cleanup(void);

/*
 * Authenticate req; when the caller lacks need (SRV_PERM_*, 0 for any
 * signed-in caller), reply 401 / 403 and return -1. On success fill *who
 * and return 0.
 */
int srv_auth_require(struct http_request *req, unsigned int need, struct srv_principal *who);

/*
 * Authenticate only: 0 with *who filled, or -1 after a 401. The caller
 * checks perms itself (mutating routes audit their 403s).
 */
int srv_auth_authenticate(struct http_request *req, struct srv_principal *who);

/*
 * What a handler returns when srv_auth_require(), srv_auth_authenticate()
 * or srv_auth_metrics() returned -1: KORE_RESULT_RETRY while req sleeps
 * waiting for the JWKS fetch (nothing was sent; Kore calls the handler
 * again when the fetch ends), else KORE_RESULT_OK (a 401 / 403 was sent).
 * Also KORE_RESULT_OK for a request that was never refused.
 */
int srv_auth_result(struct http_request *req);

/*
 * /metrics: accept MONITORAGE_METRICS_TOKEN as a bearer token (for a
 * scraper without a user), else as srv_auth_require(SRV_PERM_READ).
 * 0, or -1 after a 401 / 403.
 */
int srv_auth_metrics(struct http_request *req);

/* Reply 403 naming the role that need requires. */
void srv_auth_reply_forbidden(struct http_request *req, unsigned int need);

/* Configured name of the role that grants need ("Monitorage.Admin"). */
const char *srv_auth_role_name(unsigned int need);

#endif
