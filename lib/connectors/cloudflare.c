#define _GNU_SOURCE /* asprintf */
/* CLOUDFLARE: API v4 (CONNECTORS.md §6). Bearer API token, or the legacy
 * X-Auth-Email + X-Auth-Key when options.auth_email is set. Replies carry
 * {"success":..., "errors":[{code,message}]}: success decides, not the HTTP
 * status. Pages: page / per_page with result_info.total_pages. */
#include "http.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

#define PURGE_BATCH 30 /* URLs per purge request on common plans */

static int validate(mon_connector_call *call, void *payload)
{
    const char *token;
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK ||
        (rc = mon__check_opt_string(call, "zone_id", 1)) != MON_OK ||
        (rc = mon__check_opt_string(call, "auth_email", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "account_id", 0)) != MON_OK)
        return rc;
    if (mon__opt_str(call, "auth_email", NULL) && mon__creds_get(call->creds, "api_key"))
        return MON_OK;
    return mon__need_cred(&token, call, "api_token");
}

struct cf {
    mon_connector_call *call;
    char *headers[4];
    int owned;  /* how many of headers[] are ours to wipe */
    char *zone; /* escaped zone id */
};

static void cf_free(struct cf *cf)
{
    for (int i = 0; i < cf->owned; i++)
        mon__http_header_free(cf->headers[i]);
    free(cf->zone);
}

static int cf_init(struct cf *cf, mon_connector_call *call)
{
    const char *email = mon__opt_str(call, "auth_email", NULL);
    const char *key = mon__creds_get(call->creds, "api_key");
    const char *token = mon__creds_get(call->creds, "api_token");
    char *value = NULL;

    memset(cf, 0, sizeof(*cf));
    cf->call = call;
    mon__http_set_system(call, "Cloudflare");
    if (email) {
        cf->headers[0] = mon__http_header("X-Auth-Email", email);
        cf->headers[1] = mon__http_header("X-Auth-Key", key ? key : token ? token : "");
        cf->owned = 2;
    } else {
        if (asprintf(&value, "Bearer %s", token ? token : "") >= 0)
            cf->headers[0] = mon__http_header("Authorization", value);
        mon__wipe_free(value);
        cf->owned = 1;
    }
    cf->headers[cf->owned] = "Accept: application/json";
    cf->zone = mon__http_escape(mon__opt_str(call, "zone_id", ""));
    if (!cf->zone || !cf->headers[0] || !cf->headers[cf->owned - 1]) {
        cf_free(cf);
        return mon__error_nomem();
    }
    return MON_OK;
}

/* Any of the error codes Cloudflare uses for a token or key it refuses. */
static int auth_code(const json_t *errors)
{
    static const long long codes[] = {1000, 6003, 6103, 6111, 9103, 9106, 9109, 10000, 10001};
    const json_t *item;
    size_t i;
    json_array_foreach(errors, i, item)
    {
        for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
            if (json_integer_value(json_object_get(item, "code")) == codes[k])
                return 1;
    }
    return 0;
}

/* One request; *out receives the parsed envelope (success true). */
static int cf_request(struct cf *cf, const char *method, const char *url, const char *body, json_t **out)
{
    struct mon__http_request req = {method,
                                    url,
                                    (const char *const *)cf->headers,
                                    body,
                                    0,
                                    body ? "application/json" : NULL,
                                    MON__HTTP_KEEP_ERRORS | MON__HTTP_JSON};
    struct mon__http_response resp;
    json_t *json;
    int rc;

    *out = NULL;
    if ((rc = mon__http_do(cf->call, &req, &resp)) != MON_OK)
        return rc;
    json = resp.json ? json_incref(resp.json) : json_loads(resp.body, 0, NULL);
    if (!json_is_object(json) || !json_is_boolean(json_object_get(json, "success"))) {
        rc = (resp.status >= 200 && resp.status <= 299)
                 ? mon__call_error(cf->call, MON_EPROTO, NULL, "Cloudflare: reply without the success flag")
                 : mon__http_status_error(cf->call, &resp);
    } else if (!json_is_true(json_object_get(json, "success"))) {
        char *message = mon__http_upstream_message(resp.body, json);
        int code = (resp.status == 401 || resp.status == 403 || auth_code(json_object_get(json, "errors")))
                       ? MON_EAUTH
                   : resp.status == 404 ? MON_ENOTFOUND
                                        : MON_EUPSTREAM;
        rc = message ? mon__call_error(cf->call, code, NULL, "Cloudflare: HTTP %ld: %s", resp.status, message)
                     : mon__error_nomem();
        free(message);
    } else {
        *out = json_incref(json);
    }
    json_decref(json);
    mon__http_response_clear(&resp);
    return rc;
}

