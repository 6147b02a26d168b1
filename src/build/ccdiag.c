/* ccdiag.c - gcc/clang/ld text diagnostics (located from the right so paths with colons still parse) and gcc's JSON diagnostics, into one model. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* memmem */
#endif
#include "ccdiag.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model ---- */

void ccdiag_free(ccdiag *d)
{
    free(d->file);
    free(d->message);
    free(d->option);
    strvec_free(&d->include_chain);
    strvec_free(&d->notes);
    for (size_t i = 0; i < d->nfixits; i++) {
        free(d->fixits[i].file);
        free(d->fixits[i].text);
    }
    free(d->fixits);
    free(d->command);
    free(d->symbol);
    free(d->object);
    free(d->function);
    memset(d, 0, sizeof *d);
}

void ccdiag_list_free(ccdiag_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        ccdiag_free(&list->v[i]);
    free(list->v);
    memset(list, 0, sizeof *list);
}

static ccdiag *list_add(ccdiag_list *list)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 16;
        list->v = xrealloc(list->v, list->cap * sizeof *list->v);
    }
    ccdiag *d = &list->v[list->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static void add_fixit(ccdiag *d, const char *file, int line, int col, int eline, int ecol, char *text)
{
    d->fixits = xrealloc(d->fixits, (d->nfixits + 1) * sizeof *d->fixits);
    d->fixits[d->nfixits++] = (ccdiag_fixit){file ? xstrdup(file) : NULL, line, col, eline, ecol, text};
}

const char *ccdiag_severity_name(ccdiag_severity s)
{
    return s == CCDIAG_ERROR ? "error" : s == CCDIAG_WARNING ? "warning" : "note";
}

static const char *const link_names[] = {
    [CCDIAG_LINK_NONE] = NULL,
    [CCDIAG_LINK_UNDEFINED] = "undefined_reference",
    [CCDIAG_LINK_MULTIPLE] = "multiple_definition",
    [CCDIAG_LINK_NO_LIBRARY] = "missing_library",
    [CCDIAG_LINK_RELOCATION] = "relocation",
    [CCDIAG_LINK_VERSION] = "symbol_version",
    [CCDIAG_LINK_OTHER] = "other",
};

const char *ccdiag_link_name(ccdiag_link l)
{
    return (unsigned)l < sizeof link_names / sizeof link_names[0] ? link_names[l] : NULL;
}

/* ---- small text helpers ---- */

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int to_int(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n && v < 100000000; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(s, prefix, pl) == 0;
}

static const char *find(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle));
}

/* The text between the quote opening at s (` ' or ") and the matching
   closing quote ("`x'", "'x'", "‘x’"), copied; NULL when there is none. */
static char *quoted_after(const char *s, const char *end)
{
    const char *open = NULL;
    for (const char *p = s; p < end; p++) {
        if (*p == '`' || *p == '\'' || *p == '"') {
            open = p + 1;
            break;
        }
        if ((unsigned char)p[0] == 0xe2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x98) {   /* U+2018 */
            open = p + 3;
            break;
        }
    }
    if (!open)
        return NULL;
    for (const char *p = open; p < end; p++) {
        if (*p == '\'' || *p == '"')
            return xstrndup(open, (size_t)(p - open));
        if ((unsigned char)p[0] == 0xe2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x99)   /* U+2019 */
            return xstrndup(open, (size_t)(p - open));
    }
    return xstrndup(open, (size_t)(end - open));
}

/* "prefix:LINE[:COL]" at the end of [s, s+n): strips up to two numbers into
   line and col and returns the length of what is left (the file). */
static size_t split_location(const char *s, size_t n, int *line, int *col)
{
    int nums[2] = {0, 0}, nnum = 0;
    size_t plen = n;
    while (nnum < 2) {
        const char *c = NULL;
        for (size_t i = plen; i > 0; i--)
            if (s[i - 1] == ':') {
                c = s + i - 1;
                break;
            }
        if (!c || !all_digits(c + 1, (size_t)(s + plen - c - 1)))
            break;
        nums[1] = nums[0];
        nums[0] = to_int(c + 1, (size_t)(s + plen - c - 1));
        nnum++;
        plen = (size_t)(c - s);
    }
    *line = nnum >= 1 ? nums[0] : 0;
    *col = nnum >= 2 ? nums[1] : 0;
    return plen;
}

