/*
 * test_wal.c — the partition write-ahead-log page (src/cluster/wal.h):
 * encode/decode round trip, refused shapes named by field, the Msg-Id,
 * and the deterministic split of a page over max_payload into chunks that
 * chain through synthetic cursors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/wal.h"

/* A page of n events, each with a uuid and a padding of pad bytes. */
static json_t *make_page(size_t n, size_t pad)
{
    json_t *ev = json_array(), *page = NULL;
    char *fill = calloc(1, pad + 1), uuid[48], err[256];

    memset(fill, 'x', pad);
    for (size_t i = 0; i < n; i++) {
        snprintf(uuid, sizeof uuid, "uuid-%04zu", i);
        json_array_append_new(ev, json_pack("{s:s, s:s}", "uuid", uuid, "pad", fill));
    }
    assert_int_equal(idw_wal_page("acme", "https://acme.okta.com/api/v1/logs?after=1", "https://next", 1234,
                                  77, NULL, ev, &page, err, sizeof err), 0);
    json_decref(ev);
    free(fill);
    return page;
}

static void test_round_trip(void **state)
{
    json_t *page = make_page(3, 10), *back = NULL;
    size_t len;
    char err[256], *s;

    (void)state;
    s = idw_wal_encode(page, &len);
    assert_non_null(s);
    enum idw_wal_kind kind;
    assert_int_equal(idw_wal_decode(s, len, &back, &kind, err, sizeof err), 0);
    assert_int_equal(kind, IDW_WAL_PAGE);
    assert_true(json_equal(page, back));
    assert_int_equal(json_integer_value(json_object_get(back, "live_from")), 77);
    assert_int_equal(json_integer_value(json_object_get(back, "v")), IDW_WAL_VERSION);
    assert_string_equal(json_string_value(json_object_get(back, "org")), "acme");
    assert_int_equal(json_integer_value(json_object_get(back, "fetched_at")), 1234);
    assert_int_equal(json_array_size(json_object_get(back, "events")), 3);
    free(s);
    json_decref(back);
    json_decref(page);
}

static void test_refused(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[1]", "wal: expected an object"},
        {"{\"org\":\"acme\"", "wal: line 1, column"},
        {"{\"org\":\"a c\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":1,\"events\":[]}",
         "wal: org: expected a domain_id"},
        {"{\"org\":\"acme\",\"cursor_polled\":1,\"next_cursor\":\"n\",\"fetched_at\":1,\"events\":[]}",
         "wal: cursor_polled: expected a string"},
        {"{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"\",\"fetched_at\":1,\"events\":[]}",
         "wal: next_cursor: expected a non-empty string"},
        {"{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":-1,\"events\":[]}",
         "wal: fetched_at: expected a non-negative integer"},
        {"{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":1,\"events\":[{},2]}",
         "wal: events[1]: expected an object"},
        {"{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":1,\"events\":{}}",
         "wal: events: expected an array"},
        {"{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":1,\"events\":[],"
         "\"x\":1}",
         "wal: expected exactly org, cursor_polled"},
        {"{\"org\":\"acme\",\"org\":\"b\",\"cursor_polled\":\"\",\"next_cursor\":\"n\",\"fetched_at\":1,"
         "\"events\":[]}", "duplicate object key"},
        {"{\"v\":2,\"type\":\"page\",\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\","
         "\"fetched_at\":1,\"events\":[]}", "wal: live_from: expected"},
        {"{\"v\":2,\"type\":\"page\",\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\","
         "\"fetched_at\":1,\"live_from\":0,\"events\":[],\"x\":1}", "wal: x: not a key of a page"},
        {"{\"v\":2,\"type\":\"page\",\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\","
         "\"fetched_at\":1,\"live_from\":0,\"events\":[{}],\"geo\":[]}", "wal: geo: expected an array as long"},
        {"{\"v\":2,\"type\":\"page\",\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\","
         "\"fetched_at\":1,\"live_from\":0,\"events\":[{}],\"geo\":[{}]}", "wal: geo[0]: expected null or"},
        {"{\"v\":1,\"type\":\"page\"}", "wal: v: expected an integer >= 2"},
        {"{\"v\":2}", "wal: type: expected a string"},
        {"{\"v\":2,\"type\":\"genesis\",\"partition\":1,\"unknown_user_key\":\"00\"}",
         "wal: genesis: expected exactly"},
        {"{\"v\":2,\"type\":\"command\",\"org\":\"a b\",\"command\":\"review\"}",
         "wal: command: org: expected a domain_id"},
        {"{\"v\":2,\"type\":\"command\",\"org\":\"acme\"}", "wal: command: expected a non-empty"},
    };
    json_t *out;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        out = (json_t *)1;
        enum idw_wal_kind kind = IDW_WAL_PAGE;
        assert_int_equal(idw_wal_decode(bad[i].text, strlen(bad[i].text), &out, &kind, err, sizeof err), 0);
        assert_null(out);
        if (kind != IDW_WAL_MALFORMED)
            fail_msg("%s: kind %d, expected MALFORMED", bad[i].text, (int)kind);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: got '%s', expected '%s'", bad[i].text, err, bad[i].want);
    }
}

