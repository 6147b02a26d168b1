/* engine_internal.h - what the engine's files share: the engine and project state, one build and its units, and the functions each file offers the others. */
#ifndef JMAKE_ENGINE_INTERNAL_H
#define JMAKE_ENGINE_INTERNAL_H

/* Not for use outside src/build/: engine.h is the public face. Reading order
 * of the files (docs/ENGINE.md, "Files"):
 *   engine.c            the engine object, per-project state, engine_build in its steps
 *   engine_toolchain.c  compiler drivers, LLVM tools, the children's environment
 *   engine_cmdline.c    a unit's command line, its hashes, unit paths
 *   engine_check.c      up-to-date checks and cache restores on the check threads
 *   engine_compile.c    the compile loop: decisions applied in order, commands through the runner
 *   engine_link.c       the link (shared, executable, static, [llvm]) and its up-to-date test
 *   engine_ccjson.c     compile_commands.json
 *   engine_diag.c       the job log and compiler diagnostics
 *   engine_explain.c    why each unit was compiled or restored, and what a cache miss's nearest entry differs in
 *   engine_result.c     the result JSON and the quiet answer of watched projects */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "buildrecord.h"
#include "buildtrace.h"
#include "engine.h"
#include "hashmap.h"
#include "objcache.h"
#include "project.h"
#include "runner.h"
#include "slotlimit.h"
#include "srcscan.h"
#include "util.h"

/* Above this many bytes of arguments the link goes through a response file;
   well below ARG_MAX so huge projects never hit E2BIG. */
#define RSP_THRESHOLD (96 * 1024)
/* Decided units applied between two looks at the running compilers. */
#define APPLY_CHUNK 256
/* Check threads at most (each mostly waits for the file system). */
#define MAX_CHECKERS 16
/* The build thread sleeps until the unit this far ahead is decided, not the
   next one: checks of up-to-date units take microseconds, and one wake-up per
   unit would cost more than the checks. Delays a compile by a few checks at most. */
#define WAKE_AHEAD 8
/* Finished commands taken from the runner per wait. */
#define DONE_CHUNK 64
/* Entries of the result's explain list at most: a huge rebuild keeps a small result. */
#define EXPLAIN_MAX 1000

/* ------------------------------------------------------ engine, projects */

/* What the engine remembers about one project between builds. */
typedef struct proj_state {
    /* Held for the whole of a build: one build per project at a time, builds
       of different projects side by side. Everything below except watched,
       noted and rescan belongs to the build holding it. */
    pthread_mutex_t busy;
    buildrecord rec;
    bool loaded;
    bool watched;           /* a watcher reports every change: quiet builds answer from memory (under eng->lock) */
    strvec noted;           /* paths reported changed since the last build (under eng->lock) */
    bool rescan;            /* the watcher lost track: check everything (under eng->lock) */
    cJSON *quiet_result;    /* result of the last good build, rewritten as "all up to date" */
    br_file **outside;      /* with quiet_result: the record's inputs outside root (borrowed from rec,
                               which no one changes until the next build), stat-checked by the quiet
                               answer without going over every file of the record */
    size_t outside_count;
    int64_t cfg_size, cfg_mtime, art_size, art_mtime;
    char *root;             /* the project root of the last good watched build (owned): what the watcher covers */
    char *name;             /* its [project] name (owned): names the quiet answer's timeline */
    /* A watched project's index: the files its last listing found (absolute
       path -> (void *)1, srcscan_options.found), kept current from the
       reported paths so a build with changes lists its sources without a
       walk (engine.c, update_index). Valid while the jmake.toml keeps the
       (size, mtime) it had then. */
    hashmap index;
    bool index_valid;
    int64_t index_cfg_size, index_cfg_mtime;
} proj_state;

struct engine {
    engine_options opt;     /* strings owned; opt.runner borrowed (or == own_runner) */
    runner *runner;         /* where every command runs */
    runner *own_runner;     /* the real runner when the options named none; owned */
    slotlimit slots;        /* commands in flight over every build of this engine */
    pthread_mutex_t lock;   /* guards projects and every proj_state's notes */
    hashmap projects;       /* canonical config path -> proj_state* (owned) */
    pthread_mutex_t cache_lock; /* guards cache_sizes, and serialises automatic eviction */
    hashmap cache_sizes;    /* cache dir -> int64_t* estimated bytes */
};

/* ------------------------------------------------------------ one build */

