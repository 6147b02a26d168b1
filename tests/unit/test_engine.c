/* test_engine.c - the compilation engine end to end with real gcc, clang and LLVM 14 in temporary projects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "engine.h"
#include "engine_fixture.h"
#include "util.h"

static void touch_future(const char *root, const char *rel)
{
    char *p = path_join(root, rel);
    struct timespec ts[2] = {{time(NULL) + 100, 0}, {time(NULL) + 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
}


static void write_abc(const char *root)
{
    wf(root, "include/x.h", "#define XVAL 1\n");
    wf(root, "src/a.c", "#include \"x.h\"\nint fa(void) { return XVAL; }\n");
    wf(root, "src/sub/b.c", "#include \"x.h\"\nint fb(void) { return XVAL + 1; }\n");
    wf(root, "src/c.c", "int fc(void) { return 3; }\n");
}

/* ------------------------------------------------------------------ tests */

static void incremental_cycle(const char *cc)
{
    tproj t;
    tproj_init(&t, base_toml(cc, "shared", ""), false);
    write_abc(t.root);

    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "artifact"), "kind")),
                        "shared");
    assert_true(num(r, "artifact", "size") > 0);
    assert_true(has_symbol(r, "fa") && has_symbol(r, "fb") && has_symbol(r, "fc"));
    assert_int_equal(num(r, "files", "total"), 3);
    char *art = path_join(t.root, "build/libdemo.so");
    assert_true(file_exists(art));
    char *obj = path_join(t.root, "build/obj/src/sub/b.c.o");
    assert_true(file_exists(obj));
    cJSON_Delete(r);

    /* compile_commands.json: one entry per source, arguments as an array. */
    char *ccpath = path_join(t.root, "compile_commands.json");
    size_t len;
    char *text = read_file(ccpath, &len);
    assert_non_null(text);
    cJSON *cc_json = cJSON_Parse(text);
    assert_int_equal(cJSON_GetArraySize(cc_json), 3);
    cJSON *first = cJSON_GetArrayItem(cc_json, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(first, "directory")), t.root);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(first, "arguments")));
    cJSON_Delete(cc_json);
    free(text);
    struct stat st1;
    assert_int_equal(stat(ccpath, &st1), 0);

    /* Nothing changed. */
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));
    struct stat st2;
    assert_int_equal(stat(ccpath, &st2), 0);
    assert_true(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec && st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);

    /* One source changed. */
    wf(t.root, "src/c.c", "int fc(void) { return 33; }\n");
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));

    /* A header changed: exactly its two dependents. */
    wf(t.root, "include/x.h", "#define XVAL 2\n");
    cJSON_Delete(expect_build(&t, 0, 2, 0, 1));

    /* Touched, same content: nothing. */
    touch_future(t.root, "src/a.c");
    touch_future(t.root, "include/x.h");
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));

    /* Flag change: everything it affects. */
    char *toml = xstrdup(base_toml(cc, "shared", "[compile.defines]\nEXTRA = \"1\"\n"));
    wf(t.root, "jmake.toml", toml);
    free(toml);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));

    /* Per-file override: only the matching source. */
    toml = xstrdup(base_toml(cc, "shared",
                             "[compile.defines]\nEXTRA = \"1\"\n[[compile.overrides]]\nmatch = \"src/sub/**\"\n"
                             "flags = [\"-DSUB=1\"]\n"));
    wf(t.root, "jmake.toml", toml);
    free(toml);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));

    /* The object deleted behind our back is rebuilt; the link follows. */
    unlink(obj);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));

    /* Source removed: the library loses its symbol. */
    char *cpath = path_join(t.root, "src/c.c");
    unlink(cpath);
    r = expect_build(&t, 0, 0, 0, 2);
    assert_int_equal(num(r, "files", "total"), 2);
    assert_false(has_symbol(r, "fc"));
    assert_true(has_symbol(r, "fa"));
    cJSON_Delete(r);

    /* A new engine (daemon restart) reads the persisted record: still nothing to do. */
    engine_free(t.eng);
    t.eng = new_engine(t.home, false, 2);
    cJSON_Delete(expect_build(&t, 0, 0, 0, 2));

    free(cpath);
    free(ccpath);
    free(obj);
    free(art);
    tproj_free(&t);
}

