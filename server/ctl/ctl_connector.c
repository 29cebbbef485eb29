/* monitoragectl connector list|set|test|run. */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char connector_usage[] =
    "Usage: monitoragectl connector list [--json]\n"
    "       monitoragectl connector set NAME [--base-url URL] [--options JSON]\n"
    "                                        [--credentials-file FILE] [--clear-credentials]\n"
    "                                        [--enable | --disable]\n"
    "       monitoragectl connector test NAME\n"
    "       monitoragectl connector run NAME ACTION [--params JSON]\n"
    "\n"
    "Credentials are a JSON object of strings read from FILE ('-' for stdin), never\n"
    "from the command line (other users can read it in the process list); they are\n"
    "encrypted with ENCRYPTION_KEY before they are stored and never printed.\n"
    "test and run print the connector's JSON result. Every set, test and run is\n"
    "recorded in the audit log. DATABASE_URL names the database; ENCRYPTION_KEY is\n"
    "needed by set (with credentials), test and run, and optional for list.\n";

/* Everything a connector command holds; released by close_registry(). */
struct registry {
    mon_store *store;
    mon_secret_key *key;
    mon_connectors *reg;
};

static void close_registry(struct registry *r)
{
    mon_connectors_free(r->reg);
    mon_secret_key_free(r->key);
    mon_store_close(r->store);
}

/* need_key: 1 the key is required, 0 it is used when ENCRYPTION_KEY is set. */
static int open_registry(struct registry *r, int need_key)
{
    const char *key = getenv("ENCRYPTION_KEY");
    int code, rc;
    memset(r, 0, sizeof(*r));
    if ((need_key || (key && *key)) && (code = ctl_load_key(&r->key, NULL)) != CTL_EXIT_OK)
        return code;
    if ((code = ctl_open_store(&r->store)) != CTL_EXIT_OK) {
        close_registry(r);
        return code;
    }
    if ((rc = mon_connectors_new(&r->reg, r->store, r->key)) != MON_OK) {
        close_registry(r);
        return ctl_fail(rc, "connectors");
    }
    return CTL_EXIT_OK;
}

/* The registry's audit hook: one audit row per test or action run, as the server writes. */
struct audit_ctx {
    mon_store *store;
    int code; /* CTL_EXIT_ERROR once a row could not be written */
};

static void on_audit(const mon_connector_audit_event *event, void *payload)
{
    struct audit_ctx *ctx = payload;
    const char *action = strcmp(event->action, "test") == 0 ? "connector.test" : "connector.run";
    if (ctl_audit_record(ctx->store, action, event->target, event->parameters_json,
                         event->success ? MON_OK : event->error_code, event->error_message) != CTL_EXIT_OK)
        ctx->code = CTL_EXIT_ERROR;
}

static void connector_row(ctl_table *table, const json_t *item)
{
    const char *row[5];
    row[0] = json_string_value(json_object_get(item, "name"));
    row[1] = json_is_true(json_object_get(item, "builtin")) ? "yes" : "no";
    row[2] = json_is_true(json_object_get(item, "enabled")) ? "yes" : "no";
    row[3] = json_is_true(json_object_get(item, "credentials_set")) ? "set" : "-";
    row[4] = ctl_json_text(item, "base_url");
    ctl_table_add(table, row);
}

static int connector_list(int argc, char **argv)
{
    static const char *const headers[] = {"NAME", "BUILTIN", "ENABLED", "CREDENTIALS", "BASE URL", NULL};
    struct registry r;
    char *text = NULL;
    int json, rc, code;

    if ((code = ctl_parse_json_only(argc, argv, "connector", &json)) != CTL_EXIT_OK ||
        (code = open_registry(&r, 0)) != CTL_EXIT_OK)
        return code;
    rc = mon_connector_list_json(&text, r.reg);
    code = ctl_print_list(rc, "connector list", text, json, NULL, headers, connector_row);
    mon_free(text);
    close_registry(&r);
    return code;
}

