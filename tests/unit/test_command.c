/*
 * test_command.c — analyst and operator commands of a partition's stream
 * (src/cluster/command.h) on a temporary LMDB, without NATS: the builder
 * and the check round-trip, every refused shape names its field, a review
 * applied inside the caller's transaction gives version + 1 with a history
 * entry at the command's time (not the wall clock) and an outbox entry, a
 * command id applied twice adds nothing the second time, an unknown alert
 * or a refused transition is skipped with its reason, pause/resume set the
 * org's flag, and a storage failure is IDW_ERR.
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
#include "cluster/command.h"
#include "common/util.h"
#include "deliver/outbox.h"
#include "event/classify.h"

#define T0 1790000000000LL      /* 2026-09-21: far from the wall clock the test runs at */
#define ID1 "0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210"

struct fixture {
    char dir[64];
    struct idw_config cfg;
    struct idw_store *st;
    char alert[IDW_UUID_STRLEN];
};

/* Raises one brute_force alert on alice in acme (version 1, no sink: the outbox starts empty). */
static void raise_alert(struct fixture *f)
{
    static const struct idw_kind kind = {.okta_type = "user.session.start"};
    struct idw_event ev = {.published_ms = T0, .kind = &kind, .ip = "198.51.100.7", .uuid = "ev-1"};
    struct idw_alert_origin o = {.domain = "acme", .rule = "brute_force", .ev = &ev};
    struct idw_alert_candidate c = {.severity = IDW_SEV_HIGH, .score = 70, .window_ms = 60000,
                                    .mitre = "T1110", .stage = "Compromise Identity"};
    struct idw_alerts *al = idw_alerts_new();
    char err[256];
    MDB_txn *txn;

    assert_non_null(al);
    ev.subject.login = "alice@acme.example";
    idw_strlcpy(ev.tuid, "tuid-alice", sizeof ev.tuid);
    snprintf(c.entity, sizeof c.entity, "user:tuid-alice");
    snprintf(c.summary, sizeof c.summary, "failures");
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alert_raise(al, f->st, txn, &o, &c, NULL, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    idw_alerts_free(al);
}

static int first_id(const json_t *a, void *out)
{
    idw_strlcpy(out, idw_alert_id(a), IDW_UUID_STRLEN);
    return 1;
}

static int setup(void **state)
{
    static struct fixture f;
    static const char cfg[] =
        "{\"webhooks\": [{\"name\": \"soar\", \"url\": \"https://soar.example/hook\","
        " \"secret_env\": \"IDW_TEST_SECRET\", \"min_severity\": \"low\"},"
        " {\"name\": \"inc\", \"url\": \"https://soar.example/inc\", \"secret_env\": \"IDW_TEST_SECRET\","
        " \"min_severity\": \"low\", \"incidents\": true}]}";
    char err[256];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-command-XXXXXX");
    if (!mkdtemp(f.dir) || idw_config_parse(cfg, "test", &f.cfg, err, sizeof err) < 0 ||
        idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_store_close(f->st);
    idw_config_free(&f->cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_alert(struct fixture *f)
{
    char err[256];
    MDB_txn *txn;

    raise_alert(f);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alert_each(f->st, txn, first_id, f->alert, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_int_equal(strlen(f->alert), 36);
}

static json_t *review_msg(const char *alert, const char *status, const char *id, int64_t at)
{
    struct idw_command_review rv = {.alert_id = alert, .status = status, .assignee = "ann",
                                    .note = "called the user"};
    char err[256];
    json_t *m = NULL;

    assert_int_equal(idw_command_build("acme", "review", at, "bob", id, &rv, NULL, &m, err, sizeof err),
                     IDW_OK);
    return m;
}

/* Applies m in a transaction of its own, committed; returns *applied, reason into why. */
static int apply(struct fixture *f, const json_t *m, char *why, size_t whylen)
{
    char err[256];
    int applied = -1;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    why[0] = '\0';
    assert_int_equal(idw_command_apply(f->st, txn, &f->cfg, m, &applied, why, whylen, err, sizeof err),
                     IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    return applied;
}

static json_t *get_alert(struct fixture *f)
{
    char err[256];
    json_t *a = NULL;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alert_get(f->st, txn, "acme", f->alert, &a, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    return a;
}

/* Each outbox entry, in queue order, as "<target>:<kind>:<version>", comma-separated. */
static int collect(uint64_t seq, json_t *entry, void *ctx)
{
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    char *s = ctx;

    (void)seq;
    idw_strappendf(s, 128, "%s%s:%s:%lld", *s ? "," : "", json_string_value(json_object_get(entry, "target")),
                   kind ? kind : "alert", (long long)json_integer_value(json_object_get(entry, "version")));
    return 0;
}

static void outbox_versions(struct fixture *f, char out[128])
{
    char err[256];
    MDB_txn *txn;

    out[0] = '\0';
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_each(f->st, txn, collect, out, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
}

static void test_round_trip(void **state)
{
    char err[256], msgid[IDW_COMMAND_MSGID_MAX], a[IDW_COMMAND_ID_HEX + 1], b[IDW_COMMAND_ID_HEX + 1];
    json_t *m = review_msg("8d6f3b0e-1c2a-5b7e-9f00-0123456789ab", "resolved", ID1, T0), *back, *p = NULL;
    char *s = json_dumps(m, JSON_COMPACT);

    (void)state;
    back = json_loads(s, 0, NULL);
    assert_int_equal(idw_command_check(back, err, sizeof err), IDW_OK);
    assert_true(json_equal(m, back));
    assert_string_equal(json_string_value(json_object_get(back, "type")), "command");
    assert_int_equal(json_integer_value(json_object_get(back, "v")), 2);
    assert_int_equal(json_integer_value(json_object_get(back, "at")), T0);
    assert_string_equal(json_string_value(json_object_get(back, "note")), "called the user");
    assert_int_equal(idw_command_msg_id(back, msgid), IDW_OK);
    assert_string_equal(msgid, "cmd:" ID1);
    free(s);
    json_decref(back);
    json_decref(m);
    assert_int_equal(idw_command_build("acme", "pause", T0, "ops", ID2, NULL, "maintenance", &p, err,
                                       sizeof err), IDW_OK);
    assert_string_equal(json_string_value(json_object_get(p, "reason")), "maintenance");
    assert_int_equal(json_object_size(p), 8);
    json_decref(p);
    assert_int_equal(idw_command_new_id(a, err, sizeof err), IDW_OK);
    assert_int_equal(idw_command_new_id(b, err, sizeof err), IDW_OK);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

/* Each refused shape: a change to a valid review (NULL value: the key removed) and the field named. */
static void test_refused_shapes(void **state)
{
    static const struct {
        const char *key, *value, *named;
    } cases[] = {
        {"v", "1", "v:"},
        {"v", "\"2\"", "v:"},
        {"type", "\"page\"", "type:"},
        {"org", "\"a b\"", "org:"},
        {"org", NULL, "org:"},
        {"command", "\"delete\"", "command: command:"},
        {"at", "-1", "at:"},
        {"at", "1.5", "at:"},
        {"at", "253402300800000", "at:"},
        {"by", "\"\"", "by:"},
        {"by", "\"bob\\nroot\"", "by:"},
        {"by", NULL, "by:"},
        {"id", "\"0123\"", "id:"},
        {"id", "\"0123456789ABCDEF0123456789ABCDEF\"", "id:"},
        {"alert_id", "\"8d6f3b0e\"", "alert_id:"},
        {"alert_id", NULL, "alert_id:"},
        {"status", "\"open\"", "status:"},
        {"status", "\"ack\"", "status:"},
        {"assignee", "\"a b\"", "assignee:"},
        {"assignee", "null", "assignee:"},
        {"note", "7", "note:"},
        {"reason", "\"x\"", "reason: not a field of a review"},
        {"extra", "1", "extra: not a field"},
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *m = review_msg("8d6f3b0e-1c2a-5b7e-9f00-0123456789ab", "resolved", ID1, T0);
        if (cases[i].value)
            json_object_set_new(m, cases[i].key, json_loads(cases[i].value, JSON_DECODE_ANY, NULL));
        else
            json_object_del(m, cases[i].key);
        err[0] = '\0';
        assert_int_equal(idw_command_check(m, err, sizeof err), IDW_ERR);
        if (!strstr(err, cases[i].named))
            fail_msg("case %zu (%s): \"%s\" does not name \"%s\"", i, cases[i].key, err, cases[i].named);
        json_decref(m);
    }
    json_t *p = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "v", 2, "type", "command", "org",
                          "acme", "command", "pause", "at", (json_int_t)T0, "by", "ops", "id", ID1,
                          "alert_id", "x");
    assert_int_equal(idw_command_check(p, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "alert_id: not a field of a pause or resume"));
    json_decref(p);
    json_t *s = json_string("x");
    assert_int_equal(idw_command_check(s, err, sizeof err), IDW_ERR);
    json_decref(s);
}

static void test_review_applies_at_its_time(void **state)
{
    struct fixture *f = *state;
    char why[256], when[IDW_TIME_STRLEN], ob[128];
    json_t *m, *a, *h;

    make_alert(f);
    outbox_versions(f, ob);
    assert_string_equal(ob, "");
    m = review_msg(f->alert, "acknowledged", ID1, T0 + 5000);
    assert_int_equal(apply(f, m, why, sizeof why), 1);
    a = get_alert(f);
    assert_int_equal(idw_alert_version(a), 2);
    assert_string_equal(json_string_value(json_object_get(a, "status")), "acknowledged");
    assert_string_equal(json_string_value(json_object_get(a, "assignee")), "ann");
    h = json_object_get(a, "history");
    assert_int_equal(json_array_size(h), 1);
    idw_time_format(T0 + 5000, when);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "time")), when);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "by")), "bob");
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "note")), "called the user");
    json_decref(a);
    outbox_versions(f, ob);
    /* the new version queued for both webhooks, as a CLI review queues it (an ack ends nothing:
       no new incident version) */
    assert_string_equal(ob, "soar:alert:2,inc:alert:2");
    json_decref(m);
}

