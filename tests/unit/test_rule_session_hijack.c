/*
 * test_rule_session_hijack.c — `session_hijack` (src/rules/rule_session_hijack.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): a session
 * started by a successful sign-in and used later from a new ASN, another
 * OS or browser family, or a script, each at its documented severity and
 * score; Okta's context-change signals; the look-alikes it must leave
 * alone (roaming between the user's own networks, the org's egress, a
 * browser upgrade, a new session, an admin acting on the user, MFA from
 * the phone); learning personas; the session_max_hours edge in event
 * time; aggregation.
 */
#include "rule_harness.h"

#define RULE "session_hijack"
#define ALICE "alice@acme.example"
#define DEV "dev-" ALICE
#define SID "102sessionAAAA"

#define UA_MAC "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) " \
               "Chrome/126.0.0.0 Safari/537.36"
#define UA_MAC_127 "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) " \
                   "Chrome/127.0.0.0 Safari/537.36"
#define UA_WIN "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " \
               "Chrome/126.0.0.0 Safari/537.36 Edg/126.0"
#define UA_PY "python-requests/2.31.0"

static const struct rh_place IE_MOBILE = {"37.228.1.1", 15502, "Vodafone Ireland", "Dublin", "Ireland",
                                          53.35, -6.26};

/* alice established at home (and, when mobile, on her carrier too); returns the next free time. */
static int64_t established(struct rh *h, int mobile)
{
    int64_t t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);

    for (int i = 0; mobile && i < 3; i++)
        rh_feed(h, &(struct rh_ev){.t = t + i * RH_HOUR, .actor = ALICE, .at = &IE_MOBILE, .dt = DEV});
    return t + RH_DAY;
}

/* Her browser sign-in at home opening session SID at t. */
static void start(struct rh *h, int64_t t)
{
    rh_feed(h, &(struct rh_ev){.t = t, .actor = ALICE, .at = &RH_DUBLIN, .dt = DEV, .session = SID,
                               .ua = UA_MAC});
}

/* A later SSO in session SID from at with the given client (NULL os/browser: Mac OS X / CHROME). */
static void use(struct rh *h, int64_t t, const struct rh_place *at, const char *ua, const char *os,
                const char *browser, const char *dt)
{
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = t, .actor = ALICE, .at = at,
                               .dt = dt ? dt : DEV, .session = SID, .ua = ua, .os = os, .browser = browser,
                               .targets = json_pack("[{s:s, s:s, s:s}]", "id", "0oaMail", "type",
                                                    "AppInstance", "displayName", "Mail")});
}

/* The same session from an ASN new to the user: high 70, +5 when the device token differs. */
static void test_new_asn_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "AS64500 is new for this user (usual: AS5466 eircom) and not the org's shared egress");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, "stolen-dt");
    a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "device token (dtHash) differs");
}

/* Another OS family is high 70; OS and browser family both 75. */
static void test_client_family_high(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_DUBLIN, UA_WIN, "Windows 10", "CHROME", NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "OS family changed (Mac OS X -> Windows 10)");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_DUBLIN, UA_WIN, "Windows 10", "EDGE", NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 1);
}

/* A new ASN and another family: critical 90. */
static void test_new_asn_and_client_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_VPS, UA_WIN, "Windows 10", "CHROME", NULL);
    rh_check(rh_alert(h, RULE, ALICE), "critical", 90, 90, 1);
}

/* A script on a browser session: critical 95. */
static void test_script_critical(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_DUBLIN, UA_PY, "Unknown", "Unknown", NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 95, 95, 1);
    rh_evidence(a, "scripted client 'python-requests' (python-requests/2.31.0) on a session that started "
                   "in a browser");
}

/* Her own carrier, a browser upgrade, and the org's shared egress are all nothing. */
static void test_benign_moves_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, "bob@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "carol@acme.example", &RH_LONDON, 12);
    rh_baseline(h, "dave@acme.example", &RH_LONDON, 12);
    t = established(h, 1);
    start(h, t);
    use(h, t + RH_HOUR, &IE_MOBILE, UA_MAC, NULL, NULL, NULL);
    use(h, t + 2 * RH_HOUR, &RH_DUBLIN, UA_MAC_127, NULL, NULL, NULL);
    use(h, t + 3 * RH_HOUR, &RH_LONDON, UA_MAC, NULL, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* A new session from a new place (its start never seen) is new_context's, not a hijack. */
static void test_new_session_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.sso", .t = t + RH_HOUR, .actor = ALICE,
                               .at = &RH_VPS, .session = "102otherSession", .ua = UA_WIN,
                               .os = "Windows 10", .browser = "EDGE"});
    assert_int_equal(rh_count(h, RULE), 0);
}

