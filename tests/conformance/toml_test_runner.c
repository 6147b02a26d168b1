/* toml_test_runner.c - runs a toml-test decoder program on every case of the toml-test suite and compares its JSON. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A decoder that hangs on one case must not hang the whole suite. */
#define RUNNER_TIMEOUT_MS 10000

/* ---- a small JSON reader with length-counted strings (expected values may hold NUL) ---- */

typedef enum { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_OTHER } json_kind;

typedef struct json_value json_value;
struct json_value {
    json_kind kind;
    char *str;              /* owned; JSON_STRING text or JSON_OTHER literal */
    size_t len;
    json_value **items;     /* owned; array elements or object member values */
    char **keys;            /* owned; object member names */
    size_t *key_lens;
    size_t count;
};

typedef struct json_reader {
    const char *s;  /* not owned */
    size_t len, pos;
    int depth;
} json_reader;

static void json_free(json_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
    free(v->str);
    free(v);
}

static void json_skip_ws(json_reader *r)
{
    while (r->pos < r->len && strchr(" \t\r\n", r->s[r->pos]) && r->s[r->pos])
        r->pos++;
}

static int json_hex4(json_reader *r)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (r->pos >= r->len)
            return -1;
        char c = r->s[r->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static void json_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static void json_put_utf8(char **buf, size_t *len, size_t *cap, unsigned cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    json_put(buf, len, cap, o, n);
}

/* At the opening quote; returns false on malformed input. */
static bool json_read_string(json_reader *r, char **out, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    json_put(&buf, &len, &cap, "", 0);
    r->pos++;
    while (r->pos < r->len) {
        char c = r->s[r->pos++];
        if (c == '"') {
            *out = buf;
            *out_len = len;
            return true;
        }
        if (c != '\\') {
            json_put(&buf, &len, &cap, &c, 1);
            continue;
        }
        if (r->pos >= r->len)
            break;
        char e = r->s[r->pos++];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            json_put(&buf, &len, &cap, &map[simple - "\"\\/bfnrt"], 1);
        } else if (e == 'u') {
            int cp = json_hex4(r);
            if (cp < 0)
                break;
            if (cp >= 0xD800 && cp <= 0xDBFF && r->pos + 6 <= r->len && r->s[r->pos] == '\\' &&
                r->s[r->pos + 1] == 'u') {
                r->pos += 2;
                int lo = json_hex4(r);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    break;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            json_put_utf8(&buf, &len, &cap, (unsigned)cp);
        } else {
            break;
        }
    }
    free(buf);
    return false;
}

static json_value *json_read_value(json_reader *r)
{
    json_skip_ws(r);
    if (r->pos >= r->len || ++r->depth > 1000)
        return NULL;
    json_value *v = xcalloc(1, sizeof *v);
    char c = r->s[r->pos];
    if (c == '"') {
        v->kind = JSON_STRING;
        if (!json_read_string(r, &v->str, &v->len))
            goto fail;
    } else if (c == '{' || c == '[') {
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        v->kind = obj ? JSON_OBJECT : JSON_ARRAY;
        r->pos++;
        json_skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == close) {
            r->pos++;
        } else {
            for (;;) {
                v->items = xrealloc(v->items, (v->count + 1) * sizeof *v->items);
                if (obj) {
                    v->keys = xrealloc(v->keys, (v->count + 1) * sizeof *v->keys);
                    v->key_lens = xrealloc(v->key_lens, (v->count + 1) * sizeof *v->key_lens);
                    json_skip_ws(r);
                    if (r->pos >= r->len || r->s[r->pos] != '"' ||
                        !json_read_string(r, &v->keys[v->count], &v->key_lens[v->count]))
                        goto fail;
                    json_skip_ws(r);
                    if (r->pos >= r->len || r->s[r->pos] != ':') {
                        free(v->keys[v->count]);
                        goto fail;
                    }
                    r->pos++;
                }
                json_value *item = json_read_value(r);
                if (!item) {
                    if (obj)
                        free(v->keys[v->count]);
                    goto fail;
                }
                v->items[v->count++] = item;
                json_skip_ws(r);
                if (r->pos < r->len && r->s[r->pos] == ',') {
                    r->pos++;
                    continue;
                }
                if (r->pos < r->len && r->s[r->pos] == close) {
                    r->pos++;
                    break;
                }
                goto fail;
            }
        }
    } else {
        size_t s = r->pos;
        while (r->pos < r->len && strchr("+-.0123456789eEtruefalsn", r->s[r->pos]) && r->s[r->pos])
            r->pos++;
        if (r->pos == s)
            goto fail;
        v->kind = JSON_OTHER;
        v->str = xstrndup(r->s + s, r->pos - s);
        v->len = r->pos - s;
    }
    r->depth--;
    return v;
fail:
    json_free(v);
    return NULL;
}

