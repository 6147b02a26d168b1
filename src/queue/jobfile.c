/* jobfile.c - job files ([[jobs]] in TOML), single submits and their JSON form: parsing and validation. */
#include "jobfile.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "jobtype.h"
#include "project.h"
#include "toml.h"
#include "util.h"


/* A job file that leaves priority out gets the middle of the "normal" band
 * (1-5) so that users can still put jobs ahead of it without reaching 0. */
#define JOBFILE_DEFAULT_PRIORITY 5
#define JOBFILE_ID_MAX 128

/* Fields of the original JMake's job files that mean nothing to us. */
static const char *const legacy_fields[] = {"daemon", "port", "callback", "status", "target_section", NULL};

static const char *const known_fields[] = {"id",          "type",       "priority",        "config_file",
                                           "binary_path", "depends_on", "timeout_seconds", "args",
                                           NULL};

bool jobfile_type_known(const char *type)
{
    return job_type_from_name(type) >= 0;
}

bool jobfile_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len > JOBFILE_ID_MAX || id[0] == '-')
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._:@+-", *p))
            return false;
    return true;
}


/* Where each checked value was written, so an error can point at it; all
 * zero (file NULL) for specs that came from the command line or the wire. */
typedef jobfile_pos pos;

typedef struct spec_where {
    const char *file;
    pos entry, id, type, priority, depends_on, timeout, args;
    pos field[JOB_FIELD_COUNT];                 /* config_file, binary_path, args.path, ... */
    const char *written[JOB_FIELD_COUNT];       /* a path field as the user wrote it, or NULL */
    pos *deps;                                  /* owned: where each kept depends_on item was written */
    size_t dep_count;
} spec_where;

static bool is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "'x' does not exist" with the resolved path added when the user wrote a relative one. */
static void missing_path(diag_list *diags, const spec_where *w, pos at, const char *field, const char *written,
                         const char *resolved, const char *what)
{
    const char *shown = written ? written : resolved;
    if (strcmp(shown, resolved) != 0)
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "%s '%s' %s (looked for %s)", field, shown, what,
                 resolved);
    else
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "%s '%s' %s", field, shown, what);
}

/* A compilation job is only worth queueing when its project loads and has something to compile. */
static void check_project(const char *config_file, const spec_where *w, diag_list *diags)
{
    const char *shown = w->written[JOB_FIELD_CONFIG_FILE] ? w->written[JOB_FIELD_CONFIG_FILE] : config_file;
    pos at = w->field[JOB_FIELD_CONFIG_FILE];
    diag_list project_diags = {0};
    project_config project;
    memset(&project, 0, sizeof project);
    int rc = project_load(config_file, &project, &project_diags);
    for (size_t i = 0; i < project_diags.count; i++) {
        const diag_item *it = &project_diags.items[i];
        diag_add(diags, it->severity, it->file, it->line, it->column, "%s", it->message);
    }
    diag_free(&project_diags);
    if (rc < 0) {
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col,
                 "config_file '%s' is not a valid project configuration (errors above)", shown);
        project_free(&project); /* project_load fills defaults even when it fails */
        return;
    }
    if (project.sources.n == 0 && !dir_exists(project.source_dir))
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "config_file '%s': source folder '%s' does not exist", shown, project.source_dir);
    else if (project.sources.n > 0 && !dir_exists(project.root))
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "config_file '%s': project root '%s' does not exist", shown, project.root);
    project_free(&project);
}

/* The fields that are members of args (job_field_table rows with an args_key). */
static unsigned args_fields(void)
{
    unsigned mask = 0;
    for (int f = 0; f < JOB_FIELD_COUNT; f++)
        if (job_field_table[f].args_key)
            mask |= JOB_FIELD_BIT(f);
    return mask;
}

/* Whether the job gives field f; args is the parsed args object or NULL. */
static bool field_given(const job_spec *spec, const cJSON *args, job_field f)
{
    switch (f) {
    case JOB_FIELD_CONFIG_FILE:
        return spec->config_file != NULL;
    case JOB_FIELD_BINARY_PATH:
        return spec->binary_path != NULL;
    default:
        return cJSON_GetObjectItemCaseSensitive(args, job_field_table[f].args_key) != NULL;
    }
}

