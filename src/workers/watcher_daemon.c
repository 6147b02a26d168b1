/* watcher_daemon.c - the watcher daemon: watches every project of the watch list with inotify and reports changed paths after debounce_ms of quiet; answers sync requests with a cookie. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "log.h"
#include "project.h"
#include "util.h"
#include "watchbatch.h"
#include "watchtree.h"
#include "worker.h"

/* How long a sync waits for its cookie to come back before the build is told to check everything. */
#define WATCHER_SYNC_BOUND_MS 1000
/* A batch is reported at the latest this long after its first change, quiet or not. */
#define WATCHER_MAX_WAIT_MS 5000
/* Projects left partly unwatched by the watch limit are rescanned (and rebuilt with a full check) this often. */
#define WATCHER_DEGRADED_RESCAN_MS 5000

typedef struct watcher watcher;

typedef struct pending_sync {
    double token;
    char *cookie;               /* the cookie file's path, owned */
    uint64_t deadline_ms;
    bool seen;
} pending_sync;

typedef struct wproject {
    watcher *w;
    char *config;               /* absolute jmake.toml, owned */
    char *root;                 /* where sync cookies are made, owned */
    watch_tree *tree;
    uv_poll_t poll;
    bool polling;
    watch_batch batch;
    strvec ignore;              /* the daemon's ignore_patterns plus this project's build and output folders */
    const char **ignore_v;      /* NULL-terminated view of ignore, owned array */
    pending_sync *syncs;
    size_t nsyncs;
    bool degraded;
    uint64_t next_rescan_ms;
    bool keep;                  /* marks during a watch_set */
    struct wproject *next;
} wproject;

struct watcher {
    worker_context *ctx;        /* borrowed; set on the first message */
    uv_loop_t *loop;
    uv_timer_t timer;           /* the next debounce, sync bound or rescan, whichever comes first */
    bool timer_ready;
    wproject *projects;
    uint64_t debounce_ms;
    size_t max_watches;         /* the watch-limit seam (JMAKE_WATCH_MAX_WATCHES), 0 = the kernel's */
};

static void *watcher_start(const jm_config *cfg, const char *home)
{
    (void)home;
    watcher *w = xcalloc(1, sizeof *w);
    w->debounce_ms = (uint64_t)cfg->watcher.debounce_ms;
    const char *cap = getenv("JMAKE_WATCH_MAX_WATCHES");
    if (cap && *cap)
        w->max_watches = (size_t)strtoull(cap, NULL, 10);
    return w;
}

static void send_json(watcher *w, cJSON *msg)
{
    w->ctx->send(w->ctx, msg);
}

static void send_synced(watcher *w, double token, bool ok)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "synced");
    cJSON_AddNumberToObject(m, "token", token);
    cJSON_AddBoolToObject(m, "ok", ok);
    send_json(w, m);
}

/* Reports what the batch holds, if anything. */
static void flush_batch(wproject *p)
{
    if (watch_batch_empty(&p->batch))
        return;
    strvec paths;
    bool lost;
    watch_batch_take(&p->batch, &paths, &lost);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "watch_changes");
    cJSON_AddStringToObject(m, "config", p->config);
    cJSON *arr = cJSON_AddArrayToObject(m, "paths");
    for (size_t i = 0; i < paths.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(paths.v[i]));
    cJSON_AddBoolToObject(m, "lost", lost);
    log_debug("%s: %zu changed paths%s", p->config, paths.n, lost ? ", track lost" : "");
    strvec_free(&paths);
    send_json(p->w, m);
}

static void send_state(wproject *p, const char *state)
{
    watch_tree_stats st = {0};
    if (p->tree)
        watch_tree_stats_get(p->tree, &st);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "watch_state");
    cJSON_AddStringToObject(m, "config", p->config);
    cJSON_AddStringToObject(m, "state", state);
    cJSON_AddNumberToObject(m, "watches", (double)st.watches);
    cJSON_AddNumberToObject(m, "unwatched", (double)st.unwatched);
    if (st.limit_reached) {
        long max = watch_kernel_max_user_watches();
        char *detail = xasprintf("inotify watch limit reached: %zu folders watched, %zu without a watch "
                                 "(fs.inotify.max_user_watches = %ld%s); they are rescanned every %d s. "
                                 "Raise it: sudo sysctl fs.inotify.max_user_watches=%ld",
                                 st.watches, st.unwatched, max, p->w->max_watches ? ", capped for tests" : "",
                                 WATCHER_DEGRADED_RESCAN_MS / 1000, max > 0 ? max * 4 : 524288);
        cJSON_AddStringToObject(m, "detail", detail);
        log_warn("%s: %s", p->config, detail);
        free(detail);
    }
    send_json(p->w, m);
}

