# The connector against the simulated org over HTTPS: OAuth private_key_jwt
# (RS256) with DPoP, then ES256 without DPoP.  Every served event is
# ingested exactly once, across two runs, and builds the same personas as
# replaying the same events from a file.  No secret appears anywhere.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 20 --days 10 --seed 5 --out events.jsonl
total=$(wc -l < events.jsonl | tr -d ' ')
half=$((total / 2))
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null
chmod 600 key.pem
openssl pkey -in key.pem -pubout -out pub.pem
SECRETS=$(sed -n '2,4p' key.pem | cut -c1-40)

sim_start "$WORK/sim1" --events events.jsonl --release "$half" --client-pubkey pub.pem \
    --client-kid k1 --require-dpop
write_config cfg.json '{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT",
  "private_key_file": "'"$WORK"'/key.pem", "key_id": "k1", "dpop": true}' '"page_limit": 200'

"$IDWATCH" --config cfg.json okta test-connection > tc.out 2>&1
cat tc.out
grep -q "acme: OK .* $half events in the last hour" tc.out || fail "test-connection"
# more than 20 full pages in the hour: a floor is reported, not the nonce challenge met on the way
write_config cfg-small.json '{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT",
  "private_key_file": "'"$WORK"'/key.pem", "key_id": "k1", "dpop": true}' '"page_limit": 10'
"$IDWATCH" --config cfg-small.json okta test-connection > tc-small.out 2>&1 || { cat tc-small.out; fail "test-connection, 20 full pages"; }
grep -q "acme: OK .* 200 events in the last hour" tc-small.out || { cat tc-small.out; fail "test-connection floor"; }

"$IDWATCH" --config cfg.json run --once > run1.out 2>&1 || { cat run1.out; fail "first run"; }
sim_ctl release '{"all": true}' > /dev/null
"$IDWATCH" --config cfg.json run --once > run2.out 2>&1 || { cat run2.out; fail "second run"; }
"$IDWATCH" --config cfg.json status --json > status.json
sim_ctl stats > stats.json

# every released event served, none ingested twice
expect_eq "$(jget stats.json 'j["released"]')" "$total" "released"
expect_eq "$(jget stats.json 'len(j["served"])')" "$total" "distinct events served"
expect_eq "$(jget stats.json 'j["max_concurrency"]')" 1 "requests in flight at once"
expect_eq "$(jget stats.json 'j["jti_reuse_attempts"]')" 0 "assertion jti reuse"
[ "$(jget stats.json 'j["dpop_nonce_challenges"]')" -ge 1 ] || fail "no DPoP nonce challenge seen"
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
expect_eq "$(jget status.json 'j["orgs"][0]["events_ingested"]')" "$(jget ref.json 'j["accepted"]')" "events ingested"
expect_eq "$(jget status.json 'j["orgs"][0]["duplicates_skipped"]')" 0 "duplicates"
expect_eq "$(jget status.json 'j["orgs"][0]["paused"]')" False "paused"

# the same personas as a file replay of the same events
dump_personas "$WORK/db" acme > polled.dump
dump_personas ref acme > ref.dump
cmp polled.dump ref.dump || fail "polled personas differ from replayed ones"
echo "ok: polled personas equal the file replay"

no_secret tc.out run1.out run2.out status.json "$WORK/sim1/access.log" "$WORK/db/data.mdb"
sim_stop "$WORK/sim1"

# ES256 client key, no DPoP: a Bearer token
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out eckey.pem 2>/dev/null
chmod 600 eckey.pem
openssl pkey -in eckey.pem -pubout -out ecpub.pem
sim_start "$WORK/sim2" --events events.jsonl --release 50 --client-pubkey ecpub.pem --client-kid e1
rm -rf "$WORK/db"
write_config cfg2.json '{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT",
  "private_key_file": "'"$WORK"'/eckey.pem", "key_id": "e1"}'
"$IDWATCH" --config cfg2.json okta test-connection | grep -q "OK .* 50 events" || fail "ES256 test-connection"
"$IDWATCH" --config cfg2.json run --once 2> run3.err || { cat run3.err; fail "ES256 run"; }
"$IDWATCH" --config cfg2.json status --json > st2.json
[ "$(jget st2.json 'j["orgs"][0]["events_ingested"]')" -gt 0 ] || fail "ES256 ingested nothing"
echo "ok: ES256 without DPoP"
