/* test_errors.c - error patterns through real gcc and clang output (one failing snippet per pattern), fingerprints, the error database and its migration, learning diffs, built-in suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccdiag.h"
#include "errdb.h"
#include "errlearn.h"
#include "errpattern.h"
#include "errsuggest.h"
#include "util.h"
#include "testutil.h"


/* One failing snippet: the file(s) it writes, the command ({cc} is gcc or
   clang, {cxx} g++ or clang++), and what the first error must be. */
typedef struct snippet {
    err_pattern pattern;
    const char *file, *text;        /* the source that fails */
    const char *file2, *text2;      /* a second file, or NULL */
    const char *cmd;
    const char *subject;            /* NULL: not checked (the compilers word it differently) */
    int line;                       /* of the first error; 0: not checked (the linker without -g) */
} snippet;

static const snippet snippets[] = {
    {ERR_MISSING_HEADER, "a.c", "#include \"nothere_x.h\"\n", NULL, NULL, "{cc} -c a.c -o a.o", "nothere_x.h", 1},
    {ERR_UNDEFINED_REFERENCE, "a.c", "int missing_fn(void);\nint main(void)\n{\n    return missing_fn();\n}\n", NULL,
     NULL, "{cc} -g a.c -o a.out", "missing_fn", 4},
    {ERR_MULTIPLE_DEFINITION, "a.c", "int twice(void) { return 1; }\n", "b.c", "\nint twice(void) { return 2; }\n",
     "{cc} -g -shared -fPIC a.c b.c -o lib.so", "twice", 2},
    {ERR_MISSING_LIBRARY, "a.c", "int main(void) { return 0; }\n", NULL, NULL, "{cc} a.c -lnope_zz -o a.out",
     "nope_zz", 0},
    {ERR_FPIC_RELOCATION, "a.c", "int counter;\nint get(void) { return counter; }\n", NULL, NULL,
     "{cc} -fno-pic -c a.c -o a.o && {cc} -shared a.o -o lib.so", NULL, 0},
    {ERR_UNDECLARED_IDENTIFIER, "a.c", "int f(void)\n{\n    return undefined_thing;\n}\n", NULL, NULL,
     "{cc} -c a.c -o a.o", "undefined_thing", 3},
    {ERR_UNKNOWN_TYPE, "a.c", "\nwidget_t w;\n", NULL, NULL, "{cc} -c a.c -o a.o", "widget_t", 2},
    {ERR_NO_MATCHING_FUNCTION, "a.cpp", "void h(int);\nvoid h(double, double);\nstruct S {};\nint main() { S s; h(s); }\n",
     NULL, NULL, "{cxx} -c a.cpp -o a.o", "h", 4},
    {ERR_TYPE_CONVERSION, "a.c", "struct A { int x; };\nint f(void) { struct A a = {1}; int *p = a; return *p; }\n",
     NULL, NULL, "{cc} -c a.c -o a.o", NULL, 2},
    {ERR_SYNTAX, "a.c", "int f(void)\n{\n    return 1\n}\n", NULL, NULL, "{cc} -c a.c -o a.o", "expected ';'", 0},
    {ERR_REDEFINITION, "a.c", "int g(void) { return 1; }\nint g(void) { return 2; }\n", NULL, NULL,
     "{cc} -c a.c -o a.o", "g", 2},
    {ERR_IMPLICIT_DECLARATION, "a.c", "int f(void)\n{\n    return undeclared_fn(1);\n}\n", NULL, NULL,
     "{cc} -Werror=implicit-function-declaration -c a.c -o a.o", "undeclared_fn", 3},
    {ERR_INCOMPLETE_TYPE, "a.c", "struct T;\nint f(void) { struct T t; return 0; }\n", NULL, NULL,
     "{cc} -c a.c -o a.o", NULL, 2},
    {ERR_LANGUAGE_STANDARD, "a.cpp", "#include <string>\n#include <optional>\nstd::optional<int> o;\n", NULL, NULL,
     "{cxx} -std=c++14 -c a.cpp -o a.o", "c++17", 3},
    {ERR_PREPROCESSOR_ERROR, "a.c", "#ifndef NEED_X\n#error \"NEED_X must be defined\"\n#endif\n", NULL, NULL,
     "{cc} -c a.c -o a.o", "\"NEED_X must be defined\"", 2},
    {ERR_UNKNOWN, "a.c", "int a[-1];\n", NULL, NULL, "{cc} -c a.c -o a.o", NULL, 1},
};

