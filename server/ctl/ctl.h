/*
 * monitoragectl: shared declarations of the admin CLI (docs/cli.md).
 *
 * Each ctl_*.c file implements one group of subcommands over the public API
 * of libmonitorage; this header holds what they share: exit codes, the
 * store and key from the environment, error reporting, the audit entry of
 * mutating commands, table output and the output of list commands.
 */
#ifndef MONITORAGECTL_H
#define MONITORAGECTL_H

#include <monitorage/monitorage.h>

#include <stddef.h>

#include <jansson.h>

/* Exit codes (docs/cli.md). */
#define CTL_EXIT_OK 0     /* done; for check: every URL UP; for audit verify: chain intact */
#define CTL_EXIT_NOTUP 1  /* check: some URL not UP; audit verify: chain broken */
#define CTL_EXIT_USAGE 2  /* bad command line */
#define CTL_EXIT_ERROR 3  /* the library, the database or a remote system failed */
#define CTL_EXIT_CONFIG 4 /* DATABASE_URL / ENCRYPTION_KEY missing or malformed */

/* A subcommand: argv[0] is its own name. Returns an exit code. */
typedef int (*ctl_command_fn)(int argc, char **argv);

int ctl_migrate(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_rotate_key(int argc, char **argv);
int ctl_endpoint(int argc, char **argv);
int ctl_check(int argc, char **argv);
int ctl_connector(int argc, char **argv);
int ctl_audit(int argc, char **argv);
int ctl_notify(int argc, char **argv);
int ctl_incident(int argc, char **argv);
int ctl_maintenance(int argc, char **argv);

/* Print "monitoragectl: <what>: <detail> (<MON_E name>)" on stderr; returns CTL_EXIT_ERROR. */
int ctl_fail(int rc, const char *what);

/* Print a usage error on stderr followed by the hint to run --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Open the store named by DATABASE_URL. Returns an exit code: CTL_EXIT_OK,
 * CTL_EXIT_CONFIG when the variable is unset, CTL_EXIT_ERROR when the
 * database cannot be reached (reported on stderr).
 */
int ctl_open_store(mon_store **out);

/*
 * The key from the environment variable name (NULL: ENCRYPTION_KEY).
 * Returns CTL_EXIT_OK or CTL_EXIT_CONFIG (reported; the value is never printed).
 */
int ctl_load_key(mon_secret_key **out, const char *name);

/*
 * Append the audit entry of a mutating command: action, target, parameters
 * (a JSON object or NULL), and the outcome rc (with detail, the error
 * message recorded for a failure). The user is the OS user, the user agent
 * "cli". Returns CTL_EXIT_OK, or CTL_EXIT_ERROR (reported) when the entry
 * could not be written.
 */
int ctl_audit_record(mon_store *store, const char *action, const char *target, const char *params_json,
                     int rc, const char *detail);

/*
 * The user fields of a command's audit entries (the OS user, user@host in
 * email, role admin, user agent "cli") into *entry, for library calls that
 * write their own audit row with this actor (notification rules).
 */
void ctl_audit_actor(mon_audit_entry *entry, char email[400]);

/* A library call that removes the object with id and writes its own audit row by actor. */
typedef int (*ctl_remove_fn)(mon_store *store, const char *id, const mon_audit_entry *actor);

/*
 * An "rm ID" subcommand (argv[1] is the ID): remove() with the command's
 * actor (ctl_audit_actor()), then print "removed <noun> <ID>". A wrong argument
 * count is the usage error usage of command; a failure is reported as what.
 * Returns an exit code.
 */
int ctl_remove(int argc, char **argv, const char *command, const char *usage, const char *what,
               const char *noun, ctl_remove_fn remove);

/* The OS user running the command ("uid<N>" when it has no name). Static buffer. */
const char *ctl_os_user(void);

/*
 * The arguments of a verb (argv[0]) whose only option is --json: sets *json.
 * Returns CTL_EXIT_OK, or a usage error of command for anything else.
 */
int ctl_parse_json_only(int argc, char **argv, const char *command, int *json);

/* Parse a decimal int in [min, max]; 0 on success, -1 otherwise. */
int ctl_parse_int(int *out, const char *text, int min, int max);

/* Read a whole file ("-" for stdin) into a NUL-terminated malloc'd buffer; NULL on error (reported). */
char *ctl_read_file(const char *path);

/* Format microseconds since the epoch as RFC 3339 UTC seconds ("-" for 0). */
void ctl_format_time(char *out, size_t size, mon_time t);

/*
 * A text table: add rows of `columns` cells, then print with columns padded
 * to their widest cell. Cells are copied.
 */
typedef struct ctl_table ctl_table;
ctl_table *ctl_table_new(size_t columns, const char *const *headers);
void ctl_table_add(ctl_table *table, const char *const *cells);
void ctl_table_print(const ctl_table *table);
void ctl_table_free(ctl_table *table);

/* The string member key of a JSON object, or "-" when it is missing or not a string. */
const char *ctl_json_text(const json_t *object, const char *key);

/*
 * The scope of a rule or window object as text: "endpoint <endpoint_id>",
 * else "type <endpoint_type>", else none.
 */
void ctl_scope_text(char *out, size_t size, const json_t *item, const char *none);

/* Add the table row of one element of a list (with ctl_table_add()). */
typedef void (*ctl_row_fn)(ctl_table *table, const json_t *item);

/*
 * The output of a list command whose library call returned rc and json_text:
 * a failure is reported as what; with as_json the text as it is; otherwise a
 * table under headers (NULL-terminated) with one row() per element of the
 * array: json_text itself, or its member key when key is not NULL. Returns
 * an exit code (CTL_EXIT_ERROR, reported, when rc failed or the text is not JSON).
 */
int ctl_print_list(int rc, const char *what, const char *json_text, int as_json, const char *key,
                   const char *const *headers, ctl_row_fn row);

/* Is argv[i] "--help" or "-h" for some i >= 1? */
int ctl_wants_help(int argc, char **argv);

/*
 * The usage of a group of subcommands (argv[0] the group, argv[1] its verb):
 * on stdout when --help or -h is given (returns CTL_EXIT_OK), on stderr when
 * no verb is (returns CTL_EXIT_USAGE); -1 when neither.
 */
int ctl_group_help(int argc, char **argv, const char *usage);

/* A verb of a group: its function is run with argv[0] = name. */
typedef struct ctl_verb {
    const char *name;
    ctl_command_fn fn;
} ctl_verb;

/*
 * Run the verb argv[1] of group from verbs (ended by a {NULL, NULL} entry),
 * after ctl_group_help(); an unknown verb is a usage error that lists the
 * verbs. Returns an exit code.
 */
int ctl_dispatch(int argc, char **argv, const char *group, const char *usage, const ctl_verb *verbs);

#endif
