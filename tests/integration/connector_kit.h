#ifndef MONITORAGE_TEST_CONNECTOR_KIT_H
#define MONITORAGE_TEST_CONNECTOR_KIT_H

/*
 * Shared set-up of the connector suites (tests/integration/test_connector_*.c):
 * one database and one stub (tests/stubs/<system>_stub.py) per suite, started
 * by an unchecked fixture; a registry per test (checked fixture); scenario switches through
 * the stub's /__control endpoint; an audit hook that records the last event
 * and checks that the suite's secret never shows up in audit parameters,
 * error messages or results.
 */

#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"
#include "stubproc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KIT_KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct {
    char db_url[1024];
    struct stubproc stub;
    char base_url[128];
    const char *secret; /* a credential value that must never be shown */
    mon_store *store;
    mon_secret_key *key;
    mon_connectors *reg;
    int audits;
    char audit_action[64];
    char audit_params[2048];
    char audit_error[1200];
    int audit_success;
} kit;

/* Fail the test if the suite's secret appears in text. */
static inline void kit_assert_clean(const char *text)
{
    if (text && kit.secret)
        ck_assert_msg(strstr(text, kit.secret) == NULL, "secret leaked into: %s", text);
}

static inline void kit_audit_hook(const mon_connector_audit_event *event, void *payload)
{
    (void)payload;
    kit.audits++;
    snprintf(kit.audit_action, sizeof(kit.audit_action), "%s", event->action);
    snprintf(kit.audit_params, sizeof(kit.audit_params), "%s", event->parameters_json);
    snprintf(kit.audit_error, sizeof(kit.audit_error), "%s",
             event->error_message ? event->error_message : "");
    kit.audit_success = event->success;
    kit_assert_clean(event->parameters_json);
    kit_assert_clean(event->error_message);
}

static const char *const *kit_stub_argv;
static const char *kit_suite;

/* Unchecked fixture (runs once, in the parent): the suite's database and stub. */
static inline void kit_start(void)
{
    const char *url;
    ck_assert_int_eq(mon_global_init(), MON_OK);
    mon_store_close(pgtest_fresh_store(kit_suite, &url));
    snprintf(kit.db_url, sizeof(kit.db_url), "%s", url);
    stubproc_start(&kit.stub, kit_stub_argv);
    snprintf(kit.base_url, sizeof(kit.base_url), "http://127.0.0.1:%d", kit.stub.port);
}

static inline void kit_stop(void)
{
    stubproc_stop(&kit.stub);
    mon_global_cleanup();
}

/* Send a scenario to the stub (also clears its request log). */
static inline void kit_control(const char *json)
{
    stubproc_control(&kit.stub, json);
}

/* The requests the stub received since the last kit_control() (JSON array; free()). */
static inline char *kit_log(void)
{
    return stubproc_log(&kit.stub);
}

static inline void kit_setup(void)
{
    ck_assert_int_eq(mon_store_open(&kit.store, kit.db_url), MON_OK);
    ck_assert_int_eq(mon_secret_key_from_hex(&kit.key, KIT_KEY_HEX), MON_OK);
    ck_assert_int_eq(mon_connectors_new(&kit.reg, kit.store, kit.key), MON_OK);
    ck_assert_int_eq(mon_connector_set_audit_hook(kit.reg, kit_audit_hook, NULL), MON_OK);
    kit.audits = 0;
    kit_control("{\"mode\":\"normal\"}");
}

static inline void kit_teardown(void)
{
    mon_connectors_free(kit.reg);
    mon_secret_key_free(kit.key);
    mon_store_close(kit.store);
    kit.reg = NULL;
    kit.key = NULL;
    kit.store = NULL;
}

/* Configure and enable a connector pointed at the stub (base_path appended). */
static inline void kit_configure(const char *name, const char *base_path, const char *options_json,
                                 const char *credentials_json)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    char base[256];
    snprintf(base, sizeof(base), "%s%s", kit.base_url, base_path ? base_path : "");
    config.base_url = base;
    config.options_json = options_json;
    config.credentials_json = credentials_json;
    config.enabled = 1;
    ck_assert_msg(mon_connector_configure(kit.reg, name, &config) == MON_OK, "configure %s: %s", name,
                  mon_error_last());
}

/* Run an action (or the test when action is NULL); checks the result and error are clean. */
static inline int kit_run(char **result, const char *name, const char *action, const char *params)
{
    int rc = action ? mon_connector_run(result, kit.reg, name, action, params, NULL)
                    : mon_connector_test(result, kit.reg, name, NULL);
    /* Every outcome goes to the suite's output: test_secret_leak_scan greps it for the secrets. */
    fprintf(stderr, "kit: %s.%s -> %s %.300s | audit: %s\n", name, action ? action : "test",
            mon_error_name(rc), rc == MON_OK ? (*result ? *result : "") : mon_error_last(), kit.audit_params);
    kit_assert_clean(mon_error_last());
    kit_assert_clean(*result);
    ck_assert_int_ge(kit.audits, 1);
    if (rc != MON_OK)
        ck_assert_ptr_null(*result);
    return rc;
}

static inline long long kit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Assert the last error contains text. */
#define kit_assert_error_has(text)                                                                           \
    ck_assert_msg(strstr(mon_error_last(), (text)) != NULL, "error \"%s\" lacks \"%s\"", mon_error_last(),   \
                  (text))

/* Run a suite made of the given tests against the stub started with stub_argv;
 * nonzero when a test failed. */
static inline int kit_run_suite(const char *name, const char *const stub_argv[], const char *secret,
                                void (*add_tests)(TCase *tc))
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);
    kit_suite = name;
    kit_stub_argv = stub_argv;
    kit.secret = secret;
    tcase_add_unchecked_fixture(tc, kit_start, kit_stop);
    tcase_add_checked_fixture(tc, kit_setup, kit_teardown);
    tcase_set_timeout(tc, 60);
    add_tests(tc);
    suite_add_tcase(s, tc);
    return check_run_suite(s) != EXIT_SUCCESS;
}

#endif
