#include "store_priv.h"
#include "error_priv.h"
#include "migrations.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chosen once; every process that migrates takes the same lock. */
#define MIGRATION_LOCK_KEY 0x6d6f6e69746f72LL

/* libpq prints the server's NOTICE and WARNING messages ("relation already
 * exists, skipping" during migrations) to stderr; a library must not write
 * to its host's stderr, so they are dropped. Errors still reach the caller. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int mon_store_open(mon_store **out, const char *database_url)
{
    mon_store *store;
    char *parse_error = NULL;
    PQconninfoOption *options;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!database_url || !*database_url)
        return mon__error(MON_EINVAL, "database_url", "must be set (e.g. postgresql://user@host/db)");
    options = PQconninfoParse(database_url, &parse_error);
    if (!options) {
        /* libpq's parse messages may quote the URI, password included: keep
         * only the text before the first quote. */
        char reason[200];
        int rc;
        snprintf(reason, sizeof(reason), "%s", parse_error ? parse_error : "cannot parse");
        reason[strcspn(reason, "\"\n")] = '\0';
        for (size_t len = strlen(reason); len > 0 && strchr(": ", reason[len - 1]); len--)
            reason[len - 1] = '\0';
        rc = mon__error(MON_EINVAL, "database_url", "malformed: %s", reason);
        PQfreemem(parse_error);
        return rc;
    }
    PQconninfoFree(options);

    store = calloc(1, sizeof(*store));
    if (!store || !(store->url = strdup(database_url))) {
        free(store);
        return mon__error_nomem();
    }
    store->conn = PQconnectdb(database_url);
    /* Kept by PQreset: set once per PGconn. */
    PQsetNoticeProcessor(store->conn, ignore_notice, NULL);
    if (PQstatus(store->conn) != CONNECTION_OK) {
        int rc = mon__store_result_error(store->conn, NULL, "connect to database");
        mon_store_close(store);
        return rc;
    }
    *out = store;
    return MON_OK;
}

void mon_store_close(mon_store *store)
{
    if (!store)
        return;
    PQfinish(store->conn);
    free(store->url);
    free(store);
}

static PGconn *reconnect(mon_store *store)
{
    /* A new session: the statements prepared on the old one are gone. */
    store->prepared_count = 0;
    PQreset(store->conn);
    if (PQstatus(store->conn) == CONNECTION_OK)
        return store->conn;
    mon__store_result_error(store->conn, NULL, "reconnect to database");
    return NULL;
}

PGconn *mon__store_conn(mon_store *store)
{
    if (PQstatus(store->conn) == CONNECTION_OK)
        return store->conn;
    return reconnect(store);
}

static int connection_lost(PGconn *conn, const PGresult *res)
{
    const char *state;
    if (PQstatus(conn) != CONNECTION_OK)
        return 1;
    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* An error made by libpq itself has no SQLSTATE: after the server was
     * killed the first query fails with "server closed the connection
     * unexpectedly" while PQstatus still says CONNECTION_OK. */
    return !state || strncmp(state, "08", 2) == 0;
}

int mon__store_result_error(PGconn *conn, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char message[400];
    int code = MON_EDB;

    snprintf(message, sizeof(message), "%s", primary ? primary : PQerrorMessage(conn));
    message[strcspn(message, "\n")] = '\0';
    if (connection_lost(conn, res))
        code = MON_ECONN;
    else if (strcmp(state, "23505") == 0)
        code = MON_EEXISTS;
    else if (strcmp(state, "23503") == 0)
        code = MON_ENOTFOUND;
    else if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0)
        code = MON_EINVAL;
    else if (strcmp(state, "57014") == 0)
        code = MON_ETIMEOUT;
    else if (strcmp(state, "53100") == 0)
        code = MON_EFULL; /* disk full */
    else if (strncmp(state, "53", 2) == 0)
        code = MON_EBUSY; /* out of memory, connections or another resource */
    else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        code = MON_ECONN;
    return mon__error(code, NULL, "%s: %s", what, message);
}

/* Whether stmt is prepared on the current connection. */
static int is_prepared(const mon_store *store, const struct mon__stmt *stmt)
{
    for (size_t i = 0; i < store->prepared_count; i++)
        if (store->prepared[i] == stmt)
            return 1;
    return 0;
}

