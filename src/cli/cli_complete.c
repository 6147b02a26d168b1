/* cli_complete.c - shell completion: the scripts `jmake completion SHELL` prints, and the candidates `jmake __complete` finds in the tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "home.h"
#include "jobstore.h"
#include "jobtype.h"
#include "util.h"

/* The scripts are thin: every shell asks `jmake __complete WORD...` and gets the
 * candidates from the same tables as the option parser and --help, so the three
 * shells, the help text and the parser cannot disagree, and an installed script
 * never goes stale against the jmake it completes. */

static void emit(FILE *out, const char *prefix, const char *cur, const char *word, const char *description)
{
    size_t plen = strlen(prefix);
    /* cur holds the prefix too ("--home=/t"): compare past it. */
    if (strncmp(cur + plen, word, strlen(cur + plen)) != 0)
        return;
    if (description && *description) {
        /* Only the first line of a summary. */
        fprintf(out, "%s%s\t%.*s\n", prefix, word, (int)strcspn(description, "\n"), description);
    } else {
        fprintf(out, "%s%s\n", prefix, word);
    }
}

/* The ids of the jobs the running daemons know, starting with what is typed; nothing
 * when they are down (no error message either: completion must stay quiet).
 * `brief` and `id_prefix` keep the reply to the matching ids with their state and
 * type, read from the id index: whole records of 10,000 jobs are 5 MB and half a second. */
static void emit_job_ids(FILE *out, const char *home_option, const char *prefix, const char *cur)
{
    char *home = home_resolve(home_option);
    if (!home)
        return;
    if (daemon_pidfile_probe(home, "orchestrator") <= 0) {
        free(home);
        return;
    }
    jmake_client *client = NULL;
    if (jmake_connect(home, &client) == JMAKE_OK) {
        char *reply_text = NULL;
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "op", "job_list");
        cJSON_AddBoolToObject(req, "brief", true);
        cJSON_AddStringToObject(req, "id_prefix", cur + strlen(prefix));
        char *req_text = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        int rc = jmake_request(client, req_text, &reply_text);
        free(req_text);
        if (rc == JMAKE_OK) {
            cJSON *reply = cJSON_Parse(reply_text);
            /* [id, state, type] rows, oldest first: offered in submission order. */
            const cJSON *row;
            cJSON_ArrayForEach(row, cJSON_GetObjectItem(reply, "jobs")) {
                const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(row, 0));
                const char *state = cJSON_GetStringValue(cJSON_GetArrayItem(row, 1));
                const char *type = cJSON_GetStringValue(cJSON_GetArrayItem(row, 2));
                if (!id)
                    continue;
                char description[96];
                snprintf(description, sizeof description, "%s %s", state ? state : "", type ? type : "");
                emit(out, prefix, cur, id, description);
            }
            cJSON_Delete(reply);
        }
        jmake_free(reply_text);
    }
    jmake_disconnect(client);
    free(home);
}

