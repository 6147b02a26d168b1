/* errpattern.c - the pattern rules for gcc, clang, GNU ld and lld messages (C locale), subjects, hints from notes, fingerprints. */
#include "errpattern.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const struct {
    const char *name, *summary;
} patterns[ERR_PATTERN_COUNT] = {
    [ERR_MISSING_HEADER] = {"missing_header", "an #include names a header not found on the include path"},
    [ERR_UNDEFINED_REFERENCE] = {"undefined_reference", "the linker found no definition of a symbol"},
    [ERR_MULTIPLE_DEFINITION] = {"multiple_definition", "a symbol is defined in more than one object"},
    [ERR_MISSING_LIBRARY] = {"missing_library", "the linker cannot find a library given with -l"},
    [ERR_FPIC_RELOCATION] = {"fpic_relocation", "position-dependent code linked into a shared object"},
    [ERR_SYMBOL_VERSION] = {"symbol_version", "a symbol version that no library provides"},
    [ERR_LANGUAGE_STANDARD] = {"language_standard", "a feature of a newer C or C++ standard than the one compiled for"},
    [ERR_IMPLICIT_DECLARATION] = {"implicit_declaration", "a function called without a declaration (a header not included)"},
    [ERR_UNDECLARED_IDENTIFIER] = {"undeclared_identifier", "a name used without a declaration"},
    [ERR_UNKNOWN_TYPE] = {"unknown_type", "a type name that is not declared"},
    [ERR_NO_MATCHING_FUNCTION] = {"no_matching_function", "a call whose arguments fit no declaration"},
    [ERR_REDEFINITION] = {"redefinition", "a name defined twice, or declared with conflicting types"},
    [ERR_INCOMPLETE_TYPE] = {"incomplete_type", "a type used where its definition is needed"},
    [ERR_TYPE_CONVERSION] = {"type_conversion", "a value of one type where another is needed"},
    [ERR_PREPROCESSOR_ERROR] = {"preprocessor_error", "an #error directive (often a missing define)"},
    [ERR_SYNTAX] = {"syntax", "the source does not parse (a missing semicolon and similar)"},
    [ERR_UNKNOWN] = {"unknown", "anything else"},
};

const char *err_pattern_name(err_pattern p)
{
    return (unsigned)p < ERR_PATTERN_COUNT ? patterns[p].name : "unknown";
}

const char *err_pattern_summary(err_pattern p)
{
    return (unsigned)p < ERR_PATTERN_COUNT ? patterns[p].summary : "";
}

int err_pattern_from_name(const char *name)
{
    for (int i = 0; name && i < ERR_PATTERN_COUNT; i++)
        if (strcmp(patterns[i].name, name) == 0)
            return i;
    return -1;
}

char *err_fingerprint_id(const char *fingerprint)
{
    return xasprintf("%012llx", (unsigned long long)(XXH3_64bits(fingerprint, strlen(fingerprint)) >> 16));
}

void err_class_free(err_class *c)
{
    free(c->subject);
    free(c->fingerprint);
    free(c->id);
    free(c->hint_header);
    free(c->hint_std);
    memset(c, 0, sizeof *c);
}

/* ---- text helpers ---- */

/* The quoted text right after needle in s ("'x'", "`x'", "‘x’"), copied; NULL when absent. */
static char *quoted_after(const char *s, const char *needle)
{
    const char *p = needle ? strstr(s, needle) : s;
    if (!p)
        return NULL;
    p += needle ? strlen(needle) : 0;
    while (*p == ' ')
        p++;
    const char *open = NULL;
    if (*p == '\'' || *p == '`' || *p == '"')
        open = p + 1;
    else if (!strncmp(p, "\xe2\x80\x98", 3))
        open = p + 3;
    if (!open)
        return NULL;
    for (const char *q = open; *q; q++)
        if (*q == '\'' || *q == '"' || !strncmp(q, "\xe2\x80\x99", 3))
            return xstrndup(open, (size_t)(q - open));
    return NULL;
}

/* The first quoted text of s. */
static char *first_quoted(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p == '\'' || *p == '`' || !strncmp(p, "\xe2\x80\x98", 3))
            return quoted_after(p, NULL);
    return NULL;
}

static bool has(const char *s, const char *needle) { return strstr(s, needle) != NULL; }

/* "f(int, char*)" -> "f"; "ns::f(int)" stays "ns::f". */
static char *function_name(char *q)
{
    if (!q)
        return NULL;
    char *paren = strchr(q, '(');
    if (paren && paren != q)
        *paren = '\0';
    return q;
}

/* The message without what varies between occurrences of one error: the
   -W suffix, "did you mean" hints, {aka ...} spellings, numbers. */
