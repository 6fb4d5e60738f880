#!/bin/sh
# selftest.sh: checks the simulated SOAR receiver on its own, with curl and
# openssl as an independent webhook client (no idwatch binary needed).
# Starts soar_sim.py, sends signed, duplicate, forged, stale, malformed and
# fault-injected deliveries, compares every answer and the final stats, and
# stops it.  Exits non-zero on the first mismatch.
#   sh tests/soar_sim/selftest.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soar-selftest.XXXXXX")
export ROOT WORK
. "$ROOT/tests/soar_sim/soar_lib.sh"
# soar_lib.sh's EXIT trap stops the receiver; also drop the scratch directory
# when everything passed (it is kept, and named, after a failure)
trap 'rc=$?; for d in "$WORK"/*/; do [ -f "${d}pid" ] && { kill "$(cat "${d}pid")" 2>/dev/null; wait "$(cat "${d}pid")" 2>/dev/null; }; done
      if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "scratch kept in $WORK" >&2; fi' EXIT

SD=$WORK/soar
B=$WORK/bodies
mkdir -p "$B"
soar_secret "$WORK/old.secret"
soar_secret "$WORK/new.secret"
soar_secret "$WORK/wrong.secret"

# expected counters, advanced by each check below
ACC=0 DUP=0 REJ=0 FLT=0 REQ=0

