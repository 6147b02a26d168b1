/* engine_check.c - deciding each unit on the check threads: up to date, restored from the cache, or to compile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_internal.h"
#include "objcache.h"
#include "sys.h"

/* Whether the watcher reports every change of f: under the project root,
   outside the build folder (which it ignores). */
static bool watcher_covers(build *b, const br_file *f)
{
    const char *root = b->ps->root, *out = b->P.build_dir;
    size_t rl = strlen(root), ol = strlen(out);
    return strncmp(f->path, root, rl) == 0 && f->path[rl] == '/' &&
           !(strncmp(f->path, out, ol) == 0 && f->path[ol] == '/');
}

/* Runs on a check thread. The stats (object, source) happen before taking
   rec_lock, so threads mostly wait for the file system in parallel. The
   object's stat goes to *sz, *mt ((-1, -1) when missing) for the explanation.
   src_st: the source's stat (NULL: none taken, or it failed). trust: a watched
   build whose record is unbroken: inputs the watcher covers that no one
   reported are taken as they were (buildrecord_file_trust), without a stat;
   the object is stat'ed as always (the watcher ignores the build folder), and
   inputs outside the root are checked. A save in a project of thousands of
   sources then stats the objects and what was saved. */
static bool unit_up_to_date(build *b, unit *u, const struct stat *src_st, bool trust, int64_t *sz, int64_t *mt)
{
    eng_object_stat(u, sz, mt);
    if (*sz < 0)
        return false;
    pthread_mutex_lock(&b->rec_lock);
    br_object *o = hashmap_get(&b->rec->objects, u->rel);
    bool ok = o && hash_eq(o->cmd_hash, u->cmd_hash) && *sz == o->obj_size && *mt == o->obj_mtime_ns;
    for (size_t i = 0; ok && i < o->dep_count; i++) {
        br_file *f = o->deps[i];
        bool exists;
        if (trust && watcher_covers(b, f) && buildrecord_file_trust(b->rec, f))
            exists = f->exists;
        else if (f == u->src && src_st)
            exists = buildrecord_file_check_stat(b->rec, f, src_st);
        else
            exists = buildrecord_file_check(b->rec, f);
        ok = exists && hash_eq(f->hash, o->dep_hashes[i]);
    }
    if (ok)
        o->seen_epoch = b->rec->epoch;
    pthread_mutex_unlock(&b->rec_lock);
    return ok;
}

/* Creates dir (absolute, normalised) with the rule of eng_ensure_dir_of.
   Caller holds dirs_lock. 0 or -errno. */
