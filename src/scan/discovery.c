/* discovery.c - scans a project folder for sources, headers, include folders, ELF binaries and the include graph. */
/*
 * Decisions a caller may rely on (see also discovery.h):
 * - skip_dirs == NULL means the default list { "build" }; an empty list (just
 *   the NULL terminator) skips nothing but hidden entries (.git). An entry
 *   matches a folder's name or its path relative to root ("third_party/out").
 * - The tree is read by walk_tree (walk.h), as source listing reads it:
 *   hidden files and folders are passed over; links to files and to folders
 *   are followed, each folder entered once by (device, inode), so link
 *   cycles end and a folder skipped by name is not entered through a link.
 * - Sources and headers are told by the extension table of srcscan.h.
 * - Binary kinds: ELF ET_REL is "object", ET_EXEC "executable", ET_DYN is
 *   "shared" unless it has a program interpreter and no ".so" in its name (a
 *   position-independent executable), then "executable". discovery.h also
 *   names "relocatable": we never emit it, ET_REL files are "object". ELF
 *   files of other types (core dumps) are "other". "!<arch>" and "!<thin>"
 *   archives are "static". Each ELF entry also carries machine and bits.
 * - Include folders: every folder named "include", plus every folder F such
 *   that some file includes F/NAME by NAME and the include does not already
 *   resolve next to the including file. When NAME exists under several
 *   folders and none is already an include folder, the folder closest to the
 *   including file (longest common path prefix) wins, ties by name.
 * - The include graph has one key per source and header; its values are the
 *   project files each one includes, sorted. "..." includes are looked up next
 *   to the including file first, then in the include folders in sorted order;
 *   <...> includes only in the include folders. Includes that name no project
 *   file (system and third-party headers, generated files) are not edges; they
 *   are listed once each, as written ("<stdio.h>", "\"config.h\""), in
 *   external_includes.
 * - Folders and files that cannot be read are skipped and named in warnings[].
 * - Beyond discovery.h: root is the absolute, symlink-free path; binaries carry
 *   size (bytes); suggested.library_name is "lib<name>.so"; suggested.name is
 *   the root's base name with characters other than [A-Za-z0-9_-] made '_';
 *   suggested.source is the top-level folder holding the most sources ("."
 *   for files at root; ties prefer "src"), so tests/ or examples/ with fewer
 *   sources do not pull the whole tree into the library.
 * - Binaries are read by elfsyms_classify (elfsyms.h, libelf), the project's
 *   one ELF reader.
 * - Cost: one readdir pass, one 8-byte read per unknown file (ELF/archive
 *   magic; libelf only for ELF files), one whole read per source/header;
 *   ~0.1 s for 10,000 files.
 */
#include "discovery.h"

#include "elfsyms.h"
#include "srcscan.h"
#include "suggest.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many entries the scan handles between two looks at the cancel flag. */
#define CANCEL_POLL_EVERY 100

typedef struct binary_entry {
    char *path;          /* owned, relative to root */
    const char *kind;    /* static string */
    const char *machine; /* static string or NULL for archives */
    int bits;            /* 32, 64, or 0 for archives */
    long long size;
} binary_entry;

typedef struct scan_state {
    const char *root;              /* borrowed */
    const char *const *skip_dirs;  /* borrowed, NULL-terminated */
    atomic_int *cancel;            /* borrowed, may be NULL */
    unsigned polls;
    strvec sources, headers, include_named_dirs, warnings;
    strvec templates;              /* header templates of a configure step ("config.h.in") */
    binary_entry *bins;            /* owned array */
    size_t nbins, capbins;
} scan_state;

static const char *const default_skip_dirs[] = {"build", NULL};



/* True when the caller asked to stop; checked on the first call and then
 * every CANCEL_POLL_EVERY calls so that the atomic load stays out of the
 * per-file cost. */
static bool poll_cancel(scan_state *st)
{
    if (!st->cancel)
        return false;
    if (st->polls++ % CANCEL_POLL_EVERY != 0)
        return false;
    return atomic_load(st->cancel) != 0;
}

