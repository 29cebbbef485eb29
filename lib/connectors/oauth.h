#ifndef MON_LIB_CONNECTORS_OAUTH_H
#define MON_LIB_CONNECTORS_OAUTH_H

/* OAuth2 client_credentials for the connectors that call an API with a
 * bearer token (APIM management plane, KEYCLOAK admin API): the token request
 * with the credential "client_secret", its cache in the registry under
 * "token", the Authorization header, and one new token when a cached one is
 * refused. Never installed. */

#include "http.h"

struct mon__oauth {
    /* Set by the connector. */
    mon_connector_call *call;
    const char *system;    /* "APIM", "Keycloak": prefix of protocol errors */
    char *token_url;       /* malloc'd, freed by mon__oauth_close() */
    const char *client_id; /* borrowed */
    const char *scope;     /* borrowed; NULL: no scope in the request */
    int basic;             /* client authentication by HTTP Basic instead of form fields */
    /* An "invalid_client" or "unauthorized_client" reply is MON_EAUTH whatever
     * its status (Entra ID answers 400); otherwise mon__http_status_error(). */
    int refused_client_is_auth;
    long long margin_s; /* forget a token this long before it expires */
    /* State: zero at first. */
    char *auth;      /* "Authorization: Bearer …" (secret), NULL until fetched */
    int auth_cached; /* the token came from the cache: a 401 may mean it was revoked */
};

/*
 * method {url}{path} with the bearer token and "Accept: application/json",
 * the reply's JSON in resp->json. A 401 with a cached token means it was
 * revoked: a new token is fetched, once. Non-2xx: mon__http_status_error().
 * resp is valid (clear it with mon__http_response_clear) whatever the result.
 */
int mon__oauth_call(struct mon__oauth *oauth, const char *method, const char *url, const char *path,
                    struct mon__http_response *resp);

/* Free the token URL and wipe the Authorization header (not the cached token). */
void mon__oauth_close(struct mon__oauth *oauth);

#endif
