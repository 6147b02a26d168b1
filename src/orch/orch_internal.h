/* orch_internal.h - the orchestrator's state and the functions its files share (orchestrator.c, orch_requests.c, orch_jobs.c, orch_supervise.c). */
#ifndef JMAKE_ORCH_INTERNAL_H
#define JMAKE_ORCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "config.h"
#include "daemon.h"
#include "jobstore.h"
#include "util.h"
#include "wire.h"

#define ORCH_TICK_MS 100

typedef struct orch orch;
typedef struct worker worker;
typedef struct orch_request orch_request;
/* What a request's prepare step (orch_requests.h) made off the event loop. */
typedef struct orch_prepared orch_prepared;

/* Replies queued on one connection that its peer has not read yet: past this
 * the connection is closed (a reply is at most WIRE_MAX_REPLY, so one full
 * reply always fits). */
#define ORCH_MAX_QUEUED_REPLY_BYTES (WIRE_MAX_REPLY + (16u << 20))
/* Descriptors never given to clients: the job database, logs, the listening
 * socket, the five workers' connections and what spawning one needs. */
#define ORCH_RESERVED_FDS 32

/* One accepted connection: a client, or a worker once it has registered. */
typedef struct conn {
    uv_pipe_t pipe;
    orch *o;
    wire_decoder dec;
    worker *worker;         /* set once a worker registered on this connection (borrowed) */
    bool closing;
    bool blocked;           /* a submit waits for its prepare step or the group commit, or a job_wait
                               for its jobs: the connection reads nothing more, so its replies stay
                               in request order */
    bool preparing;         /* a prepare step of this connection's runs on a work thread */
    bool freed_later;       /* closed while preparing: the prepare's completion frees it */
    orch_prepared *prepared;/* owned: the prepare step's result, for the request's handler to take */
    struct conn *next;
} conn;

/* One worker daemon the orchestrator starts and watches (orch_supervise.c). */
struct worker {
    daemon_kind kind;
    uv_process_t proc;
    bool proc_alive;        /* uv process handle open and child not reaped */
    bool wanted;            /* should be running: false after "stop DAEMON" */
    pid_t pid;
    conn *conn;             /* its registered connection, or NULL (borrowed) */
    char *refused;          /* owned: why its connection was dropped (an oversized message), for the jobs' reason */
    int restarts;           /* since the daemons started: shown by status */
    int crash_streak;       /* restarts since it last ran healthily: what the backoff grows with */
    uint64_t started_ms;    /* monotonic: when it was last spawned */
    uint64_t restart_at_ms; /* monotonic; 0 = no restart scheduled */
    uint64_t ping_sent_ms;  /* outstanding ping, 0 = none */
    uint64_t ping_seq;
    uint64_t kill_at_ms;    /* shutdown: SIGKILL if still alive then */
};

/* Why the orchestrator asked a worker to stop a job. */
typedef enum orch_cancel { CANCEL_NONE, CANCEL_USER, CANCEL_TIMEOUT, CANCEL_SHUTDOWN } orch_cancel;

/* A job handed to a worker and not yet settled (orch_jobs.c). */
typedef struct running_job {
    char *id;                   /* owned */
    int type;                   /* job_type (jobtype.h) */
    daemon_kind kind;
    uint64_t started_ms;        /* monotonic */
    int64_t timeout_ms;
    int attempts;
    orch_cancel cancel;
    uint64_t cancel_deadline_ms;
    int64_t done, total;
    char *current;              /* owned, or NULL */
} running_job;

/* A submit waiting for the next group commit. */
typedef struct pending_submit {
    conn *c;
    const orch_request *request;
    cJSON *req;                 /* owned; after the commit, the reply */
    struct pending_submit *next;
} pending_submit;

/* A final state the job database refused (a full disk): kept and written
 * again every tick (orch_jobs.c), so that no job's outcome is lost. */
typedef struct unsaved_finish {
    char *id, *result, *reason;     /* owned; result and reason may be NULL */
    job_state state;
    int64_t finished_ms;
    struct unsaved_finish *next;
} unsaved_finish;

