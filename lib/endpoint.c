#include "endpoint_priv.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <ctype.h>
#include <limits.h>
#include <curl/curl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_NAME_MAX 100
#define HEADER_VALUE_MAX 4096
#define HEADERS_MAX 50
#define CONDITIONS_MAX 20
#define CONDITION_TEXT_MAX 4096
#define CONDITION_PATH_MAX 500

struct header {
    char *name;
    char *value;
};

struct header_set {
    struct header *items;
    size_t count;
    char *json; /* compact JSON object, the canonical form */
};

struct condition_set {
    struct mon__condition *items;
    size_t count;
    char *json; /* compact JSON array, the canonical form */
};

struct mon_endpoint {
    char id[37];
    char *name;
    mon_endpoint_type type;
    char *url;
    int check_interval;
    int timeout_ms;
    int expected_status;
    struct header_set headers;
    int enabled;
    const char *method; /* one of METHODS (static) */
    int degraded_ms;
    int retries;
    struct condition_set conditions;
    int cert_warn_days;
    int follow_redirects;
    mon_time created_at;
    mon_time updated_at;
};

static const char *const TYPE_NAMES[] = {"APIM", "DOMAIN", "TALEND"};
static const char *const METHODS[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

/* Integer fields: JSON name, bounds, default, unit for messages. */
struct int_field {
    const char *name;
    size_t offset;
    int min, max, def;
    const char *unit;
};

enum { F_CHECK_INTERVAL, F_TIMEOUT, F_EXPECTED_STATUS, F_DEGRADED_MS, F_RETRIES, F_CERT_WARN_DAYS };

static const struct int_field INT_FIELDS[] = {
    [F_CHECK_INTERVAL] = {"check_interval", offsetof(mon_endpoint, check_interval), 10, 86400, 60,
                          " seconds"},
    [F_TIMEOUT] = {"timeout", offsetof(mon_endpoint, timeout_ms), 100, 60000, 5000, " ms"},
    [F_EXPECTED_STATUS] = {"expected_status", offsetof(mon_endpoint, expected_status), 100, 599, 200, ""},
    [F_DEGRADED_MS] = {"degraded_ms", offsetof(mon_endpoint, degraded_ms), 0, 60000, 2000, " ms"},
    [F_RETRIES] = {"retries", offsetof(mon_endpoint, retries), 0, 5, 1, ""},
    [F_CERT_WARN_DAYS] = {"cert_warn_days", offsetof(mon_endpoint, cert_warn_days), 0, 365, 14, " days"},
};

/* ---- text checks ---- */

/* Decode one UTF-8 sequence at s (strict: no overlongs, surrogates or values
 * above U+10FFFF). Returns its length and the code point in *cp, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    unsigned long c;
    size_t len;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        c = s[0] & 0x1F;
        len = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        c = s[0] & 0x0F;
        len = 3;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        c = s[0] & 0x07;
        len = 4;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static int is_control(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static int is_space(unsigned long cp)
{
    return cp == ' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* Check a string as valid UTF-8 without control characters; count its code
 * points into *chars and whether every one is white space into *blank. */
static int check_text(const char *text, size_t *chars, int *blank, int allow_tab)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;
    int only_space = 1;
    while (*p) {
        unsigned long cp;
        size_t len = utf8_decode(p, &cp);
        if (len == 0)
            return -1; /* invalid UTF-8 */
        if (is_control(cp) && !(allow_tab && cp == '\t'))
            return -2;
        if (!is_space(cp) && cp != '\t')
            only_space = 0;
        p += len;
        n++;
    }
    *chars = n;
    *blank = only_space;
    return 0;
}

/* Whether a user-given string may be repeated in an error message. */
static int echoable(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= 40 || !isprint((unsigned char)s[n]) || s[n] == '"')
            return 0;
    return 1;
}

static int is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int valid_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

static int check_name(const char *name)
{
    size_t chars;
    int blank, rc;
    if (!name)
        return mon__error(MON_EINVAL, "name", "must be set");
    rc = check_text(name, &chars, &blank, 0);
    if (rc == -1)
        return mon__error(MON_EINVAL, "name", "must be valid UTF-8");
    if (rc == -2)
        return mon__error(MON_EINVAL, "name", "must not contain control characters");
    if (chars == 0 || blank)
        return mon__error(MON_EINVAL, "name", "must not be empty or blank");
    if (chars > MON_ENDPOINT_NAME_MAX)
        return mon__error(MON_EINVAL, "name", "longer than %d characters", MON_ENDPOINT_NAME_MAX);
    return MON_OK;
}

static int check_url(const char *url)
{
    size_t chars;
    int blank;
    if (!url)
        return mon__error(MON_EINVAL, "url", "must be set");
    int rc = check_text(url, &chars, &blank, 0);
    if (rc == -1)
        return mon__error(MON_EINVAL, "url", "must be valid UTF-8");
    if (rc == 0 && chars > MON_ENDPOINT_URL_MAX)
        return mon__error(MON_EINVAL, "url", "longer than %d characters", MON_ENDPOINT_URL_MAX);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0xA0))
            return mon__error(MON_EINVAL, "url", "must not contain white space or control characters");
    const char *colon = strchr(url, ':');
    size_t scheme_len = colon ? (size_t)(colon - url) : 0;
    if (!colon || strncmp(colon, "://", 3) != 0)
        return mon__error(MON_EINVAL, "url", "must be an absolute http or https URL");
    if (!((scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
          (scheme_len == 5 && strncasecmp(url, "https", 5) == 0)))
        return mon__error(MON_EINVAL, "url", "scheme must be http or https");
    /* libcurl reads "http:///x" as host "x"; an empty authority is refused here. */
    if (strchr("/?#", colon[3]))
        return mon__error(MON_EINVAL, "url", "must have a host");

    CURLU *h = curl_url();
    if (!h)
        return mon__error_nomem();
    char *host = NULL;
    CURLUcode uc = curl_url_set(h, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OUT_OF_MEMORY)
        rc = mon__error_nomem();
    else if (uc != CURLUE_OK)
        rc = mon__error(MON_EINVAL, "url", "not a valid URL (%s)", curl_url_strerror(uc));
    else if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
        rc = mon__error(MON_EINVAL, "url", "must have a host");
    curl_free(host);
    curl_url_cleanup(h);
    return rc;
}

