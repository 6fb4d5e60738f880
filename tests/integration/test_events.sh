# Kept events (docs/events.md): every accepted event of a generated org can
# be shown by uuid with what the analyst needs; a person's events come back
# newest first within a window; `alerts show` lists the events behind the
# alert; events older than events.retention_days go as newer ones arrive;
# retention 0 keeps none.
. "$ROOT/tests/integration/lib.sh"

"$TOOLS/gen-events" --users 30 --days 20 --seed 7 --attacks --out events.jsonl
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("events.jsonl")]
rows.sort(key=lambda e: e["published"])
half = [e for e in rows if e["published"] < "2026-09-10"]
open("first.jsonl", "w").write("".join(json.dumps(e) + "\n" for e in half))
open("second.jsonl", "w").write("".join(json.dumps(e) + "\n" for e in rows[len(half):]))
PY
cat > cfg.json <<'EOF'
{"db": "db", "orgs": [{"domain_id": "default", "org_url": "https://acme.okta.com"}]}
EOF
cfg() { "$IDWATCH" --config cfg.json "$@"; }
cfg ingest --file events.jsonl --json > sum.json
accepted=$(jget sum.json 'j["accepted"]')

# one event by uuid: the fields an analyst needs, from the compact record
python3 - <<'PY' > pick.txt
import json
for l in open("events.jsonl"):
    e = json.loads(l)
    if e["eventType"] == "user.authentication.sso" and e["client"]["geographicalContext"]:
        print(e["uuid"]); break
PY
uuid=$(cat pick.txt)
cfg events show "$uuid" --json > one.json
python3 - "$uuid" <<'PY'
import json, sys
want = next(json.loads(l) for l in open("events.jsonl") if json.loads(l)["uuid"] == sys.argv[1])
got = json.load(open("one.json"))
geo = want["client"]["geographicalContext"]
checks = {
    "uuid": (got["uuid"], want["uuid"]), "published": (got["published"], want["published"]),
    "event_type": (got["event_type"], want["eventType"]),
    "display_message": (got["display_message"], want["displayMessage"]),
    "outcome": (got["outcome"]["result"], want["outcome"]["result"]),
    "actor login": (got["actor"]["login"], want["actor"]["alternateId"]),
    "actor id": (got["actor"]["id"], want["actor"]["id"]),
    "target": (got["target"][0]["id"], want["target"][0]["id"]),
    "ip": (got["ip"], want["client"]["ipAddress"]), "city": (got["city"], geo["city"]),
    "country": (got["country"], geo["country"]),
    "lat": (round(got["lat"], 4), round(geo["geolocation"]["lat"], 4)),
    "asn": (got["asn"], want["securityContext"]["asNumber"]),
    "session": (got["session_id"], want["authenticationContext"]["rootSessionId"]),
    "user_agent": (got["user_agent"], "%s on %s" % (want["client"]["userAgent"]["browser"],
                                                   want["client"]["userAgent"]["os"])),
    "okta_url": (got["okta_url"], "https://acme-admin.okta.com/report/system_log_2?search=uuid+eq+%%22%s%%22"
                 % want["uuid"]),
}
bad = {k: v for k, v in checks.items() if v[0] != v[1]}
if bad:
    sys.exit("FAIL: event fields differ: %s" % bad)
print("ok: events show --json gives the event's %d checked fields" % len(checks))
PY
cfg events show "$uuid" > one.txt
grep -q "acme-admin.okta.com" one.txt || fail "human output without the Okta link"
expect_rc 4 cfg events show 00000000-0000-4000-8000-000000000000 2> err.txt
grep -q "no kept event" err.txt || fail "missing event message: $(cat err.txt)"
expect_rc 2 cfg events show 2> /dev/null
expect_rc 2 cfg events list x 2> /dev/null

