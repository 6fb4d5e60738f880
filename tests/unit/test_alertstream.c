/*
 * test_alertstream.c — the alerts stream's envelope (cluster/alertstream.h):
 * alert and incident versions wrapped with their kind, org, id and
 * version; the Msg-Id "<id>:<version>" and the subject idw.alert.<org>
 * (a dotted org is several tokens); the decoder's round trip and every
 * refused shape with the field named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cluster/alertstream.h"
#include "deliver/outbox.h"

static json_t *alert_doc(const char *id, int version, const char *org)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "alert_id", id, "version", version, "domain_id", org,
                     "rule", "brute_force", "severity", "high", "incident_id", "inc-9");
}

static json_t *incident_doc(const char *id, int version, const char *org)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "incident", "incident_id", id, "version", version,
                     "domain_id", org, "severity", "high");
}

/* Encodes env as the stream carries it, decodes it back. */
static json_t *round_trip(const json_t *env)
{
    char *text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS), err[256] = "";
    json_t *back = NULL;

    assert_non_null(text);
    assert_int_equal(idw_alertstream_decode(text, strlen(text), &back, err, sizeof err), IDW_OK);
    free(text);
    return back;
}

static void test_alert_envelope(void **state)
{
    json_t *a = alert_doc("3f2a9c1e-0000-4000-8000-000000000001", 4, "acme"), *env = NULL, *back;
    char err[256], id[IDW_ALERTS_MSGID_MAX], subject[IDW_ALERTS_SUBJECT_MAX];
    (void)state;

    assert_int_equal(idw_alertstream_envelope(a, &env, err, sizeof err), IDW_OK);
    assert_int_equal(json_integer_value(json_object_get(env, "v")), 1);
    /* an alert's incident_id does not make it an incident: its type does */
    assert_string_equal(json_string_value(json_object_get(env, "kind")), "alert");
    assert_string_equal(json_string_value(json_object_get(env, "org")), "acme");
    assert_string_equal(json_string_value(json_object_get(env, "id")),
                        "3f2a9c1e-0000-4000-8000-000000000001");
    assert_int_equal(json_integer_value(json_object_get(env, "version")), 4);
    assert_true(json_equal(json_object_get(env, "payload"), a));
    assert_int_equal(idw_alertstream_msg_id(env, id, sizeof id), IDW_OK);
    assert_string_equal(id, "3f2a9c1e-0000-4000-8000-000000000001:4");
    assert_int_equal(idw_alertstream_subject("acme", subject, sizeof subject), IDW_OK);
    assert_string_equal(subject, "idw.alert.acme");
    back = round_trip(env);
    assert_true(json_equal(back, env));
    json_decref(back);
    json_decref(env);
    json_decref(a);
}

static void test_incident_envelope(void **state)
{
    json_t *inc = incident_doc("inc-1", 2, "acme.eu"), *env = NULL, *back;
    char err[256], id[IDW_ALERTS_MSGID_MAX], subject[IDW_ALERTS_SUBJECT_MAX];
    (void)state;

    assert_int_equal(idw_alertstream_envelope(inc, &env, err, sizeof err), IDW_OK);
    assert_string_equal(json_string_value(json_object_get(env, "kind")), "incident");
    assert_string_equal(json_string_value(json_object_get(env, "id")), "inc-1");
    assert_int_equal(idw_alertstream_msg_id(env, id, sizeof id), IDW_OK);
    assert_string_equal(id, "inc-1:2");
    assert_int_equal(idw_alertstream_subject("acme.eu", subject, sizeof subject), IDW_OK);
    assert_string_equal(subject, "idw.alert.acme.eu");      /* two tokens under idw.alert.> */
    back = round_trip(env);
    assert_true(json_equal(back, env));
    json_decref(back);
    json_decref(env);
    json_decref(inc);
}

/* A version the stream cannot carry is refused with the field named. */
static void test_envelope_refusals(void **state)
{
    static const struct {
        const char *org, *id;
        int version;
        const char *want;
    } cases[] = {
        {"acme", "", 1, "alert_id missing"},
        {"acme", "has space", 1, "alert_id missing or not an id"},
        {"a..b", "x1", 1, "domain_id missing or not usable in a subject"},
        {".acme", "x1", 1, "domain_id"},
        {"acme.", "x1", 1, "domain_id"},
        {"ac*me", "x1", 1, "domain_id"},
        {"ac>me", "x1", 1, "domain_id"},
        {"acme", "x1", 0, "version missing or below 1"},
    };
    char err[256], subject[IDW_ALERTS_SUBJECT_MAX];
    json_t *env;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *a = alert_doc(cases[i].id, cases[i].version, cases[i].org);
        err[0] = '\0';
        env = (json_t *)1;
        assert_int_equal(idw_alertstream_envelope(a, &env, err, sizeof err), IDW_ERR);
        assert_null(env);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
        json_decref(a);
    }
    assert_int_equal(idw_alertstream_subject("a..b", subject, sizeof subject), IDW_ERR);
    assert_string_equal(subject, "");
}

#define ALERT_X "\"kind\":\"alert\",\"org\":\"acme\",\"id\":\"x\""