static json_value *json_parse(const char *s, size_t len)
{
    json_reader r = {.s = s, .len = len};
    json_value *v = json_read_value(&r);
    json_skip_ws(&r);
    if (v && r.pos != r.len) {
        json_free(v);
        return NULL;
    }
    return v;
}

static const json_value *json_member(const json_value *obj, const char *key, size_t key_len)
{
    for (size_t i = 0; i < obj->count; i++)
        if (obj->key_lens[i] == key_len && memcmp(obj->keys[i], key, key_len) == 0)
            return obj->items[i];
    return NULL;
}

/* ---- comparison, by the rules of the suite's README ---- */

/* A tagged scalar is an object with exactly the members "type" and "value", both strings. */
static bool runner_is_scalar(const json_value *v, const json_value **type, const json_value **value)
{
    if (v->kind != JSON_OBJECT || v->count != 2)
        return false;
    *type = json_member(v, "type", 4);
    *value = json_member(v, "value", 5);
    return *type && *value && (*type)->kind == JSON_STRING && (*value)->kind == JSON_STRING;
}

typedef struct runner_moment {
    bool has_date, has_time, has_offset;
    long long days;          /* days since 1970-01-01 */
    long long seconds;       /* of the day; minus the offset when there is one */
    long nanos;
} runner_moment;

static long long runner_days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int runner_num(const char **p, int digits)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (*(*p)++ - '0');
    }
    return v;
}

