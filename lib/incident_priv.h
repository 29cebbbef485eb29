#ifndef MON_LIB_INCIDENT_PRIV_H
#define MON_LIB_INCIDENT_PRIV_H

/* Shared by the incident files (incidents and policies, maintenance windows). Never installed. */

#include "monitorage/incident.h"

#include <libpq-fe.h>

/* A timestamptz column as RFC 3339 UTC text with microseconds. */
#define MON__INCIDENT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Check that id is a UUID (MON_EINVAL naming field) and an endpoint's id (MON_ENOTFOUND naming field). */
int mon__incident_endpoint_check(mon_store *store, const char *id, const char *field);

/*
 * Append the audit row of a change: action on target with parameters_json
 * (may be NULL), by actor (NULL: "system"), result from rc. On failure (rc
 * != MON_OK) the caller's error detail is kept. Returns rc when it is an
 * error, else the append's code.
 */
int mon__incident_audit(mon_store *store, const mon_audit_entry *actor, const char *action,
                        const char *target, const char *parameters_json, int rc);

/* The first cell of a one-row result, duplicated into *out (MON_ENOMEM). */
int mon__incident_text(char **out, const PGresult *res);

#endif
