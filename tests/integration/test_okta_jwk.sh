# The private key as the Okta Admin Console hands it out, a JWK ("Private
# Key (JSON)"), against the simulated org, which holds the app's public keys
# as a JWKS the way Okta does: an RSA JWK and an EC P-256 JWKS, each with
# and without DPoP, every event ingested; the kid comes from the JWK unless
# key_id is set; the assertion's alg follows the key.  Then key files that
# are not regular files (symlink, FIFO, directory) are refused without
# hanging, and an SSWS token pasted with its "SSWS " prefix works.
. "$ROOT/tests/integration/okta_lib.sh"
"$TOOLS/gen-events" --users 10 --days 3 --seed 11 --out events.jsonl
"$IDWATCH" --db ref ingest --file events.jsonl --domain acme --json > ref.json
accepted=$(jget ref.json 'j["accepted"]')

# Test-only keys, made here: private JWKs as Okta exports them, and the app's public JWKS.
"$PY" - <<'PY'
import base64, json, os
from cryptography.hazmat.primitives.asymmetric import ec, rsa

def b64(i, size=None):
    n = size or max(1, (i.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(i.to_bytes(n, "big")).rstrip(b"=").decode()

def save(name, obj):
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2)

r = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
rsa_pub = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "okta-rsa-1",
           "n": b64(r.public_numbers.n), "e": b64(r.public_numbers.e)}
rsa_priv = dict(rsa_pub, d=b64(r.d), p=b64(r.p), q=b64(r.q), dp=b64(r.dmp1), dq=b64(r.dmq1), qi=b64(r.iqmp))
e = ec.generate_private_key(ec.SECP256R1()).private_numbers()
ec_pub = {"kty": "EC", "crv": "P-256", "use": "sig", "kid": "okta-ec-1", "alg": "ES256",
          "x": b64(e.public_numbers.x, 32), "y": b64(e.public_numbers.y, 32)}
ec_priv = dict(ec_pub, d=b64(e.private_value, 32))

save("rsa.jwk.json", rsa_priv)                              # a single JWK
save("ec.jwks.json", {"keys": [ec_priv]})                   # a JWKS with one key
save("rsa-stale-kid.json", dict(rsa_priv, kid="stale-kid"))  # for key_id overriding the JWK's kid
save("public-only.json", rsa_pub)                           # the mistake: the public JWK
save("app-jwks.json", {"keys": [rsa_pub, ec_pub]})          # what the app has registered
with open("secrets.txt", "w") as f:
    f.write("%s\n%s\n" % (rsa_priv["d"][:40], ec_priv["d"][:40]))
PY
SECRETS=$(cat secrets.txt)

AUTH_HEAD='"method": "private_key_jwt", "client_id": "0oaTESTCLIENT"'
# ingest_with NAME AUTH_EXTRA: a fresh database, one run --once; every event must be ingested
ingest_with() {
    rm -rf "$WORK/db"
    write_config "cfg-$1.json" "{$AUTH_HEAD, $2}" '"page_limit": 200'
    "$IDWATCH" --config "cfg-$1.json" run --once > "run-$1.out" 2>&1 || { cat "run-$1.out"; fail "$1: run"; }
    "$IDWATCH" --config "cfg-$1.json" status --json > "status-$1.json"
    expect_eq "$(jget "status-$1.json" 'j["orgs"][0]["events_ingested"]')" "$accepted" "$1: events ingested"
    expect_eq "$(jget "status-$1.json" 'j["orgs"][0]["paused"]')" False "$1: paused"
    no_secret "run-$1.out" "status-$1.json" "$WORK/db/data.mdb"
}

# DPoP required by the app
sim_start "$WORK/simd" --events events.jsonl --client-jwks app-jwks.json --client-kid none --require-dpop
ingest_with rsa-dpop '"private_key_file": "'"$WORK"'/rsa.jwk.json", "dpop": true'
ingest_with ec-dpop '"private_key_file": "'"$WORK"'/ec.jwks.json", "dpop": true'
sim_ctl stats > stats-dpop.json
expect_eq "$(jget stats-dpop.json 'sorted(j["assertions_accepted"])')" \
    "['ES256 okta-ec-1', 'RS256 okta-rsa-1']" "DPoP: assertions by alg and kid (kid from the JWK)"
[ "$(jget stats-dpop.json 'j["dpop_nonce_challenges"]')" -ge 2 ] || fail "DPoP: no nonce challenge per run"
no_secret "$WORK/simd/access.log"
sim_stop "$WORK/simd"

