/* Health history: batched COPY writes, reads by range, latest status,
 * uptime and latency percentiles from the hourly rollups, retention. The
 * summaries themselves are kept by triggers (migrations/003_*.sql). */
#include "error_priv.h"
#include "copybuf.h"
#include "store_priv.h"
#include "timeutil.h"

#include <jansson.h>
#include <math.h> /* isfinite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rollup histogram (mon_latency_bucket() in SQL): bucket 0 holds < 1 ms,
 * bucket b >= 1 holds [1.1^(b-1), 1.1^b) ms, the last is open-ended. */
#define HIST_BUCKETS 128
#define HIST_RATIO 1.1
#define HIST_RATIO_SQRT 1.0488088481701516

/* Windows shorter than this are computed exactly from the raw rows. */
#define RAW_WINDOW_MAX_SECONDS 7200
#define WINDOW_MIN_SECONDS 60
#define WINDOW_MAX_SECONDS (31 * 86400)

/* Rows deleted per statement by retention, each its own short transaction. */
#define RETENTION_BATCH 10000

static const char *const status_names[] = {"UP", "DOWN", "DEGRADED", "UNKNOWN"};

const char *mon_status_name(mon_status status)
{
    return (unsigned)status < sizeof(status_names) / sizeof(status_names[0]) ? status_names[status] : NULL;
}

int mon_status_parse(mon_status *out, const char *name)
{
    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, status_names[i]) == 0) {
            *out = (mon_status)i;
            return MON_OK;
        }
    return mon__error(MON_EINVAL, "status", "must be UP, DOWN, DEGRADED or UNKNOWN");
}

