/*
 * test_detect.c — the detection engine's alert life cycle, driven through
 * the pipeline with hand-built raw events: aggregation into one alert,
 * versions that increase by exactly one per update (SOARs de-duplicate on
 * alert_id:version, so a version that failed to move would be dropped as
 * a repeat), every version queued for the webhooks in order, severity
 * that only rises, and a new alert once the window has passed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/util.h"
#include "deliver/outbox.h"
#include "engine/detect.h"
#include "engine/pipeline.h"
#include "store/store.h"

#define DAY 86400000LL
#define MIN 60000LL
#define T0 1790000000000LL      /* 2026-09-21 */

struct fixture {
    char dir[64];
    struct idw_config cfg;
    struct idw_store *st;
    struct idw_detect *d;
    struct idw_pipeline *pl;
    int n;                      /* events fed (for uuids) */
};

static int setup(void **state)
{
    static struct fixture f;
    struct idw_outbox_target t = {.name = "soar", .min_severity = IDW_SEV_LOW};
    struct idw_pipeline_opts po = {.domain_id = "acme"};
    struct idw_alert_sink sink;
    char err[512];

    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-detect-XXXXXX");
    if (!mkdtemp(f.dir) || idw_config_load(NULL, &f.cfg, err, sizeof err) < 0 ||
        idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        idw_detect_open(NULL, &f.d, err, sizeof err) < 0 || idw_outbox_sink(&t, 1, &sink) != IDW_OK ||
        idw_alerts_add_sink(idw_detect_alerts(f.d), &sink) != IDW_OK)
        return -1;
    po.detect = f.d;
    if (idw_pipeline_open(f.st, &f.cfg, &po, &f.pl, err, sizeof err) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_pipeline_close(f->pl);
    idw_detect_close(f->d);
    idw_store_close(f->st);
    idw_config_free(&f->cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A sign-in by user at t from ip/asn, SUCCESS or FAILURE. */
static void feed(struct fixture *f, const char *user, int64_t t, int ok, const char *ip, int asn)
{
    char ts[IDW_TIME_STRLEN], uuid[32], reason[256];
    enum idw_feed_result res;
    json_t *ev;

    idw_time_format(t, ts);
    snprintf(uuid, sizeof uuid, "det-%06d", ++f->n);
    ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:{s:i}, s:{s:s, s:s?}}",
                   "uuid", uuid, "published", ts, "eventType", "user.session.start",
                   "actor", "id", user, "type", "User", "alternateId", user,
                   "client", "ipAddress", ip, "securityContext", "asNumber", asn,
                   "outcome", "result", ok ? "SUCCESS" : "FAILURE",
                   "reason", ok ? NULL : "INVALID_CREDENTIALS");
    assert_non_null(ev);
    assert_int_equal(idw_pipeline_feed(f->pl, ev, &res, reason, sizeof reason), 0);
    assert_int_equal(res, IDW_FEED_ACCEPTED);
    json_decref(ev);
}

/* A baseline of daily sign-ins from home, then a burst of failures from elsewhere. */
static void baseline_then_burst(struct fixture *f, const char *user, int64_t start, int failures)
{
    for (int d = 0; d < 12; d++)
        feed(f, user, start + d * DAY, 1, "86.40.1.1", 5466);
    for (int i = 0; i < failures; i++)
        feed(f, user, start + 12 * DAY + i * MIN, 0, "198.51.100.7", 64777);
}

struct versions { char alert_id[64]; json_int_t v[64]; size_t n; };

static int collect_versions(uint64_t seq, json_t *e, void *ctx)
{
    struct versions *vs = ctx;
    (void)seq;
    if (strcmp(json_string_value(json_object_get(e, "alert_id")), vs->alert_id) == 0 && vs->n < 64)
        vs->v[vs->n++] = json_integer_value(json_object_get(e, "version"));
    return 0;
}

/* Collects every stored alert document into the array vc. */
static int each_alert(const char *key, size_t keylen, const char *val, size_t vallen, void *vc)
{
    json_error_t je;
    json_t *a = json_loadb(val, vallen, 0, &je);
    (void)key;
    (void)keylen;
    if (a)
        json_array_append_new(vc, a);
    return 0;
}

/* The first stored alert of rule, asserting how many there are. */
static json_t *first_alert(struct fixture *f, const char *rule, int expect_count)
{
    json_t *all = json_array(), *found = NULL, *a;
    MDB_txn *txn;
    char err[256];
    size_t i;
    int n = 0;

    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_kv_each(f->st, txn, f->st->alerts, NULL, each_alert, all, err, sizeof err), 0);
    mdb_txn_abort(txn);
    json_array_foreach(all, i, a)
        if (!strcmp(json_string_value(json_object_get(a, "rule")), rule) && n++ == 0)
            found = json_incref(a);
    json_decref(all);
    assert_int_equal(n, expect_count);
    return found;
}

