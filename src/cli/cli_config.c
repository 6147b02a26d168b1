/* cli_config.c - `jmake config check`: sorts files into project and daemon configuration and reports every problem. */
#include "cli_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "project.h"
#include "toml.h"
#include "util.h"

/* A file is a project file by its name or by the tables only a jmake.toml has. A file that
 * does not parse is judged by its name alone; its syntax error is reported either way. */
static bool is_project_file(const char *path)
{
    if (strcmp(path_basename(path), "jmake.toml") == 0)
        return true;
    toml_error err;
    toml_value *root = toml_parse_file(path, &err);
    if (!root)
        return false;
    const toml_value *project = toml_table_get(root, "project");
    const toml_value *paths = toml_table_get(root, "paths");
    bool yes = (project && project->type == TOML_TABLE) || (paths && paths->type == TOML_TABLE);
    toml_free(root);
    return yes;
}

static bool has_error_for(const diag_list *diags, const char *path)
{
    for (size_t i = 0; i < diags->count; i++)
        if (diags->items[i].severity == DIAG_ERROR && diags->items[i].file &&
            strcmp(diags->items[i].file, path) == 0)
            return true;
    return false;
}

static void report_ok(const diag_list *diags, const char *const *paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!has_error_for(diags, paths[i]))
            printf("%s: ok\n", paths[i]);
}

int cli_config_check(const char *home, int argc, char **argv)
{
    strvec daemon_files = {0}, project_files = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: jmake config check [FILE]...\n");
            strvec_free(&daemon_files);
            strvec_free(&project_files);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "jmake config check: unknown option '%s'\nusage: jmake config check [FILE]...\n",
                    argv[i]);
            strvec_free(&daemon_files);
            strvec_free(&project_files);
            return 2;
        }
        strvec_push(is_project_file(argv[i]) ? &project_files : &daemon_files, argv[i]);
    }

    bool defaults_only = false;
    if (argc <= 1) {
        for (size_t i = 0; i < config_file_count; i++) {
            char *p = path_join(home, config_file_names[i]);
            if (file_exists(p))
                strvec_push_owned(&daemon_files, p);
            else
                free(p);
        }
        defaults_only = daemon_files.n == 0;
        if (file_exists("jmake.toml"))
            strvec_push(&project_files, "jmake.toml");
    }

    diag_list diags = {0};
    if (daemon_files.n > 0)
        config_check_files((const char *const *)daemon_files.v, daemon_files.n, &diags);
    for (size_t i = 0; i < project_files.n; i++) {
        project_config project;
        project_load(project_files.v[i], &project, &diags);
        project_free(&project);
    }
    diag_print(&diags, stderr);
    fflush(stderr);
    report_ok(&diags, (const char *const *)daemon_files.v, daemon_files.n);
    report_ok(&diags, (const char *const *)project_files.v, project_files.n);
    if (defaults_only)
        printf("%s: no daemon configuration files; the defaults apply\n", home);

    int code = diags.errors > 0 ? 2 : 0;
    diag_free(&diags);
    strvec_free(&daemon_files);
    strvec_free(&project_files);
    return code;
}

int cli_config(cli *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage("config");
    return cli_config_check(c->home, argc - 1, argv + 1);
}
