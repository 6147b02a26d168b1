/* objcache.c - content-addressed object cache: zstd-compressed entries, manifests of header sets, LRU eviction. */
#include "objcache.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "sys.h"

#define MANIFEST_MAGIC "JMKM"
#define MANIFEST_VERSION 1u
#define MANIFEST_MAX_SETS 32u
#define SOURCES_MAGIC "JMKS"
#define SOURCES_VERSION 1u
/* The cache's kinds of files, each in a folder of its own: eviction and the size walk cover all. */
static const char *const cache_kinds[] = {"objects", "manifests", "sources", "commands"};
/* Fast level: the cache is written during every full build and must not
   slow it down; objects still shrink 3-4x. */
#define ZSTD_LEVEL 1

void objcache_hex(XXH128_hash_t h, char buf[33])
{
    snprintf(buf, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

static char *entry_path(const char *cache_dir, const char *kind, XXH128_hash_t key)
{
    char hex[33];
    objcache_hex(key, hex);
    return xasprintf("%s/%s/%.2s/%s", cache_dir, kind, hex, hex + 2);
}

/* The process umask, read once from procfs (umask(2) cannot be read without
   setting it, which races with other threads creating files); -1 when
   unknown (sys_self_umask). The daemons never change their umask after start. */
static int process_umask = -1;
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
    process_umask = sys_self_umask();
}

static atomic_uint tmp_counter;

/* Atomic write in four syscalls (open, write, close, rename) where
   write_file_atomic needs mkstemp and fchmod: the temporary name is unique by
   pid and a counter (a leftover of a dead process with the same pid is simply
   truncated), and fchmod only runs when the umask would strip bits of mode.
   in_place skips the temporary name (see objcache_get_stat).
   Fills *size and *mtime_ns from the descriptor before closing: the rename does
   not change them. Returns 0 or -errno (-ENOENT: the folder is missing). */
static int write_out(const char *path, bool in_place, const void *data, size_t len, mode_t mode, int64_t *size,
                     int64_t *mtime_ns)
{
    pthread_once(&umask_once, read_umask);
    const char *base = strrchr(path, '/');
    size_t dirlen = base ? (size_t)(base - path) + 1 : 0;
    char *tmp = in_place ? xstrdup(path)
                         : xasprintf("%.*s.%s.%ld.%u.tmp", (int)dirlen, path, base ? base + 1 : path,
                                     (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);   /* never through a planted link */
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return -e;
    }
    int rc = write_all(fd, data, len);
    if (rc == 0 && (process_umask < 0 || (mode & (mode_t)process_umask)) && fchmod(fd, mode) < 0)
        rc = -errno;
    if (rc == 0 && (size || mtime_ns)) {
        struct stat st;
        if (fstat(fd, &st) < 0) {
            rc = -errno;
        } else {
            if (size)
                *size = st.st_size;
            if (mtime_ns)
                *mtime_ns = stat_mtime_ns(&st);
        }
    }
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && !in_place && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);   /* in place too: a torn file must not stay behind */
    free(tmp);
    return rc;
}

/* write_out that creates the two-level folder on first use. */
static int store(const char *path, const void *data, size_t len)
{
    int rc = write_out(path, false, data, len, 0600, NULL, NULL);
    if (rc == -ENOENT) {
        char *dir = path_dirname(path);
        /* Usually only the two-hex-digit folder is missing: one mkdir, not a walk from /. */
        rc = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : mkdir_p(dir, 0700);
        free(dir);
        if (rc == 0)
            rc = write_out(path, false, data, len, 0600, NULL, NULL);
    }
    return rc;
}

/* Reads a whole entry; *mtime_ns feeds the LRU rule. Entries are only ever
 * replaced by rename, so the size fstat reports is the size to read. */
static char *read_entry(const char *path, size_t *len, int64_t *mtime_ns)
{
    struct stat st;
    char *buf = read_file_stat(path, len, &st);
    if (buf)
        *mtime_ns = stat_mtime_ns(&st);
    return buf;
}

/* LRU: a hit makes the entry young, but a write per hit is not worth it when
   it was made young less than OBJCACHE_TOUCH_AFTER_S ago. */
static void touch_if_old(const char *path, int64_t mtime_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = timespec_ns(&now);
    if (now_ns - mtime_ns >= (int64_t)OBJCACHE_TOUCH_AFTER_S * 1000000000)
        utimensat(AT_FDCWD, path, NULL, 0);
}

