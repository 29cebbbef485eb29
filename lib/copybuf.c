#include "copybuf.h"

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
