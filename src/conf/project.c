/* project.c - reads a project's jmake.toml (SPEC 6, the original JMake format) into a checked project_config. */
#include "project.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

/* Sections of the original JMake format that jmake reads nothing from; accepted so the original
 * example projects build unchanged, with one warning saying they are ignored. */
static const char *const original_unused_sections[] = {
    "discovery", "reorganize", "dependencies", "target", "workflow", "bridge", "scan", "cmake",
    "symbols", "julia", "error_learning", "testing", "test", "optimization", "debug", "output",
    NULL,
};

typedef struct load_ctx {
    const char *file;       /* as given, for messages */
    const char *dir;        /* absolute folder of the file: base of relative paths */
    diag_list *diags;
    int rc;
} load_ctx;

static void type_error(load_ctx *cx, const char *section, const toml_entry *e, const char *expected)
{
    diag_add(cx->diags, DIAG_ERROR, cx->file, e->value->line, e->value->column,
             "key '%s.%s' must be %s, not %s", section, e->key, expected, toml_type_name(e->value->type));
    cx->rc = -1;
}

static void unknown_key(load_ctx *cx, const char *section, const toml_entry *e)
{
    diag_add(cx->diags, DIAG_WARNING, cx->file, e->line, e->column, "unknown key '%s.%s' (ignored)", section,
             e->key);
}

/* A string without embedded NULs; empty only when allow_empty. NULL (with an error added) otherwise. */
static const char *want_string(load_ctx *cx, const char *section, const toml_entry *e, bool allow_empty)
{
    const toml_value *v = e->value;
    if (v->type != TOML_STRING) {
        type_error(cx, section, e, "a string");
        return NULL;
    }
    if (strlen(v->u.string.ptr) != v->u.string.len || (!allow_empty && v->u.string.len == 0)) {
        diag_add(cx->diags, DIAG_ERROR, cx->file, v->line, v->column, "key '%s.%s' must not be %s", section,
                 e->key, v->u.string.len == 0 ? "empty" : "a string holding NUL");
        cx->rc = -1;
        return NULL;
    }
    return v->u.string.ptr;
}

static void take_string(load_ctx *cx, const char *section, const toml_entry *e, char **out)
{
    const char *s = want_string(cx, section, e, false);
    if (s) {
        free(*out);
        *out = xstrdup(s);
    }
}

static void take_path(load_ctx *cx, const char *section, const toml_entry *e, char **out)
{
    const char *s = want_string(cx, section, e, false);
    if (s) {
        free(*out);
        *out = path_absolute(cx->dir, s);
    }
}

static void take_bool(load_ctx *cx, const char *section, const toml_entry *e, bool *out)
{
    if (e->value->type != TOML_BOOL)
        type_error(cx, section, e, "a boolean (true or false)");
    else
        *out = e->value->u.boolean;
}

/* An array of strings appended to out; as_paths resolves each against the file's folder;
 * single_ok also takes one string for a one-item list (the original format writes include = "include"). */
static void take_list(load_ctx *cx, const char *section, const toml_entry *e, strvec *out, bool as_paths,
                      bool single_ok)
{
    const toml_value *v = e->value;
    if (single_ok && v->type == TOML_STRING) {
        const char *s = want_string(cx, section, e, false);
        if (s)
            strvec_push_owned(out, as_paths ? path_absolute(cx->dir, s) : xstrdup(s));
        return;
    }
    if (v->type != TOML_ARRAY) {
        type_error(cx, section, e, single_ok ? "a string or an array of strings" : "an array of strings");
        return;
    }
    for (size_t i = 0; i < v->u.array.count; i++) {
        const toml_value *item = v->u.array.items[i];
        if (item->type != TOML_STRING || strlen(item->u.string.ptr) != item->u.string.len ||
            (as_paths && item->u.string.len == 0)) {
            diag_add(cx->diags, DIAG_ERROR, cx->file, item->line, item->column,
                     "key '%s.%s' must be an array of %s; item %zu is %s", section, e->key,
                     as_paths ? "non-empty strings" : "strings", i + 1,
                     item->type != TOML_STRING ? toml_type_name(item->type)
                     : item->u.string.len == 0 ? "empty" : "a string holding NUL");
            cx->rc = -1;
            continue;
        }
        const char *s = item->u.string.ptr;
        strvec_push_owned(out, as_paths ? path_absolute(cx->dir, s) : xstrdup(s));
    }
}

