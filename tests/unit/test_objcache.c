/* test_objcache.c - the content-addressed object cache: round trips, manifests, atomic writes, LRU eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objcache.h"
#include "util.h"
#include "testutil.h"

static XXH128_hash_t key_of(int i)
{
    return XXH3_128bits(&i, sizeof i);
}

/* A file of n pseudo-random (incompressible) bytes. */
static char *random_file(const char *dir, const char *name, size_t n, unsigned seed)
{
    char *p = path_join(dir, name);
    char *buf = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (char)(seed >> 16);
    }
    assert_int_equal(write_file_atomic(p, buf, n, 0644), 0);
    free(buf);
    return p;
}

/* Counts entries and any leftover temporary files under dir. */
static void count_files(const char *dir, int *files, int *temps)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = path_join(dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            assert_int_equal(st.st_mode & 0777, 0700);
            count_files(p, files, temps);
        } else if (strstr(de->d_name, "tmp")) {
            (*temps)++;
        } else {
            assert_int_equal(st.st_mode & 0777, 0600);
            (*files)++;
        }
        free(p);
    }
    closedir(d);
}

static void test_put_get_round_trip(void **state)
{
    char *dir = test_tempdir("objcache");
    char *cache = path_join(dir, "cache");
    char *src = random_file(dir, "a.o", 10000, 7);
    char *dst = path_join(dir, "b.o");
    assert_int_equal(objcache_get(cache, key_of(1), dst), 0);   /* miss */
    assert_true(objcache_put(cache, key_of(1), src) > 0);
    assert_int_equal(objcache_get(cache, key_of(1), dst), 1);
    size_t la, lb;
    char *a = read_file(src, &la), *b = read_file(dst, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    int files = 0, temps = 0;
    count_files(cache, &files, &temps);
    assert_int_equal(files, 1);
    assert_int_equal(temps, 0);
    free(a);
    free(b);
    remove_tree(dir);
    free(dir);
    free(cache);
    free(src);
    free(dst);
}

static void test_corrupt_entry_is_a_miss(void **state)
{
    char *dir = test_tempdir("objcache");
    char *cache = path_join(dir, "cache");
    char *src = random_file(dir, "a.o", 5000, 3);
    char *dst = path_join(dir, "b.o");
    assert_true(objcache_put(cache, key_of(2), src) > 0);
    char hex[33];
    objcache_hex(key_of(2), hex);
    char *entry = xasprintf("%s/objects/%.2s/%s", cache, hex, hex + 2);
    assert_int_equal(write_file_atomic(entry, "not zstd", 8, 0600), 0);
    assert_int_equal(objcache_get(cache, key_of(2), dst), 0);
    assert_false(file_exists(entry));   /* dropped, so the next compile stores a good one */
    remove_tree(dir);
    free(entry);
    free(dir);
    free(cache);
    free(src);
    free(dst);
}

typedef struct hdr_truth {
    const char *path;
    XXH128_hash_t hash;
} hdr_truth;

static bool check_truth(void *ctx, const char *path, XXH128_hash_t expected)
{
    hdr_truth *t = ctx;
    for (; t->path; t++)
        if (!strcmp(t->path, path))
            return t->hash.low64 == expected.low64 && t->hash.high64 == expected.high64;
    return false;
}

static void test_manifest_selects_matching_header_set(void **state)
{
    char *dir = test_tempdir("objcache");
    XXH128_hash_t mkey = key_of(100);
    char *hdrs[] = {"include/x.h", "/usr/include/stdio.h"};
    XXH128_hash_t v1[] = {key_of(1), key_of(2)}, v2[] = {key_of(3), key_of(2)};
    XXH128_hash_t o1 = objcache_object_key(mkey, hdrs, v1, 2), o2 = objcache_object_key(mkey, hdrs, v2, 2);
    assert_false(o1.low64 == o2.low64 && o1.high64 == o2.high64);
    assert_true(objcache_manifest_add(dir, mkey, hdrs, v1, 2, o1) > 0);
    assert_true(objcache_manifest_add(dir, mkey, hdrs, v2, 2, o2) > 0);

    hdr_truth now_v1[] = {{"include/x.h", key_of(1)}, {"/usr/include/stdio.h", key_of(2)}, {NULL, {0, 0}}};
    hdr_truth now_v2[] = {{"include/x.h", key_of(3)}, {"/usr/include/stdio.h", key_of(2)}, {NULL, {0, 0}}};
    hdr_truth now_v3[] = {{"include/x.h", key_of(9)}, {"/usr/include/stdio.h", key_of(2)}, {NULL, {0, 0}}};
    XXH128_hash_t got;
    strvec h = {0};
    assert_int_equal(objcache_manifest_lookup(dir, mkey, check_truth, now_v1, &got, &h, NULL), 1);
    assert_true(got.low64 == o1.low64 && got.high64 == o1.high64);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.v[0], "include/x.h");
    strvec_free(&h);
    assert_int_equal(objcache_manifest_lookup(dir, mkey, check_truth, now_v2, &got, &h, NULL), 1);
    assert_true(got.low64 == o2.low64);
    strvec_free(&h);
    /* No set matches: the miss names the header of the newest set that differs. */
    objcache_miss miss;
    assert_int_equal(objcache_manifest_lookup(dir, mkey, check_truth, now_v3, &got, &h, &miss), 0);
    assert_int_equal(miss.kind, OBJCACHE_HEADERS_DIFFER);
    assert_string_equal(miss.header, "include/x.h");
    free(miss.header);
    assert_int_equal(objcache_manifest_lookup(dir, key_of(101), check_truth, now_v1, &got, &h, &miss), 0);
    assert_int_equal(miss.kind, OBJCACHE_NO_MANIFEST);
    assert_null(miss.header);
    assert_int_equal(objcache_manifest_lookup(dir, mkey, check_truth, now_v1, &got, &h, &miss), 1);
    assert_null(miss.header);
    strvec_free(&h);
    assert_int_equal(objcache_manifest_lookup(dir, key_of(101), check_truth, now_v1, &got, &h, NULL), 0);
    strvec_free(&h);
    remove_tree(dir);
    free(dir);
}

