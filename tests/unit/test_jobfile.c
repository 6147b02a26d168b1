/* test_jobfile.c - job files and single submits: accepted shapes, located errors, JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jobfile.h"
#include "util.h"
#include "testutil.h"

typedef struct fixture {
    char dir[64];
    char *jobs;       /* dir/jobs.toml */
    char *project;    /* dir/proj/jmake.toml, with dir/proj/src */
    char *library;    /* dir/libfoo.so */
    diag_list diags;
    job_spec *specs;
    size_t count;
} fixture;

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/jmake-jobfile-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->jobs = path_join(fx->dir, "jobs.toml");
    fx->project = test_write_text(fx->dir, "proj/jmake.toml", "[project]\nname = \"demo\"\n");
    free(test_write_text(fx->dir, "proj/src/demo.c", "int demo(void) { return 1; }\n"));
    fx->library = test_write_text(fx->dir, "libfoo.so", "not really ELF\n");
    *state = fx;
    return 0;
}

static void release_specs(fixture *fx)
{
    for (size_t i = 0; i < fx->count; i++)
        job_spec_free(&fx->specs[i]);
    free(fx->specs);
    fx->specs = NULL;
    fx->count = 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    release_specs(fx);
    diag_free(&fx->diags);
    remove_tree(fx->dir);
    free(fx->jobs);
    free(fx->project);
    free(fx->library);
    free(fx);
    return 0;
}

static void write_jobs(fixture *fx, const char *text)
{
    assert_int_equal(write_file_atomic(fx->jobs, text, strlen(text), 0644), 0);
}

/* Loads fx->jobs expecting success; diagnostics printed on failure. */
static void load_ok(fixture *fx)
{
    if (jobfile_load(fx->jobs, &fx->specs, &fx->count, NULL, &fx->diags) != 0) {
        diag_print(&fx->diags, stderr);
        fail_msg("jobfile_load failed");
    }
    assert_int_equal(fx->diags.errors, 0);
}

/* Loads fx->jobs expecting failure with nothing returned; gives the first error. */
static const diag_item *load_fails(fixture *fx)
{
    fx->specs = (job_spec *)(uintptr_t)1; /* must be reset to NULL */
    fx->count = 99;
    assert_int_equal(jobfile_load(fx->jobs, &fx->specs, &fx->count, NULL, &fx->diags), -1);
    assert_null(fx->specs);
    assert_int_equal(fx->count, 0);
    assert_true(fx->diags.errors > 0);
    for (size_t i = 0; i < fx->diags.count; i++)
        if (fx->diags.items[i].severity == DIAG_ERROR)
            return &fx->diags.items[i];
    fail_msg("no error item");
    return NULL;
}

static void expect_error_at(const diag_item *it, const char *file, int line, int col, const char *fragment)
{
    char *text = diag_format(it);
    if (!strstr(it->message, fragment))
        fail_msg("expected '%s' in: %s", fragment, text);
    free(text);
    assert_int_equal(it->severity, DIAG_ERROR);
    assert_string_equal(it->file, file);
    assert_int_equal(it->line, line);
    assert_int_equal(it->column, col);
}

static void test_seed_example(void **state)
{
    fixture *fx = *state;
    char *text = xasprintf("[[jobs]]\n"
                           "id = \"compile_project\"\n"
                           "type = \"compilation\"\n"
                           "priority = 1\n"
                           "config_file = \"proj/jmake.toml\"\n"
                           "\n"
                           "[[jobs]]\n"
                           "id = \"wrap_binary\"\n"
                           "type = \"wrapping\"\n"
                           "priority = 2\n"
                           "binary_path = \"%s\"\n"
                           "depends_on = [\"compile_project\"]   # optional\n",
                           fx->library);
    write_jobs(fx, text);
    free(text);
    load_ok(fx);
    assert_int_equal(fx->count, 2);
    assert_string_equal(fx->specs[0].id, "compile_project");
    assert_string_equal(fx->specs[0].type, "compilation");
    assert_int_equal(fx->specs[0].priority, 1);
    assert_string_equal(fx->specs[0].config_file, fx->project);
    assert_null(fx->specs[0].binary_path);
    assert_int_equal(fx->specs[0].timeout_seconds, 0);
    assert_string_equal(fx->specs[1].id, "wrap_binary");
    assert_string_equal(fx->specs[1].type, "wrapping");
    assert_int_equal(fx->specs[1].priority, 2);
    assert_string_equal(fx->specs[1].binary_path, fx->library);
    assert_int_equal(fx->specs[1].depends_on.n, 1);
    assert_string_equal(fx->specs[1].depends_on.v[0], "compile_project");
}

