/* buildrecord.c - per-project build record: stat-then-hash file checks and a versioned binary file with a checksum. */
#include "buildrecord.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objcache.h"
#include "util.h"

#define RECORD_MAGIC "JMKB"
/* 2: symbols of the artifact appended after the compile_commands signature.
   3: each file also has ctime_ns, inode and device.
   4: a table of distinct commands (compiler and flags) that objects refer to,
   so a rebuild can say which flag changed. Older records load as "no record"
   (the cache still serves every object). */
#define RECORD_VERSION 4u
#define NO_COMMAND 0xffffffffu
/* A file whose mtime is this close to "now" may still change within the
   same timestamp tick without its stat changing, so it is re-hashed next time. */
#define RACY_WINDOW_NS 2000000000ll

void buildrecord_init(buildrecord *rec)
{
    memset(rec, 0, sizeof *rec);
    hashmap_init(&rec->files);
    hashmap_init(&rec->objects);
    hashmap_init(&rec->commands);
}

void buildrecord_command_clear(br_command *c)
{
    free(c->compiler);
    strvec_free(&c->args);
    memset(c, 0, sizeof *c);
}

static void command_free(br_command *c)
{
    buildrecord_command_clear(c);
    free(c);
}

static void object_free(br_object *o)
{
    free(o->source);
    free(o->deps);
    free(o->dep_hashes);
    free(o);
}

void buildrecord_free(buildrecord *rec)
{
    size_t pos = 0;
    void *v;
    while (hashmap_next(&rec->files, &pos, NULL, &v)) {
        free(((br_file *)v)->path);
        free(v);
    }
    pos = 0;
    while (hashmap_next(&rec->objects, &pos, NULL, &v))
        object_free(v);
    pos = 0;
    while (hashmap_next(&rec->commands, &pos, NULL, &v))
        command_free(v);
    hashmap_free(&rec->files);
    hashmap_free(&rec->objects);
    hashmap_free(&rec->commands);
    strvec_free(&rec->symbols.names);
    memset(rec, 0, sizeof *rec);
}

br_file *buildrecord_file(buildrecord *rec, const char *path)
{
    br_file *f = hashmap_get(&rec->files, path);
    if (!f) {
        f = xcalloc(1, sizeof *f);
        f->path = xstrdup(path);
        hashmap_put(&rec->files, path, f);
    }
    return f;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return timespec_ns(&ts);
}

static int64_t stat_ctime_ns(const struct stat *st) { return timespec_ns(&st->st_ctim); }

/* Whether st is the stat f was hashed with. */
static bool same_stat(const br_file *f, const struct stat *st)
{
    return f->size == (int64_t)st->st_size && f->mtime_ns == stat_mtime_ns(st) &&
           f->ctime_ns == stat_ctime_ns(st) && f->ino == (uint64_t)st->st_ino && f->dev == (uint64_t)st->st_dev;
}

/* The content hash of path and the stat of the descriptor it was read from. */
static int hash_file_stat(const char *path, XXH128_hash_t *out, struct stat *stp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *stp = st;
    int rc = 0;
    if (st.st_size > 65536) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -errno;
        } else {
            *out = XXH3_128bits(m, (size_t)st.st_size);
            munmap(m, (size_t)st.st_size);
        }
    } else {
        char buf[65536];
        size_t got = 0;
        for (;;) {
            ssize_t n = read(fd, buf + got, sizeof buf - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = -errno;
                break;
            }
            if (n == 0 || (got += (size_t)n) == sizeof buf)
                break;
        }
        if (rc == 0)
            *out = XXH3_128bits(buf, got);
    }
    close(fd);
    return rc;
}

int buildrecord_hash_file(const char *path, XXH128_hash_t *out, int64_t *size, int64_t *mtime_ns)
{
    struct stat st;
    int rc = hash_file_stat(path, out, &st);
    if (rc < 0)
        return rc;
    if (size)
        *size = st.st_size;
    if (mtime_ns)
        *mtime_ns = stat_mtime_ns(&st);
    return 0;
}

bool buildrecord_file_unchanged(const br_file *f)
{
    struct stat st;
    if (stat(f->path, &st) != 0)
        return !f->exists;
    return f->exists && same_stat(f, &st);
}

