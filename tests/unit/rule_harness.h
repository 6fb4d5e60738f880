/*
 * rule_harness.h — the shared harness of the per-rule unit tests
 * (tests/unit/test_rule_<id>.c): hand-built Okta LogEvents fed through the
 * real pipeline into a throw-away LMDB store, and the alerts read back.
 *
 * Header-only (static functions): each test_*.c is compiled alone with
 * -Itests/unit and linked with libidwatch.a.  Events go through
 * engine/pipeline.h exactly as in production — normalization, identity,
 * persona learning (before the rule, as baseline), every enabled rule,
 * baseline hygiene — with no GeoIP database: each event carries Okta's own
 * geographicalContext and securityContext.asNumber, so nothing depends on
 * the data/ databases.  Every time is event time (T0 and offsets): no
 * sleeps, no wall clock (T0 lies safely in the past, so the pipeline's
 * "future" guard never fires).
 *
 * Narrow on purpose: it uses only the public headers of the engine, the
 * detection engine, the store and the rule interface, and reads alerts in
 * ONE function (rh_alerts) so the move of alert storage into src/alert/
 * re-points one place.
 *
 * Use:
 *     static void test_x(void **state) {
 *         struct rh *h = *state;
 *         rh_open(h, "brute_force", "{\"min_failures\": 5}");   // NULL: defaults
 *         int64_t t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
 *         rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_VPS, .outcome = "FAILURE"});
 *         const json_t *a = rh_alert(h, "brute_force", ALICE);   // asserts there is one
 *         rh_check(a, "medium", 50, 50, 1);
 *     }
 *     ... cmocka_unit_test(RH_TEST(test_x)) ...
 */
#ifndef IDW_RULE_HARNESS_H
#define IDW_RULE_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/config.h"
#include "common/util.h"
#include "engine/detect.h"
#include "engine/pipeline.h"
#include "rules/rule.h"
#include "store/store.h"

#define RH_DOMAIN "acme"
#define RH_MIN 60000LL
#define RH_HOUR 3600000LL
#define RH_DAY 86400000LL
#define RH_T0 1736150400000LL       /* Monday 2025-01-06 08:00 UTC */

/* A place a client can be: network and Okta's geolocation of it. */
struct rh_place {
    const char *ip;
    unsigned asn;
    const char *as_org;
    const char *city, *country;
    double lat, lon;
};

static const struct rh_place RH_DUBLIN = {"86.40.1.10", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26};
static const struct rh_place RH_CORK = {"86.41.2.10", 5466, "eircom", "Cork", "Ireland", 51.90, -8.47};
static const struct rh_place RH_LONDON = {"81.2.69.10", 2856, "British Telecommunications", "London",
                                          "United Kingdom", 51.51, -0.13};
static const struct rh_place RH_NYC = {"71.190.2.20", 701, "Verizon", "New York", "United States",
                                       40.71, -74.01};
static const struct rh_place RH_CHICAGO_MOBILE = {"172.58.10.20", 21928, "T-Mobile USA", "Chicago",
                                                  "United States", 41.88, -87.63};
static const struct rh_place RH_SYDNEY = {"203.0.113.66", 45671, "Evil Host", "Sydney", "Australia",
                                          -33.87, 151.21};
static const struct rh_place RH_VPS = {"185.220.101.12", 64500, "cheap vps", "Bucharest", "Romania",
                                       44.43, 26.10};

/*
 * One Okta LogEvent, by the few fields rules read.  Zero/NULL fields are
 * left out of the JSON.  actor NULL is Okta's system principal; a login
 * is also the person's Okta id ("00u" + login).
 */
