#define _GNU_SOURCE /* asprintf */
/* KEYCLOAK: the admin REST API of one realm (CONNECTORS.md §4). A
 * confidential client's service account gets a client_credentials token
 * (form POST or HTTP Basic), cached in the registry until expires_in - 30 s;
 * users paged with first/max, totals from /users/count. */
#include "oauth.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 100
/* Forget a token this long before Keycloak does. */
#define TOKEN_MARGIN_S 30

static int validate(mon_connector_call *call, void *payload)
{
    const char *value;
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK ||
        (rc = mon__check_opt_string(call, "realm", 1)) != MON_OK ||
        (rc = mon__check_opt_string(call, "client_id", 1)) != MON_OK ||
        (rc = mon__need_cred(&value, call, "client_secret")) != MON_OK ||
        (rc = mon__check_opt_bool(call, "auth_prefix")) != MON_OK ||
        (rc = mon__check_opt_string(call, "client_auth", 0)) != MON_OK)
        return rc;
    value = mon__opt_str(call, "client_auth", "post");
    if (strcmp(value, "post") != 0 && strcmp(value, "basic") != 0)
        return mon__error(MON_EINVAL, "options", "\"client_auth\" must be \"post\" or \"basic\"");
    return MON_OK;
}

/* One call's state: where the realm lives and its token. */
struct kc {
    mon_connector_call *call;
    char *realm_url;         /* {base}[/auth]/realms/{realm} */
    char *admin_url;         /* {base}[/auth]/admin/realms/{realm} */
    struct mon__oauth oauth; /* service account token, from {realm_url}/protocol/openid-connect/token */
};

static int kc_open(struct kc *kc, mon_connector_call *call)
{
    const char *prefix = mon__opt_bool(call, "auth_prefix", 0) ? "/auth" : "";
    char *realm = mon__http_escape(mon__opt_str(call, "realm", ""));

    memset(kc, 0, sizeof(*kc));
    kc->call = call;
    kc->oauth.call = call;
    kc->oauth.system = "Keycloak";
    kc->oauth.client_id = mon__opt_str(call, "client_id", "");
    kc->oauth.basic = strcmp(mon__opt_str(call, "client_auth", "post"), "basic") == 0;
    kc->oauth.margin_s = TOKEN_MARGIN_S;
    mon__http_set_system(call, "Keycloak");
    if (realm) {
        kc->realm_url = mon__http_url(call, "%s/realms/%s", prefix, realm);
        kc->admin_url = mon__http_url(call, "%s/admin/realms/%s", prefix, realm);
    }
    free(realm);
    if (kc->realm_url &&
        asprintf(&kc->oauth.token_url, "%s/protocol/openid-connect/token", kc->realm_url) < 0)
        kc->oauth.token_url = NULL;
    return kc->oauth.token_url && kc->admin_url ? MON_OK : mon__error_nomem();
}

static void kc_close(struct kc *kc)
{
    free(kc->realm_url);
    free(kc->admin_url);
    mon__oauth_close(&kc->oauth);
}

/* method {admin_url}{path} with the bearer token (a revoked cached token is renewed once). */
static int admin_call(struct kc *kc, const char *method, const char *path, struct mon__http_response *resp)
{
    return mon__oauth_call(&kc->oauth, method, kc->admin_url, path, resp);
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    struct kc kc;
    struct mon__http_response resp;
    char *url = NULL;
    json_t *issuer = NULL;
    int rc;

    if ((rc = kc_open(&kc, call)) != MON_OK)
        return rc;
    if (asprintf(&url, "%s/.well-known/openid-configuration", kc.realm_url) < 0) {
        kc_close(&kc);
        return mon__error_nomem();
    }
    rc = mon__http_get_json(call, url, NULL, &resp);
    free(url);
    if (rc == MON_OK && !json_is_string(json_object_get(resp.json, "token_endpoint")))
        rc = mon__call_error(call, MON_EPROTO, NULL,
                             "Keycloak: openid-configuration without \"token_endpoint\"");
    if (rc == MON_OK)
        issuer = json_incref(json_object_get(resp.json, "issuer"));
    mon__http_response_clear(&resp);
    if (rc == MON_OK)
        rc = admin_call(&kc, "GET", "", &resp);
    if (rc == MON_OK && !json_is_object(resp.json))
        rc = mon__call_error(call, MON_EPROTO, NULL, "Keycloak: realm representation is not a JSON object");
    if (rc == MON_OK)
        rc = mon__result(result,
                         json_pack("{s:b, s:O?, s:O?, s:o?, s:[sss]}", "ok", 1, "realm",
                                   json_object_get(resp.json, "realm"), "enabled",
                                   json_object_get(resp.json, "enabled"), "issuer", json_incref(issuer),
                                   "checked", "GET /realms/{realm}/.well-known/openid-configuration",
                                   "POST /realms/{realm}/protocol/openid-connect/token",
                                   "GET /admin/realms/{realm}"));
    json_decref(issuer);
    mon__http_response_clear(&resp);
    kc_close(&kc);
    return rc;
}

