/* watcher_daemon.c - the watcher daemon: registered and supervised; runs no job type (file watching arrives with its issue). */
#include "worker.h"

const worker_daemon worker_watcher_daemon = {
    .kind = DAEMON_WATCHER,
};
