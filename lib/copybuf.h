#ifndef MON_LIB_COPYBUF_H
#define MON_LIB_COPYBUF_H

/* A growing buffer for PostgreSQL COPY text-format data (history batches,
 * audit batches) and for JSON text written directly (the status list). Once
 * an allocation fails, `failed` is set and further additions are ignored, so
 * callers check once before sending. Free data with free(). */

#include <stddef.h>

struct mon__copybuf {
    char *data;
    size_t len, cap;
    int failed;
};

void mon__copybuf_add(struct mon__copybuf *b, const char *bytes, size_t len);
void mon__copybuf_str(struct mon__copybuf *b, const char *text);

/* text with COPY's escapes for backslash, tab, newline and carriage return. */
void mon__copybuf_text(struct mon__copybuf *b, const char *text);

/* One field followed by sep ('\t' or '\n'); NULL is written as \N. */
void mon__copybuf_field(struct mon__copybuf *b, const char *value, char sep);

/* text as a JSON string literal, quotes included, escaped as Jansson's
 * json_dumps() does (", \\, control characters; UTF-8 copied as is). */
void mon__copybuf_json_string(struct mon__copybuf *b, const char *text);

/* value in decimal. */
void mon__copybuf_int(struct mon__copybuf *b, long long value);

/* A finite value as json_dumps() writes a real: "%.17g", ".0" added to an
 * integral value, the exponent without '+' or leading zeros, '.' whatever
 * the locale. */
void mon__copybuf_real(struct mon__copybuf *b, double value);

#endif
