/* queue_bench.c - queue benchmarks: durable submit rate over libjmake vs beanstalkd, job_status and CLI round trips. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>

#include "jmake.h"

extern char **environ;

#define MAX_CLIENTS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *sorted, size_t n, double p)
{
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

static void print_latencies(const char *what, double *ms, size_t n)
{
    qsort(ms, n, sizeof *ms, cmp_double);
    printf("%s count=%zu median_ms=%.4f p90_ms=%.4f p99_ms=%.4f min_ms=%.4f max_ms=%.4f\n", what, n,
           percentile(ms, n, 50), percentile(ms, n, 90), percentile(ms, n, 99), ms[0], ms[n - 1]);
}

/* The job both sides carry: the same JSON text, so that payload sizes match. */
static char *job_json(const char *scan_path)
{
    size_t len = strlen(scan_path) + 128;
    char *text = malloc(len);
    snprintf(text, len, "{\"type\":\"discovery\",\"priority\":5,\"args\":{\"path\":\"%s\"}}", scan_path);
    return text;
}

/* ---- shared thread harness: every client connects first, then all start together ---- */

typedef struct client_run {
    int index;
    long jobs;             /* this client's share */
    const char *target;    /* home (jmake) or port (beanstalkd) */
    const char *payload;   /* scan path (jmake) or job text (beanstalkd) */
    pthread_barrier_t *ready;
    double *ms;            /* this client's submit round trips, in order */
    long done;
    char error[256];
} client_run;

typedef void *(*client_fn)(void *);

/* Mean of ms[from, to). */
static double mean_ms(const double *ms, long from, long to)
{
    double sum = 0;
    for (long i = from; i < to; i++)
        sum += ms[i];
    return to > from ? sum / (double)(to - from) : 0;
}

/* Starts clients threads running fn, each with jobs/clients jobs; returns the
 * wall time from the common start to the last finish, or -1 on a failure.
 * Also prints the round trips of client 0: its first tenth against its last
 * tenth shows whether a submit gets slower as the queue grows. */
static double run_clients(client_fn fn, long jobs, int clients, const char *target, const char *payload)
{
    pthread_t threads[MAX_CLIENTS];
    client_run runs[MAX_CLIENTS];
    pthread_barrier_t ready;
    /* clients + 1: this thread takes the start time once every connection is up. */
    pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
    for (int i = 0; i < clients; i++) {
        runs[i] = (client_run){.index = i, .jobs = jobs / clients + (i < jobs % clients), .target = target,
                               .payload = payload, .ready = &ready};
        runs[i].ms = calloc((size_t)runs[i].jobs + 1, sizeof *runs[i].ms);
        pthread_create(&threads[i], NULL, fn, &runs[i]);
    }
    pthread_barrier_wait(&ready);
    double t0 = now_s();
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    double elapsed = now_s() - t0;
    pthread_barrier_destroy(&ready);
    long done = 0;
    bool failed = false;
    for (int i = 0; i < clients; i++) {
        done += runs[i].done;
        if (runs[i].error[0]) {
            fprintf(stderr, "client %d: %s\n", i, runs[i].error);
            failed = true;
        }
    }
    if (failed || done != jobs) {
        fprintf(stderr, "only %ld of %ld submits succeeded\n", done, jobs);
        elapsed = -1;
    } else {
        long n = runs[0].done, tenth = n / 10 > 0 ? n / 10 : 1;
        printf("client0_first_tenth_ms=%.3f client0_last_tenth_ms=%.3f ", mean_ms(runs[0].ms, 0, tenth),
               mean_ms(runs[0].ms, n - tenth, n));
    }
    for (int i = 0; i < clients; i++)
        free(runs[i].ms);
    return elapsed;
}

/* ---- jmake: jmake_submit_job in a loop, one connection per thread ---- */

static void *jmake_client_main(void *arg)
{
    client_run *run = arg;
    jmake_client *client = NULL;
    int rc = jmake_connect(run->target, &client);
    if (rc != JMAKE_OK)
        snprintf(run->error, sizeof run->error, "connect: %s", client ? jmake_last_error(client) : "no memory");
    /* Everyone reaches the barrier, connected or not, so that the start cannot hang. */
    pthread_barrier_wait(run->ready);
    if (rc != JMAKE_OK) {
        jmake_disconnect(client);
        return NULL;
    }
    char args[1024];
    snprintf(args, sizeof args, "{\"path\":\"%s\"}", run->payload);
    jmake_job_options opts = {.type = "discovery", .priority = 5, .args_json = args};
    for (long i = 0; i < run->jobs; i++) {
        char *id = NULL;
        double t0 = now_s();
        rc = jmake_submit_job(client, &opts, &id);
        run->ms[i] = (now_s() - t0) * 1e3;
        if (rc != JMAKE_OK) {
            snprintf(run->error, sizeof run->error, "submit: %s", jmake_last_error(client));
            break;
        }
        jmake_free(id);
        run->done++;
    }
    jmake_disconnect(client);
    return NULL;
}

/* ---- beanstalkd: "put" over plain TCP, waiting for INSERTED each time ---- */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    /* One small request, then wait for the answer: Nagle would only add delay. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one "...\r\n" reply line into line (NUL-terminated, without CRLF). The
 * client is synchronous, so a reply never shares a read with the next one. */
