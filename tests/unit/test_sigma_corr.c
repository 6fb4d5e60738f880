/*
 * test_sigma_corr.c — Sigma correlation rules (sigma/sigma_corr.c): every
 * refusal of the `correlation:` compiler with its file:line, and each type
 * evaluated inside a real detection context on a temp LMDB (a probe rule,
 * as in test_rule_prims.c, forwards each fed match to idw_sigma_corr_update),
 * so the windows live in rule state and are committed between matches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/detect.h"
#include "sigma/sigma_int.h"
#include "store/store.h"

#define T0 1790000000000LL      /* 2026-09-21 */
#define MIN 60000LL

/* ---- compiling ----------------------------------------------------------------- */

/* Compiles the `correlation:` of a one-document YAML text named "t.yml"; NULL with err on refusal. */
static struct idw_sigma_corr *compile(const char *text, char *err, size_t errlen)
{
    yaml_parser_t p;
    yaml_document_t d;
    yaml_node_t *node;
    struct idw_sigma_corr *c = NULL;

    assert_int_equal(yaml_parser_initialize(&p), 1);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    assert_int_equal(yaml_parser_load(&p, &d), 1);
    node = idw_yaml_get(&d, yaml_document_get_root_node(&d), "correlation");
    assert_non_null(node);
    err[0] = '\0';
    if (idw_sigma_corr_compile(&d, node, "t.yml", &c, err, errlen) < 0)
        assert_null(c);
    yaml_document_delete(&d);
    yaml_parser_delete(&p);
    return c;
}

static struct idw_sigma_corr *must_compile(const char *text)
{
    char err[512];
    struct idw_sigma_corr *c = compile(text, err, sizeof err);

    if (!c)
        fail_msg("refused: %s\n%s", err, text);
    return c;
}

struct refusal {
    const char *yaml;
    const char *reason;         /* the whole message must start with this */
};

/* Line 1 is the title, line 2 "correlation:", its keys from line 3. */
static const struct refusal refusals[] = {
    {"title: x\ncorrelation: nope\n", "t.yml:2: correlation must be a mapping"},
    {"title: x\ncorrelation:\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n",
     "t.yml:3: correlation has no type"},
    {"title: x\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n",
     "t.yml:3: correlation type 'value_sum' is not supported"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  ordered: true\n"
     "  condition: {gte: 2}\n", "t.yml:6: unknown key 'ordered' in correlation"},
    {"title: x\ncorrelation:\n  type: event_count\n  type: temporal\n  rules: [a]\n",
     "t.yml:4: correlation key 'type' given twice"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n"
     "  aliases:\n    user: {a: actor.id}\n", "t.yml:8: correlation aliases are not supported"},
    {"title: x\ncorrelation:\n  type: event_count\n  timespan: 1h\n  condition: {gte: 2}\n",
     "t.yml:3: correlation has no rules"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: a\n  timespan: 1h\n  condition: {gte: 2}\n",
     "t.yml:4: correlation rules must be a list"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: []\n  timespan: 1h\n  condition: {gte: 2}\n",
     "t.yml:4: correlation rules is empty"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules:\n    - a\n    - b\n    - a\n",
     "t.yml:7: correlation rules: 'a' is listed twice"},
    {"title: x\ncorrelation:\n  type: event_count\n"
     "  rules: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
     "t.yml:4: correlation lists 17 rules (at most 16)"},
    {"title: x\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1h\n",
     "t.yml:4: a temporal correlation needs at least 2 rules"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: actor.id\n  timespan: 1h\n",
     "t.yml:5: group-by must be a list of field names"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by:\n    - actor..id\n",
     "t.yml:6: group-by: field 'actor..id'"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  condition: {gte: 2}\n",
     "t.yml:3: correlation has no timespan"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 2w\n  condition: {gte: 2}\n",
     "t.yml:5: timespan '2w' is not a whole number followed by s, m, h or d"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 300\n  condition: {gte: 2}\n",
     "t.yml:5: timespan '300' is not a whole number"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 31d\n  condition: {gte: 2}\n",
     "t.yml:5: timespan '31d' is out of range (1s to 30d)"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 0s\n  condition: {gte: 2}\n",
     "t.yml:5: timespan '0s' is out of range"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  generate: maybe\n"
     "  condition: {gte: 2}\n", "t.yml:6: generate must be true or false"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n",
     "t.yml:3: a event_count correlation needs a condition"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: 5\n",
     "t.yml:6: correlation condition must be a mapping"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n    lt: 5\n",
     "t.yml:7: condition with only lt/lte (fewer than) cannot be decided"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 2\n    gt: 3\n", "t.yml:8: condition: gte and gt both set a lower bound"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 5\n    lte: 3\n", "t.yml:7: condition can never hold (at least 5 and at most 3)"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: lots\n", "t.yml:7: condition gte must be a whole number, not 'lots'"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: -3\n", "t.yml:7: condition gte must be a whole number, not '-3'"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 257\n", "t.yml:7: condition gte 257 is above the 256 matches a correlation window holds"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 2\n    lte: 256\n", "t.yml:8: condition lte 256 is too high"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 2\n    field: target.id\n", "t.yml:8: condition field is only for value_count"},
    {"title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    above: 2\n", "t.yml:7: unknown condition 'above'"},
    {"title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    gte: 2\n", "t.yml:7: a value_count condition needs field"},
    {"title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition:\n"
     "    field: target.id\n    gt: 128\n", "t.yml:8: condition gt 128 is above the 128 distinct values"},
    {"title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n  condition:\n"
     "    gt: 1\n", "t.yml:7: a temporal correlation's condition takes only gte"},
    {"title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n  condition:\n"
     "    gte: 3\n", "t.yml:7: condition gte 3: a temporal correlation listing 2 rules takes 1 to 2"},
    {"title: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  timespan: 1h\n  condition:\n"
     "    gte: 1\n", "t.yml:7: condition gte 1: a temporal_ordered correlation needs all its 2 rules"},
};

static void test_refusals(void **state)
{
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        struct idw_sigma_corr *c = compile(refusals[i].yaml, err, sizeof err);
        if (c) {
            idw_sigma_corr_free(c);
            fail_msg("accepted:\n%s", refusals[i].yaml);
        }
        if (strncmp(err, refusals[i].reason, strlen(refusals[i].reason)) != 0)
            fail_msg("refusal %zu: \"%s\", expected \"%s...\"", i, err, refusals[i].reason);
    }
}

