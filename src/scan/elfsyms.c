/* elfsyms.c - the ELF reader (libelf): binary kinds, and exported symbols of shared libraries, executables and static archives. */
#include "elfsyms.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *machine_name(GElf_Half machine)
{
    switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_386: return "i386";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_PPC: return "ppc";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_LOONGARCH: return "loongarch";
    case EM_BPF: return "bpf";
    default: return "unknown";
    }
}

/* A PIE and a shared library are both ET_DYN; the interpreter request
 * (PT_INTERP) is what makes the loader treat a file as a program. */
static bool has_interp(Elf *elf)
{
    size_t n = 0;
    if (elf_getphdrnum(elf, &n) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
            return true;
    }
    return false;
}

/* Maps fd's whole file privately: libelf may write into an image it is
 * given with elf_memory, and such writes must never reach the file. NULL
 * for an empty file or one that cannot be mapped (a FIFO, a folder). */
static void *map_file(int fd, size_t *len)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0)
        return NULL;
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)sb.st_size;
    return p;
}

static void classify_elf(void *data, size_t len, elfsyms_info *out)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return;
    Elf *elf = elf_memory(data, len);
    if (!elf)
        return;
    GElf_Ehdr eh;
    int cls = gelf_getclass(elf);
    if (elf_kind(elf) == ELF_K_ELF && (cls == ELFCLASS32 || cls == ELFCLASS64) && gelf_getehdr(elf, &eh)) {
        out->bits = cls == ELFCLASS64 ? 64 : 32;
        out->machine = machine_name(eh.e_machine);
        switch (eh.e_type) {
        case ET_REL: out->kind = ELFSYMS_OBJECT; break;
        case ET_EXEC: out->kind = ELFSYMS_EXEC; break;
        case ET_DYN: out->kind = ELFSYMS_DYN; break;
        default: out->kind = ELFSYMS_OTHER; break;
        }
        out->has_interp = has_interp(elf);
    }
    elf_end(elf);
}

static bool is_archive_magic(const unsigned char *p, size_t n)
{
    return n >= 8 && (memcmp(p, "!<arch>\n", 8) == 0 || memcmp(p, "!<thin>\n", 8) == 0);
}

static bool is_elf_magic(const unsigned char *p, size_t n)
{
    return n >= SELFMAG && memcmp(p, ELFMAG, SELFMAG) == 0;
}

elfsyms_kind elfsyms_classify_memory(void *data, size_t len, elfsyms_info *out)
{
    memset(out, 0, sizeof *out);
    out->kind = ELFSYMS_NOT_BINARY;
    if (is_archive_magic(data, len))
        out->kind = ELFSYMS_ARCHIVE;
    else if (is_elf_magic(data, len))
        classify_elf(data, len, out);
    if (out->kind != ELFSYMS_NOT_BINARY)
        out->size = (long long)len;
    return out->kind;
}

elfsyms_kind elfsyms_classify(const char *path, elfsyms_info *out)
{
    memset(out, 0, sizeof *out);
    out->kind = ELFSYMS_NOT_BINARY;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return ELFSYMS_NOT_BINARY;
    /* The magic alone decides whether the file is worth mapping: most files
     * of a tree are neither. */
    unsigned char magic[8];
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    size_t len = 0;
    void *image = NULL;
    if (n > 0 && (is_archive_magic(magic, (size_t)n) || is_elf_magic(magic, (size_t)n)))
        image = map_file(fd, &len);
    close(fd);
    if (!image)
        return ELFSYMS_NOT_BINARY;
    elfsyms_classify_memory(image, len, out);
    munmap(image, len);
    return out->kind;
}

static void collect_symbols(Elf *elf, bool dynamic, strvec *out)
{
    Elf_Scn *scn = NULL;
    Elf64_Word want = dynamic ? SHT_DYNSYM : SHT_SYMTAB;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 1; i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym))
                continue;
            int bind = GELF_ST_BIND(sym.st_info), type = GELF_ST_TYPE(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK))
                continue;
            if (type != STT_FUNC && type != STT_OBJECT)
                continue;
            /* Hidden symbols in a static archive are not part of its interface. */
            if (GELF_ST_VISIBILITY(sym.st_other) == STV_HIDDEN || GELF_ST_VISIBILITY(sym.st_other) == STV_INTERNAL)
                continue;
            const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (name && *name)
                strvec_push(out, name);
        }
    }
}

int elfsyms_read_memory(void *data, size_t len, bool dynamic, strvec *out)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    Elf *top = elf_memory(data, len);
    if (!top)
        return -1;
    strvec found = {0};
    int rc = 0;
    if (elf_kind(top) == ELF_K_AR) {
        /* There is no descriptor: only ELF_C_READ_MMAP makes libelf read a
         * member from the parent's image (ELF_C_READ, what elf_next
         * returns for it, would pread from descriptor -1). */
        Elf *member;
        Elf_Cmd next = ELF_C_READ_MMAP;
        while (next != ELF_C_NULL && (member = elf_begin(-1, ELF_C_READ_MMAP, top))) {
            if (elf_kind(member) == ELF_K_ELF)
                collect_symbols(member, false, &found);
            next = elf_next(member);
            elf_end(member);
        }
    } else if (elf_kind(top) == ELF_K_ELF) {
        collect_symbols(top, dynamic, &found);
    } else {
        rc = -1;
    }
    elf_end(top);
    strvec_sort_unique(&found, 0);
    strvec_extend(out, &found);
    strvec_free(&found);
    return rc;
}

