/* orch_jobs.c - the orchestrator's running jobs: dispatch to workers, completion, retries, cancels, timeouts, and the clients waiting for them. */
#include "orch_internal.h"

#include <stdlib.h>
#include <string.h>

#include "home.h"
#include "jobfile.h"
#include "jobtype.h"
#include "log.h"
#include "orch_policy.h"
#include "orch_requests.h"

char *orch_job_log_path(orch *o, const char *id)
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

running_job *orch_find_running(orch *o, const char *id)
{
    for (size_t i = 0; i < o->running_count; i++)
        if (strcmp(o->running[i].id, id) == 0)
            return &o->running[i];
    return NULL;
}

static void remove_running(orch *o, running_job *rj)
{
    orch_watch_job_settled(o, rj->id);
    free(rj->id);
    free(rj->current);
    size_t idx = (size_t)(rj - o->running);
    memmove(&o->running[idx], &o->running[idx + 1], (o->running_count - idx - 1) * sizeof *rj);
    o->running_count--;
}

size_t orch_running_on(orch *o, daemon_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < o->running_count; i++)
        if (o->running[i].kind == kind)
            n++;
    return n;
}

static void free_unsaved(unsaved_finish *u)
{
    free(u->id);
    free(u->result);
    free(u->reason);
    free(u);
}

void orch_free_running(orch *o)
{
    while (o->unsaved) {
        unsaved_finish *u = o->unsaved;
        o->unsaved = u->next;
        log_error("job %s: its final state (%s) was never recorded: it runs again at the next start", u->id,
                  job_state_name(u->state));
        free_unsaved(u);
    }
    for (size_t i = 0; i < o->running_count; i++) {
        free(o->running[i].id);
        free(o->running[i].current);
    }
    free(o->running);
    o->running = NULL;
    o->running_count = o->running_cap = 0;
}

/* With summary, a result's symbol list (hundreds of KB for a large library)
 * is replaced by its length: progress displays poll this many times. */
cJSON *orch_job_json(orch *o, const job_record *rec, bool summary)
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

/* ---- waiters (job_wait) ---- */

bool orch_all_final(orch *o, const strvec *ids)
{
    for (size_t i = 0; i < ids->n; i++) {
        job_state state;
        /* A job that is gone (cleaned) waits for nothing. */
        if (jobstore_state(o->store, ids->v[i], &state) == JOBSTORE_OK && !job_state_is_final(state))
            return false;
    }
    return true;
}

void orch_answer_waiter(orch *o, waiter *w, bool timed_out)
{
    cJSON *jobs = cJSON_CreateArray();
    for (size_t i = 0; i < w->ids.n; i++) {
        job_record rec;
        if (jobstore_get(o->store, w->ids.v[i], &rec) != JOBSTORE_OK) {
            cJSON *missing = cJSON_CreateObject();
            cJSON_AddStringToObject(missing, "id", w->ids.v[i]);
            cJSON_AddStringToObject(missing, "state", "unknown");
            cJSON_AddItemToArray(jobs, missing);
            continue;
        }
        cJSON_AddItemToArray(jobs, orch_job_json(o, &rec, w->summary));
        job_record_free(&rec);
    }
    cJSON *r = orch_reply_ok();
    cJSON_AddItemToObject(r, "jobs", jobs);
    cJSON_AddBoolToObject(r, "timed_out", timed_out);
    orch_send(w->c, r);
}

void orch_check_waiters(orch *o, uint64_t now)
{
    /* Answered waiters' connections resume after the walk: what they sent
       meanwhile (another job_wait, say) may add waiters to the list. */
    waiter *answered = NULL;
    waiter **pp = &o->waiters;
    while (*pp) {
        waiter *w = *pp;
        bool done = orch_all_final(o, &w->ids);
        bool expired = orch_policy_due(w->deadline_ms, now);
        if (done || expired) {
            orch_answer_waiter(o, w, !done);
            *pp = w->next;
            w->next = answered;
            answered = w;
        } else {
            pp = &w->next;
        }
    }
    while (answered) {
        waiter *w = answered;
        answered = w->next;
        if (!w->c->closing)
            orch_conn_resume(w->c);
        strvec_free(&w->ids);
        free(w);
    }
}

