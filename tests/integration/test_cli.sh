# Command-line contract: --help everywhere, exit codes, normalized output,
# configuration errors.
. "$ROOT/tests/integration/lib.sh"
expect_rc 0 "$IDWATCH" --help > help.txt
grep -q 'ingest' help.txt || fail "--help lists no ingest"
expect_rc 0 "$IDWATCH" ingest --help > /dev/null
expect_rc 0 "$IDWATCH" persona --help > /dev/null
expect_rc 0 "$IDWATCH" --version > /dev/null
expect_rc 2 "$IDWATCH" > /dev/null 2>&1
expect_rc 2 "$IDWATCH" frobnicate 2> err.txt
grep -q "unknown command 'frobnicate'" err.txt || fail "unknown command message"
expect_rc 2 "$IDWATCH" ingest 2> /dev/null
expect_rc 2 "$IDWATCH" persona show 2> /dev/null
expect_rc 2 "$IDWATCH" persona frob 2> /dev/null
expect_rc 1 "$IDWATCH" --db nothing-here persona list 2> err.txt
grep -q 'no database' err.txt || fail "missing database message"

# configuration errors are precise and fatal
echo '{"orgs":[{"domain_id":"a","poll_interval_s":"60"}]}' > bad.json
expect_rc 1 "$IDWATCH" --config bad.json ingest --file /dev/null 2> err.txt
grep -q 'orgs\[0\].poll_interval_s: expected an integer' err.txt || fail "config type error: $(cat err.txt)"
echo '{"colour":1}' > bad2.json
expect_rc 1 "$IDWATCH" --config bad2.json ingest --file /dev/null 2> err.txt
grep -q 'colour: unknown key' err.txt || fail "unknown key error"

# --emit-normalized writes the TOTAL schema, one event per accepted event
idw ingest --file "$ROOT/data/fixtures/persona-fixture.jsonl" --domain acme-prod \
    --emit-normalized norm.jsonl > /dev/null
# (13: the unlisted system.org.rate_limit.warning is ingested too, for the rules)
expect_eq "$(wc -l < norm.jsonl | tr -d ' ')" 13 "normalized lines"
expect_eq "$(jlines norm.jsonl 'sorted(set(r["context"]["category"] for r in rows))')" \
    "['AUTH', 'OTHER', 'ROLE']" "categories"
expect_eq "$(jlines norm.jsonl 'sorted(set(r["event_type"] for r in rows))')" "['ADMIN', 'AUTH']" "event types"
expect_eq "$(jlines norm.jsonl 'all(r["domain_id"]=="acme-prod" and r["source"]=="OKTA" and r["platform_event_source"]=="OKTA_SYSTEM_LOG_API" for r in rows)')" True "fixed fields"
expect_eq "$(jlines norm.jsonl 'len(set(r["tuid"] for r in rows if r["tuid"]))')" 2 "two people"
expect_eq "$(jlines norm.jsonl 'sum(1 for r in rows if r["tuid"] is None)')" 1 "unknown-user event has no tuid"
# event ids and tuids are stable: a fresh database gives the same output, except
# the unknown-username hash, which is keyed by each database's own secret
"$IDWATCH" --db db2 ingest --file "$ROOT/data/fixtures/persona-fixture.jsonl" --domain acme-prod \
    --emit-normalized norm2.jsonl > /dev/null
strip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l); h = r["context"].pop("unknown_user_hash")
    print(json.dumps(r, sort_keys=True), h is not None)' "$1"; }
strip norm.jsonl > n1; strip norm2.jsonl > n2
cmp n1 n2 || fail "normalized output not deterministic"
h1=$(jlines norm.jsonl '[r["context"]["unknown_user_hash"] for r in rows if r["context"]["unknown_user_hash"]][0]')
h2=$(jlines norm2.jsonl '[r["context"]["unknown_user_hash"] for r in rows if r["context"]["unknown_user_hash"]][0]')
[ "$h1" != "$h2" ] || fail "unknown-username hash is not keyed per database"
# the persona is namespaced by domain
expect_rc 0 idw persona show alice@acme.example --domain acme-prod > /dev/null
expect_rc 4 idw persona show alice@acme.example --domain other 2> /dev/null

# a rule file that does not parse is an error naming the file, even after a rule file that is absent
mkdir badrules
echo '{"enabled": false,,}' > badrules/password_spray.json
echo '{"db": "'"$WORK"'/db-bad", "rules_dir": "'"$WORK"'/badrules"}' > badrules.json
expect_rc 1 "$IDWATCH" --config badrules.json rules list > badrules.out 2>&1
grep -q "password_spray.json" badrules.out || { cat badrules.out; fail "the bad rule file is named"; }

# --help never acts, wherever it stands: every command and subcommand prints its usage and exits 0,
# touching no database (`outbox retry --help` once ran a retry)
for c in "ingest --file x" "run --once" "backfill" "okta test-connection" "okta resume" "status" "metrics" \
         "persona list" "persona show x" "alerts list" "alerts ack X --note n" "alerts fp X" "rules list" \
         "outbox list" "outbox retry --all" "outbox deliver" "horizon --repair"; do
    # shellcheck disable=SC2086
    "$IDWATCH" --db "$WORK/help-db" $c --help > help.out 2>&1 || { cat help.out; fail "$c --help: exit $?"; }
    grep -q "^usage: idwatch" help.out || { cat help.out; fail "$c --help: no usage"; }
    "$IDWATCH" --db "$WORK/help-db" $c -h > /dev/null 2>&1 || fail "$c -h"
done
[ ! -e "$WORK/help-db" ] || fail "--help created or opened a database"
echo "ok: --help never acts"

# cluster rules: --by is checked before anything is published (an empty one made every applier skip
# the message as malformed); --json output is JSON whatever the rules_dir's name
expect_rc 2 "$IDWATCH" --db "$WORK/c-db" cluster rules publish --by '' 2> by.err
grep -q -- "--by: expected 1 to 256 characters" by.err || fail "--by '': $(cat by.err)"
mkdir -p 'odd"dir\x'
printf '{"db": "%s/c-db", "rules_dir": "%s/odd\\"dir\\\\x"}\n' "$WORK" "$WORK" > odd.json
idw_fp=$("$IDWATCH" --config odd.json cluster rules fingerprint --json) || fail "fingerprint of odd\"dir: $idw_fp"
expect_eq "$(printf "%s\n" "$idw_fp" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["rules_dir"].endswith("odd\"dir\\x"), j["files"])')" \
    "True 0" "cluster rules fingerprint --json escapes the rules_dir"
