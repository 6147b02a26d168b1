/* jobfile.h - job files ([[jobs]] in TOML) and single submits: parsing and validation with FILE:LINE:COL. */
#ifndef JMAKE_JOBFILE_H
#define JMAKE_JOBFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "jobstore.h"

/* Where one [[jobs]] entry was written, for the errors only the job store can
 * find later (an id queued earlier, a dependency neither queued nor in the file). */
typedef struct jobfile_pos {
    int line, col;
} jobfile_pos;
typedef struct jobfile_where {
    jobfile_pos entry, id;      /* id: 0:0 when the entry has none */
    jobfile_pos *deps;          /* owned; deps[k] is where the spec's depends_on.v[k] was written */
    size_t dep_count;
} jobfile_where;
/* Frees count entries and the array (NULL is fine). */
void jobfile_where_free(jobfile_where *where, size_t count);

/* Reads path, checks every [[jobs]] entry (types, required fields, bounds,
 * duplicate ids inside the file, referenced files exist; for compilation jobs
 * the project configuration loads and its source folder exists), resolves
 * relative paths against the file's folder. Unused fields of the original
 * JMake (daemon, port, callback, status, target_section) are warnings.
 * Touches no global state: it may run on any thread.
 * Returns 0 with *specs (count entries, caller frees each with job_spec_free
 * and the array with free) and, when where is not NULL, *where (count entries,
 * caller frees with jobfile_where_free), or -1 with at least one error in diags
 * and nothing allocated. */
int jobfile_load(const char *path, job_spec **specs, size_t *count, jobfile_where **where, diag_list *diags);

/* The job store's refusal (message, from jobstore_submit_blaming) of the specs
 * loaded from path as one error at the position fault names in where (count
 * entries): "path:12:6: error: job id 'x' already exists (queued earlier)".
 * Without a position (fault->spec < 0) the error names the file only. */
void jobfile_add_store_error(diag_list *diags, const char *path, const jobfile_where *where, size_t count,
                             const jobstore_fault *fault, const char *message);

/* Checks one spec built from command-line options or the wire (paths already
 * absolute): the same rules as a job file, with errors carrying no position.
 * Returns 0, or -1 with at least one error in diags. */
int jobfile_validate_spec(const job_spec *spec, diag_list *diags);

/* A type name of job_type_table (jobtype.h). */
bool jobfile_type_known(const char *type);
/* Job ids: 1-128 characters of [A-Za-z0-9._:@+-], not starting with '-' (it
 * would read as an option on the command line) and without '/' (ids name log files). */
bool jobfile_id_valid(const char *id);

/* The wire protocol's job objects (docs/PROTOCOL.md).
 * jobfile_spec_from_json: {id?, type, priority?, config_file?, binary_path?,
 * depends_on?, timeout_seconds?, args?}; keys it does not know are ignored so
 * that newer clients can talk to older daemons. Only shapes and types are
 * checked here: call jobfile_validate_spec next. Returns 0 with *out filled
 * (caller frees with job_spec_free), or -1 with errors in diags and *out empty. */
int jobfile_spec_from_json(const cJSON *obj, job_spec *out, diag_list *diags);
cJSON *jobfile_spec_to_json(const job_spec *spec);     /* caller frees with cJSON_Delete */
/* {id, seq, type, priority, state, config_file, binary_path, args, depends_on,
 * timeout_seconds, attempts, submitted_ms, submitted_at, started_ms, started_at,
 * finished_ms, finished_at, not_before_ms, worker, reason, result}: *_ms are
 * wall-clock milliseconds (0 = not yet), *_at the same as ISO-8601 UTC or null;
 * args and result are parsed objects or null. Caller frees with cJSON_Delete. */
cJSON *jobfile_record_to_json(const job_record *rec);

#endif
