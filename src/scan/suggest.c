/* suggest.c - what a library made of a discovered folder should build: its source folder, and the sources to leave out (programs, unity files, tests). */
#include "suggest.h"

#include "srcscan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a source's text ------------------------------------------- */

static bool is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* A token scanner over code only: comments, string and character literals
 * and preprocessor lines are stepped over, so "main(" in a comment or a
 * #define never counts. */
typedef struct code_scan {
    const char *p, *end;
    bool line_start;    /* nothing but blanks since the last newline */
    int if_depth;       /* #if nesting: a main() inside "#ifdef MAKECRCH" is not the file's */
    char *unless;       /* owned: NAME of an "#ifndef NAME" just read, until the next directive */
    suggest_macros *macros; /* borrowed, may be NULL */
} code_scan;

/* Whether NAME is the user's to define: identifiers starting with an
 * underscore are the compiler's and the C library's (__cplusplus, _WIN32). */
static bool is_user_macro(const char *name, size_t n)
{
    return n > 0 && name[0] != '_';
}

/* The identifier after a directive's word (p: just past it, in [p, eol)),
 * with its length in *n (0: none). */
static const char *directive_operand(const char *p, const char *eol, size_t *n)
{
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    *n = 0;
    while (p + *n < eol && is_ident(p[*n]))
        (*n)++;
    return p;
}

/* Follows the #if nesting through the directive starting at p ("#  ifdef X"),
 * and notes "#ifndef NAME" directly followed by "#error": the file refuses
 * to compile unless NAME is defined (spdlog's SPDLOG_COMPILED_LIB). */
static void track_conditional(code_scan *s, const char *p, const char *eol)
{
    p++;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = 0;
    while (p + n < eol && is_ident(p[n]))
        n++;
    char *unless = s->unless;
    s->unless = NULL;
    if (n == 5 && memcmp(p, "error", 5) == 0 && unless && s->macros && !strvec_contains(&s->macros->required, unless))
        strvec_push(&s->macros->required, unless);
    free(unless);
    size_t ln = 0;
    const char *name = directive_operand(p + n, eol, &ln);
    if (n == 6 && memcmp(p, "define", 6) == 0 && s->macros && ln) {
        char *defined = xstrndup(name, ln);
        if (!strvec_contains(&s->macros->defined, defined))
            strvec_push(&s->macros->defined, defined);
        free(defined);
    }
    if ((n == 2 && memcmp(p, "if", 2) == 0) || (n == 5 && memcmp(p, "ifdef", 5) == 0)) {
        s->if_depth++;
    } else if (n == 6 && memcmp(p, "ifndef", 6) == 0) {
        s->if_depth++;
        if (is_user_macro(name, ln))
            s->unless = xstrndup(name, ln);
    } else if (n == 5 && memcmp(p, "endif", 5) == 0 && s->if_depth > 0) {
        s->if_depth--;
    }
}

/* Moves past blanks, comments, literals and directives up to the next
 * identifier or punctuation character; false at the end. *first_on_line tells
 * whether nothing of code came before it on its line. */
static bool next_token(code_scan *s, bool *first_on_line)
{
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '\n') {
            s->line_start = true;
            s->p++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            s->p++;
        } else if (c == '/' && s->p + 1 < s->end && s->p[1] == '/') {
            while (s->p < s->end && *s->p != '\n')
                s->p++;
        } else if (c == '/' && s->p + 1 < s->end && s->p[1] == '*') {
            s->p += 2;
            while (s->p + 1 < s->end && !(s->p[0] == '*' && s->p[1] == '/'))
                s->p++;
            s->p = s->p + 1 < s->end ? s->p + 2 : s->end;
        } else if (c == '#' && s->line_start) {
            /* A directive, with its backslash continuations. */
            const char *eol = memchr(s->p, '\n', (size_t)(s->end - s->p));
            track_conditional(s, s->p, eol ? eol : s->end);
            while (s->p < s->end && *s->p != '\n') {
                if (*s->p == '\\' && s->p + 1 < s->end && s->p[1] == '\n')
                    s->p++;
                s->p++;
            }
        } else if (c == '"' || c == '\'') {
            s->p++;
            while (s->p < s->end && *s->p != c && *s->p != '\n') {
                if (*s->p == '\\' && s->p + 1 < s->end)
                    s->p++;
                s->p++;
            }
            if (s->p < s->end)
                s->p++;
            s->line_start = false;
        } else {
            *first_on_line = s->line_start;
            s->line_start = false;
            free(s->unless);    /* code between "#ifndef NAME" and "#error": not the pattern */
            s->unless = NULL;
            return true;
        }
    }
    return false;
}

