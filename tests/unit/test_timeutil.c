/* RFC 3339 helpers of lib/timeutil.c. Suites link the shared library, whose
 * mon__ symbols are hidden, so the (dependency-free) source is compiled in. */
#include "timeutil.c"

#include "checkmain.h"

#include <check.h>
#include <stdlib.h>

START_TEST(time_parses_utc_offsets_and_fractions)
{
    mon_time t, u;
    ck_assert_int_eq(mon__time_parse(&t, "1970-01-01T00:00:00Z"), MON_OK);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(mon__time_parse(&t, "2026-11-24T14:41:44.123456Z"), MON_OK);
    ck_assert_int_eq(t, INT64_C(1795531304123456));
    ck_assert_int_eq(mon__time_parse(&u, "2026-11-24t16:11:44.123456789+01:30"), MON_OK);
    ck_assert_int_eq(u, t);
    ck_assert_int_eq(mon__time_parse(&u, "2026-11-24T09:41:44.123456-0500"), MON_OK);
    ck_assert_int_eq(u, t);
    ck_assert_int_eq(mon__time_parse(&u, "2026-11-24T14:41:44.1234561z"), MON_OK);
    ck_assert_int_eq(u, t);
    ck_assert_int_eq(mon__time_parse(&u, "1969-12-31T23:59:59.5Z"), MON_OK);
    ck_assert_int_eq(u, -500000);
    ck_assert_int_eq(mon__time_parse(&u, "0001-01-01T00:00:00Z"), MON_OK);
    ck_assert_int_eq(u, INT64_C(-62135596800000000));
    ck_assert_int_eq(mon__time_parse(&u, "9999-12-31T23:59:59.999999Z"), MON_OK);
    ck_assert_int_eq(u, INT64_C(253402300799999999));
}
END_TEST

START_TEST(time_parses_postgresql_timestamptz_text)
{
    mon_time t, u;
    ck_assert_int_eq(mon__time_parse(&t, "2026-11-24 14:41:44.123456+00"), MON_OK);
    ck_assert_int_eq(t, INT64_C(1795531304123456));
    ck_assert_int_eq(mon__time_parse(&u, "2026-11-24 15:41:44.123456+01"), MON_OK);
    ck_assert_int_eq(u, t);
    ck_assert_int_eq(mon__time_parse(&u, "2026-11-24 14:41:44+00"), MON_OK);
    ck_assert_int_eq(u, t - 123456);
}
END_TEST

START_TEST(time_rejects_malformed_text)
{
    const char *bad[] = {"",
                         "2026-11-24",
                         "2026-11-24T14:41:44",
                         "2026-13-01T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2100-02-29T00:00:00Z",
                         "2026-11-24T24:00:00Z",
                         "2026-11-24T14:60:00Z",
                         "2026-11-24T14:41:60Z",
                         "2026-11-24T14:41:44.Z",
                         "2026-11-24T14:41:44Zjunk",
                         "2026-11-24T14:41:44+25:00",
                         "2026-11-24T14:41:44+01:",
                         "2026-11-24X14:41:44Z",
                         " 2026-11-24T14:41:44Z",
                         "0000-01-01T00:00:00Z",
                         "20261-11-24T14:41:44Z",
                         "infinity"};
    mon_time t = 42;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mon__time_parse(&t, bad[i]) == MON_EINVAL, "\"%s\" accepted", bad[i]);
    ck_assert_int_eq(t, 42);
    ck_assert_int_eq(mon__time_parse(&t, NULL), MON_EINVAL);
    ck_assert_int_eq(mon__time_parse(NULL, "2026-11-24T14:41:44Z"), MON_EINVAL);
}
END_TEST

START_TEST(time_formats_utc_with_microseconds)
{
    char text[MON__TIME_TEXT_MAX];
    mon__time_format(text, INT64_C(1795531304123456));
    ck_assert_str_eq(text, "2026-11-24T14:41:44.123456Z");
    mon__time_format(text, 0);
    ck_assert_str_eq(text, "1970-01-01T00:00:00.000000Z");
    mon__time_format(text, -1);
    ck_assert_str_eq(text, "1969-12-31T23:59:59.999999Z");
    mon__time_format(text, INT64_C(951782400000000));
    ck_assert_str_eq(text, "2000-02-29T00:00:00.000000Z");
    /* Extremes stay within the buffer. */
    mon__time_format(text, INT64_MAX);
    ck_assert_uint_lt(strlen(text), MON__TIME_TEXT_MAX);
    mon__time_format(text, INT64_MIN);
    ck_assert_uint_lt(strlen(text), MON__TIME_TEXT_MAX);
}
END_TEST

START_TEST(time_now_round_trips_through_text)
{
    char text[MON__TIME_TEXT_MAX];
    mon_time now = mon__time_now(), back;
    ck_assert_int_gt(now, INT64_C(1700000000000000));
    mon__time_format(text, now);
    ck_assert_int_eq(mon__time_parse(&back, text), MON_OK);
    ck_assert_int_eq(back, now);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("timeutil");
    TCase *tc = tcase_create("timeutil");

    tcase_add_test(tc, time_parses_utc_offsets_and_fractions);
    tcase_add_test(tc, time_parses_postgresql_timestamptz_text);
    tcase_add_test(tc, time_rejects_malformed_text);
    tcase_add_test(tc, time_formats_utc_with_microseconds);
    tcase_add_test(tc, time_now_round_trips_through_text);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
