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

/*
 * A resource whose changes the library audits itself with the caller as
 * actor (maintenance windows, notification rules): POST creates (201 and a
 * Location of prefix + the new id), PUT/PATCH update, DELETE removes.
 */
struct srv_audited_resource {
    const char *prefix; /* path of one item up to its id, e.g. "/api/v1/notification-rules/" */
    const char *kind;   /* audit target of a refused create, e.g. "notification_rule" */
    int (*create)(char **out, mon_store *store, const char *body, const mon_audit_entry *actor);
    int (*update)(char **out, mon_store *store, const char *id, const char *body, const mon_audit_entry *actor);
    int (*remove)(mon_store *store, const char *id, const mon_audit_entry *actor);
};

/*
 * Answer a change of res (id NULL for a create): admin only. Refusals that
 * never reach the library (403, bad body, database down) are audited here
 * as action; the library audits the rest.
 */
void srv_audited_change(struct http_request *req, const struct srv_audited_resource *res, const char *action,
                        const char *id);

#endif
