/*
 * test_alert.c — the alert module (alert/alert.h) on a temporary LMDB,
 * with hand-built events and a recording sink: creation with its
 * deterministic id, aggregation within the window into versions 1, 2, 3
 * (SOARs de-duplicate on alert_id:version, so a version that failed to
 * move would be dropped as a repeat), a new alert after the window or
 * after a resolve, review transitions and their history (who, when),
 * refused transitions, fp teaching the persona, every version handed to
 * every sink exactly once and in order, and a failing sink leaving
 * nothing stored.
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
#include "common/util.h"
#include "event/classify.h"
#include "store/store.h"

#define MIN 60000LL
#define T0 1790000000000LL      /* 2026-09-21 */
#define WINDOW (30 * MIN)

/* What a sink saw: "<sink>:<alert_id>:<version>" per call, in call order. */
struct seen {
    char calls[32][96];
    size_t n;
};

struct fixture {
    char dir[64];
    struct idw_store *st;
    struct idw_alerts *al;
    struct seen seen;
    int uuids;
};

/* Records each version it is handed; ctx is the sink's one-letter name. */
struct recorder {
    struct seen *seen;
    const char *name;
};

static enum idw_rc record(struct idw_store *st, MDB_txn *txn, const json_t *alert, void *ctx,
                          char *err, size_t errlen)
{
    struct recorder *r = ctx;

    (void)st;
    (void)txn;
    (void)err;
    (void)errlen;
    if (r->seen->n < 32)
        snprintf(r->seen->calls[r->seen->n++], 96, "%s:%s:%lld", r->name, idw_alert_id(alert),
                 (long long)idw_alert_version(alert));
    return IDW_OK;
}

static enum idw_rc refuse(struct idw_store *st, MDB_txn *txn, const json_t *alert, void *ctx,
                          char *err, size_t errlen)
{
    (void)st;
    (void)txn;
    (void)alert;
    (void)ctx;
    snprintf(err, errlen, "sink refused: disk full");
    return IDW_ERR;
}

static void add_recorder(struct fixture *f, const char *name)
{
    struct recorder *r = malloc(sizeof *r);
    struct idw_alert_sink s = {.fn = record, .ctx = r, .release = free};

    assert_non_null(r);
    r->seen = &f->seen;
    r->name = name;
    assert_int_equal(idw_alerts_add_sink(f->al, &s), IDW_OK);
}

