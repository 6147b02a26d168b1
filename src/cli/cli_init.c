/* cli_init.c - `jmake init [DIR]`: a discovery job through the daemons, then DIR's jmake.toml written, or completed keeping every line the user wrote. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "util.h"

/* A growing string. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

static void strbuf_append(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

static void strbuf_appendf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strbuf_appendf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_append(b, s);
    free(s);
}

/* The text (caller frees); b is empty afterwards. */
static char *strbuf_take(strbuf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    memset(b, 0, sizeof *b);
    return s;
}

static void strbuf_free(strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* One key init wants, as TOML text. */
typedef struct wanted_key {
    const char *table;      /* "project" */
    const char *key;        /* "name" */
    char *value;            /* TOML value text, owned */
} wanted_key;

typedef struct wanted {
    wanted_key *v;
    size_t n;
} wanted;

static void want(wanted *w, const char *table, const char *key, char *value)
{
    w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
    w->v[w->n++] = (wanted_key){table, key, value};
}

static void wanted_free(wanted *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].value);
    free(w->v);
}

/* A TOML basic string of s (caller frees). */
static char *toml_string(const char *s)
{
    strbuf b = {0};
    strbuf_append(&b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_appendf(&b, "\\%c", *p);
        else
            strbuf_appendf(&b, "%c", *p);
    }
    strbuf_append(&b, "\"");
    return strbuf_take(&b);
}

static char *toml_string_array(const cJSON *arr)
{
    strbuf b = {0};
    strbuf_append(&b, "[");
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach(item, arr)
    {
        if (!cJSON_IsString(item))
            continue;
        char *s = toml_string(item->valuestring);
        strbuf_appendf(&b, "%s%s", first ? "" : ", ", s);
        free(s);
        first = false;
    }
    strbuf_append(&b, "]");
    return strbuf_take(&b);
}

/* Whether a C++ source of the discovery uses what needs C++17 (the standard is
 * then written down, so an older default compiler does not fail on it). */
static bool needs_cxx17(const char *root, const cJSON *sources)
{
    static const char *const markers[] = {"<optional>", "<variant>", "<string_view>", "<filesystem>", "<any>",
                                          "if constexpr", "inline constexpr", "[[nodiscard]]", "[[maybe_unused]]",
                                          "std::clamp", NULL};
    const cJSON *item;
    cJSON_ArrayForEach(item, sources)
    {
        const char *rel = cJSON_GetStringValue(item);
        const char *ext = rel ? path_extension(rel) : "";
        if (strcmp(ext, ".c") == 0 || strcmp(ext, ".S") == 0 || strcmp(ext, ".s") == 0)
            continue;
        char *path = path_join(root, rel);
        size_t len = 0;
        char *text = read_file(path, &len);
        free(path);
        for (size_t i = 0; text && markers[i]; i++)
            if (strstr(text, markers[i])) {
                free(text);
                return true;
            }
        free(text);
    }
    return false;
}

static bool has_cxx_source(const cJSON *sources)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, sources)
    {
        const char *ext = path_extension(cJSON_GetStringValue(item) ? item->valuestring : "");
        if (strcmp(ext, ".c") != 0 && strcmp(ext, ".S") != 0 && strcmp(ext, ".s") != 0)
            return true;
    }
    return false;
}

/* The [compile] exclude value for discovery's suggested exclusions (caller
 * frees): an array over several lines, each entry with a comment saying why
 * it is left out; NULL when there are none. */
static char *exclude_value(const cJSON *exclude)
{
    if (cJSON_GetArraySize(exclude) == 0)
        return NULL;
    size_t width = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, exclude)
    {
        const char *glob = cJSON_GetStringValue(cJSON_GetObjectItem(e, "glob"));
        if (glob && strlen(glob) > width)
            width = strlen(glob);
    }
    strbuf b = {0};
    strbuf_append(&b, "[   # not library code: left out of the build\n");
    cJSON_ArrayForEach(e, exclude)
    {
        const char *glob = cJSON_GetStringValue(cJSON_GetObjectItem(e, "glob"));
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(e, "why"));
        if (!glob)
            continue;
        char *s = toml_string(glob);
        char *entry = xasprintf("%s,", s);
        strbuf_appendf(&b, "    %-*s  # %s\n", (int)width + 3, entry, reason ? reason : "left out");
        free(entry);
        free(s);
    }
    strbuf_append(&b, "]");
    return strbuf_take(&b);
}

/* How many of the discovered sources the written file builds: those under
 * the source folder that no suggested exclusion names. */
