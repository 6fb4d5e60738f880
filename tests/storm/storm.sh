#!/bin/sh
# Fault storm: one `idwatch run` daemon (OAuth private_key_jwt + DPoP)
# polls a simulated org (tests/okta_sim) whose generated System Log is
# released progressively, while volleys of every fault the simulator knows
# are fired at it: a competing client holding the rate bucket at zero (the
# connector_starved alert must fire, nothing pauses), 5xx bursts, stalls
# shorter than timeout_s, truncated and malformed bodies, duplicate pages,
# hostile next links (another host, another port, dot-segments), a stuck
# cursor, connection resets, 401s, 429s with a reset or a Retry-After,
# access tokens revoked mid-run and DPoP nonce rotation.  At the end, with
# everything released and the faults cleared: every event served is
# ingested exactly once (the same counts and the same personas as an
# `idwatch ingest` of the same file), the org is not paused, no request
# went to another path or host, the caught-up daemon idles, and the request
# counts are printed.  docs/reliability.md ("Fault storms") has the figures.
#
# Two profiles share this script:
#   short  sourced by tests/integration/test_okta_storm.sh (default suite,
#          about 45 s): one volley, a 4 s bout of 429s
#   long   `make stormtest`: volleys for STORM_SECONDS (300), with a short
#          and a long bout of 429s (STORM_SECONDS/10 and STORM_SECONDS/2),
#          on a larger org (STORM_USERS, 150 by default)
# Run alone, it makes its own scratch directory (kept on failure, or with KEEP=1).
set -eu
if [ -z "${WORK:-}" ]; then         # standalone (make stormtest)
    ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
    IDWATCH=$(cd "$(dirname "${IDWATCH:-build/idwatch}")" && pwd)/$(basename "${IDWATCH:-build/idwatch}")
    TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/idw-storm.XXXXXX")
    export ROOT IDWATCH TOOLS WORK
    STORM_STANDALONE=1
    cd "$WORK"
    echo "storm: scratch directory $WORK"
fi
. "$ROOT/tests/integration/okta_lib.sh"

PROFILE=${STORM_PROFILE:-long}
if [ "$PROFILE" = short ]; then
    USERS=30; DAYS=7; PAGE=50; SECONDS_TOTAL=20; STARVE_MIN=0.03; TICK=0.5   # 1.8 s
    BOUTS="1:4"                                     # round:seconds of 429s
else
    USERS=${STORM_USERS:-150}; DAYS=9; PAGE=100; SECONDS_TOTAL=${STORM_SECONDS:-300}; STARVE_MIN=0.5; TICK=1
    BOUTS="1:$((SECONDS_TOTAL / 10)) half:$((SECONDS_TOTAL / 2))"
fi
now_s() { date +%s; }
T0=$(now_s)
say() { echo "[$(( $(now_s) - T0 ))s] $*"; }

# ---- the org, the reference, the keys --------------------------------------------------
"$TOOLS/gen-events" --users "$USERS" --days "$DAYS" --start "$(date -u -d '10 days ago' +%F)" --seed 11 \
    --out events.jsonl
TOTAL=$(wc -l < events.jsonl | tr -d ' ')
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json 2> ref.err
EXPECTED=$(jget ref.json 'j["accepted"]')
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null
chmod 600 key.pem
openssl pkey -in key.pem -pubout -out pub.pem
SECRETS=$(sed -n '2,4p' key.pem | cut -c1-40)
say "org: $TOTAL events ($EXPECTED accepted by a file ingest), page_limit $PAGE, profile $PROFILE"

# a second simulated org stands in for a foreign host: nothing may ever reach it
sim_start "$WORK/trap"
TRAP_PORT=$SIM_PORT; TRAP_URL=$SIM_URL
sim_start "$WORK/sim" --events events.jsonl --release $((TOTAL / 4)) --client-pubkey pub.pem \
    --client-kid k1 --require-dpop
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "private_key_jwt", "client_id": "0oaTESTCLIENT",
                    "private_key_file": "$WORK/key.pem", "key_id": "k1", "dpop": true},
           "poll_interval_s": 5, "timeout_s": 5, "page_limit": $PAGE,
           "max_consecutive_failures": 1000, "starvation_alert_minutes": $STARVE_MIN}]}
JSON

