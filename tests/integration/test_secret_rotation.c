#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const old_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *const new_hex = "1111111111111111222222222222222233333333333333334444444444444444";
static const char *const other_hex = "9999999999999999999999999999999999999999999999999999999999999999";

static mon_secret_key *key(const char *hex)
{
    mon_secret_key *k = NULL;
    ck_assert_int_eq(mon_secret_key_from_hex(&k, hex), MON_OK);
    return k;
}

/* 8 built-in rows + 92 custom ones: 100 credentials, half of each algorithm when AES-GCM exists. */
static void store_credentials(const char *url, const mon_secret_key *k)
{
    char sql[1024], plain[64];
    for (int i = 0; i < 100; i++) {
        mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
        char *text = NULL;
        opts.alg = (i % 2 && mon_secret_alg_available(MON_SECRET_ALG_AES256GCM))
                       ? MON_SECRET_ALG_AES256GCM
                       : MON_SECRET_ALG_XCHACHA20POLY1305;
        snprintf(plain, sizeof(plain), "{\"token\":\"secret-%03d\"}", i);
        ck_assert_int_eq(mon_secret_encrypt(&text, k, plain, strlen(plain), &opts), MON_OK);
        if (i < 8)
            snprintf(sql, sizeof(sql),
                     "UPDATE connectors SET credentials = '%s' WHERE type = "
                     "(enum_range(NULL::connector_type))[%d]",
                     text, i + 1);
        else
            snprintf(sql, sizeof(sql),
                     "INSERT INTO custom_connectors (name, credentials) VALUES ('C%03d', '%s')", i, text);
        pgtest_exec(url, sql);
        mon_free(text);
    }
}

static void check_all_under(const char *url, const mon_secret_key *k)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT credentials FROM connectors UNION ALL SELECT credentials FROM "
             "custom_connectors) c WHERE split_part(credentials, ':', 3) = '%s'",
             mon_secret_key_id(k));
    ck_assert_int_eq(pgtest_query_ll(url, sql), 100);
}

START_TEST(rotation_reencrypts_100_credentials_in_one_transaction)
{
    const char *url = pgtest_fresh_database("secret_rotation");
    mon_secret_key *old_key = key(old_hex), *new_key = key(new_hex);
    mon_store *store = NULL;
    int rotated = -1;
    char *text;
    mon_secret_plain *plain = NULL;

    ck_assert_int_eq(mon_global_init(), MON_OK);
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    store_credentials(url, old_key);
    check_all_under(url, old_key);

    ck_assert_int_eq(mon_secret_rotate(store, old_key, new_key, &rotated), MON_OK);
    ck_assert_int_eq(rotated, 100);
    check_all_under(url, new_key);
    text = pgtest_query_value(url, "SELECT credentials FROM custom_connectors WHERE name = 'C042'");
    ck_assert_int_eq(mon_secret_decrypt(&plain, new_key, text), MON_OK);
    ck_assert_str_eq(mon_secret_plain_data(plain), "{\"token\":\"secret-042\"}");
    mon_secret_plain_free(plain);
    ck_assert_int_eq(mon_secret_decrypt(&plain, old_key, text), MON_EWRONGKEY);
    free(text);

    /* Again: everything is already under the new key. */
    ck_assert_int_eq(mon_secret_rotate(store, old_key, new_key, &rotated), MON_OK);
    ck_assert_int_eq(rotated, 0);
    mon_store_close(store);
    mon_secret_key_free(old_key);
    mon_secret_key_free(new_key);
    mon_global_cleanup();
}
END_TEST

START_TEST(rotation_is_all_or_nothing_when_a_value_has_a_third_key)
{
    const char *url = pgtest_fresh_database("secret_rotation_abort");
    mon_secret_key *old_key = key(old_hex), *new_key = key(new_hex), *other = key(other_hex);
    mon_store *store = NULL;
    int rotated = -1;
    char *text = NULL, sql[512];

    ck_assert_int_eq(mon_global_init(), MON_OK);
    ck_assert_int_eq(mon_store_open(&store, url), MON_OK);
    ck_assert_int_eq(mon_store_migrate(store, NULL), MON_OK);
    store_credentials(url, old_key);
    ck_assert_int_eq(mon_secret_encrypt(&text, other, "x", 1, NULL), MON_OK);
    snprintf(sql, sizeof(sql), "UPDATE custom_connectors SET credentials = '%s' WHERE name = 'C099'", text);
    pgtest_exec(url, sql);
    mon_free(text);

    ck_assert_int_eq(mon_secret_rotate(store, old_key, new_key, &rotated), MON_EWRONGKEY);
    ck_assert_int_eq(rotated, -1);
    ck_assert_msg(strstr(mon_error_last(), "C099") != NULL, "%s", mon_error_last());
    ck_assert_msg(strstr(mon_error_last(), mon_secret_key_id(other)) != NULL, "%s", mon_error_last());
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT credentials FROM connectors UNION ALL SELECT credentials FROM "
             "custom_connectors) c WHERE split_part(credentials, ':', 3) = '%s'",
             mon_secret_key_id(old_key));
    ck_assert_int_eq(pgtest_query_ll(url, sql), 99);
    /* The store is usable afterwards (the transaction was rolled back). */
    ck_assert_int_eq(mon_store_ping(store), MON_OK);
    mon_store_close(store);
    mon_secret_key_free(old_key);
    mon_secret_key_free(new_key);
    mon_secret_key_free(other);
    mon_global_cleanup();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secret_rotation");
    TCase *tc = tcase_create("rotation");
    int failed;

    tcase_add_test(tc, rotation_reencrypts_100_credentials_in_one_transaction);
    tcase_add_test(tc, rotation_is_all_or_nothing_when_a_value_has_a_third_key);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    failed = check_run_suite(s) != EXIT_SUCCESS;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
