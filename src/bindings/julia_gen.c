/* julia_gen.c - the Julia module: the library path as a constant, an __init__ that loads it, structs, constants and one ccall wrapper with a docstring per function. */
#include <stdlib.h>
#include <string.h>

#include "bindings_internal.h"


/* Text inside a Julia """ docstring: $ and \ are special, """ would end it.
 * $ is written \u0024, not \$: both mean "$" to Julia, but tree-sitter-julia
 * 0.23 mis-reads \$ before a quote ("\$AAA"), and the tests parse with it. */
static void add_doc_text(sbuf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '$')
            sbuf_adds(b, "\\u0024");
        else if (*p == '\\')
            sbuf_adds(b, "\\\\");
        else if (*p == '"' && p[1] == '"' && p[2] == '"') {
            sbuf_adds(b, "\\\"\\\"\\\"");
            p += 2;
        } else
            sbuf_addf(b, "%c", *p);
    }
}

/* A Julia string literal's contents. */
static void add_string_literal(sbuf *b, const char *text)
{
    sbuf_adds(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_addf(b, "\\%c", *p);
        else if (*p == '$')
            sbuf_adds(b, "\\u0024");
        else if (*p == '\n')
            sbuf_adds(b, "\\n");
        else if (*p < 0x20 || *p == 0x7f)
            sbuf_addf(b, "\\x%02x", *p);
        else
            sbuf_addf(b, "%c", *p);
    }
    sbuf_adds(b, "\"");
}

static void mark_defined(typemap_ctx *cx, const char *name)
{
    if (!cJSON_GetObjectItemCaseSensitive(cx->defined, name))
        cJSON_AddTrueToObject(cx->defined, name);
}

static bool mentions_record(const cJSON *t)
{
    if (!t)
        return false;
    const char *k = bj_str(t, "k");
    if (k && strcmp(k, "record") == 0)
        return true;
    return mentions_record(cJSON_GetObjectItemCaseSensitive(t, "to")) ||
           mentions_record(cJSON_GetObjectItemCaseSensitive(t, "of"));
}

static void emit_typedef(sbuf *b, typemap_ctx *cx, const cJSON *td)
{
    const char *name = bj_str(td, "jname");
    if (!name || cJSON_GetObjectItemCaseSensitive(cx->defined, name))
        return;
    const char *why = NULL;
    char *rhs = typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(td, "type"), TYPEMAP_FIELD, &why);
    if (!rhs)
        return;
    if (strcmp(rhs, name) != 0) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(td, "type");
        const char *k = bj_str(t, "k");
        if (k && strcmp(k, "ptr") == 0 && strcmp(bj_str(cJSON_GetObjectItemCaseSensitive(t, "to"), "k") ? bj_str(cJSON_GetObjectItemCaseSensitive(t, "to"), "k") : "", "func") == 0)
            sbuf_addf(b, "# callback: %s\n", bj_str(t, "c") ? bj_str(t, "c") : "");
        sbuf_addf(b, "const %s = %s\n", name, rhs);
        mark_defined(cx, name);
    }
    free(rhs);
}

/* The unsigned integer of a union's alignment, for its storage. */
static const char *storage_word(int align)
{
    switch (align) {
    case 2: return "UInt16";
    case 4: return "UInt32";
    case 8: return "UInt64";
    case 16: return "UInt128";
    default: return "UInt8";
    }
}

