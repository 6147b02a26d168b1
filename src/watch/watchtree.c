/* watchtree.c - recursive inotify for one project: watch descriptors mapped to folders, new and removed folders followed. */
#include "watchtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "walk.h"

#define FILE_EVENTS (IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_ATTRIB | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)
#define DIR_EVENTS (FILE_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

typedef struct watch_root {
    char *path;             /* absolute, owned */
    char *only_file;        /* owned, or NULL (recursive) */
} watch_root;

/* One watched folder. wd numbers grow and are not reused soon, so the map is
 * an array indexed by wd; an entry whose watch was removed stays NULL and its
 * late events (IN_IGNORED included) are dropped. */
typedef struct watch_dir {
    char *path;             /* absolute, owned */
    size_t root;            /* index in roots */
} watch_dir;

struct watch_tree {
    int fd;
    watch_tree_options opt;
    watch_root *roots;
    size_t nroots;
    watch_dir **by_wd;      /* owned entries */
    size_t cap_wd;
    size_t live;
    size_t unwatched;
    bool limit_reached;
};

watch_tree *watch_tree_new(const watch_tree_options *options, char *err, size_t errsize)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsize, "inotify_init1: %s%s", strerror(errno),
                 errno == EMFILE ? " (fs.inotify.max_user_instances reached)" : "");
        return NULL;
    }
    watch_tree *t = xcalloc(1, sizeof *t);
    t->fd = fd;
    t->opt = *options;
    return t;
}

void watch_tree_free(watch_tree *t)
{
    if (!t)
        return;
    close(t->fd);
    for (size_t i = 0; i < t->cap_wd; i++)
        if (t->by_wd[i]) {
            free(t->by_wd[i]->path);
            free(t->by_wd[i]);
        }
    free(t->by_wd);
    for (size_t i = 0; i < t->nroots; i++) {
        free(t->roots[i].path);
        free(t->roots[i].only_file);
    }
    free(t->roots);
    free(t);
}

int watch_tree_fd(const watch_tree *t)
{
    return t->fd;
}

static watch_dir *dir_of(const watch_tree *t, int wd)
{
    return wd >= 0 && (size_t)wd < t->cap_wd ? t->by_wd[wd] : NULL;
}

static void forget_wd(watch_tree *t, int wd)
{
    watch_dir *d = dir_of(t, wd);
    if (!d)
        return;
    free(d->path);
    free(d);
    t->by_wd[wd] = NULL;
    t->live--;
}

typedef enum add_result { ADD_OK, ADD_LIMIT, ADD_GONE } add_result;

/* Places (or finds, for a folder already watched) the watch of path. */
static add_result add_watch(watch_tree *t, const char *path, size_t root)
{
    int wd = inotify_add_watch(t->fd, path, DIR_EVENTS);
    if (wd >= 0 && t->opt.max_watches && t->live >= t->opt.max_watches && !dir_of(t, wd)) {
        /* The seam: a folder already watched is found again, a new one is refused. */
        inotify_rm_watch(t->fd, wd);
        wd = -1;
        errno = ENOSPC;
    }
    if (wd < 0) {
        if (errno == ENOSPC) {
            t->limit_reached = true;
            return ADD_LIMIT;
        }
        return ADD_GONE;
    }
    if ((size_t)wd >= t->cap_wd) {
        size_t cap = t->cap_wd ? t->cap_wd : 64;
        while (cap <= (size_t)wd)
            cap *= 2;
        t->by_wd = xrealloc(t->by_wd, cap * sizeof *t->by_wd);
        memset(t->by_wd + t->cap_wd, 0, (cap - t->cap_wd) * sizeof *t->by_wd);
        t->cap_wd = cap;
    }
    watch_dir *d = t->by_wd[wd];
    if (d) {
        /* The same inode reached again (a rename we did not see): the newest path wins. */
        if (strcmp(d->path, path) != 0) {
            free(d->path);
            d->path = xstrdup(path);
        }
        d->root = root;
        return ADD_OK;
    }
    d = xcalloc(1, sizeof *d);
    d->path = xstrdup(path);
    d->root = root;
    t->by_wd[wd] = d;
    t->live++;
    return ADD_OK;
}