static void reschedule(watcher *w);

/* Whether path is dir or lies below it (both absolute and normalised). */
static bool path_is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || (n > 0 && dir[n - 1] == '/'));
}

/* After a lost read or for a degraded project: place what is missing, and make the next build check everything. */
static void rescan(wproject *p, uint64_t now)
{
    send_state(p, "rescanning");
    watch_place placed = watch_tree_rescan(p->tree, NULL, NULL);
    p->degraded = placed != WATCH_PLACED;
    p->next_rescan_ms = now + WATCHER_DEGRADED_RESCAN_MS;
    watch_batch_lose(&p->batch, now);
    send_state(p, p->degraded ? "degraded" : "watching");
}

static void on_change(void *ctx, const char *path, watch_change_kind kind)
{
    wproject *p = ctx;
    if (kind == WATCH_COOKIE) {
        for (size_t i = 0; i < p->nsyncs; i++)
            if (strcmp(p->syncs[i].cookie, path) == 0)
                p->syncs[i].seen = true;
        return;
    }
    watch_batch_add(&p->batch, path, clock_monotonic_ms());
}

static void drop_sync(wproject *p, size_t i)
{
    unlink(p->syncs[i].cookie);
    free(p->syncs[i].cookie);
    p->syncs[i] = p->syncs[--p->nsyncs];
}

