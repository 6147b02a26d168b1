/* test_discovery.c - discovery_scan on a real temporary project: files, ELF kinds, include folders and graph, cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "discovery.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char *root;    /* the project; owned */
    char *scratch; /* sources of the prebuilt binaries, outside the project; owned */
} fixture;

static void put(const char *root, const char *rel, const char *text)
{
    char *full = path_join(root, rel);
    char *dir = path_dirname(full);
    assert_int_equal(mkdir_p(dir, 0755), 0);
    assert_int_equal(write_file_atomic(full, text, strlen(text), 0644), 0);
    free(dir);
    free(full);
}

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, cmd);
}

static int setup(void **state)
{
    fixture *f = xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/jmake-disc-XXXXXX";
    char tmpl2[] = "/tmp/jmake-disc-src-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    assert_non_null(mkdtemp(tmpl2));
    f->root = xstrdup(tmpl);
    f->scratch = xstrdup(tmpl2);
    const char *r = f->root;

    put(r, "include/proj/api.h", "#pragma once\n#include \"proj/util.h\"\n#include <stdio.h>\n");
    put(r, "include/proj/util.h", "#pragma once\nint util(void);\n");
    put(r, "src/local.h", "#pragma once\n");
    put(r, "src/main.c",
        "#include \"proj/api.h\"\n"
        "#include \"local.h\"\n"
        "#include <stdlib.h>\n"
        "/* #include \"ghost.h\" */\n"
        "/* a block comment\n"
        "#include \"ghost2.h\"\n"
        "*/\n"
        "// #include \"ghost3.h\"\n"
        "int main(void) { return 0; }\n");
    put(r, "src/deep/nested/impl.cpp", "#include <proj/util.h>\n#include \"../../local.h\"\n");
    put(r, "src/uses_third.cc", "  #  include   \"thirdparty.hpp\"\n");
    put(r, "src/tricky.cxx",
        "const char *s = \"/*\";\n"
        "#include \"after_string.hh\"\n"
        "#include_next <next.inc>\n"
        "#define HDR \"x.h\"\n"
        "#include HDR\n"
        "int x; /* open\n"
        "   still comment */ int y;\n"
        "#include \"missing.h\"\n");
    put(r, "src/after_string.hh", "");
    put(r, "src/start.S", ".globl start\n");
    put(r, "src/legacy.C", "");
    put(r, "src/raw.s", "");
    put(r, "tools/gen.cxx", "");
    put(r, "config/next.inc", "");
    put(r, "lib/third/inc/thirdparty.hpp", "#pragma once\n#include \"other.hxx\"\n");
    put(r, "lib/third/inc/other.hxx", "");
    /* Everything below must be skipped. */
    put(r, "build/generated.c", "");
    put(r, "build/generated.h", "");
    put(r, ".git/hooks/hook.c", "");
    put(r, ".hidden/secret.c", "");
    put(r, "README.md", "# not a source\n");
    put(r, "prebuilt/fake.so", "this is not an ELF file\n");

    put(f->scratch, "foo.c", "int foo(int x) { return x + 1; }\n");
    put(f->scratch, "tool.c", "int main(void) { return 0; }\n");
    char *cmd = xasprintf("cd %s && mkdir -p %s/prebuilt && cc -c -fPIC foo.c -o %s/prebuilt/foo.o && "
                          "cc -shared -fPIC foo.c -o %s/prebuilt/libfoo.so && "
                          "ar rcs %s/prebuilt/libfoo.a %s/prebuilt/foo.o && "
                          "cc tool.c -o %s/prebuilt/tool && cp %s/prebuilt/foo.o %s/build/ignored.o",
                          f->scratch, r, r, r, r, r, r, r, r);
    run(cmd);
    free(cmd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_tree(f->root);
    remove_tree(f->scratch);
    free(f->root);
    free(f->scratch);
    free(f);
    return 0;
}

/* Asserts that a JSON array of strings equals expected (NULL-terminated). */
static void assert_strings(const cJSON *arr, const char *const *expected)
{
    assert_true(cJSON_IsArray(arr));
    size_t n = 0;
    while (expected[n])
        n++;
    char *text = cJSON_PrintUnformatted(arr);
    if ((size_t)cJSON_GetArraySize(arr) != n)
        fail_msg("expected %zu items, got %s", n, text);
    for (size_t i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetArrayItem(arr, (int)i);
        if (!cJSON_IsString(item) || strcmp(item->valuestring, expected[i]) != 0)
            fail_msg("item %zu: expected %s in %s", i, expected[i], text);
    }
    free(text);
}

static void assert_edges(const cJSON *graph, const char *file, const char *const *expected)
{
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(graph, file);
    if (!edges)
        fail_msg("no include_graph entry for %s", file);
    assert_strings(edges, expected);
}

static cJSON *scan_ok(const char *root, const char *const *skip)
{
    cJSON *res = NULL;
    char err[512] = "";
    int rc = discovery_scan(root, skip, NULL, &res, err, sizeof err);
    if (rc != 0)
        fail_msg("discovery_scan failed: %s", err);
    assert_non_null(res);
    return res;
}

static void test_files_and_folders(void **state)
{
    fixture *f = *state;
    static const char *const skip[] = {"build", NULL};
    cJSON *res = scan_ok(f->root, skip);

    char *real = realpath(f->root, NULL);
    assert_string_equal(cJSON_GetObjectItem(res, "root")->valuestring, real);
    free(real);

    assert_strings(cJSON_GetObjectItem(res, "sources"),
                   (const char *const[]){"src/deep/nested/impl.cpp", "src/legacy.C", "src/main.c", "src/raw.s",
                                         "src/start.S", "src/tricky.cxx", "src/uses_third.cc", "tools/gen.cxx",
                                         NULL});
    assert_strings(cJSON_GetObjectItem(res, "headers"),
                   (const char *const[]){"config/next.inc", "include/proj/api.h", "include/proj/util.h",
                                         "lib/third/inc/other.hxx", "lib/third/inc/thirdparty.hpp",
                                         "src/after_string.hh", "src/local.h", NULL});
    /* include/ by name; lib/third/inc and config because files include
     * headers there by a path relative to them; src is only ever reached
     * next to the includer, so it is not needed as an include folder. */
    assert_strings(cJSON_GetObjectItem(res, "include_dirs"),
                   (const char *const[]){"config", "include", "lib/third/inc", NULL});

    cJSON *counts = cJSON_GetObjectItem(res, "counts");
    assert_int_equal(cJSON_GetObjectItem(counts, "sources")->valueint, 8);
    assert_int_equal(cJSON_GetObjectItem(counts, "headers")->valueint, 7);
    assert_int_equal(cJSON_GetObjectItem(counts, "binaries")->valueint, 4);

    cJSON *sugg = cJSON_GetObjectItem(res, "suggested");
    char *base = xstrdup(path_basename(f->root));
    assert_string_equal(cJSON_GetObjectItem(sugg, "name")->valuestring, base);
    char *lib = xasprintf("lib%s.so", base);
    assert_string_equal(cJSON_GetObjectItem(sugg, "library_name")->valuestring, lib);
    free(lib);
    free(base);
    assert_string_equal(cJSON_GetObjectItem(sugg, "source")->valuestring, "src");
    assert_strings(cJSON_GetObjectItem(sugg, "include"),
                   (const char *const[]){"config", "include", "lib/third/inc", NULL});
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "warnings")), 0);
    cJSON_Delete(res);
}

