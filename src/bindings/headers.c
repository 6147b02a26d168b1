/* headers.c - declarations from headers: runs jmake-parse-headers as a child with the job's cancel and timeout, reads its JSON. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bindings_internal.h"
#include "subproc.h"

#define HEADERS_POLL_MS 100

/* The last non-empty line of the child's output, for a one-line error. */
static void last_line(const char *text, size_t len, char *out, size_t outsize)
{
    out[0] = '\0';
    if (!text)
        return;
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(out, outsize, "%.*s", (int)(end - start), text + start);
}

headers_status headers_parse(const char *parser, const strvec *headers, const strvec *include_dirs,
                             const char *lang, atomic_int *cancel, int timeout_ms, cJSON **decls, char *err,
                             size_t errsize)
{
    *decls = NULL;
    char tmp[] = "/tmp/jmake-decls-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errsize, "cannot make a temporary file for the declarations");
        return HEADERS_FAILED;
    }
    close(fd);
    strvec argv = {0};
    strvec_push(&argv, parser);
    strvec_push(&argv, "--lang");
    strvec_push(&argv, lang);
    strvec_push(&argv, "--output");
    strvec_push(&argv, tmp);
    for (size_t i = 0; include_dirs && i < include_dirs->n; i++)
        strvec_push_owned(&argv, xasprintf("-I%s", include_dirs->v[i]));
    for (size_t i = 0; i < headers->n; i++)
        strvec_push(&argv, headers->v[i]);
    subproc proc = {0};
    proc.out_fd = -1;
    int rc = subproc_start(&proc, argv.v, NULL, NULL);
    strvec_free(&argv);
    if (rc != 0) {
        snprintf(err, errsize, "cannot run the header parser %s: %s", parser, strerror(-rc));
        unlink(tmp);
        return HEADERS_FAILED;
    }
    uint64_t deadline = timeout_ms > 0 ? clock_monotonic_ms() + (uint64_t)timeout_ms : 0;
    headers_status status = HEADERS_OK;
    while (!proc.finished) {
        if ((cancel && atomic_load(cancel)) || (deadline && clock_monotonic_ms() >= deadline)) {
            subproc_kill(&proc);
            snprintf(err, errsize, "%s", cancel && atomic_load(cancel) ? "cancelled while parsing the headers"
                                                                        : "parsing the headers timed out");
            status = HEADERS_CANCELLED;
            break;
        }
        if (subproc_poll(&proc, 1, HEADERS_POLL_MS) < 0)
            break;
    }
    if (status == HEADERS_OK) {
        char said[512];
        last_line(proc.output, proc.output_len, said, sizeof said);
        if (!subproc_succeeded(&proc)) {
            if (WIFSIGNALED(proc.status))
                snprintf(err, errsize, "the header parser died of signal %d (%s)%s%s", WTERMSIG(proc.status),
                         strsignal(WTERMSIG(proc.status)), *said ? ": " : "", said);
            else
                snprintf(err, errsize, "the header parser failed%s%s", *said ? ": " : "", said);
            status = HEADERS_FAILED;
        } else {
            size_t len = 0;
            char *text = read_file(tmp, &len);
            *decls = text ? cJSON_ParseWithLength(text, len) : NULL;
            free(text);
            if (!cJSON_IsObject(*decls)) {
                cJSON_Delete(*decls);
                *decls = NULL;
                snprintf(err, errsize, "the header parser printed no declarations");
                status = HEADERS_FAILED;
            }
        }
    }
    subproc_release(&proc);
    unlink(tmp);
    return status;
}
