/* cli_wrap.c - `jmake wrap LIB.so`: a wrapping job through the build daemon, waited for, its modules and counts printed. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "cli.h"
#include "util.h"

static int wrap_usage(const char *why)
{
    if (why)
        fprintf(stderr, "jmake wrap: %s\n", why);
    return cli_usage("wrap");
}

static void print_wrap_result(const cJSON *job)
{
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(job, "result");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(result, "diagnostics")) fprintf(stderr, "%s\n", e->valuestring);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(result, "warnings")) fprintf(stderr, "jmake wrap: warning: %s\n", e->valuestring);
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(job, "state"));
    if (!state || strcmp(state, "completed") != 0) {
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(job, "reason"));
        fprintf(stderr, "jmake wrap: %s: %s\n", state ? state : "failed", reason ? reason : "no reason given");
        return;
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(result, "functions");
    const cJSON *langs[] = {cJSON_GetObjectItemCaseSensitive(f, "julia"), cJSON_GetObjectItemCaseSensitive(f, "python")};
    const cJSON *lang = langs[0] ? langs[0] : langs[1];
    printf("%d functions: %d typed, %d with unknown signatures\n",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "exported")),
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lang, "typed")),
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lang, "fallback")));
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(result, "files")) printf("wrote %s\n", e->valuestring);
}

int cli_wrap(cli *c, int argc, char **argv)
{
    const char *library = NULL, *output = NULL, *module = NULL, *load_as = NULL;
    strvec headers = {0}, includes = {0}, langs = {0};
    int code = EXIT_USAGE;
    /* Options come parsed from the command table (cli_parse.c): repeatable ones in order. */
    for (size_t i = 0; i < c->value_count; i++) {
        const char *name = c->values[i].option->name, *val = c->values[i].value;
        if (strcmp(name, "--header") == 0) {
            strvec_push_owned(&headers, path_absolute(NULL, val));
        } else if (strcmp(name, "--include") == 0) {
            strvec_push_owned(&includes, path_absolute(NULL, val));
        } else if (strcmp(name, "--lang") == 0) {
            if (strcmp(val, "julia") != 0 && strcmp(val, "python") != 0) {
                code = wrap_usage("--lang is julia or python");
                goto done;
            }
            strvec_push(&langs, val);
        } else if (strcmp(name, "--output") == 0) {
            output = val;
        } else if (strcmp(name, "--module") == 0) {
            module = val;
        } else if (strcmp(name, "--load-as") == 0) {
            load_as = val;
        }
    }
    if (argc >= 2)
        library = argv[1];
    if (!library) {
        code = wrap_usage("name the shared library to wrap");
        goto done;
    }
    for (size_t i = 0; i < headers.n; i++)
        if (!file_exists(headers.v[i])) {
            fprintf(stderr, "jmake wrap: %s: no such header\n", headers.v[i]);
            goto done;
        }
    bool elsewhere = false;
    char where[2048];
    char *path = bindings_find_library(library, &elsewhere, where, sizeof where);
    if (!path) {
        fprintf(stderr, "jmake wrap: %s: no such file, and not in the linker's folders (%s)\n", library, where);
        goto done;
    }
    if (elsewhere)
        fprintf(stderr, "jmake wrap: warning: %s does not exist: wrapping %s, found on the linker's search path\n",
                library, path);

    cJSON *args = cJSON_CreateObject();
    cJSON *h = cJSON_AddArrayToObject(args, "headers");
    for (size_t i = 0; i < headers.n; i++)
        cJSON_AddItemToArray(h, cJSON_CreateString(headers.v[i]));
    if (includes.n) {
        cJSON *inc = cJSON_AddArrayToObject(args, "include_dirs");
        for (size_t i = 0; i < includes.n; i++)
            cJSON_AddItemToArray(inc, cJSON_CreateString(includes.v[i]));
    }
    if (langs.n) {
        cJSON *l = cJSON_AddArrayToObject(args, "languages");
        for (size_t i = 0; i < langs.n; i++)
            cJSON_AddItemToArray(l, cJSON_CreateString(langs.v[i]));
    }
    char *out_dir = path_absolute(NULL, output ? output : ".");
    cJSON_AddStringToObject(args, "output_dir", out_dir);
    free(out_dir);
    if (module)
        cJSON_AddStringToObject(args, "module_name", module);
    if (load_as)
        cJSON_AddStringToObject(args, "load_name", load_as);
    char *args_json = cJSON_PrintUnformatted(args);
    cJSON_Delete(args);

    jmake_client *client = cli_connect(c);
    if (!client) {
        code = EXIT_UNREACHABLE;
        free(args_json);
        free(path);
        goto done;
    }
    jmake_job_options o = {.type = "wrapping", .priority = 1, .binary_path = path, .args_json = args_json};
    char *id = NULL;
    int rc = jmake_submit_job(client, &o, &id);
    free(args_json);
    free(path);
    if (rc != JMAKE_OK) {
        code = cli_fail(client, rc);
        jmake_disconnect(client);
        goto done;
    }
    jmake_job_state state;
    rc = jmake_wait_for_job(client, id, -1, &state);
    char *text = NULL;
    if (rc == JMAKE_OK)
        rc = jmake_get_job_results(client, id, &text);
    if (rc != JMAKE_OK) {
        code = cli_fail(client, rc);
    } else {
        cJSON *reply = cJSON_Parse(text);
        cJSON *job = cJSON_GetObjectItemCaseSensitive(reply, "job");
        if (!job)
            job = reply;
        if (c->json) {
            char *r = cJSON_Print(cJSON_GetObjectItemCaseSensitive(job, "result"));
            printf("%s\n", r ? r : "null");
            free(r);
        } else {
            print_wrap_result(job);
        }
        code = state == JMAKE_JOB_COMPLETED ? EXIT_OK : EXIT_JOB_FAILED;
        cJSON_Delete(reply);
    }
    jmake_free(text);
    jmake_free(id);
    jmake_disconnect(client);
done:
    strvec_free(&headers);
    strvec_free(&includes);
    strvec_free(&langs);
    return code;
}
