# The console's API beyond the alert queue (docs/api.md), through `idwatch
# console` on 127.0.0.1 over a generated org with attacks (tools/gen-events):
# an alert's stored events are exactly its event_ids, oldest first; the
# incident queue's filters and paging; an incident's alerts are the alerts
# that name it, its timeline and locations come from stored events; a
# person's persona, places and open alerts; a person's timeline holds only
# their events in the hours asked, newest first; one event by uuid with its
# Okta link; 404 for unknown ids; 401 without credentials; a viewer reads but
# cannot review; an analyst's incident review reaches each of its alerts.
. "$ROOT/tests/integration/lib.sh"
set -e
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
cat > cfg.json <<JSON
{"db": "$WORK/db", "orgs": [{"domain_id": "default", "org_url": "https://acme.okta.com"}],
 "serve": {"listen": "127.0.0.1:$PORT"}}
JSON
I() { "$IDWATCH" --config cfg.json "$@"; }
start=$(date -u -d "-20 days" +%Y-%m-%d)
"$TOOLS/gen-events" --users 40 --days 20 --start "$start" --seed 42 --attacks --out events.jsonl > /dev/null 2>&1
I ingest --file events.jsonl > /dev/null
# nomad: Lisbon with coordinates, then without (the persona keeps the last: none), and a city never located
python3 - <<'PY' > nomad.jsonl
from oktaev import *
T, who = now() - 2 * D, person("nomad", "00uNOMAD")
dump_jsonl([signin(who, T, net("198.51.100.7", 64501, "Net", "Lisbon", "Portugal", 38.7223, -9.1393)),
            signin(who, T + H, net("198.51.100.7", 64501, "Net", "Lisbon", "Portugal")),
            signin(who, T + 2 * H, net("198.51.100.8", 64501, "Net", "Atlantis", "Nowhere"))])
