/* jobstore.c - the persistent job queue on SQLite: schema, durable submits, scheduling order, recovery. */
#include "jobstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "hashmap.h"
#include "jobtype.h"

/* Bump together with a new entry in schema_steps; see docs/QUEUE.md. */
#define JOBSTORE_SCHEMA_VERSION 3

/* The WAL's steady size: reset after each checkpoint, never truncated below this. */
#define JOBSTORE_WAL_BYTES 4194304
#define JOBSTORE_WAL_BYTES_TEXT "4194304"

/* Every column after seq, as both schema versions define them. */
#define JOBS_COLUMNS_SQL \
    " id TEXT UNIQUE," \
    " type TEXT NOT NULL," \
    " priority INTEGER NOT NULL DEFAULT 5," \
    " state TEXT NOT NULL DEFAULT 'pending'," \
    " config_file TEXT," \
    " binary_path TEXT," \
    " args_json TEXT," \
    " depends_on TEXT," \
    " timeout_seconds INTEGER NOT NULL DEFAULT 0," \
    " attempts INTEGER NOT NULL DEFAULT 0," \
    " submitted_ms INTEGER NOT NULL DEFAULT 0," \
    " started_ms INTEGER NOT NULL DEFAULT 0," \
    " finished_ms INTEGER NOT NULL DEFAULT 0," \
    " not_before_ms INTEGER NOT NULL DEFAULT 0," \
    " worker TEXT," \
    " reason TEXT," \
    " result_json TEXT);"

/* A dependency edge lives in job_deps only while its dependent is not final:
 * the table stays as small as the live queue, so the dependency checks done
 * on every scheduling pass never scan the history of finished jobs. The
 * full list is kept in jobs.depends_on (JSON) for display. */
static const char *const schema_v1 =
    "CREATE TABLE jobs ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    JOBS_COLUMNS_SQL
    "CREATE INDEX jobs_sched ON jobs(state, priority, seq);"
    "CREATE TABLE job_deps ("
    " job_seq INTEGER NOT NULL,"
    " dep_id TEXT NOT NULL,"
    " PRIMARY KEY (job_seq, dep_id)) WITHOUT ROWID;"
    "CREATE INDEX job_deps_dep ON job_deps(dep_id);";

/* Version 2, for cheaper commits and scheduling:
 * - seq without AUTOINCREMENT: its sqlite_sequence row was one more page
 *   written by every submit. The store hands out seq numbers itself and keeps
 *   the highest one ever used in meta, so cleaning never lets one be reused.
 * - the scheduler looks up the first runnable job of each type that can start,
 *   so its index leads with the type after the state. */
static const char *const schema_v2 =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('max_seq', COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0));"
    "CREATE TABLE jobs2 ("
    " seq INTEGER PRIMARY KEY,"
    JOBS_COLUMNS_SQL
    "INSERT INTO jobs2 SELECT * FROM jobs;"
    "DROP TABLE jobs;"
    "ALTER TABLE jobs2 RENAME TO jobs;"
    "CREATE INDEX jobs_sched ON jobs(state, type, priority, seq);";

/* Version 3: the watch list (`jmake watch add`), so the watcher's projects
 * survive restarts, with each project's last build. IF NOT EXISTS keeps the
 * step harmless on a file whose version number was set back by hand. */
static const char *const schema_v3 =
    "CREATE TABLE IF NOT EXISTS watches ("
    " config TEXT PRIMARY KEY,"
    " added_ms INTEGER NOT NULL DEFAULT 0,"
    " last_job TEXT,"
    " last_outcome TEXT,"
    " last_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";

/* schema_steps[v] turns version v into v + 1; a fresh file is version 0. */
static const char *const *const schema_steps[] = {&schema_v1, &schema_v2, &schema_v3};

#define JOB_COLUMNS                                                                            \
    "seq, id, type, priority, state, config_file, binary_path, args_json, depends_on,"        \
    " timeout_seconds, attempts, submitted_ms, started_ms, finished_ms, not_before_ms,"       \
    " worker, reason, result_json"
/* The same columns for lists, which never show results: NULL in their place,
 * so that a page of a long history reads none of the large result texts. */
#define JOB_LIST_COLUMNS                                                                       \
    "seq, id, type, priority, state, config_file, binary_path, args_json, depends_on,"        \
    " timeout_seconds, attempts, submitted_ms, started_ms, finished_ms, not_before_ms,"       \
    " worker, reason, NULL"

