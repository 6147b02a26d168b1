/* runner_distcc.c - the distcc runner: jmake picks a host for every compile, runs "distcc <compiler> ..." against that host alone, and redoes here (counted) what no host answered. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "runner.h"
#include "subproc.h"
#include "util.h"

extern char **environ;

#define DEFAULT_REMOTE_LIMIT 4      /* distcc's own default per TCP/SSH host */
#define DEFAULT_BACKOFF_MS 30000
#define MAX_BACKOFF_SHIFT 3         /* a host failing again and again: 1, 2, 4, 8 times the back-off */
#define PENDING_POLL_MS 10          /* a batch with commands waiting for a local slot looks this often */
#define PUMP_TIMEOUT_MS 20000

/* One entry of the host list. */
typedef struct dc_host {
    char *spec;             /* handed to distcc as DISTCC_HOSTS (",cpp" added in pump mode); owned */
    char *name;             /* the spec without its options, for logs and results; owned */
    bool local;             /* "localhost": jmake runs those compiles itself */
    size_t limit, in_flight;
    uint64_t down_until;    /* 0: up; else skipped until then, after which one command probes it */
    unsigned failures;      /* in a row */
} dc_host;

typedef struct distcc_runner {
    runner base;
    runner *inner;          /* owned */
    char *distcc;           /* absolute path; owned */
    strvec env;             /* NAME=value set in every distcc command (DISTCC_FALLBACK=0, ...) */
    dc_host *hosts;
    size_t nhosts;
    bool local_listed;      /* a localhost entry fixes where local compiles come in the order */
    size_t local_cap;       /* processes here at once: compiles, fallbacks, links */
    size_t local_compile_cap; /* compiles placed here by choice (localhost/N, at most local_cap) */
    uint64_t backoff_ms;
    uint64_t (*clock_ms)(void);
    bool pump_running;
    strvec pump_env;        /* INCLUDE_SERVER_* of the include server we started */
    pthread_mutex_t mu;     /* guards every host's in_flight and down state, local_in_flight, local_compiles */
    size_t local_in_flight, local_compiles;
} distcc_runner;

/* One command of a batch, from start until its result is handed back. */
typedef struct dc_cmd {
    void *tag;              /* the caller's */
    strvec argv;            /* the real command (the compiler first) */
    char *cwd;
    strvec envp;            /* the command's environment (copied) */
    bool compile;           /* has -c: counted in the placement */
    bool distributable;     /* a compile distcc can take */
    bool fallback;          /* a remote attempt failed or a failed host was skipped: runs here */
    bool local_quota;       /* holds one of local_compile_cap */
    int host;               /* index into hosts while running remotely; -1 = here */
    int status;             /* for a result made up by the runner (ready list) */
    char *output;
    size_t output_len;
    struct dc_cmd *prev, *next;
} dc_cmd;

typedef struct dc_list {
    dc_cmd *head, *tail;
} dc_list;

typedef struct dc_batch {
    runner_batch base;
    runner_batch *inner;
    dc_list pending;        /* waiting for a place, in order */
    dc_list running;        /* started in inner */
    dc_list ready;          /* finished without running (could not start) */
    runner_placement counts;
    runner_result *scratch;
    size_t scratch_cap;
} dc_batch;

/* ------------------------------------------------------------- lists */

