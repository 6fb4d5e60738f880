/*
 * test_replay.c — the streaming reader: every input form (one object,
 * pretty-printed or not; arrays; JSON Lines; concatenated values; JSON
 * Lines whose lines are arrays), gzip of each (single and concatenated
 * members, truncated, corrupt, trailing garbage), where errors say they
 * are (event, line, byte), broken elements skipped without losing
 * neighbours, oversized elements, and a large stream read in bounded
 * memory.  gzip data is made here with zlib.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "source/replay.h"

#define KEEP 32

struct got {
    int n_events, n_bad, fatal;
    long lines[KEEP], index[KEEP];
    char uuids[KEEP][32];
    char errs[KEEP][320];       /* every BAD/FATAL message, in order */
    int n_errs;
    char last_err[320];
    int gzip;
};

/* Reads everything from mem[0..len) with the given cap; records what came out. */
static void read_all(const void *mem, size_t len, size_t cap, struct got *g)
{
    FILE *f = fmemopen((void *)mem, len, "r");
    struct idw_reader *r = idw_reader_new(f, cap);
    char err[320];
    long line, index;
    json_t *ev;
    enum idw_read_status s;

    memset(g, 0, sizeof *g);
    assert_non_null(r);
    while ((s = idw_reader_next(r, &ev, &line, &index, err, sizeof err)) != IDW_READ_EOF) {
        if (s == IDW_READ_EVENT) {
            if (g->n_events < KEEP) {
                g->lines[g->n_events] = line;
                g->index[g->n_events] = index;
                snprintf(g->uuids[g->n_events], 32, "%s",
                         json_string_value(json_object_get(ev, "uuid")) ?: "");
            }
            g->n_events++;
            json_decref(ev);
            continue;
        }
        assert_true(err[0] != '\0');
        snprintf(g->last_err, sizeof g->last_err, "%s", err);
        if (g->n_errs < KEEP)
            snprintf(g->errs[g->n_errs++], sizeof g->errs[0], "%s", err);
        if (s == IDW_READ_FATAL) {
            g->fatal = 1;
            break;
        }
        g->n_bad++;
    }
    g->gzip = idw_reader_is_gzip(r);
    idw_reader_free(r);
    fclose(f);
}

#define READ(text, cap, g) read_all(text, strlen(text), cap, g)

static void expect_uuids(const struct got *g, const char *const *want, int n)
{
    assert_int_equal(g->n_events, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(g->uuids[i], want[i]);
}

/* ---- gzip made with zlib ------------------------------------------------- */

struct blob {
    unsigned char *p;
    size_t len;
};

/* Appends one gzip member holding text to b. */
static void gzip_append(struct blob *b, const char *text, size_t len)
{
    z_stream z = {0};
    size_t bound;

    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bound = deflateBound(&z, len) + 64;
    b->p = realloc(b->p, b->len + bound);
    assert_non_null(b->p);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = b->p + b->len;
    z.avail_out = (uInt)bound;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    b->len += bound - z.avail_out;
    deflateEnd(&z);
}

static struct blob gzip_of(const char *text)
{
    struct blob b = {0};
    gzip_append(&b, text, strlen(text));
    return b;
}

/* ---- JSON Lines ------------------------------------------------------------ */

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
    assert_int_equal(g.index[2], 2);
}

static void test_jsonl_bad_lines(void **state)
{
    (void)state;
    struct got g;
    /* a cut line, an array of two non-objects (two bad elements), a bare string, then d */
    READ("{\"uuid\":\"a\"}\n{\"uuid\":\"broken\n[1,2]\n\"str\"\n{\"uuid\":\"d\"}\n", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 4);
    assert_string_equal(g.uuids[1], "d");
    assert_int_equal(g.lines[1], 5);
    assert_int_equal(g.index[1], 5);                        /* a, broken, 1, 2, "str", d */
    assert_string_equal(g.errs[0], "event 2 (line 2, byte 13): invalid JSON: line break inside "
                        "a string (the event is cut off or not JSON)");
    assert_string_equal(g.errs[1], "event 3 (line 3, byte 30): not an event: a number, not a JSON object");
    assert_string_equal(g.errs[2], "event 4 (line 3, byte 32): not an event: a number, not a JSON object");
    assert_string_equal(g.errs[3], "event 5 (line 4, byte 35): not an event: a string, not a JSON object");
}