static char *normalize(const char *msg)
{
    size_t n = strlen(msg);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        const char *p = msg + i;
        if (!strncmp(p, " [-W", 4) || !strncmp(p, " [-f", 4) || !strncmp(p, "; did you mean", 14))
            break;
        if (!strncmp(p, " {aka ", 6)) {
            const char *close = strchr(p, '}');
            if (close) {
                i = (size_t)(close - msg);
                continue;
            }
        }
        if (isdigit((unsigned char)*p) && !(o && (isalnum((unsigned char)out[o - 1]) || out[o - 1] == '_'))) {
            while (i + 1 < n && isdigit((unsigned char)msg[i + 1]))
                i++;
            if (o && out[o - 1] == 'N')
                continue;
            out[o++] = 'N';
            space = false;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = *p;
    }
    out[o] = '\0';
    return out;
}

/* The standard a message or note asks for, lower case ("c++17", "c99"), or NULL. */
static char *std_hint(const char *s)
{
    const char *p;
    if ((p = strstr(s, "only available from C++")) != NULL) {
        int v = atoi(p + 23);
        return v ? xasprintf("c++%02d", v) : NULL;
    }
    if ((p = strstr(s, "-std=c++")) != NULL || (p = strstr(s, "-std=gnu++")) != NULL) {
        p = strstr(p, "++") + 2;
        int v = atoi(p);
        return v ? xasprintf("c++%02d", v) : NULL;
    }
    if ((p = strstr(s, "is a C++")) != NULL || (p = strstr(s, "are a C++")) != NULL) {
        p = strstr(p, "C++") + 3;
        int v = atoi(p);
        if (v && has(p, "extension"))
            return xasprintf("c++%02d", v);
    }
    if ((p = strstr(s, "-std=c")) != NULL && isdigit((unsigned char)p[6]))
        return xasprintf("c%d", atoi(p + 6));
    if (has(s, "only allowed in C99") || has(s, "C99 mode"))
        return xstrdup("c99");
    return NULL;
}

/* "include '<string.h>' or provide a declaration of 'strlen'" (gcc, C),
   "'std::vector' is defined in header '<vector>'" (g++). */
static char *header_hint(const char *s)
{
    char *h = quoted_after(s, "include ");
    if (h && h[0] == '<')
        return h;
    free(h);
    h = quoted_after(s, "is defined in header ");
    if (h)
        return h;
    return NULL;
}

/* ---- the standard library names clang leaves unexplained ---- */

static const struct {
    const char *name, *header;
    int since;
} std_names[] = {
    {"vector", "<vector>", 98},          {"string", "<string>", 98},     {"map", "<map>", 98},
    {"set", "<set>", 98},                {"list", "<list>", 98},         {"deque", "<deque>", 98},
    {"cout", "<iostream>", 98},          {"cerr", "<iostream>", 98},     {"endl", "<ostream>", 98},
    {"sort", "<algorithm>", 98},         {"min", "<algorithm>", 98},     {"max", "<algorithm>", 98},
    {"strlen", "<cstring>", 98},         {"memcpy", "<cstring>", 98},    {"printf", "<cstdio>", 98},
    {"stringstream", "<sstream>", 98},   {"ostringstream", "<sstream>", 98},
    {"unordered_map", "<unordered_map>", 11}, {"unordered_set", "<unordered_set>", 11},
    {"unique_ptr", "<memory>", 11},      {"shared_ptr", "<memory>", 11}, {"thread", "<thread>", 11},
    {"mutex", "<mutex>", 11},            {"function", "<functional>", 11}, {"array", "<array>", 11},
    {"tuple", "<tuple>", 11},            {"make_unique", "<memory>", 14},
    {"optional", "<optional>", 17},      {"variant", "<variant>", 17},   {"any", "<any>", 17},
    {"string_view", "<string_view>", 17}, {"filesystem", "<filesystem>", 17}, {"byte", "<cstddef>", 17},
    {"span", "<span>", 20},              {"format", "<format>", 20},     {"jthread", "<thread>", 20},
};

const char *err_std_header(const char *name, int *since)
{
    if (name && !strncmp(name, "std::", 5))
        name += 5;
    for (size_t i = 0; name && i < sizeof std_names / sizeof std_names[0]; i++)
        if (strcmp(std_names[i].name, name) == 0) {
            if (since)
                *since = std_names[i].since;
            return std_names[i].header;
        }
    return NULL;
}

/* ---- the rules ---- */

static void set(err_class *c, err_pattern p, char *subject)
{
    c->pattern = p;
    free(c->subject);
    c->subject = subject;
}

