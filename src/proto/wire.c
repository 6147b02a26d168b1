/* wire.c - the framed JSON wire protocol shared by clients and daemons. */
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* libjmake does not link util.c, so it keeps its own allocation checks. */
static void *wire_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void wire_decoder_init(wire_decoder *dec, size_t max_frame)
{
    memset(dec, 0, sizeof *dec);
    dec->max_frame = max_frame;
}

void wire_decoder_free(wire_decoder *dec)
{
    free(dec->buf);
    memset(dec, 0, sizeof *dec);
}

void wire_decoder_feed(wire_decoder *dec, const char *data, size_t len)
{
    /* libuv reports a read of 0 bytes (its EAGAIN), possibly with no buffer:
     * nothing to add, and a decoder with no buffer yet must not do arithmetic
     * on its NULL one. */
    if (len == 0)
        return;
    if (dec->len + len > dec->cap) {
        size_t cap = dec->cap ? dec->cap : 4096;
        while (cap < dec->len + len)
            cap *= 2;
        char *grown = realloc(dec->buf, cap);
        if (!grown)
            abort();
        dec->buf = grown;
        dec->cap = cap;
    }
    memcpy(dec->buf + dec->len, data, len);
    dec->len += len;
}

static uint32_t wire_read_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

int wire_decoder_next(wire_decoder *dec, char **frame, size_t *frame_len)
{
    if (dec->len < 4)
        return 0;
    uint32_t n = wire_read_u32(dec->buf);
    if (n > dec->max_frame) {
        if (frame_len)
            *frame_len = n;
        return -1;
    }
    if (dec->len < 4 + (size_t)n)
        return 0;
    char *out = wire_alloc((size_t)n + 1);
    memcpy(out, dec->buf + 4, n);
    out[n] = '\0';
    memmove(dec->buf, dec->buf + 4 + n, dec->len - 4 - n);
    dec->len -= 4 + (size_t)n;
    *frame = out;
    if (frame_len)
        *frame_len = n;
    return 1;
}

char *wire_frame(const char *json, size_t len, size_t *out_len)
{
    char *out = wire_alloc(len + 4);
    out[0] = (char)((len >> 24) & 0xff);
    out[1] = (char)((len >> 16) & 0xff);
    out[2] = (char)((len >> 8) & 0xff);
    out[3] = (char)(len & 0xff);
    memcpy(out + 4, json, len);
    *out_len = len + 4;
    return out;
}

int wire_send(int fd, const char *json, size_t len)
{
    size_t total;
    char *buf = wire_frame(json, len, &total);
    size_t off = 0;
    int rc = 0;
    while (off < total) {
        ssize_t n = send(fd, buf + off, total - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        off += (size_t)n;
    }
    free(buf);
    return rc;
}

static int64_t wire_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly len bytes before the deadline (deadline < 0: none). */
static int wire_read_exact(int fd, char *buf, size_t len, int64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        if (deadline >= 0) {
            int64_t left = deadline - wire_now_ms();
            if (left <= 0)
                return -ETIMEDOUT;
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int r = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
            if (r < 0 && errno != EINTR)
                return -errno;
            if (r <= 0)
                continue;
        }
        ssize_t n = recv(fd, buf + off, len - off, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -ECONNRESET;
        off += (size_t)n;
    }
    return 0;
}

int wire_recv(int fd, size_t max_frame, int timeout_ms, char **frame, size_t *frame_len)
{
    int64_t deadline = timeout_ms < 0 ? -1 : wire_now_ms() + timeout_ms;
    char hdr[4];
    int rc = wire_read_exact(fd, hdr, 4, deadline);
    if (rc < 0)
        return rc;
    uint32_t n = wire_read_u32(hdr);
    if (n > max_frame)
        return -EMSGSIZE;
    char *buf = wire_alloc((size_t)n + 1);
    rc = wire_read_exact(fd, buf, n, deadline);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *frame = buf;
    if (frame_len)
        *frame_len = n;
    return 0;
}
