# Scale-out workers (docs/scale-out.md): two `idwatch worker` processes, one per slot, poll
# four simulated Okta orgs over HTTPS, publish every page to its partition's stream on a
# 3-node JetStream cluster and apply the streams; the result equals a single-process
# `idwatch run` over the same orgs: personas byte for byte, alerts on ids, versions, rules,
# event ids and the historical mark.  Run in two rounds (30 % of the events released, then
# the rest), the second with both workers' directories wiped, so it resumes from the cursors
# and the history end the log holds.  Then a third
# worker on slot 0 with an empty directory rebuilds slot 0's partitions from the streams
# alone and polls nothing new (it resumes from the log's cursors): equal again.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
trap 'set +e; for d in "$WORK"/sim*/; do sim_stop "${d%/}"; done; nats_cluster_stop' EXIT

orgs="acme beta globex initech"
seed=40
for o in $orgs; do
    seed=$((seed + 1))
    "$TOOLS/gen-events" --users 8 --days 5 --seed $seed --attacks --org $o --out $o.jsonl > /dev/null 2>&1
    echo "$o-token" > t.$o; chmod 600 t.$o
    n=$(wc -l < $o.jsonl)
    sim_start "$WORK/sim.$o" --events $o.jsonl --release $((n * 3 / 10)) --ssws-token-file t.$o
    echo "$SIM_URL" > url.$o
done

nats_cluster_start
nats_list=$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')
{
    printf '{"cluster": {"partitions": 4, "nats": [%s]},\n "orgs": [' "$nats_list"
    sep=""
    for o in $orgs; do
        printf '%s\n  {"domain_id": "%s", "org_url": "%s", "custom_domain": true, "ca_file": "%s",
   "auth": {"method": "ssws", "token_file": "%s"}, "page_limit": 50, "backfill_days": 30}' \
            "$sep" "$o" "$(cat url.$o)" "$WORK/certs/ca.pem" "$WORK/t.$o"
        sep=","
    done
    printf ']}\n'
} > cfg.json
w() { db=$1; shift; "$IDWATCH" --config "$WORK/cfg.json" --db "$WORK/$db" "$@"; }
# partitions by FNV-1a 32 mod 4, computed here independently of idwatch
part() { python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 4)' "$1"; }
for o in $orgs; do echo "$o → partition $(part $o)"; done

round() {
    w ref run --once > ref.$1.out 2>&1 || { cat ref.$1.out; fail "reference run, round $1"; }
    w w0 worker --slot 0 --slots 2 --once --json > w0.$1.json 2> w0.$1.err || { cat w0.$1.err; fail "worker 0, round $1"; }
    w w1 worker --slot 1 --slots 2 --once --json > w1.$1.json 2> w1.$1.err || { cat w1.$1.err; fail "worker 1, round $1"; }
    echo "round $1: worker 0 $(cat w0.$1.json)"
    echo "round $1: worker 1 $(cat w1.$1.json)"
}