# no DPoP: Bearer tokens; key_id in the configuration wins over the JWK's kid
sim_start "$WORK/simb" --events events.jsonl --client-jwks app-jwks.json --client-kid none
ingest_with rsa-bearer '"private_key_file": "'"$WORK"'/rsa-stale-kid.json", "key_id": "okta-rsa-1"'
grep -q 'auth.key_id \\\?"okta-rsa-1\\\?" overrides the key file.s kid \\\?"stale-kid' run-rsa-bearer.out \
    || fail "no notice that key_id overrides the JWK's kid: $(cat run-rsa-bearer.out)"
ingest_with ec-bearer '"private_key_file": "'"$WORK"'/ec.jwks.json"'
sim_ctl stats > stats-bearer.json
expect_eq "$(jget stats-bearer.json 'sorted(j["assertions_accepted"])')" \
    "['ES256 okta-ec-1', 'RS256 okta-rsa-1']" "Bearer: assertions by alg and kid (key_id over the JWK's kid)"
expect_eq "$(jget stats-bearer.json 'j["dpop_nonce_challenges"]')" 0 "Bearer: DPoP proofs"

# key files idwatch refuses, each before anything is sent: check NAME PATH EXPECTED
refused() {
    write_config cfg-bad.json "{$AUTH_HEAD, \"private_key_file\": \"$2\"}"
    set +e; timeout 20 "$IDWATCH" --config cfg-bad.json okta test-connection > "bad-$1.out" 2>&1; rc=$?; set -e
    [ "$rc" = 1 ] || fail "$1: exit $rc (124 = hung), expected 1: $(cat "bad-$1.out")"
    grep -q -- "$3" "bad-$1.out" || fail "$1: expected '$3', got: $(cat "bad-$1.out")"
    no_secret "bad-$1.out"
    echo "ok: $1 refused: $3"
}
before=$(jget stats-bearer.json 'j["token_requests"]')
refused public-only "$WORK/public-only.json" 'the JWK holds a public key only (no \\\?"d\\\?"): paste the Private Key (JSON)'
ln -s "$WORK/rsa.jwk.json" link.json
refused symlink "$WORK/link.json" 'link.json is a symbolic link'
mkfifo fifo.json
refused fifo "$WORK/fifo.json" 'fifo.json is not a regular file'
mkdir dir.json
refused directory "$WORK/dir.json" 'dir.json is not a regular file'
expect_eq "$(sim_ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')" \
    "$before" "token requests made with refused key files"
sim_stop "$WORK/simb"

# SSWS: the token pasted with its scheme, from a file and from the environment
echo "00sSwSTestToken-0123456789_abcdef" > sim-token
sim_start "$WORK/sims" --events events.jsonl --ssws-token-file sim-token
printf 'SSWS 00sSwSTestToken-0123456789_abcdef\n' > token; chmod 600 token
SECRETS="$SECRETS 00sSwSTestToken"
rm -rf "$WORK/db"
write_config cfg-ssws.json '{"method": "ssws", "token_file": "'"$WORK"'/token"}' '"page_limit": 200'
"$IDWATCH" --config cfg-ssws.json run --once > run-ssws.out 2>&1 || { cat run-ssws.out; fail "SSWS-prefixed token file"; }
"$IDWATCH" --config cfg-ssws.json status --json > status-ssws.json
expect_eq "$(jget status-ssws.json 'j["orgs"][0]["events_ingested"]')" "$accepted" "SSWS-prefixed token file: events ingested"
grep -q 'starts with the \\\?"SSWS \\\?" scheme' run-ssws.out || fail "no notice about the removed prefix"
rm -rf "$WORK/db"
write_config cfg-sswse.json '{"method": "ssws", "token_env": "IDW_TEST_OKTA_TOKEN"}' '"page_limit": 200'
IDW_TEST_OKTA_TOKEN="SSWS 00sSwSTestToken-0123456789_abcdef" "$IDWATCH" --config cfg-sswse.json okta test-connection \
    > tc-ssws.out 2>&1 || { cat tc-ssws.out; fail "SSWS-prefixed token variable"; }
grep -q "acme: OK" tc-ssws.out || fail "SSWS-prefixed token variable: $(cat tc-ssws.out)"
no_secret run-ssws.out status-ssws.json tc-ssws.out "$WORK/sims/access.log"
sim_stop "$WORK/sims"
