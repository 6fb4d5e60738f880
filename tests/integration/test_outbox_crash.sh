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
from oktaev import *
OFFICE = net("86.40.1.1", 5466)
users = [person("user%02d" % i) for i in range(20)]
out = [signin(u, BASE + d * D, OFFICE) for u in users for d in range(12)]
for k, u in enumerate(users):
    A, FOREIGN = BASE + 12 * D + k * 30 * M, net("198.51.100.%d" % (100 + k), 64777)
    out += [signin(u, A + i * M, FOREIGN, "FAILURE") for i in range(12)]
    out.append(signin(u, A + 15 * M, FOREIGN))
dump_jsonl(out)
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
versions_increase "$WORK/rx1/requests.jsonl"
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
versions_increase "$WORK/rx2/requests.jsonl" resends
echo "duplicates: $dups after $kills kills"
[ "$dups" -le "$kills" ] || fail "duplicates ($dups) exceed kills ($kills)"
soar_stop "$WORK/rx2"
echo "outbox crash: ok"