/* A loaded file goes into the store as one batch, ids in file order. */
static void test_load_then_submit(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\n"
                   "id = \"wrap\"\n"
                   "type = \"discovery\"\n"
                   "args = { path = \"proj\" }\n"
                   "depends_on = [\"scan\"]\n"
                   "[[jobs]]\n"
                   "type = \"discovery\"\n"
                   "config_file = \"proj/jmake.toml\"\n"
                   "[[jobs]]\n"
                   "id = \"scan\"\n"
                   "type = \"discovery\"\n"
                   "args = { path = \"proj\" }\n");
    load_ok(fx);
    char *db = path_join(fx->dir, "jobs.db");
    char err[256] = "";
    jobstore *store = jobstore_open(db, err, sizeof err);
    assert_non_null(store);
    char *ids[3];
    assert_int_equal(jobstore_submit(store, fx->specs, fx->count, ids, 1, err, sizeof err), 0);
    assert_string_equal(ids[0], "wrap");
    assert_string_equal(ids[1], "job-2");
    assert_string_equal(ids[2], "scan");
    for (int i = 0; i < 3; i++)
        free(ids[i]);
    job_record rec;
    assert_int_equal(jobstore_next_runnable(store, 2, NULL, &rec), 1);
    assert_string_equal(rec.id, "job-2");
    job_record_free(&rec);
    jobstore_close(store);
    free(db);
}

/* Loads fx->jobs with positions, submits it to store and expects the store
 * to refuse it: the error, located, as diag_format prints it (caller frees). */
static char *store_refusal(fixture *fx, jobstore *store)
{
    jobfile_where *where = NULL;
    assert_int_equal(jobfile_load(fx->jobs, &fx->specs, &fx->count, &where, &fx->diags), 0);
    assert_non_null(where);
    char err[256] = "";
    jobstore_fault fault;
    assert_int_equal(jobstore_submit_blaming(store, fx->specs, fx->count, NULL, 2, &fault, err, sizeof err), -1);
    diag_list located = {0};
    jobfile_add_store_error(&located, fx->jobs, where, fx->count, &fault, err);
    assert_int_equal(located.errors, 1);
    char *text = diag_format(&located.items[0]);
    diag_free(&located);
    jobfile_where_free(where, fx->count);
    release_specs(fx);
    return text;
}

/* Errors only the store can find (issue 13) point at the id or the dependency
 * in the file, and a refused file queues nothing. */
