#ifndef MON_LIB_INCIDENT_PRIV_H
#define MON_LIB_INCIDENT_PRIV_H

/* Shared by the incident files (incidents and policies, maintenance windows). Never installed. */

#include "monitorage/incident.h"
#include "timeutil.h"

#include <jansson.h>
#include <libpq-fe.h>

/* A timestamptz column as RFC 3339 UTC text with microseconds. */
#define MON__INCIDENT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Check that id is a UUID (MON_EINVAL naming field) and an endpoint's id (MON_ENOTFOUND naming field). */
int mon__incident_endpoint_check(mon_store *store, const char *id, const char *field);

/* The first cell of a one-row result, duplicated into *out (MON_ENOMEM). */
int mon__incident_text(char **out, const PGresult *res);

/* The parsers of the operator's input, without the database (tests/fuzz/fuzz_incident.c drives them). */

/* A list cursor "<started_at in microseconds>.<id>" into micros and id (MON_EINVAL naming cursor). */
int mon__incident_cursor_parse(const char *cursor, char micros[24], char id[37]);

/* Number of fields of a policy: down_threshold, up_threshold, flap_transitions, flap_window_s. */
#define MON__INCIDENT_POLICY_FIELDS 4

/* Read policy_json into set[i] (1 for each field given; the caller zeroes set) and value[i]
 * (decimal text, "" for null) in the order above; global refuses null. *root receives the parsed JSON (or
 * NULL): the caller frees it, even on error. */
int mon__incident_policy_parse(json_t **root, int set[MON__INCIDENT_POLICY_FIELDS], char value[][12],
                               const char *policy_json, int global);

/* A validated maintenance window, as SQL parameters. Strings borrow from the JSON object. */
struct mon__window {
    const char *name, *endpoint_id, *endpoint_type, *kind, *time_zone;
    char starts_at[MON__TIME_TEXT_MAX], ends_at[MON__TIME_TEXT_MAX];
    char weekdays[32];   /* "{1,3,5}" */
    char start_time[40]; /* "HH:MM:SS" */
    char duration_s[16];
};

/* Validate the window object obj into w, first removing its null members (null = absent); errors
 * name the field. Not checked here (they need the database): that the time zone is one PostgreSQL
 * knows and that endpoint_id is an endpoint's. */
int mon__maintenance_parse(struct mon__window *w, json_t *obj);

#endif
