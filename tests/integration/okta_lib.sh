# Helpers for the tests that run idwatch against the simulated Okta org
# (tests/okta_sim/okta_sim.py) over HTTPS on 127.0.0.1 with a test CA.
. "$ROOT/tests/integration/lib.sh"
PY=/usr/bin/python3
SIM=$ROOT/tests/okta_sim

# sim_start STATE_DIR [okta_sim.py options...]: starts the simulator, waits until ready
sim_start() {
    sd=$1; shift
    mkdir -p "$sd"
    [ -f "$WORK/certs/ca.pem" ] || sh "$SIM/mkcerts.sh" "$WORK/certs" > /dev/null
    "$PY" "$SIM/okta_sim.py" --state-dir "$sd" --cert-dir "$WORK/certs" "$@" > "$sd/stdout" 2>&1 &
    echo $! > "$sd/pid"
    i=0
    while [ ! -f "$sd/ready" ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { cat "$sd/stdout"; fail "simulator did not start"; }
        sleep 0.1
    done
    SIM_PORT=$(cat "$sd/port")
    SIM_URL=https://127.0.0.1:$SIM_PORT
}
sim_stop() {
    [ -f "$1/pid" ] || return 0
    kill "$(cat "$1/pid")" 2>/dev/null || true
    wait "$(cat "$1/pid")" 2>/dev/null || true
    rm -f "$1/pid"
}
# sim_ctl PATH [JSON]: POST (with JSON) or GET a control endpoint
# sim_ctl stats | sim_ctl CONTROL [JSON]: every control but stats is a POST (an unknown one, or a
# GET of one, is an error here, not a silent 404: `sim_ctl clear-faults` once cleared nothing)
sim_ctl() {
    if [ "$1" = stats ]; then
        curl -sS --fail-with-body --cacert "$WORK/certs/ca.pem" "$SIM_URL/__control/stats"
    else
        curl -sS --fail-with-body --cacert "$WORK/certs/ca.pem" -X POST -H 'Content-Type: application/json' \
            -d "${2:-{\}}" "$SIM_URL/__control/$1"
    fi
}
# write_config FILE AUTH_JSON [EXTRA_ORG_JSON]
write_config() {
    cat > "$1" <<JSON
{"db": "$WORK/db", "orgs": [{"domain_id": "acme", "org_url": "$SIM_URL", "custom_domain": true,
  "ca_file": "$WORK/certs/ca.pem", "auth": $2, "poll_interval_s": 5, "timeout_s": 5 ${3:+, $3}}]}
JSON
}
# no_secret FILE...: none of the secrets may appear in the given outputs
no_secret() {
    for f in "$@"; do
        for s in $SECRETS; do
            if grep -a -q -- "$s" "$f"; then fail "secret material found in $f"; fi
        done
        # a JWT (assertion, proof or access token) would start with eyJ
        if grep -a -q 'eyJ[A-Za-z0-9_-]\{20,\}' "$f"; then fail "a JWT found in $f"; fi
    done
    echo "ok: no secret in $*"
}
trap 'set +e; for d in "$WORK"/*/; do sim_stop "${d%/}"; done' EXIT
