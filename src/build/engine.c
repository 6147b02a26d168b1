/* engine.c - the engine object (one per daemon: per-project state, the runner, the engine-wide compiler bound) and engine_build in its steps. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* open_memstream */
#endif
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "log.h"
#include "objcache.h"
#include "subproc.h"
#include "sys.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

engine *engine_new(const engine_options *options)
{
    engine *eng = xcalloc(1, sizeof *eng);
    eng->opt = *options;
    eng->opt.state_dir = dup_or_null(options->state_dir);
    eng->opt.cache_dir = dup_or_null(options->cache_dir);
    eng->opt.llvm_toolchain_path = dup_or_null(options->llvm_toolchain_path);
    eng->opt.trace_dir = dup_or_null(options->trace_dir);
    if (eng->opt.max_parallel < 1)
        eng->opt.max_parallel = 1;
    eng->runner = options->runner;
    if (!eng->runner)
        eng->runner = eng->own_runner = runner_local_new();
    size_t slots = runner_slots(eng->runner);
    slotlimit_init(&eng->slots, slots ? slots : (size_t)eng->opt.max_parallel);
    pthread_mutex_init(&eng->lock, NULL);
    pthread_mutex_init(&eng->cache_lock, NULL);
    hashmap_init(&eng->projects);
    hashmap_init(&eng->cache_sizes);
    return eng;
}

/* Forgets the last good watched result: the next build checks everything. */
static void drop_quiet(proj_state *ps)
{
    cJSON_Delete(ps->quiet_result);
    ps->quiet_result = NULL;
    free(ps->outside);
    ps->outside = NULL;
    ps->outside_count = 0;
}

/* The record's inputs outside root, for the quiet answer's stat checks. */
static void list_outside_inputs(proj_state *ps, const char *root)
{
    size_t rl = strlen(root), pos = 0, cap = 0;
    const char *path;
    void *value;
    while (hashmap_next(&ps->rec.files, &pos, &path, &value)) {
        bool inside = strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0');
        if (inside)
            continue;
        if (ps->outside_count == cap) {
            cap = cap ? cap * 2 : 64;
            ps->outside = xrealloc(ps->outside, cap * sizeof *ps->outside);
        }
        ps->outside[ps->outside_count++] = value;
    }
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
        hashmap_free(&ps->index);
        drop_quiet(ps);
        free(ps->root);
        free(ps->name);
        pthread_mutex_destroy(&ps->busy);
        free(ps);
    }
    hashmap_free(&eng->projects);
    pos = 0;
    while (hashmap_next(&eng->cache_sizes, &pos, NULL, &v))
        free(v);
    hashmap_free(&eng->cache_sizes);
    pthread_mutex_destroy(&eng->cache_lock);
    pthread_mutex_destroy(&eng->lock);
    slotlimit_destroy(&eng->slots);
    runner_free(eng->own_runner);
    free((char *)eng->opt.state_dir);
    free((char *)eng->opt.cache_dir);
    free((char *)eng->opt.llvm_toolchain_path);
    free((char *)eng->opt.trace_dir);
    free(eng);
}

/* Caller holds eng->lock. The state lives until engine_free. */
static proj_state *state_for(engine *eng, const char *config_path)
{
    proj_state *ps = hashmap_get(&eng->projects, config_path);
    if (!ps) {
        ps = xcalloc(1, sizeof *ps);
        pthread_mutex_init(&ps->busy, NULL);
        buildrecord_init(&ps->rec);
        hashmap_init(&ps->index);
        hashmap_put(&eng->projects, config_path, ps);
    }
    return ps;
}

/* Caller frees. */
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

int64_t engine_cache_evict(const char *cache_dir, int64_t max_bytes, int64_t *size_after)
{
    return objcache_evict(cache_dir, max_bytes, size_after);
}

/* ------------------------------------------------------------ the steps */

/* A project's name in the state and trace folders. Caller frees. */
static char *project_key(const char *config_path)
{
    return xasprintf("%016llx", (unsigned long long)XXH3_64bits(config_path, strlen(config_path)));
}

/* Caller frees. */
static char *record_path(const engine *eng, const char *config_path)
{
    if (!eng->opt.state_dir)
        return NULL;
    char *key = project_key(config_path);
    char *path = xasprintf("%s/%s.db", eng->opt.state_dir, key);
    free(key);
    return path;
}

