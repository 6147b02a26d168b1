/* build_daemon.c - the build daemon: wrapping jobs, and the object cache kept within cache_size_mb. */
#include "worker.h"
#include "wrap_jobs.h"

/* The cache is trimmed when a compilation stored objects (the orchestrator's
 * "evict" with the bytes stored) and once a minute (compilations from elsewhere,
 * a lowered limit). Between walks the size is an estimate: the last walk plus
 * what builds reported storing, so a build of one file in a cache of 100,000
 * entries does not make this daemon stat all of them while the next build runs. */
#define WORKER_EVICT_INTERVAL_MS 60000

static int64_t cache_estimate = -1;   /* bytes; -1: not walked yet (the loop thread's only) */

static void build_evict_on_message(worker_context *ctx, const cJSON *msg)
{
    double stored = cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "stored_bytes"));
    int64_t max = ctx->cfg->compilation.cache_size_mb * 1024 * 1024;
    if (cache_estimate >= 0 && stored == stored)   /* not NaN: a number was sent */
        cache_estimate += (int64_t)stored;
    if (cache_estimate >= 0 && cache_estimate <= max)
        return;
    cache_estimate = worker_evict_cache(ctx->cfg);
}

static void build_evict_on_timer(worker_context *ctx)
{
    cache_estimate = worker_evict_cache(ctx->cfg);
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
