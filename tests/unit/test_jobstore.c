/* test_jobstore.c - the persistent queue: submits, scheduling order, dependencies, recovery, scale. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "jobstore.h"
#include "util.h"

typedef struct fixture {
    char dir[64];
    char *db_path;
    jobstore *store;
} fixture;

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/jmake-jobstore-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->db_path = path_join(fx->dir, "jobs.db");
    char err[256] = "";
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    if (!fx->store)
        fail_msg("jobstore_open: %s", err);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    jobstore_close(fx->store);
    remove_tree(fx->dir);
    free(fx->db_path);
    free(fx);
    return 0;
}

/* A spec on the stack whose strings point at literals: never passed to job_spec_free. */
static job_spec spec_of(const char *id, const char *type, int priority)
{
    job_spec s;
    memset(&s, 0, sizeof s);
    s.id = (char *)id;
    s.type = (char *)type;
    s.priority = priority;
    return s;
}

static void submit_one(jobstore *store, job_spec spec, int64_t now)
{
    char err[256] = "";
    if (jobstore_submit(store, &spec, 1, NULL, now, err, sizeof err) != 0)
        fail_msg("submit %s: %s", spec.id ? spec.id : "(generated)", err);
}

static job_state state_of(jobstore *store, const char *id)
{
    job_record rec;
    if (jobstore_get(store, id, &rec) != 0)
        fail_msg("no job %s", id);
    job_state s = rec.state;
    job_record_free(&rec);
    return s;
}

/* Takes the next runnable job, marks it running and returns its id (caller frees), or NULL. */
static char *take_next(jobstore *store, int64_t now, const char *const *skip)
{
    job_record rec;
    int rc = jobstore_next_runnable(store, now, skip, &rec);
    assert_true(rc == 0 || rc == 1);
    if (rc == 0)
        return NULL;
    char *id = xstrdup(rec.id);
    job_record_free(&rec);
    assert_int_equal(jobstore_mark_running(store, id, "test", now), 0);
    return id;
}

static void expect_next(jobstore *store, int64_t now, const char *const *skip, const char *expected)
{
    char *id = take_next(store, now, skip);
    if (expected == NULL) {
        if (id)
            fail_msg("expected no runnable job, got %s", id);
        return;
    }
    if (!id)
        fail_msg("expected %s, got no runnable job", expected);
    assert_string_equal(id, expected);
    free(id);
}

static void test_submit_and_get(void **state)
{
    fixture *fx = *state;
    job_spec s = spec_of("compile_project", "compilation", 1);
    s.config_file = "/p/jmake.toml";
    s.args_json = "{\"x\":1}";
    s.timeout_seconds = 42;
    char *ids[1];
    char err[256] = "";
    assert_int_equal(jobstore_submit(fx->store, &s, 1, ids, 1000, err, sizeof err), 0);
    assert_string_equal(ids[0], "compile_project");
    free(ids[0]);

    job_record rec;
    assert_int_equal(jobstore_get(fx->store, "compile_project", &rec), 0);
    assert_string_equal(rec.type, "compilation");
    assert_int_equal(rec.priority, 1);
    assert_int_equal(rec.state, JOB_PENDING);
    assert_string_equal(rec.config_file, "/p/jmake.toml");
    assert_null(rec.binary_path);
    assert_string_equal(rec.args_json, "{\"x\":1}");
    assert_int_equal(rec.timeout_seconds, 42);
    assert_int_equal(rec.attempts, 0);
    assert_int_equal(rec.submitted_ms, 1000);
    assert_int_equal(rec.started_ms, 0);
    assert_int_equal(rec.depends_on.n, 0);
    job_record_free(&rec);

    assert_int_equal(jobstore_get(fx->store, "nope", &rec), -1);
    assert_int_equal(jobstore_count(fx->store, -1), 1);
    assert_int_equal(jobstore_count(fx->store, JOB_PENDING), 1);
    assert_int_equal(jobstore_count(fx->store, JOB_RUNNING), 0);
}

static void test_generated_ids(void **state)
{
    fixture *fx = *state;
    /* The user takes the name the store would generate for the second job. */
    submit_one(fx->store, spec_of("job-2", "discovery", 5), 1);
    job_spec s = spec_of(NULL, "discovery", 5);
    char *ids[2];
    job_spec two[2] = {s, s};
    char err[256] = "";
    assert_int_equal(jobstore_submit(fx->store, two, 2, ids, 2, err, sizeof err), 0);
    assert_string_not_equal(ids[0], "job-2");
    assert_string_not_equal(ids[1], "job-2");
    assert_string_not_equal(ids[0], ids[1]);
    assert_int_equal(strncmp(ids[0], "job-", 4), 0);
    job_record rec;
    assert_int_equal(jobstore_get(fx->store, ids[0], &rec), 0);
    job_record_free(&rec);
    assert_int_equal(jobstore_get(fx->store, ids[1], &rec), 0);
    job_record_free(&rec);
    assert_int_equal(jobstore_count(fx->store, -1), 3);
    free(ids[0]);
    free(ids[1]);
}

