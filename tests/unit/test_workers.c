/* test_workers.c - the worker daemon descriptors agree with the job-type table, and a job type a daemon does not run fails as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtype.h"
#include "testutil.h"
#include "worker.h"

/* Every daemon but the orchestrator has a descriptor, filed under its own kind. */
static void test_table_holds_one_descriptor_per_worker(void **state)
{
    assert_null(worker_daemon_table[DAEMON_ORCHESTRATOR]);
    for (int k = 0; k < DAEMON_COUNT; k++) {
        if (k == DAEMON_ORCHESTRATOR)
            continue;
        const worker_daemon *desc = worker_daemon_table[k];
        assert_non_null(desc);
        assert_int_equal(desc->kind, k);
        /* State made by start must be freed by stop. */
        assert_int_equal(desc->start == NULL, desc->stop == NULL);
        /* A message named like a common one would never reach the descriptor. */
        static const char *const common_ops[] = {"ping", "run", "cancel", "shutdown"};
        for (const worker_message *m = desc->messages; m && m->op; m++) {
            assert_non_null(m->handle);
            for (size_t i = 0; i < sizeof common_ops / sizeof common_ops[0]; i++)
                assert_string_not_equal(m->op, common_ops[i]);
        }
    }
}

/* Each row of job_type_table has a handler in the descriptor of the daemon it names. */
static void test_every_job_type_has_a_handler_in_its_daemon(void **state)
{
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        daemon_kind kind = job_type_table[t].daemon;
        assert_true(kind != DAEMON_ORCHESTRATOR);
        const worker_daemon *desc = worker_daemon_table[kind];
        assert_non_null(desc);
        if (!desc->handlers[t])
            fail_msg("job type '%s' has no handler in the %s daemon", job_type_table[t].name,
                     daemon_table[kind].name);
    }
}

/* No descriptor handles a type the table gives to another daemon. */
static void test_no_daemon_handles_another_daemons_type(void **state)
{
    for (int k = 0; k < DAEMON_COUNT; k++) {
        const worker_daemon *desc = worker_daemon_table[k];
        if (!desc)
            continue;
        for (int t = 0; t < JOB_TYPE_COUNT; t++)
            if (desc->handlers[t] && job_type_table[t].daemon != (daemon_kind)k)
                fail_msg("the %s daemon handles '%s', which the table gives to %s", daemon_table[k].name,
                         job_type_table[t].name, daemon_table[job_type_table[t].daemon].name);
    }
}

static void test_handler_lookup_by_type_name(void **state)
{
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        const worker_daemon *desc = worker_daemon_table[job_type_table[t].daemon];
        assert_ptr_equal(worker_handler_for(desc, job_type_table[t].name), desc->handlers[t]);
    }
    assert_ptr_equal(worker_handler_for(&worker_discovery_daemon, "discovery"), worker_run_discovery);
    assert_ptr_equal(worker_handler_for(&worker_compilation_daemon, "compilation"), worker_run_compilation);
    /* A type of another daemon, an unknown type, no type: all fail the same way. */
    assert_ptr_equal(worker_handler_for(&worker_compilation_daemon, "discovery"), worker_run_not_implemented);
    assert_ptr_equal(worker_handler_for(&worker_watcher_daemon, "compilation"), worker_run_not_implemented);
    assert_ptr_equal(worker_handler_for(&worker_discovery_daemon, "linking"), worker_run_not_implemented);
    assert_ptr_equal(worker_handler_for(&worker_discovery_daemon, NULL), worker_run_not_implemented);
}

/* A job the daemon does not run fails, not retryable, with the reason the CLI shows. */
static void test_job_of_another_daemon_fails_with_reason(void **state)
{
    char *dir = test_tempdir("workers");
    char *log_path = path_join(dir, "j.log");
    worker_job job = {.id = "j", .type = "discovery", .log_path = log_path};
    worker_outcome out = worker_handler_for(&worker_compilation_daemon, job.type)(&job);
    assert_false(out.completed);
    assert_false(out.retryable);
    assert_string_equal(out.reason, "job type 'discovery' is not implemented yet in this version of jmake");
    assert_null(out.result);
    free(out.reason);
    remove(log_path);
    rmdir(dir);
    free(log_path);
    free(dir);
}

/* The build daemon keeps the cache: it answers "evict" and trims on a timer. */
static void test_build_daemon_keeps_the_cache(void **state)
{
    const worker_message *m = worker_build_daemon.messages;
    while (m && m->op && strcmp(m->op, "evict") != 0)
        m++;
    assert_non_null(m);
    assert_non_null(m->op);
    assert_non_null(worker_build_daemon.timers);
    assert_non_null(worker_build_daemon.timers[0].fire);
    assert_true(worker_build_daemon.timers[0].interval_ms > 0);
    for (int k = 0; k < DAEMON_COUNT; k++)
        if (worker_daemon_table[k] && k != DAEMON_BUILD)
            for (const worker_message *o = worker_daemon_table[k]->messages; o && o->op; o++)
                assert_string_not_equal(o->op, "evict");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_holds_one_descriptor_per_worker),
        cmocka_unit_test(test_every_job_type_has_a_handler_in_its_daemon),
        cmocka_unit_test(test_no_daemon_handles_another_daemons_type),
        cmocka_unit_test(test_handler_lookup_by_type_name),
        cmocka_unit_test(test_job_of_another_daemon_fails_with_reason),
        cmocka_unit_test(test_build_daemon_keeps_the_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
