/* project.h - a project's jmake.toml (SPEC 6, the original JMake format): what to compile and how. */
#ifndef JMAKE_PROJECT_H
#define JMAKE_PROJECT_H

#include <stdbool.h>

#include "diag.h"
#include "util.h"

typedef enum project_output { PROJECT_SHARED, PROJECT_STATIC, PROJECT_EXECUTABLE } project_output;

typedef struct project_override {
    char *match;        /* glob, relative to the project root */
    strvec flags;       /* extra compiler flags for matching sources */
} project_override;

typedef struct project_define {
    char *name;
    char *value;        /* NULL for a bare -DNAME */
} project_define;

/* Every path here is absolute and normalised (relative ones in the file are relative to the file's folder). */
typedef struct project_config {
    char *config_path;          /* the jmake.toml itself */
    char *root;                 /* [project] root, default the file's folder */
    char *name;                 /* [project] name, default the root's basename */
    char *source_dir;           /* [paths] source, default "src" */
    strvec include_dirs;        /* [paths] include + [compile] include_dirs, in that order */
    char *build_dir;            /* [paths] build, default "build" */
    char *output_dir;           /* [paths] output, default "julia" */

    char *cc, *cxx;             /* [compile] cc / cxx, default "cc" / "c++" */
    strvec flags;               /* [compile] flags: every language */
    strvec cflags, cxxflags;    /* [compile] c_flags / cxx_flags: one language only */
    strvec link_flags;          /* [compile] link_flags */
    project_define *defines;    /* [compile.defines] NAME = "value" | int | bool */
    size_t define_count;
    strvec lib_dirs;            /* [compile] lib_dirs */
    strvec libraries;           /* [compile] libraries or link_libraries ("m", "pthread") */
    strvec sources;             /* [compile] sources: files or globs relative to root; empty = default scan */
    strvec exclude;             /* [compile] exclude: globs relative to root */
    project_override *overrides;/* [[compile.overrides]] */
    size_t override_count;

    project_output output;      /* [binary] library_type */
    char *library_name;         /* [binary] library_name, default lib<name>.so / lib<name>.a / <name> */
    char *artifact_path;        /* build_dir/library_name */

    struct { bool enabled; char *module_name; strvec languages; char *output_dir; } wrap;
    struct { bool enabled; char *directory; } cache;   /* project-local cache override */
    struct { bool enabled; char *toolchain_path; bool use_bundled; strvec opt_flags; } llvm; /* [llvm] present */
} project_config;

/* Loads and checks path. Errors and warnings (unknown keys) go to diags as
 * FILE:LINE:COL; returns 0, or -1 on any error. Relative paths resolve
 * against the file's folder. *out is filled in every case (defaults and what
 * could be read, even on -1): the caller owns it and frees it with
 * project_free whatever the return value. */
int project_load(const char *path, project_config *out, diag_list *diags);
void project_free(project_config *project);

#endif
