#include "connector_kit.h"

#define SECRET "reg-Secret-Value-7731"

/* ------------------------------------------------ a type the program registers */

static const char *const echo_fields[] = {"api_key", NULL};

static int echo_validate(mon_connector_call *call, void *payload)
{
    (void)payload;
    if (!mon_connector_call_credential(call, "api_key"))
        return mon_connector_call_error(call, MON_EINVAL, "ECHO needs credential api_key");
    return MON_OK;
}

static int echo_test(char **result, mon_connector_call *call, void *payload)
{
    (void)call;
    (*(int *)payload)++;
    *result = strdup("{\"ok\":true}");
    return MON_OK;
}

static int echo_run(char **result, mon_connector_call *call, const char *action, const char *params,
                    void *payload)
{
    char buffer[512];
    (void)payload;
    if (strcmp(action, "leak") == 0) {
        /* A careless type: its error and result carry the credential; the registry scrubs both. */
        snprintf(buffer, sizeof(buffer), "upstream said key %s is bad",
                 mon_connector_call_credential(call, "api_key"));
        return mon_connector_call_error(call, MON_EUPSTREAM, buffer);
    }
    snprintf(buffer, sizeof(buffer), "{\"params\":%s,\"options\":%s,\"echo_key\":\"%s\",\"timeout_ms\":%d}",
             params, mon_connector_call_options(call), mon_connector_call_credential(call, "api_key"),
             mon_connector_call_timeout_ms(call));
    *result = strdup(buffer);
    return MON_OK;
}

static const mon_connector_action echo_actions[] = {
    {"echo", "Echo the parameters.", "{\"type\":\"object\"}", MON_CONNECTOR_ROLE_READER},
    {"purge", "Admin only.", "{\"type\":\"object\"}", MON_CONNECTOR_ROLE_ADMIN},
    {"leak", "Fails with the credential in its message.", "{\"type\":\"object\"}", MON_CONNECTOR_ROLE_READER},
};

static int echo_tests_run;

static mon_connector_type echo_type(void)
{
    mon_connector_type type = {MON_CONNECTOR_TYPE_VERSION,
                               "ECHO",
                               "Test type",
                               echo_fields,
                               echo_actions,
                               3,
                               echo_validate,
                               echo_test,
                               echo_run,
                               &echo_tests_run};
    return type;
}

static void configure_echo(void)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    mon_connector_type type = echo_type();
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_OK);
    config.options_json = "{\"region\":\"eu\",\"timeout_ms\":1234}";
    config.credentials_json = "{\"api_key\":\"" SECRET "\"}";
    config.enabled = 1;
    ck_assert_msg(mon_connector_configure(kit.reg, "ECHO", &config) == MON_OK, "%s", mon_error_last());
}

START_TEST(registry_lists_the_builtin_types_with_actions)
{
    char *json = NULL;
    ck_assert_int_eq(mon_connectors_types_json(&json, kit.reg), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"TALEND\""));
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"run_task\""));
    ck_assert_ptr_nonnull(strstr(json, "\"min_role\":\"operator\""));
    ck_assert_ptr_nonnull(strstr(json, "\"params_schema\":{"));
    mon_free(json);
}
END_TEST

START_TEST(credentials_are_never_returned)
{
    char *json = NULL;
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    char *stored;

    ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, "TALEND"), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"credentials_set\":false"));
    mon_free(json);
    config.base_url = "https://api.eu.cloud.talend.com";
    config.credentials_json = "{\"token\":\"" SECRET "\"}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_OK);
    ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, "TALEND"), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"credentials_set\":true"));
    ck_assert_ptr_nonnull(strstr(json, mon_secret_key_id(kit.key)));
    kit_assert_clean(json);
    mon_free(json);
    ck_assert_int_eq(mon_connector_list_json(&json, kit.reg), MON_OK);
    kit_assert_clean(json);
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"TALEND\""));
    mon_free(json);
    /* Stored encrypted. */
    stored = pgtest_query_value(kit.db_url, "SELECT credentials FROM connectors WHERE type = 'TALEND'");
    ck_assert_ptr_nonnull(stored);
    ck_assert_int_eq(strncmp(stored, "mon1:", 5), 0);
    kit_assert_clean(stored);
    free(stored);
    /* "" clears. */
    config = (mon_connector_config)MON_CONNECTOR_CONFIG_INIT;
    config.credentials_json = "";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_OK);
    ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, "TALEND"), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"credentials_set\":false"));
    mon_free(json);
}
END_TEST

