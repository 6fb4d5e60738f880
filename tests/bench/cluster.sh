#!/bin/sh
# make bench, the distributed path (issue 12, docs/scale-out.md, docs/performance.md
# "Distributed path"): events/s through NATS JetStream with one and two workers, next to
# the single-process `idwatch ingest` of the same events measured in the same run.
#
#   1. four generated orgs (CLUSTER_EVENTS in all, a quarter each), cut into pages of
#      1,000 events with synthetic Okta cursors, fetched_at = now (the applier's future
#      bound reads it);
#   2. reference: `idwatch ingest` of each org into one database (timed);
#   3. a 3-node nats-server cluster on 127.0.0.1 (tests/nats/cluster.sh); `idwatch cluster
#      publish` of every page (timed: the write-ahead log's intake);
#   4. `idwatch worker --slot 0 --slots 1 --once` from an empty directory: replay of all four
#      partitions' streams (timed); then two workers, slots 0 and 1 of 2, started together
#      and timed until both exit.  The orgs have no org_url (no pollers), no webhooks.
# Checked: every page published once, every event applied once (each org's events_ingested
# in its partition's database equals the reference's), else the bench fails.
#   CLUSTER_EVENTS   total events (default 200000)
set -eu
IDWATCH=$(cd "$(dirname "${IDWATCH:-build/idwatch}")" && pwd)/$(basename "${IDWATCH:-build/idwatch}")
TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EVENTS=${CLUSTER_EVENTS:-200000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/idw-bench-cluster.XXXXXX")
export IDWATCH TOOLS ROOT WORK
cd "$WORK"
fail() { echo "bench cluster: FAIL: $*" >&2; exit 1; }
. "$ROOT/tests/nats/cluster.sh"
orgs="o0 o1 o2 o3"
now_ms() { date +%s%3N; }
rate() { python3 -c 'import sys; n, ms = int(sys.argv[1]), int(sys.argv[2]); print(round(n * 1000 / max(ms, 1)))' "$1" "$2"; }
status_events() {   # status_events DB ORG: that org's events_ingested in DB ("none": no database)
    [ -s "$1/data.mdb" ] || { echo none; return; }
    "$IDWATCH" --config "$WORK/cfg.json" --db "$1" status --json | python3 -c '
import json, sys
print(sum(x["events_ingested"] for x in json.load(sys.stdin)["orgs"] if x["domain_id"] == sys.argv[1]))' "$2"
}

# 1. the events and their pages
per=$((EVENTS / 4)); seed=1
for o in $orgs; do
    "$TOOLS/gen-events" --users 500 --days 30 --max-events "$per" --seed $seed --out $o.jsonl > /dev/null 2>&1
    seed=$((seed + 1))
done
total=$(cat $(for o in $orgs; do echo $o.jsonl; done) | grep -c .)
python3 - $orgs <<'PY'
import json, sys, time
out = open("pages.jsonl", "w")
for org in sys.argv[1:]:
    ev = [json.loads(l) for l in open(org + ".jsonl") if l.strip()]
    polled = ""
    for k in range(0, len(ev), 1000):
        p = ev[k:k + 1000]
        nxt = "https://%s.okta.com/api/v1/logs?after=%s" % (org, p[-1]["uuid"])
        out.write(json.dumps({"org": org, "cursor_polled": polled, "next_cursor": nxt,
                              "fetched_at": int(time.time() * 1000), "events": p}) + "\n")
        polled = nxt
PY
pages=$(wc -l < pages.jsonl)
echo "distributed path: $total events of 4 orgs, $pages pages of up to 1,000 events (in $WORK)"

# 2. the single-process reference
t0=$(now_ms)
for o in $orgs; do "$IDWATCH" --db "$WORK/ref" ingest --file $o.jsonl --domain $o > /dev/null; done
ms_ref=$(($(now_ms) - t0))

# 3. the cluster and the publish; each org pinned to its own partition (slot 0 of 2 owns 0 and 2)
nats_cluster_start > /dev/null
{
    printf '{"cluster": {"partitions": 4, "overrides": {"o0": 0, "o1": 1, "o2": 2, "o3": 3},\n'
    printf '             "nats": [%s]},\n' "$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')"
    printf ' "orgs": [{"domain_id": "o0"}, {"domain_id": "o1"}, {"domain_id": "o2"}, {"domain_id": "o3"}]}\n'
} > cfg.json
t0=$(now_ms)
"$IDWATCH" --config cfg.json cluster publish --file pages.jsonl --json > pub.json
ms_pub=$(($(now_ms) - t0))
python3 -c '
import json, sys
j = json.load(open("pub.json"))
sys.exit(0 if j["lines"] == int(sys.argv[1]) and j["messages"] >= j["lines"] and j["duplicates"] == 0
         and j["bad"] == 0 else 1)' "$pages" || fail "publish: $(cat pub.json), expected $pages pages, no duplicates"
msgs=$(python3 -c 'import json; print(json.load(open("pub.json"))["messages"])')

# 4. the workers: replay from empty directories
worker() {  # worker DB SLOT SLOTS
    "$IDWATCH" --config "$WORK/cfg.json" --db "$WORK/$1" worker --slot "$2" --slots "$3" --once --json \
        > "$1.$2.json" 2> "$1.$2.err" || { tail -5 "$1.$2.err" >&2; fail "worker $1 slot $2 of $3"; }
}
t0=$(now_ms)
worker one 0 1
ms_one=$(($(now_ms) - t0))
t0=$(now_ms)
worker two 0 2 & p0=$!
worker two 1 2 & p1=$!
wait $p0 || fail "worker slot 0 of 2"
wait $p1 || fail "worker slot 1 of 2"
ms_two=$(($(now_ms) - t0))

# every event applied exactly once, by both set-ups
for o in $orgs; do
    p=${o#o}
    want=$(status_events "$WORK/ref" $o)
    [ "$want" -gt 0 ] || fail "$o: the reference ingested nothing"
    got1=$(status_events "$WORK/one/cluster/p$p" $o)
    got2=$(status_events "$WORK/two/cluster/p$p" $o)
    [ "$got1" = "$want" ] && [ "$got2" = "$want" ] ||
        fail "$o: events applied $got1 (one worker), $got2 (two), ingested $want"
done
applied=$(python3 -c '
import json, sys
print(sum(json.load(open(f))["applied"] for f in sys.argv[1:]))' two.0.json two.1.json)
echo "checked: every page published once ($msgs messages: pages over max_payload are split); each org's events applied once in its partition (one and two workers, $applied pages)"

r_ref=$(rate "$total" "$ms_ref")
row() {  # row LABEL MS
    python3 -c '
import sys
label, n, ms, ref = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = n * 1000 / max(ms, 1)
print("| %-58s | %9s | %6.1f | %5.2f |" % (label, format(round(r), ","), ms / 1000, r / ref))' "$1" "$total" "$2" "$r_ref"
}
echo
echo "| path ($total events, 4 orgs)                                     | events/s  |    s   | × ingest |"
echo "| ---------------------------------------------------------- | --------: | -----: | ----: |"
row "single process: idwatch ingest, one org after the other" "$ms_ref"
row "cluster publish: pages into 4 R3 streams (3 nats-servers)" "$ms_pub"
row "apply, 1 worker (slot 0 of 1): replay of 4 partitions" "$ms_one"
row "apply, 2 workers (slots 0 and 1 of 2) together" "$ms_two"
echo
echo "On this machine (2 cores shared with the three nats-servers, all on loopback) the two-worker"
echo "figure cannot show scaling: two workers and three servers compete for the same two cores."
echo "Scaling needs a core per worker and the servers elsewhere (docs/scale-out.md)."
nats_cluster_stop
cd / && rm -rf "$WORK"
