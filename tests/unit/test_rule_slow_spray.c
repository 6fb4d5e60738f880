/*
 * test_rule_slow_spray.c — `slow_spray` (src/rules/rule_slow_spray.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): a
 * low-and-slow spray over many hosting addresses, one try per account,
 * known and unknown usernames, over hours (medium, keyed by the org), a
 * targeted account then signing in from the spray's networks (high), and
 * the near misses at each threshold: one account too few, one address too
 * few, too many tries per account, residential networks, unknown usernames
 * only (the internet's noise), the users' own networks (typos), a spray
 * slower than the window; and the settings' order.
 */
#include "rule_harness.h"

#define RULE "slow_spray"
#define NUSERS 25

/* A hosting provider's addresses: ip i is 185.220.<i>.9, in one of three ASNs. */
static const struct rh_place VPS = {"185.220.0.9", 64500, "cheap vps", "Bucharest", "Romania", 44.43, 26.10};
/* A residential ISP abroad, no hosting hint. */
static const struct rh_place RESI = {"5.2.0.9", 8708, "RCS & RDS", "Bucharest", "Romania", 44.43, 26.10};

static void login_of(int i, char *out, size_t len)
{
    snprintf(out, len, "u%02d@acme.example", i);
}

/* NUSERS people established in Dublin; returns the next free time. */
static int64_t org(struct rh *h)
{
    char who[64];
    int64_t t = 0;

    for (int i = 0; i < NUSERS; i++) {
        login_of(i, who, sizeof who);
        t = rh_baseline(h, who, &RH_DUBLIN, 12);
    }
    return t;
}

struct spray {
    int known, unknown;         /* accounts: real people first, then unknown usernames */
    int ips;                    /* addresses, used in turn */
    int tries;                  /* per account */
    int64_t step;               /* between two tries */
    const struct rh_place *at;  /* VPS, RESI, or RH_DUBLIN (the users' own network) */
};

/* The spray from t on, each account's tries in a row; returns the time after its last try. */
static int64_t spray(struct rh *h, int64_t t, const struct spray *s)
{
    char who[64], ip[32];
    int n = 0;

    for (int a = 0; a < s->known + s->unknown; a++)
        for (int r = 0; r < s->tries; r++, n++) {
            int k = n % s->ips;
            struct rh_ev e = {.t = t, .at = s->at, .outcome = "FAILURE", .reason = "INVALID_CREDENTIALS"};
            if (s->at == &RH_DUBLIN) {          /* the users' own ISP, outside the office /24 */
                snprintf(ip, sizeof ip, "86.40.%d.9", k + 10);
            } else {
                snprintf(ip, sizeof ip, "%s.%d.%d", s->at == &VPS ? "185.220" : "5.2", k, 9);
                e.asn = s->at->asn + (unsigned)(k % 3);
            }
            e.ip = ip;
            login_of(a, who, sizeof who);
            if (a < s->known)
                e.actor = who;
            else
                e.unknown_login = who;
            rh_feed(h, &e);
            t += s->step;
        }
    return t;
}

/*
 * 15 people and 7 unknown usernames, once each, from 12 hosting addresses
 * over 22 × 13 min (under 5 h): medium, keyed by the org, no user; 100% of
 * the tries from hosting networks adds 5 (60).
 */
static void test_slow_spray_medium(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1,
                                .step = 13 * RH_MIN, .at = &VPS});
    const json_t *a = rh_alert(h, RULE, "org:slow_spray");
    rh_check(a, "medium", 60, 60, 1);
    assert_true(json_is_null(json_object_get(a, "user")));
    rh_evidence(a, "20 failed sign-ins against 20 distinct accounts (15 real, 5 unknown usernames; "
                   "1.0 per account) from 12 addresses in 3 ASNs within 6.0 h, 100% from hosting, "
                   "proxy or anonymizer networks");
    assert_string_equal(rh_str(a, "stage"), "Compromise Identity");
}

/*
 * Then a targeted account signs in from one of the spray's ASNs (a new
 * address): high, in the same alert.  A targeted account at the office and
 * an untargeted one from the spray's network add nothing.
 */
