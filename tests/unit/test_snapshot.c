/*
 * test_snapshot.c — the pure parts of partition snapshots
 * (src/cluster/snapshot.h): the manifest codec and its refusals (each named
 * by field), the chunk arithmetic restore checks every chunk against, the
 * configuration keys and the worker's "is a snapshot due" rule.  Take and
 * restore against NATS are tests/integration/test_nats_snapshot.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/snapshot.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define ID "0123456789abcdef0123456789abcdef"

static struct idw_snapshot_manifest sample(void)
{
    struct idw_snapshot_manifest m = {
        .partition = 7, .applied_seq = 126, .first_chunk_seq = 12, .chunks = 10,
        .bytes = 9 * IDW_SNAP_CHUNK_BYTES + 5, .created_at = 1789000000000,
    };

    strcpy(m.snap_id, ID);
    strcpy(m.sha256, SHA);
    strcpy(m.idwatch_version, "0.1.0");
    return m;
}

static void test_round_trip(void **state)
{
    struct idw_snapshot_manifest m = sample(), back;
    char err[256], *text = NULL;
    size_t len;

    (void)state;
    assert_int_equal(idw_snapshot_manifest_encode(&m, &text, &len, err, sizeof err), IDW_OK);
    assert_string_equal(text, "{\"applied_seq\":126,\"bytes\":2359301,\"chunks\":10,\"created_at\":1789000000000,"
                        "\"first_chunk_seq\":12,\"idwatch_version\":\"0.1.0\",\"partition\":7,\"sha256\":\""
                        SHA "\",\"snap_id\":\"" ID "\",\"v\":1}");
    assert_int_equal(idw_snapshot_manifest_decode(text, len, &back, err, sizeof err), IDW_OK);
    assert_int_equal(back.partition, 7);
    assert_int_equal(back.applied_seq, 126);
    assert_int_equal(back.first_chunk_seq, 12);
    assert_int_equal(back.chunks, 10);
    assert_int_equal(back.bytes, m.bytes);
    assert_int_equal(back.created_at, 1789000000000);
    assert_string_equal(back.snap_id, ID);
    assert_string_equal(back.sha256, SHA);
    assert_string_equal(back.idwatch_version, "0.1.0");
    free(text);
}

/* A manifest text with one member replaced (or removed: value NULL). */
static char *variant(const char *key, json_t *value)
{
    struct idw_snapshot_manifest m = sample();
    char err[256], *text = NULL, *out;
    size_t len;
    json_t *o;

    assert_int_equal(idw_snapshot_manifest_encode(&m, &text, &len, err, sizeof err), IDW_OK);
    o = json_loads(text, 0, NULL);
    if (value)
        json_object_set_new(o, key, value);
    else
        json_object_del(o, key);
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(text);
    return out;
}

static void expect_refused(char *text, const char *want)
{
    struct idw_snapshot_manifest m;
    char err[256] = "";

    assert_int_equal(idw_snapshot_manifest_decode(text, strlen(text), &m, err, sizeof err), IDW_ERR);
    if (!strstr(err, want))
        fail_msg("%s: got \"%s\", expected \"%s\"", text, err, want);
    assert_int_equal(m.applied_seq, 0);     /* nothing half-filled */
    free(text);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused(strdup("{\"v\":1"), "snapshot manifest: line 1");
    expect_refused(strdup("[1]"), "snapshot manifest: expected a JSON object");
    expect_refused(variant("v", json_integer(2)), "snapshot manifest: v: version 2 is not 1");
    expect_refused(variant("v", NULL), "snapshot manifest: v: missing");
    expect_refused(variant("sha256", NULL), "snapshot manifest: expected exactly v, partition");
    expect_refused(variant("extra", json_true()), "snapshot manifest: expected exactly v, partition");
    expect_refused(variant("sha256", json_string("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")),
                   "snapshot manifest: sha256: expected 64 lower-case hex digits");
    expect_refused(variant("sha256", json_string("abc")), "sha256: expected 64 lower-case hex digits");
    expect_refused(variant("sha256", json_integer(5)), "snapshot manifest: sha256: expected a string");
    expect_refused(variant("snap_id", json_string(ID "00")), "snapshot manifest: snap_id: too long");
    expect_refused(variant("snap_id", json_string("zz23456789abcdef0123456789abcdef")),
                   "snap_id: expected 32 lower-case hex digits");
    expect_refused(variant("chunks", json_integer(9)), "chunks: does not match bytes (256 KiB a chunk)");
    expect_refused(variant("bytes", json_integer(0)), "bytes: expected a positive integer");
    expect_refused(variant("applied_seq", json_integer(0)), "applied_seq: expected a positive integer");
    expect_refused(variant("applied_seq", json_integer(-3)), "applied_seq: expected a non-negative integer");
    expect_refused(variant("applied_seq", json_string("5")), "applied_seq: expected a non-negative integer");
    expect_refused(variant("first_chunk_seq", json_integer(0)), "first_chunk_seq: expected a positive integer");
    expect_refused(variant("partition", json_integer(4096)), "partition: expected 0..4095");
    expect_refused(variant("idwatch_version", json_string("0123456789012345678901234567890123")),
                   "idwatch_version: too long");
}