# ---- helpers ---------------------------------------------------------------------------
stats() { sim_ctl stats > "$1"; }
status() { "$IDWATCH" --config cfg.json status --json > "$1" 2>/dev/null || echo '{"orgs": [{}]}' > "$1"; }
RELEASED=$((TOTAL / 4))
# pump: releases the log progressively, in proportion to the storm's elapsed time
pump() {
    target=$(( TOTAL * ($(now_s) - T0) / SECONDS_TOTAL ))
    [ "$target" -le "$TOTAL" ] || target=$TOTAL
    release_to "$target"
}
release_to() {
    [ "$1" -le "$TOTAL" ] || set -- "$TOTAL"
    [ "$1" -gt "$RELEASED" ] || return 0
    sim_ctl release "{\"count\": $(( $1 - RELEASED ))}" > /dev/null
    RELEASED=$1
}
# until_stat EXPR TIMEOUT WHAT: waits for EXPR over the simulator's stats (s) and the org's status (o),
# releasing the log as it goes; fails at once if the daemon died or the org paused
until_stat() {
    end=$(( $(now_s) + $2 ))
    while :; do
        pump
        kill -0 "$DAEMON" 2>/dev/null || { tail -20 daemon.out; fail "the daemon exited"; }
        status st.json; stats sim.json
        r=$(python3 -c "
import json; s=json.load(open('sim.json')); o=json.load(open('st.json'))['orgs'][0]
print('paused: %s' % o.get('pause_reason') if o.get('paused') else bool($1))")
        case "$r" in True) return 0 ;; paused:*) fail "the org $r" ;; esac
        [ "$(now_s)" -lt "$end" ] || { tail -30 daemon.out; fail "timed out ($2 s) waiting for $3"; }
        sleep "$TICK"
    done
}
fault() { sim_ctl fault "$1" > /dev/null; }
link() { fault "$(python3 -c 'import json,sys; print(json.dumps({"type": "next_link", "next": sys.argv[1]}))' "$1")"; }
ok() { fault '{"type":"ok"}'; }
# volley: every fault once; "ok" answers between them keep the backoff short (failures in a row
# double it).  The short profile leaves out three near-repeats (marked) to stay under a minute.
volley() {
    fault '{"type":"stuck"}'; ok                                       # needs a full page: fired first
    fault '{"type":"status","status":503,"count":2}'; ok               # a 5xx burst
    fault '{"type":"stall","seconds":2}'                               # slower than usual, under timeout_s
    fault '{"type":"truncate"}'; ok
    fault '{"type":"malformed"}'; ok
    fault '{"type":"duplicate","count":2}'
    link "https://127.0.0.1:$TRAP_PORT/api/v1/logs?{QUERY}"; ok        # another port: the trap
    [ "$PROFILE" = short ] || { link 'https://localhost:{PORT}/api/v1/logs?{QUERY}'; ok; }     # another name
    link '{BASE}/api/v1/logs/../../../api/v1/users?{QUERY}'; ok        # dot-segments out of the log
    [ "$PROFILE" = short ] || { link '{BASE}/api/v1/logs/%2e%2e/%2e%2e/%2e%2e/api/v1/users?{QUERY}'; ok; }
    link '{BASE}/api/v1/users/../logs?{QUERY}'                         # normalises to the log: followed
    fault '{"type":"reset"}'; ok
    [ "$PROFILE" = short ] || fault '{"type":"status","status":500}'
    fault '{"type":"401"}'; ok                                          # token renewed, request retried
    fault '{"type":"status","status":429,"reset_in":1}'; ok
    fault '{"type":"retry_after","value":"2"}'; ok
    fault '{"type":"status","status":502}'
}
REFUSED_PER_VOLLEY=$([ "$PROFILE" = short ] && echo 2 || echo 4)

