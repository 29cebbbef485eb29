#include "connector_kit.h"

#define SECRET "tlnd-PAT-5ecret-0042"
#define CREDS "{\"token\":\"" SECRET "\"}"

static void configure(const char *options)
{
    kit_configure("TALEND", NULL, options ? options : "{\"timeout_ms\":2000}", CREDS);
}

START_TEST(talend_health_ok)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":250"));
    ck_assert_str_eq(kit.audit_action, "test");
    ck_assert_int_eq(kit.audit_success, 1);
    mon_free(result);
}
END_TEST

START_TEST(talend_bad_token_is_auth_error)
{
    char *result = NULL;
    kit_configure("TALEND", NULL, NULL, "{\"token\":\"wrong-token-value\"}");
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("Talend: HTTP 401: Invalid token");
    ck_assert_int_eq(kit.audit_success, 0);
    ck_assert_ptr_nonnull(strstr(kit.audit_error, "HTTP 401"));
}
END_TEST

START_TEST(talend_run_task_returns_execution_id)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(
        kit_run(&result, "TALEND", "run_task",
                "{\"task_id\":\"task-007\",\"log_level\":\"WARN\",\"parameters\":{\"k\":\"v\"}}"),
        MON_OK);
    ck_assert_str_eq(result, "{\"execution_id\":\"16fefb53-exec-task-007\",\"task_id\":\"task-007\"}");
    ck_assert_str_eq(kit.audit_action, "run_task");
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "task-007"));
    mon_free(result);
}
END_TEST

START_TEST(talend_unknown_task_message_is_shown)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", "run_task", "{\"task_id\":\"missing\"}"), MON_ENOTFOUND);
    kit_assert_error_has("Talend: HTTP 404: Task missing not found");
}
END_TEST

START_TEST(talend_missing_parameter_is_refused_before_any_request)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", "run_task", "{}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.task_id");
}
END_TEST

START_TEST(talend_execution_status_maps_state)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", "execution_status", "{\"execution_id\":\"e-bad\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"state\":\"failed\""));
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "TALEND", "execution_status", "{\"execution_id\":\"e-ok\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"state\":\"succeeded\""));
    mon_free(result);
}
END_TEST

START_TEST(talend_recent_failures_lists_executions)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", "recent_failures", "{\"last_days\":3}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"executions\":[{"));
    ck_assert_ptr_nonnull(strstr(result, "\"last_days\":3"));
    mon_free(result);
}
END_TEST

START_TEST(talend_list_tasks_follows_pages)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "TALEND", "list_tasks", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":250"));
    ck_assert_ptr_nonnull(strstr(result, "task-249"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    mon_free(result);
}
END_TEST

START_TEST(talend_list_tasks_respects_page_cap)
{
    char *result = NULL;
    configure("{\"max_pages\":2}");
    ck_assert_int_eq(kit_run(&result, "TALEND", "list_tasks", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "task-199"));
    ck_assert_ptr_null(strstr(result, "task-200"));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(talend_rate_limit_short_wait_then_success)
{
    char *result = NULL;
    long long started;
    configure("{\"rate_limit_max_wait_s\":3}");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
}
END_TEST

START_TEST(talend_rate_limit_long_wait_is_reported)
{
    char *result = NULL;
    long long started;
    configure("{\"rate_limit_max_wait_s\":3}");
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":120}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_ERATELIMITED);
    kit_assert_error_has("Talend: rate limited, retry after 120 s");
    ck_assert_int_lt(kit_now_ms() - started, 1000);
}
END_TEST

START_TEST(talend_hanging_upstream_times_out)
{
    char *result = NULL;
    long long started;
    configure("{\"timeout_ms\":500}");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1500);
    kit_assert_error_has("no complete answer within 500 ms");
}
END_TEST

START_TEST(talend_slow_upstream_within_timeout_succeeds)
{
    char *result = NULL;
    configure("{\"timeout_ms\":3000}");
    kit_control("{\"mode\":\"slow\",\"seconds\":0.5}");
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(talend_malformed_json_is_proto_error)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "TALEND", "list_tasks", "{}"), MON_EPROTO);
    kit_assert_error_has("Talend: malformed JSON in reply");
}
END_TEST

START_TEST(talend_html_error_page_is_summarised)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"html_error\",\"status\":401}");
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("HTTP 401: Unauthorized (gateway)");
}
END_TEST

START_TEST(talend_unreachable_is_network_error)
{
    char *result = NULL;
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.base_url = "http://127.0.0.1:1";
    config.credentials_json = CREDS;
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_OK);
    ck_assert_int_eq(kit_run(&result, "TALEND", NULL, NULL), MON_ENET);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, talend_health_ok);
    tcase_add_test(tc, talend_bad_token_is_auth_error);
    tcase_add_test(tc, talend_run_task_returns_execution_id);
    tcase_add_test(tc, talend_unknown_task_message_is_shown);
    tcase_add_test(tc, talend_missing_parameter_is_refused_before_any_request);
    tcase_add_test(tc, talend_execution_status_maps_state);
    tcase_add_test(tc, talend_recent_failures_lists_executions);
    tcase_add_test(tc, talend_list_tasks_follows_pages);
    tcase_add_test(tc, talend_list_tasks_respects_page_cap);
    tcase_add_test(tc, talend_rate_limit_short_wait_then_success);
    tcase_add_test(tc, talend_rate_limit_long_wait_is_reported);
    tcase_add_test(tc, talend_hanging_upstream_times_out);
    tcase_add_test(tc, talend_slow_upstream_within_timeout_succeeds);
    tcase_add_test(tc, talend_malformed_json_is_proto_error);
    tcase_add_test(tc, talend_html_error_page_is_summarised);
    tcase_add_test(tc, talend_unreachable_is_network_error);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/talend_stub.py"), SECRET, NULL};
    return kit_run_suite("connector_talend", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
