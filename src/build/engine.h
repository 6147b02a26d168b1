/* engine.h - the compilation engine: parallel, incremental, cached builds of one project (SPEC 7). */
#ifndef JMAKE_ENGINE_H
#define JMAKE_ENGINE_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct engine_options {
    const char *state_dir;      /* where per-project build records persist (home/state) */
    const char *cache_dir;      /* content-addressed object cache (absolute) */
    bool cache_enabled;
    int64_t cache_size_mb;
    int max_parallel;           /* commands (compilers, linkers) at once over every build of
                                   this engine, however many projects build at the same time */
    int64_t build_timeout_s;    /* whole build */
    bool incremental;
    const char *llvm_toolchain_path; /* daemon default for [llvm] projects */
    struct runner *runner;      /* where commands run (runner.h), borrowed: it must outlive the
                                   engine; NULL = local processes (the engine makes its own) */
    const char *trace_dir;      /* where build timelines are kept (home/traces), one folder per
                                   project; NULL = none written */
} engine_options;

/* Called from the thread running engine_build as files finish: after every
 * file that needed work (compiled, copied from the cache, failed). Files that
 * were already up to date only advance `done`, so a no-op build of 10,000
 * files does not produce 10,000 calls. current_file is relative to the root. */
typedef void (*engine_progress_fn)(void *ctx, size_t done, size_t total, const char *current_file);

typedef struct engine_job {
    const char *config_path;    /* the project's jmake.toml (absolute) */
    const char *log_path;       /* job output log: commands and compiler output are appended; may be NULL */
    engine_progress_fn progress;/* may be NULL */
    void *progress_ctx;
    atomic_int *cancel;         /* may be NULL; when it becomes nonzero the build stops within
                                   a second and every compiler process group is killed */
    const char *job_id;         /* names the build's timeline in trace_dir; NULL = none written */
} engine_job;

/* One engine serves every project of a daemon: it keeps per-project build
 * state in memory (loaded from state_dir on first use, saved after every
 * build) so that later callers (the watcher) can tell it what changed instead
 * of rescanning, and it bounds the commands of all its builds together. */
typedef struct engine engine;

engine *engine_new(const engine_options *options);  /* copies options */
void engine_free(engine *eng);

/* Builds one project; blocking, safe to call from several threads at once:
 * builds of different projects run side by side (sharing max_parallel), a
 * second build of the same project waits for the first (a cancel still stops
 * the wait). Returns 0 when the artifact is up to date or was
 * built, 1 when the build failed (compile or link errors, diagnostics in the
 * result), -1 when the job could not run (bad configuration, cancelled,
 * timeout): *reason is then set (caller frees). *result is set in every case
 * where a result exists (caller frees with cJSON_Delete): artifact {path,
 * kind, size} (null when the build failed: a library on disk is then an
 * earlier build's), files {total, compiled, from_cache, up_to_date, failed},
 * symbols [] (empty when the build failed), warnings [] ("jmake.toml:LINE:COL:
 * warning: ..." about the configuration), timings_ms {scan, compile, link, total},
 * diagnostics {errors, warnings, items [{file, line, column, severity, message}]},
 * cache {hits, misses}, explain [{file, outcome (compiled | failed | restored),
 * reason, text, ...}] for every unit that was not up to date (at most 1,000;
 * explain_omitted counts the rest; docs/ENGINE.md), slowest [{file, ms}] (the
 * five compiled units whose compiler ran longest), trace (the timeline's path,
 * when one was written: trace_dir and job_id given); with a runner that sends compiles to other machines
 * (distcc) also distributed {remote, local, fallback, failed_hosts []}. */
int engine_build(engine *eng, const engine_job *job, cJSON **result, char **reason);

/* Tells the engine that paths (absolute, or relative to the daemon's working
 * folder) changed, were created or were removed, so the next build re-hashes
 * them even when their stat looks unchanged. paths NULL means "lost track"
 * (e.g. an inotify overflow): the next build checks everything. Safe to call
 * from any thread, also while a build runs (the notes apply to the next one). */
void engine_note_changes(engine *eng, const char *config_path, const char *const *paths, size_t count);

/* While watched, the caller promises to report every change under the
 * project (sources, headers, the jmake.toml) through engine_note_changes; a
 * build with nothing reported and the artifact untouched then answers from
 * memory without scanning the tree. Off by default. */
void engine_set_watched(engine *eng, const char *config_path, bool watched);

/* Evicts least-recently-used cache entries until the cache holds at most
 * max_bytes. Returns bytes removed, or -errno; *size_after (may be NULL) gets
 * the cache's size once done. */
int64_t engine_cache_evict(const char *cache_dir, int64_t max_bytes, int64_t *size_after);

#endif
