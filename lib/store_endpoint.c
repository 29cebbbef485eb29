/* Endpoint CRUD and paged listing in PostgreSQL (parameterized queries only). */
#include "error_priv.h"
#include "store_priv.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mon_endpoint_list {
    mon_endpoint **items;
    size_t count;
    size_t total;
};

/* Column order read by endpoint_from_row(). */
#define ENDPOINT_COLUMNS                                                                                     \
    "e.id, e.name, e.type, e.url, e.check_interval, e.timeout, e.expected_status, e.headers, e.enabled, "    \
    "e.method, e.degraded_ms, e.retries, e.conditions, e.cert_warn_days, e.follow_redirects, "               \
    "e.created_at, e.updated_at"

/* Parameters $1..$14 of insert and update, in this order after the id. */
#define ENDPOINT_PARAM_COUNT 15

int mon_endpoint_filter_init(mon_endpoint_filter *filter, unsigned int version)
{
    static const mon_endpoint_filter defaults = MON_ENDPOINT_FILTER_INIT;
    if (!filter)
        return mon__error(MON_EINVAL, "filter", "must not be NULL");
    if (version != MON_ENDPOINT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown mon_endpoint_filter version %u", version);
    *filter = defaults;
    return MON_OK;
}

static int check_id(const char *id)
{
    if (!id)
        return mon__error(MON_EINVAL, "id", "must not be NULL");
    if (!mon__uuid_valid(id))
        return mon__error(MON_EINVAL, "id", "not a UUID (8-4-4-4-12 hexadecimal digits)");
    return MON_OK;
}

static int parse_db_time(mon_time *out, const char *text, const char *field)
{
    if (mon__time_parse(out, text) != MON_OK)
        return mon__error(MON_EDB, field, "unreadable time stamp from the database");
    return MON_OK;
}

static int row_int(const PGresult *res, int row, int col)
{
    return atoi(PQgetvalue(res, row, col));
}

static int row_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* Build an endpoint from row `row` of a result selecting ENDPOINT_COLUMNS. A
 * row that another client wrote outside the model's bounds fails with the
 * setter's error naming the field. */
static int endpoint_from_row(mon_endpoint **out, const PGresult *res, int row)
{
    mon_endpoint *ep = NULL;
    mon_endpoint_type type;
    mon_time created = 0, updated = 0;
    int rc;

    *out = NULL;
    if ((rc = mon_endpoint_new(&ep)) != MON_OK)
        return rc;
    if ((rc = mon_endpoint_type_parse(&type, PQgetvalue(res, row, 2))) == MON_OK &&
        (rc = mon_endpoint_set_id(ep, PQgetvalue(res, row, 0))) == MON_OK &&
        (rc = mon_endpoint_set_name(ep, PQgetvalue(res, row, 1))) == MON_OK &&
        (rc = mon_endpoint_set_type(ep, type)) == MON_OK &&
        (rc = mon_endpoint_set_url(ep, PQgetvalue(res, row, 3))) == MON_OK &&
        (rc = mon_endpoint_set_check_interval(ep, row_int(res, row, 4))) == MON_OK &&
        (rc = mon_endpoint_set_timeout_ms(ep, row_int(res, row, 5))) == MON_OK &&
        (rc = mon_endpoint_set_expected_status(ep, row_int(res, row, 6))) == MON_OK &&
        (rc = mon_endpoint_set_headers_json(ep, PQgetisnull(res, row, 7) ? "{}" : PQgetvalue(res, row, 7))) ==
            MON_OK &&
        (rc = mon_endpoint_set_enabled(ep, row_bool(res, row, 8))) == MON_OK &&
        (rc = mon_endpoint_set_method(ep, PQgetvalue(res, row, 9))) == MON_OK &&
        (rc = mon_endpoint_set_degraded_ms(ep, row_int(res, row, 10))) == MON_OK &&
        (rc = mon_endpoint_set_retries(ep, row_int(res, row, 11))) == MON_OK &&
        (rc = mon_endpoint_set_conditions_json(ep, PQgetvalue(res, row, 12))) == MON_OK &&
        (rc = mon_endpoint_set_cert_warn_days(ep, row_int(res, row, 13))) == MON_OK &&
        (rc = mon_endpoint_set_follow_redirects(ep, row_bool(res, row, 14))) == MON_OK &&
        (rc = parse_db_time(&created, PQgetvalue(res, row, 15), "created_at")) == MON_OK &&
        (rc = parse_db_time(&updated, PQgetvalue(res, row, 16), "updated_at")) == MON_OK)
        rc = mon_endpoint_set_timestamps(ep, created, updated);
    if (rc != MON_OK) {
        mon_endpoint_free(ep);
        return rc;
    }
    *out = ep;
    return MON_OK;
}

/* Text parameters $1..$15 of an endpoint (id first, NULL when it has none);
 * the numbers are formatted into `numbers`. */
struct endpoint_params {
    const char *values[ENDPOINT_PARAM_COUNT];
    char numbers[6][16];
};

static void endpoint_params(struct endpoint_params *p, const mon_endpoint *ep)
{
    const char *id = mon_endpoint_get_id(ep);
    snprintf(p->numbers[0], sizeof(p->numbers[0]), "%d", mon_endpoint_get_check_interval(ep));
    snprintf(p->numbers[1], sizeof(p->numbers[1]), "%d", mon_endpoint_get_timeout_ms(ep));
    snprintf(p->numbers[2], sizeof(p->numbers[2]), "%d", mon_endpoint_get_expected_status(ep));
    snprintf(p->numbers[3], sizeof(p->numbers[3]), "%d", mon_endpoint_get_degraded_ms(ep));
    snprintf(p->numbers[4], sizeof(p->numbers[4]), "%d", mon_endpoint_get_retries(ep));
    snprintf(p->numbers[5], sizeof(p->numbers[5]), "%d", mon_endpoint_get_cert_warn_days(ep));
    p->values[0] = id && *id ? id : NULL;
    p->values[1] = mon_endpoint_get_name(ep);
    p->values[2] = mon_endpoint_type_name(mon_endpoint_get_type(ep));
    p->values[3] = mon_endpoint_get_url(ep);
    p->values[4] = p->numbers[0];
    p->values[5] = p->numbers[1];
    p->values[6] = p->numbers[2];
    p->values[7] = mon_endpoint_get_headers_json(ep);
    p->values[8] = mon_endpoint_get_enabled(ep) ? "true" : "false";
    p->values[9] = mon_endpoint_get_method(ep);
    p->values[10] = p->numbers[3];
    p->values[11] = p->numbers[4];
    p->values[12] = mon_endpoint_get_conditions_json(ep);
    p->values[13] = p->numbers[5];
    p->values[14] = mon_endpoint_get_follow_redirects(ep) ? "true" : "false";
}

/* Copy id, created_at and updated_at of a RETURNING id, created_at, updated_at row into ep. */
static int take_returned(mon_endpoint *ep, const PGresult *res)
{
    mon_time created = 0, updated = 0;
    int rc;
    if ((rc = parse_db_time(&created, PQgetvalue(res, 0, 1), "created_at")) != MON_OK ||
        (rc = parse_db_time(&updated, PQgetvalue(res, 0, 2), "updated_at")) != MON_OK)
        return rc;
    if ((rc = mon_endpoint_set_id(ep, PQgetvalue(res, 0, 0))) != MON_OK)
        return rc;
    return mon_endpoint_set_timestamps(ep, created, updated);
}

int mon_store_endpoint_create(mon_store *store, mon_endpoint *ep)
{
    struct endpoint_params p;
    PGresult *res;
    int rc;

    if (!store || !ep)
        return mon__error(MON_EINVAL, store ? "endpoint" : "store", "must not be NULL");
    if ((rc = mon_endpoint_validate(ep)) != MON_OK)
        return rc;
    endpoint_params(&p, ep);
    res = mon__store_exec(
        store, "insert endpoint",
        "INSERT INTO endpoints (id, name, type, url, check_interval, timeout, expected_status,"
        " headers, enabled, method, degraded_ms, retries, conditions, cert_warn_days,"
        " follow_redirects) VALUES (COALESCE($1::uuid, uuid_generate_v4()), $2, $3, $4, $5,"
        " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " RETURNING id, created_at, updated_at",
        ENDPOINT_PARAM_COUNT, p.values, 0, &rc);
    if (!res) {
        if (rc == MON_EEXISTS)
            return mon__error(MON_EEXISTS, "id", "an endpoint with id %s already exists",
                              p.values[0] ? p.values[0] : "(generated)");
        return rc;
    }
    rc = take_returned(ep, res);
    PQclear(res);
    return rc;
}

/* The hot reads run prepared: no parse and plan per call. */
static const struct mon__stmt get_stmt = {"mon_endpoint_get",
                                          "SELECT " ENDPOINT_COLUMNS " FROM endpoints e WHERE e.id = $1"};

int mon_store_endpoint_get(mon_endpoint **out, mon_store *store, const char *id)
{
    const char *params[1] = {id};
    PGresult *res;
    int rc;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if ((rc = check_id(id)) != MON_OK)
        return rc;
    res = mon__store_exec_prepared(store, "read endpoint", &get_stmt, 1, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no endpoint with id %s", id);
    else
        rc = endpoint_from_row(out, res, 0);
    PQclear(res);
    return rc;
}

int mon_store_endpoint_update(mon_store *store, mon_endpoint *ep)
{
    struct endpoint_params p;
    PGresult *res;
    int rc;

    if (!store || !ep)
        return mon__error(MON_EINVAL, store ? "endpoint" : "store", "must not be NULL");
    if (!*mon_endpoint_get_id(ep))
        return mon__error(MON_EINVAL, "id", "the endpoint has no id: create it first");
    if ((rc = mon_endpoint_validate(ep)) != MON_OK)
        return rc;
    endpoint_params(&p, ep);
    res = mon__store_exec(
        store, "update endpoint",
        "UPDATE endpoints SET name = $2, type = $3, url = $4, check_interval = $5, timeout = $6,"
        " expected_status = $7, headers = $8, enabled = $9, method = $10, degraded_ms = $11,"
        " retries = $12, conditions = $13, cert_warn_days = $14, follow_redirects = $15"
        " WHERE id = $1 RETURNING id, created_at, updated_at",
        ENDPOINT_PARAM_COUNT, p.values, 0, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no endpoint with id %s", p.values[0]);
    else
        rc = take_returned(ep, res);
    PQclear(res);
    return rc;
}

int mon_store_endpoint_delete(mon_store *store, const char *id)
{
    const char *params[1] = {id};
    PGresult *res;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if ((rc = check_id(id)) != MON_OK)
        return rc;
    /* Deleting twice deletes once: safe to retry after a reconnect. */
    res = mon__store_exec(store, "delete endpoint", "DELETE FROM endpoints WHERE id = $1", 1, params,
                          MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    if (strcmp(PQcmdTuples(res), "0") == 0)
        rc = mon__error(MON_ENOTFOUND, "id", "no endpoint with id %s", id);
    PQclear(res);
    return rc;
}

int mon__selection_params(const char *params[5], char limit_text[24], char offset_text[24],
                          const char *prefix, int type, int enabled, int status, size_t limit,
                          size_t limit_max, size_t offset)
{
    char field[32];

    if (type != -1 && !mon_endpoint_type_name((mon_endpoint_type)type)) {
        snprintf(field, sizeof(field), "%s.type", prefix);
        return mon__error(MON_EINVAL, field, "must be -1 (any) or a mon_endpoint_type, not %d", type);
    }
    if (enabled < -1 || enabled > 1) {
        snprintf(field, sizeof(field), "%s.enabled", prefix);
        return mon__error(MON_EINVAL, field, "must be -1 (any), 0 or 1, not %d", enabled);
    }
    if (status != -1 && !mon_status_name((mon_status)status)) {
        snprintf(field, sizeof(field), "%s.status", prefix);
        return mon__error(MON_EINVAL, field, "must be -1 (any) or a mon_status, not %d", status);
    }
    if (limit < 1 || limit > limit_max) {
        snprintf(field, sizeof(field), "%s.limit", prefix);
        return mon__error(MON_EINVAL, field, "must be 1..%zu, not %zu", limit_max, limit);
    }
    if (offset > (size_t)INT64_MAX) {
        snprintf(field, sizeof(field), "%s.offset", prefix);
        return mon__error(MON_EINVAL, field, "too large");
    }
    snprintf(limit_text, 24, "%zu", limit);
    snprintf(offset_text, 24, "%zu", offset);
    params[0] = type == -1 ? NULL : mon_endpoint_type_name((mon_endpoint_type)type);
    params[1] = enabled == -1 ? NULL : (enabled ? "true" : "false");
    params[2] = status == -1 ? NULL : mon_status_name((mon_status)status);
    params[3] = limit_text;
    params[4] = offset_text;
    return MON_OK;
}

static const struct mon__stmt list_stmt = {"mon_endpoint_list",
                                           "SELECT " ENDPOINT_COLUMNS ", count(*) OVER ()" MON__SELECTION_FROM
                                           " ORDER BY e.name, e.id LIMIT $4 OFFSET $5"};
static const struct mon__stmt count_stmt = {"mon_endpoint_count", "SELECT count(*)" MON__SELECTION_FROM};

int mon__selection_count(mon_store *store, const char *what, const char *const *params, size_t *total)
{
    int rc;
    PGresult *res = mon__store_exec_prepared(store, what, &count_stmt, 3, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    *total = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return MON_OK;
}

int mon_store_endpoint_list(mon_endpoint_list **out, mon_store *store, const mon_endpoint_filter *filter)
{
    mon_endpoint_filter defaults = MON_ENDPOINT_FILTER_INIT;
    const mon_endpoint_filter *f = filter ? filter : &defaults;
    mon_endpoint_list *list;
    char limit[24], offset[24];
    const char *params[5];
    PGresult *res;
    int rc, rows;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (f->version != MON_ENDPOINT_FILTER_VERSION)
        return mon__error(MON_EVERSION, "filter.version", "unknown mon_endpoint_filter version %u",
                          f->version);
    if ((rc = mon__selection_params(params, limit, offset, "filter", f->type, f->enabled, f->status, f->limit,
                                    1000, f->offset)) != MON_OK)
        return rc;
    res = mon__store_exec_prepared(store, "list endpoints", &list_stmt, 5, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rows = PQntuples(res);
    list = calloc(1, sizeof(*list));
    if (!list || (rows > 0 && !(list->items = calloc((size_t)rows, sizeof(*list->items))))) {
        free(list);
        PQclear(res);
        return mon__error_nomem();
    }
    for (int row = 0; row < rows && rc == MON_OK; row++) {
        rc = endpoint_from_row(&list->items[row], res, row);
        if (rc == MON_OK)
            list->count++;
    }
    if (rows > 0)
        list->total = (size_t)strtoull(PQgetvalue(res, 0, 17), NULL, 10);
    PQclear(res);
    if (rc == MON_OK && rows == 0 && f->offset > 0)
        rc = mon__selection_count(store, "count endpoints", params, &list->total);
    if (rc != MON_OK) {
        mon_endpoint_list_free(list);
        return rc;
    }
    *out = list;
    return MON_OK;
}

size_t mon_endpoint_list_count(const mon_endpoint_list *list)
{
    return list ? list->count : 0;
}

const mon_endpoint *mon_endpoint_list_at(const mon_endpoint_list *list, size_t index)
{
    return list && index < list->count ? list->items[index] : NULL;
}

size_t mon_endpoint_list_total(const mon_endpoint_list *list)
{
    return list ? list->total : 0;
}

void mon_endpoint_list_free(mon_endpoint_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        mon_endpoint_free(list->items[i]);
    free(list->items);
    free(list);
}
