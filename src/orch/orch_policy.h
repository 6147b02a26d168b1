/* orch_policy.h - the orchestrator's decisions as pure functions of state and time: restart backoff, retries, timeouts, health, what may be scheduled. */
#ifndef JMAKE_ORCH_POLICY_H
#define JMAKE_ORCH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "jobtype.h"

/* Times are milliseconds; "monotonic" ones come from clock_monotonic_ms, and
 * a deadline of 0 means none is set. Nothing here reads a clock or touches a
 * process: the callers in orch_jobs.c and orch_supervise.c pass now in. */

/* A crashed worker is restarted after 250 ms, doubling with each restart up to this. */
#define ORCH_RESTART_BACKOFF_MIN_MS 250
#define ORCH_RESTART_BACKOFF_MAX_MS 30000
/* After a failed spawn (fork/exec failed), the next try. */
#define ORCH_SPAWN_RETRY_MS 1000
/* A running job whose worker ignores a cancel this long is ended by killing the worker. */
#define ORCH_CANCEL_GRACE_MS 1000
/* A worker asked to shut down is killed if it still lives this long after. */
#define ORCH_WORKER_STOP_GRACE_MS 5000

/* How long after a crash a worker that has already been restarted `restarts`
 * times is started again: exponential, so that a daemon crashing at start-up
 * does not spin. */
uint64_t orch_policy_restart_delay_ms(int restarts);

/* A worker that ran this long before it died was healthy: its backoff starts over. */
#define ORCH_HEALTHY_RUN_MS 60000
/* The crash streak to continue from when a worker spawned at started_ms dies at
 * now_ms: 0 after a healthy run (so eight crashes spread over an afternoon do
 * not make every later restart wait 30 s), else the streak so far. */
int orch_policy_crash_streak(int streak, uint64_t started_ms, uint64_t now_ms);

/* Whether a worker is started again now: it should run, it does not, a
 * restart is scheduled and due, and the daemons are not stopping. */
bool orch_policy_restart_due(bool stopping, bool wanted, bool alive, uint64_t restart_at_ms, uint64_t now_ms);

/* Whether a deadline (0: none) has come. */
bool orch_policy_due(uint64_t deadline_ms, uint64_t now_ms);

/* A job that ended without a verdict of its own (its daemon died, it timed
 * out, the daemon called the failure retryable) after `attempts` starts is
 * run again while attempts <= max_retries, else it fails. */
bool orch_policy_retries(int attempts, int64_t max_retries);
/* The wall-clock time a retry decided at now_wall_ms may start. */
int64_t orch_policy_retry_at_ms(int64_t now_wall_ms, int64_t retry_delay_seconds);

/* A job's time limit: its own timeout_seconds, or the configuration's when it has none (0). */
int64_t orch_policy_timeout_ms(int64_t job_timeout_seconds, int64_t default_timeout_seconds);
/* Whether a job started at started_ms (monotonic) has used up timeout_ms (0: no limit). */
bool orch_policy_timed_out(uint64_t started_ms, int64_t timeout_ms, uint64_t now_ms);

/* What the health check does with one worker. */
typedef enum orch_health_step {
    ORCH_HEALTH_SKIP,   /* not running, or not registered yet: nothing to ask */
    ORCH_HEALTH_PING,   /* send a ping */
    ORCH_HEALTH_KILL,   /* the last ping has had no answer for a whole interval: hung */
} orch_health_step;
orch_health_step orch_policy_health(bool alive, bool ping_outstanding, bool registered);

/* Whether another job may start with `running` jobs running. */
bool orch_policy_may_start(size_t running, int64_t max_concurrent_jobs);

/* The job types that cannot start now because their daemon has not
 * registered (ready[daemon] false): fills skip with their names (borrowed
 * from job_type_table), NULL-terminated, and returns how many. */
size_t orch_policy_skip_types(const bool ready[DAEMON_COUNT], const char *skip[JOB_TYPE_COUNT + 1]);

#endif
