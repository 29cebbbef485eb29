#include <monitorage/monitorage.h>

#include "checkmain.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINIMAL "\"name\":\"API\",\"type\":\"APIM\",\"url\":\"https://example.com/health\""

/* Parse {MINIMAL, extra}, leaving out of MINIMAL a field that extra gives first;
 * returns the code, frees the endpoint. */
static int parse_with(const char *extra)
{
    const char *base[] = {"\"name\":\"API\"", "\"type\":\"APIM\"", "\"url\":\"https://example.com/health\""};
    char json[16384] = "{";
    mon_endpoint *ep = NULL;
    for (size_t i = 0; i < 3; i++) {
        size_t key_len = (size_t)(strchr(base[i], ':') - base[i]);
        if (strncmp(extra, base[i], key_len) != 0)
            snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s,", base[i]);
    }
    snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s}", extra);
    int rc = mon_endpoint_from_json(&ep, json);
    if (rc != MON_OK)
        ck_assert_ptr_null(ep);
    mon_endpoint_free(ep);
    return rc;
}

/* Assert that the JSON extra fields are refused with the given field and detail fragment. */
#define ASSERT_REFUSED(extra, field, fragment)                                                               \
    do {                                                                                                     \
        ck_assert_int_eq(parse_with(extra), MON_EINVAL);                                                     \
        ck_assert_str_eq(mon_error_field(), field);                                                          \
        ck_assert_msg(strstr(mon_error_last(), fragment) != NULL, "detail \"%s\" lacks \"%s\"",              \
                      mon_error_last(), fragment);                                                           \
    } while (0)

static mon_endpoint *minimal(void)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{" MINIMAL "}"), MON_OK);
    return ep;
}

/* ---- defaults and round trip ---- */

