#!/bin/sh
# make demo: the main job, end to end, on this machine only (127.0.0.1).
#
#   1. generates four weeks of a 120-person Okta org with a handful of
#      attacks (tools/gen-events.c --attacks) and serves it from the
#      project's simulated Okta org over HTTPS, OAuth private_key_jwt + DPoP;
#   2. starts a SOAR webhook receiver that verifies every signature;
#   3. writes a configuration for both, then runs
#        idwatch okta test-connection
#        idwatch backfill      (the first two weeks: personas are seeded,
#                               historical alerts are kept but not delivered)
#        idwatch run --once    (the last two weeks, attacks included: alerts
#                               are raised and delivered)
#   4. prints the alerts and incidents, one attacked user's persona, and what
#      the receiver accepted;
#   5. creates a console user with a random password and serves the web
#      console on 127.0.0.1: on a terminal it waits for Enter while you
#      triage in the browser; otherwise it signs in once over the API to
#      show the login works.  Everything lives in a temporary directory that
#      is removed at the end.
set -eu
IDWATCH=$(cd "$(dirname "${1:-./idwatch}")" && pwd)/$(basename "${1:-./idwatch}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN=$(cd "$(dirname "${GEN:-$ROOT/build/tools/gen-events}")" && pwd)/gen-events
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/idwatch-demo.XXXXXX")
cleanup() {
    for d in "$W/okta" "$W/soar" "$W/console"; do
        [ -f "$d/pid" ] && { kill "$(cat "$d/pid")" 2>/dev/null || true; wait "$(cat "$d/pid")" 2>/dev/null || true; }
    done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

wait_ready() {
    i=0
    while [ ! -f "$1/ready" ]; do
        i=$((i + 1))
        if [ $i -ge 150 ]; then cat "$1/stdout" >&2; echo "demo: $2 did not start" >&2; exit 1; fi
        sleep 0.1
    done
}
step() { printf '\n== %s\n' "$*"; }

cd "$W"
start=$(date -u -d '-29 days' +%Y-%m-%d)
"$GEN" --users 120 --days 28 --start "$start" --seed 42 --attacks --labels labels.jsonl --out events.jsonl
sh "$ROOT/tests/okta_sim/mkcerts.sh" certs > /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out okta-key.pem 2>/dev/null
chmod 600 okta-key.pem
openssl pkey -in okta-key.pem -pubout -out okta-pub.pem
(umask 077 && openssl rand -hex 32 > webhook.secret)

mkdir okta soar
$PY "$ROOT/tests/okta_sim/okta_sim.py" --state-dir okta --cert-dir certs --events events.jsonl \
    --release all --client-pubkey okta-pub.pem --client-kid demo-key --require-dpop \
    --rate-limit 6000 > okta/stdout 2>&1 &
echo $! > okta/pid
$PY "$ROOT/tests/soar_sim/soar_sim.py" --state-dir soar --cert-dir certs --secret-file webhook.secret \
    > soar/stdout 2>&1 &
echo $! > soar/pid
wait_ready okta "the simulated Okta org"
wait_ready soar "the SOAR receiver"
OKTA=https://127.0.0.1:$(cat okta/port)
SOAR=https://127.0.0.1:$(cat soar/port)
cat > idwatch.json <<JSON
{"db": "$W/db", "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$OKTA", "custom_domain": true, "ca_file": "$W/certs/ca.pem",
           "auth": {"method": "private_key_jwt", "client_id": "0oaTESTCLIENT", "private_key_file": "$W/okta-key.pem",
                    "key_id": "demo-key", "dpop": true}, "poll_interval_s": 5}],
 "webhooks": [{"name": "soar", "url": "$SOAR/hooks/idwatch", "secret_file": "$W/webhook.secret",
               "ca_file": "$W/certs/ca.pem", "min_severity": "medium"}]}
JSON

step "a simulated Okta org at $OKTA: $(wc -l < events.jsonl | tr -d ' ') events of 120 people over the last 28 days, $(wc -l < labels.jsonl | tr -d ' ') attacks in them; a SOAR receiver at $SOAR"
step "idwatch okta test-connection   (OAuth 2.0 client credentials, private_key_jwt RS256, DPoP)"
"$IDWATCH" --config idwatch.json okta test-connection
step "idwatch backfill --days 30   (seeds the personas; alerts on this history are kept as historical, not sent to the SOAR)"
"$IDWATCH" --log-level warn --config idwatch.json backfill --days 30
step "the org keeps living: a brute force on two people arrives now; idwatch run --once"
# the live attack: a brute force on two people, published now (after the backfill began)
$PY - <<'PY'
import json, datetime
evs = [json.loads(l) for l in open("events.jsonl") if l.strip()]
users = sorted({(e["actor"]["id"], e["actor"]["alternateId"]) for e in evs
                if e["eventType"] == "user.session.start" and e["actor"].get("type") == "User"})
