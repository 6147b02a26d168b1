/* config.c - the daemon configuration (SPEC 5): one key table drives checking, defaults and the sample file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

static const char *const log_level_choices[] = {"debug", "info", "warn", "error", NULL};
static const char *const engine_choices[] = {"none", "distcc", NULL};

#define KEY(sec, nm, ty, lo, hi, ch, def, doc, field) \
    { sec, nm, ty, lo, hi, ch, def, doc, offsetof(jm_config, field) }

/* The order here is the order of the sample file and of the documentation. */
const config_key config_keys[] = {
    KEY("queue", "max_concurrent_jobs", CFG_INT, 1, 1024, NULL, "4",
        "Jobs the orchestrator runs at the same time, over all daemons.", queue.max_concurrent_jobs),
    KEY("queue", "job_timeout_seconds", CFG_INT, 1, 604800, NULL, "300",
        "A running job taking longer than this is stopped and counts as a failed attempt.",
        queue.job_timeout_seconds),

    KEY("watcher", "watch_patterns", CFG_STRING_LIST, 0, 0, NULL,
        "[\"**/*.c\", \"**/*.cc\", \"**/*.cpp\", \"**/*.cxx\", \"**/*.c++\", \"**/*.C\", \"**/*.S\", \"**/*.s\", "
        "\"**/*.h\", \"**/*.hh\", \"**/*.hpp\", \"**/*.hxx\", \"**/*.inc\", \"**/*.toml\"]",
        "Globs (relative to a watched project) whose changes trigger a rebuild: every source and header extension jmake compiles or tracks.", watcher.watch_patterns),
    KEY("watcher", "ignore_patterns", CFG_STRING_LIST, 0, 0, NULL, "[\"build/**\", \"julia/**\", \".git/**\"]",
        "Globs never watched, even when a watch pattern matches; checked first.", watcher.ignore_patterns),
    KEY("watcher", "debounce_ms", CFG_INT, 0, 600000, NULL, "500",
        "Quiet time after the last change before a rebuild starts, so one save of many files is one build.",
        watcher.debounce_ms),

    KEY("error_handling", "max_retries", CFG_INT, 0, 100, NULL, "3",
        "Times a failed job is tried again before it is marked failed.", error_handling.max_retries),
    KEY("error_handling", "retry_delay_seconds", CFG_INT, 0, 86400, NULL, "5",
        "Wait before a failed job is tried again.", error_handling.retry_delay_seconds),

    KEY("orchestrator", "max_daemons", CFG_INT, 1, 6, NULL, "6",
        "Daemons the orchestrator runs, itself included (there are six kinds).", orchestrator.max_daemons),
    KEY("orchestrator", "health_check_interval", CFG_INT, 1, 3600, NULL, "30",
        "Seconds between health checks of the other daemons.", orchestrator.health_check_interval),
    KEY("orchestrator", "restart_failed_daemons", CFG_BOOL, 0, 0, NULL, "true",
        "Restart a daemon that died or stopped answering; its running job goes back to the queue.",
        orchestrator.restart_failed_daemons),

    KEY("logging", "log_level", CFG_STRING, 0, 0, log_level_choices, "\"info\"",
        "Least severe level written (DEBUG=1 in the environment of `jmake start` forces debug).",
        logging.log_level),
    KEY("logging", "log_file", CFG_STRING, 0, 0, NULL, "\"orchestrator.log\"",
        "File name of the orchestrator's log in HOME/logs/ (the other daemons write <daemon>.log).",
        logging.log_file),
    KEY("logging", "max_size_kb", CFG_INT, 1, 4194304, NULL, "10240",
        "A log file growing past this size (KiB) is rotated to <name>.log.1.", logging.max_size_kb),
    KEY("logging", "keep_files", CFG_INT, 0, 100, NULL, "3",
        "Rotated log files kept per daemon (<name>.log.1 .. .N).", logging.keep_files),

    KEY("compilation", "max_parallel_builds", CFG_INT, 1, 1024, NULL, "4",
        "Compiler processes the compilation daemon runs at the same time.", compilation.max_parallel_builds),
    KEY("compilation", "build_timeout", CFG_INT, 1, 604800, NULL, "600",
        "Seconds one compiler or linker process may run before it is killed.", compilation.build_timeout),
    KEY("compilation", "cache_enabled", CFG_BOOL, 0, 0, NULL, "true",
        "Reuse object files compiled before from identical inputs.", compilation.cache_enabled),
    KEY("compilation", "cache_dir", CFG_PATH, 0, 0, NULL, "\".bridge_cache\"",
        "Compilation cache folder; a relative path is under the home, so one cache serves every project.",
        compilation.cache_dir),
    KEY("compilation", "cache_size_mb", CFG_INT, 1, 1048576, NULL, "1024",
        "The cache evicts least recently used entries beyond this size (MiB).", compilation.cache_size_mb),
    KEY("compilation", "incremental_builds", CFG_BOOL, 0, 0, NULL, "true",
        "Recompile only sources whose inputs (file, headers, flags) changed.", compilation.incremental_builds),

    KEY("llvm", "use_bundled", CFG_BOOL, 0, 0, NULL, "false",
        "Use an LLVM shipped with jmake instead of the system's (none is bundled yet).", llvm.use_bundled),
    KEY("llvm", "toolchain_path", CFG_STRING, 0, 0, NULL, "\"/usr/lib/llvm-17\"",
        "LLVM installation for projects with an [llvm] section; when missing, the newest /usr/lib/llvm-N is used.",
        llvm.toolchain_path),

    KEY("distributed", "engine", CFG_STRING, 0, 0, engine_choices, "\"none\"",
        "Where compilations run: \"none\" on this machine, \"distcc\" on the hosts below through distcc.",
        distributed.engine),
    KEY("distributed", "hosts", CFG_STRING_LIST, 0, 0, NULL, "[]",
        "distcc host specifications (\"host:port/4,lzo\", \"@host\", \"localhost/2\"); empty = distcc's own list.",
        distributed.hosts),
    KEY("distributed", "pump", CFG_BOOL, 0, 0, NULL, "false",
        "distcc's pump mode: the hosts also preprocess (needs distcc-pump; helps with many hosts).",
        distributed.pump),
};
const size_t config_key_count = sizeof config_keys / sizeof config_keys[0];

