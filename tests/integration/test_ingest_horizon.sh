# One far-future event must never blind a domain: it is refused as
# "future" (counted in ingest, status and metrics; exit 3) and moves no
# horizon, so real events keep flowing.  A database whose horizon an older
# release let a future event anchor is clamped on open and repaired by
# `idwatch horizon --repair`.
. "$ROOT/tests/integration/lib.sh"
SAMPLE="$ROOT/data/sample-org.jsonl"

python3 - "$SAMPLE" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[0])
e["uuid"] = "future-0000-0000"; e["published"] = "9999-12-31T23:59:59.000Z"
open("future.json", "w").write(json.dumps(e) + "\n")
e["uuid"] = "later-0000-0001"; e["published"] = "2026-10-01T09:00:00.000Z"
open("later.json", "w").write(json.dumps(e) + "\n")
EOF

expect_rc 3 idw ingest --file future.json --json > f.json 2> f.err
expect_eq "$(jget f.json 'j["future"]')" 1 "future event refused"
expect_eq "$(jget f.json 'j["accepted"]')" 0 "future event not accepted"
grep -q 'future-0000-0000 published 9999-12-31.*max_future_skew_s' f.err || fail "future event not explained"

expect_rc 0 idw ingest --file "$SAMPLE" --json > s.json
expect_eq "$(jget s.json 'j["accepted"]')" 3035 "real events accepted after the future one (the 2 unlisted ones too)"
expect_eq "$(jget s.json 'j["stale"]')" 0 "nothing refused as stale"

idw status --json > st.json
expect_eq "$(jget st.json 'j["orgs"][0]["future"]')" 1 "status counts future"
expect_eq "$(jget st.json 'j["orgs"][0]["stale"]')" 0 "status counts stale"
idw metrics > m.txt
grep -q '^idwatch_events_future_total{org="default"} 1$' m.txt || fail "metrics: future counter"
grep -q '^idwatch_events_stale_total{org="default"} 0$' m.txt || fail "metrics: stale counter"
expect_rc 0 idw horizon --json > h.json
expect_eq "$(jget h.json 'j["anchor"]')" 2026-09-15T07:17:48.000Z "horizon anchored on the newest real event"
expect_eq "$(jget h.json 'j["state"]')" ok "horizon state"

# An events file from before the horizon is refused as stale, visibly.
python3 - "$SAMPLE" <<'EOF'
import json, sys
e = json.loads(open(sys.argv[1]).readline())
e["uuid"] = "ancient-0001"; e["published"] = "2025-01-01T00:00:00.000Z"
open("ancient.json", "w").write(json.dumps(e) + "\n")
EOF
expect_rc 3 idw ingest --file ancient.json --json > a.json 2> a.err
expect_eq "$(jget a.json 'j["stale"]')" 1 "ancient event refused as stale"
grep -q 'ancient-0001 published 2025-01-01.*de-duplication horizon' a.err || fail "stale event not explained"

# A horizon poisoned by an older release (written straight into LMDB).
# Only the ingest_stats record is reloaded: the others (the database's random secret among them)
# are left alone, so the test never depends on how their bytes print.
poison() {
    mdb_dump -p -s meta "$WORK/db" > meta.dump
    python3 - <<'EOF'
import re
lines = open("meta.dump").read().split("\n")
end = lines.index("HEADER=END") + 1
header, body = lines[:end], lines[end:]
out = []
for i in range(0, len(body) - 1, 2):
    if body[i].startswith(" ingest_stats\\00"):
        out += [body[i], re.sub(r'"newest_published_ms":\d+', '"newest_published_ms":253402300799000', body[i + 1])]
assert out, "no ingest_stats record in the dump"
open("meta.dump", "w").write("\n".join(header + out + ["DATA=END", ""]))
EOF
    mdb_load -s meta "$WORK/db" < meta.dump
}
poison
expect_rc 3 idw horizon > h2.txt
grep -q 'IN THE FUTURE' h2.txt || fail "poisoned horizon not reported"
# the pipeline clamps it: a real event is still accepted, and the commit rewrites the anchor
expect_rc 0 idw ingest --file later.json --json > l.json 2> l.err
expect_eq "$(jget l.json 'j["accepted"]')" 1 "event accepted despite a poisoned horizon"
grep -q 'anchored in the future' l.err || fail "clamping not logged"
expect_rc 0 idw horizon --json > h3.json
expect_eq "$(jget h3.json 'j["state"]')" ok "anchor rewritten at the next commit"

poison
expect_rc 0 idw horizon --repair --json > h4.json
expect_eq "$(jget h4.json 'j["state"]')" repaired "repair"
expect_eq "$(jget h4.json 'j["anchor"]')" 2026-10-01T09:00:00.000Z "repaired anchor = newest real event"
expect_rc 0 idw horizon
expect_rc 0 idw horizon --help > /dev/null
echo "horizon: ok"