START_TEST(new_endpoint_has_documented_defaults)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_new(&ep), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_id(ep), "");
    ck_assert_str_eq(mon_endpoint_get_name(ep), "");
    ck_assert_int_eq(mon_endpoint_get_type(ep), MON_ENDPOINT_APIM);
    ck_assert_int_eq(mon_endpoint_get_check_interval(ep), 60);
    ck_assert_int_eq(mon_endpoint_get_timeout_ms(ep), 5000);
    ck_assert_int_eq(mon_endpoint_get_expected_status(ep), 200);
    ck_assert_str_eq(mon_endpoint_get_headers_json(ep), "{}");
    ck_assert_int_eq(mon_endpoint_get_enabled(ep), 1);
    ck_assert_str_eq(mon_endpoint_get_method(ep), "GET");
    ck_assert_int_eq(mon_endpoint_get_degraded_ms(ep), 2000);
    ck_assert_int_eq(mon_endpoint_get_retries(ep), 1);
    ck_assert_str_eq(mon_endpoint_get_conditions_json(ep), "[]");
    ck_assert_int_eq(mon_endpoint_get_cert_warn_days(ep), 14);
    ck_assert_int_eq(mon_endpoint_get_follow_redirects(ep), 0);
    ck_assert_int_eq(mon_endpoint_get_created_at(ep), 0);
    ck_assert_int_eq(mon_endpoint_validate(ep), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "name");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_built_with_setters_validates)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_new(&ep), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_name(ep, "Shop"), MON_OK);
    ck_assert_int_eq(mon_endpoint_validate(ep), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "url");
    ck_assert_int_eq(mon_endpoint_set_url(ep, "HTTP://shop.example.com:8080/p?q=1"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_type(ep, MON_ENDPOINT_DOMAIN), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_method(ep, "HEAD"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_enabled(ep, 0), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_follow_redirects(ep, 7), MON_OK);
    ck_assert_int_eq(mon_endpoint_get_follow_redirects(ep), 1);
    ck_assert_int_eq(mon_endpoint_validate(ep), MON_OK);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(json_round_trip_keeps_every_field)
{
    const char *in =
        "{\"id\":\"123E4567-E89B-12D3-A456-426614174000\",\"name\":\"Café ☕\",\"type\":\"TALEND\","
        "\"url\":\"https://talend.example.com/job\",\"check_interval\":300,\"timeout\":10000,"
        "\"expected_status\":204,\"headers\":{\"X-Id\":\"a\",\"Accept\":\"application/json\"},"
        "\"enabled\":false,\"method\":\"POST\",\"degraded_ms\":0,\"retries\":3,"
        "\"conditions\":[{\"type\":\"json_equals\",\"path\":\"data.items[0].status\",\"value\":{\"a\":[1,"
        "null]}},{\"type\":\"header_present\",\"name\":\"X-Id\"}],\"cert_warn_days\":30,"
        "\"follow_redirects\":true,\"created_at\":\"2026-11-24T14:41:44.123456Z\","
        "\"updated_at\":\"2026-11-24 16:41:44.5+02\"}";
    mon_endpoint *ep = NULL, *back = NULL;
    char *out = NULL, *again = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, in), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_id(ep), "123e4567-e89b-12d3-a456-426614174000");
    ck_assert_int_eq(mon_endpoint_get_type(ep), MON_ENDPOINT_TALEND);
    ck_assert_int_eq(mon_endpoint_get_timeout_ms(ep), 10000);
    ck_assert_int_eq(mon_endpoint_get_updated_at(ep) - mon_endpoint_get_created_at(ep), 376544);
    ck_assert_int_eq(mon_endpoint_to_json(&out, ep), MON_OK);
    ck_assert_str_eq(
        out, "{\"id\":\"123e4567-e89b-12d3-a456-426614174000\",\"name\":\"Café ☕\",\"type\":\"TALEND\","
             "\"url\":\"https://talend.example.com/job\",\"check_interval\":300,\"timeout\":10000,"
             "\"expected_status\":204,\"headers\":{\"X-Id\":\"a\",\"Accept\":\"application/json\"},"
             "\"enabled\":false,\"method\":\"POST\",\"degraded_ms\":0,\"retries\":3,"
             "\"conditions\":[{\"type\":\"json_equals\",\"path\":\"data.items[0].status\",\"value\":{\"a\":"
             "[1,null]}},{\"type\":\"header_present\",\"name\":\"X-Id\"}],\"cert_warn_days\":30,"
             "\"follow_redirects\":true,\"created_at\":\"2026-11-24T14:41:44.123456Z\","
             "\"updated_at\":\"2026-11-24T14:41:44.500000Z\"}");
    ck_assert_int_eq(mon_endpoint_from_json(&back, out), MON_OK);
    ck_assert_int_eq(mon_endpoint_to_json(&again, back), MON_OK);
    ck_assert_str_eq(out, again);
    mon_free(out);
    mon_free(again);
    mon_endpoint_free(back);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(unstored_endpoint_writes_null_id_and_stamps)
{
    mon_endpoint *ep = minimal();
    char *out = NULL;
    ck_assert_int_eq(mon_endpoint_to_json(&out, ep), MON_OK);
    ck_assert_ptr_nonnull(strstr(out, "{\"id\":null,"));
    ck_assert_ptr_nonnull(strstr(out, "\"created_at\":null,\"updated_at\":null}"));
    mon_free(out);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(dup_is_deep_and_independent)
{
    mon_endpoint *ep = minimal(), *copy = NULL;
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", "1"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_conditions_json(ep, "[{\"type\":\"body_contains\",\"value\":\"ok\"}]"),
                     MON_OK);
    ck_assert_int_eq(mon_endpoint_dup(&copy, ep), MON_OK);
    mon_endpoint_free(ep);
    ck_assert_str_eq(mon_endpoint_get_headers_json(copy), "{\"X-A\":\"1\"}");
    ck_assert_str_eq(mon_endpoint_get_conditions_json(copy),
                     "[{\"type\":\"body_contains\",\"value\":\"ok\"}]");
    ck_assert_str_eq(mon_endpoint_get_name(copy), "API");
    mon_endpoint_free(copy);
}
END_TEST

START_TEST(schema_lists_every_field_with_bounds)
{
    char *out = NULL;
    ck_assert_int_eq(mon_endpoint_schema_json(&out), MON_OK);
    const char *fields[] = {"id",
                            "name",
                            "type",
                            "url",
                            "check_interval",
                            "timeout",
                            "expected_status",
                            "headers",
                            "enabled",
                            "method",
                            "degraded_ms",
                            "retries",
                            "conditions",
                            "cert_warn_days",
                            "follow_redirects",
                            "created_at",
                            "updated_at"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "\"%s\":{", fields[i]);
        ck_assert_msg(strstr(out, key) != NULL, "%s missing", fields[i]);
    }
    ck_assert_ptr_nonnull(strstr(out, "\"check_interval\":{\"type\":\"integer\",\"default\":60,\"min\":10,"
                                      "\"max\":86400,\"required\":false"));
    mon_free(out);
}
END_TEST

START_TEST(type_names_parse_and_print)
{
    mon_endpoint_type t;
    ck_assert_str_eq(mon_endpoint_type_name(MON_ENDPOINT_DOMAIN), "DOMAIN");
    ck_assert_ptr_null(mon_endpoint_type_name((mon_endpoint_type)7));
    ck_assert_int_eq(mon_endpoint_type_parse(&t, "TALEND"), MON_OK);
    ck_assert_int_eq(t, MON_ENDPOINT_TALEND);
    ck_assert_int_eq(mon_endpoint_type_parse(&t, "apim"), MON_EINVAL);
}
END_TEST

/* ---- required fields and JSON shape ---- */

START_TEST(endpoint_requires_type_in_json)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{\"name\":\"a\",\"url\":\"http://a\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "type");
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{\"type\":\"APIM\",\"url\":\"http://a\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "name");
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{\"type\":\"APIM\",\"name\":\"a\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "url");
    ck_assert_ptr_null(ep);
}
END_TEST

START_TEST(endpoint_rejects_unknown_field)
{
    ASSERT_REFUSED("\"colour\":\"red\"", "colour", "colour: unknown field");
}
END_TEST

START_TEST(endpoint_rejects_bad_json_text_with_position)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{\"name\": \n  \"x\",}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "");
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "line 2"));
    ck_assert_int_eq(mon_endpoint_from_json(&ep, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "[1]"), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "must be a JSON object"));
    ck_assert_ptr_null(ep);
}
END_TEST

