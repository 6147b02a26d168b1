/* watchbatch.h - the debounce of one watched project: changed paths gathered until debounce_ms of quiet. */
#ifndef JMAKE_WATCHBATCH_H
#define JMAKE_WATCHBATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "hashmap.h"
#include "util.h"

/* Pure bookkeeping, the clock passed in, so the debounce is testable without
 * waiting. A path is kept once however often it changes. */
typedef struct watch_batch {
    hashmap seen;           /* path -> (void *)1 */
    strvec paths;           /* in first-seen order */
    bool lost;              /* an event may have been missed: the build must check everything */
    uint64_t first_ms;      /* when the oldest unreported change came; 0 = nothing waits */
    uint64_t last_ms;       /* when the newest came */
} watch_batch;

void watch_batch_init(watch_batch *b);
void watch_batch_free(watch_batch *b);
/* path borrowed (copied). */
void watch_batch_add(watch_batch *b, const char *path, uint64_t now_ms);
void watch_batch_lose(watch_batch *b, uint64_t now_ms);
bool watch_batch_empty(const watch_batch *b);
/* Milliseconds until the batch is due: debounce_ms after its newest change,
 * but never later than max_wait_ms after its oldest (a tree that never goes
 * quiet still builds). 0 = due now; UINT64_MAX = nothing waits. */
uint64_t watch_batch_wait_ms(const watch_batch *b, uint64_t now_ms, uint64_t debounce_ms, uint64_t max_wait_ms);
/* Moves the paths into *out (caller frees with strvec_free) and says whether
 * track was lost; the batch is empty afterwards. */
void watch_batch_take(watch_batch *b, strvec *out, bool *lost);

#endif
