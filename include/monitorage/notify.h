/**
 * @file notify.h
 * @brief Notifications of incidents: rules (which events of which endpoints
 *        go where), the outbox every notification waits in, and the
 *        dispatcher that delivers it to a signed webhook, a Jira issue or a
 *        GLPI ticket.
 *
 * Every incident event (an incident opened or resolved, table
 * incident_events of migration 007) is copied by the database, in the
 * transaction that records it, into one outbox row per matching enabled
 * rule (migration 008). A row exists once per (event, rule), whatever the
 * number of replicas, and survives restarts. mon_notify_dispatch() claims
 * due rows (FOR UPDATE SKIP LOCKED plus a lease), delivers them and records
 * the outcome; failures are retried with exponential backoff up to a
 * maximum number of attempts, then the row is marked "failed".
 *
 * Guarantee (docs/notifications.md): each notification is recorded as sent
 * exactly once. On the wire it is sent at least once: a dispatcher that dies
 * (or stalls past its lease) after sending and before recording lets another
 * one send it again after the lease, with the same X-Monitorage-Delivery
 * header, which receivers use to drop duplicates.
 *
 * Rules as JSON (input of create/update, output of get/list):
 * {"name": 1..100 chars, "enabled": bool (default true),
 *  "endpoint_id": UUID or null, "endpoint_type": "APIM"|"DOMAIN"|"TALEND" or
 *  null (not both; neither means every endpoint),
 *  "channel": "webhook"|"jira"|"glpi",
 *  "events": non-empty subset of ["opened","resolved"] (default both),
 *  and the block named after the channel:
 *  "webhook": {"url": http(s) URL, "timeout_ms": 100..60000 (default 5000),
 *              "secret": 16..512 bytes, write-only},
 *  "jira": {"project_key", "issue_type", "priority": strings (default: the
 *           connector's options), "labels": [strings],
 *           "resolve_transition": transition or status name (default "Done";
 *           "" only comments)},
 *  "glpi": {"type": 1|2 (default 1), "urgency", "impact": 1..5,
 *           "priority": 1..6, "solve": bool (default true)}}.
 * Output adds "id", "created_at", "updated_at" and, for webhooks,
 * "secret_set" inside the webhook block; the secret itself is never output.
 *
 * Thread safety: functions taking a mon_store follow the store's rule (one
 * thread at a time per store). A notifier is used by one thread at a time;
 * several notifiers (each with its own store and registry) may dispatch the
 * same outbox concurrently, in one process or many.
 */
#ifndef MONITORAGE_NOTIFY_H
#define MONITORAGE_NOTIFY_H

#include "audit.h"
#include "common.h"
#include "connector.h"
#include "secret.h"
#include "store.h"

MON_BEGIN_DECLS

/* ------------------------------------------------------------------ rules */

/**
 * Create a rule from rule_json (see the file comment). The webhook secret
 * is encrypted with key (MON_EKEY when key is NULL). actor (may be NULL:
 * the system) supplies the user fields of the audit row written for the
 * change, success or failure; its action, target, parameters and result are
 * ignored; a refused change (bad JSON, unknown id...) is audited too, as a
 * failure. *out (may be NULL) receives the stored rule as JSON (free with
 * mon_free()). MON_EINVAL naming the field ("webhook.url", "events[1]"),
 * MON_EEXISTS for a taken name, MON_ENOTFOUND for an unknown endpoint_id,
 * MON_ECONN, MON_EDB.
 */
MON_EXTERN int mon_notify_rule_create(char **out, mon_store *store, const mon_secret_key *key,
                                      const char *rule_json, const mon_audit_entry *actor);

/**
 * Change rule id with changes_json: the fields given replace the stored
 * ones; a channel block is merged key by key into the stored one (so the
 * secret may be left out to keep it) unless the channel changes, when the
 * new block is complete. Audited like create. MON_ENOTFOUND for an unknown
 * id; other errors as create.
 */
MON_EXTERN int mon_notify_rule_update(char **out, mon_store *store, const mon_secret_key *key, const char *id,
                                      const char *changes_json, const mon_audit_entry *actor);

/**
 * Delete rule id and its outbox rows (pending notifications are dropped).
 * Audited. MON_ENOTFOUND for an unknown id.
 */
MON_EXTERN int mon_notify_rule_delete(mon_store *store, const char *id, const mon_audit_entry *actor);

/** Rule id as JSON into *out (free with mon_free()). MON_ENOTFOUND for an unknown id. */
MON_EXTERN int mon_notify_rule_get_json(char **out, mon_store *store, const char *id);

/** Every rule as a JSON array ordered by name into *out (free with mon_free()). */
MON_EXTERN int mon_notify_rule_list_json(char **out, mon_store *store);

