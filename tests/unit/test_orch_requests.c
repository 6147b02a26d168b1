/* test_orch_requests.c - the orchestrator's request table: every documented op has a row, and a frame is routed or refused as docs/PROTOCOL.md says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jmake.h"
#include "orch_requests.h"
#include "util.h"

static char *read_protocol_doc(void)
{
    const char *src = getenv("JMAKE_SOURCE_DIR");
    char *path = xasprintf("%s/docs/PROTOCOL.md", src ? src : JMAKE_SOURCE_DIR);
    char *text = read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    free(path);
    return text;
}

/* The ops named in the first column of the table that follows the line
 * starting with heading, up to the first line that is not a table row. */
static void doc_table_ops(const char *doc, const char *heading, strvec *ops)
{
    const char *p = strstr(doc, heading);
    if (!p)
        fail_msg("docs/PROTOCOL.md has no \"%s\"", heading);
    p = strchr(p, '\n');
    while (p && (p[1] == '\n' || p[1] == '|')) {
        const char *line = p + 1;
        const char *end = strchr(line, '\n');
        if (!end)
            break;
        if (line[0] == '|') {
            const char *cell_end = strchr(line + 1, '|');
            /* Each `name` of the first cell; the header and separator rows have none. */
            for (const char *q = line + 1; q && q < cell_end; ) {
                const char *open = memchr(q, '`', (size_t)(cell_end - q));
                if (!open)
                    break;
                const char *close = memchr(open + 1, '`', (size_t)(cell_end - open - 1));
                if (!close)
                    break;
                char *name = xstrndup(open + 1, (size_t)(close - open - 1));
                strvec_push(ops, name);
                free(name);
                q = close + 1;
            }
        } else if (ops->n > 0) {
            break; /* the blank line after the table */
        }
        p = end;
    }
    if (ops->n == 0)
        fail_msg("no ops in the table after \"%s\"", heading);
}

static void test_documented_ops_have_rows(void **state)
{
    (void)state;
    char *doc = read_protocol_doc();
    strvec client = {0}, worker = {0};
    doc_table_ops(doc, "## Client requests", &client);
    doc_table_ops(doc, "Worker to orchestrator:", &worker);
    for (size_t i = 0; i < client.n; i++) {
        const orch_request *row = orch_request_find(client.v[i]);
        if (!row || !(row->flags & ORCH_REQ_CLIENT))
            fail_msg("client request '%s' of docs/PROTOCOL.md has no client row", client.v[i]);
    }
    for (size_t i = 0; i < worker.n; i++) {
        const orch_request *row = orch_request_find(worker.v[i]);
        if (!row || !(row->flags & ORCH_REQ_WORKER))
            fail_msg("worker message '%s' of docs/PROTOCOL.md has no worker row", worker.v[i]);
    }
    /* And the other way: no row the document does not describe. */
    for (const orch_request *r = orch_request_table; r->op; r++) {
        bool documented = strvec_contains(&client, r->op) || strvec_contains(&worker, r->op);
        if (strcmp(r->op, "register") == 0)
            documented = strstr(doc, "{\"op\": \"register\"") != NULL;
        if (!documented)
            fail_msg("request '%s' is not in docs/PROTOCOL.md", r->op);
    }
    assert_true(strvec_contains(&client, "job_wait"));
    assert_true(strvec_contains(&worker, "done"));
    strvec_free(&client);
    strvec_free(&worker);
    free(doc);
}

static void test_table_rows(void **state)
{
    (void)state;
    size_t rows = 0;
    for (const orch_request *r = orch_request_table; r->op; r++, rows++) {
        assert_non_null(r->handler);
        /* Exactly one side sends each op. */
        assert_true(!(r->flags & ORCH_REQ_CLIENT) != !(r->flags & ORCH_REQ_WORKER));
        if (r->flags & (ORCH_REQ_GROUP_COMMIT | ORCH_REQ_NOT_WHILE_STOPPING))
            assert_true(r->flags & ORCH_REQ_CLIENT);
        assert_ptr_equal(orch_request_find(r->op), r);
        for (const orch_request *s = r + 1; s->op; s++)
            assert_string_not_equal(r->op, s->op);
    }
    assert_true(rows >= 16);
    assert_null(orch_request_find(NULL));
    assert_null(orch_request_find("Status"));
    assert_true(orch_request_find("submit")->flags & ORCH_REQ_GROUP_COMMIT);
    assert_false(orch_request_find("job_status")->flags & ORCH_REQ_GROUP_COMMIT);
}

