/* orch_requests.c - the orchestrator's request table and its handlers: client requests and worker messages (docs/PROTOCOL.md). */
#include "orch_requests.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jmake.h"
#include "jobfile.h"
#include "log.h"
#include "orch_policy.h"

cJSON *orch_reply_ok(void)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "ok");
    return r;
}

cJSON *orch_reply_error(const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);   /* messages quote what the client sent: never echo invalid UTF-8 */
    cJSON *r = cJSON_CreateObject();
    cJSON_AddFalseToObject(r, "ok");
    cJSON_AddStringToObject(r, "code", code);
    cJSON_AddStringToObject(r, "error", msg ? msg : code);
    free(msg);
    return r;
}

/* Past this many jobs in one request, its memory is handed back afterwards. */
#define ORCH_LARGE_REQUEST_JOBS 1000
/* job_list's page when the request names no limit. */
#define ORCH_LIST_PAGE 100

static bool wants_summary(const cJSON *req)
{
    const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(req, "result"));
    return r && strcmp(r, "summary") == 0;
}

/* ---- submits (run at the group commit, orchestrator.c) ---- */

cJSON *orch_reply_diags(const diag_list *diags)
{
    cJSON *r = orch_reply_error("rejected", "job rejected");
    cJSON *errors = cJSON_AddArrayToObject(r, "errors");
    cJSON *warnings = cJSON_AddArrayToObject(r, "warnings");
    for (size_t i = 0; i < diags->count; i++) {
        char *line = diag_format(&diags->items[i]);
        cJSON_AddItemToArray(diags->items[i].severity == DIAG_ERROR ? errors : warnings,
                             cJSON_CreateString(line));
        free(line);
    }
    const cJSON *first = cJSON_GetArrayItem(errors, 0);
    if (first)
        cJSON_ReplaceItemInObject(r, "error", cJSON_CreateString(first->valuestring));
    return r;
}

/* Queues specs (from the job file path with positions where, or from a
 * single submit: both NULL). A refusal by the store names the file's line and
 * column like the file's other errors; diags (the warnings so far) gets it. */
static cJSON *submit_specs(orch *o, job_spec *specs, size_t count, const char *path, const jobfile_where *where,
                           diag_list *diags)
{
    char **ids = xcalloc(count, sizeof(char *));
    char err[512];
    jobstore_fault fault;
    if (jobstore_submit_blaming(o->store, specs, count, ids, clock_wall_ms(), &fault, err, sizeof err) != 0) {
        free(ids);
        if (!path)
            return orch_reply_error("rejected", "%s", err);
        jobfile_add_store_error(diags, path, where, count, &fault, err);
        return orch_reply_diags(diags);
    }
    cJSON *r = orch_reply_ok();
    cJSON *arr = cJSON_AddArrayToObject(r, "ids");
    for (size_t i = 0; i < count; i++) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
        log_info("job %s (%s) queued", ids[i], specs[i].type);
        free(ids[i]);
    }
    free(ids);
    cJSON *warnings = cJSON_AddArrayToObject(r, "warnings");
    for (size_t i = 0; i < diags->count; i++) {
        char *line = diag_format(&diags->items[i]);
        cJSON_AddItemToArray(warnings, cJSON_CreateString(line));
        free(line);
    }
    o->schedule_again = true;
    return r;
}

static cJSON *op_submit(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    const cJSON *job = cJSON_GetObjectItem(req, "job");
    if (!cJSON_IsObject(job))
        return orch_reply_error("bad_request", "submit needs a \"job\" object");
    diag_list diags = {0};
    job_spec spec;
    memset(&spec, 0, sizeof spec);
    if (jobfile_spec_from_json(job, &spec, &diags) != 0 || jobfile_validate_spec(&spec, &diags) != 0) {
        cJSON *r = orch_reply_diags(&diags);
        job_spec_free(&spec);
        diag_free(&diags);
        return r;
    }
    cJSON *r = submit_specs(o, &spec, 1, NULL, NULL, &diags);
    job_spec_free(&spec);
    diag_free(&diags);
    return r;
}

