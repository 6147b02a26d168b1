/* errdb.h - the error database: one SQLite file (WAL) in the home, owned by the error handler, read by `jmake errors`. */
#ifndef JMAKE_ERRDB_H
#define JMAKE_ERRDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ccdiag.h"
#include "errpattern.h"
#include "util.h"

/* The schema version this build writes (docs/ERRORS.md, "Database"). */
#define ERRDB_SCHEMA_VERSION 2

/* One handle belongs to one thread at a time (callers serialise). */
typedef struct errdb errdb;

/* HOME/errors.db; caller frees. */
char *errdb_path(const char *home);

/* Opens path. Read-write creates the file and migrates an older schema step
 * by step in one transaction each; read-only (`jmake errors`, while the
 * daemon writes) refuses a missing file or a schema newer than this build.
 * NULL on failure with the reason in err. */
errdb *errdb_open(const char *path, bool readonly, char *err, size_t errsize);
void errdb_close(errdb *db);
int errdb_schema_version(errdb *db);

/* One occurrence of a classified error: the error's count and last seen,
 * and its occurrence in (project, file). project may be "" for a log. 0 or -1. */
int errdb_record(errdb *db, const err_class *c, const ccdiag *d, const char *project, const char *job_id,
                 int64_t now_ms);

/* A project's failing state, kept until it builds again: its configuration
 * snapshot (JSON text) and the ids of its errors. Replaces an older one. */
int errdb_set_pending(errdb *db, const char *project, const char *config_json, const char *job_id,
                      const strvec *error_ids, int64_t now_ms);
/* 1 with *config_json (caller frees) and error_ids filled, 0 when none, -1 on error. */
int errdb_get_pending(errdb *db, const char *project, char **config_json, strvec *error_ids);
/* Forgets it and marks the project's occurrences resolved. */
int errdb_clear_pending(errdb *db, const char *project, int64_t now_ms);
/* Projects with a pending failure (appended to out). */
int errdb_pending_projects(errdb *db, strvec *out);

/* A fix that worked: changes is canonical JSON text of [{kind, value}...]. Its count goes up by one. */
int errdb_add_fix(errdb *db, const char *error_id, const char *changes, const char *project, int64_t now_ms);
/* Any change tried against an error: outcome "succeeded" or "failed". */
int errdb_add_attempt(errdb *db, const char *error_id, const char *project, const char *changes,
                      const char *outcome, const char *job_id, int64_t now_ms);

typedef struct errdb_fix {
    char *changes;          /* JSON text; owned */
    int64_t count;          /* builds it made succeed */
    int64_t last_ms;
} errdb_fix;
/* The learned fixes of one error, most successful first (caller frees with errdb_fixes_free). */
int errdb_fixes(errdb *db, const char *error_id, errdb_fix **out, size_t *count);
void errdb_fixes_free(errdb_fix *fixes, size_t count);

/* A small key/value cache for machine-wide searches: 1 with *value (caller
 * frees) when an entry younger than max_age_ms exists, 0 otherwise. */
int errdb_cache_get(errdb *db, const char *key, int64_t now_ms, int64_t max_age_ms, char **value);
int errdb_cache_put(errdb *db, const char *key, const char *value, int64_t now_ms);
/* Integers kept across restarts (the job queue position learning has read). */
int64_t errdb_meta_get(errdb *db, const char *key, int64_t fallback);
int errdb_meta_put(errdb *db, const char *key, int64_t value);

/* For `jmake errors` and the export (every returned tree owned by the caller):
 * list: [{id, pattern, subject, example, count, first_seen_ms, last_seen_ms, projects, fixes}]
 * by count; NULL on error. */
cJSON *errdb_list(errdb *db, size_t limit);
/* show: the error with occurrences [{project, file, line, column, message, job,
 * count, first_seen_ms, last_seen_ms, resolved_ms}], fixes [{changes, count,
 * last_ms}] and attempts [...]; NULL when no such id. An id prefix of at least
 * 4 digits is enough when it is unique. */
cJSON *errdb_show(errdb *db, const char *id);
/* Totals: errors, occurrences, fixes, attempts, projects, resolved. */
cJSON *errdb_stats(errdb *db);
/* The most recent occurrences (newest first), each with its error's id, pattern and fixes. */
cJSON *errdb_recent(errdb *db, size_t limit);

#endif
