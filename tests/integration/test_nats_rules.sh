# Rules in the log (docs/scale-out.md "Rules in the log", src/cluster/rulepack.h): the rule
# configuration is a message of each partition's stream, so which rules judged an event is
# decided by the stream, not by whichever host applies it.
#  1. a worker opening new streams starts each with its local rules (rules A: the shipped ones);
#     `cluster status` shows the fingerprint `cluster rules fingerprint` prints;
#  2. rules that do not load are refused by `cluster rules publish` (exit 1), nothing published;
#  3. `cluster rules publish` of rules B (every rule off) puts B on every partition; a worker whose
#     own rules_dir is still A applies the rest of the orgs' history with B (and warns), equal to
#     a single-process `run` that switched from A to B at the same point — and unequal to one
#     that kept A (so the test can fail);
#  4. a worker rebuilt from the streams with an empty directory and local rules A judges each
#     stretch with the log's rules again: equal;
#  5. a stream left with a genesis and no rules (the rules publish failed after it) gets the next
#     worker's rules before anything else.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
trap 'set +e; for d in "$WORK"/sim*/; do sim_stop "${d%/}"; done; nats_cluster_stop' EXIT

orgs="acme beta"
seed=70
for o in $orgs; do
    seed=$((seed + 1))
    "$TOOLS/gen-events" --users 8 --days 6 --seed $seed --attacks --org $o --out $o.jsonl > /dev/null 2>&1
    echo "$o-token" > t.$o; chmod 600 t.$o
    n=$(wc -l < $o.jsonl)
    sim_start "$WORK/sim.$o" --events $o.jsonl --release $((n / 2)) --ssws-token-file t.$o
    echo "$SIM_URL" > url.$o
done