/* A job file read and checked on a work thread. */
struct orch_prepared {
    char *path;             /* owned; NULL when the request had no absolute path */
    int loaded;             /* jobfile_load's result */
    job_spec *specs;        /* owned, count entries */
    size_t count;
    jobfile_where *where;   /* owned, count entries */
    diag_list diags;
};

void orch_prepared_free(orch_prepared *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        job_spec_free(&p->specs[i]);
    free(p->specs);
    jobfile_where_free(p->where, p->count);
    diag_free(&p->diags);
    free(p->path);
    free(p);
}

/* A 16 MiB job file takes seconds to parse and check: never on the loop. */
static orch_prepared *prepare_submit_file(const cJSON *req)
{
    orch_prepared *p = xcalloc(1, sizeof *p);
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(req, "path"));
    if (!path || path[0] != '/')
        return p;
    p->path = xstrdup(path);
    p->loaded = jobfile_load(path, &p->specs, &p->count, &p->where, &p->diags);
    return p;
}

static cJSON *op_submit_file(orch *o, conn *c, const cJSON *req)
{
    orch_prepared *p = c->prepared;
    c->prepared = NULL;
    if (!p)
        p = prepare_submit_file(req);   /* a caller that ran no prepare step */
    cJSON *r;
    if (!p->path)
        r = orch_reply_error("bad_request", "submit_file needs an absolute \"path\"");
    else if (p->loaded != 0)
        r = orch_reply_diags(&p->diags);
    else
        r = submit_specs(o, p->specs, p->count, p->path, p->where, &p->diags);
    o->trim_due |= p->count > ORCH_LARGE_REQUEST_JOBS;
    orch_prepared_free(p);
    return r;
}

/* ---- jobs ---- */

/* The error reply for a lookup of id that did not come to JOBSTORE_OK (caller owns it). */
static cJSON *lookup_error(jobstore_result rc, const char *id)
{
    if (rc == JOBSTORE_NOT_FOUND)
        return orch_reply_error("not_found", "no job with id '%s'", id);
    log_error("job database error reading job %s", id);
    return orch_reply_error("internal", "job database error reading job '%s'", id);
}

/* The job a request names by "id": 0 with *rec filled (caller frees), or -1
 * with *error_reply set. */
static int find_job(orch *o, const cJSON *req, job_record *rec, cJSON **error_reply)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id"));
    if (!id) {
        *error_reply = orch_reply_error("bad_request", "missing \"id\"");
        return -1;
    }
    jobstore_result rc = jobstore_get(o->store, id, rec);
    if (rc != JOBSTORE_OK) {
        *error_reply = lookup_error(rc, id);
        return -1;
    }
    return 0;
}

static cJSON *op_job_status(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    job_record rec;
    cJSON *err;
    if (find_job(o, req, &rec, &err) != 0)
        return err;
    cJSON *r = orch_reply_ok();
    cJSON_AddItemToObject(r, "job", orch_job_json(o, &rec, wants_summary(req)));
    job_record_free(&rec);
    return r;
}

static cJSON *op_job_result(orch *o, conn *c, const cJSON *req)
{
    cJSON *r = op_job_status(o, c, req);
    cJSON *job = cJSON_GetObjectItem(r, "job");
    if (!job)
        return r;
    /* The output log travels with the result; its tail is enough for a person. */
    const char *log_path = cJSON_GetStringValue(cJSON_GetObjectItem(job, "log_path"));
    size_t len = 0;
    char *text = log_path ? read_file(log_path, &len) : NULL;
    const size_t keep = 256 * 1024;
    if (text) {
        const char *start = len > keep ? text + (len - keep) : text;
        cJSON_AddStringToObject(job, "log", start);
        free(text);
    } else {
        cJSON_AddStringToObject(job, "log", "");
    }
    return r;
}

