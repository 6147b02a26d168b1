/* runner.h - where the engine's commands run: the seam between build logic and process spawning (real processes, a scripted fake, distcc). */
#ifndef JMAKE_RUNNER_H
#define JMAKE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One command to run. Everything is borrowed for the duration of the start
 * call only: a runner copies what it keeps. */
typedef struct runner_command {
    char *const *argv;      /* NULL-terminated; argv[0] an absolute path (no PATH search, no shell) */
    const char *cwd;        /* NULL = the daemon's working folder */
    char *const *envp;      /* NULL = the daemon's environment */
    void *tag;              /* the caller's, handed back in the result */
} runner_command;

/* A finished command. */
typedef struct runner_result {
    void *tag;
    int status;             /* waitpid-style status */
    char *output;           /* stdout and stderr, NUL-terminated, or NULL when none; caller frees */
    size_t output_len;
} runner_result;

/* A runner is shared by every build of one engine (so the ops must be
 * thread-safe across batches); a batch holds the commands of one build and is
 * driven by that build's thread only. Implementations embed runner and
 * runner_batch as their first member. */
typedef struct runner runner;
typedef struct runner_batch runner_batch;

/* Where the compiles (commands with -c) of one batch ran, for a runner that
 * sends them to other machines. */
typedef struct runner_placement {
    size_t remote;          /* compiled on another host */
    size_t local;           /* compiled here: a local slot came first, or the compile cannot be sent */
    size_t fallback;        /* compiled here because no host answered: a remote attempt failed, or
                               the host that would have taken it is skipped after failing */
    strvec failed_hosts;    /* hosts that failed or were skipped during the batch, each once; caller frees */
} runner_placement;

typedef struct runner_ops {
    /* Commands the runner can have in flight at once across every build; 0
     * means "as many as the engine allows" (max_parallel). A remote runner may
     * report more than the local cores. */
    size_t (*slots)(runner *r);
    runner_batch *(*batch_open)(runner *r);
    /* Starts cmd. Returns 0, or -errno when it could not start (nothing runs). */
    int (*start)(runner_batch *b, const runner_command *cmd);
    /* Waits up to timeout_ms until a command of b finished or wake_fd (may be
     * -1) became readable (it is then drained). Fills done[0..n) with up to max
     * finished commands and returns n (0 on timeout or wake-up), or -errno. */
    int (*wait)(runner_batch *b, int wake_fd, int timeout_ms, runner_result *done, size_t max);
    /* Kills every command of b still running (their whole process groups);
     * their results are dropped. */
    void (*cancel)(runner_batch *b);
    void (*batch_close)(runner_batch *b);   /* cancels what still runs, frees b */
    void (*free)(runner *r);
    /* Fills *out with where b's compiles ran so far; NULL for runners that run
     * everything on this machine. */
    void (*placement)(runner_batch *b, runner_placement *out);
} runner_ops;

struct runner {
    const runner_ops *ops;
};

struct runner_batch {
    runner *owner;
};

/* The calls through the ops table. */
size_t runner_slots(runner *r);
runner_batch *runner_batch_open(runner *r);     /* close with runner_batch_close */
int runner_start(runner_batch *b, const runner_command *cmd);
int runner_wait(runner_batch *b, int wake_fd, int timeout_ms, runner_result *done, size_t max);
void runner_cancel(runner_batch *b);
void runner_batch_close(runner_batch *b);
void runner_free(runner *r);
/* false (and *out untouched) when b's runner runs everything here. */
bool runner_batch_placement(runner_batch *b, runner_placement *out);

/* true when the status means "exited with 0". */
bool runner_result_succeeded(const runner_result *res);

/* The real runner: local child processes through subproc (own process group,
 * output through one pipe, reaped by pid). Caller frees with runner_free. */
runner *runner_local_new(void);

/* The distcc runner: compiles go through distcc to the hosts, everything else
 * (links, compiles distcc cannot take, fallbacks) runs here through inner.
 * jmake picks the host of every compile itself and hands distcc just that one
 * (DISTCC_HOSTS=<spec>, DISTCC_FALLBACK=0), so a failing host is known, logged,
 * skipped for a while and the compile redone here and counted. */
typedef struct runner_distcc_options {
    const char *const *hosts;   /* distcc host specifications; borrowed. None: $DISTCC_HOSTS,
                                   else $DISTCC_DIR/hosts or ~/.distcc/hosts, else /etc/distcc/hosts */
    size_t nhosts;
    bool pump;                  /* distcc-pump: the hosts preprocess (",cpp"), jmake runs the include server */
    const char *distcc;         /* the distcc program; NULL = "distcc" on PATH */
    const char *distcc_dir;     /* DISTCC_DIR (lock and state files), created; NULL = distcc's default */
    size_t local_slots;         /* commands at once on this machine (max_parallel_builds), at least 1 */
    uint64_t backoff_ms;        /* a failing host is skipped this long, doubling while it keeps
                                   failing (at most 8 times); 0 = 30 s */
    runner *inner;              /* runs every command, here or as "distcc cc ..."; takes ownership;
                                   NULL = runner_local_new() */
    uint64_t (*clock_ms)(void); /* the back-off's clock; NULL = clock_monotonic_ms (tests pass a fake) */
} runner_distcc_options;

/* NULL with *reason set (caller frees) when distcc is missing, a host
 * specification is malformed or no host is given anywhere. Caller frees the
 * runner with runner_free. Its slots are the hosts' limits on top of the
 * local ones. */
runner *runner_distcc_new(const runner_distcc_options *o, char **reason);

/* The fake runner for tests: records every command and completes it after
 * hold_ms with a scripted result instead of spawning anything. A successful
 * command writes the files a compiler would: the file after -o (its argv and,
 * for a compile, the source's bytes) and the depfile after -MF ("obj: source
 * headers", the headers being the `#include "x"` lines of the source found
 * beside it or in a -I folder; one level, no system headers). Relative paths
 * are taken from the command's cwd. Thread-safe. Caller frees with runner_free. */
runner *runner_fake_new(int hold_ms);
/* Commands with an argument ending in match exit with exit_code and print
 * output (both copied) and write no files. */
void runner_fake_fail(runner *r, const char *match, int exit_code, const char *output);
/* Commands started since creation or the last runner_fake_reset. */
size_t runner_fake_count(runner *r);
/* The i-th started command, arguments joined by spaces; caller frees. NULL past the end. */
char *runner_fake_command(runner *r, size_t i);
/* How many started commands had an argument ending in suffix. */
size_t runner_fake_count_matching(runner *r, const char *suffix);
/* Most commands in flight at once, over all batches, and most batches with a command in flight at once. */
size_t runner_fake_max_running(runner *r);
size_t runner_fake_max_batches(runner *r);
/* Forgets the recorded commands and maxima (not the failure scripts). */
void runner_fake_reset(runner *r);

#endif
