/**
 * @file metrics.h
 * @brief Check figures for a metrics exporter (Prometheus /metrics of the
 *        REST server): checks counted by status, and the phase timings of
 *        each endpoint's latest check, read from the store in one query.
 *
 * Thread safety: as every store call, one thread at a time per mon_store.
 */
#ifndef MONITORAGE_METRICS_H
#define MONITORAGE_METRICS_H

#include "common.h"
#include "store.h"

MON_BEGIN_DECLS

/**
 * The check figures as a JSON object text into *out (free with mon_free()):
 *
 *   {"checks_total": {"UP": n, "DOWN": n, "DEGRADED": n, "UNKNOWN": n},
 *    "phases": [{"endpoint_id": "...", "dns_ms": x|null, "connect_ms": x|null,
 *                "tls_ms": x|null, "ttfb_ms": x|null, "total_ms": n|null}, ...]}
 *
 * checks_total sums, over every endpoint, the checks recorded since its first
 * retained hour (the cumulative counts of the hourly rollups: a counter that
 * only grows while history is recorded). phases has one entry per endpoint
 * that has a latest check, ordered by endpoint id; a phase the check did not
 * reach or measure is null, total_ms is the check's latency. MON_EINVAL for
 * NULL arguments, MON_ECONN / MON_EDB on database errors.
 */
MON_EXTERN int mon_store_check_metrics_json(char **out, mon_store *store);

MON_END_DECLS

#endif
