/* test_runner.c - the engine's build logic through the fake runner (nothing spawned): what is rebuilt, what is cached, failures, the engine-wide bound, and the slot limit itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "engine_fixture.h"
#include "runner.h"
#include "slotlimit.h"
#include "sys.h"
#include "util.h"

typedef struct fixture {
    char *home;
    runner *fake;
    engine *eng;
} fixture;


static void fixture_init(fixture *fx, bool cache, int max_parallel, int hold_ms)
{
    char tmpl[] = "/tmp/jmake-runner-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    fx->home = xstrdup(tmpl);
    fx->fake = runner_fake_new(hold_ms);
    char *state = path_join(fx->home, "state"), *cdir = path_join(fx->home, "cache");
    engine_options o = {.state_dir = state, .cache_dir = cdir, .cache_enabled = cache, .cache_size_mb = 512,
                        .max_parallel = max_parallel, .build_timeout_s = 600, .incremental = true,
                        .runner = fx->fake};
    fx->eng = engine_new(&o);
    free(state);
    free(cdir);
}

static void fixture_free(fixture *fx)
{
    engine_free(fx->eng);
    runner_free(fx->fake);
    remove_tree(fx->home);
    free(fx->home);
}

/* A project of n sources s0.c.. under home/name; s0.c includes h1.h, s1.c includes h2.h.
   Returns its jmake.toml (caller frees). */
static char *make_project(const fixture *fx, const char *name, int n)
{
    char *root = path_join(fx->home, name);
    char *toml = xasprintf("[project]\nname = \"%s\"\n", name);
    wf(root, "jmake.toml", toml);
    free(toml);
    wf(root, "src/h1.h", "#define H1 1\n");
    wf(root, "src/h2.h", "#define H2 2\n");
    for (int i = 0; i < n; i++) {
        char *rel = xasprintf("src/s%d.c", i);
        char *text = xasprintf("%sint f%d(void) { return %d; }\n",
                               i == 0 ? "#include \"h1.h\"\n" : i == 1 ? "#include \"h2.h\"\n" : "", i, i);
        wf(root, rel, text);
        free(text);
        free(rel);
    }
    char *cfg = path_join(root, "jmake.toml");
    free(root);
    return cfg;
}


static int build(engine *eng, const char *cfg, cJSON **res)
{
    engine_job job = {.config_path = cfg};
    char *reason = NULL;
    int rc = engine_build(eng, &job, res, &reason);
    if (rc < 0)
        fprintf(stderr, "build failed to run: %s\n", reason ? reason : "?");
    free(reason);
    return rc;
}

static size_t count_link_commands(runner *fake)
{
    size_t n = 0;
    for (size_t i = 0; i < runner_fake_count(fake); i++) {
        char *c = runner_fake_command(fake, i);
        if (strstr(c, " -shared "))
            n++;
        free(c);
    }
    return n;
}

static void test_noop_build_starts_nothing(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 2, 0);
    char *cfg = make_project(&fx, "p", 5);
    cJSON *r = NULL;
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "compiled"), 5);
    assert_int_equal(runner_fake_count(fx.fake), 6);   /* 5 compiles and the link */
    assert_int_equal(count_link_commands(fx.fake), 1);
    assert_int_equal(runner_fake_count_matching(fx.fake, "src/s3.c"), 1);
    cJSON_Delete(r);

    runner_fake_reset(fx.fake);
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "up_to_date"), 5);
    assert_int_equal(runner_fake_count(fx.fake), 0);
    cJSON_Delete(r);
    free(cfg);
    fixture_free(&fx);
}

static void test_changed_header_reruns_its_dependents(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 2, 0);
    char *cfg = make_project(&fx, "p", 4);
    cJSON *r = NULL;
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    cJSON_Delete(r);
    runner_fake_reset(fx.fake);

    char *root = path_dirname(cfg);
    wf(root, "src/h1.h", "#define H1 100 /* longer */\n");
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "compiled"), 1);
    assert_int_equal(num(r, "files", "up_to_date"), 3);
    assert_int_equal(runner_fake_count(fx.fake), 2);   /* s0.c and the link */
    assert_int_equal(runner_fake_count_matching(fx.fake, "src/s0.c"), 1);
    assert_int_equal(count_link_commands(fx.fake), 1);
    cJSON_Delete(r);
    free(root);
    free(cfg);
    fixture_free(&fx);
}

static void test_cache_serves_a_deleted_build_folder(void **state)
{
    fixture fx;
    fixture_init(&fx, true, 2, 0);
    char *cfg = make_project(&fx, "p", 4);
    cJSON *r = NULL;
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "compiled"), 4);
    cJSON_Delete(r);
    runner_fake_reset(fx.fake);

    char *root = path_dirname(cfg);
    char *bdir = path_join(root, "build");
    assert_int_equal(remove_tree(bdir), 0);
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "from_cache"), 4);
    assert_int_equal(num(r, "files", "compiled"), 0);
    assert_int_equal(runner_fake_count(fx.fake), 1);   /* only the link */
    assert_int_equal(count_link_commands(fx.fake), 1);
    cJSON_Delete(r);
    free(bdir);
    free(root);
    free(cfg);
    fixture_free(&fx);
}

