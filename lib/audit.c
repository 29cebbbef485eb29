/* Audit log: validation, redaction, append in chain order, retention. */
#include "audit_priv.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCH 100000
#define COPY_FLUSH_BYTES (1u << 20)

static const char *const result_names[] = {"SUCCESS", "FAILURE"};

const char *mon_audit_result_name(mon_audit_result result)
{
    return (unsigned)result < 2 ? result_names[result] : NULL;
}

int mon_audit_result_parse(mon_audit_result *out, const char *name)
{
    if (!out || !name)
        return mon__error(MON_EINVAL, "result", "must not be NULL");
    for (int i = 0; i < 2; i++) {
        if (strcmp(name, result_names[i]) == 0) {
            *out = (mon_audit_result)i;
            return MON_OK;
        }
    }
    return mon__error(MON_EINVAL, "result", "must be SUCCESS or FAILURE");
}

int mon_audit_entry_init(mon_audit_entry *entry, unsigned int version)
{
    const mon_audit_entry init = MON_AUDIT_ENTRY_INIT;
    if (!entry)
        return mon__error(MON_EINVAL, "entry", "must not be NULL");
    if (version != MON_AUDIT_ENTRY_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown audit entry version %u", version);
    *entry = init;
    return MON_OK;
}

int mon__audit_result_error(PGconn *conn, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "MA001") == 0) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        return mon__error(MON_EFORBIDDEN, NULL, "%s: %s", what, primary ? primary : "append-only table");
    }
    return mon__store_result_error(conn, res, what);
}

/* ------------------------------------------------------------ redaction */

static const char *const secret_words[] = {"password", "passwd", "passphrase", "secret",
                                           "token", "apikey", "credential", "authorization",
                                           "bearer", "privatekey", "cookie", "session"};

static int key_is_secret(const char *key)
{
    size_t len = strlen(key), n = 0;
    char *norm = malloc(len + 1);
    int found = 0;

    if (!norm)
        return -1;
    for (const char *p = key; *p; p++) {
        if (*p != '-' && *p != '_')
            norm[n++] = (char)tolower((unsigned char)*p);
    }
    norm[n] = '\0';
    for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]) && !found; i++)
        found = strstr(norm, secret_words[i]) != NULL;
    free(norm);
    return found;
}

/* Replace secret-looking values in place at any depth; -1 when out of memory. */
static int redact(json_t *value)
{
    if (json_is_object(value)) {
        for (void *it = json_object_iter(value); it; it = json_object_iter_next(value, it)) {
            int secret = key_is_secret(json_object_iter_key(it));
            if (secret < 0)
                return -1;
            if (secret) {
                if (json_object_iter_set_new(value, it, json_string("[REDACTED]")) != 0)
                    return -1;
            } else if (redact(json_object_iter_value(it)) != 0) {
                return -1;
            }
        }
    } else if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (redact(json_array_get(value, i)) != 0)
                return -1;
        }
    }
    return 0;
}

/* Parse JSON text; the error names field and never quotes the input (it may hold secrets). */
static int parse_json(json_t **out, const char *text, const char *field)
{
    json_error_t err;
    char reason[sizeof(err.text)];
    char *near;

    *out = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (*out)
        return MON_OK;
    snprintf(reason, sizeof(reason), "%s", err.text);
    if ((near = strstr(reason, " near ")) != NULL)
        *near = '\0';
    return mon__error(MON_EINVAL, field, "invalid JSON at line %d, column %d: %s", err.line, err.column, reason);
}

int mon_audit_redact_json(char **out, const char *json)
{
    json_t *value;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!json)
        return mon__error(MON_EINVAL, "parameters", "must not be NULL");
    if ((rc = parse_json(&value, json, "parameters")) != MON_OK)
        return rc;
    if (redact(value) != 0 || !(*out = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)))
        rc = mon__error_nomem();
    json_decref(value);
    return rc;
}

/* ----------------------------------------------------------- validation */

/* Number of code points of a UTF-8 string, or -1 if it is not valid UTF-8. */
static long utf8_length(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;

    while (*p) {
        size_t extra;
        unsigned cp;
        if (*p < 0x80) {
            p++;
            count++;
            continue;
        } else if ((*p & 0xe0) == 0xc0) {
            extra = 1, cp = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            extra = 2, cp = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            extra = 3, cp = *p & 0x07;
        } else {
            return -1;
        }
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        p += extra + 1;
        count++;
    }
    return count;
}

struct field_name {
    char text[64];
};

static const char *name_field(struct field_name *buf, const char *prefix, const char *name)
{
    snprintf(buf->text, sizeof(buf->text), "%s%s", prefix, name);
    return buf->text;
}

