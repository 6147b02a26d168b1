/* wrap_jobs.h - the build daemon's handler of wrapping jobs. */
#ifndef JMAKE_WRAP_JOBS_H
#define JMAKE_WRAP_JOBS_H

#include "worker.h"

/* Wraps job's binary_path with the job's args (headers, include_dirs,
 * output_dir, module_name, languages, type_mappings: docs/BINDINGS.md). */
worker_outcome worker_run_wrapping(worker_job *job);

#endif
