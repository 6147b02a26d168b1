/* test_walk.c - the directory walker on real trees with link cycles, linked folders, pruning and cancel; srcscan and discovery agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include "discovery.h"
#include "srcscan.h"
#include "walk.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *root, const char *rel)
{
    free(test_write_text(root, rel, "int x;\n"));
}

static void link_at(const char *root, const char *rel, const char *target)
{
    char *full = path_join(root, rel);
    char *dir = path_dirname(full);
    assert_int_equal(mkdir_p(dir, 0755), 0);
    if (symlink(target, full) != 0)
        fail_msg("symlink %s -> %s failed", full, target);
    free(dir);
    free(full);
}

typedef struct collected {
    strvec files;      /* relative paths of WALK_FILE entries */
    strvec dirs;       /* relative paths of WALK_DIR entries */
    strvec linked;     /* entries reported with via_link */
    size_t calls;
    size_t stop_after; /* 0: never */
    atomic_int *cancel_after_flag;
    size_t cancel_after;
    const char *prune; /* a relative folder to prune, or NULL */
    bool files_had_stat, files_lacked_stat, dirs_lacked_stat;
} collected;

static walk_action collect(const walk_entry *e, void *ctx)
{
    collected *c = ctx;
    c->calls++;
    if (e->kind == WALK_FILE) {
        strvec_push(&c->files, e->rel);
        if (e->st)
            c->files_had_stat = true;
        else
            c->files_lacked_stat = true;
    } else if (e->kind == WALK_DIR) {
        strvec_push(&c->dirs, e->rel);
        if (!e->st)
            c->dirs_lacked_stat = true;
    }
    if (e->via_link)
        strvec_push(&c->linked, e->rel);
    /* name is the last segment of rel, path is the root joined with rel */
    const char *slash = strrchr(e->rel, '/');
    assert_string_equal(e->name, slash ? slash + 1 : e->rel);
    if (c->cancel_after && c->calls == c->cancel_after)
        atomic_store(c->cancel_after_flag, 1);
    if (c->stop_after && c->calls == c->stop_after)
        return WALK_STOP;
    if (e->kind == WALK_DIR && c->prune && strcmp(e->rel, c->prune) == 0)
        return WALK_PRUNE;
    return WALK_CONTINUE;
}

static void collected_free(collected *c)
{
    strvec_free(&c->files);
    strvec_free(&c->dirs);
    strvec_free(&c->linked);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Asserts that sv holds exactly expected (NULL-terminated), in any order. */
static void assert_set(strvec *sv, const char *const *expected)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof *sv->v, cmp_str);
    size_t n = 0;
    while (expected[n])
        n++;
    bytebuf got = {0};
    for (size_t i = 0; i < sv->n; i++) {
        bytebuf_put(&got, sv->v[i], strlen(sv->v[i]));
        bytebuf_put(&got, " ", 1);
    }
    bytebuf_put(&got, "", 1);
    if (sv->n != n)
        fail_msg("expected %zu entries, got %zu: %s", n, sv->n, (char *)got.p);
    for (size_t i = 0; i < n; i++)
        if (strcmp(sv->v[i], expected[i]) != 0)
            fail_msg("entry %zu: expected %s, got: %s", i, expected[i], (char *)got.p);
    free(got.p);
}

static walk_result walk_collect(const char *root, collected *c, unsigned flags, atomic_int *cancel)
{
    walk_options opt = {.flags = flags, .cancel = cancel};
    return walk_tree(root, &opt, collect, c);
}

/* src/up -> .. leads back to the root: every file once, and the walk ends. */
static void test_link_to_parent(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-up");
    put(root, "top.c");
    put(root, "src/a.c");
    put(root, "src/deep/b.c");
    link_at(root, "src/up", "..");
    collected c = {0};
    assert_int_equal(walk_collect(root, &c, 0, NULL), WALK_DONE);
    assert_set(&c.files, (const char *const[]){"src/a.c", "src/deep/b.c", "top.c", NULL});
    assert_set(&c.dirs, (const char *const[]){"src", "src/deep", NULL});
    assert_int_equal(c.linked.n, 0); /* the link leads to the root, already entered */
    collected_free(&c);
    remove_tree(root);
    free(root);
}

/* A source folder that is a link to a folder outside the project is listed
 * under the link's path, by the walker, by srcscan and by discovery. */
