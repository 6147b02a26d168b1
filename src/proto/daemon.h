/* daemon.h - what the six daemons are called, and their PID files (locked while the daemon lives). */
#ifndef JMAKE_DAEMON_H
#define JMAKE_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

typedef enum daemon_kind {
    DAEMON_ORCHESTRATOR,
    DAEMON_DISCOVERY,
    DAEMON_COMPILATION,
    DAEMON_BUILD,
    DAEMON_ERROR_HANDLER,
    DAEMON_WATCHER,
    DAEMON_COUNT
} daemon_kind;

typedef struct daemon_info {
    const char *name;       /* command-line and file name: "error_handler" */
    const char *title;      /* status line: "Error Handler Daemon" */
} daemon_info;

extern const daemon_info daemon_table[DAEMON_COUNT];

/* -1 when name is not a daemon ("error-handler" is accepted for error_handler). */
int daemon_from_name(const char *name);

/* Takes home/run/<name>.pid: creates run/ (0700), locks the file so that a
 * second instance fails, writes our PID. A file left by a killed process is
 * unlocked and simply taken over. Returns the open fd (kept for the process's
 * life) or -errno; -EWOULDBLOCK means another live instance holds it
 * (*holder gets its PID when known). */
int daemon_pidfile_acquire(const char *home, const char *name, pid_t *holder);
/* The PID of the live daemon holding the file, 0 when none runs (a stale file
 * is left alone here: acquire cleans it). */
pid_t daemon_pidfile_probe(const char *home, const char *name);

#endif
