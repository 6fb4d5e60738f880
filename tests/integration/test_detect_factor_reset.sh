# factor_reset on labelled scenarios.  Help-desk admins (hd, hd2) and users
# sign in from the office for twelve days.  Then, on day 13:
#   vic   reset by hd, factor enrolled from a new country/ASN, sign-in from it   critical
#   val   reset by hd, sign-in from a new ASN, enrollment and SSO from it      critical
#   dev   reset by hd, Okta Verify device enrolled from a new ASN              high
#   carl  reset by hd2 acting from a place new to hd2, re-enrolls at the office medium
#   dora  reset by hd, her password reset ten minutes later (first reset)     medium
#   fay   no reset, factor enrolled from a new country                        medium
#   ben   help-desk reset, re-enrollment and sign-in from his usual context   low
#   sue   removes her own factor and enrolls a new one at the office          low
#   nick  new hire: created, enrolls and signs in from new everything         nothing
#   phil  replaces his phone himself at home (his usual ISP, not the office): removes the old factor,
#         enrolls Okta Verify on the new phone (a new dtHash), signs in       low
#   ivy   removes her own factor from a new country, then enrolls a new
#         phone at home                                                       high
# (phil and ivy work from home: the office /24 is the org's shared egress, where
# no new device token counts at all.)
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
RO = net("185.220.101.%d", 64500, "bulletproof hosting", "Bucharest", "Romania", 44.43, 26.1)
NG = net("102.89.3.%d", 64501, "vpn exit", "Lagos", "Nigeria", 6.45, 3.39)
VN = net("14.161.20.%d", 64502, "viettel", "Hanoi", "Vietnam", 21.03, 105.85)
BR = net("177.71.4.%d", 64503, "claro", "Sao Paulo", "Brazil", -23.55, -46.63)
ES = net("88.0.9.%d", 64504, "telefonica", "Madrid", "Spain", 40.42, -3.7)
FR = net("51.15.6.%d", 64505, "online sas", "Paris", "France", 48.86, 2.35)
USERS = ["hd", "hd2", "vic", "val", "dev", "carl", "dora", "fay", "ben", "sue", "nick", "phil", "ivy"]
HOMES = {"phil": net("93.107.5.%d", 6830, "virgin media", "Dublin", "Ireland", 53.34, -6.27),
         "ivy": net("89.100.7.%d", 15502, "vodafone ie", "Galway", "Ireland", 53.27, -9.05)}
def home(u):
    return HOMES.get(u, OFFICE)
