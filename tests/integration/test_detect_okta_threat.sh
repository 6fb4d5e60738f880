# okta_threat on labelled scenarios, after three weeks of routine sign-ins:
#   - ThreatInsight DENYs from one IP are one medium alert keyed by the IP;
#   - a ThreatInsight ALLOW followed, in the same transaction, by a user's
#     successful sign-in: high on the user, the IP's alert goes high and
#     names the user; followed by a failed sign-in: the IP's alert names
#     the user, stays medium, and the user gets nothing;
#   - blocklist blocks are one low alert per IP; a success from it is medium;
#   - ITP risk HIGH is high, MEDIUM is low, a drop to LOW is nothing;
#   - FastPass phishing decline, "this wasn't me" and MFA bypass are high,
#     and a later success from the phishing proxy's IP by anyone is high;
#   - benign look-alikes: a wrong MFA code, a success from a flagged IP
#     days after the window, routine sign-ins: nothing.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
T0 = datetime.datetime(2026, 9, 7, 8, 0, tzinfo=UTC)   # a Monday
HOME = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26, isp="eircom limited", domain="eircom.net")
BAD = {ip: net(ip, *rest) for ip, *rest in [  # ip, asn, org, city, country, lat, lon, isp, proxy, domain
    ("203.0.113.66", 64601, "bulletproof hosting", "Amsterdam", "Netherlands", 52.37, 4.89, "bp hosting ltd", True, "."),
    ("198.51.100.23", 64602, "cheap vps", "Dallas", "United States", 32.79, -96.83, "cheap vps inc", False, "cheapvps.example"),
    ("192.0.2.44", 64602, "cheap vps", "Dallas", "United States", 32.79, -96.83, "cheap vps inc", False, "cheapvps.example"),
    ("192.0.2.99", 64604, "blocked isp", "Lagos", "Nigeria", 6.45, 3.39, "blocked isp", False, "blocked.example"),
    ("203.0.113.200", 64603, "phish proxy host", "Frankfurt", "Germany", 50.11, 8.68, "phish proxy host", False, "."),
]}
def where(ip):
    return BAD.get(ip) or HOME.with_ip(ip)
def ctx(ip, user=None, debug=None, sid=None):
    """Chrome on Windows, a device per user (or per IP when no user is
    involved), and Okta's "unknown" for no session."""
    return dict(user_agent=CHROME_WIN, session_id=sid or "unknown",
                dt="%064x" % sum(map(ord, user or ip)), debug=dict({"threatSuspected": "false"}, **(debug or {})))
def ev(typ, t, actor, ip, outcome="SUCCESS", reason=None, user=None, debug=None, txn=None, target=(), sid=None):
    return event(typ, t, actor, where(ip), outcome, reason, targets=target, transaction_id=txn,
                 **ctx(ip, user, debug, sid))
sessions = 0
def signin_(u, t, ip=None, outcome="SUCCESS", txn=None):
    global sessions
    sessions += 1
    ip = ip or HOME.ip % (len(u) + 10)
    return signin(person(u), t, where(ip), outcome, transaction_id=txn,
                  **ctx(ip, u, sid="102%s%05d" % (u, sessions) if outcome == "SUCCESS" else None))
def threat(t, ip, result, detections, txn=None):
    return threat_detected(t, where(ip), result, detections, transaction_id=txn, **ctx(ip))
def risk(u, t, level, prev, name, reasons, typ="user.risk.detect"):
    return risk_event(person(u), t, level, prev, name, reasons, where(HOME.ip % 200), typ, **ctx(HOME.ip % 200, u))
out = []
users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory"]
for d in range(21):                                 # three weeks of routine: personas established
    for i, u in enumerate(users):
        out.append(signin_(u, T0 + d * D + i * M))
A = T0 + 21 * D + H                                 # attack day
for i in range(3):                                  # ThreatInsight: a spray from 203.0.113.66, denied
    out.append(threat(A + i * 5 * M, "203.0.113.66", "DENY", {"Password Spray": "HIGH", "Login Failures": "MEDIUM"}))
out.append(threat(A + 20 * M, "198.51.100.23", "ALLOW", {"Login Failures": "HIGH"}, txn="TXN-ALLOW-1"))
out.append(signin_("alice", A + 20 * M + S, "198.51.100.23", txn="TXN-ALLOW-1"))        # ... and alice got in
out.append(threat(A + 25 * M, "192.0.2.44", "ALLOW", {"Login Failures": "MEDIUM"}, txn="TXN-ALLOW-2"))
out.append(signin_("bob", A + 25 * M + S, "192.0.2.44", "FAILURE", txn="TXN-ALLOW-2"))  # ... bob's password was wrong
for i in range(5):                                  # a blocklisted network knocking
    out.append(ev("security.request.blocked", A + 30 * M + i * M, ip_actor("192.0.2.99"), "192.0.2.99",
                  "SUCCESS", "NETWORK_ZONE_BLOCKLIST"))
out.append(ev("security.request.blocked", A + 36 * M, person("judy"), "192.0.2.99", "SUCCESS", "NETWORK_ZONE_BLOCKLIST", user="judy"))
out.append(signin_("mallory", A + 50 * M, "192.0.2.99"))                                # zone loosened, mallory in from it
out.append(risk("carol", A + H, "HIGH", "LOW", "Session Influenced User Risk", "Anomalous Device, Anomalous Location"))
out.append(risk("dave", A + H, "MEDIUM", "LOW", "Suspicious App Access", "Anomalous Location", typ="user.risk.change"))
out.append(risk("heidi", A + H, "LOW", "HIGH", "Admin Reported User Risk", "", typ="user.risk.change"))
out.append(ev("user.authentication.auth_via_mfa", A + 2 * H, person("erin"), "203.0.113.200", "FAILURE",
              "FastPass declined phishing attempt", user="erin", debug={"factor": "SIGNED_NONCE"}))
