/**
 * @file store.h
 * @brief PostgreSQL store: connection, migrations, endpoints, health history,
 *        latest status, uptime and latency percentiles, retention.
 *
 * The store talks to PostgreSQL through libpq with parameterized queries
 * only. The schema's migrations are embedded in the library and applied by
 * mon_store_migrate(). A lost connection is re-established once per call
 * before MON_ECONN is returned.
 *
 * Thread safety: a mon_store is used by one thread at a time; distinct stores
 * (one per thread) are independent.
 */
#ifndef MONITORAGE_STORE_H
#define MONITORAGE_STORE_H

#include "common.h"
#include "endpoint.h"

MON_BEGIN_DECLS

/** A connection to the database (opaque). */
typedef struct mon_store mon_store;

/**
 * Connect to database_url (a libpq URI or key=value string, as DATABASE_URL).
 * Returns MON_OK, MON_EINVAL (malformed URL), MON_ECONN (unreachable; the
 * detail never contains the password) or MON_ENOMEM. Free with mon_store_close().
 */
MON_EXTERN int mon_store_open(mon_store **out, const char *database_url);

/** Close the connection and free the store. NULL is a no-op. */
MON_EXTERN void mon_store_close(mon_store *store);

/** Check the connection with a round trip (reconnecting once). */
MON_EXTERN int mon_store_ping(mon_store *store);

/**
 * Apply every embedded migration not yet recorded in schema_migrations, in
 * name order, each in its own transaction, under an advisory lock so that
 * concurrent processes migrate once. *applied (may be NULL) receives how many
 * ran. Running it again is a no-op. MON_EDB names the failing migration.
 */
MON_EXTERN int mon_store_migrate(mon_store *store, int *applied);

/**
 * Number of embedded migrations not yet applied to the database (0 when the
 * schema is current). MON_EVERSION if the database has migrations this
 * library does not know (it is older than the schema).
 */
MON_EXTERN int mon_store_migrations_pending(mon_store *store, int *pending);

/** Number of migrations embedded in this library; mon_store_migration_name(i) names them. */
MON_EXTERN size_t mon_store_migration_count(void);
/**
 * Name of the index-th embedded migration (name order), or NULL when index >=
 * mon_store_migration_count(). Static storage: never freed, always valid.
 */
MON_EXTERN const char *mon_store_migration_name(size_t index);

/* ---------------------------------------------------------------- endpoints */

/**
 * Insert ep. If ep has no id, one is generated; on success ep receives its
 * id, created_at and updated_at. MON_EINVAL if ep does not validate,
 * MON_EEXISTS if the id is taken.
 */
MON_EXTERN int mon_store_endpoint_create(mon_store *store, mon_endpoint *ep);

/** Read one endpoint. MON_EINVAL for a malformed UUID, MON_ENOTFOUND if absent. */
MON_EXTERN int mon_store_endpoint_get(mon_endpoint **out, mon_store *store, const char *id);

/**
 * Replace the stored endpoint that has ep's id with ep (all fields); ep
 * receives the new updated_at. MON_ENOTFOUND if absent.
 */
MON_EXTERN int mon_store_endpoint_update(mon_store *store, mon_endpoint *ep);

/** Delete an endpoint and its history. MON_ENOTFOUND if absent. */
MON_EXTERN int mon_store_endpoint_delete(mon_store *store, const char *id);

/** Options of mon_store_endpoint_list(). */
typedef struct mon_endpoint_filter {
    unsigned int version; /**< MON_ENDPOINT_FILTER_VERSION */
    int type;             /**< a mon_endpoint_type, or -1 for any */
    int enabled;          /**< 0, 1, or -1 for any */
    int status;           /**< a mon_status of the latest check, or -1 for any */
    size_t limit;         /**< page size, 1..1000 (default 100) */
    size_t offset;        /**< rows to skip */
} mon_endpoint_filter;

/** Current version of mon_endpoint_filter. */
#define MON_ENDPOINT_FILTER_VERSION 1
/** Static initialiser of a mon_endpoint_filter: any type, enabled and status; 100 rows from 0. */
#define MON_ENDPOINT_FILTER_INIT {MON_ENDPOINT_FILTER_VERSION, -1, -1, -1, 100, 0}

/** Initialise a filter like MON_ENDPOINT_FILTER_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_endpoint_filter_init(mon_endpoint_filter *filter, unsigned int version);

/** A page of endpoints (opaque). */
typedef struct mon_endpoint_list mon_endpoint_list;