static int check_int(int which, int value)
{
    const struct int_field *f = &INT_FIELDS[which];
    if (value < f->min || value > f->max)
        return mon__error(MON_EINVAL, f->name, "must be between %d and %d%s", f->min, f->max, f->unit);
    return MON_OK;
}

static int find_method(const char *method)
{
    for (size_t i = 0; method && i < sizeof(METHODS) / sizeof(METHODS[0]); i++)
        if (strcmp(method, METHODS[i]) == 0)
            return (int)i;
    return mon__error(MON_EINVAL, "method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

/* ---- JSON paths ---- */

/* Parse one step of a path at *p: a key (into key/keylen) or an index.
 * Returns 1 for a key, 2 for an index, 0 at the end, -1 if malformed. */
static int path_step(const char **p, int first, const char **key, size_t *keylen, size_t *index)
{
    const char *s = *p;
    if (*s == '\0')
        return 0;
    if (*s == '[') {
        size_t v = 0, n = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, n++) {
            if (n >= 9)
                return -1;
            v = v * 10 + (size_t)(*s - '0');
        }
        if (n == 0 || *s != ']')
            return -1;
        *index = v;
        *p = s + 1;
        return 2;
    }
    if (!first) {
        if (*s != '.')
            return -1;
        s++;
    }
    const char *start = s;
    while (*s && *s != '.' && *s != '[' && *s != ']') {
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return -1;
        s++;
    }
    if (s == start)
        return -1;
    *key = start;
    *keylen = (size_t)(s - start);
    *p = s;
    return 1;
}

int mon__json_path_valid(const char *path)
{
    const char *key;
    size_t keylen, index;
    int first = 1, step;
    if (!path || !*path || strlen(path) > CONDITION_PATH_MAX)
        return 0;
    while ((step = path_step(&path, first, &key, &keylen, &index)) > 0)
        first = 0;
    return step == 0;
}

json_t *mon__json_path_lookup(json_t *root, const char *path)
{
    const char *key;
    size_t keylen, index;
    int first = 1, step;
    if (!root || !mon__json_path_valid(path))
        return NULL;
    while (root && (step = path_step(&path, first, &key, &keylen, &index)) > 0) {
        first = 0;
        if (step == 2)
            root = json_is_array(root) ? json_array_get(root, index) : NULL;
        else
            root = json_is_object(root) ? json_object_getn(root, key, keylen) : NULL;
    }
    return root;
}

/* ---- regular expressions ---- */

/* glibc's regcomp() expands bounded repetitions, so "((a{0,255}){0,255}){0,255}"
 * (or "a" followed by 25 "+") takes seconds and gigabytes to compile. Estimate
 * the expanded size (each {m,n} multiplies what it applies to, each + doubles
 * it) and refuse patterns beyond this. Its epsilon closures also grow
 * exponentially with the unbounded repetitions of something that can match
 * the empty string ("(a*)*" 22 times: 4 s; "^a" and 106 "*": 2.6 s), so at
 * most REGEX_EMPTY_LOOPS_MAX of those are allowed. */
#define REGEX_COST_MAX 20000
#define REGEX_DEPTH_MAX 32
#define REGEX_EMPTY_LOOPS_MAX 8

/* One level of parentheses while scanning a pattern. */
struct regex_level {
    unsigned long long sum, last; /* expanded size so far, and of the last atom */
    int has_last;                 /* an atom was seen in this branch */
    int last_empty;               /* the last atom (with its repetitions) can match "" */
    int prefix_empty;             /* the branch before the last atom can match "" */
    int group_empty;              /* an earlier alternative (before '|') can match "" */
};

static void regex_level_init(struct regex_level *l)
{
    memset(l, 0, sizeof(*l));
    l->prefix_empty = 1;
}

/* Whether the current branch of l can match "". */
static int regex_branch_empty(const struct regex_level *l)
{
    return l->prefix_empty && (!l->has_last || l->last_empty);
}

static void regex_atom(struct regex_level *l, unsigned long long size, int empty)
{
    l->prefix_empty = regex_branch_empty(l);
    l->has_last = 1;
    l->last_empty = empty;
    l->sum += size;
    l->last = size;
}

static unsigned long long regex_cost(const char *re)
{
    struct regex_level level[REGEX_DEPTH_MAX + 1];
    int depth = 0, empty_loops = 0;
    regex_level_init(&level[0]);
    for (const char *p = re; *p; p++) {
        struct regex_level *l = &level[depth];
        if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '[') {
            p++;
            if (*p == '^')
                p++;
            if (*p == ']')
                p++;
            while (*p && *p != ']') {
                const char *cls = p[0] == '[' && p[1] == ':' ? strstr(p + 2, ":]") : NULL;
                p = cls ? cls + 2 : p + 1;
            }
            if (!*p)
                break;
        } else if (*p == '(') {
            if (depth == REGEX_DEPTH_MAX)
                return ULLONG_MAX;
            regex_level_init(&level[++depth]);
            continue;
        } else if (*p == ')' && depth > 0) {
            int empty = l->group_empty || regex_branch_empty(l);
            regex_atom(&level[--depth], l->sum, empty);
            if (level[depth].sum > REGEX_COST_MAX)
                return ULLONG_MAX;
            continue;
        } else if (*p == '|') {
            l->group_empty |= regex_branch_empty(l);
            l->prefix_empty = 1;
            l->has_last = 0;
            continue;
        } else if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
            char *end;
            unsigned long long low = strtoull(p + 1, &end, 10), bound = low;
            int open = 0;
            if (*end == ',') {
                open = !(end[1] >= '0' && end[1] <= '9');
                bound = open ? low + 1 : strtoull(end + 1, &end, 10);
                if (open)
                    end++;
            }
            if (*end == '}') {
                if (bound > REGEX_COST_MAX)
                    return ULLONG_MAX;
                if (open && l->last_empty && ++empty_loops > REGEX_EMPTY_LOOPS_MAX)
                    return ULLONG_MAX;
                l->last_empty |= low == 0;
                if (bound > 1) {
                    l->sum += l->last * (bound - 1);
                    l->last *= bound;
                    if (l->sum > REGEX_COST_MAX)
                        return ULLONG_MAX;
                }
                p = end;
                continue;
            }
        } else if (*p == '+' || *p == '*') {
            if (l->has_last && l->last_empty && ++empty_loops > REGEX_EMPTY_LOOPS_MAX)
                return ULLONG_MAX;
            if (*p == '*') {
                l->last_empty = 1;
                continue;
            }
            /* glibc expands x+ into x x*: stacked pluses ("a++++...") double the size each. */
            l->sum += l->last;
            l->last *= 2;
            if (l->sum > REGEX_COST_MAX)
                return ULLONG_MAX;
            continue;
        } else if (*p == '?') {
            l->last_empty = 1;
            continue;
        }
        regex_atom(l, 1, 0);
        if (l->sum > REGEX_COST_MAX)
            return ULLONG_MAX;
    }
    return level[0].sum;
}

