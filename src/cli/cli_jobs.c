/* cli_jobs.c - `jmake submit`, `jmake job ...` and `jmake build`: the queue seen from the command line. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static cJSON *id_request(const char *op, const char *id)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", op);
    cJSON_AddStringToObject(req, "id", id);
    return req;
}

static void print_json(const cJSON *value)
{
    char *text = cJSON_Print(value);
    printf("%s\n", text);
    free(text);
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(obj, key));
    return s ? s : "";
}

static double num_of(const cJSON *obj, const char *key)
{
    const cJSON *n = cJSON_GetObjectItem(obj, key);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* ---- submit ---- */

static void print_submit_reply(const cJSON *reply)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(reply, "warnings")) fprintf(stderr, "%s\n", e->valuestring);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(reply, "ids")) printf("%s\n", e->valuestring);
}

int cli_submit(cli *c, int argc, char **argv)
{
    const char *file = NULL, *type = NULL, *config = NULL, *binary = NULL, *id = NULL, *path = NULL;
    long priority = 5, timeout = 0;
    strvec after = {0};
    int code = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--type") == 0 && val)
            type = argv[++i];
        else if (strcmp(a, "--config") == 0 && val)
            config = argv[++i];
        else if (strcmp(a, "--binary") == 0 && val)
            binary = argv[++i];
        else if (strcmp(a, "--id") == 0 && val)
            id = argv[++i];
        else if (strcmp(a, "--path") == 0 && val)
            path = argv[++i];
        else if (strcmp(a, "--after") == 0 && val)
            strvec_push(&after, argv[++i]);
        else if (strcmp(a, "--priority") == 0 && val && (priority = strtol(val, &end, 10), *end == '\0') &&
                 priority >= 0)
            i++;
        else if (strcmp(a, "--timeout") == 0 && val && (timeout = strtol(val, &end, 10), *end == '\0') && timeout > 0)
            i++;
        else if (a[0] != '-' && !file)
            file = a;
        else {
            fprintf(stderr, "jmake: submit: bad argument '%s'\n", a);
            strvec_free(&after);
            return cli_usage("submit");
        }
    }
    if (!file == !type) {
        strvec_free(&after);
        return cli_usage("submit");
    }
    jmake_client *client = cli_connect(c);
    if (!client) {
        strvec_free(&after);
        return EXIT_UNREACHABLE;
    }
    cJSON *req = cJSON_CreateObject();
    if (file) {
        char *abs = path_absolute(NULL, file);
        cJSON_AddStringToObject(req, "op", "submit_file");
        cJSON_AddStringToObject(req, "path", abs);
        free(abs);
        cJSON *reply = cli_call(client, req, &code);
        if (reply)
            print_submit_reply(reply);
        cJSON_Delete(reply);
    } else {
        char *args = NULL;
        if (path) {
            char *abs = path_absolute(NULL, path);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "path", abs);
            args = cJSON_PrintUnformatted(a);
            cJSON_Delete(a);
            free(abs);
        }
        cJSON_Delete(req);
        jmake_job_options o = {.type = type,
                               .id = id,
                               .priority = (int)priority,
                               .config_file = config,
                               .binary_path = binary,
                               .depends_on = (const char *const *)after.v,
                               .depends_count = after.n,
                               .timeout_seconds = timeout,
                               .args_json = args};
        char *new_id = NULL;
        int rc = jmake_submit_job(client, &o, &new_id);
        free(args);
        if (rc == JMAKE_OK) {
            printf("%s\n", new_id);
            jmake_free(new_id);
            code = EXIT_OK;
        } else {
            code = cli_fail(client, rc);
        }
    }
    strvec_free(&after);
    jmake_disconnect(client);
    return code;
}

/* ---- progress display ---- */

typedef struct progress_view {
    bool tty;
    uint64_t started_ms;
    long last_done;
    bool drew;
} progress_view;