static void test_binaries(void **state)
{
    fixture *f = *state;
    cJSON *res = scan_ok(f->root, NULL); /* NULL: the default list skips build/ */
    const cJSON *bins = cJSON_GetObjectItem(res, "binaries");
    static const char *const paths[] = {"prebuilt/foo.o", "prebuilt/libfoo.a", "prebuilt/libfoo.so",
                                        "prebuilt/tool"};
    static const char *const kinds[] = {"object", "static", "shared", "executable"};
    char *text = cJSON_PrintUnformatted(bins);
    if (cJSON_GetArraySize(bins) != 4)
        fail_msg("binaries: %s", text); /* fake.so and build/ignored.o must be absent */
    for (int i = 0; i < 4; i++) {
        const cJSON *b = cJSON_GetArrayItem(bins, i);
        assert_string_equal(cJSON_GetObjectItem(b, "path")->valuestring, paths[i]);
        assert_string_equal(cJSON_GetObjectItem(b, "kind")->valuestring, kinds[i]);
        char *full = path_join(f->root, paths[i]);
        struct stat sb;
        assert_int_equal(stat(full, &sb), 0);
        assert_true(cJSON_GetObjectItem(b, "size")->valuedouble == (double)sb.st_size);
        free(full);
        if (strcmp(kinds[i], "static") != 0) {
            assert_int_equal(cJSON_GetObjectItem(b, "bits")->valueint, (int)(sizeof(void *) * 8));
#if defined(__x86_64__)
            assert_string_equal(cJSON_GetObjectItem(b, "machine")->valuestring, "x86_64");
#elif defined(__aarch64__)
            assert_string_equal(cJSON_GetObjectItem(b, "machine")->valuestring, "aarch64");
#endif
        }
    }
    free(text);
    /* The build folder is skipped by the default list too. */
    const cJSON *src = cJSON_GetObjectItem(res, "sources");
    for (int i = 0; i < cJSON_GetArraySize(src); i++)
        assert_null(strstr(cJSON_GetArrayItem(src, i)->valuestring, "build/"));
    cJSON_Delete(res);
}

