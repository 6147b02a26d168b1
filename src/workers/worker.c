/* worker.c - what every worker daemon does: connect to the orchestrator, register, run jobs on threads, answer health checks. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "home.h"
#include "log.h"
#include "sys.h"
#include "util.h"
#include "uvwire.h"
#include "wire.h"

#define WORKER_CONNECT_TRIES 50
#define WORKER_CONNECT_RETRY_MS 200

typedef struct wd wd;

/* One of the descriptor's timers, with what its callback needs. */
typedef struct wd_timer {
    uv_timer_t handle;
    wd *d;
    const worker_timer *spec;   /* borrowed from the descriptor */
} wd_timer;

typedef struct wjob {
    worker_job pub;
    wd *d;
    pthread_t thread;
    cJSON *record;              /* owned copy of the job record */
    char *id, *type, *log_path;
    worker_handler handler;
    worker_outcome outcome;
    bool finished;              /* the thread is done; join and report */
    bool progress_dirty;
    long done, total;
    char *current;
    struct wjob *next;
} wjob;

struct wd {
    uv_loop_t *loop;
    const worker_daemon *desc;  /* borrowed: static */
    char *home;
    jm_config cfg;
    uv_pipe_t pipe;
    uv_connect_t connect_req;
    uv_timer_t timer;           /* connection retries */
    wd_timer *timers;           /* the descriptor's, started once connected; owned */
    size_t timer_count;
    uv_async_t async;
    uv_signal_t sigterm;
    wire_decoder dec;
    int connect_tries;
    bool connected, registered, exiting;
    int ready_fd;               /* the start-up report to `jmake start` (daemon.h), until registered */
    pthread_mutex_t mu;         /* guards the wjob fields threads touch */
    wjob *jobs;
    worker_context ctx;         /* for the descriptor: cfg, home and its state */
};

static void wd_send(wd *d, cJSON *msg)
{
    if (!d->connected) {
        cJSON_Delete(msg);
        return;
    }
    uvwire_send((uv_stream_t *)&d->pipe, msg);
}

static void wd_ctx_send(worker_context *ctx, cJSON *msg)
{
    wd_send((wd *)((char *)ctx - offsetof(wd, ctx)), msg);
}

static void wd_on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void wd_close_all(wd *d)
{
    if (!uv_is_closing((uv_handle_t *)&d->timer))
        uv_close((uv_handle_t *)&d->timer, wd_on_handle_closed);
    for (size_t i = 0; i < d->timer_count; i++)
        if (!uv_is_closing((uv_handle_t *)&d->timers[i].handle))
            uv_close((uv_handle_t *)&d->timers[i].handle, wd_on_handle_closed);
    if (!uv_is_closing((uv_handle_t *)&d->async))
        uv_close((uv_handle_t *)&d->async, wd_on_handle_closed);
    if (!uv_is_closing((uv_handle_t *)&d->sigterm))
        uv_close((uv_handle_t *)&d->sigterm, wd_on_handle_closed);
    if (!uv_is_closing((uv_handle_t *)&d->pipe))
        uv_close((uv_handle_t *)&d->pipe, wd_on_handle_closed);
}

/* Leaves once every job thread has ended: their compilers must not outlive us unseen. */
static void wd_begin_exit(wd *d, const char *why)
{
    if (!d->exiting)
        log_info("%s: exiting", why);
    d->exiting = true;
    pthread_mutex_lock(&d->mu);
    for (wjob *j = d->jobs; j; j = j->next)
        atomic_store(&j->pub.cancel, 1);
    bool idle = d->jobs == NULL;
    pthread_mutex_unlock(&d->mu);
    if (idle)
        wd_close_all(d);
}

static void wd_job_progress(worker_job *job, long done, long total, const char *current)
{
    wjob *j = (wjob *)job;
    pthread_mutex_lock(&j->d->mu);
    j->done = done;
    j->total = total;
    free(j->current);
    j->current = current ? xstrdup(current) : NULL;
    j->progress_dirty = true;
    pthread_mutex_unlock(&j->d->mu);
    uv_async_send(&j->d->async);
}