static int setup(void **state)
{
    static struct fixture f;
    char err[256];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-alert-XXXXXX");
    if (!mkdtemp(f.dir) || idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        !(f.al = idw_alerts_new()))
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_alerts_free(f->al);
    idw_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A sign-in by alice (tuid "tuid-alice") at t from 198.51.100.7, AS64777, Iceland. */
static struct idw_event sign_in(struct fixture *f, int64_t t, char uuid[32])
{
    static const struct idw_kind kind = {.okta_type = "user.session.start"};
    struct idw_event ev = {.published_ms = t, .kind = &kind, .ip = "198.51.100.7", .asn = 64777,
                           .as_org = "Example Transit", .app_name = "Salesforce"};

    snprintf(uuid, 32, "ev-%04d", ++f->uuids);
    ev.uuid = uuid;
    ev.subject.login = "alice@acme.example";
    ev.geo.country = "Iceland";
    idw_strlcpy(ev.tuid, "tuid-alice", sizeof ev.tuid);
    return ev;
}

static struct idw_alert_candidate candidate(enum idw_severity sev, int score)
{
    struct idw_alert_candidate c = {.severity = sev, .score = score, .window_ms = WINDOW,
                                    .mitre = "T1110", .stage = "Compromise Identity"};

    snprintf(c.entity, sizeof c.entity, "user:tuid-alice");
    snprintf(c.summary, sizeof c.summary, "failures at %s", idw_severity_name(sev));
    snprintf(c.evidence, sizeof c.evidence, "evidence %d", score);
    return c;
}

/* Raises c for an event at t in its own committed transaction; returns what happened. */
static enum idw_alert_change raise_at(struct fixture *f, int64_t t, const struct idw_alert_candidate *c)
{
    char uuid[32], err[256];
    struct idw_event ev = sign_in(f, t, uuid);
    struct idw_alert_origin o = {.domain = "acme", .rule = "brute_force", .ev = &ev};
    enum idw_alert_change change = 0;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_raise(f->al, f->st, txn, &o, c, &change, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    return change;
}

static json_t *get(struct fixture *f, const char *id)
{
    char err[256];
    json_t *a = NULL;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_find(f->st, txn, id, &a, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    return a;
}

static int count_one(const json_t *a, void *n)
{
    (void)a;
    ++*(int *)n;
    return 0;
}

static int count_alerts(struct fixture *f)
{
    char err[256];
    MDB_txn *txn;
    int n = 0;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_each(f->st, txn, count_one, &n, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    return n;
}

/* The id of the first alert the sink recorded (the calls are "<sink>:<id>:<version>"). */
static void recorded_id(const struct fixture *f, size_t call, char id[IDW_UUID_STRLEN])
{
    const char *s = strchr(f->seen.calls[call], ':') + 1;

    memcpy(id, s, IDW_UUID_STRLEN - 1);
    id[IDW_UUID_STRLEN - 1] = '\0';
}

static void test_create(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    char id[IDW_UUID_STRLEN], expect[IDW_UUID_STRLEN];
    json_t *a;

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    /* the id is derived from (domain, rule, entity, first event): replay gives the same alert */
    idw_uuid_derive("idwatch-alert:acme", "brute_force|user:tuid-alice|ev-0001", expect);
    recorded_id(f, 0, id);
    assert_string_equal(id, expect);
    a = get(f, id);
    assert_int_equal(idw_alert_version(a), 1);
    assert_int_equal(idw_alert_status(a), IDW_ALERT_OPEN);
    assert_int_equal(idw_alert_severity(a), IDW_SEV_MEDIUM);
    assert_string_equal(idw_alert_rule(a), "brute_force");
    assert_string_equal(idw_alert_domain(a), "acme");
    assert_string_equal(idw_alert_user(a), "alice@acme.example");
    assert_string_equal(idw_alert_tuid(a), "tuid-alice");
    assert_int_equal(json_integer_value(json_object_get(a, "event_count")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "context"), "asn")), "AS64777");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "context"), "ip_prefix")),
                        "198.51.100.0/24");
    assert_int_equal(f->seen.n, 1);
    json_decref(a);
}

static void test_aggregate_versions_1_2_3(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate low = candidate(IDW_SEV_MEDIUM, 40), high = candidate(IDW_SEV_HIGH, 70);
    char id[IDW_UUID_STRLEN], want[96];
    json_t *a;

    add_recorder(f, "x");
    add_recorder(f, "y");
    assert_int_equal(raise_at(f, T0, &low), IDW_ALERT_CREATED);
    assert_int_equal(raise_at(f, T0 + 5 * MIN, &low), IDW_ALERT_UPDATED);
    assert_int_equal(raise_at(f, T0 + 10 * MIN, &high), IDW_ALERT_ESCALATED);
    assert_int_equal(count_alerts(f), 1);
    recorded_id(f, 0, id);
    a = get(f, id);
    assert_int_equal(idw_alert_version(a), 3);
    assert_int_equal(json_integer_value(json_object_get(a, "event_count")), 3);
    assert_int_equal(json_array_size(json_object_get(a, "event_ids")), 3);
    assert_int_equal(idw_alert_severity(a), IDW_SEV_HIGH);
    assert_int_equal(json_integer_value(json_object_get(a, "score")), 70);
    assert_int_equal(idw_alert_last_seen_ms(a), T0 + 10 * MIN);
    json_decref(a);
    /* every version to every sink exactly once, in registration order, versions 1, 2, 3 */
    assert_int_equal(f->seen.n, 6);
    for (int v = 1; v <= 3; v++)
        for (int s = 0; s < 2; s++) {
            snprintf(want, sizeof want, "%s:%s:%d", s ? "y" : "x", id, v);
            assert_string_equal(f->seen.calls[(v - 1) * 2 + s], want);
        }
}