static void test_include_graph(void **state)
{
    fixture *f = *state;
    cJSON *res = scan_ok(f->root, NULL);
    const cJSON *g = cJSON_GetObjectItem(res, "include_graph");
    assert_true(cJSON_IsObject(g));
    /* One key per source and header. */
    assert_int_equal(cJSON_GetArraySize(g), 15);
    assert_edges(g, "src/main.c", (const char *const[]){"include/proj/api.h", "src/local.h", NULL});
    assert_edges(g, "include/proj/api.h", (const char *const[]){"include/proj/util.h", NULL});
    assert_edges(g, "src/deep/nested/impl.cpp", (const char *const[]){"include/proj/util.h", "src/local.h", NULL});
    assert_edges(g, "src/uses_third.cc", (const char *const[]){"lib/third/inc/thirdparty.hpp", NULL});
    assert_edges(g, "lib/third/inc/thirdparty.hpp", (const char *const[]){"lib/third/inc/other.hxx", NULL});
    assert_edges(g, "src/tricky.cxx", (const char *const[]){"config/next.inc", "src/after_string.hh", NULL});
    assert_edges(g, "include/proj/util.h", (const char *const[]){NULL});
    assert_edges(g, "src/start.S", (const char *const[]){NULL});
    /* Commented-out and computed includes are not includes; unresolved ones
     * are listed once as written. */
    assert_strings(cJSON_GetObjectItem(res, "external_includes"),
                   (const char *const[]){"\"missing.h\"", "<stdio.h>", "<stdlib.h>", NULL});
    cJSON_Delete(res);
}

static void test_skip_by_relative_path(void **state)
{
    fixture *f = *state;
    static const char *const skip[] = {"lib/third", NULL};
    cJSON *res = scan_ok(f->root, skip);
    const cJSON *headers = cJSON_GetObjectItem(res, "headers");
    bool saw_build = false;
    for (int i = 0; i < cJSON_GetArraySize(headers); i++) {
        const char *h = cJSON_GetArrayItem(headers, i)->valuestring;
        assert_null(strstr(h, "lib/third"));
        saw_build |= strcmp(h, "build/generated.h") == 0;
    }
    assert_true(saw_build); /* "build" is not in this list, so it is scanned */
    assert_strings(cJSON_GetObjectItem(res, "include_dirs"), (const char *const[]){"config", "include", NULL});
    cJSON_Delete(res);
}

static void test_cancel(void **state)
{
    fixture *f = *state;
    /* Enough files that the scan polls the flag inside the walk. */
    for (int i = 0; i < 250; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/f%03d.c", i);
        put(f->root, rel, "#include \"x.h\"\n");
    }
    atomic_int cancel = 1;
    cJSON *res = (cJSON *)1;
    char err[128] = "";
    assert_int_equal(discovery_scan(f->root, NULL, &cancel, &res, err, sizeof err), -1);
    assert_null(res);
    assert_string_equal(err, "cancelled");

    atomic_store(&cancel, 0);
    res = NULL;
    assert_int_equal(discovery_scan(f->root, NULL, &cancel, &res, err, sizeof err), 0);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "counts"), "sources")->valueint, 258);
    cJSON_Delete(res);
    char *many = path_join(f->root, "many");
    remove_tree(many);
    free(many);
}

typedef struct scan_run {
    const char *root;
    atomic_int cancel;
    atomic_bool done;
    int rc;
    char err[128];
} scan_run;

static void *scan_thread(void *arg)
{
    scan_run *r = arg;
    cJSON *res = NULL;
    r->rc = discovery_scan(r->root, NULL, &r->cancel, &res, r->err, sizeof r->err);
    cJSON_Delete(res);
    atomic_store(&r->done, true);
    return NULL;
}

/* A cancel that arrives while the scan runs (not before it starts) stops it
   before the end: the tree is made big enough that a whole scan takes at
   least ten times as long as the wait before the cancel. */
