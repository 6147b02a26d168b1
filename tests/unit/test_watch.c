/* test_watch.c - the watch layer on real inotify in temporary folders: filters, debounce, new/removed/renamed folders, atomic saves, the limit seam, overflow; a watched project's index against the walk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include "project.h"
#include "srcscan.h"
#include "watchbatch.h"
#include "watchfilter.h"
#include "watchtree.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* The daemon's defaults (src/conf/config.c) and the seed's own patterns. */
static const char *const default_watch[] = {"**/*.c",   "**/*.cc",  "**/*.cpp", "**/*.cxx", "**/*.c++",
                                            "**/*.C",   "**/*.S",   "**/*.s",   "**/*.h",   "**/*.hh",
                                            "**/*.hpp", "**/*.hxx", "**/*.inc", "**/*.toml", NULL};
static const char *const default_ignore[] = {"build/**", "julia/**", ".git/**", NULL};
static const char *const seed_watch[] = {"**/*.cpp", "**/*.h", "**/*.toml", NULL};

static void test_filter_patterns(void **state)
{
    (void)state;
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    assert_true(watch_filter_file(&f, "a.c"));            /* ** matches zero folders */
    assert_true(watch_filter_file(&f, "src/a.c"));
    assert_true(watch_filter_file(&f, "src/deep/er/x.cpp"));
    assert_true(watch_filter_file(&f, "include/v.hpp"));
    assert_true(watch_filter_file(&f, "asm/start.S"));
    assert_true(watch_filter_file(&f, "jmake.toml"));
    assert_true(watch_filter_file(&f, "./src/a.cc"));
    assert_false(watch_filter_file(&f, "src/a.o"));
    assert_false(watch_filter_file(&f, "README.md"));
    assert_false(watch_filter_file(&f, "build/a.c"));
    assert_false(watch_filter_file(&f, "build/x/y/a.h"));
    assert_false(watch_filter_file(&f, "julia/Mod.toml"));
    assert_false(watch_filter_file(&f, "src/.a.c.swp"));   /* editor files are hidden */
    assert_false(watch_filter_file(&f, "src/.#a.c"));
    assert_false(watch_filter_file(&f, ".git/x.c"));
    assert_true(watch_filter_file(&f, "src/build/a.c"));  /* the ignore pattern is anchored at the root */
    assert_false(watch_filter_file(&f, "src/a.c~"));

    watch_filter seed = {.watch = seed_watch, .ignore = default_ignore};
    assert_true(watch_filter_file(&seed, "src/vector.cpp"));
    assert_true(watch_filter_file(&seed, "include/vector.h"));
    assert_false(watch_filter_file(&seed, "src/a.c"));
    assert_false(watch_filter_file(&seed, "julia/gen.h"));

    watch_filter all = {.watch = NULL, .ignore = NULL};
    assert_true(watch_filter_file(&all, "anything/at.all"));

    static const char *const deep_ignore[] = {"**/generated/**", "out", NULL};
    watch_filter deep = {.watch = default_watch, .ignore = deep_ignore};
    assert_false(watch_filter_file(&deep, "a/b/generated/x.c"));
    assert_true(watch_filter_prunes_dir(&deep, "a/b/generated"));
    assert_true(watch_filter_prunes_dir(&deep, "out"));
    assert_false(watch_filter_prunes_dir(&deep, "a/b"));
}

static void test_filter_prunes(void **state)
{
    (void)state;
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    assert_true(watch_filter_prunes_dir(&f, "build"));
    assert_true(watch_filter_prunes_dir(&f, "build/obj"));
    assert_true(watch_filter_prunes_dir(&f, "julia"));
    assert_true(watch_filter_prunes_dir(&f, ".git"));
    assert_true(watch_filter_prunes_dir(&f, "src/.cache"));
    assert_false(watch_filter_prunes_dir(&f, "src"));
    assert_false(watch_filter_prunes_dir(&f, "src/build"));
    assert_false(watch_filter_prunes_dir(&f, "builder"));
}

