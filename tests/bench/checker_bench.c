/* Checker benchmark (run by scripts/bench checker; figures, not pass/fail).
 *
 *   checker_bench rate URL SECONDS IN_FLIGHT [THREADS]
 *       keep IN_FLIGHT checks of URL running for SECONDS (each callback
 *       submits the next check, as a scheduler would), spread over THREADS
 *       threads with a checker each (default 1); print checks/s and CPU
 *       microseconds per check.
 *   checker_bench inflight COUNT HOLD_MS
 *       start a slow loopback server (a child process holding every
 *       connection HOLD_MS before answering), submit COUNT checks at once with
 *       max_in_flight COUNT, print the peak RSS of the checker process.
 */
#define _GNU_SOURCE /* accept4 */
#include <monitorage/monitorage.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void die(const char *what)
{
    fprintf(stderr, "checker_bench: %s: %s\n", what,
            mon_error_last()[0] ? mon_error_last() : strerror(errno));
    exit(1);
}

static mon_endpoint *endpoint(const char *url, int timeout_ms)
{
    char json[1024];
    mon_endpoint *ep = NULL;
    snprintf(json, sizeof(json),
             "{\"name\":\"bench\",\"type\":\"DOMAIN\",\"url\":\"%s\",\"timeout\":%d,\"check_interval\":3600,"
             "\"retries\":0,\"degraded_ms\":0}",
             url, timeout_ms);
    if (mon_endpoint_from_json(&ep, json) != MON_OK)
        die("endpoint");
    return ep;
}

struct tally {
    mon_endpoint *ep;
    int resubmit;
    long done, up, failed;
    char first_error[256];
};

static void on_result(mon_checker *c, const mon_check_result *r, void *payload)
{
    struct tally *t = payload;
    t->done++;
    if (r->status == MON_STATUS_UP) {
        t->up++;
    } else if (t->failed++ == 0) {
        snprintf(t->first_error, sizeof(t->first_error), "%s", r->error_message ? r->error_message : "?");
    }
    if (t->resubmit && mon_checker_submit(c, t->ep, on_result, t) != MON_OK)
        die("submit");
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

struct rate_thread {
    pthread_t thread;
    const char *url;
    double seconds;
    int in_flight;
    long counted;
    struct tally t;
};

/* One checker on its own thread, keeping in_flight checks running for seconds. */
static void *rate_thread(void *arg)
{
    struct rate_thread *rt = arg;
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    mon_checker *c = NULL;
    o.max_in_flight = rt->in_flight;
    if (mon_checker_new(&c, &o) != MON_OK)
        die("checker");
    rt->t.ep = endpoint(rt->url, 10000);
    rt->t.resubmit = 1;
    for (int i = 0; i < rt->in_flight; i++)
        if (mon_checker_submit(c, rt->t.ep, on_result, &rt->t) != MON_OK)
            die("submit");
    double t0 = now_s();
    while (now_s() - t0 < rt->seconds)
        if (mon_checker_run(c, 100) == MON_ENET)
            die("run");
    rt->t.resubmit = 0;
    rt->counted = rt->t.done;
    if (mon_checker_run(c, 30000) != MON_OK)
        die("drain");
    mon_endpoint_free(rt->t.ep);
    mon_checker_free(c);
    return NULL;
}

static int rate(const char *url, double seconds, int in_flight, int threads)
{
    struct rate_thread rt[16];
    long counted = 0, failed = 0;
    const char *first_error = "";
    if (threads < 1 || threads > 16 || in_flight < threads)
        die("threads must be 1..16 and at most the checks in flight");
    raise_nofile();
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < threads; i++) {
        memset(&rt[i], 0, sizeof(rt[i]));
        rt[i].url = url;
        rt[i].seconds = seconds;
        rt[i].in_flight = in_flight / threads;
        if (pthread_create(&rt[i].thread, NULL, rate_thread, &rt[i]) != 0)
            die("pthread_create");
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(rt[i].thread, NULL);
        counted += rt[i].counted;
        failed += rt[i].t.failed;
        if (!*first_error && rt[i].t.failed)
            first_error = rt[i].t.first_error;
    }
    /* Elapsed and CPU include the drain of the last checks (at most in_flight of them). */
    double elapsed = now_s() - t0, cpu = cpu_s() - c0;
    printf(
        "checker: %ld checks in %.2f s, %d in flight on %d thread%s: %.0f checks/s, %.1f us CPU per check, "
        "%ld not UP%s%s\n",
        counted, elapsed, in_flight, threads, threads == 1 ? "" : "s", (double)counted / elapsed,
        cpu * 1e6 / (double)counted, failed, failed ? ", first: " : "", first_error);
    printf("checker checks/s: %.0f\n", (double)counted / elapsed);
    printf("checker cpu us/check: %.1f\n", cpu * 1e6 / (double)counted);
    return 0;
}

