/* The scheduler's table of the latest status seen per endpoint
 * (lib/scheduler_status.c): the newer of its entry and the database's wins,
 * an entry the database has caught up with is removed, and the table stays
 * consistent through growth and removals (checked against a plain array). */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "scheduler_priv.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5000

static void uuid_of(char out[37], unsigned i)
{
    /* Ids differing in few bits, so that many share home slots. */
    snprintf(out, 37, "%08x-0000-4000-8000-%012x", i * 2654435761u, i);
}

START_TEST(newer_local_status_wins_and_caught_up_entries_go)
{
    struct mon__status_map map = {NULL, 0, 0};
    const char *id = "6f1c2a3b-0000-4000-8000-000000000001";

    /* Nothing seen here: the database's status. */
    ck_assert_int_eq(mon__status_seen(&map, id, MON_STATUS_UP, 100), MON_STATUS_UP);
    ck_assert_int_eq(mon__status_remember(&map, id, MON_STATUS_DOWN, 200), MON_OK);
    /* Ours is newer than the database's (not written yet). */
    ck_assert_int_eq(mon__status_seen(&map, id, MON_STATUS_UP, 100), MON_STATUS_DOWN);
    ck_assert_uint_eq(map.count, 1);
    /* An older result does not replace a newer one. */
    ck_assert_int_eq(mon__status_remember(&map, id, MON_STATUS_UP, 150), MON_OK);
    ck_assert_int_eq(mon__status_seen(&map, id, MON_STATUS_UNKNOWN, 0), MON_STATUS_DOWN);
    /* The database caught up (same check written, or a newer one from another replica). */
    ck_assert_int_eq(mon__status_seen(&map, id, MON_STATUS_DEGRADED, 200), MON_STATUS_DEGRADED);
    ck_assert_uint_eq(map.count, 0);
    /* Not a UUID: never kept. */
    ck_assert_int_eq(mon__status_remember(&map, "not-a-uuid", MON_STATUS_DOWN, 1), MON_OK);
    ck_assert_uint_eq(map.count, 0);
    mon__status_map_free(&map);
    mon__status_map_free(&map);
}
END_TEST

START_TEST(table_stays_consistent_through_growth_and_removals)
{
    struct mon__status_map map = {NULL, 0, 0};
    static mon_status expected[N];
    static int present[N];
    char id[37];

    for (unsigned i = 0; i < N; i++) {
        uuid_of(id, i);
        expected[i] = (mon_status)(i % 4);
        present[i] = 1;
        ck_assert_int_eq(mon__status_remember(&map, id, expected[i], 1000 + i), MON_OK);
    }
    ck_assert_uint_eq(map.count, N);
    ck_assert_uint_le(map.count * 2, map.capacity);
    /* Remove every third by a newer database status, in a scattered order. */
    for (unsigned k = 0; k < N; k++) {
        unsigned i = (k * 7919u) % N;
        if (i % 3)
            continue;
        uuid_of(id, i);
        ck_assert_int_eq(mon__status_seen(&map, id, MON_STATUS_UNKNOWN, 1000000), MON_STATUS_UNKNOWN);
        present[i] = 0;
    }
    for (unsigned i = 0; i < N; i++) {
        uuid_of(id, i);
        mon_status got = mon__status_seen(&map, id, MON_STATUS_UNKNOWN, 0);
        ck_assert_int_eq(got, present[i] ? expected[i] : MON_STATUS_UNKNOWN);
    }
    ck_assert_uint_eq(map.count, N - (N + 2) / 3);
    mon__status_map_free(&map);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("scheduler_status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, newer_local_status_wins_and_caught_up_entries_go);
    tcase_add_test(tc, table_stays_consistent_through_growth_and_removals);
    suite_add_tcase(suite, tc);
    return check_run_suite(suite);
}
