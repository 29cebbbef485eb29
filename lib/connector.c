#define _GNU_SOURCE /* vasprintf */
#include "audit_priv.h"
#include "connector_priv.h"
#include "connectors/http.h"
#include "error_priv.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_PAGES 10
#define DEFAULT_MAX_WAIT_S 5
#define REDACTED "[REDACTED]"

/* The built-in types, in the seed's order. */
static const struct mon__builtin *const builtins[] = {
    &mon__connector_talend,   &mon__connector_apim,          &mon__connector_github,
    &mon__connector_keycloak, &mon__connector_domain_health, &mon__connector_cloudflare,
    &mon__connector_glpi,     &mon__connector_jira,
};

/* ------------------------------------------------------------- roles */

const char *mon_connector_role_name(mon_connector_role role)
{
    switch (role) {
    case MON_CONNECTOR_ROLE_READER:
        return "reader";
    case MON_CONNECTOR_ROLE_OPERATOR:
        return "operator";
    case MON_CONNECTOR_ROLE_ADMIN:
        return "admin";
    }
    return NULL;
}

/* ------------------------------------------------------------- registry */

static int valid_type_name(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 50 || !isupper((unsigned char)name[0]))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isupper((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) && name[i] != '_')
            return 0;
    return 1;
}

static int valid_action_name(const char *name)
{
    if (!name || !*name || strlen(name) > 40)
        return 0;
    for (const char *c = name; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
            return 0;
    return 1;
}

static int add_type(mon_connectors *reg, const mon_connector_type *type, const struct mon__builtin *builtin)
{
    if (!type || type->version != MON_CONNECTOR_TYPE_VERSION)
        return mon__error(type ? MON_EVERSION : MON_EINVAL, "type",
                          type ? "unknown version %u" : "must not be NULL", type ? type->version : 0);
    if (!valid_type_name(type->name))
        return mon__error(MON_EINVAL, "type.name", "must match [A-Z][A-Z0-9_]* (at most 50 characters)");
    if (!type->test || !type->run)
        return mon__error(MON_EINVAL, type->test ? "type.run" : "type.test", "function is required");
    if (type->action_count && !type->actions)
        return mon__error(MON_EINVAL, "type.actions", "must not be NULL when action_count > 0");
    for (size_t i = 0; i < type->action_count; i++) {
        const mon_connector_action *a = &type->actions[i];
        json_t *schema;
        if (!valid_action_name(a->name) || strcmp(a->name, "test") == 0)
            return mon__error(MON_EINVAL, "type.actions",
                              "action %zu: name must match [a-z0-9_]+ and not be \"test\"", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(type->actions[j].name, a->name) == 0)
                return mon__error(MON_EINVAL, "type.actions", "action \"%s\" appears twice", a->name);
        if (!mon_connector_role_name(a->min_role))
            return mon__error(MON_EINVAL, "type.actions", "action \"%s\": unknown role", a->name);
        schema = json_loads(a->params_schema ? a->params_schema : "", 0, NULL);
        if (!json_is_object(schema)) {
            json_decref(schema);
            return mon__error(MON_EINVAL, "type.actions",
                              "action \"%s\": params_schema must be a JSON object", a->name);
        }
        json_decref(schema);
    }
    if (mon__registry_find(reg, type->name))
        return mon__error(MON_EEXISTS, "type.name", "a connector type named %s is already registered",
                          type->name);
    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        struct mon__registered *grown = realloc(reg->types, cap * sizeof(*grown));
        if (!grown)
            return mon__error_nomem();
        reg->types = grown;
        reg->cap = cap;
    }
    reg->types[reg->count].type = *type;
    reg->types[reg->count].builtin = builtin;
    reg->count++;
    return MON_OK;
}

