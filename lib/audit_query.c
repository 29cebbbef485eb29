/* Audit log: filtered queries, newest first, with keyset paging. */
#include "audit_priv.h"
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_MAX 1000

struct mon_audit_list {
    PGresult *res;       /* owns every string the rows point to */
    mon_audit_row *rows;
    size_t count;
    char *next_cursor;   /* NULL on the last page */
};

int mon_audit_filter_init(mon_audit_filter *filter, unsigned int version)
{
    const mon_audit_filter init = MON_AUDIT_FILTER_INIT;
    if (!filter)
        return mon__error(MON_EINVAL, "filter", "must not be NULL");
    if (version != MON_AUDIT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown audit filter version %u", version);
    *filter = init;
    return MON_OK;
}

/* A cursor is "<created_at in microseconds>.<id>" of the last row of the previous page. */
static int parse_cursor(const char *cursor, char micros[24], char id[MON_AUDIT_ID_SIZE])
{
    const char *dot = strchr(cursor, '.');
    size_t n = dot ? (size_t)(dot - cursor) : 0;

    if (!dot || n == 0 || n > 20 || !mon__uuid_valid(dot + 1))
        return mon__error(MON_EINVAL, "cursor", "is not a cursor returned by mon_audit_list_next_cursor()");
    for (size_t i = 0; i < n; i++) {
        if ((cursor[i] < '0' || cursor[i] > '9') && !(i == 0 && cursor[i] == '-' && n > 1))
            return mon__error(MON_EINVAL, "cursor", "is not a cursor returned by mon_audit_list_next_cursor()");
    }
    memcpy(micros, cursor, n);
    micros[n] = '\0';
    memcpy(id, dot + 1, MON_AUDIT_ID_SIZE);
    return MON_OK;
}

static int check_filter(const mon_audit_filter *f)
{
    if (f->version != MON_AUDIT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "filter.version", "unknown audit filter version %u", f->version);
    if (f->limit < 1 || f->limit > LIMIT_MAX)
        return mon__error(MON_EINVAL, "limit", "must be between 1 and %d", LIMIT_MAX);
    if (f->result != -1 && !mon_audit_result_name((mon_audit_result)f->result))
        return mon__error(MON_EINVAL, "result", "must be -1, MON_AUDIT_SUCCESS or MON_AUDIT_FAILURE");
    if (f->from && f->to && f->from >= f->to)
        return mon__error(MON_EINVAL, "to", "must be after from");
    return MON_OK;
}

static const char *cell(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int fill(mon_audit_list *list, size_t limit)
{
    int rows = PQntuples(list->res);
    list->count = (size_t)rows > limit ? limit : (size_t)rows;
    if (list->count && !(list->rows = calloc(list->count, sizeof(*list->rows))))
        return mon__error_nomem();
    for (size_t i = 0; i < list->count; i++) {
        const PGresult *res = list->res;
        mon_audit_row *r = &list->rows[i];
        int row = (int)i;
        r->version = MON_AUDIT_ROW_VERSION;
        r->id = PQgetvalue(res, row, 0);
        r->seq = PQgetisnull(res, row, 1) ? -1 : strtoll(PQgetvalue(res, row, 1), NULL, 10);
        r->action = PQgetvalue(res, row, 2);
        r->target = PQgetvalue(res, row, 3);
        r->user_id = PQgetvalue(res, row, 4);
        r->user_email = PQgetvalue(res, row, 5);
        r->user_roles_json = cell(res, row, 6) ? cell(res, row, 6) : "[]";
        r->ip_address = cell(res, row, 7);
        r->user_agent = cell(res, row, 8);
        r->parameters_json = cell(res, row, 9) ? cell(res, row, 9) : "{}";
        r->result = strcmp(PQgetvalue(res, row, 10), "FAILURE") == 0 ? MON_AUDIT_FAILURE : MON_AUDIT_SUCCESS;
        r->error_message = cell(res, row, 11);
        r->created_at = strtoll(PQgetvalue(res, row, 12), NULL, 10);
        r->prev_hash_hex = cell(res, row, 13);
        r->row_hash_hex = cell(res, row, 14);
    }
    if ((size_t)rows > limit) {
        const mon_audit_row *last = &list->rows[list->count - 1];
        size_t len = 24 + MON_AUDIT_ID_SIZE;
        if (!(list->next_cursor = malloc(len)))
            return mon__error_nomem();
        snprintf(list->next_cursor, len, "%lld.%s", (long long)last->created_at, last->id);
    }
    return MON_OK;
}

int mon_audit_query(mon_audit_list **out, mon_store *store, const mon_audit_filter *filter)
{
    const mon_audit_filter defaults = MON_AUDIT_FILTER_INIT;
    const mon_audit_filter *f = filter ? filter : &defaults;
    char from[24], to[24], limit[24], result[8], micros[24], id[MON_AUDIT_ID_SIZE];
    const char *params[9];
    mon_audit_list *list;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = check_filter(f)) != MON_OK)
        return rc;
    if (f->cursor && (rc = parse_cursor(f->cursor, micros, id)) != MON_OK)
        return rc;
    snprintf(from, sizeof(from), "%lld", (long long)f->from);
    snprintf(to, sizeof(to), "%lld", (long long)f->to);
    snprintf(limit, sizeof(limit), "%zu", f->limit + 1);
    snprintf(result, sizeof(result), "%s", f->result == -1 ? "" : mon_audit_result_name((mon_audit_result)f->result));
    params[0] = f->user_id;
    params[1] = f->action;
    params[2] = f->target;
    params[3] = f->result == -1 ? NULL : result;
    params[4] = f->from ? from : NULL;
    params[5] = f->to ? to : NULL;
    params[6] = f->cursor ? micros : NULL;
    params[7] = f->cursor ? id : NULL;
    params[8] = limit;
    if (!(list = calloc(1, sizeof(*list))))
        return mon__error_nomem();
    /* Microseconds are exact both ways: 'epoch' + n microseconds, and extract(epoch) * 10^6. */
    list->res = mon__store_exec(
        store, "query audit log",
        "SELECT id, seq, action, target, user_id, user_email, user_roles::text, ip_address, user_agent,"
        " parameters::text, result, error_message, (extract(epoch FROM created_at) * 1000000)::bigint,"
        " encode(prev_hash, 'hex'), encode(row_hash, 'hex')"
        " FROM action_logs"
        " WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR action = $2)"
        " AND ($3::text IS NULL OR target = $3) AND ($4::action_result IS NULL OR result = $4)"
        " AND ($5::bigint IS NULL OR created_at >= 'epoch'::timestamptz + $5::bigint * interval '1 microsecond')"
        " AND ($6::bigint IS NULL OR created_at < 'epoch'::timestamptz + $6::bigint * interval '1 microsecond')"
        " AND ($7::bigint IS NULL OR (created_at, id) < ('epoch'::timestamptz + $7::bigint * interval"
        " '1 microsecond', $8::uuid))"
        " ORDER BY created_at DESC, id DESC LIMIT $9::int",
        9, params, MON__EXEC_RETRY, &rc);
    if (!list->res || (rc = fill(list, f->limit)) != MON_OK) {
        mon_audit_list_free(list);
        return rc;
    }
    *out = list;
    return MON_OK;
}

