/* engine_explain.c - why each unit was compiled or restored (read from the build record), and what the nearest cache entry of a missed unit differs in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* Only units that were not up to date get here: an up-to-date unit costs
   nothing, so a no-op build stays as cheap as without explanations. */

static const char *const reason_words[] = {
    [WHY_FORCED] = "forced",
    [WHY_NO_RECORD] = "no-record",
    [WHY_COMPILER_CHANGED] = "compiler-changed",
    [WHY_FLAGS_CHANGED] = "flags-changed",
    [WHY_COMMAND_CHANGED] = "command-changed",
    [WHY_SOURCE_CHANGED] = "source-changed",
    [WHY_HEADER_CHANGED] = "header-changed",
    [WHY_HEADER_REMOVED] = "header-removed",
    [WHY_OBJECT_MISSING] = "object-missing",
    [WHY_OBJECT_CHANGED] = "object-changed",
    [WHY_UNKNOWN] = "unknown",
};

static const eng_tool_info *tool_of(const build *b, const unit *u)
{
    return u->lang == SRC_CXX ? b->cxx_info : b->cc_info;
}

/* The unit's command as the record keeps it: the driver as named, then every
   flag; its own paths (source, object, depfile) left out, so every unit with
   the same flags shares one entry. Caller frees out. */
static void unit_flags(const build *b, const unit *u, strvec *out)
{
    const char *driver = eng_unit_compiler(b, u);
    strvec_push(out, driver ? driver : "");
    strvec_extend(out, &b->common[u->lang]);
    strvec_extend(out, &u->extra);
}

static XXH128_hash_t unit_command_id(const build *b, const unit *u)
{
    const eng_tool_info *t = tool_of(b, u);
    strvec args = {0};
    unit_flags(b, u, &args);
    XXH128_hash_t id = buildrecord_command_id(t ? t->real : "", t ? t->size : 0, t ? t->mtime_ns : 0, args.v, args.n);
    strvec_free(&args);
    return id;
}

br_command *eng_unit_command(build *b, const unit *u)
{
    bool shared = u->extra.n == 0;   /* no overrides: the language's one command */
    if (shared && b->lang_cmd[u->lang])
        return b->lang_cmd[u->lang];
    const eng_tool_info *t = tool_of(b, u);
    strvec args = {0};
    unit_flags(b, u, &args);
    br_command *c = buildrecord_command(b->rec, t ? t->real : "", t ? t->size : 0, t ? t->mtime_ns : 0, args.v,
                                        args.n);
    strvec_free(&args);
    if (shared)
        b->lang_cmd[u->lang] = c;
    return c;
}

/* Flags of now not matched in before go to added, the others' to removed;
   as multisets, so a flag given twice counts twice. argv[0] (the driver) is
   not a flag: both lists start after it. */
static void diff_flags(const strvec *before, const strvec *now, strvec *added, strvec *removed)
{
    size_t nb = before->n > 1 ? before->n - 1 : 0, nn = now->n > 1 ? now->n - 1 : 0;
    bool *matched = xcalloc(nb + 1, sizeof *matched);
    for (size_t i = 0; i < nn; i++) {
        const char *f = now->v[i + 1];
        size_t j = 0;
        while (j < nb && (matched[j] || strcmp(before->v[j + 1], f) != 0))
            j++;
        if (j < nb)
            matched[j] = true;
        else
            strvec_push(added, f);
    }
    for (size_t j = 0; j < nb; j++)
        if (!matched[j])
            strvec_push(removed, before->v[j + 1]);
    free(matched);
}

/* "compiler changed: ..." when the compiler behind before is not now's (another
   binary, the same path replaced, another driver name), else NULL. Caller frees. */
static char *compiler_change(const br_command *before, const eng_tool_info *now, const char *driver)
{
    const char *real = now ? now->real : "";
    int64_t size = now ? now->size : 0, mtime = now ? now->mtime_ns : 0;
    if (strcmp(before->compiler, real) != 0)
        return xasprintf("compiler changed: %s -> %s", before->compiler, real);
    if (before->compiler_size != size)
        return xasprintf("compiler changed: %s was replaced (%lld -> %lld bytes)", real,
                         (long long)before->compiler_size, (long long)size);
    if (before->compiler_mtime_ns != mtime)
        return xasprintf("compiler changed: %s was replaced (same size, modified since)", real);
    const char *old_driver = before->args.n ? before->args.v[0] : "";
    if (strcmp(old_driver, driver) != 0)
        return xasprintf("compiler changed: %s -> %s", old_driver, driver);
    return NULL;
}

