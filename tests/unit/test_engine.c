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
#include "util.h"

/* ------------------------------------------------------------ scaffolding */

typedef struct tproj {
    char *home;     /* temporary folder holding everything */
    char *root;     /* the project */
    char *cfg;      /* root/jmake.toml */
    engine *eng;
} tproj;

static void wf(const char *root, const char *rel, const char *text)
{
    char *p = path_join(root, rel);
    char *d = path_dirname(p);
    assert_int_equal(mkdir_p(d, 0755), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(d);
    free(p);
}

static engine *new_engine(const char *home, bool cache, int parallel)
{
    char *state = path_join(home, "state"), *cdir = path_join(home, "cache");
    engine_options o = {.state_dir = state, .cache_dir = cdir, .cache_enabled = cache, .cache_size_mb = 512,
                        .max_parallel = parallel, .build_timeout_s = 600, .incremental = true};
    engine *e = engine_new(&o);
    free(state);
    free(cdir);
    return e;
}

static void tproj_init(tproj *t, const char *toml, bool cache)
{
    char tmpl[] = "/tmp/jmake-engine-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    t->home = xstrdup(tmpl);
    t->root = path_join(t->home, "proj");
    wf(t->root, "jmake.toml", toml);
    t->cfg = path_join(t->root, "jmake.toml");
    t->eng = new_engine(t->home, cache, 2);
}

static void tproj_free(tproj *t)
{
    engine_free(t->eng);
    remove_tree(t->home);
    free(t->home);
    free(t->root);
    free(t->cfg);
}

static int run_build(engine *eng, const char *cfg, cJSON **res)
{
    engine_job job = {.config_path = cfg};
    char *reason = NULL;
    int rc = engine_build(eng, &job, res, &reason);
    if (rc < 0)
        fprintf(stderr, "build failed to run: %s\n", reason ? reason : "?");
    free(reason);
    return rc;
}

static int num(const cJSON *r, const char *obj, const char *field)
{
    const cJSON *o = cJSON_GetObjectItem(r, obj);
    assert_non_null(o);
    const cJSON *v = cJSON_GetObjectItem(o, field);
    assert_non_null(v);
    return (int)cJSON_GetNumberValue(v);
}

static bool has_symbol(const cJSON *r, const char *name)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "symbols"))
        if (!strcmp(cJSON_GetStringValue(s), name))
            return true;
    return false;
}

/* Builds and checks (compiled, from_cache, up_to_date). */
static cJSON *expect_build(tproj *t, int rc_want, int compiled, int from_cache, int up_to_date)
{
    cJSON *r = NULL;
    int rc = run_build(t->eng, t->cfg, &r);
    assert_int_equal(rc, rc_want);
    assert_non_null(r);
    if (compiled >= 0)
        assert_int_equal(num(r, "files", "compiled"), compiled);
    if (from_cache >= 0)
        assert_int_equal(num(r, "files", "from_cache"), from_cache);
    if (up_to_date >= 0)
        assert_int_equal(num(r, "files", "up_to_date"), up_to_date);
    return r;
}

