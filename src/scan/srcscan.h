/* srcscan.h - which files of a project are translation units, and in which language. */
#ifndef JMAKE_SRCSCAN_H
#define JMAKE_SRCSCAN_H

#include "project.h"
#include "util.h"

/* Values index per-language tables, so they start at 0. */
typedef enum src_lang { SRC_C, SRC_CXX, SRC_ASM_PP, SRC_ASM, SRC_LANG_COUNT, SRC_NONE = -1 } src_lang;

/* By extension: .c; .cc .cpp .cxx .C .c++; .S (preprocessed assembly); .s. */
src_lang srcscan_language(const char *path);

/* Appends the project's translation units to rels as paths relative to the
 * root (absolute when outside it), sorted and unique (strings owned by rels):
 * every source file under source_dir, or [compile] sources (files, or globs
 * matched against every file under the root), minus [compile] exclude globs.
 * Hidden entries and the build folder are never entered. */
void srcscan_list(const project_config *project, strvec *rels);

#endif