static void *wd_job_thread(void *arg)
{
    wjob *j = arg;
    worker_outcome out = j->handler(&j->pub);
    pthread_mutex_lock(&j->d->mu);
    j->outcome = out;
    j->finished = true;
    pthread_mutex_unlock(&j->d->mu);
    uv_async_send(&j->d->async);
    return NULL;
}

void worker_job_log(worker_job *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = append_stamped_line(job->log_path, "", fmt, ap);
    va_end(ap);
    if (err && !job->log_failure)
        job->log_failure = xasprintf("job log %s incomplete: %s", job->log_path, strerror(err));
}

/* A job log the worker could not write: said in the result and the log, once. */
static void report_log_failure(wjob *j)
{
    if (!j->pub.log_failure)
        return;
    log_warn("job %s: %s", j->id, j->pub.log_failure);
    if (!j->outcome.result)
        j->outcome.result = cJSON_CreateObject();
    cJSON *warnings = cJSON_GetObjectItem(j->outcome.result, "storage_warnings");
    if (!cJSON_IsArray(warnings))
        warnings = cJSON_AddArrayToObject(j->outcome.result, "storage_warnings");
    const cJSON *w;
    cJSON_ArrayForEach(w, warnings)
    {
        const char *text = cJSON_GetStringValue(w);
        if (text && strncmp(text, "job log ", 8) == 0)
            return;     /* the engine said it already, for its own writes to the same file */
    }
    cJSON_AddItemToArray(warnings, cJSON_CreateString(j->pub.log_failure));
}

static void wjob_free(wjob *j)
{
    free(j->pub.log_failure);
    cJSON_Delete(j->record);
    cJSON_Delete(j->outcome.result);
    free(j->outcome.reason);
    free(j->id);
    free(j->type);
    free(j->log_path);
    free(j->current);
    free(j);
}

/* Runs on the loop thread: forwards progress, reports finished jobs. */
static void wd_on_async(uv_async_t *a)
{
    wd *d = a->data;
    for (;;) {
        wjob *finished = NULL;
        cJSON *progress_msgs = cJSON_CreateArray();
        pthread_mutex_lock(&d->mu);
        for (wjob **pp = &d->jobs; *pp;) {
            wjob *j = *pp;
            if (j->progress_dirty && !j->finished) {
                j->progress_dirty = false;
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "op", "progress");
                cJSON_AddStringToObject(m, "id", j->id);
                cJSON_AddNumberToObject(m, "done", (double)j->done);
                cJSON_AddNumberToObject(m, "total", (double)j->total);
                if (j->current)
                    cJSON_AddStringToObject(m, "current", j->current);
                cJSON_AddItemToArray(progress_msgs, m);
            }
            if (j->finished && !finished) {
                *pp = j->next;
                finished = j;
            } else {
                pp = &j->next;
            }
        }
        bool idle = d->jobs == NULL;
        pthread_mutex_unlock(&d->mu);
        cJSON *m;
        while ((m = cJSON_DetachItemFromArray(progress_msgs, 0)) != NULL)
            wd_send(d, m);
        cJSON_Delete(progress_msgs);
        if (!finished) {
            if (idle && d->exiting)
                wd_close_all(d);
            return;
        }
        pthread_join(finished->thread, NULL);
        report_log_failure(finished);
        cJSON *done = cJSON_CreateObject();
        cJSON_AddStringToObject(done, "op", "done");
        cJSON_AddStringToObject(done, "id", finished->id);
        cJSON_AddStringToObject(done, "state", finished->outcome.completed ? "completed" : "failed");
        if (finished->outcome.reason)
            cJSON_AddStringToObject(done, "reason", finished->outcome.reason);
        cJSON_AddBoolToObject(done, "retryable", finished->outcome.retryable);
        if (finished->outcome.result) {
            cJSON_AddItemToObject(done, "result", finished->outcome.result);
            finished->outcome.result = NULL;
        }
        log_info("job %s %s%s%s", finished->id, finished->outcome.completed ? "completed" : "failed",
                 finished->outcome.reason ? ": " : "", finished->outcome.reason ? finished->outcome.reason : "");
        wd_send(d, done);
        wjob_free(finished);
    }
}