static void add_define(project_config *p, const char *name, const char *value)
{
    p->defines = xrealloc(p->defines, (p->define_count + 1) * sizeof *p->defines);
    p->defines[p->define_count].name = xstrdup(name);
    p->defines[p->define_count].value = value ? xstrdup(value) : NULL;
    p->define_count++;
}

static bool valid_macro_name(const char *s, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

/* [compile.defines] NAME = "text" | 42 | true (bare -DNAME) | false (not defined),
 * or compile.defines = ["NAME", "NAME=VALUE"] as a compiler command line writes them. */
static void take_defines(load_ctx *cx, project_config *p, const toml_entry *e)
{
    const toml_value *v = e->value;
    if (v->type == TOML_ARRAY) {
        for (size_t i = 0; i < v->u.array.count; i++) {
            const toml_value *item = v->u.array.items[i];
            const char *s = item->type == TOML_STRING ? item->u.string.ptr : NULL;
            const char *eq = s ? strchr(s, '=') : NULL;
            size_t name_len = s ? (eq ? (size_t)(eq - s) : strlen(s)) : 0;
            if (!s || !valid_macro_name(s, name_len)) {
                diag_add(cx->diags, DIAG_ERROR, cx->file, item->line, item->column,
                         "key 'compile.defines' item %zu must be a string \"NAME\" or \"NAME=VALUE\"", i + 1);
                cx->rc = -1;
                continue;
            }
            char *name = xstrndup(s, name_len);
            add_define(p, name, eq ? eq + 1 : NULL);
            free(name);
        }
        return;
    }
    if (v->type != TOML_TABLE) {
        type_error(cx, "compile", e, "a table ([compile.defines]) or an array of strings");
        return;
    }
    for (size_t i = 0; i < v->u.table.count; i++) {
        const toml_entry *d = &v->u.table.entries[i];
        const toml_value *dv = d->value;
        if (!valid_macro_name(d->key, d->key_len)) {
            diag_add(cx->diags, DIAG_ERROR, cx->file, d->line, d->column,
                     "'%s' is not a valid macro name in [compile.defines]", d->key);
            cx->rc = -1;
            continue;
        }
        switch (dv->type) {
        case TOML_STRING:
            if (strlen(dv->u.string.ptr) != dv->u.string.len) {
                diag_add(cx->diags, DIAG_ERROR, cx->file, dv->line, dv->column,
                         "define '%s' must not hold NUL", d->key);
                cx->rc = -1;
            } else {
                add_define(p, d->key, dv->u.string.ptr);
            }
            break;
        case TOML_INTEGER: {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)dv->u.integer);
            add_define(p, d->key, num);
            break;
        }
        case TOML_BOOL:
            if (dv->u.boolean)
                add_define(p, d->key, NULL);
            break;
        default:
            diag_add(cx->diags, DIAG_ERROR, cx->file, dv->line, dv->column,
                     "define 'compile.defines.%s' must be a string, an integer or a boolean, not %s", d->key,
                     toml_type_name(dv->type));
            cx->rc = -1;
        }
    }
}

/* [[compile.overrides]] match = "glob", flags = [...] */
static void take_overrides(load_ctx *cx, project_config *p, const toml_entry *e)
{
    const toml_value *v = e->value;
    if (v->type != TOML_ARRAY) {
        type_error(cx, "compile", e, "an array of tables ([[compile.overrides]])");
        return;
    }
    for (size_t i = 0; i < v->u.array.count; i++) {
        const toml_value *t = v->u.array.items[i];
        if (t->type != TOML_TABLE) {
            diag_add(cx->diags, DIAG_ERROR, cx->file, t->line, t->column,
                     "compile.overrides item %zu must be a table with match and flags, not %s", i + 1,
                     toml_type_name(t->type));
            cx->rc = -1;
            continue;
        }
        project_override ov = {0};
        for (size_t k = 0; k < t->u.table.count; k++) {
            const toml_entry *oe = &t->u.table.entries[k];
            if (strcmp(oe->key, "match") == 0)
                take_string(cx, "compile.overrides", oe, &ov.match);
            else if (strcmp(oe->key, "flags") == 0)
                take_list(cx, "compile.overrides", oe, &ov.flags, false, false);
            else
                unknown_key(cx, "compile.overrides", oe);
        }
        if (!ov.match) {
            if (!toml_table_find(t, "match")) {
                diag_add(cx->diags, DIAG_ERROR, cx->file, t->line, t->column,
                         "compile.overrides item %zu has no 'match' glob", i + 1);
                cx->rc = -1;
            }
            strvec_free(&ov.flags);
            continue;
        }
        p->overrides = xrealloc(p->overrides, (p->override_count + 1) * sizeof *p->overrides);
        p->overrides[p->override_count++] = ov;
    }
}

