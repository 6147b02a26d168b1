/* runner_fake.c - a runner for tests: records commands and completes them with scripted results, writing the outputs a compiler would, without spawning. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "sys.h"
#include "util.h"

typedef struct fake_rule {
    char *match;
    int exit_code;
    char *output;
} fake_rule;

typedef struct fake_cmd {
    strvec argv;
    char *cwd;
    void *tag;
    uint64_t due_ms;
} fake_cmd;

typedef struct fake_runner {
    runner base;
    pthread_mutex_t mu;     /* guards everything below: batches run on several build threads */
    int hold_ms;
    fake_rule *rules;
    size_t nrules;
    strvec log;             /* started commands, joined */
    size_t running, max_running, busy_batches, max_batches;
} fake_runner;

typedef struct fake_batch {
    runner_batch base;
    fake_cmd *cmds;         /* in flight, oldest first */
    size_t n, cap;
} fake_batch;

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

static runner_batch *fake_batch_open(runner *r)
{
    fake_batch *b = xcalloc(1, sizeof *b);
    b->base.owner = r;
    return &b->base;
}

static int fake_start(runner_batch *base, const runner_command *cmd)
{
    fake_batch *b = (fake_batch *)base;
    fake_runner *f = (fake_runner *)base->owner;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->cmds = xrealloc(b->cmds, b->cap * sizeof *b->cmds);
    }
    fake_cmd *c = &b->cmds[b->n++];
    memset(c, 0, sizeof *c);
    size_t len = 1;
    for (size_t i = 0; cmd->argv[i]; i++) {
        strvec_push(&c->argv, cmd->argv[i]);
        len += strlen(cmd->argv[i]) + 1;
    }
    c->cwd = cmd->cwd ? xstrdup(cmd->cwd) : NULL;
    c->tag = cmd->tag;
    c->due_ms = clock_monotonic_ms() + (uint64_t)(f->hold_ms > 0 ? f->hold_ms : 0);
    char *joined = xmalloc(len);
    size_t o = 0;
    for (size_t i = 0; i < c->argv.n; i++) {
        size_t l = strlen(c->argv.v[i]);
        if (i)
            joined[o++] = ' ';
        memcpy(joined + o, c->argv.v[i], l);
        o += l;
    }
    joined[o] = 0;
    pthread_mutex_lock(&f->mu);
    strvec_push_owned(&f->log, joined);
    if (++f->running > f->max_running)
        f->max_running = f->running;
    if (b->n == 1 && ++f->busy_batches > f->max_batches)
        f->max_batches = f->busy_batches;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static char *in_cwd(const fake_cmd *c, const char *path) { return path_absolute(c->cwd, path); }

/* The `#include "x"` lines of the source that resolve beside it or in a -I folder, as a compiler would write them. */
static void scan_includes(const fake_cmd *c, const char *src, strvec *headers)
{
    char *abs = in_cwd(c, src);
    size_t len = 0;
    char *text = read_file(abs, &len);
    free(abs);
    if (!text)
        return;
    char *src_dir = path_dirname(src);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *q;
        if (!strncmp(line, "#include \"", 10) && (q = strchr(line + 10, '"'))) {
            char *name = xstrndup(line + 10, (size_t)(q - line - 10));
            char *found = NULL;
            char *cand = path_join(src_dir, name);
            char *cabs = in_cwd(c, cand);
            if (file_exists(cabs))
                found = cand;
            else
                free(cand);
            free(cabs);
            for (size_t i = 0; !found && i < c->argv.n; i++) {
                if (strncmp(c->argv.v[i], "-I", 2) != 0)
                    continue;
                cand = path_join(c->argv.v[i] + 2, name);
                cabs = in_cwd(c, cand);
                if (file_exists(cabs))
                    found = cand;
                else
                    free(cand);
                free(cabs);
            }
            if (found)
                strvec_push_owned(headers, found);
            free(name);
        }
        line = next;
    }
    free(src_dir);
    free(text);
}

