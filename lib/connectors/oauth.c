#define _GNU_SOURCE /* asprintf */
/* OAuth2 client_credentials token, its cache and the bearer calls shared by
 * APIM and KEYCLOAK (see oauth.h). */
#include "oauth.h"
#include "error_priv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A token refused for the client itself is a credentials problem whatever the status (AADSTS 400 or 401). */
static int token_error(const struct mon__oauth *oauth, const struct mon__http_response *resp)
{
    json_t *json = json_loadb(resp->body, resp->body_len, 0, NULL);
    const char *error = json_string_value(json_object_get(json, "error"));
    int client = oauth->refused_client_is_auth && error &&
                 (strcmp(error, "invalid_client") == 0 || strcmp(error, "unauthorized_client") == 0);
    int rc = mon__http_status_error(oauth->call, resp);
    json_decref(json);
    if (client && rc != MON_EAUTH) {
        char detail[1200];
        snprintf(detail, sizeof(detail), "%s", mon_error_last());
        rc = mon__error(MON_EAUTH, NULL, "%s", detail);
    }
    return rc;
}

/* The form body of the token request (secret, malloc'd; NULL when out of memory).
 * With HTTP Basic client authentication the client is not named in the form. */
static char *token_form(const struct mon__oauth *oauth, const char *secret)
{
    char *id = mon__http_escape(oauth->client_id), *secret_esc = mon__http_escape(secret);
    char *scope = oauth->scope ? mon__http_escape(oauth->scope) : NULL, *form = NULL;
    int n = -1;

    if (id && secret_esc && (scope || !oauth->scope))
        n = oauth->basic ? asprintf(&form, "grant_type=client_credentials%s%s", scope ? "&scope=" : "",
                                    scope ? scope : "")
                         : asprintf(&form, "grant_type=client_credentials&client_id=%s&client_secret=%s%s%s",
                                    id, secret_esc, scope ? "&scope=" : "", scope ? scope : "");
    free(id);
    mon__wipe_free(secret_esc);
    free(scope);
    return n < 0 ? NULL : form;
}

/* client_credentials grant; the reply's token is cached for expires_in - margin_s. */
static int fetch_token(char **token, const struct mon__oauth *oauth)
{
    mon_connector_call *call = oauth->call;
    const char *secret = mon__creds_get(call->creds, "client_secret");
    char *form = token_form(oauth, secret ? secret : "");
    char *basic_line = oauth->basic ? mon__http_basic_header(oauth->client_id, secret ? secret : "") : NULL;
    const char *headers[3] = {"Accept: application/json", basic_line, NULL};
    struct mon__http_request req = {"POST",
                                    oauth->token_url,
                                    headers,
                                    form,
                                    0,
                                    "application/x-www-form-urlencoded",
                                    MON__HTTP_JSON | MON__HTTP_KEEP_ERRORS};
    struct mon__http_response resp;
    const json_t *access, *expires;
    int rc;

    *token = NULL;
    if (!form || (oauth->basic && !basic_line)) {
        mon__wipe_free(form);
        mon__http_header_free(basic_line);
        return mon__error_nomem();
    }
    rc = mon__http_do(call, &req, &resp);
    mon__wipe_free(form);
    mon__http_header_free(basic_line);
    if (rc == MON_OK && (resp.status < 200 || resp.status > 299))
        rc = token_error(oauth, &resp);
    access = json_object_get(resp.json, "access_token");
    expires = json_object_get(resp.json, "expires_in");
    if (rc == MON_OK && (!json_is_string(access) || !*json_string_value(access)))
        rc = mon__call_error(call, MON_EPROTO, NULL, "%s: token reply without \"access_token\"",
                             oauth->system);
    else if (rc == MON_OK && !(*token = strdup(json_string_value(access))))
        rc = mon__error_nomem();
    else if (rc == MON_OK && json_is_integer(expires) && json_integer_value(expires) > oauth->margin_s)
        rc = mon__cache_set(call, "token", *token, json_integer_value(expires) - oauth->margin_s);
    if (resp.body)
        sodium_memzero(resp.body, resp.body_len);
    mon__http_response_clear(&resp);
    if (rc != MON_OK) {
        mon__cache_wipe_free(*token);
        *token = NULL;
    }
    return rc;
}

static int ensure_auth(struct mon__oauth *oauth)
{
    char *token = NULL, *value = NULL;
    int rc;

    if (oauth->auth)
        return MON_OK;
    rc = mon__cache_get(&token, oauth->call, "token");
    oauth->auth_cached = rc == MON_OK;
    if (rc == MON_ENOTFOUND)
        rc = fetch_token(&token, oauth);
    if (rc != MON_OK)
        return rc;
    if (asprintf(&value, "Bearer %s", token) < 0)
        value = NULL;
    oauth->auth = value ? mon__http_header("Authorization", value) : NULL;
    mon__wipe_free(value);
    mon__cache_wipe_free(token);
    return oauth->auth ? MON_OK : mon__error_nomem();
}

int mon__oauth_call(struct mon__oauth *oauth, const char *method, const char *url, const char *path,
                    struct mon__http_response *resp)
{
    char *full = NULL;
    int rc;

    memset(resp, 0, sizeof(*resp));
    mon__http_response_clear(resp); /* valid even when no request is made */
    if (asprintf(&full, "%s%s", url, path) < 0)
        return mon__error_nomem();
    for (int attempt = 0;; attempt++) {
        const char *headers[3] = {NULL, "Accept: application/json", NULL};
        struct mon__http_request req = {
            method, full, headers, NULL, 0, NULL, MON__HTTP_JSON | MON__HTTP_KEEP_ERRORS};
        if ((rc = ensure_auth(oauth)) != MON_OK)
            break;
        headers[0] = oauth->auth;
        if ((rc = mon__http_do(oauth->call, &req, resp)) != MON_OK)
            break;
        if (resp->status == 401 && oauth->auth_cached && attempt == 0) {
            mon__cache_drop(oauth->call, "token");
            mon__http_header_free(oauth->auth);
            oauth->auth = NULL;
            mon__http_response_clear(resp);
            continue;
        }
        if (resp->status < 200 || resp->status > 299)
            rc = mon__http_status_error(oauth->call, resp);
        break;
    }
    free(full);
    return rc;
}

void mon__oauth_close(struct mon__oauth *oauth)
{
    free(oauth->token_url);
    oauth->token_url = NULL;
    mon__http_header_free(oauth->auth);
    oauth->auth = NULL;
}
