/*
 * test_persona.c — the persona model (decay, eviction, what teaches what,
 * learning), its lossless codec, the LMDB store (de-dup, identities,
 * personas, secrets), the configuration loader, and the time/identifier
 * helpers they rest on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/util.h"
#include "persona/persona.h"
#include "store/store.h"

#define DAY 86400000LL
#define T0 1773619200000LL      /* 2026-03-16T00:00:00Z, a Monday */

static struct idw_persona_params prm;

static int setup(void **state)
{
    (void)state;
    idw_persona_params_init(&prm, 30, 14, 10, 30);
    return 0;
}

/* A successful sign-in by alice from Dublin at time t. */
static struct idw_event signin(int64_t t, const char *type, enum idw_outcome out)
{
    struct idw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = idw_classify(type);
    ev.okta_type = type;
    ev.published_ms = t;
    ev.outcome = out;
    ev.subject = ev.actor = (struct idw_principal){"00uA", "User", "alice@x.example", "Alice"};
    ev.subject_is_actor = ev.actor_is_human = 1;
    ev.ip = "198.51.100.23";
    ev.geo = (struct idw_geo){"Dublin", "Leinster", "Ireland", NULL, 53.35, -6.26, 1, 0, IDW_GEO_OKTA};
    ev.asn = 5466;
    ev.as_org = "eircom";
    ev.ua_os = "Mac OS X";
    ev.ua_browser = "CHROME";
    ev.client_device = "Computer";
    ev.dt_hash = "aaaa";
    ev.session_id = "102s";
    ev.credential_type = "PASSWORD";
    return ev;
}

/* ---- util --------------------------------------------------------------- */

