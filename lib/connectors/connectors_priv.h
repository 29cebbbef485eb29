#ifndef MON_LIB_CONNECTORS_PRIV_H
#define MON_LIB_CONNECTORS_PRIV_H

/* What the registry and the built-in connectors share. Never installed.
 * How to add a connector: docs/connectors.md. */

#include "monitorage/connector.h"

#include <jansson.h>

/* ------------------------------------------------ credentials (locked) */

/* A credentials object parsed into locked memory: names[i] / values[i] point
 * into one sodium_malloc arena that mon__creds_free() wipes. */
#define MON__CREDS_MAX 16
struct mon__creds {
    unsigned char *arena;
    size_t count;
    const char *names[MON__CREDS_MAX];
    const char *values[MON__CREDS_MAX];
};

/*
 * Parse text (len bytes, a JSON object whose values are all strings) into
 * locked memory. Errors (MON_EINVAL, field "credentials") give the byte
 * offset, never content. Free with mon__creds_free().
 */
int mon__creds_parse(struct mon__creds **out, const char *text, size_t len);
void mon__creds_free(struct mon__creds *creds);
const char *mon__creds_get(const struct mon__creds *creds, const char *name);

/* ------------------------------------------------------------ one call */

struct mon__http; /* http.h */

struct mon_connector_call {
    struct mon_connectors *reg;
    const mon_connector_type *type;
    char *base_url;  /* "" when unset, no trailing '/' */
    json_t *options; /* always an object */
    char *options_text;
    struct mon__creds *creds; /* NULL when none */
    int timeout_ms;
    int max_pages;
    int max_wait_s;
    struct mon__http *http; /* created on first request, freed with the call */
};

/* Option helpers: the option's value, or def when absent (validated types). */
const char *mon__opt_str(const mon_connector_call *call, const char *key, const char *def);
long long mon__opt_int(const mon_connector_call *call, const char *key, long long def);
int mon__opt_bool(const mon_connector_call *call, const char *key, int def);

/* A required string option or credential: MON_EINVAL naming it when absent. */
int mon__need_opt(const char **out, const mon_connector_call *call, const char *key);
int mon__need_cred(const char **out, const mon_connector_call *call, const char *key);

/* Validation helpers for validate() functions (MON_EINVAL naming the field). */
int mon__check_base_url(const mon_connector_call *call, int required);
int mon__check_opt_string(const mon_connector_call *call, const char *key, int required);
int mon__check_opt_int(const mon_connector_call *call, const char *key, long long min, long long max);
int mon__check_opt_bool(const mon_connector_call *call, const char *key);

/*
 * Record an error for this call with the message scrubbed of every
 * credential value (replaced by "[REDACTED]"). Returns code.
 */
int mon__call_error(mon_connector_call *call, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replace, in place, every occurrence of a credential value by "[REDACTED]"
 * (text is reallocated when needed; returns the possibly new pointer). */
char *mon__call_scrub(const mon_connector_call *call, char *text);

/* --------------------------------------------- registry-wide token cache */

/*
 * A value kept per connector across calls (an access token) in locked
 * memory until expires_at (seconds, CLOCK_MONOTONIC) or until the
 * connector's configuration changes. get copies it into *out (malloc'd,
 * the caller wipes and frees with mon__cache_wipe_free); MON_ENOTFOUND when
 * absent or expired.
 */
int mon__cache_get(char **out, mon_connector_call *call, const char *key);
int mon__cache_set(mon_connector_call *call, const char *key, const char *value, long long ttl_s);
void mon__cache_drop(mon_connector_call *call, const char *key);
void mon__cache_wipe_free(char *value);

/* Keep the thread's last error across clean-up calls that may record their
 * own (closing a session after a failed action). */
struct mon__saved_error {
    int code;
    char field[128];
    char detail[1200];
};
void mon__error_save(struct mon__saved_error *saved);
int mon__error_restore(const struct mon__saved_error *saved);

/* Results: serialise and steal a JSON value into *out (malloc'd). */
int mon__result(char **out, json_t *value);

/* Parse params_json (a JSON object, checked by the registry). */
json_t *mon__params(const char *params_json);

/* Parameter helpers: MON_EINVAL naming "params.<key>". */
int mon__param_str(const char **out, mon_connector_call *call, json_t *params, const char *key, int required);
int mon__param_int(long long *out, mon_connector_call *call, json_t *params, const char *key, long long def,
                   long long min, long long max);

/* ------------------------------------------------------- built-in types */

enum mon__env_kind { MON__ENV_BASE_URL, MON__ENV_OPTION, MON__ENV_OPTION_INT, MON__ENV_CREDENTIAL };

/* One environment variable of the seed's .env.example and where it goes. */
struct mon__env_field {
    const char *var;
    enum mon__env_kind kind;
    const char *key; /* option or credential name */
};

struct mon__builtin {
    mon_connector_type type;
    const struct mon__env_field *env; /* terminated by {NULL} */
};

/* One per file lib/connectors/<name>.c, in the seed's order. */
extern const struct mon__builtin mon__connector_talend;
extern const struct mon__builtin mon__connector_apim;
extern const struct mon__builtin mon__connector_github;
extern const struct mon__builtin mon__connector_keycloak;
extern const struct mon__builtin mon__connector_domain_health;
extern const struct mon__builtin mon__connector_cloudflare;
extern const struct mon__builtin mon__connector_glpi;
extern const struct mon__builtin mon__connector_jira;

#endif
