/* typemap.c - C types (as the header parser describes them) to Julia and ctypes spellings, with [wrap.type_mappings] overrides. */
#include <stdlib.h>
#include <string.h>

#include "bindings_internal.h"

typedef struct scalar_names {
    const char *c, *julia, *python;
} scalar_names;

/* Builtin types by their canonical C spelling. NULL: no equivalent. */
static const scalar_names scalars[] = {
    {"_Bool", "Bool", "ctypes.c_bool"},
    {"char", "Cchar", "ctypes.c_char"},
    {"signed char", "Int8", "ctypes.c_byte"},
    {"unsigned char", "Cuchar", "ctypes.c_ubyte"},
    {"short", "Cshort", "ctypes.c_short"},
    {"unsigned short", "Cushort", "ctypes.c_ushort"},
    {"int", "Cint", "ctypes.c_int"},
    {"unsigned int", "Cuint", "ctypes.c_uint"},
    {"long", "Clong", "ctypes.c_long"},
    {"unsigned long", "Culong", "ctypes.c_ulong"},
    {"long long", "Clonglong", "ctypes.c_longlong"},
    {"unsigned long long", "Culonglong", "ctypes.c_ulonglong"},
    {"float", "Cfloat", "ctypes.c_float"},
    {"double", "Cdouble", "ctypes.c_double"},
    {"long double", NULL, "ctypes.c_longdouble"},
    {"wchar_t", "Cwchar_t", "ctypes.c_wchar"},
    {"char16_t", "UInt16", "ctypes.c_uint16"},
    {"char32_t", "UInt32", "ctypes.c_uint32"},
    {"__int128", NULL, NULL},
    {"unsigned __int128", NULL, NULL},
    {NULL, NULL, NULL},
};

/* Standard typedefs whose names both languages already have: mapped by name,
 * so size_t stays Csize_t rather than becoming Culong. */
static const scalar_names std_typedefs[] = {
    {"size_t", "Csize_t", "ctypes.c_size_t"},
    {"ssize_t", "Cssize_t", "ctypes.c_ssize_t"},
    {"ptrdiff_t", "Cptrdiff_t", "ctypes.c_ssize_t"},
    {"intptr_t", "Int", "ctypes.c_ssize_t"},
    {"uintptr_t", "UInt", "ctypes.c_size_t"},
    {"int8_t", "Int8", "ctypes.c_int8"},
    {"int16_t", "Int16", "ctypes.c_int16"},
    {"int32_t", "Int32", "ctypes.c_int32"},
    {"int64_t", "Int64", "ctypes.c_int64"},
    {"uint8_t", "UInt8", "ctypes.c_uint8"},
    {"uint16_t", "UInt16", "ctypes.c_uint16"},
    {"uint32_t", "UInt32", "ctypes.c_uint32"},
    {"uint64_t", "UInt64", "ctypes.c_uint64"},
    {"wchar_t", "Cwchar_t", "ctypes.c_wchar"},
    {"intmax_t", "Cintmax_t", "ctypes.c_int64"},
    {"uintmax_t", "Cuintmax_t", "ctypes.c_uint64"},
    {"off_t", "Clong", "ctypes.c_long"},
    {NULL, NULL, NULL},
};

static const scalar_names *find_scalar(const scalar_names *table, const char *c)
{
    for (const scalar_names *s = table; c && s->c; s++)
        if (strcmp(s->c, c) == 0)
            return s;
    return NULL;
}

const char *typemap_python_std(const char *typedef_name)
{
    const scalar_names *s = find_scalar(std_typedefs, typedef_name);
    return s ? s->python : NULL;
}


static bool is_char_like(const cJSON *t)
{
    const char *k = bj_str(t, "k"), *base = bj_str(t, "base");
    return k && base && strcmp(k, "int") == 0 &&
           (strcmp(base, "char") == 0 || strcmp(base, "signed char") == 0 || strcmp(base, "unsigned char") == 0);
}

