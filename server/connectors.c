/*
 * /api/v1/connectors: the connector registry over HTTP (docs/server.md,
 * "Connectors"). Reads run on the worker (one database query); tests and
 * actions call remote systems, so they run as jobs on task threads. PUT,
 * PATCH, tests and actions are audited (connector.configure, connector.test,
 * connector.run), refusals included. Credentials are write-only: replies
 * say only whether they are set.
 */

#include <kore/kore.h>
#include <kore/http.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "connectors.h"
#include "http_json.h"
#include "job.h"
#include "request_audit.h"
#include "server.h"

#define CONNECTORS_PREFIX "/api/v1/connectors/"
#define NAME_MAX_LEN 50
#define ACTION_MAX_LEN 64

/* ------------------------------------------------------------ the key */

static mon_secret_key *key;
static int key_loaded;

const mon_secret_key *srv_connectors_key(void)
{
    const char *hex = getenv("ENCRYPTION_KEY");
    int rc;

    /* Loaded once per worker, on the worker thread; task threads only read it. */
    if (!key_loaded) {
        key_loaded = 1;
        if (hex && *hex && (rc = mon_secret_key_from_env(&key, NULL)) != MON_OK)
            srv_log("ENCRYPTION_KEY: %s: %s (connector credentials cannot be used)", mon_error_name(rc),
                    mon_error_last());
    }
    return key;
}

/* ------------------------------------------------------------ helpers */

/* The type name (upper-cased) and, after /actions/, the action name. The
 * configuration's route patterns have checked the characters. */
static void path_names(const struct http_request *req, char type[NAME_MAX_LEN + 1],
                       char action[ACTION_MAX_LEN + 1])
{
    const char *p = req->path + strlen(CONNECTORS_PREFIX), *slash;
    size_t n = 0;

    for (; *p && *p != '/' && n < NAME_MAX_LEN; p++)
        type[n++] = (char)toupper((unsigned char)*p);
    type[n] = '\0';
    action[0] = '\0';
    if ((slash = strstr(p, "/actions/")) != NULL)
        snprintf(action, ACTION_MAX_LEN + 1, "%s", slash + strlen("/actions/"));
}

/* A registry on the worker's store (key may be NULL), or NULL after a reply. */
static mon_connectors *worker_registry(struct http_request *req, const mon_secret_key *k)
{
    mon_connectors *reg = NULL;
    mon_store *store = srv_store_or_503(req);
    int rc;

    if (store && (rc = mon_connectors_new(&reg, store, k)) != MON_OK)
        srv_reply_lib_error(req, rc);
    return reg;
}

/* A JSON string's text, "" for anything else. */
static const char *text_of(const json_t *value)
{
    return json_is_string(value) ? json_string_value(value) : "";
}

/* The entry of types (mon_connectors_types_json) named name, borrowed; NULL when none. */
static json_t *type_entry(json_t *types, const char *name)
{
    json_t *t;
    size_t i;

    json_array_foreach(types, i, t)
    {
        if (strcmp(text_of(json_object_get(t, "name")), name) == 0)
            return t;
    }
    return NULL;
}

/* Parse the library's JSON text (from mon_connector_*_json) and free it. */
static json_t *take_json(char *text)
{
    json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    mon_free(text);
    return value;
}

/* A connector's configuration as the API shows it: the library's object,
 * plus whether a row exists, which credential fields the type accepts and
 * which of them are set (null when the stored credentials cannot be read:
 * no key, or another key). */
static void decorate(json_t *item, json_t *types, mon_connectors *reg)
{
    const char *name = text_of(json_object_get(item, "name"));
    json_t *t = type_entry(types, name), *set = NULL;
    char *text = NULL;

    json_object_set_new(item, "configured", json_boolean(!json_is_null(json_object_get(item, "created_at"))));
    json_object_set(item, "credential_fields", t ? json_object_get(t, "credential_fields") : json_array());
    if (mon_connector_credentials_set_json(&text, reg, name) == MON_OK)
        set = take_json(text);
    json_object_set_new(item, "credential_fields_set", set ? set : json_null());
}