/* Writes the build's timeline to trace_dir/<project key>/, names it in the
   result ("trace") and deletes all but the newest BUILDTRACE_KEEP of the
   project. Called with the project's lock held, so two builds of a project
   never prune each other's files. A failure costs the timeline, not the build. */
static void keep_trace(build *b, cJSON *result, const char *project_name)
{
    const char *top = b->eng->opt.trace_dir;
    char *name = buildtrace_file_name(b->job->job_id);
    if (!top || !name) {
        free(name);
        return;
    }
    char *key = project_key(b->config_key);
    char *dir = path_join(top, key);
    char *path = path_join(dir, name);
    char *process = xasprintf("jmake build %s", project_name ? project_name : key);
    int rc = mkdir_p(dir, 0700);
    if (rc == 0)
        rc = buildtrace_write(b->trace, path, process, b->job->job_id, b->config_key);
    if (rc == 0) {
        cJSON_AddStringToObject(result, "trace", path);
        buildtrace_prune(dir, BUILDTRACE_KEEP, name);
    } else {
        log_warn("engine: cannot write the timeline %s: %s", path, strerror(-rc));
    }
    free(process);
    free(path);
    free(dir);
    free(key);
    free(name);
}

void eng_store_failed(build *b, eng_store_kind kind, const char *fmt, ...)
{
    if (b->store_failures[kind]++ > 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    b->store_failed[kind] = xvasprintf(fmt, ap);
    va_end(ap);
    log_warn("engine: %s", b->store_failed[kind]);
}

/* The result's "storage_warnings" (beside "warnings", the configuration's):
   one line per kind of thing this build could not store. */
static void add_store_warnings(build *b, cJSON *result)
{
    cJSON *warnings = NULL;
    for (int k = 0; k < ENG_STORE_KINDS; k++) {
        if (!b->store_failed[k])
            continue;
        if (!warnings)
            warnings = cJSON_AddArrayToObject(result, "storage_warnings");
        size_t more = b->store_failures[k] - 1;
        char *line = more ? xasprintf("%s (and %zu more)", b->store_failed[k], more) : xstrdup(b->store_failed[k]);
        cJSON_AddItemToArray(warnings, cJSON_CreateString(line));
        free(line);
    }
}

static void cleanup_build(build *b)
{
    for (int k = 0; k < ENG_STORE_KINDS; k++)
        free(b->store_failed[k]);
    for (size_t i = 0; i < b->nunits; i++)
        eng_free_unit(&b->units[i]);
    free(b->units);
    for (int l = 0; l < SRC_LANG_COUNT; l++)
        strvec_free(&b->common[l]);
    free(b->cc);
    free(b->cxx);
    eng_explain_cleanup(b);
    hashmap_free(&b->made_dirs);
    if (b->locks_ready) {
        pthread_mutex_destroy(&b->rec_lock);
        pthread_mutex_destroy(&b->dirs_lock);
    }
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
    runner_batch_close(b->batch);
    slotlimit_leave(&b->eng->slots, &b->waiter);
    buildtrace_free(b->trace);
    if (b->wake_fd >= 0)
        close(b->wake_fd);
    free(b->record_path);
    free(b->config_key);
    diag_free(&b->config_diags);
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
    size_t lo = strlen(b->obj_dir_abs);
    for (size_t i = 0; i < gone.n; i++) {
        unit tmp;
        eng_init_unit(b, &tmp, xstrdup(gone.v[i]));
        /* Only what jmake wrote: an object path inside the build folder's
           object tree (init_unit folds "..", this keeps it so). unlink
           removes a link itself, never its target. */
        bool ours = strncmp(tmp.obj_abs, b->obj_dir_abs, lo) == 0 && tmp.obj_abs[lo] == '/' &&
                    !strstr(tmp.obj_abs + lo, "/../");
        if (ours) {
            unlink(tmp.obj_abs);
            unlink(tmp.dep_abs);
        }
        eng_free_unit(&tmp);
        buildrecord_object_remove(b->rec, gone.v[i]);
    }
    strvec_free(&gone);
}

/* The size estimate is the engine's (one walk per daemon and cache folder,
   whatever the number of projects), so concurrent builds take cache_lock. */
static void account_cache(build *b)
{
    if (!b->cache || b->stored_bytes <= 0 || b->eng->opt.cache_size_mb <= 0)
        return;
    engine *eng = b->eng;
    int64_t max = eng->opt.cache_size_mb * 1024 * 1024;
    pthread_mutex_lock(&eng->cache_lock);
    int64_t *est = hashmap_get(&eng->cache_sizes, b->cache_dir);
    if (!est) {
        est = xmalloc(sizeof *est);
        *est = objcache_size(b->cache_dir);   /* one walk per daemon lifetime, then estimates */
        hashmap_put(&eng->cache_sizes, b->cache_dir, est);
    } else {
        *est += b->stored_bytes;
    }
    if (*est > max) {
        /* Evict to 90 % so the walk does not repeat after every build. */
        int64_t target = max / 10 * 9;
        int64_t removed = objcache_evict(b->cache_dir, target, NULL);
        if (removed >= 0)
            *est = target < *est - removed ? target : *est - removed;
    }
    pthread_mutex_unlock(&eng->cache_lock);
}

typedef enum step_result { STEP_CONTINUE, STEP_ANSWERED, STEP_STOPPED } step_result;

/* Step 0: this build's hold on the project (one build per project at a
   time). Waiting for another build of the same project still honours a cancel. */
static step_result lock_project(build *b, char **reason)
{
    pthread_mutex_lock(&b->eng->lock);
    b->ps = state_for(b->eng, b->config_key);
    pthread_mutex_unlock(&b->eng->lock);
    while (pthread_mutex_trylock(&b->ps->busy) != 0) {
        if (b->job->cancel && atomic_load(b->job->cancel)) {
            b->ps = NULL;
            *reason = xstrdup("cancelled");
            return STEP_STOPPED;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return STEP_CONTINUE;
}

/* Step 1: a watched project with nothing reported answers with the last
   good result, without reading the tree. Takes the notes either way. */
static step_result quiet_answer(build *b, strvec *noted, cJSON **result)
{
    proj_state *ps = b->ps;
    pthread_mutex_lock(&b->eng->lock);
    *noted = ps->noted;
    memset(&ps->noted, 0, sizeof ps->noted);
    bool rescan = ps->rescan;
    ps->rescan = false;
    b->watched = ps->watched;
    b->rescan = rescan;
    pthread_mutex_unlock(&b->eng->lock);
    if (!b->watched)
        drop_quiet(ps);
    /* The watcher's report is whole since the last good build in this
       process (a lost track or a failed build drops quiet_result), and the
       jmake.toml is not among the changes: what nobody reported is as it was. */
    b->trust_unreported = b->watched && ps->quiet_result && !rescan && ps->root && !strvec_contains(noted, b->config_key);
    if (!b->watched || !ps->quiet_result || noted->n || rescan)
        return STEP_CONTINUE;
    int64_t cs, cm, as, am;
    const char *art =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ps->quiet_result, "artifact"), "path"));
    eng_stat_pair(b->config_key, &cs, &cm);
    if (!art || !eng_stat_pair(art, &as, &am) || cs != ps->cfg_size || cm != ps->cfg_mtime || as != ps->art_size ||
        am != ps->art_mtime)
        return STEP_CONTINUE;
    /* The watcher covers the project's folders; every other input the record
       holds (system headers, libraries' headers) is stat-checked here, so an
       upgrade of a package is never answered from memory. */
    for (size_t i = 0; i < ps->outside_count; i++)
        if (!buildrecord_file_unchanged(ps->outside[i]))
            return STEP_CONTINUE;
    *result = cJSON_Duplicate(ps->quiet_result, 1);
    cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(*result, "timings_ms"), "total"),
                         (double)(clock_monotonic_ms() - b->t_start));
    return STEP_ANSWERED;
}

