/* errdb.c - the error database: schema steps (user_version), occurrences, pending failures, learned fixes, attempts, search cache. */
#include "errdb.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct errdb {
    sqlite3 *db;
    bool readonly;
};

/* Version 1: errors by fingerprint, where they happened, what fixed them, and
 * the failing state of each project until it builds again. */
static const char *const schema_v1 =
    "CREATE TABLE errors ("
    " id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, pattern TEXT NOT NULL, subject TEXT,"
    " example TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0,"
    " first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE occurrences ("
    " error_id TEXT NOT NULL, project TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL DEFAULT 0,"
    " col INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL, job_id TEXT, count INTEGER NOT NULL DEFAULT 0,"
    " first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (error_id, project, file)) WITHOUT ROWID;"
    "CREATE INDEX occurrences_recent ON occurrences(last_seen_ms);"
    "CREATE TABLE fixes ("
    " error_id TEXT NOT NULL, changes TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0,"
    " first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, last_project TEXT,"
    " PRIMARY KEY (error_id, changes)) WITHOUT ROWID;"
    "CREATE TABLE pending ("
    " project TEXT PRIMARY KEY, config_json TEXT NOT NULL, job_id TEXT, failed_ms INTEGER NOT NULL,"
    " error_ids TEXT NOT NULL) WITHOUT ROWID;";

/* Version 2: fix attempts (a change that did not make the error go away is
 * worth knowing too), the cache of machine-wide searches, and meta (the
 * position in the job queue learning has read up to). */
static const char *const schema_v2 =
    "CREATE TABLE attempts ("
    " error_id TEXT NOT NULL, project TEXT NOT NULL, changes TEXT NOT NULL, outcome TEXT NOT NULL,"
    " job_id TEXT, at_ms INTEGER NOT NULL);"
    "CREATE INDEX attempts_error ON attempts(error_id);"
    "CREATE TABLE search_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;";

/* schema_steps[v] turns version v into v + 1; a fresh file is version 0. */
static const char *const *const schema_steps[] = {&schema_v1, &schema_v2};

