/* errsuggest.c - learned and built-in suggestions: header folders, dpkg -S, libraries exporting a symbol, declaring headers, defines, standards, -fPIC. */
#include "errsuggest.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "elfsyms.h"
#include "errlearn.h"
#include "subproc.h"
#include "walk.h"

#define DEFAULT_CACHE_AGE_MS (10 * 60 * 1000)
/* A walk of a tree stops after this many entries: a project root of a
   million files is no place to search for one header. */
#define WALK_LIMIT 200000
#define DPKG_TIMEOUT_MS 2000

static const char *const default_include_dirs[] = {"/usr/local/include", "/usr/include", "/opt", NULL};
static const char *const default_lib_dirs[] = {"/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib", NULL};
/* Folders the compiler and the linker search anyway: never worth suggesting. */
static const char *const implicit_include_dirs[] = {"/usr/local/include", "/usr/include", "/usr/include/x86_64-linux-gnu", NULL};
static const char *const implicit_lib_dirs[] = {"/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib",
                                                "/lib/x86_64-linux-gnu", "/lib", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool out_of_time(const err_search *s)
{
    if (s->cancel && atomic_load(s->cancel))
        return true;
    return s->deadline_ms && clock_monotonic_ms() >= s->deadline_ms;
}

static int64_t cache_age(const err_search *s)
{
    return s->cache_max_age_ms ? s->cache_max_age_ms : DEFAULT_CACHE_AGE_MS;
}

/* ---- the cache of machine-wide searches (JSON arrays of strings) ---- */

static bool cache_get(err_search *s, const char *key, strvec *out)
{
    if (!s->db)
        return false;
    char *text = NULL;
    if (s->db_lock)
        pthread_mutex_lock(s->db_lock);
    int found = errdb_cache_get(s->db, key, clock_wall_ms(), cache_age(s), &text);
    if (s->db_lock)
        pthread_mutex_unlock(s->db_lock);
    if (found != 1)
        return false;
    cJSON *arr = cJSON_Parse(text);
    free(text);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
    cJSON_Delete(arr);
    return true;
}

static void cache_put(err_search *s, const char *key, const strvec *values, size_t from)
{
    if (!s->db)
        return;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = from; i < values->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(values->v[i]));
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (s->db_lock)
        pthread_mutex_lock(s->db_lock);
    errdb_cache_put(s->db, key, text, clock_wall_ms());
    if (s->db_lock)
        pthread_mutex_unlock(s->db_lock);
    free(text);
}

/* ---- headers ---- */

typedef struct header_walk {
    err_search *s;
    const char *header;
    size_t hlen;
    strvec *out;
    size_t seen;
} header_walk;

static walk_action on_header_entry(const walk_entry *e, void *ctx)
{
    header_walk *w = ctx;
    if (++w->seen > WALK_LIMIT || ((w->seen & 255) == 0 && out_of_time(w->s)))
        return WALK_STOP;
    if (e->kind == WALK_DIR)
        return strcmp(e->name, "build") == 0 || strcmp(e->name, "node_modules") == 0 ? WALK_PRUNE : WALK_CONTINUE;
    if (e->kind != WALK_FILE)
        return WALK_CONTINUE;
    size_t pl = strlen(e->path);
    if (pl <= w->hlen || strcmp(e->path + pl - w->hlen, w->header) != 0 || e->path[pl - w->hlen - 1] != '/')
        return WALK_CONTINUE;
    char *dir = xstrndup(e->path, pl - w->hlen - 1);
    if (!strvec_contains(w->out, dir))
        strvec_push_owned(w->out, dir);
    else
        free(dir);
    return WALK_CONTINUE;
}

void err_find_header_dirs(err_search *s, const char *root, const char *header, strvec *out)
{
    if (!dir_exists(root) || !header || !*header || header[0] == '/')
        return;
    header_walk w = {s, header, strlen(header), out, 0};
    walk_options o = {.cancel = s->cancel};
    walk_tree(root, &o, on_header_entry, &w);
}