/* "'X' is not a member of 'std'" -> "std::X"; clang "no member named 'X' in namespace 'std'" likewise. */
static char *member_subject(const char *msg, bool gcc_form)
{
    char *x = first_quoted(msg);
    char *ns = quoted_after(msg, gcc_form ? "is not a member of " : "in namespace ");
    if (x && ns) {
        char *s = xasprintf("%s::%s", ns, x);
        free(x);
        free(ns);
        return s;
    }
    free(ns);
    return x;
}

static bool classify_linker(const ccdiag *d, err_class *c)
{
    switch (d->link) {
    case CCDIAG_LINK_UNDEFINED:
        set(c, ERR_UNDEFINED_REFERENCE, d->symbol ? xstrdup(d->symbol) : NULL);
        return true;
    case CCDIAG_LINK_MULTIPLE:
        set(c, ERR_MULTIPLE_DEFINITION, d->symbol ? xstrdup(d->symbol) : NULL);
        return true;
    case CCDIAG_LINK_NO_LIBRARY:
        set(c, ERR_MISSING_LIBRARY, d->symbol ? xstrdup(d->symbol) : NULL);
        return true;
    case CCDIAG_LINK_RELOCATION:
        set(c, ERR_FPIC_RELOCATION, NULL);
        return true;
    case CCDIAG_LINK_VERSION:
        set(c, ERR_SYMBOL_VERSION, d->symbol ? xstrdup(d->symbol) : NULL);
        return true;
    default:
        return false;
    }
}

static void classify_compiler(const ccdiag *d, err_class *c)
{
    const char *m = d->message ? d->message : "";
    char *q;
    /* The standard first: its words sit on top of other patterns' messages. */
    if (c->hint_std && (has(m, "only available") || has(m, "extension") || has(m, "not a member of") ||
                        has(m, "does not name") || has(m, "only allowed in") || has(m, "was not declared") ||
                        has(m, "ISO C") || has(m, "requires"))) {
        set(c, ERR_LANGUAGE_STANDARD, xstrdup(c->hint_std));
        return;
    }
    if (d->file && has(m, ": No such file or directory") && !has(m, " -l")) {
        set(c, ERR_MISSING_HEADER, xstrndup(m, (size_t)(strstr(m, ": No such file or directory") - m)));
        return;
    }
    if (has(m, "' file not found") && (q = first_quoted(m)) != NULL) {
        set(c, ERR_MISSING_HEADER, q);
        return;
    }
    if ((q = quoted_after(m, "implicit declaration of function ")) != NULL ||
        (q = quoted_after(m, "call to undeclared function ")) != NULL ||
        (q = quoted_after(m, "implicitly declaring library function ")) != NULL) {
        set(c, ERR_IMPLICIT_DECLARATION, q);
        return;
    }
    /* clang's silent std names: the table knows the standard and the header. */
    if ((has(m, "no template named ") || has(m, "no member named ") || has(m, "no type named ")) &&
        has(m, "in namespace 'std'")) {
        char *name = first_quoted(m);
        int since = 0;
        const char *hdr = err_std_header(name, &since);
        if (hdr && !c->hint_header)
            c->hint_header = xstrdup(hdr);
        if (hdr && since >= 11 && !has(m, "no member named ")) {
            free(name);
            set(c, ERR_LANGUAGE_STANDARD, xasprintf("c++%02d", since));
            return;
        }
        free(name);
        set(c, has(m, "no member named ") ? ERR_UNDECLARED_IDENTIFIER : ERR_UNKNOWN_TYPE, member_subject(m, false));
        return;
    }
    if (has(m, "' undeclared") || has(m, "was not declared in this scope") ||
        has(m, "use of undeclared identifier")) {
        set(c, ERR_UNDECLARED_IDENTIFIER, first_quoted(m));
        return;
    }
    if (has(m, "is not a member of ")) {
        set(c, ERR_UNDECLARED_IDENTIFIER, member_subject(m, true));
        return;
    }
    if (has(m, "no member named ") && has(m, "in namespace")) {
        set(c, ERR_UNDECLARED_IDENTIFIER, member_subject(m, false));
        return;
    }
    if ((q = quoted_after(m, "unknown type name ")) != NULL) {
        set(c, ERR_UNKNOWN_TYPE, q);
        return;
    }
    if (has(m, "does not name a type") || has(m, "does not name a template type") ||
        has(m, "no template named ") || has(m, "no type named ")) {
        set(c, ERR_UNKNOWN_TYPE, has(m, "in namespace") ? member_subject(m, false) : first_quoted(m));
        return;
    }
    if ((q = quoted_after(m, "no matching function for call to ")) != NULL ||
        (q = quoted_after(m, "no matching member function for call to ")) != NULL ||
        (q = quoted_after(m, "no matching constructor for initialization of ")) != NULL ||
        (q = quoted_after(m, "too few arguments to function ")) != NULL ||
        (q = quoted_after(m, "too many arguments to function ")) != NULL) {
        set(c, ERR_NO_MATCHING_FUNCTION, function_name(q));
        return;
    }
    if (has(m, "too few arguments to function call") || has(m, "too many arguments to function call")) {
        /* clang names the function only in its note "'g' declared here". */
        char *name = NULL;
        for (size_t i = 0; i < d->notes.n && !name; i++)
            if (has(d->notes.v[i], "declared here"))
                name = first_quoted(strstr(d->notes.v[i], ": ") ? strstr(d->notes.v[i], ": ") : d->notes.v[i]);
        set(c, ERR_NO_MATCHING_FUNCTION, name);
        return;
    }
    if ((q = quoted_after(m, "redefinition of ")) != NULL || (q = quoted_after(m, "conflicting types for ")) != NULL ||
        (q = quoted_after(m, "redeclaration of ")) != NULL) {
        set(c, ERR_REDEFINITION, q);
        return;
    }
    if (has(m, "incomplete type") || has(m, "incomplete definition of type") || has(m, "isn't known")) {
        q = quoted_after(m, "incomplete type ");
        if (!q)
            q = quoted_after(m, "incomplete definition of type ");
        set(c, ERR_INCOMPLETE_TYPE, q ? q : first_quoted(m));
        return;
    }
    if (has(m, "incompatible") || has(m, "cannot convert") || has(m, "invalid conversion") ||
        has(m, "no viable conversion") || has(m, "cannot initialize") || has(m, "makes pointer from integer") ||
        has(m, "makes integer from pointer") || has(m, "could not convert") || has(m, "non-scalar type") ||
        has(m, "invalid operands to binary")) {
        set(c, ERR_TYPE_CONVERSION, normalize(m));
        return;
    }
    if (!strncmp(m, "#error", 6) || !strncmp(m, "#warning", 8) ||
        (m[0] == '"' && strlen(m) > 1 && m[strlen(m) - 1] == '"')) {
        const char *t = !strncmp(m, "#error", 6) ? m + 6 : m;
        while (*t == ' ')
            t++;
        set(c, ERR_PREPROCESSOR_ERROR, normalize(t));
        return;
    }
    if (!strncmp(m, "expected ", 9) || has(m, "stray '") || has(m, "missing terminating") ||
        has(m, "unterminated") || !strncmp(m, "extra tokens", 12) || has(m, "invalid preprocessing directive") ||
        !strncmp(m, "unexpected", 10) || has(m, "expected expression") || has(m, "expected identifier")) {
        /* What was expected is the subject; where ("before '}' token") varies. */
        char *s = normalize(m);
        char *before = strstr(s, " before ");
        if (before)
            *before = '\0';
        char *after = strstr(s, " after ");
        if (after)
            *after = '\0';
        set(c, ERR_SYNTAX, s);
        return;
    }
    set(c, ERR_UNKNOWN, normalize(m));
}