static void test_cancel_during_scan(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 4000; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "big/d%02d/f%04d.c", i % 40, i);
        put(f->root, rel, "#include \"x.h\"\n#include <stdio.h>\nint f(void) { return 1; }\n");
    }
    scan_run whole = {.root = f->root};
    uint64_t t0 = clock_monotonic_ms();
    scan_thread(&whole);
    uint64_t full_ms = clock_monotonic_ms() - t0;
    assert_int_equal(whole.rc, 0);

    scan_run r = {.root = f->root};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scan_thread, &r), 0);
    struct timespec ts = {0, (long)(full_ms > 10 ? full_ms / 10 : 1) * 1000000L};
    nanosleep(&ts, NULL);
    bool finished_before_cancel = atomic_load(&r.done);
    atomic_store(&r.cancel, 1);
    pthread_join(th, NULL);
    printf("# whole scan %llu ms; cancelled after %llu ms\n", (unsigned long long)full_ms,
           (unsigned long long)(full_ms / 10));
    assert_false(finished_before_cancel);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.err, "cancelled");
    char *big = path_join(f->root, "big");
    remove_tree(big);
    free(big);
}

static void test_errors(void **state)
{
    (void)state;
    cJSON *res = (cJSON *)1;
    char err[256] = "";
    assert_int_equal(discovery_scan("/nonexistent/jmake-disc", NULL, NULL, &res, err, sizeof err), -1);
    assert_null(res);
    assert_non_null(strstr(err, "/nonexistent/jmake-disc"));

    char file[] = "/tmp/jmake-disc-file-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(discovery_scan(file, NULL, NULL, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a folder"));
    unlink(file);
}

static void test_source_suggestion_at_root(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/jmake-disc-flat-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    put(tmpl, "a.c", "#include \"a.h\"\n");
    put(tmpl, "b.cpp", "");
    put(tmpl, "a.h", "");
    put(tmpl, "test/t.c", "#include <a.h>\n");
    cJSON *res = scan_ok(tmpl, NULL);
    cJSON *sugg = cJSON_GetObjectItem(res, "suggested");
    assert_string_equal(cJSON_GetObjectItem(sugg, "source")->valuestring, ".");
    /* a.h reached as <a.h> from test/ makes the root an include folder. */
    assert_strings(cJSON_GetObjectItem(res, "include_dirs"), (const char *const[]){".", NULL});
    assert_edges(cJSON_GetObjectItem(res, "include_graph"), "test/t.c", (const char *const[]){"a.h", NULL});
    cJSON_Delete(res);
    remove_tree(tmpl);
}

/* The ELF reader's edges: a thin archive is static, a truncated ELF header
 * and a text file named .so are not binaries, a non-PIE program is an
 * ET_EXEC executable. */
static void test_binary_edges(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/jmake-disc-elf-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    put(tmpl, "thin.a", "!<thin>\n");
    put(tmpl, "trunc.o", "\177ELF\002\001\001");
    put(tmpl, "text.so", "not ELF at all\n");
    put(tmpl, "main.c", "int main(void) { return 0; }\n");
    char *cmd = xasprintf("cd %s && cc -no-pie -fno-pie main.c -o nopie", tmpl);
    run(cmd);
    free(cmd);
    cJSON *res = scan_ok(tmpl, NULL);
    const cJSON *bins = cJSON_GetObjectItem(res, "binaries");
    char *text = cJSON_PrintUnformatted(bins);
    if (cJSON_GetArraySize(bins) != 2)
        fail_msg("binaries: %s", text);
    const cJSON *nopie = cJSON_GetArrayItem(bins, 0), *thin = cJSON_GetArrayItem(bins, 1);
    assert_string_equal(cJSON_GetObjectItem(nopie, "path")->valuestring, "nopie");
    assert_string_equal(cJSON_GetObjectItem(nopie, "kind")->valuestring, "executable");
    assert_int_equal(cJSON_GetObjectItem(nopie, "bits")->valueint, (int)(sizeof(void *) * 8));
    assert_string_equal(cJSON_GetObjectItem(thin, "path")->valuestring, "thin.a");
    assert_string_equal(cJSON_GetObjectItem(thin, "kind")->valuestring, "static");
    assert_null(cJSON_GetObjectItem(thin, "machine"));
    assert_int_equal(cJSON_GetObjectItem(thin, "size")->valueint, 8);
    free(text);
    cJSON_Delete(res);
    remove_tree(tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_files_and_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_by_relative_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_during_scan, setup, teardown),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_source_suggestion_at_root),
        cmocka_unit_test(test_binary_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