static void write_in_cwd(const fake_cmd *c, const char *path, const char *data, size_t len)
{
    char *abs = in_cwd(c, path);
    char *dir = path_dirname(abs);
    mkdir_p(dir, 0755);
    write_file_atomic(abs, data, len, 0644);
    free(dir);
    free(abs);
}

/* What a compiler or linker would leave behind. */
static void write_outputs(const fake_cmd *c)
{
    const char *out = NULL, *dep = NULL, *src = NULL;
    for (size_t i = 0; i + 1 < c->argv.n; i++) {
        if (!strcmp(c->argv.v[i], "-o"))
            out = c->argv.v[i + 1];
        else if (!strcmp(c->argv.v[i], "-MF"))
            dep = c->argv.v[i + 1];
        else if (!strcmp(c->argv.v[i], "-c"))
            src = c->argv.v[i + 1];
    }
    if (out) {
        bytebuf bb = {0};
        for (size_t i = 0; i < c->argv.n; i++) {
            bytebuf_put(&bb, c->argv.v[i], strlen(c->argv.v[i]));
            bytebuf_put(&bb, "\n", 1);
        }
        if (src) {
            char *abs = in_cwd(c, src);
            size_t len = 0;
            char *text = read_file(abs, &len);
            if (text)
                bytebuf_put(&bb, text, len);
            free(text);
            free(abs);
        }
        write_in_cwd(c, out, (const char *)bb.p, bb.len);
        free(bb.p);
    }
    if (dep && out && src) {
        strvec headers = {0};
        scan_includes(c, src, &headers);
        bytebuf bb = {0};
        bytebuf_put(&bb, out, strlen(out));
        bytebuf_put(&bb, ": ", 2);
        bytebuf_put(&bb, src, strlen(src));
        for (size_t i = 0; i < headers.n; i++) {
            bytebuf_put(&bb, " ", 1);
            bytebuf_put(&bb, headers.v[i], strlen(headers.v[i]));
        }
        bytebuf_put(&bb, "\n", 1);
        write_in_cwd(c, dep, (const char *)bb.p, bb.len);
        free(bb.p);
        strvec_free(&headers);
    }
}

static void free_cmd(fake_cmd *c)
{
    strvec_free(&c->argv);
    free(c->cwd);
}

/* Completes the oldest command of b (its outputs written, or its scripted failure). */
static void complete_oldest(fake_batch *b, runner_result *res)
{
    fake_runner *f = (fake_runner *)b->base.owner;
    fake_cmd c = b->cmds[0];
    memmove(b->cmds, b->cmds + 1, (b->n - 1) * sizeof *b->cmds);
    b->n--;
    const fake_rule *rule = NULL;
    pthread_mutex_lock(&f->mu);
    for (size_t r = 0; r < f->nrules && !rule; r++)
        for (size_t i = 0; i < c.argv.n && !rule; i++)
            if (ends_with(c.argv.v[i], f->rules[r].match))
                rule = &f->rules[r];
    *res = (runner_result){.tag = c.tag};
    if (rule) {
        res->status = (rule->exit_code & 0xff) << 8;
        res->output = xstrdup(rule->output);
        res->output_len = strlen(rule->output);
    }
    f->running--;
    if (!b->n)
        f->busy_batches--;
    pthread_mutex_unlock(&f->mu);
    if (!rule)
        write_outputs(&c);
    free_cmd(&c);
}

/* One command per call, and only once it was in flight for hold_ms, so
   several commands are in flight at once as with real compilers. */