const char *const config_file_names[] = {"job_queue_design.toml", "orchestrator.toml", "compilation.toml"};
const size_t config_file_count = sizeof config_file_names / sizeof config_file_names[0];

/* Where each key was set, so a second setting can name the first. */
typedef struct key_origin {
    char *file;
    int line, column;
} key_origin;

static void *field_at(jm_config *cfg, const config_key *key)
{
    return (char *)cfg + key->offset;
}

static const char *type_word(config_type type)
{
    switch (type) {
    case CFG_INT: return "an integer";
    case CFG_BOOL: return "a boolean (true or false)";
    case CFG_STRING: return "a string";
    case CFG_PATH: return "a string (a path)";
    case CFG_STRING_LIST: return "an array of strings";
    }
    return "?";
}

static void choices_text(const char *const *choices, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", choices[i]);
}

/* Checks value against key and stores it into cfg. Returns 0, or -1 after adding an error to diags
 * (file may be NULL for the built-in defaults, where an error is a bug in the table). */
static int apply_value(jm_config *cfg, const config_key *key, const toml_value *value, const char *base_dir,
                       const char *file, diag_list *diags)
{
    void *field = field_at(cfg, key);
    if (key->type == CFG_STRING_LIST ? value->type != TOML_ARRAY
        : key->type == CFG_INT       ? value->type != TOML_INTEGER
        : key->type == CFG_BOOL      ? value->type != TOML_BOOL
                                     : value->type != TOML_STRING) {
        diag_add(diags, DIAG_ERROR, file, value->line, value->column, "key '%s.%s' must be %s, not %s",
                 key->section, key->name, type_word(key->type), toml_type_name(value->type));
        return -1;
    }
    switch (key->type) {
    case CFG_INT:
        if (value->u.integer < key->min || value->u.integer > key->max) {
            diag_add(diags, DIAG_ERROR, file, value->line, value->column,
                     "key '%s.%s' = %lld is out of range %lld..%lld", key->section, key->name,
                     (long long)value->u.integer, (long long)key->min, (long long)key->max);
            return -1;
        }
        *(int64_t *)field = value->u.integer;
        return 0;
    case CFG_BOOL:
        *(bool *)field = value->u.boolean;
        return 0;
    case CFG_STRING:
    case CFG_PATH: {
        const char *s = value->u.string.ptr;
        if (strlen(s) != value->u.string.len || s[0] == '\0') {
            diag_add(diags, DIAG_ERROR, file, value->line, value->column, "key '%s.%s' must not be empty%s",
                     key->section, key->name, s[0] ? " or contain NUL" : "");
            return -1;
        }
        if (key->choices) {
            bool found = false;
            for (size_t i = 0; key->choices[i]; i++)
                found = found || strcmp(key->choices[i], s) == 0;
            if (!found) {
                char list[256];
                choices_text(key->choices, list, sizeof list);
                diag_add(diags, DIAG_ERROR, file, value->line, value->column,
                         "key '%s.%s' must be one of %s, not \"%s\"", key->section, key->name, list, s);
                return -1;
            }
        }
        char **slot = field;
        free(*slot);
        *slot = key->type == CFG_PATH ? path_absolute(base_dir, s) : xstrdup(s);
        return 0;
    }
    case CFG_STRING_LIST: {
        for (size_t i = 0; i < value->u.array.count; i++) {
            const toml_value *item = value->u.array.items[i];
            if (item->type != TOML_STRING || strlen(item->u.string.ptr) != item->u.string.len) {
                diag_add(diags, DIAG_ERROR, file, item->line, item->column,
                         "key '%s.%s' must be an array of strings; item %zu is %s", key->section, key->name,
                         i + 1, item->type == TOML_STRING ? "a string holding NUL" : toml_type_name(item->type));
                return -1;
            }
        }
        strvec *sv = field;
        strvec_free(sv);
        for (size_t i = 0; i < value->u.array.count; i++)
            strvec_push(sv, value->u.array.items[i]->u.string.ptr);
        return 0;
    }
    }
    return -1;
}

