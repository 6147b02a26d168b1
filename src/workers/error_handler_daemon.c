/* error_handler_daemon.c - the error handler daemon: runs error_analysis jobs (learning from failed builds). */
#include "worker.h"

const worker_daemon worker_error_handler_daemon = {
    .kind = DAEMON_ERROR_HANDLER,
    /* Error learning arrives with its issue; until then its jobs fail with a reason. */
    .handlers = {[JOB_TYPE_ERROR_ANALYSIS] = worker_run_not_implemented},
};
