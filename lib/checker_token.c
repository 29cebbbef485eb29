/* The bearer token of TALEND endpoints from the TALEND connector's stored
 * credentials (a mon_checker_token_cb; the checker sends and wipes it). */
#include "connector_priv.h"
#include "error_priv.h"
#include "monitorage/checker.h"

#include <stdlib.h>
#include <string.h>

int mon_checker_talend_token(char **token, const mon_endpoint *ep, void *payload)
{
    mon_connectors *reg = payload;
    const struct mon__registered *rt;
    struct mon__stored stored;
    struct mon__creds *creds = NULL;
    const char *value;
    int rc;

    if (!token || !ep || !reg)
        return mon__error(MON_EINVAL, NULL, "token, endpoint and registry must not be NULL");
    *token = NULL;
    if (!(rt = mon__registry_find(reg, "TALEND")))
        return mon__error(MON_ENOTFOUND, "connector", "no TALEND connector type in the registry");
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    /* Not configured, or disabled: the check goes without a token. */
    if (!stored.enabled || !stored.credentials || !*stored.credentials) {
        mon__stored_clear(&stored);
        return MON_OK;
    }
    rc = mon__stored_creds(&creds, reg, &stored);
    if (rc == MON_OK && (value = mon__creds_get(creds, "token")) && *value && !(*token = strdup(value)))
        rc = mon__error_nomem();
    mon__creds_free(creds);
    mon__stored_clear(&stored);
    return rc;
}