static char *expand(const char *cmd, const char *cc, const char *cxx)
{
    bytebuf b = {0};
    for (const char *p = cmd; *p;) {
        if (!strncmp(p, "{cc}", 4)) {
            bytebuf_put(&b, cc, strlen(cc));
            p += 4;
        } else if (!strncmp(p, "{cxx}", 5)) {
            bytebuf_put(&b, cxx, strlen(cxx));
            p += 5;
        } else {
            bytebuf_put(&b, p++, 1);
        }
    }
    bytebuf_put(&b, "", 1);
    return (char *)b.p;
}

static void check_compiler(const char *cc, const char *cxx)
{
    if (!test_have_tool(cc) || !test_have_tool(cxx)) {
        print_message("%s not installed: its snippets are skipped\n", cc);
        return;
    }
    for (size_t i = 0; i < sizeof snippets / sizeof snippets[0]; i++) {
        const snippet *sn = &snippets[i];
        char *dir = test_tempdir("errors");
        free(test_write_text(dir, sn->file, sn->text));
        if (sn->file2)
            free(test_write_text(dir, sn->file2, sn->text2));
        char *cmd = expand(sn->cmd, cc, cxx);
        char *out = test_run_in(dir, cmd);
        ccdiag_list l = {0};
        ccdiag_parse_text(out, strlen(out), &l);
        const ccdiag *first = NULL;
        for (size_t k = 0; k < l.n && !first; k++)
            if (l.v[k].severity == CCDIAG_ERROR)
                first = &l.v[k];
        if (!first)
            fail_msg("%s: no error from '%s':\n%s", err_pattern_name(sn->pattern), cmd, out);
        err_class c;
        err_classify(first, &c);
        if (c.pattern != sn->pattern || (sn->subject && (!c.subject || strcmp(c.subject, sn->subject) != 0)))
            fail_msg("%s via %s: got %s '%s' from:\n%s", err_pattern_name(sn->pattern), cc, err_pattern_name(c.pattern),
                     c.subject ? c.subject : "(none)", out);
        if (sn->line && first->line != sn->line)
            fail_msg("%s via %s: line %d, expected %d:\n%s", err_pattern_name(sn->pattern), cc, first->line, sn->line, out);
        if (sn->pattern != ERR_MISSING_LIBRARY && sn->pattern != ERR_FPIC_RELOCATION &&
            (!first->file || !strstr(first->file, sn->pattern == ERR_MULTIPLE_DEFINITION ? "b.c" : sn->file)))
            fail_msg("%s via %s: file '%s'", err_pattern_name(sn->pattern), cc, first->file ? first->file : "(none)");
        err_class_free(&c);
        ccdiag_list_free(&l);
        free(out);
        free(cmd);
        remove_tree(dir);
        free(dir);
    }
}

static void test_patterns_gcc(void **state) { check_compiler("gcc", "g++"); }
static void test_patterns_clang(void **state) { check_compiler("clang", "clang++"); }

static err_class classify_text(const char *text)
{
    ccdiag_list l = {0};
    ccdiag_parse_text(text, strlen(text), &l);
    assert_true(l.n >= 1);
    err_class c;
    err_classify(&l.v[0], &c);
    ccdiag_list_free(&l);
    return c;
}