/* ---- headers ---- */

static void header_set_clear(struct header_set *hs)
{
    for (size_t i = 0; i < hs->count; i++) {
        free(hs->items[i].name);
        free(hs->items[i].value);
    }
    free(hs->items);
    free(hs->json);
    memset(hs, 0, sizeof(*hs));
}

static int header_set_render(struct header_set *hs)
{
    json_t *obj = json_object();
    int rc = obj ? MON_OK : MON_ENOMEM;
    for (size_t i = 0; rc == MON_OK && i < hs->count; i++)
        if (json_object_set_new(obj, hs->items[i].name, json_string(hs->items[i].value)) != 0)
            rc = MON_ENOMEM;
    free(hs->json);
    hs->json = rc == MON_OK ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return rc == MON_OK && hs->json ? MON_OK : mon__error_nomem();
}

/* Finish a set built with result rc: render its JSON, or clear it on failure. */
static int header_set_done(struct header_set *hs, int rc)
{
    if (rc == MON_OK)
        rc = header_set_render(hs);
    if (rc != MON_OK)
        header_set_clear(hs);
    return rc;
}

static int check_header(const char *name, const char *value)
{
    if (strlen(name) > HEADER_NAME_MAX)
        return mon__error(MON_EINVAL, "headers", "a header name is longer than %d characters",
                          HEADER_NAME_MAX);
    if (!valid_token(name))
        return mon__error(MON_EINVAL, "headers",
                          "a header name is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~)");
    char field[sizeof("headers.") + HEADER_NAME_MAX];
    snprintf(field, sizeof(field), "headers.%s", name);
    if (strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0)
        return mon__error(MON_EINVAL, field, "this header is set from the URL and body, not configurable");
    if (strlen(value) > HEADER_VALUE_MAX)
        return mon__error(MON_EINVAL, field, "value longer than %d bytes", HEADER_VALUE_MAX);
    size_t chars;
    int blank, rc = check_text(value, &chars, &blank, 1);
    if (rc == -1)
        return mon__error(MON_EINVAL, field, "value must be valid UTF-8");
    if (rc == -2)
        return mon__error(MON_EINVAL, field, "value must not contain CR, LF or other control characters");
    return MON_OK;
}

static int header_set_add(struct header_set *hs, const char *name, const char *value)
{
    struct header *items = realloc(hs->items, (hs->count + 1) * sizeof(*items));
    if (!items)
        return mon__error_nomem();
    hs->items = items;
    items[hs->count].name = strdup(name);
    items[hs->count].value = strdup(value);
    hs->count++;
    if (!items[hs->count - 1].name || !items[hs->count - 1].value)
        return mon__error_nomem();
    return MON_OK;
}

