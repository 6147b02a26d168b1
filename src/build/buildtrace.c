/* buildtrace.c - recording a build's timeline (steps, commands on slot lanes, check threads) and writing it in the Chrome trace event format. */
#include "buildtrace.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct buildtrace {
    uint64_t t0_ns;             /* CLOCK_MONOTONIC at buildtrace_new */
    pthread_mutex_t lock;       /* guards slices */
    buildtrace_slice *slices;
    size_t nslices, cap;
    bool *lane_busy;            /* slot lanes; build thread only */
    size_t nlanes;
    uint64_t *unit_begin_ns;    /* per unit index; build thread only */
    int *unit_lane;
    size_t nunits;
    atomic_int check_lanes;     /* check lanes handed out */
    strvec kept_names;          /* buildtrace_keep_name's copies */
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)timespec_ns(&ts);
}

buildtrace *buildtrace_new(void)
{
    buildtrace *t = xcalloc(1, sizeof *t);
    t->t0_ns = monotonic_ns();
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void buildtrace_free(buildtrace *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->slices);
    free(t->lane_busy);
    free(t->unit_begin_ns);
    free(t->unit_lane);
    strvec_free(&t->kept_names);
    free(t);
}

const char *buildtrace_keep_name(buildtrace *t, const char *s)
{
    pthread_mutex_lock(&t->lock);
    strvec_push(&t->kept_names, s);
    const char *copy = t->kept_names.v[t->kept_names.n - 1];
    pthread_mutex_unlock(&t->lock);
    return copy;
}

uint64_t buildtrace_start_ms(const buildtrace *t)
{
    return t->t0_ns / 1000000u;
}

uint64_t buildtrace_now(const buildtrace *t)
{
    uint64_t now = monotonic_ns();
    return now > t->t0_ns ? now - t->t0_ns : 0;
}

void buildtrace_add(buildtrace *t, const buildtrace_slice *s)
{
    pthread_mutex_lock(&t->lock);
    if (t->nslices == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->slices = xrealloc(t->slices, t->cap * sizeof *t->slices);
    }
    t->slices[t->nslices++] = *s;
    pthread_mutex_unlock(&t->lock);
}

void buildtrace_step(buildtrace *t, const char *name, uint64_t begin_ns, uint64_t end_ns, const char *outcome)
{
    buildtrace_slice s = {.name = name, .cat = BUILDTRACE_STEP, .lane_kind = BUILDTRACE_LANE_BUILD,
                          .begin_ns = begin_ns, .end_ns = end_ns, .outcome = outcome};
    buildtrace_add(t, &s);
}

int buildtrace_lane_take(buildtrace *t)
{
    for (size_t i = 0; i < t->nlanes; i++)
        if (!t->lane_busy[i]) {
            t->lane_busy[i] = true;
            return (int)i;
        }
    t->lane_busy = xrealloc(t->lane_busy, (t->nlanes + 1) * sizeof *t->lane_busy);
    t->lane_busy[t->nlanes] = true;
    return (int)t->nlanes++;
}

void buildtrace_lane_give(buildtrace *t, int lane)
{
    if (lane >= 0 && (size_t)lane < t->nlanes)
        t->lane_busy[lane] = false;
}

void buildtrace_set_units(buildtrace *t, size_t count)
{
    free(t->unit_begin_ns);
    free(t->unit_lane);
    t->unit_begin_ns = xcalloc(count ? count : 1, sizeof *t->unit_begin_ns);
    t->unit_lane = xcalloc(count ? count : 1, sizeof *t->unit_lane);
    t->nunits = count;
}

void buildtrace_unit_begin(buildtrace *t, size_t unit)
{
    if (unit >= t->nunits)
        return;
    t->unit_lane[unit] = buildtrace_lane_take(t);
    t->unit_begin_ns[unit] = buildtrace_now(t);
}

void buildtrace_unit_end(buildtrace *t, size_t unit, const char *name, uint64_t end_ns, const char *outcome)
{
    if (unit >= t->nunits)
        return;
    buildtrace_slice s = {.name = name, .cat = BUILDTRACE_COMPILE, .lane_kind = BUILDTRACE_LANE_SLOT,
                          .lane = t->unit_lane[unit], .begin_ns = t->unit_begin_ns[unit],
                          .end_ns = end_ns < t->unit_begin_ns[unit] ? t->unit_begin_ns[unit] : end_ns,
                          .outcome = outcome};
    buildtrace_add(t, &s);
    buildtrace_lane_give(t, t->unit_lane[unit]);
}

/* ------------------------------------------------------ check threads */

void buildtrace_checker_begin(buildtrace_checker *ck, buildtrace *t)
{
    memset(ck, 0, sizeof *ck);
    ck->t = t;
    if (!t)
        return;
    ck->lane = atomic_fetch_add(&t->check_lanes, 1);
    ck->run_begin_ns = buildtrace_now(t);
}

