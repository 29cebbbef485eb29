#ifndef MON_LIB_STORE_PRIV_H
#define MON_LIB_STORE_PRIV_H

/* What other modules of the library (audit, scheduler, connectors) need of
 * the store's connection. Never installed. */

#include "monitorage/store.h"

#include <libpq-fe.h>

/* A statement the store prepares on a connection the first time it runs there
 * (mon__store_exec_prepared): defined once, static, by the file that runs it. */
struct mon__stmt {
    const char *name; /* server-side name, unique in the library ("mon_endpoint_get") */
    const char *sql;
};

/* Most statements a connection keeps prepared. */
#define MON__STORE_PREPARED_MAX 16

struct mon_store {
    PGconn *conn;
    char *url;
    /* Prepared on the current connection; emptied when it is reset. */
    const struct mon__stmt *prepared[MON__STORE_PREPARED_MAX];
    size_t prepared_count;
};

/* Flags of mon__store_exec(). */
enum {
    /* The statement may run twice without harm (a read, or an idempotent
     * write): on a broken connection it is retried once after reconnecting. */
    MON__EXEC_RETRY = 1,
    /* Results in PostgreSQL's binary format (for large bytea values). */
    MON__EXEC_BINARY = 2
};

/*
 * The live connection, reconnecting once if it is broken; NULL with
 * MON_ECONN recorded when the database cannot be reached.
 */
PGconn *mon__store_conn(mon_store *store);

/*
 * Run a parameterized statement (text parameters; text results unless
 * MON__EXEC_BINARY). Returns the
 * result on PGRES_COMMAND_OK / PGRES_TUPLES_OK, else NULL with the error
 * recorded (mon__store_result_error) and its code in *rc. `what` names the
 * operation in messages ("insert endpoint").
 */
PGresult *mon__store_exec(mon_store *store, const char *what, const char *sql, int nparams,
                          const char *const *params, int flags, int *rc);

/*
 * mon__store_exec() of a prepared statement: prepared on the connection the
 * first time (PQprepare), then executed with PQexecPrepared (no parse or plan
 * per call). After a reconnect it is prepared again. Do not run DISCARD ALL or
 * DEALLOCATE on a store's connection.
 */
PGresult *mon__store_exec_prepared(mon_store *store, const char *what, const struct mon__stmt *stmt,
                                   int nparams, const char *const *params, int flags, int *rc);

/* Run a statement without parameters and discard its rows; MON_OK or an error code. */
int mon__store_command(mon_store *store, const char *what, const char *sql);

/*
 * The endpoints a list selects (mon_endpoint_filter, mon_overview_options):
 * $1 type, $2 enabled, $3 status of the latest check; a NULL parameter
 * matches anything, an endpoint never checked has status UNKNOWN.
 */
#define MON__SELECTION_FROM                                                                                  \
    " FROM endpoints e LEFT JOIN endpoint_status s ON s.endpoint_id = e.id"                                  \
    " WHERE ($1::endpoint_type IS NULL OR e.type = $1) AND ($2::boolean IS NULL OR e.enabled = $2)"          \
    " AND ($3::health_status IS NULL OR COALESCE(s.status, 'UNKNOWN') = $3)"

/*
 * Check a selection (type and status -1 or a name's value, enabled -1..1,
 * limit 1..limit_max, offset up to INT64_MAX; errors name <prefix>.<field>),
 * then write its parameters $1..$5 into params, limit and offset as text into
 * the two buffers.
 */
int mon__selection_params(const char *params[5], char limit_text[24], char offset_text[24],
                          const char *prefix, int type, int enabled, int status, size_t limit,
                          size_t limit_max, size_t offset);

/* How many endpoints the selection's params ($1..$3) match, for a page past
 * the end, which has no row to carry the total; MON_OK or an error code. */
int mon__selection_count(mon_store *store, const char *what, const char *const *params, size_t *total);

/*
 * JIT off (on = 0) or back to the server's setting (on = 1) for the session,
 * retried after a reconnect. Around queries that inline mon_rollup_window(),
 * whose estimates would turn JIT on at a cost above the query's.
 */
int mon__store_jit(mon_store *store, const char *what, int on);

/*
 * Map a failed result (or connection) to a library error and record it:
 * 23505 -> MON_EEXISTS, 23503 -> MON_ENOTFOUND, 22xxx/23514 -> MON_EINVAL,
 * 08xxx / broken connection -> MON_ECONN, 57014 -> MON_ETIMEOUT, 53100 (disk full) -> MON_EFULL,
 * other 53xxx (out of resources) -> MON_EBUSY, else MON_EDB.
 */
int mon__store_result_error(PGconn *conn, const PGresult *res, const char *what);

/* 1 if text is a UUID in 8-4-4-4-12 hex form (any case), else 0. */
int mon__uuid_valid(const char *text);

/* Shared by the latest status list and the overview (store_history.c, store_overview.c). */
struct mon__copybuf;

/*
 * Fill e from columns 0..9 of row: id, name, type, url, enabled, status,
 * status_code, latency_ms, error_message, checked_at. e's strings point into
 * res. MON_OK or MON_EDB for a value the library cannot read.
 */
int mon__status_entry_from_row(mon_status_entry *e, const PGresult *res, int row);

/* e's members as JSON text, without the braces, in mon_status_list_to_json()'s order and format. */
void mon__status_entry_json(struct mon__copybuf *b, const mon_status_entry *e);

/* (up + degraded) * 100 / (up + degraded + down), as mon_store_uptime() reports it; -1 when 0 checks. */
double mon__uptime_percent(int64_t up, int64_t degraded, int64_t down);

#endif
