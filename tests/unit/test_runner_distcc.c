/* test_runner_distcc.c - the distcc runner through a scripted inner runner and a fake clock: host list, placement, fallback, back-off, the local bound, and the engine on top of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "engine.h"
#include "runner.h"
#include "util.h"

#define DISTCC "/bin/true"   /* any program: the scripted runner never runs it */

/* ------------------------------------------------ the scripted inner runner */

typedef struct script_cmd {
    void *tag;
    char *host;     /* DISTCC_HOSTS of a distcc command; NULL = run here */
    int status;
    char *output;
} script_cmd;

typedef struct script_runner {
    runner base;
    strvec down;            /* hosts whose distcc commands fail to connect */
    strvec broken_source;   /* sources whose compile fails (the compiler's error) */
    bool hold;              /* wait completes nothing while set */
    strvec started;         /* "host src" or "here src" per start */
    strvec last_env;        /* environment of the last distcc command */
    strvec last_argv;       /* argv of the last distcc command */
    size_t here_running, max_here_running;
} script_runner;

typedef struct script_batch {
    runner_batch base;
    script_cmd *cmds;
    size_t n, cap;
} script_batch;

static runner_batch *script_batch_open(runner *r)
{
    script_batch *b = calloc(1, sizeof *b);
    b->base.owner = r;
    return &b->base;
}

static const char *source_of(char *const *argv)
{
    for (size_t i = 0; argv[i]; i++)
        if (!strcmp(argv[i], "-c") && argv[i + 1])
            return argv[i + 1];
    return "(link)";
}

static int script_start(runner_batch *base, const runner_command *cmd)
{
    script_batch *b = (script_batch *)base;
    script_runner *s = (script_runner *)base->owner;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->cmds = realloc(b->cmds, b->cap * sizeof *b->cmds);
    }
    script_cmd *c = &b->cmds[b->n++];
    memset(c, 0, sizeof *c);
    c->tag = cmd->tag;
    bool through_distcc = !strcmp(cmd->argv[0], DISTCC);
    for (size_t i = 0; through_distcc && cmd->envp && cmd->envp[i]; i++)
        if (!strncmp(cmd->envp[i], "DISTCC_HOSTS=", 13))
            c->host = xstrdup(cmd->envp[i] + 13);
    assert_true(!through_distcc || c->host);
    const char *src = source_of(cmd->argv);
    strvec_push_owned(&s->started, xasprintf("%s %s", c->host ? c->host : "here", src));
    if (c->host) {
        strvec_free(&s->last_env);
        strvec_free(&s->last_argv);
        for (size_t i = 0; cmd->envp[i]; i++)
            strvec_push(&s->last_env, cmd->envp[i]);
        for (size_t i = 0; cmd->argv[i]; i++)
            strvec_push(&s->last_argv, cmd->argv[i]);
    } else if (++s->here_running > s->max_here_running) {
        s->max_here_running = s->here_running;
    }
    if (c->host && strvec_contains(&s->down, c->host)) {
        c->status = 116 << 8;
        c->output = xasprintf("distcc[1] ERROR: nonblocking connect to %s failed: Connection refused\n", c->host);
    } else if (strvec_contains(&s->broken_source, src)) {
        c->status = 1 << 8;
        c->output = xasprintf("%s:1:5: error: expected ';'\n", src);
    }
    return 0;
}

static int script_wait(runner_batch *base, int wake_fd, int timeout_ms, runner_result *done, size_t max)
{
    script_batch *b = (script_batch *)base;
    script_runner *s = (script_runner *)base->owner;
    size_t nd = 0;
    while (!s->hold && nd < max && b->n) {
        script_cmd *c = &b->cmds[0];
        if (!c->host)
            s->here_running--;
        done[nd++] = (runner_result){.tag = c->tag, .status = c->status, .output = c->output,
                                     .output_len = c->output ? strlen(c->output) : 0};
        free(c->host);
        memmove(&b->cmds[0], &b->cmds[1], (b->n - 1) * sizeof *b->cmds);
        b->n--;
    }
    return (int)nd;
}