/* The message with gcc's typographic quotes (U+2018, U+2019: a UTF-8
   locale) and ` as plain ', so one set of rules reads every locale. Caller frees. */
static char *ascii_quotes(const char *s)
{
    char *out = xstrdup(s ? s : "");
    size_t o = 0;
    for (const char *p = out; *p;) {
        if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0x98 || (unsigned char)p[2] == 0x99)) {
            out[o++] = '\'';
            p += 3;
        } else {
            out[o++] = *p == '`' ? '\'' : *p;
            p++;
        }
    }
    out[o] = '\0';
    return out;
}

void err_classify(const ccdiag *in, err_class *out)
{
    memset(out, 0, sizeof *out);
    ccdiag copy = *in;   /* shallow: only the message and notes are replaced, and freed here */
    copy.message = ascii_quotes(in->message);
    memset(&copy.notes, 0, sizeof copy.notes);
    for (size_t i = 0; i < in->notes.n; i++)
        strvec_push_owned(&copy.notes, ascii_quotes(in->notes.v[i]));
    const ccdiag *d = &copy;
    const char *m = d->message;
    out->hint_std = std_hint(m);
    for (size_t i = 0; i < d->notes.n; i++) {
        if (!out->hint_std)
            out->hint_std = std_hint(d->notes.v[i]);
        if (!out->hint_header)
            out->hint_header = header_hint(d->notes.v[i]);
    }
    if (!classify_linker(d, out))
        classify_compiler(d, out);
    out->fingerprint = out->subject ? xasprintf("%s:%s", err_pattern_name(out->pattern), out->subject)
                                    : xstrdup(err_pattern_name(out->pattern));
    out->id = err_fingerprint_id(out->fingerprint);
    free(copy.message);
    strvec_free(&copy.notes);
}
