# privilege_grant on labelled scenarios.  Three admins (ann, bob, eve) and
# their users sign in from the office for twelve days; ann and bob make
# routine group changes.  Then, on day 13:
#   hal   help-desk role by ann from her usual place          low (planned grant)
#   sam   Super Administrator by ann from her usual place      high (high role)
#   mal   Super Administrator by ann from a new country/ASN    critical (two reasons)
#   nina  help-desk role by bob from an ASN new to him         high (admin context)
#   rita  help-desk role by ann, rita's factors reset 3 h ago  high (grantee risk)
#   eve   grants herself a role                                critical (self-grant)
#   IT-Ops  Organization Administrator granted to the group    high, keyed by group
#   gus   added to IT-Ops (learned admin group) by bob         high (its role)
#   pat   added to "Okta-Admins" (admin by name)               low (a usual admin, usual place)
#   ann   enables Okta Support impersonation                   nothing (the Sigma catalogue's)
#   carl  creates an API token from his usual place            nothing (the Sigma catalogue's)
# and nothing for adds to "Engineering", removals from "Okta-Admins", or a
# failed grant.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
VODAFONE = net("89.101.7.%d", 15502, "vodafone ireland", "Cork", "Ireland", 51.9, -8.47)
EVIL = net("185.220.101.%d", 64500, "bulletproof hosting", "Bucharest", "Romania", 44.43, 26.1)
USERS = ["ann", "bob", "eve", "carl", "hal", "sam", "mal", "nina", "rita", "gus", "pat", "pat2", "eng1", "eng2", "eng3"]
MAC = user_agent("Mozilla/5.0 (Macintosh) Chrome/126.0", "Mac OS X", "CHROME")
def ctx(actor, where=OFFICE):
    """Each user's own address in a network, one device at the office and
    another anywhere else, one session per user."""
    return dict(net=where.at(10 + USERS.index(actor)), user_agent=MAC, session_id="idx-" + actor,
                dt="dt-" + actor if where is OFFICE else "dt-elsewhere")
def ev(actor, t, typ, targets=(), msg=None):
    return event(typ, t, person(actor), targets=targets, display_message=msg, **ctx(actor))
def grant(actor, t, user, rid, name, where=OFFICE, outcome="SUCCESS"):
    return role_grant(person(actor), t, person(user), rid, name, outcome=outcome, **ctx(actor, where))
def member(actor, t, user, grp, op="add"):
    return group_membership(person(actor), t, person(user), grp, op=op, **ctx(actor))
ENG, OKTA_ADMINS, IT_OPS = group("00geng", "Engineering"), group("00gokta", "Okta-Admins"), group("00gitops", "IT-Ops")
out = []
for u in USERS:
    for d in range(12):
        out.append(ev(u, BASE + d * D + (USERS.index(u) % 5) * M, "user.session.start"))
for d in range(12):                                  # routine admin work: no alert, teaches the admins
    out.append(member("ann", BASE + d * D + 2 * H, "eng%d" % (1 + d % 2), ENG))
    out.append(member("bob", BASE + d * D + 3 * H, "pat2", OKTA_ADMINS, "remove"))
