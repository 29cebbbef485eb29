#include "error_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FIELD_MAX 128
#define DETAIL_MAX (2 * 512 + FIELD_MAX)

static _Thread_local char last_detail[DETAIL_MAX];
static _Thread_local char last_field[FIELD_MAX];
static _Thread_local int last_code;

struct code_info {
    int code;
    const char *name;
    const char *text;
};

static const struct code_info codes[] = {
    {MON_OK, "MON_OK", "success"},
    {MON_EINVAL, "MON_EINVAL", "invalid argument"},
    {MON_ENOMEM, "MON_ENOMEM", "out of memory"},
    {MON_ENOTFOUND, "MON_ENOTFOUND", "not found"},
    {MON_EEXISTS, "MON_EEXISTS", "already exists"},
    {MON_EDB, "MON_EDB", "database error"},
    {MON_ECONN, "MON_ECONN", "database unreachable"},
    {MON_ETIMEOUT, "MON_ETIMEOUT", "timed out"},
    {MON_ENET, "MON_ENET", "network error"},
    {MON_EIO, "MON_EIO", "input/output error"},
    {MON_ECRYPTO, "MON_ECRYPTO", "cryptographic failure"},
    {MON_EKEY, "MON_EKEY", "encryption key missing or malformed"},
    {MON_EWRONGKEY, "MON_EWRONGKEY", "encrypted with another key"},
    {MON_ETAMPERED, "MON_ETAMPERED", "ciphertext tampered or truncated"},
    {MON_EVERSION, "MON_EVERSION", "unsupported version"},
    {MON_EAUTH, "MON_EAUTH", "authentication refused"},
    {MON_EFORBIDDEN, "MON_EFORBIDDEN", "forbidden"},
    {MON_EDISABLED, "MON_EDISABLED", "disabled"},
    {MON_ERATELIMITED, "MON_ERATELIMITED", "rate limited"},
    {MON_EUPSTREAM, "MON_EUPSTREAM", "remote system returned an error"},
    {MON_EPROTO, "MON_EPROTO", "unexpected reply from remote system"},
    {MON_ESTATE, "MON_ESTATE", "invalid state for this call"},
    {MON_EUNSUPPORTED, "MON_EUNSUPPORTED", "not supported"},
    {MON_EFULL, "MON_EFULL", "buffer full"},
    {MON_EBUSY, "MON_EBUSY", "busy"},
    {MON_ECANCELED, "MON_ECANCELED", "cancelled"},
};

static const struct code_info *find_code(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return &codes[i];
    return NULL;
}

const char *mon_strerror(int code)
{
    const struct code_info *info = find_code(code);
    return info ? info->text : "unknown error";
}

const char *mon_error_name(int code)
{
    const struct code_info *info = find_code(code);
    return info ? info->name : "MON_EUNKNOWN";
}

const char *mon_error_last(void) { return last_detail; }

const char *mon_error_field(void) { return last_field; }

int mon_error_last_code(void) { return last_code; }

void mon_error_clear(void)
{
    last_detail[0] = '\0';
    last_field[0] = '\0';
    last_code = MON_OK;
}

int mon__error(int code, const char *field, const char *fmt, ...)
{
    char message[DETAIL_MAX - FIELD_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);

    last_code = code;
    snprintf(last_field, sizeof(last_field), "%s", field ? field : "");
    if (field && *field)
        snprintf(last_detail, sizeof(last_detail), "%s: %s", field, message);
    else
        snprintf(last_detail, sizeof(last_detail), "%s", message);
    return code;
}

int mon__error_nomem(void) { return mon__error(MON_ENOMEM, NULL, "out of memory"); }
