/* test_bindings.c - the bindings layer without daemons: demangling, the type map, library lookup, ELF exports, a wrap of a library the test builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "bindings_internal.h"
#include "testutil.h"

static void test_demangle(void **state)
{
    char *d = bindings_demangle("_ZN4geom4areaEd");
    assert_string_equal(d, "geom::area(double)");
    free(d);
    assert_null(bindings_demangle("compress2"));
    assert_null(bindings_demangle("_Znot-a-name"));
}

static cJSON *type_of(const char *json)
{
    cJSON *t = cJSON_Parse(json);
    assert_non_null(t);
    return t;
}

static void expect_maps(const typemap_ctx *cx, const char *json, typemap_use use, const char *julia, const char *python)
{
    cJSON *t = type_of(json);
    const char *why = NULL;
    char *j = typemap_julia(cx, t, use, &why);
    char *p = typemap_python(cx, t, use, &why);
    if (julia)
        assert_string_equal(j, julia);
    else
        assert_null(j);
    if (python)
        assert_string_equal(p, python);
    else
        assert_null(p);
    free(j);
    free(p);
    cJSON_Delete(t);
}

static void test_typemap(void **state)
{
    cJSON *records = cJSON_Parse("{\"S1\": {\"jname\": \"point\", \"jl_layout\": true, \"py_layout\": true},"
                                 " \"S2\": {\"jname\": \"opaque\", \"jl_layout\": false, \"py_layout\": false}}");
    cJSON *overrides = cJSON_Parse("{\"my_handle\": {\"julia\": \"Handle\", \"python\": \"HandleType\"}}");
    cJSON *defined = cJSON_Parse("{\"point\": true, \"opaque\": true, \"uLong\": true}");
    typemap_ctx cx = {records, NULL, overrides, defined};
    expect_maps(&cx, "{\"k\":\"int\",\"base\":\"int\"}", TYPEMAP_ARG, "Cint", "ctypes.c_int");
    expect_maps(&cx, "{\"k\":\"int\",\"base\":\"unsigned long\",\"typedef\":\"size_t\"}", TYPEMAP_ARG, "Csize_t",
                "ctypes.c_size_t");
    expect_maps(&cx, "{\"k\":\"int\",\"base\":\"unsigned long\",\"typedef\":\"uLong\"}", TYPEMAP_ARG, "uLong", "uLong");
    expect_maps(&cx, "{\"k\":\"float\",\"base\":\"double\"}", TYPEMAP_RET, "Cdouble", "ctypes.c_double");
    expect_maps(&cx, "{\"k\":\"void\"}", TYPEMAP_RET, "Cvoid", "None");
    /* char-like pointers take bytes, bytearray and buffers in Python; const char * is a Cstring in Julia. */
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"int\",\"base\":\"char\",\"const\":true}}", TYPEMAP_ARG, "Cstring",
                "_CharPointer");
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"int\",\"base\":\"char\",\"const\":true}}", TYPEMAP_RET, "Ptr{Cchar}",
                "ctypes.c_char_p");
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"int\",\"base\":\"unsigned char\",\"typedef\":\"Bytef\"}}", TYPEMAP_ARG,
                "Ptr{Cuchar}", "_CharPointer");
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"void\"}}", TYPEMAP_ARG, "Ptr{Cvoid}", "_VoidPointer");
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"float\",\"base\":\"double\",\"const\":true}}", TYPEMAP_ARG,
                "Ptr{Cdouble}", "_pointer_to(ctypes.c_double)");
    expect_maps(&cx, "{\"k\":\"array\",\"n\":4,\"of\":{\"k\":\"int\",\"base\":\"char\"}}", TYPEMAP_FIELD,
                "NTuple{4, Cchar}", "(ctypes.c_char * 4)");
    expect_maps(&cx, "{\"k\":\"array\",\"n\":0,\"of\":{\"k\":\"int\",\"base\":\"int\"}}", TYPEMAP_FIELD, NULL, NULL);
    expect_maps(&cx, "{\"k\":\"record\",\"usr\":\"S1\"}", TYPEMAP_ARG, "point", "point");
    expect_maps(&cx, "{\"k\":\"record\",\"usr\":\"S2\"}", TYPEMAP_ARG, NULL, NULL);
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"record\",\"usr\":\"S2\"}}", TYPEMAP_ARG, "Ptr{opaque}",
                "ctypes.POINTER(opaque)");
    expect_maps(&cx, "{\"k\":\"int\",\"base\":\"long double\"}", TYPEMAP_ARG, NULL, "ctypes.c_longdouble");
    expect_maps(&cx, "{\"k\":\"int\",\"base\":\"__int128\"}", TYPEMAP_ARG, NULL, NULL);
    /* [wrap.type_mappings] wins over everything. */
    expect_maps(&cx, "{\"k\":\"ptr\",\"to\":{\"k\":\"void\"},\"typedef\":\"my_handle\"}", TYPEMAP_ARG, "Handle", "HandleType");
    expect_maps(&cx,
                "{\"k\":\"ptr\",\"to\":{\"k\":\"func\",\"ret\":{\"k\":\"int\",\"base\":\"int\"},"
                "\"params\":[{\"k\":\"float\",\"base\":\"double\"}],\"variadic\":false}}",
                TYPEMAP_ARG, "Ptr{Cvoid}", "ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_double)");
    cJSON_Delete(records);
    cJSON_Delete(overrides);
    cJSON_Delete(defined);
}

