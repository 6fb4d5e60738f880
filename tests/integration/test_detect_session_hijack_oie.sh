# session_hijack under Okta Identity Engine, where a session's
# externalSessionId changes once sign-in completes (idx... during sign-in,
# 102... after) while authenticationContext.rootSessionId stays the same.
# Sessions are keyed by the root, so every event after sign-in is now
# compared with how the session started (data/fixtures/oie-session-flows.jsonl):
#   pat    signs in with a password at a hotel, on a laptop new to pat:
#          new_context rates it medium, so the hotel network stays
#          provisional in pat's persona.  After the id change, Okta reports
#          a context change as the hotel network hands pat another address
#          in the same network, and pat uses Jira from it: legitimate, no
#          session_hijack.  (Keyed by the external id, the signal has no
#          recorded start to compare with and is judged against the persona
#          alone: "a network new to the user", a false high alert.)
#   sam    signs in with FastPass (Okta Verify's own user agent) at home;
#          after the id change, sam's usual mobile carrier and a Chrome
#          update: legitimate, no session_hijack
#   quinn  the post-sign-in session replayed two hours later from a hosting
#          ASN abroad on Linux/Firefox: critical.  Keyed by the external id,
#          the replay's session (102...) has no recorded start and goes
#          unjudged: no alert at all.
# Before them, three weeks of routine in the same Identity Engine shape
# (a new external id after every sign-in), which must raise nothing either.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > routine.jsonl
from oktaev import *
T0 = datetime.datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
NET = {"home": net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26, domain="eircom.net"),
       "carrier": net("89.19.64.%d", 15502, "vodafone ireland", "Dublin", "Ireland", 53.33, -6.25, domain="vodafone.ie")}
HOST = {"pat": 21, "quinn": 33, "sam": 45}
SLACK = app("Slack", "0oaslack0oie")
def ev(typ, t, u, where, ext, root, outcome="SUCCESS"):
    """u's event (the same user ids as data/fixtures/oie-session-flows.jsonl)
    with the Identity Engine's external and root session ids."""
    return event(typ, t, person(u, uid="00u" + u + "0oie"), NET[where].at(HOST[u]), outcome,
                 targets=[SLACK] if typ == "user.authentication.sso" else [], session_id=ext, root_session_id=root,
                 user_agent=CHROME_WIN, dt="%064x" % (sum(map(ord, u)) * 7919), debug={"threatSuspected": "false"})
out = []
for d in range(21):
    for i, u in enumerate(sorted(HOST)):
        where = "carrier" if u == "sam" and d % 3 == 0 else "home"
        t = T0 + d * D + i * M
        idx, ext = "idx%s%03dRoot" % (u, d), "102%s%03dAfter" % (u, d)
        out += [ev("policy.evaluate_sign_on", t, u, where, idx, idx, outcome="ALLOW"),
                ev("user.session.start", t, u, where, idx, idx),
                ev("user.authentication.sso", t + M, u, where, ext, idx),
                ev("user.authentication.sso", t + 4 * H, u, where, ext, idx)]
dump_jsonl(out, sort=False)
PY
F="$ROOT/data/fixtures/oie-session-flows.jsonl"
idw ingest --file routine.jsonl --json > r.json
expect_eq "$(jget r.json 'j["accepted"]')" 252 "routine accepted"
idw ingest --file "$F" --json --emit-normalized flows.norm.jsonl > f.json
expect_eq "$(jget f.json 'j["accepted"]')" 15 "OIE flows accepted"
# the normalized events carry both ids: the root stays while the external id changes
expect_eq "$(jlines flows.norm.jsonl 'sorted({(r["raw_metadata"]["external_session_id"][:3], r["context"]["root_session_id"][:3]) for r in rows})')" \
    "[('102', 'idx'), ('idx', 'idx')]" "external ids idx/102 under one idx root"

idw alerts list --rule session_hijack --json > alerts.jsonl
cat alerts.jsonl
python3 - alerts.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
users = sorted(r["user"].split("@")[0] for r in rows)
if users != ["quinn"]:
    print("FAIL: session_hijack alerts for %s, expected quinn only" % users); sys.exit(1)
r = rows[0]
if r["severity"] != "critical":
    print("FAIL: quinn: %s, expected critical" % r["severity"]); sys.exit(1)
for w in ["AS14061", "new for this user", "AS5466 eircom", "OS family changed (Windows 10 -> Linux)",
          "browser family changed (CHROME -> FIREFOX)", "session idxQuinn"]:
    if w not in r["evidence"]:
        print("FAIL: quinn: evidence lacks %r: %s" % (w, r["evidence"])); sys.exit(1)
print("ok: quinn's replayed post-sign-in session is critical; pat, sam and the routine raise nothing")
PY
# replaying the same flows changes nothing
idw ingest --file "$F" --json > again.json
expect_eq "$(jget again.json 'j["duplicates"]')" 15 "replayed flows are duplicates"
idw alerts list --rule session_hijack --json > alerts2.jsonl
expect_eq "$(jlines alerts2.jsonl '[(r["user"], r["version"]) for r in rows]')" \
    "$(jlines alerts.jsonl '[(r["user"], r["version"]) for r in rows]')" "replay is idempotent"
