#ifndef MON_LIB_CERTINFO_H
#define MON_LIB_CERTINFO_H

/* The server certificate as libcurl reports it (CURLINFO_CERTINFO): read by
 * the checker (cert_expires_at) and the DOMAIN_HEALTH connector. Never installed. */

#include "monitorage/endpoint.h" /* mon_time */

#include <curl/curl.h>

/* The value of the leaf certificate's field name ("Expire date", "Subject")
 * of a transfer made with CURLOPT_CERTINFO: the text after "name:", borrowed
 * until the handle is reused or cleaned up; NULL when libcurl has none. */
const char *mon__cert_field(CURL *easy, const char *name);

/* Parse a certificate date as libcurl prints it ("Jan  2 03:04:05 2027 GMT" or
 * "2027-01-02 03:04:05 GMT", leading spaces allowed) into microseconds since
 * the epoch; 0 on failure or NULL. */
mon_time mon__cert_date_parse(const char *text);

#endif