static void progress_show(progress_view *v, const cJSON *job)
{
    const cJSON *p = cJSON_GetObjectItem(job, "progress");
    long done = (long)num_of(p, "done"), total = (long)num_of(p, "total");
    double elapsed = (double)(clock_monotonic_ms() - v->started_ms) / 1000.0;
    const char *state = str_of(job, "state");
    if (v->tty) {
        if (total > 0)
            fprintf(stderr, "\r\033[K[%ld/%ld] %s  %.1fs", done, total, str_of(p, "current"), elapsed);
        else
            fprintf(stderr, "\r\033[K%s %s  %.1fs", str_of(job, "id"), state, elapsed);
        v->drew = true;
    } else if (total > 0 && done != v->last_done) {
        fprintf(stderr, "[%ld/%ld] %s\n", done, total, str_of(p, "current"));
    }
    v->last_done = done;
}

static void progress_end(progress_view *v)
{
    if (v->tty && v->drew)
        fprintf(stderr, "\r\033[K");
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Polls one job until it ends, showing progress; returns its final record (caller deletes) or NULL. */
static cJSON *follow_job(jmake_client *client, const char *id, int64_t timeout_ms, bool show, int *code,
                         bool cancel_on_interrupt)
{
    progress_view view = {.tty = isatty(2) && show, .started_ms = clock_monotonic_ms(), .last_done = -1};
    struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
    if (cancel_on_interrupt) {
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    cJSON *final = NULL;
    for (;;) {
        /* A short long-poll: the reply comes the moment the job ends, or after
         * one progress interval with the job's current progress. */
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "op", "job_wait");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(req, "ids"), cJSON_CreateString(id));
        cJSON_AddNumberToObject(req, "timeout_ms", view.tty ? 100 : 200);
        cJSON_AddStringToObject(req, "result", "summary");
        cJSON *reply = cli_call(client, req, code);
        if (!reply)
            break;
        cJSON *job = cJSON_DetachItemFromArray(cJSON_GetObjectItem(reply, "jobs"), 0);
        cJSON_Delete(reply);
        if (!job) {
            *code = EXIT_USAGE;
            break;
        }
        const char *state = str_of(job, "state");
        if (strcmp(state, "completed") == 0 || strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0) {
            final = job;
            break;
        }
        if (show)
            progress_show(&view, job);
        cJSON_Delete(job);
        if (interrupted) {
            /* Like ninja: an interrupted build stops its work. */
            cJSON *r = cli_call(client, id_request("job_cancel", id), code);
            cJSON_Delete(r);
            interrupted = 0;
            cancel_on_interrupt = false;
        }
        if (timeout_ms >= 0 && (int64_t)(clock_monotonic_ms() - view.started_ms) >= timeout_ms) {
            *code = EXIT_TIMEOUT;
            break;
        }
    }
    if (show)
        progress_end(&view);
    if (cancel_on_interrupt) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    return final;
}

/* ---- job ---- */

static int job_status(jmake_client *client, cli *c, const char *id)
{
    int code;
    cJSON *reply = cli_call(client, id_request("job_status", id), &code);
    if (!reply)
        return code;
    const cJSON *job = cJSON_GetObjectItem(reply, "job");
    if (c->json) {
        print_json(job);
    } else {
        const char *reason = str_of(job, "reason");
        printf("%s%s%s\n", str_of(job, "state"), *reason ? ": " : "", reason);
    }
    cJSON_Delete(reply);
    return EXIT_OK;
}

