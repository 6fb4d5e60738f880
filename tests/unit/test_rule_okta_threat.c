/*
 * test_rule_okta_threat.c — `okta_threat` (src/rules/rule_okta_threat.c,
 * docs/rules.md) through the real pipeline (rule_harness.h): ThreatInsight
 * keyed by IP and scored by its detection levels, a user's success from a
 * flagged IP (high on the user, the IP's alert up to high) with the
 * window edge in event time and the same-transaction case, blocklist
 * blocks, ITP risk levels, FastPass phishing declines, "this wasn't me"
 * reports, MFA bypass attempts, the look-alikes it must leave alone,
 * aggregation and settings.
 */
#include "rule_harness.h"

#define RULE "okta_threat"
#define ALICE "alice@acme.example"
#define BOB "bob@acme.example"
#define VPS_IP "ip:185.220.101.12"

/* Okta ThreatInsight flags the VPS at t: detections (JSON text), outcome DENY or ALLOW, transaction. */
static void threat(struct rh *h, int64_t t, const char *detections, const char *outcome, const char *txn)
{
    rh_feed(h, &(struct rh_ev){.type = "security.threat.detected", .t = t, .at = &RH_VPS, .outcome = outcome,
                               .transaction = txn,
                               .debug = json_pack("{s:s}", "threatDetections", detections)});
}

#define SPRAY_HIGH "{\"Password Spray\": \"HIGH\", \"Login Failures\": \"MEDIUM\"}"

/* A sign-in of login from the VPS at t, SUCCESS or FAILURE, in transaction txn. */
static void signin(struct rh *h, const char *login, int64_t t, const char *outcome, const char *txn)
{
    rh_feed(h, &(struct rh_ev){.t = t, .actor = login, .at = &RH_VPS, .outcome = outcome, .transaction = txn,
                               .reason = outcome ? "INVALID_CREDENTIALS" : NULL});
}

/* ThreatInsight: medium on the IP, 45 + 10 for a HIGH detection (+5 MEDIUM), +5 when let through. */
static void test_threatinsight_scores(void **state)
{
    struct rh *h = *state;

    rh_open(h, RULE, NULL);
    threat(h, RH_T0, SPRAY_HIGH, "DENY", NULL);
    const json_t *a = rh_alert(h, RULE, VPS_IP);
    rh_check(a, "medium", 55, 55, 1);
    assert_true(json_is_null(json_object_get(a, "user")));
    rh_evidence(a, "Password Spray=HIGH");
    rh_evidence(a, "the last one denied by Okta");
    rh_close(h);

    rh_open(h, RULE, NULL);
    threat(h, RH_T0, "{\"Login Failures\": \"MEDIUM\"}", "ALLOW", NULL);
    a = rh_alert(h, RULE, VPS_IP);
    rh_check(a, "medium", 55, 55, 1);
    rh_evidence(a, "ALLOWED through");
}

/*
 * A user's success from the flagged IP within window_hours (inclusive):
 * high 75 on the user, and the IP's alert goes high (version 2).
 */
static void test_success_from_flagged_ip(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    threat(h, t, SPRAY_HIGH, "DENY", NULL);
    signin(h, ALICE, t + 24 * RH_HOUR, NULL, NULL);
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "flagged by Okta ThreatInsight");
    rh_evidence(a, "an ASN new for this user (usual: AS5466 eircom)");
    a = rh_alert(h, RULE, VPS_IP);
    rh_check(a, "high", 75, 75, 2);
    rh_evidence(a, "then alice@acme.example signed in successfully from it");
}

/* ... and 1 ms past the window the success is not linked; window_hours 48 links it. */
static void test_window_edge_and_setting(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    threat(h, t, SPRAY_HIGH, "DENY", NULL);
    signin(h, ALICE, t + 24 * RH_HOUR + 1, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 1);             /* the IP's, still medium */
    rh_check(rh_alert(h, RULE, VPS_IP), "medium", 55, 55, 1);
    rh_close(h);

    rh_open(h, RULE, "{\"window_hours\": 48}");
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    threat(h, t, SPRAY_HIGH, "DENY", NULL);
    signin(h, ALICE, t + 30 * RH_HOUR, NULL, NULL);
    rh_check(rh_alert(h, RULE, ALICE), "high", 75, 75, 1);
}

/* The flagged transaction: its failed sign-in names the user on the IP's alert (medium); its success says so. */
static void test_same_transaction(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    threat(h, t, SPRAY_HIGH, "ALLOW", "txn-42");
    signin(h, ALICE, t + RH_MIN, "FAILURE", "txn-42");
    const json_t *a = rh_alert(h, RULE, VPS_IP);
    rh_check(a, "medium", 60, 60, 2);
    rh_evidence(a, "the flagged transaction was a sign-in attempt for alice@acme.example");
    assert_int_equal(rh_count(h, RULE), 1);
    signin(h, ALICE, t + 2 * RH_MIN, NULL, "txn-42");
    rh_evidence(rh_alert(h, RULE, ALICE), "the same transaction as the flagged request, which Okta let through");
}

