/* jobtype.h - the one table of job types: name, the daemon that runs it, what a job of the type needs. */
#ifndef JMAKE_JOBTYPE_H
#define JMAKE_JOBTYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* Adding a job type: one row in job_type_table (jobtype.c) and one handler in
 * the descriptor of the worker daemon that runs it (src/workers/). The job
 * store, job-file validation and the orchestrator read everything else from
 * the row. */
typedef enum job_type {
    JOB_TYPE_COMPILATION,
    JOB_TYPE_WRAPPING,
    JOB_TYPE_DISCOVERY,
    JOB_TYPE_ERROR_ANALYSIS,
    JOB_TYPE_COUNT
} job_type;

/* The fields a type may need or read. config_file and binary_path are fields
 * of every job and are checked on any job that has them (jobfile.c); the
 * JOB_FIELD_ARGS_* are members of args, checked only on the types that read them. */
typedef enum job_field {
    JOB_FIELD_CONFIG_FILE,
    JOB_FIELD_BINARY_PATH,
    JOB_FIELD_ARGS_PATH,
    JOB_FIELD_ARGS_JOB,
    JOB_FIELD_ARGS_LOG,
    JOB_FIELD_COUNT
} job_field;
#define JOB_FIELD_BIT(field) (1u << (field))

/* What a field must hold. */
typedef enum job_field_value {
    JOB_VALUE_FILE,         /* an absolute path of an existing regular file */
    JOB_VALUE_FOLDER,       /* an absolute path of an existing folder */
    JOB_VALUE_JOB_ID,       /* a job id (jobfile_id_valid) */
} job_field_value;

typedef struct job_field_info {
    const char *name;       /* as errors name it: "config_file", "args.path" */
    const char *args_key;   /* its key inside args ("path"), NULL for a field of the job itself */
    job_field_value value;
} job_field_info;

extern const job_field_info job_field_table[JOB_FIELD_COUNT];

/* Flags of a job type. */
enum {
    /* Its config_file must load as a project whose sources exist. */
    JOB_TYPE_LOADS_PROJECT = 1u << 0,
    /* It adds objects to the shared cache: the build daemon trims the cache after each one. */
    JOB_TYPE_FILLS_CACHE = 1u << 1,
    /* A final failure is followed by an error_analysis job "<ID>.analysis" (SPEC 7). */
    JOB_TYPE_ANALYSE_FAILURES = 1u << 2,
};

typedef struct job_type_info {
    const char *name;       /* as in job files and on the wire: "error_analysis" */
    daemon_kind daemon;     /* the worker daemon that runs jobs of this type */
    /* Required: at least one of these fields (JOB_FIELD_BIT set; 0: nothing
     * required). A job without any is refused with "<name> job needs <needs_text>". */
    unsigned needs;
    const char *needs_text;
    /* Optional: the members of args it reads (JOB_FIELD_BIT set), each
     * checked when present; other members of args are passed on unchecked. */
    unsigned reads_args;
    unsigned flags;         /* JOB_TYPE_LOADS_PROJECT, JOB_TYPE_FILLS_CACHE, JOB_TYPE_ANALYSE_FAILURES */
} job_type_info;

extern const job_type_info job_type_table[JOB_TYPE_COUNT];

/* The type called name, or -1 (name may be NULL). */
int job_type_from_name(const char *name);

/* The type names in table order as a person reads a list: "a, b, c or d".
 * Writes at most size bytes (always NUL-terminated); returns buf. */
const char *job_type_names_text(char *buf, size_t size);

#endif