/* Folders of the machine holding header, from the cache or a bounded search. */
static void system_header_dirs(err_search *s, const char *header, strvec *out)
{
    char *key = xasprintf("header:%s", header);
    if (!cache_get(s, key, out)) {
        size_t from = out->n;
        const char *const *dirs = s->system_include_dirs ? s->system_include_dirs : default_include_dirs;
        for (size_t i = 0; dirs[i] && !out_of_time(s); i++)
            err_find_header_dirs(s, dirs[i], header, out);
        if (!out_of_time(s))
            cache_put(s, key, out, from);
    }
    free(key);
}

/* Output of argv within timeout_ms (killed after it), NULL when it did not run; caller frees. */
static char *run_bounded(err_search *s, char *const *argv, int timeout_ms)
{
    subproc p;
    memset(&p, 0, sizeof p);
    if (subproc_start(&p, argv, NULL, NULL) < 0)
        return NULL;
    uint64_t end = clock_monotonic_ms() + (uint64_t)timeout_ms;
    while (!p.finished) {
        if (clock_monotonic_ms() >= end || (s->cancel && atomic_load(s->cancel))) {
            subproc_kill(&p);
            subproc_release(&p);
            return NULL;
        }
        subproc_poll(&p, 1, 100);
    }
    char *out = p.output ? xstrndup(p.output, p.output_len) : xstrdup("");
    subproc_release(&p);
    return out;
}

/* The Debian package owning path ("libpng-dev"), from `dpkg -S`, or NULL; caller frees. */
static char *dpkg_owner(err_search *s, const char *path)
{
    if (s->no_dpkg)
        return NULL;
    char *key = xasprintf("dpkg:%s", path);
    strvec cached = {0};
    char *pkg = NULL;
    if (cache_get(s, key, &cached)) {
        pkg = cached.n && *cached.v[0] ? xstrdup(cached.v[0]) : NULL;
    } else {
        char *dpkg = subproc_find_program("dpkg");
        if (dpkg) {
            char *argv[] = {dpkg, "-S", (char *)path, NULL};
            char *out = run_bounded(s, argv, DPKG_TIMEOUT_MS);
            if (out) {
                /* "libpng-dev:amd64: /usr/include/png.h" */
                char *colon = strstr(out, ": ");
                if (colon && !strstr(out, "no path found")) {
                    *colon = '\0';
                    char *arch = strchr(out, ':');
                    if (arch)
                        *arch = '\0';
                    pkg = xstrdup(out);
                }
                strvec one = {0};
                strvec_push(&one, pkg ? pkg : "");
                cache_put(s, key, &one, 0);
                strvec_free(&one);
                free(out);
            }
            free(dpkg);
        }
    }
    strvec_free(&cached);
    free(key);
    return pkg;
}

/* ---- libraries ---- */

static bool lib_file_name(const char *name)
{
    if (strncmp(name, "lib", 3) != 0)
        return false;
    const char *so = strstr(name, ".so");
    if (so && (so[3] == '\0' || so[3] == '.'))
        return true;
    size_t n = strlen(name);
    return n > 2 && strcmp(name + n - 2, ".a") == 0;
}

/* "libfoo.so.1.2" -> "foo"; caller frees. */
static char *lib_short_name(const char *path)
{
    const char *b = path_basename(path) + 3;
    const char *so = strstr(b, ".so");
    size_t n = so ? (size_t)(so - b) : strlen(b) - 2;
    return xstrndup(b, n);
}

/* How a -lNAME finds it: 2 when libNAME.so (a file, link or linker script)
   is beside it, 1 when only libNAME.a is, 0 when neither (a runtime-only
   library: its development files are not installed). */