int mon_check_record_init(mon_check_record *record, unsigned int version)
{
    static const mon_check_record defaults = MON_CHECK_RECORD_INIT;
    if (!record)
        return mon__error(MON_EINVAL, "record", "must not be NULL");
    if (version != MON_CHECK_RECORD_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown mon_check_record version %u", version);
    *record = defaults;
    return MON_OK;
}

/* ------------------------------------------------------------------ insert */

static int check_record(const mon_check_record *r, size_t i)
{
    char field[64];
    static const char *const timing_names[4] = {"dns_ms", "connect_ms", "tls_ms", "ttfb_ms"};

    if (!r)
        return mon__error(MON_EINVAL, "records", "records[%zu] is NULL", i);
    const double timings[4] = {r->dns_ms, r->connect_ms, r->tls_ms, r->ttfb_ms};
#define FIELD(name) (snprintf(field, sizeof(field), "records[%zu].%s", i, name), field)
    if (r->version != MON_CHECK_RECORD_VERSION)
        return mon__error(MON_EVERSION, FIELD("version"), "unknown mon_check_record version %u", r->version);
    if (!mon__uuid_valid(r->endpoint_id))
        return mon__error(MON_EINVAL, FIELD("endpoint_id"), "not a UUID");
    if (!mon_status_name(r->status))
        return mon__error(MON_EINVAL, FIELD("status"), "not a mon_status (%d)", (int)r->status);
    if (r->status_code < 0 || r->status_code > 999)
        return mon__error(MON_EINVAL, FIELD("status_code"), "must be 0 (none) or 1..999");
    if (r->latency_ms < -1)
        return mon__error(MON_EINVAL, FIELD("latency_ms"), "must be -1 (unknown) or >= 0");
    if (r->checked_at < 0)
        return mon__error(MON_EINVAL, FIELD("checked_at"), "must be 0 (now) or a time after 1970");
    for (int t = 0; t < 4; t++)
        if (!(timings[t] == -1 || (timings[t] >= 0 && isfinite(timings[t]))))
            return mon__error(MON_EINVAL, FIELD(timing_names[t]),
                              "must be -1 (unknown) or a finite value >= 0");
#undef FIELD
    return MON_OK;
}

static void copy_row(struct mon__copybuf *b, const mon_check_record *r, mon_time now)
{
    char text[MON__TIME_TEXT_MAX + 32];
    const double timings[4] = {r->dns_ms, r->connect_ms, r->tls_ms, r->ttfb_ms};

    mon__copybuf_str(b, r->endpoint_id);
    mon__copybuf_str(b, "\t");
    mon__copybuf_str(b, status_names[r->status]);
    if (r->status_code > 0)
        snprintf(text, sizeof(text), "\t%d", r->status_code);
    else
        snprintf(text, sizeof(text), "\t\\N");
    mon__copybuf_str(b, text);
    if (r->latency_ms >= 0)
        snprintf(text, sizeof(text), "\t%d\t", r->latency_ms);
    else
        snprintf(text, sizeof(text), "\t\\N\t");
    mon__copybuf_str(b, text);
    if (r->error_message)
        mon__copybuf_text(b, r->error_message);
    else
        mon__copybuf_str(b, "\\N");
    mon__copybuf_str(b, "\t");
    mon__time_format(text, r->checked_at ? r->checked_at : now);
    mon__copybuf_str(b, text);
    for (int t = 0; t < 4; t++) {
        if (timings[t] >= 0)
            snprintf(text, sizeof(text), "\t%.3f", timings[t]);
        else
            snprintf(text, sizeof(text), "\t\\N");
        mon__copybuf_str(b, text);
    }
    mon__copybuf_str(b, "\n");
}

/* Finish a COPY: every result until NULL; the first failure is recorded. */
static int copy_finish(PGconn *conn)
{
    PGresult *res;
    int rc = MON_OK;
    while ((res = PQgetResult(conn))) {
        if (rc == MON_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = mon__store_result_error(conn, res, "insert history");
        PQclear(res);
    }
    return rc;
}

int mon_store_history_insert(mon_store *store, const mon_check_record *const *records, size_t count)
{
    struct mon__copybuf b = {0};
    mon_time now = mon__time_now();
    PGconn *conn;
    PGresult *res;
    int rc;

    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (count == 0)
        return MON_OK;
    if (!records)
        return mon__error(MON_EINVAL, "records", "must not be NULL");
    for (size_t i = 0; i < count; i++)
        if ((rc = check_record(records[i], i)) != MON_OK)
            return rc;
    for (size_t i = 0; i < count; i++)
        copy_row(&b, records[i], now);
    if (b.failed) {
        free(b.data);
        return mon__error_nomem();
    }
    if (!(conn = mon__store_conn(store))) {
        free(b.data);
        return MON_ECONN;
    }
    /* One COPY is one statement, hence one transaction: all rows or none. */
    res = PQexec(conn, "COPY health_history (endpoint_id, status, status_code, latency_ms, error_message,"
                       " checked_at, dns_ms, connect_ms, tls_ms, ttfb_ms) FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = mon__store_result_error(conn, res, "insert history");
        PQclear(res);
        free(b.data);
        return rc;
    }
    PQclear(res);
    if (PQputCopyData(conn, b.data, (int)b.len) != 1 || PQputCopyEnd(conn, NULL) != 1)
        rc = mon__store_result_error(conn, NULL, "insert history");
    else
        rc = MON_OK;
    {
        int finish_rc = copy_finish(conn);
        if (rc == MON_OK)
            rc = finish_rc;
    }
    free(b.data);
    return rc;
}

/* ------------------------------------------------------------------- reads */

static int parse_time_or_zero(const PGresult *res, int row, int col, mon_time *out)
{
    *out = 0;
    if (PQgetisnull(res, row, col))
        return MON_OK;
    if (mon__time_parse(out, PQgetvalue(res, row, col)) != MON_OK)
        return mon__error(MON_EDB, PQfname(res, col), "unreadable time stamp from the database");
    return MON_OK;
}

static const char *text_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int int_or(const PGresult *res, int row, int col, int fallback)
{
    return PQgetisnull(res, row, col) ? fallback : atoi(PQgetvalue(res, row, col));
}

static double double_or(const PGresult *res, int row, int col, double fallback)
{
    return PQgetisnull(res, row, col) ? fallback : strtod(PQgetvalue(res, row, col), NULL);
}

static mon_status status_of(const char *name)
{
    mon_status status = MON_STATUS_UNKNOWN;
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, status_names[i]) == 0)
            status = (mon_status)i;
    return status;
}

