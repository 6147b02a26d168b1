/* toml.h - our TOML 1.0.0 parser: bytes in, a tree of located values out. */
#ifndef JMAKE_TOML_H
#define JMAKE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum toml_type {
    TOML_TABLE,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,        /* offset date-time */
    TOML_DATETIME_LOCAL,
    TOML_DATE_LOCAL,
    TOML_TIME_LOCAL,
} toml_type;

typedef struct toml_datetime {
    int year, month, day;           /* unused for TOML_TIME_LOCAL */
    int hour, minute, second;       /* unused for TOML_DATE_LOCAL */
    int nanosecond;                 /* fractional seconds, 0..999999999 */
    int fraction_digits;            /* digits written in the input, 0 = no fraction */
    int offset_minutes;             /* TOML_DATETIME only; Z = 0 */
} toml_datetime;

typedef struct toml_value toml_value;

typedef struct toml_entry {
    char *key;          /* owned, NUL-terminated; may contain NUL (see key_len) */
    size_t key_len;
    int line, column;   /* where the key was written (for a [table] header: the header) */
    toml_value *value;  /* owned */
} toml_entry;

struct toml_value {
    toml_type type;
    int line, column;   /* 1-based position of the value's first character */
    union {
        struct { char *ptr; size_t len; } string;   /* owned, NUL-terminated, may hold NULs */
        int64_t integer;
        double floating;
        bool boolean;
        toml_datetime datetime;
        struct { toml_value **items; size_t count; } array;
        struct { toml_entry *entries; size_t count; } table; /* in document order */
    } u;
};

typedef struct toml_error {
    int line, column;   /* 1-based; where the parser stopped */
    char message[256];
} toml_error;

/* Parses a whole document of len bytes (NULs and invalid UTF-8 are errors, a
 * leading UTF-8 BOM is skipped). Returns the root table, owned by the caller
 * (free with toml_free), or NULL with *err filled in. */
toml_value *toml_parse(const char *data, size_t len, toml_error *err);
/* Reads and parses a file; on error err->message holds the reason (I/O errors too). */
/* Job files and configurations larger than this are refused: a mistake (a
 * log passed as a job file), and a whole-file parse must stay short. */
#define TOML_MAX_FILE_BYTES ((size_t)16 << 20)
toml_value *toml_parse_file(const char *path, toml_error *err);
void toml_free(toml_value *value);

/* Lookups; return NULL when absent or when the container has another type. */
const toml_entry *toml_table_find(const toml_value *table, const char *key);
const toml_value *toml_table_get(const toml_value *table, const char *key);
/* Follows a dotted path of bare keys, "compile.defines". */
const toml_value *toml_get_path(const toml_value *root, const char *dotted);
size_t toml_array_count(const toml_value *array);
const toml_value *toml_array_at(const toml_value *array, size_t index);

/* "string", "integer", "float", "bool", "datetime", "datetime-local",
 * "date-local", "time-local", "table", "array": the names of toml-test. */
const char *toml_type_name(toml_type type);
/* Canonical text of a scalar as toml-test prints it (1979-05-27T07:32:00.999Z,
 * 07:32:00, inf, 5e+22...). Caller frees; NULL for tables and arrays. */
char *toml_scalar_text(const toml_value *value);

#endif
