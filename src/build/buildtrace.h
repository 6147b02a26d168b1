/* buildtrace.h - a build's timeline: slices per step, per command slot and per check thread, written as a Chrome trace (Perfetto, chrome://tracing) and kept for the last few builds of a project. */
#ifndef JMAKE_BUILDTRACE_H
#define JMAKE_BUILDTRACE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Timelines kept per project: writing one deletes all but the newest this many. */
#define BUILDTRACE_KEEP 5
/* Units the result's "slowest" list names. */
#define BUILDTRACE_SLOWEST 5
/* Written into the trace's otherData, so a reader can tell a later format. */
#define BUILDTRACE_VERSION 1

/* Which row of the picture a slice is on. The build lane holds the steps
 * (scan, units, link, result) one after another; a slot lane holds the
 * commands that ran on one command slot of this build, one at a time (a lane
 * is taken from a free-lane pool when a command starts and given back when it
 * ends, so two slices on one lane never overlap); a check lane holds what one
 * check thread did. */
typedef enum buildtrace_lane_kind {
    BUILDTRACE_LANE_BUILD,
    BUILDTRACE_LANE_SLOT,
    BUILDTRACE_LANE_CHECK,
} buildtrace_lane_kind;

/* The slice's category ("cat" in the trace). */
typedef enum buildtrace_cat {
    BUILDTRACE_STEP,        /* a step of the build, on the build lane */
    BUILDTRACE_COMPILE,     /* one unit's compiler, on a slot lane */
    BUILDTRACE_TOOL,        /* one link command (ld, ar, llvm-link, opt), on a slot lane */
    BUILDTRACE_RESTORE,     /* one unit copied from the cache, on a check lane */
    BUILDTRACE_CHECK,       /* consecutive decisions of one check thread that restored nothing */
} buildtrace_cat;

typedef struct buildtrace_slice {
    const char *name;       /* borrowed until buildtrace_write: a unit's path relative to the root, a tool, a step */
    buildtrace_cat cat;
    buildtrace_lane_kind lane_kind;
    int lane;               /* 0-based within its kind */
    uint64_t begin_ns, end_ns;  /* since the build's start */
    const char *outcome;    /* static or borrowed like name: "compiled", "failed", "from_cache", ...; may be NULL */
    size_t units, up_to_date;   /* BUILDTRACE_CHECK: units decided, of which up to date */
} buildtrace_slice;

/* One build's recorder. Slices may be added from any thread; lanes and unit
 * commands (take, unit_begin, unit_end) belong to the build thread alone. */
typedef struct buildtrace buildtrace;

/* Starts the clock: every time is relative to this call. Caller frees with buildtrace_free. */
buildtrace *buildtrace_new(void);
void buildtrace_free(buildtrace *t);
/* The timeline's zero as clock_monotonic_ms reads it: a build's t_start, so
 * its timings and the timeline share one origin. */
uint64_t buildtrace_start_ms(const buildtrace *t);
/* Nanoseconds since buildtrace_new. Thread-safe. */
uint64_t buildtrace_now(const buildtrace *t);

/* Adds a finished slice (copied; its strings stay borrowed). Thread-safe. */
void buildtrace_add(buildtrace *t, const buildtrace_slice *s);
/* A step on the build lane; name and outcome static or outliving t. */
void buildtrace_step(buildtrace *t, const char *name, uint64_t begin_ns, uint64_t end_ns, const char *outcome);

/* A copy of s owned by t, for a name that would not live until buildtrace_write. */
const char *buildtrace_keep_name(buildtrace *t, const char *s);

/* Slot lanes: the lowest free one, busy until given back. */
int buildtrace_lane_take(buildtrace *t);
void buildtrace_lane_give(buildtrace *t, int lane);

/* A unit's command, by the unit's index: begin takes a slot lane and the
 * time; end gives the lane back and adds the slice (name borrowed). Sized by
 * buildtrace_set_units first. */
void buildtrace_set_units(buildtrace *t, size_t count);
void buildtrace_unit_begin(buildtrace *t, size_t unit);
void buildtrace_unit_end(buildtrace *t, size_t unit, const char *name, uint64_t end_ns, const char *outcome);

/* What one check thread did, recorded without a slice per up-to-date unit:
 * consecutive decisions that restored nothing merge into one CHECK slice
 * (so a no-op build of 10,000 units gives one slice per check thread), and
 * each restore is a slice of its own. Owned by the thread that runs it. */
typedef struct buildtrace_checker {
    buildtrace *t;          /* borrowed; NULL records nothing */
    int lane;
    uint64_t run_begin_ns;
    size_t units, up_to_date;
} buildtrace_checker;

/* Takes the next check lane of t (t may be NULL). */
void buildtrace_checker_begin(buildtrace_checker *ck, buildtrace *t);
/* One unit decided, from begin_ns to now; name borrowed. */
void buildtrace_checker_unit(buildtrace_checker *ck, const char *name, uint64_t begin_ns, bool restored,
                             bool up_to_date);
/* Closes the open CHECK slice. */
void buildtrace_checker_end(buildtrace_checker *ck);

/* Adds "slowest": [{file, ms}] to result (borrowed): the n compiled units
 * whose compiler ran longest, longest first. */
void buildtrace_add_slowest(const buildtrace *t, cJSON *result, size_t n);

/* Writes the trace to path atomically (temporary file and rename): process
 * name process_name, job id and project in otherData (both borrowed, may be
 * NULL). Returns 0 or -errno. */
int buildtrace_write(const buildtrace *t, const char *path, const char *process_name, const char *job_id,
                     const char *project);

/* The file name of a new timeline of job_id: "<wall-clock ns, 20 digits>.<job_id>.json",
 * so names sort in the order they were written. Caller frees. NULL when
 * job_id cannot be part of a file name (empty, or with a '/'). */
char *buildtrace_file_name(const char *job_id);

/* Deletes the timelines (*.json named by buildtrace_file_name) in dir but the
 * newest keep; the file called keep_name (borrowed, may be NULL) is never
 * deleted. Returns how many were deleted, or -errno when dir cannot be read. */
int buildtrace_prune(const char *dir, size_t keep, const char *keep_name);

#endif