int mon_connectors_new(mon_connectors **out, mon_store *store, const mon_secret_key *key)
{
    mon_connectors *reg;
    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (sodium_init() < 0)
        return mon__error(MON_ECRYPTO, NULL, "libsodium failed to initialise");
    if (!(reg = calloc(1, sizeof(*reg))))
        return mon__error_nomem();
    reg->store = store;
    reg->key = key;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        int rc = add_type(reg, &builtins[i]->type, builtins[i]);
        if (rc != MON_OK) {
            mon_connectors_free(reg);
            return rc;
        }
    }
    *out = reg;
    return MON_OK;
}

void mon_connectors_free(mon_connectors *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < MON__CACHE_MAX; i++)
        sodium_free(reg->cache[i].value);
    free(reg->types);
    free(reg);
}

int mon_connectors_register(mon_connectors *reg, const mon_connector_type *type)
{
    if (!reg)
        return mon__error(MON_EINVAL, "reg", "must not be NULL");
    return add_type(reg, type, NULL);
}

const struct mon__registered *mon__registry_find(const mon_connectors *reg, const char *name)
{
    for (size_t i = 0; name && i < reg->count; i++)
        if (strcmp(reg->types[i].type.name, name) == 0)
            return &reg->types[i];
    return NULL;
}

int mon__registry_get(const struct mon__registered **rt, const mon_connectors *reg, const char *name)
{
    if (!(*rt = mon__registry_find(reg, name)))
        return mon__error(MON_ENOTFOUND, "connector", "no connector type named \"%.50s\"", name ? name : "");
    return MON_OK;
}

static const mon_connector_action *find_action(const mon_connector_type *type, const char *name)
{
    for (size_t i = 0; name && i < type->action_count; i++)
        if (strcmp(type->actions[i].name, name) == 0)
            return &type->actions[i];
    return NULL;
}

int mon__result(char **out, json_t *value)
{
    *out = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(value);
    return *out ? MON_OK : mon__error_nomem();
}

int mon_connectors_types_json(char **out, const mon_connectors *reg)
{
    json_t *array;
    if (!out || !reg)
        return mon__error(MON_EINVAL, out ? "reg" : "out", "must not be NULL");
    *out = NULL;
    array = json_array();
    for (size_t i = 0; array && i < reg->count; i++) {
        const mon_connector_type *t = &reg->types[i].type;
        json_t *fields = json_array(), *actions = json_array();
        for (const char *const *f = t->credential_fields; f && *f; f++)
            json_array_append_new(fields, json_string(*f));
        for (size_t j = 0; j < t->action_count; j++)
            json_array_append_new(
                actions, json_pack("{s:s, s:s, s:s, s:o}", "name", t->actions[j].name, "description",
                                   t->actions[j].description ? t->actions[j].description : "", "min_role",
                                   mon_connector_role_name(t->actions[j].min_role), "params_schema",
                                   json_loads(t->actions[j].params_schema, 0, NULL)));
        json_array_append_new(array, json_pack("{s:s, s:s, s:b, s:o, s:o}", "name", t->name, "description",
                                               t->description ? t->description : "", "builtin",
                                               reg->types[i].builtin != NULL, "credential_fields", fields,
                                               "actions", actions));
    }
    return mon__result(out, array);
}

/* ---------------------------------------------------------- call objects */

const char *mon_connector_call_base_url(const mon_connector_call *call)
{
    return call ? call->base_url : "";
}

const char *mon_connector_call_options(const mon_connector_call *call)
{
    return call ? call->options_text : "{}";
}

const char *mon_connector_call_credential(const mon_connector_call *call, const char *name)
{
    return call ? mon__creds_get(call->creds, name) : NULL;
}

int mon_connector_call_timeout_ms(const mon_connector_call *call)
{
    return call ? call->timeout_ms : DEFAULT_TIMEOUT_MS;
}

