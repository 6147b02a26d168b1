/* bindings.h - the wrap step: a Julia module of ccall wrappers and a Python ctypes module for a shared library. */
#ifndef JMAKE_BINDINGS_H
#define JMAKE_BINDINGS_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What to wrap and where. Every pointer is borrowed for the call. */
typedef struct bindings_request {
    const char *binary_path;        /* the shared library (absolute) */
    const char *load_name;          /* what the modules load it by ("libjmake.so.0": the loader's path);
                                     * NULL: binary_path */
    const strvec *headers;          /* its headers; NULL or empty: symbols only */
    const strvec *include_dirs;     /* -I folders for parsing the headers; may be NULL */
    const char *module_name;        /* "Zlib"; NULL: from the library's name */
    bool julia, python;             /* which modules to write */
    const char *julia_dir;          /* where Module.jl goes */
    const char *python_dir;         /* where module.py goes */
    const cJSON *type_mappings;     /* {"C type": {"julia": "...", "python": "..."}}; may be NULL */
    const char *parser_path;        /* jmake-parse-headers; NULL: bindings_parser_path() */
    atomic_int *cancel;             /* set to stop (cancel and timeout); may be NULL */
    int timeout_ms;                 /* for parsing the headers; <= 0: no limit of its own */
    const char *log_path;           /* the job's output log; may be NULL */
} bindings_request;

typedef enum bindings_status {
    BINDINGS_OK,
    BINDINGS_BAD_INPUT,     /* not an ELF shared library, no such file, nothing to write */
    BINDINGS_PARSE_FAILED,  /* the header parser crashed or could not start */
    BINDINGS_CANCELLED,
    BINDINGS_IO_ERROR,      /* a module could not be written */
} bindings_status;

/* Wraps req->binary_path. *result gets a new JSON object (caller deletes; also
 * on failure, with what is known): "files", "functions" (typed / fallback
 * counts and reasons), "warnings", "diagnostics", "timings_ms". On failure
 * *reason is a new one-line message (caller frees). Modules are written
 * atomically: a failed wrap leaves the previous files as they were. */
bindings_status bindings_wrap(const bindings_request *req, cJSON **result, char **reason);

/* The wrap step of a compilation job with [wrap] enabled: reads config_path's
 * [wrap] section (module_name, languages, output_dir, type_mappings) and wraps
 * library_path (the library the build just linked) with the project's public
 * headers (every .h/.hpp under [paths] include). Parameters borrowed; results as
 * bindings_wrap. When [wrap] is not enabled it returns BINDINGS_OK with
 * *result NULL. */
bindings_status bindings_wrap_project(const char *config_path, const char *library_path, atomic_int *cancel,
                                      const char *log_path, cJSON **result, char **reason);

/* Finds a library the way a user names it: an existing path is returned as it
 * is (absolute); otherwise its file name is looked for in the linker's folders
 * (/etc/ld.so.conf and its includes, the multiarch folders, /lib, /usr/lib,
 * /usr/local/lib), and a missing "libfoo.so" also matches "libfoo.so.N".
 * Returns a new path (caller frees), with *found_elsewhere true when it is not
 * the path given; or NULL with the folders looked in written to where. */
char *bindings_find_library(const char *name, bool *found_elsewhere, char *where, size_t where_size);

/* The header parser program: beside the running executable, else in
 * ../libexec/jmake/ from it. Caller frees; NULL when not found. */
char *bindings_parser_path(void);

#endif
