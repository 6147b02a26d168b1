/* cli_watch.c - `jmake watch add|remove|list [DIR]`: the projects the watcher rebuilds on change. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* DIR (default .) as its jmake.toml, absolute, the way `jmake build` names it (caller frees). */
static char *config_of_dir(const char *dir)
{
    char *abs = path_absolute(NULL, dir ? dir : ".");
    char *config = strcmp(path_extension(abs), ".toml") == 0 ? xstrdup(abs) : path_join(abs, "jmake.toml");
    free(abs);
    return config;
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(obj, key));
    return s ? s : "";
}

static void print_list(const cJSON *projects)
{
    if (cJSON_GetArraySize(projects) == 0) {
        printf("no project is watched (add one with `jmake watch add DIR`)\n");
        return;
    }
    int64_t now = clock_wall_ms();
    const cJSON *p;
    cJSON_ArrayForEach(p, projects)
    {
        const cJSON *last = cJSON_GetObjectItem(p, "last_build");
        char lastbuf[160] = "no build yet";
        if (last) {
            double ago = (double)(now - (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(last, "finished_ms"))) / 1000;
            snprintf(lastbuf, sizeof lastbuf, "last build %s %s, %.0f s ago", str_of(last, "id"), str_of(last, "state"),
                     ago < 0 ? 0 : ago);
        }
        printf("%s  %s  %s%s%s\n", str_of(p, "config"), str_of(p, "state"), lastbuf,
               cJSON_GetObjectItem(p, "pending") ? ", a build pending" : "",
               cJSON_GetNumberValue(cJSON_GetObjectItem(p, "running")) > 0 ? ", building" : "");
        if (cJSON_GetObjectItem(p, "detail"))
            printf("  %s\n", str_of(p, "detail"));
    }
}

int cli_watch(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("watch");
    const char *sub = argv[1];
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else if (strcmp(argv[i], "--json") == 0)
            c->json = true;
        else
            return cli_usage("watch");
    }
    cJSON *req = cJSON_CreateObject();
    if (strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0) {
        char *config = config_of_dir(dir);
        cJSON_AddStringToObject(req, "op", strcmp(sub, "add") == 0 ? "watch_add" : "watch_remove");
        cJSON_AddStringToObject(req, "config", config);
        free(config);
    } else if (strcmp(sub, "list") == 0 && !dir) {
        cJSON_AddStringToObject(req, "op", "watch_list");
    } else {
        cJSON_Delete(req);
        return cli_usage("watch");
    }
    int code = EXIT_OK;
    cJSON *reply = cli_request(c, req, &code);
    if (!reply)
        return code;
    if (strcmp(sub, "list") == 0) {
        const cJSON *projects = cJSON_GetObjectItem(reply, "projects");
        if (c->json) {
            char *text = cJSON_Print(projects);
            printf("%s\n", text);
            free(text);
        } else {
            print_list(projects);
        }
    } else if (strcmp(sub, "add") == 0) {
        char *config = config_of_dir(dir);
        bool added = cJSON_IsTrue(cJSON_GetObjectItem(reply, "added"));
        if (c->json)
            printf("{\"config\": \"%s\", \"added\": %s}\n", config, added ? "true" : "false");
        else
            printf(added ? "watching %s\n" : "%s was already watched\n", config);
        free(config);
    } else if (!c->json) {
        char *config = config_of_dir(dir);
        printf("no longer watching %s\n", config);
        free(config);
    }
    cJSON_Delete(reply);
    return EXIT_OK;
}

void cli_watch_print_warnings(cli *c)
{
    jmake_client *client = NULL;
    if (jmake_connect(c->home, &client) != JMAKE_OK) {
        jmake_disconnect(client);
        return;
    }
    char *reply_text = NULL;
    if (jmake_request(client, "{\"op\":\"status\"}", &reply_text) == JMAKE_OK) {
        cJSON *reply = cJSON_Parse(reply_text);
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(reply, "watch"))
        {
            if (cJSON_GetObjectItem(p, "detail"))
                printf("Watch %s: %s: %s\n", str_of(p, "config"), str_of(p, "state"), str_of(p, "detail"));
        }
        cJSON_Delete(reply);
    }
    jmake_free(reply_text);
    jmake_disconnect(client);
}
