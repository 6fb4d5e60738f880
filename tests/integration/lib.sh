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
# the tests never read the host's configuration (/etc/idwatch/idwatch.json, $IDWATCH_CONFIG)
unset IDWATCH_CONFIG
export IDWATCH_SYSTEM_CONFIG="$WORK/no-system-config.json"
# dump_personas DB [DOMAIN]: every persona's JSON, in tuid order (for exact comparisons)
dump_personas() {
    "$IDWATCH" --db "$1" persona list ${2:+--domain "$2"} --json | python3 -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["tuid"])' | sort | while read -r t; do
        "$IDWATCH" --db "$1" persona show "$t" ${2:+--domain "$2"} --json
    done
}
# versions_increase REQUESTS_JSONL [resends]: per alert, the versions a webhook receiver
# (tests/soar_sim) answered 200 must rise strictly in arrival order, so [1, 1, 1] fails.
# With "resends", a duplicate of the version just received is allowed (the one delivery
# in flight when its sender was killed); a version older than one already received never is.
versions_increase() {
    python3 - "$1" "${2:-}" <<'PY' || fail "webhook deliveries in $1: versions not strictly increasing"
import json, sys
last, bad, n = {}, [], 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("status") != 200:
        continue
    n += 1
    a, v = r["alert_id"], r["version"]
    prev = last.get(a)
    resend = sys.argv[2] == "resends" and r.get("duplicate") is True and v == prev
    if prev is not None and v <= prev and not resend:
        bad.append("%s: version %d after %d" % (a, v, prev))
    last[a] = v if prev is None else max(v, prev)
for b in bad[:10]:
    print("FAIL: " + b)
if bad or n == 0:
    sys.exit(1)
print("ok: %d accepted deliveries of %d alerts, versions strictly increasing per alert%s"
      % (n, len(last), " (resends of the last allowed)" if sys.argv[2] else ""))
PY
}
