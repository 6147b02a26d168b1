/* cli_daemons.c - `jmake start|stop|restart|status|logs`: the daemons seen from the command line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "home.h"
#include "sys.h"
#include "util.h"

#define START_TIMEOUT_MS 20000

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int load_config_or_complain(const char *home, jm_config *cfg)
{
    diag_list diags = {0};
    int rc = config_load(cfg, home, &diags);
    diag_print(&diags, stderr);
    diag_free(&diags);
    if (rc != 0) {
        fprintf(stderr, "jmake: configuration errors in %s: daemons not started\n", home);
        return -1;
    }
    return 0;
}

static void print_status_lines(const char *home)
{
    for (int k = 0; k < DAEMON_COUNT; k++) {
        pid_t pid = daemon_pidfile_probe(home, daemon_table[k].name);
        if (pid > 0)
            printf("%s: Running (PID %d)\n", daemon_table[k].title, (int)pid);
        else
            printf("%s: Stopped\n", daemon_table[k].title);
    }
}

/* Double fork so that the orchestrator is nobody's child and outlives the
 * terminal. Returns the read end of its start-up report (daemon.h; caller
 * closes) or -errno. */
static int spawn_orchestrator(const char *home, const char *only_worker)
{
    char exe[4096];
    int rc = sys_self_exe(exe, sizeof exe);
    if (rc < 0)
        return rc;
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0)
        return -errno;
    char *log_dir = home_log_dir(home);
    mkdir_p(log_dir, 0700);
    char *err_path = path_join(log_dir, "daemons.err");
    free(log_dir);
    pid_t child = fork();
    if (child < 0) {
        int e = -errno;
        free(err_path);
        close(report[0]);
        close(report[1]);
        return e;
    }
    if (child == 0) {
        setsid();
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 1 : 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (out < 0)   /* a full disk: rather nowhere than the user's terminal */
            out = open("/dev/null", O_WRONLY);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        /* The report's write end as the agreed number, inherited across exec. */
        if (report[1] == DAEMON_READY_FD)
            fcntl(DAEMON_READY_FD, F_SETFD, 0);
        else
            dup2(report[1], DAEMON_READY_FD);
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", DAEMON_READY_FD);
        setenv(DAEMON_READY_ENV, fd_text, 1);
        /* The orchestrator reads it once, at start-up: `jmake start DAEMON` on a stopped home. */
        if (only_worker)
            setenv("JMAKE_START_ONLY", only_worker, 1);
        else
            unsetenv("JMAKE_START_ONLY");
        char *args[] = {exe, "daemon", "orchestrator", "--home", (char *)home, NULL};
        execv(exe, args);
        _exit(127);
    }
    free(err_path);
    close(report[1]);   /* EOF on the read end then means every daemon let go of it */
    int status;
    waitpid(child, &status, 0);
    return report[0];
}

/* After a failed start: waits (a few seconds at most) until no daemon of home
 * holds its PID file, so the command ends with nothing half-started. */
static bool wait_all_stopped(const char *home, int timeout_ms);

/* Waits until an orchestrator another client started answers with `want` workers registered. */
static int wait_until_ready(cli *c, int want, int timeout_ms)
{
    uint64_t deadline = clock_monotonic_ms() + (uint64_t)timeout_ms;
    while (clock_monotonic_ms() < deadline) {
        jmake_client *client = NULL;
        if (jmake_connect(c->home, &client) == JMAKE_OK) {
            char *reply = NULL;
            if (jmake_request(client, "{\"op\":\"status\"}", &reply) == JMAKE_OK) {
                cJSON *r = cJSON_Parse(reply);
                int ready = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "workers_ready"));
                cJSON_Delete(r);
                jmake_free(reply);
                if (ready >= want) {
                    jmake_disconnect(client);
                    return 0;
                }
            }
        }
        jmake_disconnect(client);
        sleep_ms(50);
    }
    return -1;
}

/* Serialises the clients that start daemons: whoever holds HOME/run/start.lock
 * decides, so twenty concurrent `jmake build` on a stopped home start one set.
 * Returns the locked fd (closing it unlocks) or -errno. */
