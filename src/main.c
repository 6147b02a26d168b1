/* main.c - the jmake executable: global options, command dispatch and help, for clients and daemons alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_config.h"
#include "home.h"
#include "util.h"

typedef struct command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv);
    const char *usage;
    const char *summary;
    const char *details;
} command;

static int cmd_config(cli *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage("config");
    return cli_config_check(c->home, argc - 1, argv + 1);
}

static int cmd_help(cli *c, int argc, char **argv);

static const command commands[] = {
    {"start", cli_start, "start [DAEMON]", "start all six daemons (or one); returns when they answer",
     "Starts the orchestrator, which starts and supervises the discovery, compilation, build,\n"
     "error_handler and watcher daemons. Returns once they answer. Starting a running system\n"
     "is a no-op that says so; a PID file or socket left by a killed daemon is cleaned.\n"
     "The configuration is checked first: errors print FILE:LINE:COL and nothing starts (exit 2).\n"
     "DEBUG=1 in the environment sets the log level to debug."},
    {"stop", cli_stop, "stop [DAEMON] [--grace SECONDS]", "stop gracefully: no job is lost",
     "No new job starts; running jobs get SECONDS (default 30) to finish, then go back to\n"
     "pending and run again after the next start. With DAEMON, stops only that worker (the\n"
     "orchestrator does not restart it until `jmake start DAEMON`)."},
    {"restart", cli_restart, "restart [DAEMON]", "stop, then start", "Same as `jmake stop` followed by `jmake start`."},
    {"status", cli_status, "status [--json]", "one line per daemon: Running (PID n) or Stopped",
     "Prints \"Orchestrator Daemon: Running (PID 12345)\" and so on, one line per daemon.\n"
     "Exit code: 0 when all run, 3 when none runs, 1 when some are stopped."},
    {"submit", cli_submit,
     "submit JOBS.toml | submit --type TYPE [--config F] [--binary PATH] [--priority N] [--id ID]\n"
     "             [--after ID]... [--timeout SECONDS] [--path DIR]",
     "queue jobs; prints one job id a line",
     "With a file, queues every [[jobs]] entry, all or nothing: any error (reported as\n"
     "FILE:LINE:COL) queues none of them (exit 2). Types: compilation, wrapping, discovery,\n"
     "error_analysis. --after makes the job wait for another (depends_on); --path is the folder\n"
     "a discovery job scans."},
    {"job", cli_job,
     "job status ID | job wait ID... [--timeout SECONDS] | job result ID | job cancel ID\n"
     "           | job list [--state STATE] | job clean [--older-than DURATION]",
     "inspect and manage queued jobs",
     "status: pending, running, completed, failed or cancelled.\n"
     "wait: until every job ends; exit 0 if all completed, 1 if one failed or was cancelled,\n"
     "      4 on timeout; shows progress on a terminal.\n"
     "result: the job's record, result and output log as JSON.\n"
     "cancel: a pending job at once, a running one within a second (its processes are killed).\n"
     "list: one line per job (--state filters). clean: forget finished jobs (default: all;\n"
     "      --older-than 7d, 12h, 30m, 45s)."},
    {"build", cli_build, "build [DIR] [--json] [--priority N]", "compile DIR's jmake.toml through the daemons",
     "Submits a compilation job for DIR/jmake.toml (DIR defaults to .), waits, and shows\n"
     "progress (\"[37/120] src/vector.cpp\") on a terminal, plain lines otherwise. Exit 0 when\n"
     "the library was built, 1 when the build failed (diagnostics printed), 3 when the daemons\n"
     "do not run. --json prints the job's result JSON instead of progress."},
    {"config", cmd_config, "config check [FILE]...", "validate daemon or project configuration",
     "Checks daemon configuration files (job_queue_design.toml, orchestrator.toml,\n"
     "compilation.toml: together, as one configuration) and project files (jmake.toml).\n"
     "Prints FILE:LINE:COL: error|warning: message; exit 2 on any error. Without FILE: the\n"
     "home's configuration and ./jmake.toml."},
    {"logs", cli_logs, "logs DAEMON [--follow]", "print a daemon's log",
     "Prints HOME/logs/DAEMON.log; --follow keeps printing new lines (across rotations)."},
    {"help", cmd_help, "help [COMMAND]", "describe a command", "Prints the usage and description of COMMAND."},
    {"daemon", cli_daemon, "daemon NAME", NULL, NULL}, /* internal: how the daemons are started */
};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_help(FILE *out)
{
    fprintf(out, "usage: jmake [--home DIR] [--json] COMMAND [ARGS]\n\n"
                 "jmake keeps C and C++ projects built in the background: six daemons, a persistent\n"
                 "priority job queue, incremental and cached compilation.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nOptions:\n"
                 "  --home DIR   the daemon home (default: $JMAKE_HOME, else $XDG_STATE_HOME/jmake,\n"
                 "               else ~/.local/state/jmake)\n"
                 "  --json       machine-readable output on read commands\n"
                 "  --version    print the version\n  --help       this text\n\n"
                 "Exit codes: 0 success, 1 job failed or cancelled, 2 usage or input error,\n"
                 "3 daemons not running, 4 timeout. `jmake help COMMAND` describes a command.\n");
}

