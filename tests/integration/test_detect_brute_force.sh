# brute_force on labelled scenarios: a dozen failures from a foreign network
# followed by a success from it is critical; a user who mistypes and locks
# themselves out at the office is low; three typos are nothing.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE, FOREIGN = net("86.40.1.1", 5466), net("198.51.100.77", 64777)
out = []
for u in ("erin", "frank", "grace"):
    for d in range(12):
        out.append(signin(person(u), BASE + d * D, OFFICE))
A = BASE + 12 * D + 3 * H
for i in range(12):                               # erin: 12 failures from AS64777, then it works
    out.append(signin(person("erin"), A + i * M, FOREIGN, "FAILURE"))
out.append(signin(person("erin"), A + 15 * M, FOREIGN))
for i in range(10):                               # frank: locks himself out at the office
    out.append(signin(person("frank"), A + i * M, OFFICE, "FAILURE"))
out.append(event("user.account.lock", A + 10 * M, person("frank"), OFFICE, "FAILURE", "INVALID_CREDENTIALS"))
for i in range(3):                                # grace: three typos, then in
    out.append(signin(person("grace"), A + i * M, OFFICE, "FAILURE"))
out.append(signin(person("grace"), A + 4 * M, OFFICE))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule brute_force --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(r["user"] for r in rows)')" "['erin@acme.example', 'frank@acme.example']" "users alerted"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("erin")][0]')" critical "erin: foreign burst then success"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("frank")][0]')" low "frank: self-lockout at the office"
# medium or higher on the benign users: none
expect_eq "$(idw alerts list --severity medium --json | jlines /dev/stdin 'sum(1 for r in rows if r["user"] != "erin@acme.example")')" 0 "benign medium+ alerts"
