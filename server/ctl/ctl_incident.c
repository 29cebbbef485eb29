/* monitoragectl incident list|show and maintenance add|list|rm (docs/incidents.md). */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char incident_usage[] =
    "Usage: monitoragectl incident list [--endpoint ID] [--open | --resolved] [--limit N] [--json]\n"
    "       monitoragectl incident show ID [--json]\n"
    "\n"
    "Incidents are opened and resolved by the database from the check results:\n"
    "DOWN for down_threshold results, back UP after up_threshold, or flapping\n"
    "(docs/incidents.md). list shows the newest first.\n";

static const char maintenance_usage[] =
    "Usage: monitoragectl maintenance add --name NAME (--endpoint ID | --type TYPE)\n"
    "                                     (--from TIME --until TIME |\n"
    "                                      --weekly DAYS --at HH:MM --duration SECONDS --tz ZONE)\n"
    "       monitoragectl maintenance add --file FILE\n"
    "       monitoragectl maintenance list [--endpoint ID] [--json]\n"
    "       monitoragectl maintenance rm ID\n"
    "\n"
    "During a window checks run and are recorded, but no incident opens or resolves\n"
    "and nothing is notified. TIME is RFC 3339 (2026-11-28T22:00:00+01:00); DAYS is a\n"
    "comma-separated list of mon..sun or 1..7; ZONE an IANA name (Europe/Paris).\n"
    "--file reads the window as JSON ('-' for stdin). add and rm are in the audit log.\n";

/* ------------------------------------------------------------------ incident */

static void incident_row(ctl_table *table, const json_t *inc)
{
    char failed[24];
    const char *row[7];
    snprintf(failed, sizeof(failed), "%lld",
             (long long)json_integer_value(json_object_get(inc, "failed_checks")));
    row[0] = ctl_json_text(inc, "id");
    row[1] = ctl_json_text(inc, "endpoint_name");
    row[2] = ctl_json_text(inc, "kind");
    row[3] = ctl_json_text(inc, "state");
    row[4] = ctl_json_text(inc, "started_at");
    row[5] = failed;
    row[6] = ctl_json_text(inc, "first_error");
    ctl_table_add(table, row);
}

static int incident_list(int argc, char **argv)
{
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"open", no_argument, NULL, 'o'},
        {"resolved", no_argument, NULL, 'r'},       {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0}};
    static const char *const headers[] = {"ID",      "ENDPOINT", "KIND",        "STATE",
                                          "STARTED", "FAILED",   "FIRST ERROR", NULL};
    mon_incident_filter filter = MON_INCIDENT_FILTER_INIT;
    mon_store *store = NULL;
    char *text = NULL;
    int opt, json = 0, limit = 50, rc, code;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'e')
            filter.endpoint_id = optarg;
        else if (opt == 'o' || opt == 'r')
            filter.open = opt == 'o';
        else if (opt == 'j')
            json = 1;
        else if (opt != 'l' || ctl_parse_int(&limit, optarg, 1, 1000) != 0)
            return ctl_usage_error("incident",
                                   opt == 'l' ? "--limit must be 1..1000" : "bad option for list");
    }
    if (optind < argc)
        return ctl_usage_error("incident", "unexpected argument '%s'", argv[optind]);
    filter.limit = (size_t)limit;
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_incident_list_json(&text, store, &filter);
    code = ctl_print_list(rc, "incident list", text, json, "incidents", headers, incident_row);
    mon_free(text);
    mon_store_close(store);
    return code;
}

