/* wrap.c - the wrap step: symbols and declarations joined into a model, layouts checked, both modules written atomically, the result reported. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "bindings_internal.h"
#include "project.h"
#include "toml.h"
#include "walk.h"

#define WRAP_REASON_MAX 1024


static double num(const cJSON *obj, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static void wrap_log(const bindings_request *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wrap_log(const bindings_request *req, const char *fmt, ...)
{
    if (!req->log_path)
        return;
    va_list ap;
    va_start(ap, fmt);
    append_stamped_line(req->log_path, "wrap: ", fmt, ap);   /* best effort: the job's result says what was written */
    va_end(ap);
}

/* "libz.so.1" -> "libz"; "libmathlib.so" -> "mathlib" (a one-letter stem keeps its "lib"). */
static char *default_module_name(const char *binary_path)
{
    const char *base = path_basename(binary_path);
    const char *so = strstr(base, ".so");
    size_t len = so ? (size_t)(so - base) : strlen(base);
    char *stem = xstrndup(base, len);
    if (strncmp(stem, "lib", 3) == 0 && len > 3 + 2) {
        char *s = xstrdup(stem + 3);
        free(stem);
        stem = s;
    }
    char *ident = typemap_julia_ident(stem);
    free(stem);
    if (ident[0] >= 'a' && ident[0] <= 'z')
        ident[0] = (char)(ident[0] - 'a' + 'A');
    return ident;
}

static char *lower(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* One identifier for both languages. */
static char *both_ident(const char *name)
{
    char *j = typemap_julia_ident(name);
    char *p = typemap_python_ident(j);
    free(j);
    return p;
}

/* ---- which declarations the model needs ---- */

typedef struct model_builder {
    cJSON *decls;           /* the parser's output (borrowed) */
    cJSON *records_by_usr;  /* usr -> parser record (references) */
    cJSON *enums_by_usr;    /* usr -> parser enum (references) */
    cJSON *typedefs_by_name;
    cJSON *want_records;    /* usr -> true */
    cJSON *want_enums;
    cJSON *want_typedefs;   /* name -> true */
} model_builder;

static void want_type(model_builder *mb, const cJSON *t);

static void want_typedef(model_builder *mb, const char *name)
{
    if (!name || cJSON_GetObjectItemCaseSensitive(mb->want_typedefs, name) || typemap_python_std(name))
        return;
    const cJSON *td = cJSON_GetObjectItemCaseSensitive(mb->typedefs_by_name, name);
    if (!td)
        return;
    cJSON_AddTrueToObject(mb->want_typedefs, name);
    want_type(mb, cJSON_GetObjectItemCaseSensitive(td, "type"));
}

static void want_type(model_builder *mb, const cJSON *t)
{
    if (!t)
        return;
    want_typedef(mb, bj_str(t, "typedef"));
    const char *k = bj_str(t, "k");
    if (!k)
        return;
    if (strcmp(k, "record") == 0) {
        const char *usr = bj_str(t, "usr");
        if (!usr || cJSON_GetObjectItemCaseSensitive(mb->want_records, usr))
            return;
        cJSON_AddTrueToObject(mb->want_records, usr);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(mb->records_by_usr, usr);
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields")) want_type(mb, cJSON_GetObjectItemCaseSensitive(f, "type"));
    } else if (strcmp(k, "enum") == 0) {
        const char *usr = bj_str(t, "usr");
        if (usr && !cJSON_GetObjectItemCaseSensitive(mb->want_enums, usr))
            cJSON_AddTrueToObject(mb->want_enums, usr);
    } else if (strcmp(k, "ptr") == 0) {
        want_type(mb, cJSON_GetObjectItemCaseSensitive(t, "to"));
    } else if (strcmp(k, "array") == 0) {
        want_type(mb, cJSON_GetObjectItemCaseSensitive(t, "of"));
    } else if (strcmp(k, "func") == 0) {
        want_type(mb, cJSON_GetObjectItemCaseSensitive(t, "ret"));
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(t, "params")) want_type(mb, p);
    }
}

