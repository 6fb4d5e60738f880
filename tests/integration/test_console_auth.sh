# Console logins over raw HTTP against `idwatch console` on 127.0.0.1:
# login right and wrong, 429 after five failures for one name, the cookie's
# flags (Secure only under TLS), CSRF (missing or wrong token → 403, a
# foreign Origin → 403), roles (a viewer's review → 403, an analyst's →
# 200 recorded by the user's name), logout, a disabled user's or a new
# password's session ending at once, a trusted proxy's user header (and the
# same header from an untrusted peer ignored), and no password in the log
# or the database.
. "$ROOT/tests/integration/lib.sh"
SIM=$ROOT/tests/okta_sim
python3 - <<'PY' > scen.jsonl
from oktaev import *
FOREIGN = net("198.51.100.77", 64777)
out = [signin(person("erin"), BASE + d * D, net("86.40.1.1", 5466)) for d in range(12)]
A = BASE + 12 * D + 3 * H
out += [signin(person("erin"), A + i * M, FOREIGN, "FAILURE") for i in range(12)]
out.append(signin(person("erin"), A + 15 * M, FOREIGN))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
ALERT=$(idw alerts list --rule brute_force --json | jlines /dev/stdin 'rows[0]["alert_id"]')

PW_ANN="ann-analyst-secret-1"; PW_VIC="vic-viewer-secret-22"; PW_NEW="ann-second-secret-333"
printf '%s\n' "$PW_ANN" > ann.pw; chmod 600 ann.pw
idw user add ann --role analyst --password-file ann.pw
printf '%s\n' "$PW_VIC" | idw user add vic --role viewer
idw user add pat --role analyst --password-file ann.pw
printf '%s\n' "$PW_VIC" > loose.pw; chmod 644 loose.pw
expect_rc 1 idw user add lou --role viewer --password-file loose.pw
printf 'short\n' | { expect_rc 1 idw user add sam --role viewer; }
echo "ok: a group-readable password file and a short password are refused"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=""
trap 'set +e; for p in $PIDS; do kill $p 2>/dev/null; done' EXIT
# start_console NAME SERVE_JSON: idwatch console in the background, waits for its port
start_console() {
    printf '{"db": "%s", "serve": %s}\n' "$WORK/db" "$2" > "$1.json"
    "$IDWATCH" --config "$1.json" console > "$1.log" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 100); do
        grep -qs "console on" "$1.log" && return 0
        sleep 0.1
    done
    fail "$1: console did not start: $(cat "$1.log")"
}
PORT=$(free_port)
start_console plain "{\"listen\": \"127.0.0.1:$PORT\", \"proxy_user_header\": \"X-Forwarded-User\",
                      \"trusted_proxies\": [\"192.0.2.1\"]}"

cat > authclient.py <<'PY'
import http.client, json, os, ssl, subprocess, sys
def fail(msg):
    print("FAIL: " + msg, file=sys.stderr); sys.exit(1)
def ok(cond, msg):
    if not cond: fail(msg)
    print("ok: " + msg)
class Client:
    def __init__(self, port, tls_ca=None):
        self.port, self.ca, self.cookie = port, tls_ca, None
    def req(self, method, path, body=None, csrf=None, origin=None, headers=None, cookie=True):
        if self.ca:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ssl.create_default_context(cafile=self.ca))
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port)
        h = dict(headers or {})
        if body is not None: h["Content-Type"] = "application/json"
        if cookie and self.cookie: h["Cookie"] = "idw_session=" + self.cookie
        if csrf: h["X-CSRF-Token"] = csrf
        if origin: h["Origin"] = origin
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse(); data = r.read(); c.close()
        setc = r.getheader("Set-Cookie")
        if setc and setc.startswith("idw_session="):
            self.cookie = setc.split(";")[0].split("=", 1)[1] or None
        try: doc = json.loads(data) if data else None
        except ValueError: doc = data
        return r.status, r, doc
    def login(self, user, pw):
        return self.req("POST", "/api/v1/session", {"username": user, "password": pw})
def idw(*args):
    return subprocess.run([os.environ["IDWATCH"], "--db", os.environ["WORK"] + "/db", *args], check=True,
                          capture_output=True, text=True)
PY

PORT=$PORT ALERT=$ALERT PW_ANN=$PW_ANN PW_VIC=$PW_VIC PW_NEW=$PW_NEW python3 - <<'PY'
import os
import authclient as h
port, alert = int(os.environ["PORT"]), os.environ["ALERT"]
PA, PV, PN = os.environ["PW_ANN"], os.environ["PW_VIC"], os.environ["PW_NEW"]
REVIEW = "/api/v1/alerts/%s/review" % alert

anon = h.Client(port)
st, _, doc = anon.req("GET", "/api/v1/alerts")
h.ok(st == 401, "no credentials: 401 (got %d)" % st)
st, _, doc = anon.req("GET", "/api/v1/session")
h.ok(st == 401, "GET /api/v1/session without a session: 401")
st, _, doc = anon.req("POST", "/api/v1/session", {"username": "ann"})
h.ok(st == 400, "login without a password: 400")

