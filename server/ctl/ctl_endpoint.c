/* monitoragectl endpoint add|list|show|enable|disable|rm, and status. */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char endpoint_usage[] =
    "Usage: monitoragectl endpoint add (--file FILE | --name NAME --url URL [options])\n"
    "       monitoragectl endpoint list [--type TYPE] [--enabled | --disabled] [--json]\n"
    "       monitoragectl endpoint show ID [--json]\n"
    "       monitoragectl endpoint enable|disable|rm ID\n"
    "\n"
    "add options:\n"
    "  --file FILE             the endpoint as a JSON object (docs/endpoint-model.md; '-' for stdin)\n"
    "  --name NAME             display name (required without --file)\n"
    "  --url URL               http or https URL (required without --file)\n"
    "  --type TYPE             APIM, DOMAIN (default) or TALEND\n"
    "  --interval SECONDS      seconds between checks\n"
    "  --timeout MS            milliseconds before a check is DOWN\n"
    "  --expected-status CODE  HTTP status that means UP\n"
    "  --method METHOD         GET, HEAD, ...\n"
    "  --header 'NAME: VALUE'  extra request header (repeatable; values are never printed)\n"
    "  --degraded-ms MS        latency above which an answer is DEGRADED\n"
    "  --retries N             failed attempts retried before DOWN\n"
    "  --disabled              store it disabled\n"
    "  --json                  print the stored endpoint as JSON instead of its id\n"
    "\n"
    "Header values may hold keys: every output shows them as \"[REDACTED]\".\n"
    "DATABASE_URL names the database. Mutations are recorded in the audit log.\n";

/* The endpoint as JSON with every header value replaced: headers may carry keys. */
static char *endpoint_json_redacted(const mon_endpoint *ep)
{
    char *raw = NULL, *out = NULL;
    json_t *root, *headers, *value;
    const char *key;
    if (mon_endpoint_to_json(&raw, ep) != MON_OK)
        return NULL;
    root = json_loads(raw, 0, NULL);
    mon_free(raw);
    if (!root)
        return NULL;
    headers = json_object_get(root, "headers");
    json_object_foreach(headers, key, value) json_object_set_new(headers, key, json_string("[REDACTED]"));
    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}

static int print_endpoint_json(const mon_endpoint *ep)
{
    char *text = endpoint_json_redacted(ep);
    if (!text) {
        fprintf(stderr, "monitoragectl: cannot format the endpoint as JSON\n");
        return CTL_EXIT_ERROR;
    }
    printf("%s\n", text);
    free(text);
    return CTL_EXIT_OK;
}

/* One "field: value" line per field, for people; header values are not shown. */
static int print_endpoint_text(const mon_endpoint *ep)
{
    char created[32], updated[32];
    json_t *headers = json_loads(mon_endpoint_get_headers_json(ep), 0, NULL), *value;
    const char *key, *sep = "";
    ctl_format_time(created, sizeof(created), mon_endpoint_get_created_at(ep));
    ctl_format_time(updated, sizeof(updated), mon_endpoint_get_updated_at(ep));
    printf(
        "id:              %s\nname:            %s\ntype:            %s\nurl:             %s\n"
        "method:          %s\nenabled:         %s\ninterval:        %d s\ntimeout:         %d ms\n"
        "expected status: %d\nretries:         %d\ndegraded above:  %d ms\nheaders:         ",
        mon_endpoint_get_id(ep), mon_endpoint_get_name(ep), mon_endpoint_type_name(mon_endpoint_get_type(ep)),
        mon_endpoint_get_url(ep), mon_endpoint_get_method(ep), mon_endpoint_get_enabled(ep) ? "yes" : "no",
        mon_endpoint_get_check_interval(ep), mon_endpoint_get_timeout_ms(ep),
        mon_endpoint_get_expected_status(ep), mon_endpoint_get_retries(ep), mon_endpoint_get_degraded_ms(ep));
    json_object_foreach(headers, key, value)
    {
        printf("%s%s", sep, key);
        sep = ", ";
    }
    json_decref(headers);
    printf("%s\nconditions:      %s\ncreated:         %s\nupdated:         %s\n", *sep ? "" : "-",
           mon_endpoint_get_conditions_json(ep), created, updated);
    return CTL_EXIT_OK;
}

/* A header given as "Name: value" (the value may be empty after the colon); -1 when malformed. */
static int set_header_arg(mon_endpoint *ep, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char name[256];
    size_t len;
    if (!colon || colon == arg || (len = (size_t)(colon - arg)) >= sizeof(name))
        return -1;
    memcpy(name, arg, len);
    name[len] = '\0';
    colon++;
    while (*colon == ' ')
        colon++;
    return mon_endpoint_set_header(ep, name, colon);
}