/* The natural C layout of r (no packing, no bit-fields) agrees with libclang's offsets and size. */
static bool layout_known(const cJSON *r)
{
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "complete")))
        return false;
    long long size = (long long)num(r, "size"), align = (long long)num(r, "align");
    if (size <= 0 || align <= 0)
        return false;
    bool is_union = strcmp(bj_str(r, "kind"), "union") == 0;
    long long end = 0, max_align = 1;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields"))
    {
        if (num(f, "bits") >= 0)
            return false;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        long long fs = (long long)num(t, "size"), fa = (long long)num(t, "align");
        if (fs <= 0 || fa <= 0)
            return false;
        long long at = is_union ? 0 : (end + fa - 1) / fa * fa;
        if ((long long)num(f, "offset") != at * 8)
            return false;
        end = is_union ? (fs > end ? fs : end) : at + fs;
        if (fa > max_align)
            max_align = fa;
    }
    return align == max_align && size == (end + max_align - 1) / max_align * max_align;
}

/* Appends r's by-value dependencies, then r, to order (each once). */
static void order_record(cJSON *model_by_usr, const char *usr, cJSON *order, cJSON *placed, int depth)
{
    if (!usr || cJSON_GetObjectItemCaseSensitive(placed, usr) || depth > 64)
        return;
    cJSON *r = cJSON_GetObjectItemCaseSensitive(model_by_usr, usr);
    if (!r)
        return;
    cJSON_AddTrueToObject(placed, usr);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        while (t && bj_str(t, "k") && strcmp(bj_str(t, "k"), "array") == 0)
            t = cJSON_GetObjectItemCaseSensitive(t, "of");
        if (t && bj_str(t, "k") && strcmp(bj_str(t, "k"), "record") == 0)
            order_record(model_by_usr, bj_str(t, "usr"), order, placed, depth + 1);
    }
    cJSON_AddItemReferenceToArray(order, r);
}

static bool is_cxx_header(const char *path)
{
    const char *ext = path_extension(path);
    return strcmp(ext, ".hpp") == 0 || strcmp(ext, ".hh") == 0 || strcmp(ext, ".hxx") == 0 ||
           strcmp(ext, ".H") == 0 || strcmp(ext, ".h++") == 0;
}

