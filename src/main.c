/* main.c - the jmake executable: global options, then a command of the table (cli.c) or, hidden, `jmake daemon NAME`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "home.h"
#include "orchestrator.h"
#include "util.h"
#include "worker.h"

/* `jmake daemon NAME` is how the orchestrator is started (by `jmake start`) and how it
 * starts the workers. It lives here, not in the command table, so that the command line
 * library does not depend on the daemons. */
#define DAEMON_COMMAND "daemon"
#define DAEMON_USAGE "usage: jmake daemon NAME\n"

static int run_daemon(const cli *c, int argc, char **argv)
{
    if (argc != 2) {
        fputs(DAEMON_USAGE, stderr);
        return EXIT_USAGE;
    }
    int kind = cli_daemon_from_name(argv[1]);
    if (kind < 0)
        return EXIT_USAGE;
    if (kind == DAEMON_ORCHESTRATOR)
        return orchestrator_main(c->home);
    return worker_main((daemon_kind)kind, c->home);
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
            cli_print_help(stdout);
            free(rest);
            return EXIT_OK;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (nrest == 0) {
        cli_print_help(stderr);
        free(rest);
        return EXIT_USAGE;
    }
    bool is_daemon = strcmp(rest[0], DAEMON_COMMAND) == 0;
    const cli_command *cmd = is_daemon ? NULL : cli_command_find(rest[0]);
    if (!cmd && !is_daemon) {
        fprintf(stderr, "jmake: unknown command '%s' (see jmake --help)\n", rest[0]);
        free(rest);
        return EXIT_USAGE;
    }
    for (int i = 1; i < nrest; i++)
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            /* The daemon command has no help of its own: help says it is unknown. */
            char *help_argv[] = {"help", rest[0], NULL};
            int rc = cli_help(&c, 2, help_argv);
            free(rest);
            return rc;
        }
    c.home = home_resolve(home_opt);
    if (!c.home) {
        fprintf(stderr, "jmake: cannot find a daemon home: give --home DIR or set JMAKE_HOME\n");
        free(rest);
        return EXIT_USAGE;
    }
    int rc = is_daemon ? run_daemon(&c, nrest, rest) : cmd->run(&c, nrest, rest);
    free(c.home);
    free(rest);
    return rc;
}