static void touch_future(const char *root, const char *rel)
{
    char *p = path_join(root, rel);
    struct timespec ts[2] = {{time(NULL) + 100, 0}, {time(NULL) + 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
}

static const char *base_toml(const char *cc, const char *kind, const char *extra)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "[project]\nname = \"demo\"\n[paths]\nsource = \"src\"\ninclude = [\"include\"]\n"
             "[compile]\ncc = \"%s\"\nflags = [\"-O1\", \"-Wall\"]\n%s\n[binary]\nlibrary_type = \"%s\"\n",
             cc, extra, kind);
    return buf;
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
    assert_true(engine_cache_evict(cdir, 0) > 0);
    assert_int_equal(engine_cache_evict(cdir, 0), 0);

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

/* The "LINE:COL" where needle starts in text (1-based), as diag output writes it. */
static char *where(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    assert_non_null(at);
    int line = 1, col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return xasprintf("jmake.toml:%d:%d: ", line, col);
}

/* Runs a build that must not run; returns its reason (caller frees). */
static char *build_refused(tproj *t)
{
    cJSON *r = NULL;
    char *reason = NULL;
    engine_job job = {.config_path = t->cfg};
    assert_int_equal(engine_build(t->eng, &job, &r, &reason), -1);
    assert_null(r);
    assert_non_null(reason);
    return reason;
}

/* A sources entry that is no C, C++ or assembly file, or does not exist, is
   an error at its jmake.toml position (it used to index the per-language
   tables with -1 and crash the daemon on every attempt). */
static void test_bad_source_entries_are_config_errors(void **state)
{
    static const char *const cases[][2] = {
        {"[compile]\ncc = \"gcc\"\nsources = [\"src/a.c\", \"src/notes.txt\"]\n", "\"src/notes.txt\""},
        {"[compile]\ncc = \"gcc\"\nsources = [\"src/a.c\",\n   \"/etc/passwd\"]\n", "\"/etc/passwd\""},
        {"[compile]\ncc = \"gcc\"\nsources = \"src/nope.c\"\n", "\"src/nope.c\""},
        {"[compile]\ncc = \"gcc\"\nsources = [\"src/a.c\", \"src/dir.c\"]\n", "\"src/dir.c\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tproj t;
        tproj_init(&t, cases[i][0], false);
        wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
        wf(t.root, "src/notes.txt", "not code\n");
        wf(t.root, "src/dir.c/x", "a folder named like a source\n");
        for (int attempt = 0; attempt < 2; attempt++) {   /* the same answer every time, no crash */
            char *reason = build_refused(&t);
            char *at = where(cases[i][0], cases[i][1]);
            if (!strstr(reason, at))
                fprintf(stderr, "case %zu: want %s in: %s\n", i, at, reason);
            assert_non_null(strstr(reason, at));
            assert_non_null(strstr(reason, i < 2 ? "is not a C, C++ or assembly source" : "does not exist"));
            free(at);
            free(reason);
        }
        tproj_free(&t);
    }
}

/* Silent mistakes are warnings in the result (a "warnings" list and the
   diagnostics items that `jmake build` prints) and in the job log. */
static void test_config_mistakes_are_warned(void **state)
{
    const char *toml = "[compile]\ncc = \"gcc\"\ncolour = \"blue\"\n"
                       "sources = [\"src/*.c\", \"gen/**/*.c\"]\n"
                       "exclude = [\"src/never_*.c\"]\n"
                       "[[compile.overrides]]\nmatch = \"lib/*.c\"\nflags = [\"-O0\"]\n";
    tproj t;
    tproj_init(&t, toml, false);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    wf(t.root, "src/notes.txt", "a glob only takes sources\n");
    char *log = path_join(t.home, "job.log");
    engine_job job = {.config_path = t.cfg, .log_path = log};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), 0);
    assert_int_equal(num(r, "files", "total"), 1);
    char *logtext = read_file(log, NULL);
    assert_non_null(logtext);
    const char *needles[][2] = {{"colour", "unknown key"},
                                {"\"gen/**/*.c\"", "matches no source file"},
                                {"\"src/never_*.c\"", "matches no source file"},
                                {"\"lib/*.c\"", "matches no source"}};
    const cJSON *warnings = cJSON_GetObjectItem(r, "warnings");
    assert_int_equal(cJSON_GetArraySize(warnings), 4);
    for (size_t i = 0; i < 4; i++) {
        char *at = where(toml, needles[i][0]);
        bool in_list = false;
        const cJSON *w;
        cJSON_ArrayForEach(w, warnings)
            in_list |= strstr(cJSON_GetStringValue(w), at) && strstr(cJSON_GetStringValue(w), needles[i][1]);
        if (!in_list)
            fprintf(stderr, "want %s ... %s\n", at, needles[i][1]);
        assert_true(in_list);
        assert_non_null(strstr(logtext, at));
        free(at);
    }
    int config_items = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "diagnostics"), "items"))
    {
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(it, "file"));
        if (file && !strcmp(file, t.cfg))
            config_items++;
    }
    assert_int_equal(config_items, 4);
    free(logtext);
    free(log);
    cJSON_Delete(r);
    tproj_free(&t);
}

/* Globs may reach beside the root (../ext/...), as literal paths always could;
   excludes written the same way apply to them. */
