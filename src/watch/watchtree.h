/* watchtree.h - one watched project's folders under inotify: recursive, new folders picked up, stale events dropped. */
#ifndef JMAKE_WATCHTREE_H
#define JMAKE_WATCHTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "watchfilter.h"

/* Why a watch tree is the Linux-specific file of the watcher: inotify, read
 * non-blocking until EAGAIN, watch descriptors mapped to folders, events of
 * removed watches dropped (libuv's linux.c shows the traps). One tree (one
 * inotify instance) per project, so removing a project is closing its fd and
 * an overflow loses track of that project only. */
typedef struct watch_tree watch_tree;

/* The name a sync cookie starts with: the watcher creates such a file in a
 * project root and waits for its own event (watchtree reports it apart). */
#define WATCH_COOKIE_PREFIX ".jmake-sync-"

typedef struct watch_tree_options {
    watch_filter filter;        /* borrowed, must outlive the tree */
    /* The seam for the kernel's watch limit: 0 = as many as the kernel
     * allows; N = the (N+1)th watch fails as if the kernel had said ENOSPC. */
    size_t max_watches;
} watch_tree_options;

typedef enum watch_change_kind {
    WATCH_CHANGED,      /* a file was written, created, moved in, or its attributes changed */
    WATCH_REMOVED,      /* a file or folder was deleted or moved away */
    WATCH_COOKIE,       /* a sync cookie appeared (path is its full path) */
} watch_change_kind;

/* path: absolute, borrowed for the call. */
typedef void (*watch_change_fn)(void *ctx, const char *path, watch_change_kind kind);

typedef enum watch_place {
    WATCH_PLACED,       /* every folder has its watch */
    WATCH_PARTIAL,      /* the watch limit was reached: some folders have none (watch_tree_stats says how many) */
    WATCH_FAILED,       /* the root could not be watched at all */
} watch_place;

typedef enum watch_read {
    WATCH_READ_OK,      /* every queued event was read and reported */
    WATCH_READ_LOST,    /* events were lost (IN_Q_OVERFLOW) or a root went away: rescan and check everything */
    WATCH_READ_ERROR,   /* the inotify fd failed */
} watch_read;

typedef struct watch_tree_stats {
    size_t watches;         /* folders watched now */
    size_t unwatched;       /* folders left without a watch by the limit */
    bool limit_reached;     /* the kernel (or the seam) refused a watch with ENOSPC */
} watch_tree_stats;

/* NULL with err set when inotify cannot be had (caller frees with watch_tree_free). */
watch_tree *watch_tree_new(const watch_tree_options *options, char *err, size_t errsize);
void watch_tree_free(watch_tree *t);
/* The non-blocking inotify fd, for the caller's poll (borrowed). */
int watch_tree_fd(const watch_tree *t);

/* Watches root (absolute) and every folder below it the filter does not
 * prune. With only_file (a name), root alone is watched and only that file
 * of it counts (a jmake.toml outside the project root). */
watch_place watch_tree_add_root(watch_tree *t, const char *root, const char *only_file);

/* Reads every queued event (until EAGAIN) and reports the changes that pass
 * the filter, in order. A new folder is watched and every file already in it
 * reported, so files created before its watch existed are not missed. */
watch_read watch_tree_read(watch_tree *t, watch_change_fn fn, void *ctx);

/* After a lost read or while the limit leaves folders unwatched: walks every
 * root again, placing the watches that are missing (the limit permitting);
 * every file passing the filter under the folders still without a watch is
 * reported through fn (may be NULL) so the caller can check them. */
watch_place watch_tree_rescan(watch_tree *t, watch_change_fn fn, void *ctx);

void watch_tree_stats_get(const watch_tree *t, watch_tree_stats *out);

/* The kernel's limits (/proc/sys/fs/inotify/max_user_watches and
 * max_queued_events); -1 when unreadable. */
long watch_kernel_max_user_watches(void);
long watch_kernel_max_queued_events(void);

#endif