/* The lists keep the PGresult: their strings point into it. */
struct mon_history_list {
    PGresult *res;
    mon_history_entry *items;
    size_t count;
};

struct mon_status_list {
    PGresult *res;
    mon_status_entry *items;
    size_t count;
};

struct mon_uptime_list {
    PGresult *res;
    mon_uptime_entry *items;
    size_t count;
};

static int endpoint_exists(mon_store *store, const char *id)
{
    const char *params[1] = {id};
    int rc;
    PGresult *res = mon__store_exec(store, "read endpoint", "SELECT 1 FROM endpoints WHERE id = $1", 1,
                                    params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rc = PQntuples(res) > 0 ? MON_OK : mon__error(MON_ENOTFOUND, "endpoint_id", "no endpoint with id %s", id);
    PQclear(res);
    return rc;
}

int mon_store_history(mon_history_list **out, mon_store *store, const char *endpoint_id, mon_time from,
                      mon_time to, size_t limit)
{
    char from_text[MON__TIME_TEXT_MAX], to_text[MON__TIME_TEXT_MAX], limit_text[24];
    const char *params[4];
    mon_history_list *list;
    PGresult *res;
    int rc, rows;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (!endpoint_id || !mon__uuid_valid(endpoint_id))
        return mon__error(MON_EINVAL, "endpoint_id", "not a UUID");
    if (limit < 1 || limit > 10000)
        return mon__error(MON_EINVAL, "limit", "must be 1..10000, not %zu", limit);
    if (from < 0 || to < 0 || (from && to && to <= from))
        return mon__error(MON_EINVAL, "to", "the range must be from < to (0 for an open end)");
    mon__time_format(from_text, from);
    mon__time_format(to_text, to);
    snprintf(limit_text, sizeof(limit_text), "%zu", limit);
    params[0] = endpoint_id;
    params[1] = from ? from_text : NULL;
    params[2] = to ? to_text : NULL;
    params[3] = limit_text;
    res =
        mon__store_exec(store, "read history",
                        "SELECT id, endpoint_id, status, status_code, latency_ms, error_message, checked_at,"
                        " dns_ms, connect_ms, tls_ms, ttfb_ms FROM health_history WHERE endpoint_id = $1"
                        " AND ($2::timestamptz IS NULL OR checked_at >= $2)"
                        " AND ($3::timestamptz IS NULL OR checked_at < $3)"
                        " ORDER BY checked_at DESC, id DESC LIMIT $4",
                        4, params, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rows = PQntuples(res);
    if (rows == 0 && (rc = endpoint_exists(store, endpoint_id)) != MON_OK) {
        PQclear(res);
        return rc;
    }
    list = calloc(1, sizeof(*list));
    if (!list || (rows > 0 && !(list->items = calloc((size_t)rows, sizeof(*list->items))))) {
        free(list);
        PQclear(res);
        return mon__error_nomem();
    }
    list->res = res;
    for (int row = 0; row < rows && rc == MON_OK; row++) {
        mon_history_entry *e = &list->items[row];
        e->version = MON_HISTORY_ENTRY_VERSION;
        e->id = PQgetvalue(res, row, 0);
        e->endpoint_id = PQgetvalue(res, row, 1);
        e->status = status_of(PQgetvalue(res, row, 2));
        e->status_code = int_or(res, row, 3, 0);
        e->latency_ms = int_or(res, row, 4, -1);
        e->error_message = text_or_null(res, row, 5);
        rc = parse_time_or_zero(res, row, 6, &e->checked_at);
        e->dns_ms = double_or(res, row, 7, -1);
        e->connect_ms = double_or(res, row, 8, -1);
        e->tls_ms = double_or(res, row, 9, -1);
        e->ttfb_ms = double_or(res, row, 10, -1);
        list->count++;
    }
    if (rc != MON_OK) {
        mon_history_list_free(list);
        return rc;
    }
    *out = list;
    return MON_OK;
}

size_t mon_history_list_count(const mon_history_list *list)
{
    return list ? list->count : 0;
}

const mon_history_entry *mon_history_list_at(const mon_history_list *list, size_t index)
{
    return list && index < list->count ? &list->items[index] : NULL;
}

void mon_history_list_free(mon_history_list *list)
{
    if (!list)
        return;
    PQclear(list->res);
    free(list->items);
    free(list);
}

int mon__status_entry_from_row(mon_status_entry *e, const PGresult *res, int row)
{
    mon_endpoint_type type = MON_ENDPOINT_APIM;
    int rc = MON_OK;

    e->version = MON_STATUS_ENTRY_VERSION;
    e->endpoint_id = PQgetvalue(res, row, 0);
    e->name = PQgetvalue(res, row, 1);
    if (mon_endpoint_type_parse(&type, PQgetvalue(res, row, 2)) != MON_OK)
        rc = mon__error(MON_EDB, "type", "unknown endpoint type from the database");
    e->type = type;
    e->url = PQgetvalue(res, row, 3);
    e->enabled = PQgetvalue(res, row, 4)[0] == 't';
    e->status = status_of(text_or_null(res, row, 5));
    e->status_code = int_or(res, row, 6, 0);
    e->latency_ms = int_or(res, row, 7, -1);
    e->error_message = text_or_null(res, row, 8);
    if (rc == MON_OK)
        rc = parse_time_or_zero(res, row, 9, &e->last_check);
    return rc;
}

static const struct mon__stmt status_stmt = {
    "mon_status_list", "SELECT e.id, e.name, e.type, e.url, e.enabled, s.status, s.status_code, s.latency_ms,"
                       " s.error_message, s.checked_at FROM endpoints e"
                       " LEFT JOIN endpoint_status s ON s.endpoint_id = e.id ORDER BY e.name, e.id"};

int mon_store_status_list(mon_status_list **out, mon_store *store)
{
    mon_status_list *list;
    PGresult *res;
    int rc = MON_OK, rows;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    res = mon__store_exec_prepared(store, "read latest status", &status_stmt, 0, NULL, MON__EXEC_RETRY, &rc);
    if (!res)
        return rc;
    rows = PQntuples(res);
    list = calloc(1, sizeof(*list));
    if (!list || (rows > 0 && !(list->items = calloc((size_t)rows, sizeof(*list->items))))) {
        free(list);
        PQclear(res);
        return mon__error_nomem();
    }
    list->res = res;
    for (int row = 0; row < rows && rc == MON_OK; row++) {
        rc = mon__status_entry_from_row(&list->items[row], res, row);
        list->count++;
    }
    if (rc != MON_OK) {
        mon_status_list_free(list);
        return rc;
    }
    *out = list;
    return MON_OK;
}

size_t mon_status_list_count(const mon_status_list *list)
{
    return list ? list->count : 0;
}

const mon_status_entry *mon_status_list_at(const mon_status_list *list, size_t index)
{
    return list && index < list->count ? &list->items[index] : NULL;
}

void mon_status_list_free(mon_status_list *list)
{
    if (!list)
        return;
    PQclear(list->res);
    free(list->items);
    free(list);
}

/* ------------------------------------------------------------------ uptime */

/* Value reported for a bucket: the geometric middle of its bounds, so any
 * latency in it is within sqrt(1.1) - 1 < 4.9 % of the value reported (the
 * open-ended last bucket reports its lower bound). */
static double bucket_value(int bucket)
{
    double lower = 1;
    if (bucket == 0)
        return 0;
    for (int b = 1; b < bucket; b++)
        lower *= HIST_RATIO;
    return bucket == HIST_BUCKETS - 1 ? lower : lower * HIST_RATIO_SQRT;
}

/* Add (sign +1) or subtract (-1) the counters of a histogram fetched in
 * binary format (mon_hist_add() in SQL: a 16-byte bitmap of the buckets set,
 * bucket b at bit b & 7 of byte b >> 3, then a 4-byte big-endian counter per
 * bucket set, in bucket order). NULL adds nothing. */
static int add_hist(long long hist[HIST_BUCKETS], const PGresult *res, int row, int col, int sign)
{
    const unsigned char *bytes = (const unsigned char *)PQgetvalue(res, row, col);
    int length = PQgetlength(res, row, col), at = HIST_BUCKETS / 8;
    if (PQgetisnull(res, row, col))
        return MON_OK;
    for (int b = 0; b < HIST_BUCKETS && length >= at; b++) {
        const unsigned char *p = bytes + at;
        if (!(bytes[b >> 3] >> (b & 7) & 1))
            continue;
        if (length - at < 4)
            break;
        hist[b] += sign * (long long)((unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
                                      (unsigned long)p[2] << 8 | p[3]);
        at += 4;
    }
    if (length != at)
        return mon__error(MON_EDB, "hist", "unreadable latency histogram from the database");
    return MON_OK;
}

/* Nearest-rank percentile (as percentile_disc) of a histogram holding n values. */
static double hist_percentile(const long long hist[HIST_BUCKETS], long long n, int percent)
{
    long long rank = (n * percent + 99) / 100, seen = 0;
    if (rank < 1)
        rank = 1;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank)
            return bucket_value(b);
    }
    return bucket_value(HIST_BUCKETS - 1);
}

double mon__uptime_percent(int64_t up, int64_t degraded, int64_t down)
{
    int64_t counted = up + degraded + down;
    return counted > 0 ? (double)(up + degraded) * 100.0 / (double)counted : -1;
}

int mon_store_uptime(mon_uptime_list **out, mon_store *store, const char *endpoint_id, int64_t window_seconds)
{
    char window_text[24];
    const char *params[2];
    mon_uptime_list *list;
    PGresult *res;
    int rc, rows, raw, reset;

    if (!out || !store)
        return mon__error(MON_EINVAL, out ? "store" : "out", "must not be NULL");
    *out = NULL;
    if (endpoint_id && !mon__uuid_valid(endpoint_id))
        return mon__error(MON_EINVAL, "endpoint_id", "not a UUID");
    if (window_seconds < WINDOW_MIN_SECONDS || window_seconds > WINDOW_MAX_SECONDS)
        return mon__error(MON_EINVAL, "window_seconds", "must be %d..%d (60 s to 31 days), not %lld",
                          WINDOW_MIN_SECONDS, WINDOW_MAX_SECONDS, (long long)window_seconds);
    snprintf(window_text, sizeof(window_text), "%lld", (long long)window_seconds);
    params[0] = window_text;
    params[1] = endpoint_id;
    raw = window_seconds < RAW_WINDOW_MAX_SECONDS;
    if (raw)
        res =
            mon__store_exec(store, "compute uptime",
                            "SELECT e.id, count(h.status) FILTER (WHERE h.status = 'UP'),"
                            " count(h.status) FILTER (WHERE h.status = 'DOWN'),"
                            " count(h.status) FILTER (WHERE h.status = 'DEGRADED'),"
                            " count(h.status) FILTER (WHERE h.status = 'UNKNOWN'),"
                            " percentile_disc(0.5) WITHIN GROUP (ORDER BY h.latency_ms),"
                            " percentile_disc(0.95) WITHIN GROUP (ORDER BY h.latency_ms),"
                            " percentile_disc(0.99) WITHIN GROUP (ORDER BY h.latency_ms)"
                            " FROM (SELECT id, name FROM endpoints WHERE $2::uuid IS NULL OR id = $2) e"
                            " LEFT JOIN health_history h ON h.endpoint_id = e.id"
                            " AND h.checked_at >= now() - $1 * interval '1 second' AND h.checked_at <= now()"
                            " GROUP BY e.id, e.name ORDER BY e.name, e.id",
                            2, params, MON__EXEC_RETRY, &rc);
    else {
        /* mon_rollup_window() is inlined into this query; the planner's estimate would turn JIT on,
         * whose compilation costs more than the query (migrations/003_status_and_rollups.sql). */
        if ((rc = mon__store_jit(store, "compute uptime", 0)) != MON_OK)
            return rc;
        res = mon__store_exec(store, "compute uptime",
                              /* Binary results carry the histograms as raw bytes; the
                               * other columns, cast to text, arrive as text. */
                              "SELECT endpoint_id::text, up::text, down::text, degraded::text, unknown::text,"
                              " newest_hist, before_hist"
                              " FROM mon_rollup_window(now() - $1 * interval '1 second', $2)",
                              2, params, MON__EXEC_RETRY | MON__EXEC_BINARY, &rc);
        reset = mon__store_jit(store, "compute uptime", 1);
        if (res && reset != MON_OK) {
            PQclear(res);
            return reset;
        }
    }
    if (!res)
        return rc;
    rows = PQntuples(res);
    if (rows == 0 && endpoint_id) {
        PQclear(res);
        return mon__error(MON_ENOTFOUND, "endpoint_id", "no endpoint with id %s", endpoint_id);
    }
    list = calloc(1, sizeof(*list));
    if (!list || (rows > 0 && !(list->items = calloc((size_t)rows, sizeof(*list->items))))) {
        free(list);
        PQclear(res);
        return mon__error_nomem();
    }
    list->res = res;
    for (int row = 0; row < rows; row++) {
        mon_uptime_entry *e = &list->items[row];
        e->version = MON_UPTIME_ENTRY_VERSION;
        e->endpoint_id = PQgetvalue(res, row, 0);
        e->window_seconds = window_seconds;
        e->up = strtoll(PQgetvalue(res, row, 1), NULL, 10);
        e->down = strtoll(PQgetvalue(res, row, 2), NULL, 10);
        e->degraded = strtoll(PQgetvalue(res, row, 3), NULL, 10);
        e->unknown = strtoll(PQgetvalue(res, row, 4), NULL, 10);
        e->checks = e->up + e->down + e->degraded + e->unknown;
        e->uptime_percent = mon__uptime_percent(e->up, e->degraded, e->down);
        if (raw) {
            e->p50_ms = double_or(res, row, 5, -1);
            e->p95_ms = double_or(res, row, 6, -1);
            e->p99_ms = double_or(res, row, 7, -1);
        } else {
            long long hist[HIST_BUCKETS] = {0}, n = 0;
            if ((rc = add_hist(hist, res, row, 5, 1)) != MON_OK ||
                (rc = add_hist(hist, res, row, 6, -1)) != MON_OK) {
                mon_uptime_list_free(list);
                return rc;
            }
            for (int b = 0; b < HIST_BUCKETS; b++)
                n += hist[b];
            e->p50_ms = n > 0 ? hist_percentile(hist, n, 50) : -1;
            e->p95_ms = n > 0 ? hist_percentile(hist, n, 95) : -1;
            e->p99_ms = n > 0 ? hist_percentile(hist, n, 99) : -1;
        }
        list->count++;
    }
    *out = list;
    return MON_OK;
}

size_t mon_uptime_list_count(const mon_uptime_list *list)
{
    return list ? list->count : 0;
}

const mon_uptime_entry *mon_uptime_list_at(const mon_uptime_list *list, size_t index)
{
    return list && index < list->count ? &list->items[index] : NULL;
}

void mon_uptime_list_free(mon_uptime_list *list)
{
    if (!list)
        return;
    PQclear(list->res);
    free(list->items);
    free(list);
}

/* --------------------------------------------------------------------- JSON */

static json_t *json_time(mon_time t)
{
    char text[MON__TIME_TEXT_MAX];
    if (!t)
        return json_null();
    mon__time_format(text, t);
    return json_string(text);
}

static json_t *json_text(const char *text)
{
    return text ? json_string(text) : json_null();
}

static json_t *json_ms(double ms)
{
    return ms >= 0 ? json_real(ms) : json_null();
}

/* Dump an array built by the caller into *out; takes the array. */
static int dump_array(char **out, json_t *array, int failed)
{
    if (!out) {
        json_decref(array);
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    }
    *out = failed || !array ? NULL : json_dumps(array, JSON_COMPACT);
    json_decref(array);
    return *out ? MON_OK : mon__error_nomem();
}

int mon_history_list_to_json(char **out, const mon_history_list *list)
{
    json_t *array = json_array();
    int failed = !array;
    if (!list) {
        json_decref(array);
        return mon__error(MON_EINVAL, "list", "must not be NULL");
    }
    for (size_t i = 0; i < list->count && !failed; i++) {
        const mon_history_entry *e = &list->items[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", e->id,
                              "endpoint_id", e->endpoint_id, "status", status_names[e->status], "status_code",
                              e->status_code ? json_integer(e->status_code) : json_null(), "latency_ms",
                              e->latency_ms >= 0 ? json_integer(e->latency_ms) : json_null(), "error_message",
                              json_text(e->error_message), "checked_at", json_time(e->checked_at), "dns_ms",
                              json_ms(e->dns_ms), "connect_ms", json_ms(e->connect_ms), "tls_ms",
                              json_ms(e->tls_ms), "ttfb_ms", json_ms(e->ttfb_ms));
        failed = !o || json_array_append_new(array, o) != 0;
    }
    return dump_array(out, array, failed);
}

void mon__status_entry_json(struct mon__copybuf *b, const mon_status_entry *e)
{
    mon__copybuf_str(b, "\"endpoint_id\":");
    mon__copybuf_json_string(b, e->endpoint_id);
    mon__copybuf_str(b, ",\"name\":");
    mon__copybuf_json_string(b, e->name);
    mon__copybuf_str(b, ",\"type\":\"");
    mon__copybuf_str(b, mon_endpoint_type_name(e->type));
    mon__copybuf_str(b, "\",\"url\":");
    mon__copybuf_json_string(b, e->url);
    mon__copybuf_str(b, e->enabled ? ",\"enabled\":true,\"status\":\"" : ",\"enabled\":false,\"status\":\"");
    mon__copybuf_str(b, status_names[e->status]);
    mon__copybuf_str(b, "\",\"status_code\":");
    if (e->status_code)
        mon__copybuf_int(b, e->status_code);
    else
        mon__copybuf_str(b, "null");
    mon__copybuf_str(b, ",\"latency_ms\":");
    if (e->latency_ms >= 0)
        mon__copybuf_int(b, e->latency_ms);
    else
        mon__copybuf_str(b, "null");
    mon__copybuf_str(b, ",\"error_message\":");
    if (e->error_message)
        mon__copybuf_json_string(b, e->error_message);
    else
        mon__copybuf_str(b, "null");
    mon__copybuf_str(b, ",\"last_check\":");
    if (e->last_check) {
        char text[MON__TIME_TEXT_MAX];
        mon__time_format(text, e->last_check);
        mon__copybuf_json_string(b, text);
    } else {
        mon__copybuf_str(b, "null");
    }
}

/* Written as text, not built from Jansson objects: at 10,000 endpoints the
 * objects cost several times the query (see docs/performance.md). Same text
 * as json_dumps(JSON_COMPACT) would give. */
int mon_status_list_to_json(char **out, const mon_status_list *list)
{
    struct mon__copybuf b = {NULL, 0, 0, 0};

    if (!out || !list)
        return mon__error(MON_EINVAL, out ? "list" : "out", "must not be NULL");
    *out = NULL;
    mon__copybuf_add(&b, "[", 1);
    for (size_t i = 0; i < list->count; i++) {
        mon__copybuf_str(&b, i ? ",{" : "{");
        mon__status_entry_json(&b, &list->items[i]);
        mon__copybuf_add(&b, "}", 1);
    }
    mon__copybuf_add(&b, "]", 2); /* with the terminating NUL */
    if (b.failed) {
        free(b.data);
        return mon__error_nomem();
    }
    *out = b.data;
    return MON_OK;
}

int mon_uptime_list_to_json(char **out, const mon_uptime_list *list)
{
    json_t *array = json_array();
    int failed = !array;
    if (!list) {
        json_decref(array);
        return mon__error(MON_EINVAL, "list", "must not be NULL");
    }
    for (size_t i = 0; i < list->count && !failed; i++) {
        const mon_uptime_entry *e = &list->items[i];
        json_t *o =
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "endpoint_id",
                      e->endpoint_id, "window_seconds", (json_int_t)e->window_seconds, "checks",
                      (json_int_t)e->checks, "up", (json_int_t)e->up, "degraded", (json_int_t)e->degraded,
                      "down", (json_int_t)e->down, "unknown", (json_int_t)e->unknown, "uptime_percent",
                      e->uptime_percent >= 0 ? json_real(e->uptime_percent) : json_null(), "p50_ms",
                      json_ms(e->p50_ms), "p95_ms", json_ms(e->p95_ms), "p99_ms", json_ms(e->p99_ms));
        failed = !o || json_array_append_new(array, o) != 0;
    }
    return dump_array(out, array, failed);
}

