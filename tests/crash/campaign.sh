#!/bin/sh
# Crash campaign: `idwatch run` polls a simulated Okta org that misbehaves
# (5xx bursts, 429s, stalls, resets, truncated and malformed bodies,
# duplicated pages) and delivers to a slow simulated SOAR, and is killed
# with SIGKILL at random moments, CRASH_KILLS times, restarted each time.
# The org's events are released a slice at a time, so every restart has
# pages to fetch and alerts to deliver.  Then the faults stop and `run
# --once` / `outbox deliver` finish the work, and the result is compared
# with an uninterrupted reference: the same events file ingested into a
# separate database with the same configuration (everything is event time,
# so file replay and polling build the same state):
#
#   - personas byte-identical;
#   - alerts identical, whole documents (id, rule, version, severity,
#     score, event ids and count, first/last seen, evidence...);
#   - every alert's newest version was accepted by the SOAR, every key it
#     accepted is a real version of a real alert (and that version's body
#     is a state the alert went through), nothing arrived out of order, and
#     the receiver saw at most one duplicate per kill that landed during a
#     delivery (a lease of the killed process was left in the outbox).
#
# Intermediate versions are not compared: a version still queued when a
# newer one is written is dropped as superseded, so which intermediate
# versions are sent depends on timing (docs/reliability.md).
#
# Environment (defaults in brackets):
#   IDWATCH [build/idwatch]  TOOLS [build/tools]
#   WORK [a new temp dir, removed on success unless CRASH_KEEP is set]
#   CRASH_KILLS [100]        how many SIGKILLs
#   CRASH_USERS [60] CRASH_DAYS [30] CRASH_SEED [7]   the generated org
#   CRASH_MIN_MS [150] CRASH_MAX_MS [2500]            a run lives this long before its kill
#   CRASH_PAGE_LIMIT [40]    events per System Log page (each page is a commit)
#   CRASH_MIN_IN_DELIVERY [3 from 50 kills, else 0]   kills that must land during a delivery
# Exits non-zero on the first failed check; prints "crash campaign: ok" and
# the figures otherwise.  `make crashtest` runs it; the default suite runs
# a short version (tests/integration/test_crash_campaign.sh).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IDWATCH=$(cd "$(dirname "${IDWATCH:-build/idwatch}")" && pwd)/$(basename "${IDWATCH:-build/idwatch}")
TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
KILLS=${CRASH_KILLS:-100}
USERS=${CRASH_USERS:-60}
DAYS=${CRASH_DAYS:-30}
SEED=${CRASH_SEED:-7}
MIN_MS=${CRASH_MIN_MS:-150}
MAX_MS=${CRASH_MAX_MS:-2500}
PAGE=${CRASH_PAGE_LIMIT:-40}
# a long campaign must have killed some runs in the middle of a delivery
MIN_IN_DELIVERY=${CRASH_MIN_IN_DELIVERY:-$(( KILLS >= 50 ? 3 : 0 ))}
own_work=
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/idwatch-crash.XXXXXX")
    own_work=1
    echo "scratch: $WORK (removed on success unless CRASH_KEEP is set)"
fi
export ROOT IDWATCH TOOLS WORK
cd "$WORK"
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
# both libraries set an EXIT trap; this one stops the daemon, the org and the receiver
trap 'for d in "$WORK"/daemon "$WORK"/sim "$WORK"/soar; do
          [ -f "$d/pid" ] && { kill -9 "$(cat "$d/pid")" 2>/dev/null || true; wait "$(cat "$d/pid")" 2>/dev/null || true; }
      done; true' EXIT
t_start=$(date +%s)

