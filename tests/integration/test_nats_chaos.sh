# The scale-out chaos test (issue 12, docs/scale-out.md): two workers (slots 0 and 1 of 2)
# run continuously against four simulated Okta orgs that release their events a little at
# a time and serve faults (500s, resets, a duplicated page), on a 3-node JetStream
# cluster, delivering to a simulated SOAR.  Meanwhile: workers are killed with kill -9 and
# restarted, every other time with their directory wiped (rebuilt from snapshot + stream
# when a snapshot exists, else from the stream alone); the node leading one partition's
# stream is killed -9 and restarted; for a while a second worker runs on slot 1 beside the
# first (double ownership).  Then the workers finish (--once), and a single-process `run`
# over the same orgs is the reference.  Asserted: personas byte for byte and alerts (ids,
# versions, rules, event ids, the historical mark) equal the reference's; every event
# applied once (none lost: each org's accepted count equals the reference's); the SOAR holds
# the same alerts at the same final versions as the reference's SOAR, and no key the
# reference lacks (duplicate posts are allowed: a SOAR de-duplicates on Idempotency-Key).
# CHAOS_ROUNDS (default 10) sets the length; `make soak` runs a long one.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
ROUNDS=${CHAOS_ROUNDS:-10}
W0=""; W1=""; WX=""
cleanup() {
    for p in $W0 $W1 $WX; do kill -9 "$p" 2>/dev/null || true; done
    for d in "$WORK"/sim.*/; do sim_stop "${d%/}"; done
    soar_stop "$WORK/soar"; soar_stop "$WORK/soar_ref"
    nats_cluster_stop
}
trap 'set +e; cleanup' EXIT

orgs="acme beta globex initech"
seed=60
for o in $orgs; do
    seed=$((seed + 1))
    "$TOOLS/gen-events" --users 8 --days 5 --seed $seed --attacks --org $o --out $o.jsonl > /dev/null 2>&1
    echo "$o-token" > t.$o; chmod 600 t.$o
    # (a long soak makes more requests than Okta's 1,000 an hour: pacing to half of that would
    # stretch the final catch-up to the next hour, which is not what this test is about)
    sim_start "$WORK/sim.$o" --events $o.jsonl --release $(( $(wc -l < $o.jsonl) / 4 )) --ssws-token-file t.$o \
        --hour-limit 100000
    echo "$SIM_URL" > url.$o
done
soar_secret "$WORK/secret"
soar_start "$WORK/soar" --secret-file "$WORK/secret"
SOAR_W=$SOAR_URL
soar_start "$WORK/soar_ref" --secret-file "$WORK/secret"
SOAR_REF=$SOAR_URL

nats_cluster_start
config() {     # config FILE SOAR_URL
    {
        printf '{"cluster": {"partitions": 4, "snapshot_every_s": 4, "nats": [%s]},\n' \
            "$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')"
        printf ' "webhooks": [{"name": "soar", "url": "%s", "secret_file": "%s", "ca_file": "%s",
   "deliver_historical": true, "min_severity": "low", "retry_base_s": 1, "retry_cap_s": 2}],\n "orgs": [' \
            "$2" "$WORK/secret" "$WORK/certs/ca.pem"
        sep=""
        for o in $orgs; do
            printf '%s\n  {"domain_id": "%s", "org_url": "%s", "custom_domain": true, "ca_file": "%s",
   "auth": {"method": "ssws", "token_file": "%s"}, "page_limit": 40, "poll_interval_s": 5,
   "backfill_days": 30, "timeout_s": 5}' "$sep" "$o" "$(cat url.$o)" "$WORK/certs/ca.pem" "$WORK/t.$o"
            sep=","
        done
        printf ']}\n'
    } > "$1"
}
config cfg.json "$SOAR_W"
config ref.json "$SOAR_REF"
part() { python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 4)' "$1"; }
owner() { [ $(( $(part $1) % 2 )) = 0 ] && echo w0 || echo w1; }

# start_worker SLOT DIR: in the background ($! is idwatch's own pid), log appended
start_worker() {
    "$IDWATCH" --config "$WORK/cfg.json" --db "$WORK/$2" worker --slot "$1" --slots 2 \
        >> "$WORK/$2.log" 2>&1 &
    LAST_PID=$!
}
start_worker 0 w0; W0=$LAST_PID
start_worker 1 w1; W1=$LAST_PID

