#!/usr/bin/python3
"""soar_sim.py — a strict simulated SOAR webhook receiver for idwatch's tests.

Serves, over HTTPS on 127.0.0.1 with a certificate from ../okta_sim/mkcerts.sh:

  POST <any path>     an alert delivery: checks every part of the contract in
                      docs/webhook.md (headers, HMAC-SHA256 signature over
                      "<timestamp>.<body>" with any of the --secret-file keys,
                      timestamp tolerance, JSON body in native or OCSF form or
                      a native incident, Idempotency-Key = <alert_id>:<version>
                      (<incident_id>:<version>) matching the body)
                      and de-duplicates on the Idempotency-Key
  /__control/...      test controls: faults, stats, secret reload

Every delivery is recorded as one JSON line in STATE_DIR/requests.jsonl.
Python 3 standard library only.  See README.md for the CLI and control API.
"""
import argparse, hashlib, hmac, json, os, re, signal, socket, ssl, sys, threading, time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
TS_RE = re.compile(r"[0-9]{1,12}")
SIG_RE = re.compile(r"v1=([0-9a-f]{64})")
UA_RE = re.compile(r"idwatch/[0-9A-Za-z][0-9A-Za-z.+~_-]*")
KEY_RE = re.compile(r"(.+):([1-9][0-9]{0,17})")


class Reject(Exception):
    def __init__(self, status, reason):
        Exception.__init__(self, reason)
        self.status, self.reason = status, reason


def load_secret(path):
    """The first line of the file (up to the first CR or LF), as bytes: the
    same rule idwatch applies to its own secret files.  Empty → None."""
    with open(path, "rb") as f:
        data = f.read(4096)
    line = re.split(rb"[\r\n]", data, maxsplit=1)[0]
    return line or None


def strict_json(raw):
    """json.loads that refuses what a careful receiver should refuse: invalid
    UTF-8, NaN/Infinity, and duplicate object keys."""
    def pairs(items):
        d = {}
        for k, v in items:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d

    def constant(name):
        raise ValueError("%s is not JSON" % name)

    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


