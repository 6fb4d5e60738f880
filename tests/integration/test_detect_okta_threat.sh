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
import json, datetime
T0 = datetime.datetime(2026, 9, 7, 8, 0, tzinfo=datetime.timezone.utc)   # a Monday
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
HOME = ("86.40.1.%d", 5466, "eircom", "eircom limited", "eircom.net", "Dublin", "Ireland", 53.35, -6.26)
BAD = {  # ip: (asn, org, isp, domain, city, country, lat, lon, proxy)
    "203.0.113.66": (64601, "bulletproof hosting", "bp hosting ltd", ".", "Amsterdam", "Netherlands", 52.37, 4.89, True),
    "198.51.100.23": (64602, "cheap vps", "cheap vps inc", "cheapvps.example", "Dallas", "United States", 32.79, -96.83, False),
    "192.0.2.44": (64602, "cheap vps", "cheap vps inc", "cheapvps.example", "Dallas", "United States", 32.79, -96.83, False),
    "192.0.2.99": (64604, "blocked isp", "blocked isp", "blocked.example", "Lagos", "Nigeria", 6.45, 3.39, False),
    "203.0.113.200": (64603, "phish proxy host", "phish proxy host", ".", "Frankfurt", "Germany", 50.11, 8.68, False),
}
n = 0
def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
def person(u):
    return {"id": "00u" + u, "type": "User", "alternateId": u + "@acme.example", "displayName": u.title()}
def ev(typ, t, actor, ip, outcome="SUCCESS", reason=None, user=None, debug=None, txn=None, target=None, sid=None):
    global n
    n += 1
    if ip in BAD:
        asn, org, isp, dom, city, country, lat, lon, proxy = BAD[ip]
    else:
        _, asn, org, isp, dom, city, country, lat, lon = HOME
        proxy = False
    dd = {"requestId": "req%05d" % n, "threatSuspected": "false", "dtHash": "%064x" % sum(map(ord, user or ip))}
    dd.update(debug or {})
    return {"uuid": "ot-%05d" % n, "published": stamp(t), "eventType": typ, "version": "0",
            "severity": "INFO", "displayMessage": typ, "actor": actor,
            "client": {"userAgent": {"rawUserAgent": CHROME, "os": "Windows 10", "browser": "CHROME"},
                       "zone": "null", "device": "Computer", "id": None, "ipAddress": ip,
                       "geographicalContext": {"city": city, "state": None, "country": country, "postalCode": None,
                                               "geolocation": {"lat": lat, "lon": lon}}},
            "authenticationContext": {"authenticationStep": 0, "externalSessionId": sid or "unknown"},
            "securityContext": {"asNumber": asn, "asOrg": org, "isp": isp, "domain": dom, "isProxy": proxy},
            "outcome": {"result": outcome, "reason": reason},
            "target": target or [],
            "transaction": {"type": "WEB", "id": txn or "txn%05d" % n, "detail": {}},
            "debugContext": {"debugData": dd}}
def signin(u, t, ip=None, outcome="SUCCESS", txn=None):
    ip = ip or HOME[0] % (len(u) + 10)
    return ev("user.session.start", t, person(u), ip, outcome,
              None if outcome == "SUCCESS" else "INVALID_CREDENTIALS", user=u, txn=txn,
              sid="102" + u + "%05d" % n if outcome == "SUCCESS" else None)
def ipactor(ip):
    return {"id": ip, "type": "IP address", "alternateId": "unknown", "displayName": ip}
def threat(t, ip, result, detections, txn=None):
    return ev("security.threat.detected", t, ipactor(ip), ip, result, ", ".join(detections),
              debug={"threatSuspected": "true", "threatDetections": json.dumps(detections)}, txn=txn)
def risk(u, t, level, prev, name, reasons, typ="user.risk.detect"):
    return ev(typ, t, {"id": "0oaSYSTEM", "type": "SystemPrincipal", "alternateId": "system@okta.com"},
              HOME[0] % 200, user=u, target=[person(u)],
              debug={"risk": "{previousLevel=%s, level=%s, detectionName=%s, reasons=%s, issuer=OKTA}" % (prev, level, name, reasons)})
S = datetime.timedelta(seconds=1); M = datetime.timedelta(minutes=1); H = datetime.timedelta(hours=1); D = datetime.timedelta(days=1)
users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory"]
out = []
for d in range(21):                                 # three weeks of routine: personas established
    for i, u in enumerate(users):
        out.append(signin(u, T0 + d * D + i * M))