START_TEST(disabled_connector_refuses_and_is_audited)
{
    char *result = NULL;
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "GITHUB_NOPE", "x", NULL, NULL), MON_ENOTFOUND);
    ck_assert_int_eq(mon_connector_test(&result, kit.reg, "TALEND", NULL), MON_EDISABLED);
    kit_assert_error_has("TALEND connector is disabled");
    ck_assert_int_eq(kit.audits, 2);
    ck_assert_int_eq(kit.audit_success, 0);
    ck_assert_ptr_nonnull(strstr(kit.audit_error, "disabled"));
    /* The detail survives the audit hook. */
    ck_assert_int_eq(mon_error_last_code(), MON_EDISABLED);
    ck_assert_str_eq(mon_error_field(), "connector");
}
END_TEST

START_TEST(bad_credentials_json_is_refused_without_echo)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    static const char *const bad[] = {
        "{\"token\":\"" SECRET "\"",
        "{\"token\":42}",
        "[\"" SECRET "\"]",
        "{\"token\":\"" SECRET "\",}",
        "{\"token\":\"a\",\"token\":\"" SECRET "\"}",
        "{\"unknown_field\":\"" SECRET "\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        config.credentials_json = bad[i];
        ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_EINVAL);
        ck_assert_str_eq(mon_error_field(), "credentials");
        kit_assert_clean(mon_error_last());
    }
    config.credentials_json = "{\"token\":\"esc\\u00e9\\n\\\"q\\\"\"}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_OK);
}
END_TEST

START_TEST(enabling_an_incomplete_connector_is_refused)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.base_url = "";
    config.enabled = 1;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "base_url");
    config.base_url = "ftp://x";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_EINVAL);
    config.base_url = "https://api.eu.cloud.talend.com";
    config.options_json = "{\"timeout_ms\":0}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_EINVAL);
    config.options_json = "[1]";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &config), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "options");
}
END_TEST

START_TEST(credentials_need_a_key)
{
    mon_connectors *keyless = NULL;
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    char *result = NULL;
    ck_assert_int_eq(mon_connectors_new(&keyless, kit.store, NULL), MON_OK);
    config.credentials_json = "{\"token\":\"" SECRET "\"}";
    ck_assert_int_eq(mon_connector_configure(keyless, "TALEND", &config), MON_EKEY);
    /* Credentials stored with the kit's key cannot be used without one. */
    kit_configure("TALEND", NULL, NULL, "{\"token\":\"" SECRET "\"}");
    ck_assert_int_eq(mon_connector_test(&result, keyless, "TALEND", NULL), MON_EKEY);
    mon_connectors_free(keyless);
}
END_TEST

START_TEST(custom_type_is_stored_and_runs)
{
    char *result = NULL, *json = NULL;
    configure_echo();
    ck_assert_int_eq(
        pgtest_query_ll(kit.db_url, "SELECT count(*) FROM custom_connectors WHERE name = 'ECHO'"), 1);
    ck_assert_int_eq(mon_connector_test(&result, kit.reg, "ECHO", NULL), MON_OK);
    ck_assert_str_eq(result, "{\"ok\":true}");
    mon_free(result);
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "echo", "{\"a\":1}", NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"params\":{\"a\":1}"));
    ck_assert_ptr_nonnull(strstr(result, "\"region\":\"eu\""));
    ck_assert_ptr_nonnull(strstr(result, "\"timeout_ms\":1234"));
    ck_assert_ptr_nonnull(strstr(result, "\"echo_key\":\"[REDACTED]\"")); /* result scrubbed */
    kit_assert_clean(result);
    mon_free(result);
    ck_assert_int_eq(mon_connectors_types_json(&json, kit.reg), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"ECHO\",\"description\":\"Test type\",\"builtin\":false"));
    mon_free(json);
}
END_TEST

