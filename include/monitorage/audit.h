/**
 * @file audit.h
 * @brief Audit log: who did what to which target, append-only and tamper-evident.
 *
 * Every entry is a row of the seed's `action_logs` table (action, target,
 * user id, e-mail, roles, IP address, user agent, parameters, result, error
 * message, time). Rows are chained: each carries a sequence number, the hash
 * of the previous row and its own hash (BLAKE2b-256, libsodium
 * crypto_generichash) over a canonical encoding of all its fields, assigned
 * in commit order under a database lock so concurrent writers never fork the
 * chain. The database refuses UPDATE, DELETE and TRUNCATE on the table;
 * mon_audit_verify() walks the chain and reports the first broken link.
 * Retention is an explicit operation that is itself audited. The model and
 * the canonical encoding are specified in docs/audit.md.
 *
 * The server, the connectors and any embedding program append with the same
 * call, mon_audit_append().
 *
 * Thread safety: functions taking a mon_store follow the store's rule (one
 * thread at a time per store; use one store per thread to append
 * concurrently). Lists and reports are independent objects.
 */
#ifndef MONITORAGE_AUDIT_H
#define MONITORAGE_AUDIT_H

#include "common.h"
#include "endpoint.h"
#include "store.h"

MON_BEGIN_DECLS

#define MON_AUDIT_ACTION_MAX 50       /**< characters, as VARCHAR(50) */
#define MON_AUDIT_TARGET_MAX 100      /**< characters, as VARCHAR(100) */
#define MON_AUDIT_USER_ID_MAX 100     /**< characters, as VARCHAR(100) */
#define MON_AUDIT_USER_EMAIL_MAX 255  /**< characters, as VARCHAR(255) */
#define MON_AUDIT_IP_MAX 45           /**< characters, as VARCHAR(45) */
#define MON_AUDIT_TEXT_MAX 8192       /**< characters of user_agent and error_message */
#define MON_AUDIT_JSON_MAX 65536      /**< bytes of roles or parameters, as stored */
#define MON_AUDIT_ID_SIZE 37          /**< a UUID as text plus its NUL */
#define MON_AUDIT_HASH_HEX_SIZE 65    /**< a 32-byte hash in hex plus its NUL */

/** The action that mon_audit_retention_apply() records; refused by mon_audit_append(). */
#define MON_AUDIT_RETENTION_ACTION "audit.retention"

/** Result of an audited action (`action_result` enum in PostgreSQL). */
typedef enum mon_audit_result {
    MON_AUDIT_SUCCESS = 0, /**< the action succeeded */
    MON_AUDIT_FAILURE = 1  /**< the action failed (see error_message) */
} mon_audit_result;

/** "SUCCESS" or "FAILURE"; NULL outside the enum. */
MON_EXTERN const char *mon_audit_result_name(mon_audit_result result);

/** Parse "SUCCESS" or "FAILURE" (exact). MON_EINVAL otherwise. */
MON_EXTERN int mon_audit_result_parse(mon_audit_result *out, const char *name);

/**
 * One entry to append. Strings are UTF-8 and borrowed by the call only.
 * Required (non-empty): action, target, user_id, user_email. Optional (NULL):
 * user_roles_json (default "[]": a JSON array of strings), ip_address (an
 * IPv4 or IPv6 address in text form), user_agent, parameters_json (default
 * "{}": a JSON object; secret-looking keys are redacted before storage, see
 * mon_audit_redact_json()), error_message.
 */
typedef struct mon_audit_entry {
    unsigned int version;        /**< MON_AUDIT_ENTRY_VERSION */
    const char *action;          /**< what was done, e.g. "endpoint.update" (<= 50 chars) */
    const char *target;          /**< on what, e.g. an endpoint id (<= 100 chars) */
    const char *user_id;         /**< who (<= 100 chars) */
    const char *user_email;      /**< who, e-mail (<= 255 chars) */
    const char *user_roles_json; /**< JSON array of strings, or NULL for [] */
    const char *ip_address;      /**< client address, or NULL */
    const char *user_agent;      /**< client user agent, or NULL */
    const char *parameters_json; /**< JSON object, or NULL for {} */
    mon_audit_result result;     /**< MON_AUDIT_SUCCESS or MON_AUDIT_FAILURE */
    const char *error_message;   /**< why it failed, or NULL */
} mon_audit_entry;

/** Current version of mon_audit_entry. */
#define MON_AUDIT_ENTRY_VERSION 1
/** Static initialiser of a mon_audit_entry: every string NULL, result MON_AUDIT_SUCCESS. */
#define MON_AUDIT_ENTRY_INIT \
    {MON_AUDIT_ENTRY_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, MON_AUDIT_SUCCESS, NULL}

