# Sigma rules in the engine and the rules commands, end to end: a rules
# directory holding a Sigma rule next to the C rules' settings; `rules list`
# shows both kinds; `rules validate` accepts it and refuses a broken file
# with file and line; `ingest` raises the rule's alerts with persona-aware
# severity; `rules test` runs the rule's carried tests and --events without
# touching the database; a SigmaHQ-style all-lower-case rule runs unmodified.
#
# The people (oktaev builder), twelve days at the office, then on day 13:
#   ann   changed a sign-on policy rule on days 1, 3, 5, 7 (routine for her):
#         again from the office at her hour                          low
#         from a hosting network in Romania                          high (medium + unfamiliar)
#   bob   changes a policy rule for the first time, from the office  high (first time)
#   cat   MFA reset by the help desk, then she changes a rule        critical (first time + reset)
#   system (SystemPrincipal) changes a rule                          medium (level as written)
. "$ROOT/tests/integration/lib.sh"
mkdir -p rules/okta
cat > rules/okta/policy_rule_changed.yml <<'YML'
title: Sign-on policy rule changed
id: 0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b01
status: experimental
description: A sign-on policy rule was changed.
author: idwatch tests
tags:
  - attack.defense-evasion
  - attack.t1556.009
logsource:
  product: okta
  service: okta
detection:
  selection:
    eventType: policy.rule.update
    outcome.result: SUCCESS
  condition: selection
level: medium
idwatch:
  tests:
    - name: a change by a person seen for the first time
      expect: alert
      events:
        - {uuid: 7d1b1e3c-0000-4000-8000-000000000001, published: "2026-10-05T09:00:00.000Z",
           eventType: policy.rule.update, outcome: {result: SUCCESS},
           actor: {id: 00u1, type: User, alternateId: zed@acme.example, displayName: Zed},
           client: {ipAddress: 86.40.1.9}, target: [{id: 0pr1, type: PolicyRule, displayName: MFA rule}]}
    - name: a failed change does not match
      expect: none
      events:
        - {uuid: 7d1b1e3c-0000-4000-8000-000000000002, published: "2026-10-05T09:00:00.000Z",
           eventType: policy.rule.update, outcome: {result: FAILURE},
           actor: {id: 00u1, type: User, alternateId: zed@acme.example, displayName: Zed},
           client: {ipAddress: 86.40.1.9}, target: [{id: 0pr1, type: PolicyRule, displayName: MFA rule}]}
YML
# the pre-2026 SigmaHQ spelling: lower-case field names
cat > rules/okta/legacy_lowercase.yml <<'YML'
title: Okta network zone deactivated (legacy spelling)
id: 0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b02
status: test
logsource:
  product: okta
  service: okta
detection:
  selection:
    eventtype:
      - zone.deactivate
      - zone.delete
  condition: selection
level: high
YML
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$WORK"'/rules"}' > cfg.json
run() { "$IDWATCH" --config cfg.json "$@"; }

# ---- list and validate
run rules list --json > list.jsonl
expect_eq "$(jlines list.jsonl '[(r["kind"], r["level"]) for r in rows if r["kind"] != "c"]')" \
    "[('sigma', 'high'), ('sigma', 'medium')]" "rules list: both Sigma rules in file-name order, with their levels"
expect_eq "$(jlines list.jsonl 'len([r for r in rows if r["kind"] == "c"]) > 5')" "True" "rules list: the C rules too"
# a switch file turns a Sigma rule off; a rule's id never becomes a path outside the rules
# directory, and a rule without id is named by its path under the rules directory (no host path)
echo '{"enabled": false}' > rules/0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b02.json
cat > rules/okta/zz_ids.yml <<'YML'
title: no id
logsource: {product: okta}
detection: {s: {eventType: zone.delete}, condition: s}
---
title: an id that looks like a path
id: ../outside
logsource: {product: okta}
detection: {s: {eventType: zone.delete}, condition: s}
YML
echo '{"enabled": false}' > outside.json
run rules list --json > switch.jsonl
expect_eq "$(jlines switch.jsonl '[(r["id"], r["enabled"]) for r in rows if r["kind"] != "c"]')" \
    "[('0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b02', False), ('0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b01', True), ('okta/zz_ids.yml#1', True), ('../outside', True)]" \
    "rules list: the switched rule off, '../outside' not switched by a file outside the rules directory, the default id relative"