static int header_index(const struct header_set *hs, const char *name)
{
    for (size_t i = 0; i < hs->count; i++)
        if (strcasecmp(hs->items[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Build a header set from a JSON value (must be an object of strings). */
static int header_set_from_json(struct header_set *out, json_t *obj)
{
    struct header_set hs = {0};
    const char *name;
    json_t *value;
    int rc = MON_OK;

    if (!json_is_object(obj))
        return mon__error(MON_EINVAL, "headers", "must be an object of strings");
    if (json_object_size(obj) > HEADERS_MAX)
        return mon__error(MON_EINVAL, "headers", "more than %d headers", HEADERS_MAX);
    json_object_foreach(obj, name, value)
    {
        if (!json_is_string(value)) {
            char field[sizeof("headers.") + HEADER_NAME_MAX];
            snprintf(field, sizeof(field), "headers.%s", name);
            rc = strlen(name) <= HEADER_NAME_MAX && valid_token(name)
                     ? mon__error(MON_EINVAL, field, "value must be a string")
                     : check_header(name, "");
            break;
        }
        if ((rc = check_header(name, json_string_value(value))) != MON_OK)
            break;
        if (header_index(&hs, name) >= 0) {
            rc = mon__error(MON_EINVAL, "headers", "header \"%s\" given twice (names ignore case)", name);
            break;
        }
        if ((rc = header_set_add(&hs, name, json_string_value(value))) != MON_OK)
            break;
    }
    if ((rc = header_set_done(&hs, rc)) == MON_OK)
        *out = hs;
    return rc;
}

static int header_set_copy(struct header_set *out, const struct header_set *in)
{
    struct header_set hs = {0};
    int rc = MON_OK;
    for (size_t i = 0; rc == MON_OK && i < in->count; i++)
        rc = header_set_add(&hs, in->items[i].name, in->items[i].value);
    if ((rc = header_set_done(&hs, rc)) == MON_OK)
        *out = hs;
    return rc;
}

/* ---- conditions ---- */

static const char *const CONDITION_TYPES[] = {
    [MON__COND_BODY_CONTAINS] = "body_contains",   [MON__COND_BODY_NOT_CONTAINS] = "body_not_contains",
    [MON__COND_JSON_EQUALS] = "json_equals",       [MON__COND_JSON_MATCHES] = "json_matches",
    [MON__COND_HEADER_PRESENT] = "header_present", [MON__COND_HEADER_EQUALS] = "header_equals",
};

static void condition_set_clear(struct condition_set *cs)
{
    for (size_t i = 0; i < cs->count; i++) {
        free((char *)cs->items[i].path);
        free((char *)cs->items[i].value);
    }
    free(cs->items);
    free(cs->json);
    memset(cs, 0, sizeof(*cs));
}

/* The key holding the path of a condition kind ("path", "name" or none). */
static const char *path_key(mon__condition_kind kind)
{
    if (kind == MON__COND_JSON_EQUALS || kind == MON__COND_JSON_MATCHES)
        return "path";
    if (kind == MON__COND_HEADER_PRESENT || kind == MON__COND_HEADER_EQUALS)
        return "name";
    return NULL;
}

static int condition_string(json_t *item, const char *key, size_t i, int required, json_t **out)
{
    char field[64];
    snprintf(field, sizeof(field), "conditions[%zu].%s", i, key);
    json_t *v = json_object_get(item, key);
    if (!v)
        return required ? mon__error(MON_EINVAL, field, "must be set") : MON_OK;
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, field, "must be a string");
    if (json_string_length(v) > CONDITION_TEXT_MAX)
        return mon__error(MON_EINVAL, field, "longer than %d bytes", CONDITION_TEXT_MAX);
    *out = v;
    return MON_OK;
}

/* Validate one condition object and append it to cs. */
static int condition_parse(struct condition_set *cs, json_t *item, size_t i)
{
    char field[64];
    const char *key;
    json_t *v, *type_v, *path_v = NULL, *value_v = NULL;
    int kind = -1, rc;

    snprintf(field, sizeof(field), "conditions[%zu]", i);
    if (!json_is_object(item))
        return mon__error(MON_EINVAL, field, "must be an object");
    if ((rc = condition_string(item, "type", i, 1, &type_v)) != MON_OK)
        return rc;
    for (size_t k = 0; k < sizeof(CONDITION_TYPES) / sizeof(CONDITION_TYPES[0]); k++)
        if (strcmp(json_string_value(type_v), CONDITION_TYPES[k]) == 0)
            kind = (int)k;
    snprintf(field, sizeof(field), "conditions[%zu].type", i);
    if (kind < 0)
        return mon__error(MON_EINVAL, field,
                          "unknown condition type (body_contains, body_not_contains, json_equals, "
                          "json_matches, header_present or header_equals)");
    const char *pkey = path_key((mon__condition_kind)kind);
    int has_value = kind != MON__COND_HEADER_PRESENT;
    json_object_foreach(item, key, v)
    {
        if (strcmp(key, "type") != 0 && !(pkey && strcmp(key, pkey) == 0) &&
            !(has_value && strcmp(key, "value") == 0)) {
            snprintf(field, sizeof(field), "conditions[%zu].%s", i, echoable(key) ? key : "?");
            return mon__error(MON_EINVAL, field, "unknown field for a %s condition", CONDITION_TYPES[kind]);
        }
    }
    if (pkey && (rc = condition_string(item, pkey, i, 1, &path_v)) != MON_OK)
        return rc;
    snprintf(field, sizeof(field), "conditions[%zu].%s", i, pkey ? pkey : "");
    if (pkey && strcmp(pkey, "path") == 0 && !mon__json_path_valid(json_string_value(path_v)))
        return mon__error(MON_EINVAL, field, "not a valid path (keys separated by dots, [N] indexes)");
    if (pkey && strcmp(pkey, "name") == 0 &&
        (!valid_token(json_string_value(path_v)) || json_string_length(path_v) > HEADER_NAME_MAX))
        return mon__error(MON_EINVAL, field, "must be an HTTP header name (token of at most %d characters)",
                          HEADER_NAME_MAX);

    snprintf(field, sizeof(field), "conditions[%zu].value", i);
    char *value_text = NULL;
    if (kind == MON__COND_JSON_EQUALS) {
        value_v = json_object_get(item, "value");
        if (!value_v)
            return mon__error(MON_EINVAL, field, "must be set");
        value_text = json_dumps(value_v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!value_text)
            return mon__error_nomem();
    } else if (has_value) {
        if ((rc = condition_string(item, "value", i, 1, &value_v)) != MON_OK)
            return rc;
        if (json_string_length(value_v) == 0 && kind != MON__COND_HEADER_EQUALS)
            return mon__error(MON_EINVAL, field, "must not be empty");
        if (kind == MON__COND_JSON_MATCHES) {
            if (regex_cost(json_string_value(value_v)) > REGEX_COST_MAX)
                return mon__error(MON_EINVAL, field, "regular expression too complex (repetition bounds)");
            regex_t re;
            int err = regcomp(&re, json_string_value(value_v), REG_EXTENDED | REG_NOSUB);
            if (err != 0) {
                char why[128];
                regerror(err, &re, why, sizeof(why));
                return mon__error(MON_EINVAL, field, "not a POSIX extended regular expression (%s)", why);
            }
            regfree(&re);
        }
        if (!(value_text = strdup(json_string_value(value_v))))
            return mon__error_nomem();
    }

    struct mon__condition *items = realloc(cs->items, (cs->count + 1) * sizeof(*items));
    char *path_text = path_v ? strdup(json_string_value(path_v)) : NULL;
    if (!items || (path_v && !path_text)) {
        if (items)
            cs->items = items;
        free(value_text);
        free(path_text);
        return mon__error_nomem();
    }
    cs->items = items;
    items[cs->count].kind = (mon__condition_kind)kind;
    items[cs->count].path = path_text;
    items[cs->count].value = value_text;
    cs->count++;
    return MON_OK;
}

static int condition_set_render(struct condition_set *cs)
{
    json_t *arr = json_array();
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < cs->count; i++) {
        const struct mon__condition *c = &cs->items[i];
        json_t *obj = json_object(), *value = NULL;
        ok = obj && json_array_append_new(arr, obj) == 0 &&
             json_object_set_new(obj, "type", json_string(CONDITION_TYPES[c->kind])) == 0;
        if (ok && c->path)
            ok = json_object_set_new(obj, path_key(c->kind), json_string(c->path)) == 0;
        if (ok && c->value) {
            value = c->kind == MON__COND_JSON_EQUALS ? json_loads(c->value, JSON_DECODE_ANY, NULL)
                                                     : json_string(c->value);
            ok = json_object_set_new(obj, "value", value) == 0;
        }
    }
    free(cs->json);
    cs->json = ok ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return cs->json ? MON_OK : mon__error_nomem();
}

static int condition_set_from_json(struct condition_set *out, json_t *arr)
{
    struct condition_set cs = {0};
    int rc = MON_OK;
    if (!json_is_array(arr))
        return mon__error(MON_EINVAL, "conditions", "must be an array of objects");
    if (json_array_size(arr) > CONDITIONS_MAX)
        return mon__error(MON_EINVAL, "conditions", "more than %d conditions", CONDITIONS_MAX);
    for (size_t i = 0; rc == MON_OK && i < json_array_size(arr); i++)
        rc = condition_parse(&cs, json_array_get(arr, i), i);
    if (rc == MON_OK)
        rc = condition_set_render(&cs);
    if (rc != MON_OK) {
        condition_set_clear(&cs);
        return rc;
    }
    *out = cs;
    return MON_OK;
}

static int condition_set_copy(struct condition_set *out, const struct condition_set *in)
{
    json_t *arr = json_loads(in->json ? in->json : "[]", 0, NULL);
    if (!arr)
        return mon__error_nomem();
    int rc = condition_set_from_json(out, arr);
    json_decref(arr);
    return rc;
}

/* ---- lifecycle ---- */

static void endpoint_clear(mon_endpoint *ep)
{
    free(ep->name);
    free(ep->url);
    header_set_clear(&ep->headers);
    condition_set_clear(&ep->conditions);
}

void mon_endpoint_free(mon_endpoint *ep)
{
    if (!ep)
        return;
    endpoint_clear(ep);
    free(ep);
}

int mon_endpoint_new(mon_endpoint **out)
{
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    mon_endpoint *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return mon__error_nomem();
    ep->type = MON_ENDPOINT_APIM;
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        *(int *)((char *)ep + INT_FIELDS[i].offset) = INT_FIELDS[i].def;
    ep->enabled = 1;
    ep->method = METHODS[0];
    ep->follow_redirects = 0;
    if (header_set_render(&ep->headers) != MON_OK || condition_set_render(&ep->conditions) != MON_OK) {
        mon_endpoint_free(ep);
        return MON_ENOMEM;
    }
    *out = ep;
    return MON_OK;
}

int mon_endpoint_dup(mon_endpoint **out, const mon_endpoint *ep)
{
    if (!out || !ep)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    *out = NULL;
    mon_endpoint *copy = malloc(sizeof(*copy));
    if (!copy)
        return mon__error_nomem();
    *copy = *ep;
    copy->name = NULL;
    copy->url = NULL;
    memset(&copy->headers, 0, sizeof(copy->headers));
    memset(&copy->conditions, 0, sizeof(copy->conditions));
    if ((ep->name && !(copy->name = strdup(ep->name))) || (ep->url && !(copy->url = strdup(ep->url)))) {
        mon_endpoint_free(copy);
        return mon__error_nomem();
    }
    int rc = header_set_copy(&copy->headers, &ep->headers);
    if (rc == MON_OK)
        rc = condition_set_copy(&copy->conditions, &ep->conditions);
    if (rc != MON_OK) {
        mon_endpoint_free(copy);
        return rc;
    }
    *out = copy;
    return MON_OK;
}

/* Replace the contents of ep with those of other and free the old contents. */
static void endpoint_swap_in(mon_endpoint *ep, mon_endpoint *other)
{
    mon_endpoint old = *ep;
    *ep = *other;
    *other = old;
    mon_endpoint_free(other);
}

/* ---- setters ---- */

static int replace_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return mon__error_nomem();
    free(*slot);
    *slot = copy;
    return MON_OK;
}

int mon_endpoint_set_id(mon_endpoint *ep, const char *id)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (!id || !*id) {
        ep->id[0] = '\0';
        return MON_OK;
    }
    if (!mon__uuid_valid(id))
        return mon__error(MON_EINVAL, "id", "must be a UUID (8-4-4-4-12 hexadecimal digits)");
    for (size_t i = 0; i < 36; i++)
        ep->id[i] = (char)tolower((unsigned char)id[i]);
    ep->id[36] = '\0';
    return MON_OK;
}

