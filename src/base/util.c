/* util.c - small helpers shared by every module: allocation, string vectors, paths, files, clocks. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "jmake: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out_of_memory(strlen(fmt));
    return out;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = xvasprintf(fmt, ap);
    va_end(ap);
    return out;
}

static void strvec_reserve(strvec *sv, size_t extra)
{
    if (sv->n + extra + 1 <= sv->cap)
        return;
    size_t cap = sv->cap ? sv->cap * 2 : 8;
    while (cap < sv->n + extra + 1)
        cap *= 2;
    sv->v = xrealloc(sv->v, cap * sizeof(char *));
    sv->cap = cap;
}

void strvec_push_owned(strvec *sv, char *s)
{
    strvec_reserve(sv, 1);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

int strptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort_unique(strvec *sv, size_t from)
{
    if (from >= sv->n)
        return;
    char **v = sv->v + from;
    size_t n = sv->n - from, kept = 0;
    qsort(v, n, sizeof *v, strptr_cmp);
    for (size_t i = 0; i < n; i++) {
        if (kept && strcmp(v[kept - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[kept++] = v[i];
    }
    sv->n = from + kept;
    sv->v[sv->n] = NULL;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one
   (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_sequence(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) || (p[0] == 0xF0 && p[1] < 0x90) ||
        (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

void utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (n == 0) {
            *p++ = '?';
        } else {
            p += n;
        }
    }
}

bool str_in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

void err_set(char *err, size_t errsize, const char *fmt, ...)
{
    if (!err || errsize == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap);
    va_end(ap);
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int64_t timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int64_t stat_mtime_ns(const struct stat *st)
{
    return timespec_ns(&st->st_mtim);
}

void strvec_push(strvec *sv, const char *s)
{
    strvec_push_owned(sv, xstrdup(s));
}

void strvec_extend(strvec *sv, const strvec *other)
{
    for (size_t i = 0; i < other->n; i++)
        strvec_push(sv, other->v[i]);
}

bool strvec_contains(const strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

void strvec_free(strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

void bytebuf_put(bytebuf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

char *path_join(const char *a, const char *b)
{
    if (b[0] == '/' || a[0] == '\0')
        return xstrdup(b);
    size_t la = strlen(a);
    if (la > 0 && a[la - 1] == '/')
        return xasprintf("%s%s", a, b);
    return xasprintf("%s/%s", a, b);
}

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *path_normalize(const char *path)
{
    bool absolute = path[0] == '/';
    size_t len = strlen(path);
    char *out = xmalloc(len + 2);
    /* Segment start offsets in out, so ".." can pop back. */
    size_t *starts = xmalloc((len / 2 + 2) * sizeof(size_t));
    size_t depth = 0, o = 0;
    if (absolute)
        out[o++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t seg = end ? (size_t)(end - p) : strlen(p);
        if (seg == 1 && p[0] == '.') {
            /* skip */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.' &&
                   (depth > 0 && !(o - starts[depth - 1] == 2 && out[starts[depth - 1]] == '.' &&
                                   out[starts[depth - 1] + 1] == '.'))) {
            depth--;
            o = starts[depth];
            if (o > 0 && out[o - 1] == '/' && !(absolute && o == 1))
                o--;
        } else if (seg == 2 && p[0] == '.' && p[1] == '.' && absolute) {
            /* "/.." is "/" */
        } else {
            if (o > 0 && out[o - 1] != '/')
                out[o++] = '/';
            starts[depth++] = o;
            memcpy(out + o, p, seg);
            o += seg;
        }
        p += seg;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    free(starts);
    return out;
}

char *path_absolute(const char *base_dir, const char *p)
{
    char *joined;
    if (p[0] == '/') {
        joined = xstrdup(p);
    } else if (base_dir && base_dir[0] == '/') {
        joined = path_join(base_dir, p);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            strcpy(cwd, "/");
        char *base = base_dir ? path_join(cwd, base_dir) : xstrdup(cwd);
        joined = path_join(base, p);
        free(base);
    }
    char *norm = path_normalize(joined);
    free(joined);
    return norm;
}

char *path_relative(const char *base_dir, const char *path)
{
    size_t lb = strlen(base_dir);
    while (lb > 1 && base_dir[lb - 1] == '/')
        lb--;
    if (strncmp(path, base_dir, lb) == 0) {
        if (path[lb] == '/')
            return xstrdup(path + lb + 1);
        if (path[lb] == '\0')
            return xstrdup(".");
        if (lb == 1 && base_dir[0] == '/')
            return xstrdup(path + 1);
    }
    return xstrdup(path);
}

const char *path_extension(const char *path)
{
    const char *base = path_basename(path);
    const char *dot = strrchr(base, '.');
    return (dot && dot != base) ? dot : "";
}

char *read_file(const char *path, size_t *len)
{
    return read_file_stat(path, len, NULL);
}

static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
         : S_ISSOCK(mode) ? "a socket" : S_ISDIR(mode) ? "a folder" : "not a plain file";
}