static void test_linked_source_folder(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-proj");
    char *outside = test_tempdir("walk-outside");
    put(outside, "lib/x.c");
    put(outside, "lib/sub/y.cpp");
    put(root, "src/main.c");
    char *target = path_join(outside, "lib");
    link_at(root, "src/ext", target);
    free(target);

    collected c = {0};
    assert_int_equal(walk_collect(root, &c, 0, NULL), WALK_DONE);
    assert_set(&c.files, (const char *const[]){"src/ext/sub/y.cpp", "src/ext/x.c", "src/main.c", NULL});
    assert_set(&c.linked, (const char *const[]){"src/ext", NULL});
    collected_free(&c);

    project_config P = {0};
    P.root = root;
    P.source_dir = path_join(root, "src");
    P.build_dir = path_join(root, "build");
    strvec rels = {0};
    srcscan_list(&P, &rels);
    assert_set(&rels, (const char *const[]){"src/ext/sub/y.cpp", "src/ext/x.c", "src/main.c", NULL});
    strvec_free(&rels);
    free(P.source_dir);
    free(P.build_dir);

    cJSON *res = NULL;
    char err[256] = "";
    assert_int_equal(discovery_scan(root, NULL, NULL, &res, err, sizeof err), 0);
    const cJSON *sources = cJSON_GetObjectItem(res, "sources");
    assert_int_equal(cJSON_GetArraySize(sources), 3);
    assert_string_equal(cJSON_GetArrayItem(sources, 0)->valuestring, "src/ext/sub/y.cpp");
    assert_string_equal(cJSON_GetArrayItem(sources, 1)->valuestring, "src/ext/x.c");
    assert_string_equal(cJSON_GetArrayItem(sources, 2)->valuestring, "src/main.c");
    cJSON_Delete(res);

    remove_tree(root);
    remove_tree(outside);
    free(root);
    free(outside);
}

/* Two cycles (a/b -> ../c and c/d -> ../a), a self link and a link to the
 * root: every file once, under its own path, not under a link's. */
static void test_two_link_loops(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-loops");
    put(root, "a/f.c");
    put(root, "c/g.c");
    put(root, "c/deeper/h.c");
    link_at(root, "a/b", "../c");
    link_at(root, "c/d", "../a");
    link_at(root, "a/self", ".");
    link_at(root, "c/deeper/home", "../..");
    collected c = {0};
    assert_int_equal(walk_collect(root, &c, 0, NULL), WALK_DONE);
    assert_set(&c.files, (const char *const[]){"a/f.c", "c/deeper/h.c", "c/g.c", NULL});
    assert_set(&c.dirs, (const char *const[]){"a", "c", "c/deeper", NULL});
    collected_free(&c);
    remove_tree(root);
    free(root);
}

/* A cycle made only of links outside the tree: the first link enters it,
 * and the way back is recognised. */
static void test_loop_through_outside(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-in");
    char *outside = test_tempdir("walk-out");
    put(outside, "o.c");
    link_at(outside, "back", root);
    put(root, "r.c");
    link_at(root, "out", outside);
    collected c = {0};
    assert_int_equal(walk_collect(root, &c, 0, NULL), WALK_DONE);
    assert_set(&c.files, (const char *const[]){"out/o.c", "r.c", NULL});
    assert_set(&c.dirs, (const char *const[]){"out", NULL});
    collected_free(&c);
    remove_tree(root);
    remove_tree(outside);
    free(root);
    free(outside);
}

/* A pruned folder is not entered, nor through a link to it; hidden entries
 * and dangling links are passed over; a link to a file is a file. */
static void test_prune_hidden_and_file_links(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-prune");
    put(root, "build/gen.c");
    put(root, "src/a.c");
    put(root, "src/.hidden.c");
    put(root, ".git/hooks/x.c");
    link_at(root, "src/out", "../build");
    link_at(root, "src/alias.c", "a.c");
    link_at(root, "src/dangling.c", "nowhere.c");
    link_at(root, "src/git", "../.git/hooks"); /* hidden folders are only skipped by name */
    collected c = {.prune = "build"};
    assert_int_equal(walk_collect(root, &c, 0, NULL), WALK_DONE);
    assert_set(&c.files, (const char *const[]){"src/a.c", "src/alias.c", "src/git/x.c", NULL});
    assert_set(&c.linked, (const char *const[]){"src/alias.c", "src/git", NULL});
    collected_free(&c);

    /* srcscan prunes the build folder through the link too. */
    project_config P = {0};
    P.root = root;
    P.source_dir = path_join(root, "src");
    P.build_dir = path_join(root, "build");
    strvec rels = {0};
    srcscan_list(&P, &rels);
    assert_set(&rels, (const char *const[]){"src/a.c", "src/alias.c", "src/git/x.c", NULL});
    strvec_free(&rels);
    free(P.source_dir);
    free(P.build_dir);
    remove_tree(root);
    free(root);
}

/* The cancel flag is read before every entry: set during the third entry,
 * the walk reports no fourth. */
