#!/bin/sh
# Runs every tests/integration/test_*.sh against the built binary and prints
# one closing line "N passed, N failed".  Each test gets a fresh scratch
# directory in $WORK and must exit non-zero on any failed assertion.
#   IDWATCH  path to the idwatch binary (default ./idwatch)
#   TOOLS    directory with gen-events etc. (default build/tools)
#   ONLY     run only the tests whose name contains this (e.g. ONLY=detect_)
set -u
IDWATCH=$(cd "$(dirname "${IDWATCH:-./idwatch}")" && pwd)/$(basename "${IDWATCH:-./idwatch}")
TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export IDWATCH TOOLS ROOT
passed=0; failed=0; failures=""
for t in "$ROOT"/tests/integration/test_*.sh; do
    name=$(basename "$t" .sh)
    case "$name" in *"${ONLY:-}"*) ;; *) continue ;; esac
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/idw-$name.XXXXXX")
    export WORK
    t0=$(date +%s)
    if (cd "$WORK" && sh "$t") >"$WORK/log" 2>&1; then
        passed=$((passed + 1)); echo "PASS $name ($(( $(date +%s) - t0 )) s)"
        [ -n "${KEEP:-}" ] || rm -rf "$WORK"
    else
        failed=$((failed + 1)); failures="$failures $name"
        echo "FAIL $name (log below; scratch kept in $WORK)"; sed 's/^/    /' "$WORK/log" | tail -40
    fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
