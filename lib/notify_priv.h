#ifndef MON_LIB_NOTIFY_PRIV_H
#define MON_LIB_NOTIFY_PRIV_H

/* Shared by notify.c (rules, outbox listing, audit) and notify_deliver.c
 * (dispatcher), and reachable by the tests. Never installed. */

#include "monitorage/notify.h"

#include <jansson.h>

/* mon__audit_change() with params (borrowed, may be NULL) as JSON. */
int mon__notify_audit(mon_store *store, const mon_audit_entry *actor, const char *action, const char *target,
                      json_t *params, int rc);

/* ------------------------------------------------ parsers (tests/fuzz/fuzz_notify.c drives them) */

/* text parsed into a JSON object *out (MON_EINVAL naming field when NULL, not JSON or not an object;
 * *out is then NULL). */
int mon__notify_parse_object(json_t **out, const char *text, const char *field);

/* A normalised rule, ready for the SQL parameters. Pointers borrow from the input object. */
struct mon__notify_rule {
    const char *name, *endpoint_id, *endpoint_type, *channel, *secret;
    int enabled, on_opened, on_resolved;
    json_t *config; /* owned: the channel block without the secret */
};

/* Validate in (the whole rule) into r; r->config is created here (free it even on error). Errors
 * name the field and never hold the webhook secret. */
int mon__notify_rule_check(struct mon__notify_rule *r, json_t *in);

/* Size of a ticket key, NUL included: a Jira issue key, a GLPI ticket id in decimal. */
#define MON__TICKET_KEY_MAX 64

/* The ticket key in the reply (text, may be NULL) of a JIRA or GLPI connector action, into key:
 * search 0, a create's reply ({"key": "OPS-1"} for Jira, {"id": 12} for GLPI); search 1, the
 * first result of a search ({"issues": [{"key": ...}]} for Jira, {"results": [{"2": 12}]} for
 * GLPI). key is "" when the reply holds none (or is not JSON). MON_EPROTO naming ticket_key when
 * the key cannot be kept whole: a Jira key of 64 bytes or more or with control characters, a GLPI
 * id outside 1 to 2^53. */
int mon__notify_reply_ticket(char key[MON__TICKET_KEY_MAX], const char *reply, int jira, int search);

/* One claimed outbox row: its id and the claim number its outcome is recorded against. */
struct mon__notify_claim {
    long long id;
    int claims;
};

/* Claim up to max due rows for the notifier (the first step of
 * mon_notify_dispatch(); tests call it alone to play a dispatcher that dies
 * after claiming). *count receives how many were claimed. */
int mon__notify_claim(struct mon__notify_claim *out, int max, int *count, mon_notifier *n);

#endif
