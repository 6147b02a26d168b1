/* log.h - the one logging call: ISO-8601 time with milliseconds, level, daemon name, message; size-rotated files. */
#ifndef JMAKE_LOG_H
#define JMAKE_LOG_H

#include <stdint.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Opens home/logs/<name>.log (creating logs/). level_name is "debug".."error";
 * DEBUG=1 in the environment forces debug. Without log_open, messages go to stderr.
 * Rotation: when the file passes max_bytes it becomes <name>.log.1 (.1 -> .2 ...), keeping keep_files old files. */
int log_open(const char *home, const char *daemon_name, const char *level_name,
             int64_t max_bytes, int keep_files);
void log_close(void);
void log_set_level(log_level level);
log_level log_level_from_name(const char *name, int *ok);
void log_write(log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_write(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
