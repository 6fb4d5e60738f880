#!/usr/bin/env python3
"""Builds tests/browser/fixture.json, the canned data tests/browser/mock_api.py
serves, from a real idwatch run so the mock's shapes are the real ones:
the alert documents (`alerts show --json`), the personas (`persona show
--json`) and the raw Okta events behind the alerts (turned into the API
contract's EVENT form, /tmp/b/contract.md "People and events").

    tools/gen-events --users 30 --days 20 --start 2026-11-10 --seed 42 --attacks --out ev.jsonl
    idwatch --db db ingest --file ev.jsonl
    python3 tests/browser/mkfixture.py ./idwatch db ev.jsonl tests/browser/fixture.json

Run by hand when the shapes change; the output is committed.
"""
import json
import subprocess
import sys

OKTA_BASE = "https://acme-admin.okta.com"
MAX_USER_EVENTS = 30  # per person: a short timeline, small enough to commit


def idw(binary, db, *args):
    out = subprocess.run([binary, "--db", db] + list(args), check=True, capture_output=True, text=True)
    return out.stdout


def principal(p):
    if not p:
        return None
    return {"id": p.get("id"), "login": p.get("alternateId"), "type": p.get("type")}


def to_event(raw):
    """The contract's EVENT from a raw Okta System Log event."""
    client = raw.get("client") or {}
    geo = client.get("geographicalContext") or {}
    loc = geo.get("geolocation") or {}
    sec = raw.get("securityContext") or {}
    ua = client.get("userAgent") or {}
    dbg = (raw.get("debugContext") or {}).get("debugData") or {}
    auth = raw.get("authenticationContext") or {}
    targets = raw.get("target") or []
    app = next((t.get("displayName") for t in targets if t.get("type") == "AppInstance"), None)
    uuid = raw["uuid"]
    return {
        "uuid": uuid, "published": raw["published"], "event_type": raw["eventType"],
        "display_message": raw.get("displayMessage"), "outcome": (raw.get("outcome") or {}).get("result"),
        "severity": raw.get("severity"), "actor": principal(raw.get("actor")),
        "target": [principal(t) for t in targets], "ip": client.get("ipAddress"),
        "city": geo.get("city"), "country": geo.get("country"), "lat": loc.get("lat"), "lon": loc.get("lon"),
        "asn": sec.get("asNumber"), "as_org": sec.get("asOrg"), "device": dbg.get("dtHash"),
        "user_agent": ua.get("rawUserAgent"), "app": app, "session_id": auth.get("rootSessionId"),
        "okta_url": OKTA_BASE + "/report/system_log_2?search=uuid+eq+%22" + uuid + "%22",
    }


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: mkfixture.py IDWATCH DB EVENTS.jsonl OUT.json\n")
        return 2
    binary, db, events_path, out_path = argv[1:]
    ids = [json.loads(line)["alert_id"] for line in idw(binary, db, "alerts", "list", "--json").splitlines()]
    alerts = []
    for aid in ids:
        doc = json.loads(idw(binary, db, "alerts", "show", aid, "--json"))
        doc.pop("persona", None)
        alerts.append(doc)
    users = sorted({a["user"] for a in alerts if a.get("user")})
    personas = {u: json.loads(idw(binary, db, "persona", "show", u, "--json")) for u in users}
    wanted = {e for a in alerts for e in a.get("event_ids", [])}
    events, per_user = {}, {}
    with open(events_path) as f:
        for line in f:
            raw = json.loads(line)
            login = (raw.get("actor") or {}).get("alternateId")
            keep = raw["uuid"] in wanted
            if login in personas and per_user.get(login, 0) < MAX_USER_EVENTS and raw["published"] >= "2026-11-26":
                per_user[login] = per_user.get(login, 0) + 1
                keep = True
            if keep:
                events[raw["uuid"]] = to_event(raw)
    doc = {"okta_base": OKTA_BASE, "alerts": alerts, "personas": personas,
           "events": sorted(events.values(), key=lambda e: e["published"])}
    with open(out_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