static void test_incremental_gcc(void **state) { incremental_cycle("gcc"); }
static void test_incremental_clang(void **state) { incremental_cycle("clang"); }

static void symbols_equal(const cJSON *a, const cJSON *b)
{
    char *x = cJSON_PrintUnformatted(cJSON_GetObjectItem(a, "symbols"));
    char *y = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "symbols"));
    assert_string_equal(x, y);
    free(x);
    free(y);
}

static void test_cache_clean_build_and_other_checkout(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("clang", "shared", ""), true);
    write_abc(t.root);
    cJSON *full = expect_build(&t, 0, 3, 0, 0);
    assert_int_equal(num(full, "cache", "misses"), 3);

    /* rm -rf build: every object comes from the cache, no compiler runs. */
    char *bdir = path_join(t.root, "build");
    assert_int_equal(remove_tree(bdir), 0);
    cJSON *clean = expect_build(&t, 0, 0, 3, 0);
    assert_int_equal(num(clean, "cache", "hits"), 3);
    symbols_equal(full, clean);
    cJSON_Delete(clean);

    /* Another checkout of the same sources, fresh engine memory and state. */
    char *other = path_join(t.home, "checkout2");
    wf(other, "jmake.toml", base_toml("clang", "shared", ""));
    write_abc(other);
    char *ocfg = path_join(other, "jmake.toml");
    engine *e2 = new_engine(t.home, true, 2);
    cJSON *r = NULL;
    assert_int_equal(run_build(e2, ocfg, &r), 0);
    assert_int_equal(num(r, "files", "from_cache"), 3);
    assert_int_equal(num(r, "files", "compiled"), 0);
    symbols_equal(full, r);
    cJSON_Delete(r);

    /* A changed header in that checkout is a miss for its dependents only. */
    wf(other, "include/x.h", "#define XVAL 7\n");
    assert_int_equal(remove_tree(bdir), 0);
    char *obuild = path_join(other, "build");
    remove_tree(obuild);
    engine_free(e2);
    e2 = new_engine(t.home, true, 2);
    r = NULL;
    assert_int_equal(run_build(e2, ocfg, &r), 0);
    assert_int_equal(num(r, "files", "compiled"), 2);
    assert_int_equal(num(r, "files", "from_cache"), 1);
    cJSON_Delete(r);
    engine_free(e2);

    /* Eviction through the public call empties the cache. */
    char *cdir = path_join(t.home, "cache");
    assert_true(engine_cache_evict(cdir, 0, NULL) > 0);
    assert_int_equal(engine_cache_evict(cdir, 0, NULL), 0);

    cJSON_Delete(full);
    free(cdir);
    free(obuild);
    free(ocfg);
    free(other);
    free(bdir);
    tproj_free(&t);
}

/* Progress calls as (done, file), for order checks. */
typedef struct progress_log {
    size_t n;
    size_t done[512];
    char *file[512];
} progress_log;

static void log_progress(void *ctx, size_t done, size_t total, const char *file)
{
    progress_log *pl = ctx;
    if (pl->n < 512) {
        pl->done[pl->n] = done;
        pl->file[pl->n++] = xstrdup(file);
    }
}

static void progress_log_free(progress_log *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->file[i]);
    pl->n = 0;
}

#define NPAR 150

/* Content hash of every object, by source index; asserts there are no
   leftover temporary files next to them. */
static void hash_objects(const char *root, XXH64_hash_t *out)
{
    for (int i = 0; i < NPAR; i++) {
        char rel[96];
        snprintf(rel, sizeof rel, "build/obj/src/d%d/u%03d.c.o", i % 3, i);
        char *p = path_join(root, rel);
        size_t len = 0;
        char *data = read_file(p, &len);
        assert_non_null(data);
        out[i] = XXH3_64bits(data, len);
        free(data);
        free(p);
    }
    for (int d = 0; d < 3; d++) {
        char rel[64];
        snprintf(rel, sizeof rel, "build/obj/src/d%d", d);
        char *p = path_join(root, rel);
        DIR *dir = opendir(p);
        assert_non_null(dir);
        struct dirent *de;
        while ((de = readdir(dir)))
            assert_null(strstr(de->d_name, "tmp"));
        closedir(dir);
        free(p);
    }
}

static cJSON *build_with_progress(engine *eng, const char *cfg, progress_log *pl)
{
    engine_job job = {.config_path = cfg, .progress = log_progress, .progress_ctx = pl};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(eng, &job, &r, &reason), 0);
    free(reason);
    return r;
}

