/* The bearer token of TALEND endpoint checks: the TALEND connector's "token"
 * credential, handed to the checker through its token hook. */
#include "connector_priv.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

int mon_connectors_talend_token(char **token, const mon_endpoint *ep, void *payload)
{
    mon_connectors *reg = payload;
    const struct mon__registered *rt;
    struct mon__stored stored = {0};
    mon_secret_plain *plain = NULL;
    struct mon__creds *creds = NULL;
    const char *value;
    int rc;

    (void)ep;
    if (!token)
        return mon__error(MON_EINVAL, "token", "must not be NULL");
    *token = NULL;
    if (!reg)
        return mon__error(MON_EINVAL, "payload", "must be a mon_connectors registry");
    if (!(rt = mon__registry_find(reg, "TALEND")))
        return mon__error(MON_ENOTFOUND, "connector", "no TALEND connector type");
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    if (!stored.credentials || !*stored.credentials) {
        mon__stored_clear(&stored);
        return MON_OK;
    }
    if (!reg->key)
        rc = mon__error(MON_EKEY, "credentials", "TALEND credentials are encrypted but no key was given");
    else if ((rc = mon_secret_decrypt(&plain, reg->key, stored.credentials)) == MON_OK)
        rc = mon__creds_parse(&creds, mon_secret_plain_data(plain), mon_secret_plain_size(plain));
    mon_secret_plain_free(plain);
    mon__stored_clear(&stored);
    if (rc == MON_OK && (value = mon__creds_get(creds, "token")) != NULL && *value &&
        !(*token = strdup(value)))
        rc = mon__error_nomem();
    mon__creds_free(creds);
    return rc;
}
