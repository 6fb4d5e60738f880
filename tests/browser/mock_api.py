#!/usr/bin/env python3
"""A development stand-in for the daemon's console server: serves console/
and the console API (docs/api.md; the contract the daemon implements) with
the canned data of tests/browser/fixture.json (real idwatch output, see
mkfixture.py), on 127.0.0.1 only.  The browser test (console_test.py) runs
against it when the idwatch binary has no `console` command yet, and the
console can be developed against it without a database:

    python3 tests/browser/mock_api.py --port 8642 [--state-dir DIR]

Logins: analyst / analyst-pass-1 (role analyst), viewer / viewer-pass-1
(role viewer).  With --state-dir it writes DIR/port then DIR/ready once
listening.  Python standard library only.

What it imitates: sessions (HttpOnly SameSite=Strict cookie, csrf_token,
X-CSRF-Token required on every non-GET, 401/403), the security headers, the
alert filters/sort/paging, reviews with the alert state machine of
docs/alerts.md (409 on a refused move), and a false positive teaching the
persona (the alert's context values lose "provisional").  Incidents are the
alerts grouped by person, which is cruder than the daemon's chaining.
"""
import argparse
import hashlib
import json
import mimetypes
import os
import secrets
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
USERS = {"analyst": ("analyst-pass-1", "analyst"), "viewer": ("viewer-pass-1", "viewer")}
SEV_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
MOVES = {"open": {"acknowledged", "resolved", "false_positive"},
         "acknowledged": {"resolved", "false_positive"},
         "resolved": {"false_positive"}, "false_positive": set()}
SUMMARY_KEYS = ["alert_id", "version", "rule", "severity", "score", "status", "domain_id", "user", "tuid",
                "actor", "actor_tuid", "ip", "first_seen", "last_seen", "summary", "incident_id",
                "event_count", "assignee", "stage", "historical"]
CONTEXT_DIMS = {"country": "countries", "asn": "asns", "ip_prefix": "ip_prefixes", "device": "devices",
                "app": "apps"}


def parse_time(s):
    return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Data:
    """The canned database; every access under one lock (ThreadingHTTPServer)."""

    def __init__(self, path):
        with open(path) as f:
            doc = json.load(f)
        self.lock = threading.Lock()
        self.alerts = {a["alert_id"]: a for a in doc["alerts"]}
        self.personas = doc["personas"]
        self.events = {e["uuid"]: e for e in doc["events"]}
        # "now" is just after the newest activity, so relative ranges (24h, 7d) select something
        self.now = max(parse_time(a["last_seen"]) for a in self.alerts.values()) + timedelta(hours=1)
        for a in self.alerts.values():
            a.setdefault("assignee", None)
            a.setdefault("actor", a.get("user"))
            a.setdefault("actor_tuid", a.get("tuid"))
            a["incident_id"] = self.incident_of(a)

    @staticmethod
    def incident_of(a):
        key = a.get("user") or a.get("ip") or a["alert_id"]
        return "inc-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    def since(self, v):
        if not v:
            return None
        units = {"h": 1, "d": 24}
        if v[-1] in units and v[:-1].isdigit():
            return self.now - timedelta(hours=int(v[:-1]) * units[v[-1]])
        return parse_time(v)

    def find_alert(self, ident):
        if ident in self.alerts:
            return self.alerts[ident]
        hits = [a for k, a in self.alerts.items() if len(ident) >= 8 and k.startswith(ident)]
        return hits[0] if len(hits) == 1 else None

    def persona(self, who):
        for login, p in self.personas.items():
            if who in (login, p.get("okta_id"), p.get("tuid")):
                return p
        return None

    def teach(self, alert):
        """A false positive trusts the alert's context in the user's persona (docs/alerts.md)."""
        p = self.persona(alert.get("user") or "")
        ctx = alert.get("context") or {}
        if not p:
            return
        for key, dim in CONTEXT_DIMS.items():
            for v in p["dimensions"].get(dim, []):
                if ctx.get(key) is not None and v["value"] == ctx[key]:
                    v.pop("provisional", None)

    def review(self, alert, body, by):
        status = body.get("status")
        if status:
            if status not in MOVES:
                return 400, {"error": "status: unknown value %r" % status}
            if status not in MOVES[alert["status"]]:
                return 409, {"error": "alert %s is %s: cannot move to %s" % (alert["alert_id"], alert["status"],
                                                                             status)}
            alert["status"] = status
            if status == "false_positive":
                self.teach(alert)
        if "assignee" in body:
            alert["assignee"] = body["assignee"] or None
        alert.setdefault("history", []).append({"time": iso(datetime.now(timezone.utc)),
                                                "status": alert["status"], "note": body.get("note"),
                                                "by": by, "assignee": alert["assignee"]})
        alert["version"] += 1
        return 200, alert


