/* parse_headers_main.c - jmake-parse-headers: reads C/C++ headers with libclang and prints their declarations as JSON. */
/*
 * Runs as a child of the build daemon (headers.c), so a libclang crash or hang
 * costs one job, never the daemon. Usage:
 *   jmake-parse-headers [--lang c|c++] [--output FILE] [-IDIR|-DNAME[=V]|-std=S]... HEADER...
 * Prints one JSON object on stdout (or into FILE, written whole or not at all) (docs/BINDINGS.md, "The declarations"):
 * functions, variables, typedefs, records, enums, macros and diagnostics.
 * Exit 0 when a translation unit was made (even with errors in it), 2 when not.
 */
#include <clang-c/Index.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_state {
    cJSON *root, *functions, *variables, *typedefs, *records, *enums, *macros;
    cJSON *seen_records;    /* USR -> index in records */
    cJSON *seen_enums;      /* USR -> true */
    char **headers;         /* realpaths of the headers asked for */
    int header_count;
} parse_state;

static parse_state st;

static char *take_string(CXString s)
{
    const char *c = clang_getCString(s);
    char *copy = strdup(c ? c : "");
    clang_disposeString(s);
    return copy;
}

static void add_cxstring(cJSON *obj, const char *key, CXString s)
{
    char *v = take_string(s);
    cJSON_AddStringToObject(obj, key, v);
    free(v);
}

/* The file a cursor was written in (realpath, caller frees; NULL for none) and its line. */
static char *cursor_file(CXCursor c, unsigned *line)
{
    CXFile file = NULL;
    unsigned col = 0, off = 0;
    clang_getSpellingLocation(clang_getCursorLocation(c), &file, line, &col, &off);
    if (!file)
        return NULL;
    char *name = take_string(clang_getFileName(file));
    char *real = realpath(name, NULL);
    if (real) {
        free(name);
        return real;
    }
    return name;
}

static int in_given_headers(const char *file)
{
    if (!file)
        return 0;
    for (int i = 0; i < st.header_count; i++)
        if (strcmp(st.headers[i], file) == 0)
            return 1;
    return 0;
}

static void add_location(cJSON *obj, CXCursor c)
{
    unsigned line = 0;
    char *file = cursor_file(c, &line);
    cJSON_AddStringToObject(obj, "file", file ? file : "");
    cJSON_AddNumberToObject(obj, "line", line);
    cJSON_AddBoolToObject(obj, "main", in_given_headers(file));
    free(file);
}

/* A doc comment without its markers, or NULL. Caller frees. */
static char *doc_comment(CXCursor c)
{
    char *raw = take_string(clang_Cursor_getRawCommentText(c));
    if (!*raw) {
        free(raw);
        return NULL;
    }
    /* With -fparse-all-comments libclang attaches any comment before a
     * declaration; a plain one counts only when it touches the declaration
     * (zlib documents each function in the comment after it, which would
     * otherwise land on the next function). Doc comments always count. */
    bool doc_marker = strncmp(raw, "/**", 3) == 0 || strncmp(raw, "///", 3) == 0 || strncmp(raw, "/*!", 3) == 0 ||
                      strncmp(raw, "//!", 3) == 0;
    if (!doc_marker) {
        unsigned comment_end = 0, decl_start = 0;
        clang_getSpellingLocation(clang_getRangeEnd(clang_Cursor_getCommentRange(c)), NULL, &comment_end, NULL, NULL);
        clang_getSpellingLocation(clang_getRangeStart(clang_getCursorExtent(c)), NULL, &decl_start, NULL, NULL);
        if (comment_end + 1 < decl_start) {
            free(raw);
            return NULL;
        }
    }
    size_t n = strlen(raw);
    char *out = malloc(n + 1), *w = out;
    const char *p = raw;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (e - s >= 3 && (strncmp(s, "/**", 3) == 0 || strncmp(s, "///", 3) == 0 || strncmp(s, "/*!", 3) == 0))
            s += 3;
        else if (e - s >= 2 && (strncmp(s, "/*", 2) == 0 || strncmp(s, "//", 2) == 0))
            s += 2;
        else if (s < e && *s == '*' && !(e - s >= 2 && s[1] == '/'))
            s++;
        if (e - s >= 2 && e[-2] == '*' && e[-1] == '/')
            e -= 2;
        while (s < e && *s == '<')
            s++;
        if (s < e && *s == ' ')
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '*'))
            e--;
        if (w != out || e > s) {
            memcpy(w, s, (size_t)(e - s));
            w += e - s;
            *w++ = '\n';
        }
        p = eol ? eol + 1 : p + len;
    }
    while (w > out && w[-1] == '\n')
        w--;
    *w = '\0';
    free(raw);
    if (!*out) {
        free(out);
        return NULL;
    }
    return out;
}