static void test_identifiers(void **state)
{
    char *j = typemap_julia_ident("end"), *p = typemap_python_ident("lambda"), *n = typemap_python_ident("2d.x");
    assert_string_equal(j, "end_");
    assert_string_equal(p, "lambda_");
    assert_string_equal(n, "_2d_x");
    free(j);
    free(p);
    free(n);
}

static void test_find_library(void **state)
{
    bool elsewhere = false;
    char where[1024];
    /* libc is on every system, under a multiarch folder or /lib64. */
    char *found = bindings_find_library("/usr/lib/libc.so.6", &elsewhere, where, sizeof where);
    if (!file_exists("/usr/lib/libc.so.6")) {
        assert_non_null(found);
        assert_true(elsewhere);
        assert_true(file_exists(found));
        assert_string_equal(path_basename(found), "libc.so.6");
    }
    free(found);
    assert_null(bindings_find_library("/nowhere/libno-such-library-here.so", &elsewhere, where, sizeof where));
    assert_non_null(strstr(where, "/usr/lib"));
}

static void test_symbols_of_a_built_library(void **state)
{
    char *dir = test_tempdir("bindings");
    char *src = test_write_text(dir, "v.c",
                                "int visible(int x) { return x; }\n"
                                "__attribute__((visibility(\"hidden\"))) int hidden(void) { return 1; }\n"
                                "static int local(void) { return 2; }\n"
                                "int counter = 3;\n"
                                "int use_local(void) { return local(); }\n");
    char *lib = path_join(dir, "libv.so");
    char *cmd = xasprintf("cc -shared -fPIC -o %s %s", lib, src);
    assert_int_equal(system(cmd), 0);
    bindings_symbols syms;
    char err[256];
    assert_int_equal(bindings_symbols_read(lib, &syms, err, sizeof err), 0);
    int functions = 0, data = 0;
    for (size_t i = 0; i < syms.n; i++) {
        assert_string_not_equal(syms.v[i].name, "hidden");
        assert_string_not_equal(syms.v[i].name, "local");
        if (strcmp(syms.v[i].name, "visible") == 0 || strcmp(syms.v[i].name, "use_local") == 0)
            functions += syms.v[i].is_function;
        if (strcmp(syms.v[i].name, "counter") == 0)
            data += !syms.v[i].is_function;
    }
    assert_int_equal(functions, 2);
    assert_int_equal(data, 1);
    bindings_symbols_free(&syms);
    /* Not a shared library: the source file itself. */
    assert_int_equal(bindings_symbols_read(src, &syms, err, sizeof err), -1);
    assert_non_null(strstr(err, "not an ELF shared library"));

    /* Wrapped without headers, both modules are written; every function is a fallback. */
    char *out = path_join(dir, "out");
    bindings_request req = {.binary_path = lib, .julia = true, .python = true, .julia_dir = out, .python_dir = out};
    cJSON *result = NULL;
    char *reason = NULL;
    assert_int_equal(bindings_wrap(&req, &result, &reason), BINDINGS_OK);
    const cJSON *py = cJSON_GetObjectItem(cJSON_GetObjectItem(result, "functions"), "python");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(py, "fallback")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(result, "files")), 2);
    char *jl = path_join(out, "Libv.jl"); /* a one-letter stem keeps its "lib" */
    assert_true(file_exists(jl));
    free(jl);
    cJSON_Delete(result);
    /* A bad library writes nothing. */
    req.binary_path = src;
    req.julia_dir = req.python_dir = path_join(dir, "bad");
    assert_int_equal(bindings_wrap(&req, &result, &reason), BINDINGS_BAD_INPUT);
    assert_non_null(reason);
    assert_false(dir_exists(req.julia_dir));
    free((char *)req.julia_dir);
    free(reason);
    cJSON_Delete(result);

    remove_tree(dir);
    free(out);
    free(cmd);
    free(lib);
    free(src);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demangle),
        cmocka_unit_test(test_typemap),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_find_library),
        cmocka_unit_test(test_symbols_of_a_built_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