/* An override for the type's typedef name or its spelling ("struct foo *"), for lang. */
static const char *override_for(const typemap_ctx *cx, const cJSON *t, const char *lang)
{
    if (!cx->overrides)
        return NULL;
    const char *names[] = {bj_str(t, "typedef"), bj_str(t, "c")};
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(cx->overrides, names[i]);
        const char *v = bj_str(o, lang);
        if (v)
            return v;
    }
    return NULL;
}

static bool defined(const typemap_ctx *cx, const char *name)
{
    return name && cx->defined && cJSON_GetObjectItemCaseSensitive(cx->defined, name);
}

/* ---- Julia ---- */

/* An array type, for either language (map is typemap_julia or typemap_python):
   a parameter or result is passed as a pointer to its element type; a struct
   field is the element type n times (NTuple{n, T} in Julia, T * n in ctypes). */
static char *map_array(const typemap_ctx *cx, const cJSON *t, typemap_use use, const char **why,
                       char *(*map)(const typemap_ctx *, const cJSON *, typemap_use, const char **), bool julia)
{
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "of");
    int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "n"));
    if (use != TYPEMAP_FIELD) {
        cJSON *as_ptr = cJSON_CreateObject();
        cJSON_AddStringToObject(as_ptr, "k", "ptr");
        cJSON_AddItemToObject(as_ptr, "to", cJSON_Duplicate(of, true));
        char *out = map(cx, as_ptr, use, why);
        cJSON_Delete(as_ptr);
        return out;
    }
    if (n <= 0) {
        *why = "a flexible array member";
        return NULL;
    }
    char *inner = map(cx, of, TYPEMAP_FIELD, why);
    if (!inner)
        return NULL;
    char *out = julia ? xasprintf("NTuple{%d, %s}", n, inner) : xasprintf("(%s * %d)", inner, n);
    free(inner);
    return out;
}

char *typemap_julia(const typemap_ctx *cx, const cJSON *t, typemap_use use, const char **why)
{
    const char *ov = override_for(cx, t, "julia");
    if (ov)
        return xstrdup(ov);
    const char *k = bj_str(t, "k"), *td = bj_str(t, "typedef");
    if (!k) {
        *why = "the header parser gave no type";
        return NULL;
    }
    const scalar_names *std = find_scalar(std_typedefs, td);
    if (std && std->julia)
        return xstrdup(std->julia);
    /* A typedef the module defines is used by name (Ptr{Bytef}, uLong). */
    if (td && defined(cx, td) && strcmp(k, "record") != 0)
        return xstrdup(td);
    if (strcmp(k, "void") == 0)
        return xstrdup("Cvoid");
    if (strcmp(k, "int") == 0 || strcmp(k, "float") == 0) {
        const scalar_names *s = find_scalar(scalars, bj_str(t, "base"));
        if (!s || !s->julia) {
            *why = "a scalar type Julia has no C equivalent for (long double, __int128)";
            return NULL;
        }
        return xstrdup(s->julia);
    }
    if (strcmp(k, "enum") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(cx->enums, bj_str(t, "usr"));
        const char *name = bj_str(e, "ename");
        if (name && defined(cx, name))
            return xstrdup(name);
        return typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(t, "int"), use, why);
    }
    if (strcmp(k, "ptr") == 0) {
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(t, "to");
        const char *tk = bj_str(to, "k");
        if (!tk || strcmp(tk, "void") == 0 || strcmp(tk, "func") == 0)
            return xstrdup("Ptr{Cvoid}");
        if (use == TYPEMAP_ARG && is_char_like(to) && strcmp(bj_str(to, "base"), "char") == 0 &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(to, "const")) && !bj_str(to, "typedef"))
            return xstrdup("Cstring");
        if (strcmp(tk, "record") == 0) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(cx->records, bj_str(to, "usr"));
            const char *name = bj_str(r, "jname");
            /* A struct not yet written (a later one, or one of a cycle) cannot be named yet. */
            if (name && (defined(cx, name) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "jl_self"))))
                return xasprintf("Ptr{%s}", name);
            return xstrdup("Ptr{Cvoid}");
        }
        const char *inner_why = NULL;
        char *inner = typemap_julia(cx, to, TYPEMAP_FIELD, &inner_why);
        if (!inner)
            return xstrdup("Ptr{Cvoid}");
        char *out = xasprintf("Ptr{%s}", inner);
        free(inner);
        return out;
    }
    if (strcmp(k, "array") == 0)
        return map_array(cx, t, use, why, typemap_julia, true);
    if (strcmp(k, "record") == 0) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(cx->records, bj_str(t, "usr"));
        const char *name = bj_str(r, "jname");
        if (!name || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "jl_layout"))) {
            *why = "a struct or union by value whose layout is not known (opaque, bit-fields or packed)";
            return NULL;
        }
        if (!defined(cx, name)) {
            *why = "a struct by value that is defined after its use";
            return NULL;
        }
        return xstrdup(name);
    }
    if (strcmp(k, "func") == 0) {
        *why = "a function type outside a pointer";
        return NULL;
    }
    *why = "a type with no Julia equivalent (vector, complex or C++ class)";
    return NULL;
}

