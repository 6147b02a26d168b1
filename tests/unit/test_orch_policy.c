/* test_orch_policy.c - the orchestrator's decisions (restart backoff, retries, timeouts, health, scheduling), without a daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "orch_policy.h"

static void test_restart_backoff(void **state)
{
    (void)state;
    assert_int_equal(orch_policy_restart_delay_ms(0), 250);
    assert_int_equal(orch_policy_restart_delay_ms(1), 500);
    assert_int_equal(orch_policy_restart_delay_ms(2), 1000);
    assert_int_equal(orch_policy_restart_delay_ms(6), 16000);
    /* 250 << 7 = 32000 is past the cap. */
    assert_int_equal(orch_policy_restart_delay_ms(7), ORCH_RESTART_BACKOFF_MAX_MS);
    assert_int_equal(orch_policy_restart_delay_ms(1000), ORCH_RESTART_BACKOFF_MAX_MS);
    for (int n = 0; n < 20; n++)
        assert_true(orch_policy_restart_delay_ms(n + 1) >= orch_policy_restart_delay_ms(n));
}

/* Backoff decays: after a healthy run the streak starts over. */
static void test_crash_streak_decays(void **state)
{
    (void)state;
    /* Eight quick crashes: the streak grows, and with it the wait. */
    int streak = 0;
    uint64_t t = 1000000;
    for (int i = 0; i < 8; i++) {
        streak = orch_policy_crash_streak(streak, t, t + 2000) + 1;
        t += 2000 + orch_policy_restart_delay_ms(streak - 1);
    }
    assert_int_equal(streak, 8);
    assert_int_equal(orch_policy_restart_delay_ms(streak), ORCH_RESTART_BACKOFF_MAX_MS);
    /* Then it runs healthily for a minute before the next crash: 250 ms again. */
    streak = orch_policy_crash_streak(streak, t, t + ORCH_HEALTHY_RUN_MS);
    assert_int_equal(streak, 0);
    assert_int_equal(orch_policy_restart_delay_ms(streak), ORCH_RESTART_BACKOFF_MIN_MS);
    /* Just short of healthy keeps the streak. */
    assert_int_equal(orch_policy_crash_streak(5, t, t + ORCH_HEALTHY_RUN_MS - 1), 5);
}

static void test_restart_due(void **state)
{
    (void)state;
    assert_true(orch_policy_restart_due(false, true, false, 1000, 1000));
    assert_true(orch_policy_restart_due(false, true, false, 1000, 5000));
    assert_false(orch_policy_restart_due(false, true, false, 1000, 999));
    assert_false(orch_policy_restart_due(false, true, false, 0, 5000));   /* none scheduled */
    assert_false(orch_policy_restart_due(true, true, false, 1000, 5000));  /* stopping */
    assert_false(orch_policy_restart_due(false, false, false, 1000, 5000)); /* "stop DAEMON" */
    assert_false(orch_policy_restart_due(false, true, true, 1000, 5000));  /* already running */
}

static void test_deadlines(void **state)
{
    (void)state;
    assert_false(orch_policy_due(0, 123456));
    assert_false(orch_policy_due(100, 99));
    assert_true(orch_policy_due(100, 100));
    assert_true(orch_policy_due(100, 101));
}

static void test_retries(void **state)
{
    (void)state;
    /* max_retries = 2: the first run and two retries, then it fails. */
    assert_true(orch_policy_retries(1, 2));
    assert_true(orch_policy_retries(2, 2));
    assert_false(orch_policy_retries(3, 2));
    assert_false(orch_policy_retries(1, 0));
    assert_int_equal(orch_policy_retry_at_ms(1700000000000, 5), 1700000005000);
    assert_int_equal(orch_policy_retry_at_ms(42, 0), 42);
}

static void test_timeouts(void **state)
{
    (void)state;
    assert_int_equal(orch_policy_timeout_ms(0, 3600), 3600000);
    assert_int_equal(orch_policy_timeout_ms(30, 3600), 30000);
    assert_false(orch_policy_timed_out(1000, 30000, 30999));
    assert_true(orch_policy_timed_out(1000, 30000, 31000));
    assert_true(orch_policy_timed_out(1000, 30000, 99999));
    assert_false(orch_policy_timed_out(1000, 0, UINT64_MAX / 2)); /* no limit */
}

static void test_health(void **state)
{
    (void)state;
    assert_int_equal(orch_policy_health(false, true, true), ORCH_HEALTH_SKIP);
    assert_int_equal(orch_policy_health(true, false, false), ORCH_HEALTH_SKIP);
    assert_int_equal(orch_policy_health(true, false, true), ORCH_HEALTH_PING);
    assert_int_equal(orch_policy_health(true, true, true), ORCH_HEALTH_KILL);
    /* A hung worker that lost its connection is still killed. */
    assert_int_equal(orch_policy_health(true, true, false), ORCH_HEALTH_KILL);
}

static bool listed(const char *const *skip, const char *name)
{
    for (size_t i = 0; skip[i]; i++)
        if (strcmp(skip[i], name) == 0)
            return true;
    return false;
}

static void test_scheduling(void **state)
{
    (void)state;
    assert_true(orch_policy_may_start(0, 1));
    assert_false(orch_policy_may_start(4, 4));
    assert_false(orch_policy_may_start(0, 0));

    bool ready[DAEMON_COUNT] = {0};
    const char *skip[JOB_TYPE_COUNT + 1];
    assert_int_equal(orch_policy_skip_types(ready, skip), JOB_TYPE_COUNT);
    assert_null(skip[JOB_TYPE_COUNT]);
    for (int t = 0; t < JOB_TYPE_COUNT; t++)
        assert_true(listed(skip, job_type_table[t].name));

    ready[DAEMON_COMPILATION] = true;
    size_t n = orch_policy_skip_types(ready, skip);
    assert_int_equal(n, JOB_TYPE_COUNT - 1);
    assert_null(skip[n]);
    assert_false(listed(skip, "compilation"));
    assert_true(listed(skip, "wrapping"));

    for (int k = 0; k < DAEMON_COUNT; k++)
        ready[k] = true;
    assert_int_equal(orch_policy_skip_types(ready, skip), 0);
    assert_null(skip[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_backoff), cmocka_unit_test(test_crash_streak_decays), cmocka_unit_test(test_restart_due),
        cmocka_unit_test(test_deadlines),       cmocka_unit_test(test_retries),
        cmocka_unit_test(test_timeouts),        cmocka_unit_test(test_health),
        cmocka_unit_test(test_scheduling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
