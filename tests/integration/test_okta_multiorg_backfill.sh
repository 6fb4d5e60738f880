# A provider's two orgs are polled independently (own cursor, own personas);
# backfill seeds a fresh org and hands its cursor to `run`; a revoked OAuth
# token is renewed once, transparently.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 8 --days 4 --seed 31 --org alpha --out a.jsonl
"$TOOLS/gen-events" --users 5 --days 4 --seed 32 --org beta --out b.jsonl
echo "alpha-token" > ta; echo "beta-token" > tb; chmod 600 ta tb
sim_start "$WORK/simA" --events a.jsonl --release 100 --ssws-token-file ta
urlA=$SIM_URL
sim_start "$WORK/simB" --events b.jsonl --release all --ssws-token-file tb
urlB=$SIM_URL
cat > cfg.json <<JSON
{"db": "$WORK/db", "orgs": [
  {"domain_id": "alpha", "org_url": "$urlA", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
   "auth": {"method": "ssws", "token_file": "$WORK/ta"}, "page_limit": 100, "backfill_days": 30},
  {"domain_id": "beta", "org_url": "$urlB", "custom_domain": true, "ca_file": "$WORK/certs/ca.pem",
   "auth": {"method": "ssws", "token_file": "$WORK/tb"}, "page_limit": 100}]}
JSON
"$IDWATCH" --config cfg.json backfill --days 30 alpha > bf.out 2>&1 || { cat bf.out; fail "backfill"; }
grep -q 'backfill caught up' bf.out || fail "backfill did not report completion"
"$IDWATCH" --config cfg.json status --json > s1.json
expect_eq "$(jget s1.json '[o["events_ingested"] > 0 for o in j["orgs"]]')" "[True, False]" "only alpha backfilled"
# the cursor is handed to run; a second backfill of a live org is refused
SIM_URL=$urlA sim_ctl release '{"all": true}' > /dev/null
"$IDWATCH" --config cfg.json run --once > run.out 2>&1 || { cat run.out; fail "run"; }
"$IDWATCH" --config cfg.json status --json > s2.json
"$IDWATCH" --db refA ingest --file a.jsonl --domain alpha --json > ra.json
"$IDWATCH" --db refB ingest --file b.jsonl --domain beta --json > rb.json
expect_eq "$(jget s2.json '[o["events_ingested"] for o in j["orgs"]]')" \
    "[$(jget ra.json 'j["accepted"]'), $(jget rb.json 'j["accepted"]')]" "both orgs, each event once"
expect_eq "$(jget s2.json 'j["orgs"][0]["duplicates_skipped"]')" 0 "no overlap between backfill and run"
# personas are namespaced: the same login in both orgs is two personas
"$IDWATCH" --config cfg.json persona list --json > pl.jsonl
expect_eq "$(jlines pl.jsonl 'sorted(set(r["domain_id"] for r in rows))')" "['alpha', 'beta']" "domains"
expect_rc 1 "$IDWATCH" --config cfg.json backfill alpha 2> bf2.err
grep -q 'live polling has already started' bf2.err || fail "second backfill not refused"
echo "ok: multi-org and backfill"

# OAuth: a token revoked server-side is renewed once and polling continues
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null
chmod 600 key.pem; openssl pkey -in key.pem -pubout -out pub.pem
sim_start "$WORK/simC" --events a.jsonl --release 200 --client-pubkey pub.pem
rm -rf "$WORK/db"
write_config cfgC.json '{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT", "private_key_file": "'"$WORK"'/key.pem", "key_id": "k1"}' '"page_limit": 100'
"$IDWATCH" --config cfgC.json run --once > c1.out 2>&1 || { cat c1.out; fail "oauth run"; }
sim_ctl revoke-tokens '{}' > /dev/null
sim_ctl release '{"all": true}' > /dev/null
"$IDWATCH" --config cfgC.json run > c2.out 2>&1 &
pid=$!
i=0
until "$IDWATCH" --config cfgC.json status --json 2>/dev/null | grep -q "\"events_ingested\": $(jget ra.json 'j["accepted"]')"; do
    i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; cat c2.out; fail "no progress after the token was revoked"; }
    sleep 0.1
done
kill -TERM $pid; wait $pid
[ "$(sim_ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')" -eq 2 ] \
    || fail "expected exactly one renewal"
echo "ok: revoked token renewed once"
