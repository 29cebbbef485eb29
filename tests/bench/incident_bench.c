/*
 * Incident engine benchmark (scripts/bench incidents): what the incident
 * trigger on health_history (migration 007) adds to a batch insert
 * (mon_store_history_insert, 1000 rows per COPY, one row per endpoint as
 * the scheduler writes them). Blocks of batches with the trigger enabled and
 * disabled alternate, in the same database and run, so machine load affects
 * both alike; the store's own triggers (latest status, rollups) stay on in both.
 * Three loads: every result UP; a mix (90 % UP, 5 % DEGRADED, 4 % DOWN, 1 %
 * UNKNOWN, so incidents open and resolve); the mix with 20 maintenance
 * windows defined (10 one-off, 10 weekly by type, none covering the rows).
 *
 *   incident_bench DATABASE_URL [endpoints] [batches_per_mode (a multiple of 5)]
 */
#include <monitorage/monitorage.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ROWS 1000
#define BLOCK 5

static PGconn *admin;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *text)
{
    PGresult *res = PQexec(admin, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "incident_bench: SQL failed: %s\n%.300s\n", PQerrorMessage(admin), text);
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
    return v < 90 ? MON_STATUS_UP : v < 95 ? MON_STATUS_DEGRADED : v < 99 ? MON_STATUS_DOWN : MON_STATUS_UNKNOWN;
}

/* Run batches alternately with the incident trigger on and off; prints both rates and the ratio. */
static void measure(mon_store *store, char **ids, int endpoints, int batches, int mix, mon_time *clock_us,
                    const char *label)
{
    mon_check_record *records = calloc(BATCH_ROWS, sizeof(*records));
    const mon_check_record **ptrs = calloc(BATCH_ROWS, sizeof(*ptrs));
    double on = 0, off = 0;
    long next = 0;

    /* Blocks of BLOCK timed batches per mode, each after an untimed one: switching the trigger
     * (ALTER TABLE) makes every cached plan of the triggers' functions be made again. */
    for (int b = 0; b < 2 * (batches / BLOCK) * (BLOCK + 1); b++) {
        int enabled = b / (BLOCK + 1) % 2 == 0, warmup = b % (BLOCK + 1) == 0;
        double t;
        int rc;
        if (warmup)
            run(enabled ? "ALTER TABLE health_history ENABLE TRIGGER health_history_transitions_insert"
                        : "ALTER TABLE health_history DISABLE TRIGGER health_history_transitions_insert");
        for (int j = 0; j < BATCH_ROWS; j++, next++) {
            mon_check_record *r = &records[j];
            int n = (int)(next % endpoints);
            if (n == 0)
                *clock_us += 60 * 1000000LL;
            mon_check_record_init(r, MON_CHECK_RECORD_VERSION);
            snprintf(r->endpoint_id, sizeof(r->endpoint_id), "%s", ids[n]);
            r->status = status_of(mix, next, (int)(next / endpoints));
            r->status_code = r->status == MON_STATUS_DOWN ? 503 : 200;
            r->error_message = r->status == MON_STATUS_DOWN ? "HTTP 503" : NULL;
            r->latency_ms = 20 + (int)(next % 300);
            r->checked_at = *clock_us + n;
            ptrs[j] = r;
        }
        t = now_s();
        if ((rc = mon_store_history_insert(store, ptrs, BATCH_ROWS)) != MON_OK)
            fail("history insert", rc);
        if (warmup)
            continue;
        if (enabled)
            on += now_s() - t;
        else
            off += now_s() - t;
    }
    run("ALTER TABLE health_history ENABLE TRIGGER health_history_transitions_insert");
    free(records);
    free(ptrs);
    printf("%s, batch insert without the incident trigger (%d batches of %d rows): %.0f rows/s\n", label, batches,
           BATCH_ROWS, batches * BATCH_ROWS / off);
    printf("%s, batch insert with the incident trigger (%d batches of %d rows): %.0f rows/s\n", label, batches,
           BATCH_ROWS, batches * BATCH_ROWS / on);
    printf("%s, batch insert with incident trigger vs without: %.2f x\n", label, off / on);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : getenv("DATABASE_URL");
    int endpoints = argc > 2 ? atoi(argv[2]) : 10000, batches = argc > 3 ? atoi(argv[3]) : 50, rc;
    mon_store *store = NULL;
    mon_time clock_us;
    char text[1024], **ids;
    PGresult *res;

    batches -= batches % BLOCK;
    if (!url || endpoints < BATCH_ROWS || batches < BLOCK) {
        fprintf(stderr, "usage: incident_bench DATABASE_URL [endpoints >= %d] [batches_per_mode]\n", BATCH_ROWS);
        return 2;
    }
    if ((rc = mon_store_open(&store, url)) != MON_OK)
        fail("open", rc);
    if ((rc = mon_store_migrate(store, NULL)) != MON_OK)
        fail("migrate", rc);
    admin = PQconnectdb(url);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "incident_bench: %s", PQerrorMessage(admin));
        return 1;
    }
    snprintf(text, sizeof(text),
             "INSERT INTO endpoints (name, type, url) SELECT 'ep-' || lpad(i::text, 6, '0'),"
             " (ARRAY['APIM','DOMAIN','TALEND'])[1 + i %% 3]::endpoint_type,"
             " 'https://ep' || i || '.example.test/health' FROM generate_series(1, %d) i",
             endpoints);
    run(text);
    res = PQexec(admin, "SELECT id FROM endpoints ORDER BY id");
    ids = calloc((size_t)endpoints, sizeof(*ids));
    for (int i = 0; i < endpoints; i++)
        ids[i] = strdup(PQgetvalue(res, i, 0));
    PQclear(res);
    /* Results start a day ago, one minute apart per endpoint. */
    clock_us = ((mon_time)time(NULL) - 86400) * 1000000LL;

    printf("%d endpoints\n", endpoints);
    /* Every endpoint's counters row exists, as after its first result: the figures are the steady state. */
    run("INSERT INTO incident_state (endpoint_id) SELECT id FROM endpoints");
    measure(store, ids, endpoints, batches, 0, &clock_us, "all UP");
    measure(store, ids, endpoints, batches, 1, &clock_us, "mixed");
    run("INSERT INTO maintenance_windows (name, endpoint_type, kind, starts_at, ends_at)"
        " SELECT 'once ' || i, 'APIM', 'once', now() + i * interval '1 day', now() + i * interval '1 day'"
        " + interval '1 hour' FROM generate_series(1, 10) i");
    run("INSERT INTO maintenance_windows (name, endpoint_type, kind, weekdays, start_time, duration_s, time_zone)"
        " SELECT 'weekly ' || i, 'DOMAIN', 'weekly', '{7}', '03:00', 3600, 'Europe/Paris' FROM generate_series(1, 10) i");
    measure(store, ids, endpoints, batches, 1, &clock_us, "mixed, 20 maintenance windows");
    res = PQexec(admin, "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM incident_events)");
    printf("incidents opened: %s, events written: %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);

    for (int i = 0; i < endpoints; i++)
        free(ids[i]);
    free(ids);
    PQfinish(admin);
    mon_store_close(store);
    return 0;
}
