/*
 * Store benchmark (scripts/bench store): loads ENDPOINTS endpoints x ROWS
 * history rows (one per minute, ending now) into a private PostgreSQL, then
 * measures in one run:
 *   - latest status of every endpoint: the seed's original view query vs
 *     ours (the redefined view, and mon_store_status_list());
 *   - uptime + p50/p95/p99 over 24 h for every endpoint: mon_store_uptime()
 *     vs a plain GROUP BY with percentile_cont over the raw rows (plus the
 *     error of our p95 against the exact nearest-rank value);
 *   - the dashboard's overview of every endpoint (status, uptime 24 h, the
 *     latest 30 checks): mon_store_status_overview() in one call vs the
 *     1 + 2N calls the dashboard made before (status list, then history and
 *     uptime of each endpoint; in-process, so without HTTP's cost);
 *   - batch inserts: mon_store_history_insert() (triggers maintaining the
 *     summaries) vs a raw COPY of the same kind of rows into the same table
 *     with triggers disabled.
 *
 *   store_bench DATABASE_URL [endpoints] [rows_per_endpoint] [seconds_between_rows]
 *
 * The uptime query cost depends on the number of endpoints, not on history
 * depth: 10000 100 600 (100 rows each over ~17 h) measures it without a
 * 10M-row load.
 */
#include <monitorage/monitorage.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 5
#define BATCHES 100
#define BATCH_ROWS 1000

static PGconn *admin;
static const char *url;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mon_time wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (mon_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fail(const char *what, int rc)
{
    fprintf(stderr, "store_bench: %s: %s: %s\n", what, mon_error_name(rc), mon_error_last());
    exit(1);
}

/* Run SQL on conn, exit on failure; returns the result (caller clears). */
static PGresult *sql(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "store_bench: SQL failed: %s\n%.300s\n", PQerrorMessage(conn), text);
        exit(1);
    }
    return res;
}

static void run(PGconn *conn, const char *text)
{
    PQclear(sql(conn, text));
}

