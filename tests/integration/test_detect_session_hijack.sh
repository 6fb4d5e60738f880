# session_hijack on labelled scenarios, after three weeks of routine:
#   attacks (the SAME Okta session, later, from elsewhere):
#     alice    replayed from a hosting ASN she never used, same browser    high
#     bob      from his home network but another OS and browser            high
#     mallory  from a new ASN and another OS/browser                       critical
#     carol    replayed by python-requests, the session began in Chrome    critical
#     dave     Okta's context change, to an ASN new to him                 high
#     judy     Okta's client-roaming signal, to an ASN new to her          high
#     ivan     Okta's context change for a device-signal change only       medium
#     nina     a new hire (persona learning): another ASN mid-session      low
#   benign look-alikes (no session_hijack alert at all):
#     erin     home ISP -> her usual mobile carrier mid-session, and Okta's
#              context change for it
#     frank    the session crosses to the corporate VPN egress (shared by
#              three colleagues)
#     grace    Chrome upgrades from 126 to 127 mid-session
#     heidi    a NEW session from a new place (new_context's job)
#     oscar    an admin acting on erin from his own session elsewhere
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
T0 = datetime.datetime(2026, 9, 7, 8, 0, tzinfo=UTC)   # a Monday
UA = {
    "win_chrome": CHROME_WIN,
    "win_chrome127": user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36", "Windows 10", "CHROME"),
    "mac_safari": user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Mac OS X", "SAFARI"),
    "win_firefox": user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Windows 10", "FIREFOX"),
    "linux_firefox": user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Linux", "FIREFOX"),
    "python": user_agent("python-requests/2.31.0", "Unknown", "UNKNOWN"),
}
NET = {
    "home": net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26, "eircom limited", domain="eircom.net"),
    "carrier": net("89.19.64.%d", 15502, "vodafone ireland", "Dublin", "Ireland", 53.33, -6.25, "vodafone ireland limited", domain="vodafone.ie"),
    "vpn": net("165.225.10.%d", 53813, "zscaler, inc.", "London", "United Kingdom", 51.51, -0.13, domain="zscaler.com"),
    "do": net("198.51.100.%d", 14061, "digitalocean, llc", "Amsterdam", "Netherlands", 52.37, 4.89, domain="digitalocean.com"),
    "aws": net("52.95.110.%d", 16509, "amazon.com, inc.", "Ashburn", "United States", 39.04, -77.49, domain="amazon.com"),
    "evil": net("203.0.113.%d", 64701, "evil transit", "Bucharest", "Romania", 44.43, 26.10, proxy=True, domain="."),
    "hotel": net("192.0.2.%d", 64800, "hotel wifi co", "Lisbon", "Portugal", 38.72, -9.14, domain="hotelwifi.example"),
}
USER_UA = {"bob": "mac_safari", "dave": "mac_safari"}
SLACK = app("Slack", "0oaslack")
BEHAVIORS = ("{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=NEGATIVE, New State=NEGATIVE, "
             "New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}")
def ev(typ, t, u, where, sid, ua=None, host=None, debug=None, target=(SLACK,), actor=None, dt=None):
    """u's event in session sid: u's address in network where (or host), u's
    usual browser (or ua), u's device (or dt)."""
    dd = {"requestUri": "/app/slack/sso/saml", "threatSuspected": "false", "behaviors": BEHAVIORS}
    dd.update(debug or {})
    return event(typ, t, actor or person(u), NET[where].at(host or (len(u) + 10)), targets=target, debug=dd,
                 session_id=sid, dt=dt or "%064x" % sum(map(ord, u)), user_agent=UA[ua or USER_UA.get(u, "win_chrome")])
def start(u, t, where, sid, **kw):
    return ev("user.session.start", t, u, where, sid, target=(), **kw)
def sso(u, t, where, sid, **kw):
    return ev("user.authentication.sso", t, u, where, sid, **kw)
def ctxchange(u, t, where, sid, causes, prev, typ="user.session.context.change", in_debug_only=False):
    return ev(typ, t, u, where, "unknown" if in_debug_only else sid,
              debug={"causes": causes, "previousIpAddress": prev, "newIpAddress": NET[where].ip % (len(u) + 10),
                     "externalSessionId": sid},
              target=[person(u), session_target(sid)])
users = ["alice", "bob", "mallory", "carol", "dave", "judy", "ivan", "erin", "frank", "grace", "heidi", "oscar",
         "kim", "leo", "max"]
out = []
for d in range(21):                                   # three weeks of routine, one session a day
    for i, u in enumerate(users):
        where = "vpn" if u in ("kim", "leo", "max") else ("carrier" if u == "erin" and d % 3 == 0 else "home")
        sid = "102%s%03dx" % (u, d)
        t = T0 + d * D + i * M
        out += [start(u, t, where, sid), sso(u, t + 30 * M, where, sid), sso(u, t + 4 * H, where, sid)]