/* The open run of decisions, up to end_ns, as one slice; a new run starts there. */
static void checker_close_run(buildtrace_checker *ck, uint64_t end_ns)
{
    if (ck->units) {
        buildtrace_slice s = {.name = "check", .cat = BUILDTRACE_CHECK, .lane_kind = BUILDTRACE_LANE_CHECK,
                              .lane = ck->lane, .begin_ns = ck->run_begin_ns, .end_ns = end_ns,
                              .units = ck->units, .up_to_date = ck->up_to_date};
        buildtrace_add(ck->t, &s);
    }
    ck->units = ck->up_to_date = 0;
    ck->run_begin_ns = end_ns;
}

void buildtrace_checker_unit(buildtrace_checker *ck, const char *name, uint64_t begin_ns, bool restored,
                             bool up_to_date)
{
    if (!ck->t)
        return;
    if (!restored) {
        ck->units++;
        ck->up_to_date += up_to_date;
        return;
    }
    checker_close_run(ck, begin_ns);
    uint64_t end = buildtrace_now(ck->t);
    buildtrace_slice s = {.name = name, .cat = BUILDTRACE_RESTORE, .lane_kind = BUILDTRACE_LANE_CHECK,
                          .lane = ck->lane, .begin_ns = begin_ns, .end_ns = end, .outcome = "from_cache"};
    buildtrace_add(ck->t, &s);
    ck->run_begin_ns = end;
}

void buildtrace_checker_end(buildtrace_checker *ck)
{
    if (ck->t)
        checker_close_run(ck, buildtrace_now(ck->t));
}

/* ------------------------------------------------------------ slowest */

static bool is_compiled(const buildtrace_slice *s)
{
    return s->cat == BUILDTRACE_COMPILE && s->outcome && strcmp(s->outcome, "compiled") == 0;
}

void buildtrace_add_slowest(const buildtrace *t, cJSON *result, size_t n)
{
    const buildtrace_slice **top = xcalloc(n ? n : 1, sizeof *top);
    size_t have = 0;
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    for (size_t i = 0; i < t->nslices; i++) {
        const buildtrace_slice *s = &t->slices[i];
        if (!is_compiled(s))
            continue;
        uint64_t d = s->end_ns - s->begin_ns;
        size_t pos = have < n ? have : n;
        /* Insertion into the sorted top n: a 50,000-unit build costs 50,000 compares, no sort. */
        while (pos > 0 && top[pos - 1]->end_ns - top[pos - 1]->begin_ns < d) {
            if (pos < n)
                top[pos] = top[pos - 1];
            pos--;
        }
        if (pos < n) {
            top[pos] = s;
            if (have < n)
                have++;
        }
    }
    cJSON *list = cJSON_AddArrayToObject(result, "slowest");
    for (size_t i = 0; i < have; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "file", top[i]->name);
        /* Tenths of a millisecond: finer would be noise from the poll that noticed the end. */
        cJSON_AddNumberToObject(e, "ms", (double)((top[i]->end_ns - top[i]->begin_ns + 50000) / 100000) / 10.0);
        cJSON_AddItemToArray(list, e);
    }
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    free(top);
}

/* ------------------------------------------------------------- writing */

static void put_str(bytebuf *b, const char *s) { bytebuf_put(b, s, strlen(s)); }