/* Hidden folders (.git, .cache, ...) the walker passes over by itself. */
static bool is_skipped_dir(const scan_state *st, const char *name, const char *rel)
{
    for (size_t i = 0; st->skip_dirs[i]; i++)
        if (strcmp(name, st->skip_dirs[i]) == 0 || strcmp(rel, st->skip_dirs[i]) == 0)
            return true;
    return false;
}


static void sort_strvec(strvec *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof(char *), strptr_cmp);
}


/* dirs-style sets: a strvec kept sorted so membership is a binary search;
 * insertion shifts, which is cheap because include folders are few. */
static bool sorted_contains(const strvec *sv, const char *s)
{
    return sv->n > 0 && bsearch(&s, sv->v, sv->n, sizeof(char *), strptr_cmp) != NULL;
}

static void sorted_insert(strvec *sv, const char *s)
{
    size_t lo = 0, hi = sv->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(sv->v[mid], s);
        if (c == 0)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    strvec_push(sv, s); /* grows the array; the element is then moved into place */
    char *item = sv->v[sv->n - 1];
    memmove(sv->v + lo + 1, sv->v + lo, (sv->n - 1 - lo) * sizeof(char *));
    sv->v[lo] = item;
}

/* ---- binaries ---------------------------------------------------------- */

/* The binary entry for a regular file that is not a source or header, or
 * false for anything that is not an ELF file or archive. */
static bool classify_binary(const char *full, const char *name, binary_entry *out)
{
    elfsyms_info info;
    memset(out, 0, sizeof *out);
    switch (elfsyms_classify(full, &info)) {
    case ELFSYMS_NOT_BINARY: return false;
    case ELFSYMS_ARCHIVE: out->kind = "static"; break;
    case ELFSYMS_OBJECT: out->kind = "object"; break;
    case ELFSYMS_EXEC: out->kind = "executable"; break;
    case ELFSYMS_DYN: out->kind = (!strstr(name, ".so") && info.has_interp) ? "executable" : "shared"; break;
    case ELFSYMS_OTHER: out->kind = "other"; break;
    }
    out->machine = info.machine;
    out->bits = info.bits;
    out->size = info.size;
    return true;
}

static void add_binary(scan_state *st, binary_entry *b, const char *rel)
{
    if (st->nbins == st->capbins) {
        st->capbins = st->capbins ? st->capbins * 2 : 16;
        st->bins = xrealloc(st->bins, st->capbins * sizeof *st->bins);
    }
    b->path = xstrdup(rel);
    st->bins[st->nbins++] = *b;
}

static int cmp_binary(const void *a, const void *b)
{
    return strcmp(((const binary_entry *)a)->path, ((const binary_entry *)b)->path);
}

/* ---- walking ----------------------------------------------------------- */

static void visit_file(scan_state *st, const char *full, const char *rel, const char *name)
{
    if (srcscan_language(name) != SRC_NONE) {
        strvec_push(&st->sources, rel);
        return;
    }
    if (srcscan_is_header(name)) {
        strvec_push(&st->headers, rel);
        return;
    }
    char *made = suggest_template_header(name);
    if (made) {
        strvec_push(&st->templates, rel);
        free(made);
        return;
    }
    binary_entry b;
    if (classify_binary(full, name, &b))
        add_binary(st, &b, rel);
}

static walk_action visit_entry(const walk_entry *e, void *ctx)
{
    scan_state *st = ctx;
    switch (e->kind) {
    case WALK_UNREADABLE:
        strvec_push_owned(&st->warnings,
                          xasprintf("cannot read folder %s: %s", e->rel[0] ? e->rel : ".", strerror(e->error)));
        break;
    case WALK_DIR:
        if (is_skipped_dir(st, e->name, e->rel))
            return WALK_PRUNE;
        if (strcmp(e->name, "include") == 0)
            strvec_push(&st->include_named_dirs, e->rel);
        break;
    case WALK_FILE:
        visit_file(st, e->path, e->rel, e->name);
        break;
    }
    return WALK_CONTINUE;
}

