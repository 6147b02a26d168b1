/* fuzz_ccdiag.c - libFuzzer target for src/build/ccdiag.c: arbitrary compiler and linker output, every diagnostic checked against the text. */
#include "ccdiag.h"

#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

typedef struct seen {
    const char *text, *end;
    size_t errors;
} seen;

/* Both ranges lie inside the parsed text, within one line. */
static void check_diag(void *ctx, const ccdiag *d)
{
    seen *s = ctx;
    if (d->file) {
        FUZZ_CHECK(d->file >= s->text && d->file_len <= (size_t)(s->end - d->file));
        FUZZ_CHECK(!memchr(d->file, '\n', d->file_len));
    }
    FUZZ_CHECK(d->message != NULL);
    FUZZ_CHECK(d->message >= s->text && d->message_len <= (size_t)(s->end - d->message));
    FUZZ_CHECK(!memchr(d->message, '\n', d->message_len));
    FUZZ_CHECK(d->line >= 0 && d->column >= 0);
    s->errors += d->error;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An empty input has no address ASan could check; give it one. */
    const char *text = size ? (const char *)data : "";
    seen s = {text, text + size, 0};
    size_t errors = ccdiag_parse(text, size, check_diag, &s);
    FUZZ_CHECK(errors == s.errors);
    return 0;
}