/* Step 2: configuration, record, toolchain, command-line prefixes, the unit
   list. Takes ownership of noted. STEP_STOPPED with *reason set when the
   build cannot run. */
/* Every item of dl, one per line (caller frees). */
static char *diag_text(const diag_list *dl)
{
    size_t len = 0;
    char *text = NULL;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        diag_print(dl, m);
        fclose(m);
    }
    return text ? text : xstrdup("");
}

/* Warnings about the jmake.toml (unknown keys, globs that match nothing): kept
   for the result and written to the job log at once. */
static void keep_config_warnings(build *b, const diag_list *dl)
{
    for (size_t i = 0; i < dl->count; i++) {
        const diag_item *it = &dl->items[i];
        if (it->severity != DIAG_WARNING)
            continue;
        diag_add(&b->config_diags, DIAG_WARNING, it->file, it->line, it->column, "%s", it->message);
        char *text = diag_format(it);
        char *line = xasprintf("%s\n", text);
        eng_log_text(b, line, strlen(line));
        free(line);
        free(text);
    }
}

/* The configuration's warnings in the result: as diagnostics items (which
   `jmake build` prints) and as a "warnings" list of FILE:LINE:COL lines. */
static void report_config_warnings(build *b, cJSON *result)
{
    cJSON *list = cJSON_AddArrayToObject(result, "warnings");
    for (size_t i = 0; i < b->config_diags.count; i++) {
        const diag_item *it = &b->config_diags.items[i];
        char *text = diag_format(it);
        cJSON_AddItemToArray(list, cJSON_CreateString(text));
        free(text);
    }
}

