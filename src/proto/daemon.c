/* daemon.c - what the six daemons are called, and their PID files (locked while the daemon lives). */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
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
