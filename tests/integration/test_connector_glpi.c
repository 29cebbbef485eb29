#include "connector_kit.h"

#define SECRET "glpi-UserToken-Secret-8866"
#define APP "glpi-app-token-1234"
#define CREDS "{\"user_token\":\"" SECRET "\",\"app_token\":\"" APP "\"}"

static void configure(const char *options)
{
    kit_configure("GLPI", NULL, options ? options : "{\"timeout_ms\":2000}", CREDS);
}

/* Every session opened was closed. */
static void assert_sessions_closed(void)
{
    char *log = kit_log();
    ck_assert_int_ge(stubproc_count(log, "\"/apirest.php/initSession\""), 1);
    ck_assert_int_eq(stubproc_count(log, "\"/apirest.php/initSession\""),
                     stubproc_count(log, "\"/apirest.php/killSession\""));
    free(log);
}

START_TEST(glpi_health_opens_and_closes_a_session)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_OK);
    ck_assert_str_eq(result, "{\"ok\":true,\"user_id\":2,\"user\":\"glpi\",\"profile\":\"Super-Admin\"}");
    mon_free(result);
    assert_sessions_closed();
}
END_TEST

START_TEST(glpi_base_url_may_include_apirest)
{
    char *result = NULL;
    kit_configure("GLPI", "/apirest.php", NULL, CREDS);
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_OK);
    mon_free(result);
}
END_TEST

START_TEST(glpi_bad_user_token)
{
    char *result = NULL;
    kit_configure("GLPI", NULL, NULL, "{\"user_token\":\"wrong-user-token\",\"app_token\":\"" APP "\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_EAUTH);
    kit_assert_error_has("GLPI: HTTP 401: ERROR_GLPI_LOGIN_USER_TOKEN: parameter user_token seems invalid");
}
END_TEST

/* Found by tests/fuzz (fuzz_connector): an empty user_token passed validation, then the
 * session was opened with login and password that were not there (NULL dereference). */
START_TEST(glpi_refuses_empty_user_token_without_login)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.base_url = kit.base_url;
    config.credentials_json = "{\"user_token\":\"\",\"app_token\":\"" APP "\"}";
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "GLPI", &config), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "credentials");
}
END_TEST

START_TEST(glpi_missing_app_token)
{
    char *result = NULL;
    kit_configure("GLPI", NULL, NULL, "{\"user_token\":\"" SECRET "\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_EUPSTREAM);
    kit_assert_error_has("HTTP 400: ERROR_APP_TOKEN_PARAMETERS_MISSING");
}
END_TEST

START_TEST(glpi_create_ticket)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", "create_ticket",
                             "{\"name\":\"[MON] Talend task failed\",\"content\":\"details\",\"urgency\":4,"
                             "\"impact\":3,\"priority\":4}"),
                     MON_OK);
    ck_assert_str_eq(result, "{\"id\":15,\"location\":\"http://127.0.0.1/apirest.php/Ticket/15\"}");
    mon_free(result);
    assert_sessions_closed();
}
END_TEST

START_TEST(glpi_ticket_errors_are_explained_and_session_closed)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", "create_ticket", "{\"name\":\"forbidden\",\"content\":\"x\"}"),
                     MON_EFORBIDDEN);
    kit_assert_error_has("GLPI: HTTP 403: ERROR_RIGHT_MISSING: You don't have permission");
    assert_sessions_closed();
    ck_assert_int_eq(kit_run(&result, "GLPI", "create_ticket", "{\"name\":\"x\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.content");
}
END_TEST

START_TEST(glpi_expired_session_is_reopened_once)
{
    char *result = NULL, *log;
    configure(NULL);
    kit_control("{\"mode\":\"normal\",\"expire_next\":true}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_OK);
    mon_free(result);
    log = kit_log();
    ck_assert_int_eq(stubproc_count(log, "\"/apirest.php/initSession\""), 2);
    ck_assert_int_eq(stubproc_count(log, "\"/apirest.php/getFullSession\""), 2);
    free(log);
}
END_TEST

START_TEST(glpi_list_tickets_follows_content_range)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GLPI", "list_tickets", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":120"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":3"));
    ck_assert_ptr_nonnull(strstr(result, "\"name\":\"Ticket 81\""));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":false"));
    mon_free(result);
}
END_TEST

START_TEST(glpi_page_cap_is_respected)
{
    char *result = NULL;
    configure("{\"max_pages\":1}");
    ck_assert_int_eq(kit_run(&result, "GLPI", "list_tickets", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"name\":\"Ticket 151\""));
    ck_assert_ptr_null(strstr(result, "\"name\":\"Ticket 150\""));
    ck_assert_ptr_nonnull(strstr(result, "\"truncated\":true"));
    mon_free(result);
}
END_TEST