static int zone(struct cf *cf, json_t **result)
{
    char *url = mon__http_url(cf->call, "/zones/%s", cf->zone);
    json_t *envelope, *r;
    int rc = url ? cf_request(cf, "GET", url, NULL, &envelope) : mon__error_nomem();

    free(url);
    if (rc != MON_OK)
        return rc;
    r = json_object_get(envelope, "result");
    if (!json_is_object(r)) {
        json_decref(envelope);
        return mon__call_error(cf->call, MON_EPROTO, NULL, "Cloudflare: zone reply without result");
    }
    *result = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(r, "id"), "name",
                        json_object_get(r, "name"), "status", json_object_get(r, "status"), "paused",
                        json_object_get(r, "paused"), "name_servers", json_object_get(r, "name_servers"));
    json_decref(envelope);
    return MON_OK;
}

/* A string member or "" (for messages and comparisons). */
static const char *str(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    return value ? value : "";
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    struct cf cf;
    json_t *envelope = NULL, *z = NULL;
    const char *account = mon__opt_str(call, "account_id", NULL);
    char *url = NULL, *acc = NULL;
    int rc = cf_init(&cf, call);

    if (rc != MON_OK)
        return rc;
    /* Token check first (Bearer only): user tokens at /user, account-owned tokens at /accounts/{id}. */
    if (!mon__opt_str(call, "auth_email", NULL)) {
        if (account && (acc = mon__http_escape(account)))
            url = mon__http_url(call, "/accounts/%s/tokens/verify", acc);
        else if (!account)
            url = mon__http_url(call, "/user/tokens/verify");
        rc = url ? cf_request(&cf, "GET", url, NULL, &envelope) : mon__error_nomem();
        if (rc == MON_OK && strcmp(str(json_object_get(envelope, "result"), "status"), "active") != 0)
            rc = mon__call_error(call, MON_EAUTH, NULL, "Cloudflare: API token is %s, not active",
                                 str(json_object_get(envelope, "result"), "status"));
        free(url);
        free(acc);
    }
    if (rc == MON_OK)
        rc = zone(&cf, &z);
    if (rc == MON_OK && strcmp(str(z, "status"), "active") != 0)
        rc = mon__call_error(call, MON_EUPSTREAM, NULL, "Cloudflare: zone %s is %s, not active",
                             str(z, "name"), str(z, "status"));
    if (rc == MON_OK)
        rc = mon__result(result, json_pack("{s:b, s:s, s:O}", "ok", 1, "token",
                                           envelope ? "active" : "not checked (legacy key)", "zone", z));
    json_decref(z);
    json_decref(envelope);
    cf_free(&cf);
    return rc;
}

static int purge_cache(char **result, struct cf *cf, json_t *params)
{
    json_t *everything = json_object_get(params, "purge_everything"),
           *files = json_object_get(params, "files");
    json_t *item, *envelope = NULL;
    size_t i, sent = 0;
    int requests = 0, rc = MON_OK;
    char *url;

    if (everything && !json_is_true(everything))
        return mon__call_error(cf->call, MON_EINVAL, "params.purge_everything", "must be true when given");
    if (!everything == !files)
        return mon__call_error(cf->call, MON_EINVAL, "params", "give either purge_everything or files");
    if (files && (!json_is_array(files) || json_array_size(files) == 0))
        return mon__call_error(cf->call, MON_EINVAL, "params.files", "must be a non-empty array of URLs");
    json_array_foreach(files, i, item)
    {
        if (!json_is_string(item))
            return mon__call_error(cf->call, MON_EINVAL, "params.files", "must be a non-empty array of URLs");
    }
    if (!(url = mon__http_url(cf->call, "/zones/%s/purge_cache", cf->zone)))
        return mon__error_nomem();
    /* One request for everything, else batches of PURGE_BATCH URLs. */
    do {
        json_t *body = everything ? json_pack("{s:b}", "purge_everything", 1) : json_pack("{s:[]}", "files");
        char *text;
        for (size_t k = 0; files && k < PURGE_BATCH && sent + k < json_array_size(files); k++)
            json_array_append(json_object_get(body, "files"), json_array_get(files, sent + k));
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        rc = text ? cf_request(cf, "POST", url, text, &envelope) : mon__error_nomem();
        free(text);
        json_decref(envelope);
        envelope = NULL;
        requests++;
        sent = files ? (sent + PURGE_BATCH < json_array_size(files) ? sent + PURGE_BATCH
                                                                    : json_array_size(files))
                     : 0;
    } while (rc == MON_OK && files && sent < json_array_size(files));
    free(url);
    if (rc != MON_OK)
        return rc;
    return mon__result(
        result, everything ? json_pack("{s:b, s:i}", "purged_everything", 1, "requests", requests)
                           : json_pack("{s:I, s:i}", "purged_files", (json_int_t)sent, "requests", requests));
}