static cJSON *op_job_wait(orch *o, conn *c, const cJSON *req)
{
    const cJSON *ids = cJSON_GetObjectItem(req, "ids");
    if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0)
        return orch_reply_error("bad_request", "job_wait needs a non-empty \"ids\" array");
    waiter *w = xcalloc(1, sizeof *w);
    const cJSON *e;
    cJSON_ArrayForEach(e, ids)
    {
        if (!cJSON_IsString(e)) {
            strvec_free(&w->ids);
            free(w);
            return orch_reply_error("bad_request", "job ids must be strings");
        }
        job_state state;
        jobstore_result rc = jobstore_state(o->store, e->valuestring, &state);
        if (rc != JOBSTORE_OK) {
            cJSON *r = lookup_error(rc, e->valuestring);
            strvec_free(&w->ids);
            free(w);
            return r;
        }
        strvec_push(&w->ids, e->valuestring);
    }
    const cJSON *t = cJSON_GetObjectItem(req, "timeout_ms");
    double timeout = cJSON_IsNumber(t) ? t->valuedouble : -1;
    w->c = c;
    w->deadline_ms = timeout >= 0 ? clock_monotonic_ms() + (uint64_t)timeout : 0;
    w->summary = wants_summary(req);
    if (orch_all_final(o, &w->ids) || timeout == 0) {
        orch_answer_waiter(o, w, false);
        strvec_free(&w->ids);
        free(w);
    } else {
        w->next = o->waiters;
        o->waiters = w;
        c->blocked = true;   /* replies stay in request order: nothing more is read until this one is out */
    }
    return NULL; /* answered above, or by orch_check_waiters */
}

static cJSON *op_job_cancel(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    job_record rec;
    cJSON *err;
    if (find_job(o, req, &rec, &err) != 0)
        return err;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id"));
    job_state prev = rec.state;
    job_record_free(&rec);
    cJSON *r = orch_reply_ok();
    cJSON_AddStringToObject(r, "previous_state", job_state_name(prev));
    if (prev == JOB_PENDING) {
        if (jobstore_cancel_pending(o->store, id, clock_wall_ms()) == JOBSTORE_DB_ERROR)
            log_error("job %s: job database error while cancelling", id);
        orch_check_waiters(o, clock_monotonic_ms());
        cJSON_AddStringToObject(r, "state", "cancelled");
        log_info("job %s cancelled while pending", id);
    } else if (prev == JOB_RUNNING) {
        running_job *rj = orch_find_running(o, id);
        if (rj && rj->cancel == CANCEL_NONE)
            orch_request_stop(o, rj, CANCEL_USER, clock_monotonic_ms());
        cJSON_AddStringToObject(r, "state", "cancelling");
    } else {
        cJSON_AddStringToObject(r, "state", job_state_name(prev));
    }
    return r;
}

/* One [id, state, type] row of a brief list (jobstore_each_id's callback). */
static void add_brief_row(void *ctx, const char *id, job_state state, const char *type)
{
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(row, cJSON_CreateString(id));
    cJSON_AddItemToArray(row, cJSON_CreateString(job_state_name(state)));
    cJSON_AddItemToArray(row, cJSON_CreateString(type ? type : ""));
    cJSON_AddItemToArray((cJSON *)ctx, row);
}

/* Shell completion's list (`brief`): every id starting with `id_prefix`, oldest
 * first, as [id, state, type] rows read from the id index alone; 10,000 jobs
 * must complete in well under 50 ms, so neither records nor keyed objects. */
static cJSON *job_list_brief(orch *o, const cJSON *req)
{
    const char *prefix = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id_prefix"));
    cJSON *r = orch_reply_ok();
    cJSON *rows = cJSON_AddArrayToObject(r, "jobs");
    if (jobstore_each_id(o->store, prefix ? prefix : "", add_brief_row, rows) != JOBSTORE_OK) {
        cJSON_Delete(r);
        return orch_reply_error("internal", "cannot list jobs");
    }
    cJSON_AddBoolToObject(r, "more", false);
    o->trim_due |= cJSON_GetArraySize(rows) > ORCH_LARGE_REQUEST_JOBS;
    return r;
}

