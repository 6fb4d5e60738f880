#!/bin/sh
# Runs each libFuzzer harness for a fixed time, one after another (one
# worker each: the machine is small), and fails if any of them crashed:
#
#   sh tests/fuzz/run.sh DIR SECONDS fuzz_replay fuzz_config ...
#
# DIR (build/fuzz) holds the harness binaries and seeds/<harness>/ (from
# build-corpus.sh).  What a run finds worth keeping goes to
# DIR/corpus/<harness>/, which later runs start from; crash inputs go to
# DIR/artifacts/<harness>/; each run's libFuzzer output to
# DIR/logs/<harness>.log.  Prints one line per harness: executions, the
# corpus size and coverage, and the outcome.
set -u
DIR=$1 SECONDS_EACH=$2
shift 2
fail=0
printf '%-22s %12s %8s %8s %s\n' harness executions exec/s corpus result
for h in "$@"; do
    bin=$DIR/$h
    corpus=$DIR/corpus/$h
    art=$DIR/artifacts/$h
    log=$DIR/logs/$h.log
    mkdir -p "$corpus" "$art" "$DIR/logs" "$DIR/seeds/$h"
    dict= opts=
    case $h in
        fuzz_persona_codec|fuzz_evrec_codec|fuzz_http_headers) ;;
        fuzz_http_response|fuzz_okta_token|fuzz_okta_answer) dict=okta-http.dict ;;
        fuzz_key) dict=jwk.dict opts=-max_len=2600 ;;    # the harness skips longer inputs (slow RSA)
        fuzz_sigma) dict=sigma.dict ;;
        *) dict=okta.dict ;;
    esac
    if [ -n "$dict" ] && [ -f "$DIR/$dict" ]; then dict=-dict=$DIR/$dict; else dict=; fi
    "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=30 -rss_limit_mb=2560 \
        -artifact_prefix="$art/" $dict $opts "$corpus" "$DIR/seeds/$h" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    files=$(ls "$corpus" | wc -l)
    if [ "$rc" = 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; $log, inputs in $art/)"
        fail=1
    fi
    printf '%-22s %12s %8s %8s %s\n' "$h" "${execs:-?}" "${rate:-?}" "$files" "$result"
    if [ "$rc" != 0 ]; then
        grep -E 'ERROR:|SUMMARY:|invariant failed|runtime error|^ +#[0-9]+ .* (src|tests/fuzz)/' "$log" | head -n 25 >&2
    fi
done
exit $fail
