/**
 * @file monitorage.h
 * @brief Umbrella header of libmonitorage: library version, global init, and
 *        every module header.
 *
 * Ownership rule, for the whole library: whatever a function hands to the
 * caller through an out-parameter belongs to the caller and is released with
 * the matching *_free() (objects) or mon_free() (strings and buffers). Every
 * *_free(NULL) and mon_free(NULL) is a no-op. Pointers returned by getters are
 * borrowed from the object and valid until it is modified or freed.
 *
 * When a function fails, its out-parameters are left NULL / untouched and
 * nothing was allocated for the caller.
 */
#ifndef MONITORAGE_H
#define MONITORAGE_H

#include "common.h"
#include "error.h"
#include "monitorage/version.h"

MON_BEGIN_DECLS

/** Version of the library actually loaded ("0.1.0"); static string. */
MON_EXTERN const char *mon_version(void);

/** Version of the loaded library as MAJOR * 10000 + MINOR * 100 + PATCH. */
MON_EXTERN int mon_version_number(void);

/**
 * Initialise the library's dependencies (libsodium, libcurl). Call once,
 * before any thread uses the library; further calls only count references.
 * Returns MON_OK or MON_ECRYPTO / MON_ENET when a dependency fails to start.
 */
MON_EXTERN int mon_global_init(void);

/** Release what mon_global_init() set up, after the last matching init. */
MON_EXTERN void mon_global_cleanup(void);

/** Free a string or buffer returned by the library. NULL is a no-op. */
MON_EXTERN void mon_free(void *ptr);

MON_END_DECLS

#include "endpoint.h"
#include "store.h"
#include "audit.h"
#include "secret.h"
#include "connector.h"
#include "checker.h"
#include "scheduler.h"
#include "incident.h"
#include "notify.h"
#include "metrics.h"
#include "timestamp.h"

#endif
