/* orch_watch.c - the orchestrator's watch list: coalescing of the builds the watcher asks for, the sync before a watched build, the lost-track path. */
#include "orch_internal.h"

#include <stdlib.h>
#include <string.h>

#include "jobfile.h"
#include "jobtype.h"
#include "log.h"
#include "orch_requests.h"

/* The orchestrator's own bound on a sync, above the watcher's (1 s): a watcher
 * that died with a sync outstanding does not hold a build up for long. */
#define ORCH_SYNC_BOUND_MS 1500
/* The priority of the builds the watcher asks for (an explicit `jmake build` is 1). */
#define ORCH_WATCH_BUILD_PRIORITY 3

static orch_project *project_new(const char *config)
{
    orch_project *p = xcalloc(1, sizeof *p);
    p->config = xstrdup(config);
    p->state = xstrdup("starting");
    return p;
}

static void project_free(orch_project *p)
{
    free(p->config);
    free(p->pending_id);
    strvec_free(&p->running_ids);
    strvec_free(&p->paths);
    free(p->state);
    free(p->detail);
    cJSON_Delete(p->index);
    free(p);
}

static orch_project *find_project(orch *o, const char *config)
{
    for (orch_project *p = o->projects; p && config; p = p->next)
        if (strcmp(p->config, config) == 0)
            return p;
    return NULL;
}

void orch_watch_init(orch *o)
{
    jobstore_watch *list = NULL;
    size_t count = 0;
    if (jobstore_watch_list(o->store, &list, &count) != 0) {
        log_error("cannot read the watch list");
        return;
    }
    orch_project **tail = &o->projects;
    for (size_t i = 0; i < count; i++) {
        *tail = project_new(list[i].config);
        tail = &(*tail)->next;
    }
    if (count)
        log_info("%zu watched project(s) in the job database", count);
    jobstore_watch_list_free(list, count);
}

void orch_watch_free(orch *o)
{
    while (o->projects) {
        orch_project *p = o->projects;
        o->projects = p->next;
        project_free(p);
    }
    while (o->held) {
        held_run *h = o->held;
        o->held = h->next;
        free(h->job_id);
        cJSON_Delete(h->msg);
        free(h);
    }
}

static void send_watch_set(orch *o)
{
    worker *w = &o->workers[DAEMON_WATCHER];
    if (!w->conn)
        return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "watch_set");
    cJSON *arr = cJSON_AddArrayToObject(m, "projects");
    for (orch_project *p = o->projects; p; p = p->next) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "config", p->config);
        cJSON_AddItemToArray(arr, item);
    }
    orch_send(w->conn, m);
}

/* The coalescing rule: a build is queued only when the project has none
 * pending and none running; otherwise the paths wait for the pending one,
 * or for the one follow-up queued when the running one settles. */
static void request_build(orch *o, orch_project *p)
{
    if (p->pending_id) {
        job_state st;
        if (jobstore_state(o->store, p->pending_id, &st) == JOBSTORE_OK && st == JOB_PENDING)
            return;
        free(p->pending_id); /* cancelled or cleaned while it waited */
        p->pending_id = NULL;
    }
    if (p->running_ids.n > 0 || o->stopping)
        return;
    job_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.type = (char *)"compilation";
    spec.priority = ORCH_WATCH_BUILD_PRIORITY;
    spec.config_file = p->config;
    char *id = NULL;
    char err[512];
    if (jobstore_submit(o->store, &spec, 1, &id, clock_wall_ms(), err, sizeof err) != 0) {
        log_error("%s: cannot queue a build: %s", p->config, err);
        return;
    }
    log_info("job %s (compilation) queued by the watcher for %s (%zu changed path%s%s)", id, p->config,
             p->paths.n, p->paths.n == 1 ? "" : "s", p->lost ? ", full check" : "");
    p->pending_id = id;
    o->schedule_again = true;
}

void orch_watch_watcher_ready(orch *o)
{
    send_watch_set(o);
    /* Whatever changed while no watcher ran is unknown: check everything. */
    for (orch_project *p = o->projects; p; p = p->next) {
        p->lost = true;
        request_build(o, p);
    }
}

/* Adds the "watch" object to the run message's job: what changed since the
 * last build started, or that everything must be checked. */
