/* cli.c - the command table, help and usage text, and the connect/call/fail helpers the command files share. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* ---- The command table ---- */

#define END_OPTIONS {NULL, NULL, NULL, NULL}
#define NO_START_OPTION {"--no-start", NULL, NULL, "refuse (exit 3) instead of starting the daemons when none run"}

static const cli_option stop_options[] = {
    {"--grace", NULL, "SECONDS", "how long running jobs may take to finish (default 30)"},
    END_OPTIONS,
};

static const cli_option status_options[] = {
    {"--json", NULL, NULL, "the daemons as a JSON array"},
    END_OPTIONS,
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
    NO_START_OPTION,
    END_OPTIONS,
};

static const cli_option job_status_options[] = {
    {"--json", NULL, NULL, "the whole job record, reason included"},
    END_OPTIONS,
};

static const cli_option job_wait_options[] = {
    {"--timeout", NULL, "SECONDS", "give up waiting after this long (exit 4); 30, 30s, 2m"},
    {"--json", NULL, NULL, "the final job records as a JSON array"},
    END_OPTIONS,
};

static const cli_option job_list_options[] = {
    {"--state", NULL, "STATE", "only jobs in this state"},
    {"--limit", NULL, "N", "at most N jobs, newest first (default 100; 0: all)"},
    {"--after", NULL, "ID", "the page after ID: jobs older than it"},
    {"--json", NULL, NULL, "the jobs as a JSON array"},
    END_OPTIONS,
};

static const cli_option job_clean_options[] = {
    {"--older-than", NULL, "DURATION", "only jobs that finished longer ago (7d, 12h, 30m, 45s)"},
    END_OPTIONS,
};

static const cli_option job_result_options[] = {
    {"--trace", NULL, "TRACE.json", "write the build's timeline (Chrome trace) there instead of printing the record"},
    END_OPTIONS,
};