static cJSON *op_job_list(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(req, "state"));
    int filter = -1;
    if (state && (filter = job_state_from_name(state)) < 0)
        return orch_reply_error("bad_request", "unknown state '%s' (pending, running, completed, failed, cancelled)",
                                state);
    if (cJSON_IsTrue(cJSON_GetObjectItem(req, "brief")))
        return job_list_brief(o, req);
    /* A page at a time, newest first: `limit` (default ORCH_LIST_PAGE, 0 for
       all) jobs older than `after` (an id; absent: from the newest). */
    const cJSON *lim = cJSON_GetObjectItem(req, "limit");
    int64_t limit = cJSON_IsNumber(lim) ? (int64_t)lim->valuedouble : ORCH_LIST_PAGE;
    if (limit < 0)
        return orch_reply_error("bad_request", "job_list: \"limit\" must not be negative");
    const char *after = cJSON_GetStringValue(cJSON_GetObjectItem(req, "after"));
    job_record *recs = NULL;
    size_t n = 0;
    jobstore_result lr = jobstore_list_page(o->store, filter, after, limit, &recs, &n);
    if (lr == JOBSTORE_NOT_FOUND)
        return orch_reply_error("not_found", "no job '%s' (job_list's \"after\")", after);
    if (lr != JOBSTORE_OK)
        return orch_reply_error("internal", "cannot list jobs");
    cJSON *r = orch_reply_ok();
    cJSON_AddBoolToObject(r, "more", limit > 0 && (int64_t)n == limit);
    if (n)
        cJSON_AddStringToObject(r, "last", recs[n - 1].id);   /* the next page's "after" */
    cJSON *arr = cJSON_AddArrayToObject(r, "jobs");
    const char *prefix = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id_prefix"));
    for (size_t i = 0; i < n; i++) {
        if (!prefix || strncmp(recs[i].id, prefix, strlen(prefix)) == 0) {
            cJSON *j = orch_job_json(o, &recs[i], true);
            cJSON_DeleteItemFromObject(j, "result"); /* lists stay small; job result has it */
            cJSON_AddItemToArray(arr, j);
        }
        job_record_free(&recs[i]);
    }
    free(recs);
    o->trim_due |= n > ORCH_LARGE_REQUEST_JOBS;
    return r;
}

static cJSON *op_job_clean(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    const cJSON *older = cJSON_GetObjectItem(req, "older_than_seconds");
    double secs = cJSON_IsNumber(older) ? older->valuedouble : 0;
    if (secs < 0)
        return orch_reply_error("bad_request", "older_than_seconds must not be negative");
    int64_t cutoff = clock_wall_ms() - (int64_t)(secs * 1000);
    strvec removed_ids = {0};
    int64_t removed = jobstore_clean(o->store, cutoff, &removed_ids);
    /* Forgotten jobs' output logs go with them. */
    for (size_t i = 0; i < removed_ids.n; i++) {
        char *log_path = orch_job_log_path(o, removed_ids.v[i]);
        unlink(log_path);
        free(log_path);
    }
    strvec_free(&removed_ids);
    if (removed < 0)
        return orch_reply_error("internal", "cannot clean jobs");
    cJSON *r = orch_reply_ok();
    cJSON_AddNumberToObject(r, "removed", (double)removed);
    return r;
}

/* ---- daemons ---- */

static cJSON *op_status(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    (void)req;
    cJSON *r = orch_reply_ok();
    cJSON_AddStringToObject(r, "version", JMAKE_VERSION);
    cJSON_AddNumberToObject(r, "protocol", JMAKE_PROTOCOL_VERSION);
    cJSON_AddNumberToObject(r, "pid", (double)getpid());
    cJSON_AddBoolToObject(r, "stopping", o->stopping);
    cJSON *arr = cJSON_AddArrayToObject(r, "daemons");
    int ready = 0;
    for (int k = 0; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "name", daemon_table[k].name);
        cJSON_AddStringToObject(d, "title", daemon_table[k].title);
        bool up = k == 0 || (w->proc_alive && w->conn);
        if (k != 0 && up)
            ready++;
        cJSON_AddStringToObject(d, "state", up ? "running" : (w->proc_alive ? "starting" : "stopped"));
        cJSON_AddNumberToObject(d, "pid", k == 0 ? (double)getpid() : (double)w->pid);
        cJSON_AddNumberToObject(d, "restarts", k == 0 ? 0 : w->restarts);
        cJSON_AddNumberToObject(d, "running_jobs", k == 0 ? 0 : (double)orch_running_on(o, (daemon_kind)k));
        cJSON_AddItemToArray(arr, d);
    }
    cJSON_AddNumberToObject(r, "workers_ready", ready);
    cJSON *q = cJSON_AddObjectToObject(r, "queue");
    cJSON_AddNumberToObject(q, "pending", jobstore_count(o->store, JOB_PENDING));
    cJSON_AddNumberToObject(q, "running", (double)o->running_count);
    cJSON_AddItemToObject(r, "watch", orch_watch_status(o));
    return r;
}

