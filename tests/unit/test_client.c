/* test_client.c - libjmake (include/jmake.h) against real daemons started in a temporary home. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jmake.h"
#include "util.h"

static char home[64];
static char jmake_exe[4096];

static int run_jmake(const char *args)
{
    char *cmd = xasprintf("'%s' --home '%s' %s >/dev/null 2>&1", jmake_exe, home, args);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("JMAKE_BINARY_DIR");
    if (!bin)
        return -1;
    snprintf(jmake_exe, sizeof jmake_exe, "%s/jmake", bin);
    strcpy(home, "/tmp/jmc.XXXXXX");
    if (!mkdtemp(home))
        return -1;
    char *cfg = path_join(home, "job_queue_design.toml");
    write_text(cfg, "[orchestrator]\nhealth_check_interval = 1\n[error_handling]\nretry_delay_seconds = 0\n");
    free(cfg);
    char *src = path_join(home, "proj/src");
    mkdir_p(src, 0700);
    char *c = path_join(src, "a.c");
    write_text(c, "int a(void) { return 1; }\n");
    free(c);
    free(src);
    return run_jmake("start") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    run_jmake("stop --grace 2");
    remove_tree(home);
    return 0;
}

static jmake_client *connect_ok(void)
{
    jmake_client *c = NULL;
    assert_int_equal(jmake_connect(home, &c), JMAKE_OK);
    assert_non_null(c);
    assert_string_equal(jmake_home(c), home);
    return c;
}

static void test_unreachable_home(void **state)
{
    (void)state;
    jmake_client *c = NULL;
    assert_int_equal(jmake_connect("/tmp/jmake-no-such-home", &c), JMAKE_ERR_UNREACHABLE);
    assert_non_null(strstr(jmake_last_error(c), "not running"));
    jmake_disconnect(c);
}

static void test_submit_wait_result(void **state)
{
    (void)state;
    jmake_client *c = connect_ok();
    char *path = path_join(home, "proj");
    char *args = xasprintf("{\"path\":\"%s\"}", path);
    jmake_job_options o = {.type = "discovery", .id = "scan1", .priority = 2, .args_json = args};
    char *id = NULL;
    assert_int_equal(jmake_submit_job(c, &o, &id), JMAKE_OK);
    assert_string_equal(id, "scan1");
    jmake_job_state st;
    assert_int_equal(jmake_wait_for_job(c, id, 30000, &st), JMAKE_OK);
    assert_int_equal(st, JMAKE_JOB_COMPLETED);
    assert_int_equal(jmake_get_job_status(c, id, &st), JMAKE_OK);
    assert_int_equal(st, JMAKE_JOB_COMPLETED);
    char *json = NULL;
    assert_int_equal(jmake_get_job_results(c, id, &json), JMAKE_OK);
    assert_non_null(strstr(json, "\"src/a.c\""));
    assert_non_null(strstr(json, "\"state\":\t\"completed\""));
    jmake_free(json);

    /* The same id again is refused. */
    char *again = NULL;
    assert_int_equal(jmake_submit_job(c, &o, &again), JMAKE_ERR_REJECTED);
    assert_null(again);
    assert_non_null(strstr(jmake_last_error(c), "scan1"));
    jmake_free(id);
    free(args);
    free(path);
    jmake_disconnect(c);
}

static void test_submit_file_and_rejection(void **state)
{
    (void)state;
    jmake_client *c = connect_ok();
    char *good = path_join(home, "good.toml");
    write_text(good, "[[jobs]]\nid = \"f1\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\n\n"
                     "[[jobs]]\nid = \"f2\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\ndepends_on = [\"f1\"]\n");
    char **ids = NULL;
    size_t n = 0;
    assert_int_equal(jmake_submit_file(c, good, &ids, &n), JMAKE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "f1");
    assert_string_equal(ids[1], "f2");
    jmake_job_state st;
    assert_int_equal(jmake_wait_for_job(c, "f2", 30000, &st), JMAKE_OK);
    assert_int_equal(st, JMAKE_JOB_COMPLETED);
    jmake_free_strings(ids, n);

    char *bad = path_join(home, "bad.toml");
    write_text(bad, "[[jobs]]\nid = \"b1\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\n\n"
                    "[[jobs]]\nid = \"b2\"\ntype = \"discovery\"\npriority = -1\nargs = { path = \"proj\" }\n");
    ids = NULL;
    assert_int_equal(jmake_submit_file(c, bad, &ids, &n), JMAKE_ERR_REJECTED);
    char *where = xasprintf("%s:9:12:", bad);
    assert_non_null(strstr(jmake_last_error(c), where));
    free(where);
    /* Nothing of the rejected file was queued. */
    assert_int_equal(jmake_get_job_status(c, "b1", &st), JMAKE_ERR_NOT_FOUND);
    free(good);
    free(bad);
    jmake_disconnect(c);
}

static void test_cancel_and_timeout(void **state)
{
    (void)state;
    assert_int_equal(run_jmake("stop discovery"), 0);
    jmake_client *c = connect_ok();
    char *path = path_join(home, "proj");
    char *args = xasprintf("{\"path\":\"%s\"}", path);
    jmake_job_options o = {.type = "discovery", .args_json = args};
    char *id = NULL;
    assert_int_equal(jmake_submit_job(c, &o, &id), JMAKE_OK);
    jmake_job_state st;
    assert_int_equal(jmake_wait_for_job(c, id, 300, &st), JMAKE_ERR_TIMEOUT);
    assert_int_equal(st, JMAKE_JOB_PENDING);
    assert_int_equal(jmake_cancel_job(c, id), JMAKE_OK);
    assert_int_equal(jmake_get_job_status(c, id, &st), JMAKE_OK);
    assert_int_equal(st, JMAKE_JOB_CANCELLED);
    assert_int_equal(jmake_cancel_job(c, "no-such-job"), JMAKE_ERR_NOT_FOUND);
    jmake_free(id);
    free(args);
    free(path);
    jmake_disconnect(c);
    assert_int_equal(run_jmake("start discovery"), 0);
}

static void test_raw_request_and_arguments(void **state)
{
    (void)state;
    jmake_client *c = connect_ok();
    char *reply = NULL;
    assert_int_equal(jmake_request(c, "{\"op\":\"status\"}", &reply), JMAKE_OK);
    assert_non_null(strstr(reply, "\"workers_ready\":5"));
    jmake_free(reply);
    reply = NULL;
    assert_int_equal(jmake_request(c, "{\"op\":\"frobnicate\"}", &reply), JMAKE_ERR_REJECTED);
    assert_non_null(strstr(jmake_last_error(c), "frobnicate"));
    jmake_free(reply);
    assert_int_equal(jmake_request(c, "not json", &reply), JMAKE_ERR_ARGUMENT);
    jmake_job_options o = {.type = NULL};
    char *id;
    assert_int_equal(jmake_submit_job(c, &o, &id), JMAKE_ERR_ARGUMENT);
    assert_string_equal(jmake_job_state_name(JMAKE_JOB_CANCELLED), "cancelled");
    jmake_disconnect(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreachable_home),
        cmocka_unit_test(test_submit_wait_result),
        cmocka_unit_test(test_submit_file_and_rejection),
        cmocka_unit_test(test_cancel_and_timeout),
        cmocka_unit_test(test_raw_request_and_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
