#ifndef MON_LIB_TIMEUTIL_H
#define MON_LIB_TIMEUTIL_H

/* RFC 3339 time stamps <-> mon_time (microseconds since the Unix epoch, UTC).
 * Used by the endpoint model (JSON) and the store (timestamptz read as text). */

#include "monitorage/endpoint.h"
#include "monitorage/error.h"

/* Size of the buffer mon__time_format() writes, NUL included. */
#define MON__TIME_TEXT_MAX 40

/*
 * Parse an RFC 3339 date-time into *out: "2026-11-24T14:41:44Z",
 * "2026-11-24T14:41:44.123456+02:00"; 't'/'T'/' ' between date and time,
 * 'Z'/'z' or a +hh:mm / -hh:mm / +hh / +hhmm offset, an optional fraction
 * (digits beyond microseconds are truncated). PostgreSQL's text output of a
 * timestamptz ("2026-11-24 14:41:44.123456+00") parses too.
 * Returns MON_OK, or MON_EINVAL without recording an error detail (the caller
 * knows which field it parsed and records it).
 */
int mon__time_parse(mon_time *out, const char *text);

/* Write value as "2026-11-24T14:41:44.123456Z" (UTC, always 6 fraction digits). */
void mon__time_format(char out[MON__TIME_TEXT_MAX], mon_time value);

/* The current time (CLOCK_REALTIME) in microseconds. */
mon_time mon__time_now(void);

#endif