static int job_wait(jmake_client *client, cli *c, int argc, char **argv)
{
    int64_t timeout_ms = -1;
    strvec ids = {0};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            int64_t t = parse_duration_seconds(argv[++i]);
            if (t < 0) {
                fprintf(stderr, "jmake: --timeout: '%s' is not a duration\n", argv[i]);
                strvec_free(&ids);
                return EXIT_USAGE;
            }
            timeout_ms = t * 1000;
        } else {
            strvec_push(&ids, argv[i]);
        }
    }
    if (ids.n == 0) {
        strvec_free(&ids);
        return cli_usage("job");
    }
    int code = EXIT_OK;
    int exit_code = EXIT_OK;
    uint64_t started = clock_monotonic_ms();
    cJSON *all = cJSON_CreateArray();
    for (size_t i = 0; i < ids.n; i++) {
        int64_t left = timeout_ms < 0 ? -1 : timeout_ms - (int64_t)(clock_monotonic_ms() - started);
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        cJSON *job = follow_job(client, ids.v[i], left, !c->json, &code, false);
        if (!job) {
            exit_code = code;
            if (code == EXIT_TIMEOUT)
                fprintf(stderr, "jmake: job %s did not finish within the timeout\n", ids.v[i]);
            break;
        }
        const char *state = str_of(job, "state");
        if (strcmp(state, "completed") != 0)
            exit_code = EXIT_JOB_FAILED;
        if (!c->json) {
            const char *reason = str_of(job, "reason");
            printf("%s: %s%s%s\n", ids.v[i], state, *reason ? ": " : "", reason);
        }
        cJSON_AddItemToArray(all, job);
    }
    if (c->json)
        print_json(all);
    cJSON_Delete(all);
    strvec_free(&ids);
    return exit_code;
}

static int job_simple(jmake_client *client, cli *c, const char *op, const char *id)
{
    int code;
    cJSON *reply = cli_call(client, id_request(op, id), &code);
    if (!reply)
        return code;
    if (strcmp(op, "job_result") == 0) {
        print_json(cJSON_GetObjectItem(reply, "job"));
    } else if (c->json) {
        print_json(reply);
    } else {
        printf("%s: %s\n", id, str_of(reply, "state"));
    }
    cJSON_Delete(reply);
    return EXIT_OK;
}

static int job_list(jmake_client *client, cli *c, int argc, char **argv)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "job_list");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            cJSON_AddStringToObject(req, "state", argv[++i]);
        } else {
            cJSON_Delete(req);
            return cli_usage("job");
        }
    }
    int code;
    cJSON *reply = cli_call(client, req, &code);
    if (!reply)
        return code;
    const cJSON *jobs = cJSON_GetObjectItem(reply, "jobs");
    if (c->json) {
        print_json(jobs);
    } else {
        const cJSON *j;
        cJSON_ArrayForEach(j, jobs)
        {
            printf("%-24s %-10s %-15s %3d  %s\n", str_of(j, "id"), str_of(j, "state"), str_of(j, "type"),
                   (int)num_of(j, "priority"), str_of(j, "submitted_at"));
        }
    }
    cJSON_Delete(reply);
    return EXIT_OK;
}

static int job_clean(jmake_client *client, cli *c, int argc, char **argv)
{
    int64_t older = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc && (older = parse_duration_seconds(argv[i + 1])) >= 0) {
            i++;
        } else {
            fprintf(stderr, "jmake: job clean: expected --older-than DURATION (7d, 12h, 30m, 45s)\n");
            return EXIT_USAGE;
        }
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "job_clean");
    cJSON_AddNumberToObject(req, "older_than_seconds", (double)older);
    int code;
    cJSON *reply = cli_call(client, req, &code);
    if (!reply)
        return code;
    if (c->json)
        print_json(reply);
    else
        printf("removed %d finished job(s)\n", (int)num_of(reply, "removed"));
    cJSON_Delete(reply);
    return EXIT_OK;
}

int cli_job(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("job");
    const char *sub = argv[1];
    bool needs_one_id = strcmp(sub, "status") == 0 || strcmp(sub, "result") == 0 || strcmp(sub, "cancel") == 0;
    if (needs_one_id && argc != 3)
        return cli_usage("job");
    if (!needs_one_id && strcmp(sub, "wait") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "clean") != 0) {
        fprintf(stderr, "jmake: job: unknown subcommand '%s'\n", sub);
        return cli_usage("job");
    }
    jmake_client *client = cli_connect(c);
    if (!client)
        return EXIT_UNREACHABLE;
    int rc;
    if (strcmp(sub, "status") == 0)
        rc = job_status(client, c, argv[2]);
    else if (strcmp(sub, "result") == 0)
        rc = job_simple(client, c, "job_result", argv[2]);
    else if (strcmp(sub, "cancel") == 0)
        rc = job_simple(client, c, "job_cancel", argv[2]);
    else if (strcmp(sub, "wait") == 0)
        rc = job_wait(client, c, argc, argv);
    else if (strcmp(sub, "list") == 0)
        rc = job_list(client, c, argc, argv);
    else
        rc = job_clean(client, c, argc, argv);
    jmake_disconnect(client);
    return rc;
}

