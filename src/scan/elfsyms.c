/* elfsyms.c - exported symbols of shared libraries, executables and static archives via libelf. */
#include "elfsyms.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

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
    if (found.n)
        qsort(found.v, found.n, sizeof *found.v, cmp_str);
    for (size_t i = 0; i < found.n; i++)
        if (i == 0 || strcmp(found.v[i], found.v[i - 1]) != 0)
            strvec_push(out, found.v[i]);
    strvec_free(&found);
    return rc;
}
