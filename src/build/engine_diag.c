/* engine_diag.c - the job log (commands and tool output) and compiler diagnostics of one build, each reported once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccdiag.h"
#include "engine_internal.h"

void eng_log_text(build *b, const char *text, size_t len)
{
    if (b->log_fd < 0 || !len)
        return;
    while (len) {
        ssize_t n = write(b->log_fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

void eng_log_command(build *b, char *const *argv)
{
    if (b->log_fd < 0)
        return;
    size_t len = 2;
    for (size_t i = 0; argv[i]; i++)
        len += strlen(argv[i]) + 1;
    char *line = xmalloc(len + 2);
    size_t o = 0;
    line[o++] = '$';
    for (size_t i = 0; argv[i]; i++) {
        line[o++] = ' ';
        size_t l = strlen(argv[i]);
        memcpy(line + o, argv[i], l);
        o += l;
    }
    line[o++] = '\n';
    eng_log_text(b, line, o);
    free(line);
}

void eng_add_diag(build *b, const char *file, int line, int col, bool error, const char *msg, size_t msglen)
{
    char *m = xstrndup(msg, msglen);
    char *key = xasprintf("%s\x1f%d\x1f%d\x1f%d\x1f%s", file ? file : "", line, col, error, m);
    if (hashmap_get(&b->diag_seen, key)) {   /* the same header warning from many units counts once */
        free(key);
        free(m);
        return;
    }
    hashmap_put(&b->diag_seen, key, (void *)1);
    free(key);
    cJSON *it = cJSON_CreateObject();
    if (file)
        cJSON_AddStringToObject(it, "file", file);
    else
        cJSON_AddNullToObject(it, "file");
    cJSON_AddNumberToObject(it, "line", line);
    cJSON_AddNumberToObject(it, "column", col);
    cJSON_AddStringToObject(it, "severity", error ? "error" : "warning");
    cJSON_AddStringToObject(it, "message", m);
    cJSON_AddItemToArray(b->diag_items, it);
    if (error)
        b->errors++;
    else
        b->warnings++;
    free(m);
}

typedef struct diag_ctx {
    build *b;
    const char *fallback_file;
} diag_ctx;

static void on_diag(void *ctx, const ccdiag *d)
{
    diag_ctx *c = ctx;
    char *file = d->file ? xstrndup(d->file, d->file_len) : NULL;
    eng_add_diag(c->b, file ? file : c->fallback_file, d->line, d->column, d->error, d->message, d->message_len);
    free(file);
}

/* Diagnostics of one tool's output; tool-level lines ("cc1: error: ...")
   are attached to fallback_file. Returns the number of errors. */
size_t eng_parse_diagnostics(build *b, const char *out, size_t len, const char *fallback_file)
{
    diag_ctx c = {b, fallback_file};
    return ccdiag_parse(out, len, on_diag, &c);
}