/* Restores run on several check threads: every object must come back byte
   for byte, counted once, with progress in source order. */
static void test_parallel_cache_restore(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), true);
    wf(t.root, "include/x.h", "#define XVAL 1\n");
    wf(t.root, "include/y.h", "#define YVAL 2\n");
    for (int i = 0; i < NPAR; i++) {
        char rel[64], body[160];
        snprintf(rel, sizeof rel, "src/d%d/u%03d.c", i % 3, i);
        snprintf(body, sizeof body, "#include \"%s\"\nint u%03d(int a) { return a * %d + %s; }\n",
                 i % 2 ? "x.h" : "y.h", i, i, i % 2 ? "XVAL" : "YVAL");
        wf(t.root, rel, body);
    }
    engine_free(t.eng);
    t.eng = new_engine(t.home, true, 4);
    cJSON *full = expect_build(&t, 0, NPAR, 0, 0);
    XXH64_hash_t before[NPAR], after[NPAR];
    hash_objects(t.root, before);

    char *bdir = path_join(t.root, "build");
    for (int round = 0; round < 2; round++) {
        /* Round 1 with a restarted engine: the record comes from disk. */
        if (round == 1) {
            engine_free(t.eng);
            t.eng = new_engine(t.home, true, 4);
        }
        assert_int_equal(remove_tree(bdir), 0);
        progress_log pl = {0};
        cJSON *r = build_with_progress(t.eng, t.cfg, &pl);
        assert_int_equal(num(r, "files", "from_cache"), NPAR);
        assert_int_equal(num(r, "files", "compiled"), 0);
        assert_int_equal(num(r, "cache", "hits"), NPAR);
        assert_int_equal(num(r, "cache", "misses"), 0);
        symbols_equal(full, r);
        hash_objects(t.root, after);
        assert_memory_equal(before, after, sizeof before);
        assert_int_equal(pl.n, NPAR);
        for (size_t i = 0; i < pl.n; i++) {
            assert_int_equal(pl.done[i], i + 1);
            if (i)
                assert_true(strcmp(pl.file[i - 1], pl.file[i]) < 0);   /* source order, whatever thread finished first */
        }
        progress_log_free(&pl);
        cJSON_Delete(r);
        cJSON_Delete(expect_build(&t, 0, 0, 0, NPAR));
    }

    /* Mixed: a few sources changed, the rest restored; compiles and restores overlap. */
    assert_int_equal(remove_tree(bdir), 0);
    for (int i = 0; i < NPAR; i += 30) {
        char rel[64], body[96];
        snprintf(rel, sizeof rel, "src/d%d/u%03d.c", i % 3, i);
        snprintf(body, sizeof body, "int u%03d(int a) { return a - %d; }\nint v%03d;\n", i, i, i);
        wf(t.root, rel, body);
    }
    cJSON *r = expect_build(&t, 0, NPAR / 30, NPAR - NPAR / 30, 0);
    assert_int_equal(num(r, "cache", "misses"), NPAR / 30);
    assert_true(has_symbol(r, "v030") && has_symbol(r, "u149"));
    cJSON_Delete(r);
    cJSON_Delete(expect_build(&t, 0, 0, 0, NPAR));
    cJSON_Delete(full);
    free(bdir);
    tproj_free(&t);
}

/* The symbol list lives in the build record with the artifact's stat: a
   restarted engine answers a no-op build from there, and a relink refreshes it. */
