/* test_config.c - unit tests of config.c: defaults, merging three files, located errors, llvm fallback, sample file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "cli_config.h"
#include "config.h"
#include "util.h"
#include "testutil.h"

static void test_defaults(void **state)
{
    jm_config cfg;
    config_defaults(&cfg, "/srv/home");
    assert_int_equal(cfg.queue.max_concurrent_jobs, 4);
    assert_int_equal(cfg.queue.job_timeout_seconds, 300);
    assert_int_equal(cfg.watcher.watch_patterns.n, 14);   /* every source and header extension srcscan knows, and *.toml */
    assert_true(strvec_contains(&cfg.watcher.watch_patterns, "**/*.c++"));
    assert_true(strvec_contains(&cfg.watcher.watch_patterns, "**/*.hxx"));
    assert_string_equal(cfg.watcher.watch_patterns.v[0], "**/*.c");
    assert_true(strvec_contains(&cfg.watcher.watch_patterns, "**/*.cpp"));
    assert_true(strvec_contains(&cfg.watcher.watch_patterns, "**/*.toml"));
    assert_true(strvec_contains(&cfg.watcher.watch_patterns, "**/*.S"));
    assert_int_equal(cfg.watcher.ignore_patterns.n, 3);
    assert_string_equal(cfg.watcher.ignore_patterns.v[0], "build/**");
    assert_string_equal(cfg.watcher.ignore_patterns.v[2], ".git/**");
    assert_int_equal(cfg.watcher.debounce_ms, 500);
    assert_int_equal(cfg.error_handling.max_retries, 3);
    assert_int_equal(cfg.error_handling.retry_delay_seconds, 5);
    assert_int_equal(cfg.orchestrator.max_daemons, 6);
    assert_int_equal(cfg.orchestrator.health_check_interval, 30);
    assert_true(cfg.orchestrator.restart_failed_daemons);
    assert_string_equal(cfg.logging.log_level, "info");
    assert_string_equal(cfg.logging.log_file, "orchestrator.log");
    assert_int_equal(cfg.logging.max_size_kb, 10240);
    assert_int_equal(cfg.logging.keep_files, 3);
    assert_int_equal(cfg.compilation.max_parallel_builds, 4);
    assert_int_equal(cfg.compilation.build_timeout, 600);
    assert_true(cfg.compilation.cache_enabled);
    assert_string_equal(cfg.compilation.cache_dir, "/srv/home/.bridge_cache");
    assert_int_equal(cfg.compilation.cache_size_mb, 1024);
    assert_true(cfg.compilation.incremental_builds);
    assert_false(cfg.llvm.use_bundled);
    assert_string_equal(cfg.llvm.toolchain_path, "/usr/lib/llvm-17");
    assert_string_equal(cfg.distributed.engine, "none");
    assert_int_equal(cfg.distributed.hosts.n, 0);
    config_free(&cfg);
    assert_null(cfg.logging.log_level);
}

static void test_table_is_complete(void **state)
{
    assert_int_equal(config_key_count, 25);
    assert_int_equal(config_file_count, 3);
    for (size_t i = 0; i < config_key_count; i++) {
        const config_key *k = &config_keys[i];
        assert_non_null(k->doc);
        assert_true(strlen(k->doc) > 10);
        if (k->type == CFG_INT)
            assert_true(k->min <= k->max);
    }
}

