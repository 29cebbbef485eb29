#include "connector_kit.h"

#define SECRET "ghp_KnownGitHubSecret0099"
#define CREDS "{\"token\":\"" SECRET "\"}"
#define OPTIONS "{\"owner\":\"octo\",\"repo\":\"app\",\"timeout_ms\":2000"

static void configure(const char *extra_options)
{
    char options[512];
    snprintf(options, sizeof(options), "%s%s}", OPTIONS, extra_options ? extra_options : "");
    kit_configure("GITHUB", NULL, options, CREDS);
}

START_TEST(github_health_ok)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"full_name\":\"octo/app\""));
    ck_assert_ptr_nonnull(strstr(result, "\"rate_limit_remaining\":4999"));
    mon_free(result);
}
END_TEST

START_TEST(github_bad_credentials)
{
    char *result = NULL;
    kit_configure("GITHUB", NULL, OPTIONS "}", "{\"token\":\"ghp_wrong\"}");
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("GitHub: HTTP 401: Bad credentials");
}
END_TEST

START_TEST(github_missing_repo_is_not_found)
{
    char *result = NULL;
    kit_configure("GITHUB", NULL, "{\"owner\":\"octo\",\"repo\":\"private-one\"}", CREDS);
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_ENOTFOUND);
    kit_assert_error_has("GitHub: HTTP 404: Not Found");
}
END_TEST

START_TEST(github_needs_owner_and_repo)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.options_json = "{\"owner\":\"octo\"}";
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "GITHUB", &config), MON_EINVAL);
    kit_assert_error_has("option \"repo\"");
}
END_TEST

START_TEST(github_rerun_failed_jobs)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "rerun_failed_jobs", "{\"run_id\":30433642}"), MON_OK);
    ck_assert_str_eq(result, "{\"run_id\":30433642,\"requested\":\"rerun-failed-jobs\",\"accepted\":true}");
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "cancel_run", "{\"run_id\":30433642}"), MON_OK);
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "rerun", "{\"run_id\":30433642}"), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(github_action_errors_are_explained)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "rerun_failed_jobs", "{\"run_id\":1}"), MON_EFORBIDDEN);
    kit_assert_error_has("GitHub: HTTP 403: Must have admin rights to Repository.");
    ck_assert_int_eq(kit_run(&result, "GITHUB", "cancel_run", "{\"run_id\":2}"), MON_EUPSTREAM);
    kit_assert_error_has("HTTP 409: This workflow run is not completed");
    ck_assert_int_eq(kit_run(&result, "GITHUB", "cancel_run", "{\"run_id\":\"x\"}"), MON_EINVAL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "cancel_run", "{}"), MON_EINVAL);
}
END_TEST

START_TEST(github_dispatch_workflow)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "dispatch_workflow",
                             "{\"workflow\":\"deploy.yml\",\"ref\":\"main\",\"inputs\":{\"env\":\"prod\"}}"),
                     MON_OK);
    ck_assert_str_eq(result, "{\"workflow\":\"deploy.yml\",\"ref\":\"main\",\"dispatched\":true}");
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "dispatch_workflow",
                             "{\"workflow\":\"deploy.yml\",\"inputs\":{\"env\":\"staging\"}}"),
                     MON_EUPSTREAM);
    kit_assert_error_has("HTTP 422: Unexpected inputs provided");
}
END_TEST

START_TEST(github_list_failed_runs_follows_link_pages)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "list_failed_runs", "{\"per_page\":20,\"branch\":\"main\"}"),
                     MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total_count\":45"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "\"run_number\":44"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(github_page_cap_is_respected)
{
    char *result = NULL;
    configure(",\"max_pages\":2");
    ck_assert_int_eq(kit_run(&result, "GITHUB", "list_failed_runs", "{\"per_page\":20}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":2"));
    ck_assert_ptr_nonnull(strstr(result, "\"run_number\":39"));
    ck_assert_ptr_null(strstr(result, "\"run_number\":40"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(github_validation_error_lists_fields)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GITHUB", "list_failed_runs", "{\"status\":\"bogus\"}"), MON_EUPSTREAM);
    kit_assert_error_has("HTTP 422: Validation Failed; status: invalid");
}
END_TEST

START_TEST(github_primary_rate_limit_waits_for_reset)
{
    char *result = NULL;
    long long started;
    configure(",\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 500);
    mon_free(result);
}
END_TEST

START_TEST(github_primary_rate_limit_far_reset_is_reported)
{
    char *result = NULL;
    configure(",\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":600}");
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_ERATELIMITED);
    kit_assert_error_has("GitHub: rate limited, retry after ");
}
END_TEST

START_TEST(github_hang_times_out)
{
    char *result = NULL;
    long long started;
    configure(",\"timeout_ms\":400");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "GITHUB", "list_failed_runs", "{}"), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1400);
}
END_TEST

START_TEST(github_malformed_json)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "GITHUB", NULL, NULL), MON_EPROTO);
    kit_assert_error_has("GitHub: malformed JSON");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, github_health_ok);
    tcase_add_test(tc, github_bad_credentials);
    tcase_add_test(tc, github_missing_repo_is_not_found);
    tcase_add_test(tc, github_needs_owner_and_repo);
    tcase_add_test(tc, github_rerun_failed_jobs);
    tcase_add_test(tc, github_action_errors_are_explained);
    tcase_add_test(tc, github_dispatch_workflow);
    tcase_add_test(tc, github_list_failed_runs_follows_link_pages);
    tcase_add_test(tc, github_page_cap_is_respected);
    tcase_add_test(tc, github_validation_error_lists_fields);
    tcase_add_test(tc, github_primary_rate_limit_waits_for_reset);
    tcase_add_test(tc, github_primary_rate_limit_far_reset_is_reported);
    tcase_add_test(tc, github_hang_times_out);
    tcase_add_test(tc, github_malformed_json);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/github_stub.py"), SECRET, NULL};
    return kit_run_suite("connector_github", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
