/* log.c - the one logging call of every daemon: timestamped, levelled lines into a size-rotated file. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* One logger per process: each daemon is its own process with its own log file. */
static struct {
    pthread_mutex_t lock;
    int fd;                 /* -1: write to stderr */
    char *path;             /* owned; home/logs/<name>.log */
    char *name;             /* owned; the daemon name printed on each line */
    log_level level;
    int64_t max_bytes;      /* 0: never rotate */
    int keep_files;
    int64_t size;           /* bytes in the current file, to decide rotation without a stat per line */
} logger = {PTHREAD_MUTEX_INITIALIZER, -1, NULL, NULL, LOG_INFO, 0, 0, 0};

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static bool debug_forced(void)
{
    const char *d = getenv("DEBUG");
    return d && d[0] && strcmp(d, "0") != 0;
}

log_level log_level_from_name(const char *name, int *ok)
{
    static const char *const lower[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (name && strcasecmp(name, lower[i]) == 0) {
            if (ok)
                *ok = 1;
            return (log_level)i;
        }
    }
    /* "warning" is what people type as often as "warn". */
    if (name && strcasecmp(name, "warning") == 0) {
        if (ok)
            *ok = 1;
        return LOG_WARN;
    }
    if (ok)
        *ok = 0;
    return LOG_INFO;
}

void log_set_level(log_level level)
{
    pthread_mutex_lock(&logger.lock);
    logger.level = debug_forced() ? LOG_DEBUG : level;
    pthread_mutex_unlock(&logger.lock);
}

static int open_log_file(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/* Called with the lock held. A failure leaves logging on the old descriptor or stderr, never aborts. */
static void rotate_locked(void)
{
    if (!logger.path)
        return;
    if (logger.keep_files <= 0) {
        if (ftruncate(logger.fd, 0) == 0)
            logger.size = 0;
        return;
    }
    for (int i = logger.keep_files - 1; i >= 1; i--) {
        char *from = xasprintf("%s.%d", logger.path, i);
        char *to = xasprintf("%s.%d", logger.path, i + 1);
        rename(from, to);   /* a missing older file is the normal case */
        free(from);
        free(to);
    }
    char *first = xasprintf("%s.1", logger.path);
    int renamed = rename(logger.path, first);
    free(first);
    if (renamed != 0)
        return;
    int fd = open_log_file(logger.path);
    if (fd < 0)
        return;  /* keep writing to the renamed file rather than lose lines */
    close(logger.fd);
    logger.fd = fd;
    logger.size = 0;
}

int log_open(const char *home, const char *daemon_name, const char *level_name, int64_t max_bytes,
             int keep_files)
{
    char *dir = path_join(home, "logs");
    int rc = mkdir_p(dir, 0700);
    if (rc != 0) {
        free(dir);
        return rc;
    }
    char *file = xasprintf("%s.log", daemon_name);
    char *path = path_join(dir, file);
    free(file);
    free(dir);
    int fd = open_log_file(path);
    if (fd < 0) {
        int err = -errno;
        free(path);
        return err;
    }
    struct stat st;
    int ok = 0;
    log_level level = log_level_from_name(level_name, &ok);

    pthread_mutex_lock(&logger.lock);
    if (logger.fd >= 0)
        close(logger.fd);
    free(logger.path);
    free(logger.name);
    logger.fd = fd;
    logger.path = path;
    logger.name = xstrdup(daemon_name);
    logger.level = debug_forced() ? LOG_DEBUG : (ok ? level : LOG_INFO);
    logger.max_bytes = max_bytes > 0 ? max_bytes : 0;
    logger.keep_files = keep_files > 0 ? keep_files : 0;
    logger.size = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
    pthread_mutex_unlock(&logger.lock);
    return 0;
}

void log_close(void)
{
    pthread_mutex_lock(&logger.lock);
    if (logger.fd >= 0)
        close(logger.fd);
    logger.fd = -1;
    free(logger.path);
    free(logger.name);
    logger.path = NULL;
    logger.name = NULL;
    pthread_mutex_unlock(&logger.lock);
}


void log_write(log_level level, const char *file, int line, const char *fmt, ...)
{
    int saved_errno = errno;  /* callers log then report errno */
    if ((unsigned)level > LOG_ERROR)
        level = LOG_ERROR;
    pthread_mutex_lock(&logger.lock);
    if (level < logger.level && !(level == LOG_DEBUG && debug_forced())) {
        pthread_mutex_unlock(&logger.lock);
        errno = saved_errno;
        return;
    }
    char stamp[40];
    format_iso8601_ms(clock_wall_ms(), stamp, sizeof stamp);

    char buf[8192];
    int n = snprintf(buf, sizeof buf, "%s %-5s %s: ", stamp, level_names[level],
                     logger.name ? logger.name : "jmake");
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof buf) {
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof buf - 64)
        n = (int)(sizeof buf - 64);  /* truncated: keep room for the location and newline */
    /* Strip trailing newlines the caller may have added; we add exactly one. */
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    if (logger.level == LOG_DEBUG && file) {
        const char *base = strrchr(file, '/');
        int m = snprintf(buf + n, sizeof buf - (size_t)n - 1, " (%s:%d)", base ? base + 1 : file, line);
        if (m > 0)
            n += m < (int)(sizeof buf - (size_t)n - 1) ? m : (int)(sizeof buf - (size_t)n - 2);
    }
    buf[n++] = '\n';

    int fd = logger.fd >= 0 ? logger.fd : STDERR_FILENO;
    /* A full disk or closed stderr must not take the daemon down; a line the
       log file refused goes to stderr (logs/daemons.err), which may be elsewhere. */
    if (write_all(fd, buf, (size_t)n) < 0 && fd != STDERR_FILENO)
        (void)write_all(STDERR_FILENO, buf, (size_t)n);
    if (logger.fd >= 0) {
        logger.size += n;
        if (logger.max_bytes > 0 && logger.size >= logger.max_bytes)
            rotate_locked();
    }
    pthread_mutex_unlock(&logger.lock);
    errno = saved_errno;
}