static json_t *record_summary(const json_t *r)
{
    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(r, "id"), "type",
                     json_object_get(r, "type"), "name", json_object_get(r, "name"), "content",
                     json_object_get(r, "content"), "proxied", json_object_get(r, "proxied"), "ttl",
                     json_object_get(r, "ttl"));
}

static int list_dns_records(char **result, struct cf *cf, json_t *params)
{
    const char *type, *name;
    long long per_page, total = 0;
    json_t *records = json_array();
    int page = 1, pages = 0, truncated = 0, rc;

    if ((rc = mon__param_str(&type, cf->call, params, "type", 0)) != MON_OK ||
        (rc = mon__param_str(&name, cf->call, params, "name", 0)) != MON_OK ||
        (rc = mon__param_int(&per_page, cf->call, params, "per_page", 100, 5, 5000)) != MON_OK) {
        json_decref(records);
        return rc;
    }
    for (;;) {
        char *url =
            mon__http_url(cf->call, "/zones/%s/dns_records?page=%d&per_page=%lld", cf->zone, page, per_page);
        json_t *envelope, *items, *item, *info;
        size_t i;
        long long total_pages;

        if (!url || mon__http_add_query(&url, "type", type) != MON_OK ||
            mon__http_add_query(&url, "name", name) != MON_OK) {
            free(url);
            rc = mon__error_nomem();
            break;
        }
        rc = cf_request(cf, "GET", url, NULL, &envelope);
        free(url);
        if (rc != MON_OK)
            break;
        items = json_object_get(envelope, "result");
        info = json_object_get(envelope, "result_info");
        if (!json_is_array(items)) {
            json_decref(envelope);
            rc = mon__call_error(cf->call, MON_EPROTO, NULL, "Cloudflare: DNS record list without result");
            break;
        }
        json_array_foreach(items, i, item) json_array_append_new(records, record_summary(item));
        total = json_is_integer(json_object_get(info, "total_count"))
                    ? json_integer_value(json_object_get(info, "total_count"))
                    : (long long)json_array_size(records);
        total_pages = json_integer_value(json_object_get(info, "total_pages"));
        json_decref(envelope);
        pages++;
        if (page >= total_pages)
            break;
        if (pages >= cf->call->max_pages) {
            truncated = 1;
            break;
        }
        page++;
    }
    if (rc != MON_OK) {
        json_decref(records);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", "records", records, "total",
                                         (json_int_t)total, "truncated", truncated, "pages", pages));
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    struct cf cf;
    json_t *params = mon__params(params_json), *z = NULL;
    int rc = cf_init(&cf, call);

    if (rc == MON_OK) {
        if (strcmp(action, "zone_status") == 0) {
            if ((rc = zone(&cf, &z)) == MON_OK)
                rc = mon__result(result, z);
        } else if (strcmp(action, "purge_cache") == 0) {
            rc = purge_cache(result, &cf, params);
        } else {
            rc = list_dns_records(result, &cf, params);
        }
        cf_free(&cf);
    }
    json_decref(params);
    return rc;
}

static const mon_connector_action actions[] = {
    {"zone_status", "The zone's status (active, pending...), paused flag and name servers.",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
    {"purge_cache", "Purge the whole cache or given URLs (sent 30 per request).",
     "{\"type\":\"object\",\"properties\":{\"purge_everything\":{\"const\":true},\"files\":{\"type\":"
     "\"array\","
     "\"items\":{\"type\":\"string\"},\"minItems\":1}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"list_dns_records", "DNS records of the zone, optionally by type and name (pages up to max_pages).",
     "{\"type\":\"object\",\"properties\":{\"type\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"
     "\"per_page\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":5000}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
};

static const char *const credential_fields[] = {"api_token", "api_key", NULL};

static const struct mon__env_field env[] = {
    {"CLOUDFLARE_API_KEY", MON__ENV_CREDENTIAL, "api_token"},
    {"CLOUDFLARE_ZONE_ID", MON__ENV_OPTION, "zone_id"},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_cloudflare = {
    {MON_CONNECTOR_TYPE_VERSION, "CLOUDFLARE", "Cloudflare: zone status, cache purge, DNS records",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
