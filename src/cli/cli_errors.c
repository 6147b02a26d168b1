/* cli_errors.c - `jmake errors list | show ID | export FILE.md`: the error database read directly, read-only, beside the daemon that writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errdb.h"
#include "errexport.h"
#include "errlearn.h"
#include "util.h"

/* The error handler owns HOME/errors.db; SQLite's WAL lets this reader see
 * every committed write while the daemon goes on writing, so `jmake errors`
 * needs no request of the orchestrator (docs/ERRORS.md, "Reading"). */
static errdb *open_db(const cli *c, bool *missing)
{
    char *path = errdb_path(c->home);
    *missing = !file_exists(path);
    errdb *db = NULL;
    if (!*missing) {
        char err[512];
        db = errdb_open(path, true, err, sizeof err);
        if (!db)
            fprintf(stderr, "jmake: %s\n", err);
    }
    free(path);
    return db;
}

static void print_json(const cJSON *j)
{
    char *t = cJSON_Print(j);
    printf("%s\n", t);
    free(t);
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

static int errors_list(const cli *c, errdb *db)
{
    cJSON *list = db ? errdb_list(db, 0) : cJSON_CreateArray();
    if (!list) {
        fprintf(stderr, "jmake: cannot read the error database\n");
        return EXIT_USAGE;
    }
    if (c->json) {
        print_json(list);
    } else if (!cJSON_GetArraySize(list)) {
        printf("no errors recorded\n");
    } else {
        printf("%-12s %6s %5s %-22s %s\n", "ID", "COUNT", "FIXES", "PATTERN", "SUBJECT");
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            printf("%-12s %6d %5d %-22s %s\n", str(e, "id"), (int)num(e, "count"),
                   cJSON_GetArraySize(cJSON_GetObjectItem(e, "fixes")), str(e, "pattern"),
                   *str(e, "subject") ? str(e, "subject") : str(e, "example"));
        }
    }
    cJSON_Delete(list);
    return EXIT_OK;
}

static int errors_show(const cli *c, errdb *db, const char *id)
{
    cJSON *e = db ? errdb_show(db, id) : NULL;
    if (!e) {
        fprintf(stderr, "jmake: no error '%s' (see `jmake errors list`)\n", id);
        return EXIT_USAGE;
    }
    if (c->json) {
        print_json(e);
        cJSON_Delete(e);
        return EXIT_OK;
    }
    char first[40], last[40];
    format_iso8601_ms((int64_t)num(e, "first_seen_ms"), first, sizeof first);
    format_iso8601_ms((int64_t)num(e, "last_seen_ms"), last, sizeof last);
    printf("error %s: %s%s%s\n", str(e, "id"), str(e, "pattern"), *str(e, "subject") ? " " : "", str(e, "subject"));
    printf("  example: %s\n  seen %d time%s, first %s, last %s\n", str(e, "example"), (int)num(e, "count"),
           num(e, "count") == 1 ? "" : "s", first, last);
    const cJSON *f;
    printf("fixes:%s\n", cJSON_GetArraySize(cJSON_GetObjectItem(e, "fixes")) ? "" : " none learned yet");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(e, "fixes"))
    {
        char *d = errlearn_describe(cJSON_GetObjectItem(f, "changes"));
        printf("  %s (fixed %d build%s)\n", d, (int)num(f, "count"), num(f, "count") == 1 ? "" : "s");
        free(d);
    }
    printf("occurrences:\n");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(e, "occurrences"))
    {
        printf("  %s:%d:%d in %s (%d time%s)%s\n", str(f, "file"), (int)num(f, "line"), (int)num(f, "column"),
               *str(f, "project") ? str(f, "project") : "a log", (int)num(f, "count"), num(f, "count") == 1 ? "" : "s",
               num(f, "resolved_ms") > 0 ? ", resolved" : "");
    }
    const cJSON *attempts = cJSON_GetObjectItem(e, "attempts");
    if (cJSON_GetArraySize(attempts))
        printf("attempts:\n");
    cJSON_ArrayForEach(f, attempts)
    {
        char *d = errlearn_describe(cJSON_GetObjectItem(f, "changes"));
        printf("  %s: %s\n", str(f, "outcome"), *d ? d : "(no configuration change)");
        free(d);
    }
    cJSON_Delete(e);
    return EXIT_OK;
}

static int errors_export(errdb *db, const char *file)
{
    char *md = NULL;
    if (db) {
        md = errexport_markdown(db, clock_wall_ms());
    } else {
        char when[40];
        format_iso8601_ms(clock_wall_ms(), when, sizeof when);
        md = xasprintf("# jmake daemon errors\n\nExported %s: no error database yet (no error_analysis has run).\n", when);
    }
    if (!md) {
        fprintf(stderr, "jmake: cannot read the error database\n");
        return EXIT_USAGE;
    }
    int rc = write_file_atomic(file, md, strlen(md), 0644);
    free(md);
    if (rc < 0) {
        fprintf(stderr, "jmake: cannot write %s: %s\n", file, strerror(-rc));
        return EXIT_USAGE;
    }
    printf("exported to %s\n", file);
    return EXIT_OK;
}

int cli_errors(cli *c, int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "list";
    bool list = strcmp(sub, "list") == 0, show = strcmp(sub, "show") == 0, export = strcmp(sub, "export") == 0;
    if (!list && !show && !export) {
        fprintf(stderr, "jmake: errors: unknown subcommand '%s'\n", sub);
        return cli_usage("errors");
    }
    int extra = 0;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            c->json = true;
        else
            argv[2 + extra++] = argv[i];
    if ((list && extra != 0) || ((show || export) && extra != 1))
        return cli_usage("errors");
    bool missing = false;
    errdb *db = open_db(c, &missing);
    if (!db && !missing)
        return EXIT_USAGE;
    int rc = list ? errors_list(c, db) : show ? errors_show(c, db, argv[2]) : errors_export(db, argv[2]);
    errdb_close(db);
    return rc;
}