/* Reply with name's configuration (200); on failure reply the error. */
static void reply_connector(struct http_request *req, mon_connectors *reg, const char *name)
{
    char *text = NULL, *types_text = NULL;
    json_t *item, *types;
    int rc;

    if ((rc = mon_connector_get_json(&text, reg, name)) != MON_OK ||
        (rc = mon_connectors_types_json(&types_text, reg)) != MON_OK) {
        mon_free(text);
        srv_reply_lib_error(req, rc);
        return;
    }
    item = take_json(text);
    types = take_json(types_text);
    if (!json_is_object(item) || !types) {
        json_decref(item);
        json_decref(types);
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    decorate(item, types, reg);
    json_decref(types);
    srv_reply_value(req, 200, item);
}

static mon_connector_role role_of(const struct srv_principal *who)
{
    if (who->perms & SRV_PERM_ADMIN)
        return MON_CONNECTOR_ROLE_ADMIN;
    if (who->perms & SRV_PERM_OPERATE)
        return MON_CONNECTOR_ROLE_OPERATOR;
    return MON_CONNECTOR_ROLE_READER;
}

/* ------------------------------------------------------------ reads */

int page_connectors(struct http_request *req)
{
    char *text = NULL, *types_text = NULL;
    struct srv_principal who;
    mon_connectors *reg;
    json_t *items, *types, *item;
    size_t i;
    int rc;

    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || !(reg = worker_registry(req, srv_connectors_key())))
        return srv_auth_result(req);
    if ((rc = mon_connector_list_json(&text, reg)) != MON_OK ||
        (rc = mon_connectors_types_json(&types_text, reg)) != MON_OK) {
        mon_free(text);
        srv_reply_lib_error(req, rc);
    } else {
        items = take_json(text);
        types = take_json(types_text);
        json_array_foreach(items, i, item) decorate(item, types, reg);
        json_decref(types);
        srv_reply_value(req, 200, items ? json_pack("{s:o}", "items", items) : NULL);
    }
    mon_connectors_free(reg);
    return KORE_RESULT_OK;
}

int page_connector_actions(struct http_request *req)
{
    char type[NAME_MAX_LEN + 1], action[ACTION_MAX_LEN + 1], *text = NULL;
    struct srv_principal who;
    mon_connectors *reg;
    json_t *types, *t;
    int rc;

    path_names(req, type, action);
    if (srv_auth_require(req, SRV_PERM_READ, &who) < 0 || !(reg = worker_registry(req, NULL)))
        return srv_auth_result(req);
    if ((rc = mon_connectors_types_json(&text, reg)) != MON_OK) {
        srv_reply_lib_error(req, rc);
    } else {
        types = take_json(text);
        if (!(t = type_entry(types, type)))
            srv_reply_error(req, 404, "not_found", "type", "no connector type named \"%s\"", type);
        else
            srv_reply_value(
                req, 200, json_pack("{s:s, s:O}", "connector", type, "items", json_object_get(t, "actions")));
        json_decref(types);
    }
    mon_connectors_free(reg);
    return KORE_RESULT_OK;
}

/* ------------------------------------------------------------ PUT / PATCH */

/* RFC 7386 merge patch of patch into target (objects; null removes a member). */
static void merge_patch(json_t *target, json_t *patch)
{
    const char *k;
    json_t *v;

    json_object_foreach(patch, k, v)
    {
        if (json_is_null(v))
            json_object_del(target, k);
        else if (json_is_object(v) && json_is_object(json_object_get(target, k)))
            merge_patch(json_object_get(target, k), v);
        else
            json_object_set(target, k, v);
    }
}

/* Fields of a configuration body: the writable ones, and those a GET shows
 * (ignored, so that a GET's answer can be sent back as a PUT). */
static int known_field(const char *name)
{
    static const char *const fields[] = {"base_url",
                                         "options",
                                         "credentials",
                                         "enabled",
                                         "name",
                                         "builtin",
                                         "description",
                                         "configured",
                                         "credentials_set",
                                         "credential_fields",
                                         "credentials_key_id",
                                         "created_at",
                                         "updated_at"};
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strcmp(name, fields[i]) == 0)
            return 1;
    return 0;
}

/*
 * The configuration change a body asks for, checked field by field (400
 * naming the field otherwise). PUT replaces base_url, options and enabled
 * (absent: none, {} and false); PATCH changes what is present, options by
 * merge patch. credentials, a write-only object of strings, are replaced
 * when present, cleared by null, kept when absent. *options_text and
 * *creds_text are allocated here (free()).
 */