START_TEST(endpoint_rejects_duplicate_keys)
{
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, "{" MINIMAL ",\"name\":\"b\"}"), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "duplicate"));
}
END_TEST

START_TEST(endpoint_rejects_deeply_nested_json)
{
    size_t depth = 100000;
    char *text = malloc(depth * 2 + 256);
    strcpy(text, "{" MINIMAL ",\"conditions\":");
    size_t n = strlen(text);
    for (size_t i = 0; i < depth; i++)
        text[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        text[n++] = ']';
    text[n++] = '}';
    text[n] = '\0';
    mon_endpoint *ep = NULL;
    ck_assert_int_eq(mon_endpoint_from_json(&ep, text), MON_EINVAL);
    ck_assert_ptr_null(ep);
    free(text);
}
END_TEST

/* ---- name ---- */

START_TEST(endpoint_rejects_name_of_wrong_json_type)
{
    ASSERT_REFUSED("\"name\":5", "name", "name: must be a string");
}
END_TEST

START_TEST(endpoint_rejects_blank_name)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_name(ep, ""), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_name(ep, "  \xc2\xa0 "), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "name");
    ck_assert_str_eq(mon_endpoint_get_name(ep), "API");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_counts_name_length_in_code_points)
{
    char name[512] = "";
    mon_endpoint *ep = minimal();
    for (int i = 0; i < 100; i++)
        strcat(name, "\xc3\xa9"); /* é: 2 bytes, 1 character */
    ck_assert_int_eq(mon_endpoint_set_name(ep, name), MON_OK);
    strcat(name, "\xc3\xa9");
    ck_assert_int_eq(mon_endpoint_set_name(ep, name), MON_EINVAL);
    ck_assert_str_eq(mon_error_last(), "name: longer than 100 characters");
    ck_assert_int_eq(strlen(mon_endpoint_get_name(ep)), 200);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_invalid_utf8_name)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_name(ep, "bad \xc3("), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_name(ep, "overlong \xc0\xaf"), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_name(ep, "surrogate \xed\xa0\x80"), MON_EINVAL);
    ck_assert_str_eq(mon_error_last(), "name: must be valid UTF-8");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_control_characters_in_name)
{
    ASSERT_REFUSED("\"name\":\"a\\u0007b\"", "name", "control characters");
    ck_assert_int_eq(parse_with("\"name\":\"a\\u0000b\""), MON_EINVAL); /* Jansson refuses NUL */
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "\\u0000"));
}
END_TEST

/* ---- type ---- */

START_TEST(endpoint_rejects_unknown_type)
{
    ASSERT_REFUSED("\"type\":\"FOO\"", "type", "type: unknown type \"FOO\" (APIM, DOMAIN or TALEND)");
}
END_TEST

START_TEST(endpoint_rejects_out_of_enum_type_from_setter)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_type(ep, (mon_endpoint_type)3), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_get_type(ep), MON_ENDPOINT_APIM);
    mon_endpoint_free(ep);
}
END_TEST

/* ---- url ---- */

START_TEST(endpoint_rejects_ftp_url)
{
    ASSERT_REFUSED("\"url\":\"ftp://example.com/\"", "url", "url: scheme must be http or https");
}
END_TEST

START_TEST(endpoint_rejects_url_without_scheme)
{
    ASSERT_REFUSED("\"url\":\"example.com/health\"", "url", "absolute http or https");
}
END_TEST

START_TEST(endpoint_rejects_url_without_host)
{
    ck_assert_int_eq(parse_with("\"url\":\"http:///path\""), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "url");
}
END_TEST

START_TEST(endpoint_rejects_url_with_whitespace)
{
    ASSERT_REFUSED("\"url\":\"http://exa mple.com\"", "url", "white space");
    ASSERT_REFUSED("\"url\":\"http://example.com/\\r\\nX: y\"", "url", "white space");
}
END_TEST

START_TEST(endpoint_rejects_garbage_url)
{
    ASSERT_REFUSED("\"url\":\"http://exa%mple.com:99999999/\"", "url", "url: ");
    ASSERT_REFUSED("\"url\":\"https://[::1/\"", "url", "url: ");
}
END_TEST

START_TEST(endpoint_rejects_too_long_url)
{
    char url[600] = "https://example.com/";
    mon_endpoint *ep = minimal();
    while (strlen(url) < 500)
        strcat(url, "a");
    ck_assert_int_eq(mon_endpoint_set_url(ep, url), MON_OK);
    strcat(url, "a");
    ck_assert_int_eq(mon_endpoint_set_url(ep, url), MON_EINVAL);
    ck_assert_str_eq(mon_error_last(), "url: longer than 500 characters");
    mon_endpoint_free(ep);
}
END_TEST

/* ---- integers ---- */

START_TEST(endpoint_rejects_check_interval_out_of_range)
{
    ASSERT_REFUSED("\"check_interval\":9", "check_interval",
                   "check_interval: must be between 10 and 86400 seconds");
    ASSERT_REFUSED("\"check_interval\":86401", "check_interval", "between 10 and 86400");
}
END_TEST