# ---- a client written with openssl + curl ---------------------------------
# sign SECRET_FILE TS BODY_FILE: lowercase hex HMAC-SHA256(secret, "TS." + body)
sign() {
    hexkey=$(head -n 1 "$1" | tr -d '\r\n' | od -An -v -tx1 | tr -d ' \n')
    { printf '%s.' "$2"; cat "$3"; } | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -r | cut -d ' ' -f 1
}
# post NAME BODY_FILE KEY [TS] [SECRET_FILE] [--omit HEADER | --set 'HEADER: VALUE' | curl args]...
# sends a delivery with every header right unless omitted or replaced, and
# prints the HTTP status; the answer body is in $WORK/NAME.out.  TS "" = now.
post() {
    name=$1 body=$2 key=$3 ts=${4:-} sec=${5:-$WORK/old.secret}
    shift 3; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
    [ -n "$ts" ] || ts=$(date +%s)
    h=$WORK/$name.headers
    printf '%s\n' 'Content-Type: application/json' 'User-Agent: idwatch/0.1.0' \
        "X-Idwatch-Timestamp: $ts" "X-Idwatch-Signature: v1=$(sign "$sec" "$ts" "$body")" \
        "Idempotency-Key: $key" > "$h"
    while [ $# -gt 0 ]; do
        case $1 in
        --omit) grep -v -i "^$2:" "$h" > "$h.new" || true; mv "$h.new" "$h"; shift 2 ;;
        --set) grep -v -i "^${2%%:*}:" "$h" > "$h.new" || true; printf '%s\n' "$2" >> "$h.new"; mv "$h.new" "$h"; shift 2 ;;
        *) break ;;
        esac
    done
    curl -sS --cacert "$WORK/certs/ca.pem" -o "$WORK/$name.out" -w '%{http_code}' \
        -H "@$h" "$@" --data-binary "@$body" "$SOAR_URL/hooks/idwatch"
}
# check NAME EXPECTED_STATUS ACTUAL_STATUS [DUPLICATE true|false]
check() {
    expect_eq "$3" "$2" "$1: HTTP status"
    if [ $# -gt 3 ]; then
        expect_eq "$(jget "$WORK/$1.out" 'str(j["duplicate"]).lower()')" "$4" "$1: duplicate"
    fi
}

native() {  # native ALERT_ID VERSION FILE
    cat > "$3" <<JSON
{"alert_id":"$1","version":$2,"rule":"mfa_fatigue","severity":"high","score":80,"domain_id":"acme","tuid":"u1","user":"alice@acme.com","ip":"198.51.100.7","entity":"user:u1","first_seen":"2024-05-01T10:00:00Z","last_seen":"2024-05-01T10:04:00Z","event_ids":["e1","e2"],"event_count":2,"summary":"7 push prompts in 4 minutes \u2014 r\u00e9sum\u00e9","evidence":"push rate 7/4min","mitre":["T1621"],"stage":"Compromise Identity","status":"open","history":[],"historical":false}
JSON
}
ocsf() {  # ocsf ALERT_ID FILE
    cat > "$2" <<JSON
{"class_uid":2004,"class_name":"Detection Finding","category_uid":2,"activity_id":1,"type_uid":200401,"severity_id":4,"time":1714557600000,"metadata":{"version":"1.1.0","product":{"name":"idwatch","vendor_name":"idwatch"}},"finding_info":{"uid":"$1","title":"Password spray","analytic":{"name":"password_spray","type_id":1}},"status_id":1,"unmapped":{"idwatch":{"alert_id":"$1","version":1,"rule":"password_spray"}}}
JSON
}
A=3f1c2a9e-0000-4000-8000-00000000000a
C=3f1c2a9e-0000-4000-8000-00000000000c
D=3f1c2a9e-0000-4000-8000-00000000000d
E=3f1c2a9e-0000-4000-8000-00000000000e
O=3f1c2a9e-0000-4000-8000-0000000000f0
native $A 1 "$B/a1.json"; native $A 2 "$B/a2.json"; native $C 1 "$B/c1.json"
native $D 1 "$B/d1.json"; native $E 1 "$B/e1.json"; native $E 2 "$B/e2.json"
ocsf $O "$B/o.json"
printf '{"alert_id":"%s","version":1,' $A > "$B/broken.json"
printf '[1,2]' > "$B/array.json"
printf '{"alert_id":"%s","version":1,"alert_id":"x"}' $A > "$B/dupkey.json"

soar_start "$SD" --secret-file "$WORK/old.secret" --secret-file "$WORK/new.secret"
echo "ok: receiver listening on $SOAR_URL"

# ---- accepted, duplicate, rotation, OCSF ----------------------------------
check a1 200 "$(post a1 "$B/a1.json" $A:1)" false;                   ACC=$((ACC + 1))
check a1-again 200 "$(post a1-again "$B/a1.json" $A:1)" true;         DUP=$((DUP + 1))
check a2-new-secret 200 "$(post a2-new-secret "$B/a2.json" $A:2 "" "$WORK/new.secret")" false; ACC=$((ACC + 1))
check ocsf 200 "$(post ocsf "$B/o.json" $O:1)" false;                 ACC=$((ACC + 1))
check skew-inside 200 "$(post skew-inside "$B/e2.json" $E:2 $(( $(date +%s) - 290 )))" false; ACC=$((ACC + 1))
check out-of-order 200 "$(post out-of-order "$B/e1.json" $E:1)" false; ACC=$((ACC + 1))
REQ=$((REQ + 6))

# ---- rejected: signature and timestamp (401) ------------------------------
check wrong-secret 401 "$(post wrong-secret "$B/c1.json" $C:1 "" "$WORK/wrong.secret")"
ts=$(date +%s)
check tampered 401 "$(post tampered "$B/c1.json" $C:1 "$ts" "" \
    --set "X-Idwatch-Signature: v1=$(sign "$WORK/old.secret" "$ts" "$B/d1.json")")"
check no-signature 401 "$(post no-signature "$B/c1.json" $C:1 "" "" --omit X-Idwatch-Signature)"
upper=$(sign "$WORK/old.secret" "$ts" "$B/c1.json" | tr a-f A-F)
check upper-hex 401 "$(post upper-hex "$B/c1.json" $C:1 "$ts" "" --set "X-Idwatch-Signature: v1=$upper")"
check stale 401 "$(post stale "$B/c1.json" $C:1 $(( $(date +%s) - 310 )))"
check future 401 "$(post future "$B/c1.json" $C:1 $(( $(date +%s) + 1000 )))"
grep -q 'outside tolerance' "$WORK/stale.out" || fail "stale: reason not given: $(cat "$WORK/stale.out")"
REJ=$((REJ + 6)) REQ=$((REQ + 6))

# ---- rejected: headers and body (400) -------------------------------------
check malformed 400 "$(post malformed "$B/broken.json" $A:1)"
grep -q 'malformed JSON' "$WORK/malformed.out" || fail "malformed: reason not given: $(cat "$WORK/malformed.out")"
check not-object 400 "$(post not-object "$B/array.json" $A:1)"
check duplicate-json-key 400 "$(post duplicate-json-key "$B/dupkey.json" $A:1)"
check no-timestamp 400 "$(post no-timestamp "$B/c1.json" $C:1 "" "" --omit X-Idwatch-Timestamp)"
check no-key 400 "$(post no-key "$B/c1.json" $C:1 "" "" --omit Idempotency-Key)"
check key-mismatch 400 "$(post key-mismatch "$B/c1.json" $C:2)"
check ocsf-key-mismatch 400 "$(post ocsf-key-mismatch "$B/o.json" $O:2)"
check wrong-type 400 "$(post wrong-type "$B/c1.json" $C:1 "" "" --set 'Content-Type: text/plain')"
check wrong-agent 400 "$(post wrong-agent "$B/c1.json" $C:1 "" "" --set 'User-Agent: curl/8')"
check get 405 "$(curl -sS --cacert "$WORK/certs/ca.pem" -o "$WORK/get.out" -w '%{http_code}' "$SOAR_URL/hooks/idwatch")"
REJ=$((REJ + 10)) REQ=$((REQ + 10))

# ---- faults ----------------------------------------------------------------
soar_ctl fault '{"status": 500, "count": 2}' > /dev/null
check fault-1 500 "$(post fault-1 "$B/c1.json" $C:1)"
check fault-2 500 "$(post fault-2 "$B/c1.json" $C:1)"
check after-fault 200 "$(post after-fault "$B/c1.json" $C:1)" false
FLT=$((FLT + 2)) ACC=$((ACC + 1)) REQ=$((REQ + 3))

soar_ctl fault '{"status": 503, "count": -1}' > /dev/null
for i in 1 2 3; do check until-cleared-$i 503 "$(post until-cleared-$i "$B/d1.json" $D:1)"; done
soar_ctl clear-faults > /dev/null
check cleared 200 "$(post cleared "$B/d1.json" $D:1)" false
FLT=$((FLT + 3)) ACC=$((ACC + 1)) REQ=$((REQ + 4))

# a slow receiver: the client times out, the receiver still accepts after the
# delay, so the client's retry is a duplicate
sed 's/"version":1,/"version":3,/' "$B/a1.json" > "$B/a3.json"
soar_ctl fault '{"delay_s": 2, "count": 1}' > /dev/null
set +e; post slow "$B/a3.json" $A:3 "" "" --max-time 1 > /dev/null 2>&1; rc=$?; set -e
expect_eq "$rc" 28 "slow: curl timed out"
soar_wait "'$A:3' in j['keys']" 5
check a3-retry 200 "$(post a3-retry "$B/a3.json" $A:3)" true
ACC=$((ACC + 1)) DUP=$((DUP + 1)) REQ=$((REQ + 2))
# a slow failure: the delay, then the status
soar_ctl fault '{"delay_s": 0.5, "status": 502, "count": 1}' > /dev/null
check slow-502 502 "$(post slow-502 "$B/a3.json" $A:3)"
FLT=$((FLT + 1)) REQ=$((REQ + 1))

soar_ctl fault '{"reset": true, "count": 1}' > /dev/null
set +e; post reset "$B/e1.json" $E:1 > /dev/null 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "reset: curl succeeded"
echo "ok: reset: curl failed with exit $rc"
FLT=$((FLT + 1)) REQ=$((REQ + 1))

# ---- secret rotation finished: the old secret is withdrawn ---------------
cp "$WORK/old.secret" "$WORK/old.secret.was"
: > "$WORK/old.secret.next"; mv "$WORK/old.secret.next" "$WORK/old.secret"
expect_eq "$(soar_ctl reload-secrets '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["active"])')" "[1]" "active secrets after reload"
check old-withdrawn 401 "$(post old-withdrawn "$B/d1.json" $D:1 "" "$WORK/old.secret.was")"
check new-only 200 "$(post new-only "$B/d1.json" $D:1 "" "$WORK/new.secret")" true
REJ=$((REJ + 1)) DUP=$((DUP + 1)) REQ=$((REQ + 2))

# ---- stats -------------------------------------------------------------------
soar_ctl stats > "$WORK/stats.json"
expect_eq "$(jget "$WORK/stats.json" 'j["accepted"]')" $ACC "stats accepted"
expect_eq "$(jget "$WORK/stats.json" 'j["duplicates"]')" $DUP "stats duplicates"
expect_eq "$(jget "$WORK/stats.json" 'j["rejected"]')" $REJ "stats rejected"
expect_eq "$(jget "$WORK/stats.json" 'j["faulted"]')" $FLT "stats faulted"
expect_eq "$(jget "$WORK/stats.json" 'j["requests"]')" $REQ "stats requests"
expect_eq "$(jget "$WORK/stats.json" 'j["out_of_order"]')" 1 "stats out_of_order"
expect_eq "$(jget "$WORK/stats.json" 'j["formats"]')" "{'native': 7, 'ocsf': 1}" "stats formats"
expect_eq "$(jget "$WORK/stats.json" '" ".join(j["keys"])')" "$A:1 $A:2 $O:1 $E:2 $E:1 $C:1 $D:1 $A:3" "stats keys"
expect_eq "$(jget "$WORK/stats.json" 'json.dumps(j["alerts"], sort_keys=True)')" \
    "{\"$A\": [1, 2, 3], \"$C\": [1], \"$D\": [1], \"$E\": [2, 1], \"$O\": [1]}" "stats alerts"

# ---- the request log -------------------------------------------------------------
R=$SD/requests.jsonl
expect_eq "$(jlines "$R" 'len(rows)')" $REQ "requests.jsonl lines"
expect_eq "$(jlines "$R" 'sum(1 for r in rows if r["status"] == 200 and not r["duplicate"])')" $ACC "log: accepted rows"
expect_eq "$(jlines "$R" 'sum(1 for r in rows if r["duplicate"])')" $DUP "log: duplicate rows"
expect_eq "$(jlines "$R" 'sorted({r["path"] for r in rows})')" "['/hooks/idwatch']" "log: paths"
expect_eq "$(jlines "$R" '[r["format"] for r in rows if r.get("format")][:4]')" "['native', 'native', 'native', 'ocsf']" "log: formats"
expect_eq "$(jlines "$R" '[r["secret_index"] for r in rows if r["status"] == 200][:3]')" "[0, 0, 1]" "log: matching secret"
expect_eq "$(jlines "$R" '[r for r in rows if r["idempotency_key"] == "'$O:1'"][0]["body"]["finding_info"]["uid"]')" $O "log: parsed OCSF body"
expect_eq "$(jlines "$R" 'all(r["verified"] == ("secret_index" in r) for r in rows)')" True "log: verified = a secret matched and the timestamp was fresh"
expect_eq "$(jlines "$R" 'all(r["reason"] for r in rows if r["status"] != 200)')" True "log: every refusal has a reason"
for s in "$WORK/old.secret.was" "$WORK/new.secret" "$WORK/wrong.secret"; do
    if grep -r -q -F -- "$(cat "$s")" "$SD"; then fail "secret from $s found in $SD"; fi
done
echo "ok: no secret in $SD"

# ---- SIGTERM -------------------------------------------------------------------------
soar_stop "$SD"
set +e; curl -sS --cacert "$WORK/certs/ca.pem" -o /dev/null "$SOAR_URL/__control/stats" 2>/dev/null; rc=$?; set -e
expect_eq "$rc" 7 "after SIGTERM: connection refused"
echo "soar_sim selftest: all checks passed"
