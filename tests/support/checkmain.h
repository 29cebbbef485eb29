#ifndef MONITORAGE_TEST_CHECKMAIN_H
#define MONITORAGE_TEST_CHECKMAIN_H

/* The end of every suite's main(): run a Check suite and turn its failures
 * into the process exit status. Header-only so that a suite needs no change
 * to tests/CMakeLists.txt to use it. */

#include <check.h>
#include <stdlib.h>

/* Run every test of s (CK_NORMAL output) and free the runner and s;
 * EXIT_SUCCESS when none failed, else EXIT_FAILURE. */
static inline int check_run_suite(Suite *s)
{
    SRunner *runner = srunner_create(s);
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
