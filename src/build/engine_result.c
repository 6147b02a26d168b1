/* engine_result.c - the result JSON of a build (artifact, counts, symbols, timings, diagnostics, cache, where compiles ran) and the quiet answer kept for watched projects. */
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

/* With a runner that sends compiles elsewhere (distcc): where this build's
   compiles ran, and the hosts that failed, also named in the job log. */
static void add_placement(build *b, cJSON *r)
{
    runner_placement pl = {0};
    if (!runner_batch_placement(b->batch, &pl))
        return;
    cJSON *d = cJSON_AddObjectToObject(r, "distributed");
    cJSON_AddNumberToObject(d, "remote", (double)pl.remote);
    cJSON_AddNumberToObject(d, "local", (double)pl.local);
    cJSON_AddNumberToObject(d, "fallback", (double)pl.fallback);
    cJSON *hosts = cJSON_AddArrayToObject(d, "failed_hosts");
    bytebuf names = {0};
    for (size_t i = 0; i < pl.failed_hosts.n; i++) {
        cJSON_AddItemToArray(hosts, cJSON_CreateString(pl.failed_hosts.v[i]));
        if (i)
            bytebuf_put(&names, ", ", 2);
        bytebuf_put(&names, pl.failed_hosts.v[i], strlen(pl.failed_hosts.v[i]));
    }
    char *line = xasprintf("distcc: %zu compiled remotely, %zu here, %zu here after no host answered%s%.*s\n",
                           pl.remote, pl.local, pl.fallback, names.len ? "; failing hosts: " : "",
                           (int)names.len, names.len ? (const char *)names.p : "");
    eng_log_text(b, line, strlen(line));
    free(line);
    free(names.p);
    strvec_free(&pl.failed_hosts);
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
    cJSON_AddNumberToObject(f, "signalled", (double)b->signalled);
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
    cJSON_AddNumberToObject(c, "stored_bytes", (double)(b->stored_bytes > 0 ? b->stored_bytes : 0));
    eng_explain_result(b, r);
    add_placement(b, r);
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
    cJSON_SetNumberValue(cJSON_GetObjectItem(c, "stored_bytes"), 0);
    cJSON_ReplaceItemInObject(q, "explain", cJSON_CreateArray());   /* nothing was compiled */
    cJSON_SetNumberValue(cJSON_GetObjectItem(q, "explain_omitted"), 0);
    cJSON *dist = cJSON_GetObjectItem(q, "distributed");
    if (dist) {   /* nothing ran */
        cJSON_SetNumberValue(cJSON_GetObjectItem(dist, "remote"), 0);
        cJSON_SetNumberValue(cJSON_GetObjectItem(dist, "local"), 0);
        cJSON_SetNumberValue(cJSON_GetObjectItem(dist, "fallback"), 0);
        cJSON_ReplaceItemInObject(dist, "failed_hosts", cJSON_CreateArray());
    }
    /* The quiet answer compiles nothing and gets a timeline of its own. */
    cJSON_DeleteItemFromObject(q, "trace");
    cJSON_ReplaceItemInObject(q, "slowest", cJSON_CreateArray());
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
