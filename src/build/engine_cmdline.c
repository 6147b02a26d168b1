/* engine_cmdline.c - a unit's command line (one definition for spawning, hashing and compile_commands.json), its command hash and cache key, its paths. */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* A path as handed to the compiler (which runs in the root): relative when
   under the root, so command lines and cache keys are equal across checkouts.
   Caller frees. */
char *eng_root_relative(const build *b, const char *abs)
{
    return eng_path_arg(path_relative(b->P.root, abs));
}

/* A relative path starting with '-' (a source named -E.c) would be read as an
   option by every driver; gcc has no "--" for all of its inputs. "./" makes
   it a path again. Takes ownership of path; caller frees the result. */
char *eng_path_arg(char *path)
{
    if (path[0] != '-')
        return path;
    char *safe = xasprintf("./%s", path);
    free(path);
    return safe;
}
void eng_setup_common_args(build *b)
{
    project_config *P = &b->P;
    for (int l = 0; l < SRC_LANG_COUNT; l++) {
        strvec *a = &b->common[l];
        strvec_extend(a, &P->flags);
        strvec_extend(a, l == SRC_CXX ? &P->cxxflags : &P->cflags);
        if (l != SRC_ASM) {
            for (size_t i = 0; i < P->define_count; i++) {
                const project_define *d = &P->defines[i];
                strvec_push_owned(a, d->value ? xasprintf("-D%s=%s", d->name, d->value) : xasprintf("-D%s", d->name));
            }
            for (size_t i = 0; i < P->include_dirs.n; i++) {
                char *r = eng_root_relative(b, P->include_dirs.v[i]);
                strvec_push_owned(a, xasprintf("-I%s", r));
                free(r);
            }
        }
        /* Once: a project whose flags already ask for position-independent code gets no second -fPIC. */
        if ((b->llvm || P->output == PROJECT_SHARED) && !strvec_contains(a, "-fPIC") && !strvec_contains(a, "-fpic"))
            strvec_push(a, "-fPIC");
        if (b->llvm && l != SRC_ASM && l != SRC_ASM_PP)
            strvec_push(a, "-emit-llvm");
    }
    for (size_t i = 0; i < P->flags.n; i++) {
        const char *f = P->flags.v[i];
        if (!strncmp(f, "-g", 2) && strcmp(f, "-g0") != 0)
            b->debug_info = true;
    }
}

const char *eng_unit_compiler(const build *b, const unit *u)
{
    return u->lang == SRC_CXX ? b->cxx : b->cc;
}

/* The one definition of a unit's command line; hashing, spawning and
   compile_commands.json all read it through here so they cannot disagree. */
static void unit_emit_prefix(const build *b, unit_lang lang, emit_fn emit, void *ctx)
{
    emit(ctx, lang == SRC_CXX ? b->cxx : b->cc, ARG_PLAIN);
    const strvec *c = &b->common[lang];
    for (size_t i = 0; i < c->n; i++)
        emit(ctx, c->v[i], ARG_PLAIN);
}

static void unit_emit_suffix(const unit *u, emit_fn emit, void *ctx)
{
    for (size_t i = 0; i < u->extra.n; i++)
        emit(ctx, u->extra.v[i], ARG_PLAIN);
    if (u->lang != SRC_ASM) {
        emit(ctx, "-MD", ARG_PLAIN);
        emit(ctx, "-MF", ARG_PLAIN);
        emit(ctx, u->dep_rel, ARG_OUTPUT);
    }
    emit(ctx, "-c", ARG_PLAIN);
    emit(ctx, u->src_arg, ARG_PLAIN);
    emit(ctx, "-o", ARG_PLAIN);
    emit(ctx, u->obj_rel, ARG_OUTPUT);
}

void eng_unit_emit(const build *b, const unit *u, emit_fn emit, void *ctx)
{
    unit_emit_prefix(b, u->lang, emit, ctx);
    unit_emit_suffix(u, emit, ctx);
}

typedef struct hash_ctx {
    XXH3_state_t *st;
    bool skip_outputs;
} hash_ctx;

static void emit_hash(void *ctx, const char *arg, arg_kind kind)
{
    hash_ctx *h = ctx;
    if (h->skip_outputs && kind == ARG_OUTPUT)
        return;
    XXH3_128bits_update(h->st, arg, strlen(arg) + 1);
}

void eng_emit_strvec(void *ctx, const char *arg, arg_kind kind) { strvec_push(ctx, arg); }

void eng_emit_json(void *ctx, const char *arg, arg_kind kind) { cJSON_AddItemToArray(ctx, cJSON_CreateString(arg)); }

/* The hash states after the per-language prefix of both keys, computed once
   per build; each unit then continues from a copy (the prefix is most of
   the command line). */
