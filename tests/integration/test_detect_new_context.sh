# new_context on labelled scenarios: an attacker's sign-in from a new
# country, network and device at night, then a first-ever AWS Console, is
# one high alert; a business trip on the user's own laptop, a new home ISP,
# a new hire's first days and a first use of a sensitive app from the usual
# place are not medium+.  Baseline hygiene: the attacker's context stays
# untrusted (provisional) and keeps alerting, until an analyst marks the
# alert a false positive, which teaches the persona.
# In-country takeover: fred's account signs in through a residential proxy in
# Cork (his country, his browser, but an ISP, a city and a device new to him),
# then opens Payroll and the AWS Console he never used: medium+.  gina's new
# laptop at the office opening a new app, and hugo's trip to Cork on his own
# laptop opening a new app, stay low at most.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
T0 = BASE + H                                     # a Monday, 09:00 UTC
places = {
  "dublin": net("86.40.%d.10", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26),
  "nyc": net("52.20.%d.20", 14618, "Marriott Hotels", "New York", "United States", 40.71, -74.01),
  "bucharest": net("188.166.%d.66", 14061, "DigitalOcean, LLC", "Bucharest", "Romania", 44.43, 26.10),
  "dublin2": net("89.100.%d.5", 6830, "Liberty Global", "Dublin", "Ireland", 53.35, -6.26),
  "cork": net("37.228.%d.9", 15502, "Vodafone Ireland", "Cork", "Ireland", 51.90, -8.47),
}
apps = {"slack": app("Slack", "0oa1slack00000002"), "aws": app("AWS Console", "0oa1aws0console05"),
        "payroll": app("Payroll", "0oa1payroll000007")}
MAC = user_agent(None, "Mac OS X", "CHROME")
def ev(user, t, place, dt, sess, typ="user.session.start", to=None, uid=1):
    return event(typ, t, person(user), places[place].at(uid), targets=[apps[to]] if to else [],
                 session_id=sess, dt=dt, user_agent=MAC)
out = []
for i, u in enumerate(("alice", "bob", "carol", "erin", "fred", "gina", "hugo")):
    for d in range(20):                 # four weeks of office days in Dublin
        s = "%s-%d" % (u, d)
        out.append(ev(u, T0 + d * D, "dublin", u * 8, s, uid=i + 1))
        out.append(ev(u, T0 + d * D + H, "dublin", u * 8, s, "user.authentication.sso", "slack", uid=i + 1))