static int check_text(const char *value, const char *prefix, const char *name, long max, int required)
{
    struct field_name f;
    long len;

    if (!value || !*value) {
        if (required)
            return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is required");
        return MON_OK;
    }
    if ((len = utf8_length(value)) < 0)
        return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is not valid UTF-8");
    if (len > max)
        return mon__error(MON_EINVAL, name_field(&f, prefix, name), "is %ld characters long, at most %ld allowed",
                          len, max);
    return MON_OK;
}

/* An entry ready to be written: its id and its roles and parameters as redacted JSON values. */
struct prepared {
    char id[MON_AUDIT_ID_SIZE];
    const mon_audit_entry *entry;
    json_t *roles;
    json_t *params;
};

static void new_uuid(char out[MON_AUDIT_ID_SIZE])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, MON_AUDIT_ID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int prepare(struct prepared *p, const mon_audit_entry *e, const char *prefix, int internal)
{
    struct field_name f;
    unsigned char addr[16];
    int rc;

    memset(p, 0, sizeof(*p));
    if (!e)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "entry"), "must not be NULL");
    if (e->version != MON_AUDIT_ENTRY_VERSION)
        return mon__error(MON_EVERSION, name_field(&f, prefix, "version"), "unknown audit entry version %u",
                          e->version);
    if ((rc = check_text(e->action, prefix, "action", MON_AUDIT_ACTION_MAX, 1)) != MON_OK ||
        (rc = check_text(e->target, prefix, "target", MON_AUDIT_TARGET_MAX, 1)) != MON_OK ||
        (rc = check_text(e->user_id, prefix, "user_id", MON_AUDIT_USER_ID_MAX, 1)) != MON_OK ||
        (rc = check_text(e->user_email, prefix, "user_email", MON_AUDIT_USER_EMAIL_MAX, 1)) != MON_OK ||
        (rc = check_text(e->ip_address, prefix, "ip_address", MON_AUDIT_IP_MAX, 0)) != MON_OK ||
        (rc = check_text(e->user_agent, prefix, "user_agent", MON_AUDIT_TEXT_MAX, 0)) != MON_OK ||
        (rc = check_text(e->error_message, prefix, "error_message", MON_AUDIT_TEXT_MAX, 0)) != MON_OK)
        return rc;
    if (!internal && strcmp(e->action, MON_AUDIT_RETENTION_ACTION) == 0)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "action"),
                          "\"%s\" is reserved for mon_audit_retention_apply()", MON_AUDIT_RETENTION_ACTION);
    if (e->ip_address && *e->ip_address && inet_pton(AF_INET, e->ip_address, addr) != 1 &&
        inet_pton(AF_INET6, e->ip_address, addr) != 1)
        return mon__error(MON_EINVAL, name_field(&f, prefix, "ip_address"), "is not an IPv4 or IPv6 address");
    if (!mon_audit_result_name(e->result))
        return mon__error(MON_EINVAL, name_field(&f, prefix, "result"), "must be MON_AUDIT_SUCCESS or MON_AUDIT_FAILURE");

    if ((rc = parse_json(&p->roles, e->user_roles_json ? e->user_roles_json : "[]",
                         name_field(&f, prefix, "user_roles"))) != MON_OK)
        return rc;
    if (!json_is_array(p->roles))
        return mon__error(MON_EINVAL, f.text, "must be a JSON array of strings");
    for (size_t i = 0; i < json_array_size(p->roles); i++) {
        if (!json_is_string(json_array_get(p->roles, i)))
            return mon__error(MON_EINVAL, f.text, "element %zu is not a string", i);
    }
    if ((rc = parse_json(&p->params, e->parameters_json ? e->parameters_json : "{}",
                         name_field(&f, prefix, "parameters"))) != MON_OK)
        return rc;
    if (!json_is_object(p->params))
        return mon__error(MON_EINVAL, f.text, "must be a JSON object");
    if (redact(p->params) != 0)
        return mon__error_nomem();
    new_uuid(p->id);
    p->entry = e;
    return MON_OK;
}

static void release(struct prepared *p, size_t count)
{
    for (size_t i = 0; p && i < count; i++) {
        json_decref(p[i].roles);
        json_decref(p[i].params);
    }
    free(p);
}

/*
 * Have PostgreSQL render every roles and parameters value as jsonb text: that
 * text is what is stored, read back and hashed (docs/audit.md). Row 2i holds
 * entry i's roles, row 2i+1 its parameters.
 */
