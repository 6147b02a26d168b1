/* test_project.c - unit tests of project.c: the original JMake format, defaults, overrides, located errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"
#include "util.h"
#include "testutil.h"

static void assert_path(const char *dir, const char *rel, const char *actual)
{
    char *want = path_join(dir, rel);
    assert_string_equal(actual, want);
    free(want);
}

static const char original_example[] =
    "[project]\n"
    "name = \"mathlib\"\n"
    "root = \".\"\n"
    "[paths]\n"
    "source = \"src\"\n"
    "build = \"build\"\n"
    "output = \"julia\"\n"
    "include = [\"include\"]\n"
    "[compile]\n"
    "flags = [\"-O3\", \"-fPIC\"]\n"
    "include_dirs = [\"include\"]\n"
    "link_libraries = [\"m\", \"pthread\"]\n"
    "[compile.defines]\n"
    "MATHLIB_VERSION = \"1.0.0\"\n"
    "[binary]\n"
    "library_type = \"shared\"\n"
    "library_name = \"libmathlib.so\"\n"
    "[wrap]\n"
    "enabled = true\n"
    "module_name = \"Mathlib\"\n"
    "[cache]\n"
    "enabled = true\n"
    "directory = \".bridge_cache\"\n";

static void test_original_format(void **state)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml", original_example);
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(d.count, 0);
    assert_string_equal(p.config_path, path);
    assert_string_equal(p.root, dir);
    assert_string_equal(p.name, "mathlib");
    assert_path(dir, "src", p.source_dir);
    assert_path(dir, "build", p.build_dir);
    assert_path(dir, "julia", p.output_dir);
    /* "include" in both [paths] and [compile] is one -I. */
    assert_int_equal(p.include_dirs.n, 1);
    assert_path(dir, "include", p.include_dirs.v[0]);
    assert_int_equal(p.flags.n, 2);
    assert_string_equal(p.flags.v[0], "-O3");
    assert_string_equal(p.flags.v[1], "-fPIC");
    assert_int_equal(p.libraries.n, 2);
    assert_string_equal(p.libraries.v[0], "m");
    assert_string_equal(p.libraries.v[1], "pthread");
    assert_int_equal(p.define_count, 1);
    assert_string_equal(p.defines[0].name, "MATHLIB_VERSION");
    assert_string_equal(p.defines[0].value, "1.0.0");
    assert_int_equal(p.output, PROJECT_SHARED);
    assert_string_equal(p.library_name, "libmathlib.so");
    assert_path(dir, "build/libmathlib.so", p.artifact_path);
    assert_true(p.wrap.enabled);
    assert_string_equal(p.wrap.module_name, "Mathlib");
    assert_true(p.cache.enabled);
    assert_path(dir, ".bridge_cache", p.cache.directory);
    assert_false(p.llvm.enabled);
    assert_int_equal(p.sources.n, 0);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_defaults(void **state)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml", "# nothing but a comment\n");
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(d.count, 0);
    assert_string_equal(p.root, dir);
    assert_string_equal(p.name, path_basename(dir));
    assert_path(dir, "src", p.source_dir);
    assert_path(dir, "build", p.build_dir);
    assert_path(dir, "julia", p.output_dir);
    assert_string_equal(p.cc, "cc");
    assert_string_equal(p.cxx, "c++");
    assert_int_equal(p.output, PROJECT_SHARED);
    char *lib = xasprintf("lib%s.so", p.name);
    assert_string_equal(p.library_name, lib);
    free(lib);
    assert_false(p.wrap.enabled);
    assert_int_equal(p.wrap.languages.n, 1);
    assert_string_equal(p.wrap.languages.v[0], "julia");
    assert_string_equal(p.wrap.output_dir, p.output_dir);
    assert_true(p.cache.enabled);
    assert_null(p.cache.directory);
    assert_false(p.llvm.enabled);
    assert_int_equal(p.include_dirs.n, 0);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_library_type_defaults(void **state)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml", "[project]\nname = \"vec\"\n[binary]\nlibrary_type = \"static\"\n");
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(p.output, PROJECT_STATIC);
    assert_string_equal(p.library_name, "libvec.a");
    project_free(&p);
    free(path);

    path = test_write_text(dir, "jmake.toml", "[project]\nname = \"tool\"\n[binary]\nlibrary_type = \"executable\"\n");
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(p.output, PROJECT_EXECUTABLE);
    assert_string_equal(p.library_name, "tool");
    assert_path(dir, "build/tool", p.artifact_path);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_compile_details(void **state)
{
    char *dir = test_tempdir("project");
    char *sub = path_join(dir, "proj");
    assert_int_equal(mkdir_p(sub, 0755), 0);
    char *path = test_write_text(sub, "jmake.toml",
                            "[paths]\n"
                            "include = \"inc\"\n"            /* a single string is a one-item list */
                            "build = \"../out//b/\"\n"
                            "[compile]\n"
                            "cc = \"clang\"\n"
                            "cxx = \"clang++\"\n"
                            "c_flags = [\"-std=c11\"]\n"
                            "cxx_flags = [\"-std=c++17\"]\n"
                            "link_flags = [\"-Wl,--as-needed\"]\n"
                            "lib_dirs = [\"/opt/lib\", \"lib\"]\n"
                            "libraries = [\"z\"]\n"
                            "include_dirs = [\"third_party/include\"]\n"
                            "sources = [\"src/**/*.c\", \"extra/one.cpp\"]\n"
                            "exclude = [\"src/experimental/**\"]\n"
                            "[compile.defines]\n"
                            "LEVEL = 3\n"
                            "FAST = true\n"
                            "SLOW = false\n"
                            "NAME = \"x\"\n"
                            "[[compile.overrides]]\n"
                            "match = \"src/simd/**\"\n"
                            "flags = [\"-mavx2\"]\n"
                            "[[compile.overrides]]\n"
                            "match = \"src/legacy.c\"\n"
                            "flags = [\"-O0\", \"-w\"]\n"
                            "[llvm]\n"
                            "toolchain_path = \"/usr/lib/llvm-14\"\n");
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(d.count, 0);
    assert_int_equal(p.include_dirs.n, 2);
    assert_path(sub, "inc", p.include_dirs.v[0]);
    assert_path(sub, "third_party/include", p.include_dirs.v[1]);
    assert_path(dir, "out/b", p.build_dir);
    assert_string_equal(p.cc, "clang");
    assert_string_equal(p.cxx, "clang++");
    assert_string_equal(p.cflags.v[0], "-std=c11");
    assert_string_equal(p.cxxflags.v[0], "-std=c++17");
    assert_string_equal(p.link_flags.v[0], "-Wl,--as-needed");
    assert_int_equal(p.lib_dirs.n, 2);
    assert_string_equal(p.lib_dirs.v[0], "/opt/lib");
    assert_path(sub, "lib", p.lib_dirs.v[1]);
    assert_string_equal(p.libraries.v[0], "z");
    assert_int_equal(p.sources.n, 2);
    assert_string_equal(p.sources.v[0], "src/**/*.c");
    assert_int_equal(p.exclude.n, 1);
    assert_string_equal(p.exclude.v[0], "src/experimental/**");
    /* false leaves the macro undefined; true is a bare -DNAME. */
    assert_int_equal(p.define_count, 3);
    assert_string_equal(p.defines[0].name, "LEVEL");
    assert_string_equal(p.defines[0].value, "3");
    assert_string_equal(p.defines[1].name, "FAST");
    assert_null(p.defines[1].value);
    assert_string_equal(p.defines[2].name, "NAME");
    assert_int_equal(p.override_count, 2);
    assert_string_equal(p.overrides[0].match, "src/simd/**");
    assert_string_equal(p.overrides[0].flags.v[0], "-mavx2");
    assert_string_equal(p.overrides[1].match, "src/legacy.c");
    assert_int_equal(p.overrides[1].flags.n, 2);
    assert_true(p.llvm.enabled);
    assert_string_equal(p.llvm.toolchain_path, "/usr/lib/llvm-14");
    assert_int_equal(p.llvm.opt_flags.n, 1);
    assert_string_equal(p.llvm.opt_flags.v[0], "-O2");
    project_free(&p);
    diag_free(&d);
    free(path);
    free(sub);
    remove_tree(dir);
    free(dir);
}

