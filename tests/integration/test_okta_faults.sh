# Transient faults (5xx, resets, truncated and malformed bodies, a stall past
# the timeout, duplicates across pages, a late event) are retried and lose
# nothing; repeated failures pause the org until `okta resume`; an invalid
# token pauses at once with a diagnosis; SIGTERM stops a daemon cleanly.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 10 --days 5 --seed 9 --out events.jsonl
echo "ssws-test-token-0123456789" > token; chmod 600 token
SECRETS="ssws-test-token-0123456789"
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
write_config cfg.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}' \
    '"page_limit": 100, "max_consecutive_failures": 3'

# faults separated by normal answers ("ok"), so no three fail in a row
for f in '{"type":"status","status":503,"count":2}' '{"type":"ok"}' '{"type":"reset"}' '{"type":"ok"}' \
         '{"type":"truncate"}' '{"type":"ok"}' '{"type":"malformed"}' '{"type":"ok"}' \
         '{"type":"duplicate"}' '{"type":"stall","seconds":7}' '{"type":"ok"}' '{"type":"status","status":502}'; do
    sim_ctl fault "$f" > /dev/null
done
# an event published days before the newest one, persisted now, must still arrive
sim_ctl inject "$(python3 -c 'from oktaev import *; dump_inject([signin(person("late", "00uLATE"), datetime.datetime(2026, 9, 1, tzinfo=UTC), net("198.51.100.9"), uuid="late-1")])')" > /dev/null

"$IDWATCH" --config cfg.json run --once > run.out 2>&1 || { cat run.out; fail "run with faults"; }
"$IDWATCH" --config cfg.json status --json > status.json
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
expect_eq "$(jget status.json 'j["orgs"][0]["events_ingested"]')" "$(( $(jget ref.json 'j["accepted"]') + 1 ))" "every event once (plus the late one)"
[ "$(jget status.json 'j["orgs"][0]["duplicates_skipped"]')" -ge 3 ] || fail "duplicates were not absorbed"
expect_eq "$(jget status.json 'j["orgs"][0]["consecutive_failures"]')" 0 "failures after recovery"
grep -q 'timeout' run.out || fail "timeout not reported"
"$IDWATCH" --config cfg.json persona show late@acme.example > /dev/null || fail "late event lost"
echo "ok: faults retried, nothing lost or doubled"

# a stored cursor Okta no longer knows (here: a new org log) falls back to
# since = last published - 5 min; de-duplication absorbs the overlap
port=$SIM_PORT
sim_stop "$WORK/sim"
rm -f "$WORK/sim/ready"
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token --port "$port"
write_config cfg.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}' \
    '"page_limit": 100, "max_consecutive_failures": 3'
before=$(jget status.json 'j["orgs"][0]["duplicates_skipped"]')
"$IDWATCH" --config cfg.json run --once > rerun.out 2>&1 || { cat rerun.out; fail "run after cursor loss"; }
grep -q 'rejected the stored cursor' rerun.out || fail "cursor fallback not logged"
"$IDWATCH" --config cfg.json status --json > status2.json
expect_eq "$(jget status2.json 'j["orgs"][0]["events_ingested"]')" "$(jget status.json 'j["orgs"][0]["events_ingested"]')" "nothing counted twice after the fallback"
[ "$(jget status2.json 'j["orgs"][0]["duplicates_skipped"]')" -gt "$before" ] || fail "overlap not re-read"
echo "ok: rejected cursor falls back to since, duplicates absorbed"

# three failures in a row: the org pauses itself, persistently
sim_ctl fault '{"type":"status","status":500,"count":3}' > /dev/null
expect_rc 1 "$IDWATCH" --config cfg.json run --once > run2.out 2>&1
grep -q 'PAUSED' run2.out || fail "pause not logged"
"$IDWATCH" --config cfg.json status --json > st2.json
expect_eq "$(jget st2.json 'j["orgs"][0]["paused"]')" True "paused"
expect_rc 1 "$IDWATCH" --config cfg.json run --once > run3.out 2>&1   # still paused after a restart
"$IDWATCH" --config cfg.json okta resume acme | grep -q resumed || fail "resume"
"$IDWATCH" --config cfg.json run --once > run4.out 2>&1 || { cat run4.out; fail "run after resume"; }
echo "ok: self-pause and resume"

# a wrong token: paused at once, with a diagnosis, and nothing spins
echo "wrong-token" > token
"$IDWATCH" --config cfg.json okta resume acme > /dev/null
expect_rc 1 "$IDWATCH" --config cfg.json run --once > run5.out 2>&1
grep -q 'API token is invalid, revoked, or expired' run5.out || fail "401 diagnosis: $(cat run5.out)"
expect_rc 1 "$IDWATCH" --config cfg.json okta test-connection > tc.out
grep -q 'FAILED: HTTP 401' tc.out || fail "test-connection failure"
echo "ssws-test-token-0123456789" > token
"$IDWATCH" --config cfg.json okta resume acme > /dev/null

# the daemon stops cleanly on SIGTERM
"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
i=0; while kill -0 $pid 2>/dev/null; do i=$((i+1)); [ $i -lt 50 ] || fail "run did not stop on SIGTERM"; sleep 0.1; done
wait $pid || fail "run exited non-zero after SIGTERM"
echo "ok: SIGTERM"
no_secret run.out run2.out run5.out tc.out daemon.out status.json "$WORK/sim/access.log"
