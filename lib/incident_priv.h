#ifndef MON_LIB_INCIDENT_PRIV_H
#define MON_LIB_INCIDENT_PRIV_H

/* Shared by the incident files (incidents and policies, maintenance windows). Never installed. */

#include "monitorage/incident.h"

#include <libpq-fe.h>

/* A timestamptz column as RFC 3339 UTC text with microseconds. */
#define MON__INCIDENT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Check that id is a UUID (MON_EINVAL naming field) and an endpoint's id (MON_ENOTFOUND naming field). */
int mon__incident_endpoint_check(mon_store *store, const char *id, const char *field);

/* The first cell of a one-row result, duplicated into *out (MON_ENOMEM). */
int mon__incident_text(char **out, const PGresult *res);

#endif
