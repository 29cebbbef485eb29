/**
 * @file error.h
 * @brief Error codes, their names, and the thread-local detail of the last error.
 *
 * Every function that can fail returns an int: MON_OK (0) or one of the
 * negative codes below. The detail ("url: scheme must be http or https") is
 * kept per thread until the next failing call on that thread and is read with
 * mon_error_last(); the field it concerns, if any, with mon_error_field().
 * Codes only grow: a value never changes meaning.
 *
 * Thread safety: all functions here may be called from any thread.
 */
#ifndef MONITORAGE_ERROR_H
#define MONITORAGE_ERROR_H

#include "common.h"

MON_BEGIN_DECLS

/** Result codes. 0 is success; every error is negative. */
typedef enum mon_error_code {
    MON_OK = 0,
    MON_EINVAL = -1,       /**< invalid argument or input (validation failed) */
    MON_ENOMEM = -2,       /**< out of memory */
    MON_ENOTFOUND = -3,    /**< no such object */
    MON_EEXISTS = -4,      /**< object already exists or conflicts */
    MON_EDB = -5,          /**< the database refused or failed a query */
    MON_ECONN = -6,        /**< the database is unreachable (after one reconnect attempt) */
    MON_ETIMEOUT = -7,     /**< an operation did not finish in time */
    MON_ENET = -8,         /**< network error talking to a remote system */
    MON_EIO = -9,          /**< local I/O error */
    MON_ECRYPTO = -10,     /**< cryptographic failure not covered by a code below */
    MON_EKEY = -11,        /**< encryption key missing or malformed */
    MON_EWRONGKEY = -12,   /**< ciphertext was made with another key (detail names its key id) */
    MON_ETAMPERED = -13,   /**< ciphertext altered or truncated: authentication failed */
    MON_EVERSION = -14,    /**< unsupported format or schema version */
    MON_EAUTH = -15,       /**< a remote system refused our credentials */
    MON_EFORBIDDEN = -16,  /**< authenticated but not allowed */
    MON_EDISABLED = -17,   /**< the object is disabled */
    MON_ERATELIMITED = -18,/**< a remote system rate-limits us (detail says when to retry) */
    MON_EUPSTREAM = -19,   /**< a remote system answered with an error */
    MON_EPROTO = -20,      /**< a remote system answered something we cannot parse */
    MON_ESTATE = -21,      /**< call not valid in the object's current state */
    MON_EUNSUPPORTED = -22,/**< operation not supported */
    MON_EFULL = -23,       /**< a bounded buffer or queue is full */
    MON_EBUSY = -24,       /**< resource busy; try again */
    MON_ECANCELED = -25    /**< operation cancelled */
} mon_error_code;

/**
 * Short English description of a code ("invalid argument"). Never NULL;
 * unknown codes give "unknown error". The string is static.
 */
MON_EXTERN const char *mon_strerror(int code);

/** Stable symbolic name of a code ("MON_EINVAL"); static string, never NULL. */
MON_EXTERN const char *mon_error_name(int code);

/**
 * Detail message of the last error on this thread, e.g.
 * "url: scheme must be http or https". Empty string if none. Valid until the
 * next library call on this thread; never contains secret values.
 */
MON_EXTERN const char *mon_error_last(void);

/**
 * Name of the input field the last error on this thread concerns ("url",
 * "headers.X-Token"), or an empty string. Same lifetime as mon_error_last().
 */
MON_EXTERN const char *mon_error_field(void);

/** Code of the last error on this thread (MON_OK if none was recorded). */
MON_EXTERN int mon_error_last_code(void);

/** Forget the last error of this thread. */
MON_EXTERN void mon_error_clear(void);

MON_END_DECLS

#endif
