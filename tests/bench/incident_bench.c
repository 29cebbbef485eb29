/*
 * Incident engine benchmark (scripts/bench incidents): what the incident
 * trigger on health_history (migration 007) adds to a batch insert
 * (mon_store_history_insert, 1000 rows per COPY, one row per endpoint as
 * the scheduler writes them). Two databases in the same cluster hold the
 * same endpoints, one with the trigger disabled; each batch goes to both, in
 * alternating order, so machine load affects both alike and no plan cache is
 * reset (as switching the trigger with ALTER TABLE would); the store's own
 * triggers (latest status, rollups) run in both. The first batches of each
 * load are untimed (plans made, then cached as in a long-running writer).
 * Three loads: every result UP; a mix (90 % UP, 5 % DEGRADED, 4 % DOWN, 1 %
 * UNKNOWN, so incidents open and resolve); the mix with 20 maintenance
 * windows defined (10 one-off, 10 weekly by type, none covering the rows).
 *
 *   incident_bench DATABASE_URL [endpoints] [batches]
 */
#include <monitorage/monitorage.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ROWS 1000
#define WARMUP 6

/* A database of the comparison: 0 with the incident trigger, 1 without. */
struct side {
    PGconn *admin;
    mon_store *store;
    char **ids;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "incident_bench: SQL failed: %s\n%.300s\n", PQerrorMessage(conn), text);
        exit(1);
    }
    PQclear(res);
}

static void fail(const char *what, int rc)
{
    fprintf(stderr, "incident_bench: %s: %s: %s\n", what, mon_error_name(rc), mon_error_last());
    exit(1);
}

/* Status of row i of round k: all UP, or the mix. */
static mon_status status_of(int mix, long i, int k)
{
    long v = (i * 7 + k * 13) % 100;
    if (!mix)
        return MON_STATUS_UP;
    return v < 90   ? MON_STATUS_UP
           : v < 95 ? MON_STATUS_DEGRADED
           : v < 99 ? MON_STATUS_DOWN
                    : MON_STATUS_UNKNOWN;
}

/* Insert batches into both databases; prints both rates and the ratio. */
static void measure(struct side *sides, int endpoints, int batches, int mix, mon_time *clock_us,
                    const char *label)
{
    mon_check_record *records = calloc(BATCH_ROWS, sizeof(*records));
    const mon_check_record **ptrs = calloc(BATCH_ROWS, sizeof(*ptrs));
    double spent[2] = {0, 0};
    long next = 0;

    for (int b = 0; b < WARMUP + batches; b++, next += BATCH_ROWS) {
        for (int k = 0; k < 2; k++) {
            int s = (b + k) % 2, rc;
            double t;
            for (int j = 0; j < BATCH_ROWS; j++) {
                mon_check_record *r = &records[j];
                long i = next + j;
                int n = (int)(i % endpoints);
                mon_check_record_init(r, MON_CHECK_RECORD_VERSION);
                snprintf(r->endpoint_id, sizeof(r->endpoint_id), "%s", sides[s].ids[n]);
                r->status = status_of(mix, i, (int)(i / endpoints));
                r->status_code = r->status == MON_STATUS_DOWN ? 503 : 200;
                r->error_message = r->status == MON_STATUS_DOWN ? "HTTP 503" : NULL;
                r->latency_ms = 20 + (int)(i % 300);
                r->checked_at = *clock_us + (i / endpoints) * 60 * 1000000LL + n;
                ptrs[j] = r;
            }
            t = now_s();
            if ((rc = mon_store_history_insert(sides[s].store, ptrs, BATCH_ROWS)) != MON_OK)
                fail("history insert", rc);
            if (b >= WARMUP)
                spent[s] += now_s() - t;
        }
    }
    *clock_us += (next / endpoints + 1) * 60 * 1000000LL;
    free(records);
    free(ptrs);
    printf("%s, batch insert without the incident trigger (%d batches of %d rows): %.0f rows/s\n", label,
           batches, BATCH_ROWS, batches * BATCH_ROWS / spent[1]);
    printf("%s, batch insert with the incident trigger (%d batches of %d rows): %.0f rows/s\n", label,
           batches, BATCH_ROWS, batches * BATCH_ROWS / spent[0]);
    printf("%s, batch insert with incident trigger vs without: %.2f x\n", label, spent[1] / spent[0]);
}

