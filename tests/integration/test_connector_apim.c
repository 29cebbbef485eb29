#include "connector_kit.h"

#define SECRET "apim-client-5ecret-3141"
#define KEY "apim-subscr1ption-key-2718"
#define CREDS "{\"client_secret\":\"" SECRET "\",\"subscription_key\":\"" KEY "\"}"

/* Gateway, login and management all point at the stub; extra: JSON members or "". */
static void configure_with(const char *service, const char *extra, const char *creds)
{
    char options[1024];
    snprintf(options, sizeof(options),
             "{\"tenant_id\":\"tenant-1\",\"subscription_id\":\"sub-1\",\"resource_group\":\"rg-1\","
             "\"service_name\":\"%s\",\"client_id\":\"app-1\",\"login_url\":\"%s\",\"management_url\":\"%s\","
             "\"timeout_ms\":2000%s%s}",
             service, kit.base_url, kit.base_url, extra && *extra ? "," : "", extra ? extra : "");
    kit_configure("APIM", NULL, options, creds);
}

static void configure(const char *extra)
{
    configure_with("contoso", extra, CREDS);
}

START_TEST(apim_health_checks_gateway_and_service)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "APIM", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(result, "/status-0123456789abcdef\",\"status\":200"));
    ck_assert_ptr_nonnull(strstr(result, "\"provisioning_state\":\"Succeeded\""));
    ck_assert_ptr_nonnull(strstr(result, "\"gateway_url\":\"https://contoso.azure-api.net\""));
    ck_assert_ptr_nonnull(strstr(result, "\"sku\":\"Developer\""));
    mon_free(result);
}
END_TEST

START_TEST(apim_gateway_only_health_ok)
{
    char *result = NULL;
    kit_configure("APIM", NULL, "{}", "");
    ck_assert_int_eq(kit_run(&result, "APIM", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"status\":200"));
    ck_assert_ptr_nonnull(strstr(result, "\"service\":null"));
    mon_free(result);
    /* Management actions need the management options. */
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_ESTATE);
    kit_assert_error_has("tenant_id");
}
END_TEST

START_TEST(apim_incomplete_management_options_are_refused)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.options_json = "{\"tenant_id\":\"tenant-1\",\"subscription_id\":\"sub-1\"}";
    config.credentials_json = CREDS;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "APIM", &config), MON_EINVAL);
    kit_assert_error_has("resource_group");
}
END_TEST

START_TEST(apim_probe_api_with_subscription_key)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "APIM", "probe", "{\"path\":\"/echo/resource\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "/echo/resource\",\"status\":200"));
    mon_free(result);
}
END_TEST

START_TEST(apim_probe_without_key_is_auth_error)
{
    char *result = NULL;
    kit_configure("APIM", NULL, "{}", "");
    ck_assert_int_eq(kit_run(&result, "APIM", "probe", "{\"path\":\"/echo/resource\"}"), MON_EAUTH);
    kit_assert_error_has("APIM: HTTP 401: Access denied due to missing subscription key.");
    kit_configure("APIM", NULL, "{}", "{\"subscription_key\":\"wrong-key-0000\"}");
    ck_assert_int_eq(kit_run(&result, "APIM", "probe", "{}"), MON_EAUTH);
    kit_assert_error_has("invalid subscription key");
}
END_TEST

START_TEST(apim_bad_client_secret_is_auth_error)
{
    char *result = NULL;
    configure_with("contoso", NULL, "{\"client_secret\":\"not-the-secret\"}");
    ck_assert_int_eq(kit_run(&result, "APIM", "service_status", "{}"), MON_EAUTH);
    kit_assert_error_has("APIM: HTTP 401: invalid_client; AADSTS7000215: Invalid client secret provided.");
}
END_TEST

START_TEST(apim_unknown_service_message_is_shown)
{
    char *result = NULL;
    configure_with("ghost", NULL, CREDS);
    ck_assert_int_eq(kit_run(&result, "APIM", "service_status", "{}"), MON_ENOTFOUND);
    kit_assert_error_has(
        "APIM: HTTP 404: ResourceNotFound: The Resource 'Microsoft.ApiManagement/service/ghost'");
}
END_TEST