# ---- the storm -----------------------------------------------------------------------------
if [ "$PROFILE" = short ]; then     # the competitor is draining the bucket as the daemon starts
    bout=${BOUTS#1:}
    say "a competing client holds the rate bucket at zero for $bout s"
    fault "{\"type\":\"compete\",\"seconds\":$bout,\"reset_in\":1}"
    BOUTS=""
fi
"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
DAEMON=$!
mkdir -p "$WORK/daemon"; echo $DAEMON > "$WORK/daemon/pid"      # stopped by the exit trap on failure
if [ "$PROFILE" = short ]; then     # a slow start (a sanitizer build) must not outlast the bout: it lasts $bout s from the first 429
    until_stat "s['competed_429'] > 0" 60 "the daemon's first 429"
    fault "{\"type\":\"compete\",\"seconds\":$bout,\"reset_in\":1}"
fi
until_stat 'o.get("events_ingested", 0) > 0' 60 "the first page"
say "daemon polling"
round=0; half_done=""
while :; do
    round=$((round + 1))
    bout=""
    for b in $BOUTS; do
        case "$b" in
            "$round":*) bout=${b#*:} ;;
            half:*) if [ -z "$half_done" ] && [ $(( $(now_s) - T0 )) -ge $((SECONDS_TOTAL / 2)) ]; then
                        bout=${b#*:}; half_done=1; fi ;;
        esac
    done
    # a backlog for the whole volley: the stuck page is then a full one, and the daemon does not
    # idle for poll_interval_s between faults
    release_to $(( RELEASED + 16 * PAGE ))
    pump
    if [ -n "$bout" ]; then
        say "round $round: a competing client holds the rate bucket at zero for $bout s"
        stats sim.json; c0=$(jget sim.json 'j["competed_429"]')
        fault "{\"type\":\"compete\",\"seconds\":$bout,\"reset_in\":1}"
        # the daemon may be idle (poll_interval_s) at first: the bout lasts $bout s from its first 429
        until_stat "s['competed_429'] > $c0" 30 "the first 429 of the bout"
        fault "{\"type\":\"compete\",\"seconds\":$bout,\"reset_in\":1}"
    fi
    volley
    until_stat 's["faults_pending"] == 0 and not s["competing"]' $(( ${bout:-0} + 200 )) "volley $round to be served"
    say "round $round: volley served ($(jget sim.json 'j["log_requests"]') log requests so far)"
    # a new DPoP nonce, then every access token revoked: the next request gets a 401, the renewal a use_dpop_nonce
    stats sim.json; before_tok=$(jget sim.json 'j["token_requests"]'); before_ch=$(jget sim.json 'j["dpop_nonce_challenges"]')
    sim_ctl rotate-nonce '{}' > /dev/null
    sim_ctl revoke-tokens '{}' > /dev/null
    until_stat "s['token_requests'] >= $before_tok + 2 and s['dpop_nonce_challenges'] > $before_ch" 30 \
        "a new token after the revocation and nonce rotation"
    say "round $round: tokens revoked and DPoP nonce rotated: renewed"
    [ $(( $(now_s) - T0 )) -lt "$SECONDS_TOTAL" ] || break
done

# ---- the calm: everything released, faults cleared, caught up ------------------------------
sim_ctl clear-faults '{}' > /dev/null
release_to "$TOTAL"
say "all $TOTAL events released; waiting for the daemon to catch up"
# (at least: more would be an event ingested twice, which the checks below name)
until_stat "len(s['served']) == $TOTAL and o.get('events_ingested', 0) >= $EXPECTED" 300 "the catch-up"
# caught up, the daemon sleeps between polls (regression: with no webhook configured, its main
# loop spun at 100% CPU from the first page on)
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / t)}' "/proc/$DAEMON/stat"; }
c0=$(cpu_ms); sleep 4; c1=$(cpu_ms)
[ $((c1 - c0)) -lt 1000 ] || fail "the caught-up daemon used $((c1 - c0)) ms of CPU in 4 s"
echo "ok: caught up, the daemon used $((c1 - c0)) ms of CPU in 4 s"
kill -TERM $DAEMON
i=0; while kill -0 $DAEMON 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || fail "run did not stop on SIGTERM"; sleep 0.1; done
wait $DAEMON || fail "run exited non-zero after SIGTERM"
rm -f "$WORK/daemon/pid"
"$IDWATCH" --config cfg.json run --once > once.out 2>&1 || { cat once.out; fail "run --once after the storm"; }
say "caught up; checking"

# ---- the checks ----------------------------------------------------------------------------
status st.json; stats sim.json
o() { jget st.json "j['orgs'][0]$1"; }
expect_eq "$(jget sim.json 'j["released"]')" "$TOTAL" "events released"
expect_eq "$(jget sim.json 'len(j["served"])')" "$TOTAL" "distinct events served"
expect_eq "$(o "['events_ingested']")" "$EXPECTED" "events ingested (= accepted by a file ingest)"
expect_eq "$(o "['filtered']")" "$(jget ref.json 'j["filtered"]')" "filtered"
for k in rejected stale future; do expect_eq "$(o "['$k']")" 0 "$k"; done
# each volley's two duplicate pages carry 3 events already applied
[ "$(o "['duplicates_skipped']")" -ge $(( 6 * round )) ] || fail "duplicate pages were not absorbed: $(o "['duplicates_skipped']")"
expect_eq "$(o "['paused']")" False "paused"
expect_eq "$(o "['consecutive_failures']")" 0 "consecutive failures"
grep -q 'PAUSED' daemon.out once.out && fail "a pause was logged"
dump_personas "$WORK/db" acme > polled.dump
dump_personas ref acme > ref.dump
[ -s ref.dump ] || fail "no personas in the reference"
cmp polled.dump ref.dump || fail "the polled personas differ from the file ingest's"
echo "ok: personas equal the file ingest's ($(grep -c '"tuid"' ref.dump) personas)"