static void test_symbols_kept_in_record(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    write_abc(t.root);
    cJSON *first = expect_build(&t, 0, 3, 0, 0);
    assert_true(has_symbol(first, "fa") && has_symbol(first, "fb"));
    cJSON *r = expect_build(&t, 0, 0, 0, 3);
    symbols_equal(first, r);
    cJSON_Delete(r);

    /* Replace the artifact's bytes but keep its size and mtime: only the
       record can still name the symbols, which proves the ELF file is not read. */
    char *art = path_join(t.root, "build/libdemo.so");
    struct stat st;
    assert_int_equal(stat(art, &st), 0);
    char *junk = xcalloc(1, (size_t)st.st_size);
    assert_int_equal(write_file_atomic(art, junk, (size_t)st.st_size, 0755), 0);
    free(junk);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, art, ts, 0), 0);
    engine_free(t.eng);
    t.eng = new_engine(t.home, false, 2);
    r = expect_build(&t, 0, 0, 0, 3);
    symbols_equal(first, r);
    cJSON_Delete(r);

    /* A new function: relinked, and the list follows the new artifact. */
    wf(t.root, "src/a.c", "#include \"x.h\"\nint fa(void) { return XVAL; }\nint fa2(void) { return 2; }\n");
    r = expect_build(&t, 0, 1, 0, 2);
    assert_true(has_symbol(r, "fa2") && has_symbol(r, "fa") && has_symbol(r, "fb"));
    cJSON_Delete(r);
    engine_free(t.eng);
    t.eng = new_engine(t.home, false, 2);
    r = expect_build(&t, 0, 0, 0, 3);
    assert_true(has_symbol(r, "fa2"));
    cJSON_Delete(r);
    cJSON_Delete(first);
    free(art);
    tproj_free(&t);
}

static void test_damaged_record_recovers(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), true);
    write_abc(t.root);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    /* Damage every record file; a restarted daemon must rebuild, served by the cache. */
    char *sdir = path_join(t.home, "state");
    DIR *d = opendir(sdir);
    assert_non_null(d);
    struct dirent *de;
    int damaged = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = path_join(sdir, de->d_name);
        assert_int_equal(write_file_atomic(p, "JMKB garbage", 12, 0600), 0);
        damaged++;
        free(p);
    }
    closedir(d);
    assert_int_equal(damaged, 1);
    engine_free(t.eng);
    t.eng = new_engine(t.home, true, 2);
    cJSON *r = expect_build(&t, 0, 0, 3, 0);
    assert_true(has_symbol(r, "fa"));
    cJSON_Delete(r);
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));
    free(sdir);
    tproj_free(&t);
}

static void test_mixed_c_and_cxx(void **state)
{
    tproj t;
    tproj_init(&t,
               "[project]\nname = \"mix\"\n[compile]\ncc = \"gcc\"\ncxx = \"g++\"\ncxx_flags = [\"-std=c++17\"]\n",
               true);
    wf(t.root, "src/plain.c", "int plain_c(int x) { return x * 2; }\n");
    wf(t.root, "src/vec.cpp",
       "#include <vector>\n#include <string>\nextern \"C\" int cxx_sum(int n) { std::vector<int> v(n, 1); int s = 0; "
       "for (int x : v) s += x; return s; }\nint twice(int x) { return (int)std::to_string(x).size() * 2; }\n");
    cJSON *r = expect_build(&t, 0, 2, 0, 0);
    assert_true(has_symbol(r, "plain_c"));
    assert_true(has_symbol(r, "cxx_sum"));
    assert_true(has_symbol(r, "_Z5twicei"));
    cJSON_Delete(r);
    tproj_free(&t);
}

static void test_static_library(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "static", ""), false);
    write_abc(t.root);
    /* Same base name in two folders: both must be in the archive. */
    wf(t.root, "src/other/c.c", "int fc2(void) { return 4; }\n");
    cJSON *r = expect_build(&t, 0, 4, 0, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "artifact"), "kind")),
                        "static");
    assert_true(has_symbol(r, "fa") && has_symbol(r, "fc") && has_symbol(r, "fc2"));
    char *lib = path_join(t.root, "build/libdemo.a");
    assert_true(file_exists(lib));
    cJSON_Delete(r);
    cJSON_Delete(expect_build(&t, 0, 0, 0, 4));
    free(lib);
    tproj_free(&t);
}

static void test_executable(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "executable", ""), false);
    wf(t.root, "src/main.c", "int helper(void);\nint main(void) { return helper(); }\n");
    wf(t.root, "src/helper.c", "int helper(void) { return 42; }\n");
    cJSON *r = expect_build(&t, 0, 2, 0, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "artifact"), "kind")),
                        "executable");
    assert_true(has_symbol(r, "main") && has_symbol(r, "helper"));
    char *exe = path_join(t.root, "build/demo");
    int st = system(exe);   /* test scaffolding only */
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
    cJSON_Delete(r);
    free(exe);
    tproj_free(&t);
}