/* A job_wait waiting for its jobs to end. */
typedef struct waiter {
    conn *c;
    strvec ids;
    uint64_t deadline_ms;       /* 0 = none */
    bool summary;               /* "result": "summary" */
    struct waiter *next;
} waiter;

/* A project of the watch list (orch_watch.c): the coalescing of its builds.
 * Builds the watcher asks for are at most one pending and one running; the
 * paths reported since the last build started travel with the next one. */
typedef struct orch_project {
    char *config;               /* absolute jmake.toml, owned */
    char *pending_id;           /* the watcher's build queued and not started, owned, or NULL */
    strvec running_ids;         /* this project's compilation jobs started and not settled */
    strvec paths;               /* reported since the last build took them */
    bool lost;                  /* the next build checks everything */
    char *state;                /* as the watcher last said: "watching", "rescanning", "degraded"; owned */
    char *detail;               /* the watcher's words on a degraded state, owned, or NULL */
    int64_t watches, unwatched;
    cJSON *index;               /* the discovery daemon's last "index_changed" for it, owned, or NULL */
    struct orch_project *next;
} orch_project;

/* A compilation run message held until the watcher has synced (orch_watch.c). */
typedef struct held_run {
    char *job_id;               /* owned */
    orch_project *project;      /* borrowed */
    cJSON *msg;                 /* the "run" message, owned */
    double token;
    uint64_t deadline_ms;
    struct held_run *next;
} held_run;

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
    unsaved_finish *unsaved;        /* final states waiting for room in the job database */
    pending_submit *batch;          /* submits of this loop iteration, in arrival order */
    pending_submit **batch_tail;
    uv_check_t batch_check;         /* commits the batch after each poll */
    uv_idle_t batch_idle;           /* keeps the poll from blocking while a batch waits */
    uint64_t next_health_ms;
    bool stopping;              /* no new jobs start */
    uint64_t stop_deadline_ms;  /* running jobs are re-queued after this */
    bool workers_told_to_stop;
    bool schedule_again;
    bool dispatch_refused;    /* the store refused to mark a job running: said once, retried each tick */
    /* A large request (a big job file, a long list) freed much memory: the
     * next tick hands it back to the system (malloc keeps it otherwise). */
    bool trim_due;
    uint64_t accept_failures, accept_failure_logged_ms;   /* connections refused for lack of descriptors */
    size_t open_conns;          /* accepted and not yet freed, clients and workers */
    int exit_code;
    /* The start-up report to `jmake start` (daemon.h), -1 once sent or when
     * nobody asked: while it is open the start is not complete, and a worker
     * that exits before registering fails the whole start. */
    int ready_fd;
    uint64_t start_deadline_ms;     /* monotonic: a worker not registered by then fails the start */
    orch_project *projects;         /* the watch list */
    held_run *held;                 /* compilations waiting for the watcher's sync */
    double next_sync_token;
};

/* ---- orchestrator.c: loop and connections ---- */

/* Sends msg (takes ownership) on c; a closing connection drops it, a failed write closes c. */
void orch_send(conn *c, cJSON *msg);
void orch_close_conn(conn *c);
/* Unblocks c after its blocking request was answered and handles what it sent meanwhile. */
void orch_conn_resume(conn *c);
/* No new jobs start; running ones get grace_seconds, then are re-queued; the server socket closes. */
void orch_begin_stop(orch *o, double grace_seconds);
/* Start-up: reports "ready" to `jmake start` once every wanted worker has registered. */
void orch_check_ready(orch *o);
/* Start-up cannot complete (why: "compilation daemon exited ..."): logged,
 * reported to `jmake start`, and everything stops (no half-started set). */