static int make_output_dir(build *b, const char *dir)
{
    if (hashmap_get(&b->made_dirs, dir))
        return 0;
    const char *top = b->P.build_dir;
    size_t lt = strlen(top);
    bool below = strncmp(dir, top, lt) == 0 && dir[lt] == '/';
    if (!below) {
        /* The build folder itself (or a folder outside it): the user's own,
           links included, as with cmake -B. */
        int rc = mkdir(dir, 0755) < 0 && errno != EEXIST ? mkdir_p(dir, 0755) : 0;
        if (rc == 0 && !dir_exists(dir))
            rc = -ENOTDIR;
        if (rc == 0)
            hashmap_put(&b->made_dirs, dir, (void *)1);
        return rc;
    }
    char *parent = path_dirname(dir);
    int rc = make_output_dir(b, parent);
    free(parent);
    if (rc < 0)
        return rc;
    struct stat st;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (lstat(dir, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;   /* planted inside the build folder: never written through */
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    hashmap_put(&b->made_dirs, dir, (void *)1);
    return 0;
}

/* One mkdir per output folder and build (the scan and every thread share
   the set). Below the build folder every folder must be a real folder: a
   symbolic link planted there (build/obj/src -> /etc) is refused, so no
   output lands outside it; the build folder itself may be a link. Returns 0
   or -errno (-ELOOP for such a link). */
int eng_ensure_dir_of(build *b, const char *file)
{
    char *dir = path_dirname(file);
    pthread_mutex_lock(&b->dirs_lock);
    int rc = make_output_dir(b, dir);
    pthread_mutex_unlock(&b->dirs_lock);
    free(dir);
    return rc;
}

/* Whether path, a file jmake writes or a tool writes for it, may be written:
   it must not be a symbolic link (it would write through to where the link
   points). NULL when fine, else the reason (caller frees). */
char *eng_output_refused(build *b, const char *path)
{
    int rc = eng_ensure_dir_of(b, path);
    if (rc == -ELOOP)
        return xasprintf("refusing to write %s: a folder on its way in the build folder is a symbolic link", path);
    if (rc < 0)
        return xasprintf("cannot create the folder of %s: %s", path, strerror(-rc));
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return xasprintf("refusing to write through the symbolic link %s", path);
    return NULL;
}

/* Records obj as built from the source plus headers (paths as the compiler
   wrote them, relative to the root or absolute), with the object's stat
   (obj_size < 0: unknown). Fills hashes (count entries) for the cache;
   returns false when a header vanished meanwhile. Caller holds rec_lock. */
bool eng_record_object(build *b, unit *u, char *const *headers, size_t count, XXH128_hash_t *hashes,
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
    br_object *o = buildrecord_object_set(b->rec, u->rel, u->cmd_hash, eng_unit_command(b, u), deps, dh, count + 1);
    o->obj_size = obj_size;
    o->obj_mtime_ns = obj_mtime;
    free(deps);
    free(dh);
    return complete;
}

/* Stat of a unit's object, taken outside rec_lock; (-1, -1) when missing. */
void eng_object_stat(const unit *u, int64_t *size, int64_t *mtime)
{
    struct stat st;
    if (stat(u->obj_abs, &st) == 0)
        eng_stat_ns(&st, size, mtime);
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

void eng_report_progress(build *b, const unit *u)
{
    if (b->job->progress)
        b->job->progress(b->job->progress_ctx, b->done, b->nunits, u->rel);
}

/* Decides what a unit needs: nothing, a copy from the cache, or a compiler.
   Runs on a check thread: touches only u, the record under rec_lock and the
   file system; the build thread applies u->outcome. */
void eng_check_unit(build *b, unit *u, XXH3_state_t *st)
{
    u->cmd_hash = eng_unit_cmd_hash(b, u, st);
    int64_t obj_size = -1, obj_mtime = -1;
    if (b->incremental && b->trust_unreported && unit_up_to_date(b, u, NULL, true, &obj_size, &obj_mtime)) {
        u->outcome = OUT_UPTODATE;
        return;
    }
    struct stat src_st;
    bool src_ok = stat(u->src->path, &src_st) == 0;   /* path is immutable: no lock */
    if (b->incremental && unit_up_to_date(b, u, src_ok ? &src_st : NULL, false, &obj_size, &obj_mtime)) {
        u->outcome = OUT_UPTODATE;
        return;
    }
    if (!b->incremental)
        eng_object_stat(u, &obj_size, &obj_mtime);
    /* Before the cache restore or the compile replaces the unit's record. */
    eng_explain_unit(b, u, obj_size, obj_mtime);
    u->outcome = OUT_COMPILE;
    if (!b->cache)
        return;
    pthread_mutex_lock(&b->rec_lock);
    bool readable = buildrecord_file_check_stat(b->rec, u->src, src_ok ? &src_st : NULL);
    XXH128_hash_t src_hash = u->src->hash;
    pthread_mutex_unlock(&b->rec_lock);
    if (!readable)
        return;
    u->mkey = eng_unit_manifest_key(b, u, src_hash, st);
    u->have_mkey = true;
    u->outcome = OUT_MISS;
    XXH128_hash_t okey;
    strvec headers = {0};
    objcache_miss miss;
    int found = objcache_manifest_lookup(b->cache_dir, u->mkey, manifest_check, b, &okey, &headers, &miss);
    if (found == 1) {
        /* No restore through a planted link; the compile step reports it. */
        char *refused = eng_output_refused(b, u->obj_abs);
        int64_t osz, omt;
        if (!refused && objcache_get_stat(b->cache_dir, okey, u->obj_abs, true, &osz, &omt) == 1) {
            pthread_mutex_lock(&b->rec_lock);
            eng_record_object(b, u, headers.v, headers.n, NULL, osz, omt);
            pthread_mutex_unlock(&b->rec_lock);
            u->outcome = OUT_CACHED;
            u->why->cache = WHY_CACHE_HIT;
        } else if (!refused) {
            eng_explain_miss(b, u, NULL, true);
        }
        free(refused);
    } else if (found == 0) {
        eng_explain_miss(b, u, &miss, false);
        free(miss.header);
    }
    strvec_free(&headers);
}

/* The check threads: they take units from a shared index and decide them
   (stat, hash, cache lookup and restore) while the build thread applies the
   decisions in unit order, runs the compilers and polls them. */
static void *check_thread(void *arg)
{
    checkers *c = arg;
    build *b = c->b;
    XXH3_state_t *st = XXH3_createState();
    buildtrace_checker ck;
    buildtrace_checker_begin(&ck, b->trace);
    while (!atomic_load(&c->abort)) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= b->nunits)
            break;
        uint64_t begin = buildtrace_now(b->trace);
        eng_check_unit(b, &b->units[i], st);
        unit_outcome decided = b->units[i].outcome;   /* the build thread owns the unit once decided */
        atomic_store(&b->units[i].decided, true);
        buildtrace_checker_unit(&ck, b->units[i].rel, begin, decided == OUT_CACHED, decided == OUT_UPTODATE);
        /* Pairs with the build thread's store of wanted and load of decided
           (both seq_cst): either it sees decided, or this sees wanted. */
        if (atomic_load(&c->wanted) == i) {
            if (b->wake_fd >= 0)
                sys_wake_post(b->wake_fd);   /* the build thread also wakes every 100 ms */
        }
    }
    buildtrace_checker_end(&ck);
    XXH3_freeState(st);
    return NULL;
}

void eng_checkers_start(build *b, checkers *c)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    atomic_store(&c->wanted, SIZE_MAX);
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

void eng_checkers_stop(checkers *c)
{
    atomic_store(&c->abort, true);
    for (size_t i = 0; i < c->nthreads; i++)
        pthread_join(c->threads[i], NULL);
    free(c->threads);
}
