/* engine_link.c - linking the artifact (shared, executable, static archive, [llvm] pipeline) when its inputs changed, through response files when large. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_internal.h"
#include "subproc.h"

/* argv[0..fixed) stay on the command line; the rest moves into a response
   file when the list is large (10,000 objects do not fit in ARG_MAX). */
static void maybe_response_file(build *b, strvec *argv, size_t fixed, const char *tag)
{
    if (subproc_args_size(argv->v, argv->n) <= RSP_THRESHOLD)
        return;
    char *rsp = xasprintf("%s/%s.%s.rsp", b->P.build_dir, b->P.library_name, tag);
    if (subproc_write_response_file(rsp, argv->v + fixed, argv->n - fixed) < 0) {
        free(rsp);
        return;   /* the direct command line is still worth a try */
    }
    strvec keep = {0};
    for (size_t i = 0; i < fixed; i++)
        strvec_push(&keep, argv->v[i]);
    strvec_push_owned(&keep, xasprintf("@%s", rsp));
    free(rsp);
    strvec_free(argv);
    *argv = keep;
}

static void hash_argv(XXH3_state_t *st, const strvec *argv)
{
    for (size_t i = 0; i < argv->n; i++)
        XXH3_128bits_update(st, argv->v[i], strlen(argv->v[i]) + 1);
    XXH3_128bits_update(st, "\n", 1);
}

static void push_libs(build *b, strvec *argv)
{
    for (size_t i = 0; i < b->P.lib_dirs.n; i++)
        strvec_push_owned(argv, xasprintf("-L%s", b->P.lib_dirs.v[i]));
    for (size_t i = 0; i < b->P.libraries.n; i++) {
        const char *l = b->P.libraries.v[i];
        strvec_push_owned(argv, l[0] == '-' ? xstrdup(l) : xasprintf("-l%s", l));
    }
}

typedef struct link_plan {
    strvec steps[3];    /* commands run in order */
    size_t rsp_fixed[3];/* arguments kept on the command line if a response file is needed; 0 = never */
    const char *rsp_tag[3];
    size_t nsteps;
    char *tmp;          /* the final command writes here; renamed onto the artifact */
} link_plan;

static bool any_cxx(const build *b)
{
    for (size_t i = 0; i < b->nunits; i++)
        if (b->units[i].lang == SRC_CXX)
            return true;
    return false;
}

static int plan_link(build *b, link_plan *lp, char **reason)
{
    project_config *P = &b->P;
    memset(lp, 0, sizeof *lp);
    lp->tmp = xasprintf("%s.jmake-tmp", P->artifact_path);
    char *tmp_rel = eng_root_relative(b, lp->tmp);
    const char *driver = any_cxx(b) ? b->cxx : b->cc;
    if (b->llvm) {
        char *llvm_link = eng_llvm_tool(b, "llvm-link"), *opt = eng_llvm_tool(b, "opt");
        if (!llvm_link || !opt) {
            *reason = xasprintf("[llvm]: %s not found", !llvm_link ? "llvm-link" : "opt");
            free(llvm_link);
            free(opt);
            free(tmp_rel);
            return -1;
        }
        char *linked = xasprintf("%s/llvm/%s.linked.bc", P->build_dir, P->name);
        char *optbc = xasprintf("%s/llvm/%s.opt.bc", P->build_dir, P->name);
        char *refused = eng_output_refused(b, linked);
        if (!refused)
            refused = eng_output_refused(b, optbc);
        if (refused) {
            *reason = refused;
            free(linked);
            free(optbc);
            free(llvm_link);
            free(opt);
            free(tmp_rel);
            return -1;
        }
        strvec *s = &lp->steps[0];
        strvec_push_owned(s, llvm_link);
        strvec_push(s, "-o");
        strvec_push_owned(s, eng_root_relative(b, linked));
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        lp->rsp_fixed[0] = 1;
        lp->rsp_tag[0] = "llvm-link";
        s = &lp->steps[1];
        strvec_push_owned(s, opt);
        strvec_extend(s, &P->llvm.opt_flags);
        strvec_push_owned(s, eng_root_relative(b, linked));
        strvec_push(s, "-o");
        strvec_push_owned(s, eng_root_relative(b, optbc));
        s = &lp->steps[2];
        strvec_push(s, driver);
        strvec_push(s, "-shared");
        strvec_push(s, "-fPIC");
        strvec_extend(s, &P->link_flags);
        strvec_push(s, "-o");
        strvec_push(s, tmp_rel);
        strvec_push_owned(s, eng_root_relative(b, optbc));
        push_libs(b, s);
        lp->nsteps = 3;
        free(linked);
        free(optbc);
    } else if (P->output == PROJECT_STATIC) {
        char *ar = subproc_find_program("ar");
        if (!ar) {
            *reason = xstrdup("ar not found in PATH");
            free(tmp_rel);
            return -1;
        }
        strvec *s = &lp->steps[0];
        strvec_push_owned(s, ar);
        /* q (append) into a fresh file instead of r: r replaces members with
           the same base name (a/x.o vs b/x.o) and searches the member list
           for every object. */
        strvec_push(s, "qcs");
        strvec_push(s, tmp_rel);
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        lp->rsp_fixed[0] = 3;
        lp->rsp_tag[0] = "ar";
        lp->nsteps = 1;
    } else {
        strvec *s = &lp->steps[0];
        strvec_push(s, driver);
        strvec_extend(s, &P->flags);
        if (P->output == PROJECT_SHARED)
            strvec_push(s, "-shared");
        strvec_extend(s, &P->link_flags);
        strvec_push(s, "-o");
        strvec_push(s, tmp_rel);
        size_t fixed = s->n;
        for (size_t i = 0; i < b->nunits; i++)
            strvec_push(s, b->units[i].obj_rel);
        push_libs(b, s);
        lp->rsp_fixed[0] = fixed;
        lp->rsp_tag[0] = "link";
        lp->nsteps = 1;
    }
    free(tmp_rel);
    return 0;
}

