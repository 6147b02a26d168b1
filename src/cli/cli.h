/* cli.h - the command line: shared context, the command table, and the helpers every command file uses. */
#ifndef JMAKE_CLI_H
#define JMAKE_CLI_H

#include <stdbool.h>
#include <stdio.h>

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

/* A command takes its own arguments (argv[0] = the command name) and returns the exit code. */
typedef int (*cli_handler)(cli *c, int argc, char **argv);

/* ---- The command table (cli.c) ----
 *
 * One row per command, read by the dispatch in main.c, by `jmake help` and,
 * later, by shell completion: so every option and subcommand of every command
 * is listed here, even where the command's own parser already knows it.
 * Placeholders (value, operands) are the words of the usage line: DAEMON,
 * COMMAND, ID, DIR, F and FILE, TYPE, PATH, SECONDS, DURATION, STATE, N.
 * Lists of options and subcommands end with an entry whose name is NULL.
 * The hidden `jmake daemon NAME` is not a command of the table: main.c runs
 * the daemons itself, so that the command line does not depend on them. */

typedef struct cli_option {
    const char *name;           /* "--grace" */
    const char *alias;          /* "-f", or NULL */
    const char *value;          /* what follows it: "SECONDS"; NULL for a flag */
    const char *summary;
} cli_option;

typedef struct cli_subcommand {
    const char *name;           /* "wait" */
    const char *operands;       /* "ID...", or NULL */
    const cli_option *options;  /* NULL for none */
    const char *summary;
} cli_subcommand;

typedef struct cli_command {
    const char *name;
    cli_handler run;
    const char *usage;          /* after "usage: jmake " */
    const char *summary;        /* one line, for `jmake help` */
    const char *details;        /* for `jmake help COMMAND` */
    const char *operands;       /* "[DAEMON]", or NULL */
    const cli_option *options;  /* NULL for none */
    const cli_subcommand *subcommands;  /* NULL for none */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_command_count;
/* The options main.c takes anywhere on the line, before or after the command. */
extern const cli_option cli_global_options[];

/* The command called name, or NULL. Borrowed, static. */
const cli_command *cli_command_find(const char *name);
/* `jmake --help`: every command and the global options. */
void cli_print_help(FILE *out);
/* `jmake help COMMAND`: the usage line, summary and details of cmd (borrowed). */
void cli_print_command_help(FILE *out, const cli_command *cmd);

/* ---- Helpers for the command files (cli.c) ---- */

/* Connects or prints why not; returns NULL after printing (exit code 3 follows). */
jmake_client *cli_connect(cli *c);
/* One request (consumed) through libjmake: the parsed reply (caller deletes),
 * or NULL after printing every problem, with the exit code in *code. */
cJSON *cli_call(jmake_client *client, cJSON *req, int *code);
/* cli_call on a connection of its own: connects, sends req (consumed), disconnects. */
cJSON *cli_request(cli *c, cJSON *req, int *code);
/* Maps a libjmake status to an exit code after printing the handle's message. */
int cli_fail(jmake_client *client, int status);
/* Prints "usage: jmake <usage line>" for a command and returns EXIT_USAGE. */
int cli_usage(const char *command);
/* The daemon_kind called name, or -1 after printing the names there are. */
int cli_daemon_from_name(const char *name);

/* ---- The commands (the table's handlers) ---- */

/* cli_daemons.c */
int cli_start(cli *c, int argc, char **argv);
int cli_stop(cli *c, int argc, char **argv);
int cli_restart(cli *c, int argc, char **argv);
int cli_status(cli *c, int argc, char **argv);
int cli_logs(cli *c, int argc, char **argv);
/* cli_jobs.c */
int cli_submit(cli *c, int argc, char **argv);
int cli_job(cli *c, int argc, char **argv);
int cli_build(cli *c, int argc, char **argv);
/* cli_watch.c */
int cli_watch(cli *c, int argc, char **argv);
/* For `jmake status`: one line per watched project the watcher has a warning
 * about (the inotify watch limit); prints nothing when the daemons do not answer. */
void cli_watch_print_warnings(cli *c);
/* cli_init.c */
int cli_init(cli *c, int argc, char **argv);
/* cli_config.c */
int cli_config(cli *c, int argc, char **argv);
/* cli.c */
int cli_help(cli *c, int argc, char **argv);

#endif