static int endpoint_add(int argc, char **argv)
{
    enum {
        O_FILE = 1,
        O_NAME,
        O_URL,
        O_TYPE,
        O_INTERVAL,
        O_TIMEOUT,
        O_STATUS,
        O_METHOD,
        O_HEADER,
        O_DEGRADED,
        O_RETRIES,
        O_DISABLED,
        O_JSON
    };
    static const struct option options[] = {{"file", required_argument, NULL, O_FILE},
                                            {"name", required_argument, NULL, O_NAME},
                                            {"url", required_argument, NULL, O_URL},
                                            {"type", required_argument, NULL, O_TYPE},
                                            {"interval", required_argument, NULL, O_INTERVAL},
                                            {"timeout", required_argument, NULL, O_TIMEOUT},
                                            {"expected-status", required_argument, NULL, O_STATUS},
                                            {"method", required_argument, NULL, O_METHOD},
                                            {"header", required_argument, NULL, O_HEADER},
                                            {"degraded-ms", required_argument, NULL, O_DEGRADED},
                                            {"retries", required_argument, NULL, O_RETRIES},
                                            {"disabled", no_argument, NULL, O_DISABLED},
                                            {"json", no_argument, NULL, O_JSON},
                                            {NULL, 0, NULL, 0}};
    mon_endpoint *ep = NULL;
    mon_store *store = NULL;
    const char *file = NULL;
    int opt, rc = MON_OK, json = 0, flags = 0, value, code;
    char detail[512], *params = NULL;

    /* Flags are applied in order to a fresh endpoint; --file replaces it, so it cannot be mixed. */
    if ((rc = mon_endpoint_new(&ep)) != MON_OK)
        return ctl_fail(rc, "endpoint add");
    if ((rc = mon_endpoint_set_type(ep, MON_ENDPOINT_DOMAIN)) != MON_OK)
        goto invalid;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == O_FILE) {
            file = optarg;
            continue;
        }
        if (opt == O_JSON) {
            json = 1;
            continue;
        }
        flags++;
        switch (opt) {
        case O_NAME:
            rc = mon_endpoint_set_name(ep, optarg);
            break;
        case O_URL:
            rc = mon_endpoint_set_url(ep, optarg);
            break;
        case O_TYPE: {
            mon_endpoint_type type;
            rc = mon_endpoint_type_parse(&type, optarg);
            if (rc == MON_OK)
                rc = mon_endpoint_set_type(ep, type);
            break;
        }
        case O_METHOD:
            rc = mon_endpoint_set_method(ep, optarg);
            break;
        case O_HEADER:
            if ((rc = set_header_arg(ep, optarg)) == -1) {
                mon_endpoint_free(ep);
                return ctl_usage_error("endpoint", "--header wants 'NAME: VALUE'");
            }
            break;
        case O_DISABLED:
            rc = mon_endpoint_set_enabled(ep, 0);
            break;
        case O_INTERVAL:
        case O_TIMEOUT:
        case O_STATUS:
        case O_DEGRADED:
        case O_RETRIES:
            if (ctl_parse_int(&value, optarg, 0, 1000000000) != 0) {
                mon_endpoint_free(ep);
                return ctl_usage_error("endpoint", "'%s' is not a number", optarg);
            }
            rc = opt == O_INTERVAL   ? mon_endpoint_set_check_interval(ep, value)
                 : opt == O_TIMEOUT  ? mon_endpoint_set_timeout_ms(ep, value)
                 : opt == O_STATUS   ? mon_endpoint_set_expected_status(ep, value)
                 : opt == O_DEGRADED ? mon_endpoint_set_degraded_ms(ep, value)
                                     : mon_endpoint_set_retries(ep, value);
            break;
        default:
            mon_endpoint_free(ep);
            return ctl_usage_error("endpoint", "bad option for add");
        }
        if (rc != MON_OK)
            goto invalid;
    }
    if (optind < argc) {
        mon_endpoint_free(ep);
        return ctl_usage_error("endpoint", "unexpected argument '%s'", argv[optind]);
    }
    if (file && flags) {
        mon_endpoint_free(ep);
        return ctl_usage_error("endpoint", "--file cannot be combined with field options");
    }
    if (file) {
        char *text = ctl_read_file(file);
        mon_endpoint_free(ep);
        ep = NULL;
        if (!text)
            return CTL_EXIT_ERROR;
        rc = mon_endpoint_from_json(&ep, text);
        free(text);
        if (rc != MON_OK)
            return ctl_fail(rc, "endpoint file");
    }
    if ((rc = mon_endpoint_validate(ep)) != MON_OK)
        goto invalid;
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK) {
        mon_endpoint_free(ep);
        return code;
    }
    rc = mon_store_endpoint_create(store, ep);
    snprintf(detail, sizeof(detail), "%s", mon_error_last());
    params = endpoint_json_redacted(ep);
    code = ctl_audit_record(store, "endpoint.create", rc == MON_OK ? mon_endpoint_get_id(ep) : "endpoint",
                            params, rc, detail);
    free(params);
    if (rc != MON_OK) {
        fprintf(stderr, "monitoragectl: endpoint add: %s (%s)\n", *detail ? detail : mon_strerror(rc),
                mon_error_name(rc));
        code = CTL_EXIT_ERROR;
    } else if (json) {
        int printed = print_endpoint_json(ep);
        code = code == CTL_EXIT_OK ? printed : code;
    } else
        printf("%s\n", mon_endpoint_get_id(ep));
    mon_store_close(store);
    mon_endpoint_free(ep);
    return code;