static void test_new_alert_after_window(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    char first[IDW_UUID_STRLEN], second[IDW_UUID_STRLEN];
    json_t *a;

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    assert_int_equal(raise_at(f, T0 + WINDOW, &c), IDW_ALERT_UPDATED);      /* the window's edge: same */
    assert_int_equal(raise_at(f, T0 + 2 * WINDOW + 1, &c), IDW_ALERT_CREATED);
    assert_int_equal(count_alerts(f), 2);
    recorded_id(f, 0, first);
    recorded_id(f, 2, second);
    assert_string_not_equal(first, second);
    a = get(f, second);
    assert_int_equal(idw_alert_version(a), 1);
    json_decref(a);
    a = get(f, first);
    assert_int_equal(idw_alert_version(a), 2);
    json_decref(a);
}

/* Reviews id in a committed transaction; returns the alert module's code, err in err. */
/* A review with the given note and assignee (NULL: none). */
static enum idw_rc review_full(struct fixture *f, const char *id, enum idw_alert_status to, const char *note,
                               const char *assignee, const char *by, int64_t at, char *err, size_t errlen)
{
    struct idw_persona_params prm;
    struct idw_alert_review r = {.to = to, .note = note, .assignee = assignee, .by = by, .at_ms = at,
                                 .prm = &prm};
    MDB_txn *txn;
    enum idw_rc rc;

    idw_persona_params_init(&prm, 30, 14, 5, 90);
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, errlen), 0);
    rc = idw_alert_review(f->al, f->st, txn, id, &r, NULL, err, errlen);
    if (rc == IDW_OK)
        assert_int_equal(idw_store_commit(txn, err, errlen), 0);
    else
        mdb_txn_abort(txn);
    return rc;
}

static enum idw_rc review(struct fixture *f, const char *id, enum idw_alert_status to, const char *by,
                          int64_t at, char *err, size_t errlen)
{
    return review_full(f, id, to, "checked", NULL, by, at, err, errlen);
}

static void test_new_alert_after_resolve(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    char id[IDW_UUID_STRLEN], err[256];

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    recorded_id(f, 0, id);
    assert_int_equal(review(f, id, IDW_ALERT_RESOLVED, "bob", T0 + MIN, err, sizeof err), IDW_OK);
    /* within the window, but the analyst closed it: new activity is a new alert */
    assert_int_equal(raise_at(f, T0 + 2 * MIN, &c), IDW_ALERT_CREATED);
    assert_int_equal(count_alerts(f), 2);
}

static void expect_history(const json_t *h, const char *status, const char *by, const char *time)
{
    assert_string_equal(json_string_value(json_object_get(h, "status")), status);
    assert_string_equal(json_string_value(json_object_get(h, "by")), by);
    assert_string_equal(json_string_value(json_object_get(h, "time")), time);
    assert_string_equal(json_string_value(json_object_get(h, "note")), "checked");
}

static void test_review_transitions(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    char id[IDW_UUID_STRLEN], err[256], t1[IDW_TIME_STRLEN], t2[IDW_TIME_STRLEN], t3[IDW_TIME_STRLEN];
    json_t *a, *h;

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    recorded_id(f, 0, id);
    idw_time_format(T0 + 1 * MIN, t1);
    idw_time_format(T0 + 2 * MIN, t2);
    idw_time_format(T0 + 3 * MIN, t3);

    assert_int_equal(review(f, "no-such-alert", IDW_ALERT_ACKNOWLEDGED, "bob", T0, err, sizeof err),
                     IDW_NOTFOUND);
    assert_int_equal(review(f, id, IDW_ALERT_ACKNOWLEDGED, "", T0, err, sizeof err), IDW_ERR);
    assert_int_equal(review(f, id, IDW_ALERT_ACKNOWLEDGED, "bob", T0 + 1 * MIN, err, sizeof err), IDW_OK);
    assert_int_equal(review(f, id, IDW_ALERT_ACKNOWLEDGED, "bob", T0, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "is acknowledged: it cannot become acknowledged"));
    assert_int_equal(review(f, id, IDW_ALERT_RESOLVED, "carol", T0 + 2 * MIN, err, sizeof err), IDW_OK);
    assert_int_equal(review(f, id, IDW_ALERT_ACKNOWLEDGED, "bob", T0, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "is resolved: it cannot become acknowledged"));
    /* no status change needs an assignee or a note */
    assert_int_equal(review_full(f, id, IDW_ALERT_OPEN, NULL, NULL, "bob", T0, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "needs a status, an assignee or a note"));
    assert_int_equal(review(f, id, IDW_ALERT_FALSE_POSITIVE, "dave", T0 + 3 * MIN, err, sizeof err), IDW_OK);
    assert_int_equal(review(f, id, IDW_ALERT_RESOLVED, "bob", T0, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "is false_positive: it cannot become resolved"));

    a = get(f, id);
    assert_int_equal(idw_alert_status(a), IDW_ALERT_FALSE_POSITIVE);
    assert_int_equal(idw_alert_version(a), 4);     /* created + three accepted reviews, no more */
    h = json_object_get(a, "history");
    assert_int_equal(json_array_size(h), 3);
    expect_history(json_array_get(h, 0), "acknowledged", "bob", t1);
    expect_history(json_array_get(h, 1), "resolved", "carol", t2);
    expect_history(json_array_get(h, 2), "false_positive", "dave", t3);
    json_decref(a);
    assert_int_equal(f->seen.n, 4);                /* refused reviews reached no sink */
    assert_string_equal(strrchr(f->seen.calls[3], ':'), ":4");
}

