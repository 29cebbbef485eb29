#ifndef MON_LIB_CONNECTORS_HTTP_H
#define MON_LIB_CONNECTORS_HTTP_H

/* The one HTTP helper every connector uses: libcurl easy, timeouts, JSON
 * bodies, rate-limit handling (Retry-After / X-RateLimit-*), error mapping
 * with the upstream message, and pagination headers. Never installed. */

#include "connectors_priv.h"

#include <jansson.h>
#include <stddef.h>

/* Bodies larger than this are refused (MON_EPROTO). */
#define MON__HTTP_BODY_MAX (8u << 20)

/* Flags of a request. */
enum {
    MON__HTTP_JSON = 1,        /* parse a 2xx body as JSON into resp->json (empty body: NULL) */
    MON__HTTP_KEEP_ERRORS = 2, /* non-2xx is returned as MON_OK; call mon__http_status_error() yourself */
    MON__HTTP_FOLLOW = 4,      /* follow up to 5 redirects (never for authenticated calls) */
    MON__HTTP_NO_RATE_WAIT = 8 /* never sleep on a rate limit, fail at once */
};

struct mon__http_request {
    const char *method;         /* "GET" when NULL */
    const char *url;            /* absolute */
    const char *const *headers; /* NULL-terminated "Name: value" lines, may hold credentials */
    const char *body;           /* NULL for none */
    size_t body_len;            /* strlen(body) when 0 and body is set */
    const char *content_type;   /* e.g. "application/json" */
    int flags;
};

struct mon__http_response {
    long status;
    char *body; /* NUL-terminated, may be "" */
    size_t body_len;
    json_t *json;              /* with MON__HTTP_JSON */
    long retry_after;          /* seconds from Retry-After, -1 when absent */
    long ratelimit_remaining;  /* x-ratelimit-remaining, -1 when absent */
    long long ratelimit_reset; /* x-ratelimit-reset (epoch s), -1 when absent */
    char *link_next;           /* URL of rel="next" in Link, or NULL */
    char *location;            /* Location header, or NULL */
    char *content_range;       /* Content-Range header, or NULL */
    double total_s;            /* time taken */
};

/* The system name used in messages ("GitHub"), set once per call by the connector. */
void mon__http_set_system(mon_connector_call *call, const char *system);

/*
 * Perform one request with the call's timeout. On a rate limit (429; 403
 * with x-ratelimit-remaining 0, with Retry-After, or whose body mentions a
 * rate limit; 503 with Retry-After) it waits when the wait
 * is within the call's max_wait_s (at most 3 attempts), else fails with
 * MON_ERATELIMITED "<system>: rate limited, retry after N s". Transport
 * errors: MON_ETIMEOUT, MON_ENET. Non-2xx: mon__http_status_error() unless
 * MON__HTTP_KEEP_ERRORS. Malformed JSON: MON_EPROTO. On error resp is
 * already cleared; on success clear it with mon__http_response_clear()
 * (clearing twice is harmless).
 */
int mon__http_do(mon_connector_call *call, const struct mon__http_request *req,
                 struct mon__http_response *resp);

/* Free the call's HTTP state (the registry does it when the call ends). */
void mon__http_free(struct mon__http *http);

/* GET url expecting JSON, with headers. */
int mon__http_get_json(mon_connector_call *call, const char *url, const char *const *headers,
                       struct mon__http_response *resp);

void mon__http_response_clear(struct mon__http_response *resp);

/*
 * Map a non-2xx response to an error: 401 MON_EAUTH, 403 MON_EFORBIDDEN,
 * 404 MON_ENOTFOUND, other MON_EUPSTREAM; detail "<system>: HTTP <status>:
 * <upstream message>" with the message taken from the JSON body shapes of
 * the eight systems (message, error_description, error(.message),
 * errorMessages[], errors{}, errors[].message, [code, message], title) or the
 * first line / HTML title of a text body, scrubbed of credentials.
 */
int mon__http_status_error(mon_connector_call *call, const struct mon__http_response *resp);

/* The upstream message of a response body (malloc'd, never NULL on success). */
char *mon__http_upstream_message(const char *body, const json_t *json);

/* Build "base + path" where path is printf-formatted; path arguments that
 * come from parameters must be escaped with mon__http_escape() first. */
char *mon__http_url(const mon_connector_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 if url has the scheme, host and port of the call's base URL: paging
 * links pointing elsewhere are not followed (they would carry the credentials). */
int mon__http_same_origin(const mon_connector_call *call, const char *url);

/* URL-escape a path segment or query value (malloc'd). */
char *mon__http_escape(const char *text);

/* Append "?name=value" or "&name=value" (value escaped) to *url (malloc'd,
 * reallocated) when value is not NULL. MON_ENOMEM on failure, *url kept. */
int mon__http_add_query(char **url, const char *name, const char *value);

/* "Name: value" header line (malloc'd); wipe it with mon__http_header_free(). */
char *mon__http_header(const char *name, const char *value);
void mon__http_header_free(char *line);

/* "Basic base64(user:password)" header line; same lifetime rule. */
char *mon__http_basic_header(const char *user, const char *password);

/* Wipe and free a malloc'd string that held a secret. */
void mon__wipe_free(char *text);

#endif