PY
I ingest --file nomad.jsonl > /dev/null
I alerts list --json > alerts.jsonl
I api-token create --name bot --role analyst > tok.analyst 2>/dev/null
I api-token create --name looker --role viewer > tok.viewer 2>/dev/null
"$IDWATCH" --config cfg.json console > console.log 2>&1 &    # not through I(): $! must be idwatch
CPID=$!
trap 'kill $CPID 2>/dev/null || true; wait $CPID 2>/dev/null || true' EXIT
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "console did not start: $(cat console.log)"; sleep 0.1; done
python3 - "http://127.0.0.1:$PORT" "$(cat tok.analyst)" "$(cat tok.viewer)" <<'PY'
import json, sys, urllib.request, urllib.error, datetime
base, TA, TV = sys.argv[1:4]
def call(path, tok=TA, body=None):
    req = urllib.request.Request(base + "/api/v1" + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    if tok:
        req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
def check(cond, what):
    if not cond:
        print("FAIL: " + what); sys.exit(1)
    print("ok: " + what)
def ms(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000

alerts = [json.loads(l) for l in open("alerts.jsonl") if l.strip()]
check(len(alerts) >= 5, "the generated attacks raised %d alerts" % len(alerts))
for p in ("/incidents", "/people/x", "/events/x", "/alerts/%s/events" % alerts[0]["alert_id"]):
    check(call(p, tok=None)[0] == 401, "no credentials: %s is 401" % p)

# an alert's events: exactly its event_ids, oldest first, with their Okta links
for a in alerts[:8]:
    st, r = call("/alerts/%s/events" % a["alert_id"])
    uu = [e["uuid"] for e in r["events"]]
    check(st == 200 and sorted(uu) == sorted(a["event_ids"]) and
          [e["published"] for e in r["events"]] == sorted(e["published"] for e in r["events"]),
          "alert %s: its %d events, oldest first" % (a["alert_id"][:8], len(uu)))
    check(all(e["okta_url"] == "https://acme-admin.okta.com/report/system_log_2?search=uuid+eq+%%22%s%%22"
              % e["uuid"] for e in r["events"]), "alert %s: each event's okta_url" % a["alert_id"][:8])
check(call("/alerts/%s/events" % ("0" * 36))[0] == 404, "an unknown alert's events: 404")

# the incident queue: every incident, filters, paging
st, r = call("/incidents?limit=500")
incs = r["incidents"]
want_ids = {a["incident_id"] for a in alerts if a.get("incident_id")}
check(st == 200 and r["total"] == len(incs) == len(want_ids) and {i["incident_id"] for i in incs} == want_ids,
      "the incident queue lists the %d incidents the alerts name" % len(want_ids))
check([i["last_seen"] for i in incs] == sorted((i["last_seen"] for i in incs), reverse=True), "newest first")
st, r = call("/incidents?severity=critical&limit=500")
check(st == 200 and r["total"] == sum(i["severity"] == "critical" for i in incs) and
      all(i["severity"] == "critical" for i in r["incidents"]), "severity=critical: %d" % r["total"])
st, r = call("/incidents?sort=severity&order=asc&limit=2&offset=1")
rank = {"low": 0, "medium": 1, "high": 2, "critical": 3}
allsev = sorted(rank[i["severity"]] for i in incs)
check(st == 200 and [rank[i["severity"]] for i in r["incidents"]] == allsev[1:3] and r["offset"] == 1,
      "sort=severity&order=asc, page 2 of size 2")
check(call("/incidents?sort=rule")[0] == 400 and call("/incidents?severity=huge")[0] == 400,
      "an unknown sort or severity: 400")

# one incident: its alerts are the alerts that name it; timeline and locations from the stored events
inc = max(incs, key=lambda i: i["alert_count"])
st, d = call("/incidents/" + inc["incident_id"])
mine = {a["alert_id"] for a in alerts if a.get("incident_id") == inc["incident_id"]}
check(st == 200 and {a["alert_id"] for a in d["alerts"]} == mine and d["alert_count"] == len(mine),
      "incident %s: its %d alerts" % (inc["incident_id"][:8], len(mine)))
tl = d["timeline"]
check({t["alert_id"] for t in tl if t["kind"] == "alert"} <= mine and
      [ms(t["time"]) for t in tl] == sorted(ms(t["time"]) for t in tl), "the timeline is in time order")
evuuids = {t["uuid"] for t in tl if t["kind"] == "event"}
behind = {u for a in alerts if a["alert_id"] in mine for u in a["event_ids"]}
check(behind <= evuuids and len(evuuids) <= 200, "the timeline holds the alerts' %d events (%d events in all)"
      % (len(behind), len(evuuids)))
others = [t for t in tl if t["kind"] == "event" and t["uuid"] not in behind]
check(others and all(ms(d["first_seen"]) <= ms(t["time"]) <= ms(d["last_seen"]) for t in others),
      "and %d more events of its people, all within its span" % len(others))
check(d["locations"] and all(isinstance(l["lat"], float) and l["time"] for l in d["locations"]),
      "%d located events" % len(d["locations"]))
check(call("/incidents/nope")[0] == 404, "an unknown incident: 404")

# a person: persona, places, open alerts; their timeline
a = next(x for x in alerts if x.get("user") and x["status"] == "open")
st, p = call("/people/" + urllib.request.quote(a["user"]))
check(st == 200 and p["tuid"] == a["tuid"] and p["user"] == a["user"] and p["persona"]["dimensions"],
      "person %s: the persona" % a["user"])
check(a["alert_id"] in {x["alert_id"] for x in p["open_alerts"]} and
      all(x["tuid"] == a["tuid"] and x["status"] in ("open", "acknowledged") for x in p["open_alerts"]),
      "their %d open alerts" % len(p["open_alerts"]))
check(p["places"] and all(isinstance(x["lat"], float) and x["city"] and x["country"] for x in p["places"]),
      "their places: %s" % ", ".join(x["city"] for x in p["places"]))
check(call("/people/" + a["tuid"])[1]["user"] == a["user"], "a person by tuid")
check(call("/people/nobody@nowhere")[0] == 404, "an unknown person: 404")
st, p = call("/people/nomad@acme.example")
check(st == 200 and [(x["city"], x["country"], x["lat"], x["lon"]) for x in p["places"]] ==
      [("Lisbon", "Portugal", 38.7223, -9.1393)],
      "a city the persona keeps without coordinates is located from the stored events; one never located is left out")
for hours in (24, 168):
    st, t = call("/people/%s/timeline?hours=%d" % (urllib.request.quote(a["user"]), hours))
    now = datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000
    evs = t["events"]
    check(st == 200 and all(a["tuid"] in (e["subject_tuid"], e["actor_tuid"]) for e in evs) and
          all(now - hours * 3600e3 - 60e3 <= ms(e["published"]) <= now for e in evs) and
          [e["published"] for e in evs] == sorted((e["published"] for e in evs), reverse=True),
          "the last %d h: %d of their events only, newest first" % (hours, len(evs)))
check(len(call("/people/%s/timeline?hours=720" % a["tuid"])[1]["events"]) >= len(a["event_ids"]) > 0,
      "30 days hold at least the alert's events")
check(call("/people/%s/timeline?hours=721" % a["tuid"])[0] == 400, "hours over 720: 400")

# one event by uuid
u = a["event_ids"][0]
st, e = call("/events/" + u)
check(st == 200 and e["uuid"] == u and e["okta_url"].endswith("%%22%s%%22" % u), "event %s" % u[:8])
check(call("/events/" + u + "?domain=default")[0] == 200 and call("/events/" + u + "?domain=other")[0] == 404,
      "?domain= narrows the event to one org")
check(call("/events/00000000-0000-0000-0000-000000000000")[0] == 404, "an unknown event: 404")
check(call("/events/%s?domain=a/b" % u)[0] == 400 and call("/people/%s?domain=%%20" % a["tuid"])[0] == 400,
      "a malformed ?domain=: 400")

# reviews: a viewer reads but cannot review; an analyst's review reaches each alert
check(call("/incidents/" + inc["incident_id"], tok=TV)[0] == 200, "a viewer reads an incident")
st, r = call("/incidents/%s/review" % inc["incident_id"], tok=TV, body={"status": "acknowledged"})
check(st == 403, "a viewer's incident review: 403")
check(call("/incidents/%s/review" % inc["incident_id"], body={"status": "open"})[0] == 400, "status open: 400")
st, r = call("/incidents/%s/review" % inc["incident_id"], body={"status": "acknowledged", "note": "on it"})
check(st == 200 and r["incident_id"] == inc["incident_id"], "the analyst's review answers the incident")
for aid in mine:
    doc = call("/alerts/" + aid)[1]
    check(doc["status"] == "acknowledged" and
          any(h.get("by") == "api:bot" and h.get("note") == "on it" for h in doc["history"]),
          "alert %s acknowledged by api:bot" % aid[:8])
st, r = call("/incidents/%s/review" % inc["incident_id"], body={"status": "resolved"})
check(st == 200 and r["status"] == "resolved" and all(x["status"] == "resolved" for x in r["alerts"]),
      "resolving the incident resolves its alerts")
check(call("/incidents/%s/review" % inc["incident_id"], body={"status": "acknowledged"})[0] == 409,
      "a review no alert allows: 409")
res = [i["incident_id"] for i in call("/incidents?status=resolved&limit=500")[1]["incidents"]]
opn = [i["incident_id"] for i in call("/incidents?status=open,acknowledged&limit=500")[1]["incidents"]]
check(res == [inc["incident_id"]] and len(opn) == len(incs) - 1 and inc["incident_id"] not in opn,
      "status=resolved lists the resolved incident, status=open,acknowledged the %d others" % len(opn))
PY
# stopped cleanly (SIGTERM), with no sanitizer report (leaks included) in its log
kill $CPID; wait $CPID || true
trap - EXIT
if grep -q 'Sanitizer\|runtime error' console.log; then cat console.log; fail "sanitizer report in the console's log"; fi
