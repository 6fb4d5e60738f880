# Incidents (docs/alerts.md): one account takeover told by several rules is one incident.
# The help desk (hd) resets alice's factors; a new factor is enrolled from Romania and
# used to sign in; alice opens the Admin Console from there, creates an API token, and
# grants Super Admin to bob.  Every alert of that story (factor_reset about alice with hd
# as actor, the Sigma API-token alert, privilege_grant filed under bob with alice as
# actor) lands in one incident, raised to critical as a completed takeover; carl's
# unrelated factor enrolled from Brazil is an incident of its own.  `alerts list
# --actor alice` finds the grant filed under bob.  A webhook with "incidents": true
# receives every incident version as {"type":"incident"} keyed incident_id:version,
# versions strictly increasing, and every alert payload carries its incident_id.
. "$ROOT/tests/soar_sim/soar_lib.sh"
soar_secret "$WORK/secret"
soar_start "$WORK/soar" --secret-file "$WORK/secret"
trap 'soar_stop "$WORK/soar"' EXIT
cat > cfg.json <<JSON
{"db": "$WORK/db", "rules_dir": "$ROOT/rules",
 "webhooks": [{"name": "soar", "url": "$SOAR_URL/hooks", "secret_file": "$WORK/secret",
               "ca_file": "$WORK/certs/ca.pem", "min_severity": "low", "incidents": true,
               "retry_base_s": 0.05, "retry_cap_s": 0.2}]}
JSON
python3 - <<'PY' > scen.jsonl
from oktaev import *
OFFICE = net("86.40.1.%d", 5466, "eircom", "Dublin", "Ireland", 53.35, -6.26)
RO = net("185.220.101.%d", 64500, "bulletproof hosting", "Bucharest", "Romania", 44.43, 26.1)
BR = net("177.71.4.%d", 64503, "claro", "Sao Paulo", "Brazil", -23.55, -46.63)
USERS = ["hd", "alice", "bob", "carl"]
WIN = user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/126.0", "Windows 10", "CHROME")
def ctx(who, where):
    return dict(net=where.at(10 + USERS.index(who)), user_agent=WIN, session_id="idx-" + who,
                dt="dt-" + who if where is OFFICE else "dt-" + who + "-away")
out = []
for u in USERS:
    for d in range(12):
        out.append(event("user.session.start", BASE + d * D + USERS.index(u) * M, person(u),
                         targets=[person(u)], **ctx(u, OFFICE)))
A = BASE + 12 * D + 9 * H
alice = person("alice")
out += [
    factor_reset_all(person("hd"), A, alice, **ctx("hd", OFFICE)),
    factor_enroll(alice, A + 2 * H, **ctx("alice", RO)),
    event("user.session.start", A + 2 * H + 5 * M, alice, targets=[alice], **ctx("alice", RO)),
    event("user.session.access_admin_app", A + 2 * H + 8 * M, alice, targets=[app("Okta Admin Console")],
          **ctx("alice", RO)),
    event("system.api_token.create", A + 2 * H + 10 * M, alice, targets=[token("00Tmal", "backup-sync")],
          display_message="Create API token", **ctx("alice", RO)),
    role_grant(alice, A + 2 * H + 15 * M, person("bob"), "SUPER_ADMIN", "Super Administrator",
               **ctx("alice", RO)),
    factor_enroll(person("carl"), A + 3 * H, factor="FIDO_WEBAUTHN", **ctx("carl", BR)),
]
dump_jsonl(out)
PY
idw_c() { "$IDWATCH" --config cfg.json "$@"; }
idw_c ingest --file scen.jsonl > ingest.out 2>&1 || { cat ingest.out; fail "ingest"; }
idw_c alerts list --json > alerts.jsonl
idw_c incidents list --json > incidents.jsonl
cat incidents.jsonl
jlines alerts.jsonl '"\n".join("%s %s user=%s actor=%s inc=%s" % (r["rule"], r["severity"], r["user"], r["actor"], r["incident_id"]) for r in rows)'

# every alert belongs to an incident, and alice's story is one incident with bob's grant in it
expect_eq "$(jlines alerts.jsonl 'all(r["incident_id"] for r in rows)')" True "every alert carries its incident_id"
INC=$(jlines alerts.jsonl '[r["incident_id"] for r in rows if r["rule"] == "factor_reset" and r["user"].startswith("alice@")][0]')
expect_eq "$(jlines alerts.jsonl 'sorted({r["user"].split("@")[0] for r in rows if r["incident_id"] == "'"$INC"'"})')" \
    "['alice', 'bob']" "alice's and bob's alerts share alice's incident"
expect_eq "$(jlines alerts.jsonl 'sorted(r["rule"] for r in rows if r["incident_id"] == "'"$INC"'")' | tr -d "'" | grep -c privilege_grant)" 1 \
    "the grant filed under bob is in alice's incident"
expect_eq "$(jlines alerts.jsonl '[r["incident_id"] == "'"$INC"'" for r in rows if r["summary"].startswith("Okta API Token Created")]')" "[True]" \
    "the API-token alert (Sigma) is in alice's incident"
expect_eq "$(jlines alerts.jsonl '[r["incident_id"] != "'"$INC"'" for r in rows if r["user"].startswith("carl@")]')" "[True]" \
    "carl's unrelated alert is an incident of its own"
