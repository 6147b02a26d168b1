/* error_jobs.c - the error handler's work: error_analysis jobs (classify, store, suggest) and learning when a failing project builds again. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccdiag.h"
#include "errdb.h"
#include "errlearn.h"
#include "errpattern.h"
#include "errsuggest.h"
#include "home.h"
#include "log.h"
#include "util.h"
#include "error_jobs.h"
#include "worker.h"

/* An analysis looks at this many errors at most: the first ones explain the rest. */
#define MAX_ERRORS 50
/* Suggestions per error. */
#define MAX_SUGGESTIONS 5
/* Machine-wide searches of one analysis stop after this long (what was found is used). */
#define SEARCH_BUDGET_MS 5000

/* The daemon's state: the error database, one connection for every job
 * thread and the loop thread, behind a lock held only around its calls. */
typedef struct error_state {
    pthread_mutex_t lock;
    errdb *db;
    char *home;
    char *queue_db;
} error_state;

static errdb *open_or_recover(const char *path)
{
    char err[512];
    errdb *db = errdb_open(path, false, err, sizeof err);
    if (db)
        return db;
    /* A database this build cannot use is set aside, not deleted: what was
       learned stays readable for a newer jmake or by hand. */
    char *aside = xasprintf("%s.unusable-%lld", path, (long long)clock_wall_ms());
    log_warn("error database %s: %s; moved to %s, starting a new one", path, err, aside);
    rename(path, aside);
    free(aside);
    db = errdb_open(path, false, err, sizeof err);
    if (!db)
        log_error("error database %s: %s; error analysis runs without one", path, err);
    return db;
}

void *worker_error_state_new(const jm_config *cfg, const char *home)
{
    error_state *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->home = xstrdup(home);
    s->queue_db = home_queue_db(home);
    char *path = errdb_path(home);
    s->db = open_or_recover(path);
    free(path);
    return s;
}

void worker_error_state_free(void *state)
{
    error_state *s = state;
    if (!s)
        return;
    errdb_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->home);
    free(s->queue_db);
    free(s);
}

