/* engine.c - one build of one project: scan, up-to-date checks, cache, parallel compiles, link, results. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* realpath(NULL), open_memstream */
#endif
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "buildrecord.h"
#include "ccdiag.h"
#include "depfile.h"
#include "elfsyms.h"
#include "hashmap.h"
#include "log.h"
#include "objcache.h"
#include "project.h"
#include "srcscan.h"
#include "subproc.h"
#include "sys.h"
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

/* What the engine remembers about one project between builds. */
typedef struct proj_state {
    buildrecord rec;
    bool loaded;
    bool watched;           /* a watcher reports every change: quiet builds answer from memory */
    strvec noted;           /* paths reported changed since the last build (under eng->lock) */
    bool rescan;            /* the watcher lost track: check everything */
    cJSON *quiet_result;    /* result of the last good build, rewritten as "all up to date" */
    int64_t cfg_size, cfg_mtime, art_size, art_mtime;
} proj_state;

struct engine {
    engine_options opt;     /* strings owned */
    pthread_mutex_t lock;   /* guards projects and every proj_state's notes */
    hashmap projects;       /* config path -> proj_state* */
    hashmap cache_sizes;    /* cache dir -> int64_t* estimated bytes */
};

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

engine *engine_new(const engine_options *options)
{
    engine *eng = xcalloc(1, sizeof *eng);
    eng->opt = *options;
    eng->opt.state_dir = dup_or_null(options->state_dir);
    eng->opt.cache_dir = dup_or_null(options->cache_dir);
    eng->opt.llvm_toolchain_path = dup_or_null(options->llvm_toolchain_path);
    if (eng->opt.max_parallel < 1)
        eng->opt.max_parallel = 1;
    pthread_mutex_init(&eng->lock, NULL);
    hashmap_init(&eng->projects);
    hashmap_init(&eng->cache_sizes);
    return eng;
}

void engine_free(engine *eng)
{
    if (!eng)
        return;
    size_t pos = 0;
    void *v;
    while (hashmap_next(&eng->projects, &pos, NULL, &v)) {
        proj_state *ps = v;
        buildrecord_free(&ps->rec);
        strvec_free(&ps->noted);
        cJSON_Delete(ps->quiet_result);
        free(ps);
    }
    hashmap_free(&eng->projects);
    pos = 0;
    while (hashmap_next(&eng->cache_sizes, &pos, NULL, &v))
        free(v);
    hashmap_free(&eng->cache_sizes);
    pthread_mutex_destroy(&eng->lock);
    free((char *)eng->opt.state_dir);
    free((char *)eng->opt.cache_dir);
    free((char *)eng->opt.llvm_toolchain_path);
    free(eng);
}

/* Caller holds eng->lock. */
static proj_state *state_for(engine *eng, const char *config_path)
{
    proj_state *ps = hashmap_get(&eng->projects, config_path);
    if (!ps) {
        ps = xcalloc(1, sizeof *ps);
        buildrecord_init(&ps->rec);
        hashmap_put(&eng->projects, config_path, ps);
    }
    return ps;
}

static char *canonical_config(const char *config_path)
{
    return path_absolute(NULL, config_path);
}

void engine_note_changes(engine *eng, const char *config_path, const char *const *paths, size_t count)
{
    char *key = canonical_config(config_path);
    pthread_mutex_lock(&eng->lock);
    proj_state *ps = state_for(eng, key);
    if (!paths)
        ps->rescan = true;
    for (size_t i = 0; paths && i < count; i++)
        strvec_push_owned(&ps->noted, path_absolute(NULL, paths[i]));
    pthread_mutex_unlock(&eng->lock);
    free(key);
}

void engine_set_watched(engine *eng, const char *config_path, bool watched)
{
    char *key = canonical_config(config_path);
    pthread_mutex_lock(&eng->lock);
    proj_state *ps = state_for(eng, key);
    ps->watched = watched;   /* quiet_result belongs to the build thread: it drops it when unwatched */
    pthread_mutex_unlock(&eng->lock);
    free(key);
}

int64_t engine_cache_evict(const char *cache_dir, int64_t max_bytes)
{
    return objcache_evict(cache_dir, max_bytes);
}

/* ---------------------------------------------------------------- units */

typedef src_lang unit_lang;
typedef enum unit_status { U_PENDING, U_QUEUED, U_RUNNING, U_UPTODATE, U_CACHED, U_COMPILED, U_FAILED } unit_status;
/* What a check thread decided; the build thread applies it in unit order. */
typedef enum unit_outcome { OUT_COMPILE, OUT_MISS, OUT_UPTODATE, OUT_CACHED } unit_outcome;

/* One translation unit of this build. */
typedef struct unit {
    char *rel;          /* source relative to the root (absolute when outside it) */
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
    atomic_bool decided;  /* outcome, cmd_hash, mkey are written: release by the check thread */
} unit;

typedef enum arg_kind { ARG_PLAIN, ARG_OUTPUT } arg_kind;
typedef void (*emit_fn)(void *ctx, const char *arg, arg_kind kind);

typedef struct build {
    engine *eng;
    const engine_job *job;
    project_config P;
    proj_state *ps;
    buildrecord *rec;
    bool llvm, cache, incremental;
    const char *cache_dir;
    char *cc, *cxx;                 /* resolved compiler drivers */
    XXH128_hash_t cc_id, cxx_id;
    strvec common[SRC_LANG_COUNT];  /* arguments after argv[0], per language */
    bool debug_info;                /* -g given: the working folder lands in the object */
    char **envp;                    /* children's environment (NULL-terminated, owned) */
    char *obj_dir_abs, *obj_dir_rel; /* build_dir/obj (or /bc), absolute and as passed to compilers */
    XXH3_state_t *cmd_prefix[SRC_LANG_COUNT], *mkey_prefix[SRC_LANG_COUNT]; /* see setup_hash_prefixes */
    unit *units;
    size_t nunits;
    /* While check threads run: rec_lock guards the record (its maps and every
       br_file), dirs_lock guards made_dirs. Counters, diagnostics, the log and
       progress belong to the build thread alone. */
    pthread_mutex_t rec_lock, dirs_lock;
    hashmap made_dirs;
    int log_fd;
    cJSON *diag_items;
    hashmap diag_seen;
    size_t errors, warnings;
    size_t compiled, from_cache, up_to_date, failed, hits, misses, done;
    int64_t stored_bytes;
    uint64_t t_start, deadline;
    char *stop_reason;
} build;

/* A path as handed to the compiler (which runs in the root): relative when
   under the root, so command lines and cache keys are equal across checkouts.
   Caller frees. */
static char *root_relative(const build *b, const char *abs)
{
    return path_relative(b->P.root, abs);
}