static const cli_subcommand job_subcommands[] = {
    {"status", "ID", job_status_options, "the job's state: pending, running, completed, failed or cancelled"},
    {"wait", "ID...", job_wait_options, "wait until every job ends"},
    {"result", "ID", job_result_options, "the job's record, result and output log as JSON"},
    {"cancel", "ID", NULL, "cancel a pending or running job"},
    {"list", NULL, job_list_options, "a table of the jobs: id, type, priority, state, age, duration"},
    {"clean", NULL, job_clean_options, "forget finished jobs"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option build_options[] = {
    {"--json", NULL, NULL, "print the job's result JSON instead of progress"},
    {"--explain", NULL, NULL, "after the build: why each file was compiled or restored"},
    {"--priority", NULL, "N", "0 runs first (default 1)"},
    {"--trace", NULL, "TRACE.json", "write the build's timeline (Chrome trace: Perfetto, chrome://tracing)"},
    NO_START_OPTION,
    END_OPTIONS,
};

static const cli_option config_check_options[] = {
    {"--json", NULL, NULL, "the files and their problems as JSON"},
    END_OPTIONS,
};

static const cli_option config_show_options[] = {
    {"--json", NULL, NULL, "the keys and values as a JSON object"},
    END_OPTIONS,
};

static const cli_option watch_options[] = {
    {"--json", NULL, NULL, "list: the projects as a JSON array"},
    END_OPTIONS,
};

static const cli_option watch_command_options[] = {
    NO_START_OPTION,
    END_OPTIONS,
};

static const cli_option init_options[] = {
    NO_START_OPTION,
    END_OPTIONS,
};

static const cli_subcommand watch_subcommands[] = {
    {"add", "[DIR]", NULL, "watch DIR's project (its jmake.toml is checked first); starts no build"},
    {"remove", "[DIR]", NULL, "stop watching DIR's project"},
    {"list", NULL, watch_options, "each watched project, its state and its last build"},
    {NULL, NULL, NULL, NULL},
};

static const cli_subcommand config_subcommands[] = {
    {"check", "[FILE]...", config_check_options, "validate daemon or project configuration files"},
    {"show", "[KEY]...", config_show_options, "the daemon configuration in effect, key by key"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option errors_options[] = {
    {"--json", NULL, NULL, "list and show as JSON"},
    NO_START_OPTION,
    END_OPTIONS,
};

static const cli_subcommand errors_subcommands[] = {
    {"list", NULL, errors_options, "error patterns by count (the default)"},
    {"show", "ID", errors_options, "one error: occurrences, learned fixes, attempts"},
    {"export", "FILE", NULL, "statistics, common patterns and recent errors with their fixes, as markdown"},
    {NULL, NULL, NULL, NULL},
};

static const cli_option logs_options[] = {
    {"--follow", "-f", NULL, "keep printing new lines (across rotations)"},
    {"--lines", "-n", "N", "only the last N lines (with --follow: then the new ones)"},
    {"--json", NULL, NULL, "one JSON object a line: time, level, source, message"},
    END_OPTIONS,
};

static const cli_option wrap_options[] = {
    {"--header", NULL, "H", "a header of the library (repeatable)"},
    {"--lang", NULL, "julia|python", "one language only (repeatable; default both)"},
    {"--output", NULL, "DIR", "write julia/ and python/ under DIR (default .)"},
    {"--module", NULL, "NAME", "the module's name (default from the library's)"},
    {"--include", NULL, "DIR", "an include folder for parsing the headers (repeatable)"},
    {"--load-as", NULL, "NAME", "load the library by NAME (libfoo.so.1) instead of its path"},
    {"--json", NULL, NULL, "print the job's result JSON"},
    NO_START_OPTION,
    END_OPTIONS,
};

const cli_command cli_commands[] = {
    {"start", cli_start, "start [DAEMON]", "start all six daemons (or one); returns when they answer",
     "Starts the orchestrator, which starts and supervises the discovery, compilation, build,\n"
     "error_handler and watcher daemons. Returns once they answer. Starting a running system\n"
     "is a no-op that says so; a PID file or socket left by a killed daemon is cleaned.\n"
     "With DAEMON on a stopped home, starts the orchestrator and that daemon only.\n"
     "The configuration is checked first: errors print FILE:LINE:COL and nothing starts (exit 2).\n"
     "DEBUG=1 in the environment sets the log level to debug.",
     "jmake start\n  jmake start compilation", "[DAEMON]", NULL, NULL, 0},
    {"stop", cli_stop, "stop [DAEMON] [--grace SECONDS]", "stop gracefully: no job is lost",
     "No new job starts; running jobs get SECONDS (default 30) to finish, then go back to\n"
     "pending and run again after the next start. With DAEMON, stops only that worker (the\n"
     "orchestrator does not restart it until `jmake start DAEMON`). Exit 3 when nothing runs.",
     "jmake stop --grace 5", "[DAEMON]", stop_options, NULL, 0},
    {"restart", cli_restart, "restart [DAEMON]", "stop, then start",
     "Same as `jmake stop` followed by `jmake start`; on a stopped home it only starts.",
     "jmake restart compilation", "[DAEMON]", NULL, NULL, 0},
    {"status", cli_status, "status [--json]", "one line per daemon: Running (PID n) or Stopped",
     "Prints \"Orchestrator Daemon: Running (PID 12345)\" and so on, one line per daemon.\n"
     "Exit code: 0 when all run, 3 when none runs, 1 when some are stopped.",
     "jmake status --json", NULL, status_options, NULL, 0},
    {"submit", cli_submit,
     "submit JOBS.toml | submit --type TYPE [--config F] [--binary PATH] [--priority N] [--id ID]\n"
     "             [--after ID]... [--timeout SECONDS] [--path DIR] [--no-start]",
     "queue jobs; prints one job id a line",
     "With a file, queues every [[jobs]] entry, all or nothing: any error (reported as\n"
     "FILE:LINE:COL) queues none of them (exit 2). Types: compilation, wrapping, discovery,\n"
     "error_analysis. --after makes the job wait for another (depends_on); --path is the folder\n"
     "a discovery job scans. Starts the daemons when none run (see --no-start).",
     "jmake submit jobs.toml\n  jmake submit --type compilation --config ~/src/mylib/jmake.toml --priority 0",
     "[JOBS.toml]", submit_options, NULL, CLI_NEEDS_DAEMONS},
    {"job", cli_job,
     "job status ID | job wait ID... [--timeout SECONDS] | job result ID [--trace TRACE.json] | job cancel ID\n"
     "           | job list [--state STATE] [--limit N] [--after ID] | job clean [--older-than DURATION]",
     "inspect and manage queued jobs",
     "status: pending, running, completed, failed or cancelled (the reason: --json, job result).\n"
     "wait: until every job ends; exit 0 if all completed, 1 if one failed or was cancelled,\n"
     "      4 on timeout; shows progress on a terminal.\n"
     "result: the job's record, result and output log as JSON; --trace writes a build's timeline\n"
     "      instead (only the last 5 per project are kept).\n"
     "cancel: a pending job at once, a running one within a second (its processes are killed).\n"
     "list: a table of the jobs (--state filters). clean: forget finished jobs (default: all;\n"
     "      --older-than 7d, 12h, 30m, 45s).",
     "jmake job wait build-1 --timeout=2m\n  jmake job list --state failed", NULL, NULL, job_subcommands, 0},
    {"build", cli_build, "build [DIR] [--json] [--explain] [--priority N] [--trace TRACE.json] [--no-start]",
     "compile DIR's jmake.toml through the daemons",
     "Submits a compilation job for DIR/jmake.toml (DIR defaults to .), waits, and shows\n"
     "progress (\"[37/120] src/vector.cpp  4.2s\") on a terminal, plain lines on stderr\n"
     "otherwise; the result line goes to stdout. Exit 0 when the library was built, 1 when\n"
     "the build failed (diagnostics printed), 3 when the daemons cannot be reached. Starts the\n"
     "daemons when none run (see --no-start). --json prints the job's result JSON instead.\n"
     "After more than 50 compiled files it prints the five slowest. --trace writes the build's\n"
     "timeline (one slice per compile, cache restore, link command and step, on the lane of the\n"
     "slot that ran it) in the Chrome trace format: open it in ui.perfetto.dev or chrome://tracing.\n"
     "--explain prints, after the result, one line per file compiled or restored, with why (no previous\n"
     "build, source or header changed, flags added or removed, compiler replaced, object missing)\n"
     "and for a cache miss what the nearest entry for that source differs in; the list is also\n"
     "the result's \"explain\" (jmake job result ID), at most 1,000 entries.",
     "jmake build\n  jmake build --explain\n  jmake build ~/src/mylib --json", "[DIR]", build_options, NULL, CLI_NEEDS_DAEMONS},
    {"watch", cli_watch, "watch add [DIR] | watch remove [DIR] | watch list [--json] [--no-start]",
     "projects the watcher rebuilds on change",
     "add: DIR's jmake.toml (DIR defaults to .) is checked as `jmake build` would, then the\n"
     "     project is watched: a saved source, header or jmake.toml starts one build after\n"
     "     debounce_ms of quiet. The list is kept in the job database across restarts.\n"
     "remove: stop watching. list: each project with its state (watching, rescanning,\n"
     "     degraded: the inotify watch limit left folders unwatched) and its last build.",
     "jmake watch add ~/src/mylib\n  jmake watch list --json", NULL, watch_command_options, watch_subcommands,
     CLI_NEEDS_DAEMONS},
    {"init", cli_init, "init [DIR] [--no-start]", "write DIR's jmake.toml from a discovery, or complete it",
     "Runs a discovery job through the daemons on DIR (default .) and writes a jmake.toml that\n"
     "builds: sources, include folders, library name and type, C++ standard where needed. When\n"
     "DIR has an incomplete jmake.toml, only the missing keys are added, each in its table;\n"
     "every line already there (comments and key order included) is kept.",
     "jmake init\n  jmake init ~/src/newlib", "[DIR]", init_options, NULL, CLI_NEEDS_DAEMONS},
    {"config", cli_config, "config check [FILE]... | config show [KEY]...", "validate or show configuration",
     "check: daemon configuration files (job_queue_design.toml, orchestrator.toml,\n"
     "compilation.toml: together, as one configuration) and project files (jmake.toml).\n"
     "Prints FILE:LINE:COL: error|warning: message; exit 2 on any error. Without FILE: the\n"
     "home's configuration and ./jmake.toml.\n"
     "show: every key of the home's daemon configuration (or the KEYs named) with its value.",
     "jmake config check ~/src/mylib/jmake.toml\n  jmake config show queue.max_concurrent_jobs", NULL, NULL,
     config_subcommands, 0},
    {"errors", cli_errors, "errors list [--json] | errors show ID [--json] | errors export FILE [--no-start]",
     "errors seen, and the fixes learned for them",
     "Reads the error handler's database (HOME/errors.db) directly, read-only, so it works\n"
     "while the daemons run and after they stopped. list: patterns by count (ID, count, fixes\n"
     "learned, pattern, subject). show ID: where the error happened, its learned fixes and the\n"
     "changes tried. export FILE: the markdown export (statistics, common patterns, recent\n"
     "errors with their fixes). --json on list and show.",
     "jmake errors list\n  jmake errors export daemon_errors.md", NULL, errors_options, errors_subcommands,
     CLI_NEEDS_DAEMONS},
    {"logs", cli_logs, "logs DAEMON [--follow] [--lines N]", "print a daemon's log",
     "Prints HOME/logs/DAEMON.log; --lines N only its last N lines; --follow keeps printing\n"
     "new lines (across rotations) until interrupted.",
     "jmake logs compilation --lines 50 --follow", "DAEMON", logs_options, NULL, 0},
    {"completion", cli_completion, "completion SHELL", "print the shell completion script (bash, zsh, fish)",
     "Prints a completion script for SHELL (bash, zsh or fish). The script asks jmake itself\n"
     "for the candidates, so it always matches the installed jmake: commands, subcommands,\n"
     "options, daemon names, job types and states, configuration keys, files and folders,\n"
     "and the ids of the jobs the running daemons know.",
     "source <(jmake completion bash)\n  jmake completion fish > ~/.config/fish/completions/jmake.fish", "SHELL",
     NULL, NULL, 0},
    {"wrap", cli_wrap, "wrap LIB.so [--header H]... [--lang julia|python] [--output DIR] [--module NAME]\n"
     "           [--include DIR]... [--load-as NAME] [--json] [--no-start]",
     "Julia and Python modules for a shared library",
     "Runs a wrapping job through the build daemon and waits for it: DIR/julia/Module.jl (ccall\n"
     "wrappers) and DIR/python/module.py (ctypes), DIR defaulting to the current folder. Headers\n"
     "give typed wrappers (parsed with libclang); without them every exported function gets a\n"
     "wrapper of unknown signature. A LIB.so that does not exist is looked for on the linker's\n"
     "search path. Both languages unless --lang (repeatable). docs/BINDINGS.md has the details.",
     "jmake wrap /usr/lib/x86_64-linux-gnu/libz.so.1 --header /usr/include/zlib.h --lang python", "LIB.so",
     wrap_options, NULL, CLI_NEEDS_DAEMONS},
    {"help", cli_help, "help [COMMAND]", "describe a command", "Prints the usage and description of COMMAND.",
     "jmake help build", "[COMMAND]", NULL, NULL, 0},
};

const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

const cli_option cli_global_options[] = {
    {"--home", NULL, "DIR",
     "the daemon home (default: $JMAKE_HOME, else $XDG_STATE_HOME/jmake,\nelse ~/.local/state/jmake)"},
    {"--json", NULL, NULL, "machine-readable output on read commands"},
    {"--color", NULL, "WHEN", "colours: auto (on a terminal, unless NO_COLOR is set), always, never"},
    {"--version", "-V", NULL, "print the version"},
    {"--help", "-h", NULL, "this text, or a command's with the command"},
    END_OPTIONS,
};

const cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

const cli_subcommand *cli_subcommand_find(const cli_command *cmd, const char *name)
{
    for (const cli_subcommand *s = cmd ? cmd->subcommands : NULL; s && s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static const cli_option *find_in(const cli_option *options, const char *name)
{
    for (const cli_option *o = options; o && o->name; o++)
        if (strcmp(o->name, name) == 0 || (o->alias && strcmp(o->alias, name) == 0))
            return o;
    return NULL;
}

const cli_option *cli_option_find(const cli_command *cmd, const cli_subcommand *sub, const char *name)
{
    const cli_option *o = sub ? find_in(sub->options, name) : NULL;
    if (!o && cmd)
        o = find_in(cmd->options, name);
    return o ? o : find_in(cli_global_options, name);
}

/* ---- Help and usage ---- */

#define HELP_OPTION_WIDTH 14

/* "  --home DIR   summary", later lines of the summary under its first. */
static void print_option(FILE *out, const cli_option *opt)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s%s%s", opt->alias ? opt->alias : "", opt->alias ? ", " : "", opt->name,
             opt->value ? " " : "", opt->value ? opt->value : "");
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
    fprintf(out, "usage: jmake [--home DIR] [--json] [--color WHEN] COMMAND [ARGS]\n\n"
                 "jmake keeps C and C++ projects built in the background: six daemons, a persistent\n"
                 "priority job queue, incremental and cached compilation.\n\nCommands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\nOptions (anywhere on the line):\n");
    for (const cli_option *opt = cli_global_options; opt->name; opt++)
        print_option(out, opt);
    fprintf(out, "\nExit codes: 0 success, 1 job failed or cancelled, 2 usage or input error,\n"
                 "3 daemons not running or unreachable, 4 timeout.\n"
                 "`jmake help COMMAND` or `jmake COMMAND --help` describes a command.\n");
}

void cli_print_command_help(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: jmake %s\n\n%s.\n\n%s\n", cmd->usage, cmd->summary, cmd->details);
    if (cmd->subcommands) {
        fprintf(out, "\nSubcommands:\n");
        for (const cli_subcommand *sub = cmd->subcommands; sub->name; sub++) {
            fprintf(out, "  %-10s %s\n", sub->name, sub->summary);
            for (const cli_option *opt = sub->options; opt && opt->name; opt++) {
                fputs("  ", out);
                print_option(out, opt);
            }
        }
    }
    if (cmd->options) {
        fprintf(out, "\nOptions:\n");
        for (const cli_option *opt = cmd->options; opt->name; opt++)
            print_option(out, opt);
    }
    fprintf(out, "\nGlobal options: --home DIR, --json, --color WHEN, --help (see `jmake --help`).\n");
    fprintf(out, "\nExample:\n  %s\n", cmd->example);
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

static jmake_client *connect_or_say(cli *c)
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

jmake_client *cli_connect(cli *c)
{
    /* Every command the table marks CLI_NEEDS_DAEMONS starts them when none run,
       whichever file it lives in and however it reaches the orchestrator. */
    if (c->command && (c->command->flags & CLI_NEEDS_DAEMONS)) {
        int code;
        return cli_connect_autostart(c, &code);
    }
    return connect_or_say(c);
}

jmake_client *cli_connect_autostart(cli *c, int *code)
{
    *code = EXIT_UNREACHABLE;
    jmake_client *client = NULL;
    if (jmake_connect(c->home, &client) == JMAKE_OK)
        return client;
    jmake_disconnect(client);
    if (c->no_start)
        return connect_or_say(c);
    /* Under the start lock: either this client starts them, or it waits for the one
     * that does (a socket not there yet is a start in progress, not a failure). */
    bool started = false;
    int rc = cli_ensure_daemons(c, &started);
    if (rc != EXIT_OK) {
        *code = rc;
        return NULL;
    }
    if (started)
        fprintf(stderr, "jmake: the daemons were not running: started them (home %s)\n", c->home);
    return connect_or_say(c);
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
