/*
 * test_rule_new_context.c — `new_context` (src/rules/rule_new_context.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): each
 * deviation's points summed into one score, the low / medium / high
 * thresholds hit exactly, the trusted-device halving (and Okta risk
 * cancelling it), the org's own geography (familiar countries and ASNs,
 * shared exits), first app and Admin Console use, weaker factors, learning
 * personas, one verdict per session, aggregation with baseline hygiene,
 * and settings.
 */
#include "rule_harness.h"

#define RULE "new_context"
#define ALICE "alice@acme.example"
#define DEV "dev-" ALICE

/* An Irish network alice never used: a new ASN (20) in her usual country. */
static const struct rh_place IE_MOBILE = {"37.228.1.1", 15502, "Vodafone Ireland", "Dublin", "Ireland",
                                          53.35, -6.26};

/* A successful sign-in by alice at t from at on device dt with os/browser (NULL: her Mac and Chrome). */
static void signin(struct rh *h, int64_t t, const struct rh_place *at, const char *dt, const char *os,
                   const char *browser)
{
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = at, .dt = dt, .os = os, .browser = browser});
}

/* A device never seen on a platform never used: 25 points. */
static void from_pc(struct rh *h, int64_t t, const struct rh_place *at)
{
    signin(h, t, at, "pc-unknown", "Windows 10", "EDGE");
}

/* A new device on a platform never used is 25 = low_score: low; one on her usual platform (15) is nothing. */
static void test_low_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    signin(h, t, &RH_DUBLIN, "new-mac-profile", NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
    from_pc(h, t + RH_HOUR, &RH_DUBLIN);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 1);
    rh_evidence(a, "on an OS and browser this user never used");
}

/* low_score 26 lifts the bar over that 25. */
static void test_setting_low_score(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"low_score\": 26}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_DUBLIN);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Each score is 1..100: just outside is refused, naming the file, the key and the range. */
static void test_scores_range(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"low_score\": 0}", err, sizeof err);
    rh_names(err, "low_score: expected an integer from 1 to 100");
    rh_refused(RULE, "{\"medium_score\": 0}", err, sizeof err);
    rh_names(err, "medium_score: expected an integer from 1 to 100");
    rh_refused(RULE, "{\"high_score\": 101}", err, sizeof err);
    rh_names(err, "high_score: expected an integer from 1 to 100");
}

/* The scores out of order are refused, naming the file, the three keys and their values. */
static void test_scores_order(void **state)
{
    char err[512];
    (void)state;

    rh_refused(RULE, "{\"low_score\": 50, \"medium_score\": 40}", err, sizeof err);
    rh_names(err, "low_score, medium_score and high_score must be in that order");
    rh_names(err, "they are 50, 40 and 70");
    rh_refused(RULE, "{\"high_score\": 30}", err, sizeof err);
    rh_names(err, "they are 25, 45 and 30");
}

/*
 * The low end: low_score 1 makes a new browser profile on her usual
 * platform (15) an alert.  The high end: every score 100 loads, and a new
 * platform (25) is far below it.
 */
static void test_scores_ends(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, "{\"low_score\": 1}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    signin(h, t, &RH_DUBLIN, "new-mac-profile", NULL, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "low", 15, 15, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"low_score\": 100, \"medium_score\": 100, \"high_score\": 100}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_DUBLIN);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* A new ASN (20) and a new platform (25) make 45 = medium_score: medium. */
static void test_medium_threshold(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &IE_MOBILE);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 45, 45, 1);
    rh_evidence(a, "AS15502 (Vodafone Ireland) new for this user, in the routine of 0 users of the org; "
                   "usual AS5466 (eircom) 100%");
}

/* A new country (30), ASN (20) and platform (25): high 75; high_score 80 makes it medium. */
static void test_high_and_setting(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_VPS);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "country Romania never seen (usual Ireland 100% of 12 sign-ins), home to 0 users");
    rh_close(h);

    rh_open(h, RULE, "{\"high_score\": 80}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_VPS);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 75, 75, 1);
}

/* Her own laptop abroad is a business trip: (30 + 20) / 2 = 25, low; Okta's risk cancels the halving. */
static void test_trusted_device_halves(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    signin(h, t, &RH_VPS, DEV, NULL, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 1);
    rh_evidence(a, "on a trusted device of this user (score halved)");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_VPS, .dt = DEV,
                               .debug = json_pack("{s:s}", "threatSuspected", "true")});
    rh_check(rh_alert(h, RULE, ALICE), "medium", 60, 60, 1);    /* 30 + 20 + 10 */
}