static void put_fmt(bytebuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(bytebuf *b, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        bytebuf_put(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A JSON string. Bytes that are not UTF-8 are left for the one utf8_sanitize
   pass over the whole text: paths may hold any byte but NUL and '/'. */
static void put_json_string(bytebuf *b, const char *s)
{
    bytebuf_put(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        bytebuf_put(b, run, (size_t)(p - run));
        if (c == '"' || c == '\\')
            put_fmt(b, "\\%c", c);
        else
            put_fmt(b, "\\u%04x", c);
        run = p + 1;
    }
    put_str(b, run);
    bytebuf_put(b, "\"", 1);
}

/* Microseconds, as the format wants them, to the nanosecond. */
static void put_us(bytebuf *b, uint64_t ns)
{
    put_fmt(b, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

static const char *cat_name(buildtrace_cat c)
{
    switch (c) {
    case BUILDTRACE_STEP: return "step";
    case BUILDTRACE_COMPILE: return "compile";
    case BUILDTRACE_TOOL: return "link";
    case BUILDTRACE_RESTORE: return "cache restore";
    case BUILDTRACE_CHECK: return "check";
    }
    return "?";
}

/* Thread ids: 1 the build lane, then the slot lanes, then the check lanes. */
static int tid_of(const buildtrace_slice *s, int nslots)
{
    switch (s->lane_kind) {
    case BUILDTRACE_LANE_BUILD: return 1;
    case BUILDTRACE_LANE_SLOT: return 2 + s->lane;
    case BUILDTRACE_LANE_CHECK: return 2 + nslots + s->lane;
    }
    return 1;
}

static void put_lane_name(bytebuf *b, int tid, const char *kind, int number)
{
    put_fmt(b, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"", tid);
    if (number > 0)
        put_fmt(b, "%s %d", kind, number);
    else
        put_str(b, kind);
    put_fmt(b, "\"}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":%d,\"args\":{\"sort_index\":%d}}",
            tid, tid);
}

static void put_slice(bytebuf *b, const buildtrace_slice *s, int nslots)
{
    put_str(b, ",\n{\"ph\":\"X\",\"name\":");
    put_json_string(b, s->name ? s->name : cat_name(s->cat));
    put_fmt(b, ",\"cat\":\"%s\",\"ts\":", cat_name(s->cat));
    put_us(b, s->begin_ns);
    put_str(b, ",\"dur\":");
    put_us(b, s->end_ns - s->begin_ns);
    put_fmt(b, ",\"pid\":1,\"tid\":%d,\"args\":{", tid_of(s, nslots));
    const char *sep = "";
    if (s->cat == BUILDTRACE_COMPILE || s->cat == BUILDTRACE_RESTORE) {
        put_str(b, "\"file\":");
        put_json_string(b, s->name ? s->name : "");
        sep = ",";
    }
    if (s->outcome) {
        put_fmt(b, "%s\"outcome\":", sep);
        put_json_string(b, s->outcome);
        sep = ",";
    }
    if (s->cat == BUILDTRACE_CHECK)
        put_fmt(b, "%s\"units\":%zu,\"up_to_date\":%zu", sep, s->units, s->up_to_date);
    put_str(b, "}}");
}

int buildtrace_write(const buildtrace *t, const char *path, const char *process_name, const char *job_id,
                     const char *project)
{
    bytebuf b = {0};
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    /* Slot lanes are taken lowest first, so 0..nslots-1 all hold slices; a
       check thread that got no unit has none and its lane is not named. */
    int nslots = 0, nchecks = atomic_load(&((buildtrace *)t)->check_lanes);
    bool *check_used = xcalloc((size_t)nchecks + 1, sizeof *check_used);
    for (size_t i = 0; i < t->nslices; i++) {
        const buildtrace_slice *s = &t->slices[i];
        if (s->lane_kind == BUILDTRACE_LANE_SLOT && s->lane + 1 > nslots)
            nslots = s->lane + 1;
        if (s->lane_kind == BUILDTRACE_LANE_CHECK && s->lane < nchecks)
            check_used[s->lane] = true;
    }
    put_fmt(&b, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"jmake_trace_version\":%d,\"job\":", BUILDTRACE_VERSION);
    put_json_string(&b, job_id ? job_id : "");
    put_str(&b, ",\"project\":");
    put_json_string(&b, project ? project : "");
    put_str(&b, "},\n\"traceEvents\":[\n");
    put_str(&b, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":");
    put_json_string(&b, process_name ? process_name : "jmake build");
    put_str(&b, "}}");
    put_lane_name(&b, 1, "build", 0);
    for (int i = 0; i < nslots; i++)
        put_lane_name(&b, 2 + i, "slot", i + 1);
    for (int i = 0; i < nchecks; i++)
        if (check_used[i])
            put_lane_name(&b, 2 + nslots + i, "check", i + 1);
    free(check_used);
    for (size_t i = 0; i < t->nslices; i++)
        put_slice(&b, &t->slices[i], nslots);
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    put_str(&b, "\n]}\n");
    bytebuf_put(&b, "", 1);
    utf8_sanitize((char *)b.p);
    int rc = write_file_atomic(path, b.p, b.len - 1, 0644);
    free(b.p);
    return rc;
}

/* ------------------------------------------------------ keeping the last */

char *buildtrace_file_name(const char *job_id)
{
    if (!job_id || !*job_id || strchr(job_id, '/'))
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return xasprintf("%020lld.%s.json", (long long)timespec_ns(&ts), job_id);
}

/* A name buildtrace_file_name made: 20 digits, a dot, something, ".json". */
static bool is_trace_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 20 + 1 + 1 + 5 || name[20] != '.' || strcmp(name + n - 5, ".json") != 0)
        return false;
    for (int i = 0; i < 20; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return true;
}

int buildtrace_prune(const char *dir, size_t keep, const char *keep_name)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    strvec names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_trace_name(e->d_name))
            strvec_push(&names, e->d_name);
    closedir(d);
    /* The names start with the time they were written: oldest first. */
    qsort(names.v, names.n, sizeof *names.v, strptr_cmp);
    int deleted = 0;
    size_t left = names.n;
    for (size_t i = 0; i < names.n && left > keep; i++) {
        if (keep_name && strcmp(names.v[i], keep_name) == 0)
            continue;
        char *p = path_join(dir, names.v[i]);
        if (unlink(p) == 0 || errno == ENOENT) {
            deleted++;
            left--;
        }
        free(p);
    }
    strvec_free(&names);
    return deleted;
}
