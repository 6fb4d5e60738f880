# docs/rules.md is checked against the rules' settings tables: every
# setting of every rule is documented in that rule's section with its
# default ("`min_failures` (10)"); the "Settings reference" at the end is
# exactly the tables (name, type, range, default, doc line, in table
# order, every rule); and the shipped rules/*.json hold only settings the
# tables know, within their ranges.
. "$ROOT/tests/integration/lib.sh"
printf '{"db": "%s/db", "rules_dir": "%s/rules"}\n' "$WORK" "$ROOT" > cfg.json
expect_rc 0 "$IDWATCH" --config cfg.json rules list --json > rules.jsonl
python3 - rules.jsonl "$ROOT/docs/rules.md" <<'PY' || fail "docs/rules.md disagrees with the settings tables"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["kind"] == "c"]     # the C rules: Sigma rules have no settings table
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
def num(v):
    return str(int(v)) if v == int(v) else str(v)
want = []
for r in rows:
    want += ["**%s**" % r["id"], "| setting | type | range | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for p in r["params"]:
        if p["type"] == "strings":
            rng, dflt = "at most %s strings" % num(p["max"]), "built-in list"
        else:
            rng, dflt = "%s to %s" % (num(p["min"]), num(p["max"])), num(p["default"])
        want.append("| `%s` | %s | %s | %s | %s |" % (p["name"], p["type"], rng, dflt, p["doc"]))
ref = doc.split("## Settings reference", 1)
have = [l for l in ref[1].split("\n") if l.startswith("**") or l.startswith("|")] if len(ref) == 2 else []
if have != want:
    for a, b in zip(have + ["(missing)"] * len(want), want + ["(extra)"] * len(have)):
        if a != b:
            missing.append("settings reference: doc has %r, the tables say %r" % (a, b))
            break
print("\n".join(missing) or "ok: %d rules, %d settings documented" % (len(rows), sum(len(r["params"]) for r in rows)))
sys.exit(1 if missing else 0)
PY