/* What the accessors say of an accepted rule; ranges and the temporal defaults are accepted. */
static void test_accepted(void **state)
{
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: temporal_ordered\n"
                                            "  rules: [reset, enroll]\n  group-by: [actor.id]\n"
                                            "  timespan: 30m\n  generate: true\n");

    (void)state;
    assert_string_equal(idw_sigma_corr_type(c), "temporal_ordered");
    assert_int_equal(idw_sigma_corr_nrefs(c), 2);
    assert_string_equal(idw_sigma_corr_ref(c, 0), "reset");
    assert_string_equal(idw_sigma_corr_ref(c, 1), "enroll");
    assert_null(idw_sigma_corr_ref(c, 2));
    assert_int_equal(idw_sigma_corr_generate(c), 1);
    idw_sigma_corr_free(c);
    /* the widest range and timespan there are; generate defaults to false */
    c = must_compile("title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 30d\n"
                     "  condition: {gte: 256}\n");
    assert_int_equal(idw_sigma_corr_generate(c), 0);
    assert_string_equal(idw_sigma_corr_type(c), "event_count");
    idw_sigma_corr_free(c);
    c = must_compile("title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1s\n"
                     "  condition: {field: target.id, gt: 0, lte: 127}\n");
    idw_sigma_corr_free(c);
}

/* ---- evaluating in a real detection context --------------------------------------- */

/* The match the probe rule forwards, and what the correlation answered. */
static struct {
    const struct idw_sigma_corr *c;
    unsigned ref;
    const char *ref_name;
    struct idw_sigma_event ev;
    int64_t t;
    enum idw_rc rc;
    int fired;
    char what[512];
} probe;

static void probe_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                           const struct idw_persona *before)
{
    (void)config;
    (void)ev;
    (void)before;
    probe.rc = idw_sigma_corr_update(probe.c, probe.ref, probe.ref_name, ctx, &probe.ev, probe.t,
                                     &probe.fired, probe.what, sizeof probe.what);
}

static const struct idw_rule_param no_params[] = {IDW_PARAM_END};

static const struct idw_rule probe_rule = {
    .id = "corr_probe",
    .description = "forwards a match to a correlation",
    .kinds = IDW_KINDS_ALL,
    .params = no_params,
    .config_size = 0,
    .on_event = probe_on_event,
};