static int linkable(const char *path)
{
    char *dir = path_dirname(path), *name = lib_short_name(path);
    char *so = xasprintf("%s/lib%s.so", dir, name), *a = xasprintf("%s/lib%s.a", dir, name);
    int how = file_exists(so) ? 2 : file_exists(a) ? 1 : 0;
    free(dir);
    free(name);
    free(so);
    free(a);
    return how;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct lib_walk {
    err_search *s;
    strvec files;
    size_t seen;
    bool top_only;      /* system folders: no descent (their subfolders are other worlds) */
} lib_walk;

static walk_action on_lib_entry(const walk_entry *e, void *ctx)
{
    lib_walk *w = ctx;
    if (++w->seen > WALK_LIMIT || ((w->seen & 255) == 0 && out_of_time(w->s)))
        return WALK_STOP;
    if (e->kind == WALK_DIR)
        return w->top_only ? WALK_PRUNE : WALK_CONTINUE;
    if (e->kind == WALK_FILE && lib_file_name(e->name))
        strvec_push(&w->files, e->path);
    return WALK_CONTINUE;
}

void err_find_symbol_libs(err_search *s, const char *const *dirs, const char *symbol, strvec *out)
{
    strvec best = {0}, good = {0}, other = {0};
    for (size_t d = 0; dirs[d] && !out_of_time(s); d++) {
        lib_walk w = {.s = s, .top_only = in_list(implicit_lib_dirs, dirs[d])};
        walk_options o = {.cancel = s->cancel};
        walk_tree(dirs[d], &o, on_lib_entry, &w);
        for (size_t i = 0; i < w.files.n && !out_of_time(s); i++) {
            const char *f = w.files.v[i];
            size_t fl = strlen(f);
            bool archive = fl > 2 && strcmp(f + fl - 2, ".a") == 0;
            strvec syms = {0};
            if (elfsyms_read(f, !archive, &syms) == 0 && syms.n) {
                const char *key = symbol;
                if (bsearch(&key, syms.v, syms.n, sizeof *syms.v, cmp_str)) {
                    char *name = lib_short_name(f);
                    bool dup = false;   /* one entry per library name and folder: libm.so.6 and libm.a are one */
                    strvec *lists[] = {&best, &good, &other};
                    for (size_t li = 0; li < 3 && !dup; li++) {
                        for (size_t k = 0; k < lists[li]->n && !dup; k++) {
                            const char *g = lists[li]->v[k];
                            char *gn = lib_short_name(g), *gd = path_dirname(g), *fd = path_dirname(f);
                            dup = strcmp(gn, name) == 0 && strcmp(gd, fd) == 0;
                            free(gn);
                            free(gd);
                            free(fd);
                        }
                    }
                    int how = dup ? -1 : linkable(f);
                    if (how >= 0)
                        strvec_push(how == 2 ? &best : how == 1 ? &good : &other, f);
                    free(name);
                }
            }
            strvec_free(&syms);
        }
        strvec_free(&w.files);
    }
    for (size_t i = 0; i < best.n; i++)
        strvec_push(out, best.v[i]);
    for (size_t i = 0; i < good.n; i++)
        strvec_push(out, good.v[i]);
    for (size_t i = 0; i < other.n; i++)
        strvec_push(out, other.v[i]);
    strvec_free(&best);
    strvec_free(&good);
    strvec_free(&other);
}

/* ---- building suggestions ---- */

static cJSON *change(const char *kind, const char *value)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "kind", kind);
    cJSON_AddStringToObject(c, "value", value);
    return c;
}

typedef struct sugg_out {
    cJSON *out;
    size_t max;
    const cJSON *snapshot;
    strvec seen;        /* canonical texts already suggested */
} sugg_out;

/* Adds a suggestion (takes ownership of changes) unless full, already given, or already applied. */
static void offer(sugg_out *o, const char *source, cJSON *changes, int64_t count, const char *note)
{
    char *text = errlearn_changes_text(changes);
    if ((size_t)cJSON_GetArraySize(o->out) >= o->max || cJSON_GetArraySize(changes) == 0 ||
        strvec_contains(&o->seen, text) || errlearn_already_applied(changes, o->snapshot)) {
        free(text);
        cJSON_Delete(changes);
        return;
    }
    strvec_push_owned(&o->seen, text);
    cJSON *sg = cJSON_CreateObject();
    cJSON_AddStringToObject(sg, "source", source);
    char *desc = errlearn_describe(changes);
    char *full = count > 0 ? xasprintf("%s (learned: fixed %lld build%s)", desc, (long long)count, count == 1 ? "" : "s")
                 : note    ? xasprintf("%s (%s)", desc, note)
                           : xstrdup(desc);
    cJSON_AddStringToObject(sg, "text", full);
    free(desc);
    free(full);
    cJSON_AddItemToObject(sg, "changes", changes);
    if (count > 0)
        cJSON_AddNumberToObject(sg, "count", (double)count);
    cJSON_AddItemToArray(o->out, sg);
}