static void test_batch_debounce(void **state)
{
    (void)state;
    watch_batch b;
    watch_batch_init(&b);
    assert_true(watch_batch_empty(&b));
    assert_true(watch_batch_wait_ms(&b, 1000, 50, 2000) == UINT64_MAX);
    watch_batch_add(&b, "/p/a.c", 1000);
    watch_batch_add(&b, "/p/b.c", 1020);
    watch_batch_add(&b, "/p/a.c", 1040);
    assert_int_equal(watch_batch_wait_ms(&b, 1040, 50, 2000), 50);
    assert_int_equal(watch_batch_wait_ms(&b, 1089, 50, 2000), 1);
    assert_int_equal(watch_batch_wait_ms(&b, 1090, 50, 2000), 0);
    /* A tree that never goes quiet is still due after max_wait. */
    for (uint64_t t = 1040; t < 3100; t += 10)
        watch_batch_add(&b, "/p/c.c", t);
    assert_int_equal(watch_batch_wait_ms(&b, 3000, 50, 2000), 0);
    strvec out;
    bool lost = true;
    watch_batch_take(&b, &out, &lost);
    assert_false(lost);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.v[0], "/p/a.c");
    assert_string_equal(out.v[1], "/p/b.c");
    assert_string_equal(out.v[2], "/p/c.c");
    strvec_free(&out);
    assert_true(watch_batch_empty(&b));
    watch_batch_lose(&b, 5000);
    watch_batch_take(&b, &out, &lost);
    assert_true(lost);
    assert_int_equal(out.n, 0);
    strvec_free(&out);
    watch_batch_free(&b);
}

/* ---- real inotify ---- */

typedef struct seen {
    strvec changed, removed, cookies;
} seen;

static void on_change(void *ctx, const char *path, watch_change_kind kind)
{
    seen *s = ctx;
    strvec *to = kind == WATCH_CHANGED ? &s->changed : kind == WATCH_REMOVED ? &s->removed : &s->cookies;
    if (!strvec_contains(to, path))
        strvec_push(to, path);
}

static void seen_clear(seen *s)
{
    strvec_free(&s->changed);
    strvec_free(&s->removed);
    strvec_free(&s->cookies);
}

static watch_read drain(watch_tree *t, seen *s)
{
    seen_clear(s);
    return watch_tree_read(t, on_change, s);
}

static bool has(const strvec *v, const char *root, const char *rel)
{
    char *p = path_join(root, rel);
    bool found = strvec_contains(v, p);
    free(p);
    return found;
}

static void put(const char *root, const char *rel, const char *text)
{
    free(test_write_text(root, rel, text));
}

static void append(const char *root, const char *rel)
{
    char *p = path_join(root, rel);
    FILE *f = fopen(p, "a");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
    free(p);
}

static void mk(const char *root, const char *rel)
{
    char *p = path_join(root, rel);
    assert_int_equal(mkdir_p(p, 0755), 0);
    free(p);
}

static watch_tree *tree_on(const char *root, const watch_filter *f, size_t max_watches)
{
    watch_tree_options o = {.filter = *f, .max_watches = max_watches};
    char err[256];
    watch_tree *t = watch_tree_new(&o, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(watch_tree_add_root(t, root, NULL), max_watches ? WATCH_PARTIAL : WATCH_PLACED);
    return t;
}

static void test_tree_changes(void **state)
{
    (void)state;
    char *root = test_tempdir("watch");
    put(root, "src/a.c", "int a;\n");
    put(root, "build/obj.c", "x\n");
    put(root, "README.md", "r\n");
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    watch_tree *t = tree_on(root, &f, 0);
    seen s = {0};
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 0);

    append(root, "src/a.c");
    append(root, "build/obj.c");      /* build/ is not even watched */
    append(root, "README.md");        /* not a watched pattern */
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/a.c"));

    /* An editor's save: write a temporary, rename it over the target. */
    put(root, "src/.a.c.tmp", "int a2;\n");
    char *tmp = path_join(root, "src/.a.c.tmp"), *dst = path_join(root, "src/a.c");
    assert_int_equal(rename(tmp, dst), 0);
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/a.c"));
    assert_int_equal(s.removed.n, 0);
    /* write_file_atomic saves the same way (its temporary is hidden). */
    put(root, "src/a.c", "int a3;\n");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/a.c"));

    /* A deleted source is reported removed. */
    assert_int_equal(unlink(dst), 0);
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.removed, root, "src/a.c"));
    assert_int_equal(s.changed.n, 0);

    /* The sync cookie comes back apart from changes. */
    put(root, WATCH_COOKIE_PREFIX "1", "");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.cookies, root, WATCH_COOKIE_PREFIX "1"));
    assert_int_equal(s.changed.n, 0);

    free(tmp);
    free(dst);
    seen_clear(&s);
    watch_tree_free(t);
    remove_tree(root);
    free(root);
}