static void script_cancel(runner_batch *base)
{
    script_batch *b = (script_batch *)base;
    for (size_t i = 0; i < b->n; i++) {
        free(b->cmds[i].host);
        free(b->cmds[i].output);
    }
    b->n = 0;
}

static void script_batch_close(runner_batch *base)
{
    script_cancel(base);
    free(((script_batch *)base)->cmds);
    free(base);
}

static void script_free(runner *r)
{
    script_runner *s = (script_runner *)r;
    strvec_free(&s->down);
    strvec_free(&s->broken_source);
    strvec_free(&s->started);
    strvec_free(&s->last_env);
    strvec_free(&s->last_argv);
    free(s);
}

static const runner_ops script_ops = {
    .batch_open = script_batch_open,
    .start = script_start,
    .wait = script_wait,
    .cancel = script_cancel,
    .batch_close = script_batch_close,
    .free = script_free,
};

static script_runner *script_new(void)
{
    script_runner *s = calloc(1, sizeof *s);
    s->base.ops = &script_ops;
    return s;
}

/* ------------------------------------------------------------- helpers */

static uint64_t fake_now = 1000;
static uint64_t fake_clock(void) { return fake_now; }

static runner *distcc_over(script_runner *s, const char *const *hosts, size_t nhosts, size_t local)
{
    runner_distcc_options o = {.hosts = hosts, .nhosts = nhosts, .distcc = DISTCC, .local_slots = local,
                               .backoff_ms = 10000, .inner = &s->base, .clock_ms = fake_clock};
    char *reason = NULL;
    runner *r = runner_distcc_new(&o, &reason);
    if (!r)
        fail_msg("runner_distcc_new: %s", reason);
    return r;
}

static char *reject_reason(const char *spec)
{
    const char *hosts[] = {spec};
    runner_distcc_options o = {.hosts = hosts, .nhosts = 1, .distcc = DISTCC, .local_slots = 2};
    char *reason = NULL;
    runner *r = runner_distcc_new(&o, &reason);
    assert_null(r);
    assert_non_null(reason);
    return reason;
}

static size_t slots_of(const char *const *hosts, size_t n, size_t local)
{
    runner *r = distcc_over(script_new(), hosts, n, local);
    size_t slots = runner_slots(r);
    runner_free(r);
    return slots;
}

/* Starts a compile of src (tag = a string naming it) in b. */
static void start_compile(runner_batch *b, const char *src)
{
    char *argv[] = {"/usr/bin/gcc", "-O2", "-MD", "-MF", "x.d", "-c", (char *)src, "-o", "x.o", NULL};
    char *env[] = {"PATH=/usr/bin", "DISTCC_HOSTS=should-be-replaced", NULL};
    runner_command cmd = {.argv = argv, .cwd = "/tmp", .envp = env, .tag = (void *)src};
    assert_int_equal(runner_start(b, &cmd), 0);
}

static void start_link(runner_batch *b)
{
    char *argv[] = {"/usr/bin/gcc", "-shared", "-o", "lib.so", "a.o", NULL};
    runner_command cmd = {.argv = argv, .tag = "link"};
    assert_int_equal(runner_start(b, &cmd), 0);
}

/* Waits until n results came back; returns how many of them succeeded. */
static size_t drain(runner_batch *b, size_t n)
{
    size_t got = 0, ok = 0;
    for (int rounds = 0; got < n && rounds < 1000; rounds++) {
        runner_result done[16];
        int k = runner_wait(b, -1, 0, done, 16);
        assert_true(k >= 0);
        for (int i = 0; i < k; i++) {
            ok += runner_result_succeeded(&done[i]);
            free(done[i].output);
        }
        got += (size_t)k;
    }
    assert_int_equal(got, n);
    return ok;
}

