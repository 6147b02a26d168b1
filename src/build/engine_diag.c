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

/* The command as one line a POSIX shell reads back as the same argv: an
   argument with anything but [A-Za-z0-9_@%+=:,./-] in it (or empty) goes in
   single quotes, a quote inside as '\''. So -DV="3.5.5" pastes as '-DV="3.5.5"'. */
void eng_log_command(build *b, char *const *argv)
{
    if (b->log_fd < 0)
        return;
    bytebuf line = {0};
    bytebuf_put(&line, "$", 1);
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        bytebuf_put(&line, " ", 1);
        bool plain = a[0] != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("_@%+=:,./-", *p);
        if (plain) {
            bytebuf_put(&line, a, strlen(a));
            continue;
        }
        bytebuf_put(&line, "'", 1);
        for (const char *p = a; *p; p++) {
            if (*p == '\'')
                bytebuf_put(&line, "'\\''", 4);
            else
                bytebuf_put(&line, p, 1);
        }
        bytebuf_put(&line, "'", 1);
    }
    bytebuf_put(&line, "\n", 1);
    eng_log_text(b, (const char *)line.p, line.len);
    free(line.p);
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
