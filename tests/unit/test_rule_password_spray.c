/*
 * test_rule_password_spray.c — `password_spray` (src/rules/rule_password_spray.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): the account
 * thresholds per IP and per ASN, the spray shape (few attempts per
 * account), the window edge in event time, high / 75 past twice the
 * threshold / critical on a success from the source or a follow-up from a
 * new network, the office NAT of mistyping users it must not add up,
 * aggregation and settings.
 */
#include "rule_harness.h"

#define RULE "password_spray"
#define ALICE "alice@acme.example"
#define SRC "ip:185.220.101.12"

/* One failed sign-in against a username Okta does not know ("guess<i>"), from at (ip overrides). */
static void guess(struct rh *h, int i, const struct rh_place *at, const char *ip, int64_t t)
{
    char name[32];

    snprintf(name, sizeof name, "guess%d@acme.example", i);
    rh_feed(h, &(struct rh_ev){.t = t, .unknown_login = name, .at = at, .ip = ip, .outcome = "FAILURE",
                               .reason = "INVALID_CREDENTIALS"});
}

/* Accounts [from, to) tried once each from at, a minute apart from t; returns the time after. */
static int64_t spray(struct rh *h, int from, int to, const struct rh_place *at, int64_t t)
{
    for (int i = from; i < to; i++, t += RH_MIN)
        guess(h, i, at, NULL, t);
    return t;
}

/* Exactly min_accounts (10) accounts from one IP raise it, high 65; 9 do not. */
static void test_ip_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray(h, 0, 9, &RH_VPS, RH_T0);
    assert_int_equal(rh_count(h, RULE), 0);
    spray(h, 9, 10, &RH_VPS, t);
    const json_t *a = rh_alert(h, RULE, SRC);
    rh_check(a, "high", 65, 65, 1);
    assert_true(json_is_null(json_object_get(a, "user")));
    rh_evidence(a, "10 failed sign-ins against 10 distinct accounts (1.0 per account) from " SRC);
    assert_int_equal(rh_count(h, RULE), 1);         /* the ASN's threshold (20) is not reached */
}

/* Past twice the threshold (21 accounts) the score is 75; at twice (20) still 65. */
static void test_score_past_twice(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray(h, 0, 20, &RH_VPS, RH_T0);
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 11);
    spray(h, 20, 21, &RH_VPS, t);
    rh_check(rh_alert(h, RULE, SRC), "high", 75, 75, 12);
}

/* Spread over a provider's addresses: min_accounts_asn (20) accounts from one ASN, no IP alert. */
static void test_asn_threshold(void **state)
{
    struct rh *h = *state;
    char ip[32];

    rh_open(h, RULE, NULL);
    for (int i = 0; i < 19; i++) {
        snprintf(ip, sizeof ip, "185.220.%d.%d", 100 + i / 8, 10 + i);
        guess(h, i, &RH_VPS, ip, RH_T0 + i * RH_MIN);
    }
    assert_int_equal(rh_count(h, RULE), 0);
    guess(h, 19, &RH_VPS, "185.220.110.99", RH_T0 + 19 * RH_MIN);
    rh_check(rh_alert(h, RULE, "asn:64500"), "high", 65, 65, 1);
    assert_int_equal(rh_count(h, RULE), 1);
}

/* One failed sign-in each for accounts [from, to), each from its own address of RH_VPS's ASN. */
static void asn_spray(struct rh *h, int from, int to)
{
    char ip[32];

    for (int i = from; i < to; i++) {
        snprintf(ip, sizeof ip, "185.220.%d.%d", 100 + i / 8, 10 + i);
        guess(h, i, &RH_VPS, ip, RH_T0 + i * RH_MIN);
    }
}

/*
 * "75 past twice the threshold" is the source's own threshold: for an ASN,
 * twice min_accounts_asn (40), not twice min_accounts (20).
 */
