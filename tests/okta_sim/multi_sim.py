#!/usr/bin/python3
"""multi_sim.py — many simulated Okta orgs in one process, for the many-org benchmark.

tests/bench/multiorg.sh starts this to measure whether `idwatch run` polls
every org on time while one org stalls.  Each org listens on its own HTTPS
port on 127.0.0.1 (the test CA from mkcerts.sh, whose server certificate
names 127.0.0.1 in its subjectAltName) and serves:

  GET /api/v1/logs   SSWS auth (one token for every org); since/after/limit
                     polling with Link self+next on every page and
                     X-Rate-Limit-* headers, as okta_sim.py serves them.  The
                     events are made up on the fly (fresh uuids, published =
                     now): sign-ins and SSO by a handful of users per org, one
                     every --event-interval-s, so each poll has a few to ingest.
  /__control/...     requests (GET: every org's recorded log requests as JSON),
                     dump (POST: the same into STATE/requests.json),
                     release-stalls (POST: answer stalled requests now, stall
                     no more)

Org --stall-org (default 0; -1 for none) stalls: each of its log requests
waits --stall-s seconds (default 30) before it is answered.  Every log
request's arrival and answer time (wall clock) is recorded per org.  Once all
ports listen, STATE/ports.json is written (atomically); on SIGTERM the record
is written to STATE/requests.json and the process exits.

It is one process with one accept loop over every listening socket and a
daemon thread per connection, so 200 orgs are cheap on two cores.  The TLS
handshake runs in the connection's thread, so a slow client delays no other
org.  Only the standard library is used; okta_sim.py remains the strict
single-org simulator the integration tests use.

    multi_sim.py --state-dir DIR --cert-dir CERTS --ssws-token-file F [--orgs 200]
                 [--stall-org 0] [--stall-s 30] [--event-interval-s 2] [--users 5]
                 [--rate-limit 6000] [--rate-window-s 60] [--seed 1]
"""
import argparse, calendar, json, os, random, secrets, selectors, signal, ssl, sys, threading, time
import urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam"]
LAST = ["Okafor", "Schmidt", "Tanaka", "Rossi", "Novak", "Silva", "Khan", "Moreau", "Berg", "Lopez"]
PLACES = [  # city, state, country, lat, lon, ASN, AS org, domain
    ("Portland", "Oregon", "United States", 45.5152, -122.6784, 20055, "wholesail networks llc", "wholesail.net"),
    ("Austin", "Texas", "United States", 30.2672, -97.7431, 7922, "comcast cable communications llc", "comcast.net"),
    ("Berlin", "Land Berlin", "Germany", 52.52, 13.405, 3320, "deutsche telekom ag", "telekom.de"),
    ("Lyon", "Auvergne-Rhone-Alpes", "France", 45.764, 4.8357, 3215, "orange s.a.", "orange.fr"),
    ("Toronto", "Ontario", "Canada", 43.6532, -79.3832, 812, "rogers communications canada inc.", "rogers.com"),
]
AGENTS = [  # raw user agent, OS, browser, device
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", "Mac OS X", "CHROME", "Computer"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Windows 10", "FIREFOX",
     "Computer"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", "iOS", "SAFARI", "Mobile"),
]
APPS = ["Okta Dashboard", "Slack", "Salesforce", "GitHub", "Zoom"]