def summary(a):
    return {k: a.get(k) for k in SUMMARY_KEYS}


def matches(data, a, q):
    def one(name):
        return q.get(name, [""])[0]
    if one("status") and a["status"] not in one("status").split(","):
        return False
    if one("severity") and a["severity"] not in one("severity").split(","):
        return False
    for key in ("rule", "user", "actor", "ip", "incident_id"):
        param = "incident" if key == "incident_id" else key
        if one(param) and a.get(key) != one(param):
            return False
    since, until = data.since(one("since")), data.since(one("until"))
    if since and parse_time(a["last_seen"]) < since:
        return False
    if until and parse_time(a["first_seen"]) > until:
        return False
    text = one("q").lower()
    hay = " ".join(str(a.get(k) or "") for k in ("summary", "evidence", "user", "rule", "ip")).lower()
    return not text or text in hay


def sort_page(rows, q, default_sort):
    key = q.get("sort", [default_sort])[0]
    desc = q.get("order", ["desc"])[0] != "asc"
    if key == "severity":
        rows.sort(key=lambda r: (SEV_RANK.get(r["severity"], 0), r["last_seen"]), reverse=desc)
    else:
        rows.sort(key=lambda r: str(r.get(key) or ""), reverse=desc)
    limit = max(1, min(int(q.get("limit", ["50"])[0]), 500))
    offset = max(0, int(q.get("offset", ["0"])[0]))
    return rows[offset:offset + limit], len(rows), offset, limit


def incidents(data):
    groups = {}
    for a in data.alerts.values():
        groups.setdefault(a["incident_id"], []).append(a)
    out = {}
    for iid, alerts in groups.items():
        alerts.sort(key=lambda a: a["first_seen"])
        top = max(alerts, key=lambda a: SEV_RANK[a["severity"]])
        people = {a["tuid"]: a["user"] for a in alerts if a.get("tuid")}
        statuses = {a["status"] for a in alerts}
        status = "open" if "open" in statuses else ("acknowledged" if "acknowledged" in statuses
                                                      else sorted(statuses)[0])
        out[iid] = {"incident_id": iid, "version": sum(a["version"] for a in alerts),
                    "title": "%s: %s" % (top.get("user") or top.get("ip"), ", ".join(sorted({a["rule"] for a in alerts}))),
                    "severity": top["severity"], "status": status,
                    "people": [{"tuid": t, "user": u} for t, u in people.items()],
                    "sources": sorted({a["ip"] for a in alerts if a.get("ip")}),
                    "alert_count": len(alerts), "first_seen": alerts[0]["first_seen"],
                    "last_seen": max(a["last_seen"] for a in alerts),
                    "takeover": len({a["rule"] for a in alerts}) > 1 and top["severity"] == "critical",
                    "_alerts": alerts}
    return out


def incident_doc(data, inc):
    doc = {k: v for k, v in inc.items() if k != "_alerts"}
    doc["alerts"] = [summary(a) for a in inc["_alerts"]]
    timeline, locations = [], []
    for a in inc["_alerts"]:
        timeline.append({"time": a["first_seen"], "kind": "alert", "alert_id": a["alert_id"],
                         "text": a["summary"], "severity": a["severity"], "user": a.get("user")})
        for uuid in a.get("event_ids", []):
            e = data.events.get(uuid)
            if not e:
                continue
            timeline.append({"time": e["published"], "kind": "event", "uuid": uuid,
                             "text": e["display_message"], "user": (e["actor"] or {}).get("login")})
            if e.get("lat") is not None:
                locations.append({"lat": e["lat"], "lon": e["lon"], "city": e["city"], "country": e["country"],
                                  "ip": e["ip"], "time": e["published"], "user": (e["actor"] or {}).get("login")})
    timeline.sort(key=lambda t: t["time"])
    doc["timeline"] = timeline
    doc["locations"] = locations
    return doc


