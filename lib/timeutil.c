#include "timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define USEC_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Read exactly n decimal digits; -1 if any is missing. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

int mon__time_parse(mon_time *out, const char *text)
{
    const char *p = text;
    int year, month, day, hour, minute, second, usec = 0, offset = 0;

    if (!text || !out)
        return MON_EINVAL;
    if ((year = digits(&p, 4)) < 0 || *p++ != '-' || (month = digits(&p, 2)) < 0 || *p++ != '-' ||
        (day = digits(&p, 2)) < 0)
        return MON_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return MON_EINVAL;
    p++;
    if ((hour = digits(&p, 2)) < 0 || *p++ != ':' || (minute = digits(&p, 2)) < 0 || *p++ != ':' ||
        (second = digits(&p, 2)) < 0)
        return MON_EINVAL;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return MON_EINVAL;
    if (*p == '.') {
        int n = 0;
        p++;
        if (*p < '0' || *p > '9')
            return MON_EINVAL;
        /* Digits beyond the microsecond are dropped (truncation, as PostgreSQL rounds only on input). */
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 6)
                usec = usec * 10 + (*p - '0');
        for (; n < 6; n++)
            usec *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if ((oh = digits(&p, 2)) < 0)
            return MON_EINVAL;
        if (*p == ':') {
            p++;
            if ((om = digits(&p, 2)) < 0)
                return MON_EINVAL;
        } else if (*p >= '0' && *p <= '9') {
            if ((om = digits(&p, 2)) < 0)
                return MON_EINVAL;
        }
        if (oh > 23 || om > 59)
            return MON_EINVAL;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return MON_EINVAL;
    }
    if (*p != '\0')
        return MON_EINVAL;

    int64_t secs =
        days_from_civil(year, month, day) * SEC_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    *out = secs * USEC_PER_SEC + usec;
    return MON_OK;
}

void mon__time_format(char out[MON__TIME_TEXT_MAX], mon_time value)
{
    int64_t usec = value % USEC_PER_SEC, secs = value / USEC_PER_SEC;
    if (usec < 0) {
        usec += USEC_PER_SEC;
        secs--;
    }
    int64_t days = secs / SEC_PER_DAY, rem = secs % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days--;
    }
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    /* Formatted at full width first: the compiler cannot see that every part is in range. */
    char text[128];
    snprintf(text, sizeof(text), "%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ", (long long)year, month, day,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)usec);
    size_t n = strlen(text);
    if (n >= MON__TIME_TEXT_MAX)
        n = MON__TIME_TEXT_MAX - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

mon_time mon__time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (mon_time)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}
