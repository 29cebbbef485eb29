/**
 * @file checker.h
 * @brief The checker: many HTTP(S) checks of endpoints at once, each judged
 *        UP / DOWN / DEGRADED / UNKNOWN with phase timings.
 *
 * A checker runs every submitted check on one libcurl multi handle, at most
 * max_in_flight at a time (the rest wait in submission order). Connections
 * are never reused and the DNS cache is not kept, so every result measures
 * name lookup, connect, TLS handshake, time to first byte and total. Results
 * are delivered to the callback given at submission; the rules that decide
 * the status and the wording of the messages are in docs/checker.md.
 *
 * Two ways to drive it:
 *  - blocking: mon_checker_run() until every submitted check has finished;
 *  - event loop: the host watches the file descriptors the checker asks for
 *    (mon_checker_set_socket_callback() or mon_checker_fds()) and the time
 *    from mon_checker_timeout_ms(), and calls mon_checker_process() when one
 *    is ready or the time has come (libcurl's multi-socket model).
 *
 * Thread safety: a checker is used by one thread at a time (callbacks run on
 * the thread that called mon_checker_run() / mon_checker_process());
 * distinct checkers are independent. mon_global_init() must have been called
 * once before any thread creates a checker.
 */
#ifndef MONITORAGE_CHECKER_H
#define MONITORAGE_CHECKER_H

#include "common.h"
#include "endpoint.h"
#include "store.h"

MON_BEGIN_DECLS

/** A checker (opaque). */
typedef struct mon_checker mon_checker;

/**
 * Bearer token hook for TALEND endpoints: called once per attempt of a
 * TALEND check. Set *token to a malloc'd NUL-terminated token (the checker
 * sends "Authorization: Bearer <token>", then wipes and frees it) or leave
 * it NULL to send none. A negative return makes the check UNKNOWN with the
 * message "no credentials: <mon_error_last()>". Called on the checker's
 * thread; ep is borrowed for the call.
 */
typedef int (*mon_checker_token_cb)(char **token, const mon_endpoint *ep, void *payload);

/**
 * A mon_checker_token_cb for TALEND endpoints: payload is a mon_connectors
 * registry (connector.h). Sets *token to a copy of the "token" credential of
 * the TALEND connector, or NULL when that connector has no stored
 * credentials or is disabled (the check is then sent without a token). Each
 * call reads and decrypts the stored configuration (one database round trip
 * on the registry's store), so an edited token is used from the next check.
 * Errors: MON_EKEY (credentials stored but the registry has no key, or the
 * wrong one), MON_ECONN, MON_EINVAL. The token never appears in a message.
 * Thread safety: the registry's (one thread at a time).
 */
MON_EXTERN int mon_checker_talend_token(char **token, const mon_endpoint *ep, void *payload);

/** Options of mon_checker_new(). */
typedef struct mon_checker_options {
    unsigned int version;   /**< MON_CHECKER_OPTIONS_VERSION */
    int max_in_flight;      /**< checks running at once, 1..100000 (default 1000) */
    size_t body_limit;      /**< bytes of body read, 0..64 MiB (default 1 MiB); the rest is not read */
    const char *user_agent; /**< NULL for "Monitorage/<version>"; copied */
    int retry_delay_ms;     /**< wait before retrying a failed attempt, 0..60000 (default 200) */
    const char *ca_file;    /**< PEM bundle of trusted CAs; NULL for the system's; copied */
    /** NULL-terminated "host:port:address" overrides (CURLOPT_RESOLVE); copied */
    const char *const *resolve;
    int ip_version;                /**< 0 any, 4 IPv4 only, 6 IPv6 only */
    mon_checker_token_cb token_cb; /**< bearer token of TALEND endpoints; NULL for none */
    void *token_payload;           /**< given to token_cb */
} mon_checker_options;

/** Current version of mon_checker_options. */
#define MON_CHECKER_OPTIONS_VERSION 1
/** Static initialiser of mon_checker_options with every default (1000 in flight, 1 MiB body, 200 ms retry delay). */
#define MON_CHECKER_OPTIONS_INIT                                                                             \
    {                                                                                                        \
        MON_CHECKER_OPTIONS_VERSION, 1000, 1u << 20, NULL, 200, NULL, NULL, 0, NULL, NULL                    \
    }

