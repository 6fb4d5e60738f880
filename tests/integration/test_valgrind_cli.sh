# Every CLI command under valgrind memcheck, on a small database: ingest of
# the bundled sample org (with a webhook configured, so alerts are queued),
# persona list/show, alerts list/show/ack, incidents list/show, status, metrics, rules list,
# outbox list/deliver/retry, horizon, okta resume, user
# add/passwd/disable/list/remove, api-token create/list/revoke, `console`
# answering API requests, `run --once` against the
# simulated Okta org and SOAR receiver (HTTPS both ways), and --help of
# every command.  Any memcheck error or definite leak fails the test
# (valgrind's exit code 99); each command's own exit code is checked too.
#
# A binary built with AddressSanitizer (`make sanitize`) cannot run under
# valgrind; there ASan and LeakSanitizer already check every test of the
# suite, so this test says so and stops.  `make valgrind` runs it alone
# (IDW_VALGRIND=1); `make check` skips it, for time (CI runs `make valgrind`).
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
if [ -z "${IDW_VALGRIND:-}" ]; then
    echo "skip: a separate target (make valgrind)"
    exit 0
fi
if grep -a -q '__asan_init' "$IDWATCH"; then
    echo "skip: $IDWATCH is built with AddressSanitizer, which checks the same (valgrind cannot run it)"
    exit 0
fi
command -v valgrind > /dev/null || fail "valgrind is not installed (tools/deps.sh install adds it)"

vg_n=0
# vg EXPECTED_RC ARGS...: one idwatch command under memcheck; its output in vg-N.out
vg() {
    want=$1; shift
    vg_n=$((vg_n + 1))
    set +e
    valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
        --log-file="vg-$vg_n.log" "$IDWATCH" --config cfg.json "$@" > "vg-$vg_n.out" 2> "vg-$vg_n.err"
    rc=$?
    set -e
    if [ "$rc" = 99 ]; then
        cat "vg-$vg_n.log" >&2
        fail "memcheck found errors or definite leaks in: idwatch $*"
    fi
    [ "$rc" = "$want" ] || { cat "vg-$vg_n.err" >&2; fail "idwatch $*: exit $rc, expected $want"; }
    grep -q 'ERROR SUMMARY: 0 errors' "vg-$vg_n.log" || { cat "vg-$vg_n.log" >&2; fail "no clean summary for: idwatch $*"; }
    echo "ok: memcheck clean, exit $rc: idwatch $*"
}

# a small org with attacks, served by the simulator; the SOAR starts later, so
# the first deliveries meet a refused connection and are retried
"$TOOLS/gen-events" --users 12 --days 18 --seed 5 --attacks --out live.jsonl 2> /dev/null
echo "vg-ssws-token" > token; chmod 600 token
sim_start "$WORK/sim" --events live.jsonl --release all --ssws-token-file token
soar_secret secret
SOAR_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# valgrind reserves address space of its own: a small LMDB map keeps it mappable
cat > cfg.json <<JSON
{"db": "$WORK/db", "lmdb_map_size_mb": 256, "rules_dir": "$ROOT/rules",
 "orgs": [{"domain_id": "default"},
          {"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
           "auth": {"method": "ssws", "token_file": "$WORK/token"}, "poll_interval_s": 5, "timeout_s": 20,
           "page_limit": 200}],
 "webhooks": [{"name": "soar", "url": "https://127.0.0.1:$SOAR_PORT/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "low", "timeout_s": 20, "incidents": true,
               "retry_base_s": 0.05, "retry_cap_s": 0.1}]}
JSON

