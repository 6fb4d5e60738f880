# password_spray on labelled scenarios: one IP trying many accounts (known
# and unknown) once each, then getting into one of them, is critical; the
# office NAT where a dozen employees mistype their password is not a spray.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE, SPRAYER = net("86.40.1.1", 5466), net("203.0.113.99", 64999)
users = [person("user%02d" % i) for i in range(20)]
out = []
for i, u in enumerate(users):                     # everyone works from the office NAT for 12 days
    for d in range(12):
        out.append(signin(u, BASE + d * D + i * M, OFFICE))
S = BASE + 12 * D + 10 * H
for i, u in enumerate(users[:12]):                # benign: 12 people mistype once at the office
    out.append(signin(u, S + i * 4 * M, OFFICE, "FAILURE"))
    out.append(signin(u, S + i * 4 * M + M, OFFICE))
A = BASE + 12 * D + 14 * H
for i, u in enumerate(users[:10]):                # attack: 10 known + 5 unknown accounts, once each
    out.append(signin(u, A + i * M, SPRAYER, "FAILURE"))
for i in range(5):
    out.append(signin(unknown_user("admin%d" % i), A + (10 + i) * M, SPRAYER, "FAILURE"))
out.append(signin(users[3], A + 20 * M, SPRAYER))                  # ... and one worked
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule password_spray --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(set(r["entity"] for r in rows))')" "['ip:203.0.113.99']" "only the spraying IP"
expect_eq "$(jlines alerts.jsonl 'rows[0]["severity"]')" critical "a targeted account got in"
jlines alerts.jsonl 'rows[0]["evidence"]' | grep -q 'against 1[0-9] distinct accounts' || fail "spray shape in evidence"
expect_eq "$(jlines alerts.jsonl 'rows[0]["mitre"]')" "['T1110.003']" "mitre"
expect_eq "$(jlines alerts.jsonl 'rows[0]["user"]')" None "keyed by source: no single user"

# a second spray from another source; two hours later one of its targets signs in from a third
# network, new to them (the sprayed password tried from elsewhere): the spray alert turns critical.
# Another target signs in from the office as usual: nothing more.
python3 - <<'PY' > follow.jsonl
from oktaev import *
T = datetime.datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
def ev(n, user, t, outcome, where):           # the uuids are asserted below
    return signin(person(user), t, where, outcome, uuid="ps-f%03d" % n)
SPRAYER = net("198.51.100.88", 64888)
out = [ev(i, "user%02d" % (i + 5), T + i * M, "FAILURE", SPRAYER) for i in range(12)]
out.append(ev(50, "user07", T + 120 * M, "SUCCESS", net("192.0.2.123", 64123)))   # new network, 2 h later
out.append(ev(51, "user08", T + 125 * M, "SUCCESS", net("86.40.1.1", 5466)))      # the office, as always
dump_jsonl(out, sort=False)
PY
idw ingest --file follow.jsonl > /dev/null
idw alerts list --rule password_spray --json > follow_alerts.jsonl
expect_eq "$(jlines follow_alerts.jsonl '[r["severity"] for r in rows if r["entity"] == "ip:198.51.100.88"]')" "['critical']" "target signed in from a new network after the spray"
jlines follow_alerts.jsonl '[r["summary"] for r in rows if r["entity"] == "ip:198.51.100.88"][0]' | grep -q "user07@acme.example, a target of the password spray from ip:198.51.100.88, signed in 1.9 h later from a network new to them" || fail "follow-up summary"
# the alert holds the failures that crossed the threshold (10th to 12th) and user07's sign-in, not user08's
expect_eq "$(jlines follow_alerts.jsonl '[r["event_ids"] for r in rows if r["entity"] == "ip:198.51.100.88"][0]')" "['ps-f009', 'ps-f010', 'ps-f011', 'ps-f050']" "only user07's sign-in joined the alert"
