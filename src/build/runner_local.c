/* runner_local.c - the real runner: every command a local child process through subproc, polled beside the build's wake descriptor. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "subproc.h"
#include "sys.h"
#include "util.h"

typedef struct local_batch {
    runner_batch base;
    subproc *procs;     /* entries with pid 0 and not finished are free */
    void **tags;
    bool *used;
    size_t n, cap;
    struct pollfd *pfd; /* scratch for wait, cap + 1 entries */
} local_batch;

static size_t local_slots(runner *r) { return 0; }

static runner_batch *local_batch_open(runner *r)
{
    local_batch *b = xcalloc(1, sizeof *b);
    b->base.owner = r;
    return &b->base;
}

static int local_start(runner_batch *base, const runner_command *cmd)
{
    local_batch *b = (local_batch *)base;
    size_t i = 0;
    while (i < b->n && b->used[i])
        i++;
    if (i == b->n) {
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 8;
            b->procs = xrealloc(b->procs, b->cap * sizeof *b->procs);
            b->tags = xrealloc(b->tags, b->cap * sizeof *b->tags);
            b->used = xrealloc(b->used, b->cap * sizeof *b->used);
            b->pfd = xrealloc(b->pfd, (b->cap + 1) * sizeof *b->pfd);
        }
        b->n++;
        b->used[i] = false;
    }
    memset(&b->procs[i], 0, sizeof b->procs[i]);
    b->procs[i].out_fd = -1;
    int rc = subproc_start(&b->procs[i], cmd->argv, cmd->cwd, cmd->envp);
    if (rc < 0)
        return rc;
    b->tags[i] = cmd->tag;
    b->used[i] = true;
    return 0;
}

/* Moves finished commands into done; returns how many. */
static size_t collect(local_batch *b, runner_result *done, size_t max)
{
    size_t nd = 0;
    for (size_t i = 0; i < b->n && nd < max; i++) {
        subproc *p = &b->procs[i];
        if (!b->used[i] || !p->finished)
            continue;
        done[nd++] = (runner_result){.tag = b->tags[i], .status = p->status, .output = p->output,
                                     .output_len = p->output_len};
        p->output = NULL;
        subproc_release(p);
        b->used[i] = false;
        b->tags[i] = NULL;
    }
    return nd;
}

static int local_wait(runner_batch *base, int wake_fd, int timeout_ms, runner_result *done, size_t max)
{
    local_batch *b = (local_batch *)base;
    size_t nd = collect(b, done, max);   /* left over from a call that filled max */
    if (nd)
        return (int)nd;
    size_t n = 0;
    bool running = false;
    for (size_t i = 0; i < b->n; i++) {
        subproc *p = &b->procs[i];
        if (b->used[i] && p->pid > 0 && !p->finished && p->out_fd >= 0) {
            b->pfd[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
            running = true;
        }
    }
    struct pollfd wake = {.fd = wake_fd, .events = POLLIN};
    struct pollfd *pfd = b->pfd;
    if (wake_fd >= 0) {
        if (!pfd)
            pfd = &wake;
        else
            pfd[n] = wake;
        n++;
    }
    if (!n) {   /* nothing to wait for (no wake descriptor): nap instead of spinning */
        poll(NULL, 0, timeout_ms < 1 ? timeout_ms : 1);
        return 0;
    }
    int rc = poll(pfd, n, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -errno;
    if (rc == 0)
        return 0;
    if (wake_fd >= 0 && pfd[n - 1].revents) {
        sys_wake_drain(wake_fd);
        rc--;
    }
    if (rc > 0 && running && subproc_poll(b->procs, b->n, 0) > 0)
        nd = collect(b, done, max);
    return (int)nd;
}

static void local_cancel(runner_batch *base)
{
    local_batch *b = (local_batch *)base;
    for (size_t i = 0; i < b->n; i++) {
        if (!b->used[i])
            continue;
        subproc_kill(&b->procs[i]);   /* the whole group: the driver and cc1/as/ld below it */
        subproc_release(&b->procs[i]);
        b->used[i] = false;
        b->tags[i] = NULL;
    }
}

static void local_batch_close(runner_batch *base)
{
    local_batch *b = (local_batch *)base;
    local_cancel(base);
    free(b->procs);
    free(b->tags);
    free(b->used);
    free(b->pfd);
    free(b);
}

static void local_free(runner *r) { free(r); }

static const runner_ops local_ops = {
    .slots = local_slots,
    .batch_open = local_batch_open,
    .start = local_start,
    .wait = local_wait,
    .cancel = local_cancel,
    .batch_close = local_batch_close,
    .free = local_free,
};

runner *runner_local_new(void)
{
    runner *r = xcalloc(1, sizeof *r);
    r->ops = &local_ops;
    return r;
}
