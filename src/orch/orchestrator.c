/* orchestrator.c - the orchestrator daemon: start-up, the event loop, client connections, the group commit, the tick, shutdown. */
#include "orchestrator.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "log.h"
#include "orch_internal.h"
#include "orch_policy.h"
#include "orch_requests.h"
#include "sys.h"
#include "uvwire.h"

/* The orchestrator's files: this one (loop and connections), orch_requests.c
 * (what each request does), orch_jobs.c (running jobs and waiters),
 * orch_supervise.c (worker processes), orch_policy.c (the decisions, pure). */

static void drain_conn(conn *c);

/* ---- connections ---- */

static void conn_free(conn *c)
{
    wire_decoder_free(&c->dec);
    orch_prepared_free(c->prepared);
    free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    c->o->open_conns--;
    if (c->preparing)
        c->freed_later = true;   /* a work thread's result still names it */
    else
        conn_free(c);
}

void orch_close_conn(conn *c)
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
    uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

void orch_send(conn *c, cJSON *msg)
{
    if (c->closing) {
        cJSON_Delete(msg);
        return;
    }
    /* A client that sends requests and never reads the replies would make the
       orchestrator queue them without end: past the bound its connection goes. */
    size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
    if (queued > ORCH_MAX_QUEUED_REPLY_BYTES) {
        log_warn("a client does not read its replies (%zu bytes queued, limit %u); closing its connection", queued,
                 ORCH_MAX_QUEUED_REPLY_BYTES);
        cJSON_Delete(msg);
        orch_close_conn(c);
        c->o->trim_due = true;   /* its queued replies are freed with it */
        return;
    }
    if (uvwire_send((uv_stream_t *)&c->pipe, msg) < 0)
        orch_close_conn(c);
}

static void on_batch_idle(uv_idle_t *h)
{
    (void)h;
}

/* Submits of one loop iteration share one commit; the connection reads
 * nothing more until its reply is out, so replies stay in order. Takes
 * ownership of req. */
static void queue_for_commit(orch *o, conn *c, const orch_request *request, cJSON *req)
{
    pending_submit *p = xcalloc(1, sizeof *p);
    p->c = c;
    p->request = request;
    p->req = req;
    *o->batch_tail = p;
    o->batch_tail = &p->next;
    c->blocked = true;
    uv_idle_start(&o->batch_idle, on_batch_idle);
}

void orch_conn_resume(conn *c)
{
    c->blocked = false;
    drain_conn(c);
}

/* A request's prepare step on its way through the libuv thread pool. */
typedef struct prepare_work {
    uv_work_t work;
    conn *c;                        /* borrowed; kept alive by c->preparing */
    const orch_request *request;    /* borrowed from the table */
    cJSON *req;                     /* owned */
    orch_prepared *result;          /* owned until handed to c */
} prepare_work;

static void run_prepare(uv_work_t *work)
{
    prepare_work *pw = work->data;
    pw->result = pw->request->prepare(pw->req);
}

static void after_prepare(uv_work_t *work, int status)
{
    (void)status;   /* nothing cancels prepare steps */
    prepare_work *pw = work->data;
    conn *c = pw->c;
    orch *o = c->o;
    c->preparing = false;
    if (c->freed_later || c->closing || o->stopping) {
        if (!c->closing && !c->freed_later) {
            orch_send(c, orch_reply_error("unavailable", "daemons are stopping"));
            orch_conn_resume(c);
        }
        orch_prepared_free(pw->result);
        cJSON_Delete(pw->req);
        if (c->freed_later)
            conn_free(c);
        free(pw);
        return;
    }
    c->prepared = pw->result;
    queue_for_commit(o, c, pw->request, pw->req);
    free(pw);
}

/* The connection reads nothing more until the reply is out (after the
 * prepare step and the group commit): replies stay in request order while
 * every other connection is served. Takes ownership of req. */
static void start_prepare(orch *o, conn *c, const orch_request *request, cJSON *req)
{
    prepare_work *pw = xcalloc(1, sizeof *pw);
    pw->work.data = pw;
    pw->c = c;
    pw->request = request;
    pw->req = req;
    c->blocked = true;
    c->preparing = true;
    int rc = uv_queue_work(o->loop, &pw->work, run_prepare, after_prepare);
    if (rc != 0) {
        /* No thread pool: do it here rather than refuse. */
        log_warn("cannot queue work off the loop (%s): preparing %s on it", uv_strerror(rc), request->op);
        run_prepare(&pw->work);
        after_prepare(&pw->work, 0);
    }
}