static void test_time(void **state)
{
    (void)state;
    int64_t t = 0;
    char buf[IDW_TIME_STRLEN];
    assert_int_equal(idw_time_parse("2026-03-15T14:32:18.000Z", &t), 0);
    assert_int_equal(t, 1773585138000LL);
    assert_int_equal(idw_time_parse("2026-03-15T16:32:18.123456+02:00", &t), 0);
    assert_int_equal(t, 1773585138123LL);
    assert_int_equal(idw_time_parse("2024-02-29T00:00:00Z", &t), 0);
    idw_time_format(t, buf);
    assert_string_equal(buf, "2024-02-29T00:00:00.000Z");
    static const char *const bad[] = {"", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                                      "1969-12-31T23:59:59Z", "2026-03-15T14:32:18.Z",
                                      "2026-03-15T14:32:18Zjunk", "2026-03-15"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(idw_time_parse(bad[i], &t), -1);
    assert_int_equal(idw_time_parse(NULL, &t), -1);
}

static void test_ids(void **state)
{
    (void)state;
    char a[IDW_UUID_STRLEN], b[IDW_UUID_STRLEN], hex[9];
    idw_uuid_derive("ns", "name", a);
    idw_uuid_derive("ns", "name", b);
    assert_string_equal(a, b);
    assert_int_equal(a[14], '8');
    assert_non_null(strchr("89ab", a[19]));
    idw_uuid_derive("ns2", "name", b);
    assert_string_not_equal(a, b);
    assert_int_equal(idw_uuid_random(a), 0);
    assert_int_equal(a[14], '4');
    idw_sha256_hex("abc", 3, 4, hex);
    assert_string_equal(hex, "ba7816bf");
    char small[4];
    assert_int_equal(idw_strlcpy(small, "abcdef", sizeof small), 6);
    assert_string_equal(small, "abc");
    assert_true(idw_str_absent("null") && idw_str_absent("") && idw_str_absent(NULL));
    assert_false(idw_str_absent("x"));
}

/* ---- config ------------------------------------------------------------- */

static void test_config(void **state)
{
    (void)state;
    struct idw_config c;
    char err[256];

    assert_int_equal(idw_config_load(NULL, &c, err, sizeof err), 0);
    assert_string_equal(c.db_path, "./idwatch-data");
    assert_int_equal(c.n_orgs, 1);
    assert_string_equal(c.orgs[0].domain_id, "default");
    assert_int_equal(c.batch_events, 50000);
    idw_config_free(&c);

    assert_int_equal(idw_config_parse("{\"persona\":{\"half_life_days\":7}}", "t", &c, err, sizeof err), 0);
    assert_true(c.half_life_days == 7.0);
    assert_int_equal(c.learning_days, 14);
    idw_config_free(&c);

    static const struct { const char *json, *msg; } bad[] = {
        {"{\"frobnicate\":1}", "frobnicate: unknown key"},
        {"{\"orgs\":[{\"domain_id\":\"a\",\"auth\":{\"colour\":1}}]}", "orgs[0].auth.colour: unknown key"},
        {"{\"orgs\":[{\"domain_id\":\"a\",\"poll_interval_s\":\"60\"}]}", "orgs[0].poll_interval_s: expected an integer"},
        {"{\"ingest\":{\"batch_events\":0}}", "ingest.batch_events: must be between"},
        {"{\"orgs\":[{\"domain_id\":\"a b\"}]}", "orgs[0].domain_id"},
        {"{\"orgs\":[{\"domain_id\":\"a\"},{\"domain_id\":\"a\"}]}", "used twice"},
        {"{\"db\": }", "t:1:"},
        {"[1]", "must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(idw_config_parse(bad[i].json, "t", &c, err, sizeof err), -1);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s: got '%s'", bad[i].json, err);
    }
}

/* ---- persona model --------------------------------------------------------- */

static void test_decay_and_late_events(void **state)
{
    (void)state;
    struct idw_persona p;
    idw_persona_init(&p, "t");
    idw_persona_observe(&p, IDW_DIM_COUNTRIES, "Ireland", NULL, T0, 0, 0, &prm);
    idw_persona_observe(&p, IDW_DIM_COUNTRIES, "Ireland", NULL, T0 + 30 * DAY, 0, 0, &prm);
    const struct idw_pvalue *v = idw_persona_find(&p, IDW_DIM_COUNTRIES, "Ireland");
    assert_non_null(v);
    assert_true(fabs(v->weight - 1.5) < 1e-12);        /* one half-life later */
    assert_int_equal(v->count, 2);
    /* a late event, one half-life before last_seen, adds 0.5 and keeps last_seen */
    idw_persona_observe(&p, IDW_DIM_COUNTRIES, "Ireland", NULL, T0 - 10 * DAY + 10 * DAY, 0, 0, &prm);
    assert_true(fabs(v->weight - 2.0) < 1e-12);
    assert_int_equal(v->last_seen, T0 + 30 * DAY);
    idw_persona_observe(&p, IDW_DIM_COUNTRIES, "Ireland", NULL, T0 - DAY, 0, 0, &prm);
    assert_int_equal(v->first_seen, T0 - DAY);
}

static void test_eviction(void **state)
{
    (void)state;
    struct idw_persona p;
    char name[16];
    idw_persona_init(&p, "t");
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "C%d", i);
        for (int k = 0; k <= i; k++)    /* C0 seen once, C7 eight times */
            idw_persona_observe(&p, IDW_DIM_COUNTRIES, name, NULL, T0 + i, 0, 0, &prm);
    }
    assert_int_equal(p.n[IDW_DIM_COUNTRIES], 8);
    idw_persona_observe(&p, IDW_DIM_COUNTRIES, "NEW", NULL, T0 + 100, 0, 0, &prm);
    assert_int_equal(p.n[IDW_DIM_COUNTRIES], 8);
    assert_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "C0"));   /* the weakest went */
    assert_non_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "NEW"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "C7"));
}

