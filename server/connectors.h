#ifndef MON_SERVER_CONNECTORS_H
#define MON_SERVER_CONNECTORS_H

/*
 * The worker's encryption key of connector credentials (ENCRYPTION_KEY,
 * the variable the library and monitoragectl read), loaded on the worker
 * thread at first use; NULL when unset or malformed (logged once), and then
 * credentials can be neither set nor used (503 encryption_key_unavailable).
 * Task threads may read it; it lives as long as the worker.
 */

#include "monitorage/monitorage.h"

const mon_secret_key *srv_connectors_key(void);

#endif