static void test_batch_all_or_nothing(void **state)
{
    fixture *fx = *state;
    char err[256] = "";
    job_spec batch[3] = {spec_of("a", "compilation", 1), spec_of("b", "wrapping", 2), spec_of("a", "discovery", 3)};
    char *ids[3] = {NULL, NULL, NULL};
    assert_int_equal(jobstore_submit(fx->store, batch, 3, ids, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "'a'"));
    assert_null(ids[0]);
    assert_int_equal(jobstore_count(fx->store, -1), 0);

    /* Clash with a stored job. */
    submit_one(fx->store, spec_of("b", "compilation", 1), 1);
    job_spec batch2[2] = {spec_of("c", "compilation", 1), spec_of("b", "compilation", 1)};
    assert_int_equal(jobstore_submit(fx->store, batch2, 2, NULL, 1, err, sizeof err), -1);
    assert_int_equal(jobstore_count(fx->store, -1), 1);
    assert_int_equal(jobstore_get(fx->store, "c", &(job_record){0}), -1);

    /* Unknown dependency. */
    job_spec d = spec_of("d", "compilation", 1);
    strvec_push(&d.depends_on, "ghost");
    assert_int_equal(jobstore_submit(fx->store, &d, 1, NULL, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "ghost"));
    strvec_free(&d.depends_on);

    /* A cycle inside one batch would never run. */
    job_spec cyc[2] = {spec_of("x", "compilation", 1), spec_of("y", "compilation", 1)};
    strvec_push(&cyc[0].depends_on, "y");
    strvec_push(&cyc[1].depends_on, "x");
    assert_int_equal(jobstore_submit(fx->store, cyc, 2, NULL, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "cycle"));
    strvec_free(&cyc[0].depends_on);
    strvec_free(&cyc[1].depends_on);
    assert_int_equal(jobstore_count(fx->store, -1), 1);

    /* The store still works after failed batches. */
    job_spec ok[2] = {spec_of("later", "wrapping", 1), spec_of("first", "compilation", 1)};
    strvec_push(&ok[0].depends_on, "first"); /* a dependency listed after its dependent */
    assert_int_equal(jobstore_submit(fx->store, ok, 2, NULL, 1, err, sizeof err), 0);
    strvec_free(&ok[0].depends_on);
    assert_int_equal(jobstore_count(fx->store, -1), 3);
}

static void test_priority_then_fifo(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("p5-first", "compilation", 5), 1);
    submit_one(fx->store, spec_of("p1", "compilation", 1), 2);
    submit_one(fx->store, spec_of("p5-second", "compilation", 5), 3);
    submit_one(fx->store, spec_of("p0", "compilation", 0), 4);
    submit_one(fx->store, spec_of("p7", "compilation", 7), 5);
    submit_one(fx->store, spec_of("p5-third", "compilation", 5), 6);
    const char *order[] = {"p0", "p1", "p5-first", "p5-second", "p5-third", "p7"};
    for (size_t i = 0; i < 6; i++)
        expect_next(fx->store, 10, NULL, order[i]);
    expect_next(fx->store, 10, NULL, NULL);
    assert_int_equal(jobstore_count(fx->store, JOB_RUNNING), 6);
}

static void test_dependencies_hold(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("a", "compilation", 5), 1);
    job_spec b = spec_of("b", "wrapping", 0);
    strvec_push(&b.depends_on, "a");
    submit_one(fx->store, b, 2);
    strvec_free(&b.depends_on);

    /* b has the better priority but waits for a. */
    expect_next(fx->store, 10, NULL, "a");
    expect_next(fx->store, 10, NULL, NULL);
    assert_int_equal(jobstore_finish(fx->store, "a", JOB_COMPLETED, "{\"ok\":true}", NULL, 20), 0);
    expect_next(fx->store, 30, NULL, "b");

    job_record rec;
    assert_int_equal(jobstore_get(fx->store, "b", &rec), 0);
    assert_int_equal(rec.depends_on.n, 1);
    assert_string_equal(rec.depends_on.v[0], "a");
    job_record_free(&rec);
    assert_int_equal(jobstore_get(fx->store, "a", &rec), 0);
    assert_int_equal(rec.state, JOB_COMPLETED);
    assert_string_equal(rec.result_json, "{\"ok\":true}");
    assert_int_equal(rec.finished_ms, 20);
    job_record_free(&rec);

    /* A final state is final. */
    assert_int_equal(jobstore_finish(fx->store, "a", JOB_FAILED, NULL, "late", 40), -1);
    assert_int_equal(state_of(fx->store, "a"), JOB_COMPLETED);
    assert_int_equal(jobstore_finish(fx->store, "b", JOB_RUNNING, NULL, NULL, 40), -1);
}