static void test_merge_three_files(void **state)
{
    char *home = test_tempdir("config");
    free(test_write_text(home, "job_queue_design.toml", "[queue]\nmax_concurrent_jobs = 8\n\n[watcher]\ndebounce_ms = 0\n"));
    free(test_write_text(home, "orchestrator.toml",
                    "[orchestrator]\nhealth_check_interval = 10\nrestart_failed_daemons = false\n"
                    "[logging]\nlog_level = \"debug\"\n"
                    "[distributed]\nengine = \"distcc\"\nhosts = [\"a/4\", \"b\"]\n"));
    /* A section may stand in any file: [queue] again, with another key. */
    free(test_write_text(home, "compilation.toml",
                    "[compilation]\ncache_dir = \"cache/objects\"\nmax_parallel_builds = 16\n"
                    "[queue]\njob_timeout_seconds = 60\n"));
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(cfg.queue.max_concurrent_jobs, 8);
    assert_int_equal(cfg.queue.job_timeout_seconds, 60);
    assert_int_equal(cfg.watcher.debounce_ms, 0);
    assert_int_equal(cfg.watcher.watch_patterns.n, 14);   /* untouched keys keep defaults */
    assert_int_equal(cfg.orchestrator.health_check_interval, 10);
    assert_false(cfg.orchestrator.restart_failed_daemons);
    assert_string_equal(cfg.logging.log_level, "debug");
    assert_string_equal(cfg.distributed.engine, "distcc");
    assert_int_equal(cfg.distributed.hosts.n, 2);
    assert_string_equal(cfg.distributed.hosts.v[0], "a/4");
    assert_int_equal(cfg.compilation.max_parallel_builds, 16);
    char *want = xasprintf("%s/cache/objects", home);
    assert_string_equal(cfg.compilation.cache_dir, want);
    free(want);
    config_free(&cfg);
    diag_free(&d);
    remove_tree(home);
    free(home);
}

static void test_missing_files_are_defaults(void **state)
{
    char *home = test_tempdir("config");
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(cfg.queue.max_concurrent_jobs, 4);
    config_free(&cfg);
    diag_free(&d);
    remove_tree(home);
    free(home);
}

static void test_absolute_cache_dir_kept(void **state)
{
    char *home = test_tempdir("config");
    free(test_write_text(home, "compilation.toml", "[compilation]\ncache_dir = \"/var/cache//jmake/\"\n"));
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_string_equal(cfg.compilation.cache_dir, "/var/cache/jmake");
    config_free(&cfg);
    diag_free(&d);
    remove_tree(home);
    free(home);
}

static void test_duplicate_across_files(void **state)
{
    char *home = test_tempdir("config");
    char *first = test_write_text(home, "job_queue_design.toml", "[queue]\nmax_concurrent_jobs = 8\n");
    char *second = test_write_text(home, "compilation.toml", "# queue tuning\n[queue]\n  max_concurrent_jobs = 2\n");
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), -1);
    assert_int_equal(d.errors, 1);
    const diag_item *e = test_find_diag(&d, DIAG_ERROR, "already set at");
    assert_non_null(e);
    assert_string_equal(e->file, second);
    assert_int_equal(e->line, 3);
    assert_int_equal(e->column, 3);
    char *msg = xasprintf("key 'queue.max_concurrent_jobs' already set at %s:2:1", first);
    assert_string_equal(e->message, msg);
    free(msg);
    /* The first setting wins, the second is reported. */
    assert_int_equal(cfg.queue.max_concurrent_jobs, 8);
    config_free(&cfg);
    diag_free(&d);
    free(first);
    free(second);
    remove_tree(home);
    free(home);
}

static void test_unknown_key_and_section_warn(void **state)
{
    char *home = test_tempdir("config");
    char *path = test_write_text(home, "job_queue_design.toml",
                            "[queue]\nmax_concurrent_jobs = 2\nmax_jobs = 9\n\n[bogus]\nx = 1\n");
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 2);
    const diag_item *w = test_find_diag(&d, DIAG_WARNING, "'queue.max_jobs'");
    assert_non_null(w);
    assert_string_equal(w->file, path);
    assert_int_equal(w->line, 3);
    w = test_find_diag(&d, DIAG_WARNING, "section 'bogus'");
    assert_non_null(w);
    assert_int_equal(w->line, 5);
    assert_int_equal(cfg.queue.max_concurrent_jobs, 2);
    config_free(&cfg);
    diag_free(&d);
    free(path);
    remove_tree(home);
    free(home);
}