static void test_store_errors_located(void **state)
{
    fixture *fx = *state;
    char *db = path_join(fx->dir, "jobs.db");
    char err[256] = "";
    jobstore *store = jobstore_open(db, err, sizeof err);
    assert_non_null(store);
    write_jobs(fx, "[[jobs]]\nid = \"scan\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\n");
    load_ok(fx);
    assert_int_equal(jobstore_submit(store, fx->specs, fx->count, NULL, 1, err, sizeof err), 0);
    release_specs(fx);

    write_jobs(fx, "[[jobs]]\n"
                   "id = \"fresh\"\n"
                   "type = \"discovery\"\n"
                   "args = { path = \"proj\" }\n"
                   "\n"
                   "[[jobs]]\n"
                   "type = \"discovery\"\n"
                   "id    =   \"scan\"\n"
                   "args = { path = \"proj\" }\n");
    char *text = store_refusal(fx, store);
    char *want = xasprintf("%s:8:11: error: job id 'scan' already exists (queued earlier)", fx->jobs);
    assert_string_equal(text, want);
    free(text);
    free(want);

    write_jobs(fx, "[[jobs]]\n"
                   "id = \"a\"\n"
                   "type = \"discovery\"\n"
                   "args = { path = \"proj\" }\n"
                   "depends_on = [\"scan\", \"scan\",\n"
                   "              \"b\"]\n");
    text = store_refusal(fx, store);
    want = xasprintf("%s:6:15: error: job 'a' depends on unknown job 'b'", fx->jobs);
    assert_string_equal(text, want);
    free(text);
    free(want);

    /* A cycle is the entry's fault: its id. */
    write_jobs(fx, "[[jobs]]\nid = \"x\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\ndepends_on = [\"y\"]\n"
                   "[[jobs]]\nid = \"y\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\ndepends_on = [\"x\"]\n");
    text = store_refusal(fx, store);
    want = xasprintf("%s:2:6: error: job 'x' is part of a dependency cycle", fx->jobs);
    assert_string_equal(text, want);
    free(text);
    free(want);

    assert_int_equal(jobstore_count(store, -1), 1);   /* only the first file's job */
    jobstore_close(store);
    free(db);
}

static void test_relative_paths_and_defaults(void **state)
{
    fixture *fx = *state;
    free(test_write_text(fx->dir, "logs/build.log", "x.c:1:1: error: boom\n"));
    free(fx->jobs);
    fx->jobs = test_write_text(fx->dir, "sub/jobs.toml",
                          "[[jobs]]\n"
                          "type = \"compilation\"\n"
                          "config_file = \"../proj/./jmake.toml\"\n"
                          "timeout_seconds = 60\n"
                          "[[jobs]]\n"
                          "type = \"discovery\"\n"
                          "args = { path = \"../proj\" }\n"
                          "[[jobs]]\n"
                          "type = \"error_analysis\"\n"
                          "args = { log = \"../logs/build.log\", note = 3 }\n");
    load_ok(fx);
    assert_int_equal(fx->count, 3);
    assert_null(fx->specs[0].id); /* the store names it */
    assert_int_equal(fx->specs[0].priority, 5);
    assert_int_equal(fx->specs[0].timeout_seconds, 60);
    assert_string_equal(fx->specs[0].config_file, fx->project);

    char *proj_dir = path_dirname(fx->project);
    cJSON *args = cJSON_Parse(fx->specs[1].args_json);
    assert_non_null(args);
    assert_string_equal(cJSON_GetObjectItem(args, "path")->valuestring, proj_dir);
    cJSON_Delete(args);
    free(proj_dir);

    args = cJSON_Parse(fx->specs[2].args_json);
    char *log = path_join(fx->dir, "logs/build.log");
    assert_string_equal(cJSON_GetObjectItem(args, "log")->valuestring, log);
    assert_int_equal(cJSON_GetObjectItem(args, "note")->valueint, 3);
    free(log);
    cJSON_Delete(args);
}

static void test_syntax_error_located(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\ntype = \"compilation\"\npriority = = 1\n");
    const diag_item *it = load_fails(fx);
    assert_string_equal(it->file, fx->jobs);
    assert_int_equal(it->line, 3);
    assert_true(it->column > 0);
}

