/*
 * persona.h — the per-user model of routine: which apps, hours, places,
 * networks, devices and factors make up a person's normal activity.
 *
 * A persona is a plain, fixed-size struct (so it can be updated in place
 * without allocation) that is stored compactly in LMDB by store.h.  Each
 * dimension is a bounded top-K list of values; every value keeps a raw
 * count, a weight that decays exponentially with a configurable half-life
 * (30 days by default), and first/last seen.  When a list is full, a new
 * value evicts the one with the lowest decayed weight, so a persona stays
 * small however many years of events it has seen.
 *
 * Time: every timestamp is event time (Okta "published", epoch ms).  Decay
 * is computed between event times, never against the wall clock, so
 * replaying a file and polling live build the same persona.  Events that
 * arrive out of order add a weight already decayed to the newest time.
 *
 * What teaches what (persona.c, docs/persona.md): only events that prove
 * the person — successful sign-ins, MFA, SSO, Admin Console access, and
 * admin actions the person performed — teach context (places, networks,
 * devices, hours).  Failures, pushes sent and changes made *to* the user by
 * someone else are counted but teach no context, so an attacker's attempts
 * do not become the victim's routine.
 */
#ifndef IDW_PERSONA_H
#define IDW_PERSONA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"
#include "common/util.h"
#include "event/event.h"

#define IDW_PV_VALUE 72     /* value text incl. NUL: fits a 64-hex dtHash */
#define IDW_PV_LABEL 48     /* readable label incl. NUL */

/* One remembered value of one dimension. */
struct idw_pvalue {
    char value[IDW_PV_VALUE];   /* key: country, "AS7018", app id, /24, dtHash... */
    char label[IDW_PV_LABEL];   /* for people: app name, AS org, state, UA summary */
    double weight;              /* decayed count, as of last_seen */
    uint32_t count;             /* raw count, never decays */
    int64_t first_seen, last_seen;
    double lat, lon;            /* cities only */
    /*
     * First seen in an event that raised a medium-or-higher alert: not
     * trusted (idw_persona_knows ignores it) until it is seen again in an
     * event that raised none, or an analyst marks the alert a false positive.
     */
    uint8_t provisional;
    uint32_t hash;              /* of value, for fast lookup; not stored (recomputed on decode) */
};

/* The dimensions, in storage order.  Adding one is a line here and in persona.c's table. */
enum idw_dim {
    IDW_DIM_APPS, IDW_DIM_COUNTRIES, IDW_DIM_CITIES, IDW_DIM_ASNS, IDW_DIM_PREFIXES,
    IDW_DIM_DEVICES, IDW_DIM_CLIENT_DEVICES, IDW_DIM_OS, IDW_DIM_BROWSERS,
    IDW_DIM_FACTORS, IDW_DIM_SESSIONS,
    IDW_DIM_COUNT
};

#define IDW_PV_TOTAL 132    /* sum of the dimension capacities (checked in persona.c) */

/* The newest place the person was proven to be. */
struct idw_pfix {
    int64_t t;                  /* 0 = none yet */
    double lat, lon;
    uint32_t asn;
    int is_proxy;               /* -1 unknown */
    char ip[46];
    char city[48], country[48];
};

struct idw_persona_counters {
    uint32_t signin_ok, signin_fail;      /* primary sign-ins */
    uint32_t mfa_ok, mfa_fail;            /* factor verifications */
    uint32_t sso_ok, sso_fail;            /* app access */
    uint32_t push_sent, push_denied;      /* Okta Verify pushes */
    uint32_t lockouts;
    uint32_t factor_changes;              /* enrolled/reset/removed factors */
    uint32_t changed_by_others;           /* admin actions performed on this user */
    uint32_t admin_actions;               /* admin actions this user performed on others */
};

struct idw_persona {
    char tuid[IDW_UUID_STRLEN];
    char okta_id[40];
    char login[128];
    char display_name[96];

    uint64_t events;            /* every event counted for this user, as subject or admin actor */
    int64_t first_seen, last_seen;
    int64_t last_activity;      /* newest event that taught context */
    struct idw_persona_counters c;

    /* learning: novelty is not trusted until the routine is known */
    int64_t learning_since;     /* start of the current learning period */
    uint32_t learning_signins;  /* successful sign-ins since learning_since */
    int64_t established_at;     /* 0 while learning */

    /* activity by hour of the week (UTC; slot = weekday*24 + hour, Monday = 0) */
    double hours[168];
    int64_t hours_ref;          /* the time the hour weights are decayed to */

    struct idw_pfix last_fix;

    uint8_t n[IDW_DIM_COUNT];   /* values used per dimension */
    struct idw_pvalue vals[IDW_PV_TOTAL];
};

/* Model parameters, from the configuration. */
struct idw_persona_params {
    double half_life_ms;
    int64_t learning_ms;
    uint32_t learning_signins;
    int64_t relearn_ms;
};

/* Description of one dimension, for generic code (encoding, printing). */
struct idw_dim_desc {
    const char *name;           /* JSON/CLI name: "apps", "countries", ... */
    unsigned offset, cap;       /* slice of vals[] */
    int has_coords;
};

const struct idw_dim_desc *idw_dim_desc(enum idw_dim d);