/* Routes the JSON text (NULL: a frame that is not JSON) and returns the row; *code gets the error reply's code or NULL. */
static const orch_request *route(const char *json, const char *worker, bool stopping, char **code, char **error)
{
    cJSON *req = json ? cJSON_Parse(json) : NULL;
    if (json)
        assert_non_null(req);
    cJSON *reply = (cJSON *)1;
    const orch_request *row = orch_request_route(req, worker, stopping, &reply);
    *code = *error = NULL;
    if (reply) {
        assert_null(row);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(reply, "ok")));
        *code = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "code")));
        *error = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "error")));
        cJSON_Delete(reply);
    }
    cJSON_Delete(req);
    return row;
}

static void expect_refused(const char *json, const char *worker, bool stopping, const char *code, const char *error)
{
    char *got_code, *got_error;
    assert_null(route(json, worker, stopping, &got_code, &got_error));
    assert_non_null(got_code);
    assert_string_equal(got_code, code);
    assert_string_equal(got_error, error);
    free(got_code);
    free(got_error);
}

static const orch_request *expect_routed(const char *json, const char *worker, bool stopping)
{
    char *code, *error;
    const orch_request *row = route(json, worker, stopping, &code, &error);
    if (code)
        fail_msg("%s refused: %s %s", json, code, error);
    return row;
}

static void test_route_client(void **state)
{
    (void)state;
    const char *shape = "a request is a JSON object with an \"op\" string";
    expect_refused(NULL, NULL, false, "bad_request", shape);
    expect_refused("[1, 2]", NULL, false, "bad_request", shape);
    expect_refused("{\"op\": 7}", NULL, false, "bad_request", shape);
    expect_refused("{\"op\": \"frobnicate\"}", NULL, false, "bad_request", "unknown request 'frobnicate'");
    /* A worker's message is not a client request. */
    expect_refused("{\"op\": \"done\", \"id\": \"x\"}", NULL, false, "bad_request", "unknown request 'done'");

    char version_error[96];
    snprintf(version_error, sizeof version_error, "unsupported protocol version (this daemon speaks %d)",
             JMAKE_PROTOCOL_VERSION);
    char json[96];
    snprintf(json, sizeof json, "{\"op\": \"status\", \"v\": %d}", JMAKE_PROTOCOL_VERSION + 1);
    expect_refused(json, NULL, false, "bad_request", version_error);
    expect_refused("{\"op\": \"status\", \"v\": \"1\"}", NULL, false, "bad_request", version_error);
    /* The version is checked before the op is looked up. */
    expect_refused("{\"op\": \"frobnicate\", \"v\": 99}", NULL, false, "bad_request", version_error);

    snprintf(json, sizeof json, "{\"op\": \"status\", \"v\": %d}", JMAKE_PROTOCOL_VERSION);
    assert_ptr_equal(expect_routed(json, NULL, false), orch_request_find("status"));
    assert_ptr_equal(expect_routed("{\"op\": \"ping\"}", NULL, false), orch_request_find("ping"));
    assert_ptr_equal(expect_routed("{\"op\": \"register\", \"daemon\": \"build\"}", NULL, false),
                     orch_request_find("register"));
}

/* A field of the wrong type is refused, never read as absent (issue: "daemon": 5
 * stopped every daemon, "older_than_seconds": "7d" cleaned every job). */