static cJSON *type_json(CXType t);

static const char *builtin_name(enum CXTypeKind k)
{
    switch (k) {
    case CXType_Bool: return "_Bool";
    case CXType_Char_S:
    case CXType_Char_U: return "char";
    case CXType_SChar: return "signed char";
    case CXType_UChar: return "unsigned char";
    case CXType_Short: return "short";
    case CXType_UShort: return "unsigned short";
    case CXType_Int: return "int";
    case CXType_UInt: return "unsigned int";
    case CXType_Long: return "long";
    case CXType_ULong: return "unsigned long";
    case CXType_LongLong: return "long long";
    case CXType_ULongLong: return "unsigned long long";
    case CXType_Int128: return "__int128";
    case CXType_UInt128: return "unsigned __int128";
    case CXType_Float: return "float";
    case CXType_Double: return "double";
    case CXType_LongDouble: return "long double";
    case CXType_WChar: return "wchar_t";
    case CXType_Char16: return "char16_t";
    case CXType_Char32: return "char32_t";
    default: return NULL;
    }
}

typedef struct field_ctx {
    cJSON *fields;
    CXType record;
} field_ctx;

static enum CXVisitorResult visit_field(CXCursor c, CXClientData data)
{
    field_ctx *fc = data;
    cJSON *f = cJSON_CreateObject();
    add_cxstring(f, "name", clang_getCursorSpelling(c));
    cJSON_AddItemToObject(f, "type", type_json(clang_getCursorType(c)));
    cJSON_AddNumberToObject(f, "offset", (double)clang_Cursor_getOffsetOfField(c));
    cJSON_AddNumberToObject(f, "bits", clang_Cursor_isBitField(c) ? clang_getFieldDeclBitWidth(c) : -1);
    cJSON_AddItemToArray(fc->fields, f);
    return CXVisit_Continue;
}

/* Registers the record declared by decl (once, by USR) and returns its USR. */
static char *register_record(CXCursor decl, CXType t)
{
    CXCursor def = clang_getCursorDefinition(decl);
    int complete = !clang_Cursor_isNull(def);
    CXCursor at = complete ? def : decl;
    char *usr = take_string(clang_getCursorUSR(at));
    if (!*usr) {
        free(usr);
        usr = take_string(clang_getTypeSpelling(t));
    }
    if (cJSON_GetObjectItemCaseSensitive(st.seen_records, usr))
        return usr;
    cJSON_AddTrueToObject(st.seen_records, usr);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToArray(st.records, r);
    cJSON_AddStringToObject(r, "usr", usr);
    char *name = take_string(clang_getCursorSpelling(at));
    /* clang 14 spells an anonymous record "struct (unnamed at FILE:L:C)": no name. */
    int anonymous = clang_Cursor_isAnonymous(at) || strchr(name, ' ') || strchr(name, '(');
    cJSON_AddStringToObject(r, "name", anonymous ? "" : name);
    free(name);
    cJSON_AddStringToObject(r, "kind", clang_getCursorKind(at) == CXCursor_UnionDecl ? "union" : "struct");
    cJSON_AddBoolToObject(r, "complete", complete);
    add_location(r, at);
    CXType rt = clang_getCursorType(at);
    long long size = clang_Type_getSizeOf(rt), align = clang_Type_getAlignOf(rt);
    cJSON_AddNumberToObject(r, "size", complete && size > 0 ? (double)size : -1);
    cJSON_AddNumberToObject(r, "align", complete && align > 0 ? (double)align : -1);
    if (complete) {
        char *doc = doc_comment(at);
        if (doc)
            cJSON_AddStringToObject(r, "doc", doc);
        free(doc);
        field_ctx fc = {cJSON_AddArrayToObject(r, "fields"), rt};
        clang_Type_visitFields(rt, visit_field, &fc);
    }
    return usr;
}

/* Enum constants: a separate visitor (C has no closures). */
static enum CXChildVisitResult visit_enum_constant(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    if (clang_getCursorKind(c) != CXCursor_EnumConstantDecl)
        return CXChildVisit_Continue;
    cJSON *arr = data;
    cJSON *k = cJSON_CreateObject();
    add_cxstring(k, "name", clang_getCursorSpelling(c));
    cJSON_AddNumberToObject(k, "value", (double)clang_getEnumConstantDeclValue(c));
    cJSON_AddItemToArray(arr, k);
    return CXChildVisit_Continue;
}