/* The values of dimension d (n of them). */
static inline struct idw_pvalue *idw_persona_dim(struct idw_persona *p, enum idw_dim d)
{
    return &p->vals[idw_dim_desc(d)->offset];
}

/* An empty persona for tuid. */
void idw_persona_init(struct idw_persona *p, const char *tuid);

/* Role of the event for this persona. */
enum idw_persona_role {
    IDW_ROLE_SUBJECT,           /* the event is about this person */
    IDW_ROLE_ADMIN_ACTOR,       /* this person performed an admin action on someone else */
};

/*
 * Applies one normalized event.  Never fails; unknown fields are ignored.
 * alerting: the event raised a medium-or-higher alert, so values it shows
 * for the first time are learned as provisional (baseline hygiene: an
 * attacker's first appearance must not become the victim's routine).
 */
void idw_persona_update(struct idw_persona *p, const struct idw_event *ev,
                        enum idw_persona_role role, const struct idw_persona_params *prm,
                        int alerting);

/* Adds one observation to a dimension (exposed for tests and the `fp` feedback path). */
void idw_persona_observe(struct idw_persona *p, enum idw_dim d, const char *value,
                         const char *label, int64_t t, double lat, double lon,
                         const struct idw_persona_params *prm);

/* "198.51.100.42" → "198.51.100.0/24"; IPv6 → its first three groups "/48" (the
 * form of the ip_prefixes dimension). */
void idw_ip_prefix(const char *ip, char *out, size_t outlen);

/* The lookup hash of a value (what idw_pvalue.hash holds). */
uint32_t idw_pvalue_hash(const char *value);

/* A value's entry in d, or NULL. */
const struct idw_pvalue *idw_persona_find(const struct idw_persona *p, enum idw_dim d,
                                          const char *value);

/*
 * A value's entry in d if the persona trusts it (not provisional), else
 * NULL.  Novelty checks in rules use this, not idw_persona_find.
 */
const struct idw_pvalue *idw_persona_knows(const struct idw_persona *p, enum idw_dim d,
                                           const char *value);

/*
 * The persona's usual values of d for evidence lines: up to n trusted
 * values with the highest raw counts, "value label" joined by ", " (e.g.
 * "AS5466 eircom, AS2110 vodafone"); "" when none.
 */
void idw_persona_usual(const struct idw_persona *p, enum idw_dim d, unsigned n, char *out,
                       size_t outlen);

/*
 * The trusted value of d with the most (stored, decayed) weight, and its
 * share of the trusted weight in percent: "usual Ireland 98%".  NULL
 * (share 0) when d holds no trusted value.
 */
const struct idw_pvalue *idw_persona_main(const struct idw_persona *p, enum idw_dim d, double *share);

/* Trusts a provisional value (the `alerts fp` feedback path).  Returns 1 if one was. */
int idw_persona_trust(struct idw_persona *p, enum idw_dim d, const char *value);

/*
 * The analyst's `alerts fp`: the context an alert came from (the alert
 * document's "context" object: "asn", "ip_prefix", "country", "device",
 * "app" strings, each optional) was the user after all.  Each value
 * becomes trusted: a provisional one loses its mark, an unknown one is
 * observed at time t.  Returns how many values changed (0 when context is
 * not an object).  Storing the persona is the caller's.
 */
unsigned idw_persona_trust_context(struct idw_persona *p, const json_t *context, int64_t t,
                                   const struct idw_persona_params *prm);

/* Weight of v decayed to time t (t earlier than last_seen returns the stored weight). */
double idw_pvalue_weight_at(const struct idw_pvalue *v, int64_t t, double half_life_ms);

/* True while the persona is in its learning period as of time t. */
int idw_persona_learning(const struct idw_persona *p, int64_t t,
                         const struct idw_persona_params *prm);

/*
 * Compact binary encoding for storage: a versioned header, then only the
 * used values, strings length-prefixed.  Host byte order (every supported
 * platform is little-endian; a mismatch is detected by the magic).
 * idw_persona_encode returns the bytes written, or 0 if buf is too small
 * (IDW_PERSONA_MAX_ENCODED always suffices).  idw_persona_decode returns
 * IDW_OK, or IDW_ERR for a corrupt or foreign record (p is then initialised empty).
 */
#define IDW_PERSONA_MAX_ENCODED (sizeof(struct idw_persona) + 1024)
size_t idw_persona_encode(const struct idw_persona *p, unsigned char *buf, size_t len);
enum idw_rc idw_persona_decode(struct idw_persona *p, const unsigned char *buf, size_t len) IDW_MUST_CHECK;

/*
 * The documented JSON form (docs/persona.md): identity, counters, learning
 * state, active hours, last fix, and each dimension's values ordered by
 * decayed weight (decayed to the persona's last_seen).  Caller
 * json_decref's; NULL when out of memory.
 */
json_t *idw_persona_to_json(const struct idw_persona *p, const struct idw_persona_params *prm)
    IDW_MUST_CHECK;

/* Parameters from configuration values (days → ms). */
void idw_persona_params_init(struct idw_persona_params *prm, double half_life_days,
                             int learning_days, int learning_signins, int relearn_after_days);

#endif