static void test_cancel_stops_walk(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-cancel");
    for (int i = 0; i < 50; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "d%d/f%d.c", i % 5, i);
        put(root, rel);
    }
    atomic_int cancel = 0;
    collected c = {.cancel_after_flag = &cancel, .cancel_after = 3};
    assert_int_equal(walk_collect(root, &c, 0, &cancel), WALK_CANCELLED);
    assert_int_equal(c.calls, 3);
    collected_free(&c);

    atomic_store(&cancel, 1);
    collected before = {0};
    assert_int_equal(walk_collect(root, &before, 0, &cancel), WALK_CANCELLED);
    assert_int_equal(before.calls, 0);
    collected_free(&before);

    collected stop = {.stop_after = 7};
    assert_int_equal(walk_collect(root, &stop, 0, NULL), WALK_STOPPED);
    assert_int_equal(stop.calls, 7);
    collected_free(&stop);

    atomic_store(&cancel, 0);
    collected all = {0};
    assert_int_equal(walk_collect(root, &all, 0, &cancel), WALK_DONE);
    assert_int_equal(all.files.n, 50);
    assert_int_equal(all.dirs.n, 5);
    collected_free(&all);
    remove_tree(root);
    free(root);
}

/* Folders always carry their stat; files only when asked. */
static void test_stat_flag(void **state)
{
    (void)state;
    char *root = test_tempdir("walk-stat");
    put(root, "src/a.c");
    collected plain = {0};
    assert_int_equal(walk_collect(root, &plain, 0, NULL), WALK_DONE);
    assert_true(plain.files_lacked_stat && !plain.files_had_stat);
    assert_false(plain.dirs_lacked_stat);
    collected_free(&plain);
    collected stat_files = {0};
    assert_int_equal(walk_collect(root, &stat_files, WALK_STAT_FILES, NULL), WALK_DONE);
    assert_true(stat_files.files_had_stat && !stat_files.files_lacked_stat);
    collected_free(&stat_files);
    remove_tree(root);
    free(root);
}

/* srcscan and discovery take their source extensions from one table, so
 * they list the same translation units (.c++ included). */
static void test_extension_agreement(void **state)
{
    (void)state;
    static const char *const names[] = {"a.c",   "b.cc",  "c.cpp", "d.cxx", "e.C",   "f.c++", "g.S",
                                        "h.s",   "i.h",   "j.hpp", "k.hh",  "l.hxx", "m.inc", "n.txt",
                                        "o.cu",  "p.m",   "q.CPP", "r.asm", "s",     NULL};
    char *root = test_tempdir("walk-ext");
    for (size_t i = 0; names[i]; i++) {
        char *rel = xasprintf("src/%s", names[i]);
        put(root, rel);
        free(rel);
    }
    static const char *const expected[] = {"src/a.c", "src/b.cc", "src/c.cpp", "src/d.cxx", "src/e.C",
                                           "src/f.c++", "src/g.S", "src/h.s", NULL};

    project_config P = {0};
    P.root = root;
    P.source_dir = path_join(root, "src");
    P.build_dir = path_join(root, "build");
    strvec rels = {0};
    srcscan_list(&P, &rels);
    assert_set(&rels, expected);
    strvec_free(&rels);
    free(P.source_dir);
    free(P.build_dir);

    cJSON *res = NULL;
    char err[256] = "";
    assert_int_equal(discovery_scan(root, NULL, NULL, &res, err, sizeof err), 0);
    strvec disc = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(res, "sources"))
        strvec_push(&disc, item->valuestring);
    assert_set(&disc, expected);
    strvec_free(&disc);
    strvec headers = {0};
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(res, "headers"))
        strvec_push(&headers, item->valuestring);
    assert_set(&headers, (const char *const[]){"src/i.h", "src/j.hpp", "src/k.hh", "src/l.hxx", "src/m.inc", NULL});
    strvec_free(&headers);
    cJSON_Delete(res);

    for (size_t i = 0; names[i]; i++) {
        bool header = srcscan_is_header(names[i]);
        bool source = srcscan_language(names[i]) != SRC_NONE;
        assert_false(header && source);
    }
    assert_int_equal(srcscan_language("x.c++"), SRC_CXX);
    assert_int_equal(srcscan_language("x.S"), SRC_ASM_PP);
    assert_int_equal(srcscan_language("x.s"), SRC_ASM);
    remove_tree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_to_parent),
        cmocka_unit_test(test_linked_source_folder),
        cmocka_unit_test(test_two_link_loops),
        cmocka_unit_test(test_loop_through_outside),
        cmocka_unit_test(test_prune_hidden_and_file_links),
        cmocka_unit_test(test_cancel_stops_walk),
        cmocka_unit_test(test_stat_flag),
        cmocka_unit_test(test_extension_agreement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