static runner_placement placement(runner_batch *b)
{
    runner_placement pl = {0};
    assert_true(runner_batch_placement(b, &pl));
    return pl;
}

/* --------------------------------------------------------------- tests */

static void test_host_list_and_slots(void **state)
{
    (void)state;
    const char *h1[] = {"a/2", "b", "localhost/1"};
    assert_int_equal(slots_of(h1, 3, 4), 2 + 4 + 1);
    const char *h2[] = {"10.0.0.1:3632/3,lzo", "user@c/5:/usr/bin/distccd,lzo", "--randomize"};
    assert_int_equal(slots_of(h2, 3, 2), 3 + 5 + 2);   /* no localhost entry: max_parallel_builds here */
    const char *h3[] = {"localhost/0", "a/1"};
    assert_int_equal(slots_of(h3, 2, 2), 1);
    setenv("DISTCC_HOSTS", "x/3 y  # a comment\n", 1);
    assert_int_equal(slots_of(NULL, 0, 2), 3 + 4 + 2);
    unsetenv("DISTCC_HOSTS");

    char *why = reject_reason("a/x");
    assert_non_null(strstr(why, "a/x"));
    free(why);
    free(reject_reason("a/0"));
    free(reject_reason("a,gzip"));
    free(reject_reason("+zeroconf"));
    free(reject_reason("--jobs=3"));
    const char *none[] = {"localhost"};
    runner_distcc_options o = {.hosts = none, .nhosts = 1, .distcc = "/no/such/distcc", .local_slots = 2};
    char *reason = NULL;
    assert_null(runner_distcc_new(&o, &reason));
    assert_non_null(strstr(reason, "not found"));
    free(reason);
}

static void test_compiles_fill_hosts_in_order_and_links_stay_here(void **state)
{
    (void)state;
    script_runner *s = script_new();
    const char *hosts[] = {"a/2", "b/1,lzo"};
    runner *r = distcc_over(s, hosts, 2, 2);
    runner_batch *b = runner_batch_open(r);
    s->hold = true;
    const char *srcs[] = {"s0.c", "s1.c", "s2.cc", "s3.c", "s4.c", "s5.c"};
    for (int i = 0; i < 6; i++)
        start_compile(b, srcs[i]);
    /* 2 to a, 1 to b, 2 here; the sixth finds no room anywhere and waits. */
    assert_int_equal(s->started.n, 5);
    assert_string_equal(s->started.v[0], "a/2 s0.c");
    assert_string_equal(s->started.v[1], "a/2 s1.c");
    assert_string_equal(s->started.v[2], "b/1,lzo s2.cc");
    assert_string_equal(s->started.v[3], "here s3.c");
    assert_string_equal(s->started.v[4], "here s4.c");
    /* The distcc command: distcc, then the real command; only the chosen host, no fallback inside distcc. */
    assert_string_equal(s->last_argv.v[0], DISTCC);
    assert_string_equal(s->last_argv.v[1], "/usr/bin/gcc");
    assert_true(strvec_contains(&s->last_env, "DISTCC_FALLBACK=0"));
    assert_true(strvec_contains(&s->last_env, "DISTCC_HOSTS=b/1,lzo"));
    assert_false(strvec_contains(&s->last_env, "DISTCC_HOSTS=should-be-replaced"));
    assert_true(strvec_contains(&s->last_env, "PATH=/usr/bin"));
    s->hold = false;
    assert_int_equal(drain(b, 6), 6);
    runner_placement pl = placement(b);
    assert_int_equal(pl.remote + pl.local, 6);
    assert_true(pl.remote >= 3);
    assert_int_equal(pl.fallback, 0);
    assert_int_equal(pl.failed_hosts.n, 0);
    strvec_free(&pl.failed_hosts);

    start_link(b);
    assert_string_equal(s->started.v[s->started.n - 1], "here (link)");
    assert_int_equal(drain(b, 1), 1);
    pl = placement(b);
    assert_int_equal(pl.remote + pl.local, 6);   /* a link is not a compile */
    strvec_free(&pl.failed_hosts);
    runner_batch_close(b);
    runner_free(r);
}

