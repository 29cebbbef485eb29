/* Audit log: entries — result names, validation, redaction, preparation for the chain. */
#include "audit_priv.h"
#include "error_priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const result_names[] = {"SUCCESS", "FAILURE"};

const char *mon_audit_result_name(mon_audit_result result)
{
    return (unsigned)result < 2 ? result_names[result] : NULL;
}

int mon_audit_result_parse(mon_audit_result *out, const char *name)
{
    if (!out || !name)
        return mon__error(MON_EINVAL, "result", "must not be NULL");
    for (int i = 0; i < 2; i++) {
        if (strcmp(name, result_names[i]) == 0) {
            *out = (mon_audit_result)i;
            return MON_OK;
        }
    }
    return mon__error(MON_EINVAL, "result", "must be SUCCESS or FAILURE");
}

int mon_audit_entry_init(mon_audit_entry *entry, unsigned int version)
{
    const mon_audit_entry init = MON_AUDIT_ENTRY_INIT;
    if (!entry)
        return mon__error(MON_EINVAL, "entry", "must not be NULL");
    if (version != MON_AUDIT_ENTRY_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown audit entry version %u", version);
    *entry = init;
    return MON_OK;
}

/* ------------------------------------------------------------ redaction */

static const char *const secret_words[] = {"password", "passwd", "passphrase", "secret",
                                           "token", "apikey", "credential", "authorization",
                                           "bearer", "privatekey", "cookie", "session"};

/* 1 if word (lower case) stands in key from p on, ignoring case and '-', '_' in key. */
static int matches_at(const char *p, const char *word)
{
    for (; *word; p++) {
        if (*p == '-' || *p == '_')
            continue;
        if (tolower((unsigned char)*p) != *word)
            return 0;
        word++;
    }
    return 1;
}

int mon__audit_key_is_secret(const char *key)
{
    for (const char *p = key; *p; p++) {
        if (*p == '-' || *p == '_')
            continue;
        for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
            if (matches_at(p, secret_words[i]))
                return 1;
    }
    return 0;
}

/* Replace secret-looking values in place at any depth; -1 when out of memory. */
static int redact(json_t *value)
{
    if (json_is_object(value)) {
        for (void *it = json_object_iter(value); it; it = json_object_iter_next(value, it)) {
            if (mon__audit_key_is_secret(json_object_iter_key(it))) {
                if (json_object_iter_set_new(value, it, json_string("[REDACTED]")) != 0)
                    return -1;
            } else if (redact(json_object_iter_value(it)) != 0) {
                return -1;
            }
        }
    } else if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (redact(json_array_get(value, i)) != 0)
                return -1;
        }
    }
    return 0;
}

/* Parse JSON text; the error names field and never quotes the input (it may hold secrets). */
static int parse_json(json_t **out, const char *text, const char *field)
{
    json_error_t err;
    char reason[sizeof(err.text)];
    char *near;

    *out = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (*out)
        return MON_OK;
    snprintf(reason, sizeof(reason), "%s", err.text);
    if ((near = strstr(reason, " near ")) != NULL)
        *near = '\0';
    return mon__error(MON_EINVAL, field, "invalid JSON at line %d, column %d: %s", err.line, err.column, reason);
}

int mon_audit_redact_json(char **out, const char *json)
{
    json_t *value;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!json)
        return mon__error(MON_EINVAL, "parameters", "must not be NULL");
    if ((rc = parse_json(&value, json, "parameters")) != MON_OK)
        return rc;
    if (redact(value) != 0 || !(*out = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)))
        rc = mon__error_nomem();
    json_decref(value);
    return rc;
}

/* ----------------------------------------------------------- validation */

/* Number of code points of a UTF-8 string, or -1 if it is not valid UTF-8. */
static long utf8_length(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;

    while (*p) {
        size_t extra;
        unsigned cp;
        if (*p < 0x80) {
            p++;
            count++;
            continue;
        } else if ((*p & 0xe0) == 0xc0) {
            extra = 1, cp = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            extra = 2, cp = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            extra = 3, cp = *p & 0x07;
        } else {
            return -1;
        }
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        p += extra + 1;
        count++;
    }
    return count;
}