/* Prepare stmt on conn unless done; NULL, or the failed result. */
static PGresult *prepare(mon_store *store, PGconn *conn, const struct mon__stmt *stmt, int nparams)
{
    PGresult *res;

    if (is_prepared(store, stmt))
        return NULL;
    res = PQprepare(conn, stmt->name, stmt->sql, nparams, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return res;
    PQclear(res);
    store->prepared[store->prepared_count++] = stmt;
    return NULL;
}

/* One attempt: run sql, or stmt prepared. */
static PGresult *exec_once(mon_store *store, PGconn *conn, const char *sql, const struct mon__stmt *stmt,
                           int nparams, const char *const *params, int flags)
{
    int format = (flags & MON__EXEC_BINARY) ? 1 : 0;
    PGresult *res;

    /* Past the table's size (not reached by the library's statements) a
     * statement simply runs unprepared. */
    if (!stmt || (!is_prepared(store, stmt) && store->prepared_count == MON__STORE_PREPARED_MAX))
        return PQexecParams(conn, stmt ? stmt->sql : sql, nparams, NULL, params, NULL, NULL, format);
    if ((res = prepare(store, conn, stmt, nparams)) != NULL)
        return res;
    return PQexecPrepared(conn, stmt->name, nparams, params, NULL, NULL, format);
}

static PGresult *exec_retrying(mon_store *store, const char *what, const char *sql,
                               const struct mon__stmt *stmt, int nparams, const char *const *params,
                               int flags, int *rc)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *conn = mon__store_conn(store);
        PGresult *res;
        ExecStatusType st;

        if (!conn) {
            *rc = MON_ECONN;
            return NULL;
        }
        res = exec_once(store, conn, sql, stmt, nparams, params, flags);
        st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            *rc = MON_OK;
            return res;
        }
        if (attempt == 0 && (flags & MON__EXEC_RETRY) && connection_lost(conn, res)) {
            PQclear(res);
            /* libpq may not have marked the connection bad yet (see connection_lost). */
            if (PQstatus(conn) == CONNECTION_OK && !reconnect(store)) {
                *rc = MON_ECONN;
                return NULL;
            }
            continue;
        }
        *rc = mon__store_result_error(conn, res, what);
        PQclear(res);
        return NULL;
    }
    *rc = MON_ECONN;
    return NULL;
}

PGresult *mon__store_exec(mon_store *store, const char *what, const char *sql, int nparams,
                          const char *const *params, int flags, int *rc)
{
    return exec_retrying(store, what, sql, NULL, nparams, params, flags, rc);
}

PGresult *mon__store_exec_prepared(mon_store *store, const char *what, const struct mon__stmt *stmt,
                                   int nparams, const char *const *params, int flags, int *rc)
{
    return exec_retrying(store, what, NULL, stmt, nparams, params, flags, rc);
}

int mon__store_command(mon_store *store, const char *what, const char *sql)
{
    int rc;
    PGresult *res = mon__store_exec(store, what, sql, 0, NULL, 0, &rc);
    PQclear(res);
    return rc;
}

int mon__store_jit(mon_store *store, const char *what, int on)
{
    int rc;
    /* Safe to repeat, so retried on a new connection after a lost one (a
     * restarted database), unlike mon__store_command(). */
    PGresult *res =
        mon__store_exec(store, what, on ? "RESET jit" : "SET jit = off", 0, NULL, MON__EXEC_RETRY, &rc);
    PQclear(res);
    return rc;
}

int mon_store_ping(mon_store *store)
{
    int rc;
    PGresult *res;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    res = mon__store_exec(store, "ping database", "SELECT 1", 0, NULL, MON__EXEC_RETRY, &rc);
    PQclear(res);
    return rc;
}

size_t mon_store_migration_count(void) { return mon_migration_count; }

const char *mon_store_migration_name(size_t index)
{
    return index < mon_migration_count ? mon_migrations[index].name : NULL;
}

static const char *const create_ledger_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name TEXT PRIMARY KEY,"
    " applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())";

