#ifndef MON_SERVER_REQUEST_AUDIT_H
#define MON_SERVER_REQUEST_AUDIT_H

/*
 * The audit row of a mutating request, written after its response: who
 * (the token's user id, e-mail and roles), from where (client address, user
 * agent), what (action, target, the request body as parameters, redacted by
 * mon_audit_append()) and how it ended (SUCCESS below status 400, else
 * FAILURE with the error message sent). 401s are not audited: there is no
 * verified identity to record.
 */

#include "monitorage/audit.h"

struct http_request;
struct srv_principal;

/*
 * Append the row for req, which has been answered. body is the request
 * body as received (may be NULL or not JSON). A failed append is logged;
 * the response is already sent.
 */
void srv_audit_request(struct http_request *req, const struct srv_principal *who, const char *action,
                       const char *target, const char *body);

/*
 * Fill the user fields of *e (user id, e-mail, roles, client address into
 * ip, user agent) for a library call that writes its own audit row with
 * this actor (mon_notify_rule_*). Borrowed from who, ip and req.
 */
void srv_audit_actor(mon_audit_entry *e, char ip[46], struct http_request *req, const struct srv_principal *who);

#endif