static int start_lock(const char *home)
{
    char *run = home_run_dir(home);
    int rc = mkdir_p(run, 0700);
    char *path = path_join(run, "start.lock");
    free(run);
    if (rc < 0) {
        free(path);
        return rc;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0)
        return -errno;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = -errno;
            close(fd);
            return e;
        }
    }
    return fd;
}

typedef enum start_outcome {
    START_ALREADY_RUNNING,
    START_STARTED,
    START_BAD_CONFIG,   /* printed; exit 2 */
    START_FAILED,       /* printed; exit 3 */
} start_outcome;

/* Starts the orchestrator unless one runs (only_worker: it starts that worker and no
 * other) and waits until it and its workers answer. Under the start lock. */
static start_outcome start_system(cli *c, const char *only_worker, pid_t *running)
{
    int rc = mkdir_p(c->home, 0700);
    if (rc < 0) {
        fprintf(stderr, "jmake: %s: cannot create the daemon home: %s\n", c->home, strerror(-rc));
        return START_BAD_CONFIG;
    }
    jm_config cfg;
    if (load_config_or_complain(c->home, &cfg) != 0) {
        config_free(&cfg);
        return START_BAD_CONFIG;
    }
    config_free(&cfg);
    int lock = start_lock(c->home);
    if (lock < 0) {
        fprintf(stderr, "jmake: %s: cannot lock the daemon home: %s\n", c->home, strerror(-lock));
        return START_FAILED;
    }
    *running = daemon_pidfile_probe(c->home, "orchestrator");
    if (*running > 0) {
        /* Started by another client a moment ago, maybe not ready yet. */
        start_outcome outcome = START_ALREADY_RUNNING;
        if (wait_until_ready(c, 0, START_TIMEOUT_MS) != 0) {
            fprintf(stderr, "jmake: the daemons did not answer within %d s (see %s/logs/)\n",
                    START_TIMEOUT_MS / 1000, c->home);
            outcome = START_FAILED;
        }
        close(lock);
        return outcome;
    }
    int report = spawn_orchestrator(c->home, only_worker);
    if (report < 0) {
        fprintf(stderr, "jmake: cannot start the orchestrator: %s\n", strerror(-report));
        close(lock);
        return START_FAILED;
    }
    char reason[512] = "";
    daemon_report said = daemon_report_read(report, START_TIMEOUT_MS, reason, sizeof reason);
    close(report);
    start_outcome outcome = START_FAILED;
    switch (said) {
    case DAEMON_REPORT_READY:
        outcome = START_STARTED;
        break;
    case DAEMON_REPORT_ERROR:
        fprintf(stderr, "jmake: %s\n", reason);
        break;
    case DAEMON_REPORT_SILENT:
        fprintf(stderr, "jmake: the orchestrator exited during start-up without saying why (see %s/logs/)\n",
                c->home);
        break;
    case DAEMON_REPORT_TIMEOUT:
        fprintf(stderr, "jmake: the daemons did not answer within %d s (see %s/logs/)\n", START_TIMEOUT_MS / 1000,
                c->home);
        break;
    }
    if (outcome == START_FAILED && !wait_all_stopped(c->home, 10000))
        fprintf(stderr, "jmake: some daemons of %s are still stopping; `jmake status` shows them\n", c->home);
    close(lock);
    return outcome;
}

int cli_ensure_daemons(cli *c, bool *started)
{
    pid_t running;
    *started = false;
    switch (start_system(c, NULL, &running)) {
    case START_ALREADY_RUNNING:
        return EXIT_OK;
    case START_STARTED:
        *started = true;
        return EXIT_OK;
    case START_BAD_CONFIG:
        return EXIT_USAGE;
    case START_FAILED:
        break;
    }
    return EXIT_UNREACHABLE;
}

