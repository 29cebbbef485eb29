#include "stubproc.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *stubproc_source_path(const char *relative)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/tests/%s", MONITORAGE_SOURCE_DIR, relative);
    return path;
}

void stubproc_start(struct stubproc *stub, const char *const argv[])
{
    int pipefd[2];
    char line[128];
    size_t used = 0;
    int waited_ms = 0;

    ck_assert_int_eq(pipe(pipefd), 0);
    stub->port = 0;
    stub->pid = fork();
    ck_assert_int_ne(stub->pid, -1);
    if (stub->pid == 0) {
        /* A test that dies without stubproc_stop() must not leave its stub
         * running: it would hold CTest's output pipe open. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    while (used < sizeof(line) - 1 && waited_ms < 15000) {
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        int ready = poll(&pfd, 1, 100);
        ssize_t got;
        if (ready == 0) {
            waited_ms += 100;
            continue;
        }
        got = read(pipefd[0], line + used, 1);
        if (got <= 0)
            break;
        if (line[used] == '\n')
            break;
        used++;
    }
    line[used] = '\0';
    if (sscanf(line, "PORT %d", &stub->port) != 1 || stub->port <= 0) {
        kill(stub->pid, SIGKILL);
        waitpid(stub->pid, NULL, 0);
        ck_abort_msg("stub %s did not report its port (got \"%s\")", argv[0], line);
    }
    close(pipefd[0]);
}

void stubproc_stop(struct stubproc *stub)
{
    int status;
    if (stub->pid <= 0)
        return;
    kill(stub->pid, SIGTERM);
    for (int i = 0; i < 20; i++) {
        if (waitpid(stub->pid, &status, WNOHANG) == stub->pid) {
            stub->pid = 0;
            return;
        }
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill(stub->pid, SIGKILL);
    waitpid(stub->pid, &status, 0);
    stub->pid = 0;
}

struct reply {
    char *data;
    size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct reply *r = userdata;
    char *grown = realloc(r->data, r->len + size * nmemb + 1);
    if (!grown)
        return 0;
    memcpy(grown + r->len, data, size * nmemb);
    r->data = grown;
    r->len += size * nmemb;
    r->data[r->len] = '\0';
    return size * nmemb;
}

char *stubproc_request(const struct stubproc *stub, const char *path, const char *json)
{
    CURL *curl = curl_easy_init();
    struct reply r = {NULL, 0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char url[1024];
    long status = 0;
    CURLcode code;

    ck_assert_ptr_nonnull(curl);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", stub->port, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (json)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    ck_assert_msg(code == CURLE_OK, "%s: %s", url, curl_easy_strerror(code));
    ck_assert_msg(status == 200, "%s: HTTP %ld", url, status);
    if (!r.data)
        r.data = strdup("");
    ck_assert_ptr_nonnull(r.data);
    return r.data;
}

void stubproc_control(const struct stubproc *stub, const char *json)
{
    free(stubproc_request(stub, "/__control", json));
}

char *stubproc_log(const struct stubproc *stub)
{
    return stubproc_request(stub, "/__log", NULL);
}

int stubproc_count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}
