/* orchestrator.c - the orchestrator daemon: client socket, job queue, dispatch to workers, supervision. */
#include "orchestrator.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "daemon.h"
#include "home.h"
#include "jobfile.h"
#include "jobstore.h"
#include "log.h"
#include "sys.h"
#include "util.h"
#include "uvwire.h"
#include "wire.h"

#define ORCH_TICK_MS 100
/* A running job whose worker ignores a cancel this long is ended by killing the worker. */
#define ORCH_CANCEL_GRACE_MS 1000
#define ORCH_RESTART_BACKOFF_MAX_MS 30000
#define ORCH_WORKER_STOP_GRACE_MS 5000

typedef struct orch orch;
typedef struct worker worker;

typedef struct conn {
    uv_pipe_t pipe;
    orch *o;
    wire_decoder dec;
    worker *worker;         /* set once a worker registered on this connection */
    bool closing;
    bool blocked;           /* a submit of this connection waits for the group commit */
    struct conn *next;
} conn;

struct worker {
    daemon_kind kind;
    uv_process_t proc;
    bool proc_alive;        /* uv process handle open and child not reaped */
    bool wanted;            /* should be running: false after "stop DAEMON" */
    pid_t pid;
    conn *conn;
    int restarts;
    uint64_t restart_at_ms; /* monotonic; 0 = no restart scheduled */
    uint64_t ping_sent_ms;  /* outstanding ping, 0 = none */
    uint64_t ping_seq;
    uint64_t kill_at_ms;    /* shutdown: SIGKILL if still alive then */
};

typedef struct running_job {
    char *id;
    char *type;
    daemon_kind kind;
    uint64_t started_ms;        /* monotonic */
    int64_t timeout_ms;
    int attempts;
    int cancel;                 /* 0, or why we asked the worker to stop */
    uint64_t cancel_deadline_ms;
    int64_t done, total;
    char *current;
} running_job;

enum { CANCEL_NONE, CANCEL_USER, CANCEL_TIMEOUT, CANCEL_SHUTDOWN };

/* A submit waiting for the next group commit. */
typedef struct pending_submit {
    conn *c;
    cJSON *req;
    struct pending_submit *next;
} pending_submit;

typedef struct waiter {
    conn *c;
    strvec ids;
    uint64_t deadline_ms;       /* 0 = none */
    bool summary;               /* "result": "summary" */
    struct waiter *next;
} waiter;

struct orch {
    uv_loop_t *loop;
    char *home;
    jm_config cfg;
    jobstore *store;
    uv_pipe_t server;
    char *socket_path;
    uv_timer_t tick;
    uv_signal_t sigterm, sigint;
    conn *conns;
    worker workers[DAEMON_COUNT];
    running_job *running;
    size_t running_count, running_cap;
    waiter *waiters;
    pending_submit *batch;          /* submits of this loop iteration, in arrival order */
    pending_submit **batch_tail;
    uv_check_t batch_check;         /* commits the batch after each poll */
    uv_idle_t batch_idle;           /* keeps the poll from blocking while a batch waits */
    uint64_t next_health_ms;
    bool stopping;              /* no new jobs start */
    uint64_t stop_deadline_ms;  /* running jobs are re-queued after this */
    bool workers_told_to_stop;
    bool schedule_again;
    int exit_code;
};

static void orch_schedule(orch *o);
static void orch_send(conn *c, cJSON *msg);
static void orch_drain_conn(conn *c);
static void worker_send_simple(worker *w, const char *op);
static void worker_start(orch *o, worker *w);

/* ---- small helpers ---- */

static char *orch_job_log_path(orch *o, const char *id)
{
    char *dir = home_jobs_dir(o->home);
    char *safe = xstrdup(id);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    char *path = xasprintf("%s/%s.log", dir, safe);
    free(dir);
    free(safe);
    return path;
}

static running_job *orch_find_running(orch *o, const char *id)
{
    for (size_t i = 0; i < o->running_count; i++)
        if (strcmp(o->running[i].id, id) == 0)
            return &o->running[i];
    return NULL;
}

static void orch_remove_running(orch *o, running_job *rj)
{
    free(rj->id);
    free(rj->type);
    free(rj->current);
    size_t idx = (size_t)(rj - o->running);
    memmove(&o->running[idx], &o->running[idx + 1], (o->running_count - idx - 1) * sizeof *rj);
    o->running_count--;
}

static size_t orch_running_on(orch *o, daemon_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < o->running_count; i++)
        if (o->running[i].kind == kind)
            n++;
    return n;
}

static cJSON *orch_reply_ok(void)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "ok");
    return r;
}

static cJSON *orch_reply_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *orch_reply_error(const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddFalseToObject(r, "ok");
    cJSON_AddStringToObject(r, "code", code);
    cJSON_AddStringToObject(r, "error", msg ? msg : code);
    free(msg);
    return r;
}

/* The job as clients see it: the stored record plus live progress. With
 * summary, a result's symbol list (hundreds of KB for a large library) is
 * replaced by its length: progress displays poll this many times. */
static cJSON *orch_job_json(orch *o, const job_record *rec, bool summary)
{
    cJSON *j = jobfile_record_to_json(rec);
    cJSON *result = cJSON_GetObjectItem(j, "result");
    const cJSON *symbols = cJSON_GetObjectItem(result, "symbols");
    if (summary && cJSON_IsArray(symbols)) {
        cJSON_AddNumberToObject(result, "symbol_count", cJSON_GetArraySize(symbols));
        cJSON_DeleteItemFromObject(result, "symbols");
    }
    running_job *rj = rec->state == JOB_RUNNING ? orch_find_running(o, rec->id) : NULL;
    if (rj && rj->total > 0) {
        cJSON *p = cJSON_AddObjectToObject(j, "progress");
        cJSON_AddNumberToObject(p, "done", (double)rj->done);
        cJSON_AddNumberToObject(p, "total", (double)rj->total);
        if (rj->current)
            cJSON_AddStringToObject(p, "current", rj->current);
    }
    char *log_path = orch_job_log_path(o, rec->id);
    cJSON_AddStringToObject(j, "log_path", log_path);
    free(log_path);
    return j;
}

