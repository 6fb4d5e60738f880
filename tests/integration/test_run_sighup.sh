# SIGHUP reloads the rules of a running daemon between pages: a rule turned
# off stops alerting, turned on again with a new threshold alerts by it, and
# a broken rule file is reported while the running rules stay in force.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 12 --days 16 --start "$(date -u -d '-17 days' +%Y-%m-%d)" --seed 5 --out events.jsonl
echo "ssws-hup-token" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
mkdir rules
cp "$ROOT"/rules/*.json rules/
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$WORK/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 5}]}
JSON
# burst USER_INDEX TAG: 8 failed sign-ins of a known user from a foreign network, after every event so far
burst() {
    python3 - "$1" "$2" <<'PY' > burst.json
import sys
from oktaev import *
evs = [json.loads(l) for l in open("events.jsonl")]
users = sorted({(e["actor"]["id"], e["actor"]["alternateId"]) for e in evs
                if e["eventType"] == "user.session.start" and e["actor"].get("type") == "User"})
uid, login = users[int(sys.argv[1])]
t0 = now() - 8 * S                  # live: after the daemon's first poll
dump_inject([signin(person(login, uid), t0 + i * S, net("198.51.100.77", 64777), "FAILURE", uuid="hup-%s-%d" % (sys.argv[2], i))
             for i in range(8)])
print(login, file=sys.stderr)
PY
}
accepted() { "$IDWATCH" --config cfg.json status --json 2>/dev/null | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["orgs"][0]["events_ingested"])
except Exception: print(0)'; }
wait_accepted() {   # wait until N more events were accepted than $1
    i=0; while [ "$(accepted)" -lt "$1" ]; do i=$((i + 1)); [ $i -lt 300 ] || fail "events not ingested"; sleep 0.1; done
}
wait_log() {
    i=0; while ! grep -q "$1" daemon.out; do i=$((i + 1)); [ $i -lt 100 ] || { cat daemon.out; fail "no log '$1'"; }; sleep 0.1; done
}
bf_alerts() { "$IDWATCH" --config cfg.json alerts list --rule brute_force --json | jlines /dev/stdin 'len(rows)'; }

"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
pid=$!
mkdir -p "$WORK/daemon"; echo $pid > "$WORK/daemon/pid"     # stopped by the exit trap if a check fails
last=$(python3 -c 'import json; print(max(json.loads(l)["published"] for l in open("events.jsonl"))[:19])')
i=0; until "$IDWATCH" --config cfg.json status --json 2>/dev/null | grep -q "\"last_event_published\": \"$last"; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "background not ingested"; sleep 0.1; done
expect_eq "$(bf_alerts)" 0 "no brute force in the background"

# 1. brute_force off: a burst goes unalerted
python3 -c 'import json; c=json.load(open("rules/brute_force.json")); c["enabled"]=False; json.dump(c, open("rules/brute_force.json","w"))'
kill -HUP $pid; wait_log "rules reloaded"
n=$(accepted); burst 0 a 2>/dev/null; sim_ctl inject "$(cat burst.json)" > /dev/null
wait_accepted $((n + 8))
expect_eq "$(bf_alerts)" 0 "rule off after SIGHUP: no alert"

# 2. on again, with min_failures 5: the next burst alerts
python3 -c 'import json; c=json.load(open("rules/brute_force.json")); c["enabled"]=True; c["min_failures"]=5; json.dump(c, open("rules/brute_force.json","w"))'
kill -HUP $pid
i=0; while [ "$(grep -c 'rules reloaded' daemon.out)" -lt 2 ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "second reload"; sleep 0.1; done
n=$(accepted); burst 1 b 2>/dev/null; sim_ctl inject "$(cat burst.json)" > /dev/null
wait_accepted $((n + 8))
expect_eq "$(bf_alerts)" 1 "rule on after SIGHUP: alert"
"$IDWATCH" --config cfg.json metrics > m1.txt
grep -q '^idwatch_config_last_reload_successful 1$' m1.txt || fail "metrics: reload success"
grep -q '^idwatch_build_info{version="[0-9.]*"} 1$' m1.txt || fail "metrics: build_info"
grep -q '^idwatch_alerts_raised_total{rule="brute_force",severity="[a-z]*"} 1$' m1.txt || fail "metrics: alerts raised"
grep -q '"msg":"alert raised: [a-z]* brute_force for ' daemon.out || fail "the daemon did not log the alert raised"

# 3. a broken file: reported, the daemon keeps running on the rules it has
echo '{"enabled": true, "min_failures": ' > rules/brute_force.json
kill -HUP $pid; wait_log "rules not reloaded"
grep -q "brute_force.json" daemon.out || fail "the error names the file"
kill -0 $pid || fail "daemon died on a bad rule file"
"$IDWATCH" --config cfg.json metrics | grep -q '^idwatch_config_last_reload_successful 0$' || fail "metrics: reload failure"
n=$(accepted); burst 2 c 2>/dev/null; sim_ctl inject "$(cat burst.json)" > /dev/null
wait_accepted $((n + 8))
expect_eq "$(bf_alerts)" 2 "old rules still in force"

kill -TERM $pid; wait $pid; rc=$?
rm -f "$WORK/daemon/pid"
expect_eq "$rc" 0 "clean stop"
