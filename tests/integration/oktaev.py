"""Builders of Okta System Log LogEvent objects for the integration tests.

Every integration test that hand-builds events imports this module instead of
carrying its own ``ev()``: lib.sh puts tests/integration on PYTHONPATH, so a
test's heredoc says ``from oktaev import *``.  Python 3 standard library only.

The events have the shape GET /api/v1/logs returns (docs/okta-connector.md;
every top-level member present, null where Okta writes null):

    e = event("user.session.start", BASE + 3 * D, person("erin"), OFFICE.at(12))
    dump_jsonl([e, ...])

What a test leaves out stays empty: no ``net`` means no client IP or
geography, no ``dt`` means no dtHash (no device for the persona), no
``user_agent`` means a null userAgent.  Only what a test gives drives the
detections.  Nothing here is random.  Each event's uuid is derived from its
content and a per-process counter, so a scenario comes out byte-identical on
every run, and two identical events still get distinct uuids.
"""
import dataclasses
import datetime
import hashlib
import json
import sys
import uuid as uuidlib

# What `from oktaev import *` gives a heredoc: the builders, and the datetime
# and json modules most scenarios need anyway.
__all__ = ["datetime", "json", "UTC", "BASE", "S", "M", "H", "D", "DOMAIN", "stamp", "now",
           "person", "unknown_user", "ip_actor", "system_actor", "client_app", "app", "group", "role", "token",
           "session_target", "Net", "net", "user_agent", "CHROME_WIN", "event", "signin", "sso", "mfa_verify",
           "push_sent", "push_denied", "factor_reset_all", "factor_enroll", "role_grant", "group_membership",
           "threat_detected", "risk_event", "by_published", "dump_jsonl", "dump_array", "dump_inject"]

UTC = datetime.timezone.utc
BASE = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=UTC)   # a Monday, 08:00 UTC
S = datetime.timedelta(seconds=1)
M = datetime.timedelta(minutes=1)
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
DOMAIN = "acme.example"

_counter = 0                                   # events built so far (uuid, requestId, transaction id)
_UUID_NS = uuidlib.UUID("6f6b7461-6576-4f00-8000-696477617463")