/* The type's "needs at least one of" rule; errors go to diags. */
static void check_needs(const job_spec *spec, const cJSON *args, const job_type_info *type, const spec_where *w,
                        diag_list *diags)
{
    if (type->needs == 0)
        return;
    for (int f = 0; f < JOB_FIELD_COUNT; f++)
        if ((type->needs & JOB_FIELD_BIT(f)) && field_given(spec, args, (job_field)f))
            return;
    diag_add(diags, DIAG_ERROR, w->file, w->entry.line, w->entry.col, "%s job needs %s", type->name,
             type->needs_text);
}

/* One member of args that the type reads, as its job_field_table row says it must be. */
static void check_arg(const cJSON *item, job_field f, const spec_where *w, diag_list *diags)
{
    const job_field_info *info = &job_field_table[f];
    pos at = w->field[f];
    if (info->value == JOB_VALUE_JOB_ID) {
        if (!cJSON_IsString(item) || !jobfile_id_valid(item->valuestring))
            diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "%s must be a job id string", info->name);
        return;
    }
    bool folder = info->value == JOB_VALUE_FOLDER;
    if (!cJSON_IsString(item))
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "%s must be a string", info->name);
    else if (item->valuestring[0] != '/')
        diag_add(diags, DIAG_ERROR, w->file, at.line, at.col, "%s '%s' must be an absolute path", info->name,
                 item->valuestring);
    else if (folder ? !dir_exists(item->valuestring) : !is_regular_file(item->valuestring))
        missing_path(diags, w, at, info->name, w->written[f], item->valuestring,
                     folder ? "is not an existing folder" : "does not exist");
}

/* The type-specific contents of args; with needs_from_args, the type's
 * "needs" rule too, which can only be judged once args is known to be an object. */
static void check_args(const job_spec *spec, const job_type_info *type, bool needs_from_args, const spec_where *w,
                       diag_list *diags)
{
    cJSON *args = spec->args_json ? cJSON_Parse(spec->args_json) : NULL;
    if (spec->args_json && !cJSON_IsObject(args)) {
        diag_add(diags, DIAG_ERROR, w->file, w->args.line, w->args.col, "args must be a table (a JSON object)");
        cJSON_Delete(args);
        return;
    }
    for (int f = 0; f < JOB_FIELD_COUNT; f++) {
        if (!(type->reads_args & JOB_FIELD_BIT(f)))
            continue;
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, job_field_table[f].args_key);
        if (item)
            check_arg(item, (job_field)f, w, diags);
    }
    if (needs_from_args)
        check_needs(spec, args, type, w, diags);
    cJSON_Delete(args);
}