static void test_failed_host_falls_back_and_is_skipped_for_a_while(void **state)
{
    (void)state;
    fake_now = 1000;
    script_runner *s = script_new();
    const char *hosts[] = {"a/2"};
    runner *r = distcc_over(s, hosts, 1, 1);
    runner_batch *b = runner_batch_open(r);
    strvec_push(&s->down, "a/2");

    start_compile(b, "s0.c");
    assert_int_equal(drain(b, 1), 1);   /* redone here: the caller sees one success */
    assert_int_equal(s->started.n, 2);
    assert_string_equal(s->started.v[0], "a/2 s0.c");
    assert_string_equal(s->started.v[1], "here s0.c");
    runner_placement pl = placement(b);
    assert_int_equal(pl.fallback, 1);
    assert_int_equal(pl.remote, 0);
    assert_int_equal(pl.failed_hosts.n, 1);
    assert_string_equal(pl.failed_hosts.v[0], "a/2");
    strvec_free(&pl.failed_hosts);

    /* Within the back-off the host is not tried again. */
    fake_now += 9000;
    start_compile(b, "s1.c");
    assert_int_equal(drain(b, 1), 1);
    assert_int_equal(s->started.n, 3);
    assert_string_equal(s->started.v[2], "here s1.c");

    /* After it, one compile probes the host; it still fails: skipped twice as long. */
    fake_now += 1001;
    start_compile(b, "s2.c");
    assert_int_equal(drain(b, 1), 1);
    assert_int_equal(s->started.n, 5);
    assert_string_equal(s->started.v[3], "a/2 s2.c");
    assert_string_equal(s->started.v[4], "here s2.c");
    fake_now += 15000;
    start_compile(b, "s3.c");
    assert_int_equal(drain(b, 1), 1);
    assert_string_equal(s->started.v[5], "here s3.c");

    /* The host is back: the probe after the longer back-off succeeds, then it takes its full limit again. */
    strvec_free(&s->down);
    fake_now += 5001;
    start_compile(b, "s4.c");
    assert_int_equal(drain(b, 1), 1);
    assert_string_equal(s->started.v[6], "a/2 s4.c");
    s->hold = true;
    start_compile(b, "s5.c");
    start_compile(b, "s6.c");
    assert_string_equal(s->started.v[7], "a/2 s5.c");
    assert_string_equal(s->started.v[8], "a/2 s6.c");
    s->hold = false;
    assert_int_equal(drain(b, 2), 2);
    pl = placement(b);
    assert_int_equal(pl.remote, 3);
    assert_int_equal(pl.fallback, 4);
    assert_int_equal(pl.local, 0);
    strvec_free(&pl.failed_hosts);
    runner_batch_close(b);
    runner_free(r);
}

static void test_compile_error_is_the_compilers_answer(void **state)
{
    (void)state;
    fake_now = 1000;
    script_runner *s = script_new();
    const char *hosts[] = {"a/2"};
    runner *r = distcc_over(s, hosts, 1, 1);
    runner_batch *b = runner_batch_open(r);
    strvec_push(&s->broken_source, "bad.c");
    start_compile(b, "bad.c");
    runner_result res;
    int n = 0;
    for (int i = 0; i < 100 && n == 0; i++)
        n = runner_wait(b, -1, 0, &res, 1);
    assert_int_equal(n, 1);
    assert_false(runner_result_succeeded(&res));
    assert_int_equal(WEXITSTATUS(res.status), 1);
    assert_non_null(strstr(res.output, "bad.c:1:5: error"));
    free(res.output);
    assert_int_equal(s->started.n, 1);   /* not redone here */
    start_compile(b, "good.c");
    assert_int_equal(drain(b, 1), 1);
    assert_string_equal(s->started.v[1], "a/2 good.c");   /* the host was not blamed */
    runner_placement pl = placement(b);
    assert_int_equal(pl.remote, 2);
    assert_int_equal(pl.fallback, 0);
    assert_int_equal(pl.failed_hosts.n, 0);
    strvec_free(&pl.failed_hosts);
    runner_batch_close(b);
    runner_free(r);
}