/* Builds the model (docs/BINDINGS.md, "The model") from symbols and decls (may be NULL). */
static cJSON *build_model(const bindings_request *req, const char *module, const bindings_symbols *syms,
                          cJSON *decls, cJSON *result)
{
    cJSON *model = cJSON_CreateObject();
    cJSON_AddStringToObject(model, "module", module);
    cJSON_AddStringToObject(model, "library", req->load_name && *req->load_name ? req->load_name : req->binary_path);
    cJSON_AddStringToObject(model, "library_name", path_basename(req->binary_path));
    cJSON *headers = cJSON_AddArrayToObject(model, "headers");
    for (size_t i = 0; decls && req->headers && i < req->headers->n; i++)
        cJSON_AddItemToArray(headers, cJSON_CreateString(path_basename(req->headers->v[i])));

    model_builder mb = {decls, cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject(),
                        cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject()};
    cJSON *by_symbol = cJSON_CreateObject(), *vars_by_symbol = cJSON_CreateObject();
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "records")) if (bj_str(it, "usr") &&
                                                                                   !cJSON_GetObjectItemCaseSensitive(mb.records_by_usr, bj_str(it, "usr")))
        cJSON_AddItemReferenceToObject(mb.records_by_usr, bj_str(it, "usr"), it);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "enums")) if (bj_str(it, "usr") &&
                                                                                 !cJSON_GetObjectItemCaseSensitive(mb.enums_by_usr, bj_str(it, "usr")))
        cJSON_AddItemReferenceToObject(mb.enums_by_usr, bj_str(it, "usr"), it);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "typedefs")) if (bj_str(it, "name") &&
                                                                                    !cJSON_GetObjectItemCaseSensitive(mb.typedefs_by_name, bj_str(it, "name")))
        cJSON_AddItemReferenceToObject(mb.typedefs_by_name, bj_str(it, "name"), it);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "functions")) if (bj_str(it, "symbol") &&
                                                                                     !cJSON_GetObjectItemCaseSensitive(by_symbol, bj_str(it, "symbol")))
        cJSON_AddItemReferenceToObject(by_symbol, bj_str(it, "symbol"), it);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "variables")) if (bj_str(it, "symbol") &&
                                                                                     !cJSON_GetObjectItemCaseSensitive(vars_by_symbol, bj_str(it, "symbol")))
        cJSON_AddItemReferenceToObject(vars_by_symbol, bj_str(it, "symbol"), it);

    /* Functions and data objects: exactly what the library exports. */
    cJSON *functions = cJSON_AddArrayToObject(model, "functions");
    cJSON *data = cJSON_AddArrayToObject(model, "data");
    int matched = 0;
    for (size_t i = 0; i < syms->n; i++) {
        const bindings_symbol *s = &syms->v[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "symbol", s->name);
        char *ident = both_ident(s->name);
        cJSON_AddStringToObject(e, "name", ident);
        free(ident);
        if (s->version)
            cJSON_AddStringToObject(e, "version", s->version);
        if (s->demangled)
            cJSON_AddStringToObject(e, "demangled", s->demangled);
        const cJSON *decl = cJSON_GetObjectItemCaseSensitive(s->is_function ? by_symbol : vars_by_symbol, s->name);
        if (decl) {
            matched++;
            cJSON_AddItemToObject(e, "decl", cJSON_Duplicate(decl, true));
            if (s->is_function) {
                const cJSON *p;
                cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(decl, "params")) want_type(&mb, cJSON_GetObjectItemCaseSensitive(p, "type"));
                want_type(&mb, cJSON_GetObjectItemCaseSensitive(decl, "ret"));
                if (s->demangled)
                    cJSON_AddStringToObject(e, "fallback", "a C++ function: call it through an extern \"C\" API");
            } else {
                want_type(&mb, cJSON_GetObjectItemCaseSensitive(decl, "type"));
            }
        } else if (s->is_function) {
            cJSON_AddStringToObject(e, "fallback", !decls                 ? "no headers were given"
                                                   : s->demangled         ? "a C++ function no header declares"
                                                                          : "no header given declares it");
        }
        cJSON_AddItemToArray(s->is_function ? functions : data, e);
    }
    if (decls && matched == 0)
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(result, "warnings"),
                             cJSON_CreateString("the headers declare nothing the library exports: every function "
                                                "has an unknown signature"));

    /* Types of the given headers themselves, even where no exported function uses them. */
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "typedefs")) if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "main")))
        want_typedef(&mb, bj_str(it, "name"));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "records")) if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "main")) &&
                                                                                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "complete")))
    {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "k", "record");
        cJSON_AddStringToObject(t, "usr", bj_str(it, "usr"));
        want_type(&mb, t);
        cJSON_Delete(t);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "enums")) if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "main")) &&
                                                                                 !cJSON_GetObjectItemCaseSensitive(mb.want_enums, bj_str(it, "usr")))
        cJSON_AddTrueToObject(mb.want_enums, bj_str(it, "usr"));

    /* Names: a record's tag, else the typedef naming it, else its parent's name and field. */
    cJSON *names_taken = cJSON_CreateObject();
    cJSON *typedef_of_usr = cJSON_CreateObject();
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "typedefs"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
        const char *k = bj_str(t, "k"), *usr = bj_str(t, "usr");
        if (k && usr && (strcmp(k, "record") == 0 || strcmp(k, "enum") == 0) && !cJSON_GetObjectItemCaseSensitive(typedef_of_usr, usr))
            cJSON_AddStringToObject(typedef_of_usr, usr, bj_str(it, "name"));
    }
    cJSON *records = cJSON_CreateArray(), *model_by_usr = cJSON_AddObjectToObject(model, "records_by_usr");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "records"))
    {
        const char *usr = bj_str(it, "usr");
        if (!usr || !cJSON_GetObjectItemCaseSensitive(mb.want_records, usr) ||
            cJSON_GetObjectItemCaseSensitive(model_by_usr, usr))
            continue;
        cJSON *r = cJSON_Duplicate(it, true);
        const char *tag = bj_str(r, "name");
        const char *alias = bj_str(typedef_of_usr, usr);
        char *name = NULL;
        if (tag && *tag)
            name = both_ident(tag);
        else if (alias)
            name = both_ident(alias);
        if (name && cJSON_GetObjectItemCaseSensitive(names_taken, name)) {
            free(name);
            name = NULL;
        }
        if (name) {
            cJSON_AddStringToObject(r, "jname", name);
            cJSON_AddTrueToObject(names_taken, name);
            free(name);
        }
        cJSON_AddStringToObject(r, "cname", tag && *tag ? tag : alias ? alias : "(anonymous)");
        bool known = layout_known(r);
        cJSON_AddBoolToObject(r, "jl_layout", known);
        cJSON_AddBoolToObject(r, "py_layout", known);
        cJSON_AddItemToArray(records, r);
        cJSON_AddItemReferenceToObject(model_by_usr, usr, r);
    }
    /* Anonymous nested records are named after their parent (Outer_field or Outer_anonN),
     * and every field gets a usable name. Parents come before their members in the parser's list. */
    cJSON *r;
    cJSON_ArrayForEach(r, records)
    {
        int anon = 0;
        cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields"))
        {
            const char *fname = bj_str(f, "name");
            bool unnamed = !fname || !*fname;
            char *fn = unnamed ? xasprintf("_anon%d", anon++) : both_ident(fname);
            cJSON_AddStringToObject(f, "fname", fn);
            if (unnamed)
                cJSON_AddTrueToObject(f, "anonymous");
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
            while (t && bj_str(t, "k") && strcmp(bj_str(t, "k"), "array") == 0)
                t = cJSON_GetObjectItemCaseSensitive(t, "of");
            cJSON *child = t && bj_str(t, "k") && strcmp(bj_str(t, "k"), "record") == 0
                               ? cJSON_GetObjectItemCaseSensitive(model_by_usr, bj_str(t, "usr"))
                               : NULL;
            if (child && !bj_str(child, "jname") && bj_str(r, "jname")) {
                char *cn = xasprintf("%s_%s", bj_str(r, "jname"), unnamed ? fn + 1 : fn);
                while (cJSON_GetObjectItemCaseSensitive(names_taken, cn)) {
                    char *longer = xasprintf("%s_", cn);
                    free(cn);
                    cn = longer;
                }
                cJSON_AddStringToObject(child, "jname", cn);
                cJSON_AddTrueToObject(names_taken, cn);
                free(cn);
            }
            free(fn);
        }
    }
    cJSON *order = cJSON_AddArrayToObject(model, "records"), *placed = cJSON_CreateObject();
    cJSON_ArrayForEach(r, records) order_record(model_by_usr, bj_str(r, "usr"), order, placed, 0);
    cJSON_Delete(placed);
    /* The model owns the records through this hidden array; "records" holds references in order. */
    cJSON_AddItemToObject(model, "_record_storage", records);

    /* Enums. */
    cJSON *enums = cJSON_AddArrayToObject(model, "enums"), *enums_by_usr = cJSON_AddObjectToObject(model, "enums_by_usr");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "enums"))
    {
        const char *usr = bj_str(it, "usr");
        if (!usr || !cJSON_GetObjectItemCaseSensitive(mb.want_enums, usr) || cJSON_GetObjectItemCaseSensitive(enums_by_usr, usr))
            continue;
        cJSON *e = cJSON_Duplicate(it, true);
        const char *tag = bj_str(e, "name");
        const char *alias = bj_str(typedef_of_usr, usr);
        const char *use = tag && *tag ? tag : alias;
        if (use) {
            char *n = both_ident(use);
            if (!cJSON_GetObjectItemCaseSensitive(names_taken, n)) {
                cJSON_AddStringToObject(e, "ename", n);
                cJSON_AddTrueToObject(names_taken, n);
            }
            free(n);
        }
        cJSON_AddStringToObject(e, "cname", use ? use : "(anonymous)");
        cJSON_AddItemToArray(enums, e);
        cJSON_AddItemReferenceToObject(enums_by_usr, usr, e);
    }

    /* Typedefs in header order, except those that only name a record or enum already named so. */
    cJSON *typedefs = cJSON_AddArrayToObject(model, "typedefs");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "typedefs"))
    {
        const char *name = bj_str(it, "name");
        if (!name || !cJSON_GetObjectItemCaseSensitive(mb.want_typedefs, name))
            continue;
        cJSON *td = cJSON_Duplicate(it, true);
        char *n = both_ident(name);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(td, "type");
        const char *k = bj_str(t, "k");
        const cJSON *target = k && strcmp(k, "record") == 0 ? cJSON_GetObjectItemCaseSensitive(model_by_usr, bj_str(t, "usr"))
                              : k && strcmp(k, "enum") == 0 ? cJSON_GetObjectItemCaseSensitive(enums_by_usr, bj_str(t, "usr"))
                                                            : NULL;
        const char *target_name = target ? (bj_str(target, "jname") ? bj_str(target, "jname") : bj_str(target, "ename")) : NULL;
        if (!(target_name && strcmp(target_name, n) == 0) && !cJSON_GetObjectItemCaseSensitive(names_taken, n)) {
            cJSON_AddStringToObject(td, "jname", n);
            cJSON_AddTrueToObject(names_taken, n);
        }
        free(n);
        /* A typedef of an enum is its integer type, and the enum's name stands for it. */
        cJSON_AddItemToArray(typedefs, td);
    }

    /* Constants from the headers' #defines, unless a function or type has the name. */
    cJSON *macros = cJSON_AddArrayToObject(model, "macros");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(decls, "macros"))
    {
        char *n = both_ident(bj_str(it, "name"));
        if (!cJSON_GetObjectItemCaseSensitive(names_taken, n) && !cJSON_GetObjectItemCaseSensitive(by_symbol, bj_str(it, "name")))
            cJSON_AddItemToArray(macros, cJSON_Duplicate(it, true));
        free(n);
    }
    cJSON_Delete(names_taken);
    cJSON_Delete(typedef_of_usr);
    cJSON_Delete(by_symbol);
    cJSON_Delete(vars_by_symbol);
    cJSON_Delete(mb.records_by_usr);
    cJSON_Delete(mb.enums_by_usr);
    cJSON_Delete(mb.typedefs_by_name);
    cJSON_Delete(mb.want_records);
    cJSON_Delete(mb.want_enums);
    cJSON_Delete(mb.want_typedefs);
    return model;
}

