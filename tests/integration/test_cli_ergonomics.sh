# The analyst's command line (issue 11, "CLI ergonomics"): where the
# configuration comes from, `alerts list --since/--until/--ip`, unknown
# --status/--rule values refused with the valid ones, alert ids by unique
# prefix, who a review records, a database this user may not open, and
# `--help` that never acts against a live database.
. "$ROOT/tests/integration/lib.sh"

# three Super Admin grants, 3 days, 10 hours and 20 minutes ago, each from its own address
python3 - > grants.jsonl <<'PY'
from oktaev import *
t = now()
adm = person("alice")
dump_jsonl([role_grant(adm, t - 3 * D, person("bob"), "SUPER_ADMIN", "Super Administrator", net=net("198.51.100.7")),
            role_grant(adm, t - 10 * H, person("carol"), "SUPER_ADMIN", "Super Administrator", net=net("2001:db8::7")),
            role_grant(adm, t - 20 * M, person("dave"), "SUPER_ADMIN", "Super Administrator", net=net("203.0.113.9"))])
PY
printf 'test-secret\n' > secret && chmod 600 secret
# a webhook nobody answers: the alerts wait in the outbox (nothing here delivers them)
cat > idw.json <<EOF
{"db": "$WORK/db",
 "webhooks": [{"url": "https://127.0.0.1:9/h", "secret_file": "$WORK/secret"}]}
EOF
"$IDWATCH" --config idw.json ingest --file grants.jsonl > /dev/null
cfg() { "$IDWATCH" --config "$WORK/idw.json" "$@"; }
# the logins of the alerts a list prints (--json), sorted
users() { python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["user"].split("@")[0] for l in sys.stdin)))'; }
id_of() { cfg alerts list --json --user "$1@acme.example" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["alert_id"])'; }
BOB=$(id_of bob); CAROL=$(id_of carol); DAVE=$(id_of dave)

# --- the configuration: --config, else $IDWATCH_CONFIG, else the system file, else the embedded default
"$IDWATCH" --help > help.txt
grep -q 'IDWATCH_CONFIG' help.txt && grep -q '/etc/idwatch/idwatch.json' help.txt || { cat help.txt; fail "--help: config search"; }
expect_eq "$(IDWATCH_CONFIG="$WORK/idw.json" "$IDWATCH" alerts list --json | users)" "bob carol dave" "\$IDWATCH_CONFIG used"
expect_eq "$(IDWATCH_SYSTEM_CONFIG="$WORK/idw.json" "$IDWATCH" alerts list --json | users)" "bob carol dave" \
    "the system configuration used when it exists"
echo '{"db": "'"$WORK"'/other-db"}' > other.json
expect_rc 1 env IDWATCH_CONFIG="$WORK/other.json" IDWATCH_SYSTEM_CONFIG="$WORK/idw.json" "$IDWATCH" alerts list 2> e.txt
grep -q 'other-db: no database here' e.txt || { cat e.txt; fail "\$IDWATCH_CONFIG before the system file"; }
expect_rc 0 env IDWATCH_CONFIG="$WORK/other.json" "$IDWATCH" --config "$WORK/idw.json" alerts list > /dev/null
expect_rc 1 env IDWATCH_CONFIG="$WORK/nope.json" "$IDWATCH" alerts list 2> e.txt
grep -q 'IDWATCH_CONFIG=.*nope.json: No such file' e.txt || { cat e.txt; fail "a missing \$IDWATCH_CONFIG is named"; }
expect_rc 1 env IDWATCH_CONFIG= IDWATCH_SYSTEM_CONFIG="$WORK/absent.json" "$IDWATCH" alerts list 2> e.txt
grep -q '\./idwatch-data: no database here' e.txt || { cat e.txt; fail "the embedded default last"; }
echo "ok: configuration search order"