static void test_wrong_types(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\n"
                   "type = \"compilation\"\n"
                   "config_file = \"proj/jmake.toml\"\n"
                   "priority = \"high\"\n"
                   "depends_on = \"a\"\n"
                   "timeout_seconds = 0\n"
                   "id = 7\n");
    load_fails(fx);
    assert_int_equal(fx->diags.errors, 4);
    expect_error_at(&fx->diags.items[0], fx->jobs, 4, 12, "priority must be an integer, not string");
    expect_error_at(&fx->diags.items[1], fx->jobs, 5, 14, "depends_on must be an array");
    expect_error_at(&fx->diags.items[2], fx->jobs, 6, 19, "timeout_seconds must be more than 0");
    expect_error_at(&fx->diags.items[3], fx->jobs, 7, 6, "id must be a string, not integer");

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\ntype = \"discovery\"\nargs = \"..\"\npriority = -1\n");
    load_fails(fx);
    expect_error_at(&fx->diags.items[0], fx->jobs, 3, 8, "args must be a table");
    expect_error_at(&fx->diags.items[1], fx->jobs, 4, 12, "priority must be between 0");
}

static void test_missing_fields(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\nid = \"a\"\n");
    expect_error_at(load_fails(fx), fx->jobs, 1, 1, "missing required field 'type'");

    static const struct {
        const char *type, *fragment;
    } cases[] = {
        {"compilation", "needs config_file"},
        {"wrapping", "needs binary_path"},
        {"discovery", "needs config_file (a jmake.toml) or args.path"},
        {"error_analysis", "needs args.job"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        diag_free(&fx->diags);
        char *text = xasprintf("# a comment\n[[jobs]]\ntype = \"%s\"\n", cases[i].type);
        write_jobs(fx, text);
        free(text);
        expect_error_at(load_fails(fx), fx->jobs, 2, 1, cases[i].fragment);
    }
}

static void test_unknown_type_and_field(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\nid = \"x\"\ntype = \"linking\"\n");
    expect_error_at(load_fails(fx), fx->jobs, 3, 8, "unknown job type 'linking'");

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\ntype = \"compilation\"\nconfig_file = \"proj/jmake.toml\"\nprioirty = 1\n");
    expect_error_at(load_fails(fx), fx->jobs, 4, 1, "unknown field 'prioirty'");

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\nid = \"\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\n");
    expect_error_at(load_fails(fx), fx->jobs, 2, 6, "id must not be empty");

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\nid = \"has space\"\ntype = \"discovery\"\nargs = { path = \"proj\" }\n");
    expect_error_at(load_fails(fx), fx->jobs, 2, 6, "invalid job id 'has space'");
}

static void test_duplicate_id(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\n"
                   "id = \"same\"\n"
                   "type = \"discovery\"\n"
                   "args = { path = \"proj\" }\n"
                   "\n"
                   "[[jobs]]\n"
                   "type = \"discovery\"\n"
                   "id = \"same\"\n"
                   "args = { path = \"proj\" }\n");
    const diag_item *it = load_fails(fx);
    expect_error_at(it, fx->jobs, 8, 6, "duplicate job id 'same'");
    assert_non_null(strstr(it->message, "line 2"));
    assert_int_equal(fx->diags.errors, 1);
}

static void test_missing_files(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\ntype = \"compilation\"\nconfig_file   = \"x/jmake.toml\"\n");
    const diag_item *it = load_fails(fx);
    expect_error_at(it, fx->jobs, 3, 17, "config_file 'x/jmake.toml' does not exist");
    char *line = diag_format(it);
    char *expected = xasprintf("%s:3:17: error: config_file 'x/jmake.toml' does not exist", fx->jobs);
    assert_int_equal(strncmp(line, expected, strlen(expected)), 0);
    free(line);
    free(expected);

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\ntype = \"wrapping\"\nbinary_path = \"/no/such/libz.so\"\n");
    expect_error_at(load_fails(fx), fx->jobs, 3, 15, "binary_path '/no/such/libz.so' does not exist");

    diag_free(&fx->diags);
    write_jobs(fx, "[[jobs]]\ntype = \"discovery\"\nargs = { path = \"nowhere\" }\n");
    expect_error_at(load_fails(fx), fx->jobs, 3, 17, "args.path 'nowhere' is not an existing folder");

    /* A project whose source folder is missing has nothing to compile. */
    diag_free(&fx->diags);
    free(test_write_text(fx->dir, "empty/jmake.toml", "[project]\nname = \"empty\"\n[paths]\nsource = \"lib\"\n"));
    write_jobs(fx, "[[jobs]]\ntype = \"compilation\"\nconfig_file = \"empty/jmake.toml\"\n");
    it = load_fails(fx);
    expect_error_at(it, fx->jobs, 3, 15, "source folder");
    char *missing = path_join(fx->dir, "empty/lib");
    assert_non_null(strstr(it->message, missing));
    free(missing);

    /* Explicit [compile] sources: only the root has to exist. */
    diag_free(&fx->diags);
    free(test_write_text(fx->dir, "listed/jmake.toml", "[project]\nname = \"listed\"\n[compile]\nsources = [\"a.c\"]\n"));
    write_jobs(fx, "[[jobs]]\ntype = \"compilation\"\nconfig_file = \"listed/jmake.toml\"\n");
    load_ok(fx);
    assert_int_equal(fx->count, 1);
}