static const struct idw_rule *const probe_table[] = {&probe_rule, NULL};

struct fixture {
    char dir[64];
    struct idw_store *st;
    struct idw_detect *d;
    struct idw_persona_params prm;
};

static void fixture_open(struct fixture *f)
{
    char err[512];

    if (idw_store_open(f->dir, 64, IDW_STORE_NOSYNC, &f->st, err, sizeof err) < 0 ||
        idw_detect_open_rules(probe_table, NULL, &f->d, err, sizeof err) < 0)
        fail_msg("open: %s", err);
}

static void fixture_close(struct fixture *f)
{
    idw_detect_close(f->d);
    idw_store_close(f->st);
    f->d = NULL;
    f->st = NULL;
}

static int setup(void **state)
{
    static struct fixture f;

    memset(&f, 0, sizeof f);
    memset(&probe, 0, sizeof probe);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-corr-XXXXXX");
    if (!mkdtemp(f.dir))
        return -1;
    fixture_open(&f);
    idw_persona_params_init(&f.prm, 30, 14, 10, 60);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    fixture_close(f);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/*
 * One match of rule ref (named name) at t by actor (NULL: no actor) against
 * target (NULL: none), in its own committed transaction; returns *fired.
 */
static int feed(struct fixture *f, const struct idw_sigma_corr *c, unsigned ref, const char *name,
                const char *actor, const char *target, int64_t t)
{
    struct idw_event ev = {0};
    json_t *raw = json_pack("{s:s}", "eventType", "user.mfa.factor.reset_all");
    MDB_txn *txn;
    char err[512];
    unsigned n = 0;

    if (actor)
        json_object_set_new(raw, "actor", json_pack("{s:s, s:s}", "alternateId", actor, "type", "User"));
    if (target)
        json_object_set_new(raw, "target", json_pack("[{s:s}, {s:s}]", "type", "AppInstance",
                                                     "alternateId", target));
    ev.kind = idw_classify("user.mfa.factor.reset_all");
    ev.okta_type = "user.mfa.factor.reset_all";
    ev.uuid = "ev-1";
    ev.published_ms = t;
    probe.c = c;
    probe.ref = ref;
    probe.ref_name = name;
    probe.ev = (struct idw_sigma_event){.raw = raw, .event_type = "user.mfa.factor.reset_all"};
    probe.t = t;
    probe.rc = IDW_BUSY;
    probe.fired = -1;
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_detect_event(f->d, f->st, txn, "acme", &ev, NULL, NULL, &f->prm, 0, &n, NULL,
                                      err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    json_decref(raw);
    assert_int_equal(probe.rc, IDW_OK);
    assert_true(probe.fired == 0 || probe.fired == 1);
    return probe.fired;
}

static const char *const EVENT_COUNT =
    "title: x\ncorrelation:\n  type: event_count\n  rules: [help_desk_reset]\n"
    "  group-by: [actor.alternateId]\n  timespan: 10m\n  condition: {gte: 3}\n";

/* Fires at exactly the threshold, not before, and keeps firing (no reset) while it holds. */
static void test_event_count_threshold(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile(EVENT_COUNT);

    assert_int_equal(feed(f, c, 0, "help_desk_reset", "admin@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "help_desk_reset", "admin@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 0, "help_desk_reset", "admin@x", NULL, T0 + 2 * MIN), 1);
    assert_string_equal(probe.what, "3 matches of help_desk_reset within 10m for actor.alternateId=admin@x");
    assert_int_equal(feed(f, c, 0, "help_desk_reset", "admin@x", NULL, T0 + 3 * MIN), 1);
    assert_string_equal(probe.what, "4 matches of help_desk_reset within 10m for actor.alternateId=admin@x");
    idw_sigma_corr_free(c);
}

/* A range holds between its bounds only: 2 and 3 matches fire, 4 do not. */
static void test_event_count_range(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: event_count\n  rules: [a, b]\n"
                                            "  timespan: 1h\n  condition: {gte: 2, lte: 3}\n");

    assert_int_equal(feed(f, c, 0, "a", "u1", NULL, T0), 0);
    assert_int_equal(feed(f, c, 1, "b", "u2", NULL, T0 + MIN), 1);
    assert_string_equal(probe.what, "2 matches of a, b within 1h for the whole org");
    assert_int_equal(feed(f, c, 0, "a", "u3", NULL, T0 + 2 * MIN), 1);
    assert_int_equal(feed(f, c, 1, "b", "u4", NULL, T0 + 3 * MIN), 0);
    idw_sigma_corr_free(c);
}

/* In event time, a match exactly timespan old still counts; one millisecond older does not. */
static void test_event_count_expiry(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n"
                                            "  group-by: [actor.alternateId]\n  timespan: 5m\n"
                                            "  condition: {gte: 2}\n");

    assert_int_equal(feed(f, c, 0, "a", "edge", NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "a", "edge", NULL, T0 + 5 * MIN), 1);
    assert_int_equal(feed(f, c, 0, "a", "late", NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "a", "late", NULL, T0 + 5 * MIN + 1), 0);
    /* the expired match is gone for good, the second one counts with a third */
    assert_int_equal(feed(f, c, 0, "a", "late", NULL, T0 + 6 * MIN), 1);
    assert_string_equal(probe.what, "2 matches of a within 5m for actor.alternateId=late");
    idw_sigma_corr_free(c);
}

