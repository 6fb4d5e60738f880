# The provider-wide alerts stream (cluster/alertstream.h, docs/scale-out.md
# "Alerts stream") on a real 3-node NATS JetStream cluster: one org's pages
# (generated with attacks: brute force, MFA fatigue, spray...) are published
# to its partition stream and applied into TWO databases with
# `cluster apply --publish-alerts` (two owners of one partition, as a double
# ownership or a replay after a restore would make).  Each drains its outbox
# to IDW_ALERTS; the Msg-Id "<id>:<version>" stores each version once.
# `cluster alerts --json` must list each alert once, at its latest version,
# equal to `alerts list --json` of either database on ids, versions, rules
# and statuses.  An analyst's `alerts ack` in one database queues the new
# version for the stream (the target is registered in the database, so a
# command that knows nothing of NATS queues for it); the next drain
# publishes it and `cluster alerts` shows it.  Last, 10,000 versions of
# 2,500 alerts of another org are read back and timed.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/nats/cluster.sh"

"$TOOLS/gen-events" --users 40 --days 20 --seed 42 --attacks --out acme.jsonl > /dev/null 2>&1
python3 - <<'PY'
import json, time
ev = [json.loads(l) for l in open("acme.jsonl") if l.strip()]
polled = ""
with open("pages.jsonl", "w") as out:
    for k in range(0, len(ev), 400):
        p = ev[k:k + 400]
        nxt = "https://acme.okta.com/api/v1/logs?after=%s" % p[-1]["uuid"]
        out.write(json.dumps({"org": "acme", "cursor_polled": polled, "next_cursor": nxt,
                              "fetched_at": int(time.time() * 1000) + k, "events": p}) + "\n")
        polled = nxt
PY

trap 'set +e; nats_cluster_stop' EXIT
nats_cluster_start
cat > cfg.json <<CFG
{"cluster": {"partitions": 4, "overrides": {"acme": 1},
             "nats": [$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]}}
CFG
cl() { "$IDWATCH" --config "$WORK/cfg.json" "$@"; }