/* Every rule a job must pass before it is queued; errors go to diags. */
static void check_spec(const job_spec *spec, const spec_where *w, diag_list *diags)
{
    if (spec->id && !jobfile_id_valid(spec->id))
        diag_add(diags, DIAG_ERROR, w->file, w->id.line, w->id.col,
                 "invalid job id '%s': use 1-%d letters, digits or ._:@+- (not starting with '-')", spec->id,
                 JOBFILE_ID_MAX);
    char type_names[256];
    if (!spec->type) {
        diag_add(diags, DIAG_ERROR, w->file, w->entry.line, w->entry.col, "missing required field 'type' (%s)",
                 job_type_names_text(type_names, sizeof type_names));
        return;
    }
    int type_index = job_type_from_name(spec->type);
    if (type_index < 0) {
        diag_add(diags, DIAG_ERROR, w->file, w->type.line, w->type.col, "unknown job type '%s' (expected %s)",
                 spec->type, job_type_names_text(type_names, sizeof type_names));
        return;
    }
    const job_type_info *type = &job_type_table[type_index];
    if (spec->priority < 0)
        diag_add(diags, DIAG_ERROR, w->file, w->priority.line, w->priority.col,
                 "priority must be 0 (highest) or more, not %d", spec->priority);
    if (spec->timeout_seconds < 0)
        diag_add(diags, DIAG_ERROR, w->file, w->timeout.line, w->timeout.col,
                 "timeout_seconds must not be negative (0: the daemon's job_timeout_seconds), not %lld",
                 (long long)spec->timeout_seconds);
    for (size_t i = 0; i < spec->depends_on.n; i++) {
        const char *dep = spec->depends_on.v[i];
        if (!jobfile_id_valid(dep))
            diag_add(diags, DIAG_ERROR, w->file, w->depends_on.line, w->depends_on.col,
                     "depends_on names an invalid job id '%s'", dep);
        else if (spec->id && strcmp(dep, spec->id) == 0)
            diag_add(diags, DIAG_ERROR, w->file, w->depends_on.line, w->depends_on.col,
                     "job '%s' depends on itself", dep);
    }

    /* config_file and binary_path are checked on every job that has one, whatever its type. */
    bool config_ok = false;
    const pos config_at = w->field[JOB_FIELD_CONFIG_FILE], binary_at = w->field[JOB_FIELD_BINARY_PATH];
    if (spec->config_file) {
        const char *written = w->written[JOB_FIELD_CONFIG_FILE];
        if (spec->config_file[0] != '/')
            diag_add(diags, DIAG_ERROR, w->file, config_at.line, config_at.col,
                     "config_file '%s' must be an absolute path", spec->config_file);
        else if (dir_exists(spec->config_file))
            missing_path(diags, w, config_at, "config_file", written, spec->config_file,
                         "is a folder; name the project's jmake.toml");
        else if (!is_regular_file(spec->config_file))
            missing_path(diags, w, config_at, "config_file", written, spec->config_file, "does not exist");
        else
            config_ok = true;
    }
    if (spec->binary_path) {
        if (spec->binary_path[0] != '/')
            diag_add(diags, DIAG_ERROR, w->file, binary_at.line, binary_at.col,
                     "binary_path '%s' must be an absolute path", spec->binary_path);
        else if (!is_regular_file(spec->binary_path))
            missing_path(diags, w, binary_at, "binary_path", w->written[JOB_FIELD_BINARY_PATH], spec->binary_path,
                         "does not exist");
    }

    /* A need that only the job's own fields can meet is judged now; one that
     * args may meet waits until args is known to be an object. */
    bool needs_from_args = (type->needs & args_fields()) != 0;
    if (!needs_from_args)
        check_needs(spec, NULL, type, w, diags);
    if ((type->flags & JOB_TYPE_LOADS_PROJECT) && config_ok)
        check_project(spec->config_file, w, diags);
    check_args(spec, type, needs_from_args, w, diags);
}

int jobfile_validate_spec(const job_spec *spec, diag_list *diags)
{
    spec_where w;
    memset(&w, 0, sizeof w);
    size_t errors = diags->errors;
    check_spec(spec, &w, diags);
    return diags->errors > errors ? -1 : 0;
}

/* ---- TOML job files ---- */

static cJSON *toml_to_json(const toml_value *v)
{
    switch (v->type) {
    case TOML_STRING:
        return cJSON_CreateString(v->u.string.ptr);
    case TOML_INTEGER:
        return cJSON_CreateNumber((double)v->u.integer);
    case TOML_FLOAT:
        return cJSON_CreateNumber(v->u.floating);
    case TOML_BOOL:
        return cJSON_CreateBool(v->u.boolean);
    case TOML_ARRAY: {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < v->u.array.count; i++)
            cJSON_AddItemToArray(arr, toml_to_json(v->u.array.items[i]));
        return arr;
    }
    case TOML_TABLE: {
        cJSON *obj = cJSON_CreateObject();
        for (size_t i = 0; i < v->u.table.count; i++)
            cJSON_AddItemToObject(obj, v->u.table.entries[i].key, toml_to_json(v->u.table.entries[i].value));
        return obj;
    }
    default: {
        /* Dates and times travel as their TOML text. */
        char *text = toml_scalar_text(v);
        cJSON *s = cJSON_CreateString(text ? text : "");
        free(text);
        return s;
    }
    }
}

