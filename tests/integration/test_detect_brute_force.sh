# brute_force on labelled scenarios: a dozen failures from a foreign network
# followed by a success from it is critical; a user who mistypes and locks
# themselves out at the office is low; three typos are nothing.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
n = 0
def ev(user, t, outcome="SUCCESS", asn=5466, ip="86.40.1.1", typ="user.session.start"):
    global n
    n += 1
    return {"uuid": "bf-%04d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventType": typ,
            "actor": {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"},
            "client": {"ipAddress": ip}, "securityContext": {"asNumber": asn},
            "outcome": {"result": outcome, "reason": None if outcome == "SUCCESS" else "INVALID_CREDENTIALS"}}
M = datetime.timedelta(minutes=1); D = datetime.timedelta(days=1)
out = []
for u in ("erin", "frank", "grace"):
    for d in range(12):
        out.append(ev(u, T0 + d * D))
A = T0 + 12 * D + 3 * 60 * M
for i in range(12):                               # erin: 12 failures from AS64777, then it works
    out.append(ev("erin", A + i * M, "FAILURE", asn=64777, ip="198.51.100.77"))
out.append(ev("erin", A + 15 * M, asn=64777, ip="198.51.100.77"))
for i in range(10):                               # frank: locks himself out at the office
    out.append(ev("frank", A + i * M, "FAILURE"))
out.append(ev("frank", A + 10 * M, "FAILURE", typ="user.account.lock"))
for i in range(3):                                # grace: three typos, then in
    out.append(ev("grace", A + i * M, "FAILURE"))
out.append(ev("grace", A + 4 * M))
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule brute_force --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(r["user"] for r in rows)')" "['erin@acme.example', 'frank@acme.example']" "users alerted"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("erin")][0]')" critical "erin: foreign burst then success"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("frank")][0]')" low "frank: self-lockout at the office"
# medium or higher on the benign users: none
expect_eq "$(idw alerts list --severity medium --json | jlines /dev/stdin 'sum(1 for r in rows if r["user"] != "erin@acme.example")')" 0 "benign medium+ alerts"