/* The "[-Wflag]" or "[-Werror,-Wflag]" that ends a message, or NULL. */
static char *option_of(const char *msg, size_t n)
{
    if (n < 4 || msg[n - 1] != ']')
        return NULL;
    const char *open = NULL;
    for (size_t i = n - 1; i > 0; i--)
        if (msg[i - 1] == '[') {
            open = msg + i;
            break;
        }
    if (!open || open[0] != '-')
        return NULL;
    /* The last flag of the list that is not -Werror itself. */
    const char *best = NULL, *p = open, *end = msg + n - 1;
    size_t best_len = 0;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (!(stop - p == 7 && memcmp(p, "-Werror", 7) == 0)) {
            best = p;
            best_len = (size_t)(stop - p);
        }
        p = comma ? comma + 1 : end;
    }
    return best ? xstrndup(best, best_len) : NULL;
}

/* ---- linker lines ---- */

static bool is_linker_name(const char *s, size_t n)
{
    const char *base = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/')
            base = s + i + 1;
    size_t bl = (size_t)(s + n - base);
    static const char *const names[] = {"ld", "ld.bfd", "ld.gold", "ld.lld", "lld", "ld64.lld", "mold", "collect2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bl == strlen(names[i]) && memcmp(base, names[i], bl) == 0)
            return true;
    return bl > 3 && (memcmp(base + bl - 3, "-ld", 3) == 0 ||
                      (bl > 7 && memcmp(base + bl - 7, "-ld.bfd", 7) == 0));
}

/* Length of "/usr/bin/ld: " at the start of the line, 0 when it is not a linker line. */
static size_t linker_prefix(const char *line, size_t n)
{
    const char *c = find(line, n, ": ");
    if (!c || c == line || memchr(line, ' ', (size_t)(c - line)))
        return 0;
    return is_linker_name(line, (size_t)(c - line)) ? (size_t)(c - line) + 2 : 0;
}

typedef struct parse_state {
    ccdiag_list *out;
    size_t errors;
    long last;              /* index of the last error/warning, -1 before any */
    strvec chain;           /* include chain waiting for its diagnostic */
    char *chain_file;       /* the file the chain belongs to once a diagnostic took it */
    char *ld_object, *ld_function;  /* "OBJ: in function `F':" context */
    bool lld_pending;       /* the last diagnostic is lld's: ">>> " lines locate it */
} parse_state;

static ccdiag *emit(parse_state *ps, ccdiag_severity sev, const char *msg, size_t mlen)
{
    ccdiag *d = list_add(ps->out);
    d->severity = sev;
    d->message = xstrndup(msg, mlen);
    d->option = option_of(msg, mlen);
    ps->last = (long)ps->out->n - 1;
    ps->lld_pending = false;
    if (sev == CCDIAG_ERROR)
        ps->errors++;
    return d;
}

static void take_context(parse_state *ps, ccdiag *d)
{
    if (ps->ld_object && !d->object)
        d->object = xstrdup(ps->ld_object);
    if (ps->ld_function && !d->function)
        d->function = xstrdup(ps->ld_function);
}

/* "src/a.c:12" or "src/a.c:(.text+0x9)" (no debug information) before a
   linker message: the source file and line. */
static void set_source_location(ccdiag *d, const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == ':'))
        n--;
    if (n && s[n - 1] == ')') {
        const char *sec = NULL;
        for (size_t i = n; i > 1; i--)
            if (s[i - 2] == ':' && s[i - 1] == '(') {
                sec = s + i - 2;
                break;
            }
        if (sec)
            n = (size_t)(sec - s);
        d->line = 0;
    } else {
        int col;
        n = split_location(s, n, &d->line, &col);
    }
    if (n)
        d->file = xstrndup(s, n);
}

static void symbol_message(ccdiag *d, ccdiag_link kind, const char *at, const char *end)
{
    d->link = kind;
    d->symbol = quoted_after(at, end);
    if (kind == CCDIAG_LINK_UNDEFINED && d->symbol && strchr(d->symbol, '@'))
        d->link = CCDIAG_LINK_VERSION;
}