static void test_jsonl_unbalanced_line_costs_only_that_line(void **state)
{
    (void)state;
    struct got g;
    static const char *const want[] = {"a", "c", "d"};
    /* line 2 never closes its brace: JSON Lines framing stops it at the end of its line */
    READ("{\"uuid\":\"a\"}\n{\"uuid\":\"b\",\"x\":{\"y\":1}\n{\"uuid\":\"c\"}\nnot json at all\n"
         "{\"uuid\":\"d\"}\n", 0, &g);
    expect_uuids(&g, want, 3);
    assert_int_equal(g.n_bad, 2);                           /* line 2, and line 4 once */
    assert_non_null(strstr(g.errs[0], "event 2 (line 2, byte 13): invalid JSON: the event does not end on its line"));
    assert_non_null(strstr(g.errs[1], "event 4 (line 4, byte 50): invalid JSON"));
    /* a broken FIRST line: the next line shows it is JSON Lines all the same */
    READ("{\"uuid\":\"a\",\"x\":{\"y\":1}\n{\"uuid\":\"c\"}\n{\"uuid\":\"d\"}\n", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 1);
    assert_string_equal(g.uuids[0], "c");
}

/* ---- one object ------------------------------------------------------------- */

static void test_single_pretty_object(void **state)
{
    (void)state;
    struct got g;
    /* used to give one "malformed" error per line */
    READ("\n{\n  \"uuid\": \"a\",\n  \"actor\": {\n    \"id\": \"00u1\",\n    \"type\": \"User\"\n  },\n"
         "  \"target\": [\n    {\"id\": \"x\"}\n  ]\n}\n", 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.n_bad + g.fatal, 0);
    assert_string_equal(g.uuids[0], "a");
    assert_int_equal(g.lines[0], 2);
    READ("{\"uuid\":\"only\"}", 0, &g);                     /* compact, no newline at all */
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.n_bad + g.fatal, 0);
}

static void test_concatenated_pretty_objects(void **state)
{
    (void)state;
    struct got g;
    static const char *const want[] = {"a", "b", "c"};
    READ("{\n  \"uuid\": \"a\"\n}\n{\n  \"uuid\": \"b\"\n}{\"uuid\":\"c\"}", 0, &g);
    expect_uuids(&g, want, 3);
    assert_int_equal(g.n_bad + g.fatal, 0);
    assert_int_equal(g.lines[1], 4);
}

/* ---- arrays ------------------------------------------------------------------ */

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
    assert_non_null(strstr(g.errs[0], "event 2 (line 1, byte 14): invalid JSON: "));
    assert_string_equal(g.errs[1], "line 1, byte 40: expected ',' or ']' between array elements");
    assert_non_null(strstr(g.errs[3], "event 7 (line 1, byte 71): invalid JSON"));
}

/* Defect 10: concatenated arrays, and arrays as JSON Lines, counted 1 and lost their events. */
static void test_every_element_of_every_array(void **state)
{
    (void)state;
    struct got g;
    static const char *const want[] = {"a", "b", "c", "d", "e"};

    READ("[{\"uuid\":\"a\"},{\"uuid\":\"b\"}][{\"uuid\":\"c\"}][][{\"uuid\":\"d\"},{\"uuid\":\"e\"}]", 0, &g);
    expect_uuids(&g, want, 5);
    assert_int_equal(g.n_bad + g.fatal, 0);
    READ("[{\"uuid\":\"a\"},{\"uuid\":\"b\"}]\n\n[{\"uuid\":\"c\"}]\n[\n {\"uuid\":\"d\"},\n {\"uuid\":\"e\"}\n]\n", 0, &g);
    expect_uuids(&g, want, 5);
    assert_int_equal(g.n_bad + g.fatal, 0);
    /* JSON Lines in which some lines are arrays, and objects back to back on a line */
    READ("{\"uuid\":\"a\"}\n[{\"uuid\":\"b\"},{\"uuid\":\"c\"}]\n{\"uuid\":\"d\"}{\"uuid\":\"e\"}\n", 0, &g);
    expect_uuids(&g, want, 5);
    assert_int_equal(g.n_bad + g.fatal, 0);
    assert_int_equal(g.lines[2], 2);
    assert_int_equal(g.index[4], 4);
    /* objects and arrays mixed, no separators at all */
    READ("{\"uuid\":\"a\"}[{\"uuid\":\"b\"}]{\"uuid\":\"c\"}[{\"uuid\":\"d\"},{\"uuid\":\"e\"}]", 0, &g);
    expect_uuids(&g, want, 5);
    assert_int_equal(g.n_bad + g.fatal, 0);
}

