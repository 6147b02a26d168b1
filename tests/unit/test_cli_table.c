/* test_cli_table.c - the command table and the parser it drives: complete rows, unique names, lookup, help text, usage lines that agree with the options, GNU option conventions, and completion candidates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* What print wrote to a memory stream; caller frees. */
static char *capture(void (*print)(FILE *out, const cli_command *cmd), const cli_command *cmd)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    print(out, cmd);
    fclose(out);
    return text;
}

static void print_help(FILE *out, const cli_command *cmd)
{
    (void)cmd;
    cli_print_help(out);
}

static void test_every_command_is_complete(void **state)
{
    assert_true(cli_command_count > 0);
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *cmd = &cli_commands[i];
        assert_non_null(cmd->name);
        assert_true(cmd->name[0] != '\0');
        if (!cmd->run)
            fail_msg("command '%s' has no handler", cmd->name);
        assert_non_null(cmd->usage);
        assert_non_null(cmd->summary);
        assert_non_null(cmd->details);
        if (!cmd->example || !strstr(cmd->example, "jmake "))
            fail_msg("command '%s' has no example", cmd->name);
        /* Commands that start the daemons can be told not to. */
        if (cmd->flags & CLI_NEEDS_DAEMONS)
            assert_non_null(cli_option_find(cmd, NULL, "--no-start"));
        /* The usage line starts with the command itself. */
        assert_int_equal(strncmp(cmd->usage, cmd->name, strlen(cmd->name)), 0);
        /* `help COMMAND` adds the full stop. */
        assert_true(cmd->summary[strlen(cmd->summary) - 1] != '.');
    }
}

static void test_names_are_unique(void **state)
{
    for (size_t i = 0; i < cli_command_count; i++)
        for (size_t j = i + 1; j < cli_command_count; j++)
            if (strcmp(cli_commands[i].name, cli_commands[j].name) == 0)
                fail_msg("command '%s' is in the table twice", cli_commands[i].name);
}

static void test_lookup(void **state)
{
    for (size_t i = 0; i < cli_command_count; i++)
        assert_ptr_equal(cli_command_find(cli_commands[i].name), &cli_commands[i]);
    assert_non_null(cli_command_find("build"));
    assert_null(cli_command_find("frobnicate"));
    assert_null(cli_command_find(""));
    assert_null(cli_command_find("Start"));
    /* The hidden daemon command is main.c's, not the table's. */
    assert_null(cli_command_find("daemon"));
}

static void test_help_mentions_every_command_and_option(void **state)
{
    char *help = capture(print_help, NULL);
    static const char first_line[] = "usage: jmake [--home DIR] [--json] [--color WHEN] COMMAND [ARGS]\n";
    assert_int_equal(strncmp(help, first_line, strlen(first_line)), 0);
    for (size_t i = 0; i < cli_command_count; i++) {
        char *line = xasprintf("\n  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
        if (!strstr(help, line))
            fail_msg("help does not list '%s'", cli_commands[i].name);
        free(line);
    }
    for (const cli_option *opt = cli_global_options; opt->name; opt++) {
        /* "  --home DIR" or "  -V, --version", at the start of a line. */
        char *head = opt->alias ? xasprintf("\n  %s, %s", opt->alias, opt->name) : xasprintf("\n  %s", opt->name);
        assert_non_null(strstr(help, head));
        free(head);
    }
    assert_null(strstr(help, "daemon NAME"));
    free(help);
}

static void test_command_help(void **state)
{
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *cmd = &cli_commands[i];
        char *text = capture(cli_print_command_help, cmd);
        char *want = xasprintf("usage: jmake %s\n\n%s.\n\n%s\n", cmd->usage, cmd->summary, cmd->details);
        assert_int_equal(strncmp(text, want, strlen(want)), 0);
        free(want);
        /* Every option with its summary, and the example. */
        for (const cli_option *o = cmd->options; o && o->name; o++) {
            assert_non_null(strstr(text, o->name));
            assert_non_null(strstr(text, o->summary));
        }
        for (const cli_subcommand *sub = cmd->subcommands; sub && sub->name; sub++)
            for (const cli_option *o = sub->options; o && o->name; o++)
                assert_non_null(strstr(text, o->summary));
        char *example = xasprintf("\nExample:\n  %s\n", cmd->example);
        assert_non_null(strstr(text, example));
        free(example);
        free(text);
    }
    cli c = {0};
    char *unknown[] = {"help", "frobnicate", NULL};
    assert_int_equal(cli_help(&c, 2, unknown), EXIT_USAGE);
    char *hidden[] = {"help", "daemon", NULL};
    assert_int_equal(cli_help(&c, 2, hidden), EXIT_USAGE);
}

