#include "connector_kit.h"

#define SECRET "kc-client-5ecret-7781"
#define CREDS "{\"client_secret\":\"" SECRET "\"}"
#define OPTIONS "\"realm\":\"ops\",\"client_id\":\"monitorage\""

/* Configure KEYCLOAK with the default options plus extra (JSON members, may be ""). */
static void configure(const char *extra)
{
    char options[512];
    snprintf(options, sizeof(options), "{" OPTIONS ",\"timeout_ms\":2000%s%s}", extra && *extra ? "," : "",
             extra ? extra : "");
    kit_configure("KEYCLOAK", NULL, options, CREDS);
}

START_TEST(keycloak_health_ok)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(result, "\"realm\":\"ops\""));
    ck_assert_ptr_nonnull(strstr(result, "\"enabled\":true"));
    ck_assert_ptr_nonnull(strstr(result, "/realms/ops\""));
    ck_assert_int_eq(kit.audit_success, 1);
    mon_free(result);
}
END_TEST

START_TEST(keycloak_bad_secret_is_auth_error)
{
    char *result = NULL;
    kit_configure("KEYCLOAK", NULL, "{" OPTIONS "}", "{\"client_secret\":\"not-the-right-one\"}");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("Keycloak: HTTP 401: invalid_client; Invalid client or Invalid client credentials");
    ck_assert_int_eq(kit.audit_success, 0);
}
END_TEST

START_TEST(keycloak_basic_client_auth_is_accepted)
{
    char *result = NULL;
    configure("\"client_auth\":\"basic\"");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(keycloak_bad_client_auth_option_is_refused)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.options_json = "{" OPTIONS ",\"client_auth\":\"jwt\"}";
    config.credentials_json = CREDS;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "KEYCLOAK", &config), MON_EINVAL);
    kit_assert_error_has("client_auth");
}
END_TEST

START_TEST(keycloak_legacy_auth_prefix_is_used)
{
    char *result = NULL;
    kit_control("{\"mode\":\"normal\",\"legacy\":true}");
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_ENOTFOUND);
    configure("\"auth_prefix\":true");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(keycloak_unknown_realm_is_not_found)
{
    char *result = NULL;
    kit_configure("KEYCLOAK", NULL, "{\"realm\":\"nope\",\"client_id\":\"monitorage\"}", CREDS);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_ENOTFOUND);
    kit_assert_error_has("Keycloak: HTTP 404: Realm does not exist");
}
END_TEST

START_TEST(keycloak_missing_admin_roles_is_forbidden)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"forbidden\":true}");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{}"), MON_EFORBIDDEN);
    kit_assert_error_has("Keycloak: HTTP 403: HTTP 403 Forbidden");
}
END_TEST

START_TEST(keycloak_token_is_cached_between_calls)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"token_limit\":1}");
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}") == MON_OK, "run %d: %s", i,
                      mon_error_last());
        mon_free(result);
    }
}
END_TEST

START_TEST(keycloak_short_lived_token_is_not_cached)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"token_limit\":1,\"expires_in\":20}");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}"), MON_OK);
    mon_free(result);
    /* A second token is requested, and the stub refuses it. */
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("HTTP 503: temporarily_unavailable");
}
END_TEST

START_TEST(keycloak_revoked_token_is_renewed_once)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}"), MON_OK);
    mon_free(result);
    kit_control("{\"mode\":\"normal\",\"generation\":1}");
    ck_assert_msg(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}") == MON_OK, "%s",
                  mon_error_last());
    mon_free(result);
}
END_TEST

START_TEST(keycloak_list_users_follows_pages)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":250"));
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-000\""));
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-249\""));
    ck_assert_ptr_nonnull(strstr(result, "\"username\":\"user249\""));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(keycloak_list_users_respects_page_cap)
{
    char *result = NULL;
    configure("\"max_pages\":2");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-199\""));
    ck_assert_ptr_null(strstr(result, "\"id\":\"u-200\""));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":250"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(keycloak_list_users_search_first_and_limit)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{\"search\":\"user01\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":10"));
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-019\""));
    ck_assert_ptr_null(strstr(result, "\"id\":\"u-020\""));
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{\"first\":120,\"limit\":5}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-120\""));
    ck_assert_ptr_nonnull(strstr(result, "\"id\":\"u-124\""));
    ck_assert_ptr_null(strstr(result, "\"id\":\"u-125\""));
    mon_free(result);
}
END_TEST

START_TEST(keycloak_sessions_then_logout)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "user_sessions", "{\"user_id\":\"u-007\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"count\":1"));
    ck_assert_ptr_nonnull(strstr(result, "\"ip_address\":\"10.0.0.5\""));
    ck_assert_ptr_nonnull(strstr(result, "\"clients\":[\"my-app\"]"));
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "logout_user", "{\"user_id\":\"u-007\"}"), MON_OK);
    ck_assert_str_eq(result, "{\"user_id\":\"u-007\",\"logged_out\":true}");
    ck_assert_str_eq(kit.audit_action, "logout_user");
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "user_sessions", "{\"user_id\":\"u-007\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"count\":0"));
    mon_free(result);
}
END_TEST