/* The fingerprint keeps the subject a fix depends on and drops where it happened. */
static void test_fingerprints(void **state)
{
    err_class a = classify_text("src/a.c:1:10: fatal error: foo.h: No such file or directory\n");
    err_class b = classify_text("lib/x/b.c:7:3: fatal error: foo.h: No such file or directory\n");
    err_class c = classify_text("src/a.c:1:10: fatal error: bar.h: No such file or directory\n");
    err_class d = classify_text("src/a.c:1:10: fatal error: 'foo.h' file not found\n");   /* clang */
    assert_string_equal(a.fingerprint, "missing_header:foo.h");
    assert_string_equal(a.id, b.id);
    assert_string_equal(a.id, d.id);
    /* gcc in a UTF-8 locale quotes with U+2018/U+2019: the same error. */
    err_class u1 = classify_text("a.c:1:19: error: \xe2\x80\x98" "BUFSZ1\xe2\x80\x99" " undeclared here (not in a function)\n");
    err_class u2 = classify_text("b.c:9:9: error: 'BUFSZ1' undeclared (first use in this function)\n");
    err_class u3 = classify_text("b.c:9:9: error: 'BUFSZ2' undeclared (first use in this function)\n");
    assert_int_equal(u1.pattern, ERR_UNDECLARED_IDENTIFIER);
    assert_string_equal(u1.subject, "BUFSZ1");
    assert_string_equal(u1.id, u2.id);
    assert_string_not_equal(u2.id, u3.id);   /* digits of a name are part of it */
    err_class_free(&u1);
    err_class_free(&u2);
    err_class_free(&u3);
    assert_string_not_equal(a.id, c.id);
    assert_int_equal(strlen(a.id), 12);
    err_class s1 = classify_text("a.c:3:9: error: expected ';' before '}' token\n");
    err_class s2 = classify_text("b.c:30:19: error: expected ';' before 'return'\n");
    assert_string_equal(s1.id, s2.id);
    err_class g = classify_text("a.cpp:3:5: error: 'vector' is not a member of 'std'\n"
                                "a.cpp:3:5: note: 'std::vector' is defined in header '<vector>'; did you forget to "
                                "'#include <vector>'?\n");
    assert_int_equal(g.pattern, ERR_UNDECLARED_IDENTIFIER);
    assert_string_equal(g.subject, "std::vector");
    assert_string_equal(g.hint_header, "<vector>");
    err_class_free(&a);
    err_class_free(&b);
    err_class_free(&c);
    err_class_free(&d);
    err_class_free(&s1);
    err_class_free(&s2);
    err_class_free(&g);
    for (int p = 0; p < ERR_PATTERN_COUNT; p++)
        assert_int_equal(err_pattern_from_name(err_pattern_name((err_pattern)p)), p);
}