/* A GNU ld or lld line after its "ld: " prefix. */
static void parse_linker_line(parse_state *ps, const char *r, size_t n, bool collect2)
{
    const char *end = r + n;
    if (collect2 || find(r, n, "final link failed") || find(r, n, "failed to set dynamic section sizes"))
        return;   /* summaries of the errors already reported */
    bool lld_err = starts(r, n, "error: "), lld_warn = starts(r, n, "warning: ");
    if (lld_err || lld_warn) {
        const char *b = r + (lld_err ? 7 : 9);
        size_t bn = (size_t)(end - b);
        ccdiag *d = emit(ps, lld_err ? CCDIAG_ERROR : CCDIAG_WARNING, b, bn);
        if (starts(b, bn, "undefined symbol: ")) {
            d->link = CCDIAG_LINK_UNDEFINED;
            d->symbol = xstrndup(b + 18, bn - 18);
            if (strchr(d->symbol, '@'))
                d->link = CCDIAG_LINK_VERSION;
        } else if (starts(b, bn, "duplicate symbol: ")) {
            d->link = CCDIAG_LINK_MULTIPLE;
            d->symbol = xstrndup(b + 18, bn - 18);
        } else if (starts(b, bn, "unable to find library -l")) {
            d->link = CCDIAG_LINK_NO_LIBRARY;
            d->symbol = xstrndup(b + 25, bn - 25);
        } else if (find(b, bn, "recompile with -fPIC")) {
            d->link = CCDIAG_LINK_RELOCATION;
            const char *sym = find(b, bn, "against symbol ");
            if (sym)
                d->symbol = quoted_after(sym, end);
        } else {
            d->link = CCDIAG_LINK_OTHER;
        }
        ps->lld_pending = true;
        return;
    }
    const char *fn = find(r, n, ": in function `");
    if (!fn)
        fn = find(r, n, ": in function '");
    if (fn && n > 2 && r[n - 1] == ':') {
        free(ps->ld_object);
        free(ps->ld_function);
        ps->ld_object = xstrndup(r, (size_t)(fn - r));
        ps->ld_function = quoted_after(fn + 13, end);
        return;
    }
    if (starts(r, n, "cannot find -l")) {
        const char *name = r + 14, *e = find(name, (size_t)(end - name), ": ");
        ccdiag *d = emit(ps, CCDIAG_ERROR, r, n);
        d->link = CCDIAG_LINK_NO_LIBRARY;
        d->symbol = xstrndup(name, (size_t)((e ? e : end) - name));
        return;
    }
    const char *what;
    if ((what = find(r, n, "recompile with -fPIC")) != NULL) {
        const char *rel = find(r, n, ": relocation ");
        ccdiag *d = emit(ps, CCDIAG_ERROR, rel ? rel + 2 : r, (size_t)(end - (rel ? rel + 2 : r)));
        d->link = CCDIAG_LINK_RELOCATION;
        if (rel)
            d->object = xstrndup(r, (size_t)(rel - r));
        const char *sym = find(r, n, "against symbol ");
        if (!sym)
            sym = find(r, n, "against ");
        if (sym)
            d->symbol = quoted_after(sym, end);
        take_context(ps, d);
        return;
    }
    if ((what = find(r, n, "undefined reference to ")) != NULL ||
        (what = find(r, n, "version node not found for symbol ")) != NULL) {
        bool version = what[0] == 'v';
        ccdiag *d = emit(ps, CCDIAG_ERROR, what, (size_t)(end - what));
        if (version) {
            d->link = CCDIAG_LINK_VERSION;
            const char *s = what + 34, *e = s;
            while (e < end && *e != ' ')
                e++;
            d->symbol = xstrndup(s, (size_t)(e - s));
        } else {
            symbol_message(d, CCDIAG_LINK_UNDEFINED, what + 22, end);
        }
        if (what - r > 2)   /* "./libu.so: undefined reference": the library that needs it */
            d->object = xstrndup(r, (size_t)(what - r - 2));
        else
            take_context(ps, d);
        return;
    }
    const char *w = find(r, n, "warning: ");
    const char *e = find(r, n, "error: ");
    ccdiag_severity sev = w && (!e || w < e) ? CCDIAG_WARNING : CCDIAG_ERROR;
    const char *tag = sev == CCDIAG_WARNING ? w : e;
    const char *msg = tag ? tag + (sev == CCDIAG_WARNING ? 9 : 7) : r;
    ccdiag *d = emit(ps, sev, msg, (size_t)(end - msg));
    d->link = CCDIAG_LINK_OTHER;
    if (tag && tag - r > 2)
        d->object = xstrndup(r, (size_t)(tag - r - 2));
}

