#include "connector_kit.h"

#define SECRET "jira-ApiToken-Secret-4455"
#define EMAIL "ops@example.com"
#define CREDS "{\"api_token\":\"" SECRET "\"}"

/* Cloud (Basic) unless the options say datacenter (Bearer). */
static void configure(const char *extra)
{
    char options[512];
    snprintf(options, sizeof(options),
             "{\"deployment\":\"cloud\",\"email\":\"" EMAIL "\",\"project_key\":\"OPS\",\"board_id\":5,"
             "\"timeout_ms\":2000%s}",
             extra ? extra : "");
    kit_configure("JIRA", NULL, options, CREDS);
}

static void configure_dc(void)
{
    kit_configure("JIRA", NULL, "{\"deployment\":\"datacenter\",\"project_key\":\"OPS\",\"timeout_ms\":2000}",
                  CREDS);
}

START_TEST(jira_cloud_health_ok)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"deployment\":\"cloud\""));
    ck_assert_ptr_nonnull(strstr(result, "\"account\":\"5b10ac8d82e05b22cc7d4ef5\""));
    mon_free(result);
}
END_TEST

START_TEST(jira_datacenter_health_ok)
{
    char *result = NULL;
    configure_dc();
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"deployment\":\"datacenter\""));
    ck_assert_ptr_nonnull(strstr(result, "\"account\":\"opsbot\""));
    mon_free(result);
}
END_TEST

START_TEST(jira_bad_credentials_cloud_text_and_dc_html)
{
    char *result = NULL;
    kit_configure("JIRA", NULL, "{\"deployment\":\"cloud\",\"email\":\"" EMAIL "\"}",
                  "{\"api_token\":\"nope\"}");
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("Jira: HTTP 401: Client must be authenticated to access this resource.");
    kit_configure("JIRA", NULL, "{\"deployment\":\"datacenter\"}", "{\"api_token\":\"nope\"}");
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("Jira: HTTP 401: Unauthorized (401)");
}
END_TEST

START_TEST(jira_cloud_needs_email)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.base_url = "https://example.atlassian.net";
    config.options_json = "{}";
    config.credentials_json = CREDS;
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "JIRA", &config), MON_EINVAL);
    kit_assert_error_has("needs option \"email\"");
}
END_TEST

START_TEST(jira_create_incident)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(
        kit_run(&result, "JIRA", "create_incident",
                "{\"summary\":\"Talend task X failed\",\"description\":\"details\",\"priority\":\"High\"}"),
        MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"key\":\"OPS-24\""));
    mon_free(result);
}
END_TEST

START_TEST(jira_field_errors_are_explained)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(
        kit_run(&result, "JIRA", "create_incident", "{\"summary\":\"x\",\"issue_type\":\"Epic\"}"),
        MON_EUPSTREAM);
    kit_assert_error_has("Jira: HTTP 400: issuetype: valid issue type is required");
    ck_assert_int_eq(
        kit_run(&result, "JIRA", "create_incident", "{\"summary\":\"x\",\"project_key\":\"NOPE\"}"),
        MON_EUPSTREAM);
    kit_assert_error_has("project: valid project is required");
    ck_assert_int_eq(kit_run(&result, "JIRA", "create_incident", "{\"summary\":\"x\",\"labels\":[1]}"),
                     MON_EINVAL);
    ck_assert_int_eq(kit_run(&result, "JIRA", "search", "{\"jql\":\"project = OPS ORDER BY nonsense\"}"),
                     MON_EUPSTREAM);
    kit_assert_error_has("Field 'nonsense' does not exist");
}
END_TEST

START_TEST(jira_active_sprint_with_issue_pages)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "JIRA", "active_sprint", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"name\":\"Sprint 12\""));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":70"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":2"));
    ck_assert_ptr_nonnull(strstr(result, "\"key\":\"OPS-69\""));
    ck_assert_ptr_nonnull(strstr(result, "\"assignee\":\"Ann\""));
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "JIRA", "active_sprint", "{\"board_id\":6}"), MON_OK);
    ck_assert_str_eq(result, "{\"sprint\":null,\"issues\":[],\"total\":0}");
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "JIRA", "active_sprint", "{\"board_id\":99}"), MON_ENOTFOUND);
    kit_assert_error_has("Board does not exist");
}
END_TEST