# ---- the org, the receiver, the configuration --------------------------------
"$TOOLS/gen-events" --users "$USERS" --days "$DAYS" --seed "$SEED" --attacks --out events.jsonl 2> gen.err
total=$(wc -l < events.jsonl | tr -d ' ')
echo "crash-campaign-token" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release 0 --ssws-token-file token --rate-limit 100000
soar_secret secret
soar_start "$WORK/soar" --secret-file "$WORK/secret"
# small pages (many commits), short timeouts (stalls become timeouts), quick
# retries; 6 failures in a row would pause the org: faults are spaced so that
# at most two come in a row
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 5,
           "page_limit": $PAGE, "max_consecutive_failures": 6}],
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "low", "timeout_s": 5,
               "deliver_historical": true, "retry_base_s": 0.2, "retry_cap_s": 1}]}
JSON

# One round's random choices, in one call: an Okta fault and how many normal
# answers come before it, whether the SOAR answers one 503, how slow it is,
# and how long the run lives before its kill.
round_plan() {
    python3 - "$MIN_MS" "$MAX_MS" <<'PY'
import json, random, sys
fault = random.choice([{"type": "status", "status": 503, "count": 2}, {"type": "status", "status": 500},
                       {"type": "status", "status": 502}, {"type": "status", "status": 429, "reset_in": 1},
                       {"type": "stall", "seconds": 1.5}, {"type": "stall", "seconds": 6}, {"type": "truncate"},
                       {"type": "malformed"}, {"type": "reset"}, {"type": "duplicate"}])
print(json.dumps(fault, separators=(",", ":")), random.randint(0, 8), random.random() < 0.2,
      round(random.uniform(0.3, 1.0), 2),
      random.randint(int(sys.argv[1]), int(sys.argv[2])) / 1000)
PY
}

# ---- the campaign ------------------------------------------------------------
slice=$(( (total + KILLS - 1) / KILLS ))
kills=0; in_delivery=0
while [ "$kills" -lt "$KILLS" ]; do
    set -- $(round_plan)
    sim_ctl release "{\"count\": $slice}" > /dev/null
    # a few normal answers, the fault, then a normal answer, so that at most
    # two failures come in a row (faults a killed run left are served next)
    sim_ctl fault "{\"type\":\"ok\",\"count\":$2}" > /dev/null
    sim_ctl fault "$1" > /dev/null
    sim_ctl fault '{"type":"ok"}' > /dev/null
    # the receiver: every delivery slow (one is often in flight at a kill), now and then a 503
    soar_ctl clear-faults > /dev/null
    [ "$3" = False ] || soar_ctl fault '{"status": 503, "count": 1}' > /dev/null
    soar_ctl fault "{\"delay_s\": $4, \"count\": -1}" > /dev/null
    "$IDWATCH" --config cfg.json run > "run-$kills.out" 2>&1 &
    pid=$!
    mkdir -p daemon; echo "$pid" > daemon/pid
    sleep "$5"
    kill -9 "$pid" 2> /dev/null || true
    set +e; wait "$pid" 2> /dev/null; rc=$?; set -e
    rm -f daemon/pid
    # the daemon never stops by itself: any end but SIGKILL's (128 + 9) is a failure
    [ "$rc" = 137 ] || { cat "run-$kills.out" >&2; fail "idwatch run exited by itself (exit $rc) before kill $((kills + 1))"; }
    kills=$((kills + 1))
    # a lease left by the killed process means the kill landed during a delivery
    "$IDWATCH" --config cfg.json outbox list --json > leases.jsonl
    if grep -q "\"lease_owner\":\"$pid-" leases.jsonl; then in_delivery=$((in_delivery + 1)); fi
done
t_campaign=$(date +%s)
"$IDWATCH" --config cfg.json status --json > killed.json
echo "kills: $kills ($in_delivery during a delivery); events committed before the last kill:" \
     "$(jget killed.json 'j["orgs"][0]["events_ingested"]') of $total"

# ---- finish without faults ---------------------------------------------------
sim_ctl clear-faults '{}' > /dev/null
soar_ctl clear-faults > /dev/null
sim_ctl release '{"all": true}' > /dev/null
"$IDWATCH" --db ref --config cfg.json ingest --file events.jsonl --domain acme --json > ref.json 2> ref.err \
    || { cat ref.err; fail "reference ingest"; }
