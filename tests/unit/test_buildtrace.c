/* test_buildtrace.c - the build timeline: lanes that never overlap, check runs instead of a slice per up-to-date unit, the five slowest, a trace that parses, keeping the last five, and the engine's timelines through the fake runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildtrace.h"
#include "engine.h"
#include "engine_fixture.h"
#include "runner.h"
#include "util.h"

/* ---- reading a written trace back ---- */

/* The parsed trace at path (caller deletes); fails the test when it is not JSON. */
static cJSON *load_trace(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    assert_non_null(text);
    cJSON *t = cJSON_Parse(text);
    free(text);
    assert_non_null(t);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(t, "traceEvents")));
    return t;
}

static const char *ev_str(const cJSON *e, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(e, key)); }
static double ev_num(const cJSON *e, const char *key) { return cJSON_GetNumberValue(cJSON_GetObjectItem(e, key)); }

/* Complete ("X") events with category cat (NULL: all). */
static size_t count_slices(const cJSON *trace, const char *cat)
{
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
        if (strcmp(ev_str(e, "ph"), "X") == 0 && (!cat || strcmp(ev_str(e, "cat"), cat) == 0))
            n++;
    return n;
}

typedef struct span {
    double ts, end;
    int tid;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid - y->tid;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* No two slices of one tid overlap. Times are printed to the nanosecond, so
   one slice's end and the next one's start can be equal but never cross. */
static void assert_no_overlap(const cJSON *trace)
{
    size_t n = count_slices(trace, NULL), k = 0;
    span *s = xcalloc(n + 1, sizeof *s);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
    {
        if (strcmp(ev_str(e, "ph"), "X") != 0)
            continue;
        assert_true(ev_num(e, "dur") >= 0);
        s[k++] = (span){ev_num(e, "ts"), ev_num(e, "ts") + ev_num(e, "dur"), (int)ev_num(e, "tid")};
    }
    qsort(s, n, sizeof *s, span_cmp);
    for (size_t i = 1; i < n; i++)
        if (s[i].tid == s[i - 1].tid && s[i].ts < s[i - 1].end - 1e-3)
            fail_msg("tid %d: a slice at %.3f us starts before the one at %.3f us ends (%.3f us)", s[i].tid, s[i].ts,
                     s[i - 1].ts, s[i - 1].end);
    free(s);
}

/* The lane name a metadata event gives tid, or NULL. */
static const char *lane_name(const cJSON *trace, int tid)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
        if (strcmp(ev_str(e, "ph"), "M") == 0 && strcmp(ev_str(e, "name"), "thread_name") == 0 &&
            (int)ev_num(e, "tid") == tid)
            return ev_str(cJSON_GetObjectItem(e, "args"), "name");
    return NULL;
}

static char *temp_path(const char *dir, const char *name) { return path_join(dir, name); }

/* ---- the recorder ---- */

static void test_lanes_lowest_free(void **state)
{
    (void)state;
    buildtrace *t = buildtrace_new();
    assert_int_equal(buildtrace_lane_take(t), 0);
    assert_int_equal(buildtrace_lane_take(t), 1);
    assert_int_equal(buildtrace_lane_take(t), 2);
    buildtrace_lane_give(t, 1);
    assert_int_equal(buildtrace_lane_take(t), 1);   /* the freed lane, not a new one */
    assert_int_equal(buildtrace_lane_take(t), 3);   /* every lane busy: a new one */
    buildtrace_free(t);
}

/* Units started and finished in an interleaved order, three at a time, as the
   compile loop does: the written trace has each unit once, on three lanes,
   and no lane holds two slices at once. */