static int is_applied(mon_store *store, const char *name, int *applied)
{
    int rc;
    const char *params[] = {name};
    PGresult *res = mon__store_exec(store, "read schema_migrations",
                                    "SELECT 1 FROM schema_migrations WHERE name = $1", 1, params, 0, &rc);
    if (!res)
        return rc;
    *applied = PQntuples(res) > 0;
    PQclear(res);
    return MON_OK;
}

static int apply_one(mon_store *store, const struct mon_migration *migration)
{
    PGconn *conn = store->conn;
    PGresult *res;
    const char *params[] = {migration->name};
    char what[200];
    int rc;

    snprintf(what, sizeof(what), "migration %s", migration->name);
    if ((rc = mon__store_command(store, what, "BEGIN")) != MON_OK)
        return rc;
    /* A migration file may hold many statements: PQexec runs them all. */
    res = PQexec(conn, migration->sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = mon__store_result_error(conn, res, what);
        PQclear(res);
        PQclear(PQexec(conn, "ROLLBACK"));
        return rc;
    }
    PQclear(res);
    res = mon__store_exec(store, what, "INSERT INTO schema_migrations (name) VALUES ($1)", 1, params, 0, &rc);
    if (!res) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return rc;
    }
    PQclear(res);
    return mon__store_command(store, what, "COMMIT");
}

static int lock_migrations(mon_store *store, int lock)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT %s(%lld)", lock ? "pg_advisory_lock" : "pg_advisory_unlock",
             MIGRATION_LOCK_KEY);
    return mon__store_command(store, lock ? "lock migrations" : "unlock migrations", sql);
}

int mon_store_migrate(mon_store *store, int *applied)
{
    int rc, count = 0;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!mon__store_conn(store))
        return MON_ECONN;
    if ((rc = lock_migrations(store, 1)) != MON_OK)
        return rc;
    rc = mon__store_command(store, "create schema_migrations", create_ledger_sql);
    for (size_t i = 0; rc == MON_OK && i < mon_migration_count; i++) {
        int done = 0;
        rc = is_applied(store, mon_migrations[i].name, &done);
        if (rc == MON_OK && !done) {
            rc = apply_one(store, &mon_migrations[i]);
            if (rc == MON_OK)
                count++;
        }
    }
    {
        /* Keep the migration error, not the unlock's, in the thread's detail. */
        int unlock_rc = rc == MON_OK ? lock_migrations(store, 0) : (lock_migrations(store, 0), rc);
        if (rc == MON_OK)
            rc = unlock_rc;
    }
    if (applied)
        *applied = count;
    return rc;
}

int mon_store_migrations_pending(mon_store *store, int *pending)
{
    int rc, known = 0, unknown = 0;
    PGresult *res;

    if (!store || !pending)
        return mon__error(MON_EINVAL, store ? "pending" : "store", "must not be NULL");
    res = mon__store_exec(store, "read schema_migrations",
                          "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        PQclear(res);
        *pending = (int)mon_migration_count;
        return MON_OK;
    }
    PQclear(res);
    res = mon__store_exec(store, "read schema_migrations", "SELECT name FROM schema_migrations", 0, NULL,
                          MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    for (int row = 0; row < PQntuples(res); row++) {
        const char *name = PQgetvalue(res, row, 0);
        int found = 0;
        for (size_t i = 0; i < mon_migration_count && !found; i++)
            found = strcmp(mon_migrations[i].name, name) == 0;
        if (found)
            known++;
        else
            unknown++;
    }
    PQclear(res);
    if (unknown > 0)
        return mon__error(MON_EVERSION, NULL,
                          "the database has %d migration(s) this library does not know: upgrade the library",
                          unknown);
    *pending = (int)mon_migration_count - known;
    return MON_OK;
}

int mon__uuid_valid(const char *text)
{
    static const int dash_at[] = {8, 13, 18, 23};
    size_t d = 0;
    if (!text || strlen(text) != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (d < 4 && (int)i == dash_at[d]) {
            if (text[i] != '-')
                return 0;
            d++;
        } else if (!isxdigit((unsigned char)text[i])) {
            return 0;
        }
    }
    return 1;
}
