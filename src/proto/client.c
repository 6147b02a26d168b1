/* client.c - libjmake: the C client API of include/jmake.h over the orchestrator's Unix socket. */
#include "jmake.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "home.h"
#include "wire.h"

struct jmake_client {
    int fd;
    char *home;
    char error[4096];
};

static int client_fail(jmake_client *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    return status;
}

int jmake_connect(const char *home, jmake_client **out)
{
    if (!out)
        return JMAKE_ERR_ARGUMENT;
    jmake_client *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return JMAKE_ERR_IO;
    c->fd = -1;
    c->home = home_resolve(home);
    if (!c->home)
        return client_fail(c, JMAKE_ERR_ARGUMENT, "cannot find a daemon home: set --home or JMAKE_HOME");
    char *sock_path = home_socket_path(c->home);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(sock_path) >= sizeof addr.sun_path) {
        int rc = client_fail(c, JMAKE_ERR_ARGUMENT, "%s: socket path too long (max %zu bytes)", sock_path,
                             sizeof addr.sun_path - 1);
        free(sock_path);
        return rc;
    }
    strcpy(addr.sun_path, sock_path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int rc = client_fail(c, JMAKE_ERR_UNREACHABLE, "daemons not running (cannot connect to %s: %s)",
                             sock_path, strerror(errno));
        free(sock_path);
        return rc;
    }
    free(sock_path);
    return JMAKE_OK;
}

void jmake_disconnect(jmake_client *client)
{
    if (!client)
        return;
    if (client->fd >= 0)
        close(client->fd);
    free(client->home);
    free(client);
}

const char *jmake_last_error(const jmake_client *client)
{
    return client ? client->error : "no client handle";
}

const char *jmake_home(const jmake_client *client)
{
    return client ? client->home : NULL;
}

static int client_status_from_code(const char *code)
{
    if (!code)
        return JMAKE_ERR_PROTOCOL;
    if (strcmp(code, "rejected") == 0 || strcmp(code, "bad_request") == 0)
        return JMAKE_ERR_REJECTED;
    if (strcmp(code, "not_found") == 0)
        return JMAKE_ERR_NOT_FOUND;
    if (strcmp(code, "timeout") == 0)
        return JMAKE_ERR_TIMEOUT;
    if (strcmp(code, "unavailable") == 0)
        return JMAKE_ERR_UNREACHABLE;
    return JMAKE_ERR_PROTOCOL;
}

/* Sends req (consumed) and parses the reply. On a reply with ok=false, the
 * error text lands in the handle and the mapped status is returned; *reply is
 * set in both cases (caller deletes). */
/* How long a reply may take beyond what the request itself asks to wait
 * (job_wait's timeout_ms): past it the orchestrator is taken for hung, instead
 * of the client waiting forever. JMAKE_REPLY_TIMEOUT_MS overrides it. */
#define CLIENT_REPLY_TIMEOUT_MS 60000

static int reply_timeout_ms(const cJSON *req)
{
    const char *env = getenv("JMAKE_REPLY_TIMEOUT_MS");
    long bound = env && *env ? strtol(env, NULL, 10) : CLIENT_REPLY_TIMEOUT_MS;
    if (bound <= 0)
        bound = CLIENT_REPLY_TIMEOUT_MS;
    const cJSON *t = cJSON_GetObjectItem(req, "timeout_ms");
    if (cJSON_IsNumber(t) && t->valuedouble < 0)
        return -1;   /* the caller asked to wait as long as the job runs */
    double wait = cJSON_IsNumber(t) ? t->valuedouble : 0;
    double total = wait + (double)bound;
    return total > 2e9 ? -1 : (int)total;
}