static void test_fallbacks_respect_the_local_bound(void **state)
{
    (void)state;
    fake_now = 1000;
    script_runner *s = script_new();
    const char *hosts[] = {"a/4"};
    runner *r = distcc_over(s, hosts, 1, 2);   /* 4 + 2 slots, 2 processes here */
    runner_batch *b = runner_batch_open(r);
    strvec_push(&s->down, "a/4");
    const char *srcs[] = {"s0.c", "s1.c", "s2.c", "s3.c", "s4.c", "s5.c"};
    for (int i = 0; i < 6; i++)
        start_compile(b, srcs[i]);
    assert_int_equal(drain(b, 6), 6);
    assert_true(s->max_here_running <= 2);
    runner_placement pl = placement(b);
    assert_int_equal(pl.remote, 0);
    assert_int_equal(pl.local + pl.fallback, 6);
    assert_true(pl.fallback >= 4);   /* the four sent to a came back */
    strvec_free(&pl.failed_hosts);
    runner_batch_close(b);
    runner_free(r);
}

static void test_localhost_zero_sends_every_compile(void **state)
{
    (void)state;
    fake_now = 1000;
    script_runner *s = script_new();
    const char *hosts[] = {"localhost/0", "a/1"};
    runner *r = distcc_over(s, hosts, 2, 2);
    runner_batch *b = runner_batch_open(r);
    s->hold = true;
    start_compile(b, "s0.c");
    start_compile(b, "s1.c");   /* waits for a: no compile runs here by choice */
    start_link(b);              /* queued behind s1.c, in order */
    assert_int_equal(s->started.n, 1);
    assert_string_equal(s->started.v[0], "a/1 s0.c");
    s->hold = false;
    assert_int_equal(drain(b, 3), 3);
    assert_string_equal(s->started.v[1], "a/1 s1.c");
    assert_string_equal(s->started.v[2], "here (link)");
    runner_placement pl = placement(b);
    assert_int_equal(pl.remote, 2);
    assert_int_equal(pl.local, 0);
    strvec_free(&pl.failed_hosts);
    runner_batch_close(b);
    runner_free(r);
}

/* --------------------------------------------- the engine on top of it */

