/* error_jobs.c - the error handler's work: error_analysis jobs (classify, store, suggest) and learning when a failing project builds again. */
#include <pthread.h>
#include <dirent.h>
#include <sys/stat.h>
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
    int64_t scan_mark_ns;       /* job logs modified up to here were looked at (loop thread only) */
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
    s->scan_mark_ns = clock_wall_ms() * 1000000;
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
    free(s);
}

static worker_outcome failed(char *reason)
{
    worker_outcome out = {.completed = false, .retryable = false, .reason = reason};
    return out;
}

/* ---- the failed job, read from its output log ----
 *
 * The job queue is the orchestrator's alone (SQLite in exclusive locking
 * mode), so what the handler knows of another job comes from the job's log,
 * HOME/jobs/ID.log: "compilation of CONFIG", the commands ("$ ..."), the
 * tools' output, and "build succeeded" or "build failed: ..." at the end. */

typedef struct job_view {
    char *text;             /* the whole log; owned */
    size_t len;
    char *project;          /* the config of "compilation of CONFIG", or NULL; owned */
    bool succeeded;         /* the compilation worker wrote "build succeeded" */
} job_view;

static char *job_log_path(const char *home, const char *id)
{
    char *dir = home_jobs_dir(home);
    char *safe = xstrdup(id);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    char *log = xasprintf("%s/%s.log", dir, safe);
    free(safe);
    free(dir);
    return log;
}

/* Reads what the log says of its job; false when there is no log. */
static bool read_job_log(const char *path, job_view *v)
{
    memset(v, 0, sizeof *v);
    v->text = read_file(path, &v->len);
    if (!v->text)
        return false;
    const char *c = strstr(v->text, " compilation of ");
    if (c) {
        c += 16;
        const char *e = strchr(c, '\n');
        v->project = xstrndup(c, e ? (size_t)(e - c) : strlen(c));
    }
    /* The last verdict counts: a retried job logs one per attempt. */
    const char *ok = NULL, *bad = NULL;
    for (const char *p = v->text; (p = strstr(p, " build succeeded")) != NULL; p++)
        ok = p;
    for (const char *p = v->text; (p = strstr(p, " build failed: ")) != NULL; p++)
        bad = p;
    v->succeeded = ok && (!bad || ok > bad);
    return true;
}

static void job_view_free(job_view *v)
{
    free(v->text);
    free(v->project);
}

/* Linker diagnostics of a log are located as the engine does it for its
   result: the object's unit (from the project's compile_commands.json),
   relative to the root, the line from a search of the source; compiler
   diagnostics get their unit's command. */
static void locate_in_project(ccdiag_list *diags, const char *project)
{
    char *root = path_dirname(project);
    cJSON *snap = errlearn_snapshot_file(project);
    const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(snap, "root"));
    if (r) {
        free(root);
        root = xstrdup(r);
    }
    cJSON_Delete(snap);
    char *ccj = path_join(root, "compile_commands.json");
    size_t len;
    char *text = read_file(ccj, &len);
    cJSON *units = text ? cJSON_Parse(text) : NULL;
    free(text);
    free(ccj);
    for (size_t i = 0; i < diags->n; i++) {
        ccdiag *d = &diags->v[i];
        const cJSON *u, *match = NULL;
        cJSON_ArrayForEach(u, units)
        {
            const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(u, "output"));
            const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(u, "file"));
            if (!out || !file)
                continue;
            char *out_rel = path_relative(root, out), *file_rel = path_relative(root, file);
            if ((d->object && (!strcmp(d->object, out) || !strcmp(d->object, out_rel))) ||
                (d->link == CCDIAG_LINK_NONE && d->file && !strcmp(d->file, file_rel)))
                match = u;
            free(out_rel);
            free(file_rel);
            if (match)
                break;
        }
        if (match && d->link != CCDIAG_LINK_NONE) {
            free(d->file);
            d->file = path_relative(root, cJSON_GetStringValue(cJSON_GetObjectItem(match, "file")));
            char *abs = path_absolute(root, d->file);
            if (d->line == 0)
                d->line = ccdiag_symbol_line(abs, d);
            free(abs);
        } else if (d->file && d->file[0] == '/') {
            char *rel = path_relative(root, d->file);
            free(d->file);
            d->file = rel;
        }
        if (match && !d->command) {
            bytebuf b = {0};
            const cJSON *a;
            cJSON_ArrayForEach(a, cJSON_GetObjectItem(match, "arguments"))
            {
                if (b.len)
                    bytebuf_put(&b, " ", 1);
                bytebuf_put(&b, a->valuestring, strlen(a->valuestring));
            }
            bytebuf_put(&b, "", 1);
            d->command = (char *)b.p;
        }
    }
    cJSON_Delete(units);
    free(root);
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