/* An admin acting on her from the admin's own session is not her session being replayed. */
static void test_admin_on_user_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    rh_feed(h, &(struct rh_ev){.type = "user.account.reset_password", .t = t + RH_HOUR,
                               .actor = "admin@acme.example", .target_user = ALICE, .at = &RH_VPS,
                               .session = SID, .ua = UA_WIN, .os = "Windows 10", .browser = "EDGE"});
    assert_int_equal(rh_count(h, RULE), 0);
}

/* On an MFA event only the ASN is compared: the phone's other OS is not a hijack, a new ASN is. */
static void test_mfa_compares_asn_only(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + RH_MIN, .actor = ALICE,
                               .at = &RH_DUBLIN, .session = SID, .ua = "OktaVerify/9.0 iOS", .os = "iOS",
                               .browser = "UNKNOWN", .factor = "OKTA_VERIFY_PUSH"});
    assert_int_equal(rh_count(h, RULE), 0);
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + 2 * RH_MIN,
                               .actor = ALICE, .at = &RH_VPS, .session = SID, .ua = "OktaVerify/9.0 iOS",
                               .os = "iOS", .browser = "UNKNOWN", .factor = "OKTA_VERIFY_PUSH"});
    rh_check(rh_alert(h, RULE, ALICE), "high", 70, 70, 1);
}

/* While the persona learns, another ASN cannot be judged: low 30. */
static void test_learning_low(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    rh_baseline(h, ALICE, &RH_DUBLIN, 2);
    start(h, RH_T0 + 3 * RH_DAY);
    use(h, RH_T0 + 3 * RH_DAY + RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "low", 30, 30, 1);
    rh_evidence(a, "another network, but the persona is still learning");
}

/* An Okta context-change event in session SID to at with causes. */
static void context_change(struct rh *h, int64_t t, const struct rh_place *at, const char *causes)
{
    rh_feed(h, &(struct rh_ev){.type = "user.session.context.change", .t = t, .actor = ALICE, .at = at,
                               .session = SID, .ua = UA_MAC,
                               .debug = json_pack("{s:s, s:s, s:s}", "causes", causes,
                                                  "previousIpAddress", RH_DUBLIN.ip, "newIpAddress",
                                                  at->ip)});
}

/* Okta's signal: to a new ASN high 70; a device-context change medium 55; between her own networks nothing. */
static void test_okta_signals(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 1);
    start(h, t);
    context_change(h, t + RH_MIN, &IE_MOBILE, "ipAddress.change");
    assert_int_equal(rh_count(h, RULE), 0);
    context_change(h, t + 2 * RH_MIN, &RH_VPS, "ipAddress.change");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 70, 70, 1);
    rh_evidence(a, "Okta reported user.session.context.change (causes: ipAddress.change; previous IP "
                   "86.40.1.10, new IP 185.220.101.12)");
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    context_change(h, t + RH_MIN, &RH_DUBLIN, "deviceContext.change");
    rh_check(rh_alert(h, RULE, ALICE), "medium", 55, 55, 1);
}

/* A session is followed for session_max_hours (168) after its start, inclusive. */
static void test_session_max_hours_edge(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + 168 * RH_HOUR + 1, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + 168 * RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 1);
    rh_close(h);

    rh_open(h, RULE, "{\"session_max_hours\": 1}");
    t = established(h, 0);
    start(h, t);
    use(h, t + 2 * RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
}

/* Aggregation: the replay's next request joins the alert (version 2) and raises it to critical. */
static void test_aggregation(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = established(h, 0);
    start(h, t);
    use(h, t + RH_HOUR, &RH_VPS, UA_MAC, NULL, NULL, NULL);
    use(h, t + 2 * RH_HOUR, &RH_VPS, UA_PY, "Unknown", "Unknown", NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "critical", 95, 95, 2);
    assert_int_equal(rh_int(a, "event_count"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_new_asn_high),
        RH_TEST(test_client_family_high),
        RH_TEST(test_new_asn_and_client_critical),
        RH_TEST(test_script_critical),
        RH_TEST(test_benign_moves_quiet),
        RH_TEST(test_new_session_quiet),
        RH_TEST(test_admin_on_user_quiet),
        RH_TEST(test_mfa_compares_asn_only),
        RH_TEST(test_learning_low),
        RH_TEST(test_okta_signals),
        RH_TEST(test_session_max_hours_edge),
        RH_TEST(test_aggregation),
    };
    return cmocka_run_group_tests_name("rule_session_hijack", tests, NULL, NULL);
}