static char *json_print(const cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);
    char *copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

static void wrong_type(diag_list *diags, const char *file, const toml_value *v, const char *field,
                       const char *expected)
{
    diag_add(diags, DIAG_ERROR, file, v->line, v->column, "%s must be %s, not %s", field, expected,
             toml_type_name(v->type));
}

/* Notes where an args member was written and resolves a path-valued one
 * against the job file's folder (whatever the type: check_args decides
 * whether the type reads it). */
static void locate_arg(cJSON *args, const toml_value *args_value, job_field f, const char *dir, spec_where *w)
{
    const job_field_info *info = &job_field_table[f];
    const toml_entry *e = toml_table_find(args_value, info->args_key);
    if (!e)
        return;
    w->field[f] = (pos){e->value->line, e->value->column};
    if (info->value == JOB_VALUE_JOB_ID || e->value->type != TOML_STRING)
        return; /* check_args reports a wrong type */
    w->written[f] = e->value->u.string.ptr;
    char *abs = path_absolute(dir, e->value->u.string.ptr);
    cJSON_ReplaceItemInObjectCaseSensitive(args, info->args_key, cJSON_CreateString(abs));
    free(abs);
}

/* Converts one [[jobs]] table into spec; errors go to diags. */
static void load_entry(const char *file, const char *dir, const toml_value *table, job_spec *spec, spec_where *w,
                       diag_list *diags)
{
    memset(w, 0, sizeof *w);
    w->file = file;
    w->entry = (pos){table->line, table->column};
    spec->priority = JOBFILE_DEFAULT_PRIORITY;
    size_t errors = diags->errors;
    for (size_t i = 0; i < table->u.table.count; i++) {
        const toml_entry *e = &table->u.table.entries[i];
        const toml_value *v = e->value;
        pos at = {v->line, v->column};
        const char *key = e->key;
        if (str_in_list(legacy_fields, key)) {
            diag_add(diags, DIAG_WARNING, file, e->line, e->column,
                     "field '%s' of the original JMake is not used by jmake; ignored", key);
        } else if (!str_in_list(known_fields, key)) {
            diag_add(diags, DIAG_ERROR, file, e->line, e->column,
                     "unknown field '%s' in [[jobs]] (known: id, type, priority, config_file, binary_path, "
                     "depends_on, timeout_seconds, args)",
                     key);
        } else if (strcmp(key, "id") == 0 || strcmp(key, "type") == 0 || strcmp(key, "config_file") == 0 ||
                   strcmp(key, "binary_path") == 0) {
            if (v->type != TOML_STRING) {
                wrong_type(diags, file, v, key, "a string");
                continue;
            }
            const char *text = v->u.string.ptr;
            if (strlen(text) != v->u.string.len || text[0] == '\0') {
                diag_add(diags, DIAG_ERROR, file, at.line, at.col, "%s must not be empty or hold NUL characters",
                         key);
                continue;
            }
            if (key[0] == 'i') {
                spec->id = xstrdup(text);
                w->id = at;
            } else if (key[0] == 't') {
                spec->type = xstrdup(text);
                w->type = at;
            } else if (key[0] == 'c') {
                spec->config_file = path_absolute(dir, text);
                w->field[JOB_FIELD_CONFIG_FILE] = at;
                w->written[JOB_FIELD_CONFIG_FILE] = text;
            } else {
                spec->binary_path = path_absolute(dir, text);
                w->field[JOB_FIELD_BINARY_PATH] = at;
                w->written[JOB_FIELD_BINARY_PATH] = text;
            }
        } else if (strcmp(key, "priority") == 0) {
            w->priority = at;
            if (v->type != TOML_INTEGER)
                wrong_type(diags, file, v, key, "an integer");
            else if (v->u.integer < 0 || v->u.integer > INT_MAX)
                diag_add(diags, DIAG_ERROR, file, at.line, at.col,
                         "priority must be between 0 (highest) and %d, not %lld", INT_MAX,
                         (long long)v->u.integer);
            else
                spec->priority = (int)v->u.integer;
        } else if (strcmp(key, "timeout_seconds") == 0) {
            w->timeout = at;
            if (v->type != TOML_INTEGER)
                wrong_type(diags, file, v, key, "an integer");
            else if (v->u.integer <= 0)
                diag_add(diags, DIAG_ERROR, file, at.line, at.col, "timeout_seconds must be more than 0, not %lld",
                         (long long)v->u.integer);
            else
                spec->timeout_seconds = v->u.integer;
        } else if (strcmp(key, "depends_on") == 0) {
            w->depends_on = at;
            if (v->type != TOML_ARRAY) {
                wrong_type(diags, file, v, key, "an array of job ids");
                continue;
            }
            for (size_t k = 0; k < v->u.array.count; k++) {
                const toml_value *item = v->u.array.items[k];
                if (item->type != TOML_STRING)
                    wrong_type(diags, file, item, "depends_on entries", "strings");
                else if (!strvec_contains(&spec->depends_on, item->u.string.ptr)) {
                    strvec_push(&spec->depends_on, item->u.string.ptr);
                    w->deps = xrealloc(w->deps, spec->depends_on.n * sizeof *w->deps);
                    w->deps[w->dep_count++] = (pos){item->line, item->column};
                }
            }
        } else if (strcmp(key, "args") == 0) {
            w->args = at;
            if (v->type != TOML_TABLE) {
                wrong_type(diags, file, v, key, "a table (args = { ... })");
                continue;
            }
            cJSON *args = toml_to_json(v);
            for (int f = 0; f < JOB_FIELD_COUNT; f++)
                if (job_field_table[f].args_key)
                    locate_arg(args, v, (job_field)f, dir, w);
            spec->args_json = json_print(args);
            cJSON_Delete(args);
        }
    }
    /* Semantic checks only make sense on a well-typed entry. */
    if (diags->errors == errors)
        check_spec(spec, w, diags);
}