static void test_llvm_pipeline(void **state)
{
    tproj t;
    tproj_init(&t,
               "[project]\nname = \"bc\"\n[paths]\ninclude = [\"include\"]\n"
               "[llvm]\ntoolchain_path = \"/usr/lib/llvm-14\"\nopt_flags = [\"-O2\"]\n",
               true);
    write_abc(t.root);
    wf(t.root, "src/k.cpp", "extern \"C\" int kx(int a) { return a + 1; }\n");
    cJSON *r = expect_build(&t, 0, 4, 0, 0);
    assert_true(has_symbol(r, "fa") && has_symbol(r, "fb") && has_symbol(r, "fc") && has_symbol(r, "kx"));
    char *bc = path_join(t.root, "build/bc/src/a.c.bc");
    assert_true(file_exists(bc));
    char *linked = path_join(t.root, "build/llvm/bc.opt.bc");
    assert_true(file_exists(linked));
    char *so = path_join(t.root, "build/libbc.so");
    assert_true(file_exists(so));
    cJSON_Delete(r);
    cJSON_Delete(expect_build(&t, 0, 0, 0, 4));
    wf(t.root, "include/x.h", "#define XVAL 5\n");
    cJSON_Delete(expect_build(&t, 0, 2, 0, 2));
    free(bc);
    free(linked);
    free(so);
    tproj_free(&t);
}

static void test_llvm_toolchain_fallback(void **state)
{
    /* A toolchain_path without LLVM: the newest /usr/lib/llvm-N is used (with a warning). */
    tproj t;
    tproj_init(&t, "[project]\nname = \"fb\"\n[llvm]\ntoolchain_path = \"/nonexistent/llvm\"\n", false);
    wf(t.root, "src/one.c", "int one(void) { return 1; }\n");
    cJSON *r = expect_build(&t, 0, 1, 0, 0);
    assert_true(has_symbol(r, "one"));
    cJSON_Delete(r);
    char *ccpath = path_join(t.root, "compile_commands.json");
    char *text = read_file(ccpath, NULL);
    assert_non_null(strstr(text, "/usr/lib/llvm-"));
    assert_non_null(strstr(text, "-emit-llvm"));
    free(text);
    free(ccpath);
    tproj_free(&t);
}

static void test_errors_keep_going(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    for (int i = 0; i < 6; i++) {
        char name[300], body[128];
        snprintf(name, sizeof name, "src/ok%d.c", i);
        snprintf(body, sizeof body, "int ok%d(void) { return %d; }\n", i, i);
        wf(t.root, name, body);
    }
    wf(t.root, "src/bad.c", "int bad(void)\n{\n    return 1 +;\n}\n");
    wf(t.root, "src/warn.c", "int warn(void)\n{\n    int unused;\n    return 0;\n}\n");
    char *log = path_join(t.home, "job.log");
    engine_job job = {.config_path = t.cfg, .log_path = log};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), 1);
    assert_null(reason);
    assert_int_equal(num(r, "files", "compiled"), 7);
    assert_int_equal(num(r, "files", "failed"), 1);
    /* The raw compiler output lands in the job log with the commands. */
    char *logtext = read_file(log, NULL);
    assert_non_null(logtext);
    assert_non_null(strstr(logtext, "src/bad.c:3:"));
    assert_non_null(strstr(logtext, "-c src/bad.c"));
    free(logtext);
    free(log);
    assert_true(num(r, "diagnostics", "errors") >= 1);
    assert_true(num(r, "diagnostics", "warnings") >= 1);
    bool found_err = false, found_warn = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "diagnostics"), "items"))
    {
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(it, "file"));
        const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(it, "severity"));
        int line = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "line"));
        if (file && !strcmp(file, "src/bad.c") && !strcmp(sev, "error") && line == 3) {
            found_err = true;
            assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(it, "column")) > 0);
        }
        if (file && !strcmp(file, "src/warn.c") && !strcmp(sev, "warning") && line == 3)
            found_warn = true;
    }
    assert_true(found_err);
    assert_true(found_warn);
    char *art = path_join(t.root, "build/libdemo.so");
    assert_false(file_exists(art));   /* no link after a failed compile */
    cJSON_Delete(r);

    /* Fixed: only the broken file compiles, then the link runs. */
    wf(t.root, "src/bad.c", "int bad(void)\n{\n    return 1;\n}\n");
    r = expect_build(&t, 0, 1, 0, 7);
    assert_true(has_symbol(r, "bad") && has_symbol(r, "ok5"));
    assert_true(file_exists(art));
    cJSON_Delete(r);
    free(art);
    tproj_free(&t);
}