/* Seconds one query takes, rows discarded. */
static double time_query(PGconn *conn, const char *text)
{
    double t = now_s();
    PQclear(sql(conn, text));
    return now_s() - t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* Bulk load as pg_restore does: rows first without triggers or indexes, then
 * the indexes, then the summaries in one pass (mon_health_summaries_rebuild). */
static void load(int endpoints, int rows, int spacing)
{
    char text[2048];
    PGresult *res;
    int nindex;
    char **indexes;
    double t0 = now_s(), t_rows, t_index, t_summaries;

    run(admin, "SET session_replication_role = replica");
    snprintf(text, sizeof(text),
             "INSERT INTO endpoints (name, type, url) SELECT 'ep-' || lpad(i::text, 6, '0'),"
             " (ARRAY['APIM','DOMAIN','TALEND'])[1 + i %% 3]::endpoint_type,"
             " 'https://ep' || i || '.example.test/health' FROM generate_series(1, %d) i",
             endpoints);
    run(admin, text);
    res = sql(admin, "SELECT indexdef FROM pg_indexes WHERE tablename = 'health_history'"
                     " AND indexname <> 'health_history_pkey'");
    nindex = PQntuples(res);
    indexes = calloc((size_t)nindex, sizeof(*indexes));
    for (int i = 0; i < nindex; i++)
        indexes[i] = strdup(PQgetvalue(res, i, 0));
    PQclear(res);
    run(admin, "DO $$ DECLARE i record; BEGIN FOR i IN SELECT indexname FROM pg_indexes WHERE tablename ="
               " 'health_history' AND indexname <> 'health_history_pkey' LOOP EXECUTE format('DROP INDEX %I',"
               " i.indexname); END LOOP; END $$");
    run(admin, "ALTER TABLE health_history DROP CONSTRAINT health_history_pkey");
    snprintf(text, sizeof(text),
             "INSERT INTO health_history (id, endpoint_id, status, status_code, latency_ms, checked_at)"
             " SELECT gen_random_uuid(), e.id, s.status, CASE s.status WHEN 'DOWN' THEN 503 ELSE 200 END,"
             "  CASE WHEN s.status = 'UNKNOWN' THEN NULL ELSE 20 + (random() * random() * 900)::int END,"
             "  now() - (%d - k) * %d * interval '1 second'"
             " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM endpoints) e"
             " CROSS JOIN generate_series(1, %d) k"
             " CROSS JOIN LATERAL (SELECT (CASE WHEN (e.n * 7 + k) %% 100 < 90 THEN 'UP'"
             "  WHEN (e.n * 7 + k) %% 100 < 95 THEN 'DEGRADED' WHEN (e.n * 7 + k) %% 100 < 99 THEN 'DOWN'"
             "  ELSE 'UNKNOWN' END)::health_status AS status) s",
             rows, spacing, rows);
    run(admin, text);
    t_rows = now_s();
    run(admin, "ALTER TABLE health_history ADD PRIMARY KEY (id)");
    for (int i = 0; i < nindex; i++) {
        run(admin, indexes[i]);
        free(indexes[i]);
    }
    free(indexes);
    run(admin, "RESET session_replication_role");
    t_index = now_s();
    run(admin, "SELECT mon_health_summaries_rebuild()");
    run(admin, "VACUUM ANALYZE endpoints");
    run(admin, "VACUUM ANALYZE health_history");
    run(admin, "VACUUM ANALYZE endpoint_status");
    run(admin, "VACUUM ANALYZE health_rollup_hourly");
    t_summaries = now_s();
    printf("load: %d endpoints x %d rows = %lld history rows in %.1f s (rows %.1f s, indexes %.1f s,"
           " summaries + analyze %.1f s)\n",
           endpoints, rows, (long long)endpoints * rows, t_summaries - t0, t_rows - t0, t_index - t_rows,
           t_summaries - t_index);
}

static const char *const seed_view_sql =
    "SELECT DISTINCT ON (e.id) e.id, e.name, e.type, e.url, e.enabled, h.status, h.status_code, h.latency_ms,"
    " h.checked_at AS last_check FROM endpoints e LEFT JOIN health_history h ON e.id = h.endpoint_id"
    " ORDER BY e.id, h.checked_at DESC";

static void bench_latest(mon_store *store)
{
    double seed[2], view[RUNS], api[RUNS], seed_best, view_median;

    for (int i = 0; i < 2; i++)
        seed[i] = time_query(admin, seed_view_sql);
    seed_best = seed[0] < seed[1] ? seed[0] : seed[1];
    for (int i = 0; i < RUNS; i++)
        view[i] = time_query(admin, "SELECT * FROM current_endpoint_status");
    for (int i = 0; i < RUNS; i++) {
        mon_status_list *list = NULL;
        double t = now_s();
        int rc = mon_store_status_list(&list, store);
        if (rc != MON_OK)
            fail("status list", rc);
        api[i] = now_s() - t;
        mon_status_list_free(list);
    }
    view_median = median(view, RUNS);
    printf("latest status, seed's original view query (best of 2): %.1f ms\n", seed_best * 1e3);
    printf("latest status, current_endpoint_status view (median of %d): %.2f ms\n", RUNS, view_median * 1e3);
    printf("latest status, mon_store_status_list (median of %d): %.2f ms\n", RUNS, median(api, RUNS) * 1e3);
    printf("latest status vs seed view: %.0f x\n", seed_best / view_median);
}

static double time_uptime(mon_store *store, int64_t window, mon_uptime_list **keep)
{
    double v[RUNS];
    for (int i = 0; i < RUNS; i++) {
        mon_uptime_list *list = NULL;
        double t = now_s();
        int rc = mon_store_uptime(&list, store, NULL, window);
        if (rc != MON_OK)
            fail("uptime", rc);
        v[i] = now_s() - t;
        if (keep && i == RUNS - 1)
            *keep = list;
        else
            mon_uptime_list_free(list);
    }
    return median(v, RUNS);
}

static void bench_uptime(mon_store *store)
{
    mon_uptime_list *list = NULL;
    double t24 = time_uptime(store, 86400, &list), t7 = time_uptime(store, 7 * 86400, NULL),
           t30 = time_uptime(store, 30 * 86400, NULL), plain[2], plain_best, worst = 0;
    PGresult *res;
    int mismatches = 0, rows;

    for (int i = 0; i < 2; i++)
        plain[i] = time_query(
            admin, "SELECT endpoint_id, count(*) FILTER (WHERE status IN ('UP', 'DEGRADED')) * 100.0"
                   " / nullif(count(*) FILTER (WHERE status <> 'UNKNOWN'), 0),"
                   " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)"
                   " FROM health_history WHERE checked_at >= now() - interval '24 hours'"
                   " GROUP BY endpoint_id");
    plain_best = plain[0] < plain[1] ? plain[0] : plain[1];
    printf("uptime + p50/p95/p99, all endpoints, mon_store_uptime (median of %d): 24 h %.1f ms, 7 d %.1f ms,"
           " 30 d %.1f ms\n",
           RUNS, t24 * 1e3, t7 * 1e3, t30 * 1e3);
    printf("uptime + p95 24 h, plain GROUP BY percentile_cont over raw rows (best of 2): %.1f ms\n",
           plain_best * 1e3);
    printf("24h uptime+p95 vs plain GROUP BY: %.0f x\n", plain_best / t24);

    /* Precision: our p95 against the exact nearest-rank value of each endpoint. */
    res = sql(admin, "SELECT e.id, percentile_disc(0.95) WITHIN GROUP (ORDER BY h.latency_ms),"
                     " count(*) FILTER (WHERE h.status IN ('UP', 'DEGRADED')),"
                     " count(*) FILTER (WHERE h.status <> 'UNKNOWN')"
                     " FROM endpoints e JOIN health_history h ON h.endpoint_id = e.id"
                     " AND h.checked_at >= date_trunc('hour', now() - interval '24 hours')"
                     " GROUP BY e.id, e.name ORDER BY e.name, e.id");
    rows = PQntuples(res);
    for (int i = 0; i < rows && (size_t)i < mon_uptime_list_count(list); i++) {
        const mon_uptime_entry *e = mon_uptime_list_at(list, (size_t)i);
        double exact = strtod(PQgetvalue(res, i, 1), NULL), err;
        long long up = strtoll(PQgetvalue(res, i, 2), NULL, 10),
                  counted = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        if (strcmp(e->endpoint_id, PQgetvalue(res, i, 0)) != 0 ||
            (counted && e->uptime_percent != (double)up * 100.0 / (double)counted))
            mismatches++;
        err = exact > 0 ? (e->p95_ms > exact ? e->p95_ms - exact : exact - e->p95_ms) / exact : 0;
        if (err > worst)
            worst = err;
    }
    printf("p95 from rollups vs exact nearest rank: max relative error %.2f %% over %d endpoints;"
           " uptime mismatches: %d\n",
           worst * 100, rows, mismatches);
    PQclear(res);
    mon_uptime_list_free(list);
}

static void bench_overview(mon_store *store, int endpoints)
{
    mon_overview_options options = MON_OVERVIEW_OPTIONS_INIT;
    mon_status_list *status = NULL;
    double v[RUNS], one, old, t;
    size_t bytes = 0;
    int rc;

    options.limit = endpoints < 10000 ? (size_t)endpoints : 10000;
    for (int i = 0; i < RUNS; i++) {
        char *json = NULL;
        t = now_s();
        if ((rc = mon_store_status_overview(&json, store, &options)) != MON_OK)
            fail("overview", rc);
        v[i] = now_s() - t;
        bytes = strlen(json);
        mon_free(json);
    }
    one = median(v, RUNS);
    t = now_s();
    if ((rc = mon_store_status_list(&status, store)) != MON_OK)
        fail("status list", rc);
    for (size_t i = 0; i < mon_status_list_count(status) && i < options.limit; i++) {
        const char *id = mon_status_list_at(status, i)->endpoint_id;
        mon_history_list *history = NULL;
        mon_uptime_list *uptime = NULL;
        char *json = NULL;
        if ((rc = mon_store_history(&history, store, id, 0, 0, 30)) != MON_OK ||
            (rc = mon_history_list_to_json(&json, history)) != MON_OK)
            fail("history", rc);
        mon_free(json);
        mon_history_list_free(history);
        if ((rc = mon_store_uptime(&uptime, store, id, 86400)) != MON_OK ||
            (rc = mon_uptime_list_to_json(&json, uptime)) != MON_OK)
            fail("uptime", rc);
        mon_free(json);
        mon_uptime_list_free(uptime);
    }
    old = now_s() - t;
    mon_status_list_free(status);
    printf("overview of %zu endpoints (uptime 24 h, 30 latest checks), mon_store_status_overview"
           " (median of %d): %.1f ms, %zu bytes\n",
           options.limit, RUNS, one * 1e3, bytes);
    printf("the same as 1 + 2N calls (status list, history and uptime of each endpoint): %.1f ms\n",
           old * 1e3);
    printf("overview vs 1 + 2N calls: %.1f x\n", old / one);
}

static void copy_text(char *out, size_t size, const char *id, int status, int latency, mon_time at)
{
    static const char *const names[] = {"UP", "DOWN", "DEGRADED", "UNKNOWN"};
    time_t secs = (time_t)(at / 1000000);
    struct tm tm;
    char stamp[64];
    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s\t%s\t%d\t%d\t\\N\t%s.%06lldZ\t\\N\t\\N\t\\N\t\\N\n", id, names[status],
             status == 1 ? 503 : 200, latency, stamp, (long long)(at % 1000000));
}

