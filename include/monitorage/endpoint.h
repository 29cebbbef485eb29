/**
 * @file endpoint.h
 * @brief The endpoint model: what is checked, how often, and what counts as healthy.
 *
 * An endpoint holds the seed's columns (id, name, type, url, check_interval,
 * timeout, expected_status, headers, enabled, created_at, updated_at) and what
 * the checker needs beyond them (method, degraded latency threshold, retries
 * before DOWN, response conditions, certificate-expiry warning, redirects).
 * Defaults and bounds are listed in docs/endpoint-model.md and returned at run
 * time by mon_endpoint_schema_json().
 *
 * Every setter validates its value and leaves the endpoint unchanged on
 * error; the error detail names the field ("url: scheme must be http or
 * https"). Strings are UTF-8.
 *
 * Thread safety: an endpoint is used by one thread at a time; distinct
 * endpoints are independent.
 */
#ifndef MONITORAGE_ENDPOINT_H
#define MONITORAGE_ENDPOINT_H

#include "common.h"

MON_BEGIN_DECLS

/** An endpoint (opaque). */
typedef struct mon_endpoint mon_endpoint;

/** Endpoint types of the seed (`endpoint_type` enum in PostgreSQL). */
typedef enum mon_endpoint_type {
    MON_ENDPOINT_APIM = 0,   /**< an API behind Azure API Management */
    MON_ENDPOINT_DOMAIN = 1, /**< a public domain: also DNS and certificate expiry */
    MON_ENDPOINT_TALEND = 2  /**< a Talend job endpoint */
} mon_endpoint_type;

/** Time stamps are microseconds since the Unix epoch, UTC; 0 means unset. */
typedef int64_t mon_time;

#define MON_ENDPOINT_NAME_MAX 100 /**< characters (code points), as VARCHAR(100) */
#define MON_ENDPOINT_URL_MAX 500  /**< characters, as VARCHAR(500) */

/**
 * Create an endpoint with every default applied and no id, name, url
 * (which must be set before it validates). Free with mon_endpoint_free().
 * Returns MON_OK or MON_ENOMEM.
 */
MON_EXTERN int mon_endpoint_new(mon_endpoint **out);

/**
 * Parse and validate an endpoint from a JSON object (the shape that
 * mon_endpoint_to_json() writes). Fields not given take their defaults;
 * "name", "type" and "url" are required; unknown fields are refused.
 * "id", "created_at" and "updated_at" are accepted (UUID / RFC 3339) so that
 * output can be read back. Returns MON_OK, MON_EINVAL (detail names the
 * field: bad JSON, wrong JSON type, out of range, unknown field) or MON_ENOMEM.
 */
MON_EXTERN int mon_endpoint_from_json(mon_endpoint **out, const char *json);

/**
 * Apply a partial update given as a JSON object (a PATCH): only the fields
 * present change; "id", "created_at" and "updated_at" may not be patched.
 * The result is validated as a whole; on any error the endpoint is unchanged.
 */
MON_EXTERN int mon_endpoint_patch_json(mon_endpoint *ep, const char *json);

/**
 * Write the endpoint as a compact JSON object into *out (free with
 * mon_free()). "id", "created_at" and "updated_at" are null until stored.
 */
MON_EXTERN int mon_endpoint_to_json(char **out, const mon_endpoint *ep);

/** Check every field and the required ones; MON_OK or MON_EINVAL naming the field. */
MON_EXTERN int mon_endpoint_validate(const mon_endpoint *ep);

/** Deep copy. Free with mon_endpoint_free(). */
MON_EXTERN int mon_endpoint_dup(mon_endpoint **out, const mon_endpoint *ep);

/** Release an endpoint. NULL is a no-op. */
MON_EXTERN void mon_endpoint_free(mon_endpoint *ep);

/**
 * Describe every field with its JSON type, default and bounds as a JSON
 * object into *out (free with mon_free()): the function twin of the
 * constants above, for bindings and generated documentation.
 */
MON_EXTERN int mon_endpoint_schema_json(char **out);

/** "APIM", "DOMAIN" or "TALEND"; NULL for a value outside the enum. */
MON_EXTERN const char *mon_endpoint_type_name(mon_endpoint_type type);

/** Parse a type name (exact, upper case). MON_EINVAL for anything else. */
MON_EXTERN int mon_endpoint_type_parse(mon_endpoint_type *out, const char *name);

/* -- Getters: borrowed strings, valid until the endpoint is modified or freed. -- */

