# Panther's public rule tests as regression fixtures (data/corpus/panther-analysis,
# Apache-2.0, data/SOURCES.md): each in-scope match set, ingested alone into a
# fresh database with every shipped rule on (C rules and the Sigma catalogue),
# raises an alert; each in-scope no-match set raises none at medium or above.
# The events are data-lake shaped (lower-case keys, "YYYY-MM-DD HH:MM:SS.fff",
# no uuid, often no outcome): the replay accepts them as they are.
#
# In scope: the ideas idwatch covers.  Out of scope, with the reason:
#   brute_force_by_ip/user, impossible_travel_login, okta_potentially_stolen_session:
#       one or two events, where Panther's rule reads a counter or a cache kept
#       outside the event; idwatch's windows need the events themselves
#   okta_login_signal, okta_sso_to_aws, okta_rate_limits, sign_in_from_rogue_state,
#   okta_login_without_push_marker, okta_anonymizing_vpn_login: org-specific policy
#       or informational signals, not detections idwatch ships
#   okta_idp_signin: the event names no identity provider (authenticationContext.issuer),
#       which is what idwatch's "IdP first seen" judges
#   mfa_disabled, okta_user_mfa_reset: a user removing their own factor is routine
#       (factor_reset judges it in context; a bare match is the noisy rule peers regret)
#   okta_group_admin_role_assigned, okta_org2org_creation_modification: the match events'
#       outcome is FAILURE or CHALLENGE (the change did not happen); Panther's rules ignore
#       the outcome, idwatch's alert on changes made (an absent outcome still matches)
#   okta_new_behavior_accessing_admin_console: Okta's behaviour flags on
#       policy.evaluate_sign_on; idwatch judges Admin Console access against the persona
. "$ROOT/tests/integration/lib.sh"
CORPUS="$ROOT/data/corpus/panther-analysis"
MATCH="okta_account_support_access okta_admin_disabled_mfa okta_admin_role_assigned okta_api_key_created
okta_api_key_revoked okta_app_refresh_access_token_reuse okta_app_unauthorized_access_attempt
okta_idp_create_modify okta_password_accessed
okta_password_extraction_via_scim okta_phishing_attempt_blocked_by_fastpass okta_support_reset
okta_threatinsight_security_threat_detected okta_user_account_locked okta_user_mfa_factor_suspend
okta_user_mfa_reset_all okta_user_reported_suspicious_activity"
NOMATCH="$MATCH okta_idp_signin okta_new_behavior_accessing_admin_console okta_group_admin_role_assigned
okta_org2org_creation_modification"

# alerts_of FILE: the alerts one set raises alone, as "severity:rule" words
alerts_of() {
    rm -rf db
    echo '{"db": "'"$WORK"'/db", "rules_dir": "'"$ROOT"'/rules"}' > cfg.json
    "$IDWATCH" --config cfg.json ingest --file "$1" > /dev/null 2>&1 || true
    "$IDWATCH" --config cfg.json alerts list --json | python3 -c '
import json, sys
print(" ".join("%s:%s" % (r["severity"], r["rule"]) for r in map(json.loads, sys.stdin) if r))'
}
bad=0
for t in $MATCH; do
    got=$(alerts_of "$CORPUS/$t.match.jsonl")
    if [ -n "$got" ]; then echo "ok: $t.match: $got"; else echo "FAIL: $t.match raised no alert"; bad=$((bad + 1)); fi
done
for t in $NOMATCH; do
    [ -f "$CORPUS/$t.nomatch.jsonl" ] || continue
    loud=$(alerts_of "$CORPUS/$t.nomatch.jsonl" | tr ' ' '\n' | grep -E '^(medium|high|critical):' || true)
    if [ -z "$loud" ]; then echo "ok: $t.nomatch: nothing at medium+"; else echo "FAIL: $t.nomatch: $loud"; bad=$((bad + 1)); fi
done
expect_eq "$bad" "0" "Panther rule tests out of line"