static const config_key *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < config_key_count; i++)
        if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

static bool known_section(const char *section)
{
    for (size_t i = 0; i < config_key_count; i++)
        if (strcmp(config_keys[i].section, section) == 0)
            return true;
    return false;
}

void config_defaults(jm_config *cfg, const char *home)
{
    memset(cfg, 0, sizeof *cfg);
    const char *base = home ? home : ".";
    for (size_t i = 0; i < config_key_count; i++) {
        const config_key *key = &config_keys[i];
        /* Parsing the default through the same path as user input keeps one definition of each default. */
        char *doc = xasprintf("v = %s\n", key->default_text);
        toml_error err;
        toml_value *root = toml_parse(doc, strlen(doc), &err);
        const toml_value *v = root ? toml_table_get(root, "v") : NULL;
        diag_list ignored = {0};
        if (!v || apply_value(cfg, key, v, base, NULL, &ignored) != 0) {
            fprintf(stderr, "jmake: internal error: bad default for %s.%s: %s\n", key->section, key->name,
                    key->default_text);
            abort();
        }
        diag_free(&ignored);
        toml_free(root);
        free(doc);
    }
}

void config_free(jm_config *cfg)
{
    for (size_t i = 0; i < config_key_count; i++) {
        void *field = field_at(cfg, &config_keys[i]);
        switch (config_keys[i].type) {
        case CFG_STRING:
        case CFG_PATH:
            free(*(char **)field);
            *(char **)field = NULL;
            break;
        case CFG_STRING_LIST:
            strvec_free(field);
            break;
        default:
            break;
        }
    }
}

