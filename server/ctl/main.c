/*
 * monitoragectl: the admin CLI of Monitorage, a thin layer over the public
 * API of libmonitorage. Configuration comes from the environment like the
 * server's: DATABASE_URL, ENCRYPTION_KEY (and ENCRYPTION_KEY_OLD for
 * rotate-key). Usage, output and exit codes are documented in docs/cli.md.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: monitoragectl COMMAND [ARGS...]\n"
    "\n"
    "Commands:\n"
    "  migrate                         apply pending database migrations\n"
    "  endpoint add|list|show|enable|disable|rm\n"
    "                                  manage monitored endpoints\n"
    "  check URL...                    check URLs once and print the results\n"
    "  status                          latest status of every endpoint\n"
    "  connector list|set|test|run     configure and use connectors\n"
    "  rotate-key                      re-encrypt stored credentials under ENCRYPTION_KEY\n"
    "  audit list|verify               read and verify the audit log\n"
    "  notify rule add|list|rm, notify list\n"
    "                                  notification rules and the notification outbox\n"
    "  incident list|show              incidents opened from the check results\n"
    "  maintenance add|list|rm         maintenance windows (no incident during them)\n"
    "  version                         versions of the tool, the library and the schema\n"
    "\n"
    "Environment: DATABASE_URL (every command but check and version), ENCRYPTION_KEY\n"
    "(connector set/test/run, rotate-key, notify rule add), ENCRYPTION_KEY_OLD (rotate-key).\n"
    "Exit codes: 0 ok, 1 check: not all UP / audit verify: chain broken, 2 usage,\n"
    "3 runtime error, 4 configuration missing or malformed.\n"
    "Run 'monitoragectl COMMAND --help' for a command's options.\n";

static int ctl_version(int argc, char **argv)
{
    if (ctl_wants_help(argc, argv)) {
        printf(
            "Usage: monitoragectl version\n\nPrint the versions of monitoragectl, of the loaded library and\n"
            "the number of schema migrations it embeds.\n");
        return CTL_EXIT_OK;
    }
    if (argc > 1)
        return ctl_usage_error("version", "unexpected argument '%s'", argv[1]);
    printf("monitoragectl %s\n", MON_VERSION_STRING);
    printf("libmonitorage %s\n", mon_version());
    printf("schema migrations %zu (last %s)\n", mon_store_migration_count(),
           mon_store_migration_count() ? mon_store_migration_name(mon_store_migration_count() - 1) : "-");
    return CTL_EXIT_OK;
}

int ctl_migrate(int argc, char **argv)
{
    static const struct option options[] = {
        {"status", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    mon_store *store = NULL;
    int status_only = 0, applied = 0, pending = 0, opt, rc, code;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 's')
            status_only = 1;
        else if (opt == 'h') {
            printf("Usage: monitoragectl migrate [--status]\n\n"
                   "Apply the schema migrations embedded in the library that the database\n"
                   "has not recorded yet, each in its own transaction. --status only prints\n"
                   "how many are pending (exit 0 either way).\n");
            return CTL_EXIT_OK;
        } else
            return ctl_usage_error("migrate", "bad option");
    }
    if (optind < argc)
        return ctl_usage_error("migrate", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    if (status_only) {
        rc = mon_store_migrations_pending(store, &pending);
        if (rc == MON_OK)
            printf("%d migration(s) pending of %zu\n", pending, mon_store_migration_count());
        code = rc == MON_OK ? CTL_EXIT_OK : ctl_fail(rc, "migration status");
    } else {
        rc = mon_store_migrate(store, &applied);
        if (rc != MON_OK)
            code = ctl_fail(rc, "migrate");
        else {
            char params[64];
            printf("applied %d migration(s); schema current (%zu)\n", applied, mon_store_migration_count());
            snprintf(params, sizeof(params), "{\"applied\":%d}", applied);
            /* Only a run that changed the schema is a mutation worth an audit row. */
            code = applied ? ctl_audit_record(store, "schema.migrate", "schema", params, MON_OK, NULL)
                           : CTL_EXIT_OK;
        }
    }
    mon_store_close(store);
    return code;
}

int ctl_rotate_key(int argc, char **argv)
{
    static const struct option options[] = {
        {"old-key-env", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *old_env = "ENCRYPTION_KEY_OLD";
    mon_secret_key *old_key = NULL, *new_key = NULL;
    mon_store *store = NULL;
    int rotated = 0, opt, rc, code;
    char params[128];

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'o')
            old_env = optarg;
        else if (opt == 'h') {
            printf("Usage: monitoragectl rotate-key [--old-key-env NAME]\n\n"
                   "Re-encrypt every stored connector credential from the old key (read from\n"
                   "the environment variable ENCRYPTION_KEY_OLD, or NAME) to the new key\n"
                   "(ENCRYPTION_KEY), in one transaction. Values already under the new key\n"
                   "are left alone, so it can be run again. Keys are given as 64 hex digits\n"
                   "and never printed; only their 8-character ids are.\n");
            return CTL_EXIT_OK;
        } else
            return ctl_usage_error("rotate-key", "bad option");
    }
    if (optind < argc)
        return ctl_usage_error("rotate-key", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_load_key(&old_key, old_env)) != CTL_EXIT_OK)
        return code;
    if ((code = ctl_load_key(&new_key, NULL)) != CTL_EXIT_OK) {
        mon_secret_key_free(old_key);
        return code;
    }
    if ((code = ctl_open_store(&store)) == CTL_EXIT_OK) {
        char detail[512];
        rc = mon_secret_rotate(store, old_key, new_key, &rotated);
        snprintf(detail, sizeof(detail), "%s", mon_error_last());
        snprintf(params, sizeof(params), "{\"old_key_id\":\"%s\",\"new_key_id\":\"%s\",\"rotated\":%d}",
                 mon_secret_key_id(old_key), mon_secret_key_id(new_key), rotated);
        if (rc == MON_OK)
            printf("rotated %d value(s) from key %s to key %s\n", rotated, mon_secret_key_id(old_key),
                   mon_secret_key_id(new_key));
        code = ctl_audit_record(store, "secrets.rotate", "credentials", params, rc, detail);
        if (rc != MON_OK) {
            fprintf(stderr, "monitoragectl: rotate-key: %s (%s)\n", *detail ? detail : mon_strerror(rc),
                    mon_error_name(rc));
            code = CTL_EXIT_ERROR;
        }
        mon_store_close(store);
    }
    mon_secret_key_free(old_key);
    mon_secret_key_free(new_key);
    return code;
}

static const struct {
    const char *name;
    ctl_command_fn fn;
} commands[] = {
    {"migrate", ctl_migrate}, {"endpoint", ctl_endpoint},   {"check", ctl_check},
    {"status", ctl_status},   {"connector", ctl_connector}, {"rotate-key", ctl_rotate_key},
    {"audit", ctl_audit},     {"notify", ctl_notify},       {"version", ctl_version},
    {"incident", ctl_incident}, {"maintenance", ctl_maintenance},
};

int main(int argc, char **argv)
{
    size_t i;
    int code;
    if (argc < 2) {
        fputs(usage, stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return CTL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return ctl_version(1, argv + 1);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (mon_global_init() != MON_OK)
            return ctl_fail(mon_error_last_code(), "library initialisation");
        code = commands[i].fn(argc - 1, argv + 1);
        mon_global_cleanup();
        return code;
    }
    fprintf(stderr, "monitoragectl: unknown command '%s'\n\n%s", argv[1], usage);
    return CTL_EXIT_USAGE;
}