static void test_original_fields_warn(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\n"
                   "id = \"c\"\n"
                   "type = \"compilation\"\n"
                   "config_file = \"proj/jmake.toml\"\n"
                   "daemon = \"compilation\"\n"
                   "port = 5555\n"
                   "callback = \"http://localhost/cb\"\n"
                   "status = \"pending\"\n"
                   "target_section = \"main\"\n");
    load_ok(fx);
    assert_int_equal(fx->count, 1);
    assert_int_equal(fx->diags.warnings, 5);
    assert_int_equal(fx->diags.items[0].severity, DIAG_WARNING);
    assert_int_equal(fx->diags.items[0].line, 5);
    assert_int_equal(fx->diags.items[0].column, 1);
    assert_non_null(strstr(fx->diags.items[0].message, "'daemon'"));
}

static void test_no_jobs(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "# nothing here\n");
    const diag_item *it = load_fails(fx);
    assert_non_null(strstr(it->message, "no [[jobs]]"));

    diag_free(&fx->diags);
    write_jobs(fx, "jobs = 3\n");
    expect_error_at(load_fails(fx), fx->jobs, 1, 1, "array of tables");

    diag_free(&fx->diags);
    free(fx->jobs);
    fx->jobs = path_join(fx->dir, "absent.toml");
    load_fails(fx);
}

static void test_one_bad_entry_returns_nothing(void **state)
{
    fixture *fx = *state;
    write_jobs(fx, "[[jobs]]\ntype = \"discovery\"\nargs = { path = \"proj\" }\n"
                   "[[jobs]]\ntype = \"discovery\"\nargs = { path = \"proj\" }\n"
                   "[[jobs]]\ntype = \"bogus\"\n");
    load_fails(fx);
    assert_int_equal(fx->diags.errors, 1);
}

static void test_validate_spec(void **state)
{
    fixture *fx = *state;
    job_spec s;
    memset(&s, 0, sizeof s);
    s.type = "compilation";
    s.config_file = fx->project;
    assert_int_equal(jobfile_validate_spec(&s, &fx->diags), 0);

    s.config_file = "relative/jmake.toml";
    assert_int_equal(jobfile_validate_spec(&s, &fx->diags), -1);
    assert_null(fx->diags.items[fx->diags.count - 1].file);
    assert_int_equal(fx->diags.items[fx->diags.count - 1].line, 0);

    s.type = "wrapping";
    s.config_file = NULL;
    s.binary_path = fx->library;
    s.priority = -3;
    assert_int_equal(jobfile_validate_spec(&s, &fx->diags), -1);
    s.priority = 0;
    assert_int_equal(jobfile_validate_spec(&s, &fx->diags), 0);
    s.type = "teleport";
    assert_int_equal(jobfile_validate_spec(&s, &fx->diags), -1);

    assert_true(jobfile_type_known("error_analysis"));
    assert_false(jobfile_type_known("Compilation"));
    assert_true(jobfile_id_valid("job-12"));
    assert_true(jobfile_id_valid("build:main@v1.2"));
    assert_false(jobfile_id_valid("-x"));
    assert_false(jobfile_id_valid("a/b"));
    assert_false(jobfile_id_valid(""));
}

