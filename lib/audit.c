/* Audit log: append in chain order (lock, head, hash, write, commit) and retention. */
#include "audit_priv.h"
#include "connectors/connectors_priv.h" /* mon__error_save(), mon__error_restore() */
#include "copybuf.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCH 100000
#define COPY_FLUSH_BYTES (1u << 20)

int mon__audit_result_error(PGconn *conn, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "MA001") == 0) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        return mon__error(MON_EFORBIDDEN, NULL, "%s: %s", what, primary ? primary : "append-only table");
    }
    return mon__store_result_error(conn, res, what);
}

/*
 * The query that has PostgreSQL render every roles and parameters value as
 * jsonb text: that text is what is stored, read back and hashed
 * (docs/audit.md). Row 2i holds entry i's roles, row 2i+1 its parameters.
 * The JSON is an escaped literal, not a parameter, so that the query can
 * share a round trip with the statements of chain_begin().
 */
static char *render_sql(PGconn *conn, const struct mon__audit_prepared *p, size_t count)
{
    static const char head[] = "SELECT t.v::text FROM jsonb_array_elements(";
    static const char tail[] = "::jsonb) WITH ORDINALITY AS t(v, n) ORDER BY t.n";
    json_t *all = json_array();
    char *text = NULL, *literal = NULL, *sql = NULL;

    for (size_t i = 0; all && i < count; i++) {
        if (json_array_append(all, p[i].roles) != 0 || json_array_append(all, p[i].params) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    if (all && (text = json_dumps(all, JSON_COMPACT)) != NULL &&
        (literal = PQescapeLiteral(conn, text, strlen(text))) != NULL &&
        (sql = malloc(sizeof(head) + strlen(literal) + sizeof(tail))) != NULL)
        sprintf(sql, "%s%s%s", head, literal, tail);
    PQfreemem(literal);
    free(text);
    json_decref(all);
    return sql;
}

/* The rendered values must be there and within bounds. */
static int check_rendered(const PGresult *res, size_t count)
{
    if ((size_t)PQntuples(res) != 2 * count)
        return mon__error(MON_EDB, NULL, "render audit JSON: %d values for %zu entries", PQntuples(res), count);
    for (size_t i = 0; i < 2 * count; i++) {
        if (PQgetlength(res, (int)i, 0) > MON_AUDIT_JSON_MAX) {
            char field[64];
            const char *name = i % 2 ? "parameters" : "user_roles";
            if (count > 1)
                snprintf(field, sizeof(field), "entries[%zu].%s", i / 2, name);
            else
                snprintf(field, sizeof(field), "%s", name);
            return mon__error(MON_EINVAL, field, "is larger than %d bytes once stored", MON_AUDIT_JSON_MAX);
        }
    }
    return MON_OK;
}

/* ---------------------------------------------------------------- chain */

struct chain_head {
    int64_t next_seq;
    unsigned char prev[MON__AUDIT_HASH_BYTES];
    mon_time now;
};

int mon__audit_hash_from_bytea(unsigned char out[MON__AUDIT_HASH_BYTES], const char *text)
{
    size_t len = 0;
    if (!text || text[0] != '\\' || text[1] != 'x' || strlen(text + 2) != 2 * MON__AUDIT_HASH_BYTES)
        return -1;
    if (sodium_hex2bin(out, MON__AUDIT_HASH_BYTES, text + 2, 2 * MON__AUDIT_HASH_BYTES, NULL, &len, NULL) != 0)
        return -1;
    return len == MON__AUDIT_HASH_BYTES ? 0 : -1;
}

static void rollback(PGconn *conn) { PQclear(PQexec(conn, "ROLLBACK")); }

static int parse_head(const PGresult *res, struct chain_head *head)
{
    int64_t legacy, last;

    if (PQntuples(res) != 1)
        return mon__error(MON_EDB, NULL, "read audit chain head: action_log_chain is empty");
    legacy = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    last = PQgetisnull(res, 0, 1) ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    head->next_seq = (last > legacy ? last : legacy) + 1;
    memset(head->prev, 0, sizeof(head->prev));
    if (!PQgetisnull(res, 0, 2) && mon__audit_hash_from_bytea(head->prev, PQgetvalue(res, 0, 2)) != 0)
        return mon__error(MON_EDB, NULL, "read audit chain head: malformed row_hash at seq %lld", (long long)last);
    head->now = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    return MON_OK;
}

/*
 * In one round trip: open a transaction, take the chain lock, then (in a
 * later statement, so its snapshot sees every append committed before the
 * lock was granted) read the head of the chain and the database clock, and
 * run render (may be NULL) whose result goes to *rendered. On error the
 * transaction is rolled back.
 */
static int chain_begin(mon_store *store, struct chain_head *head, const char *render, PGresult **rendered)
{
    static const char fmt[] = "BEGIN; SELECT pg_advisory_xact_lock(%lld);"
                              " SELECT c.legacy_through_seq, t.seq, t.row_hash,"
                              " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
                              " FROM action_log_chain c LEFT JOIN LATERAL (SELECT seq, row_hash FROM action_logs"
                              " WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1) t ON true;%s";
    PGconn *conn = mon__store_conn(store);
    PGresult *res, *head_res = NULL;
    size_t len = sizeof(fmt) + 24 + (render ? strlen(render) : 0);
    char *sql;
    int rc = MON_OK, index = 0;

    if (!conn)
        return MON_ECONN;
    if (!(sql = malloc(len)))
        return mon__error_nomem();
    snprintf(sql, len, fmt, MON__AUDIT_LOCK_KEY, render ? render : "");
    if (!PQsendQuery(conn, sql))
        rc = mon__store_result_error(conn, NULL, "read audit chain head");
    free(sql);
    while (rc == MON_OK && (res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            rc = mon__audit_result_error(conn, res, "read audit chain head");
            PQclear(res);
        } else if (index == 2) {
            head_res = res;
        } else if (index == 3 && rendered) {
            *rendered = res;
        } else {
            PQclear(res);
        }
        index++;
    }
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
    if (rc == MON_OK && (!head_res || (render && rendered && !*rendered)))
        rc = mon__store_result_error(conn, NULL, "read audit chain head");
    if (rc == MON_OK)
        rc = parse_head(head_res, head);
    PQclear(head_res);
    if (rc != MON_OK) {
        if (rendered) {
            PQclear(*rendered);
            *rendered = NULL;
        }
        rollback(conn);
    }
    return rc;
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* One row ready to be written: its hashed fields and the text of its other columns. */
struct row_text {
    struct mon__audit_fields f;
    char created[MON__TIME_TEXT_MAX];
    char seq[24];
    char prev_hex[2 * MON__AUDIT_HASH_BYTES + 3]; /* bytea input: \x + hex */
    char hash_hex[2 * MON__AUDIT_HASH_BYTES + 3];
};

/* Hash entry i as the next row after head, and advance head. */
static void next_row(struct row_text *r, struct chain_head *head, const struct mon__audit_prepared *p, size_t i,
                     const PGresult *rendered)
{
    const mon_audit_entry *e = p[i].entry;
    unsigned char hash[MON__AUDIT_HASH_BYTES];
    struct mon__audit_fields f = {
        head->next_seq, head->prev, p[i].id, e->action, e->target, e->user_id, e->user_email,
        PQgetvalue(rendered, (int)(2 * i), 0), nonempty(e->ip_address), nonempty(e->user_agent),
        PQgetvalue(rendered, (int)(2 * i + 1), 0), mon_audit_result_name(e->result),
        nonempty(e->error_message), head->now};

    mon__audit_hash(hash, &f);
    r->f = f;
    mon__time_format(r->created, head->now);
    snprintf(r->seq, sizeof(r->seq), "%lld", (long long)f.seq);
    memcpy(r->prev_hex, "\\x", 2);
    sodium_bin2hex(r->prev_hex + 2, sizeof(r->prev_hex) - 2, head->prev, MON__AUDIT_HASH_BYTES);
    memcpy(r->hash_hex, "\\x", 2);
    sodium_bin2hex(r->hash_hex + 2, sizeof(r->hash_hex) - 2, hash, MON__AUDIT_HASH_BYTES);
    head->next_seq++;
    memcpy(head->prev, hash, sizeof(hash));
}

/* The row's 15 column values, in the order of the column lists below. */
static void row_values(const struct row_text *r, const char *values[15])
{
    const char *v[15] = {r->f.id,         r->f.action,     r->f.target,     r->f.user_id,      r->f.user_email,
                         r->f.user_roles, r->f.ip_address, r->f.user_agent, r->f.parameters,   r->f.result,
                         r->f.error_message, r->created,   r->seq,          r->prev_hex,       r->hash_hex};
    memcpy(values, v, sizeof(v));
}

#define ROW_COLUMNS                                                                                            \
    "action_logs (id, action, target, user_id, user_email, user_roles, ip_address, user_agent, parameters,"   \
    " result, error_message, created_at, seq, prev_hash, row_hash)"

/* Many rows: COPY them, then commit. */
static int copy_and_commit(PGconn *conn, struct chain_head *head, const struct mon__audit_prepared *p, size_t count,
                           const PGresult *rendered)
{
    struct mon__copybuf b = {0};
    PGresult *res = PQexec(conn, "COPY " ROW_COLUMNS " FROM STDIN");
    int rc = MON_OK;

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = mon__audit_result_error(conn, res, "append audit entries");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    for (size_t i = 0; i < count && rc == MON_OK; i++) {
        struct row_text r;
        const char *values[15];
        next_row(&r, head, p, i, rendered);
        row_values(&r, values);
        for (int c = 0; c < 15; c++)
            mon__copybuf_field(&b, values[c], c == 14 ? '\n' : '\t');
        if (b.failed)
            rc = mon__error_nomem();
        else if (b.len >= COPY_FLUSH_BYTES || i + 1 == count) {
            if (PQputCopyData(conn, b.data, (int)b.len) != 1)
                rc = mon__store_result_error(conn, NULL, "append audit entries");
            b.len = 0;
        }
    }
    free(b.data);
    if (PQputCopyEnd(conn, rc == MON_OK ? NULL : "aborted by the library") != 1 && rc == MON_OK)
        rc = mon__store_result_error(conn, NULL, "append audit entries");
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == MON_OK)
            rc = mon__audit_result_error(conn, res, "append audit entries");
        PQclear(res);
    }
    if (rc == MON_OK) {
        res = PQexec(conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = mon__audit_result_error(conn, res, "commit audit entries");
        PQclear(res);
    }
    return rc;
}

/* One row: INSERT and COMMIT pipelined, one round trip while the chain lock is held. */
static int insert_and_commit(PGconn *conn, struct chain_head *head, const struct mon__audit_prepared *p,
                             const PGresult *rendered)
{
    struct row_text r;
    const char *values[15];
    int rc = MON_OK, nulls = 0, synced = 0;

    next_row(&r, head, p, 0, rendered);
    row_values(&r, values);
    if (!PQenterPipelineMode(conn) ||
        !PQsendQueryParams(conn,
                           "INSERT INTO " ROW_COLUMNS " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                           " $13, $14, $15)",
                           15, NULL, values, NULL, NULL, 0) ||
        !PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(conn))
        rc = mon__store_result_error(conn, NULL, "append audit entry");
    /* Results: INSERT, NULL, COMMIT, NULL, SYNC. Two NULLs in a row mean the connection is gone. */
    while (rc == MON_OK && !synced && nulls < 2) {
        PGresult *res = PQgetResult(conn);
        ExecStatusType st;
        if (!res) {
            nulls++;
            continue;
        }
        nulls = 0;
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC)
            synced = 1;
        else if (st != PGRES_COMMAND_OK && st != PGRES_PIPELINE_ABORTED)
            rc = mon__audit_result_error(conn, res, "append audit entry");
        PQclear(res);
    }
    while (!synced && nulls < 2 && PQstatus(conn) == CONNECTION_OK) {
        PGresult *res = PQgetResult(conn);
        nulls = res ? 0 : nulls + 1;
        synced = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
    }
    if (rc == MON_OK && !synced)
        rc = mon__store_result_error(conn, NULL, "append audit entry");
    PQexitPipelineMode(conn);
    return rc;
}