static void test_units_never_overlap_on_a_lane(void **state)
{
    (void)state;
    char *dir = test_tempdir("buildtrace");
    buildtrace *t = buildtrace_new();
    enum { N = 40, SLOTS = 3 };
    char names[N][16];
    buildtrace_set_units(t, N);
    size_t running[SLOTS], nrunning = 0, next = 0;
    while (next < N || nrunning) {
        while (nrunning < SLOTS && next < N) {
            snprintf(names[next], sizeof names[next], "src/u%zu.c", next);
            buildtrace_unit_begin(t, next);
            running[nrunning++] = next++;
        }
        usleep(100);
        /* Finish the middle one (or the only one): lanes come back out of order. */
        size_t pick = nrunning / 2, u = running[pick];
        buildtrace_unit_end(t, u, names[u], buildtrace_now(t), u % 7 == 0 ? "failed" : "compiled");
        running[pick] = running[--nrunning];
    }
    char *path = temp_path(dir, "t.json");
    assert_int_equal(buildtrace_write(t, path, "jmake build demo", "job-1", "/p/jmake.toml"), 0);
    cJSON *trace = load_trace(path);
    assert_int_equal(count_slices(trace, "compile"), N);
    assert_no_overlap(trace);
    bool seen[N] = {0};
    int max_tid = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
    {
        if (strcmp(ev_str(e, "ph"), "X") != 0)
            continue;
        const char *file = ev_str(cJSON_GetObjectItem(e, "args"), "file");
        unsigned u;
        assert_int_equal(sscanf(file, "src/u%u.c", &u), 1);
        assert_false(seen[u]);
        seen[u] = true;
        assert_string_equal(ev_str(cJSON_GetObjectItem(e, "args"), "outcome"), u % 7 == 0 ? "failed" : "compiled");
        if ((int)ev_num(e, "tid") > max_tid)
            max_tid = (int)ev_num(e, "tid");
    }
    assert_int_equal(max_tid, 1 + SLOTS);   /* tid 1 is the build lane, then one per slot */
    assert_string_equal(lane_name(trace, 2), "slot 1");
    assert_string_equal(lane_name(trace, 1 + SLOTS), "slot 3");
    const cJSON *meta = cJSON_GetArrayItem(cJSON_GetObjectItem(trace, "traceEvents"), 0);
    assert_string_equal(ev_str(meta, "name"), "process_name");
    assert_string_equal(ev_str(cJSON_GetObjectItem(meta, "args"), "name"), "jmake build demo");
    assert_string_equal(ev_str(cJSON_GetObjectItem(trace, "otherData"), "job"), "job-1");
    cJSON_Delete(trace);
    buildtrace_free(t);
    free(path);
    remove_tree(dir);
    free(dir);
}

/* 10,000 up-to-date decisions are one slice; a restore splits the run. */
static void test_checker_merges_runs(void **state)
{
    (void)state;
    char *dir = test_tempdir("buildtrace");
    buildtrace *t = buildtrace_new();
    buildtrace_checker a, b;
    buildtrace_checker_begin(&a, t);
    buildtrace_checker_begin(&b, t);
    for (int i = 0; i < 10000; i++)
        buildtrace_checker_unit(&a, "x.c", buildtrace_now(t), false, true);
    buildtrace_checker_end(&a);
    buildtrace_checker_unit(&b, "a.c", buildtrace_now(t), false, true);
    buildtrace_checker_unit(&b, "b.c", buildtrace_now(t), false, false);   /* to compile */
    uint64_t begin = buildtrace_now(t);
    usleep(200);
    buildtrace_checker_unit(&b, "src/restored.c", begin, true, false);
    buildtrace_checker_unit(&b, "c.c", buildtrace_now(t), false, true);
    buildtrace_checker_end(&b);
    buildtrace_checker none;   /* no recorder: records nothing, crashes nothing */
    buildtrace_checker_begin(&none, NULL);
    buildtrace_checker_unit(&none, "z.c", 0, true, false);
    buildtrace_checker_end(&none);

    char *path = temp_path(dir, "t.json");
    assert_int_equal(buildtrace_write(t, path, NULL, NULL, NULL), 0);
    cJSON *trace = load_trace(path);
    assert_int_equal(count_slices(trace, "check"), 3);
    assert_int_equal(count_slices(trace, "cache restore"), 1);
    assert_no_overlap(trace);
    size_t units = 0, up = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
    {
        const cJSON *args = cJSON_GetObjectItem(e, "args");
        if (strcmp(ev_str(e, "ph"), "X") == 0 && strcmp(ev_str(e, "cat"), "check") == 0) {
            units += (size_t)ev_num(args, "units");
            up += (size_t)ev_num(args, "up_to_date");
        }
        if (strcmp(ev_str(e, "ph"), "X") == 0 && strcmp(ev_str(e, "cat"), "cache restore") == 0) {
            assert_string_equal(ev_str(args, "file"), "src/restored.c");
            assert_string_equal(ev_str(args, "outcome"), "from_cache");
            assert_true(ev_num(e, "dur") >= 150);
        }
    }
    assert_int_equal(units, 10003);
    assert_int_equal(up, 10002);
    assert_string_equal(lane_name(trace, 2), "check 1");   /* no slot lanes: checks follow the build lane */
    assert_string_equal(lane_name(trace, 3), "check 2");
    cJSON_Delete(trace);
    buildtrace_free(t);
    free(path);
    remove_tree(dir);
    free(dir);
}

