/* cli_daemons.c - `jmake start|stop|restart|status|logs`: the daemons seen from the command line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* How many workers the configuration asks for (max_daemons counts the orchestrator). */
static int wanted_workers(const jm_config *cfg)
{
    int n = (int)cfg->orchestrator.max_daemons - 1;
    return n < 0 ? 0 : (n > DAEMON_COUNT - 1 ? DAEMON_COUNT - 1 : n);
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

/* Double fork so that the orchestrator is nobody's child and outlives the terminal. */
static int spawn_orchestrator(const char *home)
{
    char exe[4096];
    int rc = sys_self_exe(exe, sizeof exe);
    if (rc < 0)
        return rc;
    char *log_dir = home_log_dir(home);
    mkdir_p(log_dir, 0700);
    char *err_path = path_join(log_dir, "daemons.err");
    free(log_dir);
    pid_t child = fork();
    if (child < 0) {
        free(err_path);
        return -errno;
    }
    if (child == 0) {
        setsid();
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 1 : 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        char *args[] = {exe, "daemon", "orchestrator", "--home", (char *)home, NULL};
        execv(exe, args);
        _exit(127);
    }
    free(err_path);
    int status;
    waitpid(child, &status, 0);
    return 0;
}

/* Waits until the orchestrator answers and `want` workers registered. */
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

int cli_start(cli *c, int argc, char **argv)
{
    if (argc > 2)
        return cli_usage("start");
    const char *name = argc == 2 ? argv[1] : NULL;
    int kind = name ? cli_daemon_from_name(name) : DAEMON_ORCHESTRATOR;
    if (kind < 0)
        return EXIT_USAGE;
    int rc = mkdir_p(c->home, 0700);
    if (rc < 0) {
        fprintf(stderr, "jmake: %s: cannot create the daemon home: %s\n", c->home, strerror(-rc));
        return EXIT_USAGE;
    }
    jm_config cfg;
    if (load_config_or_complain(c->home, &cfg) != 0) {
        config_free(&cfg);
        return EXIT_USAGE;
    }
    int want = wanted_workers(&cfg);
    config_free(&cfg);

    pid_t running = daemon_pidfile_probe(c->home, "orchestrator");
    if (running > 0 && kind != DAEMON_ORCHESTRATOR) {
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
    if (running > 0) {
        printf("jmake: daemons already running (orchestrator PID %d, home %s)\n", (int)running, c->home);
        return EXIT_OK;
    }
    rc = spawn_orchestrator(c->home);
    if (rc < 0) {
        fprintf(stderr, "jmake: cannot start the orchestrator: %s\n", strerror(-rc));
        return EXIT_UNREACHABLE;
    }
    if (wait_until_ready(c, want, START_TIMEOUT_MS) != 0) {
        fprintf(stderr, "jmake: the daemons did not answer within %d s (see %s/logs/)\n", START_TIMEOUT_MS / 1000,
                c->home);
        return EXIT_UNREACHABLE;
    }
    printf("jmake: daemons started (home %s)\n", c->home);
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

int cli_stop(cli *c, int argc, char **argv)
{
    const char *name = NULL;
    double grace = 30;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
            int64_t g = parse_duration_seconds(argv[++i]);
            if (g < 0) {
                fprintf(stderr, "jmake: --grace: '%s' is not a duration (30, 30s, 2m)\n", argv[i]);
                return EXIT_USAGE;
            }
            grace = (double)g;
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            return cli_usage("stop");
        }
    }
    int kind = name ? cli_daemon_from_name(name) : DAEMON_ORCHESTRATOR;
    if (kind < 0)
        return EXIT_USAGE;
    if (daemon_pidfile_probe(c->home, "orchestrator") <= 0) {
        /* Workers leave by themselves once their orchestrator is gone; give them a moment. */
        uint64_t deadline = clock_monotonic_ms() + 5000;
        while (any_daemon_alive(c->home) && clock_monotonic_ms() < deadline)
            sleep_ms(50);
        printf("jmake: daemons not running (home %s)\n", c->home);
        return EXIT_OK;
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
    if (argc > 2)
        return cli_usage("restart");
    char *stop_argv[] = {"stop", argc == 2 ? argv[1] : NULL, NULL};
    int rc = cli_stop(c, argc, stop_argv);
    if (rc != EXIT_OK)
        return rc;
    char *start_argv[] = {"start", argc == 2 ? argv[1] : NULL, NULL};
    return cli_start(c, argc, start_argv);
}

int cli_status(cli *c, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage("status");
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

int cli_logs(cli *c, int argc, char **argv)
{
    const char *name = NULL;
    bool follow = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
            follow = true;
        else if (!name)
            name = argv[i];
        else
            return cli_usage("logs");
    }
    if (!name)
        return cli_usage("logs");
    int kind = cli_daemon_from_name(name);
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
    char buf[65536];
    ino_t inode = 0;
    for (;;) {
        if (f) {
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, stdout);
            fflush(stdout);
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
    if (f)
        fclose(f);
    free(path);
    return EXIT_OK;
}