static int read_line(int fd, char *line, size_t size)
{
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read(fd, line + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        len += (size_t)n;
        if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n') {
            line[len - 2] = '\0';
            return 0;
        }
    }
    return -1;
}

static void *beanstalk_client_main(void *arg)
{
    client_run *run = arg;
    int fd = tcp_connect(atoi(run->target));
    if (fd < 0)
        snprintf(run->error, sizeof run->error, "connect to 127.0.0.1:%s: %s", run->target, strerror(errno));
    pthread_barrier_wait(run->ready);
    if (fd < 0)
        return NULL;
    size_t body = strlen(run->payload);
    size_t cap = body + 64;
    char *req = malloc(cap);
    /* put <pri> <delay> <ttr> <bytes>: the whole command goes out in one write. */
    int len = snprintf(req, cap, "put 0 0 60 %zu\r\n%s\r\n", body, run->payload);
    char line[256];
    for (long i = 0; i < run->jobs; i++) {
        double t0 = now_s();
        if (write_all(fd, req, (size_t)len) != 0 || read_line(fd, line, sizeof line) != 0) {
            snprintf(run->error, sizeof run->error, "connection lost: %s", strerror(errno));
            break;
        }
        if (strncmp(line, "INSERTED ", 9) != 0) {
            snprintf(run->error, sizeof run->error, "unexpected reply '%.200s'", line);
            break;
        }
        run->ms[i] = (now_s() - t0) * 1e3;
        run->done++;
    }
    free(req);
    close(fd);
    return NULL;
}

/* ---- job_status round trips over one connection ---- */

static int bench_status(const char *home, const char *id, long count)
{
    jmake_client *client = NULL;
    if (jmake_connect(home, &client) != JMAKE_OK) {
        fprintf(stderr, "connect: %s\n", client ? jmake_last_error(client) : "no memory");
        jmake_disconnect(client);
        return 1;
    }
    double *ms = calloc((size_t)count, sizeof *ms);
    jmake_job_state state = JMAKE_JOB_PENDING;
    /* A few untimed calls first: the first lookups page the index into SQLite's cache. */
    for (int i = 0; i < 10; i++)
        jmake_get_job_status(client, id, &state);
    for (long i = 0; i < count; i++) {
        double t0 = now_s();
        int rc = jmake_get_job_status(client, id, &state);
        ms[i] = (now_s() - t0) * 1e3;
        if (rc != JMAKE_OK) {
            fprintf(stderr, "job_status %s: %s\n", id, jmake_last_error(client));
            free(ms);
            jmake_disconnect(client);
            return 1;
        }
    }
    jmake_disconnect(client);
    printf("job_status state=%s ", jmake_job_state_name(state));
    print_latencies("", ms, (size_t)count);
    free(ms);
    return 0;
}

/* ---- the whole `jmake job status ID` command: process start, connect, request, print ---- */

static int bench_command(const char *jmake_exe, const char *home, const char *id, long count)
{
    char *argv[] = {(char *)jmake_exe, "--home", (char *)home, "job", "status", (char *)id, NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    double *ms = calloc((size_t)count, sizeof *ms);
    int status = 0;
    for (long i = 0; i < count; i++) {
        pid_t pid;
        double t0 = now_s();
        if (posix_spawn(&pid, jmake_exe, &actions, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0 ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s job status %s failed\n", jmake_exe, id);
            free(ms);
            posix_spawn_file_actions_destroy(&actions);
            return 1;
        }
        ms[i] = (now_s() - t0) * 1e3;
    }
    posix_spawn_file_actions_destroy(&actions);
    printf("command ");
    print_latencies("", ms, (size_t)count);
    free(ms);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: queue_bench jmake-submit HOME JOBS CLIENTS SCAN_DIR\n"
                    "       queue_bench beanstalk-submit PORT JOBS CLIENTS SCAN_DIR\n"
                    "       queue_bench status HOME JOB_ID COUNT\n"
                    "       queue_bench command JMAKE_EXE HOME JOB_ID COUNT\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    bool jm = strcmp(mode, "jmake-submit") == 0;
    if ((jm || strcmp(mode, "beanstalk-submit") == 0) && argc == 6) {
        long jobs = atol(argv[3]);
        int clients = atoi(argv[4]);
        if (jobs <= 0 || clients <= 0 || clients > MAX_CLIENTS)
            return usage();
        char *job = job_json(argv[5]);
        double secs = jm ? run_clients(jmake_client_main, jobs, clients, argv[2], argv[5])
                         : run_clients(beanstalk_client_main, jobs, clients, argv[2], job);
        /* The payload figure is the job text; jmake wraps it in {"op":"submit",...} and a frame header. */
        if (secs > 0)
            printf("%s jobs=%ld clients=%d payload_bytes=%zu seconds=%.3f rate=%.1f\n", mode, jobs, clients,
                   strlen(job), secs, (double)jobs / secs);
        free(job);
        return secs > 0 ? 0 : 1;
    }
    if (strcmp(mode, "status") == 0 && argc == 5 && atol(argv[4]) > 0)
        return bench_status(argv[2], argv[3], atol(argv[4]));
    if (strcmp(mode, "command") == 0 && argc == 6 && atol(argv[5]) > 0)
        return bench_command(argv[2], argv[3], argv[4], atol(argv[5]));
    return usage();
}