static enum CXChildVisitResult visit_enum_constant_unsigned(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    if (clang_getCursorKind(c) != CXCursor_EnumConstantDecl)
        return CXChildVisit_Continue;
    cJSON *k = cJSON_CreateObject();
    add_cxstring(k, "name", clang_getCursorSpelling(c));
    cJSON_AddNumberToObject(k, "value", (double)clang_getEnumConstantDeclUnsignedValue(c));
    cJSON_AddItemToArray((cJSON *)data, k);
    return CXChildVisit_Continue;
}

static void register_enum(CXCursor decl)
{
    char *usr = take_string(clang_getCursorUSR(decl));
    if (cJSON_GetObjectItemCaseSensitive(st.seen_enums, usr)) {
        free(usr);
        return;
    }
    cJSON_AddTrueToObject(st.seen_enums, usr);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(st.enums, e);
    cJSON_AddStringToObject(e, "usr", usr);
    free(usr);
    char *name = take_string(clang_getCursorSpelling(decl));
    int anonymous = clang_Cursor_isAnonymous(decl) || strchr(name, ' ') || strchr(name, '(');
    cJSON_AddStringToObject(e, "name", anonymous ? "" : name);
    free(name);
    add_location(e, decl);
    CXType it = clang_getEnumDeclIntegerType(decl);
    cJSON_AddItemToObject(e, "int", type_json(it));
    int is_unsigned = it.kind == CXType_UInt || it.kind == CXType_ULong || it.kind == CXType_ULongLong ||
                      it.kind == CXType_UShort || it.kind == CXType_UChar || it.kind == CXType_Char_U;
    char *doc = doc_comment(decl);
    if (doc)
        cJSON_AddStringToObject(e, "doc", doc);
    free(doc);
    cJSON *constants = cJSON_AddArrayToObject(e, "constants");
    clang_visitChildren(decl, is_unsigned ? visit_enum_constant_unsigned : visit_enum_constant, constants);
}

static cJSON *type_json(CXType t)
{
    cJSON *j = cJSON_CreateObject();
    add_cxstring(j, "c", clang_getTypeSpelling(t));
    long long size = clang_Type_getSizeOf(t);
    long long align = clang_Type_getAlignOf(t);
    if (size >= 0)
        cJSON_AddNumberToObject(j, "size", (double)size);
    if (align >= 0)
        cJSON_AddNumberToObject(j, "align", (double)align);
    if (clang_isConstQualifiedType(t))
        cJSON_AddTrueToObject(j, "const");
    const char *b = builtin_name(t.kind);
    if (t.kind == CXType_Void) {
        cJSON_AddStringToObject(j, "k", "void");
    } else if (b) {
        cJSON_AddStringToObject(j, "k", "int");
        cJSON_AddStringToObject(j, "base", b);
        if (t.kind == CXType_Float || t.kind == CXType_Double || t.kind == CXType_LongDouble)
            cJSON_ReplaceItemInObject(j, "k", cJSON_CreateString("float"));
    } else if (t.kind == CXType_Elaborated) {
        cJSON_Delete(j);
        cJSON *inner = type_json(clang_Type_getNamedType(t));
        if (clang_isConstQualifiedType(t) && !cJSON_GetObjectItem(inner, "const"))
            cJSON_AddTrueToObject(inner, "const");
        return inner;
    } else if (t.kind == CXType_Typedef) {
        CXCursor decl = clang_getTypeDeclaration(t);
        cJSON *inner = type_json(clang_getTypedefDeclUnderlyingType(decl));
        char *name = take_string(clang_getCursorSpelling(decl));
        cJSON_DeleteItemFromObject(inner, "typedef");
        cJSON_AddStringToObject(inner, "typedef", name);
        free(name);
        if (clang_isConstQualifiedType(t) && !cJSON_GetObjectItem(inner, "const"))
            cJSON_AddTrueToObject(inner, "const");
        cJSON_ReplaceItemInObject(inner, "c", cJSON_CreateString(cJSON_GetStringValue(cJSON_GetObjectItem(j, "c"))));
        cJSON_Delete(j);
        return inner;
    } else if (t.kind == CXType_Pointer || t.kind == CXType_LValueReference || t.kind == CXType_RValueReference) {
        cJSON_AddStringToObject(j, "k", "ptr");
        cJSON_AddItemToObject(j, "to", type_json(clang_getPointeeType(t)));
    } else if (t.kind == CXType_ConstantArray) {
        cJSON_AddStringToObject(j, "k", "array");
        cJSON_AddItemToObject(j, "of", type_json(clang_getArrayElementType(t)));
        cJSON_AddNumberToObject(j, "n", (double)clang_getArraySize(t));
    } else if (t.kind == CXType_IncompleteArray) {
        cJSON_AddStringToObject(j, "k", "array");
        cJSON_AddItemToObject(j, "of", type_json(clang_getArrayElementType(t)));
        cJSON_AddNumberToObject(j, "n", 0);
    } else if (t.kind == CXType_Record) {
        cJSON_AddStringToObject(j, "k", "record");
        char *usr = register_record(clang_getTypeDeclaration(t), t);
        cJSON_AddStringToObject(j, "usr", usr);
        free(usr);
    } else if (t.kind == CXType_Enum) {
        CXCursor decl = clang_getTypeDeclaration(t);
        cJSON_AddStringToObject(j, "k", "enum");
        add_cxstring(j, "usr", clang_getCursorUSR(decl));
        register_enum(decl);
        cJSON_AddItemToObject(j, "int", type_json(clang_getEnumDeclIntegerType(decl)));
    } else if (t.kind == CXType_FunctionProto || t.kind == CXType_FunctionNoProto) {
        cJSON_AddStringToObject(j, "k", "func");
        cJSON_AddItemToObject(j, "ret", type_json(clang_getResultType(t)));
        cJSON *params = cJSON_AddArrayToObject(j, "params");
        int n = clang_getNumArgTypes(t);
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(params, type_json(clang_getArgType(t, (unsigned)i)));
        cJSON_AddBoolToObject(j, "variadic", clang_isFunctionTypeVariadic(t));
        if (t.kind == CXType_FunctionNoProto)
            cJSON_AddTrueToObject(j, "noproto");
    } else {
        cJSON_AddStringToObject(j, "k", "unknown");
    }
    return j;
}

