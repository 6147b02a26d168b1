/* uvwire.c - sending and receiving protocol frames on libuv streams (the daemons' side of wire.h). */
#include "uvwire.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

typedef struct uvwire_write {
    uv_write_t req;
    char *buf;
} uvwire_write;

void uvwire_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    buf->base = xmalloc(suggested);
    buf->len = suggested;
}

static void uvwire_on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows up as an error on the next read */
    uvwire_write *w = (uvwire_write *)req;
    free(w->buf);
    free(w);
}

int uvwire_try_send(uv_stream_t *stream, cJSON *msg)
{
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    size_t len;
    char *frame = wire_frame(text, strlen(text), &len);
    free(text);
    uv_buf_t b = uv_buf_init(frame, (unsigned)len);
    int rc = uv_try_write(stream, &b, 1);
    free(frame);
    return rc == (int)len ? 0 : rc < 0 ? rc : UV_EAGAIN;
}

int uvwire_send(uv_stream_t *stream, cJSON *msg)
{
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    size_t len;
    uvwire_write *w = xmalloc(sizeof *w);
    w->buf = wire_frame(text, strlen(text), &len);
    free(text);
    uv_buf_t b = uv_buf_init(w->buf, (unsigned)len);
    int rc = uv_write(&w->req, stream, &b, 1, uvwire_on_written);
    if (rc < 0) {
        free(w->buf);
        free(w);
    }
    return rc;
}