static void bench_insert(mon_store *store, int endpoints)
{
    PGconn *raw = PQconnectdb(url);
    PGresult *res = sql(admin, "SELECT id FROM endpoints ORDER BY id");
    char **ids = calloc((size_t)endpoints, sizeof(*ids));
    mon_check_record *records = calloc(BATCH_ROWS, sizeof(*records));
    const mon_check_record **ptrs = calloc(BATCH_ROWS, sizeof(*ptrs));
    char *text = malloc((size_t)BATCH_ROWS * 200);
    double ours = 0, plain = 0;
    mon_time t0 = wall_us();

    if (PQstatus(raw) != CONNECTION_OK) {
        fprintf(stderr, "store_bench: %s", PQerrorMessage(raw));
        exit(1);
    }
    /* The reference: the same table with every trigger off (summaries and FK). */
    run(raw, "SET session_replication_role = replica");
    for (int i = 0; i < endpoints; i++)
        ids[i] = strdup(PQgetvalue(res, i, 0));
    PQclear(res);
    for (int b = 0; b < BATCHES; b++) {
        size_t len = 0;
        double t;
        for (int j = 0; j < BATCH_ROWS; j++) {
            int n = (b * BATCH_ROWS + j) % endpoints, status = (n + b) % 20 == 0 ? 1 : 0;
            int latency = 20 + (n * 37 + b) % 900;
            mon_time at = t0 + (mon_time)b * 2000000 + j;
            mon_check_record *r = &records[j];
            mon_check_record_init(r, MON_CHECK_RECORD_VERSION);
            snprintf(r->endpoint_id, sizeof(r->endpoint_id), "%s", ids[n]);
            r->status = (mon_status)status;
            r->status_code = status == 1 ? 503 : 200;
            r->latency_ms = latency;
            r->checked_at = at;
            ptrs[j] = r;
        }
        t = now_s();
        for (int j = 0; j < BATCH_ROWS; j++) {
            const mon_check_record *r = &records[j];
            copy_text(text + len, 200, r->endpoint_id, (int)r->status, r->latency_ms,
                      r->checked_at + 1000000);
            len += strlen(text + len);
        }
        res = PQexec(raw, "COPY health_history (endpoint_id, status, status_code, latency_ms, error_message,"
                          " checked_at, dns_ms, connect_ms, tls_ms, ttfb_ms) FROM STDIN");
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            fprintf(stderr, "store_bench: raw COPY: %s", PQerrorMessage(raw));
            exit(1);
        }
        PQclear(res);
        if (PQputCopyData(raw, text, (int)len) != 1 || PQputCopyEnd(raw, NULL) != 1) {
            fprintf(stderr, "store_bench: raw COPY: %s", PQerrorMessage(raw));
            exit(1);
        }
        while ((res = PQgetResult(raw))) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                fprintf(stderr, "store_bench: raw COPY: %s", PQerrorMessage(raw));
                exit(1);
            }
            PQclear(res);
        }
        plain += now_s() - t;
        t = now_s();
        {
            int rc = mon_store_history_insert(store, ptrs, BATCH_ROWS);
            if (rc != MON_OK)
                fail("history insert", rc);
        }
        ours += now_s() - t;
    }
    printf(
        "batch insert, mon_store_history_insert (%d batches of %d rows, summaries maintained): %.0f rows/s\n",
        BATCHES, BATCH_ROWS, BATCHES * BATCH_ROWS / ours);
    printf("raw COPY of the same rows, same table, triggers off: %.0f rows/s\n",
           BATCHES * BATCH_ROWS / plain);
    printf("batch insert vs raw COPY: %.2f x\n", plain / ours);
    for (int i = 0; i < endpoints; i++)
        free(ids[i]);
    free(ids);
    free(records);
    free(ptrs);
    free(text);
    PQfinish(raw);
}

int main(int argc, char **argv)
{
    int endpoints = argc > 2 ? atoi(argv[2]) : 10000, rows = argc > 3 ? atoi(argv[3]) : 1000,
        spacing = argc > 4 ? atoi(argv[4]) : 60, rc;
    mon_store *store = NULL;

    url = argc > 1 ? argv[1] : getenv("DATABASE_URL");
    if (!url || endpoints < 1 || rows < 1 || spacing < 1) {
        fprintf(stderr,
                "usage: store_bench DATABASE_URL [endpoints] [rows_per_endpoint] [seconds_between_rows]\n");
        return 2;
    }
    mon_global_init();
    if ((rc = mon_store_open(&store, url)) != MON_OK)
        fail("open", rc);
    if ((rc = mon_store_migrate(store, NULL)) != MON_OK)
        fail("migrate", rc);
    admin = PQconnectdb(url);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "store_bench: %s", PQerrorMessage(admin));
        return 1;
    }
    load(endpoints, rows, spacing);
    bench_latest(store);
    bench_uptime(store);
    bench_overview(store, endpoints);
    bench_insert(store, endpoints);
    PQfinish(admin);
    mon_store_close(store);
    mon_global_cleanup();
    return 0;
}
