/* Connector configuration in PostgreSQL (the seed's `connectors` table for
 * built-in types, `custom_connectors` for registered ones) and the import of
 * the seed's environment variables. */
#include "connector_priv.h"
#include "error_priv.h"
#include "store_priv.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char *const load_builtin_sql = "SELECT base_url, credentials, options::text, enabled, " TS(
    "created_at") ", " TS("updated_at") " FROM connectors WHERE type::text = $1";
static const char *const load_custom_sql = "SELECT base_url, credentials, options::text, enabled, " TS(
    "created_at") ", " TS("updated_at") " FROM custom_connectors WHERE name = $1";
static const char *const save_builtin_sql =
    "INSERT INTO connectors (type, base_url, credentials, options, enabled)"
    " VALUES ($1::connector_type, $2, $3, $4::jsonb, $5::boolean)"
    " ON CONFLICT (type) DO UPDATE SET base_url = EXCLUDED.base_url, credentials = EXCLUDED.credentials,"
    " options = EXCLUDED.options, enabled = EXCLUDED.enabled";
static const char *const save_custom_sql =
    "INSERT INTO custom_connectors (name, base_url, credentials, options, enabled)"
    " VALUES ($1, $2, $3, $4::jsonb, $5::boolean)"
    " ON CONFLICT (name) DO UPDATE SET base_url = EXCLUDED.base_url, credentials = EXCLUDED.credentials,"
    " options = EXCLUDED.options, enabled = EXCLUDED.enabled";

void mon__stored_clear(struct mon__stored *stored)
{
    free(stored->base_url);
    free(stored->options);
    free(stored->credentials);
    free(stored->created_at);
    free(stored->updated_at);
    memset(stored, 0, sizeof(*stored));
}

int mon__stored_creds(struct mon__creds **creds, const mon_connectors *reg, const struct mon__stored *stored)
{
    mon_secret_plain *plain = NULL;
    int rc;

    *creds = NULL;
    if (!stored->credentials || !*stored->credentials)
        return MON_OK;
    if (!reg->key)
        return mon__error(MON_EKEY, "credentials", "stored encrypted but no encryption key was given");
    if ((rc = mon_secret_decrypt(&plain, reg->key, stored->credentials)) == MON_OK)
        rc = mon__creds_parse(creds, mon_secret_plain_data(plain), mon_secret_plain_size(plain));
    mon_secret_plain_free(plain);
    return rc;
}

