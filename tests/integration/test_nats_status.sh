# `idwatch cluster status` (docs/scale-out.md, "cluster status") over a 3-node JetStream
# cluster (tests/nats/cluster.sh) and two workers polling two simulated Okta orgs (acme on
# partition 1, beta on partition 2, by overrides; 4 partitions, 2 slots: slot 0 owns 0 and 2,
# slot 1 owns 1 and 3).  Before any worker: degraded (exit 6), no owner.  After each worker
# ran --once (a heartbeat at start and at exit): every partition owned by its slot, lag 0,
# applied_seq equal to the stream's last sequence, each org under its partition.  `cluster
# pause --org acme` publishes a command: lag 1 on partition 1, not degraded while the owner's
# heartbeat is fresh (exit 0); the owner applies it on its next run: held, lag 0.  Stale: the
# hidden IDW_STATUS_STALE_S (tests only; default 60 s) shortens the staleness limit to 1 s.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
trap 'set +e; for d in "$WORK"/sim*/; do sim_stop "${d%/}"; done; nats_cluster_stop' EXIT

orgs="acme beta"
seed=70
for o in $orgs; do
    seed=$((seed + 1))
    "$TOOLS/gen-events" --users 4 --days 2 --seed $seed --org $o --out $o.jsonl > /dev/null 2>&1
    echo "$o-token" > t.$o; chmod 600 t.$o
    sim_start "$WORK/sim.$o" --events $o.jsonl --ssws-token-file t.$o
    echo "$SIM_URL" > url.$o
done

nats_cluster_start
nats_list=$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')
{
    printf '{"cluster": {"partitions": 4, "overrides": {"acme": 1, "beta": 2}, "nats": [%s]},\n "orgs": [' \
        "$nats_list"
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
st() { "$IDWATCH" --config "$WORK/cfg.json" cluster status "$@"; }

# --help never acts; before any worker: no heartbeat, no stream: degraded
st --help > help.out || fail "cluster status --help"
grep -q "cluster status \[--json\]" help.out || fail "usage line missing: $(cat help.out)"
expect_rc 6 st --json > st0.json
expect_eq "$(jget st0.json 'j["degraded"], [r["owners"] for r in j["partitions"]]')" "True [[], [], [], []]" \
    "no worker yet: degraded, no owner"

for s in 0 1; do
    w w$s worker --slot $s --slots 2 --once --json > w$s.json 2> w$s.err || { cat w$s.err; fail "worker $s"; }
    echo "worker $s: $(cat w$s.json)"
done
st --json > st1.json || { cat st1.json; fail "cluster status after both workers: exit $?"; }
echo "status: $(cat st1.json)"
expect_eq "$(jget st1.json 'j["degraded"], [(r["p"], r["owners"], r["fresh"], r["lag"]) for r in j["partitions"]]')" \
    "False [(0, [0], True, 0), (1, [1], True, 0), (2, [0], True, 0), (3, [1], True, 0)]" \
    "every partition owned by its slot's fresh heartbeat, lag 0"
expect_eq "$(jget st1.json '[r["applied_seq"] == r["stream"]["last_seq"] for r in j["partitions"]]')" \
    "[True, True, True, True]" "applied_seq equals the stream's last sequence"
expect_eq "$(jget st1.json '[r["stream"]["last_seq"] > 1 for r in j["partitions"] if r["p"] in (1, 2)]')" \
    "[True, True]" "the orgs' partitions hold their pages"
expect_eq "$(jget st1.json '[[(o["org"], o["held"], o["paused"], o["cursor_set"]) for o in r["orgs"]] for r in j["partitions"]]')" \
    "[[], [('acme', False, False, True)], [('beta', False, False, True)], []]" "orgs under their partitions"
expect_eq "$(jget st1.json 'sorted((b["slot"], b["slots"], len(b["partitions"])) for b in j["workers"])')" \
    "[(0, 2, 2), (1, 2, 2)]" "one heartbeat per slot"
st > st1.txt || fail "the table: exit $?"
grep -q "^ *1  1 .* acme$" st1.txt || { cat st1.txt; fail "the table's partition 1 row"; }
grep -q "cluster: ok" st1.txt || fail "table: not ok: $(cat st1.txt)"
echo "ok: both workers' heartbeats: owned, lag 0, orgs listed"

# a command in the log: lag 1 on acme's partition until its owner applies it (not degraded)
"$IDWATCH" --config cfg.json cluster pause --org acme --by ops --json > pause.json
st --json > st2.json || fail "a lag with a fresh heartbeat is not degraded: exit $?"
expect_eq "$(jget st2.json '[r["lag"] for r in j["partitions"]]')" "[0, 1, 0, 0]" "lag 1 after the pause"
w w1 worker --slot 1 --slots 2 --once --json > w1b.json 2> w1b.err || true
st --json > st3.json || fail "after the owner applied the pause: exit $?"
expect_eq "$(jget st3.json '[r["lag"] for r in j["partitions"]], j["partitions"][1]["orgs"][0]["held"]')" \
    "[0, 0, 0, 0] True" "the owner applied the pause: held, lag 0"
echo "ok: a command shows as lag until applied, then held"

# stale heartbeats: degraded, named
sleep 2
export IDW_STATUS_STALE_S=1
expect_rc 6 st > st4.txt
unset IDW_STATUS_STALE_S
grep -q "DEGRADED: partition 0: its owner's heartbeat is stale" st4.txt || fail "stale: $(cat st4.txt)"
echo "ok: a stale heartbeat is degraded (exit 6)"
