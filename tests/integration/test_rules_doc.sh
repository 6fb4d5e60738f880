# docs/rules.md is checked against the rules' settings tables: every
# setting of every rule is documented in that rule's section with its
# default ("`min_failures` (10)"), and the shipped rules/*.json hold only
# settings the tables know, within their ranges.
. "$ROOT/tests/integration/lib.sh"
printf '{"db": "%s/db", "rules_dir": "%s/rules"}\n' "$WORK" "$ROOT" > cfg.json
expect_rc 0 "$IDWATCH" --config cfg.json rules list --json > rules.jsonl
python3 - rules.jsonl "$ROOT/docs/rules.md" <<'PY' || fail "docs/rules.md disagrees with the settings tables"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc = open(sys.argv[2]).read()
secs = {m.group(1): m.group(2) for m in re.finditer(r'^## ([a-z_]+)\n(.*?)(?=^## |\Z)', doc, re.S | re.M)}
missing = []
for r in rows:
    sec = secs.get(r["id"])
    if sec is None:
        missing.append("no section for rule %s" % r["id"])
        continue
    for p in r["params"]:
        d = p["default"]
        ds = str(int(d)) if d == int(d) else str(d)
        want = "`%s`" % p["name"] if p["type"] == "strings" else "`%s` (%s" % (p["name"], ds)
        if want not in sec:
            missing.append("%s: %s" % (r["id"], want))
print("\n".join(missing) or "ok: %d rules, %d settings documented" % (len(rows), sum(len(r["params"]) for r in rows)))
sys.exit(1 if missing else 0)
PY
