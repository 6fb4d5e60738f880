# password_spray on labelled scenarios: one IP trying many accounts (known
# and unknown) once each, then getting into one of them, is critical; the
# office NAT where a dozen employees mistype their password is not a spray.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
n = 0
def ev(user, t, outcome="SUCCESS", asn=5466, ip="86.40.1.1", unknown=False):
    global n
    n += 1
    actor = ({"id": "unknown", "type": "User", "alternateId": user, "displayName": "unknown"} if unknown
             else {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"})
    return {"uuid": "ps-%04d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "eventType": "user.session.start", "actor": actor,
            "client": {"ipAddress": ip}, "securityContext": {"asNumber": asn},
            "outcome": {"result": outcome, "reason": None if outcome == "SUCCESS" else "INVALID_CREDENTIALS"}}
M = datetime.timedelta(minutes=1); D = datetime.timedelta(days=1)
users = ["user%02d" % i for i in range(20)]
out = []
for u in users:                                   # everyone works from the office NAT for 12 days
    for d in range(12):
        out.append(ev(u, T0 + d * D + users.index(u) * M))
S = T0 + 12 * D + 10 * 60 * M
for i, u in enumerate(users[:12]):                # benign: 12 people mistype once at the office
    out.append(ev(u, S + i * 4 * M, "FAILURE"))
    out.append(ev(u, S + i * 4 * M + M))
A = T0 + 12 * D + 14 * 60 * M
for i, u in enumerate(users[:10]):                # attack: 10 known + 5 unknown accounts, once each
    out.append(ev(u, A + i * M, "FAILURE", asn=64999, ip="203.0.113.99"))
for i in range(5):
    out.append(ev("admin%d" % i, A + (10 + i) * M, "FAILURE", asn=64999, ip="203.0.113.99", unknown=True))
out.append(ev(users[3], A + 20 * M, "SUCCESS", asn=64999, ip="203.0.113.99"))   # ... and one worked
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule password_spray --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(set(r["entity"] for r in rows))')" "['ip:203.0.113.99']" "only the spraying IP"
expect_eq "$(jlines alerts.jsonl 'rows[0]["severity"]')" critical "a targeted account got in"
jlines alerts.jsonl 'rows[0]["evidence"]' | grep -q 'against 1[0-9] distinct accounts' || fail "spray shape in evidence"
expect_eq "$(jlines alerts.jsonl 'rows[0]["mitre"]')" "['T1110.003']" "mitre"
expect_eq "$(jlines alerts.jsonl 'rows[0]["user"]')" None "keyed by source: no single user"

# a second spray from another source; two hours later one of its targets signs in from a third
# network, new to them (the sprayed password tried from elsewhere): the spray alert turns critical.
# Another target signs in from the office as usual: nothing more.
python3 - <<'PY' > follow.jsonl
import json, datetime
T = datetime.datetime(2026, 10, 20, 9, 0, tzinfo=datetime.timezone.utc)
M = datetime.timedelta(minutes=1)
def ev(n, user, t, outcome, asn, ip):
    return {"uuid": "ps-f%03d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "eventType": "user.session.start",
            "actor": {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"},
            "client": {"ipAddress": ip}, "securityContext": {"asNumber": asn},
            "outcome": {"result": outcome, "reason": None if outcome == "SUCCESS" else "INVALID_CREDENTIALS"}}
out = [ev(i, "user%02d" % (i + 5), T + i * M, "FAILURE", 64888, "198.51.100.88") for i in range(12)]
out.append(ev(50, "user07", T + 120 * M, "SUCCESS", 64123, "192.0.2.123"))   # new network, 2 h later
out.append(ev(51, "user08", T + 125 * M, "SUCCESS", 5466, "86.40.1.1"))      # the office, as always
for e in out: print(json.dumps(e))
PY
idw ingest --file follow.jsonl > /dev/null
idw alerts list --rule password_spray --json > follow_alerts.jsonl
expect_eq "$(jlines follow_alerts.jsonl '[r["severity"] for r in rows if r["entity"] == "ip:198.51.100.88"]')" "['critical']" "target signed in from a new network after the spray"
jlines follow_alerts.jsonl '[r["summary"] for r in rows if r["entity"] == "ip:198.51.100.88"][0]' | grep -q "user07@acme.example, a target of the password spray from ip:198.51.100.88, signed in 1.9 h later from a network new to them" || fail "follow-up summary"
# the alert holds the failures that crossed the threshold (10th to 12th) and user07's sign-in, not user08's
expect_eq "$(jlines follow_alerts.jsonl '[r["event_ids"] for r in rows if r["entity"] == "ip:198.51.100.88"][0]')" "['ps-f009', 'ps-f010', 'ps-f011', 'ps-f050']" "only user07's sign-in joined the alert"
