#!/bin/sh
# Replays the crash inputs kept under tests/fuzz/regressions/<harness>/
# through each harness built without libFuzzer (replay_main.c), so a
# fixed crash stays fixed; run by `make fuzz-regress`, which `make check`
# and `make sanitize` include:
#
#   sh tests/fuzz/regress.sh BINDIR fuzz_replay fuzz_config ...
#
# Prints "fuzz-regressions: N passed, M failed" and fails if any input
# crashed or broke a harness invariant.
set -u
BIN=$1
shift
pass=0 failn=0
for h in "$@"; do
    dir=tests/fuzz/regressions/$h
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
        [ -f "$f" ] || continue
        case $f in *.md) continue ;; esac
        if "$BIN/replay_$h" "$f" > /tmp/idw-fuzz-regress.$$ 2>&1; then
            pass=$((pass + 1))
        else
            failn=$((failn + 1))
            echo "fuzz regression FAILED: $h $f" >&2
            tail -n 20 /tmp/idw-fuzz-regress.$$ >&2
        fi
    done
done
rm -f /tmp/idw-fuzz-regress.$$
echo "fuzz-regressions: $pass passed, $failn failed"
[ "$failn" = 0 ]
