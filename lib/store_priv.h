#ifndef MON_LIB_STORE_PRIV_H
#define MON_LIB_STORE_PRIV_H

/* What other modules of the library (audit, scheduler, connectors) need of
 * the store's connection. Never installed. */

#include "monitorage/store.h"

#include <libpq-fe.h>

struct mon_store {
    PGconn *conn;
    char *url;
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

/* Run a statement without parameters and discard its rows; MON_OK or an error code. */
int mon__store_command(mon_store *store, const char *what, const char *sql);

/*
 * Map a failed result (or connection) to a library error and record it:
 * 23505 -> MON_EEXISTS, 23503 -> MON_ENOTFOUND, 22xxx/23514 -> MON_EINVAL,
 * 08xxx / broken connection -> MON_ECONN, 57014 -> MON_ETIMEOUT, else MON_EDB.
 */
int mon__store_result_error(PGconn *conn, const PGresult *res, const char *what);

/* 1 if text is a UUID in 8-4-4-4-12 hex form (any case), else 0. */
int mon__uuid_valid(const char *text);

#endif