/* What the reported paths did to the index. */
typedef enum index_update { INDEX_UPDATED, INDEX_NEEDS_WALK } index_update;

/* Whether path or one of its folders is in gone (paths without a trailing '/'). */
static bool gone_or_below(const hashmap *gone, const char *path)
{
    if (hashmap_get(gone, path))
        return true;
    char *copy = xstrdup(path);
    bool hit = false;
    for (char *slash = strrchr(copy, '/'); slash && slash > copy && !hit; slash = strrchr(copy, '/')) {
        *slash = '\0';
        hit = hashmap_get(gone, copy) != NULL;
    }
    free(copy);
    return hit;
}

/* Applies the reported paths to the project's index by their state now
   (so a path reported twice, or already seen by the walk, does no harm): an
   existing file joins when the listing rules select it and leaves when they
   do not, a path that no longer exists leaves with everything below it (a
   deleted or renamed folder). A folder or an unreadable path is beyond what
   the watcher's reports say: the listing walks instead. */
static index_update update_index(build *b, const strvec *noted)
{
    hashmap *index = &b->ps->index;
    hashmap gone;
    hashmap_init(&gone);
    index_update outcome = INDEX_UPDATED;
    for (size_t i = 0; i < noted->n && outcome == INDEX_UPDATED; i++) {
        const char *path = noted->v[i];
        struct stat st;
        if (stat(path, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                hashmap_put(&gone, path, (void *)1);
            else
                outcome = INDEX_NEEDS_WALK;
        } else if (S_ISDIR(st.st_mode)) {
            outcome = INDEX_NEEDS_WALK;
        } else if (S_ISREG(st.st_mode) && srcscan_is_found(&b->P, path)) {
            if (!hashmap_get(index, path)) {
                hashmap_put(index, path, (void *)1);
                b->joined++;
            }
        } else if (hashmap_remove(index, path)) {
            b->left++;
        }
    }
    if (outcome == INDEX_UPDATED && gone.count) {
        strvec leaving = {0};
        size_t pos = 0;
        const char *key;
        void *v;
        while (hashmap_next(index, &pos, &key, &v))
            if (gone_or_below(&gone, key))
                strvec_push(&leaving, key);
        for (size_t i = 0; i < leaving.n; i++)
            hashmap_remove(index, leaving.v[i]);
        b->left += leaving.n;
        strvec_free(&leaving);
    }
    hashmap_free(&gone);
    return outcome;
}

/* The unit list: from the index when the project is watched, nothing was
   lost, the jmake.toml is as it was at the last listing and the index can
   stand for the walk; else by a walk, which (watched) seeds the index again.
   cfg_size and cfg_mtime are the jmake.toml's stat from before its load. */
static srcscan_result list_sources(build *b, bool index_ok, int64_t cfg_size, int64_t cfg_mtime,
                                   const strvec *noted, diag_list *dl, strvec *rels)
{
    proj_state *ps = b->ps;
    srcscan_options so = {.diags = dl, .cancel = b->job->cancel};
    bool usable = b->watched && !b->rescan && index_ok && cfg_size == ps->index_cfg_size &&
                  cfg_mtime == ps->index_cfg_mtime && cfg_size >= 0 && srcscan_index_usable(&b->P);
    if (usable && update_index(b, noted) == INDEX_UPDATED) {
        strvec found = {0};
        size_t pos = 0;
        const char *key;
        void *v;
        while (hashmap_next(&ps->index, &pos, &key, &v))
            strvec_push(&found, key);
        srcscan_result r = srcscan_list_from(&b->P, &so, &found, rels);
        strvec_free(&found);
        ps->index_valid = true;
        return r;
    }
    b->walked = true;
    b->joined = b->left = 0;
    hashmap_free(&ps->index);
    hashmap_init(&ps->index);
    strvec found = {0};
    so.found = b->watched ? &found : NULL;
    srcscan_result r = srcscan_list_checked(&b->P, &so, rels);
    if (r == SRCSCAN_OK && b->watched) {
        for (size_t i = 0; i < found.n; i++)
            hashmap_put(&ps->index, found.v[i], (void *)1);
        ps->index_cfg_size = cfg_size;
        ps->index_cfg_mtime = cfg_mtime;
        ps->index_valid = true;
    }
    strvec_free(&found);
    return r;
}

static step_result setup_build(build *b, strvec *noted, char **reason)
{
    engine *eng = b->eng;
    diag_list dl = {0};
    /* Before the load: a jmake.toml saved after this stat differs from it next time. */
    int64_t cfg_size, cfg_mtime;
    eng_stat_pair(b->config_key, &cfg_size, &cfg_mtime);
    /* Whatever stops this build before the index has taken the notes leaves it invalid. */
    bool index_ok = b->ps->index_valid;
    b->ps->index_valid = false;
    if (b->job->log_path) {
        b->log_fd = open(b->job->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (b->log_fd < 0)
            eng_store_failed(b, ENG_STORE_LOG, "job log %s not written: %s", b->job->log_path, strerror(errno));
    }
    if (project_load(b->config_key, &b->P, &dl) < 0) {
        char *text = diag_text(&dl);
        *reason = xasprintf("invalid project configuration %s:\n%s", b->config_key, text);
        free(text);
        diag_free(&dl);
        strvec_free(noted);
        return STEP_STOPPED;
    }
    keep_config_warnings(b, &dl);
    diag_free(&dl);
    pthread_mutex_init(&b->rec_lock, NULL);
    pthread_mutex_init(&b->dirs_lock, NULL);
    b->locks_ready = true;

    proj_state *ps = b->ps;
    b->record_path = record_path(eng, b->config_key);
    if (!ps->loaded) {
        if (b->record_path && buildrecord_load(&ps->rec, b->record_path) < 0)
            log_warn("engine: build record %s is damaged or of another version; rebuilding (the cache still serves)",
                     b->record_path);
        ps->loaded = true;
    }
    b->rec = &ps->rec;
    b->rec->epoch++;
    for (size_t i = 0; i < noted->n; i++)
        buildrecord_file_invalidate(b->rec, noted->v[i]);
    strvec noted_paths = *noted;   /* for the index, once the project is set up */
    memset(noted, 0, sizeof *noted);

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

    if (b->llvm) {
        b->cc = eng_llvm_tool(b, "clang");
        b->cxx = eng_llvm_tool(b, "clang++");
    } else {
        b->cc = subproc_find_program(P->cc);
        b->cxx = subproc_find_program(P->cxx);
    }
    if (b->cc)
        b->cc_id = eng_tool_identity(b->cc, &b->cc_info);
    if (b->cxx)
        b->cxx_id = eng_tool_identity(b->cxx, &b->cxx_info);
    eng_setup_common_args(b);
    eng_setup_env(b);
    b->obj_dir_abs = path_join(P->build_dir, b->llvm ? "bc" : "obj");
    b->obj_dir_rel = eng_root_relative(b, b->obj_dir_abs);
    eng_setup_hash_prefixes(b);

    strvec rels = {0};
    srcscan_result scan = list_sources(b, index_ok, cfg_size, cfg_mtime, &noted_paths, &dl, &rels);
    strvec_free(&noted_paths);
    if (scan != SRCSCAN_OK) {
        if (scan == SRCSCAN_CANCELLED) {
            *reason = xstrdup("cancelled");
        } else {
            char *text = diag_text(&dl);
            *reason = xasprintf("invalid project configuration %s:\n%s", b->config_key, text);
            free(text);
        }
        diag_free(&dl);
        strvec_free(&rels);
        return STEP_STOPPED;
    }
    keep_config_warnings(b, &dl);
    diag_free(&dl);
    if (!rels.n) {
        *reason = xasprintf("no sources found (source folder %s)", P->source_dir);
        return STEP_STOPPED;
    }
    b->nunits = rels.n;
    b->units = xcalloc(rels.n, sizeof *b->units);
    bool need_c = false, need_cxx = false;
    for (size_t i = 0; i < rels.n; i++) {
        eng_init_unit(b, &b->units[i], rels.v[i]);
        if (b->units[i].lang == SRC_NONE) {
            /* srcscan lets no such file through; a negative language would
               index the per-language tables out of bounds. */
            *reason = xasprintf("%s is not a C, C++ or assembly source", rels.v[i]);
            b->nunits = i + 1;
            for (size_t j = i + 1; j < rels.n; j++)
                free(rels.v[j]);
            free(rels.v);
            return STEP_STOPPED;
        }
        if (b->units[i].lang == SRC_CXX)
            need_cxx = true;
        else
            need_c = true;
        if (b->llvm && (b->units[i].lang == SRC_ASM || b->units[i].lang == SRC_ASM_PP)) {
            *reason = xasprintf("[llvm] projects cannot contain assembly (%s)", rels.v[i]);
            for (size_t j = i + 1; j < rels.n; j++)   /* units 0..i own theirs */
                free(rels.v[j]);
            free(rels.v);
            return STEP_STOPPED;
        }
    }
    free(rels.v);   /* the strings now belong to the units */
    if ((need_c && !b->cc) || (need_cxx && !b->cxx)) {
        const char *which = need_c && !b->cc ? (b->llvm ? "clang" : P->cc) : (b->llvm ? "clang++" : P->cxx);
        *reason = xasprintf("compiler '%s' not found", which);
        return STEP_STOPPED;
    }
    b->batch = runner_batch_open(eng->runner);
    return STEP_CONTINUE;
}

/* Step 3: decide, restore and compile every unit. begin_ns: where this step
   starts on the build lane; *end_ns gets where it ended. */
static step_result run_build(build *b, uint64_t begin_ns, uint64_t *end_ns, char **reason)
{
    b->scan_ms = clock_monotonic_ms() - b->t_start;
    uint64_t t_units = clock_monotonic_ms(), units_ns = buildtrace_now(b->trace);
    buildtrace_step(b->trace, "scan", begin_ns, units_ns, NULL);
    buildtrace_set_units(b->trace, b->nunits);
    bool ran = eng_run_units(b);
    b->compile_ms = clock_monotonic_ms() - t_units;
    *end_ns = buildtrace_now(b->trace);
    buildtrace_step(b->trace, "units", units_ns, *end_ns, ran ? NULL : "stopped");
    if (!ran) {
        *reason = b->stop_reason;
        b->stop_reason = NULL;
        return STEP_STOPPED;
    }
    return STEP_CONTINUE;
}

/* How the build found its sources: by a walk of the tree, or from the index (joined, left: what the reported paths changed in it). */
static cJSON *scan_json(bool walked, size_t joined, size_t left)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "walked", walked);
    cJSON_AddNumberToObject(j, "joined", (double)joined);
    cJSON_AddNumberToObject(j, "left", (double)left);
    return j;
}

