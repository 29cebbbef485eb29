/* Connector configuration and action parameters: the registry's
 * configuration check (common options, credential names, each built-in
 * type's validate()) and each action's parameter handling.
 * Input: a byte choosing the type, a byte choosing the action, then
 * base_url, options JSON, credentials JSON and params JSON separated by NUL
 * bytes. An action runs only on a configuration that validates, with its
 * params when they are an object (as the registry does); every request goes
 * to a closed loopback port through ALL_PROXY, so nothing leaves the machine
 * (DOMAIN_HEALTH, which resolves names itself, is only validated).
 * Invariants: errors carry a message that holds no credential value. */
#include "fuzz.h"

#include "connector_priv.h"
#include "store_priv.h"

#include <monitorage/monitorage.h>

#define FIELDS 4

static mon_connectors *registry(void)
{
    static struct mon_store unused; /* validation and actions never reach the store */
    static mon_secret_key *key;
    static mon_connectors *reg;
    if (!reg) {
        static const char *const proxies[] = {"ALL_PROXY", "all_proxy", "http_proxy", "HTTPS_PROXY",
                                              "https_proxy"};
        for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
            setenv(proxies[i], "http://127.0.0.1:9", 1);
        unsetenv("NO_PROXY");
        unsetenv("no_proxy");
        FUZZ_ASSERT(mon_global_init() == MON_OK);
        FUZZ_ASSERT(mon_secret_key_from_hex(&key, "000102030405060708090a0b0c0d0e0f"
                                                  "101112131415161718191a1b1c1d1e1f") == MON_OK);
        FUZZ_ASSERT(mon_connectors_new(&reg, &unused, key) == MON_OK);
    }
    return reg;
}

/* The error message names no credential value of creds (values of 4+ bytes:
 * shorter ones may occur in any text; and not those the "[REDACTED]"
 * replacement itself would recreate). */
static void check_message(const struct mon__creds *creds)
{
    const char *message = mon_error_last();
    FUZZ_ASSERT(*message != '\0');
    for (size_t i = 0; creds && i < creds->count; i++)
        if (strlen(creds->values[i]) >= 4 && !strpbrk(creds->values[i], "[]") &&
            !strstr("[REDACTED]", creds->values[i]))
            FUZZ_ASSERT(strstr(message, creds->values[i]) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mon_connectors *reg = registry();
    const char *field[FIELDS] = {"", "{}", "", "{}"};
    struct mon__stored stored = {0};
    mon_connector_call *call = NULL;
    char *text;
    size_t at = 0;
    int rc;

    if (size < 2)
        return 0;
    const struct mon__registered *rt = &reg->types[data[0] % reg->count];
    text = fuzz_text(data + 2, size - 2);
    for (int i = 0; i < FIELDS && at <= size - 2; i++) {
        field[i] = text + at;
        at += strlen(text + at) + 1;
    }
    stored.base_url = (char *)field[0];
    stored.options = (char *)field[1];
    stored.enabled = 1;
    const char *creds = *field[2] ? field[2] : NULL;

    rc = mon__config_validate(reg, rt, &stored, creds, creds ? strlen(creds) : 0);
    if (rc == MON_OK) {
        FUZZ_ASSERT(mon__call_new(&call, reg, rt, &stored, creds, creds ? strlen(creds) : 0) == MON_OK);
        json_t *params = json_loads(field[3], 0, NULL);
        if (json_is_object(params) && rt->type.action_count > 0 && rt->builtin &&
            rt->builtin != &mon__connector_domain_health) {
            const mon_connector_action *act = &rt->type.actions[data[1] % rt->type.action_count];
            char *result = NULL;
            if (rt->type.run(&result, call, act->name, field[3], rt->type.payload) != MON_OK) {
                FUZZ_ASSERT(result == NULL);
                check_message(call->creds);
            }
            free(result);
        }
        json_decref(params);
        mon__call_free(call);
    } else {
        FUZZ_ASSERT(*mon_error_last() != '\0');
    }
    free(text);
    return 0;
}