A = T0 + 21 * D + H                                 # attack day
for i in range(3):                                  # ThreatInsight: a spray from 203.0.113.66, denied
    out.append(threat(A + i * 5 * M, "203.0.113.66", "DENY", {"Password Spray": "HIGH", "Login Failures": "MEDIUM"}))
out.append(threat(A + 20 * M, "198.51.100.23", "ALLOW", {"Login Failures": "HIGH"}, txn="TXN-ALLOW-1"))
out.append(signin("alice", A + 20 * M + S, "198.51.100.23", txn="TXN-ALLOW-1"))        # ... and alice got in
out.append(threat(A + 25 * M, "192.0.2.44", "ALLOW", {"Login Failures": "MEDIUM"}, txn="TXN-ALLOW-2"))
out.append(signin("bob", A + 25 * M + S, "192.0.2.44", "FAILURE", txn="TXN-ALLOW-2"))  # ... bob's password was wrong
for i in range(5):                                  # a blocklisted network knocking
    out.append(ev("security.request.blocked", A + 30 * M + i * M, ipactor("192.0.2.99"), "192.0.2.99",
                  "SUCCESS", "NETWORK_ZONE_BLOCKLIST"))
out.append(ev("security.request.blocked", A + 36 * M, person("judy"), "192.0.2.99", "SUCCESS", "NETWORK_ZONE_BLOCKLIST", user="judy"))
out.append(signin("mallory", A + 50 * M, "192.0.2.99"))                                # zone loosened, mallory in from it
out.append(risk("carol", A + H, "HIGH", "LOW", "Session Influenced User Risk", "Anomalous Device, Anomalous Location"))
out.append(risk("dave", A + H, "MEDIUM", "LOW", "Suspicious App Access", "Anomalous Location", typ="user.risk.change"))
out.append(risk("heidi", A + H, "LOW", "HIGH", "Admin Reported User Risk", "", typ="user.risk.change"))
out.append(ev("user.authentication.auth_via_mfa", A + 2 * H, person("erin"), "203.0.113.200", "FAILURE",
              "FastPass declined phishing attempt", user="erin", debug={"factor": "SIGNED_NONCE"}))
out.append(signin("ivan", A + 3 * H, "203.0.113.200"))                                 # the proxy signs in as ivan
out.append(ev("user.account.report_suspicious_activity_by_enduser", A + 2 * H, person("frank"), HOME[0] % 14,
              user="frank", target=[person("frank")], debug={
                  "suspiciousActivityEventType": "system.email.new_device_notification.sent_message",
                  "suspiciousActivityEventIp": "198.51.100.77", "suspiciousActivityEventCity": "Austin",
                  "suspiciousActivityEventCountry": "United States", "suspiciousActivityBrowser": "SAFARI",
                  "suspiciousActivityOs": "Mac OS X", "suspiciousActivityTimestamp": stamp(A + H)}))
out.append(ev("user.mfa.attempt_bypass", A + 2 * H, person("grace"), HOME[0] % 15, "FAILURE", user="grace",
              debug={"factor": "OKTA_VERIFY_PUSH"}))
out.append(ev("user.authentication.auth_via_mfa", A + 2 * H, person("heidi"), HOME[0] % 15, "FAILURE",
              "INVALID_CREDENTIALS", user="heidi", debug={"factor": "OKTA_VERIFY_TOTP"}))   # a wrong code
out.append(signin("judy", A + 4 * D, "203.0.113.66"))                                  # days after the window: nothing
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
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
import json
print(json.dumps({"uuid": "ot-breach-1", "published": "2026-11-02T09:00:00.000Z",
                  "eventType": "security.breached_credential.detected",
                  "actor": {"id": "0oaSYSTEM", "type": "SystemPrincipal", "alternateId": "system@okta.com"},
                  "target": [{"id": "00ugrace", "type": "User", "alternateId": "grace@acme.example", "displayName": "Grace"}],
                  "client": {"ipAddress": None}, "outcome": {"result": "SUCCESS"}}))
PY
idw ingest --file breach.jsonl > /dev/null
expect_eq "$(idw alerts list --rule okta_threat --user grace@acme.example --json | jlines /dev/stdin 'sorted(r["severity"] for r in rows if "breach" in r["summary"])')" "['high']" "breached credentials: high"