XXH128_hash_t objcache_object_key(XXH128_hash_t manifest_key, char *const *headers,
                                  const XXH128_hash_t *hashes, size_t count)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, &manifest_key, sizeof manifest_key);
    for (size_t i = 0; i < count; i++) {
        XXH3_128bits_update(st, headers[i], strlen(headers[i]) + 1);
        XXH3_128bits_update(st, &hashes[i], sizeof hashes[i]);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* One decoded header set of a manifest; paths point into the file buffer. */
typedef struct mset {
    XXH128_hash_t object_key;
    size_t count;
    const char **paths;
    size_t *lens;
    XXH128_hash_t *hashes;
} mset;

static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static bool hash_eq_bytes(const XXH128_hash_t *a, const XXH128_hash_t *b) { return !memcmp(a, b, sizeof *a); }

/* Decodes buf into sets (caller frees each set's arrays and the array).
   Returns the number of sets, or -1 when the file is damaged. */
static long decode_manifest(const unsigned char *buf, size_t len, mset **out)
{
    *out = NULL;
    if (len < 12 || memcmp(buf, MANIFEST_MAGIC, 4) != 0 || rd32(buf + 4) != MANIFEST_VERSION)
        return -1;
    uint32_t nsets = rd32(buf + 8);
    if (nsets > 4096)
        return -1;
    mset *sets = xcalloc(nsets ? nsets : 1, sizeof *sets);
    size_t off = 12;
    for (uint32_t s = 0; s < nsets; s++) {
        if (off + 20 > len)
            goto bad;
        memcpy(&sets[s].object_key, buf + off, 16);
        uint32_t n = rd32(buf + off + 16);
        off += 20;
        if (n > len)
            goto bad;
        sets[s].count = n;
        sets[s].paths = xcalloc(n ? n : 1, sizeof *sets[s].paths);
        sets[s].lens = xcalloc(n ? n : 1, sizeof *sets[s].lens);
        sets[s].hashes = xcalloc(n ? n : 1, sizeof *sets[s].hashes);
        for (uint32_t k = 0; k < n; k++) {
            if (off + 4 > len)
                goto bad;
            uint32_t pl = rd32(buf + off);
            off += 4;
            if (off + pl + 16 > len)
                goto bad;
            sets[s].paths[k] = (const char *)buf + off;
            sets[s].lens[k] = pl;
            off += pl;
            memcpy(&sets[s].hashes[k], buf + off, 16);
            off += 16;
        }
    }
    *out = sets;
    return nsets;
bad:
    for (uint32_t s = 0; s < nsets; s++) {
        free(sets[s].paths);
        free(sets[s].lens);
        free(sets[s].hashes);
    }
    free(sets);
    return -1;
}

static void free_sets(mset *sets, long n)
{
    for (long s = 0; s < n; s++) {
        free(sets[s].paths);
        free(sets[s].lens);
        free(sets[s].hashes);
    }
    free(sets);
}

int objcache_manifest_lookup(const char *cache_dir, XXH128_hash_t manifest_key, objcache_check_fn check,
                             void *ctx, XXH128_hash_t *object_key, strvec *headers, objcache_miss *miss)
{
    if (miss)
        *miss = (objcache_miss){OBJCACHE_NO_MANIFEST, NULL};
    char *path = entry_path(cache_dir, "manifests", manifest_key);
    size_t len = 0;
    int64_t mtime = 0;
    unsigned char *buf = (unsigned char *)read_entry(path, &len, &mtime);
    if (!buf) {
        int e = errno;
        free(path);
        return e == ENOENT ? 0 : -e;
    }
    mset *sets;
    long n = decode_manifest(buf, len, &sets);
    if (n < 0) {
        unlink(path);   /* damaged (e.g. an older version): start it over */
        free(path);
        free(buf);
        return 0;
    }
    int found = 0;
    if (miss && n > 0)
        miss->kind = OBJCACHE_HEADERS_DIFFER;
    for (long s = 0; s < n && !found; s++) {
        bool ok = true;
        for (size_t k = 0; k < sets[s].count && ok; k++) {
            char *hp = xstrndup(sets[s].paths[k], sets[s].lens[k]);
            ok = check(ctx, hp, sets[s].hashes[k]);
            if (!ok && s == 0 && miss)
                miss->header = hp;   /* the newest set is the nearest: name its header */
            else
                free(hp);
        }
        if (ok) {
            found = 1;
            *object_key = sets[s].object_key;
            for (size_t k = 0; k < sets[s].count; k++)
                strvec_push_owned(headers, xstrndup(sets[s].paths[k], sets[s].lens[k]));
        }
    }
    if (found) {
        touch_if_old(path, mtime);
        if (miss) {
            free(miss->header);
            miss->header = NULL;
        }
    }
    free_sets(sets, n);
    free(buf);
    free(path);
    return found;
}


static void bb_put32(bytebuf *b, uint32_t v) { bytebuf_put(b, &v, 4); }

int64_t objcache_manifest_add(const char *cache_dir, XXH128_hash_t manifest_key, char *const *headers,
                              const XXH128_hash_t *hashes, size_t count, XXH128_hash_t object_key)
{
    char *path = entry_path(cache_dir, "manifests", manifest_key);
    size_t len = 0;
    unsigned char *old = (unsigned char *)read_file(path, &len);
    mset *sets = NULL;
    long n = old ? decode_manifest(old, len, &sets) : 0;
    if (n < 0)
        n = 0;

    bytebuf b = {0};
    bytebuf_put(&b, MANIFEST_MAGIC, 4);
    bb_put32(&b, MANIFEST_VERSION);
    bb_put32(&b, 0);   /* set count, patched below */
    uint32_t written = 1;
    bytebuf_put(&b, &object_key, 16);
    bb_put32(&b, (uint32_t)count);
    for (size_t k = 0; k < count; k++) {
        bb_put32(&b, (uint32_t)strlen(headers[k]));
        bytebuf_put(&b, headers[k], strlen(headers[k]));
        bytebuf_put(&b, &hashes[k], 16);
    }
    /* Older sets follow, newest first, minus the one just replaced. */
    for (long s = 0; s < n && written < MANIFEST_MAX_SETS; s++) {
        if (!memcmp(&sets[s].object_key, &object_key, 16))
            continue;
        bytebuf_put(&b, &sets[s].object_key, 16);
        bb_put32(&b, (uint32_t)sets[s].count);
        for (size_t k = 0; k < sets[s].count; k++) {
            bb_put32(&b, (uint32_t)sets[s].lens[k]);
            bytebuf_put(&b, sets[s].paths[k], sets[s].lens[k]);
            bytebuf_put(&b, &sets[s].hashes[k], 16);
        }
        written++;
    }
    memcpy(b.p + 8, &written, 4);
    int rc = store(path, b.p, b.len);
    int64_t result = rc < 0 ? rc : (int64_t)b.len;
    free_sets(sets, n > 0 ? n : 0);
    free(old);
    free(b.p);
    free(path);
    return result;
}

/* The per-source manifest: "JMKS", u32 version, u32 count, count x
   objcache_source_entry (4 x 16 bytes), newest first. */
int objcache_source_entries(const char *cache_dir, XXH128_hash_t source_key, objcache_source_entry *out,
                            size_t max)
{
    char *path = entry_path(cache_dir, "sources", source_key);
    size_t len = 0;
    unsigned char *buf = (unsigned char *)read_file(path, &len);
    int e = errno;
    free(path);
    if (!buf)
        return e == ENOENT ? 0 : -e;
    size_t n = 0;
    if (len >= 12 && memcmp(buf, SOURCES_MAGIC, 4) == 0 && rd32(buf + 4) == SOURCES_VERSION) {
        n = rd32(buf + 8);
        if (12 + n * sizeof *out != len)
            n = 0;   /* damaged: as if absent; the next store rewrites it */
    }
    if (n > max)
        n = max;
    memcpy(out, buf + 12, n * sizeof *out);
    free(buf);
    return (int)n;
}

int64_t objcache_source_add(const char *cache_dir, XXH128_hash_t source_key, const objcache_source_entry *e)
{
    objcache_source_entry old[OBJCACHE_SOURCE_KEEP];
    int n = objcache_source_entries(cache_dir, source_key, old, OBJCACHE_SOURCE_KEEP);
    bytebuf b = {0};
    bytebuf_put(&b, SOURCES_MAGIC, 4);
    bb_put32(&b, SOURCES_VERSION);
    bb_put32(&b, 0);   /* count, patched below */
    bytebuf_put(&b, e, sizeof *e);
    uint32_t count = 1;
    for (int i = 0; i < n && count < OBJCACHE_SOURCE_KEEP; i++) {
        if (hash_eq_bytes(&old[i].manifest_key, &e->manifest_key))
            continue;
        bytebuf_put(&b, &old[i], sizeof old[i]);
        count++;
    }
    memcpy(b.p + 8, &count, 4);
    char *path = entry_path(cache_dir, "sources", source_key);
    int rc = store(path, b.p, b.len);
    int64_t result = rc < 0 ? rc : (int64_t)b.len;
    free(path);
    free(b.p);
    return result;
}

int64_t objcache_command_put(const char *cache_dir, XXH128_hash_t id, const void *data, size_t len)
{
    char *path = entry_path(cache_dir, "commands", id);
    struct stat st;
    int64_t result;
    if (stat(path, &st) == 0) {
        touch_if_old(path, stat_mtime_ns(&st));   /* referenced again: keep it as long as its users */
        result = 0;
    } else {
        int rc = store(path, data, len);
        result = rc < 0 ? rc : (int64_t)len;
    }
    free(path);
    return result;
}

char *objcache_command_get(const char *cache_dir, XXH128_hash_t id, size_t *len)
{
    char *path = entry_path(cache_dir, "commands", id);
    char *data = read_file(path, len);
    free(path);
    return data;
}

/* One compression and one decompression context per thread, reused across
 * entries; a destructor frees them when the thread ends (the compilation
 * daemon runs each job on a thread of its own). */
typedef struct zstd_contexts {
    ZSTD_DCtx *d;
    ZSTD_CCtx *c;
} zstd_contexts;

static pthread_key_t zstd_key;
static pthread_once_t zstd_key_once = PTHREAD_ONCE_INIT;

static void zstd_contexts_free(void *p)
{
    zstd_contexts *z = p;
    ZSTD_freeDCtx(z->d);
    ZSTD_freeCCtx(z->c);
    free(z);
}

static void zstd_key_create(void)
{
    pthread_key_create(&zstd_key, zstd_contexts_free);
}

static zstd_contexts *zstd_for_thread(void)
{
    pthread_once(&zstd_key_once, zstd_key_create);
    zstd_contexts *z = pthread_getspecific(zstd_key);
    if (!z) {
        z = xcalloc(1, sizeof *z);
        pthread_setspecific(zstd_key, z);
    }
    return z;
}

int objcache_get(const char *cache_dir, XXH128_hash_t object_key, const char *dest)
{
    int rc = objcache_get_stat(cache_dir, object_key, dest, false, NULL, NULL);
    if (rc == -ENOENT) {   /* dest's folder is missing: this entry point makes it */
        char *dir = path_dirname(dest);
        if (mkdir_p(dir, 0755) == 0)
            rc = objcache_get_stat(cache_dir, object_key, dest, false, NULL, NULL);
        free(dir);
    }
    return rc;
}

int objcache_get_stat(const char *cache_dir, XXH128_hash_t object_key, const char *dest, bool in_place,
                      int64_t *size, int64_t *mtime_ns)
{
    char *path = entry_path(cache_dir, "objects", object_key);
    size_t len = 0;
    int64_t mtime = 0;
    char *comp = read_entry(path, &len, &mtime);
    if (!comp) {
        int e = errno;
        free(path);
        return e == ENOENT ? 0 : -e;
    }
    int rc = 0;
    /* The frame header carries the size (objcache_put compresses in one
       shot), so one allocation and one decompression call do it. */
    unsigned long long raw_size = ZSTD_getFrameContentSize(comp, len);
    if (raw_size == ZSTD_CONTENTSIZE_ERROR || raw_size == ZSTD_CONTENTSIZE_UNKNOWN || raw_size > (1ull << 32)) {
        unlink(path);
        goto out;
    }
    zstd_contexts *z = zstd_for_thread();
    if (!z->d)
        z->d = ZSTD_createDCtx();
    char *raw = xmalloc(raw_size ? raw_size : 1);
    size_t got = ZSTD_decompressDCtx(z->d, raw, raw_size, comp, len);
    if (ZSTD_isError(got) || got != raw_size) {
        unlink(path);   /* corrupt entry: drop it, the compiler will recreate it */
        free(raw);
        goto out;
    }
    rc = write_out(dest, in_place, raw, raw_size, 0644, size, mtime_ns);
    free(raw);
    if (rc == 0) {
        rc = 1;
        touch_if_old(path, mtime);
    }
out:
    free(comp);
    free(path);
    return rc;
}

int64_t objcache_put(const char *cache_dir, XXH128_hash_t object_key, const char *src)
{
    size_t len = 0;
    char *raw = read_file(src, &len);
    if (!raw)
        return -errno;
    size_t bound = ZSTD_compressBound(len);
    char *comp = xmalloc(bound);
    zstd_contexts *z = zstd_for_thread();
    if (!z->c)
        z->c = ZSTD_createCCtx();
    size_t clen = ZSTD_compressCCtx(z->c, comp, bound, raw, len, ZSTD_LEVEL);
    free(raw);
    if (ZSTD_isError(clen)) {
        free(comp);
        return -EIO;
    }
    char *path = entry_path(cache_dir, "objects", object_key);
    int rc = store(path, comp, clen);
    free(comp);
    free(path);
    return rc < 0 ? rc : (int64_t)clen;
}

typedef struct centry {
    char *path;
    int64_t size;
    int64_t mtime_ns;
} centry;

typedef struct clist {
    centry *v;
    size_t n, cap;
} clist;

/* Collects the files two levels below cache_dir/kind. */
/* A temporary file of write_out (".NAME.PID.N.tmp") whose writing process is
   gone: its write was killed halfway and nobody will rename it. */
static bool tmp_of_dead_writer(const char *name)
{
    size_t len = strlen(name);
    if (name[0] != '.' || len < 5 || strcmp(name + len - 4, ".tmp") != 0)
        return false;
    const char *end = name + len - 4;          /* ".tmp" */
    const char *counter = end;
    while (counter > name && counter[-1] != '.')
        counter--;                              /* N */
    if (counter <= name + 1)
        return false;
    const char *pid_start = counter - 1;        /* the '.' before N */
    while (pid_start > name && pid_start[-1] != '.')
        pid_start--;
    char *stop;
    long pid = strtol(pid_start, &stop, 10);
    if (stop != counter - 1 || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void collect(const char *cache_dir, const char *kind, clist *out)
{
    char *top = path_join(cache_dir, kind);
    DIR *d = opendir(top);
    if (!d) {
        free(top);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = path_join(top, de->d_name);
        DIR *d2 = opendir(sub);
        if (d2) {
            struct dirent *e2;
            while ((e2 = readdir(d2))) {
                if (e2->d_name[0] == '.' && (!e2->d_name[1] || (e2->d_name[1] == '.' && !e2->d_name[2])))
                    continue;
                struct stat st;
                char *p = path_join(sub, e2->d_name);
                if (tmp_of_dead_writer(e2->d_name)) {
                    unlinkat(dirfd(d2), e2->d_name, 0);   /* a write killed halfway: never finished */
                    free(p);
                    continue;
                }
                if (fstatat(dirfd(d2), e2->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
                    if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 256;
                        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
                    }
                    out->v[out->n++] = (centry){p, (int64_t)st.st_size,
                                                stat_mtime_ns(&st)};
                } else {
                    free(p);
                }
            }
            closedir(d2);
        }
        free(sub);
    }
    closedir(d);
    free(top);
}

static int by_mtime(const void *a, const void *b)
{
    const centry *x = a, *y = b;
    return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

static void collect_all(const char *cache_dir, clist *out)
{
    for (size_t i = 0; i < sizeof cache_kinds / sizeof *cache_kinds; i++)
        collect(cache_dir, cache_kinds[i], out);
}

int64_t objcache_size(const char *cache_dir)
{
    clist l = {0};
    collect_all(cache_dir, &l);
    int64_t total = 0;
    for (size_t i = 0; i < l.n; i++) {
        total += l.v[i].size;
        free(l.v[i].path);
    }
    free(l.v);
    return total;
}

int64_t objcache_evict(const char *cache_dir, int64_t max_bytes, int64_t *size_after)
{
    if (!dir_exists(cache_dir))
        return -ENOENT;
    clist l = {0};
    collect_all(cache_dir, &l);
    int64_t total = 0;
    for (size_t i = 0; i < l.n; i++)
        total += l.v[i].size;
    int64_t removed = 0;
    if (total > max_bytes) {
        qsort(l.v, l.n, sizeof *l.v, by_mtime);
        for (size_t i = 0; i < l.n && total > max_bytes; i++) {
            if (unlink(l.v[i].path) == 0 || errno == ENOENT) {
                total -= l.v[i].size;
                removed += l.v[i].size;
            }
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].path);
    free(l.v);
    if (size_after)
        *size_after = total;
    return removed;
}
