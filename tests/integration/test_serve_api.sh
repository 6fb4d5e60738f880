# The HTTP server and JSON API (docs/api.md) through `idwatch console`, on
# 127.0.0.1 with free ports: API tokens (shown once, stored hashed,
# revoked → 401), roles (a viewer's review → 403), the queue's filters,
# sort and paging, ids by unique prefix, a review (and a bulk review)
# becoming a new version the SOAR receives, bad bodies (400 naming the
# problem, 413 over 64 KiB with or without Content-Length), methods (405),
# security headers on every response, /metrics, static files that never
# leave the console directory, TLS with a test CA, and the refusals of a
# non-loopback plain-HTTP address and of a TLS key other users can read.
. "$ROOT/tests/soar_sim/soar_lib.sh"
set -e
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
soar_secret secret
sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/certs" > /dev/null
soar_start "$WORK/soar" --secret-file "$WORK/secret"
PORT=$(free_port)
mkdir console && cp "$ROOT/console/index.html" console/ && echo 'body{}' > console/app.css
ln -s /etc/passwd console/passwd.txt
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "serve": {"listen": "127.0.0.1:$PORT", "console_dir": "$WORK/console"},
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "low", "retry_base_s": 0.1}]}
JSON
I() { "$IDWATCH" --config cfg.json "$@"; }
I ingest --file "$ROOT/data/sample-org.jsonl" > /dev/null 2>&1 || true
I alerts list --json > alerts.jsonl
N=$(wc -l < alerts.jsonl)
[ "$N" -ge 3 ] || fail "the sample org raised $N alerts, expected at least 3"

# tokens: printed once on stdout, only the hash stored, never listed
I api-token create --name soar-bot --role analyst > tok.analyst 2> create.err
I api-token create --name looker --role viewer > tok.viewer 2>/dev/null
TA=$(cat tok.analyst); TV=$(cat tok.viewer)
case "$TA" in idw_????????????????????????????????????????????????????????????????) ;; *) fail "token form: $TA" ;; esac
grep -q "shown only this once" create.err || fail "create does not say the token is shown once"
grep -qa "$TA" db/data.mdb && fail "the token itself is stored in the database"
HASH=$(printf %s "$TA" | sha256sum | cut -d' ' -f1)
grep -qa "$HASH" db/data.mdb || fail "the token's SHA-256 is not what is stored"
I api-token list --json > toks.jsonl
expect_eq "$(jlines toks.jsonl '",".join(r["name"]+":"+r["role"] for r in rows)')" "looker:viewer,soar-bot:analyst" "token list"
grep -q "$TA" toks.jsonl && fail "api-token list shows a token"
grep -q "$HASH" toks.jsonl && fail "api-token list shows a hash"
expect_rc 1 I api-token create --name soar-bot --role admin 2> dup.err
grep -q "already exists" dup.err || fail "a duplicate name: $(cat dup.err)"
expect_rc 2 I api-token create --name x --role root 2>/dev/null

"$IDWATCH" --config cfg.json console > console.log 2>&1 &    # not through I(): $! must be idwatch
CPID=$!
trap 'kill $CPID 2>/dev/null || true; wait $CPID 2>/dev/null || true; soar_stop "$WORK/soar"; true' EXIT
U=http://127.0.0.1:$PORT
i=0; until curl -s -o /dev/null "$U/metrics"; do i=$((i + 1)); [ $i -lt 50 ] || fail "console did not start: $(cat console.log)"; sleep 0.1; done

