/* Which credential fields of a connector are set: decrypted to look, never
 * returned. */
#include "connector_priv.h"
#include "error_priv.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int mon_connector_credentials_set_json(char **out, mon_connectors *reg, const char *name)
{
    const struct mon__registered *rt;
    const char *const *field;
    struct mon__stored stored;
    struct mon__creds *creds = NULL;
    json_t *set;
    int rc;

    if (!out || !reg)
        return mon__error(MON_EINVAL, out ? "reg" : "out", "must not be NULL");
    *out = NULL;
    if ((rc = mon__registry_get(&rt, reg, name)) != MON_OK)
        return rc;
    if ((rc = mon__stored_load(&stored, reg, rt)) != MON_OK)
        return rc;
    rc = mon__stored_creds(&creds, reg, &stored);
    mon__stored_clear(&stored);
    if (rc != MON_OK)
        return rc;
    set = json_object();
    for (field = rt->type.credential_fields; set && field && *field; field++) {
        const char *value = mon__creds_get(creds, *field);
        json_object_set_new(set, *field, json_boolean(value && *value));
    }
    mon__creds_free(creds);
    return mon__result(out, set);
}
