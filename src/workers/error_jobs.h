/* error_jobs.h - what the error handler daemon's descriptor runs: error_analysis jobs, its state (the error database), the learning timer. */
#ifndef JMAKE_ERROR_JOBS_H
#define JMAKE_ERROR_JOBS_H

#include "worker.h"

/* error_analysis: args.job (a job id: its result's diagnostics, else its
 * log) or args.log (a compiler log file, text or gcc JSON). */
worker_outcome worker_run_error_analysis(worker_job *job);
/* Opens HOME/errors.db (a database it cannot use is moved aside); owned by the worker until stop. */
void *worker_error_state_new(const jm_config *cfg, const char *home);
void worker_error_state_free(void *state);
/* Learning: every second, projects still failing that have built since. Ends with {.fire = NULL}. */
extern const worker_timer worker_error_timers[];

#endif
