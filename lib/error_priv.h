#ifndef MON_LIB_ERROR_PRIV_H
#define MON_LIB_ERROR_PRIV_H

#include "monitorage/error.h"

/*
 * Record the thread's last error and return code, so that failure paths read
 * `return mon__error(MON_EINVAL, "url", "scheme must be http or https");`.
 * field may be NULL. The message is prefixed with the field ("url: ...").
 * Never pass secret values in fmt arguments.
 */
int mon__error(int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record MON_ENOMEM with a standard message. */
int mon__error_nomem(void);

#endif