START_TEST(custom_type_errors_are_scrubbed)
{
    char *result = NULL;
    configure_echo();
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "leak", NULL, NULL), MON_EUPSTREAM);
    kit_assert_error_has("upstream said key [REDACTED] is bad");
    kit_assert_clean(kit.audit_error);
}
END_TEST

START_TEST(registration_rules)
{
    mon_connector_type type = echo_type();
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_OK);
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_EEXISTS);
    type.name = "TALEND";
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_EEXISTS);
    type.name = "lower";
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_EINVAL);
    type.name = "OTHER";
    type.run = NULL;
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_EINVAL);
    type = echo_type();
    type.name = "OTHER";
    type.version = 99;
    ck_assert_int_eq(mon_connectors_register(kit.reg, &type), MON_EVERSION);
}
END_TEST

START_TEST(roles_are_enforced)
{
    mon_connector_actor actor = MON_CONNECTOR_ACTOR_INIT;
    char *result = NULL;
    configure_echo();
    actor.user_id = "u1";
    actor.role = MON_CONNECTOR_ROLE_OPERATOR;
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "purge", NULL, &actor), MON_EFORBIDDEN);
    kit_assert_error_has("ECHO.purge needs the admin role");
    actor.role = MON_CONNECTOR_ROLE_ADMIN;
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "purge", NULL, &actor), MON_OK);
    mon_free(result);
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "nope", NULL, &actor), MON_ENOTFOUND);
    ck_assert_int_eq(mon_connector_run(&result, kit.reg, "ECHO", "echo", "[1]", &actor), MON_EINVAL);
    ck_assert_str_eq(mon_connector_role_name(MON_CONNECTOR_ROLE_READER), "reader");
}
END_TEST

START_TEST(audit_parameters_are_redacted)
{
    char *result = NULL;
    configure_echo();
    ck_assert_int_eq(
        mon_connector_run(&result, kit.reg, "ECHO", "echo",
                          "{\"user\":\"bob\",\"password\":\"hunter2\",\"nested\":{\"api_token\":\"x\"},"
                          "\"note\":\"" SECRET "\",\"list\":[\"" SECRET "\"],"
                          "\"X-Api-Key\":\"k1\",\"sessionId\":\"s1\"}",
                          NULL),
        MON_OK);
    mon_free(result);
    ck_assert_str_eq(kit.audit_action, "echo");
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"user\":\"bob\""));
    ck_assert_ptr_null(strstr(kit.audit_params, "hunter2"));
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"password\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"api_token\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"note\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"list\":[\"[REDACTED]\"]"));
    /* The audit module's key list, '-' and '_' ignored. */
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"X-Api-Key\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(kit.audit_params, "\"sessionId\":\"[REDACTED]\""));
}
END_TEST