expect_eq "$(jlines incidents.jsonl 'len(rows)')" 2 "two incidents"
expect_eq "$(jlines incidents.jsonl '[(r["severity"], r["takeover"], r["status"], r["title"], r["alert_count"]) for r in rows if r["incident_id"] == "'"$INC"'"][0]')" \
    "$(jlines alerts.jsonl '("critical", True, "open", "Account takeover: alice@acme.example", sum(1 for r in rows if r["incident_id"] == "'"$INC"'"))')" \
    "alice's incident: a critical account takeover, open, with all its alerts"
expect_eq "$(jlines incidents.jsonl 'sorted(p["user"].split("@")[0] for r in rows if r["incident_id"] == "'"$INC"'" for p in r["people"])')" \
    "['alice', 'bob', 'hd']" "its people: alice, the help desk who reset her, bob whom she granted"
expect_eq "$(jlines incidents.jsonl '[r["takeover"] for r in rows if r["incident_id"] != "'"$INC"'"]')" "[False]" \
    "carl's incident is no takeover"

# --actor finds the grant filed under bob; --user alice does not
expect_eq "$(idw_c alerts list --actor alice@acme.example --json | jlines /dev/stdin '[(r["rule"], r["user"]) for r in rows]')" \
    "[('privilege_grant', 'bob@acme.example')]" "alerts list --actor alice: the grant she made"
expect_eq "$(idw_c alerts list --user alice@acme.example --json | jlines /dev/stdin 'any(r["rule"] == "privilege_grant" for r in rows)')" \
    False "alerts list --user alice: not the grant (it is about bob)"
expect_eq "$(idw_c alerts list --actor hd@acme.example --json | jlines /dev/stdin '[(r["rule"], r["user"]) for r in rows]')" \
    "[('factor_reset', 'alice@acme.example')]" "alerts list --actor hd: the reset"

# incidents show: the timeline and the alerts as they are now
idw_c incidents show "$INC" --json > show.json
expect_eq "$(jget show.json 'sorted(a["alert_id"] for a in j["alerts"]) == sorted(j["alert_ids"]) and len(j["timeline"]) >= len(j["alert_ids"])')" True \
    "show: its alerts and a timeline entry each"
expect_eq "$(jget show.json '[(t["rule"], t["user"]) for t in j["timeline"]][-1]')" "('privilege_grant', 'bob@acme.example')" \
    "show: the timeline ends with the grant, about bob"
expect_rc 4 idw_c incidents show 00000000-0000-0000-0000-000000000000
expect_rc 2 idw_c incidents list --status maybe

# the SOAR receives incident versions, and alert payloads with their incident_id
idw_c outbox deliver > deliver.out 2>&1 || { cat deliver.out; fail "deliver"; }
R=$WORK/soar/requests.jsonl
expect_eq "$(jlines "$R" 'all(r["status"] == 200 for r in rows)')" True "every delivery accepted"
expect_eq "$(jlines "$R" 'sorted({r["body"]["incident_id"] for r in rows if r["format"] == "incident"})')" \
    "$(jlines incidents.jsonl 'sorted(r["incident_id"] for r in rows)')" "every incident delivered"
expect_eq "$(jlines "$R" 'max(r["body"]["version"] for r in rows if r["format"] == "incident" and r["body"]["incident_id"] == "'"$INC"'")')" \
    "$(jlines incidents.jsonl '[r["version"] for r in rows if r["incident_id"] == "'"$INC"'"][0]')" "alice's incident arrives at its newest version"
expect_eq "$(jlines "$R" 'all(r["idempotency_key"] == "%s:%d" % (r["body"]["incident_id"], r["body"]["version"]) for r in rows if r["format"] == "incident")')" \
    True "incident Idempotency-Key incident_id:version"
expect_eq "$(jlines "$R" 'all(r["body"].get("incident_id") for r in rows if r["format"] == "native")')" True \
    "alert payloads carry incident_id"
versions_increase "$R"

# a review moves the incident: resolving every alert of carl's incident resolves it, a new version
CINC=$(jlines incidents.jsonl '[r["incident_id"] for r in rows if r["incident_id"] != "'"$INC"'"][0]')
CV=$(jlines incidents.jsonl '[r["version"] for r in rows if r["incident_id"] == "'"$CINC"'"][0]')
for a in $(jlines alerts.jsonl '" ".join(r["alert_id"] for r in rows if r["incident_id"] == "'"$CINC"'")'); do
    idw_c alerts resolve "$a" --by tester > /dev/null
done
idw_c incidents show "$CINC" --json > carl.json
expect_eq "$(jget carl.json '(j["status"], j["open_alerts"], j["version"])')" "('resolved', 0, $((CV + 1)))" \
    "carl's incident resolved with its alert, one version later"
expect_eq "$(idw_c incidents list --status open --json | jlines /dev/stdin '[r["incident_id"] for r in rows]')" "['$INC']" \
    "incidents list --status open"

# incidents on an OCSF webhook are refused with where
cat > bad.json <<JSON
{"db": "$WORK/db2", "webhooks": [{"url": "https://127.0.0.1:1/x", "secret_file": "$WORK/secret",
  "format": "ocsf", "incidents": true}]}
JSON
set +e; "$IDWATCH" --config bad.json ingest --file scen.jsonl > bad.out 2>&1; rc=$?; set -e
expect_eq "$rc" 1 "an OCSF webhook with incidents is refused"
grep -q 'webhooks\[0\].incidents: incidents are delivered in the native format only' bad.out || { cat bad.out; fail "the error names the setting"; }
