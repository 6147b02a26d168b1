/* elfsyms.h - the project's one ELF reader (libelf): what kind of binary a file is, and the symbols it exports. */
#ifndef JMAKE_ELFSYMS_H
#define JMAKE_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What a file is, by its contents alone. */
typedef enum elfsyms_kind {
    ELFSYMS_NOT_BINARY, /* neither an ELF file nor an ar archive, or unreadable */
    ELFSYMS_ARCHIVE,    /* "!<arch>" or "!<thin>" (static library) */
    ELFSYMS_OBJECT,     /* ELF ET_REL */
    ELFSYMS_EXEC,       /* ELF ET_EXEC */
    ELFSYMS_DYN,        /* ELF ET_DYN: a shared library or a position-independent executable */
    ELFSYMS_OTHER,      /* ELF of another type (core dumps) */
} elfsyms_kind;

typedef struct elfsyms_info {
    elfsyms_kind kind;
    const char *machine; /* static string ("x86_64", ..., "unknown"); NULL unless an ELF kind */
    int bits;            /* 32 or 64; 0 unless an ELF kind */
    bool has_interp;     /* a PT_INTERP program header: the loader runs it as a program */
    long long size;      /* bytes; 0 for ELFSYMS_NOT_BINARY */
} elfsyms_info;

/* Classifies path (borrowed) into *out and returns out->kind. Reads 8 bytes of
 * a file that is neither, so it is cheap to ask of every file of a tree. */
elfsyms_kind elfsyms_classify(const char *path, elfsyms_info *out);

/* The same for a whole file's len bytes at data (borrowed). libelf may write
 * into an image it reads in place (elf_memory), so data must be a private
 * copy or a MAP_PRIVATE mapping. elfsyms_classify maps the file and asks
 * this, so both agree. */
elfsyms_kind elfsyms_classify_memory(void *data, size_t len, elfsyms_info *out);

/* Appends the sorted, unique names of defined GLOBAL/WEAK FUNC/OBJECT symbols
 * of path to out (strings owned by out): from .dynsym when dynamic is true
 * (shared libraries), else from .symtab (executables, and every member of an
 * ar archive). Returns 0, or -1 when path is not a readable ELF file/archive. */
int elfsyms_read(const char *path, bool dynamic, strvec *out);

/* The same for a whole file's len bytes at data (borrowed, a private copy as
 * for elfsyms_classify_memory); elfsyms_read maps the file and asks this. */
int elfsyms_read_memory(void *data, size_t len, bool dynamic, strvec *out);

/* One exported symbol of a shared library's .dynsym, as bindings need it. */
typedef enum elfsyms_sym_kind { ELFSYMS_FUNC, ELFSYMS_DATA } elfsyms_sym_kind;
typedef enum elfsyms_visibility {
    ELFSYMS_VIS_DEFAULT,
    ELFSYMS_VIS_PROTECTED,
} elfsyms_visibility;

typedef struct elfsyms_export {
    char *name;             /* owned: the symbol as the linker sees it (mangled for C++) */
    char *version;          /* owned: "ZLIB_1.2.9", or NULL for an unversioned symbol */
    bool default_version;   /* name@@VERSION (what a new link binds to), not name@VERSION */
    bool weak;
    elfsyms_sym_kind kind;
    elfsyms_visibility visibility;
    unsigned long long size;
} elfsyms_export;

/* Reads the defined, visible GLOBAL/WEAK FUNC/OBJECT symbols of path's .dynsym
 * with their versions (.gnu.version / .gnu.version_d). *out gets a new array of
 * *count entries, sorted by name then version; free with elfsyms_exports_free.
 * Returns 0, or -1 when path is not a readable ELF file with a dynamic symbol table. */
int elfsyms_read_exports(const char *path, elfsyms_export **out, size_t *count);
/* Frees what elfsyms_read_exports returned (takes ownership). */
void elfsyms_exports_free(elfsyms_export *exports, size_t count);

#endif