# a person's events: newest first, all theirs, bounded by --since/--until and --limit
login=$(python3 -c '
import json, collections
c = collections.Counter(json.loads(l)["actor"]["alternateId"] for l in open("events.jsonl")
                        if json.loads(l)["actor"]["type"] == "User")
print(c.most_common(1)[0][0])')
cfg persona show "$login" --events --limit 0 --json > p.json
python3 - "$login" <<'PY'
import json, sys
login = sys.argv[1]
p = json.load(open("p.json"))
ev = p["kept_events"]
mine = [json.loads(l) for l in open("events.jsonl")]
acted = {e["uuid"] for e in mine if e["actor"]["alternateId"] == login}
got = [e["uuid"] for e in ev]
times = [e["published"] for e in ev]
assert times == sorted(times, reverse=True), "not newest first"
assert acted <= set(got), "missing %d events the person acted in" % len(acted - set(got))
for e in ev:
    assert e["actor"]["login"] == login or any(t["login"] == login for t in e["target"]) \
        or e["subject_tuid"] == p["tuid"], "someone else's event: %s" % e["uuid"]
print("ok: %d kept events of %s, newest first, every event they acted in" % (len(ev), login))
PY
cfg persona show "$login" --events --since 2026-09-08T00:00:00Z --until 2026-09-09T00:00:00Z --limit 5 --json > w.json
expect_eq "$(jget w.json 'len(j["kept_events"])')" 5 "--limit"
expect_eq "$(jget w.json 'all("2026-09-08" <= e["published"] < "2026-09-09" for e in j["kept_events"])')" True \
    "--since/--until window"
cfg persona show "$login" --events --since 24h > w.txt     # generated days are months back: none
grep -q "(no kept events)" w.txt || fail "relative --since: $(tail -3 w.txt)"
expect_rc 2 cfg persona show "$login" --events --since yesterday 2> err.txt
grep -q "expected 30m, 24h, 7d" err.txt || fail "bad --since message"

# an alert's events, oldest first, with the alert
cfg alerts list --json > alerts.jsonl
id=$(jlines alerts.jsonl 'max(rows, key=lambda a: a["event_count"])["alert_id"]')
cfg alerts show "$id" --json > a.json
python3 - <<'PY'
import json
a = json.load(open("a.json"))
got = [e["uuid"] for e in a["events"]]
assert sorted(got) == sorted(set(a["event_ids"])), "events %s vs event_ids %s" % (got, a["event_ids"])
times = [e["published"] for e in a["events"]]
assert times == sorted(times), "not oldest first"
print("ok: alert %s shows its %d events, oldest first" % (a["alert_id"], len(got)))
PY
cfg alerts show "$id" > a.txt
grep -q "kept events behind it" a.txt || fail "alerts show without events"
grep -q "$(jget a.json 'j["events"][0]["event_type"]')" a.txt || fail "alerts show lists no event row"

# retention: old events go as newer ones arrive (4 days, by event time)
cat > cfg2.json <<'EOF'
{"db": "db2", "events": {"retention_days": 4}}
EOF
first=$(head -1 first.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
"$IDWATCH" --config cfg2.json ingest --file first.jsonl > /dev/null
expect_rc 0 "$IDWATCH" --config cfg2.json events show "$(tail -1 first.jsonl | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["uuid"])')" > /dev/null
"$IDWATCH" --config cfg2.json ingest --file second.jsonl > /dev/null
expect_rc 4 "$IDWATCH" --config cfg2.json events show "$first" 2> /dev/null
expect_rc 4 "$IDWATCH" --config cfg2.json events show "$(tail -1 first.jsonl | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["uuid"])')" 2> /dev/null
last=$(tail -1 second.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
expect_rc 0 "$IDWATCH" --config cfg2.json events show "$last" > /dev/null
"$IDWATCH" --config cfg2.json persona show "$login" --events --limit 0 --json > r.json
python3 - <<'PY'
import json, datetime
ev = json.load(open("r.json"))["kept_events"]
newest = max(json.loads(l)["published"] for l in open("second.jsonl"))
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
old = [e for e in ev if p(newest) - p(e["published"]) > datetime.timedelta(days=4)]
assert ev and not old, "%d kept events older than 4 days before %s" % (len(old), newest)
print("ok: %d events kept, none older than the 4-day retention" % len(ev))
PY
echo "ok: retention pruned the first days once the later ones arrived"

# retention 0: no event kept, ingest otherwise the same
cat > cfg3.json <<'EOF'
{"db": "db3", "events": {"retention_days": 0}}
EOF
"$IDWATCH" --config cfg3.json ingest --file events.jsonl --json > sum3.json
expect_eq "$(jget sum3.json 'j["accepted"]')" "$accepted" "accepted with retention 0"
expect_rc 4 "$IDWATCH" --config cfg3.json events show "$uuid" 2> /dev/null
"$IDWATCH" --config cfg3.json persona show "$login" --events --json > z.json
expect_eq "$(jget z.json 'len(j["kept_events"])')" 0 "events kept with retention 0"
# never written, not written and pruned: the file is smaller by the events' share
s_all=$(wc -c < db/data.mdb); s_none=$(wc -c < db3/data.mdb)
[ "$s_none" -lt $((s_all * 3 / 4)) ] || fail "retention 0: data.mdb $s_none bytes vs $s_all keeping events"
echo "ok: retention 0 data.mdb $s_none bytes, $s_all keeping 30 days"
echo '{"events": {"retention_days": -1}}' > bad.json
expect_rc 1 "$IDWATCH" --config bad.json events show x 2> err.txt
grep -q "events.retention_days" err.txt || fail "bad retention message: $(cat err.txt)"