/** Initialise an entry like MON_AUDIT_ENTRY_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_audit_entry_init(mon_audit_entry *entry, unsigned int version);

/**
 * Validate entry, redact its parameters and append it at the end of the
 * chain, in its own transaction. The time stamp is the database's clock read
 * under the chain lock, so time order and chain order agree. id_out (may be
 * NULL) receives the new row's UUID (MON_AUDIT_ID_SIZE bytes).
 * Returns MON_OK, MON_EINVAL (detail names the field: missing, too long, not
 * UTF-8, bad IP address, roles not an array of strings, parameters not a JSON
 * object, reserved action), MON_EVERSION (entry version), MON_ECONN, MON_EDB.
 * On any error nothing is written.
 */
MON_EXTERN int mon_audit_append(char *id_out, mon_store *store, const mon_audit_entry *entry);

/**
 * Append count entries in one transaction, consecutive in the chain: all or
 * none (the first invalid entry is named in the detail as "entries[i].field").
 * For importers and tests; count is 1..100000.
 */
MON_EXTERN int mon_audit_append_many(mon_store *store, const mon_audit_entry *const *entries, size_t count);

/**
 * Redact a JSON value: at any depth, the value of every object key that
 * contains (case-insensitive, ignoring '-' and '_') password, passwd,
 * passphrase, secret, token, apikey, credential, authorization, bearer,
 * privatekey, cookie or session is replaced by the string "[REDACTED]".
 * *out receives compact JSON with sorted keys (free with mon_free()).
 * MON_EINVAL (field "parameters") if json is not valid JSON.
 */
MON_EXTERN int mon_audit_redact_json(char **out, const char *json);

/* ----------------------------------------------------------------- query */

/** Options of mon_audit_query(). Strings are borrowed by the call only. */
typedef struct mon_audit_filter {
    unsigned int version; /**< MON_AUDIT_FILTER_VERSION */
    const char *user_id;  /**< exact match, or NULL for any */
    const char *action;   /**< exact match, or NULL for any */
    const char *target;   /**< exact match, or NULL for any */
    int result;           /**< a mon_audit_result, or -1 for any */
    mon_time from;        /**< from <= created_at; 0 for no lower bound */
    mon_time to;          /**< created_at < to; 0 for no upper bound */
    size_t limit;         /**< page size, 1..1000 (default 100) */
    const char *cursor;   /**< NULL for the first page, else mon_audit_list_next_cursor() */
} mon_audit_filter;

/** Current version of mon_audit_filter. */
#define MON_AUDIT_FILTER_VERSION 1
/** Static initialiser of a mon_audit_filter: no condition, 100 rows, first page. */
#define MON_AUDIT_FILTER_INIT {MON_AUDIT_FILTER_VERSION, NULL, NULL, NULL, -1, 0, 0, 100, NULL}

/** Initialise a filter like MON_AUDIT_FILTER_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_audit_filter_init(mon_audit_filter *filter, unsigned int version);

/** One stored row, as read back. Strings are borrowed from the list that holds it. */
typedef struct mon_audit_row {
    unsigned int version;        /**< MON_AUDIT_ROW_VERSION of the library that filled it */
    const char *id;              /**< UUID */
    int64_t seq;                 /**< position in the chain; -1 for a row outside it */
    const char *action;          /**< what was done */
    const char *target;          /**< on what */
    const char *user_id;         /**< who */
    const char *user_email;      /**< who, e-mail */
    const char *user_roles_json; /**< JSON array ("[]" when NULL in the database) */
    const char *ip_address;      /**< NULL when none */
    const char *user_agent;      /**< NULL when none */
    const char *parameters_json; /**< JSON object, redacted ("{}" when NULL in the database) */
    mon_audit_result result;     /**< MON_AUDIT_SUCCESS or MON_AUDIT_FAILURE */
    const char *error_message;   /**< NULL when none */
    mon_time created_at;         /**< when the row was appended (database clock) */
    const char *prev_hash_hex;   /**< 64 hex digits, NULL for a row outside the chain */
    const char *row_hash_hex;    /**< 64 hex digits, NULL for a row outside the chain */
} mon_audit_row;

/** Current version of mon_audit_row. */
#define MON_AUDIT_ROW_VERSION 1

/** A page of audit rows (opaque). */
typedef struct mon_audit_list mon_audit_list;

/**
 * Rows matching filter (NULL for the defaults), newest first (created_at,
 * then id, descending), at most filter->limit of them. Keyset paging: pass
 * mon_audit_list_next_cursor() as filter->cursor for the next page; pages
 * stay consistent while rows are appended. MON_EINVAL for a bad filter or
 * cursor (detail names the field). Free with mon_audit_list_free().
 */