/* Asks the running orchestrator for one worker and waits for its PID file. */
static int start_one_worker(cli *c, int kind)
{
    pid_t wpid = daemon_pidfile_probe(c->home, daemon_table[kind].name);
    if (wpid > 0) {
        printf("%s already running (PID %d)\n", daemon_table[kind].title, (int)wpid);
        return EXIT_OK;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "start");
    cJSON_AddStringToObject(req, "daemon", daemon_table[kind].name);
    int code;
    cJSON *reply = cli_request(c, req, &code);
    if (!reply)
        return code;
    cJSON_Delete(reply);
    uint64_t deadline = clock_monotonic_ms() + START_TIMEOUT_MS;
    while (clock_monotonic_ms() < deadline && (wpid = daemon_pidfile_probe(c->home, daemon_table[kind].name)) <= 0)
        sleep_ms(50);
    if (wpid <= 0) {
        fprintf(stderr, "jmake: %s did not start (see %s/logs/%s.log)\n", daemon_table[kind].title, c->home,
                daemon_table[kind].name);
        return EXIT_UNREACHABLE;
    }
    printf("%s: Running (PID %d)\n", daemon_table[kind].title, (int)wpid);
    return EXIT_OK;
}

int cli_start(cli *c, int argc, char **argv)
{
    const char *name = argc == 2 ? argv[1] : NULL;
    int kind = name ? cli_daemon_from_name(name) : DAEMON_ORCHESTRATOR;
    if (kind < 0)
        return EXIT_USAGE;
    const char *only = kind != DAEMON_ORCHESTRATOR ? daemon_table[kind].name : NULL;
    pid_t running = 0;
    switch (start_system(c, only, &running)) {
    case START_BAD_CONFIG:
        return EXIT_USAGE;
    case START_FAILED:
        return EXIT_UNREACHABLE;
    case START_ALREADY_RUNNING:
        if (only)
            return start_one_worker(c, kind);
        printf("jmake: daemons already running (orchestrator PID %d, home %s)\n", (int)running, c->home);
        return EXIT_OK;
    case START_STARTED:
        break;
    }
    if (only) {
        /* The orchestrator started with that worker only. */
        printf("jmake: started the orchestrator and the %s daemon (home %s)\n", daemon_table[kind].name, c->home);
    } else {
        printf("jmake: daemons started (home %s)\n", c->home);
    }
    print_status_lines(c->home);
    return EXIT_OK;
}

static bool any_daemon_alive(const char *home)
{
    for (int k = 0; k < DAEMON_COUNT; k++)
        if (daemon_pidfile_probe(home, daemon_table[k].name) > 0)
            return true;
    return false;
}

static bool wait_all_stopped(const char *home, int timeout_ms)
{
    uint64_t deadline = clock_monotonic_ms() + (uint64_t)timeout_ms;
    while (any_daemon_alive(home)) {
        if (clock_monotonic_ms() >= deadline)
            return false;
        sleep_ms(50);
    }
    return true;
}

int cli_stop(cli *c, int argc, char **argv)
{
    const char *name = argc == 2 ? argv[1] : NULL;
    double grace = 30;
    const char *grace_text = cli_opt(c, "--grace");
    if (grace_text) {
        int64_t g = parse_duration_seconds(grace_text);
        if (g < 0) {
            fprintf(stderr, "jmake stop: --grace: '%s' is not a duration (30, 30s, 2m)\n", grace_text);
            return cli_usage("stop");
        }
        grace = (double)g;
    }
    int kind = name ? cli_daemon_from_name(name) : DAEMON_ORCHESTRATOR;
    if (kind < 0)
        return EXIT_USAGE;
    if (daemon_pidfile_probe(c->home, "orchestrator") <= 0) {
        /* Workers leave by themselves once their orchestrator is gone; give them a moment. */
        uint64_t deadline = clock_monotonic_ms() + 5000;
        while (any_daemon_alive(c->home) && clock_monotonic_ms() < deadline)
            sleep_ms(50);
        /* SPEC 2: 3 is "daemons not running"; a script learns that nothing was stopped. */
        fprintf(stderr, "jmake: daemons not running (home %s)\n", c->home);
        return EXIT_UNREACHABLE;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "stop");
    if (kind != DAEMON_ORCHESTRATOR)
        cJSON_AddStringToObject(req, "daemon", daemon_table[kind].name);
    cJSON_AddNumberToObject(req, "grace_seconds", grace);
    int code;
    cJSON *reply = cli_request(c, req, &code);
    if (!reply)
        return code;
    cJSON_Delete(reply);
    uint64_t deadline = clock_monotonic_ms() + (uint64_t)(grace * 1000) + 20000;
    for (;;) {
        bool alive = kind == DAEMON_ORCHESTRATOR ? any_daemon_alive(c->home)
                                                 : daemon_pidfile_probe(c->home, daemon_table[kind].name) > 0;
        if (!alive)
            break;
        if (clock_monotonic_ms() > deadline) {
            fprintf(stderr, "jmake: daemons still running after %.0f s\n", grace + 20);
            return EXIT_TIMEOUT;
        }
        sleep_ms(50);
    }
    if (kind == DAEMON_ORCHESTRATOR)
        printf("jmake: daemons stopped\n");
    else
        printf("%s: Stopped\n", daemon_table[kind].title);
    return EXIT_OK;
}