/* Counts per language, and why functions fell back, into result. */
static void summarize(cJSON *result, const cJSON *stats, const bindings_request *req, size_t exported)
{
    cJSON *f = cJSON_AddObjectToObject(result, "functions");
    cJSON_AddNumberToObject(f, "exported", (double)exported);
    const char *langs[] = {"julia", "python"};
    bool on[] = {req->julia, req->python};
    cJSON *reasons = cJSON_CreateObject();
    for (int l = 0; l < 2; l++) {
        if (!on[l])
            continue;
        int typed = 0, fallback = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, stats)
        {
            const char *v = bj_str(e, langs[l]);
            if (!v)
                continue;
            if (strcmp(v, "typed") == 0)
                typed++;
            else {
                fallback++;
                char key[160];
                snprintf(key, sizeof key, "%s", bj_str(e, l == 0 ? "julia_reason" : "python_reason"));
                cJSON *c = cJSON_GetObjectItemCaseSensitive(reasons, key);
                if (l == 0 || !on[0]) {
                    if (c)
                        cJSON_SetNumberValue(c, c->valuedouble + 1);
                    else
                        cJSON_AddNumberToObject(reasons, key, 1);
                }
            }
        }
        cJSON *lang = cJSON_AddObjectToObject(f, langs[l]);
        cJSON_AddNumberToObject(lang, "typed", typed);
        cJSON_AddNumberToObject(lang, "fallback", fallback);
    }
    cJSON_AddItemToObject(f, "fallback_reasons", reasons);
}

