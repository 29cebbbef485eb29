/**
 * @file connector.h
 * @brief Connector registry: connector types (the eight built-in ones and
 *        those an embedding program registers), their stored configuration
 *        with encrypted credentials, connectivity tests, actions, and the
 *        audit hook every action run goes through.
 *
 * A connector type is a table of functions (mon_connector_type). A registry
 * (mon_connectors) holds the built-in types TALEND, APIM, GITHUB, KEYCLOAK,
 * DOMAIN_HEALTH, CLOUDFLARE, GLPI and JIRA, and any type registered with
 * mon_connectors_register(). Each type has one configuration: base URL,
 * options (a JSON object), credentials (a JSON object of strings, stored
 * encrypted with the registry's key, never returned), enabled. Built-in
 * types are stored in the seed's `connectors` table, registered types in
 * `custom_connectors` (migration 005). See docs/connectors.md.
 *
 * Options every type understands: "timeout_ms" (per HTTP request, 1..300000,
 * default 10000), "max_pages" (pagination cap, 1..1000, default 10),
 * "rate_limit_max_wait_s" (how long a call may wait for a Retry-After /
 * rate-limit reset before failing with MON_ERATELIMITED, 0..300, default 5).
 *
 * Errors of connector calls: MON_EDISABLED (connector disabled),
 * MON_ESTATE (not configured), MON_EFORBIDDEN (actor's role too low, or the
 * remote system said 403), MON_EAUTH (remote refused the credentials),
 * MON_EUPSTREAM (remote error; the detail holds the HTTP status and the
 * remote message), MON_ERATELIMITED ("rate limited, retry after N s"),
 * MON_ETIMEOUT, MON_ENET, MON_EPROTO (unparseable reply), MON_ENOTFOUND
 * (unknown connector or action), MON_EINVAL (bad parameters).
 *
 * Thread safety: a registry is used by one thread at a time (it uses its
 * store); use one registry (and store) per thread. Registered type tables
 * are only read.
 */
#ifndef MONITORAGE_CONNECTOR_H
#define MONITORAGE_CONNECTOR_H

#include "common.h"
#include "secret.h"
#include "store.h"

MON_BEGIN_DECLS

/** Roles, lowest first: who may run an action. */
typedef enum mon_connector_role {
    MON_CONNECTOR_ROLE_READER = 0,   /**< may run read-only actions */
    MON_CONNECTOR_ROLE_OPERATOR = 1, /**< may also run operational actions */
    MON_CONNECTOR_ROLE_ADMIN = 2     /**< may run every action */
} mon_connector_role;

/** "reader", "operator", "admin"; NULL outside the enum. */
MON_EXTERN const char *mon_connector_role_name(mon_connector_role role);

/** One action of a connector type. Strings are static or outlive the registry. */
typedef struct mon_connector_action {
    const char *name;            /**< [a-z0-9_]+, unique within the type */
    const char *description;     /**< one English sentence */
    const char *params_schema;   /**< JSON Schema (object) of the parameters, as text */
    mon_connector_role min_role; /**< lowest role allowed to run it */
} mon_connector_action;

/**
 * What a type's functions receive for one call (opaque): the stored
 * configuration with the credentials decrypted into locked memory. Valid
 * only during the call; the credentials are wiped when it returns.
 */
typedef struct mon_connector_call mon_connector_call;

/** Base URL without trailing '/', or "" when not configured. Borrowed for the call. */
MON_EXTERN const char *mon_connector_call_base_url(const mon_connector_call *call);

/** Options as a compact JSON object text. Borrowed for the call. */
MON_EXTERN const char *mon_connector_call_options(const mon_connector_call *call);

/**
 * A credential field (locked memory, borrowed for the call; never copy it
 * into logs or messages), or NULL when absent.
 */
MON_EXTERN const char *mon_connector_call_credential(const mon_connector_call *call, const char *name);

/** The "timeout_ms" option (default 10000). */
MON_EXTERN int mon_connector_call_timeout_ms(const mon_connector_call *call);

/**
 * Record an error for the current call (for registered types: the library's
 * own types use the internal equivalent) and return code, so a type's
 * function can `return mon_connector_call_error(call, MON_EUPSTREAM, "...")`.
 * The message is scrubbed of every credential value before it is stored.
 */
MON_EXTERN int mon_connector_call_error(mon_connector_call *call, int code, const char *message);

