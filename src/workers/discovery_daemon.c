/* discovery_daemon.c - the discovery daemon: runs discovery jobs (project scans); keeps no state. */
#include "worker.h"

const worker_daemon worker_discovery_daemon = {
    .kind = DAEMON_DISCOVERY,
    .handlers = {[JOB_TYPE_DISCOVERY] = worker_run_discovery},
};
