/* engine_compile.c - the compile loop: decisions applied in unit order, compilers started through the runner within the engine-wide slot limit, their results recorded and cached. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depfile.h"
#include "engine_internal.h"
#include "log.h"
#include "objcache.h"
#include "sys.h"

/* The queue of units waiting for a compiler, in unit order. */
typedef struct compile_queue {
    size_t *idx;
    size_t head, tail;
} compile_queue;

bool eng_should_stop(build *b)
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
    size_t errs = eng_parse_diagnostics(b, out ? out : "", out ? len : 0, u->rel);
    if (!errs)
        eng_add_diag(b, u->rel, 0, 0, true, why, strlen(why));
    pthread_mutex_lock(&b->rec_lock);
    buildrecord_object_remove(b->rec, u->rel);
    pthread_mutex_unlock(&b->rec_lock);
    unlink(u->obj_abs);   /* a stale object must never be linked */
}

static void start_unit(build *b, unit *u)
{
    size_t idx = (size_t)(u - b->units);
    buildtrace_unit_begin(b->trace, idx);   /* a slot lane, held as long as the slot */
    char *refused = eng_output_refused(b, u->obj_abs);
    if (!refused && u->lang != SRC_ASM)
        refused = eng_output_refused(b, u->dep_abs);
    if (refused) {
        slotlimit_release(&b->eng->slots);
        u->status = U_FAILED;
        b->failed++;
        eng_add_diag(b, u->rel, 0, 0, true, refused, strlen(refused));
        pthread_mutex_lock(&b->rec_lock);
        buildrecord_object_remove(b->rec, u->rel);
        pthread_mutex_unlock(&b->rec_lock);
        free(refused);
        buildtrace_unit_end(b->trace, idx, u->rel, buildtrace_now(b->trace), "failed");
        b->done++;
        eng_report_progress(b, u);
        return;
    }
    strvec argv = {0};
    eng_unit_emit(b, u, eng_emit_strvec, &argv);
    eng_log_command(b, argv.v);
    runner_command cmd = {.argv = argv.v, .cwd = b->P.root, .envp = b->envp, .tag = u};
    int rc = eng_unit_compiler(b, u) ? runner_start(b->batch, &cmd) : -ENOENT;
    strvec_free(&argv);
    if (rc < 0) {
        slotlimit_release(&b->eng->slots);
        char *why = xasprintf("cannot run compiler '%s': %s",
                              u->lang == SRC_CXX ? b->P.cxx : b->P.cc, strerror(-rc));
        unit_failed(b, u, NULL, 0, why);
        free(why);
        buildtrace_unit_end(b->trace, idx, u->rel, buildtrace_now(b->trace), "failed");
        b->done++;
        eng_report_progress(b, u);
        return;
    }
    u->status = U_RUNNING;
    b->running++;
}

/* Starts queued units while the engine-wide limit has slots: when it has none,
   this build is queued for one and its wake descriptor is posted when one is
   set aside for it. */
static void fill_slots(build *b, compile_queue *q)
{
    while (q->head < q->tail && slotlimit_try_acquire(&b->eng->slots, &b->waiter))
        start_unit(b, &b->units[q->idx[q->head++]]);
}