worker_handler worker_handler_for(const worker_daemon *daemon, const char *type)
{
    int t = job_type_from_name(type);
    if (t < 0 || !daemon->handlers[t])
        return worker_run_not_implemented;
    return daemon->handlers[t];
}

static void wd_start_job(wd *d, const cJSON *msg)
{
    const cJSON *rec = cJSON_GetObjectItem(msg, "job");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "id"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "type"));
    const char *log_path = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "log_path"));
    if (!id || !type || !log_path) {
        log_error("malformed run request");
        return;
    }
    wjob *j = xcalloc(1, sizeof *j);
    j->d = d;
    j->record = cJSON_Duplicate(rec, 1);
    j->id = xstrdup(id);
    j->type = xstrdup(type);
    j->log_path = xstrdup(log_path);
    j->handler = worker_handler_for(d->desc, type);
    j->pub.job = j->record;
    j->pub.id = j->id;
    j->pub.type = j->type;
    j->pub.log_path = j->log_path;
    j->pub.cfg = &d->cfg;
    j->pub.home = d->home;
    j->pub.daemon_state = d->ctx.state;
    j->pub.progress = wd_job_progress;
    atomic_init(&j->pub.cancel, 0);
    log_info("job %s (%s) starting", id, type);
    pthread_mutex_lock(&d->mu);
    j->next = d->jobs;
    d->jobs = j;
    pthread_mutex_unlock(&d->mu);
    if (pthread_create(&j->thread, NULL, wd_job_thread, j) != 0) {
        /* Report it like any finished job, as a failure that may pass later. */
        pthread_mutex_lock(&d->mu);
        j->outcome.completed = false;
        j->outcome.retryable = true;
        j->outcome.reason = xasprintf("cannot start a thread: %s", strerror(errno));
        j->finished = true;
        j->thread = pthread_self();
        pthread_mutex_unlock(&d->mu);
        uv_async_send(&d->async);
    }
}

static void wd_cancel_job(wd *d, const char *id)
{
    pthread_mutex_lock(&d->mu);
    for (wjob *j = d->jobs; j; j = j->next)
        if (strcmp(j->id, id) == 0) {
            atomic_store(&j->pub.cancel, 1);
            log_info("job %s: cancel requested", id);
        }
    pthread_mutex_unlock(&d->mu);
}

/* A message of the descriptor's own; false when it has none called op. */
static bool wd_handle_own_message(wd *d, const char *op, const cJSON *msg)
{
    for (const worker_message *m = d->desc->messages; m && m->op; m++)
        if (strcmp(m->op, op) == 0) {
            m->handle(&d->ctx, msg);
            return true;
        }
    return false;
}