/* "FILE:LINE: undefined reference to `x'" and "FILE:(.text+0x9): multiple
   definition of `x'; OBJ:FILE:LINE: first defined here": ld's lines located
   by the debug information (or only by the source name without it). */
static bool parse_located_link_line(parse_state *ps, const char *line, size_t n)
{
    const char *end = line + n;
    const char *u = find(line, n, ": undefined reference to ");
    ccdiag_link kind = CCDIAG_LINK_UNDEFINED;
    if (!u) {
        u = find(line, n, ": multiple definition of ");
        kind = CCDIAG_LINK_MULTIPLE;
    }
    if (!u)
        return false;
    const char *msg = u + 2;
    const char *semi = kind == CCDIAG_LINK_MULTIPLE ? find(msg, (size_t)(end - msg), "; ") : NULL;
    ccdiag *d = emit(ps, CCDIAG_ERROR, msg, (size_t)((semi ? semi : end) - msg));
    symbol_message(d, kind, msg + (kind == CCDIAG_LINK_UNDEFINED ? 22 : 23), semi ? semi : end);
    set_source_location(d, line, (size_t)(u - line));
    take_context(ps, d);
    if (semi)
        strvec_push_owned(&d->notes, xstrndup(semi + 2, (size_t)(end - semi - 2)));
    return true;
}

/* lld's ">>> referenced by a.c:3" / ">>>               a.o:(main)" / ">>> defined at a.c:1". */
static void parse_lld_context(parse_state *ps, const char *s, size_t n)
{
    if (ps->last < 0)
        return;
    ccdiag *d = &ps->out->v[ps->last];
    while (n && *s == ' ')
        s++, n--;
    if (starts(s, n, "referenced by ") || starts(s, n, "defined at ")) {
        const char *loc = s + (s[0] == 'r' ? 14 : 11);
        size_t ln = (size_t)(s + n - loc);
        const char *sp = find(loc, ln, " (");   /* "a.c:3 (/abs/a.c:3)" */
        if (sp)
            ln = (size_t)(sp - loc);
        if (!d->file) {
            int col;
            size_t fl = split_location(loc, ln, &d->line, &col);
            d->file = xstrndup(loc, fl);
        }
    } else if (starts(s, n, "defined in ")) {
        if (!d->object)
            d->object = xstrndup(s + 11, n - 11);
    } else if (!d->object && n) {
        const char *paren = find(s, n, ":(");
        d->object = xstrndup(s, paren ? (size_t)(paren - s) : n);
        if (paren && !d->function && s[n - 1] == ')')
            d->function = xstrndup(paren + 2, (size_t)(s + n - paren - 3));
    }
}

/* fix-it:"k.c":{2:44-2:44}:";" */
static void parse_fixit(parse_state *ps, const char *s, size_t n)
{
    if (ps->last < 0)
        return;
    const char *end = s + n, *q = s + 8;
    const char *fq = memchr(q, '"', (size_t)(end - q));
    if (!fq)
        return;
    int v[4] = {0, 0, 0, 0};
    const char *p = fq + 1;
    if (p + 2 > end || p[0] != ':' || p[1] != '{')
        return;
    p += 2;
    for (int i = 0; i < 4; i++) {
        while (p < end && isdigit((unsigned char)*p)) {
            /* A line or column past a million is no real position: stop there, no overflow. */
            if (v[i] < 1000000)
                v[i] = v[i] * 10 + (*p - '0');
            p++;
        }
        if (p < end)
            p++;   /* ':', '-', ':', '}' */
    }
    if (p + 2 > end || p[0] != ':' || p[1] != '"')
        return;
    const char *t = p + 2, *te = end - 1;
    if (te < t || *te != '"')
        return;
    char *file = xstrndup(q, (size_t)(fq - q));
    add_fixit(&ps->out->v[ps->last], file, v[0], v[1], v[2], v[3], xstrndup(t, (size_t)(te - t)));
    free(file);
}

