#ifndef MON_SERVER_METRICS_H
#define MON_SERVER_METRICS_H

/*
 * GET /metrics in the Prometheus text format: the latest status and phase
 * timings of every endpoint, checks counted by status (from the store), and
 * the server's answers counted and timed (histogram) per handler and status
 * class across all workers (counters in memory shared by the parent before
 * the fork, updated atomically).
 */

struct http_request;

/* Parent, before the fork: map the shared counters. 0, or -1 on failure. */
int srv_metrics_init(void);

/* Count req's answer (called by every reply path of the module). */
void srv_metrics_count(const struct http_request *req, int status);

#endif
