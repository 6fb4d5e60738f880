/*
 * test_rule_factor_reset.c — `factor_reset` (src/rules/rule_factor_reset.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): a help-desk
 * reset (low), by an admin from a context new to them (medium), rare and
 * with a password reset within password_minutes (medium), the takeover
 * chain (enrollment from a new context within chain_hours: high; sign-in
 * from that network: critical) as one aggregated alert, the chain_hours
 * edge in event time, an enrollment without a reset (medium), and the
 * look-alikes (re-enrollment from the usual context, learning personas,
 * the org's shared egress).
 */
#include "rule_harness.h"

#define RULE "factor_reset"
#define ALICE "alice@acme.example"
#define HD "hd@acme.example"

/* alice and the help-desk admin, both established in Dublin; returns the next free time. */
static int64_t org(struct rh *h)
{
    rh_baseline(h, HD, &RH_DUBLIN, 12);
    return rh_baseline(h, ALICE, &RH_DUBLIN, 12);
}

/* The help desk resets alice's factors at t from at. */
static void reset(struct rh *h, int64_t t, const struct rh_place *at)
{
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .actor = HD, .target_user = ALICE,
                               .at = at, .dt = "dev-" HD});
}

/* alice enrolls Okta Verify at t from at. */
static void enroll(struct rh *h, int64_t t, const struct rh_place *at, const char *dt)
{
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.activate", .t = t, .actor = ALICE, .at = at, .dt = dt,
                               .factor = "OKTA_VERIFY_PUSH"});
}

static void password_reset(struct rh *h, int64_t t)
{
    rh_feed(h, &(struct rh_ev){.type = "user.account.reset_password", .t = t, .actor = HD,
                               .target_user = ALICE, .at = &RH_DUBLIN, .dt = "dev-" HD});
}

/* How many of the rule's alerts have severity sev. */
static size_t with_severity(struct rh *h, const char *sev)
{
    json_t *all = rh_alerts(h, RULE), *a;
    size_t i, n = 0;

    json_array_foreach(all, i, a)
        n += !strcmp(rh_str(a, "severity"), sev);
    json_decref(all);
    return n;
}

/* A help-desk reset from the admin's usual place: low 25, with the admin's context. */
static void test_helpdesk_reset_low(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 1);
    rh_evidence(a, "factors reset by admin hd@acme.example (admin context: AS5466 known, Ireland known, "
                   "device known)");
}

/* The admin acting from an ASN and country new to them: medium 50. */
static void test_admin_new_context_medium(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_VPS);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 1);
    rh_evidence(a, "a context new to that admin");
}

/* A first reset with a password reset within password_minutes (after it): medium; one minute more: low. */
static void test_rare_with_password(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    password_reset(h, t + 60 * RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 2);
    rh_evidence(a, "a password reset within the hour of it");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    password_reset(h, t + 60 * RH_MIN + 1);
    rh_check(rh_alert(h, RULE, ALICE), "low", 25, 25, 1);
}

/* Not rare: a second reset within rare_days, even with a password reset, stays low; rare_days 10 makes it rare. */
static void test_not_rare(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    password_reset(h, t + 30 * RH_DAY);
    reset(h, t + 30 * RH_DAY + RH_MIN, &RH_DUBLIN);
    assert_int_equal(with_severity(h, "low"), 2);        /* each reset its own low alert */
    rh_close(h);

    rh_open(h, RULE, "{\"rare_days\": 10}");
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    password_reset(h, t + 30 * RH_DAY);
    reset(h, t + 30 * RH_DAY + RH_MIN, &RH_DUBLIN);
    assert_int_equal(with_severity(h, "medium"), 1);
    assert_int_equal(with_severity(h, "low"), 1);
}

/*
 * The takeover chain in one alert: reset (low), enrollment from a new
 * ASN and country (high 75), sign-in from that network (critical 95).
 */
static void test_takeover_chain(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + 2 * RH_HOUR, &RH_VPS, "attacker-phone");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 2);
    rh_evidence(a, "then OKTA_VERIFY_PUSH from 185.220.101.12 (AS64500 new, Romania new, device new) enrolled");
    rh_feed(h, &(struct rh_ev){.t = t + 2 * RH_HOUR + 5 * RH_MIN, .actor = ALICE, .at = &RH_VPS,
                               .dt = "attacker-phone"});
    a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 95, 95, 3);
    rh_evidence(a, "then a successful user.session.start from the same new network (AS64500, "
                   "185.220.101.12) 5 min after the enrollment");
    assert_int_equal(rh_int(a, "event_count"), 3);
    assert_int_equal(rh_count(h, RULE), 1);
}

