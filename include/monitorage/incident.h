/**
 * @file incident.h
 * @brief Incidents (an endpoint down, or flapping, for a while), their
 *        thresholds, and maintenance windows that silence them.
 *
 * Incidents are opened and resolved by the database itself, in the
 * transaction that records the check results (a trigger on health_history,
 * migration 007), whoever writes them: scheduler replicas, check-now, plain
 * SQL. Every change writes an event (incident_events) that the notifier
 * (notify.h) turns into notifications. The rules (docs/incidents.md):
 *  - a DOWN result is failing; UP and DEGRADED are not; UNKNOWN is ignored;
 *  - down_threshold consecutive DOWN results open a "down" incident, and
 *    up_threshold consecutive non-failing results resolve it;
 *  - flap_transitions changes between failing and not failing within
 *    flap_window_s seconds make one "flapping" incident (an open "down"
 *    incident becomes "flapping"), resolved once up_threshold results are
 *    not failing and no change happened in the last window;
 *  - results older than the newest one counted, and results inside a
 *    maintenance window, are not counted; the latter are recorded as such.
 *
 * Everything crosses the API as JSON text (free strings with mon_free()).
 * Incident JSON: {"id", "endpoint_id", "endpoint_name", "kind": "down" |
 * "flapping", "state": "open" | "resolved", "started_at", "resolved_at"
 * (null while open), "first_error", "failed_checks", "last_status",
 * "ticket_refs": [...]}; times are RFC 3339 UTC.
 *
 * Mutating calls take an actor: the user fields (user_id, user_email,
 * user_roles_json, ip_address, user_agent) of the audit row written for the
 * change, success or failure; NULL (or no user_id) is the user "system".
 * The actor's action, target, parameters and result are ignored.
 *
 * Thread safety: functions taking a mon_store follow the store's rule (one
 * thread at a time per store).
 */
#ifndef MONITORAGE_INCIDENT_H
#define MONITORAGE_INCIDENT_H

#include "audit.h"
#include "common.h"
#include "store.h"

MON_BEGIN_DECLS

/* -------------------------------------------------------------- incidents */

/** Options of mon_incident_list_json(). Strings are borrowed by the call only. */
typedef struct mon_incident_filter {
    unsigned int version;    /**< MON_INCIDENT_FILTER_VERSION */
    const char *endpoint_id; /**< one endpoint's incidents, or NULL for all */
    int open;                /**< 1 open only, 0 resolved only, -1 both */
    mon_time from;           /**< from <= started_at; 0 for no lower bound */
    mon_time to;             /**< started_at < to; 0 for no upper bound */
    size_t limit;            /**< page size, 1..1000 (default 100) */
    const char *cursor;      /**< NULL for the first page, else the "next_cursor" of the previous page */
} mon_incident_filter;

/** Current version of mon_incident_filter. */
#define MON_INCIDENT_FILTER_VERSION 1
/** Static initialiser of a mon_incident_filter: every incident, 100 per page, first page. */
#define MON_INCIDENT_FILTER_INIT                                                                             \
    {                                                                                                        \
        MON_INCIDENT_FILTER_VERSION, NULL, -1, 0, 0, 100, NULL                                               \
    }

/** Initialise a filter like MON_INCIDENT_FILTER_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_incident_filter_init(mon_incident_filter *filter, unsigned int version);

/**
 * A page of incidents, newest started first (keyset paging: stable while
 * incidents are added), into *out as {"incidents": [incident JSON...],
 * "next_cursor": string, or null on the last page}. filter NULL: the
 * defaults. MON_EINVAL naming the field (endpoint_id not a UUID, limit,
 * open, cursor malformed, to before from), MON_ENOTFOUND ("endpoint_id")
 * when endpoint_id names no endpoint, MON_ECONN, MON_EDB.
 */
MON_EXTERN int mon_incident_list_json(char **out, mon_store *store, const mon_incident_filter *filter);

/**
 * One incident as JSON into *out, with "events": [{"id", "kind": "opened" |
 * "resolved", "occurred_at"}] in order. MON_EINVAL ("id") for a malformed
 * UUID, MON_ENOTFOUND when absent.
 */
