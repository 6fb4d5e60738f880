/*
 * test_rule_mfa_fatigue.c — `mfa_fatigue` (src/rules/rule_mfa_fatigue.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): the push and
 * denial thresholds, the window edge in event time, medium / high (pushes
 * requested from a network new to an established user) / critical (the
 * user gives in), the look-alikes it must leave alone, aggregation and
 * settings.
 */
#include "rule_harness.h"

#define RULE "mfa_fatigue"
#define ALICE "alice@acme.example"
#define PUSH "system.push.send_factor_verify_push"
#define DENY "user.mfa.okta_verify.deny_push"

/* n events of type for ALICE from at, step apart from t on; returns the time after the last. */
static int64_t burst(struct rh *h, const char *type, const struct rh_place *at, int64_t t, int n,
                     int64_t step)
{
    return rh_feed_n(h, &(struct rh_ev){.type = type, .t = t, .actor = ALICE, .at = at,
                                        .factor = "OKTA_VERIFY_PUSH"}, n, step);
}

/* Exactly min_pushes (5) pushes raise it (medium from the user's own network); 4 do not. */
static void test_push_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_DUBLIN, t, 4, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    burst(h, PUSH, &RH_DUBLIN, t, 1, 0);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 55, 55, 1);
    rh_evidence(a, "5 pushes, 0 denials in 10 min (thresholds 5 / 3); requested from AS5466, a network "
                   "this user uses");
}

/* Exactly min_denies (3) denials raise it; 2 do not. */
static void test_deny_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, DENY, &RH_DUBLIN, t, 2, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    burst(h, DENY, &RH_DUBLIN, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
}

/* A push verification that failed or went unanswered is a denial; a wrong TOTP code is not. */
static void test_failed_push_verifications_are_denials(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    for (int i = 0; i < 3; i++)
        rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + i * RH_MIN,
                                   .actor = ALICE, .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_TOTP",
                                   .outcome = "FAILURE"});
    assert_int_equal(rh_count(h, RULE), 0);
    t += 2 * RH_HOUR;
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t, .actor = ALICE,
                               .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH", .outcome = "FAILURE"});
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + RH_MIN, .actor = ALICE,
                               .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH", .outcome = "UNANSWERED"});
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + 2 * RH_MIN,
                               .actor = ALICE, .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH",
                               .outcome = "ABANDONED"});
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
}

/* The window is inclusive: the 5th push exactly window_minutes after the first counts. */
static void test_window_edge_inside(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    burst(h, PUSH, &RH_DUBLIN, t, 1, 0);
    burst(h, PUSH, &RH_DUBLIN, t + 10 * RH_MIN, 4, 0);
    assert_int_equal(rh_count(h, RULE), 1);
}

/* ... one millisecond later the first push has left it. */
static void test_window_edge_outside(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    burst(h, PUSH, &RH_DUBLIN, t, 1, 0);
    burst(h, PUSH, &RH_DUBLIN, t + 10 * RH_MIN + 1, 4, 0);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Pushes requested from an ASN the established persona does not know: someone else has the password. */
static void test_new_network_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    burst(h, PUSH, &RH_VPS, t, 5, RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "requested from AS64500, a network this user never signed in from");
}

/* A learning persona has no baseline to be new against: medium, not high. */
static void test_learning_persona_not_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 2);
    burst(h, PUSH, &RH_VPS, t, 5, RH_MIN);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
}

/* The user gives in: a successful MFA within success_minutes of the burst is critical. */
static void test_approval_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_VPS, t, 5, RH_MIN) - RH_MIN;     /* t: the burst's last push */
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + 30 * RH_MIN,
                               .actor = ALICE, .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH"});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 95, 95, 2);
    rh_evidence(a, "followed by a successful verification");
}

/* An approval past success_minutes, or without a burst before it, is not giving in. */
static void test_late_or_lone_approval(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t, .actor = ALICE,
                               .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH"});
    assert_int_equal(rh_count(h, RULE), 0);
    t = burst(h, PUSH, &RH_VPS, t + RH_HOUR, 5, RH_MIN) - RH_MIN;
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + 30 * RH_MIN + 1,
                               .actor = ALICE, .at = &RH_DUBLIN, .factor = "OKTA_VERIFY_PUSH"});
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
}

