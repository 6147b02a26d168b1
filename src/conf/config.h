/* config.h - the daemon configuration (SPEC 5): one key table, three merged files, checked types and bounds. */
#ifndef JMAKE_CONFIG_H
#define JMAKE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "util.h"

/* Every field is filled: from the files where set, else from the key table's default. */
typedef struct jm_config {
    struct { int64_t max_concurrent_jobs, job_timeout_seconds; } queue;
    struct { strvec watch_patterns, ignore_patterns; int64_t debounce_ms; } watcher;
    struct { int64_t max_retries, retry_delay_seconds; } error_handling;
    struct { int64_t max_daemons, health_check_interval; bool restart_failed_daemons; } orchestrator;
    struct { char *log_level; char *log_file; int64_t max_size_kb, keep_files; } logging;
    struct {
        int64_t max_parallel_builds, build_timeout, cache_size_mb;
        bool cache_enabled, incremental_builds;
        char *cache_dir;            /* absolute after config_load (relative paths are under the home) */
    } compilation;
    struct { bool use_bundled; char *toolchain_path; } llvm;
    struct { char *engine; strvec hosts; bool pump; } distributed;   /* engine "none" or "distcc" */
} jm_config;

typedef enum config_type { CFG_INT, CFG_BOOL, CFG_STRING, CFG_STRING_LIST, CFG_PATH } config_type;

/* One row per key: the single source for checking, defaults, the commented
 * sample file and shell completion. */
typedef struct config_key {
    const char *section;
    const char *name;
    config_type type;
    int64_t min, max;               /* CFG_INT bounds, inclusive */
    const char *const *choices;     /* CFG_STRING: allowed values, NULL-terminated; NULL = any */
    const char *default_text;       /* default as TOML text: "4", "true", "\"info\"", "[\"*.c\"]" */
    const char *doc;                /* one line of documentation */
    size_t offset;                  /* where the value lands in jm_config */
} config_key;

extern const config_key config_keys[];
extern const size_t config_key_count;

/* The files read from a home, in order: job_queue_design.toml, orchestrator.toml, compilation.toml. */
extern const char *const config_file_names[];
extern const size_t config_file_count;

void config_defaults(jm_config *cfg, const char *home);
/* Loads the three files of home (missing files are fine) over the defaults.
 * Errors and warnings go to diags with FILE:LINE:COL; returns 0, or -1 when
 * any error was found (cfg is then still filled with defaults where needed). */
int config_load(jm_config *cfg, const char *home, diag_list *diags);
/* Checks the given files as one daemon configuration (as if they were the
 * three files of a home), without the home's own files. */
int config_check_files(const char *const *paths, size_t count, diag_list *diags);
void config_free(jm_config *cfg);

/* Writes the commented sample configuration (the documentation of every key) to out. */
void config_write_sample(FILE *out);

#endif
