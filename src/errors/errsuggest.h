/* errsuggest.h - suggestions for a classified error: learned fixes first, then built-in ones found on this machine (bounded in time, cached). */
#ifndef JMAKE_ERRSUGGEST_H
#define JMAKE_ERRSUGGEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ccdiag.h"
#include "errdb.h"
#include "errpattern.h"

/* Where machine-wide searches look and how long they may take. */
typedef struct err_search {
    errdb *db;                  /* borrowed, may be NULL: learned fixes and the search cache */
    pthread_mutex_t *db_lock;   /* borrowed, may be NULL: held around every use of db */
    atomic_int *cancel;         /* borrowed, may be NULL: a cancel ends the searches at once */
    uint64_t deadline_ms;       /* monotonic clock; 0 = none. Searches past it give what they found so far */
    int64_t cache_max_age_ms;   /* machine-wide results are reused this long (0: 10 minutes) */
    const char *const *system_include_dirs; /* NULL-terminated; NULL: /usr/local/include, /usr/include, /opt */
    const char *const *system_lib_dirs;     /* NULL-terminated; NULL: the multiarch and /usr/local folders */
    bool no_dpkg;               /* do not ask dpkg -S (tests) */
} err_search;

/* Appends to out (a JSON array) the suggestions for c (borrowed) seen in d
 * (borrowed), for the project whose configuration snapshot is given
 * (errlearn_snapshot; may be NULL for a bare log): learned fixes of the
 * error's fingerprint first, most successful first, then built-in ones.
 * Each suggestion: {source: "learned"|"builtin", changes: [...], text,
 * count (learned only)}. A suggestion the project already has is left out.
 * At most max of them. */
void err_suggest(err_search *s, const err_class *c, const ccdiag *d, const cJSON *snapshot, size_t max, cJSON *out);

/* Folders holding header (a relative path as written in #include) under
 * root, searched within the deadline; appended to out (absolute). Exposed
 * for tests and the corpus. */
void err_find_header_dirs(err_search *s, const char *root, const char *header, strvec *out);

/* Libraries under the given folders (NULL-terminated) defining symbol;
 * appended to out as absolute paths, ones a -l can link first. */
void err_find_symbol_libs(err_search *s, const char *const *dirs, const char *symbol, strvec *out);

#endif