/** UUID as 36 lower-case characters, or "" when not stored yet. */
MON_EXTERN const char *mon_endpoint_get_id(const mon_endpoint *ep);
/** Display name; "" when not set. */
MON_EXTERN const char *mon_endpoint_get_name(const mon_endpoint *ep);
/** Endpoint type (MON_ENDPOINT_APIM by default). */
MON_EXTERN mon_endpoint_type mon_endpoint_get_type(const mon_endpoint *ep);
/** Absolute http or https URL; "" when not set. */
MON_EXTERN const char *mon_endpoint_get_url(const mon_endpoint *ep);
/** Seconds between two checks. */
MON_EXTERN int mon_endpoint_get_check_interval(const mon_endpoint *ep);
/** Milliseconds before a check is abandoned as DOWN. */
MON_EXTERN int mon_endpoint_get_timeout_ms(const mon_endpoint *ep);
/** HTTP status a healthy answer has (100..599, default 200). */
MON_EXTERN int mon_endpoint_get_expected_status(const mon_endpoint *ep);
/** Extra request headers as a compact JSON object of strings. */
MON_EXTERN const char *mon_endpoint_get_headers_json(const mon_endpoint *ep);
/** 1 if the endpoint is checked, 0 if disabled. */
MON_EXTERN int mon_endpoint_get_enabled(const mon_endpoint *ep);
/** HTTP method ("GET", "HEAD", ...). */
MON_EXTERN const char *mon_endpoint_get_method(const mon_endpoint *ep);
/** Latency in ms above which a correct answer is DEGRADED; 0 disables. */
MON_EXTERN int mon_endpoint_get_degraded_ms(const mon_endpoint *ep);
/** Failed attempts retried before DOWN is recorded. */
MON_EXTERN int mon_endpoint_get_retries(const mon_endpoint *ep);
/** Response conditions as a compact JSON array (see docs/endpoint-model.md). */
MON_EXTERN const char *mon_endpoint_get_conditions_json(const mon_endpoint *ep);
/** Days before certificate expiry from which the endpoint is DEGRADED; 0 disables. */
MON_EXTERN int mon_endpoint_get_cert_warn_days(const mon_endpoint *ep);
/** Whether redirects are followed (at most 5). */
MON_EXTERN int mon_endpoint_get_follow_redirects(const mon_endpoint *ep);
/** When the endpoint was stored; 0 until stored. */
MON_EXTERN mon_time mon_endpoint_get_created_at(const mon_endpoint *ep);
/** When the endpoint was last stored; 0 until stored. */
MON_EXTERN mon_time mon_endpoint_get_updated_at(const mon_endpoint *ep);

/* -- Setters: validate, copy the value, MON_OK or MON_EINVAL / MON_ENOMEM. -- */

/** Set the id (a UUID, any case; stored lower case) or clear it with NULL/"". */
MON_EXTERN int mon_endpoint_set_id(mon_endpoint *ep, const char *id);
/**
 * Set the name: 1..MON_ENDPOINT_NAME_MAX characters of UTF-8, not blank, no
 * control characters; copied. MON_EINVAL ("name: ...") or MON_ENOMEM.
 */
MON_EXTERN int mon_endpoint_set_name(mon_endpoint *ep, const char *name);
/** Set the type. MON_EINVAL for a value outside mon_endpoint_type. */
MON_EXTERN int mon_endpoint_set_type(mon_endpoint *ep, mon_endpoint_type type);
/**
 * Set the URL: absolute http or https, at most MON_ENDPOINT_URL_MAX
 * characters, no white space or control characters; copied. MON_EINVAL
 * ("url: ...") or MON_ENOMEM.
 */
MON_EXTERN int mon_endpoint_set_url(mon_endpoint *ep, const char *url);
/**
 * Set the seconds between checks (10..86400, default 60); must stay longer
 * than the timeout. MON_EINVAL otherwise.
 */
MON_EXTERN int mon_endpoint_set_check_interval(mon_endpoint *ep, int seconds);
/**
 * Set the check timeout in ms (100..60000, default 5000); must stay shorter
 * than the check interval. MON_EINVAL otherwise.
 */
MON_EXTERN int mon_endpoint_set_timeout_ms(mon_endpoint *ep, int ms);
/** Set the expected HTTP status (100..599, default 200). MON_EINVAL otherwise. */
MON_EXTERN int mon_endpoint_set_expected_status(mon_endpoint *ep, int status);
/** Replace all headers from a JSON object of strings ("{}" clears them). */
MON_EXTERN int mon_endpoint_set_headers_json(mon_endpoint *ep, const char *json);
/** Add or replace one header; value NULL removes it. */
MON_EXTERN int mon_endpoint_set_header(mon_endpoint *ep, const char *name, const char *value);
/** Enable (any non-zero value) or disable the endpoint. MON_EINVAL only for a NULL ep. */
MON_EXTERN int mon_endpoint_set_enabled(mon_endpoint *ep, int enabled);
/**
 * Set the HTTP method: exactly one of GET (default), HEAD, POST, PUT, PATCH,
 * DELETE, OPTIONS. MON_EINVAL otherwise.
 */
MON_EXTERN int mon_endpoint_set_method(mon_endpoint *ep, const char *method);
/**
 * Set the DEGRADED latency threshold in ms (0..60000, default 2000; 0
 * disables). MON_EINVAL otherwise.
 */
MON_EXTERN int mon_endpoint_set_degraded_ms(mon_endpoint *ep, int ms);
/** Set the failed attempts retried before DOWN (0..5, default 1). MON_EINVAL otherwise. */
MON_EXTERN int mon_endpoint_set_retries(mon_endpoint *ep, int retries);
/** Replace all conditions from a JSON array ("[]" clears them). */
MON_EXTERN int mon_endpoint_set_conditions_json(mon_endpoint *ep, const char *json);
/**
 * Set the certificate-expiry warning in days (0..365, default 14; 0 disables).
 * MON_EINVAL otherwise.
 */
MON_EXTERN int mon_endpoint_set_cert_warn_days(mon_endpoint *ep, int days);
/**
 * Follow redirects (any non-zero value, at most 5) or not (default). MON_EINVAL
 * only for a NULL ep.
 */
MON_EXTERN int mon_endpoint_set_follow_redirects(mon_endpoint *ep, int follow);
/** Set both time stamps (used by the store when it reads a row). */
MON_EXTERN int mon_endpoint_set_timestamps(mon_endpoint *ep, mon_time created_at, mon_time updated_at);

MON_END_DECLS

#endif