START_TEST(jira_cloud_search_follows_next_page_token)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "JIRA", "search", "{\"jql\":\"project = OPS\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "\"key\":\"OPS-119\""));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":120"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(jira_datacenter_search_uses_start_at_and_cap)
{
    char *result = NULL;
    kit_configure("JIRA", NULL, "{\"deployment\":\"datacenter\",\"max_pages\":2}", CREDS);
    ck_assert_int_eq(kit_run(&result, "JIRA", "search", "{\"jql\":\"project = OPS\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":2"));
    ck_assert_ptr_nonnull(strstr(result, "\"key\":\"OPS-99\""));
    ck_assert_ptr_null(strstr(result, "\"key\":\"OPS-100\""));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":120"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(jira_rate_limit_retry_after)
{
    char *result = NULL;
    long long started;
    configure(",\"rate_limit_max_wait_s\":2");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":30}");
    ck_assert_int_eq(kit_run(&result, "JIRA", NULL, NULL), MON_ERATELIMITED);
    kit_assert_error_has("Jira: rate limited, retry after 30 s");
}
END_TEST

START_TEST(jira_hang_times_out)
{
    char *result = NULL;
    long long started;
    configure(",\"timeout_ms\":400");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "JIRA", "search", "{\"jql\":\"x\"}"), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1400);
}
END_TEST

START_TEST(jira_malformed_json)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "JIRA", "active_sprint", "{}"), MON_EPROTO);
    kit_assert_error_has("Jira: malformed JSON");
}
END_TEST

START_TEST(jira_comment_and_transition_by_name_or_status)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "JIRA", "add_comment", "{\"key\":\"OPS-24\",\"body\":\"Back up\"}"),
                     MON_OK);
    ck_assert_str_eq(result, "{\"key\":\"OPS-24\",\"comment_id\":\"10100\"}");
    mon_free(result);
    result = NULL;
    /* "Done" is the status the "Resolve" transition leads to. */
    ck_assert_int_eq(
        kit_run(&result, "JIRA", "transition_issue", "{\"key\":\"OPS-24\",\"transition\":\"done\"}"), MON_OK);
    ck_assert_str_eq(result, "{\"key\":\"OPS-24\",\"transition\":\"done\",\"transition_id\":\"31\"}");
    mon_free(result);
    result = NULL;
    ck_assert_int_eq(
        kit_run(&result, "JIRA", "transition_issue", "{\"key\":\"OPS-24\",\"transition\":\"Closed\"}"),
        MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.transition");
    kit_assert_error_has("offered: \"To Do\", \"In Progress\", \"Resolve\"");
    ck_assert_int_eq(kit_run(&result, "JIRA", "add_comment", "{\"key\":\"OPS-404\",\"body\":\"x\"}"),
                     MON_ENOTFOUND);
    ck_assert_int_eq(kit_run(&result, "JIRA", "add_comment", "{\"key\":\"OPS-24\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.body");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, jira_cloud_health_ok);
    tcase_add_test(tc, jira_datacenter_health_ok);
    tcase_add_test(tc, jira_bad_credentials_cloud_text_and_dc_html);
    tcase_add_test(tc, jira_cloud_needs_email);
    tcase_add_test(tc, jira_create_incident);
    tcase_add_test(tc, jira_comment_and_transition_by_name_or_status);
    tcase_add_test(tc, jira_field_errors_are_explained);
    tcase_add_test(tc, jira_active_sprint_with_issue_pages);
    tcase_add_test(tc, jira_cloud_search_follows_next_page_token);
    tcase_add_test(tc, jira_datacenter_search_uses_start_at_and_cap);
    tcase_add_test(tc, jira_rate_limit_retry_after);
    tcase_add_test(tc, jira_hang_times_out);
    tcase_add_test(tc, jira_malformed_json);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/jira_stub.py"), SECRET, EMAIL, NULL};
    return kit_run_suite("connector_jira", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
