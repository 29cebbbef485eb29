#include "pgtest.h"

#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char cluster_url[1024];
static char fresh_url[1024];
static char cluster_dir[1024];

const char *pgtest_cluster_dir(void)
{
    const char *dir = getenv("MONITORAGE_TEST_PG_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "MONITORAGE_TEST_PG_DIR is not set: run through ctest\n");
        exit(77);
    }
    snprintf(cluster_dir, sizeof(cluster_dir), "%s", dir);
    return cluster_dir;
}

const char *pgtest_cluster_url(void)
{
    char path[1200];
    FILE *file;

    if (cluster_url[0])
        return cluster_url;
    snprintf(path, sizeof(path), "%s/database_url", pgtest_cluster_dir());
    file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "no private PostgreSQL (%s missing): skipping\n", path);
        exit(77);
    }
    if (!fgets(cluster_url, sizeof(cluster_url), file))
        cluster_url[0] = '\0';
    fclose(file);
    cluster_url[strcspn(cluster_url, "\r\n")] = '\0';
    if (!cluster_url[0]) {
        fprintf(stderr, "%s is empty: skipping\n", path);
        exit(77);
    }
    return cluster_url;
}

static PGconn *connect_or_fail(const char *url)
{
    PGconn *conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK)
        ck_abort_msg("cannot connect to test database: %s", PQerrorMessage(conn));
    return conn;
}

void pgtest_exec(const char *url, const char *sql)
{
    PGconn *conn = connect_or_fail(url);
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(conn);
        ck_abort_msg("SQL failed: %s\n%s", sql, message);
    }
    PQclear(res);
    PQfinish(conn);
}

char *pgtest_query_value(const char *url, const char *sql)
{
    PGconn *conn = connect_or_fail(url);
    PGresult *res = PQexec(conn, sql);
    char *value = NULL;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(conn);
        ck_abort_msg("query failed or returned no row: %s\n%s", sql, message);
    }
    if (!PQgetisnull(res, 0, 0))
        value = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return value;
}

long long pgtest_query_ll(const char *url, const char *sql)
{
    char *value = pgtest_query_value(url, sql);
    long long number;
    ck_assert_msg(value != NULL, "query returned NULL: %s", sql);
    number = strtoll(value, NULL, 10);
    free(value);
    return number;
}

/* Our cluster URLs are postgresql://postgres@/DBNAME?host=...; swap DBNAME. */
static void url_with_database(char *out, size_t size, const char *url, const char *database)
{
    const char *path = strstr(url, "@/");
    const char *query = strchr(url, '?');
    ck_assert_msg(path && query && query > path, "unexpected cluster URL %s", url);
    snprintf(out, size, "%.*s@/%s%s", (int)(path - url), url, database, query);
}

const char *pgtest_fresh_database(const char *suite)
{
    char database[128], sql[512];
    const char *url = pgtest_cluster_url();

    snprintf(database, sizeof(database), "t_%s_%ld", suite, (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", database);
    pgtest_exec(url, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", database);
    pgtest_exec(url, sql);
    url_with_database(fresh_url, sizeof(fresh_url), url, database);
    return fresh_url;
}

mon_store *pgtest_fresh_store(const char *suite, const char **url)
{
    const char *fresh = pgtest_fresh_database(suite);
    mon_store *store = NULL;
    ck_assert_msg(mon_store_open(&store, fresh) == MON_OK, "open: %s", mon_error_last());
    ck_assert_msg(mon_store_migrate(store, NULL) == MON_OK, "migrate: %s", mon_error_last());
    if (url)
        *url = fresh;
    return store;
}

void pgtest_create_endpoint(mon_store *store, char id[37], const char *name, mon_endpoint_type type,
                            int enabled)
{
    mon_endpoint *ep = NULL;
    char link[200];
    snprintf(link, sizeof(link), "https://%s.example.test/", name);
    ck_assert_int_eq(mon_endpoint_new(&ep), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_name(ep, name), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_type(ep, type), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_url(ep, link), MON_OK);
    ck_assert_int_eq(mon_endpoint_set_enabled(ep, enabled), MON_OK);
    ck_assert_msg(mon_store_endpoint_create(store, ep) == MON_OK, "create %s: %s", name, mon_error_last());
    snprintf(id, 37, "%s", mon_endpoint_get_id(ep));
    mon_endpoint_free(ep);
}

mon_check_record pgtest_record(const char *id, mon_status status, int latency_ms, mon_time at)
{
    mon_check_record r = MON_CHECK_RECORD_INIT;
    snprintf(r.endpoint_id, sizeof(r.endpoint_id), "%s", id);
    r.status = status;
    r.status_code = status == MON_STATUS_DOWN ? 503 : 200;
    r.latency_ms = latency_ms;
    r.checked_at = at;
    return r;
}

mon_time pgtest_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (mon_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