static void test_what_teaches_what(void **state)
{
    (void)state;
    struct idw_persona p;
    idw_persona_init(&p, "t");
    struct idw_event ok = signin(T0 + 8 * 3600 * 1000LL, "user.session.start", IDW_OUT_SUCCESS);
    idw_persona_update(&p, &ok, IDW_ROLE_SUBJECT, &prm, 0);
    assert_int_equal(p.c.signin_ok, 1);
    assert_non_null(idw_persona_find(&p, IDW_DIM_CITIES, "Dublin, Ireland"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_ASNS, "AS5466"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_PREFIXES, "198.51.100.0/24"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_DEVICES, "aaaa"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_FACTORS, "PASSWORD"));
    assert_true(p.hours[8] > 0.99);                     /* Monday 08:00 UTC is slot 8 */
    assert_int_equal(p.last_fix.asn, 5466);

    struct idw_event bad = signin(T0 + DAY, "user.session.start", IDW_OUT_FAILURE);
    bad.geo.country = "Nigeria";
    bad.geo.city = "Lagos";
    bad.asn = 29465;
    idw_persona_update(&p, &bad, IDW_ROLE_SUBJECT, &prm, 0);
    assert_int_equal(p.c.signin_fail, 1);
    assert_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "Nigeria"));
    assert_null(idw_persona_find(&p, IDW_DIM_ASNS, "AS29465"));
    assert_int_equal(p.last_fix.asn, 5466);

    struct idw_event push = signin(T0 + DAY, "system.push.send_factor_verify_push", IDW_OUT_SUCCESS);
    push.asn = 29465;
    idw_persona_update(&p, &push, IDW_ROLE_SUBJECT, &prm, 0);
    assert_int_equal(p.c.push_sent, 1);
    assert_null(idw_persona_find(&p, IDW_DIM_ASNS, "AS29465"));

    struct idw_event sso = signin(T0 + DAY, "user.authentication.sso", IDW_OUT_SUCCESS);
    sso.app_id = "0oaX";
    sso.app_name = "Slack";
    idw_persona_update(&p, &sso, IDW_ROLE_SUBJECT, &prm, 0);
    const struct idw_pvalue *app = idw_persona_find(&p, IDW_DIM_APPS, "0oaX");
    assert_non_null(app);
    assert_string_equal(app->label, "Slack");
    assert_int_equal(p.events, 4);
}

static void test_learning(void **state)
{
    (void)state;
    struct idw_persona p;
    idw_persona_init(&p, "t");
    for (int i = 0; i < 9; i++) {
        struct idw_event ev = signin(T0 + i * 3600000LL, "user.session.start", IDW_OUT_SUCCESS);
        idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    }
    assert_true(idw_persona_learning(&p, p.last_seen, &prm));
    struct idw_event ev = signin(T0 + 10 * 3600000LL, "user.session.start", IDW_OUT_SUCCESS);
    idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    assert_false(idw_persona_learning(&p, p.last_seen, &prm));    /* 10 sign-ins */
    /* 40 days of silence: learning again */
    ev = signin(T0 + 50 * DAY, "user.session.start", IDW_OUT_SUCCESS);
    idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    assert_true(idw_persona_learning(&p, p.last_seen, &prm));
    /* or 14 days of history with few sign-ins */
    ev = signin(T0 + 65 * DAY, "user.session.start", IDW_OUT_SUCCESS);
    idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    assert_false(idw_persona_learning(&p, p.last_seen, &prm));
}

/* Baseline hygiene: what an alerting event shows first is not trusted until seen again quietly. */
static void test_provisional_values(void **state)
{
    (void)state;
    static struct idw_persona p, q;
    static unsigned char buf[IDW_PERSONA_MAX_ENCODED];
    struct idw_event home = signin(T0, "user.session.start", IDW_OUT_SUCCESS);
    struct idw_event far = signin(T0 + DAY, "user.session.start", IDW_OUT_SUCCESS);

    far.asn = 14061;
    far.geo.country = "Romania";
    idw_persona_init(&p, "tuid-1");
    idw_persona_update(&p, &home, IDW_ROLE_SUBJECT, &prm, 0);
    idw_persona_update(&p, &far, IDW_ROLE_SUBJECT, &prm, 1);
    assert_non_null(idw_persona_find(&p, IDW_DIM_ASNS, "AS14061"));
    assert_null(idw_persona_knows(&p, IDW_DIM_ASNS, "AS14061"));
    assert_null(idw_persona_knows(&p, IDW_DIM_COUNTRIES, "Romania"));
    /* a value already trusted stays trusted when an alerting event shows it again */
    assert_non_null(idw_persona_knows(&p, IDW_DIM_DEVICES, "aaaa"));
    /* provisional survives storage */
    size_t n = idw_persona_encode(&p, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), 0);
    assert_null(idw_persona_knows(&q, IDW_DIM_ASNS, "AS14061"));
    /* still alerting: still provisional; then a quiet sighting trusts it */
    far.published_ms += DAY;
    idw_persona_update(&q, &far, IDW_ROLE_SUBJECT, &prm, 1);
    assert_null(idw_persona_knows(&q, IDW_DIM_ASNS, "AS14061"));
    far.published_ms += DAY;
    idw_persona_update(&q, &far, IDW_ROLE_SUBJECT, &prm, 0);
    assert_non_null(idw_persona_knows(&q, IDW_DIM_ASNS, "AS14061"));
    /* the analyst's false-positive verdict trusts it too */
    assert_int_equal(idw_persona_trust(&p, IDW_DIM_COUNTRIES, "Romania"), 1);
    assert_non_null(idw_persona_knows(&p, IDW_DIM_COUNTRIES, "Romania"));
    assert_int_equal(idw_persona_trust(&p, IDW_DIM_COUNTRIES, "Romania"), 0);
}

