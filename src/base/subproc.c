/* subproc.c - posix_spawn of compilers and linkers in their own process groups, output capture, response files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pipe2, posix_spawn_file_actions_addchdir_np */
#endif
#include "subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

int subproc_start(subproc *proc, char *const argv[], const char *cwd, char *const envp[])
{
    memset(proc, 0, sizeof *proc);
    proc->out_fd = -1;
    int fds[2];
    /* O_CLOEXEC so children spawned concurrently by other daemon threads do
       not inherit our pipe and keep it open past our child's exit. */
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* Own process group: a cancel kills the compiler driver and cc1/as/ld below it. */
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -rc;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    proc->pid = pid;
    proc->out_fd = fds[0];
    return 0;
}

/* Reads what is available; returns true at EOF. */
static bool drain(subproc *proc)
{
    for (;;) {
        if (proc->output_cap - proc->output_len < 4096) {
            proc->output_cap = proc->output_cap ? proc->output_cap * 2 : 8192;
            proc->output = xrealloc(proc->output, proc->output_cap);
        }
        ssize_t n = read(proc->out_fd, proc->output + proc->output_len, proc->output_cap - proc->output_len - 1);
        if (n > 0) {
            proc->output_len += (size_t)n;
            continue;
        }
        if (n == 0)
            return true;
        if (errno == EINTR)
            continue;
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

static void reap(subproc *proc)
{
    if (proc->out_fd >= 0) {
        close(proc->out_fd);
        proc->out_fd = -1;
    }
    if (proc->output)
        proc->output[proc->output_len] = 0;
    int st = 0;
    while (waitpid(proc->pid, &st, 0) < 0 && errno == EINTR)
        ;
    proc->status = st;
    proc->finished = true;
    proc->pid = 0;
}

int subproc_poll(subproc *procs, size_t count, int timeout_ms)
{
    struct pollfd pfd_stack[64];
    struct pollfd *pfd = count <= 64 ? pfd_stack : xmalloc(count * sizeof *pfd);
    size_t *map = xmalloc((count ? count : 1) * sizeof *map);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (procs[i].pid > 0 && !procs[i].finished && procs[i].out_fd >= 0) {
            pfd[n].fd = procs[i].out_fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            map[n++] = i;
        }
    }
    int finished = 0;
    int rc = n ? poll(pfd, n, timeout_ms) : 0;
    if (rc < 0 && errno != EINTR) {
        rc = -errno;
        goto out;
    }
    for (size_t k = 0; rc > 0 && k < n; k++) {
        if (!pfd[k].revents)
            continue;
        subproc *p = &procs[map[k]];
        if (drain(p)) {
            reap(p);
            finished++;
        }
    }
    rc = finished;
out:
    if (pfd != pfd_stack)
        free(pfd);
    free(map);
    return rc;
}

void subproc_kill(subproc *proc)
{
    if (proc->pid <= 0 || proc->finished)
        return;
    kill(-proc->pid, SIGKILL);
    reap(proc);
}

void subproc_release(subproc *proc)
{
    if (proc->pid > 0 && !proc->finished)
        subproc_kill(proc);
    if (proc->out_fd >= 0)
        close(proc->out_fd);
    free(proc->output);
    memset(proc, 0, sizeof *proc);
    proc->out_fd = -1;
}

bool subproc_succeeded(const subproc *proc)
{
    return proc->finished && WIFEXITED(proc->status) && WEXITSTATUS(proc->status) == 0;
}

char *subproc_find_program(const char *name)
{
    if (!name || !*name)
        return NULL;
    if (strchr(name, '/')) {
        char *abs = name[0] == '/' ? xstrdup(name) : path_absolute(NULL, name);
        if (access(abs, X_OK) == 0)
            return abs;
        free(abs);
        return NULL;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        char *dir = len ? xstrndup(path, len) : xstrdup(".");
        char *cand = path_join(dir, name);
        free(dir);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (!colon)
            break;
        path = colon + 1;
    }
    return NULL;
}

int subproc_write_response_file(const char *path, char *const *args, size_t count)
{
    size_t cap = 64, len = 0;
    for (size_t i = 0; i < count; i++)
        cap += strlen(args[i]) * 2 + 1;
    char *buf = xmalloc(cap);
    for (size_t i = 0; i < count; i++) {
        for (const char *s = args[i]; *s; s++) {
            if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\' || *s == '"' || *s == '\'')
                buf[len++] = '\\';
            buf[len++] = *s;
        }
        if (!args[i][0]) {
            buf[len++] = '"';
            buf[len++] = '"';
        }
        buf[len++] = '\n';
    }
    int rc = write_file_atomic(path, buf, len, 0644);
    free(buf);
    return rc;
}

size_t subproc_args_size(char *const *args, size_t count)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen(args[i]) + 1 + sizeof(char *);
    return total;
}
