/* diag.c - located problems (FILE:LINE:COL: message) collected while reading user input. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util.h"

void diag_add(diag_list *list, diag_severity severity, const char *file, int line, int column,
              const char *fmt, ...)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = xrealloc(list->items, list->cap * sizeof(diag_item));
    }
    va_list ap;
    va_start(ap, fmt);
    char *message = NULL;
    if (vasprintf(&message, fmt, ap) < 0)
        message = xstrdup(fmt);
    va_end(ap);
    diag_item *item = &list->items[list->count++];
    item->severity = severity;
    item->file = file ? xstrdup(file) : NULL;
    item->line = line;
    item->column = column;
    item->message = message;
    if (severity == DIAG_ERROR)
        list->errors++;
    else
        list->warnings++;
}

char *diag_format(const diag_item *item)
{
    const char *sev = item->severity == DIAG_ERROR ? "error" : "warning";
    if (item->file && item->line > 0 && item->column > 0)
        return xasprintf("%s:%d:%d: %s: %s", item->file, item->line, item->column, sev, item->message);
    if (item->file && item->line > 0)
        return xasprintf("%s:%d: %s: %s", item->file, item->line, sev, item->message);
    if (item->file)
        return xasprintf("%s: %s: %s", item->file, sev, item->message);
    return xasprintf("%s: %s", sev, item->message);
}

void diag_print(const diag_list *list, FILE *out)
{
    for (size_t i = 0; i < list->count; i++) {
        char *line = diag_format(&list->items[i]);
        fprintf(out, "%s\n", line);
        free(line);
    }
}

void diag_free(diag_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].file);
        free(list->items[i].message);
    }
    free(list->items);
    list->items = NULL;
    list->count = list->cap = list->errors = list->warnings = 0;
}
