/*
 * test_mirror.c — the alerts stream's mirror (src/cluster/mirror.h) on a
 * temporary LMDB, without NATS: a version is written only when newer than
 * the stored one (an older or equal copy changes nothing), alerts and
 * incidents land in their own tables under (org, id) where the console
 * reads them (idw_alert_get, idw_incident_find), and the position reads 0
 * before anything was taken and refuses a damaged record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/incident.h"
#include "cluster/alertstream.h"
#include "cluster/mirror.h"

#define AID "0e2b7d6c-1111-4222-8333-944455556666"
#define IID "7f00aa11-2222-4333-8444-955566667777"

struct fixture {
    char dir[64];
    struct idw_store *st;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/idw-test-mirror-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(idw_store_open(f->dir, 64, IDW_STORE_NOSYNC, &f->st, err, sizeof err), IDW_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* The envelope of an alert (or incident) version, through the stream's own codec. */
static json_t *envelope(int incident, int version, const char *status)
{
    json_t *p = incident ? json_pack("{s:s, s:s, s:s, s:i, s:s}", "type", "incident", "incident_id", IID,
                                     "domain_id", "acme", "version", version, "status", status)
                         : json_pack("{s:s, s:s, s:i, s:s}", "alert_id", AID, "domain_id", "acme", "version",
                                     version, "status", status);
    json_t *env = NULL;
    char err[256];

    assert_non_null(p);
    assert_int_equal(idw_alertstream_envelope(p, &env, err, sizeof err), IDW_OK);
    json_decref(p);
    return env;
}

/* Puts one version in its own transaction; returns *written. */
static int put(struct fixture *f, int incident, int version, const char *status)
{
    json_t *env = envelope(incident, version, status);
    MDB_txn *txn;
    char err[256];
    int written = -1;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_mirror_put(f->st, txn, env, &written, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    json_decref(env);
    return written;
}

static void stored(struct fixture *f, int incident, int64_t *version, char *status, size_t len)
{
    MDB_txn *txn;
    json_t *doc = NULL;
    char err[256];

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    if (incident)
        assert_int_equal(idw_incident_find(f->st, txn, IID, &doc, err, sizeof err), IDW_OK);
    else
        assert_int_equal(idw_alert_get(f->st, txn, "acme", AID, &doc, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    *version = json_integer_value(json_object_get(doc, "version"));
    snprintf(status, len, "%s", json_string_value(json_object_get(doc, "status")));
    json_decref(doc);
}

static void test_newer_only(void **state)
{
    struct fixture *f = *state;
    char status[32];
    int64_t v;

    assert_int_equal(put(f, 0, 2, "acknowledged"), 1);
    assert_int_equal(put(f, 0, 1, "open"), 0);             /* older: a replay by another owner */
    assert_int_equal(put(f, 0, 2, "open"), 0);             /* the same version again */
    stored(f, 0, &v, status, sizeof status);
    assert_int_equal(v, 2);
    assert_string_equal(status, "acknowledged");
    assert_int_equal(put(f, 0, 3, "resolved"), 1);
    stored(f, 0, &v, status, sizeof status);
    assert_int_equal(v, 3);
    assert_string_equal(status, "resolved");
}

static void test_incident_table(void **state)
{
    struct fixture *f = *state;
    char status[32];
    int64_t v;
    MDB_txn *txn;
    json_t *doc = NULL;
    char err[256];

    assert_int_equal(put(f, 1, 4, "open"), 1);
    assert_int_equal(put(f, 1, 3, "resolved"), 0);
    stored(f, 1, &v, status, sizeof status);
    assert_int_equal(v, 4);
    assert_string_equal(status, "open");
    /* not in the alerts table: the alert queue never shows an incident */
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alert_get(f->st, txn, "acme", IID, &doc, err, sizeof err), IDW_NOTFOUND);
    mdb_txn_abort(txn);
}

static void test_position(void **state)
{
    struct fixture *f = *state;
    MDB_txn *txn;
    uint64_t seq = 99;
    json_t *bad = json_pack("{s:s}", "seq", "twelve");
    char err[256];

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_mirror_position(f->st, txn, &seq, err, sizeof err), IDW_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(idw_store_meta_put(f->st, txn, IDW_MIRROR_META, IDW_ALERTS_STREAM, bad, err, sizeof err),
                     IDW_OK);
    assert_int_equal(idw_mirror_position(f->st, txn, &seq, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "damaged"));
    mdb_txn_abort(txn);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_newer_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incident_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_position, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