/* chain_hours is inclusive: an enrollment 24 h after the reset is chained (high); 1 ms later it is not. */
static void test_chain_edge(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + 24 * RH_HOUR, &RH_VPS, "attacker-phone");
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 2);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + 24 * RH_HOUR + 1, &RH_VPS, "attacker-phone");
    /* the reset's low alert, and the enrollment's own: from a new place, unchained, medium 55 */
    assert_int_equal(rh_count(h, RULE), 2);
    assert_int_equal(with_severity(h, "low"), 1);
    assert_int_equal(with_severity(h, "medium"), 1);
    rh_close(h);

    rh_open(h, RULE, "{\"chain_hours\": 48}");
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + 30 * RH_HOUR, &RH_VPS, "attacker-phone");
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 2);
}

/* No reset before it: a factor enrolled from a new ASN and country is medium 55. */
static void test_enroll_without_reset_medium(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "device.enrollment.create", .t = t, .actor = ALICE, .at = &RH_VPS,
                               .dt = "attacker-phone"});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 55, 55, 1);
    rh_evidence(a, "enrolled, no factor reset before it");
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "mitre"), 1)), "T1098.005");
}

/* A help-desk reset, re-enrollment and sign-in from the usual ASN, country and device never rise above low. */
static void test_usual_reenrollment_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + RH_HOUR, &RH_DUBLIN, "dev-" ALICE);
    rh_feed(h, &(struct rh_ev){.t = t + RH_HOUR + 5 * RH_MIN, .actor = ALICE, .at = &RH_DUBLIN,
                               .dt = "dev-" ALICE});
    rh_check(rh_alert(h, RULE, ALICE), "low", 25, 25, 1);
}

/* A new hire (learning persona) enrolling from anywhere, and an enrollment via the org's egress, are nothing. */
static void test_learning_and_shared_egress_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, ALICE, &RH_DUBLIN, 2);
    enroll(h, RH_T0 + 2 * RH_DAY, &RH_VPS, "new-phone");
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "carol@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "dave@acme.example", &RH_LONDON, 12);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + RH_HOUR, &RH_LONDON, "new-phone");
    rh_check(rh_alert(h, RULE, ALICE), "low", 25, 25, 1);
}

/* alice removes her own factor at t from at (replacing her phone herself). */
static void self_deactivate(struct rh *h, int64_t t, const struct rh_place *at, const char *dt)
{
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.deactivate", .t = t, .actor = ALICE,
                               .target_user = ALICE, .at = at, .dt = dt, .factor = "OKTA_VERIFY_PUSH"});
}

/*
 * The false positive: alice replaces her phone herself, from her usual
 * network and laptop: her own deactivate, then Okta Verify enrolled on the new
 * phone (a device token never seen) from the usual network, then her usual
 * sign-in.  One low alert, never high.
 */
static void test_self_phone_replacement_low(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    self_deactivate(h, t, &RH_DUBLIN, "dev-" ALICE);
    enroll(h, t + 10 * RH_MIN, &RH_DUBLIN, "new-phone");
    rh_feed(h, &(struct rh_ev){.t = t + 20 * RH_MIN, .actor = ALICE, .at = &RH_DUBLIN, .dt = "dev-" ALICE});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 0);
    rh_evidence(a, "factors reset by the user");
    rh_evidence(a, "from the user's usual context");
    assert_int_equal(with_severity(h, "high"), 0);
}

/*
 * Near misses of the phone replacement that keep today's chain: the same
 * self-service change, but the new factor enrolled from a network and
 * country new to alice (high); or the deactivate itself from an unfamiliar
 * context, then an enrollment new only by its device (high: nothing vouches
 * for who removed the factor).  An admin's reset then a new device token from
 * the usual network stays high too.
 */
static void test_self_change_unfamiliar_context_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    self_deactivate(h, t, &RH_DUBLIN, "dev-" ALICE);
    enroll(h, t + 10 * RH_MIN, &RH_VPS, "new-phone");
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 2);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    self_deactivate(h, t, &RH_VPS, "other-laptop");
    enroll(h, t + 10 * RH_MIN, &RH_DUBLIN, "new-phone");
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 2);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    reset(h, t, &RH_DUBLIN);
    enroll(h, t + 10 * RH_MIN, &RH_DUBLIN, "new-phone");
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_helpdesk_reset_low),
        RH_TEST(test_admin_new_context_medium),
        RH_TEST(test_rare_with_password),
        RH_TEST(test_not_rare),
        RH_TEST(test_takeover_chain),
        RH_TEST(test_chain_edge),
        RH_TEST(test_enroll_without_reset_medium),
        RH_TEST(test_usual_reenrollment_quiet),
        RH_TEST(test_learning_and_shared_egress_quiet),
        RH_TEST(test_self_phone_replacement_low),
        RH_TEST(test_self_change_unfamiliar_context_high),
    };
    return cmocka_run_group_tests_name("rule_factor_reset", tests, NULL, NULL);
}
