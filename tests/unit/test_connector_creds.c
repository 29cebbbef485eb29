/* The credentials reader (lib/connector_creds.c): JSON objects of strings
 * decoded straight into locked memory. */
#include <monitorage/monitorage.h>

#include "connectors/connectors_priv.h"

#include "checkmain.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct mon__creds *parse_ok(const char *text)
{
    struct mon__creds *creds = NULL;
    ck_assert_msg(mon__creds_parse(&creds, text, strlen(text)) == MON_OK, "%s: %s", text, mon_error_last());
    return creds;
}

START_TEST(creds_decode_escapes_and_unicode)
{
    struct mon__creds *creds = parse_ok(
        " { \"token\" : \"a\\\"b\\\\c\\/d\\n\\t\" ,\"e\":\"\\u00e9\\ud83d\\ude00\", \"empty\":\"\"}\n");
    ck_assert_uint_eq(creds->count, 3);
    ck_assert_str_eq(mon__creds_get(creds, "token"), "a\"b\\c/d\n\t");
    ck_assert_str_eq(mon__creds_get(creds, "e"), "\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_str_eq(mon__creds_get(creds, "empty"), "");
    ck_assert_ptr_null(mon__creds_get(creds, "missing"));
    mon__creds_free(creds);
    creds = parse_ok("{}");
    ck_assert_uint_eq(creds->count, 0);
    mon__creds_free(creds);
    mon__creds_free(NULL);
}
END_TEST

START_TEST(creds_refuse_anything_but_an_object_of_strings)
{
    static const char *const bad[] = {
        "",
        "[]",
        "\"x\"",
        "{\"a\":1}",
        "{\"a\":null}",
        "{\"a\":{\"b\":\"c\"}}",
        "{\"a\":\"b\",}",
        "{\"a\":\"b\"} x",
        "{\"a\" \"b\"}",
        "{\"a\":\"b",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"line\nbreak\"}",
        "{\"a\":\"1\",\"a\":\"2\"}",
        "{a:\"b\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mon__creds *creds = (struct mon__creds *)1;
        ck_assert_msg(mon__creds_parse(&creds, bad[i], strlen(bad[i])) == MON_EINVAL, "accepted %s", bad[i]);
        ck_assert_ptr_null(creds);
        ck_assert_str_eq(mon_error_field(), "credentials");
    }
}
END_TEST

START_TEST(creds_errors_never_quote_the_input)
{
    struct mon__creds *creds = NULL;
    const char *text = "{\"token\":\"VerySecretValue\" oops}";
    ck_assert_int_eq(mon__creds_parse(&creds, text, strlen(text)), MON_EINVAL);
    ck_assert_ptr_null(strstr(mon_error_last(), "VerySecret"));
    ck_assert_msg(strstr(mon_error_last(), "at byte") != NULL, "%s", mon_error_last());
}
END_TEST

START_TEST(creds_limit_the_number_of_fields)
{
    char text[1024] = "{";
    struct mon__creds *creds = NULL;
    for (int i = 0; i <= MON__CREDS_MAX; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\"k%d\":\"v\"", i ? "," : "", i);
    strcat(text, "}");
    ck_assert_int_eq(mon__creds_parse(&creds, text, strlen(text)), MON_EINVAL);
    ck_assert_msg(strstr(mon_error_last(), "more than") != NULL, "%s", mon_error_last());
}
END_TEST

START_TEST(creds_survive_random_mutations)
{
    const char *seed = "{\"user_token\":\"abc\\u00e9\\n\",\"app_token\":\"\\ud83d\\ude00xyz\",\"k\":\"\"}";
    size_t len = strlen(seed);
    unsigned state = 12345;
    char *copy = malloc(len + 1);
    int accepted = 0;

    for (int round = 0; round < 50000; round++) {
        struct mon__creds *creds = NULL;
        size_t cut;
        memcpy(copy, seed, len + 1);
        for (int flips = 0; flips < 1 + round % 4; flips++) {
            state = state * 1103515245u + 12345u;
            copy[(state >> 8) % len] = (char)(state >> 16);
        }
        state = state * 1103515245u + 12345u;
        cut = (state >> 8) % (len + 1); /* also truncate, sometimes to nothing */
        if (mon__creds_parse(&creds, copy, round % 3 ? len : cut) == MON_OK) {
            accepted++;
            ck_assert_uint_le(creds->count, MON__CREDS_MAX);
            for (size_t i = 0; i < creds->count; i++)
                ck_assert_ptr_nonnull(mon__creds_get(creds, creds->names[i]));
        }
        mon__creds_free(creds);
    }
    free(copy);
    ck_assert_int_gt(accepted, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connector_creds");
    TCase *tc = tcase_create("creds");
    int failed;

    if (mon_global_init() != MON_OK)
        return EXIT_FAILURE;
    tcase_add_test(tc, creds_decode_escapes_and_unicode);
    tcase_add_test(tc, creds_refuse_anything_but_an_object_of_strings);
    tcase_add_test(tc, creds_errors_never_quote_the_input);
    tcase_add_test(tc, creds_limit_the_number_of_fields);
    tcase_add_test(tc, creds_survive_random_mutations);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    failed = check_run_suite(s) != EXIT_SUCCESS;
    mon_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
