/* test_log.c - unit tests of log.c: line format, level filtering, DEBUG=1, rotation, concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "testutil.h"

static char *read_log(const char *home, const char *name)
{
    char *path = xasprintf("%s/logs/%s", home, name);
    size_t len = 0;
    char *data = read_file(path, &len);
    free(path);
    return data;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static bool matches(const char *pattern, const char *text)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void test_format_and_filtering(void **state)
{
    unsetenv("DEBUG");
    char *home = test_tempdir("log");
    assert_int_equal(log_open(home, "compilation", "info", 0, 3), 0);
    log_info("hello %d", 42);
    log_debug("not shown at info");
    log_warn("careful\n");
    log_error("broken");
    log_close();

    char *text = read_log(home, "compilation.log");
    assert_non_null(text);
    assert_int_equal(count_lines(text), 3);
    assert_true(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z INFO  compilation: hello 42$",
                        text));
    assert_true(matches("Z WARN  compilation: careful$", text));
    assert_true(matches("Z ERROR compilation: broken$", text));
    assert_null(strstr(text, "not shown"));
    /* No file:line at info level: it is for developers reading a debug log. */
    assert_null(strstr(text, "test_log.c"));
    free(text);

    struct stat st;
    char *logs = xasprintf("%s/logs", home);
    assert_int_equal(stat(logs, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(logs);
    remove_tree(home);
    free(home);
}

static void test_warn_level_and_set_level(void **state)
{
    unsetenv("DEBUG");
    char *home = test_tempdir("log");
    assert_int_equal(log_open(home, "watcher", "warn", 0, 3), 0);
    log_info("info dropped");
    log_warn("warn kept");
    log_set_level(LOG_DEBUG);
    log_debug("debug now kept");
    log_close();
    char *text = read_log(home, "watcher.log");
    assert_non_null(text);
    assert_null(strstr(text, "info dropped"));
    assert_non_null(strstr(text, "warn kept"));
    assert_true(matches("Z DEBUG watcher: debug now kept \\(test_log\\.c:[0-9]+\\)$", text));
    free(text);
    remove_tree(home);
    free(home);
}

static void test_debug_env_forces_debug(void **state)
{
    char *home = test_tempdir("log");
    setenv("DEBUG", "1", 1);
    assert_int_equal(log_open(home, "orchestrator", "error", 0, 3), 0);
    log_debug("debug %s", "forced");
    log_info("info too");
    log_close();
    unsetenv("DEBUG");
    char *text = read_log(home, "orchestrator.log");
    assert_non_null(text);
    assert_true(matches("Z DEBUG orchestrator: debug forced \\(test_log\\.c:[0-9]+\\)$", text));
    assert_non_null(strstr(text, "info too"));
    free(text);
    remove_tree(home);
    free(home);
}

static void test_level_names(void **state)
{
    int ok = 0;
    assert_int_equal(log_level_from_name("debug", &ok), LOG_DEBUG);
    assert_true(ok);
    assert_int_equal(log_level_from_name("ERROR", &ok), LOG_ERROR);
    assert_true(ok);
    assert_int_equal(log_level_from_name("warn", &ok), LOG_WARN);
    assert_int_equal(log_level_from_name("verbose", &ok), LOG_INFO);
    assert_false(ok);
}

static void test_rotation_keeps_n_files(void **state)
{
    unsetenv("DEBUG");
    char *home = test_tempdir("log");
    assert_int_equal(log_open(home, "build", "info", 1000, 2), 0);
    for (int i = 0; i < 200; i++)
        log_info("line %03d padding padding padding padding", i);
    log_close();

    char *cur = read_log(home, "build.log");
    char *one = read_log(home, "build.log.1");
    char *two = read_log(home, "build.log.2");
    char *three = read_log(home, "build.log.3");
    assert_non_null(cur);
    assert_non_null(one);
    assert_non_null(two);
    assert_null(three);
    /* Each kept file stopped growing at the first line that passed the limit. */
    assert_true(strlen(one) >= 1000 && strlen(one) < 1200);
    assert_true(strlen(two) >= 1000 && strlen(two) < 1200);
    assert_true(strlen(cur) < 1200);
    /* The newest line is in the current file (or, if it just rotated, at the end of .1). */
    assert_true(strstr(cur, "line 199") || strstr(one, "line 199"));
    /* .2 is older than .1. */
    int first_in_two = atoi(strstr(two, "line ") + 5);
    int first_in_one = atoi(strstr(one, "line ") + 5);
    assert_true(first_in_two < first_in_one);
    free(cur);
    free(one);
    free(two);
    remove_tree(home);
    free(home);
}

static void *writer(void *arg)
{
    for (int i = 0; i < 500; i++)
        log_info("thread %ld message %d", (long)(intptr_t)arg, i);
    return NULL;
}

static void test_threads_do_not_interleave(void **state)
{
    unsetenv("DEBUG");
    char *home = test_tempdir("log");
    assert_int_equal(log_open(home, "discovery", "info", 0, 3), 0);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    log_close();
    char *text = read_log(home, "discovery.log");
    assert_non_null(text);
    assert_int_equal(count_lines(text), 2000);
    /* Every line whole: a line that is not exactly one message would break the pattern. */
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        assert_true(matches("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z INFO  discovery: thread [0-3] message [0-9]+$", line));
    free(text);
    remove_tree(home);
    free(home);
}

static void test_stderr_without_open(void **state)
{
    /* Must not crash or need a file: messages go to stderr before log_open. */
    log_info("to stderr");
    log_close();
    log_error("still fine after close");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_filtering),
        cmocka_unit_test(test_warn_level_and_set_level),
        cmocka_unit_test(test_debug_env_forces_debug),
        cmocka_unit_test(test_level_names),
        cmocka_unit_test(test_rotation_keeps_n_files),
        cmocka_unit_test(test_threads_do_not_interleave),
        cmocka_unit_test(test_stderr_without_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
