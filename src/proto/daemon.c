/* daemon.c - what the six daemons are called, and their PID files (locked while the daemon lives). */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "util.h"

const daemon_info daemon_table[DAEMON_COUNT] = {
    [DAEMON_ORCHESTRATOR] = {"orchestrator", "Orchestrator Daemon"},
    [DAEMON_DISCOVERY] = {"discovery", "Discovery Daemon"},
    [DAEMON_COMPILATION] = {"compilation", "Compilation Daemon"},
    [DAEMON_BUILD] = {"build", "Build Daemon"},
    [DAEMON_ERROR_HANDLER] = {"error_handler", "Error Handler Daemon"},
    [DAEMON_WATCHER] = {"watcher", "Watcher Daemon"},
};

int daemon_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < DAEMON_COUNT; i++)
        if (strcmp(name, daemon_table[i].name) == 0)
            return i;
    if (strcmp(name, "error-handler") == 0)
        return DAEMON_ERROR_HANDLER;
    return -1;
}

static pid_t daemon_read_pid(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? (pid_t)pid : 0;
}

int daemon_pidfile_acquire(const char *home, const char *name, pid_t *holder)
{
    char *run = home_run_dir(home);
    int rc = mkdir_p(run, 0700);
    if (rc == 0)
        chmod(run, 0700);
    free(run);
    if (rc < 0)
        return rc;
    char *path = home_pid_path(home, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0)
        return -errno;
    /* A prober (status) holds a shared lock for an instant; retry briefly
     * before concluding that another instance runs. */
    int locked = -1;
    for (int attempt = 0; attempt < 20 && locked < 0; attempt++) {
        locked = flock(fd, LOCK_EX | LOCK_NB);
        if (locked < 0 && errno != EWOULDBLOCK)
            break;
        if (locked < 0)
            usleep(10000);
    }
    if (locked < 0) {
        int e = errno;
        if (holder)
            *holder = daemon_read_pid(fd);
        close(fd);
        return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

pid_t daemon_pidfile_probe(const char *home, const char *name)
{
    char *path = home_pid_path(home, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return 0;
    pid_t pid = 0;
    /* A shared lock succeeds only when no live daemon holds its exclusive one. */
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
        pid = daemon_read_pid(fd);
    close(fd);
    return pid;
}

int daemon_ready_take(void)
{
    const char *text = getenv(DAEMON_READY_ENV);
    if (!text || atoi(text) != DAEMON_READY_FD)
        return -1;
    /* Not to be inherited by anything this process runs (compilers, tools). */
    if (fcntl(DAEMON_READY_FD, F_SETFD, FD_CLOEXEC) < 0)
        return -1;
    return DAEMON_READY_FD;
}

static void report_line(int *fd, const char *line)
{
    if (*fd < 0)
        return;
    size_t len = strlen(line);
    /* One write below PIPE_BUF is atomic: lines of several writers never mix. */
    if (write(*fd, line, len) < 0) {
        /* Nobody reads any more (the starting client gave up): nothing to tell. */
    }
    close(*fd);
    *fd = -1;
}

void daemon_report_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void daemon_report_ready(int *fd)
{
    report_line(fd, "ready\n");
}

void daemon_report_error(int *fd, const char *fmt, ...)
{
    if (*fd < 0)
        return;
    char line[512] = "error: ";
    size_t used = strlen(line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + used, sizeof line - used - 1, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n')
            *p = ' ';
    strcat(line, "\n");
    report_line(fd, line);
}

daemon_report daemon_report_read(int fd, int timeout_ms, char *reason, size_t reason_size)
{
    char buf[512];
    size_t len = 0;
    uint64_t deadline = clock_monotonic_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char *nl = memchr(buf, '\n', len);
        if (nl) {
            *nl = '\0';
            if (strcmp(buf, "ready") == 0)
                return DAEMON_REPORT_READY;
            const char *why = strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf;
            snprintf(reason, reason_size, "%s", why);
            return DAEMON_REPORT_ERROR;
        }
        uint64_t now = clock_monotonic_ms();
        if (now >= deadline)
            return DAEMON_REPORT_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)(deadline - now));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return rc == 0 ? DAEMON_REPORT_TIMEOUT : DAEMON_REPORT_SILENT;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return DAEMON_REPORT_SILENT;
        len += (size_t)n;
        if (len == sizeof buf - 1)
            buf[len - 1] = '\n';   /* an overlong line: take what came */
    }
}