/* ---- build ---- */

static void print_build_summary(const cJSON *job)
{
    const cJSON *result = cJSON_GetObjectItem(job, "result");
    const cJSON *diag = cJSON_GetObjectItem(result, "diagnostics");
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(diag, "items"))
    {
        fprintf(stderr, "%s:%d:%d: %s: %s\n", str_of(item, "file"), (int)num_of(item, "line"),
                (int)num_of(item, "column"), str_of(item, "severity"), str_of(item, "message"));
    }
    const cJSON *files = cJSON_GetObjectItem(result, "files");
    const cJSON *artifact = cJSON_GetObjectItem(result, "artifact");
    const cJSON *timings = cJSON_GetObjectItem(result, "timings_ms");
    const char *state = str_of(job, "state");
    if (strcmp(state, "completed") == 0) {
        printf("build completed: %s (%s, %.0f bytes): %d files, %d compiled, %d from cache, %d up to date, "
               "%.2f s\n",
               str_of(artifact, "path"), str_of(artifact, "kind"), num_of(artifact, "size"),
               (int)num_of(files, "total"), (int)num_of(files, "compiled"), (int)num_of(files, "from_cache"),
               (int)num_of(files, "up_to_date"), num_of(timings, "total") / 1000.0);
    } else {
        const char *reason = str_of(job, "reason");
        fprintf(stderr, "build %s: %s\n", state, *reason ? reason : "see the job log");
        if (files)
            fprintf(stderr, "%d of %d files failed; log: %s\n", (int)num_of(files, "failed"),
                    (int)num_of(files, "total"), str_of(job, "log_path"));
    }
}

int cli_build(cli *c, int argc, char **argv)
{
    const char *dir = NULL;
    long priority = 1;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--priority") == 0 && i + 1 < argc &&
            (priority = strtol(argv[i + 1], &end, 10), *end == '\0') && priority >= 0)
            i++;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            return cli_usage("build");
    }
    char *abs = path_absolute(NULL, dir ? dir : ".");
    char *config = strcmp(path_extension(abs), ".toml") == 0 ? xstrdup(abs) : path_join(abs, "jmake.toml");
    free(abs);
    jmake_client *client = cli_connect(c);
    if (!client) {
        free(config);
        return EXIT_UNREACHABLE;
    }
    jmake_job_options o = {.type = "compilation", .priority = (int)priority, .config_file = config};
    char *id = NULL;
    int rc = jmake_submit_job(client, &o, &id);
    free(config);
    if (rc != JMAKE_OK) {
        int code = cli_fail(client, rc);
        jmake_disconnect(client);
        return code;
    }
    if (!c->json && !isatty(2))
        fprintf(stderr, "job %s queued\n", id);
    int code = EXIT_OK;
    cJSON *job = follow_job(client, id, -1, !c->json, &code, true);
    if (job && c->json) {
        /* Following used summaries; --json prints the whole result. */
        cJSON *reply = cli_call(client, id_request("job_status", id), &code);
        cJSON *full = reply ? cJSON_DetachItemFromObject(reply, "job") : NULL;
        cJSON_Delete(reply);
        if (full) {
            cJSON_Delete(job);
            job = full;
        }
    }
    if (job) {
        if (c->json) {
            const cJSON *result = cJSON_GetObjectItem(job, "result");
            if (cJSON_IsObject(result)) {
                print_json(result);
            } else {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "state", str_of(job, "state"));
                cJSON_AddStringToObject(r, "reason", str_of(job, "reason"));
                print_json(r);
                cJSON_Delete(r);
            }
        } else {
            print_build_summary(job);
        }
        code = strcmp(str_of(job, "state"), "completed") == 0 ? EXIT_OK : EXIT_JOB_FAILED;
        cJSON_Delete(job);
    }
    jmake_free(id);
    jmake_disconnect(client);
    return code;
}