START_TEST(endpoint_rejects_timeout_out_of_range)
{
    ASSERT_REFUSED("\"timeout\":99", "timeout", "between 100 and 60000 ms");
    ASSERT_REFUSED("\"timeout\":60001,\"check_interval\":600", "timeout", "between 100 and 60000 ms");
}
END_TEST

START_TEST(endpoint_rejects_timeout_not_shorter_than_interval)
{
    ASSERT_REFUSED("\"check_interval\":10,\"timeout\":10000", "timeout", "shorter than check_interval");
    ck_assert_int_eq(parse_with("\"check_interval\":10,\"timeout\":9999"), MON_OK);
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_timeout_ms(ep, 30000), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_check_interval(ep, 20), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "check_interval");
    ck_assert_int_eq(mon_endpoint_get_check_interval(ep), 60);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_expected_status_out_of_range)
{
    ASSERT_REFUSED("\"expected_status\":600", "expected_status", "between 100 and 599");
    ASSERT_REFUSED("\"expected_status\":99", "expected_status", "between 100 and 599");
}
END_TEST

START_TEST(endpoint_rejects_degraded_retries_cert_days_out_of_range)
{
    ASSERT_REFUSED("\"degraded_ms\":-1", "degraded_ms", "between 0 and 60000 ms");
    ASSERT_REFUSED("\"retries\":6", "retries", "between 0 and 5");
    ASSERT_REFUSED("\"cert_warn_days\":366", "cert_warn_days", "between 0 and 365 days");
    ck_assert_int_eq(parse_with("\"degraded_ms\":60000,\"retries\":0,\"cert_warn_days\":0"), MON_OK);
}
END_TEST

START_TEST(endpoint_rejects_non_integer_numbers)
{
    ASSERT_REFUSED("\"timeout\":5.5", "timeout", "timeout: must be an integer");
    ASSERT_REFUSED("\"timeout\":5000.0", "timeout", "must be an integer");
    ASSERT_REFUSED("\"timeout\":\"5000\"", "timeout", "must be an integer");
    ASSERT_REFUSED("\"retries\":true", "retries", "must be an integer");
    ASSERT_REFUSED("\"retries\":null", "retries", "must be an integer");
}
END_TEST

START_TEST(endpoint_rejects_huge_integer)
{
    ASSERT_REFUSED("\"check_interval\":4294967356", "check_interval", "between 10 and 86400");
    ASSERT_REFUSED("\"check_interval\":-9223372036854775808", "check_interval", "between 10 and 86400");
    ck_assert_int_eq(parse_with("\"check_interval\":99999999999999999999999"), MON_EINVAL);
}
END_TEST

START_TEST(setters_reject_out_of_range_and_keep_value)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_retries(ep, -1), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_expected_status(ep, 1000), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_degraded_ms(ep, 60001), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_cert_warn_days(ep, -5), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_check_interval(ep, 5), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_timeout_ms(ep, 50), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_get_retries(ep), 1);
    ck_assert_int_eq(mon_endpoint_get_expected_status(ep), 200);
    ck_assert_int_eq(mon_endpoint_get_degraded_ms(ep), 2000);
    ck_assert_int_eq(mon_endpoint_get_cert_warn_days(ep), 14);
    ck_assert_int_eq(mon_endpoint_get_check_interval(ep), 60);
    ck_assert_int_eq(mon_endpoint_get_timeout_ms(ep), 5000);
    mon_endpoint_free(ep);
}
END_TEST

/* ---- booleans, method, id, stamps ---- */

START_TEST(endpoint_rejects_non_boolean_flags)
{
    ASSERT_REFUSED("\"enabled\":1", "enabled", "enabled: must be a boolean");
    ASSERT_REFUSED("\"follow_redirects\":\"yes\"", "follow_redirects", "must be a boolean");
}
END_TEST

START_TEST(endpoint_rejects_unknown_method)
{
    ASSERT_REFUSED("\"method\":\"get\"", "method", "must be one of GET");
    ASSERT_REFUSED("\"method\":\"TRACE\"", "method", "must be one of GET");
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_method(ep, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_method(ep, "OPTIONS"), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_method(ep), "OPTIONS");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_malformed_id)
{
    ASSERT_REFUSED("\"id\":\"not-a-uuid\"", "id", "must be a UUID");
    ASSERT_REFUSED("\"id\":42", "id", "must be a string");
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_id(ep, "123e4567-e89b-12d3-a456-42661417400"), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_id(ep, "123e4567-e89b-12d3-a456-426614174000"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_id(ep, ""), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_id(ep), "");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_malformed_timestamp)
{
    ASSERT_REFUSED("\"created_at\":\"2026-02-30T00:00:00Z\"", "created_at", "RFC 3339");
    ASSERT_REFUSED("\"updated_at\":12", "updated_at", "must be a string");
    ck_assert_int_eq(parse_with("\"created_at\":null"), MON_OK);
}
END_TEST

/* ---- headers ---- */

START_TEST(endpoint_rejects_headers_that_are_not_an_object)
{
    ASSERT_REFUSED("\"headers\":[\"X-A: 1\"]", "headers", "headers: must be an object of strings");
}
END_TEST

