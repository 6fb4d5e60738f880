# Rate-limit starvation under a worker (docs/scale-out.md): another client drains the org's
# System Log bucket (the simulator answers every log request 429 for a while).  `run` raises
# connector_starved itself; a worker puts a "starved" command in the partition's stream, so
# every applier raises the same alert at the same time.  Asserted: the alert (high, T1562,
# org:acme) in the partition's database and in the provider-wide view (`cluster alerts`),
# the notice in the stream, and a second database rebuilt from the stream alone (no Okta)
# holding the same alert at the same time.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
W=""
trap 'set +e; [ -n "${W:-}" ] && kill -9 "$W" 2>/dev/null; sim_stop "$WORK/sim"; nats_cluster_stop' EXIT

"$TOOLS/gen-events" --users 6 --days 2 --seed 34 --out events.jsonl > /dev/null 2>&1
echo "ssws-starve-token" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
nats_cluster_start
nats_list=$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')
# starvation_alert_minutes 0.05 = 3 s (fractions are accepted for tests)
cat > cfg.json <<JSON
{"cluster": {"partitions": 2, "nats": [$nats_list]},
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 5,
           "page_limit": 200, "max_consecutive_failures": 2, "starvation_alert_minutes": 0.05}]}
JSON
p=$(python3 -c '
h = 2166136261
for b in b"acme": h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 2)')

sim_ctl fault '{"type":"compete","seconds":9,"reset_in":1}' > /dev/null
"$IDWATCH" --config cfg.json --db "$WORK/w" worker --slot "$p" --slots 2 > worker.out 2>&1 &
W=$!
starved() {
    "$IDWATCH" --db "$1" alerts list --json 2>/dev/null | python3 -c '
import json, sys
print([(a["severity"], a["entity"], a["mitre"], a["first_seen_ms"]) for a in map(json.loads, sys.stdin)
       if a["rule"] == "connector_starved"])'
}
i=0
until [ "$(starved "$WORK/w/cluster/p$p")" != "[]" ]; do
    i=$((i + 1)); [ $i -lt 200 ] || { cat worker.out; fail "no connector_starved alert from the worker"; }
    sleep 0.1
done
got=$(starved "$WORK/w/cluster/p$p")
expect_eq "$(echo "$got" | python3 -c 'import ast,sys; print([r[:3] for r in ast.literal_eval(sys.stdin.read())])')" \
    "[('high', 'org:acme', ['T1562'])]" "connector_starved raised by the worker"
kill -TERM "$W"; wait "$W" 2>/dev/null || true; W=""

"$IDWATCH" --config cfg.json cluster alerts --json > view.jsonl || fail "cluster alerts"
expect_eq "$(jlines view.jsonl '[a["entity"] for a in rows if a["rule"] == "connector_starved"]')" "['org:acme']" \
    "connector_starved in the provider-wide view"

# rebuilt from the stream alone: the same alert, the same time
python3 - <<'PY'
import json
c = json.load(open("cfg.json"))
for o in c["orgs"]:
    for k in ("org_url", "auth", "ca_file", "custom_domain"):
        del o[k]
json.dump(c, open("replay.json", "w"))
PY
"$IDWATCH" --config replay.json --db "$WORK/r" worker --slot "$p" --slots 2 --once > /dev/null 2> replay.err ||
    { cat replay.err; fail "replay"; }
expect_eq "$(starved "$WORK/r/cluster/p$p")" "$(starved "$WORK/w/cluster/p$p")" \
    "the alert rebuilt from the stream (same time)"
