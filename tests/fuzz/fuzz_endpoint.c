/* Endpoint JSON: parsing, validation, PATCH and the JSON round trip.
 * Input: an endpoint JSON document, optionally followed by a NUL byte and a
 * PATCH document. Invariants: whatever parses validates, writes back as
 * JSON that parses to the same JSON, duplicates identically, and a refused
 * PATCH leaves the endpoint unchanged. */
#include "fuzz.h"

#include <monitorage/monitorage.h>

static char *to_json(const mon_endpoint *ep)
{
    char *json = NULL;
    FUZZ_ASSERT(mon_endpoint_to_json(&json, ep) == MON_OK && json);
    return json;
}

/* ep validates and survives to_json -> from_json -> to_json unchanged. */
static void check_round_trip(const mon_endpoint *ep)
{
    mon_endpoint *back = NULL, *copy = NULL;
    char *json = to_json(ep), *again, *copied;

    FUZZ_ASSERT(mon_endpoint_validate(ep) == MON_OK);
    FUZZ_ASSERT(mon_endpoint_from_json(&back, json) == MON_OK);
    again = to_json(back);
    FUZZ_ASSERT(strcmp(json, again) == 0);
    FUZZ_ASSERT(mon_endpoint_dup(&copy, ep) == MON_OK);
    copied = to_json(copy);
    FUZZ_ASSERT(strcmp(json, copied) == 0);
    mon_free(json);
    mon_free(again);
    mon_free(copied);
    mon_endpoint_free(back);
    mon_endpoint_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    size_t first = strlen(text);
    const char *patch = first < size ? text + first + 1 : NULL;
    mon_endpoint *ep = NULL;

    if (mon_endpoint_from_json(&ep, text) == MON_OK) {
        check_round_trip(ep);
        if (patch) {
            char *before = to_json(ep), *after;
            int rc = mon_endpoint_patch_json(ep, patch);
            after = to_json(ep);
            if (rc == MON_OK)
                check_round_trip(ep);
            else
                FUZZ_ASSERT(strcmp(before, after) == 0);
            mon_free(before);
            mon_free(after);
        }
    } else {
        FUZZ_ASSERT(ep == NULL);
        FUZZ_ASSERT(*mon_error_last() != '\0');
    }
    mon_endpoint_free(ep);
    free(text);
    return 0;
}