/** Initialise options like MON_CHECKER_OPTIONS_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_checker_options_init(mon_checker_options *options, unsigned int version);

/** The result of one check, borrowed by the result callback. */
typedef struct mon_check_result {
    unsigned int version;    /**< MON_CHECK_RESULT_VERSION of the library that filled it */
    const char *endpoint_id; /**< the endpoint's UUID, "" when it has none */
    const char *url;         /**< the URL requested (APIM default path applied) */
    mon_status status;         /**< the verdict: UP, DOWN, DEGRADED or UNKNOWN (docs/checker.md) */
    int status_code;           /**< HTTP status of the last attempt, 0 when there was no answer */
    int latency_ms;            /**< total time of the last attempt, -1 when it never started */
    const char *error_message; /**< why it is not UP ("expected 200, got 503"); NULL when UP */
    int attempts;              /**< attempts made (1 + retries used); 0 when none could run */
    /** Phase durations of the last attempt in ms, -1 when the phase did not happen:
     *  DNS lookup, TCP connect, TLS handshake, wait for the first byte after the
     *  request was sent, and the whole transfer. */
    double dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
    mon_time cert_expires_at; /**< leaf certificate's notAfter (HTTPS), 0 when unknown */
    const char *remote_ip;    /**< address connected to (the DNS answer used), "" when none */
    mon_time checked_at;      /**< start of the last attempt */
    int body_truncated;       /**< 1 when the body was longer than body_limit and cut there */
    size_t body_bytes;        /**< body bytes read (at most body_limit) */
} mon_check_result;
/** @var mon_check_result::connect_ms
 *  TCP connect time of the last attempt in ms, -1 when it did not happen. */
/** @var mon_check_result::tls_ms
 *  TLS handshake time of the last attempt in ms, -1 when it did not happen. */
/** @var mon_check_result::ttfb_ms
 *  Wait for the first byte after the request was sent, in ms; -1 when it did not happen. */
/** @var mon_check_result::total_ms
 *  Whole transfer of the last attempt in ms, -1 when it did not happen. */

/** Current version of mon_check_result. */
#define MON_CHECK_RESULT_VERSION 1

/**
 * Called once per submitted check when it has finished (after its retries),
 * on the thread driving the checker. result and its strings are borrowed for
 * the duration of the call (copy with mon_check_result_dup()). The callback
 * may submit new checks; it must not free or drive the checker
 * (mon_checker_free(), mon_checker_run(), mon_checker_process()).
 */
typedef void (*mon_check_cb)(mon_checker *checker, const mon_check_result *result, void *payload);

/**
 * Create a checker with options (NULL for the defaults). Free with
 * mon_checker_free(). MON_EINVAL names a bad option, MON_EVERSION for an
 * unknown options version, MON_ENET if libcurl cannot make a multi handle.
 * For thousands of checks in flight the process needs as many file
 * descriptors (RLIMIT_NOFILE).
 */
MON_EXTERN int mon_checker_new(mon_checker **out, const mon_checker_options *options);

/**
 * Free the checker. Checks not finished are abandoned and their callbacks
 * are not called. NULL is a no-op. Not from inside a callback.
 */
MON_EXTERN void mon_checker_free(mon_checker *checker);

/**
 * Queue a check of ep (copied: the caller keeps ownership of ep). It starts
 * as soon as fewer than max_in_flight checks run, when the checker is next
 * driven. cb is called exactly once with payload when it finishes. Returns
 * MON_OK, MON_EINVAL (NULL argument, or ep has no URL: every other field is
 * valid by construction, its setters validate) or MON_ENOMEM. When submit
 * returns an error, the callback is never called.
 */
MON_EXTERN int mon_checker_submit(mon_checker *checker, const mon_endpoint *ep, mon_check_cb cb,
                                  void *payload);

/** Checks submitted and not yet reported (queued, running or waiting to retry). */
MON_EXTERN size_t mon_checker_pending(const mon_checker *checker);