# req FILE METHOD PATH [TOKEN] [curl args...]: the body into FILE, the headers into FILE.h; prints the status
req() {
    f=$1 m=$2 p=$3 t=${4:-}; shift 3; [ $# -gt 0 ] && shift
    curl -s -o "$f" -D "$f.h" -w '%{http_code}' -X "$m" ${t:+-H "Authorization: Bearer $t"} "$@" "$U$p"
}
headers_ok() {
    for h in "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" \
             "X-Frame-Options: DENY" "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer"; do
        tr -d '\r' < "$1.h" | grep -qxF "$h" || fail "$1: header missing: $h"
    done
}
api_headers_ok() {
    headers_ok "$1"
    tr -d '\r' < "$1.h" | grep -qx "Cache-Control: no-store" || fail "$1: no Cache-Control: no-store"
    tr -d '\r' < "$1.h" | grep -qix "Content-Type: application/json" || fail "$1: not JSON"
}

# authentication
expect_eq "$(req r1 GET /api/v1/alerts)" 401 "no token"
api_headers_ok r1
expect_eq "$(jget r1 'j["error"]')" "authentication required" "401 body"
expect_eq "$(req r2 GET /api/v1/alerts "idw_$(printf '0%.0s' $(seq 64))")" 401 "unknown token"
expect_eq "$(req r2 GET /api/v1/alerts "not-a-token")" 401 "malformed token"

# the queue
expect_eq "$(req l1 GET /api/v1/alerts "$TV")" 200 "viewer lists"
api_headers_ok l1
expect_eq "$(jget l1 'j["total"]')" "$N" "total"
expect_eq "$(jget l1 'sorted(j["alerts"][0].keys())==sorted("alert_id version rule severity score status domain_id user tuid actor actor_tuid ip first_seen last_seen summary incident_id event_count assignee stage historical".split())')" True "summary fields"
expect_eq "$(jget l1 '[a["last_seen"] for a in j["alerts"]]==sorted([a["last_seen"] for a in j["alerts"]], reverse=True)')" True "newest first"
SEV=$(jlines alerts.jsonl 'rows[0]["severity"]')
NSEV=$(jlines alerts.jsonl "sum(r['severity']=='$SEV' for r in rows)")
req l2 GET "/api/v1/alerts?severity=$SEV" "$TV" > /dev/null
expect_eq "$(jget l2 'j["total"]')" "$NSEV" "severity filter"
expect_eq "$(jget l2 "all(a['severity']=='$SEV' for a in j['alerts'])")" True "severity filter rows"
USER1=$(jlines alerts.jsonl 'rows[0]["user"]')
NUSER=$(jlines alerts.jsonl "sum(r.get('user')=='$USER1' for r in rows)")
req l3 GET "/api/v1/alerts?user=$USER1" "$TV" > /dev/null
expect_eq "$(jget l3 'j["total"]')" "$NUSER" "user filter"
req l4 GET "/api/v1/alerts?limit=1&offset=1&sort=severity&order=asc" "$TV" > /dev/null
expect_eq "$(jget l4 '(len(j["alerts"]), j["total"], j["offset"], j["limit"])')" "(1, $N, 1, 1)" "paging"
expect_eq "$(jlines alerts.jsonl "sorted((['low','medium','high','critical'].index(r['severity']), r['last_seen'], r['alert_id']) for r in rows)[1][2]")" \
          "$(jget l4 'j["alerts"][0]["alert_id"]')" "sort by severity ascending"
req l5 GET "/api/v1/alerts?q=$(jlines alerts.jsonl 'rows[0]["alert_id"][:13]')" "$TV" > /dev/null
expect_eq "$(jget l5 'j["total"]')" 1 "free text"
req l6 GET "/api/v1/alerts?since=1h" "$TV" > /dev/null
expect_eq "$(jget l6 'j["total"]')" 0 "since 1h (the sample org is older)"
expect_eq "$(req e1 GET '/api/v1/alerts?status=opne' "$TV")" 400 "unknown status"
grep -q 'status: unknown value \\"opne\\"' e1 || fail "the 400 does not name the status: $(cat e1)"
expect_eq "$(req e2 GET '/api/v1/alerts?limit=501' "$TV")" 400 "limit over 500"
expect_eq "$(req e3 GET '/api/v1/alerts?since=yesterday' "$TV")" 400 "bad since"
expect_eq "$(req e4 DELETE /api/v1/alerts "$TV")" 405 "DELETE the queue"
tr -d '\r' < e4.h | grep -qx "Allow: GET, HEAD" || fail "405 without Allow"
expect_eq "$(req e5 GET /api/v1/nothing "$TV")" 404 "unknown route"

# one alert, by id or unique prefix
ID=$(jlines alerts.jsonl 'rows[0]["alert_id"]')
ID2=$(jlines alerts.jsonl 'rows[1]["alert_id"]')
expect_eq "$(req g1 GET "/api/v1/alerts/$ID" "$TV")" 200 "get by id"
expect_eq "$(jget g1 '(j["alert_id"], "evidence" in j, j["version"])')" "('$ID', True, 1)" "the full document"
expect_eq "$(req g2 GET "/api/v1/alerts/$(echo "$ID" | cut -c1-8)" "$TV")" 200 "get by prefix"
expect_eq "$(jget g2 'j["alert_id"]')" "$ID" "prefix resolves"
expect_eq "$(req g3 GET "/api/v1/alerts/$(echo "$ID" | cut -c1-5)" "$TV")" 400 "a prefix under 8 characters"
expect_eq "$(req g4 GET /api/v1/alerts/ffffffff-0000 "$TV")" 404 "no such alert"

# reviews
expect_eq "$(req v1 POST "/api/v1/alerts/$ID/review" "$TV" -d '{"status":"acknowledged"}')" 403 "viewer reviews"
expect_eq "$(req v2 POST "/api/v1/alerts/$ID/review" "$TA" -d '{"status":')" 400 "bad JSON"
grep -q "invalid JSON at line 1" v2 || fail "bad JSON: $(cat v2)"
expect_eq "$(req v3 POST "/api/v1/alerts/$ID/review" "$TA" -d '{"status":"acknowledged","colour":"red"}')" 400 "unknown field"
grep -q 'unknown field \\"colour\\"' v3 || fail "unknown field: $(cat v3)"
expect_eq "$(req v4 POST "/api/v1/alerts/$ID/review" "$TA" -d '{"status":"open"}')" 400 "status open"
expect_eq "$(req v5 POST "/api/v1/alerts/$ID/review" "$TA" -d '{}')" 400 "empty review"
grep -q "at least one of status, assignee, note" v5 || fail "empty review: $(cat v5)"
expect_eq "$(req v6 POST "/api/v1/alerts/$(echo "$ID" | cut -c1-8)/review" "$TA" \
             -d '{"status":"acknowledged","assignee":"ann","note":"on it"}')" 200 "analyst acknowledges by prefix"
api_headers_ok v6
expect_eq "$(jget v6 '(j["version"], j["status"], j["assignee"], j["history"][-1]["by"], j["history"][-1]["note"])')" \
          "(2, 'acknowledged', 'ann', 'api:soar-bot', 'on it')" "the new version"
expect_eq "$(req v7 POST "/api/v1/alerts/$ID/review" "$TA" -d '{"status":"acknowledged"}')" 409 "refused transition"
grep -q "is acknowledged: it cannot become acknowledged" v7 || fail "409: $(cat v7)"
expect_eq "$(req v8 POST "/api/v1/alerts/$ID/review" "$TA" -d '{"note":"called the user"}')" 200 "a note alone"
expect_eq "$(jget v8 '(j["version"], j["status"], j["assignee"])')" "(3, 'acknowledged', 'ann')" "a note is a version"
expect_eq "$(req v9 GET "/api/v1/alerts/$ID/review" "$TA")" 405 "GET a review"
# the body cap: by Content-Length, and streamed without one
head -c 70000 /dev/zero | tr '\0' ' ' > big.json
expect_eq "$(req b1 POST /api/v1/alerts/review "$TA" --data-binary @big.json)" 413 "body over 64 KiB"
api_headers_ok b1
expect_eq "$(req b2 POST /api/v1/alerts/review "$TA" -H 'Transfer-Encoding: chunked' --data-binary @big.json)" 413 \
          "chunked body over 64 KiB"
# bulk
expect_eq "$(req k1 POST /api/v1/alerts/review "$TA" \
             -d "{\"ids\":[\"$ID\",\"$(echo "$ID2" | cut -c1-10)\",\"00000000-nope\"],\"status\":\"resolved\"}")" 200 "bulk"
expect_eq "$(jget k1 '[(r["alert_id"], r["ok"]) for r in j["results"]]')" \
          "[('$ID', True), ('$ID2', True), ('00000000-nope', False)]" "bulk results"
expect_eq "$(jget k1 'j["results"][2]["error"]')" "no alert 00000000-nope" "bulk error"
expect_eq "$(req k2 POST /api/v1/alerts/review "$TA" -d '{"status":"resolved"}')" 400 "bulk without ids"
req l7 GET "/api/v1/alerts?status=resolved" "$TV" > /dev/null
expect_eq "$(jget l7 'sorted(a["alert_id"] for a in j["alerts"])')" "$(python3 -c "print(sorted(['$ID','$ID2']))")" "status filter"

# the reviews' versions reach the SOAR (the outbox sink of the configured webhook)
I outbox deliver > /dev/null 2>&1
soar_wait "max(j['alerts'].get('$ID', [0])) == 4 and max(j['alerts'].get('$ID2', [0])) == 2"

# revocation
I api-token revoke soar-bot 2>/dev/null
expect_eq "$(req x1 GET /api/v1/alerts "$TA")" 401 "revoked token"
expect_eq "$(jget x1 'j["error"]')" "invalid or revoked API token" "revoked message"
expect_rc 4 I api-token revoke soar-bot 2>/dev/null

# /metrics, the console's files
expect_eq "$(req m1 GET /metrics)" 200 "metrics"
headers_ok m1
grep -q '^idwatch_build_info{version="[0-9.]*"} 1$' m1 || fail "metrics text"
expect_eq "$(req m2 POST /metrics)" 405 "POST /metrics"
expect_eq "$(req s1 GET /)" 200 "index"
headers_ok s1
tr -d '\r' < s1.h | grep -qix "Content-Type: text/html; charset=utf-8" || fail "index content type"
cmp -s s1 console/index.html || fail "index body"
expect_eq "$(req s2 GET /static/app.css)" 200 "a static file"
tr -d '\r' < s2.h | grep -qix "Content-Type: text/css; charset=utf-8" || fail "css content type"
expect_eq "$(req s3 GET /static/../cfg.json --path-as-is)" 404 "dot-dot"
expect_eq "$(req s4 GET /static/%2e%2e/cfg.json --path-as-is)" 404 "encoded dot-dot"
expect_eq "$(req s5 GET /static/passwd.txt)" 404 "a symbolic link"
expect_eq "$(req s6 GET /static/.hidden)" 404 "a hidden file"
expect_eq "$(req s7 GET /elsewhere)" 404 "unknown path"
headers_ok s7
grep -q "$TA" console.log && fail "a token in the server's log"
grep -q "$TV" console.log && fail "a token in the server's log"
kill $CPID; wait $CPID 2>/dev/null || true

# TLS with the test CA; the key must be mode 600
TPORT=$(free_port)
chmod 600 certs/server.key
cat > tls.json <<JSON
{"db": "$WORK/db", "serve": {"listen": "127.0.0.1:$TPORT", "tls_cert": "$WORK/certs/server.pem",
 "tls_key": "$WORK/certs/server.key", "console_dir": "$WORK/console"}}
JSON
"$IDWATCH" --config tls.json console > tls.log 2>&1 &
CPID=$!
i=0; until curl -s -o /dev/null --cacert certs/ca.pem "https://127.0.0.1:$TPORT/metrics"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "TLS console did not start: $(cat tls.log)"; sleep 0.1; done
expect_eq "$(curl -s -o t1 -w '%{http_code}' --cacert certs/ca.pem -H "Authorization: Bearer $TV" \
             "https://127.0.0.1:$TPORT/api/v1/alerts")" 200 "API over TLS"
expect_eq "$(jget t1 'j["total"]')" "$N" "API over TLS: total"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/metrics")" 000 "no plain HTTP on the TLS port"
kill $CPID; wait $CPID 2>/dev/null || true
chmod 644 certs/server.key
expect_rc 1 timeout 10 "$IDWATCH" --config tls.json console 2> key.err
grep -q "serve.tls_key" key.err || fail "a readable key: $(cat key.err)"

# a plain-HTTP address other hosts can reach is refused
expect_rc 1 timeout 10 "$IDWATCH" --config cfg.json console --listen "0.0.0.0:$(free_port)" 2> remote.err
grep -q "is not a loopback address" remote.err || fail "remote plain HTTP: $(cat remote.err)"
expect_rc 1 timeout 10 "$IDWATCH" --config cfg.json console --listen "localhost" 2> bad.err
grep -q "expected an IP address and port" bad.err || fail "bad listen: $(cat bad.err)"
echo "serve api: ok"