echo 'not json' > outside.json
expect_rc 0 run rules list > /dev/null
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$WORK"'/rules/"}' > cfg_slash.json
"$IDWATCH" --config cfg_slash.json rules list --json > slash.jsonl
expect_eq "$(jlines slash.jsonl '[r["id"] for r in rows if r["id"].endswith("#1")]')" "['okta/zz_ids.yml#1']" \
    "the default id does not depend on a trailing slash of rules_dir"
rm rules/okta/zz_ids.yml rules/0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b02.json outside.json
expect_rc 0 run rules validate > validate.out
grep -q '^ok .*policy_rule_changed.yml (1 rule)' validate.out || fail "validate: $(cat validate.out)"
cat > broken.yml <<'YML'
title: uses a modifier idwatch does not support
logsource: {product: okta}
detection:
  selection:
    eventType|base64offset|contains: policy
  condition: selection
YML
expect_rc 5 run rules validate broken.yml > broken.out
grep -q 'REFUSED broken.yml:5: .*base64offset' broken.out || fail "validate names file, line and modifier: $(cat broken.out)"
# a broken file in the rules directory stops ingest, naming it
cp broken.yml rules/okta/zz_broken.yml
expect_rc 1 run ingest --file /dev/null 2> ingest_broken.err
grep -q 'zz_broken.yml:5' ingest_broken.err || fail "ingest names the broken rule file: $(cat ingest_broken.err)"
rm rules/okta/zz_broken.yml

# ---- carried tests, without a database
expect_rc 0 run rules test rules/okta/policy_rule_changed.yml > carried.out
expect_eq "$(grep -c '^PASS' carried.out)" "2" "rules test: both carried tests pass"
[ ! -e "$WORK/db" ] || fail "rules test created the configured database"
sed 's/expect: none/expect: alert/' rules/okta/policy_rule_changed.yml > wrong.yml
expect_rc 5 run rules test wrong.yml > wrong.out
grep -q '^FAIL .*a failed change does not match' wrong.out || fail "a failing expectation is reported: $(cat wrong.out)"
expect_rc 4 run rules test no_such_rule 2> /dev/null

# ---- the scenario
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
RO = net("185.220.101.%d", 64500, "bulletproof hosting", "Bucharest", "Romania", 44.43, 26.1)
USERS = ["ann", "bob", "cat", "hd"]
RULE = {"id": "0pr9", "type": "PolicyRule", "alternateId": "unknown", "displayName": "Require MFA"}
def where(u, place=OFFICE):
    return dict(net=place.at(10 + USERS.index(u)), dt="dt-" + u + ("" if place is OFFICE else "-away"))
def change(u, t, place=OFFICE):
    return event("policy.rule.update", t, person(u), targets=[RULE], **where(u, place))
out = []
for d in range(12):
    for u in USERS:
        out.append(signin(person(u), BASE + d * D + USERS.index(u) * M, **where(u)))
for d in (1, 3, 5, 7):
    out.append(change("ann", BASE + d * D + 30 * M))
A = BASE + 12 * D
out += [signin(person(u), A + USERS.index(u) * M, **where(u)) for u in USERS]
ann_routine = change("ann", A + 30 * M)
ann_ro = change("ann", A + 6 * H, RO)
bob_first = change("bob", A + 35 * M)
out += [ann_routine, ann_ro, bob_first,
        factor_reset_all(person("hd"), A + 40 * M, person("cat"), **where("hd"))]
cat_after_reset = change("cat", A + 50 * M)
sys_change = event("policy.rule.update", A + 55 * M, system_actor(), targets=[RULE])
zone = event("zone.deactivate", A + 56 * M, system_actor(), targets=[{"id": "nzo1", "type": "Zone",
             "alternateId": "unknown", "displayName": "Blocked countries"}])
out += [cat_after_reset, sys_change, zone]
dump_jsonl(out)
ids = {"ann_routine": ann_routine, "ann_ro": ann_ro, "bob_first": bob_first, "cat_after_reset": cat_after_reset,
       "sys_change": sys_change, "zone": zone}