/* rel of path under the root's folder ("" for the root itself); borrowed from path. */
static const char *rel_in_root(const watch_root *r, const char *path)
{
    size_t n = strlen(r->path);
    if (strncmp(path, r->path, n) != 0)
        return path;
    if (path[n] == '/')
        return path + n + 1;
    return path + n;
}

static bool file_counts(const watch_tree *t, const watch_root *r, const char *path)
{
    const char *rel = rel_in_root(r, path);
    if (r->only_file)
        return strcmp(rel, r->only_file) == 0;
    return watch_filter_file(&t->opt.filter, rel);
}

/* Walks one folder placing watches; reports files through fn (NULL: none)
 * when report_all, else only those in folders left without a watch. */
typedef struct place_walk {
    watch_tree *t;
    size_t root;
    watch_change_fn fn;
    void *ctx;
    bool report_all;
    strvec unwatched_dirs;  /* folders the limit left without a watch (their files get reported) */
    bool failed;
} place_walk;

static bool in_unwatched(const place_walk *pw, const char *path)
{
    char *dir = path_dirname(path);
    bool found = strvec_contains(&pw->unwatched_dirs, dir);
    free(dir);
    return found;
}

static walk_action place_entry(const walk_entry *e, void *ctx)
{
    place_walk *pw = ctx;
    watch_root *r = &pw->t->roots[pw->root];
    if (e->kind == WALK_UNREADABLE)
        return WALK_CONTINUE;
    if (e->kind == WALK_DIR) {
        const char *rel = rel_in_root(r, e->path);
        if (watch_filter_prunes_dir(&pw->t->opt.filter, rel))
            return WALK_PRUNE;
        if (add_watch(pw->t, e->path, pw->root) == ADD_LIMIT) {
            pw->t->unwatched++;
            strvec_push(&pw->unwatched_dirs, e->path);
        }
        return WALK_CONTINUE;
    }
    if (pw->fn && (pw->report_all || in_unwatched(pw, e->path)) && file_counts(pw->t, r, e->path))
        pw->fn(pw->ctx, e->path, WATCH_CHANGED);
    return WALK_CONTINUE;
}

/* Watches dir (already known to pass the filter) and everything below it. */
static watch_place place_tree(watch_tree *t, size_t root, const char *dir, watch_change_fn fn, void *ctx,
                              bool report_all)
{
    place_walk pw = {.t = t, .root = root, .fn = fn, .ctx = ctx, .report_all = report_all};
    add_result top = add_watch(t, dir, root);
    if (top == ADD_GONE)
        return WATCH_FAILED;
    if (top == ADD_LIMIT) {
        t->unwatched++;
        strvec_push(&pw.unwatched_dirs, dir);
    }
    if (!t->roots[root].only_file)
        walk_tree(dir, NULL, place_entry, &pw);
    else if (top == ADD_LIMIT && fn) {
        char *file = path_join(dir, t->roots[root].only_file);
        fn(ctx, file, WATCH_CHANGED);
        free(file);
    }
    bool partial = pw.unwatched_dirs.n > 0;
    strvec_free(&pw.unwatched_dirs);
    return partial ? WATCH_PARTIAL : WATCH_PLACED;
}

watch_place watch_tree_add_root(watch_tree *t, const char *root, const char *only_file)
{
    t->roots = xrealloc(t->roots, (t->nroots + 1) * sizeof *t->roots);
    t->roots[t->nroots].path = xstrdup(root);
    t->roots[t->nroots].only_file = only_file ? xstrdup(only_file) : NULL;
    t->nroots++;
    return place_tree(t, t->nroots - 1, root, NULL, NULL, false);
}

