/* monitoragectl notify rule add|list|rm and notify list (docs/notifications.md). */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char notify_usage[] =
    "Usage: monitoragectl notify rule add FILE\n"
    "       monitoragectl notify rule list [--json]\n"
    "       monitoragectl notify rule rm ID\n"
    "       monitoragectl notify list [--status pending|sent|failed|skipped] [--incident ID]\n"
    "                                 [--limit N] [--json]\n"
    "\n"
    "A rule is a JSON object read from FILE ('-' for stdin), never from the command\n"
    "line (a webhook secret would show in the process list), e.g.\n"
    "  {\"name\": \"ops\", \"channel\": \"webhook\", \"events\": [\"opened\", \"resolved\"],\n"
    "   \"webhook\": {\"url\": \"https://hooks.example.com/x\", \"secret\": \"...\"}}\n"
    "channel webhook needs ENCRYPTION_KEY (the secret is stored encrypted and never\n"
    "printed); jira and glpi use the JIRA and GLPI connectors. Every add and rm is in\n"
    "the audit log. 'notify list' shows the outbox: one row per incident event and rule.\n";

static int rule_add(int argc, char **argv)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    mon_secret_key *key = NULL;
    mon_store *store = NULL;
    char email[400], *text, *out = NULL;
    const char *env = getenv("ENCRYPTION_KEY");
    int rc, code;

    if (argc != 2)
        return ctl_usage_error("notify", "rule add takes one FILE ('-' for stdin)");
    if (!(text = ctl_read_file(argv[1])))
        return CTL_EXIT_ERROR;
    if (env && *env && (code = ctl_load_key(&key, NULL)) != CTL_EXIT_OK) {
        free(text);
        return code;
    }
    if ((code = ctl_open_store(&store)) == CTL_EXIT_OK) {
        ctl_audit_actor(&actor, email);
        if ((rc = mon_notify_rule_create(&out, store, key, text, &actor)) != MON_OK)
            code = ctl_fail(rc, "notify rule add");
        else
            printf("%s\n", out);
        mon_free(out);
        mon_store_close(store);
    }
    mon_secret_key_free(key);
    free(text);
    return code;
}

static void rule_row(ctl_table *table, const json_t *rule)
{
    char scope[80], events[32];
    const json_t *ev = json_object_get(rule, "events");
    const char *row[6];
    snprintf(events, sizeof(events), "%s%s%s", json_string_value(json_array_get(ev, 0)),
             json_array_size(ev) > 1 ? "," : "", json_array_size(ev) > 1 ? "resolved" : "");
    ctl_scope_text(scope, sizeof(scope), rule, "all");
    row[0] = json_string_value(json_object_get(rule, "id"));
    row[1] = json_string_value(json_object_get(rule, "name"));
    row[2] = json_string_value(json_object_get(rule, "channel"));
    row[3] = scope;
    row[4] = events;
    row[5] = json_is_true(json_object_get(rule, "enabled")) ? "yes" : "no";
    ctl_table_add(table, row);
}

static int rule_list(int argc, char **argv)
{
    static const char *const headers[] = {"ID", "NAME", "CHANNEL", "SCOPE", "EVENTS", "ENABLED", NULL};
    mon_store *store = NULL;
    char *text = NULL;
    int json = argc == 2 && strcmp(argv[1], "--json") == 0, rc, code;

    if (argc > 1 && !json)
        return ctl_usage_error("notify", "rule list takes only --json");
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_notify_rule_list_json(&text, store);
    code = ctl_print_list(rc, "notify rule list", text, json, NULL, headers, rule_row);
    mon_free(text);
    mon_store_close(store);
    return code;
}

static int rule_rm(int argc, char **argv)
{
    return ctl_remove(argc, argv, "notify", "rule rm takes one rule ID", "notify rule rm",
                      "notification rule", mon_notify_rule_delete);
}

static void outbox_row(ctl_table *table, const json_t *item)
{
    char id[24], attempts[16];
    const char *row[7];
    snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(item, "id")));
    snprintf(attempts, sizeof(attempts), "%lld",
             (long long)json_integer_value(json_object_get(item, "attempts")));
    row[0] = id;
    row[1] = json_string_value(json_object_get(item, "event"));
    row[2] = json_string_value(json_object_get(item, "rule_name"));
    row[3] = json_string_value(json_object_get(item, "status"));
    row[4] = attempts;
    row[5] = ctl_json_text(item, "ticket_key");
    row[6] = ctl_json_text(item, "last_error");
    ctl_table_add(table, row);
}

static int outbox_list(int argc, char **argv)
{
    static const struct option options[] = {{"status", required_argument, NULL, 's'},
                                            {"incident", required_argument, NULL, 'i'},
                                            {"limit", required_argument, NULL, 'l'},
                                            {"json", no_argument, NULL, 'j'},
                                            {NULL, 0, NULL, 0}};
    static const char *const headers[] = {"ID",       "EVENT",  "RULE",       "STATUS",
                                          "ATTEMPTS", "TICKET", "LAST ERROR", NULL};
    const char *status = NULL, *incident = NULL;
    mon_store *store = NULL;
    char *text = NULL;
    int opt, json = 0, limit = 50, rc, code;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 's')
            status = optarg;
        else if (opt == 'i')
            incident = optarg;
        else if (opt == 'j')
            json = 1;
        else if (opt != 'l' || ctl_parse_int(&limit, optarg, 1, 1000) != 0)
            return ctl_usage_error("notify", opt == 'l' ? "--limit must be 1..1000" : "bad option for list");
    }
    if (optind < argc)
        return ctl_usage_error("notify", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_notify_outbox_json(&text, store, status, incident, (size_t)limit);
    code = ctl_print_list(rc, "notify list", text, json, NULL, headers, outbox_row);
    mon_free(text);
    mon_store_close(store);
    return code;
}

int ctl_notify(int argc, char **argv)
{
    const char *verb = argv[1];
    int code = ctl_group_help(argc, argv, notify_usage);
    if (code >= 0)
        return code;
    if (strcmp(verb, "list") == 0)
        return outbox_list(argc - 1, argv + 1);
    if (strcmp(verb, "rule") != 0 || argc < 3)
        return ctl_usage_error("notify", "unknown subcommand '%s' (rule add|list|rm, list)", verb);
    if (strcmp(argv[2], "add") == 0)
        return rule_add(argc - 2, argv + 2);
    if (strcmp(argv[2], "list") == 0)
        return rule_list(argc - 2, argv + 2);
    if (strcmp(argv[2], "rm") == 0)
        return rule_rm(argc - 2, argv + 2);
    return ctl_usage_error("notify", "unknown subcommand 'rule %s' (add, list, rm)", argv[2]);
}
