/* The web dashboard (docs/dashboard.md): its static files under /ui/, a
 * redirect from /, and GET /api/v1/config, the public sign-in settings the
 * page needs (no secrets). */

#include <kore/kore.h>
#include <kore/http.h>

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "http_json.h"
#include "metrics.h"
#include "server.h"

#define WWW_FILES_MAX 64
#define WWW_FILE_MAX (4 * 1024 * 1024)
#define WWW_PREFIX "/ui/"

struct www_file {
    char *name;
    const char *type;
    char etag[2 * 16 + 3]; /* "<32 hex>" */
    unsigned char *data;
    size_t len;
};

/* Read in the parent before the fork; the workers only read them. */
static struct www_file files[WWW_FILES_MAX];
static size_t file_count;
static char *csp;
static char *config_json;

static const struct {
    const char *ext;
    const char *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},    {".svg", "image/svg+xml"},
    {".png", "image/png"},                  {".ico", "image/x-icon"},
    {".json", "application/json"},          {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *media_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(media_types) / sizeof(media_types[0]); i++)
        if (strcmp(dot, media_types[i].ext) == 0)
            return media_types[i].type;
    return NULL;
}

/* A name the route can reach: [a-z0-9][a-z0-9._-]*, no "..". */
static int servable_name(const char *name)
{
    const char *p;

    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) || strstr(name, ".."))
        return 0;
    for (p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int load_file(const char *dir, const char *name, const char *type, char *err, size_t errlen)
{
    struct www_file *f = &files[file_count];
    unsigned char hash[16];
    char path[4096];
    struct stat st;
    FILE *in;
    size_t i;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(in = fopen(path, "rb")) || fstat(fileno(in), &st) < 0) {
        snprintf(err, errlen, "MONITORAGE_WWW_DIR: cannot read %s: %s", path, strerror(errno));
        if (in)
            fclose(in);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > WWW_FILE_MAX) {
        fclose(in);
        if (!S_ISREG(st.st_mode))
            return 0; /* a directory or other non-file: not served */
        snprintf(err, errlen, "MONITORAGE_WWW_DIR: %s is over %d bytes", path, WWW_FILE_MAX);
        return -1;
    }
    f->len = (size_t)st.st_size;
    f->data = malloc(f->len ? f->len : 1);
    f->name = strdup(name);
    if (!f->data || !f->name || fread(f->data, 1, f->len, in) != f->len) {
        fclose(in);
        snprintf(err, errlen, "MONITORAGE_WWW_DIR: cannot read %s", path);
        return -1;
    }
    fclose(in);
    f->type = type;
    crypto_generichash(hash, sizeof(hash), f->data, f->len, NULL, 0);
    f->etag[0] = '"';
    for (i = 0; i < sizeof(hash); i++)
        snprintf(f->etag + 1 + 2 * i, 3, "%02x", hash[i]);
    f->etag[1 + 2 * sizeof(hash)] = '"';
    f->etag[2 + 2 * sizeof(hash)] = '\0';
    file_count++;
    return 0;
}

