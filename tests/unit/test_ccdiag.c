/* test_ccdiag.c - compiler/linker diagnostics: gcc, clang, GNU ld and lld output (captured at test time), tool-level lines, gcc JSON, fix-its, include chains. */
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
#include "testutil.h"

typedef struct got {
    strvec lines;   /* "file|line|col|E/W|message" */
} got;

static void collect(void *ctx, const ccdiag *d)
{
    got *g = ctx;
    strvec_push_owned(&g->lines, xasprintf("%s|%d|%d|%c|%s", d->file ? d->file : "", d->line, d->column,
                                           d->severity == CCDIAG_ERROR ? 'E' : 'W', d->message));
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
    /* The linkers' summaries (clang's "linker command failed", collect2's
       "ld returned 1 exit status") are noise: the errors they sum up are reported. */
    assert_int_equal(ccdiag_parse(out, strlen(out), collect, &g), 2);
    assert_int_equal(g.lines.n, 2);
    assert_string_equal(g.lines.v[0], "|0|0|E|unrecognized command-line option '-fnope'");
    assert_string_equal(g.lines.v[1], "src/a.c|0|0|E|undefined reference to `missing_fn'");
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

/* ---- real tool output, captured at test time ---- */


/* The errors of text; asserts that every error is a linker one with link kind. */
static ccdiag_list link_errors(const char *text, ccdiag_link kind)
{
    ccdiag_list all = {0}, errs = {0};
    ccdiag_parse_text(text, strlen(text), &all);
    for (size_t i = 0; i < all.n; i++) {
        if (all.v[i].severity != CCDIAG_ERROR) {
            ccdiag_free(&all.v[i]);
            continue;
        }
        if (all.v[i].link != kind)
            fail_msg("expected link kind %d, got %d for '%s' in:\n%s", kind, all.v[i].link, all.v[i].message, text);
        if (errs.n == errs.cap) {
            errs.cap = errs.cap ? errs.cap * 2 : 4;
            errs.v = xrealloc(errs.v, errs.cap * sizeof *errs.v);
        }
        errs.v[errs.n++] = all.v[i];
    }
    free(all.v);
    return errs;
}

typedef struct link_dir {
    char *dir;
} link_dir;

static int setup_dir(void **state)
{
    link_dir *L = xcalloc(1, sizeof *L);
    L->dir = test_tempdir("ccdiag");
    free(test_write_text(L->dir, "src/a.c", "int twice(void) { return 1; }\n"));
    free(test_write_text(L->dir, "src/b.c", "/* b */\nint twice(void) { return 2; }\n"));
    free(test_write_text(L->dir, "src/m.c", "int missing_fn(void);\n\nint main(void)\n{\n    return missing_fn();\n}\n"));
    free(test_write_text(L->dir, "src/s.c", "int counter;\nint get(void) { return counter; }\n"));
    free(test_write_text(L->dir, "src/v.c", "__asm__(\".symver foo_v,foo@VER_9\");\nint foo_v(void);\n"
                                           "int main(void) { return foo_v(); }\n"));
    free(test_write_text(L->dir, "lib.c", "int foo(void) { return 1; }\n"));
    free(test_write_text(L->dir, "ver.map", "VER_1 { global: foo; local: *; };\n"));
    char *out = test_run_in(L->dir, "mkdir -p obj && for f in a b m v; do cc -c src/$f.c -o obj/$f.o; cc -g -c src/$f.c -o obj/$f.g.o; done"
                               " && cc -fno-pic -c src/s.c -o obj/s.o"
                               " && cc -shared -fPIC -Wl,--version-script=ver.map lib.c -o libv.so && echo built");
    assert_non_null(strstr(out, "built"));
    free(out);
    *state = L;
    return 0;
}

static int teardown_dir(void **state)
{
    link_dir *L = *state;
    remove_tree(L->dir);
    free(L->dir);
    free(L);
    return 0;
}

static void test_ld_multiple_definition(void **state)
{
    link_dir *L = *state;
    for (int debug = 0; debug < 2; debug++) {
        char *out = test_run_in(L->dir, debug ? "cc -shared -o libdup.so obj/a.g.o obj/b.g.o"
                                         : "cc -shared -o libdup.so obj/a.o obj/b.o");
        ccdiag_list e = link_errors(out, CCDIAG_LINK_MULTIPLE);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.v[0].symbol, "twice");
        assert_string_equal(e.v[0].object, debug ? "obj/b.g.o" : "obj/b.o");
        /* Without debug information ld knows only the source's base name
           (the engine maps the object back to its unit). */
        assert_non_null(strstr(e.v[0].file, debug ? "/src/b.c" : "b.c"));
        assert_int_equal(e.v[0].line, debug ? 2 : 0);   /* the line comes from the debug information */
        assert_int_equal(e.v[0].notes.n, 1);
        assert_non_null(strstr(e.v[0].notes.v[0], "first defined here"));
        assert_non_null(strstr(out, "ld returned 1 exit status"));   /* in the output, not among the errors */
        ccdiag_list_free(&e);
        free(out);
    }
}