typedef src_lang unit_lang;
typedef enum unit_status { U_PENDING, U_QUEUED, U_RUNNING, U_UPTODATE, U_CACHED, U_COMPILED, U_FAILED } unit_status;
/* What a check thread decided; the build thread applies it in unit order. */
typedef enum unit_outcome { OUT_COMPILE, OUT_MISS, OUT_UPTODATE, OUT_CACHED } unit_outcome;

/* Why a unit was not up to date (one reason, the first in this order that applies). */
typedef enum why_reason {
    WHY_FORCED,             /* incremental builds are off */
    WHY_NO_RECORD,          /* no earlier build of the unit in the record */
    WHY_COMPILER_CHANGED,
    WHY_FLAGS_CHANGED,
    WHY_COMMAND_CHANGED,    /* same compiler and flags, other paths (output, depfile) */
    WHY_SOURCE_CHANGED,
    WHY_HEADER_CHANGED,
    WHY_HEADER_REMOVED,
    WHY_OBJECT_MISSING,
    WHY_OBJECT_CHANGED,     /* the object's stat is not the one recorded after its build */
    WHY_UNKNOWN,            /* an input changed between the check and its explanation */
} why_reason;

/* What a cache lookup of a unit found. */
typedef enum why_cache {
    WHY_CACHE_NONE,         /* cache off, or the source unreadable: no lookup */
    WHY_CACHE_HIT,
    WHY_CACHE_MISS,
} why_cache;

/* The explanation of one unit that was not up to date; made on its check
   thread (only for such units: up-to-date ones cost nothing), turned into
   the result's explain list. Owned by its unit. */
typedef struct unit_why {
    why_reason reason;
    char *text;             /* the human sentence, e.g. "header include/x.h changed" */
    strvec headers;         /* header-changed / header-removed: every one, root-relative */
    strvec added, removed;  /* flags-changed: flags added and removed */
    br_file **old_deps;     /* the previous build's inputs (borrowed from the record), to tell
                               headers added and removed after the compile */
    size_t old_dep_count;
    why_cache cache;
    cJSON *nearby;          /* a miss: {nearby, differs [...], text}; owned */
} unit_why;

/* What a build may fail to store while the build itself succeeds (a full disk). */
typedef enum eng_store_kind { ENG_STORE_CACHE, ENG_STORE_RECORD, ENG_STORE_LOG, ENG_STORE_KINDS } eng_store_kind;

/* One translation unit of this build. */
typedef struct unit {
    char *rel;          /* source relative to the root (absolute when outside it) */
    char *src_arg;      /* rel as passed to the compiler: "./" before a leading '-' */
    char *obj_rel;      /* output as passed to the compiler (relative to the root when under it) */
    char *obj_abs;
    char *dep_rel, *dep_abs;
    unit_lang lang;
    strvec extra;       /* flags from matching [[compile.overrides]] */
    XXH128_hash_t cmd_hash;
    XXH128_hash_t mkey; /* manifest key, when the cache is on and the source was readable */
    bool have_mkey;
    br_file *src;
    unit_status status;
    unit_outcome outcome;
    atomic_bool decided;  /* outcome, cmd_hash, mkey, why are written: release by the check thread */
    unit_why *why;        /* NULL while up to date; owned */
} unit;

typedef enum arg_kind { ARG_PLAIN, ARG_OUTPUT } arg_kind;
typedef void (*emit_fn)(void *ctx, const char *arg, arg_kind kind);