START_TEST(endpoint_rejects_non_string_header_value)
{
    ASSERT_REFUSED("\"headers\":{\"X-Foo\":1}", "headers.X-Foo", "headers.X-Foo: value must be a string");
}
END_TEST

START_TEST(endpoint_refuses_header_injection)
{
    ASSERT_REFUSED("\"headers\":{\"X-A\":\"1\\r\\nHost: evil\"}", "headers.X-A", "CR, LF");
    ck_assert_int_eq(parse_with("\"headers\":{\"X-A\":\"1\\u0000\"}"), MON_EINVAL);
    ASSERT_REFUSED("\"headers\":{\"X-A\\r\\nB\":\"1\"}", "headers", "HTTP token");
    ASSERT_REFUSED("\"headers\":{\"X A\":\"1\"}", "headers", "HTTP token");
    ASSERT_REFUSED("\"headers\":{\"\":\"1\"}", "headers", "HTTP token");
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", "a\nb"), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", "tab\tis fine"), MON_OK);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_refuses_host_and_content_length_headers)
{
    ASSERT_REFUSED("\"headers\":{\"host\":\"a\"}", "headers.host", "not configurable");
    ASSERT_REFUSED("\"headers\":{\"Content-Length\":\"1\"}", "headers.Content-Length", "not configurable");
}
END_TEST

START_TEST(endpoint_refuses_headers_beyond_limits)
{
    char extra[16384] = "\"headers\":{";
    for (int i = 0; i < 51; i++)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s\"X-%d\":\"v\"", i ? "," : "", i);
    strcat(extra, "}");
    ASSERT_REFUSED(extra, "headers", "more than 50 headers");

    char name[128] = "X";
    memset(name + 1, 'a', 100);
    name[101] = '\0';
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_header(ep, name, "v"), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "longer than 100"));
    char *value = malloc(4098);
    memset(value, 'v', 4097);
    value[4097] = '\0';
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-Big", value), MON_EINVAL);
    ck_assert_str_eq(mon_error_last(), "headers.X-Big: value longer than 4096 bytes");
    value[4096] = '\0';
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-Big", value), MON_OK);
    free(value);
    ck_assert_int_eq(mon_endpoint_set_headers_json(ep, "{\"X-A\":\"1\",\"x-a\":\"2\"}"), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "twice"));
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(header_setter_adds_replaces_and_removes)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", "1"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-B", "2"), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_header(ep, "x-a", "3"), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_headers_json(ep), "{\"x-a\":\"3\",\"X-B\":\"2\"}");
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", NULL), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-Absent", NULL), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_headers_json(ep), "{\"X-B\":\"2\"}");
    ck_assert_int_eq(mon_endpoint_set_headers_json(ep, "{}"), MON_OK);
    ck_assert_str_eq(mon_endpoint_get_headers_json(ep), "{}");
    ck_assert_int_eq(mon_endpoint_set_headers_json(ep, "{bad"), MON_EINVAL);
    mon_endpoint_free(ep);
}
END_TEST

/* ---- conditions ---- */

START_TEST(conditions_of_every_kind_are_accepted_in_canonical_order)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(
        mon_endpoint_set_conditions_json(
            ep, "[{\"type\":\"body_contains\",\"value\":\"ok\"},{\"value\":\"error\",\"type\":\"body_not_"
                "contains\"},"
                "{\"type\":\"json_equals\",\"path\":\"data.items[0].status\",\"value\":\"UP\"},"
                "{\"type\":\"json_matches\",\"path\":\"[0].v\",\"value\":\"^[0-9]+$\"},"
                "{\"type\":\"header_present\",\"name\":\"X-Id\"},"
                "{\"type\":\"header_equals\",\"name\":\"Content-Type\",\"value\":\"application/json\"}]"),
        MON_OK);
    ck_assert_ptr_nonnull(
        strstr(mon_endpoint_get_conditions_json(ep), "{\"type\":\"body_not_contains\",\"value\":\"error\"}"));
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(endpoint_rejects_conditions_that_are_not_an_array)
{
    ASSERT_REFUSED("\"conditions\":{}", "conditions", "must be an array");
    ASSERT_REFUSED("\"conditions\":[1]", "conditions[0]", "must be an object");
}
END_TEST

START_TEST(endpoint_rejects_unknown_condition_type)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"body_contains\",\"value\":\"a\"},{\"type\":\"xpath\"}]",
                   "conditions[1].type", "unknown condition type");
    ASSERT_REFUSED("\"conditions\":[{\"value\":\"a\"}]", "conditions[0].type", "must be set");
}
END_TEST

START_TEST(endpoint_rejects_condition_with_missing_or_extra_member)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"body_contains\"}]", "conditions[0].value", "must be set");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"body_contains\",\"value\":\"\"}]", "conditions[0].value",
                   "must not be empty");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_equals\",\"path\":\"a\"}]", "conditions[0].value",
                   "must be set");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"header_present\",\"name\":\"X\",\"value\":\"v\"}]",
                   "conditions[0].value", "unknown field");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"body_contains\",\"value\":\"v\",\"path\":\"a\"}]",
                   "conditions[0].path", "unknown field");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"body_contains\",\"value\":5}]", "conditions[0].value",
                   "must be a string");
}
END_TEST

