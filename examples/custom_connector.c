/*
 * custom_connector: register a connector type of your own and run its action.
 *
 *     DATABASE_URL=... custom_connector [BASE_URL]
 *
 * A connector type is a versioned table of functions (mon_connector_type):
 * a cheap test() and a run() for its actions, each receiving the stored
 * configuration through a mon_connector_call. Registered types live in the
 * same registry as the built-in ones, are configured and audited the same
 * way, and are stored in the custom_connectors table (the database must be
 * migrated: monitoragectl migrate). No encryption key is needed here
 * because this type has no credentials.
 */
#include <monitorage/monitorage.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* test(): report what is configured. The JSON must be malloc()ed: the registry frees it. */
static int greeter_test(char **result_json, mon_connector_call *call, void *payload)
{
    const char *base = mon_connector_call_base_url(call);
    size_t size = strlen(base) + 64;
    (void)payload;
    if (!(*result_json = malloc(size)))
        return mon_connector_call_error(call, MON_ENOMEM, "out of memory");
    snprintf(*result_json, size, "{\"ok\":true,\"base_url\":\"%s\"}", base);
    return MON_OK;
}

/* run(): the registry has already checked the action name, the role and that params is an object. */
static int greeter_run(char **result_json, mon_connector_call *call, const char *action,
                       const char *params_json, void *payload)
{
    const char *greeting = payload;
    size_t size = strlen(params_json) + strlen(greeting) + 64;
    (void)action;
    if (!(*result_json = malloc(size)))
        return mon_connector_call_error(call, MON_ENOMEM, "out of memory");
    snprintf(*result_json, size, "{\"greeting\":\"%s\",\"params\":%s}", greeting, params_json);
    return MON_OK;
}

/* Strings, actions and payload must outlive the registry: static storage does. */
static const mon_connector_action greeter_actions[] = {
    {"greet", "Answer with a greeting and the parameters it was given.",
     "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}", MON_CONNECTOR_ROLE_READER},
};

/* The audit hook sees every test and run; a real program would mon_audit_append() here. */
static void on_audit(const mon_connector_audit_event *event, void *payload)
{
    (void)payload;
    printf("audit: %s by %s: %s in %lld ms\n", event->target,
           event->actor && event->actor->user_id ? event->actor->user_id : "system",
           event->success ? "success" : "failure", (long long)event->duration_ms);
}

int main(int argc, char **argv)
{
    const char *url = getenv("DATABASE_URL");
    mon_connector_type type;
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    mon_connector_actor actor = MON_CONNECTOR_ACTOR_INIT;
    mon_store *store = NULL;
    mon_connectors *reg = NULL;
    char *result = NULL;
    int rc;

    if (!url) {
        fprintf(stderr, "custom_connector: set DATABASE_URL\n");
        return 2;
    }
    if (mon_global_init() != MON_OK)
        return 2;
    memset(&type, 0, sizeof(type));
    type.version = MON_CONNECTOR_TYPE_VERSION;
    type.name = "GREETER";
    type.description = "An example connector type that greets.";
    type.actions = greeter_actions;
    type.action_count = sizeof(greeter_actions) / sizeof(greeter_actions[0]);
    type.test = greeter_test;
    type.run = greeter_run;
    type.payload = "hello";

    rc = mon_store_open(&store, url);
    /* No key: this type stores no credentials. */
    if (rc == MON_OK)
        rc = mon_connectors_new(&reg, store, NULL);
    if (rc == MON_OK)
        rc = mon_connectors_register(reg, &type);
    if (rc == MON_OK)
        rc = mon_connector_set_audit_hook(reg, on_audit, NULL);
    /* Configure it like any connector: a base URL and enabled (connectors start disabled). */
    config.base_url = argc > 1 ? argv[1] : "http://127.0.0.1";
    config.enabled = 1;
    if (rc == MON_OK)
        rc = mon_connector_configure(reg, "GREETER", &config);
    if (rc == MON_OK && (rc = mon_connector_test(&result, reg, "GREETER", NULL)) == MON_OK) {
        printf("test: %s\n", result);
        mon_free(result);
        result = NULL;
    }
    /* Who runs the action: the role is checked against the action's min_role. */
    actor.user_id = "example";
    actor.role = MON_CONNECTOR_ROLE_READER;
    if (rc == MON_OK &&
        (rc = mon_connector_run(&result, reg, "GREETER", "greet", "{\"name\":\"world\"}", &actor)) == MON_OK)
        printf("greet: %s\n", result);
    if (rc != MON_OK)
        fprintf(stderr, "custom_connector: %s (%s)\n", mon_error_last(), mon_error_name(rc));
    mon_free(result);
    mon_connectors_free(reg);
    mon_store_close(store);
    mon_global_cleanup();
    return rc == MON_OK ? 0 : 2;
}