START_TEST(keycloak_logout_needs_operator_role)
{
    char *result = NULL;
    mon_connector_actor actor = MON_CONNECTOR_ACTOR_INIT;
    configure(NULL);
    actor.user_id = "reader-1";
    actor.role = MON_CONNECTOR_ROLE_READER;
    ck_assert_int_eq(
        mon_connector_run(&result, kit.reg, "KEYCLOAK", "logout_user", "{\"user_id\":\"u-008\"}", &actor),
        MON_EFORBIDDEN);
    kit_assert_error_has("operator");
}
END_TEST

START_TEST(keycloak_unknown_user_message_is_shown)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "logout_user", "{\"user_id\":\"no/such\"}"), MON_ENOTFOUND);
    kit_assert_error_has("Keycloak: HTTP 404: User not found");
}
END_TEST

START_TEST(keycloak_missing_user_id_is_refused)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "user_sessions", "{}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.user_id");
}
END_TEST

START_TEST(keycloak_client_sessions_counts)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_sessions", "{\"client_id\":\"my-app\"}"), MON_OK);
    ck_assert_str_eq(result, "{\"client_id\":\"my-app\",\"id\":\"c0ffee00-0000-4000-8000-000000000001\","
                             "\"active_sessions\":3}");
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_sessions", "{\"client_id\":\"ghost\"}"),
                     MON_ENOTFOUND);
    kit_assert_error_has("no client \"ghost\" in realm ops");
}
END_TEST

START_TEST(keycloak_client_session_stats_are_numbers)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result,
                                 "{\"client_id\":\"my-app\",\"id\":\"c0ffee00-0000-4000-8000-000000000001\","
                                 "\"active\":3,\"offline\":0}"));
    ck_assert_ptr_nonnull(strstr(result, "\"active\":7,\"offline\":1"));
    mon_free(result);
}
END_TEST

START_TEST(keycloak_rate_limit_short_wait_then_success)
{
    char *result = NULL;
    long long started;
    configure("\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
}
END_TEST

START_TEST(keycloak_rate_limit_long_wait_is_reported)
{
    char *result = NULL;
    configure("\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":120}");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{}"), MON_ERATELIMITED);
    kit_assert_error_has("Keycloak: rate limited, retry after 120 s");
}
END_TEST

START_TEST(keycloak_hanging_upstream_times_out)
{
    char *result = NULL;
    long long started;
    configure("\"timeout_ms\":500");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", NULL, NULL), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1500);
    kit_assert_error_has("Keycloak: no complete answer within 500 ms");
}
END_TEST

START_TEST(keycloak_malformed_json_is_proto_error)
{
    char *result = NULL;
    configure(NULL);
    /* The token is cached first, so the broken reply is the admin API's. */
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "client_session_stats", "{}"), MON_OK);
    mon_free(result);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "KEYCLOAK", "list_users", "{}"), MON_EPROTO);
    kit_assert_error_has("Keycloak: malformed JSON in reply");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, keycloak_health_ok);
    tcase_add_test(tc, keycloak_bad_secret_is_auth_error);
    tcase_add_test(tc, keycloak_basic_client_auth_is_accepted);
    tcase_add_test(tc, keycloak_bad_client_auth_option_is_refused);
    tcase_add_test(tc, keycloak_legacy_auth_prefix_is_used);
    tcase_add_test(tc, keycloak_unknown_realm_is_not_found);
    tcase_add_test(tc, keycloak_missing_admin_roles_is_forbidden);
    tcase_add_test(tc, keycloak_token_is_cached_between_calls);
    tcase_add_test(tc, keycloak_short_lived_token_is_not_cached);
    tcase_add_test(tc, keycloak_revoked_token_is_renewed_once);
    tcase_add_test(tc, keycloak_list_users_follows_pages);
    tcase_add_test(tc, keycloak_list_users_respects_page_cap);
    tcase_add_test(tc, keycloak_list_users_search_first_and_limit);
    tcase_add_test(tc, keycloak_sessions_then_logout);
    tcase_add_test(tc, keycloak_logout_needs_operator_role);
    tcase_add_test(tc, keycloak_unknown_user_message_is_shown);
    tcase_add_test(tc, keycloak_missing_user_id_is_refused);
    tcase_add_test(tc, keycloak_client_sessions_counts);
    tcase_add_test(tc, keycloak_client_session_stats_are_numbers);
    tcase_add_test(tc, keycloak_rate_limit_short_wait_then_success);
    tcase_add_test(tc, keycloak_rate_limit_long_wait_is_reported);
    tcase_add_test(tc, keycloak_hanging_upstream_times_out);
    tcase_add_test(tc, keycloak_malformed_json_is_proto_error);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/keycloak_stub.py"), SECRET, "monitorage",
                          NULL};
    return kit_run_suite("connector_keycloak", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
