/* mathlib_api.h - the C ABI of mathlib: what bindings and dlopen() callers see. */
#ifndef MATHLIB_API_H
#define MATHLIB_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A point in the plane; passed by value and by pointer to exercise both ABIs. */
typedef struct mathlib_point {
    double x;
    double y;
} mathlib_point;

/* Version from the MATHLIB_VERSION define ("1.0.0"); static storage, do not free. */
const char *mathlib_version(void);

int mathlib_add_ints(int a, int b);

/* Vectors: arrays of n doubles owned by the caller. */
double mathlib_dot(const double *a, const double *b, size_t n);
double mathlib_norm(const double *a, size_t n);
/* out[i] = a[i] + b[i]; returns 0, or -1 when a pointer is NULL. */
int mathlib_vec_add(const double *a, const double *b, double *out, size_t n);

/* Row-major matrices: out (rows x cols) = a (rows x inner) * b (inner x cols).
 * Returns 0, or -1 when a pointer is NULL or a size is 0. */
int mathlib_mat_mul(const double *a, const double *b, double *out, size_t rows, size_t inner, size_t cols);

/* Statistics over n values; NaN when n is too small. */
double mathlib_mean(const double *x, size_t n);
double mathlib_variance(const double *x, size_t n); /* sample variance (n - 1) */
double mathlib_median(const double *x, size_t n);   /* x is not modified */

/* Points. */
double mathlib_point_distance(mathlib_point a, mathlib_point b);
mathlib_point mathlib_point_midpoint(mathlib_point a, mathlib_point b);
void mathlib_point_scale(mathlib_point *p, double factor);

/* Strings. mathlib_describe writes "n=N mean=M var=V" into buf (snprintf
 * rules: always NUL-terminated, truncated to bufsize) and returns the length
 * the full text needs. mathlib_word_count counts space-separated words. */
int mathlib_describe(const double *x, size_t n, char *buf, size_t bufsize);
size_t mathlib_word_count(const char *text);

#ifdef __cplusplus
}
#endif

#endif
