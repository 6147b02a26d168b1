/* elfsyms.h - the symbols a built artifact exports, read with libelf. */
#ifndef JMAKE_ELFSYMS_H
#define JMAKE_ELFSYMS_H

#include <stdbool.h>

#include "util.h"

/* Appends the sorted, unique names of defined GLOBAL/WEAK FUNC/OBJECT symbols
 * of path to out (strings owned by out): from .dynsym when dynamic is true
 * (shared libraries), else from .symtab (executables, and every member of an
 * ar archive). Returns 0, or -1 when path is not a readable ELF file/archive. */
int elfsyms_read(const char *path, bool dynamic, strvec *out);

#endif
