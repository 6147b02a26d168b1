/* watchfilter.c - watch_patterns and ignore_patterns applied to paths relative to a watched root. */
#include "watchfilter.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool has_hidden_segment(const char *rel)
{
    for (const char *p = rel; *p;) {
        if (*p == '.' && p[1] != '\0' && p[1] != '/')
            return true;
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        p = slash + 1;
    }
    return false;
}

static bool any_match(const char *const *patterns, const char *rel)
{
    for (size_t i = 0; patterns && patterns[i]; i++)
        if (glob_match(patterns[i], rel))
            return true;
    return false;
}

bool watch_filter_file(const watch_filter *f, const char *rel)
{
    if (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (has_hidden_segment(rel) || any_match(f->ignore, rel))
        return false;
    if (!f->watch || !f->watch[0])
        return true;
    return any_match(f->watch, rel);
}

/* A pattern ending in "/" "**" whose head matches the folder covers everything
 * below it, so the folder needs no watch at all. */
bool watch_filter_prunes_dir(const watch_filter *f, const char *rel)
{
    if (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (has_hidden_segment(rel))
        return true;
    for (size_t i = 0; f->ignore && f->ignore[i]; i++) {
        const char *pat = f->ignore[i];
        size_t n = strlen(pat);
        if (glob_match(pat, rel))
            return true;
        if (n >= 3 && strcmp(pat + n - 3, "/**") == 0) {
            char *head = xstrndup(pat, n - 3);
            bool covered = glob_match(head, rel);
            free(head);
            if (covered)
                return true;
        }
    }
    return false;
}
