#define _GNU_SOURCE /* asprintf */
/* APIM: Azure API Management (CONNECTORS.md §2). Two modes, each optional:
 * A, the gateway's built-in health endpoint (base_url, optional subscription
 * key); B, the management plane (Entra ID client_credentials token cached in
 * the registry, ARM service and API list paged by absolute nextLink). */
#include "oauth.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_PATH "/status-0123456789abcdef"
#define PAGE_SIZE 100
#define TOKEN_MARGIN_S 60
#define DEFAULT_LOGIN_URL "https://login.microsoftonline.com"
#define DEFAULT_MANAGEMENT_URL "https://management.azure.com"
#define DEFAULT_API_VERSION "2022-08-01"

static const char *const management_options[] = {"subscription_id", "resource_group", "service_name",
                                                 "client_id", NULL};

static int management_mode(const mon_connector_call *call)
{
    return mon__opt_str(call, "tenant_id", NULL) != NULL;
}

static int check_url_option(const mon_connector_call *call, const char *key)
{
    const char *url = mon__opt_str(call, key, NULL);
    int rc = mon__check_opt_string(call, key, 0);
    if (rc == MON_OK && url && strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        rc = mon__error(MON_EINVAL, "options", "\"%s\" must be an http(s) URL", key);
    return rc;
}

static int validate(mon_connector_call *call, void *payload)
{
    const char *secret;
    int rc;
    if ((rc = mon__check_base_url(call, 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "tenant_id", 0)) != MON_OK ||
        (rc = check_url_option(call, "login_url")) != MON_OK ||
        (rc = check_url_option(call, "management_url")) != MON_OK ||
        (rc = mon__check_opt_string(call, "api_version", 0)) != MON_OK)
        return rc;
    if (!*call->base_url && !management_mode(call))
        return mon__error(
            MON_EINVAL, "base_url",
            "APIM connector needs a gateway base URL, or option \"tenant_id\" for the management plane");
    if (!management_mode(call))
        return MON_OK;
    for (const char *const *key = management_options; *key; key++)
        if ((rc = mon__check_opt_string(call, *key, 1)) != MON_OK)
            return rc;
    return mon__need_cred(&secret, call, "client_secret");
}

/* ---------------------------------------------------------- gateway (A) */

/* GET {base_url}{path} with the subscription key when one is configured. */
static int gateway_get(json_t **out, mon_connector_call *call, const char *path)
{
    const char *key = mon__creds_get(call->creds, "subscription_key");
    char *line = key && *key ? mon__http_header("Ocp-Apim-Subscription-Key", key) : NULL;
    const char *headers[2] = {line, NULL};
    struct mon__http_request req = {"GET", NULL, headers, NULL, 0, NULL, 0};
    struct mon__http_response resp;
    char *url;
    int rc;

    *out = NULL;
    if (!*call->base_url)
        return mon__error(MON_EINVAL, "base_url", "the gateway probe needs the gateway base URL");
    if ((key && *key && !line) || !(url = mon__http_url(call, "%s", path))) {
        mon__http_header_free(line);
        return mon__error_nomem();
    }
    req.url = url;
    rc = mon__http_do(call, &req, &resp);
    if (rc == MON_OK)
        *out = json_pack("{s:s, s:I, s:i}", "url", url, "status", (json_int_t)resp.status, "time_ms",
                         (int)(resp.total_s * 1000.0 + 0.5));
    mon__http_response_clear(&resp);
    mon__http_header_free(line);
    free(url);
    return rc == MON_OK && !*out ? mon__error_nomem() : rc;
}

/* ------------------------------------------------------ management (B) */

struct arm {
    mon_connector_call *call;
    const char *management_url; /* option or default, no trailing '/' assumed */
    char *service_url;          /* {management}/subscriptions/…/service/{svc} */
    struct mon__oauth oauth;    /* Entra ID token for the management plane */
};

static int arm_open(struct arm *arm, mon_connector_call *call)
{
    char *sub = mon__http_escape(mon__opt_str(call, "subscription_id", ""));
    char *rg = mon__http_escape(mon__opt_str(call, "resource_group", ""));
    char *svc = mon__http_escape(mon__opt_str(call, "service_name", ""));
    char *tenant = mon__http_escape(mon__opt_str(call, "tenant_id", ""));

    memset(arm, 0, sizeof(*arm));
    arm->call = call;
    arm->management_url = mon__opt_str(call, "management_url", DEFAULT_MANAGEMENT_URL);
    arm->oauth.call = call;
    arm->oauth.system = "APIM";
    arm->oauth.client_id = mon__opt_str(call, "client_id", "");
    arm->oauth.scope = "https://management.azure.com/.default";
    arm->oauth.refused_client_is_auth = 1;
    arm->oauth.margin_s = TOKEN_MARGIN_S;
    if (!sub || !rg || !svc ||
        asprintf(&arm->service_url,
                 "%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ApiManagement/service/%s",
                 arm->management_url, sub, rg, svc) < 0)
        arm->service_url = NULL;
    if (!tenant || asprintf(&arm->oauth.token_url, "%s/%s/oauth2/v2.0/token",
                            mon__opt_str(call, "login_url", DEFAULT_LOGIN_URL), tenant) < 0)
        arm->oauth.token_url = NULL;
    free(sub);
    free(rg);
    free(svc);
    free(tenant);
    return arm->service_url && arm->oauth.token_url ? MON_OK : mon__error_nomem();
}

static void arm_close(struct arm *arm)
{
    free(arm->service_url);
    mon__oauth_close(&arm->oauth);
}

static int service_status(json_t **out, struct arm *arm)
{
    struct mon__http_response resp;
    const char *state;
    char *url = NULL;
    json_t *j, *props;
    int rc;

    *out = NULL;
    if (asprintf(&url, "%s?api-version=%s", arm->service_url,
                 mon__opt_str(arm->call, "api_version", DEFAULT_API_VERSION)) < 0)
        return mon__error_nomem();
    rc = mon__oauth_call(&arm->oauth, "GET", url, "", &resp);
    free(url);
    j = resp.json;
    props = json_object_get(j, "properties");
    state = json_string_value(json_object_get(props, "provisioningState"));
    if (rc == MON_OK && !json_is_object(props))
        rc = mon__call_error(arm->call, MON_EPROTO, NULL, "APIM: service reply without \"properties\"");
    else if (rc == MON_OK && state && strcmp(state, "Failed") == 0)
        rc = mon__call_error(arm->call, MON_EUPSTREAM, NULL,
                             "APIM: service %s is in provisioning state Failed",
                             mon__opt_str(arm->call, "service_name", ""));
    else if (rc == MON_OK &&
             !(*out = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "name", json_object_get(j, "name"), "sku",
                                json_object_get(json_object_get(j, "sku"), "name"), "capacity",
                                json_object_get(json_object_get(j, "sku"), "capacity"), "provisioning_state",
                                json_object_get(props, "provisioningState"), "gateway_url",
                                json_object_get(props, "gatewayUrl"))))
        rc = mon__error_nomem();
    mon__http_response_clear(&resp);
    return rc;
}

