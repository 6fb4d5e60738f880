# slow_spray on labelled scenarios.  Twenty-five people work from the office
# for twelve days.  Then, on day 13:
#   noise    the internet tries 30 unknown usernames from hosting addresses      nothing
#   typos    twelve people mistype their password once at home (their own ISP)   nothing
#   spray    15 people and 8 unknown usernames, once each, from 12 addresses in
#            three hosting ASNs, one every 12 minutes (4.6 h)                    medium
#   then     one of the sprayed people signs in from one of the spray's ASNs     high (same alert)
# password_spray, keyed by source, sees at most two accounts per address.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
HOME = net("89.100.%d.5", 6830, "Liberty Global", "Dublin", "Ireland", 53.35, -6.26)
def vps(k):
    return net("185.220.%d.9" % k, 64500 + k % 3, "bulletproof hosting", "Bucharest", "Romania", 44.43, 26.1)
users = [person("user%02d" % i) for i in range(25)]
out = []
for i, u in enumerate(users):
    for d in range(12):
        out.append(signin(u, BASE + d * D + i * M, OFFICE.at(10 + i), dt="dt-%02d" % i))
    for d in range(0, 12, 3):                       # some days from home
        out.append(signin(u, BASE + d * D + 10 * H + i * M, HOME.at(i), dt="dt-%02d" % i))
A = BASE + 12 * D
for k in range(30):                                 # internet noise: unknown usernames only
    out.append(signin(unknown_user("guess%d" % k), A + k * 10 * M, vps(100 + k), "FAILURE", "VERIFICATION_ERROR"))
for i in range(12):                                 # typos at home, then the right password
    out.append(signin(users[i], A + 6 * H + i * 5 * M, HOME.at(i), "FAILURE"))
    out.append(signin(users[i], A + 6 * H + i * 5 * M + M, HOME.at(i), dt="dt-%02d" % i))
S = A + 12 * H
targets = [users[i] for i in range(10, 25)] + [unknown_user("admin%d" % k) for k in range(8)]
for n, who in enumerate(targets):
    out.append(signin(who, S + n * 12 * M, vps(n % 12), "FAILURE"))
out.append(signin(users[12], S + 5 * H, net("185.220.50.9", 64501, "bulletproof hosting", "Bucharest", "Romania",
                                             44.43, 26.1)))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule slow_spray --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl '[(r["entity"], r["severity"], r["score"], r["user"], r["version"]) for r in rows]')" \
    "[('org:slow_spray', 'high', 75, None, 2)]" "one org-wide alert, raised to high by the target's sign-in"
jlines alerts.jsonl 'rows[0]["evidence"]' | grep -q 'user12@acme.example was among the accounts of the org-wide spray; .* a successful sign-in from 185.220.50.9 (AS64501, bulletproof hosting), a hosting, proxy or anonymizer network, an ASN the spray came from' \
    || fail "evidence of the success"
expect_eq "$(jlines alerts.jsonl 'rows[0]["first_seen"]')" "2026-10-17T23:48:00.000Z" "raised at the spray's 20th account, not by the noise or the typos"
expect_eq "$(jlines alerts.jsonl 'rows[0]["event_count"]')" 2 "the spray's alert and the success"
expect_eq "$(idw alerts list --rule password_spray --json | jlines /dev/stdin 'len(rows)')" 0 "no single source is a spray"
