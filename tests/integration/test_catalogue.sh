# The shipped Sigma catalogue (rules/okta/*.yml, docs/catalogue.md), end to
# end: every file loads strictly (`rules validate`), and `rules test` runs the
# labelled tests each file carries through the engine, every one of them
# passing, each file with at least one `alert` and one `none` test.  A copy of
# a rule with one label flipped must fail (exit 5), so this test can fail.
. "$ROOT/tests/integration/lib.sh"
CAT="$ROOT/rules/okta"
n=$(ls "$CAT"/*.yml | wc -l)
[ "$n" -ge 40 ] || fail "only $n rule files in rules/okta"
echo "ok: $n rule files"

expect_rc 0 "$IDWATCH" rules validate "$CAT"/*.yml >validate.out
refused=$(grep -vc '^ok ' validate.out || true)
expect_eq "$refused" 0 "files rules validate refuses or skips"
# the shipped rules directory as a whole: ids unique across files, correlations resolve, switches read
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$ROOT"'/rules"}' > cfg.json
expect_rc 0 "$IDWATCH" --config cfg.json rules validate > validate_dir.out
"$IDWATCH" --config cfg.json rules list --json > list.jsonl
expect_eq "$(jlines list.jsonl 'len([r for r in rows if r["kind"] != "c" and not r["mitre"]])')" "0" \
    "every shipped Sigma rule names its MITRE technique"
python3 - list.jsonl "$ROOT/rules" <<'PY' || fail "the rules shipped off are exactly those with a switch file"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
c_rules = {r["id"] for r in rows if r["kind"] == "c"}
switches = sorted(f[:-5] for f in os.listdir(sys.argv[2]) if f.endswith(".json") and f[:-5] not in c_rules)
off = sorted(r["name"] or r["id"] for r in rows if r["kind"] != "c" and not r["enabled"])
print("switch files:", switches)
assert off == switches and len(off) == 6, off
print("ok: the rules shipped off are exactly those with a switch file")
PY

total=0
for f in "$CAT"/*.yml; do
    b=$(basename "$f")
    set +e
    "$IDWATCH" rules test "$f" >test.out 2>&1
    rc=$?
    set -e
    [ "$rc" = 0 ] || { cat test.out; fail "$b: rules test exit $rc"; }
    ! grep -q '^FAIL' test.out || { grep '^FAIL' test.out; fail "$b: a carried test failed"; }
    alerts=$(grep -c '^PASS .*(expect alert' test.out || true)
    nones=$(grep -c '^PASS .*(expect none' test.out || true)
    [ "$alerts" -ge 1 ] && [ "$nones" -ge 1 ] || fail "$b: $alerts alert and $nones none tests passed"
    # every file is in the catalogue table
    grep -q "| \`$b\` |" "$ROOT/docs/catalogue.md" || fail "$b: no row in docs/catalogue.md"
    total=$((total + alerts + nones))
done
echo "ok: $total carried tests pass in $n files"

# a flipped label must be reported: the near miss of the IdP rule now claims an alert
sed '0,/expect: none/s//expect: alert/' "$CAT/okta_idp_created_or_activated.yml" >flipped.yml
set +e
"$IDWATCH" rules test flipped.yml >flipped.out 2>&1
rc=$?
set -e
expect_eq "$rc" 5 "rules test exit on a flipped label"
grep -q '^FAIL .*a failed creation (validation error) does not match (expect alert, 0 alerts)' flipped.out \
    || { cat flipped.out; fail "the flipped test is not named"; }
echo "ok: the flipped label is reported"