/* ---- macros ---- */

static void add_macro(CXTranslationUnit tu, CXCursor c)
{
    if (clang_Cursor_isMacroFunctionLike(c) || clang_Cursor_isMacroBuiltin(c))
        return;
    unsigned line = 0;
    char *file = cursor_file(c, &line);
    int main_file = in_given_headers(file);
    free(file);
    if (!main_file)
        return;
    CXToken *tokens = NULL;
    unsigned n = 0;
    clang_tokenize(tu, clang_getCursorExtent(c), &tokens, &n);
    /* tokens[0] is the macro's name; the value is what follows, parentheses aside. */
    unsigned lo = 1, hi = n;
    while (hi > lo + 1 && clang_getTokenKind(tokens[lo]) == CXToken_Punctuation &&
           clang_getTokenKind(tokens[hi - 1]) == CXToken_Punctuation) {
        char *a = take_string(clang_getTokenSpelling(tu, tokens[lo]));
        char *b = take_string(clang_getTokenSpelling(tu, tokens[hi - 1]));
        int paren = strcmp(a, "(") == 0 && strcmp(b, ")") == 0;
        free(a);
        free(b);
        if (!paren)
            break;
        lo++;
        hi--;
    }
    int negative = 0;
    if (hi > lo && clang_getTokenKind(tokens[lo]) == CXToken_Punctuation) {
        char *s = take_string(clang_getTokenSpelling(tu, tokens[lo]));
        negative = strcmp(s, "-") == 0;
        free(s);
        if (negative)
            lo++;
    }
    char *name = take_string(clang_getCursorSpelling(c));
    char *first = hi > lo ? take_string(clang_getTokenSpelling(tu, tokens[lo])) : strdup("");
    int numeric = first[0] >= '0' && first[0] <= '9';
    free(first);
    if (hi == lo + 1 && clang_getTokenKind(tokens[lo]) == CXToken_Literal && numeric) {
        char *s = take_string(clang_getTokenSpelling(tu, tokens[lo]));
        if ((s[0] >= '0' && s[0] <= '9') && !strpbrk(s, ".pP") && !(strpbrk(s, "eE") && !strpbrk(s, "xX"))) {
            char *end = NULL;
            unsigned long long v = strtoull(s, &end, 0);
            while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
                end++;
            if (*end == '\0') {
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "name", name);
                if (negative)
                    cJSON_AddNumberToObject(m, "int", -(double)v);
                else
                    cJSON_AddNumberToObject(m, "int", (double)v);
                cJSON_AddItemToArray(st.macros, m);
            }
        }
        free(s);
    } else if (hi > lo && !negative) {
        /* Adjacent string literals concatenate: "1.2" "13" */
        size_t cap = 64, len = 0;
        char *text = malloc(cap);
        int ok = 1;
        for (unsigned i = lo; i < hi && ok; i++) {
            char *s = take_string(clang_getTokenSpelling(tu, tokens[i]));
            size_t sl = strlen(s);
            if (clang_getTokenKind(tokens[i]) != CXToken_Literal || sl < 2 || s[0] != '"' || s[sl - 1] != '"') {
                ok = 0;
            } else {
                for (size_t k = 1; k + 1 < sl; k++) {
                    char ch = s[k];
                    if (ch == '\\' && k + 2 < sl) {
                        ch = s[++k];
                        ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == '0' ? '\0' : ch;
                        if (ch == '\0') {
                            ok = 0;
                            break;
                        }
                    }
                    if (len + 2 > cap)
                        text = realloc(text, cap *= 2);
                    text[len++] = ch;
                }
            }
            free(s);
        }
        text[len] = '\0';
        if (ok) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", name);
            cJSON_AddStringToObject(m, "str", text);
            cJSON_AddItemToArray(st.macros, m);
        }
        free(text);
    }
    free(name);
    clang_disposeTokens(tu, tokens, n);
}

