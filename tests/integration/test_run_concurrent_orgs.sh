# Orgs are polled concurrently: while one org's System Log stalls every
# request, another org's new events are still ingested within its poll
# interval; SIGTERM during the stall stops the daemon at once (the stalled
# request is abandoned, its cursor unmoved), and a restart catches up.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 6 --days 3 --start "$(date -u -d '-4 days' +%Y-%m-%d)" --seed 41 --org slow --out a.jsonl
"$TOOLS/gen-events" --users 6 --days 3 --start "$(date -u -d '-4 days' +%Y-%m-%d)" --seed 42 --org quick --out b.jsonl
echo "slow-token" > ta; echo "quick-token" > tb; chmod 600 ta tb
sim_start "$WORK/simA" --events a.jsonl --release all --ssws-token-file ta
urlA=$SIM_URL
sim_start "$WORK/simB" --events b.jsonl --release all --ssws-token-file tb
urlB=$SIM_URL
cat > cfg.json <<JSON
{"db": "$WORK/db", "orgs": [
  {"domain_id": "slow", "org_url": "$urlA", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
   "auth": {"method": "ssws", "token_file": "$WORK/ta"}, "poll_interval_s": 5, "timeout_s": 60},
  {"domain_id": "quick", "org_url": "$urlB", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
   "auth": {"method": "ssws", "token_file": "$WORK/tb"}, "poll_interval_s": 5, "timeout_s": 60}]}
JSON
ingested() { "$IDWATCH" --config cfg.json status --json 2>/dev/null | python3 -c "import json,sys
try: print([o['events_ingested'] for o in json.load(sys.stdin)['orgs'] if o['domain_id'] == '$1'][0])
except Exception: print(0)"; }

"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
pid=$!
mkdir -p "$WORK/daemon"; echo $pid > "$WORK/daemon/pid"
i=0; until [ "$(ingested slow)" -gt 0 ] && [ "$(ingested quick)" -gt 0 ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat daemon.out; fail "initial ingest"; }; sleep 0.1; done
slow0=$(ingested slow)
# from now on every request to the slow org hangs for 14 s
SIM_URL=$urlA sim_ctl fault '{"type": "stall", "seconds": 14, "count": 50}' > /dev/null
sleep 6       # the slow org's next poll is stuck now
quick0=$(ingested quick)
python3 - <<'PY' > inject.json
from oktaev import *
t = now()
dump_inject([signin(person("q1@quick.example", "00uQUICK1"), t - (5 - i) * S, net("198.51.100.20"), uuid="quick-live-%d" % i)
             for i in range(5)])
PY
t0=$(date +%s)
SIM_URL=$urlB sim_ctl inject "$(cat inject.json)" > /dev/null
i=0; until [ "$(ingested quick)" -ge $((quick0 + 5)) ]; do
    i=$((i + 1)); [ $i -lt 150 ] || { cat daemon.out; fail "the quick org waited behind the stalled one"; }; sleep 0.1; done
took=$(( $(date +%s) - t0 ))
echo "the quick org's new events were ingested after ${took} s while the slow org stalled"
[ "$took" -le 7 ] || fail "the quick org was not polled within its interval ($took s)"
expect_eq "$(ingested slow)" "$slow0" "the stalled org ingested nothing meanwhile"

# SIGTERM while the slow org's request hangs: the daemon stops at once
t0=$(date +%s)
kill -TERM $pid; wait $pid; rc=$?
rm -f "$WORK/daemon/pid"
expect_eq "$rc" 0 "clean stop"
[ $(( $(date +%s) - t0 )) -le 3 ] || fail "the stop waited for the stalled request"
SIM_URL=$urlA sim_ctl clear-faults > /dev/null
"$IDWATCH" --config cfg.json run --once > once.out 2>&1 || { cat once.out; fail "run --once"; }
"$IDWATCH" --db ref-a ingest --file a.jsonl --domain slow --json > ref-a.json
expect_eq "$(ingested slow)" "$(jget ref-a.json 'j["accepted"]')" "the slow org caught up after the restart"
echo "concurrent orgs: ok"