static int list_apis(char **result, struct arm *arm)
{
    mon_connector_call *call = arm->call;
    size_t base_len = strlen(arm->management_url);
    json_t *apis = json_array();
    char *url = NULL;
    int pages = 0, truncated = 0, rc = MON_OK;

    if (asprintf(&url, "%s/apis?api-version=%s&$top=%d", arm->service_url,
                 mon__opt_str(call, "api_version", DEFAULT_API_VERSION), PAGE_SIZE) < 0) {
        json_decref(apis);
        return mon__error_nomem();
    }
    while (url) {
        struct mon__http_response resp;
        const json_t *value, *item, *next;
        size_t i;

        if ((rc = mon__oauth_call(&arm->oauth, "GET", url, "", &resp)) != MON_OK) {
            mon__http_response_clear(&resp);
            break;
        }
        free(url);
        url = NULL;
        value = json_object_get(resp.json, "value");
        next = json_object_get(resp.json, "nextLink");
        if (!json_is_array(value)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(call, MON_EPROTO, NULL, "APIM: API list without \"value\"");
            break;
        }
        json_array_foreach(value, i, item)
        {
            const json_t *props = json_object_get(item, "properties");
            json_array_append_new(apis, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "name",
                                                  json_object_get(item, "name"), "display_name",
                                                  json_object_get(props, "displayName"), "path",
                                                  json_object_get(props, "path"), "is_current",
                                                  json_object_get(props, "isCurrent"), "api_revision",
                                                  json_object_get(props, "apiRevision")));
        }
        pages++;
        if (json_is_string(next) && *json_string_value(next)) {
            /* The bearer token goes only where the token is meant for. */
            const char *link = json_string_value(next);
            if (strncmp(link, arm->management_url, base_len) != 0 ||
                (link[base_len] != '/' && link[base_len]))
                rc = mon__call_error(call, MON_EPROTO, NULL, "APIM: nextLink outside management_url refused");
            else if (pages >= call->max_pages)
                truncated = 1;
            else if (!(url = strdup(link)))
                rc = mon__error_nomem();
        }
        mon__http_response_clear(&resp);
        if (rc != MON_OK)
            break;
    }
    free(url);
    if (rc != MON_OK) {
        json_decref(apis);
        return rc;
    }
    return mon__result(result, json_pack("{s:I, s:o, s:b, s:i}", "count", (json_int_t)json_array_size(apis),
                                         "apis", apis, "truncated", truncated, "pages", pages));
}