static void test_same_id_twice(void **state)
{
    struct fixture *f = *state;
    char why[256], ob[128];
    json_t *m, *a, *m2;

    make_alert(f);
    m = review_msg(f->alert, "resolved", ID1, T0);
    assert_int_equal(apply(f, m, why, sizeof why), 1);
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_non_null(strstr(why, "command " ID1 " was applied before"));
    /* the same id published again later with another status: still the first outcome */
    m2 = review_msg(f->alert, "false_positive", ID1, T0 + 1);
    assert_int_equal(apply(f, m2, why, sizeof why), 0);
    a = get_alert(f);
    assert_int_equal(idw_alert_version(a), 2);
    assert_int_equal(json_array_size(json_object_get(a, "history")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "status")), "resolved");
    json_decref(a);
    /* resolved ends the alert's activity: its incident's new version too, for the webhook that takes them
       (idw_outbox_attach), and all only once */
    outbox_versions(f, ob);
    assert_string_equal(ob, "inc:incident:2,soar:alert:2,inc:alert:2");
    /* another id with the status the alert already has changes nothing: skipped, said why */
    json_decref(m);
    m = review_msg(f->alert, "resolved", ID2, T0);
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_non_null(strstr(why, "is resolved: it cannot become resolved"));
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_non_null(strstr(why, "was skipped before"));
    json_decref(m);
    json_decref(m2);
}

