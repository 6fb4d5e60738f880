/*
 * test_apply.c — applying a partition's write-ahead log (src/cluster/apply.h)
 * into a scratch LMDB database, without NATS: pages apply in chain order,
 * a page that does not start from its org's cursor is skipped, a sequence
 * at or below applied_seq is a no-op, a malformed message only moves
 * applied_seq — and each message is exactly ONE LMDB write transaction
 * (events, the org's cursor and applied_seq together: LMDB's last
 * transaction id moves by one per message).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/apply.h"
#include "cluster/wal.h"
#include "common/util.h"

struct fixture {
    char dir[64];
    struct idw_config cfg;
    struct idw_store *st;
    struct idw_apply *ap;
    int n;
};

static int setup(void **state)
{
    static struct fixture f;
    char err[256];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-apply-XXXXXX");
    if (!mkdtemp(f.dir) || idw_config_load(NULL, &f.cfg, err, sizeof err) < 0 ||
        idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        idw_apply_open(f.st, &f.cfg, NULL, NULL, 3, &f.ap, err, sizeof err) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_apply_close(f->ap);
    idw_store_close(f->st);
    idw_config_free(&f->cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An encoded page of org with k sign-ins by alice published at `at` onwards, fetched at fetched. */
static char *page_at(struct fixture *f, const char *org, const char *polled, const char *next, int k,
                     int64_t at, int64_t fetched, size_t *len)
{
    json_t *ev = json_array(), *p = NULL;
    char ts[IDW_TIME_STRLEN], uuid[32], err[256], *s;

    for (int i = 0; i < k; i++) {
        idw_time_format(at + ++f->n * 1000, ts);
        snprintf(uuid, sizeof uuid, "apply-%06d", f->n);
        json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:{s:s}}",
                                            "uuid", uuid, "published", ts, "eventType", "user.session.start",
                                            "actor", "id", "00ualice", "type", "User", "alternateId",
                                            "alice@acme.example", "client", "ipAddress", "198.51.100.7",
                                            "outcome", "result", "SUCCESS"));
    }
    assert_int_equal(idw_wal_page(org, polled, next, fetched, 0, NULL, ev, &p, err, sizeof err), 0);
    s = idw_wal_encode(p, len);
    json_decref(p);
    json_decref(ev);
    assert_non_null(s);
    return s;
}

/* An encoded page of org with k sign-ins by alice in the last hour, fetched now. */
static char *page(struct fixture *f, const char *org, const char *polled, const char *next, int k,
                  size_t *len)
{
    return page_at(f, org, polled, next, k, idw_now_ms() - 3600000, idw_now_ms(), len);
}