vg 0 ingest --file "$ROOT/data/sample-org.jsonl" --domain default --json
expect_eq "$(jget vg-$vg_n.out 'j["accepted"] > 3000 and j["alerts"] > 0')" True "sample org ingested with alerts"
vg 0 persona list
vg 0 persona list --json
login=$(jlines "vg-$vg_n.out" 'rows[0]["login"]')
vg 0 persona show "$login"
vg 0 persona show "$login" --json
vg 4 persona show nobody@nowhere.example
vg 0 persona show "$login" --events --limit 5
vg 0 persona show "$login" --events --since 2026-09-02T00:00:00Z --json
ev_uuid=$(head -n 1 "$ROOT/data/sample-org.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
vg 0 events show "$ev_uuid"
vg 0 events show "$ev_uuid" --json
vg 4 events show 00000000-0000-4000-8000-000000000000
vg 2 events frob
vg 0 alerts list
vg 0 alerts list --json --severity low
alert=$(jlines "vg-$vg_n.out" 'rows[0]["alert_id"]')
vg 0 alerts show "$alert"
vg 0 alerts show "$alert" --json
vg 0 alerts ack "$alert" --note "checked under valgrind"
vg 0 alerts show "$alert" --json
expect_eq "$(jget vg-$vg_n.out 'j["status"]')" acknowledged "alert acknowledged"
vg 4 alerts ack 00000000-0000-0000-0000-000000000000
vg 0 alerts list --actor "$login" --json
vg 0 incidents list
vg 0 incidents list --json --status open
incident=$(jlines "vg-$vg_n.out" 'rows[0]["incident_id"]')
vg 0 incidents show "$incident"
vg 0 incidents show "$incident" --json
vg 4 incidents show 00000000-0000-0000-0000-000000000000
vg 0 status
vg 0 status --json
vg 0 metrics
grep -q '^idwatch_events_ingested_total{org="default"} [1-9]' "vg-$vg_n.out" || fail "metrics: events"
vg 0 rules list
vg 0 rules list --json
vg 0 outbox list
vg 0 outbox list --json
[ "$(jlines vg-$vg_n.out 'len(rows)')" -ge 1 ] || fail "alerts were queued for the webhook"
vg 0 outbox deliver               # the receiver is down: connection refused, retried later
vg 0 outbox retry --all
vg 0 horizon --domain default
vg 0 horizon --domain default --json
vg 0 okta resume acme
vg 0 api-token create --name vg --role analyst
tok=$(cat "vg-$vg_n.out")
vg 0 api-token list --json
expect_eq "$(jlines vg-$vg_n.out 'rows[0]["name"]')" vg "api token listed"
# the HTTP server under memcheck (its own thread): the queue, one alert, a review, /metrics, then SIGTERM
CPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file=vg-console.log "$IDWATCH" --config cfg.json console --listen "127.0.0.1:$CPORT" > vg-console.out 2>&1 &
cpid=$!
i=0; until curl -s -o /dev/null "http://127.0.0.1:$CPORT/metrics"; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat vg-console.out; fail "console under valgrind did not start"; }; sleep 0.1; done
expect_eq "$(curl -s -o api1.json -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$CPORT/api/v1/alerts?status=open&limit=5")" 200 "API list under valgrind"
open_id=$(jget api1.json 'j["alerts"][0]["alert_id"]')
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$CPORT/api/v1/alerts/$open_id")" 200 "API get under valgrind"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -d '{"status":"resolved","assignee":"vg","note":"x"}' \
             "http://127.0.0.1:$CPORT/api/v1/alerts/$open_id/review")" 200 "API review under valgrind"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -d '{"status":' \
             "http://127.0.0.1:$CPORT/api/v1/alerts/$open_id/review")" 400 "API bad body under valgrind"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CPORT/metrics")" 200 "metrics under valgrind"
kill -TERM $cpid
set +e; wait $cpid; rc=$?; set -e
[ "$rc" = 99 ] && { cat vg-console.log >&2; fail "memcheck found errors or definite leaks in: idwatch console"; }
expect_eq "$rc" 0 "console stopped by SIGTERM"
grep -q 'ERROR SUMMARY: 0 errors' vg-console.log || { cat vg-console.log >&2; fail "no clean summary for: idwatch console"; }
vg 0 api-token revoke vg

# the daemon's whole path once: HTTPS polling with SSWS, rules, signed deliveries
soar_start "$WORK/soar" --port "$SOAR_PORT" --secret-file "$WORK/secret"
vg 0 run --once
vg 0 outbox deliver
vg 0 status --json
expect_eq "$(jget vg-$vg_n.out 'j["outbox"]["pending"]')" 0 "outbox drained"
expect_eq "$(jget vg-$vg_n.out 'j["orgs"][1]["events_ingested"] > 0')" True "the org was polled"
expect_eq "$(soar_stat 'j["accepted"] > 0 and j["rejected"] == 0')" True "signed deliveries accepted"

printf 'a valgrind password\n' > vg.pw; chmod 600 vg.pw
vg 0 user add vic --role viewer --password-file vg.pw
vg 1 user add vic --role viewer --password-file vg.pw
vg 0 user passwd vic --password-file vg.pw
vg 0 user disable vic
vg 0 user list --json
vg 0 user remove vic
vg 4 user enable vic

vg 0 --help
vg 0 --version
for c in ingest run backfill okta status metrics persona alerts incidents rules outbox horizon user console api-token; do
    vg 0 "$c" --help
    grep -q "usage: idwatch" "vg-$vg_n.out" || fail "$c --help printed no usage"
done
vg 2 no-such-command
echo "valgrind: $vg_n commands clean"