START_TEST(endpoint_rejects_malformed_condition_path)
{
    const char *bad[] = {"", "a..b", "a.", ".a", "a[", "a[x]", "a[]", "a]b", "a[1]b", "a[1234567890]"};
    char extra[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(extra, sizeof(extra),
                 "\"conditions\":[{\"type\":\"body_contains\",\"value\":\"a\"},{\"type\":\"json_equals\","
                 "\"path\":\"%s\",\"value\":1}]",
                 bad[i]);
        ASSERT_REFUSED(extra, "conditions[1].path", "not a valid path");
    }
}
END_TEST

START_TEST(endpoint_rejects_invalid_regex)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":\"(unclosed\"}]",
                   "conditions[0].value", "POSIX extended regular expression");
}
END_TEST

START_TEST(endpoint_rejects_regex_too_costly_to_compile)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":\"((a{0,255}){0,255})"
                   "{0,255}\"}]",
                   "conditions[0].value", "too complex");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":\"a{1,32767}\"}]",
                   "conditions[0].value", "too complex");
    ck_assert_int_eq(parse_with("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":"
                                "\"^[[:digit:]]{1,3}(\\\\.[0-9]{1,3}){3}$|(x{0,100}){0,100}\"}]"),
                     MON_OK);
}
END_TEST

/* Found by tests/fuzz (fuzz_endpoint): glibc copies x for each "+" of x+, so
 * 25 stacked pluses took seconds and gigabytes before they were refused. */
START_TEST(endpoint_rejects_stacked_plus_regex)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":"
                   "\"a+++++++++++++++++++++++++\"}]",
                   "conditions[0].value", "too complex");
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":"
                   "\"(ab+){1000}+++++\"}]",
                   "conditions[0].value", "too complex");
    ck_assert_int_eq(parse_with("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":"
                                "\"^[a-z]+(-[a-z0-9]+)+@x+$\"}]"),
                     MON_OK);
}
END_TEST

/* Found by tests/fuzz (fuzz_checker): glibc's epsilon closures grow exponentially with
 * unbounded repetitions of what can match "" ("^o" and 106 "*": 2.6 s; "(o*)*" 22 times: 4 s). */
START_TEST(endpoint_rejects_repeated_empty_loops_regex)
{
    const char *bad[] = {"^o**********", "^(o*)*(o*)*(o*)*(o*)*(o*)*(o*)*(o*)*(o*)*(o*)*",
                         "(o|)*(o|)*(o|)*(o|)*(o|)*(o|)*(o|)*(o|)*(o|)*", "((((((((((a?)*)*)*)*)*)*)*)*)*)*",
                         "(a*){2,}(a*){2,}(a*){2,}(a*){2,}(a*){2,}(a*){2,}(a*){2,}(a*){2,}(a*){2,}"};
    char extra[512];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(extra, sizeof(extra),
                 "\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":\"%s\"}]", bad[i]);
        ASSERT_REFUSED(extra, "conditions[0].value", "too complex");
    }
    ck_assert_int_eq(parse_with("\"conditions\":[{\"type\":\"json_matches\",\"path\":\"a\",\"value\":"
                                "\"^(a*b*)*$|^x*y*z*(-[0-9]*)?(v|w)*$\"}]"),
                     MON_OK);
}
END_TEST

START_TEST(endpoint_rejects_bad_condition_header_name)
{
    ASSERT_REFUSED("\"conditions\":[{\"type\":\"header_equals\",\"name\":\"X Y\",\"value\":\"v\"}]",
                   "conditions[0].name", "HTTP header name");
}
END_TEST

START_TEST(endpoint_rejects_more_than_20_conditions)
{
    char extra[4096] = "\"conditions\":[";
    for (int i = 0; i < 21; i++)
        strcat(extra, i ? ",{\"type\":\"body_contains\",\"value\":\"x\"}"
                        : "{\"type\":\"body_contains\",\"value\":\"x\"}");
    strcat(extra, "]");
    ASSERT_REFUSED(extra, "conditions", "more than 20 conditions");
}
END_TEST

/* ---- patch ---- */

START_TEST(patch_changes_only_given_fields)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_set_header(ep, "X-A", "1"), MON_OK);
    ck_assert_int_eq(
        mon_endpoint_patch_json(ep, "{\"check_interval\":20,\"timeout\":15000,\"enabled\":false}"), MON_OK);
    ck_assert_int_eq(mon_endpoint_get_check_interval(ep), 20);
    ck_assert_int_eq(mon_endpoint_get_timeout_ms(ep), 15000);
    ck_assert_int_eq(mon_endpoint_get_enabled(ep), 0);
    ck_assert_str_eq(mon_endpoint_get_name(ep), "API");
    ck_assert_str_eq(mon_endpoint_get_headers_json(ep), "{\"X-A\":\"1\"}");
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(patch_error_leaves_endpoint_unchanged)
{
    mon_endpoint *ep = minimal();
    char *before = NULL, *after = NULL;
    ck_assert_int_eq(mon_endpoint_to_json(&before, ep), MON_OK);
    ck_assert_int_eq(
        mon_endpoint_patch_json(ep, "{\"name\":\"New\",\"headers\":{\"X\":\"1\"},\"retries\":9}"),
        MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "retries");
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"name\":\"New\",\"timeout\":60000}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "timeout");
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"name\":\"New\""), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"name\":\"New\",\"shape\":1}"), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_to_json(&after, ep), MON_OK);
    ck_assert_str_eq(before, after);
    mon_free(before);
    mon_free(after);
    mon_endpoint_free(ep);
}
END_TEST