/** Checks running now (at most max_in_flight). */
MON_EXTERN size_t mon_checker_in_flight(const mon_checker *checker);

/**
 * Drive the checker until every submitted check (including those submitted
 * by callbacks meanwhile) has been reported, or timeout_ms has passed
 * (-1: no limit). Returns MON_OK when nothing is pending, MON_ETIMEOUT when
 * time ran out first (checks go on at the next call), MON_ENET on a libcurl
 * failure.
 */
MON_EXTERN int mon_checker_run(mon_checker *checker, int timeout_ms);

/* -- Event-loop interface -------------------------------------------------- */

#define MON_POLL_IN 1     /**< wait until the descriptor is readable */
#define MON_POLL_OUT 2    /**< wait until the descriptor is writable */
#define MON_POLL_REMOVE 4 /**< (socket callback only) stop watching the descriptor */
#define MON_POLL_ERR 8    /**< (mon_checker_process) error or hang-up on the descriptor */

/** Pass as fd to mon_checker_process() when the timeout has expired. */
#define MON_CHECKER_TIMEOUT (-1)

/**
 * Called when the checker wants a descriptor watched for events
 * (MON_POLL_IN / MON_POLL_OUT, replacing what was asked before), or no
 * longer watched (MON_POLL_REMOVE). Called from inside the checker's calls;
 * it must only record the request (no call on the checker).
 */
typedef void (*mon_checker_socket_cb)(mon_checker *checker, int fd, int events, void *payload);

/** Register (or with NULL, remove) the socket callback. Descriptors already watched are re-announced. */
MON_EXTERN int mon_checker_set_socket_callback(mon_checker *checker, mon_checker_socket_cb cb, void *payload);

/** A descriptor to watch, for hosts that poll() a list. */
typedef struct mon_checker_fd {
    int fd;     /**< the file descriptor (a socket) */
    int events; /**< MON_POLL_IN and/or MON_POLL_OUT */
} mon_checker_fd;

/**
 * Fill fds (capacity cap) with the descriptors to watch now and their
 * events; *count receives how many there are (which may exceed cap: call
 * again with a larger array). The list is valid until the next call that
 * drives the checker.
 */
MON_EXTERN int mon_checker_fds(mon_checker *checker, mon_checker_fd *fds, size_t cap, size_t *count);

/**
 * Milliseconds until mon_checker_process(checker, MON_CHECKER_TIMEOUT, 0)
 * must be called: 0 for now, -1 when nothing is pending.
 */
MON_EXTERN long mon_checker_timeout_ms(mon_checker *checker);

/**
 * Act on a ready descriptor (fd with the MON_POLL_* events seen) or on the
 * timeout (fd MON_CHECKER_TIMEOUT): advance transfers, start queued checks
 * and due retries, and call the callbacks of finished checks. MON_OK or
 * MON_ENET on a libcurl failure.
 */
MON_EXTERN int mon_checker_process(mon_checker *checker, int fd, int events);

/* -- Results ---------------------------------------------------------------- */

/** Deep copy of a result, owned by the caller. Free with mon_check_result_free(). */
MON_EXTERN int mon_check_result_dup(mon_check_result **out, const mon_check_result *result);

/** Free a result from mon_check_result_dup() or mon_check_url(). NULL is a no-op. */
MON_EXTERN void mon_check_result_free(mon_check_result *result);

/**
 * Fill record (initialised with MON_CHECK_RECORD_INIT) from result for
 * mon_store_history_insert(): endpoint id, status, code, latency, timings,
 * checked_at; record->error_message borrows result's string.
 */
MON_EXTERN int mon_check_result_to_record(mon_check_record *record, const mon_check_result *result);

/**
 * One-shot convenience for simple programs: check url (GET, expected
 * status 200, timeout_ms 100..60000, no retry) with default options and
 * put the result in *out (free with mon_check_result_free()). Blocks for at
 * most timeout_ms. MON_EINVAL for a bad URL or timeout.
 */
MON_EXTERN int mon_check_url(mon_check_result **out, const char *url, int timeout_ms);

MON_END_DECLS

#endif