static int incident_show(int argc, char **argv)
{
    mon_store *store = NULL;
    char *text = NULL;
    int json = argc == 3 && strcmp(argv[2], "--json") == 0, rc, code;

    if (argc != 2 && !json)
        return ctl_usage_error("incident", "show takes one incident ID and optionally --json");
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    if ((rc = mon_incident_get_json(&text, store, argv[1])) != MON_OK) {
        code = ctl_fail(rc, "incident show");
    } else if (json) {
        printf("%s\n", text);
    } else {
        json_t *inc = json_loads(text, 0, NULL), *ev;
        size_t i;
        printf("id:            %s\nendpoint:      %s (%s)\nkind:          %s\nstate:         %s\n"
               "started:       %s\nresolved:      %s\nfailed checks: %lld\nfirst error:   %s\n"
               "last status:   %s\nevents:\n",
               ctl_json_text(inc, "id"), ctl_json_text(inc, "endpoint_name"),
               ctl_json_text(inc, "endpoint_id"), ctl_json_text(inc, "kind"), ctl_json_text(inc, "state"),
               ctl_json_text(inc, "started_at"), ctl_json_text(inc, "resolved_at"),
               (long long)json_integer_value(json_object_get(inc, "failed_checks")),
               ctl_json_text(inc, "first_error"), ctl_json_text(inc, "last_status"));
        json_array_foreach(json_object_get(inc, "events"), i, ev)
        {
            printf("  %s  %s\n", ctl_json_text(ev, "occurred_at"), ctl_json_text(ev, "kind"));
        }
        json_decref(inc);
    }
    mon_free(text);
    mon_store_close(store);
    return code;
}

int ctl_incident(int argc, char **argv)
{
    static const ctl_verb verbs[] = {{"list", incident_list}, {"show", incident_show}, {NULL, NULL}};
    return ctl_dispatch(argc, argv, "incident", incident_usage, verbs);
}

/* --------------------------------------------------------------- maintenance */

/* "mon,tue" or "1,2" as a JSON array of strings / integers; NULL when empty. */
static json_t *weekdays_arg(const char *text)
{
    json_t *days = json_array();
    char *copy = strdup(text), *save = NULL, *tok;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int n;
        json_array_append_new(days,
                              ctl_parse_int(&n, tok, -1000, 1000) == 0 ? json_integer(n) : json_string(tok));
    }
    free(copy);
    return days;
}

/* The window from the flags, as JSON text (malloc'd), or NULL after a usage error. */
static char *window_from_flags(int argc, char **argv, int *code)
{
    static const struct option options[] = {{"name", required_argument, NULL, 'n'},
                                            {"endpoint", required_argument, NULL, 'e'},
                                            {"type", required_argument, NULL, 't'},
                                            {"from", required_argument, NULL, 'f'},
                                            {"until", required_argument, NULL, 'u'},
                                            {"weekly", required_argument, NULL, 'w'},
                                            {"at", required_argument, NULL, 'a'},
                                            {"duration", required_argument, NULL, 'd'},
                                            {"tz", required_argument, NULL, 'z'},
                                            {"file", required_argument, NULL, 'F'},
                                            {NULL, 0, NULL, 0}};
    json_t *w = json_object();
    const char *file = NULL;
    char *text;
    int opt, duration;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            json_object_set_new(w, "name", json_string(optarg));
            break;
        case 'e':
            json_object_set_new(w, "endpoint_id", json_string(optarg));
            break;
        case 't':
            json_object_set_new(w, "endpoint_type", json_string(optarg));
            break;
        case 'f':
            json_object_set_new(w, "starts_at", json_string(optarg));
            break;
        case 'u':
            json_object_set_new(w, "ends_at", json_string(optarg));
            break;
        case 'w':
            json_object_set_new(w, "weekdays", weekdays_arg(optarg));
            break;
        case 'a':
            json_object_set_new(w, "start_time", json_string(optarg));
            break;
        case 'z':
            json_object_set_new(w, "time_zone", json_string(optarg));
            break;
        case 'F':
            file = optarg;
            break;
        case 'd':
            if (ctl_parse_int(&duration, optarg, 1, 1 << 30) == 0) {
                json_object_set_new(w, "duration_s", json_integer(duration));
                break;
            }
            /* fall through */
        default:
            json_decref(w);
            *code = ctl_usage_error("maintenance", opt == 'd' ? "--duration must be a number of seconds"
                                                              : "bad option for add");
            return NULL;
        }
    }
    if (optind < argc || (file && json_object_size(w) > 0)) {
        json_decref(w);
        *code = ctl_usage_error("maintenance", optind < argc ? "unexpected argument"
                                                             : "--file cannot be mixed"
                                                               " with other options");
        return NULL;
    }
    if (file) {
        json_decref(w);
        if (!(text = ctl_read_file(file)))
            *code = CTL_EXIT_ERROR;
        return text;
    }
    /* The library names any missing or bad field. */
    json_object_set_new(w, "kind", json_string(json_object_get(w, "weekdays") ? "weekly" : "once"));
    text = json_dumps(w, JSON_COMPACT);
    json_decref(w);
    return text;
}

