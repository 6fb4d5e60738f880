/*
 * rules.c — the registry of rule modules.  Adding a rule is adding its
 * file (src/rules/rule_<id>.c) and one line here.
 */
#include "rules/rule.h"

extern const struct idw_rule idw_rule_impossible_travel;
extern const struct idw_rule idw_rule_mfa_fatigue;
extern const struct idw_rule idw_rule_password_spray, idw_rule_slow_spray;
extern const struct idw_rule idw_rule_brute_force;
extern const struct idw_rule idw_rule_new_context;
extern const struct idw_rule idw_rule_okta_threat, idw_rule_session_hijack;
extern const struct idw_rule idw_rule_privilege_grant, idw_rule_factor_reset;

const struct idw_rule *const idw_rule_table[] = {
    &idw_rule_impossible_travel,
    &idw_rule_mfa_fatigue,
    &idw_rule_password_spray, &idw_rule_slow_spray,
    &idw_rule_brute_force,
    &idw_rule_new_context,
    &idw_rule_okta_threat, &idw_rule_session_hijack,
    &idw_rule_privilege_grant, &idw_rule_factor_reset,
    NULL,
};
