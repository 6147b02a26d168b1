/* fuzz_elf.c - libFuzzer target for src/scan/elfsyms.c: arbitrary bytes as a file's image, classified and its symbols listed both ways. */
#include "elfsyms.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libelf may write into the image it reads (elfsyms.h), and the
     * fuzzer's input is read-only: work on a copy of exactly its size, so
     * ASan sees any read past the end. */
    char *image = malloc(size ? size : 1);
    FUZZ_CHECK(image != NULL);
    if (size)
        memcpy(image, data, size);

    elfsyms_info info;
    elfsyms_kind kind = elfsyms_classify_memory(image, size, &info);
    FUZZ_CHECK(kind == info.kind);
    if (kind == ELFSYMS_NOT_BINARY || kind == ELFSYMS_ARCHIVE) {
        FUZZ_CHECK(info.machine == NULL && info.bits == 0);
    } else {
        FUZZ_CHECK(info.machine != NULL && (info.bits == 32 || info.bits == 64));
    }
    FUZZ_CHECK(info.size == (kind == ELFSYMS_NOT_BINARY ? 0 : (long long)size));

    for (int dynamic = 0; dynamic < 2; dynamic++) {
        strvec names = {0};
        int rc = elfsyms_read_memory(image, size, dynamic, &names);
        FUZZ_CHECK(rc == 0 || rc == -1);
        if (rc < 0)
            FUZZ_CHECK(names.n == 0);
        /* Sorted and unique, none empty. */
        for (size_t i = 0; i < names.n; i++) {
            FUZZ_CHECK(names.v[i][0] != '\0');
            if (i)
                FUZZ_CHECK(strcmp(names.v[i - 1], names.v[i]) < 0);
        }
        strvec_free(&names);
    }
    free(image);
    return 0;
}
