/* Check figures for a metrics exporter: one query, the JSON built by PostgreSQL. */
#include "monitorage/metrics.h"

#include "error_priv.h"
#include "store_priv.h"

#include <stdlib.h>
#include <string.h>

/* The latest rollup row of an endpoint holds its cumulative counts (c_*); the
 * latest check's row is endpoint_status.history_id. Both are index lookups
 * per endpoint (LIMIT 1 keeps the planner from turning the second into a hash
 * join over the whole history), never a scan of the history. */
static const struct mon__stmt metrics_stmt = {
    "mon_check_metrics",
    "SELECT json_build_object("
    " 'checks_total', (SELECT json_build_object('UP', coalesce(sum(r.c_up), 0),"
    "   'DOWN', coalesce(sum(r.c_down), 0), 'DEGRADED', coalesce(sum(r.c_degraded), 0),"
    "   'UNKNOWN', coalesce(sum(r.c_unknown), 0))"
    "  FROM endpoint_status s CROSS JOIN LATERAL (SELECT h.c_up, h.c_down, h.c_degraded, h.c_unknown"
    "   FROM health_rollup_hourly h WHERE h.endpoint_id = s.endpoint_id ORDER BY h.hour DESC LIMIT 1) r),"
    " 'phases', (SELECT coalesce(json_agg(json_build_object('endpoint_id', s.endpoint_id,"
    "   'dns_ms', h.dns_ms, 'connect_ms', h.connect_ms, 'tls_ms', h.tls_ms, 'ttfb_ms', h.ttfb_ms,"
    "   'total_ms', h.latency_ms) ORDER BY s.endpoint_id), '[]'::json)"
    "  FROM endpoint_status s CROSS JOIN LATERAL (SELECT x.dns_ms, x.connect_ms, x.tls_ms, x.ttfb_ms, "
    "x.latency_ms"
    "   FROM health_history x WHERE x.id = s.history_id LIMIT 1) h))::text"};

int mon_store_check_metrics_json(char **out, mon_store *store)
{
    PGresult *res;
    int rc;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (!(res =
              mon__store_exec_prepared(store, "check metrics", &metrics_stmt, 0, NULL, MON__EXEC_RETRY, &rc)))
        return rc;
    *out = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return *out ? MON_OK : mon__error_nomem();
}