# --- --since / --until: relative or RFC 3339; an alert is listed when its activity overlaps the range
expect_eq "$(cfg alerts list --json --since 1h | users)" "dave" "--since 1h"
expect_eq "$(cfg alerts list --json --since 12h | users)" "carol dave" "--since 12h"
expect_eq "$(cfg alerts list --json --since 30m | users)" "dave" "--since 30m"
expect_eq "$(cfg alerts list --json --since 4d | users)" "bob carol dave" "--since 4d"
expect_eq "$(cfg alerts list --json --until 1h | users)" "bob carol" "--until 1h"
expect_eq "$(cfg alerts list --json --since 2d --until 1h | users)" "carol" "--since 2d --until 1h"
expect_eq "$(cfg alerts list --json --since 2020-01-01T00:00:00Z --until 2d | users)" "bob" "RFC 3339 and 2d"
for bad in yesterday 24 24x -1h; do
    expect_rc 2 cfg alerts list --since "$bad" > out.txt 2> e.txt
    grep -q "since '$bad': expected a duration back from now" e.txt || { cat e.txt; fail "--since $bad"; }
    [ ! -s out.txt ] || fail "--since $bad printed a list"
done
expect_rc 2 cfg alerts list --since 1h --until 2h 2> e.txt
grep -q "since is after --until" e.txt || { cat e.txt; fail "--since after --until"; }
expect_rc 2 cfg alerts list --until 7days 2> e.txt
grep -q "until '7days'" e.txt || { cat e.txt; fail "--until 7days"; }

# --- --ip: any spelling of the address
expect_eq "$(cfg alerts list --json --ip 2001:db8:0:0::7 | users)" "carol" "--ip (IPv6, spelt otherwise)"
expect_eq "$(cfg alerts list --json --ip 198.51.100.7 | users)" "bob" "--ip (IPv4)"
expect_eq "$(cfg alerts list --json --ip 10.0.0.1 | wc -l | tr -d ' ')" 0 "--ip of no alert"
expect_rc 2 cfg alerts list --ip 198.51.100 2> e.txt
grep -q "ip '198.51.100': expected an IPv4 or IPv6 address" e.txt || { cat e.txt; fail "bad --ip"; }

# --- unknown --status and --rule values are refused with the valid ones, never an empty list
# (the rules as rules_dir holds them: the C rules and the shipped Sigma catalogue)
echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$ROOT"'/rules"}' > rules.json
rcfg() { "$IDWATCH" --config "$WORK/rules.json" "$@"; }
expect_rc 2 cfg alerts list --status opened > out.txt 2> e.txt
grep -q "status 'opened': unknown status; valid: open, acknowledged, resolved, false_positive" e.txt ||
    { cat e.txt; fail "--status opened"; }
[ ! -s out.txt ] || fail "--status opened printed a list"
expect_rc 2 rcfg alerts list --rule privilege_grants > out.txt 2> e.txt
grep -q "rule 'privilege_grants': unknown rule; valid: the [0-9]* below" e.txt || { cat e.txt; fail "--rule: no headline"; }
for r in privilege_grant brute_force connector_starved okta_admin_role_granted_to_user; do
    grep -q "rule valid: .*\b$r\b" e.txt || { cat e.txt; fail "--rule: $r not listed"; }
done
[ ! -s out.txt ] || fail "--rule privilege_grants printed a list"
expect_eq "$(rcfg alerts list --json --rule privilege_grant | users)" "bob carol dave" "--rule of a C rule"
expect_eq "$(rcfg alerts list --json --rule okta_admin_role_granted_to_user | wc -l | tr -d ' ')" 0 \
    "--rule of a Sigma name (of a rule the catalogue ships disabled)"
expect_rc 0 rcfg alerts list --rule e32bca28-c767-48d6-9977-3a3ef45a680f > /dev/null
expect_rc 0 rcfg alerts list --rule connector_starved > /dev/null
# a Sigma rule's alerts are found by its name as well as its id
mkdir myrules
cat > myrules/token.yml <<'YML'
title: Test token rule
id: 5c0ffee0-0000-4000-8000-000000000001
name: test_token_created
logsource:
    product: okta
    service: okta
detection:
    selection:
        eventType: system.api_token.create
    condition: selection