static bool option_listed(const cli_option *options, const char *name, size_t len)
{
    for (const cli_option *o = options; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return true;
    return false;
}

static void check_option_in_usage(const cli_command *cmd, const cli_option *opt)
{
    /* A global option that a command also lists (--json) is in the general usage line. */
    if (cli_option_find(NULL, NULL, opt->name))
        return;
    char *want = opt->value ? xasprintf("%s %s", opt->name, opt->value) : xstrdup(opt->name);
    if (!strstr(cmd->usage, want))
        fail_msg("'%s' of '%s' is not in its usage line", want, cmd->name);
    free(want);
}

/* Completion reads the options from the table, help from the usage line: they must agree. */
static void test_usage_lines_agree_with_the_options(void **state)
{
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *cmd = &cli_commands[i];
        for (const cli_option *o = cmd->options; o && o->name; o++)
            check_option_in_usage(cmd, o);
        for (const cli_subcommand *sub = cmd->subcommands; sub && sub->name; sub++) {
            char *word = xasprintf("%s %s", cmd->name, sub->name);
            if (!strstr(cmd->usage, word))
                fail_msg("subcommand '%s' is not in the usage line", word);
            free(word);
            assert_non_null(sub->summary);
            for (const cli_option *o = sub->options; o && o->name; o++)
                check_option_in_usage(cmd, o);
        }
        /* And every --option of the usage line is in the table. */
        for (const char *p = strstr(cmd->usage, "--"); p; p = strstr(p + 2, "--")) {
            size_t len = strspn(p, "-abcdefghijklmnopqrstuvwxyz");
            bool found = option_listed(cmd->options, p, len);
            for (const cli_subcommand *sub = cmd->subcommands; !found && sub && sub->name; sub++)
                found = option_listed(sub->options, p, len);
            if (!found)
                fail_msg("'%.*s' of '%s' is not in the table", (int)len, p, cmd->name);
        }
    }
    assert_non_null(cli_command_find("job")->subcommands);
    assert_non_null(cli_command_find("config")->subcommands);
}

/* ---- The parser ---- */

typedef struct parsed {
    cli c;
    cli_parse_result result;
    char err[512];
} parsed;

/* Parses a NULL-terminated line after "jmake"; the words are string literals, which outlive it. */
static parsed *parse_line(const char *first, ...)
{
    static char *argv[64];
    int argc = 0;
    argv[argc++] = "jmake";
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    argv[argc] = NULL;
    parsed *p = xcalloc(1, sizeof *p);
    p->result = cli_parse(&p->c, argc, argv, p->err, sizeof p->err);
    return p;
}

static void parsed_free(parsed *p)
{
    cli_free(&p->c);
    free(p);
}

