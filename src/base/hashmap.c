/* hashmap.c - string-keyed open-addressing hash map (linear probing, tombstones). */
#include "hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "util.h"

/* A deleted slot keeps a non-NULL marker key so probe chains stay intact. */
static char tombstone_key[1];

typedef struct hashmap_slot {
    char *key;          /* NULL: never used; tombstone_key: deleted */
    void *value;
    uint64_t hash;
} hashmap_slot;

void hashmap_init(hashmap *map) { memset(map, 0, sizeof *map); }

void hashmap_free(hashmap *map)
{
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key && map->slots[i].key != tombstone_key)
            free(map->slots[i].key);
    free(map->slots);
    memset(map, 0, sizeof *map);
}

static uint64_t key_hash(const char *key) { return XXH3_64bits(key, strlen(key)); }

static hashmap_slot *find_slot(const hashmap *map, const char *key, uint64_t hash)
{
    if (!map->cap)
        return NULL;
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        hashmap_slot *s = &map->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != tombstone_key && s->hash == hash && strcmp(s->key, key) == 0)
            return s;
    }
}

static void grow(hashmap *map)
{
    size_t ncap = map->cap ? map->cap * 2 : 16;
    /* Rehashing in place of growth when mostly tombstones keeps memory flat. */
    if (map->cap && map->count * 2 < map->cap)
        ncap = map->cap;
    hashmap_slot *old = map->slots;
    size_t ocap = map->cap;
    map->slots = xcalloc(ncap, sizeof *map->slots);
    map->cap = ncap;
    map->used = map->count;
    size_t mask = ncap - 1;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key || old[i].key == tombstone_key)
            continue;
        size_t j = old[i].hash & mask;
        while (map->slots[j].key)
            j = (j + 1) & mask;
        map->slots[j] = old[i];
    }
    free(old);
}

void *hashmap_get(const hashmap *map, const char *key)
{
    hashmap_slot *s = find_slot(map, key, key_hash(key));
    return s ? s->value : NULL;
}

void *hashmap_put(hashmap *map, const char *key, void *value)
{
    uint64_t hash = key_hash(key);
    hashmap_slot *s = find_slot(map, key, hash);
    if (s) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    if ((map->used + 1) * 4 > map->cap * 3)
        grow(map);
    size_t mask = map->cap - 1;
    size_t i = hash & mask;
    while (map->slots[i].key && map->slots[i].key != tombstone_key)
        i = (i + 1) & mask;
    if (!map->slots[i].key)
        map->used++;
    map->slots[i].key = xstrdup(key);
    map->slots[i].value = value;
    map->slots[i].hash = hash;
    map->count++;
    return NULL;
}

void *hashmap_remove(hashmap *map, const char *key)
{
    hashmap_slot *s = find_slot(map, key, key_hash(key));
    if (!s)
        return NULL;
    void *old = s->value;
    free(s->key);
    s->key = tombstone_key;
    s->value = NULL;
    map->count--;
    return old;
}

bool hashmap_next(const hashmap *map, size_t *pos, const char **key, void **value)
{
    while (*pos < map->cap) {
        hashmap_slot *s = &map->slots[(*pos)++];
        if (s->key && s->key != tombstone_key) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}
