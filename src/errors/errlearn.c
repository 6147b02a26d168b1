/* errlearn.c - configuration snapshots of projects, their differences as changes, and the part of a difference that fixed a given error. */
#include "errlearn.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

static cJSON *strings(const strvec *sv)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

cJSON *errlearn_snapshot(const project_config *P)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "config", P->config_path);
    cJSON_AddStringToObject(s, "root", P->root);
    cJSON_AddItemToObject(s, "include_dirs", strings(&P->include_dirs));
    cJSON_AddItemToObject(s, "lib_dirs", strings(&P->lib_dirs));
    cJSON_AddItemToObject(s, "libraries", strings(&P->libraries));
    cJSON *d = cJSON_AddArrayToObject(s, "defines");
    for (size_t i = 0; i < P->define_count; i++) {
        char *t = P->defines[i].value ? xasprintf("%s=%s", P->defines[i].name, P->defines[i].value)
                                      : xstrdup(P->defines[i].name);
        cJSON_AddItemToArray(d, cJSON_CreateString(t));
        free(t);
    }
    /* Every flag list together: a flag moved from one list to another is no fix. */
    strvec all = {0};
    strvec_extend(&all, &P->flags);
    strvec_extend(&all, &P->cflags);
    strvec_extend(&all, &P->cxxflags);
    for (size_t i = 0; i < P->override_count; i++)
        strvec_extend(&all, &P->overrides[i].flags);
    cJSON_AddItemToObject(s, "flags", strings(&all));
    strvec_free(&all);
    cJSON_AddItemToObject(s, "link_flags", strings(&P->link_flags));
    return s;
}

cJSON *errlearn_snapshot_file(const char *config_path)
{
    project_config P;
    diag_list diags = {0};
    cJSON *s = NULL;
    if (project_load(config_path, &P, &diags) == 0) {
        s = errlearn_snapshot(&P);
        project_free(&P);
    }
    diag_free(&diags);
    return s;
}

static bool array_has(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

static void add_change(cJSON *changes, const char *kind, const char *value)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "kind", kind);
    cJSON_AddStringToObject(c, "value", value);
    cJSON_AddItemToArray(changes, c);
}

/* Items of after that before lacks become changes of kind added; of before that after lacks, of kind removed (when given). */
static void diff_list(cJSON *changes, const cJSON *before, const cJSON *after, const char *key, const char *added,
                      const char *removed)
{
    const cJSON *b = cJSON_GetObjectItem(before, key), *a = cJSON_GetObjectItem(after, key), *e;
    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e) && !array_has(b, e->valuestring))
            add_change(changes, added, e->valuestring);
    }
    if (!removed)
        return;
    cJSON_ArrayForEach(e, b)
    {
        if (cJSON_IsString(e) && !array_has(a, e->valuestring))
            add_change(changes, removed, e->valuestring);
    }
}

static const char *last_std(const cJSON *flags)
{
    const char *std = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, flags)
    {
        if (cJSON_IsString(e) && !strncmp(e->valuestring, "-std=", 5))
            std = e->valuestring + 5;
    }
    return std;
}

cJSON *errlearn_diff(const cJSON *before, const cJSON *after)
{
    cJSON *changes = cJSON_CreateArray();
    diff_list(changes, before, after, "include_dirs", "include_dir", NULL);
    diff_list(changes, before, after, "lib_dirs", "lib_dir", NULL);
    diff_list(changes, before, after, "libraries", "library", NULL);
    diff_list(changes, before, after, "defines", "define", NULL);
    /* -std= changes are one "std" change; the other flags one change each. */
    const char *sb = last_std(cJSON_GetObjectItem(before, "flags"));
    const char *sa = last_std(cJSON_GetObjectItem(after, "flags"));
    if (sa && (!sb || strcmp(sa, sb) != 0))
        add_change(changes, "std", sa);
    cJSON *flags = cJSON_CreateArray();
    diff_list(flags, before, after, "flags", "flag", "remove_flag");
    diff_list(flags, before, after, "link_flags", "flag", "remove_flag");
    cJSON *c;
    cJSON_ArrayForEach(c, flags)
    {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(c, "value"));
        if (strncmp(v, "-std=", 5) != 0)
            add_change(changes, cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind")), v);
    }
    cJSON_Delete(flags);
    return changes;
}