/* Create database name (dropped first) beside conn's, with the schema, the endpoints and their counters. */
static void setup_side(struct side *side, PGconn *conn, const char *name, int endpoints, int with_trigger)
{
    char text[1024];
    PGresult *res;
    int rc;

    snprintf(text, sizeof(text), "DROP DATABASE IF EXISTS %s", name);
    run(conn, text);
    snprintf(text, sizeof(text), "CREATE DATABASE %s", name);
    run(conn, text);
    snprintf(text, sizeof(text), "host=%s port=%s user=%s dbname=%s", PQhost(conn), PQport(conn),
             PQuser(conn), name);
    if ((rc = mon_store_open(&side->store, text)) != MON_OK ||
        (rc = mon_store_migrate(side->store, NULL)) != MON_OK)
        fail("open and migrate", rc);
    side->admin = PQconnectdb(text);
    if (PQstatus(side->admin) != CONNECTION_OK) {
        fprintf(stderr, "incident_bench: %s", PQerrorMessage(side->admin));
        exit(1);
    }
    snprintf(text, sizeof(text),
             "INSERT INTO endpoints (name, type, url) SELECT 'ep-' || lpad(i::text, 6, '0'),"
             " (ARRAY['APIM','DOMAIN','TALEND'])[1 + i %% 3]::endpoint_type,"
             " 'https://ep' || i || '.example.test/health' FROM generate_series(1, %d) i",
             endpoints);
    run(side->admin, text);
    /* Every endpoint's counters row exists, as after its first result: the figures are the steady state. */
    run(side->admin, "INSERT INTO incident_state (endpoint_id) SELECT id FROM endpoints");
    if (!with_trigger)
        run(side->admin, "ALTER TABLE health_history DISABLE TRIGGER health_history_transitions_insert");
    res = PQexec(side->admin, "SELECT id FROM endpoints ORDER BY name");
    side->ids = calloc((size_t)endpoints, sizeof(*side->ids));
    for (int i = 0; i < endpoints; i++)
        side->ids[i] = strdup(PQgetvalue(res, i, 0));
    PQclear(res);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : getenv("DATABASE_URL");
    int endpoints = argc > 2 ? atoi(argv[2]) : 10000, batches = argc > 3 ? atoi(argv[3]) : 50;
    struct side sides[2];
    mon_time clock_us;
    PGconn *conn;
    PGresult *res;

    if (!url || endpoints < BATCH_ROWS || batches < 1) {
        fprintf(stderr, "usage: incident_bench DATABASE_URL [endpoints >= %d] [batches]\n", BATCH_ROWS);
        return 2;
    }
    conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "incident_bench: %s", PQerrorMessage(conn));
        return 1;
    }
    setup_side(&sides[0], conn, "incident_bench_on", endpoints, 1);
    setup_side(&sides[1], conn, "incident_bench_off", endpoints, 0);
    /* Results start a day ago, one minute apart per endpoint. */
    clock_us = ((mon_time)time(NULL) - 86400) * 1000000LL;

    printf("%d endpoints\n", endpoints);
    measure(sides, endpoints, batches, 0, &clock_us, "all UP");
    measure(sides, endpoints, batches, 1, &clock_us, "mixed");
    for (int s = 0; s < 2; s++) {
        run(sides[s].admin,
            "INSERT INTO maintenance_windows (name, endpoint_type, kind, starts_at, ends_at)"
            " SELECT 'once ' || i, 'APIM', 'once', now() + i * interval '1 day', now() + i * interval"
            " '1 day' + interval '1 hour' FROM generate_series(1, 10) i");
        run(sides[s].admin,
            "INSERT INTO maintenance_windows (name, endpoint_type, kind, weekdays, start_time,"
            " duration_s, time_zone) SELECT 'weekly ' || i, 'DOMAIN', 'weekly', '{7}', '03:00', 3600,"
            " 'Europe/Paris' FROM generate_series(1, 10) i");
    }
    measure(sides, endpoints, batches, 1, &clock_us, "mixed, 20 maintenance windows");
    res = PQexec(sides[0].admin,
                 "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM incident_events)");
    printf("incidents opened: %s, events written: %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);

    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < endpoints; i++)
            free(sides[s].ids[i]);
        free(sides[s].ids);
        PQfinish(sides[s].admin);
        mon_store_close(sides[s].store);
    }
    PQfinish(conn);
    return 0;
}