static void job_log(const worker_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void job_log(const worker_job *job, const char *fmt, ...)
{
    FILE *f = fopen(job->log_path, "a");
    if (!f)
        return;
    char stamp[40];
    format_iso8601_ms(clock_wall_ms(), stamp, sizeof stamp);
    fprintf(f, "%s ", stamp);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static worker_outcome failed(char *reason)
{
    worker_outcome out = {.completed = false, .retryable = false, .reason = reason};
    return out;
}

/* ---- the failed job, read from the queue (read-only: the orchestrator owns it) ---- */

typedef struct job_view {
    char *type, *state, *config_file, *result_json;
    int64_t finished_ms;
} job_view;

static void job_view_free(job_view *v)
{
    free(v->type);
    free(v->state);
    free(v->config_file);
    free(v->result_json);
}

static char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

/* 1 found, 0 no such job, -1 the queue cannot be read (err set). */
static int read_job(const char *queue_db, const char *id, job_view *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(queue_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errsize, "cannot open the job queue %s: %s", queue_db, db ? sqlite3_errmsg(db) : "");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT type, state, config_file, result_json, finished_ms FROM jobs WHERE id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->type = col(st, 0);
            out->state = col(st, 1);
            out->config_file = col(st, 2);
            out->result_json = col(st, 3);
            out->finished_ms = sqlite3_column_int64(st, 4);
            found = 1;
        } else {
            found = rc == SQLITE_DONE ? 0 : -1;
        }
    }
    if (found < 0)
        snprintf(err, errsize, "cannot read the job queue: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

/* The latest completed compilation of config after since_ms: its id (caller frees) or NULL. */
static char *later_success(const char *queue_db, const char *config, int64_t since_ms)
{
    sqlite3 *db = NULL;
    char *id = NULL;
    if (sqlite3_open_v2(queue_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 200);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT id FROM jobs WHERE config_file = ?1 AND type = 'compilation'"
                               " AND state = 'completed' AND finished_ms >= ?2 ORDER BY finished_ms DESC LIMIT 1",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, config, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, since_ms);
            if (sqlite3_step(st) == SQLITE_ROW)
                id = col(st, 0);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return id;
}

/* ---- learning ---- */

/* The error's pattern and subject from the database (subject caller frees); false when unknown. */
static bool error_kind(error_state *s, const char *id, err_pattern *pattern, char **subject)
{
    cJSON *e = errdb_show(s->db, id);
    if (!e)
        return false;
    int p = err_pattern_from_name(cJSON_GetStringValue(cJSON_GetObjectItem(e, "pattern")));
    const char *sub = cJSON_GetStringValue(cJSON_GetObjectItem(e, "subject"));
    *pattern = p < 0 ? ERR_UNKNOWN : (err_pattern)p;
    *subject = sub ? xstrdup(sub) : NULL;
    cJSON_Delete(e);
    return true;
}

/* Records what of changes fixed error id (it is gone from project now). Caller holds the lock. */
static int learn_fix(error_state *s, const char *id, const cJSON *changes, const char *project, const char *job_id,
                     int64_t now)
{
    err_pattern pattern;
    char *subject = NULL;
    if (!error_kind(s, id, &pattern, &subject))
        return 0;
    cJSON *rel = errlearn_relevant(changes, pattern, subject);
    int learned = 0;
    if (cJSON_GetArraySize(rel) > 0) {
        char *text = errlearn_changes_text(rel);
        errdb_add_fix(s->db, id, text, project, now);
        errdb_add_attempt(s->db, id, project, text, "succeeded", job_id, now);
        log_info("learned a fix for %s (%s %s): %s", id, err_pattern_name(pattern), subject ? subject : "", text);
        free(text);
        learned = 1;
    }
    cJSON_Delete(rel);
    free(subject);
    return learned;
}

/* project built (job_id): the difference from its failing configuration is
   a fix for each of the errors it had. Returns the number of fixes learned. */
static int learn_from_success(error_state *s, const char *project, const char *job_id)
{
    if (!s->db)
        return 0;
    cJSON *now_snap = errlearn_snapshot_file(project);   /* before the lock: a TOML parse */
    pthread_mutex_lock(&s->lock);
    char *old_text = NULL;
    strvec ids = {0};
    int learned = 0;
    if (errdb_get_pending(s->db, project, &old_text, &ids) == 1) {
        cJSON *old_snap = cJSON_Parse(old_text);
        cJSON *diff = old_snap && now_snap ? errlearn_diff(old_snap, now_snap) : cJSON_CreateArray();
        int64_t now = clock_wall_ms();
        for (size_t i = 0; i < ids.n; i++)
            learned += learn_fix(s, ids.v[i], diff, project, job_id, now);
        errdb_clear_pending(s->db, project, now);
        cJSON_Delete(diff);
        cJSON_Delete(old_snap);
    }
    pthread_mutex_unlock(&s->lock);
    free(old_text);
    strvec_free(&ids);
    cJSON_Delete(now_snap);
    return learned;
}

/* A new failure of a project that was already failing: errors of the old
   failure that are gone were fixed by the change between the two; errors
   still there after a change are failed attempts. Caller holds the lock. */
static void compare_failures(error_state *s, const char *project, const cJSON *snap, const strvec *new_ids,
                             const char *job_id, int64_t now)
{
    char *old_text = NULL;
    strvec old_ids = {0};
    if (errdb_get_pending(s->db, project, &old_text, &old_ids) != 1)
        return;
    cJSON *old_snap = cJSON_Parse(old_text);
    cJSON *diff = old_snap && snap ? errlearn_diff(old_snap, snap) : cJSON_CreateArray();
    if (cJSON_GetArraySize(diff) > 0) {
        char *text = errlearn_changes_text(diff);
        for (size_t i = 0; i < old_ids.n; i++) {
            if (strvec_contains(new_ids, old_ids.v[i]))
                errdb_add_attempt(s->db, old_ids.v[i], project, text, "failed", job_id, now);
            else
                learn_fix(s, old_ids.v[i], diff, project, job_id, now);
        }
        free(text);
    }
    cJSON_Delete(diff);
    cJSON_Delete(old_snap);
    free(old_text);
    strvec_free(&old_ids);
}

/* Timer on the loop thread: projects still failing that have built since. Cheap when none are. */
static void learn_tick(worker_context *ctx)
{
    error_state *s = ctx->state;
    if (!s || !s->db)
        return;
    strvec projects = {0};
    pthread_mutex_lock(&s->lock);
    errdb_pending_projects(s->db, &projects);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < projects.n; i++) {
        if (!*projects.v[i])
            continue;
        char *key = xasprintf("pending_since:%s", projects.v[i]);
        pthread_mutex_lock(&s->lock);
        int64_t failed_ms = errdb_meta_get(s->db, key, 0);
        pthread_mutex_unlock(&s->lock);
        free(key);
        char *ok = later_success(s->queue_db, projects.v[i], failed_ms + 1);
        if (ok) {
            int n = learn_from_success(s, projects.v[i], ok);
            log_info("project %s built (job %s) after failing: %d fix%s learned", projects.v[i], ok, n,
                     n == 1 ? "" : "es");
            free(ok);
        }
    }
    strvec_free(&projects);
}

/* ---- analysis ---- */

static bool worth_analysing(const ccdiag *d, const err_class *c)
{
    /* Warnings are noise here, except the implicit declarations that become
       undefined references or (in newer compilers) errors. */
    return d->severity == CCDIAG_ERROR || c->pattern == ERR_IMPLICIT_DECLARATION;
}

static cJSON *analyse(error_state *s, worker_job *job, ccdiag_list *diags, const char *project, const char *job_id,
                      int64_t failed_ms)
{
    uint64_t t0 = clock_monotonic_ms();
    cJSON *snap = project ? errlearn_snapshot_file(project) : NULL;
    cJSON *result = cJSON_CreateObject();
    if (job_id)
        cJSON_AddStringToObject(result, "job", job_id);
    if (project)
        cJSON_AddStringToObject(result, "project", project);
    cJSON *errors = cJSON_AddArrayToObject(result, "errors");
    cJSON *patterns = cJSON_CreateObject();
    err_class *classes = xcalloc(diags->n + 1, sizeof *classes);
    bool *use = xcalloc(diags->n + 1, sizeof *use);
    strvec ids = {0};
    size_t analysed = 0;
    for (size_t i = 0; i < diags->n; i++) {
        err_classify(&diags->v[i], &classes[i]);
        use[i] = analysed < MAX_ERRORS && worth_analysing(&diags->v[i], &classes[i]);
        if (!use[i])
            continue;
        analysed++;
        if (!strvec_contains(&ids, classes[i].id))
            strvec_push(&ids, classes[i].id);
    }
    int64_t now = clock_wall_ms();
    if (s->db) {
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < diags->n; i++)
            if (use[i])
                errdb_record(s->db, &classes[i], &diags->v[i], project ? project : "", job_id, now);
        if (project && snap && ids.n) {
            compare_failures(s, project, snap, &ids, job_id, now);
            char *text = cJSON_PrintUnformatted(snap);
            errdb_set_pending(s->db, project, text, job_id, &ids, now);
            char *key = xasprintf("pending_since:%s", project);
            errdb_meta_put(s->db, key, failed_ms ? failed_ms : now);
            free(key);
            free(text);
        }
        pthread_mutex_unlock(&s->lock);
    }
    uint64_t t_store = clock_monotonic_ms();
    err_search search = {.db = s->db, .db_lock = &s->lock, .cancel = &job->cancel,
                         .deadline_ms = clock_monotonic_ms() + SEARCH_BUDGET_MS};
    cJSON *top = cJSON_AddArrayToObject(result, "suggestions");
    strvec top_seen = {0};
    /* One suggestion list per fingerprint: the same missing header in ten files is searched for once. */
    strvec done_ids = {0};
    for (size_t i = 0; i < diags->n; i++) {
        if (!use[i])
            continue;
        const ccdiag *d = &diags->v[i];
        const err_class *c = &classes[i];
        cJSON *e = ccdiag_to_json(d);
        cJSON_AddStringToObject(e, "id", c->id);
        cJSON_AddStringToObject(e, "pattern", err_pattern_name(c->pattern));
        if (c->subject)
            cJSON_AddStringToObject(e, "subject", c->subject);
        cJSON_AddStringToObject(e, "fingerprint", c->fingerprint);
        cJSON *sugg = cJSON_AddArrayToObject(e, "suggestions");
        if (!strvec_contains(&done_ids, c->id)) {
            strvec_push(&done_ids, c->id);
            err_suggest(&search, c, d, snap, MAX_SUGGESTIONS, sugg);
            cJSON *first = cJSON_GetArrayItem(sugg, 0);
            const char *text = first ? cJSON_GetStringValue(cJSON_GetObjectItem(first, "text")) : NULL;
            if (text && !strvec_contains(&top_seen, text)) {
                strvec_push(&top_seen, text);
                cJSON *t = cJSON_Duplicate(first, 1);
                cJSON_AddStringToObject(t, "error", c->id);
                cJSON_AddStringToObject(t, "pattern", err_pattern_name(c->pattern));
                if (d->file)
                    cJSON_AddStringToObject(t, "file", d->file);
                cJSON_AddNumberToObject(t, "line", d->line);
                cJSON_AddItemToArray(top, t);
            }
        }
        cJSON *pc = cJSON_GetObjectItem(patterns, err_pattern_name(c->pattern));
        if (pc)
            cJSON_SetNumberValue(pc, pc->valuedouble + 1);
        else
            cJSON_AddNumberToObject(patterns, err_pattern_name(c->pattern), 1);
        cJSON_AddItemToArray(errors, e);
    }
    cJSON *counts = cJSON_AddObjectToObject(result, "counts");
    cJSON_AddNumberToObject(counts, "diagnostics", (double)diags->n);
    cJSON_AddNumberToObject(counts, "analysed", (double)analysed);
    cJSON_AddItemToObject(counts, "patterns", patterns);
    cJSON *t = cJSON_AddObjectToObject(result, "timings_ms");
    cJSON_AddNumberToObject(t, "store", (double)(t_store - t0));
    cJSON_AddNumberToObject(t, "suggest", (double)(clock_monotonic_ms() - t_store));
    cJSON_AddNumberToObject(t, "total", (double)(clock_monotonic_ms() - t0));
    for (size_t i = 0; i < diags->n; i++)
        err_class_free(&classes[i]);
    free(classes);
    free(use);
    strvec_free(&ids);
    strvec_free(&top_seen);
    strvec_free(&done_ids);
    cJSON_Delete(snap);
    return result;
}