size_t mon_audit_list_count(const mon_audit_list *list) { return list ? list->count : 0; }

const mon_audit_row *mon_audit_list_at(const mon_audit_list *list, size_t index)
{
    return list && index < list->count ? &list->rows[index] : NULL;
}

const char *mon_audit_list_next_cursor(const mon_audit_list *list) { return list ? list->next_cursor : NULL; }

static json_t *nullable(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *row_json(const mon_audit_row *r)
{
    char created[MON__TIME_TEXT_MAX];
    json_t *roles = json_loads(r->user_roles_json, JSON_DECODE_ANY, NULL);
    json_t *params = json_loads(r->parameters_json, JSON_DECODE_ANY, NULL);

    mon__time_format(created, r->created_at);
    return json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:o, s:o}", "id", r->id,
                     "seq", r->seq >= 0 ? json_integer(r->seq) : json_null(), "action", r->action, "target",
                     r->target, "user_id", r->user_id, "user_email", r->user_email, "user_roles",
                     roles ? roles : json_null(), "ip_address", nullable(r->ip_address), "user_agent",
                     nullable(r->user_agent), "parameters", params ? params : json_null(), "result",
                     mon_audit_result_name(r->result), "error_message", nullable(r->error_message), "created_at",
                     created, "prev_hash", nullable(r->prev_hash_hex), "row_hash", nullable(r->row_hash_hex));
}

int mon_audit_list_to_json(char **out, const mon_audit_list *list)
{
    json_t *items, *obj;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!list)
        return mon__error(MON_EINVAL, "list", "must not be NULL");
    items = json_array();
    for (size_t i = 0; items && i < list->count; i++) {
        if (json_array_append_new(items, row_json(&list->rows[i])) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    obj = items ? json_pack("{s:o, s:o}", "items", items, "next_cursor", nullable(list->next_cursor)) : NULL;
    if (!obj || !(*out = json_dumps(obj, JSON_COMPACT))) {
        json_decref(obj);
        return mon__error_nomem();
    }
    json_decref(obj);
    return MON_OK;
}

void mon_audit_list_free(mon_audit_list *list)
{
    if (!list)
        return;
    PQclear(list->res);
    free(list->rows);
    free(list->next_cursor);
    free(list);
}
