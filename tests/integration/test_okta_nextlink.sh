# Hostile and broken next links, and pages that do not advance: a next
# link is followed only if, once libcurl's URL API has normalised it, it
# is https on the org's exact host and port with the path exactly
# /api/v1/logs (dot-segments and %2e%2e included), without user info or a
# fragment; nothing is ever requested with credentials from a refused one.
# A full page whose next link repeats the cursor is a counted, backed-off
# failure (not ~14 requests/s); an oversized Link header is refused with
# what happened, as a transient failure.  Nothing is lost or doubled.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 6 --days 3 --seed 5 --out events.jsonl
echo "ssws-nextlink-token" > token; chmod 600 token
SECRETS="ssws-nextlink-token"
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
write_config cfg.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}' \
    '"page_limit": 20, "max_consecutive_failures": 3'
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
other=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# each bad link is followed by a normal answer ("ok"), so no three fail in a row
for next in 'https://localhost:{PORT}/api/v1/logs?{QUERY}' \
            "https://127.0.0.1:$other/api/v1/logs?{QUERY}" \
            'http://127.0.0.1:{PORT}/api/v1/logs?{QUERY}' \
            '{BASE}/api/v1/logs/../../../api/v1/users?{QUERY}' \
            '{BASE}/api/v1/logs/%2e%2e/%2e%2e/%2e%2e/api/v1/users?{QUERY}' \
            '{BASE}/api/v1/logs/..%2f..%2f..%2fapi/v1/users?{QUERY}' \
            'https://u:p@127.0.0.1:{PORT}/api/v1/logs?{QUERY}' \
            '{BASE}/api/v1/logs?{QUERY}#frag'; do
    sim_ctl fault "$(python3 -c 'import json,sys; print(json.dumps({"type": "next_link", "next": sys.argv[1]}))' "$next")" > /dev/null
    sim_ctl fault '{"type":"ok"}' > /dev/null
done
rc=0; "$IDWATCH" --config cfg.json run --once > links.out 2>&1 || rc=$?
sim_ctl stats > stats.json
expect_eq "$(jget stats.json 'j["other_requests"]')" "[]" "requests to anything but /api/v1/logs"
expect_eq "$(jget stats.json 'list(j["log_hosts"])')" "['127.0.0.1:$SIM_PORT']" "hosts the log was requested from"
[ $rc = 0 ] || { cat links.out; fail "run with bad next links exited $rc"; }
for why in 'another host or port than the org' 'not https' 'a path other than /api/v1/logs' \
           'user info in the URL' 'a fragment in the URL'; do
    grep -q "next link refused ($why" links.out || fail "refusal '$why' not logged: $(cat links.out)"
done
expect_eq "$(grep -c 'next link refused' links.out)" 8 "refused next links"
"$IDWATCH" --config cfg.json status --json > st.json
expect_eq "$(jget st.json 'j["orgs"][0]["events_ingested"]')" "$(jget ref.json 'j["accepted"]')" "events ingested"
expect_eq "$(jget st.json 'j["orgs"][0]["duplicates_skipped"]')" 0 "duplicates"
expect_eq "$(jget st.json 'j["orgs"][0]["failures_total"]')" 8 "failures counted"
case "$(jget st.json 'j["orgs"][0]["cursor"]')" in
    "https://127.0.0.1:$SIM_PORT/api/v1/logs?after="*) echo "ok: cursor on the org's host" ;;
    *) fail "cursor: $(jget st.json 'j["orgs"][0]["cursor"]')" ;;
esac
echo "ok: hostile next links refused, nothing requested from them"

# a server whose next link never advances: failures with backoff, then the pause
python3 - <<'PY' > stuck.json
from oktaev import *
T = datetime.datetime(2026, 9, 2, 0, 0, tzinfo=UTC)
dump_inject([signin(person("stuck", "00uSTUCK"), T + i * S, net("198.51.100.8"), uuid="stuck-%03d" % i) for i in range(120)])
PY
sim_ctl inject @stuck.json > /dev/null       # curl reads the body from the file: too long for one argument
sim_ctl fault '{"type":"ok"}' > /dev/null
sim_ctl fault '{"type":"stuck","count":10}' > /dev/null
before=$(jget stats.json 'j["log_requests"]')
start=$(date +%s)
rc=0; "$IDWATCH" --config cfg.json run --once > stuck.out 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))
sim_ctl stats > stats2.json
reqs=$(( $(jget stats2.json 'j["log_requests"]') - before ))
grep -q 'a full page whose next link is the same cursor again' stuck.out || fail "stuck cursor not reported: $(cat stuck.out)"
grep -q 'PAUSED: 3 failures in a row' stuck.out || fail "no pause after repeated stuck pages: $(cat stuck.out)"
expect_eq $rc 1 "exit code of run --once with the org paused"
expect_eq "$reqs" 4 "requests (one good page, then three that did not advance)"
[ "$secs" -ge 2 ] || fail "stuck pages re-polled without backoff ($reqs requests in $secs s)"
echo "ok: a cursor that does not advance is a failure with backoff ($reqs requests in $secs s)"
sim_ctl clear-faults '{}' > /dev/null
"$IDWATCH" --config cfg.json okta resume acme > /dev/null

# oversized Link headers: refused, named, transient (then the page is read normally)
sim_ctl fault '{"type":"big_link","bytes":20000}' > /dev/null
sim_ctl fault '{"type":"ok"}' > /dev/null
sim_ctl fault '{"type":"big_link","bytes":200000}' > /dev/null
"$IDWATCH" --config cfg.json run --once > big.out 2>&1 || { cat big.out; fail "run with big Link headers"; }
grep -q "acme: Link header over 8192 bytes from 127.0.0.1: refused" big.out || fail "20 KB Link: $(cat big.out)"
grep -q "acme: a response header from 127.0.0.1 is over libcurl's 102400-byte limit: refused" big.out \
    || fail "200 KB Link: $(cat big.out)"
grep -qi 'out of memory' big.out && fail "still reads Out of memory"
"$IDWATCH" --config cfg.json status --json > st3.json
expect_eq "$(jget st3.json 'j["orgs"][0]["events_ingested"]')" "$(( $(jget ref.json 'j["accepted"]') + 120 ))" "every event once"
expect_eq "$(jget st3.json 'j["orgs"][0]["paused"]')" False "paused by big headers"
echo "ok: oversized Link headers refused with a clear message"
no_secret links.out stuck.out big.out "$WORK/sim/access.log"