/* --------------------------------------------------------------- retention */

/* Run sql (params: the cutoff, the batch size) until a batch deletes fewer
 * than RETENTION_BATCH rows; each batch is its own short transaction. The
 * rows deleted so far are added to *total (may be NULL), also on failure. */
static int delete_in_batches(mon_store *store, const char *what, const char *sql, const char *const *params,
                             int64_t *total)
{
    int rc;
    for (;;) {
        PGresult *res = mon__store_exec(store, what, sql, 2, params, MON__EXEC_RETRY, &rc);
        int64_t n;
        if (!res)
            return rc;
        n = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        if (total)
            *total += n;
        if (n < RETENTION_BATCH)
            return MON_OK;
    }
}

int mon_store_retention_apply(mon_store *store, int64_t older_than_seconds, int64_t *deleted)
{
    char cutoff_text[MON__TIME_TEXT_MAX];
    char batch_text[24];
    const char *params[2] = {cutoff_text, batch_text};
    int64_t total = 0;
    int rc;

    if (deleted)
        *deleted = 0;
    if (!store)
        return mon__error(MON_EINVAL, "store", "must not be NULL");
    if (older_than_seconds < 86400 || older_than_seconds > INT64_MAX / 1000000)
        return mon__error(MON_EINVAL, "older_than_seconds", "must be at least 86400 (one day)");
    /* A fixed cutoff, so that the batches agree on it. */
    mon__time_format(cutoff_text, mon__time_now() - older_than_seconds * 1000000);
    snprintf(batch_text, sizeof(batch_text), "%d", RETENTION_BATCH);
    rc = delete_in_batches(store, "delete old history",
                           "DELETE FROM health_history WHERE ctid = ANY (ARRAY(SELECT ctid"
                           " FROM health_history WHERE checked_at < $1 LIMIT $2))",
                           params, &total);
    if (deleted)
        *deleted = total;
    if (rc != MON_OK)
        return rc;
    /* Rollup hours that ended before the cutoff go too; the running totals
     * of those endpoints then no longer start at zero (see docs/store.md). */
    {
        PGresult *res = mon__store_exec(
            store, "delete old rollups",
            "WITH gone AS (DELETE FROM health_rollup_hourly WHERE hour + interval '1 hour' <= $1"
            " RETURNING endpoint_id)"
            " UPDATE endpoint_status SET rollup_trimmed = true,"
            " rollup_first_hour = greatest(rollup_first_hour, date_trunc('hour', $1::timestamptz))"
            " WHERE endpoint_id IN (SELECT endpoint_id FROM gone)",
            1, params, MON__EXEC_RETRY, &rc);
        PQclear(res);
    }
    if (rc != MON_OK)
        return rc;
    /* Finished notifications (sent, failed, skipped) created before the
     * cutoff; pending ones are kept whatever their age (docs/notifications.md). */
    return delete_in_batches(store, "delete old notifications",
                             "DELETE FROM notification_outbox WHERE ctid = ANY (ARRAY(SELECT ctid"
                             " FROM notification_outbox WHERE created_at < $1 AND status <> 'pending'"
                             " LIMIT $2))",
                             params, NULL);
}