kills=0; wipes=0; leader_killed=""
release_some() {
    for o in $orgs; do SIM_URL=$(cat url.$o) sim_ctl release '{"count": 60}' > /dev/null; done
}
fault_some() {     # round-robin over the orgs and the fault kinds
    o=$(echo $orgs | cut -d' ' -f$(( $1 % 4 + 1 )))
    case $(( $1 % 3 )) in
        0) f='{"type": "status", "status": 500, "count": 2}' ;;
        1) f='{"type": "reset", "count": 1}' ;;
        2) f='{"type": "duplicate", "count": 1}' ;;
    esac
    SIM_URL=$(cat url.$o) sim_ctl fault "$f" > /dev/null
}
r=1
while [ $r -le "$ROUNDS" ]; do
    release_some
    fault_some $r
    sleep $(( 2 + r % 2 ))
    slot=$(( r % 2 ))
    eval "pid=\$W$slot"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    if [ $(( r % 4 )) -lt 2 ]; then
        rm -rf "$WORK/w$slot"
        wipes=$((wipes + 1))
    fi
    start_worker $slot w$slot
    eval "W$slot=\$LAST_PID"
    if [ "$r" = 3 ]; then
        leader_killed=$(nats_stream_leader "IDW_P$(part acme)") || fail "no leader for acme's stream"
        nats_kill9 "$leader_killed"
    fi
    [ "$r" = 6 ] && [ -n "$leader_killed" ] && nats_restart "$leader_killed"
    if [ "$r" = 4 ]; then   # double ownership: a second worker on slot 1 for a while
        start_worker 1 wx; WX=$LAST_PID
    fi
    if [ "$r" = 7 ] && [ -n "$WX" ]; then kill -9 "$WX"; wait "$WX" 2>/dev/null || true; WX=""; fi
    echo "round $r: killed slot $slot ($kills kills, $wipes wipes)"
    r=$((r + 1))
done
[ -n "$leader_killed" ] && [ "$ROUNDS" -lt 6 ] && nats_restart "$leader_killed"
for o in $orgs; do
    SIM_URL=$(cat url.$o) sim_ctl clear-faults > /dev/null
    SIM_URL=$(cat url.$o) sim_ctl release '{"all": true}' > /dev/null
done
# let them run a moment with everything released, then stop and finish each with --once
sleep 2
for p in $W0 $W1; do kill -TERM "$p"; wait "$p" 2>/dev/null || true; done
W0=""; W1=""
for s in 0 1; do
    "$IDWATCH" --config cfg.json --db "$WORK/w$s" worker --slot $s --slots 2 --once --json > fin.$s.json \
        2>> "$WORK/w$s.log" || { tail -20 "$WORK/w$s.log"; fail "worker $s did not finish"; }
    echo "worker $s finished: $(cat fin.$s.json)"
done

restores=$(cat "$WORK/w0.log" "$WORK/w1.log" | grep -c 'restored snapshot' || true)
snaps=$(cat "$WORK/w0.log" "$WORK/w1.log" "$WORK/wx.log" | grep -c '"msg":"partition [0-9]*: snapshot ' || true)
echo "snapshots taken: $snaps; wiped partitions restored from a snapshot: $restores"
[ "$restores" -gt 0 ] || fail "no wiped worker restored a snapshot: the path was not exercised"

# the reference: one process, every event released, no faults
"$IDWATCH" --config ref.json --db "$WORK/ref" run --once > ref.out 2>&1 || { cat ref.out; fail "reference run"; }

