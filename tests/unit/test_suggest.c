/* test_suggest.c - what `jmake init` proposes to build: main() and module units read from the text, the library's folder, and the sources left out (unity files, fragments, tests, ports, vendored code). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "util.h"

static suggest_text_role classify(const char *text)
{
    return suggest_classify_text(text, strlen(text), NULL);
}

static void test_main_is_found_where_it_is_defined(void **state)
{
    (void)state;
    assert_int_equal(classify("#include <stdio.h>\nint main(int argc, char **argv)\n{\n    return 0;\n}\n"),
                     SUGGEST_TEXT_MAIN);
    assert_int_equal(classify("int\nmain (void) { return 0; }\n"), SUGGEST_TEXT_MAIN);
    assert_int_equal(classify("void main() {}\n"), SUGGEST_TEXT_MAIN);
    /* A calling-convention macro between the type and the name (cJSON's test.c). */
    assert_int_equal(classify("int CJSON_CDECL main(void)\n{\n}\n"), SUGGEST_TEXT_MAIN);
}

static void test_main_elsewhere_does_not_count(void **state)
{
    (void)state;
    /* Under a condition (zlib's crc32.c builds a table generator with -DMAKECRCH). */
    assert_int_equal(classify("int crc(void);\n#ifdef MAKECRCH\nint main(void) { return 0; }\n#endif\n"),
                     SUGGEST_TEXT_PLAIN);
    assert_int_equal(classify("/* int main(void) { } */\n// int main(void)\nint f(void);\n"), SUGGEST_TEXT_PLAIN);
    assert_int_equal(classify("const char *s = \"int main(void)\";\n"), SUGGEST_TEXT_PLAIN);
    assert_int_equal(classify("#define ENTRY int main(void)\n"), SUGGEST_TEXT_PLAIN);
    /* A call, a member and another name. */
    assert_int_equal(classify("void run(void) { x = main(1); s.main(2); }\nint domain(void);\nint main_loop(void);\n"),
                     SUGGEST_TEXT_PLAIN);
    /* After the #if closes, a definition counts again. */
    assert_int_equal(classify("#if X\nint a;\n#endif\nint main(void) { return 0; }\n"), SUGGEST_TEXT_MAIN);
}

static void test_module_units(void **state)
{
    (void)state;
    assert_int_equal(classify("// fmt\nmodule;\n#include <cstdio>\nexport module fmt;\n"), SUGGEST_TEXT_MODULE);
    assert_int_equal(classify("/* x */\nexport module m;\n"), SUGGEST_TEXT_MODULE);
    assert_int_equal(classify("int module = 1;\n"), SUGGEST_TEXT_PLAIN);
    assert_int_equal(classify("#include \"a.h\"\nexport int f();\n"), SUGGEST_TEXT_PLAIN);
    assert_int_equal(classify("#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n"),
                     SUGGEST_TEXT_FUZZER);
}

static void sv(strvec *v, const char *const *items)
{
    for (size_t i = 0; items[i]; i++)
        strvec_push(v, items[i]);
}

/* The defines text demands, as "A,B," (caller frees). */
static char *required_of(const char *text)
{
    suggest_macros m = {0};
    suggest_classify_text(text, strlen(text), &m);
    char *out = xstrdup("");
    for (size_t i = 0; i < m.required.n; i++) {
        char *next = xasprintf("%s%s,", out, m.required.v[i]);
        free(out);
        out = next;
    }
    suggest_macros_free(&m);
    return out;
}

