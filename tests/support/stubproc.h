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

/* Path of a file under tests/ in the source tree (static buffer). */
const char *stubproc_source_path(const char *relative);

#endif
