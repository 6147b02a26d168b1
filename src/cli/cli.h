/* cli.h - the command line: shared context, the command table, option parsing, and the helpers every command file uses. */
#ifndef JMAKE_CLI_H
#define JMAKE_CLI_H

#include <stdbool.h>
#include <stddef.h>
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

/* ---- The command table (cli.c) ----
 *
 * One row per command, read by the option parser (cli_parse.c), by `jmake help`
 * and by shell completion (cli_complete.c): so every option and subcommand of
 * every command is listed here, and nothing else knows them.
 * Placeholders (value, operands) are the words of the usage line, and they say
 * what completion offers: DAEMON, COMMAND, ID, DIR, F and FILE and JOBS.toml
 * (TOML files), TRACE.json (JSON files), TYPE, STATE, KEY, SHELL, WHEN, PATH (a shared library), SECONDS,
 * DURATION, N. "X..." is one or more, "[X]" at most one, "[X]..." any number.
 * Lists of options and subcommands end with an entry whose name is NULL.
 * The hidden `jmake daemon NAME` and `jmake __complete WORD...` are not commands
 * of the table: main.c runs them itself. */

typedef struct cli_option {
    const char *name;           /* "--grace" */
    const char *alias;          /* "-f", or NULL */
    const char *value;          /* what follows it: "SECONDS"; NULL for a flag */
    const char *summary;
} cli_option;

typedef struct cli_subcommand {
    const char *name;           /* "wait" */
    const char *operands;       /* "ID...", or NULL for none */
    const cli_option *options;  /* NULL for none */
    const char *summary;
} cli_subcommand;

/* Flags of a command. */
enum {
    CLI_NEEDS_DAEMONS = 1 << 0, /* starts the daemons when none run, unless --no-start */
};

struct cli;
/* A command takes its operands (argv[0] = the command name, argv[1] the subcommand
 * when it has subcommands) and returns the exit code; options are in c. */
