/* cli_jobs.c - `jmake submit`, `jmake job ...` and `jmake build`: the queue seen from the command line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buildtrace.h"
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "jobtype.h"
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

/* A whole number option: true with *out set, false after printing why not. */
static bool number_option(const cli *c, const char *name, long min, long *out)
{
    const char *text = cli_opt(c, name);
    if (!text)
        return true;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < min) {
        fprintf(stderr, "jmake %s: %s: '%s' is not a number of at least %ld\n", c->command->name, name, text, min);
        return false;
    }
    *out = v;
    return true;
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
    const char *file = argc > 1 ? argv[1] : NULL;
    const char *type = cli_opt(c, "--type");
    long priority = 5, timeout = 0;
    if (!number_option(c, "--priority", 0, &priority) || !number_option(c, "--timeout", 1, &timeout))
        return cli_usage("submit");
    if (file && type) {
        fprintf(stderr, "jmake submit: either a job file or --type, not both\n");
        return cli_usage("submit");
    }
    if (!file && !type) {
        fprintf(stderr, "jmake submit: a job file or --type TYPE is needed\n");
        return cli_usage("submit");
    }
    strvec after = {0};
    for (size_t i = 0; i < c->value_count; i++)
        if (strcmp(c->values[i].option->name, "--after") == 0)
            strvec_push(&after, c->values[i].value);
    int code = EXIT_USAGE;
    jmake_client *client = cli_connect_autostart(c, &code);
    if (!client) {
        strvec_free(&after);
        return code;
    }
    if (file) {
        char *abs = path_absolute(NULL, file);
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "op", "submit_file");
        cJSON_AddStringToObject(req, "path", abs);
        free(abs);
        cJSON *reply = cli_call(client, req, &code);
        if (reply)
            print_submit_reply(reply);
        cJSON_Delete(reply);
    } else {
        char *args = NULL;
        const char *path = cli_opt(c, "--path");
        if (path) {
            char *abs = path_absolute(NULL, path);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "path", abs);
            args = cJSON_PrintUnformatted(a);
            cJSON_Delete(a);
            free(abs);
        }
        jmake_job_options o = {.type = type,
                               .id = cli_opt(c, "--id"),
                               .priority = (int)priority,
                               .config_file = cli_opt(c, "--config"),
                               .binary_path = cli_opt(c, "--binary"),
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

/* ---- durations as people read them ---- */

/* "0.4s", "12.0s", "3m12s", "2h05m", "3d04h". */
static void format_duration(double seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    long s = (long)seconds;
    if (seconds < 60)
        snprintf(buf, len, "%.1fs", seconds);
    else if (s < 3600)
        snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

/* ---- following a job: progress, and a daemon that is not there ---- */

typedef struct progress_view {
    const cli *c;
    bool tty;               /* stderr is a terminal: one line redrawn in place */
    uint64_t started_ms;
    long last_done;
    bool drew;
} progress_view;

/* On a terminal: "[37/120] src/vector.cpp  4.2s", redrawn, from the moment the job is
 * queued. Otherwise a plain line each time a file is done, no control characters. */
static void progress_show(progress_view *v, const cJSON *job)
{
    const cJSON *p = cJSON_GetObjectItem(job, "progress");
    long done = (long)num_of(p, "done"), total = (long)num_of(p, "total");
    char elapsed[32];
    format_duration((double)(clock_monotonic_ms() - v->started_ms) / 1000.0, elapsed, sizeof elapsed);
    const char *state = str_of(job, "state");
    if (v->tty) {
        if (total > 0)
            fprintf(stderr, "\r\033[K[%ld/%ld] %s  %s", done, total, str_of(p, "current"), elapsed);
        else if (strcmp(state, "pending") == 0)
            fprintf(stderr, "\r\033[K[queued] %s  %s", str_of(job, "id"), elapsed);
        else
            fprintf(stderr, "\r\033[K[0/?] %s: scanning the project  %s", str_of(job, "id"), elapsed);
        fflush(stderr);
        v->drew = true;
    } else if (total > 0 && done != v->last_done) {
        fprintf(stderr, "[%ld/%ld] %s\n", done, total, str_of(p, "current"));
    }
    v->last_done = done;
}

static void progress_clear(progress_view *v)
{
    if (v->tty && v->drew) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        v->drew = false;
    }
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* A pending job whose daemon is not running waits for nobody: after this long without
 * the daemon (a restart after a crash takes less), the client says so. */
#define DAEMON_ABSENT_GRACE_MS 2000

typedef struct absent_daemon {
    int kind;                   /* the daemon that runs the job, or -1 */
    uint64_t absent_since_ms;   /* 0 while it runs */
    bool told;
    int64_t give_up_ms;         /* the job's own timeout, from when it was told */
} absent_daemon;

/* The job's timeout: its own, else the home's job_timeout_seconds. */
static int64_t job_timeout_ms(const cli *c, const cJSON *job)
{
    double own = num_of(job, "timeout_seconds");
    if (own > 0)
        return (int64_t)(own * 1000);
    jm_config cfg;
    diag_list diags = {0};
    config_load(&cfg, c->home, &diags);
    int64_t ms = cfg.queue.job_timeout_seconds * 1000;
    diag_free(&diags);
    config_free(&cfg);
    return ms;
}

/* True when the wait should end: the job's daemon has been away longer than the job's timeout. */
static bool daemon_absent_too_long(const cli *c, absent_daemon *a, const cJSON *job, progress_view *view)
{
    if (a->kind < 0 || strcmp(str_of(job, "state"), "pending") != 0) {
        a->absent_since_ms = 0;
        return false;
    }
    uint64_t now = clock_monotonic_ms();
    if (daemon_pidfile_probe(c->home, daemon_table[a->kind].name) > 0) {
        a->absent_since_ms = 0;
        return false;
    }
    if (a->absent_since_ms == 0)
        a->absent_since_ms = now;
    if (!a->told && now - a->absent_since_ms >= DAEMON_ABSENT_GRACE_MS) {
        a->told = true;
        a->give_up_ms = job_timeout_ms(c, job);
        progress_clear(view);
        char limit[32];
        format_duration((double)a->give_up_ms / 1000.0, limit, sizeof limit);
        fprintf(stderr,
                "jmake: job %s waits for the %s daemon, which is not running; start it with "
                "`jmake --home %s start %s` (waiting at most %s, the job's timeout)\n",
                str_of(job, "id"), daemon_table[a->kind].name, c->home, daemon_table[a->kind].name, limit);
    }
    return a->told && (int64_t)(now - a->absent_since_ms) >= a->give_up_ms + DAEMON_ABSENT_GRACE_MS;
}

/* Polls one job until it ends, showing progress; returns its final record (caller deletes) or NULL. */
static cJSON *follow_job(cli *c, jmake_client *client, const char *id, int64_t timeout_ms, bool show, int *code,
                         bool cancel_on_interrupt)
{
    progress_view view = {.c = c, .tty = isatty(2) && show, .started_ms = clock_monotonic_ms(), .last_done = -1};
    absent_daemon absent = {.kind = -1};
    struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
    if (cancel_on_interrupt) {
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    if (view.tty) {
        /* Something on the line at once, not only when the first poll answers. */
        cJSON *queued = cJSON_CreateObject();
        cJSON_AddStringToObject(queued, "id", id);
        cJSON_AddStringToObject(queued, "state", "pending");
        progress_show(&view, queued);
        cJSON_Delete(queued);
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
        if (absent.kind < 0) {
            int t = job_type_from_name(str_of(job, "type"));
            absent.kind = t < 0 ? -1 : (int)job_type_table[t].daemon;
        }
        if (show)
            progress_show(&view, job);
        bool give_up = daemon_absent_too_long(c, &absent, job, &view);
        cJSON_Delete(job);
        if (give_up) {
            progress_clear(&view);
            fprintf(stderr, "jmake: gave up waiting for job %s; it stays queued\n", id);
            *code = EXIT_TIMEOUT;
            break;
        }
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
    progress_clear(&view);
    if (cancel_on_interrupt) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    return final;
}

/* ---- timelines ---- */

/* Copies the timeline of job's build to dest. The result names a file in the
 * home (result.trace) that the compilation daemon wrote: the CLI runs on the
 * same machine as the same user, so it reads it directly. Returns an exit code. */
static int copy_trace(const cJSON *job, const char *dest)
{
    const char *id = str_of(job, "id");
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(job, "result"), "trace"));
    if (!src) {
        fprintf(stderr, "jmake: job %s has no timeline (only compilation jobs that ran keep one)\n", id);
        return EXIT_JOB_FAILED;
    }
    size_t len = 0;
    char *text = read_file(src, &len);
    if (!text) {
        if (errno == ENOENT)
            fprintf(stderr, "jmake: no timeline kept for job %s (only the last %d per project are kept)\n", id,
                    BUILDTRACE_KEEP);
        else
            fprintf(stderr, "jmake: cannot read the timeline of job %s (%s): %s\n", id, src, strerror(errno));
        return EXIT_JOB_FAILED;
    }
    int rc = write_file_atomic(dest, text, len, 0644);
    free(text);
    if (rc < 0) {
        fprintf(stderr, "jmake: cannot write %s: %s\n", dest, strerror(-rc));
        return EXIT_JOB_FAILED;
    }
    fflush(stdout);   /* after the result line, also when both go to one pipe */
    fprintf(stderr, "wrote %s: the timeline of job %s (open it in ui.perfetto.dev or chrome://tracing)\n", dest, id);
    return EXIT_OK;
}

/* --trace FILE names a file to write: its folder must exist (told before anything runs). */
static bool trace_destination_ok(const cli *c)
{
    const char *dest = cli_opt(c, "--trace");
    if (!dest)
        return true;
    char *abs = path_absolute(NULL, dest);
    char *dir = path_dirname(abs);
    bool ok = dir_exists(dir) && !dir_exists(abs);
    if (!ok)
        fprintf(stderr, "jmake %s: --trace: %s\n", c->command->name,
                dir_exists(abs) ? "names a folder, not a file" : "its folder does not exist");
    free(dir);
    free(abs);
    return ok;
}

static int job_trace(jmake_client *client, const char *id, const char *dest)
{
    int code;
    cJSON *reply = cli_call(client, id_request("job_result", id), &code);
    if (!reply)
        return code;
    code = copy_trace(cJSON_GetObjectItem(reply, "job"), dest);
    cJSON_Delete(reply);
    return code;
}

/* ---- job ---- */

/* The state word alone (SPEC 3); the reason is in --json and `job result`. */
static int job_status(jmake_client *client, cli *c, const char *id)
{
    int code;
    cJSON *reply = cli_call(client, id_request("job_status", id), &code);
    if (!reply)
        return code;
    const cJSON *job = cJSON_GetObjectItem(reply, "job");
    if (c->json)
        print_json(job);
    else
        printf("%s\n", str_of(job, "state"));
    cJSON_Delete(reply);
    return EXIT_OK;
}

static int job_wait(jmake_client *client, cli *c, int argc, char **argv)
{
    int64_t timeout_ms = -1;
    const char *timeout_text = cli_opt(c, "--timeout");
    if (timeout_text) {
        int64_t t = parse_duration_seconds(timeout_text);
        if (t < 0) {
            fprintf(stderr, "jmake job wait: --timeout: '%s' is not a duration (30, 30s, 2m)\n", timeout_text);
            return cli_usage("job");
        }
        timeout_ms = t * 1000;
    }
    int code = EXIT_OK;
    int exit_code = EXIT_OK;
    uint64_t started = clock_monotonic_ms();
    cJSON *all = cJSON_CreateArray();
    for (int i = 2; i < argc; i++) {
        int64_t left = timeout_ms < 0 ? -1 : timeout_ms - (int64_t)(clock_monotonic_ms() - started);
        if (timeout_ms >= 0 && left < 0)
            left = 0;
        cJSON *job = follow_job(c, client, argv[i], left, !c->json, &code, false);
        if (!job) {
            exit_code = code;
            if (code == EXIT_TIMEOUT && timeout_ms >= 0)
                fprintf(stderr, "jmake: job %s did not finish within the timeout\n", argv[i]);
            break;
        }
        const char *state = str_of(job, "state");
        bool ok = strcmp(state, "completed") == 0;
        if (!ok)
            exit_code = EXIT_JOB_FAILED;
        if (!c->json) {
            const char *reason = str_of(job, "reason");
            printf("%s: %s%s%s%s%s\n", argv[i], cli_paint_on(c, stdout, ok ? CLI_PAINT_GOOD : CLI_PAINT_ERROR), state,
                   cli_paint_off(c, stdout), *reason ? ": " : "", reason);
        }
        cJSON_AddItemToArray(all, job);
    }
    if (c->json)
        print_json(all);
    cJSON_Delete(all);
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

/* The columns of `job list`: a header, then one row a job, each column as wide as its widest cell. */
enum { COL_ID, COL_TYPE, COL_PRIORITY, COL_STATE, COL_AGE, COL_DURATION, COL_COUNT };
static const char *const column_titles[COL_COUNT] = {"ID", "TYPE", "PRIORITY", "STATE", "AGE", "DURATION"};

static void job_row(const cJSON *j, int64_t now_ms, char cells[COL_COUNT][128])
{
    snprintf(cells[COL_ID], 128, "%s", str_of(j, "id"));
    snprintf(cells[COL_TYPE], 128, "%s", str_of(j, "type"));
    snprintf(cells[COL_PRIORITY], 128, "%d", (int)num_of(j, "priority"));
    snprintf(cells[COL_STATE], 128, "%s", str_of(j, "state"));
    double submitted = num_of(j, "submitted_ms"), started = num_of(j, "started_ms"), finished = num_of(j, "finished_ms");
    format_duration(((double)now_ms - submitted) / 1000.0, cells[COL_AGE], 128);
    if (started > 0)
        format_duration(((finished > 0 ? finished : (double)now_ms) - started) / 1000.0, cells[COL_DURATION], 128);
    else
        snprintf(cells[COL_DURATION], 128, "-");
}

/* After a page of the list: on stderr (stdout stays the list), how to see the next one. */
static void say_next_page(const cJSON *reply, long limit, const char *state)
{
    if (!cJSON_IsTrue(cJSON_GetObjectItem(reply, "more")))
        return;
    fflush(stdout);
    fprintf(stderr, "jmake: the %ld newest shown; the next page: jmake job list --after %s%s%s (or --limit 0 for all)\n",
            limit, cJSON_GetStringValue(cJSON_GetObjectItem(reply, "last")), state ? " --state " : "",
            state ? state : "");
}

static int job_list(jmake_client *client, cli *c)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "job_list");
    const char *state = cli_opt(c, "--state");
    if (state)
        cJSON_AddStringToObject(req, "state", state);
    long limit = 100;
    if (!number_option(c, "--limit", 0, &limit)) {
        cJSON_Delete(req);
        return cli_usage("job");
    }
    cJSON_AddNumberToObject(req, "limit", (double)limit);
    const char *after = cli_opt(c, "--after");
    if (after)
        cJSON_AddStringToObject(req, "after", after);
    int code;
    cJSON *reply = cli_call(client, req, &code);
    if (!reply)
        return code;
    const cJSON *jobs = cJSON_GetObjectItem(reply, "jobs");
    if (c->json) {
        print_json(jobs);
        say_next_page(reply, limit, state);
        cJSON_Delete(reply);
        return EXIT_OK;
    }
    int64_t now = clock_wall_ms();
    int n = cJSON_GetArraySize(jobs);
    char (*rows)[COL_COUNT][128] = xcalloc((size_t)n + 1, sizeof *rows);
    int width[COL_COUNT];
    for (int k = 0; k < COL_COUNT; k++)
        width[k] = (int)strlen(column_titles[k]);
    int i = 0;
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs)
    {
        job_row(j, now, rows[i]);
        for (int k = 0; k < COL_COUNT; k++)
            if ((int)strlen(rows[i][k]) > width[k])
                width[k] = (int)strlen(rows[i][k]);
        i++;
    }
    const char *bold = cli_paint_on(c, stdout, CLI_PAINT_BOLD), *off = cli_paint_off(c, stdout);
    /* Numbers and durations right-aligned, words left-aligned; no trailing blanks. */
    printf("%s%-*s  %-*s  %*s  %-*s  %*s  %*s%s\n", bold, width[0], column_titles[0], width[1], column_titles[1],
           width[2], column_titles[2], width[3], column_titles[3], width[4], column_titles[4], width[5],
           column_titles[5], off);
    for (int r = 0; r < n; r++)
        printf("%-*s  %-*s  %*s  %-*s  %*s  %*s\n", width[0], rows[r][0], width[1], rows[r][1], width[2], rows[r][2],
               width[3], rows[r][3], width[4], rows[r][4], width[5], rows[r][5]);
    free(rows);
    say_next_page(reply, limit, state);
    cJSON_Delete(reply);
    return EXIT_OK;
}