/* Appends lead and v's items joined by ", " to t; nothing when v is empty. */
static void put_list(bytebuf *t, const char *lead, const strvec *v)
{
    if (!v->n)
        return;
    bytebuf_put(t, lead, strlen(lead));
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            bytebuf_put(t, ", ", 2);
        bytebuf_put(t, v->v[i], strlen(v->v[i]));
    }
}

/* "added -DFOO, -O3; removed -O2" (caller frees). */
static char *flags_text(const strvec *added, const strvec *removed)
{
    bytebuf t = {0};
    put_list(&t, "added ", added);
    put_list(&t, t.len && removed->n ? "; removed " : "removed ", removed);
    bytebuf_put(&t, "", 1);
    return (char *)t.p;
}

/* "; now includes a.h, b.h" (caller frees); "" when v is empty. */
static char *list_clause(const char *lead, const strvec *v)
{
    bytebuf t = {0};
    put_list(&t, lead, v);
    bytebuf_put(&t, "", 1);
    return (char *)t.p;
}

/* How before and the unit's command differ: fills w (reason, text, flags) and
   returns true, or false when compiler and flags are the same. */
static bool explain_command(const build *b, const unit *u, const br_command *before, unit_why *w)
{
    strvec now = {0};
    unit_flags(b, u, &now);
    char *compiler = compiler_change(before, tool_of(b, u), now.v[0]);
    bool differs = true;
    if (compiler) {
        w->reason = WHY_COMPILER_CHANGED;
        w->text = compiler;
    } else {
        diff_flags(&before->args, &now, &w->added, &w->removed);
        if (w->added.n || w->removed.n) {
            char *t = flags_text(&w->added, &w->removed);
            w->reason = WHY_FLAGS_CHANGED;
            w->text = xasprintf("flags changed: %s", t);
            free(t);
        } else {
            /* The same flags (and driver): the same command unless their order changed. */
            differs = false;
            for (size_t i = 1; i < now.n && i < before->args.n && !differs; i++)
                differs = strcmp(before->args.v[i], now.v[i]) != 0;
            if (differs) {
                w->reason = WHY_FLAGS_CHANGED;
                w->text = xstrdup("flags changed: the same flags in another order");
            }
        }
    }
    strvec_free(&now);
    return differs;
}

/* A file of the record as the user names it: relative to the root when under it. Caller frees. */
static char *shown_path(const build *b, const char *abs)
{
    return path_relative(b->P.root, abs);
}

/* "header include/x.h changed" or "headers include/x.h, include/y.h (and 3 more) changed". Caller frees. */
static char *headers_text(const strvec *h, const char *verb)
{
    if (h->n == 1)
        return xasprintf("header %s %s", h->v[0], verb);
    if (h->n == 2)
        return xasprintf("headers %s, %s %s", h->v[0], h->v[1], verb);
    return xasprintf("headers %s, %s (and %zu more) %s", h->v[0], h->v[1], h->n - 2, verb);
}