/* Syncs whose cookie came back: everything read before it is reported first. */
static void answer_syncs(wproject *p, uint64_t now)
{
    bool flushed = false;
    for (size_t i = 0; i < p->nsyncs;) {
        pending_sync *s = &p->syncs[i];
        if (s->seen || now >= s->deadline_ms) {
            if (s->seen && !flushed) {
                flush_batch(p);
                flushed = true;
            }
            if (!s->seen)
                log_warn("%s: sync cookie not seen within %d ms; the build checks everything", p->config,
                         WATCHER_SYNC_BOUND_MS);
            send_synced(p->w, s->token, s->seen);
            drop_sync(p, i);
        } else {
            i++;
        }
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    wproject *p = h->data;
    uint64_t now = clock_monotonic_ms();
    watch_read r = status < 0 ? WATCH_READ_ERROR : watch_tree_read(p->tree, on_change, p);
    if (r == WATCH_READ_LOST) {
        log_warn("%s: inotify lost track (queue overflow or a folder beyond the watch limit); rescanning",
                 p->config);
        rescan(p, now);
    } else if (r == WATCH_READ_ERROR) {
        log_error("%s: reading inotify failed: %s", p->config, strerror(errno));
        watch_batch_lose(&p->batch, now);
    }
    answer_syncs(p, now);
    reschedule(p->w);
}

static void on_timer(uv_timer_t *t)
{
    watcher *w = t->data;
    uint64_t now = clock_monotonic_ms();
    for (wproject *p = w->projects; p; p = p->next) {
        if (p->degraded && now >= p->next_rescan_ms)
            rescan(p, now);
        if (watch_batch_wait_ms(&p->batch, now, w->debounce_ms, WATCHER_MAX_WAIT_MS) == 0)
            flush_batch(p);
        answer_syncs(p, now);
    }
    reschedule(w);
}

static void reschedule(watcher *w)
{
    uint64_t now = clock_monotonic_ms();
    uint64_t next = UINT64_MAX;
    for (wproject *p = w->projects; p; p = p->next) {
        uint64_t wait = watch_batch_wait_ms(&p->batch, now, w->debounce_ms, WATCHER_MAX_WAIT_MS);
        if (wait < next)
            next = wait;
        for (size_t i = 0; i < p->nsyncs; i++) {
            uint64_t s = p->syncs[i].deadline_ms > now ? p->syncs[i].deadline_ms - now : 0;
            if (s < next)
                next = s;
        }
        if (p->degraded) {
            uint64_t s = p->next_rescan_ms > now ? p->next_rescan_ms - now : 0;
            if (s < next)
                next = s;
        }
    }
    if (next == UINT64_MAX)
        uv_timer_stop(&w->timer);
    else
        uv_timer_start(&w->timer, on_timer, next, 0);
}

static void watcher_bind(watcher *w, worker_context *ctx)
{
    w->ctx = ctx;
    if (w->timer_ready)
        return;
    w->loop = ctx->loop;
    uv_timer_init(w->loop, &w->timer);
    w->timer.data = w;
    uv_unref((uv_handle_t *)&w->timer);
    w->timer_ready = true;
}

/* ---- the watch list ---- */

static void push_ignore_dir(wproject *p, const char *root, const char *dir)
{
    if (!dir || !path_is_under(dir, root) || strcmp(dir, root) == 0)
        return;
    char *rel = path_relative(root, dir);
    strvec_push_owned(&p->ignore, xasprintf("%s/**", rel));
    free(rel);
}

static void project_free_now(uv_handle_t *h)
{
    wproject *p = h->data;
    watch_tree_free(p->tree);
    watch_batch_free(&p->batch);
    strvec_free(&p->ignore);
    free(p->ignore_v);
    for (size_t i = 0; i < p->nsyncs; i++) {
        unlink(p->syncs[i].cookie);
        free(p->syncs[i].cookie);
    }
    free(p->syncs);
    free(p->config);
    free(p->root);
    free(p);
}

static void project_close(wproject *p)
{
    for (size_t i = 0; i < p->nsyncs; i++)
        send_synced(p->w, p->syncs[i].token, false);
    if (p->polling) {
        uv_poll_stop(&p->poll);
        uv_close((uv_handle_t *)&p->poll, project_free_now);
    } else {
        uv_handle_t fake = {.data = p};
        project_free_now(&fake);
    }
}

static wproject *project_open(watcher *w, const char *config)
{
    wproject *p = xcalloc(1, sizeof *p);
    p->w = w;
    p->config = xstrdup(config);
    watch_batch_init(&p->batch);
    const jm_config *cfg = w->ctx->cfg;
    strvec_extend(&p->ignore, &cfg->watcher.ignore_patterns);
    project_config P;
    diag_list diags = {0};
    bool loaded = project_load(config, &P, &diags) == 0;
    diag_free(&diags);
    char *config_dir = path_dirname(config);
    p->root = xstrdup(loaded ? P.root : config_dir);
    if (loaded) {
        push_ignore_dir(p, P.root, P.build_dir);
        push_ignore_dir(p, P.root, P.output_dir);
    }
    p->ignore_v = xcalloc(p->ignore.n + 1, sizeof *p->ignore_v);
    for (size_t i = 0; i < p->ignore.n; i++)
        p->ignore_v[i] = p->ignore.v[i];
    watch_tree_options o = {
        .filter = {.watch = (const char *const *)cfg->watcher.watch_patterns.v, .ignore = p->ignore_v},
        .max_watches = w->max_watches,
    };
    char err[256];
    p->tree = watch_tree_new(&o, err, sizeof err);
    watch_place worst = WATCH_PLACED;
    if (!p->tree) {
        log_error("%s: cannot watch: %s", config, err);
        worst = WATCH_FAILED;
    } else {
        watch_place r = watch_tree_add_root(p->tree, p->root, NULL);
        worst = r;
        /* The jmake.toml, when it lies outside the root. */
        if (!path_is_under(config, p->root)) {
            r = watch_tree_add_root(p->tree, config_dir, path_basename(config));
            if (r > worst)
                worst = r;
        }
        /* Include folders outside the root: a header there is an input too. */
        for (size_t i = 0; loaded && i < P.include_dirs.n; i++) {
            const char *dir = P.include_dirs.v[i];
            if (path_is_under(dir, p->root) || !dir_exists(dir))
                continue;
            r = watch_tree_add_root(p->tree, dir, NULL);
            if (r > worst)
                worst = r;
        }
        uv_poll_init(w->loop, &p->poll, watch_tree_fd(p->tree));
        p->poll.data = p;
        uv_poll_start(&p->poll, UV_READABLE, on_poll);
        uv_unref((uv_handle_t *)&p->poll);
        p->polling = true;
    }
    free(config_dir);
    if (loaded)
        project_free(&P);
    p->degraded = worst != WATCH_PLACED;
    p->next_rescan_ms = clock_monotonic_ms() + WATCHER_DEGRADED_RESCAN_MS;
    if (p->degraded) {
        /* Watches not all placed: the record is broken from the start. */
        watch_batch_lose(&p->batch, clock_monotonic_ms());
    }
    watch_tree_stats st = {0};
    if (p->tree)
        watch_tree_stats_get(p->tree, &st);
    log_info("watching %s: %zu folders%s", config, st.watches, p->degraded ? " (degraded)" : "");
    send_state(p, p->degraded ? "degraded" : "watching");
    return p;
}

static wproject *find_project(watcher *w, const char *config)
{
    for (wproject *p = w->projects; p; p = p->next)
        if (strcmp(p->config, config) == 0)
            return p;
    return NULL;
}

/* {"op": "watch_set", "projects": [{"config": PATH}, ...]}: the whole list, from the orchestrator. */
static void msg_watch_set(worker_context *ctx, const cJSON *msg)
{
    watcher *w = ctx->state;
    watcher_bind(w, ctx);
    for (wproject *p = w->projects; p; p = p->next)
        p->keep = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(msg, "projects"))
    {
        const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(item, "config"));
        if (!config)
            continue;
        wproject *p = find_project(w, config);
        if (!p) {
            p = project_open(w, config);
            p->next = w->projects;
            w->projects = p;
        }
        p->keep = true;
    }
    for (wproject **pp = &w->projects; *pp;) {
        wproject *p = *pp;
        if (!p->keep) {
            log_info("no longer watching %s", p->config);
            *pp = p->next;
            project_close(p);
        } else {
            pp = &p->next;
        }
    }
    reschedule(w);
}

