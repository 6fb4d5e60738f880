# The scale-out mode over TLS with authentication (docs/scale-out.md,
# "Securing NATS"): one JetStream nats-server on 127.0.0.1 with a test CA's
# certificate (tests/okta_sim/mkcerts.sh) and a token required.  `cluster
# publish` succeeds with the right CA and token (from a mode-600 file, then
# from $IDWATCH_NATS_TOKEN), and `cluster apply` reads the page back; it
# fails with exit 1 and a message naming the cause without the system trust
# store's help (no CA), with another CA, with a name the certificate does not
# carry (hostname verification), with a wrong token, with a token file of
# mode 644, with two authentication methods, with a CA file missing or not
# PEM, and with a client certificate the server demands missing (then
# succeeds with one).  Then the server takes a user and password instead:
# right (file, then $IDWATCH_NATS_PASSWORD) and wrong.  Neither secret ever
# appears in any output.
. "$ROOT/tests/integration/lib.sh"

sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/pki" > /dev/null
sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/other" > /dev/null    # a CA the server's certificate is not from
TOKEN=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" > token
chmod 600 token
printf 'not-the-token\n' > bad-token
chmod 600 bad-token

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
CP=$(port)
MP=$(port)
NATS_PID=""
stop_nats() { [ -z "$NATS_PID" ] || { kill "$NATS_PID" 2>/dev/null; wait "$NATS_PID" 2>/dev/null; } || true; }
trap 'set +e; stop_nats' EXIT

# start_nats EXTRA_TLS_LINES [AUTHORIZATION]: the server with TLS (plus those lines in its tls block)
# and the token (or that authorization block's content)
start_nats() {
    stop_nats
    cat > nats.conf <<CONF
listen: 127.0.0.1:$CP
http: 127.0.0.1:$MP
jetstream { store_dir: "$WORK/js" }
tls { cert_file: "$WORK/pki/server.pem", key_file: "$WORK/pki/server.key", ca_file: "$WORK/pki/ca.pem", timeout: 2
      $1 }
authorization { ${2:-token: "$TOKEN"} }
CONF
    nats-server -c nats.conf >> nats.log 2>&1 &
    NATS_PID=$!
    i=0
    until curl -s --max-time 1 "http://127.0.0.1:$MP/healthz" | grep -q ok; do
        i=$((i + 1))
        [ "$i" -lt 100 ] || { tail -5 nats.log >&2; fail "nats-server did not start"; }
        kill -0 "$NATS_PID" 2>/dev/null || { tail -5 nats.log >&2; fail "nats-server exited"; }
        sleep 0.1
    done
}
command -v nats-server > /dev/null || fail "nats-server is not installed (sh tools/deps.sh install)"
start_nats ""

# one page of two events for the org acme (partition 0 of 1)
python3 - <<'PY'
import datetime, json, time
from oktaev import *
t = now() - datetime.timedelta(hours=1)
ev = [signin(person("alice@acme.com"), t, net("198.51.100.7")),
      signin(person("bob@acme.com"), t + datetime.timedelta(minutes=5), net("198.51.100.8"))]
page = {"org": "acme", "cursor_polled": "", "next_cursor": "https://acme.okta.com/api/v1/logs?after=x",
        "fetched_at": int(time.time() * 1000), "events": ev}
open("page.jsonl", "w").write(json.dumps(page) + "\n")
PY

# cfg NAME JSON_MEMBERS: a configuration with the server and these cluster keys
cfg() {
    cat > "$1.json" <<CFG
{"cluster": {"partitions": 1, "replicas": 1, "nats": ["tls://127.0.0.1:$CP"]${2:+, $2}}}
CFG
}
cfg good "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_token_file\": \"$WORK/token\""
cfg noca "\"nats_token_file\": \"$WORK/token\""
cfg otherca "\"nats_ca_file\": \"$WORK/other/ca.pem\", \"nats_token_file\": \"$WORK/token\""
cfg badname "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_tls_name\": \"nats.example.net\", \
\"nats_token_file\": \"$WORK/token\""
cfg badtoken "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_token_file\": \"$WORK/bad-token\""
cfg envtoken "\"nats_ca_file\": \"$WORK/pki/ca.pem\""
cfg twoauth "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_token_file\": \"$WORK/token\", \
\"nats_user\": \"idwatch\", \"nats_password_file\": \"$WORK/token\""
cfg missingca "\"nats_ca_file\": \"$WORK/pki/nothere.pem\", \"nats_token_file\": \"$WORK/token\""
printf 'not a certificate\n' > notpem.pem
cfg notpem "\"nats_ca_file\": \"$WORK/notpem.pem\", \"nats_token_file\": \"$WORK/token\""
pub() { c=$1; shift; "$IDWATCH" --config "$WORK/$c.json" cluster publish --file page.jsonl --json "$@"; }

