/* cli_parse.c - the command line parsed by the command table with getopt_long: GNU conventions, usage errors that name the option. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* Global options, the command's and (for commands with subcommands) the chosen
 * subcommand's, without repeats: --json is global and also listed by the commands
 * it changes, so that their help shows it. */
#define MAX_OPTIONS 48

typedef struct option_set {
    const cli_option *rows[MAX_OPTIONS];
    size_t count;
} option_set;

static void set_add_list(option_set *set, const cli_option *list)
{
    for (const cli_option *o = list; o && o->name; o++) {
        bool seen = false;
        for (size_t i = 0; i < set->count && !seen; i++)
            seen = strcmp(set->rows[i]->name, o->name) == 0;
        if (!seen && set->count < MAX_OPTIONS)
            set->rows[set->count++] = o;
    }
}

/* What the options of a line may be before its subcommand is known: every subcommand's. */
static void set_fill(option_set *set, const cli_command *cmd, const cli_subcommand *sub, bool all_subcommands)
{
    set->count = 0;
    set_add_list(set, cli_global_options);
    if (!cmd)
        return;
    set_add_list(set, cmd->options);
    if (sub)
        set_add_list(set, sub->options);
    else if (all_subcommands)
        for (const cli_subcommand *s = cmd->subcommands; s && s->name; s++)
            set_add_list(set, s->options);
}

/* The long option a word names: exactly, or by a prefix that only one option has
 * (as getopt_long accepts). NULL when none or ambiguous. */
static const cli_option *set_match_long(const option_set *set, const char *word)
{
    size_t len = strcspn(word, "=");
    const cli_option *prefix_match = NULL;
    int prefix_count = 0;
    for (size_t i = 0; i < set->count; i++) {
        const char *name = set->rows[i]->name;
        if (strncmp(name, word, len) != 0)
            continue;
        if (name[len] == '\0')
            return set->rows[i];
        prefix_match = set->rows[i];
        prefix_count++;
    }
    return prefix_count == 1 ? prefix_match : NULL;
}

static const cli_option *set_match_short(const option_set *set, char letter)
{
    for (size_t i = 0; i < set->count; i++) {
        const char *alias = set->rows[i]->alias;
        if (alias && alias[0] == '-' && alias[1] == letter && alias[2] == '\0')
            return set->rows[i];
    }
    return NULL;
}

static cli_parse_result usage_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cli_parse_result usage_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CLI_PARSE_USAGE;
}

/* First pass: which command and subcommand the line names. Only the words that
 * are operands count, so the values of options are skipped: `--home DIR build`. */
static void find_command(int argc, char **argv, const char **command_word, const char **sub_word)
{
    *command_word = *sub_word = NULL;
    const cli_command *cmd = NULL;
    option_set set;
    set_fill(&set, NULL, NULL, false);
    bool only_operands = false;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (!only_operands && strcmp(w, "--") == 0) {
            only_operands = true;
            continue;
        }
        if (!only_operands && w[0] == '-' && w[1] != '\0') {
            /* "-n 5" takes the next word; "-n5" and "--lines=5" hold their value. */
            const cli_option *o = w[1] == '-' ? set_match_long(&set, w) : w[2] == '\0' ? set_match_short(&set, w[1]) : NULL;
            if (o && o->value && !strchr(w, '='))
                i++;
            continue;
        }
        if (!*command_word) {
            *command_word = w;
            cmd = cli_command_find(w);
            set_fill(&set, cmd, NULL, true);
            if (!cmd || !cmd->subcommands)
                return;
        } else {
            *sub_word = w;
            return;
        }
    }
}

/* How many operands a usage placeholder takes: "ID" one, "ID..." one or more,
 * "[X]" none or one, "[X]..." any; NULL none. */
static void operand_bounds(const char *spec, int *min, int *max)
{
    if (!spec) {
        *min = *max = 0;
        return;
    }
    bool optional = spec[0] == '[';
    bool repeated = strstr(spec, "...") != NULL;
    *min = optional ? 0 : 1;
    *max = repeated ? 1 << 30 : 1;
}

/* The placeholder without brackets and dots: "[FILE]..." -> "FILE". */
static void operand_word(const char *spec, char *buf, size_t len)
{
    size_t n = 0;
    for (const char *s = spec; *s && n + 1 < len; s++)
        if (*s != '[' && *s != ']' && *s != '.')
            buf[n++] = *s;
    buf[n] = '\0';
}

static cli_parse_result record(cli *c, const cli_option *o, const char *value, char *err, size_t errlen)
{
    if (c->value_count >= CLI_MAX_VALUES)
        return usage_error(err, errlen, "too many options");
    c->values[c->value_count++] = (cli_value){o, value};
    if (strcmp(o->name, "--help") == 0)
        return CLI_PARSE_HELP;
    if (strcmp(o->name, "--version") == 0)
        return CLI_PARSE_VERSION;
    if (strcmp(o->name, "--json") == 0)
        c->json = true;
    else if (strcmp(o->name, "--no-start") == 0)
        c->no_start = true;
    else if (strcmp(o->name, "--home") == 0)
        c->home_option = value;
    else if (strcmp(o->name, "--color") == 0) {
        if (strcmp(value, "auto") == 0)
            c->color_mode = CLI_COLOR_AUTO;
        else if (strcmp(value, "always") == 0)
            c->color_mode = CLI_COLOR_ALWAYS;
        else if (strcmp(value, "never") == 0)
            c->color_mode = CLI_COLOR_NEVER;
        else
            return usage_error(err, errlen, "option '--color' takes auto, always or never, not '%s'", value);
    }
    return CLI_PARSE_OK;
}