static void test_tree_new_folders(void **state)
{
    (void)state;
    char *root = test_tempdir("watch");
    mk(root, "src");
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    watch_tree *t = tree_on(root, &f, 0);
    seen s = {0};
    /* A folder, sub-folders and files all made before any event is read:
       the files existed before their folders' watches did. */
    put(root, "src/new/deeper/n.c", "int n;\n");
    put(root, "src/new/m.h", "int m;\n");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.changed, root, "src/new/deeper/n.c"));
    assert_true(has(&s.changed, root, "src/new/m.h"));
    /* And the new folders are watched from now on. */
    append(root, "src/new/deeper/n.c");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/new/deeper/n.c"));

    /* A new build/ or julia/ folder is not watched at all. */
    put(root, "julia/gen/x.h", "x\n");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 0);
    append(root, "julia/gen/x.h");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 0);

    /* A renamed folder: reported removed under its old name, its files under the new one. */
    char *from = path_join(root, "src/new"), *to = path_join(root, "src/moved");
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.removed, root, "src/new"));
    assert_true(has(&s.changed, root, "src/moved/deeper/n.c"));
    append(root, "src/moved/deeper/n.c");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/moved/deeper/n.c"));

    /* A deleted folder's watches are dropped; one made again under the same name is watched anew. */
    watch_tree_stats st;
    watch_tree_stats_get(t, &st);
    size_t before = st.watches;
    assert_int_equal(remove_tree(to), 0);
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.removed, root, "src/moved"));
    watch_tree_stats_get(t, &st);
    assert_int_equal(st.watches, before - 2);
    put(root, "src/moved/again.c", "int g;\n");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, root, "src/moved/again.c"));

    free(from);
    free(to);
    seen_clear(&s);
    watch_tree_free(t);
    remove_tree(root);
    free(root);
}

static void test_tree_limit_seam(void **state)
{
    (void)state;
    char *root = test_tempdir("watch");
    put(root, "a/x.c", "1\n");
    put(root, "b/y.c", "1\n");
    put(root, "c/z.c", "1\n");
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    watch_tree *t = tree_on(root, &f, 2); /* the root and one folder */
    watch_tree_stats st;
    watch_tree_stats_get(t, &st);
    assert_true(st.limit_reached);
    assert_int_equal(st.watches, 2);
    assert_int_equal(st.unwatched, 2);
    /* A rescan reports the files of the folders still without a watch. */
    seen s = {0};
    assert_int_equal(watch_tree_rescan(t, on_change, &s), WATCH_PARTIAL);
    assert_int_equal(s.changed.n, 2);
    /* A new folder beyond the limit makes the read say track was lost. */
    put(root, "d/w.c", "1\n");
    assert_int_equal(drain(t, &s), WATCH_READ_LOST);
    seen_clear(&s);
    watch_tree_free(t);
    remove_tree(root);
    free(root);
}

static void test_tree_overflow(void **state)
{
    (void)state;
    long max_queued = watch_kernel_max_queued_events();
    if (max_queued <= 0 || max_queued > 200000)
        skip();
    char *root = test_tempdir("watch");
    mk(root, "src");
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    watch_tree *t = tree_on(root, &f, 0);
    char *path = path_join(root, "src/a.c");
    /* Each new file queues two events (create, close); the kernel merges only
       identical neighbours, so this is more than the queue holds. */
    for (long i = 0; i < max_queued / 2 + 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "src/f%ld.c", i);
        char *p = path_join(root, name);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        close(fd);
        free(p);
    }
    seen s = {0};
    assert_int_equal(drain(t, &s), WATCH_READ_LOST);
    /* After a rescan, the tree reports again. */
    assert_int_equal(watch_tree_rescan(t, NULL, NULL), WATCH_PLACED);
    append(root, "src/a.c");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_true(has(&s.changed, root, "src/a.c"));
    free(path);
    seen_clear(&s);
    watch_tree_free(t);
    remove_tree(root);
    free(root);
}

static void test_tree_only_file(void **state)
{
    (void)state;
    char *dir = test_tempdir("watch");
    put(dir, "jmake.toml", "[project]\n");
    put(dir, "other.toml", "x\n");
    watch_filter f = {.watch = default_watch, .ignore = default_ignore};
    watch_tree_options o = {.filter = f};
    char err[256];
    watch_tree *t = watch_tree_new(&o, err, sizeof err);
    assert_int_equal(watch_tree_add_root(t, dir, "jmake.toml"), WATCH_PLACED);
    seen s = {0};
    append(dir, "other.toml");
    append(dir, "jmake.toml");
    assert_int_equal(drain(t, &s), WATCH_READ_OK);
    assert_int_equal(s.changed.n, 1);
    assert_true(has(&s.changed, dir, "jmake.toml"));
    seen_clear(&s);
    watch_tree_free(t);
    remove_tree(dir);
    free(dir);
}


/* What a watched build does with reported paths (src/build/engine.c,
 * update_index), here by hand: a file joins when srcscan_is_found says so, a
 * vanished path leaves with everything below it. */