static void attach_changes(orch_project *p, cJSON *run_msg, bool rescan)
{
    cJSON *job = cJSON_GetObjectItem(run_msg, "job");
    if (!p || !job)
        return;
    cJSON *w = cJSON_AddObjectToObject(job, "watch");
    bool full = rescan || p->lost;
    cJSON_AddBoolToObject(w, "rescan", full);
    cJSON *arr = cJSON_AddArrayToObject(w, "paths");
    for (size_t i = 0; !full && i < p->paths.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(p->paths.v[i]));
    strvec_free(&p->paths);
    p->lost = false;
}

static void send_run(orch *o, cJSON *run_msg)
{
    worker *w = &o->workers[DAEMON_COMPILATION];
    if (w->conn)
        orch_send(w->conn, run_msg);
    else
        cJSON_Delete(run_msg); /* its worker is gone: orch_worker_lost_jobs settles the job */
}

bool orch_watch_take_run(orch *o, const job_record *rec, cJSON *run_msg)
{
    if (strcmp(rec->type, "compilation") != 0)
        return false;
    orch_project *p = find_project(o, rec->config_file);
    if (!p)
        return false;
    strvec_push(&p->running_ids, rec->id);
    if (p->pending_id && strcmp(p->pending_id, rec->id) != 0) {
        /* An explicit build goes before the watcher's pending one, which it
         * makes useless: it takes every path that one would have. */
        if (jobstore_cancel_pending(o->store, p->pending_id, clock_wall_ms()) == JOB_PENDING)
            log_info("job %s cancelled: job %s builds %s first", p->pending_id, rec->id, p->config);
    }
    free(p->pending_id);
    p->pending_id = NULL;
    worker *watcher = &o->workers[DAEMON_WATCHER];
    if (!watcher->conn) {
        attach_changes(p, run_msg, true);
        send_run(o, run_msg);
        return true;
    }
    held_run *h = xcalloc(1, sizeof *h);
    h->job_id = xstrdup(rec->id);
    h->project = p;
    h->msg = run_msg;
    h->token = ++o->next_sync_token;
    h->deadline_ms = clock_monotonic_ms() + ORCH_SYNC_BOUND_MS;
    h->next = o->held;
    o->held = h;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", "sync");
    cJSON_AddStringToObject(m, "config", p->config);
    cJSON_AddNumberToObject(m, "token", h->token);
    orch_send(watcher->conn, m);
    return true;
}

static void release_held(orch *o, held_run **pp, bool synced)
{
    held_run *h = *pp;
    *pp = h->next;
    if (!synced)
        log_warn("job %s: the watcher did not confirm it has seen every change; the build checks everything",
                 h->job_id);
    attach_changes(h->project, h->msg, !synced);
    send_run(o, h->msg);
    free(h->job_id);
    free(h);
}

cJSON *orch_msg_synced(orch *o, conn *c, const cJSON *msg)
{
    (void)c;
    double token = cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "token"));
    bool ok = cJSON_IsTrue(cJSON_GetObjectItem(msg, "ok"));
    for (held_run **pp = &o->held; *pp; pp = &(*pp)->next)
        if ((*pp)->token == token) {
            release_held(o, pp, ok);
            break;
        }
    return NULL;
}

void orch_watch_tick(orch *o, uint64_t now)
{
    for (held_run **pp = &o->held; *pp;) {
        if (now >= (*pp)->deadline_ms)
            release_held(o, pp, false);
        else
            pp = &(*pp)->next;
    }
}

void orch_watch_job_settled(orch *o, const char *id)
{
    for (held_run **pp = &o->held; *pp;) {
        held_run *h = *pp;
        if (strcmp(h->job_id, id) == 0) {
            *pp = h->next;
            free(h->job_id);
            cJSON_Delete(h->msg);
            free(h);
        } else {
            pp = &h->next;
        }
    }
    for (orch_project *p = o->projects; p; p = p->next) {
        size_t i = 0;
        while (i < p->running_ids.n && strcmp(p->running_ids.v[i], id) != 0)
            i++;
        if (i == p->running_ids.n)
            continue;
        free(p->running_ids.v[i]);
        p->running_ids.v[i] = p->running_ids.v[--p->running_ids.n];
        job_state st;
        if (jobstore_state(o->store, id, &st) == JOBSTORE_OK) {
            if (job_state_is_final(st))
                jobstore_watch_set_last(o->store, p->config, id, job_state_name(st), clock_wall_ms());
            else if (st == JOB_PENDING && !p->pending_id)
                p->pending_id = xstrdup(id); /* re-queued: it is the pending build again */
        }
        /* Changes that came while it ran: exactly one follow-up carries them all. */
        if (p->paths.n > 0 || p->lost)
            request_build(o, p);
        return;
    }
}