char *read_user_file(const char *path, size_t max_bytes, size_t *len, char *why, size_t whysize)
{
    /* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        err_set(why, whysize, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    bool ok = false;
    if (fstat(fd, &st) < 0)
        err_set(why, whysize, "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        err_set(why, whysize, "not a regular file (%s)", file_kind(st.st_mode));
    else if ((uint64_t)st.st_size > max_bytes)
        err_set(why, whysize, "%lld bytes is over the limit of %zu MiB", (long long)st.st_size, max_bytes >> 20);
    else
        ok = true;
    close(fd);
    if (!ok)
        return NULL;
    char *data = read_file(path, len);
    if (!data)
        err_set(why, whysize, "%s", strerror(errno));
    return data;
}

char *read_file_stat(const char *path, size_t *len, struct stat *st_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    /* A regular file is read in exactly its size (no extra read to see EOF);
     * files that do not know their size (/proc) are read until EOF. */
    size_t expect = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0;
    size_t cap = expect ? expect + 1 : 4096;
    char *buf = xmalloc(cap);
    size_t used = 0;
    while (!expect || used < expect) {
        if (used + 1 >= cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    if (len)
        *len = used;
    if (st_out)
        *st_out = st;
    return buf;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char *dir = path_dirname(path);
    char *tmp = xasprintf("%s/.%s.tmpXXXXXX", dir, path_basename(path));
    free(dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return -e;
    }
    int wrc = write_all(fd, data, len);
    if (wrc < 0) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return wrc;
    }
    if (fchmod(fd, mode) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return -e;
    }
    free(tmp);
    return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST) {
            int e = errno;
            free(copy);
            return -e;
        }
        *p = '/';
    }
    int rc = 0;
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        rc = -errno;
    else if (!dir_exists(copy))
        rc = -ENOTDIR;
    free(copy);
    return rc;
}

int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child = path_join(path, de->d_name);
        int r = remove_tree(child);
        if (r < 0 && rc == 0)
            rc = r;
        free(child);
    }
    closedir(d);
    if (rmdir(path) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

uint64_t clock_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void format_iso8601_ms(int64_t wall_ms, char *buf, size_t bufsize)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, bufsize, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
}

/* Matches one segment-level pattern (no '/') against one segment. */
static bool glob_segment(const char *pat, const char *pat_end, const char *s, const char *s_end)
{
    while (pat < pat_end) {
        if (*pat == '*') {
            pat++;
            for (const char *t = s; t <= s_end; t++)
                if (glob_segment(pat, pat_end, t, s_end))
                    return true;
            return false;
        }
        if (s >= s_end)
            return false;
        if (*pat == '?') {
            pat++;
            s++;
        } else if (*pat == '[') {
            const char *q = pat + 1;
            bool negate = (*q == '!' || *q == '^');
            if (negate)
                q++;
            bool matched = false;
            const char *class_start = q;
            while (q < pat_end && (*q != ']' || q == class_start)) {
                if (q + 2 < pat_end && q[1] == '-' && q[2] != ']') {
                    if (*s >= q[0] && *s <= q[2])
                        matched = true;
                    q += 3;
                } else {
                    if (*s == *q)
                        matched = true;
                    q++;
                }
            }
            if (q >= pat_end) { /* unterminated: literal '[' */
                if (*s != '[')
                    return false;
                pat++;
                s++;
                continue;
            }
            if (matched == negate)
                return false;
            pat = q + 1;
            s++;
        } else {
            if (*pat != *s)
                return false;
            pat++;
            s++;
        }
    }
    return s == s_end;
}

static bool glob_segments(const char *pat, const char *path)
{
    const char *pat_end = strchr(pat, '/');
    size_t plen = pat_end ? (size_t)(pat_end - pat) : strlen(pat);
    if (plen == 2 && pat[0] == '*' && pat[1] == '*') {
        const char *rest = pat_end ? pat_end + 1 : NULL;
        if (!rest)
            return true; /* trailing "**" matches everything below */
        /* "**" matches zero or more whole segments. */
        const char *p = path;
        for (;;) {
            if (glob_segments(rest, p))
                return true;
            const char *slash = strchr(p, '/');
            if (!slash)
                return false;
            p = slash + 1;
        }
    }
    const char *seg_end = strchr(path, '/');
    const char *s_end = seg_end ? seg_end : path + strlen(path);
    if (!glob_segment(pat, pat + plen, path, s_end))
        return false;
    if (!pat_end)
        return seg_end == NULL;
    if (!seg_end)
        return false;
    return glob_segments(pat_end + 1, seg_end + 1);
}

bool glob_match(const char *pattern, const char *path)
{
    if (path[0] == '.' && path[1] == '/')
        path += 2;
    return glob_segments(pattern, path);
}

int64_t parse_duration_seconds(const char *text)
{
    if (!text || !*text)
        return -1;
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || end == text || value < 0)
        return -1;
    int64_t unit = 1;
    if (*end == '\0' || strcmp(end, "s") == 0)
        unit = 1;
    else if (strcmp(end, "m") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else if (strcmp(end, "d") == 0)
        unit = 86400;
    else if (strcmp(end, "w") == 0)
        unit = 7 * 86400;
    else
        return -1;
    if (value > INT64_MAX / unit)
        return -1;
    return (int64_t)value * unit;
}

int append_stamped_line(const char *path, const char *prefix, const char *fmt, va_list ap)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return errno;
    char stamp[40];
    format_iso8601_ms(clock_wall_ms(), stamp, sizeof stamp);
    fprintf(f, "%s %s", stamp, prefix);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !err)
        err = errno;
    return err;
}
