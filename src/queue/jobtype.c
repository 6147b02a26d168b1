/* jobtype.c - the one table of job types (jobtype.h). */
#include "jobtype.h"

#include <string.h>

const job_type_info job_type_table[JOB_TYPE_COUNT] = {
    [JOB_TYPE_COMPILATION] = {"compilation", DAEMON_COMPILATION},
    [JOB_TYPE_WRAPPING] = {"wrapping", DAEMON_BUILD},
    [JOB_TYPE_DISCOVERY] = {"discovery", DAEMON_DISCOVERY},
    [JOB_TYPE_ERROR_ANALYSIS] = {"error_analysis", DAEMON_ERROR_HANDLER},
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