# rules A: the shipped rules; rules B: every C rule off, no Sigma file; rules C: a Sigma file
# that does not parse
cp -r "$ROOT/rules" rulesA
mkdir rulesB rulesC
for f in rulesA/*.json; do
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["enabled"] = False
json.dump(d, open(sys.argv[2], "w"))' "$f" "rulesB/$(basename "$f")"
done
cp rulesA/*.json rulesC/
printf 'title: broken\nlogsource: {product: okta, service: okta}\ndetection: [not, a, map\n' > rulesC/broken.yml

nats_cluster_start
nats_list=$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')
config() {  # config FILE RULES_DIR
    {
        printf '{"rules_dir": "%s", "cluster": {"partitions": 2, "nats": [%s]},\n "orgs": [' "$WORK/$2" "$nats_list"
        sep=""
        for o in $orgs; do
            printf '%s\n  {"domain_id": "%s", "org_url": "%s", "custom_domain": true, "ca_file": "%s",
   "auth": {"method": "ssws", "token_file": "%s"}, "page_limit": 50, "backfill_days": 30}' \
                "$sep" "$o" "$(cat url.$o)" "$WORK/certs/ca.pem" "$WORK/t.$o"
            sep=","
        done
        printf ']}\n'
    } > "$1"
}
config cfgA.json rulesA
config cfgB.json rulesB
config cfgC.json rulesC
i() { cfg=$1; db=$2; shift 2; "$IDWATCH" --config "$WORK/$cfg" --db "$WORK/$db" "$@"; }
part() { python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 2)' "$1"; }
alerts() {
    "$IDWATCH" --db "$1" alerts list --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
for r in sorted((r for r in rows if r["domain_id"] == sys.argv[1]), key=lambda a: a["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], r["status"], r.get("historical"), ",".join(sorted(r["event_ids"])))' "$2"
}
compare() {     # compare LABEL REF_DB WORKER_DIR [differ]
    for o in $orgs; do
        alerts "$WORK/$2" $o > ref.a.$o
        alerts "$WORK/$3/cluster/p$(part $o)" $o > got.a.$o
        if [ "${4:-}" = differ ]; then
            cmp -s ref.a.$o got.a.$o || return 0
        else
            cmp -s ref.a.$o got.a.$o || { diff ref.a.$o got.a.$o | head -5; fail "$1: $o's alerts differ"; }
        fi
    done
    [ "${4:-}" = differ ] && fail "$1: equal, though they should differ"
    echo "ok: $1"
}
fpA=$(i cfgA.json x cluster rules fingerprint --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
fpB=$(i cfgB.json x cluster rules fingerprint --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
[ "$fpA" != "$fpB" ] && [ ${#fpA} = 64 ] || fail "fingerprints: A $fpA, B $fpB"
# the fingerprint is of the content, not of where the directory is
cp -r rulesA rulesA2
expect_eq "$("$IDWATCH" --config cfgA.json cluster rules fingerprint | cut -d' ' -f1)" "$fpA" "A's fingerprint"
sed "s#$WORK/rulesA#$WORK/rulesA2#" cfgA.json > cfgA2.json
expect_eq "$(i cfgA2.json x cluster rules fingerprint | cut -d' ' -f1)" "$fpA" "a copy of A elsewhere"

# 1. round 1: the references and the worker, all with rules A
i cfgA.json refAB run --once > refAB.1.out 2>&1 || { cat refAB.1.out; fail "reference A→B, round 1"; }
i cfgA.json refA run --once > refA.1.out 2>&1 || { cat refA.1.out; fail "reference A, round 1"; }
i cfgA.json w worker --slot 0 --slots 1 --once --json > w.1.json 2> w.1.err || { cat w.1.err; fail "worker, round 1"; }
compare "round 1 (rules A): the worker equals run" refAB w
IDW_STATUS_STALE_S=3600 "$IDWATCH" --config cfgA.json cluster status --json > st.1.json || true
expect_eq "$(jget st.1.json '[r["rules"] for r in j["partitions"]]')" "['$fpA', '$fpA']" \
    "each new stream starts with the worker's rules (cluster status)"

# 2. rules that do not load: refused before anything is published
last() { python3 "$ROOT/tests/nats/jsapi.py" "${NATS_URLS%% *}" "\$JS.API.STREAM.INFO.IDW_P$1" |
         python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["last_seq"])'; }
before="$(last 0) $(last 1)"
expect_rc 1 i cfgC.json x cluster rules publish 2> pubC.err
grep -q "broken.yml" pubC.err || fail "a broken rule file is not named: $(cat pubC.err)"
expect_eq "$(last 0) $(last 1)" "$before" "nothing published for rules that do not load"

# 3. rules B on every partition; the worker's own rules_dir is still A
i cfgB.json x cluster rules publish --by ops --json > pubB.json
expect_eq "$(jget pubB.json 'j["fingerprint"], j["complete"], sorted(p["partition"] for p in j["partitions"])')" \
    "$fpB True [0, 1]" "rules B published to both partitions"
for o in $orgs; do SIM_URL=$(cat url.$o) sim_ctl release '{"all": true}' > /dev/null; done
i cfgB.json refAB run --once > refAB.2.out 2>&1 || { cat refAB.2.out; fail "reference A→B, round 2"; }
i cfgA.json refA run --once > refA.2.out 2>&1 || { cat refA.2.out; fail "reference A, round 2"; }
i cfgA.json w worker --slot 0 --slots 1 --once --json > w.2.json 2> w.2.err || { cat w.2.err; fail "worker, round 2"; }
compare "round 2: rules from the log (B), not the worker's rules_dir (A): equals run A→B" refAB w
compare "round 2: the run that kept rules A raised other alerts (the test can fail)" refA w differ
grep -q "judges with the log's rules ${fpB%"${fpB#????????????}"}" w.2.err || \
    grep -q "rules ${fpB%"${fpB#????????????}"} (published by ops) in force" w.2.err || \
    fail "the worker does not say it follows the log's rules: $(head -5 w.2.err)"
IDW_STATUS_STALE_S=3600 "$IDWATCH" --config cfgA.json cluster status --json > st.2.json || true
expect_eq "$(jget st.2.json '[r["rules"] for r in j["partitions"]]')" "['$fpB', '$fpB']" \
    "cluster status: both partitions run rules B"

# 4. a worker rebuilt from the streams alone, with local rules A
i cfgA.json w2 worker --slot 0 --slots 1 --once --json > w2.json 2> w2.err || { cat w2.err; fail "rebuilt worker"; }
expect_eq "$(jget w2.json 'j["published"]')" 0 "the rebuilt worker publishes nothing"
compare "rebuilt from the streams: each stretch judged by the log's rules" refAB w2

# 5. a stream whose opening rules never made it (here: too large for max_payload, so the publish
#    stops after the genesis): the next worker to open it publishes its own rules there first
cp -r rulesA rulesBig
{ printf 'title: big\nlogsource: {product: okta, service: okta}\ndetection: {s: {eventType: x.y}, condition: s}\n'
  head -c 1200000 /dev/urandom | base64 -w 100 | sed 's/^/# /'; } > rulesBig/big.yml
three() { printf '{"rules_dir": "%s", "cluster": {"partitions": 3, "nats": [%s]}, "orgs": []}\n' "$WORK/$2" \
          "$nats_list" > "$1"; }
three cfgBig3.json rulesBig
three cfgA3.json rulesA
expect_rc 1 i cfgBig3.json x cluster rules publish --partition 2 2> pubBig.err
grep -q "max_payload" pubBig.err || fail "the oversized rules message is not explained: $(cat pubBig.err)"
expect_eq "$(last 2)" 1 "partition 2: the genesis alone"
i cfgA3.json w3 worker --slot 2 --slots 3 --once --json > w3.json 2> w3.err || { cat w3.err; fail "worker of partition 2"; }
IDW_STATUS_STALE_S=3600 "$IDWATCH" --config cfgA3.json cluster status --json > st.3.json || true
expect_eq "$(last 2) $(jget st.3.json 'j["partitions"][2]["rules"]')" "2 $fpA" \
    "the next worker gives a stream without rules its own (cluster status)"
echo "ok: rules in the log"