static void log_text(build *b, const char *text, size_t len)
{
    if (b->log_fd < 0 || !len)
        return;
    while (len) {
        ssize_t n = write(b->log_fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

static void log_command(build *b, char *const *argv)
{
    if (b->log_fd < 0)
        return;
    size_t len = 2;
    for (size_t i = 0; argv[i]; i++)
        len += strlen(argv[i]) + 1;
    char *line = xmalloc(len + 2);
    size_t o = 0;
    line[o++] = '$';
    for (size_t i = 0; argv[i]; i++) {
        line[o++] = ' ';
        size_t l = strlen(argv[i]);
        memcpy(line + o, argv[i], l);
        o += l;
    }
    line[o++] = '\n';
    log_text(b, line, o);
    free(line);
}

/* ------------------------------------------------------------ diagnostics */

static void add_diag(build *b, const char *file, int line, int col, bool error, const char *msg, size_t msglen)
{
    char *m = xstrndup(msg, msglen);
    char *key = xasprintf("%s\x1f%d\x1f%d\x1f%d\x1f%s", file ? file : "", line, col, error, m);
    if (hashmap_get(&b->diag_seen, key)) {   /* the same header warning from many units counts once */
        free(key);
        free(m);
        return;
    }
    hashmap_put(&b->diag_seen, key, (void *)1);
    free(key);
    cJSON *it = cJSON_CreateObject();
    if (file)
        cJSON_AddStringToObject(it, "file", file);
    else
        cJSON_AddNullToObject(it, "file");
    cJSON_AddNumberToObject(it, "line", line);
    cJSON_AddNumberToObject(it, "column", col);
    cJSON_AddStringToObject(it, "severity", error ? "error" : "warning");
    cJSON_AddStringToObject(it, "message", m);
    cJSON_AddItemToArray(b->diag_items, it);
    if (error)
        b->errors++;
    else
        b->warnings++;
    free(m);
}

typedef struct diag_ctx {
    build *b;
    const char *fallback_file;
} diag_ctx;

static void on_diag(void *ctx, const ccdiag *d)
{
    diag_ctx *c = ctx;
    char *file = d->file ? xstrndup(d->file, d->file_len) : NULL;
    add_diag(c->b, file ? file : c->fallback_file, d->line, d->column, d->error, d->message, d->message_len);
    free(file);
}

/* Diagnostics of one tool's output; tool-level lines ("cc1: error: ...")
   are attached to fallback_file. Returns the number of errors. */
static size_t parse_diagnostics(build *b, const char *out, size_t len, const char *fallback_file)
{
    diag_ctx c = {b, fallback_file};
    return ccdiag_parse(out, len, on_diag, &c);
}

/* ------------------------------------------------------------- toolchain */

static XXH128_hash_t tool_identity(const char *path)
{
    /* The resolved binary plus its size and mtime: an upgrade of the compiler
       changes mtime, so every object and cache key built by it changes too. */
    char *real = realpath(path, NULL);
    const char *p = real ? real : path;
    struct stat st;
    int64_t v[2] = {0, 0};
    if (stat(p, &st) == 0) {
        v[0] = st.st_size;
        v[1] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    XXH3_state_t *s = XXH3_createState();
    XXH3_128bits_reset(s);
    XXH3_128bits_update(s, p, strlen(p) + 1);
    XXH3_128bits_update(s, v, sizeof v);
    XXH128_hash_t h = XXH3_128bits_digest(s);
    XXH3_freeState(s);
    free(real);
    return h;
}

static char *find_in_dir(const char *dir, const char *name)
{
    char *bin = xasprintf("%s/bin/%s", dir, name);
    if (access(bin, X_OK) == 0)
        return bin;
    free(bin);
    bin = xasprintf("%s/%s", dir, name);
    if (access(bin, X_OK) == 0)
        return bin;
    free(bin);
    return NULL;
}

/* An LLVM tool: from the project's toolchain_path, else the daemon's, else
   the newest /usr/lib/llvm-N on this system (with a warning naming both). */
static char *llvm_tool(build *b, const char *name)
{
    const char *configured = b->P.llvm.toolchain_path ? b->P.llvm.toolchain_path : b->eng->opt.llvm_toolchain_path;
    if (configured) {
        char *p = find_in_dir(configured, name);
        if (p)
            return p;
    }
    int best = -1;
    DIR *d = opendir("/usr/lib");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int n;
            char tail;
            if (sscanf(de->d_name, "llvm-%d%c", &n, &tail) == 1 && n > best) {
                char *cand = xasprintf("/usr/lib/llvm-%d/bin/%s", n, name);
                if (access(cand, X_OK) == 0)
                    best = n;
                free(cand);
            }
        }
        closedir(d);
    }
    char *found = best >= 0 ? xasprintf("/usr/lib/llvm-%d/bin/%s", best, name) : subproc_find_program(name);
    if (found)
        log_warn("llvm: %s not found in toolchain '%s'; using %s", name, configured ? configured : "(none configured)",
                 found);
    return found;
}

/* ------------------------------------------------------------- arguments */

extern char **environ;

/* The daemon's environment with messages forced to English: diagnostics are
   parsed by their "error:" / "warning:" words. */
static void setup_env(build *b)
{
    size_t n = 0;
    while (environ[n])
        n++;
    b->envp = xcalloc(n + 2, sizeof *b->envp);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        if (!strncmp(e, "LC_ALL=", 7) || !strncmp(e, "LC_MESSAGES=", 12) || !strncmp(e, "LANGUAGE=", 9))
            continue;
        b->envp[o++] = xstrdup(e);
    }
    b->envp[o++] = xstrdup("LC_MESSAGES=C");
    b->envp[o] = NULL;
}

static void setup_common_args(build *b)
{
    project_config *P = &b->P;
    for (int l = 0; l < SRC_LANG_COUNT; l++) {
        strvec *a = &b->common[l];
        strvec_extend(a, &P->flags);
        strvec_extend(a, l == SRC_CXX ? &P->cxxflags : &P->cflags);
        if (l != SRC_ASM) {
            for (size_t i = 0; i < P->define_count; i++) {
                const project_define *d = &P->defines[i];
                strvec_push_owned(a, d->value ? xasprintf("-D%s=%s", d->name, d->value) : xasprintf("-D%s", d->name));
            }
            for (size_t i = 0; i < P->include_dirs.n; i++) {
                char *r = root_relative(b, P->include_dirs.v[i]);
                strvec_push_owned(a, xasprintf("-I%s", r));
                free(r);
            }
        }
        if (b->llvm || P->output == PROJECT_SHARED)
            strvec_push(a, "-fPIC");
        if (b->llvm && l != SRC_ASM && l != SRC_ASM_PP)
            strvec_push(a, "-emit-llvm");
    }
    for (size_t i = 0; i < P->flags.n; i++) {
        const char *f = P->flags.v[i];
        if (!strncmp(f, "-g", 2) && strcmp(f, "-g0") != 0)
            b->debug_info = true;
    }
}

static const char *unit_compiler(const build *b, const unit *u)
{
    return u->lang == SRC_CXX ? b->cxx : b->cc;
}

/* The one definition of a unit's command line; hashing, spawning and
   compile_commands.json all read it through here so they cannot disagree. */
static void unit_emit_prefix(const build *b, unit_lang lang, emit_fn emit, void *ctx)
{
    emit(ctx, lang == SRC_CXX ? b->cxx : b->cc, ARG_PLAIN);
    const strvec *c = &b->common[lang];
    for (size_t i = 0; i < c->n; i++)
        emit(ctx, c->v[i], ARG_PLAIN);
}

static void unit_emit_suffix(const unit *u, emit_fn emit, void *ctx)
{
    for (size_t i = 0; i < u->extra.n; i++)
        emit(ctx, u->extra.v[i], ARG_PLAIN);
    if (u->lang != SRC_ASM) {
        emit(ctx, "-MD", ARG_PLAIN);
        emit(ctx, "-MF", ARG_PLAIN);
        emit(ctx, u->dep_rel, ARG_OUTPUT);
    }
    emit(ctx, "-c", ARG_PLAIN);
    emit(ctx, u->rel, ARG_PLAIN);
    emit(ctx, "-o", ARG_PLAIN);
    emit(ctx, u->obj_rel, ARG_OUTPUT);
}

static void unit_emit(const build *b, const unit *u, emit_fn emit, void *ctx)
{
    unit_emit_prefix(b, u->lang, emit, ctx);
    unit_emit_suffix(u, emit, ctx);
}

typedef struct hash_ctx {
    XXH3_state_t *st;
    bool skip_outputs;
} hash_ctx;

static void emit_hash(void *ctx, const char *arg, arg_kind kind)
{
    hash_ctx *h = ctx;
    if (h->skip_outputs && kind == ARG_OUTPUT)
        return;
    XXH3_128bits_update(h->st, arg, strlen(arg) + 1);
}

static void emit_strvec(void *ctx, const char *arg, arg_kind kind) { strvec_push(ctx, arg); }

static void emit_json(void *ctx, const char *arg, arg_kind kind) { cJSON_AddItemToArray(ctx, cJSON_CreateString(arg)); }

/* The hash states after the per-language prefix of both keys, computed once
   per build; each unit then continues from a copy (the prefix is most of
   the command line). */
static void setup_hash_prefixes(build *b)
{
    for (int l = 0; l < SRC_LANG_COUNT; l++) {
        const XXH128_hash_t *id = l == SRC_CXX ? &b->cxx_id : &b->cc_id;
        bool have = (l == SRC_CXX ? b->cxx : b->cc) != NULL;
        b->cmd_prefix[l] = XXH3_createState();
        XXH3_128bits_reset(b->cmd_prefix[l]);
        XXH3_128bits_update(b->cmd_prefix[l], id, sizeof *id);
        b->mkey_prefix[l] = XXH3_createState();
        XXH3_128bits_reset(b->mkey_prefix[l]);
        XXH3_128bits_update(b->mkey_prefix[l], "jmake-object-1", 14);
        XXH3_128bits_update(b->mkey_prefix[l], id, sizeof *id);
        if (!have)
            continue;
        hash_ctx h = {b->cmd_prefix[l], false};
        unit_emit_prefix(b, (unit_lang)l, emit_hash, &h);
        hash_ctx m = {b->mkey_prefix[l], true};
        unit_emit_prefix(b, (unit_lang)l, emit_hash, &m);
    }
}

/* Compiler identity + the full command line. */
static XXH128_hash_t unit_cmd_hash(const build *b, const unit *u, XXH3_state_t *st)
{
    XXH3_copyState(st, b->cmd_prefix[u->lang]);
    hash_ctx h = {st, false};
    unit_emit_suffix(u, emit_hash, &h);
    return XXH3_128bits_digest(st);
}

/* Manifest key: everything that decides the object except the headers it
   reads and where the output goes. Paths under the root are relative, so
   another checkout of the same sources gets the same key; with -g the working
   folder is written into the debug info, so then it is part of the key. */
static XXH128_hash_t unit_manifest_key(const build *b, const unit *u, XXH128_hash_t src_hash, XXH3_state_t *st)
{
    XXH3_copyState(st, b->mkey_prefix[u->lang]);
    hash_ctx h = {st, true};
    unit_emit_suffix(u, emit_hash, &h);
    if (b->debug_info)
        XXH3_128bits_update(st, b->P.root, strlen(b->P.root) + 1);
    XXH3_128bits_update(st, &src_hash, sizeof src_hash);
    return XXH3_128bits_digest(st);
}

/* a+b+c+d without printf: init_unit runs for every source on every build. Caller frees. */
static char *cat4(const char *a, const char *b, const char *c, const char *d)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
    char *s = xmalloc(la + lb + lc + ld + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc);
    memcpy(s + la + lb + lc, d, ld + 1);
    return s;
}