static void test_required_defines(void **state)
{
    (void)state;
    char *r = required_of("// spdlog\n#ifndef SPDLOG_COMPILED_LIB\n    #error Please define SPDLOG_COMPILED_LIB\n#endif\n"
                          "#include <spdlog/common-inl.h>\nint main(void) { return 0; }\n");
    assert_string_equal(r, "SPDLOG_COMPILED_LIB,");
    free(r);
    /* An include guard, a platform check on the compiler's own macros, and code in between: none. */
    r = required_of("#ifndef A_H\n#define A_H\n#endif\n#ifndef __linux__\n#error linux only\n#endif\n"
                    "#ifndef _WIN32\n# error no\n#endif\n#ifndef HAVE_X\nint x;\n#error later\n#endif\n");
    assert_string_equal(r, "");
    free(r);
    r = required_of("#ifndef NEED_A\n#error a\n#endif\n#ifndef NEED_A\n#error again\n#endif\n# ifndef NEED_B\n#  error b\n# endif\n");
    assert_string_equal(r, "NEED_A,NEED_B,");
    free(r);

    /* The names a file defines are read too. */
    suggest_macros m = {0};
    const char *text = "#define FSE_FUNCTION_TYPE BYTE\n#  define  FSE_FUNCTION_EXTENSION\n#include \"x.c\"\n";
    suggest_classify_text(text, strlen(text), &m);
    assert_int_equal(m.defined.n, 2);
    assert_string_equal(m.defined.v[0], "FSE_FUNCTION_TYPE");
    assert_string_equal(m.defined.v[1], "FSE_FUNCTION_EXTENSION");
    suggest_macros_free(&m);

    /* A demanded name some project file defines is not suggested. */
    strvec none = {0}, req = {0}, defined = {0}, out = {0};
    sv(&req, (const char *const[]){"FSE_FUNCTION_TYPE", "SPDLOG_COMPILED_LIB", NULL});
    sv(&defined, (const char *const[]){"FSE_FUNCTION_TYPE", NULL});
    suggest_source_facts facts[] = {{"src/a.c", SUGGEST_TEXT_PLAIN, &none, &req}};
    suggest_required_defines(facts, 1, "src", &none, &defined, &out);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0], "SPDLOG_COMPILED_LIB");
    strvec_free(&req);
    strvec_free(&defined);
    strvec_free(&out);
}


static void test_source_folder(void **state)
{
    (void)state;
    strvec s = {0};
    /* zlib: fewer files at the root than in contrib/, but contrib is other projects' code. */
    sv(&s, (const char *const[]){"adler32.c", "crc32.c", "contrib/a/a.c", "contrib/b/b.c", "contrib/c/c.c",
                                 "contrib/d/d.c", "test/example.c", NULL});
    char *f = suggest_source_folder(&s, "/nonexistent");
    assert_string_equal(f, ".");
    free(f);
    strvec_free(&s);
    /* fmt: more sources in test/ than in src/. */
    sv(&s, (const char *const[]){"src/format.cc", "src/os.cc", "test/a.cc", "test/b.cc", "test/c.cc", NULL});
    f = suggest_source_folder(&s, "/nonexistent");
    assert_string_equal(f, "src");
    free(f);
    strvec_free(&s);
    /* Two ordinary folders: the bigger. */
    sv(&s, (const char *const[]){"core/a.c", "core/b.c", "extra/c.c", NULL});
    f = suggest_source_folder(&s, "/nonexistent");
    assert_string_equal(f, "core");
    free(f);
    strvec_free(&s);
    /* Only tests: then the tests. */
    sv(&s, (const char *const[]){"tests/a.c", NULL});
    f = suggest_source_folder(&s, "/nonexistent");
    assert_string_equal(f, "tests");
    free(f);
    strvec_free(&s);
}

/* The exclusions for facts, as "glob=why;" text (caller frees). */
static char *excludes_text(const suggest_source_facts *facts, size_t n, const char *folder)
{
    strvec globs = {0}, why = {0};
    suggest_excludes(facts, n, folder, &globs, &why);
    char *out = xstrdup("");
    for (size_t i = 0; i < globs.n; i++) {
        char *next = xasprintf("%s%s=%s;", out, globs.v[i], why.v[i]);
        free(out);
        out = next;
    }
    strvec_free(&globs);
    strvec_free(&why);
    return out;
}