static void test_sources_glob_outside_root(void **state)
{
    tproj t;
    tproj_init(&t,
               "[compile]\ncc = \"gcc\"\nsources = [\"src/*.c\", \"../ext/**/*.c\"]\n"
               "exclude = [\"../ext/**/skip_*.c\"]\n",
               false);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    wf(t.home, "ext/lib/x.c", "int ext_x(void) { return 2; }\n");
    wf(t.home, "ext/y.c", "int ext_y(void) { return 3; }\n");
    wf(t.home, "ext/lib/skip_z.c", "int ext_z(void) { return 4; }\n");
    cJSON *r = expect_build(&t, 0, 3, 0, 0);
    assert_true(has_symbol(r, "a") && has_symbol(r, "ext_x") && has_symbol(r, "ext_y"));
    assert_false(has_symbol(r, "ext_z"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "warnings")), 0);
    cJSON_Delete(r);
    tproj_free(&t);
}

/* Sources named like options (at the root, so their relative path starts
   with '-') reach the compiler and the linker as paths, never as -E or -D. */
static void test_sources_named_like_options(void **state)
{
    tproj t;
    tproj_init(&t, "[paths]\nsource = \".\"\n[compile]\ncc = \"gcc\"\n", false);
    wf(t.root, "-E.c", "int e_fn(void) { return 2; }\n");
    wf(t.root, "-DINJECTED.c", "#ifdef INJECTED\n#error INJECTED was defined\n#endif\nint inj(void) { return 1; }\n");
    char *log = path_join(t.home, "job.log");
    engine_job job = {.config_path = t.cfg, .log_path = log};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), 0);
    assert_int_equal(num(r, "files", "compiled"), 2);
    assert_true(has_symbol(r, "e_fn") && has_symbol(r, "inj"));
    char *o1 = path_join(t.root, "build/obj/-E.c.o"), *o2 = path_join(t.root, "build/obj/-DINJECTED.c.o");
    assert_true(file_exists(o1) && file_exists(o2));
    char *logtext = read_file(log, NULL);
    assert_non_null(strstr(logtext, " ./-E.c "));
    assert_null(strstr(logtext, " -E.c "));
    free(logtext);
    cJSON_Delete(r);
    /* And the record knows them: nothing to do the second time. */
    r = expect_build(&t, 0, 0, 0, 2);
    cJSON_Delete(r);
    free(o1);
    free(o2);
    free(log);
    tproj_free(&t);
}

/* The commands in the job log paste into a shell as the same argv: run the
   logged compile line with /bin/sh and it builds the same object. */
static void test_logged_commands_are_shell_quoted(void **state)
{
    tproj t;
    tproj_init(&t,
               "[compile]\ncc = \"gcc\"\n[compile.defines]\nLIBSASS_VERSION = \"\\\"3.5.5\\\"\"\n"
               "QUOTE = \"'q'\"\nSPACED = \"(1 + 2)\"\n",
               false);
    wf(t.root, "src/v.c",
       "const char *version(void) { return LIBSASS_VERSION; }\n"
       "int quote(void) { return QUOTE + SPACED; }\n");
    char *log = path_join(t.home, "job.log");
    engine_job job = {.config_path = t.cfg, .log_path = log};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(t.eng, &job, &r, &reason), 0);
    cJSON_Delete(r);
    char *logtext = read_file(log, NULL);
    assert_non_null(strstr(logtext, " '-DLIBSASS_VERSION=\"3.5.5\"' "));
    assert_non_null(strstr(logtext, " '-DQUOTE='\\''q'\\''' "));
    assert_non_null(strstr(logtext, " '-DSPACED=(1 + 2)' "));
    char *start = strstr(logtext, "$ ");
    assert_non_null(start);
    char *end = strchr(start, '\n');
    *end = '\0';
    char *obj = path_join(t.root, "build/obj/src/v.c.o");
    assert_int_equal(unlink(obj), 0);
    char *cmd = xasprintf("cd '%s' && %s", t.root, start + 2);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(file_exists(obj));
    free(cmd);
    free(obj);
    free(logtext);
    free(log);
    tproj_free(&t);
}

/* A failed build names no artifact: not the earlier library with its size
   and symbols, not a path of size 0 after a failed first build. */
