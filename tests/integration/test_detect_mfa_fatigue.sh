# mfa_fatigue on labelled scenarios: a push-bombing burst from a network the
# victim never uses, then an approval, is critical; a retried push is not
# an attack; a burst that the user denies is alerted but not critical.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
n = 0
def ev(user, t, typ, outcome="SUCCESS", asn=5466, ip="86.40.1.10", factor=None):
    global n
    n += 1
    e = {"uuid": "mf-%04d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventType": typ,
         "actor": {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"},
         "client": {"ipAddress": ip, "geographicalContext": {"city": "Dublin", "country": "Ireland",
                    "geolocation": {"lat": 53.35, "lon": -6.26}}},
         "securityContext": {"asNumber": asn, "asOrg": "net%d" % asn},
         "outcome": {"result": outcome}}
    if factor:
        e["debugContext"] = {"debugData": {"factor": factor}}
    return e
M = datetime.timedelta(minutes=1); D = datetime.timedelta(days=1)
out = []
for u in ("alice", "bob", "carol"):
    for d in range(12):
        out.append(ev(u, T0 + d * D, "user.session.start"))
A = T0 + 12 * D + 9 * 60 * M
for i in range(6):                               # alice: 6 pushes in 5 min from AS64666
    out.append(ev("alice", A + i * 50 * datetime.timedelta(seconds=1), "system.push.send_factor_verify_push",
                  asn=64666, ip="203.0.113.50"))
out.append(ev("alice", A + 6 * M, "user.authentication.auth_via_mfa", factor="OKTA_VERIFY_PUSH"))  # gave in
out.append(ev("bob", A, "system.push.send_factor_verify_push"))            # bob: one retried push
out.append(ev("bob", A + M, "system.push.send_factor_verify_push"))
out.append(ev("bob", A + 2 * M, "user.authentication.auth_via_mfa", factor="OKTA_VERIFY_PUSH"))
for i in range(3):                               # carol: pushes she denies, from her usual network
    out.append(ev("carol", A + i * M, "system.push.send_factor_verify_push"))
    out.append(ev("carol", A + i * M + 20 * datetime.timedelta(seconds=1), "user.mfa.okta_verify.deny_push"))
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule mfa_fatigue --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(r["user"] for r in rows)')" "['alice@acme.example', 'carol@acme.example']" "users alerted"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("alice")][0]')" critical "alice: burst from a new network, then approved"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("carol")][0]')" medium "carol: denied burst from her usual network"
expect_eq "$(jlines alerts.jsonl '[r["mitre"] for r in rows][0]')" "['T1621']" "mitre"
jlines alerts.jsonl '[r["evidence"] for r in rows if r["user"].startswith("alice")][0]' | grep -q 'never signed in from' \
    || fail "evidence does not name the new network"