static void expect_failed_because(jobstore *store, const char *id, const char *reason)
{
    job_record rec;
    assert_int_equal(jobstore_get(store, id, &rec), 0);
    assert_int_equal(rec.state, JOB_FAILED);
    assert_non_null(rec.reason);
    assert_string_equal(rec.reason, reason);
    assert_true(rec.finished_ms > 0);
    job_record_free(&rec);
}

static void test_failed_dependency_cascades(void **state)
{
    fixture *fx = *state;
    job_spec batch[4] = {spec_of("a", "compilation", 1), spec_of("b", "wrapping", 1), spec_of("c", "wrapping", 1),
                         spec_of("free", "discovery", 9)};
    strvec_push(&batch[1].depends_on, "a");
    strvec_push(&batch[2].depends_on, "b");
    char err[256] = "";
    assert_int_equal(jobstore_submit(fx->store, batch, 4, NULL, 1, err, sizeof err), 0);
    strvec_free(&batch[1].depends_on);
    strvec_free(&batch[2].depends_on);

    expect_next(fx->store, 10, NULL, "a");
    assert_int_equal(jobstore_finish(fx->store, "a", JOB_FAILED, NULL, "compile error", 20), 0);
    expect_failed_because(fx->store, "b", "dependency a failed");
    expect_failed_because(fx->store, "c", "dependency b failed");
    expect_next(fx->store, 30, NULL, "free");
    expect_next(fx->store, 30, NULL, NULL);

    /* Cancelling a pending dependency fails its dependents with that reason. */
    submit_one(fx->store, spec_of("x", "compilation", 1), 40);
    job_spec y = spec_of("y", "compilation", 1);
    strvec_push(&y.depends_on, "x");
    submit_one(fx->store, y, 41);
    assert_int_equal(jobstore_cancel_pending(fx->store, "x", 50), JOB_PENDING);
    expect_failed_because(fx->store, "y", "dependency x was cancelled");

    /* Depending on a job that already failed: failed at the next scheduling pass. */
    y.id = "z";
    strvec_free(&y.depends_on);
    strvec_push(&y.depends_on, "a");
    submit_one(fx->store, y, 60);
    strvec_free(&y.depends_on);
    expect_next(fx->store, 70, NULL, NULL);
    expect_failed_because(fx->store, "z", "dependency a failed");

    /* Failed dependents can now be cleaned with their failed dependency. */
    assert_true(jobstore_clean(fx->store, 1000, NULL) >= 5);
}

static void test_skip_types(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("c1", "compilation", 0), 1);
    submit_one(fx->store, spec_of("w1", "wrapping", 3), 2);
    submit_one(fx->store, spec_of("d1", "discovery", 4), 3);
    const char *const skip[] = {"compilation", "wrapping", NULL};
    expect_next(fx->store, 10, skip, "d1");
    expect_next(fx->store, 10, skip, NULL);
    const char *const skip_wrap[] = {"wrapping", NULL};
    expect_next(fx->store, 10, skip_wrap, "c1");
    expect_next(fx->store, 10, NULL, "w1");
}

static void test_running_attempts_and_requeue(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("r", "compilation", 1), 1);
    assert_int_equal(jobstore_mark_running(fx->store, "r", "compilation", 100), 0);
    /* Already running: a second start is refused. */
    assert_int_equal(jobstore_mark_running(fx->store, "r", "compilation", 101), -1);
    assert_int_equal(jobstore_mark_running(fx->store, "unknown", "compilation", 101), -1);

    job_record rec;
    assert_int_equal(jobstore_get(fx->store, "r", &rec), 0);
    assert_int_equal(rec.state, JOB_RUNNING);
    assert_int_equal(rec.attempts, 1);
    assert_int_equal(rec.started_ms, 100);
    assert_string_equal(rec.worker, "compilation");
    job_record_free(&rec);

    /* A retry waits until not_before. */
    assert_int_equal(jobstore_requeue(fx->store, "r", 5000, "timeout after 300 s"), 0);
    assert_int_equal(jobstore_get(fx->store, "r", &rec), 0);
    assert_int_equal(rec.state, JOB_PENDING);
    assert_int_equal(rec.not_before_ms, 5000);
    assert_string_equal(rec.reason, "timeout after 300 s");
    assert_null(rec.worker);
    job_record_free(&rec);
    expect_next(fx->store, 4999, NULL, NULL);
    expect_next(fx->store, 5000, NULL, "r");
    assert_int_equal(jobstore_get(fx->store, "r", &rec), 0);
    assert_int_equal(rec.attempts, 2);
    job_record_free(&rec);

    assert_int_equal(jobstore_finish(fx->store, "r", JOB_COMPLETED, NULL, NULL, 6000), 0);
    assert_int_equal(jobstore_requeue(fx->store, "r", 0, "no"), -1);
}

