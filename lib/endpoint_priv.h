#ifndef MON_LIB_ENDPOINT_PRIV_H
#define MON_LIB_ENDPOINT_PRIV_H

/* What the checker and the store need of an endpoint beyond the public
 * getters: the parsed conditions and headers, and the JSON path evaluator
 * used by json_equals / json_matches conditions. Never installed. */

#include "monitorage/endpoint.h"

#include <jansson.h>
#include <stddef.h>

typedef enum {
    MON__COND_BODY_CONTAINS,
    MON__COND_BODY_NOT_CONTAINS,
    MON__COND_JSON_EQUALS,
    MON__COND_JSON_MATCHES,
    MON__COND_HEADER_PRESENT,
    MON__COND_HEADER_EQUALS
} mon__condition_kind;

struct mon__condition {
    mon__condition_kind kind;
    /* JSON path (json_equals, json_matches) or header name (header_*); NULL for body_*. */
    const char *path;
    /* NULL for header_present; compact JSON text of the expected value for
     * json_equals; the string (substring, POSIX extended regex, header value) otherwise. */
    const char *value;
};

/* Number of conditions, and the i-th (borrowed, valid until the endpoint is
 * modified or freed; NULL when i is out of range). */
size_t mon__endpoint_condition_count(const mon_endpoint *ep);
const struct mon__condition *mon__endpoint_condition(const mon_endpoint *ep, size_t i);

/* Number of extra request headers, and the i-th name / value (borrowed, same
 * lifetime; in the order of mon_endpoint_get_headers_json(); NULL out of range). */
size_t mon__endpoint_header_count(const mon_endpoint *ep);
const char *mon__endpoint_header_name(const mon_endpoint *ep, size_t i);
const char *mon__endpoint_header_value(const mon_endpoint *ep, size_t i);

/*
 * Follow a condition path ("data.items[0].status": dot-separated object keys,
 * each optionally followed by [N] array indexes; "[0].id" starts at an array)
 * from root. Returns the value found (borrowed from root) or NULL when the path
 * is absent or malformed.
 */
json_t *mon__json_path_lookup(json_t *root, const char *path);

/* 1 if path is well-formed for mon__json_path_lookup(), else 0. */
int mon__json_path_valid(const char *path);

#endif