static void read_project(load_ctx *cx, project_config *p, const toml_value *t)
{
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "name") == 0)
            take_string(cx, "project", e, &p->name);
        else if (strcmp(e->key, "root") == 0)
            take_path(cx, "project", e, &p->root);
        else
            unknown_key(cx, "project", e);
    }
}

static void read_paths(load_ctx *cx, project_config *p, const toml_value *t, strvec *path_includes)
{
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "source") == 0)
            take_path(cx, "paths", e, &p->source_dir);
        else if (strcmp(e->key, "include") == 0)
            take_list(cx, "paths", e, path_includes, true, true);
        else if (strcmp(e->key, "build") == 0)
            take_path(cx, "paths", e, &p->build_dir);
        else if (strcmp(e->key, "output") == 0)
            take_path(cx, "paths", e, &p->output_dir);
        else
            unknown_key(cx, "paths", e);
    }
}

static void read_compile(load_ctx *cx, project_config *p, const toml_value *t, strvec *compile_includes)
{
    const toml_entry *libs_at = NULL;
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        const char *k = e->key;
        if (strcmp(k, "flags") == 0)
            take_list(cx, "compile", e, &p->flags, false, false);
        else if (strcmp(k, "c_flags") == 0)
            take_list(cx, "compile", e, &p->cflags, false, false);
        else if (strcmp(k, "cxx_flags") == 0)
            take_list(cx, "compile", e, &p->cxxflags, false, false);
        else if (strcmp(k, "link_flags") == 0)
            take_list(cx, "compile", e, &p->link_flags, false, false);
        else if (strcmp(k, "include_dirs") == 0)
            take_list(cx, "compile", e, compile_includes, true, true);
        else if (strcmp(k, "lib_dirs") == 0)
            take_list(cx, "compile", e, &p->lib_dirs, true, true);
        else if (strcmp(k, "libraries") == 0 || strcmp(k, "link_libraries") == 0) {
            /* Both spellings exist in the wild; both at once is almost surely a merge mistake. */
            if (libs_at)
                diag_add(cx->diags, DIAG_WARNING, cx->file, e->line, e->column,
                         "both 'compile.%s' and 'compile.%s' given (line %d); using both lists", libs_at->key, k,
                         libs_at->line);
            libs_at = e;
            take_list(cx, "compile", e, &p->libraries, false, true);
        } else if (strcmp(k, "sources") == 0)
            take_list(cx, "compile", e, &p->sources, false, true);
        else if (strcmp(k, "exclude") == 0)
            take_list(cx, "compile", e, &p->exclude, false, true);
        else if (strcmp(k, "defines") == 0)
            take_defines(cx, p, e);
        else if (strcmp(k, "overrides") == 0)
            take_overrides(cx, p, e);
        else if (strcmp(k, "cc") == 0)
            take_string(cx, "compile", e, &p->cc);
        else if (strcmp(k, "cxx") == 0)
            take_string(cx, "compile", e, &p->cxx);
        else
            unknown_key(cx, "compile", e);
    }
}

static void read_binary(load_ctx *cx, project_config *p, const toml_value *t)
{
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "library_type") == 0) {
            const char *s = want_string(cx, "binary", e, false);
            if (!s)
                continue;
            if (strcmp(s, "shared") == 0)
                p->output = PROJECT_SHARED;
            else if (strcmp(s, "static") == 0)
                p->output = PROJECT_STATIC;
            else if (strcmp(s, "executable") == 0)
                p->output = PROJECT_EXECUTABLE;
            else {
                diag_add(cx->diags, DIAG_ERROR, cx->file, e->value->line, e->value->column,
                         "key 'binary.library_type' must be one of shared, static, executable, not \"%s\"", s);
                cx->rc = -1;
            }
        } else if (strcmp(e->key, "library_name") == 0) {
            take_string(cx, "binary", e, &p->library_name);
            if (p->library_name && strchr(p->library_name, '/')) {
                diag_add(cx->diags, DIAG_ERROR, cx->file, e->value->line, e->value->column,
                         "key 'binary.library_name' must be a file name, not a path (the output goes to "
                         "[paths] build)");
                cx->rc = -1;
            }
        } else
            unknown_key(cx, "binary", e);
    }
}

