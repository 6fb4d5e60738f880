# Bad input never crashes and never loses what was accepted: each broken
# element is reported with its line number and skipped; the exit code says
# something was rejected.
. "$ROOT/tests/integration/lib.sh"
good() { printf '{"uuid":"%s","published":"2026-03-16T08:00:0%s.000Z","eventType":"user.session.start","actor":{"id":"00uG%s","type":"User","alternateId":"g%s@acme.example"},"outcome":{"result":"SUCCESS"},"client":{"ipAddress":"198.51.100.1"}}\n' "$1" "$1" "$1" "$1"; }
{
    good 1
    echo '{"uuid":"broken","published":'            # truncated line
    good 2
    echo 'not json at all'
    echo '[1,2,3]'                                   # an array: three elements, none an object
    echo '{"uuid":"nt","published":"2026-03-16T08:00:00Z"}'   # missing eventType
    echo '{"uuid":"bt","published":"last tuesday","eventType":"user.session.start"}'
    echo '{"uuid":{"x":1},"published":"2026-03-16T08:00:00Z","eventType":"user.session.start"}'
    printf '{"uuid":"huge","published":"2026-03-16T08:00:00Z","eventType":"user.session.start","displayMessage":"%s"}\n' \
        "$(head -c 5000000 /dev/zero | tr '\0' 'x')"  # over the 4 MiB event cap
    good 3
} > mixed.jsonl

expect_rc 3 idw ingest --file mixed.jsonl --json > sum.json 2> err.txt
cat err.txt
expect_eq "$(jget sum.json 'j["accepted"]')" 3 "accepted"
expect_eq "$(jget sum.json 'j["rejected"]')" 9 "rejected"
grep -q '^.*line 2' err.txt || fail "line 2 not reported"
grep -q 'line 6.*missing eventType' err.txt || fail "missing eventType not reported with its line"
grep -q 'line 7.*RFC 3339' err.txt || fail "bad time not reported"
grep -q 'line 9.*larger than' err.txt || fail "oversized event not reported"
expect_eq "$(idw persona list --json | wc -l | tr -d ' ')" 3 "personas kept"

# a truncated JSON array keeps the complete elements before the cut
{ printf '['; good 4 | tr -d '\n'; printf ','; good 5 | tr -d '\n'; printf ',{"uuid":"cut","publ'; } > cut.json
expect_rc 3 idw ingest --file cut.json --json > sum2.json 2> err2.txt
expect_eq "$(jget sum2.json 'j["accepted"]')" 2 "accepted before the truncation"
grep -q 'truncated' err2.txt || fail "truncation not reported"

# an empty file and an empty array are fine
: > empty.jsonl
expect_rc 0 idw ingest --file empty.jsonl
echo '[]' > empty.json
expect_rc 0 idw ingest --file empty.json
# a missing file is a failure, not a crash
expect_rc 1 idw ingest --file does-not-exist.json