/* Two actors never add up; events without the group-by field group together under "". */
static void test_group_separation(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile(EVENT_COUNT);

    for (int i = 0; i < 2; i++) {
        assert_int_equal(feed(f, c, 0, "r", "alice@x", NULL, T0 + 2 * i * MIN), 0);
        assert_int_equal(feed(f, c, 0, "r", "bob@x", NULL, T0 + (2 * i + 1) * MIN), 0);
    }
    assert_int_equal(feed(f, c, 0, "r", "alice@x", NULL, T0 + 4 * MIN), 1);
    assert_string_equal(probe.what, "3 matches of r within 10m for actor.alternateId=alice@x");
    assert_int_equal(feed(f, c, 0, "r", NULL, NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "r", NULL, NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 0, "r", NULL, NULL, T0 + 2 * MIN), 1);
    assert_string_equal(probe.what, "3 matches of r within 10m for actor.alternateId=");
    idw_sigma_corr_free(c);
}

/* Distinct values: a repeated value counts once; a match without a value for the field counts nothing. */
static void test_value_count(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: value_count\n  rules: [reset]\n"
                                            "  group-by: [actor.alternateId]\n  timespan: 1h\n"
                                            "  condition: {field: target.alternateId, gte: 3}\n");

    for (int i = 0; i < 3; i++)
        assert_int_equal(feed(f, c, 0, "reset", "admin@x", "v1@x", T0 + i * MIN), 0);
    assert_int_equal(feed(f, c, 0, "reset", "admin@x", "v2@x", T0 + 3 * MIN), 0);
    assert_int_equal(feed(f, c, 0, "reset", "admin@x", NULL, T0 + 4 * MIN), 0);
    assert_int_equal(feed(f, c, 0, "reset", "admin@x", "", T0 + 4 * MIN), 0);     /* empty: no value */
    assert_int_equal(feed(f, c, 0, "reset", "admin@x", "v3@x", T0 + 5 * MIN), 1);
    assert_string_equal(probe.what, "3 distinct target.alternateId within 1h for actor.alternateId=admin@x");
    /* an hour after v1 was last seen (T0 + 2m) it no longer counts; v2 and v3 still do */
    assert_int_equal(feed(f, c, 0, "reset", "admin@x", "v3@x", T0 + 62 * MIN + 1), 0);
    idw_sigma_corr_free(c);
}

/* temporal: all listed rules within the timespan, in any order; an expired one does not count. */
static void test_temporal(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n"
                                            "  group-by: [actor.alternateId]\n  timespan: 10m\n");

    assert_int_equal(feed(f, c, 2, "c", "u@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "a", "u@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 0, "a", "u@x", NULL, T0 + 2 * MIN), 0);
    assert_int_equal(feed(f, c, 1, "b", "u@x", NULL, T0 + 3 * MIN), 1);
    assert_string_equal(probe.what, "rules a, b, c matched within 10m for actor.alternateId=u@x");
    assert_int_equal(feed(f, c, 0, "a", "v@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 1, "b", "v@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 2, "c", "v@x", NULL, T0 + 10 * MIN + 1), 0);
    idw_sigma_corr_free(c);
    /* gte: 2 of the three */
    c = must_compile("title: x\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n"
                     "  group-by: [actor.alternateId]\n  timespan: 10m\n  condition: {gte: 2}\n");
    assert_int_equal(feed(f, c, 2, "c", "w@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 2, "c", "w@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 1, "b", "w@x", NULL, T0 + 2 * MIN), 1);
    assert_string_equal(probe.what, "rules b, c matched within 10m for actor.alternateId=w@x");
    idw_sigma_corr_free(c);
}