static int client_call(jmake_client *c, cJSON *req, cJSON **reply)
{
    *reply = NULL;
    if (c->fd < 0) {
        cJSON_Delete(req);
        return client_fail(c, JMAKE_ERR_UNREACHABLE, "not connected");
    }
    int timeout_ms = reply_timeout_ms(req);
    cJSON_AddNumberToObject(req, "v", JMAKE_PROTOCOL_VERSION);
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!text)
        return client_fail(c, JMAKE_ERR_IO, "out of memory");
    int rc = wire_send(c->fd, text, strlen(text));
    free(text);
    if (rc < 0)
        return client_fail(c, JMAKE_ERR_UNREACHABLE, "lost the orchestrator: %s", strerror(-rc));
    char *frame = NULL;
    rc = wire_recv(c->fd, WIRE_MAX_REPLY, timeout_ms, &frame, NULL);
    if (rc == -ETIMEDOUT) {
        /* A late reply would answer the next request: this connection is done. */
        close(c->fd);
        c->fd = -1;
        return client_fail(c, JMAKE_ERR_UNREACHABLE, "the orchestrator did not answer within %d ms (hung?)",
                           timeout_ms);
    }
    if (rc < 0)
        return client_fail(c, JMAKE_ERR_UNREACHABLE, "lost the orchestrator: %s",
                           rc == -ECONNRESET ? "connection closed" : strerror(-rc));
    cJSON *r = cJSON_Parse(frame);
    free(frame);
    if (!r || !cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return client_fail(c, JMAKE_ERR_PROTOCOL, "malformed reply from the orchestrator");
    }
    *reply = r;
    if (cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")))
        return JMAKE_OK;
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(r, "error"));
    const cJSON *errors = cJSON_GetObjectItem(r, "errors");
    if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
        /* A rejected job file: every problem on its own line. */
        size_t off = 0;
        c->error[0] = '\0';
        const cJSON *e;
        cJSON_ArrayForEach(e, errors)
        {
            const char *line = cJSON_GetStringValue(e);
            if (!line)
                continue;
            int n = snprintf(c->error + off, sizeof c->error - off, "%s%s", off ? "\n" : "", line);
            if (n < 0 || (size_t)n >= sizeof c->error - off)
                break;
            off += (size_t)n;
        }
    } else {
        snprintf(c->error, sizeof c->error, "%s", msg ? msg : "request failed");
    }
    return client_status_from_code(cJSON_GetStringValue(cJSON_GetObjectItem(r, "code")));
}

static cJSON *client_request(const char *op)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", op);
    return req;
}

/* Relative paths are relative to the caller's folder, not the daemon's. */
static char *client_absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *out = malloc(n);
    if (!out)
        abort();
    snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

static void client_add_path(cJSON *obj, const char *key, const char *path)
{
    if (!path)
        return;
    char *abs = client_absolute(path);
    cJSON_AddStringToObject(obj, key, abs);
    free(abs);
}

int jmake_submit_job(jmake_client *client, const jmake_job_options *o, char **job_id)
{
    if (!client || !o || !o->type || !job_id)
        return client ? client_fail(client, JMAKE_ERR_ARGUMENT, "missing job type") : JMAKE_ERR_ARGUMENT;
    cJSON *job = cJSON_CreateObject();
    cJSON_AddStringToObject(job, "type", o->type);
    if (o->id)
        cJSON_AddStringToObject(job, "id", o->id);
    cJSON_AddNumberToObject(job, "priority", o->priority);
    client_add_path(job, "config_file", o->config_file);
    client_add_path(job, "binary_path", o->binary_path);
    if (o->depends_count) {
        cJSON *deps = cJSON_AddArrayToObject(job, "depends_on");
        for (size_t i = 0; i < o->depends_count; i++)
            cJSON_AddItemToArray(deps, cJSON_CreateString(o->depends_on[i]));
    }
    if (o->timeout_seconds > 0)
        cJSON_AddNumberToObject(job, "timeout_seconds", (double)o->timeout_seconds);
    if (o->args_json) {
        cJSON *args = cJSON_Parse(o->args_json);
        if (!cJSON_IsObject(args)) {
            cJSON_Delete(args);
            cJSON_Delete(job);
            return client_fail(client, JMAKE_ERR_ARGUMENT, "args must be a JSON object");
        }
        cJSON_AddItemToObject(job, "args", args);
    }
    cJSON *req = client_request("submit");
    cJSON_AddItemToObject(req, "job", job);
    cJSON *reply;
    int rc = client_call(client, req, &reply);
    if (rc == JMAKE_OK) {
        const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(reply, "ids"), 0));
        if (id)
            *job_id = strdup(id);
        else
            rc = client_fail(client, JMAKE_ERR_PROTOCOL, "submit reply without an id");
    }
    cJSON_Delete(reply);
    return rc;
}

int jmake_submit_file(jmake_client *client, const char *path, char ***ids, size_t *count)
{
    if (!client || !path || !ids || !count)
        return client ? client_fail(client, JMAKE_ERR_ARGUMENT, "missing job file") : JMAKE_ERR_ARGUMENT;
    cJSON *req = client_request("submit_file");
    client_add_path(req, "path", path);
    cJSON *reply;
    int rc = client_call(client, req, &reply);
    if (rc == JMAKE_OK) {
        const cJSON *arr = cJSON_GetObjectItem(reply, "ids");
        size_t n = (size_t)cJSON_GetArraySize(arr);
        char **out = calloc(n + 1, sizeof(char *));
        if (!out)
            abort();
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, arr)
        {
            if (cJSON_IsString(e))
                out[i++] = strdup(e->valuestring);
        }
        *ids = out;
        *count = i;
    }
    cJSON_Delete(reply);
    return rc;
}