static void offer_one(sugg_out *o, const char *kind, const char *value, const char *note)
{
    cJSON *changes = cJSON_CreateArray();
    cJSON_AddItemToArray(changes, change(kind, value));
    offer(o, "builtin", changes, 0, note);
}

static void offer_include(sugg_out *o, const char *header, const char *file)
{
    cJSON *changes = cJSON_CreateArray();
    cJSON *c = change("include_header", header);
    if (file)
        cJSON_AddStringToObject(c, "file", file);
    cJSON_AddItemToArray(changes, c);
    offer(o, "builtin", changes, 0, NULL);
}

/* A learned fix still applies: its include folders still exist (and hold the header). */
static bool learned_fix_usable(const cJSON *changes, const err_class *c)
{
    const cJSON *ch;
    cJSON_ArrayForEach(ch, changes)
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "kind"));
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "value"));
        if (!k || !v)
            return false;
        if ((!strcmp(k, "include_dir") || !strcmp(k, "lib_dir")) && !dir_exists(v))
            return false;
        if (!strcmp(k, "include_dir") && c->pattern == ERR_MISSING_HEADER && c->subject) {
            char *p = path_join(v, c->subject);
            bool ok = file_exists(p);
            free(p);
            if (!ok)
                return false;
        }
    }
    return true;
}

static void learned(err_search *s, const err_class *c, sugg_out *o)
{
    if (!s->db)
        return;
    errdb_fix *fx = NULL;
    size_t n = 0;
    if (s->db_lock)
        pthread_mutex_lock(s->db_lock);
    errdb_fixes(s->db, c->id, &fx, &n);
    if (s->db_lock)
        pthread_mutex_unlock(s->db_lock);
    for (size_t i = 0; i < n; i++) {
        cJSON *changes = cJSON_Parse(fx[i].changes);
        if (changes && learned_fix_usable(changes, c))
            offer(o, "learned", changes, fx[i].count, NULL);
        else
            cJSON_Delete(changes);
    }
    errdb_fixes_free(fx, n);
}

static const char *snap_str(const cJSON *snap, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(snap, key));
}

static void builtin_missing_header(err_search *s, const err_class *c, sugg_out *o)
{
    if (!c->subject)
        return;
    strvec dirs = {0};
    const char *root = snap_str(o->snapshot, "root");
    if (root)
        err_find_header_dirs(s, root, c->subject, &dirs);
    size_t local = dirs.n;
    system_header_dirs(s, c->subject, &dirs);
    for (size_t i = 0; i < dirs.n; i++) {
        if (in_list(implicit_include_dirs, dirs.v[i]))
            continue;
        char *pkg = NULL;
        if (i >= local) {
            char *file = path_join(dirs.v[i], c->subject);
            pkg = dpkg_owner(s, file);
            free(file);
        }
        char *note = pkg ? xasprintf("from the Debian package %s", pkg) : NULL;
        offer_one(o, "include_dir", dirs.v[i], note);
        free(note);
        free(pkg);
    }
    strvec_free(&dirs);
}

/* Folders a library search covers: the project's lib_dirs and root, then the machine's. */
static void library_dirs(err_search *s, const cJSON *snap, strvec *dirs)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(snap, "lib_dirs"))
    {
        if (cJSON_IsString(e))
            strvec_push(dirs, e->valuestring);
    }
    if (snap_str(snap, "root"))
        strvec_push(dirs, snap_str(snap, "root"));
    const char *const *sys = s->system_lib_dirs ? s->system_lib_dirs : default_lib_dirs;
    for (size_t i = 0; sys[i]; i++)
        strvec_push(dirs, sys[i]);
}

/* The changes that link path: its folder when the linker does not search it, and -lNAME. */
static cJSON *link_changes(const char *path)
{
    cJSON *changes = cJSON_CreateArray();
    char *dir = path_dirname(path), *name = lib_short_name(path);
    if (!in_list(implicit_lib_dirs, dir))
        cJSON_AddItemToArray(changes, change("lib_dir", dir));
    cJSON_AddItemToArray(changes, change("library", name));
    free(dir);
    free(name);
    return changes;
}