static void init_unit(build *b, unit *u, char *rel)
{
    memset(u, 0, sizeof *u);
    u->rel = rel;
    u->lang = srcscan_language(rel);
    /* Objects mirror the source tree; ".." and absolute paths are folded so
       every object stays inside build_dir/obj. */
    bool plain = rel[0] != '/' && !strstr(rel, "..") && strncmp(rel, "./", 2) != 0;
    char *safe = xstrdup(rel[0] == '/' ? rel + 1 : rel);
    for (char *p = strstr(safe, ".."); p; p = strstr(p + 2, ".."))
        p[0] = p[1] = '_';
    const char *ext = b->llvm ? ".bc" : ".o";
    u->obj_abs = cat4(b->obj_dir_abs, "/", safe, ext);
    u->dep_abs = cat4(b->obj_dir_abs, "/", safe, ".d");
    u->obj_rel = cat4(b->obj_dir_rel, "/", safe, ext);
    u->dep_rel = cat4(b->obj_dir_rel, "/", safe, ".d");
    free(safe);
    for (size_t i = 0; i < b->P.override_count; i++)
        if (glob_match(b->P.overrides[i].match, rel))
            strvec_extend(&u->extra, &b->P.overrides[i].flags);
    /* Paths from the scan are already normal: skip path_absolute's normalisation. */
    size_t rl = strlen(b->P.root);
    char *src_abs = plain ? cat4(b->P.root, rl && b->P.root[rl - 1] == '/' ? "" : "/", rel, "")
                          : path_absolute(b->P.root, rel);
    u->src = buildrecord_file(b->rec, src_abs);
    free(src_abs);
}

static void free_unit(unit *u)
{
    free(u->rel);
    free(u->obj_rel);
    free(u->obj_abs);
    free(u->dep_rel);
    free(u->dep_abs);
    strvec_free(&u->extra);
}

static void stat_ns(const struct stat *st, int64_t *size, int64_t *mtime)
{
    *size = st->st_size;
    *mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ----------------------------------------------------------- up to date */

/* Runs on a check thread. The stats (object, source) happen before taking
   rec_lock, so threads mostly wait for the file system in parallel. */
static bool unit_up_to_date(build *b, unit *u, const struct stat *src_st)
{
    struct stat st;
    if (stat(u->obj_abs, &st) < 0)
        return false;
    int64_t sz, mt;
    stat_ns(&st, &sz, &mt);
    pthread_mutex_lock(&b->rec_lock);
    br_object *o = hashmap_get(&b->rec->objects, u->rel);
    bool ok = o && hash_eq(o->cmd_hash, u->cmd_hash) && sz == o->obj_size && mt == o->obj_mtime_ns;
    for (size_t i = 0; ok && i < o->dep_count; i++) {
        br_file *f = o->deps[i];
        bool exists = f == u->src ? buildrecord_file_check_stat(b->rec, f, src_st) : buildrecord_file_check(b->rec, f);
        ok = exists && hash_eq(f->hash, o->dep_hashes[i]);
    }
    if (ok)
        o->seen_epoch = b->rec->epoch;
    pthread_mutex_unlock(&b->rec_lock);
    return ok;
}

/* One mkdir per output folder and build (the scan and every thread share the set). */
static void ensure_dir_of(build *b, const char *file)
{
    char *dir = path_dirname(file);
    pthread_mutex_lock(&b->dirs_lock);
    if (!hashmap_get(&b->made_dirs, dir)) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            mkdir_p(dir, 0755);
        hashmap_put(&b->made_dirs, dir, (void *)1);
    }
    pthread_mutex_unlock(&b->dirs_lock);
    free(dir);
}

/* Records obj as built from the source plus headers (paths as the compiler
   wrote them, relative to the root or absolute), with the object's stat
   (obj_size < 0: unknown). Fills hashes (count entries) for the cache;
   returns false when a header vanished meanwhile. Caller holds rec_lock. */
static bool record_object(build *b, unit *u, char *const *headers, size_t count, XXH128_hash_t *hashes,
                          int64_t obj_size, int64_t obj_mtime)
{
    br_file **deps = xmalloc((count + 1) * sizeof *deps);
    XXH128_hash_t *dh = xmalloc((count + 1) * sizeof *dh);
    bool complete = true;
    deps[0] = u->src;
    buildrecord_file_check(b->rec, u->src);
    dh[0] = u->src->hash;
    for (size_t i = 0; i < count; i++) {
        char *abs = path_absolute(b->P.root, headers[i]);
        br_file *f = buildrecord_file(b->rec, abs);
        free(abs);
        if (!buildrecord_file_check(b->rec, f)) {
            complete = false;
            memset(&dh[i + 1], 0, sizeof dh[i + 1]);   /* never matches: rebuilds next time */
        } else {
            dh[i + 1] = f->hash;
        }
        deps[i + 1] = f;
        if (hashes)
            hashes[i] = dh[i + 1];
    }
    br_object *o = buildrecord_object_set(b->rec, u->rel, u->cmd_hash, deps, dh, count + 1);
    o->obj_size = obj_size;
    o->obj_mtime_ns = obj_mtime;
    free(deps);
    free(dh);
    return complete;
}

/* Stat of a unit's object, taken outside rec_lock; (-1, -1) when missing. */
static void object_stat(const unit *u, int64_t *size, int64_t *mtime)
{
    struct stat st;
    if (stat(u->obj_abs, &st) == 0)
        stat_ns(&st, size, mtime);
    else
        *size = *mtime = -1;
}

/* Runs on a check thread, inside objcache_manifest_lookup. */
static bool manifest_check(void *ctx, const char *path, XXH128_hash_t expected)
{
    build *b = ctx;
    char *abs = path_absolute(b->P.root, path);
    pthread_mutex_lock(&b->rec_lock);
    br_file *f = buildrecord_file(b->rec, abs);
    bool ok = buildrecord_file_check(b->rec, f) && hash_eq(f->hash, expected);
    pthread_mutex_unlock(&b->rec_lock);
    free(abs);
    return ok;
}

static void report_progress(build *b, const unit *u)
{
    if (b->job->progress)
        b->job->progress(b->job->progress_ctx, b->done, b->nunits, u->rel);
}

/* Decides what a unit needs: nothing, a copy from the cache, or a compiler.
   Runs on a check thread: touches only u, the record under rec_lock and the
   file system; the build thread applies u->outcome. */