static void test_msg_id(void **state)
{
    char id[IDW_WAL_MSGID_MAX], id2[IDW_WAL_MSGID_MAX];

    (void)state;
    /* SHA-256("\nn") and SHA-256("abc\nx"), computed independently (Python hashlib) */
    assert_int_equal(idw_wal_msg_id("acme", "", "n", id), IDW_OK);
    assert_string_equal(id, "acme:3437499ef5c2d0e0b887ccd02d1b47a5e7b2a13015da0c1f3bdb76babb14046d");
    assert_int_equal(idw_wal_msg_id("acme", "abc", "x", id), IDW_OK);
    assert_string_equal(id, "acme:21a96cbdde114711e46674735d9fa899ec35ab318bbb843a8a561d0334d10558");
    assert_int_equal(idw_wal_msg_id("beta", "abc", "x", id2), IDW_OK);
    assert_string_not_equal(id, id2);
    /* the same cursor polled, a different next page: not a duplicate (an empty "next == self"
       page polled first must not hide the real page polled later from the same cursor) */
    assert_int_equal(idw_wal_msg_id("acme", "abc", "y", id2), IDW_OK);
    assert_string_not_equal(id, id2);
}

/* An empty page whose next link is the cursor polled is idle (nothing published); any other is not. */
static void test_idle(void **state)
{
    json_t *none = json_array(), *one = json_pack("[{s:s}]", "uuid", "u1"), *p;
    char err[256];

    (void)state;
    assert_int_equal(idw_wal_page("acme", "c1", "c1", 5, 0, NULL, none, &p, err, sizeof err), IDW_OK);
    assert_int_equal(idw_wal_idle(p), 1);
    json_decref(p);
    assert_int_equal(idw_wal_page("acme", "c1", "c2", 5, 0, NULL, none, &p, err, sizeof err), IDW_OK);
    assert_int_equal(idw_wal_idle(p), 0);       /* the cursor moves: published */
    json_decref(p);
    assert_int_equal(idw_wal_page("acme", "c1", "c1", 5, 0, NULL, one, &p, err, sizeof err), IDW_OK);
    assert_int_equal(idw_wal_idle(p), 0);       /* events: published */
    json_decref(p);
    json_decref(none);
    json_decref(one);
}

/* Chunks chain: chunk 0 polls the page's cursor, each next is the following one's polled, the
   last the page's. */
static void check_chain(const json_t *page, const json_t *chunks, size_t max)
{
    const char *prev = json_string_value(json_object_get(page, "cursor_polled"));
    size_t i, len, events = 0, k = 0;
    json_t *c, *e;

    json_array_foreach(chunks, i, c) {
        char *s = idw_wal_encode(c, &len);
        assert_true(len <= max);
        free(s);
        assert_string_equal(json_string_value(json_object_get(c, "cursor_polled")), prev);
        prev = json_string_value(json_object_get(c, "next_cursor"));
        json_array_foreach(json_object_get(c, "events"), k, e)
            assert_true(json_equal(e, json_array_get(json_object_get(page, "events"), events + k)));
        events += json_array_size(json_object_get(c, "events"));
    }
    assert_string_equal(prev, json_string_value(json_object_get(page, "next_cursor")));
    assert_int_equal(events, json_array_size(json_object_get(page, "events")));
}

