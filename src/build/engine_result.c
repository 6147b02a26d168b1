/* engine_result.c - the result JSON of a build (artifact, counts, symbols, timings, diagnostics, cache) and the quiet answer kept for watched projects. */
#include <stdlib.h>
#include <string.h>

#include "elfsyms.h"
#include "engine_internal.h"

static const char *kind_name(project_output o)
{
    return o == PROJECT_STATIC ? "static" : o == PROJECT_EXECUTABLE ? "executable" : "shared";
}

/* The symbol list is kept in the record with the artifact's stat: a build
   whose artifact kept its (size, mtime) - no link ran, nobody replaced it -
   answers from there, also after a daemon restart, instead of opening the ELF
   file. Same trust in the stat as the link check itself. */
static void artifact_symbols(build *b, cJSON *arr)
{
    br_symbols *sy = &b->rec->symbols;
    struct stat st;
    if (stat(b->P.artifact_path, &st) < 0)
        return;
    int64_t sz, mt;
    eng_stat_ns(&st, &sz, &mt);
    if (!sy->valid || sy->size != sz || sy->mtime_ns != mt) {
        strvec_free(&sy->names);
        sy->valid = elfsyms_read(b->P.artifact_path, b->P.output == PROJECT_SHARED || b->llvm, &sy->names) == 0;
        sy->size = sz;
        sy->mtime_ns = mt;
        b->rec->dirty = true;
    }
    for (size_t i = 0; i < sy->names.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sy->names.v[i]));
}

cJSON *eng_make_result(build *b)
{
    cJSON *r = cJSON_CreateObject();
    /* A failed build made no artifact: whatever library is on disk is an
       earlier build's, so the result names none (and lists no symbols). */
    bool made = !b->failed && !b->link_failed;
    if (made) {
        cJSON *a = cJSON_AddObjectToObject(r, "artifact");
        cJSON_AddStringToObject(a, "path", b->P.artifact_path);
        cJSON_AddStringToObject(a, "kind", b->llvm ? "shared" : kind_name(b->P.output));
        struct stat st;
        cJSON_AddNumberToObject(a, "size", stat(b->P.artifact_path, &st) == 0 ? (double)st.st_size : 0);
    } else {
        cJSON_AddNullToObject(r, "artifact");
    }
    cJSON *f = cJSON_AddObjectToObject(r, "files");
    cJSON_AddNumberToObject(f, "total", (double)b->nunits);
    cJSON_AddNumberToObject(f, "compiled", (double)b->compiled);
    cJSON_AddNumberToObject(f, "from_cache", (double)b->from_cache);
    cJSON_AddNumberToObject(f, "up_to_date", (double)b->up_to_date);
    cJSON_AddNumberToObject(f, "failed", (double)b->failed);
    cJSON *symbols = cJSON_AddArrayToObject(r, "symbols");
    if (made)
        artifact_symbols(b, symbols);
    cJSON *t = cJSON_AddObjectToObject(r, "timings_ms");
    cJSON_AddNumberToObject(t, "scan", (double)b->scan_ms);
    cJSON_AddNumberToObject(t, "compile", (double)b->compile_ms);
    cJSON_AddNumberToObject(t, "link", (double)b->link_ms);
    cJSON_AddNumberToObject(t, "total", (double)(clock_monotonic_ms() - b->t_start));
    cJSON *d = cJSON_AddObjectToObject(r, "diagnostics");
    cJSON_AddNumberToObject(d, "errors", (double)b->errors);
    cJSON_AddNumberToObject(d, "warnings", (double)b->warnings);
    cJSON_AddItemToObject(d, "items", b->diag_items);
    b->diag_items = NULL;
    cJSON *c = cJSON_AddObjectToObject(r, "cache");
    cJSON_AddNumberToObject(c, "hits", (double)b->hits);
    cJSON_AddNumberToObject(c, "misses", (double)b->misses);
    return r;
}

/* The answer to a build with nothing changed, kept for watched projects. */
cJSON *eng_quiet_copy(const cJSON *result)
{
    cJSON *q = cJSON_Duplicate(result, 1);
    cJSON *f = cJSON_GetObjectItem(q, "files");
    double total = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "total"));
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "compiled"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "from_cache"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "failed"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(f, "up_to_date"), total);
    cJSON *d = cJSON_GetObjectItem(q, "diagnostics");
    cJSON_SetNumberValue(cJSON_GetObjectItem(d, "errors"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(d, "warnings"), 0);
    cJSON_ReplaceItemInObject(d, "items", cJSON_CreateArray());
    cJSON *c = cJSON_GetObjectItem(q, "cache");
    cJSON_SetNumberValue(cJSON_GetObjectItem(c, "hits"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(c, "misses"), 0);
    cJSON *t = cJSON_GetObjectItem(q, "timings_ms");
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "scan"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "compile"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(t, "link"), 0);
    return q;
}

bool eng_stat_pair(const char *path, int64_t *size, int64_t *mtime)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        *size = *mtime = -1;
        return false;
    }
    eng_stat_ns(&st, size, mtime);
    return true;
}