START_TEST(patch_refuses_read_only_fields)
{
    mon_endpoint *ep = minimal();
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}"),
                     MON_EINVAL);
    ck_assert_str_eq(mon_error_last(), "id: read-only field");
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"created_at\":null}"), MON_EINVAL);
    ck_assert_int_eq(mon_endpoint_patch_json(ep, "{\"updated_at\":\"2026-01-01T00:00:00Z\"}"), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "updated_at");
    mon_endpoint_free(ep);
}
END_TEST

/* ---- robustness ---- */

START_TEST(random_bytes_never_crash_the_parser)
{
    /* Deterministic xorshift so that a failure reproduces. */
    uint32_t state = 2463534242u;
    const char *alphabet = "{}[]\":,.0123456789-+eE truefalsnul\\u\x01\xc3\xa9\xff";
    size_t alen = strlen(alphabet);
    char text[512];
    for (int round = 0; round < 1000; round++) {
        size_t len = 0, want;
        state ^= state << 13, state ^= state >> 17, state ^= state << 5;
        want = state % (sizeof(text) - 1);
        if (round % 2 == 0) {
            /* Start from a valid object and corrupt it, to reach deeper code. */
            len = (size_t)snprintf(text, sizeof(text),
                                   "{" MINIMAL ",\"conditions\":[{\"type\":\"json_equals\",");
            if (want < len)
                want = len;
        }
        for (; len < want; len++) {
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            text[len] = round % 3 == 0 ? (char)(state % 255 + 1) : alphabet[state % alen];
        }
        text[len] = '\0';
        mon_endpoint *ep = NULL;
        int rc = mon_endpoint_from_json(&ep, text);
        ck_assert(rc == MON_OK || rc == MON_EINVAL);
        mon_endpoint_free(ep);
        mon_endpoint *base = minimal();
        rc = mon_endpoint_patch_json(base, text);
        ck_assert(rc == MON_OK || rc == MON_EINVAL);
        mon_endpoint_free(base);
    }
}
END_TEST

/* ---- time stamps (lib/timeutil.c, through created_at / updated_at) ---- */

static mon_time created_at_of(const char *text)
{
    char json[256];
    mon_endpoint *ep = NULL;
    snprintf(json, sizeof(json), "{" MINIMAL ",\"created_at\":\"%s\"}", text);
    ck_assert_msg(mon_endpoint_from_json(&ep, json) == MON_OK, "%s: %s", text, mon_error_last());
    mon_time t = mon_endpoint_get_created_at(ep);
    mon_endpoint_free(ep);
    return t;
}

START_TEST(time_parses_rfc3339_and_postgres_text)
{
    mon_time t = created_at_of("2026-11-24T14:41:44.123456Z");
    ck_assert_int_eq(t, INT64_C(1795531304123456));
    ck_assert_int_eq(created_at_of("2026-11-24 14:41:44.123456+00"), t);
    ck_assert_int_eq(created_at_of("2026-11-24t16:11:44.123456789+01:30"), t);
    ck_assert_int_eq(created_at_of("2026-11-24T09:41:44.123456-0500"), t);
    ck_assert_int_eq(created_at_of("1970-01-01T00:00:01Z"), 1000000);
    ck_assert_int_eq(created_at_of("2024-02-29T00:00:00.5z"), INT64_C(1709164800500000));
}
END_TEST

START_TEST(time_rejects_malformed_text)
{
    const char *bad[] = {"",
                         "2026-11-24",
                         "2026-11-24T14:41:44",
                         "2026-13-01T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-11-24T24:00:00Z",
                         "2026-11-24T14:60:00Z",
                         "2026-11-24T14:41:44.Z",
                         "2026-11-24T14:41:44Zjunk",
                         "2026-11-24T14:41:44+25:00",
                         "2026-11-24X14:41:44Z",
                         "0000-01-01T00:00:00Z",
                         "1969-12-31T23:59:59Z",
                         "infinity"};
    char extra[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(extra, sizeof(extra), "\"created_at\":\"%s\"", bad[i]);
        ASSERT_REFUSED(extra, "created_at", "RFC 3339");
    }
}
END_TEST