/* {"op": "sync", "config": PATH, "token": N}: answered with "synced" once
 * every event up to now has been read and reported, or ok false after the bound. */
static void msg_sync(worker_context *ctx, const cJSON *msg)
{
    watcher *w = ctx->state;
    watcher_bind(w, ctx);
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config"));
    double token = cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "token"));
    wproject *p = config ? find_project(w, config) : NULL;
    if (!p || !p->tree || p->degraded) {
        send_synced(w, token, false);
        return;
    }
    char *cookie = xasprintf("%s/" WATCH_COOKIE_PREFIX "%d-%.0f", p->root, (int)getpid(), token);
    int fd = open(cookie, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("%s: cannot make the sync cookie %s: %s", p->config, cookie, strerror(errno));
        free(cookie);
        send_synced(w, token, false);
        return;
    }
    close(fd);
    p->syncs = xrealloc(p->syncs, (p->nsyncs + 1) * sizeof *p->syncs);
    p->syncs[p->nsyncs++] = (pending_sync){
        .token = token, .cookie = cookie, .deadline_ms = clock_monotonic_ms() + WATCHER_SYNC_BOUND_MS};
    reschedule(w);
}

static void watcher_stop(void *state)
{
    watcher *w = state;
    if (!w)
        return;
    while (w->projects) {
        wproject *p = w->projects;
        w->projects = p->next;
        for (size_t i = 0; i < p->nsyncs; i++)
            unlink(p->syncs[i].cookie);
        p->nsyncs = 0;
        if (p->polling) {
            uv_poll_stop(&p->poll);
            uv_close((uv_handle_t *)&p->poll, project_free_now);
        } else {
            uv_handle_t fake = {.data = p};
            project_free_now(&fake);
        }
    }
    if (w->timer_ready) {
        uv_close((uv_handle_t *)&w->timer, NULL);
        /* The worker has left its loop: finish these closes and close it for good. */
        uv_run(w->loop, UV_RUN_DEFAULT);
        uv_loop_close(w->loop);
    }
    free(w);
}

static const worker_message watcher_messages[] = {
    {"watch_set", msg_watch_set},
    {"sync", msg_sync},
    {NULL, NULL},
};

const worker_daemon worker_watcher_daemon = {
    .kind = DAEMON_WATCHER,
    .start = watcher_start,
    .stop = watcher_stop,
    .messages = watcher_messages,
};