static int load_files(const char *dir, char *err, size_t errlen)
{
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!d) {
        snprintf(err, errlen, "MONITORAGE_WWW_DIR: cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        const char *type = media_type(e->d_name);

        if (!servable_name(e->d_name) || !type)
            continue; /* dot files, editor leftovers, unknown types: not served */
        if (file_count == WWW_FILES_MAX) {
            snprintf(err, errlen, "MONITORAGE_WWW_DIR: more than %d files in %s", WWW_FILES_MAX, dir);
            closedir(d);
            return -1;
        }
        if (load_file(dir, e->d_name, type, err, errlen) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

/* "https://host[:port]" of url, or NULL when it is not an http(s) URL. */
static char *origin_of(const char *url)
{
    const char *host, *end;
    char *o;

    if (!url || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return NULL;
    host = strstr(url, "://") + 3;
    end = host + strcspn(host, "/?#");
    if (end == host || memchr(host, ';', (size_t)(end - host)) || memchr(host, ' ', (size_t)(end - host)))
        return NULL;
    if ((o = malloc((size_t)(end - url) + 1))) {
        memcpy(o, url, (size_t)(end - url));
        o[end - url] = '\0';
    }
    return o;
}

int srv_www_configure(char *err, size_t errlen)
{
    const char *dir = getenv("MONITORAGE_WWW_DIR");
    const char *issuer = srv_auth_issuer(), *audience = srv_auth_audience();
    const char *client_id = getenv("AZURE_CLIENT_ID_FRONTEND"), *scopes = getenv("MONITORAGE_UI_SCOPES");
    char *authority = origin_of(issuer), default_scopes[512];
    json_t *config;
    size_t n;

    if (!client_id || !*client_id)
        client_id = getenv("AZURE_CLIENT_ID");
    if (!client_id || !*client_id)
        client_id = NULL;
    if (!scopes || !*scopes) {
        snprintf(default_scopes, sizeof(default_scopes), "openid profile%s%s%s", audience ? " " : "",
                 audience ? audience : "", audience ? "/.default" : "");
        scopes = default_scopes;
    }
    config = json_pack("{s:s?, s:s?, s:s, s:s, s:b, s:b}", "issuer", issuer, "client_id", client_id, "scopes",
                       scopes, "redirect_path", WWW_PREFIX, "oidc", issuer && client_id && authority, "dev",
                       srv_auth_dev_mode());
    config_json = config ? json_dumps(config, JSON_COMPACT) : NULL;
    json_decref(config);
    /* The page talks to this server and, to sign in, to the issuer's origin. */
    n = 512 + (authority ? 2 * strlen(authority) : 0);
    csp = malloc(n);
    if (!config_json || !csp) {
        free(authority);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(csp, n,
             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'%s%s; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
             "object-src 'none'",
             authority ? " " : "", authority ? authority : "");
    free(authority);
    if (!dir || !*dir) {
        srv_log("no dashboard: MONITORAGE_WWW_DIR is not set");
        return 0;
    }
    if (load_files(dir, err, errlen) < 0)
        return -1;
    srv_log("dashboard: %zu file(s) from %s served under %s", file_count, dir, WWW_PREFIX);
    return 0;
}

static void security_headers(struct http_request *req)
{
    http_response_header(req, "content-security-policy", csp);
    http_response_header(req, "x-content-type-options", "nosniff");
    http_response_header(req, "referrer-policy", "no-referrer");
    http_response_header(req, "x-frame-options", "DENY");
    http_response_header(req, "cross-origin-opener-policy", "same-origin");
}

int page_www(struct http_request *req)
{
    const char *name = req->path + strlen(WWW_PREFIX);
    const char *inm = NULL;
    size_t i;

    if (!*name)
        name = "index.html";
    for (i = 0; i < file_count; i++)
        if (strcmp(files[i].name, name) == 0)
            break;
    if (i == file_count) {
        srv_reply_error(req, 404, "not_found", NULL, "no file %s", req->path);
        return KORE_RESULT_OK;
    }
    security_headers(req);
    /* Not hashed names: the browser revalidates every file (a 304 when unchanged). */
    http_response_header(req, "cache-control", "no-cache");
    http_response_header(req, "etag", files[i].etag);
    if (http_request_header(req, "if-none-match", &inm) && strstr(inm, files[i].etag)) {
        srv_metrics_count(req, 304);
        http_response(req, 304, NULL, 0);
        return KORE_RESULT_OK;
    }
    http_response_header(req, "content-type", files[i].type);
    srv_metrics_count(req, 200);
    http_response(req, 200, files[i].data, files[i].len);
    return KORE_RESULT_OK;
}

int page_www_root(struct http_request *req)
{
    security_headers(req);
    http_response_header(req, "location", WWW_PREFIX);
    http_response_header(req, "cache-control", "no-cache");
    srv_metrics_count(req, 302);
    http_response(req, 302, NULL, 0);
    return KORE_RESULT_OK;
}

int page_config(struct http_request *req)
{
    srv_reply_json(req, 200, config_json, strlen(config_json));
    return KORE_RESULT_OK;
}
