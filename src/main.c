/* main.c - the jmake executable: a command of the table (cli.c) parsed by cli_parse, or, hidden, `jmake daemon NAME` and `jmake __complete`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "home.h"
#include "orchestrator.h"
#include "util.h"
#include "worker.h"

/* `jmake daemon NAME [--home DIR]` is how the orchestrator is started (by `jmake start`)
 * and how it starts the workers: always with these words in this order. It lives here,
 * not in the command table, so that the command line library does not depend on the
 * daemons. */
#define DAEMON_COMMAND "daemon"
#define DAEMON_USAGE "usage: jmake daemon NAME [--home DIR]\n"
/* `jmake __complete WORD...`: what the completion scripts call (cli_complete.c). */
#define COMPLETE_COMMAND "__complete"

static int run_daemon(int argc, char **argv)
{
    const char *home_opt = NULL;
    if (argc == 5 && strcmp(argv[3], "--home") == 0)
        home_opt = argv[4];
    else if (argc == 4 && strncmp(argv[3], "--home=", 7) == 0)
        home_opt = argv[3] + 7;
    else if (argc != 3) {
        fputs(DAEMON_USAGE, stderr);
        return EXIT_USAGE;
    }
    int kind = cli_daemon_from_name(argv[2]);
    if (kind < 0)
        return EXIT_USAGE;
    char *home = home_resolve(home_opt);
    if (!home) {
        fprintf(stderr, "jmake: cannot find a daemon home: give --home DIR or set JMAKE_HOME\n");
        return EXIT_USAGE;
    }
    int rc = kind == DAEMON_ORCHESTRATOR ? orchestrator_main(home) : worker_main((daemon_kind)kind, home);
    free(home);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], DAEMON_COMMAND) == 0)
        return run_daemon(argc, argv);
    if (argc >= 2 && strcmp(argv[1], COMPLETE_COMMAND) == 0)
        return cli_complete_words(stdout, argc - 2, argv + 2);

    cli c;
    char err[512];
    cli_parse_result parsed = cli_parse(&c, argc, argv, err, sizeof err);
    int rc = EXIT_OK;
    switch (parsed) {
    case CLI_PARSE_VERSION:
        printf("jmake %s (protocol %d)\n", JMAKE_VERSION, JMAKE_PROTOCOL_VERSION);
        break;
    case CLI_PARSE_HELP:
        if (c.command)
            cli_print_command_help(stdout, c.command);
        else
            cli_print_help(stdout);
        break;
    case CLI_PARSE_USAGE:
        fprintf(stderr, "%s\n", err);
        if (c.command)
            cli_usage(c.command->name);
        else if (c.operand_count == 0)
            fprintf(stderr, "usage: jmake [--home DIR] [--json] [--color WHEN] COMMAND [ARGS] (commands: jmake help)\n");
        rc = EXIT_USAGE;
        break;
    case CLI_PARSE_OK:
        c.home = home_resolve(c.home_option);
        if (!c.home) {
            fprintf(stderr, "jmake: cannot find a daemon home: give --home DIR or set JMAKE_HOME\n");
            rc = EXIT_USAGE;
            break;
        }
        rc = c.command->run(&c, c.operand_count, c.operands);
        break;
    }
    cli_free(&c);
    return rc;
}