def iso_ms(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


class OktaError(Exception):
    def __init__(self, status, code, summary):
        self.status = status
        self.body = {"errorCode": code, "errorSummary": summary, "errorLink": code,
                     "errorId": "oae" + secrets.token_hex(8), "errorCauses": []}


class Org:
    """One simulated org: its persisted log, rate bucket and request record, behind one lock."""

    def __init__(self, index, a, rng):
        self.index, self.a = index, a
        self.lock = threading.Lock()
        self.log = []               # (persist_ms, event), in persistence order
        self.last_persist = 0
        self.made = 0               # events generated so far
        self.t0 = time.time()
        self.bucket = [a.rate_limit, a.rate_window_s, 0, 0.0]   # limit, window, used, window start
        self.requests = []          # {"t": arrival, "done": answered or None, "status", "events"}
        self.other_requests = 0
        self.stalls = index == a.stall_org
        self.users = [self.make_user(rng, u) for u in range(a.users)]
        self.rng = rng

    def make_user(self, rng, u):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return {"id": "00u%03d%02dsim%s" % (self.index, u, secrets.token_hex(4)),
                "login": "%s.%s%d@org%03d.example" % (first.lower(), last.lower(), u, self.index),
                "name": "%s %s" % (first, last), "place": rng.choice(PLACES), "agent": rng.choice(AGENTS),
                "ip": "%s.%d" % (rng.choice(["203.0.113", "198.51.100"]), rng.randrange(2, 250))}

    def event(self, now):
        """A plausible sign-in or SSO of one of the org's users, published now."""
        u = self.rng.choice(self.users)
        city, state, country, lat, lon, asn, asorg, dom = u["place"]
        geo = {"city": city, "state": state, "country": country, "postalCode": None,
               "geolocation": {"lat": lat, "lon": lon}}
        sso = self.rng.random() < 0.3
        app = self.rng.choice(APPS[1:]) if sso else APPS[0]
        sid = "102" + secrets.token_urlsafe(18)
        req_id = secrets.token_urlsafe(18)
        return {
            "uuid": str(uuid.uuid4()), "published": iso_ms(now), "version": "0", "severity": "INFO",
            "eventType": "user.authentication.sso" if sso else "user.session.start",
            "legacyEventType": "app.auth.sso" if sso else "core.user_auth.login_success",
            "displayMessage": "User single sign on to app" if sso else "User login to Okta",
            "actor": {"id": u["id"], "type": "User", "alternateId": u["login"], "displayName": u["name"],
                      "detailEntry": None},
            "client": {"userAgent": {"rawUserAgent": u["agent"][0], "os": u["agent"][1], "browser": u["agent"][2]},
                       "zone": "null", "device": u["agent"][3], "id": None, "ipAddress": u["ip"],
                       "geographicalContext": geo},
            "device": None,
            "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                      "credentialType": None, "issuer": None, "interface": None,
                                      "authenticationStep": 0, "rootSessionId": sid, "externalSessionId": sid},
            "outcome": {"result": "SUCCESS", "reason": None},
            "securityContext": {"asNumber": asn, "asOrg": asorg, "isp": asorg, "domain": dom, "isProxy": False},
            "debugContext": {"debugData": {"requestId": req_id, "requestUri": "/idp/idx/identify",
                                           "url": "/idp/idx/identify?", "threatSuspected": "false"}},
            "transaction": {"type": "WEB", "id": req_id, "detail": {}},
            "request": {"ipChain": [{"ip": u["ip"], "geographicalContext": geo, "version": "V4", "source": None}]},
            "target": [{"id": "0oa%03dapp%d" % (self.index, APPS.index(app)), "type": "AppInstance",
                        "alternateId": app, "displayName": app, "detailEntry": None}],
        }

    def generate(self):
        """Persists the events due by now (one per --event-interval-s since start). Lock held."""
        now = time.time()
        due = int((now - self.t0) / self.a.event_interval_s) + 1 - self.made
        for _ in range(max(0, min(due, 1000))):
            t = max(int(now * 1000), self.last_persist + 1)
            self.last_persist = t
            self.log.append((t, self.event(now)))
            self.made += 1

    def rate(self):
        """okta_sim.py's bucket: headers (limit, remaining, reset) and whether this request is over."""
        now = time.time()
        b = self.bucket
        if now >= b[3] + b[1]:
            b[2], b[3] = 0, now
        b[2] += 1
        return (b[0], max(0, b[0] - b[2]), int(b[3] + b[1])), b[2] > b[0]