static int maintenance_add(int argc, char **argv)
{
    mon_audit_entry actor = MON_AUDIT_ENTRY_INIT;
    mon_store *store = NULL;
    char email[400], *text, *out = NULL;
    int rc, code = CTL_EXIT_OK;

    if (!(text = window_from_flags(argc, argv, &code)))
        return code;
    if ((code = ctl_open_store(&store)) == CTL_EXIT_OK) {
        ctl_audit_actor(&actor, email);
        if ((rc = mon_maintenance_create(&out, store, text, &actor)) != MON_OK)
            code = ctl_fail(rc, "maintenance add");
        else
            printf("%s\n", out);
        mon_free(out);
        mon_store_close(store);
    }
    free(text);
    return code;
}

/* "2026-11-28T21:00:00Z .. 2026-11-29T01:00:00Z" or "mon,tue 22:00:00 Europe/Paris for 3600 s". */
static void when_text(char *out, size_t size, const json_t *w)
{
    if (strcmp(ctl_json_text(w, "kind"), "once") == 0) {
        snprintf(out, size, "%s .. %s", ctl_json_text(w, "starts_at"), ctl_json_text(w, "ends_at"));
    } else {
        static const char *const names[] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
        size_t i, len = 0;
        json_t *d;
        out[0] = '\0';
        json_array_foreach(json_object_get(w, "weekdays"), i, d)
        {
            json_int_t n = json_integer_value(d);
            len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s", i ? "," : "",
                                    n >= 1 && n <= 7 ? names[n] : "?");
        }
        if (len < size)
            snprintf(out + len, size - len, " %s %s for %lld s", ctl_json_text(w, "start_time"),
                     ctl_json_text(w, "time_zone"),
                     (long long)json_integer_value(json_object_get(w, "duration_s")));
    }
}

static void maintenance_row(ctl_table *table, const json_t *w)
{
    char scope[80], when[200];
    const char *row[5];
    ctl_scope_text(scope, sizeof(scope), w, "type -");
    when_text(when, sizeof(when), w);
    row[0] = ctl_json_text(w, "id");
    row[1] = ctl_json_text(w, "name");
    row[2] = scope;
    row[3] = when;
    row[4] = json_is_true(json_object_get(w, "active")) ? "yes" : "no";
    ctl_table_add(table, row);
}

static int maintenance_list(int argc, char **argv)
{
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    static const char *const headers[] = {"ID", "NAME", "SCOPE", "WHEN", "ACTIVE", NULL};
    const char *endpoint = NULL;
    mon_store *store = NULL;
    char *text = NULL;
    int opt, json = 0, rc, code;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'e')
            endpoint = optarg;
        else if (opt == 'j')
            json = 1;
        else
            return ctl_usage_error("maintenance", "bad option for list");
    }
    if (optind < argc)
        return ctl_usage_error("maintenance", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_maintenance_list_json(&text, store, endpoint);
    code = ctl_print_list(rc, "maintenance list", text, json, NULL, headers, maintenance_row);
    mon_free(text);
    mon_store_close(store);
    return code;
}

static int maintenance_rm(int argc, char **argv)
{
    return ctl_remove(argc, argv, "maintenance", "rm takes one window ID", "maintenance rm",
                      "maintenance window", mon_maintenance_delete);
}

int ctl_maintenance(int argc, char **argv)
{
    static const ctl_verb verbs[] = {
        {"add", maintenance_add}, {"list", maintenance_list}, {"rm", maintenance_rm}, {NULL, NULL}};
    return ctl_dispatch(argc, argv, "maintenance", maintenance_usage, verbs);
}