/* Loads text as the home's job_queue_design.toml; expects exactly one error at line:col holding needle. */
static void expect_error(const char *text, int line, int col, const char *needle)
{
    char *home = test_tempdir("config");
    char *path = test_write_text(home, "job_queue_design.toml", text);
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), -1);
    assert_int_equal(d.errors, 1);
    const diag_item *e = test_find_diag(&d, DIAG_ERROR, needle);
    if (!e)
        fail_msg("no error holding '%s' (first: %s)", needle, d.count ? d.items[0].message : "none");
    assert_string_equal(e->file, path);
    assert_int_equal(e->line, line);
    assert_int_equal(e->column, col);
    config_free(&cfg);
    diag_free(&d);
    free(path);
    remove_tree(home);
    free(home);
}

static void test_wrong_types_and_ranges(void **state)
{
    expect_error("[queue]\nmax_concurrent_jobs = \"four\"\n", 2, 23, "must be an integer, not string");
    expect_error("[queue]\nmax_concurrent_jobs = 0\n", 2, 23, "out of range 1..1024");
    expect_error("\n[watcher]\ndebounce_ms = -5\n", 3, 15, "'watcher.debounce_ms' = -5 is out of range");
    expect_error("[orchestrator]\nmax_daemons = 7\n", 2, 15, "out of range 1..6");
    expect_error("[orchestrator]\nrestart_failed_daemons = \"yes\"\n", 2, 26, "must be a boolean");
    expect_error("[logging]\nlog_level = \"loud\"\n", 2, 13, "must be one of debug, info, warn, error");
    expect_error("[watcher]\nwatch_patterns = [\"**/*.c\", 3]\n", 2, 29, "item 2 is integer");
    expect_error("[watcher]\nignore_patterns = \"build/**\"\n", 2, 19, "must be an array of strings");
    expect_error("[compilation]\ncache_size_mb = 1.5\n", 2, 17, "must be an integer, not float");
    expect_error("[distributed]\nengine = \"icecream\"\n", 2, 10, "one of none, distcc");
    expect_error("queue = 3\n", 1, 9, "'queue' must be a table");
}

static void test_syntax_error_has_position(void **state)
{
    char *home = test_tempdir("config");
    char *path = test_write_text(home, "orchestrator.toml", "[orchestrator]\nmax_daemons = = 3\n");
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), -1);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, path);
    assert_int_equal(d.items[0].line, 2);
    assert_true(d.items[0].column > 0);
    /* The configuration is still usable: defaults everywhere. */
    assert_int_equal(cfg.orchestrator.max_daemons, 6);
    config_free(&cfg);
    diag_free(&d);
    free(path);
    remove_tree(home);
    free(home);
}

/* The newest /usr/lib/llvm-N on this machine, or NULL. */
static char *newest_llvm(void)
{
    int best = -1;
    DIR *dir = opendir("/usr/lib");
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL) {
        char *end;
        if (strncmp(de->d_name, "llvm-", 5) != 0)
            continue;
        long v = strtol(de->d_name + 5, &end, 10);
        char *p = path_join("/usr/lib", de->d_name);
        if (*end == '\0' && end != de->d_name + 5 && v > best && dir_exists(p))
            best = (int)v;
        free(p);
    }
    if (dir)
        closedir(dir);
    return best < 0 ? NULL : xasprintf("/usr/lib/llvm-%d", best);
}

static void test_llvm_fallback(void **state)
{
    char *home = test_tempdir("config");
    char *path = test_write_text(home, "compilation.toml", "[llvm]\ntoolchain_path = \"/nonexistent/llvm-99\"\n");
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    const diag_item *w = test_find_diag(&d, DIAG_WARNING, "/nonexistent/llvm-99");
    assert_non_null(w);
    assert_string_equal(w->file, path);
    assert_int_equal(w->line, 2);
    char *newest = newest_llvm();
    if (newest) {
        assert_string_equal(cfg.llvm.toolchain_path, newest);
        assert_non_null(strstr(w->message, newest));
    } else {
        assert_string_equal(cfg.llvm.toolchain_path, "/nonexistent/llvm-99");
    }
    free(newest);
    config_free(&cfg);
    diag_free(&d);

    /* An existing path is kept, silently. */
    free(test_write_text(home, "compilation.toml", "[llvm]\ntoolchain_path = \"/usr\"\n"));
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_string_equal(cfg.llvm.toolchain_path, "/usr");
    assert_int_equal(d.count, 0);
    config_free(&cfg);
    diag_free(&d);
    free(path);
    remove_tree(home);
    free(home);
}

