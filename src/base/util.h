/* util.h - small helpers shared by every module: allocation, string vectors, paths, files, clocks. */
#ifndef JMAKE_UTIL_H
#define JMAKE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Allocation that aborts with a message on exhaustion: a daemon that cannot
 * allocate a few bytes cannot report anything useful either. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);                  /* caller frees */
char *xstrndup(const char *s, size_t n);       /* caller frees */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* caller frees */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0))); /* caller frees */

/* A growable vector of owned strings; v[n] is always NULL so it doubles as argv. */
typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;
void strvec_push(strvec *sv, const char *s);   /* copies s */
void strvec_push_owned(strvec *sv, char *s);   /* takes ownership of s */
void strvec_extend(strvec *sv, const strvec *other);
bool strvec_contains(const strvec *sv, const char *s);
void strvec_free(strvec *sv);                  /* frees strings and array, leaves sv empty */
/* Sorts v[from..n) and drops repeated strings there (freeing them). */
void strvec_sort_unique(strvec *sv, size_t from);
/* strcmp of two char * elements, for qsort and bsearch over string arrays. */
int strptr_cmp(const void *a, const void *b);
/* Replaces every byte of s that is not part of a valid UTF-8 sequence with
 * '?', in place: text that quotes user input stays valid in JSON. */
void utf8_sanitize(char *s);
/* True when s is one of the strings of the NULL-terminated list (borrowed). */
bool str_in_list(const char *const *list, const char *s);
/* printf into a caller's error buffer; nothing when err is NULL or errsize 0. */
void err_set(char *err, size_t errsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A growable byte buffer for binary records; p is owned (free it when done). */
typedef struct bytebuf {
    unsigned char *p;
    size_t len, cap;
} bytebuf;
void bytebuf_put(bytebuf *b, const void *data, size_t n);

/* Paths. Every returned string is owned by the caller. */
char *path_join(const char *a, const char *b);            /* b absolute: copy of b */
char *path_dirname(const char *path);
const char *path_basename(const char *path);              /* points into path */
char *path_absolute(const char *base_dir, const char *p); /* joined and normalised (., .., //) */
char *path_normalize(const char *path);
char *path_relative(const char *base_dir, const char *path); /* path under base_dir, else copy of path */
const char *path_extension(const char *path);             /* ".c", or "" */

/* Files. read_file returns a NUL-terminated buffer (length in *len, may hold NULs) or NULL with errno set. */
char *read_file(const char *path, size_t *len);
/* The same, also giving the file's stat from the open descriptor (st may be NULL). */
char *read_file_stat(const char *path, size_t *len, struct stat *st);
/* A file a user named (a job file, a jmake.toml, a configuration): only a
 * regular file is read (a FIFO would block the reader until a writer comes, a
 * device might never end), and only up to max_bytes. NULL with the reason in
 * why ("not a regular file (a FIFO)", "1.2 GiB is over the 16 MiB limit",
 * or strerror) when it cannot be read; else as read_file (caller frees). */
char *read_user_file(const char *path, size_t max_bytes, size_t *len, char *why, size_t whysize);
/* Writes through a temporary file in the same folder and rename(2), so readers
 * see the old or the new contents, never a half-written file. Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* write(2) until all of buf is out (EINTR retried). 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
int mkdir_p(const char *path, mode_t mode);               /* 0 or -errno */
int remove_tree(const char *path);                        /* 0 or -errno */
bool file_exists(const char *path);
bool dir_exists(const char *path);

/* Clocks: monotonic for durations, wall time for records. */
uint64_t clock_monotonic_ms(void);
int64_t clock_wall_ms(void);
/* Nanoseconds since the epoch of a timespec, and of a stat's mtime. */
int64_t timespec_ns(const struct timespec *ts);
int64_t stat_mtime_ns(const struct stat *st);
void format_iso8601_ms(int64_t wall_ms, char *buf, size_t bufsize); /* 2026-11-26T11:28:27.123Z */
/* Appends "STAMP PREFIXtext\n" to the file at path (a job's output log),
 * STAMP being now as format_iso8601_ms writes it. 0, or the errno of the
 * open, write or close that failed (a full disk). */
int append_stamped_line(const char *path, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Glob matching of a '/'-separated relative path: '*' and '?' stay inside one
 * segment, a segment of two stars spans any number of folders, [abc] classes. */
bool glob_match(const char *pattern, const char *path);

/* Durations like "30s", "15m", "2h", "7d" or a bare number of seconds. -1 when malformed. */
int64_t parse_duration_seconds(const char *text);

#endif
