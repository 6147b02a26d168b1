/* error_handler_daemon.c - the error handler daemon: runs error_analysis jobs and learns fixes when failing projects build again. */
#include "error_jobs.h"
#include "worker.h"

/* The error database lives as long as the daemon; the timer notices builds
   that succeeded after a failure (docs/ERRORS.md, "Learning"). */
const worker_daemon worker_error_handler_daemon = {
    .kind = DAEMON_ERROR_HANDLER,
    .handlers = {[JOB_TYPE_ERROR_ANALYSIS] = worker_run_error_analysis},
    .start = worker_error_state_new,
    .stop = worker_error_state_free,
    .timers = worker_error_timers,
};