int mon_endpoint_set_name(mon_endpoint *ep, const char *name)
{
    int rc = ep ? check_name(name) : mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    return rc == MON_OK ? replace_string(&ep->name, name) : rc;
}

int mon_endpoint_set_type(mon_endpoint *ep, mon_endpoint_type type)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (!mon_endpoint_type_name(type))
        return mon__error(MON_EINVAL, "type", "unknown type %d (APIM, DOMAIN or TALEND)", (int)type);
    ep->type = type;
    return MON_OK;
}

int mon_endpoint_set_url(mon_endpoint *ep, const char *url)
{
    int rc = ep ? check_url(url) : mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    return rc == MON_OK ? replace_string(&ep->url, url) : rc;
}

static int timeout_fits(int timeout_ms, int interval_s, const char *field)
{
    if ((long long)timeout_ms < (long long)interval_s * 1000)
        return MON_OK;
    if (strcmp(field, "timeout") == 0)
        return mon__error(MON_EINVAL, field, "must be shorter than check_interval (%d s)", interval_s);
    return mon__error(MON_EINVAL, field, "must be longer than timeout (%d ms)", timeout_ms);
}

static int set_int(mon_endpoint *ep, int which, int value)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = check_int(which, value);
    if (rc == MON_OK && which == F_CHECK_INTERVAL)
        rc = timeout_fits(ep->timeout_ms, value, "check_interval");
    if (rc == MON_OK && which == F_TIMEOUT)
        rc = timeout_fits(value, ep->check_interval, "timeout");
    if (rc == MON_OK)
        *(int *)((char *)ep + INT_FIELDS[which].offset) = value;
    return rc;
}

int mon_endpoint_set_check_interval(mon_endpoint *ep, int seconds)
{
    return set_int(ep, F_CHECK_INTERVAL, seconds);
}
int mon_endpoint_set_timeout_ms(mon_endpoint *ep, int ms)
{
    return set_int(ep, F_TIMEOUT, ms);
}
int mon_endpoint_set_expected_status(mon_endpoint *ep, int status)
{
    return set_int(ep, F_EXPECTED_STATUS, status);
}
int mon_endpoint_set_degraded_ms(mon_endpoint *ep, int ms)
{
    return set_int(ep, F_DEGRADED_MS, ms);
}
int mon_endpoint_set_retries(mon_endpoint *ep, int retries)
{
    return set_int(ep, F_RETRIES, retries);
}
int mon_endpoint_set_cert_warn_days(mon_endpoint *ep, int days)
{
    return set_int(ep, F_CERT_WARN_DAYS, days);
}