/* What a placeholder of the table (a value or an operand) completes to. */
static void complete_placeholder(FILE *out, const char *placeholder, const char *home_option, const char *prefix,
                                 const char *cur)
{
    char word[32];
    size_t n = 0;
    for (const char *s = placeholder; *s && n + 1 < sizeof word; s++)
        if (*s != '[' && *s != ']' && *s != '.')
            word[n++] = *s;
    word[n] = '\0';
    if (strcmp(word, "DIR") == 0) {
        fputs("dirs\n", out);
    } else if (strcmp(word, "F") == 0 || strcmp(word, "FILE") == 0 || strcmp(word, "JOBStoml") == 0) {
        fputs("files toml\n", out);
    } else if (strcmp(word, "TRACEjson") == 0) {
        fputs("files json\n", out);
    } else if (strcmp(word, "PATH") == 0 || strcmp(word, "LIBso") == 0) {
        fputs("files so\n", out);
    } else if (strcmp(word, "H") == 0 || strcmp(word, "HEADER") == 0) {
        fputs("files h\n", out);
    } else {
        fputs("words\n", out);
        if (strcmp(word, "DAEMON") == 0) {
            for (int k = 0; k < DAEMON_COUNT; k++)
                emit(out, prefix, cur, daemon_table[k].name, daemon_table[k].title);
        } else if (strcmp(word, "COMMAND") == 0) {
            for (size_t i = 0; i < cli_command_count; i++)
                emit(out, prefix, cur, cli_commands[i].name, cli_commands[i].summary);
        } else if (strcmp(word, "TYPE") == 0) {
            for (int t = 0; t < JOB_TYPE_COUNT; t++) {
                char *description = xasprintf("run by the %s daemon", daemon_table[job_type_table[t].daemon].name);
                emit(out, prefix, cur, job_type_table[t].name, description);
                free(description);
            }
        } else if (strcmp(word, "STATE") == 0) {
            for (int s = JOB_PENDING; s <= JOB_CANCELLED; s++)
                emit(out, prefix, cur, job_state_name((job_state)s), NULL);
        } else if (strcmp(word, "KEY") == 0) {
            for (size_t i = 0; i < config_key_count; i++) {
                char *key = xasprintf("%s.%s", config_keys[i].section, config_keys[i].name);
                emit(out, prefix, cur, key, config_keys[i].doc);
                free(key);
            }
        } else if (strcmp(word, "SHELL") == 0) {
            emit(out, prefix, cur, "bash", NULL);
            emit(out, prefix, cur, "zsh", NULL);
            emit(out, prefix, cur, "fish", NULL);
        } else if (strcmp(word, "WHEN") == 0) {
            emit(out, prefix, cur, "auto", "on a terminal, unless NO_COLOR is set");
            emit(out, prefix, cur, "always", NULL);
            emit(out, prefix, cur, "never", NULL);
        } else if (strcmp(word, "ID") == 0) {
            emit_job_ids(out, home_option, prefix, cur);
        }
        /* SECONDS, DURATION, N: nothing to offer. */
    }
}

/* The option a word names, exactly or as "--name=value", among those that apply. */
static const cli_option *option_of(const cli_command *cmd, const cli_subcommand *sub, const char *word)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(word, "="), word);
    const cli_option *o = cli_option_find(cmd, sub, name);
    /* Before the subcommand is known, any subcommand's option counts (`job --timeout 5 wait`). */
    for (const cli_subcommand *s = cmd && !sub ? cmd->subcommands : NULL; !o && s && s->name; s++)
        o = cli_option_find(cmd, s, name);
    return o;
}

static void emit_options(FILE *out, const cli_option *list, const char *cur)
{
    for (const cli_option *o = list; o && o->name; o++)
        emit(out, "", cur, o->name, o->summary);
}

