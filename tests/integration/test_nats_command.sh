# Commands in the log (docs/scale-out.md, src/cluster/command.h) on a real 3-node NATS
# JetStream cluster (tests/nats/cluster.sh): `idwatch cluster review`, `pause` and `resume`
# each publish ONE command message to the org's partition stream (acme by the hash, beta by
# an override).  Each message is read back with a raw $JS.API.STREAM.MSG.GET request (the NATS
# text protocol from Python) and checked field by field, with its Nats-Msg-Id header
# "cmd:<id>".  A command published twice with the same --id is stored once; --help never
# publishes; an org whose stream does not exist yet is an error (exit 1), never a new stream.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/nats/cluster.sh"

trap 'set +e; nats_cluster_stop' EXIT
nats_cluster_start
cat > cfg.json <<CFG
{"cluster": {"partitions": 8, "overrides": {"beta": 5},
             "nats": [$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]}}
CFG
cl() { "$IDWATCH" --config "$WORK/cfg.json" "$@"; }
pa=$(python3 -c '
h = 2166136261
for b in b"acme": h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 8)')
[ "$pa" != 5 ] || fail "acme and beta share a partition: the test needs two"
echo "acme → partition $pa, beta → 5 (override)"

# js.py STREAM SEQ: the message at SEQ as {"data": <JSON>, "msg_id": ...}, or {"error": ...};
# js.py STREAM info: the stream's last sequence.  A plain NATS client: request, reply inbox.
cat > js.py <<'PY'
import base64, json, socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
stream, what = sys.argv[2], sys.argv[3]
s = socket.create_connection((host, int(port)), timeout=10)
f = s.makefile("rb")
f.readline()                                                    # INFO
if what == "info":
    subj, body = "$JS.API.STREAM.INFO." + stream, b""
else:
    subj, body = "$JS.API.STREAM.MSG.GET." + stream, json.dumps({"seq": int(what)}).encode()
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nSUB _INBOX.t 1\r\n')
s.sendall(b"PUB %s _INBOX.t %d\r\n%s\r\n" % (subj.encode(), len(body), body))
while True:
    line = f.readline().decode().strip()
    if line.startswith("MSG "):
        n = int(line.split()[-1])
        reply = json.loads(f.read(n + 2)[:n])
        break
    if line == "PING":
        s.sendall(b"PONG\r\n")
if what == "info":
    print(reply["state"]["last_seq"])
elif "error" in reply:
    print(json.dumps({"error": reply["error"]}))
else:
    m = reply["message"]
    hdrs = base64.b64decode(m.get("hdrs", "")).decode()
    ids = [l.split(":", 1)[1].strip() for l in hdrs.split("\r\n") if l.lower().startswith("nats-msg-id:")]
    print(json.dumps({"seq": m["seq"], "subject": m["subject"], "msg_id": ids[0] if ids else None,
                      "data": json.loads(base64.b64decode(m["data"]))}))
PY
js() { python3 js.py "${NATS_URLS%% *}" "$@"; }

# no stream yet for acme: an error naming the partition, and no stream made by it
expect_rc 1 cl cluster pause --org acme 2> nostream.err
grep -q "partition $pa: nats: IDW_P$pa: no such stream.*nothing published" nostream.err ||
    fail "no stream: $(cat nostream.err)"
echo "ok: a command for a partition without a stream fails (exit 1), naming it"

# each partition's stream, made by its first page (as the poller's first publish would)
for o in acme beta; do
    echo "{\"org\": \"$o\", \"cursor_polled\": \"\", \"next_cursor\": \"https://$o.okta.com/n\", \"fetched_at\": 1, \"events\": []}"
done > first.jsonl
cl cluster publish --file first.jsonl --json > pub.json
expect_eq "$(jget pub.json 'j["messages"], j["duplicates"]')" "2 0" "the first pages"

alert=8d6f3b0e-1c2a-5b7e-9f00-0123456789ab
t0=$(python3 -c 'import time; print(int(time.time() * 1000))')
cl cluster review "$(echo $alert | tr a-f A-F)" --org acme --status ack --assignee ann \
    --note 'called the user; "it was me"' --by analyst-7 --json > rv.json