static void emit_record(sbuf *b, typemap_ctx *cx, cJSON *r)
{
    const char *name = bj_str(r, "jname");
    if (!name)
        return;
    const char *doc = bj_str(r, "doc");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "jl_layout"))) {
        sbuf body = {0};
        bool ok = true;
        bool is_union = strcmp(bj_str(r, "kind"), "union") == 0;
        int size = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "size"));
        int align = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "align"));
        if (is_union) {
            /* Julia has no unions: storage of the union's size and alignment, read with reinterpret. */
            sbuf_addf(&body, "    data::NTuple{%d, %s}\n", size / (align > 0 ? align : 1), storage_word(align));
        } else {
            cJSON_AddTrueToObject(r, "jl_self");
            const cJSON *f;
            cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields"))
            {
                const char *why = NULL;
                char *t = typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(f, "type"), TYPEMAP_FIELD, &why);
                if (!t) {
                    ok = false;
                    break;
                }
                char *fname = typemap_julia_ident(bj_str(f, "fname"));
                sbuf_addf(&body, "    %s::%s\n", fname, t);
                free(fname);
                free(t);
            }
            cJSON_DeleteItemFromObject(r, "jl_self");
        }
        if (ok) {
            sbuf_adds(b, "\"\"\"\n");
            sbuf_addf(b, "    %s\n\n`%s %s`, %d bytes.", name, bj_str(r, "kind"), bj_str(r, "cname"), size);
            if (is_union)
                sbuf_adds(b, " A union: read a member with `reinterpret`.");
            if (doc) {
                sbuf_adds(b, "\n\n");
                add_doc_text(b, doc);
            }
            sbuf_addf(b, "\n\"\"\"\nstruct %s\n%send\n\n", name, body.p ? body.p : "");
            sbuf_free(&body);
            mark_defined(cx, name);
            return;
        }
        sbuf_free(&body);
        cJSON_ReplaceItemInObject(r, "jl_layout", cJSON_CreateFalse());
    }
    sbuf_addf(b, "# %s %s: layout not known here; used through pointers only.\nmutable struct %s end\n\n",
              bj_str(r, "kind"), bj_str(r, "cname"), name);
    mark_defined(cx, name);
}

static void emit_enum(sbuf *b, typemap_ctx *cx, const cJSON *e)
{
    const char *name = bj_str(e, "ename");
    const char *why = NULL;
    char *it = typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(e, "int"), TYPEMAP_FIELD, &why);
    if (!it)
        it = xstrdup("Cint");
    if (name) {
        sbuf_addf(b, "\"\"\"\n    %s\n\n`enum %s`: its constants follow.\n\"\"\"\nconst %s = %s\n", name,
                  bj_str(e, "cname"), name, it);
        mark_defined(cx, name);
    } else {
        sbuf_adds(b, "# anonymous enum\n");
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(e, "constants"))
    {
        char *kn = typemap_julia_ident(bj_str(k, "name"));
        if (!cJSON_GetObjectItemCaseSensitive(cx->defined, kn)) {
            sbuf_addf(b, "const %s = %s(%.0f)\n", kn, name ? name : it,
                      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(k, "value")));
            mark_defined(cx, kn);
        }
        free(kn);
    }
    sbuf_adds(b, "\n");
    free(it);
}

static void emit_unknown_function(sbuf *b, const cJSON *fn, const char *name, const char *reason)
{
    sbuf_adds(b, "\"\"\"\n");
    sbuf_addf(b, "    %s(ReturnType, Tuple{ArgTypes...}, args...)\n\n", name);
    sbuf_addf(b, "Unknown signature: `%s`", bj_str(fn, "symbol"));
    if (bj_str(fn, "demangled")) {
        sbuf_adds(b, " is the C++ function `");
        add_doc_text(b, bj_str(fn, "demangled"));
        sbuf_adds(b, "`");
    }
    sbuf_adds(b, " (");
    add_doc_text(b, reason);
    sbuf_addf(b, "). Give the types yourself, e.g. `%s(Cint, Tuple{Cdouble}, 1.0)`.\n\"\"\"\n", name);
    sbuf_addf(b, "%s(::Type{R}, ::Type{A}, args...) where {R, A<:Tuple} = _ccall_unknown(Val(:%s), R, A, args...)\n\n",
              name, bj_str(fn, "symbol"));
}

