# The scale-out mode's write-ahead log on a real 3-node NATS JetStream
# cluster (tests/nats/cluster.sh, docs/scale-out.md): pages of two generated
# orgs are published to their partitions' R3 streams (twice: the second copy
# is de-duplicated by Msg-Id), the stream leader node is killed -9 midway,
# the applier (`idwatch cluster apply`) is killed -9 too, a page that does not
# chain from the org's cursor is slipped into the stream, and the database
# built by applying the streams must equal a single-process `idwatch ingest`
# of the same events: personas byte for byte, alerts on ids, versions and
# event ids.  A second database applied from sequence 1 in one go must equal
# it too (re-applying is deterministic).
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/nats/cluster.sh"

"$TOOLS/gen-events" --users 40 --days 20 --seed 42 --attacks --out acme.jsonl > /dev/null 2>&1
"$TOOLS/gen-events" --users 30 --days 20 --seed 7 --attacks --out beta.jsonl > /dev/null 2>&1

# the reference: one process, one org at a time
for o in acme beta; do
    "$IDWATCH" --db "$WORK/ref" ingest --file $o.jsonl --domain $o > /dev/null
done

# pages of at most 25 events (hundreds of pages: the applier is killed mid-drain) with synthetic Okta cursors; the first page polls "" (no cursor yet)
python3 - <<'PY'
import json, time
out = open("pages.jsonl", "w")
first = open("pages1.jsonl", "w")
for org in ("acme", "beta"):
    ev = [json.loads(l) for l in open(org + ".jsonl") if l.strip()]
    polled = ""
    pages = [ev[i:i + 25] for i in range(0, len(ev), 25)]
    for k, p in enumerate(pages):
        nxt = "https://%s.okta.com/api/v1/logs?after=%s" % (org, p[-1]["uuid"])
        line = json.dumps({"org": org, "cursor_polled": polled, "next_cursor": nxt,
                           "fetched_at": int(time.time() * 1000) + k, "events": p}) + "\n"
        out.write(line)
        if k < len(pages) // 2:
            first.write(line)
        polled = nxt
# a page polled from a cursor the chain never had (a stray poller): its events are new
# (fresh uuids, a new address): applying it would change acme's personas
ev = [json.loads(l) for l in open("acme.jsonl") if l.strip()][:50]
for i, e in enumerate(ev):
    e["uuid"] = "00000000-0000-4000-8000-%012d" % i
    e["client"]["ipAddress"] = "203.0.113.77"
json.dump({"org": "acme", "cursor_polled": "https://acme.okta.com/api/v1/logs?after=stray",
           "next_cursor": "https://acme.okta.com/api/v1/logs?after=stray2", "fetched_at": 1, "events": ev},
          open("stray.jsonl", "w"))
open("stray.jsonl", "a").write("\n")
PY
pages=$(wc -l < pages.jsonl)
half=$(wc -l < pages1.jsonl)

# the server's own partition mapping, to compare with idwatch's (below)
NATS_EXTRA_CONF='mappings = { "idw.in.*": "idw.map.{{partition(8,1)}}.{{wildcard(1)}}" }'
trap 'set +e; nats_cluster_stop' EXIT
nats_cluster_start
cat > cfg.json <<CFG
{"cluster": {"partitions": 8, "overrides": {"beta": 5},
             "nats": [$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]}}
CFG
cl() { "$IDWATCH" --config "$WORK/cfg.json" "$@"; }
# acme's partition: FNV-1a 32 of its name mod 8, computed independently here
pa=$(python3 -c '
h = 2166136261
for b in b"acme": h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 8)')
echo "acme → partition $pa, beta → 5 (override)"

# The server maps idw.in.<org> to idw.map.<partition(8)>.<org>: a plain NATS client (the
# text protocol, a few lines) publishes for each org and reads the mapped subject back.
# It must equal FNV-1a 32 mod 8 as computed above, which the stream acme's pages land in
# confirms for idwatch's own C code (acme's stream message count, below).
python3 - "${NATS_URLS%% *}" > mapping.txt <<'PY'
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
orgs = ["acme", "beta", "globex", "initech", "umbrella-corp", "x"]     # one subject token each: no dots
s = socket.create_connection((host, int(port)), timeout=5)
f = s.makefile("rb")
f.readline()                                                    # INFO
s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB idw.map.> 1\r\n')
for o in orgs:
    s.sendall(b"PUB idw.in.%s 0\r\n\r\n" % o.encode())