static void wd_handle(wd *d, const char *frame)
{
    cJSON *msg = cJSON_Parse(frame);
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "op"));
    if (!op) {
        /* A reply: only register gets one. */
        if (!d->registered) {
            if (cJSON_IsTrue(cJSON_GetObjectItem(msg, "ok"))) {
                d->registered = true;
                daemon_report_close(&d->ready_fd);
                log_info("registered with the orchestrator");
            } else {
                const char *err = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "error"));
                log_error("registration refused: %s", err ? err : "?");
                daemon_report_error(&d->ready_fd, "%s: registration refused: %s", daemon_table[d->desc->kind].name,
                                    err ? err : "?");
                wd_begin_exit(d, "not registered");
            }
        }
    } else if (log_debug("orchestrator says: %s", op), strcmp(op, "ping") == 0) {
        cJSON *pong = cJSON_CreateObject();
        cJSON_AddStringToObject(pong, "op", "pong");
        cJSON_AddItemToObject(pong, "seq", cJSON_Duplicate(cJSON_GetObjectItem(msg, "seq"), 0));
        wd_send(d, pong);
    } else if (strcmp(op, "run") == 0) {
        if (!d->exiting)
            wd_start_job(d, msg);
    } else if (strcmp(op, "cancel") == 0) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "id"));
        if (id)
            wd_cancel_job(d, id);
    } else if (strcmp(op, "shutdown") == 0) {
        wd_begin_exit(d, "shutdown requested");
    } else if (!wd_handle_own_message(d, op, msg)) {
        log_warn("unknown message '%s'", op);
    }
    cJSON_Delete(msg);
}

static void wd_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    wd *d = s->data;
    if (nread < 0) {
        free(buf->base);
        d->connected = false;
        uv_read_stop(s);
        wd_begin_exit(d, "the orchestrator went away");
        return;
    }
    wire_decoder_feed(&d->dec, buf->base, (size_t)nread);
    free(buf->base);
    char *frame;
    int r;
    while ((r = wire_decoder_next(&d->dec, &frame, NULL)) == 1) {
        wd_handle(d, frame);
        free(frame);
    }
    if (r < 0)
        wd_begin_exit(d, "oversized message from the orchestrator");
}

static void wd_try_connect(wd *d);

static void wd_on_retry(uv_timer_t *t)
{
    wd_try_connect(t->data);
}

static void wd_on_daemon_timer(uv_timer_t *t)
{
    wd_timer *timer = t->data;
    timer->spec->fire(&timer->d->ctx);
}

static void wd_on_connect(uv_connect_t *req, int status)
{
    wd *d = req->data;
    if (status < 0) {
        /* The pipe handle must be closed before it can be reused for another try. */
        uv_close((uv_handle_t *)&d->pipe, NULL);
        if (++d->connect_tries >= WORKER_CONNECT_TRIES) {
            log_error("cannot reach the orchestrator: %s", uv_strerror(status));
            wd_begin_exit(d, "no orchestrator");
            return;
        }
        uv_timer_start(&d->timer, wd_on_retry, WORKER_CONNECT_RETRY_MS, 0);
        return;
    }
    d->connected = true;
    uv_read_start((uv_stream_t *)&d->pipe, uvwire_alloc, wd_on_read);
    cJSON *reg = cJSON_CreateObject();
    cJSON_AddStringToObject(reg, "op", "register");
    cJSON_AddStringToObject(reg, "daemon", daemon_table[d->desc->kind].name);
    cJSON_AddNumberToObject(reg, "pid", (double)getpid());
    wd_send(d, reg);
    for (size_t i = 0; i < d->timer_count; i++)
        uv_timer_start(&d->timers[i].handle, wd_on_daemon_timer, d->timers[i].spec->first_ms,
                       d->timers[i].spec->interval_ms);
}

static void wd_try_connect(wd *d)
{
    if (d->exiting)
        return;
    char *path = home_socket_path(d->home);
    uv_pipe_init(d->loop, &d->pipe, 0);
    d->pipe.data = d;
    d->connect_req.data = d;
    uv_pipe_connect(&d->connect_req, &d->pipe, path, wd_on_connect);
    free(path);
}

static void wd_on_signal(uv_signal_t *s, int signum)
{
    wd_begin_exit(s->data, "signal");
}

const worker_daemon *const worker_daemon_table[DAEMON_COUNT] = {
    [DAEMON_DISCOVERY] = &worker_discovery_daemon,
    [DAEMON_COMPILATION] = &worker_compilation_daemon,
    [DAEMON_BUILD] = &worker_build_daemon,
    [DAEMON_ERROR_HANDLER] = &worker_error_handler_daemon,
    [DAEMON_WATCHER] = &worker_watcher_daemon,
};