/* Write the prepared entries after head inside the open transaction and commit; roll back on error. */
static int chain_finish(mon_store *store, struct chain_head *head, const struct mon__audit_prepared *p, size_t count,
                        const PGresult *rendered)
{
    int rc = count == 1 ? insert_and_commit(store->conn, head, p, rendered)
                        : copy_and_commit(store->conn, head, p, count, rendered);
    if (rc != MON_OK)
        rollback(store->conn);
    return rc;
}

/* Append count prepared entries: one round trip to lock, read the head and render, one or two to write. */
static int append_prepared(mon_store *store, const struct mon__audit_prepared *p, size_t count)
{
    struct chain_head head;
    PGresult *rendered = NULL;
    PGconn *conn = mon__store_conn(store);
    char *render;
    int rc;

    if (!conn)
        return MON_ECONN;
    if (!(render = render_sql(conn, p, count)))
        return mon__error_nomem();
    rc = chain_begin(store, &head, render, &rendered);
    free(render);
    if (rc != MON_OK)
        return rc;
    if ((rc = check_rendered(rendered, count)) != MON_OK)
        rollback(store->conn);
    else
        rc = chain_finish(store, &head, p, count, rendered);
    PQclear(rendered);
    return rc;
}

int mon_audit_append_many(mon_store *store, const mon_audit_entry *const *entries, size_t count)
{
    struct mon__audit_prepared *p;
    int rc = MON_OK;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!entries || count == 0 || count > MAX_BATCH)
        return mon__error(MON_EINVAL, "entries", "must hold 1 to %d entries", MAX_BATCH);
    if (!(p = calloc(count, sizeof(*p))))
        return mon__error_nomem();
    for (size_t i = 0; i < count && rc == MON_OK; i++) {
        char prefix[32] = "";
        if (count > 1)
            snprintf(prefix, sizeof(prefix), "entries[%zu].", i);
        rc = mon__audit_prepare(&p[i], entries[i], prefix, 0);
    }
    if (rc == MON_OK)
        rc = append_prepared(store, p, count);
    mon__audit_release(p, count);
    return rc;
}

