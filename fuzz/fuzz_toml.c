/* fuzz_toml.c - libFuzzer target for src/base/toml.c: parse, check the tree's invariants, print every scalar, free. */
#include "toml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

static void fuzz_walk(const toml_value *v, int depth)
{
    FUZZ_CHECK(depth <= 600);
    FUZZ_CHECK(v->line >= 1 && v->column >= 1);
    FUZZ_CHECK(strcmp(toml_type_name(v->type), "unknown") != 0);
    if (v->type == TOML_TABLE) {
        for (size_t i = 0; i < v->u.table.count; i++) {
            const toml_entry *e = &v->u.table.entries[i];
            FUZZ_CHECK(e->line >= 1 && e->column >= 1 && e->key[e->key_len] == '\0');
            /* Keys are unique, so a lookup by a NUL-free key finds this very entry. */
            if (strlen(e->key) == e->key_len)
                FUZZ_CHECK(toml_table_find(v, e->key) == e);
            fuzz_walk(e->value, depth + 1);
        }
        FUZZ_CHECK(toml_scalar_text(v) == NULL);
        return;
    }
    if (v->type == TOML_ARRAY) {
        FUZZ_CHECK(toml_array_count(v) == v->u.array.count);
        for (size_t i = 0; i < v->u.array.count; i++) {
            FUZZ_CHECK(toml_array_at(v, i) == v->u.array.items[i]);
            fuzz_walk(v->u.array.items[i], depth + 1);
        }
        FUZZ_CHECK(toml_array_at(v, v->u.array.count) == NULL);
        return;
    }
    if (v->type == TOML_STRING)
        FUZZ_CHECK(v->u.string.ptr[v->u.string.len] == '\0');
    char *text = toml_scalar_text(v);
    FUZZ_CHECK(text != NULL && (text[0] != '\0' || v->type == TOML_STRING));
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_error err;
    toml_value *root = toml_parse((const char *)data, size, &err);
    if (!root) {
        FUZZ_CHECK(err.line >= 1 && err.column >= 1 && err.message[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(root->type == TOML_TABLE);
    fuzz_walk(root, 0);
    toml_get_path(root, "a.b.c");
    toml_free(root);
    return 0;
}
