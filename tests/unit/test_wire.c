/* test_wire.c - the frame decoder of the wire protocol: frames split anywhere, the size limit, reads of nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void test_frames_split_at_every_byte(void **state)
{
    size_t a_len, b_len;
    char *a = wire_frame("{\"op\":\"ping\"}", 13, &a_len);
    char *b = wire_frame("{}", 2, &b_len);
    char stream[64];
    memcpy(stream, a, a_len);
    memcpy(stream + a_len, b, b_len);
    wire_decoder dec;
    wire_decoder_init(&dec, WIRE_MAX_REQUEST);
    char *frame = NULL;
    size_t len = 0;
    int frames = 0;
    for (size_t i = 0; i < a_len + b_len; i++) {
        wire_decoder_feed(&dec, stream + i, 1);
        int r = wire_decoder_next(&dec, &frame, &len);
        if (i == a_len - 1) {
            assert_int_equal(r, 1);
            assert_int_equal(len, 13);
            assert_string_equal(frame, "{\"op\":\"ping\"}");
        } else if (i == a_len + b_len - 1) {
            assert_int_equal(r, 1);
            assert_string_equal(frame, "{}");
        } else {
            assert_int_equal(r, 0);
            continue;
        }
        free(frame);
        frames++;
    }
    assert_int_equal(frames, 2);
    assert_int_equal(dec.len, 0);
    wire_decoder_free(&dec);
    free(a);
    free(b);
}

static void test_oversized_frame_stops_the_stream(void **state)
{
    wire_decoder dec;
    wire_decoder_init(&dec, 16);
    wire_decoder_feed(&dec, "\0\0\0\x11", 4);   /* 17 bytes announced, 16 allowed */
    char *frame = NULL;
    assert_int_equal(wire_decoder_next(&dec, &frame, NULL), -1);
    assert_int_equal(wire_decoder_next(&dec, &frame, NULL), -1);
    assert_null(frame);
    wire_decoder_free(&dec);
}

/* Found by fuzz_wire: libuv reports reads of 0 bytes, possibly with no
 * buffer; feeding one to a decoder that has none yet was pointer arithmetic
 * on NULL (UBSan). */
static void test_feed_of_nothing(void **state)
{
    wire_decoder dec;
    wire_decoder_init(&dec, 16);
    wire_decoder_feed(&dec, NULL, 0);
    char *frame = NULL;
    assert_int_equal(wire_decoder_next(&dec, &frame, NULL), 0);
    assert_int_equal(dec.len, 0);
    wire_decoder_feed(&dec, "\0\0\0\0", 4);
    assert_int_equal(wire_decoder_next(&dec, &frame, NULL), 1);
    assert_string_equal(frame, "");
    free(frame);
    wire_decoder_free(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_split_at_every_byte),
        cmocka_unit_test(test_oversized_frame_stops_the_stream),
        cmocka_unit_test(test_feed_of_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