def stamp(t):
    """RFC 3339 UTC with milliseconds, as Okta writes ``published``.

    t: epoch seconds (int or float), or a datetime (naive means UTC).
    Sub-millisecond digits are truncated, never rounded up."""
    if isinstance(t, datetime.datetime):
        t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
        ms = t.microsecond // 1000
    else:
        whole = int(t // 1)
        ms = int((t - whole) * 1000)
        t = datetime.datetime.fromtimestamp(whole, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % ms


def now():
    """The current time as an aware datetime (for events a live daemon must see as new)."""
    return datetime.datetime.now(UTC)


def _derived_id(prefix, text):
    """An Okta-looking id (prefix + 17 characters) that depends only on text."""
    digest = hashlib.sha256(text.lower().encode()).hexdigest()
    return prefix + digest[:17]


# --- actors and targets -------------------------------------------------

def person(login, uid=None, display_name=None):
    """A User actor or target.  login: "erin" (gets @acme.example) or a full
    login.  uid: the Okta user id, by default derived from the login (stable:
    the same login is the same user in every test)."""
    if "@" not in login:
        login = login + "@" + DOMAIN
    local = login.split("@")[0]
    return {"id": uid or _derived_id("00u", login), "type": "User", "alternateId": login,
            "displayName": local.title() if display_name is None else display_name, "detailEntry": None}


def unknown_user(username):
    """The actor of a sign-in to a username Okta does not know."""
    return {"id": "unknown", "type": "User", "alternateId": username, "displayName": "unknown",
            "detailEntry": None}


def ip_actor(ip):
    """The actor of a ThreatInsight or blocklist event: the source IP itself."""
    return {"id": ip, "type": "IP address", "alternateId": "unknown", "displayName": ip, "detailEntry": None}


def system_actor():
    """Okta itself (risk engine, breached-credential detection)."""
    return {"id": "0oaSYSTEM", "type": "SystemPrincipal", "alternateId": "system@okta.com",
            "displayName": "Okta System", "detailEntry": None}


def client_app(name, client_id=None):
    """An OAuth client (PublicClientApp) acting through the API."""
    return {"id": client_id or _derived_id("0oa", name), "type": "PublicClientApp", "alternateId": name,
            "displayName": name, "detailEntry": None}


def app(name, app_id=None):
    """An AppInstance target (the app of an SSO)."""
    return {"id": app_id or _derived_id("0oa", name), "type": "AppInstance", "alternateId": name,
            "displayName": name, "detailEntry": None}


def group(group_id, name):
    """A UserGroup target."""
    return {"id": group_id, "type": "UserGroup", "alternateId": "unknown", "displayName": name, "detailEntry": None}


def role(role_id, name):
    """The two targets Okta writes for a role assignment: ROLE_ASSIGNED and the ROLE."""
    return [{"id": "ROLE_ASSIGNED", "type": "ROLE_ASSIGNED", "alternateId": "unknown",
             "displayName": "Role Assigned", "detailEntry": None},
            {"id": role_id, "type": "ROLE", "alternateId": "unknown", "displayName": name, "detailEntry": None}]


def token(token_id, name):
    """An API token target."""
    return {"id": token_id, "type": "Token", "alternateId": "unknown", "displayName": name, "detailEntry": None}


def session_target(session_id):
    """The Session target of a context-change event."""
    return {"id": session_id, "type": "Session", "alternateId": session_id, "detailEntry": None}


# --- where a request came from ------------------------------------------

@dataclasses.dataclass(frozen=True)
class Net:
    """A client network: the IP, its AS (securityContext) and its place
    (geographicalContext, also in request.ipChain).  ip may be a template
    with one %d: Net.at(host) fills it, so users share a network but not an
    address."""
    ip: str
    asn: int = None
    org: str = None
    city: str = None
    country: str = None
    lat: float = None
    lon: float = None
    isp: str = None
    proxy: bool = False
    domain: str = None
    state: str = None

    def at(self, host):
        """The same network, the template's address for host."""
        return dataclasses.replace(self, ip=self.ip % host)

    def with_ip(self, ip):
        """The same network, another address in it."""
        return dataclasses.replace(self, ip=ip)

    def geo(self):
        """The geographicalContext, or None for a network without a place."""
        if self.city is None and self.country is None:
            return None
        where = None if self.lat is None else {"lat": self.lat, "lon": self.lon}
        return {"city": self.city, "state": self.state, "country": self.country, "postalCode": None,
                "geolocation": where}


def net(ip, asn=None, org=None, city=None, country=None, lat=None, lon=None, isp=None, proxy=False,
        domain=None, state=None):
    """A Net.  isp defaults to org, as Okta usually reports them alike."""
    return Net(ip, asn, org, city, country, lat, lon, org if isp is None else isp, proxy, domain, state)


def user_agent(raw, os_name, browser):
    """A client.userAgent."""
    return {"rawUserAgent": raw, "os": os_name, "browser": browser}


CHROME_WIN = user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/126.0.0.0 Safari/537.36", "Windows 10", "CHROME")


# --- the event ----------------------------------------------------------

def event(event_type, t, actor, net=None, outcome="SUCCESS", reason=None, targets=(), debug=None,
          session_id=None, root_session_id=None, dt=None, user_agent=None, transaction_id=None,
          display_message=None, severity="INFO", uuid=None, device=None, client_device="Computer",
          client_id=None):
    """One LogEvent.

    net: a Net (or None: no IP, no place, no AS).  dt: the debugData dtHash
    (the device).  debug: more debugData members (they win over the defaults).
    session_id: authenticationContext.externalSessionId; root_session_id
    defaults to it (classic engine; OIE tests give both).  targets: a list,
    or None for a JSON null.  uuid: given, or derived from the content and
    the counter.  device: the top-level Okta Verify device object."""
    global _counter
    _counter += 1
    data = {"requestId": "req%06d" % _counter}
    if dt is not None:
        data["dtHash"] = dt
    data.update(debug or {})
    e = {"uuid": None, "published": stamp(t), "eventType": event_type, "version": "0", "severity": severity,
         "legacyEventType": None, "displayMessage": display_message or event_type, "actor": actor,
         "client": _client(net, user_agent, client_device, client_id),
         "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                   "credentialType": None, "issuer": None, "interface": None,
                                   "authenticationStep": 0, "externalSessionId": session_id,
                                   "rootSessionId": session_id if root_session_id is None else root_session_id},
         "securityContext": _security(net),
         "outcome": {"result": outcome, "reason": reason},
         "target": None if targets is None else list(targets),
         "transaction": {"type": "WEB", "id": transaction_id or "txn%06d" % _counter, "detail": {}},
         "debugContext": {"debugData": data},
         "request": {"ipChain": _ip_chain(net)}}
    if device is not None:
        e["device"] = device
    e["uuid"] = uuid or str(uuidlib.uuid5(_UUID_NS, "%d %s" % (_counter, json.dumps(e, sort_keys=True))))
    return e


def _client(where, agent, client_device, client_id):
    return {"id": client_id, "userAgent": agent, "zone": "null", "device": client_device,
            "ipAddress": where.ip if where else None, "geographicalContext": where.geo() if where else None}


def _security(where):
    if where is None:
        return {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None}
    return {"asNumber": where.asn, "asOrg": where.org, "isp": where.isp, "domain": where.domain,
            "isProxy": where.proxy}


def _ip_chain(where):
    if where is None or where.ip is None:
        return []
    return [{"ip": where.ip, "version": "V6" if ":" in where.ip else "V4", "source": None,
             "geographicalContext": where.geo(), "ipDetails": None}]


# --- what the tests repeat ----------------------------------------------

def _failure_reason(outcome, reason):
    """Okta's reason for a failed password: INVALID_CREDENTIALS unless told."""
    if reason is not None or outcome == "SUCCESS":
        return reason
    return "INVALID_CREDENTIALS"


def signin(actor, t, net=None, outcome="SUCCESS", reason=None, **kw):
    """user.session.start; a FAILURE gets INVALID_CREDENTIALS unless reason says otherwise."""
    return event("user.session.start", t, actor, net, outcome, _failure_reason(outcome, reason), **kw)


def sso(actor, t, net=None, target_app=None, **kw):
    """user.authentication.sso into target_app (an app() target)."""
    return event("user.authentication.sso", t, actor, net, targets=[target_app] if target_app else [], **kw)


def mfa_verify(actor, t, net=None, factor="OKTA_VERIFY_PUSH", outcome="SUCCESS", reason=None, **kw):
    """user.authentication.auth_via_mfa with the factor in debugData."""
    debug = dict(kw.pop("debug", None) or {}, factor=factor)
    return event("user.authentication.auth_via_mfa", t, actor, net, outcome, reason, debug=debug, **kw)


def push_sent(actor, t, net=None, **kw):
    """system.push.send_factor_verify_push: Okta sent a push to the user's phone."""
    return event("system.push.send_factor_verify_push", t, actor, net, **kw)


def push_denied(actor, t, net=None, **kw):
    """user.mfa.okta_verify.deny_push: the user refused a push."""
    return event("user.mfa.okta_verify.deny_push", t, actor, net, **kw)


def factor_reset_all(admin, t, user, net=None, **kw):
    """user.mfa.factor.reset_all: admin resets every factor of user (both person())."""
    debug = dict(kw.pop("debug", None) or {}, requestUri="/api/v1/users/%s/lifecycle/reset_factors" % user["id"])
    return event("user.mfa.factor.reset_all", t, admin, net, targets=[user], debug=debug, **kw)


def factor_enroll(user, t, net=None, factor="OKTA_VERIFY_PUSH", **kw):
    """user.mfa.factor.activate: user sets up a factor."""
    debug = dict(kw.pop("debug", None) or {}, factor=factor)
    return event("user.mfa.factor.activate", t, user, net, targets=[user], debug=debug,
                 reason="User set up %s factor" % factor, **kw)


def role_grant(admin, t, user, role_id, role_name, net=None, **kw):
    """user.account.privilege.grant: admin gives user an admin role."""
    debug = dict(kw.pop("debug", None) or {}, privilegeGranted=role_name)
    kw.setdefault("display_message", "Grant user privilege")
    return event("user.account.privilege.grant", t, admin, net, targets=[user] + role(role_id, role_name),
                 debug=debug, **kw)


def group_membership(admin, t, user, grp, net=None, op="add", **kw):
    """group.user_membership.add (or remove): admin puts user in grp (a group())."""
    kw.setdefault("display_message", "Add user to group membership" if op == "add" else
                  "Remove user from group membership")
    return event("group.user_membership." + op, t, admin, net, targets=[user, grp], **kw)


def threat_detected(t, net, result, detections, **kw):
    """security.threat.detected: ThreatInsight on net.ip; detections is a
    dict {name: level}; result is DENY or ALLOW (Okta writes it as the outcome)."""
    debug = dict(kw.pop("debug", None) or {}, threatSuspected="true", threatDetections=json.dumps(detections))
    return event("security.threat.detected", t, ip_actor(net.ip), net, result, ", ".join(detections),
                 debug=debug, **kw)


def risk_event(user, t, level, previous, detection, reasons, net=None, event_type="user.risk.detect", **kw):
    """user.risk.detect / user.risk.change: Identity Threat Protection's risk
    for user, written by the system principal with the user as target."""
    debug = dict(kw.pop("debug", None) or {}, risk="{previousLevel=%s, level=%s, detectionName=%s, reasons=%s, "
                 "issuer=OKTA}" % (previous, level, detection, reasons))
    return event(event_type, t, system_actor(), net, targets=[user], debug=debug, **kw)


# --- output -------------------------------------------------------------

def by_published(events):
    """The events in publication order (stable: ties keep their order)."""
    return sorted(events, key=lambda e: e["published"])


def dump_jsonl(events, fp=None, sort=True):
    """One event per line, in publication order unless sort=False."""
    fp = fp or sys.stdout
    for e in (by_published(events) if sort else events):
        fp.write(json.dumps(e) + "\n")


def dump_array(events, fp=None, sort=True, indent=None):
    """A JSON array, as a /api/v1/logs page body."""
    fp = fp or sys.stdout
    json.dump(by_published(events) if sort else list(events), fp, indent=indent)
    fp.write("\n")


def dump_inject(events, fp=None, release=True):
    """The body of the simulated org's /__control/inject: the events, released at once."""
    fp = fp or sys.stdout
    json.dump({"events": list(events), "release": release}, fp)
    fp.write("\n")