static int client_state_from_name(const char *name, jmake_job_state *state)
{
    static const char *const names[] = {"pending", "running", "completed", "failed", "cancelled"};
    for (int i = 0; i < 5; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *state = (jmake_job_state)i;
            return 0;
        }
    return -1;
}

const char *jmake_job_state_name(jmake_job_state state)
{
    static const char *const names[] = {"pending", "running", "completed", "failed", "cancelled"};
    return (unsigned)state < 5 ? names[state] : "unknown";
}

static cJSON *client_id_request(const char *op, const char *job_id)
{
    cJSON *req = client_request(op);
    cJSON_AddStringToObject(req, "id", job_id);
    return req;
}

static int client_job_state(jmake_client *client, cJSON *reply, jmake_job_state *state)
{
    const cJSON *job = cJSON_GetObjectItem(reply, "job");
    if (client_state_from_name(cJSON_GetStringValue(cJSON_GetObjectItem(job, "state")), state) < 0)
        return client_fail(client, JMAKE_ERR_PROTOCOL, "reply without a job state");
    return JMAKE_OK;
}

int jmake_get_job_status(jmake_client *client, const char *job_id, jmake_job_state *state)
{
    if (!client || !job_id || !state)
        return JMAKE_ERR_ARGUMENT;
    cJSON *reply;
    int rc = client_call(client, client_id_request("job_status", job_id), &reply);
    if (rc == JMAKE_OK)
        rc = client_job_state(client, reply, state);
    cJSON_Delete(reply);
    return rc;
}

int jmake_wait_for_job(jmake_client *client, const char *job_id, int64_t timeout_ms, jmake_job_state *state)
{
    if (!client || !job_id || !state)
        return JMAKE_ERR_ARGUMENT;
    cJSON *req = client_request("job_wait");
    cJSON *ids = cJSON_AddArrayToObject(req, "ids");
    cJSON_AddItemToArray(ids, cJSON_CreateString(job_id));
    cJSON_AddNumberToObject(req, "timeout_ms", (double)timeout_ms);
    cJSON *reply;
    int rc = client_call(client, req, &reply);
    if (rc == JMAKE_OK) {
        const cJSON *jobs = cJSON_GetObjectItem(reply, "jobs");
        const cJSON *job = cJSON_GetArrayItem(jobs, 0);
        if (client_state_from_name(cJSON_GetStringValue(cJSON_GetObjectItem(job, "state")), state) < 0)
            rc = client_fail(client, JMAKE_ERR_PROTOCOL, "reply without a job state");
        else if (cJSON_IsTrue(cJSON_GetObjectItem(reply, "timed_out")))
            rc = client_fail(client, JMAKE_ERR_TIMEOUT, "job %s still %s after %lld ms", job_id,
                             jmake_job_state_name(*state), (long long)timeout_ms);
    }
    cJSON_Delete(reply);
    return rc;
}

int jmake_get_job_results(jmake_client *client, const char *job_id, char **json)
{
    if (!client || !job_id || !json)
        return JMAKE_ERR_ARGUMENT;
    cJSON *reply;
    int rc = client_call(client, client_id_request("job_result", job_id), &reply);
    if (rc == JMAKE_OK) {
        *json = cJSON_Print(cJSON_GetObjectItem(reply, "job"));
        if (!*json)
            rc = client_fail(client, JMAKE_ERR_PROTOCOL, "reply without a job");
    }
    cJSON_Delete(reply);
    return rc;
}

int jmake_cancel_job(jmake_client *client, const char *job_id)
{
    if (!client || !job_id)
        return JMAKE_ERR_ARGUMENT;
    cJSON *reply;
    int rc = client_call(client, client_id_request("job_cancel", job_id), &reply);
    cJSON_Delete(reply);
    return rc;
}

int jmake_request(jmake_client *client, const char *request_json, char **reply_json)
{
    if (!client || !request_json || !reply_json)
        return JMAKE_ERR_ARGUMENT;
    cJSON *req = cJSON_Parse(request_json);
    if (!cJSON_IsObject(req)) {
        cJSON_Delete(req);
        return client_fail(client, JMAKE_ERR_ARGUMENT, "request is not a JSON object");
    }
    cJSON *reply;
    int rc = client_call(client, req, &reply);
    *reply_json = reply ? cJSON_PrintUnformatted(reply) : NULL;
    cJSON_Delete(reply);
    return rc;
}

void jmake_free(void *ptr)
{
    free(ptr);
}

void jmake_free_strings(char **strings, size_t count)
{
    if (!strings)
        return;
    for (size_t i = 0; i < count; i++)
        free(strings[i]);
    free(strings);
}