static void test_nested_array_is_one_bad_element(void **state)
{
    (void)state;
    struct got g;
    READ("[{\"uuid\":\"a\"},[{\"uuid\":\"x\"}],{\"uuid\":\"b\"}]", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 1);
    assert_non_null(strstr(g.errs[0], "event 2 (line 1, byte 14): not an event: a JSON array"));
}

static void test_jsonl_array_not_closed_on_its_line(void **state)
{
    (void)state;
    struct got g;
    static const char *const want[] = {"a", "b", "c", "d"};
    /* the array on line 2 never closes: line 3 is still read as its element, line 4 on its own */
    READ("{\"uuid\":\"a\"}\n[{\"uuid\":\"b\"},\n{\"uuid\":\"c\"}\n{\"uuid\":\"d\"}\n", 0, &g);
    expect_uuids(&g, want, 4);
    assert_int_equal(g.n_bad, 1);
    assert_int_equal(g.fatal, 0);
    assert_string_equal(g.errs[0], "line 4, byte 41: the array opened on line 2 is not closed; "
                        "reading on from here");
    /* left open at the end of the input: a truncation, its elements kept */
    READ("{\"uuid\":\"a\"}\n[{\"uuid\":\"b\"},\n{\"uuid\":\"c\"}\n", 0, &g);
    assert_int_equal(g.n_events, 3);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "closing ']' of the array opened on line 2 (truncated)"));
}

/* JSON Lines framing only changes how broken lines are skipped: valid JSON spanning lines is read. */
static void test_jsonl_with_valid_multiline_values(void **state)
{
    (void)state;
    struct got g;
    static const char *const want[] = {"a", "b", "c", "d", "e"};
    READ("{\"uuid\":\"a\"}\n{\n  \"uuid\": \"b\"\n}\n[\n {\"uuid\":\"c\"},\n {\"uuid\":\"d\"}\n]\n"
         "{\"uuid\":\"e\"}\n", 0, &g);
    expect_uuids(&g, want, 5);
    assert_int_equal(g.n_bad + g.fatal, 0);
    assert_int_equal(g.lines[1], 2);
    assert_int_equal(g.lines[4], 9);
    /* a spanning value that is not valid JSON: only its first line is dropped */
    READ("{\"uuid\":\"a\"}\n{\"uuid\":\"b\",\"x\":{\n{\"uuid\":\"c\"}\n{\"uuid\":\"d\"}\n{\"uuid\":\"e\"}\n", 0, &g);
    static const char *const want2[] = {"a", "c", "d", "e"};
    expect_uuids(&g, want2, 4);
    assert_int_equal(g.n_bad, 1);
    assert_int_equal(g.fatal, 0);
    assert_string_equal(g.errs[0], "event 2 (line 2, byte 13): invalid JSON: the event does not "
                        "end on its line");
}

static void test_array_truncated(void **state)
{
    (void)state;
    struct got g;
    READ("[{\"uuid\":\"a\"},{\"uuid\":\"b\"},{\"uuid\":\"c", 0, &g);
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.fatal, 1);
    assert_string_equal(g.last_err, "event 3 (line 1, byte 27): input ends inside this event (truncated)");
    READ("[{\"uuid\":\"a\"}", 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "closing ']' of the array opened on line 1"));
    READ("{\"uuid\":\"a\"}\n{\"uuid\":\"b\"", 0, &g);        /* JSON Lines cut inside the last line */
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "event 2 (line 2, byte 13): input ends inside this event"));
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
    READ("[][]\n[]", 0, &g);
    assert_int_equal(g.n_events + g.n_bad + g.fatal, 0);
}

