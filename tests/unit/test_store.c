/*
 * test_store.c — the store's return convention (store.h, common/rc.h):
 * every getter tells "absent" (IDW_NOTFOUND) from "cannot be read"
 * (IDW_ERR: an over-long key, a corrupt record, an LMDB failure), and the
 * counters built on them never move on a read error.  The records are
 * damaged by writing raw bytes under the store's own keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rc.h"
#include "store/store.h"

struct fixture {
    char dir[32];
    struct idw_store *st;
    MDB_txn *txn;           /* a write transaction, aborted at teardown */
    char err[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/idw-rc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(idw_store_open(f->dir, 64, 0, &f->st, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 0, &f->txn, f->err, sizeof f->err), IDW_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char rm[64];

    if (f->txn)
        mdb_txn_abort(f->txn);
    idw_store_close(f->st);
    snprintf(rm, sizeof rm, "rm -rf %s", f->dir);
    assert_int_equal(system(rm), 0);
    free(f);
    return 0;
}

/* Raw bytes under rule_state's (a, b, c) key, bypassing the typed setters. */
static void put_raw(struct fixture *f, const char *a, const char *b, const char *c,
                    const void *bytes, size_t n)
{
    assert_int_equal(idw_store_kv_put(f->st, f->txn, f->st->rule_state, a, b, c, bytes, n,
                                       f->err, sizeof f->err), IDW_OK);
}

/* A key part longer than any key LMDB can hold. */
static const char *long_part(void)
{
    static char s[600];
    memset(s, 'x', sizeof s - 1);
    return s;
}

static void test_kv_get_absent_vs_error(void **state)
{
    struct fixture *f = *state;
    unsigned char buf[8] = {0xee};
    size_t len = 99;

    assert_int_equal(idw_store_kv_get(f->st, f->txn, f->st->rule_state, "r", "d", "k", buf, sizeof buf,
                                      &len, f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(len, 0);
    put_raw(f, "r", "d", "k", "0123456789", 10);
    assert_int_equal(idw_store_kv_get(f->st, f->txn, f->st->rule_state, "r", "d", "k", buf, sizeof buf,
                                      &len, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(len, 10);                      /* the stored length, beyond cap */
    assert_memory_equal(buf, "01234567", 8);
    /* a key that cannot exist is an error, not "absent": a caller could not store it either */
    f->err[0] = '\0';
    assert_int_equal(idw_store_kv_get(f->st, f->txn, f->st->rule_state, "r", "d", long_part(), buf,
                                      sizeof buf, &len, f->err, sizeof f->err), IDW_ERR);
    assert_int_equal(len, 0);
    assert_non_null(strstr(f->err, "key too long"));
}

static void test_kv_json_absent_vs_corrupt(void **state)
{
    struct fixture *f = *state;
    json_t *doc = (json_t *)1;

    assert_int_equal(idw_store_kv_json(f->st, f->txn, f->st->rule_state, "r", "d", "doc", &doc,
                                       f->err, sizeof f->err), IDW_NOTFOUND);
    assert_null(doc);
    put_raw(f, "r", "d", "doc", "{\"version\": 3", 13);          /* torn */
    doc = (json_t *)1;
    f->err[0] = '\0';
    assert_int_equal(idw_store_kv_json(f->st, f->txn, f->st->rule_state, "r", "d", "doc", &doc,
                                       f->err, sizeof f->err), IDW_ERR);
    assert_null(doc);
    assert_non_null(strstr(f->err, "corrupt"));
    put_raw(f, "r", "d", "doc", "{\"version\": 3}", 14);
    assert_int_equal(idw_store_kv_json(f->st, f->txn, f->st->rule_state, "r", "d", "doc", &doc,
                                       f->err, sizeof f->err), IDW_OK);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 3);
    json_decref(doc);
    assert_int_equal(idw_store_kv_json(f->st, f->txn, f->st->rule_state, "r", long_part(), NULL, &doc,
                                       f->err, sizeof f->err), IDW_ERR);
}

static void test_meta_get_absent_vs_corrupt(void **state)
{
    struct fixture *f = *state;
    static const char key[] = "ingest_stats\0acme";
    MDB_val k = {sizeof key, (void *)key}, v = {3, (void *)"{\"a"};
    json_t *doc = (json_t *)1;

    assert_int_equal(idw_store_meta_get(f->st, f->txn, "ingest_stats", "acme", &doc, f->err,
                                        sizeof f->err), IDW_NOTFOUND);
    assert_null(doc);
    assert_int_equal(mdb_put(f->txn, f->st->meta, &k, &v, 0), 0);
    assert_int_equal(idw_store_meta_get(f->st, f->txn, "ingest_stats", "acme", &doc, f->err,
                                        sizeof f->err), IDW_ERR);
    assert_null(doc);
    assert_non_null(strstr(f->err, "acme"));
}

static void test_org_counter(void **state)
{
    struct fixture *f = *state;
    uint32_t n = 7;

    assert_int_equal(idw_store_org_get(f->st, f->txn, "acme", "users", &n, f->err, sizeof f->err),
                     IDW_NOTFOUND);
    assert_int_equal(n, 0);
    assert_int_equal(idw_store_org_add(f->st, f->txn, "acme", "users", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_org_add(f->st, f->txn, "acme", "users", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_org_get(f->st, f->txn, "acme", "users", &n, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(n, 2);
    /* a record of the wrong size is corrupt: neither read as 0 nor rewritten as 1 */
    put_raw(f, "_org", "acme", "users", "\x05", 1);
    assert_int_equal(idw_store_org_get(f->st, f->txn, "acme", "users", &n, f->err, sizeof f->err), IDW_ERR);
    assert_int_equal(n, 0);
    assert_int_equal(idw_store_org_add(f->st, f->txn, "acme", "users", f->err, sizeof f->err), IDW_ERR);
    assert_non_null(strstr(f->err, "corrupt"));
    assert_int_equal(idw_store_org_get(f->st, f->txn, "acme", "users", &n, f->err, sizeof f->err), IDW_ERR);
}

static void test_persona_generation(void **state)
{
    struct fixture *f = *state;
    uint64_t g = 42;

    assert_int_equal(idw_store_persona_generation(f->st, f->txn, "acme", &g, f->err, sizeof f->err),
                     IDW_NOTFOUND);
    assert_int_equal(g, 0);
    assert_int_equal(idw_store_persona_bump(f->st, f->txn, "acme", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_persona_bump(f->st, f->txn, "acme", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_persona_generation(f->st, f->txn, "acme", &g, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(g, 2);
}

/* A generation that cannot be read is never bumped to 0 + 1: the counter would move backwards. */
static void test_persona_bump_never_backwards(void **state)
{
    struct fixture *f = *state;
    uint64_t g;
    size_t len;
    unsigned char raw[8];

    put_raw(f, "_feedback", "acme", "generation", "\x09\x00\x00", 3);     /* damaged */
    assert_int_equal(idw_store_persona_generation(f->st, f->txn, "acme", &g, f->err, sizeof f->err),
                     IDW_ERR);
    assert_int_equal(g, 0);
    f->err[0] = '\0';
    assert_int_equal(idw_store_persona_bump(f->st, f->txn, "acme", f->err, sizeof f->err), IDW_ERR);
    assert_non_null(strstr(f->err, "generation"));
    /* the damaged record is left for an operator to see, not overwritten with 1 */
    assert_int_equal(idw_store_kv_get(f->st, f->txn, f->st->rule_state, "_feedback", "acme", "generation",
                                      raw, sizeof raw, &len, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(len, 3);
}

/* A write in a read-only transaction fails as an error, whatever the getter said before. */
static void test_bump_in_read_only_txn(void **state)
{
    struct fixture *f = *state;
    MDB_txn *ro;
    uint64_t g;

    assert_int_equal(idw_store_persona_bump(f->st, f->txn, "acme", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_commit(f->txn, f->err, sizeof f->err), IDW_OK);
    f->txn = NULL;
    assert_int_equal(idw_store_begin(f->st, 1, &ro, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_persona_bump(f->st, ro, "acme", f->err, sizeof f->err), IDW_ERR);
    assert_int_equal(idw_store_persona_generation(f->st, ro, "acme", &g, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(g, 1);
    mdb_txn_abort(ro);
}

static void test_seen_and_domains(void **state)
{
    struct fixture *f = *state;
    json_t *domains = NULL;
    static struct idw_persona p;

    assert_int_equal(idw_store_seen_add(f->st, f->txn, "acme", "u1", 1, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_seen_add(f->st, f->txn, "acme", "u1", 1, f->err, sizeof f->err), IDW_EXISTS);
    idw_persona_init(&p, "11111111-1111-4111-8111-111111111111");
    assert_int_equal(idw_store_persona_put(f->st, f->txn, "acme", &p, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_persona_put(f->st, f->txn, "beta", &p, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_domains(f->st, f->txn, &domains, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(json_array_size(domains), 2);
    assert_string_equal(json_string_value(json_array_get(domains, 0)), "acme");
    assert_string_equal(json_string_value(json_array_get(domains, 1)), "beta");
    json_decref(domains);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kv_get_absent_vs_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv_json_absent_vs_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_get_absent_vs_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persona_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persona_bump_never_backwards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bump_in_read_only_txn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seen_and_domains, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