/* Reads any of the four date-time forms into a comparable point; false if malformed. */
static bool runner_parse_moment(const char *s, runner_moment *m)
{
    memset(m, 0, sizeof *m);
    const char *p = s;
    if (strlen(s) >= 10 && s[4] == '-') {
        int y = runner_num(&p, 4), mo = (p++, runner_num(&p, 2)), d = (p++, runner_num(&p, 2));
        if (y < 0 || mo < 0 || d < 0)
            return false;
        m->has_date = true;
        m->days = runner_days_from_civil(y, mo, d);
        if (*p == 'T' || *p == 't' || *p == ' ')
            p++;
    }
    if (*p) {
        int h = runner_num(&p, 2), mi = (p++, runner_num(&p, 2)), se = (p++, runner_num(&p, 2));
        if (h < 0 || mi < 0 || se < 0)
            return false;
        m->has_time = true;
        m->seconds = h * 3600LL + mi * 60LL + se;
        if (*p == '.') {
            p++;
            long scale = 100000000;
            while (*p >= '0' && *p <= '9') {
                m->nanos += (*p++ - '0') * scale;
                scale /= 10;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            m->has_offset = true;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = runner_num(&p, 2), om = (p++, runner_num(&p, 2));
            if (oh < 0 || om < 0)
                return false;
            m->has_offset = true;
            m->seconds -= sign * (oh * 3600LL + om * 60LL);
        }
    }
    return *p == '\0';
}

static bool runner_same_scalar(const char *type, const json_value *want, const json_value *got)
{
    if (strcmp(type, "string") == 0 || strcmp(type, "integer") == 0)
        return want->len == got->len && memcmp(want->str, got->str, want->len) == 0;
    if (strcmp(type, "bool") == 0)
        return strcasecmp(want->str, got->str) == 0;
    if (strcmp(type, "float") == 0) {
        bool want_nan = want->len >= 3 && strcmp(want->str + want->len - 3, "nan") == 0;
        bool got_nan = got->len >= 3 && strcmp(got->str + got->len - 3, "nan") == 0;
        if (want_nan || got_nan)
            return want_nan && got_nan;
        char *e1, *e2;
        double a = strtod(want->str, &e1), b = strtod(got->str, &e2);
        return *e1 == '\0' && *e2 == '\0' && a == b;
    }
    runner_moment a, b;
    if (!runner_parse_moment(want->str, &a) || !runner_parse_moment(got->str, &b))
        return false;
    if (a.has_date != b.has_date || a.has_time != b.has_time || a.has_offset != b.has_offset)
        return false;
    return a.days * 86400 + a.seconds == b.days * 86400 + b.seconds && a.nanos == b.nanos;
}

/* Returns NULL when equal, else an owned description of the first difference. */
static char *runner_compare(const json_value *want, const json_value *got, const char *path)
{
    const json_value *wt, *wv, *gt, *gv;
    bool want_scalar = runner_is_scalar(want, &wt, &wv);
    bool got_scalar = runner_is_scalar(got, &gt, &gv);
    if (want_scalar || got_scalar) {
        if (!want_scalar || !got_scalar)
            return xasprintf("%s: expected %s, got %s", path, want_scalar ? "a scalar" : "a table",
                             got_scalar ? "a scalar" : "a table or array");
        if (wt->len != gt->len || memcmp(wt->str, gt->str, wt->len) != 0)
            return xasprintf("%s: expected type %s, got %s", path, wt->str, gt->str);
        if (!runner_same_scalar(wt->str, wv, gv))
            return xasprintf("%s: expected %s '%s', got '%s'", path, wt->str, wv->str, gv->str);
        return NULL;
    }
    if (want->kind != got->kind)
        return xasprintf("%s: expected %s", path, want->kind == JSON_OBJECT ? "a table" : "an array");
    if (want->kind == JSON_ARRAY) {
        if (want->count != got->count)
            return xasprintf("%s: expected %zu array elements, got %zu", path, want->count, got->count);
        for (size_t i = 0; i < want->count; i++) {
            char *sub = xasprintf("%s[%zu]", path, i);
            char *diff = runner_compare(want->items[i], got->items[i], sub);
            free(sub);
            if (diff)
                return diff;
        }
        return NULL;
    }
    if (want->kind != JSON_OBJECT)
        return xasprintf("%s: unexpected JSON value in the expectation", path);
    if (want->count != got->count)
        return xasprintf("%s: expected %zu keys, got %zu", path, want->count, got->count);
    for (size_t i = 0; i < want->count; i++) {
        const json_value *g = json_member(got, want->keys[i], want->key_lens[i]);
        char *sub = xasprintf("%s.%s", path, want->keys[i]);
        char *diff = g ? runner_compare(want->items[i], g, sub) : xasprintf("%s: missing", sub);
        free(sub);
        if (diff)
            return diff;
    }
    return NULL;
}

/* ---- running the decoder ---- */

typedef struct runner_output {
    char *out, *err;     /* owned, NUL-terminated */
    size_t out_len, err_len;
    int status;          /* from waitpid */
    bool timed_out;
} runner_output;

static void runner_drain(int *fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[8192];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        json_put(buf, len, cap, chunk, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

static uint64_t runner_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs prog with input on stdin (through a pipe, no shell) and collects both outputs. */
static bool runner_exec(const char *prog, const char *input, size_t input_len, runner_output *res)
{
    int in[2], out[2], err[2];
    memset(res, 0, sizeof *res);
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        return false;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    int win = in[1], rout = out[0], rerr = err[0];
    size_t written = 0, out_cap = 0, err_cap = 0;
    json_put(&res->out, &res->out_len, &out_cap, "", 0);
    json_put(&res->err, &res->err_len, &err_cap, "", 0);
    if (input_len == 0) {
        close(win);
        win = -1;
    }
    uint64_t deadline = runner_now_ms() + RUNNER_TIMEOUT_MS;
    while (win >= 0 || rout >= 0 || rerr >= 0) {
        struct pollfd fds[3] = {{win, POLLOUT, 0}, {rout, POLLIN, 0}, {rerr, POLLIN, 0}};
        uint64_t now = runner_now_ms();
        if (now >= deadline) {
            res->timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        int n = poll(fds, 3, (int)(deadline - now));
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (win >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(win, input + written, input_len - written);
            if (w > 0)
                written += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
                close(win);  /* EOF for the decoder, or it stopped reading early (EPIPE) */
                win = -1;
            }
        }
        if (rout >= 0 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)))
            runner_drain(&rout, &res->out, &res->out_len, &out_cap);
        if (rerr >= 0 && (fds[2].revents & (POLLIN | POLLERR | POLLHUP)))
            runner_drain(&rerr, &res->err, &res->err_len, &err_cap);
    }
    if (win >= 0)
        close(win);
    if (rout >= 0)
        close(rout);
    if (rerr >= 0)
        close(rerr);
    while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
        ;
    return true;
}

/* ---- cases ---- */

static int runner_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects every *.toml below dir (paths relative to root_len), recursively. */
static void runner_collect(const char *dir, size_t root_len, strvec *cases)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = path_join(dir, de->d_name);
        if (dir_exists(path)) {
            runner_collect(path, root_len, cases);
        } else {
            size_t n = strlen(de->d_name);
            if (n > 5 && strcmp(de->d_name + n - 5, ".toml") == 0)
                strvec_push(cases, path + root_len + 1);
        }
        free(path);
    }
    closedir(d);
}