int cli_complete_words(FILE *out, int argc, char **argv)
{
    const cli_command *cmd = NULL;
    const cli_subcommand *sub = NULL;
    const cli_option *awaiting = NULL;  /* an option whose value is the next word */
    const char *home_option = NULL;
    bool only_operands = false;
    int operands = 0;                   /* of the command (or subcommand), so far */
    for (int i = 0; i + 1 < argc; i++) {
        const char *w = argv[i];
        if (awaiting) {
            if (strcmp(awaiting->name, "--home") == 0)
                home_option = w;
            awaiting = NULL;
            continue;
        }
        if (!only_operands && strcmp(w, "--") == 0) {
            only_operands = true;
            continue;
        }
        if (!only_operands && w[0] == '-' && w[1] != '\0') {
            const cli_option *o = option_of(cmd, sub, w);
            if (o && o->value && !strchr(w, '='))
                awaiting = o;
            else if (o && strcmp(o->name, "--home") == 0 && strchr(w, '='))
                home_option = strchr(w, '=') + 1;
            continue;
        }
        if (!cmd) {
            cmd = cli_command_find(w);
            if (!cmd) {
                fputs("words\n", out);  /* an unknown command: nothing to offer */
                return EXIT_OK;
            }
        } else if (cmd->subcommands && !sub) {
            sub = cli_subcommand_find(cmd, w);
            if (!sub) {
                fputs("words\n", out);
                return EXIT_OK;
            }
        } else {
            operands++;
        }
    }
    const char *cur = argc > 0 ? argv[argc - 1] : "";
    if (awaiting) {
        complete_placeholder(out, awaiting->value, home_option, "", cur);
        return EXIT_OK;
    }
    if (!only_operands && strncmp(cur, "--", 2) == 0 && strchr(cur, '=')) {
        const cli_option *o = option_of(cmd, sub, cur);
        char *prefix = xstrndup(cur, (size_t)(strchr(cur, '=') - cur) + 1);
        if (o && o->value)
            complete_placeholder(out, o->value, home_option, prefix, cur);
        else
            fputs("words\n", out);
        free(prefix);
        return EXIT_OK;
    }
    if (!only_operands && cur[0] == '-') {
        fputs("words\n", out);
        if (sub)
            emit_options(out, sub->options, cur);
        if (cmd)
            emit_options(out, cmd->options, cur);
        for (const cli_option *o = cli_global_options; o->name; o++)
            if (!cli_option_find(cmd, sub, o->name) || cli_option_find(cmd, sub, o->name) == o)
                emit(out, "", cur, o->name, o->summary);
        return EXIT_OK;
    }
    if (!cmd) {
        complete_placeholder(out, "COMMAND", home_option, "", cur);
        return EXIT_OK;
    }
    if (cmd->subcommands && !sub) {
        fputs("words\n", out);
        for (const cli_subcommand *s = cmd->subcommands; s->name; s++)
            emit(out, "", cur, s->name, s->summary);
        return EXIT_OK;
    }
    const char *spec = sub ? sub->operands : cmd->operands;
    bool more = spec && (operands == 0 || strstr(spec, "...") != NULL);
    if (more)
        complete_placeholder(out, spec, home_option, "", cur);
    else
        fputs("words\n", out);
    return EXIT_OK;
}

/* ---- The scripts ---- */

static const char bash_script[] =
    "# bash completion for jmake, printed by `jmake completion bash`.\n"
    "# The candidates come from jmake itself (`jmake __complete WORD...`), read from the\n"
    "# same tables as its options and --help: they always match the jmake being run.\n"
    "_jmake() {\n"
    "    local words=() joined=0 i w\n"
    "    for ((i = 1; i <= COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        # bash splits --opt=value at the '='; jmake wants it whole.\n"
    "        if [[ $w == = && ${#words[@]} -gt 0 && ${words[-1]} == --* ]]; then\n"
    "            words[-1]+==\n"
    "            joined=1\n"
    "        elif ((joined)); then\n"
    "            words[-1]+=$w\n"
    "            joined=0\n"
    "        else\n"
    "            words+=(\"$w\")\n"
    "        fi\n"
    "    done\n"
    "    local cur=${words[-1]-} value=${words[-1]-}\n"
    "    [[ $cur == --*=* ]] && value=${cur#*=}\n"
    "    local exe=${COMP_WORDS[0]}\n"
    "    [[ $exe == \"~/\"* ]] && exe=$HOME/${exe#\"~/\"}\n"
    "    local out kind line\n"
    "    out=$(\"$exe\" __complete \"${words[@]}\" 2>/dev/null) || return 0\n"
    "    kind=${out%%$'\\n'*}\n"
    "    COMPREPLY=()\n"
    "    case $kind in\n"
    "    words)\n"
    "        [[ $out == *$'\\n'* ]] || return 0\n"
    "        while IFS= read -r line; do\n"
    "            line=${line%%$'\\t'*}\n"
    "            [[ $cur == --*=* ]] && line=${line#*=}\n"
    "            COMPREPLY+=(\"$line\")\n"
    "        done <<<\"${out#*$'\\n'}\"\n"
    "        ;;\n"
    "    dirs)\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -d -- \"$value\")\n"
    "        ;;\n"
    "    \"files \"*)\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -f -X \"!*.${kind#files }\" -- \"$value\"; compgen -d -- \"$value\")\n"
    "        ;;\n"
    "    files)\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -f -- \"$value\")\n"
    "        ;;\n"
    "    esac\n"
    "    return 0\n"
    "}\n"
    "complete -F _jmake jmake\n";

