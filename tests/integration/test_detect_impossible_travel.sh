# impossible_travel on labelled scenarios: an attacker's sign-in from the far
# side of the world an hour after the user's last one is caught (critical:
# new country, ASN and device); a business trip by plane, alternating VPN
# egress and a learning persona are not alerted.  Alerts aggregate, survive
# re-ingest unchanged, and can be reviewed.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
places = {
  "dublin": net("86.40.1.10", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26),
  "nyc": net("71.190.2.20", 701, "Verizon", "New York", "United States", 40.71, -74.01),
  "sydney": net("203.0.113.66", 45671, "Evil Host", "Sydney", "Australia", -33.87, 151.21),
  "ashburn": net("165.225.10.1", 53813, "Zscaler", "Ashburn", "United States", 39.04, -77.49),
  "frankfurt": net("147.161.10.1", 53813, "Zscaler", "Frankfurt am Main", "Germany", 50.11, 8.68),
}
MAC = user_agent(None, "Mac OS X", "CHROME")
def ev(user, t, place, dt="d" * 64):
    return signin(person(user), t, places[place], dt=dt, user_agent=MAC)
out = []
for d in range(12):                     # alice: 12 working days in Dublin -> established
    out.append(ev("alice", BASE + d * D, "dublin"))
out.append(ev("alice", BASE + 12 * D, "dublin"))
out.append(ev("alice", BASE + 12 * D + H, "sydney", dt="e" * 64))          # ATTACK: 17,000 km in 1 h
out.append(ev("alice", BASE + 12 * D + 2 * H, "sydney", dt="e" * 64))      # no travel: nothing new
out.append(ev("alice", BASE + 12 * D + 3 * H, "dublin"))                   # the real user, back at the office NAT (shared by 3 users): arriving at a shared exit is not travel
for d in range(12):                     # bob: Dublin, then a flight to New York (8 h)
    out.append(ev("bob", BASE + d * D, "dublin"))
out.append(ev("bob", BASE + 12 * D + 9 * H, "nyc"))
for d in range(12):                     # carol: ZTNA egress alternating Ashburn / Frankfurt
    out.append(ev("carol", BASE + d * D, "ashburn"))
    out.append(ev("carol", BASE + d * D + H, "frankfurt"))
out.append(ev("dave", BASE, "dublin"))    # dave: new hire, learning: no alert
out.append(ev("dave", BASE + H, "sydney"))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl --json > s1.json
idw alerts list --rule impossible_travel --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'len(rows)')" 1 "alerts"
expect_eq "$(jlines alerts.jsonl 'rows[0]["rule"]')" impossible_travel "rule"
expect_eq "$(jlines alerts.jsonl 'rows[0]["user"]')" alice@acme.example "user"
expect_eq "$(jlines alerts.jsonl 'rows[0]["severity"]')" critical "severity (new country, ASN and device)"
expect_eq "$(jlines alerts.jsonl 'rows[0]["event_count"]')" 1 "events (the return to the shared office exit is not travel)"
expect_eq "$(jlines alerts.jsonl 'rows[0]["mitre"]')" "['T1078', 'T1078.004']" "mitre"
jlines alerts.jsonl 'rows[0]["evidence"]' | grep -q 'never seen (usual Ireland 100%)' || fail "evidence"
# re-ingest: nothing new, nothing changed
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule impossible_travel --json > alerts2.jsonl
cmp alerts.jsonl alerts2.jsonl || fail "alerts changed on re-ingest"
# review
id=$(jlines alerts.jsonl 'rows[0]["alert_id"]')
idw alerts show "$id" --json > show.json
expect_eq "$(jget show.json 'j["persona"]["login"]')" alice@acme.example "persona context in show"
idw alerts ack "$id" --note "calling the user" > /dev/null
idw alerts list --status acknowledged --rule impossible_travel --json > acked.jsonl
expect_eq "$(jlines acked.jsonl 'rows[0]["history"][0]["note"]')" "calling the user" "ack note"
expect_eq "$(idw alerts list --severity critical --rule impossible_travel | wc -l | tr -d ' ')" 2 "filters (header + 1)"
expect_rc 4 idw alerts show no-such-alert