static cJSON *op_stop(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(req, "daemon"));
    const cJSON *g = cJSON_GetObjectItem(req, "grace_seconds");
    double grace = cJSON_IsNumber(g) && g->valuedouble >= 0 ? g->valuedouble : 30;
    if (name && strcmp(name, "orchestrator") != 0) {
        int k = daemon_from_name(name);
        if (k <= 0)
            return orch_reply_error("bad_request", "unknown daemon '%s'", name);
        orch_worker_stop(&o->workers[k]);
        return orch_reply_ok();
    }
    orch_begin_stop(o, grace);
    return orch_reply_ok();
}

static cJSON *op_start(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(req, "daemon"));
    int k = daemon_from_name(name);
    if (k < 0)
        return orch_reply_error("bad_request", "unknown daemon '%s'", name ? name : "");
    if (k == 0)
        return orch_reply_ok();
    worker *w = &o->workers[k];
    w->wanted = true;
    w->kill_at_ms = 0;
    if (!w->proc_alive) {
        w->restarts = 0;
        w->crash_streak = 0;
        orch_worker_start(o, w);
    }
    return orch_reply_ok();
}

static cJSON *op_register(orch *o, conn *c, const cJSON *req)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(req, "daemon"));
    int k = daemon_from_name(name);
    if (k <= 0)
        return orch_reply_error("bad_request", "unknown daemon '%s'", name ? name : "");
    worker *w = &o->workers[k];
    const cJSON *pid = cJSON_GetObjectItem(req, "pid");
    if (w->conn && w->conn != c)
        return orch_reply_error("rejected", "%s daemon already registered", name);
    if (!cJSON_IsNumber(pid) || (w->proc_alive && (pid_t)pid->valuedouble != w->pid))
        return orch_reply_error("rejected", "%s daemon with PID %d is not the one this orchestrator started",
                                name, cJSON_IsNumber(pid) ? (int)pid->valuedouble : -1);
    w->conn = c;
    c->worker = w;
    /* Workers send results (a discovery of a large tree, a library's symbols): up to the reply limit. */
    c->dec.max_frame = WIRE_MAX_REPLY;
    w->ping_sent_ms = 0;
    log_info("%s daemon registered (PID %d)", name, (int)pid->valuedouble);
    o->schedule_again = true;
    if (k == DAEMON_WATCHER)
        orch_watch_watcher_ready(o);
    orch_check_ready(o);
    return orch_reply_ok();
}

/* ---- worker messages (never answered) ---- */

static cJSON *msg_pong(orch *o, conn *c, const cJSON *msg)
{
    (void)o;
    (void)msg;
    c->worker->ping_sent_ms = 0;
    return NULL;
}

static running_job *message_job(orch *o, const cJSON *msg)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "id"));
    return id ? orch_find_running(o, id) : NULL;
}

static cJSON *msg_progress(orch *o, conn *c, const cJSON *msg)
{
    (void)c;
    running_job *rj = message_job(o, msg);
    if (!rj)
        return NULL;
    const cJSON *d = cJSON_GetObjectItem(msg, "done"), *t = cJSON_GetObjectItem(msg, "total");
    rj->done = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0;
    rj->total = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : 0;
    const char *cur = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "current"));
    free(rj->current);
    rj->current = cur ? xstrdup(cur) : NULL;
    return NULL;
}

