/* testutil.h - small helpers shared by the unit tests: temporary folders, files, diagnostics. Include after cmocka.h. */
#ifndef JMAKE_TESTUTIL_H
#define JMAKE_TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

/* A new folder /tmp/jmake-test-<what>-XXXXXX; caller frees the path (and removes the folder). */
static inline char *test_tempdir(const char *what)
{
    char *tmpl = xasprintf("/tmp/jmake-test-%s-XXXXXX", what);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

/* Writes text to dir/name (creating folders on the way); returns the path, caller frees. */
static inline char *test_write_text(const char *dir, const char *name, const char *text)
{
    char *path = path_join(dir, name);
    char *parent = path_dirname(path);
    assert_int_equal(mkdir_p(parent, 0700), 0);
    free(parent);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
    return path;
}

/* The first diagnostic of severity sev whose message holds needle, or NULL. */
static inline const diag_item *test_find_diag(const diag_list *d, diag_severity sev, const char *needle)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].severity == sev && strstr(d->items[i].message, needle))
            return &d->items[i];
    return NULL;
}

/* Output (stdout and stderr) of cmd run by sh in dir, in the C locale; caller frees. */
static inline char *test_run_in(const char *dir, const char *cmd)
{
    char *full = xasprintf("cd '%s' && LC_ALL=C %s 2>&1", dir, cmd);
    FILE *p = popen(full, "r");
    free(full);
    assert_non_null(p);
    bytebuf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        bytebuf_put(&b, chunk, n);
    pclose(p);
    bytebuf_put(&b, "", 1);
    return (char *)b.p;
}

/* Whether the shell finds a command called name. */
static inline bool test_have_tool(const char *name)
{
    char *cmd = xasprintf("command -v %s >/dev/null 2>&1", name);
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

#endif
