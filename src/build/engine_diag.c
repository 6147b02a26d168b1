/* engine_diag.c - the job log (commands and tool output) and compiler diagnostics of one build, each reported once. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccdiag.h"
#include "engine_internal.h"

void eng_log_text(build *b, const char *text, size_t len)
{
    if (b->log_fd < 0 || !len)
        return;
    /* A tool's output without a last line break still ends its line in the log. */
    int rc = write_all(b->log_fd, text, len);
    if (rc == 0 && text[len - 1] != '\n')
        rc = write_all(b->log_fd, "\n", 1);
    if (rc < 0)
        eng_store_failed(b, ENG_STORE_LOG, "job log %s incomplete: %s", b->job->log_path, strerror(-rc));
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

/* The one place a diagnostic enters the result; the same header warning
   from many units counts once. Takes ownership of d's strings. */
static void add_item(build *b, ccdiag *d)
{
    char *key = xasprintf("%s\x1f%d\x1f%d\x1f%d\x1f%s", d->file ? d->file : "", d->line, d->column,
                          d->severity == CCDIAG_ERROR, d->message);
    if (hashmap_get(&b->diag_seen, key)) {
        free(key);
        ccdiag_free(d);
        return;
    }
    hashmap_put(&b->diag_seen, key, (void *)1);
    free(key);
    cJSON_AddItemToArray(b->diag_items, ccdiag_to_json(d));
    if (d->severity == CCDIAG_ERROR)
        b->errors++;
    else
        b->warnings++;
    ccdiag_free(d);
}

void eng_add_diag(build *b, const char *file, int line, int col, bool error, const char *msg, size_t msglen)
{
    ccdiag d = {.file = file ? xstrdup(file) : NULL, .line = line, .column = col,
                .severity = error ? CCDIAG_ERROR : CCDIAG_WARNING, .message = xstrndup(msg, msglen)};
    add_item(b, &d);
}

/* The unit whose object the linker names ("build/obj/src/a.c.o", or the
   member of an archive "lib.a(a.c.o)"), or NULL. */
static const unit *unit_of_object(const build *b, const char *object)
{
    const char *paren = strchr(object, '(');
    size_t n = strlen(object);
    if (paren && n > 2 && object[n - 1] == ')')
        return NULL;   /* an archive's member: not one of ours */
    for (size_t i = 0; i < b->nunits; i++)
        if (strcmp(b->units[i].obj_rel, object) == 0 || strcmp(b->units[i].obj_abs, object) == 0)
            return &b->units[i];
    return NULL;
}

/* A linker diagnostic located in the project: the source of the object it
   names (relative to the root), and its line from the debug information or
   else from a search of that source. */
static void locate_link_diag(build *b, ccdiag *d, const char *fallback_file)
{
    const unit *u = d->object ? unit_of_object(b, d->object) : NULL;
    char *file = NULL;
    if (u) {
        file = xstrdup(u->rel);
        if (d->file) {   /* ld's own name for it agrees: keep its line */
            char *abs = path_absolute(b->P.root, d->file);
            char *rel = path_relative(b->P.root, abs);
            if (strcmp(rel, u->rel) != 0)
                d->line = 0;
            free(abs);
            free(rel);
        }
    } else if (d->file) {
        char *abs = path_absolute(b->P.root, d->file);
        file = path_relative(b->P.root, abs);
        free(abs);
    }
    free(d->file);
    d->file = file ? file : xstrdup(fallback_file);
    if (file && d->line == 0) {
        char *abs = path_absolute(b->P.root, file);
        d->line = ccdiag_symbol_line(abs, d);
        free(abs);
    }
}

/* Diagnostics of one tool's output; tool-level lines ("cc1: error: ...")
   are attached to fallback_file. Returns the number of errors. */
size_t eng_parse_diagnostics(build *b, const char *out, size_t len, const char *fallback_file)
{
    ccdiag_list list = {0};
    size_t errors = ccdiag_parse_text(out, len, &list);
    for (size_t i = 0; i < list.n; i++) {
        ccdiag *d = &list.v[i];
        if (d->link != CCDIAG_LINK_NONE)
            locate_link_diag(b, d, fallback_file);
        else if (!d->file)
            d->file = xstrdup(fallback_file);
        add_item(b, d);
    }
    free(list.v);   /* the items' strings went to add_item */
    return errors;
}
