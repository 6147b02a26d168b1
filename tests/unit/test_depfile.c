/* test_depfile.c - the make-style depfile parser against what gcc and clang really write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "depfile.h"
#include "util.h"

static void parse(const char *text, strvec *out)
{
    assert_int_equal(depfile_parse(text, strlen(text), out), 0);
}

static void test_simple_rule(void **state)
{
    strvec d = {0};
    parse("build/obj/a.c.o: src/a.c include/x.h /usr/include/stdio.h\n", &d);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0], "src/a.c");
    assert_string_equal(d.v[1], "include/x.h");
    assert_string_equal(d.v[2], "/usr/include/stdio.h");
    strvec_free(&d);
}

static void test_continuations_and_escapes(void **state)
{
    strvec d = {0};
    parse("out.o: src/my\\ file.c \\\n  inc/a\\#b.h \\\r\n inc/cost$$.h\tinc/t.h\n", &d);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.v[0], "src/my file.c");
    assert_string_equal(d.v[1], "inc/a#b.h");
    assert_string_equal(d.v[2], "inc/cost$.h");
    assert_string_equal(d.v[3], "inc/t.h");
    strvec_free(&d);
}

static void test_phony_rules_and_duplicates(void **state)
{
    strvec d = {0};
    /* -MP adds "header:" rules; the headers must appear once, never as targets twice. */
    parse("a.o: a.c x.h y.h x.h\n\nx.h:\n\ny.h:\n", &d);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0], "a.c");
    assert_string_equal(d.v[1], "x.h");
    assert_string_equal(d.v[2], "y.h");
    strvec_free(&d);
}

static void test_multiple_targets_no_trailing_newline(void **state)
{
    strvec d = {0};
    parse("a.o a.d: a.c b.h", &d);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[1], "b.h");
    strvec_free(&d);
}

static void test_not_a_depfile(void **state)
{
    strvec d = {0};
    assert_int_equal(depfile_parse("garbage without rule", 20, &d), -1);
    assert_int_equal(depfile_parse("", 0, &d), -1);
    strvec_free(&d);
}

/* Found by fuzz_depfile: a NUL made an empty prerequisite (":\t\0\0"). */
static void test_nul_byte_is_not_a_depfile(void **state)
{
    strvec d = {0};
    assert_int_equal(depfile_parse("a.o: a.c\0\0 b.h\n", 16, &d), -1);
    assert_int_equal(depfile_parse(":\t\0\0", 4, &d), -1);
    assert_int_equal(d.n, 0);
    strvec_free(&d);
}

static void test_real_compiler_output(void **state)
{
    char dir[] = "/tmp/jmake-depfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *h = xasprintf("%s/with space.h", dir);
    char *c = xasprintf("%s/a.c", dir);
    char *d = xasprintf("%s/a.d", dir);
    assert_int_equal(write_file_atomic(h, "int x;\n", 7, 0644), 0);
    assert_int_equal(write_file_atomic(c, "#include \"with space.h\"\n#include <stdio.h>\n", 43, 0644), 0);
    char *cmd = xasprintf("cc -MD -MF '%s' -c '%s' -o '%s/a.o'", d, c, dir);
    assert_int_equal(system(cmd), 0);   /* test scaffolding only; the engine never uses a shell */
    strvec deps = {0};
    assert_int_equal(depfile_parse_file(d, &deps), 0);
    assert_true(deps.n >= 3);
    assert_string_equal(deps.v[0], c);
    assert_true(strvec_contains(&deps, h));
    bool stdio = false;
    for (size_t i = 0; i < deps.n; i++)
        stdio |= strstr(deps.v[i], "stdio.h") != NULL;
    assert_true(stdio);
    strvec_free(&deps);
    remove_tree(dir);
    free(h);
    free(c);
    free(d);
    free(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_rule),
        cmocka_unit_test(test_continuations_and_escapes),
        cmocka_unit_test(test_phony_rules_and_duplicates),
        cmocka_unit_test(test_multiple_targets_no_trailing_newline),
        cmocka_unit_test(test_not_a_depfile),
        cmocka_unit_test(test_nul_byte_is_not_a_depfile),
        cmocka_unit_test(test_real_compiler_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
