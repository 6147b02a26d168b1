/* objcache.h - content-addressed object cache shared by every project: zstd entries, manifests (direct mode), LRU eviction. */
#ifndef JMAKE_OBJCACHE_H
#define JMAKE_OBJCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "util.h"

/* Layout under the cache folder (folders 0700, files 0600, all written
 * through a temporary file and rename):
 *   objects/ab/<30 hex>    zstd frame of one object file, key = object key
 *   manifests/ab/<30 hex>  header sets seen for one manifest key (see docs/ENGINE.md)
 *   sources/ab/<30 hex>    what went into the last few entries stored for one source (explain)
 *   commands/ab/<30 hex>   one command line (compiler and flags) those entries refer to */

/* Answers whether the header at path (as recorded: relative to the compile's
 * folder or absolute) still has content hash expected. */
typedef bool (*objcache_check_fn)(void *ctx, const char *path, XXH128_hash_t expected);

/* The object key of a translation unit: the manifest key (compiler, args,
 * source hash) extended by every header it read and that header's hash. */
XXH128_hash_t objcache_object_key(XXH128_hash_t manifest_key, char *const *headers,
                                  const XXH128_hash_t *hashes, size_t count);

/* Why a manifest lookup found nothing. */
typedef enum objcache_miss_kind {
    OBJCACHE_NO_MANIFEST,       /* nothing stored under this manifest key */
    OBJCACHE_HEADERS_DIFFER,    /* header sets stored, none matching: header is the first that
                                   differs in the newest set */
} objcache_miss_kind;

typedef struct objcache_miss {
    objcache_miss_kind kind;
    char *header;               /* OBJCACHE_HEADERS_DIFFER: as recorded (caller frees) */
} objcache_miss;

/* Looks up the manifest; for the first recorded header set whose every header
 * passes check, sets *object_key and appends the header paths to headers.
 * Returns 1 on a match, 0 when there is none (then *miss says why, when miss
 * is not NULL), -errno on I/O errors. */
int objcache_manifest_lookup(const char *cache_dir, XXH128_hash_t manifest_key, objcache_check_fn check,
                             void *ctx, XXH128_hash_t *object_key, strvec *headers, objcache_miss *miss);

/* Records (headers, hashes) -> object_key in the manifest, newest first, at
 * most a few dozen sets kept. Returns bytes written or -errno. */
int64_t objcache_manifest_add(const char *cache_dir, XXH128_hash_t manifest_key, char *const *headers,
                              const XXH128_hash_t *hashes, size_t count, XXH128_hash_t object_key);

/* Decompresses the entry into dest (written atomically, mode 0644) and marks
 * it recently used. Returns 1 on a hit, 0 on a miss, -errno on errors
 * (a corrupt entry is removed and reported as a miss). */
int objcache_get(const char *cache_dir, XXH128_hash_t object_key, const char *dest);
/* objcache_get that also reports the restored file's (size, mtime_ns) from
 * the descriptor it wrote (either may be NULL), saving the caller a stat.
 * dest's folder must exist (-ENOENT otherwise). With in_place, dest is
 * truncated and written directly instead of through a temporary file and
 * rename: one directory operation instead of two, for callers that never
 * trust a file whose stat they did not record after a complete write (the
 * engine's build folder). Safe to call from several threads at once; dest
 * paths must differ. */
int objcache_get_stat(const char *cache_dir, XXH128_hash_t object_key, const char *dest, bool in_place,
                      int64_t *size, int64_t *mtime_ns);

/* A hit refreshes an entry's mtime (the LRU clock) only when it is older than
 * this: most hits then cost no metadata write, and eviction order is still
 * right to within an hour. */
#define OBJCACHE_TOUCH_AFTER_S 3600

/* What went into one entry stored for a source: the per-source manifest keeps
 * the newest OBJCACHE_SOURCE_KEEP (one per manifest key), so a miss can name
 * the nearest entry and what differs from it. */
#define OBJCACHE_SOURCE_KEEP 8
typedef struct objcache_source_entry {
    XXH128_hash_t manifest_key;
    XXH128_hash_t command_id;   /* a blob under commands/ (objcache_command_put) */
    XXH128_hash_t source_hash;
    XXH128_hash_t root_hash;    /* the project root when it is part of the key (-g), else zero */
} objcache_source_entry;

/* Puts e first in the manifest of source_key. Returns bytes written or -errno. */
int64_t objcache_source_add(const char *cache_dir, XXH128_hash_t source_key, const objcache_source_entry *e);
/* Up to max entries of source_key's manifest into out, newest first.
 * Returns how many (0: none or damaged), or -errno. */
int objcache_source_entries(const char *cache_dir, XXH128_hash_t source_key, objcache_source_entry *out,
                            size_t max);
/* Stores data under commands/<id> unless an entry is there (then only makes
 * it young when old). Returns bytes written (0 when present) or -errno. */
int64_t objcache_command_put(const char *cache_dir, XXH128_hash_t id, const void *data, size_t len);
/* The blob stored under commands/<id> (caller frees; *len its size), NULL when absent. */
char *objcache_command_get(const char *cache_dir, XXH128_hash_t id, size_t *len);

/* Stores the file at src under object_key. Returns compressed bytes written or -errno. */
int64_t objcache_put(const char *cache_dir, XXH128_hash_t object_key, const char *src);

/* Removes least-recently-used entries (by mtime, refreshed on every hit)
 * until the cache holds at most max_bytes. Returns bytes removed, or -errno;
 * *size_after (may be NULL) gets the size left. */
int64_t objcache_evict(const char *cache_dir, int64_t max_bytes, int64_t *size_after);

/* Bytes currently held (sum of entry sizes), or -errno. */
int64_t objcache_size(const char *cache_dir);

/* 32 lowercase hex digits of h into buf (33 bytes). */
void objcache_hex(XXH128_hash_t h, char buf[33]);

#endif