/* Paths may hold quotes, backslashes, control characters and bytes that are not UTF-8. */
static void test_names_are_escaped(void **state)
{
    (void)state;
    char *dir = test_tempdir("buildtrace");
    buildtrace *t = buildtrace_new();
    const char *odd = "src/a \"q\" \\b\t\n\x01 \xff\xfe.c";
    buildtrace_set_units(t, 1);
    buildtrace_unit_begin(t, 0);
    buildtrace_unit_end(t, 0, odd, buildtrace_now(t), "compiled");
    buildtrace_step(t, "\xc3\xa9tape", 0, 5, NULL);   /* valid UTF-8 stays */
    char *path = temp_path(dir, "t.json");
    assert_int_equal(buildtrace_write(t, path, "jmake build \"x\"", NULL, NULL), 0);
    cJSON *trace = load_trace(path);
    const cJSON *e, *unit = NULL, *step = NULL;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
    {
        if (strcmp(ev_str(e, "ph"), "X") != 0)
            continue;
        if (strcmp(ev_str(e, "cat"), "compile") == 0)
            unit = e;
        else
            step = e;
    }
    assert_non_null(unit);
    assert_string_equal(ev_str(unit, "name"), "src/a \"q\" \\b\t\n\x01 ??.c");
    assert_non_null(step);
    assert_string_equal(ev_str(step, "name"), "\xc3\xa9tape");
    cJSON_Delete(trace);
    buildtrace_free(t);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_slowest_five(void **state)
{
    (void)state;
    buildtrace *t = buildtrace_new();
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    static const uint64_t ms[] = {3, 9, 1, 7, 5, 8, 2, 6};
    for (int i = 0; i < 8; i++) {
        buildtrace_slice s = {.name = names[i], .cat = BUILDTRACE_COMPILE, .lane_kind = BUILDTRACE_LANE_SLOT,
                              .begin_ns = 1000, .end_ns = 1000 + ms[i] * 1000000, .outcome = "compiled"};
        buildtrace_add(t, &s);
    }
    /* The longest of all, but it failed: not a compiled unit. */
    buildtrace_slice failed = {.name = "bad", .cat = BUILDTRACE_COMPILE, .lane_kind = BUILDTRACE_LANE_SLOT,
                               .begin_ns = 0, .end_ns = 99000000, .outcome = "failed"};
    buildtrace_add(t, &failed);
    cJSON *r = cJSON_CreateObject();
    buildtrace_add_slowest(t, r, 5);
    const cJSON *list = cJSON_GetObjectItem(r, "slowest");
    assert_int_equal(cJSON_GetArraySize(list), 5);
    static const char *const want[] = {"b", "f", "d", "h", "e"};
    for (int i = 0; i < 5; i++) {
        const cJSON *e = cJSON_GetArrayItem(list, i);
        assert_string_equal(ev_str(e, "file"), want[i]);
    }
    assert_true(fabs(ev_num(cJSON_GetArrayItem(list, 0), "ms") - 9.0) < 0.05);
    cJSON_Delete(r);
    buildtrace_free(t);
}

/* ---- keeping the last five ---- */

static size_t count_json(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".json") == 0;
    closedir(d);
    return n;
}