static void handle_frame(conn *c, const char *frame, size_t len)
{
    orch *o = c->o;
    cJSON *req = orch_request_parse(frame, len);
    cJSON *reply = NULL;
    const char *worker_name = c->worker ? daemon_table[c->worker->kind].name : NULL;
    const orch_request *request = orch_request_route(req, worker_name, o->stopping, &reply);
    if (request && request->prepare) {
        start_prepare(o, c, request, req);
        req = NULL;
    } else if (request && (request->flags & ORCH_REQ_GROUP_COMMIT)) {
        queue_for_commit(o, c, request, req);
        req = NULL;
    } else if (request) {
        reply = request->handler(o, c, req);
    } else if (!reply) {
        log_warn("%s daemon sent unknown message '%s'", worker_name,
                 cJSON_GetStringValue(cJSON_GetObjectItem(req, "op")));
    }
    cJSON_Delete(req);
    if (reply)
        orch_send(c, reply);
    if (o->schedule_again)
        orch_schedule(o);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = stream->data;
    if (nread < 0) {
        free(buf->base);
        orch_close_conn(c);
        return;
    }
    wire_decoder_feed(&c->dec, buf->base, (size_t)nread);
    free(buf->base);
    drain_conn(c);
}

static void drain_conn(conn *c)
{
    while (!c->blocked && !c->closing) {
        char *frame = NULL;
        size_t len = 0;
        int r = wire_decoder_next(&c->dec, &frame, &len);
        if (r == 0)
            break;
        if (r < 0) {
            /* The stream cannot be resynchronised; answer and hang up on this peer only. */
            if (c->worker) {
                free(c->worker->refused);
                c->worker->refused = xasprintf("its message of %zu bytes was over the %zu-byte limit", len,
                                               c->dec.max_frame);
                log_error("%s daemon: %s; dropping its connection", daemon_table[c->worker->kind].name,
                          c->worker->refused);
            } else {
                log_warn("client sent a frame of %zu bytes, over the %zu-byte limit; closing its connection", len,
                         c->dec.max_frame);
                orch_send(c, orch_reply_error("bad_request", "request larger than %zu bytes", c->dec.max_frame));
            }
            orch_close_conn(c);
            break;
        }
        handle_frame(c, frame, len);
        free(frame);
    }
}

/* After each poll: all submits that arrived are validated and inserted, each
 * all or nothing, then made durable by one commit, and only then acknowledged. */
static void on_batch_check(uv_check_t *h)
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
        cJSON *reply = p->request->handler(o, p->c, p->req);
        cJSON_Delete(p->req);
        p->req = reply;
    }
    if (batched && jobstore_batch_end(o->store) != 0) {
        const char *why = jobstore_last_error(o->store);
        log_error("job database commit failed (%s): submits of this batch are refused", why);
        for (pending_submit *p = list; p; p = p->next) {
            cJSON_Delete(p->req);
            p->req = orch_reply_error("internal", "job database commit failed (%s): nothing of it was queued", why);
        }
    }
    while (list) {
        pending_submit *p = list;
        list = p->next;
        orch_send(p->c, p->req);
        p->c->blocked = false;
        drain_conn(p->c);
        free(p);
    }
    if (o->schedule_again)
        orch_schedule(o);
}

static void on_connection(uv_stream_t *server, int status)
{
    orch *o = server->data;
    if (status < 0) {
        /* Out of descriptors: libuv keeps one in reserve and uses it to accept
           and close the waiting connections (their clients see the connection
           closed), so that the listening socket does not spin. Say so, once a second. */
        uint64_t now = clock_monotonic_ms();
        o->accept_failures++;
        if (now - o->accept_failure_logged_ms >= 1000) {
            log_error("cannot accept connections: %s (%llu refused so far; descriptor limit %ld)", uv_strerror(status),
                      (unsigned long long)o->accept_failures, sys_fd_limit());
            o->accept_failure_logged_ms = now;
        }
        return;
    }
    conn *c = xcalloc(1, sizeof *c);
    c->o = o;
    uv_pipe_init(o->loop, &c->pipe, 0);
    c->pipe.data = c;
    o->open_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
        return;
    }
    wire_decoder_init(&c->dec, WIRE_MAX_REQUEST);
    /* Descriptors are kept in reserve (the database, logs, workers, spawning):
       past the limit a client is told why and closed, instead of libuv's
       silent close once none is left. */
    long limit = sys_fd_limit();
    if (limit > 0 && (long)o->open_conns > limit - ORCH_RESERVED_FDS) {
        uint64_t now = clock_monotonic_ms();
        o->accept_failures++;
        if (now - o->accept_failure_logged_ms >= 1000) {
            log_error("too many connections: %zu open, descriptor limit %ld (%llu refused so far)", o->open_conns,
                      limit, (unsigned long long)o->accept_failures);
            o->accept_failure_logged_ms = now;
        }
        uvwire_try_send((uv_stream_t *)&c->pipe,
                        orch_reply_error("unavailable", "too many connections (%zu open; the orchestrator's "
                                         "descriptor limit is %ld)", o->open_conns, limit));
        c->closing = true;
        uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
        return;
    }
    /* Only our own user may drive the daemons. */
    uv_os_fd_t fd;
    uid_t peer = (uid_t)-1;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 || sys_peer_uid(fd, &peer) != 0 || peer != getuid()) {
        log_warn("refused a connection from uid %d", (int)peer);
        c->closing = true;
        uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
        return;
    }
    c->next = o->conns;
    o->conns = c;
    uv_read_start((uv_stream_t *)&c->pipe, uvwire_alloc, on_read);
}