bool buildrecord_file_check(buildrecord *rec, br_file *f)
{
    if (f->checked_epoch == rec->epoch && rec->epoch)
        return f->exists;
    struct stat st;
    return buildrecord_file_check_stat(rec, f, stat(f->path, &st) == 0 ? &st : NULL);
}

bool buildrecord_file_check_stat(buildrecord *rec, br_file *f, const struct stat *st)
{
    if (f->checked_epoch == rec->epoch && rec->epoch)
        return f->exists;
    f->checked_epoch = rec->epoch;
    if (!st) {
        f->exists = false;
        return false;
    }
    f->exists = true;
    if (f->hashed && !f->racy && same_stat(f, st))
        return true;
    XXH128_hash_t h;
    struct stat hs;
    if (hash_file_stat(f->path, &h, &hs) < 0) {
        f->exists = false;
        return false;
    }
    f->hash = h;
    f->hashed = true;
    f->size = hs.st_size;
    f->mtime_ns = stat_mtime_ns(&hs);
    f->ctime_ns = stat_ctime_ns(&hs);
    f->ino = (uint64_t)hs.st_ino;
    f->dev = (uint64_t)hs.st_dev;
    f->racy = now_ns() - f->mtime_ns < RACY_WINDOW_NS;
    rec->dirty = true;
    return true;
}

void buildrecord_file_invalidate(buildrecord *rec, const char *path)
{
    br_file *f = hashmap_get(&rec->files, path);
    if (f) {
        f->racy = true;
        f->checked_epoch = 0;
    }
}

bool buildrecord_file_trust(buildrecord *rec, br_file *f)
{
    if (f->checked_epoch == rec->epoch && rec->epoch)
        return true;
    if (!f->hashed || f->racy || !f->exists || f->checked_epoch == 0)
        return false;
    f->checked_epoch = rec->epoch;
    return true;
}

br_object *buildrecord_object_set(buildrecord *rec, const char *source, XXH128_hash_t cmd_hash, br_command *cmd,
                                  br_file *const *deps, const XXH128_hash_t *dep_hashes, size_t dep_count)
{
    br_object *o = hashmap_get(&rec->objects, source);
    if (!o) {
        o = xcalloc(1, sizeof *o);
        o->source = xstrdup(source);
        hashmap_put(&rec->objects, source, o);
    }
    free(o->deps);
    free(o->dep_hashes);
    o->cmd_hash = cmd_hash;
    o->cmd = cmd;
    o->dep_count = dep_count;
    o->deps = xmalloc((dep_count ? dep_count : 1) * sizeof *o->deps);
    o->dep_hashes = xmalloc((dep_count ? dep_count : 1) * sizeof *o->dep_hashes);
    if (dep_count) {
        memcpy(o->deps, deps, dep_count * sizeof *deps);
        memcpy(o->dep_hashes, dep_hashes, dep_count * sizeof *dep_hashes);
    }
    o->seen_epoch = rec->epoch;
    rec->dirty = true;
    return o;
}

void buildrecord_object_remove(buildrecord *rec, const char *source)
{
    br_object *o = hashmap_remove(&rec->objects, source);
    if (o) {
        object_free(o);
        rec->dirty = true;
    }
}

XXH128_hash_t buildrecord_command_id(const char *compiler, int64_t size, int64_t mtime_ns, char *const *args,
                                     size_t nargs)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, compiler, strlen(compiler) + 1);
    int64_t v[2] = {size, mtime_ns};
    XXH3_128bits_update(st, v, sizeof v);
    for (size_t i = 0; i < nargs; i++)
        XXH3_128bits_update(st, args[i], strlen(args[i]) + 1);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* Takes ownership of c's strings (c itself is copied). */
static br_command *command_intern(buildrecord *rec, br_command *c)
{
    char key[33];
    objcache_hex(c->id, key);
    br_command *have = hashmap_get(&rec->commands, key);
    if (have) {
        buildrecord_command_clear(c);
        return have;
    }
    br_command *n = xmalloc(sizeof *n);
    *n = *c;
    n->mark = 0;
    hashmap_put(&rec->commands, key, n);
    rec->dirty = true;
    return n;
}

