#ifndef MON_SERVER_HTTP_JSON_H
#define MON_SERVER_HTTP_JSON_H

/*
 * JSON over HTTP: responses, the error model, request bodies and query
 * strings. Every error the server sends has the shape
 *   {"error": {"code": "not_found", "message": "...", "field": "id"}}
 * ("field" is present when one input field is at fault).
 *
 * Every srv_reply_* function sends the complete response; handlers return
 * KORE_RESULT_OK right after.
 */

#include <stddef.h>

#include <jansson.h>

#include "monitorage/monitorage.h"

struct http_request;

/* Largest request body read (bytes); the Kore config's http_body_max matches. */
#define SRV_BODY_MAX 65536

/* Message of the last error reply sent by this worker ("" after a success). */
const char *srv_last_error_message(void);

/* Send status with a JSON text body of len bytes. */
void srv_reply_json(struct http_request *req, int status, const char *json, size_t len);

/* Send status with value serialized compactly; takes the reference to value. */
void srv_reply_value(struct http_request *req, int status, json_t *value);

/* Send status with an empty body (204). */
void srv_reply_empty(struct http_request *req, int status);

/* Send the error model. field may be NULL or "". */
void srv_reply_error(struct http_request *req, int status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Send the error that a failed library call left on this thread, mapped to a
 * status: MON_EINVAL 400 (with mon_error_field()), MON_ENOTFOUND 404,
 * MON_EEXISTS 409, MON_ECONN and MON_EVERSION 503, MON_EFORBIDDEN 403;
 * for connector calls MON_EDISABLED and MON_ESTATE 409, MON_EKEY and
 * MON_EWRONGKEY 503,
 * MON_EAUTH, MON_EUPSTREAM, MON_ENET and MON_EPROTO 502 (a remote system
 * failed), MON_ERATELIMITED 503, MON_ETIMEOUT 504; anything else 500
 * (logged; the client gets a generic message).
 */
void srv_reply_lib_error(struct http_request *req, int rc);

/* The same mapping for an error recorded elsewhere (another thread). */
void srv_reply_code_error(struct http_request *req, int rc, const char *detail, const char *field);

/*
 * Reply to a library call that returns JSON text: the text with `status`
 * when rc is MON_OK, else the library's error (srv_reply_lib_error). Takes
 * ownership of json (may be NULL) and frees it with mon_free().
 */
void srv_reply_library_json(struct http_request *req, int rc, int status, char *json);

/* The worker's store, or NULL after replying 503 database_unavailable. */
mon_store *srv_store_or_503(struct http_request *req);

/*
 * Read the request body as JSON text: 415 unless Content-Type is
 * application/json (or, when allow_merge_patch, application/merge-patch+json),
 * 413 above SRV_BODY_MAX, 400 for an empty body, a NUL byte or text that is
 * not a JSON object. On success *out is the NUL-terminated body (free()) and
 * the function returns 0; otherwise it has replied and returns -1.
 */
int srv_read_json_body(struct http_request *req, int allow_merge_patch, char **out);

/* Query string parameters, URL-decoded. */
#define SRV_QUERY_MAX 8
struct srv_query {
    size_t count;
    char *names[SRV_QUERY_MAX];
    char *values[SRV_QUERY_MAX];
    char *buffer;
};

/*
 * Parse req's query string. Only names in allowed (NULL-terminated) are
 * accepted; an unknown, repeated or undecodable parameter gets a 400 naming
 * it. Returns 0, or -1 after replying. Release with srv_query_free().
 */
int srv_query_parse(struct http_request *req, const char *const *allowed, struct srv_query *q);

/* Value of name, or NULL when absent. */
const char *srv_query_get(const struct srv_query *q, const char *name);

void srv_query_free(struct srv_query *q);

/*
 * Parse a base-10 integer in [min, max] from text; on failure reply 400
 * naming field and return -1.
 */
int srv_parse_long(struct http_request *req, const char *field, const char *text, long min, long max,
                   long *out);

/*
 * The endpoint selection of a list route: type, enabled, status, limit (1 to
 * limit_max) and offset, each into its field when the query has it (the
 * others are left as they are). Returns 0, or -1 after a 400 naming the
 * parameter.
 */
int srv_query_endpoint_selection(struct http_request *req, const struct srv_query *q, long limit_max,
                                 int *type, int *enabled, int *status, size_t *limit, size_t *offset);

/*
 * The UUID that follows prefix ("/api/v1/endpoints/") in req's path, lower
 * case, into out[37]. Returns 0, or -1 after a 404.
 */
int srv_path_id(struct http_request *req, const char *prefix, char out[37]);

#endif