static PGresult *render_json(mon_store *store, const struct prepared *p, size_t count, int flags, int *rc)
{
    json_t *all = json_array();
    char *text = NULL;
    PGresult *res = NULL;

    for (size_t i = 0; all && i < count; i++) {
        if (json_array_append(all, p[i].roles) != 0 || json_array_append(all, p[i].params) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    if (!all || !(text = json_dumps(all, JSON_COMPACT))) {
        *rc = mon__error_nomem();
    } else {
        const char *params[] = {text};
        res = mon__store_exec(store, "render audit JSON",
                              "SELECT t.v::text FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(v, n)"
                              " ORDER BY t.n",
                              1, params, flags, rc);
    }
    free(text);
    json_decref(all);
    for (size_t i = 0; res && i < count; i++) {
        struct field_name f;
        char prefix[32] = "";
        if (count > 1)
            snprintf(prefix, sizeof(prefix), "entries[%zu].", i);
        if (PQgetlength(res, (int)(2 * i), 0) > MON_AUDIT_JSON_MAX ||
            PQgetlength(res, (int)(2 * i + 1), 0) > MON_AUDIT_JSON_MAX) {
            int roles_big = PQgetlength(res, (int)(2 * i), 0) > MON_AUDIT_JSON_MAX;
            *rc = mon__error(MON_EINVAL, name_field(&f, prefix, roles_big ? "user_roles" : "parameters"),
                             "is larger than %d bytes", MON_AUDIT_JSON_MAX);
            PQclear(res);
            res = NULL;
        }
    }
    return res;
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

/*
 * Open a transaction, take the chain lock, then (in a later statement, so its
 * snapshot sees every append committed before the lock was granted) read the
 * head of the chain and the database clock.
 */
static int chain_begin(mon_store *store, struct chain_head *head)
{
    PGconn *conn = mon__store_conn(store);
    PGresult *res;
    char sql[640];
    int rc;

    if (!conn)
        return MON_ECONN;
    snprintf(sql, sizeof(sql),
             "BEGIN; SELECT pg_advisory_xact_lock(%lld);"
             " SELECT c.legacy_through_seq, t.seq, t.row_hash,"
             " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
             " FROM action_log_chain c LEFT JOIN LATERAL (SELECT seq, row_hash FROM action_logs"
             " WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1) t ON true",
             MON__AUDIT_LOCK_KEY);
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        rc = PQresultStatus(res) == PGRES_TUPLES_OK
                 ? mon__error(MON_EDB, NULL, "read audit chain head: action_log_chain is empty")
                 : mon__audit_result_error(conn, res, "read audit chain head");
        PQclear(res);
        rollback(conn);
        return rc;
    }
    {
        int64_t legacy = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        int64_t last = PQgetisnull(res, 0, 1) ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        head->next_seq = (last > legacy ? last : legacy) + 1;
        memset(head->prev, 0, sizeof(head->prev));
        if (!PQgetisnull(res, 0, 2) && mon__audit_hash_from_bytea(head->prev, PQgetvalue(res, 0, 2)) != 0) {
            PQclear(res);
            rollback(conn);
            return mon__error(MON_EDB, NULL, "read audit chain head: malformed row_hash at seq %lld",
                              (long long)last);
        }
        head->now = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    }
    PQclear(res);
    return MON_OK;
}

struct buffer {
    char *data;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buffer *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *data;
        while (cap < b->len + n)
            cap *= 2;
        if (!(data = realloc(b->data, cap))) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* One COPY text-format field followed by sep ('\t' or '\n'); NULL is \N. */
static void copy_field(struct buffer *b, const char *value, char sep)
{
    if (!value) {
        buf_add(b, "\\N", 2);
    } else {
        const char *run = value;
        for (const char *p = value; *p; p++) {
            const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : NULL;
            if (esc) {
                buf_add(b, run, (size_t)(p - run));
                buf_add(b, esc, 2);
                run = p + 1;
            }
        }
        buf_add(b, run, strlen(run));
    }
    buf_add(b, &sep, 1);
}

static void copy_hash(struct buffer *b, const unsigned char hash[MON__AUDIT_HASH_BYTES], char sep)
{
    char hex[2 * MON__AUDIT_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof(hex), hash, MON__AUDIT_HASH_BYTES);
    buf_add(b, "\\\\x", 3);
    buf_add(b, hex, 2 * MON__AUDIT_HASH_BYTES);
    buf_add(b, &sep, 1);
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* Hash and COPY the prepared entries after head, inside the open transaction; advances head. */
static int chain_write(mon_store *store, struct chain_head *head, const struct prepared *p, size_t count,
                       const PGresult *rendered)
{
    PGconn *conn = store->conn;
    struct buffer b = {0};
    char created[MON__TIME_TEXT_MAX];
    PGresult *res;
    int rc = MON_OK;

    mon__time_format(created, head->now);
    res = PQexec(conn, "COPY action_logs (id, action, target, user_id, user_email, user_roles, ip_address,"
                       " user_agent, parameters, result, error_message, created_at, seq, prev_hash, row_hash)"
                       " FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = mon__audit_result_error(conn, res, "append audit entries");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    for (size_t i = 0; i < count && rc == MON_OK; i++) {
        const mon_audit_entry *e = p[i].entry;
        char seq[24];
        unsigned char hash[MON__AUDIT_HASH_BYTES];
        struct mon__audit_fields f = {
            head->next_seq, head->prev, p[i].id, e->action, e->target, e->user_id, e->user_email,
            PQgetvalue(rendered, (int)(2 * i), 0), nonempty(e->ip_address), nonempty(e->user_agent),
            PQgetvalue(rendered, (int)(2 * i + 1), 0), mon_audit_result_name(e->result),
            nonempty(e->error_message), head->now};

        mon__audit_hash(hash, &f);
        snprintf(seq, sizeof(seq), "%lld", (long long)f.seq);
        copy_field(&b, f.id, '\t');
        copy_field(&b, f.action, '\t');
        copy_field(&b, f.target, '\t');
        copy_field(&b, f.user_id, '\t');
        copy_field(&b, f.user_email, '\t');
        copy_field(&b, f.user_roles, '\t');
        copy_field(&b, f.ip_address, '\t');
        copy_field(&b, f.user_agent, '\t');
        copy_field(&b, f.parameters, '\t');
        copy_field(&b, f.result, '\t');
        copy_field(&b, f.error_message, '\t');
        copy_field(&b, created, '\t');
        copy_field(&b, seq, '\t');
        copy_hash(&b, head->prev, '\t');
        copy_hash(&b, hash, '\n');
        head->next_seq++;
        memcpy(head->prev, hash, sizeof(hash));
        if (b.failed)
            rc = mon__error_nomem();
        else if ((b.len >= COPY_FLUSH_BYTES || i + 1 == count) && b.len > 0) {
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
    return rc;
}

static int chain_commit(mon_store *store)
{
    PGresult *res = PQexec(store->conn, "COMMIT");
    int rc = MON_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = mon__audit_result_error(store->conn, res, "commit audit entries");
    PQclear(res);
    return rc;
}

int mon_audit_append_many(mon_store *store, const mon_audit_entry *const *entries, size_t count)
{
    struct prepared *p;
    struct chain_head head;
    PGresult *rendered;
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
        rc = prepare(&p[i], entries[i], prefix, 0);
    }
    if (rc != MON_OK) {
        release(p, count);
        return rc;
    }
    if (!(rendered = render_json(store, p, count, MON__EXEC_RETRY, &rc))) {
        release(p, count);
        return rc;
    }
    if ((rc = chain_begin(store, &head)) == MON_OK) {
        if ((rc = chain_write(store, &head, p, count, rendered)) == MON_OK)
            rc = chain_commit(store);
        else
            rollback(store->conn);
    }
    PQclear(rendered);
    release(p, count);
    return rc;
}

int mon_audit_append(char *id_out, mon_store *store, const mon_audit_entry *entry)
{
    struct prepared *p;
    struct chain_head head;
    PGresult *rendered;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!(p = calloc(1, sizeof(*p))))
        return mon__error_nomem();
    if ((rc = prepare(p, entry, "", 0)) != MON_OK || !(rendered = render_json(store, p, 1, MON__EXEC_RETRY, &rc))) {
        release(p, 1);
        return rc;
    }
    if ((rc = chain_begin(store, &head)) == MON_OK) {
        if ((rc = chain_write(store, &head, p, 1, rendered)) == MON_OK)
            rc = chain_commit(store);
        else
            rollback(store->conn);
    }
    if (rc == MON_OK && id_out)
        memcpy(id_out, p->id, MON_AUDIT_ID_SIZE);
    PQclear(rendered);
    release(p, 1);
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

int mon_audit_retention_apply(int64_t *removed, mon_store *store, const mon_audit_entry *actor,
                              int64_t older_than_seconds)
{
    mon_audit_entry entry;
    struct prepared p = {{0}, NULL, NULL, NULL};
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
    if ((rc = prepare(&p, &entry, "actor.", 1)) == MON_OK && (rc = chain_begin(store, &head)) == MON_OK) {
        cutoff = head.now - older_than_seconds * 1000000;
        json_decref(p.params);
        p.params = NULL;
        if ((rc = remove_prefix(store, &head, cutoff, &r)) == MON_OK &&
            (!(params = retention_parameters(older_than_seconds, cutoff, &r)) ||
             !(p.params = json_loads(params, 0, NULL))))
            rc = mon__error_nomem();
        if (rc == MON_OK && (rendered = render_json(store, &p, 1, 0, &rc)) != NULL &&
            (rc = chain_write(store, &head, &p, 1, rendered)) == MON_OK)
            rc = chain_commit(store);
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