static void test_failed_build_reports_no_artifact(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), false);
    wf(t.root, "src/a.c", "int a(void) { return 1 +; }\n");
    cJSON *r = expect_build(&t, 1, 0, -1, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "artifact")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "symbols")), 0);
    cJSON_Delete(r);

    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    r = expect_build(&t, 0, 1, 0, 0);
    assert_true(num(r, "artifact", "size") > 0);
    assert_true(has_symbol(r, "a"));
    cJSON_Delete(r);

    wf(t.root, "src/b.c", "int b(void) { return 2 +; }\n");
    r = expect_build(&t, 1, 0, 0, 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "artifact")));
    assert_false(has_symbol(r, "a"));
    cJSON_Delete(r);
    char *art = path_join(t.root, "build/libdemo.so");
    assert_true(file_exists(art));   /* the earlier library stays for whoever has it loaded */
    free(art);
    tproj_free(&t);

    /* A link that fails: no artifact either. */
    tproj_init(&t, base_toml("gcc", "executable", ""), false);
    wf(t.root, "src/main.c", "int missing(void);\nint main(void) { return missing(); }\n");
    r = expect_build(&t, 1, 1, 0, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "artifact")));
    cJSON_Delete(r);
    tproj_free(&t);
}

/* Writes text into root/rel keeping the file's old mtime (what tar -x,
   rsync -t and touch -r leave behind); text has the old size. */
static void rewrite_keeping_mtime(const char *root, const char *rel, const char *text)
{
    char *p = path_join(root, rel);
    struct stat before;
    assert_int_equal(stat(p, &before), 0);
    assert_int_equal((size_t)before.st_size, strlen(text));
    wf(root, rel, text);
    struct timespec ts[2] = {before.st_mtim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
}

/* A same-size edit that keeps the mtime: unpacked with tar over the tree,
   or written in place before the build folder was deleted (the cache still
   holds the old object under the old content's key), or before the daemon
   restarted. Each time the new content is compiled, never the old object. */
static void test_same_size_same_mtime_edits(void **state)
{
    tproj t;
    tproj_init(&t, base_toml("gcc", "shared", ""), true);
    wf(t.root, "src/a.c", "int old_a(void) { return 1; }\n");
    wf(t.root, "src/b.c", "int b(void) { return 2; }\n");
    char *a = path_join(t.root, "src/a.c");
    struct timespec past[2] = {{time(NULL) - 100, 0}, {time(NULL) - 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, a, past, 0), 0);   /* not racy: only the stat decides */
    cJSON *r = expect_build(&t, 0, 2, 0, 0);
    cJSON_Delete(r);

    /* tar: the changed file, packed elsewhere with the old mtime, unpacked over the tree. */
    char *stage = path_join(t.home, "stage");
    struct stat st;
    assert_int_equal(stat(a, &st), 0);
    wf(stage, "src/a.c", "int new_a(void) { return 1; }\n");
    char *staged = path_join(stage, "src/a.c");
    struct timespec ts[2] = {st.st_mtim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, staged, ts, 0), 0);
    char *cmd = xasprintf("tar -C '%s' -cf '%s/a.tar' src/a.c && tar -C '%s' -xf '%s/a.tar'", stage, t.home,
                          t.root, t.home);
    assert_int_equal(system(cmd), 0);
    struct stat after;
    assert_int_equal(stat(a, &after), 0);
    assert_int_equal(after.st_size, st.st_size);
    assert_int_equal(stat_mtime_ns(&after), stat_mtime_ns(&st));
    r = expect_build(&t, 0, 1, 0, 1);
    assert_true(has_symbol(r, "new_a"));
    assert_false(has_symbol(r, "old_a"));
    cJSON_Delete(r);

    /* Back to the old text the same way, then the build folder deleted: the
       cache holds objects for both texts; the one for the current text serves. */
    rewrite_keeping_mtime(t.root, "src/a.c", "int old_a(void) { return 1; }\n");
    char *build = path_join(t.root, "build");
    assert_int_equal(remove_tree(build), 0);
    r = expect_build(&t, 0, 0, 2, 0);
    assert_true(has_symbol(r, "old_a"));
    assert_false(has_symbol(r, "new_a"));
    cJSON_Delete(r);

    /* A text the cache has never seen, build folder deleted and the daemon
       restarted (a new engine reads the saved record): compiled, not the
       stale cache entry of the recorded hash. */
    rewrite_keeping_mtime(t.root, "src/a.c", "int odd_a(void) { return 1; }\n");
    assert_int_equal(remove_tree(build), 0);
    engine_free(t.eng);
    t.eng = new_engine(t.home, true, 2);
    r = expect_build(&t, 0, 1, 1, 0);
    assert_true(has_symbol(r, "odd_a"));
    assert_false(has_symbol(r, "old_a"));
    cJSON_Delete(r);
    free(build);
    free(cmd);
    free(staged);
    free(a);
    free(stage);
    tproj_free(&t);
}