/* The discovery daemon keeps the project's index of sources from the same
 * paths (a lost track makes it start again from a scan). */
static void tell_discovery(orch *o, orch_project *p, const cJSON *paths, bool lost)
{
    worker *d = &o->workers[DAEMON_DISCOVERY];
    if (!d->conn)
        return;
    cJSON *m = cJSON_CreateObject();
    if (lost) {
        cJSON_AddStringToObject(m, "op", "index_forget");
        cJSON_AddStringToObject(m, "config", p->config);
        orch_send(d->conn, m);
        m = cJSON_CreateObject();
    }
    cJSON_AddStringToObject(m, "op", "index_changes");
    cJSON_AddStringToObject(m, "config", p->config);
    cJSON_AddItemToObject(m, "paths", paths ? cJSON_Duplicate(paths, 1) : cJSON_CreateArray());
    orch_send(d->conn, m);
}

cJSON *orch_msg_index_changed(orch *o, conn *c, const cJSON *msg)
{
    (void)c;
    orch_project *p = find_project(o, cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config")));
    if (!p)
        return NULL;
    cJSON_Delete(p->index);
    p->index = cJSON_Duplicate(msg, 1);
    cJSON_DeleteItemFromObject(p->index, "op");
    cJSON_DeleteItemFromObject(p->index, "config");
    const cJSON *added = cJSON_GetObjectItem(msg, "added"), *removed = cJSON_GetObjectItem(msg, "removed");
    if (cJSON_GetArraySize(added) || cJSON_GetArraySize(removed))
        log_info("%s: %d source(s) joined, %d left (discovery index, %d in all)", p->config,
                 cJSON_GetArraySize(added), cJSON_GetArraySize(removed),
                 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "sources")));
    return NULL;
}

/* ---- watcher messages ---- */

cJSON *orch_msg_watch_changes(orch *o, conn *c, const cJSON *msg)
{
    (void)c;
    orch_project *p = find_project(o, cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config")));
    if (!p)
        return NULL; /* removed meanwhile */
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(msg, "paths"))
    {
        if (cJSON_IsString(item) && !strvec_contains(&p->paths, item->valuestring))
            strvec_push(&p->paths, item->valuestring);
    }
    bool lost = cJSON_IsTrue(cJSON_GetObjectItem(msg, "lost"));
    if (lost)
        p->lost = true;
    tell_discovery(o, p, cJSON_GetObjectItem(msg, "paths"), lost);
    if (p->paths.n > 0 || p->lost)
        request_build(o, p);
    return NULL;
}

cJSON *orch_msg_watch_state(orch *o, conn *c, const cJSON *msg)
{
    (void)c;
    orch_project *p = find_project(o, cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config")));
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "state"));
    if (!p || !state)
        return NULL;
    free(p->state);
    p->state = xstrdup(state);
    free(p->detail);
    const char *detail = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "detail"));
    p->detail = detail ? xstrdup(detail) : NULL;
    p->watches = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "watches"));
    p->unwatched = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "unwatched"));
    if (strcmp(state, "degraded") == 0)
        p->lost = true; /* folders without a watch: nothing may be trusted to the watcher alone */
    return NULL;
}

/* ---- client requests ---- */

static const char *config_of(const cJSON *req, cJSON **error)
{
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(req, "config"));
    if (!config || config[0] != '/') {
        *error = orch_reply_error("bad_request", "this request needs an absolute \"config\" (a jmake.toml)");
        return NULL;
    }
    return config;
}

