/* ccdiag.h - parser for compiler and linker text output: "file:line:col: error|warning: message" lines. */
#ifndef JMAKE_CCDIAG_H
#define JMAKE_CCDIAG_H

#include <stdbool.h>
#include <stddef.h>

/* One diagnostic; the pointers point into the parsed text (not NUL-terminated). */
typedef struct ccdiag {
    const char *file;       /* NULL for tool-level lines ("cc1: error: ...", "clang: error: ...") */
    size_t file_len;
    int line, column;       /* 0 when not given */
    bool error;             /* error or fatal error; false: warning */
    const char *message;
    size_t message_len;
} ccdiag;

typedef void (*ccdiag_fn)(void *ctx, const ccdiag *d);

/* Calls fn for every error/warning line of gcc, clang or GNU ld text output
 * (notes and "In file included from" context are skipped; "undefined
 * reference to" lines become errors of the object named first). Returns the
 * number of errors. */
size_t ccdiag_parse(const char *text, size_t len, ccdiag_fn fn, void *ctx);

#endif