level: medium
YML
echo '{"db": "'"$WORK"'/db-sigma", "rules_dir": "'"$WORK"'/myrules"}' > my.json
python3 - > token.jsonl <<'PY'
from oktaev import *
dump_jsonl([event("system.api_token.create", now() - H, person("alice"), targets=[token("00T1", "ci")])])
PY
"$IDWATCH" --config my.json ingest --file token.jsonl > /dev/null
expect_eq "$("$IDWATCH" --config my.json alerts list --json --rule test_token_created | \
    python3 -c 'import json,sys; print([json.loads(l)["rule"] for l in sys.stdin])')" \
    "['5c0ffee0-0000-4000-8000-000000000001']" "--rule NAME lists that Sigma rule's alerts"
expect_rc 2 "$IDWATCH" --config my.json alerts list --rule test_token 2> e.txt
grep -q "rule valid: .*test_token_created" e.txt || { cat e.txt; fail "a Sigma rule listed by its name"; }
expect_eq "$(cfg alerts list --json --status open | users)" "bob carol dave" "--status open"

# --- alert ids by unique prefix: show, ack, resolve, fp, outbox retry
expect_eq "$(cfg alerts show "$(echo "$CAROL" | cut -c1-8)" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["alert_id"])')" \
    "$CAROL" "show by an 8-character prefix"
P4=$(echo "$DAVE" | cut -c1-4 | tr a-f A-F)
cfg alerts ack "$P4" --by "Erin Analyst" > ack.txt
expect_eq "$(cat ack.txt)" "$DAVE: acknowledged" "ack by a 4-character prefix, any case"
expect_rc 2 cfg alerts show "$(echo "$DAVE" | cut -c1-3)" 2> e.txt
grep -q "give at least 4 characters" e.txt || { cat e.txt; fail "a 3-character prefix"; }
expect_rc 4 cfg alerts show "zz$DAVE" 2> e.txt
grep -q "no alert: alert id 'zz.*': expected hex digits" e.txt || { cat e.txt; fail "a prefix that is no id"; }
NONE=00000000; [ "${BOB#$NONE}" = "$BOB" ] && [ "${CAROL#$NONE}" = "$CAROL" ] && [ "${DAVE#$NONE}" = "$DAVE" ] || NONE=ffffffff
expect_rc 4 cfg alerts resolve "$NONE" 2> e.txt
grep -q "no alert $NONE" e.txt || { cat e.txt; fail "an unknown prefix"; }
if command -v mdb_load > /dev/null; then
    # a second alert whose id shares bob's first 13 characters (written with lmdb-utils' mdb_load)
    TWIN=$(echo "$BOB" | cut -c1-13)-0000-0000-000000000000
    mdb_dump -p -s alerts "$WORK/db" | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
head = [l for l in lines[:lines.index("HEADER=END") + 1] if not l.startswith(("db_pagesize=", "mapsize="))]
body = lines[lines.index("HEADER=END") + 1:]
for k, v in zip(body[0::2], body[1::2]):
    if sys.argv[1] in k:
        print("\n".join(head)); print(k.replace(sys.argv[1], sys.argv[2])); print(v.replace(sys.argv[1], sys.argv[2]))
        print("DATA=END")' "$BOB" "$TWIN" | mdb_load -s alerts "$WORK/db"
    expect_rc 2 cfg alerts fp "$(echo "$BOB" | cut -c1-8)" 2> e.txt
    grep -q "is ambiguous: 2 alerts start with it: .*$TWIN.*; type more of it" e.txt || { cat e.txt; fail "ambiguous prefix"; }
    grep -q "$BOB" e.txt || fail "ambiguous: $BOB not listed"
    expect_rc 2 cfg outbox retry "$(echo "$BOB" | cut -c1-9)" 2> e.txt
    grep -q "is ambiguous" e.txt || { cat e.txt; fail "outbox retry: ambiguous prefix"; }
    cfg alerts fp "$(echo "$BOB" | cut -c1-15)" --note n > fp.txt
    expect_eq "$(cat fp.txt)" "$BOB: false_positive" "fp by the longer, unique prefix"
else
    echo "skip: mdb_load (lmdb-utils) not installed: ambiguous prefixes"
fi
# (9 characters: with the '-', never digits only, which would be a sequence number)
expect_eq "$(cfg outbox retry "$(echo "$CAROL" | cut -c1-9)")" "1 deliveries due now" "outbox retry by prefix"
expect_rc 4 cfg outbox retry "$NONE" > /dev/null 2>&1