static bool orch_wants_summary(const cJSON *req)
{
    const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(req, "result"));
    return r && strcmp(r, "summary") == 0;
}

/* ---- waiters (job_wait) ---- */

static bool orch_all_final(orch *o, const strvec *ids, bool summary, cJSON **jobs_out)
{
    bool all = true;
    if (!jobs_out) {
        for (size_t i = 0; i < ids->n && all; i++) {
            int state = jobstore_state(o->store, ids->v[i]);
            if (state >= 0 && !job_state_is_final((job_state)state))
                all = false;
        }
        return all;
    }
    cJSON *jobs = cJSON_CreateArray();
    for (size_t i = 0; i < ids->n; i++) {
        job_record rec;
        if (jobstore_get(o->store, ids->v[i], &rec) != 0) {
            cJSON *missing = cJSON_CreateObject();
            cJSON_AddStringToObject(missing, "id", ids->v[i]);
            cJSON_AddStringToObject(missing, "state", "unknown");
            cJSON_AddItemToArray(jobs, missing);
            continue;
        }
        if (!job_state_is_final(rec.state))
            all = false;
        cJSON_AddItemToArray(jobs, orch_job_json(o, &rec, summary));
        job_record_free(&rec);
    }
    *jobs_out = jobs;
    return all;
}

static void orch_answer_waiter(orch *o, waiter *w, bool timed_out)
{
    cJSON *jobs;
    orch_all_final(o, &w->ids, w->summary, &jobs);
    cJSON *r = orch_reply_ok();
    cJSON_AddItemToObject(r, "jobs", jobs);
    cJSON_AddBoolToObject(r, "timed_out", timed_out);
    orch_send(w->c, r);
}