MON_EXTERN int mon_audit_query(mon_audit_list **out, mon_store *store, const mon_audit_filter *filter);
/** Number of rows in this page (0 for NULL). */
MON_EXTERN size_t mon_audit_list_count(const mon_audit_list *list);
/** Borrowed; valid until the list is freed. NULL when index is out of range. */
MON_EXTERN const mon_audit_row *mon_audit_list_at(const mon_audit_list *list, size_t index);
/** Cursor of the next page (borrowed, valid until the list is freed), or NULL on the last page. */
MON_EXTERN const char *mon_audit_list_next_cursor(const mon_audit_list *list);
/**
 * The page as a JSON object {"items": [...], "next_cursor": "..." or null}
 * into *out (free with mon_free()); roles and parameters are embedded JSON.
 */
MON_EXTERN int mon_audit_list_to_json(char **out, const mon_audit_list *list);
/** Release a list. NULL is a no-op. */
MON_EXTERN void mon_audit_list_free(mon_audit_list *list);

/* ---------------------------------------------------------------- verify */

/** Why the chain is broken at a row. */
typedef enum mon_audit_break {
    MON_AUDIT_INTACT = 0,    /**< no break found */
    MON_AUDIT_EDITED = 1,    /**< the row's content or position differs from what was hashed */
    MON_AUDIT_DELETED = 2,   /**< rows are missing before this row (gap, or an unanchored start) */
    MON_AUDIT_INSERTED = 3,  /**< the row was not appended through the chain */
    MON_AUDIT_REORDERED = 4  /**< the row was moved: it links to a row placed after it */
} mon_audit_break;

/** "intact", "edited", "deleted", "inserted", "reordered"; NULL outside the enum. */
MON_EXTERN const char *mon_audit_break_name(mon_audit_break reason);

/** What mon_audit_verify() found. */
typedef struct mon_audit_verify_report {
    unsigned int version;       /**< MON_AUDIT_VERIFY_REPORT_VERSION, set by the caller */
    int ok;                     /**< 1 when the chain is intact */
    int64_t rows_checked;       /**< chained rows whose hash and link were checked */
    int64_t legacy_rows;        /**< rows written before the chain existed (not covered) */
    int64_t first_seq;          /**< first chained row (0 when none) */
    int64_t last_seq;           /**< head of the chain (0 when none) */
    char last_hash[MON_AUDIT_HASH_HEX_SIZE]; /**< head's hash, to keep outside the database */
    mon_audit_break reason;     /**< MON_AUDIT_INTACT when ok */
    char broken_id[MON_AUDIT_ID_SIZE]; /**< UUID of the first broken row, "" when ok */
    int64_t broken_seq;         /**< its seq (-1 for a row outside the chain, 0 when ok) */
    double elapsed_ms;          /**< wall time of the walk */
} mon_audit_verify_report;

/** Current version of mon_audit_verify_report. */
#define MON_AUDIT_VERIFY_REPORT_VERSION 1
/** Static initialiser of a mon_audit_verify_report, all counts and strings empty. */
#define MON_AUDIT_VERIFY_REPORT_INIT {MON_AUDIT_VERIFY_REPORT_VERSION, 0, 0, 0, 0, 0, {0}, MON_AUDIT_INTACT, {0}, 0, 0}

/** Initialise a report like MON_AUDIT_VERIFY_REPORT_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_audit_verify_report_init(mon_audit_verify_report *report, unsigned int version);

/**
 * Walk the whole chain in seq order in one read-only snapshot, through a
 * cursor fetched 10,000 rows at a time (memory stays bounded whatever the
 * length), recomputing each row's hash and checking its link to the
 * previous row, then look for rows outside the chain. Fills *report (whose
 * version the caller set). A broken chain is not an error: the call returns
 * MON_OK with report->ok = 0 and the first broken row. Returns MON_EVERSION,
 * MON_ECONN or MON_EDB otherwise. The walk does not block appends; rows
 * appended after it started are not covered.
 */
MON_EXTERN int mon_audit_verify(mon_audit_verify_report *report, mon_store *store);

/** The report as a JSON object into *out (free with mon_free()). */
MON_EXTERN int mon_audit_verify_report_to_json(char **out, const mon_audit_verify_report *report);

/* ------------------------------------------------------------- retention */

/**
 * Remove the oldest rows: every row of the chain before the first one
 * created at or after (now - older_than_seconds), in one transaction, and
 * append a MON_AUDIT_RETENTION_ACTION row recording who did it (actor's
 * user fields; its action, target, parameters and result are ignored), how
 * many rows went and the hash of the last removed row, which anchors the
 * rest of the chain for mon_audit_verify(). older_than_seconds >= 0 (0
 * removes every row present). *removed (may be NULL) receives the count.
 * MON_EINVAL for a bad actor or age.
 */
MON_EXTERN int mon_audit_retention_apply(int64_t *removed, mon_store *store, const mon_audit_entry *actor,
                                         int64_t older_than_seconds);

MON_END_DECLS

#endif