static cJSON *msg_done(orch *o, conn *c, const cJSON *msg)
{
    running_job *rj = message_job(o, msg);
    if (!rj) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "id"));
        log_warn("%s daemon finished unknown job %s", daemon_table[c->worker->kind].name, id ? id : "?");
        return NULL;
    }
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "state"));
    const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "reason"));
    bool retryable = cJSON_IsTrue(cJSON_GetObjectItem(msg, "retryable"));
    orch_job_finished(o, rj, state ? state : "failed", cJSON_GetObjectItem(msg, "result"), reason, retryable);
    /* Whoever waits for it hears now, not at the next tick. */
    orch_check_waiters(o, clock_monotonic_ms());
    return NULL;
}

/* ---- the table ---- */

#define QUEUE_WRITE (ORCH_REQ_CLIENT | ORCH_REQ_GROUP_COMMIT | ORCH_REQ_NOT_WHILE_STOPPING)

static const orch_field submit_fields[] = {{"job", FIELD_OBJECT}, {NULL}};
static const orch_field submit_file_fields[] = {{"path", FIELD_STRING}, {NULL}};
static const orch_field job_id_fields[] = {{"id", FIELD_STRING}, {"result", FIELD_STRING}, {NULL}};
static const orch_field job_wait_fields[] = {{"ids", FIELD_STRINGS}, {"timeout_ms", FIELD_INT}, {NULL}};
static const orch_field job_list_fields[] = {
    {"state", FIELD_STRING}, {"id_prefix", FIELD_STRING}, {"brief", FIELD_BOOL},
    {"limit", FIELD_INT}, {"after", FIELD_STRING}, {NULL}};
static const orch_field job_clean_fields[] = {{"older_than_seconds", FIELD_INT}, {NULL}};
static const orch_field start_fields[] = {{"daemon", FIELD_STRING}, {NULL}};
static const orch_field stop_fields[] = {{"daemon", FIELD_STRING}, {"grace_seconds", FIELD_NUMBER}, {NULL}};
static const orch_field register_fields[] = {{"daemon", FIELD_STRING}, {"pid", FIELD_INT}, {NULL}};
static const orch_field watch_fields[] = {{"config", FIELD_STRING}, {NULL}};