/* Every refused message names what is wrong with it. */
static void test_decode_refusals(void **state)
{
    static const struct {
        const char *msg, *want;
    } cases[] = {
        {"{\"v\":1,", "byte 7: string or"},
        {"[1]", "not a JSON object"},
        {"{\"v\":2," ALERT_X ",\"version\":1,\"payload\":{}}", "v: expected 1"},
        {"{\"v\":1,\"kind\":\"page\",\"org\":\"acme\",\"id\":\"x\",\"version\":1,\"payload\":{}}",
         "kind:"},
        {"{\"v\":1,\"kind\":\"alert\",\"org\":\"a b\",\"id\":\"x\",\"version\":1,\"payload\":{}}",
         "org:"},
        {"{\"v\":1,\"kind\":\"alert\",\"org\":\"acme\",\"id\":\"\",\"version\":1,\"payload\":{}}",
         "id:"},
        {"{\"v\":1," ALERT_X ",\"version\":\"1\",\"payload\":{}}", "version:"},
        {"{\"v\":1," ALERT_X ",\"version\":1,\"payload\":[]}", "payload: expected"},
        {"{\"v\":1,\"kind\":\"alert\",\"org\":\"acme\",\"id\":\"x\",\"version\":1,"
         "\"payload\":{\"alert_id\":\"y\",\"version\":1,\"domain_id\":\"acme\"}}", "disagree"},
        {"{\"v\":1,\"kind\":\"alert\",\"org\":\"acme\",\"id\":\"x\",\"version\":1,"
         "\"payload\":{\"alert_id\":\"x\",\"version\":2,\"domain_id\":\"acme\"}}", "disagree"},
        {"{\"v\":1,\"kind\":\"incident\",\"org\":\"acme\",\"id\":\"x\",\"version\":1,"
         "\"payload\":{\"alert_id\":\"x\",\"version\":1,\"domain_id\":\"acme\"}}",
         "type disagrees with kind"},
        {"{\"v\":1,\"v\":1}", "duplicate"},
        {"{\"v\":1," ALERT_X ",\"version\":1,\"payload\":{\"alert_id\":\"x\",\"version\":1,"
         "\"domain_id\":\"acme\"},\"extra\":1}", "expected exactly v, kind, org, id, version and payload"},
        {"{\"v\":1," ALERT_X ",\"version\":1}", "expected exactly"},
    };
    char err[256];
    json_t *env;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        env = (json_t *)1;
        assert_int_equal(idw_alertstream_decode(cases[i].msg, strlen(cases[i].msg), &env, err, sizeof err),
                         IDW_ERR);
        assert_null(env);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
    }
}

/*
 * attach: the stream registered in each database and its callback target
 * appended once to a process's set; bad settings named.  (No NATS: nothing
 * is sent until a delivery pass.)
 */
static void test_attach(void **state)
{
    char dir[2][64], err[512], cmd[160];
    struct idw_store *st[2];
    struct idw_alertstream *as = NULL;
    struct idw_webhooks *wh = NULL;
    struct idw_outbox_target *reg;
    json_t *root = json_pack("{s:{s:i}}", "cluster", "alerts_max_age_days", 30), *bad;
    MDB_txn *txn;
    size_t n;
    (void)state;

    for (int i = 0; i < 2; i++) {
        snprintf(dir[i], sizeof dir[i], "/tmp/idw-as-XXXXXX");
        assert_non_null(mkdtemp(dir[i]));
        assert_int_equal(idw_store_open(dir[i], 64, IDW_STORE_NOSYNC, &st[i], err, sizeof err), IDW_OK);
    }
    assert_int_equal(idw_alertstream_open(NULL, root, &as, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alertstream_attach(as, st[0], &wh, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alertstream_attach(as, st[1], &wh, err, sizeof err), IDW_OK);
    assert_int_equal(wh->n, 1);
    assert_string_equal(wh->targets[0].name, IDW_ALERTS_TARGET);
    assert_int_equal(wh->targets[0].min_severity, IDW_SEV_LOW);
    assert_true(wh->targets[0].deliver_historical && wh->targets[0].incidents);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(idw_store_begin(st[i], IDW_STORE_RDONLY, &txn, err, sizeof err), IDW_OK);
        assert_int_equal(idw_outbox_registered(st[i], txn, &reg, &n, err, sizeof err), IDW_OK);
        mdb_txn_abort(txn);
        assert_int_equal(n, 1);
        assert_string_equal(reg[0].name, IDW_ALERTS_TARGET);
        free(reg);
        idw_store_close(st[i]);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir[i]);
        assert_int_equal(system(cmd), 0);
    }
    idw_webhooks_free(wh);
    idw_alertstream_close(as);
    bad = json_pack("{s:{s:i}}", "cluster", "alerts_max_age_days", 0);
    assert_int_equal(idw_alertstream_open(NULL, bad, &as, err, sizeof err), IDW_ERR);
    assert_null(as);
    assert_non_null(strstr(err, "cluster.alerts_max_age_days: must be an integer between 1 and 36500"));
    json_decref(bad);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert_envelope),
        cmocka_unit_test(test_incident_envelope),
        cmocka_unit_test(test_envelope_refusals),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
