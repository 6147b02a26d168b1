/* orch_supervise.c - the orchestrator's supervision of the five worker daemons: spawn, exit, restart with backoff, health pings, stop. */
#include "orch_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "orch_policy.h"
#include "sys.h"

static void on_worker_closed(uv_handle_t *h)
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

static void on_worker_exit(uv_process_t *proc, int64_t exit_status, int term_signal)
{
    worker *w = proc->data;
    orch *o = proc->loop->data;
    w->proc_alive = false;
    uv_close((uv_handle_t *)proc, on_worker_closed);
    sys_for_each_in_session(w->pid, kill_hard, NULL);
    char *why = term_signal ? xasprintf("%s daemon killed by signal %d", daemon_table[w->kind].name, term_signal)
                            : xasprintf("%s daemon exited with status %lld", daemon_table[w->kind].name,
                                        (long long)exit_status);
    if (w->refused) {
        char *longer = xasprintf("%s after %s", why, w->refused);
        free(why);
        why = longer;
        free(w->refused);
        w->refused = NULL;
    }
    if (o->stopping || !w->wanted)
        log_info("%s", why);
    else
        log_warn("%s", why);
    if (w->conn)
        orch_close_conn(w->conn);
    bool start_fails = o->ready_fd >= 0 && !o->stopping && w->wanted;
    orch_worker_lost_jobs(o, w, why);
    if (start_fails) {
        /* The worker wrote its own reason to `jmake start` first, if it could. */
        orch_start_failed(o, "%s during start-up (see %s/logs/%s.log)", why, o->home, daemon_table[w->kind].name);
        free(why);
        w->pid = 0;
        return;
    }
    free(why);
    w->pid = 0;
    w->ping_sent_ms = 0;
    if (!o->stopping && w->wanted && o->cfg.orchestrator.restart_failed_daemons) {
        uint64_t now = clock_monotonic_ms();
        w->crash_streak = orch_policy_crash_streak(w->crash_streak, w->started_ms, now);
        uint64_t delay = orch_policy_restart_delay_ms(w->crash_streak);
        w->restarts++;
        w->crash_streak++;
        w->restart_at_ms = now + delay;
        log_info("restarting %s daemon in %llu ms", daemon_table[w->kind].name, (unsigned long long)delay);
    }
}

void orch_worker_start(orch *o, worker *w)
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
    /* During start-up the worker gets the report descriptor too, as the same
       number (DAEMON_READY_FD, named by the inherited environment). */
    uv_stdio_container_t stdio[4] = {{.flags = UV_IGNORE}, {.flags = UV_INHERIT_FD, .data.fd = 1},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2},
                                     {.flags = UV_INHERIT_FD, .data.fd = o->ready_fd}};
    uv_process_options_t opts = {
        .file = exe, .args = args, .exit_cb = on_worker_exit, .stdio_count = o->ready_fd >= 0 ? 4 : 3,
        .stdio = stdio, .flags = UV_PROCESS_DETACHED};
    memset(&w->proc, 0, sizeof w->proc);
    w->proc.data = w;
    int rc = uv_spawn(o->loop, &w->proc, &opts);
    if (rc < 0) {
        log_error("cannot start %s daemon: %s", daemon_table[w->kind].name, uv_strerror(rc));
        uv_close((uv_handle_t *)&w->proc, on_worker_closed);
        w->restarts++;
        w->restart_at_ms = clock_monotonic_ms() + ORCH_SPAWN_RETRY_MS;
        return;
    }
    w->proc_alive = true;
    w->pid = w->proc.pid;
    w->started_ms = clock_monotonic_ms();
    w->restart_at_ms = 0;
    w->ping_sent_ms = 0;
    log_info("started %s daemon (PID %d)", daemon_table[w->kind].name, (int)w->pid);
}

void orch_worker_kill(worker *w, const char *why)
{
    if (!w->proc_alive)
        return;
    log_warn("killing %s daemon (PID %d): %s", daemon_table[w->kind].name, (int)w->pid, why);
    uv_process_kill(&w->proc, SIGKILL);
}

void orch_worker_send_simple(worker *w, const char *op)
{
    if (!w->conn)
        return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "op", op);
    orch_send(w->conn, m);
}

void orch_worker_stop(worker *w)
{
    w->wanted = false;
    w->restart_at_ms = 0;
    if (w->proc_alive) {
        orch_worker_send_simple(w, "shutdown");
        w->kill_at_ms = clock_monotonic_ms() + ORCH_WORKER_STOP_GRACE_MS;
    }
    log_info("%s daemon stop requested", daemon_table[w->kind].name);
}

void orch_supervise_stop_workers(orch *o, uint64_t now)
{
    if (o->running_count > 0 || o->workers_told_to_stop)
        return;
    o->workers_told_to_stop = true;
    for (int k = 1; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        w->kill_at_ms = now + ORCH_WORKER_STOP_GRACE_MS;
        if (w->conn)
            orch_worker_send_simple(w, "shutdown");
        else if (w->proc_alive)
            uv_process_kill(&w->proc, SIGTERM);
    }
}

bool orch_all_workers_gone(orch *o)
{
    for (int k = 1; k < DAEMON_COUNT; k++)
        if (o->workers[k].proc_alive)
            return false;
    return true;
}

void orch_supervise_tick(orch *o, uint64_t now)
{
    for (int k = 1; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        if (w->proc_alive && orch_policy_due(w->kill_at_ms, now)) {
            w->kill_at_ms = 0;
            orch_worker_kill(w, "it did not stop in time");
        }
        if (orch_policy_restart_due(o->stopping, w->wanted, w->proc_alive, w->restart_at_ms, now))
            orch_worker_start(o, w);
    }
}

void orch_supervise_health_tick(orch *o, uint64_t now)
{
    if (now < o->next_health_ms)
        return;
    o->next_health_ms = now + (uint64_t)o->cfg.orchestrator.health_check_interval * 1000;
    for (int k = 1; k < DAEMON_COUNT; k++) {
        worker *w = &o->workers[k];
        switch (orch_policy_health(w->proc_alive, w->ping_sent_ms != 0, w->conn != NULL)) {
        case ORCH_HEALTH_SKIP:
            break;
        case ORCH_HEALTH_KILL:
            orch_worker_kill(w, "no answer to the health check");
            break;
        case ORCH_HEALTH_PING: {
            w->ping_sent_ms = now;
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "op", "ping");
            cJSON_AddNumberToObject(m, "seq", (double)++w->ping_seq);
            orch_send(w->conn, m);
            break;
        }
        }
    }
}
