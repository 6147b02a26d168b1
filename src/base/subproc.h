/* subproc.h - child processes without a shell: own process group, stdout+stderr captured through one pipe, response files. */
#ifndef JMAKE_SUBPROC_H
#define JMAKE_SUBPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One running (or finished) child. The engine keeps a small array of these
 * and drives them with subproc_poll. */
typedef struct subproc {
    pid_t pid;          /* also the process group id; 0 when not running */
    int out_fd;         /* read end of the output pipe, -1 after EOF */
    char *output;       /* everything the child wrote to stdout and stderr; owned */
    size_t output_len, output_cap;
    int status;         /* waitpid status once finished */
    bool finished;
    void *user;         /* caller's tag (which job this is) */
} subproc;

/* Starts argv[0] (an absolute path: no PATH search, no shell) with argv in
 * cwd (NULL = inherit), in a new process group, stdout and stderr going to a
 * pipe. envp NULL = the daemon's environment. Returns 0 or -errno. */
int subproc_start(subproc *proc, char *const argv[], const char *cwd, char *const envp[]);

/* Waits up to timeout_ms for output from any running proc in procs[0..count),
 * reads what is available, and for every pipe that reached EOF reaps exactly
 * that pid (never waitpid(-1): the daemon has other children) and sets
 * finished. Returns the number of procs that finished in this call, or -errno. */
int subproc_poll(subproc *procs, size_t count, int timeout_ms);

/* Kills the whole process group of a running proc with SIGKILL and reaps it. */
void subproc_kill(subproc *proc);

/* Releases the output buffer and closes the pipe; proc is reusable afterwards. */
void subproc_release(subproc *proc);

/* true when the status means "exited with 0". */
bool subproc_succeeded(const subproc *proc);

/* Finds name in PATH (names containing '/' are returned as absolute paths).
 * Returns the resolved path (caller frees) or NULL. */
char *subproc_find_program(const char *name);

/* Writes args as a GCC/binutils response file (@file): one argument per
 * line, whitespace, quotes and backslashes escaped. Returns 0 or -errno. */
int subproc_write_response_file(const char *path, char *const *args, size_t count);

/* Total bytes of an argument list as the kernel counts it (strings + NULs +
 * pointers), to decide when a response file is needed. */
size_t subproc_args_size(char *const *args, size_t count);

#endif