int mon_endpoint_set_enabled(mon_endpoint *ep, int enabled)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    ep->enabled = enabled != 0;
    return MON_OK;
}

int mon_endpoint_set_follow_redirects(mon_endpoint *ep, int follow)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    ep->follow_redirects = follow != 0;
    return MON_OK;
}

int mon_endpoint_set_method(mon_endpoint *ep, const char *method)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int i = find_method(method);
    if (i < 0)
        return i;
    ep->method = METHODS[i];
    return MON_OK;
}

int mon_endpoint_set_timestamps(mon_endpoint *ep, mon_time created_at, mon_time updated_at)
{
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if (created_at < 0 || updated_at < 0)
        return mon__error(MON_EINVAL, created_at < 0 ? "created_at" : "updated_at", "must not be negative");
    ep->created_at = created_at;
    ep->updated_at = updated_at;
    return MON_OK;
}

int mon_endpoint_set_header(mon_endpoint *ep, const char *name, const char *value)
{
    struct header_set hs;
    if (!ep || !name)
        return mon__error(MON_EINVAL, "headers", "endpoint and header name must not be NULL");
    int rc = check_header(name, value ? value : "");
    if (rc != MON_OK)
        return rc;
    int at = header_index(&ep->headers, name);
    if (at < 0 && !value)
        return MON_OK;
    if (at < 0 && ep->headers.count >= HEADERS_MAX)
        return mon__error(MON_EINVAL, "headers", "more than %d headers", HEADERS_MAX);
    /* Build the new set aside so that a failure leaves the endpoint as it was. */
    memset(&hs, 0, sizeof(hs));
    for (size_t i = 0; rc == MON_OK && i < ep->headers.count; i++) {
        if ((int)i != at)
            rc = header_set_add(&hs, ep->headers.items[i].name, ep->headers.items[i].value);
        else if (value)
            rc = header_set_add(&hs, name, value);
    }
    if (rc == MON_OK && at < 0)
        rc = header_set_add(&hs, name, value);
    if ((rc = header_set_done(&hs, rc)) != MON_OK)
        return rc;
    header_set_clear(&ep->headers);
    ep->headers = hs;
    return MON_OK;
}

/* ---- type names ---- */

const char *mon_endpoint_type_name(mon_endpoint_type type)
{
    return (unsigned)type < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]) ? TYPE_NAMES[type] : NULL;
}

int mon_endpoint_type_parse(mon_endpoint_type *out, const char *name)
{
    for (size_t i = 0; name && i < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]); i++)
        if (strcmp(name, TYPE_NAMES[i]) == 0) {
            if (out)
                *out = (mon_endpoint_type)i;
            return MON_OK;
        }
    if (name && echoable(name))
        return mon__error(MON_EINVAL, "type", "unknown type \"%s\" (APIM, DOMAIN or TALEND)", name);
    return mon__error(MON_EINVAL, "type", "unknown type (APIM, DOMAIN or TALEND)");
}

/* Parse JSON text; bad text is MON_EINVAL with Jansson's position, no field. */
static int parse_json(json_t **out, const char *text, const char *what)
{
    json_error_t err;
    /* Without JSON_ALLOW_NUL Jansson refuses "\u0000": every string read is a C string. */
    if (!text)
        return mon__error(MON_EINVAL, NULL, "%s: JSON text must not be NULL", what);
    *out = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!*out)
        return mon__error(MON_EINVAL, NULL, "%s: invalid JSON at line %d, column %d: %s", what, err.line,
                          err.column, err.text);
    return MON_OK;
}

/* ---- JSON fields ---- */

static int want_string(json_t *v, const char *field, const char **out)
{
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, field, "must be a string");
    *out = json_string_value(v);
    return MON_OK;
}

static int want_int(json_t *v, int which, int *out)
{
    const struct int_field *f = &INT_FIELDS[which];
    if (!json_is_integer(v))
        return mon__error(MON_EINVAL, f->name, "must be an integer");
    json_int_t n = json_integer_value(v);
    if (n < f->min || n > f->max)
        return mon__error(MON_EINVAL, f->name, "must be between %d and %d%s", f->min, f->max, f->unit);
    *out = (int)n;
    return MON_OK;
}

static int want_bool(json_t *v, const char *field, int *out)
{
    if (!json_is_boolean(v))
        return mon__error(MON_EINVAL, field, "must be a boolean");
    *out = json_is_true(v);
    return MON_OK;
}

static int want_time(json_t *v, const char *field, mon_time *out)
{
    if (json_is_null(v)) {
        *out = 0;
        return MON_OK;
    }
    if (!json_is_string(v))
        return mon__error(MON_EINVAL, field, "must be a string (RFC 3339) or null");
    if (mon__time_parse(out, json_string_value(v)) != MON_OK || *out < 0)
        return mon__error(MON_EINVAL, field, "must be an RFC 3339 date-time (2026-11-24T14:41:44Z)");
    return MON_OK;
}

/* Set one field of ep from a JSON value without cross-field checks (the
 * caller validates the whole endpoint). read_only_ok allows id and stamps. */
