/* worker_jobs.c - what each worker daemon does with a job: discovery scans, compilation builds, cache upkeep. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "discovery.h"
#include "engine.h"
#include "home.h"
#include "log.h"
#include "project.h"
#include "runner.h"
#include "util.h"
#include "worker.h"

static worker_outcome outcome_failed(bool retryable, char *reason)
{
    worker_outcome out = {.completed = false, .retryable = retryable, .reason = reason};
    return out;
}

/* Appends one line to the job's output log; failures to log never fail the job. */
worker_outcome worker_run_not_implemented(worker_job *job)
{
    worker_job_log(job, "job type '%s' is not implemented yet", job->type);
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
        }
        project_free(&project);   /* filled even when the load failed */
        diag_free(&diags);
    } else if (path) {
        root = path_absolute(NULL, path);
    } else {
        strvec_free(&skip);
        return outcome_failed(false, xstrdup("discovery needs config_file or args.path"));
    }
    worker_job_log(job, "discovery of %s", root);
    cJSON *result = NULL;
    char err[512] = "";
    int rc = discovery_scan(root, (const char *const *)skip.v, &job->cancel, &result, err, sizeof err);
    strvec_free(&skip);
    if (rc != 0) {
        worker_job_log(job, "discovery failed: %s", err);
        free(root);
        return outcome_failed(false, xstrdup(err));
    }
    const cJSON *counts = cJSON_GetObjectItem(result, "counts");
    worker_job_log(job, "found %d sources, %d headers, %d binaries",
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "sources")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "headers")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "binaries")));
    free(root);
    worker_outcome out = {.completed = true, .result = result};
    return out;
}

/* ---- compilation ---- */

/* One engine for the daemon: it keeps every project's state (one build per
 * project at a time, builds of different projects side by side) and bounds
 * the compiler processes of all of them by max_parallel_builds together. */
typedef struct compilation_state {
    engine *eng;
    runner *runner;     /* the distcc runner with [distributed] engine = "distcc", else NULL; owned */
    char *state_dir;
    char *trace_dir;    /* home/traces: each build's timeline, the last few per project */
} compilation_state;

/* [distributed] engine = "distcc": compiles go through distcc, with
   max_parallel_builds local slots beside the hosts' own. A runner that
   cannot be made (no distcc, a bad host) leaves the daemon compiling here. */
static runner *distributed_runner(const jm_config *cfg, const char *state_dir)
{
    if (!cfg->distributed.engine || strcmp(cfg->distributed.engine, "distcc") != 0)
        return NULL;
    char *dir = path_join(state_dir, "distcc");
    runner_distcc_options o = {
        .hosts = (const char *const *)cfg->distributed.hosts.v,
        .nhosts = cfg->distributed.hosts.n,
        .pump = cfg->distributed.pump,
        .distcc_dir = dir,
        .local_slots = (size_t)cfg->compilation.max_parallel_builds,
    };
    char *reason = NULL;
    runner *r = runner_distcc_new(&o, &reason);
    if (!r)
        log_error("distributed: %s; compiling on this machine only", reason);
    else
        log_info("distributed: compiling through distcc, %zu commands at once", runner_slots(r));
    free(reason);
    free(dir);
    return r;
}

void *worker_compilation_state_new(const jm_config *cfg, const char *home)
{
    compilation_state *s = xcalloc(1, sizeof *s);
    s->state_dir = home_state_dir(home);
    mkdir_p(s->state_dir, 0700);
    s->trace_dir = path_join(home, "traces");
    s->runner = distributed_runner(cfg, s->state_dir);
    engine_options options = {
        .state_dir = s->state_dir,
        .cache_dir = cfg->compilation.cache_dir,
        .cache_enabled = cfg->compilation.cache_enabled,
        .cache_size_mb = cfg->compilation.cache_size_mb,
        .max_parallel = (int)cfg->compilation.max_parallel_builds,
        .build_timeout_s = cfg->compilation.build_timeout,
        .incremental = cfg->compilation.incremental_builds,
        .llvm_toolchain_path = cfg->llvm.toolchain_path,
        .runner = s->runner,
        .trace_dir = s->trace_dir,
    };
    s->eng = engine_new(&options);
    return s;
}