START_TEST(glpi_search_open_tickets)
{
    char *result = NULL;
    configure(NULL);
    ck_assert_int_eq(kit_run(&result, "GLPI", "search_open_tickets", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"total\":80"));
    ck_assert_ptr_nonnull(strstr(result, "\"pages\":2"));
    ck_assert_ptr_nonnull(strstr(result, "\"results\":[{"));
    mon_free(result);
}
END_TEST

START_TEST(glpi_find_tickets_by_text_in_their_description)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", "create_ticket",
                             "{\"name\":\"found again\",\"content\":\"details\\nReference: ref-7f3a-42.\"}"),
                     MON_OK);
    mon_free(result);
    ck_assert_int_eq(kit_run(&result, "GLPI", "find_tickets", "{\"text\":\"REF-7f3a-42.\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"2\":15"));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":1"));
    mon_free(result);
    /* The final "." keeps reference 4 from matching 42; nothing found is an empty list. */
    ck_assert_int_eq(kit_run(&result, "GLPI", "find_tickets", "{\"text\":\"ref-7f3a-4.\"}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"results\":[]"));
    ck_assert_ptr_nonnull(strstr(result, "\"total\":0"));
    mon_free(result);
    assert_sessions_closed();
    ck_assert_int_eq(kit_run(&result, "GLPI", "find_tickets", "{\"text\":\"short\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.text");
    ck_assert_int_eq(kit_run(&result, "GLPI", "find_tickets", "{}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.text");
}
END_TEST

START_TEST(glpi_hang_times_out)
{
    char *result = NULL;
    long long started;
    configure("{\"timeout_ms\":400}");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1400);
}
END_TEST

START_TEST(glpi_malformed_json)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_EPROTO);
    kit_assert_error_has("GLPI: malformed JSON");
}
END_TEST

START_TEST(glpi_rate_limit_is_honoured_too)
{
    /* GLPI has no rate limiting of its own; a proxy's 429 still goes through the shared rules. */
    char *result = NULL;
    configure("{\"rate_limit_max_wait_s\":0}");
    kit_control("{\"mode\":\"ratelimit\",\"count\":5,\"retry_after\":7}");
    ck_assert_int_eq(kit_run(&result, "GLPI", NULL, NULL), MON_ERATELIMITED);
    kit_assert_error_has("GLPI: rate limited, retry after 7 s");
}
END_TEST

START_TEST(glpi_followup_and_solution)
{
    char *result = NULL;
    configure(NULL);
    kit_control("{\"mode\":\"normal\"}");
    ck_assert_int_eq(kit_run(&result, "GLPI", "add_followup", "{\"ticket_id\":15,\"content\":\"Back up\"}"),
                     MON_OK);
    ck_assert_str_eq(result, "{\"ticket_id\":15,\"id\":7}");
    mon_free(result);
    result = NULL;
    ck_assert_int_eq(kit_run(&result, "GLPI", "solve_ticket", "{\"ticket_id\":15,\"content\":\"Recovered\"}"),
                     MON_OK);
    ck_assert_str_eq(result, "{\"ticket_id\":15,\"id\":8}");
    mon_free(result);
    result = NULL;
    assert_sessions_closed();
    ck_assert_int_eq(kit_run(&result, "GLPI", "solve_ticket", "{\"ticket_id\":99,\"content\":\"x\"}"),
                     MON_EUPSTREAM);
    kit_assert_error_has("ERROR_GLPI_ADD");
    ck_assert_int_eq(kit_run(&result, "GLPI", "add_followup", "{\"content\":\"x\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "params.ticket_id");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, glpi_health_opens_and_closes_a_session);
    tcase_add_test(tc, glpi_base_url_may_include_apirest);
    tcase_add_test(tc, glpi_bad_user_token);
    tcase_add_test(tc, glpi_refuses_empty_user_token_without_login);
    tcase_add_test(tc, glpi_missing_app_token);
    tcase_add_test(tc, glpi_create_ticket);
    tcase_add_test(tc, glpi_followup_and_solution);
    tcase_add_test(tc, glpi_ticket_errors_are_explained_and_session_closed);
    tcase_add_test(tc, glpi_expired_session_is_reopened_once);
    tcase_add_test(tc, glpi_list_tickets_follows_content_range);
    tcase_add_test(tc, glpi_page_cap_is_respected);
    tcase_add_test(tc, glpi_search_open_tickets);
    tcase_add_test(tc, glpi_find_tickets_by_text_in_their_description);
    tcase_add_test(tc, glpi_hang_times_out);
    tcase_add_test(tc, glpi_malformed_json);
    tcase_add_test(tc, glpi_rate_limit_is_honoured_too);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/glpi_stub.py"), SECRET, APP, NULL};
    return kit_run_suite("connector_glpi", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
