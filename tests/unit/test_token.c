/*
 * test_token.c — API tokens (serve/token.h) on a temp LMDB: a created
 * token verifies to its name and role, only its SHA-256 is stored, a
 * changed or revoked token does not verify, names are unique and
 * validated, the list never shows a hash; and the role/`by` helpers of
 * principal.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "serve/token.h"

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
    snprintf(f->dir, sizeof f->dir, "/tmp/idw-tok-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(idw_store_open(f->dir, 64, IDW_STORE_NOSYNC, &f->st, f->err, sizeof f->err), IDW_OK);
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

static void test_create_verify_revoke(void **state)
{
    struct fixture *f = *state;
    struct idw_api_principal p;
    char tok[IDW_TOKEN_STRLEN], hash[65], buf[512];
    size_t len;

    assert_int_equal(idw_token_create(f->st, f->txn, "soar", IDW_ROLE_ANALYST, 0, tok, f->err, sizeof f->err),
                     IDW_OK);
    assert_int_equal(strlen(tok), 68);
    assert_memory_equal(tok, "idw_", 4);
    assert_int_equal(idw_token_verify(f->st, f->txn, tok, &p, f->err, sizeof f->err), IDW_OK);
    assert_string_equal(p.name, "soar");
    assert_int_equal(p.role, IDW_ROLE_ANALYST);
    assert_int_equal(p.kind, IDW_PRINCIPAL_TOKEN);
    /* stored under its SHA-256, and the value holds no token */
    idw_sha256_hex(tok, strlen(tok), 32, hash);
    assert_int_equal(idw_store_kv_get(f->st, f->txn, f->st->api_tokens, hash, NULL, NULL, buf, sizeof buf - 1,
                                      &len, f->err, sizeof f->err), IDW_OK);
    buf[len < sizeof buf ? len : sizeof buf - 1] = '\0';
    assert_null(strstr(buf, tok + 4));
    /* one changed digit, a missing prefix, a short token: not found */
    tok[10] = tok[10] == 'a' ? 'b' : 'a';
    assert_int_equal(idw_token_verify(f->st, f->txn, tok, &p, f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(p.role, IDW_ROLE_NONE);
    assert_int_equal(idw_token_verify(f->st, f->txn, tok + 4, &p, f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(idw_token_verify(f->st, f->txn, "idw_00", &p, f->err, sizeof f->err), IDW_NOTFOUND);
    tok[10] = tok[10] == 'a' ? 'b' : 'a';
    assert_int_equal(idw_token_revoke(f->st, f->txn, "soar", f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_token_verify(f->st, f->txn, tok, &p, f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(idw_token_revoke(f->st, f->txn, "soar", f->err, sizeof f->err), IDW_NOTFOUND);
}

static void test_names_and_list(void **state)
{
    struct fixture *f = *state;
    char t1[IDW_TOKEN_STRLEN], t2[IDW_TOKEN_STRLEN];
    json_t *list;
    char *text;

    assert_int_equal(idw_token_create(f->st, f->txn, "zeta", IDW_ROLE_VIEWER, 0, t1, f->err, sizeof f->err),
                     IDW_OK);
    assert_int_equal(idw_token_create(f->st, f->txn, "alpha", IDW_ROLE_ADMIN, 0, t2, f->err, sizeof f->err),
                     IDW_OK);
    assert_string_not_equal(t1, t2);
    assert_int_equal(idw_token_create(f->st, f->txn, "zeta", IDW_ROLE_ADMIN, 0, t1, f->err, sizeof f->err),
                     IDW_EXISTS);
    assert_non_null(strstr(f->err, "already exists"));
    assert_int_equal(idw_token_create(f->st, f->txn, "bad name", IDW_ROLE_ADMIN, 0, t1, f->err,
                                      sizeof f->err), IDW_ERR);
    assert_int_equal(idw_token_create(f->st, f->txn, "", IDW_ROLE_ADMIN, 0, t1, f->err, sizeof f->err),
                     IDW_ERR);
    assert_int_equal(idw_token_list(f->st, f->txn, &list, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "alpha");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "role")), "admin");
    text = json_dumps(list, 0);
    assert_null(strstr(text, "hash"));
    assert_null(strstr(text, t2 + 4));
    free(text);
    json_decref(list);
}

static void test_roles_and_by(void **state)
{
    struct idw_api_principal p = {.name = "soar", .role = IDW_ROLE_ANALYST, .kind = IDW_PRINCIPAL_TOKEN};
    enum idw_role r;
    char by[80];

    (void)state;
    assert_int_equal(idw_role_parse("viewer", &r), IDW_OK);
    assert_int_equal(r, IDW_ROLE_VIEWER);
    assert_int_equal(idw_role_parse("Admin", &r), IDW_ERR);
    assert_int_equal(idw_role_parse("none", &r), IDW_ERR);
    assert_int_equal(idw_role_parse(NULL, &r), IDW_ERR);
    assert_true(IDW_ROLE_VIEWER < IDW_ROLE_ANALYST && IDW_ROLE_ANALYST < IDW_ROLE_ADMIN);
    idw_principal_by(&p, by, sizeof by);
    assert_string_equal(by, "api:soar");
    p.kind = IDW_PRINCIPAL_SESSION;
    idw_principal_by(&p, by, sizeof by);
    assert_string_equal(by, "soar");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_verify_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_list, setup, teardown),
        cmocka_unit_test(test_roles_and_by),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