/* An assignment or a note alone is a new version with a history entry; the status stays. */
static void test_assign_and_note(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    char id[IDW_UUID_STRLEN], err[256];
    json_t *a, *h;

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    recorded_id(f, 0, id);
    assert_int_equal(review_full(f, id, IDW_ALERT_OPEN, NULL, "ann", "api:soar", T0 + MIN, err, sizeof err),
                     IDW_OK);
    assert_int_equal(review_full(f, id, IDW_ALERT_OPEN, "called the user", NULL, "ann", T0 + 2 * MIN, err,
                                 sizeof err), IDW_OK);
    assert_int_equal(review_full(f, id, IDW_ALERT_ACKNOWLEDGED, NULL, "", "ann", T0 + 3 * MIN, err,
                                 sizeof err), IDW_OK);
    a = get(f, id);
    assert_int_equal(idw_alert_version(a), 4);
    assert_int_equal(idw_alert_status(a), IDW_ALERT_ACKNOWLEDGED);
    assert_true(json_is_null(json_object_get(a, "assignee")));     /* "" unassigned */
    h = json_object_get(a, "history");
    assert_int_equal(json_array_size(h), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "status")), "open");
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "assignee")), "ann");
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "by")), "api:soar");
    assert_null(json_object_get(json_array_get(h, 1), "assignee"));     /* a note alone assigns nobody */
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "note")), "called the user");
    json_decref(a);
    assert_int_equal(f->seen.n, 4);     /* every version reached the sink */
}

