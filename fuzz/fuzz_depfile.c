/* fuzz_depfile.c - libFuzzer target for src/build/depfile.c: arbitrary bytes as a depfile, the prerequisites checked. */
#include "depfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strvec deps = {0};
    int rc = depfile_parse((const char *)data, size, &deps);
    FUZZ_CHECK(rc == 0 || rc == -1);
    /* Without a rule there are no prerequisites. */
    if (rc < 0)
        FUZZ_CHECK(deps.n == 0);
    for (size_t i = 0; i < deps.n; i++) {
        size_t len = strlen(deps.v[i]);
        /* A word is never empty and never longer than the text it came from
         * (escapes only shorten it). */
        FUZZ_CHECK(len > 0 && len <= size);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(deps.v[i], deps.v[j]) != 0);
    }
    /* The same text parsed again gives the same list. */
    strvec again = {0};
    FUZZ_CHECK(depfile_parse((const char *)data, size, &again) == rc && again.n == deps.n);
    for (size_t i = 0; i < deps.n; i++)
        FUZZ_CHECK(strcmp(deps.v[i], again.v[i]) == 0);
    strvec_free(&again);
    strvec_free(&deps);
    return 0;
}
