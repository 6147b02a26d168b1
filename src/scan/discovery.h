/* discovery.h - scanning a project folder: sources, headers, include folders, ELF binaries, include graph. */
#ifndef JMAKE_DISCOVERY_H
#define JMAKE_DISCOVERY_H

#include <cjson/cJSON.h>
#include <stdatomic.h>

/* Scans root recursively with walk_tree (skipping hidden entries such as
 * .git, and the folders named in skip_dirs). Result object:
 *   root, sources[], headers[], include_dirs[] (folders holding headers that
 *   are included by their path relative to that folder), binaries[] {path,
 *   kind: shared|static|executable|object|relocatable}, include_graph {file: [resolved includes]},
 *   counts {sources, headers, binaries}, suggested {name, source, include[],
 *   library_name, exclude [{glob, why}], generated_headers [{header, template}],
 *   defines [] (macros a library source demands with #ifndef + #error)}
 *   (what a library of this folder builds, and what its configure step must make: suggest.h)
 * Paths are relative to root. cancel (may be NULL) is polled; when set the
 * scan stops and returns -1 with "cancelled". Returns 0 with *result (caller
 * frees with cJSON_Delete) or -1 with err filled. */
int discovery_scan(const char *root, const char *const *skip_dirs, atomic_int *cancel,
                   cJSON **result, char *err, size_t errsize);

#endif