static char *value_or_null(PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

int mon__stored_load(struct mon__stored *out, mon_connectors *reg, const struct mon__registered *rt)
{
    const char *params[] = {rt->type.name};
    PGresult *res;
    int rc;

    memset(out, 0, sizeof(*out));
    res = mon__store_exec(reg->store, "read connector", rt->builtin ? load_builtin_sql : load_custom_sql, 1,
                          params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 1) {
        out->base_url = value_or_null(res, 0);
        out->credentials = value_or_null(res, 1);
        out->options = value_or_null(res, 2);
        out->enabled = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        out->created_at = value_or_null(res, 4);
        out->updated_at = value_or_null(res, 5);
    }
    PQclear(res);
    if (!out->options && !(out->options = strdup("{}"))) {
        mon__stored_clear(out);
        return mon__error_nomem();
    }
    return MON_OK;
}

int mon__stored_save(mon_connectors *reg, const struct mon__registered *rt, const struct mon__stored *stored)
{
    const char *params[] = {rt->type.name, stored->base_url, stored->credentials, stored->options,
                            stored->enabled ? "true" : "false"};
    int rc;
    PGresult *res = mon__store_exec(reg->store, "save connector",
                                    rt->builtin ? save_builtin_sql : save_custom_sql, 5, params, 0, &rc);
    PQclear(res);
    if (rc == MON_OK)
        mon__cache_drop_connector(reg, rt->type.name);
    return rc;
}

static json_t *config_json(const struct mon__registered *rt, const struct mon__stored *stored)
{
    char key_id[MON_SECRET_KEY_ID_LEN + 1];
    int has_creds = stored->credentials && *stored->credentials;
    json_t *options = json_loads(stored->options, 0, NULL);

    return json_pack("{s:s, s:b, s:s, s:s?, s:o, s:b, s:b, s:s?, s:s?, s:s?}", "name", rt->type.name,
                     "builtin", rt->builtin != NULL, "description",
                     rt->type.description ? rt->type.description : "", "base_url", stored->base_url,
                     "options", options ? options : json_object(), "enabled", stored->enabled,
                     "credentials_set", has_creds, "credentials_key_id",
                     has_creds && mon_secret_key_id_of(key_id, stored->credentials) == MON_OK ? key_id : NULL,
                     "created_at", stored->created_at, "updated_at", stored->updated_at);
}

int mon_connector_get_json(char **out, mon_connectors *reg, const char *name)
{
    const struct mon__registered *rt;
    struct mon__stored stored;
    int rc;

    if (!out || !reg)
        return mon__error(MON_EINVAL, out ? "reg" : "out", "must not be NULL");
    *out = NULL;
    if ((rc = mon__registry_get(&rt, reg, name)) != MON_OK)
        return rc;
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    rc = mon__result(out, config_json(rt, &stored));
    mon__stored_clear(&stored);
    return rc;
}

int mon_connector_list_json(char **out, mon_connectors *reg)
{
    json_t *array;
    if (!out || !reg)
        return mon__error(MON_EINVAL, out ? "reg" : "out", "must not be NULL");
    *out = NULL;
    array = json_array();
    for (size_t i = 0; array && i < reg->count; i++) {
        struct mon__stored stored;
        int rc = mon__stored_load(&stored, reg, &reg->types[i]);
        if (rc != MON_OK) {
            json_decref(array);
            return rc;
        }
        json_array_append_new(array, config_json(&reg->types[i], &stored));
        mon__stored_clear(&stored);
    }
    return mon__result(out, array);
}

int mon_connector_config_init(mon_connector_config *config, unsigned int version)
{
    mon_connector_config init = MON_CONNECTOR_CONFIG_INIT;
    if (!config)
        return mon__error(MON_EINVAL, "config", "must not be NULL");
    if (version != MON_CONNECTOR_CONFIG_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown config version %u", version);
    *config = init;
    return MON_OK;
}

static int replace(char **slot, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return mon__error_nomem();
    free(*slot);
    *slot = copy;
    return MON_OK;
}

/* Merge, validate (the type's own validate() only when the result is
 * enabled: a disabled connector may be filled in step by step), encrypt and
 * store. credentials: NULL keep, "" clear, else the plaintext JSON. */
static int apply(mon_connectors *reg, const struct mon__registered *rt, struct mon__stored *stored,
                 const char *credentials)
{
    size_t creds_len = credentials ? strlen(credentials) : 0;
    mon_connector_type unvalidated;
    struct mon__registered checked = *rt;
    int rc;

    if (!stored->enabled) {
        unvalidated = rt->type;
        unvalidated.validate = NULL;
        checked.type = unvalidated;
    }
    rc = mon__config_validate(reg, &checked, stored, creds_len ? credentials : NULL, creds_len);
    if (rc != MON_OK)
        return rc;
    if (credentials) {
        char *sealed = NULL;
        if (creds_len) {
            if (!reg->key)
                return mon__error(MON_EKEY, "credentials", "no encryption key: set ENCRYPTION_KEY");
            if ((rc = mon_secret_encrypt(&sealed, reg->key, credentials, creds_len, NULL)) != MON_OK)
                return rc;
        }
        free(stored->credentials);
        stored->credentials = sealed;
    }
    return mon__stored_save(reg, rt, stored);
}

int mon_connector_configure(mon_connectors *reg, const char *name, const mon_connector_config *config)
{
    const struct mon__registered *rt;
    struct mon__stored stored;
    int rc;

    if (!reg || !config)
        return mon__error(MON_EINVAL, reg ? "config" : "reg", "must not be NULL");
    if (config->version != MON_CONNECTOR_CONFIG_VERSION)
        return mon__error(MON_EVERSION, "config.version", "unknown config version %u", config->version);
    if ((rc = mon__registry_get(&rt, reg, name)) != MON_OK)
        return rc;
    if (config->enabled < -1 || config->enabled > 1)
        return mon__error(MON_EINVAL, "enabled", "must be 0, 1 or -1");
    if (config->base_url && strlen(config->base_url) > 500)
        return mon__error(MON_EINVAL, "base_url", "longer than 500 characters");
    if (config->options_json) {
        json_t *options = json_loads(config->options_json, 0, NULL);
        int ok = json_is_object(options);
        json_decref(options);
        if (!ok)
            return mon__error(MON_EINVAL, "options", "must be a JSON object");
    }
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    if (config->base_url)
        rc = replace(&stored.base_url, *config->base_url ? config->base_url : NULL);
    if (rc == MON_OK && config->options_json)
        rc = replace(&stored.options, config->options_json);
    if (config->enabled >= 0)
        stored.enabled = config->enabled;
    if (rc == MON_OK)
        rc = apply(reg, rt, &stored, config->credentials_json);
    mon__stored_clear(&stored);
    return rc;
}

/* {"name":"value",...} with JSON escaping, into locked memory. */
static char *creds_text(const char *const *names, const char *const *values, size_t count)
{
    size_t cap = 3;
    char *text, *p;
    for (size_t i = 0; i < count; i++)
        cap += strlen(names[i]) * 6 + strlen(values[i]) * 6 + 6;
    if (!(text = sodium_malloc(cap)))
        return NULL;
    p = text;
    *p++ = '{';
    for (size_t i = 0; i < count; i++) {
        const char *parts[] = {names[i], values[i]};
        if (i)
            *p++ = ',';
        for (int k = 0; k < 2; k++) {
            *p++ = '"';
            for (const unsigned char *c = (const unsigned char *)parts[k]; *c; c++) {
                if (*c == '"' || *c == '\\') {
                    *p++ = '\\';
                    *p++ = (char)*c;
                } else if (*c < 0x20) {
                    p += sprintf(p, "\\u%04x", *c);
                } else {
                    *p++ = (char)*c;
                }
            }
            *p++ = '"';
            if (k == 0)
                *p++ = ':';
        }
    }
    *p++ = '}';
    *p = '\0';
    return text;
}

static int import_one(mon_connectors *reg, const struct mon__registered *rt, int *imported)
{
    const char *names[MON__CREDS_MAX], *values[MON__CREDS_MAX];
    size_t count = 0;
    struct mon__stored stored;
    json_t *options;
    char *creds;
    int rc;

    for (const struct mon__env_field *f = rt->builtin->env; f->var; f++) {
        const char *value = getenv(f->var);
        if (f->kind == MON__ENV_CREDENTIAL && value && *value && count < MON__CREDS_MAX) {
            names[count] = f->key;
            values[count++] = value;
        }
    }
    if (count == 0)
        return MON_OK;
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    if (stored.credentials && *stored.credentials) {
        mon__stored_clear(&stored);
        return MON_OK;
    }
    options = json_loads(stored.options, 0, NULL);
    if (!json_is_object(options)) {
        json_decref(options);
        options = json_object();
    }
    for (const struct mon__env_field *f = rt->builtin->env; rc == MON_OK && f->var; f++) {
        const char *value = getenv(f->var);
        if (!value || !*value)
            continue;
        if (f->kind == MON__ENV_BASE_URL)
            rc = replace(&stored.base_url, value);
        else if (f->kind == MON__ENV_OPTION)
            json_object_set_new(options, f->key, json_string(value));
        else if (f->kind == MON__ENV_OPTION_INT)
            json_object_set_new(options, f->key, json_integer(strtoll(value, NULL, 10)));
    }
    free(stored.options);
    stored.options = json_dumps(options, JSON_COMPACT);
    json_decref(options);
    if (rc == MON_OK && !stored.options)
        rc = mon__error_nomem();
    if (rc == MON_OK && !(creds = creds_text(names, values, count)))
        rc = mon__error_nomem();
    if (rc == MON_OK) {
        rc = apply(reg, rt, &stored, creds);
        sodium_free(creds);
        if (rc == MON_OK)
            (*imported)++;
        else {
            char detail[600];
            snprintf(detail, sizeof(detail), "%s", mon_error_last());
            rc = mon__error(rc, NULL, "import of %s from the environment: %s", rt->type.name, detail);
        }
    }
    mon__stored_clear(&stored);
    return rc;
}

int mon_connector_import_env(mon_connectors *reg, int *imported)
{
    int count = 0, rc = MON_OK;
    if (!reg)
        return mon__error(MON_EINVAL, "reg", "must not be NULL");
    for (size_t i = 0; rc == MON_OK && i < reg->count; i++)
        if (reg->types[i].builtin && reg->types[i].builtin->env)
            rc = import_one(reg, &reg->types[i], &count);
    if (imported)
        *imported = count;
    return rc;
}
