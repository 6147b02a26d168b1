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

/* ---- The start-up report (a readiness pipe, as systemd's notify socket) ----
 * `jmake start` hands the orchestrator the write end of a pipe as descriptor
 * DAEMON_READY_FD, named in the environment (DAEMON_READY_ENV). The
 * orchestrator writes one line, "ready" once every worker it starts has
 * registered, or "error: REASON" with the first fatal error, and closes it.
 * The workers of that first start inherit it too and write their own fatal
 * start-up error there ("error: compilation: ..."); lines are single writes
 * under PIPE_BUF, so they never interleave, and the first one is the report. */
#define DAEMON_READY_ENV "JMAKE_READY_FD"
#define DAEMON_READY_FD 3

/* The report descriptor this process was given (close-on-exec from now on),
 * or -1. Call once at start. */
int daemon_ready_take(void);
/* Writes "ready" to *fd and closes it (*fd becomes -1); nothing when *fd < 0. */
void daemon_report_ready(int *fd);
/* Writes "error: " and the message to *fd and closes it; nothing when *fd < 0. */
void daemon_report_error(int *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Closes *fd without a word (a worker that registered: the orchestrator reports). */
void daemon_report_close(int *fd);

typedef enum daemon_report {
    DAEMON_REPORT_READY,
    DAEMON_REPORT_ERROR,        /* reason filled */
    DAEMON_REPORT_SILENT,       /* every writer closed without a word (a crash) */
    DAEMON_REPORT_TIMEOUT,
} daemon_report;
/* The CLI's side: waits at most timeout_ms for the first line on fd. */
daemon_report daemon_report_read(int fd, int timeout_ms, char *reason, size_t reason_size);

#endif
