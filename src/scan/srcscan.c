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
    if (e->kind == WALK_FILE && srcscan_language(e->name) != SRC_NONE)
        strvec_push(lw->out, e->path);
    return WALK_CONTINUE;
}

/* Source files under dir (skipping hidden entries and skip_dir) as absolute paths. */
static walk_result walk(const char *dir, const char *skip_dir, atomic_int *cancel, strvec *out)
{
    list_walk lw = {.skip_dir = skip_dir, .out = out};
    lw.have_skip_st = skip_dir && stat(skip_dir, &lw.skip_st) == 0;
    walk_options wo = {.cancel = cancel};
    return walk_tree(dir, &wo, list_visit, &lw);
}

static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* abs (normalised, absolute) relative to root with ".." where it lies outside:
   how a jmake.toml spells a path beside the project. Caller frees. */
static char *dotdot_relative(const char *root, const char *abs)
{
    size_t common = 0;   /* length of the shared leading folders */
    for (size_t i = 0;; i++) {
        bool end_r = root[i] == '\0' || root[i] == '/', end_a = abs[i] == '\0' || abs[i] == '/';
        if (end_r && end_a)
            common = i;
        if (!root[i] || !abs[i] || root[i] != abs[i])
            break;
    }
    bytebuf b = {0};
    for (const char *r = root + common; *r; r++)
        if (*r == '/' && r[1] && r[1] != '/')
            bytebuf_put(&b, b.len ? "/.." : "..", b.len ? 3 : 2);
    const char *rest = abs + common;
    while (*rest == '/')
        rest++;
    if (*rest) {
        if (b.len)
            bytebuf_put(&b, "/", 1);
        bytebuf_put(&b, rest, strlen(rest));
    }
    bytebuf_put(&b, "", 1);
    return (char *)b.p;
}

/* The spelling a glob or exclude is matched against: relative to the root
   when under it, else with ".." (relative patterns) or absolute. Caller frees. */
static char *match_spelling(const char *root, const char *abs, bool absolute_pattern)
{
    char *r = path_relative(root, abs);
    if (r[0] != '/' || absolute_pattern)
        return r;
    free(r);
    return dotdot_relative(root, abs);
}

/* The folder a glob's fixed leading segments name (caller frees), resolved against root. */
static char *glob_base(const char *root, const char *glob)
{
    const char *magic = strpbrk(glob, "*?[");
    const char *slash = magic;
    while (slash > glob && *slash != '/')
        slash--;
    if (slash == glob && *slash != '/')
        return xstrdup(root);
    char *prefix = xstrndup(glob, slash == glob ? 1 : (size_t)(slash - glob));
    char *base = path_absolute(root, prefix);
    free(prefix);
    return base;
}

static void add_diag(const srcscan_options *o, diag_severity sev, const project_config *P, project_pos pos,
                     const char *fmt, const char *what, const char *value)
{
    if (o && o->diags)
        diag_add(o->diags, sev, P->config_path, pos.line, pos.column, fmt, what, value);
}

static project_pos pos_of(const project_pos *v, size_t i)
{
    return v ? v[i] : (project_pos){0, 0};
}

/* A literal sources entry as an absolute path, or NULL with an error added. */
static char *literal_source(const project_config *P, const srcscan_options *o, size_t i)
{
    const char *s = P->sources.v[i];
    project_pos pos = pos_of(P->source_pos, i);
    if (srcscan_language(s) == SRC_NONE) {
        add_diag(o, DIAG_ERROR, P, pos, "%s '%s' is not a C, C++ or assembly source (.c .cc .cpp .cxx .C .c++ .S .s)",
                 "compile.sources:", s);
        return NULL;
    }
    char *abs = path_absolute(P->root, s);
    struct stat st;
    if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
        add_diag(o, DIAG_ERROR, P, pos, "%s '%s' does not exist or is not a regular file", "compile.sources:", s);
        free(abs);
        return NULL;
    }
    return abs;
}

