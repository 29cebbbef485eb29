/*
 * check_urls: check a list of URLs at once and print a table.
 *
 *     check_urls URL...
 *
 * The smallest use of the checker: one endpoint per URL, submitted to one
 * checker, driven by the blocking mon_checker_run(). Exit status 0 when
 * every URL is UP, 1 otherwise, 2 on a usage or library error.
 */
#include <monitorage/monitorage.h>

#include <stdio.h>

/* Called once per URL when its check has finished; the result is borrowed. */
static void on_result(mon_checker *checker, const mon_check_result *result, void *payload)
{
    int *not_up = payload;
    (void)checker;
    printf("%-40s %-9s %4d %6d ms  %s\n", result->url, mon_status_name(result->status), result->status_code,
           result->latency_ms, result->error_message ? result->error_message : "");
    if (result->status != MON_STATUS_UP)
        (*not_up)++;
}

int main(int argc, char **argv)
{
    mon_checker *checker = NULL;
    mon_endpoint *ep = NULL;
    int not_up = 0, i, rc;

    if (argc < 2) {
        fprintf(stderr, "usage: %s URL...\n", argv[0]);
        return 2;
    }
    /* Once per process, before any checker exists. */
    if (mon_global_init() != MON_OK)
        return 2;
    /* NULL options: the defaults (1000 checks in flight, 1 MiB bodies, ...). */
    rc = mon_checker_new(&checker, NULL);
    if (rc == MON_OK)
        rc = mon_endpoint_new(&ep);
    /* An endpoint needs a name and a URL to validate; the checker copies it at submission. */
    if (rc == MON_OK)
        rc = mon_endpoint_set_name(ep, "example");
    if (rc == MON_OK)
        rc = mon_endpoint_set_timeout_ms(ep, 5000);
    for (i = 1; rc == MON_OK && i < argc; i++) {
        rc = mon_endpoint_set_url(ep, argv[i]);
        if (rc == MON_OK)
            rc = mon_checker_submit(checker, ep, on_result, &not_up);
    }
    printf("%-40s %-9s %4s %9s  %s\n", "URL", "STATUS", "CODE", "LATENCY", "ERROR");
    /* Blocks until every submitted check has called on_result (-1: no time limit). */
    if (rc == MON_OK)
        rc = mon_checker_run(checker, -1);
    if (rc != MON_OK)
        fprintf(stderr, "check_urls: %s (%s)\n", mon_error_last(), mon_error_name(rc));
    mon_endpoint_free(ep);
    mon_checker_free(checker);
    mon_global_cleanup();
    return rc != MON_OK ? 2 : not_up ? 1 : 0;
}
