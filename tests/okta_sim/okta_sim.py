#!/usr/bin/python3
"""okta_sim.py — a strict simulated Okta org for idwatch's integration tests.

Serves, over HTTPS on 127.0.0.1 with a certificate from mkcerts.sh:

  POST /oauth2/v1/token   client credentials with a private_key_jwt assertion
                          (RS256/ES256, signature, kid, the registered key's alg,
                          iss/sub, exact aud, exp, iat, single-use jti), scope,
                          and DPoP (proof checks, use_dpop_nonce challenge,
                          token binding)
  GET  /api/v1/logs       SSWS / Bearer / DPoP auth; since/after/limit polling
                          with Link self+next on every page; rate-limit headers
                          (two buckets) and 429 E0000047; Okta error bodies
  /__control/...          test controls: release/inject events, faults, stats

Events are "persisted" (visible) only once released; release order is the
persistence order that polling follows.  Tests start this with
/usr/bin/python3 (it needs python3-cryptography) and talk to it with curl.
See README.md for the CLI and the control API.
"""
import argparse, base64, calendar, hashlib, json, os, secrets, signal, ssl, sys, threading, time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class JwtError(Exception):
    pass


def verify_jws(token, key):
    """Checks a compact JWS with key (RSA or EC P-256); returns (header, claims)."""
    try:
        h64, c64, s64 = token.split(".")
        header, claims, sig = json.loads(b64d(h64)), json.loads(b64d(c64)), b64d(s64)
    except Exception:
        raise JwtError("unparsable JWT")
    signed = (h64 + "." + c64).encode()
    alg = header.get("alg")
    try:
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(sig) != 64:
                raise JwtError("ES256 signature must be 64 bytes R||S")
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        else:
            raise JwtError("alg %r does not match the key" % alg)
    except InvalidSignature:
        raise JwtError("signature is invalid")
    return header, claims