/**
 * List endpoints ordered by name then id, filtered and paged by filter (NULL
 * for the defaults). Free with mon_endpoint_list_free().
 */
MON_EXTERN int mon_store_endpoint_list(mon_endpoint_list **out, mon_store *store,
                                       const mon_endpoint_filter *filter);
/** Number of endpoints in this page (0 for NULL). */
MON_EXTERN size_t mon_endpoint_list_count(const mon_endpoint_list *list);
/** Borrowed; valid until the list is freed. NULL when index is out of range. */
MON_EXTERN const mon_endpoint *mon_endpoint_list_at(const mon_endpoint_list *list, size_t index);
/** Number of endpoints matching the filter, ignoring limit and offset. */
MON_EXTERN size_t mon_endpoint_list_total(const mon_endpoint_list *list);
/** Free the list and every endpoint in it (borrowed pointers become invalid). NULL is a no-op. */
MON_EXTERN void mon_endpoint_list_free(mon_endpoint_list *list);

/* ------------------------------------------------------------------ history */

/** Health of one check (`health_status` enum in PostgreSQL). */
typedef enum mon_status {
    MON_STATUS_UP = 0,       /**< answered as expected, in time */
    MON_STATUS_DOWN = 1,     /**< no answer, or an unexpected one */
    MON_STATUS_DEGRADED = 2, /**< answered correctly but slowly, or certificate expiring */
    MON_STATUS_UNKNOWN = 3   /**< not checked, or the check could not be evaluated */
} mon_status;

/** "UP", "DOWN", "DEGRADED", "UNKNOWN"; NULL outside the enum. */
MON_EXTERN const char *mon_status_name(mon_status status);
/** Parse a status name (exact, upper case). MON_EINVAL otherwise. */
MON_EXTERN int mon_status_parse(mon_status *out, const char *name);

/** One check result to record. */
typedef struct mon_check_record {
    unsigned int version;      /**< MON_CHECK_RECORD_VERSION */
    char endpoint_id[37];      /**< UUID of the endpoint */
    mon_status status;         /**< health of the check */
    int status_code;           /**< HTTP status, 0 when there was no answer */
    int latency_ms;            /**< total time, -1 when unknown */
    const char *error_message; /**< NULL when none; borrowed by the call */
    mon_time checked_at;       /**< 0 for "now" */
    double dns_ms;             /**< phase timings in ms, -1 when unknown */
    double connect_ms;         /**< TCP connect time in ms, -1 when unknown */
    double tls_ms;             /**< TLS handshake time in ms, -1 when unknown */
    double ttfb_ms;            /**< time to first byte in ms, -1 when unknown */
} mon_check_record;

/** Current version of mon_check_record. */
#define MON_CHECK_RECORD_VERSION 1
/** Static initialiser of a mon_check_record: status UNKNOWN, unknown timings, checked "now". */
#define MON_CHECK_RECORD_INIT {MON_CHECK_RECORD_VERSION, {0}, MON_STATUS_UNKNOWN, 0, -1, NULL, 0, -1, -1, -1, -1}

/** Initialise a record like MON_CHECK_RECORD_INIT. */
MON_EXTERN int mon_check_record_init(mon_check_record *record, unsigned int version);

/**
 * Write count records in one batch (one COPY, one transaction): all or none.
 * Each record's endpoint must exist (MON_ENOTFOUND otherwise, nothing written).
 */
MON_EXTERN int mon_store_history_insert(mon_store *store, const mon_check_record *const *records,
                                        size_t count);

/** One row of health history, as read back. */
typedef struct mon_history_entry {
    unsigned int version; /**< MON_HISTORY_ENTRY_VERSION of the library that filled it */
    const char *id;       /**< UUID of the history row; borrowed, valid until the list is freed */
    const char *endpoint_id; /**< UUID of the endpoint; borrowed, valid until the list is freed */
    mon_status status;    /**< health of the check */
    int status_code;      /**< 0 when NULL */
    int latency_ms;       /**< -1 when NULL */
    const char *error_message; /**< NULL when none */
    mon_time checked_at;  /**< when the check ran */
    double dns_ms, connect_ms, tls_ms, ttfb_ms; /**< -1 when unknown */
} mon_history_entry;
/** @var mon_history_entry::dns_ms
 *  DNS resolution time in ms, -1 when unknown. */
/** @var mon_history_entry::connect_ms
 *  TCP connect time in ms, -1 when unknown. */
/** @var mon_history_entry::tls_ms
 *  TLS handshake time in ms, -1 when unknown. */