/* A compiler finished: read what it learned (headers), record, cache. */
static void finish_unit(build *b, unit *u, const runner_result *p)
{
    eng_log_text(b, p->output, p->output_len);
    if (!runner_result_succeeded(p)) {
        /* Killed by a signal (the OOM killer, a crashed cc1): not the source's fault. */
        bool signalled = WIFSIGNALED(p->status) && !(b->job->cancel && atomic_load(b->job->cancel));
        if (signalled)
            b->signalled++;
        char *why = signalled ? xasprintf("compiler killed by signal %d", WTERMSIG(p->status))
                              : xasprintf("compiler failed (status %d)", p->status);
        unit_failed(b, u, p->output, p->output_len, why);
        free(why);
        return;
    }
    if (p->output_len)
        eng_parse_diagnostics(b, p->output, p->output_len, u->rel);
    strvec deps = {0}, headers = {0};
    if (u->lang != SRC_ASM) {
        if (depfile_parse_file(u->dep_abs, &deps) < 0)
            log_warn("engine: no usable depfile %s; only the source is tracked", u->dep_abs);
    }
    for (size_t i = 0; i < deps.n; i++)
        if (strcmp(deps.v[i], u->rel) != 0 && strcmp(deps.v[i], u->src_arg) != 0)
            strvec_push(&headers, deps.v[i]);
    XXH128_hash_t *hashes = xmalloc((headers.n + 1) * sizeof *hashes);
    int64_t osz, omt;
    eng_object_stat(u, &osz, &omt);
    pthread_mutex_lock(&b->rec_lock);
    bool complete = eng_record_object(b, u, headers.v, headers.n, hashes, osz, omt);
    int64_t hashed_size = u->src->size, hashed_mtime = u->src->mtime_ns;
    XXH128_hash_t src_hash = u->src->hash;   /* the one in u->mkey: this epoch hashed it once */
    pthread_mutex_unlock(&b->rec_lock);
    if (b->cache && u->have_mkey && complete) {
        /* An edit saved while the compiler ran would put an object under the
           key of content it was not built from: only a source whose stat is
           still the one we hashed goes into the cache. */
        struct stat st;
        int64_t sz, mt;
        bool stable = stat(u->src->path, &st) == 0;
        if (stable) {
            eng_stat_ns(&st, &sz, &mt);
            stable = sz == hashed_size && mt == hashed_mtime;
        }
        if (stable) {
            XXH128_hash_t okey = objcache_object_key(u->mkey, headers.v, hashes, headers.n);
            int64_t n1 = objcache_put(b->cache_dir, okey, u->obj_abs);
            int64_t n2 = n1 >= 0 ? objcache_manifest_add(b->cache_dir, u->mkey, headers.v, hashes, headers.n, okey) : 0;
            if (n1 >= 0)
                b->stored_bytes += n1 + (n2 > 0 ? n2 : 0) + eng_explain_stored(b, u, src_hash);
            if (n1 < 0 || n2 < 0)
                eng_store_failed(b, ENG_STORE_CACHE, "cache entry for %s not stored: %s", u->rel,
                                 strerror((int)-(n1 < 0 ? n1 : n2)));
        }
    }
    free(hashes);
    strvec_free(&deps);
    strvec_free(&headers);
    u->status = U_COMPILED;
    b->compiled++;
}

/* Cancel or timeout: every compiler of this build is killed (whole process groups). */
static void kill_all(build *b)
{
    runner_cancel(b->batch);
    for (size_t i = 0; i < b->nunits; i++)
        if (b->units[i].status == U_RUNNING)
            b->units[i].status = U_FAILED;
    for (; b->running; b->running--)
        slotlimit_release(&b->eng->slots);
}

/* Waits up to timeout_ms for finished compilers or a wake-up (a check thread
   decided the awaited unit, a slot was set aside); for the finished ones it
   gives back their slots, refills the free slots first (so the compilers stay
   busy), then does their bookkeeping. */
static void wait_events(build *b, compile_queue *q, int timeout_ms)
{
    runner_result done[DONE_CHUNK];
    int n = runner_wait(b->batch, b->wake_fd, timeout_ms, done, DONE_CHUNK);
    if (n <= 0)
        return;
    /* A slice ends when its slot is given back, before fill_slots hands the
       lane to the next command: bookkeeping below runs on no lane. */
    uint64_t now = buildtrace_now(b->trace);
    for (int i = 0; i < n; i++) {
        unit *u = done[i].tag;
        buildtrace_unit_end(b->trace, (size_t)(u - b->units), u->rel, now,
                            runner_result_succeeded(&done[i]) ? "compiled" : "failed");
        b->running--;
        slotlimit_release(&b->eng->slots);
    }
    fill_slots(b, q);
    for (int i = 0; i < n; i++) {
        unit *u = done[i].tag;
        finish_unit(b, u, &done[i]);
        free(done[i].output);
        b->done++;
        eng_report_progress(b, u);
    }
}

/* Applies one decided unit on the build thread. */
static void apply_outcome(build *b, compile_queue *q, size_t idx)
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
        eng_report_progress(b, u);
        return;
    case OUT_MISS:
        b->misses++;
        /* fall through */
    case OUT_COMPILE:
        u->status = U_QUEUED;
        q->idx[q->tail++] = idx;
        fill_slots(b, q);   /* start compilers as soon as the scan yields work */
        return;
    }
}