json.dump({k: v["uuid"] for k, v in ids.items()}, open("uuids.json", "w"))
PY
run ingest --file scen.jsonl > /dev/null
run alerts list --json > alerts.jsonl
# the severity of the alert raised on one event (by its Okta uuid)
sev_of() {
    python3 - "$1" <<'PY'
import json, sys
u = json.load(open("uuids.json"))[sys.argv[1]]
rows = [json.loads(l) for l in open("alerts.jsonl") if l.strip()]
print([r["severity"] for r in rows if u in r["event_ids"] and r["rule"].startswith("0b8f9c52")])
PY
}
expect_eq "$(sev_of ann_routine)" "['low']" "ann: her routine change from the office is lowered to low"
expect_eq "$(sev_of ann_ro)" "['high']" "ann: the same change from a hosting network abroad is raised"
expect_eq "$(sev_of bob_first)" "['high']" "bob: a first-time change is raised"
expect_eq "$(sev_of cat_after_reset)" "['critical']" "cat: first time, within hours of an MFA reset on her"
expect_eq "$(sev_of sys_change)" "['medium']" "SystemPrincipal: the level as written"
expect_eq "$(sev_of zone)" "['high']" "the lower-case SigmaHQ spelling matches"
python3 - <<'PY' || fail "evidence says which facts moved the severity"
import json
u = json.load(open("uuids.json"))
rows = [json.loads(l) for l in open("alerts.jsonl") if l.strip()]
ro = [r for r in rows if u["ann_ro"] in r["event_ids"]][0]
assert "a network new to the actor" in ro["evidence"], ro["evidence"]
assert "policy_rule_changed.yml:1" in ro["evidence"], ro["evidence"]
assert ro["mitre"] == ["T1556.009"] and ro["stage"] == "Defense Evasion", (ro["mitre"], ro["stage"])
low = [r for r in rows if u["ann_routine"] in r["event_ids"]][0]
assert "routinely" in low["evidence"], low["evidence"]
print("ok: evidence, mitre and stage")
PY

# ---- --events prints each alert with the Okta uuids behind it, and touches no database
rm -rf "$WORK/db"
expect_rc 0 run rules test 0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b01 --events scen.jsonl > events.out
grep -q "$(jget uuids.json 'j["ann_ro"]')" events.out || fail "rules test --events names the uuid: $(cat events.out)"
[ ! -e "$WORK/db" ] || fail "rules test --events created the configured database"
expect_rc 0 run rules test --help > /dev/null
[ ! -e "$WORK/db" ] || fail "--help acted"

# ---- a correlation: one help-desk account resetting many users' factors
# (value_count of the targets, grouped by the actor).  It fires at the fourth
# distinct user, and every later firing for the same admin folds into the same
# alert (a new version), whoever the last victim was; another admin's resets
# are another group.
cat > rules/okta/zz_mass_reset.yml <<'YML'
title: Factor reset by an admin
name: test_admin_factor_reset
status: experimental
logsource: {product: okta, service: okta}
detection:
  selection:
    eventType: user.mfa.factor.reset_all
  condition: selection
level: low
---
title: One admin resets the factors of many users
id: 0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b03
status: experimental
tags: [attack.persistence, attack.t1098.005]
logsource: {product: okta, service: okta}
correlation:
  type: value_count
  rules: [test_admin_factor_reset]
  group-by: [actor.alternateId]
  timespan: 1h
  condition: {gte: 4, field: target.alternateId}
level: high
idwatch: {context: false}
YML
python3 - <<'PY' > resets.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
A = BASE + 20 * D
out = [factor_reset_all(person("hd"), A + i * M, person("v%d" % i), net=OFFICE.at(10)) for i in range(6)]
out += [factor_reset_all(person("hd2"), A + i * M, person("w%d" % i), net=OFFICE.at(11)) for i in range(3)]
dump_jsonl(out)
PY
rm -rf "$WORK/db"
run ingest --file resets.jsonl > /dev/null
run alerts list --json > corr.jsonl
expect_eq "$(jlines corr.jsonl '[(r["severity"], r["version"], r["event_count"], r["entity"][:5], r["user"]) for r in rows if r["rule"] == "0b8f9c52-8f0e-4a8e-9d8e-2f7f3c1a6b03"]')" \
    "[('high', 3, 3, 'corr:', None)]" \
    "the correlation: one alert for hd (fired at the 4th, 5th and 6th user: versions 1-3), none for hd2 (3 users)"
grep -q '6 distinct target.alternateId within 1h for actor.alternateId=hd@' corr.jsonl \
    || fail "the correlation's evidence names the count and the group: $(cat corr.jsonl)"
expect_eq "$(jlines corr.jsonl 'len([r for r in rows if r["rule"] == "test_admin_factor_reset"])')" "0" \
    "the referenced rule raises nothing of its own (no generate: true)"