static void test_options_take_values_both_ways(void **state)
{
    parsed *p = parse_line("job", "wait", "a", "--timeout=5", "b", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_string_equal(p->c.subcommand->name, "wait");
    assert_int_equal(p->c.operand_count, 4);
    assert_string_equal(p->c.operands[2], "a");
    assert_string_equal(p->c.operands[3], "b");
    assert_string_equal(cli_opt(&p->c, "--timeout"), "5");
    parsed_free(p);

    p = parse_line("job", "wait", "--timeout", "7", "a", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_string_equal(cli_opt(&p->c, "--timeout"), "7");
    assert_int_equal(p->c.operand_count, 3);
    parsed_free(p);

    /* Repeated options keep every value, in order; cli_opt gives the last. */
    p = parse_line("submit", "--type", "compilation", "--after", "x", "--after=y", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_string_equal(cli_opt(&p->c, "--after"), "y");
    assert_int_equal(p->c.value_count, 3);
    parsed_free(p);
}

static void test_global_options_anywhere(void **state)
{
    parsed *p = parse_line("--home=/tmp/h", "status", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_string_equal(p->c.home_option, "/tmp/h");
    assert_string_equal(p->c.command->name, "status");
    parsed_free(p);

    p = parse_line("--home", "/tmp/h", "job", "list", "--json", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_string_equal(p->c.home_option, "/tmp/h");
    assert_true(p->c.json);
    assert_string_equal(p->c.subcommand->name, "list");
    parsed_free(p);

    p = parse_line("build", "dir", "--color=never", "--home", "/h", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_int_equal(p->c.color_mode, CLI_COLOR_NEVER);
    assert_string_equal(p->c.home_option, "/h");
    assert_string_equal(p->c.operands[1], "dir");
    parsed_free(p);

    p = parse_line("--color=sometimes", "status", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "--color"));
    parsed_free(p);

    /* --no-start, also by the environment. */
    p = parse_line("build", "--no-start", NULL);
    assert_true(p->c.no_start);
    parsed_free(p);
    setenv("JMAKE_NO_AUTOSTART", "1", 1);
    p = parse_line("build", NULL);
    assert_true(p->c.no_start);
    parsed_free(p);
    unsetenv("JMAKE_NO_AUTOSTART");
}

static void test_double_dash_ends_options(void **state)
{
    parsed *p = parse_line("config", "check", "--", "--weird.toml", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_int_equal(p->c.operand_count, 3);
    assert_string_equal(p->c.operands[2], "--weird.toml");
    parsed_free(p);
}

static void test_help_and_version(void **state)
{
    parsed *p = parse_line("build", "-h", NULL);
    assert_int_equal(p->result, CLI_PARSE_HELP);
    assert_string_equal(p->c.command->name, "build");
    parsed_free(p);
    p = parse_line("--help", NULL);
    assert_int_equal(p->result, CLI_PARSE_HELP);
    assert_null(p->c.command);
    parsed_free(p);
    p = parse_line("job", "wait", "--help", NULL);
    assert_int_equal(p->result, CLI_PARSE_HELP);
    assert_string_equal(p->c.command->name, "job");
    parsed_free(p);
    p = parse_line("-V", NULL);
    assert_int_equal(p->result, CLI_PARSE_VERSION);
    parsed_free(p);
}

static void test_usage_errors_name_the_option(void **state)
{
    parsed *p = parse_line("submit", "--type", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "'--type' needs a value"));
    parsed_free(p);

    p = parse_line("build", "--frobnicate", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "unknown option '--frobnicate'"));
    assert_non_null(strstr(p->err, "jmake build"));
    parsed_free(p);

    p = parse_line("build", "-x", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "'-x'"));
    parsed_free(p);

    p = parse_line("logs", "build", "--follow=yes", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "'--follow' takes no value"));
    parsed_free(p);

    /* An option of another command is unknown here. */
    p = parse_line("status", "--grace", "5", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "'--grace'"));
    parsed_free(p);

    p = parse_line("frobnicate", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "unknown command 'frobnicate'"));
    parsed_free(p);

    p = parse_line("job", "status", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "missing ID"));
    parsed_free(p);

    p = parse_line("job", "status", "a", "b", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    assert_non_null(strstr(p->err, "unexpected operand 'b'"));
    parsed_free(p);

    p = parse_line("job", "wait", NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    parsed_free(p);

    p = parse_line(NULL);
    assert_int_equal(p->result, CLI_PARSE_USAGE);
    parsed_free(p);
}

static void test_short_aliases(void **state)
{
    parsed *p = parse_line("logs", "-f", "-n", "20", "compilation", NULL);
    assert_int_equal(p->result, CLI_PARSE_OK);
    assert_true(cli_flag(&p->c, "--follow"));
    assert_string_equal(cli_opt(&p->c, "--lines"), "20");
    assert_string_equal(p->c.operands[1], "compilation");
    parsed_free(p);
}

/* ---- Completion candidates ---- */

/* What `jmake __complete WORDS...` prints; caller frees. */
static char *complete(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(cli_complete_words(out, argc, argv), EXIT_OK);
    fclose(out);
    return text;
}

static bool has_line(const char *text, const char *word)
{
    /* A candidate is a whole line, or the part before its tab. */
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\t\n");
        if (len == strlen(word) && strncmp(line, word, len) == 0)
            return true;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return false;
}

static void test_completion_from_the_table(void **state)
{
    setenv("JMAKE_HOME", "/nonexistent/jmake-test-home", 1);
    char *t = complete("", NULL);
    assert_int_equal(strncmp(t, "words\n", 6), 0);
    for (size_t i = 0; i < cli_command_count; i++)
        assert_true(has_line(t, cli_commands[i].name));
    assert_false(has_line(t, "daemon"));
    free(t);

    /* Every option and subcommand of every command. */
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *cmd = &cli_commands[i];
        for (const cli_subcommand *sub = cmd->subcommands; sub && sub->name; sub++) {
            t = complete(cmd->name, "", NULL);
            assert_true(has_line(t, sub->name));
            free(t);
            t = complete(cmd->name, sub->name, "--", NULL);
            for (const cli_option *o = sub->options; o && o->name; o++)
                assert_true(has_line(t, o->name));
            assert_true(has_line(t, "--home"));
            free(t);
        }
        t = complete(cmd->name, "-", NULL);
        for (const cli_option *o = cmd->options; o && o->name; o++)
            if (!has_line(t, o->name))
                fail_msg("completion of '%s -' lacks %s", cmd->name, o->name);
        free(t);
    }

    t = complete("submit", "--type", "", NULL);
    assert_true(has_line(t, "compilation") && has_line(t, "error_analysis"));
    free(t);
    t = complete("submit", "--type=co", NULL);
    assert_true(has_line(t, "--type=compilation"));
    assert_false(has_line(t, "--type=wrapping"));
    free(t);
    t = complete("job", "list", "--state", "", NULL);
    assert_true(has_line(t, "pending") && has_line(t, "cancelled"));
    free(t);
    t = complete("logs", "", NULL);
    assert_true(has_line(t, "error_handler") && has_line(t, "orchestrator"));
    free(t);
    t = complete("config", "show", "queue.", NULL);
    assert_true(has_line(t, "queue.max_concurrent_jobs"));
    assert_false(has_line(t, "watcher.debounce_ms"));
    free(t);
    t = complete("build", "", NULL);
    assert_string_equal(t, "dirs\n");
    free(t);
    t = complete("submit", "", NULL);
    assert_string_equal(t, "files toml\n");
    free(t);
    t = complete("submit", "--config", "", NULL);
    assert_string_equal(t, "files toml\n");
    free(t);
    t = complete("--home", "", NULL);
    assert_string_equal(t, "dirs\n");
    free(t);
    t = complete("completion", "", NULL);
    assert_true(has_line(t, "bash") && has_line(t, "zsh") && has_line(t, "fish"));
    free(t);
    /* Daemons down: job ids are simply none. */
    t = complete("job", "status", "", NULL);
    assert_string_equal(t, "words\n");
    free(t);
    /* One operand taken: no more. */
    t = complete("logs", "build", "", NULL);
    assert_string_equal(t, "words\n");
    free(t);
    unsetenv("JMAKE_HOME");
}

