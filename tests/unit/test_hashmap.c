/* test_hashmap.c - the string-keyed hash map: put/get/replace/remove, growth, iteration over live entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

static void test_basic_operations(void **state)
{
    hashmap m;
    hashmap_init(&m);
    assert_null(hashmap_get(&m, "x"));
    assert_null(hashmap_remove(&m, "x"));
    int a = 1, b = 2;
    assert_null(hashmap_put(&m, "a", &a));
    assert_ptr_equal(hashmap_put(&m, "a", &b), &a);   /* replace returns the old value */
    assert_ptr_equal(hashmap_get(&m, "a"), &b);
    assert_int_equal(m.count, 1);
    assert_ptr_equal(hashmap_remove(&m, "a"), &b);
    assert_null(hashmap_get(&m, "a"));
    assert_int_equal(m.count, 0);
    hashmap_free(&m);
}

static void test_growth_and_tombstones(void **state)
{
    hashmap m;
    hashmap_init(&m);
    char key[32];
    for (intptr_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof key, "src/d%ld/f%ld.c", (long)(i % 97), (long)i);
        hashmap_put(&m, key, (void *)i);
    }
    assert_int_equal(m.count, 20000);
    /* Remove every odd entry, then check the chains still find the rest. */
    for (intptr_t i = 1; i <= 20000; i += 2) {
        snprintf(key, sizeof key, "src/d%ld/f%ld.c", (long)(i % 97), (long)i);
        assert_int_equal((intptr_t)hashmap_remove(&m, key), i);
    }
    for (intptr_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof key, "src/d%ld/f%ld.c", (long)(i % 97), (long)i);
        void *v = hashmap_get(&m, key);
        if (i % 2)
            assert_null(v);
        else
            assert_int_equal((intptr_t)v, i);
    }
    /* Churn: many insert/remove cycles must not grow the table without bound. */
    size_t cap = m.cap;
    for (int round = 0; round < 50000; round++) {
        snprintf(key, sizeof key, "tmp%d", round);
        hashmap_put(&m, key, (void *)1);
        hashmap_remove(&m, key);
    }
    assert_true(m.cap <= cap * 2);
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;
    while (hashmap_next(&m, &pos, &k, &v)) {
        assert_int_equal((intptr_t)v % 2, 0);
        seen++;
    }
    assert_int_equal(seen, 10000);
    hashmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_operations),
        cmocka_unit_test(test_growth_and_tombstones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
