/* Audit log: canonical encoding, row hash, and the chain walk of mon_audit_verify(). */
#include "audit_priv.h"
#include "error_priv.h"
#include "store_priv.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows fetched per query of the walk: bounds the memory whatever the chain's length. */
#define VERIFY_CHUNK 10000

/* Domain separation: names the encoding, so a future version can never collide with it. */
static const char encoding_tag[] = "monitorage.audit.v1";

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (56 - 8 * i));
    crypto_generichash_update(st, b, sizeof(b));
}

/* A nullable text: 0x00 for NULL, else 0x01, its byte length (4 bytes, big-endian) and its bytes. */
static void put_text(crypto_generichash_state *st, const char *s)
{
    unsigned char flag = s ? 1 : 0;
    crypto_generichash_update(st, &flag, 1);
    if (s) {
        size_t len = strlen(s);
        unsigned char b[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                              (unsigned char)len};
        crypto_generichash_update(st, b, sizeof(b));
        crypto_generichash_update(st, (const unsigned char *)s, len);
    }
}

void mon__audit_hash(unsigned char out[MON__AUDIT_HASH_BYTES], const struct mon__audit_fields *f)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, MON__AUDIT_HASH_BYTES);
    put_text(&st, encoding_tag);
    put_u64(&st, (uint64_t)f->seq);
    crypto_generichash_update(&st, f->prev_hash, MON__AUDIT_HASH_BYTES);
    put_text(&st, f->id);
    put_text(&st, f->action);
    put_text(&st, f->target);
    put_text(&st, f->user_id);
    put_text(&st, f->user_email);
    put_text(&st, f->user_roles);
    put_text(&st, f->ip_address);
    put_text(&st, f->user_agent);
    put_text(&st, f->parameters);
    put_text(&st, f->result);
    put_text(&st, f->error_message);
    put_u64(&st, (uint64_t)f->created_at);
    crypto_generichash_final(&st, out, MON__AUDIT_HASH_BYTES);
}

static const char *const break_names[] = {"intact", "edited", "deleted", "inserted", "reordered"};

const char *mon_audit_break_name(mon_audit_break reason)
{
    return (unsigned)reason < sizeof(break_names) / sizeof(break_names[0]) ? break_names[reason] : NULL;
}