struct field_name {
    char text[64];
};

static const char *name_field(struct field_name *buf, const char *prefix, const char *name)
{
    snprintf(buf->text, sizeof(buf->text), "%s%s", prefix, name);
    return buf->text;
}

static int check_text(const char *value, const char *prefix, const char *name, long max, int required)
{
    struct field_name f;
    long len;

    if (!value || !*value) {
        if (required)
            return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is required");
        return MON_OK;
    }
    if ((len = utf8_length(value)) < 0)
        return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is not valid UTF-8");
    if (len > max)
        return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is %ld characters long, at most %ld allowed",
                          len, max);
    return MON_OK;
}

static void new_uuid(char out[MON_AUDIT_ID_SIZE])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, MON_AUDIT_ID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int mon__audit_prepare(struct mon__audit_prepared *p, const mon_audit_entry *e, const char *prefix, int internal)
{
    struct field_name f;
    unsigned char addr[16];
    int rc;

    memset(p, 0, sizeof(*p));
    if (!e)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "entry"), "must not be NULL");
    if (e->version != MON_AUDIT_ENTRY_VERSION)
        return mon__error(MON_EVERSION, name_field(&f, prefix, "version"), "unknown audit entry version %u",
                          e->version);
    if ((rc = check_text(e->action, prefix, "action", MON_AUDIT_ACTION_MAX, 1)) != MON_OK ||
        (rc = check_text(e->target, prefix, "target", MON_AUDIT_TARGET_MAX, 1)) != MON_OK ||
        (rc = check_text(e->user_id, prefix, "user_id", MON_AUDIT_USER_ID_MAX, 1)) != MON_OK ||
        (rc = check_text(e->user_email, prefix, "user_email", MON_AUDIT_USER_EMAIL_MAX, 1)) != MON_OK ||
        (rc = check_text(e->ip_address, prefix, "ip_address", MON_AUDIT_IP_MAX, 0)) != MON_OK ||
        (rc = check_text(e->user_agent, prefix, "user_agent", MON_AUDIT_TEXT_MAX, 0)) != MON_OK ||
        (rc = check_text(e->error_message, prefix, "error_message", MON_AUDIT_TEXT_MAX, 0)) != MON_OK)
        return rc;
    if (!internal && strcmp(e->action, MON_AUDIT_RETENTION_ACTION) == 0)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "action"),
                          "\"%s\" is reserved for mon_audit_retention_apply()", MON_AUDIT_RETENTION_ACTION);
    if (e->ip_address && *e->ip_address && inet_pton(AF_INET, e->ip_address, addr) != 1 &&
        inet_pton(AF_INET6, e->ip_address, addr) != 1)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "ip_address"), "is not an IPv4 or IPv6 address");
    if (!mon_audit_result_name(e->result))
        return mon__error(MON_EINVAL, name_field(&f, prefix, "result"), "must be MON_AUDIT_SUCCESS or MON_AUDIT_FAILURE");

    if ((rc = parse_json(&p->roles, e->user_roles_json ? e->user_roles_json : "[]",
                         name_field(&f, prefix, "user_roles"))) != MON_OK)
        return rc;
    if (!json_is_array(p->roles))
        return mon__error(MON_EINVAL, f.text, "must be a JSON array of strings");
    for (size_t i = 0; i < json_array_size(p->roles); i++) {
        if (!json_is_string(json_array_get(p->roles, i)))
            return mon__error(MON_EINVAL, f.text, "element %zu is not a string", i);
    }
    if ((rc = parse_json(&p->params, e->parameters_json ? e->parameters_json : "{}",
                         name_field(&f, prefix, "parameters"))) != MON_OK)
        return rc;
    if (!json_is_object(p->params))
        return mon__error(MON_EINVAL, f.text, "must be a JSON object");
    if (redact(p->params) != 0)
        return mon__error_nomem();
    new_uuid(p->id);
    p->entry = e;
    return MON_OK;
}

void mon__audit_release(struct mon__audit_prepared *p, size_t count)
{
    for (size_t i = 0; p && i < count; i++) {
        json_decref(p[i].roles);
        json_decref(p[i].params);
    }
    free(p);
}