static int job_clean(jmake_client *client, cli *c)
{
    int64_t older = 0;
    const char *text = cli_opt(c, "--older-than");
    if (text && (older = parse_duration_seconds(text)) < 0) {
        fprintf(stderr, "jmake job clean: --older-than: '%s' is not a duration (7d, 12h, 30m, 45s)\n", text);
        return cli_usage("job");
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "job_clean");
    cJSON_AddNumberToObject(req, "older_than_seconds", (double)older);
    int code;
    cJSON *reply = cli_call(client, req, &code);
    if (!reply)
        return code;
    if (c->json) {
        print_json(reply);
    } else {
        long removed = (long)num_of(reply, "removed");
        printf("removed %ld finished %s\n", removed, cli_plural(removed, "job", "jobs"));
    }
    cJSON_Delete(reply);
    return EXIT_OK;
}

int cli_job(cli *c, int argc, char **argv)
{
    const char *sub = c->subcommand->name;
    jmake_client *client = cli_connect(c);
    if (!client)
        return EXIT_UNREACHABLE;
    int rc;
    if (strcmp(sub, "status") == 0)
        rc = job_status(client, c, argv[2]);
    else if (strcmp(sub, "result") == 0 && cli_opt(c, "--trace"))
        rc = trace_destination_ok(c) ? job_trace(client, argv[2], cli_opt(c, "--trace")) : EXIT_USAGE;
    else if (strcmp(sub, "result") == 0)
        rc = job_simple(client, c, "job_result", argv[2]);
    else if (strcmp(sub, "cancel") == 0)
        rc = job_simple(client, c, "job_cancel", argv[2]);
    else if (strcmp(sub, "wait") == 0)
        rc = job_wait(client, c, argc, argv);
    else if (strcmp(sub, "list") == 0)
        rc = job_list(client, c);
    else
        rc = job_clean(client, c);
    jmake_disconnect(client);
    return rc;
}