const orch_request orch_request_table[] = {
    {"ping", op_status, ORCH_REQ_CLIENT, NULL, NULL},
    {"status", op_status, ORCH_REQ_CLIENT, NULL, NULL},
    {"submit", op_submit, QUEUE_WRITE, submit_fields, NULL},
    {"submit_file", op_submit_file, QUEUE_WRITE, submit_file_fields, prepare_submit_file},
    {"job_status", op_job_status, ORCH_REQ_CLIENT, job_id_fields, NULL},
    {"job_result", op_job_result, ORCH_REQ_CLIENT, job_id_fields, NULL},
    {"job_wait", op_job_wait, ORCH_REQ_CLIENT, job_wait_fields, NULL},
    {"job_cancel", op_job_cancel, ORCH_REQ_CLIENT, job_id_fields, NULL},
    {"job_list", op_job_list, ORCH_REQ_CLIENT, job_list_fields, NULL},
    {"job_clean", op_job_clean, ORCH_REQ_CLIENT, job_clean_fields, NULL},
    {"watch_add", orch_op_watch_add, ORCH_REQ_CLIENT | ORCH_REQ_NOT_WHILE_STOPPING, watch_fields, NULL},
    {"watch_remove", orch_op_watch_remove, ORCH_REQ_CLIENT, watch_fields, NULL},
    {"watch_list", orch_op_watch_list, ORCH_REQ_CLIENT, NULL, NULL},
    {"start", op_start, ORCH_REQ_CLIENT, start_fields, NULL},
    {"stop", op_stop, ORCH_REQ_CLIENT, stop_fields, NULL},
    /* A worker's first message, on a connection that is still a client's. */
    {"register", op_register, ORCH_REQ_CLIENT, register_fields, NULL},
    {"pong", msg_pong, ORCH_REQ_WORKER, NULL, NULL},
    {"progress", msg_progress, ORCH_REQ_WORKER, NULL, NULL},
    {"done", msg_done, ORCH_REQ_WORKER, NULL, NULL},
    {"watch_changes", orch_msg_watch_changes, ORCH_REQ_WORKER, NULL, NULL},
    {"watch_state", orch_msg_watch_state, ORCH_REQ_WORKER, NULL, NULL},
    {"synced", orch_msg_synced, ORCH_REQ_WORKER, NULL, NULL},
    {"index_changed", orch_msg_index_changed, ORCH_REQ_WORKER, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

const orch_request *orch_request_find(const char *op)
{
    if (!op)
        return NULL;
    for (const orch_request *r = orch_request_table; r->op; r++)
        if (strcmp(r->op, op) == 0)
            return r;
    return NULL;
}

static bool is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble == (double)(int64_t)v->valuedouble &&
           v->valuedouble >= -9.0e18 && v->valuedouble <= 9.0e18;
}

static bool field_has_type(const cJSON *v, orch_field_type type)
{
    switch (type) {
    case FIELD_STRING: return cJSON_IsString(v);
    case FIELD_INT: return is_int(v);
    case FIELD_NUMBER: return cJSON_IsNumber(v);
    case FIELD_BOOL: return cJSON_IsBool(v);
    case FIELD_OBJECT: return cJSON_IsObject(v);
    case FIELD_STRINGS:
        if (!cJSON_IsArray(v))
            return false;
        for (const cJSON *e = v->child; e; e = e->next)
            if (!cJSON_IsString(e))
                return false;
        return true;
    }
    return false;
}

static const char *const field_type_names[] = {
    [FIELD_STRING] = "a string", [FIELD_INT] = "a whole number", [FIELD_NUMBER] = "a number",
    [FIELD_BOOL] = "true or false", [FIELD_OBJECT] = "an object", [FIELD_STRINGS] = "an array of strings",
};

/* NULL when every declared field that is present has its type; else the error reply. */
static cJSON *check_fields(const orch_request *row, const cJSON *req)
{
    for (const orch_field *f = row->fields; f && f->name; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, f->name);
        if (v && !cJSON_IsNull(v) && !field_has_type(v, f->type))
            return orch_reply_error("bad_request", "%s: \"%s\" must be %s", row->op, f->name,
                                    field_type_names[f->type]);
    }
    return NULL;
}

cJSON *orch_request_parse(const char *frame, size_t len)
{
    const char *end = NULL;
    cJSON *req = cJSON_ParseWithLengthOpts(frame, len, &end, false);
    if (!req)
        return NULL;
    for (const char *p = end; p && p < frame + len; p++)
        if (!strchr(" \t\r\n", *p)) {
            cJSON_Delete(req);
            return NULL;
        }
    return req;
}

const orch_request *orch_request_route(const cJSON *req, const char *worker, bool stopping, cJSON **reply)
{
    *reply = NULL;
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(req, "op"));
    if (!cJSON_IsObject(req) || !op) {
        *reply = orch_reply_error("bad_request", "a request is a JSON object with an \"op\" string");
        return NULL;
    }
    const orch_request *row = orch_request_find(op);
    if (worker) {
        log_debug("%s daemon: %s", worker, op);
        return row && (row->flags & ORCH_REQ_WORKER) ? row : NULL;
    }
    log_debug("client request: %s", op);
    const cJSON *v = cJSON_GetObjectItem(req, "v");
    if (v && (!is_int(v) || v->valuedouble != JMAKE_PROTOCOL_VERSION)) {
        *reply = orch_reply_error("bad_request", "unsupported protocol version (this daemon speaks %d)",
                                  JMAKE_PROTOCOL_VERSION);
        return NULL;
    }
    if (!row || !(row->flags & ORCH_REQ_CLIENT)) {
        *reply = orch_reply_error("bad_request", "unknown request '%s'", op);
        return NULL;
    }
    if ((row->flags & ORCH_REQ_NOT_WHILE_STOPPING) && stopping) {
        *reply = orch_reply_error("unavailable", "daemons are stopping");
        return NULL;
    }
    if ((*reply = check_fields(row, req)) != NULL)
        return NULL;
    return row;
}
