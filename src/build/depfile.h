/* depfile.h - parser for make-style dependency files written by `cc -MD -MF` (which headers a translation unit read). */
#ifndef JMAKE_DEPFILE_H
#define JMAKE_DEPFILE_H

#include <stddef.h>

#include "util.h"

/* Appends every prerequisite of every rule in text (the source first, as the
 * compiler writes it), without duplicates, to deps (strings owned by deps).
 * Understands escaped spaces ("\ "), "\#", "$$", backslash-newline
 * continuations and the empty phony rules of -MP. Returns 0, or -1 when the
 * text is not a depfile (no rule at all, or a NUL byte), deps then unchanged. */
int depfile_parse(const char *text, size_t len, strvec *deps);

/* Reads and parses path; -1 with errno set when unreadable. */
int depfile_parse_file(const char *path, strvec *deps);

#endif