/* The failed job's diagnostics: its result's items (already located by the
   engine), else its output log parsed as compiler text. */
static void job_diagnostics(error_state *s, const char *id, const job_view *v, ccdiag_list *out)
{
    cJSON *result = v->result_json ? cJSON_Parse(v->result_json) : NULL;
    const cJSON *items = cJSON_GetObjectItem(cJSON_GetObjectItem(result, "diagnostics"), "items");
    if (cJSON_IsArray(items) && cJSON_GetArraySize(items) > 0) {
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->v = xrealloc(out->v, out->cap * sizeof *out->v);
            }
            if (ccdiag_from_json(it, &out->v[out->n]))
                out->n++;
        }
    } else {
        char *dir = home_jobs_dir(s->home);
        char *safe = xstrdup(id);
        for (char *p = safe; *p; p++)
            if (*p == '/')
                *p = '_';
        char *log = xasprintf("%s/%s.log", dir, safe);
        size_t len;
        char *text = read_file(log, &len);
        if (text)
            ccdiag_parse_text(text, len, out);
        free(text);
        free(log);
        free(safe);
        free(dir);
    }
    cJSON_Delete(result);
}

worker_outcome worker_run_error_analysis(worker_job *job)
{
    error_state *s = job->daemon_state;
    const cJSON *args = cJSON_GetObjectItem(job->job, "args");
    const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(args, "job"));
    const char *log_file = cJSON_GetStringValue(cJSON_GetObjectItem(args, "log"));
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(job->job, "config_file"));
    if (!target && !log_file)
        return failed(xstrdup("error_analysis needs args.job (a job id) or args.log (a compiler log file)"));
    ccdiag_list diags = {0};
    char *project = config ? xstrdup(config) : NULL;
    int64_t failed_ms = 0;
    if (target) {
        job_view v;
        char err[512] = "";
        int found = read_job(s->queue_db, target, &v, err, sizeof err);
        if (found <= 0) {
            free(project);
            if (found < 0)
                return (worker_outcome){.completed = false, .retryable = true, .reason = xstrdup(err)};
            return failed(xasprintf("error_analysis: no job '%s'", target));
        }
        if (!project && v.config_file)
            project = xstrdup(v.config_file);
        failed_ms = v.finished_ms;
        job_log(job, "analysis of job %s (%s, %s)", target, v.type ? v.type : "?", v.state ? v.state : "?");
        if (v.state && strcmp(v.state, "completed") == 0 && project) {
            /* A build that succeeded: learning, nothing to classify. */
            int n = learn_from_success(s, project, target);
            job_log(job, "job %s completed: %d fix%s learned", target, n, n == 1 ? "" : "es");
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "job", target);
            cJSON_AddStringToObject(r, "project", project);
            cJSON_AddNumberToObject(r, "learned", n);
            cJSON_AddArrayToObject(r, "errors");
            cJSON_AddArrayToObject(r, "suggestions");
            job_view_free(&v);
            free(project);
            return (worker_outcome){.completed = true, .result = r};
        }
        job_diagnostics(s, target, &v, &diags);
        job_view_free(&v);
    } else {
        size_t len;
        char *text = read_file(log_file, &len);
        if (!text) {
            free(project);
            return failed(xasprintf("error_analysis: cannot read %s", log_file));
        }
        job_log(job, "analysis of the log %s", log_file);
        /* gcc's JSON when the log is that, else text. */
        if (ccdiag_parse_json(text, len, &diags) < 0)
            ccdiag_parse_text(text, len, &diags);
        free(text);
    }
    if (atomic_load(&job->cancel)) {
        ccdiag_list_free(&diags);
        free(project);
        return failed(xstrdup("cancelled"));
    }
    cJSON *result = analyse(s, job, &diags, project, target, failed_ms);
    const cJSON *errs = cJSON_GetObjectItem(result, "errors");
    const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "suggestions"), 0);
    job_log(job, "%d error%s classified; top suggestion: %s", cJSON_GetArraySize(errs),
            cJSON_GetArraySize(errs) == 1 ? "" : "s",
            top ? cJSON_GetStringValue(cJSON_GetObjectItem(top, "text")) : "none");
    ccdiag_list_free(&diags);
    free(project);
    if (atomic_load(&job->cancel)) {
        cJSON_Delete(result);
        return failed(xstrdup("cancelled"));
    }
    return (worker_outcome){.completed = true, .result = result};
}

const worker_timer worker_error_timers[] = {
    {.first_ms = 1000, .interval_ms = 1000, .fire = learn_tick},
    {.fire = NULL},
};