char *mon__call_scrub(const mon_connector_call *call, char *text)
{
    for (size_t i = 0; text && call && call->creds && i < call->creds->count; i++) {
        const char *secret = call->creds->values[i];
        size_t slen = strlen(secret);
        char *hit;
        /* Very short values would redact ordinary words; credentials are longer. */
        if (slen < 4)
            continue;
        while ((hit = strstr(text, secret)) != NULL) {
            size_t before = (size_t)(hit - text), after = strlen(hit + slen);
            char *fresh = malloc(before + strlen(REDACTED) + after + 1);
            if (!fresh) {
                sodium_memzero(text, strlen(text));
                strcpy(text, "");
                return text;
            }
            memcpy(fresh, text, before);
            memcpy(fresh + before, REDACTED, strlen(REDACTED));
            memcpy(fresh + before + strlen(REDACTED), hit + slen, after + 1);
            sodium_memzero(text, strlen(text));
            free(text);
            text = fresh;
        }
    }
    return text;
}

int mon__call_error(mon_connector_call *call, int code, const char *field, const char *fmt, ...)
{
    char *message = NULL;
    va_list args;
    int n;

    va_start(args, fmt);
    n = vasprintf(&message, fmt, args);
    va_end(args);
    if (n < 0)
        return mon__error(code, field, "error (message unavailable)");
    message = mon__call_scrub(call, message);
    mon__error(code, field, "%s", message);
    mon__wipe_free(message);
    return code;
}

int mon_connector_call_error(mon_connector_call *call, int code, const char *message)
{
    if (code >= 0)
        code = MON_EUPSTREAM;
    return mon__call_error(call, code, NULL, "%s", message ? message : "error");
}

const char *mon__opt_str(const mon_connector_call *call, const char *key, const char *def)
{
    const char *value = json_string_value(json_object_get(call->options, key));
    return value && *value ? value : def;
}

long long mon__opt_int(const mon_connector_call *call, const char *key, long long def)
{
    json_t *value = json_object_get(call->options, key);
    if (json_is_integer(value))
        return json_integer_value(value);
    if (json_is_string(value) && *json_string_value(value)) {
        char *end;
        long long n = strtoll(json_string_value(value), &end, 10);
        if (*end == '\0')
            return n;
    }
    return def;
}

int mon__opt_bool(const mon_connector_call *call, const char *key, int def)
{
    json_t *value = json_object_get(call->options, key);
    return json_is_boolean(value) ? json_is_true(value) : def;
}

int mon__need_opt(const char **out, const mon_connector_call *call, const char *key)
{
    *out = mon__opt_str(call, key, NULL);
    if (*out)
        return MON_OK;
    return mon__error(MON_EINVAL, "options", "%s connector needs option \"%s\"", call->type->name, key);
}

int mon__need_cred(const char **out, const mon_connector_call *call, const char *key)
{
    *out = mon__creds_get(call->creds, key);
    if (*out && **out)
        return MON_OK;
    return mon__error(MON_EINVAL, "credentials", "%s connector needs credential \"%s\"", call->type->name,
                      key);
}

int mon__check_base_url(const mon_connector_call *call, int required)
{
    const char *url = call->base_url;
    if (!*url)
        return required
                   ? mon__error(MON_EINVAL, "base_url", "%s connector needs a base URL", call->type->name)
                   : MON_OK;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return mon__error(MON_EINVAL, "base_url", "scheme must be http or https");
    if (!url[strncmp(url, "https://", 8) == 0 ? 8 : 7])
        return mon__error(MON_EINVAL, "base_url", "host is missing");
    return MON_OK;
}

int mon__check_opt_string(const mon_connector_call *call, const char *key, int required)
{
    json_t *value = json_object_get(call->options, key);
    if (!value || json_is_null(value))
        return required ? mon__error(MON_EINVAL, "options", "%s connector needs option \"%s\"",
                                     call->type->name, key)
                        : MON_OK;
    if (!json_is_string(value) || (required && !*json_string_value(value)))
        return mon__error(MON_EINVAL, "options", "\"%s\" must be a non-empty string", key);
    return MON_OK;
}

