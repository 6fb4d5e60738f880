# An org's event_types selection (Torq's categories plus admin, lifecycle
# and explicit types) keeps only what it names; the rest is counted as
# filtered in the ingest summary, status and metrics.  A wrong entry stops
# the command with the entry named.
. "$ROOT/tests/integration/lib.sh"
SAMPLE="$ROOT/data/sample-org.jsonl"

sel() { printf '{"db": "%s/db-%s", "orgs": [{"domain_id": "acme", "event_types": %s}]}\n' "$WORK" "$1" "$2" > "$1.json"; }

sel all '[]'
expect_rc 0 "$IDWATCH" --config all.json ingest --file "$SAMPLE" --json > all.out
total=$(jget all.out 'j["accepted"]')
expect_eq "$(jget all.out 'j["filtered"]')" 0 "an empty selection keeps everything"

sel auth '["authentication"]'
expect_rc 0 "$IDWATCH" --config auth.json ingest --file "$SAMPLE" --json > auth.out
accepted=$(jget auth.out 'j["accepted"]'); filtered=$(jget auth.out 'j["filtered"]')
echo "authentication only: accepted $accepted, filtered $filtered of $total"
[ "$filtered" -gt 0 ] || fail "nothing filtered"
expect_eq "$((accepted + filtered))" "$total" "every event either kept or filtered"
"$IDWATCH" --config auth.json status --json > st.json
expect_eq "$(jget st.json '[o["filtered"] for o in j["orgs"] if o["domain_id"] == "acme"][0]')" "$filtered" "status counts filtered"
"$IDWATCH" --config auth.json metrics | grep -q "^idwatch_events_filtered_total{org=\"acme\"} $filtered\$" || fail "metrics: filtered"

sel one '["user.account.privilege.grant"]'
expect_rc 0 "$IDWATCH" --config one.json ingest --file "$SAMPLE" --json > one.out
want=$(grep -c '"eventType": *"user.account.privilege.grant"' "$SAMPLE" || true)
expect_eq "$(jget one.out 'j["accepted"]')" "$want" "an explicit type keeps exactly its events"

sel bad '["authentication", "Security"]'
expect_rc 1 "$IDWATCH" --config bad.json ingest --file "$SAMPLE" > /dev/null 2> bad.err
grep -q "orgs\[acme\].event_types\[1\]: 'Security' is neither a category" bad.err || { cat bad.err; fail "bad entry not named"; }
echo "event selection: ok"