static void orch_check_waiters(orch *o, uint64_t now)
{
    waiter **pp = &o->waiters;
    while (*pp) {
        waiter *w = *pp;
        bool done = orch_all_final(o, &w->ids, false, NULL);
        bool expired = w->deadline_ms && now >= w->deadline_ms;
        if (done || expired) {
            orch_answer_waiter(o, w, !done);
            *pp = w->next;
            strvec_free(&w->ids);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void orch_drop_waiters_of(orch *o, conn *c)
{
    waiter **pp = &o->waiters;
    while (*pp) {
        waiter *w = *pp;
        if (w->c == c) {
            *pp = w->next;
            strvec_free(&w->ids);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

/* ---- connections ---- */

static void orch_on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    wire_decoder_free(&c->dec);
    free(c);
}

static void orch_close_conn(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    orch *o = c->o;
    orch_drop_waiters_of(o, c);
    /* A submit of this connection already in the batch is still committed in
     * this loop iteration's check phase, which runs before closed handles are
     * freed; orch_send drops its reply. */
    for (conn **pp = &o->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (c->worker) {
        log_info("%s daemon disconnected", daemon_table[c->worker->kind].name);
        c->worker->conn = NULL;
        c->worker = NULL;
    }
    uv_close((uv_handle_t *)&c->pipe, orch_on_conn_closed);
}

static void orch_send(conn *c, cJSON *msg)
{
    if (c->closing) {
        cJSON_Delete(msg);
        return;
    }
    if (uvwire_send((uv_stream_t *)&c->pipe, msg) < 0)
        orch_close_conn(c);
}

/* ---- job completion ---- */

static int64_t orch_retry_delay_ms(orch *o)
{
    return o->cfg.error_handling.retry_delay_seconds * 1000;
}

/* A job ended without a verdict of its own (daemon died, timeout, spawn
 * failure): retried while attempts remain, else failed with the reason. */
static void orch_retry_or_fail(orch *o, const char *id, int attempts, const char *reason)
{
    int64_t now = clock_wall_ms();
    if (attempts <= o->cfg.error_handling.max_retries) {
        char *why = xasprintf("%s; retry %d of %lld", reason, attempts,
                              (long long)o->cfg.error_handling.max_retries);
        log_warn("job %s: %s", id, why);
        jobstore_requeue(o->store, id, now + orch_retry_delay_ms(o), why);
        free(why);
    } else {
        char *why = xasprintf("%s (after %d attempts)", reason, attempts);
        log_warn("job %s failed: %s", id, why);
        jobstore_finish(o->store, id, JOB_FAILED, NULL, why, now);
        free(why);
    }
}

/* A job the orchestrator asked to stop ends the way the asking decided,
 * whether its worker reported back or died: cancelled, retried after a
 * timeout, or back to pending for the next start. false when not asked. */
static bool orch_settle_stopped(orch *o, running_job *rj, const char *result_text)
{
    switch (rj->cancel) {
    case CANCEL_USER:
        jobstore_finish(o->store, rj->id, JOB_CANCELLED, result_text, "cancelled by request", clock_wall_ms());
        log_info("job %s cancelled", rj->id);
        return true;
    case CANCEL_TIMEOUT: {
        char *why = xasprintf("timed out after %lld s", (long long)(rj->timeout_ms / 1000));
        orch_retry_or_fail(o, rj->id, rj->attempts, why);
        free(why);
        return true;
    }
    case CANCEL_SHUTDOWN:
        jobstore_requeue(o->store, rj->id, 0, "re-queued: daemons stopped before it finished");
        return true;
    default:
        return false;
    }
}

static void orch_job_finished(orch *o, running_job *rj, const char *state_name, cJSON *result,
                              const char *reason, bool retryable)
{
    int64_t now = clock_wall_ms();
    char *result_text = cJSON_IsObject(result) ? cJSON_PrintUnformatted(result) : NULL;
    const char *why = reason ? reason : "failed";
    if (orch_settle_stopped(o, rj, result_text)) {
        /* the reason it was stopped decides, not what the worker said */
    } else if (strcmp(state_name, "completed") == 0) {
        jobstore_finish(o->store, rj->id, JOB_COMPLETED, result_text, NULL, now);
        log_info("job %s completed", rj->id);
    } else if (retryable) {
        orch_retry_or_fail(o, rj->id, rj->attempts, why);
    } else {
        jobstore_finish(o->store, rj->id, JOB_FAILED, result_text, why, now);
        log_info("job %s failed: %s", rj->id, why);
    }
    free(result_text);
    bool compiled = strcmp(rj->type, "compilation") == 0;
    orch_remove_running(o, rj);
    /* The build daemon keeps the shared cache within its size after builds add to it. */
    if (compiled)
        worker_send_simple(&o->workers[DAEMON_BUILD], "evict");
    o->schedule_again = true;
}

/* Every job of a worker that died or was killed goes back to the queue (an attempt spent). */
static void orch_worker_lost_jobs(orch *o, worker *w, const char *why)
{
    for (size_t i = 0; i < o->running_count;) {
        running_job *rj = &o->running[i];
        if (rj->kind != w->kind) {
            i++;
            continue;
        }
        if (!orch_settle_stopped(o, rj, NULL))
            orch_retry_or_fail(o, rj->id, rj->attempts, why);
        orch_remove_running(o, rj);
    }
    o->schedule_again = true;
}

/* ---- workers: processes and supervision ---- */

static void orch_on_worker_closed(uv_handle_t *h)
{
    (void)h;
}

/* Workers lead their own session; compilers they started (each in a process
 * group of its own) stay in it. When a worker dies, whatever is left of its
 * session is killed so that no compiler of a lost job keeps running. */
static void kill_hard(pid_t pid, void *ctx)
{
    (void)ctx;
    kill(pid, SIGKILL);
}

static void orch_kill_session(pid_t sid)
{
    sys_for_each_in_session(sid, kill_hard, NULL);
}

static void orch_on_worker_exit(uv_process_t *proc, int64_t exit_status, int term_signal)
{
    worker *w = proc->data;
    orch *o = proc->loop->data;
    w->proc_alive = false;
    uv_close((uv_handle_t *)proc, orch_on_worker_closed);
    orch_kill_session(w->pid);
    char *why = term_signal ? xasprintf("%s daemon killed by signal %d", daemon_table[w->kind].name, term_signal)
                            : xasprintf("%s daemon exited with status %lld", daemon_table[w->kind].name,
                                        (long long)exit_status);
    if (o->stopping || !w->wanted)
        log_info("%s", why);
    else
        log_warn("%s", why);
    if (w->conn)
        orch_close_conn(w->conn);
    orch_worker_lost_jobs(o, w, why);
    free(why);
    w->pid = 0;
    w->ping_sent_ms = 0;
    if (!o->stopping && w->wanted && o->cfg.orchestrator.restart_failed_daemons) {
        /* Exponential backoff so that a daemon crashing at start-up does not spin. */
        uint64_t delay = 250u << (w->restarts < 7 ? w->restarts : 7);
        if (delay > ORCH_RESTART_BACKOFF_MAX_MS)
            delay = ORCH_RESTART_BACKOFF_MAX_MS;
        w->restarts++;
        w->restart_at_ms = clock_monotonic_ms() + delay;
        log_info("restarting %s daemon in %llu ms", daemon_table[w->kind].name, (unsigned long long)delay);
    }
}

static void worker_start(orch *o, worker *w)
{
    if (w->proc_alive)
        return;
    char exe[4096];
    int erc = sys_self_exe(exe, sizeof exe);
    if (erc < 0) {
        log_error("cannot find my own executable: %s", strerror(-erc));
        return;
    }
    char *args[] = {exe, "daemon", (char *)daemon_table[w->kind].name, "--home", o->home, NULL};
    uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE}, {.flags = UV_INHERIT_FD, .data.fd = 1},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t opts = {
        .file = exe, .args = args, .exit_cb = orch_on_worker_exit, .stdio_count = 3, .stdio = stdio,
        .flags = UV_PROCESS_DETACHED};
    memset(&w->proc, 0, sizeof w->proc);
    w->proc.data = w;
    int rc = uv_spawn(o->loop, &w->proc, &opts);
    if (rc < 0) {
        log_error("cannot start %s daemon: %s", daemon_table[w->kind].name, uv_strerror(rc));
        uv_close((uv_handle_t *)&w->proc, orch_on_worker_closed);
        w->restarts++;
        w->restart_at_ms = clock_monotonic_ms() + 1000;
        return;
    }
    w->proc_alive = true;
    w->pid = w->proc.pid;
    w->restart_at_ms = 0;
    w->ping_sent_ms = 0;
    log_info("started %s daemon (PID %d)", daemon_table[w->kind].name, (int)w->pid);
}

static void worker_kill(worker *w, const char *why)
{
    if (!w->proc_alive)
        return;
    log_warn("killing %s daemon (PID %d): %s", daemon_table[w->kind].name, (int)w->pid, why);
    uv_process_kill(&w->proc, SIGKILL);
}

static void worker_send_simple(worker *w, const char *op)
{
    if (!w->conn)
        return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", op);
    orch_send(w->conn, m);
}

/* Asks the job's worker to stop it; the tick kills the worker if it has not
 * reported back within ORCH_CANCEL_GRACE_MS. */
static void orch_request_stop(orch *o, running_job *rj, int why, uint64_t now)
{
    rj->cancel = why;
    rj->cancel_deadline_ms = now + ORCH_CANCEL_GRACE_MS;
    worker *w = &o->workers[rj->kind];
    if (!w->conn)
        return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "cancel");
    cJSON_AddStringToObject(m, "id", rj->id);
    orch_send(w->conn, m);
}

static void orch_health_check(orch *o, uint64_t now)
{
    for (int k = 1; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        if (!w->proc_alive)
            continue;
        if (w->ping_sent_ms) {
            /* No answer for a whole interval: hung. */
            worker_kill(w, "no answer to the health check");
            continue;
        }
        if (!w->conn)
            continue;
        w->ping_sent_ms = now;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "op", "ping");
        cJSON_AddNumberToObject(m, "seq", (double)++w->ping_seq);
        orch_send(w->conn, m);
    }
}

/* ---- dispatch ---- */

static void orch_dispatch(orch *o, worker *w, job_record *rec)
{
    int64_t now_wall = clock_wall_ms();
    if (jobstore_mark_running(o->store, rec->id, daemon_table[w->kind].name, now_wall) != 0) {
        log_error("job %s: cannot mark running", rec->id);
        return;
    }
    if (o->running_count == o->running_cap) {
        o->running_cap = o->running_cap ? o->running_cap * 2 : 8;
        o->running = xrealloc(o->running, o->running_cap * sizeof *o->running);
    }
    running_job *rj = &o->running[o->running_count++];
    memset(rj, 0, sizeof *rj);
    rj->id = xstrdup(rec->id);
    rj->type = xstrdup(rec->type);
    rj->kind = w->kind;
    rj->started_ms = clock_monotonic_ms();
    int64_t timeout_s = rec->timeout_seconds > 0 ? rec->timeout_seconds : o->cfg.queue.job_timeout_seconds;
    rj->timeout_ms = timeout_s * 1000;
    rj->attempts = rec->attempts + 1;

    rec->state = JOB_RUNNING;
    rec->attempts = rj->attempts;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "run");
    cJSON_AddItemToObject(m, "job", jobfile_record_to_json(rec));
    char *log_path = orch_job_log_path(o, rec->id);
    cJSON_AddStringToObject(m, "log_path", log_path);
    free(log_path);
    orch_send(w->conn, m);
    log_info("job %s (%s) started on the %s daemon, attempt %d", rec->id, rec->type,
             daemon_table[w->kind].name, rj->attempts);
}

static void orch_schedule(orch *o)
{
    o->schedule_again = false;
    if (o->stopping)
        return;
    /* Types whose daemon cannot take a job now are skipped, not blocking others. */
    static const char *const type_names[] = {"compilation", "discovery", "wrapping", "error_analysis"};
    for (;;) {
        if ((int64_t)o->running_count >= o->cfg.queue.max_concurrent_jobs)
            return;
        const char *skip[8];
        size_t ns = 0;
        for (size_t t = 0; t < 4; t++) {
            worker *w = &o->workers[daemon_for_job_type(type_names[t])];
            if (!w->conn)
                skip[ns++] = type_names[t];
        }
        skip[ns] = NULL;
        job_record rec;
        if (jobstore_next_runnable(o->store, clock_wall_ms(), skip, &rec) != 1)
            return;
        int kind = daemon_for_job_type(rec.type);
        if (kind < 0) {
            jobstore_finish(o->store, rec.id, JOB_FAILED, NULL, "unknown job type", clock_wall_ms());
        } else {
            orch_dispatch(o, &o->workers[kind], &rec);
        }
        job_record_free(&rec);
    }
}

/* ---- requests ---- */

static cJSON *orch_diag_reply(const diag_list *diags)
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

static cJSON *orch_submit_specs(orch *o, job_spec *specs, size_t count, const diag_list *diags)
{
    char **ids = xcalloc(count, sizeof(char *));
    char err[512];
    if (jobstore_submit(o->store, specs, count, ids, clock_wall_ms(), err, sizeof err) != 0) {
        free(ids);
        return orch_reply_error("rejected", "%s", err);
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

static cJSON *orch_op_submit(orch *o, const cJSON *req)
{
    const cJSON *job = cJSON_GetObjectItem(req, "job");
    if (!cJSON_IsObject(job))
        return orch_reply_error("bad_request", "submit needs a \"job\" object");
    diag_list diags = {0};
    job_spec spec;
    memset(&spec, 0, sizeof spec);
    if (jobfile_spec_from_json(job, &spec, &diags) != 0 || jobfile_validate_spec(&spec, &diags) != 0) {
        cJSON *r = orch_diag_reply(&diags);
        job_spec_free(&spec);
        diag_free(&diags);
        return r;
    }
    cJSON *r = orch_submit_specs(o, &spec, 1, &diags);
    job_spec_free(&spec);
    diag_free(&diags);
    return r;
}

static cJSON *orch_op_submit_file(orch *o, const cJSON *req)
{
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(req, "path"));
    if (!path || path[0] != '/')
        return orch_reply_error("bad_request", "submit_file needs an absolute \"path\"");
    diag_list diags = {0};
    job_spec *specs = NULL;
    size_t count = 0;
    if (jobfile_load(path, &specs, &count, &diags) != 0) {
        cJSON *r = orch_diag_reply(&diags);
        diag_free(&diags);
        return r;
    }
    cJSON *r = orch_submit_specs(o, specs, count, &diags);
    for (size_t i = 0; i < count; i++)
        job_spec_free(&specs[i]);
    free(specs);
    diag_free(&diags);
    return r;
}

/* The job a request names by "id": 0 with *rec filled (caller frees), or -1
 * with *error_reply set. */
static int orch_find_job(orch *o, const cJSON *req, job_record *rec, cJSON **error_reply)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id"));
    if (!id) {
        *error_reply = orch_reply_error("bad_request", "missing \"id\"");
        return -1;
    }
    if (jobstore_get(o->store, id, rec) != 0) {
        *error_reply = orch_reply_error("not_found", "no job with id '%s'", id);
        return -1;
    }
    return 0;
}

static cJSON *orch_op_job_status(orch *o, const cJSON *req)
{
    job_record rec;
    cJSON *err;
    if (orch_find_job(o, req, &rec, &err) != 0)
        return err;
    cJSON *r = orch_reply_ok();
    cJSON_AddItemToObject(r, "job", orch_job_json(o, &rec, orch_wants_summary(req)));
    job_record_free(&rec);
    return r;
}

static cJSON *orch_op_job_result(orch *o, const cJSON *req)
{
    cJSON *r = orch_op_job_status(o, req);
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

static cJSON *orch_op_job_wait(orch *o, conn *c, const cJSON *req, bool *deferred)
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
        job_record rec;
        if (jobstore_get(o->store, e->valuestring, &rec) != 0) {
            cJSON *r = orch_reply_error("not_found", "no job with id '%s'", e->valuestring);
            strvec_free(&w->ids);
            free(w);
            return r;
        }
        job_record_free(&rec);
        strvec_push(&w->ids, e->valuestring);
    }
    const cJSON *t = cJSON_GetObjectItem(req, "timeout_ms");
    double timeout = cJSON_IsNumber(t) ? t->valuedouble : -1;
    w->c = c;
    w->deadline_ms = timeout >= 0 ? clock_monotonic_ms() + (uint64_t)timeout : 0;
    w->summary = orch_wants_summary(req);
    if (orch_all_final(o, &w->ids, false, NULL) || timeout == 0) {
        orch_answer_waiter(o, w, false);
        strvec_free(&w->ids);
        free(w);
    } else {
        w->next = o->waiters;
        o->waiters = w;
    }
    *deferred = true;
    return NULL;
}

static cJSON *orch_op_job_cancel(orch *o, const cJSON *req)
{
    job_record rec;
    cJSON *err;
    if (orch_find_job(o, req, &rec, &err) != 0)
        return err;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id"));
    job_state prev = rec.state;
    job_record_free(&rec);
    cJSON *r = orch_reply_ok();
    cJSON_AddStringToObject(r, "previous_state", job_state_name(prev));
    if (prev == JOB_PENDING) {
        jobstore_cancel_pending(o->store, id, clock_wall_ms());
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

static cJSON *orch_op_job_list(orch *o, const cJSON *req)
{
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(req, "state"));
    int filter = -1;
    if (state && (filter = job_state_from_name(state)) < 0)
        return orch_reply_error("bad_request", "unknown state '%s' (pending, running, completed, failed, cancelled)",
                                state);
    job_record *recs = NULL;
    size_t n = 0;
    if (jobstore_list(o->store, filter, &recs, &n) != 0)
        return orch_reply_error("internal", "cannot list jobs");
    cJSON *r = orch_reply_ok();
    cJSON *arr = cJSON_AddArrayToObject(r, "jobs");
    /* Shell completion (`id_prefix`, `brief`): the matching ids with state and type only. */
    const char *prefix = cJSON_GetStringValue(cJSON_GetObjectItem(req, "id_prefix"));
    bool brief = cJSON_IsTrue(cJSON_GetObjectItem(req, "brief"));
    for (size_t i = 0; i < n; i++) {
        if (!prefix || strncmp(recs[i].id, prefix, strlen(prefix)) == 0) {
            cJSON *j = brief ? cJSON_CreateObject() : orch_job_json(o, &recs[i], true);
            if (brief) {
                cJSON_AddStringToObject(j, "id", recs[i].id);
                cJSON_AddStringToObject(j, "state", job_state_name(recs[i].state));
                cJSON_AddStringToObject(j, "type", recs[i].type);
            }
            cJSON_DeleteItemFromObject(j, "result"); /* lists stay small; job result has it */
            cJSON_AddItemToArray(arr, j);
        }
        job_record_free(&recs[i]);
    }
    free(recs);
    return r;
}

static cJSON *orch_op_job_clean(orch *o, const cJSON *req)
{
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

static cJSON *orch_status_json(orch *o)
{
    cJSON *r = orch_reply_ok();
    cJSON_AddStringToObject(r, "version", JMAKE_VERSION);
    cJSON_AddNumberToObject(r, "protocol", 1);
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
    return r;
}

static void orch_begin_stop(orch *o, double grace_seconds)
{
    if (o->stopping)
        return;
    o->stopping = true;
    o->stop_deadline_ms = clock_monotonic_ms() + (uint64_t)(grace_seconds * 1000);
    log_info("stopping: %zu running job(s) get %.0f s to finish", o->running_count, grace_seconds);
    uv_close((uv_handle_t *)&o->server, NULL);
}

static cJSON *orch_op_stop(orch *o, const cJSON *req)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(req, "daemon"));
    const cJSON *g = cJSON_GetObjectItem(req, "grace_seconds");
    double grace = cJSON_IsNumber(g) && g->valuedouble >= 0 ? g->valuedouble : 30;
    if (name && strcmp(name, "orchestrator") != 0) {
        int k = daemon_from_name(name);
        if (k <= 0)
            return orch_reply_error("bad_request", "unknown daemon '%s'", name);
        worker *w = &o->workers[k];
        w->wanted = false;
        w->restart_at_ms = 0;
        if (w->proc_alive) {
            worker_send_simple(w, "shutdown");
            w->kill_at_ms = clock_monotonic_ms() + ORCH_WORKER_STOP_GRACE_MS;
        }
        log_info("%s daemon stop requested", daemon_table[k].name);
        return orch_reply_ok();
    }
    orch_begin_stop(o, grace);
    return orch_reply_ok();
}

static cJSON *orch_op_start(orch *o, const cJSON *req)
{
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
        worker_start(o, w);
    }
    return orch_reply_ok();
}