/* Returns -1 when cancelled. */
static int walk(scan_state *st)
{
    walk_options opt = {.cancel = st->cancel};
    return walk_tree(st->root, &opt, visit_entry, st) == WALK_CANCELLED ? -1 : 0;
}

/* ---- include directives ------------------------------------------------ */

static bool is_hspace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Finds "*" "/" in [p, end); returns the position after it or NULL. */
static const char *find_comment_end(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '*' && p[1] == '/')
            return p + 2;
    return NULL;
}

/* Scans the rest of a line for an unterminated block comment, stepping over
 * string and character literals and a line comment. */
static bool line_opens_comment(const char *p, const char *end)
{
    while (p < end) {
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (p < end && *p != q) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                p++;
            }
            if (p < end)
                p++;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
            return false;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            const char *after = find_comment_end(p + 2, end);
            if (!after)
                return true;
            p = after;
        } else {
            p++;
        }
    }
    return false;
}

/* Appends every #include / #include_next target of buf to out, each prefixed
 * by its opening delimiter ('"' or '<') so the search rule stays known.
 * Directives inside block comments are ignored; computed includes
 * (#include MACRO) cannot be resolved without preprocessing and are skipped. */
static void parse_includes(const char *buf, size_t len, strvec *out)
{
    const char *p = buf, *end = buf + len;
    bool in_comment = false;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *q = p;
        if (in_comment) {
            q = find_comment_end(q, eol);
            if (!q) {
                p = eol + 1;
                continue;
            }
            in_comment = false;
        }
        for (;;) {
            while (q < eol && is_hspace(*q))
                q++;
            if (q + 1 < eol && q[0] == '/' && q[1] == '*') {
                const char *after = find_comment_end(q + 2, eol);
                if (!after) {
                    in_comment = true;
                    break;
                }
                q = after;
                continue;
            }
            break;
        }
        if (in_comment) {
            p = eol + 1;
            continue;
        }
        if (q < eol && *q == '#') {
            q++;
            while (q < eol && is_hspace(*q))
                q++;
            size_t word = 0;
            if ((size_t)(eol - q) >= 12 && memcmp(q, "include_next", 12) == 0)
                word = 12;
            else if ((size_t)(eol - q) >= 7 && memcmp(q, "include", 7) == 0 &&
                     (q + 7 == eol || is_hspace(q[7]) || q[7] == '"' || q[7] == '<'))
                word = 7;
            if (word) {
                q += word;
                while (q < eol && is_hspace(*q))
                    q++;
                if (q < eol && (*q == '"' || *q == '<')) {
                    char close = *q == '"' ? '"' : '>';
                    const char *name = q + 1;
                    const char *stop = memchr(name, close, (size_t)(eol - name));
                    if (stop && stop > name) {
                        char *item = xmalloc((size_t)(stop - name) + 2);
                        item[0] = *q;
                        memcpy(item + 1, name, (size_t)(stop - name));
                        item[stop - name + 1] = '\0';
                        strvec_push_owned(out, item);
                        q = stop + 1;
                    }
                }
            }
        }
        in_comment = line_opens_comment(q, eol);
        p = eol + 1;
    }
}

/* ---- include folders and resolution ------------------------------------ */

typedef struct file_info {
    const char *path; /* borrowed from the sources/headers vectors */
    char *dir;        /* owned; "" for files at root */
    strvec includes;  /* owned; delimiter-prefixed names */
    suggest_text_role text_role; /* sources only: main(), a module unit, or plain */
    suggest_macros macros; /* owned: the macros its directives demand and define */
} file_info;

/* Index of every project file by base name, for finding which files a name
 * like "mathlib/vector.hpp" could refer to without a scan per include. */
typedef struct by_base {
    const char *base; /* points into path */
    const char *path;
} by_base;

static int cmp_by_base(const void *a, const void *b)
{
    const by_base *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    return c ? c : strcmp(x->path, y->path);
}

static bool known_file(char *const *sorted, size_t n, const char *path)
{
    return bsearch(&path, sorted, n, sizeof(char *), strptr_cmp) != NULL;
}

/* Joins a relative folder ("" = root) and an include name, normalised; NULL
 * when the result would leave the project. Caller frees. */
