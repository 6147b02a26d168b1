/* srcscan.c - lists a project's translation units: a recursive walk with d_type, globs, excludes. */
#include "srcscan.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

src_lang srcscan_language(const char *path)
{
    const char *ext = path_extension(path);
    if (!strcmp(ext, ".c"))
        return SRC_C;
    if (!strcmp(ext, ".cc") || !strcmp(ext, ".cpp") || !strcmp(ext, ".cxx") || !strcmp(ext, ".C") ||
        !strcmp(ext, ".c++"))
        return SRC_CXX;
    if (!strcmp(ext, ".S"))
        return SRC_ASM_PP;
    if (!strcmp(ext, ".s"))
        return SRC_ASM;
    return SRC_NONE;
}

/* Regular files under dir (skipping hidden entries and skip_dir) as absolute paths. */
static void walk(const char *dir, const char *skip_dir, bool only_sources, strvec *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        unsigned char type = de->d_type;
        if (type == DT_UNKNOWN || type == DT_LNK) {   /* d_type saves a stat per file elsewhere */
            struct stat st;
            if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type == DT_DIR) {
            char *sub = path_join(dir, de->d_name);
            if (!skip_dir || strcmp(sub, skip_dir) != 0)
                walk(sub, skip_dir, only_sources, out);
            free(sub);
        } else if (type == DT_REG && (!only_sources || srcscan_language(de->d_name) != SRC_NONE)) {
            strvec_push_owned(out, path_join(dir, de->d_name));
        }
    }
    closedir(d);
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

void srcscan_list(const project_config *P, strvec *rels)
{
    strvec abs = {0};
    if (P->sources.n == 0) {
        walk(P->source_dir, P->build_dir, true, &abs);
    } else {
        strvec all = {0};
        bool walked = false;
        for (size_t i = 0; i < P->sources.n; i++) {
            const char *s = P->sources.v[i];
            if (is_glob(s)) {
                if (!walked) {
                    walk(P->root, P->build_dir, false, &all);
                    walked = true;
                }
                for (size_t k = 0; k < all.n; k++) {
                    char *r = path_relative(P->root, all.v[k]);
                    if (glob_match(s, r))
                        strvec_push(&abs, all.v[k]);
                    free(r);
                }
            } else {
                strvec_push_owned(&abs, path_absolute(P->root, s));
            }
        }
        strvec_free(&all);
    }
    size_t first = rels->n;
    for (size_t i = 0; i < abs.n; i++) {
        char *r = path_relative(P->root, abs.v[i]);
        bool excluded = false;
        for (size_t k = 0; k < P->exclude.n && !excluded; k++)
            excluded = glob_match(P->exclude.v[k], r);
        if (excluded)
            free(r);
        else
            strvec_push_owned(rels, r);
    }
    strvec_free(&abs);
    size_t n = rels->n - first;
    char **v = rels->v + first;
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_strp);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o && strcmp(v[o - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[o++] = v[i];
    }
    rels->n = first + o;
    if (rels->v)
        rels->v[rels->n] = NULL;
}
