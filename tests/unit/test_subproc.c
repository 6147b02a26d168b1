/* test_subproc.c - child processes: output capture, exit status, process-group kill, PATH lookup, response files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "subproc.h"
#include "util.h"

static void run_to_end(subproc *p)
{
    while (!p->finished)
        assert_true(subproc_poll(p, 1, 100) >= 0);
}

static void test_captures_stdout_and_stderr(void **state)
{
    char *sh = subproc_find_program("sh");
    assert_non_null(sh);
    char *argv[] = {sh, "-c", "echo out; echo err >&2; pwd; exit 3", NULL};
    subproc p;
    assert_int_equal(subproc_start(&p, argv, "/tmp", NULL), 0);
    run_to_end(&p);
    assert_false(subproc_succeeded(&p));
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 3);
    assert_non_null(strstr(p.output, "out\n"));
    assert_non_null(strstr(p.output, "err\n"));
    assert_non_null(strstr(p.output, "/tmp\n"));   /* ran in the given folder */
    subproc_release(&p);
    free(sh);
}

/* Members of process group pgid that are not zombies (an orphaned zombie
   waits for init to reap it, which is not ours to do). */
static int running_in_group(pid_t pgid)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        char *st = read_file(path, NULL);
        if (!st)
            continue;
        /* pid (comm) state ppid pgrp ...; comm may hold spaces, so parse after the last ')'. */
        char *rp = strrchr(st, ')');
        char state = 0;
        int ppid = 0, pgrp = 0;
        if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid && state != 'Z')
            n++;
        free(st);
    }
    closedir(d);
    return n;
}

static void test_kill_reaches_grandchildren(void **state)
{
    char *sh = subproc_find_program("sh");
    /* The grandchild keeps the pipe open; only a group kill ends it. */
    char *argv[] = {sh, "-c", "sleep 30 & sleep 30; wait", NULL};
    subproc p;
    assert_int_equal(subproc_start(&p, argv, NULL, NULL), 0);
    pid_t pgid = p.pid;
    assert_int_equal(subproc_poll(&p, 1, 200), 0);
    subproc_kill(&p);
    assert_true(p.finished);
    assert_true(WIFSIGNALED(p.status));
    usleep(100000);
    assert_int_equal(running_in_group(pgid), 0);   /* no live member of the group is left */
    subproc_release(&p);
    free(sh);
}

static void test_many_parallel(void **state)
{
    char *sh = subproc_find_program("sh");
    subproc ps[8];
    for (int i = 0; i < 8; i++) {
        char *cmd = xasprintf("echo child%d", i);
        char *argv[] = {sh, "-c", cmd, NULL};
        assert_int_equal(subproc_start(&ps[i], argv, NULL, NULL), 0);
        free(cmd);
    }
    int finished = 0;
    while (finished < 8) {
        int n = subproc_poll(ps, 8, 100);
        assert_true(n >= 0);
        finished += n;
    }
    for (int i = 0; i < 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "child%d\n", i);
        assert_true(subproc_succeeded(&ps[i]));
        assert_string_equal(ps[i].output, want);
        subproc_release(&ps[i]);
    }
    free(sh);
}

static void test_missing_program(void **state)
{
    assert_null(subproc_find_program("no-such-program-jmake"));
    char *argv[] = {"/nonexistent/tool", NULL};
    subproc p;
    assert_true(subproc_start(&p, argv, NULL, NULL) < 0);
}

static void test_response_file_round_trip(void **state)
{
    /* gcc reads the file back: an argument with spaces and quotes survives. */
    char dir[] = "/tmp/jmake-rsp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *src = xasprintf("%s/a.c", dir);
    assert_int_equal(write_file_atomic(src, "const char *s = MSG;\n", 21, 0644), 0);
    char *obj = xasprintf("%s/a b.o", dir);
    char *rsp = xasprintf("%s/args.rsp", dir);
    char *args[] = {"-DMSG=\"it's \\\\ \\\"quoted\\\" \"", "-c", src, "-o", obj};
    assert_int_equal(subproc_write_response_file(rsp, args, 5), 0);
    char *gcc = subproc_find_program("gcc");
    char *at = xasprintf("@%s", rsp);
    char *argv[] = {gcc, at, NULL};
    subproc p;
    assert_int_equal(subproc_start(&p, argv, NULL, NULL), 0);
    run_to_end(&p);
    if (!subproc_succeeded(&p))
        fprintf(stderr, "%s\n", p.output);
    assert_true(subproc_succeeded(&p));
    assert_true(file_exists(obj));
    subproc_release(&p);
    assert_true(subproc_args_size(args, 5) > 20);
    remove_tree(dir);
    free(src);
    free(obj);
    free(rsp);
    free(gcc);
    free(at);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures_stdout_and_stderr),
        cmocka_unit_test(test_kill_reaches_grandchildren),
        cmocka_unit_test(test_many_parallel),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_response_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