void orch_drop_waiters_of(orch *o, conn *c)
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

void orch_free_waiters(orch *o)
{
    while (o->waiters) {
        waiter *w = o->waiters;
        o->waiters = w->next;
        strvec_free(&w->ids);
        free(w);
    }
}

/* ---- completion ---- */

/* Records a job's final state; one the database refuses (a full disk) is
 * kept and written again by the tick, and until then the job reads as running. */
static void finish_job(orch *o, const char *id, job_state state, const char *result, const char *reason,
                       int64_t now)
{
    if (jobstore_finish(o->store, id, state, result, reason, now) != JOBSTORE_DB_ERROR)
        return;
    log_error("job %s %s, but the job database refused to record it (%s): kept, written again every %d ms", id,
              job_state_name(state), jobstore_last_error(o->store), ORCH_TICK_MS);
    unsaved_finish *u = xcalloc(1, sizeof *u);
    u->id = xstrdup(id);
    u->result = result ? xstrdup(result) : NULL;
    u->reason = reason ? xstrdup(reason) : NULL;
    u->state = state;
    u->finished_ms = now;
    u->next = o->unsaved;
    o->unsaved = u;
}

/* The tick's second try at the final states the database refused. */
static void retry_unsaved(orch *o)
{
    for (unsaved_finish **pp = &o->unsaved; *pp;) {
        unsaved_finish *u = *pp;
        if (jobstore_finish(o->store, u->id, u->state, u->result, u->reason, u->finished_ms) == JOBSTORE_DB_ERROR) {
            pp = &u->next;
            continue;
        }
        log_info("job %s: its final state (%s) is recorded now", u->id, job_state_name(u->state));
        *pp = u->next;
        free_unsaved(u);
        o->schedule_again = true;
    }
}

/* A job ended without a verdict of its own (daemon died, timeout, spawn
 * failure): retried while attempts remain, else failed with the reason. */
static void retry_or_fail(orch *o, const char *id, int attempts, const char *reason)
{
    int64_t now = clock_wall_ms();
    int64_t max_retries = o->cfg.error_handling.max_retries;
    if (orch_policy_retries(attempts, max_retries)) {
        char *why = xasprintf("%s; retry %d of %lld", reason, attempts, (long long)max_retries);
        log_warn("job %s: %s", id, why);
        jobstore_requeue(o->store, id, orch_policy_retry_at_ms(now, o->cfg.error_handling.retry_delay_seconds),
                         why);
        free(why);
    } else {
        char *why = xasprintf("%s (after %d attempt%s)", reason, attempts, attempts == 1 ? "" : "s");
        log_warn("job %s failed: %s", id, why);
        finish_job(o, id, JOB_FAILED, NULL, why, now);
        free(why);
    }
}

/* A job the orchestrator asked to stop ends the way the asking decided,
 * whether its worker reported back or died: cancelled, retried after a
 * timeout, or back to pending for the next start. false when not asked. */
static bool settle_stopped(orch *o, running_job *rj, const char *result_text)
{
    switch (rj->cancel) {
    case CANCEL_USER:
        jobstore_finish(o->store, rj->id, JOB_CANCELLED, result_text, "cancelled by request", clock_wall_ms());
        log_info("job %s cancelled", rj->id);
        return true;
    case CANCEL_TIMEOUT: {
        char *why = xasprintf("timed out after %lld s", (long long)(rj->timeout_ms / 1000));
        retry_or_fail(o, rj->id, rj->attempts, why);
        free(why);
        return true;
    }
    case CANCEL_SHUTDOWN:
        jobstore_requeue(o->store, rj->id, 0, "re-queued: daemons stopped before it finished");
        return true;
    case CANCEL_NONE:
        break;
    }
    return false;
}