static void builtin_symbol(err_search *s, const err_class *c, sugg_out *o)
{
    if (!c->subject || strchr(c->subject, '(') || strchr(c->subject, ' '))
        return;   /* C++ names are demangled in the message but not in the libraries */
    char *sym = xstrdup(c->subject);
    char *at = strchr(sym, '@');
    if (at)
        *at = '\0';
    strvec dirs = {0}, libs = {0};
    library_dirs(s, o->snapshot, &dirs);
    /* The project's folders are searched every time (they change with it); the machine's through the cache. */
    static const char *const no_dirs[] = {NULL};
    strvec project_dirs = {0}, system_dirs = {0};
    const char *const *sys = s->system_lib_dirs ? s->system_lib_dirs : default_lib_dirs;
    for (size_t i = 0; i < dirs.n; i++)
        strvec_push(in_list(sys, dirs.v[i]) ? &system_dirs : &project_dirs, dirs.v[i]);
    err_find_symbol_libs(s, project_dirs.v ? (const char *const *)project_dirs.v : no_dirs, sym, &libs);
    char *key = xasprintf("symbol:%s", sym);
    if (!cache_get(s, key, &libs)) {
        size_t from = libs.n;
        err_find_symbol_libs(s, system_dirs.v ? (const char *const *)system_dirs.v : no_dirs, sym, &libs);
        if (!out_of_time(s))
            cache_put(s, key, &libs, from);
    }
    free(key);
    for (size_t i = 0; i < libs.n; i++) {
        if (!linkable(libs.v[i])) {
            char *pkg = dpkg_owner(s, libs.v[i]);
            char *name = lib_short_name(libs.v[i]);
            char *note = xasprintf("%s defines %s; linking it needs its development files%s%s", libs.v[i], sym,
                                   pkg ? ", e.g. the -dev package beside " : "", pkg ? pkg : "");
            offer_one(o, "library", name, note);
            free(note);
            free(name);
            free(pkg);
            continue;
        }
        offer(o, "builtin", link_changes(libs.v[i]), 0, NULL);
    }
    strvec_free(&dirs);
    strvec_free(&libs);
    strvec_free(&project_dirs);
    strvec_free(&system_dirs);
    free(sym);
}

static void builtin_missing_library(err_search *s, const err_class *c, sugg_out *o)
{
    if (!c->subject)
        return;
    strvec dirs = {0};
    library_dirs(s, o->snapshot, &dirs);
    char *so = xasprintf("lib%s.so", c->subject), *a = xasprintf("lib%s.a", c->subject);
    strvec found = {0};
    for (size_t i = 0; i < dirs.n && !out_of_time(s); i++) {
        err_find_header_dirs(s, dirs.v[i], so, &found);
        err_find_header_dirs(s, dirs.v[i], a, &found);
    }
    for (size_t i = 0; i < found.n; i++)
        if (!in_list(implicit_lib_dirs, found.v[i]))
            offer_one(o, "lib_dir", found.v[i], NULL);
    free(so);
    free(a);
    strvec_free(&found);
    strvec_free(&dirs);
}

/* The common C library functions and their headers: the answer without a search. */
static const struct {
    const char *name, *header;
} libc_decls[] = {
    {"printf", "<stdio.h>"},   {"fprintf", "<stdio.h>"},  {"snprintf", "<stdio.h>"}, {"puts", "<stdio.h>"},
    {"fopen", "<stdio.h>"},    {"malloc", "<stdlib.h>"},  {"free", "<stdlib.h>"},    {"calloc", "<stdlib.h>"},
    {"realloc", "<stdlib.h>"}, {"exit", "<stdlib.h>"},    {"atoi", "<stdlib.h>"},    {"abs", "<stdlib.h>"},
    {"qsort", "<stdlib.h>"},   {"strlen", "<string.h>"},  {"strcmp", "<string.h>"},  {"strcpy", "<string.h>"},
    {"memcpy", "<string.h>"},  {"memset", "<string.h>"},  {"strdup", "<string.h>"},  {"strchr", "<string.h>"},
    {"sqrt", "<math.h>"},      {"pow", "<math.h>"},       {"sin", "<math.h>"},       {"cos", "<math.h>"},
    {"floor", "<math.h>"},     {"fabs", "<math.h>"},      {"isdigit", "<ctype.h>"},  {"toupper", "<ctype.h>"},
    {"tolower", "<ctype.h>"},  {"isspace", "<ctype.h>"},  {"time", "<time.h>"},      {"clock", "<time.h>"},
    {"sleep", "<unistd.h>"},   {"close", "<unistd.h>"},   {"read", "<unistd.h>"},    {"write", "<unistd.h>"},
    {"open", "<fcntl.h>"},     {"assert", "<assert.h>"},  {"pthread_create", "<pthread.h>"},
};