# the database of org's partition under a worker's directory
pdb() { echo "$WORK/$1/cluster/p$(part $2)"; }
owner() { [ $(( $(part $1) % 2 )) = 0 ] && echo w0 || echo w1; }
alerts() {
    "$IDWATCH" --db "$1" alerts list --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
for r in sorted((r for r in rows if r["domain_id"] == sys.argv[1]), key=lambda a: a["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], r["status"], r.get("historical"), ",".join(sorted(r["event_ids"])))' "$2"
}
compare() {     # compare LABEL DIR_OF_SLOT0 DIR_OF_SLOT1
    total=0
    for o in $orgs; do
        d=$2; [ "$(owner $o)" = w1 ] && d=$3
        dump_personas "$WORK/ref" $o > ref.$o
        [ -s ref.$o ] || fail "no personas for $o in the reference"
        dump_personas "$(pdb $d $o)" $o > got.$o
        cmp -s ref.$o got.$o || { diff ref.$o got.$o | head -5; fail "$1: $o's personas differ from run's"; }
        alerts "$WORK/ref" $o > ref.a.$o
        alerts "$(pdb $d $o)" $o > got.a.$o
        cmp -s ref.a.$o got.a.$o || { diff ref.a.$o got.a.$o | head -5; fail "$1: $o's alerts differ from run's"; }
        total=$((total + $(wc -l < ref.a.$o)))
    done
    [ "$total" -gt 0 ] || fail "$1: the reference raised no alert"
    echo "ok: $1: personas and alerts ($total) of the four orgs equal run's"
}

round 1
compare "round 1" w0 w1
for o in $orgs; do SIM_URL=$(cat url.$o) sim_ctl release '{"all": true}' > /dev/null; done
# both workers lose their directories (no snapshot yet): round 2 rebuilds each partition from
# its stream, then polls the rest of the orgs' history; the org's history end (which alerts
# are historical) and the newest event time come from the log, not from a poller's state
rm -rf "$WORK/w0" "$WORK/w1"
round 2
compare "round 2" w0 w1
expect_eq "$(jget w0.2.json 'j["skipped"]') $(jget w1.2.json 'j["skipped"]')" "0 0" "no page skipped"

# an analyst's review in the log: `cluster review` publishes it to the org's partition, the
# owning worker applies it in stream order (a new version, the status), as `alerts fp` does
# in the single process
for ro in $orgs; do [ -s ref.a.$ro ] && break; done
a=$(head -1 ref.a.$ro | cut -d' ' -f1)
w ref alerts fp "$a" --by analyst > /dev/null
"$IDWATCH" --config cfg.json cluster review "$a" --org $ro --status fp --by analyst --json > rv.json
round 3
compare "after a review in the log" w0 w1
grep -q "^$a [0-9]* [a-z_]* false_positive" got.a.$ro || fail "the review from the log did not apply"

# every page applied once: each event of an org counted once in its partition's statistics
for o in $orgs; do
    w ref status --json > ref.status
    "$IDWATCH" --config "$WORK/cfg.json" --db "$(pdb $(owner $o) $o)" status --json > got.status
    expect_eq "$(jget got.status '[x["events_ingested"] for x in j["orgs"] if x["domain_id"] == "'$o'"]')" \
        "$(jget ref.status '[x["events_ingested"] for x in j["orgs"] if x["domain_id"] == "'$o'"]')" \
        "$o: events applied once each"
done

# a third worker on slot 0 with an empty directory: rebuilt from the streams alone; it
# resumes from the log's cursors, so it publishes nothing new
w w2 worker --slot 0 --slots 2 --once --json > w2.json 2> w2.err || { cat w2.err; fail "worker 2"; }
echo "worker 2 (slot 0, empty directory): $(cat w2.json)"
expect_eq "$(jget w2.json 'j["published"]')" 0 "the rebuilt worker publishes nothing new"
compare "rebuilt slot 0" w2 w1

# a partition stream deleted and created again, then grown past what a database applied: the
# sequence check alone would take it for the database's stream; the genesis tells them apart
o=$(echo $orgs | cut -d' ' -f1); P=$(part $o); D=$(owner $o); S=$([ $D = w0 ] && echo 0 || echo 1)
U1=${NATS_URLS%% *}
L=$(python3 "$ROOT/tests/nats/jsapi.py" "$U1" "\$JS.API.STREAM.INFO.IDW_P$P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["last_seq"])')
python3 "$ROOT/tests/nats/jsapi.py" "$U1" "\$JS.API.STREAM.DELETE.IDW_P$P" > /dev/null || fail "deleting IDW_P$P"
"$IDWATCH" --config cfg.json cluster rules publish --partition $P > /dev/null 2> rp.err || { cat rp.err; fail "re-creating IDW_P$P"; }
python3 - "$U1" "$P" "$L" <<'PY'
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
f = s.makefile("rb")
f.readline()
s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
body = b'{"v":2,"type":"command","org":"x","command":"pause"}'
for i in range(int(sys.argv[3]) + 1):     # past the old stream's end
    s.sendall(b"PUB idw.p%s.pg %d\r\n%s\r\n" % (sys.argv[2].encode(), len(body), body))
s.sendall(b"PING\r\n")
while not f.readline().startswith(b"PONG"):
    pass
PY
L2=$(python3 "$ROOT/tests/nats/jsapi.py" "$U1" "\$JS.API.STREAM.INFO.IDW_P$P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["last_seq"])')
[ "$L2" -gt "$L" ] || fail "the new stream did not grow past the old one's end ($L2 <= $L)"
expect_rc 1 w $D worker --slot $S --slots 2 --once > /dev/null 2> recreated.err
grep -q "partition $P: the stream's message at the sequence of this database's genesis is not that genesis (another key)" \
    recreated.err || fail "a re-created stream is not told apart: $(tail -3 recreated.err)"
echo "ok: a re-created stream ($L2 messages, the old one $L) is told apart by its genesis"