static void test_asn_score_past_twice_its_threshold(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    asn_spray(h, 0, 21);
    rh_check(rh_alert(h, RULE, "asn:64500"), "high", 65, 65, 2);
    asn_spray(h, 21, 40);
    rh_check(rh_alert(h, RULE, "asn:64500"), "high", 65, 65, 21);
    asn_spray(h, 40, 41);
    const json_t *a = rh_alert(h, RULE, "asn:64500");
    rh_check(a, "high", 75, 75, 22);
    rh_evidence(a, "(thresholds 20 accounts");
}

/* Many attempts on each account is brute force, not spray: 4 per account never alerts, 3 does. */
static void test_shape_attempts_per_account(void **state)
{
    struct rh *h = *state;
    int64_t t = RH_T0;

    rh_open(h, RULE, NULL);
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 4; k++, t += 20000)
            guess(h, i, &RH_VPS, NULL, t);
    assert_int_equal(rh_count(h, RULE), 0);
    t += 2 * RH_HOUR;
    for (int i = 20; i < 30; i++)
        for (int k = 0; k < 3; k++, t += 20000)
            guess(h, i, &RH_VPS, NULL, t);
    rh_evidence(rh_alert(h, RULE, SRC), "30 failed sign-ins against 10 distinct accounts (3.0 per account)");
}

/* The window is inclusive: the 10th account exactly window_minutes after the first counts. */
static void test_window_edge_inside(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    for (int i = 0; i < 9; i++)
        guess(h, i, &RH_VPS, NULL, RH_T0);
    guess(h, 9, &RH_VPS, NULL, RH_T0 + 60 * RH_MIN);
    assert_int_equal(rh_count(h, RULE), 1);
}

/* ... one millisecond later the first nine have left it. */
static void test_window_edge_outside(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    for (int i = 0; i < 9; i++)
        guess(h, i, &RH_VPS, NULL, RH_T0);
    guess(h, 9, &RH_VPS, NULL, RH_T0 + 60 * RH_MIN + 1);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Nine guesses and alice from the spraying IP; returns the time after. */
static int64_t spray_with_alice(struct rh *h)
{
    int64_t t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);

    t = spray(h, 0, 9, &RH_VPS, t);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_VPS, .outcome = "FAILURE",
                               .reason = "INVALID_CREDENTIALS"});
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 1);
    return t + RH_MIN;
}

/* A targeted account then signs in from the spraying source within the window: critical 95. */
static void test_success_from_source_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray_with_alice(h);
    rh_feed(h, &(struct rh_ev){.t = t + 10 * RH_MIN, .actor = ALICE, .at = &RH_VPS});
    const json_t *a = rh_alert(h, RULE, SRC);
    rh_check(a, "critical", 95, 95, 2);
    rh_evidence(a, "then a successful sign-in of a targeted account from the same source");
}

/* A targeted account signs in within follow_up_hours from another network new to it: critical 90. */
static void test_follow_up_from_new_network(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray_with_alice(h);
    rh_feed(h, &(struct rh_ev){.t = t + 5 * RH_HOUR, .actor = ALICE, .at = &RH_SYDNEY});
    const json_t *a = rh_alert(h, RULE, SRC);
    rh_check(a, "critical", 90, 90, 2);
    rh_evidence(a, "that this user never signed in from");
}

/* The user at home afterwards, or a new network past follow_up_hours, is not linked. */
static void test_follow_up_benign_or_late(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray_with_alice(h);
    rh_feed(h, &(struct rh_ev){.t = t + RH_HOUR, .actor = ALICE, .at = &RH_DUBLIN, .dt = "dev-" ALICE});
    rh_feed(h, &(struct rh_ev){.t = t - RH_MIN + 6 * RH_HOUR + 1, .actor = ALICE, .at = &RH_SYDNEY});
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 1);
}