class Handler(BaseHTTPRequestHandler):
    server_version = "idwatch-mock"
    sessions = {}  # cookie -> {"user", "role", "csrf_token"}

    def log_message(self, fmt, *args):  # quiet: the test prints what it checks
        pass

    def send(self, code, body=None, ctype="application/json", extra=None):
        raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(code)
        for k, v in (("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"),
                     ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")):
            self.send_header(k, v)
        if self.path.startswith("/api"):
            self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if code != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if code != 204:
            self.wfile.write(raw)

    def session(self):
        for part in self.headers.get("Cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "idw_session" and v in self.sessions:
                return v, self.sessions[v]
        return None, None

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise ValueError("body too large")
        return json.loads(self.rfile.read(n) or b"{}")

    def static(self, path):
        name = "index.html" if path == "/" else path[len("/static/"):]
        full = os.path.realpath(os.path.join(self.server.console_dir, name))
        if not full.startswith(self.server.console_dir + os.sep) or not os.path.isfile(full):
            return self.send(404, {"error": "no such file"})
        with open(full, "rb") as f:
            data = f.read()
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript") or ctype.endswith("json"):
            ctype += "; charset=utf-8"
        self.send(200, data, ctype)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urlsplit(self.path)
        path, q = url.path, parse_qs(url.query)
        if method == "GET" and (path == "/" or path.startswith("/static/")):
            return self.static(path)
        if not path.startswith("/api/v1/"):
            return self.send(404, {"error": "not found"})
        if path == "/api/v1/session" and method == "POST":
            return self.login()
        sid, who = self.session()
        if not who:
            return self.send(401, {"error": "not signed in"})
        if method != "GET" and self.headers.get("X-CSRF-Token") != who["csrf_token"]:
            return self.send(403, {"error": "missing or wrong X-CSRF-Token"})
        if path == "/api/v1/session":
            if method == "DELETE":
                del self.sessions[sid]
                return self.send(204, extra={"Set-Cookie": "idw_session=; Path=/; Max-Age=0; HttpOnly; "
                                                           "SameSite=Strict"})
            return self.send(200, who)
        if method == "POST" and who["role"] == "viewer":
            return self.send(403, {"error": "role viewer cannot review"})
        try:
            body = self.body() if method == "POST" else None
            if body is not None and not isinstance(body, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            return self.send(400, {"error": "request body: %s" % e})
        parts = [unquote(p) for p in path[len("/api/v1/"):].split("/")]
        with self.server.data.lock:
            try:
                code, out = self.api(method, parts, q, body, who)
            except (ValueError, TypeError, AttributeError) as e:  # a malformed parameter or body
                code, out = 400, {"error": "bad request: %s" % e}
        self.send(code, out)

    def login(self):
        try:
            body = self.body()
        except ValueError:
            return self.send(400, {"error": "request body: not JSON"})
        user = USERS.get(body.get("username"))
        if not user or not secrets.compare_digest(user[0], str(body.get("password"))):
            return self.send(401, {"error": "invalid username or password"})
        sid = secrets.token_urlsafe(32)
        who = {"user": body["username"], "role": user[1], "csrf_token": secrets.token_urlsafe(32)}
        self.sessions[sid] = who
        self.send(200, who, extra={"Set-Cookie": "idw_session=%s; Path=/; HttpOnly; SameSite=Strict" % sid})

    def api(self, method, parts, q, body, who):
        data = self.server.data
        if parts[0] == "alerts":
            return self.api_alerts(data, method, parts, q, body, who)
        if parts[0] == "incidents":
            return self.api_incidents(data, method, parts, q, body, who)
        if parts[0] == "people" and len(parts) >= 2:
            return self.api_people(data, parts, q)
        if parts[0] == "events" and len(parts) == 2 and parts[1] in data.events:
            return 200, data.events[parts[1]]
        return 404, {"error": "not found: /api/v1/%s" % "/".join(parts)}

    @staticmethod
    def api_alerts(data, method, parts, q, body, who):
        if len(parts) == 1 and method == "GET":
            rows = [summary(a) for a in data.alerts.values() if matches(data, a, q)]
            page, total, offset, limit = sort_page(rows, q, "last_seen")
            return 200, {"alerts": page, "total": total, "offset": offset, "limit": limit}
        if parts[1:] == ["review"] and method == "POST":
            results = []
            for aid in body.get("ids", [])[:500]:
                a = data.find_alert(aid)
                code, out = data.review(a, body, who["user"]) if a else (404, {"error": "no alert %s" % aid})
                results.append({"alert_id": aid, "ok": code == 200, **({} if code == 200 else out)})
            return 200, {"results": results}
        a = data.find_alert(parts[1])
        if not a:
            return 404, {"error": "no alert %s" % parts[1]}
        if len(parts) == 2 and method == "GET":
            return 200, a
        if parts[2:] == ["events"] and method == "GET":
            return 200, {"events": [data.events[u] for u in a.get("event_ids", []) if u in data.events]}
        if parts[2:] == ["review"] and method == "POST":
            return data.review(a, body, who["user"])
        return 404, {"error": "not found"}

    @staticmethod
    def api_incidents(data, method, parts, q, body, who):
        incs = incidents(data)
        if len(parts) == 1 and method == "GET":
            rows = [{k: v for k, v in i.items() if k != "_alerts"} for i in incs.values()
                    if matches(data, {**i, "summary": i["title"]}, q)]
            page, total, offset, limit = sort_page(rows, q, "last_seen")
            return 200, {"incidents": page, "total": total, "offset": offset, "limit": limit}
        inc = incs.get(parts[1])
        if not inc:
            return 404, {"error": "no incident %s" % parts[1]}
        if parts[2:] == ["review"] and method == "POST":
            for a in inc["_alerts"]:
                data.review(a, body, who["user"])
            return 200, incident_doc(data, incidents(data)[parts[1]])
        return 200, incident_doc(data, inc)

    @staticmethod
    def api_people(data, parts, q):
        p = data.persona(parts[1])
        if not p:
            return 404, {"error": "no person %s" % parts[1]}
        if parts[2:] == ["timeline"]:
            since = data.now - timedelta(hours=int(q.get("hours", ["24"])[0]))
            evs = [e for e in data.events.values() if (e["actor"] or {}).get("login") == p["login"]
                   and parse_time(e["published"]) >= since]
            return 200, {"events": sorted(evs, key=lambda e: e["published"], reverse=True)}
        places = [{"lat": c.get("lat"), "lon": c.get("lon"), "city": c["value"].split(",")[0],
                   "country": c["value"].split(", ")[-1], "weight": c["weight"]}
                  for c in p["dimensions"].get("cities", [])]
        open_alerts = [summary(a) for a in data.alerts.values()
                       if a.get("user") == p["login"] and a["status"] in ("open", "acknowledged")]
        return 200, {"tuid": p["tuid"], "user": p["login"], "domain_id": p["domain_id"], "persona": p,
                     "places": places, "open_alerts": open_alerts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--state-dir")
    ap.add_argument("--fixture", default=os.path.join(ROOT, "tests/browser/fixture.json"))
    ap.add_argument("--console-dir", default=os.path.join(ROOT, "console"))
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.data = Data(args.fixture)
    srv.console_dir = os.path.realpath(args.console_dir)
    if args.state_dir:
        with open(os.path.join(args.state_dir, "port"), "w") as f:
            f.write("%d\n" % srv.server_address[1])
        with open(os.path.join(args.state_dir, "ready"), "w") as f:
            f.write("ready\n")
    sys.stdout.write("mock console on http://127.0.0.1:%d/\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