/** @var mon_history_entry::ttfb_ms
 *  Time to first byte in ms, -1 when unknown. */
/** Current version of mon_history_entry. */
#define MON_HISTORY_ENTRY_VERSION 1

/** A list of history rows (opaque). */
typedef struct mon_history_list mon_history_list;

/**
 * History of one endpoint with from <= checked_at < to (0 for open ends),
 * newest first, at most limit rows (1..10000).
 */
MON_EXTERN int mon_store_history(mon_history_list **out, mon_store *store, const char *endpoint_id,
                                 mon_time from, mon_time to, size_t limit);
/** Number of rows in the list (0 for NULL). */
MON_EXTERN size_t mon_history_list_count(const mon_history_list *list);
/** Borrowed; valid until the list is freed. NULL when index is out of range. */
MON_EXTERN const mon_history_entry *mon_history_list_at(const mon_history_list *list, size_t index);
/** The list as a JSON array into *out (free with mon_free()). */
MON_EXTERN int mon_history_list_to_json(char **out, const mon_history_list *list);
/** Free the list; entries and their strings become invalid. NULL is a no-op. */
MON_EXTERN void mon_history_list_free(mon_history_list *list);

/** Latest status of one endpoint. */
typedef struct mon_status_entry {
    unsigned int version; /**< MON_STATUS_ENTRY_VERSION */
    const char *endpoint_id; /**< UUID; borrowed, valid until the list is freed */
    const char *name;     /**< endpoint name; borrowed, valid until the list is freed */
    mon_endpoint_type type; /**< endpoint type */
    const char *url;      /**< endpoint URL; borrowed, valid until the list is freed */
    int enabled;          /**< 1 if the endpoint is enabled, else 0 */
    mon_status status;    /**< MON_STATUS_UNKNOWN when never checked */
    int status_code;      /**< 0 when none */
    int latency_ms;       /**< -1 when none */
    const char *error_message; /**< NULL when none */
    mon_time last_check;  /**< 0 when never checked */
} mon_status_entry;
/** Current version of mon_status_entry. */
#define MON_STATUS_ENTRY_VERSION 1

/** A list of latest statuses (opaque). */
typedef struct mon_status_list mon_status_list;

/**
 * Latest status of every endpoint, ordered by name then id. Free with
 * mon_status_list_free(). MON_ECONN or MON_EDB on database errors.
 */
MON_EXTERN int mon_store_status_list(mon_status_list **out, mon_store *store);
/** Number of entries in the list (0 for NULL). */
MON_EXTERN size_t mon_status_list_count(const mon_status_list *list);
/** Borrowed; valid until the list is freed. NULL when index is out of range. */
MON_EXTERN const mon_status_entry *mon_status_list_at(const mon_status_list *list, size_t index);
/**
 * The list as a JSON array into *out (free with mon_free()). MON_EINVAL for a
 * NULL list, MON_ENOMEM.
 */
MON_EXTERN int mon_status_list_to_json(char **out, const mon_status_list *list);
/** Free the list; entries and their strings become invalid. NULL is a no-op. */
MON_EXTERN void mon_status_list_free(mon_status_list *list);

/** Availability and latency of one endpoint over a window ending now. */
typedef struct mon_uptime_entry {
    unsigned int version; /**< MON_UPTIME_ENTRY_VERSION */
    const char *endpoint_id; /**< UUID; borrowed, valid until the list is freed */
    int64_t window_seconds; /**< length of the window, as requested */
    int64_t checks, up, degraded, down, unknown; /**< check counts in the window, total then per status */
    double uptime_percent; /**< (up + degraded) / (checks - unknown) * 100; -1 when no checks */
    double p50_ms, p95_ms, p99_ms; /**< latency percentiles; -1 when no latency */
} mon_uptime_entry;
/** @var mon_uptime_entry::checks
 *  Number of checks in the window. */
/** @var mon_uptime_entry::up
 *  Checks in the window that were UP. */
/** @var mon_uptime_entry::degraded
 *  Checks in the window that were DEGRADED. */
/** @var mon_uptime_entry::down
 *  Checks in the window that were DOWN. */
/** @var mon_uptime_entry::unknown
 *  Checks in the window that were UNKNOWN. */
/** @var mon_uptime_entry::p50_ms
 *  Median latency in ms; -1 when no latency. */
/** @var mon_uptime_entry::p95_ms
 *  95th percentile latency in ms; -1 when no latency. */
/** @var mon_uptime_entry::p99_ms
 *  99th percentile latency in ms; -1 when no latency. */