static void write_text(const char *root, const char *rel, const char *text)
{
    char *p = path_join(root, rel);
    char *d = path_dirname(p);
    assert_int_equal(mkdir_p(d, 0755), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(d);
    free(p);
}

static int result_num(const cJSON *r, const char *obj, const char *field)
{
    const cJSON *o = cJSON_GetObjectItem(r, obj);
    assert_non_null(o);
    const cJSON *v = cJSON_GetObjectItem(o, field);
    assert_non_null(v);
    return (int)cJSON_GetNumberValue(v);
}

static engine *engine_with(const char *home, runner *r)
{
    char *st = path_join(home, "state"), *cache = path_join(home, "cache");
    engine_options o = {.state_dir = st, .cache_dir = cache, .cache_enabled = true, .cache_size_mb = 64,
                        .max_parallel = 2, .build_timeout_s = 60, .incremental = true, .runner = r};
    engine *eng = engine_new(&o);
    free(st);
    free(cache);
    return eng;
}

static int build_once(engine *eng, const char *cfg, cJSON **res)
{
    engine_job job = {.config_path = cfg};
    char *reason = NULL;
    int rc = engine_build(eng, &job, res, &reason);
    if (rc < 0)
        fprintf(stderr, "build did not run: %s\n", reason ? reason : "?");
    free(reason);
    return rc;
}

static void test_engine_distcc_on_off_rebuilds_nothing_and_shares_the_cache(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/jmake-distcc-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *root = path_join(tmpl, "p");
    write_text(root, "jmake.toml", "[project]\nname = \"p\"\n");
    for (int i = 0; i < 6; i++) {
        char rel[32], text[64];
        snprintf(rel, sizeof rel, "src/s%d.c", i);
        snprintf(text, sizeof text, "int f%d(void) { return %d; }\n", i, i);
        write_text(root, rel, text);
    }
    char *cfg = path_join(root, "jmake.toml");

    /* Built here first. */
    runner *plain = runner_fake_new(0);
    engine *eng = engine_with(tmpl, plain);
    cJSON *res = NULL;
    assert_int_equal(build_once(eng, cfg, &res), 0);
    assert_int_equal(result_num(res, "files", "compiled"), 6);
    assert_null(cJSON_GetObjectItem(res, "distributed"));
    cJSON_Delete(res);
    engine_free(eng);
    runner_free(plain);

    /* distcc on: the same commands, so nothing rebuilds. */
    runner *fake = runner_fake_new(0);
    const char *hosts[] = {"a/4"};
    runner_distcc_options o = {.hosts = hosts, .nhosts = 1, .distcc = DISTCC, .local_slots = 2, .inner = fake};
    char *reason = NULL;
    runner *dc = runner_distcc_new(&o, &reason);
    assert_non_null(dc);
    eng = engine_with(tmpl, dc);
    assert_int_equal(build_once(eng, cfg, &res), 0);
    assert_int_equal(result_num(res, "files", "up_to_date"), 6);
    assert_int_equal(runner_fake_count(fake), 0);
    assert_int_equal(result_num(res, "distributed", "remote"), 0);
    cJSON_Delete(res);

    /* The build folder gone: every object from the cache, none through distcc. */
    char *bdir = path_join(root, "build");
    remove_tree(bdir);
    assert_int_equal(build_once(eng, cfg, &res), 0);
    assert_int_equal(result_num(res, "files", "from_cache"), 6);
    assert_int_equal(runner_fake_count_matching(fake, ".c"), 0);
    assert_int_equal(result_num(res, "distributed", "remote"), 0);
    cJSON_Delete(res);

    /* A changed source compiles through distcc; with the host failing it is redone here and counted. */
    write_text(root, "src/s1.c", "int f1(void) { return 11; }\n");
    write_text(root, "src/s2.c", "int f2(void) { return 12; }\n");
    runner_fake_fail(fake, DISTCC, 116, "distcc[1] ERROR: failed to distribute and fallbacks are disabled\n");
    assert_int_equal(build_once(eng, cfg, &res), 0);
    assert_int_equal(result_num(res, "files", "compiled"), 2);
    assert_int_equal(result_num(res, "distributed", "fallback"), 2);
    assert_int_equal(result_num(res, "distributed", "remote"), 0);
    const cJSON *failed = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "distributed"), "failed_hosts");
    assert_int_equal(cJSON_GetArraySize(failed), 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(failed, 0)), "a/4");
    assert_int_equal(result_num(res, "diagnostics", "errors"), 0);
    cJSON_Delete(res);

    engine_free(eng);
    runner_free(dc);
    remove_tree(tmpl);
    free(bdir);
    free(cfg);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_list_and_slots),
        cmocka_unit_test(test_compiles_fill_hosts_in_order_and_links_stay_here),
        cmocka_unit_test(test_failed_host_falls_back_and_is_skipped_for_a_while),
        cmocka_unit_test(test_compile_error_is_the_compilers_answer),
        cmocka_unit_test(test_fallbacks_respect_the_local_bound),
        cmocka_unit_test(test_localhost_zero_sends_every_compile),
        cmocka_unit_test(test_engine_distcc_on_off_rebuilds_nothing_and_shares_the_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