static void read_wrap(load_ctx *cx, project_config *p, const toml_value *t)
{
    p->wrap.enabled = true;   /* writing a [wrap] section asks for bindings unless enabled = false */
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "enabled") == 0)
            take_bool(cx, "wrap", e, &p->wrap.enabled);
        else if (strcmp(e->key, "module_name") == 0)
            take_string(cx, "wrap", e, &p->wrap.module_name);
        else if (strcmp(e->key, "output_dir") == 0)
            take_path(cx, "wrap", e, &p->wrap.output_dir);
        else if (strcmp(e->key, "languages") == 0) {
            size_t before = p->wrap.languages.n;
            take_list(cx, "wrap", e, &p->wrap.languages, false, true);
            for (size_t k = before; k < p->wrap.languages.n; k++) {
                const char *lang = p->wrap.languages.v[k];
                if (strcmp(lang, "julia") != 0 && strcmp(lang, "python") != 0) {
                    diag_add(cx->diags, DIAG_ERROR, cx->file, e->value->line, e->value->column,
                             "key 'wrap.languages': unknown language \"%s\" (julia or python)", lang);
                    cx->rc = -1;
                }
            }
        } else
            unknown_key(cx, "wrap", e);
    }
}

static void read_cache(load_ctx *cx, project_config *p, const toml_value *t)
{
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "enabled") == 0)
            take_bool(cx, "cache", e, &p->cache.enabled);
        else if (strcmp(e->key, "directory") == 0)
            take_path(cx, "cache", e, &p->cache.directory);
        else
            unknown_key(cx, "cache", e);
    }
}

static void read_llvm(load_ctx *cx, project_config *p, const toml_value *t)
{
    p->llvm.enabled = true;
    bool opt_given = false;
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (strcmp(e->key, "toolchain_path") == 0)
            take_path(cx, "llvm", e, &p->llvm.toolchain_path);
        else if (strcmp(e->key, "use_bundled") == 0)
            take_bool(cx, "llvm", e, &p->llvm.use_bundled);
        else if (strcmp(e->key, "opt_flags") == 0) {
            opt_given = true;
            take_list(cx, "llvm", e, &p->llvm.opt_flags, false, true);
        } else
            unknown_key(cx, "llvm", e);
    }
    if (!opt_given)
        strvec_push(&p->llvm.opt_flags, "-O2");
}


static char *capitalized(const char *s)
{
    char *c = xstrdup(s);
    if (c[0])
        c[0] = (char)toupper((unsigned char)c[0]);
    return c;
}

/* Fills every field the file left out, so consumers never test for NULL. */
static void apply_defaults(project_config *p, const char *dir, strvec *path_includes, strvec *compile_includes)
{
    if (!p->root)
        p->root = xstrdup(dir);
    if (!p->name) {
        const char *base = path_basename(p->root);
        p->name = xstrdup(base[0] ? base : "project");
    }
    if (!p->source_dir)
        p->source_dir = path_absolute(dir, "src");
    if (!p->build_dir)
        p->build_dir = path_absolute(dir, "build");
    if (!p->output_dir)
        p->output_dir = path_absolute(dir, "julia");
    /* [paths] include first, then [compile] include_dirs; the original examples name "include" in
     * both, and passing -I twice only slows the compiler down. */
    for (size_t i = 0; i < path_includes->n; i++)
        if (!strvec_contains(&p->include_dirs, path_includes->v[i]))
            strvec_push(&p->include_dirs, path_includes->v[i]);
    for (size_t i = 0; i < compile_includes->n; i++)
        if (!strvec_contains(&p->include_dirs, compile_includes->v[i]))
            strvec_push(&p->include_dirs, compile_includes->v[i]);
    if (!p->cc)
        p->cc = xstrdup("cc");
    if (!p->cxx)
        p->cxx = xstrdup("c++");
    if (!p->library_name) {
        switch (p->output) {
        case PROJECT_SHARED: p->library_name = xasprintf("lib%s.so", p->name); break;
        case PROJECT_STATIC: p->library_name = xasprintf("lib%s.a", p->name); break;
        case PROJECT_EXECUTABLE: p->library_name = xstrdup(p->name); break;
        }
    }
    p->artifact_path = path_join(p->build_dir, p->library_name);
    if (!p->wrap.module_name)
        p->wrap.module_name = capitalized(p->name);
    if (p->wrap.languages.n == 0)
        strvec_push(&p->wrap.languages, "julia");
    if (!p->wrap.output_dir)
        p->wrap.output_dir = xstrdup(p->output_dir);
}