/* Step 4: removed sources, compile_commands.json, the link, the result, the
   quiet answer, the cache bound. Returns engine_build's status. begin_ns:
   where this step starts on the build lane. */
static int finish_build(build *b, uint64_t begin_ns, cJSON **result, char **reason)
{
    drop_removed_sources(b);
    eng_write_compile_commands(b);
    bool link_failed = false;
    uint64_t step_ns = buildtrace_now(b->trace);
    buildtrace_step(b->trace, "bookkeeping", begin_ns, step_ns, NULL);
    if (!b->failed) {
        uint64_t t_link = clock_monotonic_ms();
        eng_link_outcome lr = eng_link_artifact(b, reason);
        b->link_ms = clock_monotonic_ms() - t_link;
        static const char *const link_words[] = {
            [LINK_DONE] = "linked", [LINK_UP_TO_DATE] = "up_to_date", [LINK_FAILED] = "failed",
            [LINK_STOPPED] = "stopped", [LINK_CANNOT_PLAN] = "cannot_plan"};
        uint64_t linked_ns = buildtrace_now(b->trace);
        buildtrace_step(b->trace, "link", step_ns, linked_ns, link_words[lr]);
        step_ns = linked_ns;
        if (lr == LINK_STOPPED) {
            *reason = b->stop_reason;
            b->stop_reason = NULL;
            return -1;
        }
        if (lr == LINK_CANNOT_PLAN)
            return -1;
        link_failed = b->link_failed = lr == LINK_FAILED;
    }
    int status = (b->failed || link_failed) ? 1 : 0;
    for (size_t i = 0; i < b->config_diags.count; i++) {
        const diag_item *it = &b->config_diags.items[i];
        eng_add_diag(b, it->file, it->line, it->column, false, it->message, strlen(it->message));
    }
    *result = eng_make_result(b);
    /* The total is taken again once the result is whole (the explain list
       takes its time), from the very reading that ends the timeline's last
       step: two clock readings could lie a preemption apart. */
    uint64_t end_ns = buildtrace_now(b->trace);
    buildtrace_step(b->trace, "result", step_ns, end_ns, NULL);
    cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(*result, "timings_ms"), "total"),
                         (double)(end_ns / 1000000u));
    report_config_warnings(b, *result);
    cJSON_AddItemToObject(*result, "scan", scan_json(b->walked, b->joined, b->left));
    buildtrace_add_slowest(b->trace, *result, BUILDTRACE_SLOWEST);
    keep_trace(b, *result, b->P.name);
    proj_state *ps = b->ps;
    drop_quiet(ps);
    if (status == 0 && b->watched) {
        ps->quiet_result = eng_quiet_copy(*result);
        cJSON_ReplaceItemInObject(ps->quiet_result, "scan", scan_json(false, 0, 0));
        eng_stat_pair(b->config_key, &ps->cfg_size, &ps->cfg_mtime);
        eng_stat_pair(b->P.artifact_path, &ps->art_size, &ps->art_mtime);
        free(ps->root);
        ps->root = xstrdup(b->P.root);
        list_outside_inputs(ps, ps->root);
        free(ps->name);
        ps->name = xstrdup(b->P.name);
    }
    account_cache(b);
    log_info("engine: %s: %zu files, %zu compiled, %zu from cache, %zu up to date, %zu failed, %zu errors, %llu ms",
             b->P.name, b->nunits, b->compiled, b->from_cache, b->up_to_date, b->failed, b->errors,
             (unsigned long long)(clock_monotonic_ms() - b->t_start));
    return status;
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
    b->trace = buildtrace_new();   /* the timeline's zero and t_start are the same moment */
    b->t_start = buildtrace_start_ms(b->trace);
    b->log_fd = -1;
    b->config_key = canonical_config(job->config_path);
    b->wake_fd = sys_wake_open();
    b->waiter.wake_fd = b->wake_fd;

    int status = -1;
    strvec noted = {0};
    if (lock_project(b, reason) == STEP_STOPPED) {
        cleanup_build(b);
        return -1;
    }
    /* The build lane's steps follow each other without gaps from 0; waiting
       for another build of the project is a step when it took 1 ms or more. */
    uint64_t locked_ns = buildtrace_now(b->trace), units_end_ns = 0;
    if (locked_ns >= 1000000)
        buildtrace_step(b->trace, "wait for the project", 0, locked_ns, NULL);
    else
        locked_ns = 0;
    step_result sr = quiet_answer(b, &noted, result);
    if (sr == STEP_ANSWERED) {
        strvec_free(&noted);
        status = 0;
        /* No per-unit slice: a watched no-op costs one small file. */
        buildtrace_step(b->trace, "quiet answer", locked_ns, buildtrace_now(b->trace), "all up to date");
        keep_trace(b, *result, b->ps->name);
    } else if (setup_build(b, &noted, reason) == STEP_CONTINUE &&
               run_build(b, locked_ns, &units_end_ns, reason) == STEP_CONTINUE) {
        status = finish_build(b, units_end_ns, result, reason);
    }
    if (sr != STEP_ANSWERED) {
        if (b->record_path && b->rec && b->rec->dirty) {
            int rc = buildrecord_save(b->rec, b->record_path);
            if (rc < 0)
                eng_store_failed(b, ENG_STORE_RECORD, "build record not saved: %s: %s: the next build checks every file",
                                 b->record_path, strerror(-rc));
        }
        if (*result)
            add_store_warnings(b, *result);
        if (status < 0 && b->locks_ready)   /* the configuration loaded: the last answer is void */
            drop_quiet(b->ps);
    }
    proj_state *ps = b->ps;
    cleanup_build(b);   /* before unlocking: the units point into ps->rec */
    pthread_mutex_unlock(&ps->busy);
    return status;
}
