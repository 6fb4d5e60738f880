/*
 * test_rule_impossible_travel.c — `impossible_travel`
 * (src/rules/rule_impossible_travel.c, docs/rules.md) through the real
 * pipeline (rule_harness.h): the distance and speed limits in event time,
 * medium / high (new country) / critical (new country, ASN and device) /
 * one level lower behind a proxy, the look-alikes it must leave alone
 * (a flight, GeoIP and carrier jitter, routine city pairs, the org's shared
 * exit, learning personas, late events), aggregation and settings.
 */
#include "rule_harness.h"

#define RULE "impossible_travel"
#define ALICE "alice@acme.example"
#define DEV "dev-" ALICE

/* New York is 3,940 km from Los Angeles: 900 km/h is 4.4 hours. */
static const struct rh_place LA = {"71.191.5.5", 701, "Verizon", "Los Angeles", "United States",
                                   34.05, -118.24};
static const struct rh_place ASHBURN = {"165.225.10.1", 53813, "Zscaler", "Ashburn", "United States",
                                        39.04, -77.49};
static const struct rh_place FRANKFURT = {"147.161.10.1", 53813, "Zscaler", "Frankfurt am Main",
                                          "Germany", 50.11, 8.68};

/* A sign-in by ALICE at t from at, on her own device unless dt is given. */
static void signin(struct rh *h, int64_t t, const struct rh_place *at, const char *dt)
{
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = at, .dt = dt ? dt : DEV});
}

/*
 * alice, established in New York, once in Los Angeles on the same network
 * (so country, ASN and device are all known there), back in New York at
 * the returned time.
 */
static int64_t new_yorker(struct rh *h)
{
    int64_t t = rh_baseline(h, ALICE, &RH_NYC, 12);

    signin(h, t, &LA, NULL);
    signin(h, t + RH_DAY, &RH_NYC, NULL);
    return t + RH_DAY;
}

/* alice, established in Dublin, signing in there at the returned time. */
static int64_t dubliner(struct rh *h)
{
    int64_t t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);

    signin(h, t, &RH_DUBLIN, NULL);
    return t;
}

/* Too fast between known places: medium 50, with distance, speed and limit in the evidence. */
static void test_too_fast_medium(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = new_yorker(h);
    signin(h, t + 4 * RH_HOUR, &LA, NULL);                  /* 984 km/h */
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 1);
    rh_evidence(a, "km/h (limit 900)");
    rh_evidence(a, "country known");
}

/* The speed limit in event time: 4.5 hours for the same trip is 875 km/h, a flight. */
static void test_speed_edge(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = new_yorker(h);
    signin(h, t + 4 * RH_HOUR + 30 * RH_MIN, &LA, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* max_speed_kmh 800 makes the 875 km/h trip impossible. */
static void test_setting_max_speed(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"max_speed_kmh\": 800}");
    t = new_yorker(h);
    signin(h, t + 4 * RH_HOUR + 30 * RH_MIN, &LA, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 50, 50, 1);
}

/* A new country is high 70; with a new ASN +10. */
static void test_new_country_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + RH_HOUR, &RH_NYC, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 80, 80, 1);
    rh_evidence(a, "country never seen (usual Ireland 100%)");
}

/* New country, new ASN and new device together: critical (70 + 10 + 10). */
static void test_all_new_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + RH_HOUR, &RH_SYDNEY, "attacker-device");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 90, 90, 1);
    rh_evidence(a, "device new");
}

/* A proxy on either side makes it one level lower and 15 points less. */
static void test_proxy_one_level_lower(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    rh_feed(h, &(struct rh_ev){.t = t + RH_HOUR, .actor = ALICE, .at = &RH_SYDNEY, .dt = "attacker-device",
                               .proxy = 1});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "proxy involved (downgraded)");
}

/* Under min_distance_km (Dublin-London, 460 km, in ten minutes) nothing; min_distance_km 400 judges it. */
static void test_min_distance(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + 10 * RH_MIN, &RH_LONDON, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"min_distance_km\": 400}");
    t = dubliner(h);
    signin(h, t + 10 * RH_MIN, &RH_LONDON, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 80, 80, 1);
}

