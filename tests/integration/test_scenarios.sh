# The labelled scenario suite (docs/scenarios.md): a synthetic org of 300
# people over 35 days with every attack of `gen-events --attacks` injected
# once after day 14.  A label with a rule is caught by an alert of that rule
# that names the label's user (or, for alerts keyed by source, its IP), is at
# least as severe as the label, and has its last_seen within
# [first, last + 24 h] of the attack.  A label with uuids (the attack's key
# events; its rule is null) is caught by any alert at least as severe whose
# event_ids hold one of them.  Medium-or-higher alerts that no label explains
# (same IP, or an account the attack used or targeted, overlapping time) are
# false positives on realistic benign activity: at most FP_PER_1000 per 1000
# user-days.
. "$ROOT/tests/integration/lib.sh"
FP_PER_1000=0.5             # the false-positive budget, per 1000 user-days
START=2026-09-01 DAYS=35
"$TOOLS/gen-events" --users 300 --days $DAYS --start $START --seed "${SCENARIO_SEED:-1}" --attacks --labels labels.jsonl \
    --out events.jsonl --stats 2> gen.err
cat gen.err
# every attack found a victim (the generator says so on stderr when one did not)
expect_eq "$(grep -c 'not injected' gen.err || true)" 0 "attacks not injected"
# and every benign look-alike of docs/scenarios.md happened at least once
for what in trips "carrier sign-ins" "retried pushes" lockouts "helpdesk resets" "planned grants" \
    "group changes" "new hires" "console sessions" "config changes" "token rotations" "support grants" \
    "role revokes"; do
    n=$(grep -o "[0-9][0-9]* $what" gen.err | cut -d' ' -f1)
    [ "${n:-0}" -gt 0 ] || fail "no $what in the background"
    echo "ok: $n $what"
done
# every shipped rule on: the C rules and the Sigma catalogue (rules/)
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$ROOT"'/rules"}' > scen.json
idw() { "$IDWATCH" --config scen.json "$@"; }
idw ingest --file events.jsonl > /dev/null
idw rules list --json > rules.jsonl
idw alerts list --json > alerts.jsonl
python3 - labels.jsonl rules.jsonl alerts.jsonl events.jsonl gen.err $START $DAYS $FP_PER_1000 <<'PY'
import datetime, json, re, sys

SEV = {"low": 1, "medium": 2, "high": 3, "critical": 4}
DAY_MS = 86400000

def ms(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp() * 1000)

def rows(path):
    return [json.loads(l) for l in open(path) if l.strip()]

labels, rules, alerts = rows(sys.argv[1]), rows(sys.argv[2]), rows(sys.argv[3])
enabled = {r["id"] for r in rules if r.get("enabled")}
failures = []

def show(a):
    return "%s %s user=%s ip=%s %s..%s" % (a["rule"], a["severity"], a["user"], a["ip"], a["first_seen"], a["last_seen"])

def same_entity(a, L):
    if L["user"] and a["user"] == L["user"]:
        return True
    return bool(L["ip"]) and a["ip"] == L["ip"] and (a["user"] is None or not L["user"])

# the events each label's uuids name (the attack's key events)
keyed = {u: L for L in labels for u in L.get("uuids") or []}
key_events = {}
for l in open(sys.argv[4]):
    e = json.loads(l)
    if e["uuid"] in keyed:
        key_events[e["uuid"]] = e

# 1. every injected attack is caught: by its rule, or by any alert naming one of its key events
print("labels: %d, rules enabled: %s" % (len(labels), " ".join(sorted(enabled))))
for L in labels:
    L["f"], L["l"] = ms(L["first"]), ms(L["last"])
    what = "%s (%s >= %s, user=%s ip=%s, %s..%s)" % (L["name"], L["rule"], L["min_severity"], L["user"], L["ip"],
                                                    L["first"], L["last"])
    if L["rule"] is None:
        uuids = set(L.get("uuids") or [])
        # the generator's side: key events exist and lie within the label's span
        if not uuids or any(u not in key_events or not L["f"] <= ms(key_events[u]["published"]) <= L["l"]
                            for u in uuids):
            print("FAIL: %s: key events missing or outside [first, last]" % what)
            failures.append("bad uuids in " + L["name"])
            continue
        cands = [a for a in alerts if uuids & set(a.get("event_ids") or [])]
        hits = [a for a in cands if SEV[a["severity"]] >= SEV[L["min_severity"]]]
        if hits:
            print("ok: %s: %s" % (what, show(hits[0])))
        else:
            failures.append("missed " + L["name"])
            print("FAIL: %s: no alert >= %s names one of its %d key events; alerts naming one: %s" % (
                what, L["min_severity"], len(uuids), "; ".join(map(show, cands)) or "none"))
        continue
    if L["rule"] not in enabled:
        # a label whose rule is missing or off is an attack nobody would catch
        print("FAIL: %s: rule not registered or not enabled" % what)
        failures.append("no rule for " + L["name"])
        continue
    cands = [a for a in alerts if a["rule"] == L["rule"] and same_entity(a, L)]
    hits = [a for a in cands if SEV[a["severity"]] >= SEV[L["min_severity"]]
            and L["f"] <= a["last_seen_ms"] <= L["l"] + DAY_MS]
    if hits:
        print("ok: %s: %s" % (what, show(hits[0])))
    else:
        failures.append("missed " + L["name"])
        print("FAIL: %s: no matching alert; same rule and entity: %s" % (what, "; ".join(map(show, cands)) or "none"))