pdb() { echo "$WORK/$(owner $1)/cluster/p$(part $1)"; }
alerts() {
    "$IDWATCH" --db "$1" alerts list --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
for r in sorted((r for r in rows if r["domain_id"] == sys.argv[1]), key=lambda a: a["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], r.get("historical"), ",".join(sorted(r["event_ids"])))' "$2"
}
total=0
for o in $orgs; do
    dump_personas "$WORK/ref" $o > ref.$o
    [ -s ref.$o ] || fail "no personas for $o in the reference"
    dump_personas "$(pdb $o)" $o > got.$o
    cmp -s ref.$o got.$o || { diff ref.$o got.$o | head -5; fail "$o's personas differ from run's"; }
    alerts "$WORK/ref" $o > ref.a.$o
    alerts "$(pdb $o)" $o > got.a.$o
    cmp -s ref.a.$o got.a.$o || { diff ref.a.$o got.a.$o | head -5; fail "$o's alerts differ from run's"; }
    total=$((total + $(wc -l < ref.a.$o)))
    "$IDWATCH" --config ref.json --db "$WORK/ref" status --json > rs.json
    "$IDWATCH" --config cfg.json --db "$(pdb $o)" status --json > gs.json
    q='[x["events_ingested"] for x in j["orgs"] if x["domain_id"] == "'$o'"]'
    expect_eq "$(jget gs.json "$q")" "$(jget rs.json "$q")" "$o: every event applied once, none lost"
done
[ "$total" -gt 0 ] || fail "the reference raised no alert"
echo "ok: personas and alerts ($total) of the four orgs equal run's after $kills kills ($wipes wiped)"

# the provider-wide view: every alert in IDW_ALERTS at its final version, equal to run's
"$IDWATCH" --config cfg.json cluster alerts --json > stream.alerts || fail "cluster alerts"
"$IDWATCH" --db "$WORK/ref" alerts list --json > ref.all
python3 - <<'PY' || fail "the alerts stream differs from run's alerts"
import json
got = {r["alert_id"]: (r["version"], r["rule"], r["status"]) for r in map(json.loads, open("stream.alerts"))}
ref = {r["alert_id"]: (r["version"], r["rule"], r["status"]) for r in map(json.loads, open("ref.all"))}
assert got == ref, sorted(set(got.items()) ^ set(ref.items()))[:5]
print("ok: cluster alerts (IDW_ALERTS) lists run's %d alerts at their final versions" % len(ref))
PY

# the log alone: a worker with an empty directory and no Okta (no org_url, no webhook)
# rebuilds each slot from the streams, equal again (a wiped worker in the chaos above could
# also have re-read everything from Okta: this one cannot)
python3 - <<'PY'
import json
c = json.load(open("cfg.json"))
del c["webhooks"]
for o in c["orgs"]:
    del o["org_url"], o["auth"], o["ca_file"], o["custom_domain"]
json.dump(c, open("replay.json", "w"))
PY
for s in 0 1; do
    "$IDWATCH" --config replay.json --db "$WORK/replay" worker --slot $s --slots 2 --once > /dev/null \
        2> replay.$s.err || { cat replay.$s.err; fail "replay of slot $s"; }
done
for o in $orgs; do
    d="$WORK/replay/cluster/p$(part $o)"
    dump_personas "$d" $o > rp.$o
    cmp -s ref.$o rp.$o || { diff ref.$o rp.$o | head -5; fail "$o: the streams alone do not give run's personas"; }
    alerts "$d" $o > rp.a.$o
    cmp -s ref.a.$o rp.a.$o || { diff ref.a.$o rp.a.$o | head -5; fail "$o: the streams alone do not give run's alerts"; }
done
echo "ok: the streams alone rebuild every partition equal to run's"

# the SOARs: the same alerts at the same final versions; nothing the reference lacks
SOAR_URL=$SOAR_W soar_ctl stats > soar.json
SOAR_URL=$SOAR_REF soar_ctl stats > soar_ref.json
python3 - <<'PY' || fail "the SOAR's alerts differ from the reference's"
import json
got, ref = json.load(open("soar.json")), json.load(open("soar_ref.json"))
def final(keys):
    out = {}
    for k in keys:
        a, v = k.rsplit(":", 1)
        out[a] = max(out.get(a, 0), int(v))
    return out
g, r = final(got["keys"]), final(ref["keys"])
assert r, "the reference SOAR received nothing"
assert g == r, "final versions differ: %s" % sorted(set(g.items()) ^ set(r.items()))[:5]
print("ok: the SOAR holds %d alerts at the reference's final versions (%d posts, %d duplicates; reference %d posts)"
      % (len(g), got["accepted"] + got["duplicates"], got["duplicates"], ref["accepted"] + ref["duplicates"]))
PY
expect_eq "$(jget soar.json 'j["rejected"]')" 0 "no post refused by the SOAR (signature, time, body)"