static void test_encode_refuses(void **state)
{
    struct idw_snapshot_manifest m = sample();
    char err[256], *text = (char *)1;
    size_t len;

    (void)state;
    m.chunks = 3;       /* what decode would refuse is never published */
    assert_int_equal(idw_snapshot_manifest_encode(&m, &text, &len, err, sizeof err), IDW_ERR);
    assert_null(text);
    assert_string_equal(err, "snapshot manifest: chunks: does not match bytes (256 KiB a chunk)");
}

static void test_chunks(void **state)
{
    const uint64_t C = IDW_SNAP_CHUNK_BYTES;

    (void)state;
    assert_int_equal(C, 262144);
    assert_int_equal(idw_snapshot_chunk_count(0), 0);
    assert_int_equal(idw_snapshot_chunk_count(1), 1);
    assert_int_equal(idw_snapshot_chunk_count(C), 1);
    assert_int_equal(idw_snapshot_chunk_count(C + 1), 2);
    assert_int_equal(idw_snapshot_chunk_count(10 * C), 10);
    /* every chunk full but the last */
    assert_int_equal(idw_snapshot_chunk_len(2 * C + 7, 0), C);
    assert_int_equal(idw_snapshot_chunk_len(2 * C + 7, 1), C);
    assert_int_equal(idw_snapshot_chunk_len(2 * C + 7, 2), 7);
    assert_int_equal(idw_snapshot_chunk_len(2 * C + 7, 3), 0);
    assert_int_equal(idw_snapshot_chunk_len(2 * C, 1), C);
    assert_int_equal(idw_snapshot_chunk_len(2 * C, 2), 0);
    assert_int_equal(idw_snapshot_chunk_len(5, 0), 5);
}

static void load(const char *text, enum idw_rc want, const char *want_err, struct idw_snapshot_config *c)
{
    json_t *root = json_loads(text, 0, NULL);
    char err[256] = "";

    assert_non_null(root);
    assert_int_equal(idw_snapshot_config_load(root, c, err, sizeof err), want);
    if (want_err && !strstr(err, want_err))
        fail_msg("%s: got \"%s\", expected \"%s\"", text, err, want_err);
    json_decref(root);
}

static void test_config(void **state)
{
    struct idw_snapshot_config c;

    (void)state;
    load("{}", IDW_OK, NULL, &c);
    assert_int_equal(c.every_s, 600);
    assert_int_equal(c.every_events, 500000);
    assert_int_equal(c.stream_max_age_days, 7);
    assert_int_equal(c.replicas, 3);
    load("{\"cluster\": {\"snapshot_every_s\": 60, \"snapshot_every_events\": 0, \"stream_max_age_days\": 0,"
         " \"replicas\": 1}}", IDW_OK, NULL, &c);
    assert_int_equal(c.every_s, 60);
    assert_int_equal(c.every_events, 0);
    assert_int_equal(c.stream_max_age_days, 0);
    assert_int_equal(c.replicas, 1);
    load("{\"cluster\": {\"snapshot_every_s\": -1}}", IDW_ERR,
         "cluster.snapshot_every_s: expected an integer between 0 and 604800", &c);
    load("{\"cluster\": {\"snapshot_every_events\": \"5\"}}", IDW_ERR, "cluster.snapshot_every_events: ", &c);
    load("{\"cluster\": {\"stream_max_age_days\": 4000}}", IDW_ERR, "cluster.stream_max_age_days: expected", &c);
    load("{\"cluster\": {\"replicas\": 6}}", IDW_ERR, "cluster.replicas: expected an integer between 1 and 5", &c);
    /* retention must exceed twice the snapshot interval: 1 day against 12 h snapshots is refused */
    load("{\"cluster\": {\"stream_max_age_days\": 1, \"snapshot_every_s\": 43200}}", IDW_ERR,
         "cluster.stream_max_age_days: 1 days must exceed twice cluster.snapshot_every_s (43200 s)", &c);
    load("{\"cluster\": {\"stream_max_age_days\": 1, \"snapshot_every_s\": 43199}}", IDW_OK, NULL, &c);
}

static void test_due(void **state)
{
    struct idw_snapshot_config c = {.every_s = 600, .every_events = 1000, .stream_max_age_days = 7, .replicas = 3};
    const int64_t t0 = 1789000000000;

    (void)state;
    assert_false(idw_snapshot_due(&c, t0 + 599999, t0, 10, 20, 999));     /* neither yet */
    assert_true(idw_snapshot_due(&c, t0 + 600000, t0, 10, 20, 0));        /* the interval */
    assert_true(idw_snapshot_due(&c, t0 + 1, t0, 10, 20, 1000));          /* the event count */
    assert_false(idw_snapshot_due(&c, t0 + 9000000, t0, 20, 20, 5000));   /* nothing new applied */
    assert_true(idw_snapshot_due(&c, t0, 0, 0, 1, 0));                    /* never taken */
    c.every_s = 0;
    c.every_events = 0;
    assert_false(idw_snapshot_due(&c, t0 + 9000000, t0, 10, 20, 5000));  /* both disabled */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_chunks),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
