/*
 * event.h — the normalized event: one Okta LogEvent as every later stage
 * (persona update, rules, alert store) sees it.
 *
 * Lifetime: string fields point into `raw` (the parsed Okta object) or into
 * the event's own buffers (`own`), so an idw_event is valid exactly as long
 * as the idw_event itself and the reference it holds on `raw`.  Release
 * with idw_event_clear().  A NULL string means "absent"; Okta's literal
 * "null" strings are turned into NULL by the normalizer.
 *
 * The TOTAL JSON form (docs/schema.md) is produced from this struct on
 * demand by idw_event_to_json() in normalize.h; the pipeline itself never
 * builds JSON per event.
 */
#ifndef IDW_EVENT_H
#define IDW_EVENT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/util.h"
#include "event/classify.h"

enum idw_geo_source { IDW_GEO_NONE = 0, IDW_GEO_OKTA, IDW_GEO_MAXMIND };

/* Where the client was, as Okta (or our GeoIP lookup) placed it. */
struct idw_geo {
    const char *city, *state, *country, *postal_code;
    double lat, lon;
    int has_coords;             /* lat/lon are meaningful */
    int accuracy_km;            /* MaxMind accuracy radius; 0 = unknown */
    enum idw_geo_source source;
};

/* A principal (actor or target) of an Okta event. */
struct idw_principal {
    const char *id, *type, *login, *display_name;
};

/* Okta's outcome.result, reduced to what rules branch on. */
enum idw_outcome {
    IDW_OUT_UNKNOWN = 0, IDW_OUT_SUCCESS, IDW_OUT_FAILURE, IDW_OUT_ALLOW,
    IDW_OUT_DENY, IDW_OUT_CHALLENGE, IDW_OUT_SKIPPED, IDW_OUT_ABANDONED,
    IDW_OUT_UNANSWERED, IDW_OUT_OTHER
};

/* Okta's debugData.behaviors / logOnlySecurityData behaviors, POSITIVE ones as bits. */
enum {
    IDW_BEH_NEW_GEO = 1u << 0, IDW_BEH_NEW_DEVICE = 1u << 1, IDW_BEH_NEW_IP = 1u << 2,
    IDW_BEH_NEW_STATE = 1u << 3, IDW_BEH_NEW_COUNTRY = 1u << 4, IDW_BEH_VELOCITY = 1u << 5,
    IDW_BEH_NEW_CITY = 1u << 6,
};

/* Buffers for values the normalizer derives rather than borrows. */
struct idw_event_own {
    char geo_city[64], geo_state[64], geo_country[64], geo_postal[16];
    char as_org[96];
    char unknown_user_hash[17];     /* 16 hex chars of SHA-256 of a typed username */
    char risk_level[16];
    char published_iso[IDW_TIME_STRLEN];  /* published re-printed in canonical RFC 3339 */
    char uuid[IDW_UUID_STRLEN];     /* the derived uuid, when the event had none */
};

struct idw_event {
    json_t *raw;                    /* one reference, released by idw_event_clear */

    /* identity of the event */
    const char *uuid;               /* Okta uuid, the de-duplication key */
    int uuid_derived;               /* no uuid in the event: uuid was derived from its content */
    const char *published;          /* as Okta wrote it */
    int64_t published_ms;           /* event time: drives every window */
    const char *okta_type;          /* eventType */
    const struct idw_kind *kind;    /* classification (never NULL after normalize) */
    const char *severity, *display_message;
    const char *outcome_result;     /* verbatim outcome.result */
    enum idw_outcome outcome;
    const char *outcome_reason;

    /* who: the actor acted; the subject is the human the event is about */
    struct idw_principal actor;
    struct idw_principal subject;   /* == actor unless the kind is IDW_K_ON_TARGET */
    int subject_is_actor;
    int actor_is_human;             /* actor.type == "User" and a known user */
    /*
     * A sign-in attempt against a username Okta does not know: no subject,
     * the typed name is never kept (it may be a password) — only its hash.
     */
    int unknown_user;
    const char *unknown_user_hash;  /* -> own.unknown_user_hash, or NULL */

