/* uvwire.h - sending and receiving protocol frames on libuv streams (the daemons' side of wire.h). */
#ifndef JMAKE_UVWIRE_H
#define JMAKE_UVWIRE_H

#include <cjson/cJSON.h>
#include <uv.h>

/* Read buffers for uv_read_start; the read callback frees buf->base. */
void uvwire_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
/* Frames msg (consumed) and queues it on stream. 0, or a negative libuv error. */
int uvwire_send(uv_stream_t *stream, cJSON *msg);

/* Sends msg (consumed) at once if the socket takes it whole (a new
 * connection's buffer does), without queueing: for a reply sent just before
 * the handle is closed, which would cancel a queued write. 0 or a libuv error. */
int uvwire_try_send(uv_stream_t *stream, cJSON *msg);

#endif
