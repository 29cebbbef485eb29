#include <monitorage/monitorage.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checkmain.h"

START_TEST(version_matches_headers)
{
    ck_assert_str_eq(mon_version(), MON_VERSION_STRING);
    ck_assert_int_eq(mon_version_number(), MON_VERSION_NUMBER);
}
END_TEST

START_TEST(global_init_counts_references)
{
    ck_assert_int_eq(mon_global_init(), MON_OK);
    ck_assert_int_eq(mon_global_init(), MON_OK);
    mon_global_cleanup();
    mon_global_cleanup();
    mon_global_cleanup(); /* one too many is harmless */
}
END_TEST

START_TEST(every_code_has_a_name_and_text)
{
    for (int code = MON_OK; code >= MON_ECANCELED; code--) {
        ck_assert_str_ne(mon_strerror(code), "unknown error");
        ck_assert_msg(strncmp(mon_error_name(code), "MON_", 4) == 0, "code %d", code);
        ck_assert_str_ne(mon_error_name(code), "MON_EUNKNOWN");
    }
    ck_assert_str_eq(mon_strerror(-9999), "unknown error");
    ck_assert_str_eq(mon_error_name(-9999), "MON_EUNKNOWN");
    ck_assert_str_eq(mon_error_name(MON_EINVAL), "MON_EINVAL");
}
END_TEST

START_TEST(error_detail_is_per_thread_and_clearable)
{
    mon_store *store = NULL;
    ck_assert_int_eq(mon_store_open(&store, ""), MON_EINVAL);
    ck_assert_ptr_null(store);
    ck_assert_int_eq(mon_error_last_code(), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "database_url");
    ck_assert_msg(strstr(mon_error_last(), "database_url: must be set") == mon_error_last(), "%s",
                  mon_error_last());
    mon_error_clear();
    ck_assert_str_eq(mon_error_last(), "");
    ck_assert_str_eq(mon_error_field(), "");
    ck_assert_int_eq(mon_error_last_code(), MON_OK);
}
END_TEST

START_TEST(free_null_is_a_no_op)
{
    mon_free(NULL);
    mon_store_close(NULL);
}
END_TEST

START_TEST(malformed_database_url_is_refused_without_echoing_it)
{
    mon_store *store = NULL;
    ck_assert_int_eq(mon_store_open(&store, "postgresql://u:SuperSecret@host/db?nosuchoption=1"), MON_EINVAL);
    ck_assert_ptr_null(store);
    ck_assert_ptr_null(strstr(mon_error_last(), "SuperSecret"));
    /* libpq quotes the whole URI in some parse errors. */
    ck_assert_int_eq(mon_store_open(&store, "postgresql://u:s3cret@[::1"), MON_EINVAL);
    ck_assert_ptr_null(strstr(mon_error_last(), "s3cret"));
    ck_assert_msg(strstr(mon_error_last(), "database_url: malformed: ") == mon_error_last(), "%s", mon_error_last());
}
END_TEST

START_TEST(migrations_are_embedded_in_order)
{
    ck_assert_uint_ge(mon_store_migration_count(), 2);
    ck_assert_str_eq(mon_store_migration_name(0), "001_initial_schema.sql");
    ck_assert_str_eq(mon_store_migration_name(1), "002_seed_connectors.sql");
    for (size_t i = 1; i < mon_store_migration_count(); i++)
        ck_assert_int_lt(strcmp(mon_store_migration_name(i - 1), mon_store_migration_name(i)), 0);
    ck_assert_ptr_null(mon_store_migration_name(mon_store_migration_count()));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, version_matches_headers);
    tcase_add_test(tc, global_init_counts_references);
    tcase_add_test(tc, every_code_has_a_name_and_text);
    tcase_add_test(tc, error_detail_is_per_thread_and_clearable);
    tcase_add_test(tc, free_null_is_a_no_op);
    tcase_add_test(tc, malformed_database_url_is_refused_without_echoing_it);
    tcase_add_test(tc, migrations_are_embedded_in_order);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
