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
