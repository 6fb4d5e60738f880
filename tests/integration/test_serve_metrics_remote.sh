# /metrics needs no credential from a loopback scraper (what the old
# loopback-only listener served), but from any other peer — the server
# listening beyond the host — it asks for a token like the API.  The peer
# is this host's own non-loopback address (no other network); a host that
# has none skips the test.
. "$ROOT/tests/integration/lib.sh"
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -1 || true)
[ -n "$IP" ] || { echo "SKIP: this host has no non-loopback IPv4 address"; exit 0; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > cfg.json <<JSON
{"db": "$WORK/db", "serve": {"listen": "0.0.0.0:$PORT", "allow_plaintext_remote": true}}
JSON
"$IDWATCH" --config cfg.json ingest --file "$ROOT/data/sample-org.jsonl" > /dev/null 2>&1 || true
TOKEN=$("$IDWATCH" --config cfg.json api-token create --name scraper --role viewer 2>/dev/null)
"$IDWATCH" --config cfg.json console > console.log 2>&1 &
CPID=$!
trap 'kill $CPID 2>/dev/null || true; wait $CPID 2>/dev/null || true' EXIT
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "console did not start: $(cat console.log)"; sleep 0.1; done
code() { curl -s --noproxy '*' -o body -w '%{http_code}' "$@"; }
expect_eq "$(code "http://127.0.0.1:$PORT/metrics")" 200 "loopback scrape, no credential"
grep -q '^idwatch_' body || fail "loopback scrape: no metrics in $(head -c 200 body)"
expect_eq "$(code "http://$IP:$PORT/metrics")" 401 "scrape from $IP without a token"
grep -q 'idwatch_' body && fail "the refused scrape still carried metrics"
expect_eq "$(code -H "Authorization: Bearer $TOKEN" "http://$IP:$PORT/metrics")" 200 "scrape from $IP with a token"
grep -q '^idwatch_' body || fail "token scrape: no metrics"
