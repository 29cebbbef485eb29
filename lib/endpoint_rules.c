/* What each part of an endpoint may hold: names and URLs, request headers,
 * and response conditions with their JSON paths and regular expressions. The
 * model itself (lifecycle, setters, JSON in and out) is endpoint.c. */

#include "endpoint_priv.h"
#include "error_priv.h"

#include <ctype.h>
#include <curl/curl.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

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
int mon__text_echoable(const char *s)
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

int mon__endpoint_check_name(const char *name)
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

int mon__endpoint_check_url(const char *url)
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
    if (!path || !*path || strlen(path) > MON__CONDITION_PATH_MAX)
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

void mon__header_set_clear(struct mon__header_set *hs)
{
    for (size_t i = 0; i < hs->count; i++) {
        free(hs->items[i].name);
        free(hs->items[i].value);
    }
    free(hs->items);
    free(hs->json);
    memset(hs, 0, sizeof(*hs));
}

int mon__header_set_render(struct mon__header_set *hs)
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
int mon__header_set_done(struct mon__header_set *hs, int rc)
{
    if (rc == MON_OK)
        rc = mon__header_set_render(hs);
    if (rc != MON_OK)
        mon__header_set_clear(hs);
    return rc;
}

int mon__header_check(const char *name, const char *value)
{
    if (strlen(name) > MON__HEADER_NAME_MAX)
        return mon__error(MON_EINVAL, "headers", "a header name is longer than %d characters",
                          MON__HEADER_NAME_MAX);
    if (!valid_token(name))
        return mon__error(MON_EINVAL, "headers",
                          "a header name is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~)");
    char field[sizeof("headers.") + MON__HEADER_NAME_MAX];
    snprintf(field, sizeof(field), "headers.%s", name);
    if (strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0)
        return mon__error(MON_EINVAL, field, "this header is set from the URL and body, not configurable");
    if (strlen(value) > MON__HEADER_VALUE_MAX)
        return mon__error(MON_EINVAL, field, "value longer than %d bytes", MON__HEADER_VALUE_MAX);
    size_t chars;
    int blank, rc = check_text(value, &chars, &blank, 1);
    if (rc == -1)
        return mon__error(MON_EINVAL, field, "value must be valid UTF-8");
    if (rc == -2)
        return mon__error(MON_EINVAL, field, "value must not contain CR, LF or other control characters");
    return MON_OK;
}