void orch_start_failed(orch *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- orch_requests.c: the request table (orch_requests.h) and replies ---- */

cJSON *orch_reply_ok(void);                                 /* caller owns the reply */
cJSON *orch_reply_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- orch_jobs.c: running jobs, dispatch, completion, waiters ---- */

/* The output log of job id (caller frees). */
char *orch_job_log_path(orch *o, const char *id);
running_job *orch_find_running(orch *o, const char *id);   /* borrowed, or NULL */
size_t orch_running_on(orch *o, daemon_kind kind);
/* The job as clients see it: the stored record plus live progress and log_path (caller frees). */
cJSON *orch_job_json(orch *o, const job_record *rec, bool summary);
/* Starts as many runnable jobs as workers and limits allow. */
void orch_schedule(orch *o);
/* A worker reported a job done; rj is removed. result borrowed. */
void orch_job_finished(orch *o, running_job *rj, const char *state_name, const cJSON *result, const char *reason,
                       bool retryable);
/* Every job of worker w, which died, goes back to the queue or fails (an attempt spent). */
void orch_worker_lost_jobs(orch *o, worker *w, const char *why);
/* Asks the job's worker to stop it; the tick kills the worker after ORCH_CANCEL_GRACE_MS. */
void orch_request_stop(orch *o, running_job *rj, orch_cancel why, uint64_t now);
/* Timeouts and ignored cancels of running jobs; when stopping, the end of the grace period. */
void orch_jobs_tick(orch *o, uint64_t now);
/* Answers the waiters whose jobs are all final or whose time is up. */
void orch_check_waiters(orch *o, uint64_t now);
/* Answers w now with the jobs as they are (w stays owned by the caller). */
void orch_answer_waiter(orch *o, waiter *w, bool timed_out);
/* Whether every job of ids is final (or unknown). */
bool orch_all_final(orch *o, const strvec *ids);
void orch_drop_waiters_of(orch *o, conn *c);
void orch_free_waiters(orch *o);
void orch_free_running(orch *o);

/* ---- orch_watch.c: the watch list, coalescing, sync before watched builds ---- */

/* Loads the stored watch list (at start). */
void orch_watch_init(orch *o);
void orch_watch_free(orch *o);
/* The watcher registered: it gets the list, and since it may have missed
 * changes while it was away, every project gets one full-check build. */
void orch_watch_watcher_ready(orch *o);
/* Called by dispatch for every job: takes ownership of run_msg and returns
 * true when the job is a build of a watched project (the message then goes
 * out once the watcher has synced, with the paths reported up to then);
 * false leaves run_msg with the caller. */
bool orch_watch_take_run(orch *o, const job_record *rec, cJSON *run_msg);
/* A running job left o->running (finished, requeued or lost): id borrowed. */
void orch_watch_job_settled(orch *o, const char *id);
/* Held runs whose sync did not come back in time go out with a full check. */
void orch_watch_tick(orch *o, uint64_t now);
/* The watch part of `status`: one entry per project (caller owns). */
cJSON *orch_watch_status(orch *o);
/* Client requests and watcher messages of the table (orch_requests.c). */
cJSON *orch_op_watch_add(orch *o, conn *c, const cJSON *req);
cJSON *orch_op_watch_remove(orch *o, conn *c, const cJSON *req);
cJSON *orch_op_watch_list(orch *o, conn *c, const cJSON *req);
cJSON *orch_msg_watch_changes(orch *o, conn *c, const cJSON *msg);
cJSON *orch_msg_watch_state(orch *o, conn *c, const cJSON *msg);
cJSON *orch_msg_synced(orch *o, conn *c, const cJSON *msg);
cJSON *orch_msg_index_changed(orch *o, conn *c, const cJSON *msg);
/* The reply for a rejected request with diagnostics (caller owns). */
cJSON *orch_reply_diags(const diag_list *diags);

/* ---- orch_supervise.c: worker processes, restarts, health ---- */

void orch_worker_start(orch *o, worker *w);
void orch_worker_kill(worker *w, const char *why);
/* Sends {"op": op} to w when it is registered. */
void orch_worker_send_simple(worker *w, const char *op);
/* Stops one worker for good ("stop DAEMON"): asks it to shut down, kills it later if need be. */
void orch_worker_stop(worker *w);
/* Kills workers past their stop grace and restarts crashed ones that are due. */
void orch_supervise_tick(orch *o, uint64_t now);
/* Pings every registered worker once per health_check_interval, killing one that left the last ping unanswered. */
void orch_supervise_health_tick(orch *o, uint64_t now);
/* Shutdown: once no job runs, tells every worker to stop (once). */
void orch_supervise_stop_workers(orch *o, uint64_t now);
bool orch_all_workers_gone(orch *o);

#endif