/* ---- the tick: timeouts, cancels, restarts, health, shutdown ---- */

void orch_begin_stop(orch *o, double grace_seconds)
{
    if (o->stopping)
        return;
    o->stopping = true;
    o->stop_deadline_ms = clock_monotonic_ms() + (uint64_t)(grace_seconds * 1000);
    log_info("stopping: %zu running job(s) get %.0f s to finish", o->running_count, grace_seconds);
    uv_close((uv_handle_t *)&o->server, NULL);
}

/* A worker that has not registered this long after the start fails it. */
#define ORCH_START_TIMEOUT_MS 15000

void orch_check_ready(orch *o)
{
    if (o->ready_fd < 0 || o->stopping)
        return;
    for (int k = 1; k < DAEMON_COUNT; k++)
        if (o->workers[k].wanted && !o->workers[k].conn)
            return;
    daemon_report_ready(&o->ready_fd);
    /* Workers started from now on (restarts) have no one to report to. */
    unsetenv(DAEMON_READY_ENV);
    log_info("start-up complete: every daemon registered");
}

void orch_start_failed(orch *o, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    log_error("start-up failed: %s; stopping", why);
    daemon_report_error(&o->ready_fd, "orchestrator: %s", why);
    unsetenv(DAEMON_READY_ENV);
    o->exit_code = 1;
    orch_begin_stop(o, 0);
}

static void finish_stop(orch *o)
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

static void on_tick(uv_timer_t *t)
{
    orch *o = t->data;
    uint64_t now = clock_monotonic_ms();
    orch_jobs_tick(o, now);
    orch_watch_tick(o, now);
    if (o->stopping)
        orch_supervise_stop_workers(o, now);
    orch_supervise_tick(o, now);
    if (o->trim_due) {
        o->trim_due = false;
        sys_release_free_memory();
    }
    if (o->stopping && o->workers_told_to_stop && orch_all_workers_gone(o)) {
        orch_check_waiters(o, now);
        finish_stop(o);
        return;
    }
    if (o->ready_fd >= 0 && !o->stopping && now >= o->start_deadline_ms) {
        for (int k = 1; k < DAEMON_COUNT; k++)
            if (o->workers[k].wanted && !o->workers[k].conn) {
                orch_start_failed(o, "the %s daemon did not register within %d s (see %s/logs/%s.log)",
                                  daemon_table[k].name, ORCH_START_TIMEOUT_MS / 1000, o->home, daemon_table[k].name);
                break;
            }
    }
    orch_supervise_health_tick(o, now);
    orch_schedule(o);
    orch_check_waiters(o, now);
}

static void on_signal(uv_signal_t *s, int signum)
{
    orch *o = s->data;
    log_info("signal %d: stopping", signum);
    orch_begin_stop(o, 30);
}

/* ---- start-up ---- */

static int listen_socket(orch *o)
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
        rc = uv_listen((uv_stream_t *)&o->server, 128, on_connection);
    if (rc < 0) {
        log_error("cannot listen on %s: %s", o->socket_path, uv_strerror(rc));
        daemon_report_error(&o->ready_fd, "orchestrator: cannot listen on %s: %s", o->socket_path, uv_strerror(rc));
        return -1;
    }
    return 0;
}