static void test_excludes(void **state)
{
    (void)state;
    strvec none = {0}, unity = {0}, one = {0}, mock = {0};
    sv(&unity, (const char *const[]){"lapi.c", "lcode.c", "lua.h", NULL});
    sv(&one, (const char *const[]){"tables.c", NULL});
    sv(&mock, (const char *const[]){"src/os.c", NULL});
    suggest_source_facts lua[] = {
        {"lapi.c", SUGGEST_TEXT_PLAIN, &none, NULL},    {"lcode.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"lua.c", SUGGEST_TEXT_MAIN, &none, NULL},      {"onelua.c", SUGGEST_TEXT_PLAIN, &unity, NULL},
        {"testes/lib1.c", SUGGEST_TEXT_PLAIN, &none, NULL}, {"win32/port.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"contrib/z.c", SUGGEST_TEXT_PLAIN, &none, NULL}, {"gen.c", SUGGEST_TEXT_PLAIN, &one, NULL},
        {"tables.c", SUGGEST_TEXT_PLAIN, &none, NULL},  {"mod.cc", SUGGEST_TEXT_MODULE, &none, NULL},
    };
    char *t = excludes_text(lua, sizeof lua / sizeof lua[0], ".");
    assert_string_equal(t, "lua.c=defines main();onelua.c=includes other sources;tables.c=included by another source;"
                           "mod.cc=a C++20 module unit;testes/**=tests, examples or docs;"
                           "win32/**=another platform's port;contrib/**=another project's code;");
    free(t);

    /* A test that includes the source it mocks does not make that source a fragment. */
    suggest_source_facts fmt[] = {
        {"src/os.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"src/format.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"test/posix-mock-test.c", SUGGEST_TEXT_MAIN, &mock, NULL},
    };
    t = excludes_text(fmt, 3, "src");
    assert_string_equal(t, "");
    free(t);

    /* A source with includes of its own stays a unit when another includes it (lz4hc.c includes lz4.c). */
    strvec lz4_includes = {0}, includes_lz4 = {0};
    sv(&lz4_includes, (const char *const[]){"lib/lz4.h", NULL});
    sv(&includes_lz4, (const char *const[]){"lib/lz4hc.h", "lib/lz4.c", NULL});
    suggest_source_facts lz4[] = {
        {"lib/lz4.c", SUGGEST_TEXT_PLAIN, &lz4_includes, NULL},
        {"lib/lz4hc.c", SUGGEST_TEXT_PLAIN, &includes_lz4, NULL},
    };
    t = excludes_text(lz4, 2, "lib");
    assert_string_equal(t, "");
    free(t);
    strvec_free(&lz4_includes);
    strvec_free(&includes_lz4);

    /* Every source a program: they stay (there is no library to keep them out of). */
    suggest_source_facts tools[] = {{"a.c", SUGGEST_TEXT_MAIN, &none, NULL}, {"b.c", SUGGEST_TEXT_MAIN, &none, NULL}};
    t = excludes_text(tools, 2, ".");
    assert_string_equal(t, "");
    free(t);

    /* Folders inside the library folder: side ones anywhere, vendored ones kept below src/. */
    suggest_source_facts nested[] = {
        {"src/a.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"src/tests/t.c", SUGGEST_TEXT_PLAIN, &none, NULL},
        {"src/third_party/x.c", SUGGEST_TEXT_PLAIN, &none, NULL},
    };
    t = excludes_text(nested, 3, "src");
    assert_string_equal(t, "src/tests/**=tests, examples or docs;");
    free(t);
    strvec_free(&unity);
    strvec_free(&one);
    strvec_free(&mock);
}

static void test_include_dirs(void **state)
{
    (void)state;
    strvec none = {0}, uses_helpers = {0}, excluded = {0};
    sv(&uses_helpers, (const char *const[]){"tests/helpers/h.h", NULL});
    suggest_source_facts lib[] = {{"src/a.c", SUGGEST_TEXT_PLAIN, &none, NULL}};
    assert_true(suggest_keeps_include_dir("include", "src", lib, 1, &excluded));
    assert_true(suggest_keeps_include_dir("src", "src", lib, 1, &excluded));
    assert_false(suggest_keeps_include_dir("test/gtest", "src", lib, 1, &excluded));
    assert_false(suggest_keeps_include_dir("tests/unity/src", ".", lib, 1, &excluded));
    /* Unless the library itself includes something there. */
    suggest_source_facts needs[] = {{"src/a.c", SUGGEST_TEXT_PLAIN, &uses_helpers, NULL}};
    assert_true(suggest_keeps_include_dir("tests/helpers", "src", needs, 1, &excluded));
    /* ... and is not itself left out. */
    strvec_push(&excluded, "src/a.c");
    assert_false(suggest_keeps_include_dir("tests/helpers", "src", needs, 1, &excluded));
    /* Never another platform's folder, even when the library includes its header. */
    strvec uses_port = {0};
    sv(&uses_port, (const char *const[]){"android/jansson_config.h", NULL});
    suggest_source_facts port[] = {{"src/load.c", SUGGEST_TEXT_PLAIN, &uses_port, NULL}};
    strvec_free(&excluded);
    assert_false(suggest_keeps_include_dir("android", "src", port, 1, &excluded));
    strvec_free(&uses_port);
    strvec_free(&uses_helpers);
}

static void test_system_shims(void **state)
{
    (void)state;
    strvec headers = {0};
    sv(&headers, (const char *const[]){"contrib/linux-kernel/test/include/linux/types.h",
                                       "contrib/linux-kernel/test/include/linux/stddef.h", "lib/zstd.h",
                                       "lib/common/mem.h", "include/uv.h", "include/uv/unix.h", "shim/string.h",
                                       NULL});
    assert_true(suggest_is_system_shim("contrib/linux-kernel/test/include", &headers));
    assert_true(suggest_is_system_shim("contrib/linux-kernel/test/include/linux", &headers));
    assert_true(suggest_is_system_shim("shim", &headers));
    assert_false(suggest_is_system_shim("lib", &headers));
    assert_false(suggest_is_system_shim("lib/common", &headers));
    assert_false(suggest_is_system_shim("include", &headers));
    strvec_free(&headers);
}

static void test_test_files_and_templates(void **state)
{
    (void)state;
    assert_true(suggest_is_test_file("snappy_unittest.cc"));
    assert_true(suggest_is_test_file("src/snappy-test.cc"));
    assert_true(suggest_is_test_file("snappy_test_data.cc"));
    assert_true(suggest_is_test_file("test_api.c"));
    assert_true(suggest_is_test_file("x_compress_fuzzer.cc"));
    assert_false(suggest_is_test_file("attest.c"));
    assert_false(suggest_is_test_file("latest.c"));
    assert_false(suggest_is_test_file("contest_entry.c"));
    assert_false(suggest_is_test_file("src/testing/x.c"));
    char *h = suggest_template_header("cmake/config.h.in");
    assert_string_equal(h, "config.h");
    free(h);
    h = suggest_template_header("zconf.h.cmakein");
    assert_string_equal(h, "zconf.h");
    free(h);
    h = suggest_template_header("jansson_private_config.h.cmake");
    assert_string_equal(h, "jansson_private_config.h");
    free(h);
    h = suggest_template_header("config.h.in.in");
    assert_string_equal(h, "config.h");
    free(h);
    assert_null(suggest_template_header("Makefile.in"));
    assert_null(suggest_template_header("CMakeLists.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_is_found_where_it_is_defined),
        cmocka_unit_test(test_main_elsewhere_does_not_count),
        cmocka_unit_test(test_module_units),
        cmocka_unit_test(test_required_defines),
        cmocka_unit_test(test_source_folder),
        cmocka_unit_test(test_excludes),
        cmocka_unit_test(test_include_dirs),
        cmocka_unit_test(test_test_files_and_templates),
        cmocka_unit_test(test_system_shims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