static json_t *user_summary(const json_t *u)
{
    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(u, "id"), "username",
                     json_object_get(u, "username"), "email", json_object_get(u, "email"), "first_name",
                     json_object_get(u, "firstName"), "last_name", json_object_get(u, "lastName"), "enabled",
                     json_object_get(u, "enabled"), "created_ms", json_object_get(u, "createdTimestamp"));
}

static int list_users(char **result, struct kc *kc, json_t *params)
{
    mon_connector_call *call = kc->call;
    const char *search;
    long long first, limit, total = -1;
    json_t *users = json_array();
    struct mon__http_response resp;
    char *path = NULL;
    int pages = 0, truncated = 0, rc;

    if ((rc = mon__param_str(&search, call, params, "search", 0)) != MON_OK ||
        (rc = mon__param_int(&first, call, params, "first", 0, 0, 1000000000)) != MON_OK ||
        (rc = mon__param_int(&limit, call, params, "limit", 0, 0, 1000000)) != MON_OK)
        goto done;
    /* The total first, so that paging can stop on it. */
    if (!(path = strdup("/users/count")) || (rc = mon__http_add_query(&path, "search", search)) != MON_OK) {
        rc = rc ? rc : mon__error_nomem();
        goto done;
    }
    if ((rc = admin_call(kc, "GET", path, &resp)) != MON_OK) {
        mon__http_response_clear(&resp);
        goto done;
    }
    if (json_is_integer(resp.json))
        total = json_integer_value(resp.json);
    else if (json_is_integer(json_object_get(resp.json, "count")))
        total = json_integer_value(json_object_get(resp.json, "count"));
    mon__http_response_clear(&resp);
    for (;;) {
        long long want = PAGE_SIZE;
        size_t got, i;
        json_t *item;
        if (limit > 0 && limit - (long long)json_array_size(users) < want)
            want = limit - (long long)json_array_size(users);
        free(path);
        path = NULL;
        if (asprintf(&path, "/users?briefRepresentation=true&first=%lld&max=%lld", first, want) < 0) {
            path = NULL;
            rc = mon__error_nomem();
            break;
        }
        if ((rc = mon__http_add_query(&path, "search", search)) != MON_OK)
            break;
        if ((rc = admin_call(kc, "GET", path, &resp)) != MON_OK) {
            mon__http_response_clear(&resp);
            break;
        }
        if (!json_is_array(resp.json)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(call, MON_EPROTO, NULL, "Keycloak: user list is not a JSON array");
            break;
        }
        json_array_foreach(resp.json, i, item) json_array_append_new(users, user_summary(item));
        got = json_array_size(resp.json);
        mon__http_response_clear(&resp);
        first += (long long)got;
        pages++;
        if (got < (size_t)want || (total >= 0 && first >= total) ||
            (limit > 0 && (long long)json_array_size(users) >= limit))
            break;
        if (pages >= call->max_pages) {
            truncated = 1;
            break;
        }
    }
done:
    free(path);
    if (rc != MON_OK) {
        json_decref(users);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", "users", users, "total",
                                         (json_int_t)(total >= 0 ? total : (long long)json_array_size(users)),
                                         "truncated", truncated, "pages", pages));
}