static char *join_inside(const char *dir, const char *name)
{
    if (name[0] == '/')
        return NULL;
    char *joined = dir[0] ? path_join(dir, name) : xstrdup(name);
    char *norm = path_normalize(joined);
    free(joined);
    if (strcmp(norm, "..") == 0 || strncmp(norm, "../", 3) == 0 || strcmp(norm, ".") == 0) {
        free(norm);
        return NULL;
    }
    return norm;
}

/* The folder (relative, "." for root) that holds `path` when it is reached as
 * `name`, or NULL when path does not end in "/name". Caller frees. */
static char *folder_for_suffix(const char *path, const char *name)
{
    size_t lp = strlen(path), ln = strlen(name);
    if (lp == ln && strcmp(path, name) == 0)
        return xstrdup(".");
    if (lp > ln && path[lp - ln - 1] == '/' && strcmp(path + lp - ln, name) == 0)
        return xstrndup(path, lp - ln - 1);
    return NULL;
}

static size_t common_prefix_segments(const char *a, const char *b)
{
    size_t segs = 0, i = 0;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            segs++;
    if (i > 0 && (a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
        segs++;
    return segs;
}

/* Folders through which `name` reaches a project file, in path order. */
static void candidate_folders(const by_base *index, size_t n, const char *name, strvec *out)
{
    by_base key = {path_basename(name), ""};
    /* lower bound on base name: "" sorts before every path */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_by_base(&index[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && strcmp(index[i].base, key.base) == 0; i++) {
        char *f = folder_for_suffix(index[i].path, name);
        if (f)
            strvec_push_owned(out, f);
    }
}

static bool resolves_locally(const file_info *fi, const char *name, char *const *known, size_t nknown)
{
    char *p = join_inside(fi->dir, name);
    bool ok = p && known_file(known, nknown, p);
    free(p);
    return ok;
}

/* Fills dirs with the include folders (sorted, unique). Two passes so that
 * an ambiguous name is settled only after every unambiguous one has had its
 * say: a folder already chosen for another reason is the natural answer. */
static void find_include_dirs(const scan_state *st, file_info *files, size_t nfiles, char *const *known,
                              size_t nknown, const by_base *index, strvec *dirs)
{
    for (size_t i = 0; i < st->include_named_dirs.n; i++)
        sorted_insert(dirs, st->include_named_dirs.v[i]);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nfiles; i++) {
            for (size_t k = 0; k < files[i].includes.n; k++) {
                const char *item = files[i].includes.v[k];
                const char *name = item + 1;
                if (name[0] == '/' || strncmp(name, "../", 3) == 0 || strncmp(name, "./", 2) == 0)
                    continue; /* such names only make sense relative to the includer */
                if (item[0] == '"' && resolves_locally(&files[i], name, known, nknown))
                    continue;
                strvec cands = {0};
                candidate_folders(index, nknown, name, &cands);
                bool settled = cands.n == 0;
                for (size_t c = 0; c < cands.n && !settled; c++)
                    settled = sorted_contains(dirs, cands.v[c]);
                if (!settled && cands.n == 1) {
                    sorted_insert(dirs, cands.v[0]);
                } else if (!settled && pass == 1) {
                    size_t best = 0, best_score = 0;
                    for (size_t c = 0; c < cands.n; c++) {
                        size_t s = common_prefix_segments(cands.v[c], files[i].dir);
                        if (s > best_score) {
                            best = c;
                            best_score = s;
                        }
                    }
                    sorted_insert(dirs, cands.v[best]);
                }
                strvec_free(&cands);
            }
        }
    }
}

/* True when a name is a plain relative path (no ".", ".." or empty
 * segments), so that the files it can reach through a folder are exactly
 * those whose path ends in "/name". */
static bool is_plain_name(const char *name)
{
    if (name[0] == '/' || name[0] == '\0')
        return false;
    for (const char *seg = name; seg;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg = slash ? slash + 1 : NULL;
    }
    return true;
}

/* Resolves one include to a project file (caller frees) or NULL. The include
 * folders are searched in sorted order, so the first folder (by name) that
 * holds the file wins. Plain names go through the base-name index: trying
 * every folder for every <stdio.h> is what makes a naive scan slow on big
 * trees. */
static char *resolve_include(const file_info *fi, const char *item, const strvec *dirs, char *const *known,
                             size_t nknown, const by_base *index)
{
    const char *name = item + 1;
    if (item[0] == '"') {
        char *p = join_inside(fi->dir, name);
        if (p && known_file(known, nknown, p))
            return p;
        free(p);
    }
    if (is_plain_name(name)) {
        strvec cands = {0};
        candidate_folders(index, nknown, name, &cands);
        const char *best = NULL;
        for (size_t c = 0; c < cands.n; c++)
            if (sorted_contains(dirs, cands.v[c]) && (!best || strcmp(cands.v[c], best) < 0))
                best = cands.v[c];
        char *res = best ? (strcmp(best, ".") == 0 ? xstrdup(name) : xasprintf("%s/%s", best, name)) : NULL;
        strvec_free(&cands);
        return res;
    }
    for (size_t d = 0; d < dirs->n; d++) {
        char *p = join_inside(strcmp(dirs->v[d], ".") == 0 ? "" : dirs->v[d], name);
        if (p && known_file(known, nknown, p))
            return p;
        free(p);
    }
    return NULL;
}

/* ---- suggestion -------------------------------------------------------- */

static char *sanitize_name(const char *name)
{
    char *s = xstrdup(name[0] ? name : "project");
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            *p = '_';
    return s;
}

/* ---- result ------------------------------------------------------------ */

static cJSON *string_array(const strvec *sv)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

static void free_state(scan_state *st)
{
    strvec_free(&st->sources);
    strvec_free(&st->headers);
    strvec_free(&st->include_named_dirs);
    strvec_free(&st->templates);
    strvec_free(&st->warnings);
    for (size_t i = 0; i < st->nbins; i++)
        free(st->bins[i].path);
    free(st->bins);
}

/* The "suggested" object (caller owns it): name, source folder, include
 * folders and library name, and the [compile] exclude globs with their
 * reasons (suggest.h) so that `jmake init` writes a file that builds a
 * library: no main(), no unity file beside its parts, no tests. */
/* The headers the project includes that its configure step makes: an
 * include that names no project file ("snappy-stubs-public.h") while a
 * template of it exists ("snappy-stubs-public.h.in"). [{header, template}]. */
static cJSON *generated_headers(const scan_state *st, const strvec *external)
{
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; i < st->templates.n; i++) {
        char *header = suggest_template_header(st->templates.v[i]);
        for (size_t k = 0; header && k < external->n; k++) {
            /* As written, with its delimiters: "\"name\"" or "<dir/name>". */
            const char *item = external->v[k];
            size_t len = strlen(item);
            if (len < 3)
                continue;
            char *name = xstrndup(item + 1, len - 2);
            bool same = strcmp(path_basename(name), header) == 0;
            free(name);
            if (same) {
                cJSON *g = cJSON_CreateObject();
                cJSON_AddStringToObject(g, "header", header);
                cJSON_AddStringToObject(g, "template", st->templates.v[i]);
                cJSON_AddItemToArray(out, g);
                break;
            }
        }
        free(header);
    }
    return out;
}

