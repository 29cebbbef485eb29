/*
 * audit_log: append to the audit log, read it back and verify its chain.
 *
 *     DATABASE_URL=... audit_log
 *
 * Every row is chained to the previous one by a hash; mon_audit_verify()
 * walks the chain and names the first broken row. The database must be
 * migrated (monitoragectl migrate). Secret-looking parameters ("token" here)
 * are redacted before they are stored.
 */
#include <monitorage/monitorage.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *url = getenv("DATABASE_URL");
    mon_audit_entry entry = MON_AUDIT_ENTRY_INIT;
    mon_audit_filter filter = MON_AUDIT_FILTER_INIT;
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    mon_audit_list *list = NULL;
    mon_store *store = NULL;
    char id[MON_AUDIT_ID_SIZE];
    size_t i;
    int rc;

    if (!url) {
        fprintf(stderr, "audit_log: set DATABASE_URL\n");
        return 2;
    }
    if (mon_global_init() != MON_OK)
        return 2;
    rc = mon_store_open(&store, url);

    /* Who did what to which target; strings are only borrowed by the call. */
    entry.action = "example.run";
    entry.target = "audit_log";
    entry.user_id = "example";
    entry.user_email = "example@localhost";
    entry.user_agent = "audit_log example";
    entry.parameters_json = "{\"step\":1,\"token\":\"not stored\"}";
    if (rc == MON_OK && (rc = mon_audit_append(id, store, &entry)) == MON_OK)
        printf("appended %s\n", id);

    /* The newest rows of this user, first page only. */
    filter.user_id = "example";
    filter.limit = 5;
    if (rc == MON_OK && (rc = mon_audit_query(&list, store, &filter)) == MON_OK) {
        for (i = 0; i < mon_audit_list_count(list); i++) {
            const mon_audit_row *row = mon_audit_list_at(list, i);
            printf("seq %lld %s %s %s\n", (long long)row->seq, row->action, row->target,
                   row->parameters_json);
        }
        mon_audit_list_free(list);
    }

    /* A broken chain is not an error: report.ok says whether it is intact. */
    if (rc == MON_OK && (rc = mon_audit_verify(&report, store)) == MON_OK)
        printf("chain %s: %lld row(s), head %s\n", report.ok ? "intact" : "BROKEN",
               (long long)report.rows_checked, report.last_hash);
    if (rc != MON_OK)
        fprintf(stderr, "audit_log: %s (%s)\n", mon_error_last(), mon_error_name(rc));
    mon_store_close(store);
    mon_global_cleanup();
    return rc != MON_OK ? 2 : report.ok ? 0 : 1;
}
