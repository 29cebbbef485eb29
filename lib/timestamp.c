/* Public RFC 3339 helpers (timestamp.h): the internal ones with error details. */
#include "monitorage/timestamp.h"

#include "error_priv.h"
#include "timeutil.h"

_Static_assert(MON_TIME_TEXT_MAX >= MON__TIME_TEXT_MAX, "the public buffer size covers the internal one");

size_t mon_time_text_max(void)
{
    return MON_TIME_TEXT_MAX;
}

int mon_time_parse(mon_time *out, const char *text)
{
    if (!out || !text)
        return mon__error(MON_EINVAL, "time", "must not be NULL");
    if (mon__time_parse(out, text) != MON_OK)
        return mon__error(MON_EINVAL, "time", "not an RFC 3339 date-time (e.g. 2026-11-24T14:00:00Z)");
    return MON_OK;
}

int mon_time_format(char *out, size_t size, mon_time value)
{
    if (!out || size < MON_TIME_TEXT_MAX)
        return mon__error(MON_EINVAL, "out", "needs at least MON_TIME_TEXT_MAX (%d) bytes",
                          MON_TIME_TEXT_MAX);
    mon__time_format(out, value);
    return MON_OK;
}