/* ---------------------------------------------------------- entry points */

static int test(char **result, mon_connector_call *call, void *payload)
{
    json_t *gateway = NULL, *service = NULL;
    int rc = MON_OK;

    mon__http_set_system(call, "APIM");
    if (*call->base_url)
        rc = gateway_get(&gateway, call, PROBE_PATH);
    if (rc == MON_OK && management_mode(call)) {
        struct arm arm;
        if ((rc = arm_open(&arm, call)) == MON_OK)
            rc = service_status(&service, &arm);
        arm_close(&arm);
    }
    if (rc != MON_OK) {
        json_decref(gateway);
        return rc;
    }
    return mon__result(result,
                       json_pack("{s:b, s:o?, s:o?}", "ok", 1, "gateway", gateway, "service", service));
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    json_t *params = mon__params(params_json), *out = NULL;
    struct arm arm;
    int rc;

    mon__http_set_system(call, "APIM");
    if (strcmp(action, "probe") == 0) {
        const char *path;
        rc = mon__param_str(&path, call, params, "path", 0);
        if (rc == MON_OK && path && path[0] != '/')
            rc = mon__call_error(call, MON_EINVAL, "params.path", "must start with '/'");
        if (rc == MON_OK)
            rc = gateway_get(&out, call, path ? path : PROBE_PATH);
        if (rc == MON_OK)
            rc = mon__result(result, out);
        json_decref(params);
        return rc;
    }
    json_decref(params);
    if (!management_mode(call))
        return mon__error(MON_ESTATE, "options",
                          "APIM action %s needs the management plane options (tenant_id, …)", action);
    if ((rc = arm_open(&arm, call)) == MON_OK) {
        if (strcmp(action, "service_status") == 0) {
            if ((rc = service_status(&out, &arm)) == MON_OK)
                rc = mon__result(result, out);
        } else {
            rc = list_apis(result, &arm);
        }
    }
    arm_close(&arm);
    return rc;
}

static const mon_connector_action actions[] = {
    {"probe", "GET the gateway's health endpoint, or one API path with the subscription key.",
     "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"pattern\":\"^/\"}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"service_status", "State, SKU and gateway URL of the API Management service (management plane).",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
    {"list_apis", "List the service's APIs (management plane, nextLink pages up to max_pages).",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
};

static const char *const credential_fields[] = {"subscription_key", "client_secret", NULL};

const struct mon__builtin mon__connector_apim = {
    {MON_CONNECTOR_TYPE_VERSION, "APIM", "Azure API Management: gateway health probe, service state and APIs",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    NULL,
};
