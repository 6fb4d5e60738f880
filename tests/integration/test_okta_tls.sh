# TLS names the host in subjectAltName or not at all: a server certificate
# from a trusted CA that names the host only in its subject CN (no
# subjectAltName) is refused with a clear message, by the Okta connector
# (an IP address and a DNS name) and by the webhook deliverer, which share
# http.c; the same CA's certificate with a subjectAltName works.
. "$ROOT/tests/integration/okta_lib.sh"
. "$ROOT/tests/soar_sim/soar_lib.sh"
sh "$SIM/mkcerts.sh" "$WORK/certs" > /dev/null
# cn_only DIR CN: a certificate signed by the test CA naming CN only, no subjectAltName
cn_only() {
    mkdir -p "$1"
    openssl req -newkey rsa:2048 -nodes -keyout "$1/server.key" -out "$1/server.csr" -subj "/CN=$2" > /dev/null 2>&1
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$1/ext.cnf"
    openssl x509 -req -in "$1/server.csr" -CA "$WORK/certs/ca.pem" -CAkey "$WORK/certs/ca.key" -CAcreateserial \
        -out "$1/server.pem" -days 2 -extfile "$1/ext.cnf" > /dev/null 2>&1
    openssl x509 -in "$1/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q . && fail "$1 has a SAN"
    true
}
cn_only "$WORK/cn-ip" 127.0.0.1
cn_only "$WORK/cn-dns" localhost
echo "ssws-tls-token" > token; chmod 600 token
SECRETS="ssws-tls-token"
# org_config FILE URL: an SSWS org at URL, trusting the test CA
org_config() {
    cat > "$1" <<JSON
{"db": "$WORK/db", "orgs": [{"domain_id": "acme", "org_url": "$2", "custom_domain": true,
  "ca_file": "$WORK/certs/ca.pem", "auth": {"method": "ssws", "token_file": "$WORK/token"}}]}
JSON
}

# CN-only, by IP address and by DNS name: refused before any request is sent
sim_start "$WORK/sim-ip" --ssws-token-file token --cert-dir "$WORK/cn-ip"
org_config ip.json "$SIM_URL"
rc=0; "$IDWATCH" --config ip.json okta test-connection > ip.out 2>&1 || rc=$?
grep -q 'TLS: the server certificate does not name 127.0.0.1 in its subjectAltName' ip.out || fail "CN-only IP: $(cat ip.out)"
expect_eq $rc 1 "test-connection exit code (CN-only, IP)"
expect_eq "$(sim_ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_requests"])')" 0 "requests sent over the CN-only connection"
sim_start "$WORK/sim-dns" --ssws-token-file token --cert-dir "$WORK/cn-dns"
org_config dns.json "https://localhost:$SIM_PORT"
rc=0; "$IDWATCH" --config dns.json okta test-connection > dns.out 2>&1 || rc=$?
grep -q 'TLS: the server certificate does not name localhost in its subjectAltName' dns.out || fail "CN-only DNS: $(cat dns.out)"
expect_eq $rc 1 "test-connection exit code (CN-only, DNS)"
echo "ok: CN-only certificates refused"

# the same CA with subjectAltName (IP:127.0.0.1, DNS:localhost): accepted both ways
sim_start "$WORK/sim-san" --ssws-token-file token
org_config san.json "$SIM_URL"
"$IDWATCH" --config san.json okta test-connection > san.out 2>&1 || fail "SAN cert by IP: $(cat san.out)"
org_config san-dns.json "https://localhost:$SIM_PORT"
"$IDWATCH" --config san-dns.json okta test-connection > san-dns.out 2>&1 || fail "SAN cert by name: $(cat san-dns.out)"
echo "ok: subjectAltName certificates accepted"

# the webhook deliverer: a CN-only receiver gets nothing, a SAN one the alert
python3 - <<'PY' > scen.jsonl
from oktaev import *
FOREIGN = net("198.51.100.99", 64777)
dump_jsonl([signin(person("erin"), BASE + i * M, FOREIGN, "SUCCESS" if i == 12 else "FAILURE", "INVALID_CREDENTIALS")
            for i in range(13)])
PY
soar_secret secret
soar_start "$WORK/soar-cn" --secret-file "$WORK/secret" --cert-dir "$WORK/cn-ip"
hook_config() {
    cat > "$1" <<JSON
{"db": "$WORK/hookdb", "rules_dir": "$ROOT/rules",
 "webhooks": [{"name": "soar", "url": "$2/hooks/idwatch", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "low", "retry_base_s": 0.05, "retry_cap_s": 0.1}]}
JSON
}
hook_config hook.json "$SOAR_URL"
"$IDWATCH" --config hook.json ingest --file scen.jsonl --domain acme > /dev/null 2>&1
"$IDWATCH" --config hook.json outbox deliver > deliver.out 2>&1 || true
"$IDWATCH" --config hook.json outbox list > outbox.txt 2>&1
grep -q 'does not name 127.0.0.1 in its subjectAltName' outbox.txt || fail "webhook over CN-only TLS: $(cat outbox.txt deliver.out)"
expect_eq "$(soar_stat 'j["accepted"]')" 0 "deliveries accepted by the CN-only receiver"
soar_stop "$WORK/soar-cn"
soar_start "$WORK/soar-san" --secret-file "$WORK/secret"
hook_config hook.json "$SOAR_URL"
sleep 0.2       # past the short retry delay
"$IDWATCH" --config hook.json outbox deliver > deliver2.out 2>&1 || fail "delivery over SAN TLS: $(cat deliver2.out)"
expect_eq "$(soar_stat 'j["accepted"]')" 1 "deliveries accepted by the SAN receiver"
echo "ok: the webhook deliverer refuses CN-only too"
no_secret ip.out dns.out san.out san-dns.out