static cJSON *suggestion(const scan_state *st, const file_info *files, const strvec *edges_of, size_t n,
                         const strvec *dirs, const strvec *external)
{
    char *name = sanitize_name(path_basename(st->root));
    char *source = suggest_source_folder(&st->sources, st->root);
    suggest_source_facts *facts = xcalloc(n + 1, sizeof *facts);
    size_t nfacts = 0;
    for (size_t i = 0; i < n; i++) {
        if (srcscan_language(files[i].path) == SRC_NONE)
            continue;
        suggest_source_facts *f = &facts[nfacts++];
        f->path = files[i].path;
        f->text_role = files[i].text_role;
        f->includes = &edges_of[i];
        f->required = &files[i].macros.required;
    }
    strvec globs = {0}, why = {0};
    suggest_excludes(facts, nfacts, source, &globs, &why);
    strvec kept_dirs = {0};
    for (size_t i = 0; i < dirs->n; i++)
        if (!suggest_is_system_shim(dirs->v[i], &st->headers) &&
            suggest_keeps_include_dir(dirs->v[i], source, facts, nfacts, &globs))
            strvec_push(&kept_dirs, dirs->v[i]);

    cJSON *sugg = cJSON_CreateObject();
    cJSON_AddStringToObject(sugg, "name", name);
    cJSON_AddStringToObject(sugg, "source", source);
    cJSON_AddItemToObject(sugg, "include", string_array(&kept_dirs));
    char *lib = xasprintf("lib%s.so", name);
    cJSON_AddStringToObject(sugg, "library_name", lib);
    cJSON_AddItemToObject(sugg, "generated_headers", generated_headers(st, external));
    strvec defines = {0}, defined_anywhere = {0};
    for (size_t i = 0; i < n; i++)
        strvec_extend(&defined_anywhere, &files[i].macros.defined);
    strvec_sort_unique(&defined_anywhere, 0);
    suggest_required_defines(facts, nfacts, source, &globs, &defined_anywhere, &defines);
    strvec_free(&defined_anywhere);
    cJSON_AddItemToObject(sugg, "defines", string_array(&defines));
    strvec_free(&defines);
    cJSON *exclude = cJSON_AddArrayToObject(sugg, "exclude");
    for (size_t i = 0; i < globs.n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "glob", globs.v[i]);
        cJSON_AddStringToObject(e, "why", why.v[i]);
        cJSON_AddItemToArray(exclude, e);
    }
    free(lib);
    free(name);
    free(source);
    free(facts);
    strvec_free(&globs);
    strvec_free(&why);
    strvec_free(&kept_dirs);
    return sugg;
}

