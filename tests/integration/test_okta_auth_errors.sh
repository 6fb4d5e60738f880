# Authentication and authorization failures get a precise diagnosis and
# pause the org at once instead of spinning.
. "$ROOT/tests/integration/okta_lib.sh"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null
chmod 600 key.pem
openssl pkey -in key.pem -pubout -out pub.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null
chmod 600 other.pem
SECRETS=$(sed -n '2,4p' key.pem | cut -c1-40)
AUTH='{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT", "private_key_file": "'"$WORK"'/key.pem", "key_id": "k1"}'

check() {   # check SIMDIR EXPECTED_TEXT AUTH_JSON [sim options]
    sd=$1; expected=$2; auth=$3; shift 3
    sim_start "$sd" --client-pubkey pub.pem --client-kid k1 "$@"
    rm -rf "$WORK/db"
    write_config cfg.json "$auth"
    expect_rc 1 "$IDWATCH" --config cfg.json okta test-connection > tc.out 2>&1
    grep -q -- "$expected" tc.out || fail "expected '$expected', got: $(cat tc.out)"
    expect_rc 1 "$IDWATCH" --config cfg.json run --once > run.out 2>&1
    grep -q 'PAUSED' run.out || fail "not paused: $(cat run.out)"
    n=$(sim_ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_requests"])')
    [ "$n" -le 4 ] || fail "$n requests: the poller spun on an auth failure"
    no_secret tc.out run.out
    sim_stop "$sd"
    echo "ok: $expected"
}
check "$WORK/s1" "no admin role that can read the System Log" "$AUTH" --no-role
check "$WORK/s2" "grant the scope okta.logs.read" "$AUTH" --scope-granted okta.users.read
check "$WORK/s3" "the app requires DPoP" "$AUTH" --require-dpop
OTHER='{"method": "private_key_jwt", "client_id": "0oaTESTCLIENT", "private_key_file": "'"$WORK"'/other.pem", "key_id": "k1"}'
check "$WORK/s4" "check client_id, key_id and that the public key is registered" "$OTHER"
WRONGID='{"method": "private_key_jwt", "client_id": "0oaSOMEONEELSE", "private_key_file": "'"$WORK"'/key.pem", "key_id": "k1"}'
check "$WORK/s5" "invalid_client" "$WRONGID"

# a key file others can read is refused before anything is sent
chmod 644 key.pem
sim_start "$WORK/s6" --client-pubkey pub.pem
write_config cfg.json "$AUTH"
expect_rc 1 "$IDWATCH" --config cfg.json okta test-connection > tc.out 2>&1
grep -q 'readable by group or others' tc.out || fail "loose key mode accepted"