static int library_source_count(const cJSON *sources, const char *source, const cJSON *exclude)
{
    int n = 0;
    size_t ls = strcmp(source, ".") == 0 ? 0 : strlen(source);
    const cJSON *item;
    cJSON_ArrayForEach(item, sources)
    {
        const char *rel = cJSON_GetStringValue(item);
        if (!rel || (ls && (strncmp(rel, source, ls) != 0 || rel[ls] != '/')))
            continue;
        bool out = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, exclude)
        {
            const char *glob = cJSON_GetStringValue(cJSON_GetObjectItem(e, "glob"));
            size_t lg = glob ? strlen(glob) : 0;
            /* The globs are file paths, or "FOLDER/" and a double star. */
            if (glob && (strcmp(glob, rel) == 0 ||
                         (lg > 3 && strcmp(glob + lg - 3, "/**") == 0 && strncmp(rel, glob, lg - 2) == 0)))
                out = true;
        }
        n += !out;
    }
    return n;
}

/* ---- reading the user's file, line by line ---- */

typedef struct toml_lines {
    strvec lines;           /* without their newlines */
} toml_lines;

static void split_lines(const char *text, strvec *out)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        strvec_push_owned(out, xstrndup(p, n));
        p += n + (nl ? 1 : 0);
    }
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* "[name]" (not "[[name]]"): the table's name (caller frees), else NULL. */
static char *table_header(const char *line)
{
    const char *s = skip_space(line);
    if (s[0] != '[' || s[1] == '[')
        return NULL;
    const char *end = strchr(s, ']');
    if (!end)
        return NULL;
    char *name = xstrndup(s + 1, (size_t)(end - s - 1));
    char *t = name + strlen(name);
    while (t > name && isspace((unsigned char)t[-1]))
        *--t = '\0';
    char *h = name;
    while (isspace((unsigned char)*h))
        h++;
    char *out = xstrdup(h);
    free(name);
    return out;
}

/* A "[[name]]" header: the lines after it belong to no table init fills. */
static bool array_table_header(const char *line)
{
    const char *s = skip_space(line);
    return s[0] == '[' && s[1] == '[';
}