/* Sources slow enough to still be compiling when the cancel comes. */
static void write_slow_sources(const char *root, int n)
{
    size_t cap = 400000;
    char *body = xmalloc(cap);
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)snprintf(body, cap, "volatile int sink;\nint slow%d(int x)\n{\n", i);
        for (int k = 0; k < 4000; k++)
            o += (size_t)snprintf(body + o, cap - o, "    x = x * %d + (x >> %d) + sink;\n", k + 3, k % 7 + 1);
        snprintf(body + o, cap - o, "    return x;\n}\n");
        char name[32];
        snprintf(name, sizeof name, "src/slow%d.c", i);
        wf(root, name, body);
    }
    free(body);
}

/* Live processes working in the folder (compilers run in the project root,
   and cc1/as inherit that): the compilers we started. */
static int processes_in(const char *dir)
{
    int count = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
            continue;
        char path[300], cwd[4096];
        snprintf(path, sizeof path, "/proc/%s/cwd", de->d_name);
        ssize_t n = readlink(path, cwd, sizeof cwd - 1);
        if (n <= 0)
            continue;
        cwd[n] = 0;
        if (strcmp(cwd, dir) != 0)
            continue;
        /* Zombies waiting for init to reap them are not running. */
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        char *st = read_file(path, NULL);
        char *rp = st ? strrchr(st, ')') : NULL;
        if (rp && rp[1] == ' ' && rp[2] != 'Z') {
            count++;
            if (getenv("JMAKE_TEST_VERBOSE"))
                fprintf(stderr, "still running: %s\n", st);
        }
        free(st);
    }
    closedir(d);
    return count;
}

/* SIGKILL is delivered when the victim is next scheduled; on a loaded machine
   an orphaned cc1 can take a moment to go. Waits up to 3 s for none to be left. */
static int processes_left_after_kill(const char *dir)
{
    int n = processes_in(dir);
    for (int i = 0; i < 60 && n > 0; i++) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        n = processes_in(dir);
    }
    return n;
}

typedef struct canceller {
    atomic_int *flag;
    int delay_ms;
    const char *root;
    int running_before;     /* compilers seen just before the cancel */
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec ts = {c->delay_ms / 1000, (long)(c->delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    c->running_before = processes_in(c->root);
    atomic_store(c->flag, 1);
    return NULL;
}

static void progress_count(void *ctx, size_t done, size_t total, const char *file)
{
    (*(int *)ctx)++;
}

static void test_cancel_kills_compilers(void **state)
{
    tproj t;
    tproj_init(&t, "[project]\nname = \"slow\"\n[compile]\ncc = \"gcc\"\nflags = [\"-O2\"]\n", false);
    write_slow_sources(t.root, 12);
    atomic_int flag = 0;
    canceller c = {&flag, 700, t.root, 0};
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &c);
    int progress = 0;
    engine_job job = {.config_path = t.cfg, .cancel = &flag, .progress = progress_count, .progress_ctx = &progress};
    cJSON *r = NULL;
    char *reason = NULL;
    uint64_t t0 = clock_monotonic_ms();
    int rc = engine_build(t.eng, &job, &r, &reason);
    uint64_t took = clock_monotonic_ms() - t0;
    pthread_join(th, NULL);
    assert_int_equal(rc, -1);
    assert_non_null(reason);
    assert_string_equal(reason, "cancelled");
    assert_true(took < 700 + 1000);
    assert_true(c.running_before >= 2);   /* two compile slots were busy */
    assert_int_equal(processes_left_after_kill(t.root), 0);
    free(reason);
    cJSON_Delete(r);
    tproj_free(&t);
}

static void test_timeout(void **state)
{
    tproj t;
    tproj_init(&t, "[project]\nname = \"slow\"\n[compile]\ncc = \"gcc\"\nflags = [\"-O2\"]\n", false);
    write_slow_sources(t.root, 12);
    char *state_dir = path_join(t.home, "state");
    engine_options o = {.state_dir = state_dir, .max_parallel = 2, .build_timeout_s = 1, .incremental = true};
    engine *e = engine_new(&o);
    engine_job job = {.config_path = t.cfg};
    cJSON *r = NULL;
    char *reason = NULL;
    uint64_t t0 = clock_monotonic_ms();
    assert_int_equal(engine_build(e, &job, &r, &reason), -1);
    assert_true(clock_monotonic_ms() - t0 < 2500);
    assert_string_equal(reason, "build timed out after 1 s");
    assert_int_equal(processes_left_after_kill(t.root), 0);
    free(reason);
    cJSON_Delete(r);
    engine_free(e);
    free(state_dir);
    tproj_free(&t);
}

static void test_watched_project_answers_from_memory(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    write_abc(t.root);
    engine_set_watched(t.eng, t.cfg, true);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    cJSON *r = expect_build(&t, 0, 0, 0, 3);
    assert_true(has_symbol(r, "fb"));
    cJSON_Delete(r);
    /* A change nobody reports is not seen while watched: the answer comes
       from memory, without a scan or a stat of the sources. (An unwatched
       engine would rebuild b.c here.) */
    wf(t.root, "src/sub/b.c", "int fb(void) { return 42; }\n");
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));
    /* Unwatched again, the next build checks everything and finds it. */
    engine_set_watched(t.eng, t.cfg, false);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));
    engine_set_watched(t.eng, t.cfg, true);
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));
    /* The watcher reports the change: the next build sees it. */
    wf(t.root, "src/c.c", "int fc(void) { return 99; }\n");
    char *c = path_join(t.root, "src/c.c");
    const char *paths[] = {c};
    engine_note_changes(t.eng, t.cfg, paths, 1);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));
    cJSON_Delete(expect_build(&t, 0, 0, 0, 3));
    free(c);
    tproj_free(&t);
}