static void test_versions_increase_by_one(void **state)
{
    struct fixture *f = *state;
    struct versions vs = {0};
    MDB_txn *txn;
    char err[256];
    json_t *a;

    baseline_then_burst(f, "00uERIN", T0, 12);
    feed(f, "00uERIN", T0 + 12 * DAY + 15 * MIN, 1, "198.51.100.7", 64777);   /* the attacker gets in */
    assert_int_equal(idw_pipeline_commit(f->pl, NULL, NULL, err, sizeof err), 0);

    a = first_alert(f, "brute_force", 1);
    json_int_t version = json_integer_value(json_object_get(a, "version"));
    json_int_t events = json_integer_value(json_object_get(a, "event_count"));
    assert_true(version > 1);
    assert_int_equal(version, events);                  /* one version per update */
    assert_string_equal(json_string_value(json_object_get(a, "severity")), "critical");

    idw_strlcpy(vs.alert_id, json_string_value(json_object_get(a, "alert_id")), sizeof vs.alert_id);
    assert_int_equal(idw_store_begin(f->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_outbox_each(f->st, txn, collect_versions, &vs, err, sizeof err), 0);
    mdb_txn_abort(txn);
    assert_int_equal((json_int_t)vs.n, version);        /* every version queued ... */
    for (size_t i = 0; i < vs.n; i++)
        assert_int_equal(vs.v[i], (json_int_t)i + 1);   /* ... in order, 1, 2, 3, ... */
    json_decref(a);
}

static void test_new_alert_after_the_window(void **state)
{
    struct fixture *f = *state;
    char err[256];
    json_t *a;

    baseline_then_burst(f, "00uFRANK", T0, 12);
    assert_int_equal(idw_pipeline_commit(f->pl, NULL, NULL, err, sizeof err), 0);
    json_decref(first_alert(f, "brute_force", 1));
    /* the same shape a month later is another alert, starting again at version 1 */
    for (int i = 0; i < 12; i++)
        feed(f, "00uFRANK", T0 + 40 * DAY + i * MIN, 0, "198.51.100.9", 64777);
    assert_int_equal(idw_pipeline_commit(f->pl, NULL, NULL, err, sizeof err), 0);
    a = first_alert(f, "brute_force", 2);
    json_decref(a);
}

/* Every registered rule is loaded and listed: the registry has no fixed cap. */
static void test_every_rule_loaded(void **state)
{
    struct fixture *f = *state;
    size_t registered = 0;
    json_t *list = idw_detect_describe(f->d);

    while (idw_rule_table[registered])
        registered++;
    assert_true(registered >= 9);
    assert_int_equal(json_array_size(list), registered);
    json_decref(list);
}

/* Opens the engine on a rules directory holding one file; returns idw_detect_open's result. */
static int open_with(const char *file, const char *text, char *err, size_t errlen, json_t **list)
{
    char dir[] = "/tmp/idw-rules-XXXXXX", path[128], cmd[160];
    struct idw_detect *d = NULL;
    FILE *f;
    int rc;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    rc = idw_detect_open(dir, &d, err, errlen);
    if (list)
        *list = rc == 0 ? idw_detect_describe(d) : NULL;
    idw_detect_close(d);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return rc;
}

/* Rule settings are checked against each rule's table: what is wrong is refused, naming file, key, range. */
static void test_rule_settings_strict(void **state)
{
    char err[512];
    json_t *list, *r;
    size_t i;
    (void)state;

    assert_int_equal(open_with("brute_force.json", "{\"min_failure\": 5}", err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "brute_force.json: unknown setting 'min_failure'"));
    assert_non_null(strstr(err, "min_failures"));           /* what the typo should have been */
    assert_int_equal(open_with("brute_force.json", "{\"window_minutes\": \"5\"}", err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "window_minutes: expected a number from 1 to 1440"));
    assert_int_equal(open_with("mfa_fatigue.json", "{\"min_pushes\": -3}", err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "min_pushes: expected an integer from 2 to 64"));
    assert_int_equal(open_with("mfa_fatigue.json", "{\"min_pushes\": 4.5}", err, sizeof err, NULL), -1);
    assert_int_equal(open_with("mfa_fatigue.json", "{\"enabled\": \"no\"}", err, sizeof err, NULL), -1);
    assert_non_null(strstr(err, "enabled: expected true or false"));
    assert_int_equal(open_with("new_context.json", "{\"sensitive_apps\": [\"vault\", 3]}", err, sizeof err,
                               NULL), -1);
    assert_non_null(strstr(err, "sensitive_apps: expected an array"));

    /* a good file: its values in force, every other setting at its default */
    assert_int_equal(open_with("brute_force.json", "{\"min_failures\": 5, \"enabled\": false}", err,
                               sizeof err, &list), 0);
    json_array_foreach(list, i, r) {
        const json_t *c = json_object_get(r, "config");
        if (strcmp(json_string_value(json_object_get(r, "id")), "brute_force"))
            continue;
        assert_int_equal(json_integer_value(json_object_get(c, "min_failures")), 5);
        assert_true(json_is_false(json_object_get(c, "enabled")));
        assert_true(json_number_value(json_object_get(c, "window_minutes")) == 30);
    }
    json_decref(list);
}

/* Loads rule with {key: v}; returns idw_detect_open's result, err set. */
static int open_setting(const char *rule, const char *key, double v, int integer, char *err, size_t errlen)
{
    char file[96], text[160];

    snprintf(file, sizeof file, "%s.json", rule);
    if (integer)
        snprintf(text, sizeof text, "{\"%s\": %.0f}", key, v);
    else
        snprintf(text, sizeof text, "{\"%s\": %.17g}", key, v);
    return open_with(file, text, err, errlen, NULL);
}

/*
 * A refusal by the rule's own check of settings together (new_context's
 * scores must stay in order: one moved alone to its end may pass another):
 * it names two settings or more.  A check that narrows one setting's range
 * (the defect this guards: a table promising more than the rule takes)
 * names one and is not excused.
 */
static int cross_field(const struct idw_rule *r, const char *err)
{
    unsigned named = 0;

    if (!r->check || strstr(err, "expected"))
        return 0;
    for (const struct idw_rule_param *p = r->params; p && p->name; p++)
        named += strstr(err, p->name) != NULL;
    return named >= 2;
}

/*
 * Every numeric setting of every registered rule, from its own table:
 * both ends of the range load (the range is what the rule accepts, so no
 * rule may refuse a value its table allows), and just outside is refused
 * naming the key and the range (a cross-field check of the rule may still
 * refuse an end with the other settings at their defaults).  A new rule is
 * covered without a line here.
 */
static void test_every_setting_range_is_true(void **state)
{
    char err[512], want[160];
    size_t checked = 0;
    (void)state;

    for (size_t i = 0; idw_rule_table[i]; i++) {
        const struct idw_rule *r = idw_rule_table[i];
        for (const struct idw_rule_param *p = r->params; p && p->name; p++) {
            int integer = p->type == IDW_PARAM_INTEGER;
            double step = integer ? 1 : 0.5;
            if (p->type == IDW_PARAM_STRINGS)
                continue;
            snprintf(want, sizeof want, "%s: expected %s from %g to %g", p->name,
                     integer ? "an integer" : "a number", p->min, p->max);
            if (open_setting(r->id, p->name, p->min, integer, err, sizeof err) != 0 && !cross_field(r, err))
                fail_msg("%s.%s = %g (its minimum) refused: %s", r->id, p->name, p->min, err);
            if (open_setting(r->id, p->name, p->max, integer, err, sizeof err) != 0 && !cross_field(r, err))
                fail_msg("%s.%s = %g (its maximum) refused: %s", r->id, p->name, p->max, err);
            if (open_setting(r->id, p->name, p->min - step, integer, err, sizeof err) != -1 ||
                !strstr(err, want))
                fail_msg("%s.%s = %g (below the range) not refused as '%s': %s", r->id, p->name,
                         p->min - step, want, err);
            if (open_setting(r->id, p->name, p->max + step, integer, err, sizeof err) != -1 ||
                !strstr(err, want))
                fail_msg("%s.%s = %g (above the range) not refused as '%s': %s", r->id, p->name,
                         p->max + step, want, err);
            checked++;
        }
    }
    assert_true(checked >= 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_versions_increase_by_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_alert_after_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_rule_loaded, setup, teardown),
        cmocka_unit_test(test_rule_settings_strict),
        cmocka_unit_test(test_every_setting_range_is_true),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
