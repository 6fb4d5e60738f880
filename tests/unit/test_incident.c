/*
 * test_incident.c — grouping alerts into incidents (alert/incident.h) on a
 * temporary LMDB with hand-built events and a recording incident sink:
 * the same person within the window is one incident, outside it two; an
 * admin acting on a user links the admin's own alerts and the user's; a
 * source's alerts group by IP; the takeover chain (access, then control
 * about the same person) raises the incident to critical, the reverse
 * order does not, and a takeover is named after its victim; every change is a version one higher, handed to the
 * sink; a review that closes the last open alert resolves the incident.
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
#include "common/util.h"
#include "event/classify.h"
#include "store/store.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define T0 1790000000000LL      /* 2026-09-21 */

/* "<incident_id>:<version>" per incident version the sink was handed, in order. */
struct seen {
    char calls[64][64];
    size_t n;
};

struct fixture {
    char dir[64];
    struct idw_store *st;
    struct idw_alerts *al;
    struct seen seen;
    int uuids;
};

static enum idw_rc record(struct idw_store *st, MDB_txn *txn, const json_t *inc, void *ctx,
                          char *err, size_t errlen)
{
    struct seen *s = ctx;

    (void)st;
    (void)txn;
    (void)err;
    (void)errlen;
    if (s->n < 64)
        snprintf(s->calls[s->n++], 64, "%s:%lld", idw_incident_id(inc),
                 (long long)json_integer_value(json_object_get(inc, "version")));
    return IDW_OK;
}