static void chain_add(parse_state *ps, const char *s, size_t n)
{
    while (n && (s[n - 1] == ',' || s[n - 1] == ':'))
        n--;
    int line, col;
    size_t fl = split_location(s, n, &line, &col);
    strvec_push_owned(&ps->chain, xasprintf("%.*s:%d", (int)fl, s, line));
}

static void parse_line(parse_state *ps, const char *line, size_t ll)
{
    if (ll && line[ll - 1] == '\r')
        ll--;
    if (starts(line, ll, "In file included from ")) {
        strvec_free(&ps->chain);
        free(ps->chain_file);
        ps->chain_file = NULL;
        chain_add(ps, line + 22, ll - 22);
        return;
    }
    size_t sp = 0;
    while (sp < ll && line[sp] == ' ')
        sp++;
    if (sp > 0 && ps->chain.n && starts(line + sp, ll - sp, "from ")) {
        chain_add(ps, line + sp + 5, ll - sp - 5);
        return;
    }
    if (starts(line, ll, ">>> ")) {
        if (ps->lld_pending)
            parse_lld_context(ps, line + 4, ll - 4);
        return;
    }
    if (starts(line, ll, "fix-it:\"")) {
        parse_fixit(ps, line, ll);
        return;
    }
    size_t lp = linker_prefix(line, ll);
    if (lp) {
        bool collect2 = lp >= 10 && memcmp(line + lp - 10, "collect2", 8) == 0;
        parse_linker_line(ps, line + lp, ll - lp, collect2);
        return;
    }
    if (parse_located_link_line(ps, line, ll))
        return;
    static const struct { const char *tag; size_t len; ccdiag_severity sev; } tags[] = {
        {": fatal error: ", 15, CCDIAG_ERROR}, {": error: ", 9, CCDIAG_ERROR},
        {": warning: ", 11, CCDIAG_WARNING}, {": note: ", 8, CCDIAG_NOTE}};
    const char *hit = NULL;
    ccdiag_severity sev = CCDIAG_ERROR;
    size_t taglen = 0;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        const char *p = memmem(line, ll, tags[t].tag, tags[t].len);
        if (p && (!hit || p < hit)) {
            hit = p;
            sev = tags[t].sev;
            taglen = tags[t].len;
        }
    }
    if (!hit)
        return;
    int lno, col;
    size_t plen = split_location(line, (size_t)(hit - line), &lno, &col);
    /* "cc1", "gcc", "clang": a tool speaking, not a file. */
    bool tool = lno == 0 && !memchr(line, '.', plen) && !memchr(line, '/', plen);
    const char *msg = hit + taglen;
    size_t mlen = (size_t)(line + ll - msg);
    if (tool && starts(msg, mlen, "linker command failed"))
        return;   /* clang's summary of the linker's errors */
    if (sev == CCDIAG_NOTE) {
        if (ps->last >= 0)
            strvec_push_owned(&ps->out->v[ps->last].notes,
                              tool ? xstrndup(msg, mlen) : xasprintf("%.*s:%d:%d: %.*s", (int)plen, line, lno, col,
                                                                     (int)mlen, msg));
        return;
    }
    ccdiag *d = emit(ps, sev, msg, mlen);
    d->file = tool ? NULL : xstrndup(line, plen);
    d->line = lno;
    d->column = col;
    if (ps->chain.n) {
        bool fresh = !ps->chain_file;
        if (fresh || (d->file && strcmp(d->file, ps->chain_file) == 0)) {
            strvec_extend(&d->include_chain, &ps->chain);
            if (fresh)
                ps->chain_file = d->file ? xstrdup(d->file) : xstrdup("");
        } else {
            strvec_free(&ps->chain);
            free(ps->chain_file);
            ps->chain_file = NULL;
        }
    }
}

size_t ccdiag_parse_text(const char *text, size_t len, ccdiag_list *out)
{
    parse_state ps = {.out = out, .last = -1};
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
        parse_line(&ps, line, ll);
        line = nl ? nl + 1 : end;
    }
    strvec_free(&ps.chain);
    free(ps.chain_file);
    free(ps.ld_object);
    free(ps.ld_function);
    return ps.errors;
}