static void index_apply(strvec *found, const project_config *P, const char *path)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    size_t n = strlen(path);
    for (size_t i = 0; i < found->n;) {
        bool below = strncmp(found->v[i], path, n) == 0 && (found->v[i][n] == '\0' || found->v[i][n] == '/');
        if (below && (!exists || !srcscan_is_found(P, found->v[i]))) {
            free(found->v[i]);
            found->v[i] = found->v[--found->n];
        } else {
            i++;
        }
    }
    if (exists && S_ISREG(st.st_mode) && srcscan_is_found(P, path) && !strvec_contains(found, path))
        strvec_push(found, path);
}

/* The list from the index equals a new walk's, warnings included. */
static void assert_index_is_walk(const project_config *P, const strvec *found)
{
    strvec walked = {0}, listed = {0};
    diag_list dw = {0}, dl = {0};
    srcscan_options ow = {.diags = &dw}, ol = {.diags = &dl};
    assert_int_equal(srcscan_list_checked(P, &ow, &walked), SRCSCAN_OK);
    assert_int_equal(srcscan_list_from(P, &ol, found, &listed), SRCSCAN_OK);
    assert_int_equal(listed.n, walked.n);
    for (size_t i = 0; i < walked.n; i++)
        assert_string_equal(listed.v[i], walked.v[i]);
    assert_int_equal(dl.count, dw.count);
    for (size_t i = 0; i < dw.count; i++)
        assert_string_equal(dl.items[i].message, dw.items[i].message);
    strvec_free(&walked);
    strvec_free(&listed);
    diag_free(&dw);
    diag_free(&dl);
}

static void index_case(const char *toml)
{
    char *root = test_tempdir("index");
    put(root, "jmake.toml", toml);
    put(root, "src/main.c", "int m;\n");
    put(root, "src/sub/sub.c", "int s;\n");
    put(root, "extra/e0.c", "int e0;\n");
    char *config = path_join(root, "jmake.toml");
    project_config P;
    diag_list d = {0};
    assert_int_equal(project_load(config, &P, &d), 0);
    diag_free(&d);
    assert_true(srcscan_index_usable(&P));
    strvec found = {0}, rels = {0};
    srcscan_options o = {.found = &found};
    assert_int_equal(srcscan_list_checked(&P, &o, &rels), SRCSCAN_OK);
    strvec_free(&rels);
    assert_index_is_walk(&P, &found);

    /* Each change, then the paths the watcher reports for it. */
    static const char *const made[] = {"extra/e1.c", "src/gen/g.c", "src/new/deeper/n.cpp", "src/.hidden/h.c",
                                       "src/x.h", "other/o.c", "build/b.c", "src/notes.txt"};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        char *path = path_join(root, made[i]);
        put(root, made[i], "int x;\n");
        index_apply(&found, &P, path);
        assert_index_is_walk(&P, &found);
        free(path);
    }
    /* A file under a new folder joined (the source folder takes .cpp, and so does a glob). */
    char *deep = path_join(root, "src/new/deeper/n.cpp");
    assert_true(strvec_contains(&found, deep));
    free(deep);
    /* A renamed folder: the old path leaves, the watcher reports every file under the new one. */
    char *from = path_join(root, "src/sub"), *to = path_join(root, "src/moved"), *moved = path_join(to, "sub.c");
    assert_int_equal(rename(from, to), 0);
    index_apply(&found, &P, from);
    index_apply(&found, &P, moved);
    assert_index_is_walk(&P, &found);
    /* A deleted folder. */
    char *gen = path_join(root, "src/gen");
    remove_tree(gen);
    index_apply(&found, &P, gen);
    assert_index_is_walk(&P, &found);

    free(gen);
    free(from);
    free(to);
    free(moved);
    strvec_free(&found);
    project_free(&P);
    free(config);
    remove_tree(root);
    free(root);
}

static void test_index_matches_walk(void **state)
{
    (void)state;
    /* The source folder. */
    index_case("[project]\nname = \"i\"\n[paths]\nsource = \"src\"\n");
    /* Globs and an exclude that matches nothing until src/gen/g.c comes. */
    index_case("[project]\nname = \"i\"\n[compile]\nsources = [\"src/**/*.c\", \"src/**/*.cpp\", \"extra/*.c\"]\n"
               "exclude = [\"src/gen/**\"]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_patterns), cmocka_unit_test(test_filter_prunes),
        cmocka_unit_test(test_batch_debounce),  cmocka_unit_test(test_tree_changes),
        cmocka_unit_test(test_tree_new_folders), cmocka_unit_test(test_tree_limit_seam),
        cmocka_unit_test(test_tree_overflow),   cmocka_unit_test(test_tree_only_file),
        cmocka_unit_test(test_index_matches_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
