# The shared event builder (tests/integration/oktaev.py) on its own, so a
# broken builder fails here rather than as a puzzling detection test: the
# events it builds are accepted by `idwatch ingest` and normalize to what
# was asked for (uuid, published, actor, subject, client ip, place, AS,
# device, session, outcome, target); the output is the same on every run;
# uuids are distinct even for identical events; stamp() writes Okta's
# RFC 3339 form from epoch seconds and datetimes; the array form ingests too.
. "$ROOT/tests/integration/lib.sh"
cat > build.py <<'PY'
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26, isp="eircom limited", domain="eircom.net")
erin, hd = person("erin"), person("hd")
evs = [
    signin(erin, BASE + 90 * S + 250 * datetime.timedelta(microseconds=1000), OFFICE.at(12), dt="d" * 64,
           session_id="102erin1", user_agent=CHROME_WIN, uuid="oktaev-1"),
    signin(erin, BASE + M, net("198.51.100.7", 64777), "FAILURE"),
    signin(erin, BASE + M, net("198.51.100.7", 64777), "FAILURE"),          # the same again: a distinct uuid
    sso(erin, BASE + 2 * M, OFFICE.at(12), app("Slack", "0oaslack"), session_id="102erin1"),
    factor_reset_all(hd, BASE + 3 * M, erin, OFFICE.at(13)),
    factor_enroll(erin, BASE + 4 * M, OFFICE.at(12), "FIDO_WEBAUTHN"),
    threat_detected(BASE + 5 * M, net("203.0.113.66", 64601, "bulletproof hosting", "Amsterdam", "Netherlands",
                                      52.37, 4.89, proxy=True), "DENY", {"Password Spray": "HIGH"}),
]
dump_jsonl(evs, open("events.jsonl", "w"))
dump_array(evs, open("events.json", "w"), indent=2)
for t in (1791187290.1239, datetime.datetime(2026, 10, 5, 8, 1, 30, 999999), datetime.datetime(
        2026, 10, 5, 10, 1, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))):
    print(stamp(t))
PY
python3 build.py > stamps.txt
cp events.jsonl first.jsonl
python3 build.py > /dev/null
cmp first.jsonl events.jsonl || fail "the builder's output differs between two runs"
echo "ok: the same events on every run"
expect_eq "$(cat stamps.txt | tr '\n' ' ')" \
    "2026-10-05T08:01:30.123Z 2026-10-05T08:01:30.999Z 2026-10-05T08:01:30.000Z " "stamp(): epoch seconds, naive and +02:00 datetimes"
expect_eq "$(jlines events.jsonl 'len(set(r["uuid"] for r in rows)) == len(rows) == 7')" True "distinct uuids"
expect_eq "$(jlines events.jsonl 'sorted(k for k in rows[0])')" \
    "['actor', 'authenticationContext', 'client', 'debugContext', 'displayMessage', 'eventType', 'legacyEventType', 'outcome', 'published', 'request', 'securityContext', 'severity', 'target', 'transaction', 'uuid', 'version']" \
    "the LogEvent's top-level members"

idw ingest --file events.jsonl --json --emit-normalized norm.jsonl > ingest.json
expect_eq "$(jget ingest.json '(j["accepted"], j["rejected"], j["complete"])')" "(7, 0, True)" "every built event accepted"
# the first event, field by field
# first EXPR / built EXPR: EXPR over e, the first event normalized / as built
first() { jlines norm.jsonl "(lambda e: $1)([r for r in rows if r['platform_event_id'] == 'oktaev-1'][0])"; }
built() { jlines events.jsonl "(lambda e: $1)([r for r in rows if r['uuid'] == 'oktaev-1'][0])"; }
expect_eq "$(first 'e["timestamp"]')" 2026-10-05T08:01:30.250Z "published"
expect_eq "$(first 'e["payload"]["user"]')" erin@acme.example "subject login"
expect_eq "$(first 'e["raw_metadata"]["actor_id"]')" "$(built 'e["actor"]["id"]')" "actor id"
expect_eq "$(first '__import__("re").fullmatch("00u[0-9a-f]{17}", e["raw_metadata"]["actor_id"]) is not None')" True "an Okta-shaped user id"
expect_eq "$(jlines norm.jsonl 'len({r["raw_metadata"]["actor_id"] for r in rows if r["raw_metadata"]["actor_email"] == "erin@acme.example"})')" 1 "one id per login"
expect_eq "$(first 'e["raw_metadata"]["actor_display_name"]')" Erin "actor display name"
expect_eq "$(first '(e["raw_metadata"]["client_ip"], e["payload"]["ip_address"])')" "('86.40.1.12', '86.40.1.12')" "client ip (the network template filled)"
expect_eq "$(built '(e["client"]["ipAddress"], [h["ip"] for h in e["request"]["ipChain"]])')" "('86.40.1.12', ['86.40.1.12'])" "client.ipAddress and request.ipChain as built"
expect_eq "$(first '(e["payload"]["city"], e["payload"]["country"], e["context"]["geo_lat"], e["context"]["geo_lon"], e["context"]["geo_source"])')" \
    "('Dublin', 'Ireland', 53.35, -6.26, 'okta')" "place from client.geographicalContext"
expect_eq "$(first '(e["context"]["asn"], e["context"]["as_org"], e["context"]["isp"], e["raw_metadata"]["security_is_proxy"])')" \
    "(5466, 'eircom', 'eircom limited', False)" "network owner"
expect_eq "$(first '(e["context"]["dt_hash"][:8], e["raw_metadata"]["external_session_id"], e["context"]["root_session_id"])')" \
    "('dddddddd', '102erin1', '102erin1')" "device and session"
expect_eq "$(first '(e["payload"]["browser"], e["payload"]["os"], e["payload"]["outcome"], e["payload"]["action"])')" \
    "('CHROME', 'Windows 10', 'SUCCESS', 'user.session.start')" "browser, os, outcome, type"
# the others
expect_eq "$(jlines norm.jsonl '[(r["payload"]["action"], r["payload"]["outcome"]) for r in rows if r["payload"]["ip_address"] == "198.51.100.7"]')" \
    "[('user.session.start', 'FAILURE'), ('user.session.start', 'FAILURE')]" "two identical failures, both kept"
expect_eq "$(jlines norm.jsonl '[r["payload"]["target_app"] for r in rows if r["payload"]["action"] == "user.authentication.sso"]')" "['Slack']" "SSO target app"
expect_eq "$(jlines norm.jsonl '[(r["payload"]["user"], r["context"]["subject_is_actor"]) for r in rows if r["payload"]["action"] == "user.mfa.factor.reset_all"]')" \
    "[('erin@acme.example', False)]" "a factor reset is about its target"
expect_eq "$(jlines norm.jsonl '[r["context"]["factor"] for r in rows if r["payload"]["action"] == "user.mfa.factor.activate"]')" "['FIDO_WEBAUTHN']" "enrolled factor"
expect_eq "$(jlines norm.jsonl '[(r["tuid"], r["context"]["threat_suspected"], r["context"]["actor_type"], r["raw_metadata"]["security_is_proxy"]) for r in rows if r["payload"]["action"] == "security.threat.detected"]')" \
    "[(None, True, 'IP address', True)]" "ThreatInsight: keyed by IP, flagged, proxy"
# the array form is the same events
idw ingest --file events.json --json > again.json
expect_eq "$(jget again.json '(j["accepted"], j["duplicates"])')" "(0, 7)" "dump_array: the same events (all duplicates)"
echo "oktaev: ok"