int mon__header_set_add(struct mon__header_set *hs, const char *name, const char *value)
{
    struct mon__header *items = realloc(hs->items, (hs->count + 1) * sizeof(*items));
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

int mon__header_index(const struct mon__header_set *hs, const char *name)
{
    for (size_t i = 0; i < hs->count; i++)
        if (strcasecmp(hs->items[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Build a header set from a JSON value (must be an object of strings). */
int mon__header_set_from_json(struct mon__header_set *out, json_t *obj)
{
    struct mon__header_set hs = {0};
    const char *name;
    json_t *value;
    int rc = MON_OK;

    if (!json_is_object(obj))
        return mon__error(MON_EINVAL, "headers", "must be an object of strings");
    if (json_object_size(obj) > MON__HEADERS_MAX)
        return mon__error(MON_EINVAL, "headers", "more than %d headers", MON__HEADERS_MAX);
    json_object_foreach(obj, name, value)
    {
        if (!json_is_string(value)) {
            char field[sizeof("headers.") + MON__HEADER_NAME_MAX];
            snprintf(field, sizeof(field), "headers.%s", name);
            rc = strlen(name) <= MON__HEADER_NAME_MAX && valid_token(name)
                     ? mon__error(MON_EINVAL, field, "value must be a string")
                     : mon__header_check(name, "");
            break;
        }
        if ((rc = mon__header_check(name, json_string_value(value))) != MON_OK)
            break;
        if (mon__header_index(&hs, name) >= 0) {
            rc = mon__error(MON_EINVAL, "headers", "header \"%s\" given twice (names ignore case)", name);
            break;
        }
        if ((rc = mon__header_set_add(&hs, name, json_string_value(value))) != MON_OK)
            break;
    }
    if ((rc = mon__header_set_done(&hs, rc)) == MON_OK)
        *out = hs;
    return rc;
}

int mon__header_set_copy(struct mon__header_set *out, const struct mon__header_set *in)
{
    struct mon__header_set hs = {0};
    int rc = MON_OK;
    for (size_t i = 0; rc == MON_OK && i < in->count; i++)
        rc = mon__header_set_add(&hs, in->items[i].name, in->items[i].value);
    if ((rc = mon__header_set_done(&hs, rc)) == MON_OK)
        *out = hs;
    return rc;
}

/* ---- conditions ---- */

const char *const mon__condition_types[MON__CONDITION_KINDS] = {
    [MON__COND_BODY_CONTAINS] = "body_contains",   [MON__COND_BODY_NOT_CONTAINS] = "body_not_contains",
    [MON__COND_JSON_EQUALS] = "json_equals",       [MON__COND_JSON_MATCHES] = "json_matches",
    [MON__COND_HEADER_PRESENT] = "header_present", [MON__COND_HEADER_EQUALS] = "header_equals",
};

void mon__condition_set_clear(struct mon__condition_set *cs)
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
    if (json_string_length(v) > MON__CONDITION_TEXT_MAX)
        return mon__error(MON_EINVAL, field, "longer than %d bytes", MON__CONDITION_TEXT_MAX);
    *out = v;
    return MON_OK;
}

/* Validate one condition object and append it to cs. */
static int condition_parse(struct mon__condition_set *cs, json_t *item, size_t i)
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
    for (size_t k = 0; k < MON__CONDITION_KINDS; k++)
        if (strcmp(json_string_value(type_v), mon__condition_types[k]) == 0)
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
            snprintf(field, sizeof(field), "conditions[%zu].%s", i, mon__text_echoable(key) ? key : "?");
            return mon__error(MON_EINVAL, field, "unknown field for a %s condition",
                              mon__condition_types[kind]);
        }
    }
    if (pkey && (rc = condition_string(item, pkey, i, 1, &path_v)) != MON_OK)
        return rc;
    snprintf(field, sizeof(field), "conditions[%zu].%s", i, pkey ? pkey : "");
    if (pkey && strcmp(pkey, "path") == 0 && !mon__json_path_valid(json_string_value(path_v)))
        return mon__error(MON_EINVAL, field, "not a valid path (keys separated by dots, [N] indexes)");
    if (pkey && strcmp(pkey, "name") == 0 &&
        (!valid_token(json_string_value(path_v)) || json_string_length(path_v) > MON__HEADER_NAME_MAX))
        return mon__error(MON_EINVAL, field, "must be an HTTP header name (token of at most %d characters)",
                          MON__HEADER_NAME_MAX);

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

int mon__condition_set_render(struct mon__condition_set *cs)
{
    json_t *arr = json_array();
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < cs->count; i++) {
        const struct mon__condition *c = &cs->items[i];
        json_t *obj = json_object(), *value = NULL;
        ok = obj && json_array_append_new(arr, obj) == 0 &&
             json_object_set_new(obj, "type", json_string(mon__condition_types[c->kind])) == 0;
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

int mon__condition_set_from_json(struct mon__condition_set *out, json_t *arr)
{
    struct mon__condition_set cs = {0};
    int rc = MON_OK;
    if (!json_is_array(arr))
        return mon__error(MON_EINVAL, "conditions", "must be an array of objects");
    if (json_array_size(arr) > MON__CONDITIONS_MAX)
        return mon__error(MON_EINVAL, "conditions", "more than %d conditions", MON__CONDITIONS_MAX);
    for (size_t i = 0; rc == MON_OK && i < json_array_size(arr); i++)
        rc = condition_parse(&cs, json_array_get(arr, i), i);
    if (rc == MON_OK)
        rc = mon__condition_set_render(&cs);
    if (rc != MON_OK) {
        mon__condition_set_clear(&cs);
        return rc;
    }
    *out = cs;
    return MON_OK;
}

int mon__condition_set_copy(struct mon__condition_set *out, const struct mon__condition_set *in)
{
    json_t *arr = json_loads(in->json ? in->json : "[]", 0, NULL);
    if (!arr)
        return mon__error_nomem();
    int rc = mon__condition_set_from_json(out, arr);
    json_decref(arr);
    return rc;
}
