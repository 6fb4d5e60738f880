# Snapshots of a partition in NATS JetStream, and restore (cluster/snapshot.h,
# docs/scale-out.md "Snapshots"), on a real 3-node cluster (tests/nats/cluster.sh):
# pages of a generated org are published and applied into database A; A is
# snapshotted (R3 stream IDW_SNAP, 256 KiB chunks); more pages are published;
# the snapshot is restored into an empty directory B, and B and A applied to the
# end must be equal: personas byte for byte, alerts on ids, versions and event
# ids.  Then: two more snapshots purge the oldest one's chunks (two kept, one
# manifest); a deleted chunk makes restore fail naming it; no snapshot is exit 4;
# a partition stream purged past applied_seq + 1 is exit 5; the partition stream
# carries cluster.stream_max_age_days as its MaxAge.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/nats/cluster.sh"

"$TOOLS/gen-events" --users 40 --days 20 --seed 42 --attacks --out acme.jsonl > /dev/null 2>&1

# pages of 50 events with synthetic cursors, in three parts: 50 %, 30 %, the rest
python3 - <<'PY'
import json
ev = [json.loads(l) for l in open("acme.jsonl") if l.strip()]
pages = [ev[i:i + 50] for i in range(0, len(ev), 50)]
cut1, cut2 = len(pages) // 2, len(pages) * 8 // 10
outs = [open("p%d.jsonl" % k, "w") for k in (1, 2, 3)]
polled = ""
for k, p in enumerate(pages):
    nxt = "https://acme.okta.com/api/v1/logs?after=%s" % p[-1]["uuid"]
    line = json.dumps({"org": "acme", "cursor_polled": polled, "next_cursor": nxt,
                       "fetched_at": 1789000000000 + k, "events": p}) + "\n"
    outs[0 if k < cut1 else 1 if k < cut2 else 2].write(line)
    polled = nxt
PY
n1=$(wc -l < p1.jsonl); n2=$(wc -l < p2.jsonl); n3=$(wc -l < p3.jsonl)
n1=$((n1 + 1))      # the stream's first message is its genesis (the partition's key), applied with part 1

trap 'set +e; nats_cluster_stop' EXIT
nats_cluster_start
URL1=${NATS_URLS%% *}
cat > cfg.json <<CFG
{"cluster": {"partitions": 8, "replicas": 3, "stream_max_age_days": 30,
             "nats": [$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]}}
CFG
cl() { "$IDWATCH" --config "$WORK/cfg.json" "$@"; }
js() { python3 "$ROOT/tests/nats/jsapi.py" "$URL1" "$@"; }
pa=$(python3 -c '
h = 2166136261
for b in b"acme": h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 8)')
# messages of IDW_SNAP on one subject (STREAM.INFO with a subject filter)
count() {
    js '$JS.API.STREAM.INFO.IDW_SNAP' "{\"subjects_filter\": \"$1\"}" |
        python3 -c 'import json, sys; print(sum(json.load(sys.stdin)["state"].get("subjects", {}).values()))'
}

# --help never acts: no stream is created, nothing is restored
cl cluster snapshot --partition "$pa" --help > help.txt
cl cluster restore --partition "$pa" --dir "$WORK/never" --help > /dev/null
grep -q 'idwatch cluster restore --partition N --dir D' help.txt || fail "help: $(cat help.txt)"
[ ! -e "$WORK/never" ] || fail "restore --help acted"
expect_rc 2 cl cluster restore --partition "$pa" 2> usage.err
grep -q -- '--dir is required' usage.err || fail "usage: $(cat usage.err)"

# before anything exists (no IDW_SNAP, no IDW_P<n>): no snapshot, exit 4, nothing installed
expect_rc 4 cl cluster restore --partition "$pa" --dir "$WORK/D0" 2> d0.err
grep -q "partition $pa: no snapshot in IDW_SNAP: start empty" d0.err || fail "no stream yet: $(cat d0.err)"
[ -z "$(ls -A "$WORK/D0")" ] || fail "restore without a snapshot left files: $(ls "$WORK/D0")"

