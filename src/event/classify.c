/*
 * classify.c — the classification table: every Okta eventType idwatch
 * ingests, with its TOTAL class, signal type and flags.  This is the one
 * place to add an event type.  Keep it sorted by okta_type (strcmp order);
 * test_normalize.c's test_table_sorted_and_complete fails otherwise.
 *
 * The types come from the TOTAL connector's tables (docs/schema.md lists
 * them) plus the ones the detection rules need (push, deny, lockout,
 * privilege, risk, session context, impersonation, device enrollment).
 */
#include "event/classify.h"

#include <stdlib.h>
#include <string.h>

#define CORE IDW_SIGNAL_CORE_IAM
#define MFA  IDW_SIGNAL_MFA_DEVICE_TRUST

static const struct idw_kind kinds[] = {
    {"app.generic.unauth_app_access_attempt", IDW_CLASS_ALERT, CORE, IDW_K_SSO},
    {"app.user_management.assign_user_to_app", IDW_CLASS_ADMIN, CORE, IDW_K_ON_TARGET},
    {"app.user_management.deactivate_user", IDW_CLASS_ADMIN, CORE, IDW_K_ON_TARGET},
    {"application.provision.user.push", IDW_CLASS_ADMIN, CORE, IDW_K_ON_TARGET},
    {"device.enrollment.create", IDW_CLASS_AUTH, MFA, IDW_K_DEVICE | IDW_K_ENROLL},
    {"device.user.add", IDW_CLASS_AUTH, MFA, IDW_K_DEVICE | IDW_K_ON_TARGET | IDW_K_ENROLL},
    {"group.privilege.grant", IDW_CLASS_ADMIN, CORE, IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_GROUP},
    {"group.privilege.revoke", IDW_CLASS_ADMIN, CORE, IDW_K_PRIVILEGE | IDW_K_GROUP},
    {"group.user_membership.add", IDW_CLASS_ADMIN, CORE, IDW_K_ON_TARGET | IDW_K_GRANT | IDW_K_GROUP},
    {"group.user_membership.remove", IDW_CLASS_ADMIN, CORE, IDW_K_ON_TARGET | IDW_K_GROUP},
    {"policy.evaluate_sign_on", IDW_CLASS_AUTH, CORE, IDW_K_POLICY},
    {"security.attack.end", IDW_CLASS_ALERT, CORE, IDW_K_THREAT},
    {"security.attack.start", IDW_CLASS_ALERT, CORE, IDW_K_THREAT},
    {"security.breached_credential.detected", IDW_CLASS_ALERT, CORE,
     IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_BREACH},
    {"security.request.blocked", IDW_CLASS_ALERT, CORE, IDW_K_THREAT | IDW_K_BLOCKED},
    {"security.session.detect_client_roaming", IDW_CLASS_ALERT, CORE, IDW_K_THREAT | IDW_K_SESSION},
    {"security.threat.detected", IDW_CLASS_ALERT, CORE, IDW_K_THREAT | IDW_K_THREAT_IP},
    {"system.api_token.create", IDW_CLASS_ADMIN, CORE, IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_API_TOKEN},
    {"system.push.send_factor_verify_push", IDW_CLASS_AUTH, MFA, IDW_K_PUSH},
    {"user.account.lock", IDW_CLASS_AUTH, CORE, IDW_K_LIFECYCLE | IDW_K_LOCKOUT},
    {"user.account.lock.limit", IDW_CLASS_AUTH, CORE, IDW_K_LIFECYCLE | IDW_K_LOCKOUT},
    {"user.account.privilege.grant", IDW_CLASS_ADMIN, CORE,
     IDW_K_PRIVILEGE | IDW_K_ON_TARGET | IDW_K_GRANT},
    {"user.account.privilege.revoke", IDW_CLASS_ADMIN, CORE, IDW_K_PRIVILEGE | IDW_K_ON_TARGET},
    {"user.account.report_suspicious_activity_by_enduser", IDW_CLASS_ALERT, MFA,
     IDW_K_THREAT | IDW_K_USER_REPORT},
    {"user.account.reset_password", IDW_CLASS_ADMIN, CORE, IDW_K_CREDENTIAL | IDW_K_ON_TARGET | IDW_K_RESET},
    {"user.account.unlock", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.account.unlock_by_admin", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.account.unlock_token", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.account.update_password", IDW_CLASS_AUTH, CORE, IDW_K_CREDENTIAL | IDW_K_ON_TARGET},
    {"user.authentication.auth_via_IDP", IDW_CLASS_AUTH, CORE, IDW_K_SIGNIN},
    {"user.authentication.auth_via_mfa", IDW_CLASS_AUTH, MFA, IDW_K_MFA},
    {"user.authentication.auth_via_radius", IDW_CLASS_AUTH, CORE, IDW_K_SIGNIN},
    {"user.authentication.auth_via_social", IDW_CLASS_AUTH, CORE, IDW_K_SIGNIN},
    {"user.authentication.sso", IDW_CLASS_AUTH, CORE, IDW_K_SSO},
    {"user.authentication.verify", IDW_CLASS_AUTH, MFA, IDW_K_MFA},
    {"user.lifecycle.activate", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.lifecycle.create", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.lifecycle.deactivate", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.lifecycle.delete.initiated", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.lifecycle.suspend", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.lifecycle.unsuspend", IDW_CLASS_ADMIN, CORE, IDW_K_LIFECYCLE | IDW_K_ON_TARGET},
    {"user.mfa.attempt_bypass", IDW_CLASS_AUTH, MFA, IDW_K_MFA | IDW_K_THREAT},
    {"user.mfa.factor.activate", IDW_CLASS_AUTH, MFA, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_ENROLL},
    {"user.mfa.factor.deactivate", IDW_CLASS_AUTH, MFA,
     IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_FACTOR_REMOVE},
    {"user.mfa.factor.reset_all", IDW_CLASS_AUTH, MFA, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET | IDW_K_RESET},
    {"user.mfa.factor.update", IDW_CLASS_AUTH, MFA, IDW_K_FACTOR_CHANGE | IDW_K_ON_TARGET},
    {"user.mfa.okta_verify.deny_push", IDW_CLASS_AUTH, MFA, IDW_K_PUSH | IDW_K_MFA | IDW_K_PUSH_DENY},
    {"user.risk.change", IDW_CLASS_ALERT, CORE, IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_RISK},
    {"user.risk.detect", IDW_CLASS_ALERT, CORE, IDW_K_THREAT | IDW_K_ON_TARGET | IDW_K_RISK},
    {"user.session.access_admin_app", IDW_CLASS_AUTH, CORE, IDW_K_ADMIN_ACCESS},
    {"user.session.clear", IDW_CLASS_AUTH, CORE, IDW_K_SESSION | IDW_K_ON_TARGET},
    {"user.session.context.change", IDW_CLASS_AUTH, CORE, IDW_K_SESSION | IDW_K_THREAT},
    {"user.session.end", IDW_CLASS_AUTH, CORE, IDW_K_SESSION},
    {"user.session.impersonation.grant", IDW_CLASS_ADMIN, CORE,
     IDW_K_PRIVILEGE | IDW_K_GRANT | IDW_K_IMPERSONATION},
    {"user.session.impersonation.initiate", IDW_CLASS_ADMIN, CORE,
     IDW_K_PRIVILEGE | IDW_K_ON_TARGET | IDW_K_GRANT | IDW_K_IMPERSONATION},
    {"user.session.start", IDW_CLASS_AUTH, CORE, IDW_K_SIGNIN | IDW_K_SESSION},
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

const struct idw_kind *idw_classify_fallback(const char *okta_type)
{
    static const struct idw_kind alert = {
        .okta_type = "(unlisted)", .cls = IDW_CLASS_ALERT, .signal = CORE, .flags = 0,
    };
    static const struct idw_kind admin = {
        .okta_type = "(unlisted)", .cls = IDW_CLASS_ADMIN, .signal = CORE, .flags = 0,
    };
    static const struct idw_kind auth = {
        .okta_type = "(unlisted)", .cls = IDW_CLASS_AUTH, .signal = CORE, .flags = 0,
    };
    static const char *const admin_prefixes[] = {
        "user.lifecycle.", "user.account.", "group.", "app.", "application.",
        "policy.", "system.", "zone.", "org.", "iam.", "network_zone.",
    };

    if (!okta_type)
        return &auth;
    if (has_prefix(okta_type, "security."))
        return &alert;
    for (size_t i = 0; i < sizeof admin_prefixes / sizeof admin_prefixes[0]; i++)
        if (has_prefix(okta_type, admin_prefixes[i]))
            return &admin;
    return &auth;
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
        "FACTOR_REMOVE", "ENROLL", "THREAT_IP", "BLOCKED", "USER_REPORT", "BREACH",
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