/* A retried push or two, and pushes spread over an afternoon, are nothing. */
static void test_benign_retries(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    burst(h, PUSH, &RH_DUBLIN, t, 2, 20000);
    burst(h, PUSH, &RH_DUBLIN, t + RH_HOUR, 8, 15 * RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Aggregation: the burst's next push updates the same alert; one a day later is a new one. */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_DUBLIN, t, 6, RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 55, 55, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
    burst(h, PUSH, &RH_DUBLIN, t + RH_DAY, 5, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* min_pushes 3 makes three pushes a burst; min_denies 2 two denials. */
static void test_settings_thresholds(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_pushes\": 3, \"min_denies\": 2}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    burst(h, PUSH, &RH_DUBLIN, t, 3, RH_MIN);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
    burst(h, DENY, &RH_DUBLIN, t + RH_DAY, 2, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* Each threshold is 2..64: just outside is refused, naming the file, the key and the range. */
static void test_settings_range(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"min_denies\": 1}", err, sizeof err);
    rh_names(err, "min_denies: expected an integer from 2 to 64");
    rh_refused(RULE, "{\"min_denies\": 65}", err, sizeof err);
    rh_names(err, "min_denies: expected an integer from 2 to 64");
    rh_refused(RULE, "{\"min_pushes\": 1}", err, sizeof err);
    rh_names(err, "min_pushes: expected an integer from 2 to 64");
    rh_refused(RULE, "{\"min_pushes\": 65}", err, sizeof err);
    rh_names(err, "min_pushes: expected an integer from 2 to 64");
}

/* The low end: min_pushes 2 makes two pushes a burst, one not. */
static void test_settings_lowest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_pushes\": 2, \"min_denies\": 2}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_DUBLIN, t, 1, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    burst(h, PUSH, &RH_DUBLIN, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
}

/* The high end: min_pushes 64 and min_denies 64 count all 64 of each in the window (63 are not a burst). */
static void test_settings_highest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_pushes\": 64, \"min_denies\": 64}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_DUBLIN, t, 63, 5000);
    assert_int_equal(rh_count(h, RULE), 0);
    burst(h, PUSH, &RH_DUBLIN, t, 1, 0);
    rh_evidence(rh_alert(h, RULE, ALICE), "64 pushes, 0 denials in 10 min (thresholds 64 / 64)");
    t = burst(h, DENY, &RH_DUBLIN, t + RH_DAY, 63, 5000);
    assert_int_equal(rh_count(h, RULE), 1);
    burst(h, DENY, &RH_DUBLIN, t, 1, 0);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* success_minutes 60: an approval 45 minutes after the burst still counts. */
static void test_setting_success_minutes(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"success_minutes\": 60}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = burst(h, PUSH, &RH_VPS, t, 5, RH_MIN) - RH_MIN;
    rh_feed(h, &(struct rh_ev){.t = t + 45 * RH_MIN, .actor = ALICE, .at = &RH_DUBLIN});
    rh_check(rh_alert(h, RULE, ALICE), "critical", 95, 95, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_push_threshold),
        RH_TEST(test_deny_threshold),
        RH_TEST(test_failed_push_verifications_are_denials),
        RH_TEST(test_window_edge_inside),
        RH_TEST(test_window_edge_outside),
        RH_TEST(test_new_network_high),
        RH_TEST(test_learning_persona_not_high),
        RH_TEST(test_approval_critical),
        RH_TEST(test_late_or_lone_approval),
        RH_TEST(test_benign_retries),
        RH_TEST(test_aggregation),
        RH_TEST(test_settings_thresholds),
        RH_TEST(test_setting_success_minutes),
        RH_TEST(test_settings_range),
        RH_TEST(test_settings_lowest),
        RH_TEST(test_settings_highest),
    };
    return cmocka_run_group_tests_name("rule_mfa_fatigue", tests, NULL, NULL);
}
