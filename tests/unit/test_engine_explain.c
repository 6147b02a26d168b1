/* test_engine_explain.c - why each unit was compiled or restored, and what a cache miss's nearest entry differs in: every reason with real gcc, the list's cap through the fake runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "engine_fixture.h"
#include "runner.h"
#include "util.h"

/* The explain entry of file, or NULL. */
static const cJSON *entry_of(const cJSON *r, const char *file)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "explain"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "file")), file))
            return e;
    return NULL;
}

static const char *field(const cJSON *e, const char *name)
{
    assert_non_null(e);
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(e, name));
    assert_non_null(s);
    return s;
}

/* Asserts file's entry has reason and outcome; returns the entry. */
static const cJSON *expect_reason(const cJSON *r, const char *file, const char *reason, const char *outcome)
{
    const cJSON *e = entry_of(r, file);
    if (!e)
        fprintf(stderr, "no explain entry for %s\n", file);
    assert_non_null(e);
    if (strcmp(field(e, "reason"), reason) != 0)
        fprintf(stderr, "%s: reason %s (%s), expected %s\n", file, field(e, "reason"), field(e, "text"), reason);
    assert_string_equal(field(e, "reason"), reason);
    assert_string_equal(field(e, "outcome"), outcome);
    return e;
}

static bool list_has(const cJSON *e, const char *name, const char *value)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(e, name))
        if (!strcmp(cJSON_GetStringValue(v), value))
            return true;
    return false;
}

static int list_len(const cJSON *e, const char *name)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(e, name));
}

static const cJSON *cache_of(const cJSON *e)
{
    const cJSON *c = cJSON_GetObjectItem(e, "cache");
    assert_non_null(c);
    return c;
}

/* The first {what} of a miss's differs list named what, or NULL. */
static const cJSON *difference(const cJSON *e, const char *what)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(cache_of(e), "differs"))
        if (!strcmp(field(d, "what"), what))
            return d;
    return NULL;
}

static const char *toml_with(const char *flags, const char *cc)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "[project]\nname = \"ex\"\n[paths]\nsource = \"src\"\ninclude = [\"include\", \"include2\"]\n"
             "[compile]\ncc = \"%s\"\nflags = [%s]\n[binary]\nlibrary_type = \"shared\"\n",
             cc, flags);
    return buf;
}

static void write_sources(const char *root)
{
    wf(root, "include/x.h", "#define XVAL 1\n");
    wf(root, "include/y.h", "#define YVAL 1\n");
    wf(root, "include2/y.h", "#define YVAL 2\n");
    wf(root, "src/a.c", "#include \"x.h\"\nint fa(void) { return XVAL; }\n");
    wf(root, "src/b.c", "#include \"y.h\"\nint fb(void) { return YVAL; }\n");
    wf(root, "src/c.c", "int fc(void) { return 3; }\n");
}

static void rewrite_toml(tproj *t, const char *toml)
{
    wf(t->root, "jmake.toml", toml);
}

/* First build: no record of any unit, no cache entry for any source; a no-op lists nothing. */
static void test_first_build_and_noop(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), true);
    write_sources(t.root);
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "explain")), 3);
    assert_int_equal(num(r, "files", "compiled"), 3);
    const cJSON *e = expect_reason(r, "src/a.c", "no-record", "compiled");
    assert_string_equal(field(e, "text"), "no previous build of this unit");
    assert_string_equal(field(cache_of(e), "result"), "miss");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cache_of(e), "nearby")));
    assert_string_equal(field(cache_of(e), "text"), "no entry for this source");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "explain_omitted")), 0);
    cJSON_Delete(r);

    r = expect_build(&t, 0, 0, 0, 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "explain")), 0);
    cJSON_Delete(r);
    tproj_free(&t);
}

/* An edited source, a header's content, a header gone (another one found in
   its place), a source that now includes another header. */