static const char *kind_of(const cJSON *c) { return cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind")); }
static const char *value_of(const cJSON *c) { return cJSON_GetStringValue(cJSON_GetObjectItem(c, "value")); }

/* The change kinds that can fix each pattern; NULL-terminated. */
static const char *const *kinds_for(err_pattern p)
{
    static const char *const header[] = {"include_dir", "define", "flag", "std", NULL};
    static const char *const link[] = {"library", "lib_dir", "flag", "remove_flag", NULL};
    static const char *const pic[] = {"flag", "remove_flag", NULL};
    static const char *const std[] = {"std", "flag", "remove_flag", "define", NULL};
    static const char *const ident[] = {"define", "include_dir", "std", "flag", NULL};
    switch (p) {
    case ERR_MISSING_HEADER:
        return header;
    case ERR_UNDEFINED_REFERENCE:
    case ERR_MISSING_LIBRARY:
    case ERR_SYMBOL_VERSION:
        return link;
    case ERR_FPIC_RELOCATION:
        return pic;
    case ERR_LANGUAGE_STANDARD:
        return std;
    case ERR_UNDECLARED_IDENTIFIER:
    case ERR_PREPROCESSOR_ERROR:
    case ERR_UNKNOWN_TYPE:
    case ERR_IMPLICIT_DECLARATION:
        return ident;
    default:
        return NULL;
    }
}

static bool kind_in(const char *kind, const char *const *kinds)
{
    for (size_t i = 0; kinds && kinds[i]; i++)
        if (strcmp(kinds[i], kind) == 0)
            return true;
    return false;
}

cJSON *errlearn_relevant(const cJSON *changes, err_pattern pattern, const char *subject)
{
    const char *const *kinds = kinds_for(pattern);
    cJSON *out = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach(c, changes)
    {
        if (kind_in(kind_of(c), kinds))
            cJSON_AddItemToArray(out, cJSON_Duplicate(c, 1));
    }
    if (cJSON_GetArraySize(out) == 0) {
        cJSON_Delete(out);
        return cJSON_Duplicate(changes, 1);
    }
    if (pattern == ERR_MISSING_HEADER && subject) {
        /* Of the include folders added, the ones that hold the header; the
           other kinds go only when no folder does. */
        cJSON *holding = cJSON_CreateArray();
        cJSON_ArrayForEach(c, out)
        {
            if (strcmp(kind_of(c), "include_dir") != 0)
                continue;
            char *p = path_join(value_of(c), subject);
            if (file_exists(p))
                cJSON_AddItemToArray(holding, cJSON_Duplicate(c, 1));
            free(p);
        }
        if (cJSON_GetArraySize(holding) > 0) {
            cJSON_Delete(out);
            return holding;
        }
        cJSON_Delete(holding);
    }
    return out;
}

static int cmp_change(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int k = strcmp(kind_of(x), kind_of(y));
    return k ? k : strcmp(value_of(x), value_of(y));
}

char *errlearn_changes_text(const cJSON *changes)
{
    size_t n = (size_t)cJSON_GetArraySize(changes);
    const cJSON **v = xcalloc(n + 1, sizeof *v);
    size_t i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, changes)
    {
        if (kind_of(c) && value_of(c))
            v[i++] = c;
    }
    qsort(v, i, sizeof *v, cmp_change);
    cJSON *sorted = cJSON_CreateArray();
    for (size_t j = 0; j < i; j++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", kind_of(v[j]));
        cJSON_AddStringToObject(o, "value", value_of(v[j]));
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(v[j], "file"));
        if (file)
            cJSON_AddStringToObject(o, "file", file);
        cJSON_AddItemToArray(sorted, o);
    }
    free(v);
    char *text = cJSON_PrintUnformatted(sorted);
    cJSON_Delete(sorted);
    return text;
}

char *errlearn_describe(const cJSON *changes)
{
    bytebuf b = {0};
    const cJSON *c;
    bool first = true;
    cJSON_ArrayForEach(c, changes)
    {
        const char *k = kind_of(c), *v = value_of(c);
        if (!k || !v)
            continue;
        char *t;
        if (!strcmp(k, "include_dir"))
            t = xasprintf("add include folder %s to [compile] include_dirs", v);
        else if (!strcmp(k, "lib_dir"))
            t = xasprintf("add library folder %s to [compile] lib_dirs", v);
        else if (!strcmp(k, "library"))
            t = xasprintf("add \"%s\" to [compile] libraries", v);
        else if (!strcmp(k, "define"))
            t = xasprintf("define %s in [compile.defines]", v);
        else if (!strcmp(k, "flag"))
            t = xasprintf("add %s to [compile] flags", v);
        else if (!strcmp(k, "remove_flag"))
            t = xasprintf("remove %s from the flags", v);
        else if (!strcmp(k, "std"))
            t = xasprintf("compile with -std=%s (in [compile] flags, replacing any other -std=)", v);
        else if (!strcmp(k, "include_header")) {
            const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(c, "file"));
            t = xasprintf("#include %s%s%s", v, file ? " in " : "", file ? file : "");
        } else
            t = xasprintf("%s", v);
        if (!first)
            bytebuf_put(&b, "; ", 2);
        bytebuf_put(&b, t, strlen(t));
        free(t);
        first = false;
    }
    bytebuf_put(&b, "", 1);
    return (char *)b.p;
}

bool errlearn_already_applied(const cJSON *changes, const cJSON *snapshot)
{
    if (!snapshot || cJSON_GetArraySize(changes) == 0)
        return false;
    const cJSON *c;
    cJSON_ArrayForEach(c, changes)
    {
        const char *k = kind_of(c), *v = value_of(c);
        const char *key = !strcmp(k, "include_dir") ? "include_dirs"
                          : !strcmp(k, "lib_dir")   ? "lib_dirs"
                          : !strcmp(k, "library")   ? "libraries"
                          : !strcmp(k, "define")    ? "defines"
                          : !strcmp(k, "flag")      ? "flags"
                                                    : NULL;
        if (!strcmp(k, "std")) {
            const char *cur = last_std(cJSON_GetObjectItem(snapshot, "flags"));
            if (!cur || strcmp(cur, v) != 0)
                return false;
            continue;
        }
        if (!strcmp(k, "remove_flag")) {
            if (array_has(cJSON_GetObjectItem(snapshot, "flags"), v) ||
                array_has(cJSON_GetObjectItem(snapshot, "link_flags"), v))
                return false;
            continue;
        }
        if (!key)
            return false;
        if (!array_has(cJSON_GetObjectItem(snapshot, key), v) &&
            !(!strcmp(k, "flag") && array_has(cJSON_GetObjectItem(snapshot, "link_flags"), v)))
            return false;
    }
    return true;
}