# a wrong password, and a name that does not exist: the same 401
for user, pw in (("ann", "not-the-password"), ("nobody", PA)):
    st, r, doc = anon.login(user, pw)
    h.ok(st == 401 and doc == {"error": "invalid username or password"} and not r.getheader("Set-Cookie"),
         "bad login %s: 401 invalid username or password, no cookie" % user)

# a login posted from another site's page: 403, no cookie
st, r, doc = anon.req("POST", "/api/v1/session", {"username": "ann", "password": PA}, origin="http://evil.example")
h.ok(st == 403 and not r.getheader("Set-Cookie"), "a cross-origin login: 403 (%s)" % doc)

# the analyst logs in: cookie flags, body
ann = h.Client(port)
st, r, doc = ann.login("ann", PA)
h.ok(st == 200 and doc["user"] == "ann" and doc["role"] == "analyst" and len(doc["csrf_token"]) == 64,
     "ann logs in: 200 {user, role, csrf_token}: %s" % doc)
flags = [f.strip() for f in r.getheader("Set-Cookie").split(";")]
h.ok("HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags and "Secure" not in flags,
     "cookie flags over plain HTTP: %s" % flags)
csrf = doc["csrf_token"]
st, _, doc = ann.req("GET", "/api/v1/session")
h.ok(st == 200 and doc["csrf_token"] == csrf and doc["user"] == "ann", "GET /api/v1/session: the same token")
st, _, doc = ann.req("GET", "/api/v1/alerts")
h.ok(st == 200 and doc["total"] >= 1, "ann reads the alerts with the cookie")

# CSRF: none, wrong, foreign Origin → 403; right → 200 recorded by ann
st, _, doc = ann.req("POST", REVIEW, {"status": "acknowledged"})
h.ok(st == 403, "review without X-CSRF-Token: 403 (%s)" % doc)
st, _, doc = ann.req("POST", REVIEW, {"status": "acknowledged"}, csrf="0" * 64)
h.ok(st == 403, "review with a wrong X-CSRF-Token: 403 (%s)" % doc)
st, _, doc = ann.req("POST", REVIEW, {"status": "acknowledged"}, csrf=csrf, origin="http://evil.example")
h.ok(st == 403, "review from a foreign Origin: 403 (%s)" % doc)
st, _, doc = ann.req("POST", REVIEW, {"status": "acknowledged"}, csrf=csrf, origin="http://127.0.0.1:%d" % port)
h.ok(st == 200 and doc["status"] == "acknowledged" and doc["history"][-1]["by"] == "ann",
     "ann's review with the token and her own Origin: 200, by = ann (%s)" % doc.get("history"))

# the viewer may read, not review
vic = h.Client(port)
st, _, doc = vic.login("vic", PV)
h.ok(st == 200 and doc["role"] == "viewer", "vic logs in")
st, _, doc = vic.req("POST", REVIEW, {"note": "looking"}, csrf=doc["csrf_token"])
h.ok(st == 403, "vic's review: 403 (%s)" % doc)

# five failures for one name: the sixth try (even with the right password) gets 429
pat = h.Client(port)
for i in range(5):
    st, _, _ = pat.login("pat", "wrong-password-%d" % i)
    h.ok(st == 401, "pat's bad login %d: 401" % (i + 1))
st, r, doc = pat.login("pat", PA)
h.ok(st == 429 and int(r.getheader("Retry-After")) > 0 and not pat.cookie,
     "pat's sixth login: 429 with Retry-After %s" % r.getheader("Retry-After"))
st, _, doc = h.Client(port).login("ann", PA)
h.ok(st == 200, "another user from the same address still logs in")

# logout: 204, the cookie cleared, and the old cookie gets 401
old = ann.cookie
st, r, _ = ann.req("DELETE", "/api/v1/session")
h.ok(st == 403, "logout without the CSRF token: 403")
st, r, _ = ann.req("DELETE", "/api/v1/session", csrf=csrf)
h.ok(st == 204 and "Max-Age=0" in r.getheader("Set-Cookie"), "logout: 204, the cookie cleared")
ann.cookie = old
st, _, _ = ann.req("GET", "/api/v1/alerts")
h.ok(st == 401, "the logged-out cookie: 401")

