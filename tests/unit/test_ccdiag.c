/* test_ccdiag.c - compiler/linker text diagnostics: gcc, clang, ld and tool-level lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccdiag.h"
#include "util.h"

typedef struct got {
    strvec lines;   /* "file|line|col|E/W|message" */
} got;

static void collect(void *ctx, const ccdiag *d)
{
    got *g = ctx;
    strvec_push_owned(&g->lines, xasprintf("%.*s|%d|%d|%c|%.*s", (int)d->file_len, d->file ? d->file : "",
                                           d->line, d->column, d->error ? 'E' : 'W', (int)d->message_len,
                                           d->message));
}

static void test_gcc_output(void **state)
{
    const char *out = "src/a.c: In function 'f':\n"
                      "src/a.c:3:15: error: expected expression before ';' token\n"
                      "    3 |     return 1 +;\n"
                      "      |               ^\n"
                      "src/a.c:4:9: warning: unused variable 'x' [-Wunused-variable]\n"
                      "In file included from src/b.c:1:\n"
                      "include/x.h:2:1: note: declared here\n"
                      "src/b.c:9: error: no column here\n"
                      "src/c.c:1:10: fatal error: missing.h: No such file or directory\n";
    got g = {0};
    assert_int_equal(ccdiag_parse(out, strlen(out), collect, &g), 3);
    assert_int_equal(g.lines.n, 4);
    assert_string_equal(g.lines.v[0], "src/a.c|3|15|E|expected expression before ';' token");
    assert_string_equal(g.lines.v[1], "src/a.c|4|9|W|unused variable 'x' [-Wunused-variable]");
    assert_string_equal(g.lines.v[2], "src/b.c|9|0|E|no column here");
    assert_string_equal(g.lines.v[3], "src/c.c|1|10|E|missing.h: No such file or directory");
    strvec_free(&g.lines);
}

static void test_tools_and_linker(void **state)
{
    const char *out = "cc1: error: unrecognized command-line option '-fnope'\n"
                      "clang: error: linker command failed with exit code 1\n"
                      "/usr/bin/ld: build/obj/src/a.c.o: in function `fa':\n"
                      "src/a.c:(.text+0x9): undefined reference to `missing_fn'\n"
                      "collect2: error: ld returned 1 exit status";   /* no final newline */
    got g = {0};
    assert_int_equal(ccdiag_parse(out, strlen(out), collect, &g), 4);
    assert_int_equal(g.lines.n, 4);
    assert_string_equal(g.lines.v[0], "|0|0|E|unrecognized command-line option '-fnope'");
    assert_string_equal(g.lines.v[1], "|0|0|E|linker command failed with exit code 1");
    assert_string_equal(g.lines.v[2], "src/a.c|0|0|E|undefined reference to `missing_fn'");
    assert_string_equal(g.lines.v[3], "|0|0|E|ld returned 1 exit status");
    strvec_free(&g.lines);
}

static void test_path_with_colon_and_empty(void **state)
{
    const char *out = "/tmp/odd:dir/x.c:12:3: warning: w\n\n\n";
    got g = {0};
    assert_int_equal(ccdiag_parse(out, strlen(out), collect, &g), 0);
    assert_int_equal(g.lines.n, 1);
    assert_string_equal(g.lines.v[0], "/tmp/odd:dir/x.c|12|3|W|w");
    assert_int_equal(ccdiag_parse("", 0, collect, &g), 0);
    assert_int_equal(g.lines.n, 1);
    strvec_free(&g.lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcc_output),
        cmocka_unit_test(test_tools_and_linker),
        cmocka_unit_test(test_path_with_colon_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