static void emit_function(sbuf *b, typemap_ctx *cx, const cJSON *fn, cJSON *stats)
{
    char *name = typemap_julia_ident(bj_str(fn, "name"));
    const cJSON *decl = cJSON_GetObjectItemCaseSensitive(fn, "decl");
    const char *why = bj_str(fn, "fallback");
    sbuf sig = {0}, call = {0}, names = {0};
    char *ret = NULL;
    if (decl && !why) {
        ret = typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(decl, "ret"), TYPEMAP_RET, &why);
        int i = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(decl, "params"))
        {
            if (!ret)
                break;
            const char *pwhy = NULL;
            char *t = typemap_julia(cx, cJSON_GetObjectItemCaseSensitive(p, "type"), TYPEMAP_ARG, &pwhy);
            if (!t) {
                why = pwhy;
                break;
            }
            const char *pn = bj_str(p, "name");
            char *arg = pn && *pn ? typemap_julia_ident(pn) : xasprintf("arg%d", i + 1);
            sbuf_addf(&sig, "%s%s", i ? ", " : "", arg);
            sbuf_addf(&call, "%s%s", t, ",");
            sbuf_addf(&names, ", %s", arg);
            free(arg);
            free(t);
            i++;
        }
    } else if (!why) {
        why = "no header declares it";
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "symbol", bj_str(fn, "symbol"));
    if (decl && !why && ret) {
        sbuf_adds(b, "\"\"\"\n");
        sbuf_addf(b, "    %s(%s) -> %s\n\n`", name, sig.p ? sig.p : "", ret);
        sbuf cs = {0};
        bindings_c_signature(&cs, decl);
        add_doc_text(b, cs.p);
        sbuf_free(&cs);
        sbuf_adds(b, "`");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "variadic")))
            sbuf_adds(b, "\n\nVariadic: this wrapper passes the fixed arguments only; for more, write the ccall with `Ptr{Cvoid}...`-style varargs yourself.");
        const char *doc = bj_str(decl, "doc");
        if (doc) {
            sbuf_adds(b, "\n\n");
            add_doc_text(b, doc);
        }
        sbuf_adds(b, "\n\"\"\"\n");
        sbuf_addf(b, "function %s(%s)\n    ccall((:%s, LIBRARY_PATH), %s, (%s)%s)\nend\n\n", name, sig.p ? sig.p : "",
                  bj_str(fn, "symbol"), ret, call.p ? call.p : "", names.p ? names.p : "");
        cJSON_AddStringToObject(entry, "julia", "typed");
    } else {
        emit_unknown_function(b, fn, name, why ? why : "no header declares it");
        cJSON_AddStringToObject(entry, "julia", "fallback");
        cJSON_AddStringToObject(entry, "julia_reason", why ? why : "no header declares it");
    }
    cJSON_AddItemToArray(stats, entry);
    free(ret);
    free(name);
    sbuf_free(&sig);
    sbuf_free(&call);
    sbuf_free(&names);
}