typedef struct build {
    engine *eng;
    const engine_job *job;
    char *config_key;               /* canonical config path; owned */
    project_config P;
    proj_state *ps;                 /* its busy lock is held by this build */
    buildrecord *rec;
    char *record_path;              /* where rec persists, NULL without a state_dir; owned */
    bool watched;                   /* as the project was when the build began */
    bool rescan;                    /* the watcher lost track: list by a walk */
    bool trust_unreported;          /* watched, record unbroken since this engine's last good build
                                       of it: files inside root that nobody reported are taken as
                                       unchanged without a stat (engine_check.c) */
    bool walked;                    /* the sources were listed by a walk, not from the index */
    size_t joined, left;            /* index entries the reported paths added and removed */
    bool llvm, cache, incremental;
    const char *cache_dir;
    char *cc, *cxx;                 /* resolved compiler drivers */
    XXH128_hash_t cc_id, cxx_id;
    struct eng_tool_info *cc_info, *cxx_info;  /* what the ids are made of (owned; NULL without a driver) */
    br_command *lang_cmd[SRC_LANG_COUNT]; /* the record's command of units without overrides (under rec_lock) */
    strvec common[SRC_LANG_COUNT];  /* arguments after argv[0], per language */
    bool debug_info;                /* -g given: the working folder lands in the object */
    char **envp;                    /* children's environment (NULL-terminated, owned) */
    char *obj_dir_abs, *obj_dir_rel; /* build_dir/obj (or /bc), absolute and as passed to compilers */
    XXH3_state_t *cmd_prefix[SRC_LANG_COUNT], *mkey_prefix[SRC_LANG_COUNT]; /* see eng_setup_hash_prefixes */
    unit *units;
    size_t nunits;
    /* While check threads run: rec_lock guards the record (its maps and every
       br_file), dirs_lock guards made_dirs. Counters, diagnostics, the log and
       progress belong to the build thread alone. */
    pthread_mutex_t rec_lock, dirs_lock;
    bool locks_ready;               /* rec_lock and dirs_lock initialised */
    hashmap made_dirs;
    int log_fd;
    cJSON *diag_items;
    hashmap diag_seen;
    size_t errors, warnings;
    diag_list config_diags;         /* warnings about this build's jmake.toml (owned) */
    size_t compiled, from_cache, up_to_date, failed, hits, misses, done;
    size_t signalled;               /* failed units whose compiler a signal killed (not a cancel): may pass again */
    bool link_failed;               /* the link ran and failed: no artifact */
    int64_t stored_bytes;
    /* The first failure to store of each kind (owned) and how many there
       were: one warning in the result and one log line per kind and build. */
    char *store_failed[ENG_STORE_KINDS];
    size_t store_failures[ENG_STORE_KINDS];
    uint64_t t_start, deadline;
    uint64_t scan_ms, compile_ms, link_ms;
    char *stop_reason;
    /* Commands: this build's batch of the engine's runner, and its place in
       the engine-wide slot queue. wake_fd wakes the build thread (a check
       thread decided the awaited unit, or a slot was set aside for it). */
    runner_batch *batch;
    slot_waiter waiter;
    int wake_fd;
    size_t running;                 /* commands of this build in flight (each holds a slot) */
    buildtrace *trace;              /* this build's timeline (owned) */
} build;

/* ---------------------------------------------------------- engine.c */

/* Something of kind was not stored (the build goes on): the first of each
 * kind is logged and becomes a warning of the result. Build thread only. */
