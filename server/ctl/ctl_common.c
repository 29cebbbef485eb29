/* monitoragectl: environment, errors, audit entries, tables, lists (shared by the subcommands). */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ctl_fail(int rc, const char *what)
{
    const char *detail = mon_error_last();
    fprintf(stderr, "monitoragectl: %s: %s (%s)\n", what, *detail ? detail : mon_strerror(rc),
            mon_error_name(rc));
    return CTL_EXIT_ERROR;
}

int ctl_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "monitoragectl %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'monitoragectl %s --help' for usage.\n", command);
    return CTL_EXIT_USAGE;
}

int ctl_open_store(mon_store **out)
{
    const char *url = getenv("DATABASE_URL");
    int rc;
    if (!url || !*url) {
        fprintf(stderr, "monitoragectl: DATABASE_URL is not set (a libpq URL of the database)\n");
        return CTL_EXIT_CONFIG;
    }
    rc = mon_store_open(out, url);
    if (rc != MON_OK)
        return ctl_fail(rc, "cannot open the database named by DATABASE_URL");
    return CTL_EXIT_OK;
}

int ctl_load_key(mon_secret_key **out, const char *name)
{
    int rc = mon_secret_key_from_env(out, name);
    if (rc != MON_OK) {
        ctl_fail(rc, "encryption key");
        return CTL_EXIT_CONFIG;
    }
    return CTL_EXIT_OK;
}

const char *ctl_os_user(void)
{
    static char name[128];
    struct passwd *pw = getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        snprintf(name, sizeof(name), "%s", pw->pw_name);
    else
        snprintf(name, sizeof(name), "uid%lu", (unsigned long)geteuid());
    return name;
}

void ctl_audit_actor(mon_audit_entry *entry, char email[400])
{
    char host[256] = "localhost";
    const char *user = ctl_os_user();

    /* The audit model wants an e-mail: the local user at this host is what we know. */
    if (gethostname(host, sizeof(host)) != 0 || !*host)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(email, 400, "%s@%s", user, host);
    entry->user_id = user;
    entry->user_email = email;
    entry->user_roles_json = "[\"admin\"]";
    entry->user_agent = "cli";
}

int ctl_remove(int argc, char **argv, const char *command, const char *usage, const char *what,
               const char *noun, ctl_remove_fn remove)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    mon_store *store = NULL;
    char email[400];
    int rc, code;

    if (argc != 2)
        return ctl_usage_error(command, "%s", usage);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    ctl_audit_actor(&actor, email);
    if ((rc = remove(store, argv[1], &actor)) != MON_OK)
        code = ctl_fail(rc, what);
    else
        printf("removed %s %s\n", noun, argv[1]);
    mon_store_close(store);
    return code;
}

int ctl_audit_record(mon_store *store, const char *action, const char *target, const char *params_json,
                     int rc, const char *detail)
{
    mon_audit_entry entry = MON_AUDIT_ENTRY_INIT;
    char email[400];
    int arc;

    ctl_audit_actor(&entry, email);
    entry.action = action;
    entry.target = target;
    entry.parameters_json = params_json;
    entry.result = rc == MON_OK ? MON_AUDIT_SUCCESS : MON_AUDIT_FAILURE;
    entry.error_message = rc == MON_OK ? NULL : (detail && *detail ? detail : mon_strerror(rc));
    arc = mon_audit_append(NULL, store, &entry);
    if (arc != MON_OK)
        return ctl_fail(arc, "audit entry not written");
    return CTL_EXIT_OK;
}

int ctl_parse_json_only(int argc, char **argv, const char *command, int *json)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int opt;

    *json = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt != 'j')
            return ctl_usage_error(command, "bad option for %s", argv[0]);
        *json = 1;
    }
    if (optind < argc)
        return ctl_usage_error(command, "unexpected argument '%s'", argv[optind]);
    return CTL_EXIT_OK;
}

int ctl_parse_int(int *out, const char *text, int min, int max)
{
    char *end;
    long value;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < min || value > max)
        return -1;
    *out = (int)value;
    return 0;
}