static void test_file_names_and_prune(void **state)
{
    (void)state;
    assert_null(buildtrace_file_name(""));
    assert_null(buildtrace_file_name("a/b"));
    assert_null(buildtrace_file_name(NULL));
    char *dir = test_tempdir("buildtrace");
    char *names[8];
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof id, "job-%d", 8 - i);   /* ids sorting the other way round: order is by time */
        names[i] = buildtrace_file_name(id);
        assert_non_null(names[i]);
        if (i)
            assert_true(strcmp(names[i - 1], names[i]) < 0);
        free(test_write_text(dir, names[i], "{}"));
    }
    free(test_write_text(dir, "notes.json", "{}"));   /* not a timeline: never deleted */
    assert_int_equal(buildtrace_prune(dir, BUILDTRACE_KEEP, names[7]), 3);
    assert_int_equal(count_json(dir), BUILDTRACE_KEEP + 1);
    for (int i = 0; i < 8; i++) {
        char *p = path_join(dir, names[i]);
        if (i < 3)
            assert_false(file_exists(p));
        else
            assert_true(file_exists(p));
        free(p);
    }
    /* The file just written is kept even when its name sorts first (a clock set back). */
    assert_int_equal(buildtrace_prune(dir, 2, names[3]), 3);
    char *p = path_join(dir, names[3]);
    assert_true(file_exists(p));
    free(p);
    p = path_join(dir, names[7]);
    assert_true(file_exists(p));
    free(p);
    assert_int_equal(buildtrace_prune("/nonexistent/jmake-traces", 5, NULL), -2 /* -ENOENT */);
    for (int i = 0; i < 8; i++)
        free(names[i]);
    remove_tree(dir);
    free(dir);
}

/* ---- the engine's timelines (fake runner: nothing spawned) ---- */

typedef struct efix {
    char *home, *traces, *cfg;
    runner *fake;
    engine *eng;
} efix;

static void efix_init(efix *f, int units, int parallel)
{
    f->home = test_tempdir("buildtrace-engine");
    f->traces = path_join(f->home, "traces");
    f->fake = runner_fake_new(15);
    char *state = path_join(f->home, "state"), *cache = path_join(f->home, "cache");
    engine_options o = {.state_dir = state, .cache_dir = cache, .cache_enabled = true, .cache_size_mb = 64,
                        .max_parallel = parallel, .build_timeout_s = 600, .incremental = true,
                        .runner = f->fake, .trace_dir = f->traces};
    f->eng = engine_new(&o);
    free(state);
    free(cache);
    char *root = path_join(f->home, "p");
    wf(root, "jmake.toml", "[project]\nname = \"tr\"\n");
    for (int i = 0; i < units; i++) {
        char rel[32], text[64];
        snprintf(rel, sizeof rel, "src/u%02d.c", i);
        snprintf(text, sizeof text, "int u%d(void) { return %d; }\n", i, i);
        wf(root, rel, text);
    }
    f->cfg = path_join(root, "jmake.toml");
    free(root);
}

static void efix_free(efix *f)
{
    engine_free(f->eng);
    runner_free(f->fake);
    remove_tree(f->home);
    free(f->home);
    free(f->traces);
    free(f->cfg);
}

static cJSON *efix_build(efix *f, const char *job_id)
{
    engine_job job = {.config_path = f->cfg, .job_id = job_id};
    cJSON *r = NULL;
    char *reason = NULL;
    assert_int_equal(engine_build(f->eng, &job, &r, &reason), 0);
    free(reason);
    assert_non_null(r);
    return r;
}

/* The build lane's steps follow each other from 0 without gaps and end
   where the result's total does (whole milliseconds, truncated: < 2 ms apart). */
static void assert_steps_cover_total(const cJSON *trace, const cJSON *result)
{
    double end = 0;
    size_t steps = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
    {
        if (strcmp(ev_str(e, "ph"), "X") != 0 || strcmp(ev_str(e, "cat"), "step") != 0)
            continue;
        assert_int_equal((int)ev_num(e, "tid"), 1);
        assert_true(fabs(ev_num(e, "ts") - end) < 1e-3);
        end = ev_num(e, "ts") + ev_num(e, "dur");
        steps++;
    }
    assert_true(steps >= 1);
    double total = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(result, "timings_ms"), "total"));
    if (fabs(end / 1000.0 - total) >= 2.0)
        fail_msg("the steps end at %.3f ms, the result's total is %.0f ms", end / 1000.0, total);
}