watch_place watch_tree_rescan(watch_tree *t, watch_change_fn fn, void *ctx)
{
    t->unwatched = 0;
    watch_place worst = WATCH_PLACED;
    for (size_t i = 0; i < t->nroots; i++) {
        watch_place p = place_tree(t, i, t->roots[i].path, fn, ctx, false);
        if (p > worst)
            worst = p;
    }
    return worst;
}

/* A folder at path left (deleted or moved away): its watch and every watch
 * below it go, so their late events are dropped and a folder moved elsewhere
 * is not reported under its old name. */
static void drop_subtree(watch_tree *t, const char *path)
{
    size_t n = strlen(path);
    for (size_t wd = 0; wd < t->cap_wd; wd++) {
        watch_dir *d = t->by_wd[wd];
        if (d && strncmp(d->path, path, n) == 0 && (d->path[n] == '\0' || d->path[n] == '/')) {
            inotify_rm_watch(t->fd, (int)wd);
            forget_wd(t, (int)wd);
        }
    }
}

static bool is_root_dir(const watch_tree *t, const watch_dir *d)
{
    return strcmp(t->roots[d->root].path, d->path) == 0;
}

/* One event; false when track of the tree was lost. */
static bool handle_event(watch_tree *t, const struct inotify_event *ev, watch_change_fn fn, void *ctx)
{
    if (ev->mask & IN_Q_OVERFLOW)
        return false;
    watch_dir *d = dir_of(t, ev->wd);
    if (!d)
        return true; /* an event of a watch already removed */
    if (ev->mask & IN_IGNORED) {
        bool root = is_root_dir(t, d);
        forget_wd(t, ev->wd);
        return !root;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
        return !is_root_dir(t, d); /* a sub-folder: its parent's event already said so */
    if (ev->len == 0 || !ev->name[0])
        return true;
    watch_root *r = &t->roots[d->root];
    char *path = path_join(d->path, ev->name);
    if (strncmp(ev->name, WATCH_COOKIE_PREFIX, strlen(WATCH_COOKIE_PREFIX)) == 0 && is_root_dir(t, d)) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO))
            fn(ctx, path, WATCH_COOKIE);
        free(path);
        return true;
    }
    bool lost = false;
    if (ev->mask & IN_ISDIR) {
        if (!r->only_file) {
            const char *rel = rel_in_root(r, path);
            if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                if (!watch_filter_prunes_dir(&t->opt.filter, rel)) {
                    /* Watch first, then list: a file created in between is seen twice, never missed. */
                    if (place_tree(t, d->root, path, fn, ctx, true) == WATCH_PARTIAL)
                        lost = true;
                }
            } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                drop_subtree(t, path);
                if (!watch_filter_prunes_dir(&t->opt.filter, rel))
                    fn(ctx, path, WATCH_REMOVED);
            }
        }
    } else if (file_counts(t, r, path)) {
        fn(ctx, path, (ev->mask & (IN_DELETE | IN_MOVED_FROM)) ? WATCH_REMOVED : WATCH_CHANGED);
    }
    free(path);
    return !lost;
}

watch_read watch_tree_read(watch_tree *t, watch_change_fn fn, void *ctx)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool lost = false;
    for (;;) {
        ssize_t n = read(t->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return WATCH_READ_ERROR;
        }
        if (n == 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (!handle_event(t, ev, fn, ctx))
                lost = true;
            p += sizeof *ev + ev->len;
        }
    }
    return lost ? WATCH_READ_LOST : WATCH_READ_OK;
}

void watch_tree_stats_get(const watch_tree *t, watch_tree_stats *out)
{
    out->watches = t->live;
    out->unwatched = t->unwatched;
    out->limit_reached = t->limit_reached;
}

static long read_proc_long(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

long watch_kernel_max_user_watches(void)
{
    return read_proc_long("/proc/sys/fs/inotify/max_user_watches");
}

long watch_kernel_max_queued_events(void)
{
    return read_proc_long("/proc/sys/fs/inotify/max_queued_events");
}
