# Helpers for the tests that deliver idwatch alerts to the simulated SOAR
# webhook receiver (tests/soar_sim/soar_sim.py) over HTTPS on 127.0.0.1.
# Source it after setting ROOT and WORK (tests/integration/run.sh does);
# it can be sourced together with okta_lib.sh: both use $WORK/certs.
. "$ROOT/tests/integration/lib.sh"
SOAR=$ROOT/tests/soar_sim

# soar_secret FILE: writes a fresh random HMAC secret (mode 600, one line)
soar_secret() {
    (umask 077 && openssl rand -hex 32 > "$1")
}
# soar_start STATE_DIR --secret-file F [soar_sim.py options...]: starts the
# receiver and waits until it listens; sets SOAR_PORT and SOAR_URL
soar_start() {
    sd=$1; shift
    mkdir -p "$sd"
    rm -f "$sd/ready" "$sd/port"
    [ -f "$WORK/certs/ca.pem" ] || sh "$ROOT/tests/okta_sim/mkcerts.sh" "$WORK/certs" > /dev/null
    /usr/bin/python3 "$SOAR/soar_sim.py" --state-dir "$sd" --cert-dir "$WORK/certs" "$@" > "$sd/stdout" 2>&1 &
    echo $! > "$sd/pid"
    i=0
    while [ ! -f "$sd/ready" ]; do
        i=$((i + 1))
        if [ $i -ge 100 ] || ! kill -0 "$(cat "$sd/pid")" 2>/dev/null; then
            cat "$sd/stdout" >&2; fail "SOAR receiver did not start"
        fi
        sleep 0.1
    done
    SOAR_PORT=$(cat "$sd/port")
    SOAR_URL=https://127.0.0.1:$SOAR_PORT
}
# soar_stop STATE_DIR: SIGTERM, then wait for it to exit (the port is then refused)
soar_stop() {
    [ -f "$1/pid" ] || return 0
    kill "$(cat "$1/pid")" 2>/dev/null || true
    wait "$(cat "$1/pid")" 2>/dev/null || true
    rm -f "$1/pid" "$1/ready"
}
# soar_ctl PATH [JSON]: GET stats, or POST any other control (JSON body, {} if none), e.g.
#   soar_ctl fault '{"status": 503, "count": 2}'; soar_ctl clear-faults; soar_ctl stats
soar_ctl() {
    if [ "$1" = stats ]; then
        curl -sS --fail-with-body --cacert "$WORK/certs/ca.pem" "$SOAR_URL/__control/stats"
    else
        curl -sS --fail-with-body --cacert "$WORK/certs/ca.pem" -X POST \
            -H 'Content-Type: application/json' -d "${2:-{\}}" "$SOAR_URL/__control/$1"
    fi
}
# soar_stat EXPR: a Python expression over the stats document j, e.g.
#   expect_eq "$(soar_stat 'j["accepted"]')" 3 "alerts accepted"
soar_stat() {
    soar_ctl stats | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}
# soar_wait EXPR [SECONDS]: polls the stats until EXPR (over j) is true
soar_wait() {
    i=0; n=$(( ${2:-10} * 10 ))
    while [ "$(soar_stat "bool($1)")" != True ]; do
        i=$((i + 1)); [ $i -lt $n ] || fail "SOAR receiver: timed out waiting for $1 (stats: $(soar_ctl stats))"
        sleep 0.1
    done
}
trap 'for d in "$WORK"/*/; do if [ -f "${d}pid" ]; then kill "$(cat "${d}pid")" 2>/dev/null || true; wait "$(cat "${d}pid")" 2>/dev/null || true; fi; done; true' EXIT
