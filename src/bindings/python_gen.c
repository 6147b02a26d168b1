/* python_gen.c - the Python module: ctypes Structures, IntEnums, constants, and every function with argtypes, restype and a docstring. */
#include <stdlib.h>
#include <string.h>

#include "bindings_internal.h"


/* A Python string literal (double-quoted, escaped). */
static void add_literal(sbuf *b, const char *text)
{
    sbuf_adds(b, "\"");
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_addf(b, "\\%c", *p);
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

/* Written into every module: pointer parameters take what a Python user has. */
static const char runtime[] =
    "def _buffer_argument(obj):\n"
    "    \"\"\"A pointer argument from bytes, bytearray, str (UTF-8), a buffer, a ctypes object, an address or None.\"\"\"\n"
    "    if obj is None or isinstance(obj, (bytes, ctypes.c_char_p, ctypes.c_void_p, ctypes.Array, ctypes._Pointer)):\n"
    "        return obj\n"
    "    if isinstance(obj, str):\n"
    "        return obj.encode()\n"
    "    if isinstance(obj, int):\n"
    "        return ctypes.c_void_p(obj)\n"
    "    if isinstance(obj, ctypes._SimpleCData) or isinstance(obj, (ctypes.Structure, ctypes.Union)):\n"
    "        return ctypes.byref(obj)\n"
    "    if type(obj).__name__ == \"CArgObject\":  # ctypes.byref(...)\n"
    "        return obj\n"
    "    view = memoryview(obj)\n"
    "    if view.readonly:\n"
    "        return view.tobytes()\n"
    "    return (ctypes.c_char * view.nbytes).from_buffer(view.cast(\"B\"))\n"
    "\n\n"
    "class _CharPointer:\n"
    "    \"\"\"char *, unsigned char *, uint8_t * parameters: bytes, bytearray, str, buffers, ctypes arrays, None.\"\"\"\n"
    "\n"
    "    @classmethod\n"
    "    def from_param(cls, obj):\n"
    "        return _buffer_argument(obj)\n"
    "\n\n"
    "class _VoidPointer:\n"
    "    \"\"\"void * parameters: any pointer, buffer or ctypes object, an address, or None.\"\"\"\n"
    "\n"
    "    @classmethod\n"
    "    def from_param(cls, obj):\n"
    "        return _buffer_argument(obj)\n"
    "\n\n"
    "_POINTER_ARGUMENTS = {}\n"
    "\n\n"
    "def _pointer_to(ctype):\n"
    "    \"\"\"T * parameters: a ctypes array or pointer, a T (passed by reference), a list or tuple (copied in), or None.\"\"\"\n"
    "    if ctype in _POINTER_ARGUMENTS:\n"
    "        return _POINTER_ARGUMENTS[ctype]\n"
    "    pointer = ctypes.POINTER(ctype)\n"
    "\n"
    "    class _PointerArgument:\n"
    "        @classmethod\n"
    "        def from_param(cls, obj):\n"
    "            if obj is None:\n"
    "                return None\n"
    "            if isinstance(obj, (list, tuple)):\n"
    "                return (ctype * len(obj))(*obj)\n"
    "            if isinstance(obj, ctype):\n"
    "                return ctypes.byref(obj)\n"
    "            if isinstance(obj, (bytearray, memoryview)):\n"
    "                return ctypes.cast(_buffer_argument(obj), pointer)\n"
    "            return pointer.from_param(obj)\n"
    "\n"
    "    _PointerArgument.__name__ = \"pointer_to_\" + ctype.__name__\n"
    "    _POINTER_ARGUMENTS[ctype] = _PointerArgument\n"
    "    return _PointerArgument\n"
    "\n\n"
    "def _function(symbol, restype, argtypes, doc):\n"
    "    function = getattr(_lib, symbol)\n"
    "    function.restype = restype\n"
    "    function.argtypes = argtypes\n"
    "    function.__doc__ = doc\n"
    "    return function\n"
    "\n\n"
    "def _unknown_function(symbol, doc):\n"
    "    # ctypes' defaults: an int result, arguments converted as ints, bytes or None.\n"
    "    function = getattr(_lib, symbol)\n"
    "    function.__doc__ = doc\n"
    "    return function\n\n\n";

static void emit_record_fields(sbuf *b, typemap_ctx *cx, cJSON *r)
{
    const char *name = bj_str(r, "jname");
    if (!name || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "py_layout")))
        return;
    sbuf fields = {0}, anon = {0};
    const cJSON *f;
    bool ok = true;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "fields"))
    {
        const char *why = NULL;
        char *t = typemap_python(cx, cJSON_GetObjectItemCaseSensitive(f, "type"), TYPEMAP_FIELD, &why);
        if (!t) {
            ok = false;
            break;
        }
        sbuf_addf(&fields, "    (\"%s\", %s),\n", bj_str(f, "fname"), t);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "anonymous")))
            sbuf_addf(&anon, "\"%s\", ", bj_str(f, "fname"));
        free(t);
    }
    if (ok) {
        if (anon.p)
            sbuf_addf(b, "%s._anonymous_ = (%s)\n", name, anon.p);
        sbuf_addf(b, "%s._fields_ = [\n%s]\n", name, fields.p ? fields.p : "");
        mark_defined(cx, name);
    } else {
        sbuf_addf(b, "# %s stays opaque: a field has no ctypes type.\n", name);
        cJSON_ReplaceItemInObject(r, "py_layout", cJSON_CreateFalse());
    }
    sbuf_free(&fields);
    sbuf_free(&anon);
}

