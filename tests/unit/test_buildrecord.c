/* test_buildrecord.c - per-project build records: stat-then-hash checks, persistence, recovery from damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buildrecord.h"
#include "util.h"

typedef struct fixture {
    char *dir, *a, *h, *db;
} fixture;

static int setup(void **state)
{
    fixture *f = xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/jmake-record-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->dir = xstrdup(tmpl);
    f->a = path_join(f->dir, "a.c");
    f->h = path_join(f->dir, "a.h");
    f->db = path_join(f->dir, "state/p.db");
    assert_int_equal(write_file_atomic(f->a, "int a;\n", 7, 0644), 0);
    assert_int_equal(write_file_atomic(f->h, "#define H 1\n", 12, 0644), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_tree(f->dir);
    free(f->dir);
    free(f->a);
    free(f->h);
    free(f->db);
    free(f);
    return 0;
}

static void set_old_mtime(const char *path, time_t when)
{
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static br_object *record_a(buildrecord *rec, fixture *f)
{
    br_file *deps[2] = {buildrecord_file(rec, f->a), buildrecord_file(rec, f->h)};
    assert_true(buildrecord_file_check(rec, deps[0]));
    assert_true(buildrecord_file_check(rec, deps[1]));
    XXH128_hash_t hs[2] = {deps[0]->hash, deps[1]->hash};
    XXH128_hash_t cmd = XXH3_128bits("cc -c a.c", 9);
    br_object *o = buildrecord_object_set(rec, "a.c", cmd, deps, hs, 2);
    o->obj_size = 1234;
    o->obj_mtime_ns = 5678;
    return o;
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    rec.epoch = 1;
    record_a(&rec, f);
    rec.link.valid = true;
    rec.link.size = 99;
    buildrecord_file(&rec, "/unreferenced/file.h");   /* dropped at save */
    assert_int_equal(buildrecord_save(&rec, f->db), 0);
    assert_false(rec.dirty);
    assert_null(hashmap_get(&rec.files, "/unreferenced/file.h"));
    struct stat st;
    assert_int_equal(stat(f->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    buildrecord back;
    buildrecord_init(&back);
    assert_int_equal(buildrecord_load(&back, f->db), 0);
    br_object *o = hashmap_get(&back.objects, "a.c");
    assert_non_null(o);
    assert_int_equal(o->dep_count, 2);
    assert_string_equal(o->deps[0]->path, f->a);
    assert_string_equal(o->deps[1]->path, f->h);
    assert_true(hash_eq(o->dep_hashes[1], ((br_object *)hashmap_get(&rec.objects, "a.c"))->dep_hashes[1]));
    assert_int_equal(o->obj_size, 1234);
    assert_int_equal(o->obj_mtime_ns, 5678);
    assert_true(back.link.valid);
    assert_int_equal(back.link.size, 99);
    assert_int_equal(back.files.count, 2);
    buildrecord_free(&back);
    buildrecord_free(&rec);
}

static void test_missing_and_damaged_files(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    assert_int_equal(buildrecord_load(&rec, f->db), 1);   /* no file yet */
    rec.epoch = 1;
    record_a(&rec, f);
    assert_int_equal(buildrecord_save(&rec, f->db), 0);
    buildrecord_free(&rec);

    size_t len;
    char *good = read_file(f->db, &len);
    /* A torn write: the record is refused and the engine rebuilds. */
    assert_int_equal(write_file_atomic(f->db, good, len / 2, 0600), 0);
    buildrecord_init(&rec);
    assert_int_equal(buildrecord_load(&rec, f->db), -1);
    assert_int_equal(rec.objects.count, 0);
    buildrecord_free(&rec);
    /* One flipped byte. */
    good[len / 2] ^= 0x40;
    assert_int_equal(write_file_atomic(f->db, good, len, 0600), 0);
    buildrecord_init(&rec);
    assert_int_equal(buildrecord_load(&rec, f->db), -1);
    buildrecord_free(&rec);
    /* Another version. */
    good[len / 2] ^= 0x40;
    good[4] = 99;
    assert_int_equal(write_file_atomic(f->db, good, len, 0600), 0);
    buildrecord_init(&rec);
    assert_int_equal(buildrecord_load(&rec, f->db), -1);
    buildrecord_free(&rec);
    free(good);
}

static void test_stat_then_hash(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    set_old_mtime(f->a, time(NULL) - 100);
    rec.epoch = 1;
    br_file *a = buildrecord_file(&rec, f->a);
    assert_true(buildrecord_file_check(&rec, a));
    assert_true(a->hashed);
    assert_false(a->racy);   /* old enough to trust its stat */
    XXH128_hash_t h1 = a->hash;

    /* Same epoch: not even a stat (the file may be gone, the answer stays). */
    unlink(f->a);
    assert_true(buildrecord_file_check(&rec, a));
    rec.epoch = 2;
    assert_false(buildrecord_file_check(&rec, a));

    /* New content with a new mtime: re-hashed. */
    assert_int_equal(write_file_atomic(f->a, "int b;\n", 7, 0644), 0);
    set_old_mtime(f->a, time(NULL) - 50);
    rec.epoch = 3;
    assert_true(buildrecord_file_check(&rec, a));
    assert_false(hash_eq(a->hash, h1));

    /* Touched only: new stat, same hash. */
    XXH128_hash_t h2 = a->hash;
    set_old_mtime(f->a, time(NULL) - 40);
    rec.epoch = 4;
    assert_true(buildrecord_file_check(&rec, a));
    assert_true(hash_eq(a->hash, h2));

    /* Same size and mtime but different bytes: invisible to stat, so a
       watcher's note (invalidate) forces the re-hash. */
    assert_int_equal(write_file_atomic(f->a, "int c;\n", 7, 0644), 0);
    set_old_mtime(f->a, time(NULL) - 40);
    rec.epoch = 5;
    assert_true(buildrecord_file_check(&rec, a));
    assert_true(hash_eq(a->hash, h2));
    buildrecord_file_invalidate(&rec, f->a);
    rec.epoch = 6;
    assert_true(buildrecord_file_check(&rec, a));
    assert_false(hash_eq(a->hash, h2));
    buildrecord_free(&rec);
}

static void test_racy_file_is_rehashed(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    rec.epoch = 1;
    br_file *h = buildrecord_file(&rec, f->h);   /* written just now by setup */
    assert_true(buildrecord_file_check(&rec, h));
    assert_true(h->racy);
    XXH128_hash_t before = h->hash;
    /* Rewritten within the same tick, same size: stat may not change. */
    struct stat st;
    assert_int_equal(stat(f->h, &st), 0);
    assert_int_equal(write_file_atomic(f->h, "#define H 2\n", 12, 0644), 0);
    struct timespec ts[2] = {st.st_mtim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, f->h, ts, 0), 0);
    rec.epoch = 2;
    assert_true(buildrecord_file_check(&rec, h));
    assert_false(hash_eq(h->hash, before));
    buildrecord_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_damaged_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat_then_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racy_file_is_rehashed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
