/*
 * test_outbox.c — the webhook outbox (deliver/outbox.h) on a temp LMDB:
 * entries queued per target in order, a damaged entry read as an error
 * naming it (never as absent, which would let a retry or a delivery pass
 * skip it silently), and a walk whose callback fails reported as failed
 * (never as a walk that saw everything).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    struct idw_store *st;
};

static int setup(void **state)
{
    static struct fixture f;
    char err[512];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-outbox-XXXXXX");
    if (!mkdtemp(f.dir) || idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *alert_doc(const char *id, int version, const char *severity)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "alert_id", id, "version", version, "rule", "probe",
                     "severity", severity, "domain_id", "acme", "historical", 0);
}

/* Queues one alert for two targets in txn; returns the number queued. */
static size_t queue(struct fixture *f, MDB_txn *txn, const char *id, const char *severity)
{
    static const struct idw_outbox_target t[] = {
        {.name = "all", .min_severity = IDW_SEV_LOW, .deliver_historical = 1},
        {.name = "high", .min_severity = IDW_SEV_HIGH, .deliver_historical = 1},
    };
    json_t *a = alert_doc(id, 1, severity);
    char err[256];
    size_t n = 99;

    assert_int_equal(idw_outbox_enqueue(f->st, txn, "acme", a, t, 2, &n, err, sizeof err), IDW_OK);
    json_decref(a);
    return n;
}

static void test_enqueue_filters_and_numbers(void **state)
{
    struct fixture *f = *state;
    MDB_txn *txn;
    json_t *e = NULL;
    char err[256];

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(queue(f, txn, "a-1", "medium"), 1);      /* below "high"'s filter */
    assert_int_equal(queue(f, txn, "a-2", "critical"), 2);
    assert_int_equal(idw_outbox_get(f->st, txn, 3, &e, err, sizeof err), IDW_OK);
    assert_string_equal(json_string_value(json_object_get(e, "alert_id")), "a-2");
    assert_string_equal(json_string_value(json_object_get(e, "target")), "high");
    json_decref(e);
    assert_int_equal(idw_outbox_get(f->st, txn, 4, &e, err, sizeof err), IDW_NOTFOUND);
    assert_null(e);
    assert_int_equal(idw_outbox_delete(f->st, txn, 3, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_get(f->st, txn, 3, &e, err, sizeof err), IDW_NOTFOUND);
    mdb_txn_abort(txn);
}

/* A stored entry that is not JSON is an error naming its seq and byte, not an absent entry. */
static void test_damaged_entry_is_an_error(void **state)
{
    struct fixture *f = *state;
    unsigned char key[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    MDB_val k = {.mv_size = 8, .mv_data = key}, v = {.mv_size = 9, .mv_data = "{\"seq\": ?"};
    MDB_txn *txn;
    json_t *e = (json_t *)1;
    char err[256] = "";

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(mdb_put(txn, f->st->outbox, &k, &v, 0), 0);
    assert_int_equal(idw_outbox_get(f->st, txn, 7, &e, err, sizeof err), IDW_ERR);
    assert_null(e);
    assert_non_null(strstr(err, "outbox entry 7: byte 9 of 9: invalid token"));
    mdb_txn_abort(txn);
}

static int fail_at_second(uint64_t seq, json_t *entry, void *ctx)
{
    unsigned *seen = ctx;

    (void)seq;
    (void)entry;
    return ++*seen == 2 ? -1 : 0;
}

static int stop_at_first(uint64_t seq, json_t *entry, void *ctx)
{
    unsigned *seen = ctx;

    (void)seq;
    (void)entry;
    ++*seen;
    return 1;
}

/* A callback's failure fails the walk and names the entry; a callback's stop does not. */
static void test_walk_reports_a_failed_callback(void **state)
{
    struct fixture *f = *state;
    MDB_txn *txn;
    char err[256] = "";
    unsigned seen = 0;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(queue(f, txn, "a-1", "critical"), 2);
    assert_int_equal(queue(f, txn, "a-2", "critical"), 2);
    assert_int_equal(idw_outbox_each(f->st, txn, fail_at_second, &seen, err, sizeof err), IDW_ERR);
    assert_int_equal(seen, 2);
    assert_non_null(strstr(err, "entry 2"));
    seen = 0;
    assert_int_equal(idw_outbox_each(f->st, txn, stop_at_first, &seen, err, sizeof err), IDW_OK);
    assert_int_equal(seen, 1);
    mdb_txn_abort(txn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_filters_and_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entry_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_reports_a_failed_callback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