char *ctl_read_file(const char *path)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    if (!file) {
        fprintf(stderr, "monitoragectl: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            char *grown = realloc(buf, cap ? cap * 2 : 8192);
            if (!grown) {
                free(buf);
                buf = NULL;
                fprintf(stderr, "monitoragectl: %s: out of memory\n", path);
                break;
            }
            buf = grown;
            cap = cap ? cap * 2 : 8192;
        }
        got = fread(buf + len, 1, cap - len - 1, file);
        len += got;
    } while (got > 0);
    if (buf && ferror(file)) {
        fprintf(stderr, "monitoragectl: cannot read %s: %s\n", path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[len] = '\0';
    if (file != stdin)
        fclose(file);
    return buf;
}

void ctl_format_time(char *out, size_t size, mon_time t)
{
    time_t seconds = (time_t)(t / 1000000);
    struct tm tm;
    if (t == 0 || !gmtime_r(&seconds, &tm)) {
        snprintf(out, size, "-");
        return;
    }
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct ctl_table {
    size_t columns, rows, cap;
    char **cells; /* rows * columns, row 0 is the header */
};

static char *dup_or_die(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy) {
        fprintf(stderr, "monitoragectl: out of memory\n");
        exit(CTL_EXIT_ERROR);
    }
    return copy;
}

ctl_table *ctl_table_new(size_t columns, const char *const *headers)
{
    ctl_table *table = calloc(1, sizeof(*table));
    if (!table) {
        fprintf(stderr, "monitoragectl: out of memory\n");
        exit(CTL_EXIT_ERROR);
    }
    table->columns = columns;
    ctl_table_add(table, headers);
    return table;
}

void ctl_table_add(ctl_table *table, const char *const *cells)
{
    size_t i;
    if (table->rows == table->cap) {
        size_t cap = table->cap ? table->cap * 2 : 16;
        char **grown = realloc(table->cells, cap * table->columns * sizeof(char *));
        if (!grown) {
            fprintf(stderr, "monitoragectl: out of memory\n");
            exit(CTL_EXIT_ERROR);
        }
        table->cells = grown;
        table->cap = cap;
    }
    for (i = 0; i < table->columns; i++)
        table->cells[table->rows * table->columns + i] = dup_or_die(cells[i]);
    table->rows++;
}

void ctl_table_print(const ctl_table *table)
{
    size_t widths[16] = {0}, r, c;
    for (r = 0; r < table->rows; r++)
        for (c = 0; c < table->columns && c < 16; c++) {
            size_t len = strlen(table->cells[r * table->columns + c]);
            if (len > widths[c])
                widths[c] = len;
        }
    for (r = 0; r < table->rows; r++) {
        for (c = 0; c < table->columns; c++) {
            const char *cell = table->cells[r * table->columns + c];
            if (c + 1 == table->columns)
                printf("%s\n", cell);
            else
                printf("%-*s  ", (int)widths[c < 16 ? c : 15], cell);
        }
    }
}

void ctl_table_free(ctl_table *table)
{
    size_t i;
    if (!table)
        return;
    for (i = 0; i < table->rows * table->columns; i++)
        free(table->cells[i]);
    free(table->cells);
    free(table);
}

const char *ctl_json_text(const json_t *object, const char *key)
{
    const json_t *v = json_object_get(object, key);
    return json_is_string(v) ? json_string_value(v) : "-";
}

void ctl_scope_text(char *out, size_t size, const json_t *item, const char *none)
{
    const char *id = json_string_value(json_object_get(item, "endpoint_id"));
    const char *type = json_string_value(json_object_get(item, "endpoint_type"));
    if (id)
        snprintf(out, size, "endpoint %s", id);
    else if (type)
        snprintf(out, size, "type %s", type);
    else
        snprintf(out, size, "%s", none);
}

int ctl_print_list(int rc, const char *what, const char *json_text, int as_json, const char *key,
                   const char *const *headers, ctl_row_fn row)
{
    json_t *root, *item;
    json_error_t error;
    ctl_table *table;
    size_t columns = 0, i;

    if (rc != MON_OK)
        return ctl_fail(rc, what);
    if (as_json) {
        printf("%s\n", json_text);
        return CTL_EXIT_OK;
    }
    if (!(root = json_loads(json_text, 0, &error))) {
        fprintf(stderr, "monitoragectl: %s: the library's JSON cannot be read: %s\n", what, error.text);
        return CTL_EXIT_ERROR;
    }
    while (headers[columns])
        columns++;
    table = ctl_table_new(columns, headers);
    json_array_foreach(key ? json_object_get(root, key) : root, i, item) row(table, item);
    ctl_table_print(table);
    ctl_table_free(table);
    json_decref(root);
    return CTL_EXIT_OK;
}

int ctl_wants_help(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int ctl_group_help(int argc, char **argv, const char *usage)
{
    if (argc > 1 && !ctl_wants_help(argc, argv))
        return -1;
    fputs(usage, argc > 1 ? stdout : stderr);
    return argc > 1 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

int ctl_dispatch(int argc, char **argv, const char *group, const char *usage, const ctl_verb *verbs)
{
    char names[256] = "";
    size_t i, len = 0;
    int code = ctl_group_help(argc, argv, usage);

    if (code >= 0)
        return code;
    for (i = 0; verbs[i].name; i++) {
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
        if (len < sizeof(names))
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "", verbs[i].name);
    }
    return ctl_usage_error(group, "unknown subcommand '%s' (%s)", argv[1], names);
}