s.sendall(b"PING\r\n")
got, pings = {}, 1
while pings < 50:
    line = f.readline().decode().strip()
    if not line:
        break
    if line.startswith("MSG "):
        subj = line.split()[1]                                  # idw.map.<p>.<org...>
        p, org = subj.split(".", 3)[2], subj.split(".", 3)[3]
        got[org] = int(p)
        f.readline()                                            # the empty payload
    elif line == "PONG" and len(got) == len(orgs):
        break
    elif line == "PONG":
        pings += 1
        s.sendall(b"PING\r\n")
for o in orgs:
    h = 2166136261
    for b in o.encode(): h = ((h ^ b) * 16777619) & 0xffffffff
    print(o, got.get(o, "none"), h % 8)
PY
cat mapping.txt
python3 - <<'PY' || fail "the server's partition() mapping and FNV-1a 32 mod 8 disagree"
import sys
rows = [l.split() for l in open("mapping.txt")]
sys.exit(0 if rows and all(r[1] == r[2] for r in rows) else 1)
PY
expect_eq "$(awk '$1 == "acme" {print $2}' mapping.txt)" "$pa" "acme's partition by the server's mapping"


# the first half, then everything (the first half again: duplicates)
cl cluster publish --file pages1.jsonl --json > pub1.json
expect_eq "$(jget pub1.json 'j["messages"], j["duplicates"], j["bad"]')" "$half 0 0" "first publish"
cl --db "$WORK/db" cluster apply --partition "$pa" --json > ap1.json
cl --db "$WORK/db" cluster apply --partition 5 --json > /dev/null

# kill -9 the node leading acme's stream; publishing and applying carry on after the election
leader=$(nats_stream_leader "IDW_P$pa") || fail "no leader for IDW_P$pa"
nats_kill9 "$leader"
cl cluster publish --file pages.jsonl --json > pub2.json
# every page once; at least the first half a duplicate (a publish the old leader stored but
# did not acknowledge before it died is retried, and comes back a duplicate too)
expect_eq "$(jget pub2.json 'j["messages"], j["duplicates"] >= '"$half")" "$pages True" \
    "second publish (first half de-duplicated, at least)"

# the applier killed -9 three times mid-drain, then run to the end.  idwatch itself is
# started in the background ($! of a shell function would be a subshell's, and killing it
# would leave idwatch running); each kill must land while it is draining: it died of
# SIGKILL, and the applied_seq it committed (read from the meta table, no writer) lies
# strictly between where it started and the stream's end.
applied_seq() {     # a few ms (sed, not Python): polled in a tight loop while the applier drains
    v=$(mdb_dump -p -s meta "$WORK/db" | sed -n "/^ cluster_applied\\\\00p$pa\\\\00\$/{n;s/[^0-9]//g;p;q}")
    echo "${v:-0}"
}
# every stream starts with its genesis message (the key for unknown usernames): one more message
acme_pages=$(( $(grep -c '"org": "acme"' pages.jsonl) + 1 ))
APPLIER=""
trap 'set +e; [ -n "${APPLIER:-}" ] && kill -9 "$APPLIER" 2>/dev/null; nats_cluster_stop' EXIT
for k in 1 2 3; do
    before=$(applied_seq)
    "$IDWATCH" --config "$WORK/cfg.json" --db "$WORK/db" cluster apply --partition "$pa" > /dev/null 2>&1 &
    APPLIER=$!
    i=0
    while [ "$(applied_seq)" -le "$before" ] && [ "$i" -lt 6000 ]; do i=$((i + 1)); done
    kill -9 "$APPLIER" 2>/dev/null || true
    rc=0; wait "$APPLIER" 2>/dev/null || rc=$?
    APPLIER=""
    after=$(applied_seq)
    sleep 0.3       # an applier that outlived the kill would move applied_seq meanwhile
    [ "$(applied_seq)" = "$after" ] || fail "applier $k still running after its kill -9"
    echo "applier $k: applied_seq $before → $after of $acme_pages, exit $rc"
    [ "$rc" = 137 ] || fail "applier $k was not killed mid-drain (exit $rc)"
    [ "$before" -lt "$after" ] && [ "$after" -lt "$acme_pages" ] ||
        fail "applier $k: kill not mid-drain (applied_seq $before → $after, stream ends at $acme_pages)"
done
nats_restart "$leader"
cl --db "$WORK/db" cluster apply --partition "$pa" --json > ap2.json
cl --db "$WORK/db" cluster apply --partition 5 --json > ap5.json
# the duplicates stored nothing: beta's stream holds one message per beta page
beta_pages=$(( $(grep -c '"org": "beta"' pages.jsonl) + 1 ))
expect_eq "$(jget ap5.json 'j["to_seq"]')" "$beta_pages" "beta's stream: its genesis, one message per page"

