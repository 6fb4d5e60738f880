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

/* An encoded page of org with k sign-ins by alice, polled at polled, pointing to next. */
static char *page(struct fixture *f, const char *org, const char *polled, const char *next, int k,
                  size_t *len)
{
    json_t *ev = json_array(), *p = NULL;
    char ts[IDW_TIME_STRLEN], uuid[32], err[256], *s;

    for (int i = 0; i < k; i++) {
        idw_time_format(idw_now_ms() - 3600000 + ++f->n * 1000, ts);
        snprintf(uuid, sizeof uuid, "apply-%06d", f->n);
        json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:{s:s}}",
                                            "uuid", uuid, "published", ts, "eventType", "user.session.start",
                                            "actor", "id", "00ualice", "type", "User", "alternateId",
                                            "alice@acme.example", "client", "ipAddress", "198.51.100.7",
                                            "outcome", "result", "SUCCESS"));
    }
    assert_int_equal(idw_wal_page(org, polled, next, 1, ev, &p, err, sizeof err), 0);
    s = idw_wal_encode(p, len);
    json_decref(p);
    json_decref(ev);
    assert_non_null(s);
    return s;
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

static void test_chain_skip_and_replay(void **state)
{
    struct fixture *f = *state;
    size_t len;
    char *s;

    /* the database's first page also opens a pipeline, which creates the database's
       unknown-user key in a transaction of its own before any event: 2 */
    s = page(f, "acme", "", "c1", 3, &len);
    apply(f, 1, s, len, IDW_APPLY_APPLIED, 2);
    assert_int_equal(idw_apply_events(f->ap), 3);
    /* a page that does not start at acme's cursor (c1): skipped, applied_seq alone moves */
    s = page(f, "acme", "", "c1-again", 5, &len);
    apply(f, 2, s, len, IDW_APPLY_SKIPPED, 1);
    assert_int_equal(idw_apply_events(f->ap), 3);
    /* another org starts from its own empty cursor */
    s = page(f, "beta", "", "b1", 2, &len);
    apply(f, 3, s, len, IDW_APPLY_APPLIED, 1);     /* the key exists now: nothing to write */
    s = page(f, "acme", "c1", "c2", 4, &len);
    apply(f, 4, s, len, IDW_APPLY_APPLIED, 1);
    assert_int_equal(idw_apply_events(f->ap), 9);
    /* replaying an earlier sequence, even a page that would chain: nothing, no transaction */
    s = page(f, "acme", "c2", "c3", 4, &len);
    apply(f, 4, s, len, IDW_APPLY_ALREADY, 0);
    s = strdup("{not json");
    apply(f, 2, s, strlen(s), IDW_APPLY_ALREADY, 0);
    /* malformed: skipped as such, applied_seq moves */
    s = strdup("{not json");
    apply(f, 5, s, strlen(s), IDW_APPLY_MALFORMED, 1);
    assert_int_equal(idw_apply_events(f->ap), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_skip_and_replay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
