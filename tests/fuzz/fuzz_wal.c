/*
 * fuzz_wal.c — the partition write-ahead-log page (src/cluster/wal.c): the
 * bytes an applier reads from a NATS stream, which anyone able to publish
 * on the partition's subject can make anything.
 *
 * A message that decodes is then used the way the scale-out path uses a
 * page: encoded again, given its Msg-Id, and split to two small payload
 * limits (so the chunking path runs on ordinary inputs).
 *
 * Invariants: a refusal has a message starting "wal: " and returns no
 * page; an accepted page re-encodes to a message that decodes to an equal
 * page; its Msg-Id is org ":" and 64 hex digits; a split either says why
 * (an event alone too large) or gives chunks that each fit the limit,
 * chain cursor to cursor from the page's cursor_polled to its next_cursor,
 * map back to the page's cursor (idw_wal_base_cursor; when the page's own
 * cursor carries no chunk mark) and hold the page's events in order.
 * A rules message (cluster/rulepack.h) is checked whole: refused with a
 * "rules: " reason and no files, or its files carry only safe paths and
 * build a message of the same fingerprint again.
 */
#include "fuzz_util.h"

#include "cluster/rulepack.h"
#include "cluster/wal.h"

static void check_rules(const json_t *msg)
{
    char err[512] = "", fp[IDW_RULEPACK_FP_HEX + 1];
    json_t *files = NULL, *again = NULL;
    int bad = 0;

    if (idw_rulepack_files(msg, &files, &bad, err, sizeof err) < 0) {
        FUZZ_CHECK(files == NULL && strncmp(err, "rules: ", 7) == 0);
        return;
    }
    FUZZ_CHECK(idw_rulepack_fingerprint(files, fp) == IDW_OK &&
               strcmp(fp, json_string_value(json_object_get(msg, "fingerprint"))) == 0);
    if (idw_rulepack_message(files, "0.1.0", 1, "fuzz", "0123456789abcdef0123456789abcdef", &again, err,
                             sizeof err) == IDW_OK)
        FUZZ_CHECK(strcmp(json_string_value(json_object_get(again, "fingerprint")), fp) == 0);
    json_decref(again);
    json_decref(files);
}

static void check_msg_id(const json_t *page)
{
    const char *org = json_string_value(json_object_get(page, "org"));
    char id[IDW_WAL_MSGID_MAX];
    size_t n = strlen(org);

    if (idw_wal_msg_id(org, json_string_value(json_object_get(page, "cursor_polled")),
                       json_string_value(json_object_get(page, "next_cursor")), id) < 0)
        return;     /* out of memory */
    FUZZ_CHECK(strncmp(id, org, n) == 0 && id[n] == ':' && strlen(id + n + 1) == 64);
    FUZZ_CHECK(strspn(id + n + 1, "0123456789abcdef") == 64);
}

static void check_chunk(const json_t *page, const json_t *c, size_t max, const char *prev, size_t *events)
{
    const json_t *all = json_object_get(page, "events"), *e;
    const char *polled = json_string_value(json_object_get(page, "cursor_polled"));
    char *s, *base;
    size_t len, k;

    s = idw_wal_encode(c, &len);
    FUZZ_CHECK(s != NULL && len <= max);
    free(s);
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(c, "cursor_polled")), prev) == 0);
    if (!strstr(polled, IDW_WAL_CHUNK_MARK)) {
        base = idw_wal_base_cursor(prev);
        FUZZ_CHECK(base && strcmp(base, polled) == 0);
        free(base);
    }
    json_array_foreach(json_object_get(c, "events"), k, e)
        FUZZ_CHECK(json_equal(e, json_array_get(all, *events + k)));
    *events += json_array_size(json_object_get(c, "events"));
}

static void check_split(const json_t *page, size_t max)
{
    json_t *chunks = NULL, *c;
    char err[512] = "";
    const char *prev = json_string_value(json_object_get(page, "cursor_polled"));
    size_t i, events = 0;

    if (idw_wal_split(page, max, &chunks, err, sizeof err) < 0) {
        FUZZ_CHECK(chunks == NULL && strncmp(err, "wal: ", 5) == 0);
        return;
    }
    FUZZ_CHECK(json_array_size(chunks) >= 1);
    json_array_foreach(chunks, i, c) {
        check_chunk(page, c, max, prev, &events);
        prev = json_string_value(json_object_get(c, "next_cursor"));
    }
    FUZZ_CHECK(strcmp(prev, json_string_value(json_object_get(page, "next_cursor"))) == 0);
    FUZZ_CHECK(events == json_array_size(json_object_get(page, "events")));
    json_decref(chunks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *page = (json_t *)1, *back = NULL;
    char err[512] = "", *s;
    size_t len;
    enum idw_wal_kind kind, kind2;

    if (idw_wal_decode((const char *)data, size, &page, &kind, err, sizeof err) < 0)
        return 0;   /* out of memory */
    if (kind == IDW_WAL_MALFORMED || kind == IDW_WAL_FUTURE) {
        FUZZ_CHECK(page == NULL && strncmp(err, "wal: ", 5) == 0);
        return 0;
    }
    s = idw_wal_encode(page, &len);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(idw_wal_decode(s, len, &back, &kind2, err, sizeof err) == IDW_OK && kind2 == kind &&
               json_equal(page, back));
    free(s);
    json_decref(back);
    if (kind == IDW_WAL_RULES)
        check_rules(page);
    if (kind != IDW_WAL_PAGE) {
        json_decref(page);
        return 0;
    }
    check_msg_id(page);
    check_split(page, 600);
    check_split(page, 4096);
    json_decref(page);
    return 0;
}
