#!/usr/bin/python3
"""compare.py — the alert and delivery checks of the crash campaign
(tests/crash/campaign.sh).  Prints one "ok:" line per check; on the first
mismatch prints "FAIL: ..." with the evidence and exits 1.

    compare.py ALERTS REF_ALERTS SOAR_REQUESTS SOAR_STATS KILLS IN_DELIVERY

ALERTS / REF_ALERTS: `idwatch alerts list --json` of the crashed database
and of the uninterrupted reference.  SOAR_REQUESTS / SOAR_STATS: the
receiver's requests.jsonl and stats.
KILLS: how many SIGKILLs; IN_DELIVERY: how many of them left a delivery
lease behind (the process was killed between leasing a delivery and
recording its outcome).

Checked:
  - the alerts are identical documents, alert by alert (id, rule, version,
    severity, score, event ids and count, times, evidence...);
  - the newest version of every alert was accepted by the receiver, and the
    body it accepted is the stored alert;
  - every key the receiver accepted (first time or again) names a real alert
    and a version it had, and its body is a state the alert went through on
    the way to its final one: same id, rule, entity and first event, a
    prefix of its event ids, no more events, a time, severity and score no
    later or higher than the final ones;
  - nothing was refused (signatures), nothing arrived out of order, and the
    receiver saw at most one duplicate per kill that landed during a
    delivery (so at most one per kill).
Intermediate versions are not compared with the reference: which of them
are sent depends on timing, since a version still queued when a newer one
is written is dropped as superseded.
"""
import json
import sys

SEV = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# `historical` is decided by event time against the moment of the org's first poll
# (docs/okta-connector.md): every event of the campaign was published before it, while the
# file-replay reference has no first poll.  Everything else must be identical.
IGNORED = {"historical"}


def compare_alerts(got, ref):
    got = {k: {f: v for f, v in a.items() if f not in IGNORED} for k, a in got.items()}
    ref = {k: {f: v for f, v in a.items() if f not in IGNORED} for k, a in ref.items()}
    if set(got) != set(ref):
        fail("alert ids differ: only after the crashes %s, only in the reference %s"
             % (sorted(set(got) - set(ref))[:5], sorted(set(ref) - set(got))[:5]))
    for aid, a in ref.items():
        if got[aid] != a:
            keys = sorted(k for k in set(a) | set(got[aid]) if a.get(k) != got[aid].get(k))
            fail("alert %s differs from the reference in %s: %s vs %s"
                 % (aid, keys, {k: got[aid].get(k) for k in keys}, {k: a.get(k) for k in keys}))
    ok("%d alerts identical to the reference (%d versions in all)"
       % (len(ref), sum(a["version"] for a in ref.values())))


def is_state_of(body, final):
    """Whether an accepted body can be an earlier (or the same) version of final."""
    ids, fids = body["event_ids"], final["event_ids"]
    return (all(body[k] == final[k] for k in ("alert_id", "rule", "entity", "domain_id", "first_seen_ms"))
            and 1 <= body["version"] <= final["version"]
            and ids == fids[:len(ids)]
            and body["event_count"] <= final["event_count"]
            and body["last_seen_ms"] <= final["last_seen_ms"]
            and SEV[body["severity"]] <= SEV[final["severity"]]
            and body["score"] <= final["score"])


def check_deliveries(alerts, requests, stats, kills, in_delivery):
    accepted = [r for r in requests if r.get("status") == 200]
    for r in accepted:
        aid, _, v = r["idempotency_key"].rpartition(":")
        final = alerts.get(aid)
        if final is None:
            fail("the receiver accepted %s, a key of no alert" % r["idempotency_key"])
        if int(v) != r["body"]["version"] or not is_state_of(r["body"], final):
            fail("the receiver accepted %s, which is no state of alert %s (final version %d): %s"
                 % (r["idempotency_key"], aid, final["version"], json.dumps(r["body"])[:400]))
    ok("%d accepted deliveries (%d distinct keys), each a real version of a real alert"
       % (len(accepted), len({r["idempotency_key"] for r in accepted})))
    newest = {}
    for r in accepted:
        if r["body"]["version"] == alerts[r["alert_id"]]["version"]:
            newest[r["alert_id"]] = r["body"]
    missing = sorted(set(alerts) - set(newest))
    if missing:
        fail("%d alerts' newest version never reached the receiver, e.g. %s:%d"
             % (len(missing), missing[0], alerts[missing[0]]["version"]))
    for aid, body in newest.items():
        if body != alerts[aid]:
            fail("the newest version of %s reached the receiver with another body" % aid)
    ok("the newest version of all %d alerts accepted by the receiver, with the stored body" % len(alerts))
    if stats["rejected"]:
        fail("the receiver refused %d deliveries" % stats["rejected"])
    if stats["out_of_order"]:
        fail("%d versions arrived after a newer one" % stats["out_of_order"])
    ok("none refused, none out of order")
    if stats["duplicates"] > min(kills, in_delivery):
        fail("%d duplicate deliveries for %d kills, %d of them during a delivery"
             % (stats["duplicates"], kills, in_delivery))
    ok("duplicates at the receiver: %d, for %d kills of which %d during a delivery"
       % (stats["duplicates"], kills, in_delivery))


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    alerts = {a["alert_id"]: a for a in rows(sys.argv[1])}
    ref = {a["alert_id"]: a for a in rows(sys.argv[2])}
    if not ref:
        fail("the reference raised no alert: nothing to compare")
    compare_alerts(alerts, ref)
    with open(sys.argv[4]) as f:
        stats = json.load(f)
    check_deliveries(alerts, rows(sys.argv[3]), stats, int(sys.argv[5]), int(sys.argv[6]))


if __name__ == "__main__":
    main()
