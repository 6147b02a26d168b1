/* worker.h - the worker daemons (discovery, compilation, build, error handler, watcher): connect, register, run jobs. */
#ifndef JMAKE_WORKER_H
#define JMAKE_WORKER_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "daemon.h"
#include "jobtype.h"

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
    char *log_failure;          /* owned: the first write to log_path that failed (worker_job_log) */
} worker_job;

/* Appends one time-stamped line to the job's output log. A line that cannot
 * be written (a full disk) is not lost silently: the first failure is kept
 * and becomes a "storage_warnings" entry of the job's result and one line of
 * the daemon's log when the job ends. Called from the job's thread. */
void worker_job_log(worker_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A handler's verdict. result (may be NULL) is consumed by the worker. */
typedef struct worker_outcome {
    bool completed;
    bool retryable;             /* the failure may pass on a second try */
    char *reason;               /* owned; NULL when completed */
    cJSON *result;
} worker_outcome;

typedef worker_outcome (*worker_handler)(worker_job *job);

/* ---- Worker daemon descriptors ----
 *
 * Each worker daemon is one descriptor (src/workers/NAME_daemon.c): the job
 * types it runs, the state it keeps, the messages and timers of its own.
 * worker.c is the same for all of them: it connects, registers, answers pings,
 * runs jobs on threads, and calls into the descriptor for everything else.
 *
 * Adding a job type = one row in job_type_table (src/queue/jobtype.c) + one
 * handler in the descriptor of the daemon that row names (handlers[TYPE]).
 * tests/unit/test_workers.c checks that the two agree. */

/* What a descriptor's messages and timers are given, on the loop thread. */
typedef struct worker_context {
    const jm_config *cfg;       /* borrowed: the daemon's configuration */
    const char *home;           /* borrowed */
    void *state;                /* borrowed: what the descriptor's start returned (NULL without start) */
    /* The daemon's uv_loop_t (borrowed), for a descriptor with handles of its
     * own (the watcher's inotify polls): it unrefs them, so they never hold
     * the daemon up, and closes them in stop. */
    void *loop;
    /* Sends msg (takes ownership) to the orchestrator; dropped while not connected. Loop thread only. */
    void (*send)(struct worker_context *ctx, cJSON *msg);
} worker_context;

/* A message of the orchestrator only this daemon understands. */
typedef struct worker_message {
    const char *op;             /* the message's "op": "evict" */
    void (*handle)(worker_context *ctx, const cJSON *msg);  /* msg borrowed */
} worker_message;

/* Periodic upkeep, started once the daemon has reached the orchestrator. */
typedef struct worker_timer {
    uint64_t first_ms;          /* after connecting */
    uint64_t interval_ms;       /* then every interval_ms; 0: once */
    void (*fire)(worker_context *ctx);
} worker_timer;

typedef struct worker_daemon {
    daemon_kind kind;
    /* The handler of each job type this daemon runs; NULL for the types it
     * does not (they fail through worker_run_not_implemented). */
    worker_handler handlers[JOB_TYPE_COUNT];
    /* Makes the daemon's state (returned pointer owned by the worker until
     * stop); NULL when the daemon keeps none. */
    void *(*start)(const jm_config *cfg, const char *home);
    /* Frees what start returned (takes ownership); NULL when start is. */
    void (*stop)(void *state);
    const worker_message *messages;     /* ends with {NULL}; NULL for none */
    const worker_timer *timers;         /* ends with {.fire = NULL}; NULL for none */
} worker_daemon;

/* The descriptors, one file each. */
extern const worker_daemon worker_discovery_daemon;
extern const worker_daemon worker_compilation_daemon;
extern const worker_daemon worker_build_daemon;
extern const worker_daemon worker_error_handler_daemon;
extern const worker_daemon worker_watcher_daemon;

/* Indexed by daemon_kind; NULL for the orchestrator (not a worker). Borrowed, static. */
extern const worker_daemon *const worker_daemon_table[DAEMON_COUNT];

/* The handler daemon runs jobs of type with (type may be NULL):
 * worker_run_not_implemented for a type it does not run or an unknown type. */
worker_handler worker_handler_for(const worker_daemon *daemon, const char *type);

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
int64_t worker_evict_cache(const jm_config *cfg);   /* the cache's size after it, or -1 (off, or failed) */

#endif
