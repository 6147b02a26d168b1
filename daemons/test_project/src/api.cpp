// api.cpp - the extern "C" entry points of mathlib_api.h over the C++ classes.
#include "mathlib_api.h"

#include "checks.hpp"
#include "mathlib/matrix.hpp"
#include "mathlib/statistics.hpp"
#include "mathlib/vector.hpp"

#include <cmath>
#include <cstring>
#include <string>

// The build passes MATHLIB_VERSION either bare (-DMATHLIB_VERSION=1.0.0) or as
// a string literal; stringifying covers both, and quotes are stripped below.
#define MATHLIB_STR2(x) #x
#define MATHLIB_STR(x) MATHLIB_STR2(x)
#ifndef MATHLIB_VERSION
#define MATHLIB_VERSION unknown
#endif

using mathlib::Matrix;
using mathlib::Vector;

extern "C" {

const char *mathlib_version(void)
{
    static const std::string version = [] {
        std::string s = MATHLIB_STR(MATHLIB_VERSION);
        if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
            s = s.substr(1, s.size() - 2);
        return s;
    }();
    return version.c_str();
}

int mathlib_add_ints(int a, int b) { return a + b; }

double mathlib_dot(const double *a, const double *b, size_t n)
{
    if (!a || !b)
        return NAN;
    return Vector(a, n).dot(Vector(b, n));
}

double mathlib_norm(const double *a, size_t n)
{
    if (!a)
        return NAN;
    return Vector(a, n).norm();
}

int mathlib_vec_add(const double *a, const double *b, double *out, size_t n)
{
    if (!mathlib::detail::all_non_null(a, b, out))
        return -1;
    Vector sum = Vector(a, n) + Vector(b, n);
    for (size_t i = 0; i < n; i++)
        out[i] = sum[i];
    return 0;
}

int mathlib_mat_mul(const double *a, const double *b, double *out, size_t rows, size_t inner, size_t cols)
{
    if (!mathlib::detail::all_non_null(a, b, out) || rows == 0 || inner == 0 || cols == 0)
        return -1;
    Matrix product = Matrix(a, rows, inner) * Matrix(b, inner, cols);
    std::memcpy(out, product.data(), rows * cols * sizeof(double));
    return 0;
}

double mathlib_mean(const double *x, size_t n) { return x ? mathlib::mean(Vector(x, n)) : NAN; }
double mathlib_variance(const double *x, size_t n) { return x ? mathlib::variance(Vector(x, n)) : NAN; }
double mathlib_median(const double *x, size_t n) { return x ? mathlib::median(Vector(x, n)) : NAN; }

double mathlib_point_distance(mathlib_point a, mathlib_point b) { return std::hypot(a.x - b.x, a.y - b.y); }

mathlib_point mathlib_point_midpoint(mathlib_point a, mathlib_point b)
{
    return mathlib_point{(a.x + b.x) / 2.0, (a.y + b.y) / 2.0};
}

void mathlib_point_scale(mathlib_point *p, double factor)
{
    if (!p)
        return;
    p->x *= factor;
    p->y *= factor;
}

int mathlib_describe(const double *x, size_t n, char *buf, size_t bufsize)
{
    if (!x)
        return -1;
    std::string text = mathlib::describe(Vector(x, n));
    if (buf && bufsize > 0) {
        size_t copy = text.size() < bufsize - 1 ? text.size() : bufsize - 1;
        std::memcpy(buf, text.data(), copy);
        buf[copy] = '\0';
    }
    return static_cast<int>(text.size());
}

size_t mathlib_word_count(const char *text)
{
    size_t words = 0;
    bool in_word = false;
    for (const char *p = text ? text : ""; *p; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n';
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

} // extern "C"