/* "/users/{escaped id}{suffix}" from params.user_id. */
static int user_path(char **path, mon_connector_call *call, json_t *params, const char *suffix,
                     const char **id)
{
    char *escaped;
    int rc;
    *path = NULL;
    if ((rc = mon__param_str(id, call, params, "user_id", 1)) != MON_OK)
        return rc;
    if (!(escaped = mon__http_escape(*id)))
        return mon__error_nomem();
    if (asprintf(path, "/users/%s%s", escaped, suffix) < 0)
        *path = NULL;
    free(escaped);
    return *path ? MON_OK : mon__error_nomem();
}

static int user_sessions(char **result, struct kc *kc, json_t *params)
{
    struct mon__http_response resp;
    const char *id;
    char *path;
    json_t *sessions, *item;
    size_t i;
    int rc;

    if ((rc = user_path(&path, kc->call, params, "/sessions", &id)) != MON_OK)
        return rc;
    rc = admin_call(kc, "GET", path, &resp);
    free(path);
    if (rc == MON_OK && !json_is_array(resp.json))
        rc = mon__call_error(kc->call, MON_EPROTO, NULL, "Keycloak: session list is not a JSON array");
    if (rc != MON_OK) {
        mon__http_response_clear(&resp);
        return rc;
    }
    sessions = json_array();
    json_array_foreach(resp.json, i, item)
    {
        json_t *clients = json_array(), *name;
        const char *uuid;
        json_object_foreach(json_object_get(item, "clients"), uuid, name) json_array_append(clients, name);
        json_array_append_new(sessions, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:o}", "id",
                                                  json_object_get(item, "id"), "username",
                                                  json_object_get(item, "username"), "ip_address",
                                                  json_object_get(item, "ipAddress"), "start_ms",
                                                  json_object_get(item, "start"), "last_access_ms",
                                                  json_object_get(item, "lastAccess"), "clients", clients));
    }
    rc = mon__result(result, json_pack("{s:s, s:I, s:o}", "user_id", id, "count",
                                       (json_int_t)json_array_size(sessions), "sessions", sessions));
    mon__http_response_clear(&resp);
    return rc;
}

static int logout_user(char **result, struct kc *kc, json_t *params)
{
    struct mon__http_response resp;
    const char *id;
    char *path;
    int rc;

    if ((rc = user_path(&path, kc->call, params, "/logout", &id)) != MON_OK)
        return rc;
    rc = admin_call(kc, "POST", path, &resp);
    free(path);
    mon__http_response_clear(&resp);
    if (rc != MON_OK)
        return rc;
    return mon__result(result, json_pack("{s:s, s:b}", "user_id", id, "logged_out", 1));
}

/* Keycloak sends the counts as strings in client-session-stats. */
static json_t *count_of(const json_t *value)
{
    if (json_is_integer(value))
        return json_incref((json_t *)value);
    if (json_is_string(value)) {
        char *end;
        long long n = strtoll(json_string_value(value), &end, 10);
        if (end != json_string_value(value) && *end == '\0')
            return json_integer(n);
    }
    return json_null();
}

static int client_sessions(char **result, struct kc *kc, json_t *params)
{
    mon_connector_call *call = kc->call;
    struct mon__http_response resp;
    const char *client_id;
    char *path = NULL, *uuid = NULL, *escaped;
    json_t *count = NULL;
    int rc;

    if ((rc = mon__param_str(&client_id, call, params, "client_id", 1)) != MON_OK)
        return rc;
    if (!(path = strdup("/clients")) || (rc = mon__http_add_query(&path, "clientId", client_id)) != MON_OK) {
        free(path);
        return rc ? rc : mon__error_nomem();
    }
    rc = admin_call(kc, "GET", path, &resp);
    free(path);
    path = NULL;
    if (rc == MON_OK && !json_is_array(resp.json))
        rc = mon__call_error(call, MON_EPROTO, NULL, "Keycloak: client list is not a JSON array");
    else if (rc == MON_OK && !json_is_string(json_object_get(json_array_get(resp.json, 0), "id")))
        rc = mon__call_error(call, MON_ENOTFOUND, "params.client_id",
                             "Keycloak: no client \"%.100s\" in realm %s", client_id,
                             mon__opt_str(call, "realm", ""));
    else if (rc == MON_OK &&
             !(uuid = strdup(json_string_value(json_object_get(json_array_get(resp.json, 0), "id")))))
        rc = mon__error_nomem();
    mon__http_response_clear(&resp);
    if (rc != MON_OK)
        return rc;
    if ((escaped = mon__http_escape(uuid)) && asprintf(&path, "/clients/%s/session-count", escaped) < 0)
        path = NULL;
    free(escaped);
    rc = path ? admin_call(kc, "GET", path, &resp) : mon__error_nomem();
    free(path);
    if (rc == MON_OK) {
        count = count_of(json_is_object(resp.json) ? json_object_get(resp.json, "count") : resp.json);
        if (json_is_null(count))
            rc = mon__call_error(call, MON_EPROTO, NULL, "Keycloak: session-count reply without \"count\"");
    }
    if (rc == MON_OK)
        rc = mon__result(result, json_pack("{s:s, s:s, s:O}", "client_id", client_id, "id", uuid,
                                           "active_sessions", count));
    json_decref(count);
    mon__http_response_clear(&resp);
    free(uuid);
    return rc;
}