/* Messages from a registered worker. */
static void orch_worker_message(orch *o, worker *w, const char *op, const cJSON *msg)
{
    if (strcmp(op, "pong") == 0) {
        w->ping_sent_ms = 0;
        return;
    }
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "id"));
    running_job *rj = id ? orch_find_running(o, id) : NULL;
    if (strcmp(op, "progress") == 0) {
        if (!rj)
            return;
        const cJSON *d = cJSON_GetObjectItem(msg, "done"), *t = cJSON_GetObjectItem(msg, "total");
        rj->done = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0;
        rj->total = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : 0;
        const char *cur = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "current"));
        free(rj->current);
        rj->current = cur ? xstrdup(cur) : NULL;
        return;
    }
    if (strcmp(op, "done") == 0) {
        if (!rj) {
            log_warn("%s daemon finished unknown job %s", daemon_table[w->kind].name, id ? id : "?");
            return;
        }
        const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "state"));
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "reason"));
        bool retryable = cJSON_IsTrue(cJSON_GetObjectItem(msg, "retryable"));
        orch_job_finished(o, rj, state ? state : "failed", cJSON_GetObjectItem(msg, "result"), reason, retryable);
        /* Whoever waits for it hears now, not at the next tick. */
        orch_check_waiters(o, clock_monotonic_ms());
        return;
    }
    log_warn("%s daemon sent unknown message '%s'", daemon_table[w->kind].name, op);
}