invalid:
    code = ctl_fail(rc, "endpoint add");
    mon_endpoint_free(ep);
    return code;
}

static int endpoint_list(int argc, char **argv)
{
    static const struct option options[] = {{"type", required_argument, NULL, 't'},
                                            {"enabled", no_argument, NULL, 'e'},
                                            {"disabled", no_argument, NULL, 'd'},
                                            {"json", no_argument, NULL, 'j'},
                                            {NULL, 0, NULL, 0}};
    mon_endpoint_filter filter = MON_ENDPOINT_FILTER_INIT;
    mon_store *store = NULL;
    ctl_table *table = NULL;
    int opt, json = 0, rc = MON_OK, code;
    size_t i, seen = 0;
    static const char *const headers[] = {"ID", "NAME", "TYPE", "ENABLED", "INTERVAL", "URL"};

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 't') {
            mon_endpoint_type type;
            if (mon_endpoint_type_parse(&type, optarg) != MON_OK)
                return ctl_usage_error("endpoint", "unknown type '%s' (APIM, DOMAIN or TALEND)", optarg);
            filter.type = (int)type;
        } else if (opt == 'e' || opt == 'd')
            filter.enabled = opt == 'e';
        else if (opt == 'j')
            json = 1;
        else
            return ctl_usage_error("endpoint", "bad option for list");
    }
    if (optind < argc)
        return ctl_usage_error("endpoint", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    filter.limit = 1000;
    if (json)
        printf("[");
    else
        table = ctl_table_new(6, headers);
    /* Page through everything: the filter's limit is capped at 1000 rows. */
    for (;;) {
        mon_endpoint_list *list = NULL;
        size_t count;
        if ((rc = mon_store_endpoint_list(&list, store, &filter)) != MON_OK)
            break;
        count = mon_endpoint_list_count(list);
        for (i = 0; i < count; i++) {
            const mon_endpoint *ep = mon_endpoint_list_at(list, i);
            if (json) {
                char *text = endpoint_json_redacted(ep);
                printf("%s%s", seen + i ? "," : "", text ? text : "null");
                free(text);
            } else {
                char interval[32];
                const char *row[6];
                snprintf(interval, sizeof(interval), "%ds", mon_endpoint_get_check_interval(ep));
                row[0] = mon_endpoint_get_id(ep);
                row[1] = mon_endpoint_get_name(ep);
                row[2] = mon_endpoint_type_name(mon_endpoint_get_type(ep));
                row[3] = mon_endpoint_get_enabled(ep) ? "yes" : "no";
                row[4] = interval;
                row[5] = mon_endpoint_get_url(ep);
                ctl_table_add(table, row);
            }
        }
        seen += count;
        mon_endpoint_list_free(list);
        if (count < filter.limit)
            break;
        filter.offset += count;
    }
    if (json)
        printf("]\n");
    else if (rc == MON_OK)
        ctl_table_print(table);
    ctl_table_free(table);
    code = rc == MON_OK ? CTL_EXIT_OK : ctl_fail(rc, "endpoint list");
    mon_store_close(store);
    return code;
}

