/* Verify of a 1,000,000-row chain: time and peak memory (a suite of its own so it runs in parallel). */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROWS 1000000
#define BATCH 10000

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/* Append ROWS entries through the library, BATCH per transaction; returns 0 on success. */
static int generate(const char *url)
{
    static mon_audit_entry entries[BATCH];
    static const mon_audit_entry *ptrs[BATCH];
    static char targets[BATCH][24], params[BATCH][96];
    mon_store *store = NULL;
    int rc = mon_store_open(&store, url);

    for (int done = 0; rc == MON_OK && done < ROWS; done += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            mon_audit_entry e = MON_AUDIT_ENTRY_INIT;
            snprintf(targets[i], sizeof(targets[i]), "endpoint-%d", (done + i) % 977);
            snprintf(params[i], sizeof(params[i]), "{\"n\": %d, \"token\": \"t-%d\", \"name\": \"check %d\"}",
                     done + i, done + i, i);
            e.action = i % 7 ? "endpoint.update" : "connector.run";
            e.target = targets[i];
            e.user_id = i % 3 ? "ops-robot" : "user-1234";
            e.user_email = "ops@example.com";
            e.user_roles_json = "[\"operator\"]";
            e.ip_address = "10.1.2.3";
            e.user_agent = "monitorage-bench/1.0";
            e.parameters_json = params[i];
            e.result = i % 11 ? MON_AUDIT_SUCCESS : MON_AUDIT_FAILURE;
            e.error_message = i % 11 ? NULL : "upstream timeout";
            entries[i] = e;
            ptrs[i] = &entries[i];
        }
        rc = mon_audit_append_many(store, ptrs, BATCH);
    }
    if (rc != MON_OK)
        fprintf(stderr, "generate: %s: %s\n", mon_error_name(rc), mon_error_last());
    mon_store_close(store);
    return rc == MON_OK ? 0 : 1;
}

START_TEST(verify_of_a_million_rows_runs_in_bounded_memory)
{
    const char *url;
    mon_store *store = NULL;
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    double t0, generated;
    long rss_before, rss_after;
    pid_t child;
    int status = 0;

    url = pgtest_fresh_database("audit_million");
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    mon_store_close(store);

    /* Generated in a child so that this process's peak RSS is the verify's alone. */
    t0 = seconds();
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(generate(url));
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "generation failed");
    generated = seconds() - t0;
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM action_logs"), ROWS);

    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    rss_before = peak_rss_kib();
    ck_assert_int_eq(mon_audit_verify(&report, store), MON_OK);
    rss_after = peak_rss_kib();
    mon_store_close(store);

    printf("audit: appended %d rows in batches of %d in %.1f s (%.0f rows/s)\n", ROWS, BATCH, generated,
           ROWS / generated);
    printf("audit: verify of %lld rows: %.1f s (%.0f rows/s), peak RSS %ld KiB (%ld KiB before verify)\n",
           (long long)report.rows_checked, report.elapsed_ms / 1e3, report.rows_checked / (report.elapsed_ms / 1e3),
           rss_after, rss_before);
    ck_assert_int_eq(report.ok, 1);
    ck_assert_int_eq(report.rows_checked, ROWS);
    ck_assert_int_eq(report.last_seq, ROWS);
    /* Holding the chain would take hundreds of MiB; a chunk of 10,000 rows takes a few. Under
     * AddressSanitizer freed chunks stay in its quarantine (256 MiB), so RSS says nothing there. */
#ifndef __SANITIZE_ADDRESS__
    ck_assert_msg(rss_after - rss_before < 64 * 1024, "verify grew the peak RSS by %ld KiB", rss_after - rss_before);
#endif
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("audit_million");
    TCase *tc = tcase_create("audit_million");
    int status;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, verify_of_a_million_rows_runs_in_bounded_memory);
    suite_add_tcase(suite, tc);
    status = check_run_suite(suite);
    mon_global_cleanup();
    return status;
}