WIN = user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/126.0", "Windows 10", "CHROME")
n = 0
def ctx(actor, where):
    """Each user's own address in a network, a device per user and place, and
    a sign-in session that changes every 50 events of the scenario."""
    global n
    n += 1
    return dict(net=where.at(10 + USERS.index(actor)), user_agent=WIN, session_id="idx-%s-%d" % (actor, n // 50),
                dt=("dt-" + actor) if where is home(actor) else "dt-" + actor + "-away")
def ev(actor, t, typ, target=None, where=OFFICE, **kw):
    return event(typ, t, person(actor), targets=[person(target or actor)], **ctx(actor, where), **kw)
def reset(admin, t, user, where=OFFICE):
    return factor_reset_all(person(admin), t, person(user), **ctx(admin, where))
def enroll(user, t, where=OFFICE, factor="OKTA_VERIFY_PUSH"):
    return factor_enroll(person(user), t, factor=factor, **ctx(user, where))
def new_phone(user, t):
    return factor_enroll(person(user), t, **dict(ctx(user, home(user)), dt="dt-" + user + "-newphone"))
def deactivate(user, t, where):
    return ev(user, t, "user.mfa.factor.deactivate", user, where, reason="User reset OKTA_VERIFY_PUSH factor")
def signin_(user, t, where=OFFICE, typ="user.session.start"):
    return ev(user, t, typ, None, where)
out = []
for u in USERS:
    if u == "nick":
        continue
    for d in range(12):
        out.append(signin_(u, BASE + d * D + USERS.index(u) * M, home(u)))
A = BASE + 12 * D + 9 * H
pixel = {"id": "guo-dev-phone", "name": "Pixel 8", "os_platform": "ANDROID", "managed": False, "registered": True}
out += [
    reset("hd", A, "vic"), enroll("vic", A + 2 * H, RO), signin_("vic", A + 2 * H + 5 * M, RO),
    reset("hd", A + 1 * M, "val"), signin_("val", A + H, NG), enroll("val", A + H + 2 * M, NG),
    signin_("val", A + H + 10 * M, NG, "user.authentication.sso"),
    reset("hd", A + 2 * M, "dev"),
    ev("dev", A + 3 * H, "device.enrollment.create", "dev", FR, device=pixel),
    reset("hd2", A + 3 * M, "carl", VN), enroll("carl", A + 20 * M), signin_("carl", A + 21 * M),
    reset("hd", A + 4 * M, "dora"), ev("hd", A + 14 * M, "user.account.reset_password", "dora"),
    enroll("fay", A + 5 * M, BR, "FIDO_WEBAUTHN"),
    reset("hd", A + 6 * M, "ben"), enroll("ben", A + 30 * M), signin_("ben", A + 31 * M),
    signin_("ben", A + 40 * M, typ="user.authentication.sso"),
    ev("sue", A + 7 * M, "user.mfa.factor.deactivate", "sue", reason="User reset OKTA_VERIFY_PUSH factor"),
    enroll("sue", A + 9 * M),
    ev("hd", A + 8 * M, "user.lifecycle.create", "nick"), enroll("nick", A + H, ES), signin_("nick", A + H + M, ES),
    signin_("nick", A + H + 2 * M, ES, "user.authentication.sso"),
    deactivate("phil", A + 10 * M, home("phil")), new_phone("phil", A + 12 * M),
    signin_("phil", A + 15 * M, home("phil")),
    deactivate("ivy", A + 11 * M, RO), new_phone("ivy", A + 13 * M),
]
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule factor_reset --json > alerts.jsonl
cat alerts.jsonl
sev() { jlines alerts.jsonl "[r['severity'] for r in rows if r['user'].startswith('$1@')]"; }
evi() { jlines alerts.jsonl "[r['evidence'] for r in rows if r['user'].startswith('$1@')][0]"; }
expect_eq "$(jlines alerts.jsonl 'sorted(r["user"].split("@")[0] for r in rows)')" \
    "['ben', 'carl', 'dev', 'dora', 'fay', 'ivy', 'phil', 'sue', 'val', 'vic']" "users alerted (one alert each, none for the new hire)"
expect_eq "$(sev vic)" "['critical']" "vic: reset, enrollment from a new country, sign-in from it"
expect_eq "$(sev val)" "['critical']" "val: reset, sign-in from a new ASN, enrollment and SSO from it"
expect_eq "$(sev dev)" "['high']" "dev: reset, device enrolled from a new ASN"
expect_eq "$(sev carl)" "['medium']" "carl: reset by an admin acting from a place new to that admin"
expect_eq "$(sev dora)" "['medium']" "dora: first reset with a password reset within the hour"
expect_eq "$(sev fay)" "['medium']" "fay: factor enrolled from a new country without a reset"
expect_eq "$(sev ben)" "['low']" "ben: help-desk reset, re-enrolled from his usual context"
expect_eq "$(sev sue)" "['low']" "sue: removed her own factor at the office"
expect_eq "$(sev phil)" "['low']" "phil: replaced his phone himself at home (new device token)"
expect_eq "$(sev ivy)" "['high']" "ivy: removed her own factor from a new country, then a new phone"
evi phil | grep -q "factors reset by the user from the user's usual context" || fail "phil: evidence"
expect_eq "$(jlines alerts.jsonl '[(r["event_count"], r["stage"], r["mitre"]) for r in rows if r["user"].startswith("vic@")][0]')" \
    "(3, 'Persistence', ['T1556.006'])" "vic: one alert over the whole chain"
expect_eq "$(idw alerts list --rule factor_reset --severity medium --json | jlines /dev/stdin 'sum(1 for r in rows if r["user"].split("@")[0] in ("ben", "sue", "nick", "phil"))')" \
    0 "benign medium+ alerts"
evi vic | grep -q 'factors reset by admin hd@acme.example (admin context: AS5466 known, Ireland known, device known) 2.0 h earlier; then OKTA_VERIFY_PUSH from 185.220.101.12 (AS64500 new, Romania new, device new) enrolled 2.0 h after the reset; then a successful user.session.start from the same new network (AS64500, 185.220.101.12) 5 min after' \
    || fail "vic: evidence does not tell the chain"
evi val | grep -q 'then a successful user.authentication.sso from the same new network (AS64501' || fail "val: evidence"
evi dev | grep -q 'then Pixel 8 from 51.15.6.14 (AS64505 new, France new, device new) enrolled' || fail "dev: evidence"
evi carl | grep -q 'by admin hd2@acme.example (admin context: AS64502 new, Vietnam new, device new); a context new to that admin' || fail "carl: evidence does not show the admin's new context"
evi dora | grep -q 'previous reset: none remembered; a password reset within the hour' || fail "dora: evidence"
evi fay | grep -q 'FIDO_WEBAUTHN from 177.71.4.17 (AS64503 new, Brazil new, device new) enrolled, no factor reset before it' || fail "fay: evidence"
# The same story with every other rule off: the chain must not depend on
# another rule's alert having made the attacker's network provisional (val's
# sign-in from the new ASN, before the enrollment, is then learned as trusted).
mkdir -p solo/rules
idw rules list --json | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["id"] != "factor_reset":
        open("solo/rules/%s.json" % r["id"], "w").write("{\"enabled\": false}\n")'
(cd solo && "$IDWATCH" --db "$WORK/db2" ingest --file ../scen.jsonl > /dev/null && "$IDWATCH" --db "$WORK/db2" alerts list --json) > solo.jsonl
expect_eq "$(jlines solo.jsonl 'sorted(set(r["rule"] for r in rows))')" "['factor_reset']" "solo run: only factor_reset on"
expect_eq "$(jlines solo.jsonl 'sorted((r["user"].split("@")[0], r["severity"]) for r in rows)')" \
    "$(jlines alerts.jsonl 'sorted((r["user"].split("@")[0], r["severity"]) for r in rows)')" "solo run: same alerts"
jlines solo.jsonl '[r["evidence"] for r in rows if r["user"].startswith("val@")][0]' | grep -q 'AS64501 known, Nigeria known, device known, a network first proven after the reset) enrolled .* then a successful user.authentication.sso from the same new network (AS64501' \
    || fail "solo val: the chain through a network first proven after the reset"
