/**
 * @file timestamp.h
 * @brief RFC 3339 time stamps to and from mon_time (microseconds since the
 *        Unix epoch, UTC), as the library writes them in its JSON.
 *
 * Thread safety: both functions are reentrant (no shared state).
 */
#ifndef MONITORAGE_TIMESTAMP_H
#define MONITORAGE_TIMESTAMP_H

#include "common.h"
#include "endpoint.h"

MON_BEGIN_DECLS

/** Size of the buffer mon_time_format() needs, terminating NUL included. */
#define MON_TIME_TEXT_MAX 40

/** MON_TIME_TEXT_MAX, for FFI users. */
MON_EXTERN size_t mon_time_text_max(void);

/**
 * Parse an RFC 3339 date-time into *out: "2026-11-24T14:41:44Z",
 * "2026-11-24T14:41:44.123456+02:00" ('T', 't' or ' ' between date and time;
 * 'Z', 'z' or an offset; an optional fraction, truncated to microseconds).
 * Returns MON_OK, or MON_EINVAL (field "time"; the text is not quoted) for
 * NULL arguments or text that is not such a date-time.
 */
MON_EXTERN int mon_time_parse(mon_time *out, const char *text);

/**
 * Write value as "2026-11-24T14:41:44.123456Z" (UTC, six fraction digits)
 * into out, which holds size bytes. Returns MON_OK, or MON_EINVAL when out is
 * NULL or size is under MON_TIME_TEXT_MAX.
 */
MON_EXTERN int mon_time_format(char *out, size_t size, mon_time value);

MON_END_DECLS

#endif