struct rh_ev {
    const char *type;           /* eventType; NULL: user.session.start */
    int64_t t;                  /* published, epoch ms */
    const char *actor;          /* acting person's login */
    const char *unknown_login;  /* a username Okta does not know (actor id "unknown") */
    const char *target_user;    /* a User target: the subject of an admin action */
    const struct rh_place *at;  /* network and place (ip, asn, geo) */
    const char *ip;             /* overrides at->ip */
    unsigned asn;               /* overrides at->asn */
    int proxy;                  /* securityContext.isProxy: 1 true, else false */
    const char *outcome;        /* NULL: SUCCESS */
    const char *reason;         /* outcome.reason */
    const char *session;        /* authenticationContext.externalSessionId */
    const char *root_session;   /* authenticationContext.rootSessionId */
    const char *dt;             /* debugData.dtHash */
    const char *os, *browser;   /* client.userAgent; NULL: "Mac OS X", "CHROME" */
    const char *ua;             /* client.userAgent.rawUserAgent */
    const char *factor;         /* debugData.factor */
    const char *transaction;    /* transaction.id */
    json_t *debug;              /* more debugData keys (reference stolen) */
    json_t *targets;            /* more target[] entries, an array (reference stolen) */
};

struct rh {
    char dir[64], rules[96];
    struct idw_config cfg;
    int cfg_loaded;
    struct idw_store *st;
    struct idw_detect *d;
    struct idw_pipeline *pl;
    int n;                      /* events fed, for uuids */
    json_t *last;               /* the alerts read last (rh_alert's results point into it) */
};

/* cmocka fixture: a zeroed harness per test, closed whatever the test's outcome. */
static inline void rh_close(struct rh *h);

static inline int rh_setup(void **state)
{
    *state = calloc(1, sizeof(struct rh));
    return *state ? 0 : -1;
}

static inline int rh_teardown(void **state)
{
    rh_close(*state);
    free(*state);
    return 0;
}

#define RH_TEST(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

/* The person's Okta id: "00u" + login. */
static inline void rh_okta_id(const char *login, char *out, size_t outlen)
{
    snprintf(out, outlen, "00u%s", login);
}

/* "user:<tuid>": the entity of a user-keyed alert about login. */
static inline void rh_user_entity(const char *login, char *out, size_t outlen)
{
    char id[160], tuid[IDW_UUID_STRLEN];

    rh_okta_id(login, id, sizeof id);
    idw_store_derive_tuid(RH_DOMAIN, id, tuid);
    snprintf(out, outlen, "user:%s", tuid);
}

/* Writes text to dir/name. */
static inline void rh_write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/*
 * A fresh store with every rule at its defaults, except rule, which gets
 * config (the text of rules/<rule>.json; NULL: its defaults too).
 */
static inline void rh_open(struct rh *h, const char *rule, const char *config)
{
    struct idw_pipeline_opts po = {.domain_id = RH_DOMAIN};
    char err[512], name[96];

    snprintf(h->dir, sizeof h->dir, "/tmp/idw-rule-XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    snprintf(h->rules, sizeof h->rules, "%s/rules", h->dir);
    assert_int_equal(mkdir(h->rules, 0700), 0);
    if (config) {
        snprintf(name, sizeof name, "%s.json", rule);
        rh_write_file(h->rules, name, config);
    }
    assert_int_equal(idw_config_load(NULL, &h->cfg, err, sizeof err), 0);
    h->cfg_loaded = 1;
    if (idw_store_open(h->dir, 64, IDW_STORE_NOSYNC, &h->st, err, sizeof err) < 0 ||
        idw_detect_open(h->rules, &h->d, err, sizeof err) < 0)
        fail_msg("rh_open(%s): %s", rule, err);
    po.detect = h->d;
    if (idw_pipeline_open(h->st, &h->cfg, &po, &h->pl, err, sizeof err) < 0)
        fail_msg("rh_open(%s): %s", rule, err);
}

/*
 * A rules directory whose rule file holds config must be refused by the
 * engine, its message naming that file; err gets the message, for the
 * test to look for the key and the range in it.
 */
#define rh_refused(rule, config, err, errlen) rh_refused_at(rule, config, err, errlen, __FILE__, __LINE__)
static inline void rh_refused_at(const char *rule, const char *config, char *err, size_t errlen,
                                 const char *file, int line)
{
    char dir[] = "/tmp/idw-rule-XXXXXX", name[96], path[160], cmd[96];
    struct idw_detect *d = NULL;
    int rc;

    assert_non_null(mkdtemp(dir));
    snprintf(name, sizeof name, "%s.json", rule);
    rh_write_file(dir, name, config);
    err[0] = '\0';
    rc = idw_detect_open(dir, &d, err, errlen);
    idw_detect_close(d);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rule_harness: could not remove %s\n", dir);
    snprintf(path, sizeof path, "%s/%s: ", dir, name);
    if (rc != -1)
        fail_msg("%s:%d: %s accepted: %s", file, line, name, config);
    if (!strstr(err, path))
        fail_msg("%s:%d: refusal of %s does not name the file: %s", file, line, name, err);
}

/* The refusal err names the key and the allowed range (the text after the key). */
#define rh_names(err, s) rh_names_at(err, s, __FILE__, __LINE__)
static inline void rh_names_at(const char *err, const char *s, const char *file, int line)
{
    if (!strstr(err, s))
        fail_msg("%s:%d: refusal lacks \"%s\": %s", file, line, s, err);
}

/*
 * The text of a rule file whose key is a list of n strings: n - 1 fillers
 * that match nothing ("zz-filler-<i>"), then last.  Freed with free().
 */
static inline char *rh_list_config(const char *key, unsigned n, const char *last)
{
    json_t *list = json_array(), *file;
    char filler[32];
    char *text;

    for (unsigned i = 0; i + 1 < n; i++) {
        snprintf(filler, sizeof filler, "zz-filler-%u", i);
        json_array_append_new(list, json_string(filler));
    }
    json_array_append_new(list, json_string(last));
    file = json_pack("{s:o}", key, list);
    text = json_dumps(file, 0);
    json_decref(file);
    assert_non_null(text);
    return text;
}

static inline void rh_close(struct rh *h)
{
    char cmd[128];

    if (h->pl)
        idw_pipeline_close(h->pl);
    if (h->d)
        idw_detect_close(h->d);
    if (h->st)
        idw_store_close(h->st);
    if (h->cfg_loaded)
        idw_config_free(&h->cfg);
    json_decref(h->last);
    if (h->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "rule_harness: could not remove %s\n", h->dir);
    }
    memset(h, 0, sizeof *h);
}