/* Reads one file into cfg. origins[] (one per key) records the first place each key was set. */
static int load_file(jm_config *cfg, const char *path, const char *base_dir, key_origin *origins,
                     diag_list *diags)
{
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) {
        diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    toml_error err;
    memset(&err, 0, sizeof err);
    toml_value *root = toml_parse(data, len, &err);
    free(data);
    if (!root) {
        diag_add(diags, DIAG_ERROR, path, err.line, err.column, "%s", err.message);
        return -1;
    }
    int rc = 0;
    for (size_t s = 0; s < root->u.table.count; s++) {
        const toml_entry *sec = &root->u.table.entries[s];
        if (!known_section(sec->key)) {
            diag_add(diags, DIAG_WARNING, path, sec->line, sec->column, "unknown %s '%s' (ignored)",
                     sec->value->type == TOML_TABLE ? "section" : "top-level key", sec->key);
            continue;
        }
        if (sec->value->type != TOML_TABLE) {
            diag_add(diags, DIAG_ERROR, path, sec->value->line, sec->value->column,
                     "'%s' must be a table ([%s]), not %s", sec->key, sec->key, toml_type_name(sec->value->type));
            rc = -1;
            continue;
        }
        const toml_value *table = sec->value;
        for (size_t e = 0; e < table->u.table.count; e++) {
            const toml_entry *ent = &table->u.table.entries[e];
            const config_key *key = find_key(sec->key, ent->key);
            if (!key) {
                diag_add(diags, DIAG_WARNING, path, ent->line, ent->column, "unknown key '%s.%s' (ignored)",
                         sec->key, ent->key);
                continue;
            }
            key_origin *origin = &origins[key - config_keys];
            if (origin->file) {
                diag_add(diags, DIAG_ERROR, path, ent->line, ent->column, "key '%s.%s' already set at %s:%d:%d",
                         key->section, key->name, origin->file, origin->line, origin->column);
                rc = -1;
                continue;
            }
            origin->file = xstrdup(path);
            origin->line = ent->line;
            origin->column = ent->column;
            if (apply_value(cfg, key, ent->value, base_dir, path, diags) != 0)
                rc = -1;
        }
    }
    toml_free(root);
    return rc;
}

/* The N of an "llvm-N" folder name, or -1. */
static int llvm_version_of(const char *name)
{
    if (strncmp(name, "llvm-", 5) != 0 || name[5] < '0' || name[5] > '9')
        return -1;
    char *end;
    long v = strtol(name + 5, &end, 10);
    return *end == '\0' && v < 10000 ? (int)v : -1;
}

/* SPEC 5: a toolchain_path that does not exist falls back to the newest /usr/lib/llvm-N. */
static void llvm_fallback(jm_config *cfg, const key_origin *origin, diag_list *diags)
{
    if (!cfg->llvm.toolchain_path || dir_exists(cfg->llvm.toolchain_path))
        return;
    int best = -1;
    DIR *dir = opendir("/usr/lib");
    if (dir) {
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            int v = llvm_version_of(de->d_name);
            if (v > best) {
                char *candidate = path_join("/usr/lib", de->d_name);
                if (dir_exists(candidate))
                    best = v;
                free(candidate);
            }
        }
        closedir(dir);
    }
    /* Only a path the user wrote is worth a warning; the seed's default names LLVM 17, which most
     * systems lack, and warning about a line nobody wrote would be noise on every start. */
    const char *file = origin->file;
    if (best < 0) {
        if (!file)
            return;
        diag_add(diags, DIAG_WARNING, file, origin->line, origin->column,
                 "llvm.toolchain_path '%s' does not exist and no /usr/lib/llvm-N was found; [llvm] projects "
                 "will not build", cfg->llvm.toolchain_path);
        return;
    }
    char *found = xasprintf("/usr/lib/llvm-%d", best);
    if (file)
        diag_add(diags, DIAG_WARNING, file, origin->line, origin->column,
                 "llvm.toolchain_path '%s' does not exist; using %s instead", cfg->llvm.toolchain_path, found);
    free(cfg->llvm.toolchain_path);
    cfg->llvm.toolchain_path = found;
}