char *errdb_path(const char *home)
{
    return path_join(home, "errors.db");
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(sqlite3 *db, char *err, size_t errsize)
{
    int v = user_version(db);
    if (v < 0) {
        snprintf(err, errsize, "cannot read the schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (v > ERRDB_SCHEMA_VERSION) {
        snprintf(err, errsize, "error database has schema %d, newer than this jmake (%d)", v, ERRDB_SCHEMA_VERSION);
        return -1;
    }
    for (; v < ERRDB_SCHEMA_VERSION; v++) {
        /* Each step and its version number in one transaction: a crash leaves the old version whole. */
        char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", *schema_steps[v], v + 1);
        char *msg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        free(sql);
        if (rc != SQLITE_OK) {
            snprintf(err, errsize, "schema step %d -> %d failed: %s", v, v + 1, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

errdb *errdb_open(const char *path, bool readonly, char *err, size_t errsize)
{
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errsize, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    if (!readonly) {
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
        if (migrate(db, err, errsize) < 0) {
            sqlite3_close(db);
            return NULL;
        }
    } else {
        int v = user_version(db);
        if (v != ERRDB_SCHEMA_VERSION) {
            snprintf(err, errsize, v < 0 ? "cannot read %s" : "%s has schema %d, this jmake reads %d", path, v,
                     ERRDB_SCHEMA_VERSION);
            sqlite3_close(db);
            return NULL;
        }
    }
    errdb *e = xcalloc(1, sizeof *e);
    e->db = db;
    e->readonly = readonly;
    return e;
}

void errdb_close(errdb *db)
{
    if (!db)
        return;
    sqlite3_close(db->db);
    free(db);
}

int errdb_schema_version(errdb *db)
{
    return user_version(db->db);
}

/* ---- statements ---- */

/* Prepares sql and binds the arguments described by types: 't' text (NULL
   allowed), 'i' int64. NULL on failure (logged nowhere: callers return -1). */
static sqlite3_stmt *prep(errdb *db, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't') {
            const char *s = va_arg(ap, const char *);
            if (s)
                sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, i + 1);
        } else {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    return st;
}

static int exec_done(sqlite3_stmt *st)
{
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

static void add_col_string(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (t)
        cJSON_AddStringToObject(o, key, (const char *)t);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_col_number(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
    cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, i));
}

/* ---- writes ---- */

int errdb_record(errdb *db, const err_class *c, const ccdiag *d, const char *project, const char *job_id,
                 int64_t now_ms)
{
    const char *msg = d->message ? d->message : "";
    sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    int rc = exec_done(prep(db,
                            "INSERT INTO errors (id, fingerprint, pattern, subject, example, count, first_seen_ms,"
                            " last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)"
                            " ON CONFLICT(id) DO UPDATE SET count = count + 1, last_seen_ms = ?6",
                            "tttttii", c->id, c->fingerprint, err_pattern_name(c->pattern), c->subject, msg, now_ms));
    if (rc == 0)
        rc = exec_done(prep(db,
                            "INSERT INTO occurrences (error_id, project, file, line, col, message, job_id, count,"
                            " first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)"
                            " ON CONFLICT(error_id, project, file) DO UPDATE SET count = count + 1, line = ?4,"
                            " col = ?5, message = ?6, job_id = ?7, last_seen_ms = ?8, resolved_ms = 0",
                            "tttiitti", c->id, project ? project : "", d->file ? d->file : "", (int64_t)d->line,
                            (int64_t)d->column, msg, job_id, now_ms));
    sqlite3_exec(db->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int errdb_set_pending(errdb *db, const char *project, const char *config_json, const char *job_id,
                      const strvec *error_ids, int64_t now_ms)
{
    cJSON *ids = cJSON_CreateArray();
    for (size_t i = 0; i < error_ids->n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(error_ids->v[i]));
    char *text = cJSON_PrintUnformatted(ids);
    cJSON_Delete(ids);
    int rc = exec_done(prep(db, "INSERT OR REPLACE INTO pending VALUES (?1, ?2, ?3, ?4, ?5)", "tttit", project,
                            config_json, job_id, now_ms, text));
    free(text);
    return rc;
}

int errdb_get_pending(errdb *db, const char *project, char **config_json, strvec *error_ids)
{
    sqlite3_stmt *st = prep(db, "SELECT config_json, error_ids FROM pending WHERE project = ?1", "t", project);
    if (!st)
        return -1;
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        *config_json = col_dup(st, 0);
        cJSON *ids = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        const cJSON *e;
        cJSON_ArrayForEach(e, ids)
        {
            if (cJSON_IsString(e))
                strvec_push(error_ids, e->valuestring);
        }
        cJSON_Delete(ids);
    }
    sqlite3_finalize(st);
    return found;
}

int errdb_clear_pending(errdb *db, const char *project, int64_t now_ms)
{
    int rc = exec_done(prep(db, "DELETE FROM pending WHERE project = ?1", "t", project));
    if (rc == 0)
        rc = exec_done(prep(db, "UPDATE occurrences SET resolved_ms = ?2 WHERE project = ?1 AND resolved_ms = 0",
                            "ti", project, now_ms));
    return rc;
}

int errdb_pending_projects(errdb *db, strvec *out)
{
    sqlite3_stmt *st = prep(db, "SELECT project FROM pending ORDER BY failed_ms", "");
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        strvec_push(out, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return 0;
}

int errdb_add_fix(errdb *db, const char *error_id, const char *changes, const char *project, int64_t now_ms)
{
    return exec_done(prep(db,
                          "INSERT INTO fixes VALUES (?1, ?2, 1, ?3, ?3, ?4) ON CONFLICT(error_id, changes)"
                          " DO UPDATE SET count = count + 1, last_ms = ?3, last_project = ?4",
                          "ttit", error_id, changes, now_ms, project));
}

int errdb_add_attempt(errdb *db, const char *error_id, const char *project, const char *changes,
                      const char *outcome, const char *job_id, int64_t now_ms)
{
    return exec_done(prep(db, "INSERT INTO attempts VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "ttttti", error_id, project,
                          changes, outcome, job_id, now_ms));
}

int errdb_fixes(errdb *db, const char *error_id, errdb_fix **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *st = prep(db, "SELECT changes, count, last_ms FROM fixes WHERE error_id = ?1"
                                " ORDER BY count DESC, last_ms DESC", "t", error_id);
    if (!st)
        return -1;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 4;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*count)++] = (errdb_fix){col_dup(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
    }
    sqlite3_finalize(st);
    return 0;
}

void errdb_fixes_free(errdb_fix *fixes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(fixes[i].changes);
    free(fixes);
}

int errdb_cache_get(errdb *db, const char *key, int64_t now_ms, int64_t max_age_ms, char **value)
{
    sqlite3_stmt *st = prep(db, "SELECT value FROM search_cache WHERE key = ?1 AND at_ms >= ?2", "ti", key,
                            now_ms - max_age_ms);
    if (!st)
        return 0;
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *value = col_dup(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

int errdb_cache_put(errdb *db, const char *key, const char *value, int64_t now_ms)
{
    return exec_done(prep(db, "INSERT OR REPLACE INTO search_cache VALUES (?1, ?2, ?3)", "tti", key, value, now_ms));
}

int64_t errdb_meta_get(errdb *db, const char *key, int64_t fallback)
{
    sqlite3_stmt *st = prep(db, "SELECT value FROM meta WHERE key = ?1", "t", key);
    int64_t v = fallback;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int errdb_meta_put(errdb *db, const char *key, int64_t value)
{
    return exec_done(prep(db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", "ti", key, value));
}

/* ---- reads ---- */

static void add_fixes(errdb *db, cJSON *o, const char *id)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "fixes");
    errdb_fix *fx;
    size_t n;
    if (errdb_fixes(db, id, &fx, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON *changes = cJSON_Parse(fx[i].changes);
        cJSON_AddItemToObject(f, "changes", changes ? changes : cJSON_CreateArray());
        cJSON_AddNumberToObject(f, "count", (double)fx[i].count);
        cJSON_AddNumberToObject(f, "last_ms", (double)fx[i].last_ms);
        cJSON_AddItemToArray(arr, f);
    }
    errdb_fixes_free(fx, n);
}

static cJSON *error_row(errdb *db, sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    add_col_string(o, "id", st, 0);
    add_col_string(o, "pattern", st, 1);
    add_col_string(o, "subject", st, 2);
    add_col_string(o, "example", st, 3);
    add_col_number(o, "count", st, 4);
    add_col_number(o, "first_seen_ms", st, 5);
    add_col_number(o, "last_seen_ms", st, 6);
    add_col_number(o, "projects", st, 7);
    add_col_string(o, "fingerprint", st, 8);
    add_fixes(db, o, (const char *)sqlite3_column_text(st, 0));
    return o;
}

#define ERROR_COLUMNS                                                                                          \
    "id, pattern, subject, example, count, first_seen_ms, last_seen_ms,"                                      \
    " (SELECT COUNT(DISTINCT project) FROM occurrences o WHERE o.error_id = errors.id), fingerprint"

cJSON *errdb_list(errdb *db, size_t limit)
{
    sqlite3_stmt *st = prep(db, "SELECT " ERROR_COLUMNS " FROM errors ORDER BY count DESC, last_seen_ms DESC LIMIT ?1",
                            "i", (int64_t)(limit ? limit : 1000000));
    if (!st)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddItemToArray(arr, error_row(db, st));
    sqlite3_finalize(st);
    return arr;
}

cJSON *errdb_show(errdb *db, const char *id)
{
    if (!id || strlen(id) < 4)
        return NULL;
    char *like = xasprintf("%s%%", id);
    sqlite3_stmt *st = prep(db, "SELECT " ERROR_COLUMNS " FROM errors WHERE id LIKE ?1 LIMIT 2", "t", like);
    free(like);
    if (!st)
        return NULL;
    cJSON *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        o = error_row(db, st);
        if (sqlite3_step(st) == SQLITE_ROW) {   /* an ambiguous prefix names nothing */
            cJSON_Delete(o);
            o = NULL;
        }
    }
    sqlite3_finalize(st);
    if (!o)
        return NULL;
    const char *full = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
    cJSON *occ = cJSON_AddArrayToObject(o, "occurrences");
    st = prep(db, "SELECT project, file, line, col, message, job_id, count, first_seen_ms, last_seen_ms, resolved_ms"
                  " FROM occurrences WHERE error_id = ?1 ORDER BY last_seen_ms DESC", "t", full);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cJSON *r = cJSON_CreateObject();
        add_col_string(r, "project", st, 0);
        add_col_string(r, "file", st, 1);
        add_col_number(r, "line", st, 2);
        add_col_number(r, "column", st, 3);
        add_col_string(r, "message", st, 4);
        add_col_string(r, "job", st, 5);
        add_col_number(r, "count", st, 6);
        add_col_number(r, "first_seen_ms", st, 7);
        add_col_number(r, "last_seen_ms", st, 8);
        add_col_number(r, "resolved_ms", st, 9);
        cJSON_AddItemToArray(occ, r);
    }
    sqlite3_finalize(st);
    cJSON *att = cJSON_AddArrayToObject(o, "attempts");
    st = prep(db, "SELECT project, changes, outcome, job_id, at_ms FROM attempts WHERE error_id = ?1"
                  " ORDER BY at_ms DESC LIMIT 50", "t", full);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cJSON *r = cJSON_CreateObject();
        add_col_string(r, "project", st, 0);
        cJSON *changes = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        cJSON_AddItemToObject(r, "changes", changes ? changes : cJSON_CreateArray());
        add_col_string(r, "outcome", st, 2);
        add_col_string(r, "job", st, 3);
        add_col_number(r, "at_ms", st, 4);
        cJSON_AddItemToArray(att, r);
    }
    sqlite3_finalize(st);
    return o;
}

static int64_t scalar(errdb *db, const char *sql)
{
    sqlite3_stmt *st = prep(db, sql, "");
    int64_t v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

cJSON *errdb_stats(errdb *db)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "errors", (double)scalar(db, "SELECT COUNT(*) FROM errors"));
    cJSON_AddNumberToObject(o, "occurrences", (double)scalar(db, "SELECT COALESCE(SUM(count), 0) FROM errors"));
    cJSON_AddNumberToObject(o, "projects", (double)scalar(db, "SELECT COUNT(DISTINCT project) FROM occurrences"));
    cJSON_AddNumberToObject(o, "resolved", (double)scalar(db, "SELECT COUNT(*) FROM occurrences WHERE resolved_ms > 0"));
    cJSON_AddNumberToObject(o, "fixes", (double)scalar(db, "SELECT COUNT(*) FROM fixes"));
    cJSON_AddNumberToObject(o, "fix_successes", (double)scalar(db, "SELECT COALESCE(SUM(count), 0) FROM fixes"));
    cJSON_AddNumberToObject(o, "attempts", (double)scalar(db, "SELECT COUNT(*) FROM attempts"));
    cJSON_AddNumberToObject(o, "pending", (double)scalar(db, "SELECT COUNT(*) FROM pending"));
    cJSON *by = cJSON_AddObjectToObject(o, "by_pattern");
    sqlite3_stmt *st = prep(db, "SELECT pattern, SUM(count) FROM errors GROUP BY pattern ORDER BY 2 DESC", "");
    while (st && sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddNumberToObject(by, (const char *)sqlite3_column_text(st, 0), (double)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return o;
}

cJSON *errdb_recent(errdb *db, size_t limit)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT o.error_id, e.pattern, e.subject, o.project, o.file, o.line, o.col, o.message,"
                            " o.last_seen_ms, o.resolved_ms FROM occurrences o JOIN errors e ON e.id = o.error_id"
                            " ORDER BY o.last_seen_ms DESC LIMIT ?1",
                            "i", (int64_t)limit);
    if (!st)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *r = cJSON_CreateObject();
        add_col_string(r, "id", st, 0);
        add_col_string(r, "pattern", st, 1);
        add_col_string(r, "subject", st, 2);
        add_col_string(r, "project", st, 3);
        add_col_string(r, "file", st, 4);
        add_col_number(r, "line", st, 5);
        add_col_number(r, "column", st, 6);
        add_col_string(r, "message", st, 7);
        add_col_number(r, "last_seen_ms", st, 8);
        add_col_number(r, "resolved_ms", st, 9);
        add_fixes(db, r, (const char *)sqlite3_column_text(st, 0));
        cJSON_AddItemToArray(arr, r);
    }
    sqlite3_finalize(st);
    return arr;
}
