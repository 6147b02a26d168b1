/* wire.h - the framed JSON wire protocol: a 4-byte big-endian length, then one JSON object. */
#ifndef JMAKE_WIRE_H
#define JMAKE_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Requests are small; replies may carry large results (symbol lists, logs). */
#define WIRE_MAX_REQUEST (1u << 20)
#define WIRE_MAX_REPLY (64u << 20)

/* Incremental frame extraction for non-blocking readers. */
typedef struct wire_decoder {
    char *buf;
    size_t len, cap;
    size_t max_frame;
} wire_decoder;

void wire_decoder_init(wire_decoder *dec, size_t max_frame);
void wire_decoder_free(wire_decoder *dec);
void wire_decoder_feed(wire_decoder *dec, const char *data, size_t len);
/* 1: *frame (NUL-terminated, caller frees) holds the next frame; 0: need more
 * bytes; -1: the announced frame exceeds max_frame (the stream is unusable;
 * *frame_len then holds the announced length, for the log). */
int wire_decoder_next(wire_decoder *dec, char **frame, size_t *frame_len);

/* Header + payload in one new buffer (caller frees); *out_len its length. */
char *wire_frame(const char *json, size_t len, size_t *out_len);

/* Blocking helpers for clients. 0 on success, -errno on I/O errors, -EMSGSIZE
 * for an oversized frame, -ECONNRESET on EOF. timeout_ms < 0: wait forever. */
int wire_send(int fd, const char *json, size_t len);
int wire_recv(int fd, size_t max_frame, int timeout_ms, char **frame, size_t *frame_len);

#endif