static void wd_timers_init(wd *d)
{
    const worker_timer *specs = d->desc->timers;
    while (specs && specs[d->timer_count].fire)
        d->timer_count++;
    if (d->timer_count == 0)
        return;
    d->timers = xcalloc(d->timer_count, sizeof *d->timers);
    for (size_t i = 0; i < d->timer_count; i++) {
        uv_timer_init(d->loop, &d->timers[i].handle);
        d->timers[i].handle.data = &d->timers[i];
        d->timers[i].d = d;
        d->timers[i].spec = &specs[i];
    }
}

int worker_main(daemon_kind kind, const char *home)
{
    if ((unsigned)kind >= DAEMON_COUNT || !worker_daemon_table[kind]) {
        fprintf(stderr, "jmake: '%s' is not a worker daemon\n",
                (unsigned)kind < DAEMON_COUNT ? daemon_table[kind].name : "?");
        return 1;
    }
    wd d;
    memset(&d, 0, sizeof d);
    sys_restore_inherited_fd_limit();   /* the orchestrator's raise is for its clients, not for compilers */
    d.ready_fd = daemon_ready_take();
    unsetenv(DAEMON_READY_ENV);   /* not for the compilers and tools it runs */
    d.desc = worker_daemon_table[kind];
    d.home = xstrdup(home);
    diag_list diags = {0};
    config_load(&d.cfg, home, &diags);
    diag_free(&diags); /* the orchestrator already reported them */
    const char *name = daemon_table[kind].name;
    int log_rc = log_open(home, name, d.cfg.logging.log_level, d.cfg.logging.max_size_kb * 1024,
                          (int)d.cfg.logging.keep_files);
    if (log_rc < 0) {
        log_error("cannot open the log %s/logs/%s.log: %s", home, name, strerror(-log_rc));
        daemon_report_error(&d.ready_fd, "%s: cannot open the log %s/logs/%s.log: %s", name, home, name,
                            strerror(-log_rc));
        config_free(&d.cfg);
        free(d.home);
        return 1;
    }
    pid_t holder = 0;
    int pid_fd = daemon_pidfile_acquire(home, name, &holder);
    if (pid_fd < 0) {
        log_error("cannot start: %s", pid_fd == -EWOULDBLOCK ? "another instance runs" : strerror(-pid_fd));
        daemon_report_error(&d.ready_fd, "%s: cannot take the PID file %s/run/%s.pid: %s", name, home, name,
                            pid_fd == -EWOULDBLOCK ? "another instance runs" : strerror(-pid_fd));
        config_free(&d.cfg);
        free(d.home);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&d.mu, NULL);
    d.ctx.cfg = &d.cfg;
    d.ctx.home = d.home;
    if (d.desc->start)
        d.ctx.state = d.desc->start(&d.cfg, home);
    wire_decoder_init(&d.dec, WIRE_MAX_REPLY);
    d.loop = uv_default_loop();
    d.ctx.loop = d.loop;
    d.ctx.send = wd_ctx_send;
    uv_timer_init(d.loop, &d.timer);
    d.timer.data = &d;
    wd_timers_init(&d);
    uv_async_init(d.loop, &d.async, wd_on_async);
    d.async.data = &d;
    uv_signal_init(d.loop, &d.sigterm);
    d.sigterm.data = &d;
    uv_signal_start(&d.sigterm, wd_on_signal, SIGTERM);
    log_info("%s daemon starting (PID %d)", name, (int)getpid());
    wd_try_connect(&d);
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    wire_decoder_free(&d.dec);
    if (d.desc->stop)
        d.desc->stop(d.ctx.state);
    free(d.timers);
    pthread_mutex_destroy(&d.mu);
    log_info("%s daemon exits", name);
    log_close();
    config_free(&d.cfg);
    close(pid_fd);
    free(d.home);
    return 0;
}
