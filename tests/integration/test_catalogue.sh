# The shipped catalogue (rules/okta/*.yml, docs/catalogue.md): every file
# loads strictly (`rules validate`), the whole rules directory loads together
# (ids unique, correlations resolve), every rule file carries labelled tests
# with at least one `alert` and one `none` case, and every carried test
# passes through the real pipeline (`rules test FILE`).
. "$ROOT/tests/integration/lib.sh"
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$ROOT"'/rules"}' > cfg.json
run() { "$IDWATCH" --config cfg.json "$@"; }

expect_rc 0 run rules validate --json > validate.jsonl
expect_eq "$(jlines validate.jsonl 'sorted(set(r["result"] for r in rows))')" "['ok']" "every shipped file loads"
n_files=$(ls "$ROOT"/rules/okta/*.yml | wc -l)
[ "$n_files" -ge 30 ] || fail "the catalogue has $n_files files, expected at least 30"
run rules list --json > list.jsonl
expect_eq "$(jlines list.jsonl 'len([r for r in rows if r["kind"] != "c" and not r["mitre"]])')" "0" \
    "every shipped Sigma rule names its MITRE technique"

failed=0
for f in "$ROOT"/rules/okta/*.yml; do
    set +e
    run rules test "$f" --json > one.jsonl 2> one.err
    rc=$?
    set -e
    if [ "$rc" != 0 ]; then
        echo "FAIL: rules test $(basename "$f"): exit $rc"
        cat one.err
        jlines one.jsonl '"\n".join("  %s %s: %s (%d alerts)" % (r["result"], r["test"], r["expect"], len(r["alerts"])) for r in rows)'
        failed=$((failed + 1))
        continue
    fi
    kinds=$(jlines one.jsonl 'sorted(set(r["expect"] for r in rows))')
    [ "$kinds" = "['alert', 'none']" ] || { echo "FAIL: $(basename "$f"): tests expect $kinds"; failed=$((failed + 1)); }
    cat one.jsonl >> all.jsonl
done
expect_eq "$failed" "0" "catalogue files whose carried tests all pass"
echo "ok: $(jlines all.jsonl 'len(rows)') carried tests passed in $n_files files"