/* Sets key to a string when s is given. */
static inline void rh_set_str(json_t *o, const char *key, const char *s)
{
    if (s)
        json_object_set_new(o, key, json_string(s));
}

static inline json_t *rh_person(const char *login)
{
    char id[160];

    rh_okta_id(login, id, sizeof id);
    return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", "User", "alternateId", login,
                     "displayName", login);
}

static inline json_t *rh_actor(const struct rh_ev *e)
{
    if (e->unknown_login)
        return json_pack("{s:s, s:s, s:s}", "id", "unknown", "type", "User", "alternateId",
                         e->unknown_login);
    if (e->actor)
        return rh_person(e->actor);
    return json_pack("{s:s, s:s, s:s}", "id", "0oa1system", "type", "SystemPrincipal", "alternateId",
                     "system@okta.com");
}

static inline json_t *rh_client(const struct rh_ev *e)
{
    const struct rh_place *p = e->at;
    json_t *c = json_object(), *ua = json_object(), *gc;

    rh_set_str(c, "ipAddress", e->ip ? e->ip : p ? p->ip : NULL);
    json_object_set_new(c, "device", json_string("Computer"));
    rh_set_str(ua, "os", e->os ? e->os : "Mac OS X");
    rh_set_str(ua, "browser", e->browser ? e->browser : "CHROME");
    rh_set_str(ua, "rawUserAgent", e->ua);
    json_object_set_new(c, "userAgent", ua);
    if (p && (p->city || p->country)) {
        gc = json_object();
        rh_set_str(gc, "city", p->city);
        rh_set_str(gc, "country", p->country);
        json_object_set_new(gc, "geolocation", json_pack("{s:f, s:f}", "lat", p->lat, "lon", p->lon));
        json_object_set_new(c, "geographicalContext", gc);
    }
    return c;
}

static inline json_t *rh_security(const struct rh_ev *e)
{
    const struct rh_place *p = e->at;
    unsigned asn = e->asn ? e->asn : p ? p->asn : 0;
    json_t *s = json_object();

    if (asn)
        json_object_set_new(s, "asNumber", json_integer(asn));
    if (p)
        rh_set_str(s, "asOrg", p->as_org);
    json_object_set_new(s, "isProxy", json_boolean(e->proxy == 1));
    return s;
}

