/*
 * test_rule_brute_force.c — `brute_force` (src/rules/rule_brute_force.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): the
 * min_failures threshold and the window edge in event time, each severity
 * (low self-lockout, medium, high past twice the threshold, critical on a
 * success from a new network), lockouts, aggregation, and settings.
 */
#include "rule_harness.h"

#define RULE "brute_force"
#define ALICE "alice@acme.example"

/* n failed sign-ins of login from at, step apart from t on; returns the time after the last. */
static int64_t failures(struct rh *h, const char *login, const struct rh_place *at, int64_t t, int n,
                        int64_t step)
{
    return rh_feed_n(h, &(struct rh_ev){.t = t, .actor = login, .at = at, .outcome = "FAILURE",
                                        .reason = "INVALID_CREDENTIALS"}, n, step);
}

/* Exactly min_failures (10) raise it, medium from a new network; 9 do not. */
static void test_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 9, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    failures(h, ALICE, &RH_VPS, t, 1, RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 1);
    rh_evidence(a, "10 failures within 30 min (threshold 10), 10 of them from networks this user never");
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "mitre"), 0)), "T1110.001");
}

/* The window is inclusive: the 10th failure exactly window_minutes after the first counts it. */
static void test_window_edge_inside(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    failures(h, ALICE, &RH_VPS, t + 30 * RH_MIN, 9, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/* ... and one millisecond later the first has left the window: 9, no alert. */
static void test_window_edge_outside(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    failures(h, ALICE, &RH_VPS, t + 30 * RH_MIN + 1, 9, 0);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Every failure from the user's own network: a self-lockout, low. */
static void test_self_lockout_low(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    failures(h, ALICE, &RH_DUBLIN, t, 10, RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 1);
    rh_evidence(a, "0 of them from networks this user never signed in from");
}

/* Twice the threshold from new networks is high; one short of it stays medium. */
static void test_high_at_twice_the_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 19, 30000);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 10);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 11);
}

/* A success from a new network within success_minutes of the burst: critical. */
static void test_success_from_new_network_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 10, RH_MIN) - RH_MIN;      /* t: the burst's last failure */
    rh_feed(h, &(struct rh_ev){.t = t + 60 * RH_MIN, .actor = ALICE, .at = &RH_VPS});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 90, 90, 2);
    rh_evidence(a, "success afterwards from a new network");
}

/* The user's own success from home after the burst, or one past success_minutes, stays medium. */
static void test_success_benign_or_late(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 10, RH_MIN) - RH_MIN;
    rh_feed(h, &(struct rh_ev){.t = t + 5 * RH_MIN, .actor = ALICE, .at = &RH_DUBLIN,
                               .dt = "dev-" ALICE});
    rh_feed(h, &(struct rh_ev){.t = t + 60 * RH_MIN + 1, .actor = ALICE, .at = &RH_VPS});
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/* Okta locking the account raises it on its own, below the threshold. */
static void test_lockout(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 3, RH_MIN);
    rh_feed(h, &(struct rh_ev){.type = "user.account.lock", .t = t, .actor = ALICE, .at = &RH_VPS,
                               .outcome = "SUCCESS"});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 1);
    rh_evidence(a, "Okta locked the account");
}

/*
 * Aggregation: the burst's next failure updates the same alert (version
 * 2); the same shape two days later, past the window, is a new alert.
 */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 11, RH_MIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
    failures(h, ALICE, &RH_VPS, t + 2 * RH_DAY, 10, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* min_failures 5: five failures are a burst. */
static void test_setting_min_failures(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_failures\": 5}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 4, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/* min_failures is 3..32: just outside is refused, naming the file, the key and the range. */
static void test_setting_min_failures_range(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"min_failures\": 2}", err, sizeof err);
    rh_names(err, "min_failures: expected an integer from 3 to 32");
    rh_refused(RULE, "{\"min_failures\": 33}", err, sizeof err);
    rh_names(err, "min_failures: expected an integer from 3 to 32");
}

/* min_failures 3, the low end: three failures are a burst, two are not. */
static void test_setting_min_failures_lowest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_failures\": 3}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 2, RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/*
 * min_failures 32, the high end: 31 failures are not a burst, 32 are
 * (medium), and twice that, 64 from a new network, is high: the window
 * holds all 64.
 */
static void test_setting_min_failures_highest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_failures\": 32}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    t = failures(h, ALICE, &RH_VPS, t, 31, 20000);
    assert_int_equal(rh_count(h, RULE), 0);
    t = failures(h, ALICE, &RH_VPS, t, 1, 0);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
    t = failures(h, ALICE, &RH_VPS, t, 31, 20000);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 32);
    failures(h, ALICE, &RH_VPS, t, 1, 0);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 33);
    rh_evidence(a, "64 failures within 30 min (threshold 32), 64 of them");
}

/* window_minutes 60: ten failures over 45 minutes are a burst (under the default 30 they are not). */
static void test_setting_window(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    failures(h, ALICE, &RH_VPS, t, 10, 5 * RH_MIN);
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"window_minutes\": 60}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    failures(h, ALICE, &RH_VPS, t, 10, 5 * RH_MIN);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/* Failures spread over two accounts never add up on either. */
static void test_per_account(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &RH_DUBLIN, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    for (int i = 0; i < 6; i++) {
        failures(h, ALICE, &RH_VPS, t + i * RH_MIN, 1, 0);
        failures(h, "bob@acme.example", &RH_VPS, t + i * RH_MIN, 1, 0);
    }
    assert_int_equal(rh_count(h, RULE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_threshold),
        RH_TEST(test_window_edge_inside),
        RH_TEST(test_window_edge_outside),
        RH_TEST(test_self_lockout_low),
        RH_TEST(test_high_at_twice_the_threshold),
        RH_TEST(test_success_from_new_network_critical),
        RH_TEST(test_success_benign_or_late),
        RH_TEST(test_lockout),
        RH_TEST(test_aggregation),
        RH_TEST(test_setting_min_failures),
        RH_TEST(test_setting_min_failures_range),
        RH_TEST(test_setting_min_failures_lowest),
        RH_TEST(test_setting_min_failures_highest),
        RH_TEST(test_setting_window),
        RH_TEST(test_per_account),
    };
    return cmocka_run_group_tests_name("rule_brute_force", tests, NULL, NULL);
}
