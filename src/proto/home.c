/* home.c - the daemon home: where it is and the names of everything inside it. */
#include "home.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libjmake is built without util.c; a tiny formatter keeps it self-contained. */
static char *home_format(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 2;
    char *out = malloc(n);
    if (!out)
        abort();
    snprintf(out, n, "%s%s%s", a, b, c ? c : "");
    return out;
}

char *home_resolve(const char *explicit_home)
{
    const char *chosen = explicit_home;
    char *owned = NULL;
    if (!chosen || !*chosen)
        chosen = getenv("JMAKE_HOME");
    if (!chosen || !*chosen) {
        const char *xdg = getenv("XDG_STATE_HOME");
        if (xdg && *xdg) {
            owned = home_format(xdg, "/jmake", NULL);
        } else {
            const char *h = getenv("HOME");
            if (!h || !*h)
                return NULL;
            owned = home_format(h, "/.local/state/jmake", NULL);
        }
        chosen = owned;
    }
    char *result;
    if (chosen[0] == '/') {
        result = strdup(chosen);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            free(owned);
            return NULL;
        }
        result = home_format(cwd, "/", chosen);
    }
    free(owned);
    /* Trailing slashes would double up in every joined path. */
    size_t len = strlen(result);
    while (len > 1 && result[len - 1] == '/')
        result[--len] = '\0';
    return result;
}

char *home_run_dir(const char *home) { return home_format(home, "/run", NULL); }
char *home_socket_path(const char *home) { return home_format(home, "/run/jmake.sock", NULL); }
char *home_log_dir(const char *home) { return home_format(home, "/logs", NULL); }
char *home_jobs_dir(const char *home) { return home_format(home, "/jobs", NULL); }
char *home_state_dir(const char *home) { return home_format(home, "/state", NULL); }
char *home_queue_db(const char *home) { return home_format(home, "/jobs.db", NULL); }

char *home_pid_path(const char *home, const char *daemon)
{
    char *dir = home_format(home, "/run/", daemon);
    char *out = home_format(dir, ".pid", NULL);
    free(dir);
    return out;
}