static bool token_is(const char *tok, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(tok, word, n) == 0;
}

static bool is_macro_name(const char *tok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)tok[i]) || isdigit((unsigned char)tok[i]) || tok[i] == '_'))
            return false;
    return n > 0;
}

/* Reads tokens until the text's role is known (or the end). */
static suggest_text_role scan_roles(code_scan *s)
{
    const char *prev = NULL;        /* the identifier before the current one */
    size_t prev_n = 0;
    bool prev_first = false;        /* it began its line */
    bool prev_after_type = false;   /* it is an upper-case macro following "int" at a line's start
                                       (int CJSON_CDECL main(...)) */
    size_t tokens = 0;
    bool first_was_export = false;
    bool first;
    while (next_token(s, &first)) {
        if (!is_ident(*s->p)) {
            /* Punctuation: "main" must be followed by "(" and preceded by
               its return type at the start of a line, as definitions are
               written; a call such as "x = main(" is preceded by "=". */
            s->p++;
            prev = NULL;
            tokens++;
            continue;
        }
        const char *tok = s->p;
        while (s->p < s->end && is_ident(*s->p))
            s->p++;
        size_t n = (size_t)(s->p - tok);
        /* A module unit starts with "module;" / "module name;" or "export module". */
        if (tokens == 0 && token_is(tok, n, "module"))
            return SUGGEST_TEXT_MODULE;
        if (tokens == 0 && token_is(tok, n, "export"))
            first_was_export = true;
        else if (tokens == 1 && first_was_export && token_is(tok, n, "module"))
            return SUGGEST_TEXT_MODULE;
        bool type_before = prev && prev_first && (token_is(prev, prev_n, "int") || token_is(prev, prev_n, "void"));
        if (token_is(tok, n, "LLVMFuzzerTestOneInput") && (type_before || prev_after_type))
            return SUGGEST_TEXT_FUZZER;
        if (token_is(tok, n, "main") && (type_before || prev_after_type) && s->if_depth == 0) {
            const char *q = s->p;
            while (q < s->end && isspace((unsigned char)*q))
                q++;
            if (q < s->end && *q == '(')
                return SUGGEST_TEXT_MAIN;
        }
        prev_after_type = type_before && is_macro_name(tok, n);
        prev = tok;
        prev_n = n;
        prev_first = first;
        tokens++;
    }
    return SUGGEST_TEXT_PLAIN;
}

void suggest_macros_free(suggest_macros *m)
{
    strvec_free(&m->required);
    strvec_free(&m->defined);
}

suggest_text_role suggest_classify_text(const char *buf, size_t len, suggest_macros *macros)
{
    code_scan s = {buf, buf + len, true, 0, NULL, macros};
    suggest_text_role role = scan_roles(&s);
    /* A role is known before the end: the rest is still read for the macros. */
    bool first;
    while (macros && next_token(&s, &first))
        s.p++;
    free(s.unless);
    return role;
}

/* ---- folders ------------------------------------------------------------ */