static int connector_set(int argc, char **argv)
{
    enum { O_BASE = 1, O_OPTIONS, O_CREDS, O_CLEAR, O_ENABLE, O_DISABLE };
    static const struct option options[] = {{"base-url", required_argument, NULL, O_BASE},
                                            {"options", required_argument, NULL, O_OPTIONS},
                                            {"credentials-file", required_argument, NULL, O_CREDS},
                                            {"clear-credentials", no_argument, NULL, O_CLEAR},
                                            {"enable", no_argument, NULL, O_ENABLE},
                                            {"disable", no_argument, NULL, O_DISABLE},
                                            {NULL, 0, NULL, 0}};
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    const char *creds_file = NULL, *name;
    char *creds = NULL, detail[512];
    struct registry r;
    json_t *params;
    char *params_text;
    int opt, rc, code, clear = 0;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case O_BASE:
            config.base_url = optarg;
            break;
        case O_OPTIONS:
            config.options_json = optarg;
            break;
        case O_CREDS:
            creds_file = optarg;
            break;
        case O_CLEAR:
            clear = 1;
            break;
        case O_ENABLE:
            config.enabled = 1;
            break;
        case O_DISABLE:
            config.enabled = 0;
            break;
        default:
            return ctl_usage_error("connector", "bad option for set");
        }
    }
    if (argc - optind != 1)
        return ctl_usage_error("connector", "set wants exactly one connector name");
    if (creds_file && clear)
        return ctl_usage_error("connector", "--credentials-file and --clear-credentials exclude each other");
    name = argv[optind];
    if ((code = open_registry(&r, creds_file != NULL)) != CTL_EXIT_OK)
        return code;
    if (creds_file && !(creds = ctl_read_file(creds_file))) {
        close_registry(&r);
        return CTL_EXIT_ERROR;
    }
    config.credentials_json = clear ? "" : creds;
    rc = mon_connector_configure(r.reg, name, &config);
    snprintf(detail, sizeof(detail), "%s", mon_error_last());
    if (creds) {
        /* The plaintext credentials are not needed any more: wipe them before freeing. */
        memset(creds, 0, strlen(creds));
        free(creds);
    }
    /* What changed, without the credentials themselves. */
    params = json_pack("{s:s?, s:s?, s:b, s:b}", "base_url", config.base_url, "options", config.options_json,
                       "credentials_changed", creds_file != NULL || clear, "credentials_cleared", clear);
    if (params && config.enabled >= 0)
        json_object_set_new(params, "enabled", json_boolean(config.enabled));
    params_text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    code = ctl_audit_record(r.store, "connector.configure", name, params_text, rc, detail);
    free(params_text);
    if (rc != MON_OK) {
        fprintf(stderr, "monitoragectl: connector set %s: %s (%s)\n", name,
                *detail ? detail : mon_strerror(rc), mon_error_name(rc));
        code = CTL_EXIT_ERROR;
    } else
        printf("configured %s\n", name);
    close_registry(&r);
    return code;
}

/* test NAME, or run NAME ACTION [--params JSON] (argv[0]). */
static int connector_call(int argc, char **argv)
{
    static const struct option options[] = {{"params", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    mon_connector_actor actor = MON_CONNECTOR_ACTOR_INIT;
    struct audit_ctx audit;
    struct registry r;
    const char *params = NULL, *name;
    char *result = NULL;
    int is_run = strcmp(argv[0], "run") == 0, opt, rc, code;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt != 'p' || !is_run)
            return ctl_usage_error("connector", "bad option for %s", is_run ? "run" : "test");
        params = optarg;
    }
    if (argc - optind != (is_run ? 2 : 1))
        return ctl_usage_error("connector", is_run ? "run wants a connector name and an action"
                                                   : "test wants exactly one connector name");
    name = argv[optind];
    if ((code = open_registry(&r, 1)) != CTL_EXIT_OK)
        return code;
    audit.store = r.store;
    audit.code = CTL_EXIT_OK;
    mon_connector_set_audit_hook(r.reg, on_audit, &audit);
    /* An operator at the console with database access is an administrator. */
    actor.user_id = ctl_os_user();
    actor.user_agent = "cli";
    actor.roles_json = "[\"admin\"]";
    actor.role = MON_CONNECTOR_ROLE_ADMIN;
    if (is_run)
        rc = mon_connector_run(&result, r.reg, name, argv[optind + 1], params, &actor);
    else
        rc = mon_connector_test(&result, r.reg, name, &actor);
    if (rc == MON_OK) {
        printf("%s\n", result);
        code = audit.code;
    } else {
        char what[160];
        snprintf(what, sizeof(what), "connector %s %s", is_run ? "run" : "test", name);
        code = ctl_fail(rc, what);
    }
    mon_free(result);
    close_registry(&r);
    return code;
}

int ctl_connector(int argc, char **argv)
{
    static const ctl_verb verbs[] = {{"list", connector_list},
                                     {"set", connector_set},
                                     {"test", connector_call},
                                     {"run", connector_call},
                                     {NULL, NULL}};
    return ctl_dispatch(argc, argv, "connector", connector_usage, verbs);
}
