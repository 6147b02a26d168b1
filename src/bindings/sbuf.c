/* sbuf.c - what the generators share: the growable string they write modules into, and a function's C declaration as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings_internal.h"

static void sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void sbuf_addf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_adds(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sbuf_reserve(b, n);
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

char *sbuf_take(sbuf *b)
{
    char *p = b->p ? b->p : xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void sbuf_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void bindings_c_signature(sbuf *b, const cJSON *decl)
{
    sbuf_addf(b, "%s %s(", bj_str(cJSON_GetObjectItemCaseSensitive(decl, "ret"), "c"), bj_str(decl, "name"));
    const cJSON *p;
    int i = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(decl, "params"))
    {
        const char *pn = bj_str(p, "name");
        sbuf_addf(b, "%s%s%s%s", i++ ? ", " : "", bj_str(cJSON_GetObjectItemCaseSensitive(p, "type"), "c"),
                  pn && *pn ? " " : "", pn ? pn : "");
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "variadic")))
        sbuf_adds(b, i ? ", ..." : "...");
    else if (i == 0)
        sbuf_adds(b, "void");
    sbuf_adds(b, ")");
}
