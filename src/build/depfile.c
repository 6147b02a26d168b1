/* depfile.c - make-style depfile parser: targets, prerequisites, escapes, continuations. */
#include "depfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A depfile holds a few dozen paths; a linear duplicate check would be
 * quadratic on generated code with thousands of headers, so remember what we
 * have seen in a small open-addressing set of indices into deps. */
typedef struct seen_set {
    size_t *idx;
    size_t cap;
} seen_set;

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool seen_add(seen_set *set, strvec *deps, const char *word)
{
    if ((deps->n + 1) * 2 > set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 64;
        size_t *nidx = xmalloc(ncap * sizeof *nidx);
        for (size_t i = 0; i < ncap; i++)
            nidx[i] = (size_t)-1;
        for (size_t k = 0; k < deps->n; k++) {
            size_t j = str_hash(deps->v[k]) & (ncap - 1);
            while (nidx[j] != (size_t)-1)
                j = (j + 1) & (ncap - 1);
            nidx[j] = k;
        }
        free(set->idx);
        set->idx = nidx;
        set->cap = ncap;
    }
    size_t j = str_hash(word) & (set->cap - 1);
    while (set->idx[j] != (size_t)-1) {
        if (strcmp(deps->v[set->idx[j]], word) == 0)
            return false;
        j = (j + 1) & (set->cap - 1);
    }
    set->idx[j] = deps->n;
    strvec_push(deps, word);
    return true;
}

int depfile_parse(const char *text, size_t len, strvec *deps)
{
    /* A compiler never writes a NUL; a file with one is damaged, and its
     * words would become empty or cut-short paths. */
    if (len && memchr(text, '\0', len))
        return -1;
    seen_set seen = {0};
    char *word = xmalloc(len + 1);
    size_t wlen = 0;
    bool have_rule = false;
    bool in_targets = true;   /* words before the rule's colon are targets */
    size_t i = 0;

    while (i <= len) {
        char c = i < len ? text[i] : '\n';
        bool end_word = false, end_line = false, colon = false;

        if (c == '\\' && i + 1 < len) {
            char n = text[i + 1];
            if (n == '\n' || (n == '\r' && i + 2 < len && text[i + 2] == '\n')) {
                i += n == '\n' ? 2 : 3;   /* continuation: the rule goes on */
                end_word = true;
                c = 0;
            } else if (n == ' ' || n == '#' || n == '\\') {
                /* gcc writes "\\ " for a backslash before a space; "\\" alone elsewhere
                   stays a literal backslash, which the two-char copy below keeps. */
                if (n == '\\' && !(i + 2 < len && text[i + 2] == ' ')) {
                    word[wlen++] = '\\';
                    i += 1;
                    continue;
                }
                word[wlen++] = n;
                i += 2;
                continue;
            } else {
                word[wlen++] = c;
                i++;
                continue;
            }
        } else if (c == '$' && i + 1 < len && text[i + 1] == '$') {
            word[wlen++] = '$';
            i += 2;
            continue;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            end_word = true;
            i++;
        } else if (c == '\n') {
            end_word = end_line = true;
            i++;
        } else if (c == ':' && in_targets && (i + 1 >= len || text[i + 1] == ' ' || text[i + 1] == '\t' ||
                                              text[i + 1] == '\n' || text[i + 1] == '\r')) {
            end_word = colon = true;
            i++;
        } else {
            word[wlen++] = c;
            i++;
            continue;
        }

        if (end_word && wlen) {
            word[wlen] = 0;
            if (!in_targets)
                seen_add(&seen, deps, word);
            wlen = 0;
        }
        if (colon) {
            in_targets = false;
            have_rule = true;
        }
        if (end_line)
            in_targets = true;
    }
    free(word);
    free(seen.idx);
    return have_rule ? 0 : -1;
}

int depfile_parse_file(const char *path, strvec *deps)
{
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text)
        return -1;
    int rc = depfile_parse(text, len, deps);
    free(text);
    if (rc < 0)
        errno = EINVAL;
    return rc;
}