static int read_config(struct http_request *req, mon_connectors *reg, const char *name, json_t *body,
                       mon_connector_config *config, char **options_text, char **creds_text)
{
    int patch = req->method == HTTP_METHOD_PATCH;
    json_t *v, *options = NULL;
    const char *k;
    int rc;

    *options_text = *creds_text = NULL;
    json_object_foreach(body, k, v)
    {
        if (!known_field(k)) {
            srv_reply_error(req, 400, "invalid_field", k, "unknown field");
            return -1;
        }
    }
    v = json_object_get(body, "name");
    if (v && !(json_is_string(v) && strcasecmp(json_string_value(v), name) == 0)) {
        srv_reply_error(req, 400, "invalid_field", "name", "differs from the connector in the path");
        return -1;
    }
    v = json_object_get(body, "base_url");
    if (v && !json_is_string(v) && !json_is_null(v)) {
        srv_reply_error(req, 400, "invalid_field", "base_url", "must be a string or null");
        return -1;
    }
    config->base_url = json_is_string(v) ? json_string_value(v) : (v || !patch) ? "" : NULL;
    v = json_object_get(body, "enabled");
    if (v && !json_is_boolean(v)) {
        srv_reply_error(req, 400, "invalid_field", "enabled", "must be true or false");
        return -1;
    }
    config->enabled = v ? json_is_true(v) : patch ? -1 : 0;
    v = json_object_get(body, "options");
    if (v && !json_is_object(v) && !(patch && json_is_null(v))) {
        srv_reply_error(req, 400, "invalid_field", "options", "must be a JSON object");
        return -1;
    }
    if (patch && json_is_object(v)) {
        char *current = NULL;
        json_t *item;
        if ((rc = mon_connector_get_json(&current, reg, name)) != MON_OK) {
            srv_reply_lib_error(req, rc);
            return -1;
        }
        item = take_json(current);
        options = json_incref(json_object_get(item, "options"));
        json_decref(item);
        if (!json_is_object(options)) {
            json_decref(options);
            options = json_object();
        }
        merge_patch(options, v);
    } else if (v || !patch) {
        options = json_is_object(v) ? json_incref(v) : json_object();
    }
    if (options) {
        *options_text = json_dumps(options, JSON_COMPACT);
        json_decref(options);
        config->options_json = *options_text;
    }
    v = json_object_get(body, "credentials");
    if (v && !json_is_object(v) && !json_is_null(v)) {
        srv_reply_error(req, 400, "invalid_field", "credentials", "must be an object of strings or null");
        return -1;
    }
    if (json_is_object(v)) {
        json_t *s;
        json_object_foreach(v, k, s)
        {
            if (!json_is_string(s)) {
                srv_reply_error(req, 400, "invalid_field", "credentials", "\"%s\" must be a string", k);
                return -1;
            }
        }
        *creds_text = json_dumps(v, JSON_COMPACT);
        config->credentials_json = *creds_text;
    } else if (json_is_null(v)) {
        config->credentials_json = "";
    }
    return 0;
}

static void configure(struct http_request *req, const char *name, char **body)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    char *options_text = NULL, *creds_text = NULL;
    mon_connectors *reg;
    json_t *parsed;
    int rc;

    if (srv_read_json_body(req, req->method == HTTP_METHOD_PATCH, body) < 0 ||
        !(reg = worker_registry(req, srv_connectors_key())))
        return;
    parsed = json_loads(*body, 0, NULL);
    if (read_config(req, reg, name, parsed, &config, &options_text, &creds_text) == 0) {
        if ((rc = mon_connector_configure(reg, name, &config)) != MON_OK)
            srv_reply_lib_error(req, rc);
        else
            reply_connector(req, reg, name);
    }
    if (creds_text) {
        explicit_bzero(creds_text, strlen(creds_text));
        free(creds_text);
    }
    free(options_text);
    json_decref(parsed);
    mon_connectors_free(reg);
}

int page_connector(struct http_request *req)
{
    char type[NAME_MAX_LEN + 1], action[ACTION_MAX_LEN + 1], *body = NULL;
    struct srv_principal who;
    mon_connectors *reg;

    path_names(req, type, action);
    if (req->method == HTTP_METHOD_GET) {
        if (srv_auth_require(req, SRV_PERM_READ, &who) == 0 &&
            (reg = worker_registry(req, srv_connectors_key())) != NULL) {
            reply_connector(req, reg, type);
            mon_connectors_free(reg);
        }
        return srv_auth_result(req);
    }
    if (srv_auth_authenticate(req, &who) < 0)
        return srv_auth_result(req);
    if ((who.perms & SRV_PERM_ADMIN) == 0)
        srv_auth_reply_forbidden(req, SRV_PERM_ADMIN);
    else
        configure(req, type, &body);
    /* The body holds credentials: the audit row gets it redacted (mon_audit_append). */
    srv_audit_request(req, &who, "connector.configure", type, body);
    if (body) {
        explicit_bzero(body, strlen(body));
        free(body);
    }
    return KORE_RESULT_OK;
}

/* ------------------------------------------------------------ test and actions */

/* What a test or action job needs; params is the request body ("{}" when none). */
struct run_arg {
    struct srv_principal who;
    const mon_secret_key *key;
    char type[NAME_MAX_LEN + 1];
    char action[ACTION_MAX_LEN + 1]; /* "" for a test */
    char target[NAME_MAX_LEN + ACTION_MAX_LEN + 2];
    char params[];
};