# everything once more after the node is back: all duplicates; then the stray page
cl cluster publish --file pages.jsonl --json > pub3.json
expect_eq "$(jget pub3.json 'j["messages"], j["duplicates"]')" "$pages $pages" "third publish (all duplicates)"
cl cluster publish --file stray.jsonl --json > /dev/null
cl --db "$WORK/db" cluster apply --partition "$pa" --json > ap3.json
expect_eq "$(jget ap3.json 'j["applied"], j["skipped"], j["malformed"]')" "0 1 0" \
    "the stray page is skipped (its cursor is not acme's)"
expect_eq "$(jget ap3.json 'j["to_seq"]')" "$((acme_pages + 1))" "acme's stream: its genesis, one message per page, plus the stray"
cl --db "$WORK/db" cluster apply --partition "$pa" --json > ap4.json
expect_eq "$(jget ap4.json 'j["applied"] + j["skipped"] + j["already"]')" "0" "applying again does nothing"

# a line that is not a page: reported with its line number, the rest published (exit 3;
# the good line is a page already in: a duplicate)
{ head -n 1 pages.jsonl; echo '{"org": "acme", "events": []}'; } > mixed.jsonl
expect_rc 3 cl cluster publish --file mixed.jsonl --json > mixed.json 2> mixed.err
grep -q 'line 2: wal: expected exactly org' mixed.err || fail "the bad line is not named: $(cat mixed.err)"
# credentials in a NATS URL: refused, never echoed
expect_rc 1 cl cluster publish --file mixed.jsonl --nats "nats://u:hunter2secret@127.0.0.1:1" 2> cred.err
grep -q 'credentials in a URL are not supported' cred.err || fail "credentials URL: $(cat cred.err)"
if grep -q hunter2secret cred.err; then fail "the password was echoed"; fi
echo "ok: a bad line is named and skipped; a URL with credentials is refused unechoed"

# a second database applied from sequence 1 in one go
cl --db "$WORK/db2" cluster apply --partition "$pa" > /dev/null
cl --db "$WORK/db2" cluster apply --partition 5 > /dev/null

alerts() {
    "$IDWATCH" --db "$1" alerts list --json | python3 -c '
import json, sys
for r in sorted((json.loads(l) for l in sys.stdin), key=lambda a: a["alert_id"]):
    print(r["alert_id"], r["version"], r["rule"], ",".join(sorted(r["event_ids"])))'
}
for o in acme beta; do
    dump_personas "$WORK/ref" $o > ref.$o
    [ -s ref.$o ] || fail "no personas for $o in the reference"
    for d in db db2; do
        dump_personas "$WORK/$d" $o > $d.$o
        cmp -s ref.$o $d.$o || { diff ref.$o $d.$o | head -5; fail "$d: $o's personas differ from ingest's"; }
    done
    echo "ok: $o: personas equal ingest's ($(wc -l < ref.$o) lines of persona JSON)"
done
alerts "$WORK/ref" > ref.alerts
[ -s ref.alerts ] || fail "the reference raised no alert"
for d in db db2; do
    alerts "$WORK/$d" > $d.alerts
    cmp -s ref.alerts $d.alerts || { diff ref.alerts $d.alerts | head -5; fail "$d: alerts differ from ingest's"; }
done
echo "ok: alerts equal ingest's ($(wc -l < ref.alerts) alerts: ids, versions, event ids)"

# a page whose encoding fits max_payload (1 MiB) but not with its Nats-Msg-Id header: the
# server checks headers plus body, so the publisher splits it (two chunks) rather than have
# it refused.  Published last, in an org of its own: nothing applies it.
python3 - <<'PY'
import json, time
page = {"org": "gamma", "cursor_polled": "", "next_cursor": "https://gamma.okta.com/api/v1/logs?after=g",
        "fetched_at": 1, "events": [{"uuid": "g%d" % i, "pad": "x" * 1000} for i in range(1000)]}
enc = lambda p: json.dumps(p, separators=(",", ":"))
page["events"][-1]["pad"] = ""
page["events"][-1]["pad"] = "x" * (1024 * 1024 - 20 - len(enc(page)))
assert len(enc(page)) == 1024 * 1024 - 20
open("big.jsonl", "w").write(enc(page) + "\n")
PY
cl cluster publish --file big.jsonl --json > big.json || fail "a page of max_payload - 20 bytes was not published"
expect_eq "$(jget big.json 'j["messages"], j["split_pages"], j["bad"]')" "2 1 0" \
    "a page of max_payload - 20 bytes: split in two (room for its headers)"