A = BASE + 12 * D + 9 * H
out += [
    grant("ann", A, "hal", "HELP_DESK_ADMIN", "Help Desk Administrator"),
    grant("ann", A + 10 * M, "sam", "SUPER_ADMIN", "Super Administrator"),
    grant("ann", A + 2 * H, "mal", "SUPER_ADMIN", "Super Administrator", EVIL),
    grant("bob", A + 20 * M, "nina", "HELP_DESK_ADMIN", "Help Desk Administrator", VODAFONE),
    ev("ann", A - 3 * H, "user.mfa.factor.reset_all", [person("rita")], msg="Reset all factors for user"),
    grant("ann", A + 30 * M, "rita", "HELP_DESK_ADMIN", "Help Desk Administrator"),
    grant("eve", A + 40 * M, "eve", "APP_ADMIN", "Application Administrator"),
    event("group.privilege.grant", A + 50 * M, person("ann"), targets=[IT_OPS],
          debug={"privilegeGranted": "Organization Administrator"}, display_message="Group Privilege granted",
          **ctx("ann")),
    member("bob", A + 60 * M, "gus", IT_OPS),
    member("ann", A + 70 * M, "pat", OKTA_ADMINS),
    member("ann", A + 80 * M, "eng3", ENG),
    member("bob", A + 85 * M, "pat2", OKTA_ADMINS, "remove"),
    grant("bob", A + 87 * M, "eng1", "SUPER_ADMIN", "Super Administrator", outcome="FAILURE"),
    ev("ann", A + 90 * M, "user.session.impersonation.grant", msg="Enable impersonation grant"),
    ev("carl", A + 95 * M, "system.api_token.create", [token("00Tci", "ci-token")], msg="Create API token"),
]
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule privilege_grant --json > alerts.jsonl
cat alerts.jsonl
sev() { jlines alerts.jsonl "[r['severity'] for r in rows if (r['user'] or '').startswith('$1@')]"; }
evi() { jlines alerts.jsonl "[r['evidence'] for r in rows if (r['user'] or '').startswith('$1@')][0]"; }
expect_eq "$(jlines alerts.jsonl 'sorted((r["user"] or r["entity"]).split("@")[0] for r in rows)')" \
    "['eve', 'group:00gitops', 'gus', 'hal', 'mal', 'nina', 'pat', 'rita', 'sam']" \
    "entities alerted (support access and API tokens are the Sigma catalogue's, not this rule's)"
expect_eq "$(sev hal)" "['low']" "hal: planned help-desk grant by a usual admin from her usual place"
expect_eq "$(sev sam)" "['high']" "sam: Super Administrator"
expect_eq "$(sev mal)" "['critical']" "mal: Super Administrator from a country and ASN new to the admin"
expect_eq "$(sev nina)" "['high']" "nina: granted from an ASN new to the admin"
expect_eq "$(sev rita)" "['high']" "rita: factors reset 3 h before the grant"
expect_eq "$(sev eve)" "['critical']" "eve: self-grant"
expect_eq "$(sev gus)" "['high']" "gus: added to a group that holds Organization Administrator"
expect_eq "$(sev pat)" "['low']" "pat: added to an admin group by name, by a usual admin from her usual place"
expect_eq "$(jlines alerts.jsonl '[(r["severity"], r["user"], r["tuid"]) for r in rows if r["entity"] == "group:00gitops"]')" \
    "[('high', None, None)]" "IT-Ops: Organization Administrator granted to a group"
expect_eq "$(jlines alerts.jsonl '[(r["mitre"], r["stage"]) for r in rows if (r["user"] or "").startswith("mal@")][0]')" \
    "(['T1098', 'T1098.003'], 'Privilege Escalation')" "role grant mitre and stage"
evi mal | grep -q 'Super Administrator (SUPER_ADMIN) (a high role); by ann@acme.example from AS64500 new, Romania new' \
    || fail "mal: evidence does not name the role, the admin and her new context"
evi hal | grep -q 'Help Desk Administrator.*AS5466 known (.* sightings), Ireland known (.* sightings), device known' \
    || fail "hal: evidence does not show the admin's known context"
evi nina | grep -q 'by bob@acme.example from AS15502 new, Ireland known' || fail "nina: evidence"
evi rita | grep -q 'rita@acme.example: all factors reset 3.5 h before' || fail "rita: evidence does not name the reset"
evi eve | grep -q 'self-grant' || fail "eve: evidence does not say self-grant"
evi gus | grep -q 'group IT-Ops (holds Organization Administrator)' || fail "gus: evidence does not name the group's role"
evi pat | grep -q 'group Okta-Admins (an admin group by name)' || fail "pat: evidence"
