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

    /* Same size and mtime but different bytes (tar -x, rsync -t, touch -r):
       the ctime and here the inode changed, so it is re-hashed. */
    assert_int_equal(write_file_atomic(f->a, "int c;\n", 7, 0644), 0);
    set_old_mtime(f->a, time(NULL) - 40);
    rec.epoch = 5;
    assert_true(buildrecord_file_check(&rec, a));
    assert_false(hash_eq(a->hash, h2));
    XXH128_hash_t h3 = a->hash;

    /* A change no stat field shows (inside one ctime tick): a watcher's note
       (invalidate) forces the re-hash. The record is made to believe the
       new stat with the old hash, as after such a change. */
    assert_int_equal(write_file_atomic(f->a, "int d;\n", 7, 0644), 0);
    set_old_mtime(f->a, time(NULL) - 40);
    struct stat now;
    assert_int_equal(stat(f->a, &now), 0);
    a->ctime_ns = timespec_ns(&now.st_ctim);
    a->ino = (uint64_t)now.st_ino;
    a->dev = (uint64_t)now.st_dev;
    a->mtime_ns = stat_mtime_ns(&now);
    rec.epoch = 6;
    assert_true(buildrecord_file_check(&rec, a));
    assert_true(hash_eq(a->hash, h3));
    buildrecord_file_invalidate(&rec, f->a);
    rec.epoch = 7;
    assert_true(buildrecord_file_check(&rec, a));
    assert_false(hash_eq(a->hash, h3));
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

/* A version 2 record (no ctime, inode, device) still loads: its objects stay,
   and every file is re-hashed once, so a change that kept (size, mtime)
   under version 2 is found now. */
static void test_version2_record_migrates(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    set_old_mtime(f->a, time(NULL) - 100);
    rec.epoch = 1;
    record_a(&rec, f);
    assert_int_equal(buildrecord_save(&rec, f->db), 0);
    buildrecord_free(&rec);

    /* Rewrite the file as version 2 wrote it: the 24 bytes of (ctime, inode,
       device) out of every file entry, the version and the checksum. */
    size_t len;
    unsigned char *v3 = (unsigned char *)read_file(f->db, &len);
    bytebuf v2 = {0};
    uint32_t nfiles;
    memcpy(&nfiles, v3 + 8, 4);
    assert_int_equal(nfiles, 2);
    size_t off = 16;
    bytebuf_put(&v2, v3, 16);
    for (uint32_t i = 0; i < nfiles; i++) {
        uint32_t plen;
        memcpy(&plen, v3 + off, 4);
        bytebuf_put(&v2, v3 + off, 4 + plen + 16);   /* path, size, mtime */
        off += 4 + plen + 16 + 24;
        bytebuf_put(&v2, v3 + off, 17);              /* hash, flags */
        off += 17;
    }
    bytebuf_put(&v2, v3 + off, len - 8 - off);
    uint32_t two = 2;
    memcpy(v2.p + 4, &two, 4);
    uint64_t sum = XXH3_64bits(v2.p, v2.len);
    bytebuf_put(&v2, &sum, 8);
    assert_int_equal(write_file_atomic(f->db, v2.p, v2.len, 0600), 0);
    free(v2.p);
    free(v3);

    /* Meanwhile a.c changed, keeping its size and mtime. */
    struct stat before;
    assert_int_equal(stat(f->a, &before), 0);
    assert_int_equal(write_file_atomic(f->a, "int z;\n", 7, 0644), 0);
    struct timespec ts[2] = {before.st_mtim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, f->a, ts, 0), 0);

    buildrecord back;
    buildrecord_init(&back);
    assert_int_equal(buildrecord_load(&back, f->db), 0);
    assert_true(back.dirty);   /* saved again in the new format */
    br_object *o = hashmap_get(&back.objects, "a.c");
    assert_non_null(o);
    assert_int_equal(o->dep_count, 2);
    back.epoch = 1;
    assert_true(buildrecord_file_check(&back, o->deps[0]));
    assert_false(hash_eq(o->deps[0]->hash, o->dep_hashes[0]));   /* the change is seen */
    assert_true(buildrecord_file_check(&back, o->deps[1]));
    assert_true(hash_eq(o->deps[1]->hash, o->dep_hashes[1]));    /* unchanged header: same hash */
    struct stat hs;
    assert_int_equal(stat(f->h, &hs), 0);
    assert_int_equal(o->deps[1]->ino, (uint64_t)hs.st_ino);
    buildrecord_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_damaged_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat_then_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racy_file_is_rehashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version2_record_migrates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