# stream facts from the servers' monitoring (messages held by IDW_ALERTS)
stream_msgs() {
    for n in 1 2 3; do
        m=$(_nats_jsz "$n" "/jsz?streams=1" | python3 -c '
import json, sys
try: j = json.load(sys.stdin)
except Exception: sys.exit(0)
for a in j.get("account_details", []):
    for s in a.get("stream_detail", []):
        if s.get("name") == "IDW_ALERTS" and (s.get("cluster") or {}).get("leader") == "n'"$n"'":
            print(s["state"]["messages"])')
        [ -n "$m" ] && { echo "$m"; return 0; }
    done
    echo 0
}

# nothing published yet: no stream, an empty list (and said so)
cl cluster alerts --json > none.json 2> none.err
expect_eq "$(wc -l < none.json | tr -d ' ')" "0" "no alerts before any publish"
grep -q 'IDW_ALERTS: no such stream' none.err || fail "the missing stream is not said: $(cat none.err)"

cl cluster publish --file pages.jsonl --json > pub.json
cl --db "$WORK/db1" cluster apply --partition 1 --publish-alerts --json > ap1.json 2> ap1.err ||
    fail "apply into db1: $(cat ap1.err)"
cl --db "$WORK/db2" cluster apply --partition 1 --publish-alerts --json > ap2.json 2> ap2.err ||
    fail "apply into db2: $(cat ap2.err)"
expect_eq "$(jget ap1.json 'j["applied"]')" "$(( $(jget pub.json 'j["messages"]') + 1 ))" "db1 applied every page (and the stream's genesis)"

"$IDWATCH" --db "$WORK/db1" alerts list --json > db1.json
"$IDWATCH" --db "$WORK/db2" alerts list --json > db2.json
"$IDWATCH" --db "$WORK/db1" incidents list --json > inc1.json
nalerts=$(wc -l < db1.json | tr -d ' ')
nincidents=$(wc -l < inc1.json | tr -d ' ')
[ "$nalerts" -ge 3 ] || fail "the attacks raised only $nalerts alerts"
jlines db1.json 'sorted({r["rule"] for r in rows})'
# both databases drained everything; nothing waits in either outbox
for d in db1 db2; do
    "$IDWATCH" --db "$WORK/$d" outbox list --json > ob_$d.json
    expect_eq "$(wc -l < ob_$d.json | tr -d ' ')" "0" "$d's outbox is empty after the drain"
done

# the view: key fields of alert documents, one line per alert, sorted
view() {
    python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ids = [r["alert_id"] for r in rows]
assert len(ids) == len(set(ids)), "an alert listed twice"
for r in sorted(rows, key=lambda r: r["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], r["status"], r["domain_id"])
PY
}
cl cluster alerts --json > stream1.json 2> stream1.err || fail "cluster alerts: $(cat stream1.err)"
view db1.json > v_db1.txt
view db2.json > v_db2.txt
view stream1.json > v_stream1.txt
cmp -s v_db1.txt v_db2.txt || fail "the two owners' databases differ: $(diff v_db1.txt v_db2.txt | head)"
cmp -s v_stream1.txt v_db1.txt || fail "the stream's alerts differ from alerts list: $(diff v_stream1.txt v_db1.txt | head)"
echo "ok: cluster alerts lists the $nalerts alerts of either database, each once, at its version"
# two owners published the same versions: stored once (one message per alert and incident version)
expect_eq "$(stream_msgs)" "$((nalerts + nincidents))" "IDW_ALERTS holds each version once"
# the same order and columns as alerts list (its printing is shared)
cl cluster alerts > table_stream.txt
"$IDWATCH" --db "$WORK/db1" alerts list > table_db1.txt
cmp -s table_stream.txt table_db1.txt || fail "the table differs from alerts list's: $(diff table_stream.txt table_db1.txt | head)"

# filters: --rule, --status, --limit, --org
rule=$(jlines db1.json 'rows[0]["rule"]')
cl cluster alerts --json --rule "$rule" > by_rule.json
expect_eq "$(wc -l < by_rule.json | tr -d ' ')" "$(grep -c "\"rule\":\"$rule\"" db1.json)" "--rule $rule"
cl cluster alerts --json --limit 2 > lim.json
expect_eq "$(jlines lim.json '[r["alert_id"] for r in rows]')" "$(head -n 2 db1.json > top2.json; jlines top2.json '[r["alert_id"] for r in rows]')" "--limit 2: the two newest"
cl cluster alerts --json --org beta > beta.json
expect_eq "$(wc -l < beta.json | tr -d ' ')" "0" "--org beta: no alerts"
expect_rc 2 cl cluster alerts --status bogus 2> /dev/null
expect_rc 2 cl cluster alerts --org 'a..b' 2> /dev/null
expect_rc 2 cl cluster alerts --since yesterday 2> /dev/null
expect_rc 0 cl cluster alerts --help > help.txt
grep -q 'cluster alerts \[--org O\]' help.txt || fail "cluster alerts --help"

# an analyst acknowledges an alert in db1 with the ordinary CLI: its new version is queued for
# the stream (a registered target), published by the next drain, and listed at that version
ack_id=$(jlines db1.json 'rows[0]["alert_id"]')
ack_v=$(jlines db1.json 'rows[0]["version"]')
"$IDWATCH" --db "$WORK/db1" alerts ack "$ack_id" --by tester --note "checked" > /dev/null
"$IDWATCH" --db "$WORK/db1" outbox list --json > ob_ack.json
expect_eq "$(jlines ob_ack.json '[(r["target"], r["alert_id"], r["version"]) for r in rows if r.get("kind") != "incident"]')" \
    "[('nats-alerts', '$ack_id', $((ack_v + 1)))]" "the ack is queued for the alerts stream"
cl cluster alerts --json > before_drain.json
expect_eq "$(jlines before_drain.json '[r["version"] for r in rows if r["alert_id"] == "'"$ack_id"'"]')" "[$ack_v]" \
    "not published before the drain"
cl --db "$WORK/db1" cluster apply --partition 1 --publish-alerts --json > ap3.json 2> ap3.err ||
    fail "re-drain: $(cat ap3.err)"
expect_eq "$(jget ap3.json 'j["applied"]')" "0" "the re-drain applies nothing new"
cl cluster alerts --json > stream2.json
expect_eq "$(jlines stream2.json '[(r["version"], r["status"]) for r in rows if r["alert_id"] == "'"$ack_id"'"]')" \
    "[($((ack_v + 1)), 'acknowledged')]" "the acknowledged version is the one listed"
cl cluster alerts --json --status acknowledged > acked.json
expect_eq "$(jlines acked.json '[r["alert_id"] for r in rows]')" "['$ack_id']" "--status acknowledged"
"$IDWATCH" --db "$WORK/db1" alerts list --json > db1b.json
view db1b.json > v_db1b.txt
view stream2.json > v_stream2.txt
cmp -s v_stream2.txt v_db1b.txt || fail "after the ack, the stream differs from db1: $(diff v_stream2.txt v_db1b.txt | head)"
# db2 drains again (it never saw the ack): its older version is a duplicate, and the stream keeps the newer
cl --db "$WORK/db2" cluster apply --partition 1 --publish-alerts --json > /dev/null 2>&1
cl cluster alerts --json > stream3.json
view stream3.json > v_stream3.txt
cmp -s v_stream3.txt v_db1b.txt || fail "a stale owner's drain changed the view"

# reading 10,000 versions (2,500 alerts of org "bench", 4 versions each) published straight to
# the stream with their Msg-Ids, by a plain NATS client
port=$(echo "$NATS_URLS" | sed 's/^nats:\/\/127.0.0.1:\([0-9]*\).*/\1/')
python3 - "$port" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()                                                    # INFO
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\n')
buf = []
for v in range(1, 5):
    for i in range(2500):
        aid = "b0000000-0000-4000-8000-%012d" % i
        alert = {"alert_id": aid, "version": v, "domain_id": "bench", "rule": "brute_force",
                 "severity": "high", "score": 70, "status": "open", "summary": "bench %d" % i,
                 "last_seen": "2026-12-01T00:00:00.000Z", "last_seen_ms": 1796083200000 + i,
                 "first_seen_ms": 1796083200000}
        body = json.dumps({"v": 1, "kind": "alert", "org": "bench", "id": aid, "version": v,
                           "payload": alert}, sort_keys=True).encode()
        hdr = ("NATS/1.0\r\nNats-Msg-Id: %s:%d\r\n\r\n" % (aid, v)).encode()
        buf.append(b"HPUB idw.alert.bench %d %d\r\n%s%s\r\n" % (len(hdr), len(hdr) + len(body), hdr, body))
    s.sendall(b"".join(buf))
    buf = []
s.sendall(b"PING\r\n")
while f.readline().strip() != b"PONG":
    pass
PY
total=$((nalerts + nincidents + 1 + 10000))
# a plain publish is not acknowledged: wait until the stream has stored them all
i=0
while [ "$(stream_msgs)" -lt "$total" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
got=$(stream_msgs)
[ "$got" -ge "$total" ] || fail "the bench versions did not all land: $got < $total"
t0=$(date +%s%N)
cl cluster alerts --json --org bench > bench.json
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
expect_eq "$(jlines bench.json 'len(rows), {r["version"] for r in rows}')" "2500 {4}" \
    "10,000 versions read: 2,500 alerts at version 4"
echo "read 10,000 alert versions in $ms ms"
[ "$ms" -lt 5000 ] || fail "reading 10,000 versions took $ms ms"
t0=$(date +%s%N)
cl cluster alerts --json > all.json
t1=$(date +%s%N)
expect_eq "$(wc -l < all.json | tr -d ' ')" "$((nalerts + 2500))" "every org's alerts"
echo "read the whole stream ($(stream_msgs) messages) in $(( (t1 - t0) / 1000000 )) ms"

# NATS does not take a version (the stream was replaced by one on other subjects: every publish
# finds no stream): the drain fails, exit 1, and the version waits in the outbox with its error;
# once the stream is back, the next drain publishes it.  Never lost.
js_api() {      # js_api SUBJECT BODY: a JetStream API request by a plain client; prints the reply
    python3 - "$port" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
body = sys.argv[3].encode()
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _INBOX.t 1\r\nPUB %s _INBOX.t %d\r\n%s\r\n'
          % (sys.argv[2].encode(), len(body), body))
while True:
    line = f.readline()
    if line.startswith(b"MSG "):
        print(f.read(int(line.split()[-1]) + 2).decode().strip())
        break
    if line.startswith(b"PING"):
        s.sendall(b"PONG\r\n")
PY
}
ack2=$(jlines db1.json 'rows[1]["alert_id"]')
"$IDWATCH" --db "$WORK/db1" alerts resolve "$ack2" --by tester > /dev/null
js_api '$JS.API.STREAM.DELETE.IDW_ALERTS' '' | grep -q '"success":true' || fail "cannot delete IDW_ALERTS"
js_api '$JS.API.STREAM.CREATE.IDW_ALERTS' \
    '{"name":"IDW_ALERTS","subjects":["idw.elsewhere.>"],"storage":"file","num_replicas":1}' |
    grep -q '"config"' || fail "cannot create the decoy IDW_ALERTS"
expect_rc 1 cl --db "$WORK/db1" cluster apply --partition 1 --publish-alerts --json > ap4.json 2> ap4.err
grep -q 'versions not delivered; they stay in the outbox' ap4.err || fail "the failed drain is not said: $(tail -3 ap4.err)"
"$IDWATCH" --db "$WORK/db1" outbox list --json > ob_down.json
# the first entry tried (the incident's or the alert's) failed; the others wait with it (deferred)
expect_eq "$(jlines ob_down.json '[(r["target"], r["alert_id"], r["state"]) for r in rows if r.get("kind") != "incident"]')" \
    "[('nats-alerts', '$ack2', 'pending')]" "the version NATS did not take waits in the outbox"
expect_eq "$(jlines ob_down.json '{r["state"] for r in rows}, sum(r["attempts"] for r in rows), any("idw.alert.acme" in r["last_error"] for r in rows)')" \
    "{'pending'} 1 True" "one attempt, failed, its error kept; nothing dead"
js_api '$JS.API.STREAM.DELETE.IDW_ALERTS' '' | grep -q '"success":true' || fail "cannot delete the decoy"
cl --db "$WORK/db1" cluster apply --partition 1 --publish-alerts --json > ap5.json 2> ap5.err ||
    fail "the drain after NATS came back: $(tail -3 ap5.err)"
"$IDWATCH" --db "$WORK/db1" outbox list --json > ob_up.json
expect_eq "$(wc -l < ob_up.json | tr -d ' ')" "0" "the outbox is empty once NATS takes it"
cl cluster alerts --json --org acme > back.json
expect_eq "$(jlines back.json '[(r["alert_id"], r["status"]) for r in rows]')" "[('$ack2', 'resolved')]" \
    "the resolved version reached the stream created again"
echo "PASS"