static void emit_function(sbuf *b, typemap_ctx *cx, const cJSON *fn, cJSON *stats)
{
    char *name = typemap_python_ident(bj_str(fn, "name"));
    const cJSON *decl = cJSON_GetObjectItemCaseSensitive(fn, "decl");
    const char *why = bj_str(fn, "fallback");
    sbuf args = {0};
    char *ret = NULL;
    if (decl && !why) {
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(decl, "ret");
        ret = typemap_python(cx, rt, TYPEMAP_RET, &why);
        const cJSON *p;
        int i = 0;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(decl, "params"))
        {
            if (!ret)
                break;
            const char *pwhy = NULL;
            char *t = typemap_python(cx, cJSON_GetObjectItemCaseSensitive(p, "type"), TYPEMAP_ARG, &pwhy);
            if (!t) {
                why = pwhy;
                break;
            }
            sbuf_addf(&args, "%s%s", i++ ? ", " : "", t);
            free(t);
        }
    } else if (!why) {
        why = "no header declares it";
    }
    cJSON *entry = NULL;
    cJSON *e;
    cJSON_ArrayForEach(e, stats) if (strcmp(bj_str(e, "symbol"), bj_str(fn, "symbol")) == 0) entry = e;
    if (!entry) {
        entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "symbol", bj_str(fn, "symbol"));
        cJSON_AddItemToArray(stats, entry);
    }
    sbuf doc = {0};
    if (decl && !why && ret) {
        sbuf cs = {0};
        bindings_c_signature(&cs, decl);
        sbuf_adds(&doc, cs.p);
        sbuf_free(&cs);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "variadic")))
            sbuf_adds(&doc, "\n\nVariadic: argtypes cover the fixed arguments; pass the rest as ctypes values.");
        if (bj_str(decl, "doc"))
            sbuf_addf(&doc, "\n\n%s", bj_str(decl, "doc"));
        sbuf_addf(b, "%s = _function(\"%s\", %s, [%s],\n    ", name, bj_str(fn, "symbol"), ret, args.p ? args.p : "");
        add_literal(b, doc.p);
        sbuf_adds(b, ")\n");
        cJSON_AddStringToObject(entry, "python", "typed");
    } else {
        sbuf_addf(&doc, "Unknown signature: %s", bj_str(fn, "symbol"));
        if (bj_str(fn, "demangled"))
            sbuf_addf(&doc, " is the C++ function %s", bj_str(fn, "demangled"));
        sbuf_addf(&doc, " (%s). Set restype and argtypes before calling it; headers give them: "
                        "jmake wrap LIB.so --header H.",
                  why ? why : "no header declares it");
        sbuf_addf(b, "%s = _unknown_function(\"%s\",\n    ", name, bj_str(fn, "symbol"));
        add_literal(b, doc.p);
        sbuf_adds(b, ")\n");
        cJSON_AddStringToObject(entry, "python", "fallback");
        cJSON_AddStringToObject(entry, "python_reason", why ? why : "no header declares it");
    }
    sbuf_free(&doc);
    sbuf_free(&args);
    free(ret);
    free(name);
}

