/* buildrecord.h - what each object of a project was built from (inputs, hashes, command), kept in memory and persisted per project. */
#ifndef JMAKE_BUILDRECORD_H
#define JMAKE_BUILDRECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "hashmap.h"
#include "util.h"

/* One input file (source or header) as last seen. Owned by the record. */
typedef struct br_file {
    char *path;             /* absolute */
    int64_t size, mtime_ns; /* stat when hash was taken: the fast pre-check */
    /* Also compared, as git's index does: tar -x, rsync -t and touch -r keep
       (size, mtime) of a changed file, but not its ctime, and tar and rsync
       write a new inode. 0 in a record migrated from version 2: never equal. */
    int64_t ctime_ns;
    uint64_t ino, dev;
    XXH128_hash_t hash;     /* content hash, valid when hashed */
    bool hashed;
    bool racy;              /* mtime was too recent to trust: re-hash next time */
    bool exists;            /* result of the latest check */
    uint32_t checked_epoch; /* transient: already checked in this build */
    uint32_t mark;          /* transient: referenced (save-time garbage collection) */
} br_file;

/* One distinct compile command (compiler and flags), kept once however many
   objects were built with it: the reason a unit rebuilt names the flag added
   or removed and the compiler replaced. Owned by the record. */
typedef struct br_command {
    XXH128_hash_t id;       /* buildrecord_command_id of the fields below */
    char *compiler;         /* the driver's resolved path */
    int64_t compiler_size, compiler_mtime_ns;
    strvec args;            /* the driver as named, then every flag; without a unit's own paths */
    uint32_t mark;          /* transient: referenced (save-time garbage collection) */
} br_command;

/* One object (or bitcode file) and the exact inputs it was built from. */
typedef struct br_object {
    char *source;           /* key: source path relative to the project root */
    XXH128_hash_t cmd_hash; /* compiler identity + full command line */
    br_command *cmd;        /* borrowed from the record's command table; NULL when unknown */
    int64_t obj_size, obj_mtime_ns;
    size_t dep_count;       /* deps[0] is the source itself */
    br_file **deps;         /* borrowed from the record's file table */
    XXH128_hash_t *dep_hashes; /* each dep's content hash when the object was built */
    uint32_t seen_epoch;    /* transient: still a source of the project */
} br_object;

/* The final link (or llvm-link/opt/clang chain). */
typedef struct br_link {
    bool valid;
    XXH128_hash_t input_hash;   /* link command + identity of every object */
    int64_t size, mtime_ns;     /* artifact stat after the link */
    XXH128_hash_t hash;         /* artifact content hash */
} br_link;

/* Exported symbols of the artifact as read when it had stat (size, mtime_ns):
   a restarted daemon answers a no-op build without opening the ELF file. */
typedef struct br_symbols {
    bool valid;
    int64_t size, mtime_ns;
    strvec names;           /* sorted, unique */
} br_symbols;

/* Not thread-safe: one thread at a time (the engine's check threads take its record lock). */
typedef struct buildrecord {
    hashmap files;          /* absolute path -> br_file* */
    hashmap objects;        /* source (relative) -> br_object* */
    hashmap commands;       /* 32 hex digits of a command's id -> br_command* */
    br_link link;
    br_symbols symbols;
    XXH128_hash_t ccjson_sig;   /* signature of the compile_commands.json last written */
    uint32_t epoch;         /* incremented per build: stat each file at most once */
    bool dirty;             /* differs from the saved file */
} buildrecord;

void buildrecord_init(buildrecord *rec);
void buildrecord_free(buildrecord *rec);

/* Loads path into an initialised, empty rec. Returns 0 when loaded, 1 when
 * there was no file, -1 when it was damaged or of another version, older
 * ones included (rec is then empty: every unit is "no record", the object
 * cache still serves). */
int buildrecord_load(buildrecord *rec, const char *path);
/* Writes rec atomically (temporary file + rename); drops files no object
 * references. Returns 0 or -errno. */
int buildrecord_save(buildrecord *rec, const char *path);

/* The entry for an absolute path, created (unhashed) when new. */
br_file *buildrecord_file(buildrecord *rec, const char *path);
/* Brings f up to date for the current epoch: one stat, and a re-hash only
 * when (size, mtime) differ from the recorded ones or were racy. Returns
 * f->exists. */
bool buildrecord_file_check(buildrecord *rec, br_file *f);
/* The same with the stat already taken by the caller (st NULL: stat failed),
   so threads can stat outside the record's lock. */
bool buildrecord_file_check_stat(buildrecord *rec, br_file *f, const struct stat *st);
/* Whether path still has the stat recorded for f (size, mtime, ctime, inode,
 * device; a missing file matches a file recorded as missing). No hashing,
 * nothing changed in the record. */
bool buildrecord_file_unchanged(const br_file *f);
/* Forces the next check of path to re-hash (a watcher said it changed). */
void buildrecord_file_invalidate(buildrecord *rec, const char *path);
/* Takes f as unchanged since its last check, without a stat, when that check
 * found it and hashed it and it is neither racy nor invalidated since: for a
 * watched project, whose watcher reports every change inside it (the caller
 * decides that f lies there). Returns false, leaving f as it was, otherwise. */
bool buildrecord_file_trust(buildrecord *rec, br_file *f);

/* Replaces the record of source (deps/hashes copied; cmd borrowed from rec, may be NULL). */
br_object *buildrecord_object_set(buildrecord *rec, const char *source, XXH128_hash_t cmd_hash, br_command *cmd,
                                  br_file *const *deps, const XXH128_hash_t *dep_hashes, size_t dep_count);

/* The digest that names a command: compiler (resolved path, size, mtime) and args. */
XXH128_hash_t buildrecord_command_id(const char *compiler, int64_t size, int64_t mtime_ns, char *const *args,
                                     size_t nargs);
/* The record's entry for this command (strings copied), created when new. Borrowed from rec. */
br_command *buildrecord_command(buildrecord *rec, const char *compiler, int64_t size, int64_t mtime_ns,
                                char *const *args, size_t nargs);
/* A command as bytes (the record's format, also kept in the object cache). Appends to out. */
void buildrecord_command_encode(const br_command *c, bytebuf *out);
/* Decodes what buildrecord_command_encode wrote into *c (caller frees with
   buildrecord_command_clear). Returns bytes consumed, 0 when data is damaged. */
size_t buildrecord_command_decode(const void *data, size_t len, br_command *c);
void buildrecord_command_clear(br_command *c);
void buildrecord_object_remove(buildrecord *rec, const char *source);

/* Content hash of a file (mmap for large files). Fills *st. Returns 0 or -errno. */
int buildrecord_hash_file(const char *path, XXH128_hash_t *out, int64_t *size, int64_t *mtime_ns);

static inline bool hash_eq(XXH128_hash_t a, XXH128_hash_t b) { return a.low64 == b.low64 && a.high64 == b.high64; }

#endif