bindings_status bindings_wrap(const bindings_request *req, cJSON **result, char **reason)
{
    uint64_t t0 = clock_monotonic_ms();
    *reason = NULL;
    cJSON *res = cJSON_CreateObject();
    *result = res;
    cJSON_AddStringToObject(res, "library", req->binary_path);
    cJSON *warnings = cJSON_AddArrayToObject(res, "warnings");
    cJSON *diagnostics = cJSON_AddArrayToObject(res, "diagnostics");
    cJSON *files = cJSON_AddArrayToObject(res, "files");
    cJSON *timings = cJSON_AddObjectToObject(res, "timings_ms");
    char err[WRAP_REASON_MAX];
    if (!req->julia && !req->python) {
        *reason = xstrdup("no language to write (julia or python)");
        return BINDINGS_BAD_INPUT;
    }
    bindings_symbols syms;
    if (bindings_symbols_read(req->binary_path, &syms, err, sizeof err) != 0) {
        *reason = xstrdup(err);
        return BINDINGS_BAD_INPUT;
    }
    size_t nfunc = 0;
    for (size_t i = 0; i < syms.n; i++)
        nfunc += syms.v[i].is_function;
    wrap_log(req, "%s exports %zu functions and %zu data objects", req->binary_path, nfunc, syms.n - nfunc);
    uint64_t t1 = clock_monotonic_ms();
    cJSON_AddNumberToObject(timings, "symbols", (double)(t1 - t0));

    cJSON *decls = NULL;
    if (req->headers && req->headers->n) {
        for (size_t i = 0; i < req->headers->n; i++)
            if (!file_exists(req->headers->v[i])) {
                bindings_symbols_free(&syms);
                *reason = xasprintf("%s: no such header", req->headers->v[i]);
                return BINDINGS_BAD_INPUT;
            }
        char *parser = req->parser_path ? xstrdup(req->parser_path) : bindings_parser_path();
        if (!parser) {
            bindings_symbols_free(&syms);
            *reason = xstrdup("the header parser jmake-parse-headers is not installed beside jmake");
            return BINDINGS_PARSE_FAILED;
        }
        bool cxx = false;
        for (size_t i = 0; i < req->headers->n; i++)
            cxx |= is_cxx_header(req->headers->v[i]);
        headers_status hs = headers_parse(parser, req->headers, req->include_dirs, cxx ? "c++" : "c", req->cancel,
                                          req->timeout_ms, &decls, err, sizeof err);
        free(parser);
        if (hs != HEADERS_OK) {
            bindings_symbols_free(&syms);
            *reason = xstrdup(err);
            return hs == HEADERS_CANCELLED ? BINDINGS_CANCELLED : BINDINGS_PARSE_FAILED;
        }
        const cJSON *d;
        int nd = 0;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(decls, "diagnostics"))
        {
            cJSON_AddItemToArray(diagnostics, cJSON_CreateString(d->valuestring));
            wrap_log(req, "%s", d->valuestring);
            nd++;
        }
        if (nd)
            cJSON_AddItemToArray(warnings, cJSON_CreateString(
                                               nd == 1 ? "libclang reported 1 error in the headers (see diagnostics); "
                                                         "the declarations it could read are used"
                                                       : "libclang reported errors in the headers (see diagnostics); "
                                                         "the declarations it could read are used"));
    } else {
        cJSON_AddItemToArray(warnings, cJSON_CreateString("no headers given: every function has an unknown signature "
                                                          "(add them with --header or headers = [...])"));
    }
    uint64_t t2 = clock_monotonic_ms();
    cJSON_AddNumberToObject(timings, "headers", (double)(t2 - t1));
    if (req->cancel && atomic_load(req->cancel)) {
        cJSON_Delete(decls);
        bindings_symbols_free(&syms);
        *reason = xstrdup("cancelled");
        return BINDINGS_CANCELLED;
    }

    char *module = req->module_name && *req->module_name ? typemap_julia_ident(req->module_name)
                                                         : default_module_name(req->binary_path);
    cJSON_AddStringToObject(res, "module", module);
    cJSON *model = build_model(req, module, &syms, decls, res);
    cJSON *stats = cJSON_CreateArray();
    char *jl = req->julia ? julia_generate(model, req->type_mappings, stats) : NULL;
    char *py = req->python ? python_generate(model, req->type_mappings, stats) : NULL;
    summarize(res, stats, req, nfunc);
    cJSON_AddNumberToObject(res, "data_objects", (double)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "data")));
    cJSON_AddNumberToObject(res, "structs", (double)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "records")));
    cJSON_AddNumberToObject(res, "enums", (double)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "enums")));
    cJSON_AddNumberToObject(res, "constants", (double)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "macros")));
    cJSON_Delete(stats);
    cJSON_Delete(model);
    cJSON_Delete(decls);
    bindings_symbols_free(&syms);

    /* Both texts exist before either file is touched; each file is replaced by rename. */
    bindings_status status = BINDINGS_OK;
    char *jl_path = NULL, *py_path = NULL;
    if (jl) {
        char *file = xasprintf("%s.jl", module);
        jl_path = path_join(req->julia_dir, file);
        free(file);
    }
    if (py) {
        char *low = lower(module);
        char *file = xasprintf("%s.py", low);
        free(low);
        py_path = path_join(req->python_dir, file);
        free(file);
    }
    const char *paths[] = {jl_path, py_path};
    const char *texts[] = {jl, py};
    for (int i = 0; i < 2 && status == BINDINGS_OK; i++) {
        if (!texts[i])
            continue;
        char *dir = path_dirname(paths[i]);
        int rc = mkdir_p(dir, 0755);
        free(dir);
        if (rc == 0)
            rc = write_file_atomic(paths[i], texts[i], strlen(texts[i]), 0644);
        if (rc != 0) {
            *reason = xasprintf("cannot write %s: %s", paths[i], strerror(-rc));
            status = BINDINGS_IO_ERROR;
            break;
        }
        cJSON_AddItemToArray(files, cJSON_CreateString(paths[i]));
        wrap_log(req, "wrote %s", paths[i]);
    }
    free(jl);
    free(py);
    free(jl_path);
    free(py_path);
    free(module);
    cJSON_AddNumberToObject(timings, "generate", (double)(clock_monotonic_ms() - t2));
    cJSON_AddNumberToObject(timings, "total", (double)(clock_monotonic_ms() - t0));
    return status;
}