/* Returns NULL when the case passes, else an owned reason. */
static char *runner_check_case(const char *decoder, const char *root, const char *rel)
{
    bool valid = strncmp(rel, "valid/", 6) == 0;
    char *path = path_join(root, rel);
    size_t len = 0;
    char *input = read_file(path, &len);
    if (!input) {
        char *reason = xasprintf("cannot read %s: %s", path, strerror(errno));
        free(path);
        return reason;
    }
    runner_output res;
    char *reason = NULL;
    if (!runner_exec(decoder, input, len, &res)) {
        reason = xasprintf("cannot run %s: %s", decoder, strerror(errno));
        goto done;
    }
    if (res.timed_out) {
        reason = xasprintf("decoder timed out after %d ms", RUNNER_TIMEOUT_MS);
    } else if (WIFSIGNALED(res.status)) {
        reason = xasprintf("decoder killed by signal %d", WTERMSIG(res.status));
    } else if (!valid) {
        if (WEXITSTATUS(res.status) == 0)
            reason = xasprintf("invalid document accepted; output: %.200s", res.out);
    } else if (WEXITSTATUS(res.status) != 0) {
        reason = xasprintf("valid document rejected: %.300s", res.err);
    } else {
        char *json_path = xstrdup(path);
        strcpy(json_path + strlen(json_path) - 5, ".json");
        size_t jlen = 0;
        char *expected_text = read_file(json_path, &jlen);
        json_value *want = expected_text ? json_parse(expected_text, jlen) : NULL;
        json_value *got = json_parse(res.out, res.out_len);
        if (!want)
            reason = xasprintf("cannot read expectation %s", json_path);
        else if (!got)
            reason = xasprintf("decoder printed malformed JSON: %.300s", res.out);
        else
            reason = runner_compare(want, got, "$");
        json_free(want);
        json_free(got);
        free(expected_text);
        free(json_path);
    }
done:
    free(res.out);
    free(res.err);
    free(input);
    free(path);
    return reason;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DECODER TOML_TEST_DIR\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);  /* a decoder that exits early must not kill the runner */
    const char *decoder = argv[1], *root = argv[2];
    if (!dir_exists(root)) {
        fprintf(stderr, "toml-test: no suite at %s\n", root);
        return 1;
    }
    strvec cases = {0};
    size_t root_len = strlen(root);
    while (root_len > 1 && root[root_len - 1] == '/')
        root_len--;
    char *valid_dir = path_join(root, "valid"), *invalid_dir = path_join(root, "invalid");
    runner_collect(valid_dir, root_len, &cases);
    runner_collect(invalid_dir, root_len, &cases);
    free(valid_dir);
    free(invalid_dir);
    if (cases.n == 0) {
        fprintf(stderr, "toml-test: no cases under %s\n", root);
        strvec_free(&cases);
        return 1;
    }
    qsort(cases.v, cases.n, sizeof *cases.v, runner_cmp_str);
    size_t passed = 0, failed = 0;
    for (size_t i = 0; i < cases.n; i++) {
        char *reason = runner_check_case(decoder, root, cases.v[i]);
        if (reason) {
            printf("FAIL %s: %s\n", cases.v[i], reason);
            failed++;
            free(reason);
        } else {
            passed++;
        }
    }
    printf("toml-test: %zu passed, %zu failed\n", passed, failed);
    strvec_free(&cases);
    return failed == 0 ? 0 : 1;
}
