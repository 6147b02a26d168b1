/* test_elfsyms.c - the ELF reader: kinds and exported symbols of real objects, archives and shared libraries, from a path and from memory alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsyms.h"
#include "testutil.h"
#include "util.h"

static char *dir;

static int build_binaries(void **state)
{
    dir = test_tempdir("elfsyms");
    free(test_write_text(dir, "a.c",
                         "int exported_fn(int x) { return x + 1; }\n"
                         "int exported_var = 3;\n"
                         "__attribute__((weak)) int weak_fn(void) { return 0; }\n"
                         "static int local_fn(void) { return 2; }\n"
                         "__attribute__((visibility(\"hidden\"))) int hidden_fn(void) { return local_fn(); }\n"));
    free(test_write_text(dir, "b.c", "extern int exported_var;\nint other_fn(void) { return exported_var; }\n"));
    char *cmd = xasprintf("cd '%s' && cc -fPIC -c a.c b.c && ar rcs liba.a a.o b.o && cc -shared -o liba.so a.o"
                          " && printf 'not a binary' > text.txt",
                          dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

static int remove_binaries(void **state)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    free(cmd);
    free(dir);
    return rc == 0 ? 0 : -1;
}

static char *names(const strvec *v)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < v->n; i++) {
        char *next = xasprintf("%s%s%s", out, i ? " " : "", v->v[i]);
        free(out);
        out = next;
    }
    return out;
}

/* Symbols of dir/name read from the path; checks that reading a private
 * copy of the file gives the same list and the same kind. Caller frees. */
static char *symbols(const char *name, bool dynamic, elfsyms_kind want_kind)
{
    char *path = path_join(dir, name);
    elfsyms_info by_path, by_memory;
    assert_int_equal(elfsyms_classify(path, &by_path), want_kind);
    size_t len = 0;
    char *image = read_file(path, &len);
    assert_non_null(image);
    assert_int_equal(elfsyms_classify_memory(image, len, &by_memory), want_kind);
    assert_int_equal(by_memory.bits, by_path.bits);
    assert_int_equal(by_memory.size, by_path.size);
    assert_int_equal(by_memory.has_interp, by_path.has_interp);
    assert_true(by_memory.machine == by_path.machine);

    strvec a = {0}, b = {0};
    int rc = elfsyms_read(path, dynamic, &a);
    assert_int_equal(elfsyms_read_memory(image, len, dynamic, &b), rc);
    char *sa = names(&a), *sb = names(&b);
    assert_string_equal(sa, sb);
    free(sb);
    strvec_free(&a);
    strvec_free(&b);
    free(image);
    free(path);
    return sa;
}

static void test_object(void **state)
{
    char *s = symbols("a.o", false, ELFSYMS_OBJECT);
    /* Hidden and static symbols are not part of the interface. */
    assert_string_equal(s, "exported_fn exported_var weak_fn");
    free(s);
}

static void test_archive_members(void **state)
{
    char *s = symbols("liba.a", false, ELFSYMS_ARCHIVE);
    assert_string_equal(s, "exported_fn exported_var other_fn weak_fn");
    free(s);
}

static void test_shared_library_dynsym(void **state)
{
    char *s = symbols("liba.so", true, ELFSYMS_DYN);
    assert_string_equal(s, "exported_fn exported_var weak_fn");
    free(s);
    elfsyms_info info;
    char *path = path_join(dir, "liba.so");
    elfsyms_classify(path, &info);
    assert_false(info.has_interp);
    assert_int_equal(info.bits, 64);
    free(path);
}

static void test_not_binary(void **state)
{
    char *s = symbols("text.txt", false, ELFSYMS_NOT_BINARY);
    assert_string_equal(s, "");
    free(s);
    elfsyms_info info;
    char empty[1] = {0};
    assert_int_equal(elfsyms_classify_memory(empty, 0, &info), ELFSYMS_NOT_BINARY);
    assert_int_equal(info.size, 0);
    strvec v = {0};
    assert_int_equal(elfsyms_read_memory(empty, 0, false, &v), -1);
    assert_int_equal(v.n, 0);
    char *missing = path_join(dir, "missing.o");
    assert_int_equal(elfsyms_classify(missing, &info), ELFSYMS_NOT_BINARY);
    assert_int_equal(elfsyms_read(missing, false, &v), -1);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_archive_members),
        cmocka_unit_test(test_shared_library_dynsym),
        cmocka_unit_test(test_not_binary),
    };
    return cmocka_run_group_tests(tests, build_binaries, remove_binaries);
}