/* Timer on the loop thread: when projects are still failing, the job logs
   written since the last look that say one of them built. Nothing is read
   while no project is failing. */
static void learn_tick(worker_context *ctx)
{
    error_state *s = ctx->state;
    if (!s || !s->db)
        return;
    strvec projects = {0};
    pthread_mutex_lock(&s->lock);
    errdb_pending_projects(s->db, &projects);
    pthread_mutex_unlock(&s->lock);
    if (!projects.n)
        return;
    int64_t mark = s->scan_mark_ns;
    char *dir = home_jobs_dir(s->home);
    DIR *dh = opendir(dir);
    struct dirent *de;
    while (dh && (de = readdir(dh)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".log") != 0)
            continue;
        char *path = path_join(dir, de->d_name);
        struct stat st;
        int64_t mt = stat(path, &st) == 0 ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
        if (mt > s->scan_mark_ns) {
            if (mt > mark)
                mark = mt;
            job_view v;
            if (read_job_log(path, &v) && v.succeeded && v.project && strvec_contains(&projects, v.project)) {
                char *id = xstrndup(de->d_name, nl - 4);
                int n = learn_from_success(s, v.project, id);
                log_info("project %s built (job %s) after failing: %d fix%s learned", v.project, id, n,
                         n == 1 ? "" : "es");
                free(id);
            }
            job_view_free(&v);
        }
        free(path);
    }
    if (dh)
        closedir(dh);
    free(dir);
    s->scan_mark_ns = mark;
    strvec_free(&projects);
}

/* ---- analysis ---- */

static bool worth_analysing(const ccdiag *d, const err_class *c)
{
    /* Warnings are noise here, except the implicit declarations that become
       undefined references or (in newer compilers) errors. */
    return d->severity == CCDIAG_ERROR || c->pattern == ERR_IMPLICIT_DECLARATION;
}

static cJSON *analyse(error_state *s, worker_job *job, ccdiag_list *diags, const char *project, const char *job_id)
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
    if (target) {
        char *path = job_log_path(s->home, target);
        job_view v;
        bool have = read_job_log(path, &v);
        free(path);
        if (!have) {
            free(project);
            return failed(xasprintf("error_analysis: job '%s' has no output log", target));
        }
        if (!project && v.project)
            project = xstrdup(v.project);
        worker_job_log(job, "analysis of job %s (%s)", target, v.succeeded ? "it built" : "it failed");
        if (v.succeeded && project) {
            /* A build that succeeded: learning, nothing to classify. */
            int n = learn_from_success(s, project, target);
            worker_job_log(job, "job %s built: %d fix%s learned", target, n, n == 1 ? "" : "es");
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
        ccdiag_parse_text(v.text, v.len, &diags);
        job_view_free(&v);
    } else {
        size_t len;
        char *text = read_file(log_file, &len);
        if (!text) {
            free(project);
            return failed(xasprintf("error_analysis: cannot read %s", log_file));
        }
        worker_job_log(job, "analysis of the log %s", log_file);
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
    if (project)
        locate_in_project(&diags, project);
    cJSON *result = analyse(s, job, &diags, project, target);
    const cJSON *errs = cJSON_GetObjectItem(result, "errors");
    const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "suggestions"), 0);
    worker_job_log(job, "%d error%s classified; top suggestion: %s", cJSON_GetArraySize(errs),
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
