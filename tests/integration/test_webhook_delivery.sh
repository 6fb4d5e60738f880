# Webhook delivery through a SOAR outage: the receiver is down (connection
# refused), then answers 500s, then 200 — every alert arrives at its newest
# version (queued older versions are superseded, not sent one by one),
# signed, none lost across separate idwatch processes (each `outbox
# deliver` is a restart), duplicates only under the same Idempotency-Key.  Other 4xx become visible dead letters that `outbox
# retry` revives.  A second webhook gets OCSF Detection Findings.  The
# secret never appears in any output.
. "$ROOT/tests/soar_sim/soar_lib.sh"
soar_secret secret
soar_secret ocsf-secret
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port); LAKE_PORT=$(free_port)
sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/certs" > /dev/null
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "webhooks": [
   {"name": "soar", "url": "https://127.0.0.1:$PORT/hooks/idwatch", "secret_file": "$WORK/secret",
    "ca_file": "$WORK/certs/ca.pem", "min_severity": "medium", "timeout_s": 5,
    "retry_base_s": 0.05, "retry_cap_s": 0.2},
   {"name": "lake", "url": "https://127.0.0.1:$LAKE_PORT/ocsf", "secret_file": "$WORK/ocsf-secret",
    "ca_file": "$WORK/certs/ca.pem", "min_severity": "critical", "format": "ocsf",
    "retry_base_s": 0.05, "retry_cap_s": 0.2}]}