int mon_audit_verify_report_init(mon_audit_verify_report *report, unsigned int version)
{
    const mon_audit_verify_report init = MON_AUDIT_VERIFY_REPORT_INIT;
    if (!report)
        return mon__error(MON_EINVAL, "report", "must not be NULL");
    if (version != MON_AUDIT_VERIFY_REPORT_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown verify report version %u", version);
    *report = init;
    return MON_OK;
}

static PGresult *query(mon_store *store, const char *what, const char *sql, int n, const char *const *params,
                       int *rc)
{
    /* No retry: every query runs inside the walk's transaction. */
    return mon__store_exec(store, what, sql, n, params, 0, rc);
}

static void set_break(mon_audit_verify_report *r, mon_audit_break reason, const char *id, int64_t seq)
{
    r->ok = 0;
    r->reason = reason;
    snprintf(r->broken_id, sizeof(r->broken_id), "%s", id);
    r->broken_seq = seq;
}

/*
 * A row whose link is wrong was moved rather than forged when the row it
 * links to (its prev_hash) sits later in the chain.
 */
static int links_to_later_row(mon_store *store, const char *prev_hash_text, int64_t seq, int *later)
{
    char seq_text[24];
    const char *params[] = {prev_hash_text, seq_text};
    PGresult *res;
    int rc;

    snprintf(seq_text, sizeof(seq_text), "%lld", (long long)seq);
    res = query(store, "verify audit chain",
                "SELECT 1 FROM action_logs WHERE row_hash = $1::bytea AND seq > $2::bigint LIMIT 1", 2, params, &rc);
    if (!res)
        return rc;
    *later = PQntuples(res) > 0;
    PQclear(res);
    return MON_OK;
}

/*
 * The first chained row is not the genesis (seq legacy + 1) when retention
 * removed the rows before it: then a retention row in the chain must name it
 * as kept_from_seq and its prev_hash as the last removed hash.
 */
static int anchored(mon_store *store, int64_t seq, const char *prev_hash_text, int *ok)
{
    char seq_text[24];
    const char *params[] = {MON_AUDIT_RETENTION_ACTION, seq_text};
    PGresult *res;
    int rc;

    snprintf(seq_text, sizeof(seq_text), "%lld", (long long)seq);
    res = query(store, "verify audit chain",
                "SELECT parameters->>'last_removed_hash' FROM action_logs WHERE action = $1 AND seq IS NOT NULL"
                " AND parameters->>'kept_from_seq' = $2 ORDER BY seq DESC LIMIT 1",
                2, params, &rc);
    if (!res)
        return rc;
    *ok = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
          strlen(PQgetvalue(res, 0, 0)) == 2 * MON__AUDIT_HASH_BYTES &&
          strlen(prev_hash_text) == 2 + 2 * MON__AUDIT_HASH_BYTES &&
          sodium_memcmp(PQgetvalue(res, 0, 0), prev_hash_text + 2, 2 * MON__AUDIT_HASH_BYTES) == 0;
    PQclear(res);
    return MON_OK;
}

/* State of the walk between chunks. */
struct walk {
    int64_t expected_seq;
    unsigned char expected_prev[MON__AUDIT_HASH_BYTES];
    int64_t legacy_through;
    int started;
};

enum { C_ID, C_SEQ, C_PREV, C_HASH, C_ACTION, C_TARGET, C_USER_ID, C_EMAIL, C_ROLES, C_IP, C_UA, C_PARAMS,
       C_RESULT, C_ERROR, C_CREATED };

static const char *value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Check one row; returns MON_OK (report->ok tells whether it broke) or an error. */
static int check_row(mon_store *store, struct walk *w, const PGresult *res, int row, mon_audit_verify_report *r)
{
    const char *id = PQgetvalue(res, row, C_ID);
    int64_t seq = strtoll(PQgetvalue(res, row, C_SEQ), NULL, 10);
    unsigned char prev[MON__AUDIT_HASH_BYTES], stored[MON__AUDIT_HASH_BYTES], computed[MON__AUDIT_HASH_BYTES];
    struct mon__audit_fields f;
    int rc;

    if (mon__audit_hash_from_bytea(prev, value(res, row, C_PREV)) != 0 ||
        mon__audit_hash_from_bytea(stored, value(res, row, C_HASH)) != 0) {
        set_break(r, MON_AUDIT_EDITED, id, seq);
        return MON_OK;
    }
    if (!w->started) {
        int ok = 1;
        w->started = 1;
        r->first_seq = seq;
        if (seq != w->legacy_through + 1) {
            if ((rc = anchored(store, seq, PQgetvalue(res, row, C_PREV), &ok)) != MON_OK)
                return rc;
            if (!ok) {
                set_break(r, MON_AUDIT_DELETED, id, seq);
                return MON_OK;
            }
            w->expected_seq = seq;
            memcpy(w->expected_prev, prev, sizeof(prev));
        }
    }
    if (seq != w->expected_seq) {
        set_break(r, MON_AUDIT_DELETED, id, seq);
        return MON_OK;
    }
    if (sodium_memcmp(prev, w->expected_prev, sizeof(prev)) != 0) {
        int later = 0;
        if ((rc = links_to_later_row(store, PQgetvalue(res, row, C_PREV), seq, &later)) != MON_OK)
            return rc;
        set_break(r, later ? MON_AUDIT_REORDERED : MON_AUDIT_INSERTED, id, seq);
        return MON_OK;
    }
    f.seq = seq;
    f.prev_hash = prev;
    f.id = id;
    f.action = value(res, row, C_ACTION);
    f.target = value(res, row, C_TARGET);
    f.user_id = value(res, row, C_USER_ID);
    f.user_email = value(res, row, C_EMAIL);
    f.user_roles = value(res, row, C_ROLES);
    f.ip_address = value(res, row, C_IP);
    f.user_agent = value(res, row, C_UA);
    f.parameters = value(res, row, C_PARAMS);
    f.result = value(res, row, C_RESULT);
    f.error_message = value(res, row, C_ERROR);
    f.created_at = strtoll(PQgetvalue(res, row, C_CREATED), NULL, 10);
    mon__audit_hash(computed, &f);
    if (sodium_memcmp(computed, stored, sizeof(stored)) != 0) {
        set_break(r, MON_AUDIT_EDITED, id, seq);
        return MON_OK;
    }
    r->rows_checked++;
    r->last_seq = seq;
    sodium_bin2hex(r->last_hash, sizeof(r->last_hash), stored, sizeof(stored));
    w->expected_seq = seq + 1;
    memcpy(w->expected_prev, stored, sizeof(stored));
    return MON_OK;
}

/* Before the walk: the legacy boundary, and no hashed row may hide inside it. */
static int check_legacy(mon_store *store, struct walk *w, mon_audit_verify_report *r)
{
    char through[24];
    const char *params[] = {through};
    PGresult *res;
    int rc;

    res = query(store, "verify audit chain", "SELECT legacy_through_seq FROM action_log_chain", 0, NULL, &rc);
    if (!res)
        return rc;
    w->legacy_through = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    w->expected_seq = w->legacy_through + 1;
    snprintf(through, sizeof(through), "%lld", (long long)w->legacy_through);
    res = query(store, "verify audit chain",
                "SELECT count(*), (SELECT id::text || ' ' || seq FROM action_logs WHERE seq <= $1::bigint"
                " AND (row_hash IS NOT NULL OR prev_hash IS NOT NULL) ORDER BY seq LIMIT 1)"
                " FROM action_logs WHERE seq <= $1::bigint",
                1, params, &rc);
    if (!res)
        return rc;
    r->legacy_rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (!PQgetisnull(res, 0, 1)) {
        char id[MON_AUDIT_ID_SIZE] = "";
        long long seq = 0;
        sscanf(PQgetvalue(res, 0, 1), "%36s %lld", id, &seq);
        set_break(r, MON_AUDIT_EDITED, id, seq);
    }
    PQclear(res);
    return MON_OK;
}

/* After the walk: any row without a seq was inserted outside the chain. */
static int check_unchained(mon_store *store, mon_audit_verify_report *r)
{
    int rc;
    PGresult *res = query(store, "verify audit chain",
                          "SELECT id FROM action_logs WHERE seq IS NULL ORDER BY created_at, id LIMIT 1", 0, NULL,
                          &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 1)
        set_break(r, MON_AUDIT_INSERTED, PQgetvalue(res, 0, 0), -1);
    PQclear(res);
    return MON_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Walk the chain through a cursor, VERIFY_CHUNK rows per FETCH, inside the open transaction. */
static int walk_chain(mon_store *store, struct walk *w, mon_audit_verify_report *report)
{
    char sql[640], fetch[64];
    PGresult *res;
    int rc = MON_OK;

    snprintf(sql, sizeof(sql),
             "DECLARE mon_audit_walk NO SCROLL CURSOR FOR"
             " SELECT id, seq, prev_hash, row_hash, action, target, user_id, user_email, user_roles::text,"
             " ip_address, user_agent, parameters::text, result, error_message,"
             " (extract(epoch FROM created_at) * 1000000)::bigint"
             " FROM action_logs WHERE seq > %lld ORDER BY seq",
             (long long)w->legacy_through);
    snprintf(fetch, sizeof(fetch), "FETCH FORWARD %d FROM mon_audit_walk", VERIFY_CHUNK);
    if (!(res = query(store, "verify audit chain", sql, 0, NULL, &rc)))
        return rc;
    PQclear(res);
    while (report->ok && rc == MON_OK) {
        int rows;
        if (!(res = query(store, "verify audit chain", fetch, 0, NULL, &rc)))
            return rc;
        rows = PQntuples(res);
        for (int i = 0; i < rows && report->ok && rc == MON_OK; i++)
            rc = check_row(store, w, res, i, report);
        PQclear(res);
        if (rows < VERIFY_CHUNK)
            break;
    }
    return rc;
}

int mon_audit_verify(mon_audit_verify_report *report, mon_store *store)
{
    struct walk w = {0, {0}, 0, 0};
    double start = now_ms();
    unsigned int version;
    int rc;

    if (!report)
        return mon__error(MON_EINVAL, "report", "must not be NULL");
    version = report->version;
    if ((rc = mon_audit_verify_report_init(report, version)) != MON_OK)
        return rc;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!mon__store_conn(store))
        return MON_ECONN;
    /*
     * One snapshot for the whole walk and its side queries: rows appended
     * meanwhile are consistently left out. A cursor rather than keyset
     * queries: one plan for the whole walk, whatever the table statistics.
     */
    if ((rc = mon__store_command(store, "verify audit chain",
                                 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != MON_OK)
        return rc;
    report->ok = 1;
    if ((rc = check_legacy(store, &w, report)) == MON_OK && report->ok)
        rc = walk_chain(store, &w, report);
    if (rc == MON_OK && report->ok)
        rc = check_unchained(store, report);
    PQclear(PQexec(store->conn, "ROLLBACK"));
    if (rc != MON_OK)
        return rc;
    report->elapsed_ms = now_ms() - start;
    return MON_OK;
}

int mon_audit_verify_report_to_json(char **out, const mon_audit_verify_report *r)
{
    json_t *obj;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!r)
        return mon__error(MON_EINVAL, "report", "must not be NULL");
    obj = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o, s:s, s:o, s:o, s:f}", "ok", r->ok, "rows_checked",
                    (json_int_t)r->rows_checked, "legacy_rows", (json_int_t)r->legacy_rows, "first_seq",
                    (json_int_t)r->first_seq, "last_seq", (json_int_t)r->last_seq, "last_hash",
                    r->last_hash[0] ? json_string(r->last_hash) : json_null(), "reason",
                    mon_audit_break_name(r->reason) ? mon_audit_break_name(r->reason) : "unknown", "broken_id",
                    r->broken_id[0] ? json_string(r->broken_id) : json_null(), "broken_seq",
                    r->ok ? json_null() : json_integer(r->broken_seq), "elapsed_ms", r->elapsed_ms);
    if (!obj || !(*out = json_dumps(obj, JSON_COMPACT))) {
        json_decref(obj);
        return mon__error_nomem();
    }
    json_decref(obj);
    return MON_OK;
}