/* A review told the alert's org reads it there (the API's direct path); another org has no such alert. */
static void test_review_in_domain(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    struct idw_alert_review r = {.to = IDW_ALERT_ACKNOWLEDGED, .by = "ann", .at_ms = T0 + MIN, .domain = "other"};
    char id[IDW_UUID_STRLEN], err[256];
    MDB_txn *txn;
    json_t *a;

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    recorded_id(f, 0, id);
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_review(f->al, f->st, txn, id, &r, NULL, err, sizeof err), IDW_NOTFOUND);
    r.domain = "acme";
    assert_int_equal(idw_alert_review(f->al, f->st, txn, id, &r, NULL, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    a = get(f, id);
    assert_int_equal(idw_alert_version(a), 2);
    assert_int_equal(idw_alert_status(a), IDW_ALERT_ACKNOWLEDGED);
    json_decref(a);
}

static void test_fp_teaches_persona(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_MEDIUM, 40);
    struct idw_persona *p = malloc(sizeof *p);
    char id[IDW_UUID_STRLEN], err[256];
    uint64_t gen, gen2;
    MDB_txn *txn;

    assert_non_null(p);
    idw_persona_init(p, "tuid-alice");
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_persona_put(f->st, txn, "acme", p, err, sizeof err), 0);
    assert_true(idw_store_persona_generation(f->st, txn, "acme", &gen, err, sizeof err) >= 0);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);

    add_recorder(f, "s");
    assert_int_equal(raise_at(f, T0, &c), IDW_ALERT_CREATED);
    recorded_id(f, 0, id);
    assert_int_equal(review(f, id, IDW_ALERT_ACKNOWLEDGED, "bob", T0 + MIN, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_persona_get(f->st, txn, "acme", "tuid-alice", p, err, sizeof err), 0);
    assert_null(idw_persona_knows(p, IDW_DIM_ASNS, "AS64777"));     /* an ack teaches nothing */
    mdb_txn_abort(txn);

    assert_int_equal(review(f, id, IDW_ALERT_FALSE_POSITIVE, "bob", T0 + 2 * MIN, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_persona_get(f->st, txn, "acme", "tuid-alice", p, err, sizeof err), 0);
    assert_non_null(idw_persona_knows(p, IDW_DIM_ASNS, "AS64777"));
    assert_non_null(idw_persona_knows(p, IDW_DIM_PREFIXES, "198.51.100.0/24"));
    assert_non_null(idw_persona_knows(p, IDW_DIM_COUNTRIES, "Iceland"));
    assert_non_null(idw_persona_knows(p, IDW_DIM_APPS, "Salesforce"));
    /* running pipelines see the generation move and reload the persona */
    assert_int_equal(idw_store_persona_generation(f->st, txn, "acme", &gen2, err, sizeof err), IDW_OK);
    assert_true(gen2 > gen);
    mdb_txn_abort(txn);
    free(p);
}

static void test_failing_sink_stores_nothing(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_HIGH, 60);
    struct idw_alert_sink no = {.fn = refuse};
    char uuid[32], err[256] = "";
    struct idw_event ev = sign_in(f, T0, uuid);
    struct idw_alert_origin o = {.domain = "acme", .rule = "brute_force", .ev = &ev};
    MDB_txn *txn;

    add_recorder(f, "s");
    assert_int_equal(idw_alerts_add_sink(f->al, &no), IDW_OK);
    /* the connector's own transaction: the module aborts it */
    snprintf(c.entity, sizeof c.entity, "org:acme");
    assert_int_equal(idw_alert_raise_connector(f->al, f->st, "acme", "connector_starved", &c, T0, err,
                                               sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "sink refused: disk full"));
    assert_int_equal(count_alerts(f), 0);
    /* an event's transaction: the call fails and the caller aborts */
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_raise(f->al, f->st, txn, &o, &c, NULL, err, sizeof err), IDW_ERR);
    mdb_txn_abort(txn);
    assert_int_equal(count_alerts(f), 0);
}

static void test_connector_alert(void **state)
{
    struct fixture *f = *state;
    struct idw_alert_candidate c = candidate(IDW_SEV_HIGH, 60);
    char id[IDW_UUID_STRLEN], err[256];
    json_t *a;

    add_recorder(f, "s");
    snprintf(c.entity, sizeof c.entity, "org:acme");
    assert_int_equal(idw_alert_raise_connector(f->al, f->st, "acme", "connector_starved", &c, T0, err,
                                               sizeof err), IDW_OK);
    snprintf(c.summary, sizeof c.summary, "still starved");
    assert_int_equal(idw_alert_raise_connector(f->al, f->st, "acme", "connector_starved", &c, T0 + MIN,
                                               err, sizeof err), IDW_OK);
    assert_int_equal(count_alerts(f), 1);
    recorded_id(f, 0, id);
    a = get(f, id);
    assert_int_equal(idw_alert_version(a), 2);
    assert_int_equal(json_integer_value(json_object_get(a, "event_count")), 0);
    assert_null(idw_alert_tuid(a));
    assert_true(json_is_null(json_object_get(a, "context")));
    assert_string_equal(json_string_value(json_object_get(a, "summary")), "still starved");
    assert_int_equal(idw_alert_last_seen_ms(a), T0 + MIN);
    json_decref(a);
    assert_int_equal(f->seen.n, 2);
}

