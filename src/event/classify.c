/*
 * classify.c — the classification table: every Okta eventType idwatch
 * ingests, with its TOTAL class, signal type and flags.  This is the one
 * place to add an event type.  Keep it sorted by okta_type (strcmp order);
 * test_normalize.c's test_table_sorted_and_complete fails otherwise.
 *
 * The types come from the TOTAL connector's tables (docs/schema.md lists
 * them), the ones the detection rules need (push, deny, lockout,
 * privilege, risk, session context, impersonation, device enrollment), and
 * the admin plane declarative rules match (identity providers, policies,
 * zones, API tokens, log streams, hooks, OAuth clients, roles, org-wide
 * MFA and threat settings), each checked against Okta's list of event
 * types.  IDW_K_ON_TARGET only where the target is a User.
 */
#include "event/classify.h"

#include <stdlib.h>
#include <string.h>

#define CORE IDW_SIGNAL_CORE_IAM
#define MFA  IDW_SIGNAL_MFA_DEVICE_TRUST

/* One row: type, class, signal, category (names without their IDW_CLASS_ / IDW_CAT_ prefix), flags. */
#define K(type, cls_, signal_, category_, flags_) \
    {.okta_type = (type), .cls = IDW_CLASS_##cls_, .signal = (signal_), .category = IDW_CAT_##category_, \
     .flags = (flags_)}