# --- who reviewed: --by, else the login user, else $USER (no passwd entry), else uid:N
expect_eq "$(cfg alerts show "$DAVE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["history"][-1]["by"])')" \
    "Erin Analyst" "--by recorded"
cfg alerts resolve "$DAVE" > /dev/null
expect_eq "$(cfg alerts show "$DAVE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["history"][-1]["by"])')" \
    "$(id -un)" "the login user by default"
expect_eq "$(cfg alerts list --json --status resolved | users)" "dave" "--status resolved"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null && ! getent passwd 54321 > /dev/null; then
    cp -r db db-shared && chmod 777 db-shared && chmod 666 db-shared/*
    echo '{"db": "'"$WORK"'/db-shared"}' > shared.json && chmod 755 "$WORK" && chmod 644 shared.json
    USER=erin setpriv --reuid 54321 --regid 54321 --clear-groups "$IDWATCH" --config "$WORK/shared.json" \
        alerts ack "$CAROL" > /dev/null
    env -u USER setpriv --reuid 54321 --regid 54321 --clear-groups "$IDWATCH" --config "$WORK/shared.json" \
        alerts resolve "$CAROL" > /dev/null
    expect_eq "$("$IDWATCH" --db db-shared alerts show "$CAROL" --json |
        python3 -c 'import json,sys; print([h["by"] for h in json.load(sys.stdin)["history"]])')" \
        "['erin', 'uid:54321']" "no passwd entry: \$USER, else uid:N"
else
    echo "skip: not root, or no setpriv: the fallbacks for a user without a passwd entry"
fi

# --- a database this user may not open is said so, never "no database here"
if [ "$(id -u)" = 0 ] && command -v runuser > /dev/null; then
    cp -r db db-ro && chmod 755 "$WORK" db-ro && chmod 644 db-ro/*
    expect_rc 1 runuser -u nobody -- "$IDWATCH" --db "$WORK/db-ro" alerts list > /dev/null 2> e.txt
    grep -q "db-ro/lock.mdb: permission denied: every reader of the database writes its lock file" e.txt ||
        { cat e.txt; fail "unwritable lock file"; }
    expect_rc 1 runuser -u nobody -- "$IDWATCH" --db "$WORK/db-ro" alerts ack "$CAROL" > /dev/null 2> e.txt
    grep -q "db-ro/data.mdb: permission denied: run idwatch as the user that owns the database" e.txt ||
        { cat e.txt; fail "unwritable database"; }
    ! grep -q 'no database here' e.txt || fail "an unopenable database reported as absent"
    echo "ok: a database this user may not open is said so"
else
    echo "skip: not root: permissions"
fi

# --- --help never acts: every command and subcommand against this database (pending deliveries)
sum() { sha256sum "$WORK/db/data.mdb" | cut -d' ' -f1; }
cfg outbox list --json > outbox.before
before=$(sum)
[ "$(wc -l < outbox.before)" -ge 2 ] || fail "the outbox holds the deliveries --help must not touch"
for c in "ingest --file grants.jsonl" "run" "run --once" "backfill --days 3" "okta test-connection" \
         "okta resume default" "status" "metrics" "persona list" "persona show bob@acme.example" \
         "alerts list --since 1h" "alerts show $CAROL" "alerts ack $CAROL --note n" "alerts resolve $CAROL" \
         "alerts fp $CAROL" "rules list" "rules validate" "rules test privilege_grant" \
         "outbox list" "outbox retry --all" "outbox retry $CAROL" "outbox deliver" "horizon" "horizon --repair"; do
    for h in --help -h; do
        # shellcheck disable=SC2086
        cfg $c $h > help.out 2>&1 || { rc=$?; cat help.out; fail "$c $h: exit $rc"; }
        grep -q "^usage: idwatch" help.out || { cat help.out; fail "$c $h: no usage"; }
    done
done
cfg outbox list --json > outbox.after
cmp -s outbox.before outbox.after || fail "--help changed the outbox"
expect_eq "$(sum)" "$before" "data.mdb after every --help"
echo "ok: --help never acts"
