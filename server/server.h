#ifndef MON_SERVER_SERVER_H
#define MON_SERVER_SERVER_H

/*
 * The Kore module monitorage_rest: shared state of the module's files.
 *
 * The server is thin: each handler file translates one resource's HTTP
 * requests to libmonitorage calls. Settings come from the environment, read
 * once in the parent (kore_parent_configure) and inherited by the workers.
 * Each worker owns one mon_store (a worker is one thread, so the store's
 * one-thread rule holds).
 */

#include <stddef.h>

#include "monitorage/monitorage.h"

struct http_request;

/* Settings read from the environment in the parent, before the fork. */
struct srv_config {
    char *database_url;
};

extern struct srv_config srv_config;

/*
 * The worker's database connection, opened in kore_worker_configure();
 * NULL when it could not be opened (the handlers answer 503 and the store
 * is opened again on the next request).
 */
mon_store *srv_store(void);

/* Log a line to the server's output (stdout with -f). */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Page handlers, named in the generated Kore configuration. */
int page_health(struct http_request *req);
int page_ready(struct http_request *req);
int page_me(struct http_request *req);
int page_endpoints(struct http_request *req);
int page_endpoint(struct http_request *req);
int page_endpoint_history(struct http_request *req);
int page_endpoint_uptime(struct http_request *req);
int page_endpoint_check(struct http_request *req);
int page_status(struct http_request *req);
int page_overview(struct http_request *req);
int page_audit(struct http_request *req);
int page_audit_verify(struct http_request *req);
int page_metrics(struct http_request *req);
int page_connectors(struct http_request *req);
int page_connector(struct http_request *req);
int page_connector_test(struct http_request *req);
int page_connector_actions(struct http_request *req);
int page_connector_action(struct http_request *req);
int page_notification_rules(struct http_request *req);
int page_notification_rule(struct http_request *req);
int page_notifications(struct http_request *req);
int page_incidents(struct http_request *req);
int page_incident(struct http_request *req);
int page_endpoint_incidents(struct http_request *req);
int page_incident_policy(struct http_request *req);
int page_endpoint_incident_policy(struct http_request *req);
int page_maintenance_windows(struct http_request *req);
int page_maintenance_window(struct http_request *req);
int page_not_found(struct http_request *req);

/*
 * The dashboard (www.c): parent, before the fork, load the files of
 * MONITORAGE_WWW_DIR (none when unset) and build the public sign-in settings.
 * 0, or -1 with a message in err.
 */
int srv_www_configure(char *err, size_t errlen);
int page_www(struct http_request *req);
int page_www_root(struct http_request *req);
int page_config(struct http_request *req);

#endif