static inline json_t *rh_debug(const struct rh_ev *e)
{
    json_t *dd = e->debug ? e->debug : json_object();

    rh_set_str(dd, "dtHash", e->dt);
    rh_set_str(dd, "factor", e->factor);
    return json_pack("{s:o}", "debugData", dd);
}

static inline json_t *rh_targets(const struct rh_ev *e)
{
    json_t *t = json_array();

    if (e->target_user)
        json_array_append_new(t, rh_person(e->target_user));
    if (e->targets)
        json_array_extend(t, e->targets);
    json_decref(e->targets);
    return t;
}

/* The Okta LogEvent JSON of e (new reference). */
static inline json_t *rh_event_json(struct rh *h, const struct rh_ev *e)
{
    char ts[IDW_TIME_STRLEN], uuid[32];
    json_t *ev = json_object(), *ac = json_object(), *out = json_object();

    idw_time_format(e->t, ts);
    snprintf(uuid, sizeof uuid, "rh-%06d", ++h->n);
    json_object_set_new(ev, "uuid", json_string(uuid));
    json_object_set_new(ev, "published", json_string(ts));
    json_object_set_new(ev, "eventType", json_string(e->type ? e->type : "user.session.start"));
    json_object_set_new(ev, "actor", rh_actor(e));
    json_object_set_new(ev, "client", rh_client(e));
    json_object_set_new(ev, "securityContext", rh_security(e));
    json_object_set_new(ev, "debugContext", rh_debug(e));
    json_object_set_new(ev, "target", rh_targets(e));
    rh_set_str(ac, "externalSessionId", e->session);
    rh_set_str(ac, "rootSessionId", e->root_session);
    json_object_set_new(ev, "authenticationContext", ac);
    rh_set_str(out, "result", e->outcome ? e->outcome : "SUCCESS");
    rh_set_str(out, "reason", e->reason);
    json_object_set_new(ev, "outcome", out);
    if (e->transaction)
        json_object_set_new(ev, "transaction", json_pack("{s:s, s:s}", "type", "WEB", "id", e->transaction));
    return ev;
}

/* Feeds e through the pipeline; the pipeline must accept it. */
/* (variadic: a compound literal's commas would split a macro argument) */
#define rh_feed(h, ...) rh_feed_at(h, __FILE__, __LINE__, __VA_ARGS__)
static inline void rh_feed_at(struct rh *h, const char *file, int line, const struct rh_ev *e)
{
    enum idw_feed_result res;
    char reason[256] = "";
    json_t *ev = rh_event_json(h, e);

    assert_int_equal(idw_pipeline_feed(h->pl, ev, &res, reason, sizeof reason), 0);
    json_decref(ev);
    if (res != IDW_FEED_ACCEPTED)
        fail_msg("%s:%d: event %d (%s) not accepted (%d): %s", file, line, h->n, e->type ? e->type : "user.session.start",
                 (int)res, reason);
}

/* n copies of e, step apart from e->t on; returns the time after the last. */
static inline int64_t rh_feed_n(struct rh *h, const struct rh_ev *e, int n, int64_t step)
{
    struct rh_ev one = *e;

    for (int i = 0; i < n; i++, one.t += step)
        rh_feed(h, &one);
    return one.t;
}

/*
 * An established persona: one successful sign-in a day for days days from
 * RH_T0, at place, on the person's own device ("dev-<login>").  Returns the
 * time of day after the last (RH_T0 + days).
 */
static inline int64_t rh_baseline(struct rh *h, const char *login, const struct rh_place *at, int days)
{
    char dt[160];

    snprintf(dt, sizeof dt, "dev-%s", login);
    for (int d = 0; d < days; d++)
        rh_feed(h, &(struct rh_ev){.t = RH_T0 + d * RH_DAY, .actor = login, .at = at, .dt = dt});
    return RH_T0 + days * RH_DAY;
}

static inline void rh_commit(struct rh *h)
{
    char err[512];

    if (idw_pipeline_commit(h->pl, NULL, NULL, err, sizeof err) < 0)
        fail_msg("commit: %s", err);
}

static inline int rh_collect(const char *key, size_t keylen, const char *val, size_t vallen, void *arr)
{
    json_error_t je;
    json_t *a = json_loadb(val, vallen, 0, &je);

    (void)key;
    (void)keylen;
    if (!a)
        fail_msg("stored alert is not JSON: %s", je.text);
    json_array_append_new(arr, a);
    return 0;
}

