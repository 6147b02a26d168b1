/* jobfile.h - job files ([[jobs]] in TOML) and single submits: parsing and validation with FILE:LINE:COL. */
#ifndef JMAKE_JOBFILE_H
#define JMAKE_JOBFILE_H

#include <stddef.h>

#include "diag.h"
#include "jobstore.h"

/* The job types that exist; types whose daemon has no implementation yet are still valid here. */
extern const char *const job_types[];

/* Reads path, checks every [[jobs]] entry (types, required fields, bounds,
 * duplicate ids inside the file, referenced files exist; for compilation jobs
 * the project configuration loads and its source folder exists), resolves
 * relative paths against the file's folder. Unused fields of the original
 * JMake (daemon, port, callback, status, target_section) are warnings.
 * Returns 0 with *specs (count entries, caller frees each with job_spec_free
 * and the array with free), or -1 with at least one error in diags and
 * nothing allocated. */
int jobfile_load(const char *path, job_spec **specs, size_t *count, diag_list *diags);

/* Checks one spec built from command-line options (paths already absolute). */
int jobfile_validate_spec(const job_spec *spec, diag_list *diags);

#endif
