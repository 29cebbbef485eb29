#ifndef MONITORAGE_TEST_PGTEST_H
#define MONITORAGE_TEST_PGTEST_H

/*
 * Access to the private PostgreSQL cluster that CTest's "postgres" fixture
 * starts (scripts/pg-private). Without it the calling suite exits 77 (skip).
 */

#include <monitorage/monitorage.h>

/* URL of the cluster's "monitorage" database. Static string. */
const char *pgtest_cluster_url(void);

/*
 * Drop and create a database named after the suite (plus the process id) and
 * return its URL (static per process, overwritten by the next call). Every
 * integration suite works in its own database so suites can run in parallel.
 */
const char *pgtest_fresh_database(const char *suite);

/*
 * pgtest_fresh_database(suite) opened and migrated (mon_store_migrate()); its
 * URL goes into *url when url is not NULL. Fails the test on error. Close the
 * store with mon_store_close().
 */
mon_store *pgtest_fresh_store(const char *suite, const char **url);

/*
 * Create an endpoint named name of type in store, with URL
 * https://<name>.example.test/ and enabled as given; its id goes into id.
 * Fails the test on error.
 */
void pgtest_create_endpoint(mon_store *store, char id[37], const char *name, mon_endpoint_type type,
                            int enabled);

/* A check result of endpoint id: status, latency and time as given, HTTP 503 when DOWN, else 200. */
mon_check_record pgtest_record(const char *id, mon_status status, int latency_ms, mon_time at);

/* The wall clock (CLOCK_REALTIME) in microseconds since the epoch. */
mon_time pgtest_now_us(void);

/* Run SQL on url as superuser; aborts the test with the server's message on error. */
void pgtest_exec(const char *url, const char *sql);

/* Run a query returning one value; returns a malloc'd string (NULL for SQL NULL). */
char *pgtest_query_value(const char *url, const char *sql);

/* Same, parsed as a long long. */
long long pgtest_query_ll(const char *url, const char *sql);

/* Directory of the private cluster (for pg_ctl stop/start in fault tests). */
const char *pgtest_cluster_dir(void);

#endif