START_TEST(apim_missing_role_is_forbidden)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"forbidden\":true}");
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_EFORBIDDEN);
    kit_assert_error_has("HTTP 403: AuthorizationFailed: The client 'app-1' does not have authorization");
}
END_TEST

START_TEST(apim_failed_service_is_reported)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"state\":\"Failed\"}");
    ck_assert_int_eq(kit_run(&result, "APIM", NULL, NULL), MON_EUPSTREAM);
    kit_assert_error_has("APIM: service contoso is in provisioning state Failed");
}
END_TEST

START_TEST(apim_token_is_cached_between_calls)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"token_limit\":1}");
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(kit_run(&result, "APIM", "service_status", "{}") == MON_OK, "run %d: %s", i,
                      mon_error_last());
        mon_free(result);
    }
}
END_TEST

START_TEST(apim_list_apis_follows_next_links)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"count\":250"));
    ck_assert_ptr_nonnull(
        strstr(result, "{\"name\":\"api-249\",\"display_name\":\"API 249\",\"path\":\"p249\""));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(apim_list_apis_respects_page_cap)
{
    char *result = NULL;
    configure("\"max_pages\":2");
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"count\":200"));
    ck_assert_ptr_nonnull(strstr(result, "\"name\":\"api-199\""));
    ck_assert_ptr_null(strstr(result, "\"name\":\"api-200\""));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(apim_foreign_next_link_is_refused)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"evil_next\":true}");
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_EPROTO);
    kit_assert_error_has("nextLink outside management_url refused");
}
END_TEST

START_TEST(apim_rate_limit_short_wait_then_success)
{
    char *result = NULL;
    long long started;
    configure("\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
}
END_TEST

START_TEST(apim_rate_limit_long_wait_is_reported)
{
    char *result = NULL;
    configure("\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":120}");
    ck_assert_int_eq(kit_run(&result, "APIM", NULL, NULL), MON_ERATELIMITED);
    kit_assert_error_has("APIM: rate limited, retry after 120 s");
}
END_TEST

START_TEST(apim_hanging_upstream_times_out)
{
    char *result = NULL;
    long long started;
    configure("\"timeout_ms\":500");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "APIM", "service_status", "{}"), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1500);
    kit_assert_error_has("APIM: no complete answer within 500 ms");
}
END_TEST

START_TEST(apim_malformed_json_is_proto_error)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "APIM", "list_apis", "{}"), MON_EPROTO);
    kit_assert_error_has("APIM: malformed JSON in reply");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, apim_health_checks_gateway_and_service);
    tcase_add_test(tc, apim_gateway_only_health_ok);
    tcase_add_test(tc, apim_incomplete_management_options_are_refused);
    tcase_add_test(tc, apim_probe_api_with_subscription_key);
    tcase_add_test(tc, apim_probe_without_key_is_auth_error);
    tcase_add_test(tc, apim_bad_client_secret_is_auth_error);
    tcase_add_test(tc, apim_unknown_service_message_is_shown);
    tcase_add_test(tc, apim_missing_role_is_forbidden);
    tcase_add_test(tc, apim_failed_service_is_reported);
    tcase_add_test(tc, apim_token_is_cached_between_calls);
    tcase_add_test(tc, apim_list_apis_follows_next_links);
    tcase_add_test(tc, apim_list_apis_respects_page_cap);
    tcase_add_test(tc, apim_foreign_next_link_is_refused);
    tcase_add_test(tc, apim_rate_limit_short_wait_then_success);
    tcase_add_test(tc, apim_rate_limit_long_wait_is_reported);
    tcase_add_test(tc, apim_hanging_upstream_times_out);
    tcase_add_test(tc, apim_malformed_json_is_proto_error);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/apim_stub.py"), SECRET, KEY, NULL};
    return kit_run_suite("connector_apim", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
