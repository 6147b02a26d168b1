/* jobstore.h - the persistent job queue: one SQLite database (WAL) in the home, owned by the orchestrator. */
#ifndef JMAKE_JOBSTORE_H
#define JMAKE_JOBSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef enum job_state { JOB_PENDING, JOB_RUNNING, JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED } job_state;

const char *job_state_name(job_state state);        /* "pending" ... */
int job_state_from_name(const char *name);          /* -1 when unknown */
bool job_state_is_final(job_state state);

/* What a submit carries (already validated by jobfile.c). */
typedef struct job_spec {
    char *id;               /* NULL: the store generates one ("job-<seq>") */
    char *type;             /* a name of job_type_table (jobtype.h) */
    int priority;           /* 0 highest */
    char *config_file;      /* absolute or NULL */
    char *binary_path;      /* absolute or NULL */
    strvec depends_on;
    int64_t timeout_seconds;/* 0: the daemon configuration's job_timeout_seconds */
    char *args_json;        /* JSON object text or NULL */
} job_spec;
void job_spec_free(job_spec *spec);

typedef struct job_record {
    int64_t seq;            /* submission order */
    char *id, *type;
    int priority;
    job_state state;
    char *config_file, *binary_path, *args_json;
    strvec depends_on;
    int64_t timeout_seconds;
    int attempts;           /* times it was started */
    int64_t submitted_ms, started_ms, finished_ms, not_before_ms; /* wall clock; 0 = not yet */
    char *worker;           /* daemon running it, or NULL */
    char *reason;           /* why it failed / was cancelled / was retried, or NULL */
    char *result_json;      /* JSON object text or NULL */
} job_record;
void job_record_free(job_record *rec);

/* One handle belongs to one thread (it caches prepared statements). The
 * handle holds the file's lock for its whole life (locking_mode = EXCLUSIVE,
 * docs/QUEUE.md): while it is open no other connection, in this process or
 * another, can read or write the database; a second jobstore_open of the same
 * file waits out the busy timeout (5 s) and fails. */
typedef struct jobstore jobstore;

/* Opens (creating) the database at path: WAL, synchronous=FULL so that an
 * acknowledged submit survives a crash; schema versioned with user_version.
 * NULL on failure with the reason in err: "PATH: why", in the system's words
 * when the file system refused ("PATH: No space left on device"). */
jobstore *jobstore_open(const char *path, char *err, size_t errsize);
void jobstore_close(jobstore *store);

/* The store's own SQLite connection (borrowed, valid until jobstore_close),
 * for tests that must see what the store's commits really run with (e.g. the
 * synchronous level): nothing else may use it. */
struct sqlite3 *jobstore_connection(jobstore *store);
/* The database's message for the last failed call, with the system's words for a full disk
 * ("database or disk is full (No space left on device)"). Borrowed, valid until the next call. */
const char *jobstore_last_error(jobstore *store);

/* Inserts all specs in one transaction, all or nothing. A duplicate id (in
 * the batch or already stored) or an unknown depends_on id (neither stored nor
 * in the batch) fails the whole batch. ids_out (may be NULL) receives count
 * newly allocated id strings, owned by the caller. Returns 0 or -1 with err. */
int jobstore_submit(jobstore *store, const job_spec *specs, size_t count, char **ids_out,
                    int64_t now_ms, char *err, size_t errsize);

/* Which entry of a refused batch is to blame, so that an error against a job
 * file can point at the line and column the user wrote it on. */
typedef struct jobstore_fault {
    long spec;      /* index into specs; -1: no one entry is (the database failed) */
    long dep;       /* index into that spec's depends_on; -1: the entry's id (or the entry) */
} jobstore_fault;
/* jobstore_submit that also says, when it returns -1, which entry was at fault
 * (fault may be NULL). err then holds the message without a position. */
int jobstore_submit_blaming(jobstore *store, const job_spec *specs, size_t count, char **ids_out, int64_t now_ms,
                            jobstore_fault *fault, char *err, size_t errsize);

/* Group commit: between batch_begin and batch_end every change (each
 * jobstore_submit, for instance) keeps its all-or-nothing behaviour but the
 * batch is made durable by one commit (one fsync) at batch_end. Nothing done
 * inside the batch is durable before batch_end returns 0; when it returns -1
 * the whole batch is rolled back. */
int jobstore_batch_begin(jobstore *store);
int jobstore_batch_end(jobstore *store);

/* What a lookup or a change of one job came to. The values of OK and
 * NOT_FOUND are those of the 0 / -1 the store returned before it told a
 * missing job from a failing database. */
typedef enum jobstore_result {
    JOBSTORE_DB_ERROR = -2,     /* SQLite failed (I/O, corruption, busy past the timeout) */
    JOBSTORE_NOT_FOUND = -1,    /* no such job; for a change of state: none in a state that allows it */
    JOBSTORE_OK = 0,
} jobstore_result;

