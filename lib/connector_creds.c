/* Credentials JSON ({"name":"value",...}) parsed straight into locked
 * memory, so decrypted secrets never pass through Jansson's heap copies. */
#include "connectors/connectors_priv.h"
#include "error_priv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const char *text;
    size_t len, pos;
    unsigned char *out; /* next free byte of the arena */
};

static int fail(const struct reader *r, const char *what)
{
    return mon__error(MON_EINVAL, "credentials", "expected a JSON object of strings: %s at byte %zu", what,
                      r->pos);
}

static void skip_space(struct reader *r)
{
    while (r->pos < r->len && strchr(" \t\r\n", r->text[r->pos]) && r->text[r->pos])
        r->pos++;
}

static int hex4(struct reader *r, unsigned *value)
{
    *value = 0;
    if (r->len - r->pos < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        char c = r->text[r->pos++];
        *value <<= 4;
        if (c >= '0' && c <= '9')
            *value |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *value |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *value |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    return 1;
}

static void put_utf8(struct reader *r, unsigned cp)
{
    if (cp < 0x80) {
        *r->out++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *r->out++ = (unsigned char)(0xC0 | (cp >> 6));
        *r->out++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *r->out++ = (unsigned char)(0xE0 | (cp >> 12));
        *r->out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *r->out++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *r->out++ = (unsigned char)(0xF0 | (cp >> 18));
        *r->out++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *r->out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *r->out++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
}

/* Decode a string at r->pos (on its opening quote) into the arena. Decoded
 * text is never longer than its escaped form, so the arena (input length +
 * 1) always has room, NULs included (each replaces a closing quote). */
static int read_string(struct reader *r, const char **out)
{
    *out = (const char *)r->out;
    if (r->pos >= r->len || r->text[r->pos] != '"')
        return fail(r, "string expected");
    r->pos++;
    while (r->pos < r->len) {
        unsigned char c = (unsigned char)r->text[r->pos++];
        if (c == '"') {
            *r->out++ = '\0';
            return MON_OK;
        }
        if (c < 0x20)
            return fail(r, "control character in string");
        if (c != '\\') {
            *r->out++ = c;
            continue;
        }
        if (r->pos >= r->len)
            break;
        c = (unsigned char)r->text[r->pos++];
        switch (c) {
        case '"':
        case '\\':
        case '/':
            *r->out++ = c;
            break;
        case 'b':
            *r->out++ = '\b';
            break;
        case 'f':
            *r->out++ = '\f';
            break;
        case 'n':
            *r->out++ = '\n';
            break;
        case 'r':
            *r->out++ = '\r';
            break;
        case 't':
            *r->out++ = '\t';
            break;
        case 'u': {
            unsigned cp, low;
            if (!hex4(r, &cp))
                return fail(r, "bad \\u escape");
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (r->len - r->pos < 6 || r->text[r->pos] != '\\' || r->text[r->pos + 1] != 'u')
                    return fail(r, "lone surrogate");
                r->pos += 2;
                if (!hex4(r, &low) || low < 0xDC00 || low > 0xDFFF)
                    return fail(r, "lone surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return fail(r, "lone surrogate");
            }
            if (cp == 0)
                return fail(r, "NUL character");
            put_utf8(r, cp);
            break;
        }
        default:
            return fail(r, "bad escape");
        }
    }
    return fail(r, "unterminated string");
}

int mon__creds_parse(struct mon__creds **out, const char *text, size_t len)
{
    struct mon__creds *creds;
    struct reader r = {text, len, 0, NULL};
    int rc;

    *out = NULL;
    if (!text || memchr(text, '\0', len))
        return mon__error(MON_EINVAL, "credentials", "expected a JSON object of strings");
    if (sodium_init() < 0)
        return mon__error(MON_ECRYPTO, NULL, "libsodium failed to initialise");
    creds = calloc(1, sizeof(*creds));
    if (!creds || !(creds->arena = sodium_malloc(len + 1))) {
        free(creds);
        return mon__error_nomem();
    }
    r.out = creds->arena;
    skip_space(&r);
    if (r.pos >= len || text[r.pos] != '{') {
        rc = fail(&r, "'{' expected");
        goto error;
    }
    r.pos++;
    skip_space(&r);
    if (r.pos < len && text[r.pos] == '}') {
        r.pos++;
    } else {
        for (;;) {
            const char *name, *value;
            skip_space(&r);
            if ((rc = read_string(&r, &name)) != MON_OK)
                goto error;
            skip_space(&r);
            if (r.pos >= len || text[r.pos++] != ':') {
                rc = fail(&r, "':' expected");
                goto error;
            }
            skip_space(&r);
            if ((rc = read_string(&r, &value)) != MON_OK)
                goto error;
            if (mon__creds_get(creds, name)) {
                rc = mon__error(MON_EINVAL, "credentials", "field \"%.64s\" appears twice", name);
                goto error;
            }
            if (creds->count == MON__CREDS_MAX) {
                rc = mon__error(MON_EINVAL, "credentials", "more than %d fields", MON__CREDS_MAX);
                goto error;
            }
            creds->names[creds->count] = name;
            creds->values[creds->count++] = value;
            skip_space(&r);
            if (r.pos < len && text[r.pos] == ',') {
                r.pos++;
                continue;
            }
            if (r.pos < len && text[r.pos] == '}') {
                r.pos++;
                break;
            }
            rc = fail(&r, "',' or '}' expected");
            goto error;
        }
    }
    skip_space(&r);
    if (r.pos != len) {
        rc = fail(&r, "trailing characters");
        goto error;
    }
    *out = creds;
    return MON_OK;
error:
    mon__creds_free(creds);
    return rc;
}

const char *mon__creds_get(const struct mon__creds *creds, const char *name)
{
    if (!creds)
        return NULL;
    for (size_t i = 0; i < creds->count; i++)
        if (strcmp(creds->names[i], name) == 0)
            return creds->values[i];
    return NULL;
}

void mon__creds_free(struct mon__creds *creds)
{
    if (!creds)
        return;
    sodium_free(creds->arena);
    free(creds);
}