# passes until caught up and drained, or until a pass changes nothing (the
# comparisons below then say what is missing)
i=0; before=
while [ $i -lt 10 ]; do
    i=$((i + 1))
    "$IDWATCH" --config cfg.json run --once > "once-$i.out" 2>&1 || { cat "once-$i.out"; fail "run --once"; }
    "$IDWATCH" --config cfg.json outbox deliver > "deliver-$i.out" 2>&1 || { cat "deliver-$i.out"; fail "outbox deliver"; }
    "$IDWATCH" --config cfg.json status --json > final.json
    now=$(jget final.json '"%d %d %d" % (j["orgs"][0]["events_ingested"], j["outbox"]["pending"], j["outbox"]["dead"])')
    [ "$now" = "$(jget ref.json 'j["accepted"]') 0 0" ] || [ "$now" = "$before" ] && break
    before=$now
done
echo "finished after $i pass(es) of run --once"

# ---- compare -----------------------------------------------------------------
expect_eq "$(jget final.json 'j["orgs"][0]["events_ingested"]')" "$(jget ref.json 'j["accepted"]')" "events ingested once"
expect_eq "$(jget final.json 'j["outbox"]["pending"] + j["outbox"]["dead"]')" 0 "outbox drained (pending + dead)"
expect_eq "$(jget final.json 'j["orgs"][0]["paused"]')" False "org not paused"
dump_personas "$WORK/db" acme > polled.dump
dump_personas "$WORK/ref" acme > ref.dump
[ -s ref.dump ] || fail "no personas in the reference"
cmp -s polled.dump ref.dump || { diff polled.dump ref.dump | head -20; fail "personas differ from the uninterrupted reference"; }
echo "ok: $("$IDWATCH" --db ref persona list --json | grep -c '') personas identical to the reference"
"$IDWATCH" --config cfg.json alerts list --json > alerts.jsonl
"$IDWATCH" --db ref --config cfg.json alerts list --json > ref-alerts.jsonl
soar_ctl stats > soar-stats.json
python3 "$ROOT/tests/crash/compare.py" alerts.jsonl ref-alerts.jsonl "$WORK/soar/requests.jsonl" \
    soar-stats.json "$kills" "$in_delivery"
# the faults were felt: failures retried, duplicated pages absorbed, kills during deliveries
sim_ctl stats > sim-stats.json
echo "Okta answers: $(jget sim-stats.json '", ".join("%s x%d" % kv for kv in sorted(j["status_counts"].items()))');" \
     "faults served: $(jget sim-stats.json '", ".join("%s x%d" % kv for kv in sorted(j.get("faults_served", {}).items())) or "none"');" \
     "recorded by idwatch: $(jget final.json '"%d failures retried, %d 429s, %d duplicate events skipped" % (
        j["orgs"][0]["failures_total"], j["orgs"][0]["http_429"], j["orgs"][0]["duplicates_skipped"])')"
# a failure is counted in the commit after it, so a run killed right after a faulty answer loses
# the count with its uncommitted state (by design): the simulator's own answers say the fault landed —
# any fault it served, the 200s with a broken, stalled or duplicated body and the resets included
# (counting only non-200 statuses missed a campaign whose faults were all of those: 0.6^10)
served_faults=$(jget sim-stats.json 'sum(j.get("faults_served", {}).values())')
[ "$(jget final.json 'j["orgs"][0]["failures_total"]')" -ge 1 ] || [ "$served_faults" -ge 1 ] ||
    fail "no Okta failure was served or retried: the faults did not land"
[ "$in_delivery" -ge "$MIN_IN_DELIVERY" ] || fail "only $in_delivery kills landed during a delivery (at least $MIN_IN_DELIVERY wanted)"
echo "crash campaign: ok — $kills kills ($in_delivery during a delivery), $total events," \
     "$(grep -c '' alerts.jsonl) alerts; campaign $((t_campaign - t_start)) s, total $(( $(date +%s) - t_start )) s"
if [ -n "$own_work" ] && [ -z "${CRASH_KEEP:-}" ]; then cd / && rm -rf "$WORK"; fi