char *julia_generate(cJSON *model, const cJSON *overrides, cJSON *stats)
{
    sbuf b = {0};
    typemap_ctx cx = {cJSON_GetObjectItemCaseSensitive(model, "records_by_usr"),
                      cJSON_GetObjectItemCaseSensitive(model, "enums_by_usr"), overrides, cJSON_CreateObject()};
    const char *module = bj_str(model, "module");
    sbuf_addf(&b, "# %s.jl - Julia bindings of %s, generated by `jmake wrap`; do not edit.\n\n", module,
              bj_str(model, "library_name"));
    sbuf_adds(&b, "\"\"\"\n");
    sbuf_addf(&b, "    %s\n\n`ccall` wrappers of `", module);
    add_doc_text(&b, bj_str(model, "library"));
    sbuf_adds(&b, "`");
    const cJSON *h;
    int nh = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(model, "headers"))
    {
        sbuf_adds(&b, nh++ ? ", `" : ", declared in `");
        add_doc_text(&b, h->valuestring);
        sbuf_adds(&b, "`");
    }
    sbuf_adds(&b, ".");
    if (nh == 0)
        sbuf_adds(&b, "\n\nNo headers were given, so every function has an unknown signature. Add them with\n"
                      "`jmake wrap LIB.so --header H` (or `headers = [...]` in the job) for typed wrappers.");
    sbuf_adds(&b, "\n\"\"\"\n");
    sbuf_addf(&b, "module %s\n\nusing Libdl\n\n\"The library these functions are called in.\"\nconst LIBRARY_PATH = ", module);
    add_string_literal(&b, bj_str(model, "library"));
    sbuf_adds(&b, "\n\nfunction __init__()\n"
                  "    # Fails here, at `using`, rather than at the first call.\n"
                  "    Libdl.dlopen(LIBRARY_PATH) == C_NULL && error(\"cannot load \" * LIBRARY_PATH)\n"
                  "    nothing\nend\n\n");
    sbuf_adds(&b, "# A call whose types are given at the call site (functions no header declares).\n"
                  "@generated function _ccall_unknown(::Val{sym}, ::Type{R}, ::Type{A}, args...) where {sym, R, A<:Tuple}\n"
                  "    types = Expr(:tuple, A.parameters...)\n"
                  "    argv = [:(args[$i]) for i in 1:length(args)]\n"
                  "    return :(ccall(($(QuoteNode(sym)), LIBRARY_PATH), $R, $types, $(argv...)))\n"
                  "end\n\n");

    cJSON *records = cJSON_GetObjectItemCaseSensitive(model, "records");
    cJSON *r;
    /* Opaque ones first: any struct or typedef may point to them. */
    cJSON_ArrayForEach(r, records) if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "jl_layout")))
        emit_record(&b, &cx, r);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(model, "enums")) emit_enum(&b, &cx, e);
    const cJSON *typedefs = cJSON_GetObjectItemCaseSensitive(model, "typedefs"), *td;
    cJSON_ArrayForEach(td, typedefs) if (!mentions_record(cJSON_GetObjectItemCaseSensitive(td, "type")))
        emit_typedef(&b, &cx, td);
    sbuf_adds(&b, "\n");
    cJSON_ArrayForEach(r, records) if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "jl_layout")))
    {
        emit_record(&b, &cx, r);
        /* Its typedefs right after it, so later structs can use them. */
        cJSON_ArrayForEach(td, typedefs) if (mentions_record(cJSON_GetObjectItemCaseSensitive(td, "type")))
            emit_typedef(&b, &cx, td);
    }
    cJSON_ArrayForEach(td, typedefs) emit_typedef(&b, &cx, td);
    sbuf_adds(&b, "\n");

    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(model, "macros"))
    {
        char *mn = typemap_julia_ident(bj_str(m, "name"));
        if (!cJSON_GetObjectItemCaseSensitive(cx.defined, mn)) {
            if (bj_str(m, "str")) {
                sbuf_addf(&b, "const %s = ", mn);
                add_string_literal(&b, bj_str(m, "str"));
                sbuf_adds(&b, "\n");
            } else {
                double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "int"));
                sbuf_addf(&b, "const %s = %.0f\n", mn, v);
            }
            mark_defined(&cx, mn);
        }
        free(mn);
    }
    sbuf_adds(&b, "\n");

    const cJSON *fn;
    cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(model, "functions")) emit_function(&b, &cx, fn, stats);

    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(model, "data"))
    {
        char *dn = typemap_julia_ident(bj_str(d, "name"));
        sbuf_addf(&b, "\"The address of the exported data object `%s`.\"\n%s_ptr() = cglobal((:%s, LIBRARY_PATH))\n\n", bj_str(d, "symbol"),
                  dn, bj_str(d, "symbol"));
        free(dn);
    }
    sbuf_addf(&b, "end # module %s\n", module);
    cJSON_Delete(cx.defined);
    return sbuf_take(&b);
}