static cJSON *orch_op_register(orch *o, conn *c, const cJSON *req)
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
    w->ping_sent_ms = 0;
    log_info("%s daemon registered (PID %d)", name, (int)pid->valuedouble);
    o->schedule_again = true;
    return orch_reply_ok();
}

static void orch_on_batch_idle(uv_idle_t *h)
{
    (void)h;
}

static void orch_handle_frame(conn *c, const char *frame)
{
    orch *o = c->o;
    cJSON *req = cJSON_Parse(frame);
    cJSON *reply = NULL;
    bool deferred = false;
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(req, "op"));
    if (!cJSON_IsObject(req) || !op) {
        reply = orch_reply_error("bad_request", "a request is a JSON object with an \"op\" string");
    } else if (c->worker) {
        log_debug("%s daemon: %s", daemon_table[c->worker->kind].name, op);
        orch_worker_message(o, c->worker, op, req);
    } else {
        log_debug("client request: %s", op);
        const cJSON *v = cJSON_GetObjectItem(req, "v");
        if (v && (!cJSON_IsNumber(v) || v->valueint != 1))
            reply = orch_reply_error("bad_request", "unsupported protocol version (this daemon speaks 1)");
        else if (strcmp(op, "ping") == 0 || strcmp(op, "status") == 0)
            reply = orch_status_json(o);
        else if ((strcmp(op, "submit") == 0 || strcmp(op, "submit_file") == 0) && o->stopping)
            reply = orch_reply_error("unavailable", "daemons are stopping");
        else if (strcmp(op, "submit") == 0 || strcmp(op, "submit_file") == 0) {
            /* Submits of one loop iteration share one commit; the connection
             * reads nothing more until its reply is out, so replies stay in order. */
            pending_submit *p = xcalloc(1, sizeof *p);
            p->c = c;
            p->req = req;
            req = NULL;
            *o->batch_tail = p;
            o->batch_tail = &p->next;
            c->blocked = true;
            deferred = true;
            uv_idle_start(&o->batch_idle, orch_on_batch_idle);
        }
        else if (strcmp(op, "job_status") == 0)
            reply = orch_op_job_status(o, req);
        else if (strcmp(op, "job_result") == 0)
            reply = orch_op_job_result(o, req);
        else if (strcmp(op, "job_wait") == 0)
            reply = orch_op_job_wait(o, c, req, &deferred);
        else if (strcmp(op, "job_cancel") == 0)
            reply = orch_op_job_cancel(o, req);
        else if (strcmp(op, "job_list") == 0)
            reply = orch_op_job_list(o, req);
        else if (strcmp(op, "job_clean") == 0)
            reply = orch_op_job_clean(o, req);
        else if (strcmp(op, "stop") == 0)
            reply = orch_op_stop(o, req);
        else if (strcmp(op, "start") == 0)
            reply = orch_op_start(o, req);
        else if (strcmp(op, "register") == 0)
            reply = orch_op_register(o, c, req);
        else
            reply = orch_reply_error("bad_request", "unknown request '%s'", op);
    }
    cJSON_Delete(req);
    if (reply && !deferred)
        orch_send(c, reply);
    if (o->schedule_again)
        orch_schedule(o);
}

