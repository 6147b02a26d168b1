/* jmake.h - libjmake, the C client API of the jmake build daemons. */
#ifndef JMAKE_H
#define JMAKE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's interface: libjmake is built with hidden visibility,
 * so only what carries this is exported from libjmake.so. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define JMAKE_EXTERN __attribute__((visibility("default")))
#else
#define JMAKE_EXTERN
#endif

/* Every call returns one of these (0 on success). After a failure,
 * jmake_last_error(client) holds a one-line human message (several lines, one
 * per problem, when a job file was rejected). */
typedef enum jmake_status {
    JMAKE_OK = 0,
    JMAKE_ERR_UNREACHABLE = -1, /* daemons not running or socket not reachable */
    JMAKE_ERR_PROTOCOL = -2,    /* malformed or unexpected reply, version mismatch */
    JMAKE_ERR_REJECTED = -3,    /* input refused: bad job file, unknown type, duplicate id... */
    JMAKE_ERR_NOT_FOUND = -4,   /* no such job */
    JMAKE_ERR_TIMEOUT = -5,     /* jmake_wait_for_job ran out of time */
    JMAKE_ERR_IO = -6,          /* local I/O error */
    JMAKE_ERR_ARGUMENT = -7,    /* a NULL or invalid argument */
} jmake_status;

typedef enum jmake_job_state {
    JMAKE_JOB_PENDING,
    JMAKE_JOB_RUNNING,
    JMAKE_JOB_COMPLETED,
    JMAKE_JOB_FAILED,
    JMAKE_JOB_CANCELLED,
} jmake_job_state;

/* The protocol version this library speaks (docs/PROTOCOL.md). */
#define JMAKE_PROTOCOL_VERSION 1

/* An open connection to one daemon home. Opaque; one per thread. */
typedef struct jmake_client jmake_client;

/* Connects to the orchestrator of home (NULL: $JMAKE_HOME, else
 * $XDG_STATE_HOME/jmake, else ~/.local/state/jmake). On success *out is a new
 * handle the caller closes with jmake_disconnect. On failure *out is still a
 * handle (so that jmake_last_error works) unless memory ran out; close it too. */
JMAKE_EXTERN int jmake_connect(const char *home, jmake_client **out);
JMAKE_EXTERN void jmake_disconnect(jmake_client *client);
/* The message of the last failed call; owned by the handle, valid until the next call. */
JMAKE_EXTERN const char *jmake_last_error(const jmake_client *client);
/* The home this handle talks to; owned by the handle. */
JMAKE_EXTERN const char *jmake_home(const jmake_client *client);

typedef struct jmake_job_options {
    const char *type;               /* "compilation", "wrapping", "discovery", "error_analysis" */
    const char *id;                 /* NULL: the daemon generates one */
    int priority;                   /* 0 highest; 1-5 normal; 6+ background */
    const char *config_file;        /* the project's jmake.toml (relative: to the current folder) */
    const char *binary_path;        /* wrapping: the library */
    const char *const *depends_on;  /* job ids, depends_count of them */
    size_t depends_count;
    int64_t timeout_seconds;        /* 0: the daemon's job_timeout_seconds */
    const char *args_json;          /* JSON object text, e.g. {"path":"src"}; may be NULL */
} jmake_job_options;

/* Submits one job. On success *job_id is a new string the caller frees with jmake_free. */
JMAKE_EXTERN int jmake_submit_job(jmake_client *client, const jmake_job_options *options, char **job_id);
/* Submits every [[jobs]] entry of a TOML job file, all or nothing. On success
 * *ids is a new array of *count new strings; free with jmake_free_strings. */
JMAKE_EXTERN int jmake_submit_file(jmake_client *client, const char *path, char ***ids, size_t *count);
JMAKE_EXTERN int jmake_get_job_status(jmake_client *client, const char *job_id, jmake_job_state *state);
/* Waits until the job is completed, failed or cancelled, or timeout_ms passes
 * (negative: no limit; JMAKE_ERR_TIMEOUT then). *state gets the final state. */
JMAKE_EXTERN int jmake_wait_for_job(jmake_client *client, const char *job_id, int64_t timeout_ms,
                       jmake_job_state *state);
/* The job's record and result as a JSON object text; caller frees with jmake_free. */
JMAKE_EXTERN int jmake_get_job_results(jmake_client *client, const char *job_id, char **json);
/* Cancels a pending job at once or stops a running one within a second. */
JMAKE_EXTERN int jmake_cancel_job(jmake_client *client, const char *job_id);

/* Sends one raw protocol request (a JSON object text) and returns the reply
 * text (caller frees with jmake_free); for requests without a wrapper above. */
JMAKE_EXTERN int jmake_request(jmake_client *client, const char *request_json, char **reply_json);

JMAKE_EXTERN const char *jmake_job_state_name(jmake_job_state state);
JMAKE_EXTERN void jmake_free(void *ptr);
JMAKE_EXTERN void jmake_free_strings(char **strings, size_t count);

#ifdef __cplusplus
}
#endif

#endif
