/* hashmap.h - string-keyed open-addressing hash map for O(1) lookups of paths and records. */
#ifndef JMAKE_HASHMAP_H
#define JMAKE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Keys are copied and owned by the map; values are borrowed pointers the
 * caller owns (free them before hashmap_free, e.g. with hashmap_next). */
typedef struct hashmap {
    struct hashmap_slot *slots;
    size_t cap;     /* power of two, 0 when empty */
    size_t count;   /* live entries */
    size_t used;    /* live + deleted slots, drives growth */
} hashmap;

void hashmap_init(hashmap *map);
void hashmap_free(hashmap *map);                        /* frees keys, not values */
void *hashmap_get(const hashmap *map, const char *key); /* NULL when absent */
/* Inserts or replaces; returns the previous value (NULL when new). */
void *hashmap_put(hashmap *map, const char *key, void *value);
void *hashmap_remove(hashmap *map, const char *key);    /* returns the removed value or NULL */
/* Iteration: start with *pos = 0; returns false at the end. The key points
 * into the map and stays valid until the entry is removed or the map grows. */
bool hashmap_next(const hashmap *map, size_t *pos, const char **key, void **value);

#endif