static const struct idw_kind kinds[] = {
    K("app.generic.unauth_app_access_attempt", ALERT, CORE, THREAT, IDW_K_SSO),
    K("app.oauth2.as.token.detect_reuse", ALERT, CORE, THREAT, IDW_K_THREAT),
    K("app.oauth2.as.token.grant", AUTH, CORE, OAUTH, 0),
    K("app.oauth2.client.lifecycle.activate", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.client.lifecycle.create", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.client.lifecycle.deactivate", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.client.lifecycle.delete", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.client.lifecycle.update", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.client.privilege.grant", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_CONFIG),
    K("app.oauth2.client.privilege.revoke", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("app.oauth2.client.read_client_secret", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.token.detect_reuse", ALERT, CORE, THREAT, IDW_K_THREAT),
    K("app.oauth2.trusted_server.add", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.oauth2.trusted_server.delete", ADMIN, CORE, OAUTH, IDW_K_CONFIG),
    K("app.user_management.assign_user_to_app", ADMIN, CORE, ACCOUNT, IDW_K_ON_TARGET),
    K("app.user_management.deactivate_user", ADMIN, CORE, ACCOUNT, IDW_K_ON_TARGET),
    K("application.lifecycle.activate", ADMIN, CORE, APP, IDW_K_CONFIG),
    K("application.lifecycle.create", ADMIN, CORE, APP, IDW_K_CONFIG),
    K("application.lifecycle.deactivate", ADMIN, CORE, APP, IDW_K_CONFIG),
    K("application.lifecycle.delete", ADMIN, CORE, APP, IDW_K_CONFIG),
    K("application.lifecycle.update", ADMIN, CORE, APP, IDW_K_CONFIG),
    K("application.policy.sign_on.rule.create", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("application.policy.sign_on.rule.delete", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("application.policy.sign_on.update", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("application.provision.user.push", ADMIN, CORE, ACCOUNT, IDW_K_ON_TARGET),
    K("application.user_membership.show_password", ADMIN, CORE, CREDENTIAL, 0),
    K("device.enrollment.create", AUTH, MFA, FACTOR, IDW_K_DEVICE | IDW_K_ENROLL),
    K("device.user.add", AUTH, MFA, FACTOR, IDW_K_DEVICE | IDW_K_ON_TARGET | IDW_K_ENROLL),
    K("event_hook.activated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("event_hook.created", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("event_hook.deactivated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("event_hook.deleted", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("event_hook.updated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("event_hook.verified", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("group.privilege.grant", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_GROUP),
    K("group.privilege.revoke", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_GROUP),
    K("group.user_membership.add", ADMIN, CORE, ACCOUNT, IDW_K_ON_TARGET | IDW_K_GRANT | IDW_K_GROUP),
    K("group.user_membership.remove", ADMIN, CORE, ACCOUNT, IDW_K_ON_TARGET | IDW_K_GROUP),
    K("iam.resourceset.bindings.add", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_CONFIG),
    K("iam.resourceset.bindings.delete", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.resourceset.create", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.resourceset.delete", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.resourceset.resources.add", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.resourceset.resources.delete", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.resourceset.update", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.role.create", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.role.delete", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.role.permissions.add", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.role.permissions.delete", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("iam.role.update", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_CONFIG),
    K("inline_hook.activated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("inline_hook.created", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("inline_hook.deactivated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("inline_hook.deleted", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("inline_hook.updated", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("inline_hook.verified", ADMIN, CORE, HOOK, IDW_K_CONFIG),
    K("network_zone.rule.disabled", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("policy.evaluate_sign_on", AUTH, CORE, AUTH, IDW_K_POLICY),
    K("policy.lifecycle.activate", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.lifecycle.create", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.lifecycle.deactivate", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.lifecycle.delete", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.lifecycle.overwrite", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.lifecycle.update", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.rule.activate", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.rule.add", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.rule.deactivate", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.rule.delete", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("policy.rule.update", ADMIN, CORE, POLICY, IDW_K_CONFIG),
    K("security.attack.end", ALERT, CORE, THREAT, IDW_K_THREAT),
    K("security.attack.start", ALERT, CORE, THREAT, IDW_K_THREAT),
    K("security.attack_protection.settings.update", ADMIN, CORE, THREAT_CONFIG, IDW_K_CONFIG),
    K("security.authenticator.lifecycle.activate", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("security.authenticator.lifecycle.create", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("security.authenticator.lifecycle.deactivate", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("security.authenticator.lifecycle.update", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("security.behavior.settings.create", ADMIN, CORE, THREAT_CONFIG, IDW_K_CONFIG),
    K("security.behavior.settings.delete", ADMIN, CORE, THREAT_CONFIG, IDW_K_CONFIG),
    K("security.behavior.settings.update", ADMIN, CORE, THREAT_CONFIG, IDW_K_CONFIG),
    K("security.breached_credential.detected", ALERT, CORE, THREAT,
      IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_BREACH),
    K("security.protected_action.settings.update", ADMIN, CORE, MFA_CONFIG, IDW_K_CONFIG),
    K("security.request.blocked", ALERT, CORE, THREAT, IDW_K_THREAT | IDW_K_BLOCKED),
    K("security.session.detect_client_roaming", ALERT, CORE, THREAT, IDW_K_THREAT | IDW_K_SESSION),
    K("security.threat.configuration.update", ADMIN, CORE, THREAT_CONFIG, IDW_K_CONFIG),
    K("security.threat.detected", ALERT, CORE, THREAT, IDW_K_THREAT | IDW_K_THREAT_IP),
    K("security.trusted_origin.activate", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("security.trusted_origin.create", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("security.trusted_origin.deactivate", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("security.trusted_origin.delete", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("security.trusted_origin.update", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("security.zone.make_blacklist", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("security.zone.remove_blacklist", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("system.api_token.create", ADMIN, CORE, API_TOKEN,
      IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_API_TOKEN | IDW_K_CONFIG),
    K("system.api_token.enable", ADMIN, CORE, API_TOKEN, IDW_K_API_TOKEN | IDW_K_CONFIG),
    K("system.api_token.request_outside_allowed_range", ALERT, CORE, API_TOKEN, IDW_K_API_TOKEN),
    K("system.api_token.revoke", ADMIN, CORE, API_TOKEN, IDW_K_API_TOKEN | IDW_K_CONFIG),
    K("system.api_token.update", ADMIN, CORE, API_TOKEN, IDW_K_API_TOKEN | IDW_K_CONFIG),
    K("system.email.password_reset.sent_message", AUTH, CORE, MESSAGE, 0),
    K("system.idp.key.create", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.key.delete", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.key.update", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.activate", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.create", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.deactivate", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.delete", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.read_client_secret", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.idp.lifecycle.update", ADMIN, CORE, IDP, IDW_K_CONFIG),
    K("system.log_stream.lifecycle.activate", ADMIN, CORE, LOG_STREAM, IDW_K_CONFIG),
    K("system.log_stream.lifecycle.create", ADMIN, CORE, LOG_STREAM, IDW_K_CONFIG),
    K("system.log_stream.lifecycle.deactivate", ADMIN, CORE, LOG_STREAM, IDW_K_CONFIG),
    K("system.log_stream.lifecycle.delete", ADMIN, CORE, LOG_STREAM, IDW_K_CONFIG),
    K("system.log_stream.lifecycle.update", ADMIN, CORE, LOG_STREAM, IDW_K_CONFIG),
    K("system.mfa.factor.activate", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("system.mfa.factor.deactivate", ADMIN, MFA, MFA_CONFIG, IDW_K_CONFIG),
    K("system.org.captcha.activate", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("system.org.captcha.deactivate", ADMIN, CORE, ORG, IDW_K_CONFIG),
    K("system.push.send_factor_verify_push", AUTH, MFA, AUTH, IDW_K_PUSH),
    K("system.sms.send_account_unlock_message", AUTH, MFA, MESSAGE, 0),
    K("system.sms.send_factor_verify_message", AUTH, MFA, MESSAGE, 0),
    K("system.sms.send_okta_push_verify_message", AUTH, MFA, MESSAGE, 0),
    K("system.sms.send_password_reset_message", AUTH, MFA, MESSAGE, 0),
    K("system.sms.send_phone_verification_message", AUTH, MFA, MESSAGE, 0),
    K("user.account.lock", AUTH, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_LOCKOUT),
    K("user.account.lock.limit", AUTH, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_LOCKOUT),
    K("user.account.privilege.grant", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_ON_TARGET | IDW_K_GRANT),
    K("user.account.privilege.revoke", ADMIN, CORE, ROLE, IDW_K_PRIVILEGE | IDW_K_ON_TARGET),
    K("user.account.report_suspicious_activity_by_enduser", ALERT, MFA, THREAT,
      IDW_K_THREAT | IDW_K_USER_REPORT),
    K("user.account.reset_password", ADMIN, CORE, CREDENTIAL,
      IDW_K_CREDENTIAL | IDW_K_ON_TARGET | IDW_K_RESET),
    K("user.account.unlock", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.account.unlock_by_admin", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.account.unlock_token", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.account.update_password", AUTH, CORE, CREDENTIAL, IDW_K_CREDENTIAL | IDW_K_ON_TARGET),
    K("user.authentication.auth_via_IDP", AUTH, CORE, AUTH, IDW_K_SIGNIN),
    K("user.authentication.auth_via_inbound_SAML", AUTH, CORE, AUTH, IDW_K_SIGNIN),
    K("user.authentication.auth_via_mfa", AUTH, MFA, AUTH, IDW_K_MFA),
    K("user.authentication.auth_via_radius", AUTH, CORE, AUTH, IDW_K_SIGNIN),
    K("user.authentication.auth_via_social", AUTH, CORE, AUTH, IDW_K_SIGNIN),
    K("user.authentication.sso", AUTH, CORE, AUTH, IDW_K_SSO),
    K("user.authentication.verify", AUTH, MFA, AUTH, IDW_K_MFA),
    K("user.lifecycle.activate", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.lifecycle.create", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.lifecycle.deactivate", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.lifecycle.delete.initiated", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.lifecycle.suspend", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.lifecycle.unsuspend", ADMIN, CORE, ACCOUNT, IDW_K_LIFECYCLE | IDW_K_ON_TARGET),
    K("user.mfa.attempt_bypass", AUTH, MFA, THREAT, IDW_K_MFA | IDW_K_THREAT),
    K("user.mfa.factor.activate", AUTH, MFA, FACTOR, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_ENROLL),
    K("user.mfa.factor.deactivate", AUTH, MFA, FACTOR,
      IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_FACTOR_REMOVE),
    K("user.mfa.factor.reset_all", AUTH, MFA, FACTOR, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_RESET),
    K("user.mfa.factor.suspend", AUTH, MFA, FACTOR, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET),
    K("user.mfa.factor.unsuspend", AUTH, MFA, FACTOR, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET),
    K("user.mfa.factor.update", AUTH, MFA, FACTOR, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET),
    K("user.mfa.okta_verify.deny_push", AUTH, MFA, AUTH, IDW_K_PUSH | IDW_K_MFA | IDW_K_PUSH_DENY),
    K("user.risk.change", ALERT, CORE, THREAT, IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_RISK),
    K("user.risk.detect", ALERT, CORE, THREAT, IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_RISK),
    K("user.session.access_admin_app", AUTH, CORE, SESSION, IDW_K_ADMIN_ACCESS),
    K("user.session.clear", AUTH, CORE, SESSION, IDW_K_SESSION | IDW_K_ON_TARGET),
    K("user.session.context.change", AUTH, CORE, SESSION, IDW_K_SESSION | IDW_K_THREAT),
    K("user.session.end", AUTH, CORE, SESSION, IDW_K_SESSION),
    K("user.session.impersonation.end", ADMIN, CORE, IMPERSONATION, IDW_K_IMPERSONATION),
    K("user.session.impersonation.extend", ADMIN, CORE, IMPERSONATION, IDW_K_PRIVILEGE | IDW_K_IMPERSONATION),
    K("user.session.impersonation.grant", ADMIN, CORE, IMPERSONATION,
      IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_IMPERSONATION),
    K("user.session.impersonation.initiate", ADMIN, CORE, IMPERSONATION,
      IDW_K_PRIVILEGE | IDW_K_ON_TARGET | IDW_K_GRANT | IDW_K_IMPERSONATION),
    K("user.session.impersonation.revoke", ADMIN, CORE, IMPERSONATION, IDW_K_IMPERSONATION),
    K("user.session.start", AUTH, CORE, AUTH, IDW_K_SIGNIN | IDW_K_SESSION),
    K("zone.activate", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.create", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.deactivate", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.delete", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.make_blacklist", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.remove_blacklist", ADMIN, CORE, ZONE, IDW_K_CONFIG),
    K("zone.update", ADMIN, CORE, ZONE, IDW_K_CONFIG),
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static int kind_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct idw_kind *)elem)->okta_type);
}

const struct idw_kind *idw_classify(const char *okta_type)
{
    if (!okta_type)
        return NULL;
    return bsearch(okta_type, kinds, NKINDS, sizeof kinds[0], kind_cmp);
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Unlisted types by prefix (in okta_type), most specific first; the first
 * match wins.  The classes are those of the listed types of each prefix.
 */
static const struct idw_kind fallbacks[] = {
    K("user.session.impersonation.", ADMIN, CORE, IMPERSONATION, 0),
    K("user.session.", AUTH, CORE, SESSION, 0),
    K("user.authentication.", AUTH, CORE, AUTH, 0),
    K("user.mfa.", AUTH, MFA, FACTOR, 0),
    K("user.lifecycle.", ADMIN, CORE, ACCOUNT, 0),
    K("user.account.privilege.", ADMIN, CORE, ROLE, 0),
    K("user.account.", ADMIN, CORE, ACCOUNT, 0),
    K("group.privilege.", ADMIN, CORE, ROLE, 0),
    K("group.", ADMIN, CORE, ACCOUNT, 0),
    K("iam.", ADMIN, CORE, ROLE, 0),
    K("app.oauth2.client.privilege.", ADMIN, CORE, ROLE, 0),
    K("app.oauth2.", ADMIN, CORE, OAUTH, 0),
    K("application.policy.", ADMIN, CORE, POLICY, 0),
    K("application.", ADMIN, CORE, APP, 0),
    K("app.", ADMIN, CORE, APP, 0),
    K("policy.", ADMIN, CORE, POLICY, 0),
    K("zone.", ADMIN, CORE, ZONE, 0),
    K("network_zone.", ADMIN, CORE, ZONE, 0),
    K("security.zone.", ALERT, CORE, ZONE, 0),
    K("security.threat.configuration", ALERT, CORE, THREAT_CONFIG, 0),
    K("security.authenticator.", ALERT, MFA, MFA_CONFIG, 0),
    K("security.trusted_origin.", ALERT, CORE, ORG, 0),
    K("security.", ALERT, CORE, THREAT, 0),
    K("system.idp.", ADMIN, CORE, IDP, 0),
    K("system.api_token.", ADMIN, CORE, API_TOKEN, 0),
    K("system.log_stream.", ADMIN, CORE, LOG_STREAM, 0),
    K("system.mfa.", ADMIN, MFA, MFA_CONFIG, 0),
    K("system.email.", AUTH, CORE, MESSAGE, 0),
    K("system.sms.", AUTH, MFA, MESSAGE, 0),
    K("system.voice.", AUTH, MFA, MESSAGE, 0),
    K("system.", ADMIN, CORE, OTHER, 0),
    K("event_hook.", ADMIN, CORE, HOOK, 0),
    K("inline_hook.", ADMIN, CORE, HOOK, 0),
    K("org.", ADMIN, CORE, ORG, 0),
};

const struct idw_kind *idw_classify_fallback(const char *okta_type)
{
    static const struct idw_kind other = K("(unlisted)", AUTH, CORE, OTHER, 0);

    if (!okta_type)
        return &other;
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++)
        if (has_prefix(okta_type, fallbacks[i].okta_type))
            return &fallbacks[i];
    return &other;
}

int idw_kind_listed(const struct idw_kind *kind)
{
    return kind >= kinds && kind < kinds + NKINDS;
}

const struct idw_kind *idw_kind_table(unsigned *count)
{
    *count = (unsigned)NKINDS;
    return kinds;
}

const char *idw_kind_flag_name(unsigned flag)
{
    static const char *const names[] = {
        "SIGNIN", "SSO", "MFA", "FACTOR_CHANGE", "ON_TARGET", "SESSION", "PUSH", "PRIVILEGE",
        "LIFECYCLE", "THREAT", "ADMIN_ACCESS", "DEVICE", "POLICY", "CREDENTIAL", "LOCKOUT",
        "PUSH_DENY", "RISK", "GRANT", "GROUP", "IMPERSONATION", "API_TOKEN", "RESET",
        "FACTOR_REMOVE", "ENROLL", "THREAT_IP", "BLOCKED", "USER_REPORT", "BREACH", "CONFIG",
    };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flag == 1u << i)
            return names[i];
    return NULL;
}

const char *idw_class_name(enum idw_class c)
{
    switch (c) {
    case IDW_CLASS_AUTH:
        return "AUTH";
    case IDW_CLASS_ADMIN:
        return "ADMIN";
    case IDW_CLASS_ALERT:
        return "ALERT";
    }
    return "AUTH";
}

const char *idw_signal_name(enum idw_signal s)
{
    return s == IDW_SIGNAL_MFA_DEVICE_TRUST ? "MFA_DEVICE_TRUST" : "CORE_IAM";
}

const char *idw_category_name(enum idw_category c)
{
    static const char *const names[] = {
        "OTHER", "AUTH", "SESSION", "FACTOR", "CREDENTIAL", "ACCOUNT", "ROLE", "IMPERSONATION",
        "THREAT", "IDP", "POLICY", "ZONE", "API_TOKEN", "OAUTH", "LOG_STREAM", "HOOK",
        "THREAT_CONFIG", "APP", "MFA_CONFIG", "ORG", "MESSAGE",
    };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "OTHER";
}