cl cluster publish --file p1.jsonl > /dev/null
# the partition stream carries cluster.stream_max_age_days (30) as its MaxAge (ns)
js "\$JS.API.STREAM.INFO.IDW_P$pa" > pinfo.json
expect_eq "$(jget pinfo.json 'j["config"]["max_age"]')" "$((30 * 86400))000000000" "IDW_P$pa's MaxAge"

# a database that applied nothing of the partition: no snapshot to take (exit 4)
: > empty.jsonl
cl --db "$WORK/Z" ingest --file empty.jsonl > /dev/null
expect_rc 4 cl --db "$WORK/Z" cluster snapshot --partition "$pa" 2> z.err
grep -q "partition $pa: nothing applied yet" z.err || fail "nothing applied: $(cat z.err)"
[ -z "$(ls -d "$WORK"/Z/.snapshot-* 2>/dev/null)" ] || fail "the snapshot's temporary directory was left"

cl --db "$WORK/A" cluster apply --partition "$pa" --json > a1.json
expect_eq "$(jget a1.json 'j["applied"], j["to_seq"]')" "$n1 $n1" "A applied the first part"

# snapshot 1 of A
cl --db "$WORK/A" cluster snapshot --partition "$pa" --json > s1.json
expect_eq "$(jget s1.json 'j["applied_seq"], j["chunks"] >= 2, j["chunks"] == -(-j["bytes"] // 262144)')" \
    "$n1 True True" "snapshot 1: applied_seq read from the copy, at least two 256 KiB chunks"
c1=$(jget s1.json 'j["chunks"]')

# more pages; restore into an empty B, then B and A applied to the end
cl cluster publish --file p2.jsonl > /dev/null
cl cluster restore --partition "$pa" --dir "$WORK/B" --json > r1.json
expect_eq "$(jget r1.json 'j["applied_seq"], j["snap_id"] == '"$(jget s1.json 'repr(j["snap_id"])')"', j["stream_first_seq"], j["stream_last_seq"]')" \
    "$n1 True 1 $((n1 + n2))" "restore 1: snapshot 1 into B, the stream reaches back"
[ ! -e "$WORK/B/data.mdb.restoring" ] || fail "the temporary file was left in B"
cl --db "$WORK/B" cluster apply --partition "$pa" --json > b1.json
expect_eq "$(jget b1.json 'j["from_seq"], j["applied"], j["to_seq"]')" "$n1 $n2 $((n1 + n2))" \
    "B replays from the snapshot's applied_seq + 1"
cl --db "$WORK/A" cluster apply --partition "$pa" > /dev/null

