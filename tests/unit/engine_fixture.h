/* engine_fixture.h - the engine unit tests' scaffolding: a temporary project, an engine over its home, builds with expected counts. Include after cmocka.h. */
#ifndef JMAKE_ENGINE_FIXTURE_H
#define JMAKE_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "testutil.h"
#include "util.h"


typedef struct tproj {
    char *home;     /* temporary folder holding everything */
    char *root;     /* the project */
    char *cfg;      /* root/jmake.toml */
    engine *eng;
} tproj;

/* Writes text to root/rel, folders created on the way. Plain fopen, not an
   atomic write: some tests use names at the file system's length limit. */
static inline void wf(const char *root, const char *rel, const char *text)
{
    char *p = path_join(root, rel);
    char *d = path_dirname(p);
    assert_int_equal(mkdir_p(d, 0755), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(d);
    free(p);
}

static inline engine *new_engine(const char *home, bool cache, int parallel)
{
    char *state = path_join(home, "state"), *cdir = path_join(home, "cache");
    engine_options o = {.state_dir = state, .cache_dir = cdir, .cache_enabled = cache, .cache_size_mb = 512,
                        .max_parallel = parallel, .build_timeout_s = 600, .incremental = true};
    engine *e = engine_new(&o);
    free(state);
    free(cdir);
    return e;
}

static inline void tproj_init(tproj *t, const char *toml, bool cache)
{
    t->home = test_tempdir("engine");
    t->root = path_join(t->home, "proj");
    wf(t->root, "jmake.toml", toml);
    t->cfg = path_join(t->root, "jmake.toml");
    t->eng = new_engine(t->home, cache, 2);
}

static inline void tproj_free(tproj *t)
{
    engine_free(t->eng);
    remove_tree(t->home);
    free(t->home);
    free(t->root);
    free(t->cfg);
}

static inline int run_build(engine *eng, const char *cfg, cJSON **res)
{
    engine_job job = {.config_path = cfg};
    char *reason = NULL;
    int rc = engine_build(eng, &job, res, &reason);
    if (rc < 0)
        fprintf(stderr, "build failed to run: %s\n", reason ? reason : "?");
    free(reason);
    return rc;
}

static inline int num(const cJSON *r, const char *obj, const char *field)
{
    const cJSON *o = cJSON_GetObjectItem(r, obj);
    assert_non_null(o);
    const cJSON *v = cJSON_GetObjectItem(o, field);
    assert_non_null(v);
    return (int)cJSON_GetNumberValue(v);
}

static inline bool has_symbol(const cJSON *r, const char *name)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "symbols"))
        if (!strcmp(cJSON_GetStringValue(s), name))
            return true;
    return false;
}

/* Builds and checks (compiled, from_cache, up_to_date). */
static inline cJSON *expect_build(tproj *t, int rc_want, int compiled, int from_cache, int up_to_date)
{
    cJSON *r = NULL;
    int rc = run_build(t->eng, t->cfg, &r);
    assert_int_equal(rc, rc_want);
    assert_non_null(r);
    if (compiled >= 0)
        assert_int_equal(num(r, "files", "compiled"), compiled);
    if (from_cache >= 0)
        assert_int_equal(num(r, "files", "from_cache"), from_cache);
    if (up_to_date >= 0)
        assert_int_equal(num(r, "files", "up_to_date"), up_to_date);
    return r;
}

/* A project file: sources in src/, headers in include/, cc and library kind as given, extra [compile] lines. Static buffer. */
static inline const char *base_toml(const char *cc, const char *kind, const char *extra)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "[project]\nname = \"demo\"\n[paths]\nsource = \"src\"\ninclude = [\"include\"]\n"
             "[compile]\ncc = \"%s\"\nflags = [\"-O1\", \"-Wall\"]\n%s\n[binary]\nlibrary_type = \"%s\"\n",
             cc, extra, kind);
    return buf;
}

#endif