/* show, enable, disable, rm (argv[0]): one id, an optional --json (show only). */
static int endpoint_one(int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    mon_store *store = NULL;
    mon_endpoint *ep = NULL;
    const char *verb = argv[0], *id;
    int opt, json = 0, rc, code;
    char detail[512], action[32];

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'j' && strcmp(verb, "show") == 0)
            json = 1;
        else
            return ctl_usage_error("endpoint", "bad option for %s", verb);
    }
    if (argc - optind != 1)
        return ctl_usage_error("endpoint", "%s wants exactly one endpoint id", verb);
    id = argv[optind];
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    if (strcmp(verb, "rm") == 0) {
        rc = mon_store_endpoint_delete(store, id);
        snprintf(detail, sizeof(detail), "%s", mon_error_last());
        /* A malformed id is not worth an audit row: nothing could have been touched. */
        code =
            rc == MON_EINVAL ? CTL_EXIT_OK : ctl_audit_record(store, "endpoint.delete", id, NULL, rc, detail);
        if (rc == MON_OK)
            printf("deleted %s\n", id);
        goto done;
    }
    rc = mon_store_endpoint_get(&ep, store, id);
    snprintf(detail, sizeof(detail), "%s", mon_error_last());
    if (rc != MON_OK) {
        code = CTL_EXIT_OK;
        goto done;
    }
    if (strcmp(verb, "show") == 0) {
        code = json ? print_endpoint_json(ep) : print_endpoint_text(ep);
        goto done;
    }
    rc = mon_endpoint_set_enabled(ep, strcmp(verb, "enable") == 0);
    if (rc == MON_OK)
        rc = mon_store_endpoint_update(store, ep);
    snprintf(detail, sizeof(detail), "%s", mon_error_last());
    snprintf(action, sizeof(action), "endpoint.%s", verb);
    code = ctl_audit_record(store, action, id,
                            strcmp(verb, "enable") == 0 ? "{\"enabled\":true}" : "{\"enabled\":false}", rc,
                            detail);
    if (rc == MON_OK)
        printf("%sd %s\n", verb, id);

done:
    if (rc != MON_OK) {
        fprintf(stderr, "monitoragectl: endpoint %s: %s (%s)\n", verb, *detail ? detail : mon_strerror(rc),
                mon_error_name(rc));
        code = CTL_EXIT_ERROR;
    }
    mon_endpoint_free(ep);
    mon_store_close(store);
    return code;
}

int ctl_endpoint(int argc, char **argv)
{
    static const ctl_verb verbs[] = {{"add", endpoint_add},
                                     {"list", endpoint_list},
                                     {"show", endpoint_one},
                                     {"enable", endpoint_one},
                                     {"disable", endpoint_one},
                                     {"rm", endpoint_one},
                                     {NULL, NULL}};
    return ctl_dispatch(argc, argv, "endpoint", endpoint_usage, verbs);
}

int ctl_status(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char *const headers[] = {"NAME", "STATUS", "CODE", "LATENCY", "LAST CHECK", "ERROR"};
    mon_store *store = NULL;
    mon_status_list *list = NULL;
    int opt, json = 0, rc, code;
    size_t i;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'j')
            json = 1;
        else if (opt == 'h') {
            printf("Usage: monitoragectl status [--json]\n\n"
                   "Latest status of every endpoint (UNKNOWN when never checked), from the\n"
                   "database named by DATABASE_URL.\n");
            return CTL_EXIT_OK;
        } else
            return ctl_usage_error("status", "bad option");
    }
    if (optind < argc)
        return ctl_usage_error("status", "unexpected argument '%s'", argv[optind]);
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_store_status_list(&list, store);
    if (rc != MON_OK)
        code = ctl_fail(rc, "status");
    else if (json) {
        char *text = NULL;
        if ((rc = mon_status_list_to_json(&text, list)) == MON_OK)
            printf("%s\n", text);
        else
            code = ctl_fail(rc, "status");
        mon_free(text);
    } else {
        ctl_table *table = ctl_table_new(6, headers);
        for (i = 0; i < mon_status_list_count(list); i++) {
            const mon_status_entry *e = mon_status_list_at(list, i);
            char status_code[16], latency[24], when[32];
            const char *row[6];
            snprintf(status_code, sizeof(status_code), "%d", e->status_code);
            if (e->latency_ms >= 0)
                snprintf(latency, sizeof(latency), "%d ms", e->latency_ms);
            else
                snprintf(latency, sizeof(latency), "-");
            ctl_format_time(when, sizeof(when), e->last_check);
            row[0] = e->name;
            row[1] = mon_status_name(e->status);
            row[2] = e->status_code ? status_code : "-";
            row[3] = latency;
            row[4] = when;
            row[5] = e->error_message ? e->error_message : "";
            ctl_table_add(table, row);
        }
        ctl_table_print(table);
        ctl_table_free(table);
    }
    mon_status_list_free(list);
    mon_store_close(store);
    return code;
}