/* The child submits and starts a job, then dies by SIGKILL without closing the store. */
static void test_durable_across_kill(void **state)
{
    fixture *fx = *state;
    jobstore_close(fx->store);
    fx->store = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        jobstore *store = jobstore_open(fx->db_path, err, sizeof err);
        if (!store)
            _exit(10);
        job_spec specs[2] = {spec_of("survivor", "compilation", 1), spec_of("waiting", "wrapping", 2)};
        if (jobstore_submit(store, specs, 2, NULL, 1, err, sizeof err) != 0)
            _exit(11);
        if (jobstore_mark_running(store, "survivor", "compilation", 2) != 0)
            _exit(12);
        raise(SIGKILL);
        _exit(13);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    char err[256] = "";
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    if (!fx->store)
        fail_msg("reopen: %s", err);
    assert_int_equal(state_of(fx->store, "survivor"), JOB_RUNNING);
    assert_int_equal(state_of(fx->store, "waiting"), JOB_PENDING);
    int failed = -1;
    assert_int_equal(jobstore_requeue_all_running(fx->store, 3, 5, &failed), 1);
    assert_int_equal(failed, 0);
    job_record rec;
    assert_int_equal(jobstore_get(fx->store, "survivor", &rec), 0);
    assert_int_equal(rec.state, JOB_PENDING);
    assert_int_equal(rec.attempts, 1); /* the interrupted run counts */
    assert_non_null(rec.reason);
    job_record_free(&rec);
    assert_int_equal(jobstore_requeue_all_running(fx->store, 3, 5, &failed), 0);
    expect_next(fx->store, 10, NULL, "survivor");
}

/* The attempts are in the store: a job interrupted by orchestrator deaths
 * more often than max_retries allows fails at the next start, whatever the
 * orchestrator remembered (it remembers nothing across a kill). */
static void test_retry_limit_across_restarts(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("crashy", "compilation", 1), 1);
    submit_one(fx->store, spec_of("after", "discovery", 1), 1);
    int failed = -1;
    /* max_retries = 2: three attempts in all, the third interrupted too. */
    for (int attempt = 1; attempt <= 3; attempt++) {
        assert_int_equal(jobstore_mark_running(fx->store, "crashy", "compilation", attempt), JOBSTORE_OK);
        int requeued = jobstore_requeue_all_running(fx->store, 2, attempt, &failed);
        assert_int_equal(requeued, attempt <= 2 ? 1 : 0);
        assert_int_equal(failed, attempt <= 2 ? 0 : 1);
    }
    job_record rec;
    assert_int_equal(jobstore_get(fx->store, "crashy", &rec), JOBSTORE_OK);
    assert_int_equal(rec.state, JOB_FAILED);
    assert_int_equal(rec.attempts, 3);
    assert_non_null(strstr(rec.reason, "after 3 attempts, max_retries = 2"));
    job_record_free(&rec);
    assert_int_equal(state_of(fx->store, "after"), JOB_PENDING);   /* others untouched */
}

static void test_cancel_pending(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("p", "compilation", 1), 1);
    submit_one(fx->store, spec_of("r", "compilation", 1), 2);
    assert_int_equal(jobstore_mark_running(fx->store, "r", "compilation", 3), 0);
    assert_int_equal(jobstore_cancel_pending(fx->store, "p", 10), JOB_PENDING);
    assert_int_equal(state_of(fx->store, "p"), JOB_CANCELLED);
    /* A running job is the orchestrator's to stop: reported, left as is. */
    assert_int_equal(jobstore_cancel_pending(fx->store, "r", 10), JOB_RUNNING);
    assert_int_equal(state_of(fx->store, "r"), JOB_RUNNING);
    assert_int_equal(jobstore_cancel_pending(fx->store, "p", 11), JOB_CANCELLED);
    assert_int_equal(jobstore_cancel_pending(fx->store, "ghost", 11), -1);
    expect_next(fx->store, 20, NULL, NULL);
}

/* Collects "id state type;" for test_ids_by_prefix. */
static void collect_id(void *ctx, const char *id, job_state state, const char *type)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 512 - n, "%s %s %s;", id, job_state_name(state), type);
}

/* Completion's id list: exactly the ids with the prefix, oldest first, with a
 * prefix whose last byte is 0xff too (the upper bound carries over). */