typedef enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_SYNC_NORMAL,
    ST_SYNC_FULL,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_INSERT,
    ST_MAX_SEQ,
    ST_STATE,
    ST_KEEP_MAX_SEQ,
    ST_ID_EXISTS,
    ST_INSERT_DEP,
    ST_GET,
    ST_RUNNABLE,
    ST_DOOMED,
    ST_FAIL_DEPENDENT,
    ST_DROP_DEPS,
    ST_DROP_DEPS_SEQ,
    ST_MARK_RUNNING,
    ST_FINISH,
    ST_REQUEUE,
    ST_REQUEUE_ALL,
    ST_FAIL_EXHAUSTED,
    ST_STATE_OF,
    ST_CANCEL,
    ST_CLEAN,
    ST_COUNT_ALL,
    ST_COUNT_STATE,
    ST_LIST_ALL,
    ST_LIST_STATE,
    ST_PAGE_ALL,
    ST_PAGE_STATE,
    ST_IDS,
    ST__COUNT
} stmt_id;

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT step",
    [ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [ST_RELEASE] = "RELEASE step",
    [ST_ROLLBACK_TO] = "ROLLBACK TO step",
    [ST_INSERT] = "INSERT INTO jobs (seq, id, type, priority, state, config_file, binary_path, args_json,"
                  " depends_on, timeout_seconds, submitted_ms)"
                  " VALUES (?10, ?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_MAX_SEQ] = "SELECT MAX(COALESCE((SELECT MAX(seq) FROM jobs), 0),"
                   " COALESCE((SELECT value FROM meta WHERE key = 'max_seq'), 0))",
    [ST_KEEP_MAX_SEQ] = "UPDATE meta SET value = MAX(value, ?1) WHERE key = 'max_seq'",
    [ST_ID_EXISTS] = "SELECT 1 FROM jobs WHERE id = ?1",
    [ST_INSERT_DEP] = "INSERT OR IGNORE INTO job_deps (job_seq, dep_id) VALUES (?1, ?2)",
    [ST_GET] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
    [ST_STATE] = "SELECT state FROM jobs WHERE id = ?1",
    [ST_RUNNABLE] = "SELECT " JOB_COLUMNS " FROM jobs j WHERE state = 'pending' AND type = ?2"
                    " AND not_before_ms <= ?1"
                    " AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.dep_id"
                    "  WHERE d.job_seq = j.seq AND p.state <> 'completed')"
                    " ORDER BY priority, seq LIMIT 1",
    /* Pending jobs with a dependency that can no longer complete. CROSS JOIN
     * pins the loop order: start from the few live edges, never from the
     * (possibly long) list of pending jobs. */
    [ST_DOOMED] = "SELECT j.seq, p.id, p.state FROM job_deps d CROSS JOIN jobs j ON j.seq = d.job_seq"
                  " CROSS JOIN jobs p ON p.id = d.dep_id"
                  " WHERE j.state = 'pending' AND p.state IN ('failed', 'cancelled') ORDER BY j.seq",
    [ST_FAIL_DEPENDENT] = "UPDATE jobs SET state = 'failed', reason = ?2, finished_ms = ?3"
                          " WHERE seq = ?1 AND state = 'pending'",
    [ST_DROP_DEPS] = "DELETE FROM job_deps WHERE job_seq = (SELECT seq FROM jobs WHERE id = ?1)",
    [ST_DROP_DEPS_SEQ] = "DELETE FROM job_deps WHERE job_seq = ?1",
    [ST_MARK_RUNNING] = "UPDATE jobs SET state = 'running', worker = ?2, started_ms = ?3, attempts = attempts + 1"
                        " WHERE id = ?1 AND state = 'pending'",
    [ST_FINISH] = "UPDATE jobs SET state = ?2, result_json = ?3, reason = ?4, finished_ms = ?5"
                  " WHERE id = ?1 AND state IN ('pending', 'running')",
    [ST_REQUEUE] = "UPDATE jobs SET state = 'pending', not_before_ms = ?2, reason = ?3, worker = NULL"
                   " WHERE id = ?1 AND state IN ('pending', 'running')",
    [ST_REQUEUE_ALL] = "UPDATE jobs SET state = 'pending', worker = NULL,"
                       " reason = 'requeued: it was running when the orchestrator stopped'"
                       " WHERE state = 'running'",
    /* The attempts are in the store, so max_retries holds across restarts of the orchestrator too. */
    [ST_FAIL_EXHAUSTED] = "UPDATE jobs SET state = 'failed', worker = NULL, finished_ms = ?2,"
                          " reason = 'it was running when the orchestrator stopped (after ' || attempts"
                          " || ' attempts, max_retries = ' || ?1 || ')'"
                          " WHERE state = 'running' AND attempts > ?1",
    [ST_STATE_OF] = "SELECT state FROM jobs WHERE id = ?1",
    [ST_CANCEL] = "UPDATE jobs SET state = 'cancelled', reason = 'cancelled before it started', finished_ms = ?2"
                  " WHERE id = ?1 AND state = 'pending'",
    /* A finished job that a live job still waits for is kept: forgetting it
     * would turn "dependency failed" into "dependency unknown". */
    [ST_CLEAN] = "DELETE FROM jobs WHERE state IN ('completed', 'failed', 'cancelled') AND finished_ms < ?1"
                 " AND id NOT IN (SELECT dep_id FROM job_deps) RETURNING id",
    [ST_COUNT_ALL] = "SELECT COUNT(*) FROM jobs",
    [ST_COUNT_STATE] = "SELECT COUNT(*) FROM jobs WHERE state = ?1",
    [ST_LIST_ALL] = "SELECT " JOB_COLUMNS " FROM jobs ORDER BY seq",
    [ST_LIST_STATE] = "SELECT " JOB_COLUMNS " FROM jobs WHERE state = ?1 ORDER BY seq",
    [ST_PAGE_ALL] = "SELECT " JOB_LIST_COLUMNS " FROM jobs WHERE seq < ?2 ORDER BY seq DESC LIMIT ?3",
    [ST_PAGE_STATE] = "SELECT " JOB_LIST_COLUMNS " FROM jobs WHERE state = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
    /* A range of the id index ([prefix, prefix with its last byte raised)), so
     * completing "bulk-09" reads only the ids that match. */
    [ST_IDS] = "SELECT id, state, type FROM jobs WHERE id >= ?1 AND (?2 IS NULL OR id < ?2) ORDER BY seq",
};

struct jobstore {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST__COUNT]; /* prepared on first use, kept until close */
    char *path;
    bool in_batch;  /* inside jobstore_batch_begin/end: each change is a savepoint */
    /* A job failed or was cancelled, or a job was submitted, since dependents
     * of failed jobs were last failed: the next scheduling pass must look. */
    bool cascade_due;
    int64_t next_seq;   /* the next submission number to hand out */
    char last_error[256];   /* jobstore_last_error's text */
};

static const char *const state_names[] = {
    [JOB_PENDING] = "pending",
    [JOB_RUNNING] = "running",
    [JOB_COMPLETED] = "completed",
    [JOB_FAILED] = "failed",
    [JOB_CANCELLED] = "cancelled",
};

const char *job_state_name(job_state state)
{
    if ((unsigned)state < sizeof state_names / sizeof state_names[0])
        return state_names[state];
    return "unknown";
}