static bool name_in(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

static bool is_side_kind(const char *name)
{
    static const char *const side[] = {"test",    "tests",    "testes",   "testing", "unittests", "unittest",
                                       "example", "examples", "sample",   "samples", "demo",      "demos",
                                       "bench",   "benchmark", "benchmarks", "fuzz", "fuzzing",   "doc",
                                       "docs",    NULL};
    return name_in(name, side);
}

/* Other platforms' ports: never built on Linux. */
static bool is_other_platform(const char *name)
{
    static const char *const other_platform[] = {"win", "win32", "win64", "windows", "msvc", "vstudio", "visualc",
                                                 "amiga", "os2", "msdos", "dos", "vms", "qnx", "watcom", "android",
                                                 "ios", "macos", "osx", "darwin", NULL};
    return name_in(name, other_platform);
}

bool suggest_is_side_folder(const char *name)
{
    return is_side_kind(name) || is_other_platform(name);
}

bool suggest_is_test_file(const char *path)
{
    static const char *const words[] = {"test", "tests", "unittest", "unittests", "benchmark", "bench", "fuzzer",
                                        "fuzz", NULL};
    const char *base = path_basename(path);
    const char *dot = strrchr(base, '.');
    size_t stem = dot ? (size_t)(dot - base) : strlen(base);
    /* The stem's words, split at '_' and '-': snappy_unittest.cc, snappy-test.cc, test_api.c. */
    for (size_t i = 0; i < stem;) {
        size_t n = 0;
        while (i + n < stem && base[i + n] != '_' && base[i + n] != '-')
            n++;
        char *word = xstrndup(base + i, n);
        bool hit = name_in(word, words);
        free(word);
        if (hit)
            return true;
        i += n + 1;
    }
    return false;
}

char *suggest_template_header(const char *path)
{
    static const char *const suffixes[] = {".in", ".cmake", ".cmakein", NULL};
    const char *base = path_basename(path);
    size_t n = strlen(base);
    for (size_t i = 0; suffixes[i]; i++) {
        size_t ls = strlen(suffixes[i]);
        if (n <= ls || strcmp(base + n - ls, suffixes[i]) != 0)
            continue;
        char *header = xstrndup(base, n - ls);
        /* config.h.in.in: the template of a template. */
        size_t hn = strlen(header);
        if (hn > 3 && strcmp(header + hn - 3, ".in") == 0)
            header[hn - 3] = '\0';
        if (srcscan_is_header(header))
            return header;
        free(header);
    }
    return NULL;
}

/* Code of other projects kept beside this one: built only when the library
 * is in it, or through a sources entry the user writes. */
static bool is_vendored_folder(const char *name)
{
    static const char *const vendored[] = {"contrib", "third_party", "thirdparty", "3rdparty", "vendor",
                                           "external", "extern", "deps", NULL};
    return name_in(name, vendored);
}

/* Where the library's code lives by convention. */
static bool is_library_folder(const char *name)
{
    static const char *const library[] = {"src", "lib", "source", "sources", "library", ".", NULL};
    return name_in(name, library);
}

/* How likely a top-level folder holds the library: 0 best. */
static int folder_tier(const char *name)
{
    if (suggest_is_side_folder(name) || is_vendored_folder(name))
        return 2;
    return is_library_folder(name) ? 0 : 1;
}

/* The first folder of rel ("." for a file at the root; caller frees). */
static char *top_folder(const char *rel)
{
    const char *slash = strchr(rel, '/');
    return slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
}

char *suggest_source_folder(const strvec *sources, const char *root)
{
    strvec tops = {0};
    for (size_t i = 0; i < sources->n; i++)
        strvec_push_owned(&tops, top_folder(sources->v[i]));
    strvec_sort_unique(&tops, 0);
    /* Counted after the sort above made the folders unique: one pass per folder. */
    /* The best tier that has sources wins; in it, the most sources, a tie
       preferring "src", then the smaller name. */
    const char *best = NULL;
    size_t best_n = 0;
    int best_tier = 3;
    for (size_t t = 0; t < tops.n; t++) {
        size_t cnt = 0;
        size_t lt = strlen(tops.v[t]);
        for (size_t i = 0; i < sources->n; i++)
            cnt += strcmp(tops.v[t], ".") == 0 ? strchr(sources->v[i], '/') == NULL
                                               : strncmp(sources->v[i], tops.v[t], lt) == 0 && sources->v[i][lt] == '/';
        int tier = folder_tier(tops.v[t]);
        if (tier < best_tier || (tier == best_tier && (cnt > best_n || (cnt == best_n && strcmp(tops.v[t], "src") == 0)))) {
            best = tops.v[t];
            best_n = cnt;
            best_tier = tier;
        }
    }
    char *res;
    if (best) {
        res = xstrdup(best);
    } else {
        char *src = path_join(root, "src");
        res = xstrdup(dir_exists(src) ? "src" : ".");
        free(src);
    }
    strvec_free(&tops);
    return res;
}

/* Whether rel lies in source_folder ("." holds everything). */
static bool in_folder(const char *rel, const char *folder)
{
    if (strcmp(folder, ".") == 0)
        return true;
    size_t n = strlen(folder);
    return strncmp(rel, folder, n) == 0 && rel[n] == '/';
}

/* The first folder on rel's path below source_folder that is not the
 * library's (a side folder anywhere; a vendored one directly under the root
 * when the library is the root), as a path from the root (caller frees), or NULL. */
static char *side_folder_of(const char *rel, const char *source_folder)
{
    bool at_root = strcmp(source_folder, ".") == 0;
    size_t skip = at_root ? 0 : strlen(source_folder) + 1;
    const char *p = rel + skip;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            return NULL;
        char *segment = xstrndup(p, (size_t)(slash - p));
        bool side = suggest_is_side_folder(segment) || (at_root && p == rel && is_vendored_folder(segment));
        free(segment);
        if (side)
            return xstrndup(rel, (size_t)(slash - rel));
        p = slash + 1;
    }
}

