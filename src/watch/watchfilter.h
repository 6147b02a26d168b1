/* watchfilter.h - which paths of a watched project count as changes: watch_patterns and ignore_patterns, `**` across folders. */
#ifndef JMAKE_WATCHFILTER_H
#define JMAKE_WATCHFILTER_H

#include <stdbool.h>

/* The patterns are borrowed NULL-terminated lists (jm_config's strvec.v):
 * they must outlive the filter's use. Paths are relative to the watched root
 * ("src/a.c"), without a leading "./". */
typedef struct watch_filter {
    const char *const *watch;   /* a file counts when one of these matches (NULL or empty: every file) */
    const char *const *ignore;  /* checked first: a match never counts, whatever watch says */
} watch_filter;

/* Whether a change of the file at rel triggers a build. Hidden files
 * (a segment starting with '.', as the directory walker skips them) never do. */
bool watch_filter_file(const watch_filter *f, const char *rel);

/* Whether the folder at rel is left unwatched: an ignore pattern matches it,
 * or matches everything below it (an ignored "build/" + "**" prunes "build"), or it is hidden. */
bool watch_filter_prunes_dir(const watch_filter *f, const char *rel);

#endif