static void test_check_files_as_one(void **state)
{
    char *home = test_tempdir("config");
    char *a = test_write_text(home, "a.toml", "[logging]\nkeep_files = 5\n");
    char *b = test_write_text(home, "b.toml", "[logging]\nkeep_files = 6\n");
    char *missing = path_join(home, "missing.toml");
    diag_list d = {0};
    const char *both[] = {a, b};
    assert_int_equal(config_check_files(both, 2, &d), -1);
    const diag_item *e = test_find_diag(&d, DIAG_ERROR, "already set at");
    assert_non_null(e);
    assert_string_equal(e->file, b);
    diag_free(&d);

    const char *one[] = {a};
    assert_int_equal(config_check_files(one, 1, &d), 0);
    assert_int_equal(d.errors, 0);
    diag_free(&d);

    const char *gone[] = {missing};
    assert_int_equal(config_check_files(gone, 1, &d), -1);
    e = test_find_diag(&d, DIAG_ERROR, "cannot read");
    assert_non_null(e);
    assert_string_equal(e->file, missing);
    diag_free(&d);
    free(a);
    free(b);
    free(missing);
    remove_tree(home);
    free(home);
}

static char *sample_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    config_write_sample(f);
    fclose(f);
    return buf;
}

static void test_sample_is_valid_and_complete(void **state)
{
    char *text = sample_text();
    for (size_t i = 0; i < config_key_count; i++) {
        char *line = xasprintf("%s = %s\n", config_keys[i].name, config_keys[i].default_text);
        assert_non_null(strstr(text, line));
        free(line);
    }
    char *home = test_tempdir("config");
    free(test_write_text(home, "job_queue_design.toml", text));
    jm_config cfg;
    diag_list d = {0};
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_int_equal(d.errors, 0);
    /* Only the llvm fallback may warn (its default path is absent on many systems). */
    for (size_t i = 0; i < d.count; i++)
        assert_non_null(strstr(d.items[i].message, "toolchain_path"));
    assert_int_equal(cfg.queue.max_concurrent_jobs, 4);
    config_free(&cfg);
    diag_free(&d);
    /* The commented-out sections leave room for orchestrator.toml and compilation.toml. */
    free(test_write_text(home, "orchestrator.toml", "[orchestrator]\nmax_daemons = 5\n[logging]\nlog_level = \"warn\"\n"));
    free(test_write_text(home, "compilation.toml", "[compilation]\nbuild_timeout = 60\n"));
    assert_int_equal(config_load(&cfg, home, &d), 0);
    assert_int_equal(cfg.orchestrator.max_daemons, 5);
    config_free(&cfg);
    diag_free(&d);
    remove_tree(home);
    free(home);
    free(text);
}

/* daemons/job_queue_design.toml is config_write_sample's output; regenerate with
 * JMAKE_REGENERATE_SAMPLE=1 ./test_config after changing the key table. */
static void test_committed_sample_matches(void **state)
{
    const char *src = getenv("JMAKE_SOURCE_DIR");
    if (!src)
        src = JMAKE_SOURCE_DIR;
    char *path = path_join(src, "daemons/job_queue_design.toml");
    char *text = sample_text();
    if (getenv("JMAKE_REGENERATE_SAMPLE"))
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
    size_t len = 0;
    char *committed = read_file(path, &len);
    if (!committed)
        fail_msg("cannot read %s", path);
    if (strcmp(committed, text) != 0)
        fail_msg("%s differs from config_write_sample(); run JMAKE_REGENERATE_SAMPLE=1 test_config", path);
    free(committed);
    free(text);
    free(path);
}