void eng_explain_unit(build *b, unit *u, int64_t obj_size, int64_t obj_mtime)
{
    unit_why *w = xcalloc(1, sizeof *w);
    u->why = w;
    if (!b->incremental) {
        w->reason = WHY_FORCED;
        w->text = xstrdup("forced: incremental builds are off (incremental_builds = false)");
        return;
    }
    pthread_mutex_lock(&b->rec_lock);
    br_object *o = hashmap_get(&b->rec->objects, u->rel);
    if (!o) {
        pthread_mutex_unlock(&b->rec_lock);
        w->reason = WHY_NO_RECORD;
        w->text = xstrdup("no previous build of this unit");
        return;
    }
    w->old_dep_count = o->dep_count;
    w->old_deps = xmalloc((o->dep_count ? o->dep_count : 1) * sizeof *w->old_deps);
    memcpy(w->old_deps, o->deps, o->dep_count * sizeof *o->deps);
    if (!hash_eq(o->cmd_hash, u->cmd_hash)) {
        if (!o->cmd || !explain_command(b, u, o->cmd, w)) {
            w->reason = WHY_COMMAND_CHANGED;
            w->text = xstrdup(o->cmd ? "command line changed (the object or depfile path)"
                                     : "command line changed (the record does not hold the previous one)");
        }
        pthread_mutex_unlock(&b->rec_lock);
        return;
    }
    /* Every input, not only up to the first changed one: each was or will be
       checked anyway (cache lookup, record after the compile), once per build. */
    strvec changed = {0}, removed = {0};
    bool source_changed = false, source_missing = false;
    for (size_t i = 0; i < o->dep_count; i++) {
        br_file *f = o->deps[i];
        bool exists = buildrecord_file_check(b->rec, f);
        bool same = exists && hash_eq(f->hash, o->dep_hashes[i]);
        if (same)
            continue;
        if (i == 0) {
            source_changed = true;
            source_missing = !exists;
        } else {
            strvec_push_owned(exists ? &changed : &removed, shown_path(b, f->path));
        }
    }
    bool object_changed = obj_size >= 0 && (obj_size != o->obj_size || obj_mtime != o->obj_mtime_ns);
    pthread_mutex_unlock(&b->rec_lock);
    if (source_changed) {
        w->reason = WHY_SOURCE_CHANGED;
        w->text = xstrdup(source_missing ? "source cannot be read" : "source changed");
    } else if (changed.n) {
        w->reason = WHY_HEADER_CHANGED;
        w->text = headers_text(&changed, "changed");
        w->headers = changed;
        memset(&changed, 0, sizeof changed);
    } else if (removed.n) {
        w->reason = WHY_HEADER_REMOVED;
        w->text = headers_text(&removed, "removed");
        w->headers = removed;
        memset(&removed, 0, sizeof removed);
    } else if (obj_size < 0) {
        w->reason = WHY_OBJECT_MISSING;
        w->text = xasprintf("object %s is missing", u->obj_rel);
    } else if (object_changed) {
        w->reason = WHY_OBJECT_CHANGED;
        w->text = xasprintf("object %s changed since it was built", u->obj_rel);
    } else {
        w->reason = WHY_UNKNOWN;
        w->text = xstrdup("an input changed while it was being checked");
    }
    strvec_free(&changed);
    strvec_free(&removed);
}

/* ----------------------------------------------------------- cache misses */

/* Names a source's entries in the cache: its path as the compiler gets it,
   so another checkout of the same tree shares them (like the manifest key). */
static XXH128_hash_t source_key(const unit *u)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, "jmake-source-1", 15);
    XXH3_128bits_update(st, u->src_arg, strlen(u->src_arg) + 1);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* The root when it is part of the manifest key (-g), else zero. */
static XXH128_hash_t root_hash(const build *b)
{
    XXH128_hash_t zero = {0, 0};
    return b->debug_info ? XXH3_128bits(b->P.root, strlen(b->P.root)) : zero;
}

static cJSON *strvec_json(const strvec *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    return a;
}

/* One {what, ...} of a miss's differs list, its words appended to text. */
static void add_difference(cJSON *differs, bytebuf *text, const char *what, const char *words)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "what", what);
    cJSON_AddItemToArray(differs, d);
    if (text->len)
        bytebuf_put(text, ", ", 2);
    bytebuf_put(text, words, strlen(words));
}

/* What the command stored with the nearest entry differs in from the unit's. */
static void command_differences(const build *b, const unit *u, XXH128_hash_t id, cJSON *differs_list, bytebuf *text)
{
    size_t len = 0;
    char *blob = objcache_command_get(b->cache_dir, id, &len);
    br_command before;
    if (!blob || !buildrecord_command_decode(blob, len, &before)) {
        free(blob);
        add_difference(differs_list, text, "command", "command line (the other one is no longer in the cache)");
        return;
    }
    free(blob);
    unit_why w = {0};
    bool differs = explain_command(b, u, &before, &w);
    if (differs && w.reason == WHY_COMPILER_CHANGED) {
        const char *what = w.text + strlen("compiler changed: ");
        add_difference(differs_list, text, "compiler", "compiler");   /* the reason has the details */
        cJSON_AddStringToObject(cJSON_GetArrayItem(differs_list, cJSON_GetArraySize(differs_list) - 1), "text", what);
    } else if (differs) {
        char *t = flags_text(&w.added, &w.removed);
        char *words = w.added.n || w.removed.n ? xasprintf("flags (%s)", t) : xstrdup("flag order");
        add_difference(differs_list, text, "flags", words);
        cJSON *d = cJSON_GetArrayItem(differs_list, cJSON_GetArraySize(differs_list) - 1);
        cJSON_AddItemToObject(d, "added", strvec_json(&w.added));
        cJSON_AddItemToObject(d, "removed", strvec_json(&w.removed));
        free(words);
        free(t);
    } else {
        add_difference(differs_list, text, "command", "command line");
    }
    free(w.text);
    strvec_free(&w.added);
    strvec_free(&w.removed);
    buildrecord_command_clear(&before);
}

