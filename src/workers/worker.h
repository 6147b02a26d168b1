/* worker.h - the worker daemons (discovery, compilation, build, error handler, watcher): connect, register, run jobs. */
#ifndef JMAKE_WORKER_H
#define JMAKE_WORKER_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "daemon.h"

/* What a job handler is given. Handlers run on a thread of their own. */
typedef struct worker_job {
    const cJSON *job;           /* the job record as the orchestrator sent it */
    const char *id, *type;
    const char *log_path;       /* the job's output log */
    const jm_config *cfg;
    const char *home;
    atomic_int cancel;          /* set when the orchestrator cancels the job */
    void *daemon_state;         /* the daemon's own state (e.g. the compilation engines) */
    /* Progress reports; thread-safe. */
    void (*progress)(struct worker_job *job, long done, long total, const char *current);
    void *priv;
} worker_job;

/* A handler's verdict. result (may be NULL) is consumed by the worker. */
typedef struct worker_outcome {
    bool completed;
    bool retryable;             /* the failure may pass on a second try */
    char *reason;               /* owned; NULL when completed */
    cJSON *result;
} worker_outcome;

typedef worker_outcome (*worker_handler)(worker_job *job);

/* Runs the worker daemon of the given kind for home until the orchestrator
 * says shutdown or goes away. Returns the process exit code. */
int worker_main(daemon_kind kind, const char *home);

/* Handlers (worker_jobs.c). */
worker_outcome worker_run_discovery(worker_job *job);
worker_outcome worker_run_compilation(worker_job *job);
worker_outcome worker_run_not_implemented(worker_job *job);
void *worker_compilation_state_new(const jm_config *cfg, const char *home);
void worker_compilation_state_free(void *state);
/* The build daemon keeps the shared object cache within cache_size_mb. */
void worker_evict_cache(const jm_config *cfg);

#endif