out.append(signin_("ivan", A + 3 * H, "203.0.113.200"))                                 # the proxy signs in as ivan
out.append(ev("user.account.report_suspicious_activity_by_enduser", A + 2 * H, person("frank"), HOME.ip % 14,
              user="frank", target=[person("frank")], debug={
                  "suspiciousActivityEventType": "system.email.new_device_notification.sent_message",
                  "suspiciousActivityEventIp": "198.51.100.77", "suspiciousActivityEventCity": "Austin",
                  "suspiciousActivityEventCountry": "United States", "suspiciousActivityBrowser": "SAFARI",
                  "suspiciousActivityOs": "Mac OS X", "suspiciousActivityTimestamp": stamp(A + H)}))
out.append(ev("user.mfa.attempt_bypass", A + 2 * H, person("grace"), HOME.ip % 15, "FAILURE", user="grace",
              debug={"factor": "OKTA_VERIFY_PUSH"}))
out.append(ev("user.authentication.auth_via_mfa", A + 2 * H, person("heidi"), HOME.ip % 15, "FAILURE",
              "INVALID_CREDENTIALS", user="heidi", debug={"factor": "OKTA_VERIFY_TOTP"}))   # a wrong code
out.append(signin_("judy", A + 4 * D, "203.0.113.66"))                                  # days after the window: nothing
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule okta_threat --json > alerts.jsonl
cat alerts.jsonl
python3 - alerts.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def key(r):
    return r["user"].split("@")[0] if r["user"] else r["entity"]
got = {key(r): r for r in rows}
# who: (severity, event_count, words the evidence must contain)
want = {
    "ip:203.0.113.66": ("medium", 3, ["Password Spray=HIGH", "Login Failures=MEDIUM", "3 flagged", "AS64601", "denied"]),
    "ip:198.51.100.23": ("high", 2, ["Login Failures=HIGH", "ALLOWED", "alice@acme.example signed in successfully", "same transaction"]),
    "ip:192.0.2.44": ("medium", 2, ["sign-in attempt for bob@acme.example", "FAILURE"]),
    "ip:192.0.2.99": ("low", 6, ["blocked 6 request(s)", "NETWORK_ZONE_BLOCKLIST"]),
    "alice": ("high", 1, ["flagged by Okta ThreatInsight", "Login Failures=HIGH", "same transaction", "AS64602", "new for this user", "AS5466"]),
    "mallory": ("medium", 1, ["blocklist", "blocked 6 time(s)"]),
    "carol": ("high", 1, ["HIGH", "previously LOW", "Session Influenced User Risk", "Anomalous Device, Anomalous Location"]),
    "dave": ("low", 1, ["MEDIUM", "Suspicious App Access"]),
    "erin": ("high", 1, ["FastPass declined phishing attempt", "203.0.113.200", "AS64603", "new for this user"]),
    "ivan": ("high", 1, ["FastPass declined a phishing attempt", "erin@acme.example", "new for this user"]),
    "frank": ("high", 1, ["not them", "new_device_notification", "198.51.100.77", "Austin", "SAFARI"]),
    "grace": ("high", 1, ["bypass MFA", "OKTA_VERIFY_PUSH", "routinely signs in from"]),
}
bad = 0
for k in sorted(set(got) | set(want)):
    if k not in want:
        print("FAIL: unexpected alert for %s: %s" % (k, got[k]["summary"])); bad = 1; continue
    if k not in got:
        print("FAIL: no alert for %s" % k); bad = 1; continue
    sev, count, words = want[k]
    r = got[k]
    if r["severity"] != sev or r["event_count"] != count:
        print("FAIL: %s: %s x%d, expected %s x%d" % (k, r["severity"], r["event_count"], sev, count)); bad = 1
    for w in words:
        if w not in r["evidence"]:
            print("FAIL: %s: evidence lacks %r: %s" % (k, w, r["evidence"])); bad = 1
    if k.startswith("ip:") and r["user"] is not None:
        print("FAIL: %s: an IP-keyed alert names a user" % k); bad = 1
    if r["stage"] != "Compromise Identity" or not r["mitre"]:
        print("FAIL: %s: stage/mitre %s %s" % (k, r["stage"], r["mitre"])); bad = 1
    print("ok: %s %s x%d" % (k, r["severity"], r["event_count"]))
sys.exit(bad)
PY
expect_eq "$(jlines alerts.jsonl '[r["mitre"] for r in rows if r["user"] == "erin@acme.example"][0]')" "['T1566', 'T1557']" "phishing mitre"
# replaying the same events changes nothing
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule okta_threat --json > again.jsonl
expect_eq "$(jlines again.jsonl 'sorted((r["entity"], r["version"]) for r in rows)')" "$(jlines alerts.jsonl 'sorted((r["entity"], r["version"]) for r in rows)')" "replay is idempotent"
# ITP's breached-credential detection on a known user: high, keyed to that user
python3 - <<'PY' > breach.jsonl
from oktaev import *
dump_jsonl([event("security.breached_credential.detected", datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                  system_actor(), targets=[person("grace")], uuid="ot-breach-1")])
PY
idw ingest --file breach.jsonl > /dev/null
expect_eq "$(idw alerts list --rule okta_threat --user grace@acme.example --json | jlines /dev/stdin 'sorted(r["severity"] for r in rows if "breach" in r["summary"])')" "['high']" "breached credentials: high"
