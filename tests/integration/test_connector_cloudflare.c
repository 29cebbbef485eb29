#include "connector_kit.h"

#define SECRET "cf-ApiToken-Secret-3141"
#define ZONE "023e105f4ecef8ad9ca31a8372d0c353"
#define CREDS "{\"api_token\":\"" SECRET "\"}"

static void configure(const char *extra)
{
    char options[512];
    snprintf(options, sizeof(options), "{\"zone_id\":\"" ZONE "\",\"timeout_ms\":2000%s}",
             extra ? extra : "");
    kit_configure("CLOUDFLARE", "/client/v4", options, CREDS);
}

START_TEST(cloudflare_health_verifies_token_and_zone)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"token\":\"active\""));
    ck_assert_ptr_nonnull(strstr(result, "\"status\":\"active\""));
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_account_token_is_verified_under_the_account)
{
    char *result = NULL;
    configure(",\"account_id\":\"acc1\"");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_legacy_key_and_email)
{
    char *result = NULL;
    kit_configure("CLOUDFLARE", "/client/v4", "{\"zone_id\":\"" ZONE "\",\"auth_email\":\"ops@example.com\"}",
                  "{\"api_key\":\"" SECRET "\"}");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "not checked (legacy key)"));
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_bad_token_decided_on_success_flag)
{
    char *result = NULL;
    kit_configure("CLOUDFLARE", "/client/v4", "{\"zone_id\":\"" ZONE "\"}",
                  "{\"api_token\":\"bad-token-value\"}");
    /* The verify route answers 400 with code 1000: still an authentication failure. */
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("Cloudflare: HTTP 400: 1000: Invalid API Token");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "zone_status", "{}"), MON_EAUTH);
    kit_assert_error_has("HTTP 403: 1000: Invalid API Token");
}
END_TEST

START_TEST(cloudflare_inactive_token_or_zone_is_unhealthy)
{
    char *result = NULL;
    kit_configure("CLOUDFLARE", "/client/v4", "{\"zone_id\":\"" ZONE "\"}",
                  "{\"api_token\":\"inactive-token\"}");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("API token is disabled, not active");
    kit_configure("CLOUDFLARE", "/client/v4", "{\"zone_id\":\"pending-zone\"}", CREDS);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", NULL, NULL), MON_EUPSTREAM);
    kit_assert_error_has("zone example.com is pending, not active");
}
END_TEST

START_TEST(cloudflare_purge_everything_and_files_in_batches)
{
    char *result = NULL, params[4096], *log;
    size_t used;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "purge_cache", "{\"purge_everything\":true}"), MON_OK);
    ck_assert_str_eq(result, "{\"purged_everything\":true,\"requests\":1}");
    mon_free(result);
    used = (size_t)snprintf(params, sizeof(params), "{\"files\":[");
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(params + used, sizeof(params) - used, "%s\"https://example.com/f%d.js\"",
                                 i ? "," : "", i);
    snprintf(params + used, sizeof(params) - used, "]}");
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "purge_cache", params), MON_OK);
    ck_assert_str_eq(result, "{\"purged_files\":65,\"requests\":3}");
    mon_free(result);
    log = kit_log();
    ck_assert_int_eq(stubproc_count(log, "/purge_cache"), 3);
    free(log);
}
END_TEST

START_TEST(cloudflare_purge_errors_are_explained)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "purge_cache", "{\"files\":[\"ftp://x\"]}"),
                     MON_EUPSTREAM);
    kit_assert_error_has("Cloudflare: HTTP 400: 1016: Invalid url");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "purge_cache", "{}"), MON_EINVAL);
    ck_assert_int_eq(
        kit_run(&result, "CLOUDFLARE", "purge_cache", "{\"purge_everything\":true,\"files\":[\"a\"]}"),
        MON_EINVAL);
}
END_TEST

START_TEST(cloudflare_zone_status)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "zone_status", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"name_servers\":[\"ns1.cloudflare.com\""));
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_dns_records_pages)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "list_dns_records", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":230"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "host229.example.com"));
    mon_free(result);
    ck_assert_int_eq(
        kit_run(&result, "CLOUDFLARE", "list_dns_records", "{\"type\":\"CNAME\",\"per_page\":20}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":77"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":4"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_dns_records_page_cap)
{
    char *result = NULL;
    configure(",\"max_pages\":2");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "list_dns_records", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "host199.example.com"));
    ck_assert_ptr_null(strstr(result, "host200.example.com"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(cloudflare_rate_limit)
{
    char *result = NULL;
    long long started;
    configure(",\"rate_limit_max_wait_s\":2");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "zone_status", "{}"), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":300}");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "zone_status", "{}"), MON_ERATELIMITED);
    kit_assert_error_has("Cloudflare: rate limited, retry after 300 s");
}
END_TEST

START_TEST(cloudflare_hang_times_out)
{
    char *result = NULL;
    long long started;
    configure(",\"timeout_ms\":400");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "zone_status", "{}"), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1400);
}
END_TEST

START_TEST(cloudflare_malformed_json)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "CLOUDFLARE", "list_dns_records", "{}"), MON_EPROTO);
    kit_assert_error_has("Cloudflare: malformed JSON");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, cloudflare_health_verifies_token_and_zone);
    tcase_add_test(tc, cloudflare_account_token_is_verified_under_the_account);
    tcase_add_test(tc, cloudflare_legacy_key_and_email);
    tcase_add_test(tc, cloudflare_bad_token_decided_on_success_flag);
    tcase_add_test(tc, cloudflare_inactive_token_or_zone_is_unhealthy);
    tcase_add_test(tc, cloudflare_purge_everything_and_files_in_batches);
    tcase_add_test(tc, cloudflare_purge_errors_are_explained);
    tcase_add_test(tc, cloudflare_zone_status);
    tcase_add_test(tc, cloudflare_dns_records_pages);
    tcase_add_test(tc, cloudflare_dns_records_page_cap);
    tcase_add_test(tc, cloudflare_rate_limit);
    tcase_add_test(tc, cloudflare_hang_times_out);
    tcase_add_test(tc, cloudflare_malformed_json);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/cloudflare_stub.py"), SECRET, ZONE, NULL};
    return kit_run_suite("connector_cloudflare", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