static void test_route_field_types(void **state)
{
    (void)state;
    expect_refused("{\"op\": \"stop\", \"daemon\": 5}", NULL, false, "bad_request",
                   "stop: \"daemon\" must be a string");
    expect_refused("{\"op\": \"job_clean\", \"older_than_seconds\": \"7d\"}", NULL, false, "bad_request",
                   "job_clean: \"older_than_seconds\" must be a whole number");
    expect_refused("{\"op\": \"job_clean\", \"older_than_seconds\": 1.5}", NULL, false, "bad_request",
                   "job_clean: \"older_than_seconds\" must be a whole number");
    expect_refused("{\"op\": \"job_wait\", \"ids\": [\"a\", 2]}", NULL, false, "bad_request",
                   "job_wait: \"ids\" must be an array of strings");
    expect_refused("{\"op\": \"submit\", \"job\": \"x\"}", NULL, false, "bad_request",
                   "submit: \"job\" must be an object");
    char version_error[96];
    snprintf(version_error, sizeof version_error, "unsupported protocol version (this daemon speaks %d)",
             JMAKE_PROTOCOL_VERSION);
    expect_refused("{\"op\": \"status\", \"v\": 1.5}", NULL, false, "bad_request", version_error);
    /* Right types pass, null counts as absent. */
    assert_non_null(expect_routed("{\"op\": \"stop\", \"daemon\": \"watcher\", \"grace_seconds\": 2.5}", NULL, false));
    assert_non_null(expect_routed("{\"op\": \"job_clean\", \"older_than_seconds\": null}", NULL, false));
}

/* One JSON object per frame and nothing after it; invalid UTF-8 never reaches a reply. */
static void test_parse_and_sanitize(void **state)
{
    (void)state;
    const char ok[] = "{\"op\": \"ping\"} \n";
    cJSON *r = orch_request_parse(ok, sizeof ok - 1);
    assert_non_null(r);
    cJSON_Delete(r);
    const char trailing[] = "{\"op\": \"ping\"} x";
    assert_null(orch_request_parse(trailing, sizeof trailing - 1));
    const char two[] = "{\"op\": \"ping\"}{\"op\": \"ping\"}";
    assert_null(orch_request_parse(two, sizeof two - 1));
    /* A length shorter than the text: only that much is read. */
    assert_null(orch_request_parse(ok, 5));

    char bad[] = "a\xff b\xc3\xa9 c\xed\xa0\x80 d\xf0\x9f\x98\x80 e\xc0\xaf";
    utf8_sanitize(bad);
    assert_string_equal(bad, "a? b\xc3\xa9 c??? d\xf0\x9f\x98\x80 e??");
    cJSON *e = orch_reply_error("bad_request", "unknown request '%s'", "x\xfey");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "error")), "unknown request 'x?y'");
    cJSON_Delete(e);
}

static void test_route_while_stopping(void **state)
{
    (void)state;
    expect_refused("{\"op\": \"submit\", \"job\": {}}", NULL, true, "unavailable", "daemons are stopping");
    expect_refused("{\"op\": \"submit_file\", \"path\": \"/x\"}", NULL, true, "unavailable", "daemons are stopping");
    assert_ptr_equal(expect_routed("{\"op\": \"submit\", \"job\": {}}", NULL, false), orch_request_find("submit"));
    /* Reading and stopping still work while the daemons stop. */
    assert_non_null(expect_routed("{\"op\": \"job_status\", \"id\": \"a\"}", NULL, true));
    assert_non_null(expect_routed("{\"op\": \"stop\"}", NULL, true));
}

static void test_route_worker(void **state)
{
    (void)state;
    assert_ptr_equal(expect_routed("{\"op\": \"pong\", \"seq\": 3}", "compilation", false), orch_request_find("pong"));
    assert_ptr_equal(expect_routed("{\"op\": \"done\", \"id\": \"a\"}", "build", true), orch_request_find("done"));
    /* Workers are not version-checked. */
    assert_non_null(expect_routed("{\"op\": \"progress\", \"v\": 99}", "discovery", false));
    /* A client request or an unknown op from a worker: no row and no reply (the caller logs it). */
    assert_null(expect_routed("{\"op\": \"status\"}", "compilation", false));
    assert_null(expect_routed("{\"op\": \"frobnicate\"}", "compilation", false));
    /* A frame that is no request at all is still answered. */
    expect_refused("\"text\"", "compilation", false, "bad_request", "a request is a JSON object with an \"op\" string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_ops_have_rows), cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_route_client),             cmocka_unit_test(test_route_while_stopping),
        cmocka_unit_test(test_route_worker),              cmocka_unit_test(test_route_field_types),
        cmocka_unit_test(test_parse_and_sanitize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