static void check_unit(build *b, unit *u, XXH3_state_t *st)
{
    u->cmd_hash = unit_cmd_hash(b, u, st);
    struct stat src_st;
    bool src_ok = stat(u->src->path, &src_st) == 0;   /* path is immutable: no lock */
    if (b->incremental && unit_up_to_date(b, u, src_ok ? &src_st : NULL)) {
        u->outcome = OUT_UPTODATE;
        return;
    }
    u->outcome = OUT_COMPILE;
    if (!b->cache)
        return;
    pthread_mutex_lock(&b->rec_lock);
    bool readable = buildrecord_file_check_stat(b->rec, u->src, src_ok ? &src_st : NULL);
    XXH128_hash_t src_hash = u->src->hash;
    pthread_mutex_unlock(&b->rec_lock);
    if (!readable)
        return;
    u->mkey = unit_manifest_key(b, u, src_hash, st);
    u->have_mkey = true;
    u->outcome = OUT_MISS;
    XXH128_hash_t okey;
    strvec headers = {0};
    if (objcache_manifest_lookup(b->cache_dir, u->mkey, manifest_check, b, &okey, &headers) == 1) {
        ensure_dir_of(b, u->obj_abs);
        int64_t osz, omt;
        if (objcache_get_stat(b->cache_dir, okey, u->obj_abs, true, &osz, &omt) == 1) {
            pthread_mutex_lock(&b->rec_lock);
            record_object(b, u, headers.v, headers.n, NULL, osz, omt);
            pthread_mutex_unlock(&b->rec_lock);
            u->outcome = OUT_CACHED;
        }
    }
    strvec_free(&headers);
}

/* ------------------------------------------------------------- compiling */

typedef struct runner {
    subproc *slots;
    unit **slot_unit;
    size_t nslots, running;
    size_t *queue;
    size_t qhead, qtail;
} runner;

static bool should_stop(build *b)
{
    if (b->stop_reason)
        return true;
    if (b->job->cancel && atomic_load(b->job->cancel)) {
        b->stop_reason = xstrdup("cancelled");
        return true;
    }
    if (b->deadline && clock_monotonic_ms() >= b->deadline) {
        b->stop_reason = xasprintf("build timed out after %lld s", (long long)b->eng->opt.build_timeout_s);
        return true;
    }
    return false;
}

static void unit_failed(build *b, unit *u, const char *out, size_t len, const char *why)
{
    u->status = U_FAILED;
    b->failed++;
    size_t errs = parse_diagnostics(b, out ? out : "", out ? len : 0, u->rel);
    if (!errs)
        add_diag(b, u->rel, 0, 0, true, why, strlen(why));
    pthread_mutex_lock(&b->rec_lock);
    buildrecord_object_remove(b->rec, u->rel);
    pthread_mutex_unlock(&b->rec_lock);
    unlink(u->obj_abs);   /* a stale object must never be linked */
}

static void start_unit(build *b, runner *r, size_t slot, unit *u)
{
    strvec argv = {0};
    unit_emit(b, u, emit_strvec, &argv);
    ensure_dir_of(b, u->obj_abs);
    log_command(b, argv.v);
    int rc = unit_compiler(b, u) ? subproc_start(&r->slots[slot], argv.v, b->P.root, b->envp) : -ENOENT;
    strvec_free(&argv);
    if (rc < 0) {
        char *why = xasprintf("cannot run compiler '%s': %s",
                              u->lang == SRC_CXX ? b->P.cxx : b->P.cc, strerror(-rc));
        unit_failed(b, u, NULL, 0, why);
        free(why);
        b->done++;
        report_progress(b, u);
        return;
    }
    u->status = U_RUNNING;
    r->slot_unit[slot] = u;
    r->running++;
}

static void fill_slots(build *b, runner *r)
{
    for (size_t s = 0; s < r->nslots && r->qhead < r->qtail; s++) {
        if (r->slot_unit[s])
            continue;
        start_unit(b, r, s, &b->units[r->queue[r->qhead++]]);
    }
}

/* A compiler finished: read what it learned (headers), record, cache. */
static void finish_unit(build *b, unit *u, subproc *p)
{
    log_text(b, p->output, p->output_len);
    if (!subproc_succeeded(p)) {
        char *why = xasprintf("compiler failed (status %d)", p->status);
        unit_failed(b, u, p->output, p->output_len, why);
        free(why);
        return;
    }
    if (p->output_len)
        parse_diagnostics(b, p->output, p->output_len, u->rel);
    strvec deps = {0}, headers = {0};
    if (u->lang != SRC_ASM) {
        if (depfile_parse_file(u->dep_abs, &deps) < 0)
            log_warn("engine: no usable depfile %s; only the source is tracked", u->dep_abs);
    }
    for (size_t i = 0; i < deps.n; i++)
        if (strcmp(deps.v[i], u->rel) != 0)
            strvec_push(&headers, deps.v[i]);
    XXH128_hash_t *hashes = xmalloc((headers.n + 1) * sizeof *hashes);
    int64_t osz, omt;
    object_stat(u, &osz, &omt);
    pthread_mutex_lock(&b->rec_lock);
    bool complete = record_object(b, u, headers.v, headers.n, hashes, osz, omt);
    int64_t hashed_size = u->src->size, hashed_mtime = u->src->mtime_ns;
    pthread_mutex_unlock(&b->rec_lock);
    if (b->cache && u->have_mkey && complete) {
        /* An edit saved while the compiler ran would put an object under the
           key of content it was not built from: only a source whose stat is
           still the one we hashed goes into the cache. */
        struct stat st;
        int64_t sz, mt;
        bool stable = stat(u->src->path, &st) == 0;
        if (stable) {
            stat_ns(&st, &sz, &mt);
            stable = sz == hashed_size && mt == hashed_mtime;
        }
        if (stable) {
            XXH128_hash_t okey = objcache_object_key(u->mkey, headers.v, hashes, headers.n);
            int64_t n1 = objcache_put(b->cache_dir, okey, u->obj_abs);
            if (n1 >= 0) {
                int64_t n2 = objcache_manifest_add(b->cache_dir, u->mkey, headers.v, hashes, headers.n, okey);
                b->stored_bytes += n1 + (n2 > 0 ? n2 : 0);
            }
        }
    }
    free(hashes);
    strvec_free(&deps);
    strvec_free(&headers);
    u->status = U_COMPILED;
    b->compiled++;
}

static void kill_all(runner *r)
{
    for (size_t s = 0; s < r->nslots; s++) {
        if (r->slot_unit[s]) {
            subproc_kill(&r->slots[s]);
            subproc_release(&r->slots[s]);
            r->slot_unit[s]->status = U_FAILED;
            r->slot_unit[s] = NULL;
        }
    }
    r->running = 0;
}

/* Handles every finished slot: frees it, refills all free slots first (so the
   compilers stay busy), then does the bookkeeping of the finished units. */
static void collect_finished(build *b, runner *r)
{
    subproc done_procs[64];
    unit *done_units[64];
    size_t nd = 0;
    for (size_t s = 0; s < r->nslots && nd < 64; s++) {
        if (r->slot_unit[s] && r->slots[s].finished) {
            done_procs[nd] = r->slots[s];
            done_units[nd++] = r->slot_unit[s];
            memset(&r->slots[s], 0, sizeof r->slots[s]);
            r->slots[s].out_fd = -1;
            r->slot_unit[s] = NULL;
            r->running--;
        }
    }
    fill_slots(b, r);
    for (size_t i = 0; i < nd; i++) {
        finish_unit(b, done_units[i], &done_procs[i]);
        subproc_release(&done_procs[i]);
        b->done++;
        report_progress(b, done_units[i]);
    }
}

/* The check threads: they take units from a shared index and decide them
   (stat, hash, cache lookup and restore) while the build thread applies the
   decisions in unit order, runs the compilers and polls them. */
typedef struct checkers {
    build *b;
    atomic_size_t next;     /* next unit to take */
    atomic_size_t wanted;   /* unit the build thread sleeps on, SIZE_MAX when awake */
    atomic_bool abort;
    int efd;                /* wake-up descriptor (sys_wake_open) the build thread polls beside the compilers' pipes */
    pthread_t *threads;
    size_t nthreads;
} checkers;

