/* ccdiag.c - gcc/clang/ld text diagnostics, located from the right so paths with colons still parse. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* memmem */
#endif
#include "ccdiag.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

size_t ccdiag_parse(const char *text, size_t len, ccdiag_fn fn, void *ctx)
{
    static const struct { const char *tag; size_t len; bool error; } tags[] = {
        {": fatal error: ", 15, true}, {": error: ", 9, true}, {": warning: ", 11, false}};
    size_t errors = 0;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *hit = NULL;
        bool error = false;
        size_t taglen = 0;
        for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
            const char *p = memmem(line, ll, tags[t].tag, tags[t].len);
            if (p && (!hit || p < hit)) {
                hit = p;
                error = tags[t].error;
                taglen = tags[t].len;
            }
        }
        ccdiag d = {0};
        if (hit) {
            /* Up to two trailing ":N" parts of the prefix are line and column. */
            size_t plen = (size_t)(hit - line);
            int nums[2] = {0, 0}, nnum = 0;
            while (nnum < 2) {
                const char *c = NULL;
                for (size_t i = plen; i > 0; i--)
                    if (line[i - 1] == ':') {
                        c = line + i - 1;
                        break;
                    }
                if (!c || !all_digits(c + 1, (size_t)(line + plen - c - 1)))
                    break;
                nums[1] = nums[0];
                nums[0] = to_int(c + 1, (size_t)(line + plen - c - 1));
                nnum++;
                plen = (size_t)(c - line);
            }
            /* "cc1", "gcc", "/usr/bin/ld": a tool speaking, not a file. */
            bool tool = nnum == 0 && !memchr(line, '.', plen);
            d.file = tool ? NULL : line;
            d.file_len = tool ? 0 : plen;
            d.line = nnum >= 1 ? nums[0] : 0;
            d.column = nnum >= 2 ? nums[1] : 0;
            d.error = error;
            d.message = hit + taglen;
            d.message_len = (size_t)(line + ll - d.message);
            fn(ctx, &d);
            errors += error;
        } else {
            const char *u = memmem(line, ll, "undefined reference to", 22);
            if (u) {
                const char *colon = memchr(line, ':', (size_t)(u - line));
                d.file = colon ? line : NULL;
                d.file_len = colon ? (size_t)(colon - line) : 0;
                d.error = true;
                d.message = u;
                d.message_len = (size_t)(line + ll - u);
                fn(ctx, &d);
                errors++;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return errors;
}