static int setup(void **state)
{
    static struct fixture f;
    char err[256];
    struct idw_alert_sink s = {.fn = record, .ctx = &f.seen, .release = NULL};

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-incident-XXXXXX");
    if (!mkdtemp(f.dir) || idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        !(f.al = idw_alerts_new()) || idw_alerts_add_incident_sink(f.al, &s) != IDW_OK)
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

/* Who an alert is about and who acted; NULL subject: keyed by the source ip. */
struct who {
    const char *rule;
    const char *subject;            /* "alice": Okta id "00ualice", login "alice@acme.example" */
    const char *actor;              /* an admin acting on the subject: Okta id "00u<actor>" */
    const char *ip;
    enum idw_severity sev;
    const char *entity;             /* the aggregation key, when not user:<tuid> or ip:<ip> */
};

/* Raises one alert for w at t in its own transaction; returns the stored alert. */
static json_t *raise_at(struct fixture *f, int64_t t, const struct who *w)
{
    static const struct idw_kind kind = {.okta_type = "user.session.start"};
    struct idw_event ev = {.published_ms = t, .kind = &kind, .ip = w->ip, .subject_is_actor = 1};
    char uuid[32], err[256], login[64], alogin[64], aid[32], sid[32];
    struct idw_alert_origin o = {.domain = "acme", .rule = w->rule, .ev = &ev};
    struct idw_alert_candidate c = {.severity = w->sev, .score = 50, .window_ms = 30 * MIN, .mitre = "T1078"};
    json_t *a = NULL;
    MDB_txn *txn;

    snprintf(uuid, sizeof uuid, "ev-%04d", ++f->uuids);
    ev.uuid = uuid;
    if (w->subject) {
        snprintf(login, sizeof login, "%s@acme.example", w->subject);
        ev.subject.login = login;
        snprintf(sid, sizeof sid, "00u%s", w->subject);
        idw_store_derive_tuid("acme", sid, ev.tuid);    /* as the pipeline gives a new person */
        snprintf(c.entity, sizeof c.entity, "user:%s", ev.tuid);
    } else {
        snprintf(c.entity, sizeof c.entity, "ip:%s", w->ip);
    }
    if (w->subject) {           /* the subject acted, unless an actor is named below */
        snprintf(aid, sizeof aid, "00u%s", w->subject);
        ev.actor = (struct idw_principal){.id = aid, .type = "User", .login = login};
        ev.actor_is_human = 1;
    }
    if (w->entity)
        snprintf(c.entity, sizeof c.entity, "%s", w->entity);
    if (w->actor) {
        snprintf(alogin, sizeof alogin, "%s@acme.example", w->actor);
        snprintf(aid, sizeof aid, "00u%s", w->actor);
        ev.actor = (struct idw_principal){.id = aid, .type = "User", .login = alogin};
        ev.subject_is_actor = 0;
        ev.actor_is_human = 1;
    }
    snprintf(c.summary, sizeof c.summary, "%s about %s", w->rule, w->subject ? w->subject : w->ip);
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_raise(f->al, f->st, txn, &o, &c, NULL, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    /* the newest alert of the rule for this entity */
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    {
        char id[IDW_UUID_STRLEN];
        size_t n = 0;
        assert_int_equal(idw_store_kv_get(f->st, txn, f->st->alert_key, w->rule, "acme", c.entity, id,
                                          sizeof id - 1, &n, err, sizeof err), IDW_OK);
        id[n] = '\0';
        assert_int_equal(idw_alert_get(f->st, txn, "acme", id, &a, err, sizeof err), IDW_OK);
    }
    mdb_txn_abort(txn);
    return a;
}

static json_t *incident(struct fixture *f, const json_t *alert)
{
    char err[256];
    json_t *inc = NULL;
    MDB_txn *txn;

    assert_non_null(idw_alert_incident_id(alert));
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_incident_find(f->st, txn, idw_alert_incident_id(alert), &inc, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    return inc;
}

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static json_int_t iget(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static int count_one(const json_t *inc, void *n)
{
    (void)inc;
    ++*(int *)n;
    return 0;
}

static int count_incidents(struct fixture *f)
{
    char err[256];
    MDB_txn *txn;
    int n = 0;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_incident_each(f->st, txn, count_one, &n, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    return n;
}

static void test_same_person_within_window(void **state)
{
    struct fixture *f = *state;
    const struct who a = {.rule = "new_context", .subject = "alice", .ip = "198.51.100.7", .sev = IDW_SEV_MEDIUM};
    const struct who b = {.rule = "impossible_travel", .subject = "alice", .ip = "203.0.113.5",
                          .sev = IDW_SEV_HIGH};
    json_t *x = raise_at(f, T0, &a), *y = raise_at(f, T0 + 23 * HOUR, &b), *inc = incident(f, y);
    char expect[IDW_UUID_STRLEN], ns[64];

    assert_string_equal(idw_alert_incident_id(x), idw_alert_incident_id(y));
    assert_int_equal(count_incidents(f), 1);
    /* the id is derived from the org and the first alert's id */
    snprintf(ns, sizeof ns, "idwatch-incident:acme");
    idw_uuid_derive(ns, idw_alert_id(x), expect);
    assert_string_equal(idw_incident_id(inc), expect);
    assert_int_equal(iget(inc, "alert_count"), 2);
    assert_string_equal(sget(inc, "severity"), "high");
    assert_string_equal(sget(inc, "status"), "open");
    assert_string_equal(sget(inc, "title"), "Suspicious activity: alice@acme.example");
    assert_int_equal(iget(inc, "first_seen_ms"), T0);
    assert_int_equal(iget(inc, "last_seen_ms"), T0 + 23 * HOUR);
    assert_int_equal(json_array_size(json_object_get(inc, "timeline")), 2);
    /* versions 1 then 2, each handed to the sink once */
    assert_int_equal(f->seen.n, 2);
    snprintf(ns, sizeof ns, "%s:1", expect);
    assert_string_equal(f->seen.calls[0], ns);
    snprintf(ns, sizeof ns, "%s:2", expect);
    assert_string_equal(f->seen.calls[1], ns);
    json_decref(x);
    json_decref(y);
    json_decref(inc);
}

static void test_outside_window_two_incidents(void **state)
{
    struct fixture *f = *state;
    const struct who a = {.rule = "new_context", .subject = "alice", .ip = "198.51.100.7", .sev = IDW_SEV_MEDIUM};
    const struct who b = {.rule = "impossible_travel", .subject = "alice", .ip = "203.0.113.5",
                          .sev = IDW_SEV_HIGH};
    json_t *x = raise_at(f, T0, &a), *y = raise_at(f, T0 + 25 * HOUR, &b);

    assert_string_not_equal(idw_alert_incident_id(x), idw_alert_incident_id(y));
    assert_int_equal(count_incidents(f), 2);
    json_decref(x);
    json_decref(y);
}

static void test_admin_links_grantee_and_own(void **state)
{
    struct fixture *f = *state;
    const struct who grant = {.rule = "privilege_grant", .subject = "bob", .actor = "root", .ip = "198.51.100.9",
                              .sev = IDW_SEV_HIGH};
    const struct who own = {.rule = "new_context", .subject = "root", .ip = "198.51.100.9", .sev = IDW_SEV_MEDIUM};
    const struct who bobs = {.rule = "mfa_fatigue", .subject = "bob", .ip = "192.0.2.1", .sev = IDW_SEV_MEDIUM};
    const struct who other = {.rule = "mfa_fatigue", .subject = "carol", .ip = "192.0.2.2", .sev = IDW_SEV_MEDIUM};
    json_t *g = raise_at(f, T0, &grant), *r, *b, *c, *inc;
    char root_tuid[IDW_UUID_STRLEN], bob_tuid[IDW_UUID_STRLEN];

    idw_store_derive_tuid("acme", "00uroot", root_tuid);
    idw_store_derive_tuid("acme", "00ubob", bob_tuid);
    assert_string_equal(idw_alert_actor(g), "root@acme.example");
    assert_string_equal(idw_alert_actor_tuid(g), root_tuid);
    assert_string_equal(idw_alert_tuid(g), bob_tuid);
    /* the admin's own alert and the grantee's later one both join the grant's incident */
    r = raise_at(f, T0 + HOUR, &own);
    assert_string_equal(idw_alert_incident_id(r), idw_alert_incident_id(g));
    b = raise_at(f, T0 + 2 * HOUR, &bobs);
    c = raise_at(f, T0 + 3 * HOUR, &other);
    assert_string_equal(idw_alert_incident_id(b), idw_alert_incident_id(g));
    assert_string_not_equal(idw_alert_incident_id(c), idw_alert_incident_id(g));
    assert_null(idw_alert_actor(b));
    inc = incident(f, g);
    assert_int_equal(json_array_size(json_object_get(inc, "people")), 2);
    assert_string_equal(sget(json_array_get(json_object_get(inc, "people"), 0), "user"), "bob@acme.example");
    assert_string_equal(sget(json_array_get(json_object_get(inc, "people"), 1), "user"), "root@acme.example");
    json_decref(r);
    json_decref(b);
    json_decref(c);
    json_decref(g);
    json_decref(inc);
}

static void test_source_alerts_group_by_ip(void **state)
{
    struct fixture *f = *state;
    const struct who a = {.rule = "password_spray", .ip = "203.0.113.9", .sev = IDW_SEV_MEDIUM};
    const struct who b = {.rule = "brute_force", .ip = "203.0.113.9", .sev = IDW_SEV_HIGH};
    const struct who c = {.rule = "brute_force", .ip = "203.0.113.10", .sev = IDW_SEV_HIGH};
    /* an alert about a person joins by people, not by the source it came from */
    const struct who d = {.rule = "new_context", .subject = "erin", .ip = "203.0.113.9", .sev = IDW_SEV_LOW};
    json_t *x = raise_at(f, T0, &a), *y = raise_at(f, T0 + HOUR, &b), *z = raise_at(f, T0 + HOUR, &c);
    json_t *inc = incident(f, x), *u = raise_at(f, T0 + 2 * HOUR, &d);

    assert_string_not_equal(idw_alert_incident_id(u), idw_alert_incident_id(x));
    json_decref(u);

    assert_string_equal(idw_alert_incident_id(x), idw_alert_incident_id(y));
    assert_string_not_equal(idw_alert_incident_id(x), idw_alert_incident_id(z));
    assert_string_equal(sget(inc, "title"), "Password spray from 203.0.113.9");
    assert_int_equal(json_array_size(json_object_get(inc, "people")), 0);
    json_decref(x);
    json_decref(y);
    json_decref(z);
    json_decref(inc);
}

static void test_takeover_chain_raises_severity(void **state)
{
    struct fixture *f = *state;
    const struct who access = {.rule = "factor_reset", .subject = "alice", .actor = "hd", .ip = "198.51.100.7",
                               .sev = IDW_SEV_MEDIUM};
    const struct who control = {.rule = "okta_api_token_created", .subject = "alice", .ip = "185.220.101.3",
                                .sev = IDW_SEV_MEDIUM};
    json_t *x = raise_at(f, T0, &access), *inc = incident(f, x), *y;

    assert_false(json_is_true(json_object_get(inc, "takeover")));
    assert_string_equal(sget(inc, "severity"), "medium");
    json_decref(inc);
    y = raise_at(f, T0 + HOUR, &control);
    inc = incident(f, y);
    assert_string_equal(idw_alert_incident_id(x), idw_alert_incident_id(y));
    assert_true(json_is_true(json_object_get(inc, "takeover")));
    assert_string_equal(sget(inc, "severity"), "critical");
    assert_string_equal(sget(inc, "title"), "Account takeover: alice@acme.example");
    assert_string_equal(sget(x, "severity"), "medium");    /* the alerts keep their own severity */
    json_decref(x);
    json_decref(y);
    json_decref(inc);
}

/* A role granted to a group is filed under the group: the admin who granted it is its actor. */
static void test_group_grant_has_its_admin(void **state)
{
    struct fixture *f = *state;
    const struct who grant = {.rule = "privilege_grant", .subject = "root", .ip = "198.51.100.9",
                              .sev = IDW_SEV_HIGH, .entity = "group:00gadmins"};
    const struct who own = {.rule = "new_context", .subject = "root", .ip = "198.51.100.9", .sev = IDW_SEV_MEDIUM};
    const struct who spray = {.rule = "brute_force", .subject = "erin", .ip = "203.0.113.4", .sev = IDW_SEV_MEDIUM,
                              .entity = "ip:203.0.113.4"};
    json_t *g = raise_at(f, T0, &grant), *r = raise_at(f, T0 + HOUR, &own), *b = raise_at(f, T0, &spray);
    char root_tuid[IDW_UUID_STRLEN];

    idw_store_derive_tuid("acme", "00uroot", root_tuid);
    assert_null(idw_alert_tuid(g));
    assert_string_equal(idw_alert_actor(g), "root@acme.example");
    assert_string_equal(idw_alert_actor_tuid(g), root_tuid);
    assert_string_equal(idw_alert_incident_id(r), idw_alert_incident_id(g));
    assert_null(idw_alert_actor(r));            /* root acted on root's own account */
    assert_null(idw_alert_actor(b));            /* keyed by a source: the account tried is no actor */
    json_decref(g);
    json_decref(r);
    json_decref(b);
}

/* The takeover is named after the person taken over, not the incident's first person. */
static void test_takeover_names_the_victim(void **state)
{
    struct fixture *f = *state;
    const struct who reset = {.rule = "factor_reset", .subject = "bob", .actor = "alice", .ip = "192.0.2.7",
                              .sev = IDW_SEV_LOW};
    const struct who access = {.rule = "new_context", .subject = "alice", .ip = "185.220.101.3",
                               .sev = IDW_SEV_MEDIUM};
    const struct who control = {.rule = "okta_api_token_created", .subject = "alice", .ip = "185.220.101.3",
                                .sev = IDW_SEV_MEDIUM};
    json_t *x = raise_at(f, T0, &reset), *y = raise_at(f, T0 + HOUR, &access);
    json_t *z = raise_at(f, T0 + 2 * HOUR, &control), *inc = incident(f, z);

    assert_string_equal(idw_alert_incident_id(x), idw_alert_incident_id(z));
    assert_string_equal(sget(json_array_get(json_object_get(inc, "people"), 0), "user"), "bob@acme.example");
    assert_string_equal(sget(inc, "title"), "Account takeover: alice@acme.example");
    json_decref(x);
    json_decref(y);
    json_decref(z);
    json_decref(inc);
}

static void test_control_before_access_is_no_takeover(void **state)
{
    struct fixture *f = *state;
    const struct who control = {.rule = "okta_api_token_created", .subject = "alice", .ip = "198.51.100.7",
                                .sev = IDW_SEV_LOW};
    const struct who access = {.rule = "new_context", .subject = "alice", .ip = "185.220.101.3",
                               .sev = IDW_SEV_MEDIUM};
    json_t *x = raise_at(f, T0, &control), *y = raise_at(f, T0 + HOUR, &access), *inc = incident(f, y);

    assert_string_equal(idw_alert_incident_id(x), idw_alert_incident_id(y));
    assert_false(json_is_true(json_object_get(inc, "takeover")));
    assert_string_equal(sget(inc, "severity"), "medium");
    json_decref(x);
    json_decref(y);
    json_decref(inc);
}

static void test_versions_and_review(void **state)
{
    struct fixture *f = *state;
    const struct who a = {.rule = "mfa_fatigue", .subject = "dave", .ip = "192.0.2.4", .sev = IDW_SEV_MEDIUM};
    json_t *x = raise_at(f, T0, &a), *y = raise_at(f, T0 + MIN, &a), *inc;
    struct idw_alert_review r = {.to = IDW_ALERT_RESOLVED, .by = "tester", .at_ms = T0 + HOUR};
    char err[256], want[64];
    MDB_txn *txn;

    /* folded into the same alert: the incident moves one version, keeps one alert */
    assert_string_equal(idw_alert_id(x), idw_alert_id(y));
    inc = incident(f, y);
    assert_int_equal(iget(inc, "version"), 2);
    assert_int_equal(iget(inc, "alert_count"), 1);
    json_decref(inc);
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_review(f->al, f->st, txn, idw_alert_id(x), &r, NULL, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    inc = incident(f, y);
    assert_int_equal(iget(inc, "version"), 3);
    assert_string_equal(sget(inc, "status"), "resolved");
    assert_int_equal(iget(inc, "open_alerts"), 0);
    assert_int_equal(f->seen.n, 3);
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "%s:%zu", idw_incident_id(inc), i + 1);
        assert_string_equal(f->seen.calls[i], want);
    }
    json_decref(inc);
    /* resolved -> false_positive changes nothing about the incident: no new version, nothing published */
    r.to = IDW_ALERT_FALSE_POSITIVE;
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_alert_review(f->al, f->st, txn, idw_alert_id(x), &r, NULL, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    inc = incident(f, y);
    assert_int_equal(iget(inc, "version"), 3);
    assert_int_equal(f->seen.n, 3);
    json_decref(x);
    json_decref(y);
    json_decref(inc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_person_within_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_window_two_incidents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_links_grantee_and_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_alerts_group_by_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_chain_raises_severity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_names_the_victim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_grant_has_its_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_before_access_is_no_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_and_review, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