/* temporal_ordered: the wrong order does not fire; the listed order does, even with a repeat between. */
static void test_temporal_ordered(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: temporal_ordered\n"
                                            "  rules: [reset, enroll, signin]\n"
                                            "  group-by: [actor.alternateId]\n  timespan: 10m\n");

    assert_int_equal(feed(f, c, 2, "signin", "u@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 1, "enroll", "u@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 0, "reset", "u@x", NULL, T0 + 2 * MIN), 0);
    assert_int_equal(feed(f, c, 2, "signin", "u@x", NULL, T0 + 3 * MIN), 0);
    assert_int_equal(feed(f, c, 1, "enroll", "u@x", NULL, T0 + 4 * MIN), 0);
    assert_int_equal(feed(f, c, 0, "reset", "u@x", NULL, T0 + 5 * MIN), 0);     /* a repeat, out of turn */
    assert_int_equal(feed(f, c, 2, "signin", "u@x", NULL, T0 + 6 * MIN), 1);
    assert_string_equal(probe.what, "rules reset, enroll, signin matched in order within 10m for "
                        "actor.alternateId=u@x");
    /* in order, but spread over more than the timespan */
    assert_int_equal(feed(f, c, 0, "reset", "v@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 1, "enroll", "v@x", NULL, T0 + MIN), 0);
    assert_int_equal(feed(f, c, 2, "signin", "v@x", NULL, T0 + 10 * MIN + 1), 0);
    idw_sigma_corr_free(c);
}

/* The window is in rule state: it survives closing and reopening the store and recompiling the rule. */
static void test_state_survives(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile(EVENT_COUNT);

    assert_int_equal(feed(f, c, 0, "r", "admin@x", NULL, T0), 0);
    assert_int_equal(feed(f, c, 0, "r", "admin@x", NULL, T0 + MIN), 0);
    idw_sigma_corr_free(c);
    fixture_close(f);
    fixture_open(f);
    c = must_compile(EVENT_COUNT);
    assert_int_equal(feed(f, c, 0, "r", "admin@x", NULL, T0 + 2 * MIN), 1);
    idw_sigma_corr_free(c);
    /* a rule counting something else (another referenced rule) starts from an empty window */
    c = must_compile("title: x\ncorrelation:\n  type: event_count\n  rules: [other]\n"
                     "  group-by: [actor.alternateId]\n  timespan: 10m\n  condition: {gte: 3}\n");
    assert_int_equal(feed(f, c, 0, "other", "admin@x", NULL, T0 + 3 * MIN), 0);
    idw_sigma_corr_free(c);
}

/* A full window keeps the newest matches: 256 within the timespan reach a gte: 256, and stay. */
static void test_event_count_full_window(void **state)
{
    struct fixture *f = *state;
    struct idw_sigma_corr *c = must_compile("title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n"
                                            "  timespan: 1h\n  condition: {gte: 256}\n");

    for (int i = 0; i < 255; i++)
        assert_int_equal(feed(f, c, 0, "a", "u", NULL, T0 + i * 1000), 0);
    assert_int_equal(feed(f, c, 0, "a", "u", NULL, T0 + 255 * 1000), 1);
    assert_int_equal(feed(f, c, 0, "a", "u", NULL, T0 + 256 * 1000), 1);
    assert_string_equal(probe.what, "256 matches of a within 1h for the whole org");
    /*
     * That last match replaced the oldest (T0): an hour and 1.5 s on, the
     * matches of T0 + 2 s .. T0 + 256 s and this one make 256 again (had the
     * window dropped the newest instead, T0 + 256 s would be missing).
     */
    assert_int_equal(feed(f, c, 0, "a", "u", NULL, T0 + 3600 * 1000 + 1500), 1);
    idw_sigma_corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test_setup_teardown(test_event_count_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_count_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_count_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_separation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporal_ordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_count_full_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