/* Every final failure of a type that asks for it is followed by its analysis
 * (the error handler classifies, stores and suggests), as its own job so that
 * it stays visible in job list. A second failure of the same id finds the
 * analysis already there: the duplicate is not an error. */
static void queue_error_analysis(orch *o, const char *id)
{
    job_record rec;
    if (jobstore_get(o->store, id, &rec) != JOBSTORE_OK)
        return;
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "job", id);
    job_spec spec = {.id = xasprintf("%s.analysis", id),
                     .type = xstrdup(job_type_table[JOB_TYPE_ERROR_ANALYSIS].name),
                     .priority = 0,
                     .config_file = rec.config_file ? xstrdup(rec.config_file) : NULL,
                     .args_json = cJSON_PrintUnformatted(args)};
    cJSON_Delete(args);
    job_record_free(&rec);
    char err[256] = "";
    char *new_id = NULL;
    if (jobstore_submit(o->store, &spec, 1, &new_id, clock_wall_ms(), err, sizeof err) == 0) {
        log_info("job %s (error_analysis) queued for failed job %s", new_id, id);
        o->schedule_again = true;
    } else {
        log_debug("no analysis queued for %s: %s", id, err);
    }
    free(new_id);
    job_spec_free(&spec);
}

void orch_job_finished(orch *o, running_job *rj, const char *state_name, const cJSON *result, const char *reason,
                       bool retryable)
{
    int64_t now = clock_wall_ms();
    char *result_text = cJSON_IsObject(result) ? cJSON_PrintUnformatted(result) : NULL;
    const char *why = reason ? reason : "failed";
    if (settle_stopped(o, rj, result_text)) {
        /* the reason it was stopped decides, not what the worker said */
    } else if (strcmp(state_name, "completed") == 0) {
        finish_job(o, rj->id, JOB_COMPLETED, result_text, NULL, now);
        log_info("job %s completed", rj->id);
    } else if (retryable) {
        retry_or_fail(o, rj->id, rj->attempts, why);
    } else {
        finish_job(o, rj->id, JOB_FAILED, result_text, why, now);
        log_info("job %s failed: %s", rj->id, why);
        if (job_type_table[rj->type].flags & JOB_TYPE_ANALYSE_FAILURES)
            queue_error_analysis(o, rj->id);
    }
    free(result_text);
    bool fills_cache = (job_type_table[rj->type].flags & JOB_TYPE_FILLS_CACHE) != 0;
    remove_running(o, rj);
    /* The build daemon keeps the shared cache within its size after builds add
       to it; it adds what was stored to its estimate and walks the cache only
       past the limit, so a build that stored nothing costs it nothing. */
    double stored = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(result, "cache"), "stored_bytes"));
    if (fills_cache && stored > 0 && o->workers[DAEMON_BUILD].conn) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "op", "evict");
        cJSON_AddNumberToObject(m, "stored_bytes", stored);
        orch_send(o->workers[DAEMON_BUILD].conn, m);
    }
    o->schedule_again = true;
}

void orch_worker_lost_jobs(orch *o, worker *w, const char *why)
{
    for (size_t i = 0; i < o->running_count;) {
        running_job *rj = &o->running[i];
        if (rj->kind != w->kind) {
            i++;
            continue;
        }
        if (!settle_stopped(o, rj, NULL))
            retry_or_fail(o, rj->id, rj->attempts, why);
        remove_running(o, rj);
    }
    o->schedule_again = true;
}

void orch_request_stop(orch *o, running_job *rj, orch_cancel why, uint64_t now)
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