static void orch_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = stream->data;
    if (nread < 0) {
        free(buf->base);
        orch_close_conn(c);
        return;
    }
    wire_decoder_feed(&c->dec, buf->base, (size_t)nread);
    free(buf->base);
    orch_drain_conn(c);
}

static void orch_drain_conn(conn *c)
{
    while (!c->blocked && !c->closing) {
        char *frame = NULL;
        int r = wire_decoder_next(&c->dec, &frame, NULL);
        if (r == 0)
            break;
        if (r < 0) {
            /* The stream cannot be resynchronised; answer and hang up on this client only. */
            orch_send(c, orch_reply_error("bad_request", "request larger than %u bytes", WIRE_MAX_REQUEST));
            orch_close_conn(c);
            break;
        }
        orch_handle_frame(c, frame);
        free(frame);
    }
}

/* After each poll: all submits that arrived are validated and inserted, each
 * all or nothing, then made durable by one commit, and only then acknowledged. */
static void orch_on_batch_check(uv_check_t *h)
{
    orch *o = h->data;
    if (!o->batch)
        return;
    pending_submit *list = o->batch;
    o->batch = NULL;
    o->batch_tail = &o->batch;
    uv_idle_stop(&o->batch_idle);
    bool batched = jobstore_batch_begin(o->store) == 0;
    for (pending_submit *p = list; p; p = p->next) {
        const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(p->req, "op"));
        cJSON *reply = strcmp(op, "submit") == 0 ? orch_op_submit(o, p->req) : orch_op_submit_file(o, p->req);
        cJSON_Delete(p->req);
        p->req = reply;
    }
    if (batched && jobstore_batch_end(o->store) != 0) {
        log_error("job database commit failed: submits of this batch are refused");
        for (pending_submit *p = list; p; p = p->next) {
            cJSON_Delete(p->req);
            p->req = orch_reply_error("internal", "job database commit failed");
        }
    }
    while (list) {
        pending_submit *p = list;
        list = p->next;
        orch_send(p->c, p->req);
        p->c->blocked = false;
        orch_drain_conn(p->c);
        free(p);
    }
    if (o->schedule_again)
        orch_schedule(o);
}

