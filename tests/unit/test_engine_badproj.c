/* test_engine_badproj.c - the engine against bad projects and tricky trees, with real gcc: bad sources entries, silent mistakes, paths like options, quoted job logs, failed builds' results, same-size same-mtime edits, build folders and planted links, loops and cancels during the scan. */
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

#include "engine.h"
#include "engine_fixture.h"
#include "util.h"

typedef struct canceller {
    atomic_int *flag;
    int delay_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec ts = {c->delay_ms / 1000, (long)(c->delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    atomic_store(c->flag, 1);
    return NULL;
}

/* ------------------------------------------------------------------ tests */

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
    canceller c = {&flag, 150};
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
