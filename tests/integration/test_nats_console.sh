# The provider-wide console (docs/scale-out.md, "The provider-wide console"): `idwatch console
# --cluster` serves the API on a mirror of the alerts stream (cluster/mirror.h).  Two simulated
# Okta orgs are polled by one worker (--once) on a 3-node JetStream cluster; then, through the
# mirror console: GET /api/v1/alerts (every org) equals `cluster alerts --json` on ids, versions
# and statuses, and GET /api/v1/incidents equals the partitions' `incidents list`; a review POSTed
# to the API is published to the alert's partition log, applied by a worker, and answered with the
# next version (then seen by `cluster alerts` and the worker's partition database); a refused
# transition is a 409, as in the single process, and publishes nothing; an older version arriving
# late does not overwrite the newer one, and a malformed message is skipped, named by its sequence;
# a restart resumes at the stored position (nothing read twice); a review no worker applies in
# time is a 202 {"queued", "command_id"}; the events and people routes answer 501, saying that the
# partition's worker keeps them.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/nats/cluster.sh"
CPID=
trap 'set +e; [ -n "${CPID:-}" ] && kill "$CPID" 2>/dev/null; for d in "$WORK"/sim*/; do sim_stop "${d%/}"; done; nats_cluster_stop' EXIT

orgs="acme globex"
seed=60
for o in $orgs; do
    seed=$((seed + 1))
    "$TOOLS/gen-events" --users 20 --days 10 --seed $seed --attacks --org $o --out $o.jsonl > /dev/null 2>&1
    echo "$o-token" > t.$o; chmod 600 t.$o
    sim_start "$WORK/sim.$o" --events $o.jsonl --ssws-token-file t.$o
    echo "$SIM_URL" > url.$o
