/*
 * test_rule_prims.c — the shared rule primitives (rules/prim.h) and the
 * engine's side of the rule interface (rule.h): novelty against a persona
 * (missing ASN, no baseline, shared egress), the event-time window at its
 * edges, versioned state records, the debugData accessors, settings
 * written into a rule's config struct, and dispatch by event kind.  A
 * probe rule registered through idw_detect_open_rules records what the
 * primitives answered inside a real detection context on a temp LMDB.
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
#include "engine/detect.h"
#include "event/normalize.h"
#include "rules/prim.h"
#include "store/store.h"

#define T0 1790000000000LL      /* 2026-09-21 */

/* ---- the probe rule ------------------------------------------------------------ */

struct probe_cfg {
    unsigned count;
    int64_t window_ms;
    double ratio;
    struct idw_strings names;
};

enum probe_mode { NOVELTY, STATE_PUT, STATE_GET_V1, STATE_GET_V2, STATE_GET_SMALL, RAISE_THEN_FAIL };

static struct {
    enum probe_mode mode;
    int calls;
    enum idw_novelty net, cty, dev;
    enum idw_rc rc;
    uint64_t rec[2];
    const struct probe_cfg *cfg;
} probe;

/* A high alert, then a state record too big to store: the event fails after raising. */
static void raise_then_fail(struct idw_detect_ctx *ctx)
{
    static unsigned char big[IDW_STATE_MAX + 1];
    struct idw_alert_candidate c = {.severity = IDW_SEV_HIGH, .score = 80, .entity = "user:u-known",
                                    .window_ms = IDW_HOUR_MS, .summary = "probe", .evidence = "probe"};

    idw_detect_emit(ctx, &c);
    probe.rc = idw_state_put(ctx, "k", 1, big, sizeof big);
}

static void probe_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                           const struct idw_persona *before)
{
    uint64_t rec[2] = {0x1122334455667788ull, 42};
    uint32_t small = 0;

    probe.calls++;
    probe.cfg = config;
    switch (probe.mode) {
    case NOVELTY:
        probe.net = idw_network_novelty(ctx, ev, before);
        probe.cty = idw_country_novelty(ctx, ev, before);
        probe.dev = idw_device_novelty(ctx, ev, before);
        break;
    case STATE_PUT:
        probe.rc = idw_state_put(ctx, "k", 1, rec, sizeof rec);
        break;
    case STATE_GET_V1:
    case STATE_GET_V2:
        memset(probe.rec, 0xff, sizeof probe.rec);
        probe.rc = idw_state_get(ctx, "k", probe.mode == STATE_GET_V1 ? 1 : 2, probe.rec, sizeof probe.rec);
        break;
    case STATE_GET_SMALL:
        probe.rc = idw_state_get(ctx, "k", 1, &small, sizeof small);
        probe.rec[0] = small;
        break;
    case RAISE_THEN_FAIL:
        raise_then_fail(ctx);
        break;
    }
}

static const char *const probe_names_def[] = {"alpha", "beta", NULL};

static const struct idw_rule_param probe_params[] = {
    {"count", 7, 1, 100, IDW_PARAM_INTEGER, "a count", offsetof(struct probe_cfg, count), IDW_UNIT_NONE, NULL},
    {"window_minutes", 30, 1, 1440, IDW_PARAM_NUMBER, "a window",
     offsetof(struct probe_cfg, window_ms), IDW_UNIT_MINUTES, NULL},
    {"ratio", 0.5, 0, 1, IDW_PARAM_NUMBER, "a ratio", offsetof(struct probe_cfg, ratio), IDW_UNIT_NONE, NULL},
    {"names", 0, 0, 8, IDW_PARAM_STRINGS, "names", offsetof(struct probe_cfg, names), IDW_UNIT_NONE,
     probe_names_def},
    IDW_PARAM_END,
};

static const struct idw_rule probe_rule = {
    .id = "probe",
    .description = "test probe",
    .kinds = IDW_K_SIGNIN | IDW_K_PUSH_DENY,
    .params = probe_params,
    .config_size = sizeof(struct probe_cfg),
    .on_event = probe_on_event,
};