static void test_json_round_trip(void **state)
{
    fixture *fx = *state;
    job_spec s;
    memset(&s, 0, sizeof s);
    s.id = "w";
    s.type = "wrapping";
    s.priority = 2;
    s.binary_path = fx->library;
    s.timeout_seconds = 30;
    s.args_json = "{\"lang\":\"julia\"}";
    strvec_push(&s.depends_on, "c");
    cJSON *obj = jobfile_spec_to_json(&s);
    strvec_free(&s.depends_on);

    job_spec back;
    assert_int_equal(jobfile_spec_from_json(obj, &back, &fx->diags), 0);
    cJSON_Delete(obj);
    assert_string_equal(back.id, "w");
    assert_string_equal(back.type, "wrapping");
    assert_int_equal(back.priority, 2);
    assert_string_equal(back.binary_path, fx->library);
    assert_int_equal(back.timeout_seconds, 30);
    assert_string_equal(back.args_json, "{\"lang\":\"julia\"}");
    assert_int_equal(back.depends_on.n, 1);
    assert_string_equal(back.depends_on.v[0], "c");
    assert_int_equal(jobfile_validate_spec(&back, &fx->diags), 0);
    job_spec_free(&back);

    /* Shapes are checked; unknown keys are not an error. */
    cJSON *bad = cJSON_Parse("{\"type\": 3, \"priority\": 1.5, \"depends_on\": [1], \"future\": true}");
    assert_int_equal(jobfile_spec_from_json(bad, &back, &fx->diags), -1);
    assert_null(back.type);
    cJSON_Delete(bad);
    cJSON *minimal = cJSON_Parse("{\"type\": \"discovery\", \"future\": true}");
    assert_int_equal(jobfile_spec_from_json(minimal, &back, &fx->diags), 0);
    assert_int_equal(back.priority, 5);
    job_spec_free(&back);
    cJSON_Delete(minimal);
}

static void test_record_to_json(void **state)
{
    (void)state;
    job_record rec;
    memset(&rec, 0, sizeof rec);
    rec.seq = 7;
    rec.id = "compile_project";
    rec.type = "compilation";
    rec.priority = 1;
    rec.state = JOB_FAILED;
    rec.config_file = "/p/jmake.toml";
    rec.attempts = 2;
    rec.submitted_ms = 1764156507123; /* 2025-11-26T11:28:27.123Z */
    rec.reason = "dependency a failed";
    rec.result_json = "{\"artifacts\":[]}";
    strvec_push(&rec.depends_on, "a");
    cJSON *obj = jobfile_record_to_json(&rec);
    strvec_free(&rec.depends_on);

    assert_string_equal(cJSON_GetObjectItem(obj, "id")->valuestring, "compile_project");
    assert_string_equal(cJSON_GetObjectItem(obj, "state")->valuestring, "failed");
    assert_int_equal(cJSON_GetObjectItem(obj, "priority")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(obj, "attempts")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(obj, "reason")->valuestring, "dependency a failed");
    assert_string_equal(cJSON_GetObjectItem(obj, "submitted_at")->valuestring, "2025-11-26T11:28:27.123Z");
    assert_true(cJSON_GetObjectItem(obj, "submitted_ms")->valuedouble == 1764156507123.0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(obj, "started_at")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(obj, "binary_path")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(obj, "worker")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(obj, "result")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "result"), "artifacts")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(obj, "args")));
    cJSON *deps = cJSON_GetObjectItem(obj, "depends_on");
    assert_int_equal(cJSON_GetArraySize(deps), 1);
    assert_string_equal(cJSON_GetArrayItem(deps, 0)->valuestring, "a");
    cJSON_Delete(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_then_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_paths_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_located, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_type_and_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_original_fields_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_errors_located, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_bad_entry_returns_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_to_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