br_command *buildrecord_command(buildrecord *rec, const char *compiler, int64_t size, int64_t mtime_ns,
                                char *const *args, size_t nargs)
{
    XXH128_hash_t id = buildrecord_command_id(compiler, size, mtime_ns, args, nargs);
    char key[33];
    objcache_hex(id, key);
    br_command *have = hashmap_get(&rec->commands, key);
    if (have)
        return have;
    br_command c = {.id = id, .compiler = xstrdup(compiler), .compiler_size = size, .compiler_mtime_ns = mtime_ns};
    for (size_t i = 0; i < nargs; i++)
        strvec_push(&c.args, args[i]);
    return command_intern(rec, &c);
}

/* ---- persistence ---- */

static void put32(bytebuf *b, uint32_t v) { bytebuf_put(b, &v, 4); }
static void put64(bytebuf *b, int64_t v) { bytebuf_put(b, &v, 8); }
static void putstr(bytebuf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    put32(b, n);
    bytebuf_put(b, s, n);
}

void buildrecord_command_encode(const br_command *c, bytebuf *out)
{
    putstr(out, c->compiler);
    put64(out, c->compiler_size);
    put64(out, c->compiler_mtime_ns);
    put32(out, (uint32_t)c->args.n);
    for (size_t i = 0; i < c->args.n; i++)
        putstr(out, c->args.v[i]);
}

int buildrecord_save(buildrecord *rec, const char *path)
{
    /* Number the files objects still reference; the rest are forgotten. */
    size_t pos = 0;
    void *v;
    while (hashmap_next(&rec->files, &pos, NULL, &v))
        ((br_file *)v)->mark = 0;
    uint32_t nfiles = 0, nobjects = 0;
    br_file **order = NULL;
    size_t order_cap = 0;
    pos = 0;
    while (hashmap_next(&rec->objects, &pos, NULL, &v)) {
        br_object *o = v;
        nobjects++;
        for (size_t i = 0; i < o->dep_count; i++) {
            if (o->deps[i]->mark)
                continue;
            if (nfiles == order_cap) {
                order_cap = order_cap ? order_cap * 2 : 256;
                order = xrealloc(order, order_cap * sizeof *order);
            }
            order[nfiles++] = o->deps[i];
            o->deps[i]->mark = nfiles;   /* index + 1 */
        }
    }
    /* Drop unreferenced file entries from memory too, so the table does not grow forever. */
    pos = 0;
    const char *key;
    strvec drop = {0};
    while (hashmap_next(&rec->files, &pos, &key, &v))
        if (!((br_file *)v)->mark)
            strvec_push(&drop, key);
    for (size_t i = 0; i < drop.n; i++) {
        br_file *f = hashmap_remove(&rec->files, drop.v[i]);
        free(f->path);
        free(f);
    }
    strvec_free(&drop);

    /* Commands no object refers to are forgotten the same way. */
    pos = 0;
    while (hashmap_next(&rec->commands, &pos, NULL, &v))
        ((br_command *)v)->mark = 0;
    uint32_t ncommands = 0;
    br_command **corder = NULL;
    size_t corder_cap = 0;
    pos = 0;
    while (hashmap_next(&rec->objects, &pos, NULL, &v)) {
        br_command *c = ((br_object *)v)->cmd;
        if (!c || c->mark)
            continue;
        if (ncommands == corder_cap) {
            corder_cap = corder_cap ? corder_cap * 2 : 8;
            corder = xrealloc(corder, corder_cap * sizeof *corder);
        }
        corder[ncommands++] = c;
        c->mark = ncommands;   /* index + 1 */
    }
    pos = 0;
    while (hashmap_next(&rec->commands, &pos, &key, &v))
        if (!((br_command *)v)->mark)
            strvec_push(&drop, key);
    for (size_t i = 0; i < drop.n; i++)
        command_free(hashmap_remove(&rec->commands, drop.v[i]));
    strvec_free(&drop);

    bytebuf b = {0};
    bytebuf_put(&b, RECORD_MAGIC, 4);
    put32(&b, RECORD_VERSION);
    put32(&b, ncommands);
    put32(&b, nfiles);
    put32(&b, nobjects);
    for (uint32_t i = 0; i < ncommands; i++)
        buildrecord_command_encode(corder[i], &b);
    free(corder);
    for (uint32_t i = 0; i < nfiles; i++) {
        br_file *f = order[i];
        putstr(&b, f->path);
        put64(&b, f->size);
        put64(&b, f->mtime_ns);
        put64(&b, f->ctime_ns);
        put64(&b, (int64_t)f->ino);
        put64(&b, (int64_t)f->dev);
        bytebuf_put(&b, &f->hash, 16);
        unsigned char flags = (unsigned char)((f->hashed ? 1 : 0) | (f->racy ? 2 : 0));
        bytebuf_put(&b, &flags, 1);
    }
    pos = 0;
    while (hashmap_next(&rec->objects, &pos, NULL, &v)) {
        br_object *o = v;
        putstr(&b, o->source);
        bytebuf_put(&b, &o->cmd_hash, 16);
        put32(&b, o->cmd ? o->cmd->mark - 1 : NO_COMMAND);
        put64(&b, o->obj_size);
        put64(&b, o->obj_mtime_ns);
        put32(&b, (uint32_t)o->dep_count);
        for (size_t i = 0; i < o->dep_count; i++) {
            put32(&b, o->deps[i]->mark - 1);
            bytebuf_put(&b, &o->dep_hashes[i], 16);
        }
    }
    unsigned char lv = rec->link.valid;
    bytebuf_put(&b, &lv, 1);
    bytebuf_put(&b, &rec->link.input_hash, 16);
    put64(&b, rec->link.size);
    put64(&b, rec->link.mtime_ns);
    bytebuf_put(&b, &rec->link.hash, 16);
    bytebuf_put(&b, &rec->ccjson_sig, 16);
    const br_symbols *sy = &rec->symbols;
    unsigned char sv = sy->valid;
    bytebuf_put(&b, &sv, 1);
    put64(&b, sy->size);
    put64(&b, sy->mtime_ns);
    put32(&b, sy->valid ? (uint32_t)sy->names.n : 0);
    for (size_t i = 0; sy->valid && i < sy->names.n; i++)
        putstr(&b, sy->names.v[i]);
    uint64_t sum = XXH3_64bits(b.p, b.len);
    bytebuf_put(&b, &sum, 8);
    free(order);

    char *dir = path_dirname(path);
    mkdir_p(dir, 0700);
    free(dir);
    int rc = write_file_atomic(path, b.p, b.len, 0600);
    free(b.p);
    if (rc == 0)
        rec->dirty = false;
    return rc;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t len, off;
    bool bad;
} rbuf;

