/* libpath.c - finding a shared library on the linker's search path, and the header parser beside jmake. */
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bindings.h"

/* Folders named in an ld.so.conf file, its "include" globs followed (depth-limited). */
static void read_ld_conf(const char *path, strvec *dirs, int depth)
{
    if (depth > 4)
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[PATH_MAX];
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (!*s)
            continue;
        if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
            char *pattern = s + 8;
            while (*pattern == ' ' || *pattern == '\t')
                pattern++;
            char *dir = path_dirname(path);
            char *full = path_absolute(dir, pattern);
            free(dir);
            glob_t g;
            if (glob(full, 0, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                    read_ld_conf(g.gl_pathv[i], dirs, depth + 1);
                globfree(&g);
            }
            free(full);
        } else if (s[0] == '/' && !strvec_contains(dirs, s)) {
            strvec_push(dirs, s);
        }
    }
    fclose(f);
}

static void linker_dirs(strvec *dirs)
{
    read_ld_conf("/etc/ld.so.conf", dirs, 0);
    static const char *const fixed[] = {
#if defined(__x86_64__)
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
        "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
#endif
        "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", NULL};
    for (int i = 0; fixed[i]; i++)
        if (!strvec_contains(dirs, fixed[i]))
            strvec_push(dirs, fixed[i]);
}

/* "libfoo.so.1.2.3" in dir for want "libfoo.so": the shortest version suffix, so libz.so.1 before libz.so.1.2.13. */
static char *versioned_match(const char *dir, const char *want)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t wl = strlen(want);
    char *best = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, want, wl) != 0 || de->d_name[wl] != '.')
            continue;
        if (!best || strlen(de->d_name) < strlen(best)) {
            free(best);
            best = xstrdup(de->d_name);
        }
    }
    closedir(d);
    if (!best)
        return NULL;
    char *full = path_join(dir, best);
    free(best);
    return full;
}

char *bindings_find_library(const char *name, bool *found_elsewhere, char *where, size_t where_size)
{
    *found_elsewhere = false;
    if (where_size)
        where[0] = '\0';
    if (file_exists(name))
        return path_absolute(NULL, name);
    const char *base = path_basename(name);
    strvec dirs = {0};
    linker_dirs(&dirs);
    char *found = NULL;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        char *candidate = path_join(dirs.v[i], base);
        if (file_exists(candidate))
            found = candidate;
        else
            free(candidate);
    }
    /* Without the -dev package there is no unversioned libfoo.so: take the runtime's libfoo.so.N. */
    const char *so = strstr(base, ".so");
    for (size_t i = 0; i < dirs.n && !found && so && so[3] == '\0'; i++)
        found = versioned_match(dirs.v[i], base);
    if (found) {
        *found_elsewhere = true;
    } else if (where_size) {
        size_t len = 0;
        for (size_t i = 0; i < dirs.n && len + 2 < where_size; i++)
            len += (size_t)snprintf(where + len, where_size - len, "%s%s", i ? ", " : "", dirs.v[i]);
    }
    strvec_free(&dirs);
    return found;
}

char *bindings_parser_path(void)
{
    const char *env = getenv("JMAKE_PARSE_HEADERS");
    if (env && *env)
        return xstrdup(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *dir = path_dirname(self);
    char *beside = path_join(dir, "jmake-parse-headers");
    char *libexec_rel = JMAKE_LIBEXECDIR[0] == '/' ? xstrdup(JMAKE_LIBEXECDIR "/jmake/jmake-parse-headers")
                                                   : xstrdup("../" JMAKE_LIBEXECDIR "/jmake/jmake-parse-headers");
    char *installed = path_absolute(dir, libexec_rel);
    free(libexec_rel);
    free(dir);
    if (access(beside, X_OK) == 0) {
        free(installed);
        return beside;
    }
    free(beside);
    if (access(installed, X_OK) == 0)
        return installed;
    free(installed);
    return NULL;
}