static const struct idw_rule *const probe_table[] = {&probe_rule, NULL};

/* ---- fixture: a store, the probe loaded, personas ---------------------------------- */

struct fixture {
    char dir[64];
    struct idw_store *st;
    struct idw_detect *d;
    struct idw_persona_params prm;
    struct idw_persona known;       /* established; knows AS100, Ireland, device dt-known */
    struct idw_persona learning;    /* still learning; knows AS100 */
};

static int setup(void **state)
{
    static struct fixture f;
    char err[512];

    memset(&f, 0, sizeof f);
    memset(&probe, 0, sizeof probe);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-prims-XXXXXX");
    if (!mkdtemp(f.dir) || idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        idw_detect_open_rules(probe_table, NULL, &f.d, err, sizeof err) < 0)
        return -1;
    idw_persona_params_init(&f.prm, 30, 14, 10, 60);
    idw_persona_init(&f.known, "u-known");
    idw_persona_observe(&f.known, IDW_DIM_ASNS, "AS100", "Home ISP", T0 - IDW_DAY_MS, 0, 0, &f.prm);
    idw_persona_observe(&f.known, IDW_DIM_ASNS, "Unnamed ISP", "Unnamed ISP", T0 - IDW_DAY_MS, 0, 0, &f.prm);
    idw_persona_observe(&f.known, IDW_DIM_COUNTRIES, "Ireland", NULL, T0 - IDW_DAY_MS, 0, 0, &f.prm);
    idw_persona_observe(&f.known, IDW_DIM_DEVICES, "dt-known", NULL, T0 - IDW_DAY_MS, 0, 0, &f.prm);
    f.known.established_at = T0 - 30 * IDW_DAY_MS;
    idw_persona_init(&f.learning, "u-new");
    idw_persona_observe(&f.learning, IDW_DIM_ASNS, "AS100", "Home ISP", T0 - IDW_DAY_MS, 0, 0, &f.prm);
    f.learning.learning_since = T0 - IDW_DAY_MS;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_detect_close(f->d);
    idw_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct idw_event signin(uint32_t asn, const char *ip, const char *country, const char *dt)
{
    struct idw_event ev = {0};

    ev.kind = idw_classify("user.session.start");
    ev.okta_type = "user.session.start";
    ev.uuid = "ev-1";
    ev.published_ms = T0;
    ev.asn = asn;
    ev.ip = ip;
    ev.geo.country = country;
    ev.dt_hash = dt;
    idw_strlcpy(ev.tuid, "u-known", sizeof ev.tuid);
    return ev;
}

/* Runs the engine on ev in its own transaction (committed); returns the number of alerts raised. */
static unsigned run(struct fixture *f, const struct idw_event *ev, const struct idw_persona *before)
{
    MDB_txn *txn;
    char err[512];
    unsigned n = 99;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_detect_event(f->d, f->st, txn, "acme", ev, before, NULL, &f->prm, 0, &n, NULL,
                                      err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    return n;
}

/* ---- novelty ---------------------------------------------------------------------- */

static void test_novelty_known_and_new(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(100, "192.0.2.10", "Ireland", "dt-known");

    probe.mode = NOVELTY;
    assert_int_equal(run(f, &ev, &f->known), 0);
    assert_int_equal(probe.net, IDW_NOVELTY_KNOWN);
    assert_int_equal(probe.cty, IDW_NOVELTY_KNOWN);
    assert_int_equal(probe.dev, IDW_NOVELTY_KNOWN);
    ev = signin(64500, "203.0.113.9", "Brazil", "dt-other");
    assert_int_equal(run(f, &ev, &f->known), 0);
    assert_int_equal(probe.net, IDW_NOVELTY_NEW);
    assert_int_equal(probe.cty, IDW_NOVELTY_NEW);
    assert_int_equal(probe.dev, IDW_NOVELTY_NEW);
}

/* A missing ASN is NEW to an established persona unless the ISP names a known network. */
static void test_novelty_missing_asn(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(0, "203.0.113.9", NULL, NULL);
    char buf[IDW_PV_VALUE];

    probe.mode = NOVELTY;
    run(f, &ev, &f->known);
    assert_int_equal(probe.net, IDW_NOVELTY_NEW);
    assert_string_equal(idw_network_name(&ev, buf), "an unnamed network");
    /* no country, no device token on the event: nothing to call new */
    assert_int_equal(probe.cty, IDW_NOVELTY_NO_BASELINE);
    assert_int_equal(probe.dev, IDW_NOVELTY_NO_BASELINE);
    ev.isp = "Unnamed ISP";     /* the persona learned this network by its ISP */
    run(f, &ev, &f->known);
    assert_int_equal(probe.net, IDW_NOVELTY_KNOWN);
    assert_string_equal(idw_network_key(&ev, buf), "Unnamed ISP");
}

/* No persona, or a learning one, has no baseline, but what it knows is still known. */
static void test_novelty_no_baseline(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(64500, "203.0.113.9", "Brazil", "dt-other");

    probe.mode = NOVELTY;
    run(f, &ev, NULL);
    assert_int_equal(probe.net, IDW_NOVELTY_NO_BASELINE);
    assert_int_equal(probe.dev, IDW_NOVELTY_NO_BASELINE);
    run(f, &ev, &f->learning);
    assert_int_equal(probe.net, IDW_NOVELTY_NO_BASELINE);
    assert_int_equal(probe.cty, IDW_NOVELTY_NO_BASELINE);
    ev.asn = 100;
    run(f, &ev, &f->learning);
    assert_int_equal(probe.net, IDW_NOVELTY_KNOWN);
    ev.asn = 0;                 /* a missing ASN while learning: no baseline either */
    run(f, &ev, &f->learning);
    assert_int_equal(probe.net, IDW_NOVELTY_NO_BASELINE);
}

/* A /24 in the routine of 3 users is the org's exit: not new, for networks and countries. */
static void test_novelty_shared_egress(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(64500, "198.51.100.7", "Brazil", "dt-other");
    MDB_txn *txn;
    char err[256];

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    for (int i = 0; i < IDW_SHARED_EGRESS_USERS; i++)
        assert_int_equal(idw_store_org_add(f->st, txn, "acme", "pfx:198.51.100.0/24", err, sizeof err), 0);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
    probe.mode = NOVELTY;
    run(f, &ev, &f->known);
    assert_int_equal(probe.net, IDW_NOVELTY_SHARED_EGRESS);
    assert_int_equal(probe.cty, IDW_NOVELTY_SHARED_EGRESS);
    assert_int_equal(probe.dev, IDW_NOVELTY_NEW);       /* a device is not a network */
    ev.asn = 0;                 /* the exit vouches even for an unnamed network */
    run(f, &ev, &f->known);
    assert_int_equal(probe.net, IDW_NOVELTY_SHARED_EGRESS);
    ev.ip = "198.51.101.7";     /* the next /24 is no exit */
    run(f, &ev, &f->known);
    assert_int_equal(probe.net, IDW_NOVELTY_NEW);
}

/* ---- the window ------------------------------------------------------------------- */

static void test_window_edges(void **state)
{
    struct idw_window w;
    const int64_t span = 10 * IDW_MIN_MS;

    (void)state;
    memset(&w, 0, sizeof w);
    idw_window_add(&w, 8, T0, 1);
    idw_window_add(&w, 8, T0 + span, 0);
    /* exactly span old is inside; one millisecond more is out */
    assert_int_equal(idw_window_count(&w, T0 + span, span), 2);
    assert_int_equal(idw_window_count(&w, T0 + span + 1, span), 1);
    assert_int_equal(idw_window_sum(&w, T0 + span, span), 1);
    assert_int_equal(idw_window_sum(&w, T0 + span + 1, span), 0);
    /* events after the end do not count: the window ends at the event judged */
    assert_int_equal(idw_window_count(&w, T0, span), 1);
    assert_int_equal(idw_window_count(&w, T0 - 1, span), 0);
    assert_true(idw_window_has(&w, T0 + span, span, 1));
    assert_false(idw_window_has(&w, T0 + span + 1, span, 1));
}

/* Out of order: an older event is counted where it belongs, and capacity evicts the oldest time. */
static void test_window_out_of_order_and_capacity(void **state)
{
    struct idw_window w;
    uint32_t tags[8];

    (void)state;
    memset(&w, 0, sizeof w);
    idw_window_add(&w, 3, T0 + 3 * IDW_MIN_MS, 3);
    idw_window_add(&w, 3, T0 + 1 * IDW_MIN_MS, 1);     /* late arrival */
    idw_window_add(&w, 3, T0 + 2 * IDW_MIN_MS, 2);
    assert_int_equal(idw_window_count(&w, T0 + 3 * IDW_MIN_MS, 5 * IDW_MIN_MS), 3);
    assert_int_equal(idw_window_count(&w, T0 + 2 * IDW_MIN_MS, 5 * IDW_MIN_MS), 2);
    /* full: the newest replaces the oldest time (T0+1), not the oldest insertion (T0+3) */
    idw_window_add(&w, 3, T0 + 4 * IDW_MIN_MS, 4);
    assert_int_equal(idw_window_count(&w, T0 + 4 * IDW_MIN_MS, IDW_HOUR_MS), 3);
    assert_false(idw_window_has(&w, T0 + 4 * IDW_MIN_MS, IDW_HOUR_MS, 1));
    assert_true(idw_window_has(&w, T0 + 4 * IDW_MIN_MS, IDW_HOUR_MS, 3));
    /* an event older than everything in a full window is the one dropped */
    idw_window_add(&w, 3, T0, 9);
    assert_false(idw_window_has(&w, T0 + 4 * IDW_MIN_MS, IDW_HOUR_MS, 9));
    /* capacity is a bound: slots past cap stay free */
    assert_int_equal(w.t[3], 0);
    /* distinct tags, with repeats */
    idw_window_add(&w, 3, T0 + 5 * IDW_MIN_MS, 4);
    assert_int_equal(idw_window_tags(&w, T0 + 5 * IDW_MIN_MS, IDW_HOUR_MS, tags, 8), 2);
    assert_int_equal(idw_window_count(&w, T0 + 5 * IDW_MIN_MS, IDW_HOUR_MS), 3);
}

static void test_window_prune(void **state)
{
    struct idw_window w;

    (void)state;
    memset(&w, 0, sizeof w);
    idw_window_add(&w, IDW_WINDOW_MAX, T0, 1);
    idw_window_add(&w, IDW_WINDOW_MAX, T0 + IDW_MIN_MS, 1);
    idw_window_add(&w, IDW_WINDOW_MAX, T0 + 2 * IDW_MIN_MS, 1);
    idw_window_prune(&w, T0 + 2 * IDW_MIN_MS, IDW_MIN_MS);     /* T0 is older than the span */
    assert_int_equal(idw_window_count(&w, T0 + 2 * IDW_MIN_MS, IDW_HOUR_MS), 2);
    assert_int_equal(idw_window_count(&w, T0 + 2 * IDW_MIN_MS, 0), 1);
}

/* ---- versioned state records -------------------------------------------------------- */

/*
 * An event that fails after a rule raised an alert answers IDW_ERR with no
 * alert and no severity: its transaction is abandoned, so nothing was
 * raised, and a caller must not count or escalate what never happened.
 */
static void test_failed_event_raises_nothing(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(100, "192.0.2.10", NULL, NULL);
    enum idw_severity worst = IDW_SEV_CRITICAL;
    unsigned n = 99;
    MDB_txn *txn;
    char err[512] = "";

    probe.mode = RAISE_THEN_FAIL;
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(idw_detect_event(f->d, f->st, txn, "acme", &ev, &f->known, NULL, &f->prm, 0, &n, &worst,
                                      err, sizeof err), IDW_ERR);
    mdb_txn_abort(txn);
    assert_int_equal(probe.rc, IDW_ERR);
    assert_non_null(strstr(err, "state record of 4097 bytes"));
    assert_int_equal(n, 0);
    assert_int_equal(worst, 0);
}

static void test_state_versions(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(100, "192.0.2.10", NULL, NULL);

    probe.mode = STATE_GET_V1;
    run(f, &ev, &f->known);
    assert_int_equal(probe.rc, IDW_NOTFOUND);       /* absent: zeroed */
    assert_int_equal(probe.rec[0], 0);
    probe.mode = STATE_PUT;
    run(f, &ev, &f->known);
    assert_int_equal(probe.rc, IDW_OK);
    probe.mode = STATE_GET_V1;
    run(f, &ev, &f->known);
    assert_int_equal(probe.rc, IDW_OK);
    assert_true(probe.rec[0] == 0x1122334455667788ull && probe.rec[1] == 42);
    /* another version of the same size: absent, never misread */
    probe.mode = STATE_GET_V2;
    run(f, &ev, &f->known);
    assert_int_equal(probe.rc, IDW_NOTFOUND);
    assert_true(probe.rec[0] == 0 && probe.rec[1] == 0);
    /* the same version at another size (the struct changed without a bump): absent too */
    probe.mode = STATE_GET_SMALL;
    run(f, &ev, &f->known);
    assert_int_equal(probe.rc, IDW_NOTFOUND);
    assert_int_equal(probe.rec[0], 0);
}

/* ---- debugData accessors ------------------------------------------------------------ */

static void test_debug_accessors(void **state)
{
    struct idw_event ev = {0};
    double n;
    int b;
    char text[16];

    (void)state;
    ev.raw = json_loads("{\"debugContext\":{\"debugData\":{\"s\":\"x\",\"nul\":\"null\",\"empty\":\"\","
                        "\"num\":5,\"numstr\":\"42.5\",\"bad\":\"12abc\",\"huge\":\"1e999\",\"inf\":\"inf\",\"t\":\"TRUE\","
                        "\"f\":false,\"arr\":[\"a\",7,\"b\"],\"obj\":{\"k\":1}}}}", 0, NULL);
    assert_non_null(ev.raw);
    assert_string_equal(idw_event_debug_str(&ev, "s"), "x");
    assert_null(idw_event_debug_str(&ev, "nul"));
    assert_null(idw_event_debug_str(&ev, "empty"));
    assert_null(idw_event_debug_str(&ev, "num"));       /* not a string */
    assert_null(idw_event_debug_str(&ev, "missing"));
    assert_int_equal(idw_event_debug_num(&ev, "num", &n), IDW_OK);
    assert_true(n == 5);
    assert_int_equal(idw_event_debug_num(&ev, "numstr", &n), IDW_OK);
    assert_true(n == 42.5);
    assert_int_equal(idw_event_debug_num(&ev, "bad", &n), IDW_NOTFOUND);
    assert_true(n == 0);
    assert_int_equal(idw_event_debug_num(&ev, "huge", &n), IDW_NOTFOUND);
    assert_int_equal(idw_event_debug_num(&ev, "inf", &n), IDW_NOTFOUND);
    assert_int_equal(idw_event_debug_num(&ev, "arr", &n), IDW_NOTFOUND);
    assert_int_equal(idw_event_debug_bool(&ev, "t", &b), IDW_OK);
    assert_int_equal(b, 1);
    assert_int_equal(idw_event_debug_bool(&ev, "f", &b), IDW_OK);
    assert_int_equal(b, 0);
    assert_int_equal(idw_event_debug_bool(&ev, "s", &b), IDW_NOTFOUND);
    assert_int_equal(idw_event_debug_text(&ev, "arr", text, sizeof text), 4);
    assert_string_equal(text, "a, b");                  /* non-strings skipped */
    assert_int_equal(idw_event_debug_text(&ev, "obj", text, sizeof text), 0);
    assert_non_null(idw_event_debug_value(&ev, "obj"));
    json_decref(ev.raw);
    ev.raw = json_loads("{\"debugContext\":{\"debugData\":\"not an object\"}}", 0, NULL);
    assert_null(idw_event_debug_str(&ev, "s"));
    assert_int_equal(idw_event_debug_bool(&ev, "t", &b), IDW_NOTFOUND);
    json_decref(ev.raw);
}

/* ---- settings and dispatch ---------------------------------------------------------- */

/* Every setting lands in its field, converted, defaults filled in. */
static void test_settings_into_config(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(100, "192.0.2.10", NULL, NULL);
    struct idw_detect *d;
    char dir[128], path[256], err[512];
    FILE *fp;

    probe.mode = NOVELTY;
    run(f, &ev, &f->known);
    assert_non_null(probe.cfg);
    assert_int_equal(probe.cfg->count, 7);
    assert_true(probe.cfg->window_ms == 30 * IDW_MIN_MS);
    assert_true(probe.cfg->ratio == 0.5);
    assert_int_equal(probe.cfg->names.n, 2);
    assert_string_equal(probe.cfg->names.v[1], "beta");

    snprintf(dir, sizeof dir, "%s/rules", f->dir);
    snprintf(path, sizeof path, "mkdir -p '%s'", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/probe.json", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"count\": 3, \"window_minutes\": 2.5, \"names\": [\"gamma\"]}", fp);
    fclose(fp);
    assert_int_equal(idw_detect_open_rules(probe_table, dir, &d, err, sizeof err), 0);
    idw_detect_close(f->d);
    f->d = d;
    run(f, &ev, &f->known);
    assert_int_equal(probe.cfg->count, 3);
    assert_true(probe.cfg->window_ms == 150000);
    assert_true(probe.cfg->ratio == 0.5);
    assert_int_equal(probe.cfg->names.n, 1);
    assert_string_equal(probe.cfg->names.v[0], "gamma");
}

/* The engine calls a rule only for events of its kinds. */
static void test_dispatch_by_kind(void **state)
{
    struct fixture *f = *state;
    struct idw_event ev = signin(100, "192.0.2.10", NULL, NULL);

    probe.mode = NOVELTY;
    run(f, &ev, &f->known);                         /* SIGNIN */
    assert_int_equal(probe.calls, 1);
    ev.kind = idw_classify("user.mfa.okta_verify.deny_push");    /* PUSH_DENY */
    run(f, &ev, &f->known);
    assert_int_equal(probe.calls, 2);
    ev.kind = idw_classify("system.push.send_factor_verify_push");  /* PUSH only */
    run(f, &ev, &f->known);
    ev.kind = idw_classify("user.account.lock");    /* LIFECYCLE, LOCKOUT */
    run(f, &ev, &f->known);
    ev.kind = idw_classify_fallback("system.org.rate_limit.violation");  /* unlisted: no flags */
    run(f, &ev, &f->known);
    assert_int_equal(probe.calls, 2);
    /* a rule of every kind takes even unlisted types */
    struct idw_rule all = probe_rule;
    all.kinds = IDW_KINDS_ALL;
    assert_false(idw_rule_wants(&probe_rule, &ev));
    assert_true(idw_rule_wants(&all, &ev));
}

/* Every registered rule declares kinds and a config struct its table fits. */
static void test_registry_declares_kinds(void **state)
{
    struct idw_detect *d;
    char err[512];

    (void)state;
    for (size_t i = 0; idw_rule_table[i]; i++) {
        assert_true(idw_rule_table[i]->kinds != 0);
        assert_true(idw_rule_table[i]->config_size > 0);
    }
    assert_int_equal(idw_detect_open(NULL, &d, err, sizeof err), 0);
    idw_detect_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_novelty_known_and_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_novelty_missing_asn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_novelty_no_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_novelty_shared_egress, setup, teardown),
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_window_out_of_order_and_capacity),
        cmocka_unit_test(test_window_prune),
        cmocka_unit_test_setup_teardown(test_state_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_event_raises_nothing, setup, teardown),
        cmocka_unit_test(test_debug_accessors),
        cmocka_unit_test_setup_teardown(test_settings_into_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_by_kind, setup, teardown),
        cmocka_unit_test(test_registry_declares_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
