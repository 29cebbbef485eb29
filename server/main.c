/* Module life cycle: settings, migrations, per-worker resources, the sandbox. */

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/hooks.h>
#include <kore/seccomp.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "auth.h"
#include "http_json.h"
#include "metrics.h"
#include "server.h"

/* Syscalls that libpq, libcurl and threads need beyond Kore's own list
 * (measured, see ../shared/KORE.md), plus, traced with seccomp_tracing:
 * epoll_create1 for the checker's own event loop, and mremap, which glibc's
 * realloc() uses to grow a large block (a 3 MB /metrics page), and
 * readlinkat, which libcurl's first connection makes when HOME is unset for a
 * user without a passwd entry (uid 1001 in the image), and mlock/munlock,
 * with which libsodium locks decrypted connector credentials and the
 * encryption key in memory (sodium_malloc). Anything else kills the thread
 * that makes the call. In a sanitizer build (kore started with the ASan and
 * UBSan runtimes preloaded, tests/server/CMakeLists.txt) the runtime also
 * calls gettid and sched_getaffinity. */
#ifdef MONITORAGE_SANITIZER_SYSCALLS
#define SRV_SANITIZER_SYSCALLS KORE_SYSCALL_ALLOW(gettid), KORE_SYSCALL_ALLOW(sched_getaffinity),
#else
#define SRV_SANITIZER_SYSCALLS
#endif
// clang-format off
KORE_SECCOMP_FILTER("monitorage",
    KORE_SYSCALL_ALLOW(clone3), KORE_SYSCALL_ALLOW(rseq),
    KORE_SYSCALL_ALLOW(set_robust_list), KORE_SYSCALL_ALLOW(newfstatat),
    KORE_SYSCALL_ALLOW(faccessat2), KORE_SYSCALL_ALLOW(getpeername),
    KORE_SYSCALL_ALLOW(uname), KORE_SYSCALL_ALLOW(getdents64),
    KORE_SYSCALL_ALLOW(sendmmsg), KORE_SYSCALL_ALLOW(recvmsg),
    KORE_SYSCALL_ALLOW(socketpair), KORE_SYSCALL_ALLOW(bind),
    KORE_SYSCALL_ALLOW_ARG(socket, 0, AF_NETLINK),
    KORE_SYSCALL_ALLOW(epoll_create1), KORE_SYSCALL_ALLOW(mremap),
    KORE_SYSCALL_ALLOW(readlinkat),
    KORE_SYSCALL_ALLOW(mlock), KORE_SYSCALL_ALLOW(munlock),
    SRV_SANITIZER_SYSCALLS
)
// clang-format on

struct srv_config srv_config;

static mon_store *store;
static time_t store_attempted_at;

void srv_log(const char *fmt, ...)
{
    va_list ap;

    if (worker)
        printf("[monitorage wrk %u] ", (unsigned int)worker->id);
    else
        printf("[monitorage parent] ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    /* Flushed per line: with -f stdout is a file or pipe, and a buffer left
     * at fork would be written again by every worker. */
    fflush(stdout);
}

static void open_store(void)
{
    int rc;

    store_attempted_at = time(NULL);
    if ((rc = mon_store_open(&store, srv_config.database_url)) != MON_OK)
        srv_log("database: %s: %s", mon_error_name(rc), mon_error_last());
}

mon_store *srv_store(void)
{
    /* A worker whose first connection failed tries again, at most once a
     * second, so a database outage does not turn into a connection storm. */
    if (!store && time(NULL) != store_attempted_at)
        open_store();
    return store;
}

/* Whether every listener is on a loopback address (or a unix socket). */
static int listeners_are_loopback(void)
{
    struct kore_server *srv;
    struct listener *l;

    LIST_FOREACH(srv, &kore_servers, list)
    {
        LIST_FOREACH(l, &srv->listeners, list)
        {
            struct sockaddr_storage ss;
            socklen_t len = sizeof(ss);

            if (getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0)
                return 0;
            if (ss.ss_family == AF_UNIX)
                continue;
            if (ss.ss_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
                if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
                    return 0;
            } else if (ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
                if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
                    return 0;
            } else {
                return 0;
            }
        }
    }
    return 1;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "monitorage: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void kore_parent_configure(int argc, char **argv)
{
    char err[512];
    const char *url = getenv("DATABASE_URL");
    int rc, applied = 0;
    mon_store *parent_store = NULL;

    if (!url || !*url)
        die("DATABASE_URL is not set (a libpq URL, e.g. postgresql://user@host/db)");
    if (!(srv_config.database_url = strdup(url)))
        die("out of memory");
    if ((rc = mon_global_init()) != MON_OK)
        die("library initialisation failed: %s", mon_error_last());
    if (srv_auth_configure(err, sizeof(err)) < 0)
        die("%s", err);
    if (srv_metrics_init() < 0)
        die("cannot map the shared metrics counters");
    if (srv_www_configure(err, sizeof(err)) < 0)
        die("%s", err);
    if (srv_auth_dev_mode()) {
        if (!listeners_are_loopback())
            die("MONITORAGE_DEV_TOKEN is set but the server listens beyond loopback: "
                "bind 127.0.0.1 (or unset the dev token)");
        srv_log("WARNING: dev mode: MONITORAGE_DEV_TOKEN is accepted as an admin token "
                "(loopback only; never in production)");
    }
    /* Migrations run once, here, before the workers exist; workers only
     * check that the schema is current (/ready). */
    if ((rc = mon_store_open(&parent_store, srv_config.database_url)) != MON_OK)
        die("database: %s", mon_error_last());
    rc = mon_store_migrate(parent_store, &applied);
    mon_store_close(parent_store);
    if (rc != MON_OK)
        die("migrations failed: %s", mon_error_last());
    srv_log("monitorage %s: database schema current (%d migration(s) applied)", mon_version(), applied);
}

void kore_parent_teardown(void)
{
    mon_global_cleanup();
}

void kore_worker_configure(void)
{
    /* Large answers (a 2.4 MB /api/v1/status at 10,000 endpoints, its
     * PGresult) would otherwise be mmap()ed and unmapped, or trimmed, on every
     * request: page faults were a quarter of that route's CPU time. A worker
     * keeps up to its peak instead (tens of MB at most). */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    open_store();
    srv_auth_worker_init();
}

void kore_worker_teardown(void)
{
    srv_auth_worker_cleanup();
    mon_store_close(store);
    store = NULL;
}

int page_not_found(struct http_request *req)
{
    srv_reply_error(req, 404, "not_found", NULL, "no route %s", req->path);
    return KORE_RESULT_OK;
}