/* The slow server: accept everything, answer each connection hold_ms after it came. */
static void slow_server(int lfd, int hold_ms)
{
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    size_t cap = 1 << 16, head = 0, tail = 0;
    int *fds = malloc(cap * sizeof(*fds));
    double *due = malloc(cap * sizeof(*due));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int wait = -1;
        if (head != tail) {
            double left = due[head % cap] - now_s();
            wait = left <= 0 ? 0 : (int)(left * 1000) + 1;
        }
        struct epoll_event got;
        if (epoll_wait(ep, &got, 1, wait) > 0) {
            int fd;
            while (tail - head < cap && (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                fds[tail % cap] = fd;
                due[tail % cap] = now_s() + hold_ms / 1000.0;
                tail++;
            }
        }
        for (double now = now_s(); head != tail && due[head % cap] <= now; head++) {
            char buf[4096];
            int fd = fds[head % cap];
            while (read(fd, buf, sizeof(buf)) > 0)
                ; /* drain the request so close() sends FIN, not RST */
            if (write(fd, answer, sizeof(answer) - 1) < 0)
                perror("slow server write");
            close(fd);
        }
    }
}

static int inflight(int count, int hold_ms)
{
    raise_nofile();
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 65535) != 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &len) != 0)
        die("listen");
    pid_t pid = fork();
    if (pid == 0)
        slow_server(lfd, hold_ms);
    close(lfd);

    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", ntohs(addr.sin_port));
    mon_checker_options o = MON_CHECKER_OPTIONS_INIT;
    mon_checker *c = NULL;
    struct tally t = {0};
    o.max_in_flight = count;
    long rss_before = rss_kb();
    if (mon_checker_new(&c, &o) != MON_OK)
        die("checker");
    t.ep = endpoint(url, 60000 - 1);
    double t0 = now_s();
    for (int i = 0; i < count; i++)
        if (mon_checker_submit(c, t.ep, on_result, &t) != MON_OK)
            die("submit");
    size_t most = 0;
    while (mon_checker_pending(c)) {
        if (mon_checker_run(c, 50) == MON_ENET)
            die("run");
        if (mon_checker_in_flight(c) > most)
            most = mon_checker_in_flight(c);
    }
    double elapsed = now_s() - t0;
    long peak = peak_rss_kb();
    printf("in flight: %zu checks at once (of %d), all done in %.2f s (server holds each %d ms), %ld UP, %ld "
           "not UP%s%s\n",
           most, count, elapsed, hold_ms, t.up, t.failed, t.failed ? ", first: " : "", t.first_error);
    printf("peak RSS with %d checks in flight: %.1f MiB (%.1f MiB before the checker; %.1f KiB per check)\n",
           count, peak / 1024.0, rss_before / 1024.0, (double)(peak - rss_before) / count);
    mon_endpoint_free(t.ep);
    mon_checker_free(c);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (mon_global_init() != MON_OK)
        die("init");
    int rc = 2;
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "rate") == 0)
        rc = rate(argv[2], atof(argv[3]), atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 1);
    else if (argc == 4 && strcmp(argv[1], "inflight") == 0)
        rc = inflight(atoi(argv[2]), atoi(argv[3]));
    else
        fprintf(stderr,
                "usage: checker_bench rate URL SECONDS IN_FLIGHT [THREADS] | inflight COUNT HOLD_MS\n");
    mon_global_cleanup();
    return rc;
}