/* The watcher covers the project's folders only: a header outside them (a
   system header after a package upgrade) is stat-checked at every watched
   build, so the answer never comes from memory once it changed. */
static void test_watched_checks_inputs_outside(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    char *sys = path_join(t.home, "sysinc");
    wf(t.home, "sysinc/sysdep.h", "#define SYSVAL 1\n");
    char toml[4096];
    snprintf(toml, sizeof toml, "%s", base_toml("gcc", "shared", ""));
    char *inc = strstr(toml, "[binary]");
    char tail[1024];
    snprintf(tail, sizeof tail, "%s", inc);
    snprintf(inc, sizeof toml - (size_t)(inc - toml), "include_dirs = [\"%s\"]\n%s", sys, tail);
    wf(t.root, "jmake.toml", toml);
    wf(t.root, "src/s.c", "#include <sysdep.h>\nint fs(void) { return SYSVAL; }\n");
    engine_set_watched(t.eng, t.cfg, true);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 0));
    cJSON_Delete(expect_build(&t, 0, 0, 0, 1));   /* from memory */
    wf(t.home, "sysinc/sysdep.h", "#define SYSVAL 22\n");
    cJSON_Delete(expect_build(&t, 0, 1, 0, 0));   /* not from memory: it changed outside */
    cJSON_Delete(expect_build(&t, 0, 0, 0, 1));
    free(sys);
    tproj_free(&t);
}

/* A watched build with a reported change stats only what was reported (and
   every object, and inputs outside the root): an unreported edit beside it is
   not seen, the reported one is, and a header outside the root still is. Once
   the record is broken (a lost track, a failed build) everything is checked. */
static void test_watched_build_trusts_unreported(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    write_abc(t.root);
    /* Written a minute ago: a file younger than the record's racy window is
       stat'ed and hashed at every check, trusted or not. */
    const char *sources[] = {"src/a.c", "src/sub/b.c", "src/c.c"};
    for (size_t i = 0; i < 3; i++) {
        char *p = path_join(t.root, sources[i]);
        struct timespec past[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
        assert_int_equal(utimensat(AT_FDCWD, p, past, 0), 0);
        free(p);
    }
    engine_set_watched(t.eng, t.cfg, true);
    cJSON_Delete(expect_build(&t, 0, 3, 0, 0));
    char *c = path_join(t.root, "src/c.c");
    const char *paths[] = {c};
    /* b.c edited behind the watcher's back, c.c reported: only c.c rebuilds. */
    wf(t.root, "src/sub/b.c", "int fb(void) { return 42; }\n");
    wf(t.root, "src/c.c", "int fc(void) { return 99; }\n");
    engine_note_changes(t.eng, t.cfg, paths, 1);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));
    /* A deleted object is still found (the watcher ignores the build folder). */
    char *obj = path_join(t.root, "build/obj/src/c.c.o");
    assert_int_equal(unlink(obj), 0);
    wf(t.root, "src/c.c", "int fc(void) { return 98; }\n");
    engine_note_changes(t.eng, t.cfg, paths, 1);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));
    /* A lost track: the next build checks everything and finds b.c. */
    engine_note_changes(t.eng, t.cfg, NULL, 0);
    cJSON_Delete(expect_build(&t, 0, 1, 0, 2));
    free(obj);
    free(c);
    tproj_free(&t);
}