static void test_db_and_migration(void **state)
{
    char *dir = test_tempdir("errdb");
    char *path = path_join(dir, "errors.db");
    char err[256];
    assert_null(errdb_open(path, true, err, sizeof err));   /* read-only never creates */
    errdb *db = errdb_open(path, false, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(errdb_schema_version(db), ERRDB_SCHEMA_VERSION);
    err_class c = classify_text("src/a.c:1:10: fatal error: foo.h: No such file or directory\n");
    ccdiag d = {.file = "src/a.c", .line = 1, .column = 10, .message = "foo.h: No such file or directory"};
    assert_int_equal(errdb_record(db, &c, &d, "/p/jmake.toml", "job-1", 1000), 0);
    assert_int_equal(errdb_record(db, &c, &d, "/p/jmake.toml", "job-2", 2000), 0);
    strvec ids = {0};
    strvec_push(&ids, c.id);
    assert_int_equal(errdb_set_pending(db, "/p/jmake.toml", "{\"include_dirs\":[]}", "job-2", &ids, 2000), 0);
    assert_int_equal(errdb_add_fix(db, c.id, "[{\"kind\":\"include_dir\",\"value\":\"/x\"}]", "/p/jmake.toml", 3000), 0);
    assert_int_equal(errdb_add_fix(db, c.id, "[{\"kind\":\"include_dir\",\"value\":\"/x\"}]", "/q/jmake.toml", 4000), 0);
    errdb_close(db);
    /* Back to version 1 as an older jmake left it: the step to 2 runs again. */
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "DROP TABLE attempts; DROP TABLE search_cache; DROP TABLE meta;"
                                       " PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    db = errdb_open(path, true, err, sizeof err);
    assert_null(db);   /* a reader does not migrate */
    db = errdb_open(path, false, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(errdb_schema_version(db), 2);
    assert_int_equal(errdb_add_attempt(db, c.id, "/p/jmake.toml", "[]", "failed", "job-2", 2500), 0);
    cJSON *e = errdb_show(db, c.id);
    assert_non_null(e);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "count")), 2);
    cJSON *fix = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "fixes"), 0);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(fix, "count")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "attempts")), 1);
    cJSON_Delete(e);
    char *pend = NULL;
    strvec got = {0};
    assert_int_equal(errdb_get_pending(db, "/p/jmake.toml", &pend, &got), 1);
    assert_string_equal(got.v[0], c.id);
    free(pend);
    strvec_free(&got);
    assert_int_equal(errdb_clear_pending(db, "/p/jmake.toml", 5000), 0);
    assert_int_equal(errdb_get_pending(db, "/p/jmake.toml", &pend, &got), 0);
    errdb_close(db);
    /* A newer schema is refused, not clobbered. */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(errdb_open(path, false, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    err_class_free(&c);
    strvec_free(&ids);
    remove_tree(dir);
    free(dir);
    free(path);
}

static void test_learning_diff(void **state)
{
    cJSON *before = cJSON_Parse("{\"include_dirs\":[\"/a\"],\"lib_dirs\":[],\"libraries\":[],\"defines\":[],"
                                "\"flags\":[\"-O2\",\"-std=c++14\",\"-fno-PIC\"],\"link_flags\":[]}");
    cJSON *after = cJSON_Parse("{\"include_dirs\":[\"/a\",\"/b\"],\"lib_dirs\":[\"/l\"],\"libraries\":[\"m\"],"
                               "\"defines\":[\"X=1\"],\"flags\":[\"-O2\",\"-std=c++17\"],\"link_flags\":[]}");
    cJSON *diff = errlearn_diff(before, after);
    char *text = errlearn_changes_text(diff);
    assert_string_equal(text, "[{\"kind\":\"define\",\"value\":\"X=1\"},{\"kind\":\"include_dir\",\"value\":\"/b\"},"
                              "{\"kind\":\"lib_dir\",\"value\":\"/l\"},{\"kind\":\"library\",\"value\":\"m\"},"
                              "{\"kind\":\"remove_flag\",\"value\":\"-fno-PIC\"},{\"kind\":\"std\",\"value\":\"c++17\"}]");
    free(text);
    cJSON *rel = errlearn_relevant(diff, ERR_UNDEFINED_REFERENCE, "sqrt");
    text = errlearn_changes_text(rel);
    assert_string_equal(text, "[{\"kind\":\"lib_dir\",\"value\":\"/l\"},{\"kind\":\"library\",\"value\":\"m\"},"
                              "{\"kind\":\"remove_flag\",\"value\":\"-fno-PIC\"}]");
    free(text);
    cJSON_Delete(rel);
    rel = errlearn_relevant(diff, ERR_LANGUAGE_STANDARD, "c++17");
    assert_true(cJSON_GetArraySize(rel) >= 1);
    cJSON_Delete(rel);
    assert_true(errlearn_already_applied(diff, after));    /* every change of the diff is in after */
    assert_false(errlearn_already_applied(diff, before));
    cJSON *one = cJSON_Parse("[{\"kind\":\"include_dir\",\"value\":\"/b\"}]");
    assert_true(errlearn_already_applied(one, after));
    assert_false(errlearn_already_applied(one, before));
    char *desc = errlearn_describe(one);
    assert_string_equal(desc, "add include folder /b to [compile] include_dirs");
    free(desc);
    cJSON_Delete(one);
    cJSON_Delete(diff);
    cJSON_Delete(before);
    cJSON_Delete(after);
}

static const char *first_value(const cJSON *suggestions, const char *kind)
{
    const cJSON *s = cJSON_GetArrayItem(suggestions, 0);
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "changes"), 0);
    if (!c || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind")), kind) != 0)
        return NULL;
    return cJSON_GetStringValue(cJSON_GetObjectItem(c, "value"));
}

