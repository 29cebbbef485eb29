/* monitoragectl audit list|verify. */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>

static const char audit_usage[] =
    "Usage: monitoragectl audit list [--user ID] [--action ACTION] [--target TARGET]\n"
    "                                [--result SUCCESS|FAILURE] [--limit N] [--cursor C] [--json]\n"
    "       monitoragectl audit verify [--json]\n"
    "\n"
    "list prints the newest entries first (at most --limit, default 50, up to 1000);\n"
    "with --json it prints the page and its next_cursor, which --cursor continues.\n"
    "verify walks the hash chain and prints the head's hash (keep it outside the\n"
    "database) or the first broken row. Exit codes of verify: 0 intact, 1 broken,\n"
    "3 runtime error. DATABASE_URL names the database.\n";

static int audit_list(int argc, char **argv)
{
    enum { O_USER = 1, O_ACTION, O_TARGET, O_RESULT, O_LIMIT, O_CURSOR, O_JSON };
    static const struct option options[] = {
        {"user", required_argument, NULL, O_USER},     {"action", required_argument, NULL, O_ACTION},
        {"target", required_argument, NULL, O_TARGET}, {"result", required_argument, NULL, O_RESULT},
        {"limit", required_argument, NULL, O_LIMIT},   {"cursor", required_argument, NULL, O_CURSOR},
        {"json", no_argument, NULL, O_JSON},           {NULL, 0, NULL, 0}};
    static const char *const headers[] = {"TIME", "USER", "ACTION", "TARGET", "RESULT", "AGENT", "ERROR"};
    mon_audit_filter filter = MON_AUDIT_FILTER_INIT;
    mon_audit_list *list = NULL;
    mon_store *store = NULL;
    int opt, json = 0, limit = 50, rc, code;
    size_t i;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case O_USER:
            filter.user_id = optarg;
            break;
        case O_ACTION:
            filter.action = optarg;
            break;
        case O_TARGET:
            filter.target = optarg;
            break;
        case O_CURSOR:
            filter.cursor = optarg;
            break;
        case O_JSON:
            json = 1;
            break;
        case O_RESULT: {
            mon_audit_result result;
            if (mon_audit_result_parse(&result, optarg) != MON_OK)
                return ctl_usage_error("audit", "--result wants SUCCESS or FAILURE, got '%s'", optarg);
            filter.result = (int)result;
            break;
        }
        case O_LIMIT:
            if (ctl_parse_int(&limit, optarg, 1, 1000) != 0)
                return ctl_usage_error("audit", "--limit wants 1..1000, got '%s'", optarg);
            break;
        default:
            return ctl_usage_error("audit", "bad option for list");
        }
    }
    if (optind < argc)
        return ctl_usage_error("audit", "unexpected argument '%s'", argv[optind]);
    filter.limit = (size_t)limit;
    if ((code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    if ((rc = mon_audit_query(&list, store, &filter)) != MON_OK)
        code = ctl_fail(rc, "audit list");
    else if (json) {
        char *text = NULL;
        if ((rc = mon_audit_list_to_json(&text, list)) == MON_OK)
            printf("%s\n", text);
        else
            code = ctl_fail(rc, "audit list");
        mon_free(text);
    } else {
        ctl_table *table = ctl_table_new(7, headers);
        for (i = 0; i < mon_audit_list_count(list); i++) {
            const mon_audit_row *row = mon_audit_list_at(list, i);
            const char *cells[7];
            char when[32];
            ctl_format_time(when, sizeof(when), row->created_at);
            cells[0] = when;
            cells[1] = row->user_id;
            cells[2] = row->action;
            cells[3] = row->target;
            cells[4] = mon_audit_result_name(row->result);
            cells[5] = row->user_agent ? row->user_agent : "-";
            cells[6] = row->error_message ? row->error_message : "";
            ctl_table_add(table, cells);
        }
        ctl_table_print(table);
        ctl_table_free(table);
        if (mon_audit_list_next_cursor(list))
            printf("more: --cursor %s\n", mon_audit_list_next_cursor(list));
    }
    mon_audit_list_free(list);
    mon_store_close(store);
    return code;
}

static int audit_verify(int argc, char **argv)
{
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    mon_store *store = NULL;
    int json, rc, code;

    if ((code = ctl_parse_json_only(argc, argv, "audit", &json)) != CTL_EXIT_OK ||
        (code = ctl_open_store(&store)) != CTL_EXIT_OK)
        return code;
    rc = mon_audit_verify(&report, store);
    mon_store_close(store);
    if (rc != MON_OK)
        return ctl_fail(rc, "audit verify");
    if (json) {
        char *text = NULL;
        if ((rc = mon_audit_verify_report_to_json(&text, &report)) != MON_OK)
            return ctl_fail(rc, "audit verify");
        printf("%s\n", text);
        mon_free(text);
    } else if (report.ok)
        printf("intact: %lld row(s) checked (seq %lld..%lld), %lld legacy row(s); head hash %s\n",
               (long long)report.rows_checked, (long long)report.first_seq, (long long)report.last_seq,
               (long long)report.legacy_rows, report.last_hash[0] ? report.last_hash : "-");
    else
        printf("BROKEN: row %s (seq %lld) %s; %lld row(s) checked before it\n", report.broken_id,
               (long long)report.broken_seq, mon_audit_break_name(report.reason),
               (long long)report.rows_checked);
    return report.ok ? CTL_EXIT_OK : CTL_EXIT_NOTUP;
}

int ctl_audit(int argc, char **argv)
{
    static const ctl_verb verbs[] = {{"list", audit_list}, {"verify", audit_verify}, {NULL, NULL}};
    return ctl_dispatch(argc, argv, "audit", audit_usage, verbs);
}