int job_state_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(state_names[i], name) == 0)
            return (int)i;
    return -1;
}

bool job_state_is_final(job_state state)
{
    return state == JOB_COMPLETED || state == JOB_FAILED || state == JOB_CANCELLED;
}

void job_spec_free(job_spec *spec)
{
    if (!spec)
        return;
    free(spec->id);
    free(spec->type);
    free(spec->config_file);
    free(spec->binary_path);
    free(spec->args_json);
    strvec_free(&spec->depends_on);
    memset(spec, 0, sizeof *spec);
}

void job_record_free(job_record *rec)
{
    if (!rec)
        return;
    free(rec->id);
    free(rec->type);
    free(rec->config_file);
    free(rec->binary_path);
    free(rec->args_json);
    free(rec->worker);
    free(rec->reason);
    free(rec->result_json);
    strvec_free(&rec->depends_on);
    memset(rec, 0, sizeof *rec);
}


/* Returns the cached statement, reset and unbound, or NULL when it does not prepare. */
static sqlite3_stmt *stmt_get(jobstore *store, stmt_id which)
{
    sqlite3_stmt *st = store->stmt[which];
    if (!st) {
        if (sqlite3_prepare_v3(store->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
            return NULL;
        store->stmt[which] = st;
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return st;
}

/* Runs a statement that returns no rows; SQLITE_DONE on success. */
static int stmt_run(sqlite3_stmt *st)
{
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

/* Inside a batch every change is a savepoint of the batch's one transaction,
 * so it can still fail alone while the batch pays for one fsync. */
static int tx_begin(jobstore *store)
{
    return stmt_run(stmt_get(store, store->in_batch ? ST_SAVEPOINT : ST_BEGIN)) == SQLITE_DONE ? 0 : -1;
}

static int tx_commit(jobstore *store)
{
    return stmt_run(stmt_get(store, store->in_batch ? ST_RELEASE : ST_COMMIT)) == SQLITE_DONE ? 0 : -1;
}

static void tx_rollback(jobstore *store)
{
    /* Every cached statement must be reset before ROLLBACK can end a transaction cleanly. */
    for (int i = 0; i < ST__COUNT; i++)
        if (store->stmt[i])
            sqlite3_reset(store->stmt[i]);
    if (store->in_batch) {
        stmt_run(stmt_get(store, ST_ROLLBACK_TO));
        stmt_run(stmt_get(store, ST_RELEASE));
    } else if (sqlite3_get_autocommit(store->db) == 0) {
        stmt_run(stmt_get(store, ST_ROLLBACK));
    }
}

int jobstore_batch_begin(jobstore *store)
{
    if (store->in_batch || stmt_run(stmt_get(store, ST_BEGIN)) != SQLITE_DONE)
        return -1;
    store->in_batch = true;
    return 0;
}

int jobstore_batch_end(jobstore *store)
{
    if (!store->in_batch)
        return -1;
    store->in_batch = false;
    if (stmt_run(stmt_get(store, ST_COMMIT)) == SQLITE_DONE)
        return 0;
    tx_rollback(store);
    return -1;
}

static void bind_text_or_null(sqlite3_stmt *st, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, index);
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return text ? xstrdup((const char *)text) : NULL;
}

static void parse_depends(const char *json, strvec *out)
{
    if (!json)
        return;
    cJSON *arr = cJSON_Parse(json);
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        if (cJSON_IsString(item))
            strvec_push(out, item->valuestring);
    }
    cJSON_Delete(arr);
}

/* Fills rec from a row selected with JOB_COLUMNS. */
static void row_to_record(sqlite3_stmt *st, job_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->seq = sqlite3_column_int64(st, 0);
    rec->id = column_dup(st, 1);
    rec->type = column_dup(st, 2);
    rec->priority = sqlite3_column_int(st, 3);
    int state = job_state_from_name((const char *)sqlite3_column_text(st, 4));
    rec->state = state < 0 ? JOB_FAILED : (job_state)state;
    rec->config_file = column_dup(st, 5);
    rec->binary_path = column_dup(st, 6);
    rec->args_json = column_dup(st, 7);
    parse_depends((const char *)sqlite3_column_text(st, 8), &rec->depends_on);
    rec->timeout_seconds = sqlite3_column_int64(st, 9);
    rec->attempts = sqlite3_column_int(st, 10);
    rec->submitted_ms = sqlite3_column_int64(st, 11);
    rec->started_ms = sqlite3_column_int64(st, 12);
    rec->finished_ms = sqlite3_column_int64(st, 13);
    rec->not_before_ms = sqlite3_column_int64(st, 14);
    rec->worker = column_dup(st, 15);
    rec->reason = column_dup(st, 16);
    rec->result_json = column_dup(st, 17);
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errsize, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, errsize, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int read_user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Brings the schema to JOBSTORE_SCHEMA_VERSION in one transaction, or refuses. */
static int schema_upgrade(jobstore *store, char *err, size_t errsize)
{
    sqlite3 *db = store->db;
    if (exec_sql(db, "BEGIN IMMEDIATE", err, errsize, store->path) < 0)
        return -1;
    int version = 0;
    if (read_user_version(db, &version) < 0) {
        err_set(err, errsize, "%s: cannot read the schema version: %s", store->path, sqlite3_errmsg(db));
        goto fail;
    }
    if (version > JOBSTORE_SCHEMA_VERSION) {
        err_set(err, errsize,
                "%s: job database has schema version %d but this jmake knows up to %d; "
                "run a newer jmake or move the file away to start an empty queue",
                store->path, version, JOBSTORE_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0) {
        /* Version 0 with tables in it is somebody else's database: never touch it. */
        sqlite3_stmt *st = NULL;
        int tables = 0;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            tables = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (tables > 0) {
            err_set(err, errsize, "%s: not a jmake job database (it has tables but no jmake schema version)",
                    store->path);
            goto fail;
        }
    }
    for (int v = version; v < JOBSTORE_SCHEMA_VERSION; v++) {
        char what[64];
        snprintf(what, sizeof what, "schema step %d -> %d", v, v + 1);
        if (exec_sql(db, *schema_steps[v], err, errsize, what) < 0)
            goto fail;
    }
    if (version != JOBSTORE_SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", JOBSTORE_SCHEMA_VERSION);
        if (exec_sql(db, sql, err, errsize, store->path) < 0)
            goto fail;
    }
    return exec_sql(db, "COMMIT", err, errsize, store->path);
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* A commit that makes the WAL file longer also has to make its new size
 * durable, which costs the fsync a journal commit of the file system: about
 * twice the time of a commit that overwrites blocks the file already has. So
 * the WAL is given its steady size (journal_size_limit) once, in zeros, which
 * SQLite never reads as frames (each frame carries the salt of its WAL
 * header). Failure only costs speed. */
static void wal_preallocate(const char *db_path)
{
    char *wal = xasprintf("%s-wal", db_path);
    int fd = open(wal, O_WRONLY | O_CLOEXEC);
    free(wal);
    if (fd < 0)
        return;
    struct stat st;
    /* Never on a nearly full disk: the zeros would take the room the logs,
       PID files and real commits need (a small home would fill up at start). */
    struct statvfs vfs;
    bool room = fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= 4 * (uint64_t)JOBSTORE_WAL_BYTES;
    if (room && fstat(fd, &st) == 0 && st.st_size < JOBSTORE_WAL_BYTES) {
        static const char zeros[65536];
        off_t off = st.st_size;
        while (off < JOBSTORE_WAL_BYTES) {
            ssize_t n = pwrite(fd, zeros, sizeof zeros, off);
            if (n <= 0)
                break;
            off += n;
        }
        fdatasync(fd);
    }
    close(fd);
}

/* A failed open's reason in err: the system's own words when the file system
 * refused ("No space left on device" says more than "database or disk is full"). */
static jobstore *open_failed(jobstore *store, char *err, size_t errsize)
{
    int code = store->db ? sqlite3_errcode(store->db) & 0xff : SQLITE_CANTOPEN;
    int sys = store->db ? sqlite3_system_errno(store->db) : 0;
    bool file_system = code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CANTOPEN ||
                       code == SQLITE_READONLY || code == SQLITE_PERM;
    if (code == SQLITE_FULL)
        sys = ENOSPC;   /* the unix VFS says "full" for ENOSPC and short writes only, and clears errno */
    if (file_system && sys != 0)
        err_set(err, errsize, "%s: %s", store->path, strerror(sys));
    jobstore_close(store);
    return NULL;
}

jobstore *jobstore_open(const char *path, char *err, size_t errsize)
{
    jobstore *store = xcalloc(1, sizeof *store);
    store->path = xstrdup(path);
    int rc = sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        err_set(err, errsize, "%s: %s", path, store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc));
        return open_failed(store, err, errsize);
    }
    sqlite3_busy_timeout(store->db, 5000);
    /* FULL: the WAL is fsynced at every commit, so an acknowledged submit
     * survives kill -9 and power loss. A small page cache keeps the
     * orchestrator's idle RSS low whatever the size of the history; the
     * journal_size_limit stops the WAL file from keeping its peak size. */
    if (exec_sql(store->db,
                 "PRAGMA locking_mode = EXCLUSIVE;"
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = FULL;"
                 "PRAGMA cache_size = -1024;"
                 "PRAGMA temp_store = MEMORY;"
                 "PRAGMA journal_size_limit = " JOBSTORE_WAL_BYTES_TEXT ";",
                 err, errsize, path) < 0 ||
        schema_upgrade(store, err, errsize) < 0)
        return open_failed(store, err, errsize);
    sqlite3_stmt *max = stmt_get(store, ST_MAX_SEQ);
    store->next_seq = 1;
    if (max && sqlite3_step(max) == SQLITE_ROW)
        store->next_seq = sqlite3_column_int64(max, 0) + 1;
    if (max)
        sqlite3_reset(max);
    wal_preallocate(store->path);
    store->cascade_due = true; /* whatever the last run left undone */
    return store;
}

void jobstore_close(jobstore *store)
{
    if (!store)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    sqlite3_close(store->db);
    free(store->path);
    free(store);
}

static int id_exists(jobstore *store, const char *id)
{
    sqlite3_stmt *st = stmt_get(store, ST_ID_EXISTS);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static char *depends_to_json(const strvec *deps)
{
    if (deps->n == 0)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < deps->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(deps->v[i]));
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

/* Index of id among the batch's ids (index maps each id to its index + 1), or -1. */
static long batch_index(const hashmap *index, const char *id)
{
    return (long)(intptr_t)hashmap_get(index, id) - 1;
}

/* A cycle can only form inside one batch (a dependency must exist when its
 * dependent is submitted); such jobs would wait forever, so refuse them.
 * Depth-first search with colours: 0 unseen, 1 on the path, 2 done. */
static int batch_cycle_from(const job_spec *specs, const hashmap *index, size_t node, char *colour)
{
    colour[node] = 1;
    for (size_t d = 0; d < specs[node].depends_on.n; d++) {
        long next = batch_index(index, specs[node].depends_on.v[d]);
        if (next < 0 || colour[next] == 2)
            continue;
        if (colour[next] == 1 || batch_cycle_from(specs, index, (size_t)next, colour))
            return 1;
    }
    colour[node] = 2;
    return 0;
}

int jobstore_submit(jobstore *store, const job_spec *specs, size_t count, char **ids_out, int64_t now_ms,
                    char *err, size_t errsize)
{
    return jobstore_submit_blaming(store, specs, count, ids_out, now_ms, NULL, err, errsize);
}

/* Notes in fault (may be NULL) who a refusal is against. */
static void blame(jobstore_fault *fault, size_t spec, long dep)
{
    if (fault) {
        fault->spec = (long)spec;
        fault->dep = dep;
    }
}

int jobstore_submit_blaming(jobstore *store, const job_spec *specs, size_t count, char **ids_out, int64_t now_ms,
                            jobstore_fault *fault, char *err, size_t errsize)
{
    if (fault)
        *fault = (jobstore_fault){-1, -1};
    if (count == 0) {
        err_set(err, errsize, "nothing to submit");
        return -1;
    }
    char **ids = xcalloc(count, sizeof *ids);
    int64_t *seqs = xcalloc(count, sizeof *seqs);
    char *colour = NULL;
    hashmap index;   /* the batch's ids so far: duplicate and cycle checks stay linear */
    hashmap_init(&index);
    int result = -1;
    int64_t first_seq = store->next_seq;
    if (tx_begin(store) < 0) {
        err_set(err, errsize, "cannot start a transaction: %s", jobstore_last_error(store));
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const job_spec *spec = &specs[i];
        if (!spec->type || !*spec->type) {
            err_set(err, errsize, "job %zu has no type", i + 1);
            blame(fault, i, -1);
            goto fail;
        }
        if (spec->id && batch_index(&index, spec->id) >= 0) {
            err_set(err, errsize, "job id '%s' is given twice", spec->id);
            blame(fault, i, -1);
            goto fail;
        }
        int taken = spec->id ? id_exists(store, spec->id) : 0;
        if (taken < 0)
            goto sql_fail;
        if (taken) {
            err_set(err, errsize, "job id '%s' already exists (queued earlier)", spec->id);
            blame(fault, i, -1);
            goto fail;
        }
        seqs[i] = store->next_seq++;
        if (spec->id) {
            ids[i] = xstrdup(spec->id);
        } else {
            /* "job-<seq>" unless a user already took that name for one of their jobs. */
            char *generated = xasprintf("job-%lld", (long long)seqs[i]);
            for (int n = 2; batch_index(&index, generated) >= 0 || id_exists(store, generated) != 0; n++) {
                free(generated);
                generated = xasprintf("job-%lld-%d", (long long)seqs[i], n);
            }
            ids[i] = generated;
        }
        hashmap_put(&index, ids[i], (void *)(intptr_t)(i + 1));
        sqlite3_stmt *st = stmt_get(store, ST_INSERT);
        if (!st)
            goto sql_fail;
        char *deps_json = depends_to_json(&spec->depends_on);
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, spec->type, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, spec->priority);
        bind_text_or_null(st, 4, spec->config_file);
        bind_text_or_null(st, 5, spec->binary_path);
        bind_text_or_null(st, 6, spec->args_json);
        bind_text_or_null(st, 7, deps_json);
        sqlite3_bind_int64(st, 8, spec->timeout_seconds);
        sqlite3_bind_int64(st, 9, now_ms);
        sqlite3_bind_int64(st, 10, seqs[i]);
        int rc = stmt_run(st);
        free(deps_json);
        if (rc != SQLITE_DONE)
            goto sql_fail;
    }
    /* Dependencies are checked once the whole batch is in, so a file may list a job before the one it waits for. */
    for (size_t i = 0; i < count; i++) {
        for (size_t d = 0; d < specs[i].depends_on.n; d++) {
            const char *dep = specs[i].depends_on.v[d];
            if (strcmp(dep, ids[i]) == 0) {
                err_set(err, errsize, "job '%s' depends on itself", ids[i]);
                blame(fault, i, (long)d);
                goto fail;
            }
            int exists = id_exists(store, dep);
            if (exists < 0)
                goto sql_fail;
            if (!exists) {
                err_set(err, errsize, "job '%s' depends on unknown job '%s'", ids[i], dep);
                blame(fault, i, (long)d);
                goto fail;
            }
            sqlite3_stmt *st = stmt_get(store, ST_INSERT_DEP);
            if (!st)
                goto sql_fail;
            sqlite3_bind_int64(st, 1, seqs[i]);
            sqlite3_bind_text(st, 2, dep, -1, SQLITE_STATIC);
            if (stmt_run(st) != SQLITE_DONE)
                goto sql_fail;
        }
    }
    colour = xcalloc(count, 1);
    for (size_t i = 0; i < count; i++) {
        if (colour[i] == 0 && batch_cycle_from(specs, &index, i, colour)) {
            err_set(err, errsize, "job '%s' is part of a dependency cycle", ids[i]);
            blame(fault, i, -1);
            goto fail;
        }
    }
    if (tx_commit(store) < 0)
        goto sql_fail;
    result = 0;
    /* A new job may wait on one that has already failed. */
    for (size_t i = 0; i < count; i++)
        if (specs[i].depends_on.n > 0)
            store->cascade_due = true;
    goto out;
sql_fail:
    err_set(err, errsize, "job database error: %s", jobstore_last_error(store));
fail:
    tx_rollback(store);
    store->next_seq = first_seq;
out:
    for (size_t i = 0; i < count; i++) {
        if (result == 0 && ids_out)
            ids_out[i] = ids[i];
        else
            free(ids[i]);
    }
    hashmap_free(&index);
    free(ids);
    free(seqs);
    free(colour);
    return result;
}

/* A single-row lookup's sqlite3_step code as a jobstore_result. */
static jobstore_result step_result(int rc)
{
    return rc == SQLITE_ROW ? JOBSTORE_OK : rc == SQLITE_DONE ? JOBSTORE_NOT_FOUND : JOBSTORE_DB_ERROR;
}

jobstore_result jobstore_get(jobstore *store, const char *id, job_record *out)
{
    if (!id)
        return JOBSTORE_NOT_FOUND;
    sqlite3_stmt *st = stmt_get(store, ST_GET);
    if (!st)
        return JOBSTORE_DB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_to_record(st, out);
    sqlite3_reset(st);
    return step_result(rc);
}

/* The state column of the row st (stepped to SQLITE_ROW) holds; an unreadable one reads as failed, as in row_to_record. */
static job_state column_state(sqlite3_stmt *st, int col)
{
    int state = job_state_from_name((const char *)sqlite3_column_text(st, col));
    return state < 0 ? JOB_FAILED : (job_state)state;
}

jobstore_result jobstore_state(jobstore *store, const char *id, job_state *state)
{
    if (!id)
        return JOBSTORE_NOT_FOUND;
    sqlite3_stmt *st = stmt_get(store, ST_STATE);
    if (!st)
        return JOBSTORE_DB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *state = column_state(st, 0);
    sqlite3_reset(st);
    return step_result(rc);
}

static int list_rows(sqlite3_stmt *st, job_record **out, size_t *count);

int jobstore_list(jobstore *store, int state_filter, job_record **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *st = stmt_get(store, state_filter < 0 ? ST_LIST_ALL : ST_LIST_STATE);
    if (!st)
        return -1;
    if (state_filter >= 0)
        sqlite3_bind_text(st, 1, job_state_name((job_state)state_filter), -1, SQLITE_STATIC);
    return list_rows(st, out, count);
}

jobstore_result jobstore_list_page(jobstore *store, int state_filter, const char *after_id, int64_t limit,
                                   job_record **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    int64_t before_seq = INT64_MAX;
    if (after_id) {
        job_record rec;
        jobstore_result rc = jobstore_get(store, after_id, &rec);
        if (rc != JOBSTORE_OK)
            return rc;
        before_seq = rec.seq;
        job_record_free(&rec);
    }
    sqlite3_stmt *st = stmt_get(store, state_filter < 0 ? ST_PAGE_ALL : ST_PAGE_STATE);
    if (!st)
        return JOBSTORE_DB_ERROR;
    if (state_filter >= 0)
        sqlite3_bind_text(st, 1, job_state_name((job_state)state_filter), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before_seq);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);   /* SQLite: a negative LIMIT is no limit */
    return list_rows(st, out, count) == 0 ? JOBSTORE_OK : JOBSTORE_DB_ERROR;
}

jobstore_result jobstore_each_id(jobstore *store, const char *prefix, jobstore_id_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt_get(store, ST_IDS);
    if (!st)
        return JOBSTORE_DB_ERROR;
    size_t n = strlen(prefix);
    /* The first string above every id that starts with prefix: the prefix with
       its last byte raised (bytes of 0xff carry over; none left: no bound). */
    char *bound = xstrdup(prefix);
    while (n > 0 && (unsigned char)bound[n - 1] == 0xff)
        bound[--n] = '\0';
    if (n > 0)
        bound[n - 1] = (char)((unsigned char)bound[n - 1] + 1);
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
    if (n > 0)
        sqlite3_bind_text(st, 2, bound, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    free(bound);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int state = job_state_from_name((const char *)sqlite3_column_text(st, 1));
        fn(ctx, (const char *)sqlite3_column_text(st, 0), state < 0 ? JOB_PENDING : (job_state)state,
           (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? JOBSTORE_OK : JOBSTORE_DB_ERROR;
}

/* Reads every row of st (bound, reset afterwards) into a new array. 0 or -1. */
static int list_rows(sqlite3_stmt *st, job_record **out, size_t *count)
{
    size_t cap = 0;
    job_record *recs = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            recs = xrealloc(recs, cap * sizeof *recs);
        }
        row_to_record(st, &recs[(*count)++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *count; i++)
            job_record_free(&recs[i]);
        free(recs);
        *count = 0;
        return -1;
    }
    *out = recs;
    return 0;
}

static int drop_deps(jobstore *store, const char *id)
{
    sqlite3_stmt *st = stmt_get(store, ST_DROP_DEPS);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return stmt_run(st) == SQLITE_DONE ? 0 : -1;
}

/* Fails every pending job that waits on a failed or cancelled job, repeating
 * until nothing changes so that a whole chain fails in one pass. Runs inside
 * the caller's transaction. Returns how many jobs it failed, or -1. */
static int cascade_failures(jobstore *store, int64_t now_ms)
{
    int total = 0;
    for (;;) {
        sqlite3_stmt *st = stmt_get(store, ST_DOOMED);
        if (!st)
            return -1;
        /* Collect first: the victims are updated while no read cursor is open. */
        int64_t *seqs = NULL;
        char **reasons = NULL;
        size_t n = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t seq = sqlite3_column_int64(st, 0);
            if (n > 0 && seqs[n - 1] == seq)
                continue; /* one reason per job: the first dependency found */
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                seqs = xrealloc(seqs, cap * sizeof *seqs);
                reasons = xrealloc(reasons, cap * sizeof *reasons);
            }
            const char *dep = (const char *)sqlite3_column_text(st, 1);
            const char *dep_state = (const char *)sqlite3_column_text(st, 2);
            seqs[n] = seq;
            reasons[n] = xasprintf("dependency %s %s", dep,
                                   strcmp(dep_state, "cancelled") == 0 ? "was cancelled" : "failed");
            n++;
        }
        sqlite3_reset(st);
        int failed = rc == SQLITE_DONE ? 0 : -1;
        for (size_t i = 0; i < n && failed == 0; i++) {
            sqlite3_stmt *up = stmt_get(store, ST_FAIL_DEPENDENT);
            if (!up) {
                failed = -1;
                break;
            }
            sqlite3_bind_int64(up, 1, seqs[i]);
            sqlite3_bind_text(up, 2, reasons[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(up, 3, now_ms);
            if (stmt_run(up) != SQLITE_DONE)
                failed = -1;
            /* Its edges go: a final job waits for nothing. */
            sqlite3_stmt *del = stmt_get(store, ST_DROP_DEPS_SEQ);
            if (!del)
                failed = -1;
            else {
                sqlite3_bind_int64(del, 1, seqs[i]);
                if (stmt_run(del) != SQLITE_DONE)
                    failed = -1;
            }
        }
        for (size_t i = 0; i < n; i++)
            free(reasons[i]);
        free(reasons);
        free(seqs);
        if (failed < 0)
            return -1;
        if (n == 0)
            return total;
        total += (int)n;
    }
}

jobstore_pick jobstore_next_runnable(jobstore *store, int64_t now_ms, const char *const *skip_types,
                                     job_record *out)
{
    if (store->cascade_due) {
        if (tx_begin(store) < 0)
            return JOBSTORE_PICK_DB_ERROR;
        if (cascade_failures(store, now_ms) < 0 || tx_commit(store) < 0) {
            tx_rollback(store);
            return JOBSTORE_PICK_DB_ERROR;
        }
        store->cascade_due = false;
    }
    /* One indexed lookup per type that may start: the best of each, then the
     * best of those. Jobs of skipped types are never walked, however many wait. */
    sqlite3_stmt *st = stmt_get(store, ST_RUNNABLE);
    if (!st)
        return JOBSTORE_PICK_DB_ERROR;
    bool found = false;
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        const char *type = job_type_table[t].name;
        bool skipped = false;
        for (size_t i = 0; skip_types && skip_types[i]; i++)
            if (strcmp(skip_types[i], type) == 0)
                skipped = true;
        if (skipped)
            continue;
        sqlite3_bind_int64(st, 1, now_ms);
        sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int priority = sqlite3_column_int(st, 3);
            int64_t seq = sqlite3_column_int64(st, 0);
            if (!found || priority < out->priority || (priority == out->priority && seq < out->seq)) {
                if (found)
                    job_record_free(out);
                row_to_record(st, out);
                found = true;
            }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            if (found)
                job_record_free(out);
            return JOBSTORE_PICK_DB_ERROR;
        }
    }
    return found ? JOBSTORE_PICK_FOUND : JOBSTORE_PICK_NONE;
}

struct sqlite3 *jobstore_connection(jobstore *store)
{
    return store->db;
}

const char *jobstore_last_error(jobstore *store)
{
    /* "database or disk is full" leaves the reader to guess which: name it. */
    bool full = (sqlite3_errcode(store->db) & 0xff) == SQLITE_FULL;
    snprintf(store->last_error, sizeof store->last_error, "%s%s", sqlite3_errmsg(store->db),
             full ? " (No space left on device)" : "");
    return store->last_error;
}

/* State changes of jobs that are already acknowledged need not wait for an
 * fsync: in WAL mode they survive a crash of the process (kill -9) without
 * one, and the next durable commit (a submit) syncs them too. Only a power
 * loss can undo one, and then the job simply runs again. Submits and cancels
 * stay fully synchronous. */
static void sync_relaxed(jobstore *store, bool relaxed)
{
    stmt_run(stmt_get(store, relaxed ? ST_SYNC_NORMAL : ST_SYNC_FULL));
}

/* Runs one single-row UPDATE keyed by id (and the states it may leave);
 * NOT_FOUND when no row matched. */
static jobstore_result update_one(jobstore *store, sqlite3_stmt *st)
{
    if (!st || stmt_run(st) != SQLITE_DONE)
        return JOBSTORE_DB_ERROR;
    return sqlite3_changes(store->db) == 1 ? JOBSTORE_OK : JOBSTORE_NOT_FOUND;
}

jobstore_result jobstore_mark_running(jobstore *store, const char *id, const char *worker, int64_t now_ms)
{
    sqlite3_stmt *st = stmt_get(store, ST_MARK_RUNNING);
    if (!st)
        return JOBSTORE_DB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bind_text_or_null(st, 2, worker);
    sqlite3_bind_int64(st, 3, now_ms);
    sync_relaxed(store, true);
    jobstore_result rc = update_one(store, st);
    sync_relaxed(store, false);
    return rc;
}

static jobstore_result finish_tx(jobstore *store, const char *id, job_state state, const char *result_json,
                                 const char *reason, int64_t now_ms);

jobstore_result jobstore_finish(jobstore *store, const char *id, job_state state, const char *result_json,
                                const char *reason, int64_t now_ms)
{
    if (!job_state_is_final(state))
        return JOBSTORE_NOT_FOUND;
    sync_relaxed(store, true);
    jobstore_result rc = finish_tx(store, id, state, result_json, reason, now_ms);
    sync_relaxed(store, false);
    return rc;
}

static jobstore_result finish_tx(jobstore *store, const char *id, job_state state, const char *result_json,
                                 const char *reason, int64_t now_ms)
{
    if (tx_begin(store) < 0)
        return JOBSTORE_DB_ERROR;
    jobstore_result rc = JOBSTORE_DB_ERROR;
    sqlite3_stmt *st = stmt_get(store, ST_FINISH);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, job_state_name(state), -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, result_json);
    bind_text_or_null(st, 4, reason);
    sqlite3_bind_int64(st, 5, now_ms);
    rc = update_one(store, st);
    if (rc != JOBSTORE_OK)
        goto fail;
    rc = JOBSTORE_DB_ERROR;
    if (drop_deps(store, id) < 0)
        goto fail;
    /* Dependents learn at once, so their status is right before the next scheduling pass. */
    if (state != JOB_COMPLETED && cascade_failures(store, now_ms) < 0)
        goto fail;
    if (tx_commit(store) < 0)
        goto fail;
    return JOBSTORE_OK;
fail:
    tx_rollback(store);
    return rc;
}

jobstore_result jobstore_requeue(jobstore *store, const char *id, int64_t not_before_ms, const char *reason)
{
    sqlite3_stmt *st = stmt_get(store, ST_REQUEUE);
    if (!st)
        return JOBSTORE_DB_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, not_before_ms);
    bind_text_or_null(st, 3, reason);
    sync_relaxed(store, true);
    jobstore_result rc = update_one(store, st);
    sync_relaxed(store, false);
    return rc;
}