/*
 * Record a failed connector call, turning the library's codes into the
 * API's: a remote 403/404 (no field: the remote system said so) is an
 * upstream error (502), not the caller's; a configuration the call cannot
 * use (a missing base URL, option or credential) is a 409, not a 400 (the
 * request was fine); only bad parameters ("params...") stay 400.
 */
static void run_fail(struct srv_job_result *result, int rc)
{
    const char *field = mon_error_field();

    if ((rc == MON_EFORBIDDEN || rc == MON_ENOTFOUND) && !*field)
        rc = MON_EUPSTREAM;
    else if (rc == MON_EINVAL && strncmp(field, "params", 6) != 0)
        rc = MON_ESTATE;
    srv_job_fail(result, rc);
    result->rc = rc;
}

/* On the task thread: a registry on the thread's store, then the call. */
static void run_job(struct srv_job_result *result, mon_store *store, void *payload)
{
    const struct run_arg *arg = payload;
    mon_connector_actor actor = MON_CONNECTOR_ACTOR_INIT;
    mon_connectors *reg = NULL;
    char *out = NULL;
    json_t *value, *reply;
    int rc;

    actor.user_id = arg->who.user_id;
    actor.user_email = *arg->who.email ? arg->who.email : NULL;
    actor.roles_json = arg->who.roles_json;
    actor.role = role_of(&arg->who);
    if ((rc = mon_connectors_new(&reg, store, arg->key)) != MON_OK) {
        srv_job_fail(result, rc);
        return;
    }
    rc = *arg->action ? mon_connector_run(&out, reg, arg->type, arg->action, arg->params, &actor)
                      : mon_connector_test(&out, reg, arg->type, &actor);
    if (rc != MON_OK) {
        run_fail(result, rc);
    } else {
        value = json_loads(out, JSON_DECODE_ANY, NULL);
        reply =
            json_pack("{s:s, s:s, s:b, s:o}", "connector", arg->type, "action",
                      *arg->action ? arg->action : "test", "ok", 1, "result", value ? value : json_null());
        if (reply && (result->json = json_dumps(reply, JSON_COMPACT)) != NULL)
            result->status = 200;
        json_decref(reply);
    }
    mon_free(out);
    mon_connectors_free(reg);
}

static void run_audit(struct http_request *req, void *payload)
{
    const struct run_arg *arg = payload;

    srv_audit_request(req, &arg->who, *arg->action ? "connector.run" : "connector.test", arg->target,
                      *arg->action ? arg->params : NULL);
}

/* POST .../test and .../actions/{action}: operator, audited, run as a job. */
static int start_run(struct http_request *req)
{
    char type[NAME_MAX_LEN + 1], action[ACTION_MAX_LEN + 1], target[sizeof(((struct run_arg *)0)->target)];
    struct srv_principal who;
    struct run_arg *arg;
    char *body = NULL;

    path_names(req, type, action);
    snprintf(target, sizeof(target), "%s.%s", type, *action ? action : "test");
    if (srv_auth_authenticate(req, &who) < 0)
        return srv_auth_result(req);
    if ((who.perms & SRV_PERM_OPERATE) == 0) {
        srv_auth_reply_forbidden(req, SRV_PERM_OPERATE);
        srv_audit_request(req, &who, *action ? "connector.run" : "connector.test", target, NULL);
        return KORE_RESULT_OK;
    }
    /* Parameters: a JSON object body; no body at all means {}. */
    if (*action && req->content_length > 0 && srv_read_json_body(req, 0, &body) < 0) {
        srv_audit_request(req, &who, "connector.run", target, NULL);
        return KORE_RESULT_OK;
    }
    if (!(arg = malloc(sizeof(*arg) + (body ? strlen(body) : 2) + 1))) {
        free(body);
        srv_reply_error(req, 500, "internal", NULL, "out of memory");
        return KORE_RESULT_OK;
    }
    arg->who = who;
    arg->key = srv_connectors_key();
    memcpy(arg->type, type, sizeof(arg->type));
    memcpy(arg->action, action, sizeof(arg->action));
    memcpy(arg->target, target, sizeof(arg->target));
    strcpy(arg->params, body ? body : "{}");
    free(body);
    return srv_job_start(req, run_job, arg, run_audit);
}

int page_connector_test(struct http_request *req)
{
    if (srv_job_running(req))
        return srv_job_continue(req);
    return start_run(req);
}

int page_connector_action(struct http_request *req)
{
    if (srv_job_running(req))
        return srv_job_continue(req);
    return start_run(req);
}
