#include "stubproc.h"

#include <check.h>
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
