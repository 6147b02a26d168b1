/* errexport.c - the markdown export: statistics, common patterns and their fixes, recent errors. */
#include "errexport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlearn.h"

static void put(bytebuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(bytebuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n > 0)
        bytebuf_put(b, s, (size_t)n);
    free(s);
}

/* Markdown table cells must not hold '|' or line breaks. */
static char *cell(const char *s)
{
    if (!s)
        return xstrdup("");
    char *c = xmalloc(strlen(s) * 2 + 1);
    size_t o = 0;
    for (; *s; s++) {
        if (*s == '|')
            c[o++] = '\\';
        c[o++] = *s == '\n' ? ' ' : *s;
    }
    c[o] = '\0';
    return c;
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
    return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static void stamp(int64_t ms, char *buf, size_t n)
{
    format_iso8601_ms(ms, buf, n);
}

static void put_fixes(bytebuf *b, const cJSON *fixes, const char *indent)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, fixes)
    {
        char *d = errlearn_describe(cJSON_GetObjectItem(f, "changes"));
        put(b, "%s- fix: %s (fixed %d build%s)\n", indent, d, (int)num(f, "count"), num(f, "count") == 1 ? "" : "s");
        free(d);
    }
}

char *errexport_markdown(errdb *db, int64_t now_ms)
{
    cJSON *stats = errdb_stats(db), *list = errdb_list(db, 50), *recent = errdb_recent(db, 30);
    if (!stats || !list || !recent) {
        cJSON_Delete(stats);
        cJSON_Delete(list);
        cJSON_Delete(recent);
        return NULL;
    }
    bytebuf b = {0};
    char when[40];
    stamp(now_ms, when, sizeof when);
    put(&b, "# jmake daemon errors\n\nExported %s from the error handler's database.\n\n", when);
    put(&b, "## Statistics\n\n");
    put(&b, "- distinct errors: %d\n- occurrences: %d\n- projects: %d\n- occurrences resolved: %d\n",
        (int)num(stats, "errors"), (int)num(stats, "occurrences"), (int)num(stats, "projects"),
        (int)num(stats, "resolved"));
    put(&b, "- learned fixes: %d (%d successful builds)\n- fix attempts recorded: %d\n- projects still failing: %d\n\n",
        (int)num(stats, "fixes"), (int)num(stats, "fix_successes"), (int)num(stats, "attempts"),
        (int)num(stats, "pending"));
    const cJSON *p;
    if (cJSON_GetArraySize(cJSON_GetObjectItem(stats, "by_pattern"))) {
        put(&b, "| pattern | occurrences |\n|---|---|\n");
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(stats, "by_pattern")) put(&b, "| %s | %d |\n", p->string, (int)p->valuedouble);
        put(&b, "\n");
    }
    put(&b, "## Common patterns\n\n");
    if (!cJSON_GetArraySize(list))
        put(&b, "No errors recorded.\n\n");
    cJSON_ArrayForEach(p, list)
    {
        char *subject = cell(str(p, "subject")), *example = cell(str(p, "example"));
        char last[40];
        stamp((int64_t)num(p, "last_seen_ms"), last, sizeof last);
        put(&b, "### %s `%s`%s%s\n\n", str(p, "id"), str(p, "pattern"), *subject ? ": " : "", subject);
        put(&b, "- seen %d time%s in %d project%s, last %s\n- example: %s\n", (int)num(p, "count"),
            num(p, "count") == 1 ? "" : "s", (int)num(p, "projects"), num(p, "projects") == 1 ? "" : "s", last, example);
        put_fixes(&b, cJSON_GetObjectItem(p, "fixes"), "");
        put(&b, "\n");
        free(subject);
        free(example);
    }
    put(&b, "## Recent errors\n\n");
    if (!cJSON_GetArraySize(recent))
        put(&b, "None.\n");
    cJSON_ArrayForEach(p, recent)
    {
        char last[40];
        stamp((int64_t)num(p, "last_seen_ms"), last, sizeof last);
        char *msg = cell(str(p, "message"));
        put(&b, "- %s %s:%d: `%s` %s (%s)%s\n", last, str(p, "file"), (int)num(p, "line"), str(p, "pattern"), msg,
            str(p, "project"), num(p, "resolved_ms") > 0 ? " - resolved" : "");
        put_fixes(&b, cJSON_GetObjectItem(p, "fixes"), "  ");
        free(msg);
    }
    bytebuf_put(&b, "", 1);
    cJSON_Delete(stats);
    cJSON_Delete(list);
    cJSON_Delete(recent);
    return (char *)b.p;
}