static void test_original_unused_sections_warn(void **state)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml",
                            "[project]\nname = \"m\"\n"
                            "[discovery]\nenabled = true\nmax_depth = 3\n"
                            "[workflow]\nstages = [\"discover\", \"compile\"]\n"
                            "[frobnicate]\nx = 1\n"
                            "[compile]\nflagz = [\"-O2\"]\n");
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 4);   /* one per section, not one per key */
    const diag_item *w = test_find_diag(&d, DIAG_WARNING, "[discovery]");
    assert_non_null(w);
    assert_int_equal(w->line, 3);
    assert_string_equal(w->file, path);
    w = test_find_diag(&d, DIAG_WARNING, "[workflow]");
    assert_non_null(w);
    assert_int_equal(w->line, 6);
    w = test_find_diag(&d, DIAG_WARNING, "unknown section 'frobnicate'");
    assert_non_null(w);
    assert_int_equal(w->line, 8);
    w = test_find_diag(&d, DIAG_WARNING, "'compile.flagz'");
    assert_non_null(w);
    assert_int_equal(w->line, 11);
    assert_int_equal(w->column, 1);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void expect_error(const char *text, int line, int col, const char *needle)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml", text);
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), -1);
    const diag_item *e = test_find_diag(&d, DIAG_ERROR, needle);
    if (!e)
        fail_msg("no error holding '%s' (first: %s)", needle, d.count ? d.items[0].message : "none");
    assert_int_equal(d.errors, 1);
    assert_string_equal(e->file, path);
    assert_int_equal(e->line, line);
    assert_int_equal(e->column, col);
    /* Still a complete, freeable configuration. */
    assert_non_null(p.name);
    assert_non_null(p.library_name);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_errors_with_positions(void **state)
{
    expect_error("[project]\nname = 42\n", 2, 8, "'project.name' must be a string, not integer");
    expect_error("[compile]\nflags = \"-O2\"\n", 2, 9, "'compile.flags' must be an array of strings");
    expect_error("[compile]\nflags = [\"-O2\", true]\n", 2, 17, "item 2 is bool");
    expect_error("[binary]\nlibrary_type = \"dll\"\n", 2, 16, "one of shared, static, executable");
    expect_error("[wrap]\nenabled = \"yes\"\n", 2, 11, "must be a boolean");
    expect_error("[compile.defines]\nX = 1.5\n", 2, 5, "must be a string, an integer or a boolean");
    expect_error("[[compile.overrides]]\nflags = [\"-O0\"]\n", 1, 1, "no 'match'");
    expect_error("[paths]\nsource = \"\"\n", 2, 10, "must not be empty");
    expect_error("paths = \"src\"\n", 1, 9, "'paths' must be a table");
    expect_error("[wrap]\nlanguages = [\"rust\"]\n", 2, 13, "unknown language \"rust\"");
}

static void test_syntax_error(void **state)
{
    char *dir = test_tempdir("project");
    char *path = test_write_text(dir, "jmake.toml", "[project]\nname = \"unterminated\n");
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load(path, &p, &d), -1);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, path);
    assert_int_equal(d.items[0].line, 2);
    assert_true(d.items[0].column > 0);
    project_free(&p);
    diag_free(&d);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_missing_file(void **state)
{
    project_config p;
    diag_list d = {0};
    assert_int_equal(project_load("/nonexistent/dir/jmake.toml", &p, &d), -1);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, "/nonexistent/dir/jmake.toml");
    assert_int_equal(d.items[0].line, 0);
    assert_string_equal(d.items[0].message, "cannot read: No such file or directory");
    char *line = diag_format(&d.items[0]);
    assert_string_equal(line, "/nonexistent/dir/jmake.toml: error: cannot read: No such file or directory");
    free(line);
    project_free(&p);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_original_format),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_library_type_defaults),
        cmocka_unit_test(test_compile_details),
        cmocka_unit_test(test_original_unused_sections_warn),
        cmocka_unit_test(test_errors_with_positions),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