alerts() {
    "$IDWATCH" --db "$1" alerts list --json | python3 -c '
import json, sys
for r in sorted((json.loads(l) for l in sys.stdin), key=lambda a: a["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], ",".join(sorted(r["event_ids"])))'
}
dump_personas "$WORK/A" acme > A.personas
dump_personas "$WORK/B" acme > B.personas
[ -s A.personas ] || fail "no personas in A"
cmp -s A.personas B.personas || { diff A.personas B.personas | head -5; fail "B's personas differ from A's"; }
alerts "$WORK/A" > A.alerts
alerts "$WORK/B" > B.alerts
[ -s A.alerts ] || fail "A raised no alert"
cmp -s A.alerts B.alerts || { diff A.alerts B.alerts | head -5; fail "B's alerts differ from A's"; }
echo "ok: restored + replayed equals A: $(wc -l < A.personas) persona lines, $(wc -l < A.alerts) alerts"

# a directory that already holds a database is refused, and left as it was
sum_b=$(sha256sum "$WORK/B/data.mdb")
expect_rc 1 cl cluster restore --partition "$pa" --dir "$WORK/B" 2> again.err
grep -q 'data.mdb already exists' again.err || fail "restore over a database: $(cat again.err)"
expect_eq "$(sha256sum "$WORK/B/data.mdb")" "$sum_b" "B's database untouched"

# two more snapshots: the first one's chunks are purged, the last two kept, one manifest
cl --db "$WORK/A" cluster snapshot --partition "$pa" --json > s2.json
expect_eq "$(count "idw.snap.$pa.c")" "$((c1 + $(jget s2.json 'j["chunks"]')))" "chunks after snapshot 2 (1 and 2 kept)"
cl --db "$WORK/A" cluster snapshot --partition "$pa" --json > s3.json
expect_eq "$(count "idw.snap.$pa.c")" \
    "$(( $(jget s2.json 'j["chunks"]') + $(jget s3.json 'j["chunks"]') ))" "chunks after snapshot 3 (1 purged)"
expect_eq "$(count "idw.snap.$pa.m")" "1" "manifests of partition $pa (rolled up)"
expect_eq "$(jget s3.json 'j["applied_seq"]')" "$((n1 + n2))" "snapshot 3's applied_seq"

# a chunk of the latest snapshot deleted: restore fails naming it, writes nothing
k=$(( $(jget s3.json 'j["first_chunk_seq"]') + 1 ))
js '$JS.API.STREAM.MSG.DELETE.IDW_SNAP' "{\"seq\": $k}" > /dev/null || fail "cannot delete IDW_SNAP seq $k"
expect_rc 1 cl cluster restore --partition "$pa" --dir "$WORK/C" 2> c.err
grep -q "snapshot $(jget s3.json 'j["snap_id"]'): chunk 1 of $(jget s3.json 'j["chunks"]') is missing" c.err ||
    fail "a deleted chunk: $(cat c.err)"
[ -z "$(ls -A "$WORK/C")" ] || fail "a failed restore left files: $(ls "$WORK/C")"
echo "ok: a deleted chunk is named: $(cat c.err)"

# a partition nobody snapshotted: exit 4 (start empty, its stream starts at 1)
pb=$(( (pa + 1) % 8 ))
expect_rc 4 cl cluster restore --partition "$pb" --dir "$WORK/D" 2> d.err
grep -q "partition $pb: no snapshot" d.err || fail "no snapshot: $(cat d.err)"

# a fresh snapshot, more pages, then the partition stream purged past applied_seq + 1: exit 5
cl --db "$WORK/A" cluster snapshot --partition "$pa" --json > s4.json
cl cluster publish --file p3.jsonl > /dev/null
applied=$(jget s4.json 'j["applied_seq"]')
# purged up to applied_seq + 1 (exclusive): the stream still reaches back
js "\$JS.API.STREAM.PURGE.IDW_P$pa" "{\"seq\": $((applied + 1))}" > /dev/null || fail "cannot purge IDW_P$pa"
cl cluster restore --partition "$pa" --dir "$WORK/E0" --json > r4.json
expect_eq "$(jget r4.json 'j["applied_seq"], j["stream_first_seq"]')" "$applied $((applied + 1))" \
    "restore with the stream purged to exactly applied_seq + 1"
cl --db "$WORK/E0" cluster apply --partition "$pa" --json > e0.json
expect_eq "$(jget e0.json 'j["applied"]')" "$n3" "E0 replays the third part"
js "\$JS.API.STREAM.PURGE.IDW_P$pa" "{\"seq\": $((applied + 3))}" > /dev/null || fail "cannot purge IDW_P$pa"
expect_rc 5 cl cluster restore --partition "$pa" --dir "$WORK/E" 2> e.err
grep -q "partition $pa: the stream IDW_P$pa no longer reaches back: the snapshot holds up to applied_seq $applied but the stream starts at seq $((applied + 3))" e.err ||
    fail "stream gap: $(cat e.err)"
[ ! -e "$WORK/E/data.mdb" ] || fail "a restore that cannot replay installed a database"
echo "ok: a stream that no longer reaches back is exit 5: $(cat e.err)"
