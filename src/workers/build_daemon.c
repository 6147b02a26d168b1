/* build_daemon.c - the build daemon: wrapping jobs, and the object cache kept within cache_size_mb. */
#include "worker.h"
#include "wrap_jobs.h"

/* The cache is also trimmed after every compilation (the orchestrator's "evict"); the
 * timer bounds it when compilations come from elsewhere or the limit was lowered. */
#define WORKER_EVICT_INTERVAL_MS 60000

static void build_evict_on_message(worker_context *ctx, const cJSON *msg)
{
    (void)msg;
    worker_evict_cache(ctx->cfg);
}

static void build_evict_on_timer(worker_context *ctx)
{
    worker_evict_cache(ctx->cfg);
}

static const worker_message build_messages[] = {
    {"evict", build_evict_on_message},
    {NULL, NULL},
};

static const worker_timer build_timers[] = {
    {.first_ms = 0, .interval_ms = WORKER_EVICT_INTERVAL_MS, .fire = build_evict_on_timer},
    {.fire = NULL},
};

const worker_daemon worker_build_daemon = {
    .kind = DAEMON_BUILD,
    /* Wrapping: Julia and Python modules for a shared library (wrap_jobs.c, docs/BINDINGS.md). */
    .handlers = {[JOB_TYPE_WRAPPING] = worker_run_wrapping},
    .messages = build_messages,
    .timers = build_timers,
};
