/* srcscan.h - which files of a project are translation units, and in which language. */
#ifndef JMAKE_SRCSCAN_H
#define JMAKE_SRCSCAN_H

#include <stdbool.h>

#include "project.h"
#include "util.h"

/* Values index per-language tables, so they start at 0. */
typedef enum src_lang { SRC_C, SRC_CXX, SRC_ASM_PP, SRC_ASM, SRC_LANG_COUNT, SRC_NONE = -1 } src_lang;

/* By extension: .c; .cc .cpp .cxx .C .c++; .S (preprocessed assembly); .s.
 * Its table is the project's one list of source extensions: discovery asks
 * it too, and so should every other reader of a tree. */
src_lang srcscan_language(const char *path);
/* True for the header extensions: .h .hh .hpp .hxx .inc. */
bool srcscan_is_header(const char *path);

/* Appends the project's translation units to rels as paths relative to the
 * root (absolute when outside it), sorted and unique (strings owned by rels):
 * every source file under source_dir, or [compile] sources (files, or globs
 * matched against every file under the root), minus [compile] exclude globs.
 * The tree is read with walk_tree (walk.h): hidden entries are passed over,
 * links to folders are followed once each, and the build folder is never
 * entered, not even through a link. */
void srcscan_list(const project_config *project, strvec *rels);

#endif