/* "key = ..." : the key (caller frees), else NULL. A dotted key "a.b" is returned whole. */
static char *line_key(const char *line)
{
    const char *s = skip_space(line);
    const char *k = s;
    while (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.')
        s++;
    if (s == k)
        return NULL;
    const char *e = skip_space(s);
    if (*e != '=')
        return NULL;
    return xstrndup(k, (size_t)(s - k));
}

static bool is_content(const char *line)
{
    const char *s = skip_space(line);
    return *s && *s != '#';
}

typedef struct table_span {
    char *name;             /* owned; "" for the root table */
    size_t header;          /* line of its header */
    size_t last_content;    /* last line with content (a key, or an array's closing line) */
    strvec keys;
} table_span;

typedef struct file_tables {
    table_span *t;
    size_t n;
} file_tables;

static table_span *find_table(file_tables *ft, const char *name)
{
    for (size_t i = 0; i < ft->n; i++)
        if (strcmp(ft->t[i].name, name) == 0)
            return &ft->t[i];
    return NULL;
}

static void scan_tables(const strvec *lines, file_tables *ft)
{
    ft->t = xcalloc(1, sizeof *ft->t);
    ft->t[0].name = xstrdup("");
    ft->n = 1;
    table_span *cur = &ft->t[0];
    bool in_array_table = false;
    for (size_t i = 0; i < lines->n; i++) {
        char *name = table_header(lines->v[i]);
        if (name) {
            ft->t = xrealloc(ft->t, (ft->n + 1) * sizeof *ft->t);
            cur = &ft->t[ft->n++];
            memset(cur, 0, sizeof *cur);
            cur->name = name;
            cur->header = cur->last_content = i;
            in_array_table = false;
            continue;
        }
        if (array_table_header(lines->v[i])) {
            in_array_table = true;
            continue;
        }
        if (in_array_table || !is_content(lines->v[i]))
            continue;
        cur->last_content = i;
        char *key = line_key(lines->v[i]);
        if (!key)
            continue;
        /* "paths.source = ..." in the root table is the key source of [paths]. */
        char *dot = cur->name[0] == '\0' ? strchr(key, '.') : NULL;
        if (dot) {
            *dot = '\0';
            table_span *t = find_table(ft, key);
            if (!t) {
                ft->t = xrealloc(ft->t, (ft->n + 1) * sizeof *ft->t);
                cur = &ft->t[0]; /* the array moved */
                t = &ft->t[ft->n++];
                memset(t, 0, sizeof *t);
                t->name = xstrdup(key);
                t->header = t->last_content = (size_t)-1; /* only dotted keys: new keys go in a new [table] */
            }
            strvec_push(&t->keys, dot + 1);
            cur = &ft->t[0];
        } else {
            strvec_push(&cur->keys, key);
        }
        free(key);
    }
}

static void tables_free(file_tables *ft)
{
    for (size_t i = 0; i < ft->n; i++) {
        free(ft->t[i].name);
        strvec_free(&ft->t[i].keys);
    }
    free(ft->t);
}

/* The string value of `key = "..."` in table, from the lines (caller frees), or NULL. */
static char *existing_string(const strvec *lines, const char *table, const char *key)
{
    char *current = xstrdup("");
    char *found = NULL;
    for (size_t i = 0; i < lines->n && !found; i++) {
        char *name = table_header(lines->v[i]);
        if (name) {
            free(current);
            current = name;
            continue;
        }
        char *k = line_key(lines->v[i]);
        if (k && strcmp(k, key) == 0 && strcmp(current, table) == 0) {
            const char *q = strchr(lines->v[i], '"');
            const char *e = q ? strchr(q + 1, '"') : NULL;
            if (e)
                found = xstrndup(q + 1, (size_t)(e - q - 1));
        }
        free(k);
    }
    free(current);
    return found;
}

/* The file with every wanted key its table lacks, added after the table's
 * last line or in a new table at the end; every line of lines is kept, in
 * order. Caller frees. *added counts the keys added. */
static char *complete_toml(const strvec *lines, const wanted *w, size_t *added)
{
    file_tables ft = {0};
    scan_tables(lines, &ft);
    /* after[i]: text to insert after line i; tail: new tables at the end. */
    strbuf *after = xcalloc(lines->n + 1, sizeof *after);
    strbuf tail = {0};
    const char *tail_table = NULL;
    *added = 0;
    for (size_t i = 0; i < w->n; i++) {
        table_span *t = find_table(&ft, w->v[i].table);
        if (t && strvec_contains(&t->keys, w->v[i].key))
            continue;
        (*added)++;
        if (t && t->header != (size_t)-1) {
            strbuf_appendf(&after[t->last_content], "%s = %s\n", w->v[i].key, w->v[i].value);
            continue;
        }
        if (!tail_table || strcmp(tail_table, w->v[i].table) != 0) {
            strbuf_appendf(&tail, "\n[%s]\n", w->v[i].table);
            tail_table = w->v[i].table;
        }
        strbuf_appendf(&tail, "%s = %s\n", w->v[i].key, w->v[i].value);
    }
    strbuf out = {0};
    for (size_t i = 0; i < lines->n; i++) {
        strbuf_appendf(&out, "%s\n", lines->v[i]);
        if (after[i].len)
            strbuf_append(&out, after[i].data);
        strbuf_free(&after[i]);
    }
    free(after);
    if (tail.len)
        strbuf_append(&out, tail.data);
    strbuf_free(&tail);
    tables_free(&ft);
    return strbuf_take(&out);
}

/* ---- the command ---- */

static cJSON *run_discovery(cli *c, const char *dir, int *code)
{
    jmake_client *client = cli_connect(c);
    if (!client) {
        *code = EXIT_UNREACHABLE;
        return NULL;
    }
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "path", dir);
    char *args_text = cJSON_PrintUnformatted(args);
    cJSON_Delete(args);
    jmake_job_options o = {.type = "discovery", .priority = 1, .args_json = args_text};
    char *id = NULL;
    int rc = jmake_submit_job(client, &o, &id);
    free(args_text);
    cJSON *result = NULL;
    jmake_job_state state = JMAKE_JOB_FAILED;
    char *text = NULL;
    if (rc == JMAKE_OK)
        rc = jmake_wait_for_job(client, id, 120000, &state);
    if (rc == JMAKE_OK)
        rc = jmake_get_job_results(client, id, &text);
    if (rc != JMAKE_OK) {
        *code = cli_fail(client, rc);
    } else {
        cJSON *rec = cJSON_Parse(text);
        const cJSON *job = cJSON_GetObjectItem(rec, "job") ? cJSON_GetObjectItem(rec, "job") : rec;
        if (state != JMAKE_JOB_COMPLETED) {
            const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(job, "reason"));
            fprintf(stderr, "jmake: discovery of %s failed: %s\n", dir, reason ? reason : "see the job log");
            *code = EXIT_JOB_FAILED;
        } else {
            result = cJSON_DetachItemFromObject((cJSON *)job, "result");
            *code = EXIT_OK;
        }
        cJSON_Delete(rec);
    }
    jmake_free(text);
    jmake_free(id);
    jmake_disconnect(client);
    return result;
}