/* A read error is not "absent": `outbox retry` must not re-send a stale alert on one. */
static void test_read_error_is_not_absent(void **state)
{
    struct fixture *f = *state;
    MDB_dbi alerts = f->st->alerts;
    char err[256] = "";
    json_t *a = NULL;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_get(f->st, txn, "acme", "nope", &a, err, sizeof err), IDW_NOTFOUND);
    f->st->alerts = 4242;           /* no such table in this environment: mdb_get fails */
    assert_int_equal(idw_alert_get(f->st, txn, "acme", "nope", &a, err, sizeof err), IDW_ERR);
    assert_null(a);
    assert_true(err[0] != '\0');
    f->st->alerts = alerts;
    mdb_txn_abort(txn);
}

/* Stores a minimal alert document {alert_id} under (domain, id). */
static void put_alert(struct fixture *f, MDB_txn *txn, const char *domain, const char *id)
{
    char doc[128], err[256];

    snprintf(doc, sizeof doc, "{\"alert_id\":\"%s\"}", id);
    assert_int_equal(idw_store_kv_put(f->st, txn, f->st->alerts, domain, id, NULL, doc, strlen(doc),
                                      err, sizeof err), IDW_OK);
}

/* What an analyst (or the HTTP API) types: a unique prefix finds, a shared one lists, a bad one is refused. */
static void test_find_prefix(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", id[IDW_UUID_STRLEN];
    json_t *a = NULL, *cands = NULL;
    MDB_txn *txn;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    put_alert(f, txn, "acme", "abcd1234-0000-4000-8000-000000000001");
    put_alert(f, txn, "acme", "abcd1299-0000-4000-8000-000000000002");
    put_alert(f, txn, "beta", "abcd1234-0000-4000-8000-000000000001");     /* the same id in another org */
    put_alert(f, txn, "beta", "ffff0000-0000-4000-8000-000000000003");
    put_alert(f, txn, "acme", "12340001-0000-4000-8000-000000000004");     /* sorted across orgs */
    put_alert(f, txn, "beta", "12340000-0000-4000-8000-000000000005");
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof id, "eeee%04d-0000-4000-8000-000000000000", 29 - i);
        put_alert(f, txn, "acme", id);
    }
    /* unique, in any case, from 4 characters to the full id */
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "FFFF", &a, &cands, err, sizeof err), IDW_OK);
    assert_string_equal(idw_alert_id(a), "ffff0000-0000-4000-8000-000000000003");
    assert_null(cands);
    json_decref(a);
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "abcd1234", &a, &cands, err, sizeof err), IDW_OK);
    assert_string_equal(idw_alert_id(a), "abcd1234-0000-4000-8000-000000000001");
    json_decref(a);
    /* shared: the candidates, sorted, at most IDW_ALERT_PREFIX_LIST */
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "abcd12", &a, &cands, err, sizeof err), IDW_EXISTS);
    assert_null(a);
    assert_int_equal(json_array_size(cands), 2);
    assert_string_equal(json_string_value(json_array_get(cands, 0)), "abcd1234-0000-4000-8000-000000000001");
    assert_string_equal(json_string_value(json_array_get(cands, 1)), "abcd1299-0000-4000-8000-000000000002");
    json_decref(cands);
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "1234", &a, &cands, err, sizeof err), IDW_EXISTS);
    assert_string_equal(json_string_value(json_array_get(cands, 0)), "12340000-0000-4000-8000-000000000005");
    assert_string_equal(json_string_value(json_array_get(cands, 1)), "12340001-0000-4000-8000-000000000004");
    json_decref(cands);
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "eeee", &a, &cands, err, sizeof err), IDW_EXISTS);
    assert_int_equal(json_array_size(cands), IDW_ALERT_PREFIX_LIST);
    assert_string_equal(json_string_value(json_array_get(cands, 0)), "eeee0000-0000-4000-8000-000000000000");
    json_decref(cands);
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "eeee", &a, NULL, err, sizeof err), IDW_EXISTS);
    /* none, too short, not an id */
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "0124", &a, &cands, err, sizeof err), IDW_NOTFOUND);
    assert_null(a);
    assert_null(cands);
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "abc", &a, &cands, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "at least 4 characters"));
    assert_int_equal(idw_alert_find_prefix(f->st, txn, "abcd'; x", &a, &cands, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "expected hex digits"));
    mdb_txn_abort(txn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_versions_1_2_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_alert_after_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_alert_after_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign_and_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_in_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fp_teaches_persona, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_sink_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connector_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_error_is_not_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_prefix, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
