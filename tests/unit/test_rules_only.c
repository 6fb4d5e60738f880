/*
 * test_rules_only.c — every accepted event reaches the rules; only a
 * person's own events (or a person acting on another), of a listed kind,
 * update personas (engine/pipeline.c).  A probe rule of every kind records
 * what the engine hands it: the admin plane done by Okta itself
 * (SystemPrincipal), an unlisted type, the system acting on a user, and a
 * person's own change to the org's security configuration.
 */
#include "rule_harness.h"

#include "event/classify.h"
#include "persona/persona.h"

/* ---- the probe: a rule of every kind that remembers its last call ------------------ */

struct probe_cfg {
    unsigned unused;
};

static struct {
    int calls;
    char type[96];
    char tuid[IDW_UUID_STRLEN];     /* the event's subject tuid ("" none) */
    int had_before;
    uint32_t before_events;         /* the subject's persona as the rule saw it */
    int had_actor;
} probe;

static void probe_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                           const struct idw_persona *before)
{
    (void)config;
    probe.calls++;
    idw_strlcpy(probe.type, ev->okta_type, sizeof probe.type);
    idw_strlcpy(probe.tuid, ev->tuid, sizeof probe.tuid);
    probe.had_before = before != NULL;
    probe.before_events = before ? before->events : 0;
    probe.had_actor = idw_detect_actor(ctx) != NULL;
}

static const struct idw_rule_param probe_params[] = {IDW_PARAM_END};

static const struct idw_rule probe_rule = {
    .id = "probe_all",
    .description = "sees every event",
    .kinds = IDW_KINDS_ALL,
    .params = probe_params,
    .config_size = sizeof(struct probe_cfg),
    .on_event = probe_on_event,
};

static const struct idw_rule *const probe_table[] = {&probe_rule, NULL};