static void test_inputs(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), true);
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));

    wf(t.root, "src/c.c", "int fc(void) { return 4; }\n");
    cJSON *r = expect_build(&t, 0, 1, 0, 2);
    const cJSON *e = expect_reason(r, "src/c.c", "source-changed", "compiled");
    assert_string_equal(field(e, "text"), "source changed");
    assert_null(entry_of(r, "src/a.c"));
    /* The cache's nearest entry is the one of the previous content. */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cache_of(e), "nearby")));
    assert_non_null(difference(e, "source"));
    assert_null(difference(e, "flags"));
    cJSON_Delete(r);

    wf(t.root, "include/x.h", "#define XVAL 2\n");
    r = expect_build(&t, 0, 1, 0, 2);
    e = expect_reason(r, "src/a.c", "header-changed", "compiled");
    assert_string_equal(field(e, "text"), "header include/x.h changed");
    assert_true(list_has(e, "headers", "include/x.h"));
    /* Same source, flags and compiler: the manifest is there, its header differs. */
    const cJSON *d = difference(e, "header");
    assert_non_null(d);
    assert_string_equal(field(d, "path"), "include/x.h");
    cJSON_Delete(r);

    char *y = path_join(t.root, "include/y.h");
    assert_int_equal(unlink(y), 0);
    free(y);
    r = expect_build(&t, 0, 1, 0, 2);
    e = expect_reason(r, "src/b.c", "header-removed", "compiled");
    assert_true(list_has(e, "headers", "include/y.h"));
    assert_true(list_has(e, "headers_added", "include2/y.h"));
    assert_true(list_has(e, "headers_removed", "include/y.h"));
    assert_non_null(strstr(field(e, "text"), "now includes include2/y.h"));
    cJSON_Delete(r);

    wf(t.root, "include/n.h", "#define NVAL 5\n");
    wf(t.root, "src/c.c", "#include \"n.h\"\nint fc(void) { return NVAL; }\n");
    r = expect_build(&t, 0, 1, 0, 2);
    e = expect_reason(r, "src/c.c", "source-changed", "compiled");
    assert_true(list_has(e, "headers_added", "include/n.h"));
    assert_string_equal(field(e, "text"), "source changed; now includes include/n.h");
    cJSON_Delete(r);
    tproj_free(&t);
}

/* Flags added and removed in jmake.toml, named one by one; the cache's
   nearest entry (the build before the change) differs in the same flags;
   back to the old flags after a clean, the objects are restored. */
static void test_flags_and_cache_nearby(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O0\", \"-Wall\"", "gcc"), true);
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));

    rewrite_toml(&t, toml_with("\"-O2\", \"-Wall\", \"-DNDEBUG\"", "gcc"));
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    const cJSON *e = expect_reason(r, "src/a.c", "flags-changed", "compiled");
    assert_int_equal(list_len(e, "added"), 2);
    assert_true(list_has(e, "added", "-O2") && list_has(e, "added", "-DNDEBUG"));
    assert_int_equal(list_len(e, "removed"), 1);
    assert_true(list_has(e, "removed", "-O0"));
    assert_string_equal(field(e, "text"), "flags changed: added -O2, -DNDEBUG; removed -O0");
    const cJSON *d = difference(e, "flags");
    assert_non_null(d);
    assert_true(list_has(d, "added", "-DNDEBUG") && list_has(d, "removed", "-O0"));
    assert_null(difference(e, "source"));
    assert_non_null(strstr(field(cache_of(e), "text"), "flags (added -O2, -DNDEBUG; removed -O0)"));
    cJSON_Delete(r);

    /* Clean, then a flag only the cache can compare with: the record's reason
       is the flag, the cache's nearest entry differs in it too. */
    char *build_dir = path_join(t.root, "build");
    remove_tree(build_dir);
    rewrite_toml(&t, toml_with("\"-O2\", \"-Wall\", \"-DNDEBUG\", \"-DFOO\"", "gcc"));
    r = expect_build(&t, 0, 3, 0, 0);
    e = expect_reason(r, "src/b.c", "flags-changed", "compiled");
    assert_string_equal(field(e, "text"), "flags changed: added -DFOO");
    d = difference(e, "flags");
    assert_non_null(d);
    assert_true(list_has(d, "added", "-DFOO"));
    assert_int_equal(list_len(d, "removed"), 0);
    cJSON_Delete(r);

    /* Back to the first flags after a clean: every object from the cache. */
    remove_tree(build_dir);
    rewrite_toml(&t, toml_with("\"-O0\", \"-Wall\"", "gcc"));
    r = expect_build(&t, 0, 0, 3, 0);
    e = expect_reason(r, "src/c.c", "flags-changed", "restored");
    assert_string_equal(field(cache_of(e), "result"), "hit");
    cJSON_Delete(r);

    /* Same flags in another order. */
    rewrite_toml(&t, toml_with("\"-Wall\", \"-O0\"", "gcc"));
    r = expect_build(&t, 0, 3, 0, 0);
    e = expect_reason(r, "src/c.c", "flags-changed", "compiled");
    assert_string_equal(field(e, "text"), "flags changed: the same flags in another order");
    cJSON_Delete(r);
    free(build_dir);
    tproj_free(&t);
}

/* A deleted object is restored from the cache; a changed object (someone
   wrote it) is too. */