now, out = datetime.datetime.utcnow(), []
for k, (uid, login) in enumerate(users[5:7]):
    for i in range(13):
        t = now + datetime.timedelta(seconds=20 * k + i)
        out.append({"uuid": "demo-live-%d-%d" % (k, i), "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "eventType": "user.session.start", "displayMessage": "User login to Okta",
                    "actor": {"id": uid, "type": "User", "alternateId": login},
                    "client": {"ipAddress": "185.220.101.%d" % (40 + k)}, "securityContext": {"asNumber": 208294},
                    "outcome": {"result": "SUCCESS" if i == 12 else "FAILURE",
                                "reason": None if i == 12 else "INVALID_CREDENTIALS"}})
json.dump({"events": out, "release": True}, open("live.json", "w"))
PY
curl -sS --cacert certs/ca.pem -X POST -H 'Content-Type: application/json' -d @live.json \
    "$OKTA/__control/inject" > /dev/null
"$IDWATCH" --log-level warn --config idwatch.json run --once
step "idwatch status"
"$IDWATCH" --config idwatch.json status
step "idwatch alerts list --severity medium"
"$IDWATCH" --config idwatch.json alerts list --severity medium
step "idwatch incidents list   (alerts of one compromise, grouped)"
"$IDWATCH" --config idwatch.json incidents list
victim=$($PY -c 'import json
for l in open("labels.jsonl"):
    r = json.loads(l)
    if r["rule"] == "new_context" and r["user"]: print(r["user"]); break')
step "idwatch persona show $victim   (the user of the new_context attack)"
"$IDWATCH" --config idwatch.json persona show "$victim" | head -40
step "what the SOAR receiver accepted (every request's HMAC-SHA256 signature and timestamp checked)"
curl -sS --cacert certs/ca.pem "$SOAR/__control/stats" | $PY -c '
import json, sys
s = json.load(sys.stdin)
rows = [json.loads(l) for l in open("soar/requests.jsonl") if l.strip()]
print("accepted %d deliveries of %d alerts, rejected %d, duplicates %d" %
      (s["accepted"], len(s["alerts"]), s["rejected"], s["duplicates"]))
latest = {}
for r in rows:
    if r.get("status") == 200 and r.get("verified") and not r.get("duplicate"):
        latest[r["alert_id"]] = r
for r in sorted(latest.values(), key=lambda r: r["body"]["first_seen"]):
    b = r["body"]
    print("  %-9s %-18s v%-3d %-32s %s" % (b["severity"], b["rule"], r["version"], b["user"] or b["ip"], r["idempotency_key"][:13] + "…"))
'

step "the web console"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(15))' > console.password)
"$IDWATCH" --config idwatch.json user add demo --role analyst --password-file console.password
mkdir console
"$IDWATCH" --log-level warn --config idwatch.json console --listen "127.0.0.1:$PORT" > console/stdout 2>&1 &
echo $! > console/pid
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    i=$((i + 1))
    if [ $i -ge 100 ]; then cat console/stdout >&2; echo "demo: the console did not start" >&2; exit 1; fi
    sleep 0.1
done
echo "console:  http://127.0.0.1:$PORT/"
echo "login:    demo"
echo "password: $(cat console.password)   (made for this demo; gone when it ends)"
if [ -t 0 ]; then
    printf 'Triage the incidents in your browser; press Enter to stop the demo. '
    read -r _
else
    # not on a terminal (CI, a pipe): sign in once over the API to show the login works
    $PY - "$PORT" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
body = json.dumps({"username": "demo", "password": open("console.password").read().strip()}).encode()
req = urllib.request.Request("http://127.0.0.1:%s/api/v1/session" % port, data=body, method="POST",
                             headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:%s" % port})
with urllib.request.urlopen(req, timeout=10) as r:
    who = json.load(r)
cookie = r.headers["Set-Cookie"].split(";")[0]
req = urllib.request.Request("http://127.0.0.1:%s/api/v1/incidents?limit=5" % port, headers={"Cookie": cookie})
with urllib.request.urlopen(req, timeout=10) as r:
    inc = json.load(r)
print("signed in as %s (%s); the console lists %d incidents" % (who["user"], who["role"], inc["total"]))
PY
fi
step "done; the simulated org, the receiver, the console and $W are removed"