static void test_success_after_spray_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    t = spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1, .step = 13 * RH_MIN,
                                    .at = &VPS});
    rh_feed(h, &(struct rh_ev){.t = t, .actor = "u03@acme.example", .at = &RH_DUBLIN,
                               .dt = "dev-u03@acme.example"});
    rh_feed(h, &(struct rh_ev){.t = t + RH_MIN, .actor = "u20@acme.example", .at = &VPS,
                               .ip = "185.220.77.9"});
    rh_check(rh_alert(h, RULE, "org:slow_spray"), "medium", 60, 60, 1);
    rh_feed(h, &(struct rh_ev){.t = t + 2 * RH_MIN, .actor = "u04@acme.example", .at = &VPS,
                               .ip = "185.220.99.9", .asn = 64501});
    const json_t *a = rh_alert(h, RULE, "org:slow_spray");
    rh_check(a, "high", 75, 75, 2);
    rh_evidence(a, "u04@acme.example was among the accounts of the org-wide spray");
    rh_evidence(a, "from 185.220.99.9 (AS64501, cheap vps), a hosting, proxy or anonymizer network, "
                   "an ASN the spray came from");
}

/* min_accounts (20) and min_ips (10) are inclusive: one account or one address fewer is nothing. */
static void test_thresholds(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 4, .ips = 12, .tries = 1,
                                .step = 13 * RH_MIN, .at = &VPS});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 9, .tries = 1,
                                .step = 13 * RH_MIN, .at = &VPS});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 10, .tries = 1,
                                .step = 13 * RH_MIN, .at = &VPS});
    rh_check(rh_alert(h, RULE, "org:slow_spray"), "medium", 60, 60, 1);
}

/* Three tries per account (22 × 3 within 6 h) is not low-and-slow; nor is a spray slower than the window. */
static void test_not_the_shape(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 3,
                                .step = 4 * RH_MIN, .at = &VPS});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    /* 22 accounts over 22 × 30 min = 11 h: no 6 h holds 20 of them */
    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1,
                                .step = 30 * RH_MIN, .at = &VPS});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"window_hours\": 12}");
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1,
                                .step = 30 * RH_MIN, .at = &VPS});
    rh_check(rh_alert(h, RULE, "org:slow_spray"), "medium", 60, 60, 1);
}

/*
 * Look-alikes: residential networks (no hosting share; min_hosting_share 0
 * takes them); unknown usernames only (the internet's noise); the users'
 * own ISP, from 12 addresses (typos, never counted).
 */
static void test_look_alikes(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1,
                                .step = 13 * RH_MIN, .at = &RESI});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"min_hosting_share\": 0}");
    t = org(h);
    spray(h, t, &(struct spray){.known = 15, .unknown = 7, .ips = 12, .tries = 1,
                                .step = 13 * RH_MIN, .at = &RESI});
    rh_check(rh_alert(h, RULE, "org:slow_spray"), "medium", 55, 55, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = org(h);
    spray(h, t, &(struct spray){.known = 0, .unknown = 30, .ips = 30, .tries = 1,
                                .step = 10 * RH_MIN, .at = &VPS});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, "{\"min_hosting_share\": 0}");
    t = org(h);
    spray(h, t, &(struct spray){.known = 25, .unknown = 0, .ips = 12, .tries = 1, .step = 10 * RH_MIN,
                                .at = &RH_DUBLIN});
    assert_int_equal(rh_count(h, RULE), 0);
}

/* min_known_accounts above min_accounts is refused, naming both. */
static void test_settings_order(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"min_accounts\": 10, \"min_known_accounts\": 11}", err, sizeof err);
    rh_names(err, "min_known_accounts (11) must be at most min_accounts (10)");
    rh_refused(RULE, "{\"min_hosting_share\": 1.5}", err, sizeof err);
    rh_names(err, "min_hosting_share: expected a number from 0 to 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_slow_spray_medium),
        RH_TEST(test_success_after_spray_high),
        RH_TEST(test_thresholds),
        RH_TEST(test_not_the_shape),
        RH_TEST(test_look_alikes),
        RH_TEST(test_settings_order),
    };
    return cmocka_run_group_tests_name("rule_slow_spray", tests, NULL, NULL);
}