/* ---- top-level declarations ---- */

static CXTranslationUnit current_tu;

static void add_function(CXCursor c)
{
    if (clang_Cursor_getStorageClass(c) == CX_SC_Static)
        return;
    cJSON *f = cJSON_CreateObject();
    add_cxstring(f, "name", clang_getCursorSpelling(c));
    char *mangled = take_string(clang_Cursor_getMangling(c));
    cJSON_AddStringToObject(f, "symbol", *mangled ? mangled : cJSON_GetStringValue(cJSON_GetObjectItem(f, "name")));
    free(mangled);
    add_cxstring(f, "display", clang_getCursorDisplayName(c));
    CXType t = clang_getCursorType(c);
    cJSON_AddItemToObject(f, "ret", type_json(clang_getResultType(t)));
    cJSON *params = cJSON_AddArrayToObject(f, "params");
    int n = clang_Cursor_getNumArguments(c);
    for (int i = 0; i < n; i++) {
        CXCursor a = clang_Cursor_getArgument(c, (unsigned)i);
        cJSON *p = cJSON_CreateObject();
        add_cxstring(p, "name", clang_getCursorSpelling(a));
        cJSON_AddItemToObject(p, "type", type_json(clang_getCursorType(a)));
        cJSON_AddItemToArray(params, p);
    }
    cJSON_AddBoolToObject(f, "variadic", clang_isFunctionTypeVariadic(t));
    char *doc = doc_comment(c);
    if (doc)
        cJSON_AddStringToObject(f, "doc", doc);
    free(doc);
    add_location(f, c);
    cJSON_AddItemToArray(st.functions, f);
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    (void)data;
    enum CXCursorKind k = clang_getCursorKind(c);
    switch (k) {
    case CXCursor_LinkageSpec:
    case CXCursor_UnexposedDecl: /* libclang 14 shows extern "C" { } as this */
    case CXCursor_Namespace:
        return CXChildVisit_Recurse;
    case CXCursor_FunctionDecl:
        add_function(c);
        break;
    case CXCursor_VarDecl:
        if (clang_Cursor_getStorageClass(c) != CX_SC_Static) {
            cJSON *v = cJSON_CreateObject();
            add_cxstring(v, "name", clang_getCursorSpelling(c));
            char *mangled = take_string(clang_Cursor_getMangling(c));
            cJSON_AddStringToObject(v, "symbol", mangled);
            free(mangled);
            cJSON_AddItemToObject(v, "type", type_json(clang_getCursorType(c)));
            add_location(v, c);
            cJSON_AddItemToArray(st.variables, v);
        }
        break;
    case CXCursor_TypedefDecl: {
        cJSON *td = cJSON_CreateObject();
        add_cxstring(td, "name", clang_getCursorSpelling(c));
        cJSON_AddItemToObject(td, "type", type_json(clang_getTypedefDeclUnderlyingType(c)));
        add_location(td, c);
        cJSON_AddItemToArray(st.typedefs, td);
        break;
    }
    case CXCursor_StructDecl:
    case CXCursor_UnionDecl: {
        unsigned line = 0;
        char *file = cursor_file(c, &line);
        if (in_given_headers(file)) {
            char *usr = register_record(c, clang_getCursorType(c));
            free(usr);
        }
        free(file);
        break;
    }
    case CXCursor_EnumDecl: {
        unsigned line = 0;
        char *file = cursor_file(c, &line);
        if (in_given_headers(file))
            register_enum(c);
        free(file);
        break;
    }
    case CXCursor_MacroDefinition:
        add_macro(current_tu, c);
        break;
    default:
        break;
    }
    return CXChildVisit_Continue;
}