t1=$(python3 -c 'import time; print(int(time.time() * 1000))')
expect_eq "$(jget rv.json 'j["command"], j["partition"], j["stream"], j["seq"], j["duplicate"]')" \
    "review $pa IDW_P$pa 3 False" "review published to acme's partition"
id=$(jget rv.json 'j["id"]')
js "IDW_P$pa" 3 > m2.json
python3 - "$id" "$t0" "$t1" "$alert" "$pa" <<'PY' || fail "the review message read back: $(cat m2.json)"
import json, sys
cid, t0, t1, alert, pa = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
r = json.load(open("m2.json"))
d = r["data"]
want = {"v": 2, "type": "command", "org": "acme", "command": "review", "by": "analyst-7", "id": cid,
        "alert_id": alert, "status": "acknowledged", "assignee": "ann", "note": 'called the user; "it was me"'}
assert {k: d.get(k) for k in want} == want, d
assert set(d) == set(want) | {"at"}, sorted(d)
assert t0 <= d["at"] <= t1, (t0, d["at"], t1)
assert len(cid) == 32 and all(c in "0123456789abcdef" for c in cid), cid
assert r["msg_id"] == "cmd:" + cid, r["msg_id"]
assert r["subject"] == "idw.p%s.pg" % pa, r["subject"]
print("ok: the review message: every field, at within the command's run, Msg-Id cmd:<id>")
PY

# pause and resume beta: partition 5, sequences 3 and 4 (1: the genesis, 2: the first page);
# acme's stream untouched
cl cluster pause --org beta --reason 'SIEM migration' --by ops --json > pz.json
cl cluster resume --org beta --by ops --json > rs.json
expect_eq "$(jget pz.json 'j["partition"], j["seq"]') $(jget rs.json 'j["partition"], j["seq"]')" "5 3 5 4" \
    "pause and resume on beta's partition"
js IDW_P5 3 > p2.json
js IDW_P5 4 > p3.json
expect_eq "$(jget p2.json 'j["data"]["command"], j["data"]["org"], j["data"]["reason"], j["data"]["by"], sorted(j["data"])')" \
    "pause beta SIEM migration ops ['at', 'by', 'command', 'id', 'org', 'reason', 'type', 'v']" "the pause message"
expect_eq "$(jget p3.json 'j["data"]["command"], "reason" in j["data"], j["msg_id"] == "cmd:" + j["data"]["id"]')" \
    "resume False True" "the resume message"
expect_eq "$(js IDW_P$pa info)" 3 "acme's stream: its genesis, its page and the review, nothing of beta's"

# the same command id twice (a retry after an unknown outcome): stored once
fixed=00112233445566778899aabbccddeeff
cl cluster pause --org acme --id $fixed --json > d1.json
cl cluster pause --org acme --id $fixed --reason 'retried later' --json > d2.json
expect_eq "$(jget d1.json 'j["seq"], j["duplicate"]') $(jget d2.json 'j["seq"], j["duplicate"]')" \
    "4 False 4 True" "the same --id twice: one message, the second a duplicate"
expect_eq "$(js IDW_P$pa info)" 4 "acme's stream after the duplicate"
expect_eq "$(js IDW_P$pa 4 | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d["id"], "reason" in d)')" \
    "$fixed False" "the stored copy is the first one"

# --help anywhere never acts; bad values are usage errors naming the field, publishing nothing
cl cluster review "$alert" --org acme --status resolved --help > help.out
grep -q 'FULL alert id' help.out || fail "--help does not say the alert id must be the full id"
expect_rc 2 cl cluster review 8d6f3b0e --org acme --status resolved 2> short.err
grep -q 'alert_id: expected a full alert id' short.err || fail "a prefix: $(cat short.err)"
expect_rc 2 cl cluster review "$alert" --org acme --status open 2> st.err
grep -q 'status: expected' st.err || fail "status open: $(cat st.err)"
expect_rc 2 cl cluster resume --org acme --note x 2> note.err
expect_eq "$(js IDW_P$pa info)" 4 "acme's stream after --help and refused commands"