static void test_ids_by_prefix(void **state)
{
    fixture *fx = *state;
    const char *ids[] = {"b-2", "a-1", "b-1", "b", "c", "b\xff", "b\xffz", "ba"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        submit_one(fx->store, spec_of(ids[i], "compilation", 1), (int64_t)i + 1);
    assert_int_equal(jobstore_mark_running(fx->store, "b-1", "compilation", 20), 0);
    char buf[512] = "";
    assert_int_equal(jobstore_each_id(fx->store, "b-", collect_id, buf), JOBSTORE_OK);
    assert_string_equal(buf, "b-2 pending compilation;b-1 running compilation;");
    buf[0] = '\0';
    assert_int_equal(jobstore_each_id(fx->store, "b\xff", collect_id, buf), JOBSTORE_OK);
    assert_string_equal(buf, "b\xff pending compilation;b\xffz pending compilation;");
    buf[0] = '\0';
    assert_int_equal(jobstore_each_id(fx->store, "", collect_id, buf), JOBSTORE_OK);
    assert_int_equal(strlen(buf), strlen("b-2 pending compilation;a-1 pending compilation;b-1 running compilation;"
                                         "b pending compilation;c pending compilation;b\xff pending compilation;"
                                         "b\xffz pending compilation;ba pending compilation;"));
    assert_true(strncmp(buf, "b-2 ", 4) == 0);
    buf[0] = '\0';
    assert_int_equal(jobstore_each_id(fx->store, "zz", collect_id, buf), JOBSTORE_OK);
    assert_string_equal(buf, "");
}

static void test_clean_and_list(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("old", "compilation", 1), 1);
    submit_one(fx->store, spec_of("new", "compilation", 1), 2);
    submit_one(fx->store, spec_of("pending", "compilation", 9), 3);
    submit_one(fx->store, spec_of("kept-dep", "compilation", 1), 4);
    job_spec w = spec_of("waits", "wrapping", 9);
    strvec_push(&w.depends_on, "kept-dep");
    submit_one(fx->store, w, 5);
    strvec_free(&w.depends_on);
    assert_int_equal(jobstore_finish(fx->store, "old", JOB_COMPLETED, NULL, NULL, 100), 0);
    assert_int_equal(jobstore_finish(fx->store, "new", JOB_FAILED, NULL, "x", 200), 0);
    assert_int_equal(jobstore_finish(fx->store, "kept-dep", JOB_COMPLETED, NULL, NULL, 50), 0);

    job_record *recs = NULL;
    size_t n = 0;
    assert_int_equal(jobstore_list(fx->store, JOB_COMPLETED, &recs, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(recs[0].id, "old");
    assert_string_equal(recs[1].id, "kept-dep");
    for (size_t i = 0; i < n; i++)
        job_record_free(&recs[i]);
    free(recs);

    /* "kept-dep" finished early but a pending job still waits for it. */
    strvec removed = {0};
    assert_int_equal(jobstore_clean(fx->store, 150, &removed), 1);
    assert_int_equal(removed.n, 1);
    assert_string_equal(removed.v[0], "old");
    strvec_free(&removed);
    assert_int_equal(jobstore_get(fx->store, "old", &(job_record){0}), -1);
    assert_int_equal(state_of(fx->store, "kept-dep"), JOB_COMPLETED);
    assert_int_equal(jobstore_clean(fx->store, 1000, NULL), 1);
    assert_int_equal(state_of(fx->store, "pending"), JOB_PENDING);

    assert_int_equal(jobstore_list(fx->store, -1, &recs, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(recs[0].id, "pending");
    assert_string_equal(recs[1].id, "kept-dep");
    assert_string_equal(recs[2].id, "waits");
    assert_true(recs[0].seq < recs[1].seq && recs[1].seq < recs[2].seq);
    for (size_t i = 0; i < n; i++)
        job_record_free(&recs[i]);
    free(recs);
}

static void exec_or_fail(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void test_schema_version_guard(void **state)
{
    fixture *fx = *state;
    jobstore_close(fx->store);
    fx->store = NULL;
    char err[512] = "";

    /* A database from a newer jmake is refused, untouched. */
    exec_or_fail(fx->db_path, "PRAGMA user_version = 99");
    assert_null(jobstore_open(fx->db_path, err, sizeof err));
    assert_non_null(strstr(err, "schema version 99"));

    /* Somebody else's database is not adopted. */
    char *other = path_join(fx->dir, "other.db");
    exec_or_fail(other, "CREATE TABLE t(x)");
    assert_null(jobstore_open(other, err, sizeof err));
    assert_non_null(strstr(err, "not a jmake job database"));
    free(other);

    exec_or_fail(fx->db_path, "PRAGMA user_version = 2");
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    assert_non_null(fx->store);
}

/* A version 1 database (seq AUTOINCREMENT, no meta table) is upgraded in
 * place: its jobs stay, and numbers already handed out are not reused. */
static void test_upgrade_from_v1(void **state)
{
    fixture *fx = *state;
    char *old = path_join(fx->dir, "v1.db");
    exec_or_fail(old,
                 "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, type TEXT NOT NULL,"
                 " priority INTEGER NOT NULL DEFAULT 5, state TEXT NOT NULL DEFAULT 'pending', config_file TEXT,"
                 " binary_path TEXT, args_json TEXT, depends_on TEXT, timeout_seconds INTEGER NOT NULL DEFAULT 0,"
                 " attempts INTEGER NOT NULL DEFAULT 0, submitted_ms INTEGER NOT NULL DEFAULT 0,"
                 " started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0,"
                 " not_before_ms INTEGER NOT NULL DEFAULT 0, worker TEXT, reason TEXT, result_json TEXT);"
                 "CREATE INDEX jobs_sched ON jobs(state, priority, seq);"
                 "CREATE TABLE job_deps (job_seq INTEGER NOT NULL, dep_id TEXT NOT NULL,"
                 " PRIMARY KEY (job_seq, dep_id)) WITHOUT ROWID;"
                 "CREATE INDEX job_deps_dep ON job_deps(dep_id);"
                 "INSERT INTO jobs (seq, id, type) VALUES (1, 'job-1', 'discovery'), (7, 'kept', 'compilation');"
                 "DELETE FROM jobs WHERE seq = 7;"
                 "INSERT INTO jobs (id, type) VALUES ('old', 'compilation');" /* AUTOINCREMENT gives 8 */
                 "PRAGMA user_version = 1;");
    char err[256] = "";
    jobstore *store = jobstore_open(old, err, sizeof err);
    assert_non_null(store);
    job_record rec;
    assert_int_equal(jobstore_get(store, "old", &rec), 0);
    assert_int_equal(rec.seq, 8);
    job_record_free(&rec);
    char *id = NULL;
    job_spec spec = spec_of(NULL, "discovery", 5);
    assert_int_equal(jobstore_submit(store, &spec, 1, &id, 10, err, sizeof err), 0);
    assert_string_equal(id, "job-9");
    free(id);
    /* Cleaning the newest job does not give its number away again. */
    assert_int_equal(jobstore_mark_running(store, "job-9", "t", 11), 0);
    assert_int_equal(jobstore_finish(store, "job-9", JOB_COMPLETED, NULL, NULL, 12), 0);
    assert_int_equal(jobstore_clean(store, 13, NULL), 1);
    jobstore_close(store);
    store = jobstore_open(old, err, sizeof err);
    assert_non_null(store);
    assert_int_equal(jobstore_submit(store, &spec, 1, &id, 20, err, sizeof err), 0);
    assert_string_equal(id, "job-10");
    free(id);
    /* Upgraded through every step: the watch list of version 3 is there. */
    bool added = false;
    assert_int_equal(jobstore_watch_add(store, "/p/jmake.toml", 1, &added), JOBSTORE_OK);
    assert_true(added);
    jobstore_close(store);
    free(old);
}

static void test_durable_settings(void **state)
{
    fixture *fx = *state;
    /* The store holds the file exclusively while open: look at it closed. */
    jobstore_close(fx->store);
    fx->store = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->db_path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    char err[256] = "";
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    assert_non_null(fx->store);

    /* Durable submits per second: one fsynced transaction each. */
    uint64_t t0 = clock_monotonic_ms();
    const int n = 200;
    for (int i = 0; i < n; i++)
        submit_one(fx->store, spec_of(NULL, "compilation", 5), i);
    uint64_t elapsed = clock_monotonic_ms() - t0;
    printf("# %d durable submits in %llu ms (%.0f/s)\n", n, (unsigned long long)elapsed,
           elapsed ? n * 1000.0 / (double)elapsed : 0.0);
    assert_int_equal(jobstore_count(fx->store, JOB_PENDING), n);
}

/* Every statement the store's connection runs, in order (sqlite3_trace_v2 runs
 * beside the statement and does not touch the connection). */
typedef struct sql_trace {
    strvec sql;
} sql_trace;

static int on_sql(unsigned type, void *ctx, void *p, void *x)
{
    sql_trace *t = ctx;
    char *text = sqlite3_expanded_sql(p);
    strvec_push(&t->sql, text ? text : sqlite3_sql(p));
    sqlite3_free(text);
    return 0;
}

static int synchronous_level(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int level = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return level;
}

/* How many traced statements set the synchronous level, and the last level set ("" when none). */
static size_t sync_changes(const sql_trace *t, const char **last)
{
    size_t n = 0;
    *last = "";
    for (size_t i = 0; i < t->sql.n; i++) {
        const char *at = strstr(t->sql.v[i], "synchronous = ");
        if (at) {
            n++;
            *last = at + strlen("synchronous = ");
        }
    }
    return n;
}

/* docs/QUEUE.md: submits and cancels commit with synchronous = FULL (one
 * fsync: they survive a power cut); state changes of acknowledged jobs drop
 * to NORMAL for their own commit and restore FULL. A kill -9 cannot tell
 * these apart (WAL survives it either way), so this looks at the level the
 * store's connection really commits with. */
static void test_commits_run_fully_synchronous(void **state)
{
    fixture *fx = *state;
    sqlite3 *db = jobstore_connection(fx->store);
    const int full = 2;   /* PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL */
    assert_int_equal(synchronous_level(db), full);

    sql_trace t = {0};
    const char *last;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_sql, &t);
    submit_one(fx->store, spec_of("a", "compilation", 5), 1);
    submit_one(fx->store, spec_of("b", "compilation", 5), 1);
    assert_true(t.sql.n > 0);
    /* No level change inside the submits: they committed at the level of the connection, FULL. */
    assert_int_equal(sync_changes(&t, &last), 0);
    assert_int_equal(synchronous_level(db), full);

    strvec_free(&t.sql);
    char *id = take_next(fx->store, 2, NULL);
    assert_string_equal(id, "a");
    free(id);
    assert_int_equal(jobstore_finish(fx->store, "a", JOB_COMPLETED, "{}", NULL, 3), JOBSTORE_OK);
    /* Each state change: NORMAL for its commit, then FULL again. */
    assert_int_equal(sync_changes(&t, &last), 4);
    assert_string_equal(last, "FULL");
    bool saw_normal = false;
    for (size_t i = 0; i < t.sql.n; i++)
        saw_normal |= strstr(t.sql.v[i], "synchronous = NORMAL") != NULL;
    assert_true(saw_normal);
    assert_int_equal(synchronous_level(db), full);

    strvec_free(&t.sql);
    assert_int_equal(jobstore_cancel_pending(fx->store, "b", 4), JOB_PENDING);
    assert_int_equal(sync_changes(&t, &last), 0);
    assert_int_equal(synchronous_level(db), full);

    sqlite3_trace_v2(db, 0, NULL, NULL);
    strvec_free(&t.sql);
}

static void test_hundred_thousand_finished(void **state)
{
    fixture *fx = *state;
    const int total = 100000, batch = 5000;
    job_spec *specs = xcalloc(batch, sizeof *specs);
    char err[256] = "";
    uint64_t t0 = clock_monotonic_ms();
    for (int done = 0; done < total; done += batch) {
        for (int i = 0; i < batch; i++) {
            specs[i] = spec_of(NULL, "compilation", 5);
            specs[i].config_file = "/some/project/jmake.toml";
        }
        if (jobstore_submit(fx->store, specs, batch, NULL, done, err, sizeof err) != 0)
            fail_msg("bulk submit: %s", err);
    }
    free(specs);
    /* Finishing 100,000 jobs one transaction at a time would only measure
     * fsync. The store locks its file while open (locking_mode EXCLUSIVE), so
     * the bulk update happens between a close and a reopen. */
    jobstore_close(fx->store);
    exec_or_fail(fx->db_path, "UPDATE jobs SET state = 'completed', finished_ms = 1000, result_json = '{}'");
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    assert_non_null(fx->store);
    submit_one(fx->store, spec_of("live", "wrapping", 5), 2000);
    uint64_t filled = clock_monotonic_ms() - t0;

    t0 = clock_monotonic_ms();
    const int lookups = 2000;
    for (int i = 0; i < lookups; i++) {
        char id[32];
        snprintf(id, sizeof id, "job-%d", 1 + (i * 7919) % total);
        job_record rec;
        if (jobstore_get(fx->store, id, &rec) != 0)
            fail_msg("missing %s", id);
        assert_int_equal(rec.state, JOB_COMPLETED);
        job_record_free(&rec);
    }
    uint64_t get_ms = clock_monotonic_ms() - t0;

    t0 = clock_monotonic_ms();
    expect_next(fx->store, 3000, NULL, "live");
    expect_next(fx->store, 3000, NULL, NULL);
    uint64_t next_ms = clock_monotonic_ms() - t0;
    assert_int_equal(jobstore_count(fx->store, JOB_COMPLETED), total);
    printf("# 100k rows: filled in %llu ms; %d gets in %llu ms (%.1f us each); 2 scheduling passes in %llu ms\n",
           (unsigned long long)filled, lookups, (unsigned long long)get_ms, get_ms * 1000.0 / lookups,
           (unsigned long long)next_ms);
    /* Indexed lookups: generous bounds that a full scan per get would break. */
    assert_true(get_ms < 2000);
    assert_true(next_ms < 500);

    t0 = clock_monotonic_ms();
    assert_int_equal(jobstore_clean(fx->store, 1001, NULL), total);
    printf("# clean of 100k finished jobs: %llu ms\n", (unsigned long long)(clock_monotonic_ms() - t0));
    assert_int_equal(jobstore_count(fx->store, -1), 1);
}

/* The watch list (schema step 2 -> 3): kept across reopening, with each project's last build. */
static void test_watch_list(void **state)
{
    fixture *fx = *state;
    bool added = false;
    assert_int_equal(jobstore_watch_add(fx->store, "/p/b/jmake.toml", 10, &added), JOBSTORE_OK);
    assert_true(added);
    assert_int_equal(jobstore_watch_add(fx->store, "/p/a/jmake.toml", 11, &added), JOBSTORE_OK);
    assert_int_equal(jobstore_watch_add(fx->store, "/p/a/jmake.toml", 12, &added), JOBSTORE_OK);
    assert_false(added);
    assert_int_equal(jobstore_watch_set_last(fx->store, "/p/a/jmake.toml", "job-7", "completed", 20), JOBSTORE_OK);
    assert_int_equal(jobstore_watch_set_last(fx->store, "/p/none/jmake.toml", "job-8", "failed", 21),
                     JOBSTORE_NOT_FOUND);
    jobstore_close(fx->store);
    char err[256] = "";
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    assert_non_null(fx->store);
    jobstore_watch *list = NULL;
    size_t count = 0;
    assert_int_equal(jobstore_watch_list(fx->store, &list, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(list[0].config, "/p/a/jmake.toml");
    assert_int_equal(list[0].added_ms, 11);
    assert_string_equal(list[0].last_job, "job-7");
    assert_string_equal(list[0].last_outcome, "completed");
    assert_int_equal(list[0].last_ms, 20);
    assert_string_equal(list[1].config, "/p/b/jmake.toml");
    assert_null(list[1].last_job);
    jobstore_watch_list_free(list, count);
    assert_int_equal(jobstore_watch_remove(fx->store, "/p/b/jmake.toml"), JOBSTORE_OK);
    assert_int_equal(jobstore_watch_remove(fx->store, "/p/b/jmake.toml"), JOBSTORE_NOT_FOUND);
    assert_int_equal(jobstore_watch_list(fx->store, &list, &count), 0);
    assert_int_equal(count, 1);
    jobstore_watch_list_free(list, count);
}

static void test_state_names(void **state)
{
    (void)state;
    for (int s = JOB_PENDING; s <= JOB_CANCELLED; s++)
        assert_int_equal(job_state_from_name(job_state_name((job_state)s)), s);
    assert_int_equal(job_state_from_name("bogus"), -1);
    assert_int_equal(job_state_from_name(NULL), -1);
    assert_false(job_state_is_final(JOB_PENDING));
    assert_false(job_state_is_final(JOB_RUNNING));
    assert_true(job_state_is_final(JOB_COMPLETED));
    assert_true(job_state_is_final(JOB_FAILED));
    assert_true(job_state_is_final(JOB_CANCELLED));
}

/* Each lookup and change tells "no such job" from a failing database: with
 * the jobs table gone, every statement fails to prepare. */
static void test_not_found_versus_db_error(void **state)
{
    fixture *fx = *state;
    submit_one(fx->store, spec_of("here", "compilation", 1), 1);
    job_record rec;
    job_state st = JOB_CANCELLED;
    assert_int_equal(jobstore_get(fx->store, "gone", &rec), JOBSTORE_NOT_FOUND);
    assert_int_equal(jobstore_state(fx->store, "gone", &st), JOBSTORE_NOT_FOUND);
    assert_int_equal(jobstore_state(fx->store, "here", &st), JOBSTORE_OK);
    assert_int_equal(st, JOB_PENDING);
    assert_int_equal(jobstore_cancel_pending(fx->store, "gone", 2), JOBSTORE_NOT_FOUND);
    assert_int_equal(jobstore_requeue(fx->store, "gone", 0, "x"), JOBSTORE_NOT_FOUND);
    assert_int_equal(jobstore_finish(fx->store, "here", JOB_PENDING, NULL, NULL, 2), JOBSTORE_NOT_FOUND);

    jobstore_close(fx->store);
    fx->store = NULL;
    exec_or_fail(fx->db_path, "ALTER TABLE jobs RENAME TO jobs_elsewhere");
    char err[256] = "";
    fx->store = jobstore_open(fx->db_path, err, sizeof err);
    assert_non_null(fx->store);
    assert_int_equal(jobstore_get(fx->store, "here", &rec), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_state(fx->store, "here", &st), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_mark_running(fx->store, "here", "t", 3), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_requeue(fx->store, "here", 0, "x"), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_finish(fx->store, "here", JOB_FAILED, NULL, "x", 3), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_cancel_pending(fx->store, "here", 3), JOBSTORE_DB_ERROR);
    assert_int_equal(jobstore_next_runnable(fx->store, 3, NULL, &rec), JOBSTORE_PICK_DB_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test_setup_teardown(test_submit_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_then_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dependencies_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_dependency_cascades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_attempts_and_requeue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_across_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_limit_across_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_by_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_version_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commits_run_fully_synchronous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hundred_thousand_finished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_versus_db_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