/* An office NAT full of established users mistyping from their own network is never a spray. */
static void test_office_typos_quiet(void **state)
{
    struct rh *h = *state;
    char login[64];
    int64_t t = RH_T0 + 12 * RH_DAY;

    rh_open(h, RULE, NULL);
    for (int i = 0; i < 12; i++) {
        snprintf(login, sizeof login, "user%d@acme.example", i);
        rh_baseline(h, login, &RH_DUBLIN, 12);
    }
    for (int i = 0; i < 12; i++) {
        snprintf(login, sizeof login, "user%d@acme.example", i);
        rh_feed(h, &(struct rh_ev){.t = t + i * RH_MIN, .actor = login, .at = &RH_DUBLIN,
                                   .outcome = "FAILURE", .reason = "INVALID_CREDENTIALS"});
    }
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Aggregation: the next account of the spray updates the alert; a spray two days later is another. */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = spray(h, 0, 11, &RH_VPS, RH_T0);
    const json_t *a = rh_alert(h, RULE, SRC);
    rh_check(a, "high", 65, 65, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
    spray(h, 0, 10, &RH_VPS, t + 2 * RH_DAY);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* min_accounts 5: five accounts are a spray; max_attempts_per_account 4 lets 4 tries each count. */
static void test_settings(void **state)
{
    struct rh *h = *state;
    int64_t t = RH_T0;

    rh_open(h, RULE, "{\"min_accounts\": 5}");
    spray(h, 0, 5, &RH_VPS, RH_T0);
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"max_attempts_per_account\": 4}");
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 4; k++, t += 20000)
            guess(h, i, &RH_VPS, NULL, t);
    assert_int_equal(rh_count(h, RULE), 1);
}

/* Each threshold is 3..31: just outside is refused, naming the file, the key and the range. */
static void test_settings_range(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"min_accounts\": 2}", err, sizeof err);
    rh_names(err, "min_accounts: expected an integer from 3 to 31");
    rh_refused(RULE, "{\"min_accounts\": 32}", err, sizeof err);
    rh_names(err, "min_accounts: expected an integer from 3 to 31");
    rh_refused(RULE, "{\"min_accounts_asn\": 2}", err, sizeof err);
    rh_names(err, "min_accounts_asn: expected an integer from 3 to 31");
    rh_refused(RULE, "{\"min_accounts_asn\": 32}", err, sizeof err);
    rh_names(err, "min_accounts_asn: expected an integer from 3 to 31");
}

/* The low end: min_accounts 3 and min_accounts_asn 3 make three accounts a spray, two not. */
static void test_settings_lowest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_accounts\": 3}");
    t = spray(h, 0, 2, &RH_VPS, RH_T0);
    assert_int_equal(rh_count(h, RULE), 0);
    spray(h, 2, 3, &RH_VPS, t);
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"min_accounts_asn\": 3}");
    asn_spray(h, 0, 2);
    assert_int_equal(rh_count(h, RULE), 0);
    asn_spray(h, 2, 3);
    rh_check(rh_alert(h, RULE, "asn:64500"), "high", 65, 65, 1);
}

/*
 * The high end: min_accounts 31 makes 31 accounts a spray (30 not), and
 * 63, past twice the threshold, score 75: the window holds them all (a
 * minute apart, so window_minutes 120 spans them).
 */
static void test_settings_highest(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"min_accounts\": 31, \"min_accounts_asn\": 31, \"window_minutes\": 120}");
    t = spray(h, 0, 30, &RH_VPS, RH_T0);
    assert_int_equal(rh_count(h, RULE), 0);
    t = spray(h, 30, 62, &RH_VPS, t);
    rh_check(rh_alert(h, RULE, SRC), "high", 65, 65, 32);
    spray(h, 62, 63, &RH_VPS, t);
    rh_check(rh_alert(h, RULE, SRC), "high", 75, 75, 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_ip_threshold),
        RH_TEST(test_score_past_twice),
        RH_TEST(test_asn_threshold),
        RH_TEST(test_asn_score_past_twice_its_threshold),
        RH_TEST(test_shape_attempts_per_account),
        RH_TEST(test_window_edge_inside),
        RH_TEST(test_window_edge_outside),
        RH_TEST(test_success_from_source_critical),
        RH_TEST(test_follow_up_from_new_network),
        RH_TEST(test_follow_up_benign_or_late),
        RH_TEST(test_office_typos_quiet),
        RH_TEST(test_aggregation),
        RH_TEST(test_settings),
        RH_TEST(test_settings_range),
        RH_TEST(test_settings_lowest),
        RH_TEST(test_settings_highest),
    };
    return cmocka_run_group_tests_name("rule_password_spray", tests, NULL, NULL);
}