static void test_stray_punctuation(void **state)
{
    (void)state;
    struct got g;
    READ("{\"uuid\":\"a\"},\n{\"uuid\":\"b\"}\n", 0, &g);       /* an array without its brackets */
    assert_int_equal(g.n_events, 2);
    assert_int_equal(g.n_bad, 1);
    assert_string_equal(g.errs[0], "line 1, byte 12: unexpected ',' between events");
    READ("[{\"uuid\":\"a\"},]", 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.n_bad, 1);
    assert_non_null(strstr(g.errs[0], "trailing ','"));
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
    assert_string_equal(g.last_err, "event 2 (line 2, byte 13): event larger than 64 bytes");
    snprintf(text, sizeof text, "[{\"uuid\":\"a\"},{\"uuid\":\"%s\"},{\"uuid\":\"c\"}]", big);
    READ(text, 64, &g);
    assert_int_equal(g.n_events, 2);
    assert_string_equal(g.uuids[1], "c");
    assert_int_equal(g.n_bad, 1);
    snprintf(text, sizeof text, "{\"uuid\":\"a\"}{\"uuid\":\"%s\"}{\"uuid\":\"c\"}", big);
    READ(text, 64, &g);                                      /* concatenated, no newlines */
    assert_int_equal(g.n_events, 2);
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

/* ---- gzip --------------------------------------------------------------------- */

static void test_gzip_each_form(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "{\"uuid\":\"a\"}\n{\"uuid\":\"b\"}\n{\"uuid\":\"c\"}\n",                 /* JSON Lines */
        "[{\"uuid\":\"a\"},\n {\"uuid\":\"b\"},\n {\"uuid\":\"c\"}]",              /* array */
        "[{\"uuid\":\"a\"}][{\"uuid\":\"b\"},{\"uuid\":\"c\"}]",                   /* concatenated */
        "{\n \"uuid\": \"a\"\n}\n[{\"uuid\":\"b\"}]{\"uuid\":\"c\"}",              /* pretty + mixed */
    };
    static const char *const want[] = {"a", "b", "c"};
    struct got g;

    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct blob b = gzip_of(forms[i]);
        read_all(b.p, b.len, 0, &g);
        assert_int_equal(g.gzip, 1);
        expect_uuids(&g, want, 3);
        assert_int_equal(g.n_bad + g.fatal, 0);
        free(b.p);
    }
    READ(forms[0], 0, &g);
    assert_int_equal(g.gzip, 0);
}

static void test_gzip_concatenated_members(void **state)
{
    (void)state;
    struct blob b = {0};
    struct got g;
    static const char *const want[] = {"a", "b", "c", "d"};
    static const char m1[] = "{\"uuid\":\"a\"}\n{\"uuid\":\"b\"}\n", m2[] = "",
                      m3[] = "[{\"uuid\":\"c\"},{\"uuid\":\"d\"}]\n";

    gzip_append(&b, m1, strlen(m1));        /* as `cat a.gz empty.gz b.gz` makes */
    gzip_append(&b, m2, 0);
    gzip_append(&b, m3, strlen(m3));
    read_all(b.p, b.len, 0, &g);
    expect_uuids(&g, want, 4);
    assert_int_equal(g.n_bad + g.fatal, 0);
    /* an event split across two members is still one event */
    free(b.p);
    memset(&b, 0, sizeof b);
    gzip_append(&b, "{\"uuid\":", 8);
    gzip_append(&b, "\"split\"}", 8);
    read_all(b.p, b.len, 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_string_equal(g.uuids[0], "split");
    free(b.p);
}

/* n JSON Lines events of roughly 200 bytes each; caller frees. */
static char *many_lines(int n)
{
    size_t cap = (size_t)n * 256, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"uuid\":\"ev-%06d\",\"published\":\"2026-01-01T00:00:00Z\","
                                "\"displayMessage\":\"%0120d\"}\n", i, i);
    return text;
}

