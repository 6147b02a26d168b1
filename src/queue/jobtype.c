/* jobtype.c - the one table of job types (jobtype.h). */
#include "jobtype.h"

#include <stdio.h>
#include <string.h>

const job_field_info job_field_table[JOB_FIELD_COUNT] = {
    [JOB_FIELD_CONFIG_FILE] = {"config_file", NULL, JOB_VALUE_FILE},
    [JOB_FIELD_BINARY_PATH] = {"binary_path", NULL, JOB_VALUE_FILE},
    [JOB_FIELD_ARGS_PATH] = {"args.path", "path", JOB_VALUE_FOLDER},
    [JOB_FIELD_ARGS_JOB] = {"args.job", "job", JOB_VALUE_JOB_ID},
    [JOB_FIELD_ARGS_LOG] = {"args.log", "log", JOB_VALUE_FILE},
};

/* The error texts are part of the interface (docs/QUEUE.md, "Required per type"). */
const job_type_info job_type_table[JOB_TYPE_COUNT] = {
    [JOB_TYPE_COMPILATION] = {
        .name = "compilation",
        .daemon = DAEMON_COMPILATION,
        .needs = JOB_FIELD_BIT(JOB_FIELD_CONFIG_FILE),
        .needs_text = "config_file (the project's jmake.toml)",
        .flags = JOB_TYPE_LOADS_PROJECT | JOB_TYPE_FILLS_CACHE | JOB_TYPE_ANALYSE_FAILURES,
    },
    [JOB_TYPE_WRAPPING] = {
        .name = "wrapping",
        .daemon = DAEMON_BUILD,
        .needs = JOB_FIELD_BIT(JOB_FIELD_BINARY_PATH),
        .needs_text = "binary_path (the library to wrap)",
    },
    [JOB_TYPE_DISCOVERY] = {
        .name = "discovery",
        .daemon = DAEMON_DISCOVERY,
        .needs = JOB_FIELD_BIT(JOB_FIELD_CONFIG_FILE) | JOB_FIELD_BIT(JOB_FIELD_ARGS_PATH),
        .needs_text = "config_file (a jmake.toml) or args.path (a folder)",
        .reads_args = JOB_FIELD_BIT(JOB_FIELD_ARGS_PATH),
    },
    [JOB_TYPE_ERROR_ANALYSIS] = {
        .name = "error_analysis",
        .daemon = DAEMON_ERROR_HANDLER,
        .needs = JOB_FIELD_BIT(JOB_FIELD_ARGS_JOB) | JOB_FIELD_BIT(JOB_FIELD_ARGS_LOG),
        .needs_text = "args.job (a job id) or args.log (a compiler log file)",
        .reads_args = JOB_FIELD_BIT(JOB_FIELD_ARGS_JOB) | JOB_FIELD_BIT(JOB_FIELD_ARGS_LOG),
    },
};

int job_type_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int t = 0; t < JOB_TYPE_COUNT; t++)
        if (strcmp(name, job_type_table[t].name) == 0)
            return t;
    return -1;
}

const char *job_type_names_text(char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (int t = 0; t < JOB_TYPE_COUNT && used < size; t++) {
        const char *sep = t == 0 ? "" : t == JOB_TYPE_COUNT - 1 ? " or " : ", ";
        int n = snprintf(buf + used, size - used, "%s%s", sep, job_type_table[t].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}
