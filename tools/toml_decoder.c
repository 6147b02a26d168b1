/* toml_decoder.c - toml-test decoder: TOML on stdin, tagged JSON on stdout, "stdin:LINE:COL: message" on error. */
#include "toml.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes a JSON string; lengths are explicit because TOML strings and keys may hold NUL. */
static void decoder_write_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20)
                fprintf(out, "\\u%04x", c);
            else
                fputc(c, out);  /* UTF-8 passes through; the parser has validated it */
        }
    }
    fputc('"', out);
}

static void decoder_write_value(FILE *out, const toml_value *v)
{
    switch (v->type) {
    case TOML_TABLE:
        fputc('{', out);
        for (size_t i = 0; i < v->u.table.count; i++) {
            const toml_entry *e = &v->u.table.entries[i];
            if (i > 0)
                fputc(',', out);
            decoder_write_string(out, e->key, e->key_len);
            fputc(':', out);
            decoder_write_value(out, e->value);
        }
        fputc('}', out);
        return;
    case TOML_ARRAY:
        fputc('[', out);
        for (size_t i = 0; i < v->u.array.count; i++) {
            if (i > 0)
                fputc(',', out);
            decoder_write_value(out, v->u.array.items[i]);
        }
        fputc(']', out);
        return;
    default:
        break;
    }
    fputs("{\"type\":", out);
    decoder_write_string(out, toml_type_name(v->type), strlen(toml_type_name(v->type)));
    fputs(",\"value\":", out);
    if (v->type == TOML_STRING) {
        decoder_write_string(out, v->u.string.ptr, v->u.string.len);
    } else {
        char *text = toml_scalar_text(v);
        decoder_write_string(out, text, strlen(text));
        free(text);
    }
    fputc('}', out);
}

int main(void)
{
    size_t len = 0, cap = 65536;
    char *data = xmalloc(cap);  /* owned; raw bytes, may hold NULs */
    for (;;) {
        if (len == cap) {
            cap *= 2;
            data = xrealloc(data, cap);
        }
        ssize_t n = read(STDIN_FILENO, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("stdin");
            return 2;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    toml_error err;
    toml_value *root = toml_parse(data, len, &err);
    free(data);
    if (!root) {
        fprintf(stderr, "stdin:%d:%d: %s\n", err.line, err.column, err.message);
        return 1;
    }
    decoder_write_value(stdout, root);
    fputc('\n', stdout);
    toml_free(root);
    return fflush(stdout) == 0 ? 0 : 2;
}