static void orch_on_connection(uv_stream_t *server, int status)
{
    orch *o = server->data;
    if (status < 0)
        return;
    conn *c = xcalloc(1, sizeof *c);
    c->o = o;
    uv_pipe_init(o->loop, &c->pipe, 0);
    c->pipe.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        uv_close((uv_handle_t *)&c->pipe, orch_on_conn_closed);
        return;
    }
    wire_decoder_init(&c->dec, WIRE_MAX_REQUEST);
    /* Only our own user may drive the daemons. */
    uv_os_fd_t fd;
    uid_t peer = (uid_t)-1;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 || sys_peer_uid(fd, &peer) != 0 || peer != getuid()) {
        log_warn("refused a connection from uid %d", (int)peer);
        c->closing = true;
        uv_close((uv_handle_t *)&c->pipe, orch_on_conn_closed);
        return;
    }
    c->next = o->conns;
    o->conns = c;
    uv_read_start((uv_stream_t *)&c->pipe, uvwire_alloc, orch_on_read);
}

/* ---- the tick: timeouts, cancels, restarts, health, shutdown ---- */

static bool orch_all_workers_gone(orch *o)
{
    for (int k = 1; k < DAEMON_COUNT; k++)
        if (o->workers[k].proc_alive)
            return false;
    return true;
}

static void orch_finish_stop(orch *o)
{
    log_info("all daemons stopped");
    uv_timer_stop(&o->tick);
    uv_close((uv_handle_t *)&o->tick, NULL);
    uv_close((uv_handle_t *)&o->sigterm, NULL);
    uv_close((uv_handle_t *)&o->sigint, NULL);
    uv_close((uv_handle_t *)&o->batch_check, NULL);
    uv_close((uv_handle_t *)&o->batch_idle, NULL);
    while (o->conns)
        orch_close_conn(o->conns);
    unlink(o->socket_path);
}

static void orch_on_tick(uv_timer_t *t)
{
    orch *o = t->data;
    uint64_t now = clock_monotonic_ms();

    for (size_t i = 0; i < o->running_count; i++) {
        running_job *rj = &o->running[i];
        worker *w = &o->workers[rj->kind];
        if (rj->cancel == CANCEL_NONE && rj->timeout_ms > 0 && now - rj->started_ms >= (uint64_t)rj->timeout_ms) {
            log_warn("job %s exceeded its %lld s timeout", rj->id, (long long)(rj->timeout_ms / 1000));
            orch_request_stop(o, rj, CANCEL_TIMEOUT, now);
        } else if (rj->cancel != CANCEL_NONE && rj->cancel_deadline_ms && now >= rj->cancel_deadline_ms) {
            rj->cancel_deadline_ms = 0;
            worker_kill(w, "it did not stop a cancelled job in time");
        }
    }

    if (o->stopping) {
        if (o->running_count > 0 && now >= o->stop_deadline_ms) {
            for (size_t i = 0; i < o->running_count; i++) {
                running_job *rj = &o->running[i];
                if (rj->cancel == CANCEL_NONE)
                    orch_request_stop(o, rj, CANCEL_SHUTDOWN, now);
            }
        }
        if (o->running_count == 0 && !o->workers_told_to_stop) {
            o->workers_told_to_stop = true;
            for (int k = 1; k < DAEMON_COUNT; k++) {
                worker *w = &o->workers[k];
                w->kill_at_ms = now + ORCH_WORKER_STOP_GRACE_MS;
                if (w->conn)
                    worker_send_simple(w, "shutdown");
                else if (w->proc_alive)
                    uv_process_kill(&w->proc, SIGTERM);
            }
        }
    }

    for (int k = 1; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        if (w->proc_alive && w->kill_at_ms && now >= w->kill_at_ms) {
            w->kill_at_ms = 0;
            worker_kill(w, "it did not stop in time");
        }
        if (!o->stopping && w->wanted && !w->proc_alive && w->restart_at_ms && now >= w->restart_at_ms)
            worker_start(o, w);
    }

    if (o->stopping && o->workers_told_to_stop && orch_all_workers_gone(o)) {
        orch_check_waiters(o, now);
        orch_finish_stop(o);
        return;
    }

    if (now >= o->next_health_ms) {
        o->next_health_ms = now + (uint64_t)o->cfg.orchestrator.health_check_interval * 1000;
        orch_health_check(o, now);
    }
    orch_schedule(o);
    orch_check_waiters(o, now);
}

