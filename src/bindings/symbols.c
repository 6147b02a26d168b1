/* symbols.c - a library's exported functions and data objects for bindings: the ELF reader's exports, one per name, C++ names demangled. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings_internal.h"
#include "elfsyms.h"

/* The C++ ABI's demangler, from libstdc++, looked up the first time a C++
 * name needs it: linking libstdc++ into jmake would load it in every
 * command, and a client's start is part of every no-op build (docs/BINDINGS.md). */
typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn cxa_demangle;
static pthread_once_t cxa_demangle_once = PTHREAD_ONCE_INIT;

static void find_demangler(void)
{
    void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
    if (lib)
        *(void **)&cxa_demangle = dlsym(lib, "__cxa_demangle");
}

char *bindings_demangle(const char *name)
{
    if (strncmp(name, "_Z", 2) != 0)
        return NULL;
    pthread_once(&cxa_demangle_once, find_demangler);
    if (!cxa_demangle)
        return NULL;    /* no C++ runtime on this machine: the name stays as exported */
    int status = 0;
    char *out = cxa_demangle(name, NULL, NULL, &status);
    if (status != 0 || !out) {
        free(out);
        return NULL;
    }
    /* malloc'd by the demangler: hand over a copy made by our allocator. */
    char *copy = xstrdup(out);
    free(out);
    return copy;
}

int bindings_symbols_read(const char *path, bindings_symbols *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    elfsyms_info info;
    if (elfsyms_classify(path, &info) != ELFSYMS_DYN) {
        snprintf(err, errsize, "%s is not an ELF shared library (%s)", path,
                 info.kind == ELFSYMS_NOT_BINARY ? "not an ELF file"
                 : info.kind == ELFSYMS_ARCHIVE  ? "a static archive: wrap the shared library"
                 : info.kind == ELFSYMS_OBJECT   ? "an object file"
                                                 : "an executable");
        return -1;
    }
    elfsyms_export *ex = NULL;
    size_t n = 0;
    if (elfsyms_read_exports(path, &ex, &n) != 0) {
        snprintf(err, errsize, "%s has no dynamic symbol table", path);
        return -1;
    }
    out->v = xcalloc(n ? n : 1, sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        /* glibc-style libraries export one name at several versions: keep the
         * default (name@@V), which is what a new program binds to. */
        size_t j = i;
        while (j + 1 < n && strcmp(ex[j + 1].name, ex[i].name) == 0)
            j++;
        size_t pick = i;
        for (size_t k = i; k <= j; k++)
            if (ex[k].default_version)
                pick = k;
        bindings_symbol *s = &out->v[out->n++];
        s->name = xstrdup(ex[pick].name);
        s->version = ex[pick].version ? xstrdup(ex[pick].version) : NULL;
        s->default_version = ex[pick].default_version;
        s->is_function = ex[pick].kind == ELFSYMS_FUNC;
        s->demangled = bindings_demangle(s->name);
        i = j;
    }
    elfsyms_exports_free(ex, n);
    return 0;
}

void bindings_symbols_free(bindings_symbols *syms)
{
    for (size_t i = 0; i < syms->n; i++) {
        free(syms->v[i].name);
        free(syms->v[i].version);
        free(syms->v[i].demangled);
    }
    free(syms->v);
    memset(syms, 0, sizeof *syms);
}