/* The command's name as error messages start: "jmake job wait". */
static void command_label(const cli *c, char *buf, size_t len)
{
    snprintf(buf, len, "jmake%s%s%s%s", c->command ? " " : "", c->command ? c->command->name : "",
             c->subcommand ? " " : "", c->subcommand ? c->subcommand->name : "");
}

cli_parse_result cli_parse(cli *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *env = getenv("JMAKE_NO_AUTOSTART");
    c->no_start = env && *env && strcmp(env, "0") != 0;
    c->operands = xcalloc((size_t)argc + 1, sizeof(char *));
    err[0] = '\0';

    const char *command_word, *sub_word;
    find_command(argc, argv, &command_word, &sub_word);
    if (command_word) {
        c->command = cli_command_find(command_word);
        if (c->command && sub_word)
            c->subcommand = cli_subcommand_find(c->command, sub_word);
    }

    option_set set;
    set_fill(&set, c->command, c->subcommand, c->command && !c->subcommand);
    struct option longopts[MAX_OPTIONS + 1];
    char shortopts[2 * MAX_OPTIONS + 3] = "-:";
    size_t ns = 2;
    for (size_t i = 0; i < set.count; i++) {
        const cli_option *o = set.rows[i];
        longopts[i] = (struct option){o->name + 2, o->value ? required_argument : no_argument, NULL, (int)(256 + i)};
        if (o->alias) {
            shortopts[ns++] = o->alias[1];
            if (o->value)
                shortopts[ns++] = ':';
        }
    }
    longopts[set.count] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns] = '\0';

    /* "-" first: operands come back in order as option 1 (no permutation, whatever
     * POSIXLY_CORRECT says); ":" first after it: a missing value is ':', not '?'. */
    char label[96];
    cli_parse_result result = CLI_PARSE_OK;
    opterr = 0;
    optind = 0; /* glibc: 0 starts a fresh scan (the unit tests parse many lines) */
    int ch;
    while (result == CLI_PARSE_OK && (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        command_label(c, label, sizeof label);
        const char *word = argv[optind - 1];
        if (ch == 1) {
            c->operands[c->operand_count++] = optarg;
        } else if (ch >= 256) {
            result = record(c, set.rows[ch - 256], optarg, err, errlen);
        } else if (ch == ':') {
            const cli_option *o = word[1] == '-' ? set_match_long(&set, word) : set_match_short(&set, (char)optopt);
            result = usage_error(err, errlen, "%s: option '%s' needs a value (%s)", label, o ? o->name : word,
                                 o ? o->value : "a value");
        } else if (ch == '?') {
            if (optopt && optopt < 256 && word[1] != '-') {
                result = usage_error(err, errlen, "%s: unknown option '-%c'", label, optopt);
            } else {
                const cli_option *o = set_match_long(&set, word);
                if (o && !o->value && strchr(word, '='))
                    result = usage_error(err, errlen, "%s: option '%s' takes no value", label, o->name);
                else
                    result = usage_error(err, errlen, "%s: unknown option '%.*s'", label, (int)strcspn(word, "="),
                                         word);
            }
        } else {
            const cli_option *o = set_match_short(&set, (char)ch);
            result = o ? record(c, o, optarg, err, errlen) : usage_error(err, errlen, "%s: unknown option", label);
        }
    }
    if (result != CLI_PARSE_OK)
        return result;
    /* After "--": operands only. */
    while (optind < argc)
        c->operands[c->operand_count++] = argv[optind++];

    command_label(c, label, sizeof label);
    if (c->operand_count == 0)
        return usage_error(err, errlen, "jmake: which command? (see jmake --help)");
    if (!c->command)
        return usage_error(err, errlen, "jmake: unknown command '%s' (see jmake --help)", c->operands[0]);
    const char *spec = c->command->operands;
    int first = 1;
    if (c->command->subcommands) {
        if (c->operand_count < 2)
            return usage_error(err, errlen, "%s: which subcommand? (see jmake %s --help)", label, c->command->name);
        if (!c->subcommand)
            return usage_error(err, errlen, "%s: unknown subcommand '%s'", label, c->operands[1]);
        spec = c->subcommand->operands;
        first = 2;
    }
    int min, max, given = c->operand_count - first;
    operand_bounds(spec, &min, &max);
    char what[32] = "";
    if (spec)
        operand_word(spec, what, sizeof what);
    if (given < min)
        return usage_error(err, errlen, "%s: missing %s", label, what);
    if (given > max)
        return usage_error(err, errlen, "%s: unexpected operand '%s'", label, c->operands[first + max]);
    return CLI_PARSE_OK;
}

void cli_free(cli *c)
{
    free(c->operands);
    free(c->home);
    c->operands = NULL;
    c->home = NULL;
}

const char *cli_opt(const cli *c, const char *name)
{
    for (size_t i = c->value_count; i-- > 0;)
        if (strcmp(c->values[i].option->name, name) == 0)
            return c->values[i].value;
    return NULL;
}

bool cli_flag(const cli *c, const char *name)
{
    for (size_t i = 0; i < c->value_count; i++)
        if (strcmp(c->values[i].option->name, name) == 0)
            return true;
    return false;
}