/** Current version of mon_uptime_entry. */
#define MON_UPTIME_ENTRY_VERSION 1

/** A list of uptime entries (opaque). */
typedef struct mon_uptime_list mon_uptime_list;

/**
 * Uptime and latency percentiles over the last window_seconds (60..31 days,
 * else MON_EINVAL) for one endpoint (endpoint_id; MON_ENOTFOUND if absent) or
 * every endpoint (NULL), ordered by name then id. Windows under 2 hours are
 * exact (raw rows); longer ones come from hourly rollups, start at the top of
 * the hour containing now - window, and give percentiles within 4.9 % of the
 * exact nearest-rank value (docs/store.md). Free with mon_uptime_list_free().
 */
MON_EXTERN int mon_store_uptime(mon_uptime_list **out, mon_store *store, const char *endpoint_id,
                                int64_t window_seconds);
/** Number of entries in the list (0 for NULL). */
MON_EXTERN size_t mon_uptime_list_count(const mon_uptime_list *list);
/** Borrowed; valid until the list is freed. NULL when index is out of range. */
MON_EXTERN const mon_uptime_entry *mon_uptime_list_at(const mon_uptime_list *list, size_t index);
/**
 * The list as a JSON array into *out (free with mon_free()). MON_EINVAL for a
 * NULL list, MON_ENOMEM.
 */
MON_EXTERN int mon_uptime_list_to_json(char **out, const mon_uptime_list *list);
/** Free the list; entries and their strings become invalid. NULL is a no-op. */
MON_EXTERN void mon_uptime_list_free(mon_uptime_list *list);

/** Options of mon_store_status_overview(). */
typedef struct mon_overview_options {
    unsigned int version; /**< MON_OVERVIEW_OPTIONS_VERSION */
    int type;             /**< a mon_endpoint_type, or -1 for any */
    int enabled;          /**< 0, 1, or -1 for any */
    int status;           /**< a mon_status of the latest check (UNKNOWN when never checked), or -1 for any */
    size_t limit;         /**< page size, 1..10000 (default 1000) */
    size_t offset;        /**< rows to skip */
    size_t recent;        /**< latest checks per endpoint for the sparkline, 0..60 (default 30) */
} mon_overview_options;

/** Current version of mon_overview_options. */
#define MON_OVERVIEW_OPTIONS_VERSION 1
/** Static initialiser of a mon_overview_options: no filter, 1000 rows from 0, 30 recent checks. */
#define MON_OVERVIEW_OPTIONS_INIT {MON_OVERVIEW_OPTIONS_VERSION, -1, -1, -1, 1000, 0, 30}

/** Initialise options like MON_OVERVIEW_OPTIONS_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_overview_options_init(mon_overview_options *options, unsigned int version);

/**
 * Everything a dashboard's overview shows, in one query: a page of endpoints
 * (ordered by name then id, filtered and paged by options; NULL for the
 * defaults) as the JSON object
 * `{"items":[...],"total":N,"limit":L,"offset":O,"recent":R}` into *out
 * (free with mon_free()). Each item has the members of
 * mon_status_list_to_json() plus `uptime_24h_percent` (exactly what
 * mon_store_uptime() reports for a window of 86400 s, from the hourly
 * rollups including the current hour; null when no counted check) and
 * `recent_latency_ms` / `recent_status`: the latency (null when unknown) and
 * status of the endpoint's latest `recent` checks, oldest first. `total` counts
 * the endpoints matching the filter, ignoring limit and offset.
 * Errors: MON_EINVAL (NULL out or store, an option out of range; the detail
 * names it), MON_EVERSION (unknown options version), MON_ECONN, MON_EDB,
 * MON_ENOMEM; *out is NULL on error. Thread safety: as every store call, one
 * thread at a time per store.
 */
MON_EXTERN int mon_store_status_overview(char **out, mon_store *store, const mon_overview_options *options);

/**
 * Delete health history older than older_than_seconds (at least one day,
 * else MON_EINVAL) in batches of 10,000 rows, each its own transaction, then
 * the hourly rollups of hours that ended before the cutoff, then the finished
 * (sent, failed, skipped; never pending) notification outbox rows created
 * before it, in the same batches (docs/store.md, docs/notifications.md).
 * *deleted (may be NULL) receives the number of history rows removed.
 */
MON_EXTERN int mon_store_retention_apply(mon_store *store, int64_t older_than_seconds, int64_t *deleted);

MON_END_DECLS

#endif
