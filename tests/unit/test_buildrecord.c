/* test_buildrecord.c - per-project build records: stat-then-hash checks, persistence with the command table, recovery from damage. */
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
    char *args[] = {"gcc", "-O2", "-DX=1"};
    br_command *c = buildrecord_command(rec, "/usr/bin/gcc-12", 100, 200, args, 3);
    br_object *o = buildrecord_object_set(rec, "a.c", cmd, c, deps, hs, 2);
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
    /* A second object with the same command shares its entry; a command no
       object uses any more is dropped at save. */
    br_object *a = hashmap_get(&rec.objects, "a.c");
    char *args[] = {"gcc", "-O2", "-DX=1"}, *other[] = {"gcc", "-O3"};
    assert_ptr_equal(buildrecord_command(&rec, "/usr/bin/gcc-12", 100, 200, args, 3), a->cmd);
    buildrecord_object_set(&rec, "b.c", a->cmd_hash, a->cmd, a->deps, a->dep_hashes, 1);
    buildrecord_command(&rec, "/usr/bin/gcc-12", 100, 200, other, 2);
    assert_int_equal(rec.commands.count, 2);
    assert_int_equal(buildrecord_save(&rec, f->db), 0);
    assert_false(rec.dirty);
    assert_null(hashmap_get(&rec.files, "/unreferenced/file.h"));
    assert_int_equal(rec.commands.count, 1);
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
    assert_non_null(o->cmd);
    assert_string_equal(o->cmd->compiler, "/usr/bin/gcc-12");
    assert_int_equal(o->cmd->compiler_size, 100);
    assert_int_equal(o->cmd->compiler_mtime_ns, 200);
    assert_int_equal(o->cmd->args.n, 3);
    assert_string_equal(o->cmd->args.v[2], "-DX=1");
    assert_true(hash_eq(o->cmd->id, a->cmd->id));
    assert_ptr_equal(((br_object *)hashmap_get(&back.objects, "b.c"))->cmd, o->cmd);   /* stored once */
    assert_int_equal(back.commands.count, 1);
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

/* The command encoding round-trips on its own (the object cache keeps it
   too), and a truncated one is refused rather than read past its end. */
static void test_command_encoding(void **state)
{
    char *args[] = {"cc", "-I include", "", "-DQ=\"x\""};
    br_command c = {.compiler = "/opt/cc", .compiler_size = 7, .compiler_mtime_ns = -1};
    for (size_t i = 0; i < 4; i++)
        strvec_push(&c.args, args[i]);
    c.id = buildrecord_command_id(c.compiler, 7, -1, c.args.v, c.args.n);
    bytebuf b = {0};
    buildrecord_command_encode(&c, &b);
    br_command back;
    assert_int_equal(buildrecord_command_decode(b.p, b.len, &back), b.len);
    assert_string_equal(back.compiler, "/opt/cc");
    assert_int_equal(back.args.n, 4);
    assert_string_equal(back.args.v[2], "");
    assert_string_equal(back.args.v[3], "-DQ=\"x\"");
    assert_true(hash_eq(back.id, c.id));
    buildrecord_command_clear(&back);
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_equal(buildrecord_command_decode(b.p, cut, &back), 0);
    /* Another compiler binary (same path, other mtime) is another command. */
    assert_false(hash_eq(buildrecord_command_id("/opt/cc", 7, 0, c.args.v, c.args.n), c.id));
    free(b.p);
    strvec_free(&c.args);
}

/* A record of an older version (3: no command table) loads as no record:
   every unit rebuilds (from the cache), with the reason "no-record". */
static void test_older_version_loads_empty(void **state)
{
    fixture *f = *state;
    buildrecord rec;
    buildrecord_init(&rec);
    rec.epoch = 1;
    record_a(&rec, f);
    assert_int_equal(buildrecord_save(&rec, f->db), 0);
    buildrecord_free(&rec);
    size_t len;
    unsigned char *data = (unsigned char *)read_file(f->db, &len);
    uint32_t version;
    memcpy(&version, data + 4, 4);
    assert_int_equal(version, 4);
    version = 3;
    memcpy(data + 4, &version, 4);
    uint64_t sum = XXH3_64bits(data, len - 8);   /* a valid checksum: only the version is wrong */
    memcpy(data + len - 8, &sum, 8);
    assert_int_equal(write_file_atomic(f->db, data, len, 0600), 0);
    free(data);
    buildrecord_init(&rec);
    assert_int_equal(buildrecord_load(&rec, f->db), -1);
    assert_int_equal(rec.objects.count, 0);
    assert_int_equal(rec.commands.count, 0);
    buildrecord_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_damaged_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat_then_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racy_file_is_rehashed, setup, teardown),
        cmocka_unit_test(test_command_encoding),
        cmocka_unit_test_setup_teardown(test_older_version_loads_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