static void test_failing_command_does_not_stop_the_others(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 2, 0);
    char *cfg = make_project(&fx, "p", 6);
    runner_fake_fail(fx.fake, "src/s2.c", 1, "src/s2.c:1:5: error: boom\n");
    cJSON *r = NULL;
    assert_int_equal(build(fx.eng, cfg, &r), 1);
    assert_int_equal(num(r, "files", "failed"), 1);
    assert_int_equal(num(r, "files", "compiled"), 5);
    assert_int_equal(num(r, "diagnostics", "errors"), 1);
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "diagnostics"), "items"), 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(item, "file")), "src/s2.c");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(item, "message")), "boom");
    assert_int_equal(runner_fake_count(fx.fake), 6);   /* every compile ran, no link */
    assert_int_equal(count_link_commands(fx.fake), 0);
    cJSON_Delete(r);

    /* Only the failed unit runs again. */
    runner_fake_reset(fx.fake);
    assert_int_equal(build(fx.eng, cfg, &r), 1);
    assert_int_equal(num(r, "files", "up_to_date"), 5);
    assert_int_equal(runner_fake_count(fx.fake), 1);
    assert_int_equal(runner_fake_count_matching(fx.fake, "src/s2.c"), 1);
    cJSON_Delete(r);
    free(cfg);
    fixture_free(&fx);
}

static void test_one_build_keeps_max_parallel_busy(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 3, 20);
    char *cfg = make_project(&fx, "p", 9);
    cJSON *r = NULL;
    assert_int_equal(build(fx.eng, cfg, &r), 0);
    assert_int_equal(num(r, "files", "compiled"), 9);
    assert_int_equal(runner_fake_max_running(fx.fake), 3);
    cJSON_Delete(r);
    free(cfg);
    fixture_free(&fx);
}

typedef struct build_thread {
    engine *eng;
    const char *cfg;
    int rc;
    int compiled;
} build_thread;

static void *build_main(void *arg)
{
    build_thread *t = arg;
    cJSON *r = NULL;
    engine_job job = {.config_path = t->cfg};
    char *reason = NULL;
    t->rc = engine_build(t->eng, &job, &r, &reason);
    t->compiled = r ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "files"), "compiled")) : -1;
    cJSON_Delete(r);
    free(reason);
    return NULL;
}

/* Two projects at once share max_parallel = 2, and both make progress. */
static void test_two_projects_share_the_bound(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 2, 30);
    char *a = make_project(&fx, "a", 6), *b = make_project(&fx, "b", 6);
    build_thread ta = {fx.eng, a, -9, -9}, tb = {fx.eng, b, -9, -9};
    pthread_t pa, pb;
    assert_int_equal(pthread_create(&pa, NULL, build_main, &ta), 0);
    assert_int_equal(pthread_create(&pb, NULL, build_main, &tb), 0);
    pthread_join(pa, NULL);
    pthread_join(pb, NULL);
    assert_int_equal(ta.rc, 0);
    assert_int_equal(tb.rc, 0);
    assert_int_equal(ta.compiled, 6);
    assert_int_equal(tb.compiled, 6);
    assert_true(runner_fake_max_running(fx.fake) <= 2);
    assert_int_equal(runner_fake_max_running(fx.fake), 2);
    assert_int_equal(runner_fake_max_batches(fx.fake), 2);   /* both had a command in flight at once */
    free(a);
    free(b);
    fixture_free(&fx);
}

/* Two builds of one project run one after the other. */
static void test_same_project_builds_one_at_a_time(void **state)
{
    fixture fx;
    fixture_init(&fx, false, 2, 30);
    char *a = make_project(&fx, "a", 6);
    build_thread t1 = {fx.eng, a, -9, -9}, t2 = {fx.eng, a, -9, -9};
    pthread_t p1, p2;
    assert_int_equal(pthread_create(&p1, NULL, build_main, &t1), 0);
    assert_int_equal(pthread_create(&p2, NULL, build_main, &t2), 0);
    pthread_join(p1, NULL);
    pthread_join(p2, NULL);
    assert_int_equal(t1.rc, 0);
    assert_int_equal(t2.rc, 0);
    assert_int_equal(t1.compiled + t2.compiled, 6);   /* the second found everything built */
    assert_int_equal(runner_fake_max_batches(fx.fake), 1);
    free(a);
    fixture_free(&fx);
}

static void test_slotlimit_first_come_first_served(void **state)
{
    slotlimit l;
    slotlimit_init(&l, 1);
    slot_waiter a = {.wake_fd = -1}, b = {.wake_fd = sys_wake_open()};
    assert_true(b.wake_fd >= 0);
    assert_true(slotlimit_try_acquire(&l, &a));
    assert_false(slotlimit_try_acquire(&l, &b));     /* b queues */
    slotlimit_release(&l);                           /* the slot goes to b, not to whoever asks next */
    assert_false(slotlimit_try_acquire(&l, &a));
    struct pollfd pfd = {.fd = b.wake_fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 1);            /* b was woken */
    assert_true(slotlimit_try_acquire(&l, &b));
    slotlimit_release(&l);                           /* to a, queued meanwhile */
    slotlimit_leave(&l, &a);                         /* a gives it back unused: free again */
    assert_true(slotlimit_try_acquire(&l, &b));
    assert_false(slotlimit_try_acquire(&l, &a));
    slotlimit_leave(&l, &a);
    slotlimit_release(&l);
    assert_true(slotlimit_try_acquire(&l, &a));
    slotlimit_release(&l);
    assert_int_equal(l.in_use, 0);
    close(b.wake_fd);
    slotlimit_destroy(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noop_build_starts_nothing),
        cmocka_unit_test(test_changed_header_reruns_its_dependents),
        cmocka_unit_test(test_cache_serves_a_deleted_build_folder),
        cmocka_unit_test(test_failing_command_does_not_stop_the_others),
        cmocka_unit_test(test_one_build_keeps_max_parallel_busy),
        cmocka_unit_test(test_two_projects_share_the_bound),
        cmocka_unit_test(test_same_project_builds_one_at_a_time),
        cmocka_unit_test(test_slotlimit_first_come_first_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