void eng_store_failed(build *b, eng_store_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------ engine_toolchain.c */

/* What a tool's identity is made of. */
typedef struct eng_tool_info {
    char *real;             /* resolved path (owned) */
    int64_t size, mtime_ns;
} eng_tool_info;

/* H(realpath, size, mtime) of a tool: an upgrade changes every key it built.
   With info, also what went into it (*info allocated; free with eng_tool_info_free). */
XXH128_hash_t eng_tool_identity(const char *path, eng_tool_info **info);
void eng_tool_info_free(eng_tool_info *info);
/* An LLVM tool's path (caller frees), or NULL when none is found. */
char *eng_llvm_tool(build *b, const char *name);
/* Fills b->envp: the daemon's environment with LC_MESSAGES=C. */
void eng_setup_env(build *b);

/* -------------------------------------------------- engine_cmdline.c */

/* A path as handed to the compiler (which runs in the root). Caller frees. */
char *eng_root_relative(const build *b, const char *abs);
/* path, or "./path" when it starts with '-'. Takes ownership of path; caller frees. */
char *eng_path_arg(char *path);
void eng_setup_common_args(build *b);
void eng_setup_hash_prefixes(build *b);
/* The unit's driver (borrowed from b), NULL when it was not found. */
const char *eng_unit_compiler(const build *b, const unit *u);
/* The one definition of a unit's command line. */
void eng_unit_emit(const build *b, const unit *u, emit_fn emit, void *ctx);
void eng_emit_strvec(void *ctx, const char *arg, arg_kind kind);   /* ctx: strvec* */
void eng_emit_json(void *ctx, const char *arg, arg_kind kind);     /* ctx: cJSON array */
XXH128_hash_t eng_unit_cmd_hash(const build *b, const unit *u, XXH3_state_t *st);
XXH128_hash_t eng_unit_manifest_key(const build *b, const unit *u, XXH128_hash_t src_hash, XXH3_state_t *st);
/* Takes ownership of rel. */
void eng_init_unit(build *b, unit *u, char *rel);
void eng_free_unit(unit *u);
void eng_stat_ns(const struct stat *st, int64_t *size, int64_t *mtime);

/* ---------------------------------------------------- engine_check.c */

/* The check threads; they post b->wake_fd when they decide the unit in wanted. */
typedef struct checkers {
    build *b;
    atomic_size_t next;     /* next unit to take */
    atomic_size_t wanted;   /* unit the build thread sleeps on, SIZE_MAX when awake */
    atomic_bool abort;
    pthread_t *threads;
    size_t nthreads;
} checkers;

void eng_checkers_start(build *b, checkers *c);
void eng_checkers_stop(checkers *c);
/* Decides one unit (on a check thread, or on the build thread when none started). */
void eng_check_unit(build *b, unit *u, XXH3_state_t *st);
/* One mkdir per output folder and build; below the build folder a folder
   that is a symbolic link is refused (-ELOOP). 0 or -errno. */
int eng_ensure_dir_of(build *b, const char *file);
/* NULL when path may be written (its folder made, itself no symbolic link),
   else why not (caller frees). */
char *eng_output_refused(build *b, const char *path);
/* Records the unit's object as built from its source plus headers; caller holds rec_lock. */
bool eng_record_object(build *b, unit *u, char *const *headers, size_t count, XXH128_hash_t *hashes,
                       int64_t obj_size, int64_t obj_mtime);
void eng_object_stat(const unit *u, int64_t *size, int64_t *mtime);
void eng_report_progress(build *b, const unit *u);

/* -------------------------------------------------- engine_compile.c */

/* true when the build must stop (cancel, timeout); sets b->stop_reason. */
bool eng_should_stop(build *b);
/* Checks and compiles every unit; false when stopped (b->stop_reason set). */
bool eng_run_units(build *b);

typedef enum eng_tool_outcome { TOOL_SUCCEEDED, TOOL_FAILED, TOOL_STOPPED } eng_tool_outcome;
/* Runs one command to completion in the root through the runner (it takes a
   slot like a compiler). *out gets its output (caller frees) unless stopped. */
eng_tool_outcome eng_run_tool(build *b, char *const *argv, char **out, size_t *out_len);

/* ----------------------------------------------------- engine_link.c */

typedef enum eng_link_outcome {
    LINK_DONE,          /* linked */
    LINK_UP_TO_DATE,
    LINK_FAILED,        /* diagnostics added */
    LINK_STOPPED,       /* cancel or timeout: b->stop_reason */
    LINK_CANNOT_PLAN,   /* a tool is missing: *reason set */
} eng_link_outcome;
eng_link_outcome eng_link_artifact(build *b, char **reason);

/* --------------------------------------------------- engine_ccjson.c */

void eng_write_compile_commands(build *b);

/* ----------------------------------------------------- engine_diag.c */

void eng_log_text(build *b, const char *text, size_t len);
void eng_log_command(build *b, char *const *argv);
void eng_add_diag(build *b, const char *file, int line, int col, bool error, const char *msg, size_t msglen);
/* Diagnostics of one tool's output; returns the number of errors. */
size_t eng_parse_diagnostics(build *b, const char *out, size_t len, const char *fallback_file);

/* -------------------------------------------------- engine_explain.c */

/* The unit's command as the record keeps it (interned); caller holds rec_lock. */
br_command *eng_unit_command(build *b, const unit *u);
/* Why u (not up to date) needs work: fills u->why. obj_size < 0: the object
   is missing. Takes rec_lock; runs on a check thread. */
void eng_explain_unit(build *b, unit *u, int64_t obj_size, int64_t obj_mtime);
/* A cache miss of u: what the nearest entry stored for its source differs in. */
void eng_explain_miss(build *b, unit *u, const objcache_miss *miss, bool evicted);
/* After u's object was stored in the cache: note what went into it for later misses.
   Returns bytes written. Build thread. */
int64_t eng_explain_stored(build *b, const unit *u, XXH128_hash_t src_hash);
/* The explain list (at most EXPLAIN_MAX entries) and explain_omitted into result. */
void eng_explain_result(build *b, cJSON *result);
void eng_explain_free_unit(unit *u);
/* Frees what the build holds for explanations (tool infos). */
void eng_explain_cleanup(build *b);

/* --------------------------------------------------- engine_result.c */

/* The result JSON (caller frees); takes b->diag_items. */
cJSON *eng_make_result(build *b);
/* A copy of result rewritten as "all up to date" (caller frees). */
cJSON *eng_quiet_copy(const cJSON *result);
/* (size, mtime_ns) of path; (-1, -1) and false when missing. */
bool eng_stat_pair(const char *path, int64_t *size, int64_t *mtime);

#endif
