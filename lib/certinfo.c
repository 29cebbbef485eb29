/* Reading the server certificate from libcurl's CURLINFO_CERTINFO. */
#define _GNU_SOURCE /* timegm */
#include "certinfo.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *mon__cert_field(CURL *easy, const char *name)
{
    struct curl_certinfo *info = NULL;
    size_t len = strlen(name);
    if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &info) != CURLE_OK || !info || info->num_of_certs < 1)
        return NULL;
    for (struct curl_slist *item = info->certinfo[0]; item; item = item->next)
        if (strncmp(item->data, name, len) == 0 && item->data[len] == ':')
            return item->data + len + 1;
    return NULL;
}

static int month_index(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (strncmp(s, months + 3 * i, 3) == 0)
            return i;
    return -1;
}

mon_time mon__cert_date_parse(const char *text)
{
    struct tm tm = {0};
    char mon[4] = "";
    int used = 0;
    if (!text)
        return 0;
    while (*text == ' ')
        text++;
    if (sscanf(text, "%4d-%2d-%2d %2d:%2d:%2d GMT%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) == 6 &&
        used > 0) {
        tm.tm_mon -= 1;
    } else if (sscanf(text, "%3s %2d %2d:%2d:%2d %4d GMT%n", mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                      &tm.tm_sec, &tm.tm_year, &used) == 6 &&
               used > 0) {
        tm.tm_mon = month_index(mon);
    } else {
        return 0;
    }
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
        return 0;
    tm.tm_year -= 1900;
    time_t t = timegm(&tm);
    return t <= 0 ? 0 : (mon_time)t * 1000000;
}
