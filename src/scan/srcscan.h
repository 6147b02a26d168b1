/* srcscan.h - which files of a project are translation units, and in which language. */
#ifndef JMAKE_SRCSCAN_H
#define JMAKE_SRCSCAN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "diag.h"
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

typedef enum srcscan_result {
    SRCSCAN_OK,         /* rels filled (warnings may have been added) */
    SRCSCAN_INVALID,    /* an error was added to diags: the list must not be built */
    SRCSCAN_CANCELLED,  /* *cancel became non-zero during the walk */
} srcscan_result;

typedef struct srcscan_options {
    diag_list *diags;   /* borrowed, may be NULL: problems at jmake.toml:LINE:COL */
    atomic_int *cancel; /* borrowed, may be NULL: read before every entry of the walk */
    /* Borrowed, may be NULL: receives (appended, absolute) every walked file
     * the source folder or a sources glob selects, before the excludes: the
     * start of a watched project's index (srcscan_list_from). */
    strvec *found;
} srcscan_options;

/* srcscan_list, checked against the jmake.toml: a literal [compile] sources
 * entry that does not exist or is not a C, C++ or assembly source is an
 * error; a sources glob, an exclude or an override match that matches no
 * source is a warning. Globs whose fixed leading folders lie outside the
 * root ("../../snappy/" and a double star, or an absolute folder) are walked
 * from there, and their files are matched as written (with ".."), also by
 * the excludes. Globs match source
 * files only (a header or notes.txt is never a unit). options may be NULL. */
srcscan_result srcscan_list_checked(const project_config *project, const srcscan_options *options, strvec *rels);

/* The listing from an index instead of a walk: found holds what a walk
 * would have put into options->found (borrowed; kept current by the caller
 * with srcscan_is_found). Literal sources entries are checked again (a stat
 * each); rels, the result and the warnings are those srcscan_list_checked
 * gives on the same tree. */
srcscan_result srcscan_list_from(const project_config *project, const srcscan_options *options, const strvec *found,
                                 strvec *rels);
/* Whether the regular file at path (absolute, normalised) belongs to found:
 * a source by extension, below the source folder (or the root, with
 * [compile] sources) through no hidden segment, outside the build folder,
 * and matched by a sources glob when there are globs. */
bool srcscan_is_found(const project_config *project, const char *path);
/* Whether an index can stand for the walk: every folder the walk would read
 * lies under the root (a sources glob reaching beside it, or a source folder
 * outside it, is read by nobody else, so such projects are always walked). */
bool srcscan_index_usable(const project_config *project);

#endif