static void test_response_file_link(void **state)
{
    tproj t;
    tproj_init(&t, "[project]\nname = \"many\"\n[compile]\ncc = \"gcc\"\n", false);
    /* Long names push the link command past the response-file threshold. */
    char pad[241];
    memset(pad, 'p', 240);
    pad[240] = 0;
    for (int i = 0; i < 420; i++) {
        char name[300], body[64];
        snprintf(name, sizeof name, "src/%s_%03d.c", pad, i);
        snprintf(body, sizeof body, "int f%03d(void) { return %d; }\n", i, i);
        wf(t.root, name, body);
    }
    cJSON *r = expect_build(&t, 0, 420, 0, 0);
    assert_true(has_symbol(r, "f000") && has_symbol(r, "f419"));
    char *rsp = path_join(t.root, "build/libmany.so.link.rsp");
    assert_true(file_exists(rsp));
    cJSON_Delete(r);
    free(rsp);
    tproj_free(&t);
}

static void test_sources_globs_and_excludes(void **state)
{
    tproj t;
    tproj_init(&t,
               "[project]\nname = \"sel\"\n[compile]\ncc = \"gcc\"\n"
               "sources = [\"lib/**/*.c\", \"extra/one.c\"]\nexclude = [\"lib/skip/**\"]\n",
               false);
    wf(t.root, "lib/a.c", "int la(void) { return 1; }\n");
    wf(t.root, "lib/deep/b.c", "int lb(void) { return 2; }\n");
    wf(t.root, "lib/skip/c.c", "int lc(void) { return 3; }\n");
    wf(t.root, "extra/one.c", "int one(void) { return 1; }\n");
    wf(t.root, "extra/two.c", "int two(void) { return 2; }\n");
    wf(t.root, "src/ignored.c", "int ignored(void) { return 0; }\n");
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    assert_true(has_symbol(r, "la") && has_symbol(r, "lb") && has_symbol(r, "one"));
    assert_false(has_symbol(r, "lc") || has_symbol(r, "two") || has_symbol(r, "ignored"));
    cJSON_Delete(r);
    tproj_free(&t);
}

static void test_bad_config_and_no_sources(void **state)
{
    tproj t;
    tproj_init(&t, "[project]\nname = \"x\"\n[binary]\nlibrary_type = 5\n", false);
    cJSON *r = NULL;
    char *reason = NULL;
    engine_job job = {.config_path = t.cfg};
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), -1);
    assert_non_null(reason);
    free(reason);
    reason = NULL;
    wf(t.root, "jmake.toml", "[project]\nname = \"x\"\n");
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), -1);
    assert_non_null(strstr(reason, "no sources"));
    free(reason);
    tproj_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_gcc),
        cmocka_unit_test(test_incremental_clang),
        cmocka_unit_test(test_cache_clean_build_and_other_checkout),
        cmocka_unit_test(test_damaged_record_recovers),
        cmocka_unit_test(test_parallel_cache_restore),
        cmocka_unit_test(test_symbols_kept_in_record),
        cmocka_unit_test(test_mixed_c_and_cxx),
        cmocka_unit_test(test_static_library),
        cmocka_unit_test(test_executable),
        cmocka_unit_test(test_llvm_pipeline),
        cmocka_unit_test(test_llvm_toolchain_fallback),
        cmocka_unit_test(test_errors_keep_going),
        cmocka_unit_test(test_cancel_kills_compilers),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_watched_project_answers_from_memory),
        cmocka_unit_test(test_watched_checks_inputs_outside),
        cmocka_unit_test(test_watched_build_trusts_unreported),
        cmocka_unit_test(test_response_file_link),
        cmocka_unit_test(test_sources_globs_and_excludes),
        cmocka_unit_test(test_bad_config_and_no_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