int mon__check_opt_int(const mon_connector_call *call, const char *key, long long min, long long max)
{
    json_t *value = json_object_get(call->options, key);
    long long n;
    if (!value)
        return MON_OK;
    n = mon__opt_int(call, key, min - 1);
    if (!(json_is_integer(value) || json_is_string(value)) || n < min || n > max)
        return mon__error(MON_EINVAL, "options", "\"%s\" must be an integer from %lld to %lld", key, min,
                          max);
    return MON_OK;
}

int mon__check_opt_bool(const mon_connector_call *call, const char *key)
{
    json_t *value = json_object_get(call->options, key);
    if (value && !json_is_boolean(value))
        return mon__error(MON_EINVAL, "options", "\"%s\" must be true or false", key);
    return MON_OK;
}

json_t *mon__params(const char *params_json)
{
    json_t *params = json_loads(params_json ? params_json : "{}", 0, NULL);
    return params ? params : json_object();
}

int mon__param_str(const char **out, mon_connector_call *call, json_t *params, const char *key, int required)
{
    json_t *value = json_object_get(params, key);
    char field[80];
    snprintf(field, sizeof(field), "params.%s", key);
    *out = NULL;
    if (!value || json_is_null(value))
        return required ? mon__call_error(call, MON_EINVAL, field, "is required") : MON_OK;
    if (!json_is_string(value) || !*json_string_value(value))
        return mon__call_error(call, MON_EINVAL, field, "must be a non-empty string");
    *out = json_string_value(value);
    return MON_OK;
}

int mon__param_int(long long *out, mon_connector_call *call, json_t *params, const char *key, long long def,
                   long long min, long long max)
{
    json_t *value = json_object_get(params, key);
    char field[80];
    snprintf(field, sizeof(field), "params.%s", key);
    *out = def;
    if (!value || json_is_null(value))
        return MON_OK;
    if (!json_is_integer(value) || json_integer_value(value) < min || json_integer_value(value) > max)
        return mon__call_error(call, MON_EINVAL, field, "must be an integer from %lld to %lld", min, max);
    *out = json_integer_value(value);
    return MON_OK;
}

void mon__call_free(mon_connector_call *call)
{
    if (!call)
        return;
    mon__http_free(call->http);
    mon__creds_free(call->creds);
    json_decref(call->options);
    free(call->options_text);
    free(call->base_url);
    free(call);
}

int mon__call_new(mon_connector_call **out, mon_connectors *reg, const struct mon__registered *rt,
                  const struct mon__stored *stored, const char *plain, size_t plain_len)
{
    mon_connector_call *call = calloc(1, sizeof(*call));
    json_error_t error;
    size_t len;
    int rc = MON_OK;

    *out = NULL;
    if (!call)
        return mon__error_nomem();
    call->reg = reg;
    call->type = &rt->type;
    call->base_url = strdup(stored->base_url ? stored->base_url : "");
    if (!call->base_url) {
        mon__call_free(call);
        return mon__error_nomem();
    }
    len = strlen(call->base_url);
    while (len > 0 && call->base_url[len - 1] == '/')
        call->base_url[--len] = '\0';
    call->options = json_loads(stored->options ? stored->options : "{}", 0, &error);
    if (!json_is_object(call->options)) {
        mon__call_free(call);
        return mon__error(MON_EINVAL, "options", "must be a JSON object");
    }
    if (!(call->options_text = json_dumps(call->options, JSON_COMPACT))) {
        mon__call_free(call);
        return mon__error_nomem();
    }
    if ((rc = mon__check_opt_int(call, "timeout_ms", 1, 300000)) != MON_OK ||
        (rc = mon__check_opt_int(call, "max_pages", 1, 1000)) != MON_OK ||
        (rc = mon__check_opt_int(call, "rate_limit_max_wait_s", 0, 300)) != MON_OK) {
        mon__call_free(call);
        return rc;
    }
    call->timeout_ms = (int)mon__opt_int(call, "timeout_ms", DEFAULT_TIMEOUT_MS);
    call->max_pages = (int)mon__opt_int(call, "max_pages", DEFAULT_MAX_PAGES);
    call->max_wait_s = (int)mon__opt_int(call, "rate_limit_max_wait_s", DEFAULT_MAX_WAIT_S);

    rc = plain ? mon__creds_parse(&call->creds, plain, plain_len)
               : mon__stored_creds(&call->creds, reg, stored);
    if (rc != MON_OK) {
        mon__call_free(call);
        return rc;
    }
    *out = call;
    return MON_OK;
}