/* ---- Exports with versions, for bindings ---- */

/* Version names by version index, from .gnu.version_d (definitions only:
 * .gnu.version_r names what the library needs, not what it offers). */
typedef struct version_names {
    char **names;   /* indexed by vd_ndx; owned */
    size_t count;
} version_names;

static void read_version_definitions(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, version_names *vn)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data)
        return;
    size_t off = 0;
    for (GElf_Word i = 0; i < sh->sh_info; i++) {
        GElf_Verdef vd;
        if (!gelf_getverdef(data, (int)off, &vd))
            break;
        GElf_Verdaux aux;
        /* The first auxiliary entry is the version's own name; VER_FLG_BASE is the file's soname. */
        if (!(vd.vd_flags & VER_FLG_BASE) && gelf_getverdaux(data, (int)(off + vd.vd_aux), &aux)) {
            const char *name = elf_strptr(elf, sh->sh_link, aux.vda_name);
            if (name && vd.vd_ndx < 0x7fff) {
                if (vd.vd_ndx >= vn->count) {
                    size_t n = (size_t)vd.vd_ndx + 1;
                    vn->names = xrealloc(vn->names, n * sizeof *vn->names);
                    memset(vn->names + vn->count, 0, (n - vn->count) * sizeof *vn->names);
                    vn->count = n;
                }
                free(vn->names[vd.vd_ndx]);
                vn->names[vd.vd_ndx] = xstrdup(name);
            }
        }
        if (!vd.vd_next)
            break;
        off += vd.vd_next;
    }
}

static int cmp_export(const void *a, const void *b)
{
    const elfsyms_export *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

int elfsyms_read_exports(const char *path, elfsyms_export **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        if (elf)
            elf_end(elf);
        close(fd);
        return -1;
    }
    Elf_Scn *scn = NULL, *dynsym = NULL;
    Elf_Data *versym = NULL;
    GElf_Shdr dynsym_sh;
    memset(&dynsym_sh, 0, sizeof dynsym_sh);
    version_names vn = {0};
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_DYNSYM && sh.sh_entsize) {
            dynsym = scn;
            dynsym_sh = sh;
        } else if (sh.sh_type == SHT_GNU_versym) {
            versym = elf_getdata(scn, NULL);
        } else if (sh.sh_type == SHT_GNU_verdef) {
            read_version_definitions(elf, scn, &sh, &vn);
        }
    }
    Elf_Data *data = dynsym ? elf_getdata(dynsym, NULL) : NULL;
    if (!data) {
        for (size_t i = 0; i < vn.count; i++)
            free(vn.names[i]);
        free(vn.names);
        elf_end(elf);
        close(fd);
        return -1;
    }
    size_t n = dynsym_sh.sh_size / dynsym_sh.sh_entsize, used = 0;
    elfsyms_export *list = xcalloc(n ? n : 1, sizeof *list);
    for (size_t i = 1; i < n; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            continue;
        int bind = GELF_ST_BIND(sym.st_info), type = GELF_ST_TYPE(sym.st_info);
        int vis = GELF_ST_VISIBILITY(sym.st_other);
        /* SHN_ABS objects are the version definitions' own names (ZLIB_1.2.0), not data. */
        if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || (bind != STB_GLOBAL && bind != STB_WEAK))
            continue;
        if ((type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) || vis == STV_HIDDEN ||
            vis == STV_INTERNAL)
            continue;
        const char *name = elf_strptr(elf, dynsym_sh.sh_link, sym.st_name);
        if (!name || !*name)
            continue;
        elfsyms_export *e = &list[used++];
        e->name = xstrdup(name);
        e->kind = type == STT_OBJECT ? ELFSYMS_DATA : ELFSYMS_FUNC;
        e->visibility = vis == STV_PROTECTED ? ELFSYMS_VIS_PROTECTED : ELFSYMS_VIS_DEFAULT;
        e->weak = bind == STB_WEAK;
        e->size = sym.st_size;
        e->default_version = true;
        GElf_Versym ver;
        if (versym && gelf_getversym(versym, (int)i, &ver)) {
            size_t idx = ver & 0x7fff;
            if (idx < vn.count && vn.names[idx])
                e->version = xstrdup(vn.names[idx]);
            e->default_version = !(ver & 0x8000);
        }
    }
    for (size_t i = 0; i < vn.count; i++)
        free(vn.names[i]);
    free(vn.names);
    elf_end(elf);
    close(fd);
    qsort(list, used, sizeof *list, cmp_export);
    *out = list;
    *count = used;
    return 0;
}

void elfsyms_exports_free(elfsyms_export *exports, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(exports[i].name);
        free(exports[i].version);
    }
    free(exports);
}

int elfsyms_read(const char *path, bool dynamic, strvec *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    void *image = map_file(fd, &len);
    close(fd);
    if (!image)
        return -1;
    int rc = elfsyms_read_memory(image, len, dynamic, out);
    munmap(image, len);
    return rc;
}