A = T0 + 21 * D
# ATTACK: alice's password and MFA from Bucharest at 02:00 UTC on a new device, then AWS Console
out.append(ev("alice", A - 7 * H, "bucharest", "e" * 64, "evil-1"))
out.append(ev("alice", A - 7 * H + 5 * M, "bucharest", "e" * 64, "evil-1", "user.authentication.sso", "aws"))
# the attacker comes back two days later: still untrusted
out.append(ev("alice", A + 2 * D - 7 * H, "bucharest", "e" * 64, "evil-2"))
# bob: business trip to New York on his own laptop (hotel network)
out.append(ev("bob", A + 10 * H, "nyc", "bob" * 8, "bob-trip", uid=2))
out.append(ev("bob", A + 11 * H, "nyc", "bob" * 8, "bob-trip", "user.authentication.sso", "slack", uid=2))
# carol: switched home ISP, same laptop
out.append(ev("carol", A, "dublin2", "carol" * 8, "carol-new", uid=3))
# erin: first use of AWS Console, in her usual session from the office
out.append(ev("erin", A + 2 * H, "dublin", "erin" * 8, "erin-19", "user.authentication.sso", "aws", uid=4))
# dave: a new hire, everything new, still learning
out.append(ev("dave", A, "nyc", "dave" * 8, "dave-1", uid=9))
out.append(ev("dave", A + H, "bucharest", "f" * 64, "dave-2", uid=9))
# fred: residential proxy in his own country, new device token on his usual Mac/Chrome, then new apps
out.append(ev("fred", A + 4 * M, "cork", "9" * 64, "fred-evil", uid=5))
out.append(ev("fred", A + 4 * M + 4 * M, "cork", "9" * 64, "fred-evil", "user.authentication.sso", "payroll", uid=5))
out.append(ev("fred", A + 4 * M + 9 * M, "cork", "9" * 64, "fred-evil", "user.authentication.sso", "aws", uid=5))
# gina: a new laptop at the office, then a first app
out.append(ev("gina", A + 10 * M, "dublin", "a" * 64, "gina-lap", uid=6))
out.append(ev("gina", A + 10 * M + 5 * M, "dublin", "a" * 64, "gina-lap", "user.authentication.sso", "payroll", uid=6))
# hugo: a trip to Cork on his own laptop, then a first app
out.append(ev("hugo", A + 20 * M, "cork", "hugo" * 8, "hugo-trip", uid=7))
out.append(ev("hugo", A + 20 * M + 5 * M, "cork", "hugo" * 8, "hugo-trip", "user.authentication.sso", "payroll", uid=7))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule new_context --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(set(r["user"] for r in rows if r["severity"] != "low"))')" "['alice@acme.example', 'fred@acme.example']" "medium+ alerts"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("alice")]')" "['high', 'high']" "attacker: high"
alice='sorted((r for r in rows if r["user"].startswith("alice")), key=lambda r: r["first_seen_ms"])'
jlines alerts.jsonl "[r['evidence'] for r in $alice][0]" > ev.txt
cat ev.txt
grep -q "country Romania never seen (usual Ireland 100% of 21 sign-ins)" ev.txt || fail "evidence: country"
grep -q "AS14061 (DigitalOcean, LLC) new for this user" ev.txt || fail "evidence: network"
grep -q "device eeeeeeeeeeee… never seen" ev.txt || fail "evidence: device"
grep -q "first use of AWS Console, a sensitive app" ev.txt || fail "evidence: app"
jlines alerts.jsonl "[r['evidence'] for r in $alice][1]" | grep -q "an hour with 0.0% of this user's activity" || fail "evidence: hour"
expect_eq "$(jlines alerts.jsonl "[r['event_count'] for r in $alice][0]")" 2 "the attack session's AWS Console joins the same alert"
expect_eq "$(jlines alerts.jsonl 'len([r for r in rows if r["user"].startswith("alice")])')" 2 "the attacker's return two days later alerts again"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("bob")]')" "['low']" "business trip on own laptop: low"
expect_eq "$(jlines alerts.jsonl '[(r["severity"], r["score"], r["event_count"]) for r in rows if r["user"].startswith("fred")]')" \
    "[('high', 70, 3)]" "in-country takeover: the first-time apps raise the proxy sign-in's alert"
jlines alerts.jsonl '[r["evidence"] for r in rows if r["user"].startswith("fred")][0]' | \
    grep -q "after a sign-in from 37.228.5.9 (AS15502, Cork) in the user's usual country Ireland, with the network, city and device all new to them" \
    || fail "fred: evidence does not name the in-country sign-in"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"][:4] in ("gina", "hugo")]')" "[]" \
    "new laptop at the office, trip on own laptop, then a first app: nothing"
expect_eq "$(jlines alerts.jsonl 'len([r for r in rows if r["user"][:4] in ("caro", "erin", "dave")])')" 0 "new ISP, first sensitive app at the office, new hire: nothing"
# baseline hygiene: the attacker's network is in alice's persona but not trusted
t=$(idw persona list --json | jlines /dev/stdin '[r["tuid"] for r in rows if r["login"].startswith("alice")][0]')
idw persona show "$t" --json > alice.json
expect_eq "$(jget alice.json '[v.get("provisional", False) for v in j["dimensions"]["asns"] if v["value"] == "AS14061"]')" "[True]" "attacker ASN provisional"
# the analyst says it was alice on a trip: fp teaches the persona
first=$(jlines alerts.jsonl "[r['alert_id'] for r in $alice][0]")
idw alerts fp "$first" --note "alice on holiday, confirmed by phone" > /dev/null
idw persona show "$t" --json > alice2.json
expect_eq "$(jget alice2.json '[v.get("provisional", False) for v in j["dimensions"]["asns"] if v["value"] == "AS14061"]')" "[False]" "fp: ASN trusted"
expect_eq "$(jget alice2.json '[v.get("provisional", False) for v in j["dimensions"]["countries"] if v["value"] == "Romania"]')" "[False]" "fp: country trusted"
python3 - <<'PY' > again.jsonl
import json
e = json.loads(open("scen.jsonl").readlines()[-1])
e["uuid"] = "nc-again"; e["published"] = "2026-10-29T09:00:00.000Z"
e["authenticationContext"]["externalSessionId"] = e["authenticationContext"]["rootSessionId"] = "evil-3"
print(json.dumps(e))
PY
idw ingest --file again.jsonl > /dev/null
expect_eq "$(idw alerts list --rule new_context --user alice@acme.example --json | jlines /dev/stdin 'len(rows)')" 2 "after fp the same context no longer alerts"
