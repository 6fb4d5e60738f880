# privilege_grant on labelled scenarios.  Three admins (ann, bob, eve) and
# their users sign in from the office for twelve days; ann and bob make
# routine group changes.  Then, on day 13:
#   hal   help-desk role by ann from her usual place          medium (planned grant)
#   sam   Super Administrator by ann from her usual place      high (high role)
#   mal   Super Administrator by ann from a new country/ASN    critical (two reasons)
#   nina  help-desk role by bob from an ASN new to him         high (admin context)
#   rita  help-desk role by ann, rita's factors reset 3 h ago  high (grantee risk)
#   eve   grants herself a role                                critical (self-grant)
#   IT-Ops  Organization Administrator granted to the group    high, keyed by group
#   gus   added to IT-Ops (learned admin group) by bob         high (its role)
#   pat   added to "Okta-Admins" (admin by name)               medium
#   ann   enables Okta Support impersonation                   medium
#   carl  creates an API token from his usual place            low
# and nothing for adds to "Engineering", removals from "Okta-Admins", or a
# failed grant.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
import json, datetime
T0 = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.timezone.utc)
M = datetime.timedelta(minutes=1); H = 60 * M; D = 24 * H
OFFICE = dict(ip="86.40.1.%d", asn=5466, org="eircom", city="Dublin", country="Ireland", lat=53.35, lon=-6.26)
VODAFONE = dict(ip="89.101.7.%d", asn=15502, org="vodafone ireland", city="Cork", country="Ireland", lat=51.9, lon=-8.47)
EVIL = dict(ip="185.220.101.%d", asn=64500, org="bulletproof hosting", city="Bucharest", country="Romania", lat=44.43, lon=26.1)
USERS = ["ann", "bob", "eve", "carl", "hal", "sam", "mal", "nina", "rita", "gus", "pat", "pat2", "eng1", "eng2", "eng3"]
n = 0
def who(u):
    return {"id": "00u" + u, "type": "User", "alternateId": u + "@acme.example", "displayName": u.title()}
def ev(actor, t, typ, targets=(), net=OFFICE, dt=None, outcome="SUCCESS", dd=None, msg=None):
    global n
    n += 1
    host = 10 + USERS.index(actor) if actor in USERS else 99
    ip = net["ip"] % host
    debug = {"requestId": "req%05d" % n, "dtHash": dt or ("dt-" + actor if net is OFFICE else "dt-elsewhere")}
    debug.update(dd or {})
    geo = {"city": net["city"], "country": net["country"], "geolocation": {"lat": net["lat"], "lon": net["lon"]}}
    return {"uuid": "pg-%05d" % n, "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventType": typ,
            "version": "0", "severity": "INFO", "displayMessage": msg or typ,
            "actor": who(actor),
            "client": {"ipAddress": ip, "device": "Computer", "zone": "null", "geographicalContext": geo,
                       "userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh) Chrome/126.0", "os": "Mac OS X", "browser": "CHROME"}},
            "securityContext": {"asNumber": net["asn"], "asOrg": net["org"], "isp": net["org"], "domain": None, "isProxy": False},
            "authenticationContext": {"externalSessionId": "idx-" + actor, "rootSessionId": "idx-" + actor},
            "debugContext": {"debugData": debug},
            "outcome": {"result": outcome, "reason": None},
            "target": list(targets),
            "transaction": {"type": "WEB", "id": "tx%05d" % n, "detail": {}},
            "request": {"ipChain": [{"ip": ip, "geographicalContext": geo, "version": "V4", "source": None}]}}
def role(rid, name):
    return [{"id": "ROLE_ASSIGNED", "type": "ROLE_ASSIGNED", "alternateId": "unknown", "displayName": "Role Assigned", "detailEntry": None},
            {"id": rid, "type": "ROLE", "alternateId": "unknown", "displayName": name, "detailEntry": None}]
def grant(actor, t, user, rid, name, net=OFFICE, outcome="SUCCESS"):
    return ev(actor, t, "user.account.privilege.grant", [who(user)] + role(rid, name), net=net, outcome=outcome,
              dd={"privilegeGranted": name}, msg="Grant user privilege")
def group(gid, name):
    return {"id": gid, "type": "UserGroup", "alternateId": "unknown", "displayName": name, "detailEntry": None}
def member(actor, t, user, gid, gname, typ="group.user_membership.add"):
    return ev(actor, t, typ, [who(user), group(gid, gname)], msg="Add user to group membership")
out = []
for u in USERS:
    for d in range(12):
        out.append(ev(u, T0 + d * D + (USERS.index(u) % 5) * M, "user.session.start"))
for d in range(12):                                  # routine admin work: no alert, teaches the admins
    out.append(member("ann", T0 + d * D + 2 * H, "eng%d" % (1 + d % 2), "00geng", "Engineering"))
    out.append(member("bob", T0 + d * D + 3 * H, "pat2", "00gokta", "Okta-Admins", "group.user_membership.remove"))