void jobfile_where_free(jobfile_where *where, size_t count)
{
    for (size_t i = 0; where && i < count; i++)
        free(where[i].deps);
    free(where);
}

void jobfile_add_store_error(diag_list *diags, const char *path, const jobfile_where *where, size_t count,
                             const jobstore_fault *fault, const char *message)
{
    pos at = {0, 0};
    if (where && fault && fault->spec >= 0 && (size_t)fault->spec < count) {
        const jobfile_where *w = &where[fault->spec];
        if (fault->dep >= 0 && (size_t)fault->dep < w->dep_count)
            at = w->deps[fault->dep];
        else
            at = w->id.line > 0 ? w->id : w->entry;
    }
    diag_add(diags, DIAG_ERROR, path, at.line, at.col, "%s", message);
}

int jobfile_load(const char *path, job_spec **specs, size_t *count, jobfile_where **where, diag_list *diags)
{
    *specs = NULL;
    *count = 0;
    if (where)
        *where = NULL;
    toml_error terr;
    memset(&terr, 0, sizeof terr);
    toml_value *root = toml_parse_file(path, &terr);
    if (!root) {
        diag_add(diags, DIAG_ERROR, path, terr.line, terr.column, "%s", terr.message);
        return -1;
    }
    size_t errors = diags->errors;
    const toml_entry *jobs_entry = toml_table_find(root, "jobs");
    for (size_t i = 0; i < root->u.table.count; i++) {
        const toml_entry *e = &root->u.table.entries[i];
        if (strcmp(e->key, "jobs") != 0)
            diag_add(diags, DIAG_WARNING, path, e->line, e->column,
                     "'%s' is not part of a job file (only [[jobs]] entries are read); ignored", e->key);
    }
    const toml_value *jobs = jobs_entry ? jobs_entry->value : NULL;
    if (!jobs) {
        diag_add(diags, DIAG_ERROR, path, 0, 0, "no [[jobs]] entries: nothing to submit");
        toml_free(root);
        return -1;
    }
    if (jobs->type != TOML_ARRAY) {
        diag_add(diags, DIAG_ERROR, path, jobs_entry->line, jobs_entry->column,
                 "jobs must be an array of tables ([[jobs]]), not %s", toml_type_name(jobs->type));
        toml_free(root);
        return -1;
    }
    size_t n = jobs->u.array.count;
    if (n == 0) {
        diag_add(diags, DIAG_ERROR, path, jobs_entry->line, jobs_entry->column, "no [[jobs]] entries: nothing to submit");
        toml_free(root);
        return -1;
    }
    char *dir = path_dirname(path);
    job_spec *out = xcalloc(n, sizeof *out);
    pos *id_at = xcalloc(n, sizeof *id_at);
    jobfile_where *located = xcalloc(n, sizeof *located);
    hashmap seen;   /* id -> index of its first entry + 1: duplicates found in linear time */
    hashmap_init(&seen);
    for (size_t i = 0; i < n; i++) {
        const toml_value *table = jobs->u.array.items[i];
        if (table->type != TOML_TABLE) {
            diag_add(diags, DIAG_ERROR, path, table->line, table->column, "jobs entries must be tables, not %s",
                     toml_type_name(table->type));
            continue;
        }
        spec_where w;
        load_entry(path, dir, table, &out[i], &w, diags);
        located[i] = (jobfile_where){w.entry, w.id, w.deps, w.dep_count};
        if (!out[i].id)
            continue;
        id_at[i] = w.id;
        size_t first = (size_t)(intptr_t)hashmap_get(&seen, out[i].id);   /* index + 1 */
        if (first) {
            diag_add(diags, DIAG_ERROR, path, w.id.line, w.id.col,
                     "duplicate job id '%s' (first defined at line %d, column %d)", out[i].id, id_at[first - 1].line,
                     id_at[first - 1].col);
        } else {
            hashmap_put(&seen, out[i].id, (void *)(intptr_t)(i + 1));
        }
    }
    hashmap_free(&seen);
    free(id_at);
    free(dir);
    toml_free(root);
    if (diags->errors > errors) {
        for (size_t i = 0; i < n; i++)
            job_spec_free(&out[i]);
        free(out);
        jobfile_where_free(located, n);
        return -1;
    }
    *specs = out;
    *count = n;
    if (where)
        *where = located;
    else
        jobfile_where_free(located, n);
    return 0;
}