int jobstore_requeue_all_running(jobstore *store, int64_t max_retries, int64_t now_ms, int *failed)
{
    *failed = 0;
    if (tx_begin(store) < 0)
        return -1;
    sqlite3_stmt *st = stmt_get(store, ST_FAIL_EXHAUSTED);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, max_retries);
    sqlite3_bind_int64(st, 2, now_ms);
    if (stmt_run(st) != SQLITE_DONE)
        goto fail;
    *failed = sqlite3_changes(store->db);
    st = stmt_get(store, ST_REQUEUE_ALL);
    if (!st || stmt_run(st) != SQLITE_DONE)
        goto fail;
    int requeued = sqlite3_changes(store->db);
    if (tx_commit(store) < 0)
        return -1;
    if (*failed)
        store->cascade_due = true;   /* their dependents fail with them */
    return requeued;
fail:
    tx_rollback(store);
    *failed = 0;
    return -1;
}

int jobstore_cancel_pending(jobstore *store, const char *id, int64_t now_ms)
{
    if (tx_begin(store) < 0)
        return JOBSTORE_DB_ERROR;
    sqlite3_stmt *st = stmt_get(store, ST_STATE_OF);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int state = rc == SQLITE_ROW ? (int)column_state(st, 0) : JOBSTORE_NOT_FOUND;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
    if (state == JOB_PENDING) {
        st = stmt_get(store, ST_CANCEL);
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        /* The row was pending a moment ago inside this transaction: no match is a failure too. */
        if (update_one(store, st) != JOBSTORE_OK || drop_deps(store, id) < 0 || cascade_failures(store, now_ms) < 0)
            goto fail;
    }
    if (tx_commit(store) < 0)
        goto fail;
    return state;
fail:
    tx_rollback(store);
    return JOBSTORE_DB_ERROR;
}