/* A flight (Dublin to New York in 9 hours) and GeoIP jitter (Cork, 5 minutes later) are nothing. */
static void test_flight_and_jitter_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + 5 * RH_MIN, &RH_CORK, NULL);
    signin(h, t + 9 * RH_HOUR, &RH_NYC, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* A mobile carrier within one country under mobile_slack_km is jitter; mobile_slack_km 1000 is not. */
static void test_carrier_slack(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = new_yorker(h);
    signin(h, t + RH_HOUR, &RH_CHICAGO_MOBILE, NULL);       /* 1,145 km in an hour */
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"mobile_slack_km\": 1000}");
    t = new_yorker(h);
    signin(h, t + RH_HOUR, &RH_CHICAGO_MOBILE, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 60, 60, 1);
}

/* Alternating ZTNA egress: two cities of the routine (3+ sightings each) are never travel. */
static void test_routine_pair_quiet(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    for (int d = 0; d < 12; d++) {
        signin(h, RH_T0 + d * RH_DAY, &ASHBURN, NULL);
        signin(h, RH_T0 + d * RH_DAY + RH_HOUR, &FRANKFURT, NULL);
    }
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"routine_min_count\": 100}");
    for (int d = 0; d < 12; d++) {
        signin(h, RH_T0 + d * RH_DAY, &ASHBURN, NULL);
        signin(h, RH_T0 + d * RH_DAY + RH_HOUR, &FRANKFURT, NULL);
    }
    assert_int_equal(rh_count(h, RULE), 1);
}

/* Arriving at the org's shared exit (a /24 in the routine of 3 users) is not travel. */
static void test_shared_exit_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &FRANKFURT, 12);
    rh_baseline(h, "carol@acme.example", &FRANKFURT, 12);
    rh_baseline(h, "dave@acme.example", &FRANKFURT, 12);
    t = dubliner(h);
    signin(h, t + RH_HOUR, &FRANKFURT, NULL);               /* 1,090 km in an hour */
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    /* the control: the same trip with nobody else on that exit */
    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + RH_HOUR, &FRANKFURT, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 80, 80, 1);
}

/* A learning persona, and a late event older than the last fix, are not judged. */
static void test_learning_and_late_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    signin(h, RH_T0, &RH_DUBLIN, NULL);
    signin(h, RH_T0 + RH_HOUR, &RH_SYDNEY, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t, &RH_DUBLIN, NULL);
    signin(h, t - RH_HOUR, &RH_SYDNEY, NULL);               /* delivered late */
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Aggregation: the user back home an hour after the attacker's sign-in joins the alert (version 2). */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = dubliner(h);
    signin(h, t + RH_HOUR, &RH_SYDNEY, "attacker-device");
    signin(h, t + 2 * RH_HOUR, &RH_DUBLIN, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 90, 90, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
    signin(h, t + 3 * RH_DAY, &RH_DUBLIN, NULL);          /* past window_hours: another alert */
    signin(h, t + 3 * RH_DAY + RH_HOUR, &RH_SYDNEY, "attacker-device");
    assert_int_equal(rh_count(h, RULE), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_too_fast_medium),
        RH_TEST(test_speed_edge),
        RH_TEST(test_setting_max_speed),
        RH_TEST(test_new_country_high),
        RH_TEST(test_all_new_critical),
        RH_TEST(test_proxy_one_level_lower),
        RH_TEST(test_min_distance),
        RH_TEST(test_flight_and_jitter_quiet),
        RH_TEST(test_carrier_slack),
        RH_TEST(test_routine_pair_quiet),
        RH_TEST(test_shared_exit_quiet),
        RH_TEST(test_learning_and_late_quiet),
        RH_TEST(test_aggregation),
    };
    return cmocka_run_group_tests_name("rule_impossible_travel", tests, NULL, NULL);
}