static int apply_field(mon_endpoint *ep, const char *key, json_t *v, int read_only_ok)
{
    const char *s = NULL;
    int n = 0, rc;
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        if (strcmp(key, INT_FIELDS[i].name) == 0) {
            if ((rc = want_int(v, (int)i, &n)) == MON_OK)
                *(int *)((char *)ep + INT_FIELDS[i].offset) = n;
            return rc;
        }
    if (strcmp(key, "name") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_name(ep, s) : rc;
    if (strcmp(key, "url") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_url(ep, s) : rc;
    if (strcmp(key, "method") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_method(ep, s) : rc;
    if (strcmp(key, "type") == 0)
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_type_parse(&ep->type, s) : rc;
    if (strcmp(key, "enabled") == 0)
        return want_bool(v, key, &ep->enabled);
    if (strcmp(key, "follow_redirects") == 0)
        return want_bool(v, key, &ep->follow_redirects);
    if (strcmp(key, "headers") == 0) {
        struct header_set hs;
        if ((rc = header_set_from_json(&hs, v)) == MON_OK) {
            header_set_clear(&ep->headers);
            ep->headers = hs;
        }
        return rc;
    }
    if (strcmp(key, "conditions") == 0) {
        struct condition_set cs;
        if ((rc = condition_set_from_json(&cs, v)) == MON_OK) {
            condition_set_clear(&ep->conditions);
            ep->conditions = cs;
        }
        return rc;
    }
    int is_id = strcmp(key, "id") == 0, is_created = strcmp(key, "created_at") == 0,
        is_updated = strcmp(key, "updated_at") == 0;
    if ((is_id || is_created || is_updated) && !read_only_ok)
        return mon__error(MON_EINVAL, key, "read-only field");
    if (is_id) {
        if (json_is_null(v))
            return mon_endpoint_set_id(ep, NULL);
        return (rc = want_string(v, key, &s)) == MON_OK ? mon_endpoint_set_id(ep, s) : rc;
    }
    if (is_created)
        return want_time(v, key, &ep->created_at);
    if (is_updated)
        return want_time(v, key, &ep->updated_at);
    return mon__error(MON_EINVAL, echoable(key) ? key : "?", "unknown field");
}

/* Replace the headers or the conditions from JSON text, as a patch would. */
static int set_json_field(mon_endpoint *ep, const char *key, const char *json)
{
    json_t *v;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = parse_json(&v, json, key);
    if (rc != MON_OK)
        return rc;
    rc = apply_field(ep, key, v, 0);
    json_decref(v);
    return rc;
}

int mon_endpoint_set_headers_json(mon_endpoint *ep, const char *json)
{
    return set_json_field(ep, "headers", json);
}

int mon_endpoint_set_conditions_json(mon_endpoint *ep, const char *json)
{
    return set_json_field(ep, "conditions", json);
}

static int apply_object(mon_endpoint *ep, const char *json, int read_only_ok)
{
    json_t *root, *v;
    const char *key;
    int rc = parse_json(&root, json, "endpoint");
    if (rc != MON_OK)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return mon__error(MON_EINVAL, NULL, "endpoint: must be a JSON object");
    }
    json_object_foreach(root, key, v)
    {
        if ((rc = apply_field(ep, key, v, read_only_ok)) != MON_OK)
            break;
    }
    if (rc == MON_OK && read_only_ok) {
        static const char *const required[] = {"name", "type", "url"};
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(root, required[i])) {
                rc = mon__error(MON_EINVAL, required[i], "required field missing");
                break;
            }
    }
    json_decref(root);
    return rc;
}

int mon_endpoint_from_json(mon_endpoint **out, const char *json)
{
    mon_endpoint *ep;
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    int rc = mon_endpoint_new(&ep);
    if (rc == MON_OK)
        rc = apply_object(ep, json, 1);
    if (rc == MON_OK)
        rc = mon_endpoint_validate(ep);
    if (rc != MON_OK) {
        mon_endpoint_free(ep);
        return rc;
    }
    *out = ep;
    return MON_OK;
}

int mon_endpoint_patch_json(mon_endpoint *ep, const char *json)
{
    mon_endpoint *copy;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    int rc = mon_endpoint_dup(&copy, ep);
    if (rc != MON_OK)
        return rc;
    rc = apply_object(copy, json, 0);
    if (rc == MON_OK)
        rc = mon_endpoint_validate(copy);
    if (rc != MON_OK) {
        mon_endpoint_free(copy);
        return rc;
    }
    endpoint_swap_in(ep, copy);
    return MON_OK;
}

int mon_endpoint_validate(const mon_endpoint *ep)
{
    int rc;
    if (!ep)
        return mon__error(MON_EINVAL, NULL, "endpoint must not be NULL");
    if ((rc = check_name(ep->name)) != MON_OK || (rc = check_url(ep->url)) != MON_OK)
        return rc;
    if (!mon_endpoint_type_name(ep->type))
        return mon__error(MON_EINVAL, "type", "unknown type %d (APIM, DOMAIN or TALEND)", (int)ep->type);
    for (size_t i = 0; i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++)
        if ((rc = check_int((int)i, *(const int *)((const char *)ep + INT_FIELDS[i].offset))) != MON_OK)
            return rc;
    return timeout_fits(ep->timeout_ms, ep->check_interval, "timeout");
}

/* ---- JSON out ---- */

static json_t *time_json(mon_time t)
{
    char text[MON__TIME_TEXT_MAX];
    if (t == 0)
        return json_null();
    mon__time_format(text, t);
    return json_string(text);
}

int mon_endpoint_to_json(char **out, const mon_endpoint *ep)
{
    if (!out || !ep)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    *out = NULL;
    json_t *obj = json_object();
    int ok = obj != NULL;
    struct {
        const char *key;
        json_t *value;
    } fields[] = {
        {"id", ep->id[0] ? json_string(ep->id) : json_null()},
        {"name", ep->name ? json_string(ep->name) : json_null()},
        {"type", json_string(TYPE_NAMES[ep->type])},
        {"url", ep->url ? json_string(ep->url) : json_null()},
        {"check_interval", json_integer(ep->check_interval)},
        {"timeout", json_integer(ep->timeout_ms)},
        {"expected_status", json_integer(ep->expected_status)},
        {"headers", json_loads(ep->headers.json, 0, NULL)},
        {"enabled", json_boolean(ep->enabled)},
        {"method", json_string(ep->method)},
        {"degraded_ms", json_integer(ep->degraded_ms)},
        {"retries", json_integer(ep->retries)},
        {"conditions", json_loads(ep->conditions.json, 0, NULL)},
        {"cert_warn_days", json_integer(ep->cert_warn_days)},
        {"follow_redirects", json_boolean(ep->follow_redirects)},
        {"created_at", time_json(ep->created_at)},
        {"updated_at", time_json(ep->updated_at)},
    };
    /* json_object_set_new() takes each value even when it fails, so every one is released. */
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!ok || !fields[i].value) {
            ok = 0;
            json_decref(fields[i].value);
        } else if (json_object_set_new(obj, fields[i].key, fields[i].value) != 0)
            ok = 0;
    }
    if (ok)
        *out = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return *out ? MON_OK : mon__error_nomem();
}

