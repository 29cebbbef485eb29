/* Secrets benchmark: sealing and opening a typical credential with each AEAD,
 * and rotating N stored credentials against a plain rewrite of the same rows.
 *   secret_bench DATABASE_URL [N]      (run by scripts/bench secret) */
#include <monitorage/monitorage.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "secret_bench: %s: %s\n", what, mon_error_last());
    exit(1);
}

static void sql(PGconn *conn, const char *text)
{
    PGresult *res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "secret_bench: %s: %s", text, PQerrorMessage(conn));
        exit(1);
    }
    PQclear(res);
}

/* Seal and open `rounds` times; returns ops per second for each. */
static void aead(const mon_secret_key *key, mon_secret_alg alg, int rounds, double *seal_rate,
                 double *open_rate)
{
    static const char credential[] = "{\"token\":\"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\"}";
    mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
    char *text = NULL;
    double t0;
    opts.alg = alg;
    t0 = now();
    for (int i = 0; i < rounds; i++) {
        mon_free(text);
        if (mon_secret_encrypt(&text, key, credential, sizeof(credential) - 1, &opts) != MON_OK)
            die("encrypt");
    }
    *seal_rate = rounds / (now() - t0);
    t0 = now();
    for (int i = 0; i < rounds; i++) {
        mon_secret_plain *plain = NULL;
        if (mon_secret_decrypt(&plain, key, text) != MON_OK)
            die("decrypt");
        mon_secret_plain_free(plain);
    }
    *open_rate = rounds / (now() - t0);
    mon_free(text);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NULL;
    int n = argc > 2 ? atoi(argv[2]) : 1000, rotated = 0;
    mon_secret_key *a = NULL, *b = NULL;
    mon_store *store = NULL;
    PGconn *conn;
    double seal_x, open_x, seal_g = 0, open_g = 0, t0, rotate_s, rewrite_s;
    char query[256];

    if (!url) {
        fprintf(stderr, "usage: secret_bench DATABASE_URL [N]\n");
        return 2;
    }
    if (mon_global_init() != MON_OK ||
        mon_secret_key_from_hex(&a, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") !=
            MON_OK ||
        mon_secret_key_from_hex(&b, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210") !=
            MON_OK)
        die("keys");

    aead(a, MON_SECRET_ALG_XCHACHA20POLY1305, 200000, &seal_x, &open_x);
    printf("xc20p seal: %.0f /s\nxc20p open (into locked memory): %.0f /s\n", seal_x, open_x);
    if (mon_secret_alg_available(MON_SECRET_ALG_AES256GCM)) {
        aead(a, MON_SECRET_ALG_AES256GCM, 200000, &seal_g, &open_g);
        printf("a256gcm seal: %.0f /s\na256gcm open (into locked memory): %.0f /s\n", seal_g, open_g);
        printf("a256gcm open vs xc20p open: %.2f x\n", open_g / open_x);
    }

    if (mon_store_open(&store, url) != MON_OK || mon_store_migrate(store, NULL) != MON_OK)
        die("store");
    conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK)
        die("libpq");
    sql(conn, "DELETE FROM custom_connectors");
    for (int i = 0; i < n; i++) {
        char *text = NULL, name[32];
        const char *params[2];
        PGresult *res;
        if (mon_secret_encrypt(&text, a, "{\"token\":\"t\"}", 13, NULL) != MON_OK)
            die("encrypt");
        snprintf(name, sizeof(name), "B%06d", i);
        params[0] = name;
        params[1] = text;
        res = PQexecParams(conn, "INSERT INTO custom_connectors (name, credentials) VALUES ($1, $2)", 2, NULL,
                           params, NULL, NULL, 0);
        PQclear(res);
        mon_free(text);
    }
    t0 = now();
    if (mon_secret_rotate(store, a, b, &rotated) != MON_OK || rotated != n)
        die("rotate");
    rotate_s = now() - t0;
    /* Reference: the same rows rewritten in one transaction without any cryptography. */
    t0 = now();
    sql(conn, "BEGIN");
    snprintf(query, sizeof(query),
             "UPDATE custom_connectors SET credentials = credentials || '' WHERE name LIKE 'B%%'");
    sql(conn, query);
    sql(conn, "COMMIT");
    rewrite_s = now() - t0;
    printf("rotation of %d credentials: %.3f s (%.0f /s)\n", n, rotate_s, n / rotate_s);
    printf("plain rewrite of the same rows (one UPDATE): %.3f s\n", rewrite_s);
    printf("rotation vs plain rewrite: %.1f x\n", rotate_s / rewrite_s);
    PQfinish(conn);
    mon_store_close(store);
    mon_secret_key_free(a);
    mon_secret_key_free(b);
    mon_global_cleanup();
    return 0;
}
