/* mon_connector_credentials_set_json: which credential fields are set, never their values. */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define KEY_HEX "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"
#define OTHER_KEY_HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static mon_store *store;
static mon_secret_key *key;
static mon_connectors *reg;

static void setup(void)
{
    store = pgtest_fresh_store("connector_fields", NULL);
    ck_assert_int_eq(mon_secret_key_from_hex(&key, KEY_HEX), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&reg, store, key), MON_OK);
}

static void teardown(void)
{
    mon_connectors_free(reg);
    mon_secret_key_free(key);
    mon_store_close(store);
}

static void set_credentials(const char *json)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.base_url = "http://127.0.0.1:9";
    config.credentials_json = json;
    ck_assert_int_eq(mon_connector_configure(reg, "GLPI", &config), MON_OK);
}

START_TEST(fields_are_reported_set_or_not_without_values)
{
    char *json = NULL;

    set_credentials("{\"user_token\":\"s3cr3t-user-token\",\"app_token\":\"\"}");
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, reg, "GLPI"), MON_OK);
    ck_assert_str_eq(json, "{\"user_token\":true,\"app_token\":false,\"login\":false,\"password\":false}");
    ck_assert_ptr_null(strstr(json, "s3cr3t"));
    mon_free(json);
}
END_TEST

START_TEST(nothing_stored_needs_no_key)
{
    mon_connectors *keyless = NULL;
    char *json = NULL;

    ck_assert_int_eq(mon_connectors_new(&keyless, store, NULL), MON_OK);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, keyless, "TALEND"), MON_OK);
    ck_assert_str_eq(json, "{\"token\":false}");
    mon_free(json);
    mon_connectors_free(keyless);
}
END_TEST

START_TEST(stored_credentials_need_the_right_key)
{
    mon_connectors *keyless = NULL, *other = NULL;
    mon_secret_key *other_key = NULL;
    char *json = NULL;

    set_credentials("{\"user_token\":\"s3cr3t-user-token\"}");
    ck_assert_int_eq(mon_connectors_new(&keyless, store, NULL), MON_OK);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, keyless, "GLPI"), MON_EKEY);
    ck_assert_ptr_null(json);
    ck_assert_int_eq(mon_secret_key_from_hex(&other_key, OTHER_KEY_HEX), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&other, store, other_key), MON_OK);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, other, "GLPI"), MON_EWRONGKEY);
    ck_assert_ptr_null(strstr(mon_error_last(), "s3cr3t"));
    mon_connectors_free(other);
    mon_secret_key_free(other_key);
    mon_connectors_free(keyless);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    char *json = NULL;

    ck_assert_int_eq(mon_connector_credentials_set_json(NULL, reg, "GLPI"), MON_EINVAL);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, NULL, "GLPI"), MON_EINVAL);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, reg, "NOPE"), MON_ENOTFOUND);
    ck_assert_int_eq(mon_connector_credentials_set_json(&json, reg, NULL), MON_ENOTFOUND);
    ck_assert_ptr_null(json);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("connector_fields");
    TCase *tc = tcase_create("connector_fields");
    int rc;

    pgtest_cluster_url();
    mon_global_init();
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fields_are_reported_set_or_not_without_values);
    tcase_add_test(tc, nothing_stored_needs_no_key);
    tcase_add_test(tc, stored_credentials_need_the_right_key);
    tcase_add_test(tc, bad_arguments_are_refused);
    suite_add_tcase(suite, tc);
    rc = check_run_suite(suite);
    mon_global_cleanup();
    return rc;
}
