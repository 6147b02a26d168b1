/* sys.c - the Linux-specific calls behind sys.h: /proc, SO_PEERCRED, eventfd. */
#include "sys.h"

#include <dirent.h>
#include <malloc.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

int sys_self_exe(char *buf, size_t bufsize)
{
    ssize_t n = readlink("/proc/self/exe", buf, bufsize - 1);
    if (n <= 0)
        return n < 0 ? -errno : -ENOENT;
    if ((size_t)n >= bufsize - 1)
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return 0;
}

/* The number after "key:" in /proc/self/status, read with fmt; -1 when absent. */
static long status_field(const char *fmt)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    char line[256];
    long value = -1;
    unsigned long v;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, fmt, &v) == 1) {
            value = (long)v;
            break;
        }
    fclose(f);
    return value;
}

int sys_self_umask(void)
{
    return (int)status_field("Umask: %lo");
}

long sys_self_rss_kib(void)
{
    return status_field("VmRSS: %lu kB");
}

void sys_for_each_in_session(pid_t sid, void (*fn)(pid_t pid, void *ctx), void *ctx)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 1 || pid == getpid())
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        char *stat = read_file(path, NULL);
        if (!stat)
            continue;
        /* Fields after the command's closing parenthesis: state ppid pgrp session. */
        const char *p = strrchr(stat, ')');
        long session = -1;
        if (p)
            sscanf(p + 1, " %*c %*d %*d %ld", &session);
        free(stat);
        if (session == sid)
            fn((pid_t)pid, ctx);
    }
    closedir(d);
}

long sys_fd_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : -1;
}

/* The soft limit before sys_raise_fd_limit, for the processes started after it. */
#define FD_LIMIT_BEFORE_ENV "JMAKE_FD_LIMIT_BEFORE"

long sys_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        char before[32];
        snprintf(before, sizeof before, "%llu", (unsigned long long)rl.rlim_cur);
        setenv(FD_LIMIT_BEFORE_ENV, before, 1);
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return sys_fd_limit();
    }
    return (long)rl.rlim_cur;
}

void sys_restore_inherited_fd_limit(void)
{
    const char *before = getenv(FD_LIMIT_BEFORE_ENV);
    if (!before)
        return;
    char *end = NULL;
    unsigned long long n = strtoull(before, &end, 10);
    struct rlimit rl;
    if (end && *end == '\0' && n > 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && n < rl.rlim_cur) {
        rl.rlim_cur = (rlim_t)n;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    unsetenv(FD_LIMIT_BEFORE_ENV);
}

void sys_release_free_memory(void)
{
    malloc_trim(0);
}

int sys_peer_uid(int fd, uid_t *uid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return -errno;
    *uid = cred.uid;
    return 0;
}

int sys_wake_open(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void sys_wake_post(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) < 0) {
        /* the counter cannot overflow; waiters also wake on their own timeout */
    }
}

void sys_wake_drain(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof v) < 0) {
        /* EAGAIN: another wake-up was already consumed */
    }
}
