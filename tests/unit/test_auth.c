/*
 * test_auth.c — console users and sessions (serve/user.h, serve/session.h):
 * the stored hash's format and salt, verification right and wrong (and
 * of a damaged hash), the dummy scrypt an unknown name costs, a
 * disabled user refused, sessions ending on idle and absolute timeouts
 * with an injected clock, the oldest session evicted from a full table,
 * the login limiter per name and per address, and the serve.* session
 * settings refused with the key named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/session.h"
#include "serve/user.h"
#include "store/store.h"

#define PW "correct horse battery"

/* ---- password hashes ---------------------------------------------------------------- */

static void test_hash_format_and_salt(void **state)
{
    char a[IDW_PASSWORD_HASH_MAX], b[IDW_PASSWORD_HASH_MAX], err[256];
    const char *salt, *key;

    (void)state;
    assert_int_equal(idw_password_hash(PW, a, err, sizeof err), IDW_OK);
    assert_int_equal(idw_password_hash(PW, b, err, sizeof err), IDW_OK);
    assert_memory_equal(a, "scrypt$15$8$1$", 14);
    salt = a + 14;
    key = strchr(salt, '$');
    assert_non_null(key);
    assert_int_equal(key - salt, 24);           /* 16 bytes of base64 */
    assert_int_equal(strlen(key + 1), 44);      /* 32 bytes of base64 */
    assert_null(strstr(a, PW));
    assert_string_not_equal(a, b);              /* a fresh salt each time */
}

static void test_verify_right_wrong_damaged(void **state)
{
    char h[IDW_PASSWORD_HASH_MAX], bad[IDW_PASSWORD_HASH_MAX], err[256];

    (void)state;
    assert_int_equal(idw_password_hash(PW, h, err, sizeof err), IDW_OK);
    assert_true(idw_password_verify(PW, h));
    assert_false(idw_password_verify("correct horse battery!", h));
    assert_false(idw_password_verify("", h));
    snprintf(bad, sizeof bad, "%s", h);
    bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';    /* another key */
    assert_false(idw_password_verify(PW, bad));
    snprintf(bad, sizeof bad, "scrypt$30$8$1$%s", h + 14);             /* an absurd cost: refused unrun */
    unsigned long before = idw_password_kdf_runs();
    assert_false(idw_password_verify(PW, bad));
    assert_int_equal(idw_password_kdf_runs(), before);
    assert_false(idw_password_verify(PW, "scrypt$15$8$1$nope"));
    assert_false(idw_password_verify(PW, NULL));
}

static void test_password_rules(void **state)
{
    char err[256];

    (void)state;
    assert_int_equal(idw_password_check("elevenchars", err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "12"));
    assert_int_equal(idw_password_check("twelve chars", err, sizeof err), IDW_OK);
    assert_int_equal(idw_password_check("tab\there-and-more", err, sizeof err), IDW_ERR);
}

/* ---- users in a store ---------------------------------------------------------------- */

struct fixture {
    char dir[64];
    struct idw_store *st;
};

static int setup(void **state)
{
    static struct fixture f;
    char err[512];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-auth-XXXXXX");
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

static void test_login_paths_cost_one_scrypt(void **state)
{
    struct fixture *f = *state;
    struct idw_user u;
    MDB_txn *txn;
    char err[256];
    unsigned long before;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_user_add(f->st, txn, "ann", IDW_ROLE_ANALYST, PW, 0, err, sizeof err), IDW_OK);
    assert_int_equal(idw_user_add(f->st, txn, "ann", IDW_ROLE_VIEWER, PW, 0, err, sizeof err), IDW_EXISTS);
    assert_int_equal(idw_user_add(f->st, txn, "bob", IDW_ROLE_VIEWER, "short", 0, err, sizeof err), IDW_ERR);

    before = idw_password_kdf_runs();
    assert_int_equal(idw_user_login(f->st, txn, "ann", PW, &u, err, sizeof err), IDW_OK);
    assert_string_equal(u.name, "ann");
    assert_int_equal(u.role, IDW_ROLE_ANALYST);
    assert_int_equal(idw_password_kdf_runs() - before, 1);

    before = idw_password_kdf_runs();
    assert_int_equal(idw_user_login(f->st, txn, "nobody", PW, &u, err, sizeof err), IDW_NOTFOUND);
    assert_string_equal(err, "no such user");
    assert_int_equal(idw_password_kdf_runs() - before, 1);     /* the dummy: same cost as a real check */

    before = idw_password_kdf_runs();
    assert_int_equal(idw_user_login(f->st, txn, "bad name!", PW, &u, err, sizeof err), IDW_NOTFOUND);
    assert_int_equal(idw_password_kdf_runs() - before, 1);

    assert_int_equal(idw_user_login(f->st, txn, "ann", "wrong password!", &u, err, sizeof err), IDW_NOTFOUND);
    assert_string_equal(err, "wrong password");

    assert_int_equal(idw_user_get(f->st, txn, "ann", &u, err, sizeof err), IDW_OK);
    int64_t gen = u.gen;
    assert_int_equal(idw_user_set_disabled(f->st, txn, "ann", 1, err, sizeof err), IDW_OK);
    assert_int_equal(idw_user_login(f->st, txn, "ann", PW, &u, err, sizeof err), IDW_NOTFOUND);
    assert_string_equal(err, "user disabled");
    assert_int_equal(idw_user_get(f->st, txn, "ann", &u, err, sizeof err), IDW_OK);
    assert_true(u.disabled);
    assert_int_equal(u.gen, gen + 1);           /* sessions made before are dead */
    assert_int_equal(idw_user_remove(f->st, txn, "ann", err, sizeof err), IDW_OK);
    assert_int_equal(idw_user_remove(f->st, txn, "ann", err, sizeof err), IDW_NOTFOUND);
    mdb_txn_abort(txn);
}

