#define _GNU_SOURCE /* strcasestr */
/* Notifications benchmark: the cost the outbox trigger adds to recording
 * incident events (no rule vs 5 matching rules), and signed webhook delivery
 * throughput of 1 dispatcher vs 4 dispatchers (threads, one store each) to a
 * loopback receiver that answers 204 at once.
 *   notify_bench DATABASE_URL [N]      (run by scripts/bench notify; N events, default 2000) */
#include <monitorage/monitorage.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define RECEIVER_THREADS 8

static const char *db_url;
static mon_secret_key *key;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "notify_bench: %s: %s\n", what, mon_error_last());
    exit(1);
}

static void sql(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "notify_bench: %s: %s", text, PQerrorMessage(conn));
        exit(1);
    }
    PQclear(res);
}

/* The receiver: threads accepting on one socket, reading a request (headers and
 * Content-Length bytes) and answering 204, one request per connection. */
static void *receive(void *arg)
{
    int listener = *(int *)arg;
    for (;;) {
        char buf[8192];
        size_t used = 0;
        long body = -1;
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        for (;;) {
            ssize_t got = read(fd, buf + used, sizeof(buf) - 1 - used);
            char *end, *cl;
            if (got <= 0)
                break;
            used += (size_t)got;
            buf[used] = '\0';
            if (!(end = strstr(buf, "\r\n\r\n")))
                continue;
            cl = strcasestr(buf, "Content-Length:");
            body = cl ? strtol(cl + 15, NULL, 10) : 0;
            if ((long)(used - (size_t)(end + 4 - buf)) >= body)
                break;
        }
        if (body >= 0) {
            static const char reply[] =
                "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            if (write(fd, reply, sizeof(reply) - 1) < 0)
                perror("notify_bench: write");
        }
        close(fd);
    }
    return NULL;
}

static int start_receiver(void)
{
    static int listener;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    pthread_t thread;

    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(listener, 1024) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        perror("notify_bench: receiver");
        exit(1);
    }
    for (int i = 0; i < RECEIVER_THREADS; i++) {
        pthread_create(&thread, NULL, receive, &listener);
        pthread_detach(thread);
    }
    return ntohs(addr.sin_port);
}

/* n incidents (one per endpoint) and their opened events in one statement; returns seconds. */
static double record_events(PGconn *conn, int n)
{
    char text[1024];
    double t0;
    sql(conn, "DELETE FROM incidents");
    snprintf(
        text, sizeof(text),
        "WITH i AS (INSERT INTO incidents (endpoint_id, kind, started_at, first_error, failed_checks,"
        " last_status) SELECT id, 'down', now(), 'connection refused', 1, 'DOWN' FROM endpoints"
        " ORDER BY name LIMIT %d RETURNING *)"
        " INSERT INTO incident_events (incident_id, endpoint_id, kind, payload) SELECT i.id, i.endpoint_id,"
        " 'opened', jsonb_build_object('endpoint', jsonb_build_object('id', e.id, 'name', e.name, 'url',"
        " e.url, 'type', e.type), 'incident', jsonb_build_object('id', i.id, 'kind', i.kind, 'started_at',"
        " i.started_at, 'first_error', i.first_error, 'failed_checks', i.failed_checks))"
        " FROM i JOIN endpoints e ON e.id = i.endpoint_id",
        n);
    t0 = now();
    sql(conn, text);
    return now() - t0;
}

struct dispatcher {
    int sent;
};

static void *dispatch_all(void *arg)
{
    struct dispatcher *d = arg;
    mon_notify_options opts = MON_NOTIFY_OPTIONS_INIT;
    mon_store *store = NULL;
    mon_notifier *n = NULL;
    int idle = 0;

    opts.batch = 50;
    if (mon_store_open(&store, db_url) != MON_OK || mon_notifier_new(&n, store, NULL, key, &opts) != MON_OK)
        die("dispatcher");
    while (idle < 2) {
        mon_notify_stats st = MON_NOTIFY_STATS_INIT;
        if (mon_notify_dispatch(&st, n) != MON_OK)
            die("dispatch");
        d->sent += st.sent;
        idle = st.claimed ? 0 : idle + 1;
    }
    mon_notifier_free(n);
    mon_store_close(store);
    return NULL;
}