/* How many of the sources among facts f includes. */
static size_t sources_included(const suggest_source_facts *f)
{
    size_t n = 0;
    for (size_t k = 0; f->includes && k < f->includes->n; k++)
        n += srcscan_language(f->includes->v[k]) != SRC_NONE;
    return n;
}

/* Whether f lies in the library: in source_folder, below no side folder. */
static bool in_library(const suggest_source_facts *f, const char *source_folder)
{
    if (!in_folder(f->path, source_folder))
        return false;
    char *side = side_folder_of(f->path, source_folder);
    free(side);
    return side == NULL;
}

/* Whether f is a fragment: it includes nothing itself (a table, a list of
 * cases), and a source of the library that includes no other source includes
 * it. A source with includes of its own is a unit even when another includes
 * it for its shared parts (lz4hc.c includes lz4.c under LZ4_COMMONDEFS_ONLY):
 * leaving it out would lose its functions without a word, while keeping a
 * real fragment fails loudly (defined twice). */
static bool is_fragment(const suggest_source_facts *facts, size_t count, const suggest_source_facts *f,
                        const char *source_folder)
{
    if (f->includes && f->includes->n > 0)
        return false;
    for (size_t i = 0; i < count; i++)
        if (&facts[i] != f && in_library(&facts[i], source_folder) && sources_included(&facts[i]) == 1 &&
            strvec_contains(facts[i].includes, f->path))
            return true;
    return false;
}

void suggest_excludes(const suggest_source_facts *facts, size_t count, const char *source_folder, strvec *globs,
                      strvec *why)
{
    size_t in_lib = 0, mains = 0;
    for (size_t i = 0; i < count; i++) {
        if (!in_folder(facts[i].path, source_folder))
            continue;
        char *side = side_folder_of(facts[i].path, source_folder);
        if (side) {
            free(side);
            continue;
        }
        in_lib++;
        mains += facts[i].text_role == SUGGEST_TEXT_MAIN;
    }
    bool keep_programs = in_lib > 0 && mains == in_lib;
    strvec sides = {0};
    for (size_t i = 0; i < count; i++) {
        const suggest_source_facts *f = &facts[i];
        if (!in_folder(f->path, source_folder))
            continue;
        char *side = side_folder_of(f->path, source_folder);
        if (side) {
            if (!strvec_contains(&sides, side))
                strvec_push(&sides, side);
            free(side);
            continue;
        }
        const char *reason = NULL;
        if (f->text_role == SUGGEST_TEXT_MAIN && !keep_programs)
            reason = "defines main()";
        else if (f->text_role == SUGGEST_TEXT_MODULE)
            reason = "a C++20 module unit";
        else if (f->text_role == SUGGEST_TEXT_FUZZER)
            reason = "a fuzz target";
        else if (suggest_is_test_file(f->path))
            reason = "a test, benchmark or fuzzer by its name";
        else if (sources_included(f) >= 2)
            reason = "includes other sources";
        else if (is_fragment(facts, count, f, source_folder))
            reason = "included by another source";
        if (reason) {
            strvec_push(globs, f->path);
            strvec_push(why, reason);
        }
    }
    for (size_t i = 0; i < sides.n; i++) {
        strvec_push_owned(globs, xasprintf("%s/**", sides.v[i]));
        const char *base = path_basename(sides.v[i]);
        strvec_push(why, is_other_platform(base) ? "another platform's port"
                         : is_vendored_folder(base) ? "another project's code"
                                                    : "tests, examples or docs");
    }
    strvec_free(&sides);
}