/* ---- sessions with an injected clock -------------------------------------------------- */

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

#define MIN (60 * 1000LL)

static struct idw_sessions *table(int idle_min, int max_h)
{
    struct idw_session_opts o;
    char err[256];

    assert_int_equal(idw_session_config(NULL, &o, err, sizeof err), IDW_OK);
    assert_int_equal(o.idle_minutes, 30);
    assert_int_equal(o.max_hours, 12);
    o.idle_minutes = idle_min;
    o.max_hours = max_h;
    fake_now = 1000000;
    return idw_sessions_new(&o, fake_clock);
}

static void test_session_idle_timeout(void **state)
{
    struct idw_sessions *s = table(30, 12);
    char id[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];
    struct idw_session_info in;

    (void)state;
    assert_int_equal(idw_session_create(s, "ann", 7, id, csrf), IDW_OK);
    assert_int_equal(strlen(id), 64);
    assert_string_not_equal(id, csrf);
    fake_now += 29 * MIN;
    assert_int_equal(idw_session_lookup(s, id, 1, &in), IDW_OK);       /* activity restarts the idle clock */
    assert_string_equal(in.user, "ann");
    assert_int_equal(in.gen, 7);
    assert_string_equal(in.csrf, csrf);
    fake_now += 29 * MIN;
    assert_int_equal(idw_session_lookup(s, id, 0, &in), IDW_OK);       /* no touch this time */
    fake_now += 1 * MIN;
    assert_int_equal(idw_session_lookup(s, id, 1, &in), IDW_NOTFOUND); /* 30 idle minutes */
    assert_int_equal(idw_session_count(s), 0);
    assert_int_equal(idw_session_lookup(s, "nothex", 1, &in), IDW_NOTFOUND);
    idw_sessions_free(s);
}

static void test_session_absolute_timeout_and_logout(void **state)
{
    struct idw_sessions *s = table(30, 12);
    char id[IDW_SESSION_HEX], id2[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];
    struct idw_session_info in;

    (void)state;
    assert_int_equal(idw_session_create(s, "ann", 1, id, csrf), IDW_OK);
    for (int i = 0; i < 12 * 4 - 1; i++) {      /* busy every 15 minutes for 11 h 45 */
        fake_now += 15 * MIN;
        assert_int_equal(idw_session_lookup(s, id, 1, &in), IDW_OK);
    }
    fake_now += 15 * MIN;
    assert_int_equal(idw_session_lookup(s, id, 1, &in), IDW_NOTFOUND);  /* 12 h after the login */

    assert_int_equal(idw_session_create(s, "bob", 1, id2, csrf), IDW_OK);
    idw_session_end(s, id2);
    assert_int_equal(idw_session_lookup(s, id2, 1, &in), IDW_NOTFOUND);
    idw_sessions_free(s);
}

static void test_session_table_evicts_oldest(void **state)
{
    struct idw_sessions *s = table(30, 12);
    char first[IDW_SESSION_HEX], second[IDW_SESSION_HEX], id[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];
    struct idw_session_info in;

    (void)state;
    assert_int_equal(idw_session_create(s, "u0", 1, first, csrf), IDW_OK);
    fake_now++;
    assert_int_equal(idw_session_create(s, "u1", 1, second, csrf), IDW_OK);
    for (int i = 2; i < IDW_SESSIONS_MAX; i++) {
        char user[16];
        snprintf(user, sizeof user, "u%d", i);
        fake_now++;
        assert_int_equal(idw_session_create(s, user, 1, id, csrf), IDW_OK);
    }
    assert_int_equal(idw_session_count(s), IDW_SESSIONS_MAX);
    assert_int_equal(idw_session_lookup(s, first, 0, &in), IDW_OK);
    fake_now++;
    assert_int_equal(idw_session_create(s, "new", 1, id, csrf), IDW_OK);
    assert_int_equal(idw_session_count(s), IDW_SESSIONS_MAX);
    assert_int_equal(idw_session_lookup(s, first, 0, &in), IDW_NOTFOUND);  /* the oldest went */
    assert_int_equal(idw_session_lookup(s, second, 0, &in), IDW_OK);
    assert_int_equal(idw_session_lookup(s, id, 0, &in), IDW_OK);
    idw_sessions_free(s);
}

