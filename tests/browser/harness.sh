#!/bin/sh
# Starts a console server on 127.0.0.1 and runs the browser test
# (tests/browser/console_test.py) against it; everything it started is
# stopped on exit (trap), and every wait is bounded.  Extra arguments go to
# console_test.py (e.g. --screenshots DIR, used by `make screenshots`).
#
# Which server:
#   - the real daemon when "$IDWATCH console --help" succeeds: a generated
#     org (tools/gen-events --attacks, the last 20 days up to yesterday) is
#     ingested into a fresh database (an org "default" with an org_url, so
#     events have Okta links), an analyst and a viewer are created
#     with `idwatch user add NAME --role R --password-file F`, and
#     `idwatch --db DB console --listen 127.0.0.1:PORT` serves it; the test
#     also runs its raw-HTTP CSRF and authorization checks (--raw-http);
#   - otherwise tests/browser/mock_api.py with its canned data
#     (tests/browser/fixture.json), browser scenario only.
#   CONSOLE_SERVER=mock|daemon forces one.
# Environment: IDWATCH (binary), TOOLS (gen-events' directory), WORK (scratch
# directory, else a temporary one removed at the end).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IDWATCH=${IDWATCH:-$ROOT/idwatch}
TOOLS=${TOOLS:-$ROOT/build/tools}
PY=/usr/bin/python3
OWN_WORK=
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/idw-console.XXXXXX")
    OWN_WORK=1
fi
H=$WORK/console-harness
mkdir -p "$H"
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -z "$OWN_WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL: up to 15 s for the server to answer
wait_http() {
    i=0
    until $PY -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -ge 75 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "harness: the console server did not start; its output:" >&2
            cat "$H/server.out" >&2
            exit 1
        fi
        sleep 0.2
    done
}

secret() { (umask 077 && printf '%s\n' "$2" > "$H/$1"); }

mode=${CONSOLE_SERVER:-}
if [ -z "$mode" ]; then
    if "$IDWATCH" console --help >/dev/null 2>&1; then mode=daemon; else mode=mock; fi
fi
secret analyst.pw "analyst-pass-1"
secret viewer.pw "viewer-pass-1"
set -- --user analyst --password-file "$H/analyst.pw" "$@"

case "$mode" in
daemon)
    echo "harness: the real daemon ($IDWATCH console)"
    start=$(date -u -d '-20 days' +%Y-%m-%d)
    # an org URL, so the API's events carry their okta_url (the console's "Open in Okta" links)
    printf '{"orgs": [{"domain_id": "default", "org_url": "https://acme.okta.com"}]}\n' > "$H/config.json"
    "$TOOLS/gen-events" --users 40 --days 20 --start "$start" --seed 42 --attacks --out "$H/events.jsonl" >/dev/null 2>"$H/gen-events.err"
    "$IDWATCH" --config "$H/config.json" --db "$H/db" ingest --file "$H/events.jsonl" >/dev/null
    "$IDWATCH" user --help >/dev/null 2>&1 || {
        echo "harness: $IDWATCH serves a console but has no \`user\` command to create the test's logins" >&2
        exit 1; }
    "$IDWATCH" --db "$H/db" user add analyst --role analyst --password-file "$H/analyst.pw"
    "$IDWATCH" --db "$H/db" user add viewer --role viewer --password-file "$H/viewer.pw"
    port=$(free_port)
    "$IDWATCH" --config "$H/config.json" --db "$H/db" console --listen "127.0.0.1:$port" > "$H/server.out" 2>&1 &
    SERVER_PID=$!
    set -- "$@" --viewer-user viewer --viewer-password-file "$H/viewer.pw" --raw-http --range 7d
    ;;
mock)
    echo "harness: the mock API (tests/browser/mock_api.py): $IDWATCH has no console command"
    port=$(free_port)
    $PY "$ROOT/tests/browser/mock_api.py" --port "$port" > "$H/server.out" 2>&1 &
    SERVER_PID=$!
    ;;
*)
    echo "harness: CONSOLE_SERVER must be mock or daemon" >&2
    exit 2 ;;
esac
wait_http "http://127.0.0.1:$port/"
timeout 300 $PY "$ROOT/tests/browser/console_test.py" --base-url "http://127.0.0.1:$port" "$@"