static void test_ld_undefined_reference(void **state)
{
    link_dir *L = *state;
    for (int debug = 0; debug < 2; debug++) {
        char *out = test_run_in(L->dir, debug ? "cc -o m obj/m.g.o" : "cc -o m obj/m.o");
        ccdiag_list e = link_errors(out, CCDIAG_LINK_UNDEFINED);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.v[0].symbol, "missing_fn");
        assert_string_equal(e.v[0].function, "main");
        assert_string_equal(e.v[0].object, debug ? "obj/m.g.o" : "obj/m.o");
        assert_non_null(strstr(e.v[0].file, debug ? "/src/m.c" : "m.c"));
        assert_int_equal(e.v[0].line, debug ? 5 : 0);
        ccdiag_list_free(&e);
        free(out);
    }
}

static void test_ld_missing_library_and_fpic(void **state)
{
    link_dir *L = *state;
    char *out = test_run_in(L->dir, "cc -o m obj/a.o -ldoesnotexist");
    ccdiag_list e = link_errors(out, CCDIAG_LINK_NO_LIBRARY);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "doesnotexist");
    ccdiag_list_free(&e);
    free(out);
    out = test_run_in(L->dir, "cc -shared -o libs.so obj/s.o");
    e = link_errors(out, CCDIAG_LINK_RELOCATION);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "counter");
    assert_string_equal(e.v[0].object, "obj/s.o");
    ccdiag_list_free(&e);
    free(out);
}

static void test_ld_symbol_version(void **state)
{
    link_dir *L = *state;
    char *out = test_run_in(L->dir, "cc -o v obj/v.o -L. -lv");
    ccdiag_list e = link_errors(out, CCDIAG_LINK_VERSION);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "foo@VER_9");
    assert_string_equal(e.v[0].object, "obj/v.o");
    ccdiag_list_free(&e);
    free(out);
}

static void test_lld(void **state)
{
    link_dir *L = *state;
    if (!test_have_tool("clang") || !test_have_tool("ld.lld"))
        skip();
    char *out = test_run_in(L->dir, "clang -fuse-ld=lld -o m obj/m.o");
    ccdiag_list e = link_errors(out, CCDIAG_LINK_UNDEFINED);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "missing_fn");
    assert_string_equal(e.v[0].object, "obj/m.o");
    assert_string_equal(e.v[0].file, "m.c");
    ccdiag_list_free(&e);
    free(out);
    out = test_run_in(L->dir, "clang -fuse-ld=lld -shared -o libdup.so obj/a.o obj/b.o");
    e = link_errors(out, CCDIAG_LINK_MULTIPLE);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "twice");
    ccdiag_list_free(&e);
    free(out);
    out = test_run_in(L->dir, "clang -fuse-ld=lld -o m obj/a.o -lnope");
    e = link_errors(out, CCDIAG_LINK_NO_LIBRARY);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "nope");
    ccdiag_list_free(&e);
    free(out);
    out = test_run_in(L->dir, "clang -fuse-ld=lld -shared -o libs.so obj/s.o");
    e = link_errors(out, CCDIAG_LINK_RELOCATION);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].symbol, "counter");
    ccdiag_list_free(&e);
    free(out);
}