static void test_codec_lossless_and_robust(void **state)
{
    (void)state;
    static struct idw_persona p, q;
    static unsigned char buf[IDW_PERSONA_MAX_ENCODED], buf2[IDW_PERSONA_MAX_ENCODED];
    idw_persona_init(&p, "tuid-1");
    for (int i = 0; i < 200; i++) {
        struct idw_event ev = signin(T0 + i * 7919000LL, "user.authentication.sso", IDW_OUT_SUCCESS);
        char app[16], ip[32];
        snprintf(app, sizeof app, "0oa%d", i % 40);
        snprintf(ip, sizeof ip, "10.%d.%d.1", i % 20, i % 7);
        ev.app_id = app;
        ev.ip = ip;
        idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    }
    size_t n = idw_persona_encode(&p, buf, sizeof buf);
    assert_true(n > 0 && n < 8192);
    assert_int_equal(idw_persona_decode(&q, buf, n), 0);
    assert_int_equal(idw_persona_encode(&q, buf2, sizeof buf2), n);
    assert_memory_equal(buf, buf2, n);
    json_t *a = idw_persona_to_json(&p, &prm), *b = idw_persona_to_json(&q, &prm);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    for (size_t len = 0; len < n; len += 7)
        assert_int_equal(idw_persona_decode(&q, buf, len), -1);
    buf[0] = 'X';
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
}

/*
 * A record that frames correctly but holds impossible values (a wild time
 * would overflow the decay arithmetic, a NaN weight poison every score) is
 * refused as corrupt.
 */