/* ---- the compilation job's last step ---- */

typedef struct header_walk {
    strvec *headers;
} header_walk;

static walk_action collect_header(const walk_entry *e, void *ctx)
{
    header_walk *hw = ctx;
    if (e->kind != WALK_FILE)
        return WALK_CONTINUE;
    const char *ext = path_extension(e->name);
    if (strcmp(ext, ".h") == 0 || is_cxx_header(e->name))
        strvec_push(hw->headers, e->path);
    return WALK_CONTINUE;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* [wrap.type_mappings] of the project file as JSON ({"T": {"julia": ..., "python": ...}}), or NULL. */
static cJSON *read_type_mappings(const toml_value *root)
{
    const toml_value *t = toml_get_path(root, "wrap.type_mappings");
    if (!t || t->type != TOML_TABLE)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; i < t->u.table.count; i++) {
        const toml_entry *e = &t->u.table.entries[i];
        if (e->value->type != TOML_TABLE)
            continue;
        cJSON *m = cJSON_AddObjectToObject(out, e->key);
        const toml_value *j = toml_table_get(e->value, "julia"), *p = toml_table_get(e->value, "python");
        if (j && j->type == TOML_STRING)
            cJSON_AddStringToObject(m, "julia", j->u.string.ptr);
        if (p && p->type == TOML_STRING)
            cJSON_AddStringToObject(m, "python", p->u.string.ptr);
    }
    return out;
}

