/* test_jobtype.c - the job-type table: every row complete and consistent, and job validation follows it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobfile.h"
#include "jobtype.h"
#include "util.h"
#include "testutil.h"

static unsigned args_fields(void)
{
    unsigned mask = 0;
    for (int f = 0; f < JOB_FIELD_COUNT; f++)
        if (job_field_table[f].args_key)
            mask |= JOB_FIELD_BIT(f);
    return mask;
}

static void test_rows_complete(void **state)
{
    (void)state;
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        const job_type_info *row = &job_type_table[t];
        assert_non_null(row->name);
        /* Jobs run on a worker daemon: neither the orchestrator nor the watcher runs any. */
        assert_true(row->daemon > DAEMON_ORCHESTRATOR && row->daemon < DAEMON_COUNT);
        assert_int_not_equal(row->daemon, DAEMON_WATCHER);
        assert_int_equal(job_type_from_name(row->name), t);
        for (int u = t + 1; u < JOB_TYPE_COUNT; u++)
            assert_string_not_equal(row->name, job_type_table[u].name);
        /* A requirement has words for its error; an args member it needs is one it reads. */
        if (row->needs)
            assert_non_null(row->needs_text);
        assert_int_equal(row->needs & args_fields() & ~row->reads_args, 0);
        assert_int_equal(row->reads_args & ~args_fields(), 0);
        assert_int_equal(row->needs >> JOB_FIELD_COUNT, 0);
    }
    /* Names are matched exactly. */
    assert_int_equal(job_type_from_name("Compilation"), -1);
    assert_int_equal(job_type_from_name(NULL), -1);
    assert_int_equal(job_type_from_name(""), -1);
}

static void test_fields_table(void **state)
{
    (void)state;
    for (int f = 0; f < JOB_FIELD_COUNT; f++) {
        const job_field_info *info = &job_field_table[f];
        assert_non_null(info->name);
        if (info->args_key) {
            char expected[64];
            snprintf(expected, sizeof expected, "args.%s", info->args_key);
            assert_string_equal(info->name, expected);
        }
    }
    assert_null(job_field_table[JOB_FIELD_CONFIG_FILE].args_key);
    assert_null(job_field_table[JOB_FIELD_BINARY_PATH].args_key);
}

static void test_names_text(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(job_type_names_text(buf, sizeof buf), "compilation, wrapping, discovery or error_analysis");
    char small[8];
    job_type_names_text(small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, "compila", 8);
}

/* The one error a spec of type t without any of its required fields gets (docs/QUEUE.md, "Required per type"). */
static const char *const documented_needs[JOB_TYPE_COUNT] = {
    [JOB_TYPE_COMPILATION] = "compilation job needs config_file (the project's jmake.toml)",
    [JOB_TYPE_WRAPPING] = "wrapping job needs binary_path (the library to wrap)",
    [JOB_TYPE_DISCOVERY] = "discovery job needs config_file (a jmake.toml) or args.path (a folder)",
    [JOB_TYPE_ERROR_ANALYSIS] = "error_analysis job needs args.job (a job id) or args.log (a compiler log file)",
};

static void test_required_fields_missing(void **state)
{
    (void)state;
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        job_spec s;
        memset(&s, 0, sizeof s);
        s.type = (char *)job_type_table[t].name;
        s.args_json = "{}";
        diag_list diags = {0};
        assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
        assert_int_equal(diags.errors, 1);
        assert_string_equal(diags.items[0].message, documented_needs[t]);
        diag_free(&diags);
    }
}

/* Each required field alone meets the requirement; the files it names must exist. */
static void test_each_alternative_meets_need(void **state)
{
    (void)state;
    char *dir = test_tempdir("jobtype");
    char *config = test_write_text(dir, "proj/jmake.toml", "[project]\nname = \"demo\"\n");
    free(test_write_text(dir, "proj/src/demo.c", "int demo(void) { return 1; }\n"));
    char *binary = test_write_text(dir, "libfoo.so", "not ELF\n");
    char *log = test_write_text(dir, "build.log", "x.c:1:1: error: no\n");
    char *folder = path_join(dir, "proj");
    for (int t = 0; t < JOB_TYPE_COUNT; t++) {
        const job_type_info *row = &job_type_table[t];
        for (int f = 0; f < JOB_FIELD_COUNT; f++) {
            if (!(row->needs & JOB_FIELD_BIT(f)))
                continue;
            job_spec s;
            memset(&s, 0, sizeof s);
            s.type = (char *)row->name;
            char *args = NULL;
            switch ((job_field)f) {
            case JOB_FIELD_CONFIG_FILE:
                s.config_file = config;
                break;
            case JOB_FIELD_BINARY_PATH:
                s.binary_path = binary;
                break;
            case JOB_FIELD_ARGS_PATH:
                args = xasprintf("{\"path\": \"%s\"}", folder);
                break;
            case JOB_FIELD_ARGS_JOB:
                args = xstrdup("{\"job\": \"compile-1\"}");
                break;
            case JOB_FIELD_ARGS_LOG:
                args = xasprintf("{\"log\": \"%s\"}", log);
                break;
            case JOB_FIELD_COUNT:
                break;
            }
            s.args_json = args;
            diag_list diags = {0};
            int rc = jobfile_validate_spec(&s, &diags);
            if (rc != 0)
                fail_msg("%s with %s: %s", row->name, job_field_table[f].name, diags.items[0].message);
            diag_free(&diags);
            free(args);
        }
    }
    remove_tree(dir);
    free(folder);
    free(log);
    free(binary);
    free(config);
    free(dir);
}

/* An args member a type reads is checked; the same member on a type that does not read it is passed on. */
static void test_args_read_only_by_their_types(void **state)
{
    (void)state;
    job_spec s;
    memset(&s, 0, sizeof s);
    s.type = "discovery";
    s.args_json = "{\"path\": \"relative/dir\"}";
    diag_list diags = {0};
    assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
    assert_string_equal(diags.items[0].message, "args.path 'relative/dir' must be an absolute path");
    diag_free(&diags);

    s.type = "error_analysis";
    s.args_json = "{\"path\": \"relative/dir\", \"job\": \"bad id\"}";
    assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
    assert_int_equal(diags.errors, 1);
    assert_string_equal(diags.items[0].message, "args.job must be a job id string");
    diag_free(&diags);

    s.args_json = "{\"log\": 3}";
    assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
    assert_string_equal(diags.items[0].message, "args.log must be a string");
    diag_free(&diags);
}

static void test_type_errors_list_the_table(void **state)
{
    (void)state;
    job_spec s;
    memset(&s, 0, sizeof s);
    diag_list diags = {0};
    assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
    assert_string_equal(diags.items[0].message,
                        "missing required field 'type' (compilation, wrapping, discovery or error_analysis)");
    diag_free(&diags);
    s.type = "linking";
    assert_int_equal(jobfile_validate_spec(&s, &diags), -1);
    assert_string_equal(diags.items[0].message,
                        "unknown job type 'linking' (expected compilation, wrapping, discovery or error_analysis)");
    diag_free(&diags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_fields_table),
        cmocka_unit_test(test_names_text),
        cmocka_unit_test(test_required_fields_missing),
        cmocka_unit_test(test_each_alternative_meets_need),
        cmocka_unit_test(test_args_read_only_by_their_types),
        cmocka_unit_test(test_type_errors_list_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
