#ifndef MONITORAGE_TEST_STUBPROC_H
#define MONITORAGE_TEST_STUBPROC_H

#include <sys/types.h>

/*
 * A loopback stub server run as a child process (usually a Python script in
 * tests/stubs/). The child must bind 127.0.0.1 on a port of its choosing and
 * print "PORT <n>" as its first line on stdout (flushed), then write nothing
 * more to stdout: the pipe is closed once the port is read. Its stderr is
 * the test's stderr.
 */
struct stubproc {
    pid_t pid;
    int port;
};

/*
 * Start argv[0] with argv (NULL-terminated) and wait up to 15 s for its port.
 * Paths relative to tests/stubs/ may be given as "stubs/name.py": the
 * function resolves them against the source tree. Aborts the test on failure.
 */
void stubproc_start(struct stubproc *stub, const char *const argv[]);

/* SIGTERM the stub, then SIGKILL after 2 s; reap it. Safe to call twice. */
void stubproc_stop(struct stubproc *stub);

/*
 * Request path from the stub on 127.0.0.1: GET when json is NULL, else POST
 * json (Content-Type application/json). Returns the reply body (free()).
 * Aborts the test unless the stub answers 200 within 10 s.
 */
char *stubproc_request(const struct stubproc *stub, const char *path, const char *json);

/* POST a scenario to the stub's /__control (the stubs also clear their request log). */
void stubproc_control(const struct stubproc *stub, const char *json);

/* The stub's /__log: the requests received since the last control (JSON array; free()). */
char *stubproc_log(const struct stubproc *stub);

/* Occurrences of needle in haystack (e.g. a stub's log). */
int stubproc_count(const char *haystack, const char *needle);

/* Path of a file under tests/ in the source tree (static buffer). */
const char *stubproc_source_path(const char *relative);

#endif
