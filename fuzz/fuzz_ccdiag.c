/* fuzz_ccdiag.c - libFuzzer target for src/build/ccdiag.c: arbitrary compiler and linker output, as text and as gcc's JSON, every diagnostic checked. */
#include "ccdiag.h"

#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

/* Every diagnostic is one located message: a message, no line break inside
   the file or the message, no negative position. Returns the errors among them. */
static size_t check_list(const ccdiag_list *list)
{
    size_t errors = 0;
    for (size_t i = 0; i < list->n; i++) {
        const ccdiag *d = &list->v[i];
        FUZZ_CHECK(d->message != NULL);
        FUZZ_CHECK(!strchr(d->message, '\n'));
        if (d->file)
            FUZZ_CHECK(!strchr(d->file, '\n'));
        FUZZ_CHECK(d->line >= 0 && d->column >= 0);
        errors += d->severity == CCDIAG_ERROR;
    }
    return errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An empty input has no address ASan could check; give it one. */
    const char *text = size ? (const char *)data : "";
    ccdiag_list list = {0};
    size_t errors = ccdiag_parse_text(text, size, &list);
    FUZZ_CHECK(errors == check_list(&list));
    ccdiag_list_free(&list);

    ccdiag_list json = {0};
    long jerrors = ccdiag_parse_json(text, size, &json);
    if (jerrors < 0)
        FUZZ_CHECK(json.n == 0);   /* not an array: nothing appended */
    else
        FUZZ_CHECK((size_t)jerrors == check_list(&json));
    ccdiag_list_free(&json);
    return 0;
}