/* ---- build ---- */

/* Diagnostics on stderr (coloured on a terminal), the result line on stdout: a script
 * reading stdout gets the result, a person sees everything. */
/* After a failed build the orchestrator queues its analysis ("ID.analysis",
 * priority 0): wait for it a short while and show its first suggestion under
 * the errors. No suggestion (or no analysis in time) prints nothing but where
 * to look later. */
#define BUILD_SUGGESTION_WAIT_MS 3000

static void print_top_suggestion(const cli *c, jmake_client *client, const char *build_id)
{
    char *id = xasprintf("%s.analysis", build_id);
    jmake_job_state state;
    int rc = jmake_wait_for_job(client, id, BUILD_SUGGESTION_WAIT_MS, &state);
    char *json = NULL;
    if (rc == JMAKE_OK && state == JMAKE_JOB_COMPLETED && jmake_get_job_results(client, id, &json) == JMAKE_OK) {
        cJSON *job = cJSON_Parse(json);
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(job, "result"), "suggestions"), 0);
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(first, "text"));
        if (text)
            fprintf(stderr, "%ssuggestion%s: %s\n", cli_paint_on(c, stderr, CLI_PAINT_BOLD), cli_paint_off(c, stderr),
                    text);
        cJSON_Delete(job);
    } else if (rc == JMAKE_ERR_TIMEOUT) {
        fprintf(stderr, "analysis still running: jmake job result %s\n", id);
    }
    jmake_free(json);
    free(id);
}

