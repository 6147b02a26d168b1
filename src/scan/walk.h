/* walk.h - the one directory walker of jmake: every regular file and folder under a root, symlinks followed once. */
#ifndef JMAKE_WALK_H
#define JMAKE_WALK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

/*
 * Rules every caller (source listing, discovery, the watcher) shares:
 * - Hidden entries (name starting with '.': .git, .cache, editor files) are
 *   never reported nor entered.
 * - Only regular files and folders are reported; sockets, devices, FIFOs and
 *   dangling links are passed over.
 * - Symbolic links are followed: a link to a file is reported as a file, a
 *   link to a folder as a folder under the link's own path. A folder is
 *   entered at most once, known by its (device, inode): one already entered,
 *   or pruned by the callback, is not entered again through another path, so
 *   `src/up -> ..` and link cycles end. Links to folders are followed only
 *   after every folder reached without one, so a folder that is both inside
 *   the tree and the target of a link is listed under its own path; among
 *   links, the smaller relative path goes first, so the outcome does not
 *   depend on readdir order.
 * - A folder that cannot be opened is reported as WALK_UNREADABLE and the
 *   walk goes on.
 * The root itself is not reported.
 */

typedef enum walk_kind {
    WALK_FILE,       /* a regular file, or a link to one */
    WALK_DIR,        /* a folder, or a link to one; the callback decides whether it is entered */
    WALK_UNREADABLE, /* a folder that could not be opened ("" is the root); error holds errno */
} walk_kind;

typedef struct walk_entry {
    const char *rel;        /* path relative to the root; borrowed, valid during the call */
    const char *path;       /* the root joined with rel; borrowed, valid during the call */
    const char *name;       /* the last segment of rel (points into rel) */
    walk_kind kind;
    bool via_link;          /* the entry itself is a symbolic link */
    /* The followed stat of the entry: always set for WALK_DIR; for WALK_FILE
     * only with WALK_STAT_FILES (d_type spares a stat per file otherwise);
     * NULL for WALK_UNREADABLE. Borrowed, valid during the call. */
    const struct stat *st;
    int error;              /* WALK_UNREADABLE: the errno of opening the folder */
} walk_entry;

/* What the callback wants next. */
typedef enum walk_action {
    WALK_CONTINUE, /* go on; a WALK_DIR entry is entered */
    WALK_PRUNE,    /* WALK_DIR: do not enter it (nor its inode through any other path); else like CONTINUE */
    WALK_STOP,     /* end the walk now */
} walk_action;

typedef walk_action (*walk_fn)(const walk_entry *entry, void *ctx);

typedef enum walk_result {
    WALK_DONE,      /* every reachable entry was reported */
    WALK_STOPPED,   /* the callback returned WALK_STOP */
    WALK_CANCELLED, /* *cancel became non-zero */
} walk_result;

enum { WALK_STAT_FILES = 1 << 0 };

typedef struct walk_options {
    unsigned flags;     /* WALK_STAT_FILES */
    atomic_int *cancel; /* borrowed, may be NULL; read before every entry so a cancel stops the walk at once */
} walk_options;

/* Walks root (borrowed; options may be NULL) with an explicit stack rather
 * than recursion, so deep trees cannot exhaust a daemon thread's stack;
 * calls fn for every entry as the rules above say. An unreadable root is
 * reported as WALK_UNREADABLE with rel "". */
walk_result walk_tree(const char *root, const walk_options *options, walk_fn fn, void *ctx);

#endif
