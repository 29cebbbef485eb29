/* The public RFC 3339 helpers (timestamp.h), through the shared library. */
#include <monitorage/monitorage.h>

#include "checkmain.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(time_parse_and_format_round_trip)
{
    char text[MON_TIME_TEXT_MAX];
    mon_time t = 0;

    ck_assert_uint_eq(mon_time_text_max(), MON_TIME_TEXT_MAX);
    ck_assert_int_eq(mon_time_parse(&t, "2026-11-24T16:11:44.123456+01:30"), MON_OK);
    ck_assert_int_eq(t, INT64_C(1795531304123456));
    ck_assert_int_eq(mon_time_format(text, sizeof(text), t), MON_OK);
    ck_assert_str_eq(text, "2026-11-24T14:41:44.123456Z");
    ck_assert_int_eq(mon_time_parse(&t, "2026-11-24 14:41:44+00"), MON_OK);
    ck_assert_int_eq(mon_time_format(text, sizeof(text), t), MON_OK);
    ck_assert_str_eq(text, "2026-11-24T14:41:44.000000Z");
}
END_TEST

START_TEST(time_parse_refuses_bad_text_naming_the_field)
{
    char small[10];
    mon_time t = 0;

    ck_assert_int_eq(mon_time_parse(&t, "yesterday"), MON_EINVAL);
    ck_assert_ptr_nonnull(strstr(mon_error_last(), "time"));
    ck_assert_ptr_null(strstr(mon_error_last(), "yesterday"));
    ck_assert_int_eq(mon_time_parse(&t, "2026-02-30T00:00:00Z"), MON_EINVAL);
    ck_assert_int_eq(mon_time_parse(&t, ""), MON_EINVAL);
    ck_assert_int_eq(mon_time_parse(NULL, "2026-11-24T00:00:00Z"), MON_EINVAL);
    ck_assert_int_eq(mon_time_parse(&t, NULL), MON_EINVAL);
    ck_assert_int_eq(mon_time_format(small, sizeof(small), 0), MON_EINVAL);
    ck_assert_int_eq(mon_time_format(NULL, MON_TIME_TEXT_MAX, 0), MON_EINVAL);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("timestamp");
    TCase *tc = tcase_create("timestamp");

    tcase_add_test(tc, time_parse_and_format_round_trip);
    tcase_add_test(tc, time_parse_refuses_bad_text_naming_the_field);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