/* After a build that compiled more than this many files, the five slowest are named. */
#define SLOWEST_AFTER 50

/* "slowest 5 of 312 compiled:" and one line each, longest first: where a build's time went. */
static void print_slowest(const cJSON *result)
{
    long compiled = (long)num_of(cJSON_GetObjectItem(result, "files"), "compiled");
    const cJSON *list = cJSON_GetObjectItem(result, "slowest");
    if (compiled <= SLOWEST_AFTER || cJSON_GetArraySize(list) == 0)
        return;
    printf("slowest %d of %ld compiled:\n", cJSON_GetArraySize(list), compiled);
    const cJSON *e;
    cJSON_ArrayForEach(e, list) printf("  %6.2f s  %s\n", num_of(e, "ms") / 1000.0, str_of(e, "file"));
}

static void print_build_summary(const cli *c, const cJSON *job)
{
    const cJSON *result = cJSON_GetObjectItem(job, "result");
    const cJSON *diag = cJSON_GetObjectItem(result, "diagnostics");
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(diag, "items"))
    {
        const char *severity = str_of(item, "severity");
        cli_paint paint = strcmp(severity, "error") == 0 ? CLI_PAINT_ERROR : CLI_PAINT_WARNING;
        fprintf(stderr, "%s:%d:%d: %s%s%s: %s\n", str_of(item, "file"), (int)num_of(item, "line"),
                (int)num_of(item, "column"), cli_paint_on(c, stderr, paint), severity, cli_paint_off(c, stderr),
                str_of(item, "message"));
    }
    /* What the build could not store (a full disk): it still counts, but the next one may cost more. */
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(result, "storage_warnings"))
        if (cJSON_IsString(item))
            fprintf(stderr, "jmake: %swarning%s: %s\n", cli_paint_on(c, stderr, CLI_PAINT_WARNING),
                    cli_paint_off(c, stderr), item->valuestring);
    fflush(stderr);
    const cJSON *files = cJSON_GetObjectItem(result, "files");
    const cJSON *artifact = cJSON_GetObjectItem(result, "artifact");
    const cJSON *timings = cJSON_GetObjectItem(result, "timings_ms");
    const char *state = str_of(job, "state");
    long total = (long)num_of(files, "total");
    if (strcmp(state, "completed") == 0) {
        printf("%sbuild completed%s: %s (%s, %.0f bytes): %ld %s, %d compiled, %d from cache, %d up to date, "
               "%.2f s\n",
               cli_paint_on(c, stdout, CLI_PAINT_GOOD), cli_paint_off(c, stdout), str_of(artifact, "path"),
               str_of(artifact, "kind"), num_of(artifact, "size"), total, cli_plural(total, "file", "files"),
               (int)num_of(files, "compiled"), (int)num_of(files, "from_cache"), (int)num_of(files, "up_to_date"),
               num_of(timings, "total") / 1000.0);
    } else {
        const char *reason = str_of(job, "reason");
        printf("%sbuild %s%s: %s\n", cli_paint_on(c, stdout, CLI_PAINT_ERROR), state, cli_paint_off(c, stdout),
               *reason ? reason : "see the job log");
        int failed = (int)num_of(files, "failed");
        if (files && failed == 0 && total > 0)
            printf("the link failed (none of the %ld %s failed to compile); log: %s\n", total,
                   cli_plural(total, "source", "sources"), str_of(job, "log_path"));
        else if (files)
            printf("%d of %ld %s failed; log: %s\n", failed, total, cli_plural(total, "file", "files"),
                   str_of(job, "log_path"));
    }
    print_slowest(result);
}

