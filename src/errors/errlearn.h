/* errlearn.h - learning: a project's configuration snapshot, the difference between a failing and a succeeding one, and which part of it fixed which error. */
#ifndef JMAKE_ERRLEARN_H
#define JMAKE_ERRLEARN_H

#include <cjson/cJSON.h>

#include "errpattern.h"
#include "project.h"

/* A change of configuration, the unit of fixes and suggestions:
 *   {"kind": "include_dir", "value": "/abs/folder"}   [compile] include_dirs (absolute)
 *   {"kind": "lib_dir",     "value": "/abs/folder"}   [compile] lib_dirs (absolute)
 *   {"kind": "library",     "value": "m"}             [compile] libraries
 *   {"kind": "define",      "value": "NAME" | "NAME=VALUE"}
 *   {"kind": "flag",        "value": "-fPIC"}         [compile] flags (or c/cxx/link flags, overrides)
 *   {"kind": "remove_flag", "value": "-fno-PIC"}
 *   {"kind": "std",         "value": "c++17"}         -std=, replacing any other
 *   {"kind": "include_header", "value": "<string.h>", "file": "src/a.c"}   a source change: #include it
 * A fix is an array of changes, kept as canonical JSON text (errlearn_changes_text). */

/* The parts of a loaded project that a fix can change (caller deletes). */
cJSON *errlearn_snapshot(const project_config *project);
/* The same from a jmake.toml; NULL when it does not load. */
cJSON *errlearn_snapshot_file(const char *config_path);

/* What changed from before to after: an array of changes (caller deletes).
 * Flag changes of -std= become one "std" change. */
cJSON *errlearn_diff(const cJSON *before, const cJSON *after);

/* The part of the changes that can have fixed an error of class c (caller
 * deletes): include folders for a missing header (only the ones holding it
 * when any does), libraries and their folders for undefined symbols, and so
 * on; every change when none is of the kinds the pattern cares about. Empty
 * when changes is. */
cJSON *errlearn_relevant(const cJSON *changes, err_pattern pattern, const char *subject);

/* Canonical text of a changes array (sorted by kind and value), so the same
 * fix learned twice is one row; caller frees. */
char *errlearn_changes_text(const cJSON *changes);

/* One line for humans: "add include folder /x to [compile] include_dirs"; caller frees. */
char *errlearn_describe(const cJSON *changes);

/* true when the project already has every change of the array (a suggestion
 * it cannot use). */
bool errlearn_already_applied(const cJSON *changes, const cJSON *snapshot);

#endif
