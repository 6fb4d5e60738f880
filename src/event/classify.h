/*
 * classify.h — the one table that says what idwatch does with each Okta
 * eventType: its TOTAL class (AUTH / ADMIN / ALERT), its signal type, and
 * the facts later stages need (is it a sign-in, a factor change, an admin
 * action on another user...).  Unlisted event types are not ingested
 * unless the configuration says so (they then get IDW_CLASS_ADMIN or AUTH
 * by prefix, and no flags).
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
};

struct idw_kind {
    const char *okta_type;      /* e.g. "user.authentication.sso" */
    enum idw_class cls;
    enum idw_signal signal;
    unsigned flags;
};

/*
 * Returns the table entry for an Okta eventType, or NULL if it is not in
 * the table.  Lookup is a binary search; the table is sorted by okta_type
 * (a unit test enforces it).
 */
const struct idw_kind *idw_classify(const char *okta_type);

/*
 * A kind for an unlisted event type, used only when the configuration asks
 * to ingest unlisted types: ALERT for "security.*", ADMIN for lifecycle /
 * group / app / policy / system prefixes, AUTH otherwise; no flags.
 * The returned pointer is to static storage per class.
 */
const struct idw_kind *idw_classify_fallback(const char *okta_type);

/* The whole table, for `idwatch rules`-style listings and tests. */
const struct idw_kind *idw_kind_table(unsigned *count);

/* "SIGNIN", "PUSH_DENY"...: the name of one IDW_K_* flag (a single bit), NULL for none. */
const char *idw_kind_flag_name(unsigned flag);

const char *idw_class_name(enum idw_class c);    /* "AUTH" | "ADMIN" | "ALERT" */
const char *idw_signal_name(enum idw_signal s);  /* "CORE_IAM" | "MFA_DEVICE_TRUST" */

#endif