class Receiver:
    """All state of the simulated SOAR, behind one lock."""

    def __init__(self, args):
        self.a = args
        self.lock = threading.Lock()
        self.secrets = self.read_secrets(required=True)
        self.faults = []            # [params, remaining]; remaining -1 = until cleared
        self.accepted_keys = set()
        self.inflight = 0
        self.stats = {"accepted": 0, "duplicates": 0, "rejected": 0, "faulted": 0,
                      "requests": 0, "out_of_order": 0, "max_concurrency": 0,
                      "formats": {"native": 0, "ocsf": 0},
                      "keys": [], "alerts": {}}
        self.log = open(os.path.join(args.state_dir, "requests.jsonl"), "a", encoding="utf-8")

    def read_secrets(self, required):
        out = []
        for i, path in enumerate(self.a.secret_file):
            try:
                s = load_secret(path)
            except OSError as e:
                if required:
                    sys.exit("soar_sim: --secret-file %s: %s" % (path, e.strerror))
                s = None
            if s is None and required:
                sys.exit("soar_sim: --secret-file %s is empty" % path)
            out.append(s)         # None keeps the index of the file stable
        return out

    def take_fault(self):
        with self.lock:
            for f in self.faults:
                if f[1] != 0:
                    if f[1] > 0:
                        f[1] -= 1
                    return f[0]
        return None

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "soar-sim"
    sys_version = ""
    timeout = 120               # a silent client cannot hold a thread forever

    def log_message(self, fmt, *args):
        # request line and status only: never headers or bodies
        with open(os.path.join(self.server.rx.a.state_dir, "access.log"), "a") as f:
            f.write("%s\n" % (fmt % args)[:300])

    # ---- plumbing ---------------------------------------------------------
    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            # the client gave up (timeout) or reset: nothing to answer to
            self.close_connection = True

    def read_body(self):
        """Returns the body bytes; raises Reject for a missing/oversized length."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Reject(411, "Transfer-Encoding is not accepted; send Content-Length")
        cl = self.headers.get("Content-Length")
        if cl is None or not re.fullmatch(r"[0-9]{1,10}", cl):
            self.close_connection = True
            raise Reject(411, "missing or invalid Content-Length")
        n = int(cl)
        if n > MAX_BODY:
            self.close_connection = True
            raise Reject(413, "body larger than %d bytes" % MAX_BODY)
        return self.rfile.read(n) if n else b""

    # ---- routing ----------------------------------------------------------
    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/__control/"):
            return self.control(path[len("/__control/"):])
        self.delivery()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__control/stats":
            rx = self.server.rx
            with rx.lock:
                snap = json.loads(json.dumps(rx.stats))
            return self.send_json(200, snap)
        self.not_post()

    def do_PUT(self):
        self.not_post()

    def do_DELETE(self):
        self.not_post()

    def do_PATCH(self):
        self.not_post()

    def do_HEAD(self):
        self.not_post()

    def not_post(self):
        """A delivery must be a POST.  Anything else is recorded and refused."""
        rx = self.server.rx
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/__control/"):
            return self.send_json(404, {"error": "unknown control %s %s" % (self.command, path)})
        try:
            self.read_body()
        except Reject:
            pass
        with rx.lock:
            rx.stats["requests"] += 1
            rx.stats["rejected"] += 1
        rx.record(self.entry(path, None, 405, False, "method %s is not POST" % self.command))
        self.close_connection = True
        self.send_json(405, {"error": "deliveries are POST"})

    # ---- control ----------------------------------------------------------
    def control(self, what):
        rx = self.server.rx
        try:
            raw = self.read_body()
            req = json.loads(raw or b"{}")
            if not isinstance(req, dict):
                raise ValueError("expected an object")
        except (Reject, ValueError) as e:
            return self.send_json(400, {"error": "bad control request: %s" % e})
        if what == "fault":
            try:
                fault = self.parse_fault(req)
            except (TypeError, ValueError) as e:
                return self.send_json(400, {"error": "bad fault: %s" % e})
            with rx.lock:
                rx.faults.append([fault, fault["count"]])
        elif what == "clear-faults":
            with rx.lock:
                rx.faults = []
        elif what == "reload-secrets":
            secrets = rx.read_secrets(required=False)
            if not any(secrets):
                return self.send_json(400, {"error": "every secret file is missing or empty"})
            with rx.lock:
                rx.secrets = secrets
            return self.send_json(200, {"ok": True, "active": [i for i, s in enumerate(secrets) if s]})
        else:
            return self.send_json(404, {"error": "unknown control " + what})
        self.send_json(200, {"ok": True})

    @staticmethod
    def parse_fault(req):
        unknown = set(req) - {"status", "count", "delay_s", "reset"}
        if unknown:
            raise ValueError("unknown keys %s" % sorted(unknown))
        count = req.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < -1 or count == 0:
            raise ValueError("count must be a positive integer or -1")
        f = {"count": count}
        if "status" in req:
            st = req["status"]
            if not isinstance(st, int) or isinstance(st, bool) or not 100 <= st <= 599:
                raise ValueError("status must be an HTTP status code")
            f["status"] = st
        if "delay_s" in req:
            d = req["delay_s"]
            if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0 <= d <= 600:
                raise ValueError("delay_s must be a number of seconds, 0..600")
            f["delay_s"] = float(d)
        if req.get("reset"):
            f["reset"] = True
        if not ({"status", "delay_s", "reset"} & set(f)):
            raise ValueError("a fault needs status, delay_s or reset")
        return f

    # ---- deliveries --------------------------------------------------------
    def entry(self, path, key, status, verified, reason, **extra):
        e = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "time_unix": time.time(),
             "method": self.command, "path": path, "query": urllib.parse.urlsplit(self.path).query,
             "idempotency_key": key, "status": status,
             "verified": verified, "reason": reason, "duplicate": False}
        e.update(extra)
        return e

    def delivery(self):
        rx = self.server.rx
        with rx.lock:
            rx.stats["requests"] += 1
            rx.inflight += 1
            rx.stats["max_concurrency"] = max(rx.stats["max_concurrency"], rx.inflight)
        try:
            self._delivery()
        finally:
            with rx.lock:
                rx.inflight -= 1

    def _delivery(self):
        rx = self.server.rx
        path = urllib.parse.urlsplit(self.path).path
        key = self.headers.get("Idempotency-Key")
        try:
            raw = self.read_body()
        except Reject as e:
            with rx.lock:
                rx.stats["rejected"] += 1
            rx.record(self.entry(path, key, e.status, False, e.reason, body=None))
            return self.send_json(e.status, {"error": e.reason})

        fault = rx.take_fault()
        if fault and fault.get("delay_s"):
            time.sleep(fault["delay_s"])
        if fault and (fault.get("reset") or "status" in fault):
            with rx.lock:
                rx.stats["faulted"] += 1
            fdesc = {k: v for k, v in fault.items() if k != "count"}
            if fault.get("reset"):
                rx.record(self.entry(path, key, None, False, "fault: connection reset",
                                     fault=fdesc, body=None))
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            rx.record(self.entry(path, key, fault["status"], False,
                                 "fault: status %d" % fault["status"], fault=fdesc, body=None))
            return self.send_json(fault["status"], {"error": "injected fault"})
        extra = {"fault": {"delay_s": fault["delay_s"]}} if fault else {}

        try:
            secret_index, ts = self.verify(raw)
        except Reject as e:
            with rx.lock:
                rx.stats["rejected"] += 1
            rx.record(self.entry(path, key, e.status, False, e.reason, body=None, **extra))
            return self.send_json(e.status, {"error": e.reason})
        extra.update(secret_index=secret_index, timestamp=ts,
                     user_agent=self.headers.get("User-Agent"))

        try:
            body, fmt, alert_id, version = self.check_body(raw, key)
        except Reject as e:
            with rx.lock:
                rx.stats["rejected"] += 1
            rx.record(self.entry(path, key, e.status, True, e.reason, body=None,
                                 body_excerpt=raw[:200].decode("utf-8", "replace"), **extra))
            return self.send_json(e.status, {"error": e.reason})

        with rx.lock:
            duplicate = key in rx.accepted_keys
            out_of_order = False
            if duplicate:
                rx.stats["duplicates"] += 1
            else:
                rx.accepted_keys.add(key)
                rx.stats["accepted"] += 1
                rx.stats["formats"][fmt] = rx.stats["formats"].get(fmt, 0) + 1
                rx.stats["keys"].append(key)
                versions = rx.stats["alerts"].setdefault(alert_id, [])
                out_of_order = bool(versions) and version < max(versions)
                if out_of_order:
                    rx.stats["out_of_order"] += 1
                versions.append(version)
        e = self.entry(path, key, 200, True, None, body=body, format=fmt, alert_id=alert_id,
                       version=version, out_of_order=out_of_order, **extra)
        e["duplicate"] = duplicate
        rx.record(e)
        self.send_json(200, {"ok": True, "duplicate": duplicate})

    def verify(self, raw):
        """Signature and timestamp.  Returns (index of the matching secret, ts)."""
        rx = self.server.rx
        sig = self.headers.get_all("X-Idwatch-Signature") or []
        ts = self.headers.get_all("X-Idwatch-Timestamp") or []
        if not sig:
            raise Reject(401, "missing X-Idwatch-Signature")
        if len(sig) > 1:
            raise Reject(401, "more than one X-Idwatch-Signature")
        if not ts:
            raise Reject(400, "missing X-Idwatch-Timestamp")
        if len(ts) > 1 or not TS_RE.fullmatch(ts[0]):
            raise Reject(400, "X-Idwatch-Timestamp is not one integer of unix seconds")
        m = SIG_RE.fullmatch(sig[0])
        if not m:
            raise Reject(401, "X-Idwatch-Signature is not v1=<64 lowercase hex digits>")
        given = m.group(1).encode()
        signed = ts[0].encode() + b"." + raw
        with rx.lock:
            secrets = list(rx.secrets)
        match = None
        for i, s in enumerate(secrets):      # try every key; no early exit on a match
            if s is None:
                continue
            want = hmac.new(s, signed, hashlib.sha256).hexdigest().encode()
            if hmac.compare_digest(want, given) and match is None:
                match = i
        if match is None:
            raise Reject(401, "signature does not match any secret")
        skew = time.time() - int(ts[0])
        if abs(skew) > rx.a.tolerance:
            raise Reject(401, "timestamp outside tolerance (%+.0f s, tolerance %d s)"
                         % (skew, rx.a.tolerance))
        return match, int(ts[0])

    def check_body(self, raw, key):
        """The headers other than the signature, and the body.  Returns
        (parsed body, format, alert_id, version)."""
        ctype = self.headers.get_all("Content-Type") or []
        if ctype != ["application/json"]:
            raise Reject(400, "Content-Type must be application/json, got %r" % ctype)
        ua = self.headers.get("User-Agent")
        if ua is None or not UA_RE.fullmatch(ua):
            raise Reject(400, "User-Agent must be idwatch/<version>, got %r" % ua)
        keys = self.headers.get_all("Idempotency-Key") or []
        if len(keys) != 1:
            raise Reject(400, "expected exactly one Idempotency-Key header, got %d" % len(keys))
        km = KEY_RE.fullmatch(key)
        if not km:
            raise Reject(400, "Idempotency-Key is not <alert_id>:<version>: %r" % key)
        key_id, key_version = km.group(1), int(km.group(2))
        try:
            body = strict_json(raw)
        except ValueError as e:
            raise Reject(400, "malformed JSON: %s" % str(e)[:120])
        if not isinstance(body, dict):
            raise Reject(400, "the body is not one JSON object")
        if "class_uid" in body:
            if body["class_uid"] != 2004:
                raise Reject(400, "OCSF class_uid must be 2004 (Detection Finding), got %r"
                             % (body["class_uid"],))
            tu, act = body.get("type_uid"), body.get("activity_id")
            if tu is not None and (not isinstance(tu, int) or tu // 100 != 2004):
                raise Reject(400, "OCSF type_uid %r is not of class 2004" % (tu,))
            if tu is not None and act is not None and tu != 200400 + act:
                raise Reject(400, "OCSF type_uid %r is not 200400 + activity_id %r" % (tu, act))
            fi = body.get("finding_info")
            alert_id = fi.get("uid") if isinstance(fi, dict) else None
            if not isinstance(alert_id, str) or not alert_id:
                raise Reject(400, "OCSF finding_info.uid (the alert id) is missing")
            fmt, version = "ocsf", key_version
            # the native alert may ride along in unmapped.idwatch: it must agree
            um = body.get("unmapped")
            native = um.get("idwatch") if isinstance(um, dict) else None
            if isinstance(native, dict):
                if native.get("alert_id") != alert_id:
                    raise Reject(400, "OCSF unmapped.idwatch.alert_id %r is not finding_info.uid %r"
                                 % (native.get("alert_id"), alert_id))
                version = native.get("version")
                if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                    raise Reject(400, "OCSF unmapped.idwatch.version is not a positive integer")
        elif body.get("type") == "incident":
            # an incident version (docs/webhook.md): keyed <incident_id>:<version>
            alert_id, version = body.get("incident_id"), body.get("version")
            if not isinstance(alert_id, str) or not alert_id:
                raise Reject(400, "incident_id is missing or not a string")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise Reject(400, "incident version is missing or not a positive integer")
            if not isinstance(body.get("alert_ids"), list) or not body["alert_ids"]:
                raise Reject(400, "an incident without alert_ids")
            fmt = "incident"
        elif "alert_id" in body or "version" in body:
            alert_id, version = body.get("alert_id"), body.get("version")
            if not isinstance(alert_id, str) or not alert_id:
                raise Reject(400, "native alert_id is missing or not a string")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise Reject(400, "native version is missing or not a positive integer")
            fmt = "native"
        else:
            raise Reject(400, "the body is neither a native alert (alert_id, version) "
                              "nor an OCSF Detection Finding (class_uid 2004)")
        if alert_id != key_id or version != key_version:
            raise Reject(400, "Idempotency-Key %r does not match the body (%s:%d)"
                         % (key, alert_id, version))
        return body, fmt, alert_id, version


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that fails the TLS handshake or drops the connection: one line, no traceback
        print("soar_sim: connection error: %s" % (sys.exc_info()[1],), file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--secret-file", action="append", required=True,
                   help="a file whose first line is an HMAC key; repeat for rotation")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tolerance", type=int, default=300,
                   help="accepted |receiver clock - X-Idwatch-Timestamp|, seconds")
    a = p.parse_args()
    os.makedirs(a.state_dir, exist_ok=True)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.rx = Receiver(a)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(a.cert_dir, "server.pem"), os.path.join(a.cert_dir, "server.key"))
    # the handshake runs in the request's thread, so a stalled client blocks no one
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    stop = lambda *_: threading.Thread(target=srv.shutdown).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(os.path.join(a.state_dir, "port"), "w") as f:
        f.write(str(srv.server_address[1]))
    open(os.path.join(a.state_dir, "ready"), "w").close()
    srv.serve_forever()
    srv.server_close()
    srv.rx.log.close()


if __name__ == "__main__":
    main()
