# The daemon end to end: `run` polls the simulated Okta org over HTTPS,
# raises alerts and delivers them to the simulated SOAR while live; the
# latency from the attack's page to the receiver's 200 is measured; the
# loopback metrics endpoint answers; SIGTERM during a stalled poll stops
# cleanly, and a restart loses nothing and delivers nothing twice.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
# the org's history ends yesterday: what the daemon's first poll pulls is historical (alerts kept,
# not delivered); the attacks below are published after it started, so they are live
"$TOOLS/gen-events" --users 20 --days 16 --start "$(date -u -d '-17 days' +%Y-%m-%d)" --seed 21 --out events.jsonl
echo "ssws-e2e-token" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
OKTA_URL=$SIM_URL
soar_secret secret
soar_start "$WORK/soar" --secret-file "$WORK/secret"
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules", "metrics": {"listen": "127.0.0.1:$MPORT"},
 "orgs": [{"domain_id": "acme", "org_url": "$OKTA_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 5}],
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "high", "retry_base_s": 0.2, "retry_cap_s": 2}]}
JSON
# attack USER_INDEX TAG: 12 failures from a foreign network then a success (brute_force, critical)
attack() {
    python3 - "$1" "$2" <<'PY' > attack.json
import sys
from oktaev import *
evs = [json.loads(l) for l in open("events.jsonl")]
users = sorted({(e["actor"]["id"], e["actor"]["alternateId"]) for e in evs
                if e["eventType"] == "user.session.start" and e["actor"].get("type") == "User"})
uid, login = users[int(sys.argv[1])]
t0 = now()                          # published now: after the daemon's first poll
dump_inject([signin(person(login, uid), t0 + i * S, net("198.51.100.99", 64777), "SUCCESS" if i == 12 else "FAILURE",
                    "INVALID_CREDENTIALS", uuid="e2e-%s-%d" % (sys.argv[2], i)) for i in range(13)])
PY
}
status_field() { "$IDWATCH" --config cfg.json status --json 2>/dev/null | python3 -c "import json,sys
try: j=json.load(sys.stdin); print($1)
except Exception: print(0)"; }

"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
pid=$!
mkdir -p "$WORK/daemon"; echo $pid > "$WORK/daemon/pid"     # stopped by the exit trap if a check fails
last=$(python3 -c 'import json; print(max(json.loads(l)["published"] for l in open("events.jsonl"))[:19])')
i=0; until [ "$(status_field 'j["orgs"][0]["last_event_published"][:19]')" = "$last" ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat daemon.out; fail "background not ingested"; }; sleep 0.1; done
base=$(soar_stat 'j["accepted"]')

# 1. an attack while the daemon is live: alerted and delivered; latency measured from the page
attack 0 a
sim_ctl inject "$(cat attack.json)" > /dev/null
soar_wait "j['accepted'] > $base" 15
sim_ctl stats > sim_stats.json
python3 - sim_stats.json "$WORK/soar/requests.jsonl" <<'PY' > latency.txt
import json, sys
served = json.load(open(sys.argv[1]))["first_served_at"]
fetched = min(t for u, t in served.items() if u.startswith("e2e-a-"))
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
accepted = min(r["time_unix"] for r in rows if r.get("status") == 200 and r["body"]["rule"] == "brute_force")
print("%.3f" % (accepted - fetched))
PY
echo "page fetched to alert accepted by the receiver: $(cat latency.txt) s"
python3 -c "import sys; sys.exit(0 if float(open('latency.txt').read()) < 3 else 1)" || fail "delivery too slow"
grep -q '"msg":"delivered alert' daemon.out || fail "delivery logged"

# 2. the metrics endpoint, loopback only
curl -sS "http://127.0.0.1:$MPORT/metrics" > metrics.txt
grep -q '^idwatch_deliveries_total{outcome="ok"} [1-9]' metrics.txt || { cat metrics.txt; fail "metrics: deliveries"; }
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing-here")" 404 "unknown paths"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")" 405 "only GET is served"
grep -q '^idwatch_events_ingested_total{org="acme"} [1-9]' metrics.txt || fail "metrics: events"
grep -q '^idwatch_alerts{rule="brute_force",severity="critical"} 1' metrics.txt || fail "metrics: alerts"

# 2b. the API on the same server (metrics.listen still names it): an analyst's review through the daemon
# is a new version the daemon delivers at once (woken by the review, not at its next poll 5 s later)
"$IDWATCH" --config cfg.json api-token create --name soar --role analyst > api.tok 2>/dev/null
AID=$("$IDWATCH" --config cfg.json alerts list --json --rule brute_force | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["alert_id"])')
V=$(curl -sS -H "Authorization: Bearer $(cat api.tok)" "http://127.0.0.1:$MPORT/api/v1/alerts/$AID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
expect_eq "$(curl -s -o review.json -w '%{http_code}' -H "Authorization: Bearer $(cat api.tok)" \
             -d '{"status":"acknowledged","note":"via the API"}' "http://127.0.0.1:$MPORT/api/v1/alerts/$AID/review")" 200 "API review"
expect_eq "$(jget review.json '(j["version"], j["history"][-1]["by"])')" "($((V + 1)), 'api:soar')" "API review version"
soar_wait "$((V + 1)) in j['alerts'].get('$AID', [])" 2

# 3. SIGTERM while a poll is stalled: clean stop; the attack injected meanwhile arrives after a restart
attack 1 b
sim_ctl fault '{"type": "stall", "seconds": 2, "count": 1}' > /dev/null
sim_ctl inject "$(cat attack.json)" > /dev/null
sleep 5.5      # the daemon is inside the stalled request now (poll_interval_s = 5)
kill -TERM $pid; wait $pid; rc=$?
rm -f "$WORK/daemon/pid"
expect_eq "$rc" 0 "clean stop"
"$IDWATCH" --config cfg.json run --once > once.out 2>&1 || { cat once.out; fail "run --once"; }
expect_eq "$(status_field 'j["outbox"]["pending"]')" 0 "outbox drained by run --once"
soar_ctl stats > stats.json
expect_eq "$(jget stats.json 'j["rejected"]')" 0 "signatures verified"
expect_eq "$(jget stats.json 'j["duplicates"]')" 0 "nothing delivered twice"
versions_increase "$WORK/soar/requests.jsonl"
expect_eq "$(grep -c '"rule":"brute_force"' "$WORK/soar/requests.jsonl" | tr -d ' ' | python3 -c 'import sys; print(int(sys.stdin.read()) >= 2)')" True "both attacks delivered"
# every stored alert version at high+ reached the receiver
"$IDWATCH" --config cfg.json alerts list --json > alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted("%s:%d" % (r["alert_id"], r["version"]) for r in rows if r["severity"] in ("high", "critical") and not r["historical"])' )" \
          "$(jget stats.json 'sorted(k for k in j["keys"] if k.split(":")[1] == max((x for x in j["keys"] if x.split(":")[0] == k.split(":")[0]), key=lambda x: int(x.split(":")[1])).split(":")[1])')" \
          "the newest version of every alert delivered"
# no event lost or counted twice
"$IDWATCH" --config cfg.json status --json > status.json
expect_eq "$(jget status.json 'j["orgs"][0]["events_ingested"] + j["orgs"][0]["duplicates_skipped"] >= 26')" True "events accounted"