typedef int (*cli_handler)(struct cli *c, int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_handler run;
    const char *usage;          /* after "usage: jmake " */
    const char *summary;        /* one line, for `jmake help` */
    const char *details;        /* for `jmake help COMMAND` */
    const char *example;        /* one or more command lines, for `jmake help COMMAND` */
    const char *operands;       /* "[DAEMON]", or NULL for none (commands with subcommands: theirs) */
    const cli_option *options;  /* NULL for none */
    const cli_subcommand *subcommands;  /* NULL for none */
    unsigned flags;             /* CLI_NEEDS_DAEMONS */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_command_count;
/* The options taken anywhere on the line, before or after the command. */
extern const cli_option cli_global_options[];

/* The command called name, or NULL. Borrowed, static. */
const cli_command *cli_command_find(const char *name);
/* The subcommand of cmd called name, or NULL. Borrowed, static. */
const cli_subcommand *cli_subcommand_find(const cli_command *cmd, const char *name);
/* The option called name ("--timeout" or its alias "-f") among the global options,
 * cmd's and sub's (either may be NULL), or NULL. Borrowed, static. */
const cli_option *cli_option_find(const cli_command *cmd, const cli_subcommand *sub, const char *name);
/* `jmake --help`: every command and the global options. */
void cli_print_help(FILE *out);
/* `jmake help COMMAND`: the usage line, summary, details, options and example of cmd (borrowed). */
void cli_print_command_help(FILE *out, const cli_command *cmd);

/* ---- The parsed command line (cli_parse.c) ---- */

typedef enum cli_color_mode { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER } cli_color_mode;

#define CLI_MAX_VALUES 64

typedef struct cli_value {
    const cli_option *option;   /* borrowed: a row of the table */
    const char *value;          /* borrowed from argv; NULL for a flag */
} cli_value;

typedef struct cli {
    char *home;                 /* resolved, absolute; owned */
    const char *home_option;    /* --home as given, or NULL; borrowed from argv */
    bool json;                  /* --json: machine-readable output on read commands */
    bool no_start;              /* --no-start or JMAKE_NO_AUTOSTART=1 */
    cli_color_mode color_mode;  /* --color */
    const cli_command *command; /* NULL when none was given */
    const cli_subcommand *subcommand;
    char **operands;            /* command name, subcommand, operands; owned array, borrowed strings */
    int operand_count;
    cli_value values[CLI_MAX_VALUES];   /* every option given, in order */
    size_t value_count;
} cli;

typedef enum cli_parse_result {
    CLI_PARSE_OK,               /* run c->command */
    CLI_PARSE_HELP,             /* print the help of c->command, or the general help when NULL */
    CLI_PARSE_VERSION,
    CLI_PARSE_USAGE,            /* message in the caller's buffer; exit 2 */
} cli_parse_result;

/* Parses argv (argv[0] = "jmake") by the table with getopt_long: `--opt value` and
 * `--opt=value`, short aliases, `--` ending the options, options before and after
 * operands, global options anywhere. Checks the operand counts against the table.
 * On CLI_PARSE_USAGE, err gets one line naming the option or operand at fault.
 * argv's strings must outlive c. Release with cli_free. */
cli_parse_result cli_parse(cli *c, int argc, char **argv, char *err, size_t errlen);
void cli_free(cli *c);
/* The value of the last `name` option given, or NULL. Borrowed from argv. */
const char *cli_opt(const cli *c, const char *name);
/* Whether option `name` was given. */
bool cli_flag(const cli *c, const char *name);

/* ---- Output (cli_term.c) ---- */

typedef enum cli_paint { CLI_PAINT_ERROR, CLI_PAINT_WARNING, CLI_PAINT_GOOD, CLI_PAINT_BOLD } cli_paint;

/* Whether stream (stdout or stderr) gets colours: --color, NO_COLOR, and whether it is a terminal. */
bool cli_use_color(const cli *c, FILE *stream);
/* The escape sequence that starts paint on stream, or "" when it gets no colours. Static. */
const char *cli_paint_on(const cli *c, FILE *stream, cli_paint paint);
/* The escape sequence that ends it, or "". Static. */
const char *cli_paint_off(const cli *c, FILE *stream);
/* "1 file", "2 files": the word (static or borrowed) for a count. */
const char *cli_plural(long n, const char *one, const char *many);

/* ---- Helpers for the command files (cli.c, cli_daemons.c) ---- */

/* Connects or prints why not; returns NULL after printing (exit code 3 follows).
 * For a command marked CLI_NEEDS_DAEMONS it is cli_connect_autostart. */
jmake_client *cli_connect(cli *c);
/* Like cli_connect, but starts the daemons when none answer (the commands marked
 * CLI_NEEDS_DAEMONS), saying so in one line on stderr; with c->no_start it refuses
 * like cli_connect. NULL after printing, with the exit code (2 or 3) in *code. */
jmake_client *cli_connect_autostart(cli *c, int *code);
/* Starts the daemons of c->home unless they run: one client at a time (a lock in
 * the home), so concurrent callers share one set. Returns an exit code; quiet
 * unless something went wrong. *started tells whether this call started them. */
int cli_ensure_daemons(cli *c, bool *started);
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

/* ---- Completion (cli_complete.c) ---- */

/* `jmake __complete WORD...`: words after "jmake" up to the one under the cursor
 * (the last, maybe empty). Prints the kind of completion on the first line
 * ("words", "dirs", "files", "files EXT") and then, for "words", one candidate a
 * line ("word<TAB>description"). Never fails, never writes to stderr. */
int cli_complete_words(FILE *out, int argc, char **argv);

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
/* cli_errors.c */
int cli_errors(cli *c, int argc, char **argv);
/* cli_watch.c */
int cli_watch(cli *c, int argc, char **argv);
/* For `jmake status`: one line per watched project the watcher has a warning
 * about (the inotify watch limit); prints nothing when the daemons do not answer. */
void cli_watch_print_warnings(cli *c);
/* cli_init.c */
int cli_init(cli *c, int argc, char **argv);
/* cli_config.c */
int cli_config(cli *c, int argc, char **argv);
/* cli_complete.c */
int cli_completion(cli *c, int argc, char **argv);
/* cli_wrap.c */
int cli_wrap(cli *c, int argc, char **argv);
/* cli.c */
int cli_help(cli *c, int argc, char **argv);

#endif