void orch_jobs_tick(orch *o, uint64_t now)
{
    retry_unsaved(o);
    for (size_t i = 0; i < o->running_count; i++) {
        running_job *rj = &o->running[i];
        if (rj->cancel == CANCEL_NONE && orch_policy_timed_out(rj->started_ms, rj->timeout_ms, now)) {
            log_warn("job %s exceeded its %lld s timeout", rj->id, (long long)(rj->timeout_ms / 1000));
            orch_request_stop(o, rj, CANCEL_TIMEOUT, now);
        } else if (rj->cancel != CANCEL_NONE && orch_policy_due(rj->cancel_deadline_ms, now)) {
            rj->cancel_deadline_ms = 0;
            orch_worker_kill(&o->workers[rj->kind], "it did not stop a cancelled job in time");
        }
    }
    /* Stopping, and the grace period is over: what still runs is stopped and re-queued. */
    if (o->stopping && o->running_count > 0 && now >= o->stop_deadline_ms) {
        for (size_t i = 0; i < o->running_count; i++) {
            running_job *rj = &o->running[i];
            if (rj->cancel == CANCEL_NONE)
                orch_request_stop(o, rj, CANCEL_SHUTDOWN, now);
        }
    }
}

/* ---- dispatch ---- */

/* Sends rec to w; false when the store refused to mark it running (a full
 * disk): the job stays pending and the pass must end, or it would pick the
 * same job again at once, forever. */
static bool dispatch(orch *o, worker *w, job_type type, job_record *rec)
{
    int64_t now_wall = clock_wall_ms();
    if (jobstore_mark_running(o->store, rec->id, daemon_table[w->kind].name, now_wall) != JOBSTORE_OK) {
        if (!o->dispatch_refused)
            log_error("job %s: the job database refuses to mark it running (%s): jobs wait until it can",
                      rec->id, jobstore_last_error(o->store));
        o->dispatch_refused = true;
        return false;
    }
    if (o->dispatch_refused)
        log_info("the job database accepts jobs starting again");
    o->dispatch_refused = false;
    if (o->running_count == o->running_cap) {
        o->running_cap = o->running_cap ? o->running_cap * 2 : 8;
        o->running = xrealloc(o->running, o->running_cap * sizeof *o->running);
    }
    running_job *rj = &o->running[o->running_count++];
    memset(rj, 0, sizeof *rj);
    rj->id = xstrdup(rec->id);
    rj->type = type;
    rj->kind = w->kind;
    rj->started_ms = clock_monotonic_ms();
    rj->timeout_ms = orch_policy_timeout_ms(rec->timeout_seconds, o->cfg.queue.job_timeout_seconds);
    rj->attempts = rec->attempts + 1;

    rec->state = JOB_RUNNING;
    rec->attempts = rj->attempts;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "run");
    cJSON_AddItemToObject(m, "job", jobfile_record_to_json(rec));
    char *log_path = orch_job_log_path(o, rec->id);
    cJSON_AddStringToObject(m, "log_path", log_path);
    free(log_path);
    if (!orch_watch_take_run(o, rec, m))
        orch_send(w->conn, m);
    log_info("job %s (%s) started on the %s daemon, attempt %d", rec->id, rec->type,
             daemon_table[w->kind].name, rj->attempts);
    return true;
}

void orch_schedule(orch *o)
{
    o->schedule_again = false;
    if (o->stopping)
        return;
    for (;;) {
        if (!orch_policy_may_start(o->running_count, o->cfg.queue.max_concurrent_jobs))
            return;
        /* Types whose daemon cannot take a job now are skipped, not blocking others. */
        bool ready[DAEMON_COUNT];
        for (int k = 0; k < DAEMON_COUNT; k++)
            ready[k] = o->workers[k].conn != NULL;
        const char *skip[JOB_TYPE_COUNT + 1];
        orch_policy_skip_types(ready, skip);
        job_record rec;
        if (jobstore_next_runnable(o->store, clock_wall_ms(), skip, &rec) != JOBSTORE_PICK_FOUND)
            return;
        int type = job_type_from_name(rec.type);
        bool sent = true;
        if (type < 0)
            sent = jobstore_finish(o->store, rec.id, JOB_FAILED, NULL, "unknown job type", clock_wall_ms()) ==
                   JOBSTORE_OK;
        else
            sent = dispatch(o, &o->workers[job_type_table[type].daemon], (job_type)type, &rec);
        job_record_free(&rec);
        if (!sent)
            return;     /* the store cannot write now: the next tick tries again */
    }
}