void suggest_required_defines(const suggest_source_facts *facts, size_t count, const char *source_folder,
                              const strvec *excluded, const strvec *defined_anywhere, strvec *out)
{
    for (size_t i = 0; i < count; i++) {
        if (!facts[i].required || !in_library(&facts[i], source_folder) || strvec_contains(excluded, facts[i].path))
            continue;
        for (size_t k = 0; k < facts[i].required->n; k++)
            if (!strvec_contains(out, facts[i].required->v[k]) &&
                !strvec_contains(defined_anywhere, facts[i].required->v[k]))
                strvec_push(out, facts[i].required->v[k]);
    }
}

bool suggest_is_system_shim(const char *dir, const strvec *headers)
{
    static const char *const standard[] = {
        "assert.h", "complex.h", "ctype.h",  "errno.h",  "fenv.h",      "float.h",   "inttypes.h", "iso646.h",
        "limits.h", "locale.h",  "math.h",   "setjmp.h", "signal.h",    "stdalign.h", "stdarg.h",  "stdatomic.h",
        "stdbool.h", "stddef.h", "stdint.h", "stdio.h",  "stdlib.h",    "stdnoreturn.h", "string.h", "tgmath.h",
        "threads.h", "time.h",   "uchar.h",  "wchar.h",  "wctype.h",    "unistd.h",  "fcntl.h",    "pthread.h",
        NULL};
    /* The kernel's and the C library's own namespaces: no userland library ships them. */
    static const char *const system_dirs[] = {"linux/", "sys/", "asm/", "asm-generic/", "bits/", NULL};
    size_t ld = strcmp(dir, ".") == 0 ? 0 : strlen(dir);
    for (size_t i = 0; i < headers->n; i++) {
        const char *h = headers->v[i];
        if (ld && (strncmp(h, dir, ld) != 0 || h[ld] != '/'))
            continue;
        const char *rel = h + (ld ? ld + 1 : 0);
        if (name_in(rel, standard))
            return true;
        for (size_t k = 0; system_dirs[k]; k++)
            if (strncmp(rel, system_dirs[k], strlen(system_dirs[k])) == 0)
                return true;
    }
    return false;
}

bool suggest_keeps_include_dir(const char *dir, const char *source_folder, const suggest_source_facts *facts,
                               size_t count, const strvec *excluded)
{
    char *probe = xasprintf("%s/x.h", dir);
    char *side = side_folder_of(probe, strcmp(source_folder, ".") == 0 || in_folder(probe, source_folder) ? source_folder : ".");
    free(probe);
    if (!side)
        return true;
    free(side);
    /* Another platform's headers are wrong here even where the library's
       sources include them (jansson's android/jansson_config.h). */
    for (const char *p = dir; *p;) {
        size_t n = strcspn(p, "/");
        char *segment = xstrndup(p, n);
        bool port = is_other_platform(segment);
        free(segment);
        if (port)
            return false;
        p += n + (p[n] == '/');
    }
    /* In a folder the library leaves out: kept only if the library's own
       sources include something there. */
    size_t ld = strlen(dir);
    for (size_t i = 0; i < count; i++) {
        if (!in_library(&facts[i], source_folder) || strvec_contains(excluded, facts[i].path))
            continue;
        for (size_t k = 0; facts[i].includes && k < facts[i].includes->n; k++)
            if (strncmp(facts[i].includes->v[k], dir, ld) == 0 && facts[i].includes->v[k][ld] == '/')
                return true;
    }
    return false;
}
