/* cli_config.h - `jmake config check [FILE]...`: validates daemon and project configuration files. */
#ifndef JMAKE_CLI_CONFIG_H
#define JMAKE_CLI_CONFIG_H

#include <stdbool.h>

/* argv[0] is "check". Files named jmake.toml, or holding a top-level [project] or [paths] table,
 * are project files; every other file is daemon configuration, and all of those are checked
 * together as one configuration (so a key set in two of them is found). Without files: the
 * daemon configuration of home and ./jmake.toml when present. Problems go to stderr as
 * FILE:LINE:COL: error|warning: message; "FILE: ok" to stdout for each file without errors.
 * Returns the exit code: 0, or 2 when any error was found or on a usage error. */
int cli_config_check(const char *home, int argc, char **argv);
/* The same; with json, one JSON object on stdout (files, diagnostics, counts) and nothing on stderr. */
int cli_config_check_as(const char *home, int argc, char **argv, bool json);

#endif