/* Whether a diagnostics item of r holds needle. */
static bool has_diag(const cJSON *r, const char *needle)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "diagnostics"), "items"))
        if (strstr(cJSON_GetStringValue(cJSON_GetObjectItem(it, "message")), needle))
            return true;
    return false;
}

/* The build folder may live outside the root (as with cmake -B) or be the
   user's own link; jmake then writes there and nothing but
   compile_commands.json into the root. */
static void test_build_folder_outside_root(void **state)
{
    tproj t;
    tproj_init(&t, "[paths]\nbuild = \"../out\"\n[compile]\ncc = \"gcc\"\n", true);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    cJSON *r = expect_build(&t, 0, 1, 0, 0);
    char *out = path_join(t.home, "out/libproj.so"), *obj = path_join(t.home, "out/obj/src/a.c.o");
    assert_true(file_exists(out) && file_exists(obj));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "artifact"), "path")), out);
    cJSON_Delete(r);
    char *inroot = path_join(t.root, "build");
    assert_false(dir_exists(inroot));
    free(inroot);
    free(out);
    free(obj);

    /* The user's own link as the build folder: followed. */
    char *real = path_join(t.home, "real-build"), *link = path_join(t.root, "linked");
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(symlink(real, link), 0);
    wf(t.root, "jmake.toml", "[paths]\nbuild = \"linked\"\n[compile]\ncc = \"gcc\"\n");
    r = expect_build(&t, 0, 0, 1, 0);
    char *lib = path_join(real, "libproj.so");
    assert_true(file_exists(lib));
    cJSON_Delete(r);
    free(lib);
    free(real);
    free(link);
    tproj_free(&t);
}

/* Links planted inside the build folder are never written through: not an
   object's name (by the compiler or a cache restore), not a folder on the
   way to one. The build fails naming the link; the target is untouched. */
static void test_planted_links_in_build_folder(void **state)
{
    tproj t;
    tproj_init(&t, "[compile]\ncc = \"gcc\"\n", true);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    wf(t.root, "lib/b.c", "int b(void) { return 2; }\n");
    wf(t.root, "jmake.toml", "[compile]\ncc = \"gcc\"\nsources = [\"src/a.c\", \"lib/b.c\"]\n");
    cJSON *r = expect_build(&t, 0, 2, 0, 0);   /* fills the cache */
    cJSON_Delete(r);
    char *build = path_join(t.root, "build");
    assert_int_equal(remove_tree(build), 0);

    char *victim = path_join(t.home, "victim"), *elsewhere = path_join(t.home, "elsewhere");
    wf(t.home, "victim", "precious\n");
    assert_int_equal(mkdir(elsewhere, 0755), 0);
    wf(t.root, "build/obj/src/.keep", "");
    char *obj_link = path_join(t.root, "build/obj/src/a.c.o"), *dir_link = path_join(t.root, "build/obj/lib");
    assert_int_equal(symlink(victim, obj_link), 0);
    assert_int_equal(symlink(elsewhere, dir_link), 0);
    for (int round = 0; round < 2; round++) {   /* with the cache (restores refused), then without */
        if (round == 1) {
            engine_free(t.eng);
            t.eng = new_engine(t.home, false, 2);
        }
        r = expect_build(&t, 1, 0, 0, 0);
        assert_int_equal(num(r, "files", "failed"), 2);
        assert_true(has_diag(r, "refusing to write through the symbolic link"));
        assert_true(has_diag(r, "a folder on its way in the build folder is a symbolic link"));
        cJSON_Delete(r);
        char *text = read_file(victim, NULL);
        assert_string_equal(text, "precious\n");
        free(text);
        DIR *d = opendir(elsewhere);
        int entries = 0;
        for (struct dirent *de; (de = readdir(d));)
            entries += de->d_name[0] != '.';
        closedir(d);
        assert_int_equal(entries, 0);
        struct stat st;
        assert_int_equal(lstat(obj_link, &st), 0);
        assert_true(S_ISLNK(st.st_mode));   /* left for the user to see, not deleted */
    }
    free(obj_link);
    free(dir_link);
    free(victim);
    free(elsewhere);
    free(build);
    tproj_free(&t);
}