static void *check_thread(void *arg)
{
    checkers *c = arg;
    build *b = c->b;
    XXH3_state_t *st = XXH3_createState();
    while (!atomic_load(&c->abort)) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= b->nunits)
            break;
        check_unit(b, &b->units[i], st);
        atomic_store(&b->units[i].decided, true);
        /* Pairs with the build thread's store of wanted and load of decided
           (both seq_cst): either it sees decided, or this sees wanted. */
        if (atomic_load(&c->wanted) == i) {
            sys_wake_post(c->efd);   /* the build thread also wakes every 100 ms */
        }
    }
    XXH3_freeState(st);
    return NULL;
}

static void checkers_start(build *b, checkers *c)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    atomic_store(&c->wanted, SIZE_MAX);
    c->efd = sys_wake_open();
    size_t n = (size_t)b->eng->opt.max_parallel;
    if (n > MAX_CHECKERS)
        n = MAX_CHECKERS;
    if (n > b->nunits)
        n = b->nunits;
    c->threads = xcalloc(n ? n : 1, sizeof *c->threads);
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&c->threads[c->nthreads], NULL, check_thread, c) != 0)
            break;
        c->nthreads++;
    }
}

static void checkers_stop(checkers *c)
{
    atomic_store(&c->abort, true);
    for (size_t i = 0; i < c->nthreads; i++)
        pthread_join(c->threads[i], NULL);
    free(c->threads);
    if (c->efd >= 0)
        close(c->efd);
}

/* Waits up to timeout_ms for a compiler's output or the wake-up of a check
   thread; collects finished compilers. */
