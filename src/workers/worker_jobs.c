/* worker_jobs.c - what each worker daemon does with a job: discovery scans, compilation builds, cache upkeep. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery.h"
#include "engine.h"
#include "home.h"
#include "log.h"
#include "project.h"
#include "util.h"
#include "worker.h"

static worker_outcome outcome_failed(bool retryable, char *reason)
{
    worker_outcome out = {.completed = false, .retryable = retryable, .reason = reason};
    return out;
}

/* Appends one line to the job's output log; failures to log never fail the job. */
static void job_log(const worker_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void job_log(const worker_job *job, const char *fmt, ...)
{
    FILE *f = fopen(job->log_path, "a");
    if (!f)
        return;
    char stamp[40];
    format_iso8601_ms(clock_wall_ms(), stamp, sizeof stamp);
    fprintf(f, "%s ", stamp);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

worker_outcome worker_run_not_implemented(worker_job *job)
{
    job_log(job, "job type '%s' is not implemented yet", job->type);
    return outcome_failed(false, xasprintf("job type '%s' is not implemented yet in this version of jmake",
                                           job->type));
}

/* ---- discovery ---- */

worker_outcome worker_run_discovery(worker_job *job)
{
    const cJSON *args = cJSON_GetObjectItem(job->job, "args");
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(args, "path"));
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(job->job, "config_file"));
    char *root = NULL;
    strvec skip = {0};
    strvec_push(&skip, "build");
    if (config) {
        char *dir = path_dirname(config);
        root = path ? path_absolute(dir, path) : xstrdup(dir);
        free(dir);
        /* The project's own build and output folders hold products, not sources. */
        project_config project;
        diag_list diags = {0};
        if (project_load(config, &project, &diags) == 0) {
            strvec_push(&skip, path_basename(project.build_dir));
            strvec_push(&skip, path_basename(project.output_dir));
            project_free(&project);
        }
        diag_free(&diags);
    } else if (path) {
        root = path_absolute(NULL, path);
    } else {
        strvec_free(&skip);
        return outcome_failed(false, xstrdup("discovery needs config_file or args.path"));
    }
    job_log(job, "discovery of %s", root);
    cJSON *result = NULL;
    char err[512] = "";
    int rc = discovery_scan(root, (const char *const *)skip.v, &job->cancel, &result, err, sizeof err);
    strvec_free(&skip);
    if (rc != 0) {
        job_log(job, "discovery failed: %s", err);
        free(root);
        return outcome_failed(false, xstrdup(err));
    }
    const cJSON *counts = cJSON_GetObjectItem(result, "counts");
    job_log(job, "found %d sources, %d headers, %d binaries",
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "sources")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "headers")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "binaries")));
    free(root);
    worker_outcome out = {.completed = true, .result = result};
    return out;
}

/* ---- compilation ---- */

/* One engine per project: builds of one project run one at a time (the engine
 * holds that project's in-memory state), builds of different projects run side by side. */
typedef struct project_engine {
    char *config_path;
    engine *eng;
    pthread_mutex_t busy;
    struct project_engine *next;
} project_engine;

typedef struct compilation_state {
    pthread_mutex_t mu;
    project_engine *engines;
    engine_options options;
    char *state_dir;
} compilation_state;

void *worker_compilation_state_new(const jm_config *cfg, const char *home)
{
    compilation_state *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->state_dir = home_state_dir(home);
    mkdir_p(s->state_dir, 0700);
    s->options.state_dir = s->state_dir;
    s->options.cache_dir = cfg->compilation.cache_dir;
    s->options.cache_enabled = cfg->compilation.cache_enabled;
    s->options.cache_size_mb = cfg->compilation.cache_size_mb;
    s->options.max_parallel = (int)cfg->compilation.max_parallel_builds;
    s->options.build_timeout_s = cfg->compilation.build_timeout;
    s->options.incremental = cfg->compilation.incremental_builds;
    s->options.llvm_toolchain_path = cfg->llvm.toolchain_path;
    return s;
}

void worker_compilation_state_free(void *state)
{
    compilation_state *s = state;
    if (!s)
        return;
    while (s->engines) {
        project_engine *pe = s->engines;
        s->engines = pe->next;
        engine_free(pe->eng);
        pthread_mutex_destroy(&pe->busy);
        free(pe->config_path);
        free(pe);
    }
    pthread_mutex_destroy(&s->mu);
    free(s->state_dir);
    free(s);
}

static project_engine *compilation_engine_for(compilation_state *s, const char *config_path)
{
    pthread_mutex_lock(&s->mu);
    project_engine *pe = s->engines;
    while (pe && strcmp(pe->config_path, config_path) != 0)
        pe = pe->next;
    if (!pe) {
        pe = xcalloc(1, sizeof *pe);
        pe->config_path = xstrdup(config_path);
        pe->eng = engine_new(&s->options);
        pthread_mutex_init(&pe->busy, NULL);
        pe->next = s->engines;
        s->engines = pe;
    }
    pthread_mutex_unlock(&s->mu);
    return pe;
}

static void compilation_progress(void *ctx, size_t done, size_t total, const char *current)
{
    worker_job *job = ctx;
    job->progress(job, (long)done, (long)total, current);
}

worker_outcome worker_run_compilation(worker_job *job)
{
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(job->job, "config_file"));
    if (!config)
        return outcome_failed(false, xstrdup("compilation needs config_file"));
    compilation_state *s = job->daemon_state;
    project_engine *pe = compilation_engine_for(s, config);
    /* Waiting for another build of the same project must still honour a cancel. */
    while (pthread_mutex_trylock(&pe->busy) != 0) {
        if (atomic_load(&job->cancel))
            return outcome_failed(false, xstrdup("cancelled"));
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    job_log(job, "compilation of %s", config);
    engine_job ej = {.config_path = config,
                     .log_path = job->log_path,
                     .progress = compilation_progress,
                     .progress_ctx = job,
                     .cancel = &job->cancel};
    cJSON *result = NULL;
    char *reason = NULL;
    int rc = engine_build(pe->eng, &ej, &result, &reason);
    pthread_mutex_unlock(&pe->busy);
    worker_outcome out = {.result = result};
    if (rc == 0) {
        out.completed = true;
        free(reason);
        job_log(job, "build succeeded");
        return out;
    }
    if (rc == 1) {
        const cJSON *diag = cJSON_GetObjectItem(result, "diagnostics");
        int errors = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(diag, "errors"));
        out.reason = reason ? reason : xasprintf("build failed with %d error%s", errors, errors == 1 ? "" : "s");
    } else {
        out.reason = reason ? reason : xstrdup("build could not run");
    }
    job_log(job, "build failed: %s", out.reason);
    return out;
}

void worker_evict_cache(const jm_config *cfg)
{
    if (!cfg->compilation.cache_enabled || !dir_exists(cfg->compilation.cache_dir))
        return;
    int64_t removed = engine_cache_evict(cfg->compilation.cache_dir, cfg->compilation.cache_size_mb * 1024 * 1024);
    if (removed > 0)
        log_info("cache: evicted %lld bytes to stay within %lld MB", (long long)removed,
                 (long long)cfg->compilation.cache_size_mb);
    else if (removed < 0)
        log_warn("cache eviction failed: %s", strerror((int)-removed));
}