static const char zsh_script[] =
    "#compdef jmake\n"
    "# zsh completion for jmake, printed by `jmake completion zsh`.\n"
    "# The candidates come from jmake itself (`jmake __complete WORD...`), read from the\n"
    "# same tables as its options and --help: they always match the jmake being run.\n"
    "_jmake() {\n"
    "    local out kind line w cur=${words[CURRENT]}\n"
    "    local -a lines cands shown\n"
    "    out=$(${words[1]} __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null) || return 1\n"
    "    lines=(\"${(@f)out}\")\n"
    "    kind=${lines[1]}\n"
    "    [[ $cur == --*=* ]] && compset -P '*='\n"
    "    case $kind in\n"
    "    words)\n"
    "        for line in \"${(@)lines[2,-1]}\"; do\n"
    "            [[ -z $line ]] && continue\n"
    "            w=${line%%$'\\t'*}\n"
    "            [[ $cur == --*=* ]] && w=${w#*=}\n"
    "            cands+=(\"$w\")\n"
    "            if [[ $line == *$'\\t'* ]]; then shown+=(\"$w  -- ${line#*$'\\t'}\"); else shown+=(\"$w\"); fi\n"
    "        done\n"
    "        (( ${#cands} )) && compadd -l -d shown -a cands\n"
    "        ;;\n"
    "    dirs) _files -/ ;;\n"
    "    'files '*) _files -g \"*.${kind#files }\" ;;\n"
    "    files) _files ;;\n"
    "    esac\n"
    "}\n"
    "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
    "    _jmake \"$@\"\n"
    "else\n"
    "    compdef _jmake jmake\n"
    "fi\n";

static const char fish_script[] =
    "# fish completion for jmake, printed by `jmake completion fish`.\n"
    "# The candidates come from jmake itself (`jmake __complete WORD...`), read from the\n"
    "# same tables as its options and --help: they always match the jmake being run.\n"
    "function __jmake_complete\n"
    "    set -l tokens (commandline -opc)\n"
    "    set -l cur (commandline -ct)\n"
    "    set -l out (command $tokens[1] __complete $tokens[2..-1] \"$cur\" 2>/dev/null)\n"
    "    or return\n"
    "    set -l prefix ''\n"
    "    set -l value $cur\n"
    "    if string match -qr -- '^--[^=]*=' $cur\n"
    "        set prefix (string replace -r -- '=.*' '=' $cur)\n"
    "        set value (string replace -r -- '^[^=]*=' '' $cur)\n"
    "    end\n"
    "    set -l path (string replace -r -- '^~' $HOME $value)\n"
    "    switch $out[1]\n"
    "        case words\n"
    "            printf '%s\\n' $out[2..-1]\n"
    "        case dirs\n"
    "            for f in $path*/\n"
    "                echo $prefix$f\n"
    "            end\n"
    "        case 'files *'\n"
    "            set -l ext (string replace 'files ' '' -- $out[1])\n"
    "            for f in $path*\n"
    "                if test -d $f\n"
    "                    echo $prefix$f/\n"
    "                else if string match -q -- \"*.$ext\" $f\n"
    "                    echo $prefix$f\n"
    "                end\n"
    "            end\n"
    "        case files\n"
    "            for f in $path*\n"
    "                if test -d $f\n"
    "                    echo $prefix$f/\n"
    "                else\n"
    "                    echo $prefix$f\n"
    "                end\n"
    "            end\n"
    "    end\n"
    "end\n"
    "complete -c jmake -f -a '(__jmake_complete)'\n";

int cli_completion(cli *c, int argc, char **argv)
{
    (void)c;
    const char *shell = argv[1];
    if (strcmp(shell, "bash") == 0)
        fputs(bash_script, stdout);
    else if (strcmp(shell, "zsh") == 0)
        fputs(zsh_script, stdout);
    else if (strcmp(shell, "fish") == 0)
        fputs(fish_script, stdout);
    else {
        fprintf(stderr, "jmake completion: unknown shell '%s' (bash, zsh, fish)\n", shell);
        return cli_usage("completion");
    }
    return EXIT_OK;
}
