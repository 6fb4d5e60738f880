/*
 * test_rule_privilege_grant.c — `privilege_grant` (src/rules/rule_privilege_grant.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): a planned
 * grant by an established admin from their usual place (low), one step up
 * per reason from medium (high role, context new to the granting admin,
 * recent risk within risk_hours), self-grants, group grants and adds into
 * admin groups (learned or by name), API tokens left to the catalogue, the
 * look-alikes (ordinary groups, failed grants, the org's shared egress),
 * the risk_hours edge in event time, aggregation and settings.
 */
#include "rule_harness.h"

#define RULE "privilege_grant"
#define ALICE "alice@acme.example"
#define BOSS "boss@acme.example"
#define BOB "bob@acme.example"

/* The admin and alice, established in Dublin; returns the next free time. */
static int64_t org(struct rh *h)
{
    rh_baseline(h, BOSS, &RH_DUBLIN, 12);
    return rh_baseline(h, ALICE, &RH_DUBLIN, 12);
}

static json_t *role(const char *id, const char *name)
{
    return json_pack("[{s:s, s:s, s:s}]", "id", id, "type", "ROLE", "displayName", name);
}

/* actor grants role (id, name) to grantee at t from at, on the admin's own device. */
static void grant(struct rh *h, int64_t t, const char *actor, const char *grantee, const struct rh_place *at,
                  const char *id, const char *name, const char *outcome)
{
    char dt[96];

    snprintf(dt, sizeof dt, "dev-%s", actor);
    rh_feed(h, &(struct rh_ev){.type = "user.account.privilege.grant", .t = t, .actor = actor,
                               .target_user = grantee, .at = at, .dt = dt, .outcome = outcome,
                               .targets = role(id, name)});
}

#define HELPDESK "HELP_DESK_ADMIN", "Help Desk Administrator"
#define SUPER "SUPER_ADMIN", "Super Administrator"

/* A planned grant of an ordinary role by the usual admin from the usual place: low 30. */
static void test_planned_grant_low(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 30, 30, 1);
    rh_evidence(a, "role Help Desk Administrator (HELP_DESK_ADMIN); by boss@acme.example from AS5466 known");
    rh_evidence(a, "the granting admin's usual context; risk: none in the risk window");
}

/* A high role is one step: high 70. */
static void test_high_role(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_DUBLIN, SUPER, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "(a high role)");
}

/* A high role from a context new to the admin: critical 90 (+5 for the admin's new device). */
static void test_two_reasons_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_VPS, SUPER, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 90, 90, 1);
    rh_evidence(a, "context new to the granting admin");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "user.account.privilege.grant", .t = t, .actor = BOSS,
                               .target_user = ALICE, .at = &RH_VPS, .dt = "unknown-laptop",
                               .targets = role(SUPER)});
    rh_check(rh_alert(h, RULE, ALICE), "critical", 95, 95, 1);
}

/* The grantee's factors reset within risk_hours (inclusive) is a reason; 1 ms older is not. */
static void test_recent_risk_edge(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .actor = BOSS, .target_user = ALICE,
                               .at = &RH_DUBLIN, .dt = "dev-" BOSS});
    grant(h, t + 24 * RH_HOUR, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "risk: alice@acme.example: all factors reset 24.0 h before");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .actor = BOSS, .target_user = ALICE,
                               .at = &RH_DUBLIN, .dt = "dev-" BOSS});
    grant(h, t + 24 * RH_HOUR + 1, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "low", 30, 30, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"risk_hours\": 48}");
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .actor = BOSS, .target_user = ALICE,
                               .at = &RH_DUBLIN, .dt = "dev-" BOSS});
    grant(h, t + 30 * RH_HOUR, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
}

