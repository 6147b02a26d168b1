/* fuzz_wire.c - libFuzzer target for the frame decoder of src/proto/wire.c, fed in fuzzer-chosen pieces, and the JSON parse of each frame. */
#include "wire.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

/* Input layout: byte 0 picks the frame limit (low 2 bits) and how many
 * piece-size bytes follow (next 4 bits); the piece sizes are used in turn
 * (0 feeds nothing, as a read of 0 bytes would); the rest is the stream.
 * Small limits make "frame too large" reachable with small inputs. */
static const size_t frame_limits[4] = {16, 300, 4096, WIRE_MAX_REQUEST};

/* What the decoder must produce, worked out over the whole stream at once. */
typedef struct expected {
    size_t frames;         /* complete frames before the end or the oversized one */
    size_t frame_at[64];   /* offset of each frame's payload (the first 64) */
    size_t frame_len[64];
    int oversized;         /* the stream then announces a frame over the limit */
    size_t leftover;       /* bytes after the last frame (when not oversized) */
} expected;

static void expect_frames(const uint8_t *s, size_t n, size_t limit, expected *e)
{
    memset(e, 0, sizeof *e);
    size_t off = 0;
    while (n - off >= 4) {
        uint32_t len = ((uint32_t)s[off] << 24) | ((uint32_t)s[off + 1] << 16) | ((uint32_t)s[off + 2] << 8) | s[off + 3];
        if (len > limit) {
            e->oversized = 1;
            return;
        }
        if (n - off - 4 < len)
            break;
        if (e->frames < 64) {
            e->frame_at[e->frames] = off + 4;
            e->frame_len[e->frames] = len;
        }
        e->frames++;
        off += 4 + (size_t)len;
    }
    e->leftover = n - off;
}

/* Parses a frame as the orchestrator and the workers do, and looks at the
 * fields they route on. */
static void parse_frame(const char *frame)
{
    cJSON *req = cJSON_Parse(frame);
    if (!req)
        return;
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(req, "op"));
    if (op)
        FUZZ_CHECK(strlen(op) <= strlen(frame));
    char *printed = cJSON_PrintUnformatted(req);
    FUZZ_CHECK(printed != NULL);
    cJSON *again = cJSON_Parse(printed);
    FUZZ_CHECK(again != NULL);
    cJSON_Delete(again);
    free(printed);
    cJSON_Delete(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t limit = frame_limits[data[0] & 3];
    size_t npieces = (data[0] >> 2) & 15;
    if (size < 1 + npieces)
        return 0;
    const uint8_t *pieces = data + 1;
    const uint8_t *stream = data + 1 + npieces;
    size_t n = size - 1 - npieces;
    /* Sizes of 0 alone would never reach the end of the stream. */
    size_t nonzero = 0;
    for (size_t i = 0; i < npieces; i++)
        nonzero += pieces[i] != 0;
    if (!nonzero)
        npieces = 0;

    expected e;
    expect_frames(stream, n, limit, &e);

    wire_decoder dec;
    wire_decoder_init(&dec, limit);
    size_t off = 0, got = 0, piece = 0;
    int oversized = 0;
    while (!oversized) {
        size_t want = npieces ? pieces[piece++ % npieces] : n;
        if (want > n - off)
            want = n - off;
        wire_decoder_feed(&dec, (const char *)stream + off, want);
        off += want;
        for (;;) {
            char *frame = NULL;
            size_t frame_len = 0;
            int r = wire_decoder_next(&dec, &frame, &frame_len);
            if (r == 0)
                break;
            if (r < 0) {
                oversized = 1;
                /* The stream stays unusable: asking again changes nothing. */
                FUZZ_CHECK(wire_decoder_next(&dec, &frame, &frame_len) == -1);
                break;
            }
            FUZZ_CHECK(r == 1 && frame && frame[frame_len] == '\0');
            FUZZ_CHECK(got < e.frames);
            if (got < 64) {
                FUZZ_CHECK(frame_len == e.frame_len[got]);
                FUZZ_CHECK(memcmp(frame, stream + e.frame_at[got], frame_len) == 0);
            }
            got++;
            parse_frame(frame);
            free(frame);
        }
        if (off == n)
            break;
    }
    FUZZ_CHECK(got == e.frames);
    FUZZ_CHECK(oversized == e.oversized);
    if (!oversized)
        FUZZ_CHECK(dec.len == e.leftover);
    wire_decoder_free(&dec);

    /* What wire_frame builds, the decoder reads back unchanged. */
    if (n <= limit) {
        size_t framed_len = 0;
        char *framed = wire_frame((const char *)stream, n, &framed_len);
        FUZZ_CHECK(framed_len == n + 4);
        wire_decoder_init(&dec, limit);
        wire_decoder_feed(&dec, framed, framed_len);
        char *frame = NULL;
        size_t frame_len = 0;
        FUZZ_CHECK(wire_decoder_next(&dec, &frame, &frame_len) == 1);
        FUZZ_CHECK(frame_len == n && memcmp(frame, stream, n) == 0 && dec.len == 0);
        free(frame);
        free(framed);
        wire_decoder_free(&dec);
    }
    return 0;
}