static bool ident(char ch) { return ch == '_' || isalnum((unsigned char)ch); }

/* Whether a header's line declares or defines name: "#define NAME", "typedef ... NAME;",
   "struct NAME {", or a prototype "... NAME(". */
static bool line_declares(const char *line, size_t n, const char *name, bool function)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl <= n; i++) {
        if (memcmp(line + i, name, nl) != 0 || (i && ident(line[i - 1])) || (i + nl < n && ident(line[i + nl])))
            continue;
        size_t j = i + nl;
        while (j < n && line[j] == ' ')
            j++;
        const char *l = line;
        while (*l == ' ' || *l == '\t')
            l++;
        if (function)
            return j < n && line[j] == '(' && i > 0 && l[0] != '#' && (memchr(line + j, ';', n - j) || memchr(line + j, '{', n - j) || line[n - 1] == ',' || line[n - 1] == '(');
        if (!strncmp(l, "#define", 7) || !strncmp(l, "# define", 8))
            return true;
        if (!strncmp(l, "typedef", 7) || !strncmp(l, "struct", 6) || !strncmp(l, "union", 5) ||
            !strncmp(l, "enum", 4) || !strncmp(l, "class", 5) || !strncmp(l, "extern", 6) ||
            !strncmp(l, "using", 5))
            return true;
        if (j < n && (line[j] == ';' || line[j] == '(' || line[j] == '=' || line[j] == '['))
            return true;   /* "int counter;" and the like */
    }
    return false;
}

static bool file_declares(const char *path, const char *name, bool function)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return false;
    bool found = false;
    if (memmem(text, len, name, strlen(name))) {
        for (char *line = text; line < text + len && !found;) {
            char *nl = memchr(line, '\n', (size_t)(text + len - line));
            size_t ll = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
            found = line_declares(line, ll, name, function);
            line = nl ? nl + 1 : text + len;
        }
    }
    free(text);
    return found;
}

typedef struct decl_walk {
    err_search *s;
    const char *name;
    bool function;
    strvec *out;
    size_t seen;
} decl_walk;

static walk_action on_decl_entry(const walk_entry *e, void *ctx)
{
    decl_walk *w = ctx;
    if (++w->seen > WALK_LIMIT || ((w->seen & 63) == 0 && out_of_time(w->s)))
        return WALK_STOP;
    if (e->kind == WALK_DIR)
        return strcmp(e->name, "build") == 0 ? WALK_PRUNE : WALK_CONTINUE;
    if (e->kind != WALK_FILE)
        return WALK_CONTINUE;
    const char *ext = path_extension(e->name);
    if ((!strcmp(ext, ".h") || !strcmp(ext, ".hpp") || !strcmp(ext, ".hh") || !strcmp(ext, ".hxx") || !*ext) &&
        file_declares(e->path, w->name, w->function))
        strvec_push(w->out, e->path);
    return WALK_CONTINUE;
}

/* The include line for a header found at path: relative to the include
   folder holding it (one of the project's, or a system one), else to the
   source's folder; *dir_needed gets the folder to add when none is on the path. */