static int client_session_stats(char **result, struct kc *kc)
{
    struct mon__http_response resp;
    json_t *clients, *item;
    size_t i;
    int rc = admin_call(kc, "GET", "/client-session-stats", &resp);

    if (rc == MON_OK && !json_is_array(resp.json))
        rc =
            mon__call_error(kc->call, MON_EPROTO, NULL, "Keycloak: client-session-stats is not a JSON array");
    if (rc != MON_OK) {
        mon__http_response_clear(&resp);
        return rc;
    }
    clients = json_array();
    json_array_foreach(resp.json, i, item) json_array_append_new(
        clients, json_pack("{s:O?, s:O?, s:o, s:o}", "client_id", json_object_get(item, "clientId"), "id",
                           json_object_get(item, "id"), "active", count_of(json_object_get(item, "active")),
                           "offline", count_of(json_object_get(item, "offline"))));
    mon__http_response_clear(&resp);
    return mon__result(result, json_pack("{s:o}", "clients", clients));
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    struct kc kc;
    json_t *params = mon__params(params_json);
    int rc = kc_open(&kc, call);

    if (rc == MON_OK) {
        if (strcmp(action, "list_users") == 0)
            rc = list_users(result, &kc, params);
        else if (strcmp(action, "user_sessions") == 0)
            rc = user_sessions(result, &kc, params);
        else if (strcmp(action, "logout_user") == 0)
            rc = logout_user(result, &kc, params);
        else if (strcmp(action, "client_sessions") == 0)
            rc = client_sessions(result, &kc, params);
        else
            rc = client_session_stats(result, &kc);
    }
    kc_close(&kc);
    json_decref(params);
    return rc;
}

static const mon_connector_action actions[] = {
    {"list_users", "List the realm's users (optionally matching a search), paged up to max_pages.",
     "{\"type\":\"object\",\"properties\":{\"search\":{\"type\":\"string\"},"
     "\"first\":{\"type\":\"integer\",\"minimum\":0},\"limit\":{\"type\":\"integer\",\"minimum\":0}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"user_sessions", "Active sessions of one user.",
     "{\"type\":\"object\",\"required\":[\"user_id\"],\"properties\":{\"user_id\":{\"type\":\"string\"}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"logout_user", "End every session of one user.",
     "{\"type\":\"object\",\"required\":[\"user_id\"],\"properties\":{\"user_id\":{\"type\":\"string\"}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"client_sessions", "Number of active sessions of one client (by clientId).",
     "{\"type\":\"object\",\"required\":[\"client_id\"],\"properties\":{\"client_id\":{\"type\":\"string\"}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"client_session_stats", "Active and offline session counts of every client of the realm.",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
};

static const char *const credential_fields[] = {"client_secret", NULL};

static const struct mon__env_field env[] = {
    {"KEYCLOAK_URL", MON__ENV_BASE_URL, NULL},
    {"KEYCLOAK_REALM", MON__ENV_OPTION, "realm"},
    {"KEYCLOAK_CLIENT_ID", MON__ENV_OPTION, "client_id"},
    {"KEYCLOAK_CLIENT_SECRET", MON__ENV_CREDENTIAL, "client_secret"},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_keycloak = {
    {MON_CONNECTOR_TYPE_VERSION, "KEYCLOAK", "Keycloak: users, sessions and logout in one realm",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