/* Colleagues' routine: a country 3 colleagues live in is 10, an ASN they use 5; two colleagues' ASN 12. */
static void test_org_familiar(void **state)
{
    struct rh *h = *state;
    /* the colleagues' addresses are in another /24 of the same provider: not a shared exit */
    static const struct rh_place vps_b = {"185.220.102.50", 64500, "cheap vps", "Bucharest", "Romania",
                                          44.43, 26.10};
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "ion@acme.example", &vps_b, 12);
    rh_baseline(h, "ana@acme.example", &vps_b, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_VPS);
    rh_check(rh_alert(h, RULE, ALICE), "medium", 67, 67, 1);    /* 30 + 12 + 25 */
    rh_close(h);

    rh_open(h, RULE, NULL);
    rh_baseline(h, "ion@acme.example", &vps_b, 12);
    rh_baseline(h, "ana@acme.example", &vps_b, 12);
    rh_baseline(h, "dan@acme.example", &vps_b, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_VPS);
    rh_check(rh_alert(h, RULE, ALICE), "low", 40, 40, 1);       /* 10 + 5 + 25 */
}

/* A shared org exit (a /24 in 3 users' routine) adds nothing for its ASN. */
static void test_shared_exit(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &IE_MOBILE, 12);
    rh_baseline(h, "carol@acme.example", &IE_MOBILE, 12);
    rh_baseline(h, "dave@acme.example", &IE_MOBILE, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &IE_MOBILE);
    rh_check(rh_alert(h, RULE, ALICE), "low", 25, 25, 1);       /* the device alone */
}

/* A proxy on a new ASN: +10. */
static void test_proxy(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &IE_MOBILE, .dt = "pc-unknown",
                               .os = "Windows 10", .browser = "EDGE", .proxy = 1});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 55, 55, 1);
    rh_evidence(a, "Okta flags the address as a proxy or anonymizer");
}

/* First Admin Console access is 25 (low); the second is known. */
static void test_admin_console(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.session.access_admin_app", .t = t, .actor = ALICE,
                               .at = &RH_DUBLIN});
    rh_feed(h, &(struct rh_ev){.type = "user.session.access_admin_app", .t = t + RH_HOUR, .actor = ALICE,
                               .at = &RH_DUBLIN});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 25, 25, 1);
    rh_evidence(a, "first access to the Okta Admin Console");
}

/* An SSO into app from a new platform. */
static void sso(struct rh *h, int64_t t, const char *app)
{
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = t, .actor = ALICE, .at = &RH_DUBLIN,
                               .dt = "pc-unknown", .os = "Windows 10", .browser = "EDGE",
                               .targets = json_pack("[{s:s, s:s, s:s}]", "id", app, "type", "AppInstance",
                                                    "displayName", app)});
}

/* A first sensitive app is 20, another first app 5; sensitive_apps decides which is which. */
static void test_sensitive_apps(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    sso(h, t, "Lunch Menu");
    rh_check(rh_alert(h, RULE, ALICE), "low", 30, 30, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    sso(h, t, "AWS Console");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 45, 45, 1);
    rh_evidence(a, "first use of AWS Console, a sensitive app");
    rh_close(h);

    rh_open(h, RULE, "{\"sensitive_apps\": [\"lunch\"]}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    sso(h, t, "Lunch Menu");
    rh_check(rh_alert(h, RULE, ALICE), "medium", 45, 45, 1);
}

/* sensitive_apps holds up to 256 names, the last one counting as much as the first; 257 are refused. */
static void test_sensitive_apps_range(void **state)
{
    struct rh *h = *state;
    char err[512], *text;
    int64_t t;

    text = rh_list_config("sensitive_apps", 257, "lunch");
    rh_refused(RULE, text, err, sizeof err);
    free(text);
    rh_names(err, "sensitive_apps: expected an array of at most 256 non-empty strings");

    text = rh_list_config("sensitive_apps", 256, "lunch");
    rh_open(h, RULE, text);
    free(text);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    sso(h, t, "Lunch Menu");
    rh_evidence(rh_alert(h, RULE, ALICE), "first use of Lunch Menu, a sensitive app");
}

/* A factor weaker than the usual one (FIDO, 3+ times) adds 15. */
static void test_weaker_factor(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    for (int i = 0; i < 4; i++)
        rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + i * RH_HOUR,
                                   .actor = ALICE, .at = &RH_DUBLIN, .dt = DEV, .factor = "FIDO_WEBAUTHN"});
    t += RH_DAY;
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t, .actor = ALICE,
                               .at = &RH_DUBLIN, .dt = "pc-unknown", .os = "Windows 10", .browser = "EDGE",
                               .factor = "SMS"});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 40, 40, 1);
    rh_evidence(a, "verified with SMS, weaker than the usual FIDO_WEBAUTHN");
}

