# Rate limits: the poller paces itself to its share of the bucket (so the
# simulator never has to answer 429), honours a 429's reset, and reads
# repeated X-Rate-Limit-* headers.  Then a recorded real response shape.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 6 --days 3 --seed 21 --out events.jsonl
echo "ssws-rate-token" > token; chmod 600 token
sim_start "$WORK/sim" --events events.jsonl --release all --ssws-token-file token \
    --rate-limit 6 --rate-window-s 2
write_config cfg.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}' \
    '"page_limit": 70, "rate_limit_share": 0.5'
sim_ctl fault '{"type":"status","status":429,"reset_in":2}' > /dev/null
start=$(date +%s)
"$IDWATCH" --config cfg.json run --once > run.out 2>&1 || { cat run.out; fail "paced run"; }
secs=$(( $(date +%s) - start ))
sim_ctl stats > stats.json
"$IDWATCH" --config cfg.json status --json > status.json
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
expect_eq "$(jget status.json 'j["orgs"][0]["events_ingested"]')" "$(jget ref.json 'j["accepted"]')" "events ingested"
expect_eq "$(jget status.json 'j["orgs"][0]["http_429"]')" 1 "429s (only the injected one)"
expect_eq "$(jget stats.json 'j["status_counts"].get("429", 0)')" 1 "429s served"
pages=$(jget status.json 'j["orgs"][0]["pages"]')
# at most half of each 6-request window: pages / 3 windows of 2 s at least
[ "$secs" -ge $(( pages / 3 * 2 - 2 )) ] || fail "$pages pages in $secs s: not paced"
echo "ok: $pages pages paced over $secs s"
sim_stop "$WORK/sim"

# the recorded real response: lower-case headers, repeated rate headers, link lines
rm -rf "$WORK/db"
sim_start "$WORK/sim2" --ssws-token-file token --recorded "$ROOT/tests/okta_sim/recorded"
write_config cfg2.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}'
"$IDWATCH" --config cfg2.json run --once > rec.out 2>&1 || { cat rec.out; fail "recorded response"; }
"$IDWATCH" --config cfg2.json status --json > st2.json
expect_eq "$(jget st2.json 'j["orgs"][0]["events_ingested"]')" 2 "recorded events ingested"
expect_eq "$(jget st2.json 'j["orgs"][0]["rate_limit_remaining"]')" 58 "governing rate bucket"
case "$(jget st2.json 'j["orgs"][0]["cursor"]')" in
    *after=1795428902123_1*) echo "ok: cursor from the recorded link header" ;;
    *) fail "cursor not taken from the recorded next link" ;;
esac
"$IDWATCH" --config cfg2.json persona show dana.kim@example.org --json > p.json
expect_eq "$(jget p.json '[a["label"] for a in j["dimensions"]["apps"]]')" "['Slack']" "apps learned from SSO only"
