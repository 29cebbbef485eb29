#ifndef MON_LIB_NOTIFY_PRIV_H
#define MON_LIB_NOTIFY_PRIV_H

/* Shared by notify.c (rules, outbox listing, audit) and notify_deliver.c
 * (dispatcher), and reachable by the tests. Never installed. */

#include "monitorage/notify.h"

#include <jansson.h>

/* mon__audit_change() with params (borrowed, may be NULL) as JSON. */
int mon__notify_audit(mon_store *store, const mon_audit_entry *actor, const char *action, const char *target,
                      json_t *params, int rc);

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
