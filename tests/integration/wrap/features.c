/* features.c - the library of features.h for tests/integration/test_wrap.sh. */
#include "features.h"

#include <stdarg.h>
#include <string.h>

double feat_map(double *values, size_t n, feat_map_fn fn, void *user)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        values[i] = fn(values[i], user);
        sum += values[i];
    }
    return sum;
}

int feat_sum(int count, ...)
{
    va_list ap;
    va_start(ap, count);
    int sum = 0;
    for (int i = 0; i < count; i++)
        sum += va_arg(ap, int);
    va_end(ap);
    return sum;
}

feat_color feat_next_color(feat_color c) { return c == FEAT_RED ? FEAT_GREEN : c == FEAT_GREEN ? FEAT_BLUE : FEAT_RED; }

uint64_t feat_area(const feat_shape *shape) { return (uint64_t)shape->size.w * shape->size.h; }

void feat_make(feat_shape *out, int kind, const char *label)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->origin.x = 1.5;
    out->origin.y = -2.5;
    out->size.w = 3;
    out->size.h = 7;
    out->as_float = 0.5f;
    strncpy(out->label, label, sizeof out->label - 1);
}

size_t feat_count_bytes(const uint8_t *data, size_t n, uint8_t b)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += data[i] == b;
    return c;
}

int feat_internal_helper(void) __attribute__((visibility("hidden")));
int feat_internal_helper(void) { return 42; }