/* Whether glob's fixed leading folders lie outside the root (it is walked from there). */
static bool glob_outside_root(const project_config *P, const char *glob)
{
    char *base = glob_base(P->root, glob);
    char *under = path_relative(P->root, base);
    bool outside = under[0] == '/';
    free(under);
    free(base);
    return outside;
}

/* Whether some file of pool matches glob, as the listing spells it. */
static bool glob_matches_any(const project_config *P, const char *glob, const strvec *pool)
{
    for (size_t k = 0; k < pool->n; k++) {
        char *r = match_spelling(P->root, pool->v[k], glob[0] == '/');
        bool hit = glob_match(glob, r);
        free(r);
        if (hit)
            return true;
    }
    return false;
}

/* The last step of every listing: abs (the files the sources rules select,
   absolute; emptied) minus the excludes, as root-relative paths appended to
   rels, with the warnings about excludes and overrides that match nothing. */
static void select_units(const project_config *P, const srcscan_options *o, strvec *abs, strvec *rels)
{
    size_t first = rels->n;
    size_t *exclude_hits = xcalloc(P->exclude.n + 1, sizeof *exclude_hits);
    for (size_t i = 0; i < abs->n; i++) {
        char *r = path_relative(P->root, abs->v[i]);
        char *spelled = r[0] == '/' ? dotdot_relative(P->root, abs->v[i]) : NULL;
        bool excluded = false;
        for (size_t k = 0; k < P->exclude.n && !excluded; k++) {
            const char *x = P->exclude.v[k];
            excluded = glob_match(x, r) || (spelled && glob_match(x, spelled));
            if (excluded)
                exclude_hits[k]++;
        }
        free(spelled);
        if (excluded)
            free(r);
        else
            strvec_push_owned(rels, r);
    }
    strvec_free(abs);
    strvec_sort_unique(rels, first);
    for (size_t k = 0; k < P->exclude.n; k++)
        if (!exclude_hits[k])
            add_diag(o, DIAG_WARNING, P, pos_of(P->exclude_pos, k), "%s '%s' matches no source file",
                     "compile.exclude:", P->exclude.v[k]);
    free(exclude_hits);
    for (size_t k = 0; k < P->override_count; k++) {
        bool hit = false;
        for (size_t i = first; i < rels->n && !hit; i++)
            hit = glob_match(P->overrides[k].match, rels->v[i]);
        if (!hit)
            add_diag(o, DIAG_WARNING, P, P->overrides[k].pos, "%s '%s' matches no source of the project",
                     "compile.overrides: match", P->overrides[k].match);
    }
}

/* The walked files a glob selected go to found too (when asked for): what
   srcscan_list_from starts from next time. */
static void keep_found(const srcscan_options *o, const char *path)
{
    if (o && o->found)
        strvec_push(o->found, path);
}