/** A connector type: a versioned table of functions. */
typedef struct mon_connector_type {
    unsigned int version; /**< MON_CONNECTOR_TYPE_VERSION */
    const char *name;     /**< [A-Z][A-Z0-9_]*, at most 50 characters, unique in the registry */
    const char *description; /**< one English sentence shown in mon_connectors_types_json() */
    /** NULL-terminated list of accepted credential field names; NULL for none. */
    const char *const *credential_fields;
    const mon_connector_action *actions; /**< the type's actions (action_count of them); may be NULL when none */
    size_t action_count;                 /**< number of entries in actions */
    /**
     * Check the configuration (base URL, options, credentials) without
     * network access; return MON_OK or MON_EINVAL through
     * mon_connector_call_error(). May be NULL (anything goes).
     */
    int (*validate)(mon_connector_call *call, void *payload);
    /**
     * The cheap health call. On success *result_json receives a JSON object
     * text allocated with malloc() (the registry frees it or hands it on).
     */
    int (*test)(char **result_json, mon_connector_call *call, void *payload);
    /**
     * Run action (one of actions[]; the registry checked the name, the role
     * and that params_json is a JSON object) with params_json. On success
     * *result_json receives JSON text allocated with malloc().
     */
    int (*run)(char **result_json, mon_connector_call *call, const char *action, const char *params_json,
               void *payload);
    void *payload; /**< handed to every function */
} mon_connector_type;

/** Current version of mon_connector_type. */
#define MON_CONNECTOR_TYPE_VERSION 1

/** The registry (opaque). */
typedef struct mon_connectors mon_connectors;

/**
 * Create a registry holding the eight built-in types. store and key are
 * borrowed and must outlive the registry; key may be NULL, then credentials
 * can be neither set nor used (MON_EKEY). Free with mon_connectors_free().
 */
MON_EXTERN int mon_connectors_new(mon_connectors **out, mon_store *store, const mon_secret_key *key);

/** Free a registry. NULL is a no-op. */
MON_EXTERN void mon_connectors_free(mon_connectors *reg);

/**
 * Register a type. The struct is copied; its strings, actions and payload
 * are borrowed and must outlive the registry. MON_EEXISTS if the name is
 * taken (built-in names included), MON_EINVAL for a bad name, missing test
 * or run function, or a bad action; MON_EVERSION for an unknown version.
 */
MON_EXTERN int mon_connectors_register(mon_connectors *reg, const mon_connector_type *type);

/**
 * Every type as a JSON array: [{"name","description","builtin",
 * "credential_fields":[…],"actions":[{"name","description","min_role",
 * "params_schema":{…}}]}]. Free with mon_free().
 */
MON_EXTERN int mon_connectors_types_json(char **out, const mon_connectors *reg);

/**
 * The configuration of one connector as a JSON object: {"name","builtin",
 * "description","base_url"|null,"options":{…},"enabled","credentials_set",
 * "credentials_key_id"|null,"created_at"|null,"updated_at"|null}. Never the
 * credentials. MON_ENOTFOUND for an unknown name. Free with mon_free().
 */
MON_EXTERN int mon_connector_get_json(char **out, mon_connectors *reg, const char *name);

/**
 * Which credential fields of a connector are set, as a JSON object mapping
 * each field name the type accepts (credential_fields) to true or false,
 * e.g. {"user_token":true,"app_token":false}; never a value. The stored
 * credentials are decrypted into locked memory to look, then wiped.
 * MON_ENOTFOUND for an unknown name, MON_EKEY when credentials are stored
 * but the registry has no key, MON_EWRONGKEY / MON_ETAMPERED when they do
 * not decrypt, MON_EDB. Free with mon_free().
 */
MON_EXTERN int mon_connector_credentials_set_json(char **out, mon_connectors *reg, const char *name);

/** Every connector's configuration as a JSON array, in registration order. */
MON_EXTERN int mon_connector_list_json(char **out, mon_connectors *reg);

/** A configuration change: NULL / -1 fields stay as they are. */
typedef struct mon_connector_config {
    unsigned int version;     /**< MON_CONNECTOR_CONFIG_VERSION */
    const char *base_url;     /**< http(s) URL; "" clears it */
    const char *options_json; /**< JSON object replacing the options */
    /**
     * JSON object of strings replacing the credentials (encrypted before it
     * is stored); "" clears them. The caller's text is only read.
     */
    const char *credentials_json;
    int enabled; /**< 0, 1, or -1 for unchanged */
} mon_connector_config;

/** Current version of mon_connector_config. */
#define MON_CONNECTOR_CONFIG_VERSION 1
/** Static initialiser of a mon_connector_config that changes nothing. */
#define MON_CONNECTOR_CONFIG_INIT                                                                            \
    {                                                                                                        \
        MON_CONNECTOR_CONFIG_VERSION, NULL, NULL, NULL, -1                                                   \
    }

