/*
 * test_replay.c — the streaming reader: JSON Lines and arrays, line
 * numbers, broken elements skipped without losing neighbours, oversized
 * elements, truncation, trailing garbage, and constant memory on a large
 * array.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/replay.h"

struct got {
    int n_events, n_bad, fatal;
    long lines[16];
    char uuids[16][32];
    char last_err[256];
};

/* Reads everything from text with the given cap; records what came out. */
static void read_all(const char *text, size_t len, size_t cap, struct got *g)
{
    FILE *f = fmemopen((void *)text, len, "r");
    struct idw_reader *r = idw_reader_new(f, cap);
    char err[256];
    long line, index;
    json_t *ev;
    enum idw_read_status s;

    memset(g, 0, sizeof *g);
    assert_non_null(r);
    while ((s = idw_reader_next(r, &ev, &line, &index, err, sizeof err)) != IDW_READ_EOF) {
        if (s == IDW_READ_EVENT) {
            if (g->n_events < 16) {
                g->lines[g->n_events] = line;
                snprintf(g->uuids[g->n_events], 32, "%s",
                         json_string_value(json_object_get(ev, "uuid")) ?: "");
            }
            g->n_events++;
            json_decref(ev);
        } else {
            snprintf(g->last_err, sizeof g->last_err, "%s", err);
            if (s == IDW_READ_FATAL) {
                g->fatal = 1;
                break;
            }
            g->n_bad++;
        }
    }
    assert_int_equal(idw_reader_offset(r) <= len, 1);
    idw_reader_free(r);
    fclose(f);
}

#define READ(text, cap, g) read_all(text, strlen(text), cap, g)

static void test_jsonl(void **state)
{
    (void)state;
    struct got g;
    READ("{\"uuid\":\"a\"}\r\n\n{\"uuid\":\"b\",\"x\":\"}{][\\\"\"}\n   \n{\"uuid\":\"c\"}", 0, &g);
    assert_int_equal(g.n_events, 3);
    assert_int_equal(g.n_bad, 0);
    assert_string_equal(g.uuids[1], "b");
    assert_int_equal(g.lines[0], 1);
    assert_int_equal(g.lines[1], 3);
    assert_int_equal(g.lines[2], 5);
}

static void test_jsonl_bad_lines(void **state)
{
    (void)state;
    struct got g;
    READ("{\"uuid\":\"a\"}\n{\"uuid\":\"broken\n[1,2]\n\"str\"\n{\"uuid\":\"d\"}\n", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 3);
    assert_string_equal(g.uuids[1], "d");
    assert_int_equal(g.lines[1], 5);
    assert_non_null(strstr(g.last_err, "line 4"));     /* a bare string: not an event */
}

static void test_array_pretty(void **state)
{
    (void)state;
    struct got g;
    READ("\xEF\xBB\xBF [\n  {\n    \"uuid\": \"a\",\n    \"t\": [1, {\"x\": \"]\"}]\n  },\n"
         "  {\"uuid\": \"b\"}\n]\n", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 0);
    assert_int_equal(g.fatal, 0);
    assert_int_equal(g.lines[0], 2);
    assert_int_equal(g.lines[1], 6);
}

static void test_array_bad_element_and_garbage(void **state)
{
    (void)state;
    struct got g;
    READ("[{\"uuid\":\"a\"},{\"uuid\":tru},{\"uuid\":\"c\"} {\"uuid\":\"d\"}, 7 ,{\"uuid\":\"e\"}] junk", 0, &g);
    assert_int_equal(g.n_events, 4);            /* a, c, d, e */
    assert_string_equal(g.uuids[3], "e");
    assert_int_equal(g.n_bad, 4);               /* bad JSON, missing comma, non-object, trailing junk */
    assert_int_equal(g.fatal, 0);
}

static void test_array_truncated(void **state)
{
    (void)state;
    struct got g;
    READ("[{\"uuid\":\"a\"},{\"uuid\":\"b\"},{\"uuid\":\"c", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "truncated"));
    READ("[{\"uuid\":\"a\"}", 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "closing ']'"));
}

static void test_empty_inputs(void **state)
{
    (void)state;
    struct got g;
    READ("", 0, &g);
    assert_int_equal(g.n_events + g.n_bad + g.fatal, 0);
    READ("  [ ]  \n", 0, &g);
    assert_int_equal(g.n_events + g.n_bad + g.fatal, 0);
    READ("\n\n\n", 0, &g);
    assert_int_equal(g.n_events + g.n_bad + g.fatal, 0);
}

static void test_oversized(void **state)
{
    (void)state;
    struct got g;
    char big[400];
    char text[1200];

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    snprintf(text, sizeof text, "{\"uuid\":\"a\"}\n{\"uuid\":\"%s\"}\n{\"uuid\":\"c\"}\n", big);
    READ(text, 64, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 1);
    assert_non_null(strstr(g.last_err, "larger than 64 bytes"));
    snprintf(text, sizeof text, "[{\"uuid\":\"a\"},{\"uuid\":\"%s\"},{\"uuid\":\"c\"}]", big);
    READ(text, 64, &g);
    assert_int_equal(g.n_events, 2);
    assert_string_equal(g.uuids[1], "c");
    assert_int_equal(g.n_bad, 1);
}

static void test_nul_byte_rejected(void **state)
{
    (void)state;
    struct got g;
    static const char text[] = "{\"uuid\":\"a\"}\n{\"uuid\":\"b\0\"}\n{\"uuid\":\"c\"}\n";
    read_all(text, sizeof text - 1, 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 1);
}

static void test_large_array_streams(void **state)
{
    (void)state;
    const int n = 100000;
    size_t cap = (size_t)n * 40 + 16, len = 0;
    char *text = malloc(cap);
    struct got g;

    text[len++] = '[';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s{\"uuid\":\"u%d\",\"k\":[1,2]}", i ? "," : "", i);
    text[len++] = ']';
    read_all(text, len, 0, &g);
    assert_int_equal(g.n_events, n);
    assert_int_equal(g.n_bad, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_bad_lines),
        cmocka_unit_test(test_array_pretty),
        cmocka_unit_test(test_array_bad_element_and_garbage),
        cmocka_unit_test(test_array_truncated),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_nul_byte_rejected),
        cmocka_unit_test(test_large_array_streams),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