static void test_gzip_truncated_keeps_events_before(void **state)
{
    (void)state;
    char *text = many_lines(5000);
    struct blob b = gzip_of(text);
    struct got g;

    read_all(b.p, b.len / 2, 0, &g);         /* cut the compressed stream in half */
    assert_int_equal(g.fatal, 1);
    assert_true(g.n_events > 100 && g.n_events < 5000);
    assert_int_equal(g.n_bad, 0);
    assert_string_equal(g.uuids[KEEP - 1], "ev-000031");
    assert_non_null(strstr(g.last_err, "gzip stream truncated: input ends inside member 1 at compressed byte "));
    assert_non_null(strstr(g.last_err, "decompressed byte"));
    assert_non_null(strstr(g.last_err, "event "));    /* it cut an event: that one is named */
    /* cut exactly after the header: nothing, and still a clear error */
    read_all(b.p, 10, 0, &g);
    assert_int_equal(g.n_events, 0);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "gzip stream truncated"));
    free(b.p);
    free(text);
}

static void test_gzip_corrupt(void **state)
{
    (void)state;
    char *text = many_lines(5000);
    struct blob b = gzip_of(text);
    struct got g;

    for (size_t i = b.len / 2; i < b.len / 2 + 64; i++)
        b.p[i] ^= 0x5a;
    read_all(b.p, b.len, 0, &g);
    assert_int_equal(g.fatal, 1);
    assert_true(g.n_events > 100 && g.n_events < 5000);
    assert_non_null(strstr(g.last_err, "gzip data corrupt at compressed byte "));
    /* a damaged trailer (CRC-32) is caught too, after the data it covers */
    free(b.p);
    b = gzip_of("{\"uuid\":\"a\"}\n");
    b.p[b.len - 6] ^= 0xff;
    read_all(b.p, b.len, 0, &g);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "incorrect data check"));
    free(b.p);
    free(text);
}

static void test_gzip_trailing_garbage(void **state)
{
    (void)state;
    struct blob b = gzip_of("{\"uuid\":\"a\"}\n");
    struct got g;

    b.p = realloc(b.p, b.len + 4);
    memcpy(b.p + b.len, "junk", 4);
    read_all(b.p, b.len + 4, 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_int_equal(g.fatal, 1);
    assert_non_null(strstr(g.last_err, "is not another gzip member"));
    free(b.p);
}

static void test_gzip_errors_name_decompressed_offsets(void **state)
{
    (void)state;
    struct blob b = gzip_of("{\"uuid\":\"a\"}\n{\"uuid\":tru}\n");
    struct got g;

    read_all(b.p, b.len, 0, &g);
    assert_int_equal(g.n_events, 1);
    assert_non_null(strstr(g.errs[0], "event 2 (line 2, decompressed byte 13): invalid JSON"));
    free(b.p);
}

static void test_gzip_large_stream(void **state)
{
    (void)state;
    char *text = many_lines(60000);          /* ~12 MB of JSON Lines, ~40x smaller compressed */
    struct blob b = gzip_of(text);
    struct got g;

    read_all(b.p, b.len, 0, &g);
    assert_int_equal(g.n_events, 60000);
    assert_int_equal(g.n_bad + g.fatal, 0);
    free(b.p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_bad_lines),
        cmocka_unit_test(test_jsonl_unbalanced_line_costs_only_that_line),
        cmocka_unit_test(test_single_pretty_object),
        cmocka_unit_test(test_concatenated_pretty_objects),
        cmocka_unit_test(test_array_pretty),
        cmocka_unit_test(test_array_bad_element_and_garbage),
        cmocka_unit_test(test_every_element_of_every_array),
        cmocka_unit_test(test_nested_array_is_one_bad_element),
        cmocka_unit_test(test_jsonl_array_not_closed_on_its_line),
        cmocka_unit_test(test_jsonl_with_valid_multiline_values),
        cmocka_unit_test(test_array_truncated),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_stray_punctuation),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_nul_byte_rejected),
        cmocka_unit_test(test_large_array_streams),
        cmocka_unit_test(test_gzip_each_form),
        cmocka_unit_test(test_gzip_concatenated_members),
        cmocka_unit_test(test_gzip_truncated_keeps_events_before),
        cmocka_unit_test(test_gzip_corrupt),
        cmocka_unit_test(test_gzip_trailing_garbage),
        cmocka_unit_test(test_gzip_errors_name_decompressed_offsets),
        cmocka_unit_test(test_gzip_large_stream),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