static void test_builtin_suggestions(void **state)
{
    char *root = test_tempdir("suggest");
    free(test_write_text(root, "deps/inc/deep/thing.h", "#define THING 1\n"));
    free(test_write_text(root, "src/a.c", "#ifndef WANT_FEATURE\n#error \"WANT_FEATURE must be defined\"\n#endif\n"));
    free(test_write_text(root, "vendor/v.c", "int vendor_fn(void) { return 4; }\n"));
    char *out = test_run_in(root, "cc -c vendor/v.c -o vendor/v.o && ar qc vendor/libvend.a vendor/v.o && echo ok");
    assert_non_null(strstr(out, "ok"));
    free(out);
    char *snap_text = xasprintf("{\"root\":\"%s\",\"include_dirs\":[],\"lib_dirs\":[],\"libraries\":[],\"defines\":[],"
                                "\"flags\":[\"-fno-PIC\"],\"link_flags\":[]}", root);
    cJSON *snap = cJSON_Parse(snap_text);
    free(snap_text);
    static const char *const none[] = {NULL};
    err_search s = {.system_include_dirs = none, .system_lib_dirs = none, .no_dpkg = true,
                    .deadline_ms = clock_monotonic_ms() + 10000};
    struct {
        const char *text, *kind, *value_suffix;
    } cases[] = {
        {"src/a.c:1:10: fatal error: deep/thing.h: No such file or directory\n", "include_dir", "/deps/inc"},
        {"src/a.c:2:2: error: #error \"WANT_FEATURE must be defined\"\n", "define", "WANT_FEATURE"},
        {"/usr/bin/ld: a.o: in function `main':\na.c:(.text+0x5): undefined reference to `vendor_fn'\n", "lib_dir", "/vendor"},
        {"/usr/bin/ld: a.o: relocation R_X86_64_PC32 against symbol `x' can not be used when making a shared object; "
         "recompile with -fPIC\n", "remove_flag", "-fno-PIC"},
        {"a.cpp:2:6: error: 'optional' in namespace 'std' does not name a template type\n"
         "a.cpp:2:1: note: 'std::optional' is only available from C++17 onwards\n", "std", "c++17"},
        {"a.c:3:5: error: implicit declaration of function 'strlen' [-Werror=implicit-function-declaration]\n"
         "a.c:1:1: note: include '<string.h>' or provide a declaration of 'strlen'\n", "include_header", "<string.h>"},
        {"a.c:3:12: error: use of undeclared identifier 'BUF_SIZE'\n", "define", "BUF_SIZE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ccdiag_list l = {0};
        ccdiag_parse_text(cases[i].text, strlen(cases[i].text), &l);
        err_class c;
        err_classify(&l.v[0], &c);
        cJSON *sugg = cJSON_CreateArray();
        err_suggest(&s, &c, &l.v[0], snap, 5, sugg);
        const char *v = first_value(sugg, cases[i].kind);
        if (!v || strlen(v) < strlen(cases[i].value_suffix) ||
            strcmp(v + strlen(v) - strlen(cases[i].value_suffix), cases[i].value_suffix) != 0) {
            char *t = cJSON_Print(sugg);
            fail_msg("case %zu (%s): first suggestion %s", i, err_pattern_name(c.pattern), t);
        }
        cJSON_Delete(sugg);
        err_class_free(&c);
        ccdiag_list_free(&l);
    }
    cJSON_Delete(snap);
    remove_tree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns_gcc),        cmocka_unit_test(test_patterns_clang),
        cmocka_unit_test(test_fingerprints),        cmocka_unit_test(test_db_and_migration),
        cmocka_unit_test(test_learning_diff),       cmocka_unit_test(test_builtin_suggestions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