A = T0 + 12 * D + 9 * H
out += [
    grant("ann", A, "hal", "HELP_DESK_ADMIN", "Help Desk Administrator"),
    grant("ann", A + 10 * M, "sam", "SUPER_ADMIN", "Super Administrator"),
    grant("ann", A + 2 * H, "mal", "SUPER_ADMIN", "Super Administrator", net=EVIL),
    grant("bob", A + 20 * M, "nina", "HELP_DESK_ADMIN", "Help Desk Administrator", net=VODAFONE),
    ev("ann", A - 3 * H, "user.mfa.factor.reset_all", [who("rita")], msg="Reset all factors for user"),
    grant("ann", A + 30 * M, "rita", "HELP_DESK_ADMIN", "Help Desk Administrator"),
    grant("eve", A + 40 * M, "eve", "APP_ADMIN", "Application Administrator"),
    ev("ann", A + 50 * M, "group.privilege.grant", [group("00gitops", "IT-Ops")],
       dd={"privilegeGranted": "Organization Administrator"}, msg="Group Privilege granted"),
    member("bob", A + 60 * M, "gus", "00gitops", "IT-Ops"),
    member("ann", A + 70 * M, "pat", "00gokta", "Okta-Admins"),
    member("ann", A + 80 * M, "eng3", "00geng", "Engineering"),
    member("bob", A + 85 * M, "pat2", "00gokta", "Okta-Admins", "group.user_membership.remove"),
    grant("bob", A + 87 * M, "eng1", "SUPER_ADMIN", "Super Administrator", outcome="FAILURE"),
    ev("ann", A + 90 * M, "user.session.impersonation.grant", msg="Enable impersonation grant"),
    ev("carl", A + 95 * M, "system.api_token.create",
       [{"id": "00Tci", "type": "Token", "alternateId": "unknown", "displayName": "ci-token", "detailEntry": None}],
       msg="Create API token"),
]
out.sort(key=lambda e: e["published"])
for e in out: print(json.dumps(e))
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule privilege_grant --json > alerts.jsonl
cat alerts.jsonl
sev() { jlines alerts.jsonl "[r['severity'] for r in rows if (r['user'] or '').startswith('$1@')]"; }
evi() { jlines alerts.jsonl "[r['evidence'] for r in rows if (r['user'] or '').startswith('$1@')][0]"; }
expect_eq "$(jlines alerts.jsonl 'sorted((r["user"] or r["entity"]).split("@")[0] for r in rows)')" \
    "['ann', 'carl', 'eve', 'group:00gitops', 'gus', 'hal', 'mal', 'nina', 'pat', 'rita', 'sam']" "entities alerted"
expect_eq "$(sev hal)" "['medium']" "hal: planned help-desk grant by a usual admin from her usual place"
expect_eq "$(sev sam)" "['high']" "sam: Super Administrator"
expect_eq "$(sev mal)" "['critical']" "mal: Super Administrator from a country and ASN new to the admin"
expect_eq "$(sev nina)" "['high']" "nina: granted from an ASN new to the admin"
expect_eq "$(sev rita)" "['high']" "rita: factors reset 3 h before the grant"
expect_eq "$(sev eve)" "['critical']" "eve: self-grant"
expect_eq "$(sev gus)" "['high']" "gus: added to a group that holds Organization Administrator"
expect_eq "$(sev pat)" "['medium']" "pat: added to an admin group by name"
expect_eq "$(sev ann)" "['medium']" "ann: Okta Support impersonation enabled"
expect_eq "$(sev carl)" "['low']" "carl: API token from his usual place"
expect_eq "$(jlines alerts.jsonl '[(r["severity"], r["user"], r["tuid"]) for r in rows if r["entity"] == "group:00gitops"]')" \
    "[('high', None, None)]" "IT-Ops: Organization Administrator granted to a group"
expect_eq "$(jlines alerts.jsonl '[(r["mitre"], r["stage"]) for r in rows if (r["user"] or "").startswith("mal@")][0]')" \
    "(['T1098', 'T1098.003'], 'Privilege Escalation')" "role grant mitre and stage"
expect_eq "$(jlines alerts.jsonl '[(r["mitre"], r["stage"]) for r in rows if (r["user"] or "").startswith("carl@")][0]')" \
    "(['T1098', 'T1098.001'], 'Persistence')" "API token mitre and stage"
evi mal | grep -q 'Super Administrator (SUPER_ADMIN) (a high role); by ann@acme.example from AS64500 new, Romania new' \
    || fail "mal: evidence does not name the role, the admin and her new context"
evi hal | grep -q 'Help Desk Administrator.*AS5466 known (.* sightings), Ireland known (.* sightings), device known' \
    || fail "hal: evidence does not show the admin's known context"
evi nina | grep -q 'by bob@acme.example from AS15502 new, Ireland known' || fail "nina: evidence"
evi rita | grep -q 'rita@acme.example: all factors reset 3.5 h before' || fail "rita: evidence does not name the reset"
evi eve | grep -q 'self-grant' || fail "eve: evidence does not say self-grant"
evi gus | grep -q 'group IT-Ops (holds Organization Administrator)' || fail "gus: evidence does not name the group's role"
evi pat | grep -q 'group Okta-Admins (an admin group by name)' || fail "pat: evidence"
evi carl | grep -q 'API token ci-token' || fail "carl: evidence"