/* ---- JSON (wire protocol) ---- */

static int json_opt_string(const cJSON *obj, const char *key, char **out, diag_list *diags)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "%s must be a non-empty string", key);
        return -1;
    }
    *out = xstrdup(item->valuestring);
    return 0;
}

static int json_opt_integer(const cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out,
                            diag_list *diags)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item))
        return 0;
    double d = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
    if (!cJSON_IsNumber(item) || d != (double)(int64_t)d || d < (double)min || d > (double)max) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "%s must be an integer from %lld to %lld", key, (long long)min,
                 (long long)max);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

int jobfile_spec_from_json(const cJSON *obj, job_spec *out, diag_list *diags)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(obj)) {
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "a job must be a JSON object");
        return -1;
    }
    size_t errors = diags->errors;
    int64_t priority = JOBFILE_DEFAULT_PRIORITY;
    json_opt_string(obj, "id", &out->id, diags);
    json_opt_string(obj, "type", &out->type, diags);
    json_opt_string(obj, "config_file", &out->config_file, diags);
    json_opt_string(obj, "binary_path", &out->binary_path, diags);
    json_opt_integer(obj, "priority", 0, INT_MAX, &priority, diags);
    json_opt_integer(obj, "timeout_seconds", 0, INT64_MAX / 1000, &out->timeout_seconds, diags);
    out->priority = (int)priority;
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(obj, "depends_on");
    if (deps && !cJSON_IsNull(deps)) {
        const cJSON *item;
        if (!cJSON_IsArray(deps))
            diag_add(diags, DIAG_ERROR, NULL, 0, 0, "depends_on must be an array of job ids");
        cJSON_ArrayForEach(item, deps)
        {
            if (!cJSON_IsString(item))
                diag_add(diags, DIAG_ERROR, NULL, 0, 0, "depends_on entries must be strings");
            else if (!strvec_contains(&out->depends_on, item->valuestring))
                strvec_push(&out->depends_on, item->valuestring);
        }
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(obj, "args");
    if (args && !cJSON_IsNull(args)) {
        if (!cJSON_IsObject(args))
            diag_add(diags, DIAG_ERROR, NULL, 0, 0, "args must be a JSON object");
        else
            out->args_json = json_print(args);
    }
    if (!out->type)
        diag_add(diags, DIAG_ERROR, NULL, 0, 0, "missing required field 'type'");
    if (diags->errors > errors) {
        job_spec_free(out);
        return -1;
    }
    return 0;
}