static void test_split(void **state)
{
    json_t *page = make_page(100, 1000), *chunks = NULL, *again = NULL;
    char err[256], *base;

    (void)state;
    /* fits: the page itself */
    assert_int_equal(idw_wal_split(page, IDW_WAL_MAX_PAYLOAD, &chunks, err, sizeof err), 0);
    assert_int_equal(json_array_size(chunks), 1);
    assert_ptr_equal(json_array_get(chunks, 0), page);
    json_decref(chunks);
    /* ~102 KB into 10 KB chunks */
    assert_int_equal(idw_wal_split(page, 10000, &chunks, err, sizeof err), 0);
    assert_true(json_array_size(chunks) >= 11);
    check_chain(page, chunks, 10000);
    assert_string_equal(json_string_value(json_object_get(json_array_get(chunks, 1), "cursor_polled")),
                        "https://acme.okta.com/api/v1/logs?after=1#idw-chunk=1");
    base = idw_wal_base_cursor(
        json_string_value(json_object_get(json_array_get(chunks, 3), "cursor_polled")));
    assert_string_equal(base, "https://acme.okta.com/api/v1/logs?after=1");
    free(base);
    /* deterministic */
    assert_int_equal(idw_wal_split(page, 10000, &again, err, sizeof err), 0);
    assert_true(json_equal(chunks, again));
    json_decref(again);
    json_decref(chunks);
    /* one event alone over the limit: refused, naming it */
    assert_int_equal(idw_wal_split(page, 900, &chunks, err, sizeof err), -1);
    assert_null(chunks);
    assert_non_null(strstr(err, "events[0]: "));
    assert_non_null(strstr(err, "too large"));
    json_decref(page);
}

/* A later version or an unknown type is FUTURE (the applier stops), never MALFORMED (skipped). */
static void test_versions(void **state)
{
    static const char *const future[] = {
        "{\"v\":3,\"type\":\"page\",\"whatever\":1}",
        "{\"v\":2,\"type\":\"rebalance\"}",
    };
    static const char v1[] = "{\"org\":\"acme\",\"cursor_polled\":\"\",\"next_cursor\":\"n\","
                             "\"fetched_at\":1,\"events\":[]}";
    enum idw_wal_kind kind;
    json_t *out;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof future / sizeof *future; i++) {
        assert_int_equal(idw_wal_decode(future[i], strlen(future[i]), &out, &kind, err, sizeof err), IDW_OK);
        assert_int_equal(kind, IDW_WAL_FUTURE);
        assert_null(out);
    }
    assert_non_null(strstr(err, "unknown to this release"));
    assert_int_equal(idw_wal_decode(v1, strlen(v1), &out, &kind, err, sizeof err), IDW_OK);
    assert_int_equal(kind, IDW_WAL_PAGE);       /* version 1 still reads */
    json_decref(out);
}

static void test_genesis(void **state)
{
    unsigned char key[32], back[32];
    json_t *g, *d;
    enum idw_wal_kind kind;
    char err[256], *s;
    size_t len;

    (void)state;
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)(i * 7 + 3);
    assert_int_equal(idw_wal_genesis(5, key, &g), IDW_OK);
    s = idw_wal_encode(g, &len);
    assert_int_equal(idw_wal_decode(s, len, &d, &kind, err, sizeof err), IDW_OK);
    assert_int_equal(kind, IDW_WAL_GENESIS);
    assert_int_equal(idw_wal_genesis_key(d, back), IDW_OK);
    assert_memory_equal(key, back, 32);
    json_object_set_new(d, "unknown_user_key", json_string("zz"));
    assert_int_equal(idw_wal_genesis_key(d, back), IDW_ERR);
    free(s);
    json_decref(g);
    json_decref(d);
}

/* Each chunk carries the GeoIP answers of its own events, in order. */
static void test_split_geo(void **state)
{
    json_t *plain = make_page(60, 1000), *geo = json_array(), *page = NULL, *chunks = NULL, *c;
    char err[256];
    size_t i, at = 0;

    (void)state;
    for (size_t k = 0; k < 60; k++)
        json_array_append_new(geo, k % 3 ? json_null() : json_pack("{s:s, s:I}", "ip", "192.0.2.1", "k",
                                                                   (json_int_t)k));
    assert_int_equal(idw_wal_page("acme", "c0", "c9", 5, 9, geo, json_object_get(plain, "events"), &page,
                                  err, sizeof err), IDW_OK);
    assert_int_equal(idw_wal_split(page, 10000, &chunks, err, sizeof err), IDW_OK);
    assert_true(json_array_size(chunks) > 5);
    check_chain(page, chunks, 10000);
    json_array_foreach(chunks, i, c) {
        const json_t *g = json_object_get(c, "geo");
        assert_int_equal(json_array_size(g), json_array_size(json_object_get(c, "events")));
        for (size_t k = 0; k < json_array_size(g); k++, at++)
            assert_true(json_equal(json_array_get(g, k), json_array_get(geo, at)));
        assert_int_equal(json_integer_value(json_object_get(c, "live_from")), 9);
    }
    assert_int_equal(at, 60);
    json_decref(chunks);
    json_decref(page);
    json_decref(geo);
    json_decref(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_msg_id),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_split_geo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