/* A build folder that cannot be made is an error of the build, not a
   compiler complaining later about a missing folder. */
static void test_mkdir_failure_is_reported(void **state)
{
    tproj t;
    tproj_init(&t, "[paths]\nbuild = \"blocker/build\"\n[compile]\ncc = \"gcc\"\n", false);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    wf(t.root, "blocker", "a file where a folder should be\n");
    cJSON *r = expect_build(&t, 1, 0, 0, 0);
    assert_true(has_diag(r, "cannot create the folder of"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "artifact")));
    cJSON_Delete(r);
    tproj_free(&t);
}

/* Two symbolic link loops under src/ (one to its own folder, one to the
   parent): the build completes, each source once. */
static void test_symlink_loops_under_src(void **state)
{
    tproj t;
    tproj_init(&t, "[compile]\ncc = \"gcc\"\n", false);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    wf(t.root, "src/sub/b.c", "int b(void) { return 2; }\n");
    char *l1 = path_join(t.root, "src/self"), *l2 = path_join(t.root, "src/sub/up");
    assert_int_equal(symlink(".", l1), 0);
    assert_int_equal(symlink("..", l2), 0);
    cJSON *r = expect_build(&t, 0, 2, 0, 0);
    assert_int_equal(num(r, "files", "total"), 2);
    cJSON_Delete(r);
    /* The same through a glob walking the whole root. */
    wf(t.root, "jmake.toml", "[compile]\ncc = \"gcc\"\nsources = [\"**/*.c\"]\n");
    r = expect_build(&t, 0, 0, -1, 2);
    assert_int_equal(num(r, "files", "total"), 2);
    cJSON_Delete(r);
    free(l1);
    free(l2);
    tproj_free(&t);
}

/* A cancel that lands while the sources are being listed from a big tree
   (all of /usr, about 100,000 entries and seconds to walk) stops the build
   within a second, before any compiler. */
static void test_cancel_during_scan(void **state)
{
    tproj t;
    tproj_init(&t, "[compile]\ncc = \"gcc\"\nsources = [\"src/*.c\", \"/usr/**/*.jmake-matches-nothing.c\"]\n",
               false);
    wf(t.root, "src/a.c", "int a(void) { return 1; }\n");
    atomic_int flag = 0;
    canceller c = {&flag, 150, t.root, 0};
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &c);
    engine_job job = {.config_path = t.cfg, .cancel = &flag};
    cJSON *r = NULL;
    char *reason = NULL;
    uint64_t t0 = clock_monotonic_ms();
    int rc = engine_build(t.eng, &job, &r, &reason);
    uint64_t took = clock_monotonic_ms() - t0;
    pthread_join(th, NULL);
    assert_int_equal(rc, -1);
    assert_string_equal(reason, "cancelled");
    assert_null(r);
    assert_true(took < 150 + 1000);
    char *obj = path_join(t.root, "build/obj/src/a.c.o");
    assert_false(file_exists(obj));   /* stopped in the scan, no compiler ran */
    free(obj);
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
        cmocka_unit_test(test_response_file_link),
        cmocka_unit_test(test_sources_globs_and_excludes),
        cmocka_unit_test(test_bad_config_and_no_sources),
        cmocka_unit_test(test_bad_source_entries_are_config_errors),
        cmocka_unit_test(test_config_mistakes_are_warned),
        cmocka_unit_test(test_sources_glob_outside_root),
        cmocka_unit_test(test_sources_named_like_options),
        cmocka_unit_test(test_logged_commands_are_shell_quoted),
        cmocka_unit_test(test_failed_build_reports_no_artifact),
        cmocka_unit_test(test_same_size_same_mtime_edits),
        cmocka_unit_test(test_build_folder_outside_root),
        cmocka_unit_test(test_planted_links_in_build_folder),
        cmocka_unit_test(test_mkdir_failure_is_reported),
        cmocka_unit_test(test_symlink_loops_under_src),
        cmocka_unit_test(test_cancel_during_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
