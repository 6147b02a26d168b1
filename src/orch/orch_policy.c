/* orch_policy.c - the orchestrator's decisions as pure functions of state and time (orch_policy.h). */
#include "orch_policy.h"

uint64_t orch_policy_restart_delay_ms(int restarts)
{
    /* Shift at most 7 times: 250 << 7 is already past the cap, and a larger
     * shift would overflow for a daemon that has crashed very often. */
    int doublings = restarts < 0 ? 0 : restarts < 7 ? restarts : 7;
    uint64_t delay = (uint64_t)ORCH_RESTART_BACKOFF_MIN_MS << doublings;
    return delay > ORCH_RESTART_BACKOFF_MAX_MS ? ORCH_RESTART_BACKOFF_MAX_MS : delay;
}

bool orch_policy_restart_due(bool stopping, bool wanted, bool alive, uint64_t restart_at_ms, uint64_t now_ms)
{
    return !stopping && wanted && !alive && orch_policy_due(restart_at_ms, now_ms);
}

bool orch_policy_due(uint64_t deadline_ms, uint64_t now_ms)
{
    return deadline_ms != 0 && now_ms >= deadline_ms;
}

int orch_policy_crash_streak(int streak, uint64_t started_ms, uint64_t now_ms)
{
    return now_ms - started_ms >= ORCH_HEALTHY_RUN_MS ? 0 : streak;
}

bool orch_policy_retries(int attempts, int64_t max_retries)
{
    return attempts <= max_retries;
}

int64_t orch_policy_retry_at_ms(int64_t now_wall_ms, int64_t retry_delay_seconds)
{
    return now_wall_ms + retry_delay_seconds * 1000;
}

int64_t orch_policy_timeout_ms(int64_t job_timeout_seconds, int64_t default_timeout_seconds)
{
    return (job_timeout_seconds > 0 ? job_timeout_seconds : default_timeout_seconds) * 1000;
}

bool orch_policy_timed_out(uint64_t started_ms, int64_t timeout_ms, uint64_t now_ms)
{
    return timeout_ms > 0 && now_ms - started_ms >= (uint64_t)timeout_ms;
}

orch_health_step orch_policy_health(bool alive, bool ping_outstanding, bool registered)
{
    if (!alive)
        return ORCH_HEALTH_SKIP;
    if (ping_outstanding)
        return ORCH_HEALTH_KILL;
    return registered ? ORCH_HEALTH_PING : ORCH_HEALTH_SKIP;
}

bool orch_policy_may_start(size_t running, int64_t max_concurrent_jobs)
{
    return (int64_t)running < max_concurrent_jobs;
}

size_t orch_policy_skip_types(const bool ready[DAEMON_COUNT], const char *skip[JOB_TYPE_COUNT + 1])
{
    size_t n = 0;
    for (int t = 0; t < JOB_TYPE_COUNT; t++)
        if (!ready[job_type_table[t].daemon])
            skip[n++] = job_type_table[t].name;
    skip[n] = NULL;
    return n;
}