static void get(rbuf *r, void *d, size_t n)
{
    if (r->bad || r->off + n > r->len) {
        r->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, r->p + r->off, n);
    r->off += n;
}
static uint32_t get32(rbuf *r) { uint32_t v; get(r, &v, 4); return v; }
static int64_t get64(rbuf *r) { int64_t v; get(r, &v, 8); return v; }
static char *getstr(rbuf *r)
{
    uint32_t n = get32(r);
    if (r->bad || r->off + n > r->len) {
        r->bad = true;
        return NULL;
    }
    char *s = xstrndup((const char *)r->p + r->off, n);
    r->off += n;
    return s;
}

/* One command from r into *c (cleared again when r turns out bad). */
static void get_command(rbuf *r, br_command *c)
{
    memset(c, 0, sizeof *c);
    c->compiler = getstr(r);
    c->compiler_size = get64(r);
    c->compiler_mtime_ns = get64(r);
    uint32_t nargs = get32(r);
    if (nargs > r->len)
        r->bad = true;
    for (uint32_t i = 0; i < nargs && !r->bad; i++) {
        char *a = getstr(r);
        if (a)
            strvec_push_owned(&c->args, a);
    }
    if (r->bad || !c->compiler) {
        buildrecord_command_clear(c);
        r->bad = true;
        return;
    }
    c->id = buildrecord_command_id(c->compiler, c->compiler_size, c->compiler_mtime_ns, c->args.v, c->args.n);
}

size_t buildrecord_command_decode(const void *data, size_t len, br_command *c)
{
    rbuf r = {data, len, 0, false};
    get_command(&r, c);
    return r.bad ? 0 : r.off;
}