# disabling a user ends her session at the next request; a new password ends sessions too
st, _, doc = vic.req("GET", "/api/v1/alerts")
h.ok(st == 200, "vic's session works before disable")
h.idw("user", "disable", "vic")
st, _, doc = vic.req("GET", "/api/v1/alerts")
h.ok(st == 401, "vic disabled: her session gets 401 (%s)" % doc)
h.idw("user", "enable", "vic")
st, _, doc = vic.req("GET", "/api/v1/alerts")
h.ok(st == 401, "vic enabled again: the old session stays dead")
st, _, _ = vic.login("vic", PV)
h.ok(st == 200, "vic enabled: logs in again")
h.idw("user", "disable", "vic")
st, _, _ = h.Client(port).login("vic", PV)
h.ok(st == 401, "a disabled user's login: 401")
ann2 = h.Client(port)
st, _, _ = ann2.login("ann", PA)
open("newpw", "w").write(PN + "\n"); os.chmod("newpw", 0o600)
h.idw("user", "passwd", "ann", "--password-file", "newpw")
st, _, _ = ann2.req("GET", "/api/v1/alerts")
h.ok(st == 401, "a new password ends ann's session")
st, _, _ = ann2.login("ann", PA)
h.ok(st == 401, "the old password no longer works")
st, _, _ = ann2.login("ann", PN)
h.ok(st == 200, "the new password works")
h.idw("user", "remove", "ann")
st, _, _ = ann2.req("GET", "/api/v1/alerts")
h.ok(st == 401, "a removed user's session: 401")

# the proxy header from 127.0.0.1 (not in trusted_proxies) is ignored
st, _, _ = h.Client(port).req("GET", "/api/v1/alerts", headers={"X-Forwarded-User": "pat"})
h.ok(st == 401, "X-Forwarded-User from an untrusted peer: ignored (401)")
PY

# the trusted proxy: 127.0.0.1 trusted, the header names an existing user
PORT2=$(free_port)
start_console proxy "{\"listen\": \"127.0.0.1:$PORT2\", \"proxy_user_header\": \"X-Forwarded-User\",
                      \"trusted_proxies\": [\"127.0.0.1\"]}"
PORT=$PORT2 ALERT=$ALERT python3 - <<'PY'
import os
import authclient as h
port, alert = int(os.environ["PORT"]), os.environ["ALERT"]
px = h.Client(port)
H = {"X-Forwarded-User": "pat"}
st, _, doc = px.req("GET", "/api/v1/alerts", headers={"X-Forwarded-User": "mallory"})
h.ok(st == 401, "the proxy names a user who does not exist: 401")
st, _, doc = px.req("GET", "/api/v1/alerts", headers=H)
h.ok(st == 200, "the proxy's user reads the alerts")
st, _, doc = px.req("POST", "/api/v1/alerts/%s/review" % alert, {"note": "via proxy"}, headers=H)
h.ok(st == 403, "the proxy's user without the CSRF token: 403")
st, _, doc = px.req("GET", "/api/v1/session", headers=H)
h.ok(st == 200 and doc["kind"] == "proxy" and doc["user"] == "pat" and px.cookie, "GET /api/v1/session for the proxy user: a CSRF token and its cookie")
st, _, doc = px.req("POST", "/api/v1/alerts/%s/review" % alert, {"note": "via proxy"}, headers=H, csrf=doc["csrf_token"])
h.ok(st == 200 and doc["history"][-1]["by"] == "pat", "the proxy's user reviews with the token: by = pat")
st, _, doc = px.req("GET", "/api/v1/alerts")
h.ok(st == 401, "the proxy's session cookie alone (no header) logs nobody in")
PY

# TLS: the cookie carries Secure
sh "$SIM/mkcerts.sh" "$WORK/certs" > /dev/null
chmod 600 "$WORK/certs/server.key"
PORT3=$(free_port)
start_console tls "{\"listen\": \"127.0.0.1:$PORT3\", \"tls_cert\": \"$WORK/certs/server.pem\",
                    \"tls_key\": \"$WORK/certs/server.key\"}"
PORT=$PORT3 PW_NEW=$PW_NEW python3 - <<'PY'
import os
import authclient as h
c = h.Client(int(os.environ["PORT"]), tls_ca=os.environ["WORK"] + "/certs/ca.pem")
st, r, doc = c.login("pat", open("ann.pw").read().strip())
flags = [f.strip() for f in r.getheader("Set-Cookie").split(";")]
h.ok(st == 200 and "Secure" in flags and "HttpOnly" in flags and "SameSite=Strict" in flags,
     "under TLS the cookie is Secure: %s" % flags)
PY

# no password in the logs or the database
for pw in "$PW_ANN" "$PW_VIC" "$PW_NEW"; do
    if grep -rqF -- "$pw" plain.log proxy.log tls.log "$WORK/db"; then fail "a password is in a log or the database"; fi
done
grep -q 'failed console login for ann' plain.log || fail "failed logins are logged: $(cat plain.log)"
grep -q 'failed console login for nobody' plain.log || fail "an unknown name's failure is logged"
echo "ok: failed logins logged, no password in the logs or the database"

# a clean stop (SIGTERM); under `make sanitize` a leak or error report would land in the logs
for p in $PIDS; do kill "$p"; wait "$p" || fail "console $p exited with $?"; done
PIDS=""
if grep -l 'Sanitizer\|runtime error' plain.log proxy.log tls.log; then fail "sanitizer report in a console log"; fi
echo "ok: the consoles stopped cleanly"