static void wait_events(build *b, runner *r, checkers *c, int timeout_ms)
{
    struct pollfd pfd[65];
    size_t n = 0;
    for (size_t s = 0; s < r->nslots; s++) {
        subproc *p = &r->slots[s];
        if (r->slot_unit[s] && p->pid > 0 && !p->finished && p->out_fd >= 0)
            pfd[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
    }
    bool have_efd = c && c->efd >= 0;
    if (have_efd)
        pfd[n++] = (struct pollfd){.fd = c->efd, .events = POLLIN};
    if (!n) {   /* no eventfd (out of descriptors): nap instead of spinning */
        poll(NULL, 0, 1);
        return;
    }
    int rc = poll(pfd, n, timeout_ms);
    if (rc <= 0)
        return;
    if (have_efd && pfd[n - 1].revents) {
        sys_wake_drain(c->efd);
        rc--;
    }
    if (rc > 0 && subproc_poll(r->slots, r->nslots, 0) > 0)
        collect_finished(b, r);
}

/* Applies one decided unit on the build thread. */
static void apply_outcome(build *b, runner *r, size_t idx)
{
    unit *u = &b->units[idx];
    switch (u->outcome) {
    case OUT_UPTODATE:
        u->status = U_UPTODATE;
        b->up_to_date++;
        b->done++;
        return;
    case OUT_CACHED:
        u->status = U_CACHED;
        b->from_cache++;
        b->hits++;
        b->done++;
        report_progress(b, u);
        return;
    case OUT_MISS:
        b->misses++;
        /* fall through */
    case OUT_COMPILE:
        u->status = U_QUEUED;
        r->queue[r->qtail++] = idx;
        fill_slots(b, r);   /* start compilers as soon as the scan yields work */
        return;
    }
}

/* Checks and compiles every unit; returns false when stopped (cancel/timeout).
   *scan_ms grows by the wall time until every unit was decided. */
static bool run_units(build *b, uint64_t *scan_ms)
{
    runner r = {0};
    r.nslots = (size_t)b->eng->opt.max_parallel;
    if (r.nslots > 64)
        r.nslots = 64;
    r.slots = xcalloc(r.nslots, sizeof *r.slots);
    for (size_t s = 0; s < r.nslots; s++)
        r.slots[s].out_fd = -1;
    r.slot_unit = xcalloc(r.nslots, sizeof *r.slot_unit);
    r.queue = xmalloc((b->nunits + 1) * sizeof *r.queue);
    uint64_t t_scan = clock_monotonic_ms();
    checkers c;
    checkers_start(b, &c);
    bool threaded = c.nthreads > 0, live = true;
    XXH3_state_t *st = threaded ? NULL : XXH3_createState();
    size_t applied = 0;
    bool ok = true;
    for (;;) {
        if (should_stop(b)) {
            checkers_stop(&c);
            live = false;
            kill_all(&r);
            ok = false;
            break;
        }
        fill_slots(b, &r);
        if (applied < b->nunits) {
            size_t k = 0;
            for (; k < APPLY_CHUNK && applied < b->nunits; k++) {
                unit *u = &b->units[applied];
                if (!threaded)
                    check_unit(b, u, st);   /* no thread could be started: decide here */
                else if (!atomic_load(&u->decided))
                    break;
                apply_outcome(b, &r, applied++);
            }
            if (applied == b->nunits) {
                *scan_ms += clock_monotonic_ms() - t_scan;
                continue;
            }
            if (k == APPLY_CHUNK) {
                if (r.running && subproc_poll(r.slots, r.nslots, 0) > 0)
                    collect_finished(b, &r);
                continue;
            }
            /* The next unit in order is still being decided: sleep until a
               thread decides the last undecided unit within WAKE_AHEAD (or the
               next one itself), or a compiler needs attention. */
            size_t target = applied + WAKE_AHEAD < b->nunits ? applied + WAKE_AHEAD : b->nunits - 1;
            while (target > applied && atomic_load(&b->units[target].decided))
                target--;
            atomic_store(&c.wanted, target);
            if (!atomic_load(&b->units[target].decided))
                wait_events(b, &r, &c, 100);
            atomic_store(&c.wanted, SIZE_MAX);
            continue;
        }
        if (!r.running && r.qhead == r.qtail)
            break;
        if (subproc_poll(r.slots, r.nslots, 100) > 0)
            collect_finished(b, &r);
    }
    if (live)
        checkers_stop(&c);
    if (st)
        XXH3_freeState(st);
    free(r.slots);
    free(r.slot_unit);
    free(r.queue);
    return ok;
}

/* ---------------------------------------------------------------- linking */

/* Runs one tool to completion in the root. Returns 1 on success, 0 when it
   failed (output appended to *out), -1 when the build was stopped. */
static int run_tool(build *b, char *const *argv, char **out, size_t *out_len)
{
    log_command(b, argv);
    subproc p;
    int rc = subproc_start(&p, argv, b->P.root, b->envp);
    if (rc < 0) {
        *out = xasprintf("%s: error: cannot run: %s\n", argv[0], strerror(-rc));
        *out_len = strlen(*out);
        return 0;
    }
    while (!p.finished) {
        if (should_stop(b)) {
            subproc_kill(&p);
            subproc_release(&p);
            return -1;
        }
        subproc_poll(&p, 1, 100);
    }
    log_text(b, p.output, p.output_len);
    bool ok = subproc_succeeded(&p);
    *out = p.output ? p.output : xstrdup("");
    *out_len = p.output_len;
    p.output = NULL;
    subproc_release(&p);
    return ok ? 1 : 0;
}

/* argv[0..fixed) stay on the command line; the rest moves into a response
   file when the list is large (10,000 objects do not fit in ARG_MAX). */
static void maybe_response_file(build *b, strvec *argv, size_t fixed, const char *tag)
{
    if (subproc_args_size(argv->v, argv->n) <= RSP_THRESHOLD)
        return;
    char *rsp = xasprintf("%s/%s.%s.rsp", b->P.build_dir, b->P.library_name, tag);
    if (subproc_write_response_file(rsp, argv->v + fixed, argv->n - fixed) < 0) {
        free(rsp);
        return;   /* the direct command line is still worth a try */
    }
    strvec keep = {0};
    for (size_t i = 0; i < fixed; i++)
        strvec_push(&keep, argv->v[i]);
    strvec_push_owned(&keep, xasprintf("@%s", rsp));
    free(rsp);
    strvec_free(argv);
    *argv = keep;
}

static void hash_argv(XXH3_state_t *st, const strvec *argv)
{
    for (size_t i = 0; i < argv->n; i++)
        XXH3_128bits_update(st, argv->v[i], strlen(argv->v[i]) + 1);
    XXH3_128bits_update(st, "\n", 1);
}

static void push_libs(build *b, strvec *argv)
{
    for (size_t i = 0; i < b->P.lib_dirs.n; i++)
        strvec_push_owned(argv, xasprintf("-L%s", b->P.lib_dirs.v[i]));
    for (size_t i = 0; i < b->P.libraries.n; i++) {
        const char *l = b->P.libraries.v[i];
        strvec_push_owned(argv, l[0] == '-' ? xstrdup(l) : xasprintf("-l%s", l));
    }
}

typedef struct link_plan {
    strvec steps[3];    /* commands run in order */
    size_t rsp_fixed[3];/* arguments kept on the command line if a response file is needed; 0 = never */
    const char *rsp_tag[3];
    size_t nsteps;
    char *tmp;          /* the final command writes here; renamed onto the artifact */
} link_plan;

static bool any_cxx(const build *b)
{
    for (size_t i = 0; i < b->nunits; i++)
        if (b->units[i].lang == SRC_CXX)
            return true;
    return false;
}

static int plan_link(build *b, link_plan *lp, char **reason)
{
    project_config *P = &b->P;
    memset(lp, 0, sizeof *lp);
    lp->tmp = xasprintf("%s.jmake-tmp", P->artifact_path);
    char *tmp_rel = root_relative(b, lp->tmp);
    const char *driver = any_cxx(b) ? b->cxx : b->cc;
    if (b->llvm) {
        char *llvm_link = llvm_tool(b, "llvm-link"), *opt = llvm_tool(b, "opt");
        if (!llvm_link || !opt) {
            *reason = xasprintf("[llvm]: %s not found", !llvm_link ? "llvm-link" : "opt");
            free(llvm_link);
            free(opt);
            free(tmp_rel);
            return -1;
        }
        char *linked = xasprintf("%s/llvm/%s.linked.bc", P->build_dir, P->name);
        char *optbc = xasprintf("%s/llvm/%s.opt.bc", P->build_dir, P->name);
        ensure_dir_of(b, linked);
        strvec *s = &lp->steps[0];
        strvec_push_owned(s, llvm_link);
        strvec_push(s, "-o");
        strvec_push_owned(s, root_relative(b, linked));
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        lp->rsp_fixed[0] = 1;
        lp->rsp_tag[0] = "llvm-link";
        s = &lp->steps[1];
        strvec_push_owned(s, opt);
        strvec_extend(s, &P->llvm.opt_flags);
        strvec_push_owned(s, root_relative(b, linked));
        strvec_push(s, "-o");
        strvec_push_owned(s, root_relative(b, optbc));
        s = &lp->steps[2];
        strvec_push(s, driver);
        strvec_push(s, "-shared");
        strvec_push(s, "-fPIC");
        strvec_extend(s, &P->link_flags);
        strvec_push(s, "-o");
        strvec_push(s, tmp_rel);
        strvec_push_owned(s, root_relative(b, optbc));
        push_libs(b, s);
        lp->nsteps = 3;
        free(linked);
        free(optbc);
    } else if (P->output == PROJECT_STATIC) {
        char *ar = subproc_find_program("ar");
        if (!ar) {
            *reason = xstrdup("ar not found in PATH");
            free(tmp_rel);
            return -1;
        }
        strvec *s = &lp->steps[0];
        strvec_push_owned(s, ar);
        /* q (append) into a fresh file instead of r: r replaces members with
           the same base name (a/x.o vs b/x.o) and searches the member list
           for every object. */
        strvec_push(s, "qcs");
        strvec_push(s, tmp_rel);
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        lp->rsp_fixed[0] = 3;
        lp->rsp_tag[0] = "ar";
        lp->nsteps = 1;
    } else {
        strvec *s = &lp->steps[0];
        strvec_push(s, driver);
        strvec_extend(s, &P->flags);
        if (P->output == PROJECT_SHARED)
            strvec_push(s, "-shared");
        strvec_extend(s, &P->link_flags);
        strvec_push(s, "-o");
        strvec_push(s, tmp_rel);
        size_t fixed = s->n;
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        push_libs(b, s);
        lp->rsp_fixed[0] = fixed;
        lp->rsp_tag[0] = "link";
        lp->nsteps = 1;
    }
    free(tmp_rel);
    return 0;
}

static void free_plan(link_plan *lp)
{
    for (size_t i = 0; i < 3; i++)
        strvec_free(&lp->steps[i]);
    free(lp->tmp);
}

/* Identity of the link's inputs: every command and every object's stat. */
static XXH128_hash_t link_input_hash(build *b, const link_plan *lp)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, &b->cc_id, sizeof b->cc_id);
    XXH3_128bits_update(st, &b->cxx_id, sizeof b->cxx_id);
    for (size_t i = 0; i < lp->nsteps; i++)
        hash_argv(st, &lp->steps[i]);
    for (size_t i = 0; i < b->nunits; i++) {
        br_object *o = hashmap_get(&b->rec->objects, b->units[i].rel);
        int64_t v[2] = {o ? o->obj_size : -1, o ? o->obj_mtime_ns : -1};
        XXH3_128bits_update(st, v, sizeof v);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* Returns 1 linked, 0 already up to date, -1 failed (diagnostics added), -2 stopped, -3 cannot plan. */
static int link_artifact(build *b, char **reason)
{
    link_plan lp;
    if (plan_link(b, &lp, reason) < 0)
        return -3;
    XXH128_hash_t in = link_input_hash(b, &lp);
    br_link *L = &b->rec->link;
    if (L->valid && hash_eq(L->input_hash, in)) {
        struct stat st;
        if (stat(b->P.artifact_path, &st) == 0) {
            int64_t sz, mt;
            stat_ns(&st, &sz, &mt);
            if (sz == L->size && mt == L->mtime_ns) {
                free_plan(&lp);
                return 0;
            }
            XXH128_hash_t h;
            if (buildrecord_hash_file(b->P.artifact_path, &h, &sz, &mt) == 0 && hash_eq(h, L->hash)) {
                L->size = sz;   /* touched, same bytes */
                L->mtime_ns = mt;
                b->rec->dirty = true;
                free_plan(&lp);
                return 0;
            }
        }
    }
    L->valid = false;
    b->rec->dirty = true;
    unlink(lp.tmp);
    ensure_dir_of(b, b->P.artifact_path);
    int result = 1;
    for (size_t i = 0; i < lp.nsteps; i++) {
        /* Only now: a no-op build must not rewrite a 10,000-line response file. */
        if (lp.rsp_fixed[i])
            maybe_response_file(b, &lp.steps[i], lp.rsp_fixed[i], lp.rsp_tag[i]);
        char *out = NULL;
        size_t len = 0;
        int rc = run_tool(b, lp.steps[i].v, &out, &len);
        if (rc < 0) {
            result = -2;
            free(out);
            break;
        }
        if (rc == 0) {
            size_t errs = parse_diagnostics(b, out, len, b->P.library_name);
            if (!errs) {
                char *msg = xasprintf("%s failed: %.*s", path_basename(lp.steps[i].v[0]),
                                      (int)(len > 2000 ? 2000 : len), out);
                add_diag(b, b->P.library_name, 0, 0, true, msg, strlen(msg));
                free(msg);
            }
            free(out);
            result = -1;
            break;
        }
        if (len)
            parse_diagnostics(b, out, len, b->P.library_name);
        free(out);
    }
    if (result == 1) {
        if (rename(lp.tmp, b->P.artifact_path) < 0) {
            char *msg = xasprintf("cannot rename %s: %s", lp.tmp, strerror(errno));
            add_diag(b, b->P.library_name, 0, 0, true, msg, strlen(msg));
            free(msg);
            result = -1;
        } else if (buildrecord_hash_file(b->P.artifact_path, &L->hash, &L->size, &L->mtime_ns) == 0) {
            L->valid = true;
            L->input_hash = in;
        }
    } else {
        unlink(lp.tmp);
    }
    free_plan(&lp);
    return result;
}

/* --------------------------------------------------- compile_commands.json */

static void write_compile_commands(build *b)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, b->P.root, strlen(b->P.root) + 1);
    for (size_t i = 0; i < b->nunits; i++) {
        XXH3_128bits_update(st, b->units[i].rel, strlen(b->units[i].rel) + 1);
        XXH3_128bits_update(st, &b->units[i].cmd_hash, sizeof b->units[i].cmd_hash);
    }
    XXH128_hash_t sig = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    char *path = path_join(b->P.root, "compile_commands.json");
    if (hash_eq(sig, b->rec->ccjson_sig) && file_exists(path)) {
        free(path);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < b->nunits; i++) {
        unit *u = &b->units[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "directory", b->P.root);
        char *abs = path_absolute(b->P.root, u->rel);
        cJSON_AddStringToObject(e, "file", abs);
        free(abs);
        cJSON *args = cJSON_AddArrayToObject(e, "arguments");
        unit_emit(b, u, emit_json, args);
        cJSON_AddStringToObject(e, "output", u->obj_abs);
        cJSON_AddItemToArray(arr, e);
    }
    char *text = cJSON_Print(arr);
    cJSON_Delete(arr);
    size_t tl = strlen(text);
    size_t ol = 0;
    char *old = read_file(path, &ol);
    if (!old || ol != tl + 1 || memcmp(old, text, tl) != 0) {
        char *withnl = xasprintf("%s\n", text);
        if (write_file_atomic(path, withnl, tl + 1, 0644) < 0)
            log_warn("engine: cannot write %s", path);
        free(withnl);
    }
    free(old);
    free(text);
    b->rec->ccjson_sig = sig;
    b->rec->dirty = true;
    free(path);
}