def jwk_public_key(jwk):
    if any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi")):
        raise JwtError("jwk contains private members")
    if jwk.get("kty") == "RSA":
        n, e = int.from_bytes(b64d(jwk["n"]), "big"), int.from_bytes(b64d(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x, y = int.from_bytes(b64d(jwk["x"]), "big"), int.from_bytes(b64d(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raise JwtError("unsupported jwk")


def jwk_thumbprint(jwk):
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    canon = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return b64e(hashlib.sha256(canon.encode()).digest())


class OktaError(Exception):
    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def api_error(status, code, summary):
    return OktaError(status, {"errorCode": code, "errorSummary": summary, "errorLink": code,
                              "errorId": "oae" + secrets.token_hex(8), "errorCauses": []})


def oauth_error(status, error, desc, headers=None):
    return OktaError(status, {"error": error, "error_description": desc}, headers)


class Org:
    """All state of the simulated org, behind one lock."""

    def __init__(self, args):
        self.a = args
        self.lock = threading.Lock()
        self.pending = []           # loaded, not yet released
        self.log = []               # released: (persist_ms, event)
        self.last_persist = 0
        self.tokens = {}            # access token -> {exp, scope, jkt}
        self.jtis, self.proof_jtis = set(), set()
        self.nonce = secrets.token_urlsafe(16)
        self.buckets = [[args.rate_limit, args.rate_window_s, 0, 0.0], [args.hour_limit, 3600, 0, 0.0]]
        self.faults = []            # [type, remaining, params]
        self.compete_until, self.compete_reset_in = 0.0, 1   # "compete": a client draining the bucket
        self.prev_page = []
        self.inflight = 0
        self.stats = {"released": 0, "served": {}, "first_served_at": {}, "log_requests": 0, "token_requests": 0,
                      "status_counts": {}, "log_status_counts": {}, "max_concurrency": 0, "jti_reuse_attempts": 0,
                      "dpop_nonce_challenges": 0, "auth_errors": [], "competed_429": 0,
                      "log_hosts": {}, "other_requests": [],
                      "assertions_accepted": {},     # "alg kid" -> count ("-" for no kid)
                      "faults_served": {}}           # fault type -> how many requests got it
        self.client_keys = self.load_client_keys()
        self.ssws = open(args.ssws_token_file).read().strip() if args.ssws_token_file else None
        if args.events:
            with open(args.events) as f:
                self.pending = [json.loads(l) for l in f if l.strip()]
        self.release(len(self.pending) if args.release == "all" else int(args.release))

    def load_client_keys(self):
        """kid -> (public key, alg or None): a PEM under --client-kid, and/or the app's JWKS."""
        keys = {}
        if self.a.client_pubkey:
            with open(self.a.client_pubkey, "rb") as f:
                keys[self.a.client_kid] = (serialization.load_pem_public_key(f.read()), None)
        if self.a.client_jwks:
            with open(self.a.client_jwks) as f:
                for jwk in json.load(f)["keys"]:
                    # like Okta's app key registration: public keys for signing, unique kids
                    if jwk.get("use", "sig") != "sig" or not jwk.get("kid") or jwk["kid"] in keys:
                        raise SystemExit("client JWKS: every key needs a unique kid and use sig")
                    keys[jwk["kid"]] = (jwk_public_key(jwk), jwk.get("alg"))
        return keys

    def release(self, n):
        for ev in self.pending[:n]:
            self.persist(ev)
        self.pending = self.pending[n:]

    def persist(self, ev):
        t = max(int(time.time() * 1000), self.last_persist + 1)
        self.last_persist = t
        self.log.append((t, ev))
        self.stats["released"] += 1

    def take_fault(self):
        with self.lock:
            for f in self.faults:
                if f[1] > 0:
                    f[1] -= 1
                    if f[0] != "ok":    # every fault served, whatever its answer (a truncated 200, a reset)
                        served = self.stats["faults_served"]
                        served[f[0]] = served.get(f[0], 0) + 1
                    return f[0], f[2]
        return None, None

    # ---- rate limits -----------------------------------------------------
    def rate_headers_and_check(self):
        now = time.time()
        over = False
        hdrs = []
        for b in self.buckets:
            limit, window, used, start = b
            if now >= start + window:
                b[2], b[3] = 0, now
            b[2] += 1
            if b[2] > limit:
                over = True
            hdrs.append((limit, max(0, limit - b[2]), int(b[3] + window)))
        return hdrs, over


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "okta-sim"

    def log_message(self, fmt, *args):
        with open(os.path.join(self.server.org.a.state_dir, "access.log"), "a") as f:
            # path only: no Authorization, DPoP or bodies are ever written
            f.write("%s %s\n" % (self.command, (fmt % args)[:300]))

    # ---- plumbing ---------------------------------------------------------
    def base(self):
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def send_json(self, status, obj, headers=(), raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("X-Okta-Request-Id", "sim" + secrets.token_hex(6))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        org = self.server.org
        with org.lock:
            sc = org.stats["status_counts"]
            sc[str(status)] = sc.get(str(status), 0) + 1
            if urllib.parse.urlsplit(self.path).path == "/api/v1/logs":
                lc = org.stats["log_status_counts"]
                lc[str(status)] = lc.get(str(status), 0) + 1

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def fail(self, e, extra=()):
        org = self.server.org
        if e.status in (400, 401, 403):
            with org.lock:
                org.stats["auth_errors"].append(json.dumps(e.body)[:200] if e.body else str(e.headers))
        headers = list(e.headers.items()) + list(extra)
        self.send_json(e.status, e.body, headers, raw=b"" if e.body is None else None)

    # ---- routing --------------------------------------------------------------
    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/__control/"):
            return self.control(path[11:], json.loads(self.body() or b"{}"))
        if path != "/oauth2/v1/token":
            return self.fail(api_error(404, "E0000007", "Not found: Resource not found"))
        try:
            self.token()
        except OktaError as e:
            self.fail(e)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__control/stats":
            with self.server.org.lock:      # a snapshot: send_json takes the lock itself
                snapshot = json.loads(json.dumps(self.server.org.stats))
                # queued faults not yet served, so a test can wait for a volley to be consumed
                snapshot["faults_pending"] = sum(f[1] for f in self.server.org.faults if f[1] > 0)
                snapshot["competing"] = time.time() < self.server.org.compete_until
            return self.send_json(200, snapshot)
        org = self.server.org
        if path != "/api/v1/logs":
            with org.lock:      # anything else asked of the API: path as sent, and whether credentials came
                org.stats["other_requests"].append({"path": self.path[:200], "host": self.headers.get("Host"),
                                                    "authorization": bool(self.headers.get("Authorization"))})
            return self.fail(api_error(404, "E0000007", "Not found: Resource not found"))
        with org.lock:
            h = self.headers.get("Host", "")
            org.stats["log_hosts"][h] = org.stats["log_hosts"].get(h, 0) + 1
            org.inflight += 1
            org.stats["log_requests"] += 1
            org.stats["max_concurrency"] = max(org.stats["max_concurrency"], org.inflight)
        try:
            self.logs()
        finally:
            with org.lock:
                org.inflight -= 1

    # ---- control --------------------------------------------------------------
    def control(self, what, req):
        org = self.server.org
        with org.lock:
            if what == "release":
                org.release(len(org.pending) if req.get("all") else int(req.get("count", 0)))
            elif what == "inject":
                for ev in req.get("events", []):
                    org.persist(ev) if req.get("release", True) else org.pending.append(ev)
            elif what == "fault" and req["type"] == "compete":
                org.compete_until = time.time() + float(req.get("seconds", 10))
                org.compete_reset_in = int(req.get("reset_in", 1))
            elif what == "fault":
                org.faults.append([req["type"], int(req.get("count", 1)), req])
            elif what == "clear-faults":
                org.faults = []
            elif what == "rotate-nonce":
                org.nonce = secrets.token_urlsafe(16)
            elif what == "revoke-tokens":
                org.tokens.clear()
            else:
                return self.send_json(404, {"error": "unknown control " + what})
        self.send_json(200, {"ok": True})

    # ---- OAuth token endpoint ---------------------------------------------------
    def token(self):
        org = self.server.org
        with org.lock:
            org.stats["token_requests"] += 1
        if urllib.parse.urlsplit(self.path).query:
            raise oauth_error(400, "invalid_request", "Credentials must not be in the query string.")
        form = urllib.parse.parse_qs(self.body().decode(errors="replace"))
        form = {k: v[0] for k, v in form.items()}
        if self.headers.get("Authorization"):
            raise oauth_error(400, "invalid_request", "Cannot supply multiple client credentials.")
        if form.get("grant_type") != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise oauth_error(400, "invalid_request", "client_assertion_type is invalid")
        token_url = self.base() + "/oauth2/v1/token"
        self.check_assertion(form.get("client_assertion", ""), token_url)
        jkt = self.check_dpop("POST", token_url, None, token_request=True)
        if form.get("scope") != org.a.scope_granted:
            raise oauth_error(400, "invalid_scope", "The following scopes are not allowed: %s" % form.get("scope"))
        at = secrets.token_urlsafe(32)
        with org.lock:
            org.tokens[at] = {"exp": time.time() + org.a.token_ttl, "scope": form["scope"], "jkt": jkt}
        self.send_json(200, {"token_type": "DPoP" if jkt else "Bearer", "expires_in": org.a.token_ttl,
                             "access_token": at, "scope": form["scope"]})

    def check_assertion(self, jwt, aud):
        org = self.server.org
        try:
            header = json.loads(b64d(jwt.split(".")[0]))
        except Exception:
            raise oauth_error(401, "invalid_client", "The client_assertion token is malformed.")
        kid = header.get("kid", org.a.client_kid)
        key, alg = org.client_keys.get(kid, (None, None))
        if key is None:
            raise oauth_error(401, "invalid_client", "client_assertion_invalid_kid")
        if alg and header.get("alg") != alg:
            raise oauth_error(401, "invalid_client", "The client_assertion alg %r is not the key's %r" % (header.get("alg"), alg))
        try:
            _, c = verify_jws(jwt, key)
        except JwtError as e:
            raise oauth_error(401, "invalid_client", "The client_assertion signature is invalid: %s" % e)
        now = time.time()
        jti = c.get("jti")
        with org.lock:
            reused = jti in org.jtis
            if jti:
                org.jtis.add(jti)
            if reused:
                org.stats["jti_reuse_attempts"] += 1
        if reused:
            raise oauth_error(401, "invalid_client", "client_assertion_already_used")
        if c.get("iss") != org.a.client_id or c.get("sub") != org.a.client_id:
            raise oauth_error(401, "invalid_client", "The client_assertion iss/sub is not a client_id")
        if c.get("aud") != aud:
            raise oauth_error(401, "invalid_client", "client_assertion_invalid_audience")
        if "exp" not in c or c["exp"] <= now:
            raise oauth_error(401, "invalid_client", "The client_assertion token is expired.")
        if c["exp"] > now + 3600:
            raise oauth_error(401, "invalid_client", "client_assertion_expires_too_far_in_future")
        if c.get("iat", 0) > now + 5:
            raise oauth_error(401, "invalid_client", "client_assertion_issued_at_in_future")
        with org.lock:
            used = "%s %s" % (header.get("alg"), header.get("kid", "-"))
            org.stats["assertions_accepted"][used] = org.stats["assertions_accepted"].get(used, 0) + 1

    def check_dpop(self, htm, htu, token, token_request=False):
        """Returns the proof key's thumbprint, or None when no proof was sent."""
        org = self.server.org
        proof = self.headers.get_all("DPoP") or []
        if not proof:
            if token_request and org.a.require_dpop:
                raise oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
            return None
        if len(proof) > 1:
            raise oauth_error(400, "invalid_dpop_proof", "Multiple DPoP headers")
        try:
            h = json.loads(b64d(proof[0].split(".")[0]))
            if h.get("typ") != "dpop+jwt":
                raise JwtError("typ must be dpop+jwt")
            jwk = h["jwk"]
            _, c = verify_jws(proof[0], jwk_public_key(jwk))
        except (JwtError, KeyError, ValueError) as e:
            raise oauth_error(400, "invalid_dpop_proof", "The DPoP proof is invalid: %s" % e)
        now = time.time()
        if c.get("htm") != htm:
            raise oauth_error(400, "invalid_dpop_proof", "'htm' claim in the DPoP proof JWT is invalid.")
        if c.get("htu") != htu:
            raise oauth_error(400, "invalid_dpop_proof", "'htu' claim in the DPoP proof JWT is invalid.")
        if not (now - 300 <= c.get("iat", 0) <= now + 5):
            raise oauth_error(400, "invalid_dpop_proof", "'iat' claim in the DPoP proof JWT is invalid.")
        with org.lock:
            if c.get("jti") in org.proof_jtis or not c.get("jti"):
                raise oauth_error(400, "invalid_dpop_proof", "dpop_proof_already_used")
            org.proof_jtis.add(c["jti"])
        if token_request and c.get("nonce") != org.nonce:
            with org.lock:
                org.stats["dpop_nonce_challenges"] += 1
            raise oauth_error(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.",
                              {"DPoP-Nonce": org.nonce})
        if token is not None and c.get("ath") != b64e(hashlib.sha256(token.encode()).digest()):
            raise oauth_error(400, "invalid_dpop_proof", "'ath' claim in the DPoP proof JWT is invalid.")
        return jwk_thumbprint(jwk)

    # ---- the System Log -----------------------------------------------------------
    def authenticate(self):
        org = self.server.org
        auth = self.headers.get("Authorization", "")
        scheme, _, cred = auth.partition(" ")
        if scheme == "SSWS":
            if org.ssws is None or cred != org.ssws:
                raise api_error(401, "E0000011", "Invalid token provided")
            return
        with org.lock:
            tok = org.tokens.get(cred)
        if scheme not in ("Bearer", "DPoP") or not tok or tok["exp"] < time.time():
            e = api_error(401, "E0000011", "Invalid token provided")
            e.headers = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The access token is invalid."'}
            raise e
        if tok["jkt"]:
            if scheme != "DPoP":
                raise oauth_error(400, "invalid_request", "The resource request must use the DPoP authentication scheme when using a DPoP bound token.")
            if not self.headers.get("DPoP"):
                raise oauth_error(400, "invalid_request", "The resource request requires a DPoP proof.")
            jkt = self.check_dpop("GET", self.base() + "/api/v1/logs", cred)
            if jkt != tok["jkt"]:
                raise oauth_error(401, "invalid_dpop_proof", "invalid_access_token_dpop_binding")
        if "okta.logs.read" not in tok["scope"].split():
            raise OktaError(403, None, {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="okta.logs.read"'})
        if org.a.no_role:
            raise api_error(403, "E0000006", "You do not have permission to perform the requested action")

    def page_bounds(self, q):
        org = self.server.org
        for bad in ("until",):
            if bad in q:
                raise api_error(400, "E0000001", "Api validation failed: this simulator serves polling requests only")
        if "since" in q and "after" in q:
            raise api_error(400, "E0000001", "Api validation failed: since and after are exclusive")
        if q.get("sortOrder", "ASCENDING") != "ASCENDING":
            raise api_error(400, "E0000001", "Api validation failed: sortOrder")
        try:
            limit = int(q.get("limit", "100"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 1000:
            raise api_error(400, "E0000001", "Api validation failed: limit")
        with org.lock:
            if "after" in q:
                try:
                    ms, n = q["after"].split("_")
                    pos = int(n)
                    if pos > len(org.log) or pos < 0 or (pos and org.log[pos - 1][0] != int(ms)):
                        raise ValueError
                except ValueError:
                    raise api_error(400, "E0000054", "Invalid pagination properties")
            else:
                since = q.get("since", "")
                try:
                    t = calendar.timegm(time.strptime(since[:19], "%Y-%m-%dT%H:%M:%S"))
                except ValueError:
                    raise api_error(400, "E0000001", "Api validation failed: since")
                if t < time.time() - 180 * 86400:
                    raise api_error(400, "E0000053", "since parameter is over 180 days prior to the current day")
                pos = 0
                while pos < len(org.log) and org.log[pos][0] < t * 1000:
                    pos += 1
            page = org.log[pos:pos + limit]
            end = pos + len(page)
            cursor = "%d_%d" % (org.log[end - 1][0] if end else 0, end)
        return [e for _, e in page], cursor, limit

    def recorded(self, q):
        """--recorded: the fixture's exact headers and body, then empty pages."""
        d = self.server.org.a.recorded
        now = int(time.time())
        subst = {"{HOST}": "127.0.0.1:%d" % self.server.server_address[1],
                 "{DATE}": formatdate(usegmt=True), "{RESET}": str(now + 40), "{RESET_LATE}": str(now + 50)}
        with open(os.path.join(d, "headers.txt")) as f:
            lines = f.read().splitlines()
        body = b"[]" if "after" in q else open(os.path.join(d, "body.json"), "rb").read()
        self.send_response_only(200)
        for line in lines[1:]:
            for k, v in subst.items():
                line = line.replace(k, v)
            name, _, value = line.partition(": ")
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with self.server.org.lock:
            for e in json.loads(body):
                self.server.org.stats["served"][e["uuid"]] = 1

    def logs(self):
        org = self.server.org
        if org.a.recorded:
            try:
                self.authenticate()
            except OktaError as e:
                return self.fail(e)
            return self.recorded(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))
        with org.lock:
            competing = time.time() < org.compete_until
            if competing:
                org.stats["competed_429"] += 1
        if competing:       # another client holds the bucket at zero: every request is refused
            reset = str(int(time.time()) + org.compete_reset_in)
            return self.fail(api_error(429, "E0000047", "API call exceeded rate limit due to too many requests."),
                             [("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Remaining", "0"),
                              ("X-Rate-Limit-Reset", reset)])
        kind, params = org.take_fault()
        if kind == "retry_after":
            return self.fail(api_error(429, "E0000047", "API call exceeded rate limit due to too many requests."),
                             [("Retry-After", str(params.get("value", "999999999")))])
        if kind == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if kind == "stall":
            time.sleep(float(params.get("seconds", 10)))
        if kind == "status":
            st = int(params.get("status", 500))
            if st == 429:
                reset = str(int(time.time()) + int(params.get("reset_in", 2)))
                return self.fail(api_error(429, "E0000047", "API call exceeded rate limit due to too many requests."),
                                 [("X-Rate-Limit-Limit", "60"), ("X-Rate-Limit-Remaining", "0"),
                                  ("X-Rate-Limit-Reset", reset)])
            return self.fail(api_error(st, "E0000009" if st == 500 else "E0000010", "Internal Server Error"))
        if kind == "401":
            return self.fail(api_error(401, "E0000011", "Invalid token provided"))
        rate, over = org.rate_headers_and_check()
        extra = []
        for k, i in (("X-Rate-Limit-Limit", 0), ("X-Rate-Limit-Remaining", 1), ("X-Rate-Limit-Reset", 2)):
            for r in rate:
                extra.append((k, str(r[i])))
        if over:
            return self.fail(api_error(429, "E0000047", "API call exceeded rate limit due to too many requests."), extra)
        try:
            self.authenticate()
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            events, cursor, limit = self.page_bounds(q)
        except OktaError as e:
            return self.fail(e, extra)
        if kind == "duplicate":
            events = org.prev_page + events
        org.prev_page = events[-3:]
        base = self.base() + "/api/v1/logs"
        self_url = "%s?%s" % (base, urllib.parse.urlsplit(self.path).query)
        next_url = "%s?after=%s&limit=%d&sortOrder=ASCENDING" % (base, cursor, limit)
        if kind == "next_link":     # a hostile or broken next link: {BASE}, {PORT}, {QUERY} filled in
            q = "after=%s&limit=%d&sortOrder=ASCENDING" % (cursor, limit)
            next_url = params["next"].replace("{BASE}", self.base()).replace(
                "{PORT}", str(self.server.server_address[1])).replace("{QUERY}", q)
        if kind == "stuck":         # the next link repeats the request: a cursor that never advances
            next_url = self_url
        extra.append(("link", '<%s>; rel="self"' % self_url))
        if kind == "big_link":      # one oversized Link header line
            pad = "x" * int(params.get("bytes", 200000))
            extra.append(("link", '<%s?pad=%s>; rel="prev"' % (base, pad)))
        extra.append(("link", '<%s>; rel="next"' % next_url))
        with org.lock:
            now = time.time()
            for e in events:
                u = e.get("uuid")
                org.stats["served"][u] = org.stats["served"].get(u, 0) + 1
                org.stats["first_served_at"].setdefault(u, now)     # for delivery latency
        body = json.dumps(events).encode()
        if kind == "malformed":
            body = b'[{"uuid": "x", "published": '
            return self.send_json(200, None, extra, raw=body)
        if kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.send_json(200, None, extra, raw=body)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--events")
    p.add_argument("--release", default="all")
    p.add_argument("--client-id", default="0oaTESTCLIENT")
    p.add_argument("--client-pubkey")
    p.add_argument("--client-kid", default="k1")
    p.add_argument("--client-jwks", help="the app's registered public keys: a JWKS file, kids unique")
    p.add_argument("--require-dpop", action="store_true")
    p.add_argument("--ssws-token-file")
    p.add_argument("--rate-limit", type=int, default=600)
    p.add_argument("--rate-window-s", type=int, default=60)
    p.add_argument("--hour-limit", type=int, default=1000)      # the second bucket: requests per hour
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--no-role", action="store_true")
    p.add_argument("--scope-granted", default="okta.logs.read")
    p.add_argument("--recorded", help="serve tests/okta_sim/recorded-style headers.txt + body.json")
    a = p.parse_args()
    os.makedirs(a.state_dir, exist_ok=True)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.org = Org(a)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(a.cert_dir, "server.pem"), os.path.join(a.cert_dir, "server.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    with open(os.path.join(a.state_dir, "port"), "w") as f:
        f.write(str(srv.server_address[1]))
    open(os.path.join(a.state_dir, "ready"), "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