/* One account logging in again and again ends only its own oldest sessions, never another user's. */
static void test_sessions_per_user(void **state)
{
    struct idw_sessions *s = table(30, 12);
    char admin[IDW_SESSION_HEX], first[IDW_SESSION_HEX], id[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];
    struct idw_session_info in;

    (void)state;
    assert_int_equal(idw_session_create(s, "admin", 1, admin, csrf), IDW_OK);
    fake_now++;
    assert_int_equal(idw_session_create(s, "viewer", 1, first, csrf), IDW_OK);
    for (int i = 0; i < 3 * IDW_SESSIONS_MAX; i++) {
        fake_now++;
        assert_int_equal(idw_session_create(s, "viewer", 1, id, csrf), IDW_OK);
    }
    assert_int_equal(idw_session_count(s), 1 + IDW_SESSIONS_PER_USER);
    assert_int_equal(idw_session_lookup(s, admin, 0, &in), IDW_OK);
    assert_int_equal(idw_session_lookup(s, first, 0, &in), IDW_NOTFOUND);  /* the viewer's oldest went */
    assert_int_equal(idw_session_lookup(s, id, 0, &in), IDW_OK);
    idw_sessions_free(s);
}

static void test_limiter(void **state)
{
    struct idw_sessions *s = table(30, 12);
    char name[32];

    (void)state;
    for (int i = 0; i < IDW_LOGIN_USER_FAILS; i++) {
        assert_int_equal(idw_login_blocked(s, "ann", "192.0.2.1"), 0);
        idw_login_failed(s, "ann", "192.0.2.1");
    }
    assert_int_equal(idw_login_blocked(s, "ann", "192.0.2.1"), 15 * 60);
    assert_int_equal(idw_login_blocked(s, "ann", "192.0.2.99"), 15 * 60);     /* per name, any address */
    assert_int_equal(idw_login_blocked(s, "bob", "192.0.2.1"), 0);            /* 5 < 20 for the address */
    fake_now += 10 * MIN;
    assert_int_equal(idw_login_blocked(s, "ann", "192.0.2.1"), 5 * 60);
    fake_now += 5 * MIN;
    assert_int_equal(idw_login_blocked(s, "ann", "192.0.2.1"), 0);            /* the window is over */

    /* a success clears the name's count */
    for (int i = 0; i < IDW_LOGIN_USER_FAILS - 1; i++)
        idw_login_failed(s, "cat", "198.51.100.1");
    idw_login_succeeded(s, "cat");
    idw_login_failed(s, "cat", "198.51.100.1");
    assert_int_equal(idw_login_blocked(s, "cat", "198.51.100.1"), 0);

    /* twenty failures from one address, each for another name, block the address */
    for (int i = 0; i < IDW_LOGIN_ADDR_FAILS - 5; i++) {
        snprintf(name, sizeof name, "spray%d", i);
        idw_login_failed(s, name, "203.0.113.9");
    }
    assert_int_equal(idw_login_blocked(s, "zed", "203.0.113.9"), 0);
    for (int i = 0; i < 5; i++)
        idw_login_failed(s, "other", "203.0.113.9");
    assert_true(idw_login_blocked(s, "zed", "203.0.113.9") > 0);
    assert_int_equal(idw_login_blocked(s, "zed", "203.0.113.10"), 0);
    idw_sessions_free(s);
}

static void test_session_config(void **state)
{
    struct idw_session_opts o;
    char err[256];
    json_t *j;

    (void)state;
    j = json_loads("{\"session_idle_minutes\": 0}", 0, NULL);
    assert_int_equal(idw_session_config(j, &o, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "serve.session_idle_minutes"));
    json_decref(j);
    j = json_loads("{\"proxy_user_header\": \"X-Forwarded-User\"}", 0, NULL);
    assert_int_equal(idw_session_config(j, &o, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "serve.trusted_proxies"));
    json_decref(j);
    j = json_loads("{\"proxy_user_header\": \"X-User\", \"trusted_proxies\": [\"10.0.0.1\", \"proxy.lan\"]}", 0,
                   NULL);
    assert_int_equal(idw_session_config(j, &o, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "serve.trusted_proxies[1]"));
    json_decref(j);
    j = json_loads("{\"proxy_user_header\": \"X-User\", \"trusted_proxies\": [\"10.0.0.1\", \"::1\"],"
                   " \"session_max_hours\": 8}", 0, NULL);
    assert_int_equal(idw_session_config(j, &o, err, sizeof err), IDW_OK);
    assert_int_equal(o.n_trusted, 2);
    assert_int_equal(o.max_hours, 8);
    assert_string_equal(o.proxy_header, "X-User");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_format_and_salt),
        cmocka_unit_test(test_verify_right_wrong_damaged),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test_setup_teardown(test_login_paths_cost_one_scrypt, setup, teardown),
        cmocka_unit_test(test_session_idle_timeout),
        cmocka_unit_test(test_session_absolute_timeout_and_logout),
        cmocka_unit_test(test_session_table_evicts_oldest),
        cmocka_unit_test(test_sessions_per_user),
        cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_session_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