/* boss resets alice's factors at the time after org(), then grants her a help-desk role after. */
static void reset_then_grant(struct rh *h, int64_t after)
{
    int64_t t = org(h);

    rh_feed(h, &(struct rh_ev){.type = "user.mfa.factor.reset_all", .t = t, .actor = BOSS,
                               .target_user = ALICE, .at = &RH_DUBLIN, .dt = "dev-" BOSS});
    grant(h, t + after, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
}

/* risk_hours is 0..720: just outside is refused, naming the file, the key and the range. */
static void test_risk_hours_range(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"risk_hours\": -0.5}", err, sizeof err);
    rh_names(err, "risk_hours: expected a number from 0 to 720");
    rh_refused(RULE, "{\"risk_hours\": 720.5}", err, sizeof err);
    rh_names(err, "risk_hours: expected a number from 0 to 720");
}

/* risk_hours 0 loads and turns risk off: a grant in the very millisecond of a reset stays low (planned). */
static void test_risk_hours_zero(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, "{\"risk_hours\": 0}");
    reset_then_grant(h, 0);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 30, 30, 1);
    rh_evidence(a, "risk: none in the risk window");
}

/* risk_hours 720, the high end: a reset 720 h before the grant is a reason, 1 ms more is not. */
static void test_risk_hours_highest(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, "{\"risk_hours\": 720}");
    reset_then_grant(h, 720 * RH_HOUR);
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"risk_hours\": 720}");
    reset_then_grant(h, 720 * RH_HOUR + 1);
    rh_check(rh_alert(h, RULE, ALICE), "low", 30, 30, 1);
}

/* A self-service password reset from the user's own network is not risk. */
static void test_self_service_reset_not_risk(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "user.account.reset_password", .t = t, .actor = ALICE,
                               .target_user = ALICE, .at = &RH_DUBLIN});
    grant(h, t + RH_HOUR, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "low", 30, 30, 1);
}

/* Granting oneself a role: critical 95. */
static void test_self_grant_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, ALICE, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 95, 95, 1);
    rh_evidence(a, "self-grant: the actor granted themselves");
}

/* A failed grant is nothing. */
static void test_failed_grant_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_VPS, SUPER, "FAILURE");
    grant(h, t + RH_MIN, BOSS, ALICE, &RH_VPS, SUPER, "DENY");
    assert_int_equal(rh_count(h, RULE), 0);
}

/* A group event by BOSS: type on group (id, name), bob as the added user when member. */
static void group_event(struct rh *h, int64_t t, const char *type, const char *gid, const char *gname,
                        int member, json_t *more)
{
    json_t *targets = json_pack("[{s:s, s:s, s:s}]", "id", gid, "type", "UserGroup", "displayName", gname);

    if (more)
        json_array_extend(targets, more);
    json_decref(more);
    rh_feed(h, &(struct rh_ev){.type = type, .t = t, .actor = BOSS, .target_user = member ? BOB : NULL,
                               .at = &RH_DUBLIN, .dt = "dev-" BOSS, .targets = targets});
}

/*
 * A high role granted to a group is alerted by group (high); an add into
 * it then is high; an add into an ordinary group is nothing; one into a
 * group named like an admin group is medium.
 */
static void test_groups(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, BOB, &RH_DUBLIN, 12);
    t = org(h);
    group_event(h, t, "group.privilege.grant", "00gOps", "Ops Team", 0, role(SUPER));
    const json_t *a = rh_alert(h, RULE, "group:00gOps");
    rh_check(a, "high", 70, 70, 1);
    assert_true(json_is_null(json_object_get(a, "user")));
    group_event(h, t + RH_HOUR, "group.user_membership.add", "00gOps", "Ops Team", 1, NULL);
    a = rh_alert(h, RULE, BOB);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "group Ops Team (holds Super Administrator (SUPER_ADMIN))");
    group_event(h, t + 2 * RH_DAY, "group.user_membership.add", "00gEng", "Engineering", 1, NULL);
    assert_int_equal(rh_count(h, RULE), 2);
    /* an admin group by name, past the window of bob's first alert: another alert */
    group_event(h, t + 4 * RH_DAY, "group.user_membership.add", "00gIT", "IT Admins", 1, NULL);
    assert_int_equal(rh_count(h, RULE), 3);
}

