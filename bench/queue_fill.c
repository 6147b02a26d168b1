/* queue_fill.c - fills HOME/jobs.db with N finished discovery jobs through jobstore.h, for the idle-memory bench. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobstore.h"

/* jobstore_finish commits its own transaction (synchronous=FULL), so filling
 * 100,000 jobs would cost some 200,000 fsyncs: minutes on an ordinary disk.
 * The filler's own durability does not matter (it exits cleanly and the bench
 * only reads the file afterwards), so this program replaces fsync and
 * fdatasync for itself: the dynamic linker binds SQLite's calls to these
 * definitions. The rows written are exactly those the daemon would write. */
int fsync(int fd) { return 0; }
int fdatasync(int fd) { return 0; }

#define BATCH 1000

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: queue_fill HOME COUNT SCAN_DIR\n");
        return 2;
    }
    const char *home = argv[1];
    long count = atol(argv[2]);
    const char *scan = argv[3];
    if (count <= 0 || scan[0] != '/') {
        fprintf(stderr, "queue_fill: COUNT must be positive and SCAN_DIR absolute\n");
        return 2;
    }
    if (mkdir(home, 0700) != 0 && errno != EEXIST) {
        perror(home);
        return 1;
    }
    char db[4096], err[512];
    snprintf(db, sizeof db, "%s/jobs.db", home);
    jobstore *store = jobstore_open(db, err, sizeof err);
    if (!store) {
        fprintf(stderr, "queue_fill: %s\n", err);
        return 1;
    }
    /* What a discovery of a one-file folder stores: args in, a result like discovery_scan's out. */
    char type[] = "discovery";
    char args[4200], result[8600];
    snprintf(args, sizeof args, "{\"path\":\"%s\"}", scan);
    snprintf(result, sizeof result,
             "{\"root\":\"%s\",\"sources\":[\"src/x.c\"],\"headers\":[],\"include_dirs\":[],\"binaries\":[],"
             "\"include_graph\":{\"src/x.c\":[]},\"external_includes\":[],"
             "\"counts\":{\"sources\":1,\"headers\":0,\"binaries\":0}}",
             scan);
    job_spec specs[BATCH];
    memset(specs, 0, sizeof specs);
    for (int i = 0; i < BATCH; i++) {
        specs[i].type = type;
        specs[i].priority = 5;
        specs[i].args_json = args;
    }
    char *ids[BATCH];
    for (long done = 0; done < count;) {
        size_t n = count - done < BATCH ? (size_t)(count - done) : BATCH;
        int64_t t = wall_ms();
        if (jobstore_submit(store, specs, n, ids, t, err, sizeof err) != 0) {
            fprintf(stderr, "queue_fill: submit: %s\n", err);
            jobstore_close(store);
            return 1;
        }
        /* Through the same calls the orchestrator makes when a job starts and completes. */
        for (size_t i = 0; i < n; i++) {
            if (jobstore_mark_running(store, ids[i], "discovery", t) != 0 ||
                jobstore_finish(store, ids[i], JOB_COMPLETED, result, NULL, t + 1) != 0) {
                fprintf(stderr, "queue_fill: cannot finish %s\n", ids[i]);
                jobstore_close(store);
                return 1;
            }
            free(ids[i]);
        }
        done += (long)n;
    }
    int completed = jobstore_count(store, JOB_COMPLETED);
    jobstore_close(store);
    printf("fill jobs=%ld completed=%d\n", count, completed);
    return completed >= count ? 0 : 1;
}