/* A counter of the org's ingest statistics (meta "ingest_stats"). */
static long long stat_of(struct fixture *f, const char *org, const char *name)
{
    MDB_txn *txn;
    json_t *doc = NULL;
    char err[256];
    long long v;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_meta_get(f->st, txn, "ingest_stats", org, &doc, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    v = (long long)json_integer_value(json_object_get(doc, name));
    json_decref(doc);
    return v;
}

static size_t last_txn(struct fixture *f)
{
    MDB_envinfo info;

    assert_int_equal(mdb_env_info(f->st->env, &info), 0);
    return info.me_last_txnid;
}

/* Applies text at seq; checks the result and that it took `txns` write transactions. */
static void apply(struct fixture *f, uint64_t seq, char *text, size_t len, enum idw_apply_result want,
                  size_t txns)
{
    enum idw_apply_result res;
    char err[256], why[256] = "";
    size_t before = last_txn(f);
    uint64_t applied;

    assert_int_equal(idw_apply_message(f->ap, seq, text, len, &res, why, sizeof why, err, sizeof err), 0);
    free(text);
    assert_int_equal(res, want);
    assert_int_equal(last_txn(f) - before, txns);
    assert_int_equal(idw_apply_seq(f->ap, &applied, err, sizeof err), 0);
    assert_true(applied >= seq);
}

/* The partition's genesis at seq (every stream opens with one). */
static void genesis(struct fixture *f, uint64_t seq)
{
    unsigned char key[32];
    json_t *g;
    size_t len;

    memset(key, 0x5a, sizeof key);
    assert_int_equal(idw_wal_genesis(3, key, &g), IDW_OK);
    char *s = idw_wal_encode(g, &len);
    json_decref(g);
    apply(f, seq, s, len, IDW_APPLY_APPLIED, 1);
}

static void test_chain_skip_and_replay(void **state)
{
    struct fixture *f = *state;
    size_t len;
    char *s;

    genesis(f, 1);
    s = page(f, "acme", "", "c1", 3, &len);
    apply(f, 2, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(idw_apply_events(f->ap), 3);
    /* a page that does not start at acme's cursor (c1): skipped, applied_seq alone moves */
    s = page(f, "acme", "", "c1-again", 5, &len);
    apply(f, 3, s, len, IDW_APPLY_SKIPPED, 1);
    assert_int_equal(idw_apply_events(f->ap), 3);
    /* another org starts from its own empty cursor */
    s = page(f, "beta", "", "b1", 2, &len);
    apply(f, 4, s, len, IDW_APPLY_APPLIED, 1);
    s = page(f, "acme", "c1", "c2", 4, &len);
    apply(f, 5, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(idw_apply_events(f->ap), 9);
    /* replaying an earlier sequence, even a page that would chain: nothing, no transaction */
    s = page(f, "acme", "c2", "c3", 4, &len);
    apply(f, 5, s, len, IDW_APPLY_ALREADY, 0);
    s = strdup("{not json");
    apply(f, 3, s, strlen(s), IDW_APPLY_ALREADY, 0);
    /* malformed: skipped as such, applied_seq moves */
    s = strdup("{not json");
    apply(f, 6, s, strlen(s), IDW_APPLY_MALFORMED, 1);
    assert_int_equal(idw_apply_events(f->ap), 9);
}

/* A version-2 page before the partition's genesis stops the applier: nothing committed. */
static void test_page_before_genesis(void **state)
{
    struct fixture *f = *state;
    enum idw_apply_result res;
    char err[256], why[256];
    uint64_t applied;
    size_t len;
    char *s = page(f, "acme", "", "c1", 2, &len);

    assert_int_equal(idw_apply_message(f->ap, 1, s, len, &res, why, sizeof why, err, sizeof err), IDW_ERR);
    free(s);
    assert_non_null(strstr(err, "before the partition's genesis"));
    assert_int_equal(idw_apply_seq(f->ap, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 0);
}

/*
 * The org's history end is its first applied page's: a later page saying
 * otherwise (a worker that lost its poller's state) does not move it, so
 * events before it stay historical.
 */
static void test_live_from_kept(void **state)
{
    struct fixture *f = *state;
    int64_t live_from = 0, newest = 0;
    char err[256], *cur = NULL, *s;
    size_t len;
    json_t *ev = json_array(), *p = NULL;

    genesis(f, 1);
    assert_int_equal(idw_wal_page("acme", "", "c1", idw_now_ms(), 1234, NULL, ev, &p, err, sizeof err), 0);
    s = idw_wal_encode(p, &len);
    json_decref(p);
    apply(f, 2, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(idw_wal_page("acme", "c1", "c2", idw_now_ms(), 0, NULL, ev, &p, err, sizeof err), 0);
    s = idw_wal_encode(p, &len);
    json_decref(p);
    apply(f, 3, s, len, IDW_APPLY_APPLIED, 1);
    json_decref(ev);
    assert_int_equal(idw_apply_cursor(f->ap, "acme", &cur, &live_from, &newest, err, sizeof err), IDW_OK);
    assert_string_equal(cur, "c2");
    assert_int_equal(live_from, 1234);
    free(cur);
}

/* The genesis message installs the partition's key once; a second one is skipped. */
static void test_genesis(void **state)
{
    struct fixture *f = *state;
    unsigned char key[32], got[32];
    json_t *g;
    char err[256], *s;
    size_t len;
    MDB_txn *txn;

    memset(key, 0xa5, sizeof key);
    assert_int_equal(idw_wal_genesis(3, key, &g), IDW_OK);
    s = idw_wal_encode(g, &len);
    json_decref(g);
    apply(f, 1, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_secret(f->st, txn, "unknown_user_key", got, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_memory_equal(got, key, 32);
    memset(key, 0x11, sizeof key);
    assert_int_equal(idw_wal_genesis(3, key, &g), IDW_OK);
    s = idw_wal_encode(g, &len);
    json_decref(g);
    apply(f, 2, s, len, IDW_APPLY_SKIPPED, 1);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_secret(f->st, txn, "unknown_user_key", got, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_memory_not_equal(got, key, 32);
}

/* The stream's genesis tells a stream created again from the one the database was built from. */
static void test_same_stream(void **state)
{
    struct fixture *f = *state;
    unsigned char key[32];
    json_t *g;
    char err[512], *s;
    size_t len;
    uint64_t at = 99;

    assert_int_equal(idw_apply_genesis_seq(f->ap, &at, err, sizeof err), IDW_OK);
    assert_int_equal(at, 0);
    genesis(f, 2);
    assert_int_equal(idw_apply_genesis_seq(f->ap, &at, err, sizeof err), IDW_OK);
    assert_int_equal(at, 2);
    memset(key, 0x5a, sizeof key);      /* the genesis it applied */
    assert_int_equal(idw_wal_genesis(3, key, &g), IDW_OK);
    s = idw_wal_encode(g, &len);
    json_decref(g);
    assert_int_equal(idw_apply_same_stream(f->ap, s, len, err, sizeof err), IDW_OK);
    free(s);
    memset(key, 0x11, sizeof key);      /* a fresh stream's genesis */
    assert_int_equal(idw_wal_genesis(3, key, &g), IDW_OK);
    s = idw_wal_encode(g, &len);
    json_decref(g);
    assert_int_equal(idw_apply_same_stream(f->ap, s, len, err, sizeof err), IDW_EXISTS);
    assert_non_null(strstr(err, "another key"));
    free(s);
    s = page(f, "acme", "", "c1", 1, &len);     /* something else at that sequence */
    assert_int_equal(idw_apply_same_stream(f->ap, s, len, err, sizeof err), IDW_EXISTS);
    assert_non_null(strstr(err, "not a genesis"));
    free(s);
}

/* A message of a later version, or a command this build cannot apply, stops: nothing committed. */
static void test_future_stops(void **state)
{
    struct fixture *f = *state;
    static const char *const msgs[] = {
        "{\"v\":3,\"type\":\"page\"}",
        "{\"v\":2,\"type\":\"snapshot-marker\"}",
        "{\"v\":2,\"type\":\"command\",\"org\":\"acme\",\"command\":\"rebalance\"}",
    };
    enum idw_apply_result res;
    char err[256], why[256];
    uint64_t applied;

    for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
        err[0] = '\0';
        assert_int_equal(idw_apply_message(f->ap, 1, msgs[i], strlen(msgs[i]), &res, why, sizeof why, err,
                                           sizeof err), IDW_ERR);
        assert_non_null(strstr(err, "partition 3, sequence 1"));
        assert_non_null(strstr(err, "upgrade idwatch"));
        assert_int_equal(idw_apply_seq(f->ap, &applied, err, sizeof err), 0);
        assert_int_equal(applied, 0);
    }
}

/*
 * The future bound is read from the page's fetched_at, not the wall clock:
 * events an hour after a fetch two days ago are FUTURE however late the
 * page is applied; the same events in a page fetched now are accepted.
 */
static void test_recorded_clock(void **state)
{
    struct fixture *f = *state;
    int64_t now = idw_now_ms(), then = now - 2 * 86400000LL;
    size_t len;
    char *s;

    genesis(f, 1);
    s = page_at(f, "acme", "", "c1", 3, then + 3600000, then, &len);
    apply(f, 2, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(stat_of(f, "acme", "future"), 3);
    assert_int_equal(stat_of(f, "acme", "accepted"), 0);
    s = page_at(f, "acme", "c1", "c2", 3, then + 3600000, now, &len);
    apply(f, 3, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(stat_of(f, "acme", "accepted"), 3);
}

/* With the partitioning set, a page of an org placed in another partition is skipped. */
static void test_wrong_partition(void **state)
{
    struct fixture *f = *state;
    struct idw_partitioning pt = {.partitions = 8};
    char *s;
    size_t len;

    /* find an org that hashes to partition 3 and one that does not */
    char in3[32] = "", out3[32] = "";
    for (int i = 0; i < 1000 && (!in3[0] || !out3[0]); i++) {
        char name[32];
        snprintf(name, sizeof name, "org%d", i);
        if (idw_partition_of(&pt, name) == 3 && !in3[0])
            snprintf(in3, sizeof in3, "%s", name);
        else if (idw_partition_of(&pt, name) != 3 && !out3[0])
            snprintf(out3, sizeof out3, "%s", name);
    }
    idw_apply_set_partitioning(f->ap, &pt);
    genesis(f, 1);
    s = page(f, out3, "", "c1", 2, &len);
    apply(f, 2, s, len, IDW_APPLY_SKIPPED, 1);
    s = page(f, in3, "", "c1", 2, &len);
    apply(f, 3, s, len, IDW_APPLY_APPLIED, 1);
    idw_apply_set_partitioning(f->ap, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_skip_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_genesis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_before_genesis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_from_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorded_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_partition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
