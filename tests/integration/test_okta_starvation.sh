# Rate-limit starvation: another client drains the org's System Log rate
# bucket (the simulator answers every log request 429 for a while).  The
# daemon never pauses (rate limiting is not a failure, however long it
# lasts), logs the starvation (one warning, the end with its duration),
# shows it in `status --json` and the metrics, raises connector_starved
# (T1562) past starvation_alert_minutes and delivers it to the SOAR; once
# the 429s stop, every served event is ingested exactly once.  Then a
# Retry-After of 31 years is capped at 120 s, and said so.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
"$TOOLS/gen-events" --users 8 --days 3 --seed 33 --out events.jsonl
echo "ssws-starve-token" > token; chmod 600 token
SECRETS="ssws-starve-token"
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token
soar_secret secret
soar_start "$WORK/soar" --secret-file "$WORK/secret"
# max_consecutive_failures 2: were 429s counted as failures, the org would pause at the second;
# starvation_alert_minutes 0.05 = 3 s (fractions are accepted for tests)
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 5,
           "page_limit": 200, "max_consecutive_failures": 2, "starvation_alert_minutes": 0.05}],
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "high", "retry_base_s": 0.2, "retry_cap_s": 1}]}
JSON
# status FILE: status --json (before the daemon created the database it fails: then {})
status() { "$IDWATCH" --config cfg.json status --json > "$1" 2>/dev/null || echo '{"orgs": [{}]}' > "$1"; }
# wait_for EXPR SECONDS WHAT: polls status --json until EXPR (over j) is true
wait_for() {
    i=0
    while :; do
        status st.json
        [ "$(jget st.json "bool($1)" 2>/dev/null)" = True ] && return 0
        i=$((i + 1)); [ $i -lt $(( $2 * 10 )) ] || { cat daemon.out; fail "timed out waiting for $3"; }
        sleep 0.1
    done
}

sim_ctl fault '{"type":"compete","seconds":9,"reset_in":1}' > /dev/null
"$IDWATCH" --config cfg.json run > daemon.out 2>&1 &
pid=$!
mkdir -p "$WORK/daemon"; echo $pid > "$WORK/daemon/pid"     # stopped by the exit trap if a check fails

# while starved: counted, timed, not paused, alerted
wait_for 'j["orgs"][0]["rate_limited_total"] >= 2 and j["orgs"][0]["starved_seconds"] >= 1' 10 "starvation"
expect_eq "$(jget st.json 'j["orgs"][0]["paused"]')" False "paused while starved"
expect_eq "$(jget st.json 'j["orgs"][0]["consecutive_failures"]')" 0 "429s counted as failures"
[ "$(jget st.json 'j["orgs"][0]["starved_since"] is not None')" = True ] || fail "starved_since not shown"
"$IDWATCH" --config cfg.json metrics > metrics1.txt
grep -q '^idwatch_poll_rate_limited_total{org="acme"} [1-9]' metrics1.txt || fail "rate-limited metric: $(grep rate_limited metrics1.txt)"
grep -q '^idwatch_poll_starved_seconds{org="acme"} [1-9]' metrics1.txt || fail "starved metric: $(grep starved metrics1.txt)"
"$IDWATCH" --config cfg.json status | grep -q 'RATE-LIMITED: *no System Log page for [0-9]* s' || fail "plain status: starvation"
echo "ok: starvation counted, timed and exposed, not a failure"
# starved(): the connector_starved versions the receiver accepted
starved="[r['body'] for r in map(json.loads, open('$WORK/soar/requests.jsonl')) if r['status'] == 200 and (r['body'] or {}).get('rule') == 'connector_starved']"
soar_wait "$starved" 15
wait_for 'j["orgs"][0]["starvation_alerted"]' 5 "starvation_alerted in the state"
"$IDWATCH" --config cfg.json alerts list --json > alerts.jsonl
expect_eq "$(jlines alerts.jsonl '[(a["severity"], a["entity"], a["mitre"], a["domain_id"]) for a in rows if a["rule"] == "connector_starved"]')" \
    "[('high', 'org:acme', ['T1562'], 'acme')]" "connector_starved alert"
jlines alerts.jsonl '[a["evidence"] for a in rows if a["rule"] == "connector_starved"][0]' > evidence.txt
grep -q 'No System Log page since 20[0-9-]*T' evidence.txt || fail "evidence lacks since when: $(cat evidence.txt)"
grep -q '[1-9][0-9]* rate-limited answers (HTTP 429' evidence.txt || fail "evidence lacks the 429 count: $(cat evidence.txt)"
echo "ok: connector_starved raised and delivered"

# the competitor stops: everything arrives, once
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
n=$(jget ref.json 'j["accepted"]')
wait_for "j['orgs'][0]['events_ingested'] == $n and j['orgs'][0]['starved_seconds'] == 0" 30 "catch-up after the 429s"
expect_eq "$(jget st.json 'j["orgs"][0]["duplicates_skipped"]')" 0 "pages applied twice"
expect_eq "$(jget st.json 'j["orgs"][0]["paused"]')" False "paused after starvation"
expect_eq "$(jget st.json 'j["orgs"][0]["failures_total"]')" 0 "failures counted for rate limiting"
expect_eq "$(jget st.json 'j["orgs"][0]["starved_since"]')" None "starved_since after the end"
sim_ctl stats > stats.json
expect_eq "$(jget stats.json 'len(j["served"])')" "$(wc -l < events.jsonl)" "distinct events served"
expect_eq "$(jget stats.json 'max(j["served"].values())')" 1 "times an event was served, at most"
expect_eq "$(jget st.json 'j["orgs"][0]["rate_limited_total"]')" "$(jget stats.json 'j["competed_429"]')" "429s served = counted"
expect_eq "$(grep -c 'rate limited by Okta' daemon.out)" 1 "first starvation warning, once"
grep -q 'rate limiting ended: starved of System Log pages for [0-9]*s ([1-9][0-9]* rate-limited answers)' daemon.out \
    || fail "end of starvation not logged: $(cat daemon.out)"
grep -q 'alert connector_starved raised' daemon.out || fail "alert not logged"
soar_wait "[b for b in $starved if '(ended)' in b['summary'] and b['version'] == 2]" 10
echo "ok: every event once after the starvation; the alert updated with its end"

# Retry-After: 999999999 s (31 years) is capped at the 120 s the reset wait uses, and logged
sim_ctl fault '{"type":"retry_after","value":"999999999"}' > /dev/null
i=0; until grep -q 'Retry-After of 999999999 s is over the 120 s cap' daemon.out; do
    i=$((i + 1)); [ $i -lt 150 ] || { cat daemon.out; fail "Retry-After cap not logged"; }; sleep 0.1; done
i=0; until grep -q 'rate limited by Okta (HTTP 429)' daemon.out && [ "$(grep -c 'rate limited by Okta' daemon.out)" = 2 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || { cat daemon.out; fail "second starvation not logged"; }; sleep 0.1; done
grep 'rate limited by Okta' daemon.out | tail -1 | grep -q 'waiting 12[01]\.[0-9] s' \
    || fail "Retry-After wait not capped: $(grep 'rate limited by Okta' daemon.out | tail -1)"
echo "ok: Retry-After capped"

kill -TERM $pid
i=0; while kill -0 $pid 2>/dev/null; do i=$((i+1)); [ $i -lt 50 ] || fail "run did not stop on SIGTERM"; sleep 0.1; done
wait $pid || fail "run exited non-zero after SIGTERM"
no_secret daemon.out st.json metrics1.txt "$WORK/sim/access.log"