/* ---- ctypes ---- */

/* A ctypes CFUNCTYPE for a function type, or NULL. */
static char *python_functype(const typemap_ctx *cx, const cJSON *fn, const char **why)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fn, "variadic"))) {
        *why = "a variadic callback";
        return NULL;
    }
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive(fn, "ret");
    char *r = strcmp(bj_str(ret, "k") ? bj_str(ret, "k") : "", "void") == 0 ? xstrdup("None")
                                                                     : typemap_python(cx, ret, TYPEMAP_FIELD, why);
    if (!r)
        return NULL;
    sbuf b = {0};
    sbuf_addf(&b, "ctypes.CFUNCTYPE(%s", r);
    free(r);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(fn, "params"))
    {
        char *a = typemap_python(cx, p, TYPEMAP_FIELD, why);
        if (!a) {
            sbuf_free(&b);
            return NULL;
        }
        sbuf_addf(&b, ", %s", a);
        free(a);
    }
    sbuf_adds(&b, ")");
    return sbuf_take(&b);
}

char *typemap_python(const typemap_ctx *cx, const cJSON *t, typemap_use use, const char **why)
{
    const char *ov = override_for(cx, t, "python");
    if (ov)
        return xstrdup(ov);
    const char *k = bj_str(t, "k"), *td = bj_str(t, "typedef");
    if (!k) {
        *why = "the header parser gave no type";
        return NULL;
    }
    const scalar_names *std = find_scalar(std_typedefs, td);
    if (std && std->python && (strcmp(k, "int") == 0 || strcmp(k, "float") == 0))
        return xstrdup(std->python);
    bool char_ptr_typedef = strcmp(k, "ptr") == 0 && is_char_like(cJSON_GetObjectItemCaseSensitive(t, "to"));
    if (td && defined(cx, td) && strcmp(k, "record") != 0 && !(use == TYPEMAP_ARG && char_ptr_typedef) &&
        !(use == TYPEMAP_ARG && strcmp(k, "ptr") == 0 &&
          strcmp(bj_str(cJSON_GetObjectItemCaseSensitive(t, "to"), "k") ? bj_str(cJSON_GetObjectItemCaseSensitive(t, "to"), "k") : "", "void") == 0))
        return xstrdup(td);
    if (strcmp(k, "void") == 0)
        return xstrdup(use == TYPEMAP_RET ? "None" : "ctypes.c_void_p");
    if (strcmp(k, "int") == 0 || strcmp(k, "float") == 0) {
        const scalar_names *s = find_scalar(scalars, bj_str(t, "base"));
        if (!s || !s->python) {
            *why = "a scalar type ctypes has no equivalent for (__int128)";
            return NULL;
        }
        return xstrdup(s->python);
    }
    if (strcmp(k, "enum") == 0) {
        /* IntEnum classes are for users; the C value travels as its integer type. */
        return typemap_python(cx, cJSON_GetObjectItemCaseSensitive(t, "int"), use, why);
    }
    if (strcmp(k, "ptr") == 0) {
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(t, "to");
        const char *tk = bj_str(to, "k");
        if (!tk || strcmp(tk, "void") == 0)
            return xstrdup(use == TYPEMAP_ARG ? "_VoidPointer" : "ctypes.c_void_p");
        if (strcmp(tk, "func") == 0) {
            const char *fwhy = NULL;
            char *f = python_functype(cx, to, &fwhy);
            return f ? f : xstrdup("ctypes.c_void_p");
        }
        if (is_char_like(to)) {
            if (use == TYPEMAP_ARG)
                return xstrdup("_CharPointer");
            if (strcmp(bj_str(to, "base"), "char") == 0)
                return xstrdup("ctypes.c_char_p");
        }
        if (strcmp(tk, "record") == 0) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(cx->records, bj_str(to, "usr"));
            const char *name = bj_str(r, "jname");
            return name ? xasprintf("ctypes.POINTER(%s)", name) : xstrdup("ctypes.c_void_p");
        }
        const char *inner_why = NULL;
        char *inner = typemap_python(cx, to, TYPEMAP_FIELD, &inner_why);
        if (!inner)
            return xstrdup(use == TYPEMAP_ARG ? "_VoidPointer" : "ctypes.c_void_p");
        const char *ik = bj_str(to, "k");
        bool scalar = ik && (strcmp(ik, "int") == 0 || strcmp(ik, "float") == 0 || strcmp(ik, "enum") == 0);
        char *out = use == TYPEMAP_ARG && scalar ? xasprintf("_pointer_to(%s)", inner)
                                                 : xasprintf("ctypes.POINTER(%s)", inner);
        free(inner);
        return out;
    }
    if (strcmp(k, "array") == 0)
        return map_array(cx, t, use, why, typemap_python, false);
    if (strcmp(k, "record") == 0) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(cx->records, bj_str(t, "usr"));
        const char *name = bj_str(r, "jname");
        if (!name || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "py_layout"))) {
            *why = "a struct or union by value whose layout is not known (opaque, bit-fields or packed)";
            return NULL;
        }
        return xstrdup(name);
    }
    if (strcmp(k, "func") == 0)
        return python_functype(cx, t, why);
    *why = "a type with no ctypes equivalent (vector, complex or C++ class)";
    return NULL;
}

/* ---- identifiers ---- */

static const char *const julia_reserved[] = {
    "baremodule", "begin", "break", "catch", "const", "continue", "do", "else", "elseif", "end", "export",
    "false", "finally", "for", "function", "global", "if", "import", "let", "local", "macro", "module",
    "quote", "return", "struct", "true", "try", "using", "while", "abstract", "primitive", "mutable",
    "where", "in", "isa", "outer", "ccall", "Base", "Core", "Libdl", "new", NULL};
static const char *const python_reserved[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "ctypes", "enum", NULL};

static char *sanitized(const char *name, const char *const *reserved)
{
    if (!name || !*name)
        return xstrdup("_");
    char *out = xmalloc(strlen(name) + 3);
    size_t n = 0;
    if (name[0] >= '0' && name[0] <= '9')
        out[n++] = '_';
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    for (int i = 0; reserved[i]; i++)
        if (strcmp(reserved[i], out) == 0) {
            out[n++] = '_';
            out[n] = '\0';
            break;
        }
    return out;
}

char *typemap_julia_ident(const char *name) { return sanitized(name, julia_reserved); }
char *typemap_python_ident(const char *name) { return sanitized(name, python_reserved); }