    /* from where */
    const char *ip;
    const char *user_agent, *ua_os, *ua_browser;
    const char *client_device;      /* "Computer", "Mobile", ... */
    const char *client_zone;        /* network zone, NULL when "null" */
    const char *client_id;          /* OAuth client / agent id */
    struct idw_geo geo;
    uint32_t asn;                   /* 0 = unknown */
    const char *as_org, *isp, *as_domain;
    int is_proxy;                   /* -1 unknown, 0, 1 */

    /* how */
    const char *auth_provider, *credential_type, *credential_provider;
    const char *session_id;         /* authenticationContext.externalSessionId */
    const char *root_session_id;    /* authenticationContext.rootSessionId (Identity Engine) */
    const char *auth_interface;
    const char *factor;             /* debugData.factor (e.g. OKTA_VERIFY_PUSH) */
    const char *dt_hash, *device_fingerprint;
    const char *device_id, *device_name, *device_platform;  /* top-level device (Okta Verify) */

    /* on what */
    const char *app_id, *app_name;  /* first AppInstance target */
    const char *group_id, *group_name;  /* first UserGroup target */
    struct idw_principal target;    /* first target of any type (raw_metadata target_*) */
    const char *transaction_id, *transaction_type;

    /* Okta's own risk signals */
    int threat_suspected;           /* debugData.threatSuspected == "true" */
    unsigned behaviors;             /* IDW_BEH_* that were POSITIVE */
    const char *risk_level;         /* "LOW" | "MEDIUM" | "HIGH" | NULL */

    /* assigned by the pipeline, not the normalizer */
    const char *domain_id;
    char tuid[IDW_UUID_STRLEN];     /* "" when there is no subject */
    char event_id[IDW_UUID_STRLEN]; /* derived from (domain_id, uuid): stable across re-delivery */

    struct idw_event_own own;
};

/*
 * The app an SSO or Admin Console event is about, as personas key it: the
 * app instance id, else its name; Admin Console access without a target is
 * "Okta Admin Console".  NULL when there is none.
 */
static inline const char *idw_event_app_key(const struct idw_event *ev)
{
    if (ev->app_id)
        return ev->app_id;
    if (ev->app_name)
        return ev->app_name;
    return (ev->kind->flags & IDW_K_ADMIN_ACCESS) ? "Okta Admin Console" : NULL;
}

/*
 * The Okta session an event belongs to, for everything that follows a
 * session (session_hijack, the persona's sessions, one new_context verdict
 * per session): rootSessionId where present, else externalSessionId; NULL
 * when neither.  Okta Identity Engine issues a new externalSessionId once
 * sign-in completes while rootSessionId stays the same, so keying on the
 * external id alone splits one sign-in into two sessions.
 */
static inline const char *idw_event_session_key(const struct idw_event *ev)
{
    return ev->root_session_id ? ev->root_session_id : ev->session_id;
}

/*
 * "AS64500": an ASN as personas (IDW_DIM_ASNS), the org counters and
 * alert contexts key it, and as evidence prints it.  0 (unknown) gives
 * "AS0"; callers that must not show it test the ASN first.  Returns out.
 */
#define IDW_ASN_KEYLEN 16       /* "AS4294967295" + NUL, with room */
static inline const char *idw_asn_key(uint32_t asn, char out[IDW_ASN_KEYLEN])
{
    snprintf(out, IDW_ASN_KEYLEN, "AS%u", asn);
    return out;
}

/* Releases the reference on raw and zeroes the struct. */
void idw_event_clear(struct idw_event *ev);

/* "SUCCESS", "FAILURE"... for the enum (verbatim result is in outcome_result). */
const char *idw_outcome_name(enum idw_outcome o);

/* True for outcomes that mean the user got in (SUCCESS, ALLOW). */
static inline int idw_outcome_ok(enum idw_outcome o)
{
    return o == IDW_OUT_SUCCESS || o == IDW_OUT_ALLOW;
}

#endif