void eng_setup_hash_prefixes(build *b)
{
    for (int l = 0; l < SRC_LANG_COUNT; l++) {
        const XXH128_hash_t *id = l == SRC_CXX ? &b->cxx_id : &b->cc_id;
        bool have = (l == SRC_CXX ? b->cxx : b->cc) != NULL;
        b->cmd_prefix[l] = XXH3_createState();
        XXH3_128bits_reset(b->cmd_prefix[l]);
        XXH3_128bits_update(b->cmd_prefix[l], id, sizeof *id);
        b->mkey_prefix[l] = XXH3_createState();
        XXH3_128bits_reset(b->mkey_prefix[l]);
        XXH3_128bits_update(b->mkey_prefix[l], "jmake-object-1", 14);
        XXH3_128bits_update(b->mkey_prefix[l], id, sizeof *id);
        if (!have)
            continue;
        hash_ctx h = {b->cmd_prefix[l], false};
        unit_emit_prefix(b, (unit_lang)l, emit_hash, &h);
        hash_ctx m = {b->mkey_prefix[l], true};
        unit_emit_prefix(b, (unit_lang)l, emit_hash, &m);
    }
}

/* Compiler identity + the full command line. */
XXH128_hash_t eng_unit_cmd_hash(const build *b, const unit *u, XXH3_state_t *st)
{
    XXH3_copyState(st, b->cmd_prefix[u->lang]);
    hash_ctx h = {st, false};
    unit_emit_suffix(u, emit_hash, &h);
    return XXH3_128bits_digest(st);
}

/* Manifest key: everything that decides the object except the headers it
   reads and where the output goes. Paths under the root are relative, so
   another checkout of the same sources gets the same key; with -g the working
   folder is written into the debug info, so then it is part of the key. */
XXH128_hash_t eng_unit_manifest_key(const build *b, const unit *u, XXH128_hash_t src_hash, XXH3_state_t *st)
{
    XXH3_copyState(st, b->mkey_prefix[u->lang]);
    hash_ctx h = {st, true};
    unit_emit_suffix(u, emit_hash, &h);
    if (b->debug_info)
        XXH3_128bits_update(st, b->P.root, strlen(b->P.root) + 1);
    XXH3_128bits_update(st, &src_hash, sizeof src_hash);
    return XXH3_128bits_digest(st);
}

/* a+b+c+d without printf: init_unit runs for every source on every build. Caller frees. */
static char *cat4(const char *a, const char *b, const char *c, const char *d)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
    char *s = xmalloc(la + lb + lc + ld + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc);
    memcpy(s + la + lb + lc, d, ld + 1);
    return s;
}

void eng_init_unit(build *b, unit *u, char *rel)
{
    memset(u, 0, sizeof *u);
    u->rel = rel;
    u->src_arg = eng_path_arg(xstrdup(rel));
    u->lang = srcscan_language(rel);
    /* Objects mirror the source tree; ".." and absolute paths are folded so
       every object stays inside build_dir/obj. */
    bool plain = rel[0] != '/' && !strstr(rel, "..") && strncmp(rel, "./", 2) != 0;
    char *safe = xstrdup(rel[0] == '/' ? rel + 1 : rel);
    for (char *p = strstr(safe, ".."); p; p = strstr(p + 2, ".."))
        p[0] = p[1] = '_';
    const char *ext = b->llvm ? ".bc" : ".o";
    u->obj_abs = cat4(b->obj_dir_abs, "/", safe, ext);
    u->dep_abs = cat4(b->obj_dir_abs, "/", safe, ".d");
    u->obj_rel = cat4(b->obj_dir_rel, "/", safe, ext);
    u->dep_rel = cat4(b->obj_dir_rel, "/", safe, ".d");
    free(safe);
    for (size_t i = 0; i < b->P.override_count; i++)
        if (glob_match(b->P.overrides[i].match, rel))
            strvec_extend(&u->extra, &b->P.overrides[i].flags);
    /* Paths from the scan are already normal: skip path_absolute's normalisation. */
    size_t rl = strlen(b->P.root);
    char *src_abs = plain ? cat4(b->P.root, rl && b->P.root[rl - 1] == '/' ? "" : "/", rel, "")
                          : path_absolute(b->P.root, rel);
    u->src = buildrecord_file(b->rec, src_abs);
    free(src_abs);
}

void eng_free_unit(unit *u)
{
    free(u->rel);
    free(u->src_arg);
    free(u->obj_rel);
    free(u->obj_abs);
    free(u->dep_rel);
    free(u->dep_abs);
    strvec_free(&u->extra);
    eng_explain_free_unit(u);
}

void eng_stat_ns(const struct stat *st, int64_t *size, int64_t *mtime)
{
    *size = st->st_size;
    *mtime = stat_mtime_ns(st);
}
