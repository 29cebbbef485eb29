/*
 * Runs every connector suite (tests/integration/test_connector_*.c, built
 * beside this one) and greps everything it prints — each error message,
 * result and audit parameter set is traced by connector_kit.h — for the
 * secrets the suites declare with `#define SECRET "..."` (every suite of a
 * connector with credentials declares one). Also greps the
 * CTest log of the build when there is one.
 */
#include <monitorage/monitorage.h>

#include "checkmain.h"
#include "pgtest.h"

#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_SUITES 32

static char *secrets[MAX_SUITES];
static char *binaries[MAX_SUITES];
static size_t count;

static char *read_all(FILE *file)
{
    size_t cap = 1 << 16, len = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len - 1, file)) > 0) {
        len += got;
        if (cap - len < 4096) {
            char *grown = realloc(text, cap * 2);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
            cap *= 2;
        }
    }
    if (text)
        text[len] = '\0';
    return text;
}

/* The suites, their binaries and their SECRET values. */
static void find_suites(void)
{
    glob_t found;
    char pattern[1200];
    snprintf(pattern, sizeof(pattern), "%s/tests/integration/test_connector_*.c", MONITORAGE_SOURCE_DIR);
    ck_assert_int_eq(glob(pattern, 0, NULL, &found), 0);
    for (size_t i = 0; i < found.gl_pathc && count < MAX_SUITES; i++) {
        FILE *file = fopen(found.gl_pathv[i], "r");
        char *source = file ? read_all(file) : NULL, *define, *end, path[1400];
        const char *base = strrchr(found.gl_pathv[i], '/') + 1;
        if (file)
            fclose(file);
        ck_assert_ptr_nonnull(source);
        /* A connector without credentials (DOMAIN_HEALTH) declares none; its output is still scanned. */
        define = strstr(source, "#define SECRET \"");
        if (define) {
            define += strlen("#define SECRET \"");
            end = strchr(define, '"');
            ck_assert_ptr_nonnull(end);
            secrets[count] = strndup(define, (size_t)(end - define));
        }
        snprintf(path, sizeof(path), "%s/tests/%.*s", MONITORAGE_BINARY_DIR, (int)(strlen(base) - 2), base);
        binaries[count] = strdup(path);
        count++;
        free(source);
    }
    globfree(&found);
    ck_assert_int_ge(count, 5);
}

static void assert_no_secret(const char *what, const char *text)
{
    for (size_t i = 0; i < count; i++)
        ck_assert_msg(!secrets[i] || strstr(text, secrets[i]) == NULL, "%s shows the secret of %s", what,
                      binaries[i]);
}

START_TEST(no_connector_suite_output_shows_a_secret)
{
    int traced = 0;
    find_suites();
    for (size_t i = 0; i < count; i++) {
        char command[1600];
        FILE *pipe;
        char *output;
        int status;
        snprintf(command, sizeof(command), "'%s' 2>&1", binaries[i]);
        pipe = popen(command, "r");
        ck_assert_ptr_nonnull(pipe);
        output = read_all(pipe);
        status = pclose(pipe);
        ck_assert_ptr_nonnull(output);
        /* A failing suite is reported by its own CTest entry; here only its output matters. */
        if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 77))
            fprintf(stderr, "note: %s did not pass (its own test reports why)\n", binaries[i]);
        assert_no_secret(binaries[i], output);
        for (const char *p = output; (p = strstr(p, "kit: ")) != NULL; p++)
            traced++;
        free(output);
    }
    /* The outputs did hold the error messages, results and audit parameters. */
    ck_assert_int_ge(traced, 50);
}
END_TEST

START_TEST(ctest_log_shows_no_secret)
{
    char path[1200];
    FILE *file;
    char *log;
    find_suites();
    snprintf(path, sizeof(path), "%s/Testing/Temporary/LastTest.log", MONITORAGE_BINARY_DIR);
    if (!(file = fopen(path, "r")))
        return; /* first run in this build: nothing logged yet */
    log = read_all(file);
    fclose(file);
    ck_assert_ptr_nonnull(log);
    assert_no_secret(path, log);
    free(log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secret_leak_scan");
    TCase *tc = tcase_create("scan");
    int failed;

    pgtest_cluster_url(); /* skip (77) without the private PostgreSQL the suites need */
    tcase_add_test(tc, no_connector_suite_output_shows_a_secret);
    tcase_add_test(tc, ctest_log_shows_no_secret);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);
    failed = check_run_suite(s) != EXIT_SUCCESS;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