static void test_objects(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), true);
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    char *obj = path_join(t.root, "build/obj/src/a.c.o");
    assert_int_equal(unlink(obj), 0);
    cJSON *r = expect_build(&t, 0, 0, 1, 2);
    const cJSON *e = expect_reason(r, "src/a.c", "object-missing", "restored");
    assert_string_equal(field(e, "text"), "object build/obj/src/a.c.o is missing");
    assert_string_equal(field(cache_of(e), "result"), "hit");
    cJSON_Delete(r);

    FILE *f = fopen(obj, "a");
    assert_non_null(f);
    fputs("junk", f);
    fclose(f);
    r = expect_build(&t, 0, 0, 1, 2);
    expect_reason(r, "src/a.c", "object-changed", "restored");
    cJSON_Delete(r);
    free(obj);
    tproj_free(&t);
}

/* A compiler replaced at the same path (an upgrade): named with its path;
   a miss names the compiler as what the nearest entry differs in. */
static void test_compiler_replaced(void **state)
{
    tproj t;
    tproj_init(&t, "", true);
    char *bin = path_join(t.home, "bin/cc");
    wf(t.home, "bin/cc", "#!/bin/sh\nexec gcc \"$@\"\n");
    assert_int_equal(chmod(bin, 0755), 0);
    rewrite_toml(&t, toml_with("\"-O1\"", bin));
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    wf(t.home, "bin/cc", "#!/bin/sh\n# upgraded\nexec gcc \"$@\"\n");
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    const cJSON *e = expect_reason(r, "src/a.c", "compiler-changed", "compiled");
    char *want = xasprintf("compiler changed: %s was replaced (", bin);
    assert_non_null(strstr(field(e, "text"), want));
    free(want);
    const cJSON *d = difference(e, "compiler");
    assert_non_null(d);
    assert_non_null(strstr(field(d, "text"), bin));
    cJSON_Delete(r);
    free(bin);
    tproj_free(&t);
}

/* incremental_builds = false: every unit compiles, "forced". */
static void test_forced(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), false);
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    engine_free(t.eng);
    char *state_dir = path_join(t.home, "state");
    engine_options o = {.state_dir = state_dir, .max_parallel = 2, .build_timeout_s = 600, .incremental = false};
    t.eng = engine_new(&o);
    free(state_dir);
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    const cJSON *e = expect_reason(r, "src/a.c", "forced", "compiled");
    assert_null(cJSON_GetObjectItem(e, "cache"));   /* cache off: no lookup to explain */
    cJSON_Delete(r);
    tproj_free(&t);
}

/* A failed unit is listed as failed with its reason; the list of a huge
   rebuild stops at 1,000 entries and counts the rest (fake runner). */
static void test_failed_and_cap(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), false);
    write_sources(t.root);
    wf(t.root, "src/bad.c", "int broken(void) { return }\n");
    cJSON *r = expect_build(&t, 1, 3, 0, 0);
    expect_reason(r, "src/bad.c", "no-record", "failed");
    cJSON_Delete(r);
    tproj_free(&t);

    char *home = test_tempdir("explain-cap");
    char *root = path_join(home, "p");
    wf(root, "jmake.toml", "[project]\nname = \"cap\"\n");
    for (int i = 0; i < 1005; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "src/s%04d.c", i);
        wf(root, rel, "int x;\n");
    }
    runner *fake = runner_fake_new(0);
    char *state_dir = path_join(home, "state");
    engine_options o = {.state_dir = state_dir, .max_parallel = 2, .build_timeout_s = 600, .incremental = true,
                        .runner = fake};
    engine *eng = engine_new(&o);
    char *cfg = path_join(root, "jmake.toml");
    r = NULL;
    assert_int_equal(run_build(eng, cfg, &r), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "explain")), 1000);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "explain_omitted")), 5);
    assert_string_equal(field(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "explain"), 0), "file"), "src/s0000.c");
    cJSON_Delete(r);
    engine_free(eng);
    runner_free(fake);
    remove_tree(home);
    free(cfg);
    free(state_dir);
    free(root);
    free(home);
}

/* The record persists the command: a restarted daemon (a new engine) still names the flag. */
static void test_reason_survives_restart(void **state)
{
    tproj t;
    tproj_init(&t, toml_with("\"-O1\"", "gcc"), false);
    write_sources(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    engine_free(t.eng);
    t.eng = new_engine(t.home, false, 2);
    rewrite_toml(&t, toml_with("\"-O1\", \"-DLATER\"", "gcc"));
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    const cJSON *e = expect_reason(r, "src/c.c", "flags-changed", "compiled");
    assert_string_equal(field(e, "text"), "flags changed: added -DLATER");
    cJSON_Delete(r);
    tproj_free(&t);
}

int main(void)
{
    if (!test_have_tool("gcc")) {
        printf("gcc not found: skipped\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_build_and_noop),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_flags_and_cache_nearby),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_compiler_replaced),
        cmocka_unit_test(test_forced),
        cmocka_unit_test(test_failed_and_cap),
        cmocka_unit_test(test_reason_survives_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