/* admin_group_patterns decides which names are admin groups. */
static void test_setting_group_patterns(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"admin_group_patterns\": [\"engineering\"]}");
    rh_baseline(h, BOB, &RH_DUBLIN, 12);
    t = org(h);
    group_event(h, t, "group.user_membership.add", "00gIT", "IT Admins", 1, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
    group_event(h, t + RH_HOUR, "group.user_membership.add", "00gEng", "Engineering", 1, NULL);
    const json_t *a = rh_alert(h, RULE, BOB);
    rh_check(a, "low", 30, 30, 1);
    rh_evidence(a, "an admin group by name");
}

/* high_roles decides which roles are high. */
static void test_setting_high_roles(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"high_roles\": [\"HELP_DESK\"]}");
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
}

/*
 * The lists hold up to 256 entries, the last one counting as much as the
 * first; 257 are refused, naming the file, the key and the range.
 */
static void test_lists_range(void **state)
{
    struct rh *h = *state;
    char err[512], *text;
    int64_t t;

    text = rh_list_config("high_roles", 257, "HELP_DESK");
    rh_refused(RULE, text, err, sizeof err);
    free(text);
    rh_names(err, "high_roles: expected an array of at most 256 non-empty strings");
    text = rh_list_config("admin_group_patterns", 257, "engineering");
    rh_refused(RULE, text, err, sizeof err);
    free(text);
    rh_names(err, "admin_group_patterns: expected an array of at most 256 non-empty strings");

    text = rh_list_config("high_roles", 256, "HELP_DESK");
    rh_open(h, RULE, text);
    free(text);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
    rh_close(h);

    text = rh_list_config("admin_group_patterns", 256, "engineering");
    rh_open(h, RULE, text);
    free(text);
    rh_baseline(h, BOB, &RH_DUBLIN, 12);
    t = org(h);
    group_event(h, t, "group.user_membership.add", "00gEng", "Engineering", 1, NULL);
    rh_evidence(rh_alert(h, RULE, BOB), "group Engineering (an admin group by name)");
}

/* API tokens and Okta Support access are the Sigma catalogue's: this rule raises nothing for them. */
static void test_api_token_and_support_access_not_here(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    rh_feed(h, &(struct rh_ev){.type = "system.api_token.create", .t = t, .actor = BOSS, .at = &RH_VPS,
                               .dt = "dev-" BOSS,
                               .targets = json_pack("[{s:s, s:s, s:s}]", "id", "00Tabc", "type", "Token",
                                                    "displayName", "ci-token")});
    rh_feed(h, &(struct rh_ev){.type = "user.session.impersonation.grant", .t = t + 60000, .actor = BOSS,
                               .at = &RH_VPS, .dt = "dev-" BOSS});
    assert_int_equal(rh_count(h, RULE), 0);
}

/* The admin on the org's shared egress is not in a new context. */
static void test_shared_egress_not_new(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "carol@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "dave@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "erin@acme.example", &RH_LONDON, 12);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_LONDON, HELPDESK, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 30, 30, 1);
    rh_evidence(a, "(the org's shared egress)");
}

/* Aggregation: a second grant to alice within window_hours updates the alert (version 2), to the higher severity. */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    grant(h, t, BOSS, ALICE, &RH_DUBLIN, HELPDESK, NULL);
    grant(h, t + RH_HOUR, BOSS, ALICE, &RH_DUBLIN, SUPER, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_planned_grant_low),
        RH_TEST(test_high_role),
        RH_TEST(test_two_reasons_critical),
        RH_TEST(test_recent_risk_edge),
        RH_TEST(test_self_service_reset_not_risk),
        RH_TEST(test_self_grant_critical),
        RH_TEST(test_failed_grant_quiet),
        RH_TEST(test_groups),
        RH_TEST(test_setting_group_patterns),
        RH_TEST(test_setting_high_roles),
        RH_TEST(test_lists_range),
        RH_TEST(test_risk_hours_range),
        RH_TEST(test_risk_hours_zero),
        RH_TEST(test_risk_hours_highest),
        RH_TEST(test_api_token_and_support_access_not_here),
        RH_TEST(test_shared_egress_not_new),
        RH_TEST(test_aggregation),
    };
    return cmocka_run_group_tests_name("rule_privilege_grant", tests, NULL, NULL);
}