static char *include_spelling(const char *path, const cJSON *snap, const char *source_abs, bool system, char **dir_needed)
{
    *dir_needed = NULL;
    if (system) {
        for (size_t i = 0; implicit_include_dirs[i]; i++) {
            size_t dl = strlen(implicit_include_dirs[i]);
            if (!strncmp(path, implicit_include_dirs[i], dl) && path[dl] == '/' &&
                strcmp(implicit_include_dirs[i], "/usr/include/x86_64-linux-gnu") != 0)
                return xasprintf("<%s>", path + dl + 1);
        }
        return xasprintf("<%s>", path_basename(path));
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(snap, "include_dirs"))
    {
        size_t dl = strlen(e->valuestring);
        if (!strncmp(path, e->valuestring, dl) && path[dl] == '/')
            return xasprintf("\"%s\"", path + dl + 1);
    }
    if (source_abs) {
        char *sdir = path_dirname(source_abs);
        size_t dl = strlen(sdir);
        if (!strncmp(path, sdir, dl) && path[dl] == '/') {
            char *r = xasprintf("\"%s\"", path + dl + 1);
            free(sdir);
            return r;
        }
        free(sdir);
    }
    *dir_needed = path_dirname(path);
    return xasprintf("\"%s\"", path_basename(path));
}

/* Suggests #include of the headers declaring name: the project's first, then the machine's. */
static void builtin_declaring_header(err_search *s, const char *name, bool function, const ccdiag *d, sugg_out *o)
{
    const char *root = snap_str(o->snapshot, "root");
    char *source_abs = root && d->file ? path_absolute(root, d->file) : NULL;
    strvec found = {0};
    if (root) {
        decl_walk w = {s, name, function, &found, 0};
        walk_options opt = {.cancel = s->cancel};
        walk_tree(root, &opt, on_decl_entry, &w);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(o->snapshot, "include_dirs"))
        {
            if (cJSON_IsString(e) && strncmp(e->valuestring, root, strlen(root)) != 0)
                walk_tree(e->valuestring, &opt, on_decl_entry, &w);
        }
    }
    size_t local = found.n;
    if (function && !found.n) {
        char *key = xasprintf("decl:%s", name);
        if (!cache_get(s, key, &found)) {
            decl_walk w = {s, name, true, &found, 0};
            walk_options opt = {.cancel = s->cancel};
            walk_tree("/usr/include", &opt, on_decl_entry, &w);
            if (!out_of_time(s))
                cache_put(s, key, &found, 0);
        }
        free(key);
    }
    for (size_t i = 0; i < found.n && i < 3; i++) {
        char *dir = NULL;
        char *spelled = include_spelling(found.v[i], o->snapshot, source_abs, i >= local, &dir);
        cJSON *changes = cJSON_CreateArray();
        cJSON *c = change("include_header", spelled);
        if (d->file)
            cJSON_AddStringToObject(c, "file", d->file);
        cJSON_AddItemToArray(changes, c);
        if (dir)
            cJSON_AddItemToArray(changes, change("include_dir", dir));
        offer(o, "builtin", changes, 0, NULL);
        free(spelled);
        free(dir);
    }
    strvec_free(&found);
    free(source_abs);
}

static bool all_caps(const char *s)
{
    bool letter = false;
    for (; *s; s++) {
        if (islower((unsigned char)*s))
            return false;
        if (!ident(*s))
            return false;
        letter |= isupper((unsigned char)*s) != 0;
    }
    return letter;
}

/* "#ifndef NAME" or "#if !defined(NAME)" above the #error at line: NAME; caller frees. */
static char *guarding_macro(const char *path, int line)
{
    size_t len;
    char *text = path && line > 0 ? read_file(path, &len) : NULL;
    if (!text)
        return NULL;
    char *best = NULL;
    int ln = 1;
    for (char *p = text; p < text + len && ln < line; ln++) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        char *e = nl ? nl : text + len;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        const char *m = NULL;
        if (!strncmp(p, "#ifndef", 7))
            m = p + 7;
        else if (!strncmp(p, "#if !defined", 12))
            m = p + 12;
        if (m) {
            while (m < e && (*m == ' ' || *m == '('))
                m++;
            const char *q = m;
            while (q < e && ident(*q))
                q++;
            if (q > m) {
                free(best);
                best = xstrndup(m, (size_t)(q - m));
            }
        }
        p = nl ? nl + 1 : e;
    }
    free(text);
    return best;
}