# 2. user-days: every person from their first day in the org (creation for new hires) to the period's end.
# Also the accounts each attack operated: actors of its events from its IP (a compromised admin, a sprayed user).
first_day = datetime.date.fromisoformat(sys.argv[6])
last_day = first_day + datetime.timedelta(days=int(sys.argv[7]) - 1)
created, people = {}, set()
# an attack's addresses: its label's IP and those of its key events (a distributed spray has many)
by_ip = {}
for L in labels:
    L["accounts"] = {L["user"]} if L["user"] else set()
    L["ips"] = {L["ip"]} if L["ip"] else set()
    for u in L.get("uuids") or []:
        e = key_events.get(u)
        if not e:
            continue            # reported above
        L["ips"].add(e["client"]["ipAddress"])
        L["accounts"].update(t["alternateId"] for t in e["target"] or [] if t["type"] == "User")
    for ip in L["ips"]:
        by_ip.setdefault(ip, []).append(L)
for l in open(sys.argv[4]):
    e = json.loads(l)
    act = e["actor"]
    # the org's people (not unknown usernames, not Okta Support's own account)
    if act["type"] == "User" and act["id"] != "unknown" and act["alternateId"].endswith("@acme.example"):
        people.add(act["alternateId"])
        for L in by_ip.get(e["client"]["ipAddress"], []):
            if L["f"] <= ms(e["published"]) <= L["l"]:
                L["accounts"].add(act["alternateId"])
    for t in e["target"] or []:
        if t["type"] == "User":
            people.add(t["alternateId"])
            if e["eventType"] == "user.lifecycle.create":
                created[t["alternateId"]] = datetime.date.fromisoformat(e["published"][:10])
user_days = sum((last_day - created.get(p, first_day)).days + 1 for p in people)
stated = re.search(r"(\d+) user-days", open(sys.argv[5]).read())
print("people: %d (%d hired during the period), user-days: %d (generator says %s)" % (
    len(people), len(created), user_days, stated.group(1) if stated else "?"))
if not stated or int(stated.group(1)) != user_days:
    failures.append("user-days disagree with the generator")

# 3. medium-or-higher alerts that no label explains: same account or same IP, overlapping
# [first, end + 24 h], where end is the last attack event or the last alert the attack itself
# raised on those accounts, whichever is later: for a day after an alert about a person,
# persona-aware severity raises what that person does next (docs/rules.md), as it should.
def touches(a, L):
    return a["user"] in L["accounts"] or a["ip"] in L["ips"]
for L in labels:
    L["end"] = max([L["l"]] + [a["last_seen_ms"] for a in alerts
                               if touches(a, L) and L["f"] <= a["last_seen_ms"] <= L["l"] + DAY_MS])
def explained(a):
    return any(touches(a, L) for L in labels
               if a["first_seen_ms"] <= L["end"] + DAY_MS and a["last_seen_ms"] >= L["f"])
fps = [a for a in alerts if SEV[a["severity"]] >= SEV["medium"] and not explained(a)]
budget = user_days / 1000.0 * float(sys.argv[8])
print("unexplained medium+ alerts: %d (at most %.1f for %d user-days, %s per 1000)" % (
    len(fps), budget, user_days, sys.argv[8]))
for a in sorted(fps, key=lambda a: (a["rule"], a["first_seen"])):
    print("  FP: %s | %s | %s" % (show(a), a["summary"], a["evidence"]))
if len(fps) > budget:
    failures.append("%d unexplained medium+ alerts > %.1f" % (len(fps), budget))
if failures:
    print("FAIL: " + "; ".join(failures))
    sys.exit(1)
print("ok: every label caught, false positives within budget")
PY