bindings_status bindings_wrap_project(const char *config_path, const char *library_path, atomic_int *cancel,
                                      const char *log_path, cJSON **result, char **reason)
{
    *result = NULL;
    *reason = NULL;
    project_config p;
    diag_list diags = {0};
    if (project_load(config_path, &p, &diags) != 0) {
        diag_free(&diags);
        *reason = xasprintf("%s: cannot read the project's [wrap] section", config_path);
        return BINDINGS_BAD_INPUT;
    }
    diag_free(&diags);
    if (!p.wrap.enabled || p.output != PROJECT_SHARED) {
        project_free(&p);
        return BINDINGS_OK;
    }
    toml_error terr;
    toml_value *root = toml_parse_file(config_path, &terr);
    cJSON *mappings = root ? read_type_mappings(root) : NULL;
    /* An output_dir written in [wrap] holds both modules; by default Julia goes to
     * [paths] output (julia/) and Python to python/ beside it. */
    bool explicit_dir = root && toml_get_path(root, "wrap.output_dir");
    toml_free(root);
    strvec headers = {0};
    header_walk hw = {&headers};
    for (size_t i = 0; i < p.include_dirs.n; i++)
        walk_tree(p.include_dirs.v[i], NULL, collect_header, &hw);
    if (headers.n)
        qsort(headers.v, headers.n, sizeof *headers.v, cmp_str);
    char *python_dir = explicit_dir ? xstrdup(p.wrap.output_dir) : path_join(p.root, "python");
    bindings_request req = {
        .binary_path = library_path,
        .headers = &headers,
        .include_dirs = &p.include_dirs,
        .module_name = p.wrap.module_name,
        .julia = strvec_contains(&p.wrap.languages, "julia"),
        .python = strvec_contains(&p.wrap.languages, "python"),
        .julia_dir = p.wrap.output_dir,
        .python_dir = python_dir,
        .type_mappings = mappings,
        .cancel = cancel,
        .log_path = log_path,
    };
    bindings_status st = bindings_wrap(&req, result, reason);
    free(python_dir);
    cJSON_Delete(mappings);
    strvec_free(&headers);
    project_free(&p);
    return st;
}
