# kill -9 in the middle of an ingest, then a rerun, leaves exactly the same
# personas as one uninterrupted run.
. "$ROOT/tests/integration/lib.sh"
"$TOOLS/gen-events" --users 80 --days 40 --seed 11 --out events.jsonl
n=$(wc -l < events.jsonl)
echo "events: $n"

"$IDWATCH" --db ref ingest --file events.jsonl --json > ref.json

# small batches so the kill lands between commits and inside one
cat > small-batches.json <<'JSON'
{"ingest": {"batch_events": 50}}
JSON
"$IDWATCH" --config small-batches.json --db crash ingest --file events.jsonl > /dev/null 2>&1 &
pid=$!
# kill as soon as some batches are committed, i.e. surely mid-way
i=0
while [ $i -lt 400 ]; do
    c=$("$IDWATCH" --db crash persona list --json 2>/dev/null | wc -l || true)
    [ "${c:-0}" -gt 0 ] && break
    sleep 0.02; i=$((i + 1))
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
first=$("$IDWATCH" --db crash persona list --json 2>/dev/null | wc -l || true)
echo "personas after the kill: $first"
"$IDWATCH" --config small-batches.json --db crash ingest --file events.jsonl --json > resumed.json
cat resumed.json
# the kill must have landed mid-way: some events were already in, some were not
[ "$(jget resumed.json 'j["duplicates"] > 0 and j["accepted"] > 0')" = True ] \
    || fail "kill -9 did not interrupt the ingest mid-way"

dump_personas ref > ref.dump
dump_personas crash > crash.dump
[ -s ref.dump ] || fail "no personas"
cmp ref.dump crash.dump || { diff ref.dump crash.dump | head -20; fail "personas differ after kill -9 and rerun"; }
total=$(python3 -c 'import json;a=json.load(open("ref.json"));print(a["accepted"])')
echo "ok: identical personas ($total events accepted in the reference run)"