int mon_endpoint_schema_json(char **out)
{
    if (!out)
        return mon__error(MON_EINVAL, NULL, "out must not be NULL");
    *out = NULL;
    json_t *schema =
        json_pack("{s:{s:s,s:s,s:b,s:b}, s:{s:s,s:i,s:i,s:b}, s:{s:s,s:[sss],s:b},"
                  " s:{s:s,s:i,s:[ss],s:b}}",
                  "id", "type", "string", "format", "uuid", "required", 0, "read_only", 1, "name", "type",
                  "string", "min_length", 1, "max_length", MON_ENDPOINT_NAME_MAX, "required", 1, "type",
                  "type", "string", "enum", "APIM", "DOMAIN", "TALEND", "required", 1, "url", "type",
                  "string", "max_length", MON_ENDPOINT_URL_MAX, "schemes", "http", "https", "required", 1);
    int ok = schema != NULL;
    for (size_t i = 0; ok && i < sizeof(INT_FIELDS) / sizeof(INT_FIELDS[0]); i++) {
        const struct int_field *f = &INT_FIELDS[i];
        json_t *d = json_pack("{s:s,s:i,s:i,s:i,s:b}", "type", "integer", "default", f->def, "min", f->min,
                              "max", f->max, "required", 0);
        ok = d && json_object_set_new(schema, f->name, d) == 0;
        if (ok && f->unit[0])
            ok = json_object_set_new(d, "unit", json_string(f->unit + 1)) == 0;
    }
    ok = ok && json_object_set_new(schema, "method",
                                   json_pack("{s:s,s:s,s:[sssssss],s:b}", "type", "string", "default", "GET",
                                             "enum", METHODS[0], METHODS[1], METHODS[2], METHODS[3],
                                             METHODS[4], METHODS[5], METHODS[6], "required", 0)) == 0;
    ok = ok &&
         json_object_set_new(schema, "headers",
                             json_pack("{s:s,s:{},s:i,s:i,s:i,s:b}", "type", "object", "default", "max_items",
                                       HEADERS_MAX, "max_name_length", HEADER_NAME_MAX, "max_value_bytes",
                                       HEADER_VALUE_MAX, "required", 0)) == 0 &&
         json_object_set_new(schema, "enabled",
                             json_pack("{s:s,s:b,s:b}", "type", "boolean", "default", 1, "required", 0)) ==
             0 &&
         json_object_set_new(schema, "follow_redirects",
                             json_pack("{s:s,s:b,s:b}", "type", "boolean", "default", 0, "required", 0)) ==
             0 &&
         json_object_set_new(schema, "conditions",
                             json_pack("{s:s,s:[],s:i,s:[ssssss],s:b}", "type", "array", "default",
                                       "max_items", CONDITIONS_MAX, "condition_types", CONDITION_TYPES[0],
                                       CONDITION_TYPES[1], CONDITION_TYPES[2], CONDITION_TYPES[3],
                                       CONDITION_TYPES[4], CONDITION_TYPES[5], "required", 0)) == 0 &&
         json_object_set_new(schema, "created_at",
                             json_pack("{s:s,s:s,s:b,s:b}", "type", "string", "format", "date-time",
                                       "required", 0, "read_only", 1)) == 0 &&
         json_object_set_new(schema, "updated_at",
                             json_pack("{s:s,s:s,s:b,s:b}", "type", "string", "format", "date-time",
                                       "required", 0, "read_only", 1)) == 0;
    if (ok)
        *out = json_dumps(schema, JSON_COMPACT);
    json_decref(schema);
    return *out ? MON_OK : mon__error_nomem();
}

/* ---- getters ---- */

const char *mon_endpoint_get_id(const mon_endpoint *ep)
{
    return ep ? ep->id : "";
}
const char *mon_endpoint_get_name(const mon_endpoint *ep)
{
    return ep && ep->name ? ep->name : "";
}
mon_endpoint_type mon_endpoint_get_type(const mon_endpoint *ep)
{
    return ep ? ep->type : MON_ENDPOINT_APIM;
}
const char *mon_endpoint_get_url(const mon_endpoint *ep)
{
    return ep && ep->url ? ep->url : "";
}
int mon_endpoint_get_check_interval(const mon_endpoint *ep)
{
    return ep ? ep->check_interval : 0;
}
int mon_endpoint_get_timeout_ms(const mon_endpoint *ep)
{
    return ep ? ep->timeout_ms : 0;
}
int mon_endpoint_get_expected_status(const mon_endpoint *ep)
{
    return ep ? ep->expected_status : 0;
}
const char *mon_endpoint_get_headers_json(const mon_endpoint *ep)
{
    return ep ? ep->headers.json : "{}";
}
int mon_endpoint_get_enabled(const mon_endpoint *ep)
{
    return ep ? ep->enabled : 0;
}
const char *mon_endpoint_get_method(const mon_endpoint *ep)
{
    return ep ? ep->method : "GET";
}
int mon_endpoint_get_degraded_ms(const mon_endpoint *ep)
{
    return ep ? ep->degraded_ms : 0;
}
int mon_endpoint_get_retries(const mon_endpoint *ep)
{
    return ep ? ep->retries : 0;
}
const char *mon_endpoint_get_conditions_json(const mon_endpoint *ep)
{
    return ep ? ep->conditions.json : "[]";
}
int mon_endpoint_get_cert_warn_days(const mon_endpoint *ep)
{
    return ep ? ep->cert_warn_days : 0;
}
int mon_endpoint_get_follow_redirects(const mon_endpoint *ep)
{
    return ep ? ep->follow_redirects : 0;
}
mon_time mon_endpoint_get_created_at(const mon_endpoint *ep)
{
    return ep ? ep->created_at : 0;
}
mon_time mon_endpoint_get_updated_at(const mon_endpoint *ep)
{
    return ep ? ep->updated_at : 0;
}

/* ---- private accessors ---- */

size_t mon__endpoint_condition_count(const mon_endpoint *ep)
{
    return ep->conditions.count;
}

const struct mon__condition *mon__endpoint_condition(const mon_endpoint *ep, size_t i)
{
    return i < ep->conditions.count ? &ep->conditions.items[i] : NULL;
}

size_t mon__endpoint_header_count(const mon_endpoint *ep)
{
    return ep->headers.count;
}

const char *mon__endpoint_header_name(const mon_endpoint *ep, size_t i)
{
    return i < ep->headers.count ? ep->headers.items[i].name : NULL;
}

const char *mon__endpoint_header_value(const mon_endpoint *ep, size_t i)
{
    return i < ep->headers.count ? ep->headers.items[i].value : NULL;
}
