# Helpers sourced by the integration tests.  Every check prints what it
# compared and exits non-zero on mismatch.
set -eu
# the tests' Python heredocs import the shared event builder: from oktaev import *
export PYTHONPATH="$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; echo "ok: $3 = $2"; }
# expect_rc EXPECTED CMD...  runs CMD, checks its exit code
expect_rc() { want=$1; shift; set +e; "$@"; rc=$?; set -e; [ "$rc" = "$want" ] || fail "exit $rc, expected $want: $*"; }
# jget FILE EXPR: evaluate a Python expression over the JSON document j
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# jlines FILE EXPR: same over a list of JSON Lines rows
jlines() { python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print($2)" "$1"; }
idw() { "$IDWATCH" --db "$WORK/db" "$@"; }
# dump_personas DB [DOMAIN]: every persona's JSON, in tuid order (for exact comparisons)
dump_personas() {
    "$IDWATCH" --db "$1" persona list ${2:+--domain "$2"} --json | python3 -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["tuid"])' | sort | while read -r t; do
        "$IDWATCH" --db "$1" persona show "$t" ${2:+--domain "$2"} --json
    done
}
