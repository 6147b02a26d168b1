/* engine_toolchain.c - the tools of a build: compiler identity, LLVM tools from the configured or newest toolchain, the children's environment. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_internal.h"
#include "log.h"
#include "subproc.h"

XXH128_hash_t eng_tool_identity(const char *path, eng_tool_info **info)
{
    /* The resolved binary plus its size and mtime: an upgrade of the compiler
       changes mtime, so every object and cache key built by it changes too. */
    char *real = realpath(path, NULL);
    const char *p = real ? real : path;
    struct stat st;
    int64_t v[2] = {0, 0};
    if (stat(p, &st) == 0) {
        v[0] = st.st_size;
        v[1] = stat_mtime_ns(&st);
    }
    XXH3_state_t *s = XXH3_createState();
    XXH3_128bits_reset(s);
    XXH3_128bits_update(s, p, strlen(p) + 1);
    XXH3_128bits_update(s, v, sizeof v);
    XXH128_hash_t h = XXH3_128bits_digest(s);
    XXH3_freeState(s);
    if (info) {
        *info = xmalloc(sizeof **info);
        **info = (eng_tool_info){xstrdup(p), v[0], v[1]};
    }
    free(real);
    return h;
}

void eng_tool_info_free(eng_tool_info *info)
{
    if (info)
        free(info->real);
    free(info);
}

static char *find_in_dir(const char *dir, const char *name)
{
    char *bin = xasprintf("%s/bin/%s", dir, name);
    if (access(bin, X_OK) == 0)
        return bin;
    free(bin);
    bin = xasprintf("%s/%s", dir, name);
    if (access(bin, X_OK) == 0)
        return bin;
    free(bin);
    return NULL;
}

/* An LLVM tool: from the project's toolchain_path, else the daemon's, else
   the newest /usr/lib/llvm-N on this system (with a warning naming both). */
char *eng_llvm_tool(build *b, const char *name)
{
    const char *configured = b->P.llvm.toolchain_path ? b->P.llvm.toolchain_path : b->eng->opt.llvm_toolchain_path;
    if (configured) {
        char *p = find_in_dir(configured, name);
        if (p)
            return p;
    }
    int best = -1;
    DIR *d = opendir("/usr/lib");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int n;
            char tail;
            if (sscanf(de->d_name, "llvm-%d%c", &n, &tail) == 1 && n > best) {
                char *cand = xasprintf("/usr/lib/llvm-%d/bin/%s", n, name);
                if (access(cand, X_OK) == 0)
                    best = n;
                free(cand);
            }
        }
        closedir(d);
    }
    char *found = best >= 0 ? xasprintf("/usr/lib/llvm-%d/bin/%s", best, name) : subproc_find_program(name);
    if (found)
        log_warn("llvm: %s not found in toolchain '%s'; using %s", name, configured ? configured : "(none configured)",
                 found);
    return found;
}

extern char **environ;

/* The daemon's environment with messages forced to English: diagnostics are
   parsed by their "error:" / "warning:" words. */
void eng_setup_env(build *b)
{
    size_t n = 0;
    while (environ[n])
        n++;
    b->envp = xcalloc(n + 2, sizeof *b->envp);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        if (!strncmp(e, "LC_ALL=", 7) || !strncmp(e, "LC_MESSAGES=", 12) || !strncmp(e, "LANGUAGE=", 9))
            continue;
        b->envp[o++] = xstrdup(e);
    }
    b->envp[o++] = xstrdup("LC_MESSAGES=C");
    b->envp[o] = NULL;
}