static void add_string_or_null(cJSON *obj, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, key, value);
    else
        cJSON_AddNullToObject(obj, key);
}

/* A stored JSON text as an object, or null when absent or unreadable. */
static void add_parsed(cJSON *obj, const char *key, const char *json)
{
    cJSON *parsed = json ? cJSON_Parse(json) : NULL;
    if (parsed)
        cJSON_AddItemToObject(obj, key, parsed);
    else
        cJSON_AddNullToObject(obj, key);
}

static cJSON *strvec_to_json(const strvec *sv)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sv->v[i]));
    return arr;
}

cJSON *jobfile_spec_to_json(const job_spec *spec)
{
    cJSON *obj = cJSON_CreateObject();
    if (spec->id)
        cJSON_AddStringToObject(obj, "id", spec->id);
    add_string_or_null(obj, "type", spec->type);
    cJSON_AddNumberToObject(obj, "priority", spec->priority);
    if (spec->config_file)
        cJSON_AddStringToObject(obj, "config_file", spec->config_file);
    if (spec->binary_path)
        cJSON_AddStringToObject(obj, "binary_path", spec->binary_path);
    if (spec->depends_on.n > 0)
        cJSON_AddItemToObject(obj, "depends_on", strvec_to_json(&spec->depends_on));
    if (spec->timeout_seconds > 0)
        cJSON_AddNumberToObject(obj, "timeout_seconds", (double)spec->timeout_seconds);
    if (spec->args_json)
        add_parsed(obj, "args", spec->args_json);
    return obj;
}

static void add_time(cJSON *obj, const char *ms_key, const char *at_key, int64_t ms)
{
    cJSON_AddNumberToObject(obj, ms_key, (double)ms);
    if (ms > 0) {
        char buf[40];
        format_iso8601_ms(ms, buf, sizeof buf);
        cJSON_AddStringToObject(obj, at_key, buf);
    } else {
        cJSON_AddNullToObject(obj, at_key);
    }
}

cJSON *jobfile_record_to_json(const job_record *rec)
{
    cJSON *obj = cJSON_CreateObject();
    add_string_or_null(obj, "id", rec->id);
    cJSON_AddNumberToObject(obj, "seq", (double)rec->seq);
    add_string_or_null(obj, "type", rec->type);
    cJSON_AddNumberToObject(obj, "priority", rec->priority);
    cJSON_AddStringToObject(obj, "state", job_state_name(rec->state));
    add_string_or_null(obj, "config_file", rec->config_file);
    add_string_or_null(obj, "binary_path", rec->binary_path);
    add_parsed(obj, "args", rec->args_json);
    cJSON_AddItemToObject(obj, "depends_on", strvec_to_json(&rec->depends_on));
    cJSON_AddNumberToObject(obj, "timeout_seconds", (double)rec->timeout_seconds);
    cJSON_AddNumberToObject(obj, "attempts", rec->attempts);
    add_time(obj, "submitted_ms", "submitted_at", rec->submitted_ms);
    add_time(obj, "started_ms", "started_at", rec->started_ms);
    add_time(obj, "finished_ms", "finished_at", rec->finished_ms);
    cJSON_AddNumberToObject(obj, "not_before_ms", (double)rec->not_before_ms);
    add_string_or_null(obj, "worker", rec->worker);
    add_string_or_null(obj, "reason", rec->reason);
    add_parsed(obj, "result", rec->result_json);
    return obj;
}
