#include "copybuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mon__copybuf_add(struct mon__copybuf *b, const char *bytes, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *data;
        while (cap < b->len + len)
            cap *= 2;
        if (!(data = realloc(b->data, cap))) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

void mon__copybuf_str(struct mon__copybuf *b, const char *text)
{
    mon__copybuf_add(b, text, strlen(text));
}

void mon__copybuf_text(struct mon__copybuf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        size_t run = strcspn(p, "\\\t\n\r");
        mon__copybuf_add(b, p, run);
        p += run;
        if (!*p)
            break;
        mon__copybuf_str(b, *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : "\\r");
    }
}

void mon__copybuf_field(struct mon__copybuf *b, const char *value, char sep)
{
    if (value)
        mon__copybuf_text(b, value);
    else
        mon__copybuf_add(b, "\\N", 2);
    mon__copybuf_add(b, &sep, 1);
}

void mon__copybuf_json_string(struct mon__copybuf *b, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    mon__copybuf_add(b, "\"", 1);
    for (;;) {
        const unsigned char *run = p;
        char esc[8];

        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        mon__copybuf_add(b, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        switch (*p) {
        case '"':
            mon__copybuf_add(b, "\\\"", 2);
            break;
        case '\\':
            mon__copybuf_add(b, "\\\\", 2);
            break;
        case '\b':
            mon__copybuf_add(b, "\\b", 2);
            break;
        case '\f':
            mon__copybuf_add(b, "\\f", 2);
            break;
        case '\n':
            mon__copybuf_add(b, "\\n", 2);
            break;
        case '\r':
            mon__copybuf_add(b, "\\r", 2);
            break;
        case '\t':
            mon__copybuf_add(b, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04X", (unsigned int)*p);
            mon__copybuf_add(b, esc, 6);
        }
        p++;
    }
    mon__copybuf_add(b, "\"", 1);
}

void mon__copybuf_int(struct mon__copybuf *b, long long value)
{
    char digits[24], *end = digits + sizeof(digits), *p = end;
    unsigned long long v = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;

    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (value < 0)
        *--p = '-';
    mon__copybuf_add(b, p, (size_t)(end - p));
}

void mon__copybuf_real(struct mon__copybuf *b, double value)
{
    char raw[40], text[40], *e;
    int len = snprintf(raw, sizeof(raw), "%.17g", value), point = 0;

    if (len < 0 || (size_t)len >= sizeof(raw)) {
        b->failed = 1;
        return;
    }
    /* The locale's decimal point (a program may have set LC_NUMERIC; it may
     * take several bytes) becomes '.'. */
    len = 0;
    for (const char *c = raw; *c; c++) {
        if (strchr("0123456789+-e", *c))
            text[len++] = *c;
        else if (!point)
            text[len++] = '.';
        point = point || !strchr("0123456789+-e", *c);
    }
    text[len] = '\0';
    if (!strpbrk(text, ".e")) {
        mon__copybuf_add(b, text, (size_t)len);
        mon__copybuf_add(b, ".0", 2);
        return;
    }
    if ((e = strchr(text, 'e')) != NULL) {
        char *digits = e + 1 + (e[1] == '-' || e[1] == '+');
        size_t zeros = strspn(digits, "0");
        mon__copybuf_add(b, text, (size_t)(e - text) + 1);
        if (e[1] == '-')
            mon__copybuf_add(b, "-", 1);
        mon__copybuf_str(b, digits + (digits[zeros] ? zeros : zeros - 1));
        return;
    }
    mon__copybuf_add(b, text, (size_t)len);
}