done
nats_cluster_start
URL1=${NATS_URLS%% *}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config() {      # config REVIEW_WAIT_MS
    printf '{"db": "%s/con", "cluster": {"partitions": 4, "review_wait_ms": %s, "nats": [%s]},\n "orgs": [' \
        "$WORK" "$1" "$(echo "$NATS_URLS" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')"
    sep=""
    for o in $orgs; do
        printf '%s\n  {"domain_id": "%s", "org_url": "%s", "custom_domain": true, "ca_file": "%s",
   "auth": {"method": "ssws", "token_file": "%s"}, "page_limit": 100, "backfill_days": 30}' \
            "$sep" "$o" "$(cat url.$o)" "$WORK/certs/ca.pem" "$WORK/t.$o"
        sep=","
    done
    printf ']}\n'
}
config 20000 > cfg.json
config 300 > cfg.short.json
I() { "$IDWATCH" --config "$WORK/cfg.json" "$@"; }
part() { python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 4)' "$1"; }
worker() { I --db "$WORK/w0" worker --slot 0 --slots 1 --once --json > w.out 2> w.err || { cat w.err; fail "worker"; }; }
js() { python3 "$ROOT/tests/nats/jsapi.py" "$URL1" "$@"; }
last_seq() { js "\$JS.API.STREAM.INFO.$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["last_seq"])'; }

worker
echo "worker: $(cat w.out)"

# the API's credential lives in the mirror database (<db>/cluster/mirror by default)
mkdir -p con/cluster
I --db "$WORK/con/cluster/mirror" api-token create --name bot --role analyst > tok 2>/dev/null
H="Authorization: Bearer $(cat tok)"
U=http://127.0.0.1:$PORT
start_console() {   # start_console CONFIG LOG
    "$IDWATCH" --config "$WORK/$1" console --cluster --listen 127.0.0.1:$PORT > "$2" 2>&1 &
    CPID=$!
    for _ in $(seq 100); do curl -s -o /dev/null "$U/" && return 0; sleep 0.1; done
    cat "$2"; fail "the console did not start"
}
stop_console() {
    kill "$CPID"; set +e; wait "$CPID"; crc=$?; set -e; CPID=
    expect_eq "$crc" 0 "the console stops cleanly on SIGTERM"
}
start_console cfg.json con1.log

# the provider-wide view: every org's alerts, equal to the stream's reading
view() {    # the API's alerts as "id version status" lines, sorted
    curl -s -H "$H" "$U/api/v1/alerts?limit=500" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["total"] == len(j["alerts"]), "more alerts than a page"
for a in sorted(j["alerts"], key=lambda a: a["alert_id"]): print(a["alert_id"], a["version"], a["status"])'
}
stream_view() {
    I cluster alerts --json 2>/dev/null | python3 -c '
import json, sys
for a in sorted((json.loads(l) for l in sys.stdin), key=lambda a: a["alert_id"]):
    print(a["alert_id"], a["version"], a["status"])'
}
view > api.1; stream_view > stream.1
[ "$(wc -l < api.1)" -gt 3 ] || fail "the mirror console lists $(wc -l < api.1) alerts"
cmp -s api.1 stream.1 || { diff api.1 stream.1 | head; fail "the API's alerts differ from cluster alerts"; }
orgs_seen=$(curl -s -H "$H" "$U/api/v1/alerts?limit=500" | python3 -c '
import json, sys; print(" ".join(sorted({a["domain_id"] for a in json.load(sys.stdin)["alerts"]})))')
expect_eq "$orgs_seen" "acme globex" "the console shows every org's alerts"
echo "ok: the API's $(wc -l < api.1) alerts equal cluster alerts (ids, versions, statuses)"

# incidents: the API's equal the partitions' own
curl -s -H "$H" "$U/api/v1/incidents?limit=500" | python3 -c '
import json, sys
for i in sorted(json.load(sys.stdin)["incidents"], key=lambda i: i["incident_id"]):
    print(i["incident_id"], i["version"], i["status"])' > inc.api
for o in $orgs; do I --db "$WORK/w0/cluster/p$(part $o)" incidents list --json; done | sort -u | python3 -c '
import json, sys
rows = {}
for l in sys.stdin:
    i = json.loads(l); rows[i["incident_id"]] = i
for k in sorted(rows): print(k, rows[k]["version"], rows[k]["status"])' > inc.workers
[ -s inc.api ] || fail "no incident through the mirror console"
cmp -s inc.api inc.workers || { diff inc.api inc.workers | head; fail "the API's incidents differ from the workers'"; }
echo "ok: the API's $(wc -l < inc.api) incidents equal the partitions' (ids, versions, statuses)"

# a review through the API: published to the alert's partition, applied by a worker, answered
# with the next version
set -- $(grep ' open$' api.1 | head -1)
A=$1; V=$2
O=$(curl -s -H "$H" "$U/api/v1/alerts/$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["domain_id"])')
P=$(part $O)
curl -s -o rv.json -w '%{http_code}' -H "$H" -X POST -d '{"status": "acknowledged", "note": "on it"}' \
    "$U/api/v1/alerts/$A/review" > rv.code &
RPID=$!
for _ in $(seq 100); do grep -q "review of alert $A published" con1.log && break; sleep 0.1; done
grep -q "review of alert $A published to partition $P" con1.log || fail "the review was not published"
worker
wait $RPID
expect_eq "$(cat rv.code)" 200 "the API review answers once the worker applied it"
expect_eq "$(jget rv.json '(j["version"], j["status"], j["history"][-1]["by"])')" \
    "($((V + 1)), 'acknowledged', 'api:bot')" "the answer is the next version"
stream_view > stream.2
grep -q "^$A $((V + 1)) acknowledged$" stream.2 || fail "cluster alerts does not show the review"
I --db "$WORK/w0/cluster/p$P" alerts list --json | grep "\"$A\"" | python3 -c '
import json, sys; a = json.load(sys.stdin); print(a["version"], a["status"])' > pdb.a
expect_eq "$(cat pdb.a)" "$((V + 1)) acknowledged" "the worker's partition database holds the review"

# a refused transition: the same code as the single process, and nothing published
S1=$(last_seq IDW_P$P)
code=$(curl -s -o ref.json -w '%{http_code}' -H "$H" -X POST -d '{"status": "acknowledged"}' "$U/api/v1/alerts/$A/review")
expect_eq "$code" 409 "acknowledging an acknowledged alert is refused"
grep -q "acknowledged" ref.json || fail "the refusal does not say why: $(cat ref.json)"
expect_eq "$(last_seq IDW_P$P)" "$S1" "a refused review publishes nothing"

# an older version arriving late (another owner's replay) does not overwrite the newer one; a
# malformed message is skipped, named by its sequence, and the mirror goes on
I --db "$WORK/w0/cluster/p$P" alerts list --json | grep "\"$A\"" | python3 -c '
import json, sys
a = json.load(sys.stdin); a["version"] = 1; a["status"] = "open"; a["summary"] = "STALE COPY"
print(json.dumps({"v": 1, "kind": "alert", "org": a["domain_id"], "id": a["alert_id"], "version": 1, "payload": a}))' > old.json
js "idw.alert.$O" "$(cat old.json)" > /dev/null || fail "publishing the stale copy"
bad=$(js "idw.alert.$O" '{"v":1,"kind":"alert"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
sleep 1.5
curl -s -H "$H" "$U/api/v1/alerts/$A" > a.now
expect_eq "$(jget a.now '(j["version"], j["status"])')" "($((V + 1)), 'acknowledged')" "an older version does not overwrite"
grep -q "IDW_ALERTS seq $bad: skipped" con1.log || fail "the malformed message is not named: $(tail -3 con1.log)"

# the routes only the partition's worker can answer
code=$(curl -s -o ev.json -w '%{http_code}' -H "$H" "$U/api/v1/events/00000000-0000-0000-0000-000000000000")
expect_eq "$code" 501 "events: not available in the distributed mode"
grep -q "kept by the partition's worker" ev.json || fail "the events error does not say why: $(cat ev.json)"
code=$(curl -s -o pe.json -w '%{http_code}' -H "$H" "$U/api/v1/people/someone?domain=$O")
expect_eq "$code" 501 "people: not available in the distributed mode"

# a restart resumes at the stored position: nothing read twice, the same view
stop_console
start_console cfg.short.json con2.log
grep -q "mirror of the alerts stream: .*, at seq [0-9]* (0 messages read)" con2.log || \
    fail "the restart read the stream again: $(grep 'mirror of' con2.log)"
view > api.3; stream_view > stream.3
cmp -s api.3 stream.3 || { diff api.3 stream.3 | head; fail "after a restart the API differs from cluster alerts"; }
expect_eq "$(sort api.3 | uniq -d | wc -l)" 0 "no alert twice after the restart"

# no worker applies it within review_wait_ms (300 ms): 202 with the command's id
set -- $(grep ' open$' api.3 | head -1)
B=$1; VB=$2
code=$(curl -s -o q.json -w '%{http_code}' -H "$H" -X POST -d '{"status": "resolved"}' "$U/api/v1/alerts/$B/review")
expect_eq "$code" 202 "a review not applied in time is accepted"
expect_eq "$(jget q.json '(j["queued"], len(j["command_id"]))')" "(True, 32)" "queued, with the command id"
# a bulk review: each open alert published (queued: no worker within 300 ms), the acknowledged A
# refused as in the single process; an assignment alone cannot be a command of the log (400)
set -- $(grep ' open$' api.3 | sed -n 2p); C=$1; VC=$2
code=$(curl -s -o bulk.json -w '%{http_code}' -H "$H" -X POST -d "{\"ids\": [\"$C\", \"$A\"], \"status\": \"acknowledged\"}" \
    "$U/api/v1/alerts/review")
expect_eq "$code" 200 "a bulk review"
expect_eq "$(jget bulk.json '[(r["ok"], r.get("queued"), len(r.get("command_id", ""))) for r in j["results"]]')" \
    "[(True, True, 32), (False, None, 0)]" "the bulk review: one queued, the acknowledged one refused"
code=$(curl -s -o asg.json -w '%{http_code}' -H "$H" -X POST -d '{"assignee": "bob"}' "$U/api/v1/alerts/$C/review")
expect_eq "$code" 400 "an assignment alone is refused in the distributed mode"
grep -q "sets a status" asg.json || fail "the refusal does not say why: $(cat asg.json)"
# an incident's review: queued like an alert's (202, not the incident as it was before); an
# assignment alone is a 400 as for an alert, not a 409
INC=$(curl -s -H "$H" "$U/api/v1/incidents?limit=500" | python3 -c '
import json, sys, urllib.request
opn = {l.split()[0] for l in open("api.3") if l.split()[2] == "open"} - {sys.argv[1], sys.argv[2]}
for i in json.load(sys.stdin)["incidents"]:
    req = urllib.request.Request(sys.argv[3] + "/api/v1/incidents/" + i["incident_id"], headers={"Authorization": sys.argv[4].split(": ", 1)[1]})
    ids = [a["alert_id"] for a in json.load(urllib.request.urlopen(req))["alerts"]]
    if set(ids) & opn and not set(ids) & {sys.argv[1], sys.argv[2]}:
        print(i["incident_id"], sorted(set(ids) & opn)[0]); break' "$B" "$C" "$U" "$H")
[ -n "$INC" ] || fail "no incident with an open alert to review"
set -- $INC; INC=$1; D=$2
code=$(curl -s -o iasg.json -w '%{http_code}' -H "$H" -X POST -d '{"assignee": "bob"}' "$U/api/v1/incidents/$INC/review")
expect_eq "$code" 400 "an incident's assignment alone is refused in the distributed mode"
code=$(curl -s -o iq.json -w '%{http_code}' -H "$H" -X POST -d '{"status": "acknowledged"}' "$U/api/v1/incidents/$INC/review")
expect_eq "$code" 202 "an incident's review not applied in time is accepted"
expect_eq "$(jget iq.json '(j["queued"], j["incident_id"], j["queued_alerts"] >= 1)')" "(True, '$INC', True)" \
    "the incident's review: queued, naming the incident"
code=$(curl -s -o aev.json -w '%{http_code}' -H "$H" "$U/api/v1/alerts/$A/events")
expect_eq "$code" 501 "an alert's events: not available in the distributed mode"
worker
sleep 1.5
curl -s -H "$H" "$U/api/v1/alerts/$B" > b.now
expect_eq "$(jget b.now '(j["version"], j["status"])')" "($((VB + 1)), 'resolved')" "the queued review arrives"
curl -s -H "$H" "$U/api/v1/alerts/$C" > c.now
expect_eq "$(jget c.now '(j["version"], j["status"])')" "($((VC + 1)), 'acknowledged')" "the bulk review arrives"
expect_eq "$(curl -s -H "$H" "$U/api/v1/alerts/$D" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" \
    acknowledged "the incident's review arrives"
view > api.4; stream_view > stream.4
cmp -s api.4 stream.4 || { diff api.4 stream.4 | head; fail "at the end the API differs from cluster alerts"; }

# the alerts stream deleted and created again (it now ends below the mirror's position): the mirror
# says so and reads the new stream from its start
js "\$JS.API.STREAM.DELETE.IDW_ALERTS" > /dev/null || fail "deleting IDW_ALERTS"
js "\$JS.API.STREAM.CREATE.IDW_ALERTS" '{"name": "IDW_ALERTS", "subjects": ["idw.alert.>"], "num_replicas": 3, "storage": "file"}' \
    > /dev/null || fail "creating IDW_ALERTS again"
curl -s -H "$H" "$U/api/v1/alerts/$A" | python3 -c '
import json, sys
a = json.load(sys.stdin); a["version"] += 5; a["summary"] = "AFTER RE-CREATION"
print(json.dumps({"v": 1, "kind": "alert", "org": a["domain_id"], "id": a["alert_id"], "version": a["version"], "payload": a}))' > new.json
js "idw.alert.$O" "$(cat new.json)" > /dev/null || fail "publishing into the new stream"
for _ in $(seq 50); do grep -q "stream was created again" con2.log && break; sleep 0.1; done
grep -q "IDW_ALERTS ends at seq [01], below the mirror.s position" con2.log || fail "the re-created stream is not said: $(tail -3 con2.log)"
summary() { curl -s -H "$H" "$U/api/v1/alerts/$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"])'; }
for _ in $(seq 50); do [ "$(summary)" = "AFTER RE-CREATION" ] && break; sleep 0.2; done
expect_eq "$(summary)" "AFTER RE-CREATION" "the mirror reads a re-created stream from its start"
stop_console