START_TEST(env_import_fills_empty_connectors_only)
{
    int imported = -1;
    char *json = NULL;
    mon_connector_config clear = MON_CONNECTOR_CONFIG_INIT;
    clear.credentials_json = "";
    clear.base_url = "";
    clear.enabled = 0;
    ck_assert_int_eq(mon_connector_configure(kit.reg, "TALEND", &clear), MON_OK);
    setenv("TALEND_API_KEY", SECRET, 1);
    setenv("TALEND_BASE_URL", "https://api.us.cloud.talend.com", 1);
    ck_assert_int_eq(mon_connector_import_env(kit.reg, &imported), MON_OK);
    ck_assert_int_ge(imported, 1);
    ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, "TALEND"), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"base_url\":\"https://api.us.cloud.talend.com\""));
    ck_assert_ptr_nonnull(strstr(json, "\"credentials_set\":true"));
    ck_assert_ptr_nonnull(strstr(json, "\"enabled\":false"));
    kit_assert_clean(json);
    mon_free(json);
    /* Already set: left alone. */
    setenv("TALEND_BASE_URL", "https://api.ap.cloud.talend.com", 1);
    ck_assert_int_eq(mon_connector_import_env(kit.reg, &imported), MON_OK);
    ck_assert_int_eq(imported, 0);
    ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, "TALEND"), MON_OK);
    ck_assert_ptr_nonnull(strstr(json, "api.us.cloud"));
    mon_free(json);
    unsetenv("TALEND_API_KEY");
    unsetenv("TALEND_BASE_URL");
}
END_TEST

START_TEST(env_import_maps_every_seed_variable)
{
    static const char *const vars[][2] = {
        {"GITHUB_PAT", SECRET "-gh"},
        {"GITHUB_OWNER", "octo"},
        {"GITHUB_REPO", "app"},
        {"CLOUDFLARE_API_KEY", SECRET "-cf"},
        {"CLOUDFLARE_ZONE_ID", "zone1"},
        {"GLPI_API_KEY", SECRET "-glpi"},
        {"GLPI_BASE_URL", "https://glpi.example.com"},
        {"JIRA_API_KEY", SECRET "-jira"},
        {"JIRA_BASE_URL", "https://example.atlassian.net"},
        {"JIRA_PROJECT_KEY", "OPS"},
        {"JIRA_BOARD_ID", "5"},
    };
    /* JSONB orders keys its own way: check each member. */
    static const char *const expect[][3] = {
        {"GITHUB", "\"owner\":\"octo\"", "\"repo\":\"app\""},
        {"CLOUDFLARE", "\"zone_id\":\"zone1\"", "\"credentials_set\":true"},
        {"GLPI", "\"base_url\":\"https://glpi.example.com\"", "\"credentials_set\":true"},
        {"JIRA", "\"project_key\":\"OPS\"", "\"board_id\":5"},
    };
    int imported = -1;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        setenv(vars[i][0], vars[i][1], 1);
    ck_assert_msg(mon_connector_import_env(kit.reg, &imported) == MON_OK, "%s", mon_error_last());
    ck_assert_int_ge(imported, 4);
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        char *json = NULL;
        ck_assert_int_eq(mon_connector_get_json(&json, kit.reg, expect[i][0]), MON_OK);
        ck_assert_msg(strstr(json, expect[i][1]) != NULL, "%s", json);
        ck_assert_msg(strstr(json, expect[i][2]) != NULL, "%s", json);
        ck_assert_ptr_nonnull(strstr(json, "\"credentials_set\":true"));
        kit_assert_clean(json);
        mon_free(json);
    }
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i][0]);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, registry_lists_the_builtin_types_with_actions);
    tcase_add_test(tc, credentials_are_never_returned);
    tcase_add_test(tc, disabled_connector_refuses_and_is_audited);
    tcase_add_test(tc, bad_credentials_json_is_refused_without_echo);
    tcase_add_test(tc, enabling_an_incomplete_connector_is_refused);
    tcase_add_test(tc, credentials_need_a_key);
    tcase_add_test(tc, custom_type_is_stored_and_runs);
    tcase_add_test(tc, custom_type_errors_are_scrubbed);
    tcase_add_test(tc, registration_rules);
    tcase_add_test(tc, roles_are_enforced);
    tcase_add_test(tc, audit_parameters_are_redacted);
    tcase_add_test(tc, env_import_fills_empty_connectors_only);
    tcase_add_test(tc, env_import_maps_every_seed_variable);
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/talend_stub.py"), SECRET, NULL};
    return kit_run_suite("connector_registry", argv, SECRET, add_tests) ? EXIT_FAILURE : EXIT_SUCCESS;
}