/* A persona still learning is not judged. */
static void test_learning_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 3);
    from_pc(h, t, &RH_VPS);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* A session the persona trusts is not judged again at its later events; a new session is. */
static void test_one_verdict_per_session(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_DUBLIN, .dt = DEV, .session = "sess-1"});
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = t + RH_MIN, .actor = ALICE,
                               .at = &RH_VPS, .dt = "pc-unknown", .os = "Windows 10", .browser = "EDGE",
                               .session = "sess-1"});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_feed(h, &(struct rh_ev){.t = t + 2 * RH_MIN, .actor = ALICE, .at = &RH_VPS, .dt = "pc-unknown",
                               .os = "Windows 10", .browser = "EDGE", .session = "sess-2"});
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 1);
}

/*
 * Aggregation with baseline hygiene: the attacker's second sign-in from
 * the same context is still new (provisional values) and updates the same
 * alert; past window_hours it is another alert.
 */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    from_pc(h, t, &RH_VPS);
    from_pc(h, t + 2 * RH_HOUR, &RH_VPS);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
    from_pc(h, t + 2 * RH_DAY, &RH_VPS);
    assert_int_equal(rh_count(h, RULE), 2);
}

/* A residential network in Cork: the user's country, but an ISP and a city alice never used. */
static const struct rh_place IE_RESI = {"89.101.3.7", 6830, "Liberty Global", "Cork", "Ireland",
                                        51.90, -8.47};

/* alice's twelve days in Dublin on her Mac, opening Slack each day. */
static int64_t alice_with_slack(struct rh *h)
{
    for (int d = 0; d < 12; d++) {
        rh_feed(h, &(struct rh_ev){.t = RH_T0 + d * RH_DAY, .actor = ALICE, .at = &RH_DUBLIN, .dt = DEV});
        rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = RH_T0 + d * RH_DAY + RH_MIN,
                                   .actor = ALICE, .at = &RH_DUBLIN, .dt = DEV,
                                   .targets = json_pack("[{s:s, s:s, s:s}]", "id", "0oaslack", "type",
                                                        "AppInstance", "displayName", "Slack")});
    }
    return RH_T0 + 12 * RH_DAY;
}

/* An SSO by alice into app at t from at on device dt (her Mac and Chrome), in session sess. */
static void sso_in(struct rh *h, int64_t t, const struct rh_place *at, const char *dt, const char *sess,
                   const char *app_id, const char *app)
{
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = t, .actor = ALICE, .at = at, .dt = dt,
                               .session = sess,
                               .targets = json_pack("[{s:s, s:s, s:s}]", "id", app_id, "type", "AppInstance",
                                                    "displayName", app)});
}

/* The attacker's sign-in through a Cork residential proxy, on a new Mac/Chrome device token. */
static void proxy_signin(struct rh *h, int64_t t, const char *sess)
{
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &IE_RESI, .dt = "proxy-mac", .session = sess});
}

/*
 * The takeover: usual country and browser, new ISP, city and device
 * (20 + 15 = 35, low), then apps alice never opened in that session: each
 * raises the alert, to medium (35 + 5 + 15 = 55) and, for a sensitive app,
 * high (35 + 20 + 15 = 70).  One alert, three versions.
 */
static void test_in_country_takeover(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    proxy_signin(h, t, "evil");
    rh_check(rh_alert(h, RULE, ALICE), "low", 35, 35, 1);
    sso_in(h, t + 10 * RH_MIN, &IE_RESI, "proxy-mac", "evil", "0oapayroll", "Payroll");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 55, 55, 2);
    rh_evidence(a, "10 min after a sign-in from 89.101.3.7 (AS6830, Cork) in the user's usual country "
                   "Ireland, with the network, city and device all new to them (score 35)");
    rh_evidence(a, "first use of Payroll");
    rh_evidence(a, "an app this user never opened, after that sign-in (0 before it)");
    sso_in(h, t + 20 * RH_MIN, &IE_RESI, "proxy-mac", "evil", "0oaaws", "AWS Console");
    a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 3);
    rh_evidence(a, "(1 before it)");
    assert_int_equal(rh_count(h, RULE), 1);
}

/*
 * When colleagues use the ISP (5) the sign-in scores 20, no alert; a
 * first-time app after it still makes at least medium (45, from 40).
 */