/* Deliver every pending notification with `count` dispatchers; returns notifications per second. */
static double deliver(int count, int expected)
{
    struct dispatcher d[8];
    pthread_t threads[8];
    int sent = 0;
    double t0 = now();

    memset(d, 0, sizeof(d));
    for (int i = 0; i < count; i++)
        pthread_create(&threads[i], NULL, dispatch_all, &d[i]);
    for (int i = 0; i < count; i++) {
        pthread_join(threads[i], NULL);
        sent += d[i].sent;
    }
    if (sent != expected) {
        fprintf(stderr, "notify_bench: %d dispatcher(s) sent %d of %d\n", count, sent, expected);
        exit(1);
    }
    return sent / (now() - t0);
}

static void rule(mon_store *store, const char *name, int port)
{
    char json[512];
    snprintf(json, sizeof(json),
             "{\"name\":\"%s\",\"channel\":\"webhook\",\"events\":[\"opened\"],\"webhook\":{\"url\":"
             "\"http://127.0.0.1:%d/hook\",\"secret\":\"bench-webhook-secret-0123456789\"}}",
             name, port);
    if (mon_notify_rule_create(NULL, store, key, json, NULL) != MON_OK)
        die("rule");
}

int main(int argc, char **argv)
{
    mon_store *store = NULL;
    PGconn *conn;
    char text[256];
    int n = argc > 2 ? atoi(argv[2]) : 2000, port;
    double none, five, one_rate, four_rate;

    if (argc < 2 || n < 1) {
        fprintf(stderr, "usage: notify_bench DATABASE_URL [N]\n");
        return 2;
    }
    db_url = argv[1];
    if (mon_global_init() != MON_OK || mon_secret_key_from_hex(&key, KEY_HEX) != MON_OK ||
        mon_store_open(&store, db_url) != MON_OK || mon_store_migrate(store, NULL) != MON_OK)
        die("setup");
    conn = PQconnectdb(db_url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "notify_bench: %s", PQerrorMessage(conn));
        return 1;
    }
    port = start_receiver();
    snprintf(text, sizeof(text),
             "INSERT INTO endpoints (name, type, url) SELECT 'ep' || lpad(g::text, 7, '0'), 'APIM',"
             " 'https://ep' || g || '.example.com/health' FROM generate_series(1, %d) g",
             n);
    sql(conn, text);

    /* Recording events: the fan-out trigger with no rule, then with 5 matching rules. */
    record_events(conn, n); /* warm-up */
    none = record_events(conn, n);
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof(text), "rule %d", i);
        rule(store, text, port);
    }
    record_events(conn, n);
    five = record_events(conn, n);
    printf("record %d incident events, no rule: %.1f ms (%.1f us/event)\n", n, none * 1e3, none * 1e6 / n);
    printf("record %d incident events, 5 rules (%d outbox rows): %.1f ms (%.1f us/event)\n", n, 5 * n,
           five * 1e3, five * 1e6 / n);
    printf("event recording with 5 rules vs no rule: %.2f x\n", five / none);

    /* Delivery: one rule, n notifications, 1 then 4 dispatchers. */
    sql(conn, "DELETE FROM notification_rules");
    rule(store, "bench", port);
    record_events(conn, n);
    one_rate = deliver(1, n);
    record_events(conn, n);
    four_rate = deliver(4, n);
    printf("deliver %d signed webhooks, 1 dispatcher: %.0f notifications/s\n", n, one_rate);
    printf("deliver %d signed webhooks, 4 dispatchers: %.0f notifications/s\n", n, four_rate);
    printf("4 dispatchers vs 1 dispatcher: %.2f x\n", four_rate / one_rate);

    PQfinish(conn);
    mon_store_close(store);
    mon_secret_key_free(key);
    mon_global_cleanup();
    return 0;
}