void worker_compilation_state_free(void *state)
{
    compilation_state *s = state;
    if (!s)
        return;
    engine_free(s->eng);
    runner_free(s->runner);   /* after the engine, which borrows it */
    free(s->state_dir);
    free(s->trace_dir);
    free(s);
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
    worker_job_log(job, "compilation of %s", config);
    /* A build of a watched project carries what the watcher saw since the
     * last one; without it the project is not (or no longer) watched and the
     * engine must not answer from memory. */
    const cJSON *watch = cJSON_GetObjectItem(job->job, "watch");
    engine_set_watched(s->eng, config, cJSON_IsObject(watch));
    if (cJSON_IsObject(watch)) {
        const cJSON *paths = cJSON_GetObjectItem(watch, "paths");
        if (cJSON_IsTrue(cJSON_GetObjectItem(watch, "rescan"))) {
            worker_job_log(job, "watched: track was lost, checking everything");
            engine_note_changes(s->eng, config, NULL, 0);
        } else if (cJSON_GetArraySize(paths) > 0) {
            size_t n = (size_t)cJSON_GetArraySize(paths);
            const char **v = xcalloc(n, sizeof *v);
            size_t k = 0;
            const cJSON *item;
            cJSON_ArrayForEach(item, paths)
            {
                if (cJSON_IsString(item))
                    v[k++] = item->valuestring;
            }
            worker_job_log(job, "watched: %zu changed path%s", k, k == 1 ? "" : "s");
            engine_note_changes(s->eng, config, v, k);
            free(v);
        }
    }
    engine_job ej = {.config_path = config,
                     .log_path = job->log_path,
                     .progress = compilation_progress,
                     .progress_ctx = job,
                     .cancel = &job->cancel,
                     .job_id = job->id};
    cJSON *result = NULL;
    char *reason = NULL;
    /* The engine makes a second build of the same project wait (cancel included). */
    int rc = engine_build(s->eng, &ej, &result, &reason);
    worker_outcome out = {.result = result};
    if (rc == 0) {
        out.completed = true;
        free(reason);
        worker_job_log(job, "build succeeded");
        /* [wrap] enabled: the job ends with the bindings of the library it built (SPEC 7). */
        const char *lib = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(result, "artifact"), "path"));
        cJSON *wrap = NULL;
        char *wrap_reason = NULL;
        if (lib && bindings_wrap_project(config, lib, &job->cancel, job->log_path, &wrap, &wrap_reason) != BINDINGS_OK) {
            /* The library is built; its bindings are not: the job fails, saying which. */
            out.completed = false;
            out.reason = xasprintf("wrap: %s", wrap_reason ? wrap_reason : "failed");
            worker_job_log(job, "bindings failed: %s", out.reason);
        }
        free(wrap_reason);
        if (wrap)   /* NULL when [wrap] is not enabled */
            cJSON_AddItemToObject(result, "wrap", wrap);
        return out;
    }
    if (rc == 1) {
        const cJSON *diag = cJSON_GetObjectItem(result, "diagnostics");
        int errors = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(diag, "errors"));
        int signalled = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(result, "files"), "signalled"));
        if (signalled > 0 && !reason) {
            /* A compiler killed by a signal may pass on a second try ([error_handling]); a compile error never does. */
            out.retryable = true;
            reason = xasprintf("%d compiler%s killed by a signal", signalled, signalled == 1 ? "" : "s");
        }
        out.reason = reason ? reason : xasprintf("build failed with %d error%s", errors, errors == 1 ? "" : "s");
    } else {
        out.reason = reason ? reason : xstrdup("build could not run");
    }
    worker_job_log(job, "build failed: %s", out.reason);
    return out;
}

int64_t worker_evict_cache(const jm_config *cfg)
{
    if (!cfg->compilation.cache_enabled || !dir_exists(cfg->compilation.cache_dir))
        return -1;
    int64_t size = -1;
    int64_t removed = engine_cache_evict(cfg->compilation.cache_dir, cfg->compilation.cache_size_mb * 1024 * 1024, &size);
    if (removed > 0)
        log_info("cache: evicted %lld bytes to stay within %lld MB", (long long)removed,
                 (long long)cfg->compilation.cache_size_mb);
    else if (removed < 0)
        log_warn("cache eviction failed: %s", strerror((int)-removed));
    return removed < 0 ? -1 : size;
}
