/* wrap_jobs.c - the build daemon's wrapping jobs: a library (binary_path) and the args of docs/BINDINGS.md to a Julia and a Python module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "util.h"
#include "wrap_jobs.h"

#define WRAP_DIR "wrap"

static worker_outcome wrap_failed(bool retryable, char *reason)
{
    worker_outcome out = {.completed = false, .retryable = retryable, .reason = reason};
    return out;
}

/* args.KEY as a list of absolute paths (relative ones against base, when there is one). */
static int args_paths(const cJSON *args, const char *key, const char *base, strvec *out, char **reason)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(args, key);
    if (!list)
        return 0;
    if (cJSON_IsString(list)) {
        strvec_push_owned(out, path_absolute(base, list->valuestring));
        return 0;
    }
    if (!cJSON_IsArray(list)) {
        *reason = xasprintf("args.%s must be a list of paths", key);
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (!cJSON_IsString(e) || (e->valuestring[0] != '/' && !base)) {
            *reason = xasprintf("args.%s: every entry must be an absolute path", key);
            return -1;
        }
        strvec_push_owned(out, path_absolute(base, e->valuestring));
    }
    return 0;
}

worker_outcome worker_run_wrapping(worker_job *job)
{
    const char *binary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(job->job, "binary_path"));
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(job->job, "config_file"));
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(job->job, "args");
    if (!binary)
        return wrap_failed(false, xstrdup("wrapping needs binary_path (the library to wrap)"));
    char *base = config ? path_dirname(config) : NULL;
    char *reason = NULL;
    cJSON *warnings = cJSON_CreateArray();

    bool elsewhere = false;
    char where[2048];
    char *library = bindings_find_library(binary, &elsewhere, where, sizeof where);
    if (!library) {
        free(base);
        cJSON_Delete(warnings);
        return wrap_failed(false, xasprintf("%s does not exist, and %s is not in the linker's folders (%s)", binary,
                                            path_basename(binary), where));
    }
    if (elsewhere) {
        char *w = xasprintf("%s does not exist: wrapping %s, found on the linker's search path", binary, library);
        cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
        free(w);
    }

    strvec headers = {0}, include_dirs = {0};
    if (args_paths(args, "headers", base, &headers, &reason) != 0 ||
        args_paths(args, "include_dirs", base, &include_dirs, &reason) != 0) {
        free(base);
        free(library);
        strvec_free(&headers);
        strvec_free(&include_dirs);
        cJSON_Delete(warnings);
        return wrap_failed(false, reason);
    }
    /* A header's own folder is searched first, as #include "..." would. */
    for (size_t i = 0; i < headers.n; i++) {
        char *dir = path_dirname(headers.v[i]);
        if (!strvec_contains(&include_dirs, dir))
            strvec_push(&include_dirs, dir);
        free(dir);
    }
    bool julia = true, python = true;
    const cJSON *langs = cJSON_GetObjectItemCaseSensitive(args, "languages");
    if (cJSON_IsArray(langs)) {
        julia = python = false;
        const cJSON *l;
        cJSON_ArrayForEach(l, langs)
        {
            const char *s = cJSON_GetStringValue(l);
            if (s && strcmp(s, "julia") == 0)
                julia = true;
            else if (s && strcmp(s, "python") == 0)
                python = true;
            else
                reason = xasprintf("args.languages: unknown language '%s' (julia or python)", s ? s : "?");
        }
    }
    const char *out_arg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, "output_dir"));
    /* Without output_dir: beside the project's jmake.toml, else in the home's wrap/ folder. */
    char *out_dir = out_arg ? path_absolute(base, out_arg) : base ? xstrdup(base) : path_join(job->home, WRAP_DIR);
    char *julia_dir = path_join(out_dir, "julia"), *python_dir = path_join(out_dir, "python");
    worker_outcome out = {0};
    if (reason) {
        out = wrap_failed(false, reason);
    } else {
        bindings_request req = {
            .binary_path = library,
            .load_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, "load_name")),
            .headers = &headers,
            .include_dirs = &include_dirs,
            .module_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, "module_name")),
            .julia = julia,
            .python = python,
            .julia_dir = julia_dir,
            .python_dir = python_dir,
            .type_mappings = cJSON_GetObjectItemCaseSensitive(args, "type_mappings"),
            .cancel = &job->cancel,
            .timeout_ms = (int)(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(job->job, "timeout_seconds")) * 1000),
            .log_path = job->log_path,
        };
        if (req.timeout_ms < 0)
            req.timeout_ms = 0;
        cJSON *result = NULL;
        bindings_status st = bindings_wrap(&req, &result, &reason);
        /* The lookup's warning goes first: it says which file was wrapped. */
        cJSON *rw = cJSON_GetObjectItemCaseSensitive(result, "warnings");
        for (int i = cJSON_GetArraySize(warnings) - 1; i >= 0; i--)
            cJSON_InsertItemInArray(rw, 0, cJSON_DetachItemFromArray(warnings, i));
        out.result = result;
        if (st == BINDINGS_OK) {
            out.completed = true;
        } else {
            out.reason = reason;
            /* A crashed parser may pass on a second try; bad input will not. */
            out.retryable = st == BINDINGS_PARSE_FAILED;
        }
    }
    cJSON_Delete(warnings);
    free(julia_dir);
    free(python_dir);
    free(out_dir);
    free(library);
    free(base);
    strvec_free(&headers);
    strvec_free(&include_dirs);
    return out;
}
