# mfa_fatigue on labelled scenarios: a push-bombing burst from a network the
# victim never uses, then an approval, is critical; a retried push is not
# an attack; a burst that the user denies is alerted but not critical.
. "$ROOT/tests/integration/lib.sh"
python3 - <<'PY' > scen.jsonl
from oktaev import *
DUBLIN = dict(city="Dublin", country="Ireland", lat=53.35, lon=-6.26)
OFFICE = net("86.40.1.10", 5466, "net5466", **DUBLIN)
FOREIGN = net("203.0.113.50", 64666, "net64666", **DUBLIN)      # Okta placed the attacker's exit in Dublin too
alice, bob, carol = person("alice"), person("bob"), person("carol")
out = []
for u in (alice, bob, carol):
    for d in range(12):
        out.append(signin(u, BASE + d * D, OFFICE))
A = BASE + 12 * D + 9 * H
for i in range(6):                               # alice: 6 pushes in 5 min from AS64666
    out.append(push_sent(alice, A + i * 50 * S, FOREIGN))
out.append(mfa_verify(alice, A + 6 * M, OFFICE))                 # gave in
out.append(push_sent(bob, A, OFFICE))                            # bob: one retried push
out.append(push_sent(bob, A + M, OFFICE))
out.append(mfa_verify(bob, A + 2 * M, OFFICE))
for i in range(3):                               # carol: pushes she denies, from her usual network
    out.append(push_sent(carol, A + i * M, OFFICE))
    out.append(push_denied(carol, A + i * M + 20 * S, OFFICE))
dump_jsonl(out)
PY
idw ingest --file scen.jsonl > /dev/null
idw alerts list --rule mfa_fatigue --json > alerts.jsonl
cat alerts.jsonl
expect_eq "$(jlines alerts.jsonl 'sorted(r["user"] for r in rows)')" "['alice@acme.example', 'carol@acme.example']" "users alerted"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("alice")][0]')" critical "alice: burst from a new network, then approved"
expect_eq "$(jlines alerts.jsonl '[r["severity"] for r in rows if r["user"].startswith("carol")][0]')" medium "carol: denied burst from her usual network"
expect_eq "$(jlines alerts.jsonl '[r["mitre"] for r in rows][0]')" "['T1621']" "mitre"
jlines alerts.jsonl '[r["evidence"] for r in rows if r["user"].startswith("alice")][0]' | grep -q 'never signed in from' \
    || fail "evidence does not name the new network"