int mon__config_validate(mon_connectors *reg, const struct mon__registered *rt,
                         const struct mon__stored *stored, const char *credentials_plain,
                         size_t credentials_len)
{
    mon_connector_call *call = NULL;
    int rc = mon__call_new(&call, reg, rt, stored, credentials_plain, credentials_len);

    if (rc != MON_OK)
        return rc;
    if (stored->base_url && *stored->base_url)
        rc = mon__check_base_url(call, 0);
    for (size_t i = 0; rc == MON_OK && call->creds && i < call->creds->count; i++) {
        int known = 0;
        for (const char *const *f = rt->type.credential_fields; f && *f && !known; f++)
            known = strcmp(*f, call->creds->names[i]) == 0;
        if (!known)
            rc = mon__error(MON_EINVAL, "credentials", "%s connector has no credential field \"%.64s\"",
                            rt->type.name, call->creds->names[i]);
    }
    if (rc == MON_OK && rt->type.validate)
        rc = rt->type.validate(call, rt->type.payload);
    mon__call_free(call);
    return rc;
}

/* ------------------------------------------------------------ the cache */

static long long now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static struct mon__cache_entry *cache_find(mon_connectors *reg, const char *connector, const char *key)
{
    for (size_t i = 0; i < MON__CACHE_MAX; i++)
        if (reg->cache[i].value && strcmp(reg->cache[i].connector, connector) == 0 &&
            strcmp(reg->cache[i].key, key) == 0)
            return &reg->cache[i];
    return NULL;
}

static void cache_release(struct mon__cache_entry *entry)
{
    sodium_free(entry->value);
    memset(entry, 0, sizeof(*entry));
}

int mon__cache_get(char **out, mon_connector_call *call, const char *key)
{
    struct mon__cache_entry *entry = cache_find(call->reg, call->type->name, key);
    *out = NULL;
    if (!entry)
        return MON_ENOTFOUND;
    if (entry->expires_at <= now_s()) {
        cache_release(entry);
        return MON_ENOTFOUND;
    }
    return (*out = strdup(entry->value)) ? MON_OK : mon__error_nomem();
}

int mon__cache_set(mon_connector_call *call, const char *key, const char *value, long long ttl_s)
{
    mon_connectors *reg = call->reg;
    struct mon__cache_entry *entry = cache_find(reg, call->type->name, key);
    size_t len = strlen(value);

    if (entry)
        cache_release(entry);
    for (size_t i = 0; !entry && i < MON__CACHE_MAX; i++)
        if (!reg->cache[i].value || reg->cache[i].expires_at <= now_s())
            entry = &reg->cache[i];
    if (!entry)
        entry = &reg->cache[0]; /* full: evict the first slot */
    if (entry->value)
        cache_release(entry);
    if (!(entry->value = sodium_malloc(len + 1)))
        return mon__error_nomem();
    memcpy(entry->value, value, len + 1);
    snprintf(entry->connector, sizeof(entry->connector), "%s", call->type->name);
    snprintf(entry->key, sizeof(entry->key), "%s", key);
    entry->expires_at = now_s() + ttl_s;
    return MON_OK;
}