/* ----------------------------------------------------------------- outbox */

/**
 * Outbox rows, newest first, as a JSON array of {"id", "event_id",
 * "event", "rule_id", "rule_name", "channel", "incident_id", "endpoint_id",
 * "status" ("pending"|"sent"|"failed"|"skipped"), "attempts",
 * "next_attempt_at", "sent_at", "response_status", "ticket_key",
 * "last_error", "created_at"}. status and incident_id filter when not
 * NULL; limit is 1..1000. MON_EINVAL naming the bad filter.
 */
MON_EXTERN int mon_notify_outbox_json(char **out, mon_store *store, const char *status,
                                      const char *incident_id, size_t limit);

/* ------------------------------------------------------------- dispatcher */

/** Options of a notifier. */
typedef struct mon_notify_options {
    unsigned int version; /**< MON_NOTIFY_OPTIONS_VERSION */
    const char *owner;    /**< lease owner name (copied); NULL: "<host>:<pid>" */
    int batch;            /**< rows claimed per dispatch, 1..1000 (default 20) */
    /**
     * Lease of a claim in ms beyond the channel's timeout (default 30000,
     * 1000..3600000): a row claimed by a dispatcher that dies is delivered
     * by another one once the lease has run out.
     */
    int lease_ms;
    int backoff_base_ms; /**< first retry delay, doubled each attempt (default 10000, 10..3600000) */
    int backoff_max_ms;  /**< longest retry delay (default 3600000, >= backoff_base_ms) */
    int max_attempts;    /**< attempts before a row is "failed" (default 10, 1..100) */
} mon_notify_options;

/** Current version of mon_notify_options. */
#define MON_NOTIFY_OPTIONS_VERSION 1
/** Static initialiser of mon_notify_options with the defaults. */
#define MON_NOTIFY_OPTIONS_INIT                                                                              \
    {                                                                                                        \
        MON_NOTIFY_OPTIONS_VERSION, NULL, 20, 30000, 10000, 3600000, 10                                      \
    }

/** Initialise options like MON_NOTIFY_OPTIONS_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_notify_options_init(mon_notify_options *opts, unsigned int version);

/** What one mon_notify_dispatch() call did. */
typedef struct mon_notify_stats {
    unsigned int version; /**< MON_NOTIFY_STATS_VERSION, set by the caller */
    int claimed;          /**< rows claimed */
    int sent;             /**< delivered and recorded as sent */
    int retried;          /**< failed, scheduled again with backoff */
    int failed;           /**< failed for good (a permanent error, or the last attempt) */
    int skipped;          /**< nothing to do (a resolve without an opened ticket) */
    int deferred;         /**< a resolve waiting for its ticket to be opened first */
    int lost;             /**< outcome not recorded: the lease ran out and another dispatcher claimed it */
} mon_notify_stats;

/** Current version of mon_notify_stats. */
#define MON_NOTIFY_STATS_VERSION 1
/** Static initialiser of mon_notify_stats (all zero). */
#define MON_NOTIFY_STATS_INIT                                                                                \
    {                                                                                                        \
        MON_NOTIFY_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0                                                        \
    }

/** A dispatcher (opaque). */
typedef struct mon_notifier mon_notifier;

/**
 * Create a dispatcher. store, reg (for Jira and GLPI, may be NULL: such
 * rows then fail and are retried) and key (for webhook secrets, may be
 * NULL likewise) are borrowed and must outlive it; reg may use the same
 * store. opts may be NULL for the defaults. MON_EINVAL naming a bad option,
 * MON_EVERSION. Free with mon_notifier_free().
 */
MON_EXTERN int mon_notifier_new(mon_notifier **out, mon_store *store, mon_connectors *reg,
                                const mon_secret_key *key, const mon_notify_options *opts);

/** The lease owner name. Borrowed, valid until the notifier is freed. */
MON_EXTERN const char *mon_notifier_owner(const mon_notifier *n);

/** Free a dispatcher. NULL is a no-op. */
MON_EXTERN void mon_notifier_free(mon_notifier *n);

/**
 * One pass: claim up to opts.batch due rows, deliver each (webhook POST
 * with X-Monitorage-Signature / X-Monitorage-Delivery; Jira or GLPI ticket
 * opened, commented and closed through reg, each ticket operation written to
 * the audit log), record each outcome. Blocks for the deliveries (each
 * bounded by its timeout). stats (may be NULL; its version set by the
 * caller) receives the counts. Delivery failures are not errors of the
 * call (they are recorded on the rows); returns MON_ECONN / MON_EDB when the
 * database fails, MON_EVERSION for stats.
 */
MON_EXTERN int mon_notify_dispatch(mon_notify_stats *stats, mon_notifier *n);

MON_END_DECLS

#endif