int buildrecord_load(buildrecord *rec, const char *path)
{
    size_t len = 0;
    unsigned char *data = (unsigned char *)read_file(path, &len);
    if (!data)
        return errno == ENOENT ? 1 : -1;
    uint64_t sum;
    if (len < 12 + 8 || memcmp(data, RECORD_MAGIC, 4) != 0)
        goto bad;
    memcpy(&sum, data + len - 8, 8);
    if (sum != XXH3_64bits(data, len - 8))
        goto bad;   /* torn or damaged: rebuild from scratch (objects come from the cache) */
    rbuf r = {data, len - 8, 4, false};
    uint32_t version = get32(&r);
    if (version != RECORD_VERSION)
        goto bad;
    uint32_t ncommands = get32(&r), nfiles = get32(&r), nobjects = get32(&r);
    if (ncommands > len || nfiles > len || nobjects > len)
        goto bad;
    br_command **commands = xcalloc(ncommands ? ncommands : 1, sizeof *commands);
    for (uint32_t i = 0; i < ncommands && !r.bad; i++) {
        br_command c;
        get_command(&r, &c);
        if (!r.bad)
            commands[i] = command_intern(rec, &c);
    }
    br_file **files = xcalloc(nfiles ? nfiles : 1, sizeof *files);
    for (uint32_t i = 0; i < nfiles && !r.bad; i++) {
        char *p = getstr(&r);
        if (!p)
            break;
        br_file *f = buildrecord_file(rec, p);
        free(p);
        f->size = get64(&r);
        f->mtime_ns = get64(&r);
        f->ctime_ns = get64(&r);
        f->ino = (uint64_t)get64(&r);
        f->dev = (uint64_t)get64(&r);
        get(&r, &f->hash, 16);
        unsigned char flags = 0;
        get(&r, &flags, 1);
        f->hashed = flags & 1;
        f->racy = (flags & 2) != 0;
        files[i] = f;
    }
    for (uint32_t i = 0; i < nobjects && !r.bad; i++) {
        char *src = getstr(&r);
        if (!src)
            break;
        XXH128_hash_t cmd;
        get(&r, &cmd, 16);
        uint32_t cidx = get32(&r);
        if (cidx != NO_COMMAND && cidx >= ncommands)
            r.bad = true;
        br_command *command = !r.bad && cidx != NO_COMMAND ? commands[cidx] : NULL;
        int64_t osz = get64(&r), omt = get64(&r);
        uint32_t nd = get32(&r);
        if (r.bad || nd > nfiles) {
            free(src);
            r.bad = true;
            break;
        }
        br_file **deps = xmalloc((nd ? nd : 1) * sizeof *deps);
        XXH128_hash_t *hs = xmalloc((nd ? nd : 1) * sizeof *hs);
        for (uint32_t k = 0; k < nd; k++) {
            uint32_t idx = get32(&r);
            get(&r, &hs[k], 16);
            if (idx >= nfiles) {
                r.bad = true;
                idx = 0;
            }
            deps[k] = files[idx];
        }
        if (!r.bad) {
            br_object *o = buildrecord_object_set(rec, src, cmd, command, deps, hs, nd);
            o->obj_size = osz;
            o->obj_mtime_ns = omt;
        }
        free(deps);
        free(hs);
        free(src);
    }
    free(files);
    free(commands);
    unsigned char lv = 0;
    get(&r, &lv, 1);
    rec->link.valid = lv != 0;
    get(&r, &rec->link.input_hash, 16);
    rec->link.size = get64(&r);
    rec->link.mtime_ns = get64(&r);
    get(&r, &rec->link.hash, 16);
    get(&r, &rec->ccjson_sig, 16);
    unsigned char sv = 0;
    get(&r, &sv, 1);
    rec->symbols.size = get64(&r);
    rec->symbols.mtime_ns = get64(&r);
    uint32_t nsym = get32(&r);
    if (nsym > len)
        r.bad = true;
    for (uint32_t i = 0; i < nsym && !r.bad; i++) {
        char *name = getstr(&r);
        if (name)
            strvec_push_owned(&rec->symbols.names, name);
    }
    rec->symbols.valid = sv && !r.bad;
    if (r.bad || r.off != r.len) {
        buildrecord_free(rec);
        buildrecord_init(rec);
        goto bad;
    }
    free(data);
    rec->dirty = false;
    return 0;
bad:
    free(data);
    return -1;
}
