/* discovery_daemon.c - the discovery daemon: runs discovery jobs (project scans), and keeps each watched project's index of translation units current from the watcher's changes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "log.h"
#include "project.h"
#include "srcscan.h"
#include "util.h"
#include "worker.h"

/* One watched project's translation units, seeded by one scan and then
 * updated path by path: a new source joins, a deleted one leaves, no rescan. */
typedef struct file_index {
    project_config project;
    bool loaded;                /* project_load succeeded */
    hashmap units;              /* relative path -> (void *)1 */
} file_index;

typedef struct discovery_state {
    hashmap indexes;            /* config -> file_index* (owned) */
} discovery_state;

static void *discovery_start(const jm_config *cfg, const char *home)
{
    (void)cfg;
    (void)home;
    discovery_state *s = xcalloc(1, sizeof *s);
    hashmap_init(&s->indexes);
    return s;
}

static void index_free(file_index *ix)
{
    if (ix->loaded)
        project_free(&ix->project);
    hashmap_free(&ix->units);
    free(ix);
}

static void discovery_stop(void *state)
{
    discovery_state *s = state;
    if (!s)
        return;
    size_t pos = 0;
    const char *key;
    void *value;
    while (hashmap_next(&s->indexes, &pos, &key, &value))
        index_free(value);
    hashmap_free(&s->indexes);
    free(s);
}

/* The one full scan of a project, the first time its changes come. */
static file_index *index_seed(const char *config)
{
    file_index *ix = xcalloc(1, sizeof *ix);
    hashmap_init(&ix->units);
    diag_list diags = {0};
    ix->loaded = project_load(config, &ix->project, &diags) == 0;
    diag_free(&diags);
    if (!ix->loaded)
        return ix;
    strvec rels = {0};
    srcscan_list(&ix->project, &rels);
    for (size_t i = 0; i < rels.n; i++)
        hashmap_put(&ix->units, rels.v[i], (void *)1);
    strvec_free(&rels);
    return ix;
}

static bool any_glob(const strvec *globs, const char *rel)
{
    for (size_t i = 0; i < globs->n; i++)
        if (glob_match(globs->v[i], rel))
            return true;
    return false;
}

/* Whether the file at rel (relative to the root) is one of the project's
 * translation units by the rules of srcscan_list: its extension, then
 * [compile] sources or the source folder, minus [compile] exclude. */
static bool is_unit(const project_config *P, const char *path, const char *rel)
{
    if (srcscan_language(path) == SRC_NONE)
        return false;
    if (P->exclude.n && any_glob(&P->exclude, rel))
        return false;
    if (P->sources.n)
        return any_glob(&P->sources, rel);
    size_t n = strlen(P->source_dir);
    return strncmp(path, P->source_dir, n) == 0 && path[n] == '/';
}

static cJSON *string_array(const strvec *v)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < v->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(v->v[i]));
    return arr;
}

/* {"op": "index_changes", "config": PATH, "paths": [...]}: the paths the
 * watcher reported. Answered with "index_changed": what joined and left. */
static void msg_index_changes(worker_context *ctx, const cJSON *msg)
{
    discovery_state *s = ctx->state;
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config"));
    if (!config)
        return;
    file_index *ix = hashmap_get(&s->indexes, config);
    bool seeded = false;
    if (!ix) {
        ix = index_seed(config);
        hashmap_put(&s->indexes, config, ix);
        seeded = true;
    }
    if (!ix->loaded)
        return;
    const char *root = ix->project.root;
    size_t rootlen = strlen(root);
    strvec added = {0}, removed = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(msg, "paths"))
    {
        const char *path = cJSON_GetStringValue(item);
        if (!path || strncmp(path, root, rootlen) != 0 || path[rootlen] != '/')
            continue;
        const char *rel = path + rootlen + 1;
        struct stat st;
        bool exists = stat(path, &st) == 0;
        if (exists && S_ISREG(st.st_mode)) {
            if (is_unit(&ix->project, path, rel) && !hashmap_get(&ix->units, rel)) {
                hashmap_put(&ix->units, rel, (void *)1);
                strvec_push(&added, rel);
            }
        } else if (!exists) {
            /* A file, or a folder with everything below it. */
            if (hashmap_remove(&ix->units, rel))
                strvec_push(&removed, rel);
            size_t n = strlen(rel);
            strvec gone = {0};
            size_t pos = 0;
            const char *key;
            void *value;
            while (hashmap_next(&ix->units, &pos, &key, &value))
                if (strncmp(key, rel, n) == 0 && key[n] == '/')
                    strvec_push(&gone, key);
            for (size_t i = 0; i < gone.n; i++) {
                hashmap_remove(&ix->units, gone.v[i]);
                strvec_push(&removed, gone.v[i]);
            }
            strvec_free(&gone);
        }
    }
    if (added.n || removed.n || seeded) {
        log_info("index of %s: %zu source(s) joined, %zu left, %zu in all%s", config, added.n, removed.n,
                 ix->units.count, seeded ? " (first scan)" : "");
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "op", "index_changed");
        cJSON_AddStringToObject(m, "config", config);
        cJSON_AddItemToObject(m, "added", string_array(&added));
        cJSON_AddItemToObject(m, "removed", string_array(&removed));
        cJSON_AddNumberToObject(m, "sources", (double)ix->units.count);
        ctx->send(ctx, m);
    }
    strvec_free(&added);
    strvec_free(&removed);
}

/* {"op": "index_forget", "config": PATH}: the project left the watch list. */
static void msg_index_forget(worker_context *ctx, const cJSON *msg)
{
    discovery_state *s = ctx->state;
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "config"));
    file_index *ix = config ? hashmap_remove(&s->indexes, config) : NULL;
    if (ix)
        index_free(ix);
}

static const worker_message discovery_messages[] = {
    {"index_changes", msg_index_changes},
    {"index_forget", msg_index_forget},
    {NULL, NULL},
};

const worker_daemon worker_discovery_daemon = {
    .kind = DAEMON_DISCOVERY,
    .handlers = {[JOB_TYPE_DISCOVERY] = worker_run_discovery},
    .start = discovery_start,
    .stop = discovery_stop,
    .messages = discovery_messages,
};
