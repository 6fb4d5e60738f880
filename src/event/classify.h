/*
 * classify.h — the one table that says what idwatch does with each Okta
 * eventType: its TOTAL class (AUTH / ADMIN / ALERT), its signal type, and
 * the facts later stages need (is it a sign-in, a factor change, an admin
 * action on another user...) and its category (what part of Okta it is
 * about: sign-in, policy, network zone, role...).  Every event type is
 * ingested: an unlisted one gets a fallback kind by prefix (its class and
 * category, no flags), reaches the rules and never updates a persona.
 */
#ifndef IDW_CLASSIFY_H
#define IDW_CLASSIFY_H

enum idw_class { IDW_CLASS_AUTH = 1, IDW_CLASS_ADMIN, IDW_CLASS_ALERT };
enum idw_signal { IDW_SIGNAL_CORE_IAM = 1, IDW_SIGNAL_MFA_DEVICE_TRUST };

/* Flags on a kind.  A kind may carry several. */
enum {
    IDW_K_SIGNIN        = 1u << 0,  /* primary sign-in (session start, IdP/social/RADIUS auth) */
    IDW_K_SSO           = 1u << 1,  /* access to an app (target AppInstance) */
    IDW_K_MFA           = 1u << 2,  /* a factor was verified or failed */
    IDW_K_FACTOR_CHANGE = 1u << 3,  /* factor enrolled/removed/reset */
    IDW_K_ON_TARGET     = 1u << 4,  /* the subject is the target User, not the actor */
    IDW_K_SESSION       = 1u << 5,  /* session lifecycle or context */
    IDW_K_PUSH          = 1u << 6,  /* an Okta Verify push was sent or answered */
    IDW_K_PRIVILEGE     = 1u << 7,  /* admin role / privileged group change */
    IDW_K_LIFECYCLE     = 1u << 8,  /* account lifecycle / lock state */
    IDW_K_THREAT        = 1u << 9,  /* Okta's own threat / risk signal */
    IDW_K_ADMIN_ACCESS  = 1u << 10, /* access to the Okta Admin Console */
    IDW_K_DEVICE        = 1u << 11, /* device enrollment */
    IDW_K_POLICY        = 1u << 12, /* sign-on policy evaluation */
    IDW_K_CREDENTIAL    = 1u << 13, /* password or credential reset */
    /* finer facts the rules dispatch on, so that no rule compares type names */
    IDW_K_LOCKOUT       = 1u << 14, /* Okta locked the account (failed sign-ins) */
    IDW_K_PUSH_DENY     = 1u << 15, /* the user denied an Okta Verify push */
    IDW_K_RISK          = 1u << 16, /* ITP set a user's risk level */
    IDW_K_GRANT         = 1u << 17, /* power given: a role, a group membership, impersonation, an API token */
    IDW_K_GROUP         = 1u << 18, /* about a group (its roles or members) */
    IDW_K_IMPERSONATION = 1u << 19, /* Okta Support impersonation */
    IDW_K_API_TOKEN     = 1u << 20, /* an API token */
    IDW_K_RESET         = 1u << 21, /* a reset of the password or of every factor */
    IDW_K_FACTOR_REMOVE = 1u << 22, /* one factor removed */
    IDW_K_ENROLL        = 1u << 23, /* a factor or device enrolled */
    IDW_K_THREAT_IP     = 1u << 24, /* ThreatInsight flagged a request's IP */
    IDW_K_BLOCKED       = 1u << 25, /* a network-zone blocklist stopped a request */
    IDW_K_USER_REPORT   = 1u << 26, /* the user reported activity as not theirs */
    IDW_K_BREACH        = 1u << 27, /* the user's credentials found in a breach */
    IDW_K_CONFIG        = 1u << 28, /* a change to the org's security configuration */
};

/*
 * What part of Okta a kind is about, one per kind (docs/schema.md lists
 * them).  Rules and the normalized JSON ("category") use it; it decides
 * nothing about ingestion.
 */
enum idw_category {
    IDW_CAT_OTHER = 0,      /* an unlisted type whose prefix says nothing more */
    IDW_CAT_AUTH,           /* sign-ins, SSO, MFA verification, pushes, sign-on policy evaluation */
    IDW_CAT_SESSION,        /* a session's end, clearing, context, Admin Console access */
    IDW_CAT_FACTOR,         /* a user's own factors and devices: enroll, reset, suspend */
    IDW_CAT_CREDENTIAL,     /* a user's password: reset, change, an app password shown */
    IDW_CAT_ACCOUNT,        /* a user account: lifecycle, lock state, group and app membership */
    IDW_CAT_ROLE,           /* admin roles, custom roles, resource sets, privileged groups */
    IDW_CAT_IMPERSONATION,  /* Okta Support access and impersonation */
    IDW_CAT_THREAT,         /* Okta's own threat and risk signals */
    IDW_CAT_IDP,            /* identity providers (federation) and their keys */
    IDW_CAT_POLICY,         /* policies and their rules (sign-on, app sign-on, password, MFA...) */
    IDW_CAT_ZONE,           /* network zones and blocklists */
    IDW_CAT_API_TOKEN,      /* API tokens */
    IDW_CAT_OAUTH,          /* OAuth clients, authorization servers, tokens */
    IDW_CAT_LOG_STREAM,     /* System Log streaming */
    IDW_CAT_HOOK,           /* event hooks and inline hooks */
    IDW_CAT_THREAT_CONFIG,  /* ThreatInsight, attack protection, behavior detection settings */
    IDW_CAT_APP,            /* application integrations: lifecycle */
    IDW_CAT_MFA_CONFIG,     /* org-wide factors, authenticators, protected actions */
    IDW_CAT_ORG,            /* org-wide settings: trusted origins, CAPTCHA */
    IDW_CAT_MESSAGE,        /* an email or SMS Okta sent (reset links, codes) */
};

struct idw_kind {
    const char *okta_type;      /* e.g. "user.authentication.sso" */
    enum idw_class cls;
    enum idw_signal signal;
    enum idw_category category;
    unsigned flags;
};

/*
 * Returns the table entry for an Okta eventType, or NULL if it is not in
 * the table.  Lookup is a binary search; the table is sorted by okta_type
 * (a unit test enforces it).
 */
const struct idw_kind *idw_classify(const char *okta_type);

/*
 * The kind of an unlisted event type, by prefix: its class (ALERT for
 * "security.*", ADMIN for admin prefixes, AUTH otherwise) and category
 * ("policy." is POLICY, "iam." is ROLE...; OTHER when the prefix says
 * nothing); no flags.  The returned pointer is to static storage.
 */
const struct idw_kind *idw_classify_fallback(const char *okta_type);

/* 1 when kind is an entry of the table, 0 for a fallback kind (or NULL). */
int idw_kind_listed(const struct idw_kind *kind);

/* The whole table, for `idwatch rules`-style listings and tests. */
const struct idw_kind *idw_kind_table(unsigned *count);

/* "SIGNIN", "PUSH_DENY"...: the name of one IDW_K_* flag (a single bit), NULL for none. */
const char *idw_kind_flag_name(unsigned flag);

const char *idw_class_name(enum idw_class c);    /* "AUTH" | "ADMIN" | "ALERT" */
const char *idw_signal_name(enum idw_signal s);  /* "CORE_IAM" | "MFA_DEVICE_TRUST" */
const char *idw_category_name(enum idw_category c);  /* "POLICY", "ROLE"... ("OTHER" if unknown) */

#endif