int mon_audit_append(char *id_out, mon_store *store, const mon_audit_entry *entry)
{
    struct mon__audit_prepared *p;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!(p = calloc(1, sizeof(*p))))
        return mon__error_nomem();
    if ((rc = mon__audit_prepare(p, entry, "", 0)) == MON_OK && (rc = append_prepared(store, p, 1)) == MON_OK && id_out)
        memcpy(id_out, p->id, MON_AUDIT_ID_SIZE);
    mon__audit_release(p, 1);
    return rc;
}

/* ------------------------------------------------------------ retention */

struct removal {
    int64_t keep_from;
    int64_t count;
    char last_hash[MON_AUDIT_HASH_HEX_SIZE]; /* "" when nothing chained was removed */
};

/* Inside the open transaction: find the prefix of the chain older than cutoff and delete it. */
static int remove_prefix(mon_store *store, const struct chain_head *head, mon_time cutoff, struct removal *out)
{
    PGconn *conn = store->conn;
    char cutoff_text[MON__TIME_TEXT_MAX], next[24], keep[24];
    const char *params[2] = {cutoff_text, next};
    PGresult *res;
    int rc = MON_OK;

    mon__time_format(cutoff_text, cutoff);
    snprintf(next, sizeof(next), "%lld", (long long)head->next_seq);
    res = PQexecParams(conn,
                       "WITH cut AS (SELECT COALESCE((SELECT min(seq) FROM action_logs"
                       "  WHERE seq IS NOT NULL AND created_at >= $1::timestamptz), $2::bigint) AS keep_from)"
                       " SELECT keep_from, (SELECT count(*) FROM action_logs WHERE seq < keep_from),"
                       " (SELECT encode(row_hash, 'hex') FROM action_logs WHERE seq = keep_from - 1)"
                       " FROM cut",
                       2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = mon__audit_result_error(conn, res, "find audit rows to remove");
        PQclear(res);
        return rc;
    }
    out->keep_from = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    out->count = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    snprintf(out->last_hash, sizeof(out->last_hash), "%s", PQgetvalue(res, 0, 2));
    PQclear(res);
    if (out->count == 0)
        return MON_OK;
    snprintf(keep, sizeof(keep), "%lld", (long long)out->keep_from);
    params[0] = keep;
    PQclear(PQexec(conn, "SET LOCAL monitorage.audit_retention = 'on'"));
    res = PQexecParams(conn, "DELETE FROM action_logs WHERE seq < $1::bigint", 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = mon__audit_result_error(conn, res, "remove old audit rows");
    PQclear(res);
    PQclear(PQexec(conn, "SET LOCAL monitorage.audit_retention = 'off'"));
    return rc;
}

static char *retention_parameters(int64_t older_than_seconds, mon_time cutoff, const struct removal *r)
{
    char cutoff_text[MON__TIME_TEXT_MAX];
    json_t *obj;
    char *text;

    mon__time_format(cutoff_text, cutoff);
    obj = json_pack("{s:I, s:s, s:I, s:I, s:o}", "older_than_seconds", (json_int_t)older_than_seconds,
                    "cutoff", cutoff_text, "removed_rows", (json_int_t)r->count, "kept_from_seq",
                    (json_int_t)r->keep_from, "last_removed_hash",
                    r->last_hash[0] ? json_string(r->last_hash) : json_null());
    text = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    return text;
}

int mon__audit_change(mon_store *store, const mon_audit_entry *actor, const char *action, const char *target,
                      const char *parameters_json, int rc)
{
    mon_audit_entry e = MON_AUDIT_ENTRY_INIT;
    struct mon__saved_error saved;
    char error[sizeof(saved.field) + sizeof(saved.detail) + 2] = "";
    int arc;

    if (rc != MON_OK) {
        mon__error_save(&saved);
        snprintf(error, sizeof(error), "%s", mon_error_last());
    }
    if (actor && actor->user_id && *actor->user_id) {
        e.user_id = actor->user_id;
        e.user_email = actor->user_email && *actor->user_email ? actor->user_email : actor->user_id;
        e.user_roles_json = actor->user_roles_json;
        e.ip_address = actor->ip_address;
        e.user_agent = actor->user_agent;
    } else {
        e.user_id = "system";
        e.user_email = "system";
    }
    e.action = action;
    e.target = target;
    e.parameters_json = parameters_json;
    e.result = rc == MON_OK ? MON_AUDIT_SUCCESS : MON_AUDIT_FAILURE;
    e.error_message = rc == MON_OK ? NULL : error;
    arc = mon_audit_append(NULL, store, &e);
    /* The change's own error (code, field, detail) is what the caller must see, not the append's. */
    return rc != MON_OK ? mon__error_restore(&saved) : arc;
}

int mon_audit_retention_apply(int64_t *removed, mon_store *store, const mon_audit_entry *actor,
                              int64_t older_than_seconds)
{
    mon_audit_entry entry;
    struct mon__audit_prepared p = {{0}, NULL, NULL, NULL};
    struct chain_head head;
    struct removal r = {0, 0, ""};
    PGresult *rendered = NULL;
    char *params = NULL;
    mon_time cutoff;
    int rc;

    if (removed)
        *removed = 0;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!actor)
        return mon__error(MON_EINVAL, "actor", "must not be NULL");
    if (older_than_seconds < 0 || older_than_seconds > INT64_MAX / 1000000 / 2)
        return mon__error(MON_EINVAL, "older_than_seconds", "must be between 0 and %lld",
                          (long long)(INT64_MAX / 1000000 / 2));
    entry = *actor;
    entry.action = MON_AUDIT_RETENTION_ACTION;
    entry.target = "action_logs";
    entry.parameters_json = NULL;
    entry.result = MON_AUDIT_SUCCESS;
    entry.error_message = NULL;
    /* Validate the actor before touching anything; the parameters are known only under the lock. */
    if ((rc = mon__audit_prepare(&p, &entry, "actor.", 1)) == MON_OK && (rc = chain_begin(store, &head, NULL, NULL)) == MON_OK) {
        char *render = NULL;
        cutoff = head.now - older_than_seconds * 1000000;
        json_decref(p.params);
        p.params = NULL;
        if ((rc = remove_prefix(store, &head, cutoff, &r)) == MON_OK &&
            (!(params = retention_parameters(older_than_seconds, cutoff, &r)) ||
             !(p.params = json_loads(params, 0, NULL)) || !(render = render_sql(store->conn, &p, 1))))
            rc = mon__error_nomem();
        if (rc == MON_OK) {
            rendered = PQexec(store->conn, render);
            if (PQresultStatus(rendered) != PGRES_TUPLES_OK)
                rc = mon__audit_result_error(store->conn, rendered, "render audit JSON");
            else
                rc = check_rendered(rendered, 1);
        }
        free(render);
        if (rc == MON_OK)
            rc = chain_finish(store, &head, &p, 1, rendered);
        else
            rollback(store->conn);
    }
    if (rc == MON_OK && removed)
        *removed = r.count;
    PQclear(rendered);
    free(params);
    json_decref(p.roles);
    json_decref(p.params);
    return rc;
}