static void free_plan(link_plan *lp)
{
    for (size_t i = 0; i < 3; i++)
        strvec_free(&lp->steps[i]);
    free(lp->tmp);
}

/* Identity of the link's inputs: every command and every object's stat. */
static XXH128_hash_t link_input_hash(build *b, const link_plan *lp)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, &b->cc_id, sizeof b->cc_id);
    XXH3_128bits_update(st, &b->cxx_id, sizeof b->cxx_id);
    for (size_t i = 0; i < lp->nsteps; i++)
        hash_argv(st, &lp->steps[i]);
    for (size_t i = 0; i < b->nunits; i++) {
        br_object *o = hashmap_get(&b->rec->objects, b->units[i].rel);
        int64_t v[2] = {o ? o->obj_size : -1, o ? o->obj_mtime_ns : -1};
        XXH3_128bits_update(st, v, sizeof v);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return h;
}

eng_link_outcome eng_link_artifact(build *b, char **reason)
{
    link_plan lp;
    if (plan_link(b, &lp, reason) < 0)
        return LINK_CANNOT_PLAN;
    XXH128_hash_t in = link_input_hash(b, &lp);
    br_link *L = &b->rec->link;
    if (L->valid && hash_eq(L->input_hash, in)) {
        struct stat st;
        if (stat(b->P.artifact_path, &st) == 0) {
            int64_t sz, mt;
            eng_stat_ns(&st, &sz, &mt);
            if (sz == L->size && mt == L->mtime_ns) {
                free_plan(&lp);
                return LINK_UP_TO_DATE;
            }
            XXH128_hash_t h;
            if (buildrecord_hash_file(b->P.artifact_path, &h, &sz, &mt) == 0 && hash_eq(h, L->hash)) {
                L->size = sz;   /* touched, same bytes */
                L->mtime_ns = mt;
                b->rec->dirty = true;
                free_plan(&lp);
                return LINK_UP_TO_DATE;
            }
        }
    }
    L->valid = false;
    b->rec->dirty = true;
    unlink(lp.tmp);   /* a link planted there goes, not what it points to */
    int dir_rc = eng_ensure_dir_of(b, b->P.artifact_path);
    if (dir_rc < 0) {
        char *msg = xasprintf("cannot create the folder of %s: %s", b->P.artifact_path, strerror(-dir_rc));
        eng_add_diag(b, b->P.library_name, 0, 0, true, msg, strlen(msg));
        free(msg);
        free_plan(&lp);
        return LINK_FAILED;
    }
    eng_link_outcome result = LINK_DONE;
    for (size_t i = 0; i < lp.nsteps; i++) {
        /* Only now: a no-op build must not rewrite a 10,000-line response file. */
        if (lp.rsp_fixed[i])
            maybe_response_file(b, &lp.steps[i], lp.rsp_fixed[i], lp.rsp_tag[i]);
        char *out = NULL;
        size_t len = 0;
        eng_tool_outcome rc = eng_run_tool(b, lp.steps[i].v, &out, &len);
        if (rc == TOOL_STOPPED) {
            result = LINK_STOPPED;
            free(out);
            break;
        }
        if (rc == TOOL_FAILED) {
            size_t errs = eng_parse_diagnostics(b, out, len, b->P.library_name);
            if (!errs) {
                char *msg = xasprintf("%s failed: %.*s", path_basename(lp.steps[i].v[0]),
                                      (int)(len > 2000 ? 2000 : len), out);
                eng_add_diag(b, b->P.library_name, 0, 0, true, msg, strlen(msg));
                free(msg);
            }
            free(out);
            result = LINK_FAILED;
            break;
        }
        if (len)
            eng_parse_diagnostics(b, out, len, b->P.library_name);
        free(out);
    }
    if (result == LINK_DONE) {
        if (rename(lp.tmp, b->P.artifact_path) < 0) {
            char *msg = xasprintf("cannot rename %s: %s", lp.tmp, strerror(errno));
            eng_add_diag(b, b->P.library_name, 0, 0, true, msg, strlen(msg));
            free(msg);
            result = LINK_FAILED;
        } else if (buildrecord_hash_file(b->P.artifact_path, &L->hash, &L->size, &L->mtime_ns) == 0) {
            L->valid = true;
            L->input_hash = in;
        }
    } else {
        unlink(lp.tmp);
    }
    free_plan(&lp);
    return result;
}
