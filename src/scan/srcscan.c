/* srcscan.c - lists a project's translation units (the walker, globs, excludes); the one table of source and header extensions. */
#include "srcscan.h"

#include "walk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The one table of file kinds by extension, for source listing, discovery
 * and the watcher alike (so they cannot disagree on .c++ again). */
static const struct {
    const char *ext;
    src_lang lang;   /* SRC_NONE: a header */
} extension_table[] = {
    {".c", SRC_C},      {".cc", SRC_CXX},    {".cpp", SRC_CXX},   {".cxx", SRC_CXX},  {".C", SRC_CXX},
    {".c++", SRC_CXX},  {".S", SRC_ASM_PP},  {".s", SRC_ASM},     {".h", SRC_NONE},   {".hh", SRC_NONE},
    {".hpp", SRC_NONE}, {".hxx", SRC_NONE},  {".inc", SRC_NONE},
};

/* The table row for path's extension, or -1. */
static int extension_row(const char *path)
{
    const char *ext = path_extension(path);
    for (size_t i = 0; i < sizeof extension_table / sizeof extension_table[0]; i++)
        if (!strcmp(ext, extension_table[i].ext))
            return (int)i;
    return -1;
}

src_lang srcscan_language(const char *path)
{
    int row = extension_row(path);
    return row < 0 ? SRC_NONE : extension_table[row].lang;
}

bool srcscan_is_header(const char *path)
{
    int row = extension_row(path);
    return row >= 0 && extension_table[row].lang == SRC_NONE;
}

typedef struct list_walk {
    const char *skip_dir;   /* borrowed, absolute; may be NULL */
    struct stat skip_st;    /* of skip_dir, when have_skip_st */
    bool have_skip_st;
    bool only_sources;
    strvec *out;            /* borrowed */
} list_walk;

static walk_action list_visit(const walk_entry *e, void *ctx)
{
    list_walk *lw = ctx;
    if (e->kind == WALK_DIR) {
        /* By inode too, so the build folder is skipped when a link leads into it. */
        bool is_skip = lw->skip_dir && (strcmp(e->path, lw->skip_dir) == 0 ||
                                        (lw->have_skip_st && e->st->st_dev == lw->skip_st.st_dev &&
                                         e->st->st_ino == lw->skip_st.st_ino));
        return is_skip ? WALK_PRUNE : WALK_CONTINUE;
    }
    if (e->kind == WALK_FILE && (!lw->only_sources || srcscan_language(e->name) != SRC_NONE))
        strvec_push(lw->out, e->path);
    return WALK_CONTINUE;
}

/* Regular files under dir (skipping hidden entries and skip_dir) as absolute paths. */
static void walk(const char *dir, const char *skip_dir, bool only_sources, strvec *out)
{
    list_walk lw = {.skip_dir = skip_dir, .only_sources = only_sources, .out = out};
    lw.have_skip_st = skip_dir && stat(skip_dir, &lw.skip_st) == 0;
    walk_tree(dir, NULL, list_visit, &lw);
}


static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

void srcscan_list(const project_config *P, strvec *rels)
{
    strvec abs = {0};
    if (P->sources.n == 0) {
        walk(P->source_dir, P->build_dir, true, &abs);
    } else {
        strvec all = {0};
        bool walked = false;
        for (size_t i = 0; i < P->sources.n; i++) {
            const char *s = P->sources.v[i];
            if (is_glob(s)) {
                if (!walked) {
                    walk(P->root, P->build_dir, false, &all);
                    walked = true;
                }
                for (size_t k = 0; k < all.n; k++) {
                    char *r = path_relative(P->root, all.v[k]);
                    if (glob_match(s, r))
                        strvec_push(&abs, all.v[k]);
                    free(r);
                }
            } else {
                strvec_push_owned(&abs, path_absolute(P->root, s));
            }
        }
        strvec_free(&all);
    }
    size_t first = rels->n;
    for (size_t i = 0; i < abs.n; i++) {
        char *r = path_relative(P->root, abs.v[i]);
        bool excluded = false;
        for (size_t k = 0; k < P->exclude.n && !excluded; k++)
            excluded = glob_match(P->exclude.v[k], r);
        if (excluded)
            free(r);
        else
            strvec_push_owned(rels, r);
    }
    strvec_free(&abs);
    strvec_sort_unique(rels, first);
}
