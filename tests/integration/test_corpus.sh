# The public corpus (data/corpus, Apache-2.0 parts) ingests without a crash;
# real API shapes are accepted, trimmed rule-test events are handled.
. "$ROOT/tests/integration/lib.sh"
C=$ROOT/data/corpus

# A real trial-org capture: 100 events, 95 by the Okta system principal.
idw ingest --file "$C/cribl-okta-rest/I4942I.raw.jsonl" --json > cribl.json
expect_eq "$(jget cribl.json 'j["rejected"]')" 0 "cribl rejected"
expect_eq "$(jget cribl.json 'j["accepted"] + j["skipped_type"] + j["skipped_no_human"]')" 100 "cribl events accounted for"

# An /api/v1/logs response body (JSON array)
# (its events are from 2009: a database of their own, or they would be stale next to 2023)
"$IDWATCH" --db "$WORK/db-grafana" ingest --file "$C/grafana-okta-logs-collector/response.json" --json > grafana.json
expect_eq "$(jget grafana.json 'j["rejected"]')" 0 "grafana rejected"

# Every Panther rule-test file: trimmed events may be rejected (no uuid), never crash
for f in "$C"/panther-analysis/*.jsonl; do
    set +e
    idw ingest --file "$f" --json > p.json 2>/dev/null
    rc=$?
    set -e
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "$f: exit $rc"
done
echo "ok: panther files ingested or rejected cleanly"
idw persona list > /dev/null
