/*
 * poll_loop: embed the checker in a program's own poll() loop.
 *
 *     poll_loop URL [COUNT]
 *
 * A program that already has an event loop (a server, a GUI, an agent)
 * does not hand control to mon_checker_run(). Instead, on each turn it asks
 * the checker which descriptors to watch (mon_checker_fds()) and how long it
 * may sleep (mon_checker_timeout_ms()), adds its own descriptors (here:
 * standard input), polls, and tells the checker what became ready with
 * mon_checker_process(). COUNT checks of URL (default 3) are submitted at
 * once. Exit status 0 when every check is UP, 1 otherwise, 2 on an error.
 */
#include <monitorage/monitorage.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_FDS 64

static void on_result(mon_checker *checker, const mon_check_result *result, void *payload)
{
    int *not_up = payload;
    (void)checker;
    printf("%s %s %d (dns %.1f ms, connect %.1f ms, first byte %.1f ms)\n", result->url,
           mon_status_name(result->status), result->status_code, result->dns_ms, result->connect_ms,
           result->ttfb_ms);
    if (result->status != MON_STATUS_UP)
        (*not_up)++;
}

int main(int argc, char **argv)
{
    mon_checker *checker = NULL;
    mon_endpoint *ep = NULL;
    int not_up = 0, count = argc > 2 ? atoi(argv[2]) : 3, i, rc, turns = 0, stdin_open = 1;

    if (argc < 2 || count < 1) {
        fprintf(stderr, "usage: %s URL [COUNT]\n", argv[0]);
        return 2;
    }
    if (mon_global_init() != MON_OK)
        return 2;
    rc = mon_checker_new(&checker, NULL);
    if (rc == MON_OK)
        rc = mon_endpoint_new(&ep);
    if (rc == MON_OK)
        rc = mon_endpoint_set_name(ep, "poll example");
    if (rc == MON_OK)
        rc = mon_endpoint_set_url(ep, argv[1]);
    for (i = 0; rc == MON_OK && i < count; i++)
        rc = mon_checker_submit(checker, ep, on_result, &not_up);

    /* The host's loop: runs until the checker has nothing pending. */
    while (rc == MON_OK && mon_checker_pending(checker) > 0) {
        mon_checker_fd wanted[MAX_FDS];
        struct pollfd pfds[MAX_FDS + 1];
        size_t n = 0, k;
        long timeout;
        int ready;

        rc = mon_checker_fds(checker, wanted, MAX_FDS, &n);
        if (rc != MON_OK)
            break;
        if (n > MAX_FDS)
            n = MAX_FDS; /* the rest are watched on a later turn */
        for (k = 0; k < n; k++) {
            pfds[k].fd = wanted[k].fd;
            pfds[k].events = (short)(((wanted[k].events & MON_POLL_IN) ? POLLIN : 0) |
                                     ((wanted[k].events & MON_POLL_OUT) ? POLLOUT : 0));
            pfds[k].revents = 0;
        }
        /* The program's own descriptor sits in the same poll() set (-1: ignored by poll). */
        pfds[n].fd = stdin_open ? 0 : -1;
        pfds[n].events = POLLIN;
        pfds[n].revents = 0;
        timeout = mon_checker_timeout_ms(checker);
        ready = poll(pfds, n + 1, timeout < 0 ? 1000 : (int)timeout);
        turns++;
        if (ready < 0) {
            perror("poll");
            rc = MON_EIO;
            break;
        }
        if (ready == 0) {
            /* The checker's timer expired: let it start, retry or time out checks. */
            rc = mon_checker_process(checker, MON_CHECKER_TIMEOUT, 0);
            continue;
        }
        for (k = 0; k < n && rc == MON_OK; k++) {
            int events = 0;
            if (pfds[k].revents & POLLIN)
                events |= MON_POLL_IN;
            if (pfds[k].revents & POLLOUT)
                events |= MON_POLL_OUT;
            if (pfds[k].revents & (POLLERR | POLLHUP | POLLNVAL))
                events |= MON_POLL_ERR;
            if (events)
                rc = mon_checker_process(checker, pfds[k].fd, events);
        }
        if (pfds[n].revents) {
            /* The host's own work: here, count what arrives on stdin until it closes. */
            char buf[512];
            ssize_t got = read(0, buf, sizeof(buf));
            if (got <= 0)
                stdin_open = 0;
            else
                printf("stdin: %zd byte(s)\n", got);
        }
    }
    if (rc != MON_OK)
        fprintf(stderr, "poll_loop: %s (%s)\n", mon_error_last(), mon_error_name(rc));
    else
        printf("%d check(s) done in %d loop turn(s)\n", count, turns);
    mon_endpoint_free(ep);
    mon_checker_free(checker);
    mon_global_cleanup();
    return rc != MON_OK ? 2 : not_up ? 1 : 0;
}