int cli_restart(cli *c, int argc, char **argv)
{
    char *one_argv[] = {"restart", argc == 2 ? argv[1] : NULL, NULL};
    /* On a stopped home there is nothing to stop: restart only starts. */
    if (daemon_pidfile_probe(c->home, "orchestrator") > 0) {
        int rc = cli_stop(c, argc, one_argv);
        if (rc != EXIT_OK)
            return rc;
    }
    return cli_start(c, argc, one_argv);
}

int cli_status(cli *c, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage("status");
    /* Another user's home: its PID files cannot be read, and "Stopped" six
       times would be a lie. Say whose it is instead. */
    char *run_dir = path_join(c->home, "run");
    struct stat st;
    bool foreign = stat(run_dir, &st) == 0 && (st.st_uid != getuid() || access(run_dir, R_OK | X_OK) != 0);
    free(run_dir);
    if (foreign) {
        fprintf(stderr, "jmake: the daemons of %s belong to another user (uid %d): their state and socket are not "
                        "accessible to uid %d\n", c->home, (int)st.st_uid, (int)getuid());
        return EXIT_UNREACHABLE;
    }
    int running = 0;
    cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
    for (int k = 0; k < DAEMON_COUNT; k++) {
        pid_t pid = daemon_pidfile_probe(c->home, daemon_table[k].name);
        if (pid > 0)
            running++;
        if (arr) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "name", daemon_table[k].name);
            cJSON_AddStringToObject(d, "title", daemon_table[k].title);
            cJSON_AddStringToObject(d, "state", pid > 0 ? "running" : "stopped");
            if (pid > 0)
                cJSON_AddNumberToObject(d, "pid", pid);
            else
                cJSON_AddNullToObject(d, "pid");
            cJSON_AddItemToArray(arr, d);
        } else if (pid > 0) {
            printf("%s: Running (PID %d)\n", daemon_table[k].title, (int)pid);
        } else {
            printf("%s: Stopped\n", daemon_table[k].title);
        }
    }
    if (arr) {
        char *text = cJSON_Print(arr);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(arr);
    }
    if (!arr && running > 0)
        cli_watch_print_warnings(c);
    if (running == DAEMON_COUNT)
        return EXIT_OK;
    return running == 0 ? EXIT_UNREACHABLE : EXIT_JOB_FAILED;
}

/* One log line ("2026-11-26T11:28:27.123Z INFO  compilation: message") as JSON. */
static void print_log_line_json(const char *line, size_t len)
{
    char *text = xstrndup(line, len);
    cJSON *o = cJSON_CreateObject();
    char *sp1 = strchr(text, ' ');
    char *colon = sp1 ? strstr(sp1, ": ") : NULL;
    if (sp1 && colon) {
        *sp1 = '\0';
        char *level = sp1 + 1;
        while (*level == ' ')
            level++;
        char *level_end = strchr(level, ' ');
        if (level_end && level_end < colon) {
            *level_end = '\0';
            char *source = level_end + 1;
            while (*source == ' ')
                source++;
            *colon = '\0';
            cJSON_AddStringToObject(o, "time", text);
            cJSON_AddStringToObject(o, "level", level);
            cJSON_AddStringToObject(o, "source", source);
            cJSON_AddStringToObject(o, "message", colon + 2);
        }
    }
    if (!cJSON_GetObjectItem(o, "message")) {
        /* Not one of ours (a sanitizer report in daemons.err, say): kept whole. */
        free(text);
        text = xstrndup(line, len);
        cJSON_AddStringToObject(o, "message", text);
    }
    char *out = cJSON_PrintUnformatted(o);
    printf("%s\n", out);
    free(out);
    cJSON_Delete(o);
    free(text);
}