/* ------------------------------------------------------------------ result */

static const char *kind_name(project_output o)
{
    return o == PROJECT_STATIC ? "static" : o == PROJECT_EXECUTABLE ? "executable" : "shared";
}

/* The symbol list is kept in the record with the artifact's stat: a build
   whose artifact kept its (size, mtime) - no link ran, nobody replaced it -
   answers from there, also after a daemon restart, instead of opening the ELF
   file. Same trust in the stat as the link check itself. */
static void artifact_symbols(build *b, cJSON *arr)
{
    br_symbols *sy = &b->rec->symbols;
    struct stat st;
    if (stat(b->P.artifact_path, &st) < 0)
        return;
    int64_t sz, mt;
    stat_ns(&st, &sz, &mt);
    if (!sy->valid || sy->size != sz || sy->mtime_ns != mt) {
        strvec_free(&sy->names);
        sy->valid = elfsyms_read(b->P.artifact_path, b->P.output == PROJECT_SHARED || b->llvm, &sy->names) == 0;
        sy->size = sz;
        sy->mtime_ns = mt;
        b->rec->dirty = true;
    }
    for (size_t i = 0; i < sy->names.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sy->names.v[i]));
}

static cJSON *make_result(build *b, uint64_t scan_ms, uint64_t compile_ms, uint64_t link_ms)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *a = cJSON_AddObjectToObject(r, "artifact");
    cJSON_AddStringToObject(a, "path", b->P.artifact_path);
    cJSON_AddStringToObject(a, "kind", b->llvm ? "shared" : kind_name(b->P.output));
    struct stat st;
    cJSON_AddNumberToObject(a, "size", stat(b->P.artifact_path, &st) == 0 ? (double)st.st_size : 0);
    cJSON *f = cJSON_AddObjectToObject(r, "files");
    cJSON_AddNumberToObject(f, "total", (double)b->nunits);
    cJSON_AddNumberToObject(f, "compiled", (double)b->compiled);
    cJSON_AddNumberToObject(f, "from_cache", (double)b->from_cache);
    cJSON_AddNumberToObject(f, "up_to_date", (double)b->up_to_date);
    cJSON_AddNumberToObject(f, "failed", (double)b->failed);
    artifact_symbols(b, cJSON_AddArrayToObject(r, "symbols"));
    cJSON *t = cJSON_AddObjectToObject(r, "timings_ms");
    cJSON_AddNumberToObject(t, "scan", (double)scan_ms);
    cJSON_AddNumberToObject(t, "compile", (double)compile_ms);
    cJSON_AddNumberToObject(t, "link", (double)link_ms);
    cJSON_AddNumberToObject(t, "total", (double)(clock_monotonic_ms() - b->t_start));
    cJSON *d = cJSON_AddObjectToObject(r, "diagnostics");
    cJSON_AddNumberToObject(d, "errors", (double)b->errors);
    cJSON_AddNumberToObject(d, "warnings", (double)b->warnings);
    cJSON_AddItemToObject(d, "items", b->diag_items);
    b->diag_items = NULL;
    cJSON *c = cJSON_AddObjectToObject(r, "cache");
    cJSON_AddNumberToObject(c, "hits", (double)b->hits);
    cJSON_AddNumberToObject(c, "misses", (double)b->misses);
    return r;
}

/* The answer to a build with nothing changed, kept for watched projects. */
static cJSON *quiet_copy(const cJSON *result)
{
    cJSON *q = cJSON_Duplicate(result, 1);
    cJSON *f = cJSON_GetObjectItem(q, "files");
    double total = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "total"));
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "compiled"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "from_cache"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "failed"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "up_to_date"), total);
    cJSON *d = cJSON_GetObjectItem(q, "diagnostics");
    cJSON_SetNumberValue(cJSON_GetObjectItem(d, "errors"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(d, "warnings"), 0);
    cJSON_ReplaceItemInObject(d, "items", cJSON_CreateArray());
    cJSON *c = cJSON_GetObjectItem(q, "cache");
    cJSON_SetNumberValue(cJSON_GetObjectItem(c, "hits"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(c, "misses"), 0);
    cJSON *t = cJSON_GetObjectItem(q, "timings_ms");
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "scan"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "compile"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "link"), 0);
    return q;
}

static bool stat_pair(const char *path, int64_t *size, int64_t *mtime)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        *size = *mtime = -1;
        return false;
    }
    stat_ns(&st, size, mtime);
    return true;
}

/* ------------------------------------------------------------------ build */

static char *record_path(const engine *eng, const char *config_path)
{
    if (!eng->opt.state_dir)
        return NULL;
    return xasprintf("%s/%016llx.db", eng->opt.state_dir,
                     (unsigned long long)XXH3_64bits(config_path, strlen(config_path)));
}

static void cleanup_build(build *b)
{
    for (size_t i = 0; i < b->nunits; i++)
        free_unit(&b->units[i]);
    free(b->units);
    for (int l = 0; l < SRC_LANG_COUNT; l++)
        strvec_free(&b->common[l]);
    free(b->cc);
    free(b->cxx);
    hashmap_free(&b->made_dirs);
    pthread_mutex_destroy(&b->rec_lock);
    pthread_mutex_destroy(&b->dirs_lock);
    hashmap_free(&b->diag_seen);
    cJSON_Delete(b->diag_items);
    if (b->log_fd >= 0)
        close(b->log_fd);
    free(b->stop_reason);
    for (size_t i = 0; b->envp && b->envp[i]; i++)
        free(b->envp[i]);
    free(b->envp);
    free(b->obj_dir_abs);
    free(b->obj_dir_rel);
    for (int l = 0; l < SRC_LANG_COUNT; l++) {
        if (b->cmd_prefix[l])
            XXH3_freeState(b->cmd_prefix[l]);
        if (b->mkey_prefix[l])
            XXH3_freeState(b->mkey_prefix[l]);
    }
    project_free(&b->P);
}

/* Objects of sources that left the project: forget and delete them. */
static void drop_removed_sources(build *b)
{
    strvec gone = {0};
    size_t pos = 0;
    const char *key;
    void *v;
    while (hashmap_next(&b->rec->objects, &pos, &key, &v))
        if (((br_object *)v)->seen_epoch != b->rec->epoch)
            strvec_push(&gone, key);
    for (size_t i = 0; i < gone.n; i++) {
        unit tmp;
        init_unit(b, &tmp, xstrdup(gone.v[i]));
        unlink(tmp.obj_abs);
        unlink(tmp.dep_abs);
        free_unit(&tmp);
        buildrecord_object_remove(b->rec, gone.v[i]);
    }
    strvec_free(&gone);
}

