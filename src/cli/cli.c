/* cli.c - the command table, help and usage text, and the connect/call/fail helpers the command files share. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* ---- The command table ---- */

static const cli_option stop_options[] = {
    {"--grace", NULL, "SECONDS", "how long running jobs may take to finish (default 30)"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option status_options[] = {
    {"--json", NULL, NULL, "the daemons as a JSON array"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option submit_options[] = {
    {"--type", NULL, "TYPE", "the job's type: compilation, wrapping, discovery, error_analysis"},
    {"--config", NULL, "F", "the project's jmake.toml"},
    {"--binary", NULL, "PATH", "the binary the job works on"},
    {"--priority", NULL, "N", "0 runs first (default 5)"},
    {"--id", NULL, "ID", "the job's id (default: one is made)"},
    {"--after", NULL, "ID", "wait for job ID to complete first (repeatable)"},
    {"--timeout", NULL, "SECONDS", "cancel the job after this long"},
    {"--path", NULL, "DIR", "the folder a discovery job scans"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option job_wait_options[] = {
    {"--timeout", NULL, "SECONDS", "give up waiting after this long (exit 4); 30, 30s, 2m"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option job_list_options[] = {
    {"--state", NULL, "STATE", "only jobs in this state"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option job_clean_options[] = {
    {"--older-than", NULL, "DURATION", "only jobs that finished longer ago (7d, 12h, 30m, 45s)"},
    {NULL, NULL, NULL, NULL},
};

static const cli_subcommand job_subcommands[] = {
    {"status", "ID", NULL, "the job's state (and reason)"},
    {"wait", "ID...", job_wait_options, "wait until every job ends"},
    {"result", "ID", NULL, "the job's record, result and output log as JSON"},
    {"cancel", "ID", NULL, "cancel a pending or running job"},
    {"list", NULL, job_list_options, "one line per job"},
    {"clean", NULL, job_clean_options, "forget finished jobs"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option build_options[] = {
    {"--json", NULL, NULL, "print the job's result JSON instead of progress"},
    {"--priority", NULL, "N", "0 runs first (default 1)"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option watch_options[] = {
    {"--json", NULL, NULL, "list: the projects as a JSON array"},
    {NULL, NULL, NULL, NULL},
};

static const cli_subcommand watch_subcommands[] = {
    {"add", "[DIR]", NULL, "watch DIR's project (its jmake.toml is checked first); starts no build"},
    {"remove", "[DIR]", NULL, "stop watching DIR's project"},
    {"list", NULL, watch_options, "each watched project, its state and its last build"},
    {NULL, NULL, NULL, NULL},
};

static const cli_subcommand config_subcommands[] = {
    {"check", "[FILE]...", NULL, "validate daemon or project configuration files"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option logs_options[] = {
    {"--follow", "-f", NULL, "keep printing new lines (across rotations)"},
    {NULL, NULL, NULL, NULL},
};

const cli_command cli_commands[] = {
    {"start", cli_start, "start [DAEMON]", "start all six daemons (or one); returns when they answer",
     "Starts the orchestrator, which starts and supervises the discovery, compilation, build,\n"
     "error_handler and watcher daemons. Returns once they answer. Starting a running system\n"
     "is a no-op that says so; a PID file or socket left by a killed daemon is cleaned.\n"
     "The configuration is checked first: errors print FILE:LINE:COL and nothing starts (exit 2).\n"
     "DEBUG=1 in the environment sets the log level to debug.",
     "[DAEMON]", NULL, NULL},
    {"stop", cli_stop, "stop [DAEMON] [--grace SECONDS]", "stop gracefully: no job is lost",
     "No new job starts; running jobs get SECONDS (default 30) to finish, then go back to\n"
     "pending and run again after the next start. With DAEMON, stops only that worker (the\n"
     "orchestrator does not restart it until `jmake start DAEMON`).",
     "[DAEMON]", stop_options, NULL},
    {"restart", cli_restart, "restart [DAEMON]", "stop, then start", "Same as `jmake stop` followed by `jmake start`.",
     "[DAEMON]", NULL, NULL},
    {"status", cli_status, "status [--json]", "one line per daemon: Running (PID n) or Stopped",
     "Prints \"Orchestrator Daemon: Running (PID 12345)\" and so on, one line per daemon.\n"
     "Exit code: 0 when all run, 3 when none runs, 1 when some are stopped.",
     NULL, status_options, NULL},
    {"submit", cli_submit,
     "submit JOBS.toml | submit --type TYPE [--config F] [--binary PATH] [--priority N] [--id ID]\n"
     "             [--after ID]... [--timeout SECONDS] [--path DIR]",
     "queue jobs; prints one job id a line",
     "With a file, queues every [[jobs]] entry, all or nothing: any error (reported as\n"
     "FILE:LINE:COL) queues none of them (exit 2). Types: compilation, wrapping, discovery,\n"
     "error_analysis. --after makes the job wait for another (depends_on); --path is the folder\n"
     "a discovery job scans.",
     "[JOBS.toml]", submit_options, NULL},
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
     "      --older-than 7d, 12h, 30m, 45s).",
     NULL, NULL, job_subcommands},
    {"build", cli_build, "build [DIR] [--json] [--priority N]", "compile DIR's jmake.toml through the daemons",
     "Submits a compilation job for DIR/jmake.toml (DIR defaults to .), waits, and shows\n"
     "progress (\"[37/120] src/vector.cpp\") on a terminal, plain lines otherwise. Exit 0 when\n"
     "the library was built, 1 when the build failed (diagnostics printed), 3 when the daemons\n"
     "do not run. --json prints the job's result JSON instead of progress.",
     "[DIR]", build_options, NULL},
    {"watch", cli_watch, "watch add [DIR] | watch remove [DIR] | watch list [--json]",
     "projects the watcher rebuilds on change",
     "add: DIR's jmake.toml (DIR defaults to .) is checked as `jmake build` would, then the\n"
     "     project is watched: a saved source, header or jmake.toml starts one build after\n"
     "     debounce_ms of quiet. The list is kept in the job database across restarts.\n"
     "remove: stop watching. list: each project with its state (watching, rescanning,\n"
     "     degraded: the inotify watch limit left folders unwatched) and its last build.",
     NULL, NULL, watch_subcommands},
    {"init", cli_init, "init [DIR]", "write DIR's jmake.toml from a discovery, or complete it",
     "Runs a discovery job through the daemons on DIR (default .) and writes a jmake.toml that\n"
     "builds: sources, include folders, library name and type, C++ standard where needed. When\n"
     "DIR has an incomplete jmake.toml, only the missing keys are added, each in its table;\n"
     "every line already there (comments and key order included) is kept.",
     "[DIR]", NULL, NULL},
    {"config", cli_config, "config check [FILE]...", "validate daemon or project configuration",
     "Checks daemon configuration files (job_queue_design.toml, orchestrator.toml,\n"
     "compilation.toml: together, as one configuration) and project files (jmake.toml).\n"
     "Prints FILE:LINE:COL: error|warning: message; exit 2 on any error. Without FILE: the\n"
     "home's configuration and ./jmake.toml.",
     NULL, NULL, config_subcommands},
    {"logs", cli_logs, "logs DAEMON [--follow]", "print a daemon's log",
     "Prints HOME/logs/DAEMON.log; --follow keeps printing new lines (across rotations).",
     "DAEMON", logs_options, NULL},
    {"help", cli_help, "help [COMMAND]", "describe a command", "Prints the usage and description of COMMAND.",
     "[COMMAND]", NULL, NULL},
};

const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

const cli_option cli_global_options[] = {
    {"--home", NULL, "DIR",
     "the daemon home (default: $JMAKE_HOME, else $XDG_STATE_HOME/jmake,\nelse ~/.local/state/jmake)"},
    {"--json", NULL, NULL, "machine-readable output on read commands"},
    {"--version", "-V", NULL, "print the version"},
    {"--help", "-h", NULL, "this text"},
    {NULL, NULL, NULL, NULL},
};

const cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

/* ---- Help and usage ---- */

#define HELP_OPTION_WIDTH 12

/* "  --home DIR   summary", later lines of the summary under its first. */
static void print_option(FILE *out, const cli_option *opt)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s", opt->name, opt->value ? " " : "", opt->value ? opt->value : "");
    fprintf(out, "  %-*s ", HELP_OPTION_WIDTH, head);
    for (const char *s = opt->summary; *s; s++) {
        fputc(*s, out);
        if (*s == '\n')
            fprintf(out, "  %-*s ", HELP_OPTION_WIDTH, "");
    }
    fputc('\n', out);
}

void cli_print_help(FILE *out)
{
    fprintf(out, "usage: jmake [--home DIR] [--json] COMMAND [ARGS]\n\n"
                 "jmake keeps C and C++ projects built in the background: six daemons, a persistent\n"
                 "priority job queue, incremental and cached compilation.\n\nCommands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\nOptions:\n");
    for (const cli_option *opt = cli_global_options; opt->name; opt++)
        print_option(out, opt);
    fprintf(out, "\nExit codes: 0 success, 1 job failed or cancelled, 2 usage or input error,\n"
                 "3 daemons not running, 4 timeout. `jmake help COMMAND` describes a command.\n");
}

void cli_print_command_help(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: jmake %s\n\n%s.\n\n%s\n", cmd->usage, cmd->summary, cmd->details);
}

int cli_usage(const char *name)
{
    const cli_command *cmd = cli_command_find(name);
    fprintf(stderr, "usage: jmake %s\n", cmd ? cmd->usage : name);
    return EXIT_USAGE;
}

int cli_help(cli *c, int argc, char **argv)
{
    (void)c;
    if (argc < 2) {
        cli_print_help(stdout);
        return EXIT_OK;
    }
    const cli_command *cmd = cli_command_find(argv[1]);
    if (!cmd) {
        fprintf(stderr, "jmake: unknown command '%s' (see jmake --help)\n", argv[1]);
        return EXIT_USAGE;
    }
    cli_print_command_help(stdout, cmd);
    return EXIT_OK;
}

int cli_daemon_from_name(const char *name)
{
    int k = daemon_from_name(name);
    if (k < 0) {
        fprintf(stderr, "jmake: unknown daemon '%s' (orchestrator, discovery, compilation, build, "
                        "error_handler, watcher)\n",
                name);
    }
    return k;
}

/* ---- Talking to the orchestrator ---- */

jmake_client *cli_connect(cli *c)
{
    jmake_client *client = NULL;
    int rc = jmake_connect(c->home, &client);
    if (rc != JMAKE_OK) {
        fprintf(stderr, "jmake: %s (start them with `jmake --home %s start`)\n", jmake_last_error(client),
                c->home);
        jmake_disconnect(client);
        return NULL;
    }
    return client;
}

int cli_fail(jmake_client *client, int status)
{
    const char *msg = jmake_last_error(client);
    switch (status) {
    case JMAKE_ERR_UNREACHABLE:
        fprintf(stderr, "jmake: %s\n", msg);
        return EXIT_UNREACHABLE;
    case JMAKE_ERR_TIMEOUT:
        fprintf(stderr, "jmake: %s\n", msg);
        return EXIT_TIMEOUT;
    case JMAKE_ERR_REJECTED:
    case JMAKE_ERR_NOT_FOUND:
    case JMAKE_ERR_ARGUMENT:
        /* Located errors (FILE:LINE:COL) are printed as they are, one per line. */
        fprintf(stderr, "%s%s\n", strchr(msg, ':') && strchr(msg, '/') ? "" : "jmake: ", msg);
        return EXIT_USAGE;
    default:
        fprintf(stderr, "jmake: %s\n", msg);
        return EXIT_USAGE;
    }
}

cJSON *cli_call(jmake_client *client, cJSON *req, int *code)
{
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    char *reply_text = NULL;
    int rc = jmake_request(client, text, &reply_text);
    free(text);
    if (rc != JMAKE_OK) {
        /* A rejected job file carries every problem; print them all. */
        cJSON *reply = reply_text ? cJSON_Parse(reply_text) : NULL;
        const cJSON *errors = cJSON_GetObjectItem(reply, "errors");
        const cJSON *warnings = cJSON_GetObjectItem(reply, "warnings");
        const cJSON *e;
        cJSON_ArrayForEach(e, warnings) fprintf(stderr, "%s\n", e->valuestring);
        if (cJSON_GetArraySize(errors) > 0) {
            cJSON_ArrayForEach(e, errors) fprintf(stderr, "%s\n", e->valuestring);
            *code = EXIT_USAGE;
        } else {
            *code = cli_fail(client, rc);
        }
        cJSON_Delete(reply);
        jmake_free(reply_text);
        return NULL;
    }
    cJSON *reply = cJSON_Parse(reply_text);
    jmake_free(reply_text);
    *code = EXIT_OK;
    return reply;
}

cJSON *cli_request(cli *c, cJSON *req, int *code)
{
    jmake_client *client = cli_connect(c);
    if (!client) {
        cJSON_Delete(req);
        *code = EXIT_UNREACHABLE;
        return NULL;
    }
    cJSON *reply = cli_call(client, req, code);
    jmake_disconnect(client);
    return reply;
}