int discovery_scan(const char *root, const char *const *skip_dirs, atomic_int *cancel, cJSON **result, char *err,
                   size_t errsize)
{
    *result = NULL;
    char *abs_root = realpath(root, NULL);
    if (!abs_root) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "cannot open project folder %s: %s", root, strerror(errno));
        err_set(err, errsize, "%s", msg);
        return -1;
    }
    if (!dir_exists(abs_root)) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "%s is not a folder", root);
        err_set(err, errsize, "%s", msg);
        free(abs_root);
        return -1;
    }
    scan_state st = {.root = abs_root, .skip_dirs = skip_dirs ? skip_dirs : default_skip_dirs, .cancel = cancel};
    if (walk(&st) != 0) {
        free_state(&st);
        free(abs_root);
        err_set(err, errsize, "%s", "cancelled");
        return -1;
    }
    sort_strvec(&st.sources);
    sort_strvec(&st.headers);
    if (st.nbins > 1)
        qsort(st.bins, st.nbins, sizeof *st.bins, cmp_binary);

    /* Every source and header, sorted, for lookups; strings borrowed. */
    size_t nknown = st.sources.n + st.headers.n;
    char **known = xcalloc(nknown + 1, sizeof(char *));
    /* An empty strvec has no array at all; memcpy must not see its NULL. */
    if (st.sources.n)
        memcpy(known, st.sources.v, st.sources.n * sizeof(char *));
    if (st.headers.n)
        memcpy(known + st.sources.n, st.headers.v, st.headers.n * sizeof(char *));
    if (nknown > 1)
        qsort(known, nknown, sizeof(char *), strptr_cmp);

    file_info *files = xcalloc(nknown + 1, sizeof *files);
    int rc = 0;
    for (size_t i = 0; i < nknown; i++) {
        if (poll_cancel(&st)) {
            rc = -1;
            break;
        }
        files[i].path = known[i];
        const char *slash = strrchr(known[i], '/');
        files[i].dir = slash ? xstrndup(known[i], (size_t)(slash - known[i])) : xstrdup("");
        char *full = path_join(abs_root, known[i]);
        size_t len = 0;
        char *buf = read_file(full, &len);
        if (buf) {
            parse_includes(buf, len, &files[i].includes);
            suggest_text_role role = suggest_classify_text(buf, len, &files[i].macros);
            if (srcscan_language(known[i]) != SRC_NONE)
                files[i].text_role = role;
        }
        else
            strvec_push_owned(&st.warnings, xasprintf("cannot read %s: %s", known[i], strerror(errno)));
        free(buf);
        free(full);
    }

    cJSON *out = NULL;
    strvec dirs = {0}, external = {0};
    by_base *index = NULL;
    if (rc == 0) {
        index = xcalloc(nknown + 1, sizeof *index);
        for (size_t i = 0; i < nknown; i++)
            index[i] = (by_base){path_basename(known[i]), known[i]};
        if (nknown > 1)
            qsort(index, nknown, sizeof *index, cmp_by_base);
        find_include_dirs(&st, files, nknown, known, nknown, index, &dirs);

        cJSON *graph = cJSON_CreateObject();
        strvec *edges_of = xcalloc(nknown + 1, sizeof *edges_of);
        for (size_t i = 0; i < nknown; i++) {
            if (poll_cancel(&st)) {
                rc = -1;
                break;
            }
            strvec edges = {0};
            for (size_t k = 0; k < files[i].includes.n; k++) {
                char *target = resolve_include(&files[i], files[i].includes.v[k], &dirs, known, nknown, index);
                if (target) {
                    strvec_push_owned(&edges, target);
                } else {
                    const char *item = files[i].includes.v[k];
                    strvec_push_owned(&external, xasprintf("%s%c", item, item[0] == '<' ? '>' : '"'));
                }
            }
            strvec_sort_unique(&edges, 0);
            cJSON_AddItemToObject(graph, files[i].path, string_array(&edges));
            edges_of[i] = edges;
        }
        if (rc == 0) {
            strvec_sort_unique(&external, 0);
            out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "root", abs_root);
            cJSON_AddItemToObject(out, "sources", string_array(&st.sources));
            cJSON_AddItemToObject(out, "headers", string_array(&st.headers));
            cJSON_AddItemToObject(out, "include_dirs", string_array(&dirs));
            cJSON *bins = cJSON_CreateArray();
            for (size_t i = 0; i < st.nbins; i++) {
                cJSON *b = cJSON_CreateObject();
                cJSON_AddStringToObject(b, "path", st.bins[i].path);
                cJSON_AddStringToObject(b, "kind", st.bins[i].kind);
                if (st.bins[i].machine) {
                    cJSON_AddStringToObject(b, "machine", st.bins[i].machine);
                    cJSON_AddNumberToObject(b, "bits", st.bins[i].bits);
                }
                cJSON_AddNumberToObject(b, "size", (double)st.bins[i].size);
                cJSON_AddItemToArray(bins, b);
            }
            cJSON_AddItemToObject(out, "binaries", bins);
            cJSON_AddItemToObject(out, "include_graph", graph);
            graph = NULL;
            cJSON_AddItemToObject(out, "external_includes", string_array(&external));
            cJSON *counts = cJSON_CreateObject();
            cJSON_AddNumberToObject(counts, "sources", (double)st.sources.n);
            cJSON_AddNumberToObject(counts, "headers", (double)st.headers.n);
            cJSON_AddNumberToObject(counts, "binaries", (double)st.nbins);
            cJSON_AddItemToObject(out, "counts", counts);
            cJSON_AddItemToObject(out, "suggested", suggestion(&st, files, edges_of, nknown, &dirs, &external));
            cJSON_AddItemToObject(out, "warnings", string_array(&st.warnings));
        }
        cJSON_Delete(graph);
        for (size_t i = 0; i < nknown; i++)
            strvec_free(&edges_of[i]);
        free(edges_of);
    }

    for (size_t i = 0; i < nknown; i++) {
        free(files[i].dir);
        strvec_free(&files[i].includes);
        suggest_macros_free(&files[i].macros);
    }
    free(files);
    free(index);
    free(known);
    strvec_free(&dirs);
    strvec_free(&external);
    free_state(&st);
    free(abs_root);
    if (rc != 0) {
        err_set(err, errsize, "%s", "cancelled");
        return -1;
    }
    *result = out;
    return 0;
}
