/* jobtype.h - the one table of job types: name, the daemon that runs it, what a job of the type needs. */
#ifndef JMAKE_JOBTYPE_H
#define JMAKE_JOBTYPE_H

#include "daemon.h"

/* Adding a job type: one row in job_type_table (jobtype.c) and one handler in
 * the descriptor of the worker daemon that runs it (src/workers/). */
typedef enum job_type {
    JOB_TYPE_COMPILATION,
    JOB_TYPE_WRAPPING,
    JOB_TYPE_DISCOVERY,
    JOB_TYPE_ERROR_ANALYSIS,
    JOB_TYPE_COUNT
} job_type;

typedef struct job_type_info {
    const char *name;       /* as in job files and on the wire: "error_analysis" */
    daemon_kind daemon;     /* the worker daemon that runs jobs of this type */
} job_type_info;

extern const job_type_info job_type_table[JOB_TYPE_COUNT];

/* The type called name, or -1 (name may be NULL). */
int job_type_from_name(const char *name);

#endif