class Sim:
    """Every org, the stall switch, and the record's writer."""

    def __init__(self, a):
        self.a = a
        rng = random.Random(a.seed)
        self.orgs = [Org(i, a, random.Random(rng.random())) for i in range(a.orgs)]
        self.ssws = open(a.ssws_token_file).read().strip()
        self.unstall = threading.Event()    # set: stalled requests answer now, no new stalls
        self.started = time.time()

    def record(self):
        out = {"started_at": self.started, "now": time.time(), "stall_org": self.a.stall_org,
               "stall_s": self.a.stall_s, "orgs": []}
        for o in self.orgs:
            with o.lock:
                out["orgs"].append({"index": o.index, "port": o.port, "stalls": o.stalls,
                                    "events_made": o.made, "other_requests": o.other_requests,
                                    "requests": [dict(r) for r in o.requests]})
        return out

    def write(self, name, obj):
        path = os.path.join(self.a.state_dir, name)
        with open(path + ".tmp", "w") as f:
            json.dump(obj, f)
        os.replace(path + ".tmp", path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "okta-multi-sim"
    timeout = 120                   # an idle keep-alive connection is closed after this

    def setup(self):
        super().setup()
        self.connection.do_handshake()  # here, in this connection's thread, not in the accept loop

    def log_message(self, fmt, *args):
        pass                        # nothing per request: 200 orgs polling would only cost I/O

    def base(self):
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def send_json(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Okta-Request-Id", "sim" + secrets.token_hex(6))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        sim, path = self.server.sim, urllib.parse.urlsplit(self.path).path
        if path == "/__control/release-stalls":
            sim.unstall.set()
        elif path == "/__control/dump":
            sim.write("requests.json", sim.record())
        else:
            return self.send_json(404, {"error": "unknown " + path})
        self.send_json(200, {"ok": True})

    def do_GET(self):
        sim, org = self.server.sim, self.server.org
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__control/requests":
            return self.send_json(200, sim.record())
        if path != "/api/v1/logs":
            with org.lock:
                org.other_requests += 1
            return self.send_json(404, OktaError(404, "E0000007", "Not found: Resource not found").body)
        rec = {"t": time.time(), "done": None, "status": None, "events": 0}
        with org.lock:
            org.requests.append(rec)
        if org.stalls and not sim.unstall.is_set():
            sim.unstall.wait(self.server.sim.a.stall_s)
        status, events = self.logs(org)
        with org.lock:
            rec.update(done=time.time(), status=status, events=events)

    def logs(self, org):
        """Answers one log request like okta_sim.py; returns (status, events served)."""
        with org.lock:
            limits, over = org.rate()
        extra = [("X-Rate-Limit-Limit", str(limits[0])), ("X-Rate-Limit-Remaining", str(limits[1])),
                 ("X-Rate-Limit-Reset", str(limits[2]))]
        try:
            if over:
                raise OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.")
            scheme, _, cred = self.headers.get("Authorization", "").partition(" ")
            if scheme != "SSWS" or cred != self.server.sim.ssws:
                raise OktaError(401, "E0000011", "Invalid token provided")
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            events, cursor, limit = self.page(org, q)
        except OktaError as e:
            self.send_json(e.status, e.body, extra)
            return e.status, 0
        base = self.base() + "/api/v1/logs"
        extra.append(("link", '<%s?%s>; rel="self"' % (base, urllib.parse.urlsplit(self.path).query)))
        extra.append(("link", '<%s?after=%s&limit=%d&sortOrder=ASCENDING>; rel="next"' % (base, cursor, limit)))
        self.send_json(200, events, extra)
        return 200, len(events)

    def page(self, org, q):
        """okta_sim.py's page_bounds: polling queries only; the opaque cursor is "<persist ms>_<position>"."""
        if "until" in q:
            raise OktaError(400, "E0000001", "Api validation failed: this simulator serves polling requests only")
        if "since" in q and "after" in q:
            raise OktaError(400, "E0000001", "Api validation failed: since and after are exclusive")
        if q.get("sortOrder", "ASCENDING") != "ASCENDING":
            raise OktaError(400, "E0000001", "Api validation failed: sortOrder")
        try:
            limit = int(q.get("limit", "100"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 1000:
            raise OktaError(400, "E0000001", "Api validation failed: limit")
        with org.lock:
            org.generate()
            if "after" in q:
                try:
                    ms, n = q["after"].split("_")
                    pos = int(n)
                    if pos > len(org.log) or pos < 0 or (pos and org.log[pos - 1][0] != int(ms)):
                        raise ValueError
                except ValueError:
                    raise OktaError(400, "E0000054", "Invalid pagination properties")
            else:
                try:
                    t = calendar.timegm(time.strptime(q.get("since", "")[:19], "%Y-%m-%dT%H:%M:%S"))
                except ValueError:
                    raise OktaError(400, "E0000001", "Api validation failed: since")
                if t < time.time() - 180 * 86400:
                    raise OktaError(400, "E0000053", "since parameter is over 180 days prior to the current day")
                pos = 0
                while pos < len(org.log) and org.log[pos][0] < t * 1000:
                    pos += 1
            page = org.log[pos:pos + limit]
            end = pos + len(page)
            cursor = "%d_%d" % (org.log[end - 1][0] if end else 0, end)
        return [e for _, e in page], cursor, limit


class OrgServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    timeout = 0                     # handle_request() is only called when a connection waits

    def handle_error(self, request, client_address):
        pass                        # a client that hangs up mid-handshake or mid-request is no news


def listen_all(sim, ctx):
    servers = []
    for org in sim.orgs:
        srv = OrgServer(("127.0.0.1", 0), Handler)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        srv.sim, srv.org = sim, org
        org.port = srv.server_address[1]
        servers.append(srv)
    return servers


def serve(servers, stopping):
    sel = selectors.DefaultSelector()
    for srv in servers:
        sel.register(srv.socket, selectors.EVENT_READ, srv)
    while not stopping.is_set():
        for key, _ in sel.select(0.5):
            key.data.handle_request()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--ssws-token-file", required=True)
    p.add_argument("--orgs", type=int, default=200)
    p.add_argument("--stall-org", type=int, default=0, help="index of the org that stalls; -1: none")
    p.add_argument("--stall-s", type=float, default=30.0)
    p.add_argument("--event-interval-s", type=float, default=2.0)
    p.add_argument("--users", type=int, default=5)
    p.add_argument("--rate-limit", type=int, default=6000)
    p.add_argument("--rate-window-s", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.orgs < 1 or a.users < 1 or a.event_interval_s <= 0 or a.stall_s < 0:
        p.error("--orgs and --users must be at least 1, --event-interval-s positive, --stall-s not negative")
    os.makedirs(a.state_dir, exist_ok=True)
    sim = Sim(a)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(a.cert_dir, "server.pem"), os.path.join(a.cert_dir, "server.key"))
    servers = listen_all(sim, ctx)
    stopping = threading.Event()

    def on_term(*_):
        stopping.set()
        sim.unstall.set()           # stalled requests answer, so their clients are not left hanging
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sim.write("ports.json", {"pid": os.getpid(), "stall_org": a.stall_org, "stall_s": a.stall_s,
                             "orgs": [{"index": o.index, "port": o.port} for o in sim.orgs]})
    serve(servers, stopping)
    sim.write("requests.json", sim.record())
    for srv in servers:
        srv.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
