/* test_cli_table.c - the command table: complete rows, unique names, lookup, help text and usage lines that agree with the options listed. */
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
    static const char first_line[] = "usage: jmake [--home DIR] [--json] COMMAND [ARGS]\n";
    assert_int_equal(strncmp(help, first_line, strlen(first_line)), 0);
    for (size_t i = 0; i < cli_command_count; i++) {
        char *line = xasprintf("\n  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
        if (!strstr(help, line))
            fail_msg("help does not list '%s'", cli_commands[i].name);
        free(line);
    }
    for (const cli_option *opt = cli_global_options; opt->name; opt++) {
        char *head = xasprintf("\n  %s", opt->name);
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
        assert_string_equal(text, want);
        free(want);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_is_complete),
        cmocka_unit_test(test_names_are_unique),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_help_mentions_every_command_and_option),
        cmocka_unit_test(test_command_help),
        cmocka_unit_test(test_usage_lines_agree_with_the_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