int main(int argc, char **argv)
{
    const char *lang = "c", *output = NULL;
    char **clang_args = calloc((size_t)argc + 8, sizeof *clang_args);
    int nargs = 0;
    st.headers = calloc((size_t)argc, sizeof *st.headers);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[++i];
        else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (strncmp(argv[i], "-I", 2) == 0 || strncmp(argv[i], "-D", 2) == 0 || strncmp(argv[i], "-std=", 5) == 0)
            clang_args[nargs++] = argv[i];
        else {
            char *real = realpath(argv[i], NULL);
            if (!real) {
                fprintf(stderr, "%s: cannot read the header\n", argv[i]);
                return 2;
            }
            st.headers[st.header_count++] = real;
        }
    }
    if (st.header_count == 0) {
        fprintf(stderr, "usage: jmake-parse-headers [--lang c|c++] [-IDIR]... HEADER...\n");
        return 2;
    }
    clang_args[nargs++] = "-x";
    clang_args[nargs++] = strcmp(lang, "c++") == 0 ? "c++" : "c";
    clang_args[nargs++] = "-fparse-all-comments";
    clang_args[nargs++] = "-Wno-everything";
    /* One translation unit including every header, as a user's source would. */
    size_t cap = 64;
    for (int i = 0; i < st.header_count; i++)
        cap += strlen(st.headers[i]) + 16;
    char *unit = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < st.header_count; i++)
        len += (size_t)snprintf(unit + len, cap - len, "#include \"%s\"\n", st.headers[i]);
    const char *unit_name = strcmp(lang, "c++") == 0 ? "jmake_wrap_unit.cpp" : "jmake_wrap_unit.c";
    struct CXUnsavedFile unsaved = {unit_name, unit, (unsigned long)len};

    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode err = clang_parseTranslationUnit2(
        index, unit_name, (const char *const *)clang_args, nargs, &unsaved, 1,
        CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_SkipFunctionBodies |
            CXTranslationUnit_KeepGoing | CXTranslationUnit_IncludeBriefCommentsInCodeCompletion,
        &tu);
    if (err != CXError_Success || !tu) {
        fprintf(stderr, "libclang could not parse the headers (error %d)\n", (int)err);
        return 2;
    }
    current_tu = tu;
    st.root = cJSON_CreateObject();
    cJSON *diags = cJSON_AddArrayToObject(st.root, "diagnostics");
    st.functions = cJSON_AddArrayToObject(st.root, "functions");
    st.variables = cJSON_AddArrayToObject(st.root, "variables");
    st.typedefs = cJSON_AddArrayToObject(st.root, "typedefs");
    st.records = cJSON_AddArrayToObject(st.root, "records");
    st.enums = cJSON_AddArrayToObject(st.root, "enums");
    st.macros = cJSON_AddArrayToObject(st.root, "macros");
    st.seen_records = cJSON_CreateObject();
    st.seen_enums = cJSON_CreateObject();
    unsigned nd = clang_getNumDiagnostics(tu);
    for (unsigned i = 0; i < nd; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) {
            char *text = take_string(clang_formatDiagnostic(
                d, CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn));
            cJSON_AddItemToArray(diags, cJSON_CreateString(text));
            free(text);
        }
        clang_disposeDiagnostic(d);
    }
    clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_top, NULL);
    char *text = cJSON_PrintUnformatted(st.root);
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out || fputs(text, out) < 0 || fputc('\n', out) < 0 || (output && fclose(out) != 0)) {
        fprintf(stderr, "cannot write %s\n", output ? output : "the declarations");
        return 2;
    }
    free(text);
    cJSON_Delete(st.root);
    cJSON_Delete(st.seen_records);
    cJSON_Delete(st.seen_enums);
    clang_disposeTranslationUnit(tu);
    clang_disposeIndex(index);
    for (int i = 0; i < st.header_count; i++)
        free(st.headers[i]);
    free(st.headers);
    free(clang_args);
    free(unit);
    return 0;
}
