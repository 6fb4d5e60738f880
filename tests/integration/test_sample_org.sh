# The bundled sample org (data/sample-org.jsonl) ingests completely, builds
# a persona per person, and re-ingest is a no-op.
. "$ROOT/tests/integration/lib.sh"
S=$ROOT/data/sample-org.jsonl
lines=$(wc -l < "$S" | tr -d ' ')
idw ingest --file "$S" --json > s1.json
expect_eq "$(jget s1.json 'j["rejected"]')" 0 "rejected"
expect_eq "$(jget s1.json 'j["duplicates"]')" 0 "duplicates"
expect_eq "$(jget s1.json 'j["accepted"] + j["skipped_type"] + j["skipped_no_human"]')" "$lines" "every event accounted for"
expect_eq "$(jget s1.json 'j["accepted"]')" "$lines" "every event accepted (each reaches the rules)"
# no persona learns from sign-ins against unknown usernames (267), the system's provisioning
# pushes (13) or its rate-limit warnings (2, unlisted); the rules judge them all
expect_eq "$(jget s1.json 'j["rules_only"]')" 282 "rules only"
idw persona list --json > list.jsonl
n=$(jlines list.jsonl 'len(rows)')
[ "$n" -eq 24 ] || fail "$n personas, expected 24"
expect_eq "$(jlines list.jsonl 'all(r["events"] > 0 for r in rows)')" True "every persona has events"
idw ingest --file "$S" --json > s2.json
expect_eq "$(jget s2.json 'j["accepted"]')" 0 "accepted on re-ingest"
expect_eq "$(jget s2.json 'j["duplicates"]')" "$(jget s1.json 'j["accepted"]')" "all duplicates"
idw persona list --json > list2.jsonl
cmp list.jsonl list2.jsonl || fail "persona list changed on re-ingest"
first=$(jlines list.jsonl 'rows[0]["login"]')
idw persona show "$first" > show.txt
grep -q 'state:' show.txt && grep -q 'countries' show.txt && grep -q 'active hours' show.txt \
    || fail "human persona summary incomplete"