JSON
# three users brute-forced from a foreign network, each ending in a success: critical alerts
# that are updated event after event (many versions); one self-lockout (low: not delivered)
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
n = 0
def ev(user, t, outcome="SUCCESS", asn=5466, ip="86.40.1.1", typ="user.session.start"):
    global n
    n += 1
    return {"uuid": "wh-%04d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventType": typ,
            "actor": {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"},
            "client": {"ipAddress": ip}, "securityContext": {"asNumber": asn},
            "outcome": {"result": outcome, "reason": None if outcome == "SUCCESS" else "INVALID_CREDENTIALS"}}
M = datetime.timedelta(minutes=1); D = datetime.timedelta(days=1)
out = []
users = ("erin", "frank", "grace", "heidi")
for u in users:
    for d in range(12):
        out.append(ev(u, T0 + d * D))
for k, u in enumerate(users[:3]):
    A = T0 + 12 * D + k * 60 * M
    for i in range(12):
        out.append(ev(u, A + i * M, "FAILURE", asn=64777, ip="198.51.100.7%d" % k))
    out.append(ev(u, A + 15 * M, asn=64777, ip="198.51.100.7%d" % k))
A = T0 + 13 * D
for i in range(10):
    out.append(ev("heidi", A + i * M, "FAILURE"))
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
idw_c() { "$IDWATCH" --config cfg.json "$@"; }
idw_c ingest --file scen.jsonl > ingest.out 2>&1
idw_c outbox list --json > queued.jsonl
python3 - <<'PY' > expected.txt
import json
rows = [json.loads(l) for l in open("queued.jsonl")]
for t in ("soar", "lake"):
    print(len([r for r in rows if r["target"] == t]), len({r["alert_id"] for r in rows if r["target"] == t}), end=" ")
print()
PY
read nsoar asoar nlake alake < expected.txt
echo "queued: $nsoar versions of $asoar alerts for soar, $nlake versions of $alake alerts for lake"
[ "$nsoar" -gt "$asoar" ] || fail "expected several versions per alert queued, got $nsoar for $asoar alerts"
expect_eq "$(jlines queued.jsonl 'sorted(set(r["severity"] for r in rows))')" "['critical', 'medium']" "only medium+ queued"
expect_eq "$(jlines queued.jsonl 'all(r["state"] == "pending" and r["attempts"] == 0 for r in rows)')" True "all pending"
# versions of every alert are queued strictly increasing (a SOAR de-duplicates on alert_id:version:
# a version that failed to increment would be dropped there as a repeat)
expect_eq "$(jlines queued.jsonl 'all(all(b > a for a, b in zip(v, v[1:])) for v in ([r["version"] for r in rows if r["alert_id"] == a and r["target"] == t] for a in {r["alert_id"] for r in rows} for t in ("soar", "lake")))')" True "versions strictly increasing"

# 1. the SOAR is down: connection refused, nothing lost
idw_c outbox deliver > d1.out 2> d1.err
cat d1.out
grep -q "delivered 0" d1.out || fail "nothing can be delivered while the receiver is down"
idw_c outbox list --json > after1.jsonl
expect_eq "$(jlines after1.jsonl 'len(rows)')" "$((asoar + alake))" "the newest version of each alert kept, older ones superseded"
# one attempt per webhook: once a receiver refuses connections its other deliveries wait with it
expect_eq "$(jlines after1.jsonl '[sum(r["attempts"] for r in rows if r["target"] == t) for t in ("soar", "lake")]')" "[1, 1]" "one attempt per unreachable webhook"
expect_eq "$(jlines after1.jsonl 'all(len({r["next_ms"] for r in rows if r["target"] == t}) == 1 for t in ("soar", "lake"))')" True "the others wait as long as the failed one"
jlines after1.jsonl 'rows[0]["last_error"]' | grep -qi "connect" || fail "the transport error is recorded"

# 2. up, but answering 500 three times, then 200: keep delivering (each a fresh process)
soar_start "$WORK/lake" --port "$LAKE_PORT" --secret-file "$WORK/ocsf-secret"
LAKE_URL=$SOAR_URL
soar_start "$WORK/soar" --port "$PORT" --secret-file "$WORK/secret"
soar_ctl fault '{"status": 500, "count": 3}' > /dev/null
i=0
while [ "$(idw_c outbox list --json | wc -l)" -gt 0 ]; do
    i=$((i + 1)); [ $i -lt 40 ] || { idw_c outbox list; fail "outbox never drained"; }
    idw_c outbox deliver >> deliver.out 2>> deliver.err
    sleep 0.2
done
soar_ctl stats > stats.json
cat stats.json
expect_eq "$(jget stats.json 'j["faulted"]')" 3 "500s answered"
expect_eq "$(jget stats.json 'j["rejected"]')" 0 "no bad signature, timestamp or body"
expect_eq "$(jget stats.json 'j["accepted"]')" "$asoar" "every alert accepted exactly once"
expect_eq "$(jget stats.json 'j["duplicates"]')" 0 "no duplicates"
python3 - <<'PY' || fail "accepted keys differ from the queued ones"
import json
rows = [r for r in map(json.loads, open("queued.jsonl")) if r["target"] == "soar"]
q = sorted("%s:%d" % (a, max(r["version"] for r in rows if r["alert_id"] == a)) for a in {r["alert_id"] for r in rows})
assert sorted(json.load(open("stats.json"))["keys"]) == q
PY
expect_eq "$(SOAR_URL=$LAKE_URL soar_stat 'j["formats"]["ocsf"]')" "$alake" "OCSF deliveries to the second webhook"
grep '"format":"ocsf"' "$WORK/lake/requests.jsonl" | head -1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
b = r["body"]
assert b["class_uid"] == 2004 and b["category_uid"] == 2, b
assert b["finding_info"]["analytic"]["uid"] == "brute_force"
assert b["finding_info"]["attacks"][0]["technique"]["uid"] == "T1110.001"
assert b["evidences"][0]["actor"]["user"]["name"].endswith("@acme.example")
assert b["evidences"][0]["src_endpoint"]["ip"].startswith("198.51.100.7")
assert b["severity_id"] == 5 and b["metadata"]["product"]["name"] == "idwatch"
print("ok: OCSF Detection Finding")' || fail "OCSF body"

# 3. a 4xx other than 408/429 is permanent: dead after 3 tries, visible, revivable
soar_ctl fault '{"status": 400, "count": -1}' > /dev/null
python3 - <<'PY' > more.jsonl
import json
rows = [json.loads(l) for l in open("scen.jsonl")]
late = [r for r in rows if r["actor"]["alternateId"].startswith("heidi") and r["outcome"]["result"] == "FAILURE"]
for i, r in enumerate(late + late[:2]):
    r = dict(r); r["uuid"] = "wh-late-%d" % i; r["published"] = "2026-10-20T09:%02d:00.000Z" % i
    r["client"] = {"ipAddress": "203.0.113.9"}; r["securityContext"] = {"asNumber": 64999}
    print(json.dumps(r))
PY
idw_c ingest --file more.jsonl > /dev/null 2>&1
for k in 1 2 3; do idw_c outbox deliver >> deliver.out 2>> deliver.err; sleep 0.25; done
idw_c outbox list --json > dead.jsonl
idw_c outbox list
expect_eq "$(jlines dead.jsonl 'sorted(set((r["state"], r["last_status"]) for r in rows if r["attempts"]))')" "[('dead', 400)]" "dead letter after 3 tries of 400"
grep -q "dead letter" deliver.err || fail "dead letters are logged"
expect_rc 4 idw_c outbox retry no-such-alert
idw_c outbox retry --all | grep -q "due now" || fail "retry --all"
soar_ctl clear-faults > /dev/null
idw_c outbox deliver > d3.out 2>&1
grep -q "delivered" d3.out || fail "revived deliveries"
i=0; while [ "$(idw_c outbox list --json | wc -l)" -gt 0 ]; do
    i=$((i + 1)); [ $i -lt 20 ] || fail "revived entries not delivered"; idw_c outbox deliver > /dev/null 2>&1; sleep 0.1; done
expect_eq "$(soar_stat 'j["rejected"]')" 0 "still nothing rejected"

# the secrets appear nowhere
for s in "$(cat secret)" "$(cat ocsf-secret)"; do
    if grep -rqa -- "$s" ./*.out ./*.err ./*.jsonl "$WORK"/soar/requests.jsonl "$WORK"/lake/requests.jsonl; then
        fail "a webhook secret leaked"; fi
done
echo "ok: no secret in outputs"

# an analyst's review is a new version the SOAR receives
aid=$(jlines queued.jsonl '[r["alert_id"] for r in rows if r["target"] == "soar"][0]')
idw_c alerts ack "$aid" --note "looking into it" > /dev/null
idw_c outbox deliver > review.out 2>&1
grep -q "delivered [1-9]" review.out || { cat review.out; fail "review delivered"; }
expect_eq "$(tail -n 1 "$WORK/soar/requests.jsonl" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["body"]["status"], r["body"]["history"][-1]["note"])')" "acknowledged looking into it" "the review reached the SOAR"
# at the receiver, every alert's accepted versions strictly increase, the review's included (SOARs
# de-duplicate on alert_id:version: a version that failed to move would be taken for a repeat)
expect_eq "$(jlines "$WORK/soar/requests.jsonl" 'all(all(a < b for a, b in zip(v, v[1:])) for v in ([r["version"] for r in rows if r.get("status") == 200 and r.get("alert_id") == i] for i in {r.get("alert_id") for r in rows}))')" True "versions strictly increasing at the receiver"