/* The man page is written by hand: every command of the table must be in it. */
static void test_man_page_has_every_command(void **state)
{
    char *path = xasprintf("%s/docs/jmake.1", JMAKE_SOURCE_DIR);
    size_t len;
    char *page = read_file(path, &len);
    if (!page)
        fail_msg("cannot read %s", path);
    for (size_t i = 0; i < cli_command_count; i++) {
        char *entry = xasprintf("\n.BR %s ", cli_commands[i].name);
        if (!strstr(page, entry))
            fail_msg("docs/jmake.1 has no entry for '%s'", cli_commands[i].name);
        free(entry);
    }
    for (const cli_option *o = cli_global_options; o->name; o++) {
        /* roff writes "-" as "\-". */
        char *escaped = xstrdup(o->name + 2);
        char *want = xasprintf("\\-\\-%s", escaped);
        if (!strstr(page, want))
            fail_msg("docs/jmake.1 does not describe %s", o->name);
        free(want);
        free(escaped);
    }
    free(page);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_is_complete),
        cmocka_unit_test(test_names_are_unique),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_help_mentions_every_command_and_option),
        cmocka_unit_test(test_command_help),
        cmocka_unit_test(test_usage_lines_agree_with_the_options),
        cmocka_unit_test(test_options_take_values_both_ways),
        cmocka_unit_test(test_global_options_anywhere),
        cmocka_unit_test(test_double_dash_ends_options),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors_name_the_option),
        cmocka_unit_test(test_short_aliases),
        cmocka_unit_test(test_completion_from_the_table),
        cmocka_unit_test(test_man_page_has_every_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