static void orch_on_signal(uv_signal_t *s, int signum)
{
    orch *o = s->data;
    log_info("signal %d: stopping", signum);
    orch_begin_stop(o, 30);
}

/* ---- start-up ---- */

static int orch_listen(orch *o)
{
    o->socket_path = home_socket_path(o->home);
    /* We hold the PID lock, so a socket file here is a stale one from a killed orchestrator. */
    unlink(o->socket_path);
    uv_pipe_init(o->loop, &o->server, 0);
    o->server.data = o;
    mode_t old = umask(0177);
    int rc = uv_pipe_bind(&o->server, o->socket_path);
    umask(old);
    if (rc == 0)
        rc = chmod(o->socket_path, 0600) == 0 ? 0 : -errno;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&o->server, 128, orch_on_connection);
    if (rc < 0) {
        log_error("cannot listen on %s: %s", o->socket_path, uv_strerror(rc));
        return -1;
    }
    return 0;
}

int orchestrator_main(const char *home)
{
    orch o;
    memset(&o, 0, sizeof o);
    o.home = xstrdup(home);
    diag_list diags = {0};
    int cfg_rc = config_load(&o.cfg, home, &diags);
    log_open(home, "orchestrator", o.cfg.logging.log_level, o.cfg.logging.max_size_kb * 1024,
             (int)o.cfg.logging.keep_files);
    for (size_t i = 0; i < diags.count; i++) {
        char *line = diag_format(&diags.items[i]);
        if (diags.items[i].severity == DIAG_ERROR)
            log_error("%s", line);
        else
            log_warn("%s", line);
        free(line);
    }
    diag_free(&diags);
    if (cfg_rc != 0) {
        log_error("configuration errors: not starting");
        config_free(&o.cfg);
        free(o.home);
        return 2;
    }
    pid_t holder = 0;
    int pid_fd = daemon_pidfile_acquire(home, "orchestrator", &holder);
    if (pid_fd < 0) {
        if (pid_fd == -EWOULDBLOCK)
            log_info("orchestrator already running (PID %d)", (int)holder);
        else
            log_error("cannot take the PID file: %s", strerror(-pid_fd));
        config_free(&o.cfg);
        free(o.home);
        return pid_fd == -EWOULDBLOCK ? 0 : 1;
    }
    char *jobs_dir = home_jobs_dir(home);
    mkdir_p(jobs_dir, 0700);
    free(jobs_dir);
    char *db = home_queue_db(home);
    char err[512];
    o.store = jobstore_open(db, err, sizeof err);
    free(db);
    if (!o.store) {
        log_error("cannot open the job queue: %s", err);
        close(pid_fd);
        config_free(&o.cfg);
        free(o.home);
        return 1;
    }
    int requeued = jobstore_requeue_all_running(o.store);
    if (requeued > 0)
        log_info("%d job(s) that were running when the orchestrator stopped are queued again", requeued);

    o.loop = uv_default_loop();
    o.loop->data = &o;
    if (orch_listen(&o) != 0) {
        jobstore_close(o.store);
        close(pid_fd);
        config_free(&o.cfg);
        free(o.home);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_signal_init(o.loop, &o.sigterm);
    o.sigterm.data = &o;
    uv_signal_start(&o.sigterm, orch_on_signal, SIGTERM);
    uv_signal_init(o.loop, &o.sigint);
    o.sigint.data = &o;
    uv_signal_start(&o.sigint, orch_on_signal, SIGINT);

    for (int k = 1; k < DAEMON_COUNT; k++) {
        o.workers[k].kind = (daemon_kind)k;
        /* max_daemons counts the orchestrator; the last in table order are left out first.
         * JMAKE_START_ONLY=NAME (from `jmake start NAME` on a stopped home): that worker only. */
        o.workers[k].wanted = k < o.cfg.orchestrator.max_daemons &&
                              (!getenv("JMAKE_START_ONLY") || strcmp(getenv("JMAKE_START_ONLY"), daemon_table[k].name) == 0);
        if (o.workers[k].wanted)
            worker_start(&o, &o.workers[k]);
    }
    o.batch_tail = &o.batch;
    uv_check_init(o.loop, &o.batch_check);
    o.batch_check.data = &o;
    uv_check_start(&o.batch_check, orch_on_batch_check);
    uv_idle_init(o.loop, &o.batch_idle);
    o.next_health_ms = clock_monotonic_ms() + (uint64_t)o.cfg.orchestrator.health_check_interval * 1000;
    uv_timer_init(o.loop, &o.tick);
    o.tick.data = &o;
    uv_timer_start(&o.tick, orch_on_tick, ORCH_TICK_MS, ORCH_TICK_MS);
    log_info("orchestrator %s ready on %s (PID %d)", JMAKE_VERSION, o.socket_path, (int)getpid());

    uv_run(o.loop, UV_RUN_DEFAULT);

    uv_loop_close(o.loop);
    while (o.waiters) {
        waiter *w = o.waiters;
        o.waiters = w->next;
        strvec_free(&w->ids);
        free(w);
    }
    for (size_t i = 0; i < o.running_count; i++) {
        free(o.running[i].id);
        free(o.running[i].type);
        free(o.running[i].current);
    }
    free(o.running);
    jobstore_close(o.store);
    free(o.socket_path);
    config_free(&o.cfg);
    log_info("orchestrator exits");
    log_close();
    close(pid_fd);
    free(o.home);
    return o.exit_code;
}
