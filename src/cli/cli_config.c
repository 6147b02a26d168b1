/* cli_config.c - `jmake config check`: sorts files into project and daemon configuration and reports every problem. */
#include "cli_config.h"

#include <cjson/cJSON.h>
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

static const char *const severity_names[] = {[DIAG_ERROR] = "error", [DIAG_WARNING] = "warning"};

static void add_files_json(cJSON *files, const diag_list *diags, const strvec *paths, const char *kind)
{
    for (size_t i = 0; i < paths->n; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", paths->v[i]);
        cJSON_AddStringToObject(f, "kind", kind);
        cJSON_AddBoolToObject(f, "ok", !has_error_for(diags, paths->v[i]));
        cJSON_AddItemToArray(files, f);
    }
}

/* --json: everything on stdout as one object, nothing on stderr. */
static void print_check_json(const diag_list *diags, const strvec *daemon_files, const strvec *project_files,
                             bool defaults_only)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "ok", diags->errors == 0);
    cJSON_AddNumberToObject(root, "errors", (double)diags->errors);
    cJSON_AddNumberToObject(root, "warnings", (double)diags->warnings);
    cJSON_AddBoolToObject(root, "defaults_only", defaults_only);
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    add_files_json(files, diags, daemon_files, "daemon");
    add_files_json(files, diags, project_files, "project");
    cJSON *arr = cJSON_AddArrayToObject(root, "diagnostics");
    for (size_t i = 0; i < diags->count; i++) {
        const diag_item *d = &diags->items[i];
        cJSON *o = cJSON_CreateObject();
        if (d->file)
            cJSON_AddStringToObject(o, "file", d->file);
        else
            cJSON_AddNullToObject(o, "file");
        cJSON_AddNumberToObject(o, "line", d->line);
        cJSON_AddNumberToObject(o, "column", d->column);
        cJSON_AddStringToObject(o, "severity", severity_names[d->severity]);
        cJSON_AddStringToObject(o, "message", d->message);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_Print(root);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
}

int cli_config_check(const char *home, int argc, char **argv)
{
    return cli_config_check_as(home, argc, argv, false);
}

int cli_config_check_as(const char *home, int argc, char **argv, bool json)
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
    if (json) {
        print_check_json(&diags, &daemon_files, &project_files, defaults_only);
    } else {
        diag_print(&diags, stderr);
        fflush(stderr);
        report_ok(&diags, (const char *const *)daemon_files.v, daemon_files.n);
        report_ok(&diags, (const char *const *)project_files.v, project_files.n);
        if (defaults_only)
            printf("%s: no daemon configuration files; the defaults apply\n", home);
    }

    int code = diags.errors > 0 ? 2 : 0;
    diag_free(&diags);
    strvec_free(&daemon_files);
    strvec_free(&project_files);
    return code;
}

/* One key's value in cfg as TOML text (caller frees). */
static char *key_value_text(const jm_config *cfg, const config_key *k)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case CFG_INT:
        return xasprintf("%lld", (long long)*(const int64_t *)field);
    case CFG_BOOL:
        return xstrdup(*(const bool *)field ? "true" : "false");
    case CFG_STRING:
    case CFG_PATH: {
        const char *v = *(char *const *)field;
        cJSON *s = cJSON_CreateString(v ? v : "");
        char *text = cJSON_PrintUnformatted(s); /* a JSON string is a TOML basic string */
        cJSON_Delete(s);
        return text;
    }
    case CFG_STRING_LIST: {
        const strvec *list = (const strvec *)field;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < list->n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(list->v[i]));
        char *text = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
        return text;
    }
    }
    return xstrdup("");
}

static const config_key *key_find(const char *dotted)
{
    for (size_t i = 0; i < config_key_count; i++) {
        size_t len = strlen(config_keys[i].section);
        if (strncmp(dotted, config_keys[i].section, len) == 0 && dotted[len] == '.' &&
            strcmp(dotted + len + 1, config_keys[i].name) == 0)
            return &config_keys[i];
    }
    return NULL;
}

/* `jmake config show [KEY]...`: section.name = value, as the daemons would read it. */
static int config_show(cli *c, int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (!key_find(argv[i])) {
            fprintf(stderr, "jmake config show: unknown key '%s' (keys are section.name: `jmake config show` lists them)\n",
                    argv[i]);
            return EXIT_USAGE;
        }
    jm_config cfg;
    diag_list diags = {0};
    int rc = config_load(&cfg, c->home, &diags);
    diag_print(&diags, stderr);
    diag_free(&diags);
    cJSON *root = c->json ? cJSON_CreateObject() : NULL;
    for (size_t i = 0; i < config_key_count; i++) {
        const config_key *k = &config_keys[i];
        bool wanted = argc <= 2;
        for (int a = 2; a < argc && !wanted; a++)
            wanted = key_find(argv[a]) == k;
        if (!wanted)
            continue;
        char *value = key_value_text(&cfg, k);
        if (root) {
            char *name = xasprintf("%s.%s", k->section, k->name);
            cJSON_AddItemToObject(root, name, cJSON_Parse(value));
            free(name);
        } else {
            printf("%s.%s = %s\n", k->section, k->name, value);
        }
        free(value);
    }
    if (root) {
        char *text = cJSON_Print(root);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
    }
    config_free(&cfg);
    return rc == 0 ? EXIT_OK : EXIT_USAGE;
}

int cli_config(cli *c, int argc, char **argv)
{
    if (strcmp(c->subcommand->name, "show") == 0)
        return config_show(c, argc, argv);
    return cli_config_check_as(c->home, argc - 1, argv + 1, c->json);
}
