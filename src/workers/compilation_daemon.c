/* compilation_daemon.c - the compilation daemon: runs compilation jobs on one engine that holds every project's state. */
#include "worker.h"

/* The engines live as long as the daemon, so a rebuild reuses what the last build learned. */
const worker_daemon worker_compilation_daemon = {
    .kind = DAEMON_COMPILATION,
    .handlers = {[JOB_TYPE_COMPILATION] = worker_run_compilation},
    .start = worker_compilation_state_new,
    .stop = worker_compilation_state_free,
};