MON_EXTERN int mon_incident_get_json(char **out, mon_store *store, const char *id);

/* --------------------------------------------------------------- policies */

/**
 * The thresholds in force for endpoint_id (NULL: the global defaults) as
 * {"endpoint_id": id or null, "down_threshold", "up_threshold",
 * "flap_transitions", "flap_window_s", and for an endpoint "overrides":
 * {the fields its own policy sets}}. MON_EINVAL ("endpoint_id"),
 * MON_ENOTFOUND for an unknown endpoint.
 */
MON_EXTERN int mon_incident_policy_get_json(char **out, mon_store *store, const char *endpoint_id);

/**
 * Change the thresholds of endpoint_id (NULL: the global defaults) with
 * policy_json, an object with any of "down_threshold" (1..100),
 * "up_threshold" (1..100), "flap_transitions" (2..1000), "flap_window_s"
 * (60..86400); fields not given are kept, and for an endpoint null removes
 * its override (the global value applies again). Takes effect from the next
 * result counted. *out (may be NULL) receives the policy as
 * mon_incident_policy_get_json() gives it. Audited ("incident_policy.set").
 * MON_EINVAL naming the field, MON_ENOTFOUND ("endpoint_id").
 */
MON_EXTERN int mon_incident_policy_set(char **out, mon_store *store, const char *endpoint_id,
                                       const char *policy_json, const mon_audit_entry *actor);

/* ---------------------------------------------------- maintenance windows */

/*
 * Maintenance window JSON: {"name": 1..100 characters, exactly one of
 * "endpoint_id": UUID or "endpoint_type": "APIM" | "DOMAIN" | "TALEND",
 * "kind": "once" | "weekly", for "once": "starts_at", "ends_at" (RFC 3339,
 * ends_at after starts_at); for "weekly": "weekdays": non-empty array of
 * ISO weekdays (1 = Monday .. 7 = Sunday, or "mon" .. "sun"), "start_time":
 * "HH:MM" or "HH:MM:SS" local time, "duration_s": 60..604800, "time_zone":
 * an IANA name ("Europe/Paris")}. Output adds "id", "created_at",
 * "updated_at" and "active" (whether now is inside the window); weekdays
 * are output as numbers.
 */

/**
 * Create a maintenance window from window_json (see above). *out (may be
 * NULL) receives it as stored. Audited ("maintenance_window.create").
 * MON_EINVAL naming the field ("weekdays[2]", "time_zone", "ends_at"),
 * MON_ENOTFOUND ("endpoint_id") for an unknown endpoint, MON_ECONN, MON_EDB.
 */
MON_EXTERN int mon_maintenance_create(char **out, mon_store *store, const char *window_json,
                                      const mon_audit_entry *actor);

/** One window as JSON. MON_EINVAL ("id") for a malformed UUID, MON_ENOTFOUND when absent. */
MON_EXTERN int mon_maintenance_get_json(char **out, mon_store *store, const char *id);

/**
 * Every window (endpoint_id NULL) or those of one endpoint (its own and
 * those of its type), ordered by name then id, as a JSON array. MON_EINVAL
 * ("endpoint_id"), MON_ENOTFOUND for an unknown endpoint.
 */
MON_EXTERN int mon_maintenance_list_json(char **out, mon_store *store, const char *endpoint_id);

/**
 * Change window id with changes_json: the fields given replace the stored
 * ones (null removes one; changing "kind" drops the other kind's fields,
 * giving endpoint_type drops endpoint_id and the reverse), then the result
 * is validated as by create. Audited ("maintenance_window.update").
 * MON_ENOTFOUND for an unknown id; other errors as create.
 */
MON_EXTERN int mon_maintenance_update(char **out, mon_store *store, const char *id, const char *changes_json,
                                      const mon_audit_entry *actor);

/**
 * Delete window id (checks already recorded in it stay marked). Audited
 * ("maintenance_window.delete"). MON_EINVAL ("id"), MON_ENOTFOUND.
 */
MON_EXTERN int mon_maintenance_delete(mon_store *store, const char *id, const mon_audit_entry *actor);

MON_END_DECLS

#endif