bool eng_run_units(build *b)
{
    compile_queue q = {.idx = xmalloc((b->nunits + 1) * sizeof *q.idx)};
    uint64_t t_scan = clock_monotonic_ms();
    checkers c;
    eng_checkers_start(b, &c);
    bool threaded = c.nthreads > 0, live = true;
    XXH3_state_t *st = threaded ? NULL : XXH3_createState();
    buildtrace_checker ck;   /* this thread's check lane when it decides the units itself */
    buildtrace_checker_begin(&ck, threaded ? NULL : b->trace);
    size_t applied = 0;
    bool ok = true;
    for (;;) {
        if (eng_should_stop(b)) {
            eng_checkers_stop(&c);
            live = false;
            kill_all(b);
            ok = false;
            break;
        }
        fill_slots(b, &q);
        if (applied < b->nunits) {
            size_t k = 0;
            for (; k < APPLY_CHUNK && applied < b->nunits; k++) {
                unit *u = &b->units[applied];
                if (!threaded) {
                    uint64_t begin = buildtrace_now(b->trace);
                    eng_check_unit(b, u, st);   /* no thread could be started: decide here */
                    buildtrace_checker_unit(&ck, u->rel, begin, u->outcome == OUT_CACHED,
                                            u->outcome == OUT_UPTODATE);
                } else if (!atomic_load(&u->decided))
                    break;
                apply_outcome(b, &q, applied++);
            }
            if (applied == b->nunits) {
                b->scan_ms += clock_monotonic_ms() - t_scan;
                continue;
            }
            if (k == APPLY_CHUNK) {
                if (b->running)
                    wait_events(b, &q, 0);
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
                wait_events(b, &q, 100);
            atomic_store(&c.wanted, SIZE_MAX);
            continue;
        }
        if (!b->running && q.head == q.tail)
            break;
        wait_events(b, &q, 100);
    }
    if (live)
        eng_checkers_stop(&c);
    buildtrace_checker_end(&ck);
    slotlimit_leave(&b->eng->slots, &b->waiter);   /* a slot set aside for us goes to the next build */
    if (st)
        XXH3_freeState(st);
    free(q.idx);
    return ok;
}

/* A link command's slice: ends now, its lane given back. */
static void tool_slice_end(build *b, buildtrace_slice *slice)
{
    slice->end_ns = buildtrace_now(b->trace);
    buildtrace_add(b->trace, slice);
    buildtrace_lane_give(b->trace, slice->lane);
}

eng_tool_outcome eng_run_tool(build *b, char *const *argv, char **out, size_t *out_len)
{
    eng_log_command(b, argv);
    while (!slotlimit_try_acquire(&b->eng->slots, &b->waiter)) {
        if (eng_should_stop(b)) {
            slotlimit_leave(&b->eng->slots, &b->waiter);
            return TOOL_STOPPED;
        }
        runner_wait(b->batch, b->wake_fd, 100, NULL, 0);
    }
    runner_command cmd = {.argv = argv, .cwd = b->P.root, .envp = b->envp};
    buildtrace_slice slice = {.name = buildtrace_keep_name(b->trace, path_basename(argv[0])),
                              .cat = BUILDTRACE_TOOL, .lane_kind = BUILDTRACE_LANE_SLOT,
                              .lane = buildtrace_lane_take(b->trace), .begin_ns = buildtrace_now(b->trace)};
    int rc = runner_start(b->batch, &cmd);
    if (rc < 0) {
        slice.outcome = "failed";
        tool_slice_end(b, &slice);
        slotlimit_release(&b->eng->slots);
        *out = xasprintf("%s: error: cannot run: %s\n", argv[0], strerror(-rc));
        *out_len = strlen(*out);
        return TOOL_FAILED;
    }
    runner_result res;
    while (runner_wait(b->batch, b->wake_fd, 100, &res, 1) <= 0) {
        if (eng_should_stop(b)) {
            runner_cancel(b->batch);
            slice.outcome = "stopped";
            tool_slice_end(b, &slice);
            slotlimit_release(&b->eng->slots);
            return TOOL_STOPPED;
        }
    }
    bool ok = runner_result_succeeded(&res);
    slice.outcome = ok ? "succeeded" : "failed";
    tool_slice_end(b, &slice);
    slotlimit_release(&b->eng->slots);
    eng_log_text(b, res.output, res.output_len);
    *out = res.output ? res.output : xstrdup("");
    *out_len = res.output_len;
    return ok ? TOOL_SUCCEEDED : TOOL_FAILED;
}