static void builtin(err_search *s, const err_class *c, const ccdiag *d, sugg_out *o)
{
    const char *root = snap_str(o->snapshot, "root");
    switch (c->pattern) {
    case ERR_MISSING_HEADER:
        builtin_missing_header(s, c, o);
        break;
    case ERR_UNDEFINED_REFERENCE:
    case ERR_SYMBOL_VERSION:
        builtin_symbol(s, c, o);
        break;
    case ERR_MISSING_LIBRARY:
        builtin_missing_library(s, c, o);
        break;
    case ERR_FPIC_RELOCATION: {
        static const char *const nopic[] = {"-fno-pic", "-fno-PIC", "-fno-pie", "-fno-PIE", NULL};
        cJSON *changes = cJSON_CreateArray();
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(o->snapshot, "flags"))
        {
            if (cJSON_IsString(e) && in_list(nopic, e->valuestring))
                cJSON_AddItemToArray(changes, change("remove_flag", e->valuestring));
        }
        if (cJSON_GetArraySize(changes))
            offer(o, "builtin", changes, 0, NULL);
        else
            cJSON_Delete(changes);
        offer_one(o, "flag", "-fPIC", NULL);
        break;
    }
    case ERR_LANGUAGE_STANDARD:
        if (c->subject)
            offer_one(o, "std", c->subject, NULL);
        if (c->hint_header)
            offer_include(o, c->hint_header, d->file);
        break;
    case ERR_IMPLICIT_DECLARATION:
        if (c->hint_header)
            offer_include(o, c->hint_header, d->file);
        for (size_t i = 0; c->subject && i < sizeof libc_decls / sizeof libc_decls[0]; i++)
            if (!strcmp(libc_decls[i].name, c->subject))
                offer_include(o, libc_decls[i].header, d->file);
        if (c->subject)
            builtin_declaring_header(s, c->subject, true, d, o);
        break;
    case ERR_UNDECLARED_IDENTIFIER:
    case ERR_UNKNOWN_TYPE:
    case ERR_INCOMPLETE_TYPE: {
        if (c->hint_header)
            offer_include(o, c->hint_header, d->file);
        const char *name = c->subject;
        if (name && strrchr(name, ':'))
            name = strrchr(name, ':') + 1;
        if (name && !strncmp(name, "struct ", 7))
            name += 7;
        int since = 0;
        const char *std_hdr = c->subject && !strncmp(c->subject, "std::", 5) ? err_std_header(name, &since) : NULL;
        if (std_hdr)
            offer_include(o, std_hdr, d->file);
        if (name && *name)
            builtin_declaring_header(s, name, false, d, o);
        if (name && all_caps(name) && c->pattern == ERR_UNDECLARED_IDENTIFIER)
            offer_one(o, "define", name, "a macro nobody defines");
        break;
    }
    case ERR_PREPROCESSOR_ERROR: {
        char *abs = root && d->file ? path_absolute(root, d->file) : (d->file ? xstrdup(d->file) : NULL);
        char *macro = guarding_macro(abs, d->line);
        if (macro)
            offer_one(o, "define", macro, "the #error's guard");
        free(macro);
        free(abs);
        break;
    }
    default:
        break;
    }
    /* The compiler's own fix-its, as text: a source change, not a configuration one. */
    for (size_t i = 0; i < d->nfixits; i++) {
        const ccdiag_fixit *f = &d->fixits[i];
        char *v = xasprintf("%s:%d:%d: %s \"%s\"", f->file ? f->file : (d->file ? d->file : "?"), f->line, f->column,
                            f->line == f->end_line && f->column == f->end_column ? "insert" : "replace with", f->text);
        offer_one(o, "fixit", v, "the compiler's fix-it");
        free(v);
    }
}

void err_suggest(err_search *s, const err_class *c, const ccdiag *d, const cJSON *snapshot, size_t max, cJSON *out)
{
    sugg_out o = {.out = out, .max = max, .snapshot = snapshot};
    learned(s, c, &o);
    if (!out_of_time(s))
        builtin(s, c, d, &o);
    strvec_free(&o.seen);
}