/* JOBSTORE_OK with *out filled (caller frees with job_record_free); otherwise *out is untouched. */
jobstore_result jobstore_get(jobstore *store, const char *id, job_record *out);
/* The job's state without loading its record (results can be large): JOBSTORE_OK with *state set. */
jobstore_result jobstore_state(jobstore *store, const char *id, job_state *state);
/* All jobs (state_filter < 0) or those in one state, in submission order. *out owned by caller
 * (free each with job_record_free, then free the array). */
int jobstore_list(jobstore *store, int state_filter, job_record **out, size_t *count);
/* Calls fn for every job whose id starts with prefix (borrowed; "" for all),
 * oldest first, with its state and type (borrowed, valid during the call):
 * what shell completion offers, without reading the records. */
typedef void (*jobstore_id_fn)(void *ctx, const char *id, job_state state, const char *type);
jobstore_result jobstore_each_id(jobstore *store, const char *prefix, jobstore_id_fn fn, void *ctx);
/* One page of the history, newest first: at most limit jobs (limit <= 0: all)
 * older than after_id (NULL: from the newest), of one state (state_filter < 0:
 * any). Records come without their result (result_json NULL): a page of a long
 * history reads none of them. *out as jobstore_list. NOT_FOUND when after_id
 * names no job. */
jobstore_result jobstore_list_page(jobstore *store, int state_filter, const char *after_id, int64_t limit,
                                   job_record **out, size_t *count);

typedef enum jobstore_pick {
    JOBSTORE_PICK_DB_ERROR = JOBSTORE_DB_ERROR,
    JOBSTORE_PICK_NONE = 0,     /* nothing may start now */
    JOBSTORE_PICK_FOUND = 1,    /* *out filled, caller frees with job_record_free */
} jobstore_pick;

/* First pending job that may start now: lowest priority number, then
 * submission order; dependencies all completed; not_before_ms <= now_ms.
 * Pending jobs whose dependency failed or was cancelled are failed here with
 * reason "dependency <id> failed" / "... was cancelled". skip_types
 * (NULL-terminated, may be NULL; borrowed) lists types that cannot be started
 * now (their daemon is down or busy). */
jobstore_pick jobstore_next_runnable(jobstore *store, int64_t now_ms, const char *const *skip_types,
                                     job_record *out);
/* Pending -> running, attempts + 1. NOT_FOUND: no pending job with that id. */
jobstore_result jobstore_mark_running(jobstore *store, const char *id, const char *worker, int64_t now_ms);
/* Final state (completed, failed, cancelled) with result and reason (either
 * may be NULL). NOT_FOUND: no pending or running job with that id, or state is not final. */
jobstore_result jobstore_finish(jobstore *store, const char *id, job_state state, const char *result_json,
                                const char *reason, int64_t now_ms);
/* Back to pending, not before not_before_ms (a retry or a job whose daemon
 * died). NOT_FOUND: no pending or running job with that id. */
jobstore_result jobstore_requeue(jobstore *store, const char *id, int64_t not_before_ms, const char *reason);
/* At orchestrator start: every job that was running goes back to pending,
 * except those that already used their attempts (attempts > max_retries: the
 * same rule as a retry), which fail. Returns how many were queued again (and
 * *failed how many failed), or -1. */
int jobstore_requeue_all_running(jobstore *store, int64_t max_retries, int64_t now_ms, int *failed);
/* Pending -> cancelled at once. Returns the state the job was in (a job_state,
 * >= 0; only a pending one changes), or JOBSTORE_NOT_FOUND / JOBSTORE_DB_ERROR. */
int jobstore_cancel_pending(jobstore *store, const char *id, int64_t now_ms);
/* Forgets finished jobs that finished before cutoff_ms; returns how many, or -1.
 * removed_ids (may be NULL) receives their ids (owned by the vector). */
int64_t jobstore_clean(jobstore *store, int64_t cutoff_ms, strvec *removed_ids);
int jobstore_count(jobstore *store, int state_filter);

/* ---- The watch list (table watches, schema version 3) ----
 * Projects `jmake watch add` gave the watcher, by their jmake.toml (absolute),
 * with the outcome of each one's last build. */
typedef struct jobstore_watch {
    char *config;           /* owned */
    int64_t added_ms;
    char *last_job;         /* owned, NULL before the first build */
    char *last_outcome;     /* owned: "completed", "failed", "cancelled"; NULL before the first build */
    int64_t last_ms;
} jobstore_watch;

/* *added is false when config was already on the list (nothing changes then). */
jobstore_result jobstore_watch_add(jobstore *store, const char *config, int64_t now_ms, bool *added);
jobstore_result jobstore_watch_remove(jobstore *store, const char *config);  /* NOT_FOUND when not listed */
jobstore_result jobstore_watch_set_last(jobstore *store, const char *config, const char *job_id,
                                        const char *outcome, int64_t now_ms);
/* The whole list, ordered by config; *out freed with jobstore_watch_list_free. 0 or -1. */
int jobstore_watch_list(jobstore *store, jobstore_watch **out, size_t *count);
void jobstore_watch_list_free(jobstore_watch *list, size_t count);

#endif