void mon__cache_drop(mon_connector_call *call, const char *key)
{
    struct mon__cache_entry *entry = cache_find(call->reg, call->type->name, key);
    if (entry)
        cache_release(entry);
}

void mon__cache_drop_connector(mon_connectors *reg, const char *name)
{
    for (size_t i = 0; i < MON__CACHE_MAX; i++)
        if (reg->cache[i].value && strcmp(reg->cache[i].connector, name) == 0)
            cache_release(&reg->cache[i]);
}

void mon__cache_wipe_free(char *value)
{
    mon__wipe_free(value);
}

/* ------------------------------------------------------- runs and audit */

int mon_connector_set_audit_hook(mon_connectors *reg, mon_connector_audit_fn hook, void *payload)
{
    if (!reg)
        return mon__error(MON_EINVAL, "reg", "must not be NULL");
    reg->hook = hook;
    reg->hook_payload = payload;
    return MON_OK;
}

int mon_connector_actor_init(mon_connector_actor *actor, unsigned int version)
{
    mon_connector_actor init = MON_CONNECTOR_ACTOR_INIT;
    if (!actor)
        return mon__error(MON_EINVAL, "actor", "must not be NULL");
    if (version != MON_CONNECTOR_ACTOR_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown actor version %u", version);
    *actor = init;
    return MON_OK;
}

/* 1 if text contains a credential value of the call. */
static int holds_credential(const mon_connector_call *call, const char *text)
{
    char *copy = strdup(text), *scrubbed = mon__call_scrub(call, copy);
    int found = scrubbed && strcmp(scrubbed, text) != 0;
    mon__wipe_free(scrubbed);
    return found;
}

/* Replace, in place, values under secret-looking keys and strings holding a credential. */
static void redact(json_t *value, const mon_connector_call *call)
{
    const char *key;
    json_t *item;
    size_t i;

    if (json_is_object(value)) {
        json_object_foreach(value, key, item)
        {
            if (mon__audit_key_is_secret(key) ||
                (json_is_string(item) && holds_credential(call, json_string_value(item))))
                json_object_set_new(value, key, json_string(REDACTED));
            else
                redact(item, call);
        }
    } else if (json_is_array(value)) {
        json_array_foreach(value, i, item)
        {
            if (json_is_string(item) && holds_credential(call, json_string_value(item)))
                json_array_set_new(value, i, json_string(REDACTED));
            else
                redact(item, call);
        }
    }
}

static char *redacted_params(const char *params_json, const mon_connector_call *call)
{
    json_t *params = json_loads(params_json ? params_json : "{}", 0, NULL);
    char *text;
    if (!params)
        return strdup("{}");
    redact(params, call);
    text = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    return text;
}

void mon__error_save(struct mon__saved_error *saved)
{
    const char *detail = mon_error_last(), *field = mon_error_field();
    size_t flen = strlen(field);
    saved->code = mon_error_last_code();
    snprintf(saved->field, sizeof(saved->field), "%s", field);
    /* The detail carries the "field: " prefix that mon__error() adds back. */
    if (flen && strncmp(detail, field, flen) == 0 && strncmp(detail + flen, ": ", 2) == 0)
        detail += flen + 2;
    snprintf(saved->detail, sizeof(saved->detail), "%s", detail);
}

int mon__error_restore(const struct mon__saved_error *saved)
{
    return mon__error(saved->code, saved->field[0] ? saved->field : NULL, "%s", saved->detail);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(char **result_json, mon_connectors *reg, const char *name, const char *action,
               const char *params_json, const mon_connector_actor *actor)
{
    const struct mon__registered *rt;
    const mon_connector_action *act = NULL;
    struct mon__stored stored = {0};
    mon_connector_call *call = NULL;
    long long started = now_ms();
    char *params_text = NULL;
    struct mon__saved_error saved;
    char message[sizeof(saved.field) + sizeof(saved.detail) + 2];
    int rc;

    *result_json = NULL;
    if ((rc = mon__registry_get(&rt, reg, name)) != MON_OK)
        goto audit;
    if (action) {
        json_t *params = json_loads(params_json ? params_json : "{}", 0, NULL);
        int is_object = json_is_object(params);
        json_decref(params);
        if (!(act = find_action(&rt->type, action))) {
            rc = mon__error(MON_ENOTFOUND, "action", "%s has no action \"%.40s\"", name, action);
            goto audit;
        }
        if (actor && actor->role < act->min_role) {
            rc = mon__error(MON_EFORBIDDEN, "action", "%s.%s needs the %s role", name, action,
                            mon_connector_role_name(act->min_role));
            goto audit;
        }
        if (!is_object) {
            rc = mon__error(MON_EINVAL, "params", "must be a JSON object");
            goto audit;
        }
    }
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        goto audit;
    if (!stored.enabled) {
        rc = mon__error(MON_EDISABLED, "connector", "%s connector is disabled: enable it before use", name);
        goto audit;
    }
    if ((rc = mon__call_new(&call, reg, rt, &stored, NULL, 0)) != MON_OK)
        goto audit;
    if (rt->type.validate && (rc = rt->type.validate(call, rt->type.payload)) != MON_OK)
        goto audit;
    if (action)
        rc = rt->type.run(result_json, call, action, params_json ? params_json : "{}", rt->type.payload);
    else
        rc = rt->type.test(result_json, call, rt->type.payload);
    if (rc == MON_OK && !*result_json && !(*result_json = strdup("{}")))
        rc = mon__error_nomem();
    if (rc != MON_OK) {
        free(*result_json);
        *result_json = NULL;
    } else if (!rt->builtin) {
        *result_json = mon__call_scrub(call, *result_json);
    }
audit:
    mon__error_save(&saved);
    saved.code = rc;
    if (reg->hook) {
        mon_connector_audit_event event;
        memset(&event, 0, sizeof(event));
        event.version = MON_CONNECTOR_AUDIT_EVENT_VERSION;
        char target[101];
        snprintf(target, sizeof(target), "%s.%s", name, action ? action : "test");
        params_text = redacted_params(action ? params_json : NULL, call);
        event.connector = name;
        event.action = action ? action : "test";
        event.target = target;
        event.actor = actor;
        event.parameters_json = params_text ? params_text : "{}";
        event.success = rc == MON_OK;
        event.error_code = rc;
        snprintf(message, sizeof(message), "%s%s%s", saved.field, saved.field[0] ? ": " : "", saved.detail);
        event.error_message = rc == MON_OK ? NULL : message;
        event.duration_ms = now_ms() - started;
        reg->hook(&event, reg->hook_payload);
        free(params_text);
    }
    mon__call_free(call);
    mon__stored_clear(&stored);
    /* The hook may have made library calls: this call's error stays the thread's last. */
    return rc == MON_OK ? MON_OK : mon__error_restore(&saved);
}

int mon_connector_test(char **result_json, mon_connectors *reg, const char *name,
                       const mon_connector_actor *actor)
{
    if (!result_json || !reg || !name)
        return mon__error(MON_EINVAL,
                          !result_json ? "result_json"
                          : !reg       ? "reg"
                                       : "name",
                          "must not be NULL");
    return run(result_json, reg, name, NULL, NULL, actor);
}

int mon_connector_run(char **result_json, mon_connectors *reg, const char *name, const char *action,
                      const char *params_json, const mon_connector_actor *actor)
{
    if (!result_json || !reg || !name || !action)
        return mon__error(MON_EINVAL,
                          !result_json ? "result_json"
                          : !reg       ? "reg"
                          : !name      ? "name"
                                       : "action",
                          "must not be NULL");
    return run(result_json, reg, name, action, params_json, actor);
}