int64_t jobstore_clean(jobstore *store, int64_t cutoff_ms, strvec *removed_ids)
{
    /* The highest number handed out is remembered before its row may go, so
     * that a generated "job-<seq>" id never names two different jobs. */
    sqlite3_stmt *keep = stmt_get(store, ST_KEEP_MAX_SEQ);
    sqlite3_stmt *st = stmt_get(store, ST_CLEAN);
    if (!keep || !st || tx_begin(store) < 0)
        return -1;
    sqlite3_bind_int64(keep, 1, store->next_seq - 1);
    sqlite3_bind_int64(st, 1, cutoff_ms);
    if (stmt_run(keep) != SQLITE_DONE) {
        tx_rollback(store);
        return -1;
    }
    int64_t removed = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        removed++;
        if (removed_ids)
            strvec_push(removed_ids, (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || tx_commit(store) < 0) {
        tx_rollback(store);
        return -1;
    }
    return removed;
}

int jobstore_count(jobstore *store, int state_filter)
{
    sqlite3_stmt *st = stmt_get(store, state_filter < 0 ? ST_COUNT_ALL : ST_COUNT_STATE);
    if (!st)
        return -1;
    if (state_filter >= 0)
        sqlite3_bind_text(st, 1, job_state_name((job_state)state_filter), -1, SQLITE_STATIC);
    int count = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return count;
}

/* ---- the watch list ---- */

/* One statement run to its end with text binds (NULL binds SQL NULL) and an optional integer last. */
static int watch_exec(jobstore *store, const char *sql, const char *a, const char *b, const char *c, int64_t n,
                      bool bind_n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    const char *texts[3] = {a, b, c};
    int i = 0;
    for (; i < 3 && texts[i]; i++)
        sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
    if (bind_n)
        sqlite3_bind_int64(st, i + 1, n);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(store->db) : -1;
}

jobstore_result jobstore_watch_add(jobstore *store, const char *config, int64_t now_ms, bool *added)
{
    int n = watch_exec(store, "INSERT OR IGNORE INTO watches (config, added_ms) VALUES (?1, ?2)", config, NULL,
                       NULL, now_ms, true);
    if (n < 0)
        return JOBSTORE_DB_ERROR;
    *added = n > 0;
    return JOBSTORE_OK;
}

jobstore_result jobstore_watch_remove(jobstore *store, const char *config)
{
    int n = watch_exec(store, "DELETE FROM watches WHERE config = ?1", config, NULL, NULL, 0, false);
    return n < 0 ? JOBSTORE_DB_ERROR : n == 0 ? JOBSTORE_NOT_FOUND : JOBSTORE_OK;
}

jobstore_result jobstore_watch_set_last(jobstore *store, const char *config, const char *job_id,
                                        const char *outcome, int64_t now_ms)
{
    /* Like a state change (sync_relaxed): the job it names is settled already,
       and this line of the watch list is no acknowledgement; every watched
       build wrote it with an fsync of its own before the client's answer. */
    sync_relaxed(store, true);
    int n = watch_exec(store, "UPDATE watches SET last_job = ?1, last_outcome = ?2, last_ms = ?4 WHERE config = ?3",
                       job_id, outcome, config, now_ms, true);
    sync_relaxed(store, false);
    return n < 0 ? JOBSTORE_DB_ERROR : n == 0 ? JOBSTORE_NOT_FOUND : JOBSTORE_OK;
}

int jobstore_watch_list(jobstore *store, jobstore_watch **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT config, added_ms, last_job, last_outcome, last_ms FROM watches ORDER BY config",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        jobstore_watch *w = &(*out)[(*count)++];
        w->config = column_dup(st, 0);
        w->added_ms = sqlite3_column_int64(st, 1);
        w->last_job = column_dup(st, 2);
        w->last_outcome = column_dup(st, 3);
        w->last_ms = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        jobstore_watch_list_free(*out, *count);
        *out = NULL;
        *count = 0;
        return -1;
    }
    return 0;
}

void jobstore_watch_list_free(jobstore_watch *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].config);
        free(list[i].last_job);
        free(list[i].last_outcome);
    }
    free(list);
}
