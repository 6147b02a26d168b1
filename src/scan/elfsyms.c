/* elfsyms.c - the ELF reader (libelf): binary kinds, and exported symbols of shared libraries, executables and static archives. */
#include "elfsyms.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
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

static elfsyms_kind classify_elf(int fd, elfsyms_info *out)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ELFSYMS_NOT_BINARY;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf)
        return ELFSYMS_NOT_BINARY;
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
    return out->kind;
}

elfsyms_kind elfsyms_classify(const char *path, elfsyms_info *out)
{
    memset(out, 0, sizeof *out);
    out->kind = ELFSYMS_NOT_BINARY;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return ELFSYMS_NOT_BINARY;
    /* The magic alone decides whether libelf is worth asking: most files of a
     * tree are neither, and libelf would map each one. */
    unsigned char magic[8];
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    if (n == 8 && (memcmp(magic, "!<arch>\n", 8) == 0 || memcmp(magic, "!<thin>\n", 8) == 0))
        out->kind = ELFSYMS_ARCHIVE;
    else if (n >= SELFMAG && memcmp(magic, ELFMAG, SELFMAG) == 0)
        classify_elf(fd, out);
    struct stat sb;
    if (out->kind != ELFSYMS_NOT_BINARY)
        out->size = fstat(fd, &sb) == 0 ? (long long)sb.st_size : 0;
    close(fd);
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


int elfsyms_read(const char *path, bool dynamic, strvec *out)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf *top = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!top) {
        close(fd);
        return -1;
    }
    strvec found = {0};
    int rc = 0;
    if (elf_kind(top) == ELF_K_AR) {
        Elf *member;
        Elf_Cmd cmd = ELF_C_READ_MMAP;
        while ((member = elf_begin(fd, cmd, top))) {
            if (elf_kind(member) == ELF_K_ELF)
                collect_symbols(member, false, &found);
            cmd = elf_next(member);
            elf_end(member);
        }
    } else if (elf_kind(top) == ELF_K_ELF) {
        collect_symbols(top, dynamic, &found);
    } else {
        rc = -1;
    }
    elf_end(top);
    close(fd);
    strvec_sort_unique(&found, 0);
    strvec_extend(out, &found);
    strvec_free(&found);
    return rc;
}