/* Prints whole lines of buf[0..len) (raw or as JSON) and returns how many bytes it used:
 * a last line without its newline waits for the rest (while following). */
static size_t print_log_lines(const cli *c, const char *buf, size_t len, bool flush_partial)
{
    size_t used = 0;
    while (used < len) {
        const char *nl = memchr(buf + used, '\n', len - used);
        size_t line_len = nl ? (size_t)(nl - (buf + used)) : len - used;
        if (!nl && !flush_partial)
            break;
        if (c->json)
            print_log_line_json(buf + used, line_len);
        else
            printf("%.*s\n", (int)line_len, buf + used);
        used += line_len + (nl ? 1 : 0);
    }
    fflush(stdout);
    return used;
}

/* Where the last n lines of f start: after the n-th newline from the end, not
 * counting the one that ends the file. */
static long tail_offset(FILE *f, long n)
{
    if (fseek(f, 0, SEEK_END) != 0)
        return 0;
    long size = ftell(f);
    if (n == 0)
        return size;
    long pos = size, found = 0;
    char buf[4096];
    while (pos > 0) {
        long chunk = pos < (long)sizeof buf ? pos : (long)sizeof buf;
        pos -= chunk;
        if (fseek(f, pos, SEEK_SET) != 0 || fread(buf, 1, (size_t)chunk, f) != (size_t)chunk)
            return 0;
        for (long i = chunk - 1; i >= 0; i--)
            if (buf[i] == '\n' && pos + i != size - 1 && ++found == n)
                return pos + i + 1;
    }
    return 0;
}

int cli_logs(cli *c, int argc, char **argv)
{
    bool follow = cli_flag(c, "--follow");
    long lines = -1;
    const char *lines_text = cli_opt(c, "--lines");
    if (lines_text) {
        char *end = NULL;
        lines = strtol(lines_text, &end, 10);
        if (*end || lines < 0) {
            fprintf(stderr, "jmake logs: --lines: '%s' is not a number of lines\n", lines_text);
            return cli_usage("logs");
        }
    }
    int kind = cli_daemon_from_name(argv[1]);
    if (kind < 0)
        return EXIT_USAGE;
    char *dir = home_log_dir(c->home);
    char *path = xasprintf("%s/%s.log", dir, daemon_table[kind].name);
    free(dir);
    FILE *f = fopen(path, "r");
    if (!f && !follow) {
        fprintf(stderr, "jmake: %s: %s\n", path, strerror(errno));
        free(path);
        return EXIT_USAGE;
    }
    if (f && lines >= 0)
        fseek(f, tail_offset(f, lines), SEEK_SET);
    char buf[65536];
    size_t have = 0;
    ino_t inode = 0;
    for (;;) {
        if (f) {
            size_t n;
            while ((n = fread(buf + have, 1, sizeof buf - have, f)) > 0) {
                have += n;
                size_t used = print_log_lines(c, buf, have, have == sizeof buf);
                memmove(buf, buf + used, have - used);
                have -= used;
            }
            clearerr(f);
            struct stat st;
            if (fstat(fileno(f), &st) == 0)
                inode = st.st_ino;
        }
        if (!follow)
            break;
        sleep_ms(200);
        /* Rotation renames the file: switch to the new one once it exists. */
        struct stat st;
        if (stat(path, &st) == 0 && (!f || st.st_ino != inode)) {
            if (f)
                fclose(f);
            f = fopen(path, "r");
        }
    }
    print_log_lines(c, buf, have, true);
    if (f)
        fclose(f);
    free(path);
    return EXIT_OK;
}