/** Initialise like MON_CONNECTOR_CONFIG_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_connector_config_init(mon_connector_config *config, unsigned int version);

/**
 * Validate the merged configuration (common options, credential field
 * names, then the type's validate()) and store it. MON_EINVAL naming the
 * field, MON_ENOTFOUND, MON_EKEY (credentials given but no key), MON_EDB.
 */
MON_EXTERN int mon_connector_configure(mon_connectors *reg, const char *name,
                                       const mon_connector_config *config);

/** Who runs an action, for the role check and the audit hook. */
typedef struct mon_connector_actor {
    unsigned int version; /**< MON_CONNECTOR_ACTOR_VERSION */
    const char *user_id;  /**< NULL means "system" */
    const char *user_email; /**< the user's e-mail, for the audit log; NULL when none */
    const char *roles_json; /**< JSON array of role names, for the audit log */
    const char *ip_address; /**< client address, for the audit log; NULL when none */
    const char *user_agent; /**< client user agent, for the audit log; NULL when none */
    mon_connector_role role; /**< highest role of the user */
} mon_connector_actor;

/** Current version of mon_connector_actor. */
#define MON_CONNECTOR_ACTOR_VERSION 1
/** Static initialiser of a mon_connector_actor: the system user with the reader role. */
#define MON_CONNECTOR_ACTOR_INIT                                                                             \
    {                                                                                                        \
        MON_CONNECTOR_ACTOR_VERSION, NULL, NULL, NULL, NULL, NULL, MON_CONNECTOR_ROLE_READER                 \
    }

/** Initialise like MON_CONNECTOR_ACTOR_INIT. */
MON_EXTERN int mon_connector_actor_init(mon_connector_actor *actor, unsigned int version);

/** What the audit hook receives for every test and action run. Borrowed for the call. */
typedef struct mon_connector_audit_event {
    unsigned int version;             /**< MON_CONNECTOR_AUDIT_EVENT_VERSION */
    const char *connector;            /**< type name, e.g. "GITHUB" */
    const char *action;               /**< action name, "test" for mon_connector_test() */
    const char *target;               /**< "<connector>.<action>" (at most 100 characters) */
    const mon_connector_actor *actor; /**< NULL for the system */
    const char *parameters_json;      /**< parameters with secret-looking values redacted */
    int success;                      /**< 1 or 0 */
    int error_code;                   /**< MON_OK or the error returned */
    const char *error_message;        /**< NULL on success; never holds a credential */
    int64_t duration_ms;              /**< wall time of the run in ms */
} mon_connector_audit_event;

/** Current version of mon_connector_audit_event. */
#define MON_CONNECTOR_AUDIT_EVENT_VERSION 1

/** Audit callback: called once per test or action run, success or failure. */
typedef void (*mon_connector_audit_fn)(const mon_connector_audit_event *event, void *payload);

/** Set (or with NULL remove) the registry's audit hook. */
MON_EXTERN int mon_connector_set_audit_hook(mon_connectors *reg, mon_connector_audit_fn hook, void *payload);

/**
 * Run the type's health call. actor may be NULL (the system). On success
 * *result_json (free with mon_free()) describes what was checked. Errors as
 * in the file comment; the audit hook sees the run either way.
 */
MON_EXTERN int mon_connector_test(char **result_json, mon_connectors *reg, const char *name,
                                  const mon_connector_actor *actor);

/**
 * Run an action with params_json (a JSON object; NULL means {}). actor may
 * be NULL (the system, allowed everything); otherwise its role must reach
 * the action's min_role (MON_EFORBIDDEN). On success *result_json (free with
 * mon_free()) holds the result.
 */
MON_EXTERN int mon_connector_run(char **result_json, mon_connectors *reg, const char *name,
                                 const char *action, const char *params_json,
                                 const mon_connector_actor *actor);

/**
 * Import the seed's environment variables (TALEND_API_KEY, TALEND_BASE_URL,
 * GITHUB_PAT, GITHUB_OWNER, GITHUB_REPO, KEYCLOAK_URL, KEYCLOAK_REALM,
 * KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET, CLOUDFLARE_API_KEY,
 * CLOUDFLARE_ZONE_ID, GLPI_API_KEY, GLPI_BASE_URL, JIRA_API_KEY,
 * JIRA_BASE_URL, JIRA_PROJECT_KEY, JIRA_BOARD_ID) into built-in connectors
 * whose credentials are empty: credentials encrypted, base URL and options
 * filled where set. Connectors that already have credentials are left
 * alone; enabled is never changed. *imported (may be NULL) receives how
 * many connectors were written. Never called implicitly.
 */
MON_EXTERN int mon_connector_import_env(mon_connectors *reg, int *imported);

MON_END_DECLS

#endif