static void test_in_country_familiar_isp_medium(void **state)
{
    struct rh *h = *state;
    int64_t t;

    /* the colleagues' homes: the same ISP, other /24s (one /24 of three users would be a shared exit) */
    static const struct rh_place homes[3] = {
        {"89.101.10.7", 6830, "Liberty Global", "Limerick", "Ireland", 52.66, -8.63},
        {"89.101.20.7", 6830, "Liberty Global", "Limerick", "Ireland", 52.66, -8.63},
        {"89.101.30.7", 6830, "Liberty Global", "Limerick", "Ireland", 52.66, -8.63},
    };

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &homes[0], 12);
    rh_baseline(h, "carol@acme.example", &homes[1], 12);
    rh_baseline(h, "dave@acme.example", &homes[2], 12);
    t = alice_with_slack(h);
    proxy_signin(h, t, "evil");
    assert_int_equal(rh_count(h, RULE), 0);
    sso_in(h, t + RH_HOUR, &IE_RESI, "proxy-mac", "evil", "0oapayroll", "Payroll");
    rh_check(rh_alert(h, RULE, ALICE), "medium", 45, 45, 1);
}

/*
 * Near misses that stay low: after the same sign-in, only apps alice
 * already uses; a new app but from her own laptop at the office in another
 * session (not the pattern's session, network or device); a new app in the
 * attacker's session after follow_hours (8: at 8 h it still counts).
 */
static void test_in_country_near_misses(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    proxy_signin(h, t, "evil");
    sso_in(h, t + 10 * RH_MIN, &IE_RESI, "proxy-mac", "evil", "0oaslack", "Slack");
    sso_in(h, t + 2 * RH_HOUR, &RH_DUBLIN, DEV, "own", "0oapayroll", "Payroll");
    sso_in(h, t + 8 * RH_HOUR + 1, &IE_RESI, "proxy-mac", "evil", "0oawiki", "Wiki");
    rh_check(rh_alert(h, RULE, ALICE), "low", 35, 35, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    proxy_signin(h, t, "evil");
    sso_in(h, t + 8 * RH_HOUR, &IE_RESI, "proxy-mac", "evil", "0oawiki", "Wiki");
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 2);
    rh_close(h);

    rh_open(h, RULE, "{\"follow_hours\": 1}");
    t = alice_with_slack(h);
    proxy_signin(h, t, "evil");
    sso_in(h, t + 2 * RH_HOUR, &IE_RESI, "proxy-mac", "evil", "0oawiki", "Wiki");
    rh_check(rh_alert(h, RULE, ALICE), "low", 35, 35, 1);
}

/*
 * Not the pattern: a new ISP and device in her usual city (Dublin); a new
 * laptop at the usual office network; a trip to a new city on her own
 * laptop.  New apps after them change nothing: low at most.
 */
static void test_in_country_benign(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &IE_MOBILE, .dt = "proxy-mac", .session = "s1"});
    sso_in(h, t + 10 * RH_MIN, &IE_MOBILE, "proxy-mac", "s1", "0oapayroll", "Payroll");
    rh_check(rh_alert(h, RULE, ALICE), "low", 35, 35, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_DUBLIN,
                               .dt = "new-laptop", .os = "Windows 10",
                               .browser = "EDGE", .session = "lap"});
    sso_in(h, t + 10 * RH_MIN, &RH_DUBLIN, "new-laptop", "lap", "0oapayroll", "Payroll");
    sso_in(h, t + 20 * RH_MIN, &RH_DUBLIN, "new-laptop", "lap", "0oaaws", "AWS Console");
    rh_check(rh_alert(h, RULE, ALICE), "low", 25, 25, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = alice_with_slack(h);
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &IE_RESI, .dt = DEV, .session = "trip"});
    sso_in(h, t + 10 * RH_MIN, &IE_RESI, DEV, "trip", "0oapayroll", "Payroll");
    sso_in(h, t + 20 * RH_MIN, &IE_RESI, DEV, "trip", "0oaaws", "AWS Console");
    assert_int_equal(rh_count(h, RULE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_low_threshold),
        RH_TEST(test_setting_low_score),
        RH_TEST(test_scores_range),
        RH_TEST(test_scores_order),
        RH_TEST(test_scores_ends),
        RH_TEST(test_medium_threshold),
        RH_TEST(test_high_and_setting),
        RH_TEST(test_trusted_device_halves),
        RH_TEST(test_org_familiar),
        RH_TEST(test_shared_exit),
        RH_TEST(test_proxy),
        RH_TEST(test_admin_console),
        RH_TEST(test_sensitive_apps),
        RH_TEST(test_sensitive_apps_range),
        RH_TEST(test_weaker_factor),
        RH_TEST(test_learning_quiet),
        RH_TEST(test_one_verdict_per_session),
        RH_TEST(test_aggregation),
        RH_TEST(test_in_country_takeover),
        RH_TEST(test_in_country_familiar_isp_medium),
        RH_TEST(test_in_country_near_misses),
        RH_TEST(test_in_country_benign),
    };
    return cmocka_run_group_tests_name("rule_new_context", tests, NULL, NULL);
}