static void test_engine_writes_timelines(void **state)
{
    (void)state;
    efix f;
    efix_init(&f, 12, 3);
    cJSON *r = efix_build(&f, "b1");
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace"));
    assert_non_null(path);
    assert_true(strncmp(path, f.traces, strlen(f.traces)) == 0);
    cJSON *trace = load_trace(path);
    assert_int_equal(count_slices(trace, "compile"), 12);
    assert_no_overlap(trace);
    assert_steps_cover_total(trace, r);
    /* At most three commands at once: at most three slot lanes. */
    assert_non_null(lane_name(trace, 2));
    assert_string_equal(lane_name(trace, 4), "slot 3");
    assert_true(lane_name(trace, 5) == NULL || strncmp(lane_name(trace, 5), "check", 5) == 0);
    assert_int_equal(count_slices(trace, "link"), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "slowest")), 5);
    cJSON_Delete(trace);
    cJSON_Delete(r);

    /* Nothing changed: no slice per unit, every unit counted in the check runs. */
    r = efix_build(&f, "b2");
    trace = load_trace(cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace")));
    assert_int_equal(count_slices(trace, "compile"), 0);
    assert_int_equal(count_slices(trace, "cache restore"), 0);
    assert_true(count_slices(trace, "check") <= 3);   /* one per check thread */
    size_t up = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
        if (strcmp(ev_str(e, "ph"), "X") == 0 && strcmp(ev_str(e, "cat"), "check") == 0)
            up += (size_t)ev_num(cJSON_GetObjectItem(e, "args"), "up_to_date");
    assert_int_equal(up, 12);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "slowest")), 0);
    assert_steps_cover_total(trace, r);
    cJSON_Delete(trace);
    cJSON_Delete(r);

    /* The build folder deleted: every unit a restore, once. */
    char *build_dir = path_join(f.home, "p/build");
    remove_tree(build_dir);
    free(build_dir);
    r = efix_build(&f, "b3");
    assert_int_equal(num(r, "files", "from_cache"), 12);
    trace = load_trace(cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace")));
    assert_int_equal(count_slices(trace, "cache restore"), 12);
    assert_int_equal(count_slices(trace, "compile"), 0);
    assert_no_overlap(trace);
    cJSON_Delete(trace);
    cJSON_Delete(r);

    /* Only the last five are kept; the newest is the last build's. */
    char *last = NULL;
    for (int i = 4; i <= 9; i++) {
        char id[8];
        snprintf(id, sizeof id, "b%d", i);
        r = efix_build(&f, id);
        free(last);
        last = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace")));
        cJSON_Delete(r);
    }
    char *dir = path_dirname(last);
    assert_int_equal(count_json(dir), BUILDTRACE_KEEP);
    assert_true(file_exists(last));
    free(dir);
    free(last);

    /* Without a job id nothing is written, and the result names no trace. */
    r = efix_build(&f, NULL);
    assert_null(cJSON_GetObjectItem(r, "trace"));
    cJSON_Delete(r);
    efix_free(&f);
}

/* A watched project with nothing reported answers from memory: its timeline
   is the one step, not the last build's. */
static void test_quiet_answer_has_its_own_timeline(void **state)
{
    (void)state;
    efix f;
    efix_init(&f, 4, 2);
    engine_set_watched(f.eng, f.cfg, true);
    cJSON *r = efix_build(&f, "w1");
    char *first = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace")));
    cJSON_Delete(r);
    r = efix_build(&f, "w2");
    const char *second = cJSON_GetStringValue(cJSON_GetObjectItem(r, "trace"));
    assert_non_null(second);
    assert_string_not_equal(first, second);
    assert_non_null(strstr(second, ".w2.json"));
    cJSON *trace = load_trace(second);
    assert_int_equal(count_slices(trace, NULL), 1);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(trace, "traceEvents"))
        if (strcmp(ev_str(e, "ph"), "X") == 0)
            assert_string_equal(ev_str(e, "name"), "quiet answer");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "slowest")), 0);
    cJSON_Delete(trace);
    cJSON_Delete(r);
    free(first);
    efix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_lowest_free),
        cmocka_unit_test(test_units_never_overlap_on_a_lane),
        cmocka_unit_test(test_checker_merges_runs),
        cmocka_unit_test(test_names_are_escaped),
        cmocka_unit_test(test_slowest_five),
        cmocka_unit_test(test_file_names_and_prune),
        cmocka_unit_test(test_engine_writes_timelines),
        cmocka_unit_test(test_quiet_answer_has_its_own_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