int project_load(const char *path, project_config *out, diag_list *diags)
{
    memset(out, 0, sizeof *out);
    out->output = PROJECT_SHARED;
    out->cache.enabled = true;
    out->config_path = path_absolute(NULL, path);
    char *dir = path_dirname(out->config_path);
    load_ctx cx = {path, dir, diags, 0};
    strvec path_includes = {0}, compile_includes = {0};

    size_t len = 0;
    char *data = read_file(path, &len);
    toml_value *root = NULL;
    if (!data) {
        diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot read: %s", strerror(errno));
        cx.rc = -1;
    } else {
        toml_error err;
        memset(&err, 0, sizeof err);
        root = toml_parse(data, len, &err);
        free(data);
        if (!root) {
            diag_add(diags, DIAG_ERROR, path, err.line, err.column, "%s", err.message);
            cx.rc = -1;
        }
    }
    for (size_t i = 0; root && i < root->u.table.count; i++) {
        const toml_entry *e = &root->u.table.entries[i];
        const toml_value *t = e->value;
        bool table = t->type == TOML_TABLE;
        if (str_in_list(original_unused_sections, e->key)) {
            diag_add(diags, DIAG_WARNING, path, e->line, e->column,
                     "section [%s] of the original JMake format is not used by jmake (ignored)", e->key);
            continue;
        }
        static const char *const known[] = {"project", "paths", "compile", "binary", "wrap", "cache", "llvm",
                                            NULL};
        if (!str_in_list(known, e->key)) {
            diag_add(diags, DIAG_WARNING, path, e->line, e->column, "unknown %s '%s' (ignored)",
                     table ? "section" : "top-level key", e->key);
            continue;
        }
        if (!table) {
            diag_add(diags, DIAG_ERROR, path, t->line, t->column, "'%s' must be a table ([%s]), not %s", e->key,
                     e->key, toml_type_name(t->type));
            cx.rc = -1;
            continue;
        }
        if (strcmp(e->key, "project") == 0)
            read_project(&cx, out, t);
        else if (strcmp(e->key, "paths") == 0)
            read_paths(&cx, out, t, &path_includes);
        else if (strcmp(e->key, "compile") == 0)
            read_compile(&cx, out, t, &compile_includes);
        else if (strcmp(e->key, "binary") == 0)
            read_binary(&cx, out, t);
        else if (strcmp(e->key, "wrap") == 0)
            read_wrap(&cx, out, t);
        else if (strcmp(e->key, "cache") == 0)
            read_cache(&cx, out, t);
        else
            read_llvm(&cx, out, t);
    }
    toml_free(root);
    apply_defaults(out, dir, &path_includes, &compile_includes);
    strvec_free(&path_includes);
    strvec_free(&compile_includes);
    free(dir);
    return cx.rc;
}

void project_free(project_config *p)
{
    free(p->config_path);
    free(p->root);
    free(p->name);
    free(p->source_dir);
    strvec_free(&p->include_dirs);
    free(p->build_dir);
    free(p->output_dir);
    free(p->cc);
    free(p->cxx);
    strvec_free(&p->flags);
    strvec_free(&p->cflags);
    strvec_free(&p->cxxflags);
    strvec_free(&p->link_flags);
    for (size_t i = 0; i < p->define_count; i++) {
        free(p->defines[i].name);
        free(p->defines[i].value);
    }
    free(p->defines);
    strvec_free(&p->lib_dirs);
    strvec_free(&p->libraries);
    strvec_free(&p->sources);
    strvec_free(&p->exclude);
    for (size_t i = 0; i < p->override_count; i++) {
        free(p->overrides[i].match);
        strvec_free(&p->overrides[i].flags);
    }
    free(p->overrides);
    free(p->library_name);
    free(p->artifact_path);
    free(p->wrap.module_name);
    strvec_free(&p->wrap.languages);
    free(p->wrap.output_dir);
    free(p->cache.directory);
    free(p->llvm.toolchain_path);
    strvec_free(&p->llvm.opt_flags);
    memset(p, 0, sizeof *p);
}