char *python_generate(cJSON *model, const cJSON *overrides, cJSON *stats)
{
    sbuf b = {0};
    typemap_ctx cx = {cJSON_GetObjectItemCaseSensitive(model, "records_by_usr"),
                      cJSON_GetObjectItemCaseSensitive(model, "enums_by_usr"), overrides, cJSON_CreateObject()};
    sbuf_adds(&b, "\"\"\"ctypes bindings of ");
    sbuf_adds(&b, bj_str(model, "library_name"));
    sbuf_adds(&b, ", generated by `jmake wrap`; do not edit.\n\n");
    const cJSON *h;
    int nh = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(model, "headers")) sbuf_addf(&b, "%s%s", nh++ ? ", " : "Declarations from: ", h->valuestring);
    if (nh == 0)
        sbuf_adds(&b, "No headers were given, so every function has an unknown signature. Add them with\n"
                      "`jmake wrap LIB.so --header H` (or headers = [...] in the job) for typed wrappers.");
    sbuf_adds(&b, "\n\"\"\"\n\nimport ctypes\nimport enum\n\n");
    sbuf_adds(&b, "LIBRARY_PATH = ");
    add_literal(&b, bj_str(model, "library"));
    sbuf_adds(&b, "\n_lib = ctypes.CDLL(LIBRARY_PATH)\n\n\n");
    sbuf_adds(&b, runtime);

    cJSON *records = cJSON_GetObjectItemCaseSensitive(model, "records"), *r;
    sbuf_adds(&b, "# ---- structs and unions ----\n\n");
    cJSON_ArrayForEach(r, records)
    {
        const char *name = bj_str(r, "jname");
        if (!name)
            continue;
        bool is_union = strcmp(bj_str(r, "kind"), "union") == 0;
        bool layout = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "py_layout"));
        sbuf doc = {0};
        sbuf_addf(&doc, "%s %s", bj_str(r, "kind"), bj_str(r, "cname"));
        if (layout)
            sbuf_addf(&doc, ", %.0f bytes", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "size")));
        else
            sbuf_adds(&doc, ": opaque (its layout is not known); use it through pointers");
        if (bj_str(r, "doc"))
            sbuf_addf(&doc, "\n\n%s", bj_str(r, "doc"));
        sbuf_addf(&b, "class %s(ctypes.%s):\n    ", name, is_union ? "Union" : "Structure");
        add_literal(&b, doc.p);
        sbuf_adds(&b, "\n\n\n");
        sbuf_free(&doc);
        mark_defined(&cx, name);
    }
    sbuf_adds(&b, "# ---- typedefs ----\n\n");
    const cJSON *td;
    cJSON_ArrayForEach(td, cJSON_GetObjectItemCaseSensitive(model, "typedefs"))
    {
        const char *name = bj_str(td, "jname");
        if (!name || cJSON_GetObjectItemCaseSensitive(cx.defined, name) || typemap_python_std(name))
            continue;
        const char *why = NULL;
        char *rhs = typemap_python(&cx, cJSON_GetObjectItemCaseSensitive(td, "type"), TYPEMAP_FIELD, &why);
        if (rhs && strcmp(rhs, name) != 0) {
            sbuf_addf(&b, "%s = %s\n", name, rhs);
            mark_defined(&cx, name);
        }
        free(rhs);
    }
    sbuf_adds(&b, "\n# ---- struct fields (checked against the C compiler's sizes in _C_SIZES) ----\n\n");
    cJSON_ArrayForEach(r, records) emit_record_fields(&b, &cx, r);
    sbuf_adds(&b, "\n_C_SIZES = {\n");
    cJSON_ArrayForEach(r, records) if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "py_layout")))
        sbuf_addf(&b, "    \"%s\": %.0f,\n", bj_str(r, "jname"), cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "size")));
    sbuf_adds(&b, "}\n\n");

    sbuf_adds(&b, "# ---- enums and constants ----\n\n");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(model, "enums"))
    {
        const char *name = bj_str(e, "ename");
        const cJSON *k;
        if (name) {
            sbuf_addf(&b, "class %s(enum.IntEnum):\n    \"\"\"enum %s\"\"\"\n\n", name, bj_str(e, "cname"));
            cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(e, "constants"))
            {
                char *kn = typemap_python_ident(bj_str(k, "name"));
                sbuf_addf(&b, "    %s = %.0f\n", kn, cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(k, "value")));
                free(kn);
            }
            sbuf_adds(&b, "\n\n");
        }
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(e, "constants"))
        {
            char *kn = typemap_python_ident(bj_str(k, "name"));
            if (!cJSON_GetObjectItemCaseSensitive(cx.defined, kn)) {
                if (name)
                    sbuf_addf(&b, "%s = %s.%s\n", kn, name, kn);
                else
                    sbuf_addf(&b, "%s = %.0f\n", kn, cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(k, "value")));
                mark_defined(&cx, kn);
            }
            free(kn);
        }
        sbuf_adds(&b, "\n");
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(model, "macros"))
    {
        char *mn = typemap_python_ident(bj_str(m, "name"));
        if (!cJSON_GetObjectItemCaseSensitive(cx.defined, mn)) {
            if (bj_str(m, "str")) {
                sbuf_addf(&b, "%s = ", mn);
                add_literal(&b, bj_str(m, "str"));
                sbuf_adds(&b, "\n");
            } else {
                sbuf_addf(&b, "%s = %.0f\n", mn, cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "int")));
            }
            mark_defined(&cx, mn);
        }
        free(mn);
    }

    sbuf_adds(&b, "\n# ---- functions ----\n\n");
    const cJSON *fn;
    cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(model, "functions")) emit_function(&b, &cx, fn, stats);

    sbuf_adds(&b, "\n# ---- data objects ----\n\n");
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(model, "data"))
    {
        char *dn = typemap_python_ident(bj_str(d, "name"));
        const cJSON *decl = cJSON_GetObjectItemCaseSensitive(d, "decl");
        const char *why = NULL;
        char *t = decl ? typemap_python(&cx, cJSON_GetObjectItemCaseSensitive(decl, "type"), TYPEMAP_FIELD, &why) : NULL;
        if (t)
            sbuf_addf(&b, "%s = %s.in_dll(_lib, \"%s\")\n", dn, t, bj_str(d, "symbol"));
        else
            sbuf_addf(&b, "%s_address = ctypes.addressof(ctypes.c_char.in_dll(_lib, \"%s\"))\n", dn, bj_str(d, "symbol"));
        free(t);
        free(dn);
    }
    sbuf_adds(&b, "\n# C++ names of the mangled symbols above.\nCPP_NAMES = {\n");
    cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(model, "functions")) if (bj_str(fn, "demangled"))
    {
        sbuf_adds(&b, "    ");
        add_literal(&b, bj_str(fn, "demangled"));
        sbuf_addf(&b, ": \"%s\",\n", bj_str(fn, "symbol"));
    }
    sbuf_adds(&b, "}\n");
    cJSON_Delete(cx.defined);
    return sbuf_take(&b);
}
