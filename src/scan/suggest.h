/* suggest.h - what a library made of a discovered folder should build: its source folder, and the sources to leave out (programs, unity files, tests). */
#ifndef JMAKE_SUGGEST_H
#define JMAKE_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What discovery learned of one source from its text (one read, shared with
 * the include scan). */
typedef enum suggest_text_role {
    SUGGEST_TEXT_PLAIN,      /* an ordinary translation unit */
    SUGGEST_TEXT_MAIN,       /* defines main(): a program's entry point, not library code */
    SUGGEST_TEXT_MODULE,     /* a C++20 module unit ("module;", "export module m;") */
    SUGGEST_TEXT_FUZZER,     /* defines LLVMFuzzerTestOneInput: a libFuzzer target */
} suggest_text_role;

/* The macros a file's directives name. */
typedef struct suggest_macros {
    strvec required;    /* demanded with "#ifndef NAME" + "#error" (names starting with '_'
                           are the compiler's and never count), each once */
    strvec defined;     /* given a value with "#define NAME", each once */
} suggest_macros;

void suggest_macros_free(suggest_macros *m);

/* The role of a source's text; macros (may be NULL) gets the macros its
 * directives demand and define. */
suggest_text_role suggest_classify_text(const char *buf, size_t len, suggest_macros *macros);

/* Folders whose sources are not the library's by convention: test, tests,
 * testes, testing, unittests, example(s), sample(s), demo(s), bench,
 * benchmark(s), fuzz, fuzzing, doc(s), and other platforms' ports (win32,
 * msvc, amiga, ...). */
bool suggest_is_side_folder(const char *name);

/* Whether a file's name says it is a test, benchmark or fuzzer: a word of
 * its stem (split at '_' and '-') is test(s), unittest(s), bench(mark),
 * fuzz or fuzzer (snappy_unittest.cc, snappy-test.cc, test_api.c). */
bool suggest_is_test_file(const char *path);

/* The header a configure step makes from path, a template such as
 * "config.h.in", "zconf.h.cmakein" or "snappy-stubs-public.h.in" (caller
 * frees: "config.h"), or NULL when path is no header template. */
char *suggest_template_header(const char *path);

/* The top-level folder to build (caller frees): the root's own files (".")
 * and folders named src, lib, source(s) or library first, other folders next,
 * side folders and vendored code (contrib, third_party, vendor, deps, ...)
 * last; within the first of these that has sources, the one holding the most,
 * a tie preferring "src", then the smaller name. sources: relative to the root. */
char *suggest_source_folder(const strvec *sources, const char *root);

/* One source of the chosen folder with its role among the others. */
typedef struct suggest_source_facts {
    const char *path;            /* borrowed, relative to the root */
    suggest_text_role text_role;
    const strvec *includes;      /* borrowed: the project files it #includes (relative to the root) */
    const strvec *required;      /* borrowed, may be NULL: the defines it demands (suggest_macros) */
} suggest_source_facts;

/* The [compile] exclude globs for a library of source_folder (appended to
 * globs, owned by it) with one short reason per glob in why (same order):
 * side folders inside it (as "testes/" and a double star), sources defining main(), module units,
 * fuzz targets, files named as tests (suggest_is_test_file),
 * unity files (a source including two or more other sources: its units are
 * built one by one) and fragments (the one source another source of the
 * library includes); includers outside the library (a test including the
 * source it mocks) do not count.
 * Programs are left in when every source of the folder defines main: then
 * there is no library to keep them out of. */
void suggest_excludes(const suggest_source_facts *facts, size_t count, const char *source_folder, strvec *globs,
                      strvec *why);

/* The defines the library's sources demand (appended to out, each once):
 * those of every source in the library folder that excluded (the globs of
 * suggest_excludes) does not leave out, minus those some file of the project
 * defines itself (zstd's fse_decompress.c checks FSE_FUNCTION_TYPE, which its
 * includer defines first). defined_anywhere: every name a project file #defines. */
void suggest_required_defines(const suggest_source_facts *facts, size_t count, const char *source_folder,
                              const strvec *excluded, const strvec *defined_anywhere, strvec *out);

/* Whether an include folder (relative to the root) would stand in for the
 * system's own headers: it holds a C standard header by name (stddef.h,
 * limits.h, ...) or a linux/, sys/, asm/ or bits/ header (a kernel or
 * freestanding shim, as zstd's contrib/linux-kernel/test/include). -I on
 * such a folder breaks every source that includes <stdlib.h>. headers:
 * every project header, relative to the root. */
bool suggest_is_system_shim(const char *dir, const strvec *headers);

/* Whether an include folder (relative to the root) belongs to the library of
 * source_folder: not in a folder the library leaves out, unless one of the
 * library's sources (facts, minus the excluded paths) includes a file there. */
bool suggest_keeps_include_dir(const char *dir, const char *source_folder, const suggest_source_facts *facts,
                               size_t count, const strvec *excluded);

#endif