int orchestrator_main(const char *home)
{
    orch o;
    memset(&o, 0, sizeof o);
    o.home = xstrdup(home);
    o.ready_fd = daemon_ready_take();
    diag_list diags = {0};
    int cfg_rc = config_load(&o.cfg, home, &diags);
    int log_rc = log_open(home, "orchestrator", o.cfg.logging.log_level, o.cfg.logging.max_size_kb * 1024,
                          (int)o.cfg.logging.keep_files);
    if (log_rc < 0) {
        /* A daemon nobody can hear is worse than none: say why and stop. */
        log_error("cannot open the log %s/logs/orchestrator.log: %s", home, strerror(-log_rc));
        daemon_report_error(&o.ready_fd, "orchestrator: cannot open the log %s/logs/orchestrator.log: %s", home,
                            strerror(-log_rc));
        diag_free(&diags);
        config_free(&o.cfg);
        free(o.home);
        return 1;
    }
    log_info("descriptor limit %ld", sys_raise_fd_limit());   /* every client holds one */
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
        daemon_report_error(&o.ready_fd, "orchestrator: configuration errors (see %s/logs/orchestrator.log)", home);
        config_free(&o.cfg);
        free(o.home);
        return 2;
    }
    pid_t holder = 0;
    int pid_fd = daemon_pidfile_acquire(home, "orchestrator", &holder);
    if (pid_fd < 0) {
        if (pid_fd == -EWOULDBLOCK) {
            log_info("orchestrator already running (PID %d)", (int)holder);
            daemon_report_error(&o.ready_fd, "orchestrator: another one already runs (PID %d)", (int)holder);
        } else {
            log_error("cannot take the PID file %s/run/orchestrator.pid: %s", home, strerror(-pid_fd));
            daemon_report_error(&o.ready_fd, "orchestrator: cannot take the PID file %s/run/orchestrator.pid: %s",
                                home, strerror(-pid_fd));
        }
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
        log_error("cannot open the job database %s", err);
        daemon_report_error(&o.ready_fd, "orchestrator: cannot open the job database %s", err);
        close(pid_fd);
        config_free(&o.cfg);
        free(o.home);
        return 1;
    }
    int exhausted = 0;
    int requeued = jobstore_requeue_all_running(o.store, o.cfg.error_handling.max_retries, clock_wall_ms(), &exhausted);
    if (requeued > 0)
        log_info("%d job(s) that were running when the orchestrator stopped are queued again", requeued);
    if (exhausted > 0)
        log_warn("%d job(s) that were running when the orchestrator stopped had used their %lld retries: failed",
                 exhausted, (long long)o.cfg.error_handling.max_retries);

    orch_watch_init(&o);
    o.loop = uv_default_loop();
    o.loop->data = &o;
    if (listen_socket(&o) != 0) {
        jobstore_close(o.store);
        close(pid_fd);
        config_free(&o.cfg);
        free(o.home);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_signal_init(o.loop, &o.sigterm);
    o.sigterm.data = &o;
    uv_signal_start(&o.sigterm, on_signal, SIGTERM);
    uv_signal_init(o.loop, &o.sigint);
    o.sigint.data = &o;
    uv_signal_start(&o.sigint, on_signal, SIGINT);

    for (int k = 1; k < DAEMON_COUNT; k++) {
        o.workers[k].kind = (daemon_kind)k;
        /* max_daemons counts the orchestrator; the last in table order are left out first.
         * JMAKE_START_ONLY=NAME (from `jmake start NAME` on a stopped home): that worker only. */
        o.workers[k].wanted = k < o.cfg.orchestrator.max_daemons &&
                              (!getenv("JMAKE_START_ONLY") || strcmp(getenv("JMAKE_START_ONLY"), daemon_table[k].name) == 0);
        if (o.workers[k].wanted)
            orch_worker_start(&o, &o.workers[k]);
    }
    o.start_deadline_ms = clock_monotonic_ms() + ORCH_START_TIMEOUT_MS;
    orch_check_ready(&o);   /* with no worker to wait for */
    o.batch_tail = &o.batch;
    uv_check_init(o.loop, &o.batch_check);
    o.batch_check.data = &o;
    uv_check_start(&o.batch_check, on_batch_check);
    uv_idle_init(o.loop, &o.batch_idle);
    o.next_health_ms = clock_monotonic_ms() + (uint64_t)o.cfg.orchestrator.health_check_interval * 1000;
    uv_timer_init(o.loop, &o.tick);
    o.tick.data = &o;
    uv_timer_start(&o.tick, on_tick, ORCH_TICK_MS, ORCH_TICK_MS);
    log_info("orchestrator %s ready on %s (PID %d)", JMAKE_VERSION, o.socket_path, (int)getpid());

    uv_run(o.loop, UV_RUN_DEFAULT);

    uv_loop_close(o.loop);
    orch_free_waiters(&o);
    orch_free_running(&o);
    orch_watch_free(&o);
    jobstore_close(o.store);
    free(o.socket_path);
    config_free(&o.cfg);
    log_info("orchestrator exits");
    log_close();
    close(pid_fd);
    free(o.home);
    return o.exit_code;
}