/* The entry of entries (n > 0) with the fewest differences from mine; the newest of equals. */
static size_t nearest_entry(const objcache_source_entry *entries, int n, const objcache_source_entry *mine)
{
    size_t best = 0;
    int best_d = 4;
    for (int i = 0; i < n; i++) {
        const objcache_source_entry *e = &entries[i];
        int d = !hash_eq(e->command_id, mine->command_id) + !hash_eq(e->source_hash, mine->source_hash) +
                !hash_eq(e->root_hash, mine->root_hash);
        if (d < best_d) {
            best_d = d;
            best = (size_t)i;
        }
    }
    return best;
}

void eng_explain_miss(build *b, unit *u, const objcache_miss *miss, bool evicted)
{
    unit_why *w = u->why;
    w->cache = WHY_CACHE_MISS;
    cJSON *n = w->nearby = cJSON_CreateObject();
    cJSON *differs = cJSON_CreateArray();
    bytebuf text = {0};
    bool nearby = true;
    const char *sentence = NULL;
    if (evicted) {
        sentence = "the entry for this key was evicted";
    } else if (miss->kind == OBJCACHE_HEADERS_DIFFER) {
        char *abs = path_absolute(b->P.root, miss->header ? miss->header : "?");
        char *shown = shown_path(b, abs);
        char *words = xasprintf("header %s", shown);
        add_difference(differs, &text, "header", words);
        cJSON_AddStringToObject(cJSON_GetArrayItem(differs, 0), "path", shown);
        free(words);
        free(shown);
        free(abs);
    } else {
        objcache_source_entry entries[OBJCACHE_SOURCE_KEEP];
        int count = objcache_source_entries(b->cache_dir, source_key(u), entries, OBJCACHE_SOURCE_KEEP);
        if (count <= 0) {
            nearby = false;
            sentence = "no entry for this source";
        } else {
            pthread_mutex_lock(&b->rec_lock);
            XXH128_hash_t src_hash = u->src->hash;   /* the one in u->mkey (hashed once this build) */
            pthread_mutex_unlock(&b->rec_lock);
            objcache_source_entry mine = {u->mkey, unit_command_id(b, u), src_hash, root_hash(b)};
            const objcache_source_entry *e = &entries[nearest_entry(entries, count, &mine)];
            if (!hash_eq(e->command_id, mine.command_id))
                command_differences(b, u, e->command_id, differs, &text);
            if (!hash_eq(e->source_hash, mine.source_hash))
                add_difference(differs, &text, "source", "source content");
            if (!hash_eq(e->root_hash, mine.root_hash))
                add_difference(differs, &text, "root", "project root (-g writes it into the object)");
            if (!text.len)
                sentence = "the entry for this key was evicted";
        }
    }
    bytebuf_put(&text, "", 1);
    cJSON_AddBoolToObject(n, "nearby", nearby);
    cJSON_AddItemToObject(n, "differs", differs);
    char *line = sentence ? xstrdup(sentence) : xasprintf("the nearest entry for this source differs in %s", text.p);
    cJSON_AddStringToObject(n, "text", line);
    free(line);
    free(text.p);
}

int64_t eng_explain_stored(build *b, const unit *u, XXH128_hash_t src_hash)
{
    bytebuf blob = {0};
    pthread_mutex_lock(&b->rec_lock);
    br_command *c = eng_unit_command(b, u);
    XXH128_hash_t id = c->id;
    buildrecord_command_encode(c, &blob);
    pthread_mutex_unlock(&b->rec_lock);
    int64_t total = 0;
    int64_t n = objcache_command_put(b->cache_dir, id, blob.p, blob.len);
    total += n > 0 ? n : 0;
    free(blob.p);
    objcache_source_entry e = {u->mkey, id, src_hash, root_hash(b)};
    n = objcache_source_add(b->cache_dir, source_key(u), &e);
    total += n > 0 ? n : 0;
    return total;
}

