/* ccdiag.h - one model of compiler and linker diagnostics, read from gcc/clang/ld text or gcc's -fdiagnostics-format=json. */
#ifndef JMAKE_CCDIAG_H
#define JMAKE_CCDIAG_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "util.h"

typedef enum ccdiag_severity { CCDIAG_ERROR, CCDIAG_WARNING, CCDIAG_NOTE } ccdiag_severity;

/* What a linker line said; CCDIAG_LINK_NONE for a compiler diagnostic. */
typedef enum ccdiag_link {
    CCDIAG_LINK_NONE,
    CCDIAG_LINK_UNDEFINED,      /* undefined reference to `sym' / lld "undefined symbol: sym" */
    CCDIAG_LINK_MULTIPLE,       /* multiple definition of `sym' / lld "duplicate symbol: sym" */
    CCDIAG_LINK_NO_LIBRARY,     /* cannot find -lNAME (symbol = NAME) */
    CCDIAG_LINK_RELOCATION,     /* relocation ... recompile with -fPIC */
    CCDIAG_LINK_VERSION,        /* undefined symbol version (sym@VER), version node not found */
    CCDIAG_LINK_OTHER,          /* any other linker error or warning */
} ccdiag_link;

/* A fix-it hint: replace [line:column, end_line:end_column) of file by text. */
typedef struct ccdiag_fixit {
    char *file;                 /* owned */
    int line, column, end_line, end_column;
    char *text;                 /* owned */
} ccdiag_fixit;

/* One diagnostic; every string is owned by it (ccdiag_free). */
typedef struct ccdiag {
    char *file;             /* as the tool printed it; NULL for tool-level lines ("cc1: error: ...") */
    int line, column;       /* 0 when not given */
    ccdiag_severity severity;
    char *message;
    char *option;           /* the -W flag that enabled it ("-Wunused-variable"), or NULL */
    strvec include_chain;   /* "file:line" of each includer, innermost first */
    strvec notes;           /* "file:line:col: message" of the notes that followed it */
    ccdiag_fixit *fixits;
    size_t nfixits;
    char *command;          /* the command that produced it, or NULL (filled by whoever knows it) */
    /* Linker diagnostics. */
    ccdiag_link link;
    char *symbol;           /* the symbol (or library name for NO_LIBRARY), or NULL */
    char *object;           /* the object or library the linker names, or NULL */
    char *function;         /* "in function `f'": the function referring to symbol, or NULL */
} ccdiag;

typedef struct ccdiag_list {
    ccdiag *v;
    size_t n, cap;
} ccdiag_list;

void ccdiag_free(ccdiag *d);
void ccdiag_list_free(ccdiag_list *list);   /* frees every item and the array; list is left empty */

/* Appends every error and warning of gcc, clang or GNU ld / lld text output
 * to out, with the notes, include chain ("In file included from"), option
 * ("[-Wflag]") and fix-it lines (-fdiagnostics-parseable-fixits) attached to
 * the diagnostic they belong to. The linkers' summaries ("collect2: error: ld
 * returned 1 exit status", "clang: error: linker command failed", "final link
 * failed") are noise and dropped. Returns the number of errors appended. */
size_t ccdiag_parse_text(const char *text, size_t len, ccdiag_list *out);

/* The same for gcc's -fdiagnostics-format=json (an array of diagnostics;
 * children become notes). Returns the number of errors, or -1 when text is
 * not such an array (nothing appended). */
long ccdiag_parse_json(const char *text, size_t len, ccdiag_list *out);

/* The diagnostic as a JSON object (caller deletes): file, line, column,
 * severity, message and, when present, option, include_chain, notes, fixits,
 * command, link, symbol, object, function. */
cJSON *ccdiag_to_json(const ccdiag *d);
/* Reads one item written by ccdiag_to_json (or the engine's result items)
 * into *out (caller frees with ccdiag_free). false when item is not an object. */
bool ccdiag_from_json(const cJSON *item, ccdiag *out);

const char *ccdiag_severity_name(ccdiag_severity s);     /* "error" ... */
const char *ccdiag_link_name(ccdiag_link l);             /* "undefined_reference" ...; NULL for NONE */

/* The line of the source at path (borrowed) where the symbol of linker
 * diagnostic d is used (an undefined reference: inside a function body) or
 * defined (a multiple definition: at top level), skipping comments and
 * strings; 0 when d has no symbol or it is not found. For objects built
 * without debug information, where ld knows no line. */
int ccdiag_symbol_line(const char *path, const ccdiag *d);

/* Line-oriented callback form, for callers that only need the located
 * messages: fn gets every error and warning (not the notes), d borrowed for
 * the call. Returns the number of errors. */
typedef void (*ccdiag_fn)(void *ctx, const ccdiag *d);
size_t ccdiag_parse(const char *text, size_t len, ccdiag_fn fn, void *ctx);

#endif
