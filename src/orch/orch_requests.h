/* orch_requests.h - the orchestrator's request table: every op a client or a worker may send, its handler and flags. */
#ifndef JMAKE_ORCH_REQUESTS_H
#define JMAKE_ORCH_REQUESTS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "orch_internal.h"

/* Who may send an op, and how it is run. */
enum {
    ORCH_REQ_CLIENT = 1u << 0,          /* from a client (any connection that has not registered as a worker) */
    ORCH_REQ_WORKER = 1u << 1,          /* from a registered worker; never answered */
    /* Writes the queue: run at the next group commit (after the loop's poll)
     * and answered once that commit is durable; the connection reads nothing
     * more until then, so its replies stay in order. */
    ORCH_REQ_GROUP_COMMIT = 1u << 2,
    ORCH_REQ_NOT_WHILE_STOPPING = 1u << 3, /* refused with "unavailable" once the daemons are stopping */
};

/* Handles req (borrowed) from c. Returns the reply (the caller sends it and
 * owns it until then), or NULL when there is nothing to send now: worker
 * messages, and a job_wait that answers later by itself. */
typedef cJSON *(*orch_handler)(orch *o, conn *c, const cJSON *req);

/* The slow part of a request that needs nothing of the orchestrator (reading
 * and checking a job file): run on a libuv work thread, so every other
 * connection is served meanwhile; the connection itself is blocked until its
 * reply is out. req is borrowed and only read. Returns the result (never NULL),
 * which the loop hands to the handler as c->prepared (the handler takes it). */
typedef orch_prepared *(*orch_prepare)(const cJSON *req);
void orch_prepared_free(orch_prepared *prepared);   /* NULL is fine */

/* What a request field must hold when it is present. Handlers check which
 * fields are required (with their own messages); the route checks every
 * declared field's type, so a wrong type is refused instead of read as
 * "absent" (a "daemon": 5 must not stop every daemon). */
typedef enum orch_field_type {
    FIELD_STRING,
    FIELD_INT,          /* a JSON number with no fraction, within int64 */
    FIELD_NUMBER,
    FIELD_BOOL,
    FIELD_OBJECT,
    FIELD_STRINGS,      /* an array of strings */
} orch_field_type;

typedef struct orch_field {
    const char *name;
    orch_field_type type;
} orch_field;

struct orch_request {
    const char *op;             /* "job_status" */
    orch_handler handler;
    unsigned flags;             /* ORCH_REQ_* */
    const orch_field *fields;   /* the request's fields, ending with {NULL}; NULL: none */
    orch_prepare prepare;       /* NULL: the handler does all the work on the loop */
};

/* The whole table, in the order of docs/PROTOCOL.md; ends with a row whose op is NULL. */
extern const orch_request orch_request_table[];

/* The row of op, or NULL (op may be NULL). Borrowed from the table. */
const orch_request *orch_request_find(const char *op);

/* Decides what becomes of one decoded frame (req: the parsed JSON or NULL),
 * from a client (worker NULL) or from the registered worker called worker.
 * Returns the row to run, or NULL with *reply set to the error to send
 * (caller owns it): not an object with an op, a wrong "v", an op unknown to
 * clients, or refused while stopping. For a worker, an op it may not send
 * gives NULL and *reply NULL: workers are never answered; the caller logs it. */
const orch_request *orch_request_route(const cJSON *req, const char *worker, bool stopping, cJSON **reply);

/* Parses one frame's payload (len bytes, not NUL-terminated necessarily): a
 * JSON object and nothing after it but white space. NULL when it is not
 * (caller deletes the result). */
cJSON *orch_request_parse(const char *frame, size_t len);

#endif
