/* The checker's judgement of an answer: expected status, response conditions
 * (body_contains, json_equals / json_matches with JSON paths, header_*) and
 * the DEGRADED rules, through mon__check_judge_response() (no network).
 * Input: the endpoint's "conditions" JSON array, a NUL byte, then an HTTP/1.1
 * answer ("HTTP/1.1 200 OK\r\nName: value\r\n\r\nbody"). Invariants: the
 * status is UP, DEGRADED or DOWN; UP has no message; any other status has a
 * message without control characters (it reaches logs and the API). */
#include "fuzz.h"

#include "checker_priv.h"

#include <monitorage/monitorage.h>

#include <ctype.h>
#include <strings.h>

#define BODY_LIMIT 2048 /* a small body_limit, so that cut bodies are exercised */
#define HEADERS_MAX 32

struct answer {
    long status;
    size_t header_count;
    char *names[HEADERS_MAX], *values[HEADERS_MAX];
    char *body;
    size_t body_len;
    int truncated;
};

/* Like curl_easy_header(name, index 0): the first header of that name, any case. */
static const char *answer_header(void *payload, const char *name)
{
    const struct answer *an = payload;
    for (size_t i = 0; i < an->header_count; i++)
        if (strcasecmp(an->names[i], name) == 0)
            return an->values[i];
    return NULL;
}

/* Split text (modified in place) into status, headers and body. */
static void answer_parse(struct answer *an, char *text, size_t len)
{
    char *end = text + len, *line = text;
    memset(an, 0, sizeof(*an));
    for (int first = 1; line < end; first = 0) {
        char *eol = memchr(line, '\n', (size_t)(end - line));
        char *next = eol ? eol + 1 : end;
        if (!eol)
            eol = end;
        if (eol > line && eol[-1] == '\r')
            eol--;
        *eol = '\0';
        if (first) {
            const char *sp = strchr(line, ' ');
            an->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        } else if (!*line) {
            line = next;
            break;
        } else {
            char *colon = strchr(line, ':');
            if (colon && an->header_count < HEADERS_MAX) {
                *colon++ = '\0';
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                an->names[an->header_count] = line;
                an->values[an->header_count++] = colon;
            }
        }
        line = next;
    }
    an->body = line < end ? line : NULL;
    an->body_len = line < end ? (size_t)(end - line) : 0;
    if (an->body_len > BODY_LIMIT) {
        an->body_len = BODY_LIMIT;
        an->truncated = 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    size_t first = strlen(text);
    mon_endpoint *ep = NULL;
    struct mon__check_spec *spec;
    struct answer an;
    struct mon__verdict verdict;
    mon_check_result result;
    const mon_time now = 1795000000LL * 1000000LL;

    FUZZ_ASSERT(mon_endpoint_new(&ep) == MON_OK);
    FUZZ_ASSERT(mon_endpoint_set_name(ep, "fuzz") == MON_OK);
    FUZZ_ASSERT(mon_endpoint_set_url(ep, "https://example.com/health") == MON_OK);
    if (mon_endpoint_set_conditions_json(ep, text) != MON_OK)
        FUZZ_ASSERT(strcmp(mon_endpoint_get_conditions_json(ep), "[]") == 0);
    FUZZ_ASSERT((spec = mon__check_spec_new(ep)) != NULL);
    answer_parse(&an, first < size ? text + first + 1 : text + size, first < size ? size - first - 1 : 0);

    struct mon__response response = {an.status, an.body, an.body_len, an.truncated, answer_header, &an};
    memset(&result, 0, sizeof(result));
    result.latency_ms = (int)an.body_len;                                 /* over 2000 ms: DEGRADED */
    result.cert_expires_at = now + (mon_time)an.body_len * 86400000000LL; /* under 14 days: DEGRADED */
    mon__check_judge_response(&result, &verdict, spec, &response, now);

    FUZZ_ASSERT(result.status == MON_STATUS_UP || result.status == MON_STATUS_DEGRADED ||
                result.status == MON_STATUS_DOWN);
    if (result.status == MON_STATUS_UP) {
        FUZZ_ASSERT(result.error_message == NULL);
    } else {
        FUZZ_ASSERT(result.error_message == verdict.message);
        FUZZ_ASSERT(memchr(verdict.message, '\0', sizeof(verdict.message)) != NULL);
        FUZZ_ASSERT(*verdict.message != '\0');
        for (const char *p = verdict.message; *p; p++)
            FUZZ_ASSERT(!iscntrl((unsigned char)*p));
    }
    free(spec);
    mon_endpoint_free(ep);
    free(text);
    return 0;
}
