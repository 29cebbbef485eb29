/* The dashboard's overview in one query: latest status, uptime over 24 h and
 * the latest checks of a page of endpoints, written directly as JSON text
 * (as the latest status list is: at 10,000 endpoints Jansson objects would
 * cost more than the query). */
#include "copybuf.h"
#include "error_priv.h"
#include "store_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERVIEW_LIMIT_MAX 10000u
#define OVERVIEW_RECENT_MAX 60

/* Columns 0..9 as mon__status_entry_from_row() reads them; then the total, the
 * uptime counts of mon_rollup_window() (the function mon_store_uptime() reads
 * for windows of 2 h and more, so the figures are the same; called for every
 * endpoint and joined, as one call per row of the page would scan the
 * endpoints once per row), and the latest
 * checks' latencies and statuses as JSON array elements, oldest first (an
 * integer or null; a status name, which needs no escaping). */
static const struct mon__stmt overview_stmt = {
    "mon_status_overview",
    "WITH page AS (SELECT e.id, e.name, e.type, e.url, e.enabled, s.status, s.status_code, s.latency_ms,"
    " s.error_message, s.checked_at, count(*) OVER () AS total" MON__SELECTION_FROM
    " ORDER BY e.name, e.id LIMIT $4 OFFSET $5)"
    " SELECT p.id, p.name, p.type, p.url, p.enabled, p.status, p.status_code, p.latency_ms, p.error_message,"
    " p.checked_at, p.total, w.up, w.degraded, w.down, r.latencies, r.statuses"
    " FROM page p"
    " LEFT JOIN mon_rollup_window(now() - 86400 * interval '1 second') w ON w.endpoint_id = p.id"
    " LEFT JOIN LATERAL (SELECT"
    " string_agg(coalesce(x.latency_ms::text, 'null'), ',' ORDER BY x.checked_at, x.id) AS latencies,"
    " string_agg('\"' || x.status::text || '\"', ',' ORDER BY x.checked_at, x.id) AS statuses"
    " FROM (SELECT h.latency_ms, h.status, h.checked_at, h.id"
    " FROM health_history h WHERE h.endpoint_id = p.id ORDER BY h.checked_at DESC, h.id DESC LIMIT $6) x) r"
    " ON true"
    " ORDER BY p.name, p.id"};

int mon_overview_options_init(mon_overview_options *options, unsigned int version)
{
    static const mon_overview_options defaults = MON_OVERVIEW_OPTIONS_INIT;
    if (!options)
        return mon__error(MON_EINVAL, "options", "must not be NULL");
    if (version != MON_OVERVIEW_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown mon_overview_options version %u", version);
    *options = defaults;
    return MON_OK;
}

/* An array whose elements the query wrote (NULL: no element). */
static void write_array(struct mon__copybuf *b, const char *name, const char *elements)
{
    mon__copybuf_str(b, name);
    mon__copybuf_add(b, "[", 1);
    if (elements)
        mon__copybuf_str(b, elements);
    mon__copybuf_add(b, "]", 1);
}

static void write_item(struct mon__copybuf *b, const mon_status_entry *e, const PGresult *res, int row)
{
    mon__copybuf_add(b, "{", 1);
    mon__status_entry_json(b, e);
    mon__copybuf_str(b, ",\"uptime_24h_percent\":");
    {
        double percent = PQgetisnull(res, row, 11)
                             ? -1
                             : mon__uptime_percent(strtoll(PQgetvalue(res, row, 11), NULL, 10),
                                                   strtoll(PQgetvalue(res, row, 12), NULL, 10),
                                                   strtoll(PQgetvalue(res, row, 13), NULL, 10));
        if (percent >= 0)
            mon__copybuf_real(b, percent);
        else
            mon__copybuf_str(b, "null");
    }
    write_array(b, ",\"recent_latency_ms\":", PQgetisnull(res, row, 14) ? NULL : PQgetvalue(res, row, 14));
    write_array(b, ",\"recent_status\":", PQgetisnull(res, row, 15) ? NULL : PQgetvalue(res, row, 15));
    mon__copybuf_add(b, "}", 1);
}

int mon_store_status_overview(char **out, mon_store *store, const mon_overview_options *options)
{
    mon_overview_options defaults = MON_OVERVIEW_OPTIONS_INIT;
    const mon_overview_options *o = options ? options : &defaults;
    struct mon__copybuf b = {NULL, 0, 0, 0};
    char limit[24], offset[24], recent[24];
    const char *params[6];
    size_t total = 0;
    PGresult *res;
    int rc, rows;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (o->version != MON_OVERVIEW_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "options.version", "unknown mon_overview_options version %u",
                          o->version);
    if ((rc = mon__selection_params(params, limit, offset, "options", o->type, o->enabled, o->status,
                                    o->limit, OVERVIEW_LIMIT_MAX, o->offset)) != MON_OK)
        return rc;
    if (o->recent > OVERVIEW_RECENT_MAX)
        return mon__error(MON_EINVAL, "options.recent", "must be 0..%d, not %zu", OVERVIEW_RECENT_MAX,
                          o->recent);
    snprintf(recent, sizeof(recent), "%zu", o->recent);
    params[5] = recent;
    /* As for mon_store_uptime(): with mon_rollup_window() inlined the planner's estimate would turn JIT
     * on, whose compilation costs more than the query. */
    if ((rc = mon__store_jit(store, "read the overview", 0)) != MON_OK)
        return rc;
    res =
        mon__store_exec_prepared(store, "read the overview", &overview_stmt, 6, params, MON__EXEC_RETRY, &rc);
    {
        int reset = mon__store_jit(store, "read the overview", 1);
        if (res && reset != MON_OK) {
            PQclear(res);
            return reset;
        }
    }
    if (!res)
        return rc;
    rows = PQntuples(res);
    if (rows > 0)
        total = (size_t)strtoull(PQgetvalue(res, 0, 10), NULL, 10);
    else if (o->offset > 0 &&
             (rc = mon__selection_count(store, "count the overview's endpoints", params, &total)) != MON_OK) {
        PQclear(res);
        return rc;
    }
    mon__copybuf_str(&b, "{\"items\":[");
    for (int row = 0; row < rows; row++) {
        mon_status_entry e;
        if ((rc = mon__status_entry_from_row(&e, res, row)) != MON_OK) {
            PQclear(res);
            free(b.data);
            return rc;
        }
        if (row)
            mon__copybuf_add(&b, ",", 1);
        write_item(&b, &e, res, row);
    }
    PQclear(res);
    mon__copybuf_str(&b, "],\"total\":");
    mon__copybuf_int(&b, (long long)total);
    mon__copybuf_str(&b, ",\"limit\":");
    mon__copybuf_int(&b, (long long)o->limit);
    mon__copybuf_str(&b, ",\"offset\":");
    mon__copybuf_int(&b, (long long)o->offset);
    mon__copybuf_str(&b, ",\"recent\":");
    mon__copybuf_int(&b, (long long)o->recent);
    mon__copybuf_add(&b, "}", 2); /* with the terminating NUL */
    if (b.failed) {
        free(b.data);
        return mon__error_nomem();
    }
    *out = b.data;
    return MON_OK;
}