/* ----------------------------------------------------------- the result */

/* Headers the compile read now and did not before (added), and the reverse. */
static void header_changes(build *b, const unit *u, strvec *added, strvec *removed)
{
    const unit_why *w = u->why;
    br_object *o = hashmap_get(&b->rec->objects, u->rel);
    if (!o || !w->old_deps)
        return;
    hashmap before, now;
    hashmap_init(&before);
    hashmap_init(&now);
    for (size_t i = 1; i < w->old_dep_count; i++)
        hashmap_put(&before, w->old_deps[i]->path, (void *)1);
    for (size_t i = 1; i < o->dep_count; i++) {
        hashmap_put(&now, o->deps[i]->path, (void *)1);
        if (!hashmap_get(&before, o->deps[i]->path))
            strvec_push_owned(added, shown_path(b, o->deps[i]->path));
    }
    for (size_t i = 1; i < w->old_dep_count; i++)
        if (!hashmap_get(&now, w->old_deps[i]->path))
            strvec_push_owned(removed, shown_path(b, w->old_deps[i]->path));
    hashmap_free(&before);
    hashmap_free(&now);
}

static cJSON *explain_entry(build *b, const unit *u)
{
    const unit_why *w = u->why;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", u->rel);
    const char *outcome = u->status == U_CACHED ? "restored" : u->status == U_FAILED ? "failed" : "compiled";
    cJSON_AddStringToObject(e, "outcome", outcome);
    cJSON_AddStringToObject(e, "reason", reason_words[w->reason]);
    strvec added = {0}, removed = {0};
    if (u->status == U_COMPILED)
        header_changes(b, u, &added, &removed);
    char *now = list_clause("; now includes ", &added), *no_longer = list_clause("; no longer includes ", &removed);
    char *text = xasprintf("%s%s%s", w->text, now, no_longer);
    cJSON_AddStringToObject(e, "text", text);
    free(text);
    free(now);
    free(no_longer);
    if (w->headers.n)
        cJSON_AddItemToObject(e, "headers", strvec_json(&w->headers));
    if (w->reason == WHY_FLAGS_CHANGED) {
        cJSON_AddItemToObject(e, "added", strvec_json(&w->added));
        cJSON_AddItemToObject(e, "removed", strvec_json(&w->removed));
    }
    if (added.n)
        cJSON_AddItemToObject(e, "headers_added", strvec_json(&added));
    if (removed.n)
        cJSON_AddItemToObject(e, "headers_removed", strvec_json(&removed));
    strvec_free(&added);
    strvec_free(&removed);
    if (w->cache == WHY_CACHE_HIT) {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "cache"), "result", "hit");
    } else if (w->cache == WHY_CACHE_MISS) {
        cJSON *c = cJSON_Duplicate(w->nearby, 1);
        cJSON_AddStringToObject(c, "result", "miss");
        cJSON_AddItemToObject(e, "cache", c);
    }
    return e;
}

void eng_explain_result(build *b, cJSON *result)
{
    cJSON *list = cJSON_AddArrayToObject(result, "explain");
    size_t listed = 0, omitted = 0;
    for (size_t i = 0; i < b->nunits; i++) {
        const unit *u = &b->units[i];
        if (!u->why || (u->status != U_COMPILED && u->status != U_FAILED && u->status != U_CACHED))
            continue;
        if (listed == EXPLAIN_MAX) {
            omitted++;
            continue;
        }
        cJSON_AddItemToArray(list, explain_entry(b, u));
        listed++;
    }
    cJSON_AddNumberToObject(result, "explain_omitted", (double)omitted);
}

void eng_explain_free_unit(unit *u)
{
    unit_why *w = u->why;
    if (!w)
        return;
    free(w->text);
    strvec_free(&w->headers);
    strvec_free(&w->added);
    strvec_free(&w->removed);
    free(w->old_deps);
    cJSON_Delete(w->nearby);
    free(w);
    u->why = NULL;
}

void eng_explain_cleanup(build *b)
{
    eng_tool_info_free(b->cc_info);
    eng_tool_info_free(b->cxx_info);
    b->cc_info = b->cxx_info = NULL;
}