cJSON *orch_op_watch_add(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    cJSON *error = NULL;
    const char *config = config_of(req, &error);
    if (!config)
        return error;
    /* The checks of a compilation job, so `watch add` refuses what `build` would. */
    job_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.type = (char *)"compilation";
    spec.config_file = (char *)config;
    diag_list diags = {0};
    if (jobfile_validate_spec(&spec, &diags) != 0) {
        cJSON *r = orch_reply_diags(&diags);
        diag_free(&diags);
        return r;
    }
    diag_free(&diags);
    bool added = false;
    if (jobstore_watch_add(o->store, config, clock_wall_ms(), &added) != JOBSTORE_OK)
        return orch_reply_error("internal", "cannot store the watch list");
    if (added) {
        orch_project *p = project_new(config);
        /* Nobody watched it until now (a compilation daemon may still hold
         * what it knew from an earlier time it was watched): check everything. */
        p->lost = true;
        p->next = o->projects;
        o->projects = p;
        log_info("watching %s", config);
        send_watch_set(o);
    }
    cJSON *r = orch_reply_ok();
    cJSON_AddBoolToObject(r, "added", added);
    return r;
}

cJSON *orch_op_watch_remove(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    cJSON *error = NULL;
    const char *config = config_of(req, &error);
    if (!config)
        return error;
    jobstore_result rc = jobstore_watch_remove(o->store, config);
    if (rc == JOBSTORE_NOT_FOUND)
        return orch_reply_error("not_found", "%s is not watched", config);
    if (rc != JOBSTORE_OK)
        return orch_reply_error("internal", "cannot store the watch list");
    for (orch_project **pp = &o->projects; *pp; pp = &(*pp)->next) {
        orch_project *p = *pp;
        if (strcmp(p->config, config) != 0)
            continue;
        *pp = p->next;
        for (held_run *h = o->held; h; h = h->next)
            if (h->project == p)
                h->project = NULL;
        project_free(p);
        break;
    }
    log_info("no longer watching %s", config);
    send_watch_set(o);
    worker *d = &o->workers[DAEMON_DISCOVERY];
    if (d->conn) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "op", "index_forget");
        cJSON_AddStringToObject(m, "config", config);
        orch_send(d->conn, m);
    }
    return orch_reply_ok();
}

static cJSON *project_json(const orch_project *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "config", p->config);
    cJSON_AddStringToObject(j, "state", p->state);
    if (p->detail)
        cJSON_AddStringToObject(j, "detail", p->detail);
    cJSON_AddNumberToObject(j, "watches", (double)p->watches);
    cJSON_AddNumberToObject(j, "unwatched", (double)p->unwatched);
    if (p->index)
        cJSON_AddItemToObject(j, "index", cJSON_Duplicate(p->index, 1));
    return j;
}

cJSON *orch_op_watch_list(orch *o, conn *c, const cJSON *req)
{
    (void)c;
    (void)req;
    jobstore_watch *list = NULL;
    size_t count = 0;
    if (jobstore_watch_list(o->store, &list, &count) != 0)
        return orch_reply_error("internal", "cannot read the watch list");
    cJSON *r = orch_reply_ok();
    cJSON *arr = cJSON_AddArrayToObject(r, "projects");
    for (size_t i = 0; i < count; i++) {
        orch_project *p = find_project(o, list[i].config);
        cJSON *j = p ? project_json(p) : cJSON_CreateObject();
        if (!p)
            cJSON_AddStringToObject(j, "config", list[i].config);
        if (!o->workers[DAEMON_WATCHER].conn)
            cJSON_ReplaceItemInObject(j, "state", cJSON_CreateString("not watched (watcher not running)"));
        cJSON_AddNumberToObject(j, "added_ms", (double)list[i].added_ms);
        if (list[i].last_job) {
            cJSON *last = cJSON_AddObjectToObject(j, "last_build");
            cJSON_AddStringToObject(last, "id", list[i].last_job);
            cJSON_AddStringToObject(last, "state", list[i].last_outcome ? list[i].last_outcome : "");
            cJSON_AddNumberToObject(last, "finished_ms", (double)list[i].last_ms);
        }
        if (p && p->pending_id)
            cJSON_AddStringToObject(j, "pending", p->pending_id);
        cJSON_AddNumberToObject(j, "running", p ? (double)p->running_ids.n : 0);
        cJSON_AddItemToArray(arr, j);
    }
    jobstore_watch_list_free(list, count);
    return r;
}

cJSON *orch_watch_status(orch *o)
{
    cJSON *arr = cJSON_CreateArray();
    for (orch_project *p = o->projects; p; p = p->next)
        cJSON_AddItemToArray(arr, project_json(p));
    return arr;
}
