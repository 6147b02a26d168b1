/* diag.h - located problems (FILE:LINE:COL: message) collected while reading user input. */
#ifndef JMAKE_DIAG_H
#define JMAKE_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef enum { DIAG_ERROR, DIAG_WARNING } diag_severity;

typedef struct diag_item {
    diag_severity severity;
    char *file;      /* owned; may be NULL */
    int line, column; /* 1-based; 0 when unknown */
    char *message;   /* owned */
} diag_item;

typedef struct diag_list {
    diag_item *items;
    size_t count, cap;
    size_t errors, warnings;
} diag_list;

void diag_add(diag_list *list, diag_severity severity, const char *file, int line, int column,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* One line per item: "FILE:LINE:COL: error: message" (parts left out when unknown). */
void diag_print(const diag_list *list, FILE *out);
char *diag_format(const diag_item *item);  /* caller frees */
void diag_free(diag_list *list);

#endif