/* rh_open with the probe as the only rule. */
static void open_probe(struct rh *h)
{
    struct idw_pipeline_opts po = {.domain_id = RH_DOMAIN};
    char err[512];

    memset(&probe, 0, sizeof probe);
    snprintf(h->dir, sizeof h->dir, "/tmp/idw-rule-XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    assert_int_equal(idw_config_load(NULL, &h->cfg, err, sizeof err), 0);
    h->cfg_loaded = 1;
    if (idw_store_open(h->dir, 64, IDW_STORE_NOSYNC, &h->st, err, sizeof err) < 0 ||
        idw_detect_open_rules(probe_table, NULL, &h->d, err, sizeof err) < 0)
        fail_msg("open_probe: %s", err);
    po.detect = h->d;
    if (idw_pipeline_open(h->st, &h->cfg, &po, &h->pl, err, sizeof err) < 0)
        fail_msg("open_probe: %s", err);
}

static int count_one(const struct idw_persona *p, size_t bytes, void *n)
{
    (void)p;
    (void)bytes;
    ++*(int *)n;
    return 0;
}

/* Personas stored for the domain (after a commit). */
static int stored_personas(struct rh *h)
{
    MDB_txn *txn;
    char err[256];
    int n = 0;

    rh_commit(h);
    assert_int_equal(idw_store_begin(h->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_persona_each(h->st, txn, RH_DOMAIN, count_one, &n, err, sizeof err), 0);
    mdb_txn_abort(txn);
    return n;
}

/* The stored persona of login (it must exist), into *p. */
static void stored_persona(struct rh *h, const char *login, struct idw_persona *p)
{
    MDB_txn *txn;
    char err[256], tuid[IDW_UUID_STRLEN];

    rh_commit(h);
    assert_int_equal(idw_store_begin(h->st, 1, &txn, err, sizeof err), 0);
    assert_int_equal(idw_store_find_user(h->st, txn, RH_DOMAIN, login, tuid, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_persona_get(h->st, txn, RH_DOMAIN, tuid, p, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
}

/* ---- tests ------------------------------------------------------------------------- */

/* Okta's own policy change (SystemPrincipal): the rules see it, no persona is made. */
static void test_system_policy_change_reaches_rules(void **state)
{
    struct rh *h = *state;

    open_probe(h);
    rh_feed(h, &(struct rh_ev){.type = "policy.rule.update", .t = RH_T0, .at = &RH_DUBLIN});
    assert_int_equal(probe.calls, 1);
    assert_string_equal(probe.type, "policy.rule.update");
    assert_false(probe.had_before);
    assert_false(probe.had_actor);
    assert_int_equal(stored_personas(h), 0);
    assert_int_equal(idw_pipeline_stats(h->pl)->accepted, 1);
    assert_int_equal(idw_pipeline_stats(h->pl)->persona_updates, 0);
    assert_int_equal(idw_pipeline_stats(h->pl)->rules_only, 1);
    assert_int_equal(idw_pipeline_stats(h->pl)->skipped_no_human, 0);
}

/* A type missing from the table reaches the rules, judged against the actor's persona, left as is. */
static void test_unlisted_type_reaches_rules(void **state)
{
    struct rh *h = *state;
    struct idw_persona p;
    int64_t t;

    open_probe(h);
    t = rh_baseline(h, "alice@acme.com", &RH_DUBLIN, 5);
    assert_null(idw_classify("system.feature.enable"));
    rh_feed(h, &(struct rh_ev){.type = "system.feature.enable", .t = t, .actor = "alice@acme.com",
                               .at = &RH_VPS});
    assert_int_equal(probe.calls, 6);
    assert_string_equal(probe.type, "system.feature.enable");
    assert_true(probe.had_before);
    assert_int_equal(probe.before_events, 5);
    stored_persona(h, "alice@acme.com", &p);
    assert_int_equal(p.events, 5);
    assert_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "Romania"));
    assert_int_equal(idw_pipeline_stats(h->pl)->persona_updates, 5);
    assert_int_equal(idw_pipeline_stats(h->pl)->rules_only, 1);
}

/*
 * The system resetting a user's factors: the rules judge it against the
 * user's persona (and its tuid), which it does not change; for a user never
 * seen, against a fresh persona that is not stored.
 */
static void test_system_on_user_judged_not_learned(void **state)
{
    struct rh *h = *state;
    struct idw_persona p;
    char tuid[IDW_UUID_STRLEN];
    int64_t t;

    open_probe(h);
    t = rh_baseline(h, "bob@acme.com", &RH_DUBLIN, 3);
    stored_persona(h, "bob@acme.com", &p);
    idw_strlcpy(tuid, p.tuid, sizeof tuid);
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .target_user = "bob@acme.com",
                               .at = &RH_VPS});
    assert_int_equal(probe.calls, 4);
    assert_true(probe.had_before);
    assert_int_equal(probe.before_events, 3);
    assert_false(probe.had_actor);
    assert_string_equal(probe.tuid, tuid);
    stored_persona(h, "bob@acme.com", &p);
    assert_int_equal(p.events, 3);
    assert_int_equal(p.c.factor_changes, 0);

    rh_feed(h, &(struct rh_ev){.type = "user.lifecycle.create", .t = t + RH_MIN,
                               .target_user = "new@acme.com", .at = &RH_VPS});
    assert_int_equal(probe.calls, 5);
    assert_true(probe.had_before);
    assert_int_equal(probe.before_events, 0);
    assert_true(probe.tuid[0] != '\0');
    assert_int_equal(stored_personas(h), 1);
    assert_int_equal(idw_pipeline_stats(h->pl)->rules_only, 2);
}

/*
 * A person's own change to the org's configuration, from a new network:
 * it counts as their event, but proves nothing about who they are, so
 * their routine (countries, networks, hours) learns nothing from it.
 */
static void test_admin_config_change_teaches_no_context(void **state)
{
    struct rh *h = *state;
    struct idw_persona p;
    int64_t t;

    open_probe(h);
    t = rh_baseline(h, "admin@acme.com", &RH_DUBLIN, 4);
    assert_true(idw_classify("zone.update")->flags & IDW_K_CONFIG);
    rh_feed(h, &(struct rh_ev){.type = "zone.update", .t = t, .actor = "admin@acme.com", .at = &RH_VPS});
    assert_int_equal(probe.calls, 5);
    assert_true(probe.had_before);
    assert_int_equal(probe.before_events, 4);
    stored_persona(h, "admin@acme.com", &p);
    assert_int_equal(p.events, 5);
    assert_true(p.last_seen == t);
    assert_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "Romania"));
    assert_null(idw_persona_find(&p, IDW_DIM_ASNS, "AS64500"));
    assert_non_null(idw_persona_find(&p, IDW_DIM_COUNTRIES, "Ireland"));
    assert_int_equal(idw_pipeline_stats(h->pl)->rules_only, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_system_policy_change_reaches_rules),
        RH_TEST(test_unlisted_type_reaches_rules),
        RH_TEST(test_system_on_user_judged_not_learned),
        RH_TEST(test_admin_config_change_teaches_no_context),
    };
    return cmocka_run_group_tests_name("rules_only", tests, NULL, NULL);
}
