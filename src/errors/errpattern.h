/* errpattern.h - error patterns: a diagnostic classified by name, with the subject a fix depends on and a fingerprint that ignores where it happened. */
#ifndef JMAKE_ERRPATTERN_H
#define JMAKE_ERRPATTERN_H

#include "ccdiag.h"

/* The patterns, in the order their rules are tried after the linker kinds. */
typedef enum err_pattern {
    ERR_MISSING_HEADER,         /* subject: the header as written in #include */
    ERR_UNDEFINED_REFERENCE,    /* subject: the symbol */
    ERR_MULTIPLE_DEFINITION,    /* subject: the symbol */
    ERR_MISSING_LIBRARY,        /* subject: the library name of -lNAME */
    ERR_FPIC_RELOCATION,        /* no subject: the fix (-fPIC) does not depend on the symbol */
    ERR_SYMBOL_VERSION,         /* subject: sym@VERSION */
    ERR_LANGUAGE_STANDARD,      /* subject: the standard asked for ("c++17", "c99") */
    ERR_IMPLICIT_DECLARATION,   /* subject: the function */
    ERR_UNDECLARED_IDENTIFIER,  /* subject: the identifier (with its namespace) */
    ERR_UNKNOWN_TYPE,           /* subject: the type name */
    ERR_NO_MATCHING_FUNCTION,   /* subject: the function */
    ERR_REDEFINITION,           /* subject: the name */
    ERR_INCOMPLETE_TYPE,        /* subject: the type */
    ERR_TYPE_CONVERSION,        /* subject: the message with numbers and names of variables taken out */
    ERR_PREPROCESSOR_ERROR,     /* #error; subject: its text */
    ERR_SYNTAX,                 /* subject: what was expected ("expected ';'") */
    ERR_UNKNOWN,                /* subject: the normalised message */
    ERR_PATTERN_COUNT
} err_pattern;

const char *err_pattern_name(err_pattern p);        /* "missing_header" ...; static */
const char *err_pattern_summary(err_pattern p);     /* one line for the export; static */
/* The pattern called name, or -1. */
int err_pattern_from_name(const char *name);

/* A classified diagnostic; strings owned (err_class_free). */
typedef struct err_class {
    err_pattern pattern;
    char *subject;          /* NULL for patterns without one */
    char *fingerprint;      /* "pattern:subject": the same for the same error anywhere */
    char *id;               /* 12 hex digits of the fingerprint's hash: what `jmake errors show` takes */
    char *hint_header;      /* from the compiler's notes: the header declaring it ("<string.h>"), or NULL */
    char *hint_std;         /* from the compiler's words: the standard it needs ("c++17"), or NULL */
} err_class;

/* Classifies d (borrowed) into *out (caller frees with err_class_free). */
void err_classify(const ccdiag *d, err_class *out);
void err_class_free(err_class *c);

/* The id of a fingerprint (caller frees). */
char *err_fingerprint_id(const char *fingerprint);

/* The standard library names a clang error does not explain ("no template
 * named 'optional' in namespace 'std'"): the header declaring name and the
 * first standard having it (11, 14, 17, 20; 98 for older), or NULL. */
const char *err_std_header(const char *name, int *since);

#endif