srcscan_result srcscan_list_checked(const project_config *P, const srcscan_options *o, strvec *rels)
{
    atomic_int *cancel = o ? o->cancel : NULL;
    srcscan_result result = SRCSCAN_OK;
    strvec abs = {0};
    if (P->sources.n == 0) {
        if (walk(P->source_dir, P->build_dir, cancel, &abs) == WALK_CANCELLED)
            result = SRCSCAN_CANCELLED;
        for (size_t i = 0; i < abs.n && result == SRCSCAN_OK; i++)
            keep_found(o, abs.v[i]);
    } else {
        strvec all = {0};
        bool walked = false;
        for (size_t i = 0; i < P->sources.n && result == SRCSCAN_OK; i++) {
            const char *s = P->sources.v[i];
            if (!is_glob(s)) {
                char *a = literal_source(P, o, i);
                if (a)
                    strvec_push_owned(&abs, a);
                else
                    result = SRCSCAN_INVALID;
                continue;
            }
            bool outside = glob_outside_root(P, s);
            strvec own = {0};
            const strvec *pool = &all;
            if (outside) {
                /* Beside the root: walk only what the glob can reach. */
                char *base = glob_base(P->root, s);
                if (walk(base, P->build_dir, cancel, &own) == WALK_CANCELLED)
                    result = SRCSCAN_CANCELLED;
                free(base);
                pool = &own;
            } else if (!walked) {
                if (walk(P->root, P->build_dir, cancel, &all) == WALK_CANCELLED)
                    result = SRCSCAN_CANCELLED;
                walked = true;
            }
            size_t matched = 0;
            for (size_t k = 0; k < pool->n && result == SRCSCAN_OK; k++) {
                char *r = match_spelling(P->root, pool->v[k], s[0] == '/');
                if (glob_match(s, r)) {
                    strvec_push(&abs, pool->v[k]);
                    keep_found(o, pool->v[k]);
                    matched++;
                }
                free(r);
            }
            strvec_free(&own);
            if (!matched && result == SRCSCAN_OK)
                add_diag(o, DIAG_WARNING, P, pos_of(P->source_pos, i), "%s '%s' matches no source file",
                         "compile.sources:", s);
        }
        strvec_free(&all);
    }
    if (result != SRCSCAN_OK) {
        strvec_free(&abs);
        return result;
    }
    select_units(P, o, &abs, rels);
    return SRCSCAN_OK;
}

bool srcscan_index_usable(const project_config *P)
{
    if (P->sources.n == 0) {
        char *under = path_relative(P->root, P->source_dir);
        bool inside = under[0] != '/';
        free(under);
        return inside;
    }
    for (size_t i = 0; i < P->sources.n; i++)
        if (is_glob(P->sources.v[i]) && glob_outside_root(P, P->sources.v[i]))
            return false;
    return true;
}

/* Whether rel (relative to a walk's root) has a segment the walker passes over. */
static bool has_hidden_segment(const char *rel)
{
    for (const char *p = rel; *p; p++)
        if (*p == '.' && (p == rel || p[-1] == '/'))
            return true;
    return false;
}

/* Whether path lies strictly below dir (both absolute and normalised). */
static bool strictly_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || (n > 0 && dir[n - 1] == '/' && path[n]));
}

bool srcscan_is_found(const project_config *P, const char *path)
{
    if (srcscan_language(path) == SRC_NONE || (P->build_dir && (strictly_under(path, P->build_dir) ||
                                                                 strcmp(path, P->build_dir) == 0)))
        return false;
    const char *walk_root = P->sources.n ? P->root : P->source_dir;
    if (!strictly_under(path, walk_root))
        return false;
    char *rel = path_relative(walk_root, path);
    bool hidden = has_hidden_segment(rel);
    free(rel);
    if (hidden)
        return false;
    if (P->sources.n == 0)
        return true;
    for (size_t i = 0; i < P->sources.n; i++) {
        const char *s = P->sources.v[i];
        if (!is_glob(s))
            continue;
        char *r = match_spelling(P->root, path, s[0] == '/');
        bool hit = glob_match(s, r);
        free(r);
        if (hit)
            return true;
    }
    return false;
}

srcscan_result srcscan_list_from(const project_config *P, const srcscan_options *o, const strvec *found,
                                 strvec *rels)
{
    strvec abs = {0};
    for (size_t i = 0; i < P->sources.n; i++) {
        const char *s = P->sources.v[i];
        if (!is_glob(s)) {
            char *a = literal_source(P, o, i);
            if (!a) {
                strvec_free(&abs);
                return SRCSCAN_INVALID;
            }
            strvec_push_owned(&abs, a);
        } else if (!glob_matches_any(P, s, found)) {
            add_diag(o, DIAG_WARNING, P, pos_of(P->source_pos, i), "%s '%s' matches no source file",
                     "compile.sources:", s);
        }
    }
    strvec_extend(&abs, found);
    select_units(P, o, &abs, rels);
    return SRCSCAN_OK;
}

void srcscan_list(const project_config *P, strvec *rels)
{
    srcscan_list_checked(P, NULL, rels);
}
