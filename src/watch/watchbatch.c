/* watchbatch.c - debounce bookkeeping: one entry per changed path, due after a quiet spell. */
#include "watchbatch.h"

#include <string.h>

void watch_batch_init(watch_batch *b)
{
    memset(b, 0, sizeof *b);
    hashmap_init(&b->seen);
}

void watch_batch_free(watch_batch *b)
{
    hashmap_free(&b->seen);
    strvec_free(&b->paths);
    memset(b, 0, sizeof *b);
}

static void touch(watch_batch *b, uint64_t now_ms)
{
    if (!b->first_ms)
        b->first_ms = now_ms ? now_ms : 1;
    b->last_ms = now_ms;
}

void watch_batch_add(watch_batch *b, const char *path, uint64_t now_ms)
{
    touch(b, now_ms);
    if (hashmap_get(&b->seen, path))
        return;
    hashmap_put(&b->seen, path, (void *)1);
    strvec_push(&b->paths, path);
}

void watch_batch_lose(watch_batch *b, uint64_t now_ms)
{
    touch(b, now_ms);
    b->lost = true;
}

bool watch_batch_empty(const watch_batch *b)
{
    return b->first_ms == 0;
}

uint64_t watch_batch_wait_ms(const watch_batch *b, uint64_t now_ms, uint64_t debounce_ms, uint64_t max_wait_ms)
{
    if (watch_batch_empty(b))
        return UINT64_MAX;
    uint64_t quiet_at = b->last_ms + debounce_ms;
    uint64_t cap_at = b->first_ms + max_wait_ms;
    uint64_t due = quiet_at < cap_at ? quiet_at : cap_at;
    return due <= now_ms ? 0 : due - now_ms;
}

void watch_batch_take(watch_batch *b, strvec *out, bool *lost)
{
    *out = b->paths;
    *lost = b->lost;
    memset(&b->paths, 0, sizeof b->paths);
    hashmap_free(&b->seen);
    hashmap_init(&b->seen);
    b->lost = false;
    b->first_ms = b->last_ms = 0;
}