size_t ccdiag_parse(const char *text, size_t len, ccdiag_fn fn, void *ctx)
{
    ccdiag_list list = {0};
    size_t errors = ccdiag_parse_text(text, len, &list);
    for (size_t i = 0; i < list.n; i++)
        fn(ctx, &list.v[i]);
    ccdiag_list_free(&list);
    return errors;
}

/* The identifier a linker symbol is found under in source: "ns::f(int)" -> "f", "foo@VER_1" -> "foo". */
static char *source_name_of(const char *symbol)
{
    const char *s = symbol, *e = symbol + strlen(symbol);
    const char *paren = strchr(s, '(');
    if (paren)
        e = paren;
    const char *at = memchr(s, '@', (size_t)(e - s));
    if (at)
        e = at;
    for (const char *p = s; p + 1 < e; p++)
        if (p[0] == ':' && p[1] == ':')
            s = p + 2;
    return e > s ? xstrndup(s, (size_t)(e - s)) : NULL;
}

static bool ident_char(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* The line of source that refers to name: a use inside a function body when
   inside is true (an undefined reference), else a top-level mention (a
   definition). Comments and strings are skipped; 0 when not found. A search,
   for objects built without debug information. */
static int search_source_line(const char *path, const char *name, bool inside)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return 0;
    size_t nl = strlen(name);
    int line = 1, depth = 0, first = 0, found = 0;
    for (size_t i = 0; i < len && !found; i++) {
        char c = text[i];
        if (c == '\n') {
            line++;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '/') {
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            for (i += 2; i + 1 < len && !(text[i] == '*' && text[i + 1] == '/'); i++)
                line += text[i] == '\n';
            i++;
        } else if (c == '"' || c == '\'') {
            for (i++; i < len && text[i] != c && text[i] != '\n'; i++)
                if (text[i] == '\\')
                    i++;
        } else if (c == '{') {
            depth++;
        } else if (c == '}') {
            depth -= depth > 0;
        } else if (ident_char(c) && (i == 0 || !ident_char(text[i - 1]))) {
            size_t j = i;
            while (j < len && ident_char(text[j]))
                j++;
            if (j - i == nl && memcmp(text + i, name, nl) == 0) {
                if (!first)
                    first = line;
                if ((depth > 0) == inside)
                    found = line;
            }
            i = j - 1;
        }
    }
    free(text);
    return found ? found : first;
}

int ccdiag_symbol_line(const char *path, const ccdiag *d)
{
    if (!d->symbol || !(d->link == CCDIAG_LINK_UNDEFINED || d->link == CCDIAG_LINK_MULTIPLE ||
                        d->link == CCDIAG_LINK_VERSION || d->link == CCDIAG_LINK_RELOCATION))
        return 0;
    char *name = source_name_of(d->symbol);
    int line = name ? search_source_line(path, name, d->link != CCDIAG_LINK_MULTIPLE) : 0;
    free(name);
    return line;
}

/* ---- gcc's JSON ---- */

static int num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

static ccdiag_severity json_severity(const char *kind)
{
    if (!kind)
        return CCDIAG_ERROR;
    if (strstr(kind, "warning"))
        return CCDIAG_WARNING;
    if (strstr(kind, "note"))
        return CCDIAG_NOTE;
    return CCDIAG_ERROR;   /* "error", "fatal error", "sorry, unimplemented" */
}

long ccdiag_parse_json(const char *text, size_t len, ccdiag_list *out)
{
    /* gcc writes the array on one line; anything after it ("compilation terminated.") is not JSON. */
    const char *start = memchr(text, '[', len);
    if (!start)
        return -1;
    cJSON *arr = cJSON_ParseWithLength(start, len - (size_t)(start - text));
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        return -1;
    }
    long errors = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        ccdiag *d = list_add(out);
        d->severity = json_severity(str(item, "kind"));
        d->message = xstrdup(str(item, "message") ? str(item, "message") : "");
        if (str(item, "option"))
            d->option = xstrdup(str(item, "option"));
        const cJSON *caret = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(item, "locations"), 0), "caret");
        if (caret) {
            d->file = str(caret, "file") ? xstrdup(str(caret, "file")) : NULL;
            d->line = num(caret, "line");
            d->column = num(caret, "column");
        }
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(item, "fixits"))
        {
            const cJSON *a = cJSON_GetObjectItem(f, "start"), *b = cJSON_GetObjectItem(f, "next");
            add_fixit(d, str(a, "file"), num(a, "line"), num(a, "column"), num(b, "line"), num(b, "column"),
                      xstrdup(str(f, "string") ? str(f, "string") : ""));
        }
        const cJSON *child;
        cJSON_ArrayForEach(child, cJSON_GetObjectItem(item, "children"))
        {
            const cJSON *cc = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(child, "locations"), 0), "caret");
            const char *m = str(child, "message") ? str(child, "message") : "";
            strvec_push_owned(&d->notes, cc ? xasprintf("%s:%d:%d: %s", str(cc, "file") ? str(cc, "file") : "",
                                                        num(cc, "line"), num(cc, "column"), m)
                                            : xstrdup(m));
        }
        if (d->severity == CCDIAG_ERROR)
            errors++;
    }
    cJSON_Delete(arr);
    return errors;
}

