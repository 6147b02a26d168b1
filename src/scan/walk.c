/* walk.c - the directory walker: readdir with d_type, links to folders deferred and entered once by (device, inode). */
#include "walk.h"

#include "hashmap.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A link to a folder, followed once every folder reachable without links has been walked. */
typedef struct deferred_link {
    char *rel;      /* owned */
    struct stat st; /* of the target */
} deferred_link;

typedef struct walker {
    const char *root;     /* borrowed */
    unsigned flags;
    atomic_int *cancel;   /* borrowed, may be NULL */
    walk_fn fn;
    void *ctx;
    hashmap visited;      /* "dev:ino" of folders entered or pruned; values unused */
    strvec stack;         /* relative paths of folders still to read */
    deferred_link *links; /* owned array */
    size_t nlinks, caplinks;
} walker;

static bool walker_cancelled(const walker *w)
{
    return w->cancel && atomic_load_explicit(w->cancel, memory_order_relaxed) != 0;
}

static void inode_key(const struct stat *st, char *buf, size_t size)
{
    snprintf(buf, size, "%llx:%llx", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
}

static bool walker_seen(const walker *w, const struct stat *st)
{
    char key[48];
    inode_key(st, key, sizeof key);
    return hashmap_get(&w->visited, key) != NULL;
}

static void walker_mark(walker *w, const struct stat *st)
{
    char key[48];
    inode_key(st, key, sizeof key);
    hashmap_put(&w->visited, key, w); /* any non-NULL value: only membership matters */
}

/* Reports a folder; on CONTINUE it is queued for reading. Takes ownership of rel. */
static walk_action walker_offer_dir(walker *w, char *rel, size_t name_at, const struct stat *st, bool via_link)
{
    char *path = path_join(w->root, rel);
    walk_entry e = {.rel = rel, .path = path, .name = rel + name_at, .kind = WALK_DIR, .via_link = via_link,
                    .st = st};
    walk_action act = w->fn(&e, w->ctx);
    free(path);
    if (act != WALK_STOP)
        walker_mark(w, st); /* pruned too: a link must not bring a pruned folder back */
    if (act == WALK_CONTINUE)
        strvec_push_owned(&w->stack, rel);
    else
        free(rel);
    return act;
}

static void walker_defer(walker *w, char *rel, const struct stat *st)
{
    if (w->nlinks == w->caplinks) {
        w->caplinks = w->caplinks ? w->caplinks * 2 : 8;
        w->links = xrealloc(w->links, w->caplinks * sizeof *w->links);
    }
    w->links[w->nlinks++] = (deferred_link){rel, *st};
}

static walk_result walker_read_folder(walker *w, const char *rel_dir)
{
    char *full_dir = rel_dir[0] ? path_join(w->root, rel_dir) : xstrdup(w->root);
    DIR *d = opendir(full_dir);
    if (!d) {
        walk_entry e = {.rel = rel_dir, .path = full_dir, .name = path_basename(rel_dir), .kind = WALK_UNREADABLE,
                        .error = errno};
        walk_action act = w->fn(&e, w->ctx);
        free(full_dir);
        return act == WALK_STOP ? WALK_STOPPED : WALK_DONE;
    }
    size_t name_at = rel_dir[0] ? strlen(rel_dir) + 1 : 0;
    walk_result res = WALK_DONE;
    struct dirent *de;
    while (res == WALK_DONE && (de = readdir(d)) != NULL) {
        if (walker_cancelled(w)) {
            res = WALK_CANCELLED;
            break;
        }
        const char *name = de->d_name;
        if (name[0] == '.')
            continue; /* hidden entries, and "." and ".." */
        unsigned char type = de->d_type;
        struct stat sb;
        bool have_stat = false, via_link = false;
        if (type == DT_UNKNOWN) { /* some file systems leave d_type empty */
            if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            have_stat = true;
            type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : S_ISLNK(sb.st_mode) ? DT_LNK
                                                                                                   : DT_UNKNOWN;
        }
        if (type == DT_LNK) {
            if (fstatat(dirfd(d), name, &sb, 0) != 0)
                continue; /* dangling */
            have_stat = true;
            via_link = true;
            type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type == DT_DIR) {
            if (!have_stat && fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            if (walker_seen(w, &sb))
                continue;
            char *rel = rel_dir[0] ? path_join(rel_dir, name) : xstrdup(name);
            if (via_link)
                walker_defer(w, rel, &sb);
            else if (walker_offer_dir(w, rel, name_at, &sb, false) == WALK_STOP)
                res = WALK_STOPPED;
        } else if (type == DT_REG) {
            bool want_stat = (w->flags & WALK_STAT_FILES) != 0;
            if (want_stat && !have_stat && fstatat(dirfd(d), name, &sb, 0) != 0)
                continue;
            char *rel = rel_dir[0] ? path_join(rel_dir, name) : xstrdup(name);
            char *path = path_join(full_dir, name);
            walk_entry e = {.rel = rel, .path = path, .name = rel + name_at, .kind = WALK_FILE,
                            .via_link = via_link, .st = want_stat ? &sb : NULL};
            if (w->fn(&e, w->ctx) == WALK_STOP)
                res = WALK_STOPPED;
            free(path);
            free(rel);
        }
    }
    closedir(d);
    free(full_dir);
    return res;
}

/* Removes and returns the deferred link with the smallest relative path. */
static deferred_link walker_take_link(walker *w)
{
    size_t best = 0;
    for (size_t i = 1; i < w->nlinks; i++)
        if (strcmp(w->links[i].rel, w->links[best].rel) < 0)
            best = i;
    deferred_link l = w->links[best];
    w->links[best] = w->links[--w->nlinks];
    return l;
}

walk_result walk_tree(const char *root, const walk_options *options, walk_fn fn, void *ctx)
{
    walker w = {.root = root, .fn = fn, .ctx = ctx};
    if (options) {
        w.flags = options->flags;
        w.cancel = options->cancel;
    }
    hashmap_init(&w.visited);
    struct stat rst;
    if (stat(root, &rst) == 0)
        walker_mark(&w, &rst);
    strvec_push(&w.stack, "");
    walk_result res = WALK_DONE;
    while (res == WALK_DONE) {
        if (walker_cancelled(&w)) {
            res = WALK_CANCELLED;
            break;
        }
        if (w.stack.n > 0) {
            char *rel_dir = w.stack.v[--w.stack.n];
            w.stack.v[w.stack.n] = NULL;
            res = walker_read_folder(&w, rel_dir);
            free(rel_dir);
            continue;
        }
        if (w.nlinks == 0)
            break;
        deferred_link l = walker_take_link(&w);
        if (walker_seen(&w, &l.st)) { /* entered meanwhile through its own path or another link */
            free(l.rel);
            continue;
        }
        const char *slash = strrchr(l.rel, '/');
        size_t name_at = slash ? (size_t)(slash - l.rel) + 1 : 0;
        if (walker_offer_dir(&w, l.rel, name_at, &l.st, true) == WALK_STOP)
            res = WALK_STOPPED;
    }
    for (size_t i = 0; i < w.nlinks; i++)
        free(w.links[i].rel);
    free(w.links);
    strvec_free(&w.stack);
    hashmap_free(&w.visited);
    return res;
}
