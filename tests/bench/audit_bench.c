/*
 * Audit log benchmark (scripts/bench audit): append rate with one writer and
 * with 8 concurrent writers (each its own connection; the chain lock
 * serialises them), batched appends, and the verify rate.
 *
 *   audit_bench DATABASE_URL [single_appends] [appends_per_writer] [batched_rows]
 */
#include <monitorage/monitorage.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITERS 8
#define BATCH 10000

static const char *url;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, int rc)
{
    fprintf(stderr, "audit_bench: %s: %s: %s\n", what, mon_error_name(rc), mon_error_last());
    exit(1);
}

static mon_audit_entry sample(char *params, size_t size, int n, const char *user)
{
    mon_audit_entry e = MON_AUDIT_ENTRY_INIT;
    snprintf(params, size, "{\"n\": %d, \"password\": \"p-%d\", \"interval\": 60}", n, n);
    e.action = "endpoint.update";
    e.target = "endpoint-42";
    e.user_id = user;
    e.user_email = "ops@example.com";
    e.user_roles_json = "[\"operator\"]";
    e.ip_address = "192.0.2.10";
    e.user_agent = "audit_bench/1.0";
    e.parameters_json = params;
    return e;
}

static void append_many_single(int count, const char *user)
{
    mon_store *store = NULL;
    char params[128];
    int rc = mon_store_open(&store, url);
    for (int i = 0; rc == MON_OK && i < count; i++) {
        mon_audit_entry e = sample(params, sizeof(params), i, user);
        rc = mon_audit_append(NULL, store, &e);
    }
    if (rc != MON_OK)
        fail("append", rc);
    mon_store_close(store);
}

struct writer {
    int index, count;
};

static void *writer_main(void *p)
{
    struct writer *w = p;
    char user[24];
    snprintf(user, sizeof(user), "writer-%d", w->index);
    append_many_single(w->count, user);
    return NULL;
}

static void append_batches(int rows)
{
    static mon_audit_entry entries[BATCH];
    static const mon_audit_entry *ptrs[BATCH];
    static char params[BATCH][128];
    mon_store *store = NULL;
    int rc = mon_store_open(&store, url);

    for (int done = 0; rc == MON_OK && done < rows; done += BATCH) {
        int n = rows - done < BATCH ? rows - done : BATCH;
        for (int i = 0; i < n; i++) {
            entries[i] = sample(params[i], sizeof(params[i]), done + i, "importer");
            ptrs[i] = &entries[i];
        }
        rc = mon_audit_append_many(store, ptrs, (size_t)n);
    }
    if (rc != MON_OK)
        fail("append_many", rc);
    mon_store_close(store);
}

int main(int argc, char **argv)
{
    int single = argc > 2 ? atoi(argv[2]) : 3000;
    int per_writer = argc > 3 ? atoi(argv[3]) : 500;
    int batched = argc > 4 ? atoi(argv[4]) : 200000;
    mon_audit_verify_report report = MON_AUDIT_VERIFY_REPORT_INIT;
    pthread_t threads[WRITERS];
    struct writer writers[WRITERS];
    mon_store *store = NULL;
    double t, one_rate, eight_rate, batch_rate;
    int rc;

    if (argc < 2 || single < 1 || per_writer < 1 || batched < 1) {
        fprintf(stderr, "usage: audit_bench DATABASE_URL [single_appends] [appends_per_writer] [batched_rows]\n");
        return 2;
    }
    url = argv[1];
    mon_global_init();
    if ((rc = mon_store_open(&store, url)) != MON_OK || (rc = mon_store_migrate(store, NULL)) != MON_OK)
        fail("open and migrate", rc);

    t = seconds();
    append_many_single(single, "single");
    one_rate = single / (seconds() - t);
    printf("append, 1 writer: %d entries, %.0f entries/s\n", single, one_rate);

    t = seconds();
    for (int i = 0; i < WRITERS; i++) {
        writers[i].index = i;
        writers[i].count = per_writer;
        pthread_create(&threads[i], NULL, writer_main, &writers[i]);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(threads[i], NULL);
    eight_rate = WRITERS * per_writer / (seconds() - t);
    printf("append, %d writers: %d entries, %.0f entries/s\n", WRITERS, WRITERS * per_writer, eight_rate);
    printf("8 writers vs 1 writer: %.2f x\n", eight_rate / one_rate);

    t = seconds();
    append_batches(batched);
    batch_rate = batched / (seconds() - t);
    printf("append_many, %d per call: %d entries, %.0f entries/s\n", BATCH, batched, batch_rate);
    printf("append_many vs append: %.1f x\n", batch_rate / one_rate);

    /* The first walk after a bulk load also sets PostgreSQL's hint bits (it writes); the second is steady state. */
    for (int pass = 1; pass <= 2; pass++) {
        if ((rc = mon_audit_verify(&report, store)) != MON_OK)
            fail("verify", rc);
        if (!report.ok) {
            fprintf(stderr, "audit_bench: chain broken at %s (%s)\n", report.broken_id,
                    mon_audit_break_name(report.reason));
            return 1;
        }
        printf("verify, pass %d: %lld rows in %.2f s, %.0f rows/s\n", pass, (long long)report.rows_checked,
               report.elapsed_ms / 1e3, report.rows_checked / (report.elapsed_ms / 1e3));
    }
    printf("verify vs append, 1 writer: %.0f x\n", report.rows_checked / (report.elapsed_ms / 1e3) / one_rate);
    mon_store_close(store);
    mon_global_cleanup();
    return 0;
}
