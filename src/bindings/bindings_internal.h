/* bindings_internal.h - what the modules of the bindings layer share: a string builder, symbols, the header parser, the type map, the generators. */
#ifndef JMAKE_BINDINGS_INTERNAL_H
#define JMAKE_BINDINGS_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* ---- A growable string (generated source text) ---- */
typedef struct sbuf {
    char *p;        /* owned, NUL-terminated once anything was added */
    size_t len, cap;
} sbuf;
void sbuf_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_adds(sbuf *b, const char *s);
/* The text (caller frees; "" for an empty buffer); b is empty afterwards. */
char *sbuf_take(sbuf *b);
void sbuf_free(sbuf *b);
/* Appends decl's C declaration ("int f(const char *name, ...)"), for docstrings. */
void bindings_c_signature(sbuf *b, const cJSON *decl);

/* The string member key of a declarations JSON object, or NULL. Borrowed. */
static inline const char *bj_str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* ---- Exported symbols (symbols.c) ---- */
typedef struct bindings_symbol {
    char *name;         /* owned: as the dynamic linker sees it */
    char *version;      /* owned, or NULL */
    char *demangled;    /* owned: the C++ name, or NULL for a C name */
    bool default_version;
    bool is_function;   /* else a data object */
} bindings_symbol;

typedef struct bindings_symbols {
    bindings_symbol *v; /* owned; one entry per name (its default version first) */
    size_t n;
} bindings_symbols;

/* Reads path's exported functions and data objects. Returns 0, or -1 with err filled. */
int bindings_symbols_read(const char *path, bindings_symbols *out, char *err, size_t errsize);
void bindings_symbols_free(bindings_symbols *syms);
/* The C++ name of a mangled one (caller frees), or NULL when name is not mangled. */
char *bindings_demangle(const char *name);

/* ---- Headers through the parser child (headers.c) ---- */
typedef enum headers_status {
    HEADERS_OK,         /* *decls set (it may carry diagnostics) */
    HEADERS_FAILED,     /* the parser could not start, crashed or printed no declarations */
    HEADERS_CANCELLED,  /* *cancel was set, or timeout_ms passed */
} headers_status;

/* Runs parser (borrowed path) on headers with include_dirs as -I. lang is "c"
 * or "c++". *decls gets the parser's JSON (caller deletes). On failure err
 * holds one line (with the parser's own last words). */
headers_status headers_parse(const char *parser, const strvec *headers, const strvec *include_dirs,
                             const char *lang, atomic_int *cancel, int timeout_ms, cJSON **decls, char *err,
                             size_t errsize);

/* ---- The type map (typemap.c) ---- */
typedef enum typemap_use {
    TYPEMAP_ARG,    /* a function's parameter */
    TYPEMAP_RET,    /* a function's return type */
    TYPEMAP_FIELD,  /* a struct field or the right-hand side of a typedef */
} typemap_use;

/* What the mapping looks names up in; every member borrowed from the model. */
typedef struct typemap_ctx {
    const cJSON *records;   /* usr -> model record {"jname", "layout", ...} */
    const cJSON *enums;     /* usr -> model enum {"ename"} */
    const cJSON *overrides; /* C type name -> {"julia": "...", "python": "..."}; may be NULL */
    cJSON *defined;         /* names the generator has written so far (it adds to it) */
} typemap_ctx;

/* The Julia / ctypes spelling of type (a parser type node) for use: a new
 * string (caller frees), or NULL with *why set to a static reason. */
char *typemap_julia(const typemap_ctx *cx, const cJSON *type, typemap_use use, const char **why);
char *typemap_python(const typemap_ctx *cx, const cJSON *type, typemap_use use, const char **why);
/* The ctypes spelling of a standard C typedef (size_t -> ctypes.c_size_t), or NULL. Static. */
const char *typemap_python_std(const char *typedef_name);
/* Names a generator must not use as identifiers get a trailing underscore. Caller frees. */
char *typemap_julia_ident(const char *name);
char *typemap_python_ident(const char *name);

/* ---- The generators (julia_gen.c, python_gen.c) ----
 * model (borrowed; they note per-language layout verdicts in it): what wrap.c
 * decided to write (docs/BINDINGS.md, "The model"). The
 * text of the module comes back (caller frees); stats gets per-function
 * "typed"/"fallback" reasons added. */
char *julia_generate(cJSON *model, const cJSON *overrides, cJSON *stats);
char *python_generate(cJSON *model, const cJSON *overrides, cJSON *stats);

#endif