/* Runs `jmake config check ARGS` with stdout and stderr captured into *out and *err (caller frees). */
static int run_check(const char *home, int argc, char **argv, char **out, char **err)
{
    char *out_path = path_join(home, ".stdout"), *err_path = path_join(home, ".stderr");
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    int code = cli_config_check(home, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fo);
    close(fe);
    size_t len;
    *out = read_file(out_path, &len);
    *err = read_file(err_path, &len);
    unlink(out_path);
    unlink(err_path);
    free(out_path);
    free(err_path);
    return code;
}

static void test_cli_check(void **state)
{
    char *home = test_tempdir("config");
    char *a = test_write_text(home, "job_queue_design.toml", "[queue]\nmax_concurrent_jobs = 8\n");
    char *b = test_write_text(home, "extra.toml", "[queue]\nmax_concurrent_jobs = 9\n[frob]\n");
    /* Named otherwise, but a [project] table makes it a project file. */
    char *proj = test_write_text(home, "lib.toml", "[project]\nname = \"x\"\n[paths]\nsource = 3\n");
    char *out, *err;

    char *ok_args[] = {"check", a};
    assert_int_equal(run_check(home, 2, ok_args, &out, &err), 0);
    char *want = xasprintf("%s: ok\n", a);
    assert_string_equal(out, want);
    assert_string_equal(err, "");
    free(want);
    free(out);
    free(err);

    char *dup_args[] = {"check", a, b, proj};
    assert_int_equal(run_check(home, 4, dup_args, &out, &err), 2);
    want = xasprintf("%s:2:1: error: key 'queue.max_concurrent_jobs' already set at %s:2:1\n", b, a);
    assert_non_null(strstr(err, want));
    free(want);
    want = xasprintf("%s:3:", b);   /* the column of a [table] header is the parser's choice */
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "warning: unknown section 'frob'"));
    free(want);
    want = xasprintf("%s:4:10: error: key 'paths.source' must be a string", proj);
    assert_non_null(strstr(err, want));
    free(want);
    want = xasprintf("%s: ok\n", a);
    assert_string_equal(out, want);   /* only the file without errors */
    free(want);
    free(out);
    free(err);

    /* No files: the home's own configuration. */
    char *none[] = {"check"};
    assert_int_equal(run_check(home, 1, none, &out, &err), 0);
    want = xasprintf("%s: ok\n", a);
    assert_non_null(strstr(out, want));
    free(want);
    free(out);
    free(err);

    char *bad_opt[] = {"check", "--frobnicate"};
    assert_int_equal(run_check(home, 2, bad_opt, &out, &err), 2);
    assert_non_null(strstr(err, "usage"));
    free(out);
    free(err);

    char *committed = path_join(getenv("JMAKE_SOURCE_DIR") ? getenv("JMAKE_SOURCE_DIR") : JMAKE_SOURCE_DIR,
                                "daemons/job_queue_design.toml");
    char *sample_args[] = {"check", committed};
    assert_int_equal(run_check(home, 2, sample_args, &out, &err), 0);
    assert_string_equal(err, "");
    free(out);
    free(err);
    free(committed);
    free(a);
    free(b);
    free(proj);
    remove_tree(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_table_is_complete),
        cmocka_unit_test(test_merge_three_files),
        cmocka_unit_test(test_missing_files_are_defaults),
        cmocka_unit_test(test_absolute_cache_dir_kept),
        cmocka_unit_test(test_duplicate_across_files),
        cmocka_unit_test(test_unknown_key_and_section_warn),
        cmocka_unit_test(test_wrong_types_and_ranges),
        cmocka_unit_test(test_syntax_error_has_position),
        cmocka_unit_test(test_llvm_fallback),
        cmocka_unit_test(test_check_files_as_one),
        cmocka_unit_test(test_sample_is_valid_and_complete),
        cmocka_unit_test(test_committed_sample_matches),
        cmocka_unit_test(test_cli_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