# the right CA and token: published, and applied back into a database
pub good > good.out 2> good.err || fail "publish over TLS with the token: $(cat good.err)"
expect_eq "$(jget good.out 'j["messages"], j["bad"]')" "1 0" "published over TLS with the token"
"$IDWATCH" --config "$WORK/good.json" --db "$WORK/db" cluster apply --partition 0 --json > apply.out 2> apply.err \
    || fail "apply over TLS: $(cat apply.err)"
expect_eq "$(jget apply.out 'j["to_seq"], j["events"]')" "2 2" "applied back over TLS (the genesis and the page: 2 events)"

# the token from the environment instead of a file (a second publish: a duplicate)
IDWATCH_NATS_TOKEN=$TOKEN pub envtoken > env.out 2> env.err || fail "token from the environment: $(cat env.err)"
expect_eq "$(jget env.out 'j["messages"], j["duplicates"]')" "1 1" "published with \$IDWATCH_NATS_TOKEN"

# expect_fail CFG PATTERN WHAT [ENV=VALUE]: exit 1, stderr matching PATTERN
expect_fail() {
    set +e
    env ${4:-} "$IDWATCH" --config "$WORK/$1.json" cluster publish --file page.jsonl --json > "$1.out" 2> "$1.err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "$3: exit $rc, expected 1: $(cat "$1.err")"
    grep -q -- "$2" "$1.err" || fail "$3: stderr lacks '$2': $(cat "$1.err")"
    echo "ok: $3 refused (exit 1): $(grep -o -- "$2" "$1.err" | head -1)"
}
expect_fail noca "cannot connect to tls://127.0.0.1:$CP: TLS handshake failed" "no CA (the system store)"
expect_fail otherca "TLS handshake failed" "another CA"
expect_fail badname "TLS handshake failed" "a name the certificate does not carry"
expect_fail badtoken "authorization violation" "a wrong token"
expect_fail twoauth "cluster.nats_token_file, cluster.nats_user: more than one NATS authentication method" \
    "two authentication methods"
expect_fail good "cluster.nats_token_file and \$IDWATCH_NATS_TOKEN are both set" "a token file and variable" \
    "IDWATCH_NATS_TOKEN=$TOKEN"
expect_fail missingca "cluster.nats_ca_file: $WORK/pki/nothere.pem: No such file" "a CA file that does not exist"
expect_fail notpem "nats: cluster.nats_ca_file: .*Error loading trusted certificates" "a CA file that holds no certificate"
chmod 644 token
expect_fail good "cluster.nats_token_file: $WORK/token is readable by group or others (mode 644)" \
    "a token file of mode 644"
chmod 600 token

# mutual TLS: a server that demands a client certificate refuses one without, takes the test CA's
start_nats "verify: true"
expect_fail good "TLS handshake failed: the server closed the connection" "no client certificate where the server demands one"
# a client certificate from the test CA (clientAuth)
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=idwatch-worker" \
    > /dev/null 2>&1
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.cnf
openssl x509 -req -in client.csr -CA "$WORK/pki/ca.pem" -CAkey "$WORK/pki/ca.key" -CAcreateserial \
    -out client.pem -days 2 -extfile client.cnf > /dev/null 2>&1
chmod 644 client.key
cfg mtls "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_cert_file\": \"$WORK/client.pem\", \
\"nats_key_file\": \"$WORK/client.key\", \"nats_token_file\": \"$WORK/token\""
expect_fail mtls "cluster.nats_key_file: $WORK/client.key is readable by group or others" "a client key of mode 644"
chmod 600 client.key
pub mtls > mtls.out 2> mtls.err || fail "publish with a client certificate: $(cat mtls.err)"
expect_eq "$(jget mtls.out 'j["messages"], j["duplicates"]')" "1 1" "published with a client certificate"

# user and password (from a mode-600 file, then from $IDWATCH_NATS_PASSWORD)
PASSWORD=pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" > password
chmod 600 password
start_nats "" "users = [ { user: idwatch, password: \"$PASSWORD\" } ]"
cfg user "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_user\": \"idwatch\", \"nats_password_file\": \"$WORK/password\""
cfg userenv "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_user\": \"idwatch\""
cfg baduser "\"nats_ca_file\": \"$WORK/pki/ca.pem\", \"nats_user\": \"idwatch\", \"nats_password_file\": \"$WORK/token\""
pub user > user.out 2> user.err || fail "publish with user and password: $(cat user.err)"
expect_eq "$(jget user.out 'j["messages"], j["duplicates"]')" "1 1" "published with user and password"
IDWATCH_NATS_PASSWORD=$PASSWORD pub userenv > userenv.out 2> userenv.err \
    || fail "password from the environment: $(cat userenv.err)"
expect_eq "$(jget userenv.out 'j["messages"]')" "1" "published with \$IDWATCH_NATS_PASSWORD"
expect_fail baduser "authorization violation" "a wrong password"

# the secrets appear nowhere: not in any output of the commands above
if grep -l -e "$TOKEN" -e "$PASSWORD" ./*.out ./*.err 2>/dev/null; then fail "a secret was echoed"; fi
echo "ok: neither the token nor the password appears in any output"