static void account_cache(build *b)
{
    if (!b->cache || b->stored_bytes <= 0 || b->eng->opt.cache_size_mb <= 0)
        return;
    int64_t max = b->eng->opt.cache_size_mb * 1024 * 1024;
    int64_t *est = hashmap_get(&b->eng->cache_sizes, b->cache_dir);
    if (!est) {
        est = xmalloc(sizeof *est);
        *est = objcache_size(b->cache_dir);   /* one walk per daemon lifetime, then estimates */
        hashmap_put(&b->eng->cache_sizes, b->cache_dir, est);
    } else {
        *est += b->stored_bytes;
    }
    if (*est > max) {
        /* Evict to 90 % so the walk does not repeat after every build. */
        int64_t target = max / 10 * 9;
        int64_t removed = objcache_evict(b->cache_dir, target);
        if (removed >= 0)
            *est = target < *est - removed ? target : *est - removed;
    }
}

int engine_build(engine *eng, const engine_job *job, cJSON **result, char **reason)
{
    *result = NULL;
    *reason = NULL;
    if (!job || !job->config_path) {
        *reason = xstrdup("no project configuration given");
        return -1;
    }
    build B;
    memset(&B, 0, sizeof B);
    build *b = &B;
    b->eng = eng;
    b->job = job;
    b->t_start = clock_monotonic_ms();
    b->log_fd = -1;
    char *key = canonical_config(job->config_path);

    pthread_mutex_lock(&eng->lock);
    proj_state *ps = state_for(eng, key);
    strvec noted = ps->noted;
    memset(&ps->noted, 0, sizeof ps->noted);
    bool rescan = ps->rescan;
    ps->rescan = false;
    bool watched = ps->watched;
    pthread_mutex_unlock(&eng->lock);
    b->ps = ps;
    if (!watched) {
        cJSON_Delete(ps->quiet_result);
        ps->quiet_result = NULL;
    }

    /* Watched and nothing reported: the last answer still holds. */
    if (watched && ps->quiet_result && !noted.n && !rescan) {
        int64_t cs, cm, as, am;
        const char *art = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(ps->quiet_result, "artifact"), "path"));
        stat_pair(key, &cs, &cm);
        if (art && stat_pair(art, &as, &am) && cs == ps->cfg_size && cm == ps->cfg_mtime && as == ps->art_size &&
            am == ps->art_mtime) {
            *result = cJSON_Duplicate(ps->quiet_result, 1);
            cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(*result, "timings_ms"), "total"),
                                 (double)(clock_monotonic_ms() - b->t_start));
            free(key);
            return 0;
        }
    }

    diag_list dl = {0};
    if (project_load(key, &b->P, &dl) < 0) {
        size_t len = 0;
        char *text = NULL;
        FILE *m = open_memstream(&text, &len);
        diag_print(&dl, m);
        fclose(m);
        *reason = xasprintf("invalid project configuration %s:\n%s", key, text ? text : "");
        free(text);
        diag_free(&dl);
        strvec_free(&noted);
        free(key);
        project_free(&b->P);
        return -1;
    }
    diag_free(&dl);
    pthread_mutex_init(&b->rec_lock, NULL);   /* cleanup_build destroys them from here on */
    pthread_mutex_init(&b->dirs_lock, NULL);

    char *rpath = record_path(eng, key);
    if (!ps->loaded) {
        if (rpath && buildrecord_load(&ps->rec, rpath) < 0)
            log_warn("engine: build record %s is damaged or of another version; rebuilding (the cache still serves)",
                     rpath);
        ps->loaded = true;
    }
    b->rec = &ps->rec;
    b->rec->epoch++;
    for (size_t i = 0; i < noted.n; i++)
        buildrecord_file_invalidate(b->rec, noted.v[i]);
    strvec_free(&noted);

    project_config *P = &b->P;
    b->llvm = P->llvm.enabled;
    b->incremental = eng->opt.incremental;
    b->cache_dir = P->cache.directory ? P->cache.directory : eng->opt.cache_dir;
    b->cache = eng->opt.cache_enabled && P->cache.enabled && b->cache_dir;
    if (b->cache && mkdir_p(b->cache_dir, 0700) < 0) {
        log_warn("engine: cache folder %s unusable; building without the cache", b->cache_dir);
        b->cache = false;
    }
    hashmap_init(&b->made_dirs);
    hashmap_init(&b->diag_seen);
    b->diag_items = cJSON_CreateArray();
    if (eng->opt.build_timeout_s > 0)
        b->deadline = b->t_start + (uint64_t)eng->opt.build_timeout_s * 1000;
    if (job->log_path)
        b->log_fd = open(job->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (b->llvm) {
        b->cc = llvm_tool(b, "clang");
        b->cxx = llvm_tool(b, "clang++");
    } else {
        b->cc = subproc_find_program(P->cc);
        b->cxx = subproc_find_program(P->cxx);
    }
    if (b->cc)
        b->cc_id = tool_identity(b->cc);
    if (b->cxx)
        b->cxx_id = tool_identity(b->cxx);
    setup_common_args(b);
    setup_env(b);
    b->obj_dir_abs = path_join(P->build_dir, b->llvm ? "bc" : "obj");
    b->obj_dir_rel = root_relative(b, b->obj_dir_abs);
    setup_hash_prefixes(b);

    int status = -1;
    strvec rels = {0};
    srcscan_list(P, &rels);
    if (!rels.n) {
        *reason = xasprintf("no sources found (source folder %s)", P->source_dir);
        goto out;
    }
    b->nunits = rels.n;
    b->units = xcalloc(rels.n, sizeof *b->units);
    bool need_c = false, need_cxx = false;
    for (size_t i = 0; i < rels.n; i++) {
        init_unit(b, &b->units[i], rels.v[i]);
        if (b->units[i].lang == SRC_CXX)
            need_cxx = true;
        else
            need_c = true;
        if (b->llvm && (b->units[i].lang == SRC_ASM || b->units[i].lang == SRC_ASM_PP)) {
            *reason = xasprintf("[llvm] projects cannot contain assembly (%s)", rels.v[i]);
            free(rels.v);
            goto out;
        }
    }
    free(rels.v);   /* the strings now belong to the units */
    if ((need_c && !b->cc) || (need_cxx && !b->cxx)) {
        const char *which = need_c && !b->cc ? (b->llvm ? "clang" : P->cc) : (b->llvm ? "clang++" : P->cxx);
        *reason = xasprintf("compiler '%s' not found", which);
        goto out;
    }

    uint64_t scan_ms = clock_monotonic_ms() - b->t_start;
    uint64_t t_units = clock_monotonic_ms();
    bool ran = run_units(b, &scan_ms);
    uint64_t compile_ms = clock_monotonic_ms() - t_units;
    if (!ran) {
        *reason = b->stop_reason;
        b->stop_reason = NULL;
        goto out;
    }
    drop_removed_sources(b);
    write_compile_commands(b);

    uint64_t link_ms = 0;
    bool link_failed = false;
    if (!b->failed) {
        uint64_t t_link = clock_monotonic_ms();
        int lr = link_artifact(b, reason);
        link_ms = clock_monotonic_ms() - t_link;
        if (lr == -2) {
            *reason = b->stop_reason;
            b->stop_reason = NULL;
            goto out;
        }
        if (lr == -3)
            goto out;
        link_failed = lr == -1;
    }
    status = (b->failed || link_failed) ? 1 : 0;
    *result = make_result(b, scan_ms, compile_ms, link_ms);
    cJSON_Delete(ps->quiet_result);
    ps->quiet_result = NULL;
    if (status == 0 && watched) {
        ps->quiet_result = quiet_copy(*result);
        stat_pair(key, &ps->cfg_size, &ps->cfg_mtime);
        stat_pair(P->artifact_path, &ps->art_size, &ps->art_mtime);
    }
    account_cache(b);
    log_info("engine: %s: %zu files, %zu compiled, %zu from cache, %zu up to date, %zu failed, %zu errors, %llu ms",
             P->name, b->nunits, b->compiled, b->from_cache, b->up_to_date, b->failed, b->errors,
             (unsigned long long)(clock_monotonic_ms() - b->t_start));
out:
    if (rpath && b->rec && b->rec->dirty) {
        int rc = buildrecord_save(b->rec, rpath);
        if (rc < 0)
            log_warn("engine: cannot save build record %s: %s", rpath, strerror(-rc));
    }
    if (status < 0) {
        cJSON_Delete(ps->quiet_result);
        ps->quiet_result = NULL;
    }
    free(rpath);
    free(key);
    cleanup_build(b);
    return status;
}