int cli_init(cli *c, int argc, char **argv)
{
    const char *dir_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' && !dir_arg)
            dir_arg = argv[i];
        else
            return cli_usage("init");
    }
    char *dir = path_absolute(NULL, dir_arg ? dir_arg : ".");
    if (!dir_exists(dir)) {
        fprintf(stderr, "jmake: %s: no such folder\n", dir);
        free(dir);
        return EXIT_USAGE;
    }
    int code = EXIT_OK;
    cJSON *found = run_discovery(c, dir, &code);
    if (!found) {
        free(dir);
        return code;
    }
    const cJSON *sources = cJSON_GetObjectItem(found, "sources");
    const cJSON *sugg = cJSON_GetObjectItem(found, "suggested");
    if (cJSON_GetArraySize(sources) == 0) {
        fprintf(stderr, "jmake: no C or C++ source under %s: nothing to build\n", dir);
        cJSON_Delete(found);
        free(dir);
        return EXIT_JOB_FAILED;
    }
    char *config = path_join(dir, "jmake.toml");
    size_t len = 0;
    char *old = file_exists(config) ? read_file(config, &len) : NULL;
    strvec lines = {0};
    if (old)
        split_lines(old, &lines);

    char *name = old ? existing_string(&lines, "project", "name") : NULL;
    const char *suggested_name = cJSON_GetStringValue(cJSON_GetObjectItem(sugg, "name"));
    if (!name)
        name = xstrdup(suggested_name ? suggested_name : path_basename(dir));
    wanted w = {0};
    want(&w, "project", "name", toml_string(name));
    const char *source = cJSON_GetStringValue(cJSON_GetObjectItem(sugg, "source"));
    want(&w, "paths", "source", toml_string(source ? source : "."));
    const cJSON *inc = cJSON_GetObjectItem(sugg, "include");
    if (cJSON_GetArraySize(inc) > 0)
        want(&w, "paths", "include", toml_string_array(inc));
    if (has_cxx_source(sources) && needs_cxx17(dir, sources)) {
        cJSON *flags = cJSON_CreateArray();
        cJSON_AddItemToArray(flags, cJSON_CreateString("-std=c++17"));
        want(&w, "compile", "flags", toml_string_array(flags));
        cJSON_Delete(flags);
    }
    const cJSON *exclude = cJSON_GetObjectItem(sugg, "exclude");
    char *exclude_text = exclude_value(exclude);
    if (exclude_text)
        want(&w, "compile", "exclude", exclude_text);
    /* A define a source refuses to compile without (spdlog: SPDLOG_COMPILED_LIB). */
    const cJSON *def;
    cJSON_ArrayForEach(def, cJSON_GetObjectItem(sugg, "defines"))
    {
        if (cJSON_IsString(def))
            want(&w, "compile.defines", def->valuestring, xstrdup("true"));
    }
    want(&w, "binary", "library_type", toml_string("shared"));
    char *libname = xasprintf("lib%s.so", name);
    want(&w, "binary", "library_name", toml_string(libname));
    free(libname);

    size_t added = 0;
    char *text;
    if (old) {
        text = complete_toml(&lines, &w, &added);
    } else {
        strvec none = {0};
        strvec_push(&none, "# jmake.toml - written by `jmake init` from a discovery of this folder.");
        text = complete_toml(&none, &w, &added);
        strvec_free(&none);
    }
    int rc = EXIT_OK;
    if (old && added == 0) {
        printf("%s is complete: nothing to add\n", config);
    } else if (write_file_atomic(config, text, strlen(text), 0644) != 0) {
        fprintf(stderr, "jmake: cannot write %s\n", config);
        rc = EXIT_USAGE;
    } else if (old) {
        printf("completed %s: %zu key%s added\n", config, added, added == 1 ? "" : "s");
    } else {
        int n = library_source_count(sources, source ? source : ".", exclude);
        int left = cJSON_GetArraySize(exclude);
        if (left)
            printf("wrote %s (%d %s; %d left out, see [compile] exclude)\n", config, n,
                   cli_plural(n, "source", "sources"), left);
        else
            printf("wrote %s (%d %s)\n", config, n, cli_plural(n, "source", "sources"));
    }
    /* What only the project's own configure step makes: said, not guessed. */
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(sugg, "generated_headers"))
    {
        fprintf(stderr,
                "jmake: note: %s is made by the project's configure step from %s: run that step (cmake, "
                "./configure) or write the header before building\n",
                cJSON_GetStringValue(cJSON_GetObjectItem(g, "header")),
                cJSON_GetStringValue(cJSON_GetObjectItem(g, "template")));
    }
    free(text);
    free(name);
    wanted_free(&w);
    strvec_free(&lines);
    free(old);
    free(config);
    cJSON_Delete(found);
    free(dir);
    return rc;
}
