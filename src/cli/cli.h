/* cli.h - the command-line front end: shared context and the command entry points. */
#ifndef JMAKE_CLI_H
#define JMAKE_CLI_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "jmake.h"

/* Exit codes of SPEC section 2. */
enum {
    EXIT_OK = 0,
    EXIT_JOB_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3,
    EXIT_TIMEOUT = 4,
};

typedef struct cli {
    char *home;     /* resolved, absolute */
    bool json;      /* --json: machine-readable output on read commands */
} cli;

/* Each takes the command's own arguments (argv[0] = the command name) and returns the exit code. */
int cli_start(cli *c, int argc, char **argv);
int cli_stop(cli *c, int argc, char **argv);
int cli_restart(cli *c, int argc, char **argv);
int cli_status(cli *c, int argc, char **argv);
int cli_logs(cli *c, int argc, char **argv);
int cli_daemon(cli *c, int argc, char **argv);
int cli_submit(cli *c, int argc, char **argv);
int cli_job(cli *c, int argc, char **argv);
int cli_build(cli *c, int argc, char **argv);

/* Connects or prints why not; returns NULL after printing (exit code 3 follows). */
jmake_client *cli_connect(cli *c);
/* One request (consumed) through libjmake: the parsed reply (caller deletes),
 * or NULL after printing every problem, with the exit code in *code. */
cJSON *cli_call(jmake_client *client, cJSON *req, int *code);
/* Maps a libjmake status to an exit code after printing the handle's message. */
int cli_fail(jmake_client *client, int status);
/* Prints "jmake: <usage line>" for a command and returns EXIT_USAGE. */
int cli_usage(const char *command);

#endif