/* Loads paths over the defaults already in cfg, as one configuration. missing_ok skips absent files. */
static int load_files(jm_config *cfg, const char *const *paths, size_t count, const char *base_dir,
                      bool missing_ok, diag_list *diags)
{
    key_origin *origins = xcalloc(config_key_count, sizeof *origins);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (missing_ok && !file_exists(paths[i]))
            continue;
        if (load_file(cfg, paths[i], base_dir, origins, diags) != 0)
            rc = -1;
    }
    const config_key *tp = find_key("llvm", "toolchain_path");
    llvm_fallback(cfg, &origins[tp - config_keys], diags);
    for (size_t i = 0; i < config_key_count; i++)
        free(origins[i].file);
    free(origins);
    return rc;
}

int config_load(jm_config *cfg, const char *home, diag_list *diags)
{
    config_defaults(cfg, home);
    char *paths[sizeof config_file_names / sizeof config_file_names[0]];
    for (size_t i = 0; i < config_file_count; i++)
        paths[i] = path_join(home, config_file_names[i]);
    int rc = load_files(cfg, (const char *const *)paths, config_file_count, home, true, diags);
    for (size_t i = 0; i < config_file_count; i++)
        free(paths[i]);
    return rc;
}

int config_check_files(const char *const *paths, size_t count, diag_list *diags)
{
    if (count == 0)
        return 0;
    /* Without a home, relative paths are taken against the first file's folder, as if it were the home. */
    char *base = path_dirname(paths[0]);
    char *home = path_absolute(NULL, base);
    jm_config cfg;
    config_defaults(&cfg, home);
    int rc = load_files(&cfg, paths, count, home, false, diags);
    config_free(&cfg);
    free(home);
    free(base);
    return rc;
}

/* Sections the seed's job_queue_design.toml sets; the sample sets their keys and comments the others
 * out, so orchestrator.toml and compilation.toml can set those without a duplicate-key error. */
static const char *const sample_active_sections[] = {"queue", "watcher", "error_handling", NULL};

static bool sample_section_active(const char *section)
{
    for (size_t i = 0; sample_active_sections[i]; i++)
        if (strcmp(sample_active_sections[i], section) == 0)
            return true;
    return false;
}

void config_write_sample(FILE *out)
{
    fputs("# job_queue_design.toml - jmake daemon configuration; every key, its default and what it does.\n"
          "#\n"
          "# Generated by config_write_sample() (src/config.c); a unit test keeps this file equal to it.\n"
          "# The daemons read job_queue_design.toml, orchestrator.toml and compilation.toml from their home;\n"
          "# any section may stand in any of those files, but a key may be set only once over all three.\n"
          "# Keys shown as comments hold their default: uncomment one here, or set it in another file.\n"
          "# Check with: jmake config check\n",
          out);
    const char *section = "";
    for (size_t i = 0; i < config_key_count; i++) {
        const config_key *key = &config_keys[i];
        bool active = sample_section_active(key->section);
        if (strcmp(section, key->section) != 0) {
            section = key->section;
            fprintf(out, "\n[%s]\n", section);
        } else {
            fputc('\n', out);  /* a blank line between keys keeps each comment with its key */
        }
        fprintf(out, "# %s", key->doc);
        if (key->type == CFG_INT)
            fprintf(out, " Range %lld..%lld.", (long long)key->min, (long long)key->max);
        if (key->choices) {
            char list[256];
            choices_text(key->choices, list, sizeof list);
            fprintf(out, " One of: %s.", list);
        }
        fputc('\n', out);
        fprintf(out, "%s%s = %s\n", active ? "" : "# ", key->name, key->default_text);
    }
}