/* --explain: one line per unit the build compiled or restored, from the
 * result's explain list ("src/a.c: header include/a.h changed; cache miss: ..."). */
static void print_explain(const cJSON *result)
{
    const cJSON *list = cJSON_GetObjectItem(result, "explain");
    if (!cJSON_IsArray(list))
        return;   /* no result (the job did not run) or an older daemon */
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *outcome = str_of(e, "outcome");
        const cJSON *cache = cJSON_GetObjectItem(e, "cache");
        bool miss = strcmp(str_of(cache, "result"), "miss") == 0;
        printf("%s: %s%s%s%s%s\n", str_of(e, "file"), strcmp(outcome, "restored") == 0 ? "restored: " : "",
               str_of(e, "text"), strcmp(outcome, "failed") == 0 ? " (failed)" : "", miss ? "; cache miss: " : "",
               miss ? str_of(cache, "text") : "");
    }
    long more = (long)num_of(result, "explain_omitted");
    if (more > 0)
        printf("... and %ld more (the result lists the first %d)\n", more, cJSON_GetArraySize(list));
    else if (cJSON_GetArraySize(list) == 0)
        printf("nothing was compiled: every file was up to date\n");
}

int cli_build(cli *c, int argc, char **argv)
{
    long priority = 1;
    if (!number_option(c, "--priority", 0, &priority))
        return cli_usage("build");
    if (!trace_destination_ok(c))
        return EXIT_USAGE;
    const char *dir = argc > 1 ? argv[1] : ".";
    char *abs = path_absolute(NULL, dir);
    bool named_file = strcmp(path_extension(abs), ".toml") == 0;
    char *config = named_file ? xstrdup(abs) : path_join(abs, "jmake.toml");
    /* A user error is told before any daemon starts. */
    if (!named_file && dir_exists(abs) && !file_exists(config)) {
        fprintf(stderr, "jmake: %s has no jmake.toml (%s); `jmake init %s` writes one\n", abs, config, dir);
        free(abs);
        free(config);
        return EXIT_USAGE;
    }
    if (!file_exists(config)) {
        fprintf(stderr, "jmake: %s does not exist: no folder with a jmake.toml there\n", config);
        free(abs);
        free(config);
        return EXIT_USAGE;
    }
    free(abs);
    int code = EXIT_OK;
    jmake_client *client = cli_connect_autostart(c, &code);
    if (!client) {
        free(config);
        return code;
    }
    jmake_job_options o = {.type = "compilation", .priority = (int)priority, .config_file = config};
    char *id = NULL;
    int rc = jmake_submit_job(client, &o, &id);
    free(config);
    if (rc != JMAKE_OK) {
        code = cli_fail(client, rc);
        jmake_disconnect(client);
        return code;
    }
    if (!c->json && !isatty(2))
        fprintf(stderr, "job %s queued\n", id);
    cJSON *job = follow_job(c, client, id, -1, !c->json, &code, true);
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
            print_build_summary(c, job);
            if (cli_flag(c, "--explain"))
                print_explain(cJSON_GetObjectItem(job, "result"));
            if (strcmp(str_of(job, "state"), "failed") == 0)
                print_top_suggestion(c, client, id);
        }
        code = strcmp(str_of(job, "state"), "completed") == 0 ? EXIT_OK : EXIT_JOB_FAILED;
        if (cli_opt(c, "--trace")) {
            int traced = copy_trace(job, cli_opt(c, "--trace"));
            if (code == EXIT_OK)
                code = traced;
        }
        cJSON_Delete(job);
    }
    jmake_free(id);
    jmake_disconnect(client);
    return code;
}