/* Blocks: low 20 per IP (aggregated); a later success from the blocked IP is medium 50 on the user. */
static void test_blocks(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    for (int i = 0; i < 2; i++)
        rh_feed(h, &(struct rh_ev){.type = "security.request.blocked", .t = t + i * RH_MIN, .at = &RH_VPS,
                                   .outcome = "DENY", .reason = "Blocked by network zone"});
    const json_t *a = rh_alert(h, RULE, VPS_IP);
    rh_check(a, "low", 20, 20, 2);
    rh_evidence(a, "Okta blocked 2 request(s) from 185.220.101.12");
    signin(h, ALICE, t + RH_HOUR, NULL, NULL);
    a = rh_alert(h, RULE, ALICE);
    rh_check(a, "medium", 50, 50, 1);
    rh_evidence(a, "which an Okta network-zone blocklist blocked 2 time(s)");
}

/* An ITP risk event about alice with Okta's risk string. */
static void risk(struct rh *h, int64_t t, const char *level_text)
{
    rh_feed(h, &(struct rh_ev){.type = "user.risk.detect", .t = t, .target_user = ALICE, .at = &RH_VPS,
                               .debug = json_pack("{s:s}", "risk", level_text)});
}

/* ITP HIGH: high 80 (70 + the HIGH level's points); MEDIUM: low 30; LOW, and a drop to LOW: nothing. */
static void test_itp_risk(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    risk(h, t, "{previousLevel=MEDIUM, level=LOW, detectionName=None, reasons=none}");
    risk(h, t + RH_MIN, "{level=LOW}");
    assert_int_equal(rh_count(h, RULE), 0);
    risk(h, t + 2 * RH_MIN, "{previousLevel=LOW, level=MEDIUM, detectionName=Entity Critical Action, "
                            "reasons=Admin reported}");
    rh_check(rh_alert(h, RULE, ALICE), "low", 30, 30, 1);
    rh_close(h);

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    risk(h, t, "{previousLevel=LOW, level=HIGH, detectionName=Session Influenced User Risk, "
               "reasons=Suspicious IP, New Device}");
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 80, 80, 1);
    rh_evidence(a, "set the user's risk to HIGH (previously LOW): detection 'Session Influenced User Risk'; "
                   "reasons: Suspicious IP, New Device");
}

/* FastPass declining a phishing attempt: high 80; its IP is flagged, so bob's later success there is high. */
static void test_fastpass_phishing(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, BOB, &RH_DUBLIN, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t, .actor = ALICE,
                               .at = &RH_DUBLIN, .factor = "SIGNED_NONCE", .outcome = "FAILURE",
                               .reason = "INVALID_CREDENTIALS"});
    assert_int_equal(rh_count(h, RULE), 0);             /* a wrong code is not phishing */
    rh_feed(h, &(struct rh_ev){.type = "user.authentication.auth_via_mfa", .t = t + RH_MIN, .actor = ALICE,
                               .at = &RH_VPS, .factor = "SIGNED_NONCE", .outcome = "FAILURE",
                               .reason = "FastPass declined phishing attempt"});
    rh_check(rh_alert(h, RULE, ALICE), "high", 80, 80, 1);
    signin(h, BOB, t + RH_HOUR, NULL, NULL);
    const json_t *a = rh_alert(h, RULE, BOB);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "where Okta FastPass declined a phishing attempt");
}

/* "This wasn't me": high 80 on the reporter; the disowned IP is flagged for everyone's successes. */
static void test_user_report(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    rh_baseline(h, BOB, &RH_DUBLIN, 12);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.account.report_suspicious_activity_by_enduser", .t = t,
                               .actor = ALICE, .at = &RH_DUBLIN,
                               .debug = json_pack("{s:s, s:s}", "suspiciousActivityEventIp", RH_VPS.ip,
                                                  "suspiciousActivityEventType", "user.session.start")});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 80, 80, 1);
    rh_evidence(a, "the user told Okta an event was not them: user.session.start");
    signin(h, BOB, t + RH_HOUR, NULL, NULL);
    rh_evidence(rh_alert(h, RULE, BOB), "disowned in a user's suspicious-activity report");
}

/* user.mfa.attempt_bypass: high 75. */
static void test_mfa_bypass(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.mfa.attempt_bypass", .t = t, .actor = ALICE, .at = &RH_VPS,
                               .outcome = "FAILURE"});
    const json_t *a = rh_alert(h, RULE, ALICE);
    rh_check(a, "high", 75, 75, 1);
    rh_evidence(a, "Okta logged an attempt to bypass MFA");
}

/* Session signals are session_hijack's, and a success from an IP nobody flagged is nothing. */
static void test_quiet(void **state)
{
    struct rh *h = *state;
    int64_t t;

    rh_open(h, RULE, NULL);
    t = rh_baseline(h, ALICE, &RH_DUBLIN, 12);
    rh_feed(h, &(struct rh_ev){.type = "user.session.context.change", .t = t, .actor = ALICE, .at = &RH_VPS,
                               .session = "102s", .debug = json_pack("{s:s}", "causes", "ipAddress.change")});
    signin(h, ALICE, t + RH_MIN, NULL, NULL);
    assert_int_equal(rh_count(h, RULE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RH_TEST(test_threatinsight_scores),
        RH_TEST(test_success_from_flagged_ip),
        RH_TEST(test_window_edge_and_setting),
        RH_TEST(test_same_transaction),
        RH_TEST(test_blocks),
        RH_TEST(test_itp_risk),
        RH_TEST(test_fastpass_phishing),
        RH_TEST(test_user_report),
        RH_TEST(test_mfa_bypass),
        RH_TEST(test_quiet),
    };
    return cmocka_run_group_tests_name("rule_okta_threat", tests, NULL, NULL);
}
