/* cli_init.c - `jmake init [DIR]`: a discovery job through the daemons, then a jmake.toml written or completed. */
#include <stdio.h>

#include "cli.h"

int cli_init(cli *c, int argc, char **argv)
{
    (void)c;
    (void)argc;
    (void)argv;
    fprintf(stderr, "jmake: init is not implemented yet\n");
    return EXIT_USAGE;
}