/* gcc's JSON and its text, fix-its and the include chain: the same model. */
static void test_structured(void **state)
{
    link_dir *L = *state;
    free(test_write_text(L->dir, "inc/h.h", "#include \"nothere.h\"\n"));
    free(test_write_text(L->dir, "src/j.c", "#include \"../inc/h.h\"\n"));
    free(test_write_text(L->dir, "src/k.c", "int f(void) { int x = 1; return x }\n"));
    char *out = test_run_in(L->dir, "gcc -fdiagnostics-format=json -c src/k.c -o /dev/null");
    ccdiag_list l = {0};
    assert_int_equal(ccdiag_parse_json(out, strlen(out), &l), 1);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].file, "src/k.c");
    assert_int_equal(l.v[0].line, 1);
    assert_string_equal(l.v[0].message, "expected ';' before '}' token");
    assert_int_equal(l.v[0].nfixits, 1);
    assert_string_equal(l.v[0].fixits[0].text, ";");
    int json_col = l.v[0].column;
    ccdiag_list_free(&l);
    free(out);
    out = test_run_in(L->dir, "gcc -fdiagnostics-parseable-fixits -c src/k.c -o /dev/null");
    assert_int_equal(ccdiag_parse_text(out, strlen(out), &l), 1);
    assert_int_equal(l.v[0].column, json_col);
    assert_int_equal(l.v[0].nfixits, 1);
    assert_string_equal(l.v[0].fixits[0].text, ";");
    assert_int_equal(l.v[0].fixits[0].line, 1);
    ccdiag_list_free(&l);
    free(out);
    assert_int_equal(ccdiag_parse_json("compilation terminated.", 23, &l), -1);
    const char *ccs[] = {"gcc", "clang"};
    for (int c = 0; c < 2; c++) {
        if (!test_have_tool(ccs[c]))
            continue;
        char *cmd = xasprintf("%s -c src/j.c -o /dev/null", ccs[c]);
        out = test_run_in(L->dir, cmd);
        free(cmd);
        assert_int_equal(ccdiag_parse_text(out, strlen(out), &l), 1);
        assert_non_null(strstr(l.v[0].file, "inc/h.h"));
        assert_int_equal(l.v[0].include_chain.n, 1);
        assert_string_equal(l.v[0].include_chain.v[0], "src/j.c:1");
        cJSON *j = ccdiag_to_json(&l.v[0]);
        ccdiag back;
        assert_true(ccdiag_from_json(j, &back));
        assert_string_equal(back.include_chain.v[0], "src/j.c:1");
        assert_string_equal(back.message, l.v[0].message);
        ccdiag_free(&back);
        cJSON_Delete(j);
        ccdiag_list_free(&l);
        free(out);
    }
}

static void test_option_and_notes(void **state)
{
    const char *out = "a.c:2:3: warning: implicit declaration of function 'f' [-Werror,-Wimplicit-function-declaration]\n"
                      "a.c:1:1: note: declared here\n"
                      "b.c:1:1: error: boom\n";
    ccdiag_list l = {0};
    assert_int_equal(ccdiag_parse_text(out, strlen(out), &l), 1);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].option, "-Wimplicit-function-declaration");
    assert_int_equal(l.v[0].notes.n, 1);
    assert_string_equal(l.v[0].notes.v[0], "a.c:1:1: declared here");
    assert_null(l.v[1].option);
    ccdiag_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcc_output),
        cmocka_unit_test(test_tools_and_linker),
        cmocka_unit_test(test_path_with_colon_and_empty),
        cmocka_unit_test(test_option_and_notes),
        cmocka_unit_test_setup_teardown(test_ld_multiple_definition, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_ld_undefined_reference, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_ld_missing_library_and_fpic, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_ld_symbol_version, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_lld, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_structured, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