static void test_codec_refuses_implausible_values(void **state)
{
    (void)state;
    static struct idw_persona p, q;
    static unsigned char buf[IDW_PERSONA_MAX_ENCODED];
    struct idw_event ev = signin(T0, "user.authentication.sso", IDW_OUT_SUCCESS);
    const struct idw_dim_desc *apps = idw_dim_desc(IDW_DIM_APPS);

    ev.app_id = "0oa1";
    idw_persona_init(&p, "tuid-2");
    idw_persona_update(&p, &ev, IDW_ROLE_SUBJECT, &prm, 0);
    assert_true(p.n[IDW_DIM_APPS] == 1);
    size_t n = idw_persona_encode(&p, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), 0);

    q = p;
    q.vals[apps->offset].last_seen = INT64_MIN;
    n = idw_persona_encode(&q, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
    q = p;
    q.vals[apps->offset].weight = NAN;
    n = idw_persona_encode(&q, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
    q = p;
    q.hours[3] = -INFINITY;
    n = idw_persona_encode(&q, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
    q = p;
    q.last_seen = INT64_MAX;
    n = idw_persona_encode(&q, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
    q = p;
    q.last_fix.lat = 1e300;
    n = idw_persona_encode(&q, buf, sizeof buf);
    assert_int_equal(idw_persona_decode(&q, buf, n), -1);
}

/* ---- store ------------------------------------------------------------------ */

static void test_store(void **state)
{
    (void)state;
    char dir[] = "/tmp/idw-store-XXXXXX", err[256], tuid[IDW_UUID_STRLEN], t2[IDW_UUID_STRLEN];
    struct idw_store *st;
    MDB_txn *txn;
    static struct idw_persona p;
    size_t pruned;
    unsigned char s1[32], s2[32];

    assert_non_null(mkdtemp(dir));
    assert_int_equal(idw_store_open(dir, 64, IDW_STORE_RDONLY, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "no database"));
    assert_int_equal(idw_store_open(dir, 64, 0, &st, err, sizeof err), 0);
    {
        /* commits are durable: LMDB syncs at each commit (no MDB_NOSYNC, no MDB_NOMETASYNC) */
        unsigned flags = 0;
        assert_int_equal(mdb_env_get_flags(st->env, &flags), 0);
        assert_int_equal(flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC), 0);
    }
    assert_int_equal(idw_store_begin(st, 0, &txn, err, sizeof err), 0);

    assert_int_equal(idw_store_seen_add(st, txn, "d1", "u1", T0, err, sizeof err), 0);
    assert_int_equal(idw_store_seen_add(st, txn, "d1", "u1", T0, err, sizeof err), IDW_EXISTS);
    assert_int_equal(idw_store_seen_add(st, txn, "d2", "u1", T0, err, sizeof err), 0);
    assert_int_equal(idw_store_seen_add(st, txn, "d1", "u2", T0 + DAY, err, sizeof err), 0);
    assert_int_equal(idw_store_seen_prune(st, txn, "d1", T0 + 1, 100, &pruned, err, sizeof err), 0);
    assert_int_equal(pruned, 1);
    assert_int_equal(idw_store_seen_add(st, txn, "d1", "u1", T0, err, sizeof err), 0);   /* forgotten */
    assert_int_equal(idw_store_seen_add(st, txn, "d1", "u2", T0, err, sizeof err), IDW_EXISTS);   /* kept */
    assert_int_equal(idw_store_seen_add(st, txn, "d2", "u1", T0, err, sizeof err), IDW_EXISTS);   /* other domain kept */

    assert_int_equal(idw_store_tuid(st, txn, "d1", "00uA", "Alice@X.example", 1, tuid, err, sizeof err), 0);
    idw_store_derive_tuid("d1", "00uA", t2);
    assert_string_equal(tuid, t2);
    assert_int_equal(idw_store_find_user(st, txn, "d1", "alice@x.EXAMPLE", t2, err, sizeof err), 0);
    assert_string_equal(tuid, t2);
    assert_int_equal(idw_store_find_user(st, txn, "d2", "alice@x.example", t2, err, sizeof err), 1);
    /* a renamed login points to the same person */
    assert_int_equal(idw_store_tuid(st, txn, "d1", "00uA", "alice.new@x.example", 1, t2, err, sizeof err), 0);
    assert_string_equal(tuid, t2);
    assert_int_equal(idw_store_find_user(st, txn, "d1", "alice.new@x.example", t2, err, sizeof err), 0);

    idw_persona_init(&p, tuid);
    p.events = 42;
    assert_int_equal(idw_store_persona_put(st, txn, "d1", &p, err, sizeof err), 0);
    assert_int_equal(idw_store_find_user(st, txn, "d1", tuid, t2, err, sizeof err), 0);
    assert_int_equal(idw_store_secret(st, txn, "k", s1, err, sizeof err), 0);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);

    assert_int_equal(idw_store_begin(st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_persona_get(st, txn, "d1", tuid, &p, err, sizeof err), 0);
    assert_int_equal(p.events, 42);
    assert_int_equal(idw_store_persona_get(st, txn, "d2", tuid, &p, err, sizeof err), 1);
    assert_int_equal(idw_store_secret(st, txn, "k", s2, err, sizeof err), 0);
    assert_memory_equal(s1, s2, 32);
    /* a corrupt record is reported, not trusted */
    char key[64];
    size_t kl = (size_t)snprintf(key, sizeof key, "d1%c%s", 0, tuid) + 1;
    MDB_val k = {kl, key}, v = {5, "junk!"};
    assert_int_equal(mdb_put(txn, st->persona, &k, &v, 0), 0);
    assert_int_equal(idw_store_persona_get(st, txn, "d1", tuid, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "corrupt"));
    mdb_txn_abort(txn);
    idw_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_decay_and_late_events),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_what_teaches_what),
        cmocka_unit_test(test_learning),
        cmocka_unit_test(test_provisional_values),
        cmocka_unit_test(test_codec_lossless_and_robust),
        cmocka_unit_test(test_codec_refuses_implausible_values),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests_name("persona", tests, setup, NULL);
}