int cli_usage(const char *name)
{
    const command *cmd = find_command(name);
    fprintf(stderr, "usage: jmake %s\n", cmd ? cmd->usage : name);
    return EXIT_USAGE;
}

static int cmd_help(cli *c, int argc, char **argv)
{
    (void)c;
    if (argc < 2) {
        print_help(stdout);
        return EXIT_OK;
    }
    const command *cmd = find_command(argv[1]);
    if (!cmd || !cmd->summary) {
        fprintf(stderr, "jmake: unknown command '%s' (see jmake --help)\n", argv[1]);
        return EXIT_USAGE;
    }
    printf("usage: jmake %s\n\n%s.\n\n%s\n", cmd->usage, cmd->summary, cmd->details);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    cli c = {0};
    const char *home_opt = NULL;
    /* Global options may stand anywhere; the rest keeps its order for the command. */
    char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional) {
            rest[nrest++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_positional = true;
            rest[nrest++] = argv[i];
        } else if (strcmp(a, "--home") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "jmake: --home needs a folder\n");
                free(rest);
                return EXIT_USAGE;
            }
            home_opt = argv[++i];
        } else if (strncmp(a, "--home=", 7) == 0) {
            home_opt = a + 7;
        } else if (strcmp(a, "--json") == 0) {
            c.json = true;
        } else if (nrest == 0 && (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)) {
            printf("jmake %s (protocol %d)\n", JMAKE_VERSION, JMAKE_PROTOCOL_VERSION);
            free(rest);
            return EXIT_OK;
        } else if (nrest == 0 && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            print_help(stdout);
            free(rest);
            return EXIT_OK;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (nrest == 0) {
        print_help(stderr);
        free(rest);
        return EXIT_USAGE;
    }
    const command *cmd = find_command(rest[0]);
    if (!cmd) {
        fprintf(stderr, "jmake: unknown command '%s' (see jmake --help)\n", rest[0]);
        free(rest);
        return EXIT_USAGE;
    }
    for (int i = 1; i < nrest; i++)
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            char *help_argv[] = {"help", rest[0], NULL};
            int rc = cmd_help(&c, 2, help_argv);
            free(rest);
            return rc;
        }
    c.home = home_resolve(home_opt);
    if (!c.home) {
        fprintf(stderr, "jmake: cannot find a daemon home: give --home DIR or set JMAKE_HOME\n");
        free(rest);
        return EXIT_USAGE;
    }
    int rc = cmd->run(&c, nrest, rest);
    free(c.home);
    free(rest);
    return rc;
}