static int fake_wait(runner_batch *base, int wake_fd, int timeout_ms, runner_result *done, size_t max)
{
    fake_batch *b = (fake_batch *)base;
    uint64_t now = clock_monotonic_ms();
    if (b->n && max && b->cmds[0].due_ms <= now) {
        complete_oldest(b, &done[0]);
        return 1;
    }
    int sleep_ms = timeout_ms;
    if (b->n && (int64_t)(b->cmds[0].due_ms - now) < sleep_ms)
        sleep_ms = (int)(b->cmds[0].due_ms - now);
    struct pollfd pfd = {.fd = wake_fd, .events = POLLIN};
    int rc = poll(&pfd, wake_fd >= 0 ? 1 : 0, sleep_ms);
    if (rc > 0)
        sys_wake_drain(wake_fd);
    if (b->n && max && b->cmds[0].due_ms <= clock_monotonic_ms()) {
        complete_oldest(b, &done[0]);
        return 1;
    }
    return 0;
}

static void fake_cancel(runner_batch *base)
{
    fake_batch *b = (fake_batch *)base;
    fake_runner *f = (fake_runner *)base->owner;
    pthread_mutex_lock(&f->mu);
    f->running -= b->n;
    if (b->n)
        f->busy_batches--;
    pthread_mutex_unlock(&f->mu);
    for (size_t i = 0; i < b->n; i++)
        free_cmd(&b->cmds[i]);
    b->n = 0;
}

static void fake_batch_close(runner_batch *base)
{
    fake_batch *b = (fake_batch *)base;
    fake_cancel(base);
    free(b->cmds);
    free(b);
}

static void fake_free(runner *r)
{
    fake_runner *f = (fake_runner *)r;
    for (size_t i = 0; i < f->nrules; i++) {
        free(f->rules[i].match);
        free(f->rules[i].output);
    }
    free(f->rules);
    strvec_free(&f->log);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static const runner_ops fake_ops = {
    .slots = NULL,
    .batch_open = fake_batch_open,
    .start = fake_start,
    .wait = fake_wait,
    .cancel = fake_cancel,
    .batch_close = fake_batch_close,
    .free = fake_free,
};

runner *runner_fake_new(int hold_ms)
{
    fake_runner *f = xcalloc(1, sizeof *f);
    f->base.ops = &fake_ops;
    f->hold_ms = hold_ms;
    pthread_mutex_init(&f->mu, NULL);
    return &f->base;
}

void runner_fake_fail(runner *r, const char *match, int exit_code, const char *output)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    f->rules = xrealloc(f->rules, (f->nrules + 1) * sizeof *f->rules);
    f->rules[f->nrules++] = (fake_rule){xstrdup(match), exit_code, xstrdup(output ? output : "")};
    pthread_mutex_unlock(&f->mu);
}

size_t runner_fake_count(runner *r)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    size_t n = f->log.n;
    pthread_mutex_unlock(&f->mu);
    return n;
}

char *runner_fake_command(runner *r, size_t i)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    char *s = i < f->log.n ? xstrdup(f->log.v[i]) : NULL;
    pthread_mutex_unlock(&f->mu);
    return s;
}

size_t runner_fake_count_matching(runner *r, const char *suffix)
{
    fake_runner *f = (fake_runner *)r;
    size_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->log.n; i++) {
        /* an argument ending in suffix: followed by a space or the end */
        const char *p = f->log.v[i];
        size_t lx = strlen(suffix);
        for (const char *q = strstr(p, suffix); q; q = strstr(q + 1, suffix)) {
            if (q[lx] == ' ' || q[lx] == 0) {
                n++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

size_t runner_fake_max_running(runner *r)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    size_t n = f->max_running;
    pthread_mutex_unlock(&f->mu);
    return n;
}

size_t runner_fake_max_batches(runner *r)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    size_t n = f->max_batches;
    pthread_mutex_unlock(&f->mu);
    return n;
}

void runner_fake_reset(runner *r)
{
    fake_runner *f = (fake_runner *)r;
    pthread_mutex_lock(&f->mu);
    strvec_free(&f->log);
    f->max_running = f->running;
    f->max_batches = f->busy_batches;
    pthread_mutex_unlock(&f->mu);
}