/* ---- JSON form of the model ---- */

static void add_strvec(cJSON *o, const char *key, const strvec *sv)
{
    if (!sv->n)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
}

static void add_opt(cJSON *o, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, key, value);
}

cJSON *ccdiag_to_json(const ccdiag *d)
{
    cJSON *it = cJSON_CreateObject();
    if (d->file)
        cJSON_AddStringToObject(it, "file", d->file);
    else
        cJSON_AddNullToObject(it, "file");
    cJSON_AddNumberToObject(it, "line", d->line);
    cJSON_AddNumberToObject(it, "column", d->column);
    cJSON_AddStringToObject(it, "severity", ccdiag_severity_name(d->severity));
    cJSON_AddStringToObject(it, "message", d->message ? d->message : "");
    add_opt(it, "option", d->option);
    add_strvec(it, "include_chain", &d->include_chain);
    add_strvec(it, "notes", &d->notes);
    if (d->nfixits) {
        cJSON *a = cJSON_AddArrayToObject(it, "fixits");
        for (size_t i = 0; i < d->nfixits; i++) {
            const ccdiag_fixit *f = &d->fixits[i];
            cJSON *fo = cJSON_CreateObject();
            add_opt(fo, "file", f->file);
            cJSON_AddNumberToObject(fo, "line", f->line);
            cJSON_AddNumberToObject(fo, "column", f->column);
            cJSON_AddNumberToObject(fo, "end_line", f->end_line);
            cJSON_AddNumberToObject(fo, "end_column", f->end_column);
            cJSON_AddStringToObject(fo, "text", f->text ? f->text : "");
            cJSON_AddItemToArray(a, fo);
        }
    }
    add_opt(it, "command", d->command);
    add_opt(it, "link", ccdiag_link_name(d->link));
    add_opt(it, "symbol", d->symbol);
    add_opt(it, "object", d->object);
    add_opt(it, "function", d->function);
    return it;
}

static char *dup_opt(const cJSON *o, const char *key)
{
    const char *s = str(o, key);
    return s ? xstrdup(s) : NULL;
}

static void read_strvec(const cJSON *o, const char *key, strvec *sv)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, key))
    {
        if (cJSON_IsString(e))
            strvec_push(sv, e->valuestring);
    }
}

bool ccdiag_from_json(const cJSON *item, ccdiag *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(item))
        return false;
    out->file = dup_opt(item, "file");
    out->line = num(item, "line");
    out->column = num(item, "column");
    out->severity = json_severity(str(item, "severity"));
    out->message = xstrdup(str(item, "message") ? str(item, "message") : "");
    out->option = dup_opt(item, "option");
    read_strvec(item, "include_chain", &out->include_chain);
    read_strvec(item, "notes", &out->notes);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(item, "fixits"))
    {
        add_fixit(out, str(f, "file"), num(f, "line"), num(f, "column"), num(f, "end_line"), num(f, "end_column"),
                  dup_opt(f, "text"));
    }
    out->command = dup_opt(item, "command");
    const char *link = str(item, "link");
    for (size_t i = 1; link && i < sizeof link_names / sizeof link_names[0]; i++)
        if (strcmp(link, link_names[i]) == 0)
            out->link = (ccdiag_link)i;
    out->symbol = dup_opt(item, "symbol");
    out->object = dup_opt(item, "object");
    out->function = dup_opt(item, "function");
    return true;
}