/* The per-source manifest: newest first, one entry per manifest key, at most
   OBJCACHE_SOURCE_KEEP; command blobs stored once; both count in the size. */
static void test_source_manifest_and_commands(void **state)
{
    char *dir = test_tempdir("objcache");
    XXH128_hash_t src = key_of(7);
    objcache_source_entry out[OBJCACHE_SOURCE_KEEP + 2];
    assert_int_equal(objcache_source_entries(dir, src, out, OBJCACHE_SOURCE_KEEP), 0);
    for (int i = 0; i < OBJCACHE_SOURCE_KEEP + 3; i++) {
        objcache_source_entry e = {key_of(100 + i), key_of(200 + i), key_of(300 + i), {0, 0}};
        assert_true(objcache_source_add(dir, src, &e) > 0);
    }
    objcache_source_entry again = {key_of(100 + OBJCACHE_SOURCE_KEEP), key_of(1), key_of(2), {0, 0}};
    assert_true(objcache_source_add(dir, src, &again) > 0);   /* replaces its older self, moves first */
    int n = objcache_source_entries(dir, src, out, OBJCACHE_SOURCE_KEEP + 2);
    assert_int_equal(n, OBJCACHE_SOURCE_KEEP);
    assert_true(out[0].manifest_key.low64 == again.manifest_key.low64 && out[0].command_id.low64 == key_of(1).low64);
    assert_true(out[1].manifest_key.low64 == key_of(100 + OBJCACHE_SOURCE_KEEP + 2).low64);
    for (int i = 1; i < n; i++)
        assert_false(out[i].manifest_key.low64 == again.manifest_key.low64);
    assert_int_equal(objcache_source_entries(dir, key_of(8), out, 4), 0);   /* another source */

    int64_t size_before = objcache_size(dir);
    assert_true(size_before > 0);
    assert_int_equal(objcache_command_put(dir, key_of(1), "cmd-bytes", 9), 9);
    assert_int_equal(objcache_command_put(dir, key_of(1), "cmd-bytes", 9), 0);   /* present: not rewritten */
    size_t len = 0;
    char *blob = objcache_command_get(dir, key_of(1), &len);
    assert_non_null(blob);
    assert_int_equal(len, 9);
    assert_memory_equal(blob, "cmd-bytes", 9);
    free(blob);
    assert_null(objcache_command_get(dir, key_of(2), &len));
    assert_int_equal(objcache_size(dir), size_before + 9);
    assert_true(objcache_evict(dir, 0, NULL) > 0);   /* eviction covers them too */
    assert_int_equal(objcache_size(dir), 0);
    assert_int_equal(objcache_source_entries(dir, src, out, 4), 0);
    remove_tree(dir);
    free(dir);
}

static void set_mtime(const char *cache, XXH128_hash_t key, time_t when)
{
    char hex[33];
    objcache_hex(key, hex);
    char *entry = xasprintf("%s/objects/%.2s/%s", cache, hex, hex + 2);
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    assert_int_equal(utimensat(AT_FDCWD, entry, ts, 0), 0);
    free(entry);
}

static bool present(const char *cache, XXH128_hash_t key)
{
    char hex[33];
    objcache_hex(key, hex);
    char *entry = xasprintf("%s/objects/%.2s/%s", cache, hex, hex + 2);
    bool ok = file_exists(entry);
    free(entry);
    return ok;
}