# the starvation: alerted, ended, never a failure
"$IDWATCH" --config cfg.json alerts list --json > alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(set((a["entity"], a["mitre"][0]) for a in rows if a["rule"] == "connector_starved"))')" \
    "[('org:acme', 'T1562')]" "connector_starved alerts"
grep -q 'alert connector_starved raised' daemon.out || fail "starvation alert not logged"
grep -q 'rate limiting ended: starved of System Log pages' daemon.out || fail "end of the starvation not logged"
[ "$(o "['rate_limited_total']")" -ge "$(jget sim.json 'j["competed_429"]')" ] || fail "429s not all counted as rate limiting"
# rate-limit waits are capped at 120 s (plus up to 1 s of jitter), however long the starvation
maxwait=$(sed -n 's/.*rate limited.*waiting \([0-9.]*\) s.*/\1/p' daemon.out | sort -n | tail -1)
python3 -c "import sys; sys.exit(0 if float('${maxwait:-0}') <= 121.0 else 1)" \
    || fail "a rate-limited wait of $maxwait s (the cap is 120 s + 1 s of jitter)"
echo "ok: longest rate-limited wait logged: ${maxwait:-none} s"

# every fault seen and handled
for why in 'HTTP 503' 'HTTP 502' 'response body is not a JSON array' \
           'next link refused (another host or port than the org' 'next link refused (a path other than /api/v1/logs' \
           'the server is not advancing'; do
    grep -q "$why" daemon.out || fail "'$why' not in the daemon's log"
done
expect_eq "$(grep -c 'next link refused' daemon.out)" $(( REFUSED_PER_VOLLEY * round )) "hostile next links refused"
grep -qi 'out of memory' daemon.out && fail "out of memory logged"

# nothing went anywhere else
expect_eq "$(jget sim.json 'j["other_requests"]')" "[]" "requests to anything but /api/v1/logs and the token endpoint"
expect_eq "$(jget sim.json 'list(j["log_hosts"])')" "['127.0.0.1:$SIM_PORT']" "hosts the log was requested from"
SIM_URL=$TRAP_URL sim_ctl stats > trap.json
expect_eq "$(jget trap.json '(j["log_requests"], j["token_requests"], j["other_requests"])')" "(0, 0, [])" "requests to the foreign host"
expect_eq "$(jget sim.json 'j["jti_reuse_attempts"]')" 0 "client assertion jti reuse"
expect_eq "$(jget sim.json 'j["max_concurrency"]')" 1 "log requests in flight at once"
[ "$(jget sim.json 'j["dpop_nonce_challenges"]')" -gt "$round" ] || fail "DPoP nonce rotations not all answered"
no_secret daemon.out once.out st.json alerts.jsonl "$WORK/sim/access.log"

# the figures
secs=$(( $(now_s) - T0 ))
jget sim.json '"figures: log_requests %d, token_requests %d, competed_429 %d, dpop_nonce_challenges %d\nfigures: status_counts %s (all answers, control calls included)\nfigures: log_status_counts %s" % (j["log_requests"], j["token_requests"], j["competed_429"], j["dpop_nonce_challenges"], json.dumps(j["status_counts"], sort_keys=True), json.dumps(j["log_status_counts"], sort_keys=True))'
echo "figures: rounds $round, $secs s, events $TOTAL (ingested $(o "['events_ingested']"), duplicates skipped $(o "['duplicates_skipped']")), pages $(o "['pages']"), failures_total $(o "['failures_total']"), rate_limited_total $(o "['rate_limited_total']"), personas $(grep -c '"tuid"' ref.dump)"
echo "ok: storm weathered"
if [ -n "${STORM_STANDALONE:-}" ] && [ -z "${KEEP:-}" ]; then
    sim_stop "$WORK/sim"; sim_stop "$WORK/trap"
    cd /; rm -rf "$WORK"
fi