/*
 * THE one function that reads alerts (re-point it when alert storage
 * moves): commits the open batch, then every stored alert document of
 * the domain whose rule is rule (new reference, an array).
 */
static inline json_t *rh_alerts(struct rh *h, const char *rule)
{
    json_t *all = json_array(), *mine = json_array(), *a;
    MDB_txn *txn;
    char err[512];
    size_t i;

    rh_commit(h);
    assert_int_equal(idw_store_begin(h->st, 1, &txn, err, sizeof err), 0);
    if (idw_store_kv_each(h->st, txn, h->st->alerts, RH_DOMAIN, rh_collect, all, err, sizeof err) < 0)
        fail_msg("reading alerts: %s", err);
    mdb_txn_abort(txn);
    json_array_foreach(all, i, a)
        if (!strcmp(json_string_value(json_object_get(a, "rule")), rule))
            json_array_append(mine, a);
    json_decref(all);
    return mine;
}

/* How many alerts rule has raised. */
static inline size_t rh_count(struct rh *h, const char *rule)
{
    json_t *a = rh_alerts(h, rule);
    size_t n = json_array_size(a);

    json_decref(a);
    return n;
}

/*
 * The one alert of rule about who: a login (matched against the alert's
 * user) or an entity ("ip:...", "group:..."); fails unless exactly one.
 * Borrowed: valid until the next rh_alert or rh_close.
 */
#define rh_alert(h, rule, who) rh_alert_at(h, rule, who, __FILE__, __LINE__)
static inline const json_t *rh_alert_at(struct rh *h, const char *rule, const char *who,
                                        const char *file, int line)
{
    json_t *found = NULL, *a;
    size_t i, n = 0;

    json_decref(h->last);
    h->last = rh_alerts(h, rule);
    json_array_foreach(h->last, i, a) {
        const char *user = json_string_value(json_object_get(a, "user"));
        const char *entity = json_string_value(json_object_get(a, "entity"));
        if ((user && !strcmp(user, who)) || (entity && !strcmp(entity, who))) {
            found = a;
            n++;
        }
    }
    if (n != 1)
        fail_msg("%s:%d: %s: expected one alert about %s, found %zu (of %zu)", file, line, rule, who, n,
                 json_array_size(h->last));
    return found;
}

static inline const char *rh_str(const json_t *a, const char *key)
{
    const char *s = json_string_value(json_object_get(a, key));
    return s ? s : "";
}

static inline json_int_t rh_int(const json_t *a, const char *key)
{
    return json_integer_value(json_object_get(a, key));
}

/* Severity, score within [score_min, score_max], and version (0: not checked). */
#define rh_check(a, sev, lo, hi, v) rh_check_at(a, sev, lo, hi, v, __FILE__, __LINE__)
static inline void rh_check_at(const json_t *a, const char *severity, int score_min, int score_max,
                               int version, const char *file, int line)
{
    json_int_t score = rh_int(a, "score");

    if (strcmp(rh_str(a, "severity"), severity) != 0)
        fail_msg("%s:%d: %s alert: severity %s, expected %s (evidence: %s)", file, line, rh_str(a, "rule"),
                 rh_str(a, "severity"), severity, rh_str(a, "evidence"));
    if (score < score_min || score > score_max)
        fail_msg("%s:%d: %s alert: score %lld, expected %d..%d", file, line, rh_str(a, "rule"), (long long)score,
                 score_min, score_max);
    if (version && rh_int(a, "version") != version)
        fail_msg("%s:%d: %s alert: version %lld, expected %d", file, line, rh_str(a, "rule"),
                 (long long)rh_int(a, "version"), version);
}

/* The alert's evidence contains s. */
#define rh_evidence(a, s) rh_evidence_at(a, s, __FILE__, __LINE__)
static inline void rh_evidence_at(const json_t *a, const char *s, const char *file, int line)
{
    if (!strstr(rh_str(a, "evidence"), s))
        fail_msg("%s:%d: %s alert: evidence lacks \"%s\": %s", file, line, rh_str(a, "rule"), s,
                 rh_str(a, "evidence"));
}

#endif