START_TEST(time_formats_utc_with_microseconds)
{
    mon_endpoint *ep = minimal();
    char *out = NULL;
    ck_assert_int_eq(mon_endpoint_set_timestamps(ep, INT64_C(1795531304123456), 1), MON_OK);
    ck_assert_int_eq(mon_endpoint_to_json(&out, ep), MON_OK);
    ck_assert_ptr_nonnull(strstr(out, "\"created_at\":\"2026-11-24T14:41:44.123456Z\","
                                      "\"updated_at\":\"1970-01-01T00:00:00.000001Z\"}"));
    mon_free(out);
    ck_assert_int_eq(mon_endpoint_set_timestamps(ep, -1, 0), MON_EINVAL);
    ck_assert_str_eq(mon_error_field(), "created_at");
    ck_assert_int_eq(mon_endpoint_set_timestamps(ep, INT64_MAX, INT64_MAX), MON_OK);
    ck_assert_int_eq(mon_endpoint_to_json(&out, ep), MON_OK);
    mon_free(out);
    mon_endpoint_free(ep);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("endpoint");
    TCase *tc = tcase_create("endpoint");

    tcase_add_test(tc, new_endpoint_has_documented_defaults);
    tcase_add_test(tc, endpoint_built_with_setters_validates);
    tcase_add_test(tc, json_round_trip_keeps_every_field);
    tcase_add_test(tc, unstored_endpoint_writes_null_id_and_stamps);
    tcase_add_test(tc, dup_is_deep_and_independent);
    tcase_add_test(tc, schema_lists_every_field_with_bounds);
    tcase_add_test(tc, type_names_parse_and_print);
    tcase_add_test(tc, endpoint_requires_type_in_json);
    tcase_add_test(tc, endpoint_rejects_unknown_field);
    tcase_add_test(tc, endpoint_rejects_bad_json_text_with_position);
    tcase_add_test(tc, endpoint_rejects_duplicate_keys);
    tcase_add_test(tc, endpoint_rejects_deeply_nested_json);
    tcase_add_test(tc, endpoint_rejects_name_of_wrong_json_type);
    tcase_add_test(tc, endpoint_rejects_blank_name);
    tcase_add_test(tc, endpoint_counts_name_length_in_code_points);
    tcase_add_test(tc, endpoint_rejects_invalid_utf8_name);
    tcase_add_test(tc, endpoint_rejects_control_characters_in_name);
    tcase_add_test(tc, endpoint_rejects_unknown_type);
    tcase_add_test(tc, endpoint_rejects_out_of_enum_type_from_setter);
    tcase_add_test(tc, endpoint_rejects_ftp_url);
    tcase_add_test(tc, endpoint_rejects_url_without_scheme);
    tcase_add_test(tc, endpoint_rejects_url_without_host);
    tcase_add_test(tc, endpoint_rejects_url_with_whitespace);
    tcase_add_test(tc, endpoint_rejects_garbage_url);
    tcase_add_test(tc, endpoint_rejects_too_long_url);
    tcase_add_test(tc, endpoint_rejects_check_interval_out_of_range);
    tcase_add_test(tc, endpoint_rejects_timeout_out_of_range);
    tcase_add_test(tc, endpoint_rejects_timeout_not_shorter_than_interval);
    tcase_add_test(tc, endpoint_rejects_expected_status_out_of_range);
    tcase_add_test(tc, endpoint_rejects_degraded_retries_cert_days_out_of_range);
    tcase_add_test(tc, endpoint_rejects_non_integer_numbers);
    tcase_add_test(tc, endpoint_rejects_huge_integer);
    tcase_add_test(tc, setters_reject_out_of_range_and_keep_value);
    tcase_add_test(tc, endpoint_rejects_non_boolean_flags);
    tcase_add_test(tc, endpoint_rejects_unknown_method);
    tcase_add_test(tc, endpoint_rejects_malformed_id);
    tcase_add_test(tc, endpoint_rejects_malformed_timestamp);
    tcase_add_test(tc, endpoint_rejects_headers_that_are_not_an_object);
    tcase_add_test(tc, endpoint_rejects_non_string_header_value);
    tcase_add_test(tc, endpoint_refuses_header_injection);
    tcase_add_test(tc, endpoint_refuses_host_and_content_length_headers);
    tcase_add_test(tc, endpoint_refuses_headers_beyond_limits);
    tcase_add_test(tc, header_setter_adds_replaces_and_removes);
    tcase_add_test(tc, conditions_of_every_kind_are_accepted_in_canonical_order);
    tcase_add_test(tc, endpoint_rejects_conditions_that_are_not_an_array);
    tcase_add_test(tc, endpoint_rejects_unknown_condition_type);
    tcase_add_test(tc, endpoint_rejects_condition_with_missing_or_extra_member);
    tcase_add_test(tc, endpoint_rejects_malformed_condition_path);
    tcase_add_test(tc, endpoint_rejects_invalid_regex);
    tcase_add_test(tc, endpoint_rejects_regex_too_costly_to_compile);
    tcase_add_test(tc, endpoint_rejects_stacked_plus_regex);
    tcase_add_test(tc, endpoint_rejects_repeated_empty_loops_regex);
    tcase_add_test(tc, endpoint_rejects_bad_condition_header_name);
    tcase_add_test(tc, endpoint_rejects_more_than_20_conditions);
    tcase_add_test(tc, patch_changes_only_given_fields);
    tcase_add_test(tc, patch_error_leaves_endpoint_unchanged);
    tcase_add_test(tc, patch_refuses_read_only_fields);
    tcase_add_test(tc, random_bytes_never_crash_the_parser);
    tcase_add_test(tc, time_parses_rfc3339_and_postgres_text);
    tcase_add_test(tc, time_rejects_malformed_text);
    tcase_add_test(tc, time_formats_utc_with_microseconds);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
