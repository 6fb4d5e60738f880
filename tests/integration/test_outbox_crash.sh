# Webhook deliveries are leased and recorded one by one: two `outbox
# deliver` passes at once never send the same version twice, and killing a
# pass with SIGKILL while the SOAR is slow resends at most the one delivery
# that was in flight.  Every queued version arrives in the end.
. "$ROOT/tests/soar_sim/soar_lib.sh"
soar_secret secret
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/certs" > /dev/null
cfg() {   # cfg DB: a configuration delivering to the receiver on $PORT
    cat <<JSON
{"db": "$1", "rules_dir": "$ROOT/rules",
 "webhooks": [{"name": "soar", "url": "https://127.0.0.1:$PORT/hooks/idwatch", "secret_file": "$WORK/secret",
    "ca_file": "$WORK/certs/ca.pem", "min_severity": "medium", "timeout_s": 5,
    "retry_base_s": 0.05, "retry_cap_s": 0.2}]}
JSON
}
# twenty users brute-forced from a foreign network, each ending in a success: twenty critical alerts
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
n = 0
def ev(user, t, outcome="SUCCESS", asn=5466, ip="86.40.1.1"):
    global n
    n += 1
    return {"uuid": "oc-%05d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "eventType": "user.session.start",
            "actor": {"id": "00u" + user, "type": "User", "alternateId": user + "@acme.example"},
            "client": {"ipAddress": ip}, "securityContext": {"asNumber": asn},
            "outcome": {"result": outcome, "reason": None if outcome == "SUCCESS" else "INVALID_CREDENTIALS"}}
M = datetime.timedelta(minutes=1); D = datetime.timedelta(days=1)
users = ["user%02d" % i for i in range(20)]
out = [ev(u, T0 + d * D) for u in users for d in range(12)]
for k, u in enumerate(users):
    A = T0 + 12 * D + k * 30 * M
    out += [ev(u, A + i * M, "FAILURE", asn=64777, ip="198.51.100.%d" % (100 + k)) for i in range(12)]
    out.append(ev(u, A + 15 * M, asn=64777, ip="198.51.100.%d" % (100 + k)))
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
cfg "$WORK/db" > seed.json
"$IDWATCH" --config seed.json ingest --file scen.jsonl > /dev/null 2>&1 || true
"$IDWATCH" --config seed.json alerts list --json > alerts.jsonl
expected=$(jlines alerts.jsonl 'len([r for r in rows if r["severity"] in ("medium", "high", "critical")])')
[ "$expected" -ge 15 ] || fail "expected at least 15 alerts to deliver, got $expected"
jlines alerts.jsonl 'sorted("%s:%d" % (r["alert_id"], r["version"]) for r in rows if r["severity"] in ("medium", "high", "critical"))' > want-keys.txt

# --- two passes at once: no version is sent twice
cp -r "$WORK/db" "$WORK/db-two"
cfg "$WORK/db-two" > two.json
soar_start "$WORK/rx1" --port "$PORT" --secret-file "$WORK/secret"
soar_ctl fault '{"delay_s": 0.15, "count": -1}' > /dev/null
"$IDWATCH" --config two.json outbox deliver > two-a.out 2>&1 &
a=$!
"$IDWATCH" --config two.json outbox deliver > two-b.out 2>&1 &
b=$!
wait $a; wait $b
# whatever the two left (an entry leased by the other), a last pass finishes
"$IDWATCH" --config two.json outbox deliver > two-c.out 2>&1
expect_eq "$(soar_stat 'j["accepted"]')" "$expected" "every alert delivered by the two passes"
expect_eq "$(soar_stat 'j["duplicates"]')" 0 "no version sent twice by concurrent passes"
expect_eq "$(soar_stat 'sorted(j["keys"]) == [l for l in open("want-keys.txt").read().strip().strip("[]").replace(chr(39), "").split(", ")]')" True "the keys received"
soar_stop "$WORK/rx1"

# --- SIGKILL while the SOAR is slow, again and again
cp -r "$WORK/db" "$WORK/db-kill"
cfg "$WORK/db-kill" > kill.json
soar_start "$WORK/rx2" --port "$PORT" --secret-file "$WORK/secret"
soar_ctl fault '{"delay_s": 0.3, "count": -1}' > /dev/null
kills=0; i=0
while [ $i -lt 60 ]; do
    i=$((i + 1))
    "$IDWATCH" --config kill.json outbox list --json > left.jsonl
    [ "$(jlines left.jsonl 'len(rows)')" = 0 ] && break
    "$IDWATCH" --config kill.json outbox deliver > /dev/null 2>&1 &
    pid=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.1, 0.9), 2))')"
    if kill -9 "$pid" 2> /dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2> /dev/null || true
done
echo "kills: $kills, passes: $i"
[ "$kills" -ge 5 ] || fail "too few kills landed mid-pass ($kills)"
expect_eq "$(jlines left.jsonl 'len(rows)')" 0 "outbox drained"
expect_eq "$(soar_stat 'len(set(j["keys"]))')" "$expected" "every version received"
dups=$(soar_stat 'j["duplicates"]')
expect_eq "$(soar_stat 'j["out_of_order"]')" 0 "no version after a newer one"
echo "duplicates: $dups after $kills kills"
[ "$dups" -le "$kills" ] || fail "duplicates ($dups) exceed kills ($kills)"
soar_stop "$WORK/rx2"
echo "outbox crash: ok"