out += [start("nina", T0 + 19 * D, "home", "102nina-1"), start("nina", T0 + 20 * D, "home", "102nina-2")]   # nina: hired two days ago
A = T0 + 21 * D                                       # the day of the attacks
def session(u, where="home", **kw):
    sid = "102%sATTACKx" % u
    out.append(start(u, A, where, sid, **kw))
    out.append(sso(u, A + 10 * M, where, sid, **kw))
    return sid
s = session("alice"); out.append(sso("alice", A + 2 * H, "do", s, dt="a" * 64))
s = session("bob"); out.append(sso("bob", A + 2 * H, "home", s, ua="win_firefox", dt="b" * 64))
s = session("mallory"); out.append(sso("mallory", A + 2 * H, "do", s, ua="linux_firefox", dt="c" * 64))
s = session("carol"); out.append(sso("carol", A + 2 * H, "aws", s, ua="python", dt="d" * 64))
s = session("dave"); out.append(ctxchange("dave", A + 2 * H, "evil", s, "[ipAddress.change]", "86.40.1.14"))
s = session("judy"); out.append(ctxchange("judy", A + 2 * H, "evil", s, "ipAddress.change", "86.40.1.14",
                                          typ="security.session.detect_client_roaming", in_debug_only=True))
s = session("ivan"); out.append(ctxchange("ivan", A + 2 * H, "home", s, ["deviceContext.change"], "86.40.1.14"))
s = session("nina"); out.append(sso("nina", A + 2 * H, "hotel", s))
s = session("erin")                                   # erin: home -> her carrier, Okta notices
out.append(sso("erin", A + 2 * H, "carrier", s))
out.append(ctxchange("erin", A + 2 * H + M, "carrier", s, "[ipAddress.change]", "86.40.1.14"))
out.append(sso("erin", A + 5 * H, "home", s))
s = session("frank"); out.append(sso("frank", A + 2 * H, "vpn", s, host=77))
s = session("grace"); out.append(sso("grace", A + 2 * H, "home", s, ua="win_chrome127"))
session("heidi")
out.append(start("heidi", A + 3 * H, "hotel", "102heidiHOTELx", ua="mac_safari", dt="e" * 64))
out.append(sso("heidi", A + 3 * H + M, "hotel", "102heidiHOTELx", ua="mac_safari", dt="e" * 64))
s = session("oscar")                                  # oscar resets erin's password from his own session
out.append(ev("user.account.reset_password", A + 2 * H, "erin", "hotel", s, actor=person("oscar"), target=[person("erin")]))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule session_hijack --json > alerts.jsonl
cat alerts.jsonl
python3 - alerts.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = {r["user"].split("@")[0]: r for r in rows}
want = {  # user: (severity, words the evidence must contain)
    "alice": ("high", ["AS14061", "new for this user", "AS5466 eircom", "started", "dtHash"]),
    "bob": ("high", ["OS family changed (Mac OS X -> Windows 10)", "browser family changed (SAFARI -> FIREFOX)"]),
    "mallory": ("critical", ["AS14061", "new for this user", "OS family changed (Windows 10 -> Linux)"]),
    "carol": ("critical", ["python-requests", "started in a browser", "CHROME"]),
    "dave": ("high", ["user.session.context.change", "ipAddress.change", "AS64701", "new for this user", "86.40.1.14"]),
    "judy": ("high", ["security.session.detect_client_roaming", "AS64701", "new for this user"]),
    "ivan": ("medium", ["deviceContext.change"]),
    "nina": ("low", ["still learning"]),
}
bad = 0
for u in sorted(set(got) | set(want)):
    if u not in want:
        print("FAIL: unexpected alert for %s: %s | %s" % (u, got[u]["summary"], got[u]["evidence"])); bad = 1; continue
    if u not in got:
        print("FAIL: no alert for %s" % u); bad = 1; continue
    r, (sev, words) = got[u], want[u]
    if r["severity"] != sev:
        print("FAIL: %s: %s, expected %s" % (u, r["severity"], sev)); bad = 1
    for w in words:
        if w not in r["evidence"]:
            print("FAIL: %s: evidence lacks %r: %s" % (u, w, r["evidence"])); bad = 1
    if r["entity"] != "user:" + r["tuid"] or r["mitre"] != ["T1539", "T1550.004"] or r["stage"] != "Compromise Identity":
        print("FAIL: %s: entity/mitre/stage %s %s %s" % (u, r["entity"], r["mitre"], r["stage"])); bad = 1
    print("ok: %s %s" % (u, r["severity"]))
sys.exit(bad)
PY
# replaying the same events changes nothing
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule session_hijack --json > again.jsonl
expect_eq "$(jlines again.jsonl 'sorted((r["user"], r["version"]) for r in rows)')" "$(jlines alerts.jsonl 'sorted((r["user"], r["version"]) for r in rows)')" "replay is idempotent"
