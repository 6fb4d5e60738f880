# Historical is decided by event time, not by the command: an attack
# published while a long backfill is still running is live, and its alert
# reaches the SOAR; the alerts on the history the backfill pulled do not.
# `run` on an org with no state performs that first backfill itself
# (progress in the log, history marked historical), then goes live.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
"$TOOLS/gen-events" --users 40 --days 20 --start "$(date -u -d '-21 days' +%Y-%m-%d)" --seed 5 --attacks \
    --labels labels.jsonl --out events.jsonl 2> gen.err
echo "ssws-backfill-live" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
soar_secret secret
soar_start "$WORK/soar" --secret-file "$WORK/secret"
cfg() {   # cfg DB
    cat <<JSON
{"db": "$1", "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 10,
           "page_limit": 100, "backfill_days": 30}],
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "medium"}]}
JSON
}
cfg "$WORK/db" > cfg.json
cfg "$WORK/db2" > cfg2.json


# a brute force on a real user, published just now: after the backfill began ($1), before this moment
make_attack() {
    python3 - "$1" <<'PY' > attack.json
import sys, time
from oktaev import *
evs = [json.loads(l) for l in open("events.jsonl")]
uid, login = sorted({(e["actor"]["id"], e["actor"]["alternateId"]) for e in evs
                     if e["eventType"] == "user.session.start" and e["actor"].get("type") == "User"})[3]
t0 = max(time.time() - 1.4, float(sys.argv[1]) + 0.05)
dump_inject([signin(person(login, uid), t0 + 0.1 * i, net("198.51.100.99", 64777), "SUCCESS" if i == 12 else "FAILURE",
                    "INVALID_CREDENTIALS", uuid="live-%d" % i) for i in range(13)])
open("victim.txt", "w").write(login)
PY
}
# 1. the backfill runs slowly (stalled pages); the attack arrives in the middle of it
sim_ctl fault '{"type": "stall", "seconds": 1, "count": 4}' > /dev/null
started=$(date +%s.%N)
"$IDWATCH" --config cfg.json backfill --days 30 > backfill.out 2>&1 &
bf=$!
i=0
until [ "$("$IDWATCH" --config cfg.json status --json 2>/dev/null | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["orgs"][0]["pages"])
except Exception: print(0)')" -ge 2 ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat backfill.out; fail "backfill made no progress"; }; sleep 0.1
done
make_attack "$started"
kill -0 $bf 2> /dev/null || fail "the backfill ended before the attack could arrive during it"
sim_ctl inject "$(cat attack.json)" > /dev/null
wait $bf || { cat backfill.out; fail "backfill"; }
"$IDWATCH" --config cfg.json run --once > once.out 2>&1 || { cat once.out; fail "run --once"; }

"$IDWATCH" --config cfg.json alerts list --json > alerts.jsonl
hist=$(jlines alerts.jsonl 'len([r for r in rows if r["historical"] and r["severity"] in ("medium", "high", "critical")])')
live=$(jlines alerts.jsonl 'len([r for r in rows if not r["historical"] and r["severity"] in ("medium", "high", "critical")])')
echo "medium+ alerts: $hist historical, $live live"
[ "$hist" -ge 3 ] || fail "expected the history's attacks to raise historical alerts ($hist)"
expect_eq "$(jlines alerts.jsonl 'any(not r["historical"] and r["rule"] == "brute_force" and r["user"] == open("victim.txt").read() for r in rows)')" \
    True "the attack during the backfill is live"
soar_ctl stats > stats.json
expect_eq "$(jget stats.json 'j["rejected"]')" 0 "signatures verified"
expect_eq "$(python3 - <<'PY'
import json
alerts = {r["alert_id"]: r for r in map(json.loads, open("alerts.jsonl"))}
keys = json.load(open("stats.json"))["keys"]
got = {k.split(":")[0] for k in keys}
want = {a for a, r in alerts.items() if not r["historical"] and r["severity"] in ("medium", "high", "critical")}
print(got == want and all(not alerts[a]["historical"] for a in got))
PY
)" True "every live medium+ alert delivered, no historical one"

# 2. `run` on an org with no state does the first backfill itself, then goes live
"$IDWATCH" --config cfg2.json run --once > run2.out 2>&1 || { cat run2.out; fail "run --once (first backfill)"; }
grep -q 'first poll: pulling 30 days of history' run2.out || { cat run2.out; fail "first backfill not logged"; }
grep -q 'backfill caught up' run2.out || fail "first backfill's end not logged"
"$IDWATCH" --config cfg2.json status --json > st2.json
expect_eq "$(jget st2.json 'j["orgs"][0]["events_ingested"]')" "$("$IDWATCH" --config cfg.json status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["orgs"][0]["events_ingested"])')" \
    "the same events as backfill + run"
"$IDWATCH" --config cfg2.json alerts list --json > alerts2.jsonl
expect_eq "$(jlines alerts2.jsonl 'all(r["historical"] for r in rows) and len(rows) > 0')" True \
    "everything published before run's first poll is historical"
echo "backfill live: ok"
