/* check_library.c - loads a built libmathlib.so with dlopen() and checks every API function's results. */
/* Not part of the library: build with `cc check_library.c -ldl -o check` and
 * run `./check path/to/libmathlib.so`. Expected values are chosen to be exact
 * in binary floating point, so every comparison is ==. */
#include "include/mathlib_api.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAILED: %s\n", what);
    }
}

/* Looks a symbol up with the type of its declaration in mathlib_api.h, so a
 * signature change in the header breaks this file's build, not silently its run. */
#define LOAD(handle, name)                                                                         \
    __typeof__(&name) p_##name = (__typeof__(&name))dlsym(handle, #name);                          \
    if (!p_##name) {                                                                                \
        fprintf(stderr, "missing symbol %s\n", #name);                                             \
        return 1;                                                                                   \
    }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s path/to/libmathlib.so\n", argv[0]);
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    LOAD(h, mathlib_version);
    LOAD(h, mathlib_add_ints);
    LOAD(h, mathlib_dot);
    LOAD(h, mathlib_norm);
    LOAD(h, mathlib_vec_add);
    LOAD(h, mathlib_mat_mul);
    LOAD(h, mathlib_mean);
    LOAD(h, mathlib_variance);
    LOAD(h, mathlib_median);
    LOAD(h, mathlib_point_distance);
    LOAD(h, mathlib_point_midpoint);
    LOAD(h, mathlib_point_scale);
    LOAD(h, mathlib_describe);
    LOAD(h, mathlib_word_count);

    check(strcmp(p_mathlib_version(), "1.0.0") == 0, "version is 1.0.0 (MATHLIB_VERSION define)");
    check(p_mathlib_add_ints(2, 40) == 42, "add_ints(2, 40) == 42");
    check(p_mathlib_add_ints(-7, 3) == -4, "add_ints(-7, 3) == -4");

    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    check(p_mathlib_dot(a, b, 3) == 32.0, "dot([1,2,3],[4,5,6]) == 32");
    const double v34[] = {3, 4};
    check(p_mathlib_norm(v34, 2) == 5.0, "norm([3,4]) == 5");
    double sum[3] = {0};
    check(p_mathlib_vec_add(a, b, sum, 3) == 0 && sum[0] == 5 && sum[1] == 7 && sum[2] == 9,
          "vec_add == [5,7,9]");
    check(p_mathlib_vec_add(a, NULL, sum, 3) == -1, "vec_add with NULL fails");

    const double m1[] = {1, 2, 3, 4, 5, 6};       /* 2x3 */
    const double m2[] = {7, 8, 9, 10, 11, 12};    /* 3x2 */
    double prod[4] = {0};
    check(p_mathlib_mat_mul(m1, m2, prod, 2, 3, 2) == 0 && prod[0] == 58 && prod[1] == 64 && prod[2] == 139 &&
              prod[3] == 154,
          "mat_mul == [[58,64],[139,154]]");
    check(p_mathlib_mat_mul(m1, m2, prod, 0, 3, 2) == -1, "mat_mul with 0 rows fails");

    const double xs[] = {4, 1, 3, 2};
    check(p_mathlib_mean(xs, 4) == 2.5, "mean([4,1,3,2]) == 2.5");
    check(p_mathlib_variance(xs, 4) == 5.0 / 3.0, "variance([4,1,3,2]) == 5/3");
    check(p_mathlib_median(xs, 4) == 2.5, "median([4,1,3,2]) == 2.5");
    const double odd[] = {5, 1, 3};
    check(p_mathlib_median(odd, 3) == 3.0, "median([5,1,3]) == 3");
    check(xs[0] == 4 && xs[3] == 2, "median leaves its input alone");

    mathlib_point o = {0, 0}, p = {3, 4};
    check(p_mathlib_point_distance(o, p) == 5.0, "distance((0,0),(3,4)) == 5");
    mathlib_point mid = p_mathlib_point_midpoint((mathlib_point){1, 2}, (mathlib_point){3, 6});
    check(mid.x == 2.0 && mid.y == 4.0, "midpoint((1,2),(3,6)) == (2,4)");
    mathlib_point s = {1.5, -2};
    p_mathlib_point_scale(&s, 2.0);
    check(s.x == 3.0 && s.y == -4.0, "scale((1.5,-2), 2) == (3,-4)");

    char buf[64];
    int need = p_mathlib_describe(xs, 4, buf, sizeof buf);
    check(strcmp(buf, "n=4 mean=2.5 var=1.66667") == 0, "describe text");
    check(need == (int)strlen("n=4 mean=2.5 var=1.66667"), "describe returns the full length");
    char small[8];
    need = p_mathlib_describe(xs, 4, small, sizeof small);
    check(strcmp(small, "n=4 mea") == 0 && need == 24, "describe truncates like snprintf");
    check(p_mathlib_word_count("the quick  brown fox") == 4, "word_count == 4");
    check(p_mathlib_word_count("") == 0, "word_count of empty == 0");

    dlclose(h);
    if (failed) {
        fprintf(stderr, "%d of %d checks failed\n", failed, passed + failed);
        return 1;
    }
    printf("%d checks passed\n", passed);
    return 0;
}