static void test_unknown_alert_skipped(void **state)
{
    struct fixture *f = *state;
    char why[256], err[256];
    json_t *m = review_msg("00000000-0000-5000-8000-000000000000", "resolved", ID1, T0), *mk = NULL;
    MDB_txn *txn;

    make_alert(f);
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_string_equal(why, "no alert 00000000-0000-5000-8000-000000000000 in org acme");
    /* the alert of another org is not this org's */
    json_object_set_new(m, "alert_id", json_string(f->alert));
    json_object_set_new(m, "org", json_string("beta"));
    json_object_set_new(m, "id", json_string(ID2));
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_non_null(strstr(why, "in org beta"));
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_meta_get(f->st, txn, "cluster_cmd", ID1, &mk, err, sizeof err), IDW_OK);
    assert_false(json_is_true(json_object_get(mk, "applied")));
    mdb_txn_abort(txn);
    json_decref(mk);
    json_t *a = get_alert(f);
    assert_int_equal(idw_alert_version(a), 1);
    json_decref(a);
    json_decref(m);
}

static void expect_paused(struct fixture *f, const char *org, int want)
{
    char err[256];
    int paused = -1;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_command_org_paused(f->st, txn, org, &paused, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_int_equal(paused, want);
}

static void test_pause_resume(void **state)
{
    struct fixture *f = *state;
    char why[256], err[256], id[IDW_COMMAND_ID_HEX + 1];
    json_t *m = NULL, *doc = NULL;
    MDB_txn *txn;

    expect_paused(f, "acme", 0);
    assert_int_equal(idw_command_build("acme", "pause", T0, "ops", ID1, NULL, "SIEM migration", &m, err,
                                       sizeof err), IDW_OK);
    assert_int_equal(apply(f, m, why, sizeof why), 1);
    expect_paused(f, "acme", 1);
    expect_paused(f, "beta", 0);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_meta_get(f->st, txn, "cluster_paused", "acme", &doc, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_string_equal(json_string_value(json_object_get(doc, "reason")), "SIEM migration");
    assert_string_equal(json_string_value(json_object_get(doc, "by")), "ops");
    assert_int_equal(json_integer_value(json_object_get(doc, "at")), T0);
    json_decref(doc);
    json_decref(m);
    assert_int_equal(idw_command_new_id(id, err, sizeof err), IDW_OK);
    assert_int_equal(idw_command_build("acme", "pause", T0, "ops", id, NULL, NULL, &m, err, sizeof err),
                     IDW_OK);
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_string_equal(why, "org acme is already paused");
    json_decref(m);
    assert_int_equal(idw_command_build("acme", "resume", T0 + 1, "ops", ID2, NULL, NULL, &m, err, sizeof err),
                     IDW_OK);
    assert_int_equal(apply(f, m, why, sizeof why), 1);
    expect_paused(f, "acme", 0);
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    json_decref(m);
}

/* A malformed command is skipped with the check's complaint and leaves no marker. */
static void test_malformed_skipped(void **state)
{
    struct fixture *f = *state;
    char why[256], err[256];
    json_t *m = review_msg("8d6f3b0e-1c2a-5b7e-9f00-0123456789ab", "resolved", ID1, T0), *mk = NULL;
    MDB_txn *txn;

    json_object_del(m, "by");
    assert_int_equal(apply(f, m, why, sizeof why), 0);
    assert_non_null(strstr(why, "by:"));
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_meta_get(f->st, txn, "cluster_cmd", ID1, &mk, err, sizeof err), IDW_NOTFOUND);
    mdb_txn_abort(txn);
    json_decref(m);
}

/* A storage failure (here: a read-only transaction) is IDW_ERR, not a skip. */
static void test_storage_failure(void **state)
{
    struct fixture *f = *state;
    char why[256] = "", err[256] = "";
    json_t *m = NULL;
    int applied = -1;
    MDB_txn *txn;

    assert_int_equal(idw_command_build("acme", "pause", T0, "ops", ID1, NULL, NULL, &m, err, sizeof err),
                     IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_command_apply(f->st, txn, &f->cfg, m, &applied, why, sizeof why, err, sizeof err),
                     IDW_ERR);
    assert_int_equal(applied, 0);
    assert_true(err[0] != '\0');
    mdb_txn_abort(txn);
    json_decref(m);
}

static int find_starved(const json_t *a, void *out)
{
    if (idw_alert_rule(a) && !strcmp(idw_alert_rule(a), "connector_starved")) {
        *(json_t **)out = json_incref((json_t *)a);
        return 1;
    }
    return 0;
}

/*
 * A worker's starvation notice raises connector_starved (T1562) at the
 * command's time, not the wall clock, queued to the outbox; a bad one is
 * skipped with its field named.
 */
static void test_starved_raises_connector_alert(void **state)
{
    struct fixture *f = *state;
    json_t *m = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s}", "v", 2, "type",
                          "command", "org", "acme", "command", "starved", "at", (json_int_t)T0, "by",
                          "idwatch-worker", "id", ID1, "since", (json_int_t)(T0 - 600000), "ended",
                          (json_int_t)0, "summary", "acme: starved of System Log pages for 10m",
                          "evidence", "429 x 40"), *a = NULL;
    char why[256], out[128], err[256];
    MDB_txn *txn;

    assert_int_equal(idw_command_check(m, why, sizeof why), IDW_OK);
    assert_int_equal(apply(f, m, why, sizeof why), 1);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_alert_each(f->st, txn, find_starved, &a, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    assert_non_null(a);
    assert_int_equal(json_integer_value(json_object_get(a, "first_seen_ms")), T0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "mitre"), 0)), "T1562");
    json_decref(a);
    outbox_versions(f, out);
    assert_non_null(strstr(out, "soar:alert:1"));
    json_object_set_new(m, "since", json_string("yesterday"));
    json_object_set_new(m, "id", json_string(ID2));
    assert_int_equal(idw_command_check(m, why, sizeof why), IDW_ERR);
    assert_non_null(strstr(why, "command: since: expected"));
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused_shapes),
        cmocka_unit_test_setup_teardown(test_review_applies_at_its_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_id_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_alert_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starved_raises_connector_alert, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
