/* cli_term.c - what the command line prints to a terminal and what it does not: colours (--color, NO_COLOR) and plurals. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

bool cli_use_color(const cli *c, FILE *stream)
{
    if (c->color_mode == CLI_COLOR_NEVER)
        return false;
    /* https://no-color.org: set and not empty means no colours, whatever --color says
     * (the user's environment wins over a script's --color=always). */
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return false;
    if (c->color_mode == CLI_COLOR_ALWAYS)
        return true;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(stream));
}

const char *cli_paint_on(const cli *c, FILE *stream, cli_paint paint)
{
    if (!cli_use_color(c, stream))
        return "";
    switch (paint) {
    case CLI_PAINT_ERROR:
        return "\033[1;31m";
    case CLI_PAINT_WARNING:
        return "\033[1;35m";
    case CLI_PAINT_GOOD:
        return "\033[1;32m";
    case CLI_PAINT_BOLD:
        return "\033[1m";
    }
    return "";
}

const char *cli_paint_off(const cli *c, FILE *stream)
{
    return cli_use_color(c, stream) ? "\033[0m" : "";
}

const char *cli_plural(long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}
