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

/* ---- the parts of an endpoint (endpoint_rules.c), shared with endpoint.c ---- */

#define MON__HEADER_NAME_MAX 100
#define MON__HEADER_VALUE_MAX 4096
#define MON__HEADERS_MAX 50
#define MON__CONDITIONS_MAX 20
#define MON__CONDITION_TEXT_MAX 4096
#define MON__CONDITION_PATH_MAX 500

struct mon__header {
    char *name;
    char *value;
};

struct mon__header_set {
    struct mon__header *items;
    size_t count;
    char *json; /* compact JSON object, the canonical form */
};

struct mon__condition_set {
    struct mon__condition *items;
    size_t count;
    char *json; /* compact JSON array, the canonical form */
};

/* Names of the condition kinds in JSON, indexed by mon__condition_kind. */
#define MON__CONDITION_KINDS 6
extern const char *const mon__condition_types[MON__CONDITION_KINDS];

/* Whether a user-given string may be repeated in an error message. */
int mon__text_echoable(const char *s);

/* Check a name or URL; MON_OK or MON_EINVAL naming the field and the reason. */
int mon__endpoint_check_name(const char *name);
int mon__endpoint_check_url(const char *url);

/* A header set: cleared (freed, zeroed); its canonical JSON rendered; finished
 * after being built with result rc (rendered, or cleared on failure); one
 * header checked, added, or looked up (index, or -1); read from a JSON object;
 * copied. Errors name the "headers" field. */
void mon__header_set_clear(struct mon__header_set *hs);
int mon__header_set_render(struct mon__header_set *hs);
int mon__header_set_done(struct mon__header_set *hs, int rc);
int mon__header_check(const char *name, const char *value);
int mon__header_set_add(struct mon__header_set *hs, const char *name, const char *value);
int mon__header_index(const struct mon__header_set *hs, const char *name);
int mon__header_set_from_json(struct mon__header_set *out, json_t *obj);
int mon__header_set_copy(struct mon__header_set *out, const struct mon__header_set *in);

/* A condition set: cleared; its canonical JSON rendered; read from a JSON
 * array (each condition validated, regexes compiled once to check them);
 * copied. Errors name the condition's field ("conditions[i].path"...). */
void mon__condition_set_clear(struct mon__condition_set *cs);
int mon__condition_set_render(struct mon__condition_set *cs);
int mon__condition_set_from_json(struct mon__condition_set *out, json_t *arr);
int mon__condition_set_copy(struct mon__condition_set *out, const struct mon__condition_set *in);

#endif
