/* The operator's input to incidents and maintenance windows, parsed
 * without a database: the incident list cursor, incident policies (global
 * and per endpoint) and maintenance windows (lib/incident.c,
 * lib/maintenance.c; the time zone lookup and the endpoint check, which
 * need PostgreSQL, are left out). Input: a mode byte (0 cursor, 1 global
 * policy, 2 endpoint policy, 3 maintenance window) and the text.
 * Invariants: a cursor that parses is exactly "<micros>.<uuid>"; a policy
 * gives one in-range value per field given; a window that validates has a
 * name of 1 to 100 characters without control characters, exactly one of
 * endpoint_id and endpoint_type, and either a once window with times that
 * read back to themselves and end after they start, or a weekly window
 * with distinct weekdays 1 to 7, a time HH:MM:SS, a duration of 60 s to
 * 7 days and a time zone of 1 to 64 bytes. Every refusal has a message. */
#include "fuzz.h"

#include "incident_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <monitorage/monitorage.h>

static void check_cursor(const char *text)
{
    char micros[24], id[37], joined[64];

    if (mon__incident_cursor_parse(text, micros, id) != MON_OK) {
        FUZZ_ASSERT(*mon_error_last() != '\0');
        return;
    }
    FUZZ_ASSERT(strlen(micros) >= 1 && strlen(micros) <= 20 && mon__uuid_valid(id) && strlen(id) == 36);
    FUZZ_ASSERT(strspn(micros + (micros[0] == '-'), "0123456789") == strlen(micros + (micros[0] == '-')));
    snprintf(joined, sizeof(joined), "%s.%s", micros, id);
    FUZZ_ASSERT(strcmp(joined, text) == 0);
}

static void check_policy(const char *text, int global)
{
    static const int min[MON__INCIDENT_POLICY_FIELDS] = {1, 1, 2, 60};
    static const int max[MON__INCIDENT_POLICY_FIELDS] = {100, 100, 1000, 86400};
    int set[MON__INCIDENT_POLICY_FIELDS] = {0}, given = 0;
    char value[MON__INCIDENT_POLICY_FIELDS][12];
    json_t *root = NULL;

    if (mon__incident_policy_parse(&root, set, value, text, global) != MON_OK) {
        FUZZ_ASSERT(*mon_error_last() != '\0');
        json_decref(root);
        return;
    }
    FUZZ_ASSERT(json_is_object(root));
    for (int i = 0; i < MON__INCIDENT_POLICY_FIELDS; i++) {
        if (!set[i])
            continue;
        given++;
        if (value[i][0] == '\0') {
            FUZZ_ASSERT(!global);
            continue;
        }
        char *end;
        long v = strtol(value[i], &end, 10);
        FUZZ_ASSERT(*end == '\0' && v >= min[i] && v <= max[i]);
    }
    FUZZ_ASSERT((size_t)given == json_object_size(root));
    json_decref(root);
}

/* text was written by mon__time_format() and reads back to itself; its value into *value. */
static void check_time_text(const char *text, mon_time *value)
{
    char again[MON__TIME_TEXT_MAX];
    FUZZ_ASSERT(mon__time_parse(value, text) == MON_OK);
    mon__time_format(again, *value);
    FUZZ_ASSERT(strcmp(again, text) == 0);
}

static void check_weekly(const struct mon__window *w)
{
    int seen[8] = {0}, h, m, s, n = 0;
    const char *p = w->weekdays;
    char *end;

    FUZZ_ASSERT(!w->starts_at[0] && !w->ends_at[0]);
    FUZZ_ASSERT(*p++ == '{');
    do {
        long day = strtol(p, &end, 10);
        FUZZ_ASSERT(end != p && day >= 1 && day <= 7 && !seen[day]++);
        n++;
        p = end;
    } while (*p++ == ',');
    FUZZ_ASSERT(p[-1] == '}' && *p == '\0' && n >= 1 && n <= 7);
    FUZZ_ASSERT(strlen(w->start_time) == 8 && sscanf(w->start_time, "%2d:%2d:%2d", &h, &m, &s) == 3);
    FUZZ_ASSERT(h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 59);
    long duration = strtol(w->duration_s, &end, 10);
    FUZZ_ASSERT(*end == '\0' && duration >= 60 && duration <= 604800);
    FUZZ_ASSERT(w->time_zone && *w->time_zone && strlen(w->time_zone) <= 64);
}

static void check_window(const char *text)
{
    struct mon__window w;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    mon_time starts, ends;
    size_t chars = 0;

    if (mon__maintenance_parse(&w, obj) != MON_OK) {
        FUZZ_ASSERT(*mon_error_last() != '\0');
        json_decref(obj);
        return;
    }
    for (const unsigned char *c = (const unsigned char *)w.name; *c; c++) {
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
        chars += (*c & 0xC0) != 0x80;
    }
    FUZZ_ASSERT(chars >= 1 && chars <= 100);
    FUZZ_ASSERT(!w.endpoint_id != !w.endpoint_type);
    if (strcmp(w.kind, "once") == 0) {
        FUZZ_ASSERT(!w.weekdays[0] && !w.start_time[0] && !w.duration_s[0] && !w.time_zone);
        check_time_text(w.starts_at, &starts);
        check_time_text(w.ends_at, &ends);
        FUZZ_ASSERT(starts < ends);
    } else {
        FUZZ_ASSERT(strcmp(w.kind, "weekly") == 0);
        check_weekly(&w);
    }
    json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    text = fuzz_text(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        check_cursor(text);
        break;
    case 1:
    case 2:
        check_policy(text, data[0] % 4 == 1);
        break;
    default:
        check_window(text);
        break;
    }
    free(text);
    return 0;
}
