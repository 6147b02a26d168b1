/* runner.c - the calls through a runner's ops table, shared by every runner. */
#include "runner.h"

#include <sys/wait.h>

size_t runner_slots(runner *r) { return r->ops->slots ? r->ops->slots(r) : 0; }
runner_batch *runner_batch_open(runner *r) { return r->ops->batch_open(r); }
int runner_start(runner_batch *b, const runner_command *cmd) { return b->owner->ops->start(b, cmd); }

int runner_wait(runner_batch *b, int wake_fd, int timeout_ms, runner_result *done, size_t max)
{
    return b->owner->ops->wait(b, wake_fd, timeout_ms, done, max);
}

void runner_cancel(runner_batch *b) { b->owner->ops->cancel(b); }

void runner_batch_close(runner_batch *b)
{
    if (b)
        b->owner->ops->batch_close(b);
}

void runner_free(runner *r)
{
    if (r)
        r->ops->free(r);
}

bool runner_batch_placement(runner_batch *b, runner_placement *out)
{
    if (!b || !b->owner->ops->placement)
        return false;
    b->owner->ops->placement(b, out);
    return true;
}

bool runner_result_succeeded(const runner_result *res)
{
    return WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0;
}
