#!/bin/sh
# Runs every tests/integration/test_*.sh against the built binary and prints
# one closing line "N passed, N failed".  Each test gets a fresh scratch
# directory in $WORK and must exit non-zero on any failed assertion.
#   IDWATCH  path to the idwatch binary (default ./idwatch)
#   TOOLS    directory with gen-events etc. (default build/tools)
#   ONLY     run only the tests whose name contains this (e.g. ONLY=detect_)
#   JOBS     how many tests run at once (default 1).  Tests are independent
#            (own $WORK, own ports on 127.0.0.1), and most of their time is
#            spent waiting on servers they started, so `make check` runs two.
#            Each lane takes the next test from one queue, longest first.
set -u
IDWATCH=$(cd "$(dirname "${IDWATCH:-./idwatch}")" && pwd)/$(basename "${IDWATCH:-./idwatch}")
TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${JOBS:-1}
export IDWATCH TOOLS ROOT
case "$JOBS" in [1-8]) ;; *) echo "run.sh: JOBS: expected 1 to 8" >&2; exit 2 ;; esac

# The longest tests first, so that two lanes end together; the rest in name order.
LONG="test_nats_chaos test_okta_storm test_run_concurrent_orgs test_nats_wal test_crash_campaign
test_okta_faults test_okta_nextlink test_nats_worker test_nats_alerts test_okta_starvation test_run_sighup
test_outbox_crash test_run_delivery test_nats_console"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/idw-run.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
for t in $LONG; do [ -f "$ROOT/tests/integration/$t.sh" ] && echo "$t"; done > "$RUN/queue"
for t in "$ROOT"/tests/integration/test_*.sh; do
    name=$(basename "$t" .sh)
    case " $(echo $LONG) " in *" $name "*) ;; *) echo "$name" ;; esac
done >> "$RUN/queue"
grep -F -e "${ONLY:-}" "$RUN/queue" > "$RUN/todo" || true
: > "$RUN/results"

# next: the next test of the queue (a mkdir lock keeps two lanes from taking the same one)
next() {
    while ! mkdir "$RUN/lock" 2>/dev/null; do sleep 0.05; done
    n=$(head -n 1 "$RUN/todo")
    sed -i 1d "$RUN/todo"
    rmdir "$RUN/lock"
    echo "$n"
}

run_one() {
    name=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/idw-$name.XXXXXX")
    export WORK
    t0=$(date +%s)
    if (cd "$WORK" && sh "$ROOT/tests/integration/$name.sh") >"$WORK/log" 2>&1; then
        echo "PASS $name ($(( $(date +%s) - t0 )) s)"
        echo "pass $name" >> "$RUN/results"
        [ -n "${KEEP:-}" ] || rm -rf "$WORK"
    else
        echo "fail $name $WORK" >> "$RUN/results"
        { echo "FAIL $name ($(( $(date +%s) - t0 )) s; log below; scratch kept in $WORK)"
          sed 's/^/    /' "$WORK/log" | tail -40; } > "$RUN/fail.$name"
        # one write, so a failure's log is not interleaved with the other lane's lines
        cat "$RUN/fail.$name"
    fi
}

lane() {
    while :; do
        name=$(next)
        [ -n "$name" ] || return 0
        run_one "$name"
    done
}

i=0
while [ "$i" -lt "$JOBS" ]; do
    lane &
    i=$((i + 1))
done
wait
passed=$(grep -c '^pass ' "$RUN/results")
failed=$(grep -c '^fail ' "$RUN/results")
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