static void list_remove(dc_list *l, dc_cmd *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(dc_list *l, dc_cmd *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void list_prepend(dc_list *l, dc_cmd *c)
{
    c->prev = NULL;
    c->next = l->head;
    if (l->head)
        l->head->prev = c;
    else
        l->tail = c;
    l->head = c;
}

static void cmd_free(dc_cmd *c)
{
    strvec_free(&c->argv);
    strvec_free(&c->envp);
    free(c->cwd);
    free(c->output);
    free(c);
}

static void list_free(dc_list *l)
{
    while (l->head) {
        dc_cmd *c = l->head;
        list_remove(l, c);
        cmd_free(c);
    }
}

/* -------------------------------------------------------- host list */

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The "/LIMIT" of head[0..n): *limit set and true when present. */
static bool find_limit(const char *head, size_t n, size_t *limit, bool *bad)
{
    for (size_t i = 0; i < n; i++) {
        if (head[i] != '/')
            continue;
        size_t j = i + 1;
        while (j < n && isdigit((unsigned char)head[j]))
            j++;
        if (j == i + 1 || (j < n && head[j] != ':')) {
            *bad = true;
            return false;
        }
        *limit = (size_t)strtoul(head + i + 1, NULL, 10);
        return true;
    }
    return false;
}

typedef enum host_parse { HOST_ENTRY, HOST_IGNORED, HOST_BAD } host_parse;

/* Parses one distcc host specification (distcc(1), "Host Specifications").
   On HOST_BAD *why is set (caller frees). */
static host_parse parse_host(const char *spec, bool pump, size_t local_cap, dc_host *h, char **why)
{
    memset(h, 0, sizeof *h);
    if (!strncmp(spec, "--", 2)) {
        /* Global options of distcc's own scheduler; jmake schedules itself
           (max_parallel_builds bounds the work here). */
        if (!strcmp(spec, "--randomize") || !strncmp(spec, "--localslots=", 13) ||
            !strncmp(spec, "--localslots_cpp=", 17))
            return HOST_IGNORED;
        *why = xasprintf("unknown distcc host option '%s'", spec);
        return HOST_BAD;
    }
    if (spec[0] == '+') {
        *why = xasprintf("'%s': zeroconf host discovery is not supported; list the hosts", spec);
        return HOST_BAD;
    }
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    if (!n) {
        *why = xasprintf("empty host in '%s'", spec);
        return HOST_BAD;
    }
    bool has_cpp = false, has_lzo = false;
    for (const char *o = comma; o && *o;) {
        o++;
        const char *end = strchr(o, ',');
        size_t len = end ? (size_t)(end - o) : strlen(o);
        if (len == 3 && !strncmp(o, "cpp", 3))
            has_cpp = true;
        else if (len == 3 && !strncmp(o, "lzo", 3))
            has_lzo = true;
        else if (strncmp(o, "auth", 4) != 0) {
            *why = xasprintf("'%s': unknown host option '%.*s' (lzo, cpp, auth)", spec, (int)len, o);
            return HOST_BAD;
        }
        o = end;
    }
    bool bad = false;
    size_t limit = 0;
    if (n >= 9 && !strncmp(spec, "localhost", 9) && (n == 9 || spec[9] == '/')) {
        h->local = true;
        if (n > 9 && (!all_digits(spec + 10, n - 10))) {
            *why = xasprintf("'%s': the limit after localhost/ must be a number", spec);
            return HOST_BAD;
        }
        limit = n > 9 ? (size_t)strtoul(spec + 10, NULL, 10) : local_cap;
    } else {
        const char *at = memchr(spec, '@', n);
        size_t from = at ? (size_t)(at - spec) + 1 : 0;
        size_t upto = n;
        if (at) {   /* [USER]@HOST[/LIMIT][:COMMAND]: the command may hold slashes */
            const char *colon = memchr(spec + from, ':', n - from);
            if (colon)
                upto = (size_t)(colon - spec);
        }
        if (upto == from || spec[from] == '/' || spec[from] == ':') {
            *why = xasprintf("'%s': no host name", spec);
            return HOST_BAD;
        }
        if (!find_limit(spec + from, upto - from, &limit, &bad))
            limit = DEFAULT_REMOTE_LIMIT;
        if (bad || limit == 0) {
            *why = xasprintf("'%s': the limit after / must be a number of at least 1", spec);
            return HOST_BAD;
        }
    }
    h->limit = limit;
    h->name = xstrndup(spec, n);
    /* Pump mode needs both ",cpp" and ",lzo" on a host (distcc refuses cpp alone). */
    h->spec = xasprintf("%s%s%s", spec, pump && !h->local && !has_cpp ? ",cpp" : "",
                        pump && !h->local && !has_lzo ? ",lzo" : "");
    return HOST_ENTRY;
}

/* Whitespace-separated specifications, '#' to the end of a line a comment. */
static void split_hosts(const char *text, strvec *out)
{
    const char *p = text;
    while (*p) {
        if (*p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *s = p;
        while (*p && !isspace((unsigned char)*p) && *p != '#')
            p++;
        strvec_push_owned(out, xstrndup(s, (size_t)(p - s)));
    }
}

/* distcc's own host list, in distcc's order of places. */
static void default_hosts(const char *distcc_dir, strvec *out)
{
    const char *env = getenv("DISTCC_HOSTS");
    if (env && *env) {
        split_hosts(env, out);
        return;
    }
    char *files[3] = {0};
    const char *dir = distcc_dir ? distcc_dir : getenv("DISTCC_DIR");
    if (dir)
        files[0] = path_join(dir, "hosts");
    else if (getenv("HOME"))
        files[0] = xasprintf("%s/.distcc/hosts", getenv("HOME"));
    files[1] = xstrdup("/etc/distcc/hosts");
    for (size_t i = 0; i < 2 && !out->n; i++) {
        char *text = files[i] ? read_file(files[i], NULL) : NULL;
        if (text)
            split_hosts(text, out);
        free(text);
    }
    free(files[0]);
    free(files[1]);
}

/* ------------------------------------------------------- pump mode */

/* Runs argv to completion (at most timeout_ms) with env added to the
   daemon's environment. Returns its output (caller frees) or NULL, and
   whether it exited 0. */
static char *run_sync(char *const *argv, const strvec *env, bool *ok)
{
    strvec envp = {0};
    for (char **e = environ; *e; e++)
        strvec_push(&envp, *e);
    for (size_t i = 0; i < env->n; i++)
        strvec_push(&envp, env->v[i]);
    subproc p = {.out_fd = -1};
    *ok = false;
    int rc = subproc_start(&p, argv, NULL, envp.v);
    strvec_free(&envp);
    if (rc < 0)
        return NULL;
    uint64_t deadline = clock_monotonic_ms() + PUMP_TIMEOUT_MS;
    while (!p.finished && clock_monotonic_ms() < deadline)
        subproc_poll(&p, 1, 100);
    if (!p.finished)
        subproc_kill(&p);
    *ok = p.finished && subproc_succeeded(&p);
    char *out = p.output;
    p.output = NULL;
    subproc_release(&p);
    return out;
}

/* distcc-pump's driver: "pump" upstream, "distcc-pump" on Debian. Caller frees. */
static char *pump_program(void)
{
    char *p = subproc_find_program("pump");
    return p ? p : subproc_find_program("distcc-pump");
}

/* `pump --startup` starts distcc-pump's include server and prints the
   variables distcc needs to find it ("export NAME='value'"; of those, only
   INCLUDE_SERVER_* are taken: DISTCC_HOSTS stays jmake's, one host a compile). */
static bool pump_start(distcc_runner *d, char **why)
{
    char *pump = pump_program();
    if (!pump) {
        *why = xstrdup("pump = true needs distcc-pump ('pump' or 'distcc-pump' on PATH)");
        return false;
    }
    bytebuf hosts = {0};
    for (size_t i = 0; i < d->nhosts; i++) {
        if (d->hosts[i].local)
            continue;
        if (hosts.len)
            bytebuf_put(&hosts, " ", 1);
        bytebuf_put(&hosts, d->hosts[i].spec, strlen(d->hosts[i].spec));
    }
    bytebuf_put(&hosts, "", 1);
    strvec env = {0};
    strvec_push_owned(&env, xasprintf("DISTCC_HOSTS=%s", hosts.p ? (char *)hosts.p : ""));
    free(hosts.p);
    char *argv[] = {pump, "--startup", NULL};
    bool ok;
    char *out = run_sync(argv, &env, &ok);
    strvec_free(&env);
    free(pump);
    for (char *line = out; ok && line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *eq;
        if (!strncmp(line, "export INCLUDE_SERVER_", 22) && (eq = strchr(line + 7, '='))) {
            char *val = eq + 1;
            size_t len = strlen(val);
            if (len >= 2 && val[0] == '\'' && val[len - 1] == '\'') {
                val[len - 1] = 0;
                val++;
            }
            strvec_push_owned(&d->pump_env, xasprintf("%.*s=%s", (int)(eq - line - 7), line + 7, val));
        }
        line = next;
    }
    bool have_port = false;
    for (size_t i = 0; i < d->pump_env.n; i++)
        if (!strncmp(d->pump_env.v[i], "INCLUDE_SERVER_PORT=", 20))
            have_port = true;
    if (!ok || !have_port) {
        *why = xasprintf("pump --startup failed: %s", out ? out : "no output");
        free(out);
        return false;
    }
    free(out);
    d->pump_running = true;
    strvec_extend(&d->env, &d->pump_env);
    return true;
}

static void pump_stop(distcc_runner *d)
{
    if (!d->pump_running)
        return;
    char *pump = pump_program();
    if (pump) {
        char *argv[] = {pump, "--shutdown", NULL};
        bool ok;
        free(run_sync(argv, &d->pump_env, &ok));
        if (!ok)
            log_warn("distcc: pump --shutdown failed; the include server may still run");
    }
    free(pump);
    d->pump_running = false;
}

/* -------------------------------------------------------- placement */

static bool is_compile_source(const char *path)
{
    static const char *const exts[] = {".c", ".cc", ".cpp", ".cxx", ".C", ".c++", ".i", ".ii", NULL};
    const char *ext = path_extension(path);
    for (size_t i = 0; exts[i]; i++)
        if (!strcmp(ext, exts[i]))
            return true;
    return false;
}

/* A compile is a command with -c; distcc takes it when its input is C or C++
   (assembly and LLVM bitcode stay here, like everything without -c). */
static void classify(dc_cmd *c)
{
    bool stays_here = false;
    const char *src = NULL;
    for (size_t i = 1; i < c->argv.n; i++) {
        if (!strcmp(c->argv.v[i], "-c")) {
            c->compile = true;
            if (i + 1 < c->argv.n)
                src = c->argv.v[i + 1];
        } else if (!strcmp(c->argv.v[i], "-emit-llvm") || !strcmp(c->argv.v[i], "-E")) {
            stays_here = true;
        }
    }
    c->distributable = c->compile && !stays_here && src && is_compile_source(src);
}

static uint64_t now_ms(const distcc_runner *d) { return d->clock_ms ? d->clock_ms() : clock_monotonic_ms(); }

static void note_host(runner_placement *pl, const char *name)
{
    if (!strvec_contains(&pl->failed_hosts, name))
        strvec_push(&pl->failed_hosts, name);
}

enum { PLACE_HERE = -1, PLACE_WAIT = -2 };

/* Caller holds d->mu. Where c runs: a host index, PLACE_HERE, or PLACE_WAIT
   (no room anywhere now). Hosts are taken in list order; without a localhost
   entry this machine comes after every host. */
static int place(distcc_runner *d, dc_batch *b, dc_cmd *c, uint64_t now)
{
    bool local_room = d->local_in_flight < d->local_cap;
    if (!c->distributable || c->fallback)
        return local_room ? PLACE_HERE : PLACE_WAIT;
    bool quota = local_room && d->local_compiles < d->local_compile_cap;
    bool skipped_down = false;
    for (size_t i = 0; i < d->nhosts; i++) {
        dc_host *h = &d->hosts[i];
        if (h->local) {
            if (quota) {
                c->local_quota = true;
                return PLACE_HERE;
            }
            continue;
        }
        if (h->down_until > now) {
            skipped_down = true;
            note_host(&b->counts, h->name);
            continue;
        }
        /* Back-off over: one command tries the host before others follow. */
        size_t room = h->down_until ? 1 : h->limit;
        if (h->in_flight < room)
            return (int)i;
    }
    if (!d->local_listed && quota) {
        c->local_quota = true;
        c->fallback = skipped_down;
        return PLACE_HERE;
    }
    if (skipped_down && local_room) {
        c->fallback = true;   /* beyond the local compile quota: the hosts that would take it are down */
        return PLACE_HERE;
    }
    return PLACE_WAIT;
}

/* Caller holds d->mu. */
static void take_place(distcc_runner *d, dc_cmd *c, int where)
{
    c->host = where;
    if (where >= 0) {
        d->hosts[where].in_flight++;
    } else {
        d->local_in_flight++;
        if (c->local_quota)
            d->local_compiles++;
    }
}

/* Caller holds d->mu. */
static void give_back(distcc_runner *d, dc_cmd *c)
{
    if (c->host >= 0) {
        d->hosts[c->host].in_flight--;
    } else {
        d->local_in_flight--;
        if (c->local_quota)
            d->local_compiles--;
    }
    c->local_quota = false;
}

/* true when entry e ("NAME=value") sets a variable jmake sets itself. */
static bool overridden(const distcc_runner *d, const char *e)
{
    if (!strncmp(e, "DISTCC_HOSTS=", 13))
        return true;
    for (size_t i = 0; i < d->env.n; i++) {
        const char *eq = strchr(d->env.v[i], '=');
        size_t n = (size_t)(eq - d->env.v[i]) + 1;
        if (!strncmp(e, d->env.v[i], n))
            return true;
    }
    return false;
}

/* The environment of a distcc command: the command's own without the
   variables jmake sets (other DISTCC_* settings of the daemon's environment
   stay), then those, then the chosen host. Caller frees. */
static void distcc_env(const distcc_runner *d, const dc_cmd *c, strvec *out)
{
    for (size_t i = 0; i < c->envp.n; i++)
        if (!overridden(d, c->envp.v[i]))
            strvec_push(out, c->envp.v[i]);
    strvec_extend(out, &d->env);
    strvec_push_owned(out, xasprintf("DISTCC_HOSTS=%s", d->hosts[c->host].spec));
}

/* Starts c in the inner batch at the place it holds. Returns 0 or -errno. */
static int launch(dc_batch *b, dc_cmd *c)
{
    distcc_runner *d = (distcc_runner *)b->base.owner;
    runner_command rc = {.cwd = c->cwd, .tag = c};
    strvec argv = {0}, env = {0};
    if (c->host >= 0) {
        strvec_push(&argv, d->distcc);
        strvec_extend(&argv, &c->argv);
        distcc_env(d, c, &env);
        rc.argv = argv.v;
        rc.envp = env.v;
    } else {
        rc.argv = c->argv.v;
        rc.envp = c->envp.v;
    }
    int r = runner_start(b->inner, &rc);
    strvec_free(&argv);
    strvec_free(&env);
    if (r == 0)
        list_append(&b->running, c);
    return r;
}

/* A command the runner could not start: handed back as exit 127 with the reason. */
static void make_ready(dc_batch *b, dc_cmd *c, int err)
{
    c->status = 127 << 8;
    c->output = xasprintf("%s: error: cannot run: %s\n", c->argv.v[0], strerror(-err));
    c->output_len = strlen(c->output);
    list_append(&b->ready, c);
}

/* Starts pending commands in order while they find a place. */
static void start_pending(dc_batch *b)
{
    distcc_runner *d = (distcc_runner *)b->base.owner;
    while (b->pending.head) {
        dc_cmd *c = b->pending.head;
        pthread_mutex_lock(&d->mu);
        int where = place(d, b, c, now_ms(d));
        if (where != PLACE_WAIT)
            take_place(d, c, where);
        pthread_mutex_unlock(&d->mu);
        if (where == PLACE_WAIT)
            return;
        list_remove(&b->pending, c);
        int r = launch(b, c);
        if (r < 0 && c->host >= 0) {
            /* distcc itself cannot start: this compile runs here instead. */
            pthread_mutex_lock(&d->mu);
            give_back(d, c);
            pthread_mutex_unlock(&d->mu);
            c->fallback = true;
            list_prepend(&b->pending, c);
            continue;
        }
        if (r < 0) {
            pthread_mutex_lock(&d->mu);
            give_back(d, c);
            pthread_mutex_unlock(&d->mu);
            make_ready(b, c, r);
        }
    }
}

/* ------------------------------------------------- results of distcc */

typedef enum remote_verdict { REMOTE_RESULT, REMOTE_HOST_FAILED, REMOTE_NOT_SENT } remote_verdict;

/* distcc's own failures exit 100..127 (distcc(1), "Exit codes"); any other
   exit is the compiler's answer, errors included. Of distcc's, bad
   arguments, recursion, a missing input and "must preprocess here" are not
   the host's fault: redone here without blaming it. */
static remote_verdict judge(int status)
{
    if (WIFSIGNALED(status))
        return REMOTE_NOT_SENT;   /* the distcc client itself died (a compiler's signal comes back as exit 128+N) */
    if (!WIFEXITED(status))
        return REMOTE_RESULT;
    int code = WEXITSTATUS(status);
    if (code < 100 || code > 127)
        return REMOTE_RESULT;
    if (code == 101 || code == 111 || code == 115 || code == 120)
        return REMOTE_NOT_SENT;
    return REMOTE_HOST_FAILED;
}

/* The last non-empty line of distcc's output (what went wrong), or "". Caller frees. */
static char *last_line(const char *out, size_t len)
{
    while (len && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
        len--;
    size_t start = len;
    while (start && out[start - 1] != '\n')
        start--;
    size_t n = len - start > 300 ? 300 : len - start;
    return xstrndup(out + start, n);
}

/* Caller holds d->mu. */
static void host_failed(distcc_runner *d, dc_batch *b, dc_host *h, int status, const char *why, uint64_t now)
{
    note_host(&b->counts, h->name);
    if (h->down_until > now)
        return;   /* another command already marked it: one log line per failure, not per file */
    unsigned shift = h->failures < MAX_BACKOFF_SHIFT ? h->failures : MAX_BACKOFF_SHIFT;
    h->failures++;
    uint64_t wait_ms = d->backoff_ms << shift;
    h->down_until = now + wait_ms;
    log_warn("distcc: host %s failed (distcc exit %d: %s); compiling here instead, host skipped for %llu s",
             h->name, WEXITSTATUS(status), why, (unsigned long long)(wait_ms / 1000));
}

/* Caller holds d->mu. */
static void host_answered(dc_host *h)
{
    if (h->down_until)
        log_info("distcc: host %s answers again", h->name);
    h->down_until = 0;
    h->failures = 0;
}

static void count(dc_batch *b, const dc_cmd *c)
{
    if (!c->compile)
        return;
    if (c->host >= 0)
        b->counts.remote++;
    else if (c->fallback)
        b->counts.fallback++;
    else
        b->counts.local++;
}

/* --------------------------------------------------------- the ops */

static size_t dc_slots(runner *r)
{
    distcc_runner *d = (distcc_runner *)r;
    size_t n = d->local_compile_cap;
    for (size_t i = 0; i < d->nhosts; i++)
        if (!d->hosts[i].local)
            n += d->hosts[i].limit;
    return n ? n : d->local_cap;
}

static runner_batch *dc_batch_open(runner *r)
{
    distcc_runner *d = (distcc_runner *)r;
    dc_batch *b = xcalloc(1, sizeof *b);
    b->base.owner = r;
    b->inner = runner_batch_open(d->inner);
    return &b->base;
}

static int dc_start(runner_batch *base, const runner_command *cmd)
{
    dc_batch *b = (dc_batch *)base;
    distcc_runner *d = (distcc_runner *)base->owner;
    dc_cmd *c = xcalloc(1, sizeof *c);
    c->tag = cmd->tag;
    c->host = PLACE_HERE;
    for (size_t i = 0; cmd->argv[i]; i++)
        strvec_push(&c->argv, cmd->argv[i]);
    for (char *const *e = cmd->envp ? cmd->envp : environ; *e; e++)
        strvec_push(&c->envp, *e);
    c->cwd = cmd->cwd ? xstrdup(cmd->cwd) : NULL;
    classify(c);
    if (b->pending.head) {   /* keep the order: behind those already waiting */
        list_append(&b->pending, c);
        start_pending(b);
        return 0;
    }
    pthread_mutex_lock(&d->mu);
    int where = place(d, b, c, now_ms(d));
    if (where != PLACE_WAIT)
        take_place(d, c, where);
    pthread_mutex_unlock(&d->mu);
    if (where == PLACE_WAIT) {
        list_append(&b->pending, c);
        return 0;
    }
    int r = launch(b, c);
    if (r < 0) {
        pthread_mutex_lock(&d->mu);
        give_back(d, c);
        pthread_mutex_unlock(&d->mu);
        if (c->host >= 0) {   /* distcc cannot start: run here */
            c->host = PLACE_HERE;
            c->fallback = true;
            list_append(&b->pending, c);
            start_pending(b);
            return 0;
        }
        cmd_free(c);
    }
    return r;
}

static size_t take_ready(dc_batch *b, runner_result *done, size_t max)
{
    size_t nd = 0;
    while (nd < max && b->ready.head) {
        dc_cmd *c = b->ready.head;
        list_remove(&b->ready, c);
        done[nd++] = (runner_result){.tag = c->tag, .status = c->status, .output = c->output,
                                     .output_len = c->output_len};
        c->output = NULL;
        count(b, c);
        cmd_free(c);
    }
    return nd;
}

static int dc_wait(runner_batch *base, int wake_fd, int timeout_ms, runner_result *done, size_t max)
{
    dc_batch *b = (dc_batch *)base;
    distcc_runner *d = (distcc_runner *)base->owner;
    start_pending(b);
    size_t nd = take_ready(b, done, max);
    if (nd)
        return (int)nd;
    if (b->pending.head && timeout_ms > PENDING_POLL_MS)
        timeout_ms = PENDING_POLL_MS;   /* a slot here may be given back by another build */
    if (max > b->scratch_cap) {
        b->scratch = xrealloc(b->scratch, max * sizeof *b->scratch);
        b->scratch_cap = max;
    }
    int n = runner_wait(b->inner, wake_fd, timeout_ms, max ? b->scratch : NULL, max);
    if (n <= 0)
        return n;
    for (int i = 0; i < n; i++) {
        runner_result *r = &b->scratch[i];
        dc_cmd *c = r->tag;
        list_remove(&b->running, c);
        remote_verdict v = c->host >= 0 ? judge(r->status) : REMOTE_RESULT;
        pthread_mutex_lock(&d->mu);
        if (c->host >= 0) {
            dc_host *h = &d->hosts[c->host];
            if (v == REMOTE_HOST_FAILED) {
                char *why = last_line(r->output ? r->output : "", r->output ? r->output_len : 0);
                host_failed(d, b, h, r->status, why, now_ms(d));
                free(why);
            } else if (v == REMOTE_RESULT) {
                host_answered(h);
            }
        }
        give_back(d, c);
        pthread_mutex_unlock(&d->mu);
        if (v != REMOTE_RESULT) {
            /* distcc's messages are not the compiler's: dropped, the compile redone here. */
            free(r->output);
            c->host = PLACE_HERE;
            c->fallback = true;
            list_prepend(&b->pending, c);
            continue;
        }
        count(b, c);
        done[nd++] = (runner_result){.tag = c->tag, .status = r->status, .output = r->output,
                                     .output_len = r->output_len};
        cmd_free(c);
    }
    start_pending(b);   /* the redone compiles start now, not on the next call */
    return (int)nd;
}

static void dc_cancel(runner_batch *base)
{
    dc_batch *b = (dc_batch *)base;
    distcc_runner *d = (distcc_runner *)base->owner;
    runner_cancel(b->inner);
    pthread_mutex_lock(&d->mu);
    for (dc_cmd *c = b->running.head; c; c = c->next)
        give_back(d, c);
    pthread_mutex_unlock(&d->mu);
    list_free(&b->running);
    list_free(&b->pending);
    list_free(&b->ready);
}

static void dc_batch_close(runner_batch *base)
{
    dc_batch *b = (dc_batch *)base;
    dc_cancel(base);
    runner_batch_close(b->inner);
    strvec_free(&b->counts.failed_hosts);
    free(b->scratch);
    free(b);
}

static void dc_placement(runner_batch *base, runner_placement *out)
{
    dc_batch *b = (dc_batch *)base;
    *out = (runner_placement){.remote = b->counts.remote, .local = b->counts.local, .fallback = b->counts.fallback};
    strvec_extend(&out->failed_hosts, &b->counts.failed_hosts);
}

static void dc_free(runner *r)
{
    distcc_runner *d = (distcc_runner *)r;
    pump_stop(d);
    runner_free(d->inner);
    for (size_t i = 0; i < d->nhosts; i++) {
        free(d->hosts[i].spec);
        free(d->hosts[i].name);
    }
    free(d->hosts);
    strvec_free(&d->env);
    strvec_free(&d->pump_env);
    free(d->distcc);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

static const runner_ops distcc_ops = {
    .slots = dc_slots,
    .batch_open = dc_batch_open,
    .start = dc_start,
    .wait = dc_wait,
    .cancel = dc_cancel,
    .batch_close = dc_batch_close,
    .free = dc_free,
    .placement = dc_placement,
};

runner *runner_distcc_new(const runner_distcc_options *o, char **reason)
{
    *reason = NULL;
    distcc_runner *d = xcalloc(1, sizeof *d);
    d->base.ops = &distcc_ops;
    pthread_mutex_init(&d->mu, NULL);
    d->local_cap = o->local_slots ? o->local_slots : 1;
    d->backoff_ms = o->backoff_ms ? o->backoff_ms : DEFAULT_BACKOFF_MS;
    d->clock_ms = o->clock_ms;
    d->inner = o->inner;
    d->distcc = subproc_find_program(o->distcc ? o->distcc : "distcc");
    if (!d->distcc) {
        *reason = xasprintf("distcc ('%s') not found", o->distcc ? o->distcc : "distcc");
        goto fail;
    }
    strvec specs = {0};
    for (size_t i = 0; i < o->nhosts; i++)
        strvec_push(&specs, o->hosts[i]);
    if (!specs.n)
        default_hosts(o->distcc_dir, &specs);
    d->hosts = xcalloc(specs.n + 1, sizeof *d->hosts);
    size_t remote = 0;
    for (size_t i = 0; i < specs.n; i++) {
        dc_host h;
        char *why = NULL;
        host_parse hp = parse_host(specs.v[i], o->pump, d->local_cap, &h, &why);
        if (hp == HOST_BAD) {
            *reason = xasprintf("[distributed] hosts: %s", why);
            free(why);
            strvec_free(&specs);
            goto fail;
        }
        if (hp == HOST_IGNORED)
            continue;
        if (h.local && d->local_listed) {
            free(h.spec);
            free(h.name);
            continue;   /* one local entry; distcc too ignores a repeated localhost */
        }
        if (h.local) {
            d->local_listed = true;
            d->local_compile_cap = h.limit < d->local_cap ? h.limit : d->local_cap;
        } else {
            remote++;
        }
        d->hosts[d->nhosts++] = h;
    }
    strvec_free(&specs);
    if (!d->nhosts) {
        *reason = xstrdup("[distributed] engine = \"distcc\" but no hosts are given (hosts, $DISTCC_HOSTS or a distcc hosts file)");
        goto fail;
    }
    if (!d->local_listed)
        d->local_compile_cap = d->local_cap;
    /* DISTCC_FALLBACK=0: distcc must not compile here on its own, jmake does
       it and counts it. distcc's own back-off is kept at its minimum: at 0 a
       refused connection makes distcc retry forever, and jmake skips failing
       hosts itself. */
    strvec_push(&d->env, "DISTCC_FALLBACK=0");
    strvec_push(&d->env, "DISTCC_BACKOFF_PERIOD=1");
    if (o->distcc_dir) {
        mkdir_p(o->distcc_dir, 0700);
        strvec_push_owned(&d->env, xasprintf("DISTCC_DIR=%s", o->distcc_dir));
    }
    if (o->pump && remote && !pump_start(d, reason))
        goto fail;
    if (!d->inner)
        d->inner = runner_local_new();
    return &d->base;
fail:
    dc_free(&d->base);   /* frees the inner runner too: it was handed over */
    return NULL;
}