static void test_eviction_is_lru_to_size(void **state)
{
    char *dir = test_tempdir("objcache");
    char *cache = path_join(dir, "cache");
    time_t base = time(NULL) - 10000;
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d.o", i);
        char *src = random_file(dir, name, 4000, (unsigned)i + 1);
        assert_true(objcache_put(cache, key_of(i), src) > 0);
        set_mtime(cache, key_of(i), base + i * 10);   /* entry 0 oldest */
        free(src);
    }
    int64_t total = objcache_size(cache);
    assert_true(total >= 40000);
    /* A hit makes entry 0 the youngest. */
    char *dst = path_join(dir, "out.o");
    assert_int_equal(objcache_get(cache, key_of(0), dst), 1);

    int64_t removed = objcache_evict(cache, total / 2, NULL);
    assert_true(removed > 0);
    assert_true(objcache_size(cache) <= total / 2);
    assert_int_equal(objcache_size(cache), total - removed);
    assert_true(present(cache, key_of(0)));    /* recently used survives */
    assert_false(present(cache, key_of(1)));   /* oldest go first */
    assert_false(present(cache, key_of(2)));
    assert_true(present(cache, key_of(9)));
    assert_int_equal(objcache_evict(cache, total, NULL), 0);   /* already small enough */
    assert_true(objcache_evict(cache, 0, NULL) > 0);
    assert_int_equal(objcache_size(cache), 0);
    remove_tree(dir);
    free(dst);
    free(cache);
    free(dir);
}

/* A write killed halfway leaves its temporary file: the next eviction pass
   (the build daemon runs one at start) removes it when its writer is gone, and
   leaves a live writer's alone. */
static void test_killed_write_tmp_is_cleaned(void **state)
{
    char *dir = test_tempdir("objcache");
    char *cache = path_join(dir, "cache");
    char *src = random_file(dir, "a.o", 4000, 7);
    assert_true(objcache_put(cache, key_of(1), src) > 0);
    char hex[33];
    objcache_hex(key_of(1), hex);
    /* pid 2^22 + 1 is past Linux's largest pid: no such process. */
    char *dead = xasprintf("%s/objects/%.2s/.%s.4194305.3.tmp", cache, hex, hex + 2);
    char *live = xasprintf("%s/objects/%.2s/.%s.%d.4.tmp", cache, hex, hex + 2, (int)getpid());
    assert_int_equal(write_file_atomic(dead, "half", 4, 0644), 0);
    assert_int_equal(write_file_atomic(live, "half", 4, 0644), 0);
    assert_int_equal(objcache_evict(cache, INT64_MAX, NULL), 0);
    assert_false(file_exists(dead));
    assert_true(file_exists(live));
    assert_true(present(cache, key_of(1)));
    remove_tree(dir);
    free(dead);
    free(live);
    free(src);
    free(cache);
    free(dir);
}

static int64_t entry_mtime(const char *cache, XXH128_hash_t key)
{
    char hex[33];
    objcache_hex(key, hex);
    char *entry = xasprintf("%s/objects/%.2s/%s", cache, hex, hex + 2);
    struct stat st;
    assert_int_equal(stat(entry, &st), 0);
    free(entry);
    return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* A hit refreshes the LRU clock only of entries older than
   OBJCACHE_TOUCH_AFTER_S; get_stat reports the restored file's stat. */
static void test_touch_rule_and_get_stat(void **state)
{
    char *dir = test_tempdir("objcache");
    char *cache = path_join(dir, "cache");
    char *src = random_file(dir, "a.o", 5000, 3);
    assert_true(objcache_put(cache, key_of(1), src) > 0);
    time_t young = time(NULL) - OBJCACHE_TOUCH_AFTER_S / 2, old = time(NULL) - OBJCACHE_TOUCH_AFTER_S - 60;
    set_mtime(cache, key_of(1), young);
    char *dst = path_join(dir, "sub/b.o");   /* objcache_get makes the folder */
    assert_int_equal(objcache_get(cache, key_of(1), dst), 1);
    assert_int_equal(entry_mtime(cache, key_of(1)), (int64_t)young * 1000000000);
    set_mtime(cache, key_of(1), old);
    int64_t size = 0, mtime = 0;
    assert_int_equal(objcache_get_stat(cache, key_of(1), dst, true, &size, &mtime), 1);
    assert_true(entry_mtime(cache, key_of(1)) > (int64_t)young * 1000000000);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(size, 5000);
    assert_int_equal(st.st_size, 5000);
    assert_int_equal(mtime, (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* A missing destination folder is an error of get_stat, not a miss. */
    char *nodir = path_join(dir, "nowhere/c.o");
    assert_int_equal(objcache_get_stat(cache, key_of(1), nodir, false, NULL, NULL), -ENOENT);
    int files = 0, temps = 0;
    count_files(cache, &files, &temps);
    assert_int_equal(temps, 0);
    remove_tree(dir);
    free(nodir);
    free(dst);
    free(src);
    free(cache);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_round_trip),
        cmocka_unit_test(test_corrupt_entry_is_a_miss),
        cmocka_unit_test(test_manifest_selects_matching_header_set),
        cmocka_unit_test(test_source_manifest_and_commands),
        cmocka_unit_test(test_eviction_is_lru_to_size),
        cmocka_unit_test(test_killed_write_tmp_is_cleaned),
        cmocka_unit_test(test_touch_rule_and_get_stat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
