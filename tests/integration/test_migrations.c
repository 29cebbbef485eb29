#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *url;

START_TEST(migrate_applies_all_then_is_a_no_op)
{
    mon_store *store = NULL;
    int applied = -1, pending = -1;

    url = pgtest_fresh_database("migrations");
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrations_pending(store, &pending), MON_OK);
    ck_assert_int_eq(pending, (int)mon_store_migration_count());
    ck_assert_int_eq(mon_store_migrate(store, &applied), MON_OK);
    ck_assert_int_eq(applied, (int)mon_store_migration_count());
    ck_assert_int_eq(mon_store_migrations_pending(store, &pending), MON_OK);
    ck_assert_int_eq(pending, 0);
    ck_assert_int_eq(mon_store_migrate(store, &applied), MON_OK);
    ck_assert_int_eq(applied, 0);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM schema_migrations"),
                     (long long)mon_store_migration_count());
    /* The seed's objects, by name. */
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM connectors"), 8);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM connectors WHERE enabled"), 1);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM pg_type WHERE typname IN "
                                          "('endpoint_type','connector_type','health_status','action_result')"),
                     4);
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM pg_views WHERE viewname = 'current_endpoint_status'"),
                     1);
    mon_store_close(store);
}
END_TEST

/* PostgreSQL sends NOTICEs during migrations ("relation ... already exists,
 * skipping" on every later run); the library must not print them. */
START_TEST(migrate_writes_nothing_to_stderr)
{
    mon_store *store = NULL;
    FILE *capture = tmpfile();
    int saved = dup(STDERR_FILENO), applied = -1;
    long written;

    ck_assert_ptr_nonnull(capture);
    ck_assert_int_ge(saved, 0);
    url = pgtest_fresh_database("migrations_quiet");
    fflush(stderr);
    ck_assert_int_ge(dup2(fileno(capture), STDERR_FILENO), 0);
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, &applied), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, &applied), MON_OK);
    ck_assert_int_eq(applied, 0);
    mon_store_close(store);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fseek(capture, 0, SEEK_END);
    written = ftell(capture);
    fclose(capture);
    ck_assert_int_eq(written, 0);
}
END_TEST

static void *migrate_in_thread(void *arg)
{
    mon_store *store = NULL;
    int *rc = arg;
    *rc = mon_store_open(&store, url);
    if (*rc == MON_OK)
        *rc = mon_store_migrate(store, NULL);
    mon_store_close(store);
    return NULL;
}

START_TEST(concurrent_migrations_apply_once)
{
    pthread_t threads[4];
    int rcs[4];

    url = pgtest_fresh_database("migrations_concurrent");
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, migrate_in_thread, &rcs[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(rcs[i], MON_OK);
    }
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM schema_migrations"),
                     (long long)mon_store_migration_count());
    ck_assert_int_eq(pgtest_query_ll(url, "SELECT count(*) FROM connectors"), 8);
}
END_TEST

START_TEST(unknown_migration_in_database_is_reported)
{
    mon_store *store = NULL;
    int pending = -1;

    url = pgtest_fresh_database("migrations_newer");
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    pgtest_exec(url, "INSERT INTO schema_migrations (name) VALUES ('999_from_the_future.sql')");
    ck_assert_int_eq(mon_store_migrations_pending(store, &pending), MON_EVERSION);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "upgrade the library"));
    mon_store_close(store);
}
END_TEST

START_TEST(unreachable_database_is_a_connection_error)
{
    mon_store *store = NULL;
    ck_assert_int_eq(mon_store_open(&store, "postgresql://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2"),
                     MON_ECONN);
    ck_assert_ptr_null(store);
    ck_assert_ptr_null(strstr(mon_error_last(), "hunter2"));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("migrations");
    TCase *tc = tcase_create("migrations");
    int failed;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, migrate_applies_all_then_is_a_no_op);
    tcase_add_test(tc, migrate_writes_nothing_to_stderr);
    tcase_add_test(tc, concurrent_migrations_apply_once);
    tcase_add_test(tc, unknown_migration_in_database_is_reported);
    tcase_add_test(tc, unreachable_database_is_a_connection_error);
    suite_add_tcase(suite, tc);
    failed = check_run_suite(suite) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
