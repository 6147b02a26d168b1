/* features.h - a header with what bindings find hard: a callback type, a variadic function, an anonymous enum, nested structs. */
#ifndef FEATURES_H
#define FEATURES_H

#include <stddef.h>
#include <stdint.h>

enum { FEAT_SMALL = 1, FEAT_LARGE = 1000, FEAT_NEGATIVE = -5 };

typedef enum feat_color { FEAT_RED, FEAT_GREEN = 4, FEAT_BLUE } feat_color;

#define FEAT_LIMIT 64
#define FEAT_NAME "features"

/* A callback: applied to every value. */
typedef double (*feat_map_fn)(double value, void *user);

typedef struct feat_shape {
    int kind;
    struct {            /* a nested anonymous struct, as a named member */
        double x, y;
    } origin;
    struct feat_size {  /* a nested tagged struct */
        uint32_t w, h;
    } size;
    union {             /* an anonymous member union */
        int32_t as_int;
        float as_float;
    };
    char label[8];
} feat_shape;

/** Applies fn to each of the n values in place and returns their sum. */
double feat_map(double *values, size_t n, feat_map_fn fn, void *user);
/* Sums count ints given after count. */
int feat_sum(int count, ...);
feat_color feat_next_color(feat_color c);
/* Area of the shape's size; kind and label are copied out. */
uint64_t feat_area(const feat_shape *shape);
void feat_make(feat_shape *out, int kind, const char *label);
/* Counts bytes equal to b in n bytes of data. */
size_t feat_count_bytes(const uint8_t *data, size_t n, uint8_t b);
/* Not in the library: a declaration without a definition gets no wrapper. */
int feat_not_exported(void);

#endif
